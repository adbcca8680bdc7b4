"""The report's two writers: one self-contained HTML page and its Markdown twin.

``leaderboard.html`` opens offline: CSS and the table-sorting script inline, plots inline as
base64 PNGs, no font or CDN download; Ethiopic text asks for locally installed fonts. Wide
tables scroll inside their own box, so the page fits a 1280 px window. ``leaderboard.md`` has
the same sections and tables, with the plots beside it in ``leaderboard_files/``.

The web app (strict CSP: no inline script) embeds the report's tables and serves
:data:`SORT_SCRIPT` as a same-origin file instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.io import write_bytes_atomic, write_text_atomic
from workbench.evaluation.report_data import EvalData
from workbench.evaluation.report_figures import Figure
from workbench.evaluation.report_tables import Section, esc

ETHIOPIC_FONTS = ('"Abyssinica SIL", "Noto Sans Ethiopic", "Noto Serif Ethiopic", "Nyala", '
                  '"Ebrima", "Kefa", "Geez Unicode", "Noto Color Emoji", "Apple Color Emoji", '
                  '"Segoe UI Emoji"')

CSS = """
:root { --ink: #1d2430; --muted: #5b6675; --line: #d9dee5; --accent: #1f6f5c; --soft: #f4f6f8; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 24px 28px 60px; color: var(--ink);
       font: 15px/1.5 system-ui, "DejaVu Sans", "Segoe UI", Roboto, Arial, ETHIOPIC, sans-serif; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 36px 0 8px;
     border-bottom: 2px solid var(--line); padding-bottom: 4px; } h3 { font-size: 16px; margin: 22px 0 6px; }
.meta { color: var(--muted); font-size: 13px; } .meta code { font-size: 12px; }
.note { background: var(--soft); border-left: 4px solid var(--accent); padding: 8px 12px; margin: 10px 0;
        font-size: 14px; }
