// gen_test.go: the generator against known answers taken from the C generator
// (pb-glibc's checksum of --size/--seed inputs, and a listing digest of the tree that
// pb-glibc wrote for seed 7, 150 files, 2 MiB), plus the layout's own invariants.
package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

func TestBytesMatchC(t *testing.T) {
	for _, tc := range []struct {
		seed uint64
		n    int
		want string
	}{
		{1, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{1, 1, "5a0ec31daa84fa27666da56af259b9351086bba0b9ab4aa6007e3e6fb1866b47"},
		{1, 4097, "cb955c4f0706e615fbbc2088e457d794e1f7948adc2e3168724bba28e1fccc88"},
		{42, 65543, "eb41f447fc23c74fedc8e33809f63a81a248114e31e389d45939fa366a76645e"},
		{3, 1 << 20, "eb1f6142abc01d9e53fe107458030c677552bf8fbc6979722f1b97f450e1d963"},
	} {
		d := sha256.Sum256(Bytes(tc.seed, tc.n))
		if got := hex.EncodeToString(d[:]); got != tc.want {
			t.Errorf("seed %d size %d: %s, want the C generator's %s", tc.seed, tc.n, got, tc.want)
		}
	}
}

func TestFillConcatenates(t *testing.T) {
	whole := Bytes(9, 4096)
	r := NewRNG(9)
	parts := make([]byte, 4096)
	r.Fill(parts[:1024])
	r.Fill(parts[1024:])
	if string(whole) != string(parts) {
		t.Fatal("a stream cut at a multiple of 8 differs from one call")
	}
}

// listing is the sorted "rel mode size mtime sha256" description of a tree.
func listing(t *testing.T, root string) (int, string) {
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if fi.IsDir() {
			lines = append(lines, fmt.Sprintf("%s/ %o %d\n", rel, fi.Mode().Perm(), fi.ModTime().Unix()))
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		lines = append(lines, fmt.Sprintf("%s %o %d %d %x\n", rel, fi.Mode().Perm(), fi.Size(),
			fi.ModTime().Unix(), sum))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
	}
	return len(lines), hex.EncodeToString(h.Sum(nil))
}

func TestTreeMatchesC(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tree")
	if err := Tree(7, 150, 2<<20, dir); err != nil {
		t.Fatal(err)
	}
	n, digest := listing(t, dir)
	const want = "0893991e5eee81f5fd442fdf7849412663b2e6f7bb23c058843136cefc7b0edc"
	if n != 153 || digest != want {
		t.Fatalf("tree listing: %d entries, digest %s; the C generator's: 153, %s", n, digest, want)
	}
	if err := Tree(7, 150, 2<<20, dir); err == nil {
		t.Fatal("a second Tree over an existing directory must fail, not replace it")
	}
}

func TestLayoutInvariants(t *testing.T) {
	for _, files := range []int{1, 2, 64, 65, 500, 5000} {
		for _, total := range []uint64{0, 100, 1 << 20} {
			l := NewLayout(11, files, total)
			var sum uint64
			names := map[string]bool{}
			for i := range l.Files {
				sum += l.Files[i].Bytes
				if names[l.Rel(i)] {
					t.Fatalf("files %d: duplicate name %s", files, l.Rel(i))
				}
				names[l.Rel(i)] = true
			}
			if sum != total || l.Files[0].Name != "Dockerfile" {
				t.Fatalf("files %d total %d: sizes sum to %d, first %s", files, total, sum, l.Files[0].Name)
			}
			for _, d := range l.Dirs {
				if d.Depth < 1 || d.Depth > maxDepth {
					t.Fatalf("directory %s at depth %d", d.Path, d.Depth)
				}
			}
		}
	}
}

func TestDockerfileExactLength(t *testing.T) {
	for _, n := range []uint64{0, 1, 50, 300, 1000} {
		if got := len(Dockerfile(5, n)); uint64(got) != n {
			t.Errorf("Dockerfile(%d): %d bytes", n, got)
		}
	}
}
