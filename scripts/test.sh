#!/usr/bin/env bash
# Runs every test of the workspace. Installs the system packages the suite needs when they are
# missing (Debian/Ubuntu: chromium + chromium-driver for the browser tests, redis-server and
# openssl for the multi-replica and fault-matrix tests, a CJK font for the screenshots), so it
# works on a fresh machine with only Rust installed.
#
# SILENT_LOGIN_PROPTEST_LONG=1 runs every property test with 100,000 cases instead of 1,000.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
why=()
want() { need+=("$1"); why+=("  $1: $2"); }
command -v chromium >/dev/null 2>&1 || want chromium "the browser tests (examples/tests/browser.rs)"
command -v chromedriver >/dev/null 2>&1 || want chromium-driver "WebDriver for the browser tests"
command -v redis-server >/dev/null 2>&1 || want redis-server "the multi-replica tests and the fault matrix"
# The rediss:// test makes its private CA and server certificate with the openssl command.
command -v openssl >/dev/null 2>&1 || want openssl "the private CA of the rediss:// test"
# A CJK font, so the browser test's screenshots show Chinese names instead of boxes.
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || want fonts-wqy-microhei "Chinese text in the screenshots"
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "scripts/test.sh: the tests need these missing system packages:"
  printf '%s\n' "${why[@]}"
  echo "scripts/test.sh: about to run: ${SUDO:+$SUDO }apt-get update && ${SUDO:+$SUDO }apt-get install -y ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

mkdir -p target
cargo test --workspace --all-features --no-fail-fast "$@" 2>&1 | tee target/test-output.log
status=${PIPESTATUS[0]}
# One closing line over every test binary, for humans and CI.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1); if ($(i) ~ /^ignored;?$/) s += $(i-1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' target/test-output.log
exit "$status"
