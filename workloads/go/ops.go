// ops.go: one operation of each workload, its textual result, and the two runner-only
// workloads (pool_churn: goroutines hammering get/put, computing the C runners' checksum
// result; touch: one allocation whose pages are touched), as pb-<backend> defines them
// (harness/runner/runner.c).
//
// Guarantees: an operation's whole output is kept in an opOut until the next operation,
// so no work can be optimised away; the result is the digest (checksum kinds, build), the
// tag (image_tag), or the SHA-256 hex of the bytes produced (archives, member content).
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"sync"

	"poolbench/workloads/go/kernels"
	"poolbench/workloads/go/memory"
)

type opOut struct {
	hex   string // checksum kinds, build, touch
	bytes []byte // archives, member content
	str   string // image tag
}

type cell struct {
	a   *args
	in  *input
	mem *memory.Pools
	k   *kernels.K
}

func tarMode(w string) kernels.TarMode {
	switch w {
	case "tar_create_seq":
		return kernels.TarSeq
	case "tar_create_concurrent":
		return kernels.TarConcurrent
	}
	return kernels.TarAuto
}

// op runs one operation of the cell's workload.
func (c *cell) op() (out opOut, err error) {
	a, k := c.a, c.k
	switch a.workload {
	case "checksum":
		out.hex = k.Checksum(c.in.data)
	case "sum_checksum":
		out.hex = k.SumChecksum(c.in.data)
	case "checksum_concurrent":
		out.hex = k.ChecksumConcurrent(c.in.data, a.threads)
	case "tar_create", "tar_create_seq", "tar_create_concurrent":
		out.bytes, err = k.TarCreate(c.in.dir, tarMode(a.workload), a.cores)
	case "tar_read":
		if a.fromDisk {
			out.bytes, err = k.TarReadFile(c.in.dir, a.member)
		} else {
			out.bytes, err = k.TarRead(bytes.NewReader(c.in.data), a.member)
		}
	case "tar_copy":
		out.bytes, err = k.TarCopy(c.in.data)
	case "image_tag":
		out.str = k.ImageTag(a.image, a.tag)
	case "build":
		out.hex, err = k.Build(kernels.BuildInput{ContextDir: c.in.dir, Dockerfile: a.member,
			Image: a.image, Tag: a.tag, Threads: a.threads, Cores: a.cores})
	case "touch":
		out.hex = touch(int(a.size))
	default:
		err = fmt.Errorf("%w: workload %s", kernels.ErrInput, a.workload)
	}
	return out, err
}

// result is the textual result of an operation.
func (c *cell) result(o opOut) string {
	switch c.a.workload {
	case "image_tag":
		return o.str
	case "tar_create", "tar_create_seq", "tar_create_concurrent", "tar_read", "tar_copy":
		return kernels.SHA256Hex(o.bytes)
	}
	return o.hex
}

var touchSink []byte

func touch(n int) string {
	p := make([]byte, n)
	var sum uint
	for i := 0; i < n; i += 4096 {
		p[i] = byte(i >> 12)
	}
	for i := 0; i < n; i += 4096 {
		sum += uint(p[i])
	}
	touchSink = p
	touchSink = nil
	return fmt.Sprintf("touched=%d/%d", n, sum&0xff)
}

// pool_churn: the C runners' algorithm (harness/runner/runner.c, churn_loop), so that
// pb-go prints the same result as pb-<backend> for the same arguments. Goroutine t's
// operation i gets a buffer of class churnOrder[i%3] (String as a builder), writes 16
// probe bytes spread over its capacity (first to last byte; values from the goroutine's
// seed and i, ORed with 1 so never zero), reads them back, folds them into the
// goroutine's FNV-style checksum and puts the buffer back. The result depends on the
// arguments only (seed, threads, warm-up, iterations), in every arm; a pool that hands
// one buffer to two goroutines at once changes the bytes read back, and a buffer that
// should arrive zeroed (pooled with zero on put; make is always zeroed) but does not is
// counted and named in the result. Test hook, as in C: PB_TEST_CHURN_SCRIBBLE=1 writes
// one byte into each pooled buffer after putting it back (a use after put).
const (
	churnProbes   = 16
	fnvOffset     = 0xCBF29CE484222325
	fnvPrime      = 0x100000001B3
	churnThreadK  = 0xD1B54A32D192ED03
	churnScribble = 0x5A
)

var churnOrder = [...]memory.Class{memory.Hash, memory.Tar, memory.String}

