"""Loopback load test of the HTTP service: latency percentiles and 5xx count.

    python benchmarks/bench_service.py [--requests 20000] [--concurrency 16] [--port 8765] [--json-out FILE]

Starts ``uvicorn --factory voc.service:create_app`` on 127.0.0.1 in a subprocess (one
worker process, FastAPI's thread pool for the analysis), waits for ``/health`` to say
the model is loaded, then sends ``--requests`` requests from ``--concurrency``
concurrent ``httpx.AsyncClient`` tasks (keep-alive connections). The mix:

* 90 % ``{"text": ...}`` with a distinct valid text (voc_zh cycled with a counter) -> 200;
* 5 % ``{"texts": [...]}`` batches of 8 with bad items mixed in (null, number, "") -> 200;
* 5 % bad single requests (empty text, a number, no field) -> 422.

Reports p50/p90/p99/max latency per kind and overall, requests/s, the status code
histogram, the CPU seconds used by the server and by the client (they share the
machine's cores: on a small machine the Python HTTP client costs as much CPU as the
server, so the figures are a lower bound for the service alone), and fails (exit 1) on
any 5xx, transport error or unexpected status. Not part of pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(q / 100 * len(s) + 0.5) - 1))
    return s[k]


def make_requests(n: int, base: list[str]) -> list[tuple[str, dict[str, Any], int]]:
    """``(kind, json body, expected status)`` for request ``i``; deterministic."""
    bad_single: list[dict[str, Any]] = [{"text": ""}, {"text": 12}, {}, {"text": "  "}]
    out = []
    for i in range(n):
        r = i % 20
        if r == 7:
            batch: list[Any] = [f"{base[(i + j) % len(base)]} {i}" for j in range(8)]
            batch[1], batch[4], batch[6] = None, 3.5, ""
            out.append(("batch", {"texts": batch}, 200))
        elif r == 13:
            out.append(("bad", bad_single[(i // 20) % len(bad_single)], 422))
        else:
            out.append(("single", {"text": f"{base[i % len(base)]} {i}"}, 200))
    return out


async def run_load(url: str, reqs: list[tuple[str, dict[str, Any], int]], concurrency: int) -> dict[str, Any]:
    import httpx

    latencies: dict[str, list[float]] = {"single": [], "batch": [], "bad": []}
    statuses: Counter[int] = Counter()
    unexpected: list[tuple[int, int, str]] = []
    transport_errors: list[str] = []
    next_i = 0

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60.0) as client:

        async def worker() -> None:
            nonlocal next_i
            while next_i < len(reqs):
                i = next_i
                next_i += 1
                kind, body, expected = reqs[i]
                t = time.perf_counter()
                try:
                    resp = await client.post("/analyze", json=body)
                except httpx.HTTPError as e:
                    transport_errors.append(f"{type(e).__name__}: {e}")
                    continue
                latencies[kind].append((time.perf_counter() - t) * 1000)
                statuses[resp.status_code] += 1
                if resp.status_code != expected:
                    unexpected.append((i, resp.status_code, resp.text[:200]))
                elif kind != "bad" and len(resp.json()["results"]) != len(body.get("texts", [None])):
                    unexpected.append((i, resp.status_code, "wrong result count"))

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return {
        "latencies": latencies,
        "statuses": statuses,
        "unexpected": unexpected,
        "transport_errors": transport_errors,
        "wall_s": wall,
    }


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> float:
    import httpx

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).json().get("model_loaded"):
                return time.perf_counter() - t0
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    raise TimeoutError("service did not become ready")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args()

    import psutil

    from voc.datasets import load_frame

    base = [t for t in load_frame("voc_zh")["text"].tolist() if isinstance(t, str)]
    reqs = make_requests(args.requests, base)
    url = f"http://127.0.0.1:{args.port}"
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "voc.service:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(args.port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        ready_s = wait_ready(url, proc)
        print(
            f"uvicorn ready in {ready_s:.1f} s; {args.requests} requests, {args.concurrency} concurrent clients"
        )
        asyncio.run(run_load(url, reqs[:200], args.concurrency))  # warm-up, not counted
        server = psutil.Process(proc.pid)
        server_cpu0, client_cpu0 = sum(server.cpu_times()[:2]), _self_cpu()
        res = asyncio.run(run_load(url, reqs, args.concurrency))
        server_cpu, client_cpu = sum(server.cpu_times()[:2]) - server_cpu0, _self_cpu() - client_cpu0
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()

    lat = res["latencies"]
    everything = [x for v in lat.values() for x in v]
    n5xx = sum(c for s, c in res["statuses"].items() if s >= 500)
    summary: dict[str, Any] = {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "wall_s": round(res["wall_s"], 1),
        "requests_per_s": round(len(everything) / res["wall_s"], 1),
        "statuses": {str(k): v for k, v in sorted(res["statuses"].items())},
        "server_cpu_s": round(server_cpu, 1),
        "client_cpu_s": round(client_cpu, 1),
        "cpus": os.cpu_count(),
        "5xx": n5xx,
        "transport_errors": len(res["transport_errors"]),
        "unexpected": len(res["unexpected"]),
    }
    for kind, values in [*lat.items(), ("all", everything)]:
        summary[f"latency_ms_{kind}"] = {
            "n": len(values),
            "p50": round(percentile(values, 50), 2),
            "p90": round(percentile(values, 90), 2),
            "p99": round(percentile(values, 99), 2),
            "max": round(max(values), 2) if values else None,
            "mean": round(statistics.fmean(values), 2) if values else None,
        }
    print(json.dumps(summary, indent=1))
    for item in res["unexpected"][:5]:
        print("unexpected:", item)
    for item in res["transport_errors"][:5]:
        print("transport error:", item)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return 1 if n5xx or res["transport_errors"] or res["unexpected"] else 0


if __name__ == "__main__":
    sys.exit(main())
