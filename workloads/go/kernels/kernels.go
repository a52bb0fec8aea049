// Package kernels holds the workload kernels of KERNELS.md in Go, on the memory package's
// buffer classes: checksum, sum_checksum, checksum_concurrent, tar_create (auto, seq,
// concurrent), tar_read, tar_copy, image_tag and the composite build.
//
// Guarantees: every threshold of KERNELS.md is a field of Params with the Go code's
// value as default; a kernel takes its buffers only from the memory.Pools it is given
// (pooled, allocate-instead or, with Plain, the code without the package: the seed's
// Branch B); kernels do no timing and no printing and return errors, never exit. Errors
// wrap ErrInput (bad input, e.g. not a tar archive), ErrNotFound (a missing tar member)
// or ErrIO (reading a file or directory failed).
package kernels

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"poolbench/workloads/go/memory"
)

// The error kinds of the kernels (wrapped; test with errors.Is).
var (
	ErrInput    = errors.New("bad input")
	ErrNotFound = errors.New("not found")
	ErrIO       = errors.New("i/o error")
)

// Params are the sizes and thresholds of the Go code (KERNELS.md).
type Params struct {
	DirectMax      int   // 4096: at or below, checksum hashes directly, no pool
	SumPoolMin     int   // 1024: above, sum_checksum holds a small buffer
	ConcurrentMin  int   // 1 MiB: at or below, checksum_concurrent is checksum
	MinChunk       int   // 4096: a smaller chunk makes checksum_concurrent checksum
	MinWorkers     int   // 2: fewer hashing workers become this many
	TarConcFiles   int   // 20: more files make tar_create concurrent
	TarConcBytes   int64 // 10 MiB: more bytes make tar_create concurrent
	TarMaxWorkers  int   // 4: tar workers = min(cores, 4)
	TarOutInitial  int   // 64 KiB: initial archive output buffer
	TarOutMinConcu int   // 64 KiB: concurrent output starts at max(this, total/4)
}

// DefaultParams returns the Go code's values.
func DefaultParams() Params {
	return Params{
		DirectMax: 4096, SumPoolMin: 1024, ConcurrentMin: 1 << 20, MinChunk: 4096,
		MinWorkers: 2, TarConcFiles: 20, TarConcBytes: 10 << 20, TarMaxWorkers: 4,
		TarOutInitial: 64 << 10, TarOutMinConcu: 64 << 10,
	}
}

// K runs kernels against one set of pools.
type K struct {
	Mem *memory.Pools
	P   Params
}

// New returns kernels with the default parameters on mem.
func New(mem *memory.Pools) *K { return &K{Mem: mem, P: DefaultParams()} }

func hexOf(d [sha256.Size]byte) string { return hex.EncodeToString(d[:]) }

// SHA256Hex is the bookkeeping digest (no pool) used for results.
func SHA256Hex(b []byte) string { return hexOf(sha256.Sum256(b)) }
