#!/bin/sh
# Lighthouse scores (performance, accessibility, best practices, SEO) of this
# repository's site, built and served locally, in Debian's Chromium.
#   benchmarks/lighthouse.sh [PAGE ...]     default: home, an article, a voice, the voices listing
# Lighthouse comes from npm via npx (pinned; cached after the first run), so
# `make test` does not install it. Needs `make build` (the venv) and chromium.
set -eu
cd "$(dirname "$0")/.."
LIGHTHOUSE_VERSION=13.5.0
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
PY=.venv/bin/python
[ -x "$PY" ] || { echo "run make build first" >&2; exit 1; }
[ -x "$CHROME_PATH" ] || { echo "chromium is missing: make test-tools" >&2; exit 1; }
if [ $# -eq 0 ]; then
  set -- / /articles/participatory-budget-cwmderwen/ /voices/grace-okafor/ /voices/
fi

WORK=$(mktemp -d)
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

"$PY" -m newpower_site build --site . --out "$WORK/site" --quiet
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PY" benchmarks/serve_static.py "$WORK/site" "$PORT" &
SERVER=$!
sleep 1

printf '%-45s %6s %6s %6s %6s\n' page perf a11y best seo
for page in "$@"; do
  report="$WORK/report.json"
  npx --yes "lighthouse@$LIGHTHOUSE_VERSION" "http://127.0.0.1:$PORT$page" \
    --quiet --output=json --output-path="$report" \
    --only-categories=performance,accessibility,best-practices,seo \
    --chrome-flags="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run" \
    >/dev/null 2>"$WORK/lighthouse.log" || { cat "$WORK/lighthouse.log" >&2; exit 1; }
  "$PY" - "$report" "$page" <<'PYEOF'
import json, sys
report = json.load(open(sys.argv[1]))
scores = [round(report["categories"][c]["score"] * 100) for c in ("performance", "accessibility", "best-practices", "seo")]
print(f"{sys.argv[2]:<45} " + " ".join(f"{s:6d}" for s in scores))
failing = [a for a in report["audits"].values() if a.get("score") is not None and a["score"] < 0.9
           and a.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings") and not a["id"].endswith("-insight")]
for audit in failing:
    print(f"    {audit['id']}: {audit['title']} ({audit.get('displayValue', '')})")
PYEOF
done
