#!/usr/bin/env bash
# The control-plane event consumer's throughput: builds the service and the event-load tool (Release),
# starts a redis-server on a free port, fills the stream with realistic entries, runs ONE service
# process (dotnet Capgo.Edge.ControlPlane.Service.dll) on it, prints its events/s and checks every
# total against what was written (non-zero exit on a mismatch). See loadtests/README.md.
#
#   loadtests/consumer/run.sh [--short] [--events N] [--batch-size N] [--no-build] [--redis HOST:PORT]
#                             [--service-arg --Key=Value]... [other event-load options: --devices, --seed, --prefix, --timeout]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# shellcheck source=../lib/common.sh
. "$root/loadtests/lib/common.sh"
take_no_build "$0" "$@"
require_tools dotnet redis-server

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
results="$root/loadtests/results/$stamp-consumer"
mkdir -p "$results"
if [[ $build -eq 1 ]]; then
  build_projects "$root" "$results" consumer src/Capgo.Edge.ControlPlane.Service loadtests/Capgo.Edge.EventLoad
fi

commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "[consumer] commit $commit; load average $(cut -d' ' -f1-3 /proc/loadavg); results in $results"
dotnet "$root/loadtests/Capgo.Edge.EventLoad/bin/Release/net10.0/Capgo.Edge.EventLoad.dll" \
  --service "$root/src/Capgo.Edge.ControlPlane.Service/bin/Release/net10.0/Capgo.Edge.ControlPlane.Service.dll" \
  --json "$results/results.json" "${args[@]}" | tee "$results/results.md"
