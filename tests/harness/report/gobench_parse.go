// gobench_parse.go: reads a bench.txt and checks every line against the Go benchmark
// format as golang.org/x/perf/benchfmt parses it (standard library only, so it runs
// offline). Exit 0 and "ok N results" when every line parses; exit 1 naming the line.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

func fail(n int, line, why string) {
	fmt.Printf("line %d: %s: %q\n", n, why, line)
	os.Exit(1)
}

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n, results := 0, 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		// benchfmt: "Benchmark" followed by end or a non-lowercase rune starts a result
		if strings.HasPrefix(line, "Benchmark") {
			r, _ := utf8.DecodeRuneInString(line[len("Benchmark"):])
			if !unicode.IsLower(r) {
				fields := strings.Fields(line)
				if len(fields) < 4 || len(fields)%2 != 0 {
					fail(n, line, "want name, iterations and value/unit pairs")
				}
				name := fields[0]
				dash := strings.LastIndexByte(name, '-')
				if dash < 0 {
					fail(n, line, "no -N suffix")
				}
				if p, err := strconv.Atoi(name[dash+1:]); err != nil || p < 1 {
					fail(n, line, "bad -N suffix")
				}
				for i, part := range strings.Split(name[:dash], "/") {
					if i > 0 && (!strings.Contains(part, "=") || strings.HasPrefix(part, "=")) {
						fail(n, line, "sub-benchmark part is not key=value")
					}
				}
				if it, err := strconv.Atoi(fields[1]); err != nil || it < 1 {
					fail(n, line, "iterations not a positive integer")
				}
				units := map[string]bool{}
				for i := 2; i < len(fields); i += 2 {
					if _, err := strconv.ParseFloat(fields[i], 64); err != nil {
						fail(n, line, "value not a number")
					}
					units[fields[i+1]] = true
				}
				if !units["ns/op"] {
					fail(n, line, "no ns/op")
				}
				results++
				continue
			}
		}
		// configuration line: key: value, key lowercase-initial without spaces/uppercase
		colon := strings.Index(line, ":")
		if colon <= 0 {
			fail(n, line, "neither a result nor a configuration line")
		}
		key := line[:colon]
		r, _ := utf8.DecodeRuneInString(key)
		if !unicode.IsLower(r) || strings.IndexFunc(key, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsUpper(c) }) >= 0 {
			fail(n, line, "bad configuration key")
		}
		if len(line) > colon+1 && line[colon+1] != ' ' && line[colon+1] != '\t' {
			fail(n, line, "configuration value must follow ': '")
		}
	}
	if results == 0 {
		fmt.Println("no benchmark results")
		os.Exit(1)
	}
	fmt.Printf("ok %d results\n", results)
}
