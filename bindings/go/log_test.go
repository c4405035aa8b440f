package logrocket

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is an io.Writer the library's threads may write to at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSpace(b.buf.String()), "\n")
}

// linesWith counts the lines holding every one of parts.
func linesWith(lines []string, parts ...string) int {
	n := 0
	for _, line := range lines {
		all := true
		for _, part := range parts {
			all = all && strings.Contains(line, part)
		}
		if all {
			n++
		}
	}
	return n
}

func TestSetLoggerGetsRetriesAndLostUpdatesWithoutTheKey(t *testing.T) {
	var out lockedBuffer
	if err := SetLogger(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { SetLogger(nil) })
	emulator := emulatorWithFaults(t)
	ctx := context.Background()

	// One 503 (retried: debug), then a 400 (final: the update is lost, warn).
	if err := emulator.AddFaults(Fault{Status: 503}, Fault{Status: 400}); err != nil {
		t.Fatal(err)
	}
	cfg := emulator.Config("acme/log")
	cfg.MaxRetries = 1
	client := newClient(t, cfg)
	secret := Identify{Name: "Secret Name", Email: "secret@example.com", Traits: map[string]any{"token": "s3cr3t-value"}}
	if err := client.Enqueue("log-user-1", secret); err != nil {
		t.Fatal(err)
	}
	if summary, err := client.Flush(ctx); err != nil || summary.Failed != 1 {
		t.Fatalf("flush: %+v %v", summary, err)
	}

	// A key the API refuses: the 401 is final, and the key it carried must not be logged.
	wrongKey := "lr-wrong-key-0123456789"
	wrong := newClient(t, Config{APIKey: wrongKey, App: "acme/log", BaseURL: emulator.URL(), MaxRetries: -1})
	if err := wrong.Enqueue("log-user-2", secret); err != nil {
		t.Fatal(err)
	}
	if summary, err := wrong.Flush(ctx); err != nil || summary.Failed != 1 {
		t.Fatalf("flush with a wrong key: %+v %v", summary, err)
	}

	lines := out.lines()
	if linesWith(lines, "level=DEBUG", "retrying", "status=503", "target=logrocket_identify") < 1 {
		t.Errorf("no retry at debug in:\n%s", strings.Join(lines, "\n"))
	}
	if linesWith(lines, "level=WARN", "not delivered", "status=400") < 1 ||
		linesWith(lines, "level=WARN", "not delivered", "status=401") < 1 {
		t.Errorf("no lost update at warn in:\n%s", strings.Join(lines, "\n"))
	}
	for _, never := range []string{emulator.APIKey(), wrongKey, "Secret Name", "secret@example.com", "s3cr3t-value", "log-user"} {
		if n := linesWith(lines, never); n > 0 {
			t.Errorf("%d log lines hold %q:\n%s", n, never, strings.Join(lines, "\n"))
		}
	}
}

func TestSetLoggerLevelsAndNil(t *testing.T) {
	var out lockedBuffer
	// At warn, the library does not pass retries on.
	if err := SetLogger(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn}))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { SetLogger(nil) })
	emulator := emulatorWithFaults(t)
	cfg := emulator.Config("acme/levels")
	cfg.MaxRetries = 1
	client := newClient(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := emulator.AddFaults(Fault{Status: 503}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Identify(ctx, "u1", Identify{}); err != nil {
		t.Fatal(err)
	}
	if lines := out.lines(); linesWith(lines, "retrying") > 0 {
		t.Errorf("a retry was logged at warn:\n%s", strings.Join(lines, "\n"))
	}

	// With no logger, nothing reaches the old one, and the old one's handle is released.
	if err := SetLogger(nil); err != nil {
		t.Fatal(err)
	}
	before := len(out.lines())
	if err := emulator.AddFaults(Fault{Status: 400}); err != nil {
		t.Fatal(err)
	}
	if err := client.Enqueue("u2", Identify{}); err != nil {
		t.Fatal(err)
	}
	if summary, err := client.Flush(ctx); err != nil || summary.Failed != 1 {
		t.Fatalf("flush: %+v %v", summary, err)
	}
	if after := len(out.lines()); after != before {
		t.Errorf("%d lines logged with no logger set", after-before)
	}
	loggerMu.Lock()
	held := loggerHandle
	loggerMu.Unlock()
	if held != 0 {
		t.Error("SetLogger(nil) kept a handle")
	}
}
