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

func (c *Client) identifyMany(inputs []Input) (*Report, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.handle == nil {
		return nil, ErrClosed
	}
	report := &Report{Total: len(inputs)}
	requests := make([]*C.lr_request, 0, len(inputs))
	positions := make([]int, 0, len(inputs)) // input index of each request sent
	defer func() {
		for _, r := range requests {
			C.lr_request_free(r)
		}
	}()
	for i, in := range inputs {
		body, err := inputJSON(in.UserID, in.Identify)
		var request *C.lr_request
		if err == nil {
			request, err = newRequest(body)
		}
		if err != nil {
			report.Failures = append(report.Failures, Failure{Index: i, UserID: in.UserID, Err: err})
			continue
		}
		requests = append(requests, request)
		positions = append(positions, i)
	}
	if len(requests) > 0 {
		var out *C.lr_report
		var cerr *C.lr_error
		status := C.lr_client_identify_many(c.handle, &requests[0], C.size_t(len(requests)), 0, &out, &cerr)
		if status != C.LR_OK {
			return nil, takeError(C.lr_status(status), cerr)
		}
		defer C.lr_report_free(out)
		report.Succeeded = int(C.lr_report_succeeded(out))
		for i := C.size_t(0); i < C.lr_report_failure_count(out); i++ {
			cerror := C.lr_report_failure_error(out, i)
			report.Failures = append(report.Failures, Failure{
				Index:  positions[int(C.lr_report_failure_index(out, i))],
				UserID: goString(C.lr_report_failure_user_id(out, i)),
				Err:    fromC(C.lr_status(C.lr_error_status(cerror)), cerror),
			})
		}
	}
	sort.Slice(report.Failures, func(a, b int) bool { return report.Failures[a].Index < report.Failures[b].Index })
	return report, nil
}
