package logrocket

/*
#include "logrocket_identify.h"
*/
import "C"

import "fmt"

// Every error's Error() is the core's whole text, exactly as Rust's Display, Python's str(),
// Node's message and C's lr_error_message show it
// ("invalid input: name: name too large (max 1024 characters)",
// "LogRocket API error 400: Malformed request"). The parts stay in the exported fields: Message
// is the bare text (for validation and API errors, the API's own words), for code to compare.
// Errors made in Go, which the core never saw (a context's deadline, a bad WhenFull), are
// written in the same form.

// ErrClosed is returned by calls on a Client after Close. It is a *ClosedError, and every
// *ClosedError (such as Enqueue's after Shutdown) matches it with errors.Is.
var ErrClosed error = &ClosedError{Message: "the client is closed"}

// ValidationError: the input broke one of the API's rules; nothing was sent.
type ValidationError struct {
	// Field at fault: "user_id", "name", "email", "timestamp", "traits" or "traits.<key>".
	Field string
	// The API's own message, exactly ("name too large (max 1024 characters)").
	Message string
	// What exactly is wrong when Message alone does not say it; may be empty.
	Detail string
	text   string // the core's whole text; empty for an error made in Go
}

func (e *ValidationError) Error() string {
	if e.text != "" {
		return e.text
	}
	if e.Detail != "" {
		return fmt.Sprintf("invalid input: %s: %s (%s)", e.Field, e.Message, e.Detail)
	}
	return fmt.Sprintf("invalid input: %s: %s", e.Field, e.Message)
}

// APIError: the API answered with an error status (after any retries).
type APIError struct {
	Status int
	// The API's message from the response body, or the status line when it had none.
	Message   string
	Retryable bool
	text      string
}

func (e *APIError) Error() string {
	return orText(e.text, fmt.Sprintf("LogRocket API error %d: %s", e.Status, e.Message))
}

// TransportError: the request could not be delivered or its answer could not be read. Reason
// says why, in the words every language of the SDK uses; the client retries only some:
//
//   - "dns": the host name did not resolve. Not retried.
//   - "connect": no connection could be opened (refused, unreachable, or ConnectTimeout
//     passed). Retried.
//   - "tls": the TLS handshake failed, most often a certificate that is not trusted (see
//     Config.CACert) or does not name the host. Not retried.
//   - "proxy": the proxy refused: it wants credentials or rejected the ones given (407), or
//     would not open a tunnel. Not retried.
//   - "reset": the connection was closed or reset before the answer was read. Retried.
//   - "protocol": the server (or something in between) broke the HTTP protocol. Not retried.
//   - "body_too_large": the answer was larger than any answer of the API can be. Not retried.
//   - "other": anything else. Retried.
//
// Retryable says whether sending the request again later could succeed (true for the reasons
// retried). Error() is the core's text, the reason in it: "transport error (tls): the TLS
// handshake with 127.0.0.1 failed (...): invalid peer certificate: UnknownIssuer".
type TransportError struct {
	Reason    string
	Message   string
	Retryable bool
	text      string
}

func (e *TransportError) Error() string {
	if e.text != "" {
		return e.text
	}
	if e.Reason != "" {
		return "transport error (" + e.Reason + "): " + e.Message
	}
	return "transport error: " + e.Message
}

// TimeoutError: every attempt ran past the per-attempt timeout, or the context's deadline
// passed first (then errors.Is(err, context.DeadlineExceeded) holds too).
type TimeoutError struct {
	// The core's text ("request timed out after 10s on each of 4 attempt(s)"), or what
	// timed out in Go ("the context's deadline passed").
	Message string
	text    string
	cause   error
}

func (e *TimeoutError) Error() string { return orText(e.text, "timed out: "+e.Message) }
func (e *TimeoutError) Unwrap() error { return e.cause }

// ConfigError: the configuration is incomplete or wrong; the message says what to set.
type ConfigError struct {
	Message string
	text    string
}

func (e *ConfigError) Error() string { return orText(e.text, "configuration error: "+e.Message) }

// QueueFullError: Enqueue found the queue full and the policy (WhenFullError, or
// WhenFullBlock once EnqueueTimeout passed) refused the update; nothing was queued. It is also
// the error OnFailure receives for an update that WhenFullDropOldest pushed out.
type QueueFullError struct {
	Message string
	text    string
}

func (e *QueueFullError) Error() string { return orText(e.text, "queue full: "+e.Message) }

// ClosedError: the client no longer accepts updates (Enqueue after Shutdown or Close). It is
// also the error OnFailure receives for an update still pending when Shutdown's context or
// Close's deadline ended.
type ClosedError struct {
	Message string
	text    string
}

func (e *ClosedError) Error() string { return orText(e.text, "closed: "+e.Message) }

// Is makes errors.Is(err, ErrClosed) hold for every *ClosedError.
func (e *ClosedError) Is(target error) bool { return target == ErrClosed }

// InternalError: the library rejected an argument or failed internally. Not expected in use.
type InternalError struct {
	// The C library's kind ("invalid_argument", "panic", "emulator", "canceled"); empty for an
	// error made in Go.
	Kind    string
	Message string
	text    string
}

func (e *InternalError) Error() string { return orText(e.text, "internal error: "+e.Message) }

// orText is the core's text when the error came from the library, else the text written in Go.
func orText(text, written string) string {
	if text != "" {
		return text
	}
	return written
}

func goString(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

// fromC converts an error object the library returned (which the caller still frees): the
// whole text for Error(), the bare message and the other parts for the fields.
func fromC[S ~uint32](code S, e *C.lr_error) error {
	status := C.lr_status(code)
	text := goString(C.lr_error_message(e))
	message := goString(C.lr_error_api_message(e))
	switch status {
	case C.LR_ERR_VALIDATION:
		return &ValidationError{
			Field:   goString(C.lr_error_field(e)),
			Message: message,
			Detail:  goString(C.lr_error_detail(e)),
			text:    text,
		}
	case C.LR_ERR_API:
		return &APIError{
			Status:    int(C.lr_error_http_status(e)),
			Message:   message,
			Retryable: bool(C.lr_error_retryable(e)),
			text:      text,
		}
	case C.LR_ERR_TRANSPORT:
		return &TransportError{
			Reason:    goString(C.lr_error_transport_reason(e)),
			Message:   message,
			Retryable: bool(C.lr_error_retryable(e)),
			text:      text,
		}
	case C.LR_ERR_TIMEOUT:
		return &TimeoutError{Message: message, text: text}
	case C.LR_ERR_CONFIG:
		return &ConfigError{Message: message, text: text}
	case C.LR_ERR_QUEUE_FULL:
		return &QueueFullError{Message: message, text: text}
	case C.LR_ERR_CLOSED:
		return &ClosedError{Message: message, text: text}
	default:
		kind := goString(C.lr_error_kind(e))
		if kind == "" {
			kind = fmt.Sprintf("status %d", int(status))
		}
		return &InternalError{Kind: kind, Message: message, text: text}
	}
}

// takeError converts and frees an error out-parameter.
func takeError[S ~uint32](status S, e *C.lr_error) error {
	defer C.lr_error_free(e)
	return fromC(status, e)
}
