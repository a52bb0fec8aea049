// Package memory is a pkg/memory-like wrapper on the real sync.Pool: the buffer classes
// the kernels of KERNELS.md take buffers from.
//
// Guarantees:
//   - classes hash (64 KiB), small (an alias of hash: the same sync.Pool and size), tar
//     (64 KiB) and string (a 1 KiB builder, kept only while its capacity is <= 2 KiB);
//     every size is configurable;
//   - Put zeroes the whole buffer (all of its capacity) when ZeroOnPut is on (the
//     default), so a buffer got from the pool never shows an earlier user's bytes;
//   - Put drops a buffer whose capacity exceeds MaxKeep (1 MiB) instead of keeping it;
//   - Put of a byte buffer stores it through a fresh *[]byte, one small heap object per
//     put, as the Go package does (the sync.Pool argument must be a pointer);
//   - per class: gets (every Get, pooled or not), hits (the pool had a buffer), misses
//     (the pool's New had to create one: New marks what it creates by its type, so Get
//     counts each under the class asked for, also for small, which shares hash's pool),
//     drops (counted in Put);
//   - a class that is not pooled allocates with make([]byte, size) where size is the
//     class size variable, so the buffer is always a heap allocation (never a stack one);
//     Put of such a buffer does nothing (the garbage collector frees it).
//
// Nothing here assumes that a Get returns the buffer of an earlier Put.
package memory

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// Class is a buffer class of the pkg/memory package.
type Class int

// The classes; Small shares the hash pool.
const (
	Hash Class = iota
	Small
	Tar
	String
	NumClasses
)

var classNames = [NumClasses]string{"hash", "small", "tar", "string"}

// String returns the class name used on the command line and in results.
func (c Class) String() string {
	if c >= 0 && c < NumClasses {
		return classNames[c]
	}
	return "unknown"
}

// Config is the pool policy of one run.
type Config struct {
	Size          [NumClasses]int  // bytes per class; Small mirrors Hash
	Pooled        [NumClasses]bool // Small follows Hash
	ZeroOnPut     bool             // zero a buffer on put (Go's default: on)
	Plain         bool             // the seed's Branch B: the code without pkg/memory
	MaxKeep       int              // Put drops buffers with a larger capacity (1 MiB)
	StringKeepMax int              // Put drops builders with a larger capacity (2 KiB)
}

// DefaultConfig returns Go's defaults: 64 KiB hash and tar, 1 KiB string, all pooled,
// zero on put.
func DefaultConfig() Config {
	c := Config{ZeroOnPut: true, MaxKeep: 1 << 20, StringKeepMax: 2 << 10}
	c.Size = [NumClasses]int{64 << 10, 64 << 10, 64 << 10, 1 << 10}
	for i := range c.Pooled {
		c.Pooled[i] = true
	}
	return c
}

// ParsePolicy sets cfg.Pooled and cfg.Plain from a policy: "all", "none", "plain" (the
// code without the package: nothing pooled, and the kernels take their plain paths), or
// a comma list of class names ("hash,tar"; "small" means "hash"), optionally with the
// word "plain" ("tar,plain": tar pooled, the other classes the plain code), as the C
// runners' bufpool_policy_parse.
func ParsePolicy(policy string, cfg *Config) error {
	var pooled [NumClasses]bool
	words := strings.Split(policy, ",")
	plain := false
	for _, raw := range words {
		w := strings.TrimSpace(raw)
		switch w {
		case "":
			return fmt.Errorf("empty pool class name in policy")
		case "plain":
			plain = true
			continue
		case "all", "none":
			if len(words) > 1 {
				return fmt.Errorf("pool policy word '%s' must stand alone (not in a list)", w)
			}
			for i := range pooled {
				pooled[i] = w == "all"
			}
			continue
		}
		found := false
		for i, n := range classNames {
			if n == w {
				c := Class(i)
				if c == Small {
					c = Hash
				}
				pooled[c] = true
				found = true
			}
		}
		if !found {
			return fmt.Errorf("unknown pool class '%s'", w)
		}
	}
	pooled[Small] = pooled[Hash]
	cfg.Pooled = pooled
	cfg.Plain = plain
	return nil
}

// ClassStats are the counters of one class.
type ClassStats struct {
	Gets, Hits, Misses, Drops uint64
}

type counters struct {
	gets, hits, misses, drops atomic.Uint64
	_                         [32]byte // keep classes on separate cache lines
}

// freshBuf and freshBuilder are what New hands out: Get tells a miss from a hit by the
// type (a put stores *[]byte or *bytes.Buffer).
type freshBuf []byte

type freshBuilder struct{ b *bytes.Buffer } // pointer-shaped: no allocation as an any

// Pools holds one sync.Pool per pooled class (Small shares Hash's) and the counters.
type Pools struct {
	cfg   Config
	pools [NumClasses]*sync.Pool
	stats [NumClasses]counters
}

