package logrocket

// Every case of tests/vectors/hostile/hostile.json through the Go API, end to end against the
// emulator: success with the exact wire body and user, or the typed error (*ValidationError,
// *ConfigError, *APIError ...) with its message and field. Never another error, never a panic.
//
// Inputs are what a Go caller would pass: Identify with string fields, a time.Time and a
// map[string]any of Go values (int64, uint64, *big.Int, float64, bool, nil, []any,
// map[string]any). Go strings are bytes, so bytes that are not UTF-8 are passed as they are, and
// a lone surrogate is what converting UTF-16 to bytes unchecked gives (its three-byte form, as in
// WTF-8 and CESU-8), which is not UTF-8 either. What Identify's types cannot say (a number as the
// name, an unknown field, an empty name, which Go means as "not given") is skipped, with why.

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// hostileGenerators are the corpus's generators, each known by its exact set of keys.
var hostileGenerators = map[string][]string{
	"$repeat": {"$repeat", "times"},
	"$utf16":  {"$utf16"},
	"$bytes":  {"$bytes"},
	"$concat": {"$concat"},
	"$nest":   {"$nest", "depth", "leaf"},
	"$int":    {"$int"},
	"$float":  {"$float"},
	"$names":  {"$names"},
}

func generatorOf(spec any) string {
	object, ok := spec.(map[string]any)
	if !ok {
		return ""
	}
	for name, keys := range hostileGenerators {
		if len(object) != len(keys) {
			continue
		}
		all := true
		for _, key := range keys {
			if _, present := object[key]; !present {
				all = false
			}
		}
		if all {
			return name
		}
	}
	return ""
}

func hostileCount(t *testing.T, v any) int {
	n, err := v.(json.Number).Int64()
	if err != nil {
		t.Fatalf("count %v: %v", v, err)
	}
	return int(n)
}

// wtf8 is UTF-16 as bytes, a lone surrogate written as the three bytes its code would take.
func wtf8(units []uint16) string {
	var out []byte
	for i := 0; i < len(units); i++ {
		u := rune(units[i])
		if u >= 0xD800 && u < 0xDC00 && i+1 < len(units) && units[i+1] >= 0xDC00 && units[i+1] < 0xE000 {
			out = utf8.AppendRune(out, 0x10000+(u-0xD800)<<10+(rune(units[i+1])-0xDC00))
			i++
		} else if u >= 0xD800 && u < 0xE000 {
			out = append(out, byte(0xE0|u>>12), byte(0x80|(u>>6)&0x3F), byte(0x80|u&0x3F))
		} else {
			out = utf8.AppendRune(out, u)
		}
	}
	return string(out)
}

// text is the string a string or string generator stands for.
func hostileText(t *testing.T, spec any) (string, bool) {
	if s, ok := spec.(string); ok {
		return s, true
	}
	object, _ := spec.(map[string]any)
	switch generatorOf(spec) {
	case "$repeat":
		return strings.Repeat(object["$repeat"].(string), hostileCount(t, object["times"])), true
	case "$utf16":
		var units []uint16
		for _, u := range object["$utf16"].([]any) {
			units = append(units, uint16(hostileCount(t, u)))
		}
		return wtf8(units), true
	case "$bytes":
		bytes, err := hex.DecodeString(object["$bytes"].(string))
		if err != nil {
			t.Fatal(err)
		}
		return string(bytes), true
	case "$concat":
		var out strings.Builder
		for _, part := range object["$concat"].([]any) {
			s, _ := hostileText(t, part)
			out.WriteString(s)
		}
		return out.String(), true
	}
	return "", false
}

// goValue is the Go value a caller would pass for spec.
func hostileValue(t *testing.T, spec any) any {
	if s, ok := hostileText(t, spec); ok {
		return s
	}
	switch v := spec.(type) {
	case json.Number:
		return traitValue(t, v)
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = hostileValue(t, item)
		}
		return out
	case map[string]any:
		switch generatorOf(v) {
		case "$nest":
			out := hostileValue(t, v["leaf"])
			for i := 0; i < hostileCount(t, v["depth"]); i++ {
				if v["$nest"] == "array" {
					out = []any{out}
				} else {
					out = map[string]any{"n": out}
				}
			}
			return out
		case "$int":
			digits := v["$int"].(string)
			if i, err := strconv.ParseInt(digits, 10, 64); err == nil {
				return i
			}
			if u, err := strconv.ParseUint(digits, 10, 64); err == nil {
				return u
			}
			b, _ := new(big.Int).SetString(digits, 10)
			return b
		case "$float":
			return map[string]float64{"NaN": math.NaN(), "Infinity": math.Inf(1), "-Infinity": math.Inf(-1)}[v["$float"].(string)]
		case "$names":
			names := v["$names"].(map[string]any)
			prefix, _ := hostileText(t, names["key"])
			out := []any{}
			for i := 0; i < hostileCount(t, names["count"]); i++ {
				out = append(out, prefix+strconv.Itoa(i))
			}
			return out
		}
		out := map[string]any{}
		for key, member := range v {
			switch key {
			case "$many":
				many := member.(map[string]any)
				prefix, _ := hostileText(t, many["key"])
				item := hostileValue(t, many["value"])
				for i := 0; i < hostileCount(t, many["count"]); i++ {
					out[prefix+strconv.Itoa(i)] = item
				}
			case "$entries":
				for _, entry := range member.([]any) {
					pair := entry.([]any)
					key, _ := hostileText(t, pair[0])
					out[key] = hostileValue(t, pair[1])
				}
			default:
				out[key] = hostileValue(t, member)
			}
		}
		return out
	}
	return spec
}

