"""Human ratings: Likert means, Bradley-Terry strengths and win rates, agreement.

Every preference number comes with its interval and its vote count (the evaluation's
:func:`~workbench.evaluation.bradley_terry.preference_table`); below
:data:`~workbench.evaluation.bradley_terry.MIN_VOTES` votes a rating reads "too few votes".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from workbench.evaluation.report_data import EvalData
from workbench.evaluation.report_figures import Figure, bt_plot
from workbench.evaluation.report_tables import Cell, Section, Table, finite, note, num, pct

CRITERIA = ("fluency", "relevance", "catchiness", "amharic")
CRITERIA_LABELS = {"fluency": "fluency", "relevance": "relevance to the brief",
                   "catchiness": "catchiness", "amharic": "Amharic correctness"}


@dataclass
class HumanResults:
    """Human-rating tables and the vote lists."""

    likert: pl.DataFrame
    bt: list[dict[str, Any]]
    agreement: pl.DataFrame
    votes: tuple[list[str], list[str], list[str]]


def human_results(ratings: pl.DataFrame, systems: list[str], seed: int = 0) -> HumanResults:
    """Likert means with bootstrap CIs, preference rows (votes, win rate, rating), agreement."""
    from workbench.evaluation.agreement import latest, likert_agreement, pairwise_agreement
    from workbench.evaluation.bootstrap import bootstrap_ci
    from workbench.evaluation.bradley_terry import preference_table
    from workbench.evaluation.ratings_pull import rating_votes

    likert = latest(ratings.filter(pl.col("kind") == "likert"))
    rows = []
    for system in systems:
        for criterion in CRITERIA:
            values = likert.filter((pl.col("system") == system)
                                   & (pl.col("criterion") == criterion))["score"].to_numpy()
            ci = bootstrap_ci(values, n_resamples=1000, seed=seed)
            rows.append({"system": system, "criterion": criterion, "mean": ci.mean,
                         "ci_low": ci.low, "ci_high": ci.high, "n": ci.n})
    a, b, outcome = rating_votes(ratings)
    names = [s for s in systems if s in set(a) | set(b)]
    bt = preference_table(a, b, outcome, systems=names, seed=seed) if a else []
    agreement = pl.concat([likert_agreement(ratings), pairwise_agreement(ratings)])
    return HumanResults(pl.DataFrame(rows), bt, agreement, (a, b, outcome))


def preference_rows(rows: list[dict[str, Any]]) -> Table:
    """``#bt``: rank, system, votes, win rate [CI], Bradley-Terry rating [CI] (never bare)."""
    table = Table("bt", "bt", ["#", "system", "rating [95% CI]", "votes", "win rate [95% CI]"])
    for r in rows:
        interval = f"[{r['rating_low']:.0f}, {r['rating_high']:.0f}]"
        rating = (Cell(f"{r['rating']:.0f}", sub=interval, cls="num", sort=r["rating"])
                  if r["enough_votes"] else
                  Cell("too few votes", sub=f"95% CI {interval}", cls="num", sort=r["rating"]))
        win = (Cell(pct(r["win_rate"], 0), sub=f"[{pct(r['win_low'], 0)}, "
                    f"{pct(r['win_high'], 0)}]", cls="num", sort=r["win_rate"])
               if r["votes"] else Cell("—", cls="num"))
        table.add([Cell(str(r["rank"]), cls="num", sort=r["rank"]), str(r["system"]), rating,
                   Cell(str(r["votes"]), cls="num", sort=r["votes"]), win],
                  {"system": str(r["system"]), "votes": str(r["votes"])})
    return table


def likert_table(likert: pl.DataFrame) -> Table:
    """``#likert``: per system and criterion the mean 1-5 score with its interval."""
    by = {(r["system"], r["criterion"]): r for r in likert.iter_rows(named=True)}
    table = Table("likert", "likert", ["system", *(CRITERIA_LABELS[c] for c in CRITERIA),
                                       "ratings"])
    for s in dict.fromkeys(likert["system"].to_list()):
        cells: list[Cell | str] = [s]
        for c in CRITERIA:
            r = by.get((s, c))
            cells.append(Cell("—", cls="num") if r is None or not finite(r["mean"]) else
                         Cell(num(r["mean"]), sub=f"[{num(r['ci_low'])}, {num(r['ci_high'])}]",
                              cls="num", sort=r["mean"]))
        n = max((by.get((s, c)) or {}).get("n", 0) for c in CRITERIA)
        cells.append(Cell(str(n), cls="num", sort=n))
        table.add(cells, {"system": s})
    return table


def human_section(data: EvalData) -> tuple[Section, HumanResults | None]:
    """``#human``: Likert, Bradley-Terry with win rates and votes, agreement (or how to rate)."""
    from workbench.evaluation.bradley_terry import MIN_VOTES

    title = "Human ratings"
    if data.ratings is None or data.ratings.height == 0:
        pushed = (data.eval_dir / "ratings" / "push.json").exists()
        html, md = note("Rating projects are pushed but nobody has rated yet: rate in Label "
                        "Studio, then <code>workbench eval rate pull</code>." if pushed else
                        "No human ratings pulled yet: <code>workbench eval rate push</code>, rate "
                        "in Label Studio, then <code>workbench eval rate pull</code>.")
        return Section("human", title, html, md), None
    human = human_results(data.ratings, data.systems)
    likert = likert_table(human.likert)
    html = ["<h3>Likert ratings (1-5, mean and 95% bootstrap CI)</h3>", likert.html()]
    md = ["### Likert ratings (1-5, mean [95% bootstrap CI])\n", likert.markdown()]
    figures = []
    if human.bt:
        bt = preference_rows(human.bt)
        text = (f"{len(human.votes[0])} pairwise votes (each annotator's latest per task); win "
                "rate with its 95% Wilson interval (a tie counts half), Bradley-Terry rating "
                "(Elo-like scale, ties: Davidson) with its 95% bootstrap interval, read from "
                f"{MIN_VOTES} votes on.")
        html += ["<h3>Bradley-Terry strengths and win rates</h3>",
                 f"<p class='meta'>{text}</p>", bt.html()]
        md += ["### Bradley-Terry strengths\n", text + "\n", bt.markdown()]
        png = bt_plot(human.bt)
        if png:
            figures.append(Figure("bradley-terry", "Bradley-Terry ratings, 95% bootstrap CI", png))
    agree = Table("agreement", "agreement", ["criterion", "Krippendorff's α", "units (2+ raters)",
                                             "annotators", "level"])
    for r in human.agreement.iter_rows(named=True):
        agree.add([r["criterion"], Cell(num(r["alpha"], 3), cls="num"),
                   Cell(str(r["units"]), cls="num"), Cell(str(r["annotators"]), cls="num"),
                   r["level"]])
    html += ["<h3>Agreement</h3>", agree.html()]
    md += ["### Agreement\n", agree.markdown()]
    return Section("human", title, "\n".join(html), "\n".join(md), figures), human
