# lib.sh: tiny assertion helpers for the shell tests (sourced). Each check prints
# "ok - ..." or "not ok - ..."; expect_exit2 runs a command that must exit 2 naming
# something on stderr; finish prints "N passed, M failed" and sets the status.
pass=0 fail=0
ok()   { pass=$((pass + 1)); echo "ok - $*"; }
nok()  { fail=$((fail + 1)); echo "not ok - $*"; }
check_eq() { # check_eq WHAT GOT WANT
  if [ "$2" == "$3" ]; then ok "$1"; else nok "$1: got '$2', want '$3'"; fi
}
json_field() { # json_field JSON NAME -> value of a top-level string or number field
  python3 -c 'import json,sys; v=json.loads(sys.argv[1]); k=sys.argv[2].split("."); 
for p in k: v=v[p]
print(v)' "$1" "$2"
}
expect_exit2() {   # expect_exit2 WHAT PATTERN COMMAND...: exit code 2, stderr has PATTERN
  # (output in $work/out and $work/err: the caller sets work)
  what=$1 pattern=$2
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  check_eq "$what: exit code" "$?" 2
  if grep -q -- "$pattern" "$work/err"; then ok "$what: message names $pattern"
  else nok "$what: stderr lacks '$pattern': $(cat "$work/err")"; fi
}
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }
