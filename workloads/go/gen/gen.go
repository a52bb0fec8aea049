// Package gen generates the deterministic inputs of poolbench, byte for byte the same as
// the C generator (workloads/gen.c), so pb-go and pb-<backend> measure the same bytes.
//
// Guarantees: Bytes is xoshiro256** seeded by four splitmix64 outputs of the seed, each
// 64-bit output emitted little-endian (the last one truncated). Tree lays out the same
// tree as gen_tree for (seed, files, totalBytes): the same directory names and nesting,
// file names, sizes, contents, modes (0644/0755, directories 0755) and mtimes; it writes
// under dir + ".tmp.<pid>" and renames into place without replacing anything, removing
// the temporary on failure. Not for use inside a timed window.
package gen

import (
	"fmt"
	"math/bits"
)

const (
	dockerfileBytes = 300
	maxDirs         = 64
	maxDepth        = 3
	mtimeBase       = 1704067200 // 2024-01-01T00:00:00Z
	yearSeconds     = 365 * 86400
	chunkBytes      = 1 << 20 // a multiple of 8: a stream cut there concatenates
)

func splitmix64(x *uint64) uint64 {
	*x += 0x9e3779b97f4a7c15
	z := *x
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// RNG is xoshiro256** (Blackman & Vigna).
type RNG struct{ s [4]uint64 }

// NewRNG seeds the generator with four splitmix64 outputs of seed.
func NewRNG(seed uint64) *RNG {
	r := &RNG{}
	x := seed
	for i := range r.s {
		r.s[i] = splitmix64(&x)
	}
	return r
}

// Next returns the next 64-bit output.
func (r *RNG) Next() uint64 {
	s := &r.s
	result := bits.RotateLeft64(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = bits.RotateLeft64(s[3], 45)
	return result
}

// Fill continues the stream into out, little-endian per 64-bit output.
func (r *RNG) Fill(out []byte) {
	for i := 0; i < len(out); {
		v := r.Next()
		for k := 0; k < 8 && i < len(out); k, i = k+1, i+1 {
			out[i] = byte(v >> (8 * k))
		}
	}
}

// below returns a value in [0, n) (n > 0), with the same modulo as the C generator.
func (r *RNG) below(n uint64) uint64 { return r.Next() % n }

// Bytes returns n deterministic bytes for seed.
func Bytes(seed uint64, n int) []byte {
	out := make([]byte, n)
	NewRNG(seed).Fill(out)
	return out
}

// dockerfileText is the Dockerfile's text before the filler lines.
func dockerfileText(seed uint64) string {
	return fmt.Sprintf("# poolbench generated build context (seed %d)\n"+
		"FROM debian:12-slim\n"+
		"WORKDIR /src\n"+
		"COPY . /src\n"+
		"RUN apt-get update && apt-get install -y --no-install-recommends build-essential\n"+
		"RUN make -j2 all\n"+
		"ENV POOLBENCH=1\n"+
		"CMD [\"/src/bin/app\", \"--serve\"]\n", seed)
}

// Dockerfile returns the Dockerfile content of exactly n bytes: the text, then
// "RUN true # step N" lines.
func Dockerfile(seed uint64, n uint64) []byte {
	out := make([]byte, 0, n)
	text := dockerfileText(seed)
	if uint64(len(text)) > n {
		text = text[:n]
	}
	out = append(out, text...)
	for step := 0; uint64(len(out)) < n; step++ {
		line := fmt.Sprintf("RUN true # step %d\n", step)
		if left := n - uint64(len(out)); uint64(len(line)) > left {
			line = line[:left]
		}
		out = append(out, line...)
	}
	return out
}
