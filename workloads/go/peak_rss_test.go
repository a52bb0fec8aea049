// peak_rss_test.go: parsePeakRSS on well-formed, missing and malformed VmHWM lines, and
// peakRSSBytes against the process's own growth (64 MiB touched raise it by as much).
package main

import "testing"

func TestParsePeakRSS(t *testing.T) {
	cases := []struct {
		in   string
		want uint64
	}{
		{"Name:\tx\nVmHWM:\t    2012 kB\nVmRSS:\t 1 kB\n", 2012 * 1024},
		{"VmHWM: 1 kB", 1024},
		{"VmRSS:\t 12 kB\n", 0},
		{"VmHWM:\t kB\n", 0},
		{"VmHWM:\t12 MB\n", 0},
		{"VmHWM:\t99999999999999999999 kB\n", 0},
		{"XVmHWM:\t12 kB\n", 0},
	}
	for _, c := range cases {
		if got := parsePeakRSS(c.in); got != c.want {
			t.Errorf("parsePeakRSS(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

var sink []byte

func TestPeakRSSFollowsGrowth(t *testing.T) {
	before := peakRSSBytes()
	if before == 0 {
		t.Fatal("no VmHWM in /proc/self/status")
	}
	const n = 64 << 20
	sink = make([]byte, n)
	for i := range sink {
		sink[i] = 0x5a
	}
	if after := peakRSSBytes(); after < before+n-(1<<20) {
		t.Fatalf("VmHWM %d -> %d after touching %d bytes", before, after, n)
	}
	sink = nil
}
