// escape_test.go: the compiler's own proof that the "allocate instead" buffers live on
// the heap: `go build -gcflags=-m` must report the make of Get and of New as escaping
// (a make of a constant size up to 64 KiB that did not escape would be a free stack
// buffer, and the no-pool arm would then measure nothing).
package memory

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestMakeEscapesToHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(gobin, "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	want := []string{
		"make([]byte, p.cfg.Size[c]) escapes to heap", // Get of an unpooled class
		"moved to heap: b",                            // Put: the fresh *[]byte per put
	}
	for _, w := range want {
		if !strings.Contains(string(out), w) {
			t.Errorf("escape analysis does not say %q:\n%s", w, out)
		}
	}
	if strings.Contains(string(out), "make([]byte, p.cfg.Size[c]) does not escape") {
		t.Errorf("a class buffer stays on the stack:\n%s", out)
	}
}
