// peak_rss.go: the process's own peak resident set, VmHWM of /proc/self/status, as
// harness/runner/peak_rss.c reads it for the C runners (same format, same reason:
// ru_maxrss holds the spawning parent's high-water mark, copied at exec).
//
// Guarantees: peakRSSBytes returns 0 when the file or its VmHWM line cannot be read or
// parsed; it never panics.
package main

import (
	"os"
	"strconv"
	"strings"
)

// parsePeakRSS returns the bytes of the "VmHWM:<spaces><digits> kB" line of a
// /proc/PID/status text, or 0.
func parsePeakRSS(status string) uint64 {
	for _, line := range strings.Split(status, "\n") {
		if !strings.HasPrefix(line, "VmHWM:") {
			continue
		}
		rest := strings.TrimLeft(strings.TrimPrefix(line, "VmHWM:"), " \t")
		if !strings.HasSuffix(rest, " kB") {
			return 0
		}
		digits := strings.TrimSuffix(rest, " kB")
		kib, err := strconv.ParseUint(digits, 10, 64)
		if err != nil || kib > ^uint64(0)/1024 {
			return 0
		}
		return kib * 1024
	}
	return 0
}

func peakRSSBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return parsePeakRSS(string(b))
}
