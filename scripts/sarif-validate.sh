#!/usr/bin/env bash
# Validates SARIF files with Microsoft's SARIF multitool (npm @microsoft/sarif-multitool),
# including GitHub code scanning's ingestion rules (GH1001… "every result needs a file
# location"). Exits non-zero when the tool reports an error.
#   scripts/sarif-validate.sh report.sarif [more.sarif …]
set -euo pipefail
if [ "$#" -eq 0 ]; then
  echo "usage: $0 FILE.sarif [FILE.sarif …]" >&2
  exit 2
fi
VERSION="${SARIF_MULTITOOL_VERSION:-5.7.0}"
status=0
for f in "$@"; do
  out="$(npx --yes "@microsoft/sarif-multitool@${VERSION}" validate \
          --rule-kind '"Gh;Sarif"' --level '"Error;Warning;Note"' "$f" 2>&1 | grep -v '^npm warn' || true)"
  printf '%s\n' "$out"
  if printf '%s\n' "$out" | grep -Eq ': error |ERR[0-9]+' || ! printf '%s\n' "$out" | grep -q 'Analysis completed successfully'; then
    echo "sarif-validate: $f has errors" >&2
    status=1
  fi
done
exit "$status"
