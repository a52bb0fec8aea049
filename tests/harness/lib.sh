# lib.sh: tiny assertion helpers for the shell tests (sourced). Each check prints
# "ok - ..." or "not ok - ..."; finish prints "N passed, M failed" and sets the status.
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
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }
