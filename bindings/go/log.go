package logrocket

/*
#include <stdint.h>
#include "logrocket_identify.h"

// Defined below (an //export), declared here with the argument types the library's callback
// gets, so that the trampoline needs no cast of a function pointer.
extern void logrocketGoLog(uintptr_t logger, int level, char *target, char *message);

static void lr_go_log(void *user_data, enum lr_log_level level, const char *target, const char *message) {
	logrocketGoLog((uintptr_t)user_data, (int)level, (char *)target, (char *)message);
}

// The logger travels as a cgo.Handle (an integer), never as a Go pointer, and becomes the
// library's user data here in C, where an integer may be a pointer.
static enum lr_status lr_go_set_log(uintptr_t logger, int max_level, lr_error **error) {
	return lr_set_log_callback(lr_go_log, (void *)logger, (lr_log_level)max_level, error);
}

static enum lr_status lr_go_clear_log(lr_error **error) {
	return lr_set_log_callback(NULL, NULL, LR_LOG_ERROR, error);
}
*/
import "C"

import (
	"context"
	"log/slog"
	"runtime/cgo"
	"sync"
)

// levelTrace is the level the library's trace events reach a slog.Logger at: slog has no
// trace level, and one step below debug is the usual stand-in.
const levelTrace = slog.LevelDebug - 4

// The library's levels, from least to most verbose, with the slog level each becomes.
var logLevels = []struct {
	c    C.int
	slog slog.Level
}{
	{C.LR_LOG_ERROR, slog.LevelError},
	{C.LR_LOG_WARN, slog.LevelWarn},
	{C.LR_LOG_INFO, slog.LevelInfo},
	{C.LR_LOG_DEBUG, slog.LevelDebug},
	{C.LR_LOG_TRACE, levelTrace},
}

// loggerMu serializes SetLogger; loggerHandle is the handle the library holds now (0: none).
var (
	loggerMu     sync.Mutex
	loggerHandle cgo.Handle
)

// SetLogger sends the library's own log to logger, for every client of the process: each
// retried attempt at debug ("identify attempt failed; retrying attempt=1 kind=api
// status=503"), each enqueued update not delivered at warn, a panicking OnFailure at error.
// A record's message holds the event and its fields; its "target" attribute names the module
// that logged it. Records never hold the API key or what a request carried (names, emails,
// traits, user ids). A nil logger stops the log; the library logs nothing until SetLogger is
// called.
//
// The library formats only events logger is enabled for at the time of the call (its
// handler's Enabled at context.Background()): call SetLogger again after lowering the level.
// The handler is called on the library's own threads, possibly several at once, so it must
// not block for long, and must not call SetLogger.
func SetLogger(logger *slog.Logger) error {
	loggerMu.Lock()
	defer loggerMu.Unlock()
	var cerr *C.lr_error
	if logger == nil {
		if status := C.lr_go_clear_log(&cerr); status != C.LR_OK {
			return takeError(status, cerr)
		}
		releaseLogger()
		return nil
	}
	maxLevel := C.int(0)
	for _, l := range logLevels {
		if logger.Enabled(context.Background(), l.slog) {
			maxLevel = l.c
		}
	}
	if maxLevel == 0 {
		// Not even errors would be kept: nothing to hand over.
		if status := C.lr_go_clear_log(&cerr); status != C.LR_OK {
			return takeError(status, cerr)
		}
		releaseLogger()
		return nil
	}
	handle := cgo.NewHandle(logger)
	if status := C.lr_go_set_log(C.uintptr_t(handle), maxLevel, &cerr); status != C.LR_OK {
		handle.Delete()
		return takeError(status, cerr)
	}
	// Once lr_set_log_callback has returned, the library never calls with the old handle
	// again, so it may go.
	releaseLogger()
	loggerHandle = handle
	return nil
}

// releaseLogger deletes the handle the library no longer holds; loggerMu is held.
func releaseLogger() {
	if loggerHandle != 0 {
		loggerHandle.Delete()
		loggerHandle = 0
	}
}

//export logrocketGoLog
func logrocketGoLog(handle C.uintptr_t, level C.int, target, message *C.char) {
	logger := cgo.Handle(handle).Value().(*slog.Logger)
	slogLevel := levelTrace
	for _, l := range logLevels {
		if l.c == level {
			slogLevel = l.slog
		}
	}
	// Both strings are the library's only for the duration of this call, so they are copied.
	// LogAttrs asks the handler again, for a level raised since SetLogger read it.
	logger.LogAttrs(context.Background(), slogLevel, goString(message), slog.String("target", goString(target)))
}
