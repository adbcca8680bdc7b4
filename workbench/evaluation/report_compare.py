"""The section the report leads with: challenger vs champion, and where the challenger lost.

Read from ``compare.json`` (:class:`~workbench.core.manifests.CompareResult`): per metric the
paired difference with its CI and p-value (one procedure), both check pass rates, the human win
rate with its interval and votes, every gate condition and the verdict. The per-item view lists
the items where the challenger lost most on the gate metric, side by side with the reference
and the champion's output.
"""

from __future__ import annotations

import math

import polars as pl

from workbench.core.manifests import CompareResult
from workbench.evaluation.report_data import EvalData
from workbench.evaluation.report_leaderboard import significance_row
from workbench.evaluation.report_tables import Cell, Section, Table, esc, note, num, pct

HOW_TO = ("No comparison in this evaluation yet. Mark the model in use with "
          "<code>workbench eval promote RUN</code>, then score a new run against it with "
          "<code>workbench eval compare CHALLENGER</code> (or <code>workbench eval compare "
          "CHALLENGER --against CHAMPION --eval-id {eval_id}</code> on this evaluation); the "
          "report then leads with the verdict.")


def comparison_section(data: EvalData, result: CompareResult | None) -> Section:
    """``#comparison``: the verdict and everything it rests on (or how to get one)."""
    title = "Challenger vs champion"
    if result is None:
        html, md = note(HOW_TO.format(eval_id=esc(data.eval_dir.name)))
        return Section("comparison", title, html, md)
    ch, cp = result.challenger, result.champion
    verdict = "challenger wins" if result.wins else "challenger does not win"
    level = f"{100 * result.confidence:g}%"
    alpha = round(1.0 - result.confidence, 10)
    head = (f"<b>{esc(ch)}</b> (challenger) vs <b>{esc(cp)}</b> (champion) on "
            f"<b>{esc(result.task)}</b>, compared {esc(result.created_at)}")
    if result.champion_record is not None:
        rec = result.champion_record
        head += (f"; champion promoted by {esc(rec.promoted_by)} at {esc(rec.promoted_at)}"
                 + (f" ({esc(rec.note)})" if rec.note else ""))
    cls = "win" if result.wins else "lose"
    html = [f"<p class='verdict {cls}' id='verdict'>Verdict: {esc(verdict)}</p>",
            f"<p class='meta'>{head}. Difference = challenger − champion on the same items; "
            f"{level} paired bootstrap interval and p-value from the same resampled "
            f"differences; green p: the interval excludes 0 and p &lt; {alpha:g}.</p>"]
    md = [f"**Verdict: {verdict}**\n",
          f"{ch} (challenger) vs {cp} (champion) on {result.task}, compared "
          f"{result.created_at}. Difference = challenger − champion ({level} paired bootstrap "
          f"CI and p from one procedure; `*`: the interval excludes 0 and p < {alpha:g}).\n"]
    table = Table("compare-metrics", "paired compare",
                  ["metric", "challenger", "champion", "diff", f"{level} CI", "p", "items"])
    for m in result.metrics:
        cells, attrs = significance_row(m.metric, "", m.delta, m.ci_low, m.ci_high, m.p_value,
                                        m.n, alpha)
        cells[1:2] = [Cell(num(m.challenger, 3), cls="num", sort=m.challenger),
                      Cell(num(m.champion, 3), cls="num", sort=m.champion)]
        table.add(cells, attrs, cls="gate" if m.metric == result.gate_metric else "")
    html.append(table.html())
    md.append(table.markdown())
    facts = Table("compare-facts", "facts", ["", ch, cp])
    rates = result.check_pass_rate
    facts.add(["check pass rate", *(pct(rates.get(s)) if rates.get(s) is not None
                                    else "not measured" for s in (ch, cp))])
    h = result.human
    facts.add(["human win rate (pairwise votes, tie = ½)",
               "no pairwise ratings" if h is None else
               f"{pct(h.win_rate, 0)} [{pct(h.ci_low, 0)}, {pct(h.ci_high, 0)}], {h.votes} votes",
               "" if h is None else f"{pct(1 - h.win_rate, 0)}"])
    for name, means in result.baselines.items():
        facts.add([f"baseline {name} ({result.gate_metric}, for scale)",
                   num(means.get(result.gate_metric, math.nan), 3), ""])
    html.append(facts.html())
    md.append(facts.markdown())
    gate = Table("gate", "gate", ["condition", "outcome", "why"])
    for c in result.conditions:
        gate.add([c.name, Cell("pass" if c.passed else "FAIL", cls="pass" if c.passed else "fail"),
                  c.detail], {"passed": "1" if c.passed else "0"})
    html += ["<h3>Gate (the suite's rule)</h3>", gate.html()]
    md += ["### Gate (the suite's rule)\n", gate.markdown()]
    return Section("comparison", title, "\n".join(html), "\n".join(md))


