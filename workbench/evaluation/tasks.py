"""The two evaluation tasks, built from the held-out split.

``brief_to_ad``
    For each held-out ad, the brief training derives from it
    (:func:`workbench.core.brief_derivation.derive_brief`) plus the channel's most recent *earlier* ads
    from the train split, built into a prompt by :func:`workbench.core.prompts.build_prompt`
    with the evaluation's prompt spec (a run's own, from its run folder). The system writes an
    ad; it is scored against the real ad. The same brief, context and spec give the prompt
    build-data gave the run's training examples (equal ``prompt_sha256``), and every system gets
    the same prompt.
``half_continuation``
    Each held-out text is cut at half its length in whitespace tokens (model-independent, so
    every system gets the same cut): the first half is the prompt, the second half the
    reference. Nothing random happens in the cut; the suite's seed fixes which items are
    sampled and the decoding.

Examples
--------
>>> cut_half("ጫማ በቅናሽ ዋጋ ለበለጠ መረጃ ይደውሉ 0911223344")
('ጫማ በቅናሽ ዋጋ', 'ለበለጠ መረጃ ይደውሉ 0911223344')
>>> cut_half("ሀ ለ ሐ መ ሠ ረ")
('ሀ ለ ሐ', 'መ ሠ ረ')
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from workbench.core.brief_derivation import derive_brief
from workbench.core.briefs import CTA_LEXICON, Brief, cta_of
from workbench.core.prompts import PromptSpec, build_prompt

if TYPE_CHECKING:
    from workbench.evaluation.suite import ItemsConfig, TaskConfig

BRIEF_TO_AD = "brief_to_ad"
HALF_CONTINUATION = "half_continuation"

_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True)
class EvalItem:
    """One prompt and its reference."""

    item_id: str
    task: str
    uid: str
    channel: str
    vertical: str | None
    #: brief_to_ad: the rendered user message; half_continuation: the first half.
    prompt: str
    #: brief_to_ad: the real ad; half_continuation: the real second half.
    reference: str
    #: What the brief asks for (brand, product words, contacts, prices, CTA phrases, channel,
    #: vertical): read by brief_coverage and by the baselines.
    brief: dict[str, Any] = field(default_factory=dict)
    context_uids: list[str] = field(default_factory=list)
    #: brief_to_ad: hash of the prompt's messages (:func:`workbench.core.prompts.build_prompt`).
    prompt_sha256: str | None = None
    #: brief_to_ad: the derived brief itself (what the output checks read); None otherwise.
    derived_brief: Brief | None = None

    def brief_json(self) -> str:
        """The brief as one JSON object string."""
        return json.dumps(self.brief, ensure_ascii=False)


def cut_half(text: str) -> tuple[str, str]:
    """Split ``text`` before its middle whitespace token (``n // 2`` tokens stay in the prefix).

    Original spacing and line breaks are kept on both sides; the ends are trimmed.
    """
    tokens = list(_TOKEN.finditer(text))
    if len(tokens) < 2:  # one token cannot be cut
        return text.strip(), ""
    start = tokens[len(tokens) // 2].start()
    return text[:start].rstrip(), text[start:].strip()


def coverage_brief(brand: str | None, product: list[str], contacts: list[str],
                   prices: list[str], cta: list[str], channel: str,
                   vertical: str | None) -> dict[str, Any]:
    """The JSON brief brief_coverage and the baselines read (CTA keys expanded to phrases)."""
    words = [w for w in [brand, *product] if w]
    return {
        "brand": brand, "product": product, "words": words, "contacts": contacts,
        "prices": prices, "cta": [list(CTA_LEXICON.get(key, (key,))) for key in cta],
        "cta_keys": cta, "channel": channel, "vertical": vertical,
    }


def coverage_of(brief: Brief) -> dict[str, Any]:
    """:func:`coverage_brief` of a :class:`~workbench.core.briefs.Brief`, with its ``fields``.

    ``fields`` is the brief as written, which raters read field by field
    (:func:`workbench.evaluation.rating_guide.human_brief`).
    """
    out = coverage_brief(brief.brand or None, brief.product.split(), brief.contact.items(),
                         brief.prices(), brief.cta_keys(), brief.target_channel,
                         brief.vertical or None)
    out["fields"] = brief.model_dump(mode="json", exclude={"id"})
    return out


def eligible(frame: pl.DataFrame, items: ItemsConfig, *, ads_only: bool) -> pl.DataFrame:
    """Held-out rows with text (and labelled Ad when ``ads_only``), sorted by uid."""
    out = frame.filter(pl.col("text").is_not_null()
                       & (pl.col("text").str.strip_chars().str.len_chars() >= items.min_chars))
    if ads_only:
        out = out.filter(pl.col("is_ad") == "Ad")
    return out.sort("uid")


def sample(frame: pl.DataFrame, n: int | None, seed: int) -> pl.DataFrame:
    """``n`` rows drawn without replacement with ``seed`` (all when ``n`` is None or larger)."""
    if n is None or n >= frame.height:
        return frame
    idx = np.sort(np.random.default_rng(seed).choice(frame.height, size=n, replace=False))
    return frame[idx.tolist()]


def brief_to_ad_items(test: pl.DataFrame, train: pl.DataFrame, task: TaskConfig,
                      *, spec: PromptSpec, min_chars: int) -> list[EvalItem]:
    """``brief_to_ad`` items for the rows of ``test`` (already filtered and sampled).

    Parameters
    ----------
    test
        Held-out rows (curated-split columns).
    train
        The train split: idf of brief words and the context ads come from it only, so no
        held-out text reaches a prompt.
    task
        Brief words.
    spec
        The prompt spec (template, system prompt, context size).
    min_chars
        Train ads shorter than this are neither context nor idf (as in build-data).
    """
    from workbench.training.sft_data import brief_sources, usable_ads

    idf, pool = brief_sources(usable_ads(train, min_chars))
    items = []
    for row in test.iter_rows(named=True):
        row = {**row, "vertical": row.get("vertical") or ""}
        brief = derive_brief(row, idf, task.brief_words)
        context = []
        if row.get("date") is not None:
            context = pool.before(row["channel_name"], row["date"], spec.context_ads, row["uid"])
        prompt = build_prompt(spec, brief, [t for _, t in context])
        items.append(EvalItem(
            item_id=f"{BRIEF_TO_AD}:{row['uid']}", task=BRIEF_TO_AD, uid=row["uid"],
            channel=row["channel_name"] or "", vertical=row["vertical"] or None,
            prompt=prompt.user, reference=row["text"].strip(), brief=coverage_of(brief),
            context_uids=[uid for uid, _ in context], prompt_sha256=prompt.prompt_sha256,
            derived_brief=brief,
        ))
    return items


def half_continuation_items(test: pl.DataFrame, task: TaskConfig) -> list[EvalItem]:
    """``half_continuation`` items; texts with fewer than ``task.min_tokens`` words are skipped.

    The item's brief is derived from the *first half only* (contacts, prices, CTAs written
    there), so a baseline reading it never sees the reference.
    """
    from workbench.core.amharic.patterns import PHONE_PATTERN, normalize_phone
    from workbench.core.amharic.strings import find_price_phrases

    phone_re = re.compile(PHONE_PATTERN)
    handle_re = re.compile(r"@[A-Za-z0-9_]{4,32}")
    items = []
    for row in test.iter_rows(named=True):
        text = row["text"].strip()
        if len(text.split()) < task.min_tokens:
            continue
        prefix, rest = cut_half(text)
        # The pattern consumes the character before a number: drop it.
        phones = [_drop_lead(m.group(0)) for m in phone_re.finditer(prefix)
                  if normalize_phone(m.group(0))]
        contacts = list(dict.fromkeys(phones + handle_re.findall(prefix)))
        prices = find_price_phrases(prefix)
        items.append(EvalItem(
            item_id=f"{HALF_CONTINUATION}:{row['uid']}", task=HALF_CONTINUATION, uid=row["uid"],
            channel=row["channel_name"] or "", vertical=row.get("vertical"), prompt=prefix,
            reference=rest,
            brief=coverage_brief(None, [], contacts, prices, cta_of(prefix),
                                 row["channel_name"] or "", row.get("vertical")),
        ))
    return items


def build_items(splits: dict[str, pl.DataFrame], task: TaskConfig, items_cfg: ItemsConfig,
                *, seed: int, spec: PromptSpec) -> list[EvalItem]:
    """Items of one task: eligible held-out rows, sampled with ``seed``, then built.

    brief_to_ad always takes ads only (a brief for a news post is meaningless);
    half_continuation follows ``items_cfg.ads_only``. An empty list means no row is eligible.
    """
    ads_only = items_cfg.ads_only or task.name == BRIEF_TO_AD
    held = eligible(splits[items_cfg.split], items_cfg, ads_only=ads_only)
    if held.height == 0:
        return []
    if task.name == HALF_CONTINUATION:
        # Cut before sampling, so n items come back whenever n texts are long enough.
        items = half_continuation_items(held, task)
        if items_cfg.n is not None and len(items) > items_cfg.n:
            keep = np.sort(np.random.default_rng(seed).choice(len(items), size=items_cfg.n,
                                                              replace=False))
            items = [items[i] for i in keep]
        return items
    return brief_to_ad_items(sample(held, items_cfg.n, seed), splits["train"], task, spec=spec,
                             min_chars=items_cfg.min_chars)


def _drop_lead(match: str) -> str:
    return (match if match[:1] in tuple("+0123456789") else match[1:]).strip()
