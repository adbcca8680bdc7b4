"""The SQL pre-filter of a search (channel, vertical), applied by LanceDB before ranking.

Examples
--------
>>> where_clause(channel="Sheger Gebeya", vertical="Retail")
"channel_name = 'Sheger Gebeya' AND vertical = 'Retail'"
>>> print(where_clause(channel="1001"))
(channel_name = '1001' OR channel_id = 1001)
"""

from __future__ import annotations

from workbench.rag.hits import TableName


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def where_clause(*, channel: str | None = None, vertical: str | None = None,
                 table: TableName = "ads") -> str | None:
    """SQL pre-filter for the given channel (name, or numeric id) and vertical."""
    parts = []
    if channel is not None:
        column = "channel_name" if table == "ads" else "target_channel"
        if channel.lstrip("-").isdigit() and table == "ads":
            parts.append(f"({column} = {_quote(channel)} OR channel_id = {int(channel)})")
        else:
            parts.append(f"{column} = {_quote(channel)}")
    if vertical is not None:
        parts.append(f"vertical = {_quote(vertical)}")
    return " AND ".join(parts) or None
