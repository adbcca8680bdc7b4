"""Project configuration (``workbench.yaml``), validated by pydantic.

Every key is optional: a project without a config file gets the defaults below. Unknown keys are
rejected by name (with a "did you mean" hint), so a typo never silently falls back to a default.

Examples
--------
>>> cfg = ProjectConfig()
>>> cfg.cleaning.remove_emojis
True
>>> cfg.cleaning.tsa_series_target
'ፀ'
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from workbench.core.errors import ConfigError
from workbench.core.settings.curation import CurationConfig
from workbench.core.settings.generation import GenerationConfig
from workbench.core.settings.ingest import IngestConfig
from workbench.core.settings.labeling import LabelingConfig
from workbench.core.settings.rag import RagConfig
from workbench.core.settings.web import WebConfig
from workbench.core.strict_model import StrictModel
from workbench.core.validation import format_validation_error as format_validation_error
from workbench.core.validation import validation_failure

# format_validation_error is re-exported: the web app's brief form imports it from here.
DEFAULT_CONFIG_NAME = "workbench.yaml"

M = TypeVar("M", bound=BaseModel)


class ChannelConfig(StrictModel):
    """A channel the team works with."""

    name: str = Field(description="Channel title as it appears in the export's `name`.")
    id: int | None = Field(default=None, description="Telegram channel id (the export's `id`).")
    language: Literal["am", "en", "mixed"] = Field(default="am", description="Main language.")


class MessageSlice(StrictModel):
    """An inclusive range of message ids of one channel."""

    channel: str = Field(description="Channel name (or id as a string).")
    first_id: int = Field(ge=0, description="First message id, inclusive.")
    last_id: int = Field(ge=0, description="Last message id, inclusive.")

    @model_validator(mode="after")
    def _ordered(self) -> MessageSlice:
        if self.last_id < self.first_id:
            msg = f"last_id ({self.last_id}) is smaller than first_id ({self.first_id})"
            raise ValueError(msg)
        return self


class AnnotatorGroup(StrictModel):
    """One annotator group: a set of message-id slices plus whole channels (the brief's plan)."""

    id: int = Field(ge=1, description="Group number, as used by `--group N`.")
    slices: list[MessageSlice] = Field(default_factory=list, description="Message-id slices.")
    channels: list[str] = Field(default_factory=list, description="Whole channels, by name or id.")
    annotators: list[str] = Field(default_factory=list, description="Annotator e-mails.")


class CleaningConfig(StrictModel):
    """What `text_clean` and `text_norm` do. The original `text` is never modified."""

    remove_hashtags: bool = Field(default=True, description="Drop #hashtags from text_clean.")
    remove_emojis: bool = Field(default=True, description="Drop emoji sequences from text_clean.")
    remove_links: bool = Field(default=True, description="Drop URLs from text_clean.")
    remove_mentions: bool = Field(default=True, description="Drop @mentions from text_clean.")
    remove_symbols: bool = Field(
        default=True, description="Drop stray symbols (bullets, arrows, box drawing) from text_clean."
    )
    collapse_whitespace: bool = Field(
        default=True, description="Turn newlines and runs of spaces into one space."
    )
    unify_homophones: bool = Field(
        default=True, description="Unify Ge'ez homophone series in text_norm (never in text)."
    )
    tsa_series_target: Literal["ፀ", "ጸ"] = Field(
        default="ፀ",
        description="Direction for the ጸ/ፀ series: the brief maps ጸ->ፀ; some tools map ፀ->ጸ.",
    )
    unify_labialised: bool = Field(
        default=False,
        description="Also unify the 8th (labialised) forms of those series in text_norm: ሗ, ኇ and "
        "ኋ as ሇ, ሧ as ሷ, and ጿ/ፇ in the ጸ/ፀ direction (real text spells 'hwa' both ከኋላ and "
        "ከሗላ). Off by default: the brief unifies the 7 orders.")
    casefold_latin: bool = Field(default=True, description="Lower-case Latin letters in text_norm.")
    unify_full_stop: bool = Field(
        default=True,
        description="Read '፡፡' (two wordspaces, typed where a keyboard lacks the full stop) as "
        "'።' in text_norm, so matching and a rule's sentence bound see one spelling.")


def _default_groups() -> list[AnnotatorGroup]:
    # The brief's plan: each group takes a 15,000-id slice of TIKVAH plus one whole channel.
    whole = ["Sheger Press", "Wasu Mohammed", "ኢትዮ መረጃ - NEWS", "አዲስ ነገር መረጃ", "YeneTube",
             "ዳጉ ስፖርት DAGU SPORT"]
    return [
        AnnotatorGroup(
            id=i + 1,
            slices=[MessageSlice(channel="TIKVAH-ETHIOPIA", first_id=i * 15000 + 1,
                                 last_id=(i + 1) * 15000)],
            channels=[name],
        )
        for i, name in enumerate(whole)
    ]


class ProjectConfig(StrictModel):
    """The whole project config (`workbench.yaml`)."""

    data_dir: Path = Field(default=Path("data"), description="Root of the stage folders.")
    channels: list[ChannelConfig] = Field(default_factory=list, description="Known channels.")
    annotator_groups: list[AnnotatorGroup] = Field(
        default_factory=_default_groups, description="Annotator groups: message-id slices and whole channels each group labels."
    )
    ingest: IngestConfig = Field(
        default_factory=IngestConfig,
        description="`workbench ingest`: input size limits and the exports' time zone."
    )
    cleaning: CleaningConfig = Field(default_factory=CleaningConfig)
    labeling: LabelingConfig = Field(
        default_factory=LabelingConfig, description="`workbench label`: backend, server, overlap."
    )
    curation: CurationConfig = Field(
        default_factory=CurationConfig, description="Label issues, dedup, outliers, splits."
    )
    rag: RagConfig = Field(
        default_factory=RagConfig, description="Retrieval index over channel ads and briefs."
    )
    generation: GenerationConfig = Field(
        default_factory=GenerationConfig, description="Candidate ads: models, prompt, checks."
    )
    web: WebConfig = Field(
        default_factory=WebConfig, description="`workbench serve`: binding, sessions, throttle."
    )

    @model_validator(mode="after")
    def _unique_group_ids(self) -> ProjectConfig:
        ids = [g.id for g in self.annotator_groups]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            msg = f"annotator group ids must be unique, repeated: {dupes}"
            raise ValueError(msg)
        return self


def load_yaml_model(path: Path, model: type[M]) -> M:
    """Read a YAML file and validate it as ``model``; every failure is a one-line ConfigError."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"{path}: file not found"
        raise ConfigError(msg) from None
    except UnicodeDecodeError as exc:
        msg = f"{path}: not UTF-8 text (byte {exc.start})"
        raise ConfigError(msg) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        msg = f"{path}:{where} invalid YAML: {getattr(exc, 'problem', exc)}"
        raise ConfigError(msg) from None
    except RecursionError:
        msg = f"{path}: invalid YAML: nested too deeply"
        raise ConfigError(msg) from None
    except ValueError as exc:
        # PyYAML converts integers itself: a number past Python's int-string limit lands here.
        msg = f"{path}: invalid YAML: {str(exc).splitlines()[0]}"
        raise ConfigError(msg) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        msg = f"{path}: expected a mapping at the top level, got {type(raw).__name__}"
        raise ConfigError(msg)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise validation_failure(exc, model, str(path)) from None


def load_config(path: Path | None = None) -> ProjectConfig:
    """Load the project config.

    Parameters
    ----------
    path
        Explicit config file. When None, ``./workbench.yaml`` is used if it exists, else defaults.

    Returns
    -------
    ProjectConfig
        The validated config.
    """
    if path is None:
        candidate = Path(DEFAULT_CONFIG_NAME)
        if not candidate.exists():
            return ProjectConfig()
        path = candidate
    return load_yaml_model(path, ProjectConfig)
