package logrocket

/*
#include <stdint.h>
#include "logrocket_identify.h"
*/
import "C"

import (
	"context"
	"runtime/cgo"
	"sync"
)

// failureHook hands the library's failure reports to Config.OnFailure. The library reports
// on a thread of its own runtime, which must not wait on user code (it delivers everyone's
// updates), so a report is only queued there, and one goroutine makes the calls in order.
// The queue has no bound because the library reports each update at most once, and an update
// it holds already counts against its own bounded queue until it is reported.
type failureHook struct {
	fn     func(userID string, err error, updates uint64)
	handle cgo.Handle // the library's user data: how the C callback finds the hook

	mu       sync.Mutex
	queue    []deliveryFailure
	posted   uint64 // reports received so far
	called   uint64 // reports passed to fn so far
	waiters  []hookWaiter
	wake     chan struct{} // the goroutine's doorbell, capacity 1
	stopping bool
	finished chan struct{} // closed when the goroutine has made its last call
}

type deliveryFailure struct {
	userID  string
	err     error
	updates uint64
}

type hookWaiter struct {
	target uint64
	ready  chan struct{}
}

func newFailureHook(fn func(string, error, uint64)) *failureHook {
	h := &failureHook{fn: fn, wake: make(chan struct{}, 1), finished: make(chan struct{})}
	h.handle = cgo.NewHandle(h)
	go h.run()
	return h
}

//export logrocketGoFailure
func logrocketGoFailure(hook C.uintptr_t, userID *C.char, cerr *C.lr_error, updates C.uint64_t) {
	// The strings and the error are the library's only for the duration of this call, so
	// they are copied before it returns.
	failure := deliveryFailure{
		userID:  goString(userID),
		err:     fromC(C.lr_error_status(cerr), cerr),
		updates: uint64(updates),
	}
	cgo.Handle(hook).Value().(*failureHook).post(failure)
}

func (h *failureHook) post(f deliveryFailure) {
	h.mu.Lock()
	h.queue = append(h.queue, f)
	h.posted++
	h.mu.Unlock()
	h.ring()
}

func (h *failureHook) ring() {
	select {
	case h.wake <- struct{}{}:
	default: // already rung; the goroutine will see everything queued
	}
}

func (h *failureHook) run() {
	defer close(h.finished)
	for {
		h.mu.Lock()
		batch := h.queue
		h.queue = nil
		stopping := h.stopping
		h.mu.Unlock()
		for _, f := range batch {
			h.fn(f.userID, f.err, f.updates)
			h.mu.Lock()
			h.called++
			h.releaseWaiters()
			h.mu.Unlock()
		}
		if len(batch) > 0 {
			continue
		}
		if stopping {
			return
		}
		<-h.wake
	}
}

// releaseWaiters wakes the waits whose reports have all been passed on; h.mu is held.
func (h *failureHook) releaseWaiters() {
	kept := h.waiters[:0]
	for _, w := range h.waiters {
		if w.target <= h.called {
			close(w.ready)
		} else {
			kept = append(kept, w)
		}
	}
	h.waiters = kept
}

// wait returns once every report received before the call has been passed to fn, or with
// the context's error when ctx ends first.
func (h *failureHook) wait(ctx context.Context) error {
	h.mu.Lock()
	if h.called >= h.posted {
		h.mu.Unlock()
		return nil
	}
	w := hookWaiter{target: h.posted, ready: make(chan struct{})}
	h.waiters = append(h.waiters, w)
	h.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		return contextError(ctx.Err())
	}
}

// stop is called once the library can report no more (its client freed, or never made): the
// handle is released, and stop waits while the goroutine makes the calls still queued.
func (h *failureHook) stop() {
	h.handle.Delete()
	h.mu.Lock()
	h.stopping = true
	h.mu.Unlock()
	h.ring()
	<-h.finished
}
