"""Label Studio push/pull benchmark: `label push` of N tasks vs ONE raw bulk import call; pull of N.

Usage:
    .venv/bin/python bench/labeling.py                 # starts a throw-away Label Studio (~1 min)
    .venv/bin/python bench/labeling.py --n 2000 --repeats 3
    .venv/bin/python bench/labeling.py --data-dir DIR  # reuse the server of DIR (label serve)

What is compared, on the same server and the same N messages with rule pre-annotations:
- raw: one POST /api/projects/{id}/import carrying every task (the payloads push builds) into a
  fresh project with the same settings (overlap cohort included). The floor.
- push: `run_push` end to end on a fresh project prefix: read cleaned Parquet, rules, list what
  the project has, import in batches, check the count. Target: push / raw <= 1.3.
Runs alternate raw and push and report medians, because a shared machine is noisy.
- pull: N annotations by two annotators (imported inline), then `run_pull` (export, validation,
  snapshot, manifest) vs the raw export call alone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.core.config import ProjectConfig  # noqa: E402
from workbench.core.settings.labeling import LabelingConfig  # noqa: E402
from workbench.ingest.pipeline import run_ingest  # noqa: E402
from workbench.labeling.backends import labeling_taxonomy  # noqa: E402
from workbench.labeling.labelstudio import server  # noqa: E402
from workbench.labeling.labelstudio.backend import LabelStudioBackend  # noqa: E402
from workbench.labeling.pull import run_pull  # noqa: E402
from workbench.labeling.push import plan_push, run_push  # noqa: E402

TEMPLATES = [
    "ቅናሽ! ዘመናዊ ሶፋዎች በተመጣጣኝ ዋጋ {p},000 ብር ይደውሉ 0911 {a} {b} {c} ቦሌ መድሃኔዓለም ፊት ለፊት",
    "አዲስ ቶዮታ ቪትዝ ከቀረጥ ነፃ ዋጋ {p}00,000 ብር በባንክ ብድር መግዛት ይቻላል 0922 {a} {b} {c}",
    "ዜና: ዛሬ በአዲስ አበባ {p} ሚሊ ሜትር ዝናብ ይጥላል ተብሏል። ቁጥር {a}{b}{c}",
    "የህዝብ ተወካዮች ምክር ቤት ዛሬ ባካሄደው ስብሰባ የ{p} ረቂቅ በጀትን አፀደቀ። {a}-{b}-{c}",
    "የኢትዮ ቴሌኮም የዳታ ጥቅል {p}GB በ{a}{b} ብር ብቻ! አሁኑኑ ይግዙ *{c}#",
]


def make_data(data_dir: Path, n: int) -> None:
    """N synthetic Amharic messages of one channel (no annotator group: project 'ungrouped')."""
    messages = []
    for i in range(1, n + 1):
        text = TEMPLATES[i % len(TEMPLATES)].format(p=i % 97 + 1, a=f"{i % 89:02d}", b=f"{i % 83:02d}",
                                                    c=f"{i % 79:02d}")
        messages.append({"id": i, "type": "message", "date": "2024-03-01T10:00:00",
                         "date_unixtime": str(1_709_280_000 + i * 60), "from": "Bench Shop",
                         "text": text, "text_entities": [{"type": "plain", "text": text}]})
    export = data_dir.parent / "bench-export" / "result.json"
    export.parent.mkdir(parents=True, exist_ok=True)
    export.write_text(json.dumps({"name": "Bench Shop", "type": "public_channel", "id": 777,
                                  "messages": messages}, ensure_ascii=False), encoding="utf-8")
    run_ingest([export], data_dir, ProjectConfig().cleaning)


DEFAULT_BATCH = LabelingConfig().batch_size


def config(prefix: str, port: int, batch_size: int = DEFAULT_BATCH) -> ProjectConfig:
    return ProjectConfig(annotator_groups=[], labeling=LabelingConfig(
        port=port, project_prefix=prefix, batch_size=batch_size))


def time_raw_import(data_dir: Path, cfg: ProjectConfig, key: str) -> float:
    """One import call with every task, into a fresh project with push's settings."""
    taxonomy, _ = labeling_taxonomy(cfg)
    records, _ = plan_push(data_dir, cfg, taxonomy)
    backend = LabelStudioBackend(data_dir, cfg.labeling, taxonomy)
    try:
        payloads = [backend.task_payload(r) for r in records["ungrouped"]]
        project = backend.api.create_project(**backend.project_settings(key))
        start = time.perf_counter()
        backend.api.import_tasks(project["id"], payloads)
        return time.perf_counter() - start
    finally:
        backend.close()


def time_push(data_dir: Path, cfg: ProjectConfig) -> float:
    start = time.perf_counter()
    results, _ = run_push(data_dir, cfg)
    elapsed = time.perf_counter() - start
    assert sum(r.added for r in results) > 0
    return elapsed


