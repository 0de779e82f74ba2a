# Shared by the load scripts (run.sh, profile.sh, soak.sh): sourced, not run.

# require_tools TOOL...: exits 2 naming the first tool that is not on PATH.
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing required tool: $tool" >&2; exit 2; }
  done
}

# build_server ROOT RESULTS TAG: Release build of the edge; the log goes to RESULTS/build.log and is
# printed when the build fails.
build_server() {
  local root="$1" results="$2" tag="$3"
  echo "[$tag] building src/Capgo.Edge.Server (Release)"
  dotnet build "$root/src/Capgo.Edge.Server/Capgo.Edge.Server.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly >"$results/build.log" 2>&1 \
    || { cat "$results/build.log"; exit 1; }
}
