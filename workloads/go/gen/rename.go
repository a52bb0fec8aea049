// rename.go: renameNoReplace, the rename(2) that never replaces an existing directory
// (renameat2 with RENAME_NOREPLACE, as the C generator does).
//
// Guarantees: on linux/amd64 and linux/arm64 the kernel refuses to replace dst
// (ErrExists); elsewhere it falls back to a check followed by rename, which can replace
// an empty directory created in between (documented, not reachable by poolbench).
package gen

import (
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

const renameNoReplaceFlag = 1 // RENAME_NOREPLACE

func renameat2Number() (uintptr, bool) {
	switch runtime.GOARCH {
	case "amd64":
		return 316, true
	case "arm64":
		return 276, true
	}
	return 0, false
}

func renameNoReplace(src, dst string) error {
	nr, ok := renameat2Number()
	if !ok {
		if _, err := os.Lstat(dst); err == nil {
			return ErrExists
		}
		return os.Rename(src, dst)
	}
	s, err := syscall.BytePtrFromString(src)
	if err != nil {
		return err
	}
	d, err := syscall.BytePtrFromString(dst)
	if err != nil {
		return err
	}
	const atFDCWD = -100
	fd := atFDCWD
	_, _, errno := syscall.Syscall6(nr, uintptr(fd), uintptr(unsafe.Pointer(s)),
		uintptr(fd), uintptr(unsafe.Pointer(d)), renameNoReplaceFlag, 0)
	switch {
	case errno == 0:
		return nil
	case errno == syscall.EEXIST || errno == syscall.ENOTEMPTY:
		return ErrExists
	}
	return &os.LinkError{Op: "renameat2", Old: src, New: dst, Err: errno}
}
