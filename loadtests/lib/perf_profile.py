"""`profile`: perf cpu-clock profiles of the edge, echo then check, per function (profile.sh): gRPC under h2load
(Echo, CheckForUpdate) or HTTP under wrk (POST /echo/raw, POST /updates)."""

from __future__ import annotations

import argparse
import re
import subprocess
import time
from pathlib import Path

import bodies as body_files
from common import Edge, cpu_split, log, proc_cpu_seconds
from drivers import grpc_probes, http_probe, require_ok, run_h2load, run_wrk
from projection import CHANNELS, generate


def perf_samples(data: Path) -> dict[str, int]:
    """Self samples per function of a `perf record` file (JIT frames named through the edge's perf map)."""
    out = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--sort", "sym", "--stdio", "-n"],
                         capture_output=True, text=True, check=True).stdout
    samples: dict[str, int] = {}
    for line in out.splitlines():
        match = re.match(r"\s+[\d.]+%\s+(\d+)\s+\[.\]\s+(.*)$", line)
        if match:
            # One function whatever tier its code was in when sampled.
            name = re.sub(r"\[(OptimizedTier1|Optimized|Tier0|Tier1|QuickJitted|Instrumented\w*|PreJIT)\]$", "", match.group(2).strip())
            name = re.sub(r"\s*\[[^\]]*\]\s*", " ", name).replace("valuetype ", "").replace("class ", "").replace("instance ", "")
            samples[name.strip()] = samples.get(name.strip(), 0) + int(match.group(1))
    return samples


def _methods(edge: Edge, bodies: Path, echo_bytes: str, transport: str) -> tuple:
    """(method or path, bodies, expected reply bytes) for the echo, then the check, probed first."""
    if transport == "http":
        lines = (bodies / "http-check.txt").read_text().splitlines()[:200]
        replies = [http_probe(edge, "/updates", line) for line in lines]
        if any(status not in (200, 429) for status, _ in replies):
            raise RuntimeError(f"probe of /updates failed: {sorted({status for status, _ in replies})}")
        body_files.write_echoes(bodies, echo_bytes, [p["reply_bytes"] for p in grpc_probes(edge, "CheckForUpdate", body_files.grpc_files(bodies, "check"))],
                                sum(len(line.encode()) for line in lines) / len(lines),
                                sum(len(reply.encode()) for _, reply in replies) / len(replies))
        return (("/echo/raw", bodies / "http-echo.txt", None), ("/updates", bodies / "http-check.txt", None))
    grpc_check, grpc_echo = body_files.grpc_files(bodies, "check"), body_files.grpc_files(bodies, "echo")
    probes = grpc_probes(edge, "CheckForUpdate", grpc_check)
    require_ok(grpc_check, probes)
    check_reply = [p["reply_bytes"] for p in probes]
    sizes = body_files.write_echoes(bodies, echo_bytes, check_reply)
    echo_reply = [f.stat().st_size for f in grpc_echo]  # an echo's reply is its request
    log(f"echo bodies ({echo_bytes}-sized): {sizes['grpc_echo_bytes']} B; check replies {sizes['grpc_check_reply_bytes']} B")
    return (("Echo", grpc_echo, echo_reply), ("CheckForUpdate", grpc_check, check_reply))


