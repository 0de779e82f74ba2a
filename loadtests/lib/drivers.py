"""The load generators and probes: h2load (gRPC) and wrk (HTTP JSON) runs and their parsers, one-call probes."""

from __future__ import annotations

import os
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import bodies
from common import GRPC_CONNECTIONS, GRPC_STREAMS, SERVICE, WRK_CONNECTIONS, WRK_THREADS, Edge, pinned


def parse_h2load(text: str) -> dict:
    out: dict = {}
    if m := re.search(r"finished in ([\d.]+)(\w+), ([\d.]+) req/s", text):
        value, unit = float(m.group(1)), m.group(2)
        out["seconds"] = value / {"s": 1, "ms": 1e3, "us": 1e6}.get(unit, 1)
        out["rps"] = float(m.group(3))
    if m := re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", text):
        keys = ["total", "started", "done", "succeeded", "failed", "errored", "timeout"]
        out.update({f"req_{k}": int(v) for k, v in zip(keys, m.groups())})
    if m := re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text):
        out.update({"s2xx": int(m.group(1)), "s3xx": int(m.group(2)), "s4xx": int(m.group(3)), "s5xx": int(m.group(4))})
    if m := re.search(r"traffic: .*?\((\d+)\) total, .*?\((\d+)\) headers .*?, .*?\((\d+)\) data", text):
        out.update({"bytes_total": int(m.group(1)), "bytes_headers": int(m.group(2)), "bytes_data": int(m.group(3))})
    return out


def parse_wrk(text: str) -> dict:
    out: dict = {}
    if m := re.search(r"(\d+) requests in ([\d.]+)(\w+)", text):
        out["requests"] = int(m.group(1))
        out["seconds"] = float(m.group(2)) * {"s": 1, "ms": 1e-3, "m": 60}.get(m.group(3), 1)
    if m := re.search(r"Requests/sec:\s+([\d.]+)", text):
        out["rps"] = float(m.group(1))
    for pct in ("50", "75", "90", "99"):
        if m := re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M):
            out[f"p{pct}_ms"] = float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]
    # p99.9 is printed by lib/updates.lua's done(), in microseconds, from the histogram --latency reads.
    if m := re.search(r"^capgo-latency-us p50 \d+ p90 \d+ p99 \d+ p99\.9 (\d+)$", text, re.M):
        out["p99_9_ms"] = int(m.group(1)) / 1000.0
    out["non2xx"] = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", text)) else 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
        out["socket_errors"] = sum(int(g) for g in m.groups())
    else:
        out["socket_errors"] = 0
    return out


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50_ms": None, "p90_ms": None, "p99_ms": None, "p99_9_ms": None}
    values = sorted(values)

    def pick(p: float) -> float:
        return values[min(len(values) - 1, max(0, int(round(p / 100 * len(values))) - 1))]

    return {"p50_ms": pick(50), "p90_ms": pick(90), "p99_ms": pick(99), "p99_9_ms": pick(99.9)}


def grpc_probe(edge: Edge, method: str, body_file: Path) -> dict:
    """One call with curl over h2c: HTTP status, grpc-status (headers or trailers) and the reply's length; the
    reply itself is left in body_file with the suffix .reply (see grpc_probes)."""
    out_file = body_file.with_suffix(".reply")
    result = subprocess.run(
        ["curl", "-sS", "-v", "--http2-prior-knowledge", "-X", "POST",
         "-H", "content-type: application/grpc", "-H", "te: trailers",
         "--data-binary", f"@{body_file}", "-o", str(out_file), "-w", "%{http_code}",
         f"http://127.0.0.1:{edge.grpc_port}{SERVICE}/{method}"],
        capture_output=True, text=True, timeout=10, check=False)
    status = re.findall(r"^< grpc-status: (\d+)", result.stderr, re.M)
    message = re.findall(r"^< grpc-message: (.*)$", result.stderr, re.M)
    return {
        "http_status": int(result.stdout or 0),
        "grpc_status": int(status[-1]) if status else None,
        "grpc_message": message[-1].strip() if message else None,
        "reply_bytes": out_file.stat().st_size if out_file.exists() else 0,
    }


