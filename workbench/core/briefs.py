"""The brief: what an ad must say (a campaign team's, or one derived from a past ad).

Training derives a brief from each past ad
(:func:`workbench.core.brief_derivation.derive_brief`) and teaches "brief -> that
ad"; evaluation derives one from each held-out ad; generation and the web app read the briefs a
campaign team writes. All of them are this :class:`Brief`, so every stage renders the same
prompt from the same brief (:mod:`workbench.core.prompts`).

A brief (``workbench/defaults/samples/briefs/*.yaml``) says what to advertise, where and how to be reached::

    id: shoe-sale-2024           # optional; default: the file name without .yaml
    brand: Abebe Shoes
    product: የቆዳ ጫማ
    campaign_goal: ሽያጭ ለመጨመር
    offer: 20% ቅናሽ እስከ እሁድ
    vertical: Retail             # one of the taxonomy's verticals (labeling/taxonomy.yaml)
    target_channel: Sheger Gebeya
    call_to_action: ዛሬውኑ ይደውሉ
    contact:                     # at least one of phone / handle / link / short_code
      phone: 0911 22 33 44
      handle: "@abebeshoes"
      link: https://t.me/abebeshoes
      short_code: "*847#"        # USSD code or 3-5 digit short number (telecom ads use them)
    language: am                 # am | en | mixed
    notes: free text, Amharic or English

A brief derived from an ad (context :data:`FROM_AD`) may leave brand, product, vertical and
contact empty (an ad need not name a brand); a brief file may not.

``contact`` may also be one string holding one or more of them separated by " / ", ",", ";"
or "|" (``"@abebeshoes / 0911 22 33 44"``); each piece is recognised by its shape. Unknown keys,
a missing required key, an invalid phone number, handle or link, or an unknown vertical are
one-line errors naming the file and the field.

Examples
--------
>>> b = Brief.model_validate({"brand": "Abebe", "product": "ጫማ", "vertical": "retail",
...                           "target_channel": "Shop", "contact": "0911223344"})
>>> (b.vertical, b.contact.phone_e164, b.language)
('Retail', '+251911223344', 'am')
>>> cta_of("አሁኑኑ ይዘዙ! ለበለጠ መረጃ ይደውሉ")
['call', 'order']
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from workbench.core.amharic.patterns import normalize_phone
from workbench.core.amharic.strings import find_price_phrases, is_link
from workbench.core.config import load_yaml_model
from workbench.core.errors import ConfigError, InputFileError
from workbench.core.io import sha256_file

Language = Literal["am", "en", "mixed"]

_HANDLE = re.compile(r"^@?[A-Za-z0-9_]{4,32}$")
_ID = re.compile(r"^[^\s/\\]+$")
_SHORT_CODE = re.compile(r"^(?:\*\d+(?:\*\d+)*#|\d{3,5})$")
_PIECE_SEPARATOR = re.compile(r"\s+/\s+|\s*[,;|]\s*")
#: A price as an offer writes it ("1,500 ብር", "300 birr").

#: Validation context of a brief derived from an ad: the fields an ad may lack may be empty.
FROM_AD: dict[str, bool] = {"from_ad": True}


def _from_ad(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("from_ad"))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


@functools.cache
def known_verticals() -> tuple[str, ...]:
    """The verticals of the project taxonomy (``labeling/taxonomy.yaml``)."""
    from workbench.core.taxonomy import load_taxonomy

    return tuple(load_taxonomy().task("vertical").values)


class Contact(_Strict):
    """How the ad's reader reaches the advertiser: at least one of the three."""

    phone: str | None = Field(
        default=None, description="Ethiopian phone number as it should appear (09.., +251..)."
    )
    handle: str | None = Field(default=None, description="Telegram @handle (the @ is optional).")
    link: str | None = Field(default=None, description="URL or t.me link.")
    short_code: str | None = Field(
        default=None, description="USSD code (*847#) or 3-5 digit short number."
    )
    others: list[str] = Field(
        default_factory=list,
        description="Further contact details as written (a second phone number, handle...).",
    )

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and normalize_phone(value) is None:
            msg = (f"'{value}' is not an Ethiopian phone number (expected 09XXXXXXXX, "
                   "07XXXXXXXX or +2519XXXXXXXX)")
            raise ValueError(msg)
        return value

    @field_validator("handle")
    @classmethod
    def _handle(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _HANDLE.match(value):
            msg = f"'{value}' is not a Telegram handle (4-32 letters, digits or _)"
            raise ValueError(msg)
        return value if value.startswith("@") else "@" + value

    @field_validator("link")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        if value is not None and not is_link(value):
            msg = f"'{value}' is not a link (expected http(s)://..., www.... or t.me/...)"
            raise ValueError(msg)
        return value

    @field_validator("short_code", mode="before")
    @classmethod
    def _short_code(cls, value: Any) -> Any:
        if value is None:
            return None
        value = str(value).strip()
        if not _SHORT_CODE.match(value):
            msg = f"'{value}' is not a short code (expected *847# or 3-5 digits)"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _at_least_one(self, info: ValidationInfo) -> Contact:
        if not self.items() and not _from_ad(info):
            msg = "give at least one of phone, handle, link, short_code"
            raise ValueError(msg)
        return self

    @property
    def phone_e164(self) -> str | None:
        """The phone as ``+251XXXXXXXXX`` (None without a phone)."""
        return normalize_phone(self.phone) if self.phone else None

    def items(self) -> list[str]:
        """The contact details as written: phone, handle, link, short code, the others."""
        return [v for v in (self.phone, self.handle, self.link, self.short_code) if v] + [
            o for o in self.others if o]


def _kind_of(piece: str) -> str:
    if piece.startswith("@") or (_HANDLE.match(piece) and re.search("[A-Za-z]", piece)):
        return "handle"
    if is_link(piece):
        return "link"
    if _SHORT_CODE.match(piece):
        return "short_code"
    return "phone"


def _contact_from_string(value: str) -> dict[str, str]:
    """``"@shop / 0911 22 33 44"`` -> ``{"handle": "@shop", "phone": "0911 22 33 44"}``."""
    out: dict[str, str] = {}
    for piece in (p.strip() for p in _PIECE_SEPARATOR.split(value)):
        if not piece:
            continue
        kind = _kind_of(piece)
        if kind in out:
            msg = (f"two {kind} values ('{out[kind]}', '{piece}'); give one of each kind "
                   "(phone, handle, link, short_code)")
            raise ValueError(msg)
        out[kind] = piece
    return out


class Brief(_Strict):
    """One campaign brief."""

    id: str | None = Field(
        default=None, description="Stable id (default: the file name without extension)."
    )
    brand: str = Field(description="Advertiser or brand name, as it should appear.")
    product: str = Field(description="What is advertised.")
    campaign_goal: str = Field(default="", description="What the campaign should achieve.")
    offer: str = Field(default="", description="Price, discount, deadline...")
    vertical: str = Field(description="Industry, one of the taxonomy's verticals.")
    target_channel: str = Field(description="Channel name (or id) the ad is for.")
    call_to_action: str = Field(default="", description="What the reader should do.")
    contact: Contact = Field(description="Phone, handle and/or link (or one of them as a string).")
    language: Language = Field(default="am", description="am, en or mixed.")
    notes: str = Field(default="", description="Free text, Amharic or English.")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str | None) -> str | None:
        if value is not None and not _ID.match(value):
            msg = f"'{value}' must be one word without slashes"
            raise ValueError(msg)
        return value

    @field_validator("contact", mode="before")
    @classmethod
    def _contact_string(cls, value: Any) -> Any:
        if isinstance(value, str | int):
            return _contact_from_string(str(value).strip())
        return value

    @field_validator("brand", "product", "target_channel")
    @classmethod
    def _not_empty(cls, value: str, info: ValidationInfo) -> str:
        if not value and not (_from_ad(info) and info.field_name != "target_channel"):
            msg = "must not be empty"
            raise ValueError(msg)
        return value

    @field_validator("vertical")
    @classmethod
    def _vertical(cls, value: str, info: ValidationInfo) -> str:
        if not value and _from_ad(info):
            return value
        verticals = known_verticals()
        by_lower = {v.lower(): v for v in verticals}
        if value.lower() in by_lower:
            return by_lower[value.lower()]
        hint = difflib.get_close_matches(value, verticals, n=1)
        did = f" (did you mean '{hint[0]}'?)" if hint else ""
        msg = f"unknown vertical '{value}'{did}; allowed: {', '.join(verticals)}"
        raise ValueError(msg)

    def query_text(self) -> str:
        """The words that describe the ad sought: retrieval query and briefs-table text."""
        parts = (self.brand, self.product, self.campaign_goal, self.offer, self.call_to_action,
                 self.notes)
        return " ".join(p for p in parts if p)

    def prices(self) -> list[str]:
        """The prices the offer names, spaces squeezed (``"1,500 ብር"``)."""
        return find_price_phrases(self.offer)

    def cta_keys(self) -> list[str]:
        """The call-to-action kinds the brief asks for (:data:`CTA_LEXICON` keys)."""
        return cta_of(self.call_to_action)


