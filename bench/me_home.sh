#!/usr/bin/env bash
# me_home.sh DATA_DIR [DATABASE_URL]: /api/v1/me/home latency (wrk --latency at 1 and 16
# connections) and throughput against a bare Fiber plaintext server in the same run (wrk -t1 -c64,
# as shared/tools/loadmix), over a store filled by bench/megen (tokens in DATA_DIR/tokens.txt).
# Who each request is (bench/me_home.lua), after a 3 s warm-up in the same mode:
#   (default)  any of the people of the file, uniformly: with 100k people nearly every request
#              misses the home and token caches; the worst case, the cost of a miss.
#   HOT=N      uniformly one of the first N people only: the people active at one time, whose
#              home screens and tokens the caches hold after the warm-up; the cost of a hit.
#   ZIPF=1     any of the people, with Zipf weights 1/rank^1.1 (the skew of the product's
#              instruments, shared/tools/loadmix/paths.py; ranks are the file's lines shuffled
#              once with a fixed seed): the realistic mix of hits and misses.
# SECS=N is the length of each measured run (10). BIN=path serves with that binary instead of
# one built from this checkout (a before/after pair in the same run: build the other revision
# with `go build -o`).
set -eu
here=$(dirname "$(readlink -f "$0")")
data=$1; dburl=${2:-}
secs=${SECS:-10}
mode=${HOT:-}; [ -n "${ZIPF:-}" ] && mode=zipf
bin=${BIN:-}; built=
if [ -z "$bin" ]; then bin=$(mktemp -u); built=$bin; (cd "$here/.." && go build -o "$bin" ./cmd/shebao); fi
pt=$(mktemp -u); (cd /work/shared/tools/loadmix/plaintext && go build -o "$pt" .)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
ptport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
SHEBAO_ADDR=127.0.0.1:$port SHEBAO_DATA_DIR=$data DATABASE_URL=$dburl SHEBAO_ME_RATE_PER_USER=1000000 SHEBAO_ME_RATE_PER_IP=1000000 \
  SHEBAO_SIMULATOR_STEP=24h "$bin" serve >"$data/serve.log" 2>&1 & pid=$!
"$pt" 127.0.0.1:$ptport >/dev/null 2>&1 & ptpid=$!
trap 'kill $pid $ptpid 2>/dev/null; rm -f $built "$pt"' EXIT
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
base="http://127.0.0.1:$port"
wrk -t1 -c16 -d3s -s "$here/me_home.lua" "$base" -- "$data/tokens.txt" $mode >/dev/null # warm up (popular guides, caches)
echo "== latency, 1 connection (no queueing)"
wrk -t1 -c1 -d${secs}s --latency -s "$here/me_home.lua" "$base" -- "$data/tokens.txt" $mode | grep -E "50%|99%|Requests/sec|Non-2xx"
echo "== latency, 16 connections"
wrk -t1 -c16 -d${secs}s --latency -s "$here/me_home.lua" "$base" -- "$data/tokens.txt" $mode | grep -E "50%|90%|99%|Requests/sec|Non-2xx"
rps() { wrk -t1 -c64 -d${secs}s "$@" | awk '/Requests\/sec/ {print $2}'; }
home=$(rps -s "$here/me_home.lua" "$base" -- "$data/tokens.txt" $mode)
plain=$(rps "http://127.0.0.1:$ptport/")
echo "home=$home plaintext=$plain ratio=$(python3 -c "print(round($home/$plain,3))")"
