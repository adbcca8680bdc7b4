"""Rule pre-annotations: cleaned extractions, price expressions, declared signals and keywords.

The gate reads phones, links and mentions, price expressions (a price, multipliers, per square
metre, negotiable) and the regex signals rules.yaml declares (sale/rent verb forms, "for more
information" lines, news language against). A declared signal may need a minimum number of
matches, and may be matched line by line in the post as written (its line breaks kept): a
listing's layout ("ዋጋ: ...", "ቦታ: ...", "ሞዴል: ..." on separate lines) is evidence by the number
of such lines, which news and tweets rarely have.

Why hand-set weights and not a learned label model (Snorkel-style): a generative label model
learns each rule's accuracy from the agreements among rules on unlabeled posts of the *user's*
channels; the unlabeled real posts available to measure here are tweets and news sentences with
no ads among them, so nothing would be learned about the ad signals. snorkel 0.10 would also add
unpinned dependencies (tensorboard, munkres). The weights are set by hand and measured
(``bench/rules.py``, README). What is learned is supervised: ``gate.learned`` mixes in a text
classifier fitted on the labeled posts that ship with the rules (:mod:`.learned_gate`).

The other tasks (vertical, tags) are read from keyword lexicons per label and, for a word that
counts only in company or in one form, regex ``patterns`` per label (Latin "bet" is ቤት, a house,
unless a bonus or odds are near), each match a keyword hit.

The rules live in ``labeling/rules.yaml`` (read and validated by :mod:`.rules_file`); the
output has the same shape as the curation classifier's ``curated/predictions.parquet``, so
``label push`` treats both alike.

Examples
--------
>>> import polars as pl
>>> from workbench.core.config import CleaningConfig
>>> from workbench.core.taxonomy import load_taxonomy
>>> tax = load_taxonomy()
>>> rules = load_rules(taxonomy=tax)
>>> msgs = pl.DataFrame({
...     "uid": ["1:1", "1:2"],
...     "text": ["ቅናሽ! ሶፋ በተመጣጣኝ ዋጋ ይደውሉ", "ዛሬ ዝናብ ይጥላል"],
...     "text_norm": ["ቅናሽ! ሶፋ በተመጣጣኝ ዋጋ ይደውሉ", "ዛሬ ዝናብ ይጥላል"],
...     "phones": [["+251911234567"], []],
...     "links": [[], []], "mentions": [[], []],
... })
>>> preds = rule_predictions(msgs, rules, tax, cleaning=CleaningConfig())
>>> preds.filter(pl.col("uid") == "1:1").select("task", "value").rows()
[('is_ad', ['Ad']), ('vertical', ['Retail']), ('tags', [])]
>>> preds.filter(pl.col("uid") == "1:2").select("task", "value").rows()
[('is_ad', ['Non-Ad'])]
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl

from workbench.core.amharic import exprs as ax
from workbench.core.amharic.patterns import (
    homophone_table,
    normalization_replacements,
)
from workbench.core.amharic.prices import (
    NEGOTIABLE_PATTERN,
    PER_AREA_PATTERN,
    PLAIN_PRICE_PATTERN,
    SCALED_AMOUNT_PATTERN,
)
from workbench.core.amharic.strings import normalize
from workbench.core.config import CleaningConfig
from workbench.core.schemas import PREDICTIONS_SCHEMA, require_columns
from workbench.core.taxonomy import Taxonomy
from workbench.labeling.learned_gate import ad_probability, fitted_model, model_for, read_gate_posts
from workbench.labeling.rules_file import (
    BUILTIN_SIGNALS,
    Gate,
    Rules,
    Signal,
    load_rules,
    rules_path,
)

# The rules file's schema and loader live in rules_file; these names are the public face of the
# rules, so callers import them from here.
__all__ = ["BUILTIN_SIGNALS", "RULE_COLUMNS", "SIGNAL_PREFIX", "Gate", "Rules", "Signal",
           "gate_evidence", "keyword_counts", "learned_ad_probability", "load_rules",
           "rule_inputs", "rule_predictions", "rules_path", "signal_pattern"]


def rule_inputs(frame: pl.DataFrame, cleaning: CleaningConfig) -> pl.DataFrame:
    """:data:`RULE_COLUMNS` computed from a plain ``text`` column (texts that were not ingested).

    The same core expressions ingest's cleaning uses (no entities: a foreign file has none), so a
    text scores the same here as after ``workbench ingest``. A missing ``uid`` is the row number.
    """
    text = pl.col("text").cast(pl.Utf8).fill_null("")
    out = frame.with_columns(
        _tags=ax.find_tags(text), text_clean=ax.clean_text(text, cleaning),
        phones=ax.extract_phones(text),
    ).with_columns(
        mentions=ax.mentions_from_tags(pl.col("_tags")), links=ax.links_from_tags(pl.col("_tags")),
        text_norm=ax.normalize_text(pl.col("text_clean"), cleaning),
    ).drop("_tags", "text_clean")
    if "uid" not in out.columns:
        out = out.with_columns(uid=pl.int_range(pl.len()).cast(pl.Utf8))
    return out.with_columns(pl.col("uid").cast(pl.Utf8))


#: Cleaned columns the rules read (``text``, the post as written, for its line breaks).
RULE_COLUMNS = ("uid", "text", "text_norm", "phones", "links", "mentions")

_LATIN_ONLY = re.compile(r"^[\x00-\x7f]+$")


def _pattern(words: list[str], cleaning: CleaningConfig) -> str | None:
    """One regex for ``words`` as ``text_norm`` spells them (Latin: whole words only)."""
    latin, other = [], []
    for word in words:
        norm = normalize(word, cleaning)
        if not norm:
            continue
        (latin if _LATIN_ONLY.match(norm) else other).append(re.escape(norm))
    parts = []
    if latin:
        # ASCII word boundaries: Unicode-aware \b makes the regex engine ~10x slower here.
        parts.append(r"(?-u:\b)(?:" + "|".join(sorted(latin, key=len, reverse=True)) + r")(?-u:\b)")
    if other:
        parts.append("(?:" + "|".join(sorted(other, key=len, reverse=True)) + ")")
    return "|".join(parts) or None


def signal_pattern(patterns: list[str], cleaning: CleaningConfig) -> str | None:
    r"""One regex for a declared signal, its Ge'ez letters spelt as ``text_norm`` spells them.

    Only the homophone map is applied (not Latin lower-casing, which would turn ``\S`` into
    ``\s``): write Latin parts in lower case, as ``text_norm`` holds them.
    """
    table = str.maketrans(homophone_table(
        cleaning.tsa_series_target, labialised=cleaning.unify_labialised,
    )) if cleaning.unify_homophones else {}
    parts = [f"(?:{p.translate(table)})" for p in patterns if p]
    return "|".join(parts) or None


def _hits(pattern: str | None, column: str = "text_norm") -> pl.Expr:
    if pattern is None:
        return pl.lit(0, dtype=pl.UInt32)
    return pl.col(column).fill_null("").str.count_matches(pattern).cast(pl.UInt32)


#: The post as written, spelt like ``text_norm`` but with its line breaks: what per-line signals
#: read.
_LINES = "_lines"


def _lines_text(cleaning: CleaningConfig) -> pl.Expr:
    r"""``text`` with text_norm's character map applied and every line break as one ``\n``."""
    table = normalization_replacements(cleaning)
    text = pl.col("text").cast(pl.Utf8).fill_null("").str.replace_all(r"\r\n?|[\x{2028}\x{2029}\x{85}]", "\n")
    return text.str.replace_many(list(table), list(table.values())) if table else text


