// profile.go: the profiling flags of every runner, with Go's own tools: --cpuprofile
// (runtime/pprof, the timed window), --memprofile (the heap profile at the end, after a
// collection so in-use figures are current; sampled every runtime.MemProfileRate
// bytes, --memprofile-rate), --pprof-http / --pprof-port (net/http/pprof's handlers on
// 127.0.0.1 only).
//
// Guarantees: the listener is opened before any work, so a port in use is one clear
// line and exit 2; profiles open in `go tool pprof` without extra flags; a profile file
// that cannot be created is one line naming it and exit 2.
package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	rpprof "runtime/pprof"
	"syscall"
)

// startPprofHTTP serves /debug/pprof/ on 127.0.0.1:port until the process ends.
func startPprofHTTP(port int) error {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		why := err.Error()
		if errors.Is(err, syscall.EADDRINUSE) {
			why = "address already in use"
		}
		return &usageError{fmt.Sprintf("pb: --pprof-port %d: cannot listen on 127.0.0.1:%d: %s",
			port, port, why)}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go http.Serve(ln, mux)
	return nil
}

// profiles holds the profile files, created before any work so that a bad path fails
// first (nil files: not asked for).
type profiles struct {
	cpu, mem         *os.File
	cpuPath, memPath string
}

func openProfiles(a *args) (*profiles, error) {
	p := &profiles{cpuPath: a.cpuProfile, memPath: a.memProfile}
	var err error
	if a.cpuProfile != "" {
		if p.cpu, err = os.Create(a.cpuProfile); err != nil {
			return nil, &usageError{fmt.Sprintf("pb: --cpuprofile %s: %s", a.cpuProfile, errText(err))}
		}
	}
	if a.memProfile != "" {
		if p.mem, err = os.Create(a.memProfile); err != nil {
			p.close()
			return nil, &usageError{fmt.Sprintf("pb: --memprofile %s: %s", a.memProfile, errText(err))}
		}
	}
	return p, nil
}

func (p *profiles) close() {
	if p.cpu != nil {
		p.cpu.Close()
	}
	if p.mem != nil {
		p.mem.Close()
	}
}

// startCPU starts the CPU profile (if asked for).
func (p *profiles) startCPU() error {
	if p.cpu == nil {
		return nil
	}
	if err := rpprof.StartCPUProfile(p.cpu); err != nil {
		return fmt.Errorf("pb: --cpuprofile %s: %v", p.cpuPath, err)
	}
	return nil
}

// stopCPU stops the CPU profile (if asked for).
func (p *profiles) stopCPU() {
	if p.cpu != nil {
		rpprof.StopCPUProfile()
	}
}

// finish writes the heap profile and closes both files.
func (p *profiles) finish() error {
	defer p.close()
	if p.mem == nil {
		return nil
	}
	runtime.GC() // the in-use figures of the last collection: make them current
	if err := rpprof.Lookup("heap").WriteTo(p.mem, 0); err != nil {
		return fmt.Errorf("pb: --memprofile %s: %v", p.memPath, err)
	}
	return nil
}
