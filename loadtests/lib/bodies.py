"""The request bodies, written and read by loadtests/Capgo.Edge.LoadBodies (the contract's generated messages).

This module only calls that tool (`dotnet <dll>`, built in Release by lib/common.sh's build_server) and names
the files it writes in the run's bodies folder: grpc-check-N.bin (h2load data files: one gRPC frame of an
UpdateRequest each), http-check.txt (wrk: one JSON UpdateRequest a line), grpc-echo-N.bin / grpc-echo-req-N.bin
and http-echo.txt / http-echo-req.txt (echo bodies sized after the checks, see --echo-bytes).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from common import GRPC_PROCESSES

TOOL = (Path(__file__).resolve().parent.parent / "Capgo.Edge.LoadBodies" / "bin" / "Release" / "net10.0"
        / "Capgo.Edge.LoadBodies.dll")


def _tool(*args: str) -> str:
    if not TOOL.exists():
        raise SystemExit(f"load-bodies tool not built: {TOOL} (run without --no-build, or "
                         "dotnet build loadtests/Capgo.Edge.LoadBodies -c Release)")
    env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1")
    done = subprocess.run(["dotnet", str(TOOL), *args], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"load-bodies {args[0]} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}")
    return done.stdout


def grpc_files(bodies: Path, kind: str) -> list[Path]:
    """One body per h2load process: kind is check, echo or echo-req."""
    return [bodies / f"grpc-{kind}-{n}.bin" for n in range(GRPC_PROCESSES)]


def write_checks(bodies: Path, grpc: list[dict], http: list[dict]) -> list[int]:
    """Writes grpc-check-N.bin from grpc[N] and http-check.txt from http (UpdateRequests by their JSON names);
    returns the framed size of each gRPC body."""
    bodies.mkdir(parents=True, exist_ok=True)
    spec = bodies / "spec.json"
    spec.write_text(json.dumps({"grpc": grpc, "http": http}, separators=(",", ":")), encoding="utf-8")
    return json.loads(_tool("checks", "--spec", str(spec), "--out", str(bodies)))


def write_echoes(bodies: Path, echo_bytes: str, grpc_check_reply_bytes: list[int],
                 http_request_mean: float | None = None, http_reply_mean: float | None = None) -> dict:
    """Writes the echo bodies for --echo-bytes (exchange: each echo moves as many bytes per call as its paired
    check, request and reply together; request: as large as the check's request; both: exchange-sized, plus the
    request-sized *-echo-req bodies as a second baseline) and returns the sizes used, as the report shows them.
    gRPC echo body n goes with check body n (the same h2load slot); HTTP is sized after the probed means."""
    args = ["echo", "--bodies", str(bodies), "--mode", echo_bytes,
            "--grpc-check-reply-bytes", *(str(b) for b in grpc_check_reply_bytes)]
    sizes: dict = {"mode": echo_bytes}
    if http_request_mean is not None and http_reply_mean is not None:
        args += ["--http-check-request-mean", repr(http_request_mean), "--http-check-reply-mean", repr(http_reply_mean)]
        sizes.update({"http_check_request_bytes_mean": round(http_request_mean, 1),
                      "http_check_reply_bytes_mean": round(http_reply_mean, 1)})
    written = json.loads(_tool(*args))
    if written["http_echo_body_bytes"] is not None:
        sizes["http_echo_body_bytes"] = written["http_echo_body_bytes"]
    sizes.update({"grpc_check_request_bytes": written["grpc_check_request_bytes"],
                  "grpc_check_reply_bytes": list(grpc_check_reply_bytes), "grpc_echo_bytes": written["grpc_echo_bytes"]})
    return sizes


def decode_replies(method: str, replies: list[Path]) -> list[dict | None]:
    """Each framed reply (curl -o) as the contract's JSON; None for an empty, trailers-only one."""
    return json.loads(_tool("decode", "--method", method, *(str(r) for r in replies))) if replies else []
