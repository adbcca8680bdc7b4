"""The metric registry: local ``evaluate`` modules under ``eval/metrics/<module>/``.

``evaluate.load("bleu")`` needs the internet; ``evaluate.load(<local folder>)`` does not, so every
metric is a small module in this project, loaded by path. A registered metric is a module plus
fixed arguments (``chrf++`` is the chrf module with ``word_order=2``) plus what it needs: the
reference text, the brief, or the system's own language model. Unknown names fail with a "did
you mean" and the list of metrics.

=================  ===============  ======================================  ==========
name               module           what                                    better
=================  ===============  ======================================  ==========
``chrf``           chrf             chrF2 (char order 6), 0-100             higher
``chrf++``         chrf             chrF++ (word order 2), 0-100            higher
``bleu``           bleu             sacreBLEU, ``tokenize="intl"``, 0-100   higher
``rouge_l``        rouge_l          ROUGE-L F1, Ge'ez-aware words, 0-1      higher
``perplexity``     perplexity       the system's LM on the reference        lower
``distinct_1/2``   distinct_n       unique word n-grams / n-grams, 0-1      higher
``brief_coverage`` brief_coverage   brand/product/contact/price/CTA, 0-1    higher
``ethiopic_share`` ethiopic_share   Ethiopic letters / letters, 0-1         (neither)
``length``         length           characters                              (neither)
``length_ratio``   length           characters / reference characters       (neither)
=================  ===============  ======================================  ==========

Examples
--------
>>> get_metric("chrf++").args
{'word_order': 2}
>>> get_metric("chrf+")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
workbench.core.errors.ConfigError: unknown metric 'chrf+' (did you mean 'chrf++'?); ...
"""

from __future__ import annotations

import difflib
import functools
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from workbench.core.errors import ConfigError
from workbench.core.resources import default_file

Needs = Literal["reference", "brief", "model"]


@dataclass(frozen=True)
class MetricDef:
    """A registered metric."""

    name: str
    module: str
    description: str
    #: True: higher is better; False: lower is better; None: neither (descriptive).
    higher_is_better: bool | None
    args: Mapping[str, Any] = field(default_factory=dict)
    needs: tuple[Needs, ...] = ()
    #: Keys of the module's output: the per-item list and the corpus value.
    items_key: str = "scores"
    corpus_key: str = "score"


REGISTRY: dict[str, MetricDef] = {m.name: m for m in (
    MetricDef("chrf", "chrf", "chrF2, character 6-grams (0-100)", True, {"word_order": 0},
              ("reference",)),
    MetricDef("chrf++", "chrf", "chrF++, character 6-grams + word bigrams (0-100)", True,
              {"word_order": 2}, ("reference",)),
    MetricDef("bleu", "bleu", "sacreBLEU, intl tokenizer (0-100)", True, {"tokenize": "intl"},
              ("reference",)),
    MetricDef("rouge_l", "rouge_l", "ROUGE-L F1 on Ge'ez-aware words (0-1)", True, {},
              ("reference",)),
    MetricDef("perplexity", "perplexity",
              "perplexity of the reference under the system's own model, after the prompt",
              False, {}, ("reference", "model")),
    MetricDef("distinct_1", "distinct_n", "unique words / words (0-1)", True, {"n": 1}),
    MetricDef("distinct_2", "distinct_n", "unique word bigrams / bigrams (0-1)", True, {"n": 2}),
    MetricDef("brief_coverage", "brief_coverage",
              "share of brand, product words, contacts, prices, CTAs present (0-1)", True, {},
              ("brief",)),
    MetricDef("ethiopic_share", "ethiopic_share", "Ethiopic letters / letters (0-1)", None),
    MetricDef("length", "length", "characters", None),
    MetricDef("length_ratio", "length", "characters / reference characters", None, {},
              ("reference",), items_key="ratio", corpus_key="mean_ratio"),
)}


def available_metrics() -> list[str]:
    """Registered metric names."""
    return sorted(REGISTRY)


