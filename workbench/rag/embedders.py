"""Offline embedders by registry name: nothing is ever downloaded.

========================  ==================================================================
name                      what it is
========================  ==================================================================
``tfidf-svd`` (default)   character n-gram TF-IDF on ``text_norm`` reduced with truncated SVD,
                          fitted on the indexed ads and saved with the index (works for
                          Amharic with no model at all: character n-grams see through
                          attached prefixes and suffixes)
``st:<dir>``              a sentence-transformers model from a local folder
``hf-mean:<ref>``         mean-pooled last hidden states of a local causal LM: a model folder,
                          a peft adapter folder, or ``run:<run_id>`` (the fine-tuned model)
========================  ==================================================================

Every embedder returns L2-normalised float32 rows, so cosine and dot product agree. The state
(``embedder.json`` plus, for ``tfidf-svd``, the vocabulary, IDF weights and SVD components as
JSON/NumPy files, no pickle) lives in ``DIR/rag/embedder/``; the index records which embedder
filled it and re-embeds everything when that changes.

Examples
--------
>>> emb = make_embedder("tfidf-svd", RagConfig(), Path("."))
>>> emb.fit(["ቤት ለኪራይ", "መኪና ለሽያጭ", "ስልክ በቅናሽ", "ቤት ለሽያጭ"])
>>> vec = emb.encode(["ለኪራይ ቤት"])
>>> vec.shape[0], round(float((vec ** 2).sum()), 3)
(1, 1.0)
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from workbench.core.errors import ConfigError, DataContractError
from workbench.core.io import read_json_checked, write_bytes_atomic, write_json_atomic
from workbench.core.settings.rag import RagConfig

if TYPE_CHECKING:
    import numpy as np

STATE_FILE = "embedder.json"
#: What to do when a saved embedder no longer reads back.
REINDEX = "run `workbench rag index` again"

#: Registry names (with their argument placeholder) for messages and ``--help``.
EMBEDDER_NAMES = ("tfidf-svd", "st:<local dir>", "hf-mean:<local dir | adapter dir | run:<id>>")


class Embedder(Protocol):
    """What the index needs from an embedder."""

    #: Registry name, e.g. ``"tfidf-svd"`` or ``"st:/models/labse"``.
    name: str
    #: Column of the ads the embedder reads (queries are prepared to match, see ``query_form``).
    input_column: str
    #: True when :meth:`fit` must run on the corpus before :meth:`encode`.
    needs_fit: bool

    @property
    def dim(self) -> int:
        """Vector length (known once fitted / loaded)."""
        ...

    def fit(self, texts: Sequence[str]) -> None:
        """Learn from the corpus (no-op for pretrained embedders)."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32, rows L2-normalised (all-zero for an empty text)."""
        ...

    def describe(self) -> dict[str, Any]:
        """JSON-ready facts recorded in the index manifest and ``embedder.json``."""
        ...

    def save(self, folder: Path) -> None:
        """Write the state to ``folder`` (created if needed)."""
        ...


def _normalise_rows(mat: np.ndarray) -> np.ndarray:
    import numpy as np

    mat = np.asarray(mat, dtype=np.float32)
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    return mat / np.where(norms > 0, norms, 1.0)


# --- tfidf-svd -------------------------------------------------------------------------------------


def char_wb_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """Character n-grams inside word boundaries, as scikit-learn's ``analyzer="char_wb"``.

    Each whitespace-separated word is padded with one space on both sides; a word shorter than
    ``n`` yields itself once.
    """
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(lo, hi + 1):
            if size <= n:
                grams.append(padded)
                break
            grams.extend(padded[i:i + n] for i in range(size - n + 1))
    return grams



