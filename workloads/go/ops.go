// ops.go: one operation of each workload, its textual result, and the two runner-only
// workloads (pool_churn: goroutines hammering get/put; touch: one allocation whose pages
// are touched), as pb-<backend> defines them (harness/runner/runner.c).
//
// Guarantees: an operation's whole output is kept in an opOut until the next operation,
// so no work can be optimised away; the result is the digest (checksum kinds, build), the
// tag (image_tag), or the SHA-256 hex of the bytes produced (archives, member content).
package main

import (
	"bytes"
	"fmt"
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

// churnClasses are the classes pool_churn cycles through: every pooled class but the
// small alias, or (nothing pooled) hash unpooled.
func churnClasses(mem *memory.Pools) []memory.Class {
	var cls []memory.Class
	for _, c := range []memory.Class{memory.Hash, memory.Tar, memory.String} {
		if mem.Pooled(c) {
			cls = append(cls, c)
		}
	}
	if len(cls) == 0 {
		cls = append(cls, memory.Hash)
	}
	return cls
}

func churnLoop(mem *memory.Pools, cls []memory.Class, n uint64) (sum uint64) {
	for i := uint64(0); i < n; i++ {
		c := cls[i%uint64(len(cls))]
		if c == memory.String {
			b := mem.GetBuilder()
			b.WriteByte(byte(i)) // a real use of the buffer
			sum += uint64(b.Bytes()[0])
			mem.PutBuilder(b)
			continue
		}
		b := mem.Get(c)
		b[0] = byte(i)
		sum += uint64(b[0])
		mem.Put(c, b)
	}
	return sum
}

// runChurn runs pool_churn: every goroutine warms up, the window opens, all hammer
// get/put for --iterations pairs each, the window closes.
func (c *cell) runChurn(w *window) (ops uint64, result string) {
	n := c.a.threads
	if n < 1 {
		n = 1
	}
	cls := churnClasses(c.mem)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	sums := make([]uint64, n)
	ready.Add(n)
	done.Add(n)
	for t := 0; t < n; t++ {
		go func(t int) {
			defer done.Done()
			sums[t] = churnLoop(c.mem, cls, c.a.warmup)
			ready.Done()
			<-start
			sums[t] += churnLoop(c.mem, cls, c.a.iterations)
		}(t)
	}
	ready.Wait()
	w.start(c.mem)
	close(start)
	done.Wait()
	w.stretch(c.a.injectSlowdown)
	w.stop()
	ops = c.a.iterations * uint64(n)
	return ops, fmt.Sprintf("pairs=%d/classes=%d", ops, len(cls))
}
