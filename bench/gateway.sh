#!/usr/bin/env bash
# The gateway benchmark (issue 8): the cloud's device gateway and Mosquitto side by side, in one
# run, under the same fleet of idle connections. Builds the release binaries, installs Debian's
# Mosquitto where missing, raises the open-file limit and runs `rekey-loadgen bench` with the
# arguments given here, e.g.
#
#   bench/gateway.sh                          # 1k / 5k / 15k connections, 60 s window
#   bench/gateway.sh --counts 1000,5000       # fewer connections
#   bench/gateway.sh --smoke                  # CI: 2k connections, short windows
#   bench/gateway.sh --json bench.json        # and a JSON summary
#
# See bench/README.md for the figures. Cargo runs at the lowest priority: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== building rekey-cloud and rekey-loadgen (release)"
nice -n 19 cargo build --release --locked -p rekey-cloud -p rekey-loadgen

mosquitto_bin=$(command -v mosquitto || true)
if [ -z "$mosquitto_bin" ] && [ -x /usr/sbin/mosquitto ]; then
  mosquitto_bin=/usr/sbin/mosquitto
fi
if [ -z "$mosquitto_bin" ]; then
  echo "== installing mosquitto (Debian)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
  mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
fi

# Every connection is a file on both ends: take the hard limit (the driver does the same for
# the servers it starts).
ulimit -n "$(ulimit -Hn)"

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
exec "$target_dir/release/rekey-loadgen" bench \
  --cloud-bin "$target_dir/release/rekey-cloud" \
  --mosquitto-bin "$mosquitto_bin" \
  "$@"