// New creates the pools of cfg. Sizes must be positive.
func New(cfg Config) *Pools {
	cfg.Size[Small] = cfg.Size[Hash]
	cfg.Pooled[Small] = cfg.Pooled[Hash]
	p := &Pools{cfg: cfg}
	for c := Hash; c < NumClasses; c++ {
		if c == Small || !cfg.Pooled[c] {
			continue
		}
		c := c
		if c == String {
			p.pools[c] = &sync.Pool{New: func() any {
				return freshBuilder{bytes.NewBuffer(make([]byte, 0, p.cfg.Size[String]))}
			}}
			continue
		}
		p.pools[c] = &sync.Pool{New: func() any {
			b := freshBuf(make([]byte, p.cfg.Size[c]))
			return &b
		}}
	}
	p.pools[Small] = p.pools[Hash]
	return p
}

// Config returns the policy of the pools.
func (p *Pools) Config() Config { return p.cfg }

// Plain reports whether class c runs the code without the package (Branch B): the
// policy asked for the plain code and c is not pooled.
func (p *Pools) Plain(c Class) bool { return p.cfg.Plain && p.pools[c] == nil }

// Pooled reports whether class c is pooled.
func (p *Pools) Pooled(c Class) bool { return p.pools[c] != nil }

// Size returns the buffer size of class c.
func (p *Pools) Size(c Class) int { return p.cfg.Size[c] }

// Get returns a buffer of class c with len == cap == the class size (a byte class; use
// GetBuilder for String). Small's gets, hits and misses are counted under small
// although its buffers come from the hash pool.
func (p *Pools) Get(c Class) []byte {
	p.stats[c].gets.Add(1)
	pool := p.pools[c]
	if pool == nil {
		return make([]byte, p.cfg.Size[c]) // a variable size: always on the heap
	}
	switch v := pool.Get().(type) {
	case *freshBuf:
		p.stats[c].misses.Add(1)
		return *v
	case *[]byte:
		p.stats[c].hits.Add(1)
		return *v
	}
	panic("memory: foreign value in a buffer pool")
}

// Put gives a buffer of class c back: zeroed when ZeroOnPut is on, dropped when its
// capacity exceeds MaxKeep, stored through a fresh *[]byte otherwise. A buffer of an
// unpooled class is left to the garbage collector.
func (p *Pools) Put(c Class, b []byte) {
	pool := p.pools[c]
	if pool == nil {
		return
	}
	if cap(b) > p.cfg.MaxKeep {
		p.stats[c].drops.Add(1)
		return
	}
	b = b[:cap(b)]
	if p.cfg.ZeroOnPut {
		for i := range b {
			b[i] = 0
		}
	}
	store(pool, b)
}

// store puts b through a fresh pointer: &b escapes, one new *[]byte per put, as in the
// Go package. A function of its own so that only a pooled put allocates it.
//
//go:noinline
func store(pool *sync.Pool, b []byte) {
	pool.Put(&b)
}

// GetBuilder returns an empty string builder of the String class (capacity >= the
// class size). For an unpooled String class it is a fresh allocation.
func (p *Pools) GetBuilder() *bytes.Buffer {
	p.stats[String].gets.Add(1)
	pool := p.pools[String]
	if pool == nil {
		return bytes.NewBuffer(make([]byte, 0, p.cfg.Size[String]))
	}
	switch v := pool.Get().(type) {
	case freshBuilder:
		p.stats[String].misses.Add(1)
		return v.b
	case *bytes.Buffer:
		p.stats[String].hits.Add(1)
		return v
	}
	panic("memory: foreign value in the builder pool")
}

// PutBuilder gives a builder back: dropped when its capacity exceeds StringKeepMax (or
// MaxKeep), zeroed when ZeroOnPut is on, reset, pooled.
func (p *Pools) PutBuilder(b *bytes.Buffer) {
	pool := p.pools[String]
	if pool == nil {
		return
	}
	if b.Cap() > p.cfg.StringKeepMax || b.Cap() > p.cfg.MaxKeep {
		p.stats[String].drops.Add(1)
		return
	}
	b.Reset()
	if p.cfg.ZeroOnPut {
		z := b.Bytes()[:b.Cap()]
		for i := range z {
			z[i] = 0
		}
	}
	pool.Put(b)
}

// WithBuffer gets a buffer of class c, runs fn with it and always puts it back.
func (p *Pools) WithBuffer(c Class, fn func([]byte) error) error {
	b := p.Get(c)
	defer p.Put(c, b)
	return fn(b)
}

// Stats returns the counters of class c since the last ResetStats.
func (p *Pools) Stats(c Class) ClassStats {
	s := &p.stats[c]
	return ClassStats{Gets: s.gets.Load(), Hits: s.hits.Load(), Misses: s.misses.Load(),
		Drops: s.drops.Load()}
}

// ResetStats sets every counter to zero (at the start of a timed window).
func (p *Pools) ResetStats() {
	for c := range p.stats {
		s := &p.stats[c]
		s.gets.Store(0)
		s.hits.Store(0)
		s.misses.Store(0)
		s.drops.Store(0)
	}
}
