"""results.png beside results.md, drawn from results.json by loadtests/Capgo.Edge.LoadPlot (ScottPlot).

Only calls that tool (`dotnet <dll>`, built in Release by lib/common.sh's build_server). A chart that cannot be
drawn costs the run nothing but the chart: draw() returns the reason, the caller prints it as a warning and
writes it into results.md, and every other result stays.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

TOOL = (Path(__file__).resolve().parent.parent / "Capgo.Edge.LoadPlot" / "bin" / "Release" / "net10.0"
        / "Capgo.Edge.LoadPlot.dll")
CHART = "results.png"


def draw(results: Path) -> tuple[Path | None, str | None]:
    """Draws results/results.png from results/results.json: (the image, None), or (None, why it was not drawn)."""
    if not TOOL.exists():
        return None, f"load-plot tool not built: {TOOL} (run without --no-build, or dotnet build loadtests/Capgo.Edge.LoadPlot -c Release)"
    png = results / CHART
    env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1")
    try:
        done = subprocess.run(["dotnet", str(TOOL), "--results", str(results / "results.json"), "--out", str(png)],
                              capture_output=True, text=True, env=env, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"load-plot did not run: {error}"
    if done.returncode != 0 or not png.exists():
        return None, f"load-plot failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}"
    return png, None