class TfidfSvdEmbedder:
    """Character n-gram TF-IDF (``char_wb``, sublinear tf) -> truncated SVD -> L2 norm.

    Parameters
    ----------
    cfg
        The ``rag:`` section (its ``tfidf`` part sets n-gram range, vocabulary cap, dims).
    """

    name = "tfidf-svd"
    input_column = "text_norm"
    needs_fit = True

    def __init__(self, cfg: RagConfig) -> None:
        self.cfg = cfg.tfidf
        self._vocab: dict[str, int] | None = None
        self._idf: np.ndarray | None = None
        # One row of SVD weights per n-gram (features x dims): a query gathers a few whole rows.
        self._basis: np.ndarray | None = None
        self.fitted_rows = 0
        self.fitted_at: str | None = None

    @property
    def dim(self) -> int:
        """SVD dimensions (0 before fitting)."""
        return 0 if self._basis is None else int(self._basis.shape[1])

    def fit(self, texts: Sequence[str]) -> None:
        """Fit TF-IDF and SVD on (a seeded sample of at most ``fit_sample``) ``texts``."""
        import numpy as np
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = [t for t in texts if t and t.strip()]
        if len(texts) < 3:
            msg = f"tfidf-svd needs at least 3 non-empty ads to fit, got {len(texts)}"
            raise DataContractError(msg)
        if len(texts) > self.cfg.fit_sample:
            rng = np.random.default_rng(self.cfg.seed)
            picked = rng.choice(len(texts), size=self.cfg.fit_sample, replace=False)
            texts = [texts[i] for i in sorted(picked)]
        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(self.cfg.ngram_min, self.cfg.ngram_max),
            max_features=self.cfg.max_features, sublinear_tf=True, dtype=np.float32,
            lowercase=False,
        )
        matrix = vectorizer.fit_transform(texts)
        # SVD cannot have more components than (rows - 1) or (features - 1).
        dims = max(1, min(self.cfg.dims, matrix.shape[0] - 1, matrix.shape[1] - 1))
        svd = TruncatedSVD(n_components=dims, algorithm="randomized", n_iter=5,
                           random_state=self.cfg.seed)
        svd.fit(matrix)
        self._vocab = {k: int(v) for k, v in vectorizer.vocabulary_.items()}
        self._idf = vectorizer.idf_.astype(np.float32)
        self._basis = np.ascontiguousarray(svd.components_.T, dtype=np.float32)
        self.fitted_rows = len(texts)
        self.fitted_at = datetime.now(UTC).isoformat(timespec="seconds")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Project ``texts`` (already normalised like ``text_norm``) onto the SVD basis.

        Computed with NumPy alone (the same n-grams, sublinear tf, IDF and L2 norm as the
        fitted ``TfidfVectorizer``): a query then needs neither scikit-learn nor SciPy, which
        keeps ``rag search`` and ``generate`` quick to start and a query well under a
        millisecond.
        """
        import numpy as np

        if self._vocab is None or self._idf is None or self._basis is None:
            msg = "tfidf-svd embedder used before it was fitted"
            raise RuntimeError(msg)
        out = np.zeros((len(texts), self._basis.shape[1]), dtype=np.float32)
        lo, hi = self.cfg.ngram_min, self.cfg.ngram_max
        for row, text in enumerate(texts):
            counts: dict[int, int] = {}
            for gram in char_wb_ngrams(text, lo, hi):
                col = self._vocab.get(gram)
                if col is not None:
                    counts[col] = counts.get(col, 0) + 1
            if not counts:
                continue
            cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            weights = (1.0 + np.log(tf)) * self._idf[cols]
            weights /= np.linalg.norm(weights)
            # A weighted sum of the n-grams' whole rows (~30 contiguous rows, not 256 x 30
            # scattered values), without BLAS: a BLAS product (``@``) can wake OpenBLAS's worker
            # threads, which then spin on a core the search's LanceDB queries need (measured
            # with the larger product of ``search.FilteredVectors``; here within the noise).
            out[row] = (self._basis[cols] * weights[:, None]).sum(axis=0)
        return _normalise_rows(out)

    def ngram_weights(self, text: str) -> dict[str, float]:
        """IDF of each distinct known character n-gram of ``text`` (for hybrid re-ranking)."""
        if self._vocab is None or self._idf is None:
            return {}
        out = {}
        for gram in char_wb_ngrams(text, self.cfg.ngram_min, self.cfg.ngram_max):
            col = self._vocab.get(gram)
            if col is not None:
                out[gram] = float(self._idf[col])
        return out

    def describe(self) -> dict[str, Any]:
        """Name, parameters and fit facts."""
        return {"name": self.name, "kind": "tfidf-svd", "dim": self.dim,
                "params": self.cfg.model_dump(), "fitted_rows": self.fitted_rows,
                "fitted_at": self.fitted_at,
                "vocabulary": len(self._vocab or {})}

    def save(self, folder: Path) -> None:
        """Vocabulary (JSON), IDF and components (``.npy``), then ``embedder.json`` last."""
        import io

        import numpy as np

        folder.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(folder / "vocabulary.json",
                           json.dumps(self._vocab, ensure_ascii=False).encode("utf-8"))
        # components.npy keeps scikit-learn's (dims x features) shape; the transposed view is
        # saved in Fortran order, so loading gives the row-per-n-gram layout without a copy.
        components = None if self._basis is None else self._basis.T
        for fname, array in (("idf.npy", self._idf), ("components.npy", components)):
            buf = io.BytesIO()
            np.save(buf, array, allow_pickle=False)
            write_bytes_atomic(folder / fname, buf.getvalue())
        # Written last: a crash mid-save leaves no state file, so the next run refits.
        write_json_atomic(folder / STATE_FILE, self.describe())

    @classmethod
    def load(cls, folder: Path, cfg: RagConfig, state: dict[str, Any]) -> TfidfSvdEmbedder:
        """Rebuild a fitted embedder from :meth:`save`'s files."""
        import numpy as np

        from workbench.core.settings.rag import TfidfConfig

        emb = cls(cfg.model_copy(update={"tfidf": TfidfConfig(**state["params"])}))
        emb._vocab = read_json_checked(folder / "vocabulary.json", REINDEX, remedy=REINDEX)
        emb._idf = np.load(folder / "idf.npy", allow_pickle=False)
        emb._basis = np.ascontiguousarray(np.load(folder / "components.npy", allow_pickle=False).T)
        emb.fitted_rows = int(state.get("fitted_rows", 0))
        emb.fitted_at = state.get("fitted_at")
        return emb


