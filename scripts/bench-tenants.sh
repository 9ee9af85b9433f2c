#!/usr/bin/env bash
# The many-tenant benchmark: builds the release intune-audit and the simulator's benchmarks,
# then audits simulated tenants with `audit --tenants` (default: 50 tenants of 2k users, 8 at
# once) and prints wall time and peak RSS. Arguments go to bench-tenants. See docs/scale.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p intune-audit --bin intune-audit -p intune-audit-sim --bin bench --bin bench-tenants
target_dir="${CARGO_TARGET_DIR:-target}"
exec "$target_dir/release/bench-tenants" --collector "$target_dir/release/intune-audit" "$@"