// toHostileIdentify builds the Identify call for an input, or says why Go's types cannot say it.
func toHostileIdentify(t *testing.T, input map[string]any) (string, Identify, string) {
	var in Identify
	userID, ok := hostileText(t, input["user_id"])
	if !ok {
		return "", in, "Identify takes the user id as a string"
	}
	for key, spec := range input {
		if spec == nil {
			continue // null: not given, as a zero field is
		}
		switch key {
		case "user_id":
		case "name", "email":
			s, ok := hostileText(t, spec)
			if !ok {
				return "", in, key + " is a string in Identify"
			}
			if s == "" {
				return "", in, "an empty " + key + " means \"not given\" in Identify"
			}
			if key == "name" {
				in.Name = s
			} else {
				in.Email = s
			}
		case "timestamp":
			n, ok := spec.(json.Number)
			if !ok || strings.ContainsAny(n.String(), ".eE") {
				return "", in, "Identify's Timestamp is a time.Time"
			}
			ms, err := n.Int64()
			if err != nil {
				return "", in, "a time.Time's Unix milliseconds fit 64 bits"
			}
			in.Timestamp = time.UnixMilli(ms)
		case "traits":
			traits, ok := hostileValue(t, spec).(map[string]any)
			if !ok || generatorOf(spec) != "" {
				return "", in, "Identify's Traits is a map[string]any"
			}
			in.Traits = traits
		case "unset":
			list, ok := hostileValue(t, spec).([]any)
			if !ok {
				return "", in, "Identify's Unset is a []string"
			}
			in.Unset = []string{}
			for _, name := range list {
				s, ok := name.(string)
				if !ok {
					return "", in, "Identify's Unset is a []string"
				}
				in.Unset = append(in.Unset, s)
			}
		default:
			return "", in, "Identify has no field " + key
		}
	}
	return userID, in, ""
}

// expected expands the generators of an expectation into what decode gives for JSON.
func hostileExpected(t *testing.T, spec any) any {
	if s, ok := hostileText(t, spec); ok {
		return s
	}
	switch v := spec.(type) {
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = hostileExpected(t, item)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for key, member := range v {
			switch key {
			case "$many":
				many := member.(map[string]any)
				prefix, _ := hostileText(t, many["key"])
				item := hostileExpected(t, many["value"])
				for i := 0; i < hostileCount(t, many["count"]); i++ {
					out[prefix+strconv.Itoa(i)] = item
				}
			case "$entries":
				for _, entry := range member.([]any) {
					pair := entry.([]any)
					key, _ := hostileText(t, pair[0])
					out[key] = hostileExpected(t, pair[1])
				}
			default:
				out[key] = hostileExpected(t, member)
			}
		}
		return out
	}
	return spec
}

func hostileShort(v any) string {
	s := fmt.Sprintf("%v", v)
	if len(s) > 300 {
		return fmt.Sprintf("%s... (%d bytes)", s[:300], len(s))
	}
	return s
}

