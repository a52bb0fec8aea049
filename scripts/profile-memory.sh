#!/usr/bin/env bash
# profile-memory.sh: the seed's profiling scenarios (go-pprof-profiling-plan.md, phases
# 2 and 3) on poolbench's runners, into one results folder, then the seed's analysis
# saved as text beside each profile.
#
#   scripts/profile-memory.sh [--out DIR] [--bin DIR] [--runner NAME] [--quick]
#
# Scenarios (each a folder under DIR, default results/profile-DATE):
#   1-single      one build with --memprofile and --cpuprofile
#   2-concurrent  four builds at once, each with its own profiles and its own port
#   3-monitored   one build with --pprof-http; during the run curl fetches
#                 /debug/pprof/heap, /debug/pprof/allocs and a 1-second
#                 /debug/pprof/profile
#   4-rapid       ten builds one after another, each with its heap profile
# The build: --workload build --size 8M --files 200 --seed 1 (runner pb-glibc by default;
# --runner pb-go profiles the Go runner with the same flags). Analysis per profile
# (go tool pprof, nothing else installed): PROFILE.top.txt (-top), PROFILE.objects.txt
# (-sample_index=alloc_objects -top, heap profiles), PROFILE.cum.txt (-cum -top) and
# PROFILE.list.txt (-list of the hottest function that has source; heap profiles by
# alloc_space, since -list shows only functions with a value in the chosen sample type). Every go command runs
# with its caches in a temporary directory (no HOME or GOPATH needed). Ports: free ports
# of 127.0.0.1 chosen by the kernel. Exit 0 when every scenario wrote its profiles.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out="" bin="$root/build/bin" runner=pb-glibc monitored_iters=150
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --runner) runner=$2; shift 2 ;;
    --quick) monitored_iters=60; shift ;;
    -h|--help) awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "profile-memory.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="$root/results/profile-$(date +%Y%m%d-%H%M%S)"
exe="$bin/$runner"
[ -x "$exe" ] || { echo "profile-memory.sh: $exe not found: build first (scripts/build.sh)" >&2; exit 2; }
go=$(command -v go || true)
[ -n "$go" ] || { echo "profile-memory.sh: go not found (Debian golang-go: scripts/install-deps.sh)" >&2; exit 2; }
command -v curl >/dev/null || { echo "profile-memory.sh: curl not found (scripts/install-deps.sh)" >&2; exit 2; }

gotmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$gotmp"; }
trap cleanup EXIT
export GOCACHE=$gotmp/gocache GOPATH=$gotmp/gopath GOTOOLCHAIN=local GOTELEMETRY=off \
       PPROF_TMPDIR=$gotmp/pprof HOME=${HOME:-$gotmp} GOFLAGS=-mod=mod
build=(--workload build --size 8M --files 200 --seed 1)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mkdir -p "$out"
echo "profile-memory.sh: $runner, results in $out"

# ---- 1: a single build with both profiles -----------------------------------------------
d=$out/1-single; mkdir -p "$d"
"$exe" "${build[@]}" --memprofile "$d/build.prof" --cpuprofile "$d/build_cpu.prof" \
  >"$d/build.json" 2>"$d/build.err"
echo "  1-single: done"

# ---- 2: four concurrent builds, each with its own profiles and port ----------------------
d=$out/2-concurrent; mkdir -p "$d"
cpids=()
for i in 1 2 3 4; do
  port=$(free_port)
  "$exe" "${build[@]}" --memprofile "$d/build_$i.prof" --cpuprofile "$d/build_${i}_cpu.prof" \
    --pprof-http --pprof-port "$port" >"$d/build_$i.json" 2>"$d/build_$i.err" &
  cpids+=($!); pids+=($!)
done
for p in "${cpids[@]}"; do wait "$p"; done
echo "  2-concurrent: done"

# ---- 3: a build with the live endpoint, sampled during the run --------------------------
d=$out/3-monitored; mkdir -p "$d"
port=$(free_port)
"$exe" "${build[@]}" --iterations "$monitored_iters" --pprof-http --pprof-port "$port" \
  --memprofile "$d/build_end.prof" >"$d/build.json" 2>"$d/build.err" &
