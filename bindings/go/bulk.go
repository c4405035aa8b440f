package logrocket

/*
#include "logrocket_identify.h"
*/
import "C"

import (
	"context"
	"sort"
)

// Input is one element of IdentifyMany.
type Input struct {
	UserID string
	Identify
}

// Failure is one input that failed: where it was, whose it was and why.
type Failure struct {
	Index  int
	UserID string
	Err    error
}

// Report counts a bulk run and holds every failure, sorted by index.
type Report struct {
	Total     int
	Succeeded int
	Failures  []Failure
}

// IdentifyMany sends every input with at most Config.Concurrency in flight and reports every
// failure; nothing is dropped silently. The context bounds the wait as in Identify.
func (c *Client) IdentifyMany(ctx context.Context, inputs []Input) (*Report, error) {
	return bounded(ctx, func() (*Report, error) { return c.identifyMany(inputs) })
}

// bulkChunk is how many inputs go to the library per bulk call. Inputs are converted a chunk
// ahead on another goroutine, so Go's encoding overlaps the network instead of preceding it;
// each call drains its last few requests before the next starts, a small cost at this size.
const bulkChunk = 2048

// preparedChunk is a chunk of inputs made into library requests.
type preparedChunk struct {
	requests  []*C.lr_request
	positions []int // input index of each request
	failures  []Failure
}

func prepare(inputs []Input, start int) preparedChunk {
	end := min(start+bulkChunk, len(inputs))
	chunk := preparedChunk{
		requests:  make([]*C.lr_request, 0, end-start),
		positions: make([]int, 0, end-start),
	}
	for i := start; i < end; i++ {
		in := inputs[i]
		body, err := inputJSON(in.UserID, in.Identify)
		var request *C.lr_request
		if err == nil {
			request, err = newRequest(body)
		}
		if err != nil {
			chunk.failures = append(chunk.failures, Failure{Index: i, UserID: in.UserID, Err: err})
			continue
		}
		chunk.requests = append(chunk.requests, request)
		chunk.positions = append(chunk.positions, i)
	}
	return chunk
}

func (chunk preparedChunk) free() {
	for _, r := range chunk.requests {
		C.lr_request_free(r)
	}
}

func (c *Client) identifyMany(inputs []Input) (*Report, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.handle == nil {
		return nil, ErrClosed
	}
	report := &Report{Total: len(inputs)}
	chunks := make(chan preparedChunk, 1)
	stop := make(chan struct{})
	go func() {
		defer close(chunks)
		for start := 0; start < len(inputs); start += bulkChunk {
			chunk := prepare(inputs, start)
			select {
			case chunks <- chunk:
			case <-stop:
				chunk.free()
				return
			}
		}
	}()
	defer func() {
		// On an early return, stop the converter and free what it already made.
		close(stop)
		for chunk := range chunks {
			chunk.free()
		}
	}()
	for chunk := range chunks {
		err := c.sendChunk(chunk, report)
		chunk.free()
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(report.Failures, func(a, b int) bool { return report.Failures[a].Index < report.Failures[b].Index })
	return report, nil
}

// sendChunk sends one prepared chunk through the library's bulk call and adds its outcome.
func (c *Client) sendChunk(chunk preparedChunk, report *Report) error {
	report.Failures = append(report.Failures, chunk.failures...)
	if len(chunk.requests) == 0 {
		return nil
	}
	var out *C.lr_report
	var cerr *C.lr_error
	status := C.lr_client_identify_many(c.handle, &chunk.requests[0], C.size_t(len(chunk.requests)), 0, &out, &cerr)
	if status != C.LR_OK {
		return takeError(C.lr_status(status), cerr)
	}
	defer C.lr_report_free(out)
	report.Succeeded += int(C.lr_report_succeeded(out))
	for i := C.size_t(0); i < C.lr_report_failure_count(out); i++ {
		cerror := C.lr_report_failure_error(out, i)
		report.Failures = append(report.Failures, Failure{
			Index:  chunk.positions[int(C.lr_report_failure_index(out, i))],
			UserID: goString(C.lr_report_failure_user_id(out, i)),
			Err:    fromC(C.lr_status(C.lr_error_status(cerror)), cerror),
		})
	}
	return nil
}
