"""A realistic projection (app documents) and the check request bodies drawn from it (see README, "What it does")."""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

import bodies as body_files
from common import GRPC_PROCESSES

CHANNELS = ["production", "beta", "development", "staging", "electron"]
PLUGIN_VERSIONS = ["8.51.23", "8.40.7", "7.1.0", "6.30.0", "5.10.2"]


def _device(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate(out: Path, apps: int, overrides: int, json_bodies: int, seed: int = 42) -> dict:
    """Writes out/projection/*.json, the check bodies in out/bodies/ (bodies.py) and returns a summary."""
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
    http = []
    for _ in range(json_bodies):
        app = rng.choices(active, weights=[a["weight"] for a in active])[0]
        http.append(_random_body(rng, app))

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
    ][:GRPC_PROCESSES]
    body_files.write_checks(bodies_dir, [body for _, body in grpc_bodies], http)
    grpc = [{"label": label, "file": f"grpc-check-{n}.bin", "body": body} for n, (label, body) in enumerate(grpc_bodies)]

    summary = {
        "apps": apps, "active_apps": len(active), "channels_per_app": len(CHANNELS),
        "device_overrides": sum(counts), "apps_with_rollout": sum(1 for a in catalog if a["rollout"]),
        "json_bodies": len(http), "grpc_bodies": grpc, "seed": seed,
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