.scroll { overflow-x: auto; max-width: 100%; margin: 8px 0 14px; }
table { border-collapse: collapse; font-size: 13.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
table.sortable th { cursor: pointer; user-select: none; }
th[aria-sort="ascending"]::after { content: " ▲"; } th[aria-sort="descending"]::after { content: " ▼"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .ci { color: var(--muted); font-size: 12px; } tr.top td, tr.gate td { background: #eef7f3; }
.best { font-weight: 700; } .sig { color: var(--accent); font-weight: 700; }
td.copies { color: #9b2c1f; font-weight: 700; } td.bad { color: #9b2c1f; }
td.pass { color: var(--accent); font-weight: 600; } td.fail { color: #9b2c1f; font-weight: 700; }
.verdict { font-size: 20px; font-weight: 700; padding: 8px 12px; border-radius: 6px; }
.verdict.win { background: #e3f3ec; color: var(--accent); }
.verdict.lose { background: #fbeae7; color: #9b2c1f; }
figure { margin: 10px 0 18px; } figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 13px; }
.am { font-family: ETHIOPIC, serif; font-size: 16px; line-height: 1.6; white-space: pre-wrap;
      overflow-wrap: anywhere; }
.examples { display: grid; gap: 10px; margin-bottom: 22px; grid-template-columns: repeat(3, minmax(0, 1fr)); }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; background: #fff; min-width: 0; }
.card h4 { margin: 0 0 4px; font-size: 13px; color: var(--muted); font-weight: 600; }
.card.ref { background: #fbfaf4; } .brief { background: var(--soft); }
.examples-list li { margin: 4px 0; overflow-wrap: anywhere; }
.lineage td:first-child { white-space: nowrap; color: var(--muted); }
.lineage code, .holders td { overflow-wrap: anywhere; }
""".replace("ETHIOPIC", ETHIOPIC_FONTS)

#: Click a header of a ``table.sortable`` to sort its rows (again: the other way). Cells sort by
#: ``data-sort`` when they have one (numbers), else by their text.
SORT_SCRIPT = """
(function () {
  function key(row, i) {
    var cell = row.cells[i];
    if (!cell) return "";
    var raw = cell.getAttribute("data-sort");
    if (raw !== null && raw !== "" && !isNaN(Number(raw))) return Number(raw);
    return cell.textContent.trim().toLowerCase();
  }
  function sortBy(th) {
    var table = th.closest("table"), body = table.tBodies[0];
    var i = Array.prototype.indexOf.call(th.parentNode.cells, th);
    var asc = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, i), y = key(b, i);
      if (typeof x !== typeof y) { x = String(x); y = String(y); }
      return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.addEventListener("click", function (event) {
    var th = event.target.closest("table.sortable thead th");
    if (th) sortBy(th);
  });
})();
"""

LEGEND = ("How to read: every value is a mean per item with its 95% percentile bootstrap interval "
          "over items. Differences are paired (same items); their interval and p-value come from "
          "the same resampled differences, and a p-value is <b class='sig'>green</b> (Markdown: "
          "<code>*</code>) exactly when the interval excludes 0 and p &lt; 0.05. Systems rank by "
          "the copy-aware metric (the plain metric where every output check passes, 0 where one "
          "fails), so copying a past ad cannot win. Click a column header to sort.")


@dataclass
class ReportResult:
    """What was written."""

    html: Path
    markdown: Path
    eval_id: str
    figures: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One-line summary."""
        return f"leaderboard of {self.eval_id}: {self.html} (and {self.markdown.name})"


def _figure_html(fig: Figure) -> str:
    return (f'<figure id="fig-{esc(fig.name)}"><img alt="{esc(fig.caption)}" '
            f'src="{fig.data_uri()}"><figcaption>{esc(fig.caption)}</figcaption></figure>')


def _figure_md(fig: Figure) -> str:
    return f"![{fig.caption}](leaderboard_files/{fig.name}.png)\n"


def _meta(data: EvalData) -> tuple[str, str]:
    m = data.manifest
    eval_id = data.eval_dir.name
    suite = data.summary_json.get("suite")
    commit = (m.git_commit or "")[:10]
    html = (f"evaluation <code>{esc(eval_id)}</code> · suite <b>{esc(suite)}</b> · "
            f"{esc(m.created_at)} · git <code>{esc(commit)}</code> · label snapshot "
            f"<code>{esc(m.label_snapshot.id)}</code> · split manifest "
            f"<code>{esc(m.split_manifest_sha256[:12])}</code> · ranked by "
            f"<b>{esc(data.ranking)}</b>")
    md = (f"Evaluation `{eval_id}` · suite `{suite}` · {m.created_at} · git `{commit}` · label "
          f"snapshot `{m.label_snapshot.id}` · split manifest `{m.split_manifest_sha256[:12]}` · "
          f"ranked by `{data.ranking}`")
    return html, md


def write_report(data: EvalData, out_dir: Path, sections: list[Section]) -> ReportResult:
    """Write ``leaderboard.html``, ``leaderboard.md`` and the figures' PNGs (readable by all)."""
    eval_id = data.eval_dir.name
    meta_html, meta_md = _meta(data)
    notes = data.summary_json.get("notes") or []
    body = "".join(
        f'<section id="{esc(s.id)}"><h2>{esc(s.title)}</h2>{s.html}'
        f'{"".join(_figure_html(f) for f in s.figures)}</section>' for s in sections)
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Leaderboard · {esc(eval_id)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>Amharic ad generation leaderboard</h1><p class='meta'>{meta_html}</p>"
        f"<p class='note'>{LEGEND}</p>"
        + "".join(f"<p class='note'>{esc(n)}</p>" for n in notes)
        + f"</header>{body}<script>{SORT_SCRIPT}</script></body></html>\n")
    legend_md = LEGEND.removesuffix(" Click a column header to sort.").replace("<b class='sig'>", "**").replace("</b>", "**").replace(
        "<code>", "`").replace("</code>", "`").replace("&lt;", "<")
    md = (f"# Amharic ad generation leaderboard\n\n{meta_md}\n\n> {legend_md}\n\n"
          + "".join(f"> {n}\n\n" for n in notes)
          + "\n".join(f"## {s.title}\n\n{s.md}\n" + "".join(_figure_md(f) for f in s.figures)
                      for s in sections))
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, md_path = out_dir / "leaderboard.html", out_dir / "leaderboard.md"
    write_text_atomic(html_path, page)
    write_text_atomic(md_path, md)
    files = out_dir / "leaderboard_files"
    figures = [f for s in sections for f in s.figures]
    for fig in figures:
        write_bytes_atomic(files / f"{fig.name}.png", fig.png)
    # A report is for sharing: readable by others (atomic writes create private 0600 files).
    for path in [html_path, md_path, *(files / f"{f.name}.png" for f in figures)]:
        path.chmod(0o644)
    return ReportResult(html=html_path, markdown=md_path, eval_id=eval_id,
                        figures=[f.name for f in figures], sections=[s.id for s in sections])
