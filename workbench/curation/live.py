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
``validate_annotations``, no snapshot written), fit a model per task that has two classes seen
(:mod:`workbench.curation.live_model`: ``is_ad``; ``vertical`` on the messages whose resolved
is_ad is Ad; ``tags``, one binary model per label, an empty answer counting as "none"), with the
classifier of the task's kind (``curation.flag.classifier``), predict the next ``max_tasks`` tasks
per project nobody has annotated yet, delete their old predictions and import the new ones
(``write_batch`` tasks per call) with ``model_version = "<prefix>-<n labeled messages>-<hash of
the labels>"``. A conditional answer is shown only where its ``when`` holds among the answers
shown (a learned vertical only where is_ad is predicted Ad). Tasks not learned yet keep the old
prediction's answer, under the same condition, so annotators see one prediction per task. Only a
new annotation count triggers a refresh: an edited annotation waits for the next new one.
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.amharic.strings import normalize
from workbench.core.config import CleaningConfig
from workbench.core.errors import WorkbenchError
from workbench.core.settings.curation import FlagConfig
from workbench.core.taxonomy import Taxonomy
from workbench.curation.channel_prior import channel_keys
from workbench.curation.classifiers import ClassifierSpec, get_classifier
from workbench.curation.live_model import (
    Targets,
    consistent,
    live_classifiers,
    predict_answers,
    training_targets,
)
from workbench.curation.rule_prior import rule_priors
from workbench.labeling.labelstudio.backend import LabelStudioBackend
from workbench.labeling.pull import validate_annotations
from workbench.labeling.records import REVIEW_PROJECT
from workbench.labeling.rules import Rules, load_rules


@dataclass(frozen=True)
class Refresh:
    """What one refresh did."""

    model_version: str
    labeled: int
    predicted: int
    seconds: float
    #: Seconds per phase: read (annotations + task listing), fit (features, model), write.
    phases: dict[str, float] = field(default_factory=dict)
    #: The taxonomy tasks a model was fitted for, in taxonomy order (the others kept old answers).
    learned: tuple[str, ...] = ()

    def line(self) -> str:
        """One log line.

        >>> Refresh("live-3-ab12cd34", 3, 9, 1.5, {"read": 0.5}, ("is_ad", "tags")).line()
        'refresh live-3-ab12cd34: 3 labeled messages, 9 tasks re-predicted in 1.50s (read 0.50s); learned: is_ad, tags'
        """
        parts = ", ".join(f"{k} {v:.2f}s" for k, v in self.phases.items())
        return (f"refresh {self.model_version}: {self.labeled} labeled messages, "
                f"{self.predicted} tasks re-predicted in {self.seconds:.2f}s ({parts}); "
                f"learned: {', '.join(self.learned) or 'nothing'}")


def annotation_count(backend: LabelStudioBackend) -> int:
    """Total annotations over the managed projects (one cheap listing call)."""
    return sum(int(p.get("total_annotations_number") or 0)
               for p in backend.managed_projects().values())


def _version(prefix: str, targets: Targets) -> tuple[str, int]:
    items = sorted((t, u, tuple(v)) for t, by_uid in targets.items() for u, v in by_uid.items())
    digest = hashlib.sha256(repr(items).encode()).hexdigest()[:8]
    labeled = len({u for _, u, _ in items})
    return f"{prefix}-{labeled}-{digest}", labeled


def _classifier_specs(classifier: str | Mapping[str, str] | None,
                      encoder: str | None) -> dict[str, ClassifierSpec]:
    names = live_classifiers(classifier if isinstance(classifier, str) else None, FlagConfig())
    if isinstance(classifier, Mapping):
        names |= classifier  # a kind left out keeps curation's default
    # One spec per name, so kinds that share a name (or a featurizer) share one feature matrix.
    specs = {name: get_classifier(name, encoder=encoder) for name in set(names.values())}
    return {kind: specs[name] for kind, name in names.items()}


def prediction_targets(listing: list[tuple[int, dict[str, Any]]], *, max_tasks: int,
                       skip: set[int]) -> list[int]:
    """Positions in ``listing`` of the tasks a refresh re-predicts.

    The next ``max_tasks`` unannotated tasks of each project, in queue order (task id = push
    order), except in the ``skip`` projects: the review project's predictions are the flagged
    labels' suggestions from ``curate flag``, which a reviewer must see, not the live model's.

    Examples
    --------
    >>> listing = [(1, {"id": 3}), (1, {"id": 2, "total_annotations": 1}), (1, {"id": 1}),
    ...            (9, {"id": 4})]
    >>> prediction_targets(listing, max_tasks=5, skip={9})
    [2, 0]
    """
    targets, per_project = [], Counter()
    for i, (project_id, t) in sorted(enumerate(listing), key=lambda it: (it[1][0], int(it[1][1]["id"]))):
        if project_id in skip or int(t.get("total_annotations") or 0):
            continue
        if per_project[project_id] < max_tasks:
            per_project[project_id] += 1
            targets.append(i)
    return targets


