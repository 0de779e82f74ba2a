"""`run`: start the edge, probe every body, run the scenarios (check and echo per transport), write the report."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

import bodies as body_files
from common import ControlPlane, Edge, cpu_split, free_ports, log, proc_cpu_seconds, proc_status_kb, reset_peak_rss
from drivers import grpc_probe, grpc_probes, http_probe, require_ok, run_h2load, run_wrk
from plot import draw as draw_chart
from projection import CHANNELS, generate
from report import build_report, render_markdown

MODES = {
    # apps, total overrides, json bodies, seconds per scenario, repetitions, warm-up seconds
    "smoke": dict(apps=10, overrides=500, json_bodies=200, duration=3, reps=1, warmup=1),
    # Three short interleaved repetitions beat one long one on a shared machine: ratios are taken
    # per repetition (check next to its echo) and the median is reported.
    "short": dict(apps=1000, overrides=100_000, json_bodies=5000, duration=4, reps=3, warmup=2),
    "full": dict(apps=1000, overrides=100_000, json_bodies=20_000, duration=30, reps=2, warmup=5),
}

SCENARIOS = [
    # name, transport, kind
    ("grpc-echo", "grpc", "echo"),
    ("grpc-check", "grpc", "check"),
    ("http-echo", "http", "echo"),
    # POST /echo/raw: the same body written back by a plain endpoint, no transcoding — HTTP's own ceiling.
    ("http-echo-raw", "http", "echo"),
    ("http-check", "http", "check"),
]
# With --echo-bytes both: the request-sized echo as a second baseline, next to the others.
REQUEST_ECHO_SCENARIOS = [("grpc-echo-req", "grpc", "echo"), ("http-echo-req", "http", "echo")]

HTTP_PROBES = 200  # HTTP check bodies probed before the load: statuses, and the mean reply size


def start_redis(cli: str, projection: Path) -> tuple[subprocess.Popen, str]:
    """A redis-server started here (no persistence), with every app document published by capgo-edge."""
    redis_port = free_ports(1)[0]
    process = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    connection = f"127.0.0.1:{redis_port}"
    for _ in range(100):
        if subprocess.run(["redis-cli", "-p", str(redis_port), "ping"], capture_output=True).stdout.strip() == b"PONG":
            break
        time.sleep(0.05)
    files = sorted(str(f) for f in projection.glob("*.json"))
    log(f"publishing {len(files)} app documents to redis-server :{redis_port} with capgo-edge")
    started = time.monotonic()
    published = subprocess.run(["dotnet", cli, "publish", *files, "--redis", connection], capture_output=True, text=True)
    if published.returncode != 0:
        process.terminate()
        process.wait()
        raise SystemExit(f"capgo-edge publish failed ({published.returncode}): {published.stderr[-2000:]}")
    log(f"  published in {time.monotonic() - started:.1f}s")
    return process, connection


def probe_bodies(edge: Edge, bodies: Path, summary: dict, echo_bytes: str) -> tuple[dict, dict]:
    """Probes every body once (HTTP 200, grpc-status 0), learns each check's reply length and writes the echo
    bodies sized after them (--echo-bytes). Returns the gRPC probes (with the echo sizes) and the HTTP statuses."""
    http_lines = (bodies / "http-check.txt").read_text().splitlines()[:HTTP_PROBES]
    http_statuses: dict[str, int] = {}
    http_reply_sizes: list[int] = []
    for line in http_lines:
        status, reply = http_probe(edge, "/updates", line)
        http_statuses[str(status)] = http_statuses.get(str(status), 0) + 1
        http_reply_sizes.append(len(reply.encode()))

    grpc_check, grpc_echo = body_files.grpc_files(bodies, "check"), body_files.grpc_files(bodies, "echo")
    probes = {"grpc-check": grpc_probes(edge, "CheckForUpdate", grpc_check)}
    for n, probe in enumerate(probes["grpc-check"]):
        shown = json.dumps({k: v for k, v in probe["reply"].items() if v})
        log(f"  probe grpc-check[{n}] ({summary['grpc_bodies'][n]['label']}): HTTP {probe['http_status']}, "
            f"grpc-status {probe['grpc_status']}, {probe['reply_bytes']} B reply {shown}")
    require_ok(grpc_check, probes["grpc-check"])

    echo_sizes = body_files.write_echoes(
        bodies, echo_bytes, [p["reply_bytes"] for p in probes["grpc-check"]],
        sum(len(line.encode()) for line in http_lines) / max(len(http_lines), 1),
        sum(http_reply_sizes) / max(len(http_reply_sizes), 1))
    probes["grpc-echo"] = grpc_probes(edge, "Echo", grpc_echo)
    for n, probe in enumerate(probes["grpc-echo"]):
        log(f"  probe grpc-echo[{n}] (echo): HTTP {probe['http_status']}, grpc-status {probe['grpc_status']}, "
            f"{probe['reply_bytes']} B reply payload of {probe['reply']['payload_chars']} chars")
    require_ok(grpc_echo, probes["grpc-echo"])

    status, body = http_probe(edge, "/echo", (bodies / "http-echo.txt").read_text().strip())
    log(f"  probe http-check ({len(http_reply_sizes)} bodies): statuses {http_statuses}; http-echo: {status}")
    if status != 200:
        raise RuntimeError(f"probe of /echo failed: {status} {body[:200]}")
    echo_body = (bodies / "http-echo.txt").read_text().splitlines()[0]
    status, body = http_probe(edge, "/echo/raw", echo_body)
    if status != 200 or body != echo_body:
        raise RuntimeError(f"probe of /echo/raw failed: {status} {body[:200]}")
    log(f"  echo bodies (--echo-bytes {echo_bytes}): {json.dumps(echo_sizes)}")
    probes["echo_bodies"] = echo_sizes
    if echo_bytes == "both":
        for f in body_files.grpc_files(bodies, "echo-req"):
            probe = grpc_probe(edge, "Echo", f)
            if probe["http_status"] != 200 or probe["grpc_status"] != 0 or probe["reply_bytes"] != f.stat().st_size:
                raise RuntimeError(f"probe of {f.name} failed: {probe}")
    return probes, http_statuses


def settle(edge: Edge, consumer: ControlPlane | None, limit: float = 15.0) -> float:
    """Waits until the edge is idle (< 3 % of a core over 0.5 s), e.g. until the device events a previous
    scenario queued have reached Redis: otherwise that work lands on the next scenario's CPU per request
    (it made the first scenario of each repetition look 1.5–2× dearer). With a control-plane consumer, also
    until it has read every event the edge wrote (its lag gauge at 0, at most 60 s), so one scenario's events
    are not consumed during the next."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = proc_cpu_seconds(edge.pid)
        time.sleep(0.5)
        if proc_cpu_seconds(edge.pid) - before < 0.015:
            break
    if consumer is not None:
        consumer.caught_up(60.0)
    return time.monotonic() - started


