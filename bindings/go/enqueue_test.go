package logrocket

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// failureLog records OnFailure's calls.
type failureLog struct {
	mu    sync.Mutex
	calls []failureCall
}

type failureCall struct {
	userID  string
	err     error
	updates uint64
}

func (l *failureLog) record(userID string, err error, updates uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, failureCall{userID, err, updates})
}

func (l *failureLog) snapshot() []failureCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]failureCall(nil), l.calls...)
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	client, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

func emulatorWithFaults(t *testing.T) *Emulator {
	t.Helper()
	emulator, err := StartEmulator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emulator.Close)
	return emulator
}

// hangingConfig points at a server that accepts connections and never answers, with an
// attempt timeout far longer than any test, so that what is sent stays in flight.
func hangingConfig(t *testing.T) Config {
	return Config{APIKey: "k", App: "acme/web", BaseURL: silentServer(t), Timeout: 10 * time.Minute,
		MaxRetries: -1, Concurrency: 1}
}

func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// 10,000 updates from 40 goroutines while a fifth of the requests get a 503 and two bursts of
// 429 with Retry-After pause the client: after Flush every user holds exactly its last state,
// nothing failed, and the counters add up. The odd goroutines' updates carry a timestamp per
// step, so they cannot be coalesced and must arrive in order; the even ones' may be.
func TestEnqueueTenThousandThroughFaults(t *testing.T) {
	const goroutines, usersEach, steps = 40, 50, 5
	emulator := emulatorWithFaults(t)
	burst := make([]Fault, 20)
	for i := range burst {
		burst[i] = Fault{Status: 429, RetryAfter: "1"}
	}
	if err := emulator.AddFaults(burst...); err != nil {
		t.Fatal(err)
	}
	if err := emulator.SetFaultRate(0.2, Fault{Status: 503}); err != nil {
		t.Fatal(err)
	}
	failures := &failureLog{}
	cfg := emulator.Config("acme/web")
	// Enough retries that an update failing every attempt (0.2^16) does not happen.
	cfg.MaxRetries = 15
	cfg.EnqueueTimeout = 2 * time.Minute
	cfg.OnFailure = failures.record
	client := newClient(t, cfg)

	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for step := 0; step < steps; step++ {
				if g == 0 && step == steps/2 {
					if err := emulator.AddFaults(burst...); err != nil {
						errs <- err
						return
					}
				}
				for u := 0; u < usersEach; u++ {
					in := Identify{Traits: map[string]any{"step": step, "s" + strconv.Itoa(step): g}}
					if g%2 == 1 {
						in.Timestamp = time.UnixMilli(1_700_000_000_000 + int64(step))
					}
					if step == steps-1 {
						in.Name = fmt.Sprintf("user %d-%d", g, u)
					}
					if err := client.Enqueue(fmt.Sprintf("g%d-u%d", g, u), in); err != nil {
						errs <- err
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	summary, err := client.Flush(withTimeout(t, 3*time.Minute))
	if err != nil || !summary.Completed || summary.Pending != 0 || summary.Failed != 0 || summary.Dropped != 0 {
		t.Fatalf("flush: %+v, %v", summary, err)
	}
	if calls := failures.snapshot(); len(calls) != 0 {
		t.Fatalf("%d failures, first %+v", len(calls), calls[0])
	}
	counters := client.Counters()
	total := uint64(goroutines * usersEach * steps)
	if counters.Enqueued != total || counters.Coalesced+counters.Delivered != total ||
		counters.Failed != 0 || counters.Dropped != 0 || counters.Pending != 0 || counters.InFlight != 0 {
		t.Fatalf("counters do not add up: %+v", counters)
	}
	// Timestamped updates are never coalesced: one PUT each, plus at least one per other user.
	if separate := uint64(goroutines/2*usersEach*steps + goroutines/2*usersEach); counters.Delivered < separate {
		t.Errorf("%d PUTs delivered, want at least %d: %+v", counters.Delivered, separate, counters)
	}
	if counters.Retried == 0 {
		t.Errorf("no retries counted: %+v", counters)
	}
	if summary.Delivered != counters.Delivered {
		t.Errorf("summary %+v, counters %+v", summary, counters)
	}

	statuses := map[int]int{}
	for _, r := range emulator.Requests() {
		statuses[r.Status]++
	}
	t.Logf("counters %+v, statuses %v", counters, statuses)
	if uint64(statuses[200]) != counters.Delivered || statuses[429] == 0 || statuses[503] == 0 {
		t.Errorf("statuses %v, counters %+v", statuses, counters)
	}
	if n := emulator.UserCount(); n != goroutines*usersEach {
		t.Fatalf("%d users stored", n)
	}
	for g := 0; g < goroutines; g++ {
		for u := 0; u < usersEach; u++ {
			id := fmt.Sprintf("g%d-u%d", g, u)
			user, err := emulator.User("acme/web", id)
			if err != nil || user == nil {
				t.Fatalf("%s: %v, %v", id, user, err)
			}
			want := map[string]string{"step": strconv.Itoa(steps - 1)}
			for step := 0; step < steps; step++ {
				want["s"+strconv.Itoa(step)] = strconv.Itoa(g)
			}
			if user.Name != fmt.Sprintf("user %d-%d", g, u) || fmt.Sprint(user.Traits) != fmt.Sprint(want) {
				t.Fatalf("%s stored as %+v, want traits %v", id, user, want)
			}
		}
	}
}

func TestEnqueueValidatesAtOnce(t *testing.T) {
	emulator := emulatorWithFaults(t)
	client := newClient(t, emulator.Config("acme/web"))
	cases := []struct {
		userID string
		in     Identify
		field  string
	}{
		{"", Identify{}, "user_id"},
		{"u", Identify{Name: "\xff"}, "name"},
		{"u", Identify{Traits: map[string]any{"bad": []int{1}}}, "traits.bad"},
		{"u", Identify{Email: string(make([]byte, 2000))}, "email"},
	}
	for _, c := range cases {
		err := client.Enqueue(c.userID, c.in)
		var v *ValidationError
		if !errors.As(err, &v) || v.Field != c.field {
			t.Errorf("%s: got %v", c.field, err)
		}
	}
	if _, err := client.Flush(withTimeout(t, time.Minute)); err != nil {
		t.Fatal(err)
	}
	if counters := client.Counters(); counters.Enqueued != 0 {
		t.Errorf("invalid input was counted: %+v", counters)
	}
	if n := len(emulator.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
}

func TestWhenFullErrorRefusesAtOnce(t *testing.T) {
	failures := &failureLog{}
	cfg := hangingConfig(t)
	cfg.QueueCapacity, cfg.WhenFull, cfg.OnFailure = 2, WhenFullError, failures.record
	client := newClient(t, cfg)
	accepted := 0
	var full *QueueFullError
	for i := 0; i < 100 && full == nil; i++ {
		err := client.Enqueue(fmt.Sprintf("u%d", i), Identify{})
		if err == nil {
			accepted++
		} else if !errors.As(err, &full) {
			t.Fatalf("enqueue %d: %v", i, err)
		}
	}
	if full == nil || full.Message == "" || accepted == 0 {
		t.Fatalf("accepted %d, then %v", accepted, full)
	}
	if counters := client.Counters(); counters.Enqueued != uint64(accepted) {
		t.Errorf("accepted %d, counters %+v", accepted, counters)
	}
	// Nothing accepted is lost without a word: Shutdown abandons it to OnFailure.
	if _, err := client.Shutdown(withTimeout(t, 200*time.Millisecond)); err == nil {
		t.Error("Shutdown completed against a server that never answers")
	}
	client.Close()
	var updates uint64
	for _, call := range failures.snapshot() {
		var closed *ClosedError
		if !errors.As(call.err, &closed) {
			t.Errorf("%s: %v", call.userID, call.err)
		}
		updates += call.updates
	}
	if updates != uint64(accepted) || client.Counters().Dropped != uint64(accepted) {
		t.Errorf("accepted %d, abandoned %d, counters %+v", accepted, updates, client.Counters())
	}
}

func TestWhenFullBlockWaitsThenRefuses(t *testing.T) {
	cfg := hangingConfig(t)
	cfg.QueueCapacity, cfg.EnqueueTimeout = 2, 300*time.Millisecond
	client := newClient(t, cfg)
	for i := 0; i < 100; i++ {
		start := time.Now()
		err := client.Enqueue(fmt.Sprintf("u%d", i), Identify{})
		if err == nil {
			continue
		}
		var full *QueueFullError
		if !errors.As(err, &full) {
			t.Fatalf("enqueue %d: %v", i, err)
		}
		if waited := time.Since(start); waited < 250*time.Millisecond {
			t.Fatalf("refused after %v, before EnqueueTimeout", waited)
		}
		client.Shutdown(withTimeout(t, 100*time.Millisecond))
		return
	}
	t.Fatal("the queue never filled")
}

func TestWhenFullBlockWaitsForRoom(t *testing.T) {
	emulator := emulatorWithFaults(t)
	if err := emulator.SetFaultRate(1, Fault{Delay: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	cfg := emulator.Config("acme/web")
	cfg.QueueCapacity, cfg.Concurrency, cfg.EnqueueTimeout = 2, 1, time.Minute
	client := newClient(t, cfg)
	for i := 0; i < 20; i++ {
		if err := client.Enqueue(fmt.Sprintf("u%d", i), Identify{}); err != nil {
			t.Fatalf("enqueue %d: %v", i, err)
		}
	}
	summary, err := client.Flush(withTimeout(t, time.Minute))
	if err != nil || !summary.Completed || summary.Delivered != 20 || emulator.UserCount() != 20 {
		t.Fatalf("%+v, %v, %d users", summary, err, emulator.UserCount())
	}
}

func TestWhenFullDropOldestReachesOnFailure(t *testing.T) {
	const count, capacity = 20, 3
	failures := &failureLog{}
	cfg := hangingConfig(t)
	cfg.QueueCapacity, cfg.WhenFull, cfg.OnFailure = capacity, WhenFullDropOldest, failures.record
	client := newClient(t, cfg)
	for i := 0; i < count; i++ {
		if err := client.Enqueue(fmt.Sprintf("u%02d", i), Identify{}); err != nil {
			t.Fatalf("enqueue %d: %v", i, err)
		}
	}
	client.Shutdown(withTimeout(t, 200*time.Millisecond))
	client.Close() // returns once OnFailure has had every call

	var droppedFull, abandoned []string
	var updates uint64
	for _, call := range failures.snapshot() {
		var full *QueueFullError
		var closed *ClosedError
		switch {
		case errors.As(call.err, &full):
			droppedFull = append(droppedFull, call.userID)
		case errors.As(call.err, &closed):
			abandoned = append(abandoned, call.userID)
		default:
			t.Errorf("%s: unexpected %v", call.userID, call.err)
		}
		updates += call.updates
	}
	if len(droppedFull) < count-capacity-2 {
		t.Errorf("only %d dropped for room: %v", len(droppedFull), droppedFull)
	}
	// The oldest go first: every update dropped for room is older than every one abandoned
	// at Shutdown that was still queued, and the newest are never dropped for room.
	for i := 1; i < len(droppedFull); i++ {
		if droppedFull[i-1] >= droppedFull[i] {
			t.Errorf("dropped out of order: %v", droppedFull)
		}
	}
	for _, id := range droppedFull {
		if id >= fmt.Sprintf("u%02d", count-capacity) {
			t.Errorf("%s, among the newest, was dropped for room: %v", id, droppedFull)
		}
	}
	counters := client.Counters()
	t.Logf("dropped for room %v, abandoned %v", droppedFull, abandoned)
	if updates != count || counters.Dropped != count || counters.Enqueued != count {
		t.Errorf("%d updates reported, counters %+v (dropped %v, abandoned %v)", updates, counters, droppedFull, abandoned)
	}
}

func TestFlushAndShutdownHonourTheContextWhileTheServerHangs(t *testing.T) {
	emulator := emulatorWithFaults(t)
	if err := emulator.SetFaultRate(1, Fault{Delay: time.Minute}); err != nil {
		t.Fatal(err)
	}
	failures := &failureLog{}
	cfg := emulator.Config("acme/web")
	cfg.Timeout, cfg.OnFailure = 10*time.Minute, failures.record
	client := newClient(t, cfg)
	for i := 0; i < 5; i++ {
		if err := client.Enqueue(fmt.Sprintf("u%d", i), Identify{}); err != nil {
			t.Fatal(err)
		}
	}

	start := time.Now()
	summary, err := client.Flush(withTimeout(t, 300*time.Millisecond))
	var timeout *TimeoutError
	if !errors.As(err, &timeout) || !errors.Is(err, context.DeadlineExceeded) || summary.Completed || summary.Pending != 5 {
		t.Fatalf("flush: %+v, %v", summary, err)
	}
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Fatalf("flush ran %v past its deadline", elapsed)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start = time.Now()
	if _, err := client.Flush(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled flush: %v", err)
	}
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Fatalf("flush ran %v past its cancellation", elapsed)
	}

	start = time.Now()
	summary, err = client.Shutdown(withTimeout(t, 300*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) || summary.Completed || summary.Pending != 0 || summary.Dropped != 5 {
		t.Fatalf("shutdown: %+v, %v", summary, err)
	}
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Fatalf("shutdown ran %v past its deadline", elapsed)
	}
	calls := failures.snapshot()
	if len(calls) != 5 {
		t.Fatalf("OnFailure got %d calls before Shutdown returned: %+v", len(calls), calls)
	}
	for _, call := range calls {
		var closed *ClosedError
		if !errors.As(call.err, &closed) || call.updates != 1 {
			t.Errorf("%+v", call)
		}
	}

	err = client.Enqueue("late", Identify{})
	var closed *ClosedError
	if !errors.As(err, &closed) || !errors.Is(err, ErrClosed) || closed.Message == "" {
		t.Fatalf("enqueue after Shutdown: %v", err)
	}
	client.Close()
	if err := client.Enqueue("later", Identify{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("enqueue after Close: %v", err)
	}
	if _, err := client.Flush(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("flush after Close: %v", err)
	}
}

func TestOnFailureGetsPermanentFailures(t *testing.T) {
	emulator := emulatorWithFaults(t)
	failures := &failureLog{}
	cfg := emulator.Config("acme/web")
	// A slow hook: Flush must still return only once it has been called.
	cfg.MaxRetries = 1
	cfg.OnFailure = func(userID string, err error, updates uint64) {
		time.Sleep(100 * time.Millisecond)
		failures.record(userID, err, updates)
	}
	client := newClient(t, cfg)
	ctx := withTimeout(t, time.Minute)

	// A status no retry can fix fails at once.
	if err := emulator.AddFaults(Fault{Status: 422}); err != nil {
		t.Fatal(err)
	}
	if err := client.Enqueue("refused", Identify{Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	if summary, err := client.Flush(ctx); err != nil || !summary.Completed || summary.Failed != 1 || len(failures.snapshot()) != 1 {
		t.Fatalf("%+v, %v, %+v", summary, err, failures.snapshot())
	}
	// A retryable one fails once the retries are used up.
	if err := emulator.AddFaults(Fault{Status: 503}, Fault{Status: 503}); err != nil {
		t.Fatal(err)
	}
	if err := client.Enqueue("exhausted", Identify{}); err != nil {
		t.Fatal(err)
	}
	if summary, err := client.Flush(ctx); err != nil || !summary.Completed || summary.Failed != 2 {
		t.Fatalf("%+v, %v", summary, err)
	}
	if err := client.Enqueue("fine", Identify{}); err != nil {
		t.Fatal(err)
	}
	if summary, err := client.Flush(ctx); err != nil || summary.Delivered != 1 {
		t.Fatalf("%+v, %v", summary, err)
	}

	calls := failures.snapshot()
	if len(calls) != 2 {
		t.Fatalf("%+v", calls)
	}
	wantStatus := map[string]int{"refused": 422, "exhausted": 503}
	for _, call := range calls {
		var api *APIError
		if !errors.As(call.err, &api) || api.Status != wantStatus[call.userID] || call.updates != 1 {
			t.Errorf("%s: %v (%d updates)", call.userID, call.err, call.updates)
		}
	}
	counters := client.Counters()
	if counters.Failed != 2 || counters.Delivered != 1 || counters.Retried != 1 {
		t.Errorf("%+v", counters)
	}
	if user, _ := emulator.User("acme/web", "refused"); user != nil {
		t.Errorf("refused user stored: %+v", user)
	}

	// After Shutdown, only background delivery is closed.
	if summary, err := client.Shutdown(ctx); err != nil || !summary.Completed {
		t.Fatalf("shutdown: %+v, %v", summary, err)
	}
	if _, err := client.Identify(ctx, "direct", Identify{}); err != nil {
		t.Errorf("identify after Shutdown: %v", err)
	}
	if report, err := client.IdentifyMany(ctx, []Input{{UserID: "bulk"}}); err != nil || report.Succeeded != 1 {
		t.Errorf("identify many after Shutdown: %+v, %v", report, err)
	}
}

// OnFailure may call the client, even while Close holds it: abandoned at Close's default
// deadline, each update's hook enqueues again and reads the counters, and Close still ends.
func TestOnFailureMayCallTheClientDuringClose(t *testing.T) {
	var shared atomic.Pointer[Client]
	failures := &failureLog{}
	cfg := hangingConfig(t)
	cfg.OnFailure = func(userID string, err error, updates uint64) {
		c := shared.Load()
		c.Counters()
		failures.record(userID, c.Enqueue(userID+"-again", Identify{}), updates)
	}
	client, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	shared.Store(client)
	for i := 0; i < 3; i++ {
		if err := client.Enqueue(fmt.Sprintf("u%d", i), Identify{}); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() {
		client.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Close did not return")
	}
	calls := failures.snapshot()
	if len(calls) != 3 {
		t.Fatalf("%+v", calls)
	}
	for _, call := range calls {
		// Each hook ran once the client was closed: its Enqueue was refused.
		if !errors.Is(call.err, ErrClosed) {
			t.Errorf("%s: %v", call.userID, call.err)
		}
	}
	if counters := client.Counters(); counters.Dropped != 3 || counters.Enqueued != 3 {
		t.Errorf("final counters %+v", counters)
	}
}

func TestCloseDeliversWhatIsQueued(t *testing.T) {
	emulator := emulatorWithFaults(t)
	client, err := New(emulator.Config("acme/web"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if err := client.Enqueue(fmt.Sprintf("u%d", i), Identify{Traits: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	client.Close()
	if n := emulator.UserCount(); n != 200 {
		t.Fatalf("%d users after Close", n)
	}
	if counters := client.Counters(); counters.Delivered != 200 || counters.Pending != 0 {
		t.Errorf("final counters %+v", counters)
	}
}

func TestDeliveryConfigErrors(t *testing.T) {
	emulator := emulatorWithFaults(t)
	for name, change := range map[string]func(*Config){
		"concurrency":    func(c *Config) { c.Concurrency = -1 },
		"queue capacity": func(c *Config) { c.QueueCapacity = -1 },
		"queue bytes":    func(c *Config) { c.QueueMaxBytes = -1 },
		"policy":         func(c *Config) { c.WhenFull = WhenFull(7) },
	} {
		cfg := emulator.Config("acme/web")
		cfg.OnFailure = func(string, error, uint64) {}
		change(&cfg)
		client, err := New(cfg)
		var config *ConfigError
		if !errors.As(err, &config) || config.Message == "" {
			t.Errorf("%s: %v", name, err)
		}
		if client != nil {
			client.Close()
		}
	}
}

// Close racing Enqueue from many goroutines: each call is accepted or refused with ErrClosed,
// and every accepted update is delivered before Close returns.
func TestCloseRacesEnqueue(t *testing.T) {
	emulator := emulatorWithFaults(t)
	failures := &failureLog{}
	cfg := emulator.Config("acme/web")
	cfg.OnFailure = failures.record
	client, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			// Bounded, so that Close's default deadline is ample for what was accepted.
			for i := 0; i < 300; i++ {
				err := client.Enqueue(fmt.Sprintf("r%d-%d", g, i), Identify{})
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("unexpected: %v", err)
					return
				}
				accepted.Add(1)
			}
		}(g)
	}
	for start := time.Now(); accepted.Load() < 200 && time.Since(start) < time.Minute; {
		time.Sleep(time.Millisecond)
	}
	client.Close()
	wg.Wait()
	counters := client.Counters()
	if n := uint64(accepted.Load()); n == 0 || counters.Enqueued != n || counters.Delivered != n {
		t.Errorf("accepted %d, final counters %+v, failures %+v", n, counters, failures.snapshot())
	}
	if n := emulator.UserCount(); int64(n) != accepted.Load() {
		t.Errorf("accepted %d, %d users stored", accepted.Load(), n)
	}
}
