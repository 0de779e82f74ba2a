#!/usr/bin/env python3
"""Capgo Edge load harness (stdlib only).

Subcommands:
  generate  write a realistic projection (app documents) and the request bodies
  run       start the edge on free ports, drive it with h2load (gRPC) and wrk (HTTP JSON), with
            the Echo RPC as the same-run baseline on both transports, and write the report
  profile   perf cpu-clock profiles of the edge under h2load, Echo then CheckForUpdate, per function

`loadtests/run.sh` is the supported entry point; it builds the server and calls `run`
(`loadtests/profile.sh` calls `profile`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

SERVICE = "/capgo.edge.v1.UpdateService"
CHANNELS = ["production", "beta", "development", "staging", "electron"]
PLUGIN_VERSIONS = ["8.51.23", "8.40.7", "7.1.0", "6.30.0", "5.10.2"]

# --------------------------------------------------------------------------------------------
# Modes


MODES = {
    # apps, total overrides, json bodies, seconds per scenario, repetitions, warm-up seconds
    "smoke": dict(apps=10, overrides=500, json_bodies=200, duration=3, reps=1, warmup=1),
    # Three short interleaved repetitions beat one long one on a shared machine: ratios are taken
    # per repetition (check next to its echo) and the median is reported.
    "short": dict(apps=1000, overrides=100_000, json_bodies=5000, duration=4, reps=3, warmup=2),
    "full": dict(apps=1000, overrides=100_000, json_bodies=20_000, duration=30, reps=2, warmup=5),
}

# In-flight requests: the same for both transports and for check and echo.
GRPC_PROCESSES = 4  # one h2load per distinct gRPC body (h2load sends one data file per run)
GRPC_CONNECTIONS = 2  # per h2load process
GRPC_STREAMS = 8  # concurrent streams per connection
WRK_CONNECTIONS = GRPC_PROCESSES * GRPC_CONNECTIONS * GRPC_STREAMS
WRK_THREADS = 1


def log(message: str) -> None:
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------------------------
# Protobuf (just what the update contract needs)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _string_field(number: int, value: str) -> bytes:
    data = value.encode("utf-8")
    return _varint((number << 3) | 2) + _varint(len(data)) + data


def _bool_field(number: int, value: bool) -> bytes:
    return _varint(number << 3) + _varint(1 if value else 0)


# capgo.edge.v1.UpdateRequest field numbers
REQUEST_FIELDS = {
    "app_id": 1, "device_id": 2, "version_name": 3, "version_build": 4, "platform": 5,
    "plugin_version": 6, "is_emulator": 7, "is_prod": 8, "defaultChannel": 9, "install_source": 10,
    "key_id": 11, "custom_id": 12, "version_code": 13, "version_os": 14,
}


def encode_update_request(body: dict) -> bytes:
    out = b""
    for name, number in REQUEST_FIELDS.items():
        if name not in body or body[name] is None:
            continue
        value = body[name]
        out += _bool_field(number, value) if isinstance(value, bool) else _string_field(number, value)
    return out


def grpc_frame(message: bytes) -> bytes:
    return b"\x00" + struct.pack(">I", len(message)) + message


def echo_frame(framed_bytes: int) -> bytes:
    """A framed EchoRequest of exactly framed_bytes bytes (5-byte prefix, tag, length, payload of 'x')."""
    message_bytes = max(framed_bytes - 5, 3)
    for length_bytes in (1, 2, 3):
        payload = message_bytes - 1 - length_bytes
        if payload >= 1 and len(_varint(payload)) == length_bytes:
            return grpc_frame(_string_field(1, "x" * payload))
    return grpc_frame(_string_field(1, "x" * max(message_bytes - 3, 1)))


def echo_json(body_bytes: int) -> str:
    """A JSON echo body of body_bytes bytes: the reply (the same object) has that size too."""
    return json.dumps({"payload": "x" * max(body_bytes - len('{"payload":""}'), 1)}, separators=(",", ":"))


def decode_fields(message: bytes) -> dict[int, object]:
    """Top-level fields of a protobuf message (strings decoded, varints as ints)."""
    fields: dict[int, object] = {}
    i = 0
    while i < len(message):
        key, i = _read_varint(message, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _read_varint(message, i)
            fields[number] = value
        elif wire == 2:
            length, i = _read_varint(message, i)
            raw = message[i:i + length]
            i += length
            try:
                fields.setdefault(number, raw.decode("utf-8"))
            except UnicodeDecodeError:
                fields.setdefault(number, raw)
        else:
            raise ValueError(f"unexpected wire type {wire}")
    return fields


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i
        shift += 7


# --------------------------------------------------------------------------------------------
# Projection and bodies


def _device(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate(out: Path, apps: int, overrides: int, json_bodies: int, seed: int = 42) -> dict:
    """Writes out/projection/*.json, out/bodies/* and returns a summary."""
    rng = random.Random(seed)
    projection = out / "projection"
    bodies_dir = out / "bodies"
    projection.mkdir(parents=True, exist_ok=True)
    bodies_dir.mkdir(parents=True, exist_ok=True)

    # Overrides follow a long tail: a few big apps hold most pinned devices.
    weights = [1.0 / (i + 1) ** 0.8 for i in range(apps)]
    scale = overrides / sum(weights)
    counts = [int(w * scale) for w in weights]
    counts[0] += overrides - sum(counts)

    catalog = []
    for i in range(apps):
        app_id = f"com.loadtest.app{i:04d}"
        major = 1 + i % 3
        names = [f"{major}.{minor}.0" for minor in range(5)] + [f"{major + 1}.0.0-beta.{1 + i % 4}", f"{major}.5.0-dev.{i % 7}"]
        with_manifest = i % 4 == 0
        bundles = []
        for n, name in enumerate(names):
            bundle = {
                "name": name,
                "url": f"https://cdn.example.com/{app_id}/{name}.zip",
                "checksum": f"{rng.getrandbits(32):08x}",
                "session_key": "" if i % 5 else f"{rng.getrandbits(64):016x}:{rng.getrandbits(64):016x}",
                "key_id": None if i % 5 else "MIIBCgKCAQEA",
                "link": f"https://example.com/{app_id}/notes/{name}" if i % 2 == 0 else None,
                "comment": f"Release {name}" if i % 2 == 0 else None,
                "deleted": n == 0 and i % 10 == 0,
            }
            if with_manifest and n >= 3:
                bundle["manifest"] = [
                    {
                        "file_name": f"assets/chunk-{f}.js",
                        "file_hash": f"{rng.getrandbits(256):064x}",
                        "download_url": f"https://cdn.example.com/{app_id}/files/{name}/chunk-{f}.js",
                    }
                    for f in range(3)
                ]
            bundles.append(bundle)

        production_bundle = names[3]
        rollout = None
        if i % 3 == 0:
            rollout = {
                "id": f"{app_id}-rollout-{names[4]}",
                "bundle": names[4],
                "percentage_bps": [500, 2500, 5000, 9000][i % 4],
                "enabled": True,
                "paused": i % 12 == 9,
            }
        channels = [
            {
                "name": "production", "bundle": production_bundle, "public": True, "allow_device_self_set": False,
                "ios": True, "android": True, "electron": False, "disable_auto_update": ["major", "minor", "none"][i % 3],
                "disable_auto_update_under_native": True, "rollout": rollout,
            },
            {"name": "beta", "bundle": names[5], "public": False, "allow_device_self_set": True, "disable_auto_update": "none"},
            {"name": "development", "bundle": names[6], "public": False, "allow_device_self_set": False,
             "allow_prod": False, "disable_auto_update": "none"},
            {"name": "staging", "bundle": names[4], "public": False, "allow_device_self_set": False,
             "allow_emulator": i % 2 == 0, "disable_auto_update": "patch"},
            {"name": "electron", "bundle": names[2], "public": True, "ios": False, "android": False, "electron": True,
             "disable_auto_update": "major"},
        ]
        pinned = {}
        for _ in range(counts[i]):
            pinned[_device(rng)] = CHANNELS[1 + rng.randrange(3)]
        document = {
            "app_id": app_id,
            "status": "cancelled" if i % 100 == 99 else "active",
            "expose_metadata": i % 2 == 0,
            "bundles": bundles,
            "channels": channels,
            "device_overrides": pinned,
        }
        (projection / f"{app_id}.json").write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
        catalog.append({"app_id": app_id, "names": names, "production": production_bundle,
                        "active": document["status"] == "active", "overrides": list(pinned.items())[:200],
                        "rollout": rollout is not None, "policy": channels[0]["disable_auto_update"], "weight": weights[i]})

    active = [a for a in catalog if a["active"]]

    # HTTP JSON bodies: varied apps (weighted by size), devices, versions and platforms.
    lines = []
    for _ in range(json_bodies):
        app = rng.choices(active, weights=[a["weight"] for a in active])[0]
        lines.append(json.dumps(_random_body(rng, app), separators=(",", ":")))
    (bodies_dir / "http-check.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

    # gRPC bodies: one file per h2load process, each a different path of the decision.
    no_rollout = [a for a in active if not a["rollout"]]
    with_rollout = [a for a in active if a["rollout"]]
    with_overrides = [a for a in active if a["overrides"]]
    open_policy = [a for a in no_rollout if a["policy"] == "none"] or no_rollout
    app_a, app_b, app_c, app_d = open_policy[0], no_rollout[0], with_rollout[0], with_overrides[0]
    grpc_bodies = [
        ("offer", _plugin_body(app_a["app_id"], _device(rng), app_a["names"][1], f"{app_a['names'][0]}", "android")),
        ("up_to_date", _plugin_body(app_b["app_id"], _device(rng).upper(), app_b["production"], app_b["production"], "ios")),
        ("rollout_channel", _plugin_body(app_c["app_id"], _device(rng), app_c["names"][2], app_c["names"][0], "android")),
        ("override", _plugin_body(app_d["app_id"], app_d["overrides"][0][0], app_d["names"][1], app_d["names"][0], "android",
                                  is_prod=False)),
    ]
    grpc = []
    for n, (label, body) in enumerate(grpc_bodies[:GRPC_PROCESSES]):
        path = bodies_dir / f"grpc-check-{n}.bin"
        path.write_bytes(grpc_frame(encode_update_request(body)))
        (bodies_dir / f"grpc-check-{n}.json").write_text(json.dumps(body), encoding="utf-8")
        grpc.append({"label": label, "file": path.name, "body": body})

    # Echo bodies as large as the average check body, so both move similar bytes.
    average = sum(len(l) for l in lines) // max(len(lines), 1)
    payload = "x" * max(average - len('{"payload":""}'), 1)
    (bodies_dir / "http-echo.txt").write_text(json.dumps({"payload": payload}, separators=(",", ":")) + "\n", encoding="utf-8")
    grpc_message = len(encode_update_request(grpc_bodies[0][1]))
    echo_message = _string_field(1, "x" * max(grpc_message - 3, 1))
    for n in range(GRPC_PROCESSES):
        (bodies_dir / f"grpc-echo-{n}.bin").write_bytes(grpc_frame(echo_message))

    summary = {
        "apps": apps, "active_apps": len(active), "channels_per_app": len(CHANNELS),
        "device_overrides": sum(counts), "apps_with_rollout": sum(1 for a in catalog if a["rollout"]),
        "json_bodies": len(lines), "grpc_bodies": grpc, "seed": seed,
        "projection_bytes": sum(p.stat().st_size for p in projection.glob("*.json")),
    }
    (out / "generation.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def _plugin_body(app_id: str, device: str, version_name: str, version_build: str, platform: str,
                 plugin: str = "8.51.23", is_prod: bool = True, default_channel: str | None = None) -> dict:
    body = {
        "platform": platform, "device_id": device, "app_id": app_id, "custom_id": "",
        "version_build": version_build, "version_code": "42", "version_os": "14" if platform == "android" else "17.5",
        "version_name": version_name, "plugin_version": plugin, "is_emulator": False, "is_prod": is_prod,
        "install_source": "com.android.vending" if platform == "android" else "app_store",
    }
    if default_channel:
        body["defaultChannel"] = default_channel
    return body


def _random_body(rng: random.Random, app: dict) -> dict:
    platform = rng.choices(["android", "ios", "electron"], weights=[55, 40, 5])[0]
    if app["overrides"] and rng.random() < 0.2:
        device = rng.choice(app["overrides"])[0]
    else:
        device = _device(rng)
    if platform == "ios":
        device = device.upper()
    names = app["names"]
    version_name = rng.choice(names[:5] + ["builtin"])
    version_build = rng.choice(["1.0.0", "1.2.0", "2.0.0", "0.9.0", "3.1.0", "1.0"])
    channel = rng.choices([None, "beta", "staging", "production"], weights=[80, 12, 4, 4])[0]
    return _plugin_body(app["app_id"], device, version_name, version_build, platform,
                        plugin=rng.choice(PLUGIN_VERSIONS), is_prod=rng.random() < 0.9, default_channel=channel)


# --------------------------------------------------------------------------------------------
# Process statistics


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    # fields[0] is field 3 (state); utime is field 14, stime field 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def proc_status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def reset_peak_rss(pid: int) -> bool:
    """Resets VmHWM so the next reading is the peak of one scenario (Linux clear_refs 5)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------------------------
# Load generators


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
    out["non2xx"] = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", text)) else 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
        out["socket_errors"] = sum(int(g) for g in m.groups())
    else:
        out["socket_errors"] = 0
    return out


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50_ms": None, "p90_ms": None, "p99_ms": None}
    values = sorted(values)

    def pick(p: float) -> float:
        return values[min(len(values) - 1, max(0, int(round(p / 100 * len(values))) - 1))]

    return {"p50_ms": pick(50), "p90_ms": pick(90), "p99_ms": pick(99)}


def pinned(cpu: str | None, command: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *command] if cpu is not None else command


class Edge:
    """The server process: started here, stopped here, by its own pid."""

    def __init__(self, binary: Path, projection: Path, results: Path, cpu: str | None, redis: str | None = None,
                 extra_args: list[str] | None = None, extra_env: dict[str, str] | None = None):
        self.http_port, self.grpc_port = free_ports(2)
        self.log_path = results / "server.log"
        source = f"--ConnectionStrings:Redis={redis}" if redis else f"--Projection:Directory={projection}"
        args = [
            str(binary),
            f"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{self.http_port}",
            f"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{self.grpc_port}",
            source,
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
            *(extra_args or []),
        ]
        self._log = open(self.log_path, "wb")
        env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1", ASPNETCORE_ENVIRONMENT="Production", **(extra_env or {}))
        self.process = subprocess.Popen(pinned(cpu, args), stdout=self._log, stderr=subprocess.STDOUT, env=env)
        self.pid = self.process.pid  # taskset execs the server: same pid

    def wait_ready(self, timeout: float) -> float:
        start = time.monotonic()
        url = f"http://127.0.0.1:{self.http_port}/healthz/ready"
        while time.monotonic() - start < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the edge exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return time.monotonic() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the edge was not ready after {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def free_ports(count: int) -> list[int]:
    sockets, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    return ports


def grpc_probe(edge: Edge, method: str, body_file: Path) -> dict:
    """One call with curl over h2c: HTTP status, grpc-status (headers or trailers) and the reply."""
    out_file = body_file.with_suffix(".reply")
    result = subprocess.run(
        ["curl", "-sS", "-v", "--http2-prior-knowledge", "-X", "POST",
         "-H", "content-type: application/grpc", "-H", "te: trailers",
         "--data-binary", f"@{body_file}", "-o", str(out_file), "-w", "%{http_code}",
         f"http://127.0.0.1:{edge.grpc_port}{SERVICE}/{method}"],
        capture_output=True, text=True, timeout=10, check=False)
    status = re.findall(r"^< grpc-status: (\d+)", result.stderr, re.M)
    message = re.findall(r"^< grpc-message: (.*)$", result.stderr, re.M)
    reply = out_file.read_bytes() if out_file.exists() else b""
    fields = decode_fields(reply[5:]) if len(reply) >= 5 else {}
    return {
        "http_status": int(result.stdout or 0),
        "grpc_status": int(status[-1]) if status else None,
        "grpc_message": message[-1].strip() if message else None,
        "reply_bytes": len(reply),
        "reply": {"version": fields.get(1), "error": fields.get(8), "kind": fields.get(10)},
    }


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


# --------------------------------------------------------------------------------------------
# The run


SCENARIOS = [
    # name, transport, kind
    ("grpc-echo", "grpc", "echo"),
    ("grpc-check", "grpc", "check"),
    ("http-echo", "http", "echo"),
    ("http-check", "http", "check"),
]
# With --echo-bytes both: the request-sized echo as a second baseline, next to the others.
REQUEST_ECHO_SCENARIOS = [("grpc-echo-req", "grpc", "echo"), ("http-echo-req", "http", "echo")]


HTTP_PROBES = 200  # HTTP check bodies probed before the load: statuses, and the mean reply size


def size_echo_bodies(echo_bytes: str, bodies: Path, grpc_check: list[Path], http_lines: list[str],
                     http_reply_sizes: list[int]) -> dict:
    """Sizes the HTTP echo body for --echo-bytes (see its help) and returns the sizes used.

    exchange: the echo moves as many bytes per call as the check it is paired with, request and reply
    together (an echo's reply is as large as its request); request: the echo's request is as large as
    the check's (the baseline before 2026-12-01); both: exchange-sized echo scenarios, plus request-sized
    ones (grpc-echo-req, http-echo-req) as a second baseline in the same run."""
    http_request = sum(len(l.encode()) for l in http_lines) / max(len(http_lines), 1)
    http_reply = sum(http_reply_sizes) / max(len(http_reply_sizes), 1)
    http_echo = round(http_request) if echo_bytes == "request" else round((http_request + http_reply) / 2)
    (bodies / "http-echo.txt").write_text(echo_json(http_echo) + "\n", encoding="utf-8")
    (bodies / "http-echo-req.txt").write_text(echo_json(round(http_request)) + "\n", encoding="utf-8")
    return {
        "mode": echo_bytes,
        "http_check_request_bytes_mean": round(http_request, 1), "http_check_reply_bytes_mean": round(http_reply, 1),
        "http_echo_body_bytes": http_echo,
        "grpc_check_request_bytes": [f.stat().st_size for f in grpc_check],
    }


def write_grpc_echo_bodies(echo_bytes: str, grpc_check: list[Path], grpc_echo: list[Path], sizes: dict) -> None:
    """Echo body n goes with check body n (the same h2load slot); see size_echo_bodies."""
    framed = []
    for n, (check, echo) in enumerate(zip(grpc_check, grpc_echo)):
        request = check.stat().st_size
        target = request if echo_bytes == "request" else round((request + sizes["grpc_check_reply_bytes"][n]) / 2)
        echo.write_bytes(echo_frame(target))
        echo.with_name(echo.name.replace("grpc-echo-", "grpc-echo-req-")).write_bytes(echo_frame(request))
        framed.append(echo.stat().st_size)
    sizes["grpc_echo_bytes"] = framed


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

    two_cores = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None and not args.no_pin
    server_cpu, load_cpu = ("1", "0") if two_cores else (None, None)

    log(f"mode {args.mode}: {duration}s per scenario × {reps} repetition(s); results in {results}")
    log(f"generating projection: {mode['apps']} apps × {len(CHANNELS)} channels, {mode['overrides']} device overrides")
    started = time.monotonic()
    summary = generate(work, mode["apps"], mode["overrides"], mode["json_bodies"])
    log(f"  {summary['projection_bytes'] / 1e6:.1f} MB of app documents in {time.monotonic() - started:.1f}s; "
        f"{summary['apps_with_rollout']} apps with a rollout")
    bodies = work / "bodies"

    # Redis mode (the default of run.sh): a real redis-server started here, the projection published
    # with the capgo-edge command line, and the edge syncing from Redis. --standalone serves the folder.
    redis_process, redis_conn = None, None
    if args.redis:
        redis_port = free_ports(1)[0]
        redis_process = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        redis_conn = f"127.0.0.1:{redis_port}"
        for _ in range(100):
            if subprocess.run(["redis-cli", "-p", str(redis_port), "ping"], capture_output=True).stdout.strip() == b"PONG":
                break
            time.sleep(0.05)
        files = sorted(str(f) for f in (work / "projection").glob("*.json"))
        log(f"publishing {len(files)} app documents to redis-server :{redis_port} with capgo-edge")
        started = time.monotonic()
        published = subprocess.run(["dotnet", args.cli, "publish", *files, "--redis", redis_conn], capture_output=True, text=True)
        if published.returncode != 0:
            raise SystemExit(f"capgo-edge publish failed ({published.returncode}): {published.stderr[-2000:]}")
        log(f"  published in {time.monotonic() - started:.1f}s")

    log(f"starting the edge{' on CPU ' + server_cpu + ' (load generators on CPU ' + load_cpu + ')' if server_cpu else ''}"
        f" ({'Redis mode' if redis_conn else 'standalone mode'})")
    edge = Edge(Path(args.server), work / "projection", results, server_cpu, redis_conn, args.edge_arg)
    exit_code = 0
    try:
        ready = edge.wait_ready(timeout=120)
        log(f"  ready in {ready:.1f}s on http {edge.http_port} / grpc {edge.grpc_port} (pid {edge.pid}); "
            f"RSS {proc_status_kb(edge.pid, 'VmRSS') / 1024:.0f} MB")

        # Probe every body once: 200 and grpc-status 0, and learn each reply's length.
        grpc_check = [bodies / f"grpc-check-{n}.bin" for n in range(GRPC_PROCESSES)]
        grpc_echo = [bodies / f"grpc-echo-{n}.bin" for n in range(GRPC_PROCESSES)]
        probes = {"grpc-check": [], "grpc-echo": []}
        http_lines = (bodies / "http-check.txt").read_text().splitlines()
        http_probe_statuses: dict[str, int] = {}
        http_reply_sizes: list[int] = []
        for line in http_lines[:HTTP_PROBES]:
            status, reply = http_probe(edge, "/updates", line)
            http_probe_statuses[str(status)] = http_probe_statuses.get(str(status), 0) + 1
            http_reply_sizes.append(len(reply.encode()))
        echo_sizes = size_echo_bodies(args.echo_bytes, bodies, grpc_check, http_lines[:HTTP_PROBES], http_reply_sizes)
        for label, files, method in (("grpc-check", grpc_check, "CheckForUpdate"), ("grpc-echo", grpc_echo, "Echo")):
            if label == "grpc-echo":
                echo_sizes["grpc_check_reply_bytes"] = [p["reply_bytes"] for p in probes["grpc-check"]]
                write_grpc_echo_bodies(args.echo_bytes, grpc_check, grpc_echo, echo_sizes)
            for n, f in enumerate(files):
                probe = grpc_probe(edge, method, f)
                probes[label].append(probe)
                if label == "grpc-check":
                    what = summary["grpc_bodies"][n]["label"]
                    shown = json.dumps({k: v for k, v in probe["reply"].items() if v})
                else:
                    what, shown = "echo", f"payload of {len(str(probe['reply']['version'] or ''))} chars"
                    probe["reply"] = {"payload_chars": len(str(probe["reply"]["version"] or ""))}
                log(f"  probe {label}[{n}] ({what}): HTTP {probe['http_status']}, grpc-status {probe['grpc_status']}, "
                    f"{probe['reply_bytes']} B reply {shown}")
                if probe["http_status"] != 200 or probe["grpc_status"] != 0:
                    raise RuntimeError(f"probe of {f.name} failed: {probe}")
        status, body = http_probe(edge, "/echo", (bodies / "http-echo.txt").read_text().strip())
        log(f"  probe http-check ({len(http_reply_sizes)} bodies): statuses {http_probe_statuses}; http-echo: {status}")
        if status != 200:
            raise RuntimeError(f"probe of /echo failed: {status} {body[:200]}")
        log(f"  echo bodies (--echo-bytes {args.echo_bytes}): {json.dumps(echo_sizes)}")
        probes["echo_bodies"] = echo_sizes

        check_reply_bytes = [p["reply_bytes"] for p in probes["grpc-check"]]
        echo_reply_bytes = [p["reply_bytes"] for p in probes["grpc-echo"]]
        grpc_echo_req = [bodies / f"grpc-echo-req-{n}.bin" for n in range(GRPC_PROCESSES)]
        echo_req_reply_bytes = [f.stat().st_size for f in grpc_echo_req]  # an echo's reply is its request
        if args.echo_bytes == "both":
            for f in grpc_echo_req:
                probe = grpc_probe(edge, "Echo", f)
                if probe["http_status"] != 200 or probe["grpc_status"] != 0 or probe["reply_bytes"] != f.stat().st_size:
                    raise RuntimeError(f"probe of {f.name} failed: {probe}")

        def settle(limit: float = 15.0) -> float:
            """Waits until the edge is idle (< 3 % of a core over 0.5 s), e.g. until the device events a
            previous scenario queued have reached Redis: otherwise that work lands on the next scenario's
            CPU per request (it made the first scenario of each repetition look 1.5–2× dearer)."""
            started = time.monotonic()
            while time.monotonic() - started < limit:
                before = proc_cpu_seconds(edge.pid)
                time.sleep(0.5)
                if proc_cpu_seconds(edge.pid) - before < 0.015:
                    break
            return time.monotonic() - started

        def scenario(name: str, seconds: float, rep: int | None) -> dict | None:
            settled = settle()
            load_before = os.getloadavg()[0]
            cpu_before = proc_cpu_seconds(edge.pid)
            reset = reset_peak_rss(edge.pid)
            tag = f"{'warmup' if rep is None else f'r{rep}'}-{name}"
            if name == "grpc-echo":
                result = run_h2load(edge, "Echo", grpc_echo, echo_reply_bytes, seconds, raw, tag, load_cpu)
            elif name == "grpc-check":
                result = run_h2load(edge, "CheckForUpdate", grpc_check, check_reply_bytes, seconds, raw, tag, load_cpu)
            elif name == "grpc-echo-req":
                result = run_h2load(edge, "Echo", grpc_echo_req, echo_req_reply_bytes, seconds, raw, tag, load_cpu)
            elif name == "http-echo":
                result = run_wrk(edge, "/echo", bodies / "http-echo.txt", seconds, raw, tag, load_cpu)
            elif name == "http-echo-req":
                result = run_wrk(edge, "/echo", bodies / "http-echo-req.txt", seconds, raw, tag, load_cpu)
            else:
                result = run_wrk(edge, "/updates", bodies / "http-check.txt", seconds, raw, tag, load_cpu)
            cpu = proc_cpu_seconds(edge.pid) - cpu_before
            if rep is None:
                return None
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

        if mode["warmup"]:
            log(f"warm-up: {mode['warmup']}s per scenario (not recorded)")
            for name, _, _ in scenarios:
                scenario(name, mode["warmup"], None)

        runs = []
        for rep in range(1, reps + 1):
            log(f"repetition {rep}/{reps}")
            order = scenarios if rep % 2 else list(reversed(scenarios))  # alternate to spread drift
            for name, _, _ in order:
                runs.append(scenario(name, duration, rep))

        # After the load: the edge still answers gRPC with status 0.
        after = [grpc_probe(edge, "CheckForUpdate", f) for f in grpc_check]
        after_ok = all(p["http_status"] == 200 and p["grpc_status"] == 0 for p in after)
        log(f"post-load gRPC probe: {'all grpc-status 0' if after_ok else 'FAILED ' + json.dumps(after)}")

        report = build_report(args, mode, duration, reps, scenarios, summary, probes, http_probe_statuses, after_ok, runs,
                              edge, ready, server_cpu, load_cpu)
        (results / "results.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        markdown = render_markdown(report)
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
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait()
    return exit_code


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


def command_profile(args: argparse.Namespace) -> int:
    """perf cpu-clock profiles of the edge under h2load: Echo, then CheckForUpdate, same edge, same bodies as `run`."""
    results = Path(args.results)
    raw = results / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    work = Path(args.work)
    two_cores = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    server_cpu, load_cpu = ("1", "0") if two_cores else (None, None)
    log(f"generating projection: 1000 apps × {len(CHANNELS)} channels, 100000 device overrides")
    generate(work, 1000, 100_000, 200)
    bodies = work / "bodies"
    # Perf maps name JIT frames; without W^X the JIT's code is not double-mapped, so perf finds it.
    edge = Edge(Path(args.server), work / "projection", results, server_cpu, None, [],
                {"DOTNET_PerfMapEnabled": "1", "DOTNET_EnableWriteXorExecute": "0"})
    try:
        edge.wait_ready(timeout=120)
        grpc_check = [bodies / f"grpc-check-{n}.bin" for n in range(GRPC_PROCESSES)]
        grpc_echo = [bodies / f"grpc-echo-{n}.bin" for n in range(GRPC_PROCESSES)]
        sizes = {"grpc_check_reply_bytes": []}
        for f in grpc_check:
            probe = grpc_probe(edge, "CheckForUpdate", f)
            if probe["http_status"] != 200 or probe["grpc_status"] != 0:
                raise RuntimeError(f"probe of {f.name} failed: {probe}")
            sizes["grpc_check_reply_bytes"].append(probe["reply_bytes"])
        write_grpc_echo_bodies(args.echo_bytes, grpc_check, grpc_echo, sizes)
        echo_reply = [f.stat().st_size for f in grpc_echo]
        log(f"echo bodies ({args.echo_bytes}-sized): {sizes['grpc_echo_bytes']} B; check replies {sizes['grpc_check_reply_bytes']} B")
        methods = (("Echo", grpc_echo, echo_reply), ("CheckForUpdate", grpc_check, sizes["grpc_check_reply_bytes"]))
        log("warm-up: 3 × 4 s per method (tiered JIT settles)")
        for _ in range(3):
            for method, files, expected in methods:
                run_h2load(edge, method, files, expected, 4, raw, f"warmup-{method}", load_cpu)
        profiles = {}
        for method, files, expected in methods:
            data = results / f"{method}.data"
            log(f"profiling {method} for {args.seconds} s at {args.frequency} Hz")
            perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", str(args.frequency), "-p", str(edge.pid),
                                     "-o", str(data), "--", "sleep", str(max(args.seconds - 1, 1))],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cpu_before = proc_cpu_seconds(edge.pid)
            result = run_h2load(edge, method, files, expected, args.seconds, raw, f"profile-{method}", load_cpu)
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

    check, echo = profiles["CheckForUpdate"], profiles["Echo"]
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
        f"100 000 overrides, pinned to CPU {server_cpu}); h2load as in `run.sh`; echo bodies {args.echo_bytes}-sized",
        f"- Echo: {echo['rps']:.0f} req/s, {echo['cpu_us_per_req']:.1f} µs CPU/req; CheckForUpdate: {check['rps']:.0f} req/s, "
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


def build_report(args, mode, duration, reps, scenarios, summary, probes, http_probe_statuses, after_ok, runs, edge,
                 ready, server_cpu, load_cpu) -> dict:
    def median(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    aggregate = {}
    for name, transport, kind in scenarios:
        rows = [r for r in runs if r["scenario"] == name]
        aggregate[name] = {
            "transport": transport, "kind": kind, "reps": len(rows),
            "requests": sum(r["requests"] for r in rows),
            "rps": median([r["rps"] for r in rows]),
            "p50_ms": median([r["p50_ms"] for r in rows]),
            "p90_ms": median([r["p90_ms"] for r in rows]),
            "p99_ms": median([r["p99_ms"] for r in rows]),
            "errors": sum(r["errors"] for r in rows),
            "server_cpu_us_per_req": median([r["server_cpu_us_per_req"] for r in rows]),
            "server_cores_busy": median([r["server_cores_busy"] for r in rows]),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in rows),
        }

    ratios = {}
    baselines = [(t, f"{t}-echo") for t in dict.fromkeys(t for _, t, _ in scenarios)]
    baselines += [(f"{t}-req", f"{t}-echo-req") for t in dict.fromkeys(t for _, t, _ in scenarios) if f"{t}-echo-req" in aggregate]
    for key, baseline in baselines:
        transport = key.removesuffix("-req")
        check, echo = aggregate[f"{transport}-check"], aggregate[baseline]
        per_rep = []
        for rep in range(1, reps + 1):
            c = next(r for r in runs if r["scenario"] == f"{transport}-check" and r["rep"] == rep)
            e = next(r for r in runs if r["scenario"] == baseline and r["rep"] == rep)
            per_rep.append({"rep": rep, "rps": c["rps"] / e["rps"], "p99": c["p99_ms"] / e["p99_ms"],
                            "cpu_per_req": c["server_cpu_us_per_req"] / e["server_cpu_us_per_req"]})
        ratios[key] = {
            "rps_check_over_echo": median([p["rps"] for p in per_rep]),
            "p99_check_over_echo": median([p["p99"] for p in per_rep]),
            "p50_check_over_echo": check["p50_ms"] / echo["p50_ms"],
            "cpu_per_req_check_over_echo": median([p["cpu_per_req"] for p in per_rep]),
            "per_rep": per_rep,
        }

    return {
        "mode": args.mode, "projection_source": "redis" if args.redis else "folder",
        "seconds_per_scenario": duration, "repetitions": reps,
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git_commit": args.commit, "edge_args": args.edge_arg, "machine": {"cpus": os.cpu_count(), "loadavg_at_end": os.getloadavg()},
        "pinning": {"server_cpu": server_cpu, "load_generator_cpu": load_cpu},
        "concurrency": {
            "grpc": f"{GRPC_PROCESSES} h2load × {GRPC_CONNECTIONS} connections × {GRPC_STREAMS} streams",
            "http": f"wrk {WRK_THREADS} thread × {WRK_CONNECTIONS} connections (HTTP/1.1 keep-alive)",
            "in_flight": WRK_CONNECTIONS,
        },
        "projection": summary, "ready_seconds": ready,
        "probes": {"grpc": probes, "http_check_statuses": http_probe_statuses, "post_load_grpc_ok": after_ok},
        "runs": runs, "aggregate": aggregate, "ratios": ratios,
    }


def _echo_line(sizes: dict | None) -> str:
    if not sizes:
        return "- echo bodies: as large as the check's request"
    what = ("as many bytes per call as the paired check, request and reply together" if sizes["mode"] == "exchange"
            else "as large as the check's request")
    return (f"- echo bodies ({sizes['mode']}): {what}. gRPC framed bytes, check request / reply → echo (each way): "
            + ", ".join(f"{q} / {r} → {e}" for q, r, e in zip(sizes["grpc_check_request_bytes"], sizes["grpc_check_reply_bytes"],
                                                              sizes["grpc_echo_bytes"]))
            + f"; HTTP mean check request / reply → echo: {sizes['http_check_request_bytes_mean']:.0f} / "
              f"{sizes['http_check_reply_bytes_mean']:.0f} → {sizes['http_echo_body_bytes']} B")


def _fmt(value, digits=2):
    return "–" if value is None else f"{value:.{digits}f}"


def render_markdown(report: dict) -> str:
    p = report["projection"]
    lines = [
        f"# Capgo Edge load test — {report['mode']} ({report['started_utc']})",
        "",
        f"- commit `{report['git_commit']}`; {report['machine']['cpus']} CPUs; "
        f"server pinned to CPU {report['pinning']['server_cpu']}, load generators to CPU {report['pinning']['load_generator_cpu']}"
        if report["pinning"]["server_cpu"] else f"- commit `{report['git_commit']}`; {report['machine']['cpus']} CPUs; no CPU pinning",
        f"- edge configuration added: {' '.join(report['edge_args']) or 'none (defaults)'}",
        f"- projection: {p['apps']} apps ({p['active_apps']} active) × {p['channels_per_app']} channels, "
        f"{p['device_overrides']} device overrides, {p['apps_with_rollout']} apps with a rollout, "
        f"{p['projection_bytes'] / 1e6:.1f} MB of JSON; edge ready in {report['ready_seconds']:.1f}s",
        f"- {report['seconds_per_scenario']}s per scenario × {report['repetitions']} repetition(s); "
        f"{report['concurrency']['in_flight']} requests in flight: gRPC {report['concurrency']['grpc']}; "
        f"HTTP {report['concurrency']['http']}",
        f"- gRPC check bodies: {', '.join(b['label'] for b in p['grpc_bodies'])} (one h2load each); "
        f"HTTP check bodies: {p['json_bodies']} distinct (wrk + Lua, round-robin)",
        _echo_line(report["probes"]["grpc"].get("echo_bodies")),
        f"- errors = non-2xx + transport failures + gRPC non-zero status (inferred from DATA bytes; "
        f"post-load curl probe grpc-status 0: {report['probes']['post_load_grpc_ok']})",
        "",
        "| scenario | rep | requests | req/s | p50 ms | p90 ms | p99 ms | errors | server CPU µs/req | server cores busy | peak RSS MB | load avg 1m |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["runs"]:
        lines.append(
            f"| {r['scenario']} | {r['rep']} | {r['requests']} | {r['rps']:.0f} | {_fmt(r['p50_ms'])} | {_fmt(r['p90_ms'])} | "
            f"{_fmt(r['p99_ms'])} | {r['errors']} | {r['server_cpu_us_per_req']:.1f} | {r['server_cores_busy']:.2f} | "
            f"{r['peak_rss_mb']:.0f} | {r['machine_loadavg_1m'][1]:.1f} |")
    lines += [
        "",
        "Ratios against the same-run Echo baseline (median over repetitions; each repetition runs a",
        "transport's check and echo back to back, so a repetition's ratio shows how far the machine's",
        "speed moved it):",
        "",
        "| transport | check ÷ echo req/s | check ÷ echo p50 | check ÷ echo p99 | check ÷ echo server CPU/req | req/s ratio per repetition |",
        "|---|---:|---:|---:|---:|---|",
    ]
    exchange = report["probes"]["grpc"].get("echo_bodies", {}).get("mode", "request") != "request"
    echo_label = " vs exchange-sized echo" if exchange else " vs request-sized echo"
    for transport, label in (("grpc", "gRPC (h2load)" + echo_label), ("grpc-req", "gRPC (h2load) vs request-sized echo"),
                             ("http", "HTTP JSON (wrk)" + echo_label), ("http-req", "HTTP JSON (wrk) vs request-sized echo")):
        if transport not in report["ratios"]:
            continue
        r = report["ratios"][transport]
        per_rep = ", ".join(f"{p['rps']:.2f}" for p in r["per_rep"])
        lines.append(f"| {label} | {r['rps_check_over_echo']:.2f} | {r['p50_check_over_echo']:.2f} | "
                     f"{r['p99_check_over_echo']:.2f} | {r['cpu_per_req_check_over_echo']:.2f} | {per_rep} |")
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------


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
