// tree.go: the generated build-context tree (gen_tree of workloads/gen.c, ported).
//
// Guarantees: Layout draws from the same random stream in the same order as the C
// generator, so names, sizes, modes and mtimes are identical; Tree writes it atomically
// (temporary sibling, rename that never replaces an existing directory). A file's
// content is Bytes-style output of the file seed splitmix64(seed ^ index); the first
// file is the Dockerfile text.
package gen

import (
	"errors"
	"fmt"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"time"
)

var exts = [...]string{"c", "go", "txt", "json", "bin", "md", "sh", "o"}

// Dir is one generated directory.
type Dir struct {
	Parent int    // -1: the root
	Depth  int    // 1..3
	Path   string // relative to the root, e.g. "d000/d003"
	Mtime  int64
}

// File is one generated regular file.
type File struct {
	Dir   int // -1: the root
	Name  string
	Bytes uint64
	Mode  fs.FileMode
	Mtime int64
}

// Rel returns the file's path relative to the root.
func (l *Layout) Rel(i int) string {
	f := l.Files[i]
	if f.Dir < 0 {
		return f.Name
	}
	return l.Dirs[f.Dir].Path + "/" + f.Name
}

// Layout is the whole tree of (seed, files, totalBytes).
type Layout struct {
	Dirs  []Dir
	Files []File
}

// NewLayout computes the layout of gen_tree; files must be >= 1.
func NewLayout(seed uint64, files int, totalBytes uint64) *Layout {
	r := NewRNG(seed ^ 0x74726565) // "tree"
	nd := 1 + (files-1)/64
	if nd > maxDirs {
		nd = maxDirs
	}
	if files == 1 {
		nd = 0
	}
	l := &Layout{Dirs: make([]Dir, nd), Files: make([]File, files)}
	for d := 0; d < nd; d++ {
		parent := -1
		if d > 0 {
			pick := r.below(uint64(d) + 1) // d: the root
			if pick < uint64(d) && l.Dirs[pick].Depth < maxDepth {
				parent = int(pick)
			}
		}
		dir := Dir{Parent: parent, Depth: 1, Path: fmt.Sprintf("d%03d", d)}
		if parent >= 0 {
			dir.Depth = l.Dirs[parent].Depth + 1
			dir.Path = l.Dirs[parent].Path + "/" + dir.Path
		}
		dir.Mtime = mtimeBase + int64(r.below(yearSeconds))
		l.Dirs[d] = dir
	}
	l.sizes(r, totalBytes)
	for i := range l.Files {
		f := &l.Files[i]
		switch {
		case i == 0:
			f.Dir, f.Mode = -1, 0o644
		case i-1 < nd:
			f.Dir = i - 1 // every directory holds a file
			f.Mode = mode(r)
		default:
			pick := r.below(uint64(nd) + 1)
			f.Dir = int(pick)
			if pick == uint64(nd) {
				f.Dir = -1
			}
			f.Mode = mode(r)
		}
		f.Mtime = mtimeBase + int64(r.below(yearSeconds))
		if i == 0 {
			f.Name = "Dockerfile"
		} else {
			// the C call evaluates its arguments right to left: extension first
			ext := exts[r.below(uint64(len(exts)))]
			f.Name = fmt.Sprintf("f%05d_%08x.%s", i, r.Next()&0xffffffff, ext)
		}
	}
	return l
}

func mode(r *RNG) fs.FileMode {
	if r.below(8) == 0 {
		return 0o755
	}
	return 0o644
}

// sizes splits totalBytes: the Dockerfile first (all of it for one file, else at most
// 300 bytes), the rest by weights with exact integer shares.
func (l *Layout) sizes(r *RNG, total uint64) {
	files := len(l.Files)
	docker := total
	if files > 1 && total > dockerfileBytes {
		docker = dockerfileBytes
	}
	rest := total - docker
	weight := make([]uint64, files)
	var wsum uint64
	for i := 1; i < files; i++ {
		k := r.below(100)
		var w uint64
		switch {
		case k < 5:
		case k < 85:
			w = 1 + r.below(64)
		default:
			w = 256 + r.below(4096)
		}
		weight[i] = w
		wsum += w
	}
	if wsum == 0 && files > 1 { // every weight zero: split evenly
		for i := 1; i < files; i++ {
			weight[i] = 1
		}
		wsum = uint64(files - 1)
	}
	l.Files[0].Bytes = docker
	var cum, prev uint64
	for i := 1; i < files; i++ {
		cum += weight[i]
		hi, lo := bits.Mul64(rest, cum)
		upto, _ := bits.Div64(hi, lo, wsum) // cum <= wsum: the quotient fits
		l.Files[i].Bytes = upto - prev
		prev = upto
	}
}

// fileSeed is the seed of file i's content stream.
func fileSeed(seed uint64, i int) uint64 {
	x := seed ^ uint64(i)
	return splitmix64(&x)
}

// Tree creates dir (which must not exist) holding the generated tree.
func Tree(seed uint64, files int, totalBytes uint64, dir string) error {
	if dir == "" || files < 1 {
		return fmt.Errorf("gen: bad tree arguments")
	}
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("gen: %s: %w", dir, fs.ErrExist)
	}
	tmp := fmt.Sprintf("%s.tmp.%d", dir, os.Getpid())
	if _, err := os.Lstat(tmp); err == nil {
		os.RemoveAll(tmp) // stale, from an earlier run of this pid
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return err
	}
	err := os.Chmod(tmp, 0o755)
	if err == nil {
		err = NewLayout(seed, files, totalBytes).write(seed, tmp)
	}
	if err == nil {
		err = renameNoReplace(tmp, dir)
	}
	if err != nil {
		os.RemoveAll(tmp)
	}
	return err
}

func (l *Layout) write(seed uint64, root string) error {
	for _, d := range l.Dirs {
		p := filepath.Join(root, d.Path)
		if err := os.Mkdir(p, 0o700); err != nil {
			return err
		}
		if err := os.Chmod(p, 0o755); err != nil {
			return err
		}
	}
	chunk := make([]byte, chunkBytes)
	for i := range l.Files {
		if err := l.writeFile(seed, root, i, chunk); err != nil {
			return err
		}
	}
	// directories last, deepest (latest created) first: file creation moves mtimes
	for d := len(l.Dirs) - 1; d >= 0; d-- {
		if err := setMtime(filepath.Join(root, l.Dirs[d].Path), l.Dirs[d].Mtime); err != nil {
			return err
		}
	}
	return setMtime(root, mtimeBase)
}

func (l *Layout) writeFile(seed uint64, root string, i int, chunk []byte) (err error) {
	f := l.Files[i]
	path := filepath.Join(root, l.Rel(i))
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = setMtime(path, f.Mtime)
		}
	}()
	if i == 0 {
		if _, err = out.Write(Dockerfile(seed, f.Bytes)); err != nil {
			return err
		}
	} else {
		r := NewRNG(fileSeed(seed, i))
		for left := f.Bytes; left > 0; {
			n := uint64(len(chunk))
			if left < n {
				n = left
			}
			r.Fill(chunk[:n])
			if _, err = out.Write(chunk[:n]); err != nil {
				return err
			}
			left -= n
		}
	}
	return out.Chmod(f.Mode)
}

func setMtime(path string, mtime int64) error {
	t := time.Unix(mtime, 0)
	return os.Chtimes(path, t, t)
}

// ErrExists is returned by Tree when dir appeared while the tree was written.
var ErrExists = errors.New("gen: the tree already exists")
