"""Builders for small hand-written Telegram Desktop exports used across the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BASE_TS = 1_709_280_000  # 2024-03-01T08:00:00Z


def message(mid: int, text: Any = "", **fields: Any) -> dict[str, Any]:
    """One content message in Telegram Desktop's shape (fields override the defaults)."""
    ts = BASE_TS + mid * 60
    msg: dict[str, Any] = {
        "id": mid,
        "type": "message",
        "date": "2024-03-01T11:00:00",
        "date_unixtime": str(ts),
        "from": "Test Channel",
        "from_id": "channel100",
        "text": text,
        "text_entities": _entities_of(text),
    }
    msg.update(fields)
    return msg


def service(mid: int, action: str = "pin_message") -> dict[str, Any]:
    """A service message (not content)."""
    return {"id": mid, "type": "service", "date": "2024-03-01T11:00:00",
            "date_unixtime": str(BASE_TS + mid * 60), "actor": "Test Channel",
            "actor_id": "channel100", "action": action, "text": "", "text_entities": []}


def export(messages: list[dict[str, Any]], *, cid: int = 100, name: str = "Test Channel",
           ctype: str = "public_channel") -> dict[str, Any]:
    """A single-chat export."""
    return {"name": name, "type": ctype, "id": cid, "messages": messages}


def write(path: Path, obj: Any) -> Path:
    """Write ``obj`` as Telegram does (UTF-8, Ge'ez unescaped)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _entities_of(text: Any) -> list[dict[str, Any]]:
    if isinstance(text, str):
        return [{"type": "plain", "text": text}] if text else []
    if isinstance(text, list):
        out = []
        for piece in text:
            if isinstance(piece, str):
                out.append({"type": "plain", "text": piece})
            elif isinstance(piece, dict):
                out.append(piece)
        return out
    return []