mon=$!; pids+=($mon)
url=http://127.0.0.1:$port/debug/pprof
# wait until the timed window has sampled something (bounded: 20 s)
for _ in $(seq 1 200); do
  if curl -sf --max-time 5 -o "$d/heap_during_build.prof" "$url/heap" &&
     "$go" tool pprof -sample_index=alloc_objects -top "$d/heap_during_build.prof" 2>/dev/null |
       grep -q 'of [1-9][0-9]* total'; then break; fi
  kill -0 "$mon" 2>/dev/null || break
  sleep 0.1
done
# the build must outlast the 1 s CPU profile: 60 iterations (--quick) took 2.9 s on the
# faster 2-core guest (15 took 0.7 s there, and the CPU profile came back empty)
curl -sf --max-time 10 -o "$d/cpu_during_build.prof" "$url/profile?seconds=1" & c1=$!
curl -sf --max-time 10 -o "$d/heap_during_build.prof" "$url/heap" & c2=$!
curl -sf --max-time 10 -o "$d/allocs_during_build.prof" "$url/allocs" & c3=$!
for c in $c1 $c2 $c3; do
  wait "$c" || echo "  3-monitored: a curl failed (the build ended too early?)" >&2
done
wait "$mon"
echo "  3-monitored: done"

# ---- 4: ten rapid builds ---------------------------------------------------------------
d=$out/4-rapid; mkdir -p "$d"
for i in $(seq 1 10); do
  "$exe" "${build[@]}" --memprofile "$d/build_$i.prof" >"$d/build_$i.json" 2>"$d/build_$i.err"
done
echo "  4-rapid: done"

# ---- analysis: the seed's phase 3 commands -----------------------------------------------
analyse() {
  local f=$1 kind listidx=""
  kind=$("$go" tool pprof -raw "$f" 2>/dev/null | sed -n '/^Samples:/{n;p;q}')
  "$go" tool pprof -top "$f" >"$f.top.txt" 2>&1 || true
  case $kind in
    *alloc_objects*) listidx=-sample_index=alloc_space
                     "$go" tool pprof -sample_index=alloc_objects -top "$f" >"$f.objects.txt" 2>&1 || true
                     top_for_list=$("$go" tool pprof -sample_index=alloc_space -top "$f" 2>/dev/null) ;;
    *) listidx=""; top_for_list=$(cat "$f.top.txt") ;;
  esac
  "$go" tool pprof -cum -top "$f" >"$f.cum.txt" 2>&1 || true
  : >"$f.list.txt"
  # the hottest function (by flat) that has source lines
  for fn in $(printf '%s\n' "$top_for_list" | sed -n '/flat%/,$p' | sed 1d | awk '{print $NF}' | head -8); do
    re=$(printf '%s' "$fn" | sed 's/[][\.*^$+?(){}|]/\\&/g')
    if "$go" tool pprof $listidx -list "$re" "$f" >"$f.list.txt" 2>/dev/null && grep -q '^ROUTINE' "$f.list.txt"; then
      break
    fi
  done
}
n=0
while IFS= read -r f; do analyse "$f"; n=$((n + 1)); done < <(find "$out" -name '*.prof' | sort)
{
  echo "# profile-memory.sh: $runner ${build[*]}"
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $n profiles; analysis: *.top.txt *.objects.txt *.cum.txt *.list.txt"
  f=$out/1-single/build.prof
  echo; echo "## 1-single/build.prof, -sample_index=alloc_space -top (the build frees all it allocates: inuse is ~0)"
  "$go" tool pprof -sample_index=alloc_space -top "$f" 2>&1 | sed 1d | head -16
  echo; echo "## 1-single/build.prof, -sample_index=alloc_objects -top"
  sed -n '/flat%/,$p' "$f.objects.txt" | head -9
  f=$out/1-single/build_cpu.prof
  echo; echo "## 1-single/build_cpu.prof, -top"
  sed 1d "$f.top.txt" | head -16
} >"$out/SUMMARY.txt"
echo "profile-memory.sh: $n profiles analysed; see $out/SUMMARY.txt"