func TestHostile(t *testing.T) {
	raw, err := os.ReadFile("../../tests/vectors/hostile/hostile.json")
	if err != nil {
		t.Fatal(err)
	}
	doc := decode(t, raw).(map[string]any)
	emulator, err := StartEmulator()
	if err != nil {
		t.Fatal(err)
	}
	defer emulator.Close()
	config := Config{
		APIKey: emulator.APIKey(), BaseURL: emulator.URL(), OrgID: doc["org_id"].(string),
		AppID: doc["app_id"].(string), MaxRetries: -1, DisableProxyFromEnv: true,
	}
	shared, err := New(config)
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()

	ran, skipped := 0, 0
	for _, c := range doc["cases"].([]any) {
		c := c.(map[string]any)
		name := c["name"].(string)
		languages, _ := c["languages"].(map[string]any)
		rule, _ := languages["go"].(map[string]any)
		t.Run(name, func(t *testing.T) {
			if why, ok := rule["skip"].(string); ok {
				skipped++
				t.Skip(why)
			}
			userID, in, why := toHostileIdentify(t, c["input"].(map[string]any))
			if why != "" {
				skipped++
				t.Skip(why)
			}
			ran++
			want := c["expect"].(map[string]any)
			if override, ok := rule["expect"]; ok {
				want = override.(map[string]any)
			}
			want = hostileExpected(t, want).(map[string]any)

			emulator.Reset()
			client := shared
			var user *User
			if settings, ok := c["config"].(map[string]any); ok {
				own := config
				own.APIKey, _ = hostileText(t, settings["api_key"])
				var clientErr error
				if client, clientErr = New(own); clientErr != nil {
					err = clientErr
					client = nil
				} else {
					defer client.Close()
				}
			}
			if client != nil {
				user, err = client.Identify(context.Background(), userID, in)
			}
			requests := emulator.Requests()

			if wantErr, ok := want["error"].(map[string]any); ok {
				if err == nil {
					t.Fatalf("succeeded, expected %v", wantErr)
				}
				kind, message, field := errorParts(err)
				wantField, _ := wantErr["field"].(string)
				if kind != wantErr["kind"] || message != wantErr["message"] || field != wantField {
					t.Fatalf("got %s / %q / %q (%T: %s), expected %v", kind, message, field, err, hostileShort(err), wantErr)
				}
				if text, ok := wantErr["text"].(string); ok && err.Error() != text {
					t.Fatalf("Error() %q, expected %q", hostileShort(err.Error()), hostileShort(text))
				}
				if kind == "validation" && len(requests) != 0 {
					t.Fatal("a validation error sent a request")
				}
				return
			}
			if err != nil {
				t.Fatalf("failed: %T: %s", err, hostileShort(err))
			}
			if len(requests) != 1 {
				t.Fatalf("%d requests sent", len(requests))
			}
			request := want["request"].(map[string]any)
			if requests[0].Method != request["method"] || requests[0].Path != request["path"] {
				t.Fatalf("sent %s %s, expected %v %v", requests[0].Method, hostileShort(requests[0].Path), request["method"], hostileShort(request["path"]))
			}
			if body := decode(t, []byte(requests[0].Body)); !sameJSON(body, request["body"]) {
				t.Fatalf("body %s, expected %v", hostileShort(requests[0].Body), hostileShort(request["body"]))
			}
			wantUser := want["user"].(map[string]any)
			name, _ := wantUser["name"].(string)
			email, _ := wantUser["email"].(string)
			traits := map[string]string{}
			if wt, ok := wantUser["traits"].(map[string]any); ok {
				for k, v := range wt {
					traits[k] = v.(string)
				}
			}
			if user.UserID != wantUser["user_id"] || user.Name != name || user.Email != email || !reflect.DeepEqual(user.Traits, traits) {
				t.Fatalf("user %q %q %q %v, expected %v", hostileShort(user.UserID), hostileShort(user.Name), user.Email, hostileShort(user.Traits), hostileShort(wantUser))
			}
		})
	}
	if ran < 100 {
		t.Fatalf("only %d hostile cases ran (%d skipped)", ran, skipped)
	}
	t.Logf("%d hostile cases ran, %d skipped (not expressible in Go)", ran, skipped)
}

// A C string ends at its first NUL, so a configuration string holding one would reach the
// library cut short (an API key "k\x00..." as "k"): New refuses it instead.
func TestConfigStringsWithNUL(t *testing.T) {
	for _, c := range []struct {
		cfg     Config
		message string
	}{
		{Config{APIKey: "key\x00more", App: "acme/web"}, "the API key contains control characters and cannot be sent in a header"},
		{Config{APIKey: "key", App: "acme/web\x00evil"}, "App contains a NUL byte, which the library cannot be given"},
		{Config{APIKey: "key", App: "acme/web", BaseURL: "http://127.0.0.1:1\x00"}, "BaseURL contains a NUL byte, which the library cannot be given"},
	} {
		client, err := New(c.cfg)
		if client != nil {
			client.Close()
		}
		var config *ConfigError
		if !errors.As(err, &config) || config.Message != c.message || err.Error() != "configuration error: "+c.message {
			t.Errorf("New(%q): %v, expected a ConfigError %q", c.cfg.App, err, c.message)
		}
	}
}
