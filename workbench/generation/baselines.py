"""Two cheap, honest baselines every model must beat.

``retrieval``
    The nearest past ad of the channel (candidate i takes the i-th retrieved ad), lightly adapted:
    its phone numbers, @handles and links are replaced by the brief's (removed when the brief has
    none of that kind: another advertiser's number must not survive), a missing brief contact is
    appended, and a "brand - product" line is put first when the brand is absent. Its overlap
    check fails by design: it *is* a copy, and the report shows that.
``template``
    A filled ad template (Amharic for ``am`` and ``mixed`` briefs, English for ``en``); candidate
    i takes template i (cycling). A line whose fields are all empty is left out.

Both are deterministic: the seed is recorded but changes nothing.

Examples
--------
>>> from workbench.core.config import CleaningConfig
>>> from workbench.core.briefs import Brief
>>> b = Brief.model_validate({"brand": "Abebe", "product": "ጫማ", "vertical": "Retail",
...                           "target_channel": "Shop", "contact": {"phone": "0911223344"}})
>>> print(adapt_ad("ጫማ በቅናሽ ይደውሉ 0922 33 44 55 @oldshop", b, CleaningConfig()))
Abebe — ጫማ
ጫማ በቅናሽ ይደውሉ 0911223344
"""

from __future__ import annotations

import string
import time
from collections import defaultdict
from typing import TYPE_CHECKING

from workbench.core.amharic.strings import (
    normalize,
    replace_links,
    replace_mentions,
    replace_phones,
)
from workbench.core.config import CleaningConfig
from workbench.core.errors import DataContractError
from workbench.core.sampling import candidate_seed
from workbench.generation.candidates import GenerationRequest, RawCandidate, seed_key

if TYPE_CHECKING:
    from workbench.core.briefs import Brief
    from workbench.generation.registry import ModelSpec

#: Ad templates per language: one line per list item; ``{field}`` from :func:`_fields`.
TEMPLATES: dict[str, list[list[str]]] = {
    "am": [
        ["✨ {brand} ✨", "{product}", "{offer}", "{goal}", "👉 {cta}", "📞 {phone}", "📲 {handle}",
         "🔗 {link}", "☎ {code}"],
        ["📢 ልዩ ማስታወቂያ!", "{brand} — {product} በተመጣጣኝ ዋጋ።", "{offer}",
         "ለበለጠ መረጃ፦ {contacts}", "{cta}"],
        ["🔥 {product} ከ{brand}!", "{offer}", "ጥራት ያለው አገልግሎት።", "{cta} {contacts}"],
        ["🛍 {brand}", "✅ {product}", "✅ {offer}", "{notes}", "{cta}፦ {contacts}"],
    ],
    "en": [
        ["✨ {brand} ✨", "{product}", "{offer}", "{goal}", "👉 {cta}", "📞 {phone}", "📲 {handle}",
         "🔗 {link}", "☎ {code}"],
        ["📢 Special offer!", "{brand} — {product} at a fair price.", "{offer}",
         "More info: {contacts}", "{cta}"],
        ["🔥 {product} by {brand}!", "{offer}", "Quality you can trust.", "{cta} {contacts}"],
        ["🛍 {brand}", "✅ {product}", "✅ {offer}", "{notes}", "{cta}: {contacts}"],
    ],
}

DEFAULT_CTA = {"am": "አሁኑኑ ይደውሉ!", "en": "Call now!"}


def _fields(brief: Brief, lang: str) -> dict[str, str]:
    contact = brief.contact
    return {
        "brand": brief.brand, "product": brief.product, "offer": brief.offer,
        "goal": brief.campaign_goal, "notes": brief.notes,
        "cta": brief.call_to_action or DEFAULT_CTA[lang],
        "phone": contact.phone or "", "handle": contact.handle or "", "link": contact.link or "",
        "code": contact.short_code or "",
        "contacts": " | ".join(contact.items()),
    }


