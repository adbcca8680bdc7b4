"""Output checks on every candidate: reported beside it, never used to hide it.

=================  =============================================================================
check              passes when
=================  =============================================================================
``has_brand``      the brief's brand appears (homophone- and case-insensitive)
``has_contact``    every contact detail of the brief appears: the phone (any spelling of the
                   same number), the @handle, the link, the short code
``ethiopic_ok``    Ethiopic letters / all letters >= ``checks.min_ethiopic_share[language]``,
                   counted without links and @handles (always Latin, as in ``text_clean``)
``length_ok``      Telegram's limit holds: 4096 UTF-16 units for a text message, 1024 for a
                   media caption (``checks.caption``); Telegram counts UTF-16 units, so an emoji
                   counts 2
``no_leak``        no prompt line (instructions, role markers) of ``min_leak_chars`` or more
                   appears verbatim
``not_copy``       the overlap ratio with every retrieved ad stays below ``checks.max_overlap``:
                   shared character n-grams over the n-grams of the shorter of the two texts,
                   so both "the ad plus a line" and "a slice of the ad" count as copies
                   (contacts are masked first: swapping a phone number makes no copy original)
``not_empty``      the candidate has text
=================  =============================================================================

Examples
--------
>>> from workbench.core.config import CleaningConfig
>>> overlap_ratio("ቤት ለኪራይ በቦሌ", "ቤት ለኪራይ በቦሌ አካባቢ", n=4, cleaning=CleaningConfig())
1.0
>>> round(ethiopic_share("ሰላም hello"), 2)
0.38
>>> utf16_units("ሰላም 👋")
6
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.core.amharic.strings import (
    ethiopic_ratio,
    find_phones,
    normalize,
    replace_links,
    replace_mentions,
    replace_phones,
)
from workbench.core.config import CleaningConfig
from workbench.core.settings.generation import ChecksConfig

if TYPE_CHECKING:
    from workbench.core.briefs import Brief

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

#: Markers of chat formats that must never reach an ad.
ROLE_MARKERS = ("<|system|>", "<|user|>", "<|assistant|>", "[INST]", "[/INST]", "<<SYS>>",
                "<</SYS>>", "<|im_start|>", "<|im_end|>")

_NON_WORD = re.compile(r"[^\w]+")

#: What each failed check means, in the words of someone reading the ad (the web app's labels).
FAILURE_NAMES: dict[str, str] = {
    "not_empty": "empty: the model wrote nothing",
    "has_brand": "no brand name",
    "has_contact": "contact details missing",
    "ethiopic_ok": "too little Amharic",
    "length_ok": "too long for Telegram",
    "no_leak": "repeats the prompt's instructions",
    "not_copy": "copies a past ad",
}

#: The contact detail behind a failed ``has_contact`` (a candidate row's column -> its name).
MISSING_CONTACT_NAMES: dict[str, str] = {
    "has_phone": "no phone number", "has_handle": "no @handle", "has_link": "no link",
    "has_short_code": "no short code",
}


@dataclass(frozen=True)
class CheckResult:
    """The checks of one candidate (see the module docstring); ``None``: not applicable."""

    has_brand: bool
    has_phone: bool | None
    has_handle: bool | None
    has_link: bool | None
    has_short_code: bool | None
    has_contact: bool
    ethiopic_share: float
    ethiopic_ok: bool
    length_units: int
    length_limit: int
    length_ok: bool
    prompt_leak: bool
    leaked_text: str | None
    overlap_ratio: float
    overlap_uid: str | None
    is_copy: bool
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No check failed."""
        return not self.failures

    def as_row(self) -> dict[str, Any]:
        """Columns for the generations table (``checks_passed`` and ``check_failures`` added)."""
        row = asdict(self)
        row["check_failures"] = row.pop("failures")
        row["checks_passed"] = self.passed
        return row


def utf16_units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def ethiopic_share(text: str) -> float:
    """Ethiopic letters / all letters (0.0 without letters), counted without links and handles.

    Links and @handles are always Latin; ``text_clean`` drops them before its ratio too.
    """
    return ethiopic_ratio(replace_mentions(replace_links(text, " "), " "))


def skeleton(text: str, cleaning: CleaningConfig) -> str:
    """Normalised words only: contacts and links masked, punctuation and emojis dropped."""
    text = replace_phones(replace_mentions(replace_links(text, " "), " "), " ")
    return " ".join(_NON_WORD.sub(" ", normalize(text, cleaning)).split())


def char_grams(text: str, n: int) -> set[str]:
    """The distinct character ``n``-grams of ``text`` (what :func:`overlap_ratio` compares)."""
    return {text[i:i + n] for i in range(len(text) - n + 1)}


def overlap_ratio(candidate: str, ad: str, *, cleaning: CleaningConfig, n: int = 6) -> float:
    """Shared character n-grams over the n-grams of the shorter text (0.0 .. 1.0).

    1.0 means one text lies wholly inside the other: the candidate is the ad with lines added,
    or a slice of the ad. Both texts are reduced to normalised words, contacts masked, first.
    """
    cand = char_grams(skeleton(candidate, cleaning), n)
    other = char_grams(skeleton(ad, cleaning), n)
    if not cand or not other:
        return 0.0
    return len(cand & other) / min(len(cand), len(other))


