#!/usr/bin/env bash
# Chaos under steady load: a real redis-server and 2 edges (Release build, Redis mode), a projection
# published with the capgo-edge CLI, wrk on HTTP JSON /updates against both edges while, in turn,
# Redis is SIGKILLed and restarted empty (then republished), Redis is paused 5 s (SIGSTOP/SIGCONT),
# and one edge is restarted (SIGTERM, start). Reports failed/total checks per edge and fault, the
# edges' resync (ready, not degraded, x-capgo-generation = latest publish), and /stats event loss
# (accepted vs XLEN capgo:edge:events vs capgo_edge_events_* counters). See docs/reliability.md.
#
#   loadtests/chaos.sh [--short] [--no-build] [--stats-events N]      (--short ≈ 2–3 minutes)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
mode=full
build=1
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --short) mode=short; extra+=(--short) ;;
    --no-build) build=0 ;;
    --stats-events) extra+=(--stats-events "$2"); shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=lib/common.sh
. "$here/lib/common.sh"
require_tools dotnet python3 wrk redis-server redis-cli

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
results="$root/loadtests/results/$stamp-chaos-$mode"
mkdir -p "$results"
work="$(mktemp -d "${TMPDIR:-/tmp}/capgo-edge-chaos.XXXXXX")"
trap 'rm -rf "$work"' EXIT

server_dir="$root/src/Capgo.Edge.Server/bin/Release/net10.0"
cli_dir="$root/src/Capgo.Edge.Cli/bin/Release/net10.0"
if [[ $build -eq 1 ]]; then
  build_projects "$root" "$results" chaos src/Capgo.Edge.Server src/Capgo.Edge.Cli loadtests/Capgo.Edge.LoadBodies
fi
cli=""
for candidate in "$cli_dir/capgo-edge" "$cli_dir/Capgo.Edge.Cli"; do
  if [[ -x "$candidate" ]]; then cli="$candidate"; break; fi
done
[[ -x "$cli" ]] || { echo "capgo-edge CLI not built in $cli_dir" >&2; exit 1; }

python3 "$here/lib/reliability.py" chaos --server "$server_dir/Capgo.Edge.Server" --cli "$cli" --work "$work" \
  --results "$results" "${extra[@]}"
echo "[chaos] results in $results"
