"""Which messages each annotator group labels (the brief's plan: id slices + whole channels).

A message belongs to group N when its channel is one of the group's whole channels, or when its
channel and message id fall in one of the group's slices. Channels are matched by name (case and
spacing ignored) or by id written as a string. A message may belong to several groups (overlapping
config) and is then pushed to each; one in no group goes to the ``ungrouped`` project.

Examples
--------
>>> import polars as pl
>>> from workbench.core.config import ProjectConfig
>>> msgs = pl.DataFrame({"uid": ["1:5", "1:15005", "2:1", "3:1"],
...                      "channel_id": [1, 1, 2, 3], "message_id": [5, 15005, 1, 1],
...                      "channel_name": ["TIKVAH-ETHIOPIA", "tikvah-ethiopia", "Sheger Press", "Other"]})
>>> assign_projects(msgs, ProjectConfig().annotator_groups).sort("uid").rows()
[('1:15005', 'group-2'), ('1:5', 'group-1'), ('2:1', 'group-1'), ('3:1', 'ungrouped')]
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from workbench.core.config import AnnotatorGroup
from workbench.core.errors import ConfigError
from workbench.labeling.records import UNGROUPED_PROJECT, group_project

GROUP_COLUMNS = ("uid", "channel_id", "channel_name", "message_id")


def _key(name: str) -> str:
    return " ".join(name.split()).lower()


def _channel_is(channel: str) -> pl.Expr:
    # Same normalisation as _key, as an expression (no per-row Python call).
    name = (pl.col("channel_name").fill_null("").str.replace_all(r"\s+", " ").str.strip_chars()
            .str.to_lowercase())
    return (name == _key(channel)) | (pl.col("channel_id").cast(pl.Utf8) == channel.strip())


def group_filter(group: AnnotatorGroup) -> pl.Expr:
    """Boolean expression: the message belongs to ``group``."""
    expr = pl.lit(False)
    for channel in group.channels:
        expr = expr | _channel_is(channel)
    for sl in group.slices:
        expr = expr | (_channel_is(sl.channel) & pl.col("message_id").is_between(sl.first_id, sl.last_id))
    return expr


def find_group(groups: Sequence[AnnotatorGroup], group_id: int) -> AnnotatorGroup:
    """The group with ``group_id``; a one-line ConfigError listing the known ids otherwise."""
    for group in groups:
        if group.id == group_id:
            return group
    known = ", ".join(str(g.id) for g in groups) or "none"
    msg = f"annotator group {group_id} is not in the config's annotator_groups (known: {known})"
    raise ConfigError(msg)


def assign_projects(
    messages: pl.DataFrame,
    groups: Sequence[AnnotatorGroup],
    *,
    only_group: int | None = None,
    ungrouped: bool = True,
) -> pl.DataFrame:
    """``(uid, project)`` pairs: each message with every project it goes to.

    Parameters
    ----------
    messages
        Cleaned messages with at least :data:`GROUP_COLUMNS`.
    groups
        The config's annotator groups.
    only_group
        Keep only this group's project (``--group N``).
    ungrouped
        Also return messages of no group under ``ungrouped`` (ignored with ``only_group``).

    Returns
    -------
    pl.DataFrame
        Columns ``uid``, ``project``.
    """
    if only_group is not None:
        groups = [find_group(groups, only_group)]
    parts = [
        messages.filter(group_filter(g)).select("uid", project=pl.lit(group_project(g.id)))
        for g in groups
    ]
    frame = pl.concat(parts) if parts else pl.DataFrame(schema={"uid": pl.Utf8, "project": pl.Utf8})
    if ungrouped and only_group is None:
        rest = messages.filter(~pl.col("uid").is_in(frame.get_column("uid").implode()))
        frame = pl.concat([frame, rest.select("uid", project=pl.lit(UNGROUPED_PROJECT))])
    return frame
