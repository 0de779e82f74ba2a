"""The run's report: results.json (every run, aggregates, check ÷ echo ratios) and results.md."""

from __future__ import annotations

import os
import statistics
import time

from common import GRPC_CONNECTIONS, GRPC_PROCESSES, GRPC_STREAMS, WRK_CONNECTIONS, WRK_THREADS


def build_report(args, duration, reps, scenarios, summary, probes, http_probe_statuses, after_ok, runs, ready, server_cpu,
                 load_cpu) -> dict:
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
            "p99_9_ms": median([r.get("p99_9_ms") for r in rows]),
            "errors": sum(r["errors"] for r in rows),
            "server_cpu_us_per_req": median([r["server_cpu_us_per_req"] for r in rows]),
            "server_cores_busy": median([r["server_cores_busy"] for r in rows]),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in rows),
        }

    ratios = {}
    baselines = [(t, f"{t}-echo") for t in dict.fromkeys(t for _, t, _ in scenarios)]
    baselines += [(f"{t}-req", f"{t}-echo-req") for t in dict.fromkeys(t for _, t, _ in scenarios) if f"{t}-echo-req" in aggregate]
    baselines += [(f"{t}-raw", f"{t}-echo-raw") for t in dict.fromkeys(t for _, t, _ in scenarios) if f"{t}-echo-raw" in aggregate]
    for key, baseline in baselines:
        transport = key.removesuffix("-req").removesuffix("-raw")
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
        "git_commit": args.commit, "edge_args": args.edge_arg, "control_plane_consumer": bool(args.consumer), "machine": {"cpus": os.cpu_count(), "loadavg_at_end": os.getloadavg()},
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


def _consumer_line(report: dict) -> str:
    if not report.get("control_plane_consumer"):
        return "- control-plane consumer: none (the edge's events stay in the stream)"
    per_scenario = ", ".join(f"{r['scenario']} r{r['rep']} {r['consumer_cpu_s']:.1f}" for r in report["runs"])
    return ("- control-plane consumer: one service reading the edge's events while the scenarios run (each scenario "
            f"starts once it has caught up); its CPU seconds per scenario: {per_scenario}")


def _fmt(value, digits=2):
    return "–" if value is None else f"{value:.{digits}f}"


def _chart_line(chart: str | None, chart_error: str | None) -> str:
    if chart:
        return f"![req/s per scenario (median, min–max) with check ÷ echo; latency p50–p99.9]({chart})"
    return f"Chart not drawn: {' '.join(str(chart_error).split())}"


def render_markdown(report: dict, chart: str | None = None, chart_error: str | None = None) -> str:
    """results.md; chart is the image beside it (a relative link), or chart_error says why there is none."""
    p = report["projection"]
    lines = [
        f"# Capgo Edge load test — {report['mode']} ({report['started_utc']})",
        "",
        f"- commit `{report['git_commit']}`; {report['machine']['cpus']} CPUs; "
        f"server pinned to CPU {report['pinning']['server_cpu']}, load generators to CPU {report['pinning']['load_generator_cpu']}"
        if report["pinning"]["server_cpu"] else f"- commit `{report['git_commit']}`; {report['machine']['cpus']} CPUs; no CPU pinning",
        f"- edge configuration added: {' '.join(report['edge_args']) or 'none (defaults)'}",
        _consumer_line(report),
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
        _chart_line(chart, chart_error),
        "",
        "| scenario | rep | requests | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors | server CPU µs/req | server cores busy | peak RSS MB | load avg 1m |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["runs"]:
        lines.append(
            f"| {r['scenario']} | {r['rep']} | {r['requests']} | {r['rps']:.0f} | {_fmt(r['p50_ms'])} | {_fmt(r['p90_ms'])} | "
            f"{_fmt(r['p99_ms'])} | {_fmt(r.get('p99_9_ms'))} | {r['errors']} | {r['server_cpu_us_per_req']:.1f} | {r['server_cores_busy']:.2f} | "
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
                             ("http", "HTTP JSON (wrk)" + echo_label), ("http-req", "HTTP JSON (wrk) vs request-sized echo"),
                             ("http-raw", "HTTP JSON (wrk) vs raw echo (POST /echo/raw)")):
        if transport not in report["ratios"]:
            continue
        r = report["ratios"][transport]
        per_rep = ", ".join(f"{p['rps']:.2f}" for p in r["per_rep"])
        lines.append(f"| {label} | {r['rps_check_over_echo']:.2f} | {r['p50_check_over_echo']:.2f} | "
                     f"{r['p99_check_over_echo']:.2f} | {r['cpu_per_req_check_over_echo']:.2f} | {per_rep} |")
    lines.append("")
    return "\n".join(lines)
