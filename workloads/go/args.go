// args.go: the command line of pb-go, the same as pb-<backend>'s (harness/runner_args.c)
// plus the Go runtime's own knobs and the profiling flags.
//
// Guarantees: getopt_long's rules (--name value or --name=value, a unique prefix of a
// long name, "--" ends the options, non-option words are an error); the same defaults
// (Go's sizes, all classes pooled, zero on put, 1 MiB / seed 1 / 64 files, 1 warm-up and
// 1 timed operation, 2 threads); every value is validated and a bad one gets one line
// on stderr naming the argument and the expected form, and exit 2. Sizes accept K, M, G
// (binary) suffixes, optionally followed by "iB" or "B".
package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"poolbench/workloads/go/memory"
)

// The exit codes of every runner (harness/metrics.h, PB_EXIT_*).
const (
	exitOK      = 0
	exitKernel  = 1 // the kernel failed (I/O, library error)
	exitUsage   = 2 // bad argument, missing input, missing tar member
	exitBackend = 3 // internal error
	exitNoMem   = 4 // allocation failure (the Go runtime cannot report it)
)

var workloadNames = []string{
	"checksum", "sum_checksum", "checksum_concurrent",
	"tar_create", "tar_create_seq", "tar_create_concurrent",
	"tar_read", "tar_copy", "image_tag", "build",
	"pool_churn", "touch", "pool_getput", "pool_getput_memory",
}

type args struct {
	prog                          string
	workload                      string
	input                         string
	haveSize, haveSeed            bool
	size, seed, files             uint64
	output, member, image, tag    string
	pools                         string
	threads, cores                int
	iterations, warmup            uint64
	zeroOnPut                     bool
	stdAlloc                      string
	hashSize, tarSize, stringSize uint64
	gogc                          uint64
	haveGOGC                      bool
	gcIntervalMs                  uint64
	cacheDir                      string
	fromDisk                      bool
	injectSlowdown                uint64
	version                       bool
	gomaxprocs                    int
	cpuProfile, memProfile        string
	memProfileRate                int
	pprofHTTP                     bool
	pprofPort                     int
	cfg                           memory.Config
}

func defaultArgs(prog string) *args {
	return &args{
		prog: prog, size: 1 << 20, seed: 1, files: 64, member: "Dockerfile",
		image: "registry.local/ci/app", tag: "v1", pools: "all", threads: 2,
		cores: runtime.NumCPU(), iterations: 1, warmup: 1, zeroOnPut: true,
		stdAlloc: "calloc", hashSize: 64 << 10, tarSize: 64 << 10, stringSize: 1 << 10,
		gogc: 100, memProfileRate: runtime.MemProfileRate, pprofPort: 6060,
	}
}

// usageError is a bad command line: one line for stderr, exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func (a *args) bad(opt, val, want string) error {
	return &usageError{fmt.Sprintf("%s: %s: '%s' is not valid (expected %s)", a.prog, opt, val, want)}
}