# --- sentence-transformers -----------------------------------------------------------------------


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder (never from a hub)."""

    input_column = "text_clean"
    needs_fit = False

    def __init__(self, path: Path, batch_size: int = 32) -> None:
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            msg = f"st:{path}: not a local sentence-transformers folder (no modules.json)"
            raise ConfigError(msg)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            msg = "the st: embedder needs sentence-transformers (pip install sentence-transformers)"
            raise ConfigError(msg) from None
        self.name = f"st:{path}"
        self.path = path
        self.batch_size = batch_size
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)

    @property
    def dim(self) -> int:
        """The model's embedding size."""
        return int(self._model.get_embedding_dimension())

    def fit(self, texts: Sequence[str]) -> None:
        """Pretrained: nothing to fit."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised sentence embeddings."""
        vecs = self._model.encode(list(texts), batch_size=self.batch_size,
                                  normalize_embeddings=True, show_progress_bar=False,
                                  convert_to_numpy=True)
        return _normalise_rows(vecs)

    def describe(self) -> dict[str, Any]:
        """Name, path and size."""
        return {"name": self.name, "kind": "st", "path": str(self.path), "dim": self.dim}

    def save(self, folder: Path) -> None:
        """Only the description: the model stays where it is."""
        write_json_atomic(folder / STATE_FILE, self.describe())


# --- hf-mean -------------------------------------------------------------------------------------