def _line_pattern(pattern: str | None) -> str | None:
    """``pattern`` matched at most once per line: a match runs from a line start to the first hit."""
    return None if pattern is None else r"(?m)^[^\n]*?(?:" + pattern + ")"


#: Prefix of the per-signal columns :func:`gate_evidence` returns.
SIGNAL_PREFIX = "signal:"
_SCORE = "_p_gate"


def _with_gate_score(messages: pl.DataFrame, gate: Gate, cleaning: CleaningConfig) -> pl.DataFrame:
    """``messages`` with one boolean column per signal (:data:`SIGNAL_PREFIX` + name) and the gate score."""
    signals: dict[str, pl.Expr] = {
        "phone": pl.col("phones").list.len().fill_null(0) > 0,
        # Not the cleaned `prices`: they count "12 ሚሊዮን ብር", which is `scaled_amount` here.
        "price": _hits(PLAIN_PRICE_PATTERN, "text") > 0,
        "link": pl.col("links").list.len().fill_null(0) > 0,
        "mention": pl.col("mentions").list.len().fill_null(0) > 0,
        "call_to_action": _hits(_pattern(gate.call_to_action, cleaning)) > 0,
        "scaled_amount": _hits(SCALED_AMOUNT_PATTERN) > 0,
        "per_area": _hits(PER_AREA_PATTERN) > 0,
        "negotiable": _hits(NEGOTIABLE_PATTERN) > 0,
    }
    if any(gate.signal(name).per_line for name in gate.signals):
        messages = messages.with_columns(_lines_text(cleaning).alias(_LINES))
    for name in gate.signals:
        spec = gate.signal(name)
        pattern = signal_pattern(spec.patterns, cleaning)
        count = _hits(_line_pattern(pattern), _LINES) if spec.per_line else _hits(pattern)
        signals[name] = count >= spec.min_count
    used = list(dict.fromkeys([*gate.weights, *gate.against, *gate.overrides]))
    messages = messages.with_columns([signals[name].alias(SIGNAL_PREFIX + name) for name in used])
    # Noisy-OR: P(ad) = 1 - prod(1 - w_s) over the signals present, then damped by the evidence
    # against (news / chat language): P *= prod(1 - a_s), unless an ``overrides`` signal is present.
    keep = pl.lit(1.0)
    for name, weight in gate.weights.items():
        keep = keep * pl.when(pl.col(SIGNAL_PREFIX + name)).then(1.0 - weight).otherwise(1.0)
    damp = pl.lit(1.0)
    for name, weight in gate.against.items():
        damp = damp * pl.when(pl.col(SIGNAL_PREFIX + name)).then(1.0 - weight).otherwise(1.0)
    # A paid-post marker (``overrides``) is the channel saying the post is an ad: not damped.
    overridden = (pl.any_horizontal([pl.col(SIGNAL_PREFIX + n) for n in gate.overrides])
                  if gate.overrides else pl.lit(value=False))
    p_gate = (1.0 - keep) * pl.when(overridden).then(1.0).otherwise(damp)
    scored = messages.with_columns(p_gate.alias(_SCORE)).drop(_LINES, strict=False)
    if gate.learned is None:
        return scored
    weight = gate.learned.weight
    learned = pl.Series(_SCORE, learned_ad_probability(gate, scored.get_column("text_norm"),
                                                       cleaning))
    return scored.with_columns((pl.col(_SCORE) * (1.0 - weight) + learned * weight).alias(_SCORE))


