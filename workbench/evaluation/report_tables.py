"""The report's tables and sections, one value each, rendered to HTML and to Markdown.

A :class:`Table` keeps what it shows as data (header, cells, row attributes), so both writers and
the tests read the same rows: the HTML table (sortable by clicking a header, inside a box that
scrolls sideways when it is wider than the page) and the Markdown table are two renderings of it.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

from workbench.evaluation.report_figures import Figure

#: Significance level of the report's legend ("interval excludes 0 and p < ALPHA").
ALPHA = 0.05


def esc(text: Any) -> str:
    """HTML-escaped text (None: empty)."""
    return html.escape("" if text is None else str(text))


def finite(x: Any) -> bool:
    """A real, finite number."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def num(x: Any, digits: int = 2, sign: bool = False) -> str:
    """``x`` with ``digits`` decimals (``+`` for positive with ``sign``), ``—`` when not finite."""
    return (f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}") if finite(x) else "—"


def digits_for(metric: str, value: Any) -> int:
    """Decimals that show a metric's scale: 3 below 10 (shares, BLEU-like 0-1), else 1."""
    return 3 if finite(value) and abs(value) < 10 and metric != "length" else 1


def pct(x: Any, digits: int = 1) -> str:
    """A share as a percentage (``—`` when not measured)."""
    return f"{100 * x:.{digits}f}%" if finite(x) else "—"


def significant(low: Any, high: Any, p: Any, alpha: float = ALPHA) -> bool:
    """The legend's rule: the interval excludes 0 and ``p < alpha``."""
    return finite(low) and finite(high) and finite(p) and p < alpha and (low > 0 or high < 0)


@dataclass
class Cell:
    """One table cell: its text, a smaller second line (an interval), classes, a sort key."""

    text: str
    sub: str = ""
    cls: str = ""
    sort: float | str | None = None


@dataclass
class Table:
    """Header and rows of one table; ``attrs`` are each row's ``data-*`` attributes."""

    id: str
    cls: str
    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    attrs: list[dict[str, str]] = field(default_factory=list)
    row_cls: list[str] = field(default_factory=list)

    def add(self, cells: list[Cell | str], attrs: dict[str, str] | None = None,
            cls: str = "") -> None:
        """Append a row (a plain string is a text cell)."""
        self.rows.append([c if isinstance(c, Cell) else Cell(str(c)) for c in cells])
        self.attrs.append(attrs or {})
        self.row_cls.append(cls)

    def html(self) -> str:
        """``<div class="scroll"><table class="sortable ...">``: scrolls inside its own box."""
        head = "".join(f'<th scope="col">{esc(h)}</th>' for h in self.header)
        body = []
        for cells, attrs, cls in zip(self.rows, self.attrs, self.row_cls, strict=True):
            attr = "".join(f' data-{esc(k)}="{esc(v)}"' for k, v in attrs.items())
            attr += f' class="{esc(cls)}"' if cls else ""
            tds = []
            for c in cells:
                sort = f' data-sort="{esc(c.sort)}"' if c.sort is not None else ""
                klass = f' class="{esc(c.cls)}"' if c.cls else ""
                sub = f'<br><span class="ci">{esc(c.sub)}</span>' if c.sub else ""
                tds.append(f"<td{klass}{sort}>{esc(c.text)}{sub}</td>")
            body.append(f"<tr{attr}>{''.join(tds)}</tr>")
        ident = f' id="{esc(self.id)}"' if self.id else ""
        return (f'<div class="scroll"><table{ident} class="sortable {esc(self.cls)}">'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")

    def markdown(self) -> str:
        """A pipe table (the interval after the value, ``*`` after a significant p)."""
        if not self.header:
            return ""

        def text(c: Cell) -> str:
            mark = " *" if "sig" in c.cls.split() else ""
            cell = f"{c.text} {c.sub}".strip() + mark
            return cell.replace("|", "\\|").replace("\n", " ")

        lines = ["| " + " | ".join(h.replace("|", "\\|") for h in self.header) + " |",
                 "|" + "---|" * len(self.header)]
        lines += ["| " + " | ".join(text(c) for c in row) + " |" for row in self.rows]
        return "\n".join(lines) + "\n"


@dataclass
class Section:
    """One ``<section>`` of the report: its id, title, HTML body and Markdown body."""

    id: str
    title: str
    html: str
    md: str
    #: Plots shown at the end of the section.
    figures: list[Figure] = field(default_factory=list)


def note(text_html: str) -> tuple[str, str]:
    """A highlighted note as HTML and its Markdown (``<code>`` as backticks, tags dropped)."""
    import re

    md = text_html.replace("<code>", "`").replace("</code>", "`")
    md = html.unescape(re.sub(r"<[^>]+>", "", md))
    return f"<p class='note'>{text_html}</p>", md + "\n"
