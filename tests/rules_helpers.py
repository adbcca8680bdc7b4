"""What the packaged rules answer for a list of texts: the gate, its signals, the vertical.

Shared by the rules tests, each of which reads texts written as a user's file would hold them.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from workbench.core.config import CleaningConfig
from workbench.core.taxonomy import load_taxonomy
from workbench.labeling.rules import (
    SIGNAL_PREFIX,
    Rules,
    gate_evidence,
    load_rules,
    rule_inputs,
    rule_predictions,
)


def _rules(rules_file: Path | None, signals_only: bool) -> Rules:
    rules = load_rules(rules_file, taxonomy=load_taxonomy())
    if signals_only:  # the hand-written signals without the gate's learned part
        rules = rules.model_copy(update={"gate": rules.gate.model_copy(update={"learned": None})})
    return rules


def gate_of(texts: list[str], rules_file: Path | None = None, *,
            signals_only: bool = False) -> list[str]:
    """The gate's answer (``Ad`` / ``Non-Ad``) for each text."""
    tax = load_taxonomy()
    frame = rule_inputs(pl.DataFrame({"text": texts}), CleaningConfig())
    preds = rule_predictions(frame, _rules(rules_file, signals_only), tax, cleaning=CleaningConfig())
    gate = preds.filter(pl.col("task") == "is_ad").sort(pl.col("uid").cast(pl.Int64))
    return [v[0] for v in gate["value"].to_list()]


def signals_of(texts: list[str]) -> list[set[str]]:
    """The gate signals that fired on each text (names without the column prefix)."""
    frame = rule_inputs(pl.DataFrame({"text": texts}), CleaningConfig())
    ev = gate_evidence(frame, _rules(None, False), cleaning=CleaningConfig())
    return [{k.removeprefix(SIGNAL_PREFIX) for k, v in row.items() if k.startswith(SIGNAL_PREFIX) and v}
            for row in ev.sort(pl.col("uid").cast(pl.Int64)).iter_rows(named=True)]


def verticals_of(texts: list[str]) -> list[str | None]:
    """The rules' vertical for each text (None where none is predicted)."""
    tax = load_taxonomy()
    frame = rule_inputs(pl.DataFrame({"text": texts}), CleaningConfig())
    preds = rule_predictions(frame, _rules(None, False), tax, cleaning=CleaningConfig())
    got = {int(u): v[0] for u, v in
           preds.filter(pl.col("task") == "vertical").select("uid", "value").iter_rows()}
    return [got.get(i) for i in range(len(texts))]
