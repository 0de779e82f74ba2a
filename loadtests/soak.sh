#!/usr/bin/env bash
# Soak: steady wrk load (HTTP JSON /updates) against one standalone edge (Release build), sampling
# its RSS (/proc/PID/status VmRSS) every 10 s; reports first/last/max RSS and the least-squares slope
# of RSS over the second half (MB/min). See docs/reliability.md.
#
#   loadtests/soak.sh [--minutes N] [--connections C] [--no-build]     (default 10 minutes; --minutes 1 = short)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
minutes=10
connections=16
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) minutes="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=lib/common.sh
. "$here/lib/common.sh"
require_tools dotnet python3 wrk

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
results="$root/loadtests/results/$stamp-soak-${minutes}m"
mkdir -p "$results"
work="$(mktemp -d "${TMPDIR:-/tmp}/capgo-edge-soak.XXXXXX")"
trap 'rm -rf "$work"' EXIT

server_dir="$root/src/Capgo.Edge.Server/bin/Release/net10.0"
if [[ $build -eq 1 ]]; then
  build_server "$root" "$results" soak
fi

python3 "$here/lib/reliability.py" soak --server "$server_dir/Capgo.Edge.Server" --work "$work" --results "$results" \
  --minutes "$minutes" --connections "$connections"
echo "[soak] results in $results"