def learned_ad_probability(gate: Gate, texts_norm: pl.Series, cleaning: CleaningConfig) -> np.ndarray:
    """The learned part's ``P(positive)`` for each text (``gate.learned`` must be set).

    Its posts are normalised as ``rule_inputs`` normalises a message, with the same cleaning.
    """
    learned = gate.learned
    if learned is None:
        msg = "the gate has no learned part"
        raise ValueError(msg)
    posts = Path(learned.posts)

    def build() -> object:
        texts, y = read_gate_posts(posts, gate.positive, gate.negative)
        frame = rule_inputs(pl.DataFrame({"uid": [str(i) for i in range(len(texts))],
                                          "text": texts}), cleaning)
        return fitted_model(frame.get_column("text_norm").fill_null("").to_list(), y, learned.c)

    key = f"{cleaning.model_dump_json()}|{learned.c}|{gate.positive}|{gate.negative}"
    model = model_for(posts, key, build)
    return ad_probability(model, texts_norm.fill_null("").to_list())


def gate_evidence(messages: pl.DataFrame, rules: Rules, *, cleaning: CleaningConfig) -> pl.DataFrame:
    """Why the gate decided as it did, for :data:`RULE_COLUMNS` rows.

    Returns ``uid``, one boolean column per weighted or ``against`` signal (named
    :data:`SIGNAL_PREFIX` + signal name) and ``score`` (the noisy-OR before the threshold): what
    ``bench/rules.py --show`` prints.
    """
    require_columns(messages, RULE_COLUMNS, "rule pre-annotations input")
    out = _with_gate_score(messages, rules.gate, cleaning)
    return out.select("uid", pl.col(f"^{re.escape(SIGNAL_PREFIX)}.*$"), score=pl.col(_SCORE))


def _lexicon_labels(rules: Rules, task: str) -> list[str]:
    """The labels of ``task`` with keywords or patterns, keywords' labels first."""
    labels = list(rules.keywords.get(task, {}))
    return labels + [lab for lab in rules.patterns.get(task, {}) if lab not in labels]


def _keyword_hits(rules: Rules, task: str, labels: list[str], cleaning: CleaningConfig) -> list[pl.Expr]:
    """Per label of ``task``, the matches of its keywords and its patterns in ``text_norm``."""
    out = []
    for lab in labels:
        hits = _hits(_pattern(rules.keywords.get(task, {}).get(lab, []), cleaning))
        pattern = signal_pattern(rules.patterns.get(task, {}).get(lab, []), cleaning)
        out.append(hits + _hits(pattern) if pattern is not None else hits)
    return out


def keyword_counts(messages: pl.DataFrame, rules: Rules, task: str, *,
                   cleaning: CleaningConfig) -> pl.DataFrame:
    """``uid`` and, per label with keywords in ``task``, its keyword matches in each message.

    Not gated: a vertical's evidence is counted whatever the gate decides, for a reader that
    already knows the post is an ad (curation pools it with the classifier on labeled ads).
    """
    require_columns(messages, ("uid", "text_norm"), "keyword counts input")
    labels = _lexicon_labels(rules, task)
    return messages.select("uid", *[hits.alias(lab) for hits, lab in
                                    zip(_keyword_hits(rules, task, labels, cleaning), labels,
                                        strict=True)])


