#!/usr/bin/env bash
# The scale demonstration (issue 9): 100,000 simulated recorders across 6 cloud nodes on one
# PostgreSQL database, on one machine. Builds the release binaries, raises the open-file limit
# and runs `rekey-loadgen scale` with the arguments given here, e.g.
#
#   bench/scale.sh                                   # 100k devices, 6 nodes, 60 s idle window
#   bench/scale.sh --devices 20000 --nodes 2         # smaller
#   bench/scale.sh --database-url postgres://USER@HOST/DB
#
# Each node is a `rekey-cloud` process and each node's share of the fleet a `rekey-loadgen
# gateway` process: one process holds at most 19,000 connections here (20,000 open files). It
# is a demonstration, not a CI test; docs/performance.md keeps its figures.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== building rekey-cloud and rekey-loadgen (release)"
nice -n 19 cargo build --release --locked -p rekey-cloud -p rekey-loadgen

ulimit -n "$(ulimit -Hn)"

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
exec "$target_dir/release/rekey-loadgen" scale \
  --cloud-bin "$target_dir/release/rekey-cloud" \
  --database-url "${REKEY_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}" \
  "$@"
