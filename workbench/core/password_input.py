"""A new account's password, read the same way by every command that creates one.

``workbench users add`` (web app accounts) and ``workbench label users add`` (annotators) both
take a password in one of three ways, and a script gets the same behaviour from each:

- ``--password-stdin``: the first line of standard input;
- ``--generate-password``: a random one, which the command shows once;
- neither: on a terminal the person types it twice, hidden; without a terminal (a script, a
  pipe with no flag) a new account gets a random one, shown once, so nothing waits for input
  that cannot come, while ``users passwd`` refuses: replacing a working password needs a flag.

A password never travels on the command line, where shell history and ``ps`` would keep it.
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass

from workbench.core.errors import ConfigError

#: Randomness of a generated password in bytes (16 URL-safe characters).
GENERATED_PASSWORD_BYTES = 12


@dataclass(frozen=True)
class NewPassword:
    """A password for a new account, and whether it was generated (then it must be shown)."""

    value: str
    generated: bool


def stdin_is_terminal() -> bool:
    """Whether a person can be asked for a password (tests replace this)."""
    return sys.stdin.isatty()


def read_new_password(email: str, *, from_stdin: bool, generate: bool,
                      generate_without_terminal: bool = True) -> NewPassword:
    """The password chosen by the flags, as the module docstring says.

    Parameters
    ----------
    email : str
        The account, named in the prompt.
    from_stdin : bool
        ``--password-stdin`` was given.
    generate : bool
        ``--generate-password`` was given.
    generate_without_terminal : bool
        Generate one when there is no terminal and neither flag was given (creating an
        account); False refuses instead (changing a password: a script must not replace a
        working password by accident).

    Raises
    ------
    ConfigError
        Both flags, an empty line on standard input, an empty typed password, or no terminal
        and no flag when ``generate_without_terminal`` is False.
    """
    import typer  # only the prompt needs the CLI library

    if from_stdin and generate:
        msg = "choose one of --password-stdin and --generate-password"
        raise ConfigError(msg)
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            msg = "--password-stdin: nothing on standard input"
            raise ConfigError(msg)
        return NewPassword(password, generated=False)
    if not generate and not stdin_is_terminal():
        if not generate_without_terminal:
            msg = ("no terminal to type the new password on: pipe it in with --password-stdin, "
                   "or make one with --generate-password")
            raise ConfigError(msg)
        generate = True
    if generate:
        return NewPassword(secrets.token_urlsafe(GENERATED_PASSWORD_BYTES), generated=True)
    password = str(typer.prompt(f"password for {email}", hide_input=True,
                                confirmation_prompt=True))
    if not password.strip():
        msg = "the password is empty; run again (or --generate-password)"
        raise ConfigError(msg)
    return NewPassword(password, generated=False)


def shown_once(password: NewPassword) -> list[str]:
    """The lines that show a generated password (none for a typed or piped one)."""
    if not password.generated:
        return []
    return [f"  password: {password.value}",
            "  (shown only now and stored nowhere: give it to the account's owner)"]
