// build.go: the build workload, one container build composed of the kernels, step for
// step as the C build (workloads/build.c):
//  1. TarCreate(Auto) of the context;
//  2. the archive's checksum: ChecksumConcurrent above ConcurrentMin bytes, else Checksum;
//  3. every regular member's Checksum, taken from the archive just built without a copy
//     (the member's bytes are a sub-slice of the in-memory archive), summed in archive
//     order with SumChecksum;
//  4. TarRead of the Dockerfile member from the archive, and the SHA-256 of its content;
//  5. TarCopy of the archive, and the SHA-256 of the copy;
//  6. ImageTag(image, tag) and ImageTag(image, "latest").
//
// Result: the SHA-256 hex of the six lines, each followed by "\n". The first error
// stops the build (a missing Dockerfile is ErrNotFound). The context is read once.
package kernels

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// BuildInput names the context and the build's parameters.
type BuildInput struct {
	ContextDir, Dockerfile, Image, Tag string
	Threads, Cores                     int
}

// Build runs one build and returns its result digest.
func (k *K) Build(in BuildInput) (string, error) {
	archive, err := k.TarCreate(in.ContextDir, TarAuto, in.Cores)
	if err != nil {
		return "", err
	}
	var lines [6]string
	if len(archive) > k.P.ConcurrentMin {
		lines[0] = k.ChecksumConcurrent(archive, in.Threads)
	} else {
		lines[0] = k.Checksum(archive)
	}
	if lines[1], err = k.fileSum(archive); err != nil {
		return "", err
	}
	docker, err := k.TarRead(bytes.NewReader(archive), in.Dockerfile)
	if err != nil {
		return "", err
	}
	lines[2] = SHA256Hex(docker)
	cp, err := k.TarCopy(archive)
	if err != nil {
		return "", err
	}
	lines[3] = SHA256Hex(cp)
	lines[4] = k.ImageTag(in.Image, in.Tag)
	lines[5] = k.ImageTag(in.Image, "latest")
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l)
		io.WriteString(h, "\n")
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return hexOf(d), nil
}

// fileSum is step 3: per-member checksums straight from the archive, summed.
func (k *K) fileSum(archive []byte) (string, error) {
	br := bytes.NewReader(archive)
	tr := tar.NewReader(br)
	var digests []byte
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", badArchive(err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		off := int64(len(archive)) - int64(br.Len()) // the data follows the header
		if hdr.Size < 0 || off+hdr.Size > int64(len(archive)) {
			return "", fmt.Errorf("%w: member %s is truncated", ErrInput, hdr.Name)
		}
		sum, err := hex.DecodeString(k.Checksum(archive[off : off+hdr.Size]))
		if err != nil {
			return "", err
		}
		digests = append(digests, sum...)
	}
	return k.SumChecksum(digests), nil
}
