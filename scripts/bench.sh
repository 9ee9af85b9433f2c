#!/usr/bin/env bash
# The collection benchmark: builds the release collector and the simulator, then runs
# `intune-audit collect` against simulated tenants of 1k, 10k and 100k users (by default) and
# prints the figures. Arguments go to the benchmark, e.g. `scripts/bench.sh --sizes 1k,10k`.
# See docs/benchmark.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p intune-audit --bin intune-audit -p intune-audit-sim --bin bench
target_dir="${CARGO_TARGET_DIR:-target}"
exec "$target_dir/release/bench" --collector "$target_dir/release/intune-audit" "$@"
