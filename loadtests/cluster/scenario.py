"""The fleet on a local Redis Cluster (see run.sh): the cluster, the scenario with real edge processes, and the
event-intake runs of Capgo.Edge.EventLoad with 1 and 3 shards. Python 3 standard library only."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
from common import Edge, log  # noqa: E402
from cluster import Cluster, cli  # noqa: E402

PREFIX = "{capgo}:"
SHARDS = 3
APP = "com.demo.app"
DEVICE = "00009a6b-eefe-490a-9c60-8e965132ae51"


def check(edge: Edge, device: str = DEVICE, app: str = APP) -> tuple[int, str | None]:
    """One plugin update check: the status and the version served."""
    body = json.dumps({"platform": "android", "device_id": device, "app_id": app, "custom_id": "", "version_build": "1.2.0",
                       "version_code": "42", "version_os": "14", "version_name": "1.3.1", "plugin_version": "8.51.23",
                       "is_emulator": False, "is_prod": True, "defaultChannel": "beta"}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{edge.http_port}/updates", body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read()).get("version")
    except urllib.error.HTTPError as error:
        return error.code, None
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, None


def until(condition, what: str, timeout: float = 30) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"timed out after {timeout} s: {what}")
        time.sleep(0.1)
    return time.monotonic() - start


def scenario(root: Path, results: Path, cluster: Cluster) -> dict:
    capgo = ["dotnet", str(root / "src/Capgo.Edge.Cli/bin/Release/net10.0/capgo-edge.dll")]
    common = ["--redis", cluster.connection, "--prefix", PREFIX, "--event-shards", str(SHARDS)]
    sample = json.loads((root / "samples/projection/com.demo.app.json").read_text())

    def publish(beta: str) -> tuple[int, str]:
        document = json.loads(json.dumps(sample))
        for channel in document["channels"]:
            if channel["name"] == "beta":
                channel["bundle"] = beta
        path = results / f"app-{beta}.json"
        path.write_text(json.dumps(document))
        done = subprocess.run([*capgo, "publish", str(path), "--wait", "--timeout", "20s", *common], capture_output=True, text=True)
        return done.returncode, done.stdout + done.stderr

    edges = []
    binary = root / "src/Capgo.Edge.Server/bin/Release/net10.0/Capgo.Edge.Server"
    for name in ("cluster-a", "cluster-b"):
        folder = results / name
        folder.mkdir()
        edges.append(Edge(binary, Path("."), folder, None, redis=cluster.connection,
                          extra_args=[f"--Sync:Prefix={PREFIX}", f"--Events:Shards={SHARDS}", f"--Sync:EdgeName={name}",
                                      "--Sync:ReconcileInterval=00:00:01", "--Logging:LogLevel:Capgo=Information"]))
    try:
        for edge in edges:
            edge.wait_ready(60)
        steps = {}
        code, output = publish("1.6.0-beta.1")
        steps["publish --wait"] = code == 0 and all(check(e)[1] == "1.6.0-beta.1" for e in edges)
        log(f"publish --wait: exit {code} {output.strip()}")
        done = subprocess.run([*capgo, "override", "set", "--app", APP, "--device", DEVICE, "--channel", "production", "--wait", "--timeout", "20s", *common],
                              capture_output=True, text=True)
        steps["override set --wait"] = done.returncode == 0 and all(check(e)[1] == "1.4.0" for e in edges)
        log(f"override set --wait: exit {done.returncode} {done.stdout.strip()}")
        subprocess.run([*capgo, "override", "remove", "--app", APP, "--device", DEVICE, "--wait", *common], capture_output=True, check=True)

        # An app written without its announcement (no PUBLISH): edges find it by reconciling.
        missed = "com.missed.app"
        port = cluster.master_of(cluster.slot(PREFIX + "generation"))
        doc = cli("-c", "-p", str(port), "hget", f"{PREFIX}app:{APP}", "doc")[1].strip().replace(APP, missed)
        gen = cli("-c", "-p", str(port), "incr", f"{PREFIX}generation")[1].strip()
        cli("-c", "-p", str(port), "hset", f"{PREFIX}app:{missed}", "doc", doc, "gen", gen)
        cli("-c", "-p", str(port), "sadd", f"{PREFIX}app:{missed}:channels", "production", "beta", "development")
        cli("-c", "-p", str(port), "sadd", f"{PREFIX}apps", missed)
        reconciled = until(lambda: all(check(e, app=missed)[0] == 200 for e in edges), "the edges to reconcile the unannounced app")
        steps["reconcile after a missed announcement"] = True
        log(f"reconciled the unannounced app in {reconciled:.1f} s")

        # The projection's master killed while checks run on both edges.
        slot = cluster.slot(PREFIX + "generation")
        master = cluster.master_of(slot)
        counts = {"total": 0, "failed": 0}
        stop = threading.Event()

        def load() -> None:
            i = 0
            while not stop.is_set():
                status, version = check(edges[i % 2])
                counts["total"] += 1
                if status != 200 or version not in ("1.6.0-beta.1", "1.5.0"):
                    counts["failed"] += 1
                i += 1

        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        log(f"killing {master}, the master of slot {slot} (the projection's), with SIGKILL")
        killed_at = time.monotonic()
        cluster.kill(master)
        took_over = until(lambda: cluster.ok() and (m := cluster.master_of(slot)) is not None and m != master, "a replica to take over", 60)
        log(f"a replica took over in {took_over:.1f} s; publishing again")
        attempts = 0
        while True:
            attempts += 1
            code, output = publish("1.5.0")
            if code == 0 or time.monotonic() - killed_at > 90:
                break
            time.sleep(1)
        served = time.monotonic() - killed_at
        steps["publish --wait after the failover"] = code == 0 and all(check(e)[1] == "1.5.0" for e in edges)
        log(f"publish after the failover: exit {code} after {attempts} attempt(s), {served:.1f} s after the kill: {output.strip()}")
        time.sleep(2)
        stop.set()
        for thread in threads:
            thread.join()
        steps["0 failed checks during the failover"] = counts["failed"] == 0
        log(f"checks during the failover: {counts['total']} made, {counts['failed']} failed")
        return {"steps": steps, "failover": {"checks": counts["total"], "failed": counts["failed"], "took_over_s": round(took_over, 1),
                                             "publish_served_s": round(served, 1), "publish_attempts": attempts, "killed": master, "slot": slot}}
    finally:
        for edge in edges:
            edge.stop()


def event_intake(root: Path, results: Path, cluster: Cluster, events: int) -> list[dict]:
    tool = root / "loadtests/Capgo.Edge.EventLoad/bin/Release/net10.0/Capgo.Edge.EventLoad.dll"
    service = root / "src/Capgo.Edge.ControlPlane.Service/bin/Release/net10.0/Capgo.Edge.ControlPlane.Service.dll"
    runs = []
    for shards in (1, SHARDS):
        out = results / f"events-{shards}-shards.json"
        log(f"event intake with {shards} shard(s): {events} events")
        with open(results / f"events-{shards}-shards.log", "w") as output:
            done = subprocess.run(["dotnet", str(tool), "--service", str(service), "--redis", cluster.connection,
                                   "--prefix", f"{{bench{shards}}}:", "--shards", str(shards), "--events", str(events), "--json", str(out)],
                                  stdout=output, stderr=subprocess.STDOUT)
        result = json.loads(out.read_text()) if out.exists() else {}
        result["exit"] = done.returncode
        result["shards"] = shards
        runs.append(result)
        log(f"  exit {done.returncode}: fill {result.get('events', 0) / max(result.get('fill_seconds', 1), 1e-9):,.0f} entries/s, "
            f"consumer {result.get('events_per_second', 0):,.0f} events/s")
    return runs


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--commit", default="unknown")
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--skip-scenario", action="store_true")
    parser.add_argument("--skip-events", action="store_true")
    args = parser.parse_args()

    cluster = Cluster(args.results)
    summary: dict = {"commit": args.commit, "load_average_start": os.getloadavg()}
    try:
        cluster.start()
        log(f"cluster up: {cluster.connection} (masters {sorted(cluster.masters())})")
        if not args.skip_scenario:
            summary["scenario"] = scenario(args.root, args.results, cluster)
        if not args.skip_events:
            summary["events"] = event_intake(args.root, args.results, cluster, args.events)
    finally:
        cluster.stop()
    summary["load_average_end"] = os.getloadavg()
    (args.results / "summary.json").write_text(json.dumps(summary, indent=2))
    lines = [f"# Redis Cluster run ({args.commit})", "", f"load average at start {summary['load_average_start']}, at end {summary['load_average_end']}", ""]
    ok = True
    for step, passed in summary.get("scenario", {}).get("steps", {}).items():
        lines.append(f"- {step}: {'ok' if passed else 'FAILED'}")
        ok &= passed
    if "scenario" in summary:
        lines.append(f"- failover: {summary['scenario']['failover']}")
    for run in summary.get("events", []):
        verified = run.get("exit") == 0
        ok &= verified
        fill = run.get("events", 0) / max(run.get("fill_seconds", 1), 1e-9)
        lines.append(f"- events, {run['shards']} shard(s): fill {fill:,.0f} entries/s, consumer {run.get('events_per_second', 0):,.0f} events/s, "
                     f"Redis {run.get('redis_cpu_micros_per_event', 0):.1f} µs CPU/event, totals {'checked' if verified else 'MISMATCH or error'}")
    (args.results / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
