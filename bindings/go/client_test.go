package logrocket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net"
	"path"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func startEmulator(t *testing.T) (*Emulator, *Client) {
	t.Helper()
	emulator, err := StartEmulator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emulator.Close)
	client, err := New(emulator.Config("acme/web"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return emulator, client
}

type plan string

func TestTraitValuesOfEveryGoType(t *testing.T) {
	_, client := startEmulator(t)
	huge, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	user, err := client.Identify(context.Background(), "types", Identify{
		Traits: map[string]any{
			"int": int(-1), "int8": int8(-8), "int16": int16(16), "int32": int32(32), "int64": int64(1 << 40),
			"uint": uint(1), "uint8": uint8(8), "uint16": uint16(16), "uint32": uint32(32),
			"uint64": uint64(math.MaxUint64), "float32": float32(1.5), "float64": 99.5, "whole": 2.0,
			"bool": true, "string": "pro", "named": plan("team"), "big": huge, "smallbig": big.NewInt(7),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"int": "-1", "int8": "-8", "int16": "16", "int32": "32", "int64": "1099511627776", "uint": "1",
		"uint8": "8", "uint16": "16", "uint32": "32", "uint64": "18446744073709551615", "float32": "1.5",
		"float64": "99.5", "whole": "2", "bool": "true", "string": "pro", "named": "team",
		"big": "123456789012345678901234567890", "smallbig": "7",
	}
	for k, v := range want {
		if user.Traits[k] != v {
			t.Errorf("trait %s = %q, want %q", k, user.Traits[k], v)
		}
	}
}

func TestUnsupportedTraitValuesNameTheTrait(t *testing.T) {
	emulator, client := startEmulator(t)
	cases := map[string]any{
		"map": map[string]any{"a": 1}, "slice": []int{1}, "array": [2]int{}, "struct": struct{ A int }{1},
		"nan": math.NaN(), "inf": math.Inf(-1), "pointer": new(int), "func": func() {},
	}
	for key, value := range cases {
		_, err := client.Identify(context.Background(), "u", Identify{Traits: map[string]any{key: value}})
		var v *ValidationError
		if !errors.As(err, &v) || v.Field != "traits."+key || v.Message != "Malformed request" {
			t.Errorf("%s: got %v", key, err)
		}
	}
	_, err := client.Identify(context.Background(), "u", Identify{Name: "a\xffb"})
	var v *ValidationError
	if !errors.As(err, &v) || v.Field != "name" {
		t.Errorf("invalid UTF-8: %v", err)
	}
	if n := len(emulator.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
}

func TestNilRemovesAndUnset(t *testing.T) {
	_, client := startEmulator(t)
	ctx := context.Background()
	if _, err := client.Identify(ctx, "u", Identify{Traits: map[string]any{"a": 1, "b": 2, "c": 3}}); err != nil {
		t.Fatal(err)
	}
	user, err := client.Identify(ctx, "u", Identify{Traits: map[string]any{"a": nil}, Unset: []string{"b"}})
	if err != nil || len(user.Traits) != 1 || user.Traits["c"] != "3" {
		t.Fatalf("%v %v", user, err)
	}
}

func TestErrorsAs(t *testing.T) {
	emulator, _ := startEmulator(t)
	ctx := context.Background()
	t.Setenv("LOGROCKET_API_KEY", "")
	_, err := New(Config{App: "acme/web", BaseURL: emulator.URL()})
	var configErr *ConfigError
	if !errors.As(err, &configErr) || !strings.Contains(configErr.Message, "LOGROCKET_API_KEY") {
		t.Errorf("no key: %v", err)
	}
	wrong, err := New(Config{APIKey: "wrong", App: "acme/web", BaseURL: emulator.URL(), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	_, err = wrong.Identify(ctx, "u", Identify{})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Retryable || strings.Contains(err.Error(), "wrong") {
		t.Errorf("api: %v", err)
	}
	refused, _ := New(Config{APIKey: "k", App: "acme/web", BaseURL: "http://127.0.0.1:9", MaxRetries: -1})
	defer refused.Close()
	_, err = refused.Identify(ctx, "u", Identify{})
	var transportErr *TransportError
	if !errors.As(err, &transportErr) {
		t.Errorf("transport: %v", err)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	emulator, _ := startEmulator(t)
	t.Setenv("LOGROCKET_API_KEY", emulator.APIKey())
	t.Setenv("LOGROCKET_APP_ID", "acme/web")
	t.Setenv("LOGROCKET_BASE_URL", emulator.URL())
	client, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.Identify(context.Background(), "env", Identify{}); err != nil {
		t.Fatal(err)
	}
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { listener.Close() })
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	return "http://" + listener.Addr().String()
}

// libraryIdle reports whether no library call of the client is still running: the calls hold
// its read lock, so the write lock is free only when none is.
func libraryIdle(c *Client) bool {
	if !c.mu.TryLock() {
		return false
	}
	c.mu.Unlock()
	return true
}

// A context that ends ends the call, and the library's request with it: the client's own
// timeout (ten minutes here) is never waited for, and nothing of the call is left running.
func TestContextEndsTheCallAndTheLibraryRequest(t *testing.T) {
	client, err := New(Config{APIKey: "k", App: "acme/web", BaseURL: silentServer(t),
		Timeout: 10 * time.Minute, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = client.Identify(ctx, "u", Identify{})
	var timeout *TimeoutError
	if !errors.As(err, &timeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	if !libraryIdle(client) {
		t.Fatal("the library call outlived Identify")
	}

	ctx, cancelMany := context.WithCancel(context.Background())
	go func() {
		time.Sleep(100 * time.Millisecond)
		cancelMany()
	}()
	inputs := make([]Input, 50)
	for i := range inputs {
		inputs[i] = Input{UserID: fmt.Sprintf("u%d", i)}
	}
	if _, err := client.IdentifyMany(ctx, inputs); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if !libraryIdle(client) {
		t.Fatal("the library call outlived IdentifyMany")
	}
}

func TestGoroutinesShareOneClient(t *testing.T) {
	emulator, client := startEmulator(t)
	var wg sync.WaitGroup
	errs := make(chan error, 32*20)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				id := fmt.Sprintf("g%d-%d", g, i)
				user, err := client.Identify(context.Background(), id, Identify{Traits: map[string]any{"g": g}})
				if err == nil && user.UserID != id {
					err = fmt.Errorf("got user %s for %s", user.UserID, id)
				}
				if err != nil {
					errs <- err
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(emulator.Requests()); n != 32*20 {
		t.Errorf("%d requests", n)
	}
}

func TestCloseRacesInFlightCalls(t *testing.T) {
	_, client := startEmulator(t)
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				_, err := client.Identify(context.Background(), fmt.Sprintf("c%d-%d", g, i), Identify{})
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("unexpected: %v", err)
					return
				}
			}
		}(g)
	}
	time.Sleep(50 * time.Millisecond)
	client.Close()
	client.Close()
	wg.Wait()
	if _, err := client.IdentifyMany(context.Background(), []Input{{UserID: "x"}}); !errors.Is(err, ErrClosed) {
		t.Errorf("after close: %v", err)
	}
}

func TestIdentifyManyReportsEveryFailure(t *testing.T) {
	emulator, client := startEmulator(t)
	inputs := make([]Input, 100)
	for i := range inputs {
		inputs[i] = Input{UserID: fmt.Sprintf("m%d", i), Identify: Identify{Traits: map[string]any{"i": i}}}
	}
	inputs[3].UserID = ""
	inputs[50].Traits["bad"] = []string{"x"}
	inputs[70].Name = "\xff"
	report, err := client.IdentifyMany(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	if report.Total != 100 || report.Succeeded != 97 || len(report.Failures) != 3 {
		t.Fatalf("%+v", report)
	}
	wantIndex := []int{3, 50, 70}
	wantField := []string{"user_id", "traits.bad", "name"}
	for i, f := range report.Failures {
		var v *ValidationError
		if f.Index != wantIndex[i] || !errors.As(f.Err, &v) || v.Field != wantField[i] || f.UserID != inputs[f.Index].UserID {
			t.Errorf("failure %d: %+v", i, f)
		}
	}
	if n := len(emulator.Requests()); n != 97 {
		t.Errorf("%d requests", n)
	}
}

func TestStringsNeedingEscapesRoundTrip(t *testing.T) {
	_, client := startEmulator(t)
	tricky := "quote \" backslash \\ newline \n tab \t bell \x07 nul \x00 <html> é 😀 \u2028"
	user, err := client.Identify(context.Background(), "id \"with\" \\ escapes\n", Identify{
		Name:   tricky,
		Email:  "a\\b@example.com",
		Traits: map[string]any{tricky: tricky, "k\"": "v"},
		Unset:  []string{"gone\t"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if user.UserID != "id \"with\" \\ escapes\n" || user.Name != tricky || user.Email != "a\\b@example.com" {
		t.Fatalf("strings changed on the way: %+v", user)
	}
	if user.Traits[tricky] != tricky || user.Traits["k\""] != "v" || len(user.Traits) != 2 {
		t.Fatalf("traits changed on the way: %+v", user.Traits)
	}
}

func TestIdentifyManyAcrossChunks(t *testing.T) {
	emulator, client := startEmulator(t)
	// More than two chunks, with failures found in Go (not UTF-8) and in the library
	// (validation) in each, and on both sides of a chunk boundary.
	count := 2*bulkChunk + 100
	inputs := make([]Input, count)
	for i := range inputs {
		inputs[i] = Input{UserID: fmt.Sprintf("c%d", i), Identify: Identify{Traits: map[string]any{"i": i}}}
	}
	wantField := map[int]string{}
	for _, i := range []int{0, bulkChunk - 1, bulkChunk, 2*bulkChunk + 99} {
		inputs[i].Traits["bad"] = math.NaN()
		wantField[i] = "traits.bad"
	}
	for _, i := range []int{1, bulkChunk + 1, 2 * bulkChunk} {
		inputs[i].Email = "\xfe"
		wantField[i] = "email"
	}
	inputs[5].UserID = ""
	wantField[5] = "user_id"
	report, err := client.IdentifyMany(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	if report.Total != count || report.Succeeded != count-len(wantField) || len(report.Failures) != len(wantField) {
		t.Fatalf("total %d, succeeded %d, %d failures", report.Total, report.Succeeded, len(report.Failures))
	}
	for i, f := range report.Failures {
		var v *ValidationError
		if i > 0 && report.Failures[i-1].Index >= f.Index {
			t.Errorf("failures out of order at %d", i)
		}
		if !errors.As(f.Err, &v) || v.Field != wantField[f.Index] || f.UserID != inputs[f.Index].UserID {
			t.Errorf("failure %d: %+v", i, f)
		}
	}
	if n := emulator.requestCount(); n != count-len(wantField) {
		t.Errorf("%d requests", n)
	}
}

// One run feeds every chunk: a request that hangs in the first chunk does not hold back the
// next. The emulator records a request when it answers it, so the first chunk's hung request is
// recorded after requests of the second (runs chunk by chunk would record every request of the
// first chunk before any of the second).
func TestIdentifyManyKeepsSendingPastAChunksSlowRequest(t *testing.T) {
	emulator, client := startEmulator(t)
	if err := emulator.AddFaults(Fault{Delay: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	count := bulkChunk + 100
	inputs := make([]Input, count)
	for i := range inputs {
		inputs[i] = Input{UserID: fmt.Sprintf("s%d", i)}
	}
	report, err := client.IdentifyMany(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	if report.Succeeded != count {
		t.Fatalf("%d of %d succeeded: %+v", report.Succeeded, count, report.Failures)
	}
	lastOfFirst, firstOfSecond := -1, -1
	for position, request := range emulator.Requests() {
		index, err := strconv.Atoi(strings.TrimPrefix(path.Base(request.Path), "s"))
		if err != nil {
			t.Fatalf("unexpected path %q", request.Path)
		}
		if index < bulkChunk {
			lastOfFirst = position
		} else if firstOfSecond < 0 {
			firstOfSecond = position
		}
	}
	if firstOfSecond < 0 || firstOfSecond > lastOfFirst {
		t.Fatalf("the second chunk waited for the first: its first request answered at %d, the first chunk's last at %d",
			firstOfSecond, lastOfFirst)
	}
}

type label string

func TestTraitEncodingEdges(t *testing.T) {
	_, client := startEmulator(t)
	ctx := context.Background()
	user, err := client.Identify(ctx, "edges", Identify{Traits: map[string]any{
		"int": json.Number("12"), "float": json.Number("1.5e2"), "text": json.Number("abc"),
		"plus": json.Number("+1"), "named": label("gold"), "big": new(big.Int).Lsh(big.NewInt(1), 70),
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"int": "12", "float": "150", "text": "abc", "plus": "1",
		"named": "gold", "big": "1180591620717411303424"}
	for k, v := range want {
		if user.Traits[k] != v {
			t.Errorf("trait %s = %q, want %q", k, user.Traits[k], v)
		}
	}
	// Never sent repaired: a named string or a number text that is not UTF-8 is refused.
	for key, value := range map[string]any{"named": label("a\xffb"), "number": json.Number("\xff")} {
		_, err := client.Identify(ctx, "edges", Identify{Traits: map[string]any{key: value}})
		var v *ValidationError
		if !errors.As(err, &v) || v.Field != "traits."+key {
			t.Errorf("%s: got %v", key, err)
		}
	}
	_, err = client.Identify(ctx, "edges", Identify{Traits: map[string]any{"nan": json.Number("NaN")}})
	var v *ValidationError
	if !errors.As(err, &v) || v.Field != "traits.nan" || v.Message != "Malformed request" {
		t.Errorf("NaN number: got %v", err)
	}
}
