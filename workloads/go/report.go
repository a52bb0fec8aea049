// report.go: the one JSON object pb-go prints (the same fields, in the same order, as
// pb-<backend>'s: harness/runner/runner.c) and the --version object.
//
// Guarantees: one line of JSON on stdout, only after a successful run; backend "go",
// backend_version runtime.Version(); instrument "runtime" (the counts are the runtime's
// own, nothing sits in front of the allocator, as the C runners' "counting" / "bare");
// every metric of harness/common/metrics.h as an
// unsigned integer, then gc_cycles, gc_pause_ns (integers) and gc_cpu_fraction (a
// number); pool_classes hash, small, tar, string with gets/hits/misses/drops; config
// with the C runner's keys plus the Go runtime's (gomaxprocs, memprofile_rate,
// pprof_http). Strings are not HTML-escaped.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"

	"poolbench/workloads/go/memory"
)

// Set at link time by CMake (-ldflags -X).
var (
	gitCommit       = "unknown"
	poolCodeLines   = "0"
	schemaVersion   = 1
	poolFenceGoMode = "sync.Pool (Go runtime)"
)

type classJSON struct {
	Gets   uint64 `json:"gets"`
	Hits   uint64 `json:"hits"`
	Misses uint64 `json:"misses"`
	Drops  uint64 `json:"drops"`
}

type poolClassesJSON struct {
	Hash   classJSON `json:"hash"`
	Small  classJSON `json:"small"`
	Tar    classJSON `json:"tar"`
	String classJSON `json:"string"`
}

type configJSON struct {
	Workload          string  `json:"workload"`
	Input             *string `json:"input"`
	SizeBytes         uint64  `json:"size_bytes"`
	Seed              uint64  `json:"seed"`
	Files             uint64  `json:"files"`
	Pools             string  `json:"pools"`
	Threads           int     `json:"threads"`
	Cores             int     `json:"cores"`
	Iterations        uint64  `json:"iterations"`
	Warmup            uint64  `json:"warmup"`
	ZeroOnPut         bool    `json:"zero_on_put"`
	StandardAlloc     string  `json:"standard_alloc"`
	HashSizeBytes     uint64  `json:"hash_size_bytes"`
	TarSizeBytes      uint64  `json:"tar_size_bytes"`
	StringSizeBytes   uint64  `json:"string_size_bytes"`
	GOGCPercent       int     `json:"gogc_percent"`
	GCIntervalMs      uint64  `json:"gc_interval_ms"`
	InjectSlowdownPct uint64  `json:"inject_slowdown_pct,omitempty"`
	Member            *string `json:"member,omitempty"`
	Image             *string `json:"image,omitempty"`
	Tag               *string `json:"tag,omitempty"`
	GlibcTunables     *string `json:"glibc_tunables"`
	GOMAXPROCS        int     `json:"gomaxprocs"`
	MemProfileRate    int     `json:"memprofile_rate"`
	PprofHTTP         bool    `json:"pprof_http"`
}

type resultJSON struct {
	SchemaVersion   int    `json:"schema_version"`
	Backend         string `json:"backend"`
	BackendVersion  string `json:"backend_version"`
	Workload        string `json:"workload"`
	Status          string `json:"status"`
	BackendVerified bool   `json:"backend_verified"`
	Result          string `json:"result"`
	Instrument      string `json:"instrument"` // "runtime": the Go runtime's own counts
	metricSet
	PoolClasses poolClassesJSON `json:"pool_classes"`
	PoolFence   string          `json:"pool_fence"`
	Config      configJSON      `json:"config"`
}

func printJSON(v any) int {
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(os.Stderr, "pb: writing the result: %v\n", err)
		return exitBackend
	}
	return exitOK
}

func printVersion() int {
	lines, _ := strconv.Atoi(poolCodeLines)
	return printJSON(struct {
		SchemaVersion   int    `json:"schema_version"`
		Backend         string `json:"backend"`
		BackendVersion  string `json:"backend_version"`
		Compiler        string `json:"compiler"`
		GitCommit       string `json:"git_commit"`
		Crypto          string `json:"crypto"`
		Archive         string `json:"archive"`
		PoolFence       string `json:"pool_fence"`
		GoPoolCodeLines int    `json:"go_pool_code_lines"`
	}{schemaVersion, "go", runtime.Version(),
		fmt.Sprintf("gc %s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH),
		gitCommit, "crypto/sha256 (Go standard library)", "archive/tar (Go standard library)",
		poolFenceGoMode, lines})
}

func classOf(s memory.ClassStats) classJSON {
	return classJSON{s.Gets, s.Hits, s.Misses, s.Drops}
}

// gcPercent returns the collector's current GOGC percentage (-1: off).
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func configOf(a *args) configJSON {
	c := configJSON{
		Workload: a.workload, SizeBytes: a.size, Seed: a.seed, Files: a.files, Pools: a.pools,
		Threads: a.threads, Cores: a.cores, Iterations: a.iterations, Warmup: a.warmup,
		ZeroOnPut: a.zeroOnPut, StandardAlloc: a.stdAlloc, HashSizeBytes: a.hashSize,
		TarSizeBytes: a.tarSize, StringSizeBytes: a.stringSize, GCIntervalMs: a.gcIntervalMs,
		InjectSlowdownPct: a.injectSlowdown, GOMAXPROCS: runtime.GOMAXPROCS(0),
		MemProfileRate: runtime.MemProfileRate, PprofHTTP: a.pprofHTTP,
	}
	if p := gcPercent(); p >= 0 {
		c.GOGCPercent = p
	}
	if a.input != "" {
		c.Input = &a.input
	}
	if a.workload == "tar_read" || a.workload == "build" {
		c.Member = &a.member
	}
	if a.workload == "image_tag" || a.workload == "build" {
		c.Image, c.Tag = &a.image, &a.tag
	}
	if t, ok := os.LookupEnv("GLIBC_TUNABLES"); ok {
		c.GlibcTunables = &t
	}
	return c
}

func printResult(a *args, m metricSet, cls [memory.NumClasses]memory.ClassStats, result string) int {
	return printJSON(resultJSON{
		SchemaVersion: schemaVersion, Backend: "go", BackendVersion: runtime.Version(),
		Workload: a.workload, Status: "ok", BackendVerified: true, Result: result,
		Instrument: "runtime",
		metricSet:  m,
		PoolClasses: poolClassesJSON{classOf(cls[memory.Hash]), classOf(cls[memory.Small]),
			classOf(cls[memory.Tar]), classOf(cls[memory.String])},
		PoolFence: poolFenceGoMode, Config: configOf(a),
	})
}

// writeOutput writes the produced archive / member / tag / digest to --output.
func writeOutput(a *args, o opOut) int {
	var data []byte
	switch {
	case a.workload == "image_tag":
		data = []byte(o.str + "\n")
	case o.bytes != nil || a.workload == "tar_read" || a.workload == "tar_copy" ||
		a.workload == "tar_create" || a.workload == "tar_create_seq" ||
		a.workload == "tar_create_concurrent":
		data = o.bytes
	default:
		data = []byte(o.hex + "\n")
	}
	if err := os.WriteFile(a.output, data, 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "pb: --output %s: %s\n", a.output, errText(err))
		return exitUsage
	}
	return exitOK
}
