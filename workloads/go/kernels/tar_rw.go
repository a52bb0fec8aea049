// tar_rw.go: tar_read (the seed's readFileFromTar) and tar_copy (io.CopyBuffer with a
// pooled tar buffer).
//
// Guarantees: TarRead returns the content of the first member whose name equals `name`
// exactly, read through one tar buffer into a slice grown by append; a missing member
// is ErrNotFound, a corrupt or truncated archive ErrInput, and partial content is never
// returned. TarCopy writes every entry of the source (headers as read, data moved by
// io.CopyBuffer through one tar buffer taken for the whole copy) to a new archive whose
// output starts at TarOutInitial bytes; it lists and extracts like the source.
package kernels

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"poolbench/workloads/go/memory"
)

func badArchive(err error) error {
	if errors.Is(err, ErrInput) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrInput, err)
}

// TarRead returns member name's content from an archive read from r.
func (k *K) TarRead(r io.Reader, name string) ([]byte, error) {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%w: member %s", ErrNotFound, name)
		}
		if err != nil {
			return nil, badArchive(err)
		}
		if hdr.Name != name {
			continue // Next skips the data
		}
		buf := k.Mem.Get(memory.Tar)
		defer k.Mem.Put(memory.Tar, buf)
		var out []byte
		for {
			n, err := tr.Read(buf)
			out = append(out, buf[:n]...)
			if err == io.EOF {
				return out, nil
			}
			if err != nil {
				return nil, badArchive(err)
			}
		}
	}
}

// TarReadFile is TarRead from an archive file (skipping member data by seeking).
func (k *K) TarReadFile(path, name string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIO, err)
	}
	defer f.Close()
	return k.TarRead(f, name)
}

// TarCopy copies every entry of archive into a new in-memory archive.
func (k *K) TarCopy(archive []byte) ([]byte, error) {
	out := bytes.NewBuffer(make([]byte, 0, k.P.TarOutInitial))
	tr := tar.NewReader(bytes.NewReader(archive))
	tw := tar.NewWriter(out)
	buf := k.Mem.Get(memory.Tar)
	defer k.Mem.Put(memory.Tar, buf)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, badArchive(err)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInput, err)
		}
		if _, err := io.CopyBuffer(tw, tr, buf); err != nil {
			return nil, badArchive(err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
