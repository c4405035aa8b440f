package logrocket

/*
#include "logrocket_identify.h"
*/
import "C"

import (
	"context"
	"sort"
	"unsafe"
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
	return bounded(ctx, func(cancel *C.lr_cancel) (*Report, error) { return c.identifyMany(inputs, cancel) })
}

// bulkChunk is how many inputs cross to the library per call: written as JSON Lines into one
// buffer, reused from chunk to chunk, and pushed into the run in a single cgo call
// (lr_bulk_run_push_json), which reads each line straight into a request. Every chunk feeds
// the same run, so requests flow on from one chunk into the next (one adaptive limit, no wait
// for a chunk's slowest request), and the buffer stays under half a megabyte for inputs of
// about a hundred bytes.
const bulkChunk = 4096

// batch is one chunk of inputs as JSON Lines.
type batch struct {
	lines []byte
}

// fill writes inputs[start:] up to bulkChunk of them into the batch, appending the input index
// of each line written to positions; inputs that cannot be written (strings that are not UTF-8)
// go to the report's failures instead.
func (b *batch) fill(inputs []Input, start int, positions []int, report *Report) []int {
	b.lines = b.lines[:0]
	for i := start; i < min(start+bulkChunk, len(inputs)); i++ {
		mark := len(b.lines)
		var err error
		if b.lines, err = appendInput(b.lines, inputs[i].UserID, inputs[i].Identify); err != nil {
			b.lines = b.lines[:mark]
			report.Failures = append(report.Failures, Failure{Index: i, UserID: inputs[i].UserID, Err: err})
			continue
		}
		b.lines = append(b.lines, '\n')
		positions = append(positions, i)
	}
	return positions
}

func (c *Client) identifyMany(inputs []Input, cancel *C.lr_cancel) (*Report, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.handle == nil {
		return nil, ErrClosed
	}
	var run *C.lr_bulk_run
	var cerr *C.lr_error
	if status := C.lr_client_bulk_start(c.handle, C.LR_CLIENT_CONCURRENCY, cancel, &run, &cerr); status != C.LR_OK {
		return nil, takeError(C.lr_status(status), cerr)
	}
	defer C.lr_bulk_run_free(run)
	report := &Report{Total: len(inputs)}
	// The input index of each line pushed: the run numbers lines across every chunk.
	positions := make([]int, 0, len(inputs))
	var b batch
	for start := 0; start < len(inputs); start += bulkChunk {
		positions = b.fill(inputs, start, positions, report)
		if len(b.lines) == 0 {
			continue
		}
		// The library reads the buffer only during the call, so it may read Go memory (which
		// holds no Go pointers) rather than a C copy.
		lines := (*C.char)(unsafe.Pointer(unsafe.SliceData(b.lines)))
		if status := C.lr_bulk_run_push_json(run, lines, C.size_t(len(b.lines)), &cerr); status != C.LR_OK {
			return nil, takeError(C.lr_status(status), cerr)
		}
	}
	var out *C.lr_report
	if status := C.lr_bulk_run_finish(run, &out, &cerr); status != C.LR_OK {
		return nil, takeError(C.lr_status(status), cerr)
	}
	defer C.lr_report_free(out)
	report.Succeeded = int(C.lr_report_succeeded(out))
	for i := C.size_t(0); i < C.lr_report_failure_count(out); i++ {
		cerror := C.lr_report_failure_error(out, i)
		index := positions[int(C.lr_report_failure_index(out, i))]
		report.Failures = append(report.Failures, Failure{
			Index:  index,
			UserID: inputs[index].UserID,
			Err:    fromC(C.lr_status(C.lr_error_status(cerror)), cerror),
		})
	}
	sort.Slice(report.Failures, func(a, b int) bool { return report.Failures[a].Index < report.Failures[b].Index })
	return report, nil
}
