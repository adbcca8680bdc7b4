"""``workbench eval run SUITE``: generate with every system, score, bootstrap, record lineage.

Output, under ``DIR/eval/<eval_id>/`` (``eval_id`` = ``<suite>-<UTC time>-<4 hex>``)::

    suite.yaml           the suite as run (every default spelled out)
    items.parquet        the evaluation items: prompt, reference, brief
    generations.parquet  item x system x sample: the text each system wrote, the output checks
                         ``workbench generate`` runs (one column per check, ``checks_passed``,
                         the failed kinds; see output_checks.py), novelty and moderation flags
    scores.parquet       item x system x metric: per-item scores (mean over samples)
    summary.parquet      task x system x metric: mean, 95% bootstrap CI, corpus value, rank
    paired.parquet       task x metric x system pair: paired bootstrap difference, CI, p-value
    summary.json         the same summary in JSON, plus notes, the ranking metric, the check
                         failures per system and kind with examples (``errors``) and the
                         moderation flags per system and tag (``moderation``; see errors.py)
    manifest.json        inputs' hashes (split manifest, splits, suite, metric modules, runs),
                         every system's lineage (run id, base, split manifest and label snapshot
                         it was trained on), the label snapshot of the evaluation split, versions

Scores are computed on normalised text by default (homophones unified, Latin lower-cased on both
sides, ``score_on: normalized``): the project's rule is normalise for comparison, never for training.
Per-item scores are sentence-level; the summary's ``mean`` is their mean (the quantity the
bootstrap resamples), and ``corpus`` is the metric's own corpus-level value (corpus chrF, corpus
BLEU, pooled distinct-n, token-weighted perplexity) for comparison with published numbers.

Beside the suite's metrics every task gets three derived per-item metrics (:data:`DERIVED`):
``novelty`` (1 - the largest n-gram overlap with any train text or ad shown in the prompt),
``check_pass_rate`` (share of the item's samples passing every check) and the ranking metric
``<metric>@checked`` (the suite's ``ranking``: the plain metric where the checks pass,
``failed_checks_score`` where they fail), so they get CIs and paired tests like the others. The
leaderboard ranks by the ranking metric; a system whose share of copies exceeds
``ranking.mostly_copies`` is flagged ``mostly_copies`` in the summary.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.config import ProjectConfig
from workbench.core.errors import ConfigError, DataContractError
from workbench.core.io import (
    read_parquet_checked,
    sha256_file,
    write_json_atomic,
    write_parquet_atomic,
    write_text_atomic,
)
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import (
    EvalManifest,
    InputFile,
    OutputFile,
    SplitsManifest,
    envelope,
    read_manifest,
    recorded_path,
    write_manifest,
)
from workbench.core.prompts import PromptSpec
from workbench.evaluation.copy_aware import (
    annotate,
    copy_shares,
    derived_metrics,
    derived_scores,
)
from workbench.evaluation.errors import check_failures, moderation_flags
from workbench.evaluation.eval_dirs import eval_root, new_eval_id
from workbench.evaluation.held_out import LINEAGE_KEY, not_held_out
from workbench.evaluation.metrics import MetricDef, compute, module_path, resolve_metric
from workbench.evaluation.moderation import (
    MODERATION_SCHEMA,
    fit_tag_moderation,
)
from workbench.evaluation.output_checks import CHECK_SCHEMA, OutputChecker
from workbench.evaluation.result import EvalResult
from workbench.evaluation.suite import Suite
from workbench.evaluation.summary import SUMMARY_SCHEMA, summarise
from workbench.evaluation.systems import System, eval_prompt_spec, resolve_system
from workbench.evaluation.tasks import EvalItem, build_items

Log = Callable[[str], None]

REQUIRED_COLUMNS = ("uid", "channel_name", "text", "is_ad")

GENERATIONS_SCHEMA: dict[str, pl.DataType] = {
    "eval_id": pl.Utf8, "task": pl.Utf8, "item_id": pl.Utf8, "uid": pl.Utf8, "system": pl.Utf8,
    "sample": pl.Int64, "seed": pl.Int64, "prompt": pl.Utf8, "prompt_sha256": pl.Utf8,
    "brief": pl.Utf8, "text": pl.Utf8,
    "reference": pl.Utf8, "source_uid": pl.Utf8, "seconds": pl.Float64,
    **CHECK_SCHEMA, **MODERATION_SCHEMA,
}
SCORES_SCHEMA: dict[str, pl.DataType] = {
    "eval_id": pl.Utf8, "task": pl.Utf8, "item_id": pl.Utf8, "uid": pl.Utf8, "system": pl.Utf8,
    "metric": pl.Utf8, "value": pl.Float64, "samples": pl.Int64,
}

def load_splits(data_dir: Path, suite: Suite) -> tuple[dict[str, pl.DataFrame], SplitsManifest]:
    """The train and held-out splits and the split manifest (one clear error when absent)."""
    lay = Layout(data_dir)
    hint = "run the curation step (`workbench curate split`) first"
    manifest = read_manifest(lay.splits_manifest, SplitsManifest, hint=hint)
    splits = {name: read_parquet_checked(lay.split(name), REQUIRED_COLUMNS, hint)
              for name in sorted({"train", suite.items.split})}
    return splits, manifest


def _split_facts(frame: pl.DataFrame, suite: Suite) -> str:
    ads = frame.filter(pl.col("is_ad") == "Ad").height
    return (f"{frame.height} messages, {ads} labelled Ad; texts need {suite.items.min_chars}+ "
            "characters")


def _normalizer(suite: Suite, cfg: ProjectConfig) -> Callable[[str], str]:
    if suite.score_on == "original":
        return lambda text: text
    from workbench.core.amharic.strings import normalize

    def norm(text: str) -> str:
        # Line by line: normalize collapses whitespace, and line breaks are kept.
        return "\n".join(normalize(line, cfg.cleaning) for line in text.splitlines())

    return norm


def _generate(system: System, items: list[EvalItem], suite: Suite, max_new_tokens: int,
              eval_id: str) -> list[dict[str, Any]]:
    from workbench.core.sampling import item_seed

    rows = []
    prompts = [it.prompt for it in items]
    briefs = [it.brief for it in items]
    for sample in range(suite.samples):
        seed = suite.seed + sample
        start = time.perf_counter()
        texts = system.generate(prompts, seed=seed, max_new_tokens=max_new_tokens,
                                task=items[0].task, briefs=briefs)
        per_item = (time.perf_counter() - start) / max(1, len(items))
        sources = getattr(system, "last_sources", None) or [None] * len(items)
        for it, text, source in zip(items, texts, sources, strict=True):
            rows.append({"eval_id": eval_id, "task": it.task, "item_id": it.item_id,
                         "uid": it.uid, "system": system.name, "sample": sample,
                         "seed": item_seed(seed, it.prompt), "prompt": it.prompt,
                         "prompt_sha256": it.prompt_sha256, "brief": it.brief_json(), "text": text, "reference": it.reference,
                         "source_uid": source, "seconds": per_item})
    return rows


def _score(system: System, metric: MetricDef, items: list[EvalItem], gens: list[dict[str, Any]],
           norm: Callable[[str], str], suite: Suite
           ) -> tuple[list[float], float, dict[str, Any], dict[str, list[float]]]:
    """Per-item scores (mean over samples), the corpus value, facts, and item -> per-sample values.

    The per-sample values are empty for model metrics (perplexity ignores the samples).
    """
    by_item: dict[str, list[float]] = {it.item_id: [] for it in items}
    corpus_values = []
    extra: dict[str, Any] = {}
    if "model" in metric.needs:
        # Perplexity is a property of the system's model on the reference: samples do not matter.
        args = system.scoring_model([it.prompt for it in items], items[0].task)
        res = compute(metric, [""] * len(items), references=[it.reference for it in items],
                      model=args)
        return res.items, res.corpus, res.extra, {}
    for sample in range(suite.samples):
        rows = [g for g in gens if g["sample"] == sample]
        texts = {g["item_id"]: g["text"] or "" for g in rows}
        preds = [norm(texts[it.item_id]) for it in items]
        refs = [norm(it.reference) for it in items]
        briefs = [norm(it.brief_json()) for it in items]
        res = compute(metric, preds, references=refs, briefs=briefs)
        for it, value in zip(items, res.items, strict=True):
            by_item[it.item_id].append(value)
        corpus_values.append(res.corpus)
        extra = res.extra
    values = []
    for it in items:
        finite = [v for v in by_item[it.item_id] if math.isfinite(v)]
        values.append(sum(finite) / len(finite) if finite else math.nan)
    finite_corpus = [c for c in corpus_values if math.isfinite(c)]
    corpus = sum(finite_corpus) / len(finite_corpus) if finite_corpus else math.nan
    return values, corpus, extra, by_item


def run_suite(suite: Suite, suite_path: Path | None, data_dir: Path, cfg: ProjectConfig, *,
              eval_id: str | None = None, limit: int | None = None,
              only: Sequence[str] | None = None, log: Log | None = None) -> EvalResult:
    """Run an evaluation suite end to end.

    Parameters
    ----------
    suite
        The validated suite.
    suite_path
        Its file (hashed into the manifest), if any.
    data_dir
        Root of the stage folders (reads ``curated/splits``, ``runs``; writes ``eval``).
    cfg
        Project config (normalisation, generation registry settings).
    eval_id
        Output folder name (default: a new id).
    limit
        Cap on items per task (overrides ``items.n`` when smaller).
    only
        Evaluate only these systems (names from the suite).
    log
        Progress lines (default: none).

    Returns
    -------
    EvalResult
        Summary, paired tests, output folder.
    """
    say = log or (lambda _line: None)
    started = time.perf_counter()
    if limit is not None:
        n = min(limit, suite.items.n) if suite.items.n else limit
        suite = suite.model_copy(update={"items": suite.items.model_copy(update={"n": n})})
    entries = suite.system_entries()
    if only:
        unknown = [s for s in only if s not in {e.name for e in entries}]
        if unknown:
            msg = (f"--system {unknown[0]}: not in suite '{suite.name}' "
                   f"(systems: {', '.join(e.name for e in entries)})")
            raise ConfigError(msg)
        entries = [e for e in entries if e.name in only]
    metric_defs = {t.name: {m.name: m for m in (resolve_metric(e) for e in t.metrics)}
                   for t in suite.tasks}
    if suite.headline not in {m for defs in metric_defs.values() for m in defs}:
        msg = f"headline metric '{suite.headline}' is not computed by any task of the suite"
        raise ConfigError(msg)
    if suite.ranking_base not in {m for defs in metric_defs.values() for m in defs}:
        msg = (f"ranking metric '{suite.ranking_base}' is not computed by any task of the suite "
               f"(ranking.metric)")
        raise ConfigError(msg)
    derived = derived_metrics(suite)
    splits, split_manifest = load_splits(data_dir, suite)
    split_manifest_path = Layout(data_dir).splits_manifest
    train_path = Layout(data_dir).split("train")
    held_path = Layout(data_dir).split(suite.items.split)
    eval_id = eval_id or new_eval_id(suite)
    out = eval_root(data_dir) / eval_id
    if (out / "summary.json").exists():
        msg = f"{out} already holds an evaluation; pick another --eval-id"
        raise ConfigError(msg)
    notes: list[str] = []
    train_sha = sha256_file(train_path)
    systems: list[System] = []
    lineage: dict[str, dict[str, Any]] = {}
    for entry in entries:
        try:
            system = resolve_system(entry, data_dir, cfg, train=splits["train"],
                                    decoding=suite.decoding, train_sha256=train_sha,
                                    cpu_threads=suite.cpu_threads)
        except ConfigError as exc:
            if not entry.optional:
                raise
            notes.append(f"system '{entry.name}' skipped: {exc}")
            say(f"skip {entry.name}: {exc}")
            continue
        systems.append(system)
    if not systems:
        msg = f"suite '{suite.name}': no system could be resolved ({'; '.join(notes)})"
        raise ConfigError(msg)
    # Systems first: the items' prompts come from the runs' prompt spec.
    prompt_spec = eval_prompt_spec(systems, cfg)
    items: dict[str, list[EvalItem]] = {}
    for task in suite.tasks:
        items[task.name] = build_items(splits, task, suite.items, seed=suite.seed,
                                       spec=prompt_spec)
        if not items[task.name]:
            notes.append(f"{task.name}: skipped, no eligible item in the {suite.items.split} split"
                         f" ({_split_facts(splits[suite.items.split], suite)})")
        say(f"{task.name}: {len(items[task.name])} items")
    if not any(items.values()):
        msg = (f"nothing to evaluate: no task has an eligible item in the {suite.items.split} "
               f"split ({_split_facts(splits[suite.items.split], suite)})")
        raise DataContractError(msg)
    split_manifest_sha256 = sha256_file(split_manifest_path)
    trained_on_items = not_held_out({s.name: s.lineage for s in systems}, items,
                                    split_manifest_sha256, data_dir)
    notes += [found.note for found in trained_on_items]
    norm = _normalizer(suite, cfg)
    checker = OutputChecker(splits["train"], cfg, system_prompt=(
        prompt_spec.system_prompt if prompt_spec is not None else None))
    moderation = fit_tag_moderation(splits["train"], seed=suite.seed)
    if moderation.skipped:
        notes.append(f"moderation: {', '.join(moderation.skipped)} not measured ("
                     + "; ".join(sorted(set(moderation.skipped.values()))) + ")")
    gen_rows: list[dict[str, Any]] = []
    score_rows: list[dict[str, Any]] = []
    corpus: dict[tuple[str, str, str], float] = {}
    metric_extra: dict[str, Any] = {}
    timings: dict[str, float] = {}
    for system in systems:
        t0 = time.perf_counter()
        generated: dict[str, list[dict[str, Any]]] = {}
        for task in suite.tasks:
            if items[task.name]:
                say(f"{system.name}: {task.name} ({len(items[task.name])} items x "
                    f"{suite.samples})")
                generated[task.name] = _generate(system, items[task.name], suite,
                                                 task.max_new_tokens, eval_id)
                annotate(generated[task.name], items[task.name], checker, moderation)
                gen_rows += generated[task.name]
        lineage[system.name] = dict(system.lineage)
        # Free the generating model before the perplexity metric loads its own copy.
        system.close()
        for task in suite.tasks:
            task_items = items[task.name]
            if not task_items:
                continue
            gens = generated[task.name]
            ranking_plain: dict[str, list[float]] | None = None
            for name, metric in metric_defs[task.name].items():
                values, corpus_value, extra, per_sample = _score(system, metric, task_items,
                                                                 gens, norm, suite)
                if name == suite.ranking_base:
                    ranking_plain = per_sample
                corpus[(task.name, system.name, name)] = corpus_value
                if extra:
                    metric_extra[f"{task.name}/{system.name}/{name}"] = extra
                score_rows += [{"eval_id": eval_id, "task": task.name, "item_id": it.item_id,
                                "uid": it.uid, "system": system.name, "metric": name,
                                "value": v if math.isfinite(v) else None,
                                "samples": 1 if "model" in metric.needs else suite.samples}
                               for it, v in zip(task_items, values, strict=True)]
            for name, values in derived_scores(task_items, gens, ranking_plain,
                                                suite).items():
                score_rows += [{"eval_id": eval_id, "task": task.name, "item_id": it.item_id,
                                "uid": it.uid, "system": system.name, "metric": name,
                                "value": v if math.isfinite(v) else None,
                                "samples": suite.samples}
                               for it, v in zip(task_items, values, strict=True)]
        timings[system.name] = round(time.perf_counter() - t0, 2)
    for found in trained_on_items:
        lineage[found.system][LINEAGE_KEY] = found.items_trained_on
    scores = pl.DataFrame(score_rows, schema=SCORES_SCHEMA)
    generations = pl.DataFrame(gen_rows, schema=GENERATIONS_SCHEMA)
    ranked_defs = {task: {**defs, **{n: d for n, d in derived.items()
                                     if n != suite.ranking_metric or suite.ranking_base in defs}}
                   for task, defs in metric_defs.items()}
    summary, paired = summarise(scores, ranked_defs, corpus, suite)
    copies = copy_shares(generations)
    summary = pl.DataFrame(
        [{**row, "copy_share": copies.get((row["task"], row["system"])),
          "mostly_copies": copies.get((row["task"], row["system"]), 0.0)
          > suite.ranking.mostly_copies} for row in summary.iter_rows(named=True)],
        schema=SUMMARY_SCHEMA)
    errors = check_failures(generations)
    flagged = moderation_flags(generations, moderation.facts())
    item_frame = pl.DataFrame(
        [{"task": it.task, "item_id": it.item_id, "uid": it.uid, "channel": it.channel,
          "vertical": it.vertical, "prompt": it.prompt, "prompt_sha256": it.prompt_sha256,
          "reference": it.reference, "brief": it.brief_json(), "context_uids": it.context_uids}
         for task_items in items.values() for it in task_items],
        schema={"task": pl.Utf8, "item_id": pl.Utf8, "uid": pl.Utf8, "channel": pl.Utf8,
                "vertical": pl.Utf8, "prompt": pl.Utf8, "prompt_sha256": pl.Utf8,
                "reference": pl.Utf8, "brief": pl.Utf8, "context_uids": pl.List(pl.Utf8)})
    files = {
        "items.parquet": item_frame,
        "generations.parquet": generations,
        "scores.parquet": scores, "summary.parquet": summary, "paired.parquet": paired,
    }
    outputs: dict[str, dict[str, Any]] = {}
    for name, frame in files.items():
        write_parquet_atomic(out / name, frame)
        outputs[name] = {"rows": frame.height, "sha256": sha256_file(out / name)}
    import yaml

    write_text_atomic(out / "suite.yaml", yaml.safe_dump(suite.model_dump(mode="json"),
                                                         allow_unicode=True, sort_keys=False))
    item_counts = {t: len(v) for t, v in items.items()}
    _write_manifest(out, suite, suite_path, split_manifest_path, split_manifest,
                    [train_path, held_path], metric_defs, lineage, outputs, timings, notes,
                    eval_id, item_counts,
                    {**metric_extra,
                     "derived": {n: d.description for n, d in derived.items()},
                     "moderation": moderation.facts()},
                    prompt_spec)
    write_json_atomic(out / "summary.json", {
        "eval_id": eval_id, "suite": suite.name, "headline": suite.headline,
        "ranking": suite.ranking_metric, "ranking_config": suite.ranking.model_dump(),
        "systems": [s.name for s in systems], "items": item_counts,
        "summary": summary.to_dicts(), "paired": paired.to_dicts(), "notes": notes,
        "errors": errors, "moderation": flagged,
        "seconds": round(time.perf_counter() - started, 2),
    })
    return EvalResult(eval_id=eval_id, out_dir=out, summary=summary, paired=paired,
                      systems=[s.name for s in systems], items=item_counts, notes=notes,
                      ranking=suite.ranking_metric,
                      run_ids={n: f["run_id"] for n, f in lineage.items() if f.get("run_id")})


def _write_manifest(out: Path, suite: Suite, suite_path: Path | None, split_manifest_path: Path,
                    split_manifest: SplitsManifest, split_files: list[Path],
                    metric_defs: dict[str, dict[str, MetricDef]],
                    lineage: dict[str, dict[str, Any]], outputs: dict[str, dict[str, Any]],
                    timings: dict[str, float], notes: list[str], eval_id: str,
                    item_counts: dict[str, int], metric_extra: dict[str, Any],
                    prompt_spec: PromptSpec | None = None) -> None:
    inputs: list[dict[str, Any]] = [
        {"path": recorded_path(split_manifest_path), "sha256": sha256_file(split_manifest_path),
         "role": "split-manifest"},
        *[{"path": recorded_path(p), "sha256": sha256_file(p), "role": "split"} for p in split_files],
    ]
    if suite_path is not None:
        inputs.append({"path": recorded_path(suite_path), "sha256": sha256_file(suite_path), "role": "suite"})
    if prompt_spec is not None:
        inputs.append({"path": prompt_spec.template_path, "sha256": prompt_spec.template_sha256,
                       "role": "prompt-template"})
    modules = sorted({m.module for defs in metric_defs.values() for m in defs.values()})
    inputs += [{"path": recorded_path(module_path(m)), "sha256": sha256_file(module_path(m)),
                "role": "metric-module"} for m in modules]
    for name, facts in lineage.items():
        if facts.get("run_manifest"):
            inputs.append({"path": facts["run_manifest"], "sha256": facts["run_manifest_sha256"],
                           "role": f"training-run:{name}"})
    split_manifest_sha256 = sha256_file(split_manifest_path)
    manifest = EvalManifest(
        **envelope("evaluation"), inputs=[InputFile(**i) for i in inputs],
        outputs={k: OutputFile(**v) for k, v in outputs.items()},
        config=suite.model_dump(mode="json"),
        eval_id=eval_id,
        split_manifest=recorded_path(split_manifest_path),
        split_manifest_sha256=split_manifest_sha256,
        label_snapshot=split_manifest.label_snapshot,
        items=item_counts,
        prompt_spec=(prompt_spec.model_dump(mode="json", exclude={"template"})
                     if prompt_spec is not None else None),
        prompt_spec_sha256=prompt_spec.sha256() if prompt_spec is not None else None,
        systems=lineage,
        run_ids={n: f["run_id"] for n, f in lineage.items() if f.get("run_id")},
        metrics={t: {n: {"module": m.module, "args": dict(m.args),
                         "higher_is_better": m.higher_is_better}
                     for n, m in defs.items()} for t, defs in metric_defs.items()},
        metric_facts=metric_extra,
        seconds_per_system=timings,
        notes=notes,
    )
    write_manifest(out / MANIFEST, manifest)
