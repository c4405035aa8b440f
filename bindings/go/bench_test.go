package logrocket

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestBenchIdentifyMany is the Go side of bench/ffi_bench.sh: the same 20,000 PUTs through
// IdentifyMany against the emulator at LOGROCKET_BENCH_URL. Skipped when that is unset.
func TestBenchIdentifyMany(t *testing.T) {
	url := os.Getenv("LOGROCKET_BENCH_URL")
	if url == "" {
		t.Skip("LOGROCKET_BENCH_URL not set (run bench/ffi_bench.sh)")
	}
	count, concurrency := 20000, 16
	if n, err := strconv.Atoi(os.Getenv("LOGROCKET_BENCH_COUNT")); err == nil {
		count = n
	}
	client, err := New(Config{APIKey: "test", App: "bench/go", BaseURL: url, Concurrency: concurrency})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	inputs := make([]Input, count)
	for i := range inputs {
		inputs[i] = Input{UserID: fmt.Sprintf("user-%d", i), Identify: Identify{
			Name: "Bench User", Traits: map[string]any{"plan": "pro", "seats": i},
		}}
	}
	start := time.Now()
	report, err := client.IdentifyMany(context.Background(), inputs)
	seconds := time.Since(start).Seconds()
	if err != nil || report.Succeeded != count {
		t.Fatalf("%v %+v", err, report)
	}
	fmt.Printf("go\t%d\t%d\t%.3f\t%.0f\n", report.Total, report.Succeeded, seconds, float64(count)/seconds)
}
