"""Chaos under steady load (loadtests/chaos.sh): a real redis-server, two Redis-mode edges, a
projection published with the capgo-edge CLI, wrk on HTTP JSON /updates against both edges while
Redis is killed and restarted empty, paused, and one edge is restarted. Also: no accepted /stats
event is lost while Redis is reachable. Every process is started here and stopped by its own pid."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
import uuid
from pathlib import Path

from common import free_ports
from drivers import parse_wrk
from projection import generate
from reliability import Edge, http, log, start_wrk

STREAM = "capgo:edge:events"


class Redis:
    def __init__(self, results: Path):
        self.port = free_ports(1)[0]
        self.results = results
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def conn(self) -> str:
        return f"127.0.0.1:{self.port},abortConnect=false,connectTimeout=2000,syncTimeout=2000"

    def start(self) -> None:
        self.starts += 1
        out = open(self.results / f"redis-{self.starts}.log", "wb")
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--protected-mode", "no"], stdout=out, stderr=subprocess.STDOUT)
        for _ in range(100):
            if self.cli("PING") == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer PING")

    def cli(self, *args: str) -> str:
        try:
            return subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True, timeout=5).stdout.strip()
        except subprocess.TimeoutExpired:
            return ""

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def publish(cli: Path, redis: Redis, files: list[Path], results: Path) -> dict[str, str]:
    """Publishes every app document; returns app id → generation from the CLI's output."""
    start = time.monotonic()
    proc = subprocess.run([str(cli), "publish", *map(str, files), "--redis", redis.conn], capture_output=True, text=True, timeout=300)
    (results / "publish.log").open("a").write(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"capgo-edge publish failed ({proc.returncode}): {proc.stderr[-2000:]}")
    generations = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[0] == "published" and parts[-2] == "generation":
            generations[parts[1]] = parts[-1]
    log(f"published {len(generations)} apps in {time.monotonic() - start:.1f}s")
    return generations


def probe_body(bodies: Path, generations: dict[str, str]) -> tuple[bytes, str]:
    for line in bodies.read_text().splitlines():
        try:
            app = json.loads(line).get("app_id")
        except json.JSONDecodeError:
            continue
        if app in generations:
            return line.encode(), app
    raise RuntimeError("no probe body for a published app")


def resync(edges: list[Edge], body: bytes, want: str, timeout: float = 30) -> dict:
    """Waits until every edge is ready, not degraded, and answers with generation `want`."""
    start = time.monotonic()
    state = {}
    while time.monotonic() - start < timeout:
        state = {e.name: {"ready": e.ready().get("status"), "generation": e.generation(body)} for e in edges}
        if all(s["ready"] == "ready" and s["generation"] == want for s in state.values()):
            return {"ok": True, "seconds": round(time.monotonic() - start, 2), "edges": state}
        time.sleep(0.2)
    return {"ok": False, "seconds": round(time.monotonic() - start, 2), "edges": state}


def run_phase(name: str, edges: list[Edge], bodies: Path, seconds: int, results: Path, fault) -> dict:
    """wrk against every edge for `seconds`; `fault(t0)` runs in this thread meanwhile."""
    log(f"phase {name}: {seconds}s of load")
    for e in edges:
        if e.process is not None and e.process.poll() is not None:
            raise RuntimeError(f"{e.name} is not running at the start of {name}")
    procs = {e.name: start_wrk(e, bodies, seconds, results / f"wrk-{name}-{e.name}.txt", connections=8) for e in edges}
    t0 = time.monotonic()
    notes = list(fault(t0)) if fault else []
    for p in procs.values():
        p.wait()
    # An edge that exited on its own is a crash: note it and start it again so later phases run.
    for e in edges:
        if e.process is not None and e.process.poll() is not None:
            notes.append(f"{e.name} CRASHED (exit code {e.process.returncode}, log {e.name}-{e.starts}.log); restarted")
            log(notes[-1])
            e.stop()
            e.start()
            e.wait_ready()
    per_edge = {}
    for e in edges:
        w = parse_wrk((results / f"wrk-{name}-{e.name}.txt").read_text(errors="replace"))
        failed = w.get("non2xx", 0) + w.get("socket_errors", 0)
        # wrk counts completed replies as requests and failed socket operations apart: attempts = both.
        per_edge[e.name] = {"total": w.get("requests", 0) + w.get("socket_errors", 0), "non2xx": w.get("non2xx", 0), "socket_errors": w.get("socket_errors", 0),
                            "failed": failed, "rps": w.get("rps", 0)}
    return {"phase": name, "edges": per_edge, "notes": notes}