@dataclass(frozen=True)
class BriefFile:
    """A validated brief and where it came from."""

    brief: Brief
    path: Path
    sha256: str

    @property
    def id(self) -> str:
        """The brief's id (never None once loaded)."""
        return self.brief.id or self.path.stem


def load_brief(path: Path) -> BriefFile:
    """Read and validate one brief file.

    Parameters
    ----------
    path
        A YAML file.

    Returns
    -------
    BriefFile
        The brief (``id`` filled from the file name when absent), its path and SHA-256.

    Raises
    ------
    ConfigError
        One line naming the file and the field: unknown key (with a "did you mean"), missing
        key, bad phone / handle / link, unknown vertical, invalid YAML.
    """
    brief = load_yaml_model(path, Brief)
    if brief.id is None:
        brief = brief.model_copy(update={"id": path.stem})
    return BriefFile(brief=brief, path=path, sha256=sha256_file(path))


def find_brief_files(paths: list[Path]) -> list[Path]:
    """YAML files among ``paths`` (folders are searched, not recursively), sorted per folder."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        elif path.is_file():
            found.append(path)
        else:
            msg = f"{path}: no such brief file or folder"
            raise InputFileError(msg)
    return found


def load_briefs(paths: list[Path]) -> list[BriefFile]:
    """Load every brief under ``paths``; two briefs with one id are an error."""
    briefs = [load_brief(p) for p in find_brief_files(paths)]
    seen: dict[str, Path] = {}
    for b in briefs:
        if b.id in seen:
            msg = f"{b.path}: brief id '{b.id}' is already used by {seen[b.id]}"
            raise ConfigError(msg)
        seen[b.id] = b.path
    return briefs


# --- Calls to action and an ad's contact details -------------------------------------------

#: Call-to-action key -> phrases that signal it (Amharic stems and Latin words, lower case).
CTA_LEXICON: dict[str, tuple[str, ...]] = {
    "call": ("ይደውሉ", "ደውሉ", "ይደውሉልን", "call"),
    "order": ("ይዘዙ", "እዘዙ", "order"),
    "join": ("ይቀላቀሉ", "ተቀላቀሉ", "join", "subscribe"),
    "visit": ("ይጎብኙ", "ጎራ ይበሉ", "visit"),
    "buy": ("ይግዙ", "የራስዎ ያድርጉ", "buy", "shop now"),
    "register": ("ይመዝገቡ", "register", "sign up"),
    "message": ("ያናግሩን", "ይፃፉልን", "ይጻፉልን", "inbox", "dm"),
    "contact": ("ያግኙን", "contact"),
}

def cta_phrases(text: str) -> list[tuple[str, str]]:
    """``(key, phrase)`` of each call to action in ``text``: the first phrase found per key."""
    low = text.lower()
    found = []
    for key, phrases in CTA_LEXICON.items():
        for phrase in phrases:
            # Latin words need word boundaries ("dm" inside "admin" is no call to action);
            # Ge'ez stems are matched anywhere because prefixes attach to them (ለይደውሉ...).
            hit = re.search(rf"\b{re.escape(phrase)}\b", low) if phrase.isascii() else phrase in low
            if hit:
                found.append((key, phrase))
                break
    return found


def cta_of(text: str) -> list[str]:
    """Call-to-action keys found in ``text``, in :data:`CTA_LEXICON` order."""
    return [key for key, _ in cta_phrases(text)]


def contact_of_ad(pieces: list[str]) -> dict[str, Any]:
    """A :class:`Contact` body from an ad's details (the rest of each kind in ``others``).

    The first valid phone, handle, link and short code take their fields; every other detail,
    and any that is not valid as its kind, is kept as written in ``others``.
    """
    out: dict[str, Any] = {"others": []}
    for piece in dict.fromkeys(pieces):
        kind = _kind_of(piece)
        valid = {"phone": lambda p: normalize_phone(p) is not None,
                 "handle": lambda p: bool(_HANDLE.match(p)),
                 "link": is_link,
                 "short_code": lambda p: bool(_SHORT_CODE.match(p))}[kind](piece)
        if valid and kind not in out:
            out[kind] = piece
        else:
            out["others"].append(piece)
    return out
