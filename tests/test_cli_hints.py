"""Every command a message tells the user to run exists, spelled as the CLI spells it.

A hint such as "run `workbench curate` first" names a command group, which prints its help and
does nothing; the user is left to guess which of its commands was meant.
"""

from __future__ import annotations

import re
from pathlib import Path

import typer

from workbench.cli import app

PACKAGE = Path(__file__).resolve().parents[1] / "workbench"

# "run `workbench curate flag` first", "written by `workbench train build-data`", ...
HINT = re.compile(r"\b(?:run|then|use|with|written by) `workbench ([a-z][a-z0-9-]*(?: [a-z][a-z0-9-]*)*)")


def _leaf(words: list[str]) -> tuple[bool, str]:
    """Whether the leading words of a command line name a runnable command (not a group)."""
    command = typer.main.get_command(app)
    path = ["workbench"]
    for word in words:
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            break  # the rest are the command's arguments
        if word not in subcommands:
            return False, f"{' '.join(path)} has no command '{word}'"
        command = subcommands[word]
        path.append(word)
    if getattr(command, "commands", None) is not None:
        return False, f"'{' '.join(path)}' is a group of commands, not one"
    return True, ""


def test_hints_name_runnable_commands() -> None:
    checked, wrong = 0, []
    for source in sorted(PACKAGE.rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        for found in HINT.finditer(text):
            checked += 1
            ok, why = _leaf(found.group(1).split())
            if not ok:
                line = text.count("\n", 0, found.start()) + 1
                wrong.append(f"{source.relative_to(PACKAGE.parent)}:{line}: {found.group(0)}: {why}")
    assert checked > 20  # the pattern still finds the hints
    assert not wrong, "\n".join(wrong)


def test_a_group_is_not_a_command() -> None:
    assert _leaf(["curate"]) == (False, "'workbench curate' is a group of commands, not one")
    assert _leaf(["curate", "flag", "--task", "is_ad"]) == (True, "")
    assert not _leaf(["curate", "flg"])[0]
