package logrocket

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// users is count inputs "<prefix>-<i>", each with its index as a trait.
func users(prefix string, count int) []Input {
	inputs := make([]Input, count)
	for i := range inputs {
		inputs[i] = Input{UserID: fmt.Sprintf("%s-%d", prefix, i), Identify: Identify{Traits: map[string]any{"n": i}}}
	}
	return inputs
}

func statusCounts(requests []RecordedRequest) map[int]int {
	counts := map[int]int{}
	for _, r := range requests {
		counts[r.Status]++
	}
	return counts
}

// 21 attempts at 20 per second: the first goes at once and each next one 50 ms later, so the
// run cannot end before 1 s (less a little slack for the clock). Only a lower bound: a loaded
// machine, or -race, may make it slower.
func TestRateLimitSpacesABulkRun(t *testing.T) {
	emulator := emulatorWithFaults(t)
	cfg := emulator.Config("acme/paced")
	cfg.RateLimit = 20
	client := newClient(t, cfg)
	start := time.Now()
	report, err := client.IdentifyMany(context.Background(), users("paced", 21))
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if report.Succeeded != 21 || len(report.Failures) != 0 {
		t.Fatalf("report %+v", report)
	}
	if took < 950*time.Millisecond {
		t.Errorf("21 users at 20 per second took %v", took)
	}
}

func TestEmulatorRateLimitRefusesUnpacedRequestsNotPacedOnes(t *testing.T) {
	emulator := emulatorWithFaults(t)
	if got := emulator.RateLimit(); got != 0 {
		t.Fatalf("limit at start: %d", got)
	}
	emulator.SetRateLimit(20)
	if got := emulator.RateLimit(); got != 20 {
		t.Fatalf("limit: %d", got)
	}

	// 100 requests with no pacing and no retries: the bucket holds 20 and refills at 20 per
	// second, so some are refused, each an *APIError with status 429.
	cfg := emulator.Config("acme/limited")
	cfg.MaxRetries = -1
	report, err := newClient(t, cfg).IdentifyMany(context.Background(), users("burst", 100))
	if err != nil {
		t.Fatal(err)
	}
	refused := len(report.Failures)
	if refused == 0 || report.Succeeded+refused != 100 {
		t.Fatalf("%d of 100 refused, %d succeeded", refused, report.Succeeded)
	}
	for _, f := range report.Failures {
		var api *APIError
		if !errors.As(f.Err, &api) || api.Status != 429 || !api.Retryable {
			t.Errorf("input %d: %v", f.Index, f.Err)
		}
	}
	counts := statusCounts(emulator.Requests())
	if counts[429] != refused || counts[200] != 100-refused {
		t.Errorf("recorded %v for %d refused", counts, refused)
	}

	// After a rest the bucket is full again (the limit stays through Reset), and a client
	// paced below the limit is never refused.
	time.Sleep(1100 * time.Millisecond)
	emulator.Reset()
	if got := emulator.RateLimit(); got != 20 {
		t.Fatalf("limit after Reset: %d", got)
	}
	cfg.RateLimit = 15
	report, err = newClient(t, cfg).IdentifyMany(context.Background(), users("calm", 30))
	if err != nil {
		t.Fatal(err)
	}
	if report.Succeeded != 30 {
		t.Fatalf("paced: %d of 30 sent; failures %v", report.Succeeded, report.Failures)
	}
	requests := emulator.Requests()
	if counts := statusCounts(requests); len(requests) != 30 || counts[200] != 30 {
		t.Errorf("paced: recorded %v", counts)
	}

	emulator.SetRateLimit(0)
	if got := emulator.RateLimit(); got != 0 {
		t.Errorf("limit after lifting it: %d", got)
	}
}

// 0 is Go's "unset"; every other value reaches the core, which refuses what is not a finite
// number above 0 with its own message.
func TestBadRateLimitsAreTheCoresConfigError(t *testing.T) {
	emulator := emulatorWithFaults(t)
	for _, rate := range []float64{-1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		cfg := emulator.Config("acme/web")
		cfg.RateLimit = rate
		client, err := New(cfg)
		var config *ConfigError
		if !errors.As(err, &config) ||
			!strings.HasPrefix(config.Message, "the rate limit must be a number of requests per second above 0, got ") {
			t.Errorf("rate limit %v: %v", rate, err)
		}
		if client != nil {
			client.Close()
		}
	}
	cfg := emulator.Config("acme/web")
	cfg.RateLimit = 0.5
	newClient(t, cfg) // a fraction is a rate like any other
}

func TestClosedEmulatorRateLimit(t *testing.T) {
	emulator, err := StartEmulator()
	if err != nil {
		t.Fatal(err)
	}
	emulator.SetRateLimit(5)
	emulator.Close()
	emulator.SetRateLimit(7) // ignored, not a crash
	if got := emulator.RateLimit(); got != 0 {
		t.Errorf("closed emulator's limit: %d", got)
	}
}
