package logrocket

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The API key and the proxy's credentials appear in no output (issue 11 §4). The work runs in a
// child process (this test binary again, with LR_GO_SECRETS_CHILD set) so that everything the
// process writes to stdout and stderr is captured with the slog output: SetLogger at the
// library's most verbose level (trace, below slog.LevelDebug) and RUST_LOG=trace in its
// environment. The logger gets the library's own events only (targets logrocket_identify*):
// the Go binding has no way to see reqwest's, hyper's or rustls's, and the library installs no
// other subscriber, so RUST_LOG changes nothing (set to show that).

const (
	secretKey         = "secret-key-4f9a2c7e1b"
	proxyCredentials  = "proxyuser:proxy-secret-77"
	proxyAuthBase64   = "cHJveHl1c2VyOnByb3h5LXNlY3JldC03Nw=="
	secretsChildEnv   = "LR_GO_SECRETS_CHILD"
	secretsChildProxy = "LR_GO_SECRETS_PROXY"
)

func TestNoSecretInAnyOutputAtTrace(t *testing.T) {
	if os.Getenv(secretsChildEnv) != "" {
		t.Skip("the child runs TestSecretsChild")
	}
	clearProxyEnv(t)
	proxy := startProxy(t, proxyCredentials)
	child := exec.Command(os.Args[0], "-test.run=^TestSecretsChild$", "-test.v", "-test.count=1")
	child.Env = append(os.Environ(), secretsChildEnv+"=1", secretsChildProxy+"="+proxy.url(proxyCredentials),
		"RUST_LOG=trace", "LOGROCKET_LOG=trace")
	out, err := child.CombinedOutput()
	text := string(out)
	if err != nil || !strings.Contains(text, "--- PASS: TestSecretsChild") {
		t.Fatalf("the child failed: %v\n%s", err, text)
	}
	if n := proxy.count(t, "Request (file descriptor"); n < 8 {
		t.Errorf("tinyproxy logged %d requests, expected at least 8", n)
	}
	if !strings.Contains(text, "target=logrocket_identify") {
		t.Errorf("no library log line in the child's output:\n%s", text)
	}
	for _, secret := range []string{secretKey, "proxy-secret-77", proxyAuthBase64} {
		if strings.Contains(text, secret) {
			t.Errorf("the output holds %q:\n%s", secret, text)
		}
	}
}

// TestSecretsChild is the child's work; it prints every error and the whole log to stdout.
func TestSecretsChild(t *testing.T) {
	if os.Getenv(secretsChildEnv) == "" {
		t.Skip("run by TestNoSecretInAnyOutputAtTrace")
	}
	if err := SetLogger(slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: levelTrace}))); err != nil {
		t.Fatal(err)
	}
	defer SetLogger(nil)
	emulator, err := StartEmulator(withAPIKey(secretKey))
	if err != nil {
		t.Fatal(err)
	}
	defer emulator.Close()
	cfg := emulator.Config("acme/secrets")
	cfg.DisableProxyFromEnv = true
	cfg.Proxy = os.Getenv(secretsChildProxy)
	cfg.MaxRetries = 2
	client, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	show := func(what string, v any) { fmt.Printf("%s: %v | %+v | %#v\n", what, v, v, v) }
	// Each fault after Reset: through tinyproxy an attempt now and then fails on a pooled
	// connection the proxy has closed (a transport error, retried), leaving a fault unused.
	faults := func(script ...Fault) {
		emulator.Reset()
		must(t, emulator.AddFaults(script...))
	}

	if _, err := client.Identify(ctx, "u1", Identify{}); err != nil {
		t.Fatal(err)
	}
	faults(Fault{Status: 500}, Fault{Status: 500}, Fault{Status: 500})
	_, err = client.Identify(ctx, "u-500", Identify{})
	if err == nil {
		t.Fatal("a 500 twice succeeded")
	}
	show("500", err)
	faults(Fault{Status: 400})
	_, err = client.Identify(ctx, "u-400", Identify{})
	if err == nil {
		t.Fatal("a 400 succeeded")
	}
	show("400", err)
	faults(Fault{Status: 422})
	report, err := client.IdentifyMany(ctx, []Input{{UserID: "b1"}, {UserID: "b2"}, {UserID: "b3"}})
	if err != nil || len(report.Failures) != 1 {
		t.Fatalf("bulk: %v %+v", err, report)
	}
	show("report", report)
	faults(Fault{Status: 400})
	must(t, client.Enqueue("q1", Identify{}))
	shutdown, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	summary, err := client.Shutdown(shutdown)
	show("shutdown", summary)
	show("shutdown error", err)
	show("client", client)
	show("config", cfg.String())
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