def leak_lines(prompt_texts: Sequence[str], *, allowed: Sequence[str], min_chars: int,
               cleaning: CleaningConfig) -> list[str]:
    """Prompt lines whose verbatim presence in a candidate counts as a leak.

    Parameters
    ----------
    prompt_texts
        The rendered user prompt and the system prompt.
    allowed
        Texts a candidate may legitimately contain (brief values, retrieved ads: copying an ad
        is the overlap check's business); a line inside one of them is not a leak line.
    min_chars
        Shorter lines are ignored (they match by chance).
    cleaning
        The project's cleaning config: lines and candidates are compared normalised.
    """
    allowed_norm = [normalize(a, cleaning) for a in allowed if a]
    lines = []
    for text in prompt_texts:
        for raw in text.splitlines():
            line = normalize(raw, cleaning)
            if len(line) < min_chars or any(line in a for a in allowed_norm):
                continue
            lines.append(line)
    return list(dict.fromkeys(lines))


def check_candidate(
    text: str,
    brief: Brief,
    *,
    leak: Sequence[str],
    retrieved: Sequence[tuple[str, str]],
    cfg: ChecksConfig,
    cleaning: CleaningConfig,
) -> CheckResult:
    """Run every check on one candidate.

    Parameters
    ----------
    text
        The candidate ad.
    brief
        Its brief (brand, contact, language).
    leak
        Lines from :func:`leak_lines`.
    retrieved
        ``(uid, text)`` of the retrieved ads.
    cfg
        Thresholds.
    cleaning
        The project's cleaning config (brand, leak and overlap compare normalised text).

    Returns
    -------
    CheckResult
        Every value, plus the names of the failed checks.
    """
    norm = normalize(text, cleaning)
    lowered = text.casefold()
    contact = brief.contact
    has_brand = bool(brief.brand) and normalize(brief.brand, cleaning) in norm
    has_phone = None if not contact.phone else contact.phone_e164 in find_phones(text)
    has_handle = None
    if contact.handle:
        pattern = re.escape(contact.handle.casefold()) + r"(?![A-Za-z0-9_])"
        has_handle = re.search(pattern, lowered) is not None
    has_link = None
    if contact.link:
        bare = re.sub(r"^https?://", "", contact.link.casefold()).rstrip("/")
        has_link = bare in lowered
    has_short_code = None
    if contact.short_code:
        has_short_code = re.search(r"(?<![0-9*])" + re.escape(contact.short_code)
                                   + r"(?![0-9#])", text) is not None
    has_contact = all(v for v in (has_phone, has_handle, has_link, has_short_code)
                      if v is not None)
    share = ethiopic_share(text)
    ethiopic_ok = share >= cfg.min_ethiopic_share.get(brief.language, 0.0)
    limit = CAPTION_LIMIT if cfg.caption else TEXT_LIMIT
    units = utf16_units(text)
    leaked = next((m for m in ROLE_MARKERS if m.casefold() in lowered), None)
    if leaked is None:
        leaked = next((line for line in leak if line in norm), None)
    best_ratio, best_uid = 0.0, None
    for uid, ad in retrieved:
        ratio = overlap_ratio(text, ad, n=cfg.overlap_ngram, cleaning=cleaning)
        if ratio > best_ratio:
            best_ratio, best_uid = ratio, uid
    is_copy = best_ratio >= cfg.max_overlap
    failures = [name for name, ok in (
        ("not_empty", bool(text.strip())), ("has_brand", has_brand), ("has_contact", has_contact),
        ("ethiopic_ok", ethiopic_ok), ("length_ok", 0 < units <= limit),
        ("no_leak", leaked is None), ("not_copy", not is_copy),
    ) if not ok]
    return CheckResult(
        has_brand=has_brand, has_phone=has_phone, has_handle=has_handle, has_link=has_link,
        has_short_code=has_short_code, has_contact=has_contact, ethiopic_share=round(share, 4), ethiopic_ok=ethiopic_ok,
        length_units=units, length_limit=limit, length_ok=0 < units <= limit,
        prompt_leak=leaked is not None, leaked_text=leaked, overlap_ratio=round(best_ratio, 4),
        overlap_uid=best_uid, is_copy=is_copy, failures=failures,
    )


def failure_names(candidate: dict[str, Any]) -> list[str]:
    """The failed checks of a candidate row (a generations file's columns), named readably.

    A failed ``has_contact`` names each missing detail; an empty candidate fails only as empty
    (its zero length is not "too long").

    Examples
    --------
    >>> failure_names({"check_failures": ["has_contact", "not_copy"], "has_phone": False,
    ...                "has_handle": True})
    ['no phone number', 'copies a past ad']
    >>> failure_names({"check_failures": ["not_empty", "has_brand", "length_ok"]})
    ['empty: the model wrote nothing']
    """
    failed = list(candidate.get("check_failures") or [])
    if "not_empty" in failed:
        return [FAILURE_NAMES["not_empty"]]
    names: list[str] = []
    for check in failed:
        if check == "has_contact":
            missing = [name for column, name in MISSING_CONTACT_NAMES.items()
                       if candidate.get(column) is False]
            names.extend(missing or [FAILURE_NAMES[check]])
        else:
            names.append(FAILURE_NAMES.get(check, check.replace("_", " ")))
    return names
