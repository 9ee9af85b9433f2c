#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets/) for SECONDS each (default 300) and prints,
# per target, the executions, the new inputs found and the crashes (with their files).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). On a stable toolchain the -Z flags cargo-fuzz
# passes are allowed with RUSTC_BOOTSTRAP=1, which this script sets; FUZZ_SANITIZER=none runs
# without AddressSanitizer; FUZZ_RUNS=N stops a target after N executions (SECONDS stays the
# cap). The checked-in corpus fuzz/corpus/<target>/ is read, never written:
# new inputs go to $FUZZ_WORK/<target> (a temporary folder unless set), crashes to
# fuzz/artifacts/<target>/. docs/reliability.md says how to fold findings back into the corpus.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-300}"
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(snapshot config explain graph render)
fi
SANITIZER="${FUZZ_SANITIZER:-address}"
WORK="${FUZZ_WORK:-$(mktemp -d -t intune-audit-fuzz.XXXXXX)}"
MAX_LEN="${FUZZ_MAX_LEN:-16384}"
RUNS_ARGS=()
if [ -n "${FUZZ_RUNS:-}" ]; then
  RUNS_ARGS=(-runs="$FUZZ_RUNS")
fi
TARGET_DIR_ARGS=()
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then
  TARGET_DIR_ARGS=(--target-dir "$FUZZ_TARGET_DIR")
fi
export RUSTC_BOOTSTRAP=1

cargo fuzz build --sanitizer "$SANITIZER" "${TARGET_DIR_ARGS[@]}" >&2

printf '%-10s %8s %14s %8s %8s  %s\n' target seconds executions new crashes artifacts
status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "$WORK/$t" "fuzz/artifacts/$t"
  before=$(find "fuzz/artifacts/$t" -type f | sort)
  log="$WORK/$t.log"
  set +e
  cargo fuzz run --sanitizer "$SANITIZER" "${TARGET_DIR_ARGS[@]}" "$t" "$WORK/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -max_len="$MAX_LEN" -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$t/" "${RUNS_ARGS[@]}" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  if [ -z "$execs" ]; then
    execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  fi
  new=$(find "$WORK/$t" -type f | wc -l)
  found=$(comm -13 <(echo "$before") <(find "fuzz/artifacts/$t" -type f | sort) | sed '/^$/d')
  crashes=$(echo -n "$found" | grep -c . || true)
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    crashes="?(rc $rc)"
  fi
  if [ "$crashes" != 0 ]; then
    status=1
  fi
  printf '%-10s %8s %14s %8s %8s  %s\n' "$t" "$SECONDS_PER_TARGET" "${execs:-?}" "$new" "$crashes" \
    "$(echo "$found" | tr '\n' ' ')"
done
echo "logs and new inputs: $WORK" >&2
exit "$status"
