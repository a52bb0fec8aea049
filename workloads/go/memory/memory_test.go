// memory_test.go: the wrapper's rules: zero on put (a buffer back from the pool never
// shows an earlier user's bytes), oversize drop, hit/miss/drop counts per class (small
// counted apart from hash although they share a pool), the builder's keep limit, the
// policy words, and that an unpooled class's buffer is a heap allocation of its size.
package memory

import (
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
)

// noGC keeps sync.Pool's contents for the duration of a test (a collection empties the
// pools into the victim cache, which is still served, but two would lose them).
func noGC(t testing.TB) {
	old := debug.SetGCPercent(-1)
	t.Cleanup(func() { debug.SetGCPercent(old) })
}

func TestZeroOnPut(t *testing.T) {
	noGC(t)
	// one P: the pool's private slot hands back exactly what was put
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, c := range []Class{Hash, Small, Tar} {
		p := New(DefaultConfig())
		for round := 0; round < 50; round++ {
			b := p.Get(c)
			if len(b) != p.Size(c) {
				t.Fatalf("%v: len %d, want %d", c, len(b), p.Size(c))
			}
			for i, v := range b {
				if v != 0 {
					t.Fatalf("%v round %d: byte %d is %#x, want 0", c, round, i, v)
				}
			}
			for i := range b {
				b[i] = 0xA5
			}
			p.Put(c, b)
		}
		if s := p.Stats(c); s.Hits == 0 {
			t.Errorf("%v: no hit in 50 rounds (%+v): the test saw no reused buffer", c, s)
		}
	}
}

func TestNoZeroOnPutKeepsBytes(t *testing.T) {
	noGC(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	cfg := DefaultConfig()
	cfg.ZeroOnPut = false
	p := New(cfg)
	b := p.Get(Tar)
	b[0] = 7
	p.Put(Tar, b)
	if got := p.Get(Tar); got[0] != 7 {
		t.Skip("the pool did not hand back the same buffer (allowed by sync.Pool)")
	}
}

func TestBuilderZeroedAndKeepLimit(t *testing.T) {
	noGC(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	p := New(DefaultConfig())
	b := p.GetBuilder()
	if b.Cap() < 1024 || b.Len() != 0 {
		t.Fatalf("new builder: len %d cap %d", b.Len(), b.Cap())
	}
	b.WriteString("secret")
	p.PutBuilder(b)
	b = p.GetBuilder()
	if b.Len() != 0 || string(b.Bytes()[:6]) != "\x00\x00\x00\x00\x00\x00" {
		t.Fatalf("builder back from the pool shows %q", b.Bytes()[:6])
	}
	b.Write(make([]byte, 3000)) // grows past the 2 KiB keep limit
	p.PutBuilder(b)
	if s := p.Stats(String); s.Drops != 1 || s.Gets != 2 || s.Hits+s.Misses != 2 {
		t.Fatalf("string stats %+v, want 2 gets (hits+misses) and 1 drop", s)
	}
}

func TestOversizeDrop(t *testing.T) {
	p := New(DefaultConfig())
	p.Put(Tar, make([]byte, 1<<20))   // exactly 1 MiB: kept
	p.Put(Tar, make([]byte, 1<<20+1)) // above: dropped
	p.Put(Hash, make([]byte, 8, 2<<20))
	if s := p.Stats(Tar); s.Drops != 1 {
		t.Errorf("tar drops %d, want 1", s.Drops)
	}
	if s := p.Stats(Hash); s.Drops != 1 {
		t.Errorf("hash drops %d, want 1 (capacity counts, not length)", s.Drops)
	}
}

func TestHitMissCounts(t *testing.T) {
	noGC(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	p := New(DefaultConfig())
	a, b := p.Get(Hash), p.Get(Hash) // two misses
	p.Put(Hash, a)
	p.Put(Hash, b)
	p.Get(Hash) // hit
	s := p.Get(Small)
	if st := p.Stats(Hash); st.Gets != 3 || st.Misses != 2 || st.Hits != 1 {
		t.Errorf("hash %+v, want 3 gets, 2 misses, 1 hit", st)
	}
	if st := p.Stats(Small); st.Gets != 1 || st.Hits != 1 || st.Misses != 0 {
		t.Errorf("small %+v, want its get served by the shared hash pool (1 hit)", st)
	}
	p.Put(Small, s)
	p.ResetStats()
	if st := p.Stats(Hash); st != (ClassStats{}) {
		t.Errorf("after reset: %+v", st)
	}
}

func TestConcurrentCountsAddUp(t *testing.T) {
	p := New(DefaultConfig())
	var wg sync.WaitGroup
	const workers, n = 8, 2000
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				b := p.Get(Tar)
				b[0] = 1
				p.Put(Tar, b)
			}
		}()
	}
	wg.Wait()
	s := p.Stats(Tar)
	if s.Gets != workers*n || s.Hits+s.Misses != s.Gets {
		t.Fatalf("tar %+v: gets must be %d = hits + misses", s, workers*n)
	}
}

