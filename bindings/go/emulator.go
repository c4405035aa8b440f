package logrocket

/*
#include <stdlib.h>
#include "logrocket_identify.h"
*/
import "C"

import (
	"encoding/json"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Emulator is LogRocket's User Identification API emulated in this process on 127.0.0.1, for
// tests of code that uses this package: no credentials, no network. It serves plain HTTP, or
// HTTPS when started with WithTLS.
type Emulator struct {
	mu         sync.Mutex
	handle     *C.lr_emulator
	url        string
	apiKey     string
	caCertPEM  string
	caCertPath string
}

// RecordedRequest is one API request the emulator received.
type RecordedRequest struct {
	Method string
	Path   string // raw, percent-encoding intact
	Body   string
	Status int
	// Protocol is the HTTP version the request came over: "HTTP/1.1", or "HTTP/2.0" when a
	// client negotiated HTTP/2 with an emulator started WithTLS (see Config.HTTP1Only).
	Protocol string
}

// EmulatorOption changes how StartEmulator starts the emulator.
type EmulatorOption func(*emulatorOptions)

type emulatorOptions struct {
	tls        bool
	caCertPath string
	apiKey     string // "" for "test"
}

// withAPIKey makes the emulator accept this key instead of "test" (for the tests, which need a
// recognisable key to look for in their output).
func withAPIKey(key string) EmulatorOption {
	return func(o *emulatorOptions) { o.apiKey = key }
}

// WithTLS makes the emulator serve HTTPS (HTTP/2 or HTTP/1.1, as the client negotiates), with
// a certificate for 127.0.0.1 and localhost signed by a throwaway CA made for this start. A
// client trusts it as it would a real server, verification on, once given the CA: Config
// does that (Config.CACert is the CA's PEM). Without it, requests fail with a
// *TransportError of Reason "tls". The CA certificate is also written to a temporary file,
// CACertPath, removed by Close.
func WithTLS() EmulatorOption {
	return func(o *emulatorOptions) { o.tls = true }
}

// WithCACertPath is WithTLS, writing the CA certificate (PEM) to path, for clients in other
// processes (curl --cacert, SSL_CERT_FILE); the file stays after Close.
func WithCACertPath(path string) EmulatorOption {
	return func(o *emulatorOptions) { o.tls, o.caCertPath = true, path }
}

// StartEmulator starts an emulator accepting the API key "test", serving plain HTTP unless an
// option says otherwise.
func StartEmulator(options ...EmulatorOption) (*Emulator, error) {
	var o emulatorOptions
	for _, option := range options {
		option(&o)
	}
	var handle *C.lr_emulator
	var cerr *C.lr_error
	var status uint32
	var key *C.char
	if o.apiKey != "" {
		key = C.CString(o.apiKey)
		defer C.free(unsafe.Pointer(key))
	}
	switch {
	case !o.tls:
		status = C.lr_emulator_start(key, &handle, &cerr)
	case o.caCertPath == "":
		status = C.lr_emulator_start_tls(key, nil, &handle, &cerr)
	default:
		path := C.CString(o.caCertPath)
		status = C.lr_emulator_start_tls(key, path, &handle, &cerr)
		C.free(unsafe.Pointer(path))
	}
	if status != C.LR_OK {
		return nil, takeError(status, cerr)
	}
	return &Emulator{
		handle:     handle,
		url:        C.GoString(C.lr_emulator_url(handle)),
		apiKey:     C.GoString(C.lr_emulator_api_key(handle)),
		caCertPEM:  goString(C.lr_emulator_ca_cert_pem(handle)),
		caCertPath: goString(C.lr_emulator_ca_cert_path(handle)),
	}, nil
}

// URL is the base URL to give a Client: http://127.0.0.1:<port>, or https:// WithTLS.
func (e *Emulator) URL() string { return e.url }

// APIKey is the key the emulator accepts.
func (e *Emulator) APIKey() string { return e.apiKey }

// CACertPEM is the CA certificate (PEM) of an emulator started WithTLS, for Config.CACert; ""
// for a plain HTTP one.
func (e *Emulator) CACertPEM() string { return e.caCertPEM }

// CACertPath is the file holding CACertPEM, for Config.CACert or another process; "" for a
// plain HTTP emulator.
func (e *Emulator) CACertPath() string { return e.caCertPath }

// Config is a client configuration pointing at the emulator, for app "org/app"; WithTLS, it
// trusts the emulator's CA.
func (e *Emulator) Config(app string) Config {
	return Config{APIKey: e.apiKey, BaseURL: e.url, App: app, CACert: e.caCertPEM}
}

// Reset forgets every user and recorded request, and clears injected faults. The rate limit
// (SetRateLimit) stays.
func (e *Emulator) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	C.lr_emulator_reset(e.handle, nil)
}

