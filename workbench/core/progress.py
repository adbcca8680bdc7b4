"""How long commands show that they are working, and the library chatter they keep quiet.

One policy for every long command (``--progress/--quiet``): on a terminal, progress bars; when
the output goes to a file or a pipe (CI logs, ``| tee``), no bar at all (a bar there is a run
of carriage-return fragments) but one line per step with its counts; with ``--quiet``, neither.
Library
messages that mean nothing to a user (bitsandbytes' "pip install kernels", transformers' advisory
warnings, tokenizers' fork warning) are silenced once, before those libraries are imported.

This module is cheap to import: it touches environment variables, ``logging`` and ``warnings``
only, never the libraries themselves.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Literal

#: ``bars``: progress bars (a terminal); ``lines``: one line per step; ``off``: final results only.
ProgressMode = Literal["bars", "lines", "off"]

#: The ``--progress/--quiet`` help text, the same on every long command.
PROGRESS_HELP = ("Progress bars on a terminal, one line per step when output is redirected "
                 "(default); --quiet shows the results only.")

#: Libraries whose log records below ERROR are for their own developers, not our users.
NOISY_LOGGERS = ("bitsandbytes", "transformers", "datasets", "huggingface_hub", "accelerate",
                 "peft", "trl", "lancedb", "sentence_transformers", "torch", "urllib3", "httpx")

#: Modules whose FutureWarning/UserWarning/DeprecationWarning a user cannot act on.
NOISY_WARNING_MODULES = (r"(transformers|trl|peft|accelerate|bitsandbytes|datasets|torch"
                         r"|huggingface_hub|lancedb|sentence_transformers|sklearn|cleanlab"
                         r"|label_studio_sdk|pydantic)(\..*)?")


_mode_in_use: ProgressMode | None = None
_steps_open = 0  # steps of :func:`step` running now (nested: the self-check's flag runs)
_heartbeats = 0  # :func:`heartbeat` blocks running now (a step's own, or a caller's)


def progress_mode(flag: bool | None = None) -> ProgressMode:
    """The display for a ``--progress/--quiet`` flag (None: not given).

    Parameters
    ----------
    flag
        True for ``--progress``, False for ``--quiet``, None for the default.

    Returns
    -------
    ProgressMode
        ``bars`` for ``--progress``, ``off`` for ``--quiet``; by default ``bars`` when stderr is
        a terminal, else ``lines``.
    """
    if flag is not None:
        return "bars" if flag else "off"
    return "bars" if sys.stderr.isatty() else "lines"


def use_progress(flag: bool | None = None) -> ProgressMode:
    """:func:`progress_mode`, and every library progress bar off unless it is ``bars``.

    Call it at the start of a command, before the libraries that draw bars are imported.

    Parameters
    ----------
    flag
        As for :func:`progress_mode`.

    Returns
    -------
    ProgressMode
        The display to use.
    """
    global _mode_in_use
    mode = _mode_in_use = progress_mode(flag)
    if mode != "bars":
        # tqdm >= 4.66 reads its defaults from TQDM_* variables: no library bar then, while a
        # bar created with an explicit ``disable=`` still decides for itself.
        for key in ("TQDM_DISABLE", "HF_HUB_DISABLE_PROGRESS_BARS",
                    "HF_DATASETS_DISABLE_PROGRESS_BARS"):
            os.environ.setdefault(key, "1")
    return mode


def current_mode() -> ProgressMode:
    """The display the running command chose, else the default for this output."""
    return _mode_in_use or progress_mode()


def progress_log(mode: ProgressMode) -> Callable[[str], None]:
    """Where a command's progress lines go: stderr (stdout keeps the results), none if ``off``."""
    if mode == "off":
        return lambda _line: None
    return lambda line: print(line, file=sys.stderr, flush=True)


def bars_disabled() -> bool | None:
    """Tqdm's ``disable=`` for the workbench's own bars.

    Returns
    -------
    bool or None
        None (tqdm's own rule: a bar on a terminal only) until a command chose a display with
        :func:`use_progress`; then False for ``bars`` and True otherwise.
    """
    if _mode_in_use is None:
        return None
    return _mode_in_use != "bars"


def quiet_libraries() -> None:
    """Silence library log records and warnings that a user cannot act on.

    Call it before the libraries are imported (the CLI does, first thing): transformers reads
    its verbosity and bitsandbytes logs its kernel warning at import time. Environment variables
    are only set when unset, so a user's own ``TRANSFORMERS_VERBOSITY=info`` still wins.
    """
    quiet_env = {"TRANSFORMERS_VERBOSITY": "error", "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
                 "TOKENIZERS_PARALLELISM": "false", "HF_HUB_DISABLE_TELEMETRY": "1"}
    for key, value in quiet_env.items():
        os.environ.setdefault(key, value)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    for category in (FutureWarning, UserWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category, module=NOISY_WARNING_MODULES)


@contextmanager
def heartbeat(echo: Callable[[str], None], *, every: float = 15.0, longest: float = 60.0,
              prefix: str = "      ") -> Iterator[None]:
    """Print ``... still working (N s)`` while the block runs, at growing intervals.

    For steps that print nothing until they finish (a server's first start, a model's first
    load): the user sees the step is alive, and how long it has taken so far. The first line
    comes after ``every`` seconds (a quick step prints none); each interval then doubles up to
    ``longest``, so a ten-minute step in a CI log takes a dozen lines, not forty.

    Parameters
    ----------
    echo
        Where the line goes (e.g. ``typer.echo``).
    every
        Seconds before the first line.
    longest
        The longest interval between two lines.
    prefix
        Indentation matching the step's own lines.
    """
    done = threading.Event()
    start = time.perf_counter()

    def beat() -> None:
        wait = every
        while not done.wait(wait):
            echo(f"{prefix}... still working ({time.perf_counter() - start:.0f} s)")
            wait = min(2 * wait, max(longest, every))

    global _heartbeats
    thread = threading.Thread(target=beat, name="workbench-heartbeat", daemon=True)
    thread.start()
    _heartbeats += 1
    try:
        yield
    finally:
        _heartbeats -= 1
        done.set()
        thread.join()


@contextmanager
def step(what: str) -> Iterator[None]:
    """Show one step of a long command when its output goes to a file or a pipe.

    In ``lines`` mode (chosen by the running command with :func:`use_progress`): ``what ...``
    when the step starts, ``... still working (N s)`` while it runs past 15 s, and ``what: done
    in N s`` at its end, on stderr. A terminal has the step's own bars instead, ``--quiet`` shows
    nothing, and so does a library call outside a command (a test, a benchmark) or one inside a
    caller's own :func:`heartbeat` (``workbench demo`` reports its stages itself).

    Parameters
    ----------
    what
        The step, as the user would name it (``flag: sentiment (9,480 labeled items)``).
    """
    global _steps_open
    # A heartbeat no step started: a caller reports this stretch in its own lines (the demo's
    # stages), where unindented step lines would cut into its layout.
    if _mode_in_use != "lines" or _heartbeats > _steps_open:
        yield
        return
    log = progress_log("lines")
    log(f"{what} ...")
    start = time.perf_counter()
    # One heartbeat at a time: a step inside another (the self-check's flag runs) has the outer
    # one's, else both would say "still working" at the same moments.
    alive = heartbeat(log, prefix="  ") if not _steps_open else nullcontext()
    _steps_open += 1
    try:
        with alive:
            yield
    finally:
        _steps_open -= 1
    log(f"{what}: done in {time.perf_counter() - start:.1f} s")
