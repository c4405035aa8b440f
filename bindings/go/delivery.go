package logrocket

/*
#include <stdint.h>
#include "logrocket_identify.h"

// Defined in failure.go (an //export), declared here with the argument types the library's
// callback gets, so that the trampoline below needs no cast of a function pointer.
extern void logrocketGoFailure(uintptr_t hook, char *user_id, lr_error *error, uint64_t updates);

static void lr_go_failure(void *user_data, const char *user_id, const lr_error *error, uint64_t updates) {
	logrocketGoFailure((uintptr_t)user_data, (char *)user_id, (lr_error *)error, updates);
}

// The hook travels as a cgo.Handle (an integer), never as a Go pointer, and becomes the
// library's user data here in C, where an integer may be a pointer.
static enum lr_status lr_go_set_on_failure(lr_config *config, uintptr_t hook, lr_error **error) {
	return lr_config_set_on_failure(config, lr_go_failure, (void *)hook, error);
}
*/
import "C"

import (
	"context"
	"runtime/cgo"
	"time"
)

// WhenFull is what Enqueue does when the queue is full.
type WhenFull int

const (
	// WhenFullBlock waits up to Config.EnqueueTimeout for room, then returns a
	// *QueueFullError. The default.
	WhenFullBlock WhenFull = iota
	// WhenFullError returns a *QueueFullError at once.
	WhenFullError
	// WhenFullDropOldest makes room by dropping the oldest update not yet sent; it reaches
	// OnFailure as a *QueueFullError and is counted as dropped.
	WhenFullDropOldest
)

// FlushSummary is what Flush and Shutdown saw. The counts are totals since the client
// started, as in Counters.
type FlushSummary struct {
	// Completed: every update enqueued before the call was delivered or failed in time.
	Completed bool
	Delivered uint64
	Failed    uint64
	Dropped   uint64
	// Pending: still queued or in flight when the call returned.
	Pending uint64
}

// Counters are background delivery's totals since the client started. Every update Enqueue
// accepted is either folded into a pending update of the same user (Coalesced) or ends up in
// exactly one of Delivered, Failed, Dropped or Pending, so that
// Enqueued == Coalesced + Delivered + Failed + Dropped + Pending. Pending includes InFlight.
// Retried counts retried requests, IdentifyMany's included.
type Counters struct {
	Enqueued  uint64
	Delivered uint64
	Failed    uint64
	Retried   uint64
	Dropped   uint64
	Coalesced uint64
	Pending   uint64
	InFlight  uint64
}

// defaultCloseTimeout bounds Close, and Flush and Shutdown when their context has no
// deadline: the core's DEFAULT_CLOSE_TIMEOUT, the same deadline the library's own
// lr_client_free closes with, read from the library so that it is defined once.
var defaultCloseTimeout = time.Duration(C.lr_default_close_timeout_ms()) * time.Millisecond

func setDelivery(config *C.lr_config, cfg Config) error {
	var cerr *C.lr_error
	// Negative sizes become 0, which the library refuses with its own message.
	if cfg.QueueCapacity != 0 {
		if status := C.lr_config_set_queue_capacity(config, C.size_t(max(cfg.QueueCapacity, 0)), &cerr); status != C.LR_OK {
			return takeError(status, cerr)
		}
	}
	if cfg.QueueMaxBytes != 0 {
		if status := C.lr_config_set_queue_max_bytes(config, C.size_t(max(cfg.QueueMaxBytes, 0)), &cerr); status != C.LR_OK {
			return takeError(status, cerr)
		}
	}
	var policy C.lr_when_full
	var blockMS C.uint64_t
	switch cfg.WhenFull {
	case WhenFullBlock:
		if cfg.EnqueueTimeout <= 0 {
			return nil // the library's default: block briefly
		}
		policy, blockMS = C.LR_WHEN_FULL_BLOCK, C.uint64_t(ceilMS(cfg.EnqueueTimeout))
	case WhenFullError:
		policy = C.LR_WHEN_FULL_ERROR
	case WhenFullDropOldest:
		policy = C.LR_WHEN_FULL_DROP_OLDEST
	default:
		return &ConfigError{Message: "WhenFull must be WhenFullBlock, WhenFullError or WhenFullDropOldest"}
	}
	if status := C.lr_config_set_when_full(config, policy, blockMS, &cerr); status != C.LR_OK {
		return takeError(status, cerr)
	}
	return nil
}

func setOnFailure(config *C.lr_config, hook cgo.Handle, cerr **C.lr_error) uint32 {
	return C.lr_go_set_on_failure(config, C.uintptr_t(hook), cerr)
}

