#!/usr/bin/env bash
# push_send.sh [pushsend send flags]: the Web Push send path against its cryptographic floor
# (bench/pushsend), the fake push service in its own process on core 1, the sender on core 0,
# each with GOMAXPROCS=1: one core of ours does what the table says. The service listens three
# times: plain HTTP/1.1, TLS offering HTTP/2 (as the real push services), TLS with HTTP/1.1 only.
set -eu
here=$(dirname "$(readlink -f "$0")")
bin=$(mktemp -d)/pushsend
(cd "$here/.." && go build -o "$bin" ./bench/pushsend)
out=$(mktemp)
GOMAXPROCS=1 taskset -c 1 "$bin" serve >"$out" & pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$(dirname "$bin")" "$out"' EXIT
for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.05; done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for _ in $(seq 100); do [ "$(wc -l <"$out")" -ge 4 ] && break; sleep 0.05; done
GOMAXPROCS=1 taskset -c 0 "$bin" send --url "$(sed -n 1p "$out")" --tls-url "$(sed -n 2p "$out")" \
  --tls-h1-url "$(sed -n 3p "$out")" --cert "$(sed -n 4p "$out")" "$@"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
