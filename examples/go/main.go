// Identify one user, then a batch, against the emulator started in-process (no credentials).
// With a real account, build the client from logrocket.Config{} and set LOGROCKET_API_KEY and
// LOGROCKET_APP_ID ("org/app") instead.
//
//	cargo build -p logrocket-ffi && (cd examples/go && go run .)
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	logrocket "github.com/logrocket-identify/logrocket-identify/bindings/go"
)

func main() {
	emulator, err := logrocket.StartEmulator()
	if err != nil {
		log.Fatal(err)
	}
	defer emulator.Close()

	client, err := logrocket.New(emulator.Config("acme/web"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

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
	fmt.Printf("rejected before sending: %s: %s\n", invalid.Field, invalid.Message)

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
}
