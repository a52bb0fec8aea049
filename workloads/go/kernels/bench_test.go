// bench_test.go: the seed's phase 4.2 as Go benchmarks: each pool class's kernel in
// three arms, pooled (Branch A), allocate instead of Get ("none": the same code with
// make in place of the pool) and plain (Branch B: the code without pkg/memory), all with
// allocation counts. Run in workloads/go:
//
//	go test ./kernels -run '^$' -bench . -benchmem -count 10 | tee new.txt
//
// and compare arms or commits with benchstat. Inputs are the generator's bytes.
package kernels

import (
	"bytes"
	"path/filepath"
	"testing"

	"poolbench/workloads/go/gen"
	"poolbench/workloads/go/memory"
)

var benchArms = []struct{ name, policy string }{
	{"pooled", "all"}, {"allocate", "none"}, {"plain", "plain"},
}

var benchSink string

func eachArm(b *testing.B, fn func(b *testing.B, k *K)) {
	for _, arm := range benchArms {
		b.Run(arm.name, func(b *testing.B) {
			k := newK(b, arm.policy, true)
			b.ReportAllocs()
			fn(b, k)
		})
	}
}

// BenchmarkHash: the hash class through checksum (just above the direct path, and 1 MiB).
func BenchmarkHash(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"8K", 8 << 10}, {"1M", 1 << 20}} {
		data := gen.Bytes(1, size.n)
		b.Run("size="+size.name, func(b *testing.B) {
			eachArm(b, func(b *testing.B, k *K) {
				b.SetBytes(int64(len(data)))
				for i := 0; i < b.N; i++ {
					benchSink = k.Checksum(data)
				}
			})
		})
	}
}

// BenchmarkHashConcurrent: the hash class through checksum_concurrent (4 MiB, 2 workers).
func BenchmarkHashConcurrent(b *testing.B) {
	data := gen.Bytes(2, 4<<20)
	eachArm(b, func(b *testing.B, k *K) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			benchSink = k.ChecksumConcurrent(data, 2)
		}
	})
}

// BenchmarkSmall: the small class through sum_checksum (64 digests: the buffer is held).
func BenchmarkSmall(b *testing.B) {
	digests := gen.Bytes(3, 64*32)
	eachArm(b, func(b *testing.B, k *K) {
		for i := 0; i < b.N; i++ {
			benchSink = k.SumChecksum(digests)
		}
	})
}

// BenchmarkString: the string class through image_tag.
func BenchmarkString(b *testing.B) {
	eachArm(b, func(b *testing.B, k *K) {
		for i := 0; i < b.N; i++ {
			benchSink = k.ImageTag("registry.local/ci/app", "v1")
		}
	})
}

func benchArchive(b *testing.B, files int, total uint64) (string, []byte) {
	dir := filepath.Join(b.TempDir(), "tree")
	if err := gen.Tree(4, files, total, dir); err != nil {
		b.Fatal(err)
	}
	archive, err := newK(b, "none", true).TarCreate(dir, TarSeq, 1)
	if err != nil {
		b.Fatal(err)
	}
	return dir, archive
}

// BenchmarkTar: the tar class through tar_read (the Dockerfile), tar_copy and
// tar_create (sequential) of a 10-file, 256 KiB context.
func BenchmarkTar(b *testing.B) {
	dir, archive := benchArchive(b, 10, 256<<10)
	b.Run("read", func(b *testing.B) {
		eachArm(b, func(b *testing.B, k *K) {
			for i := 0; i < b.N; i++ {
				if _, err := k.TarRead(bytes.NewReader(archive), "Dockerfile"); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("copy", func(b *testing.B) {
		eachArm(b, func(b *testing.B, k *K) {
			b.SetBytes(int64(len(archive)))
			for i := 0; i < b.N; i++ {
				if _, err := k.TarCopy(archive); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("create", func(b *testing.B) {
		eachArm(b, func(b *testing.B, k *K) {
			for i := 0; i < b.N; i++ {
				if _, err := k.TarCreate(dir, TarSeq, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkGetPut: one get and put of each byte class, pooled vs allocate instead (the
// pool's own cost against the allocator and collector, with nothing else around it).
func BenchmarkGetPut(b *testing.B) {
	for _, c := range []memory.Class{memory.Hash, memory.Tar} {
		for _, arm := range benchArms[:2] {
			b.Run(c.String()+"/"+arm.name, func(b *testing.B) {
				k := newK(b, arm.policy, true)
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					buf := k.Mem.Get(c)
					buf[0] = byte(i)
					k.Mem.Put(c, buf)
				}
			})
		}
	}
}
