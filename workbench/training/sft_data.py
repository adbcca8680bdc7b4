"""``workbench train build-data``: chat-format SFT examples and a continued-pretraining set.

An SFT example teaches "brief + channel history -> ad". The brief is derived from the ad itself
(vertical label, channel, salient product/brand words, contact details, prices, calls to action);
the context is the channel's most recent *earlier* ads from the train split; the completion is the
original ad text, emojis, phone numbers and @handles included (DOMAIN.md: a generator trained on
stripped text cannot write a usable ad).

Leakage rules, by construction:

- context ads always come from the train split, so no validation or test ad is ever shown to the
  model in a prompt;
- the continued-pretraining set leaves out every validation/test message and every other message
  whose normalized text equals one of them (reposts across channels).

Output, under ``DIR/training/data/<recipe>/``: ``sft/{train,val,test}.parquet``,
``cpt/{train,val}.parquet`` and a ``manifest.json`` that records the split manifest's hash and
label snapshot id.

Examples
--------
>>> cta_of("አሁኑኑ ይዘዙ! ለበለጠ መረጃ ይደውሉ")
['call', 'order']
>>> salient_words("Samsung ስልክ በቅናሽ ዋጋ ስልክ", idf={}, k=2)
['Samsung', 'ስልክ']
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.errors import ConfigError, DataContractError
from workbench.core.io import sha256_file, write_parquet_atomic
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import (
    InputFile,
    OutputFile,
    SftDataManifest,
    SplitsManifest,
    envelope,
    read_manifest,
    write_manifest,
)
from workbench.core.schemas import read_parquet_checked
from workbench.training.recipe import Recipe

SPLITS = ("train", "val", "test")
REQUIRED_SPLIT_COLUMNS = ("uid", "channel_name", "date", "text", "is_ad", "vertical")
AD_LABEL = "Ad"

#: Call-to-action key -> phrases that signal it (Amharic stems and Latin words, lower case).
CTA_LEXICON: dict[str, tuple[str, ...]] = {
    "call": ("ይደውሉ", "ደውሉ", "ይደውሉልን", "call"),
    "order": ("ይዘዙ", "እዘዙ", "order"),
    "join": ("ይቀላቀሉ", "ተቀላቀሉ", "join", "subscribe"),
    "visit": ("ይጎብኙ", "ጎራ ይበሉ", "visit"),
    "buy": ("ይግዙ", "የራስዎ ያድርጉ", "buy", "shop now"),
    "register": ("ይመዝገቡ", "register", "sign up"),
    "message": ("ያናግሩን", "ይፃፉልን", "ይጻፉልን", "inbox", "dm"),
    "contact": ("ያግኙን", "contact"),
}

#: Function words and ad boilerplate that are never product or brand words.
_STOPWORDS_TEXT = """
እና ላይ ነው ወደ ከ የ በ ለ ይህ ይህን ናቸው ነበር ግን ሁሉ እስከ ጋር ውስጥ ወይም ብቻ ብር ዋጋ መረጃ ለበለጠ
አሁን አሁኑኑ በቅናሽ ቅናሽ ልዩ ያለው ደግሞ እንዲሁም ነገር ሲሆን
the and for with only now price call order new
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

