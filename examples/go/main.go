// Identify one user, then a batch, then updates delivered in the background, against the
// emulator started in-process (no credentials).
// With a real account, build the client from logrocket.Config{} and set LOGROCKET_API_KEY and
// LOGROCKET_APP_ID ("org/app") instead.
//
//	scripts/install-c.sh --prefix target/c-prefix
//	export PKG_CONFIG_PATH=$PWD/target/c-prefix/lib/pkgconfig
//	cd examples/go && go run .
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	logrocket "github.com/logrocket-identify/logrocket-identify/bindings/go"
)

func main() {
	// The library's own log (retries at debug, updates not delivered at warn) goes to slog;
	// it never holds the API key or what was sent.
	if err := logrocket.SetLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))); err != nil {
		log.Fatal(err)
	}
	emulator, err := logrocket.StartEmulator()
	if err != nil {
		log.Fatal(err)
	}
	defer emulator.Close()

	cfg := emulator.Config("acme/web")
	// Background updates that cannot be delivered are reported here, never dropped silently.
	cfg.OnFailure = func(userID string, err error, updates uint64) {
		log.Printf("not delivered: %s: %v", userID, err)
	}
	client, err := logrocket.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close() // delivers what is still queued (within a default deadline), then frees

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	user, err := client.Identify(ctx, "user-42", logrocket.Identify{
		Name:      "John Smith",
		Email:     "john@example.com",
		Timestamp: time.Now(),
		Traits:    map[string]any{"plan": "pro", "mrr": 99.5, "seats": 12, "trial": false},
		Unset:     []string{"old_campaign"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("identified %s: plan=%s mrr=%s\n", user.UserID, user.Traits["plan"], user.Traits["mrr"])

	_, err = client.Identify(ctx, "user-43", logrocket.Identify{Traits: map[string]any{"address": map[string]string{"city": "Paris"}}})
	var invalid *logrocket.ValidationError
	if !errors.As(err, &invalid) {
		log.Fatalf("expected a ValidationError, got %v", err)
	}
	// err.Error() is the core's whole text; Field and Message are its parts, for code.
	fmt.Printf("rejected before sending: %v\n  (field %s, API message %q)\n", err, invalid.Field, invalid.Message)

	inputs := make([]logrocket.Input, 0, 101)
	for i := 0; i < 100; i++ {
		inputs = append(inputs, logrocket.Input{UserID: fmt.Sprintf("customer-%d", i), Identify: logrocket.Identify{Traits: map[string]any{"revenue": i * 10}}})
	}
	inputs = append(inputs, logrocket.Input{UserID: ""})
	report, err := client.IdentifyMany(ctx, inputs)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("bulk: %d of %d identified, %d failed\n", report.Succeeded, report.Total, len(report.Failures))
	for _, failure := range report.Failures {
		fmt.Printf("  row %d: %v\n", failure.Index, failure.Err)
	}
	if report.Succeeded != 100 || len(report.Failures) != 1 {
		log.Fatal("unexpected report")
	}

	// In a request handler: Enqueue validates and returns without waiting for the network.
	for i := 0; i < 50; i++ {
		if err := client.Enqueue(fmt.Sprintf("visitor-%d", i), logrocket.Identify{Traits: map[string]any{"page_views": i}}); err != nil {
			log.Fatal(err) // a *ValidationError, or a *QueueFullError when the queue stays full
		}
	}
	// Before the process ends (or a serverless handler returns): wait for delivery, within ctx.
	summary, err := client.Flush(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("background: %d delivered, %d failed, %d pending\n", summary.Delivered, summary.Failed, summary.Pending)
	if summary.Delivered != 50 {
		log.Fatal("unexpected summary")
	}
}
