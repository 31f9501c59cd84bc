#!/usr/bin/env bash
# replicas.sh [COUNTS…]: throughput of search, guide read and /api/v1/me/home with 1, 2 and 3 (or
# COUNTS) replicas of cmd/shebao on one fresh PostgreSQL schema and one Redis (issue #25), with
# the store filled by bench/megen (PEOPLE people, APPS applications). The load client spreads
# itself over the replicas' ports (one wrk -t1 per replica, CONNS connections in all, so the
# offered concurrency is the same for every count) and measures a bare Fiber plaintext server
# (/work/shared/tools/loadmix/plaintext) in the same run. For each run it prints req/s, the CPU
# the load client, the replicas and every postgres process (other users of the server included)
# used, as shares of the machine's cores, and `uptime`. home draws a random person of all PEOPLE
# (mostly cache misses: one store query each); home-hot one of the first HOT (2000), the people
# active at one time, whose screens the replicas' caches hold after the warm-up. At the end,
# the store's bytes per person, follow, application and step.
#
#   bench/replicas.sh            # 1 2 3 replicas, SECS=10 per measure
#   PEOPLE=100000 APPS=1000000 SECS=20 bench/replicas.sh 1 2
#
# Variables: PG_URL (default the shared test database), REDIS_URL, SECS, WARM (5), CONNS (64), PEOPLE
# (20000), APPS (100000), HOT (2000), BIN (serve with this binary instead of building one), KEEP=1 (keep the
# schema; its name is printed).
set -eu
here=$(dirname "$(readlink -f "$0")")
root=$here/..
counts=${*:-1 2 3}
secs=${SECS:-10}
warm=${WARM:-5}
conns=${CONNS:-64}
pg=${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
redis=${REDIS_URL:-redis://127.0.0.1:6379/0}
people=${PEOPLE:-20000}
napps=${APPS:-100000}
hot=${HOT:-2000}
cores=$(nproc)
work=$(mktemp -d /tmp/bench-replicas-XXXXXX)
schema=bench_rep_$(basename "$work" | tr -dc 'a-z0-9' | tail -c 8)
case $pg in *\?*) dburl="$pg&search_path=$schema" ;; *) dburl="$pg?search_path=$schema" ;; esac
bin=${BIN:-$work/shebao}
[ -n "${BIN:-}" ] || (cd "$root" && go build -o "$bin" ./cmd/shebao)
(cd /work/shared/tools/loadmix/plaintext && go build -o "$work/plaintext" .)
(cd "$root" && go build -o "$work/megen" ./bench/megen)
psql -q "$pg" -c "CREATE SCHEMA $schema"
rpids=()
cleanup() {
	[ ${#rpids[@]} -eq 0 ] || kill "${rpids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] && echo "schema kept: $schema" || psql -q "$pg" -c "SET client_min_messages = warning" -c "DROP SCHEMA $schema CASCADE"
	rm -rf "$work"
}
trap cleanup EXIT
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# start N: N replicas on free ports, each with its own data dir (its search index), all ready.
bases=()
start() {
	bases=() rpids=()
	for i in $(seq "$1"); do
		local port; port=$(freeport)
		mkdir -p "$work/r$i"
		SHEBAO_ADDR=127.0.0.1:$port SHEBAO_DATA_DIR=$work/r$i DATABASE_URL=$dburl REDIS_URL=$redis SHEBAO_LOG_LEVEL=warn \
			SHEBAO_ME_RATE_PER_USER=1000000 SHEBAO_ME_RATE_PER_IP=1000000 SHEBAO_SIMULATOR_STEP=24h \
			"$bin" serve >>"$work/r$i.log" 2>&1 &
		rpids+=($!) bases+=("http://127.0.0.1:$port")
	done
	for b in "${bases[@]}"; do
		for _ in $(seq 240); do curl -sf "$b/readyz" >/dev/null && continue 2; sleep 0.5; done
		echo "replica $b not ready; its log:" >&2; tail -20 "$work"/r*.log >&2; exit 1
	done
}
stop() { kill "${rpids[@]}"; wait "${rpids[@]}" 2>/dev/null || true; rpids=(); }
# ticks PID…: CPU time (user+system, clock ticks) the processes used so far (0 for one gone).
ticks() { local t=0 x; for p; do x=$(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || true); t=$((t + ${x:-0})); done; echo $t; }
share() { python3 -c "print(f'{$1/$(getconf CLK_TCK)/($secs*$cores)*100:.0f}%')"; }

# measure NAME SCRIPT ARGS…: one wrk per replica, CONNS connections in all, for SECS, after a
# WARM-second warm-up. Each wrk runs in a subshell that reads its children's CPU time once wrk ended.
measure() {
	local name=$1 script=$2; shift 2
	local n=${#bases[@]} c=$((conns / ${#bases[@]})) i=0 before after pgbefore pgafter wpids=()
	for b in "${bases[@]}"; do wrk -t1 -c$c -d"${warm}"s -s "$script" "$b" -- "$@" >/dev/null & wpids+=($!); done
	wait "${wpids[@]}"
	wpids=()
	before=$(ticks "${rpids[@]}") pgbefore=$(ticks $(pgrep -x postgres))
	for b in "${bases[@]}"; do
		i=$((i + 1))
		(
			wrk -t1 -c$c -d"${secs}"s -s "$script" "$b" -- "$@" >"$work/out$i"
			awk '{print $16+$17}' "/proc/$BASHPID/stat" >"$work/cpu$i"
		) &
		wpids+=($!)
	done
	wait "${wpids[@]}"
	after=$(ticks "${rpids[@]}") pgafter=$(ticks $(pgrep -x postgres))
	local rps client non2xx
	rps=$(cat "$work"/out[0-9]* | awk '/Requests\/sec/ {s += $2} END {printf "%.0f", s}')
	non2xx=$(cat "$work"/out[0-9]* | awk '/Non-2xx/ {s += $NF} END {print s + 0}')
	client=$(cat "$work"/cpu[0-9]* | awk '{s += $1} END {print s}')
	echo "replicas=$n $name rps=$rps non2xx=$non2xx client_cpu=$(share "$client") replicas_cpu=$(share $((after - before))) postgres_cpu=$(share $((pgafter - pgbefore))) |$(uptime)"
	rm -f "$work"/out[0-9]* "$work"/cpu[0-9]*
}

# The store: the seed (first replica), then megen's people and applications, the guide paths.
start 1
"$work/megen" --database-url "$dburl" --data-dir "$work" --people "$people" --apps "$napps" --tokens "$work/tokens.txt"
DATABASE_URL=$dburl SHEBAO_DATA_DIR=$work/r1 "$bin" export >"$work/guides.jsonl"
python3 /work/shared/tools/loadmix/paths.py search "$root/search/testdata/search_probe.tsv" 5000 >"$work/search.paths"
python3 /work/shared/tools/loadmix/paths.py guides "$work/guides.jsonl" 5000 >"$work/guides.paths"
stop
ptport=$(freeport)
"$work/plaintext" 127.0.0.1:$ptport >/dev/null 2>&1 &
ptpid=$!
echo "people=$people applications=$napps secs=$secs conns=$conns cores=$cores"
for n in $counts; do
	start "$n"
	measure search /work/shared/tools/loadmix/mix.lua "$work/search.paths"
	measure guide /work/shared/tools/loadmix/mix.lua "$work/guides.paths"
	measure home "$here/me_home.lua" "$work/tokens.txt"
	measure home-hot "$here/me_home.lua" "$work/tokens.txt" "$hot"
	stop
	echo "replicas=$n plaintext(reference, 1 process) rps=$(wrk -t1 -c"$conns" -d"${secs}"s "http://127.0.0.1:$ptport/" | awk '/Requests\/sec/ {printf "%.0f", $2}') |$(uptime)"
done
kill $ptpid
psql -qAt "$pg" -c "ANALYZE" >/dev/null 2>&1 || true
echo "store bytes per row (table + indexes + TOAST):"
for t in person_profiles person_follows applications application_steps; do
	psql -qAt "$pg" -c "SELECT '$t', count(*), pg_total_relation_size('$schema.$t'), pg_total_relation_size('$schema.$t') / greatest(count(*), 1) FROM $schema.$t" |
		awk -F'|' '{printf "  %s rows=%s bytes=%s per_row=%s\n", $1, $2, $3, $4}'
done