// churnMix is splitmix64's finaliser (C: churn_mix).
func churnMix(z uint64) uint64 {
	z += 0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

type churnThread struct {
	seed       uint64
	checksum   uint64
	unzeroed   uint64
	expectZero [memory.NumClasses]bool
	scribble   [memory.NumClasses]bool
}

// churnProbe is the index of probe j in a buffer whose last byte is last.
func churnProbe(last, j int) int { return last * j / (churnProbes - 1) }

// churnRead reads the probe bytes back from memory; out of line, so the compiler cannot
// forward the values just stored (the C code's compiler barrier).
//
//go:noinline
func churnRead(buf []byte, got *[churnProbes]byte) {
	last := len(buf) - 1
	for j := range got {
		got[j] = 0
		if len(buf) > 0 {
			got[j] = buf[churnProbe(last, j)]
		}
	}
}

// loop runs operations first .. first+n-1 of this goroutine.
func (t *churnThread) loop(mem *memory.Pools, first, n uint64) {
	var want, got [churnProbes]byte
	for i := first; i < first+n; i++ {
		c := churnOrder[i%uint64(len(churnOrder))]
		var buf []byte
		var bld *bytes.Buffer
		if c == memory.String {
			bld = mem.GetBuilder()
			buf = bld.Bytes()[:bld.Cap()]
		} else {
			buf = mem.Get(c)
			buf = buf[:cap(buf)]
		}
		last := len(buf) - 1
		binary.LittleEndian.PutUint64(want[:8], churnMix(t.seed^(2*i)))
		binary.LittleEndian.PutUint64(want[8:], churnMix(t.seed^(2*i+1)))
		if t.expectZero[c] && len(buf) > 0 {
			var seen byte
			for j := 0; j < churnProbes; j++ {
				seen |= buf[churnProbe(last, j)]
			}
			if seen != 0 {
				t.unzeroed++
			}
		}
		for j := 0; j < churnProbes && len(buf) > 0; j++ {
			buf[churnProbe(last, j)] = want[j] | 1
		}
		churnRead(buf, &got)
		t.checksum = (t.checksum ^ binary.LittleEndian.Uint64(got[:8])) * fnvPrime
		t.checksum = (t.checksum ^ binary.LittleEndian.Uint64(got[8:])) * fnvPrime
		if bld != nil {
			mem.PutBuilder(bld)
		} else {
			mem.Put(c, buf)
		}
		if t.scribble[c] && len(buf) > 0 {
			buf[0] = churnScribble // the test hook: a use after put
		}
	}
}

// churnSetup gives each goroutine its seed and what it expects of the buffers it gets.
func (c *cell) churnSetup(n int) []churnThread {
	cfg := c.mem.Config()
	hook := os.Getenv("PB_TEST_CHURN_SCRIBBLE") == "1"
	th := make([]churnThread, n)
	for t := range th {
		th[t].seed = churnMix(c.a.seed ^ (churnThreadK * uint64(t+1)))
		th[t].checksum = fnvOffset
		for k := memory.Class(0); k < memory.NumClasses; k++ {
			pooled := c.mem.Pooled(k)
			th[t].expectZero[k] = !pooled || cfg.ZeroOnPut // a make is always zeroed
			keep := cfg.Size[k] <= cfg.MaxKeep &&
				(k != memory.String || cfg.Size[k] <= cfg.StringKeepMax)
			th[t].scribble[k] = hook && pooled && keep
		}
	}
	return th
}

// runChurn runs pool_churn: every goroutine warms up, the window opens, all hammer
// get/put for --iterations pairs each, the window closes; the result is
// "pairs=N/check=HEX" (plus "/unzeroed=K" for a broken pool), as the C runners print it.
func (c *cell) runChurn(w *window) (ops uint64, result string) {
	n := c.a.threads
	if n < 1 {
		n = 1
	}
	th := c.churnSetup(n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for t := 0; t < n; t++ {
		go func(t *churnThread) {
			defer done.Done()
			t.loop(c.mem, 0, c.a.warmup)
			ready.Done()
			<-start
			t.loop(c.mem, c.a.warmup, c.a.iterations)
		}(&th[t])
	}
	ready.Wait()
	w.start(c.mem)
	close(start)
	done.Wait()
	w.stretch(c.a.injectSlowdown)
	w.stop()
	sum, unzeroed := uint64(fnvOffset), uint64(0)
	for t := range th { // in goroutine order
		sum = (sum ^ th[t].checksum) * fnvPrime
		unzeroed += th[t].unzeroed
	}
	ops = c.a.iterations * uint64(n)
	result = fmt.Sprintf("pairs=%d/check=%016x", ops, sum)
	if unzeroed > 0 {
		result += fmt.Sprintf("/unzeroed=%d", unzeroed)
	}
	return ops, result
}