// Requests returns the API requests recorded since the start or the last Reset, oldest first.
func (e *Emulator) Requests() []RecordedRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handle == nil {
		return nil
	}
	count := C.lr_emulator_request_count(e.handle)
	out := make([]RecordedRequest, 0, int(count))
	for i := C.size_t(0); i < count; i++ {
		var r *C.lr_recorded_request
		if C.lr_emulator_request(e.handle, i, &r, nil) != C.LR_OK {
			break
		}
		out = append(out, RecordedRequest{
			Method:   C.GoString(C.lr_recorded_request_method(r)),
			Path:     C.GoString(C.lr_recorded_request_path(r)),
			Body:     C.GoString(C.lr_recorded_request_body(r)),
			Status:   int(C.lr_recorded_request_status(r)),
			Protocol: C.GoString(C.lr_recorded_request_protocol(r)),
		})
		C.lr_recorded_request_free(r)
	}
	return out
}

// requestCount is len(e.Requests()) without copying a request, for bulk tests of thousands.
func (e *Emulator) requestCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handle == nil {
		return 0
	}
	return int(C.lr_emulator_request_count(e.handle))
}

// Fault is a failure the emulator injects into one API request: it waits Delay, then closes
// the connection without answering if DropConnection is set, else answers Status (with a
// Retry-After header if RetryAfter is set, and Body as plain text if set) if Status is set,
// else handles the request normally, only later.
type Fault struct {
	Status         int
	RetryAfter     string // seconds or an HTTP date
	Body           string
	DropConnection bool
	Delay          time.Duration
}

// MarshalJSON writes the fault as the emulator's control route reads it.
func (f Fault) MarshalJSON() ([]byte, error) {
	type wire struct {
		Status         int    `json:"status,omitempty"`
		RetryAfter     string `json:"retry_after,omitempty"`
		Body           string `json:"body,omitempty"`
		DropConnection bool   `json:"drop_connection,omitempty"`
		DelayMS        int64  `json:"delay_ms,omitempty"`
	}
	return json.Marshal(wire{f.Status, f.RetryAfter, f.Body, f.DropConnection, ceilMS(f.Delay)})
}

// AddFaults appends faults to the script: each applies to one API request, in order, before
// any fault rate.
func (e *Emulator) AddFaults(script ...Fault) error {
	return e.faults(map[string]any{"script": script})
}

// SetFaultRate makes fault apply to each API request with the given probability (0 to 1)
// once the script is used up.
func (e *Emulator) SetFaultRate(probability float64, fault Fault) error {
	return e.faults(map[string]any{"rate": map[string]any{"probability": probability, "fault": fault}})
}

// ClearFaultRate stops the random faults SetFaultRate started.
func (e *Emulator) ClearFaultRate() error {
	return e.faults(map[string]any{"rate": nil})
}

func (e *Emulator) faults(body map[string]any) error {
	text, err := json.Marshal(body)
	if err != nil {
		return &InternalError{Message: "encoding faults: " + err.Error()}
	}
	ctext := C.CString(string(text))
	defer C.free(unsafe.Pointer(ctext))
	e.mu.Lock()
	defer e.mu.Unlock()
	var cerr *C.lr_error
	if status := C.lr_emulator_add_faults(e.handle, ctext, &cerr); status != C.LR_OK {
		return takeError(status, cerr)
	}
	return nil
}

// SetRateLimit makes the emulator enforce a rate limit of its own, as the real API protects
// itself: past perSecond API requests per second it answers 429 with a Retry-After header
// (whole seconds, at least 1), stores nothing, and records the request with status 429.
// 0 lifts the limit. Each call starts with a full second's worth of requests. To start an
// emulator with a limit, call it right after StartEmulator, before any client is pointed at
// it. A closed emulator ignores it.
func (e *Emulator) SetRateLimit(perSecond uint32) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handle == nil {
		return
	}
	C.lr_emulator_set_rate_limit(e.handle, C.uint32_t(perSecond), nil)
}

// RateLimit is the emulator's rate limit in API requests per second; 0 when it has none.
func (e *Emulator) RateLimit() uint32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handle == nil {
		return 0
	}
	return uint32(C.lr_emulator_rate_limit(e.handle))
}

// UserCount is how many users the emulator stores, across every app.
func (e *Emulator) UserCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handle == nil {
		return 0
	}
	return int(C.lr_emulator_user_count(e.handle))
}

// User returns the user the emulator stores for app ("org/app") and userID, or nil if none.
func (e *Emulator) User(app, userID string) (*User, error) {
	org, appID, _ := strings.Cut(app, "/")
	strs := []*C.char{C.CString(org), C.CString(appID), C.CString(userID)}
	defer func() {
		for _, s := range strs {
			C.free(unsafe.Pointer(s))
		}
	}()
	e.mu.Lock()
	defer e.mu.Unlock()
	var user *C.lr_user
	var cerr *C.lr_error
	if status := C.lr_emulator_user(e.handle, strs[0], strs[1], strs[2], &user, &cerr); status != C.LR_OK {
		return nil, takeError(status, cerr)
	}
	if user == nil {
		return nil, nil
	}
	defer C.lr_user_free(user)
	return readUser(user)
}

// Close stops the emulator.
func (e *Emulator) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	C.lr_emulator_stop(e.handle)
	e.handle = nil
}
