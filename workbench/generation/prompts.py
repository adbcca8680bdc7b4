"""The prompt: a Jinja template users edit, rendered from a brief and the retrieved ads.

The default template is ``training/templates/ad_prompt.j2`` (``generation.prompt_template``); its
header lists the variables. Templates are rendered in Jinja's sandbox with ``StrictUndefined``: a
misspelt variable is an error naming the file, never an empty string in the prompt.

Examples
--------
>>> from workbench.rag.briefs import Brief
>>> b = Brief.model_validate({"brand": "Abebe", "product": "ጫማ", "vertical": "Retail",
...                           "target_channel": "Shop", "contact": "0911223344",
...                           "offer": "ዋጋ 1,500 ብር"})
>>> v = prompt_variables(b, [], context_chars=100)
>>> (v["channel"], v["contacts"], v["prices"], v["language_name"])
('Shop', ['0911223344'], ['1,500 ብር'], 'Amharic')
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.amharic.strings import find_price_phrases
from workbench.core.errors import ConfigError

if TYPE_CHECKING:
    from workbench.rag.briefs import Brief
    from workbench.rag.search import Hit

LANGUAGE_NAMES = {"am": "Amharic", "en": "English", "mixed": "Amharic and English"}

#: Every variable a template may use (for the error message of an unknown one).
VARIABLES = (
    "channel", "target_channel", "vertical", "brand", "product", "campaign_goal", "offer",
    "call_to_action", "notes", "contact", "contacts", "language", "language_name",
    "context_ads", "retrieved", "words", "prices", "cta",
)



def load_template(path: Path) -> Any:
    """Compile a prompt template (sandboxed, unknown variables fail).

    Raises
    ------
    ConfigError
        Missing file or a syntax error (with its line).
    """
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"{path}: prompt template not found (generation.prompt_template)"
        raise ConfigError(msg) from None
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False)
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        msg = f"{path}: line {exc.lineno}: {exc.message}"
        raise ConfigError(msg) from None


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def prompt_variables(brief: Brief, ads: Sequence[Hit], *, context_chars: int) -> dict[str, Any]:
    """The template variables for ``brief`` and the retrieved ``ads`` (best first)."""
    contact = brief.contact
    return {
        "channel": brief.target_channel,
        "target_channel": brief.target_channel,
        "vertical": brief.vertical,
        "brand": brief.brand,
        "product": brief.product,
        "campaign_goal": brief.campaign_goal,
        "offer": brief.offer,
        "call_to_action": brief.call_to_action,
        "notes": brief.notes,
        "contact": {"phone": contact.phone, "handle": contact.handle, "link": contact.link},
        "contacts": contact.items(),
        "language": brief.language,
        "language_name": LANGUAGE_NAMES[brief.language],
        "context_ads": [cut(a.text, context_chars) for a in ads],
        "retrieved": [{"uid": a.key, "text": a.text, "channel": a.channel,
                       "vertical": a.vertical, "date": a.date} for a in ads],
        # The names the training prompt template (training/templates/brief.jinja) uses, so a
        # run's own template renders from a brief too.
        "words": [w for w in (brief.brand, brief.product) if w],
        "prices": find_price_phrases(brief.offer),
        "cta": [brief.call_to_action] if brief.call_to_action else [],
    }


def render_user_prompt(template: Any, variables: dict[str, Any], where: Path | str) -> str:
    """Render the user message; an unknown variable is a one-line error naming the file."""
    import jinja2

    try:
        return template.render(**variables).strip()
    except jinja2.UndefinedError as exc:
        msg = f"{where}: {exc.message} (variables: {', '.join(VARIABLES)})"
        raise ConfigError(msg) from None


def build_messages(system_prompt: str, user: str) -> list[dict[str, str]]:
    """Chat messages: the system prompt (when not empty), then the user prompt."""
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    return [*messages, {"role": "user", "content": user}]
