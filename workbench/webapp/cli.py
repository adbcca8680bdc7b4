"""``workbench serve`` and ``workbench users``: thin wrappers over the web app modules."""

from __future__ import annotations

import copy
import ipaddress
import logging
from typing import Annotated, Any

import typer

from workbench.core.cli_options import (
    ConfigOption,
    DataDirOption,
    GeneratePasswordOption,
    PasswordStdinOption,
    resolve,
)
from workbench.core.errors import ConfigError
from workbench.core.password_input import read_new_password, shown_once

users_app = typer.Typer(help="Web app accounts (company, role) for `workbench serve`.",
                        no_args_is_help=True)


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="Sign-in e-mail.")],
    company: Annotated[str, typer.Option("--company", help="Company: the unit of data isolation.")],
    role: Annotated[str, typer.Option("--role", help="admin, marketer or analyst.")] = "marketer",
    password_stdin: PasswordStdinOption = False,
    generate_password: GeneratePasswordOption = False,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Create an account (password typed twice, read from stdin, or generated and shown once).

    Example: echo 'a long passphrase' | workbench users add hanna@abebe.et --company "Abebe Shoes" --role marketer --password-stdin
    """
    from workbench.webapp.accounts import add_user, check_new_account
    from workbench.webapp.store import Store, db_path

    _, root = resolve(data_dir, config)
    store = Store(db_path(root))
    check_new_account(store, email, company=company, role=role)
    password = read_new_password(email, from_stdin=password_stdin, generate=generate_password)
    add_user(store, email, company=company, role=role, password=password.value)
    typer.echo(f"added {email} ({role}, {company})")
    for line in shown_once(password):
        typer.echo(line)


@users_app.command("ls")
def users_ls(data_dir: DataDirOption = None, config: ConfigOption = None) -> None:
    """List accounts and their live sessions (never a hash).

    Example: workbench users ls --data-dir data
    """
    from workbench.webapp.accounts import list_users
    from workbench.webapp.store import Store, db_path

    _, root = resolve(data_dir, config)
    rows = list_users(Store(db_path(root)))
    if not rows:
        typer.echo("no accounts yet: workbench users add EMAIL --company C --role R")
        return
    typer.echo(f"{'email':<32} {'role':<9} {'company':<24} live sessions")
    for r in rows:
        typer.echo(f"{r['email']:<32} {r['role']:<9} {r['company']:<24} {r['sessions']}")


@users_app.command("remove")
def users_remove(email: Annotated[str, typer.Argument(help="Account to delete.")],
                 data_dir: DataDirOption = None, config: ConfigOption = None) -> None:
    """Delete an account and end its sessions (its company's briefs stay).

    Example: workbench users remove hanna@abebe.et
    """
    from workbench.webapp.accounts import remove_user
    from workbench.webapp.store import Store, db_path

    _, root = resolve(data_dir, config)
    remove_user(Store(db_path(root)), email)
    typer.echo(f"removed {email}")


@users_app.command("passwd")
def users_passwd(email: Annotated[str, typer.Argument(help="Account.")],
                 password_stdin: PasswordStdinOption = False,
                 generate_password: GeneratePasswordOption = False,
                 data_dir: DataDirOption = None, config: ConfigOption = None) -> None:
    """Set a new password and end every session of the account.

    Example: workbench users passwd hanna@abebe.et
    """
    from workbench.webapp.accounts import set_password
    from workbench.webapp.store import Store, db_path

    _, root = resolve(data_dir, config)
    password = read_new_password(email, from_stdin=password_stdin, generate=generate_password,
                                 generate_without_terminal=False)
    set_password(Store(db_path(root)), email, password.value)
    typer.echo(f"password changed for {email}; its sessions are ended")
    for line in shown_once(password):
        typer.echo(line)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_command(
    port: Annotated[int | None, typer.Option(
        "--port", min=1, max=65535, help="TCP port (default: web.port, 8400).")] = None,
    host: Annotated[str | None, typer.Option(
        "--host", help="Bind address (default 127.0.0.1; 0.0.0.0 exposes the app: use TLS).")] = None,
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        "--forwarded-allow-ips",
        help="Comma-separated addresses of reverse proxies whose X-Forwarded-For/-Proto are "
             "believed (default: web.trusted_proxies, none: the headers are ignored).")] = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Start the web app: ad studio, leaderboard, curation dashboard (sign-in required).

    Example: workbench serve --data-dir data --port 8400
    """
    import uvicorn

    from workbench.webapp.app import create_app

    cfg, root = resolve(data_dir, config)
    host = host or cfg.web.host
    port = port or cfg.web.port
    loopback = is_loopback(host)
    secure = cfg.web.secure_cookies if cfg.web.secure_cookies is not None else not loopback
    if not loopback:
        typer.echo(f"warning: binding {host}: the app is reachable from other machines; "
                   "put it behind HTTPS (cookies are marked Secure)", err=True)
    proxies = trusted_proxies(forwarded_allow_ips, cfg.web.trusted_proxies)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app(root, cfg, secure_cookies=secure)
    typer.echo(f"workbench web app on http://{host}:{port}/ (data dir {root}); Ctrl+C stops it")
    if proxies:
        typer.echo(f"believing X-Forwarded-For/-Proto from {', '.join(proxies)}")
    # uvicorn believes X-Forwarded-For from 127.0.0.1 by default: a local client could then
    # claim any address and dodge the per-client sign-in throttle. Only named proxies count.
    uvicorn.run(app, host=host, port=port, log_config=server_log_config(), server_header=False,
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)


def server_log_config() -> dict[str, Any]:
    """Uvicorn's logging, less its start-up chatter: one line per request, and problems.

    "Started server process", "Waiting for application startup", "Uvicorn running on ..."
    repeated the line ``serve`` prints first; warnings and errors still show, and each request
    is one timestamped line (who asked for what, and the answer), as an operator reads a log.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["access"]["fmt"] = (
        '%(asctime)s %(client_addr)s "%(request_line)s" %(status_code)s')
    config["formatters"]["default"]["fmt"] = "%(asctime)s %(levelprefix)s %(message)s"
    config["loggers"]["uvicorn"]["level"] = "WARNING"
    config["loggers"]["uvicorn.error"]["level"] = "WARNING"
    return config


def trusted_proxies(option: str | None, configured: list[str]) -> list[str]:
    """The proxy addresses to believe: the option's comma-separated list, else the config's.

    Raises
    ------
    ConfigError
        An entry that is neither ``*``, an IP address nor a network (one line, exit 2).
    """
    entries = [e.strip() for e in option.split(",")] if option is not None else list(configured)
    entries = [e for e in entries if e]
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            msg = (f"trusted proxy {entry!r} is not an IP address or network "
                   "(e.g. 10.0.0.5 or 10.0.0.0/24, or * for any)")
            raise ConfigError(msg) from None
    return entries
