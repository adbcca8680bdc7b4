"""The prompt: one spec, one builder, so every stage sends a model the same messages.

A :class:`PromptSpec` is everything that shapes a prompt besides the brief and the past ads: the
user-message template (its text, so a run keeps the template it was trained with even when the
file changes), the system prompt, and how many past ads are shown, each cut to how many
characters. A training run's spec is written by ``workbench train build-data`` from the recipe's
``data`` section and saved in the run folder (:data:`PROMPT_SPEC_FILE`); a model with no run
takes the ``generation:`` section's. :func:`build_prompt` renders it for a brief and the past ads;
``prompt_sha256`` hashes the exact messages, so equal hashes mean equal prompts.

Template variables (one meaning each)
-------------------------------------
``channel``          the channel the ad is for
``vertical``         industry (Retail, Telecom, ...; "" when unknown)
``brand``            brand name as the ad must write it ("" when none)
``product``          what is advertised
``campaign_goal``    what the campaign should achieve ("" when none)
``offer``            price, discount, deadline (free text; "" when none)
``prices``           the prices the offer names (list of strings, e.g. "1,500 ብር")
``call_to_action``   what the reader should do ("" when none)
``contacts``         every contact detail as written, phone first (list)
``notes``            free text ("" when none)
``language``         am / en / mixed; ``language_name``: Amharic / English / Amharic and English
``context_ads``      past ads, best (or newest) first, each cut to ``context_chars``

Templates run in Jinja's sandbox with ``StrictUndefined``: a misspelt variable is an error
naming the template, never an empty string in the prompt.

Examples
--------
>>> from workbench.core.briefs import Brief
>>> b = Brief.model_validate({"brand": "Abebe", "product": "ጫማ", "vertical": "Retail",
...                           "target_channel": "Shop", "contact": "0911223344",
...                           "offer": "ዋጋ 1,500 ብር"})
>>> spec = PromptSpec.from_text("{{ brand }}: {{ prices | join(', ') }}", system_prompt="",
...                             context_ads=0, context_chars=100)
>>> p = build_prompt(spec, b, [])
>>> (p.messages, len(p.prompt_sha256))
([{'role': 'user', 'content': 'Abebe: 1,500 ብር'}], 64)
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationError, model_validator

from workbench.core.errors import ConfigError
from workbench.core.io import sha256_bytes, write_text_atomic
from workbench.core.strict_model import StrictModel
from workbench.core.validation import validation_failure

if TYPE_CHECKING:
    from workbench.core.briefs import Brief

#: The spec's file name in a training-data folder and in a run folder.
PROMPT_SPEC_FILE = "prompt_spec.json"

LANGUAGE_NAMES = {"am": "Amharic", "en": "English", "mixed": "Amharic and English"}

#: Every variable a template may use (see the module docstring).
VARIABLES = (
    "channel", "vertical", "brand", "product", "campaign_goal", "offer", "prices",
    "call_to_action", "contacts", "notes", "language", "language_name", "context_ads",
)


class PromptSpec(StrictModel):
    """What shapes a prompt besides the brief and the past ads."""

    template: str = Field(description="Jinja text of the user message.")
    template_sha256: str = Field(description="SHA-256 of the template text (UTF-8).")
    template_path: str = Field(default="", description="Where the template was read from.")
    system_prompt: str = Field(description="System message (empty: none).")
    context_ads: int = Field(ge=0, le=20, description="Past ads shown in the prompt, at most.")
    context_chars: int = Field(ge=20, description="Each past ad is cut to this many characters.")

    @model_validator(mode="after")
    def _template_hash(self) -> PromptSpec:
        if sha256_bytes(self.template.encode("utf-8")) != self.template_sha256:
            msg = "template_sha256 is not the SHA-256 of template (the spec was edited)"
            raise ValueError(msg)
        return self

    @classmethod
    def from_text(cls, template: str, *, system_prompt: str, context_ads: int,
                  context_chars: int, template_path: str = "") -> PromptSpec:
        """A spec from a template's text (its hash computed here)."""
        return cls(template=template, template_sha256=sha256_bytes(template.encode("utf-8")),
                   template_path=template_path, system_prompt=system_prompt,
                   context_ads=context_ads, context_chars=context_chars)

    @classmethod
    def from_file(cls, path: Path, *, system_prompt: str, context_ads: int,
                  context_chars: int) -> PromptSpec:
        """A spec from a template file; the template is compiled once to report errors now.

        Raises
        ------
        ConfigError
            Missing file, or a template syntax error (with its line).
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            msg = f"{path}: prompt template not found"
            raise ConfigError(msg) from None
        spec = cls.from_text(text, system_prompt=system_prompt, context_ads=context_ads,
                             context_chars=context_chars, template_path=str(path))
        _compiled(spec.template, spec.template_path)
        return spec

    def sha256(self) -> str:
        """SHA-256 of the spec's canonical JSON (what a manifest records)."""
        return sha256_bytes(_canonical(self.model_dump(mode="json")).encode("utf-8"))


