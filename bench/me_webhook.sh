#!/usr/bin/env bash
# me_webhook.sh DATA_DIR [DATABASE_URL]: webhook → progress stream latency and webhook ingest rate
# (bench/mewebhook) against a server over a store filled by bench/megen; BIN=path serves with that
# binary (as in me_home.sh).
set -eu
here=$(dirname "$(readlink -f "$0")")
data=$1; dburl=${2:-}
bin=${BIN:-}; built=
if [ -z "$bin" ]; then bin=$(mktemp -u); built=$bin; (cd "$here/.." && go build -o "$bin" ./cmd/shebao); fi
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
secret=bench-secret-0123456789abcdef
SHEBAO_ADDR=127.0.0.1:$port SHEBAO_DATA_DIR=$data DATABASE_URL=$dburl SHEBAO_ME_RATE_PER_USER=1000000 SHEBAO_ME_RATE_PER_IP=1000000 \
  SHEBAO_SIMULATOR_STEP=24h SHEBAO_UPSTREAM_SECRET=$secret "$bin" serve >"$data/serve-webhook.log" 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null; rm -f $built' EXIT
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
(cd "$here/.." && ${MEWEBHOOK:-go run ./bench/mewebhook} --base "http://127.0.0.1:$port" --token "$(head -1 "$data/tokens.txt")" --secret "$secret" "${@:3}")
