#!/usr/bin/env python3
"""Capgo Edge load harness (Python stdlib; the request bodies come from loadtests/Capgo.Edge.LoadBodies).

Subcommands:
  generate  write a realistic projection (app documents) and the check request bodies
  run       start the edge on free ports, drive it with h2load (gRPC) and wrk (HTTP JSON), with
            the Echo RPC as the same-run baseline on both transports, and write the report
  profile   perf cpu-clock profiles of the edge under h2load, Echo then CheckForUpdate, per function

`loadtests/run.sh` is the supported entry point; it builds the server and the bodies tool and calls `run`
(`loadtests/profile.sh` calls `profile`). The jobs live beside this file: projection.py (app documents and
bodies drawn from them), bodies.py (calls the bodies tool), drivers.py (h2load, wrk, probes), run.py,
report.py, perf_profile.py, common.py (shared).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from perf_profile import command_profile
from projection import generate
from run import MODES, command_run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a projection and request bodies")
    gen.add_argument("--out", required=True)
    gen.add_argument("--apps", type=int, default=1000)
    gen.add_argument("--overrides", type=int, default=100_000)
    gen.add_argument("--json-bodies", type=int, default=5000)
    gen.add_argument("--seed", type=int, default=42)

    run = sub.add_parser("run", help="start the edge and run the scenarios")
    run.add_argument("--mode", choices=sorted(MODES), default="short")
    run.add_argument("--server", required=True, help="the built Capgo.Edge.Server executable")
    run.add_argument("--work", required=True, help="scratch folder for the projection and bodies")
    run.add_argument("--results", required=True)
    run.add_argument("--commit", default="unknown")
    run.add_argument("--duration", type=int, help="override seconds per scenario (whole seconds: h2load and wrk take no fractions)")
    run.add_argument("--reps", type=int, help="override repetitions")
    run.add_argument("--transport", choices=["both", "grpc", "http"], default="both",
                     help="run only this transport's check and echo (default: both)")
    run.add_argument("--no-pin", action="store_true", help="do not pin server and load generators to separate CPUs")
    run.add_argument("--redis", action="store_true", help="publish the projection to a redis-server started here (Redis mode)")
    run.add_argument("--cli", default="", help="path of capgo-edge.dll (Redis mode)")
    run.add_argument("--echo-bytes", choices=["exchange", "request", "both"], default="exchange",
                     help="exchange (default): each echo body moves as many bytes per call as its paired check, "
                          "request and reply together; request: as large as the check's request only; "
                          "both: exchange-sized echo plus a request-sized echo as a second baseline in the same run")
    run.add_argument("--consumer", default="",
                     help="Capgo.Edge.ControlPlane.Service.dll: run one control-plane service consuming the edge's events (Redis mode)")
    run.add_argument("--edge-arg", action="append", default=[],
                     help="extra configuration for the edge, e.g. --HttpApi:ServeChecksDirectly=false (repeatable)")

    prof = sub.add_parser("profile", help="perf cpu-clock profiles of Echo and CheckForUpdate (see profile.sh)")
    prof.add_argument("--server", required=True)
    prof.add_argument("--results", required=True)
    prof.add_argument("--work", required=True, help="scratch folder for the projection and bodies")
    prof.add_argument("--seconds", type=int, default=8)
    prof.add_argument("--frequency", type=int, default=999)
    prof.add_argument("--top", type=int, default=40)
    prof.add_argument("--echo-bytes", choices=["exchange", "request"], default="exchange")
    prof.add_argument("--transport", choices=["grpc", "http"], default="grpc",
                      help="grpc: Echo vs CheckForUpdate under h2load; http: POST /echo/raw vs POST /updates under wrk")
    prof.add_argument("--commit", default="unknown")

    args = parser.parse_args()
    if args.command == "generate":
        print(json.dumps(generate(Path(args.out), args.apps, args.overrides, args.json_bodies, args.seed), indent=2))
        return 0
    if args.command == "profile":
        return command_profile(args)
    return command_run(args)


if __name__ == "__main__":
    sys.exit(main())
