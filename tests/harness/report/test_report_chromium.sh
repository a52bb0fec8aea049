#!/bin/sh
# test_report_chromium.sh: headless Chromium opens a generated report.html from disk and
# confirms that every chart is present and visible and that nothing outside the file is
# loaded. A copy of the report gets a small probe script appended (the report itself has
# no script); the probe writes its findings into the DOM, which --dump-dom prints.
# Also saves a screenshot (report.png) next to the report for a human to look at.
# Usage: test_report_chromium.sh TEST_REPORT_BINARY CHROMIUM WORKDIR
set -eu
test_report=$1
chromium=$2
work=$3
rm -rf "$work"
mkdir -p "$work/profile"
"$test_report" --make "$work/out" >/dev/null
html="$work/out/report.html"
probe="$work/out/probe.html"
sed 's#</body>#<script>\
window.addEventListener("load", function () {\
  var imgs = document.querySelectorAll("img.chart"), ok = 0, bad = [];\
  imgs.forEach(function (im) {\
    var r = im.getBoundingClientRect(), s = getComputedStyle(im);\
    if (im.complete \&\& im.naturalWidth > 200 \&\& r.width > 200 \&\& r.height > 100 \&\&\
        s.visibility === "visible" \&\& s.display !== "none") ok++; else bad.push(im.alt);\
  });\
  var res = performance.getEntriesByType("resource").map(function (e) { return e.name; });\
  var p = document.createElement("pre"); p.id = "probe";\
  p.textContent = "PROBE charts=" + imgs.length + " visible=" + ok + " external=" + res.length +\
                  " bad=" + JSON.stringify(bad) + " res=" + JSON.stringify(res);\
  document.body.appendChild(p);\
});\
</script></body>#' "$html" > "$probe"
flags="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --user-data-dir=$work/profile --virtual-time-budget=5000"
# shellcheck disable=SC2086
timeout 120 "$chromium" $flags --dump-dom "file://$probe" > "$work/dom.html" 2>"$work/chromium.log" || {
  echo "chromium failed:"; tail -20 "$work/chromium.log"; exit 1; }
# shellcheck disable=SC2086
timeout 120 "$chromium" $flags --window-size=1400,2400 --screenshot="$work/report.png" "file://$html" \
  >>"$work/chromium.log" 2>&1 || { echo "chromium screenshot failed"; tail -20 "$work/chromium.log"; exit 1; }
line=$(grep -o '<pre id="probe">PROBE [^<]*' "$work/dom.html" | sed 's/^<pre id="probe">//' || true)
echo "$line"
echo "screenshot: $work/report.png"
[ -s "$work/report.png" ] || { echo "no screenshot"; exit 1; }
n=$(grep -o '<img class="chart"' "$html" | wc -l)
[ "$n" -ge 1 ] || { echo "report.html has no chart"; exit 1; }
case "$line" in
  "PROBE charts=$n visible=$n external=0 "*) echo "ok: $n charts visible, no external resource" ;;
  *) echo "FAIL: expected $n charts visible and no external resource"; exit 1 ;;
esac