@dataclass(frozen=True)
class Prompt:
    """The messages a model gets for one brief, and their hash."""

    messages: list[dict[str, str]]
    prompt_sha256: str
    #: The past ads as the prompt shows them (cut), in order.
    context_ads: list[str]

    @property
    def user(self) -> str:
        """The user message."""
        return self.messages[-1]["content"]


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def prompt_variables(brief: Brief, context_ads: Sequence[str]) -> dict[str, Any]:
    """The template variables for ``brief`` and past ads already cut (module docstring)."""
    return {
        "channel": brief.target_channel,
        "vertical": brief.vertical,
        "brand": brief.brand,
        "product": brief.product,
        "campaign_goal": brief.campaign_goal,
        "offer": brief.offer,
        "prices": brief.prices(),
        "call_to_action": brief.call_to_action,
        "contacts": brief.contact.items(),
        "notes": brief.notes,
        "language": brief.language,
        "language_name": LANGUAGE_NAMES[brief.language],
        "context_ads": list(context_ads),
    }


def messages_sha256(messages: Sequence[dict[str, str]]) -> str:
    """SHA-256 of chat messages (canonical JSON: sorted keys, no spaces, UTF-8)."""
    return sha256_bytes(_canonical(list(messages)).encode("utf-8"))


def build_prompt(spec: PromptSpec, brief: Brief, context_ads: Sequence[str]) -> Prompt:
    """Render the messages for ``brief`` and past ads (best first).

    Parameters
    ----------
    spec
        Template, system prompt and context size.
    brief
        The brief.
    context_ads
        Past ad texts, best (or newest) first; the first ``spec.context_ads`` are shown, each
        cut to ``spec.context_chars``. Pass fewer to make a prompt fit a model's context.

    Returns
    -------
    Prompt
        System message (when the spec has one) and user message, with their hash.

    Raises
    ------
    ConfigError
        The template uses an unknown variable (the message names the template).
    """
    import jinja2

    shown = [cut(text, spec.context_chars) for text in list(context_ads)[: spec.context_ads]]
    template = _compiled(spec.template, spec.template_path)
    try:
        user = template.render(**prompt_variables(brief, shown)).strip()
    except jinja2.UndefinedError as exc:
        msg = f"{spec.template_path or 'prompt template'}: {exc.message} (variables: " \
              f"{', '.join(VARIABLES)})"
        raise ConfigError(msg) from None
    messages = [{"role": "system", "content": spec.system_prompt}] if spec.system_prompt else []
    messages.append({"role": "user", "content": user})
    return Prompt(messages=messages, prompt_sha256=messages_sha256(messages), context_ads=shown)


def save_prompt_spec(spec: PromptSpec, folder: Path) -> Path:
    """Write ``folder/prompt_spec.json``; its path."""
    path = folder / PROMPT_SPEC_FILE
    write_text_atomic(path, json.dumps(spec.model_dump(mode="json"), ensure_ascii=False,
                                       indent=2) + "\n")
    return path


def load_prompt_spec(folder: Path) -> PromptSpec:
    """Read and validate ``folder/prompt_spec.json`` (a training-data or run folder).

    Raises
    ------
    ConfigError
        One line: the file is missing (the folder predates prompt specs: rebuild or retrain),
        not JSON, or not a valid spec.
    """
    path = folder / PROMPT_SPEC_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = (f"{path}: not found; the prompt spec is written by `workbench train build-data` "
               "and `workbench train run` (train again to get one)")
        raise ConfigError(msg) from None
    except (OSError, json.JSONDecodeError) as exc:
        msg = f"{path}: unreadable prompt spec ({' '.join(str(exc).split())})"
        raise ConfigError(msg) from None
    try:
        spec = PromptSpec.model_validate(raw)
    except ValidationError as exc:
        raise validation_failure(exc, PromptSpec, str(path)) from None
    _compiled(spec.template, str(path))
    return spec


def _canonical(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@functools.lru_cache(maxsize=32)
def _compiled(template: str, where: str) -> Any:
    """The sandboxed, StrictUndefined Jinja template of ``template``."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False)
    try:
        return env.from_string(template)
    except jinja2.TemplateSyntaxError as exc:
        msg = f"{where or 'prompt template'}: line {exc.lineno}: {exc.message}"
        raise ConfigError(msg) from None
