"""``workbench generate``: retrieve, prompt, generate, check, and store every candidate.

For each brief the index is searched once for past ads of the target channel and vertical (hybrid
search on the brief's descriptive fields); when that scope has fewer ads than needed, the channel
alone, then the vertical alone, then every ad top the list up, and the scopes used are recorded. Each model
then gets the prompt built from its prompt spec (:func:`workbench.core.prompts.build_prompt`: a
run's own spec from its run folder, else the ``generation:`` section's) with its top
``context_ads`` ads (fewer when the prompt would not fit the model's context), and writes ``n``
candidates.

Output: ``DIR/generations/<UTC time>-<brief id>-<model>.parquet`` (one file per brief and model)
and a ``.manifest.json`` beside it (inputs' hashes: brief, index manifest, prompt template, run
manifest; the generation config; package versions).

Columns (one row per candidate; the evaluation stage reads these names)
-----------------------------------------------------------------------
Identity
    ``candidate_id`` (``<file stem>#<index>``), ``candidate_index`` (0..n-1), ``created_at`` (UTC).
Brief
    ``brief_id``, ``brief_path``, ``brief_sha256`` (of the YAML file), ``brand``,
    ``target_channel``, ``vertical``, ``language``.
Model
    ``model`` (the registry name asked for), ``model_kind`` (baseline / hf / openai), ``run_id``
    (training run, null otherwise), ``model_dir`` (base or merged model folder), ``adapter_dir``,
    ``endpoint_url``, ``endpoint_model``, ``model_facts`` (JSON: dtype, device, merged...).
Prompt
    ``prompt_template`` (path), ``prompt_template_sha256``, ``prompt_spec_sha256``,
    ``system_prompt``, ``prompt_messages`` (JSON: the system and user messages),
    ``prompt_sha256`` (of those messages: equal for equal prompts whichever stage built them),
    ``prompt`` (the exact text the model saw: chat template applied for local models, the JSON
    messages for endpoints, the user message for baselines), ``prompt_tokens`` (null without a
    tokenizer).
Retrieval
    ``retrieval_query``, ``retrieval_scope`` (the scopes that supplied ads, narrowest first:
    channel+vertical, channel, vertical, all, comma-separated),
    ``retrieved_uids`` and ``retrieved_scores`` (every ad retrieved, best first: what the overlap
    check compares with), ``context_uids`` (the ads shown in the prompt), ``source_uid`` (the ad
    the retrieval baseline adapted), ``embedder``, ``index_manifest_sha256``,
    ``label_snapshot_id`` and ``label_snapshot_sha256`` (the labels the index's splits came from).
Decoding
    ``temperature``, ``top_p``, ``max_new_tokens``, ``repetition_penalty``, ``do_sample``,
    ``seed`` (this candidate's seed: ``candidate_seed(decoding seed, user prompt, candidate_index)``).
Timings (seconds)
    ``load_seconds`` (model load, shared by the file's rows), ``retrieval_seconds``,
    ``generate_seconds`` (this candidate); ``completion_tokens``, ``finish_reason``.
Candidate
    ``text``.
Checks (:mod:`workbench.generation.checks`)
    ``has_brand``, ``has_phone``, ``has_handle``, ``has_link``, ``has_short_code`` (null: the
    brief has none),
    ``has_contact``, ``ethiopic_share``, ``ethiopic_ok``, ``length_units``, ``length_limit``,
    ``length_ok``, ``prompt_leak``, ``leaked_text``, ``overlap_ratio``, ``overlap_uid``,
    ``is_copy``, ``check_failures`` (list of failed check names), ``checks_passed``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.briefs import BriefFile
from workbench.core.config import ProjectConfig
from workbench.core.errors import ConfigError
from workbench.core.io import sha256_file, write_parquet_atomic
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import (
    GenerationManifest,
    InputFile,
    OutputFile,
    envelope,
    recorded_path,
    write_manifest,
)
from workbench.core.prompts import Prompt, build_prompt
from workbench.core.runs import model_display_name
from workbench.core.settings.generation import DecodingConfig
from workbench.generation.candidates import GenerationRequest, Generator, RawCandidate
from workbench.generation.checks import check_candidate, leak_lines
from workbench.generation.registry import ModelSpec, resolve_model
from workbench.rag.hits import Hit
from workbench.rag.search import RagIndex, UnknownFilterError

#: Column order and types of a generations file (see the module docstring).
GENERATION_SCHEMA: dict[str, pl.DataType] = {
    "candidate_id": pl.Utf8, "candidate_index": pl.Int64, "created_at": pl.Datetime("us", "UTC"),
    "brief_id": pl.Utf8, "brief_path": pl.Utf8, "brief_sha256": pl.Utf8, "brand": pl.Utf8,
    "target_channel": pl.Utf8, "vertical": pl.Utf8, "language": pl.Utf8,
    "model": pl.Utf8, "model_kind": pl.Utf8, "run_id": pl.Utf8, "model_dir": pl.Utf8,
    "adapter_dir": pl.Utf8, "endpoint_url": pl.Utf8, "endpoint_model": pl.Utf8,
    "model_facts": pl.Utf8,
    "prompt_template": pl.Utf8, "prompt_template_sha256": pl.Utf8,
    "prompt_spec_sha256": pl.Utf8, "system_prompt": pl.Utf8, "prompt_messages": pl.Utf8,
    "prompt_sha256": pl.Utf8, "prompt": pl.Utf8, "prompt_tokens": pl.Int64,
    "retrieval_query": pl.Utf8, "retrieval_scope": pl.Utf8,
    "retrieved_uids": pl.List(pl.Utf8), "retrieved_scores": pl.List(pl.Float64),
    "context_uids": pl.List(pl.Utf8), "source_uid": pl.Utf8, "embedder": pl.Utf8,
    "index_manifest_sha256": pl.Utf8, "label_snapshot_id": pl.Utf8,
    "label_snapshot_sha256": pl.Utf8,
    "temperature": pl.Float64, "top_p": pl.Float64, "max_new_tokens": pl.Int64,
    "repetition_penalty": pl.Float64, "do_sample": pl.Boolean, "seed": pl.Int64,
    "load_seconds": pl.Float64, "retrieval_seconds": pl.Float64, "generate_seconds": pl.Float64,
    "completion_tokens": pl.Int64, "finish_reason": pl.Utf8,
    "text": pl.Utf8,
    "has_brand": pl.Boolean, "has_phone": pl.Boolean, "has_handle": pl.Boolean,
    "has_link": pl.Boolean, "has_short_code": pl.Boolean, "has_contact": pl.Boolean, "ethiopic_share": pl.Float64,
    "ethiopic_ok": pl.Boolean, "length_units": pl.Int64, "length_limit": pl.Int64,
    "length_ok": pl.Boolean, "prompt_leak": pl.Boolean, "leaked_text": pl.Utf8,
    "overlap_ratio": pl.Float64, "overlap_uid": pl.Utf8, "is_copy": pl.Boolean,
    "check_failures": pl.List(pl.Utf8), "checks_passed": pl.Boolean,
}


@dataclass(frozen=True)
class Retrieval:
    """The past ads retrieved for one brief."""

    query: str
    scope: str
    hits: list[Hit]
    seconds: float
    #: Why the brief's target channel was not searched (not in the index), else "".
    channel_problem: str = ""


@dataclass
class GenerationOutput:
    """One written file: a brief x a model."""

    path: Path
    brief_id: str
    model: str
    frame: pl.DataFrame
    notes: list[str] = field(default_factory=list)
    run_id: str | None = None

    @property
    def model_name(self) -> str:
        """The model as people read it (:func:`workbench.core.runs.model_display_name`)."""
        return model_display_name(f"run:{self.run_id}" if self.run_id else self.model)

    def line(self) -> str:
        """``N candidates, P passed every check -> path``."""
        passed = int(self.frame["checks_passed"].sum())
        return (f"{self.brief_id} x {self.model_name}: {self.frame.height} candidates, "
                f"{passed} passed every check -> {self.path}")


def retrieve_for_brief(index: RagIndex, brief_file: BriefFile, k: int) -> Retrieval:
    """Hybrid search for the brief's ``k`` ads, widening the scope until ``k`` are found.

    Scopes tried in order: channel+vertical, channel, vertical, all; each wider scope only tops
    up what the narrower ones found (best of the narrow scope first). A target channel that is
    not in the index skips the channel scopes. The scopes that contributed are recorded
    (``"channel+vertical,channel"``).
    """
    brief = brief_file.brief
    start = time.perf_counter()
    query = brief.query_text()
    problem = ""
    try:
        channel: str | None = index.canonical_channel(brief.target_channel)
    except UnknownFilterError as exc:
        channel, problem = None, str(exc)
    vertical = brief.vertical if brief.vertical in index.verticals else None
    scopes: list[tuple[str, str | None, str | None]] = []
    if channel and vertical:
        scopes.append(("channel+vertical", channel, vertical))
    if channel:
        scopes.append(("channel", channel, None))
    if vertical:
        scopes.append(("vertical", None, vertical))
    scopes.append(("all", None, None))
    hits: list[Hit] = []
    used: list[str] = []
    for scope, ch, vert in scopes:
        if len(hits) >= k:
            break
        seen = {h.key for h in hits}
        found = [h for h in index.search(query, k=k, mode="hybrid", channel=ch, vertical=vert)
                 if h.key not in seen]
        if found:
            used.append(scope)
            hits += found[: k - len(hits)]
    return Retrieval(query=query, scope=",".join(used) or "none", hits=hits,
                     seconds=time.perf_counter() - start, channel_problem=problem)


def load_generator(spec: ModelSpec, cfg: ProjectConfig) -> Generator:
    """Instantiate (load) the generator of a resolved spec."""
    from workbench.generation.baselines import RetrievalBaseline, TemplateBaseline

    if spec.kind == "baseline":
        baseline = RetrievalBaseline if spec.name == "retrieval" else TemplateBaseline
        return baseline(spec, cfg.cleaning)
    if spec.kind == "openai":
        from workbench.generation.openai_compat import OpenAICompatGenerator

        return OpenAICompatGenerator(spec)
    from workbench.generation.hf import HFGenerator

    return HFGenerator(spec, cfg.generation)


def _fit_prompt(gen: Generator, spec: ModelSpec, brief_file: BriefFile, hits: list[Hit],
                decoding: DecodingConfig) -> tuple[Prompt, str, list[Hit]]:
    """The prompt with as many of the top ``context_ads`` ads as fit the model's context.

    Returns the prompt, the text the model sees (chat template applied) and the ads shown.
    """
    budget = gen.prompt_budget(decoding.max_new_tokens)
    shown = hits[: spec.prompt.context_ads]
    while True:
        built = build_prompt(spec.prompt, brief_file.brief, [h.text for h in shown])
        prompt = gen.render(built.messages)
        if budget is None or not shown:
            return built, prompt, shown
        tokens = gen.count_tokens(prompt)
        if tokens is None or tokens <= budget:
            return built, prompt, shown
        # Dropping the weakest ad keeps the brief intact, unlike cutting the prompt's head.
        shown = shown[:-1]


def _slug(text: str) -> str:
    base = Path(text).name if "/" in text else text
    return re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-")[:60] or "model"


def _output_path(folder: Path, brief_id: str, model: str, stamp: str) -> Path:
    stem = f"{stamp}-{_slug(brief_id)}-{_slug(model)}"
    path = folder / f"{stem}.parquet"
    suffix = 2
    while path.exists():
        path = folder / f"{stem}-{suffix}.parquet"
        suffix += 1
    return path


def _rows(
    candidates: Sequence[RawCandidate], *, stem: str, created: datetime, brief_file: BriefFile,
    spec: ModelSpec, gen: Generator, retrieval: Retrieval, shown: list[Hit], prompt: str,
    built: Prompt, decoding: DecodingConfig, cfg: ProjectConfig, index: RagIndex,
) -> list[dict[str, Any]]:
    brief = brief_file.brief
    local = spec.local
    facts = getattr(gen, "facts", {})
    retrieved = [(h.key, h.text) for h in retrieval.hits]
    allowed = [h.text for h in retrieval.hits] + [
        brief.brand, brief.product, brief.campaign_goal, brief.offer, brief.call_to_action,
        brief.notes, *brief.contact.items()]
    leak = leak_lines([m["content"] for m in built.messages], allowed=allowed,
                      min_chars=cfg.generation.checks.min_leak_chars, cleaning=cfg.cleaning)
    base: dict[str, Any] = {
        "created_at": created, "brief_id": brief_file.id, "brief_path": str(brief_file.path),
        "brief_sha256": brief_file.sha256, "brand": brief.brand,
        "target_channel": brief.target_channel, "vertical": brief.vertical,
        "language": brief.language, "model": spec.name, "model_kind": spec.kind,
        "run_id": spec.run_id, "model_dir": str(local.model_dir) if local else None,
        "adapter_dir": str(local.adapter_dir) if local and local.adapter_dir else None,
        "endpoint_url": spec.endpoint.base_url if spec.endpoint else None,
        "endpoint_model": spec.endpoint.model if spec.endpoint else None,
        "model_facts": json.dumps(facts) if facts else None,
        "prompt_template": spec.prompt.template_path,
        "prompt_template_sha256": spec.prompt.template_sha256,
        "prompt_spec_sha256": spec.prompt.sha256(), "system_prompt": spec.prompt.system_prompt,
        "prompt_messages": json.dumps(built.messages, ensure_ascii=False),
        "prompt_sha256": built.prompt_sha256, "prompt": prompt,
        "prompt_tokens": gen.count_tokens(prompt),
        "retrieval_query": retrieval.query, "retrieval_scope": retrieval.scope,
        "retrieved_uids": [h.key for h in retrieval.hits],
        "retrieved_scores": [float(h.score) for h in retrieval.hits],
        "context_uids": [h.key for h in shown], "embedder": index.embedder.name,
        "index_manifest_sha256": sha256_file(index.manifest_path),
        "label_snapshot_id": index.manifest.label_snapshot.id,
        "label_snapshot_sha256": index.manifest.label_snapshot.sha256,
        "temperature": decoding.temperature, "top_p": decoding.top_p,
        "max_new_tokens": decoding.max_new_tokens,
        "repetition_penalty": decoding.repetition_penalty,
        "do_sample": decoding.temperature > 0, "load_seconds": gen.load_seconds,
        "retrieval_seconds": retrieval.seconds,
    }
    rows = []
    for i, cand in enumerate(candidates):
        checks = check_candidate(cand.text, brief, leak=leak, retrieved=retrieved,
                                 cfg=cfg.generation.checks, cleaning=cfg.cleaning)
        rows.append({
            **base, "candidate_id": f"{stem}#{i}", "candidate_index": i, "seed": cand.seed,
            "source_uid": cand.source_uid, "generate_seconds": cand.seconds,
            "prompt_tokens": cand.prompt_tokens if cand.prompt_tokens is not None
            else base["prompt_tokens"],
            "completion_tokens": cand.completion_tokens, "finish_reason": cand.finish_reason,
            "text": cand.text, **checks.as_row(),
        })
    return rows


def generate(
    briefs: Sequence[BriefFile],
    models: Sequence[str],
    data_dir: Path,
    cfg: ProjectConfig,
    *,
    n: int | None = None,
    k: int | None = None,
    decoding: DecodingConfig | None = None,
    index: RagIndex | None = None,
) -> list[GenerationOutput]:
    """Generate, check and store candidates for every brief with every model.

    Parameters
    ----------
    briefs
        Validated briefs.
    models
        Registry names (see :mod:`workbench.generation.registry`).
    data_dir
        Root of the stage folders (reads ``DIR/rag``, ``DIR/runs``; writes ``DIR/generations``).
    cfg
        Project config.
    n
        Candidates per brief and model (default ``generation.n``).
    k
        Retrieved ads in the prompt (default: the model's prompt spec's ``context_ads``: a
        run's recipe, else ``generation.k``).
    decoding
        Sampling parameters (default ``generation.decoding``).
    index
        An opened index to reuse.

    Returns
    -------
    list of GenerationOutput
        One per brief x model, in model order then brief order.
    """
    if not briefs:
        msg = "no brief to generate for"
        raise ConfigError(msg)
    gcfg = cfg.generation
    n = n or gcfg.n
    decoding = decoding or gcfg.decoding
    index = index or RagIndex(data_dir, cfg)
    specs = [resolve_model(name, data_dir, gcfg) for name in dict.fromkeys(models)]
    if k is not None:
        specs = [replace(s, prompt=s.prompt.model_copy(update={"context_ads": k})) for s in specs]
    depth = max([s.prompt.context_ads for s in specs] + [n])
    retrievals = {b.id: retrieve_for_brief(index, b, depth) for b in briefs}
    folder = data_dir / gcfg.output_dir if gcfg.output_dir else Layout(data_dir).generations
    outputs = []
    for spec in specs:
        gen = load_generator(spec, cfg)
        for brief_file in briefs:
            retrieval = retrievals[brief_file.id]
            built, prompt, shown = _fit_prompt(gen, spec, brief_file, retrieval.hits, decoding)
            request = GenerationRequest(brief=brief_file.brief, messages=built.messages,
                                        prompt=prompt, retrieved=retrieval.hits, n=n,
                                        decoding=decoding)
            candidates = gen.generate(request)
            created = datetime.now(UTC)
            path = _output_path(folder, brief_file.id, spec.name,
                                created.strftime("%Y%m%dT%H%M%SZ"))
            rows = _rows(candidates, stem=path.stem, created=created, brief_file=brief_file,
                         spec=spec, gen=gen, retrieval=retrieval, shown=shown, prompt=prompt,
                         built=built, decoding=decoding, cfg=cfg, index=index)
            frame = pl.DataFrame(rows, schema=GENERATION_SCHEMA)
            write_parquet_atomic(path, frame)
            _write_manifest(path, frame, brief_file, spec, gen, index, decoding, cfg, retrieval)
            notes = list(spec.notes)
            if retrieval.channel_problem:
                # The past ads shown come from other channels: say so, not only in the file.
                notes.append(f"target channel: {retrieval.channel_problem}; the past ads in the "
                             f"prompt come from: {retrieval.scope}")
            if len(shown) < min(len(retrieval.hits), spec.prompt.context_ads):
                notes.append(f"{len(shown)} ads fit the context")
            outputs.append(GenerationOutput(path=path, brief_id=brief_file.id, model=spec.name,
                                            frame=frame, notes=notes, run_id=spec.run_id))
    return outputs


def _write_manifest(path: Path, frame: pl.DataFrame, brief_file: BriefFile, spec: ModelSpec,
                    gen: Generator, index: RagIndex, decoding: DecodingConfig,
                    cfg: ProjectConfig, retrieval: Retrieval) -> None:
    index_manifest_sha256 = sha256_file(index.manifest_path)
    inputs = [
        InputFile(path=recorded_path(brief_file.path), sha256=brief_file.sha256, role="brief"),
        InputFile(path=recorded_path(index.manifest_path), sha256=index_manifest_sha256, role="rag-index"),
        InputFile(path=spec.prompt.template_path or "(inline template)",
                  sha256=spec.prompt.template_sha256, role="prompt-template"),
    ]
    local = spec.local
    if local is not None and local.run_dir is not None:
        run_manifest = local.run_dir / MANIFEST
        if run_manifest.exists():
            inputs.append(InputFile(path=recorded_path(run_manifest), sha256=sha256_file(run_manifest),
                                    role="training-run"))
    if local is not None and local.adapter_dir is not None:
        inputs += [InputFile(path=recorded_path(weights), sha256=sha256_file(weights), role="adapter-weights")
                   for weights in sorted(local.adapter_dir.glob("*.safetensors"))]
    manifest = GenerationManifest(
        **envelope("generation"), inputs=inputs,
        outputs={path.name: OutputFile(rows=frame.height, sha256=sha256_file(path))},
        config=cfg.generation.model_dump(mode="json", exclude={"endpoints"}),
        model=spec.describe(), model_facts=getattr(gen, "facts", {}),
        prompt_spec=spec.prompt.model_dump(mode="json", exclude={"template"}),
        decoding=decoding.model_dump(), brief_id=brief_file.id,
        retrieval={"query": retrieval.query, "scope": retrieval.scope,
                   "uids": [h.key for h in retrieval.hits]},
        index_embedder=index.manifest.embedder,
        index_manifest_sha256=index_manifest_sha256,
        label_snapshot=index.manifest.label_snapshot,
    )
    write_manifest(path.with_suffix(".manifest.json"), manifest)
