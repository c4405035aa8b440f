package logrocket

/*
#include "logrocket_identify.h"
*/
import "C"

import "fmt"

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
}

func (e *ValidationError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("logrocket: invalid %s: %s (%s)", e.Field, e.Message, e.Detail)
	}
	return fmt.Sprintf("logrocket: invalid %s: %s", e.Field, e.Message)
}

// APIError: the API answered with an error status (after any retries).
type APIError struct {
	Status    int
	Message   string
	Retryable bool
}

func (e *APIError) Error() string {
	return fmt.Sprintf("logrocket: API error %d: %s", e.Status, e.Message)
}

// TransportError: the request could not be delivered or its answer could not be read.
type TransportError struct{ Message string }

func (e *TransportError) Error() string { return "logrocket: transport error: " + e.Message }

// TimeoutError: every attempt ran past the per-attempt timeout, or the context's deadline
// passed first (then errors.Is(err, context.DeadlineExceeded) holds too).
type TimeoutError struct {
	Message string
	cause   error
}

func (e *TimeoutError) Error() string { return "logrocket: timeout: " + e.Message }
func (e *TimeoutError) Unwrap() error { return e.cause }

// ConfigError: the configuration is incomplete or wrong; the message says what to set.
type ConfigError struct{ Message string }

func (e *ConfigError) Error() string { return "logrocket: configuration error: " + e.Message }

// QueueFullError: Enqueue found the queue full and the policy (WhenFullError, or
// WhenFullBlock once EnqueueTimeout passed) refused the update; nothing was queued. It is also
// the error OnFailure receives for an update that WhenFullDropOldest pushed out.
type QueueFullError struct{ Message string }

func (e *QueueFullError) Error() string { return "logrocket: queue full: " + e.Message }

// ClosedError: the client no longer accepts updates (Enqueue after Shutdown or Close). It is
// also the error OnFailure receives for an update still pending when Shutdown's context or
// Close's deadline ended.
type ClosedError struct{ Message string }

func (e *ClosedError) Error() string { return "logrocket: closed: " + e.Message }

// Is makes errors.Is(err, ErrClosed) hold for every *ClosedError.
func (e *ClosedError) Is(target error) bool { return target == ErrClosed }

// InternalError: the library rejected an argument or failed internally. Not expected in use.
type InternalError struct{ Message string }

func (e *InternalError) Error() string { return "logrocket: internal error: " + e.Message }

func goString(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

// fromC converts an error object the library returned (which the caller still frees).
func fromC[S ~uint32](code S, e *C.lr_error) error {
	status := C.lr_status(code)
	message := goString(C.lr_error_message(e))
	switch status {
	case C.LR_ERR_VALIDATION:
		return &ValidationError{
			Field:   goString(C.lr_error_field(e)),
			Message: message,
			Detail:  goString(C.lr_error_detail(e)),
		}
	case C.LR_ERR_API:
		return &APIError{
			Status:    int(C.lr_error_http_status(e)),
			Message:   message,
			Retryable: bool(C.lr_error_retryable(e)),
		}
	case C.LR_ERR_TRANSPORT:
		return &TransportError{Message: message}
	case C.LR_ERR_TIMEOUT:
		return &TimeoutError{Message: message}
	case C.LR_ERR_CONFIG:
		return &ConfigError{Message: message}
	case C.LR_ERR_QUEUE_FULL:
		return &QueueFullError{Message: message}
	case C.LR_ERR_CLOSED:
		return &ClosedError{Message: message}
	default:
		return &InternalError{Message: fmt.Sprintf("status %d: %s", int(status), message)}
	}
}

// takeError converts and frees an error out-parameter.
func takeError[S ~uint32](status S, e *C.lr_error) error {
	defer C.lr_error_free(e)
	return fromC(status, e)
}
