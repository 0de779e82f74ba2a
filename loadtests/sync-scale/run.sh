#!/usr/bin/env bash
# Measures what an edge costs at scale, against a real redis-server started here. Cold edges start
# one after another, each timed from process start to the admin endpoint's /healthz counting every app,
# and their RSS read two seconds after:
#   1. on an EMPTY Redis (the baseline),
#   2. with APPS apps and no overrides (what the apps cost alone),
#   3. with the same apps and OVERRIDES overrides in all: the cold load above the empty edge, and bytes
#      per override = (RSS of 3 − RSS of 2) ÷ OVERRIDES,
#   4. only when BIG > 0: the same apps with BIG overrides, for the RSS of a very large projection.
# Usage: loadtests/sync-scale/run.sh [APPS=1000] [OVERRIDES=1000000] [BIG=0]
# The default run takes about 40 s; BIG=10000000 adds about 2 minutes (generating and publishing).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
apps=${1:-1000}
overrides=${2:-1000000}
big=${3:-0}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -n "${redis_pid:-}" ] && kill $redis_pid 2>/dev/null; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }
admin_key="sync-scale-admin-key-0123456789"

echo "== building Release"
dotnet build "$root/src/Capgo.Edge.Server" -c Release -v q -nologo >/dev/null
dotnet build "$root/src/Capgo.Edge.Cli" -c Release -v q -nologo >/dev/null
server="$root/src/Capgo.Edge.Server/bin/Release/net10.0/Capgo.Edge.Server.dll"
cli="$root/src/Capgo.Edge.Cli/bin/Release/net10.0/capgo-edge.dll"

rport=$(free_port)
redis-server --port "$rport" --save '' --appendonly no >/dev/null &
redis_pid=$!
sleep 0.5
export CAPGO_EDGE_REDIS="127.0.0.1:$rport"

# start_edge NAME EXPECTED_APPS → prints "ms rss_kb hwm_kb"
start_edge() {
  local name=$1 expected=$2 hp gp ap pid t0 t1 body
  hp=$(free_port); gp=$(free_port); ap=$(free_port)
  t0=$(now_ms)
  # The app count is on the admin endpoint only (the public /healthz/ready says ready or not).
  Admin__ApiKey="$admin_key" dotnet "$server" --ConnectionStrings:Redis="127.0.0.1:$rport" --Sync:EdgeName="$name" \
    --Kestrel:Endpoints:Http:Url="http://127.0.0.1:$hp" --Kestrel:Endpoints:Grpc:Url="http://127.0.0.1:$gp" \
    --Kestrel:Endpoints:Admin:Url="http://127.0.0.1:$ap" \
    --Logging:LogLevel:Default=Warning >"$work/$name.log" 2>&1 &
  pid=$!
  while true; do
    body=$(curl -s -H "x-api-key: $admin_key" "http://127.0.0.1:$ap/healthz" || true)
    if echo "$body" | grep -q "\"apps\":$expected,"; then break; fi
    sleep 0.05
  done
  t1=$(now_ms)
  sleep 2  # let the runtime settle before reading memory
  local rss hwm
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  kill $pid; wait $pid 2>/dev/null || true
  echo "$((t1 - t0)) $rss $hwm"
}

# publish DIR PINS: generates APPS documents holding PINS overrides in all, publishes them (a document
# with device_overrides replaces the app's overrides).
publish() {
  local dir=$1 pins=$2 t0
  echo "== generating $apps apps with $pins overrides"
  python3 "$root/loadtests/sync-scale/gen_apps.py" "$work/$dir" "$apps" "$pins"
  t0=$(now_ms)
  dotnet "$cli" publish "$work/$dir"/*.json >/dev/null
  echo "   published in $(( $(now_ms) - t0 )) ms"
  rm -rf "${work:?}/$dir"
}

echo "== baseline: edge on an empty Redis"
read -r base_ms base_rss base_hwm < <(start_edge baseline 0)
echo "   ready in ${base_ms} ms, RSS ${base_rss} kB, peak ${base_hwm} kB"

publish apps0 0
echo "== cold edge loading $apps apps, no overrides"
read -r apps_ms apps_rss apps_hwm < <(start_edge apps "$apps")
echo "   ready in ${apps_ms} ms, RSS ${apps_rss} kB, peak ${apps_hwm} kB"

publish apps "$overrides"
echo "== cold edge loading $apps apps, $overrides overrides"
read -r load_ms load_rss load_hwm < <(start_edge loaded "$apps")
echo "   ready in ${load_ms} ms, RSS ${load_rss} kB, peak ${load_hwm} kB"

per_override=$(( (load_rss - apps_rss) * 1024 / overrides ))
cat <<REPORT

| measure | empty Redis (baseline) | $apps apps, no overrides | $apps apps, $overrides overrides | loaded − baseline |
|---|---|---|---|---|
| process start → ready | ${base_ms} ms | ${apps_ms} ms | ${load_ms} ms | $((load_ms - base_ms)) ms |
| RSS after load | $((base_rss / 1024)) MB | $((apps_rss / 1024)) MB | $((load_rss / 1024)) MB | $(((load_rss - base_rss) / 1024)) MB |
| peak RSS | $((base_hwm / 1024)) MB | $((apps_hwm / 1024)) MB | $((load_hwm / 1024)) MB | $(((load_hwm - base_hwm) / 1024)) MB |

cold load above an empty edge: $((load_ms - base_ms)) ms
bytes per override (RSS with $overrides overrides − RSS with none) ÷ $overrides: ${per_override} B
REPORT

if [ "$big" -gt 0 ]; then
  publish big "$big"
  echo "== cold edge loading $apps apps, $big overrides"
  read -r big_ms big_rss big_hwm < <(start_edge big "$apps")
  echo "   ready in ${big_ms} ms, RSS ${big_rss} kB, peak ${big_hwm} kB"
  cat <<REPORT

| measure | $apps apps, $big overrides |
|---|---|
| process start → ready | ${big_ms} ms ($((big_ms - base_ms)) ms above the empty edge) |
| RSS after load | $((big_rss / 1024)) MB ($(( (big_rss - apps_rss) * 1024 / big )) B per override above the apps alone) |
| peak RSS | $((big_hwm / 1024)) MB |

RSS with $big overrides: $((big_rss / 1024)) MB
REPORT
fi
