"""Systems under evaluation: anything that turns prompts into texts, with its lineage.

A :class:`System` has a ``name``, a ``lineage`` dict (what it is and where it came from: run id,
base model, the split manifest and label snapshot a run was trained on, weight hashes) and a
``generate`` method. Implementations:

``retrieval``
    The nearest train ad by character n-gram TF-IDF (``char_wb`` 2-4) on ``text_norm``, with the
    brief's contact details swapped in and its brand put first when absent. For the
    half-continuation task: the second half of the train text nearest to the first half.
``template``
    A filled Amharic ad template (the generation stage's templates) from the brief's fields; for
    the half-continuation task, a closing line with the contacts and a call to action.
``base``, ``run:<run_id>``, ``run:latest``, a folder
    A local Hugging Face causal LM, optionally with a peft adapter (base from its
    ``adapter_config.json``), resolved and loaded by :mod:`workbench.core.models` (adapter merged
    on a full-precision base), its run's lineage read by :mod:`workbench.core.runs`.

Every brief_to_ad prompt comes from one prompt spec (:func:`eval_prompt_spec`): the spec saved
in the suite's training runs' folders, else the ``generation:`` section's; local models get its
system prompt.

Each item is sampled by :func:`workbench.core.sampling.sample_text` with its own seed,
:func:`~workbench.core.sampling.item_seed` of the suite seed and the prompt text, as
``workbench generate`` samples, so an item's output does not depend on which other items are in
the run.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from workbench.core.errors import ConfigError, DataContractError
from workbench.core.io import sha256_file
from workbench.core.models import LocalModel, default_base, local_model_at, run_model
from workbench.core.prompts import PromptSpec, load_prompt_spec
from workbench.core.runs import finished_runs, run_lineage
from workbench.core.sampling import item_seed, sample_text
from workbench.evaluation.tasks import BRIEF_TO_AD, HALF_CONTINUATION, cut_half

if TYPE_CHECKING:
    import polars as pl

    from workbench.core.config import CleaningConfig, ProjectConfig
    from workbench.evaluation.suite import DecodingConfig, SystemEntry

BASELINES = ("retrieval", "template")


@runtime_checkable
class System(Protocol):
    """Something that writes texts for prompts."""

    name: str
    lineage: dict[str, Any]

    def generate(self, prompts: list[str], *, seed: int, max_new_tokens: int,
                 task: str = BRIEF_TO_AD,
                 briefs: Sequence[Mapping[str, Any]] | None = None) -> list[str]:
        """One text per prompt.

        Parameters
        ----------
        prompts
            brief_to_ad: the user message; half_continuation: the text to continue.
        seed
            Suite seed; item i uses :func:`item_seed` of it and its prompt.
        max_new_tokens
            Generation budget (language models).
        task
            ``brief_to_ad`` or ``half_continuation``.
        briefs
            The structured brief of each prompt (baselines read it; models read the prompt).
        """
        ...

    def scoring_model(self, prompts: list[str], task: str) -> dict[str, Any] | None:
        """Arguments of the perplexity metric for this system (None: no language model)."""
        ...

    def close(self) -> None:
        """Free the model."""
        ...


# --- Baselines -----------------------------------------------------------------------------------

def split_contacts(contacts: Sequence[str]) -> dict[str, list[str]]:
    """Contacts by kind: ``phone``, ``handle``, ``link``."""
    out: dict[str, list[str]] = {"phone": [], "handle": [], "link": []}
    for c in contacts:
        if c.startswith("@"):
            out["handle"].append(c)
        elif "/" in c or c.lower().startswith("www."):
            out["link"].append(c)
        else:
            out["phone"].append(c)
    return out


def swap_contacts(text: str, contacts: Sequence[str], *, keep_unmatched: bool = False) -> str:
    """Put the brief's contact details into a past ad.

    Each phone number, @handle and link of ``text`` is replaced by the brief's first one of the
    same kind; with none of that kind it is removed (another advertiser's number must not
    survive) unless ``keep_unmatched``. Brief contacts still missing are appended on a line.
    """
    from workbench.core.amharic.strings import replace_links, replace_mentions, replace_phones

    kinds = split_contacts(contacts)
    if kinds["link"] or not keep_unmatched:
        text = replace_links(text, kinds["link"][0] if kinds["link"] else "")
    if kinds["handle"] or not keep_unmatched:
        text = replace_mentions(text, kinds["handle"][0] if kinds["handle"] else "")
    if kinds["phone"] or not keep_unmatched:
        text = replace_phones(text, kinds["phone"][0] if kinds["phone"] else "")
    text = "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
    missing = [c for c in contacts if c.casefold() not in text.casefold()]
    if missing:
        text += "\n" + " | ".join(missing)
    return text


class RetrievalSystem:
    """``retrieval``: the nearest train ad (char n-gram TF-IDF on ``text_norm``), adapted.

    Parameters
    ----------
    name
        Display name.
    train
        The train split (``uid``, ``text``, ``is_ad``; ``text_norm`` and ``vertical`` used when
        present).
    cleaning
        The project's cleaning config (the one ``text_norm`` was made with).
    """

    def __init__(self, name: str, train: pl.DataFrame, *, cleaning: CleaningConfig,
                 train_sha256: str | None = None) -> None:
        import polars as pl
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.name = name
        #: The project's cleaning config: queries are normalised as ``text_norm`` was.
        self._cleaning = cleaning
        rows = train.filter(pl.col("text").is_not_null()
                            & (pl.col("text").str.strip_chars() != "")).sort("uid")
        if rows.height == 0:
            msg = "retrieval baseline: the train split has no text to retrieve from"
            raise DataContractError(msg)
        norm = rows["text_norm"].fill_null("") if "text_norm" in rows.columns else rows["text"]
        self._texts = rows["text"].to_list()
        self._uids = rows["uid"].to_list()
        self._is_ad = ((rows["is_ad"] == "Ad").fill_null(value=False).to_list()
                       if "is_ad" in rows.columns else [True] * rows.height)
        self._vertical = (rows["vertical"].to_list() if "vertical" in rows.columns
                          else [None] * rows.height)
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4),
                                           sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform(norm.to_list())
        self.last_sources: list[str] = []
        self.lineage = {
            "kind": "baseline", "ref": "retrieval",
            "method": "nearest train ad by char_wb(2,4) TF-IDF cosine on text_norm, same vertical "
                      "when possible; brief contacts swapped in, brand put first",
            "train_rows": rows.height, "train_sha256": train_sha256,
        }

    def _nearest(self, query: str, *, vertical: str | None, ads_only: bool) -> int:
        import numpy as np

        from workbench.core.amharic.strings import normalize

        query_norm = normalize(query, self._cleaning)
        sims = (self._matrix @ self._vectorizer.transform([query_norm]).T).toarray()
        allowed = np.array([i for i in range(len(self._texts))
                            if (self._is_ad[i] or not ads_only)
                            and (vertical is None or self._vertical[i] == vertical)], dtype=int)
        if allowed.size == 0:
            allowed = np.arange(len(self._texts))
        # argmax takes the first maximum: ties (an empty query) go to the lowest uid.
        return int(allowed[np.argmax(sims.ravel()[allowed])])

    def generate(self, prompts: list[str], *, seed: int, max_new_tokens: int,
                 task: str = BRIEF_TO_AD,
                 briefs: Sequence[Mapping[str, Any]] | None = None) -> list[str]:
        """Adapt the nearest past ad (see the class docstring); deterministic."""
        del seed, max_new_tokens
        briefs = briefs or [{} for _ in prompts]
        out = []
        self.last_sources = []
        for prompt, brief in zip(prompts, briefs, strict=True):
            contacts = list(brief.get("contacts") or [])
            if task == HALF_CONTINUATION:
                i = self._nearest(prompt, vertical=None, ads_only=False)
                text = swap_contacts(cut_half(self._texts[i])[1], contacts, keep_unmatched=True)
            else:
                words = list(brief.get("words") or [])
                query = " ".join([*words, *(brief.get("prices") or []),
                                  *[g[0] for g in brief.get("cta") or [] if g]])
                i = self._nearest(query or prompt, vertical=brief.get("vertical"), ads_only=True)
                text = swap_contacts(self._texts[i], contacts)
                brand = brief.get("brand")
                if brand and brand.casefold() not in text.casefold():
                    product = " ".join(brief.get("product") or [])
                    text = f"{brand} — {product}".strip(" —") + "\n" + text
            self.last_sources.append(self._uids[i])
            out.append(text)
        return out

    def scoring_model(self, prompts: list[str], task: str) -> dict[str, Any] | None:
        """No language model."""
        del prompts, task
        return None

    def close(self) -> None:
        """Nothing to free."""


def _cta_phrase(brief: Mapping[str, Any]) -> str:
    """The brief's calls to action in Amharic (the lexicon's first, Ge'ez, phrase of each)."""
    phrases = [group[0] for group in brief.get("cta") or [] if group]
    return " ".join(dict.fromkeys(phrases)) + ("!" if phrases else "")


