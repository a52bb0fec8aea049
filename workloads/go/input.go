// input.go: reads or generates the input of one cell, outside any timed window, by the
// C runner's rules (harness/runner/runner_input.c).
//
// Guarantees: checksum kinds read --input whole or generate gen.Bytes(seed, size)
// (sum_checksum: size rounded down to whole 32-byte digests; an --input that is not a
// whole number of digests is refused); trees are --input or the generated tree cached
// as <cache>/tree-s<seed>-f<files>-b<bytes>, the same directory the C runners use and
// share (gen.Tree renames a finished tree into place; a runner that loses the race uses
// the winner's). tar_read / tar_copy read an --input archive, or archive the generated
// tree once with the sequential tar_create and no pooling, cached beside the tree as
// <tree>.go.tar (written atomically; Go's archive/tar bytes differ from libarchive's, so
// it is not the C runner's <tree>.tar), so each cell reads a file instead of archiving. Every error prints one
// line naming the file or argument and returns an exit code.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"poolbench/workloads/go/gen"
	"poolbench/workloads/go/kernels"
	"poolbench/workloads/go/memory"
)

// input is the prepared input of one cell.
type input struct {
	data []byte // checksum kinds: the bytes; archives: the tar
	dir  string // tar_create, build: the tree; tar_read --from-disk: the archive file
}

// inputError is a failure to prepare the input: one line for stderr and an exit code.
type inputError struct {
	msg  string
	code int
}

func (e *inputError) Error() string { return e.msg }

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func readWholeFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &inputError{fmt.Sprintf("pb: --input %s: %s", path, errText(err)), exitUsage}
	}
	if !fi.Mode().IsRegular() {
		return nil, &inputError{fmt.Sprintf("pb: --input %s: not a regular file", path), exitUsage}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &inputError{fmt.Sprintf("pb: --input %s: %s", path, errText(err)), exitUsage}
	}
	return b, nil
}

// cacheDir returns the tree cache folder (created), by the C runner's lookup order.
func cacheDir(a *args) (string, error) {
	var dir string
	switch {
	case a.cacheDir != "":
		dir = a.cacheDir
	case os.Getenv("XDG_CACHE_HOME") != "":
		dir = filepath.Join(os.Getenv("XDG_CACHE_HOME"), "poolbench")
	case os.Getenv("HOME") != "":
		dir = filepath.Join(os.Getenv("HOME"), ".cache", "poolbench")
	default:
		tmp := os.Getenv("TMPDIR")
		if tmp == "" {
			tmp = "/tmp"
		}
		dir = filepath.Join(tmp, "poolbench-cache")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", &inputError{fmt.Sprintf("pb: --cache-dir %s: cannot create: %s", dir, errText(err)), exitUsage}
	}
	return dir, nil
}

func generatedTree(a *args) (string, error) {
	cache, err := cacheDir(a)
	if err != nil {
		return "", err
	}
	dir := fmt.Sprintf("%s/tree-s%d-f%d-b%d", cache, a.seed, a.files, a.size)
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	if err := gen.Tree(a.seed, int(a.files), a.size, dir); err != nil {
		if _, serr := os.Stat(dir); serr != nil { // not the winner's tree either
			return "", &inputError{fmt.Sprintf("pb: generating the tree %s: %s", dir, errText(err)), exitKernel}
		}
	}
	return dir, nil
}

func archiveOfTree(dir string) ([]byte, error) {
	cfg := memory.DefaultConfig()
	_ = memory.ParsePolicy("none", &cfg)
	k := kernels.New(memory.New(cfg))
	b, err := k.TarCreate(dir, kernels.TarSeq, 1)
	if err != nil {
		return nil, &inputError{fmt.Sprintf("pb: archiving the generated tree %s: %v", dir, err), exitKernel}
	}
	return b, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := fmt.Sprintf("%s.tmp.%d", path, os.Getpid())
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// prepareInput reads or generates the input of a's workload.
func prepareInput(a *args) (*input, error) {
	in := &input{}
	var err error
	switch a.workload {
	case "checksum", "checksum_concurrent", "sum_checksum":
		if a.input != "" {
			in.data, err = readWholeFile(a.input)
			if err == nil && a.workload == "sum_checksum" && len(in.data)%32 != 0 {
				err = &inputError{fmt.Sprintf("pb: --input %s: %d bytes is not a whole number of "+
					"32-byte digests", a.input, len(in.data)), exitUsage}
			}
			return in, err
		}
		n := int(a.size)
		if a.workload == "sum_checksum" {
			n -= n % 32
		}
		in.data = gen.Bytes(a.seed, n)
	case "tar_create", "tar_create_seq", "tar_create_concurrent", "build":
		if a.input != "" {
			fi, serr := os.Stat(a.input)
			if serr != nil {
				return nil, &inputError{fmt.Sprintf("pb: --input %s: %s", a.input, errText(serr)), exitUsage}
			}
			if !fi.IsDir() {
				return nil, &inputError{fmt.Sprintf("pb: --input %s: not a readable directory", a.input), exitUsage}
			}
			in.dir = a.input
			return in, nil
		}
		in.dir, err = generatedTree(a)
	case "tar_read", "tar_copy":
		return archiveInput(a)
	}
	return in, err
}

func archiveInput(a *args) (*input, error) {
	in := &input{}
	diskRead := a.fromDisk && a.workload == "tar_read"
	if a.input != "" {
		if diskRead {
			if err := syscall.Access(a.input, 4 /* R_OK */); err != nil {
				return nil, &inputError{fmt.Sprintf("pb: --input %s: %s", a.input, err), exitUsage}
			}
			in.dir = a.input
			return in, nil
		}
		var err error
		in.data, err = readWholeFile(a.input)
		return in, err
	}
	dir, err := generatedTree(a)
	if err != nil {
		return nil, err
	}
	// the archive is cached beside the tree: read when present, else made and written
	// atomically for the next cell (a cache that cannot be written is not an error,
	// except for --from-disk, which needs the file)
	path := dir + ".go.tar"
	if fi, serr := os.Stat(path); serr == nil && fi.Mode().IsRegular() {
		if !diskRead {
			in.data, err = os.ReadFile(path)
			if err != nil {
				return nil, &inputError{fmt.Sprintf("pb: reading %s: %s", path, errText(err)), exitKernel}
			}
		}
	} else {
		if in.data, err = archiveOfTree(dir); err != nil {
			return nil, err
		}
		if werr := writeFileAtomic(path, in.data); werr != nil && diskRead {
			return nil, &inputError{fmt.Sprintf("pb: writing %s: %s", path, errText(werr)), exitKernel}
		}
	}
	if diskRead {
		in.data = nil
		in.dir = path
	}
	return in, nil
}