def rule_predictions(
    messages: pl.DataFrame,
    rules: Rules,
    taxonomy: Taxonomy,
    *,
    cleaning: CleaningConfig,
) -> pl.DataFrame:
    """Pre-annotations for ``messages`` (cleaned rows) as a :data:`~workbench.core.schemas.PREDICTIONS_SCHEMA` frame.

    Parameters
    ----------
    messages
        Cleaned messages with at least :data:`RULE_COLUMNS`.
    rules
        From :func:`load_rules`.
    taxonomy
        Decides which tasks apply given the predicted gate answer (``when`` conditions).
    cleaning
        The project's cleaning config, so keywords are normalised like ``text_norm``.

    Returns
    -------
    pl.DataFrame
        One row per (uid, task) predicted: the gate task always, keyword tasks when they apply
        (single: the label with most hits, if any; multi: every label with a hit, possibly none).
    """
    require_columns(messages, RULE_COLUMNS, "rule pre-annotations input")
    gate = rules.gate
    # Computed once into a column: every task's expressions below refer to the gate (its value,
    # score and the `when` conditions), and eager Polars would run the signal regexes each time.
    messages = _with_gate_score(messages, gate, cleaning)
    p_gate = pl.col(_SCORE)
    gate_pos = p_gate >= gate.threshold
    values: dict[str, pl.Expr] = {
        gate.task: pl.concat_list(pl.when(gate_pos).then(pl.lit(gate.positive))
                                  .otherwise(pl.lit(gate.negative)))}
    scores: dict[str, pl.Expr] = {gate.task: pl.when(gate_pos).then(p_gate).otherwise(1.0 - p_gate)}
    masks: dict[str, pl.Expr] = {gate.task: pl.lit(True)}

    def applies(task: str) -> pl.Expr:
        # The taxonomy's `when`, evaluated on the predicted answers (vectorised Taxonomy.applies).
        cond = taxonomy.task(task).when
        if cond is None:
            return pl.lit(True)
        if cond.task not in values:
            return pl.lit(False)
        return masks[cond.task] & values[cond.task].list.contains(cond.equals)

    for task in taxonomy.names:  # declaration order, so a condition sees its parent
        lexicon = _lexicon_labels(rules, task)
        if task == gate.task or not lexicon:
            continue
        labels = [lab for lab in taxonomy.task(task).values if lab in lexicon]
        # Materialised for the same reason as the gate: each count is read several times.
        names = [f"_{task}_{i}" for i in range(len(labels))]
        messages = messages.with_columns(
            [hits.alias(n) for hits, n in zip(_keyword_hits(rules, task, labels, cleaning), names,
                                              strict=True)])
        counts = [pl.col(n) for n in names]
        if taxonomy.task(task).kind == "single":
            best = pl.max_horizontal(counts)
            tied = pl.sum_horizontal([(c == best).cast(pl.UInt32) for c in counts])
            # More hits -> more confident; a tie halves the confidence in the first label.
            scores[task] = (0.5 + 0.15 * best) / tied
            values[task] = pl.concat_list(
                pl.lit(pl.Series([labels])).list.get(pl.concat_list(counts).list.arg_max()))
            masks[task] = applies(task) & (best > 0)
            fallback = rules.fallback.get(task)
            if fallback is not None:
                # No hit: the declared catch-all at a low score, so the task is still pre-filled.
                values[task] = pl.when(best > 0).then(values[task]).otherwise(
                    pl.concat_list(pl.lit(fallback)))
                scores[task] = pl.when(best > 0).then(scores[task]).otherwise(rules.fallback_score)
                masks[task] = applies(task)
        else:
            values[task] = pl.concat_list(
                [pl.when(c > 0).then(pl.lit(lab)).otherwise(pl.lit(None, dtype=pl.Utf8))
                 for lab, c in zip(labels, counts, strict=True)]).list.drop_nulls()
            scores[task] = pl.when(values[task].list.len() > 0).then(0.6).otherwise(0.5)
            masks[task] = applies(task)
    order = {t: i for i, t in enumerate(taxonomy.names)}
    parts = [
        messages.with_row_index("_row").select(
            "_row", "uid", task=pl.lit(task), _order=pl.lit(order[task]),
            value=values[task].cast(pl.List(pl.Utf8)),
            score=pl.min_horizontal(scores[task].cast(pl.Float64), pl.lit(rules.max_score)).round(4),
            _keep=masks[task],
        ).filter(pl.col("_keep"))
        for task in values
    ]
    out = pl.concat(parts).sort("_row", "_order")
    # Rule scores are not calibrated: their uncertainty is plainly 1 - score.
    return out.select(
        "uid", "task", "value", "score", model_version=pl.lit(rules.model_version),
        uncertainty=1.0 - pl.col("score"),
    ).cast(PREDICTIONS_SCHEMA)
