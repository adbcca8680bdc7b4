"""The RAG + generation step of ``workbench demo``.

Indexes the demo's curated ads (and the sample briefs), then writes candidates for every sample
brief with every available model: the two baselines always, ``base`` when one is found, and
``run:<id>`` for each finished run under ``DIR/runs``. Endpoints are left out: the demo never
touches the network. Candidates are kept few and short (``n`` = 2, at most 128 new tokens) so the
step stays quick on a CPU.
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.config import ProjectConfig
from workbench.core.layout import Layout
from workbench.core.resources import sample

SAMPLE_BRIEFS = sample("briefs")

DEMO_N = 2
DEMO_MAX_NEW_TOKENS = 128


def run_demo_step(data_dir: Path, cfg: ProjectConfig, *,
                  briefs_dir: Path = SAMPLE_BRIEFS) -> list[str]:
    """Index the demo data and generate candidates for the sample briefs.

    Parameters
    ----------
    data_dir
        The demo's data dir (``curated/splits`` must exist: the curation step writes it).
    cfg
        Project config.
    briefs_dir
        Folder of brief YAML files (default: the packaged sample briefs).

    Returns
    -------
    list of str
        Lines to print, one per thing done or skipped (with the reason).
    """
    from workbench.core.briefs import find_brief_files, load_briefs
    from workbench.generation.generate import generate
    from workbench.generation.registry import available_models
    from workbench.rag.index import build_index
    from workbench.rag.search import RagIndex

    splits = Layout(data_dir).splits
    if not Layout(data_dir).split("train").exists():
        return [f"rag: skipped, no curated splits in {splits} (the curation step writes them)"]
    has_briefs = briefs_dir.is_dir() and bool(find_brief_files([briefs_dir]))
    briefs = load_briefs([briefs_dir]) if has_briefs else []
    lines = [f"rag index: {build_index(data_dir, cfg, briefs=briefs).line()}"]
    if not briefs:
        lines.append(f"generate: skipped, no brief YAML files in {briefs_dir}")
        return lines
    endpoints = set(cfg.generation.endpoints)
    models = [m for m in available_models(data_dir, cfg.generation) if m not in endpoints]
    decoding = cfg.generation.decoding.model_copy(
        update={"max_new_tokens": min(cfg.generation.decoding.max_new_tokens,
                                      DEMO_MAX_NEW_TOKENS)})
    outputs = generate(briefs, models, data_dir, cfg, n=DEMO_N, decoding=decoding,
                       index=RagIndex(data_dir, cfg))
    lines += [f"generate: {out.line()}" for out in outputs]
    if endpoints:
        lines.append(f"generate: endpoints left out of the demo: {', '.join(sorted(endpoints))}")
    folder = outputs[0].path.parent if outputs else Layout(data_dir).generations
    lines.append(f"generations: {len(outputs)} files in {folder}/ (one row per candidate: its "
                 "text, each check's result, the prompt, the past ads retrieved and the model)")
    return lines
