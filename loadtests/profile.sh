#!/usr/bin/env bash
# Where the gRPC check's server CPU goes, next to the Echo baseline's: samples the running edge with
# `perf record -e cpu-clock` (a timer, so no safepoint bias; works where hardware counters do not) while
# h2load drives one method, then prints, per function, samples per 1 000 requests for check and echo
# and their difference. See loadtests/README.md ("Profiling").
#
#   loadtests/profile.sh [--no-build] [--seconds S] [--frequency HZ] [--top N] [--echo-bytes exchange|request]
#                        [--transport grpc|http]   (http: POST /echo/raw vs POST /updates under wrk)
#
# Needs perf (Debian: apt-get install linux-perf), h2load, python3, taskset.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
build=1
seconds=8
frequency=999
top=40
echo_bytes=exchange
transport=grpc
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-build) build=0 ;;
    --seconds) seconds="$2"; shift ;;
    --frequency) frequency="$2"; shift ;;
    --top) top="$2"; shift ;;
    --echo-bytes) echo_bytes="$2"; shift ;;
    --transport) transport="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
# shellcheck source=lib/common.sh
. "$here/lib/common.sh"
command -v perf >/dev/null || { echo "missing required tool: perf (Debian: apt-get install linux-perf)" >&2; exit 2; }
require_tools dotnet h2load wrk python3 taskset curl

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
results="$root/loadtests/results/$stamp-profile"
mkdir -p "$results"
server_dir="$root/src/Capgo.Edge.Server/bin/Release/net10.0"
if [[ $build -eq 1 ]]; then
  build_server "$root" "$results" profile
fi
[[ -x "$server_dir/Capgo.Edge.Server" ]] || { echo "server not built: $server_dir/Capgo.Edge.Server" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/capgo-edge-profile.XXXXXX")"
trap 'rm -rf "$work"' EXIT
python3 "$here/lib/loadtool.py" profile --server "$server_dir/Capgo.Edge.Server" --results "$results" --work "$work" \
  --seconds "$seconds" --frequency "$frequency" --top "$top" --echo-bytes "$echo_bytes" --transport "$transport" \
  --commit "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
