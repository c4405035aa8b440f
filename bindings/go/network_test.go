package logrocket

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The network settings against the emulator over HTTPS and a real forward proxy (tinyproxy,
// started by the shared tests/proxy/tinyproxy.sh, whose log shows each CONNECT). Every client
// here sets DisableProxyFromEnv unless the test is about the environment, and clearProxyEnv
// empties the proxy variables for the test, so that a proxy in the CI environment changes
// nothing.

var proxyVariables = []string{
	"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy",
}

// clearProxyEnv unsets every proxy variable for the test; t.Setenv restores them after it.
func clearProxyEnv(t *testing.T) {
	t.Helper()
	for _, name := range proxyVariables {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
}

func tlsEmulator(t *testing.T, options ...EmulatorOption) *Emulator {
	t.Helper()
	emulator, err := StartEmulator(append([]EmulatorOption{WithTLS()}, options...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emulator.Close)
	return emulator
}

// netConfig points at emulator, trusting its CA, ignoring the proxy environment.
func netConfig(emulator *Emulator) Config {
	cfg := emulator.Config("acme/net")
	cfg.DisableProxyFromEnv = true
	cfg.MaxRetries = -1
	return cfg
}

func emulatorPort(t *testing.T, emulator *Emulator) int {
	t.Helper()
	port, err := strconv.Atoi(emulator.URL()[strings.LastIndex(emulator.URL(), ":")+1:])
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func protocols(emulator *Emulator) []string {
	var out []string
	for _, r := range emulator.Requests() {
		out = append(out, r.Protocol)
	}
	return out
}

// tinyproxy is a running tests/proxy/tinyproxy.sh.
type tinyproxy struct {
	dir  string
	port int
}

// startProxy starts tinyproxy for the test, asking for credentials ("user:password") if given.
func startProxy(t *testing.T, credentials ...string) *tinyproxy {
	t.Helper()
	script, err := filepath.Abs("../../tests/proxy/tinyproxy.sh")
	if err != nil {
		t.Fatal(err)
	}
	p := &tinyproxy{dir: t.TempDir()}
	out, err := exec.Command(script, append([]string{"start", p.dir}, credentials...)...).Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("tinyproxy.sh start: %v: %s", err, exit.Stderr)
		}
		t.Fatalf("tinyproxy.sh start: %v", err)
	}
	if p.port, err = strconv.Atoi(strings.TrimSpace(string(out))); err != nil {
		t.Fatalf("tinyproxy.sh printed %q", out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(script, "stop", p.dir).CombinedOutput(); err != nil {
			t.Errorf("tinyproxy.sh stop: %v: %s", err, out)
		}
	})
	return p
}

// url is the proxy's URL, with "user:password@" when credentials are given.
func (p *tinyproxy) url(credentials string) string {
	if credentials != "" {
		credentials += "@"
	}
	return fmt.Sprintf("http://%s127.0.0.1:%d", credentials, p.port)
}

// count is how many lines of the proxy's log hold needle.
func (p *tinyproxy) count(t *testing.T, needle string) int {
	t.Helper()
	log, err := os.ReadFile(filepath.Join(p.dir, "tinyproxy.log"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(log), needle)
}

// connects is how many CONNECTs to 127.0.0.1:port the proxy logged.
func (p *tinyproxy) connects(t *testing.T, port int) int {
	return p.count(t, fmt.Sprintf("): CONNECT 127.0.0.1:%d ", port))
}

// requests is how many requests of any kind the proxy logged.
func (p *tinyproxy) requests(t *testing.T) int { return p.count(t, "Request (file descriptor") }

func identifyOnce(t *testing.T, cfg Config, userID string) (*Client, error) {
	t.Helper()
	client := newClient(t, cfg)
	_, err := client.Identify(context.Background(), userID, Identify{Traits: map[string]any{"plan": "pro"}})
	return client, err
}

func stored(t *testing.T, emulator *Emulator, userID string) bool {
	t.Helper()
	user, err := emulator.User("acme/net", userID)
	if err != nil {
		t.Fatal(err)
	}
	return user != nil && user.Traits["plan"] == "pro"
}

// transportError is err's *TransportError, failing the test when err is not one.
func transportError(t *testing.T, err error) *TransportError {
	t.Helper()
	var transport *TransportError
	if !errors.As(err, &transport) {
		t.Fatalf("expected a *TransportError, got %T: %v", err, err)
	}
	if err.Error() != "transport error ("+transport.Reason+"): "+transport.Message {
		t.Errorf("text %q for %+v", err, transport)
	}
	return transport
}

// 1. HTTPS trusted through the CA option (PEM text or a file): HTTP/2, or HTTP/1.1 when asked.
func TestHTTPSWithTheCATrusted(t *testing.T) {
	clearProxyEnv(t)
	emulator := tlsEmulator(t)
	if !strings.HasPrefix(emulator.URL(), "https://127.0.0.1:") || !strings.HasPrefix(emulator.CACertPEM(), "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("url %s, PEM %.30q", emulator.URL(), emulator.CACertPEM())
	}
	if pem, err := os.ReadFile(emulator.CACertPath()); err != nil || string(pem) != emulator.CACertPEM() {
		t.Fatalf("CA file %s: %v", emulator.CACertPath(), err)
	}

	byPEM := netConfig(emulator) // Emulator.Config trusts the CA by its PEM text
	if _, err := identifyOnce(t, byPEM, "h2-pem"); err != nil {
		t.Fatal(err)
	}
	byPath := netConfig(emulator)
	byPath.CACert = emulator.CACertPath()
	if _, err := identifyOnce(t, byPath, "h2-path"); err != nil {
		t.Fatal(err)
	}
	http1 := byPath
	http1.HTTP1Only = true
	if _, err := identifyOnce(t, http1, "h1"); err != nil {
		t.Fatal(err)
	}
	if got := protocols(emulator); strings.Join(got, ",") != "HTTP/2.0,HTTP/2.0,HTTP/1.1" {
		t.Errorf("protocols %v", got)
	}
	for _, id := range []string{"h2-pem", "h2-path", "h1"} {
		if !stored(t, emulator, id) {
			t.Errorf("%s not stored", id)
		}
	}

	// A plain emulator has no CA, and speaks HTTP/1.1.
	plain, client := startEmulator(t)
	if plain.CACertPEM() != "" || plain.CACertPath() != "" || !strings.HasPrefix(plain.URL(), "http://") {
		t.Errorf("plain emulator: %s %q %q", plain.URL(), plain.CACertPath(), plain.CACertPEM())
	}
	if _, err := client.Identify(context.Background(), "plain", Identify{}); err != nil {
		t.Fatal(err)
	}
	if got := protocols(plain); len(got) != 1 || got[0] != "HTTP/1.1" {
		t.Errorf("plain protocols %v", got)
	}
}

// WithCACertPath writes the CA where asked and leaves it after Close; without it the
// temporary file goes at Close.
func TestEmulatorCACertPath(t *testing.T) {
	clearProxyEnv(t)
	path := filepath.Join(t.TempDir(), "ca.pem")
	named, err := StartEmulator(WithCACertPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if named.CACertPath() != path || !strings.HasPrefix(named.URL(), "https://") {
		t.Errorf("path %q, url %s", named.CACertPath(), named.URL())
	}
	cfg := netConfig(named)
	cfg.CACert = path
	if _, err := identifyOnce(t, cfg, "named"); err != nil {
		t.Fatal(err)
	}
	named.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("named CA file gone after Close: %v", err)
	}

	chosen, err := StartEmulator(WithTLS())
	if err != nil {
		t.Fatal(err)
	}
	temporary := chosen.CACertPath()
	if _, err := os.Stat(temporary); err != nil {
		t.Errorf("temporary CA file: %v", err)
	}
	chosen.Close()
	if _, err := os.Stat(temporary); !os.IsNotExist(err) {
		t.Errorf("temporary CA file %s still there after Close: %v", temporary, err)
	}
}

// 2. Without the CA: a *TransportError of reason tls, not retried, nothing recorded.
func TestHTTPSWithoutTheCAIsTLSAndNotRetried(t *testing.T) {
	clearProxyEnv(t)
	emulator := tlsEmulator(t)
	cfg := netConfig(emulator)
	cfg.CACert = ""
	cfg.MaxRetries = 3
	client, err := identifyOnce(t, cfg, "untrusted")
	transport := transportError(t, err)
	if transport.Reason != "tls" || transport.Retryable {
		t.Errorf("untrusted: %+v", transport)
	}
	if n := client.Counters().Retried; n != 0 {
		t.Errorf("retried %d times", n)
	}
	if n := len(emulator.Requests()); n != 0 {
		t.Errorf("%d requests reached the emulator", n)
	}

	// Errors of other kinds are not transport errors.
	if err := emulator.AddFaults(Fault{Status: 400}); err != nil {
		t.Fatal(err)
	}
	_, err = identifyOnce(t, netConfig(emulator), "api-error")
	var api *APIError
	if !errors.As(err, &api) || errors.As(err, &transport) {
		t.Errorf("api error: %T %v", err, err)
	}
}

// 3. Through the proxy, from HTTPS_PROXY and from Config.Proxy: one CONNECT per request.
func TestHTTPSThroughTheProxy(t *testing.T) {
	clearProxyEnv(t)
	emulator := tlsEmulator(t)
	proxy := startProxy(t)
	port := emulatorPort(t, emulator)

	// From the environment, read when the client is built.
	t.Setenv("HTTPS_PROXY", proxy.url(""))
	fromEnv := netConfig(emulator)
	fromEnv.DisableProxyFromEnv = false
	if _, err := identifyOnce(t, fromEnv, "env"); err != nil {
		t.Fatal(err)
	}
	if n := proxy.connects(t, port); n != 1 {
		t.Errorf("%d CONNECTs for one request", n)
	}
	if !stored(t, emulator, "env") {
		t.Error("not stored through the proxy")
	}

	// A client with DisableProxyFromEnv goes direct, HTTPS_PROXY or not.
	before := proxy.requests(t)
	if _, err := identifyOnce(t, netConfig(emulator), "direct"); err != nil {
		t.Fatal(err)
	}
	if n := proxy.requests(t); n != before {
		t.Errorf("DisableProxyFromEnv went through the proxy: %d requests, %d before", n, before)
	}
	os.Unsetenv("HTTPS_PROXY")

	// Explicit, one client per request (each opens its own tunnel).
	for i := 0; i < 2; i++ {
		before := proxy.connects(t, port)
		explicit := netConfig(emulator)
		explicit.Proxy = proxy.url("")
		userID := fmt.Sprintf("explicit-%d", i)
		if _, err := identifyOnce(t, explicit, userID); err != nil {
			t.Fatal(err)
		}
		if n := proxy.connects(t, port); n != before+1 {
			t.Errorf("%d CONNECTs, %d before", n, before)
		}
		if !stored(t, emulator, userID) {
			t.Errorf("%s not stored", userID)
		}
	}
}

// 4. NO_PROXY=127.0.0.1 bypasses HTTPS_PROXY: sent directly, no CONNECT.
func TestNoProxyBypassesTheEnvironmentsProxy(t *testing.T) {
	clearProxyEnv(t)
	emulator := tlsEmulator(t)
	proxy := startProxy(t)
	t.Setenv("HTTPS_PROXY", proxy.url(""))
	t.Setenv("NO_PROXY", "127.0.0.1")
	cfg := netConfig(emulator)
	cfg.DisableProxyFromEnv = false
	if _, err := identifyOnce(t, cfg, "bypass"); err != nil {
		t.Fatal(err)
	}
	if n := proxy.requests(t); n != 0 {
		t.Errorf("%d requests reached the proxy", n)
	}
	if !stored(t, emulator, "bypass") {
		t.Error("not stored")
	}
}

// shown is everything fmt and the error could reveal about a client and its configuration.
func shown(cfg Config, client *Client, err error) string {
	var b strings.Builder
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		fmt.Fprintf(&b, format+"\n", cfg)
		fmt.Fprintf(&b, format+"\n", &cfg)
		fmt.Fprintf(&b, format+"\n", client)
		fmt.Fprintf(&b, format+"\n", struct{ Config Config }{cfg})
	}
	fmt.Fprintln(&b, cfg.String(), cfg.GoString())
	if err != nil {
		fmt.Fprintf(&b, "%v %+v %#v %s\n", err, err, err, err.Error())
	}
	return b.String()
}

// 5. The proxy's credentials: the right ones tunnel, a wrong password is reason proxy, tried
// once, and neither appears anywhere.
func TestProxyCredentials(t *testing.T) {
	clearProxyEnv(t)
	emulator := tlsEmulator(t)
	proxy := startProxy(t, "alice:s3cret")
	port := emulatorPort(t, emulator)

	right := netConfig(emulator)
	right.Proxy = proxy.url("alice:s3cret")
	client, err := identifyOnce(t, right, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if n := proxy.connects(t, port); n != 1 || !stored(t, emulator, "alice") {
		t.Errorf("%d CONNECTs", n)
	}
	if text := shown(right, client, nil); strings.Contains(text, "s3cret") || strings.Contains(text, "alice") ||
		!strings.Contains(text, "http://<redacted>@127.0.0.1:") || strings.Contains(text, emulator.APIKey()+`"`) {
		t.Errorf("shown:\n%s", text)
	}

	emulator.Reset()
	before := proxy.connects(t, port)
	wrong := netConfig(emulator)
	wrong.Proxy = proxy.url("alice:wrong")
	wrong.MaxRetries = 3
	client, err = identifyOnce(t, wrong, "mallory")
	transport := transportError(t, err)
	if transport.Reason != "proxy" || transport.Retryable {
		t.Errorf("wrong password: %+v", transport)
	}
	if n := proxy.connects(t, port) - before; n != 1 {
		t.Errorf("tried %d times", n)
	}
	if n := client.Counters().Retried; n != 0 {
		t.Errorf("retried %d times", n)
	}
	if n := len(emulator.Requests()); n != 0 {
		t.Errorf("%d requests reached the emulator", n)
	}
	if text := shown(wrong, client, err); strings.Contains(text, "wrong") || strings.Contains(text, "alice") ||
		strings.Contains(text, "s3cret") {
		t.Errorf("shown:\n%s", text)
	}
}

// A proxy URL the core refuses, a CA it cannot read, a connect timeout: *ConfigError or
// accepted, the password never in the text.
func TestNetworkConfigErrors(t *testing.T) {
	clearProxyEnv(t)
	emulator := tlsEmulator(t)
	cfg := netConfig(emulator)
	cfg.Proxy = "socks9://alice:s3cret@proxy:1080"
	_, err := New(cfg)
	var config *ConfigError
	if !errors.As(err, &config) || !strings.HasPrefix(err.Error(), "configuration error: proxy scheme") ||
		strings.Contains(err.Error(), "s3cret") {
		t.Errorf("bad proxy: %v", err)
	}
	if text := shown(cfg, nil, err); strings.Contains(text, "s3cret") || !strings.Contains(text, "<redacted>") {
		t.Errorf("shown:\n%s", text)
	}

	cfg = netConfig(emulator)
	cfg.CACert = "/no/such/ca.pem"
	_, err = New(cfg)
	if !errors.As(err, &config) || !strings.Contains(err.Error(), "cannot read the CA certificate file /no/such/ca.pem") {
		t.Errorf("missing CA: %v", err)
	}
	cfg.CACert = "-----BEGIN NOTHING-----\n"
	_, err = New(cfg)
	if !errors.As(err, &config) || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("empty PEM: %v", err)
	}
	cfg.CACert = "a\xffb"
	_, err = New(cfg)
	if !errors.As(err, &config) || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("CA not UTF-8: %v", err)
	}

	cfg = netConfig(emulator)
	cfg.ConnectTimeout = time.Nanosecond // rounds up to 1 ms, like Timeout
	newClient(t, cfg)
	cfg.ConnectTimeout = 2 * time.Second
	if _, err := identifyOnce(t, cfg, "connect-timeout"); err != nil {
		t.Fatal(err)
	}
}

// The proxy URL is shown as the core shows it: credentials redacted, whatever its form.
func TestRedactedProxy(t *testing.T) {
	for raw, want := range map[string]string{
		"":                                  "",
		"http://proxy.internal:3128":        "http://proxy.internal:3128",
		"http://alice:s3cret@proxy:3128":    "http://<redacted>@proxy:3128",
		"https://alice@proxy:3128/x":        "https://<redacted>@proxy:3128/x",
		"alice:s3cret@proxy:3128":           "<redacted>",
		"http://alice:s3%cret@proxy:3128":   "<redacted>",
		"//alice:s3cret@proxy:3128":         "<redacted>",
		"http://proxy:3128/?contact=a@b.c":  "http://proxy:3128/?contact=a@b.c",
		"http://a:b@c@proxy.internal:3128/": "http://<redacted>@proxy.internal:3128/",
	} {
		if got := redactedProxy(raw); got != want {
			t.Errorf("%q: %q, want %q", raw, got, want)
		}
	}
	cfg := Config{APIKey: "key-123", Proxy: "http://alice:s3cret@proxy:3128", App: "acme/web"}
	if got := fmt.Sprintf("%+v", cfg); !strings.Contains(got, "APIKey:<redacted>") || !strings.Contains(got, "App:acme/web") ||
		!strings.Contains(got, "Proxy:http://<redacted>@proxy:3128") {
		t.Errorf("%%+v: %s", got)
	}
	if got := fmt.Sprintf("%#v", cfg); !strings.HasPrefix(got, "logrocket.Config{APIKey:\"<redacted>\"") {
		t.Errorf("%%#v: %s", got)
	}
	if cfg.APIKey != "key-123" || cfg.Proxy != "http://alice:s3cret@proxy:3128" {
		t.Error("formatting changed the Config")
	}
}

// 6. A host name that does not resolve: reason dns, not retried.
func TestUnresolvableHostIsDNSAndNotRetried(t *testing.T) {
	clearProxyEnv(t)
	cfg := Config{APIKey: "k", App: "acme/net", BaseURL: "https://no-such-host.invalid", MaxRetries: 3, DisableProxyFromEnv: true}
	start := time.Now()
	client, err := identifyOnce(t, cfg, "nobody")
	took := time.Since(start)
	transport := transportError(t, err)
	if transport.Reason != "dns" || transport.Retryable || !strings.Contains(err.Error(), "cannot resolve no-such-host.invalid") {
		t.Errorf("dns: %+v", transport)
	}
	// The counter proves it: the backoff (full jitter) may be near 0, so time alone would not.
	if n := client.Counters().Retried; n != 0 {
		t.Errorf("retried %d times", n)
	}
	t.Logf("failed in %v", took)
}
