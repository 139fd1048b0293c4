#!/usr/bin/env bash
# The server's load benchmark and memory soak, on loopback only, bounded in count.
#
#   bash deploy/bench-server.sh [rounds] [requests per round] [clients]
#
# Starts a release server on a fresh data directory (its own private PostgreSQL cluster),
# runs `rounds` rounds of the load generator (server/examples/load.rs), each sending
# `requests` pre-signed statements from `clients` connections, and prints after each round
# the throughput, the latency percentiles, the CPU the server and PostgreSQL spent per
# append, and the server's resident memory, so that memory can be compared as the log grows.
# The server and its cluster are stopped at the end, whatever happens.
# VITRINE_BENCH_SERVER and VITRINE_BENCH_LOAD name other builds of the server and of the
# load generator (another commit's, to compare); then nothing is built.
set -euo pipefail

rounds=${1:-3}
requests=${2:-40000}
clients=${3:-64}
port=${VITRINE_BENCH_PORT:-8098}
root=$(cd "$(dirname "$0")/.." && pwd)
data=$(mktemp -d /tmp/vitrine-bench.XXXXXX)
chmod 755 "$data"

cd "$root"
server_bin=${VITRINE_BENCH_SERVER:-target/release/vitrine-server}
load_bin=${VITRINE_BENCH_LOAD:-target/release/examples/load}
if [ -z "${VITRINE_BENCH_SERVER:-}${VITRINE_BENCH_LOAD:-}" ]; then
    cargo build --release --locked -q -p vitrine-server --bin vitrine-server --example load
fi

VITRINE_DATA_DIR=$data VITRINE_LISTEN=127.0.0.1:$port "$server_bin" \
    >"$data/server.log" 2>&1 &
server=$!
stop() {
    kill -INT "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$data"
}
trap stop EXIT

for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$data/server.log"; exit 1; }
    sleep 0.3
done

# CPU ticks (user + system) of the server and of every process of the postgres user.
ticks() {
    local total=0 pid fields
    for pid in "$@"; do
        fields=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null) || continue
        total=$((total + ${fields% *} + ${fields#* }))
    done
    echo "$total"
}
hz=$(getconf CLK_TCK)

for round in $(seq 1 "$rounds"); do
    server_before=$(ticks "$server")
    pg_before=$(ticks $(pgrep -u postgres || true))
    result=$("$load_bin" --url "http://127.0.0.1:$port" \
        --platform-key "$data/platform.key" --clients "$clients" --requests "$requests" \
        2>/dev/null | tail -1)
    server_after=$(ticks "$server")
    pg_after=$(ticks $(pgrep -u postgres || true))
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
    size=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^vitrine_log_size/ {print $2}')
    echo "round $round: $result"
    echo "  log size $size; server RSS $((rss / 1024)) MiB;" \
        "CPU per append: server $(( (server_after - server_before) * 1000000 / hz / requests )) µs," \
        "PostgreSQL $(( (pg_after - pg_before) * 1000000 / hz / requests )) µs"
done
