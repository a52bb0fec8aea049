// window.go: the timed window of one cell and its metrics, with the names and meanings
// of harness/common/metrics.h where Go has the same thing, plus the runtime's own.
//
// Guarantees:
//   - wall_ns from the monotonic clock; user_ns, sys_ns, faults and context switches
//     from getrusage(RUSAGE_SELF) deltas; max_rss_bytes is the process's own peak
//     resident set, VmHWM of /proc/self/status at the window's end (ru_maxrss only
//     without it: Linux copies the spawning parent's high-water mark into ru_maxrss at
//     exec, so a runner started by a grown driver reported the driver's RSS; see
//     harness/runner/peak_rss.h);
//   - alloc_calls, alloc_bytes, free_calls: deltas of runtime.MemStats Mallocs,
//     TotalAlloc and Frees, read by ReadMemStats at both ends of the window (outside it).
//     These are the runtime's /gc/heap/allocs:objects (+ /gc/heap/tiny/allocs:objects),
//     /gc/heap/allocs:bytes and /gc/heap/frees:objects counters; ReadMemStats flushes
//     every P's cache first, while runtime/metrics.Read counts small objects a whole
//     span at a time when a cache is refilled, so its window deltas are off by up to a
//     span per size class (measured: 1140 objects for 1000 allocations);
//   - peak_live_bytes: the highest heap in use (/memory/classes/heap/objects:bytes, live
//     and not yet swept objects) seen by a sampler every millisecond and at both ends;
//   - gc_cycles and pool_cycles: /gc/cycles/total:gc-cycles delta (sync.Pool's cleanup
//     runs at every collection); gc_pause_ns: MemStats.PauseTotalNs delta (exact; the
//     /gc/pauses:seconds histogram only has bucket bounds); gc_cpu_fraction:
//     MemStats.GCCPUFraction at the end (since the process started; Go 1.19 has no
//     /cpu/classes metrics);
//   - pool_gets/hits/misses/drops: the memory package's counters, reset at the start.
package main

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"time"

	"poolbench/workloads/go/memory"
)

// The metrics of harness/common/metrics.h, in its order, then the Go runtime's own.
type metricSet struct {
	WallNs           uint64  `json:"wall_ns"`
	UserNs           uint64  `json:"user_ns"`
	SysNs            uint64  `json:"sys_ns"`
	NsPerOp          uint64  `json:"ns_per_op"`
	Ops              uint64  `json:"ops"`
	MaxRSSBytes      uint64  `json:"max_rss_bytes"`
	PeakLiveBytes    uint64  `json:"peak_live_bytes"`
	BytesPerOp       uint64  `json:"bytes_per_op"`
	AllocCalls       uint64  `json:"alloc_calls"`
	FreeCalls        uint64  `json:"free_calls"`
	AllocBytes       uint64  `json:"alloc_bytes"`
	AllocsPerOp      uint64  `json:"allocs_per_op"`
	MinorFaults      uint64  `json:"minor_faults"`
	MajorFaults      uint64  `json:"major_faults"`
	PoolGets         uint64  `json:"pool_gets"`
	PoolHits         uint64  `json:"pool_hits"`
	PoolMisses       uint64  `json:"pool_misses"`
	PoolDrops        uint64  `json:"pool_drops"`
	PoolCycles       uint64  `json:"pool_cycles"`
	VolCtxSwitches   uint64  `json:"vol_ctx_switches"`
	InvolCtxSwitches uint64  `json:"invol_ctx_switches"`
	GCCycles         uint64  `json:"gc_cycles"`
	GCPauseNs        uint64  `json:"gc_pause_ns"`
	GCCPUFraction    float64 `json:"gc_cpu_fraction"`
}

const (
	metricGCCycles  = "/gc/cycles/total:gc-cycles"
	metricHeapInUse = "/memory/classes/heap/objects:bytes"
)

type window struct {
	t0, t1   time.Time
	ru0, ru1 syscall.Rusage
	hwm      uint64 // VmHWM at the end, bytes (0: unavailable)
	ms0, ms1 runtime.MemStats
	gc0, gc1 uint64

	mu       sync.Mutex
	peak     uint64
	stopPeak chan struct{}
	peakDone chan struct{}

	// samples read inside the window: allocated before it opens
	gcSample, heapSample []metrics.Sample
}

