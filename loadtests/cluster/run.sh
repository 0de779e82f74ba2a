#!/usr/bin/env bash
# Capgo Edge on a real Redis Cluster: builds a local cluster of 3 masters and 3 replicas (redis-server
# --cluster-enabled yes + redis-cli --cluster create), runs the fleet scenario on it with 2 real edge
# processes (Release): publish --wait, override --wait, reconcile after a missed announcement, and the
# master of the projection's slot killed (SIGKILL) while checks run steadily (0 failed checks, a later
# publish served); then measures event intake with 1 and 3 event shards (Capgo.Edge.EventLoad: fill
# rate and the control-plane consumer's rate, every total checked). Non-zero exit on any failure.
# Results (summary.md, logs) in loadtests/results/<stamp>-cluster. See docs/events.md.
#
#   loadtests/cluster/run.sh [--no-build] [--events N] [--skip-scenario] [--skip-events]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# shellcheck source=../lib/common.sh
. "$root/loadtests/lib/common.sh"
take_no_build "$0" "$@"
require_tools dotnet redis-server redis-cli python3

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
results="$root/loadtests/results/$stamp-cluster"
mkdir -p "$results"
if [[ $build -eq 1 ]]; then
  build_projects "$root" "$results" cluster src/Capgo.Edge.Server src/Capgo.Edge.Cli src/Capgo.Edge.ControlPlane.Service loadtests/Capgo.Edge.EventLoad
fi

commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "[cluster] commit $commit; load average $(cut -d' ' -f1-3 /proc/loadavg); results in $results"
python3 "$here/scenario.py" --root "$root" --results "$results" --commit "$commit" "${args[@]}"
