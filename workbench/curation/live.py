"""Pre-annotations that learn while annotators label: a polling refresher for Label Studio.

``workbench label serve --live`` starts this module detached (``python -m
workbench.curation.live --data-dir DIR``); ``label stop`` stops it. It lives in curation, not
labeling, because it fits a curation-registry classifier and labeling sits below curation.

Polling, not webhooks: the annotator's request never waits on anything of ours (Label Studio
serves the annotation exactly as without the refresher; the refresher only reads a counter per
project every ``poll_s``), nothing listens on a port, and a refresher that was down catches up on
its next poll. A refresh runs when at least ``min_new`` annotations were added since the last one
and ``min_interval_s`` has passed (debounce).

A refresh: read and validate every annotation (``LabelStudioBackend.fetch`` +
``validate_annotations``, no snapshot written), fit the classifier per top-level single-choice
task (``is_ad``) on the majority label of each labeled message, predict the next ``max_tasks``
tasks per project nobody has annotated yet, delete their old predictions and import the new ones
(``write_batch`` tasks per call) with ``model_version = "<prefix>-<n labels>-<hash of the
labels>"``. Answers of other tasks in an old prediction (``vertical``...) are carried over while
their ``when`` holds, so annotators see one prediction per task. Only a new annotation count
triggers a refresh: an edited annotation waits for the next new one.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.amharic.strings import normalize
from workbench.core.config import CleaningConfig
from workbench.core.errors import WorkbenchError
from workbench.core.taxonomy import Taxonomy
from workbench.curation.classifiers import AUTO, featurize, fit_predict, get_classifier
from workbench.labeling.labelstudio.backend import LabelStudioBackend
from workbench.labeling.pull import validate_annotations
from workbench.labeling.taxonomy_render import TEXT_NAME


@dataclass(frozen=True)
class Refresh:
    """What one refresh did."""

    model_version: str
    labeled: int
    predicted: int
    seconds: float
    #: Seconds per phase: read (annotations + task listing), fit (features, model), write.
    phases: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        """One log line."""
        parts = ", ".join(f"{k} {v:.2f}s" for k, v in self.phases.items())
        return (f"refresh {self.model_version}: {self.labeled} labeled messages, "
                f"{self.predicted} tasks re-predicted in {self.seconds:.2f}s ({parts})")


def annotation_count(backend: LabelStudioBackend) -> int:
    """Total annotations over the managed projects (one cheap listing call)."""
    return sum(int(p.get("total_annotations_number") or 0)
               for p in backend.managed_projects().values())


def _majority(labels: dict[str, list[str]]) -> dict[str, str]:
    # Ties go to the label sorted first: deterministic, and rare on the tasks that matter.
    out = {}
    for uid, values in labels.items():
        counts = Counter(values)
        best = max(counts.values())
        out[uid] = sorted(v for v, c in counts.items() if c == best)[0]
    return out


def _version(prefix: str, targets: dict[str, dict[str, str]]) -> tuple[str, int]:
    items = sorted((t, u, v) for t, by_uid in targets.items() for u, v in by_uid.items())
    digest = hashlib.sha256(repr(items).encode()).hexdigest()[:8]
    labeled = len({u for _, u, _ in items})
    return f"{prefix}-{labeled}-{digest}", labeled


def _consistent(fresh: list[dict[str, Any]], kept: list[dict[str, Any]],
                conditions: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """Drop carried-over answers whose ``when`` no longer holds (a vertical once is_ad is Non-Ad)."""
    out = list(kept)
    while True:  # conditions chain: dropping one answer may unsettle another
        answers = {r["from_name"]: set((r.get("value") or {}).get("choices") or []) for r in fresh + out}
        nxt = [r for r in out if r["from_name"] not in conditions
               or conditions[r["from_name"]][1] in answers.get(conditions[r["from_name"]][0], set())]
        if len(nxt) == len(out):
            return out
        out = nxt


def refresh_once(backend: LabelStudioBackend, taxonomy: Taxonomy, *, classifier: str = "tfidf_lr",
                 prefix: str = "live", seed: int = 0, encoder: str | None = None,
                 cleaning: CleaningConfig | None = None, write_batch: int = 500,
                 max_tasks: int = 1000) -> Refresh | None:
    """Retrain on the current annotations and replace the unlabeled tasks' predictions.

    Returns
    -------
    Refresh or None
        None when no task has two labels yet to learn from (nothing is changed then).
    """
    start = time.perf_counter()
    annotations, _ = validate_annotations(backend.fetch(), taxonomy)
    tasks = [t for t in taxonomy.tasks if t.kind == "single" and t.when is None]
    targets: dict[str, dict[str, str]] = {}
    for task in tasks:
        rows = annotations.filter(annotations["task"] == task.name)
        by_uid: dict[str, list[str]] = {}
        for uid, value in zip(rows["uid"].to_list(), rows["value"].to_list(), strict=True):
            if value:
                by_uid.setdefault(uid, []).append(value[0])
        majority = _majority(by_uid)
        if len(set(majority.values())) >= 2:
            targets[task.name] = majority
    if not targets:
        return None
    version, labeled = _version(prefix, targets)
    # Every task of every managed project: texts to featurize, the unlabeled ones to predict.
    projects = backend.managed_projects()
    listing: list[tuple[int, dict[str, Any]]] = []
    for project in projects.values():
        for t in backend.api.iter_tasks(project["id"], include="id,data,total_annotations,predictions"):
            listing.append((int(project["id"]), t))
    # The classifier reads text as curation's does (text_norm: homophones unified).
    clean = cleaning or CleaningConfig()
    texts = [normalize(str((t.get("data") or {}).get("text") or ""), clean) for _, t in listing]
    uids = [str((t.get("data") or {}).get("uid")) for _, t in listing]
    # The next max_tasks unlabeled tasks of each project in queue order (task id = push order).
    unlabeled, per_project = [], Counter()
    for i, (project_id, t) in sorted(enumerate(listing), key=lambda it: (it[1][0], int(it[1][1]["id"]))):
        if not int(t.get("total_annotations") or 0) and per_project[project_id] < max_tasks:
            per_project[project_id] += 1
            unlabeled.append(i)
    phases = {"read": time.perf_counter() - start}
    if not unlabeled:
        return Refresh(version, labeled, 0, time.perf_counter() - start, phases)
    spec = get_classifier(classifier, encoder=encoder)
    x = featurize(texts, spec)
    index = {u: i for i, u in enumerate(uids)}
    results: dict[int, list[dict[str, Any]]] = {i: [] for i in unlabeled}
    for task in tasks:
        majority = targets.get(task.name)
        if majority is None:
            continue
        train = [(index[u], v) for u, v in majority.items() if u in index]
        values = task.values
        y = np.array([values.index(v) for _, v in train])
        probs = fit_predict(spec, seed, x[[i for i, _ in train]], y, x[unlabeled], len(values))
        for row, i in enumerate(unlabeled):
            k = int(probs[row].argmax())
            results[i].append({"from_name": task.name, "to_name": TEXT_NAME, "type": "choices",
                               "value": {"choices": [values[k]]}, "score": float(probs[row, k])})
    conditions = {t.name: (t.when.task, t.when.equals) for t in taxonomy.tasks if t.when}
    phases["fit"] = time.perf_counter() - start - phases["read"]
    predictions = []
    for i in unlabeled:
        project_id, t = listing[i]
        fresh = results[i]
        learned = {r["from_name"] for r in fresh}
        # Keep the other tasks' answers of the newest old prediction (rules' vertical, tags...).
        old = sorted(t.get("predictions") or [], key=lambda p: p.get("id") or 0)
        kept = [r for r in (old[-1].get("result") or [] if old else [])
                if isinstance(r, dict) and r.get("from_name") not in learned]
        kept = _consistent(fresh, kept, conditions)
        predictions.append((project_id, {
            "task": int(t["id"]), "model_version": version,
            "score": min(r["score"] for r in fresh), "result": fresh + kept,
        }))
    for project_id in sorted({p for p, _ in predictions}):
        mine = [p for pid, p in predictions if pid == project_id]
        # Small batches: SQLite has one writer, and one 9,000-prediction write held the lock so
        # long that an annotator's Submit failed with "database is locked" (bench/live.py).
        for lo in range(0, len(mine), write_batch):
            batch = mine[lo:lo + write_batch]
            t0 = time.perf_counter()
            backend.api.delete_predictions(project_id, [p["task"] for p in batch])
            t1 = time.perf_counter()
            backend.api.import_predictions(project_id, batch)
            phases["delete"] = phases.get("delete", 0.0) + t1 - t0
            phases["import"] = phases.get("import", 0.0) + time.perf_counter() - t1
        # The labeling UI shows the project's model version first.
        backend.api.update_project(project_id, model_version=version)
    return Refresh(version, labeled, len(predictions), time.perf_counter() - start, phases)


def run(backend: LabelStudioBackend, taxonomy: Taxonomy, *, poll_s: float, min_interval_s: float,
        min_new: int, classifier: str, prefix: str, stop: threading.Event,
        log: Any = print, encoder: str | None = None, cleaning: CleaningConfig | None = None,
        write_batch: int = 500, max_tasks: int = 1000) -> None:
    """Poll the annotation count; refresh when debouncing allows, until ``stop`` is set."""
    seen = -1  # the first poll refreshes once when labels exist (predictions may predate them)
    last = float("-inf")
    while not stop.is_set():
        try:
            count = annotation_count(backend)
            if (seen < 0 or count - seen >= min_new) and time.monotonic() - last >= min_interval_s:
                done = refresh_once(backend, taxonomy, classifier=classifier, prefix=prefix,
                                    encoder=encoder, cleaning=cleaning, write_batch=write_batch,
                                    max_tasks=max_tasks)
                seen, last = count, time.monotonic()
                if done is not None:
                    log(done.line())
        except WorkbenchError as exc:  # a server restart: try again on the next poll
            log(f"refresh failed: {exc}")
        stop.wait(poll_s)


def live_classifier(live: str | None, flag: str) -> str:
    """The registry name to fit: the live setting, else curate flag's single-choice entry.

    Curate flag's ``auto`` becomes tfidf_lr: comparing models at every refresh is too slow.

    >>> live_classifier(None, "auto"), live_classifier(None, "tfidf_nb"), live_classifier("word_char_lr", "auto")
    ('tfidf_lr', 'tfidf_nb', 'word_char_lr')
    """
    name = live or flag
    return "tfidf_lr" if name == AUTO else name


def main(argv: list[str] | None = None) -> int:
    """Entry point of the detached refresher process."""
    from workbench.core.cli_options import resolve
    from workbench.labeling.backends import labeling_taxonomy
    from workbench.labeling.labelstudio.live_process import live_pid_path

    parser = argparse.ArgumentParser(prog="python -m workbench.curation.live")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        cfg, root = resolve(args.data_dir, args.config)
        taxonomy, _ = labeling_taxonomy(cfg)
        # The live loop retrains single-choice tasks only: their entry of the per-kind setting.
        classifier = live_classifier(cfg.labeling.live.classifier,
                                     cfg.curation.flag.classifier_for("single"))
        encoder = cfg.curation.flag.encoder
        get_classifier(classifier, encoder=encoder)  # a typo fails now, not on every poll
        backend = LabelStudioBackend(root, cfg.labeling, taxonomy)
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    live = cfg.labeling.live
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    pid = live_pid_path(root)
    pid.write_text(str(os.getpid()), encoding="utf-8")
    try:
        run(backend, taxonomy, poll_s=live.poll_s, min_interval_s=live.min_interval_s,
            min_new=live.min_new, classifier=classifier, prefix=live.model_version_prefix,
            encoder=encoder, cleaning=cfg.cleaning, write_batch=live.write_batch,
            max_tasks=live.max_tasks, stop=stop,
            log=lambda line: print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}", flush=True))
    finally:
        backend.close()
        pid.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
