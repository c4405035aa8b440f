package logrocket

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// cpuSeconds is the user and system CPU time this process has used so far (all its threads).
func cpuSeconds() (user, system float64) {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0, 0
	}
	return time.Duration(usage.Utime.Nano()).Seconds(), time.Duration(usage.Stime.Nano()).Seconds()
}

// TestBenchIdentifyMany is the Go side of bench/ffi_bench.sh: the same PUTs as
// bench/ffi_bench.rs and bench/ffi_bench.c through IdentifyMany against the emulator at
// LOGROCKET_BENCH_URL (LOGROCKET_BENCH_COUNT of them, default 20,000). Skipped when that is
// unset. Prints the same tab-separated row as the other two: caller, total, succeeded, seconds,
// requests/s, user and system CPU seconds during the run.
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
	// Collect the garbage of building the inputs now, so that the timed run does not pay for
	// the setup's collection (Rust and C have none to pay).
	runtime.GC()
	userBefore, systemBefore := cpuSeconds()
	start := time.Now()
	report, err := client.IdentifyMany(context.Background(), inputs)
	seconds := time.Since(start).Seconds()
	userAfter, systemAfter := cpuSeconds()
	if err != nil || report.Succeeded != count {
		t.Fatalf("%v %+v", err, report)
	}
	fmt.Printf("go\t%d\t%d\t%.3f\t%.0f\t%.3f\t%.3f\n", report.Total, report.Succeeded, seconds,
		float64(count)/seconds, userAfter-userBefore, systemAfter-systemBefore)
}

// BenchmarkEnqueue is the per-call cost of Enqueue while the queue drains to the in-process
// emulator (go test -run '^$' -bench Enqueue). The queue is made large and the block policy
// patient, so that every call is accepted and the figure is Enqueue's own, not waiting.
func BenchmarkEnqueue(b *testing.B) {
	emulator, err := StartEmulator()
	if err != nil {
		b.Fatal(err)
	}
	defer emulator.Close()
	cfg := emulator.Config("bench/go")
	cfg.QueueCapacity, cfg.EnqueueTimeout = 1_000_000, time.Minute
	client, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	in := Identify{Name: "Bench User", Traits: map[string]any{"plan": "pro", "seats": 12}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := client.Enqueue("user-"+strconv.Itoa(i%100_000), in); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if summary, err := client.Flush(context.Background()); err != nil && !summary.Completed {
		b.Logf("flush: %+v, %v", summary, err)
	}
}
