"""Live pre-annotations: what the refresher costs annotators (refresh delay, request latency).

Usage:
    .venv/bin/python bench/live.py TSV [TSV ...]            # throw-away Label Studio (~1 min)
    .venv/bin/python bench/live.py TSV ... --data-dir DIR   # reuse the server of DIR

TSV: files with a ``tweet`` column and a ``label`` column (AfriSenti Amharic: train/dev/test).
Every text becomes one task of a fresh project with an initial prediction; the sentiment label
stands in for is_ad (positive -> Ad, else Non-Ad), and an Ad's vertical and tags are drawn from a
hash of its text: the figures are about time, not accuracy.

Measured, with the refresher running as `label serve --live` runs it (its own process):
- request latency: POST of one annotation (what the annotator's Submit waits for), without the
  refresher and with it refreshing continuously (min_new 1, no debounce: the worst case), in two
  phases of the same run: annotations that answer is_ad only (the refresher learns is_ad), then
  annotations whose Ads also have a vertical and tags (it learns is_ad, vertical and tags);
- one refresh's own duration per phase (from the refresher's log, which names the tasks learned);
- refresh delay: from an annotation to the unlabeled tasks carrying the new model version, with
  the default poll interval (all three tasks learned).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.core.config import ProjectConfig  # noqa: E402
from workbench.core.settings.labeling import LabelingConfig, LiveConfig  # noqa: E402
from workbench.labeling.backends import labeling_taxonomy  # noqa: E402
from workbench.labeling.labelstudio import server  # noqa: E402
from workbench.labeling.labelstudio.backend import LabelStudioBackend  # noqa: E402
from workbench.labeling.labelstudio.live_process import (  # noqa: E402
    live_log_path,
    start_live,
    stop_live,
)


def read_tsv(paths: list[Path]) -> list[tuple[str, str]]:
    rows = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                if row.get("tweet"):
                    rows.append((row["tweet"], "Ad" if row.get("label") == "positive" else "Non-Ad"))
    return rows


FAILED: list[int] = []

#: Verticals and tags an Ad's text hash picks from (the learned tasks' cost is what matters).
VERTICALS = ("Retail", "Telecom", "Media", "Entertainment")


def answers(text: str, label: str, *, all_tasks: bool) -> dict[str, list[str]]:
    """The annotation's answers: is_ad, and with ``all_tasks`` an Ad's vertical and tags."""
    if not all_tasks or label != "Ad":
        return {"is_ad": [label]}
    h = zlib.crc32(text.encode())
    return {"is_ad": [label], "vertical": [VERTICALS[h % len(VERTICALS)]],
            "tags": ["Politics"] if h % 3 == 0 else []}


def post_annotation(client: httpx.Client, task_id: int, answer: dict[str, list[str]]) -> float:
    result = [{"from_name": task, "to_name": "text", "type": "choices", "value": {"choices": labels}}
              for task, labels in answer.items() if labels]
    t0 = time.perf_counter()
    resp = client.post(f"/api/tasks/{task_id}/annotations/", json={"result": result, "lead_time": 3.0})
    elapsed = time.perf_counter() - t0
    if resp.status_code != 201:  # e.g. 500 "database is locked" under a long refresh write
        FAILED.append(resp.status_code)
        print(f"  annotation POST failed: HTTP {resp.status_code} {resp.text[:120]!r}", flush=True)
    return elapsed


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, round(q * (len(values) - 1)))]


def report_refreshes(lines: list[str], n_tasks: int) -> None:
    """One refresh's duration (and its phases) over the log lines, grouped by the tasks learned."""
    by_learned: dict[str, list[str]] = {}
    for line in lines:
        if " re-predicted in " in line:
            by_learned.setdefault(line.rsplit("; learned: ", 1)[-1], []).append(line)
    for learned, group in by_learned.items():
        seconds = [float(g.split(" re-predicted in ", 1)[1].split("s", 1)[0]) for g in group]
        phases: dict[str, list[float]] = {}
        for g in group:
            for part in g.split(" re-predicted in ", 1)[1].split("(", 1)[1].split(")", 1)[0].split(", "):
                name, value = part.rsplit(" ", 1)
                phases.setdefault(name, []).append(float(value.rstrip("s")))
        spans = ", ".join(f"{k} {min(v):.1f}-{max(v):.1f}" for k, v in phases.items())
        print(f"  one refresh learning {learned} ({n_tasks} tasks in the project): median "
              f"{statistics.median(seconds):.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f}, "
              f"n={len(seconds)}; {spans} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tsv", type=Path, nargs="+")
    parser.add_argument("--data-dir", type=Path, help="reuse the Label Studio of this data dir")
    parser.add_argument("--posts", type=int, default=40, help="annotations per latency phase")
    parser.add_argument("--delays", type=int, default=3, help="refresh-delay measurements")
    args = parser.parse_args()
    texts = read_tsv(args.tsv)
    # The files are sorted by label (AfriSenti train: 1,548 negatives first): in file order the
    # queue would hold no Ad, and so no vertical or tags, for the whole run.
    random.Random(0).shuffle(texts)
    tmp = Path(tempfile.mkdtemp(prefix="wb-bench-live-"))
    started = False
    base = args.data_dir or tmp / "server"
    try:
        if args.data_dir is None:
            print("starting a throw-away Label Studio (fresh DB: about a minute of migrations) ...")
            server.start(base, LabelingConfig(), port=server.free_port(), detach=True)
            started = True
        creds = server.load_credentials(base)
        port = int(creds.url.rsplit(":", 1)[1])
        prefix = f"live{time.strftime('%H%M%S')}"
        cfg = ProjectConfig(annotator_groups=[], labeling=LabelingConfig(port=port, project_prefix=prefix))
        taxonomy, _ = labeling_taxonomy(cfg)
        data = tmp / "data"
        (data / "labelstudio").mkdir(parents=True)
        shutil.copy2(server.credentials_path(base), data / "labelstudio" / "credentials.json")
        backend = LabelStudioBackend(data, cfg.labeling, taxonomy)
        project = backend.ensure_project("ungrouped")
        pid = project["id"]
        initial = [{"from_name": "is_ad", "to_name": "text", "type": "choices",
                    "value": {"choices": ["Non-Ad"]}, "score": 0.5}]
        payload = [{"data": {"uid": f"afrisenti:{i}", "text": t, "meta": "", "channel": "AfriSenti",
                             "date": "2024-03-01", "message_id": i, "group": None,
                             "taxonomy_version": taxonomy.version},
                    "predictions": [{"model_version": "rules-v0", "score": 0.5, "result": initial}]}
                   for i, (t, _) in enumerate(texts)]
        for start in range(0, len(payload), 5000):
            backend.api.import_tasks(pid, payload[start:start + 5000])
        ids = [int(t["id"]) for t in backend.api.iter_tasks(pid, include="id")]
        text_of = {int(t["id"]): texts[int(t["data"]["uid"].split(":")[1])]
                   for t in backend.api.iter_tasks(pid, include="id,data")}

        def answer(tid: int, *, all_tasks: bool) -> dict[str, list[str]]:
            return answers(*text_of[tid], all_tasks=all_tasks)

        print(f"{len(ids)} tasks in project {pid}")
        client = httpx.Client(base_url=creds.url, headers={"Authorization": f"Token {creds.token}"},
                              timeout=120)
        queue = iter(ids)
        # Seed: enough labels of both kinds for the first fit.
        seeded = 0
        while seeded < 20:
            tid = next(queue)
            label = text_of[tid][1] if seeded % 2 else ("Ad" if seeded % 4 else "Non-Ad")
            post_annotation(client, tid, {"is_ad": [label]})
            seeded += 1

        without = [post_annotation(client, (tid := next(queue)), answer(tid, all_tasks=False))
                   for _ in range(args.posts)]

        def config_file(live: LiveConfig) -> Path:
            path = tmp / "project" / "workbench.yaml"
            path.parent.mkdir(exist_ok=True)
            path.write_text(
                f"annotator_groups: []\nlabeling:\n  port: {port}\n  project_prefix: {prefix}\n"
                f"  live: {{poll_s: {live.poll_s}, min_interval_s: {live.min_interval_s}, "
                f"min_new: {live.min_new}}}\n", encoding="utf-8")
            return path

        def back_to_back(*, all_tasks: bool) -> tuple[list[float], list[str]]:
            """Submit latencies while refreshing back to back, and the phase's refresh log lines."""
            done = len(live_log_path(data).read_text(encoding="utf-8").splitlines()) if (
                live_log_path(data).exists()) else 0
            start_live(data, config_file(LiveConfig(poll_s=0.2, min_interval_s=0, min_new=1)))
            while len(live_log_path(data).read_text(encoding="utf-8").splitlines()) <= done:
                time.sleep(0.2)
            during = []
            for _ in range(args.posts):
                tid = next(queue)
                during.append(post_annotation(client, tid, answer(tid, all_tasks=all_tasks)))
                time.sleep(0.5)  # an annotator's pace is slower still; keeps refreshes overlapping
            stop_live(data)
            return during, live_log_path(data).read_text(encoding="utf-8").splitlines()[done:]

        # Worst case for latency: refreshing back to back while the annotator submits. First the
        # annotations answer is_ad only; then Ads get a vertical and tags, after a few seeds so
        # that every refresh of the second phase learns all three tasks.
        failed_before = len(FAILED)
        during_is_ad, log_is_ad = back_to_back(all_tasks=False)
        failed_is_ad = len(FAILED) - failed_before
        ads = 0
        while ads < 8:  # enough Ads that vertical and tags have two classes from the start
            tid = next(queue)
            ads += text_of[tid][1] == "Ad"
            post_annotation(client, tid, answer(tid, all_tasks=True))
        failed_before = len(FAILED)
        during_all, log_all = back_to_back(all_tasks=True)
        failed_all = len(FAILED) - failed_before
        log = log_is_ad + log_all

        # Refresh delay with the default poll interval (debounce off: min_new 1, no interval).
        defaults = LiveConfig()
        start_live(data, config_file(LiveConfig(poll_s=defaults.poll_s, min_interval_s=0, min_new=1)))
        while len(live_log_path(data).read_text(encoding="utf-8").splitlines()) <= len(log):
            time.sleep(0.5)  # let its first refresh pass
        delays = []
        for _ in range(args.delays):
            before = backend.api.project(pid).get("model_version")
            tid = next(queue)
            post_annotation(client, tid, answer(tid, all_tasks=True))
            t0 = time.perf_counter()
            while backend.api.project(pid).get("model_version") == before:
                time.sleep(0.1)
            delays.append(time.perf_counter() - t0)
            time.sleep(1.0)
        stop_live(data)
        client.close()
        backend.close()
        print("load average (1, 5, 15 min) at the end: " + ", ".join(f"{v:.1f}" for v in os.getloadavg())
              + f" on {os.cpu_count()} CPUs")
        print(f"annotation POST latency, median / p95 over {args.posts}: without refresher "
              f"{statistics.median(without) * 1000:.0f} / {pct(without, 0.95) * 1000:.0f} ms")
        for name, during, lines, failed in (
                ("is_ad only", during_is_ad, log_is_ad, failed_is_ad),
                ("is_ad + vertical + tags", during_all, log_all, failed_all)):
            print(f"[{name}] POST latency while refreshing back to back: "
                  f"{statistics.median(during) * 1000:.0f} / {pct(during, 0.95) * 1000:.0f} ms, "
                  f"{failed} of {len(during)} failed")
            report_refreshes(lines, len(ids))
        print("\n".join(live_log_path(data).read_text(encoding="utf-8").splitlines()[-4:]))
        print(f"failed annotation POSTs, whole run (HTTP status): {FAILED}")
        print(f"annotation -> refreshed predictions, poll {defaults.poll_s:g} s: "
              + ", ".join(f"{d:.1f}" for d in delays) + " s")
    finally:
        stop_live(tmp / "data")
        if started:
            server.stop(base)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
