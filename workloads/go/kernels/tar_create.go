// tar_create.go: tar_create (Go TarDir): a directory tree into an in-memory tar archive.
//
// Guarantees, as in KERNELS.md: the walk comes first (filepath.Walk: lexical order,
// lstat, symlinks and other non-regular files skipped, directories descended but not
// written), counting regular files and their bytes; Auto picks the concurrent variant
// for more than TarConcFiles files or TarConcBytes bytes. Entries are
// tar.FileInfoHeader of the walk's stat, named by the path relative to the root with
// '/'. Sequential: the output starts at TarOutInitial bytes; one tar buffer carries
// every file's content. Concurrent: the output starts at max(TarOutMinConcu, total/4);
// min(cores, TarMaxWorkers) goroutines read whole files, each read loop through its own
// tar buffer into a per-file slice grown by append; all contents are held, then written
// in walk order. A file whose size changed since the walk is an ErrIO.
package kernels

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"poolbench/workloads/go/memory"
)

// TarMode selects the tar_create variant.
type TarMode int

// The variants: Auto is Go's TarDir choice.
const (
	TarAuto TarMode = iota
	TarSeq
	TarConcurrent
)

type tarEntry struct {
	rel string
	fi  fs.FileInfo
}

func walkTree(root string) ([]tarEntry, int64, error) {
	var entries []tarEntry
	var total int64
	err := filepath.Walk(root, func(path string, fi fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		entries = append(entries, tarEntry{rel: filepath.ToSlash(rel), fi: fi})
		total += fi.Size()
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrIO, err)
	}
	return entries, total, nil
}

// TarCreate archives the regular files under root; cores bounds the workers.
func (k *K) TarCreate(root string, mode TarMode, cores int) ([]byte, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIO, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a directory", ErrInput, root)
	}
	entries, total, err := walkTree(root)
	if err != nil {
		return nil, err
	}
	if mode == TarAuto {
		mode = TarSeq
		if len(entries) > k.P.TarConcFiles || total > k.P.TarConcBytes {
			mode = TarConcurrent
		}
	}
	if mode == TarSeq {
		return k.tarSequential(root, entries)
	}
	return k.tarConcurrent(root, entries, total, cores)
}

func openNoFollow(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIO, err)
	}
	return f, nil
}

func writeHeader(tw *tar.Writer, e tarEntry) error {
	hdr, err := tar.FileInfoHeader(e.fi, "")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrIO, err)
	}
	hdr.Name = e.rel
	return tw.WriteHeader(hdr)
}

func (k *K) tarSequential(root string, entries []tarEntry) ([]byte, error) {
	out := bytes.NewBuffer(make([]byte, 0, k.P.TarOutInitial))
	tw := tar.NewWriter(out)
	buf := k.Mem.Get(memory.Tar)
	defer k.Mem.Put(memory.Tar, buf)
	for _, e := range entries {
		if err := k.tarOneFile(tw, root, e, buf); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// tarOneFile writes e's header and copies its content through buf.
func (k *K) tarOneFile(tw *tar.Writer, root string, e tarEntry, buf []byte) error {
	f, err := openNoFollow(filepath.Join(root, e.rel))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := writeHeader(tw, e); err != nil {
		return err
	}
	var got int64
	for {
		n, err := f.Read(buf)
		got += int64(n)
		if got > e.fi.Size() {
			return fmt.Errorf("%w: %s grew since the walk", ErrIO, e.rel)
		}
		if n > 0 {
			if _, werr := tw.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrIO, err)
		}
	}
	if got != e.fi.Size() {
		return fmt.Errorf("%w: %s shrank since the walk", ErrIO, e.rel)
	}
	return nil
}

func (k *K) tarConcurrent(root string, entries []tarEntry, total int64, cores int) ([]byte, error) {
	want := total / 4
	if want < int64(k.P.TarOutMinConcu) {
		want = int64(k.P.TarOutMinConcu)
	}
	out := bytes.NewBuffer(make([]byte, 0, want))
	contents, err := k.readAll(root, entries, cores)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(out)
	for i, e := range entries {
		if err := writeHeader(tw, e); err != nil {
			return nil, err
		}
		if _, err := tw.Write(contents[i]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// readAll reads every file's whole content with min(cores, TarMaxWorkers) workers.
func (k *K) readAll(root string, entries []tarEntry, cores int) ([][]byte, error) {
	workers := cores
	if workers > k.P.TarMaxWorkers {
		workers = k.P.TarMaxWorkers
	}
	if workers < 1 {
		workers = 1
	}
	contents := make([][]byte, len(entries))
	var next atomic.Int64
	var failed atomic.Bool
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(entries) {
					return
				}
				c, err := k.readWhole(filepath.Join(root, entries[i].rel), entries[i].fi.Size())
				if err != nil {
					once.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
				contents[i] = c
			}
		}()
	}
	wg.Wait()
	return contents, firstErr
}

// readWhole reads one file through a tar buffer into a slice grown by append.
func (k *K) readWhole(path string, size int64) ([]byte, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := k.Mem.Get(memory.Tar)
	defer k.Mem.Put(memory.Tar, buf)
	var content []byte
	for {
		n, err := f.Read(buf)
		content = append(content, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrIO, err)
		}
	}
	if int64(len(content)) != size {
		return nil, fmt.Errorf("%w: %s changed since the walk", ErrIO, path)
	}
	return content, nil
}
