#!/usr/bin/env bash
# me_home.sh DATA_DIR [DATABASE_URL]: /api/v1/me/home latency (wrk --latency at 1 and 16
# connections) and throughput against a bare Fiber plaintext server in the same run (wrk -t1 -c64,
# as shared/tools/loadmix), over a store filled by bench/megen (tokens in DATA_DIR/tokens.txt).
# Who each request is (bench/me_home.lua), after a warm-up at 16 connections in the same mode
# (WARM seconds: 3, or 120 with ZIPF=1, the home cache's TTL, so that the runs see the steady mix
# of hits and misses rather than a cache still filling):
#   (default)  any of the people of the file, uniformly: with 100k people nearly every request
#              misses the home and token caches; the worst case, the cost of a miss.
#   HOT=N      uniformly one of the first N people only: the people active at one time, whose
#              home screens and tokens the caches hold after the warm-up; the cost of a hit.
#   ZIPF=1     any of the people, with Zipf weights 1/rank^1.1 (the skew of the product's
#              instruments, shared/tools/loadmix/paths.py; ranks are the file's lines shuffled
#              once with a fixed seed): the realistic mix of hits and misses.
# The throughput run also prints the server's CPU time per request (user + system, from /proc;
# with DATABASE_URL, that of the postgres backends serving its database too, when they run on
# this machine): a figure the load of other work moves far less than the latencies.
# SECS=N is the length of each measured run (10). BIN=path serves with that binary instead of
# one built from this checkout (a before/after pair in the same run: build the other revision
# with `go build -o`).
set -eu
here=$(dirname "$(readlink -f "$0")")
data=$1; dburl=${2:-}
secs=${SECS:-10}
mode=${HOT:-}; warm=${WARM:-3}; [ -n "${ZIPF:-}" ] && { mode=zipf; warm=${WARM:-120}; }
command -v wrk >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; }
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
wrk -t1 -c16 -d${warm}s -s "$here/me_home.lua" "$base" -- "$data/tokens.txt" $mode >/dev/null # warm up (popular guides, caches)
echo "== latency, 1 connection (no queueing)"
wrk -t1 -c1 -d${secs}s --latency -s "$here/me_home.lua" "$base" -- "$data/tokens.txt" $mode | grep -E "50%|99%|Requests/sec|Non-2xx"
echo "== latency, 16 connections"
wrk -t1 -c16 -d${secs}s --latency -s "$here/me_home.lua" "$base" -- "$data/tokens.txt" $mode | grep -E "50%|90%|99%|Requests/sec|Non-2xx"
ticks() { cat "$@" 2>/dev/null | awk '{sub(/.*\) /, ""); t += $12 + $13} END {print t + 0}'; } # utime + stime of /proc/PID/stat files
dbname=$(python3 -c "import sys,urllib.parse as u; print(u.urlparse(sys.argv[1]).path.lstrip('/'))" "$dburl")
pgstat() { # the stat files of the postgres backends serving the benchmark's database
  echo /dev/null; [ -n "$dburl" ] || return 0
  for p in $(pgrep -x postgres); do grep -q "^postgres: .* $dbname " /proc/$p/cmdline 2>/dev/null && echo /proc/$p/stat; done; return 0; }
rps() { wrk -t1 -c64 -d${secs}s "$@"; }
# the home cache's hits and misses so far (shebao_home_cache_requests_total)
counts() { curl -s "$base/metrics" | awk '/^shebao_home_cache_requests_total/ {v[$1] = $2} END {printf "%d %d", v["shebao_home_cache_requests_total{result=\"hit\"}"], v["shebao_home_cache_requests_total{result=\"miss\"}"]}'; }
m0=$(counts); cpu0=$(ticks /proc/$pid/stat); pg0=$(ticks $(pgstat))
out=$(rps -s "$here/me_home.lua" "$base" -- "$data/tokens.txt" $mode)
cpu1=$(ticks /proc/$pid/stat); pg1=$(ticks $(pgstat)); m1=$(counts)
home=$(echo "$out" | awk '/Requests\/sec/ {print $2}'); n=$(echo "$out" | awk '/requests in/ {print $1}')
plain=$(rps "http://127.0.0.1:$ptport/" | awk '/Requests\/sec/ {print $2}')
echo "home=$home plaintext=$plain ratio=$(python3 -c "print(round($home/$plain,3))")"
hz=$(getconf CLK_TCK)
echo "server CPU per request: $(python3 -c "print(round(($cpu1-$cpu0)/$hz/$n*1e6,1))") µs$([ -n "$dburl" ] && echo ", postgres $(python3 -c "print(round(($pg1-$pg0)/$hz/$n*1e6,1))") µs") (c64 run, $n requests)"
echo "home cache in the c64 run: $(echo $m0 $m1 | awk '{h = $3 - $1; m = $4 - $2; printf "%d hits, %d misses (%.1f%%)", h, m, 100 * m / (h + m)}'); server RSS $(awk '/VmRSS/ {printf "%.0f MiB", $2 / 1024}' /proc/$pid/status)"
