package logrocket

/*
#include "logrocket_identify.h"
*/
import "C"

import "sync"

// Emulator is LogRocket's User Identification API emulated in this process on 127.0.0.1, for
// tests of code that uses this package: no credentials, no network.
type Emulator struct {
	mu     sync.Mutex
	handle *C.lr_emulator
	url    string
	apiKey string
}

// RecordedRequest is one API request the emulator received.
type RecordedRequest struct {
	Method string
	Path   string // raw, percent-encoding intact
	Body   string
	Status int
}

// StartEmulator starts an emulator accepting the API key "test".
func StartEmulator() (*Emulator, error) {
	var handle *C.lr_emulator
	var cerr *C.lr_error
	if status := C.lr_emulator_start(nil, &handle, &cerr); status != C.LR_OK {
		return nil, takeError(status, cerr)
	}
	return &Emulator{
		handle: handle,
		url:    C.GoString(C.lr_emulator_url(handle)),
		apiKey: C.GoString(C.lr_emulator_api_key(handle)),
	}, nil
}

// URL is the base URL to give a Client.
func (e *Emulator) URL() string { return e.url }

// APIKey is the key the emulator accepts.
func (e *Emulator) APIKey() string { return e.apiKey }

// Config is a client configuration pointing at the emulator, for app "org/app".
func (e *Emulator) Config(app string) Config {
	return Config{APIKey: e.apiKey, BaseURL: e.url, App: app}
}

// Reset forgets every user and recorded request.
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
			Method: C.GoString(C.lr_recorded_request_method(r)),
			Path:   C.GoString(C.lr_recorded_request_path(r)),
			Body:   C.GoString(C.lr_recorded_request_body(r)),
			Status: int(C.lr_recorded_request_status(r)),
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

// Close stops the emulator.
func (e *Emulator) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	C.lr_emulator_stop(e.handle)
	e.handle = nil
}