func TestUnpooledIsHeapAllocation(t *testing.T) {
	cfg := DefaultConfig()
	if err := ParsePolicy("none", &cfg); err != nil {
		t.Fatal(err)
	}
	p := New(cfg)
	for _, c := range []Class{Hash, Small, Tar} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		allocs := testing.AllocsPerRun(100, func() {
			b := p.Get(c)
			b[0] = 1
			p.Put(c, b)
		})
		runtime.ReadMemStats(&after)
		perOp := (after.TotalAlloc - before.TotalAlloc) / 101
		if allocs != 1 || perOp < uint64(p.Size(c)) {
			t.Errorf("%v unpooled: %.0f allocations and %d bytes per get, want 1 of >= %d",
				c, allocs, perOp, p.Size(c))
		}
	}
}

func TestPooledPutAllocatesOneSmallObject(t *testing.T) {
	noGC(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	p := New(DefaultConfig())
	p.Put(Hash, p.Get(Hash))
	allocs := testing.AllocsPerRun(100, func() { p.Put(Hash, p.Get(Hash)) })
	if allocs != 1 {
		t.Errorf("pooled get+put: %.0f allocations, want 1 (the *[]byte of the put)", allocs)
	}
}

func TestParsePolicy(t *testing.T) {
	for _, tc := range []struct {
		in           string
		hash, tar, s bool
		plain, bad   bool
	}{
		{in: "all", hash: true, tar: true, s: true},
		{in: "none"},
		{in: "plain", plain: true},
		{in: "tar,plain", tar: true, plain: true},
		{in: "plain,hash", hash: true, plain: true},
		{in: "hash,tar", hash: true, tar: true},
		{in: "small", hash: true},
		{in: " string ", s: true},
		{in: "hash,bogus", bad: true},
		{in: "all,tar", bad: true},
		{in: "hash,", bad: true},
		{in: "", bad: true},
	} {
		cfg := DefaultConfig()
		err := ParsePolicy(tc.in, &cfg)
		if (err != nil) != tc.bad {
			t.Errorf("%q: err %v", tc.in, err)
			continue
		}
		if tc.bad {
			continue
		}
		if cfg.Pooled[Hash] != tc.hash || cfg.Pooled[Small] != tc.hash || cfg.Pooled[Tar] != tc.tar ||
			cfg.Pooled[String] != tc.s || cfg.Plain != tc.plain {
			t.Errorf("%q: pooled %v plain %v", tc.in, cfg.Pooled, cfg.Plain)
		}
	}
	// "tar,plain": tar is pooled, every other class runs the plain code
	cfg := DefaultConfig()
	if err := ParsePolicy("tar,plain", &cfg); err != nil {
		t.Fatal(err)
	}
	p := New(cfg)
	if p.Plain(Tar) || !p.Plain(Hash) || !p.Plain(Small) || !p.Plain(String) {
		t.Errorf("tar,plain: Plain(tar) %v hash %v small %v string %v", p.Plain(Tar),
			p.Plain(Hash), p.Plain(Small), p.Plain(String))
	}
}
