#!/usr/bin/env bash
# Renders an HTML report in headless Chromium and saves a PNG, to look at the readiness
# report as a person would.  Needs Debian's chromium (apt-get install -y chromium).
#   scripts/screenshot-html.sh report.html [out.png] [width,height]
set -euo pipefail
html="${1:?usage: $0 report.html [out.png] [width,height]}"
out="${2:-${html%.html}.png}"
size="${3:-1280,2000}"
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [ -z "$browser" ]; then
  echo "screenshot-html: chromium not found (apt-get install -y chromium)" >&2
  exit 2
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
  --hide-scrollbars --screenshot="$out" --window-size="$size" \
  "file://$(realpath "$html")" >/dev/null 2>&1
echo "$out"