// ceilMS is d in whole milliseconds, rounded up so that a wait never ends before d.
func ceilMS(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// Enqueue validates one user's update and queues it for background delivery, returning
// without waiting for the network. Invalid input gives the same *ValidationError as Identify,
// and nothing is queued. A full queue is handled as Config.WhenFull says: WhenFullBlock may
// make Enqueue wait (up to Config.EnqueueTimeout). After Shutdown it returns a *ClosedError,
// after Close ErrClosed. A queued update that fails for good reaches Config.OnFailure.
//
// Pending updates of one user are sent in order, one at a time; an update that would
// change nothing LogRocket stores by being sent apart from the one before it is merged into
// it (coalesced) while both wait.
func (c *Client) Enqueue(userID string, in Identify) error {
	body, err := appendInput(make([]byte, 0, 160), userID, in)
	if err != nil {
		return err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.handle == nil {
		return ErrClosed
	}
	request, err := newRequest(body)
	if err != nil {
		return err
	}
	defer C.lr_request_free(request)
	var cerr *C.lr_error
	if status := C.lr_client_enqueue(c.handle, request, &cerr); status != C.LR_OK {
		return takeError(status, cerr)
	}
	return nil
}

// Flush waits until every update enqueued before the call has been delivered or has failed,
// or until ctx ends (without a deadline, the library's default close deadline bounds it).
// When the updates did not all finish in time, the summary's Completed is false and the
// error is the context's (a deadline as a *TimeoutError wrapping context.DeadlineExceeded).
// Nothing is lost by returning early: the updates stay queued.
func (c *Client) Flush(ctx context.Context) (FlushSummary, error) {
	return c.drain(ctx, false, func(handle *C.lr_client, ms C.uint64_t, out *C.lr_flush_summary, cerr **C.lr_error) uint32 {
		return C.lr_client_flush(handle, ms, out, cerr)
	})
}

// Shutdown stops accepting updates (Enqueue then returns a *ClosedError), then flushes as
// Flush does until ctx's deadline (without one, the library's default close deadline);
// updates still pending then are abandoned, each reaching OnFailure as a *ClosedError and
// counted as dropped, and Shutdown returns once OnFailure has been called for each (the time
// OnFailure itself takes is the only wait ctx does not bound). If ctx is canceled before its
// deadline, Shutdown returns at once and the library goes on until the deadline it was given
// (Close waits for it). Calling it again does no harm. The client still answers Identify,
// IdentifyMany and Counters; Close frees it.
func (c *Client) Shutdown(ctx context.Context) (FlushSummary, error) {
	return c.drain(ctx, true, func(handle *C.lr_client, ms C.uint64_t, out *C.lr_flush_summary, cerr **C.lr_error) uint32 {
		return C.lr_client_close(handle, ms, out, cerr)
	})
}

type drainCall func(handle *C.lr_client, timeoutMS C.uint64_t, out *C.lr_flush_summary, cerr **C.lr_error) uint32

// drain runs a flush or close with ctx's deadline as its timeout. The library call cannot be
// interrupted: when ctx is canceled first, drain returns at once and leaves the call to end by
// its own timeout; when ctx's deadline passes, drain waits for the call, which ends by the same
// deadline, so that the summary is the library's. Then drain waits for OnFailure to have been
// called with every failure the library reported so far: within ctx for a flush, and in any
// case for a close, whose abandoned updates are reported just as its deadline passes.
func (c *Client) drain(ctx context.Context, closing bool, call drainCall) (FlushSummary, error) {
	if err := ctx.Err(); err != nil {
		return FlushSummary{}, contextError(err)
	}
	timeout := defaultCloseTimeout
	deadline, hasDeadline := ctx.Deadline()
	if hasDeadline {
		timeout = max(time.Until(deadline), 0)
	}
	type result struct {
		summary FlushSummary
		err     error
	}
	done := make(chan result, 1)
	go func() {
		summary, err := c.drainCall(call, C.uint64_t(ceilMS(timeout)))
		done <- result{summary, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		if ctx.Err() != context.DeadlineExceeded {
			return c.pendingSummary(), contextError(ctx.Err())
		}
		r = <-done
	}
	if r.err != nil {
		return r.summary, r.err
	}
	if c.failures != nil {
		hookCtx := ctx
		if closing {
			hookCtx = context.Background()
		}
		if err := c.failures.wait(hookCtx); err != nil {
			return r.summary, err
		}
	}
	if !r.summary.Completed {
		if err := ctx.Err(); err != nil {
			return r.summary, contextError(err)
		}
		if hasDeadline {
			return r.summary, contextError(context.DeadlineExceeded)
		}
		return r.summary, &TimeoutError{Message: "updates were still pending at the default deadline (" + defaultCloseTimeout.String() + ")"}
	}
	return r.summary, nil
}

func (c *Client) drainCall(call drainCall, timeoutMS C.uint64_t) (FlushSummary, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.handle == nil {
		return FlushSummary{}, ErrClosed
	}
	var out C.lr_flush_summary
	var cerr *C.lr_error
	if status := call(c.handle, timeoutMS, &out, &cerr); status != C.LR_OK {
		return FlushSummary{}, takeError(status, cerr)
	}
	return FlushSummary{
		Completed: bool(out.completed),
		Delivered: uint64(out.delivered),
		Failed:    uint64(out.failed),
		Dropped:   uint64(out.dropped),
		Pending:   uint64(out.pending),
	}, nil
}

// pendingSummary is the summary of a drain that ctx ended before the library answered.
func (c *Client) pendingSummary() FlushSummary {
	counters := c.Counters()
	return FlushSummary{
		Delivered: counters.Delivered,
		Failed:    counters.Failed,
		Dropped:   counters.Dropped,
		Pending:   counters.Pending,
	}
}

// Counters returns background delivery's totals so far; after Close, the final ones.
func (c *Client) Counters() Counters {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.handle == nil {
		return c.final
	}
	return readCounters(c.handle)
}

func readCounters(handle *C.lr_client) Counters {
	var out C.lr_counters
	if C.lr_client_counters(handle, &out, nil) != C.LR_OK {
		return Counters{}
	}
	return Counters{
		Enqueued:  uint64(out.enqueued),
		Delivered: uint64(out.delivered),
		Failed:    uint64(out.failed),
		Retried:   uint64(out.retried),
		Dropped:   uint64(out.dropped),
		Coalesced: uint64(out.coalesced),
		Pending:   uint64(out.pending),
		InFlight:  uint64(out.in_flight),
	}
}
