#!/usr/bin/env python3
"""Writes N realistic app documents (5 channels, rollouts on some) with M device overrides in total."""
import json, os, sys, uuid, random

def main():
    out, apps, overrides = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rnd = random.Random(42)
    os.makedirs(out, exist_ok=True)
    per_app = overrides // apps
    channels = ["production", "beta", "staging", "development", "qa"]
    for i in range(apps):
        app_id = f"com.scale.app{i:04d}"
        bundles = [{"name": f"1.{m}.0", "url": f"https://cdn.example.com/{app_id}/1.{m}.0.zip",
                    "checksum": f"{rnd.getrandbits(32):08x}", "session_key": ""} for m in range(6)]
        chans = []
        for c, name in enumerate(channels):
            ch = {"name": name, "bundle": bundles[5 - c]["name"], "public": c == 0,
                  "allow_device_self_set": c in (1, 2), "disable_auto_update": "major"}
            if c == 0 and i % 4 == 0:
                ch["rollout"] = {"id": f"r-{app_id}", "bundle": bundles[5]["name"], "percentage_bps": 2500,
                                 "enabled": True, "paused": False}
            chans.append(ch)
        doc = {"app_id": app_id, "status": "active", "bundles": bundles, "channels": chans,
               "device_overrides": {str(uuid.UUID(int=rnd.getrandbits(128), version=4)): channels[1 + (k % 4)]
                                    for k in range(per_app)}}
        with open(os.path.join(out, f"{app_id}.json"), "w") as f:
            json.dump(doc, f)

main()
