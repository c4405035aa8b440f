package logrocket

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func decode(t *testing.T, text []byte) any {
	t.Helper()
	decoder := json.NewDecoder(bytes.NewReader(text))
	decoder.UseNumber()
	var v any
	if err := decoder.Decode(&v); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	return v
}

// traitValue turns a vector's trait value into the Go value a user would pass.
func traitValue(t *testing.T, v any) any {
	switch v := v.(type) {
	case json.Number:
		if !strings.ContainsAny(v.String(), ".eE") {
			i, err := strconv.ParseInt(v.String(), 10, 64)
			if err != nil {
				t.Fatalf("integer %s: %v", v, err)
			}
			return i
		}
		f, err := strconv.ParseFloat(v.String(), 64)
		if err != nil {
			t.Fatalf("float %s: %v", v, err)
		}
		return f
	case map[string]any:
		if len(v) == 1 {
			if s, ok := v["$float"].(string); ok {
				return map[string]float64{"NaN": math.NaN(), "Infinity": math.Inf(1), "-Infinity": math.Inf(-1)}[s]
			}
			if s, ok := v["$bigint"].(string); ok {
				b, _ := new(big.Int).SetString(s, 10)
				return b
			}
		}
		return v
	default:
		return v
	}
}

func toIdentify(t *testing.T, input map[string]any) (string, Identify) {
	var in Identify
	in.Name, _ = input["name"].(string)
	in.Email, _ = input["email"].(string)
	if ts, ok := input["timestamp"].(json.Number); ok {
		ms, err := ts.Int64()
		if err != nil {
			t.Fatalf("timestamp %s", ts)
		}
		in.Timestamp = time.UnixMilli(ms)
	}
	if traits, ok := input["traits"].(map[string]any); ok {
		in.Traits = map[string]any{}
		for k, v := range traits {
			in.Traits[k] = traitValue(t, v)
		}
	}
	if unset, ok := input["unset"].([]any); ok {
		in.Unset = []string{}
		for _, k := range unset {
			in.Unset = append(in.Unset, k.(string))
		}
	}
	return input["user_id"].(string), in
}

// sameJSON compares parsed JSON, numbers by value.
func sameJSON(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, _ := x.Float64()
		fy, _ := y.Float64()
		return fx == fy
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, present := y[k]
			if !present || !sameJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(a, b)
	}
}

// errorParts gives an error's kind, bare message (the Message field) and field; the whole text
// is err.Error().
func errorParts(err error) (kind, message, field string) {
	var v *ValidationError
	var a *APIError
	var tr *TransportError
	var to *TimeoutError
	var c *ConfigError
	switch {
	case errors.As(err, &v):
		return "validation", v.Message, v.Field
	case errors.As(err, &a):
		return "api", a.Message, ""
	case errors.As(err, &tr):
		return "transport", tr.Message, ""
	case errors.As(err, &to):
		return "timeout", to.Message, ""
	case errors.As(err, &c):
		return "config", c.Message, ""
	}
	return "other", err.Error(), ""
}

