"""``workbench label ...``: serve/stop Label Studio, users, push, pull, status.

Each command is a thin wrapper over a plain function of ``workbench.labeling``; heavy modules are
imported inside the commands so ``workbench --help`` stays fast.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Annotated, Literal

import typer

from workbench.core.cli_options import ConfigOption, DataDirOption, resolve
from workbench.core.config import ProjectConfig
from workbench.core.layout import Layout
from workbench.labeling.users_cli import users_app

#: Seconds before `label serve` says it is still waiting for Label Studio (a first start spends
#: ~30 s migrating its database and prints nothing meanwhile).
SERVE_HEARTBEAT_S = 10.0

app = typer.Typer(
    help="Labeling: Label Studio (default) or Argilla; push messages, pull annotations, agreement.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(users_app, name="users")


def ethiopic_font_installed() -> bool | None:
    """Whether fontconfig knows an Amharic-capable font (None: cannot tell, no fc-list)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run([fc_list, ":lang=am", "family"], capture_output=True, text=True,
                             timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(out.stdout.strip())


def serve_lines(url: str, username: str, data_dir: Path, *, password: str | None = None,
                token: str | None = None) -> list[str]:
    """What `serve` prints: where to open it and how to log in (secrets only when given)."""
    lines = [f"Label Studio is running at {url} (bound to 127.0.0.1 only)",
             f"  log in as {username}"]
    if password is not None:
        lines += [f"  password: {password}", f"  API token: {token}"]
    else:
        lines.append(f"  password and API token: workbench label serve --show-credentials "
                     f"--data-dir {data_dir} (or {Layout(data_dir).labelstudio / 'credentials.json'})")
    lines.append("  annotator accounts: workbench label users add EMAIL --group N")
    return lines


@app.command()
def serve(
    port: Annotated[int | None, typer.Option(min=1, max=65535,
                                            help="Port on 127.0.0.1 (default: labeling.port).")] = None,
    detach: Annotated[bool, typer.Option("--detach", help="Run in the background; end it with `workbench label stop`.")] = False,
    show_credentials: Annotated[bool, typer.Option("--show-credentials", help="Also print the admin password and API token.")] = False,
    live: Annotated[bool | None, typer.Option("--live/--no-live", help="Also run the refresher that retrains pre-annotations on new annotations (default: labeling.live.enabled).")] = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Start Label Studio with its data under DIR/labelstudio/ (first start migrates, ~1 min).

    Example: workbench label serve --detach --data-dir data
    """
    from workbench.labeling.labelstudio import server

    cfg, root = resolve(data_dir, config)
    running = server.read_state(root)
    if running is not None:
        creds = server.load_credentials(root)
        typer.echo(f"already running (pid {running.pid})")
        secret = (creds.password, creds.token) if show_credentials else (None, None)
        for line in serve_lines(creds.url, creds.username, root, password=secret[0], token=secret[1]):
            typer.echo(line)
        if live if live is not None else cfg.labeling.live.enabled:
            _start_live(root, config)
        return
    if ethiopic_font_installed() is False:
        typer.echo("note: no Ethiopic font on this machine (Debian: apt install fonts-sil-abyssinica); "
                   "a browser here would show Amharic as empty boxes", err=True)
    from workbench.core.progress import heartbeat

    typer.echo(f"starting Label Studio (log: {server.log_path(root)}; a first start migrates its "
               "database, about 30 s) ...")
    with heartbeat(typer.echo, every=SERVE_HEARTBEAT_S, prefix="  "):
        state, creds, proc = server.start(root, cfg.labeling, port=port, detach=detach)
    secret = (creds.password, creds.token) if show_credentials else (None, None)
    for line in serve_lines(creds.url, creds.username, root, password=secret[0], token=secret[1]):
        typer.echo(line)
    if live if live is not None else cfg.labeling.live.enabled:
        _start_live(root, config)
    if detach:
        typer.echo(f"  running in the background (pid {state.pid}); stop it: workbench label stop "
                   f"--data-dir {root}")
        return
    typer.echo("  press Ctrl-C to stop")
    try:
        proc.wait()
    except KeyboardInterrupt:
        typer.echo("stopping Label Studio ...")
    finally:
        from workbench.labeling.labelstudio.live_process import stop_live

        stop_live(root)
        server.stop(root)


def _start_live(root: Path, config: Path | None) -> None:
    from workbench.labeling.labelstudio.live_process import live_log_path, start_live

    pid = start_live(root, config)
    typer.echo(f"  live pre-annotations: refresher running (pid {pid}, log: {live_log_path(root)})")


@app.command()
def stop(data_dir: DataDirOption = None, config: ConfigOption = None) -> None:
    """Stop the Label Studio started by `workbench label serve --detach`.

    Example: workbench label stop --data-dir data
    """
    from workbench.labeling.labelstudio import server
    from workbench.labeling.labelstudio.live_process import stop_live

    _, root = resolve(data_dir, config)
    live_pid = stop_live(root)
    if live_pid is not None:
        typer.echo(f"stopped the live refresher (pid {live_pid})")
    state = server.stop(root)
    typer.echo(f"stopped Label Studio at {state.url} (pid {state.pid})" if state
               else f"no Label Studio running for data dir {root}: nothing to stop")


@app.command()
def preannotate(
    texts: Annotated[Path, typer.Option("--texts", help="CSV, Parquet or JSONL file with a 'text' column (optional 'uid').")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the pre-annotations here (.csv, .parquet or .jsonl); default: print a summary only.")] = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Show the pre-annotations push would send for any file of texts (task, value, score, model_version).

    Curation's predictions are used for uids the data dir has them for, the rules for every
    other text. Example: workbench label preannotate --texts posts.csv --out preannotations.csv
    """
    from workbench.labeling.backends import labeling_taxonomy
    from workbench.labeling.preannotate import preannotate as run
    from workbench.labeling.preannotate import read_texts, summary_lines, write_preannotations

    cfg, root = resolve(data_dir, config)
    if out is not None:
        from workbench.labeling.preannotate import file_format

        file_format(out, "output")  # a bad --out fails before any work
        if out.resolve() == texts.resolve():
            from workbench.core.errors import InputFileError

            msg = f"{out}: --out is the --texts file; writing it would replace your texts"
            raise InputFileError(msg)
    frame = read_texts(texts, max_chars=cfg.ingest.max_text_chars)
    taxonomy, _ = labeling_taxonomy(cfg)
    result = run(frame, root, cfg, taxonomy)
    for line in summary_lines(result):
        typer.echo(line)
    if out is not None:
        write_preannotations(result.rows, out)
        typer.echo(f"{result.rows.height} pre-annotation(s) -> {out}")


@app.command()
def push(
    group: Annotated[int | None, typer.Option(help="Only this annotator group's project (default: every project).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most K new tasks per project (default: all).")] = None,
    order: Annotated[str, typer.Option(help="id (channel, message id) or uncertainty (least confident pre-annotation first).")] = "id",
    review: Annotated[bool, typer.Option("--review", help="Push curation's flagged items (curated/label_issues.parquet) to the review project.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what a push would add and what is already there; change nothing.")] = False,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Create/update the projects and import cleaned messages as tasks (only new ones).

    Example: workbench label push --group 1 --limit 500
    """
    from workbench.core.errors import ConfigError
    from workbench.labeling.push import run_push

    cfg, root = resolve(data_dir, config)
    if order not in ("id", "uncertainty"):
        msg = f"--order must be 'id' or 'uncertainty', got '{order}'"
        raise ConfigError(msg)
    chosen: Literal["id", "uncertainty"] = "uncertainty" if order == "uncertainty" else "id"
    if review and group is not None:
        msg = "--review pushes curation's flagged items to the review project; drop --group"
        raise ConfigError(msg)
    if dry_run:
        _dry_run(root, cfg, group=group, limit=limit, order=chosen, review=review)
        return

    def progress(key: str, done: int) -> None:
        typer.echo(f"  {key}: {done} task(s) imported ...", err=True)

    results, source = run_push(root, cfg, group=group, limit=limit, order=chosen, review=review,
                               on_batch=progress)
    if not results:
        typer.echo("nothing to push" + (" (no flagged item in curated/label_issues.parquet)" if review else ""))
        return
    typer.echo(f"pre-annotations: {source}")
    for r in results:
        typer.echo(f"  {r.line()} -> {r.url}")


def _dry_run(root: Path, cfg: ProjectConfig, *, group: int | None, limit: int | None,
             order: Literal["id", "uncertainty"], review: bool) -> None:
    """Print what `push` would do; without a server, what it would offer."""
    from workbench.core.errors import ServiceError
    from workbench.labeling.backends import labeling_taxonomy, open_backend
    from workbench.labeling.push import plan_push, preview_push, summarize_plan

    taxonomy, _ = labeling_taxonomy(cfg)
    records, source = plan_push(root, cfg, taxonomy, group=group, order=order, review=review)
    if not records:
        typer.echo("nothing to push" + (" (no flagged item in curated/label_issues.parquet)" if review else ""))
        return
    typer.echo(f"pre-annotations: {source}")
    try:
        backend = open_backend(root, cfg, taxonomy)
        try:
            existing = backend.existing_uids(list(records))
            pending = backend.pending_changes(records)
            where = backend.source
        finally:
            backend.close()
    except ServiceError as exc:
        typer.echo(f"dry run: cannot tell what is already there ({exc})")
        for line in summarize_plan(records):
            typer.echo(f"  {line}")
        return
    typer.echo(f"dry run against {where} (nothing is changed):")
    for preview in preview_push(records, existing, limit=limit, pending=pending):
        typer.echo(f"  {preview.line()}")


@app.command()
def pull(data_dir: DataDirOption = None, config: ConfigOption = None) -> None:
    """Export every annotation to DIR/labels/annotations.parquet (+ quarantine, snapshot, manifest).

    Example: workbench label pull --data-dir data
    """
    from workbench.labeling.pull import run_pull

    cfg, root = resolve(data_dir, config)
    typer.echo(run_pull(root, cfg).line())


@app.command()
def status(
    from_file: Annotated[bool, typer.Option("--from-file", help="Use the last pull instead of the server.")] = False,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Progress per project/annotator and agreement (Krippendorff's alpha, Cohen's kappa).

    Example: workbench label status --data-dir data
    """
    from workbench.labeling.status import render, run_status

    cfg, root = resolve(data_dir, config)
    for line in render(run_status(root, cfg, from_file=from_file)):
        typer.echo(line)
