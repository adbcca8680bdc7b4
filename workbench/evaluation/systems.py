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
    ``adapter_config.json``), resolved through :mod:`workbench.generation.registry` and loaded
    with :func:`workbench.generation.hf.load_causal_lm` (adapter merged on a full-precision base).

Each item is generated with its own seed, derived from the suite seed and the prompt text, so an
item's output does not depend on which other items are in the run.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from workbench.core.errors import ConfigError, DataContractError
from workbench.core.io import sha256_file
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import RunManifest, read_manifest
from workbench.evaluation.tasks import BRIEF_TO_AD, HALF_CONTINUATION, cut_half

if TYPE_CHECKING:
    import polars as pl

    from workbench.core.config import ProjectConfig
    from workbench.evaluation.suite import DecodingConfig, SystemEntry
    from workbench.generation.registry import LocalModel

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


def item_seed(seed: int, prompt: str) -> int:
    """Seed of one item: the suite seed mixed with a checksum of the prompt."""
    return (seed * 1_000_003 + zlib.crc32(prompt.encode("utf-8"))) % (2**31 - 1)


# --- Baselines -----------------------------------------------------------------------------------

_HANDLE = re.compile(r"(?<![A-Za-z0-9_.])@[A-Za-z0-9_]{4,32}")
_LINK = re.compile(r"(?:https?://|www\.|(?:t|telegram)\.(?:me|dog)/)[^\s\u1200-\u137F]*",
                   re.IGNORECASE)