func readMetric(s []metrics.Sample) uint64 {
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

func (w *window) sample(s []metrics.Sample) {
	metrics.Read(s)
	v := s[0].Value.Uint64()
	w.mu.Lock()
	if v > w.peak {
		w.peak = v
	}
	w.mu.Unlock()
}

func (w *window) sampler(running chan<- struct{}) {
	defer close(w.peakDone)
	s := []metrics.Sample{{Name: metricHeapInUse}}
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	close(running)
	for {
		select {
		case <-w.stopPeak:
			return
		case <-t.C:
			w.sample(s)
		}
	}
}

// start resets the pool counters and opens the window.
func (w *window) start(mem *memory.Pools) {
	w.stopPeak, w.peakDone = make(chan struct{}), make(chan struct{})
	w.gcSample = []metrics.Sample{{Name: metricGCCycles}}
	w.heapSample = []metrics.Sample{{Name: metricHeapInUse}}
	metrics.Read(w.gcSample) // the first Read builds the runtime's metric table
	running := make(chan struct{})
	go w.sampler(running) // running first: its own allocations stay out of the counts
	<-running
	mem.ResetStats()
	runtime.ReadMemStats(&w.ms0)
	w.sample(w.heapSample)
	w.gc0 = readMetric(w.gcSample)
	syscall.Getrusage(syscall.RUSAGE_SELF, &w.ru0)
	w.t0 = time.Now()
}

// stretch busy-waits until the window is pct % longer (calibration only).
func (w *window) stretch(pct uint64) {
	if pct == 0 {
		return
	}
	until := time.Now().Add(time.Since(w.t0) * time.Duration(pct) / 100)
	for time.Now().Before(until) {
	}
}

// stop closes the window.
func (w *window) stop() {
	w.t1 = time.Now()
	syscall.Getrusage(syscall.RUSAGE_SELF, &w.ru1)
	w.gc1 = readMetric(w.gcSample)
	w.sample(w.heapSample)
	runtime.ReadMemStats(&w.ms1)
	close(w.stopPeak)
	<-w.peakDone
	w.hwm = peakRSSBytes() // after the counts: reading the file allocates
}

func tvNs(tv syscall.Timeval) uint64 { return uint64(tv.Sec)*1e9 + uint64(tv.Usec)*1e3 }

func diff(a, b int64) uint64 {
	if b < a {
		return 0
	}
	return uint64(b - a)
}

// metrics fills the metric set of the window for ops operations.
func (w *window) metrics(mem *memory.Pools, ops uint64) (m metricSet, cls [memory.NumClasses]memory.ClassStats) {
	m.Ops = ops
	m.WallNs = uint64(w.t1.Sub(w.t0).Nanoseconds())
	m.UserNs = tvNs(w.ru1.Utime) - tvNs(w.ru0.Utime)
	m.SysNs = tvNs(w.ru1.Stime) - tvNs(w.ru0.Stime)
	m.MaxRSSBytes = w.hwm
	if m.MaxRSSBytes == 0 {
		m.MaxRSSBytes = uint64(w.ru1.Maxrss) * 1024
	}
	m.PeakLiveBytes = w.peak
	m.AllocCalls = w.ms1.Mallocs - w.ms0.Mallocs
	m.FreeCalls = w.ms1.Frees - w.ms0.Frees
	m.AllocBytes = w.ms1.TotalAlloc - w.ms0.TotalAlloc
	if ops > 0 {
		m.NsPerOp = m.WallNs / ops
		m.BytesPerOp = m.AllocBytes / ops
		m.AllocsPerOp = m.AllocCalls / ops
	}
	m.MinorFaults = diff(w.ru0.Minflt, w.ru1.Minflt)
	m.MajorFaults = diff(w.ru0.Majflt, w.ru1.Majflt)
	m.VolCtxSwitches = diff(w.ru0.Nvcsw, w.ru1.Nvcsw)
	m.InvolCtxSwitches = diff(w.ru0.Nivcsw, w.ru1.Nivcsw)
	m.GCCycles = w.gc1 - w.gc0
	m.PoolCycles = m.GCCycles
	m.GCPauseNs = w.ms1.PauseTotalNs - w.ms0.PauseTotalNs
	m.GCCPUFraction = w.ms1.GCCPUFraction
	for c := memory.Class(0); c < memory.NumClasses; c++ {
		cls[c] = mem.Stats(c)
		m.PoolGets += cls[c].Gets
		m.PoolHits += cls[c].Hits
		m.PoolMisses += cls[c].Misses
		m.PoolDrops += cls[c].Drops
	}
	return m, cls
}
