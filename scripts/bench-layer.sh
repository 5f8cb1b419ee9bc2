#!/usr/bin/env bash
# What the layer costs, measured the way servers are measured: release binaries of one
# `GET /api/me` handler (bench/), the server pinned to one CPU, wrk pinned to the other.
#
#   1. Protected requests, each server's run between two runs of bare axum: axum-login +
#      tower-sessions (MemoryStore), SilentLoginLayer with a bearer token and with the cookie (MemoryStore),
#      and with a bearer token on RedisStore. Every session comes from a real login (the layer
#      against the emulator, axum-login through its login route). Two references beside them: a
#      layer that does nothing (what axum's `Router::layer` costs any layer) and the contract
#      floor (a layer that checks nothing and only puts a fixed `Identity` and `SessionInfo` in
#      the extensions, as the layer's contract requires). Prints each round and the median ratio
#      of each to bare axum (goal: layer >= 0.95), and of the layer to the contract floor.
#   2. Logins: logins per second through the layer vs the emulator's raw exchange rate
#      (`getuserinfo` with a warm app token), fresh codes for every request; then one
#      connection at a time for the p50/p99 a login adds beyond the platform's own time.
#   3. A flood of never-issued codes under the exchange cap: how fast the layer refuses them,
#      and the server's CPU per refused login.
#
# The emulator (and Redis) share the load generator's CPU: the server has its own.
#
# Environment: BENCH_ROUNDS (9), BENCH_DURATION (seconds per run, 2), BENCH_CONNECTIONS (32),
# BENCH_LOGINS (codes minted per side of a login round, 100000), BENCH_PORT (first of 8 ports, 47100),
# BENCH_ONLY (`protected`, `logins` or `flood`: one part only). Needs 2 CPUs; installs wrk and
# redis-server (Debian/Ubuntu packages) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${BENCH_ROUNDS:-9}
DURATION=${BENCH_DURATION:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
LOGINS=${BENCH_LOGINS:-100000}
PORT=${BENCH_PORT:-47100}
ONLY=${BENCH_ONLY:-all}
case "$ONLY" in all | protected | logins | flood) ;; *)
  echo "bench-layer.sh: BENCH_ONLY must be protected, logins or flood, not \`$ONLY\`" >&2
  exit 2
  ;;
esac
for name in ROUNDS DURATION CONNECTIONS LOGINS PORT; do
  if ! [[ ${!name} =~ ^[1-9][0-9]*$ ]]; then
    echo "bench-layer.sh: BENCH_$name must be a positive whole number, not \`${!name}\`" >&2
    exit 2
  fi
done
for variable in $(compgen -e | grep '^BENCH_' || true); do
  case "$variable" in BENCH_ROUNDS | BENCH_DURATION | BENCH_CONNECTIONS | BENCH_LOGINS | BENCH_PORT | BENCH_ONLY) ;; *)
    echo "bench-layer.sh: WARNING: $variable is not read (known: BENCH_ROUNDS BENCH_DURATION BENCH_CONNECTIONS BENCH_LOGINS BENCH_PORT BENCH_ONLY)" >&2
    ;;
  esac
done

CPUS=$(nproc)
if [ "$CPUS" -lt 2 ]; then
  echo "bench-layer.sh: needs 2 CPUs (one for the server, one for the load generator); this machine has $CPUS" >&2
  exit 1
fi
SERVER_CPU=0
LOAD_CPU=1

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "bench-layer.sh: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release --quiet -p silent-login-bench -p silent-login-mock --bins
TARGET=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
BIN="$TARGET/release"
WORK=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Starts a command pinned to a CPU in the background and waits for its port to answer.
start() {
  local cpu=$1 port=$2 name=$3
  shift 3
  taskset -c "$cpu" "$@" >"$WORK/$name.log" 2>&1 &
  pids+=($!)
  eval "PID_$name=$!"
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "bench-layer.sh: $name did not start on port $port:" >&2
  cat "$WORK/$name.log" >&2
  exit 1
}

