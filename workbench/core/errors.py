"""The workbench's error hierarchy.

A ``WorkbenchError`` is a *user* error: bad input, bad config, a bad argument. The CLI prints its
message as one line (a headline and one line per problem when it has ``details``) and exits
with code 2, without a traceback. Any other exception is a bug and
keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class WorkbenchError(Exception):
    """Base class of every error the user can fix (exit code 2, one line, no traceback).

    Parameters
    ----------
    message
        What is wrong and where, one line.
    details
        Several problems found at once (every validation error of a file): the CLI prints the
        message as a headline and each detail on a line of its own; ``str()`` joins them.
    """

    exit_code = 2

    def __init__(self, message: str = "", *, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details: tuple[str, ...] = tuple(details)

    def __str__(self) -> str:
        if not self.details:
            return self.message
        return f"{self.message}: {'; '.join(self.details)}"


class ConfigError(WorkbenchError):
    """A config or recipe file is missing, unreadable or invalid."""


class InputFileError(WorkbenchError):
    """An input file is unreadable, not UTF-8, not valid JSON or not of the expected shape."""


class DataContractError(WorkbenchError):
    """A stage input lacks a column or has the wrong type (usually: a previous stage was not run)."""


class UnreadableFileError(DataContractError):
    """A stage file that exists but cannot be read: truncated, corrupt, or not the format it names.

    ``path`` is kept so a page can name the file (relative to the data dir) next to what still
    works, rather than failing as a whole.
    """

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(message)


class ServiceError(WorkbenchError):
    """An external service the workbench manages (Label Studio, Argilla) failed or is unreachable."""
