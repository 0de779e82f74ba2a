#!/usr/bin/env python3
"""Capgo Edge reliability harness: soak (RSS trend under steady load) and chaos (Redis and edge
faults under steady load). Driven by loadtests/soak.sh and loadtests/chaos.sh; see
docs/reliability.md. Every process is started here and stopped here by its own pid."""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import free_ports, proc_status_kb  # noqa: E402  (the load harness's shared pieces)
from drivers import parse_wrk  # noqa: E402
from projection import generate  # noqa: E402

HERE = Path(__file__).resolve().parent


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# The edges' admin endpoint (/metrics, detailed health) wants a key; given through the environment.
ADMIN_KEY = "loadtests-admin-key-0123456789"


def http(method: str, url: str, body: bytes | None = None, timeout: float = 2.0, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, {}, b""


class Edge:
    """One edge process (standalone or Redis mode)."""

    def __init__(self, binary: Path, name: str, results: Path, mode_args: list[str], ports: tuple[int, int] | None = None):
        self.binary, self.name, self.results, self.mode_args = binary, name, results, mode_args
        self.http_port, self.grpc_port = ports or tuple(free_ports(2))
        self.admin_port = free_ports(1)[0]
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.admin_url = f"http://127.0.0.1:{self.admin_port}"
        self.process: subprocess.Popen | None = None
        self._log = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self._log = open(self.results / f"{self.name}-{self.starts}.log", "wb")
        args = [str(self.binary),
                f"--Kestrel:Endpoints:Http:Url={self.url}",
                f"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{self.grpc_port}",
                f"--Kestrel:Endpoints:Admin:Url={self.admin_url}",
                "--Logging:LogLevel:Default=Warning",
                "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
                f"--Sync:EdgeName={self.name}",
                *self.mode_args]
        env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1", ASPNETCORE_ENVIRONMENT="Production", Admin__ApiKey=ADMIN_KEY)
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, env=env)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def wait_ready(self, timeout: float = 60) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            if http("GET", self.url + "/healthz/ready")[0] == 200:
                return time.monotonic() - start
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout}s")

    def stop(self, timeout: float = 20) -> tuple[int | None, float]:
        """SIGTERM, wait; returns the exit code and the seconds it took."""
        if self.process is None or self.process.poll() is not None:
            return (self.process.returncode if self.process else None), 0.0
        start = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self._log:
            self._log.close()
        return self.process.returncode, time.monotonic() - start

    def ready(self) -> dict:
        status, headers, body = http("GET", self.url + "/healthz/ready")
        try:
            parsed = json.loads(body) if body else {}
        except json.JSONDecodeError:
            parsed = {"raw": body.decode(errors="replace")}
        return {"status": status, **(parsed if isinstance(parsed, dict) else {"body": parsed})}

    def metrics(self) -> dict[str, float]:
        """The Prometheus text of the admin endpoint, summed by series."""
        status, _, body = http("GET", self.admin_url + "/metrics", headers={"x-api-key": ADMIN_KEY})
        out: dict[str, float] = {}
        if status != 200:
            return out
        for line in body.decode(errors="replace").splitlines():
            if line.startswith("#") or not line.strip():
                continue
            m = re.match(r"^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+([-+\d.eE]+|NaN)", line)
            if m:
                key = m.group(1) + (m.group(2) or "")
                try:
                    out[key] = out.get(key, 0.0) + float(m.group(3))
                except ValueError:
                    pass
        return out

    def generation(self, body: bytes) -> str | None:
        status, headers, _ = http("POST", self.url + "/updates", body)
        lowered = {k.lower(): v for k, v in headers.items()}
        return lowered.get("x-capgo-generation") if status == 200 else None


def rss_mb(pid: int) -> float:
    return proc_status_kb(pid, "VmRSS") / 1024.0


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    den = sum((p[0] - mx) ** 2 for p in points)
    return sum((p[0] - mx) * (p[1] - my) for p in points) / den if den else 0.0


def start_wrk(edge: Edge, bodies: Path, seconds: int, raw: Path, connections: int = 16, threads: int = 1) -> subprocess.Popen:
    env = dict(os.environ, CAPGO_BODIES=str(bodies), CAPGO_PATH="/updates")
    out = open(raw, "wb")
    return subprocess.Popen(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "--latency",
                             "-s", str(HERE / "updates.lua"), edge.url],
                            stdout=out, stderr=subprocess.STDOUT, env=env)


def heap_from_metrics(metrics: dict[str, float]) -> float | None:
    for key, value in metrics.items():
        if key.startswith(("dotnet_gc_heap_size", "process_runtime_dotnet_gc_heap_size", "dotnet_gc_last_collection_heap_size")):
            return value / 1048576.0
    return None


# ---------------------------------------------------------------- soak