PLATFORM="http://127.0.0.1:$PORT"
REDIS="redis://127.0.0.1:$((PORT + 5))/"
start $LOAD_CPU "$PORT" emulator "$BIN/silent-login-mock" --listen "127.0.0.1:$PORT"
start $LOAD_CPU $((PORT + 5)) redis redis-server --port $((PORT + 5)) --bind 127.0.0.1 --save "" --appendonly no
start $SERVER_CPU $((PORT + 1)) bare "$BIN/bench-server" --server bare --listen "127.0.0.1:$((PORT + 1))"
start $SERVER_CPU $((PORT + 2)) axumlogin "$BIN/bench-server" --server axum-login --listen "127.0.0.1:$((PORT + 2))"
start $SERVER_CPU $((PORT + 3)) layer "$BIN/bench-server" --server layer --listen "127.0.0.1:$((PORT + 3))" --platform "$PLATFORM"
start $SERVER_CPU $((PORT + 4)) layerredis "$BIN/bench-server" --server layer --listen "127.0.0.1:$((PORT + 4))" --platform "$PLATFORM" --store redis --redis "$REDIS"
start $SERVER_CPU $((PORT + 6)) noop "$BIN/bench-server" --server noop-layer --listen "127.0.0.1:$((PORT + 6))"
start $SERVER_CPU $((PORT + 7)) floor "$BIN/bench-server" --server contract-floor --listen "127.0.0.1:$((PORT + 7))"

client() { taskset -c $LOAD_CPU "$BIN/bench-client" "$@"; }
value() { sed -n "s/^$1=//p"; }

# CPU seconds (user + system) a process has used so far, in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)

