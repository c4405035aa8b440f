package logrocket

// The library comes from the Rust workspace: `cargo build -p logrocket-ffi` writes
// target/debug/liblogrocket_identify_ffi.a, which this package links statically (the explicit
// `-l:` name picks the static library even though the shared one sits beside it). To link
// another build, add its directory first:
//   CGO_LDFLAGS="-L/path/to/target/release" go build ./...

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../../target/debug -l:liblogrocket_identify_ffi.a -lpthread -ldl -lm
#include <stdlib.h>
#include "logrocket_identify.h"
*/
import "C"