def get_metric(name: str) -> MetricDef:
    """The registered metric ``name``.

    Raises
    ------
    ConfigError
        Unknown name, with a "did you mean" and the list of metrics.
    """
    if name in REGISTRY:
        return REGISTRY[name]
    hint = difflib.get_close_matches(name, list(REGISTRY), n=1)
    did = f" (did you mean '{hint[0]}'?)" if hint else ""
    msg = f"unknown metric '{name}'{did}; available: {', '.join(available_metrics())}"
    raise ConfigError(msg)


def resolve_metric(entry: str | Any) -> MetricDef:
    """A suite's metric entry (a name, or ``{name, metric, args}``) as a :class:`MetricDef`."""
    if isinstance(entry, str):
        return get_metric(entry)
    base = get_metric(entry.metric)
    return replace(base, name=entry.name, args={**base.args, **entry.args})


def module_path(module: str) -> Path:
    """``eval/metrics/<module>/<module>.py``: the project folder's copy, else packaged (checked)."""
    path = default_file(f"eval/metrics/{module}/{module}.py")
    if not path.is_file():
        msg = f"metric module {path} not found"
        raise ConfigError(msg)
    return path


@functools.cache
def load_module(module: str) -> Any:
    """``evaluate.load`` of a local module, once per process (offline, kept in memory)."""
    # Never reach for the hub: everything is local, and an offline machine would hang on it.
    os.environ.setdefault("HF_EVALUATE_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import evaluate

    evaluate.logging.set_verbosity_error()
    return evaluate.load(str(module_path(module).parent), keep_in_memory=True)


@dataclass(frozen=True)
class MetricResult:
    """Per-item values (NaN: not defined for that item) and the corpus value."""

    items: list[float]
    corpus: float
    extra: dict[str, Any] = field(default_factory=dict)


def _float(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def compute(
    metric: MetricDef,
    predictions: Sequence[str],
    *,
    references: Sequence[str] | None = None,
    briefs: Sequence[str] | None = None,
    model: Mapping[str, Any] | None = None,
) -> MetricResult:
    """Run a metric on aligned lists.

    Parameters
    ----------
    metric
        A registered (or suite-defined) metric.
    predictions
        Generated texts, shape (n,).
    references
        Reference texts, shape (n,), for metrics that need them.
    briefs
        Briefs as JSON object strings, shape (n,), for ``brief_coverage``.
    model
        For ``perplexity``: ``model_path``, ``adapter_path``, ``contexts``
        (shape (n,)), ``add_special_tokens``. None: the metric does not apply (all NaN).

    Returns
    -------
    MetricResult
        ``items`` has shape (n,).
    """
    n = len(predictions)
    if n == 0:
        return MetricResult(items=[], corpus=math.nan)
    kwargs: dict[str, Any] = {"predictions": list(predictions), **metric.args}
    if "model" in metric.needs:
        if model is None:
            return MetricResult(items=[math.nan] * n, corpus=math.nan,
                                extra={"note": "no language model (baseline)"})
        # The metric scores the REFERENCE under the system's model, after the prompt.
        kwargs["predictions"] = list(references or [])
        kwargs.update(model)
    elif "reference" in metric.needs:
        if references is None:
            msg = f"metric '{metric.name}' needs references"
            raise ConfigError(msg)
        key = "reference_texts" if metric.module == "length" else "references"
        kwargs[key] = list(references)
    if "brief" in metric.needs:
        if briefs is None:
            msg = f"metric '{metric.name}' needs briefs"
            raise ConfigError(msg)
        kwargs["references"] = list(briefs)
    out = load_module(metric.module).compute(**kwargs)
    items = [_float(v) for v in out[metric.items_key]]
    extra = {k: v for k, v in out.items() if k not in (metric.items_key, metric.corpus_key)
             and not isinstance(v, list)}
    return MetricResult(items=items, corpus=_float(out.get(metric.corpus_key)), extra=extra)