def time_pull(data_dir: Path, cfg: ProjectConfig, n: int, annotators: list[int]) -> tuple[float, float]:
    """Import N annotated tasks, then time the raw export and `run_pull`."""
    taxonomy, _ = labeling_taxonomy(cfg)
    records, _ = plan_push(data_dir, cfg, taxonomy)
    backend = LabelStudioBackend(data_dir, cfg.labeling, taxonomy)
    try:
        project = backend.ensure_project("ungrouped")
        tasks = []
        for i, rec in enumerate(records["ungrouped"][:n]):
            payload = backend.task_payload(rec)
            answer = "Ad" if i % 3 else "Non-Ad"
            result = [{"from_name": "is_ad", "to_name": "text", "type": "choices",
                       "value": {"choices": [answer]}}]
            if answer == "Ad":
                result.append({"from_name": "vertical", "to_name": "text", "type": "choices",
                               "value": {"choices": ["Retail"]}})
            payload["annotations"] = [{"result": result, "completed_by": annotators[i % 2],
                                       "lead_time": 4.0}]
            tasks.append(payload)
        for start in range(0, len(tasks), 2000):
            backend.api.import_tasks(project["id"], tasks[start:start + 2000])
        start = time.perf_counter()
        exported = backend.api.export_annotated(project["id"])
        raw = time.perf_counter() - start
        assert sum(len(t["annotations"]) for t in exported) == n
    finally:
        backend.close()
    start = time.perf_counter()
    summary = run_pull(data_dir, cfg)
    pull = time.perf_counter() - start
    assert summary.annotations == n, summary.line()
    return raw, pull


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="tasks / annotations (default 10000)")
    parser.add_argument("--repeats", type=int, default=2, help="raw/push pairs (median reported)")
    parser.add_argument("--data-dir", type=Path, help="reuse the Label Studio of this data dir")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH,
                        help=f"push's tasks per import call (default: labeling.batch_size, {DEFAULT_BATCH})")
    parser.add_argument("--skip-pull", action="store_true", help="only the push comparison")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="wb-bench-labeling-"))
    started = False
    try:
        if args.data_dir:
            base = args.data_dir
            creds = server.load_credentials(base)
        else:
            base = tmp / "server"
            print("starting a throw-away Label Studio (fresh DB: about a minute of migrations) ...")
            t0 = time.perf_counter()
            _, creds, _ = server.start(base, LabelingConfig(), port=server.free_port(), detach=True)
            started = True
            print(f"  ready in {time.perf_counter() - t0:.1f} s at {creds.url}")
        port = int(creds.url.rsplit(":", 1)[1])
        data = tmp / "data"
        make_data(data, args.n)
        (data / "labelstudio").mkdir(parents=True, exist_ok=True)
        shutil.copy2(server.credentials_path(base), data / "labelstudio" / "credentials.json")

        stamp = time.strftime("%H%M%S")
        raws, pushes = [], []
        for r in range(args.repeats):
            raws.append(time_raw_import(data, config(f"raw{stamp}{r}", port), "ungrouped"))
            pushes.append(time_push(data, config(f"push{stamp}{r}", port, args.batch_size)))
            print(f"  run {r + 1}: raw import {raws[-1]:.2f} s, push {pushes[-1]:.2f} s")
        t0 = time.perf_counter()
        plan_push(data, config("plan", port), labeling_taxonomy(config("plan", port))[0])
        plan = time.perf_counter() - t0
        again_t0 = time.perf_counter()
        again, _ = run_push(data, config(f"push{stamp}0", port, args.batch_size))
        again_s = time.perf_counter() - again_t0
        assert all(x.added == 0 for x in again)

        figures: dict[str, float] = {}
        raw_m, push_m = statistics.median(raws), statistics.median(pushes)
        print(f"push {args.n} tasks with predictions (batches of {args.batch_size}): {push_m:.2f} s vs one "
              f"raw import call {raw_m:.2f} s -> ratio {push_m / raw_m:.2f} (target <= 1.3; "
              f"planning alone {plan:.2f} s)")
        print(f"push again (nothing new): {again_s:.2f} s")
        figures.update({"n": args.n, "batch_size": args.batch_size, "raw_import_s": round(raw_m, 2),
                        "push_s": round(push_m, 2), "push_over_raw": round(push_m / raw_m, 3),
                        "plan_s": round(plan, 2), "push_again_s": round(again_s, 2),
                        "runs": [[round(r, 2), round(p, 2)] for r, p in zip(raws, pushes, strict=True)]})
        if args.skip_pull:
            if args.out:
                args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
            return
        taxonomy, _ = labeling_taxonomy(config("x", port))
        probe = LabelStudioBackend(data, config("x", port).labeling, taxonomy)
        emails = [f"bench-a-{stamp}@example.com", f"bench-b-{stamp}@example.com"]
        for email in emails:
            probe.add_user(email, group=None, password="bench-password-123")
        ids = {v: k for k, v in probe.user_emails().items()}
        probe.close()
        raw_export, pull = time_pull(data, config(f"pull{stamp}", port), args.n, [ids[e] for e in emails])

        figures.update({"raw_export_s": round(raw_export, 2), "pull_s": round(pull, 2),
                        "pull_over_raw_export": round(pull / raw_export, 3),
                        "pull_annotations_per_s": round(args.n / pull, 1)})
        print(f"pull {args.n} annotations: {pull:.2f} s ({args.n / pull:.0f}/s) vs raw export call "
              f"{raw_export:.2f} s -> ratio {pull / raw_export:.2f}")
        if args.out:
            args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    finally:
        if started:
            server.stop(base)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