def grpc_probes(edge: Edge, method: str, body_files: list[Path]) -> list[dict]:
    """grpc_probe of each body, with the HTTP 200 replies decoded through the contract (bodies.decode_replies):
    for CheckForUpdate its version, error and kind, for Echo the payload's length."""
    probes = [grpc_probe(edge, method, f) for f in body_files]
    answered = [n for n, p in enumerate(probes) if p["http_status"] == 200]
    replies = dict(zip(answered, bodies.decode_replies(method, [body_files[n].with_suffix(".reply") for n in answered])))
    for n, probe in enumerate(probes):
        reply = replies.get(n) or {}
        probe["reply"] = ({"payload_chars": len(reply.get("payload", ""))} if method == "Echo"
                          else {key: reply.get(key) for key in ("version", "error", "kind")})
    return probes


def require_ok(body_files: list[Path], probes: list[dict]) -> None:
    """Raises on the first probe that was not HTTP 200 with grpc-status 0."""
    for f, probe in zip(body_files, probes):
        if probe["http_status"] != 200 or probe["grpc_status"] != 0:
            raise RuntimeError(f"probe of {f.name} failed: {probe}")


def http_probe(edge: Edge, path: str, body: str) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{edge.http_port}{path}", data=body.encode(),
                                     headers={"content-type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def run_h2load(edge: Edge, method: str, bodies: list[Path], expected_reply_bytes: list[int], seconds: float,
               raw: Path, name: str, cpu: str | None) -> dict:
    processes = []
    for n, body in enumerate(bodies):
        log_file = raw / f"{name}-{n}.log"
        out_file = raw / f"{name}-{n}.txt"
        command = pinned(cpu, [
            "h2load", "-t", "1", "-c", str(GRPC_CONNECTIONS), "-m", str(GRPC_STREAMS), "-D", str(seconds),
            "-H", "content-type: application/grpc", "-H", "te: trailers", "-d", str(body),
            f"--log-file={log_file}", f"http://127.0.0.1:{edge.grpc_port}{SERVICE}/{method}"])
        processes.append((subprocess.Popen(command, stdout=open(out_file, "w"), stderr=subprocess.STDOUT), log_file, out_file))

    totals = {"requests": 0, "rps": 0.0, "non2xx": 0, "failed": 0, "grpc_errors_inferred": 0, "seconds": 0.0}
    latencies: list[float] = []
    for (process, log_file, out_file), expected in zip(processes, expected_reply_bytes):
        process.wait()
        parsed = parse_h2load(out_file.read_text())
        if "rps" not in parsed:
            raise RuntimeError(f"h2load produced no result; see {out_file}")
        ok = parsed.get("s2xx", 0)
        totals["requests"] += parsed.get("req_done", 0)
        totals["rps"] += parsed["rps"]
        totals["seconds"] = max(totals["seconds"], parsed.get("seconds", 0))
        totals["non2xx"] += parsed.get("s3xx", 0) + parsed.get("s4xx", 0) + parsed.get("s5xx", 0)
        totals["failed"] += parsed.get("req_failed", 0) + parsed.get("req_errored", 0) + parsed.get("req_timeout", 0)
        # A gRPC error is a trailers-only reply: no DATA. Every OK reply carries exactly the probed
        # length, so DATA bytes ÷ that length counts OK replies.
        if expected > 0:
            replies_with_data = parsed.get("bytes_data", 0) / expected
            totals["grpc_errors_inferred"] += max(0, ok - int(round(replies_with_data)))
        for line in log_file.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) >= 3:
                latencies.append(int(parts[2]) / 1000.0)
    totals.update(percentiles(latencies))
    totals["errors"] = totals["non2xx"] + totals["failed"] + totals["grpc_errors_inferred"]
    return totals


def run_wrk(edge: Edge, path: str, bodies: Path, seconds: float, raw: Path, name: str, cpu: str | None) -> dict:
    out_file = raw / f"{name}.txt"
    env = dict(os.environ, CAPGO_BODIES=str(bodies), CAPGO_PATH=path)
    command = pinned(cpu, ["wrk", "-t", str(WRK_THREADS), "-c", str(WRK_CONNECTIONS), "-d", f"{seconds}s", "--latency",
                           "-s", str(Path(__file__).with_name("updates.lua")), f"http://127.0.0.1:{edge.http_port}"])
    with open(out_file, "w") as output:
        subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, env=env, check=False, timeout=seconds + 60)
    parsed = parse_wrk(out_file.read_text())
    if "rps" not in parsed:
        raise RuntimeError(f"wrk produced no result; see {out_file}")
    parsed["failed"] = parsed.pop("socket_errors")
    parsed["errors"] = parsed["non2xx"] + parsed["failed"]
    return parsed
