// getput.go: the pool speed benchmarks of pb-go (issue 12, "a pool model as fast as the
// real one"): --threads goroutines each do --warmup, then (in the timed window)
// --iterations Get+Put pairs of one hash-class buffer (64 KiB by default, --hash-size),
// writing one byte of each buffer they get, the same loop as the C side's
// pb-bench-getput (harness/bench/bench_getput.c).
//
//   - pool_getput: the bare sync.Pool, as a careful Go programmer writes it: New makes a
//     *[]byte, Put stores the same pointer back, so a hit allocates nothing (Go's best
//     case, the yardstick of the C pool.h/bufpool model);
//   - pool_getput_memory: the same loop through the pkg/memory wrapper (memory.Get and
//     memory.Put of class hash: counters, --zero-on-put, one fresh *[]byte per put), the
//     Go code that the C bufpool models.
//
// Guarantees: ops = iterations x threads; the result is "pairs=N/touched=S" where S is
// the sum of the bytes written, identical in every run with the same arguments; the
// JSON's wall_ns divided by --iterations is the per-goroutine ns per pair (the figure
// scripts/bench-pool.sh compares with the C one).
package main

import (
	"fmt"
	"sync"

	"poolbench/workloads/go/memory"
)

// getputTouch writes one byte of b, as bench_touch does in C: the position and value
// come from i, so a loop cannot be folded away.
func getputTouch(b []byte, i uint64) uint64 {
	b[i&uint64(len(b)-1)] = byte(i)
	return uint64(b[i&uint64(len(b)-1)])
}

// getputBare runs n pairs on the bare sync.Pool.
func getputBare(p *sync.Pool, first, n uint64) (sum uint64) {
	for i := first; i < first+n; i++ {
		bp := p.Get().(*[]byte)
		sum += getputTouch(*bp, i)
		p.Put(bp)
	}
	return sum
}

// getputWrapped runs n pairs through the pkg/memory wrapper (class hash).
func getputWrapped(c *cell, first, n uint64) (sum uint64) {
	for i := first; i < first+n; i++ {
		b := c.mem.Get(memory.Hash)
		sum += getputTouch(b, i)
		c.mem.Put(memory.Hash, b)
	}
	return sum
}

// runGetput runs pool_getput or pool_getput_memory (see the file comment).
func (c *cell) runGetput(w *window) (ops uint64, result string) {
	n := c.a.threads
	if n < 1 {
		n = 1
	}
	size := int(c.a.hashSize)
	bare := &sync.Pool{New: func() any {
		b := make([]byte, size)
		return &b
	}}
	loop := func(first, k uint64) uint64 {
		if c.a.workload == "pool_getput" {
			return getputBare(bare, first, k)
		}
		return getputWrapped(c, first, k)
	}
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	sums := make([]uint64, n)
	ready.Add(n)
	done.Add(n)
	for t := 0; t < n; t++ {
		go func(t int) {
			defer done.Done()
			loop(0, c.a.warmup)
			ready.Done()
			<-start
			sums[t] = loop(c.a.warmup, c.a.iterations)
		}(t)
	}
	ready.Wait()
	w.start(c.mem)
	close(start)
	done.Wait()
	w.stretch(c.a.injectSlowdown)
	w.stop()
	var total uint64
	for _, s := range sums {
		total += s
	}
	ops = c.a.iterations * uint64(n)
	return ops, fmt.Sprintf("pairs=%d/touched=%d", ops, total)
}