def until(t0: float, at: float) -> None:
    time.sleep(max(0.0, t0 + at - time.monotonic()))


def stats_loss(edges: list[Edge], redis: Redis, count: int, results: Path) -> dict:
    """Sends `count` /stats events (batches of 50, alternating edges), with no other load; compares the
    stream growth with the accepted events and the edges' written/dropped counters."""
    def counters() -> dict[str, float]:
        total: dict[str, float] = {}
        for e in edges:
            for key, value in e.metrics().items():
                if key.startswith("capgo_edge_events_"):
                    total[key] = total.get(key, 0.0) + value
        return total

    def queued() -> float:
        return sum(v for k, v in counters().items() if k.startswith("capgo_edge_events_queued"))

    deadline = time.monotonic() + 30
    while queued() > 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    before_len = int(redis.cli("XLEN", STREAM) or 0)
    before = counters()
    accepted = sent = 0
    batch = 50
    rng = random.Random(7)
    for i in range(0, count, batch):
        n = min(batch, count - i)
        events = [{"platform": "android", "device_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "app_id": "com.loadtest.app0000",
                   "version_build": "1.2.0", "version_code": "120", "version_os": "14", "version_name": "1.1.0", "plugin_version": "8.51.23",
                   "is_emulator": False, "is_prod": True, "action": "download_complete"} for _ in range(n)]
        status, _, reply = http("POST", edges[(i // batch) % len(edges)].url + "/stats", json.dumps(events).encode(), timeout=5)
        sent += n
        if status == 200:
            accepted += n
        elif i == 0:
            (results / "stats-first-error.txt").write_bytes(reply)
    deadline = time.monotonic() + 30
    while queued() > 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    after_len = int(redis.cli("XLEN", STREAM) or 0)
    after = counters()
    delta = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in set(after) | set(before) if not k.startswith("capgo_edge_events_queued")}
    dropped = sum(v for k, v in delta.items() if k.startswith("capgo_edge_events_dropped"))
    return {"sent": sent, "accepted": accepted, "stream_growth": after_len - before_len, "stream_len": after_len,
            "lost": accepted - (after_len - before_len), "dropped_counter_delta": dropped,
            "counters_delta": {k: v for k, v in sorted(delta.items()) if v}}


def command_chaos(args) -> int:
    results, work = Path(args.results), Path(args.work)
    short = args.short
    phase_s = 25 if short else 60
    apps = 50 if short else 200
    summary = generate(work, apps=apps, overrides=5_000 if short else 50_000, json_bodies=5000)
    files = sorted((work / "projection").glob("*.json"))
    bodies = work / "bodies" / "http-check.txt"
    log(f"projection: {summary['apps']} apps, {summary['device_overrides']} overrides")

    redis = Redis(results)
    redis.start()
    edges: list[Edge] = []
    report: dict = {"mode": "short" if short else "full", "phase_seconds": phase_s, "apps": apps, "phases": [], "resync": {}}
    try:
        generations = publish(Path(args.cli), redis, files, results)
        body, probe_app = probe_body(bodies, generations)
        mode = [f"--ConnectionStrings:Redis={redis.conn}", "--Sync:ReconcileInterval=00:00:02"]
        edges = [Edge(Path(args.server), f"edge-{c}", results, mode) for c in "ab"]
        for e in edges:
            e.start()
        for e in edges:
            log(f"{e.name} pid {e.pid} ready in {e.wait_ready():.1f}s on {e.url}")
        report["resync"]["start"] = resync(edges, body, generations[probe_app])

        report["stats_before_faults"] = stats_loss(edges, redis, args.stats_events, results)
        log(f"stats events: {report['stats_before_faults']}")

        report["phases"].append(run_phase("baseline", edges, bodies, phase_s // 2, results, None))

        latest = {"generations": generations}

        def kill_redis(t0: float) -> list[str]:
            until(t0, 5)
            redis.kill()
            notes = ["t=5s SIGKILL redis"]
            until(t0, 10)
            redis.start()
            notes.append("t=10s redis restarted (empty)")
            latest["generations"] = publish(Path(args.cli), redis, files, results)
            notes.append(f"t={time.monotonic() - t0:.1f}s republished")
            return notes

        report["phases"].append(run_phase("redis-kill-restart", edges, bodies, phase_s, results, kill_redis))
        report["resync"]["redis-kill-restart"] = resync(edges, body, latest["generations"][probe_app])

        def pause_redis(t0: float) -> list[str]:
            until(t0, 5)
            redis.signal(signal.SIGSTOP)
            until(t0, 10)
            redis.signal(signal.SIGCONT)
            return ["t=5s SIGSTOP redis", "t=10s SIGCONT redis"]

        report["phases"].append(run_phase("redis-pause-5s", edges, bodies, phase_s, results, pause_redis))
        report["resync"]["redis-pause-5s"] = resync(edges, body, latest["generations"][probe_app])

        def restart_edge(t0: float) -> list[str]:
            until(t0, 5)
            code, took = edges[1].stop()
            notes = [f"t=5s SIGTERM {edges[1].name}: exit {code} after {took:.2f}s"]
            edges[1].start()
            ready = edges[1].wait_ready()
            notes.append(f"{edges[1].name} restarted, ready after {ready:.2f}s")
            return notes

        report["phases"].append(run_phase("edge-restart", edges, bodies, phase_s, results, restart_edge))
        report["resync"]["edge-restart"] = resync(edges, body, latest["generations"][probe_app])

        report["stats_after_faults"] = stats_loss(edges, redis, args.stats_events, results)
        log(f"stats events after faults: {report['stats_after_faults']}")
    finally:
        for e in edges:
            e.stop()
        redis.stop()

    (results / "chaos.json").write_text(json.dumps(report, indent=2))
    md = render(report)
    (results / "chaos.md").write_text(md)
    print(md)
    crashed = any("CRASHED" in note for p in report["phases"] for note in p["notes"])
    ok = not crashed and all(r["ok"] for r in report["resync"].values()) and all(
        report[k]["lost"] == 0 and report[k]["dropped_counter_delta"] == 0 for k in ("stats_before_faults", "stats_after_faults"))
    return 0 if ok else 1


def render(r: dict) -> str:
    lines = [f"# Chaos ({r['mode']}): 2 Redis-mode edges, {r['apps']} apps, wrk -c8 per edge on HTTP JSON /updates", "",
             "| phase | edge | failed / attempted checks | non-2xx | socket errors | rps | resync after (ready, generation) | events |",
             "|---|---|---|---|---|---|---|---|"]
    for p in r["phases"]:
        rs = r["resync"].get(p["phase"])
        for name, e in p["edges"].items():
            resync_text = "—" if rs is None else (f"ok in {rs['seconds']} s" if rs["ok"] else f"NOT resynced: {rs['edges'].get(name)}")
            lines.append(f"| {p['phase']} | {name} | {e['failed']:,} / {e['total']:,} ({100 * e['failed'] / max(e['total'], 1):.2f} %) | "
                         f"{e['non2xx']:,} | {e['socket_errors']:,} | {e['rps']:,.0f} | {resync_text} | {'; '.join(p['notes'])} |")
    lines += ["", "| /stats events while Redis is reachable | sent | accepted | stream growth (XLEN) | lost | dropped (metrics delta) |",
              "|---|---|---|---|---|---|"]
    for key in ("stats_before_faults", "stats_after_faults"):
        if key in r:
            s = r[key]
            lines.append(f"| {key.replace('_', ' ')} | {s['sent']} | {s['accepted']} | {s['stream_growth']} | {s['lost']} | {s['dropped_counter_delta']:.0f} |")
    return "\n".join(lines) + "\n"
