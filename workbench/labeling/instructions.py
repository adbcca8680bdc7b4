r"""What annotators read: the guidelines (Markdown, with Amharic examples) and the taxonomy's hints.

Label Studio shows a project's ``expert_instruction`` before the first task and behind the
"Instructions" button afterwards; Argilla shows the dataset guidelines. Both get the same two
parts: a quick reference generated from the taxonomy (each task, each label's one-line guideline
and hotkey) and the full guidelines file rendered from Markdown. The file is read from beside the
taxonomy (a project with its own taxonomy keeps its own guidelines there), else the project's or
packaged ``labeling/guidelines.md``. Annotators never see where the file lives.

Examples
--------
>>> from workbench.core.taxonomy import load_taxonomy
>>> html = instructions_html(load_taxonomy(), "## Ad\n\n- `ቅናሽ!` → **Ad**\n")
>>> "<h2>Guidelines</h2>" in html and "<code>ቅናሽ!</code>" in html
True
>>> markdown_html("<script>alert(1)</script>")
'<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n'
"""

from __future__ import annotations

import html
from pathlib import Path

from workbench.core.errors import InputFileError
from workbench.core.resources import default_file
from workbench.core.taxonomy import Condition, Taxonomy, taxonomy_path

#: The guidelines file's name, beside the taxonomy or under ``labeling/``.
GUIDELINES_NAME = "guidelines.md"

#: Heading of the rendered guidelines (also the text the task view points to).
GUIDELINES_HEADING = "Guidelines"

#: Heading of the taxonomy's quick reference.
QUICK_REFERENCE_HEADING = "Quick reference"

# The instructions dialog uses Label Studio's font; Ge'ez needs an Ethiopic font by name
# (Label Studio strips style attributes, a <style> block survives its HTML cleaning).
_STYLE = ("<style>.wb-guide, .wb-guide * { font-family: \"Figtree\", \"Abyssinica SIL\", "
          "\"Noto Sans Ethiopic\", \"Nyala\", \"Ebrima\", \"Kefa\", sans-serif; }"
          " .wb-guide code { font-size: 1.05em; }"
          # Label Studio's reset removes list bullets and table rules; the guidelines need both.
          " .wb-guide ul { list-style: disc; padding-left: 1.5em; }"
          " .wb-guide ol { list-style: decimal; padding-left: 1.5em; }"
          " .wb-guide th, .wb-guide td { border: 1px solid #ccc; padding: 2px 6px;"
          " text-align: left; vertical-align: top; }</style>")


def guidelines_path(taxonomy_file: Path | None = None) -> Path:
    """The guidelines file for a taxonomy: beside it when it exists, else ``labeling/guidelines.md``.

    Parameters
    ----------
    taxonomy_file
        The configured taxonomy (``labeling.taxonomy``); None: the default one.
    """
    beside = taxonomy_path(taxonomy_file).with_name(GUIDELINES_NAME)
    return beside if beside.is_file() else default_file(f"labeling/{GUIDELINES_NAME}")


def load_guidelines(taxonomy_file: Path | None = None) -> str:
    """The guidelines Markdown for a taxonomy (see :func:`guidelines_path`).

    Raises
    ------
    InputFileError
        The file is missing or not UTF-8 text.
    """
    path = guidelines_path(taxonomy_file)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = (f"{path}: annotator guidelines not found; put {GUIDELINES_NAME} beside the taxonomy "
               "(`workbench init DIR` copies the default)")
        raise InputFileError(msg) from None
    except UnicodeDecodeError as exc:
        msg = f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise InputFileError(msg) from None


def markdown_html(text: str) -> str:
    """Markdown -> HTML with raw HTML escaped and unsafe link schemes left as text.

    CommonMark plus tables (the guidelines' vertical and tag tables).
    """
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def when_text(cond: Condition | None) -> str:
    """`` (only when Ad is chosen)`` for a conditional task, else empty (no task ids: people read it)."""
    return f" (only when {cond.equals} is chosen)" if cond else ""


def _kind(task_kind: str) -> str:
    return "one label" if task_kind == "single" else "any number of labels"


def quick_reference_html(taxonomy: Taxonomy) -> str:
    """Each task with each label's one-line guideline and hotkey, as HTML."""
    parts = [f"<h2>{QUICK_REFERENCE_HEADING}</h2>"]
    for task in taxonomy.tasks:
        parts.append(f"<h4>{html.escape(task.title)}{html.escape(when_text(task.when))}"
                     f" - {_kind(task.kind)}</h4><ul>")
        for label in task.labels:
            key = f" [{html.escape(label.hotkey)}]" if label.hotkey else ""
            parts.append(
                f"<li><b>{html.escape(label.value)}</b>{key}: {html.escape(label.guideline)}</li>")
        parts.append("</ul>")
    return "".join(parts)


def instructions_html(taxonomy: Taxonomy, guidelines: str) -> str:
    """Label Studio's ``expert_instruction``: the quick reference, then the full guidelines.

    Parameters
    ----------
    taxonomy
        The tasks annotators answer.
    guidelines
        The guidelines Markdown (:func:`load_guidelines`).
    """
    return (f'{_STYLE}<div class="wb-guide">{quick_reference_html(taxonomy)}'
            f"<h2>{GUIDELINES_HEADING}</h2>{markdown_html(guidelines)}</div>")


def guidelines_markdown(taxonomy: Taxonomy, guidelines: str) -> str:
    """The same instructions as Markdown (Argilla's dataset guidelines)."""
    out = [f"## {QUICK_REFERENCE_HEADING}", ""]
    for task in taxonomy.tasks:
        out.append(f"### {task.title}{when_text(task.when)} - {_kind(task.kind)}")
        out.extend(f"- **{label.value}**: {label.guideline}" for label in task.labels)
        out.append("")
    out += [f"## {GUIDELINES_HEADING}", "", guidelines.strip(), ""]
    return "\n".join(out)
