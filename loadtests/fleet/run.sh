#!/usr/bin/env bash
# A fleet of edges on one Redis (docs/sync.md, Measurements): what an idle fleet costs Redis (commands
# per edge per reconcile interval, from INFO commandstats) and how long a publish takes to be served by
# every edge, without and with --wait. A real redis-server, 10 000 apps published with the capgo-edge
# CLI, 10 edge processes (Release, Redis mode, default sync intervals); see loadtests/fleet/fleet.py.
#
#   loadtests/fleet/run.sh [--smoke] [--no-build] [--apps N] [--edges N] [--intervals N]
#                          [--publishes M] [--reconcile SECONDS] [--probe ack|http] [--skip-wait]
#   (--smoke: 200 apps, 3 edges, 2 intervals, 10 publishes: about a minute)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$root/loadtests/lib/common.sh"
build=1
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-build) build=0 ;;
    --smoke|--apps|--edges|--intervals|--publishes|--reconcile|--probe|--skip-wait)
      args+=("$1"); [[ "$1" == --smoke || "$1" == --skip-wait ]] || { args+=("$2"); shift; } ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
require_tools dotnet python3 redis-server redis-cli

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
results="$root/loadtests/results/$stamp-fleet"
mkdir -p "$results"
work="$(mktemp -d "${TMPDIR:-/tmp}/capgo-edge-fleet.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The CLI as it is installed: published for this platform, so precompiled (ReadyToRun): its exit after a
# change is part of what is measured.
rid="linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')"
cli_dir="$root/src/Capgo.Edge.Cli/bin/Release/net10.0/$rid/publish"
if [[ $build -eq 1 ]]; then
  build_projects "$root" "$results" fleet src/Capgo.Edge.Server
  echo "[fleet] publishing src/Capgo.Edge.Cli (Release, $rid, ReadyToRun)"
  dotnet publish "$root/src/Capgo.Edge.Cli/Capgo.Edge.Cli.csproj" -c Release -r "$rid" --self-contained false -nologo -v quiet \
    -clp:ErrorsOnly >>"$results/build.log" 2>&1 || { cat "$results/build.log"; exit 1; }
fi

echo "[fleet] commit $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src || echo ' + uncommitted src changes')" | tee "$results/commit.txt"
python3 "$here/fleet.py" --server "$root/src/Capgo.Edge.Server/bin/Release/net10.0/Capgo.Edge.Server" \
  --cli "$cli_dir/capgo-edge" --work "$work" --results "$results" "${args[@]}"
echo "[fleet] results in $results"
