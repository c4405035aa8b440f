// The fault matrix's Go client: sends a JSON Lines file of users through Client.IdentifyMany
// (bulk) or Client.Enqueue + Shutdown (enqueue), and writes what the client itself says
// happened as JSON (see tests/faults/check.py for the format).
//
//	faults-go bulk|enqueue URL CA_OR_EMPTY INPUT.jsonl OUT.json
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	logrocket "github.com/logrocket-identify/logrocket-identify/bindings/go"
)

type failure struct {
	Index   *int    `json:"index"`
	UserID  string  `json:"user_id"`
	Updates uint64  `json:"updates,omitempty"`
	Kind    string  `json:"kind"`
	Status  *int    `json:"status"`
	Reason  *string `json:"reason"`
	Message string  `json:"message"`
}

type result struct {
	Client    string                  `json:"client"`
	Mode      string                  `json:"mode"`
	Seconds   float64                 `json:"seconds"`
	Total     int                     `json:"total"`
	Succeeded uint64                  `json:"succeeded"`
	Retried   uint64                  `json:"retried"`
	Failures  []failure               `json:"failures"`
	Summary   *logrocket.FlushSummary `json:"summary,omitempty"`
	Counters  *logrocket.Counters     `json:"counters,omitempty"`
}

// describe fills a failure's kind, status, reason and text from a typed error.
func describe(f *failure, err error) {
	f.Message = err.Error()
	var validation *logrocket.ValidationError
	var api *logrocket.APIError
	var transport *logrocket.TransportError
	var timeout *logrocket.TimeoutError
	var queueFull *logrocket.QueueFullError
	var closed *logrocket.ClosedError
	switch {
	case errors.As(err, &validation):
		f.Kind = "validation"
	case errors.As(err, &api):
		f.Kind = "api"
		f.Status = &api.Status
	case errors.As(err, &transport):
		f.Kind = "transport"
		f.Reason = &transport.Reason
	case errors.As(err, &timeout):
		f.Kind = "timeout"
	case errors.As(err, &queueFull):
		f.Kind = "queue_full"
	case errors.As(err, &closed):
		f.Kind = "closed"
	default:
		f.Kind = fmt.Sprintf("unexpected %T", err)
	}
}

type row struct {
	UserID    string         `json:"user_id"`
	Name      string         `json:"name"`
	Email     string         `json:"email"`
	Timestamp int64          `json:"timestamp"`
	Traits    map[string]any `json:"traits"`
}

func readInputs(path string) ([]logrocket.Input, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var inputs []logrocket.Input
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		var r row
		decoder := json.NewDecoder(bytes.NewReader(scanner.Bytes()))
		decoder.UseNumber() // integers stay integers (json.Number is a trait type the client takes)
		if err := decoder.Decode(&r); err != nil {
			return nil, err
		}
		in := logrocket.Input{UserID: r.UserID, Identify: logrocket.Identify{
			Name: r.Name, Email: r.Email, Traits: r.Traits,
		}}
		if r.Timestamp != 0 {
			in.Timestamp = time.UnixMilli(r.Timestamp)
		}
		inputs = append(inputs, in)
	}
	return inputs, scanner.Err()
}

func env(name string) string {
	value, ok := os.LookupEnv(name)
	if !ok {
		fmt.Fprintf(os.Stderr, "%s is not set\n", name)
		os.Exit(2)
	}
	return value
}

func envInt(name string) int {
	value, err := strconv.Atoi(env(name))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	return value
}

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: faults-go bulk|enqueue URL CA_OR_EMPTY INPUT.jsonl OUT.json")
		os.Exit(2)
	}
	mode, url, ca, inputPath, outPath := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	inputs, err := readInputs(inputPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reading the input:", err)
		os.Exit(1)
	}
	// FAULTS_DEBUG=1: the library's debug log on stderr (the adaptive engine's decisions), for
	// looking into a run.
	if os.Getenv("FAULTS_DEBUG") == "1" {
		handler := slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
		if err := logrocket.SetLogger(slog.New(handler)); err != nil {
			fmt.Fprintln(os.Stderr, "SetLogger:", err)
			os.Exit(1)
		}
	}
	timeout := time.Duration(envInt("FAULTS_TIMEOUT_MS")) * time.Millisecond
	var mu sync.Mutex
	var hookFailures []failure
	client, err := logrocket.New(logrocket.Config{
		APIKey:              env("FAULTS_API_KEY"),
		App:                 env("FAULTS_APP"),
		BaseURL:             url,
		CACert:              ca,
		DisableProxyFromEnv: true,
		Timeout:             timeout,
		ConnectTimeout:      min(timeout, time.Second),
		MaxRetries:          envInt("FAULTS_RETRIES"),
		// Background delivery: a small queue, so that Enqueue meets back-pressure and waits.
		QueueCapacity:  1000,
		WhenFull:       logrocket.WhenFullBlock,
		EnqueueTimeout: 120 * time.Second,
		OnFailure: func(userID string, err error, updates uint64) {
			f := failure{UserID: userID, Updates: updates}
			describe(&f, err)
			mu.Lock()
			hookFailures = append(hookFailures, f)
			mu.Unlock()
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "logrocket.New:", err)
		os.Exit(1)
	}
	res := result{Client: "go", Mode: mode, Total: len(inputs), Failures: []failure{}}
	started := time.Now()
	if mode == "bulk" {
		report, err := client.IdentifyMany(context.Background(), inputs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "IdentifyMany:", err)
			os.Exit(1)
		}
		res.Seconds = time.Since(started).Seconds()
		res.Total = report.Total
		res.Succeeded = uint64(report.Succeeded)
		for _, f := range report.Failures {
			index := f.Index
			out := failure{Index: &index, UserID: f.UserID}
			describe(&out, f.Err)
			res.Failures = append(res.Failures, out)
		}
	} else {
		for index, in := range inputs {
			if err := client.Enqueue(in.UserID, in.Identify); err != nil {
				i := index
				out := failure{Index: &i, UserID: in.UserID}
				describe(&out, err)
				res.Failures = append(res.Failures, out)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(),
			time.Duration(envInt("FAULTS_CLOSE_TIMEOUT_MS"))*time.Millisecond)
		summary, err := client.Shutdown(ctx)
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "Shutdown:", err)
		}
		res.Seconds = time.Since(started).Seconds()
		counters := client.Counters()
		res.Summary = &summary
		res.Counters = &counters
		res.Succeeded = counters.Delivered
		mu.Lock()
		res.Failures = append(res.Failures, hookFailures...)
		mu.Unlock()
	}
	// Retried attempts: the client's count, IdentifyMany's included.
	res.Retried = client.Counters().Retried
	if err := client.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "Close:", err)
	}
	out, err := json.Marshal(res)
	if err == nil {
		err = os.WriteFile(outPath, out, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "writing the result:", err)
		os.Exit(1)
	}
}