_WORD_SPLIT = re.compile(r"[\s\u1360-\u1368.,;:!?()\[\]{}\"'“”‘’/\\|+*=<>~^`#@_-]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_LATIN_BRAND = re.compile(r"^[A-Z][A-Za-z0-9&']+$|^[A-Z0-9]{2,}$")


# --- Brief -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Brief:
    """What a campaign team would hand over, reconstructed from one ad."""

    channel: str
    vertical: str
    words: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    prices: list[str] = field(default_factory=list)
    cta: list[str] = field(default_factory=list)


def words_of(text: str) -> list[str]:
    """Word tokens of ``text``: split on spaces and punctuation (Ethiopic too), letters only."""
    return [w for w in _WORD_SPLIT.split(text) if w and _HAS_LETTER.search(w)]


def cta_of(text: str) -> list[str]:
    """Call-to-action keys found in ``text``, in :data:`CTA_LEXICON` order."""
    low = text.lower()
    found = []
    for key, phrases in CTA_LEXICON.items():
        for phrase in phrases:
            # Latin words need word boundaries ("dm" inside "admin" is no call to action);
            # Ge'ez stems are matched anywhere because prefixes attach to them (ለይደውሉ...).
            hit = re.search(rf"\b{re.escape(phrase)}\b", low) if phrase.isascii() else phrase in low
            if hit:
                found.append(key)
                break
    return found


def _cta_words() -> frozenset[str]:
    return frozenset(w for phrases in CTA_LEXICON.values() for p in phrases for w in p.split())


def salient_words(text: str, idf: dict[str, float], k: int) -> list[str]:
    """The ``k`` most ad-specific words of ``text`` (tf-idf; Latin brand-like words first).

    Parameters
    ----------
    text
        Ad text, preferably with emojis, links and handles removed (``text_clean``).
    idf
        Inverse document frequency per lower-cased word; unseen words get the largest value.
    k
        How many words to return.

    Returns
    -------
    list of str
        Words as written in the ad, best first; ties keep the order of appearance.
    """
    if k <= 0:
        return []
    cta = _cta_words()
    top_idf = max(idf.values(), default=1.0)
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    shown: dict[str, str] = {}
    for pos, word in enumerate(words_of(text)):
        key = word.lower()
        # Digits are prices and phone numbers (their own brief fields), not product words.
        if key in STOPWORDS or key in cta or len(word) < 2 or any(c.isdigit() for c in word):
            continue
        counts[key] += 1
        first.setdefault(key, pos)
        shown.setdefault(key, word)

    def score(key: str) -> tuple[float, int]:
        brand = 2.0 if _LATIN_BRAND.match(shown[key]) else 1.0
        return (-(counts[key] * idf.get(key, top_idf) * brand), first[key])

    return [shown[key] for key in sorted(counts, key=score)[:k]]


def document_idf(texts: Iterable[str]) -> dict[str, float]:
    """Smoothed inverse document frequency of lower-cased words over ``texts``."""
    df: Counter[str] = Counter()
    n = 0
    for text in texts:
        n += 1
        df.update({w.lower() for w in words_of(text)})
    return {w: math.log((1 + n) / (1 + c)) + 1.0 for w, c in df.items()}


def _format_price(value: float) -> str:
    amount = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{amount} ብር"


def _phone_as_written(e164: str, text: str) -> str:
    """The phone number as the ad writes it (09.. / +251 9..), else the E.164 form."""
    national = e164.removeprefix("+251")
    sep = r"[ .\-]?"
    pattern = r"(?:\+?251" + sep + r"|0)" + sep.join(re.escape(d) for d in national)
    found = re.search(pattern, text)
    return found.group(0) if found else e164


def derive_brief(row: dict[str, Any], idf: dict[str, float], n_words: int) -> Brief:
    """Build the :class:`Brief` of one ad row (a dict with the curated-split columns)."""
    text = row["text"] or ""
    clean = row.get("text_clean") or text
    contacts = [_phone_as_written(p, text) for p in row.get("phones") or []]
    # Ingest stores handles without the "@"; the brief shows them the way an ad writes them.
    contacts += [m if m.startswith("@") else f"@{m}" for m in row.get("mentions") or [] if m]
    contacts += [link for link in row.get("links") or [] if link]
    return Brief(
        channel=row["channel_name"] or "",
        vertical=row["vertical"] or "",
        words=salient_words(clean, idf, n_words),
        contacts=list(dict.fromkeys(contacts)),
        prices=[_format_price(p) for p in dict.fromkeys(row.get("prices") or []) if p is not None],
        cta=cta_of(text),
    )


# --- Templates -----------------------------------------------------------------------------------


def load_template(path: str | Path) -> Any:
    """Compile a user-editable Jinja template (sandboxed; unknown variables fail loudly)."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"{path}: template not found"
        raise ConfigError(msg) from None
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False,
                               trim_blocks=False)
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        msg = f"{path}: line {exc.lineno}: {exc.message}"
        raise ConfigError(msg) from None


def render_prompt(template: Any, brief: Brief, context_ads: Sequence[str], where: str = "") -> str:
    """Render the user message of one example."""
    import jinja2

    try:
        text = template.render(
            channel=brief.channel, vertical=brief.vertical, words=brief.words,
            contacts=brief.contacts, prices=brief.prices, cta=brief.cta,
            context_ads=list(context_ads),
        )
    except jinja2.UndefinedError as exc:
        msg = f"{where}: {exc.message} (variables: channel, vertical, words, contacts, prices, cta, context_ads)"
        raise ConfigError(msg) from None
    return text.strip()


# --- Context -------------------------------------------------------------------------------------


class ContextPool:
    """Train-split ads per channel, in date order, for "earlier ads of the same channel"."""

    def __init__(self, ads: pl.DataFrame) -> None:
        self._by_channel: dict[str, tuple[list[datetime], list[str], list[str]]] = {}
        grouped: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
        for row in ads.select("channel_name", "date", "uid", "text").iter_rows():
            grouped[row[0]].append((row[1], row[2], row[3]))
        for channel, items in grouped.items():
            items.sort(key=lambda t: (t[0], t[1]))
            self._by_channel[channel] = ([t[0] for t in items], [t[1] for t in items],
                                         [t[2] for t in items])

    def before(self, channel: str, date: datetime, k: int, exclude: str) -> list[tuple[str, str]]:
        """Up to ``k`` (uid, text) of ``channel`` strictly before ``date``, newest first."""
        if k <= 0 or channel not in self._by_channel:
            return []
        dates, uids, texts = self._by_channel[channel]
        end = bisect_left(dates, date)
        picked = []
        for i in range(end - 1, -1, -1):
            if uids[i] != exclude:
                picked.append((uids[i], texts[i]))
            if len(picked) == k:
                break
        return picked


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- Building ------------------------------------------------------------------------------------


@dataclass
class DataSummary:
    """What ``build-data`` wrote."""

    out_dir: Path
    sft_rows: dict[str, int]
    cpt_rows: dict[str, int]
    dropped: dict[str, int]
    notes: list[str]

    def line(self) -> str:
        """One-line summary for the CLI."""
        sft = ", ".join(f"{k} {v}" for k, v in self.sft_rows.items())
        cpt = ", ".join(f"{k} {v}" for k, v in self.cpt_rows.items())
        dropped = ", ".join(f"{k} {v}" for k, v in sorted(self.dropped.items()) if v) or "none"
        return f"SFT examples: {sft}; CPT texts: {cpt}; skipped: {dropped} -> {self.out_dir}"


def read_splits(data_dir: Path) -> tuple[dict[str, pl.DataFrame], SplitsManifest]:
    """Read the curated splits and their manifest (one clear error when absent or invalid)."""
    lay = Layout(data_dir)
    hint = "run `workbench curate split` first"
    manifest = read_manifest(lay.splits_manifest, SplitsManifest, hint=hint)
    frames = {s: read_parquet_checked(lay.split(s), REQUIRED_SPLIT_COLUMNS, hint) for s in SPLITS}
    return frames, manifest


def _ads(frame: pl.DataFrame, min_chars: int, dropped: Counter[str]) -> pl.DataFrame:
    n = frame.height
    ads = frame.filter(pl.col("is_ad") == AD_LABEL)
    dropped["non_ad"] += n - ads.height
    kept = ads.filter(pl.col("text").is_not_null() & (pl.col("text").str.strip_chars() != ""))
    dropped["empty_text"] += ads.height - kept.height
    long_enough = kept.filter(pl.col("text").str.len_chars() >= min_chars)
    dropped["too_short"] += kept.height - long_enough.height
    no_vertical = long_enough.filter(pl.col("vertical").is_null()).height
    dropped["ad_without_vertical"] += no_vertical
    return long_enough.filter(pl.col("vertical").is_not_null())


MESSAGE = pl.Struct({"role": pl.Utf8, "content": pl.Utf8})
SFT_SCHEMA: dict[str, pl.DataType] = {
    "uid": pl.Utf8, "split": pl.Utf8, "channel_name": pl.Utf8, "vertical": pl.Utf8,
    "brief": pl.Utf8, "prompt": pl.Utf8, "completion": pl.Utf8, "context_uids": pl.List(pl.Utf8),
    "messages": pl.List(MESSAGE),
}


def build_examples(
    frame: pl.DataFrame,
    split: str,
    *,
    recipe: Recipe,
    pool: ContextPool,
    idf: dict[str, float],
    template: Any,
    progress: bool = True,
) -> pl.DataFrame:
    """SFT rows (see :data:`SFT_SCHEMA`) for the ads of one split."""
    from tqdm.auto import tqdm

    data = recipe.data
    rows = []
    for row in tqdm(frame.sort("date", "uid").iter_rows(named=True), total=frame.height,
                    desc=f"SFT {split}", unit="ad", disable=not progress, leave=False):
        brief = derive_brief(row, idf, data.brief_words)
        context = pool.before(row["channel_name"], row["date"], data.context_ads, row["uid"])
        prompt = render_prompt(template, brief, [_cut(t, data.context_chars) for _, t in context],
                               where=data.prompt_template)
        messages = []
        if data.system_prompt:
            messages.append({"role": "system", "content": data.system_prompt})
        messages += [{"role": "user", "content": prompt},
                     {"role": "assistant", "content": row["text"]}]
        rows.append({
            "uid": row["uid"], "split": split, "channel_name": row["channel_name"],
            "vertical": row["vertical"],
            "brief": json.dumps(brief.__dict__, ensure_ascii=False),
            "prompt": prompt, "completion": row["text"],
            "context_uids": [uid for uid, _ in context], "messages": messages,
        })
    return pl.DataFrame(rows, schema=SFT_SCHEMA)


def build_cpt(
    data_dir: Path, recipe: Recipe, splits: dict[str, pl.DataFrame], notes: list[str]
) -> tuple[dict[str, pl.DataFrame], dict[str, Any] | None]:
    """Continued-pretraining texts: all cleaned messages minus held-out ones and their reposts."""
    data = recipe.data
    held = pl.concat([splits["val"], splits["test"]], how="diagonal_relaxed")
    cleaned_path = Layout(data_dir).cleaned_messages
    source: dict[str, Any] | None = None
    if cleaned_path.exists():
        cleaned = read_parquet_checked(cleaned_path, ("uid", "text"))
        source = {"path": str(cleaned_path), "sha256": sha256_file(cleaned_path)}
    else:
        notes.append(f"{cleaned_path} not found: CPT uses the train split's texts only")
        cleaned = splits["train"]
    if "is_empty" in cleaned.columns:
        cleaned = cleaned.filter(~pl.col("is_empty").fill_null(value=False))
    # Reposts are matched on the normalized text when both sides have it (homophones unified).
    key_col = "text_norm" if {"text_norm"} <= set(held.columns) & set(cleaned.columns) else "text"

    def squash(col: str) -> pl.Expr:
        return pl.col(col).fill_null("").str.replace_all(r"\s+", " ").str.strip_chars()

    held_uids = held["uid"].to_list()
    held_keys = held.select(squash(key_col).alias("k"))["k"].to_list()
    train = (
        cleaned.filter(pl.col("text").is_not_null()
                       & (pl.col("text").str.len_chars() >= data.min_chars)
                       & ~pl.col("uid").is_in(held_uids)
                       & ~squash(key_col).is_in(held_keys))
        .unique("text", keep="first", maintain_order=True)
        .select("uid", "text")
    )
    val = (splits["val"].filter(pl.col("text").is_not_null()
                                & (pl.col("text").str.len_chars() >= data.min_chars))
           .unique("text", keep="first", maintain_order=True).select("uid", "text"))
    return {"train": train, "val": val}, source


def build_data(
    data_dir: Path, recipe: Recipe, *, progress: bool = True, out_dir: Path | None = None
) -> DataSummary:
    """Build the SFT and CPT datasets of ``recipe`` from ``DIR/curated/splits``.

    Parameters
    ----------
    data_dir
        Root of the stage folders.
    recipe
        The validated recipe (its ``data`` section shapes the examples).
    progress
        Show progress bars.
    out_dir
        Override the output folder (default ``DIR/training/data/<recipe>/``).

    Returns
    -------
    DataSummary
        Rows written per split and rows skipped per reason.
    """
    lay = Layout(data_dir)
    frames, split_manifest = read_splits(data_dir)
    out = out_dir or lay.training_data(recipe.name)
    dropped: Counter[str] = Counter()
    notes: list[str] = []
    ads = {s: _ads(frames[s], recipe.data.min_chars, dropped) for s in SPLITS}
    if ads["train"].height == 0:
        msg = f"{lay.split('train')}: no usable ads (is_ad == 'Ad' with text and vertical)"
        raise DataContractError(msg)
    clean_col = "text_clean" if "text_clean" in ads["train"].columns else "text"
    idf = document_idf(ads["train"][clean_col].fill_null("").to_list())
    pool = ContextPool(ads["train"])
    template = load_template(recipe.data.prompt_template)
    outputs: dict[str, dict[str, Any]] = {}
    sft_rows = {}
    for split in SPLITS:
        frame = ads[split]
        if split == "train" and recipe.data.max_train_examples is not None:
            frame = frame.sort("date", "uid").tail(recipe.data.max_train_examples)
        examples = build_examples(frame, split, recipe=recipe, pool=pool, idf=idf,
                                  template=template, progress=progress)
        path = out / "sft" / f"{split}.parquet"
        write_parquet_atomic(path, examples)
        sft_rows[split] = examples.height
        outputs[f"sft/{split}.parquet"] = {"rows": examples.height, "sha256": sha256_file(path)}
    cpt, cleaned_source = build_cpt(data_dir, recipe, frames, notes)
    cpt_rows = {}
    for split, frame in cpt.items():
        path = out / "cpt" / f"{split}.parquet"
        write_parquet_atomic(path, frame)
        cpt_rows[split] = frame.height
        outputs[f"cpt/{split}.parquet"] = {"rows": frame.height, "sha256": sha256_file(path)}
    split_manifest_sha256 = sha256_file(lay.splits_manifest)
    inputs = [InputFile(path=str(lay.splits_manifest), sha256=split_manifest_sha256,
                        role="split-manifest")]
    inputs += [InputFile(path=str(lay.split(s)), sha256=sha256_file(lay.split(s)), role="split")
               for s in SPLITS]
    if cleaned_source:
        inputs.append(InputFile(**cleaned_source, role="cleaned"))
    manifest = SftDataManifest(
        **envelope("training-data"), inputs=inputs,
        outputs={k: OutputFile(**v) for k, v in outputs.items()},
        config=recipe.data.model_dump(mode="json"),
        recipe=recipe.name,
        fingerprint=recipe.fingerprint(),
        split_manifest=str(lay.splits_manifest),
        split_manifest_sha256=split_manifest_sha256,
        label_snapshot=split_manifest.label_snapshot,
        dropped=dict(dropped),
        notes=notes,
    )
    write_manifest(out / MANIFEST, manifest)
    return DataSummary(out, sft_rows, cpt_rows, dict(dropped), notes)


def ensure_data(data_dir: Path, recipe: Recipe, *, progress: bool = True) -> tuple[Path, bool]:
    """Build the datasets unless current ones exist (same recipe data fields, same splits).

    Returns
    -------
    (Path, bool)
        The data folder and whether it was (re)built now.
    """
    lay = Layout(data_dir)
    out = lay.training_data(recipe.name)
    if (out / MANIFEST).exists() and lay.splits_manifest.exists():
        try:
            manifest = read_manifest(out / MANIFEST, SftDataManifest)
        except DataContractError:
            manifest = None  # built by an older version: build again
        if (manifest is not None and manifest.fingerprint == recipe.fingerprint()
                and manifest.split_manifest_sha256 == sha256_file(lay.splits_manifest)):
            return out, False
    build_data(data_dir, recipe, progress=progress)
    return out, True


def load_split(data_out: Path, objective: str, split: str, limit: int | None = None) -> list[dict]:
    """Rows of a built dataset as dicts (``messages`` for SFT, ``text`` for CPT)."""
    path = data_out / objective / f"{split}.parquet"
    column = "messages" if objective == "sft" else "text"
    frame = read_parquet_checked(path, (column,), "run `workbench train build-data` first")
    if limit is not None:
        frame = frame.head(limit)
    return frame.select(column).to_dicts()
