#!/usr/bin/env python3
"""A fleet of edges on one Redis (loadtests/fleet/run.sh; docs/sync.md, Measurements).

1. Idle cost: a real redis-server filled with APPS apps through the capgo-edge CLI, EDGES edge processes
   (Release, Redis mode, default sync intervals) all ready; then CONFIG RESETSTAT, INTERVALS reconcile
   intervals of nothing changing, and INFO commandstats: commands per edge per interval, in total and
   per command.
2. Publish → served: PUBLISHES small changes of one app through the CLI (`channel set --bundle`), each
   timed from the CLI process's exit to the moment every edge serves the new generation; then the same
   with `--wait`, timed from the CLI's start and from the publish itself to the CLI's exit.

When an edge serves a generation is read without asking the edges: each edge acknowledges what it
serves (`HSET P edge:<name>:apps`) right after swapping it in, and Redis pushes a keyspace notification
of that write to this script (`--probe ack`). `--probe http` polls every edge's `/updates` and reads
`x-capgo-generation` instead: the literal "served", at the cost of a poller competing with the edges;
it polls from the CLI's exit on, so an edge that served earlier reads as served at the first poll.
Every process is started here and stopped here by its own pid."""
from __future__ import annotations

import argparse
import json
import queue
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lib"))
from chaos import Redis  # noqa: E402  (a redis-server started and stopped by its pid)
from probes import APP, AckListener, HttpProbe  # noqa: E402
from reliability import Edge, log  # noqa: E402
DEFAULT_RECONCILE_S = 5.0  # Sync:ReconcileInterval's default, which the edges run with unless --reconcile is given


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(-(-p * len(ordered) // 1)) - 1))]


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50": round(percentile(values, 0.50), 2), "p99": round(percentile(values, 0.99), 2),
            "max": round(max(values), 2), "mean": round(statistics.fmean(values), 2)} if values else {"n": 0}


def fill(cli: Path, redis: Redis, apps: int, work: Path, results: Path) -> float:
    """Writes APPS documents (loadtests/sync-scale/gen_apps.py, no overrides) and publishes them with the CLI."""
    folder = work / "apps"
    subprocess.run([sys.executable, str(HERE.parent / "sync-scale" / "gen_apps.py"), str(folder), str(apps), "0"], check=True)
    files = sorted(folder.glob("*.json"))
    start = time.monotonic()
    with open(results / "publish.log", "ab") as out:
        for first in range(0, len(files), 1000):
            subprocess.run([str(cli), "publish", *map(str, files[first:first + 1000]), "--redis", redis.conn],
                           stdout=out, stderr=subprocess.STDOUT, check=True, timeout=600)
    return time.monotonic() - start


def commandstats(redis: Redis) -> dict[str, int]:
    calls = {}
    for line in redis.cli("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, fields = line[len("cmdstat_"):].split(":", 1)
            calls[name] = int(fields.split(",")[0].split("=")[1])
    return calls


def idle_cost(redis: Redis, edges: int, intervals: int, reconcile_s: float) -> dict:
    redis.cli("CONFIG", "RESETSTAT")
    start = time.monotonic()
    time.sleep(intervals * reconcile_s)
    calls = commandstats(redis)
    elapsed = time.monotonic() - start
    # INFO and CONFIG are this script's own.
    calls = {k: v for k, v in calls.items() if not k.startswith(("info", "config"))}
    measured = elapsed / reconcile_s
    per = {k: round(v / edges / measured, 2) for k, v in sorted(calls.items())}
    return {"seconds": round(elapsed, 1), "intervals": round(measured, 2), "total_calls": sum(calls.values()),
            "per_edge_per_interval": round(sum(calls.values()) / edges / measured, 2), "by_command": per}


def served_times(listener: AckListener | None, probe: HttpProbe | None, names: list[str], generation: str,
                 since: float, deadline_s: float = 15.0) -> dict[str, float]:
    """Monotonic time at which each edge serves `generation` (acknowledgement or answer), none before `since`."""
    pending, served = set(names), {}
    deadline = time.monotonic() + deadline_s
    while pending and time.monotonic() < deadline:
        if listener is not None:
            try:
                at, name = listener.events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if name in pending and at >= since:
                served[name] = at
                pending.discard(name)
        else:
            assert probe is not None
            for name in list(pending):
                if probe.generation(name) == generation:
                    served[name] = time.monotonic()
                    pending.discard(name)
            time.sleep(0.0005)
    if pending:
        raise RuntimeError(f"generation {generation} not served by {sorted(pending)} within {deadline_s}s")
    return served


def change(cli: Path, redis: Redis, i: int, wait: bool) -> tuple[float, float, str]:
    """One `channel set` of the beta channel's bundle; returns (start, exit, generation)."""
    args = [str(cli), "channel", "set", "--app", APP, "--channel", "beta", "--bundle", f"1.{i % 5}.0", "--json",
            "--redis", redis.conn, *(["--wait", "--timeout", "15s"] if wait else [])]
    start = time.monotonic()
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60)
    end = time.monotonic()
    if proc.returncode != 0:
        raise RuntimeError(f"capgo-edge channel set exited {proc.returncode}: {proc.stderr[-1000:]}")
    return start, end, str(json.loads(proc.stdout)["generation"])


def latency(cli: Path, redis: Redis, edges: list[Edge], publishes: int, wait: bool, probe_kind: str) -> dict:
    names = [e.name for e in edges]
    listener = AckListener(redis.port) if probe_kind == "ack" else None
    probe = HttpProbe(edges) if probe_kind == "http" else None
    if listener is not None:
        listener.start()
    # Wall clock of a monotonic reading: generations are microseconds of Redis's clock, on this host.
    wall = time.time() - time.monotonic()
    from_exit, from_publish, first_from_publish, cli_exit_path, wait_total, wait_after_served = [], [], [], [], [], []
    try:
        for i in range(publishes):
            if listener is not None:
                listener.drain()
            start, end, generation = change(cli, redis, i + (1 if wait else 0), wait)
            served = served_times(listener, probe, names, generation, start)
            last = max(served.values())
            published = int(generation) / 1e6 - wall  # monotonic time of the publish script's TIME
            from_publish.append((last - published) * 1000)
            # The first edge is this run's baseline: one edge's apply on the machine as it is; the last,
            # what fanning out to every edge adds.
            first_from_publish.append((min(served.values()) - published) * 1000)
            cli_exit_path.append((end - published) * 1000)
            if wait:
                wait_total.append((end - start) * 1000)
                wait_after_served.append((end - last) * 1000)
            else:
                # Served before the CLI's exit counts as 0: the CLI returned with every edge serving.
                from_exit.append(max(0.0, last - end) * 1000)
    finally:
        if listener is not None:
            listener.close()
    result = {"publish_to_served_ms": summary(from_publish), "publish_to_first_served_ms": summary(first_from_publish),
              "publish_to_cli_exit_ms": summary(cli_exit_path)}
    if wait:
        result |= {"cli_start_to_exit_ms": summary(wait_total), "served_to_cli_exit_ms": summary(wait_after_served)}
    else:
        result |= {"cli_exit_to_served_ms": summary(from_exit)}
    return result


def table(report: dict) -> str:
    idle = report["idle"]
    rows = [
        f"| idle: commands per edge per reconcile interval ({report['apps']} apps, {report['edges']} edges, "
        f"{idle['intervals']} intervals) | **{idle['per_edge_per_interval']}** — "
        + ", ".join(f"{k} {v}" for k, v in idle["by_command"].items()) + " |",
    ]

    def line(label: str, s: dict) -> str:
        return f"| {label} | p50 {s['p50']} ms, p99 **{s['p99']}** ms, max {s['max']} ms (n {s['n']}) |"

    plain, waited = report["latency"], report["latency_wait"]
    rows += [f"| machine | load average {report['load']} at the start of the changes; probe {report['probe']} |"]
    rows += [
        line("publish: CLI exit → all edges serve", plain["cli_exit_to_served_ms"]),
        line("publish: publish script → all edges serve", plain["publish_to_served_ms"]),
        line("publish: publish script → first edge serves (baseline)", plain["publish_to_first_served_ms"]),
        line("publish: publish script → CLI exit", plain["publish_to_cli_exit_ms"]),
    ]
    if waited:
        rows += [
            line("--wait: publish script → all edges serve", waited["publish_to_served_ms"]),
            line("--wait: publish script → CLI exit", waited["publish_to_cli_exit_ms"]),
            line("--wait: last edge serves → CLI exit", waited["served_to_cli_exit_ms"]),
            line("--wait: CLI start → exit", waited["cli_start_to_exit_ms"]),
        ]
    return "| measure | figure |\n|---|---|\n" + "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", type=Path, required=True, help="the edge's Release apphost")
    parser.add_argument("--cli", type=Path, required=True, help="the capgo-edge Release apphost")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--smoke", action="store_true", help="200 apps, 3 edges, 2 intervals, 10 publishes")
    parser.add_argument("--apps", type=int)
    parser.add_argument("--edges", type=int)
    parser.add_argument("--intervals", type=int, help="idle reconcile intervals counted")
    parser.add_argument("--publishes", type=int, help="changes timed, without and then with --wait")
    parser.add_argument("--reconcile", type=float, help="Sync:ReconcileInterval in seconds (default: the edges' own, 5)")
    parser.add_argument("--probe", choices=["ack", "http"], default="ack")
    parser.add_argument("--skip-wait", action="store_true", help="time the changes without --wait only")
    args = parser.parse_args()
    apps = args.apps or (200 if args.smoke else 10_000)
    count = args.edges or (3 if args.smoke else 10)
    intervals = args.intervals or (2 if args.smoke else 6)
    publishes = args.publishes or (10 if args.smoke else 200)
    reconcile_s = args.reconcile or DEFAULT_RECONCILE_S

    redis = Redis(args.results)
    edges: list[Edge] = []
    try:
        redis.start()
        redis.cli("CONFIG", "SET", "notify-keyspace-events", "Kh")
        log(f"filling Redis with {apps} apps")
        fill_s = fill(args.cli, redis, apps, args.work, args.results)
        log(f"published {apps} apps in {fill_s:.1f}s; starting {count} edges")
        mode = [f"--ConnectionStrings:Redis={redis.conn}"] + ([f"--Sync:ReconcileInterval=00:00:{reconcile_s:06.3f}"] if args.reconcile else [])
        for i in range(count):
            name = f"fleet-{i:02d}"
            edge = Edge(args.server, name, args.results, [*mode, f"--Sync:SnapshotPath={args.work / (name + '.snapshot')}"])
            edge.start()
            edges.append(edge)
        ready_s = max(e.wait_ready(timeout=600) for e in edges)
        log(f"all {count} edges ready after {ready_s:.1f}s; one interval to settle, then {intervals} idle intervals")
        time.sleep(reconcile_s)
        idle = idle_cost(redis, count, intervals, reconcile_s)
        log(f"idle: {idle['per_edge_per_interval']} commands per edge per interval {idle['by_command']}")
        load = open("/proc/loadavg").read().split()[0]
        log(f"{publishes} changes of {APP}, probe {args.probe}, load average {load}")
        plain = latency(args.cli, redis, edges, publishes, wait=False, probe_kind=args.probe)
        waited = {}
        if not args.skip_wait:
            log(f"{publishes} changes with --wait")
            waited = latency(args.cli, redis, edges, publishes, wait=True, probe_kind=args.probe)
        report = {"apps": apps, "edges": count, "probe": args.probe, "reconcile_s": reconcile_s, "fill_s": round(fill_s, 1),
                  "ready_s": round(ready_s, 1), "load": load, "idle": idle, "latency": plain, "latency_wait": waited}
        (args.results / "results.json").write_text(json.dumps(report, indent=2))
        text = table(report)
        (args.results / "results.md").write_text(text + "\n")
        print(text)
        return 0
    finally:
        for edge in edges:
            edge.stop()
        redis.stop()


if __name__ == "__main__":
    sys.exit(main())