def refresh_once(backend: LabelStudioBackend, taxonomy: Taxonomy, *,
                 classifier: str | Mapping[str, str] | None = None,
                 prefix: str = "live", seed: int = 0, encoder: str | None = None,
                 cleaning: CleaningConfig | None = None, write_batch: int = 500,
                 max_tasks: int = 1000, rules: Rules | None = None,
                 channel_prior: bool = True) -> Refresh | None:
    """Retrain on the current annotations and replace the unlabeled tasks' predictions.

    Parameters
    ----------
    backend, taxonomy
        The Label Studio projects and the taxonomy their annotations follow.
    classifier
        Registry name per task kind (``{"single": ..., "multi": ...}``), one name for every kind,
        or None for curation's defaults (:func:`live_classifiers`).
    prefix, seed, encoder, cleaning, write_batch, max_tasks
        Model version prefix, model seed, ``embed_lr``'s encoder, text normalisation, tasks per
        write call, unlabeled tasks re-predicted per project.
    rules
        The labeling rules, pooled into the tasks they cover as ``curate flag`` pools them
        (None: the classifier alone).
    channel_prior
        Pool the labels of each task's channel (read from its ``uid``) as ``curate flag`` does.

    Returns
    -------
    Refresh or None
        None when no task has two labels yet to learn from (nothing is changed then).
    """
    start = time.perf_counter()
    specs = _classifier_specs(classifier, encoder)
    annotations, _ = validate_annotations(backend.fetch(), taxonomy)
    tasks, targets = training_targets(annotations, taxonomy)
    if not targets:
        return None
    learned = tuple(t.name for t in tasks if t.name in targets)
    version, labeled = _version(prefix, targets)
    # Every task of every managed project: texts to featurize, the unlabeled ones to predict.
    projects = backend.managed_projects()
    listing: list[tuple[int, dict[str, Any]]] = []
    for project in projects.values():
        for t in backend.api.iter_tasks(project["id"], include="id,data,total_annotations,predictions"):
            listing.append((int(project["id"]), t))
    # The classifier reads text as curation's does (text_norm: homophones unified).
    clean = cleaning or CleaningConfig()
    raw_texts = [str((t.get("data") or {}).get("text") or "") for _, t in listing]
    texts = [normalize(text, clean) for text in raw_texts]
    uids = [str((t.get("data") or {}).get("uid")) for _, t in listing]
    review = projects.get(REVIEW_PROJECT)
    unlabeled = prediction_targets(listing, max_tasks=max_tasks,
                                   skip={int(review["id"])} if review else set())
    phases = {"read": time.perf_counter() - start}
    if not unlabeled:
        return Refresh(version, labeled, 0, time.perf_counter() - start, phases, learned)
    evidence = None
    if rules is not None:
        evidence = rule_priors(pl.DataFrame({"uid": uids, "text": raw_texts}), tasks, rules,
                               cleaning=clean)
    channels = channel_keys(pl.DataFrame({"uid": uids})) if channel_prior else None
    answers = predict_answers(texts, uids, unlabeled, tasks, targets, specs, seed=seed,
                              evidence=evidence, channels=channels)
    learned = tuple(answers)
    conditions = {t.name: t.when for t in tasks if t.when}
    phases["fit"] = time.perf_counter() - start - phases["read"]
    predictions = []
    for row, i in enumerate(unlabeled):
        project_id, t = listing[i]
        fresh = [a for a in (answers[name][row] for name in learned) if a is not None]
        # Keep the other tasks' answers of the newest old prediction (rules' vertical, tags...).
        old = sorted(t.get("predictions") or [], key=lambda p: p.get("id") or 0)
        kept = [r for r in (old[-1].get("result") or [] if old else [])
                if isinstance(r, dict) and r.get("from_name") not in learned]
        # A learned vertical shows only where the (fresh or kept) is_ad opens it; likewise kept ones.
        result = consistent(fresh + kept, conditions)
        if not result:  # nothing to show (no old prediction, every fresh answer closed)
            continue
        scores = [float(r["score"]) for r in result if isinstance(r.get("score"), (int, float))]
        predictions.append((project_id, {
            "task": int(t["id"]), "model_version": version,
            # The task-level score is the weakest shown answer's, as push writes it.
            "score": min(scores) if scores else 0.0, "result": result,
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
    return Refresh(version, labeled, len(predictions), time.perf_counter() - start, phases, learned)


def run(backend: LabelStudioBackend, taxonomy: Taxonomy, *, poll_s: float, min_interval_s: float,
        min_new: int, classifier: str | Mapping[str, str] | None, prefix: str, stop: threading.Event,
        log: Any = print, encoder: str | None = None, cleaning: CleaningConfig | None = None,
        write_batch: int = 500, max_tasks: int = 1000, rules: Rules | None = None,
        channel_prior: bool = True) -> None:
    """Poll the annotation count; refresh when debouncing allows, until ``stop`` is set."""
    seen = -1  # the first poll refreshes once when labels exist (predictions may predate them)
    last = float("-inf")
    while not stop.is_set():
        try:
            count = annotation_count(backend)
            if (seen < 0 or count - seen >= min_new) and time.monotonic() - last >= min_interval_s:
                done = refresh_once(backend, taxonomy, classifier=classifier, prefix=prefix,
                                    encoder=encoder, cleaning=cleaning, write_batch=write_batch,
                                    max_tasks=max_tasks, rules=rules,
                                    channel_prior=channel_prior)
                seen, last = count, time.monotonic()
                if done is not None:
                    log(done.line())
        except WorkbenchError as exc:  # a server restart: try again on the next poll
            log(f"refresh failed: {exc}")
        stop.wait(poll_s)


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
        # Per task kind, curate flag's classifier unless the live setting names one for all.
        classifier = live_classifiers(cfg.labeling.live.classifier, cfg.curation.flag)
        encoder = cfg.curation.flag.encoder
        _classifier_specs(classifier, encoder)  # a typo fails now, not on every poll
        # Pooled as curate flag pools them, so the first refreshes keep what the rules knew.
        rules = (load_rules(cfg.labeling.rules, taxonomy=taxonomy)
                 if cfg.curation.flag.rule_prior else None)
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
            max_tasks=live.max_tasks, stop=stop, rules=rules,
            channel_prior=cfg.curation.flag.channel_prior,
            log=lambda line: print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}", flush=True))
    finally:
        backend.close()
        pid.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