class TemplateSystem:
    """``template``: a filled Amharic ad template; deterministic given the seed and prompt."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lineage = {"kind": "baseline", "ref": "template",
                        "method": "Amharic ad templates of workbench.generation.baselines filled "
                                  "from the brief; template chosen by the item seed"}

    def generate(self, prompts: list[str], *, seed: int, max_new_tokens: int,
                 task: str = BRIEF_TO_AD,
                 briefs: Sequence[Mapping[str, Any]] | None = None) -> list[str]:
        """Fill a template per prompt (see the class docstring)."""
        from workbench.generation.baselines import DEFAULT_CTA, TEMPLATES, fill_template

        del max_new_tokens
        briefs = briefs or [{} for _ in prompts]
        out = []
        for prompt, brief in zip(prompts, briefs, strict=True):
            contacts = list(brief.get("contacts") or [])
            kinds = split_contacts(contacts)
            cta = _cta_phrase(brief) or DEFAULT_CTA["am"]
            if task == HALF_CONTINUATION:
                where = " | ".join(contacts)
                out.append(f"ለበለጠ መረጃ፦ {where} {cta}" if where else f"ለበለጠ መረጃ ያግኙን። {cta}")
                continue
            words = list(brief.get("words") or [])
            product = " ".join(brief.get("product") or []) or "ምርቶቻችን"
            prices = list(brief.get("prices") or [])
            fields = {
                "brand": brief.get("brand") or (words[0] if words else brief.get("channel", "")),
                "product": product, "offer": f"ዋጋ፦ {', '.join(prices)}" if prices else "",
                "goal": "", "notes": "", "cta": cta,
                "phone": (kinds["phone"] or [""])[0], "handle": (kinds["handle"] or [""])[0],
                "link": (kinds["link"] or [""])[0], "contacts": " | ".join(contacts),
            }
            templates = TEMPLATES["am"]
            out.append(fill_template(templates[item_seed(seed, prompt) % len(templates)], fields))
        return out

    def scoring_model(self, prompts: list[str], task: str) -> dict[str, Any] | None:
        """No language model."""
        del prompts, task
        return None

    def close(self) -> None:
        """Nothing to free."""


# --- Local language models -----------------------------------------------------------------------


class HFSystem:
    """A local causal LM (optionally a peft adapter over its base).

    Parameters
    ----------
    name
        Display name.
    local
        Model / adapter / tokenizer folders (:mod:`workbench.core.models`).
    decoding
        Sampling settings.
    run_prompt_spec
        The prompt spec saved in the run folder (None: the model is no training run).
    lineage
        Facts about the system (run id, manifests...).
    dtype
        ``auto`` (bfloat16 on GPU, float32 on CPU) or a torch dtype name.
    cpu_threads
        torch threads when running on CPU (None: leave torch's setting).
    """

    def __init__(self, name: str, local: LocalModel, *, decoding: DecodingConfig,
                 run_prompt_spec: PromptSpec | None, lineage: dict[str, Any],
                 dtype: str = "auto", cpu_threads: int | None = None) -> None:
        self.name = name
        self.local = local
        self.decoding = decoding
        self.run_prompt_spec = run_prompt_spec
        #: System message of brief_to_ad prompts: the evaluation's prompt spec's (set by
        #: :func:`eval_prompt_spec`).
        self.system_prompt = ""
        self.lineage = lineage
        self.dtype = dtype
        self.cpu_threads = cpu_threads
        self._model: Any = None
        self._tokenizer: Any = None

    def _load(self) -> tuple[Any, Any]:
        if self._model is None:
            import torch

            from workbench.core.models import load_causal_lm

            if self.cpu_threads and not torch.cuda.is_available():
                torch.set_num_threads(self.cpu_threads)
            self._model, self._tokenizer, facts = load_causal_lm(self.local, dtype=self.dtype)
            self.lineage = {**self.lineage, "load": facts}
        return self._model, self._tokenizer

    def _tok(self) -> Any:
        if self._tokenizer is None:
            from workbench.core.models import load_tokenizer

            self._tokenizer = load_tokenizer(self.local)
        return self._tokenizer

    def render(self, prompt: str, task: str) -> tuple[str, bool]:
        """The exact text the model conditions on, and whether to add the tokenizer's BOS.

        brief_to_ad: the chat template (system + user, generation prompt) when the tokenizer
        has one (it writes its own BOS), else system and user as plain text. half_continuation:
        the raw first half (a plain language-model continuation).
        """
        if task == HALF_CONTINUATION:
            return prompt, True
        messages = ([{"role": "system", "content": self.system_prompt}]
                    if self.system_prompt else [])
        messages.append({"role": "user", "content": prompt})
        tok = self._tok()
        if getattr(tok, "chat_template", None):
            return tok.apply_chat_template(messages, tokenize=False,
                                           add_generation_prompt=True), False
        return "\n\n".join(m["content"] for m in messages) + "\n\n", True

    def generate(self, prompts: list[str], *, seed: int, max_new_tokens: int,
                 task: str = BRIEF_TO_AD,
                 briefs: Sequence[Mapping[str, Any]] | None = None) -> list[str]:
        """Sample one text per prompt (item seed each); the prompt is cut from the left to fit."""
        del briefs
        model, tok = self._load()
        out = []
        for prompt in prompts:
            text, special = self.render(prompt, task)
            sample = sample_text(model, tok, text, seed=item_seed(seed, prompt),
                                 max_new_tokens=max_new_tokens, settings=self.decoding,
                                 add_special_tokens=special)
            out.append(sample.text)
        return out

    def scoring_model(self, prompts: list[str], task: str) -> dict[str, Any] | None:
        """Perplexity arguments: this model's folders and each prompt as the model sees it."""
        rendered = [self.render(p, task) for p in prompts]
        return {
            "model_path": str(self.local.model_dir),
            "adapter_path": str(self.local.adapter_dir) if self.local.adapter_dir else None,
            "contexts": [text for text, _ in rendered],
            "add_special_tokens": rendered[0][1] if rendered else True,
        }

    def close(self) -> None:
        """Drop the model (and the GPU memory it held)."""
        if self._model is None:
            return
        self._model = None
        import gc

        import torch

        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


# --- Resolution ----------------------------------------------------------------------------------


def eval_prompt_spec(systems: Sequence[System], cfg: ProjectConfig) -> PromptSpec:
    """The one prompt spec of an evaluation, handed to its local models.

    The spec saved in the training runs' folders (all runs of one suite must share it, so every
    system is scored on the same prompts), else the ``generation:`` section's.

    Raises
    ------
    ConfigError
        Two runs trained with different prompt specs (evaluate them in separate suites).
    """
    from workbench.generation.registry import config_prompt_spec

    hf = [s for s in systems if isinstance(s, HFSystem)]
    run_specs = {s.name: s.run_prompt_spec for s in hf if s.run_prompt_spec is not None}
    distinct = {spec.sha256(): name for name, spec in run_specs.items()}
    if len(distinct) > 1:
        names = ", ".join(sorted(distinct.values()))
        msg = (f"systems {names} were trained with different prompt specs; every system of a "
               "suite is scored on the same prompts, so evaluate them in separate suites")
        raise ConfigError(msg)
    spec = next(iter(run_specs.values())) if run_specs else config_prompt_spec(cfg.generation)
    for system in hf:
        system.system_prompt = spec.system_prompt
    return spec


def known_refs(data_dir: Path) -> list[str]:
    """Every system ref that could resolve now (for "did you mean")."""
    runs = finished_runs(data_dir)
    return [*BASELINES, "base", *(["run:latest"] if runs else []), *[f"run:{r}" for r in runs]]


def resolve_system(entry: SystemEntry, data_dir: Path, cfg: ProjectConfig, *,
                   train: pl.DataFrame, decoding: DecodingConfig,
                   train_sha256: str | None = None, cpu_threads: int | None = None) -> System:
    """Turn a suite entry into a :class:`System` (a run's with the prompt spec of its folder).

    Raises
    ------
    ConfigError
        Unknown ref (with a "did you mean" and what exists), no finished run, a run folder
        without a readable prompt spec, a folder that is no model.
    """
    ref = entry.ref
    if ref == "retrieval":
        return RetrievalSystem(entry.name, train, cleaning=cfg.cleaning, train_sha256=train_sha256)
    if ref == "template":
        return TemplateSystem(entry.name)
    lineage: dict[str, Any] = {"kind": "hf", "ref": ref}
    run_spec: PromptSpec | None = None
    if ref == "base":
        local = local_model_at(default_base(data_dir, cfg.generation.base_model))
    elif ref.startswith("run:"):
        local = run_model(data_dir, ref.removeprefix("run:"))
        assert local.run_dir is not None  # run_model always sets it
        lineage |= run_lineage(local.run_dir)
        run_spec = load_prompt_spec(local.run_dir)
        lineage["prompt_spec_sha256"] = run_spec.sha256()
    elif Path(ref).expanduser().is_dir():
        local = local_model_at(Path(ref).expanduser())
    else:
        known = known_refs(data_dir)
        hint = difflib.get_close_matches(ref, known, n=1)
        did = f" (did you mean '{hint[0]}'?)" if hint else ""
        msg = (f"unknown system '{ref}'{did}; available: {', '.join(known)} "
               "(or a local model / adapter folder)")
        raise ConfigError(msg)
    lineage |= {"model_dir": str(local.model_dir),
                "adapter_dir": str(local.adapter_dir) if local.adapter_dir else None,
                "tokenizer_dir": str(local.tokenizer_dir)}
    config_json = local.model_dir / "config.json"
    if config_json.exists():
        lineage["model_config_sha256"] = sha256_file(config_json)
    return HFSystem(entry.name, local, decoding=decoding, run_prompt_spec=run_spec,
                    lineage=lineage, dtype=cfg.generation.dtype, cpu_threads=cpu_threads)
