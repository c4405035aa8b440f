package logrocket

import "testing"

// The package and the library it links are released together: a Version left behind by a
// version bump, or a stale library in the pkg-config prefix, fails here.
func TestVersionMatchesLibrary(t *testing.T) {
	if got := LibraryVersion(); got != Version {
		t.Fatalf("linked library is version %q, package Version is %q: bump Version or reinstall the library (scripts/install-c.sh)", got, Version)
	}
}
