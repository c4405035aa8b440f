// Package logrocket sends user data (name, email, traits) to LogRocket's User Identification
// API, one user or many, through the Rust core's C library (see cgo.go for how it is linked).
//
//	client, err := logrocket.New(logrocket.Config{APIKey: key, App: "acme/web"})
//	user, err := client.Identify(ctx, "user-42", logrocket.Identify{
//		Name:   "John Smith",
//		Traits: map[string]any{"plan": "pro", "seats": 12},
//	})
//
// Or in the background, without waiting for the network (see Enqueue, Flush and Shutdown):
//
//	err = client.Enqueue("user-42", logrocket.Identify{Traits: map[string]any{"plan": "pro"}})
//	summary, err := client.Flush(ctx) // before the process or a serverless handler ends
//
// Errors are typed for errors.As (*ValidationError, *APIError, *TransportError, ...); each
// one's Error() is the core's whole text, the same in every language the SDK has, and its
// Message field the bare text. SetLogger hands the library's own log to a *slog.Logger.
package logrocket

/*
#include <stdlib.h>
#include "logrocket_identify.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Config configures a Client. Fields left zero fall back to the environment
// (LOGROCKET_API_KEY, LOGROCKET_APP_ID as "org/app", LOGROCKET_BASE_URL), then to the defaults.
type Config struct {
	APIKey string
	// App as "org/app", the form LogRocket's own SDK uses; or OrgID and AppID separately.
	App   string
	OrgID string
	AppID string
	// BaseURL defaults to https://api.logrocket.com; plain http is refused except for loopback.
	BaseURL string
	// Timeout bounds one attempt (default 10s).
	Timeout time.Duration
	// MaxRetries after the first attempt: 0 means the default (3), negative disables retries.
	MaxRetries int
	// Concurrency is the most requests IdentifyMany and background delivery keep in flight
	// (0: the library's default, 1024); below it the client finds the server's pace by itself
	// (adaptive concurrency). A negative value is a *ConfigError.
	Concurrency int
	// AllowInsecureHTTP allows plain http:// to hosts that are not loopback.
	AllowInsecureHTTP bool
	// RateLimit caps the client at this many attempts per second, across every request it
	// makes (Identify, IdentifyMany, background delivery, retries included), spaced evenly so
	// that a server with a known quota never sees a burst above it. Fractions are allowed
	// (0.5: one attempt every two seconds). 0 means no limit; any other value the core
	// refuses (negative, NaN, infinite, above 1e9) makes New return its *ConfigError.
	RateLimit float64

	// Network. The defaults are curl's: the proxy environment variables, the system's trust
	// store plus Mozilla's roots, HTTP/2 when the server offers it. Certificates are always
	// verified.

	// Proxy sends every request through this proxy, "http://user:password@host:port" (an
	// https:// proxy URL works too), whatever the environment says; NO_PROXY still names the
	// hosts reached directly unless DisableProxyFromEnv is set. Like APIKey, its credentials
	// never appear in an error or in fmt's output of a Config. A URL the core cannot use makes
	// New return a *ConfigError (without the password).
	Proxy string
	// DisableProxyFromEnv ignores HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY (in either
	// case), which are honoured by default. They are read by New: set them before building the
	// client.
	DisableProxyFromEnv bool
	// CACert is a CA certificate to trust on top of the system's: PEM text (anything holding
	// "-----BEGIN"), or the path of a PEM file, which may hold several. For a corporate or
	// TLS-inspecting proxy, or a test server (Emulator.CACertPEM). A file that cannot be read,
	// or text holding no certificate, makes New return a *ConfigError.
	CACert string
	// HTTP1Only speaks HTTP/1.1 even to a server that offers HTTP/2.
	HTTP1Only bool
	// ConnectTimeout bounds opening a connection (TCP, the proxy's tunnel, TLS), apart from
	// Timeout, so that a host that does not answer fails fast and is retried (0: the library's
	// default, 5s; never longer than Timeout).
	ConnectTimeout time.Duration

	// Background delivery (Enqueue, Flush, Shutdown). Zero values keep the library's defaults.

	// QueueCapacity bounds how many updates wait to be sent; negative is a *ConfigError.
	QueueCapacity int
	// QueueMaxBytes bounds the memory those updates hold; negative is a *ConfigError.
	QueueMaxBytes int
	// WhenFull is what Enqueue does when the queue is full (default WhenFullBlock).
	WhenFull WhenFull
	// EnqueueTimeout is how long WhenFullBlock waits for room before Enqueue returns a
	// *QueueFullError (0: the library's default, a brief wait). Other policies ignore it.
	EnqueueTimeout time.Duration
	// OnFailure, if set, receives every enqueued update that failed for good (an error the
	// API will not take back, or retries used up), was pushed out by WhenFullDropOldest
	// (*QueueFullError), or was still pending when Shutdown or Close gave up (*ClosedError).
	// updates is how many enqueued updates that one request carried (more than 1 when
	// several of the user's updates were coalesced). Calls are made one at a time, in order,
	// on a goroutine of the client's own, never on the goroutine calling Enqueue; Flush,
	// Shutdown and Close return only after the calls for failures they saw have been made
	// (Flush: unless its context ends first). It may call Enqueue, Identify and Counters, but
	// not Flush, Shutdown or Close, which would wait for it.
	OnFailure func(userID string, err error, updates uint64)
}

// Identify is one user's data. Zero fields are not sent: "" name or email, zero Timestamp,
// nil Traits. A nil trait value removes the trait, as does a name in Unset.
type Identify struct {
	Name      string
	Email     string
	Timestamp time.Time
	// Values: any Go integer or float type, bool, string, *big.Int, json.Number, or nil.
	// Anything else (maps, slices, structs, NaN) fails with a ValidationError naming the trait.
	Traits map[string]any
	Unset  []string
}

// User is the user as the API stored it; Name and Email are "" when it has none, and trait
// values are strings, as the API returns them.
type User struct {
	UserID string            `json:"user_id"`
	Name   string            `json:"name"`
	Email  string            `json:"email"`
	Traits map[string]string `json:"traits"`
}

// Client is safe for use by any number of goroutines.
type Client struct {
	mu       sync.RWMutex // held for reading by every call into the library, for writing by Close
	handle   *C.lr_client
	failures *failureHook // nil without Config.OnFailure
	final    Counters     // the totals when Close freed the library's client
}

// asConfigError keeps a setter's *ConfigError as the library wrote it; anything else a
// setter refuses (a value that is not UTF-8) is still bad configuration to the caller.
func asConfigError(err error) error {
	if _, ok := err.(*ConfigError); ok {
		return err
	}
	return &ConfigError{Message: err.Error()}
}

// New checks the configuration and builds a client; bad configuration gives a *ConfigError.
func New(cfg Config) (*Client, error) {
	var config *C.lr_config
	var cerr *C.lr_error
	if status := C.lr_config_new(true, &config, &cerr); status != C.LR_OK {
		return nil, takeError(status, cerr)
	}
	defer C.lr_config_free(config)
	setters := []struct {
		name  string
		value string
		set   func(*C.lr_config, *C.char, **C.lr_error) uint32
	}{
		{"APIKey", cfg.APIKey, func(c *C.lr_config, v *C.char, e **C.lr_error) uint32 { return C.lr_config_set_api_key(c, v, e) }},
		{"App", cfg.App, func(c *C.lr_config, v *C.char, e **C.lr_error) uint32 { return C.lr_config_set_app(c, v, e) }},
		{"OrgID", cfg.OrgID, func(c *C.lr_config, v *C.char, e **C.lr_error) uint32 { return C.lr_config_set_org_id(c, v, e) }},
		{"AppID", cfg.AppID, func(c *C.lr_config, v *C.char, e **C.lr_error) uint32 { return C.lr_config_set_app_id(c, v, e) }},
		{"BaseURL", cfg.BaseURL, func(c *C.lr_config, v *C.char, e **C.lr_error) uint32 { return C.lr_config_set_base_url(c, v, e) }},
		{"Proxy", cfg.Proxy, func(c *C.lr_config, v *C.char, e **C.lr_error) uint32 { return C.lr_config_set_proxy(c, v, e) }},
		{"CACert", cfg.CACert, func(c *C.lr_config, v *C.char, e **C.lr_error) uint32 { return C.lr_config_add_ca_cert(c, v, e) }},
	}
	for _, s := range setters {
		if s.value == "" {
			continue
		}
		// A C string ends at its first NUL: the library would see the value cut short (a key
		// "k\x00..." as "k") and could succeed with it. Refused here instead.
		if strings.IndexByte(s.value, 0) >= 0 {
			return nil, nulInConfig(s.name)
		}
		value := C.CString(s.value)
		status := s.set(config, value, &cerr)
		C.free(unsafe.Pointer(value))
		if status != C.LR_OK {
			return nil, asConfigError(takeError(status, cerr))
		}
	}
	if cfg.Timeout > 0 {
		C.lr_config_set_timeout_ms(config, C.uint64_t(max(cfg.Timeout.Milliseconds(), 1)), nil)
	}
	if cfg.MaxRetries < 0 {
		C.lr_config_set_max_retries(config, 0, nil)
	} else if cfg.MaxRetries > 0 {
		C.lr_config_set_max_retries(config, C.uint32_t(cfg.MaxRetries), nil)
	}
	if cfg.Concurrency != 0 {
		// A negative value becomes 0, which the library refuses with its own message.
		C.lr_config_set_concurrency(config, C.size_t(max(cfg.Concurrency, 0)), nil)
	}
	C.lr_config_set_allow_insecure_http(config, C.bool(cfg.AllowInsecureHTTP), nil)
	// Only the zero value is Go's own ("unset"); every other value, NaN included (NaN != 0), is
	// the core's to judge, so its message is the one every language gives.
	if cfg.RateLimit != 0 {
		C.lr_config_set_rate_limit(config, C.double(cfg.RateLimit), nil)
	}
	C.lr_config_set_proxy_from_env(config, C.bool(!cfg.DisableProxyFromEnv), nil)
	C.lr_config_set_http1_only(config, C.bool(cfg.HTTP1Only), nil)
	if cfg.ConnectTimeout > 0 {
		C.lr_config_set_connect_timeout_ms(config, C.uint64_t(max(cfg.ConnectTimeout.Milliseconds(), 1)), nil)
	}
	C.lr_config_set_user_agent(config, cUserAgent, nil)
	if err := setDelivery(config, cfg); err != nil {
		return nil, err
	}
	client := &Client{}
	if cfg.OnFailure != nil {
		client.failures = newFailureHook(cfg.OnFailure)
		if status := setOnFailure(config, client.failures.handle, &cerr); status != C.LR_OK {
			client.failures.stop()
			return nil, takeError(status, cerr)
		}
	}
	if status := C.lr_client_new(config, &client.handle, &cerr); status != C.LR_OK {
		if client.failures != nil {
			client.failures.stop()
		}
		return nil, takeError(status, cerr)
	}
	return client, nil
}

var cUserAgent = C.CString("logrocket-go")

// nulInConfig is the error for a configuration string holding a NUL byte, which no C string can
// carry. For the API key it is the library's own error for a key with a control character,
// which NUL is: the same error every other language gives for it.
func nulInConfig(name string) error {
	if name == "APIKey" {
		message := "the API key contains control characters and cannot be sent in a header"
		return &ConfigError{Message: message, text: "configuration error: " + message}
	}
	message := name + " contains a NUL byte, which the library cannot be given"
	return &ConfigError{Message: message, text: "configuration error: " + message}
}

// Close stops the client and frees it. It waits for calls in progress to return, then gives
// updates still queued the library's default close deadline to be delivered; those still
// pending after it reach OnFailure as a *ClosedError, and Close returns once OnFailure has
// been called for every failure (so OnFailure must not call Close). Calls made
// afterwards fail with ErrClosed, and Counters keeps the final totals. Closing twice is
// harmless. To choose the deadline, call Shutdown first.
func (c *Client) Close() error {
	c.mu.Lock()
	handle := c.handle
	if handle == nil {
		c.mu.Unlock()
		return nil
	}
	var summary C.lr_flush_summary
	C.lr_client_close(handle, C.uint64_t(defaultCloseTimeout.Milliseconds()), &summary, nil)
	c.final = readCounters(handle)
	c.handle = nil
	// The library may call OnFailure until lr_client_free returns, so the hook outlives it.
	C.lr_client_free(handle)
	c.mu.Unlock()
	// Outside the lock: OnFailure may call the client, which then answers ErrClosed.
	if c.failures != nil {
		c.failures.stop()
	}
	return nil
}

// Identify validates and sends one user's data and returns the user as the API stored it. The
// context's deadline or cancellation bounds the wait: the call then returns at once (a deadline
// as a *TimeoutError wrapping context.DeadlineExceeded), while the request already under way is
// left to finish within the client's own timeout.
func (c *Client) Identify(ctx context.Context, userID string, in Identify) (*User, error) {
	body, err := appendInput(make([]byte, 0, 160), userID, in)
	if err != nil {
		return nil, err
	}
	return bounded(ctx, func(cancel *C.lr_cancel) (*User, error) { return c.identifyJSON(body, cancel) })
}

func (c *Client) identifyJSON(body []byte, cancel *C.lr_cancel) (*User, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.handle == nil {
		return nil, ErrClosed
	}
	request, err := newRequest(body)
	if err != nil {
		return nil, err
	}
	defer C.lr_request_free(request)
	var user *C.lr_user
	var cerr *C.lr_error
	if status := C.lr_client_identify_cancellable(c.handle, request, cancel, &user, &cerr); status != C.LR_OK {
		return nil, takeError(status, cerr)
	}
	defer C.lr_user_free(user)
	return readUser(user)
}

func readUser(user *C.lr_user) (*User, error) {
	var out User
	if err := json.Unmarshal([]byte(C.GoString(C.lr_user_json(user))), &out); err != nil {
		return nil, &InternalError{Message: "reading the user: " + err.Error()}
	}
	if out.Traits == nil {
		out.Traits = map[string]string{}
	}
	return &out, nil
}

// newRequest makes a library request of one input in the JSON input form.
func newRequest(body []byte) (*C.lr_request, error) {
	// The library reads the NUL-terminated text only during the call, so it may read Go memory
	// (which holds no Go pointers) rather than a C copy.
	body = append(body, 0)
	var request *C.lr_request
	var cerr *C.lr_error
	if status := C.lr_request_from_json(nil, (*C.char)(unsafe.Pointer(&body[0])), &request, &cerr); status != C.LR_OK {
		return nil, takeError(status, cerr)
	}
	return request, nil
}

// bounded runs call, returning early when ctx ends first. The call watches a library switch
// (lr_cancel) that is fired when ctx ends, so the library abandons the request at once instead
// of running on to its own timeout; bounded waits for it to return, so nothing of the call
// outlives bounded (and Close never waits on an abandoned call).
func bounded[T any](ctx context.Context, call func(cancel *C.lr_cancel) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, contextError(err)
	}
	if ctx.Done() == nil {
		return call(nil)
	}
	var cancel *C.lr_cancel
	var cerr *C.lr_error
	if status := C.lr_cancel_new(&cancel, &cerr); status != C.LR_OK {
		return zero, takeError(status, cerr)
	}
	defer C.lr_cancel_free(cancel)
	type result struct {
		value T
		err   error
	}
	done := make(chan result, 1)
	go func() {
		value, err := call(cancel)
		done <- result{value, err}
	}()
	select {
	case r := <-done:
		return r.value, r.err
	case <-ctx.Done():
		C.lr_cancel_fire(cancel)
		<-done
		return zero, contextError(ctx.Err())
	}
}

func contextError(err error) error {
	if err == context.DeadlineExceeded {
		return &TimeoutError{Message: "the context's deadline passed", cause: err}
	}
	return err
}

// appendInput appends one input in the core's JSON input form (one line of JSON, without a
// newline) to buf. It is written by hand because it runs for every input of a bulk call, where
// encoding/json's maps and reflection would cost more than the request itself. Strings are
// checked for UTF-8 first, since the core must see exactly the bytes the caller gave; on error
// the returned buffer holds whatever was appended, for the caller to cut off.
func appendInput(buf []byte, userID string, in Identify) ([]byte, error) {
	for _, field := range [...]struct{ name, value string }{
		{"user_id", userID}, {"name", in.Name}, {"email", in.Email},
	} {
		if !utf8.ValidString(field.value) {
			return buf, notUTF8(field.name)
		}
	}
	buf = append(buf, `{"user_id":`...)
	buf = appendJSONString(buf, userID)
	if in.Name != "" {
		buf = appendJSONString(append(buf, `,"name":`...), in.Name)
	}
	if in.Email != "" {
		buf = appendJSONString(append(buf, `,"email":`...), in.Email)
	}
	if !in.Timestamp.IsZero() {
		buf = strconv.AppendInt(append(buf, `,"timestamp":`...), in.Timestamp.UnixMilli(), 10)
	}
	if in.Traits != nil {
		buf = append(buf, `,"traits":{`...)
		first := true
		for key, value := range in.Traits {
			if !utf8.ValidString(key) {
				return buf, notUTF8("traits")
			}
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = append(appendJSONString(buf, key), ':')
			var ok bool
			if buf, ok = appendTrait(buf, value); !ok {
				return buf, notUTF8("traits." + key)
			}
		}
		buf = append(buf, '}')
	}
	if in.Unset != nil {
		buf = append(buf, `,"unset":[`...)
		for i, key := range in.Unset {
			if !utf8.ValidString(key) {
				return buf, notUTF8("traits")
			}
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, key)
		}
		buf = append(buf, ']')
	}
	return append(buf, '}'), nil
}

// appendJSONString appends s, valid UTF-8, as a JSON string: only quotes, backslashes and
// control characters need escaping.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	return append(append(buf, s[start:]...), '"')
}

func notUTF8(field string) error {
	return &ValidationError{Field: field, Message: "Malformed request", Detail: "not valid UTF-8"}
}
