#!/usr/bin/env bash
# Instructions per protected request on the server side, counted by valgrind (callgrind):
# deterministic where timings on a shared machine are not. Runs each variant of
# `bench/benches/server_side.rs` (bare axum, a layer that does nothing, the layer with a bearer
# token, with the cookie, the contract floor: a layer that only puts `Identity` and `SessionInfo`
# in the extensions) twice — 2,000 and 12,000 requests — so start-up cancels out, and prints
# instructions per request. Installs valgrind (Debian/Ubuntu package) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "bench-instructions.sh: installing valgrind"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq valgrind >/dev/null
fi

bench=$(cargo bench -p silent-login-bench --bench server_side --no-run 2>&1 |
  sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1)
if [ -z "$bench" ]; then
  echo "bench-instructions.sh: the server_side bench did not build" >&2
  exit 1
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

instructions() {
  BENCH_ONLY=$1 BENCH_REQUESTS=$2 valgrind --tool=callgrind --callgrind-out-file="$WORK/out" "$bench" \
    2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

names=("bare axum" "a layer that does nothing" "layer, bearer token" "layer, cookie" "the contract floor")
echo "instructions per GET /api/me, server side (callgrind):"
for variant in 0 1 2 3 4; do
  few=$(instructions $variant 2000)
  many=$(instructions $variant 12000)
  per=$(((many - few) / 10000))
  [ "$variant" -eq 0 ] && bare=$per
  printf '  %-28s %7d   (+%d)\n' "${names[$variant]}" "$per" "$((per - bare))"
done
