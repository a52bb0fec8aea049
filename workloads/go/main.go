// main.go: pb-go, the Go runtime runner: one cell of the matrix in one process, like
// pb-<backend> (harness/runner/runner.c) but on the real sync.Pool and garbage collector.
//
// Order of work: parse arguments (bad ones: one line, exit 2); apply the Go runtime's
// knobs (GOGC, GOMAXPROCS, MemProfileRate) and open the profile files and the pprof
// listener; prepare the input; run the warm-up operations; open the window (pool
// counters reset, MemStats, GC count, rusage, clock); time --iterations operations;
// close it; check the timed result against the warm-up result (kernels are
// deterministic); write --output; print the one JSON object; write the heap profile.
// Nothing is printed on stdout unless the run succeeded.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"poolbench/workloads/go/kernels"
	"poolbench/workloads/go/memory"
)

func main() { os.Exit(run(os.Args)) }

func exitFor(err error) int {
	switch {
	case errors.Is(err, kernels.ErrInput), errors.Is(err, kernels.ErrNotFound):
		return exitUsage
	}
	return exitKernel
}

func failKernel(a *args, err error, when string) int {
	switch {
	case errors.Is(err, kernels.ErrNotFound):
		fmt.Fprintf(os.Stderr, "pb: --member %s: no such member in the archive\n", a.member)
	case errors.Is(err, kernels.ErrInput):
		src := a.input
		if src == "" {
			src = "(generated input)"
		}
		fmt.Fprintf(os.Stderr, "pb: %s %s: bad input: %v (%s)\n", a.workload, src, err, when)
	default:
		fmt.Fprintf(os.Stderr, "pb: %s: %v (%s)\n", a.workload, err, when)
	}
	return exitFor(err)
}

// applyRuntime sets the Go runtime's knobs from the arguments.
func applyRuntime(a *args) {
	if a.haveGOGC {
		pct := int(a.gogc)
		if pct == 0 {
			pct = -1 // 0 means off, as in the C runners (GOGC=off)
		}
		debug.SetGCPercent(pct)
	}
	if a.gomaxprocs > 0 {
		runtime.GOMAXPROCS(a.gomaxprocs)
	}
	runtime.MemProfileRate = a.memProfileRate
}

// gcTimer runs runtime.GC() every ms milliseconds until the returned stop is called.
func gcTimer(ms uint64) (stop func()) {
	if ms == 0 {
		return func() {}
	}
	done := make(chan struct{})
	t := time.NewTicker(time.Duration(ms) * time.Millisecond)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-t.C:
				runtime.GC()
			}
		}
	}()
	return func() { t.Stop(); close(done) }
}

func run(argv []string) int {
	a, help, err := parseArgs(argv, os.Stdout)
	if help {
		return exitOK
	}
	if err != nil {
		return exitUsageErr(err)
	}
	if a.version {
		return printVersion()
	}
	applyRuntime(a)
	prof, err := openProfiles(a)
	if err != nil {
		return exitUsageErr(err)
	}
	defer prof.close()
	if a.pprofHTTP {
		if err := startPprofHTTP(a.pprofPort); err != nil {
			return exitUsageErr(err)
		}
	}
	c := &cell{a: a, mem: memory.New(a.cfg)}
	c.k = kernels.New(c.mem)
	if c.in, err = prepareInput(a); err != nil {
		var ie *inputError
		if errors.As(err, &ie) {
			fmt.Fprintln(os.Stderr, ie.msg)
			return ie.code
		}
		fmt.Fprintf(os.Stderr, "pb: preparing the input: %v\n", err)
		return exitKernel
	}
	stopTimer := gcTimer(a.gcIntervalMs)
	rc, w, ops, out, result := c.measure(prof)
	stopTimer()
	if rc != exitOK {
		return rc
	}
	m, cls := w.metrics(c.mem, ops)
	if a.output != "" {
		if rc := writeOutput(a, out); rc != exitOK {
			return rc
		}
	}
	if rc := printResult(a, m, cls, result); rc != exitOK {
		return rc
	}
	if err := prof.finish(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitUsage
	}
	return exitOK
}

// measure runs the warm-up and the timed window; rc is an exit code (the error is
// already printed when it is not exitOK).
func (c *cell) measure(prof *profiles) (rc int, w *window, ops uint64, out opOut, result string) {
	a := c.a
	w = &window{}
	if err := prof.startCPU(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitUsage, w, 0, out, ""
	}
	defer prof.stopCPU()
	if a.workload == "pool_churn" {
		ops, result = c.runChurn(w)
		return exitOK, w, ops, out, result
	}
	if a.workload == "pool_getput" || a.workload == "pool_getput_memory" {
		ops, result = c.runGetput(w)
		return exitOK, w, ops, out, result
	}
	warmResult := ""
	for i := uint64(0); i < a.warmup; i++ {
		o, err := c.op()
		if err != nil {
			return failKernel(a, err, "warm-up"), w, 0, out, ""
		}
		warmResult = c.result(o)
	}
	w.start(c.mem)
	var err error
	for i := uint64(0); i < a.iterations && err == nil; i++ {
		out = opOut{}
		out, err = c.op()
	}
	w.stretch(a.injectSlowdown)
	w.stop()
	if err != nil {
		return failKernel(a, err, "timed operation"), w, 0, out, ""
	}
	result = c.result(out)
	if a.warmup > 0 && warmResult != result {
		fmt.Fprintf(os.Stderr, "pb: %s: result changed between warm-up (%s) and the timed "+
			"run (%s): the kernel is not deterministic\n", a.workload, warmResult, result)
		return exitKernel, w, 0, out, ""
	}
	return exitOK, w, a.iterations, out, result
}
