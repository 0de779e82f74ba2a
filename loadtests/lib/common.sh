# Shared by the load scripts (run.sh, profile.sh, soak.sh): sourced, not run.

# require_tools TOOL...: exits 2 naming the first tool that is not on PATH.
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing required tool: $tool" >&2; exit 2; }
  done
}

# build_server ROOT RESULTS TAG: Release builds of the edge, of the request-bodies tool
# (loadtests/Capgo.Edge.LoadBodies, run by lib/bodies.py as `dotnet <dll>`) and of the chart tool
# (loadtests/Capgo.Edge.LoadPlot, run by lib/plot.py); the log goes to RESULTS/build.log and is
# printed when a build fails.
build_server() {
  local root="$1" results="$2" tag="$3" project
  : >"$results/build.log"
  for project in src/Capgo.Edge.Server/Capgo.Edge.Server.csproj loadtests/Capgo.Edge.LoadBodies/Capgo.Edge.LoadBodies.csproj \
                 loadtests/Capgo.Edge.LoadPlot/Capgo.Edge.LoadPlot.csproj; do
    echo "[$tag] building $(dirname "$project") (Release)"
    dotnet build "$root/$project" -c Release -nologo -v quiet -clp:ErrorsOnly >>"$results/build.log" 2>&1 \
      || { cat "$results/build.log"; exit 1; }
  done
}
