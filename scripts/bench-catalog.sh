#!/usr/bin/env bash
# How long `catalog!` expansion + compilation take as a catalog grows (500 → 5,000 codes).
# Builds a probe crate per size in target/bench-catalog and times an incremental rebuild after
# touching the YAML (the edit-a-code loop a maintainer lives in). Needs python3.
# Usage: scripts/bench-catalog.sh [sizes…]   (default: 500 1000 2500 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(500 1000 2500 5000)
work=$root/target/bench-catalog
mkdir -p "$work"
export CARGO_TARGET_DIR=$work/target

generate() {  # $1 = number of codes
  python3 - "$1" <<'PY'
import sys
n = int(sys.argv[1])
print("provider: bench\nname: Bench\nerrors:")
for i in range(n):
    print(f"""  - code: {100000 + i}
    name: Error{i}
    message: {{ en: "Error number {i} happened", zh: "发生了第 {i} 号错误" }}
    causes:
      - id: first
        en: "The first cause of error {i}."
        zh: "第 {i} 号错误的第一个原因。"
        source: reference
        details: [ {{ en: "A detail.", zh: "一个细节。" }} ]
      - id: second
        en: "The second cause of error {i}."
        zh: "第 {i} 号错误的第二个原因。"
        source: inferred
    solution: {{ en: "Fix error {i}.", zh: "修复第 {i} 号错误。", source: inferred }}
    http_status: 400
    retryable: false
    raised_by: server_api""")
PY
}

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
printf '%-7s %s\n' codes "rebuild after touching the YAML, seconds (3 runs)"

for n in "${sizes[@]}"; do
  dir=$work/probe-$n
  mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<TOML
[package]
name = "catalog-bench-$n"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
silent-login-catalog = { path = "$root/catalog" }
[workspace]
TOML
  cp "$root/Cargo.lock" "$dir/Cargo.lock"
  generate "$n" > "$dir/codes.yaml"
  cat > "$dir/src/main.rs" <<'RS'
silent_login_catalog::catalog!("codes.yaml", name = BenchCode);
fn main() {
    let code = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    println!("{:?}", BenchCode::from_code(code).map(BenchCode::name));
}
RS
  # Dependencies first, so the timings below are the probe crate alone.
  (cd "$dir" && cargo build --quiet --offline 2>/dev/null || cargo build --quiet)
  runs=()
  for _ in 1 2 3; do
    touch "$dir/codes.yaml"; start=$EPOCHREALTIME
    (cd "$dir" && cargo build --quiet --offline)
    runs+=("$(elapsed "$start" "$EPOCHREALTIME")")
  done
  printf '%-7s %s\n' "$n" "${runs[*]}"
done
