package logrocket

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// Error() is the core's whole text (what every language shows); the fields keep the parts.
func TestErrorTextIsTheCoresWholeText(t *testing.T) {
	emulator, client := startEmulator(t)
	ctx := context.Background()

	_, err := client.Identify(ctx, "u", Identify{Name: strings.Repeat("n", 1025)})
	var v *ValidationError
	if !errors.As(err, &v) || v.Message != "name too large (max 1024 characters)" ||
		err.Error() != "invalid input: name: name too large (max 1024 characters)" {
		t.Errorf("validation: %q %+v", err, v)
	}

	_, err = client.Identify(ctx, "u", Identify{Traits: map[string]any{"score": math.NaN()}})
	if !errors.As(err, &v) || v.Detail == "" ||
		err.Error() != "invalid input: traits.score: Malformed request ("+v.Detail+")" {
		t.Errorf("validation with a detail: %q %+v", err, v)
	}

	if err := emulator.AddFaults(Fault{Status: 400, Body: "no thanks"}); err != nil {
		t.Fatal(err)
	}
	_, err = client.Identify(ctx, "u", Identify{})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Message != "no thanks" || err.Error() != "LogRocket API error 400: no thanks" {
		t.Errorf("api: %q %+v", err, apiErr)
	}

	t.Setenv("LOGROCKET_API_KEY", "")
	_, err = New(Config{App: "acme/web", BaseURL: emulator.URL()})
	var configErr *ConfigError
	if !errors.As(err, &configErr) || err.Error() != "configuration error: "+configErr.Message {
		t.Errorf("config: %q %+v", err, configErr)
	}

	refused, _ := New(Config{APIKey: "k", App: "acme/web", BaseURL: "http://127.0.0.1:9", MaxRetries: -1})
	defer refused.Close()
	_, err = refused.Identify(ctx, "u", Identify{})
	var transportErr *TransportError
	if !errors.As(err, &transportErr) || transportErr.Reason != "connect" || !transportErr.Retryable ||
		err.Error() != "transport error (connect): "+transportErr.Message {
		t.Errorf("transport: %q %+v", err, transportErr)
	}

	full, err := New(Config{APIKey: "k", App: "acme/web", BaseURL: silentServer(t), QueueCapacity: 1,
		WhenFull: WhenFullError, Timeout: time.Minute, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	err = nil
	for i := 0; i < 10 && err == nil; i++ {
		err = full.Enqueue("u"+string(rune('a'+i)), Identify{})
	}
	var fullErr *QueueFullError
	if !errors.As(err, &fullErr) || err.Error() != "queue full: "+fullErr.Message {
		t.Errorf("queue full: %q %+v", err, fullErr)
	}
	shutdownCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	full.Shutdown(shutdownCtx)
	err = full.Enqueue("late", Identify{})
	var closedErr *ClosedError
	if !errors.As(err, &closedErr) || err.Error() != "closed: "+closedErr.Message || !errors.Is(err, ErrClosed) {
		t.Errorf("closed: %q %+v", err, closedErr)
	}
}

// Errors the core never saw read in the core's form.
func TestErrorsMadeInGoReadAlike(t *testing.T) {
	_, client := startEmulator(t)
	ctx := context.Background()

	_, err := client.Identify(ctx, "u", Identify{Name: "a\xffb"})
	if err == nil || err.Error() != "invalid input: name: Malformed request (not valid UTF-8)" {
		t.Errorf("not UTF-8: %q", err)
	}
	if ErrClosed.Error() != "closed: the client is closed" {
		t.Errorf("ErrClosed: %q", ErrClosed)
	}
	_, err = New(Config{APIKey: "k", App: "acme/web", WhenFull: WhenFull(9)})
	if err == nil || err.Error() != "configuration error: WhenFull must be WhenFullBlock, WhenFullError or WhenFullDropOldest" {
		t.Errorf("WhenFull: %q", err)
	}
	// A setter's refusal of a value that is not UTF-8 is a *ConfigError, its text written once.
	_, err = New(Config{APIKey: "k\xff", App: "acme/web"})
	var configErr *ConfigError
	if !errors.As(err, &configErr) || !strings.HasPrefix(err.Error(), "configuration error: ") ||
		strings.Count(err.Error(), "configuration error") != 1 || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("key not UTF-8: %q", err)
	}

	slow, err := New(Config{APIKey: "k", App: "acme/web", BaseURL: silentServer(t), Timeout: time.Minute, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	deadline, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = slow.Identify(deadline, "u", Identify{})
	var timeout *TimeoutError
	if !errors.As(err, &timeout) || err.Error() != "timed out: the context's deadline passed" ||
		!errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: %q", err)
	}

	// Errors built by hand (a test double) read the same way.
	if got := (&APIError{Status: 503, Message: "busy"}).Error(); got != "LogRocket API error 503: busy" {
		t.Errorf("hand-made API error: %q", got)
	}
	if got := (&TransportError{Reason: "tls", Message: "untrusted"}).Error(); got != "transport error (tls): untrusted" {
		t.Errorf("hand-made transport error: %q", got)
	}
}
