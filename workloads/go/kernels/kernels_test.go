// kernels_test.go: every kernel against an independent answer, under the three arms
// (pooled, allocate instead, plain) and with zero on put on and off: checksum against
// crypto/sha256 of the whole data, checksum_concurrent against a hash of chunk hashes
// computed here, sum_checksum against the SHA-256 of the concatenation, image_tag
// against concatenation; tar_create's archive read back entry by entry against the
// files on disk; tar_read and tar_copy against the source; build's determinism; the
// thresholds (direct path, concurrent switch, tar switch) seen through the pool counts.
package kernels

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"poolbench/workloads/go/gen"
	"poolbench/workloads/go/memory"
)

var arms = []string{"all", "none", "plain"}

func newK(t testing.TB, policy string, zero bool) *K {
	cfg := memory.DefaultConfig()
	if err := memory.ParsePolicy(policy, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg.ZeroOnPut = zero
	return New(memory.New(cfg))
}

func sumHex(b []byte) string {
	d := sha256.Sum256(b)
	return hex.EncodeToString(d[:])
}

func TestChecksum(t *testing.T) {
	sizes := []int{0, 1, 4095, 4096, 4097, 65535, 65536, 65537, 3*65536 + 5, 1<<20 + 1}
	for _, arm := range arms {
		for _, zero := range []bool{true, false} {
			k := newK(t, arm, zero)
			for _, n := range sizes {
				data := gen.Bytes(uint64(n), n)
				if got, want := k.Checksum(data), sumHex(data); got != want {
					t.Errorf("%s zero=%v size %d: %s, want %s", arm, zero, n, got, want)
				}
				// the same again: a reused (zeroed or dirty) buffer must not matter
				if got, want := k.Checksum(data), sumHex(data); got != want {
					t.Errorf("%s zero=%v size %d second run: %s", arm, zero, n, got)
				}
			}
		}
	}
}

func TestChecksumDirectPathTakesNoBuffer(t *testing.T) {
	k := newK(t, "all", true)
	k.Checksum(make([]byte, 4096))
	if s := k.Mem.Stats(memory.Hash); s.Gets != 0 {
		t.Fatalf("4096 bytes took %d hash buffers, want 0", s.Gets)
	}
	k.Checksum(make([]byte, 4097))
	if s := k.Mem.Stats(memory.Hash); s.Gets != 1 {
		t.Fatalf("4097 bytes took %d hash buffers, want 1", s.Gets)
	}
}

// chunkHashes is the independent answer of checksum_concurrent.
func chunkHashes(data []byte, workers int) string {
	chunk := len(data) / workers
	h := sha256.New()
	for i := 0; i < workers; i++ {
		end := (i + 1) * chunk
		if i == workers-1 {
			end = len(data)
		}
		d := sha256.Sum256(data[i*chunk : end])
		h.Write(d[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestChecksumConcurrent(t *testing.T) {
	data := gen.Bytes(77, 3<<20+12345)
	for _, arm := range arms {
		k := newK(t, arm, true)
		for _, w := range []int{0, 1, 2, 3, 7} {
			want := chunkHashes(data, max(w, 2))
			if got := k.ChecksumConcurrent(data, w); got != want {
				t.Errorf("%s workers %d: %s, want %s", arm, w, got, want)
			}
		}
		small := data[:1<<20] // at the threshold: plain checksum
		if got := k.ChecksumConcurrent(small, 4); got != sumHex(small) {
			t.Errorf("%s 1 MiB: not the checksum", arm)
		}
		if got := k.ChecksumConcurrent(data[:1<<20+1], 1024); got != sumHex(data[:1<<20+1]) {
			t.Errorf("%s chunk below 4096: not the checksum", arm) // 1 MiB+1 / 1024 < 4096
		}
	}
}

func max(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func TestSumChecksum(t *testing.T) {
	for _, arm := range arms {
		k := newK(t, arm, true)
		for _, n := range []int{0, 1, 32, 33, 100} {
			digests := gen.Bytes(uint64(n), n*32)
			if got := k.SumChecksum(digests); got != sumHex(digests) {
				t.Errorf("%s %d digests: %s", arm, n, got)
			}
		}
		held := k.Mem.Stats(memory.Small).Gets
		wantHeld := uint64(2) // 33 and 100 digests exceed 1024 bytes
		if arm == "plain" {
			wantHeld = 0
		}
		if held != wantHeld {
			t.Errorf("%s: %d small buffers held, want %d", arm, held, wantHeld)
		}
	}
}

func TestImageTag(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), 3000)) // grows the builder past its keep limit
	for _, arm := range arms {
		k := newK(t, arm, true)
		for _, tc := range [][2]string{{"registry.local/ci/app", "v1"}, {"", ""}, {long, "t"}} {
			if got := k.ImageTag(tc[0], tc[1]); got != tc[0]+":"+tc[1] {
				t.Errorf("%s: %q", arm, got)
			}
		}
	}
	k := newK(t, "all", true)
	a := k.ImageTag("img", "a")
	b := k.ImageTag("img", "b")
	if a != "img:a" || b != "img:b" {
		t.Fatalf("the result shares memory with the pooled builder: %q %q", a, b)
	}
}

func genTree(t testing.TB, files int, total uint64) string {
	dir := filepath.Join(t.TempDir(), "tree")
	if err := gen.Tree(5, files, total, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkArchive reads archive back and compares it with the regular files under root.
func checkArchive(t *testing.T, archive []byte, root string) {
	t.Helper()
	want := map[string]fs.FileInfo{}
	filepath.Walk(root, func(p string, fi fs.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			want[filepath.ToSlash(rel)] = fi
		}
		return err
	})
	tr := tar.NewReader(bytes.NewReader(archive))
	n := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fi, ok := want[hdr.Name]
		if !ok || hdr.Typeflag != tar.TypeReg {
			t.Fatalf("unexpected entry %q (type %c)", hdr.Name, hdr.Typeflag)
		}
		content, _ := io.ReadAll(tr)
		disk, _ := os.ReadFile(filepath.Join(root, hdr.Name))
		if !bytes.Equal(content, disk) || fs.FileMode(hdr.Mode).Perm() != fi.Mode().Perm() ||
			hdr.ModTime.Unix() != fi.ModTime().Unix() {
			t.Fatalf("entry %s differs from the file (mode %o vs %o)", hdr.Name, hdr.Mode, fi.Mode())
		}
		n++
	}
	if n != len(want) {
		t.Fatalf("%d entries, %d files", n, len(want))
	}
}

func TestTarCreate(t *testing.T) {
	root := genTree(t, 70, 3<<20)
	os.Symlink("Dockerfile", filepath.Join(root, "link")) // skipped, not followed
	for _, arm := range arms {
		for _, mode := range []TarMode{TarAuto, TarSeq, TarConcurrent} {
			k := newK(t, arm, true)
			archive, err := k.TarCreate(root, mode, 4)
			if err != nil {
				t.Fatal(err)
			}
			checkArchive(t, archive, root)
		}
	}
}

func TestTarCreateSwitch(t *testing.T) {
	for _, tc := range []struct {
		files    int
		total    uint64
		wantGets uint64 // sequential: 1 buffer; concurrent: 1 per file
	}{{20, 1 << 20, 1}, {21, 1 << 20, 21}, {3, 10 << 20, 1}, {3, 10<<20 + 1, 3}} {
		k := newK(t, "all", true)
		if _, err := k.TarCreate(genTree(t, tc.files, tc.total), TarAuto, 2); err != nil {
			t.Fatal(err)
		}
		if g := k.Mem.Stats(memory.Tar).Gets; g != tc.wantGets {
			t.Errorf("%d files, %d bytes: %d tar buffers, want %d", tc.files, tc.total, g, tc.wantGets)
		}
	}
}

func TestTarReadAndCopy(t *testing.T) {
	root := genTree(t, 30, 1<<20)
	src, err := newK(t, "none", true).TarCreate(root, TarSeq, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, arm := range arms {
		k := newK(t, arm, true)
		got, err := k.TarRead(bytes.NewReader(src), "Dockerfile")
		want, _ := os.ReadFile(filepath.Join(root, "Dockerfile"))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: tar_read Dockerfile: %v", arm, err)
		}
		if _, err := k.TarRead(bytes.NewReader(src), "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s: missing member: %v, want ErrNotFound", arm, err)
		}
		// truncated in a header, and in the member's data (Go's reader, like the Go
		// code, takes a clean end between entries as the end of the archive)
		if _, err := k.TarRead(bytes.NewReader(src[:300]), "zzz"); !errors.Is(err, ErrInput) {
			t.Fatalf("%s: truncated header: %v, want ErrInput", arm, err)
		}
		if _, err := k.TarRead(bytes.NewReader(src[:700]), "Dockerfile"); !errors.Is(err, ErrInput) {
			t.Fatalf("%s: truncated member: %v, want ErrInput", arm, err)
		}
		cp, err := k.TarCopy(src)
		if err != nil {
			t.Fatal(err)
		}
		checkArchive(t, cp, root)
		if _, err := k.TarCopy(gen.Bytes(1, 2000)); !errors.Is(err, ErrInput) {
			t.Fatalf("%s: tar_copy of garbage: %v, want ErrInput", arm, err)
		}
	}
}

func TestBuild(t *testing.T) {
	root := genTree(t, 40, 2<<20)
	in := BuildInput{ContextDir: root, Dockerfile: "Dockerfile", Image: "img", Tag: "v1", Threads: 2, Cores: 2}
	first := ""
	for _, arm := range arms {
		k := newK(t, arm, true)
		r, err := k.Build(in)
		if err != nil {
			t.Fatal(err)
		}
		if first == "" {
			first = r
		} else if r != first {
			t.Errorf("%s: build result %s differs from %s", arm, r, first)
		}
	}
	in.Dockerfile = "Missing"
	if _, err := newK(t, "all", true).Build(in); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing Dockerfile: %v", err)
	}
}