def run_scenario(edge: Edge, consumer: ControlPlane | None, bodies: Path, raw: Path, load_cpu: str | None, probes: dict,
                 name: str, seconds: float, rep: int | None) -> dict | None:
    """One scenario of one repetition (rep None: warm-up, not recorded)."""
    settled = settle(edge, consumer)
    load_before = os.getloadavg()[0]
    cpu_before = proc_cpu_seconds(edge.pid)
    consumer_cpu_before = proc_cpu_seconds(consumer.pid) if consumer else 0.0
    reset = reset_peak_rss(edge.pid)
    tag = f"{'warmup' if rep is None else f'r{rep}'}-{name}"
    if name.startswith("grpc-"):
        kind = name.removeprefix("grpc-")
        files = body_files.grpc_files(bodies, kind)
        # An OK reply has the probed length; an echo's reply is its request.
        expected = ([p["reply_bytes"] for p in probes[name]] if name in probes else [f.stat().st_size for f in files])
        result = run_h2load(edge, "CheckForUpdate" if kind == "check" else "Echo", files, expected, seconds, raw, tag,
                            load_cpu)
    else:
        path, body = {"http-check": ("/updates", name), "http-echo-raw": ("/echo/raw", "http-echo")}.get(name, ("/echo", name))
        result = run_wrk(edge, path, bodies / f"{body}.txt", seconds, raw, tag, load_cpu)
    cpu = proc_cpu_seconds(edge.pid) - cpu_before
    if rep is None:
        return None
    if consumer is not None:
        # What consuming this scenario's events cost while it ran, and how far behind the consumer was at its end.
        result.update({"consumer_cpu_s": proc_cpu_seconds(consumer.pid) - consumer_cpu_before, "consumer_lag_after": consumer.lag()})
    transport, kind = next((t, k) for n, t, k in SCENARIOS + REQUEST_ECHO_SCENARIOS if n == name)
    result.update({
        "scenario": name, "transport": transport, "kind": kind, "rep": rep,
        "server_cpu_s": cpu, "server_cores_busy": cpu / max(result.get("seconds") or seconds, 1e-9),
        "server_cpu_us_per_req": cpu * 1e6 / max(result["requests"], 1),
        "peak_rss_mb": proc_status_kb(edge.pid, "VmHWM") / 1024, "peak_rss_is_per_scenario": reset,
        "machine_loadavg_1m": [load_before, os.getloadavg()[0]], "settle_seconds": settled,
    })
    log(f"  {name:<10} r{rep}: {result['rps']:>9.0f} req/s  p50 {result['p50_ms']:.2f} ms  "
        f"p90 {result['p90_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms  errors {result['errors']}  "
        f"CPU {result['server_cpu_us_per_req']:.0f} µs/req  peak RSS {result['peak_rss_mb']:.0f} MB  "
        f"(idle after {settled:.1f}s)")
    return result


