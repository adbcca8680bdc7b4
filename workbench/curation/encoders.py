"""Sentence vectors from a local encoder, as a featurizer for the curation classifiers.

Two kinds of local folder are accepted, both offline (never a download):

* a sentence-transformers model (its folder has ``modules.json``): ``SentenceTransformer.encode``;
* any Hugging Face model folder (``config.json``; e.g. a training run's merged model): the last
  hidden states, mean-pooled over the attention mask.

Vectors are L2-normalised so a linear model sees directions, not lengths. The encoder is frozen:
it never sees a label, so, like the TF-IDF featurizer, it may be fitted (loaded) once per run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.errors import ConfigError


class LocalEncoder:
    """Featurizer: ``fit_transform(texts) -> (n, d)`` float32 vectors from a local model folder.

    Parameters
    ----------
    path
        Folder of a sentence-transformers model or of a Hugging Face model.
    batch_size
        Texts per forward pass.
    max_length
        Tokens kept per text (longer posts are truncated).
    """

    def __init__(self, path: Path | str, *, batch_size: int = 32, max_length: int = 256) -> None:
        self.path = Path(path)
        self.batch_size = batch_size
        self.max_length = max_length
        if not (self.path / "modules.json").exists() and not (self.path / "config.json").exists():
            msg = (f"curation.flag.encoder '{self.path}' is not a local sentence-transformers or "
                   "Hugging Face model folder (no modules.json or config.json)")
            raise ConfigError(msg)

    def fit(self, texts: Sequence[str], y: Any = None) -> LocalEncoder:
        """Nothing to fit: the encoder is frozen."""
        return self

    def fit_transform(self, texts: Sequence[str], y: Any = None) -> np.ndarray:
        """Encode ``texts``."""
        return self.transform(texts)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """``(n, d)`` L2-normalised float32 vectors."""
        texts = [t or " " for t in texts]  # an empty string has no tokens to pool
        if (self.path / "modules.json").exists():
            vectors = self._sentence_transformers(texts)
        else:
            vectors = self._mean_pooled(texts)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)

    def _sentence_transformers(self, texts: list[str]) -> np.ndarray:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        model.max_seq_length = min(model.max_seq_length or self.max_length, self.max_length)
        return np.asarray(model.encode(texts, batch_size=self.batch_size, show_progress_bar=False,
                                       convert_to_numpy=True), dtype=np.float32)

    def _mean_pooled(self, texts: list[str]) -> np.ndarray:
        import torch
        from transformers import AutoModel, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        if tok.pad_token is None:
            # Decoder-only models (a training run's Llama) often ship without a pad token.
            tok.pad_token = tok.eos_token or tok.unk_token
        model = AutoModel.from_pretrained(self.path, local_files_only=True)
        model.eval()
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = tok(texts[start:start + self.batch_size], padding=True, truncation=True,
                            max_length=self.max_length, return_tensors="pt")
                hidden = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
                out.append(pooled.float().numpy())
        return np.concatenate(out) if out else np.zeros((0, model.config.hidden_size), np.float32)
