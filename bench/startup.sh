#!/usr/bin/env bash
# bench/startup.sh [RUNS]: cold start (empty data dir → /readyz 200), warm restart (same data dir)
# and idle RSS after start, for the embedded default. Prints one line per measure with min/median/max.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
bin=$(mktemp -d)/shebao
go build -o "$bin" ./cmd/shebao
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')

pidfile=$(mktemp)
# start DIR: starts the server, waits for /readyz, prints milliseconds; the PID goes to $pidfile.
start() {
  local t0 t1
  t0=$(date +%s%N)
  SHEBAO_DATA_DIR="$1" SHEBAO_ADDR=127.0.0.1:$port "$bin" serve >/dev/null 2>&1 &
  echo $! > "$pidfile"
  until curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; do sleep 0.005; done
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 ))
}
stop() { local pid; pid=$(cat "$pidfile"); kill "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done; }

cold=(); warm=(); rss=()
for _ in $(seq "$runs"); do
  dir=$(mktemp -d)
  cold+=("$(start "$dir")"); sleep 2
  rss+=("$(awk '/VmRSS/ {print int($2/1024)}' /proc/$(cat "$pidfile")/status)"); stop
  warm+=("$(start "$dir")"); stop
  rm -rf "$dir"
done
stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "min=%s median=%s max=%s", a[1], a[int((NR+1)/2)], a[NR]}'; }
echo "cold start to /readyz (ms): $(stats "${cold[@]}")"
echo "warm restart to /readyz (ms): $(stats "${warm[@]}")"
echo "idle RSS 2 s after start (MB): $(stats "${rss[@]}")"