def command_run(args: argparse.Namespace) -> int:
    mode = MODES[args.mode]
    # --transport grpc (or http) runs only that transport's check and echo: more pairs per minute when
    # one transport is being worked on. The report then has that transport's ratios only.
    # Each request-sized echo runs right after its transport's check, the other echo right before it.
    ordered = [s for row in SCENARIOS for s in [row] + [e for e in REQUEST_ECHO_SCENARIOS
               if args.echo_bytes == "both" and row[2] == "check" and e[1] == row[1]]]
    scenarios = [s for s in ordered if args.transport in ("both", s[1])]
    duration = args.duration or mode["duration"]
    reps = args.reps or mode["reps"]
    results = Path(args.results)
    raw = results / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    work = Path(args.work)
    server_cpu, load_cpu = cpu_split(not args.no_pin)

    log(f"mode {args.mode}: {duration}s per scenario × {reps} repetition(s); results in {results}")
    log(f"generating projection: {mode['apps']} apps × {len(CHANNELS)} channels, {mode['overrides']} device overrides")
    started = time.monotonic()
    summary = generate(work, mode["apps"], mode["overrides"], mode["json_bodies"])
    log(f"  {summary['projection_bytes'] / 1e6:.1f} MB of app documents in {time.monotonic() - started:.1f}s; "
        f"{summary['apps_with_rollout']} apps with a rollout")
    bodies = work / "bodies"

    # Redis mode (the default of run.sh): a real redis-server started here, the projection published
    # with the capgo-edge command line, and the edge syncing from Redis. --standalone serves the folder.
    redis_process, redis_conn = start_redis(args.cli, work / "projection") if args.redis else (None, None)

    # --consumer: one control-plane service reads the events the edge writes while the scenarios run.
    consumer = ControlPlane(Path(args.consumer), redis_conn, results, load_cpu) if args.consumer else None

    log(f"starting the edge{' on CPU ' + server_cpu + ' (load generators on CPU ' + load_cpu + ')' if server_cpu else ''}"
        f" ({'Redis mode' if redis_conn else 'standalone mode'})")
    edge = Edge(Path(args.server), work / "projection", results, server_cpu, redis_conn, args.edge_arg)
    exit_code = 0
    try:
        if consumer is not None:
            log(f"control-plane service consuming the event stream (pid {consumer.pid}"
                f"{', CPU ' + load_cpu + ' with the load generators' if load_cpu else ''}): /metrics in {consumer.wait_ready(60):.1f}s")
        ready = edge.wait_ready(timeout=120)
        log(f"  ready in {ready:.1f}s on http {edge.http_port} / grpc {edge.grpc_port} (pid {edge.pid}); "
            f"RSS {proc_status_kb(edge.pid, 'VmRSS') / 1024:.0f} MB")
        probes, http_statuses = probe_bodies(edge, bodies, summary, args.echo_bytes)

        if mode["warmup"]:
            log(f"warm-up: {mode['warmup']}s per scenario (not recorded)")
            for name, _, _ in scenarios:
                run_scenario(edge, consumer, bodies, raw, load_cpu, probes, name, mode["warmup"], None)

        runs = []
        for rep in range(1, reps + 1):
            log(f"repetition {rep}/{reps}")
            order = scenarios if rep % 2 else list(reversed(scenarios))  # alternate to spread drift
            for name, _, _ in order:
                runs.append(run_scenario(edge, consumer, bodies, raw, load_cpu, probes, name, duration, rep))

        # After the load: the edge still answers gRPC with status 0.
        after = [grpc_probe(edge, "CheckForUpdate", f) for f in body_files.grpc_files(bodies, "check")]
        after_ok = all(p["http_status"] == 200 and p["grpc_status"] == 0 for p in after)
        log(f"post-load gRPC probe: {'all grpc-status 0' if after_ok else 'FAILED ' + json.dumps(after)}")

        report = build_report(args, duration, reps, scenarios, summary, probes, http_statuses, after_ok, runs, ready,
                              server_cpu, load_cpu)
        (results / "results.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        chart, chart_error = draw_chart(results)
        if chart_error:
            log(f"WARNING: no chart, the other results are kept: {chart_error}")
        markdown = render_markdown(report, chart.name if chart else None, chart_error)
        (results / "results.md").write_text(markdown, encoding="utf-8")
        print(markdown, flush=True)
        total_errors = sum(r["errors"] for r in runs)
        if total_errors or not after_ok or any(r["requests"] == 0 for r in runs):
            log(f"FAILED: {total_errors} errors; post-load probe ok: {after_ok}")
            exit_code = 1
        else:
            log(f"done: {results / 'results.md'}")
    finally:
        edge.stop()
        if consumer is not None:
            consumer.stop()
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait()
    return exit_code