def lost_items(data: EvalData, result: CompareResult, n: int) -> pl.DataFrame:
    """The ``n`` items where the challenger lost most against the champion on the gate metric.

    Columns: ``item_id``, ``challenger``, ``champion`` (scores), ``loss`` (how much worse the
    challenger is, in the metric's better direction; positive: lost).
    """
    metric = next((m for m in result.metrics if m.metric == result.gate_metric), None)
    sign = -1.0 if metric is not None and metric.higher_is_better is False else 1.0
    part = data.scores.filter((pl.col("task") == result.task)
                              & (pl.col("metric") == result.gate_metric)
                              & pl.col("system").is_in([result.challenger, result.champion]))
    if part.height == 0:
        return pl.DataFrame()
    wide = part.pivot(on="system", index="item_id", values="value")
    if result.challenger not in wide.columns or result.champion not in wide.columns:
        return pl.DataFrame()
    wide = wide.rename({result.challenger: "challenger", result.champion: "champion"})
    return (wide.with_columns(loss=sign * (pl.col("champion") - pl.col("challenger")))
            .filter(pl.col("loss").is_finite() & (pl.col("loss") > 0))
            .sort(["loss", "item_id"], descending=[True, False]).head(n))


def lost_items_section(data: EvalData, result: CompareResult | None, n: int = 5) -> Section | None:
    """``#lost-items``: reference, champion's output and challenger's output side by side."""
    if result is None:
        return None
    title = f"Where {result.challenger} lost most against {result.champion}"
    worst = lost_items(data, result, n)
    if worst.height == 0:
        html, md = note(f"The challenger scores no item below the champion on "
                        f"{esc(result.gate_metric)}.")
        return Section("lost-items", title, html, md)
    items = {r["item_id"]: r for r in data.items.filter(pl.col("task") == result.task)
             .iter_rows(named=True)}
    gens = data.generations.filter((pl.col("task") == result.task) & (pl.col("sample") == 0))
    text = {(r["item_id"], r["system"]): r["text"] or "" for r in gens.iter_rows(named=True)}
    html = [f"<p class='meta'>Per item {esc(result.gate_metric)} (first sample's text shown); "
            f"the {worst.height} largest losses, worst first.</p>"]
    md = [f"Per item {result.gate_metric}; the {worst.height} largest losses, worst first.\n"]
    for row in worst.iter_rows(named=True):
        item = items.get(row["item_id"], {})
        cards = [("reference", item.get("reference") or "", "ref"),
                 (f"champion {result.champion} · {num(row['champion'], 3)}",
                  text.get((row["item_id"], result.champion), ""), "champion"),
                 (f"challenger {result.challenger} · {num(row['challenger'], 3)}",
                  text.get((row["item_id"], result.challenger), ""), "challenger")]
        html.append(f"<h3>{esc(item.get('uid', row['item_id']))} · lost by "
                    f"{num(row['loss'], 3)}</h3><div class='examples lost' "
                    f"data-item='{esc(row['item_id'])}'>" + "".join(
                        f'<div class="card {cls}"><h4>{esc(head)}</h4>'
                        f'<div class="am" lang="am">{esc(body)}</div></div>'
                        for head, body, cls in cards) + "</div>")
        md.append(f"### {item.get('uid', row['item_id'])} · lost by {num(row['loss'], 3)}\n")
        md += [f"{head}:\n\n```\n{body}\n```\n" for head, body, _ in cards]
    return Section("lost-items", title, "\n".join(html), "\n".join(md))
