# Shared by the load scripts: sourced, not run.

# require_tools TOOL...: exits 2 naming the first tool that is not on PATH.
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing required tool: $tool" >&2; exit 2; }
  done
}

# take_no_build SCRIPT ARG...: for scripts that pass their options through: sets build (0 after
# --no-build, else 1) and args (every other argument); --help prints the script's header comment.
take_no_build() {
  local script="$1"
  shift
  build=1
  args=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --no-build) build=0 ;;
      -h|--help) sed -n '2,/^set -/p' "$script" | sed '$d'; exit 0 ;;
      *) args+=("$1") ;;
    esac
    shift
  done
}

# build_projects ROOT RESULTS TAG PROJECT...: Release builds of the projects (paths under ROOT); the log
# is appended to RESULTS/build.log and printed when a build fails.
build_projects() {
  local root="$1" results="$2" tag="$3" project
  shift 3
  for project in "$@"; do
    echo "[$tag] building $project (Release)"
    dotnet build "$root/$project" -c Release -nologo -v quiet -clp:ErrorsOnly >>"$results/build.log" 2>&1 \
      || { cat "$results/build.log"; exit 1; }
  done
}

# build_server ROOT RESULTS TAG: Release builds of the edge, of the request-bodies tool
# (loadtests/Capgo.Edge.LoadBodies, run by lib/bodies.py as `dotnet <dll>`) and of the chart tool
# (loadtests/Capgo.Edge.LoadPlot, run by lib/plot.py).
build_server() {
  build_projects "$1" "$2" "$3" src/Capgo.Edge.Server loadtests/Capgo.Edge.LoadBodies loadtests/Capgo.Edge.LoadPlot
}