@functools.cache
def _phone_re() -> re.Pattern[str]:
    from workbench.ingest.amharic import PHONE_PATTERN

    return re.compile(PHONE_PATTERN)


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
    kinds = split_contacts(contacts)

    def sub_keep_lead(m: re.Match[str], new: str) -> str:
        s = m.group(0)
        lead = s[0] if s and s[0] not in "+0123456789" else ""
        return lead + new

    if kinds["link"] or not keep_unmatched:
        new_link = kinds["link"][0] if kinds["link"] else ""
        text = _LINK.sub(lambda _m: new_link, text)
    if kinds["handle"] or not keep_unmatched:
        new_handle = kinds["handle"][0] if kinds["handle"] else ""
        text = _HANDLE.sub(lambda _m: new_handle, text)
    if kinds["phone"] or not keep_unmatched:
        new_phone = kinds["phone"][0] if kinds["phone"] else ""
        text = _phone_re().sub(lambda m: sub_keep_lead(m, new_phone), text)
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
    """

    def __init__(self, name: str, train: pl.DataFrame, *, train_sha256: str | None = None) -> None:
        import polars as pl
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.name = name
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

        from workbench.rag.text import normalize_query

        sims = (self._matrix @ self._vectorizer.transform([normalize_query(query)]).T).toarray()
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
        Model / adapter / tokenizer folders (from the generation registry).
    decoding
        Sampling settings.
    system_prompt
        System message of brief_to_ad prompts (empty: none).
    lineage
        Facts about the system (run id, manifests...).
    dtype
        ``auto`` (bfloat16 on GPU, float32 on CPU) or a torch dtype name.
    cpu_threads
        torch threads when running on CPU (None: leave torch's setting).
    """

    def __init__(self, name: str, local: LocalModel, *, decoding: DecodingConfig,
                 system_prompt: str, lineage: dict[str, Any], dtype: str = "auto",
                 cpu_threads: int | None = None) -> None:
        self.name = name
        self.local = local
        self.decoding = decoding
        self.system_prompt = system_prompt
        self.lineage = lineage
        self.dtype = dtype
        self.cpu_threads = cpu_threads
        self._model: Any = None
        self._tokenizer: Any = None

    def _load(self) -> tuple[Any, Any]:
        if self._model is None:
            import torch

            from workbench.generation.hf import load_causal_lm

            if self.cpu_threads and not torch.cuda.is_available():
                torch.set_num_threads(self.cpu_threads)
            self._model, self._tokenizer, facts = load_causal_lm(self.local, dtype=self.dtype)
            self.lineage = {**self.lineage, "load": facts}
        return self._model, self._tokenizer

    def _tok(self) -> Any:
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(self.local.tokenizer_dir,
                                                            local_files_only=True)
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
        import torch

        del briefs
        model, tok = self._load()
        limit = getattr(model.config, "max_position_embeddings", None)
        eos = tok.eos_token_id
        pad = tok.pad_token_id if tok.pad_token_id is not None else eos
        dec = self.decoding
        kwargs: dict[str, Any] = {"max_new_tokens": max_new_tokens, "pad_token_id": pad,
                                  "eos_token_id": eos,
                                  "repetition_penalty": dec.repetition_penalty}
        if dec.temperature > 0:
            kwargs |= {"do_sample": True, "temperature": dec.temperature, "top_p": dec.top_p}
        else:
            kwargs |= {"do_sample": False}
        out = []
        for prompt in prompts:
            text, special = self.render(prompt, task)
            ids = tok(text, add_special_tokens=special)["input_ids"]
            if limit is not None and len(ids) + max_new_tokens > limit:
                # Keep the end of the prompt: it holds the generation prompt and the brief's tail.
                ids = ids[-max(1, int(limit) - max_new_tokens):]
            input_ids = torch.tensor([ids], device=model.device)
            s = item_seed(seed, prompt)
            torch.manual_seed(s)
            if torch.cuda.is_available():
                torch.cuda.manual_seed_all(s)
            with torch.inference_mode():
                new = model.generate(input_ids=input_ids,
                                     attention_mask=torch.ones_like(input_ids),
                                     **kwargs)[0, len(ids):].tolist()
            if eos is not None and eos in new:
                new = new[: new.index(eos)]
            out.append(tok.decode(new, skip_special_tokens=True).strip())
        return out

    def scoring_model(self, prompts: list[str], task: str) -> dict[str, Any] | None:
        """Perplexity arguments: this model's folders and each prompt as the model sees it."""
        rendered = [self.render(p, task) for p in prompts]
        return {
            "model_path": str(self.local.model_dir),
            "adapter_path": str(self.local.adapter_dir) if self.local.adapter_dir else None,
            "tokenizer_path": str(self.local.tokenizer_dir),
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


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def run_lineage(run_dir: Path) -> dict[str, Any]:
    """What a training run's folder says about it (typed manifest, status)."""
    manifest_path = run_dir / MANIFEST
    manifest = read_manifest(manifest_path, RunManifest)
    status = _read_json(run_dir / "run.json")
    return {
        "run_id": run_dir.name, "run_dir": str(run_dir),
        "run_manifest": str(manifest_path), "run_manifest_sha256": sha256_file(manifest_path),
        "run_status": manifest.status,
        "recipe": manifest.config.get("name") or status.get("recipe"),
        "base_model": manifest.base_model, "base_model_path": manifest.base_model_path,
        "split_manifest": manifest.split_manifest,
        "split_manifest_sha256": manifest.split_manifest_sha256,
        "label_snapshot": manifest.label_snapshot.model_dump(),
        "data_fingerprint": manifest.data_fingerprint,
        "run_git_commit": manifest.git_commit,
        "global_step": status.get("global_step") or status.get("step"),
        "train_loss": status.get("train_loss"), "best_eval_loss": status.get("best_eval_loss"),
        "weights": {k: v.sha256 for k, v in manifest.outputs.items()},
    }


def _recipe_system_prompt(run_dir: Path) -> str | None:
    import yaml

    try:
        recipe = yaml.safe_load((run_dir / "recipe.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    value = (recipe.get("data") or {}).get("system_prompt")
    return value if isinstance(value, str) else None


def known_refs(data_dir: Path) -> list[str]:
    """Every system ref that could resolve now (for "did you mean")."""
    from workbench.generation.registry import finished_runs

    runs = finished_runs(data_dir)
    return [*BASELINES, "base", *(["run:latest"] if runs else []), *[f"run:{r}" for r in runs]]


def resolve_system(entry: SystemEntry, data_dir: Path, cfg: ProjectConfig, *,
                   train: pl.DataFrame, decoding: DecodingConfig, suite_system_prompt: str,
                   train_sha256: str | None = None, cpu_threads: int | None = None) -> System:
    """Turn a suite entry into a :class:`System`.

    Raises
    ------
    ConfigError
        Unknown ref (with a "did you mean" and what exists), no finished run, a folder that is
        no model.
    """
    from workbench.generation import registry

    ref = entry.ref
    if ref == "retrieval":
        return RetrievalSystem(entry.name, train, train_sha256=train_sha256)
    if ref == "template":
        return TemplateSystem(entry.name)
    lineage: dict[str, Any] = {"kind": "hf", "ref": ref}
    prompt = entry.system_prompt
    if ref == "base":
        local = registry.local_model_at(registry.default_base(data_dir, cfg.generation))
    elif ref.startswith("run:"):
        run_id = ref.removeprefix("run:")
        if run_id == "latest":
            runs = registry.finished_runs(data_dir)
            if not runs:
                msg = f"run:latest: no finished training run under {Layout(data_dir).runs}"
                raise ConfigError(msg)
            run_id = runs[-1]
        local = registry.resolve_run(run_id, data_dir)
        run_dir = local.run_dir or Layout(data_dir).run(run_id)
        lineage |= run_lineage(run_dir)
        if prompt is None:
            prompt = _recipe_system_prompt(run_dir)
    elif Path(ref).expanduser().is_dir():
        local = registry.local_model_at(Path(ref).expanduser())
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
    return HFSystem(entry.name, local, decoding=decoding,
                    system_prompt=suite_system_prompt if prompt is None else prompt,
                    lineage=lineage, dtype=cfg.generation.dtype, cpu_threads=cpu_threads)