def command_soak(args: argparse.Namespace) -> int:
    results, work = Path(args.results), Path(args.work)
    summary = generate(work, apps=args.apps, overrides=args.overrides, json_bodies=5000)
    log(f"projection: {summary['apps']} apps, {summary['device_overrides']} overrides")
    edge = Edge(Path(args.server), "soak-edge", results, [f"--Projection:Directory={work / 'projection'}"])
    edge.start()
    try:
        ready = edge.wait_ready()
        log(f"edge pid {edge.pid} ready in {ready:.1f}s on {edge.url}")
        seconds = int(args.minutes * 60)
        wrk = start_wrk(edge, work / "bodies" / "http-check.txt", seconds, results / "wrk.txt", connections=args.connections)
        start = time.monotonic()
        samples = []
        while True:
            elapsed = time.monotonic() - start
            metrics = edge.metrics()
            sample = {"t_s": round(elapsed, 1), "rss_mb": round(rss_mb(edge.pid), 1), "gc_heap_mb": heap_from_metrics(metrics)}
            samples.append(sample)
            log(f"t={sample['t_s']:6.1f}s RSS {sample['rss_mb']:.1f} MB" + (f" heap {sample['gc_heap_mb']:.1f} MB" if sample["gc_heap_mb"] else ""))
            if wrk.poll() is not None:
                break
            time.sleep(max(0.0, args.interval - (time.monotonic() - start - elapsed)))
        wrk.wait()
        w = parse_wrk((results / "wrk.txt").read_text(errors="replace"))
    finally:
        code, took = edge.stop()
    half = [s for s in samples if s["t_s"] >= samples[-1]["t_s"] / 2]
    report = {
        "minutes": args.minutes, "interval_s": args.interval, "connections": args.connections,
        "wrk": w, "samples": samples,
        "rss_first_mb": samples[0]["rss_mb"], "rss_last_mb": samples[-1]["rss_mb"],
        "rss_max_mb": max(s["rss_mb"] for s in samples),
        "rss_slope_second_half_mb_per_min": round(slope([(s["t_s"] / 60, s["rss_mb"]) for s in half]), 3),
        "gc_heap_exported": any(s["gc_heap_mb"] is not None for s in samples),
        "exit_code": code, "stop_seconds": round(took, 2),
    }
    (results / "soak.json").write_text(json.dumps(report, indent=2))
    md = render_soak(report)
    (results / "soak.md").write_text(md)
    print(md)
    return 0 if w.get("non2xx", 0) == 0 and w.get("socket_errors", 0) == 0 else 1


def render_soak(r: dict) -> str:
    w = r["wrk"]
    lines = [
        f"# Soak: {r['minutes']} min, wrk -c{r['connections']} HTTP JSON /updates, one standalone edge",
        "",
        "| figure | value |", "|---|---|",
        f"| requests | {w.get('requests', 0):,} ({w.get('rps', 0):,.0f}/s) |",
        f"| non-2xx / socket errors | {w.get('non2xx', 0)} / {w.get('socket_errors', 0)} |",
        f"| p50 / p99 latency | {w.get('p50_ms', 0):.2f} ms / {w.get('p99_ms', 0):.2f} ms |",
        f"| RSS first / last / max | {r['rss_first_mb']:.1f} / {r['rss_last_mb']:.1f} / {r['rss_max_mb']:.1f} MB |",
        f"| RSS slope, second half (least squares) | {r['rss_slope_second_half_mb_per_min']:+.3f} MB/min |",
        f"| GC heap from /metrics | {'yes' if r['gc_heap_exported'] else 'not exported (RSS only)'} |",
        f"| SIGTERM → exit | code {r['exit_code']} in {r['stop_seconds']} s |",
        "", "| t (s) | RSS (MB) |", "|---|---|",
    ]
    lines += [f"| {s['t_s']:.0f} | {s['rss_mb']:.1f} |" for s in r["samples"]]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    soak = sub.add_parser("soak")
    soak.add_argument("--server", required=True)
    soak.add_argument("--work", required=True)
    soak.add_argument("--results", required=True)
    soak.add_argument("--minutes", type=float, default=10)
    soak.add_argument("--interval", type=float, default=10)
    soak.add_argument("--connections", type=int, default=16)
    soak.add_argument("--apps", type=int, default=200)
    soak.add_argument("--overrides", type=int, default=20_000)
    chaos = sub.add_parser("chaos")
    chaos.add_argument("--server", required=True)
    chaos.add_argument("--cli", required=True)
    chaos.add_argument("--work", required=True)
    chaos.add_argument("--results", required=True)
    chaos.add_argument("--short", action="store_true")
    chaos.add_argument("--stats-events", type=int, default=2000)
    args = parser.parse_args()
    if args.command == "soak":
        return command_soak(args)
    from chaos import command_chaos  # noqa: E402
    return command_chaos(args)


if __name__ == "__main__":
    sys.exit(main())