def command_profile(args: argparse.Namespace) -> int:
    """perf cpu-clock profiles of the edge under h2load: Echo, then CheckForUpdate, same edge, same bodies as `run`."""
    results = Path(args.results)
    raw = results / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    work = Path(args.work)
    server_cpu, load_cpu = cpu_split()
    log(f"generating projection: 1000 apps × {len(CHANNELS)} channels, 100000 device overrides")
    generate(work, 1000, 100_000, 200)
    bodies = work / "bodies"
    # Perf maps name JIT frames; without W^X the JIT's code is not double-mapped, so perf finds it.
    edge = Edge(Path(args.server), work / "projection", results, server_cpu, None, [],
                {"DOTNET_PerfMapEnabled": "1", "DOTNET_EnableWriteXorExecute": "0"})
    try:
        edge.wait_ready(timeout=120)
        methods = _methods(edge, bodies, args.echo_bytes, args.transport)

        def drive(method, files, expected, seconds, tag):
            if args.transport == "http":
                return run_wrk(edge, method, files, seconds, raw, tag.replace("/", "_"), load_cpu)
            return run_h2load(edge, method, files, expected, seconds, raw, tag, load_cpu)

        log("warm-up: 3 × 4 s per method (tiered JIT settles)")
        for _ in range(3):
            for method, files, expected in methods:
                drive(method, files, expected, 4, f"warmup-{method}")
        profiles = {}
        for method, files, expected in methods:
            data = results / f"{method.strip('/').replace('/', '-')}.data"
            log(f"profiling {method} for {args.seconds} s at {args.frequency} Hz")
            perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", str(args.frequency), "-p", str(edge.pid),
                                     "-o", str(data), "--", "sleep", str(max(args.seconds - 1, 1))],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cpu_before = proc_cpu_seconds(edge.pid)
            result = drive(method, files, expected, args.seconds, f"profile-{method}")
            cpu = proc_cpu_seconds(edge.pid) - cpu_before
            if perf.wait() != 0:
                raise RuntimeError(f"perf record failed for {method} (perf_event_paranoid? run as root)")
            if result["errors"]:
                raise RuntimeError(f"{method}: {result['errors']} errors under load")
            profiles[method] = {"samples": perf_samples(data), "requests": result["requests"], "rps": result["rps"],
                                "cpu_us_per_req": cpu * 1e6 / max(result["requests"], 1)}
            log(f"  {method}: {result['rps']:.0f} req/s, {profiles[method]['cpu_us_per_req']:.1f} µs CPU/req, "
                f"{sum(profiles[method]['samples'].values())} samples")
    finally:
        edge.stop()

    echo, check = (profiles[m] for m, _, _ in methods)
    def per_k(p, name):
        return p["samples"].get(name, 0) * 1000 / max(p["requests"], 1)
    names = set(check["samples"]) | set(echo["samples"])
    rows = sorted(names, key=lambda n: per_k(check, n) - per_k(echo, n), reverse=True)
    total_c = sum(check["samples"].values()) * 1000 / max(check["requests"], 1)
    total_e = sum(echo["samples"].values()) * 1000 / max(echo["requests"], 1)
    lines = [
        f"# Capgo Edge CPU profile — check vs echo ({time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())})",
        "",
        f"- commit `{args.commit}`; `perf record -e cpu-clock -F {args.frequency}` on the edge (folder mode, 1 000 apps, "
        f"100 000 overrides, pinned to CPU {server_cpu}); {'wrk' if args.transport == 'http' else 'h2load'} as in `run.sh`; "
        f"echo bodies {args.echo_bytes}-sized",
        f"- {methods[0][0]}: {echo['rps']:.0f} req/s, {echo['cpu_us_per_req']:.1f} µs CPU/req; {methods[1][0]}: {check['rps']:.0f} req/s, "
        f"{check['cpu_us_per_req']:.1f} µs CPU/req (one slice each: read ratios across runs, not one)",
        f"- samples per 1 000 requests: check {total_c:.2f}, echo {total_e:.2f} (ratio {total_c / max(total_e, 1e-9):.2f}); "
        f"one sample ≈ {1000 / args.frequency:.2f} ms of CPU, so samples per 1 000 requests ≈ µs per request × {args.frequency / 1000:.3f}",
        "",
        "| check | echo | check − echo | function (self samples per 1 000 requests) |",
        "|---:|---:|---:|---|",
    ]
    for name in rows[:args.top]:
        lines.append(f"| {per_k(check, name):.3f} | {per_k(echo, name):.3f} | {per_k(check, name) - per_k(echo, name):+.3f} | `{name[:160]}` |")
    lines += ["", "Most above in the echo:", "", "| check | echo | check − echo | function |", "|---:|---:|---:|---|"]
    for name in rows[-10:]:
        lines.append(f"| {per_k(check, name):.3f} | {per_k(echo, name):.3f} | {per_k(check, name) - per_k(echo, name):+.3f} | `{name[:160]}` |")
    markdown = "\n".join(lines) + "\n"
    (results / "profile.md").write_text(markdown, encoding="utf-8")
    print(markdown, flush=True)
    log(f"done: {results / 'profile.md'} (perf data: {results}/*.data)")
    return 0