def fill_template(lines: list[str], fields: dict[str, str]) -> str:
    """Format each line; a line whose fields are all empty (or absent) is dropped."""
    values = defaultdict(str, {k: v or "" for k, v in fields.items()})
    out = []
    for line in lines:
        names = [name for _, name, _, _ in string.Formatter().parse(line) if name]
        if names and not any(values[n] for n in names):
            continue
        out.append(" ".join(line.format_map(values).split()))
    return "\n".join(out)


def template_ad(brief: Brief, index: int) -> str:
    """The ``index``-th template (cycling) filled from ``brief``."""
    lang = "en" if brief.language == "en" else "am"
    templates = TEMPLATES[lang]
    return fill_template(templates[index % len(templates)], _fields(brief, lang))


def adapt_ad(ad: str, brief: Brief, cleaning: CleaningConfig) -> str:
    """A past ad with the brief's contact details and brand put in (see the module docstring).

    The brand counts as present when it appears in the ad normalised with ``cleaning``.
    """
    contact = brief.contact
    text = replace_links(ad, contact.link or "")
    text = replace_mentions(text, contact.handle or "")
    text = replace_phones(text, contact.phone or "")
    text = "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
    missing = []
    if contact.phone and contact.phone not in text:
        missing.append(contact.phone)
    if contact.handle and contact.handle.casefold() not in text.casefold():
        missing.append(contact.handle)
    if contact.link and contact.link not in text:
        missing.append(contact.link)
    if contact.short_code and contact.short_code not in text:
        missing.append(contact.short_code)
    if missing:
        text += "\n" + " | ".join(missing)
    if normalize(brief.brand, cleaning).casefold() not in normalize(text, cleaning).casefold():
        text = f"{brief.brand} — {brief.product}\n{text}"
    return text


class RetrievalBaseline:
    """``retrieval``: candidate i is the i-th retrieved ad, adapted (cycling when fewer)."""

    load_seconds = 0.0

    def __init__(self, spec: ModelSpec, cleaning: CleaningConfig) -> None:
        self.spec = spec
        #: The project's cleaning config (the brand check compares normalised text).
        self.cleaning = cleaning

    def render(self, messages: list[dict[str, str]]) -> str:
        """The user prompt (recorded for provenance; the baseline does not read it)."""
        return messages[-1]["content"]

    def prompt_budget(self, max_new_tokens: int) -> int | None:
        """No limit."""
        return None

    def count_tokens(self, text: str) -> int | None:
        """No tokenizer."""
        return None

    def generate(self, request: GenerationRequest) -> list[RawCandidate]:
        """Adapt the nearest ads; an index without any ad for the brief is an error."""
        if not request.retrieved:
            msg = (f"retrieval baseline: no past ad found for channel "
                   f"'{request.brief.target_channel}' (is the index empty?)")
            raise DataContractError(msg)
        out = []
        for i in range(request.n):
            start = time.perf_counter()
            hit = request.retrieved[i % len(request.retrieved)]
            text = adapt_ad(hit.text, request.brief, self.cleaning)
            seed = candidate_seed(request.decoding.seed, seed_key(request), i)
            out.append(RawCandidate(text=text, seed=seed,
                                    seconds=time.perf_counter() - start,
                                    finish_reason="baseline", source_uid=hit.key))
        return out


class TemplateBaseline(RetrievalBaseline):
    """``template``: candidate i is template i filled from the brief."""

    def generate(self, request: GenerationRequest) -> list[RawCandidate]:
        """Fill the templates in turn."""
        out = []
        for i in range(request.n):
            start = time.perf_counter()
            text = template_ad(request.brief, i)
            seed = candidate_seed(request.decoding.seed, seed_key(request), i)
            out.append(RawCandidate(text=text, seed=seed,
                                    seconds=time.perf_counter() - start,
                                    finish_reason="baseline"))
        return out
