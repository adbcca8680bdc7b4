"""Every option of every command says its default in ``--help``.

An option whose value is taken from the config or computed when left out (a ``None`` default)
must say so in its help ("default: ..."); an option with a fixed default gets ``[default: X]``
from the help renderer. Flags (on/off switches) are exempt: they are off unless given.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer

from workbench.cli import app


def commands(command: Any, path: str = "workbench") -> Iterator[tuple[str, Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from commands(sub, f"{path} {name}")


def undocumented_defaults() -> list[str]:
    missing = []
    root = typer.main.get_command(app)
    for path, command in commands(root):
        for param in command.params:
            if param.param_type_name != "option" or param.is_flag or param.hidden:
                continue
            if param.required or param.name == "help":
                continue
            shown = param.show_default is not False and param.default not in (None, (), [])
            if not shown and "default" not in (param.help or "").lower():
                missing.append(f"{path} {param.opts[-1]}")
    return missing


def test_every_option_says_its_default() -> None:
    assert undocumented_defaults() == []


def test_generate_and_rag_search_show_their_defaults(capsys: Any) -> None:
    from workbench.cli import main

    for argv, needles in ((["generate", "--help"], ("--n", "--k")),
                          (["rag", "search", "--help"], ("-k",))):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0
        out = " ".join(capsys.readouterr().out.split())
        for needle in needles:
            assert needle in out
        assert out.count("default") >= len(needles)


@pytest.mark.parametrize("argv", [["serve", "--port", "99999"], ["label", "serve", "--port", "0"],
                                  ["label", "serve", "--port", "70000"]])
def test_a_port_out_of_range_is_one_line_exit_2(argv: list[str], tmp_path: Any,
                                                capsys: Any) -> None:
    """Not the socket's OverflowError traceback: the option names its range."""
    from workbench.cli import main

    with pytest.raises(SystemExit) as info:
        main([*argv, "--data-dir", str(tmp_path)])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "Invalid value for '--port'" in err


def test_help_examples_name_no_file_of_the_source_tree() -> None:
    # `--help` is read by users of an installed package, who have no workbench/... folder: an
    # example must run from a project folder (the samples: `workbench init DIR --samples`).
    root = typer.main.get_command(app)
    shown = []
    for path, command in commands(root):
        texts = [command.help or "", *(getattr(p, "help", None) or "" for p in command.params)]
        shown += [f"{path}: {text}" for text in texts if "workbench/" in text or ".py" in text]
    assert shown == []