// parseSize parses an unsigned number with an optional K/M/G (binary) suffix.
func parseSize(s string, allowSuffix bool) (uint64, bool) {
	if s == "" || s[0] == '-' || s[0] == '+' {
		return 0, false
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	v, err := strconv.ParseUint(s[:i], 10, 64)
	if err != nil {
		return 0, false
	}
	rest, mul := s[i:], uint64(1)
	if allowSuffix && rest != "" {
		switch rest[0] {
		case 'k', 'K':
			mul = 1 << 10
		case 'm', 'M':
			mul = 1 << 20
		case 'g', 'G':
			mul = 1 << 30
		default:
			return 0, false
		}
		rest = strings.TrimPrefix(rest[1:], "iB")
		rest = strings.TrimPrefix(rest, "B")
	}
	if rest != "" || v > math.MaxUint64/mul {
		return 0, false
	}
	return v * mul, true
}

type option struct {
	name   string
	hasArg bool
	set    func(a *args, v string) error
}

// count returns a setter for an unsigned count in [lo, hi].
func count(name string, lo, hi uint64, want string, dst func(a *args) *uint64) func(*args, string) error {
	return func(a *args, v string) error {
		n, ok := parseSize(v, false)
		if !ok || n < lo || n > hi {
			return a.bad(name, v, want)
		}
		*dst(a) = n
		return nil
	}
}

func intCount(name string, lo, hi uint64, want string, dst func(a *args) *int) func(*args, string) error {
	return func(a *args, v string) error {
		n, ok := parseSize(v, false)
		if !ok || n < lo || n > hi {
			return a.bad(name, v, want)
		}
		*dst(a) = int(n)
		return nil
	}
}

func classSize(name string, dst func(a *args) *uint64) func(*args, string) error {
	return func(a *args, v string) error {
		n, ok := parseSize(v, true)
		if !ok || n == 0 || n > 1<<30 {
			return a.bad(name, v, "bytes from 1 to 1G, e.g. 32K")
		}
		*dst(a) = n
		return nil
	}
}

func str(dst func(a *args) *string) func(*args, string) error {
	return func(a *args, v string) error { *dst(a) = v; return nil }
}

func flag(dst func(a *args) *bool) func(*args, string) error {
	return func(a *args, _ string) error { *dst(a) = true; return nil }
}

func onOff(a *args, v string) error {
	switch v {
	case "on", "off":
		a.zeroOnPut = v == "on"
		return nil
	}
	return a.bad("--zero-on-put", v, "on or off")
}

func setWorkload(a *args, v string) error {
	for _, w := range workloadNames {
		if w == v {
			a.workload = v
			return nil
		}
	}
	return a.bad("--workload", v, "one of the workloads listed by --help")
}

func setSize(a *args, v string) error {
	n, ok := parseSize(v, true)
	if !ok {
		return a.bad("--size", v, "bytes, e.g. 65536 or 64K")
	}
	a.size, a.haveSize = n, true
	return nil
}

func setSeed(a *args, v string) error {
	n, ok := parseSize(v, false)
	if !ok {
		return a.bad("--seed", v, "an unsigned integer")
	}
	a.seed, a.haveSeed = n, true
	return nil
}

func setStdAlloc(a *args, v string) error {
	if v != "calloc" && v != "malloc" {
		return a.bad("--standard-alloc", v, "calloc or malloc")
	}
	a.stdAlloc = v
	return nil
}

func setGOGC(a *args, v string) error {
	n, ok := parseSize(v, false)
	if !ok || n > 100000 {
		return a.bad("--gogc", v, "a percentage from 0 (off) to 100000")
	}
	a.gogc, a.haveGOGC = n, true
	return nil
}

func failAlloc(a *args, v string) error {
	if _, ok := parseSize(v, false); !ok {
		return a.bad("--fail-alloc-after", v, "a count")
	}
	return &usageError{fmt.Sprintf("%s: --fail-alloc-after: not supported by pb-go (the Go "+
		"runtime has no allocation fault injection)", a.prog)}
}

func options() []option {
	return []option{
		{"workload", true, setWorkload},
		{"input", true, str(func(a *args) *string { return &a.input })},
		{"size", true, setSize},
		{"seed", true, setSeed},
		{"files", true, count("--files", 1, 10000000, "a count from 1 to 10000000",
			func(a *args) *uint64 { return &a.files })},
		{"output", true, str(func(a *args) *string { return &a.output })},
		{"member", true, str(func(a *args) *string { return &a.member })},
		{"image", true, str(func(a *args) *string { return &a.image })},
		{"tag", true, str(func(a *args) *string { return &a.tag })},
		{"pools", true, str(func(a *args) *string { return &a.pools })},
		{"threads", true, intCount("--threads", 0, 1024, "a count from 0 to 1024",
			func(a *args) *int { return &a.threads })},
		{"cores", true, intCount("--cores", 1, 1024, "a count from 1 to 1024",
			func(a *args) *int { return &a.cores })},
		{"iterations", true, count("--iterations", 1, 1<<40, "a count from 1 to 2^40",
			func(a *args) *uint64 { return &a.iterations })},
		{"warmup", true, count("--warmup", 0, 1<<40, "a count from 0 to 2^40",
			func(a *args) *uint64 { return &a.warmup })},
		{"zero-on-put", true, onOff},
		{"standard-alloc", true, setStdAlloc},
		{"hash-size", true, classSize("--hash-size", func(a *args) *uint64 { return &a.hashSize })},
		{"tar-size", true, classSize("--tar-size", func(a *args) *uint64 { return &a.tarSize })},
		{"string-size", true, classSize("--string-size", func(a *args) *uint64 { return &a.stringSize })},
		{"gogc", true, setGOGC},
		{"gc-interval-ms", true, count("--gc-interval-ms", 0, 3600000,
			"milliseconds from 0 to 3600000", func(a *args) *uint64 { return &a.gcIntervalMs })},
		{"cache-dir", true, str(func(a *args) *string { return &a.cacheDir })},
		{"from-disk", false, flag(func(a *args) *bool { return &a.fromDisk })},
		{"fail-alloc-after", true, failAlloc},
		{"inject-slowdown", true, count("--inject-slowdown", 0, 1000, "a percentage from 0 to 1000",
			func(a *args) *uint64 { return &a.injectSlowdown })},
		{"skip-backend-check", false, func(*args, string) error { return nil }},
		{"gomaxprocs", true, intCount("--gomaxprocs", 0, 1024, "a count from 0 (runtime default) to 1024",
			func(a *args) *int { return &a.gomaxprocs })},
		{"cpuprofile", true, str(func(a *args) *string { return &a.cpuProfile })},
		{"memprofile", true, str(func(a *args) *string { return &a.memProfile })},
		{"memprofile-rate", true, intCount("--memprofile-rate", 1, 1<<30,
			"bytes from 1 to 1G between samples", func(a *args) *int { return &a.memProfileRate })},
		{"pprof-http", false, flag(func(a *args) *bool { return &a.pprofHTTP })},
		{"pprof-port", true, intCount("--pprof-port", 1, 65535, "a TCP port from 1 to 65535",
			func(a *args) *int { return &a.pprofPort })},
		{"version", false, flag(func(a *args) *bool { return &a.version })},
		{"help", false, nil},
	}
}

// lookup finds an option by its exact name or a unique prefix (getopt_long's rule).
func lookup(opts []option, name string) *option {
	var found *option
	for i := range opts {
		if opts[i].name == name {
			return &opts[i]
		}
		if strings.HasPrefix(opts[i].name, name) {
			if found != nil {
				return nil // ambiguous
			}
			found = &opts[i]
		}
	}
	return found
}

// parseArgs parses argv; help reports that --help was given (usage printed, exit 0).
func parseArgs(argv []string, stdout io.Writer) (a *args, help bool, err error) {
	a = defaultArgs(filepath.Base(argv[0]))
	opts := options()
	var rest []string
	for i := 1; i < len(argv); i++ {
		word := argv[i]
		if word == "--" {
			rest = append(rest, argv[i+1:]...)
			break
		}
		if !strings.HasPrefix(word, "--") || word == "--" {
			if strings.HasPrefix(word, "-") && word != "-" {
				return a, false, &usageError{fmt.Sprintf("%s: unknown argument '%s' (see --help)", a.prog, word)}
			}
			rest = append(rest, word)
			continue
		}
		name, val, hasVal := strings.Cut(word[2:], "=")
		o := lookup(opts, name)
		if o == nil || (!o.hasArg && hasVal) {
			return a, false, &usageError{fmt.Sprintf("%s: unknown argument '%s' (see --help)", a.prog, word)}
		}
		if o.name == "help" {
			usage(stdout, a.prog)
			return a, true, nil
		}
		if o.hasArg && !hasVal {
			if i+1 >= len(argv) {
				return a, false, &usageError{fmt.Sprintf("%s: %s needs a value (see --help)", a.prog, word)}
			}
			i++
			val = argv[i]
		}
		if err := o.set(a, val); err != nil {
			return a, false, err
		}
	}
	if len(rest) > 0 {
		return a, false, &usageError{fmt.Sprintf("%s: unexpected argument '%s' (see --help)", a.prog, rest[0])}
	}
	return a, false, a.check()
}

// check validates the combination of arguments and builds the pool configuration.
func (a *args) check() error {
	if a.version {
		return nil
	}
	if a.workload == "" {
		return &usageError{fmt.Sprintf("%s: --workload is required (see --help)", a.prog)}
	}
	if a.input != "" && (a.haveSize || a.haveSeed) {
		return &usageError{fmt.Sprintf("%s: --input and --size/--seed exclude each other", a.prog)}
	}
	if a.member == "" {
		return &usageError{fmt.Sprintf("%s: --member: the name must not be empty", a.prog)}
	}
	if a.size > math.MaxInt {
		return &usageError{fmt.Sprintf("%s: --size: too large for this machine", a.prog)}
	}
	a.cfg = memory.DefaultConfig()
	if err := memory.ParsePolicy(a.pools, &a.cfg); err != nil {
		return &usageError{fmt.Sprintf("%s: --pools: '%s' is not valid: %v (expected all, none, "+
			"plain, or a list of hash, small, tar, string)", a.prog, a.pools, err)}
	}
	a.cfg.ZeroOnPut = a.zeroOnPut
	a.cfg.Size[memory.Hash] = int(a.hashSize)
	a.cfg.Size[memory.Small] = int(a.hashSize)
	a.cfg.Size[memory.Tar] = int(a.tarSize)
	a.cfg.Size[memory.String] = int(a.stringSize)
	return nil
}

func usage(w io.Writer, prog string) {
	fmt.Fprintf(w, `usage: %s --workload NAME [options]
Runs one cell in Go (the real sync.Pool and garbage collector): warm-up, then
--iterations operations of one kernel, and prints one JSON object with the metrics
(the names of harness/metrics.h plus gc_cycles, gc_pause_ns, gc_cpu_fraction) on stdout.

workloads: checksum sum_checksum checksum_concurrent tar_create tar_create_seq
           tar_create_concurrent tar_read tar_copy image_tag build pool_churn touch
           pool_getput pool_getput_memory (pool speed benchmarks: Get+Put pairs of one
           --hash-size buffer per goroutine on the bare sync.Pool / through pkg/memory)
input:
  --input PATH            a file (checksum kinds; concatenated 32-byte digests for
                          sum_checksum), a directory (tar_create*, build) or a tar
                          archive (tar_read, tar_copy)
  --size BYTES --seed N   generate the input instead (the C runners' bytes); trees use
  --files N               the number of files (default 64)
  --cache-dir DIR         where generated trees are kept (default
                          $XDG_CACHE_HOME/poolbench, ~/.cache/poolbench, $TMPDIR)
  --member NAME           tar_read: the member (default Dockerfile)
  --from-disk             tar_read: read the archive file instead of memory
  --image S --tag S       image_tag, build (default registry.local/ci/app and v1)
run:
  --iterations N          timed operations (default 1)
  --warmup N              untimed operations first (default 1)
  --threads N             hashing workers / pool_churn, pool_getput goroutines (default 2)
  --cores N               bound on tar workers (default: CPUs)
  --output PATH           write the produced archive / member / tag / digest
pool:
  --pools all|none|plain|LIST   pooled classes, LIST like hash,tar,string (default all);
                          plain: the code without pkg/memory (the seed's Branch B)
  --zero-on-put on|off    zero a buffer on put, as Go does (default on)
  --standard-alloc calloc|malloc   recorded only: Go's make is always zeroed
  --hash-size BYTES --tar-size BYTES --string-size BYTES   class sizes (64K 64K 1K)
Go runtime:
  --gogc PCT              debug.SetGCPercent, 0 = off (default: GOGC, else 100)
  --gomaxprocs N          runtime.GOMAXPROCS (default: the runtime's)
  --gc-interval-ms N      also run runtime.GC() on a timer (default off)
profiling:
  --cpuprofile FILE       CPU profile of the timed window (runtime/pprof)
  --memprofile FILE       heap profile at the end (go tool pprof reads both)
  --memprofile-rate N     bytes between heap samples (runtime.MemProfileRate, 524288)
  --pprof-http            serve net/http/pprof on 127.0.0.1 while running
  --pprof-port N          its port (default 6060)
other:
  --fail-alloc-after N    not supported by pb-go (exit 2)
  --skip-backend-check    accepted (nothing to check: the Go runtime is the backend)
  --inject-slowdown PCT   calibration only: stretch the window by PCT %%
  --version               print backend, versions and commit as JSON
exit codes: 0 ok, 1 kernel error, 2 bad argument or input (incl. a missing tar
member), 3 internal error
`, prog)
}

func exitUsageErr(err error) int {
	fmt.Fprintln(os.Stderr, err.Error())
	return exitUsage
}
