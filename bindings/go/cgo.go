package logrocket

// The package links the Rust core's C library statically, found with pkg-config:
// logrocket-identify-static.pc names liblogrocket_identify_ffi.a by its path (so the linker
// cannot take the shared library beside it) and the system libraries it needs, and gives the
// include directory of logrocket_identify.h. Install the library first, from the prebuilt
// package or from source (scripts/install-c.sh --prefix DIR, a release build), and point
// pkg-config at it when DIR is not a place it searches already:
//   PKG_CONFIG_PATH=DIR/lib/pkgconfig go build ./...
// See README.md for why pkg-config and a static link.

/*
#cgo pkg-config: logrocket-identify-static
#include <stdlib.h>
#include "logrocket_identify.h"
*/
import "C"
