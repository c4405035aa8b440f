package logrocket

/*
#include "logrocket_identify.h"
*/
import "C"

// Version is this package's version, the workspace's: the same as the C library's, Python's
// __version__ and Node's version. TestVersionMatchesLibrary fails when it differs from the
// linked library's LibraryVersion.
const Version = "0.1.0"

// LibraryVersion is the version of the C library this program was linked with (lr_version).
func LibraryVersion() string {
	return C.GoString(C.lr_version())
}