# Runs wrk pinned to the load CPU; prints its output to $WORK/wrk.out.
load() {
  taskset -c $LOAD_CPU wrk "$@" >"$WORK/wrk.out" 2>&1 || {
    cat "$WORK/wrk.out" >&2
    exit 1
  }
}
rate() { awk '/^Requests\/sec:/ { print $2 }' "$WORK/wrk.out"; }
requests() { awk '/requests in/ { print $1 }' "$WORK/wrk.out"; }
refused() { awk '/Non-2xx or 3xx responses:/ { print $5 }' "$WORK/wrk.out"; }
# The latency at a percentile of `wrk --latency`, in microseconds.
latency() {
  awk -v p="$1%" '$1 == p {
    v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
    if (unit == "us") f = 1; else if (unit == "ms") f = 1000; else if (unit == "s") f = 1000000; else f = 60000000
    printf "%.0f", v * f }' "$WORK/wrk.out"
}
no_refusals() {
  local count
  count=$(refused)
  if [ -n "$count" ]; then
    echo "bench-layer.sh: $1 answered $count requests with an error status:" >&2
    cat "$WORK/wrk.out" >&2
    exit 1
  fi
}
# wrk times the whole duration even when the codes ran out early: such a rate would be wrong.
enough_codes() {
  if [ "$(requests)" -ge $((LOGINS - CONNECTIONS)) ]; then
    echo "bench-layer.sh: the $LOGINS codes ran out within ${DURATION}s; raise BENCH_LOGINS" >&2
    exit 1
  fi
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server on CPU $SERVER_CPU; wrk, the emulator and redis-server on CPU $LOAD_CPU"
echo

if [ "$ONLY" = all ] || [ "$ONLY" = protected ]; then
  # Real logins: the layer against the emulator, axum-login through its login route.
  login=$(client login --server "http://127.0.0.1:$((PORT + 3))" --platform "$PLATFORM")
  TOKEN=$(value TOKEN <<<"$login")
  COOKIE=$(value COOKIE <<<"$login")
  TOKEN_REDIS=$(client login --server "http://127.0.0.1:$((PORT + 4))" --platform "$PLATFORM" | value TOKEN)
  AXUM_LOGIN_COOKIE=$(client password-login --server "http://127.0.0.1:$((PORT + 2))" | value COOKIE)

  # name | port | header (bare gets the same Authorization header, so the requests are alike)
  runs=(
    "bare|$((PORT + 1))|Authorization: Bearer $TOKEN"
    "axum-login|$((PORT + 2))|Cookie: $AXUM_LOGIN_COOKIE"
    "layer bearer|$((PORT + 3))|Authorization: Bearer $TOKEN"
    "layer cookie|$((PORT + 3))|Cookie: $COOKIE"
    "layer bearer redis|$((PORT + 4))|Authorization: Bearer $TOKEN_REDIS"
    "no-op layer|$((PORT + 6))|Authorization: Bearer $TOKEN"
    "contract floor|$((PORT + 7))|Authorization: Bearer $TOKEN"
  )
  others=(1 2 3 4 5 6)
  for run in "${runs[@]}"; do
    IFS='|' read -r name port header <<<"$run"
    client expect --url "http://127.0.0.1:$port/api/me" --header "$header" --body alice ||
      { echo "bench-layer.sh: $name does not answer alice" >&2; exit 1; }
    load -t1 -c"$CONNECTIONS" -d2s -H "$header" "http://127.0.0.1:$port/api/me" # warm-up
  done

  echo "== protected GET /api/me: $ROUNDS rounds, ${DURATION}s runs, $CONNECTIONS connections =="
  echo "   each server runs between two runs of bare axum and is divided by their mean, so the"
  echo "   machine's drift hits both sides of every ratio; requests/s (ratio to bare axum)"
  printf '%-6s %9s' round bare
  for run in "${runs[@]:1}"; do printf ' %18s' "${run%%|*}"; done
  echo
  declare -A ratios=()
  run_one() {
    IFS='|' read -r name port header <<<"${runs[$1]}"
    load -t1 -c"$CONNECTIONS" -d"${DURATION}s" -H "$header" "http://127.0.0.1:$port/api/me"
    no_refusals "$name"
    rate
  }
  for round in $(seq 1 "$ROUNDS"); do
    # Alternate the order every round as well.
    if ((round % 2)); then order=(1 2 3 4 5 6); else order=(6 5 4 3 2 1); fi
    declare -A rates=()
    bares=()
    before=$(run_one 0)
    bares+=("$before")
    for index in "${order[@]}"; do
      rates[$index]=$(run_one "$index")
      after=$(run_one 0)
      bares+=("$after")
      ratios[$index]+="$(awk -v v="${rates[$index]}" -v a="$before" -v b="$after" 'BEGIN { printf "%.3f", 2 * v / (a + b) }') "
      before=$after
    done
    printf '%-6s %9.0f' "$round" "$(printf '%s\n' "${bares[@]}" | median)"
    for index in "${others[@]}"; do
      printf ' %10.0f (%5s)' "${rates[$index]}" "$(awk '{ print $NF }' <<<"${ratios[$index]}")"
    done
    echo
  done
  echo "median ratio to bare axum:"
  for index in "${others[@]}"; do
    printf '  %-28s %s\n' "${runs[$index]%%|*}" "$(tr ' ' '\n' <<<"${ratios[$index]}" | grep . | median)"
  done
  # Per round, one run's ratio to bare divided by another's.
  relative() {
    local values=""
    for round in $(seq 1 "$ROUNDS"); do
      values+="$(ratio "$(cut -d' ' -f"$round" <<<"${ratios[$1]}")" "$(cut -d' ' -f"$round" <<<"${ratios[$2]}")") "
    done
    tr ' ' '\n' <<<"$values" | grep . | median
  }
  printf '  %-28s %s\n' "redis / memory" "$(relative 4 2)"
  printf '  %-28s %s\n' "layer bearer / contract floor" "$(relative 2 6)"
  echo
fi

if [ "$ONLY" = all ] || [ "$ONLY" = logins ]; then
  echo "== logins: $ROUNDS rounds, ${DURATION}s each, $CONNECTIONS connections, a fresh code for every request =="
  APP_TOKEN=$(client app-token --platform "$PLATFORM")
  LOGIN_URL="http://127.0.0.1:$((PORT + 3))/api/login"
  EXCHANGE_URL="$PLATFORM/topapi/v2/user/getuserinfo?access_token=$APP_TOKEN"
  # Warm-up: the layer's app token and both servers' connections.
  client codes --platform "$PLATFORM" --count 2000 >"$WORK/codes"
  load -t1 -c"$CONNECTIONS" -d2s -s bench/wrk/codes.lua "$LOGIN_URL" -- "$WORK/codes" login
  printf '%-6s %14s %14s %7s\n' round "layer logins/s" "raw exchange/s" ratio
  login_ratios=""
  for round in $(seq 1 "$ROUNDS"); do
    client codes --platform "$PLATFORM" --count "$LOGINS" >"$WORK/codes-raw"
    client codes --platform "$PLATFORM" --count "$LOGINS" >"$WORK/codes-layer"
    if ((round % 2)); then sides=(raw layer); else sides=(layer raw); fi
    for side in "${sides[@]}"; do
      if [ "$side" = raw ]; then
        load -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s bench/wrk/codes.lua "$EXCHANGE_URL" -- "$WORK/codes-raw" exchange
        enough_codes
        raw=$(rate)
      else
        load -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s bench/wrk/codes.lua "$LOGIN_URL" -- "$WORK/codes-layer" login
        enough_codes
        no_refusals "the layer's login"
        layer=$(rate)
      fi
    done
    r=$(ratio "$layer" "$raw")
    login_ratios+="$r "
    printf '%-6s %14.0f %14.0f %7s\n' "$round" "$layer" "$raw" "$r"
  done
  echo "median ratio layer / raw: $(tr ' ' '\n' <<<"$login_ratios" | grep . | median)"

  echo "== login latency: one connection, ${DURATION}s per side, microseconds, everything on CPU $LOAD_CPU =="
  # One request at a time needs no second CPU, and a wake-up across CPUs costs a VM tens of
  # microseconds: the servers join the emulator and wrk for this part.
  taskset -a -p -c $LOAD_CPU "$PID_layer" >/dev/null
  taskset -a -p -c $LOAD_CPU "$PID_bare" >/dev/null
  client codes --platform "$PLATFORM" --count "$LOGINS" >"$WORK/codes-raw"
  client codes --platform "$PLATFORM" --count "$LOGINS" >"$WORK/codes-layer"
  load -t1 -c1 -d"${DURATION}s" --latency -s bench/wrk/codes.lua "$EXCHANGE_URL" -- "$WORK/codes-raw" exchange
  enough_codes
  raw50=$(latency 50) raw99=$(latency 99)
  load -t1 -c1 -d"${DURATION}s" --latency -s bench/wrk/codes.lua "$LOGIN_URL" -- "$WORK/codes-layer" login
  enough_codes
  no_refusals "the layer's login"
  layer50=$(latency 50) layer99=$(latency 99)
  load -t1 -c1 -d"${DURATION}s" --latency -H "Authorization: Bearer x" "http://127.0.0.1:$((PORT + 1))/api/me"
  hop50=$(latency 50) hop99=$(latency 99)
  taskset -a -p -c $SERVER_CPU "$PID_layer" >/dev/null
  taskset -a -p -c $SERVER_CPU "$PID_bare" >/dev/null
  printf '%-34s %8s %8s\n' "" p50 p99
  printf '%-34s %8s %8s\n' "login through the layer" "$layer50" "$layer99"
  printf '%-34s %8s %8s\n' "raw exchange (getuserinfo)" "$raw50" "$raw99"
  printf '%-34s %8s %8s\n' "bare GET round trip (the extra hop)" "$hop50" "$hop99"
  printf '%-34s %8s %8s\n' "added by a login (layer - raw)" "$((layer50 - raw50))" "$((layer99 - raw99))"
  printf '%-34s %8s %8s\n' "... less the extra hop" "$((layer50 - raw50 - hop50))" "$((layer99 - raw99 - hop99))"
  echo
fi

if [ "$ONLY" = all ] || [ "$ONLY" = flood ]; then
  FLOOD=$((CONNECTIONS * 8))
  echo "== flood of never-issued codes: $FLOOD connections, ${DURATION}s, exchange cap 64 (the default) =="
  for round in $(seq 1 "$ROUNDS"); do
    before=$(ticks "$PID_layer")
    exchanged=$(client exchanges --platform "$PLATFORM")
    load -t1 -c"$FLOOD" -d"${DURATION}s" -s bench/wrk/bogus.lua "http://127.0.0.1:$((PORT + 3))/api/login" -- "$round"
    after=$(ticks "$PID_layer")
    exchanged=$(($(client exchanges --platform "$PLATFORM") - exchanged))
    total=$(requests)
    refusals=$(refused)
    ok=$((total - ${refusals:-0}))
    printf 'round %s: %8.0f refusals/s, %5.1f us of server CPU each; %s sent to the platform (40078), %s refused at the cap\n' \
      "$round" "$(rate)" "$(awk -v t=$((after - before)) -v hz="$TICK" -v n="$total" 'BEGIN { print t * 1000000 / hz / n }')" \
      "$exchanged" "$((total - exchanged))"
    if [ "$ok" -ne 0 ]; then
      echo "bench-layer.sh: $ok never-issued codes logged in" >&2
      exit 1
    fi
  done
fi
