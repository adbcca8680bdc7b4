"""Benchmark ``workbench serve``: concurrent generation requests on loopback.

Usage::

    .venv/bin/python bench/webapp.py                      # 200 requests at 1, 4 and 8 clients
    .venv/bin/python bench/webapp.py --requests 60 --model retrieval

It builds a data dir (synthetic curated splits and their RAG index, one marketer account),
starts the real server (``python -m workbench serve`` on 127.0.0.1), signs in and creates a brief
through the API, then sends ``--requests`` ``POST /api/briefs/<id>/generations`` (a baseline
model, ``--n`` candidates each) from 1, 4 and 8 concurrent clients. Every request must answer
201; it reports latency p50 / p95 / max and throughput per concurrency.

Baseline, measured in the same run: the same generation called in process
(:func:`workbench.webapp.studio.generate_for_brief`: retrieval, prompt, generation, checks,
Parquet write, database row) with no HTTP, no session check and no thread hop. The ratio says
what the web layer adds. It also times one sign-in (Argon2id verify: deliberately slow).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "benchmark passphrase"
EMAIL = "bench@abebe.et"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def build(root: Path, ads: int) -> str:
    from synthetic.splits import write_synthetic_splits
    from workbench.core.config import ProjectConfig
    from workbench.rag.index import build_index
    from workbench.webapp.accounts import add_user
    from workbench.webapp.store import Store, db_path
    from workbench.webapp.studio import index_channels

    write_synthetic_splits(root, n_ads=ads, n_non_ads=ads // 10, seed=3)
    cfg = ProjectConfig()
    build_index(root, cfg)
    add_user(Store(db_path(root)), EMAIL, company="Abebe Shoes", role="marketer",
             password=PASSWORD)
    return index_channels(root, cfg)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(root: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = free_port()
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "workbench", "serve", "--port", str(port),
                                 "--data-dir", str(root)], stdout=sink, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"server did not start: {log.read_text()[-2000:]}")


def sign_in(url: str) -> tuple[object, str, float]:
    import re

    import httpx

    client = httpx.Client(base_url=url, timeout=300)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    started = time.perf_counter()
    r = client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    seconds = time.perf_counter() - started
    assert r.status_code in (200, 303), r.status_code
    return client, client.get("/api/me").json()["csrf_token"], seconds


def direct_baseline(root: Path, row: int, model: str, n: int, repeats: int) -> list[float]:
    from workbench.core.config import ProjectConfig
    from workbench.webapp.security import User
    from workbench.webapp.store import Store, db_path
    from workbench.webapp.studio import generate_for_brief

    store = Store(db_path(root))
    account = store.one("SELECT id, company FROM users WHERE email = ?", EMAIL)
    user = User(id=account["id"], email=EMAIL, company=account["company"], role="marketer",
                csrf_token="")
    cfg = ProjectConfig()
    generate_for_brief(store, root, cfg, user, row, model, n)  # warm: index and embedder open
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        generate_for_brief(store, root, cfg, user, row, model, n)
        times.append(time.perf_counter() - started)
    return times


def load(client: object, csrf: str, row: int, model: str, n: int, requests: int,
         clients: int) -> dict[str, float]:
    def one(_: int) -> tuple[int, float]:
        started = time.perf_counter()
        r = client.post(f"/api/briefs/{row}/generations", headers={"x-csrf-token": csrf},
                        json={"model": model, "n": n})
        return r.status_code, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(one, range(requests)))
    wall = time.perf_counter() - started
    latencies = [t for _, t in results]
    errors = sum(1 for status, _ in results if status != 201)
    return {"clients": clients, "requests": requests, "errors": errors,
            "p50_ms": 1000 * pct(latencies, 0.5), "p95_ms": 1000 * pct(latencies, 0.95),
            "max_ms": 1000 * max(latencies), "req_per_s": requests / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per concurrency")
    parser.add_argument("--model", default="template", help="baseline model (template/retrieval)")
    parser.add_argument("--n", type=int, default=3, help="candidates per request")
    parser.add_argument("--ads", type=int, default=2000, help="ads in the index")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    import httpx  # noqa: F401 (fail early when the stack is missing)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        channel = build(root, args.ads)
        proc, url = start_server(root, root / "serve.log")
        try:
            client, csrf, login_s = sign_in(url)
            brief = client.post("/api/briefs", headers={"x-csrf-token": csrf}, json={
                "brand": "Abebe Shoes", "product": "የቆዳ ጫማ", "vertical": "Retail",
                "target_channel": channel, "contact": "0911223344", "offer": "20% ቅናሽ"})
            row = brief.json()["id"]
            direct = direct_baseline(root, row, args.model, args.n, repeats=30)
            # Warm the server's worker threads (each opens its own index once).
            load(client, csrf, row, args.model, args.n, 8, 8)
            runs = [load(client, csrf, row, args.model, args.n, args.requests, c)
                    for c in (1, 4, 8)]
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    direct_p50 = 1000 * statistics.median(direct)
    load_avg = os.getloadavg()[0]
    print(f"model {args.model}, {args.n} candidates per request, {args.ads} ads indexed, "
          f"load average {load_avg:.2f}")
    print(f"sign-in (Argon2id verify + session): {1000 * login_s:.0f} ms")
    print(f"baseline, in process (no HTTP): p50 {direct_p50:.1f} ms, "
          f"p95 {1000 * pct(direct, 0.95):.1f} ms")
    print(f"{'clients':>7} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'max ms':>8} {'req/s':>7} {'p50 / baseline':>15}")
    for r in runs:
        print(f"{r['clients']:>7} {r['requests']:>8} {r['errors']:>6} {r['p50_ms']:>8.1f} "
              f"{r['p95_ms']:>8.1f} {r['max_ms']:>8.1f} {r['req_per_s']:>7.1f} "
              f"{r['p50_ms'] / direct_p50:>14.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"direct_p50_ms": direct_p50, "login_ms": 1000 * login_s,
                                         "load_average": load_avg, "runs": runs}, indent=2))
    if any(r["errors"] for r in runs):
        raise SystemExit("some requests failed")


if __name__ == "__main__":
    main()
