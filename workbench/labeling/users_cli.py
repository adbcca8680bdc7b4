"""``workbench label users add|ls|remove``: annotator accounts of the labeling server.

A password never travels on the command line: ``add`` reads it as every account command does
(:mod:`workbench.core.password_input`: typed twice on a terminal, ``--password-stdin``, or
generated and shown once). Passwords are never stored. Removing an annotator deactivates the
account (Label Studio: out of the organisation; Argilla: out of the workspace); their
annotations stay.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workbench.core.cli_options import (
    ConfigOption,
    DataDirOption,
    GeneratePasswordOption,
    PasswordStdinOption,
    resolve,
)
from workbench.core.config import ProjectConfig
from workbench.core.errors import ConfigError
from workbench.core.password_input import read_new_password, shown_once

if TYPE_CHECKING:  # records and backends import polars: not for `workbench --help`
    from workbench.labeling.backends import Backend
    from workbench.labeling.records import AnnotatorAccount

users_app = typer.Typer(help="Annotator accounts: add, ls, remove.", no_args_is_help=True,
                        rich_markup_mode=None)

def _checked_email(email: str) -> str:
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        msg = f"'{email}' is not an e-mail address (annotators log in with their e-mail)"
        raise ConfigError(msg)
    return email.strip().lower()


def _where(group: int | None) -> str:
    return f"group {group}" if group is not None else "no group"


def _backend(cfg: ProjectConfig, root: Path) -> Backend:
    from workbench.labeling.backends import labeling_taxonomy, open_backend

    taxonomy, _ = labeling_taxonomy(cfg)
    return open_backend(root, cfg, taxonomy)


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="The annotator's e-mail (their login).")],
    group: Annotated[int | None, typer.Option(help="Annotator group number (config annotator_groups; default: none).")] = None,
    generate_password: GeneratePasswordOption = False,
    password_stdin: PasswordStdinOption = False,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Create an annotator account; for an existing one, --group records a new group.

    On a terminal you type the password (twice, hidden); --password-stdin reads it from a pipe;
    otherwise a random one is made and shown once. Example: workbench label users add
    abebe@example.com --group 1
    """
    from workbench.labeling.annotators import refuse_removed
    from workbench.labeling.groups import find_group

    cfg, root = resolve(data_dir, config)
    email = _checked_email(email)
    if group is not None:
        find_group(cfg.annotator_groups, group)
    backend = _backend(cfg, root)
    try:
        refuse_removed(root, email, backend.name)  # before asking for a password
        if backend.has_user(email):
            _existing(backend, email, group, root)
            return
        password = read_new_password(email, from_stdin=password_stdin,
                                     generate=generate_password)
        entry, _ = backend.add_user(email, group=group, password=password.value, data_dir=root)
    finally:
        backend.close()
    typer.echo(f"created annotator {email} ({_where(entry.get('group'))}); log in at "
               f"{backend.source}")
    for line in shown_once(password):
        typer.echo(line)


def _existing(backend: Backend, email: str, group: int | None, root: Path) -> None:
    """``add`` for an account that exists: record a new group, else say so (exit 2)."""
    from workbench.labeling.annotators import load_annotators

    registry = load_annotators(root, backend.name)
    recorded = registry.get(email, {}).get("group")
    if group is None or group == recorded:
        msg = (f"annotator {email} already exists ({_where(recorded)}); nothing to do "
               f"(list accounts: workbench label users ls)")
        raise ConfigError(msg)
    backend.add_user(email, group=group, password=None, data_dir=root)
    typer.echo(f"annotator {email} already exists; group {group} recorded "
               f"(was {_where(recorded)})")


def account_rows(accounts: list[AnnotatorAccount]) -> list[list[str]]:
    """``users ls`` table rows: e-mail, group, state, added."""
    rows = []
    for acc in accounts:
        state = "admin" if acc.admin else ("active" if acc.active
                                           else f"removed {(acc.removed_at or '')[:10]}".strip())
        added = (acc.created_at or "")[:10] if acc.workbench else "-"
        rows.append([acc.email, str(acc.group) if acc.group is not None else "-", state, added])
    return rows


@users_app.command("ls")
def users_ls(data_dir: DataDirOption = None, config: ConfigOption = None) -> None:
    """List the server's accounts: group, active or removed, when `users add` created it.

    Example: workbench label users ls --data-dir data
    """
    from workbench.labeling.status import table

    cfg, root = resolve(data_dir, config)
    backend = _backend(cfg, root)
    try:
        accounts = backend.accounts(root)
        source = backend.source
    finally:
        backend.close()
    typer.echo(f"accounts on {source}:")
    for line in table(["e-mail", "group", "state", "added"], account_rows(accounts)):
        typer.echo(f"  {line}")


@users_app.command("remove")
def users_remove(
    email: Annotated[str, typer.Argument(help="The annotator's e-mail.")],
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Deactivate an annotator: they can no longer open the projects; their annotations stay.

    Example: workbench label users remove abebe@example.com --data-dir data
    """
    cfg, root = resolve(data_dir, config)
    email = _checked_email(email)
    backend = _backend(cfg, root)
    try:
        removed = backend.remove_user(email, root)
    finally:
        backend.close()
    typer.echo(f"removed annotator {email}: no more access; their annotations stay" if removed
               else f"annotator {email} was already removed")