func TestVectors(t *testing.T) {
	emulator, err := StartEmulator()
	if err != nil {
		t.Fatal(err)
	}
	defer emulator.Close()
	files, _ := filepath.Glob("../../tests/vectors/*.json")
	if len(files) == 0 {
		t.Fatal("no vector files")
	}
	ran := 0
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		doc := decode(t, text).(map[string]any)
		client, err := New(Config{
			APIKey: emulator.APIKey(), BaseURL: emulator.URL(),
			OrgID: doc["org_id"].(string), AppID: doc["app_id"].(string), MaxRetries: -1,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range doc["cases"].([]any) {
			c := c.(map[string]any)
			ran++
			t.Run(c["name"].(string), func(t *testing.T) { runCase(t, emulator, client, c, identifyOne) })
			t.Run(c["name"].(string)+"/bulk", func(t *testing.T) { runCase(t, emulator, client, c, identifyInBulk) })
		}
		client.Close()
	}
	if ran < 60 {
		t.Fatalf("only %d cases", ran)
	}
	if wholeTexts.Load() == 0 {
		t.Fatal("no vector gave an error's whole text")
	}
}

// wholeTexts counts the errors whose whole text a vector gave and Error() was compared with.
var wholeTexts atomic.Int64

// identifyOne sends an input through Identify.
func identifyOne(ctx context.Context, client *Client, id string, in Identify) (*User, error) {
	return client.Identify(ctx, id, in)
}

// identifyInBulk sends an input through IdentifyMany, as the only input, and gives its failure's
// error; it has no user to give (nil on success).
func identifyInBulk(ctx context.Context, client *Client, id string, in Identify) (*User, error) {
	report, err := client.IdentifyMany(ctx, []Input{{UserID: id, Identify: in}})
	if err != nil {
		return nil, err
	}
	if report.Total != 1 || report.Succeeded+len(report.Failures) != 1 {
		return nil, fmt.Errorf("report %+v for one input", report)
	}
	if len(report.Failures) == 1 {
		f := report.Failures[0]
		if f.Index != 0 || f.UserID != id {
			return nil, fmt.Errorf("failure of input %d, user %q, for input 0, user %q", f.Index, f.UserID, id)
		}
		return nil, f.Err
	}
	return nil, nil
}

// runCase runs one vector case: the input goes through send, the setup through Identify.
func runCase(t *testing.T, emulator *Emulator, client *Client, c map[string]any,
	send func(context.Context, *Client, string, Identify) (*User, error)) {
	ctx := context.Background()
	emulator.Reset()
	if setup, ok := c["setup"].([]any); ok {
		for i, s := range setup {
			id, in := toIdentify(t, s.(map[string]any))
			if _, err := client.Identify(ctx, id, in); err != nil {
				t.Fatalf("setup %d: %v", i, err)
			}
		}
	}
	before := len(emulator.Requests())
	id, in := toIdentify(t, c["input"].(map[string]any))
	user, err := send(ctx, client, id, in)
	expect := c["expect"].(map[string]any)
	if want, ok := expect["error"].(map[string]any); ok {
		if err == nil {
			t.Fatalf("succeeded, expected %v", want)
		}
		kind, message, field := errorParts(err)
		wantField, _ := want["field"].(string)
		if kind != want["kind"] || message != want["message"] || field != wantField {
			t.Fatalf("got %s / %q / %q, expected %v", kind, message, field, want)
		}
		// The whole text, when the vector gives it, is the core's, byte for byte.
		if text, ok := want["text"].(string); ok {
			wholeTexts.Add(1)
			if err.Error() != text {
				t.Fatalf("Error() %q, expected %q", err.Error(), text)
			}
		}
		if kind == "validation" && len(emulator.Requests()) != before {
			t.Fatal("a validation error sent a request")
		}
		return
	}
	if err != nil {
		t.Fatalf("failed: %v", err)
	}
	sent := emulator.Requests()[before:]
	if len(sent) != 1 {
		t.Fatalf("%d requests sent", len(sent))
	}
	want := expect["request"].(map[string]any)
	if sent[0].Method != want["method"] || sent[0].Path != want["path"] {
		t.Fatalf("sent %s %s, expected %v %v", sent[0].Method, sent[0].Path, want["method"], want["path"])
	}
	if body := decode(t, []byte(sent[0].Body)); !sameJSON(body, want["body"]) {
		t.Fatalf("body %s, expected %v", sent[0].Body, want["body"])
	}
	if user == nil { // sent in bulk: no user comes back
		return
	}
	wantUser := expect["user"].(map[string]any)
	name, _ := wantUser["name"].(string)
	email, _ := wantUser["email"].(string)
	traits := map[string]string{}
	if wt, ok := wantUser["traits"].(map[string]any); ok {
		for k, v := range wt {
			traits[k] = v.(string)
		}
	}
	got := fmt.Sprintf("%q %q %q %v", user.UserID, user.Name, user.Email, user.Traits)
	if user.UserID != wantUser["user_id"] || user.Name != name || user.Email != email || !reflect.DeepEqual(user.Traits, traits) {
		t.Fatalf("user %s, expected %v", got, wantUser)
	}
}
