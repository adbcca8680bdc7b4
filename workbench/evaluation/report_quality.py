"""Error analysis and moderation: check failures and moderation flags per system, with examples.

Both are read from ``summary.json`` (``errors`` and ``moderation``, written by
:mod:`workbench.evaluation.errors`); what was not measured is said, with the reason.
"""

from __future__ import annotations

from typing import Any

from workbench.evaluation.report_data import EvalData
from workbench.evaluation.report_tables import Cell, Section, Table, esc, note, pct


def _count_table(ident: str, rows: list[dict[str, Any]], key: str, systems: list[str]) -> Table:
    """System x kind (or tag) counts: ``count/n (share)``."""
    kinds = list(dict.fromkeys(r[key] for r in rows))
    by = {(r["system"], r[key]): r for r in rows}
    table = Table(ident, "counts", ["system", *kinds])
    for system in [s for s in systems if any(r["system"] == s for r in rows)]:
        cells: list[Cell | str] = [system]
        for kind in kinds:
            r = by.get((system, kind))
            cells.append(Cell("—", cls="num") if r is None else
                         Cell(f"{r['count']}/{r['n']}", sub=pct(r["share"], 0),
                              cls="num bad" if r["count"] else "num", sort=r["share"]))
        table.add(cells, {"system": system})
    return table


def _examples(rows: list[dict[str, Any]], key: str) -> tuple[str, str]:
    """Up to three examples per (system, kind) with a failure, as a list."""
    html, md = [], []
    for r in rows:
        for ex in r.get("examples") or []:
            html.append(f"<li><b>{esc(r['system'])}</b> · {esc(r[key])} · item "
                        f"<code>{esc(ex['item_id'])}</code>: <span class='am' lang='am'>"
                        f"{esc(ex['excerpt'])}</span> <span class='meta'>({esc(ex['detail'])})"
                        "</span></li>")
            md.append(f"- **{r['system']}** · {r[key]} · item `{ex['item_id']}`: "
                      f"{ex['excerpt']} ({ex['detail']})")
    if not html:
        return "", ""
    return (f"<details open><summary>Examples ({len(html)})</summary><ul class='examples-list'>"
            f"{''.join(html)}</ul></details>", "\n".join(md) + "\n")


def errors_section(data: EvalData) -> Section:
    """``#errors``: output-check failures per task, system and kind, with examples."""
    errors = data.summary_json.get("errors")
    title = "Error analysis: output checks"
    if errors is None:
        html, md = note("Not measured: this evaluation predates the output checks (no "
                        "<code>errors</code> in summary.json); run it again to see them.")
        return Section("errors", title, html, md)
    html = ["<p class='meta'>Failures of each output check (the checks <code>workbench "
            "generate</code> runs) per system: failed/checked generations and share; a check "
            "that does not apply to a task is left out.</p>"]
    md = ["Failures of each output check per system (failed/checked, share).\n"]
    for task in data.tasks:
        rows = [r for r in errors if r["task"] == task]
        if not rows:
            continue
        table = _count_table(f"errors-{task}", rows, "kind", data.systems)
        ex_html, ex_md = _examples(rows, "kind")
        html += [f"<h3>{esc(task)}</h3>", table.html(), ex_html]
        md += [f"### {task}\n", table.markdown(), ex_md]
    return Section("errors", title, "\n".join(html), "\n".join(md))


def moderation_section(data: EvalData) -> Section:
    """``#moderation``: flagged outputs per system and tag, with examples; unmeasured tags."""
    mod = data.summary_json.get("moderation")
    title = "Moderation"
    if mod is None:
        html, md = note("Not measured: this evaluation predates moderation (no "
                        "<code>moderation</code> in summary.json).")
        return Section("moderation", title, html, md)
    html = [f"<p class='meta'>Every output through the taxonomy's tags with the "
            f"<code>{esc(mod.get('classifier'))}</code> classifier fitted on the train split's "
            f"tag answers; flagged at p ≥ {esc(mod.get('threshold'))}. Measured: "
            f"{esc(', '.join(mod.get('measured') or []) or 'none')}.</p>"]
    md = [f"Classifier `{mod.get('classifier')}`, flagged at p >= {mod.get('threshold')}; "
          f"measured: {', '.join(mod.get('measured') or []) or 'none'}.\n"]
    not_measured = mod.get("not_measured") or {}
    if not_measured:
        table = Table("moderation-not-measured", "reasons", ["tag", "not measured because"])
        for tag, reason in not_measured.items():
            table.add([tag, reason], {"tag": tag})
        html += ["<h3>Not measured</h3>", table.html()]
        md += ["### Not measured\n", table.markdown()]
    flagged = mod.get("flagged") or []
    for task in data.tasks:
        rows = [r for r in flagged if r["task"] == task]
        if not rows:
            continue
        table = _count_table(f"moderation-{task}", rows, "tag", data.systems)
        ex_html, ex_md = _examples(rows, "tag")
        html += [f"<h3>{esc(task)}</h3>", table.html(), ex_html]
        md += [f"### {task}\n", table.markdown(), ex_md]
    return Section("moderation", title, "\n".join(html), "\n".join(md))
