#!/usr/bin/env bash
# Capgo Edge load harness: builds the server (Release), generates a projection, starts the edge on
# free ports and drives it with h2load (gRPC) and wrk (HTTP JSON), with the Echo RPC as the
# same-run baseline on both transports. See loadtests/README.md.
#
#   loadtests/run.sh [--smoke|--short|--full] [--standalone] [--no-build] [--no-pin] [--duration S] [--reps N] [--keep]
#                    [--transport grpc|http]   (only that transport's check and echo)
#                    [--echo-bytes exchange|request|both]   (echo sized to the check's request + reply (default), its request only, or both baselines)
#                    [--edge-arg --Key=Value]...   (configuration passed to the edge, e.g. --HttpApi:ServeChecksDirectly=false)
#                    [--consumer]   (Redis mode: one control-plane service consumes the edge's events during the run)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
mode=short
build=1
keep=0
redis=1
consumer=0
extra=()

while [[ $# -gt 0 ]]; do
  case "$1" in
    --smoke) mode=smoke ;;
    --short) mode=short ;;
    --full) mode=full ;;
    --no-build) build=0 ;;
    --no-pin) extra+=(--no-pin) ;;
    --keep) keep=1 ;;
    --duration) extra+=(--duration "$2"); shift ;;
    --reps) extra+=(--reps "$2"); shift ;;
    --transport) extra+=(--transport "$2"); shift ;;
    --echo-bytes) extra+=(--echo-bytes "$2"); shift ;;
    --edge-arg) extra+=("--edge-arg=$2"); shift ;;
    --consumer) consumer=1 ;;
    # Redis mode is the default (a redis-server started here, the projection published with capgo-edge);
    # --standalone serves the generated folder instead.
    --redis) redis=1 ;;
    --standalone) redis=0 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=lib/common.sh
. "$here/lib/common.sh"
require_tools dotnet python3 h2load wrk curl

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
results="$root/loadtests/results/$stamp-$mode"
mkdir -p "$results"
work="$(mktemp -d "${TMPDIR:-/tmp}/capgo-edge-load.XXXXXX")"
cleanup() { if [[ $keep -eq 0 ]]; then rm -rf "$work"; else echo "kept $work"; fi; }
trap cleanup EXIT

server_dir="$root/src/Capgo.Edge.Server/bin/Release/net10.0"
if [[ $build -eq 1 ]]; then
  build_server "$root" "$results" loadtest
fi
[[ -x "$server_dir/Capgo.Edge.Server" ]] || { echo "server not built: $server_dir/Capgo.Edge.Server" >&2; exit 1; }

cli="$root/src/Capgo.Edge.Cli/bin/Release/net10.0/capgo-edge.dll"
if [[ $redis -eq 1 ]]; then
  command -v redis-server >/dev/null || { echo "missing required tool: redis-server (or pass --standalone)" >&2; exit 2; }
  if [[ $build -eq 1 ]]; then
    build_projects "$root" "$results" loadtest src/Capgo.Edge.Cli
  fi
  extra+=(--redis --cli "$cli")
fi

service="$root/src/Capgo.Edge.ControlPlane.Service/bin/Release/net10.0/Capgo.Edge.ControlPlane.Service.dll"
if [[ $consumer -eq 1 ]]; then
  [[ $redis -eq 1 ]] || { echo "--consumer needs Redis mode (no --standalone)" >&2; exit 2; }
  if [[ $build -eq 1 ]]; then
    build_projects "$root" "$results" loadtest src/Capgo.Edge.ControlPlane.Service
  fi
  extra+=(--consumer "$service")
fi

commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
python3 "$here/lib/loadtool.py" run --mode "$mode" --server "$server_dir/Capgo.Edge.Server" \
  --work "$work" --results "$results" --commit "$commit" "${extra[@]}"