class MeanPoolEmbedder:
    """Mean of a local causal LM's last hidden states over the non-padding tokens.

    With ``run:<id>`` or an adapter folder this embeds with the fine-tuned model itself, so
    retrieval sees text the way the generator does.
    """

    input_column = "text_clean"
    needs_fit = False

    def __init__(self, ref: str, data_dir: Path, *, batch_size: int = 16,
                 max_length: int = 256) -> None:
        from workbench.core.models import load_causal_lm, resolve_local_model

        self.name = f"hf-mean:{ref}"
        self.ref = ref
        self.local = resolve_local_model(ref, data_dir)
        self.batch_size = batch_size
        self.max_length = max_length
        self._model, self._tokenizer, _ = load_causal_lm(self.local)
        if self._tokenizer.pad_token_id is None:
            self._tokenizer.pad_token = self._tokenizer.eos_token

    @property
    def dim(self) -> int:
        """The model's hidden size."""
        return int(self._model.config.hidden_size)

    def fit(self, texts: Sequence[str]) -> None:
        """Pretrained: nothing to fit."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Masked mean of the last hidden layer, batch by batch, L2-normalised."""
        import numpy as np
        import torch

        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = [t or " " for t in texts[start:start + self.batch_size]]
                enc = self._tokenizer(batch, return_tensors="pt", padding=True, truncation=True,
                                      max_length=self.max_length)
                enc = {k: v.to(self._model.device) for k, v in enc.items()
                       if k in ("input_ids", "attention_mask")}
                hidden = self._model(**enc, output_hidden_states=True).hidden_states[-1]
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                out.append(pooled.float().cpu().numpy())
        if not out:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise_rows(np.concatenate(out))

    def describe(self) -> dict[str, Any]:
        """Name, resolved model folders and size."""
        return {"name": self.name, "kind": "hf-mean", "dim": self.dim,
                "model": self.local.describe()}

    def save(self, folder: Path) -> None:
        """Only the description: the model stays where it is."""
        write_json_atomic(folder / STATE_FILE, self.describe())


# --- registry ------------------------------------------------------------------------------------


def make_embedder(name: str, cfg: RagConfig, data_dir: Path) -> Embedder:
    """A new embedder by registry name (see the module docstring).

    Raises
    ------
    ConfigError
        Unknown name (with a "did you mean" and the list of names), or a model folder that
        does not exist.
    """
    if name == "tfidf-svd":
        return TfidfSvdEmbedder(cfg)
    kind, _, arg = name.partition(":")
    if kind == "st" and arg:
        return SentenceTransformerEmbedder(Path(arg).expanduser())
    if kind == "hf-mean" and arg:
        return MeanPoolEmbedder(arg, data_dir)
    bare = [n.split(":")[0] for n in EMBEDDER_NAMES]
    hint = difflib.get_close_matches(kind, bare, n=1)
    did = f" (did you mean '{hint[0]}'?)" if hint else ""
    msg = f"unknown embedder '{name}'{did}; available: {', '.join(EMBEDDER_NAMES)}"
    raise ConfigError(msg)


def read_state(folder: Path) -> dict[str, Any] | None:
    """``embedder.json`` of a saved embedder (None when absent)."""
    path = folder / STATE_FILE
    if not path.exists():
        return None
    return read_json_checked(path, remedy=REINDEX)


def load_embedder(folder: Path, cfg: RagConfig, data_dir: Path) -> Embedder:
    """The embedder saved in ``folder`` (fitted state restored for ``tfidf-svd``).

    Raises
    ------
    DataContractError
        When no embedder was saved there (the index was never built).
    """
    state = read_state(folder)
    if state is None:
        msg = f"{folder / STATE_FILE}: not found; run `workbench rag index` first"
        raise DataContractError(msg)
    if state["kind"] == "tfidf-svd":
        return TfidfSvdEmbedder.load(folder, cfg, state)
    return make_embedder(state["name"], cfg, data_dir)


def query_form(embedder: Embedder, raw: str, normalized: str) -> str:
    """The text to embed for a query: normalised for ``text_norm`` embedders, else as typed."""
    return normalized if embedder.input_column == "text_norm" else raw
