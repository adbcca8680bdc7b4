"""Embedders: the default fitted on the corpus and saved with the index; others by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.rag_data import ADS, build_tiny_llama, write_splits
from workbench.core.config import ProjectConfig
from workbench.core.errors import ConfigError
from workbench.core.settings.rag import RagConfig
from workbench.rag.embedders import (
    TfidfSvdEmbedder,
    char_wb_ngrams,
    load_embedder,
    make_embedder,
)
from workbench.rag.index import build_index
from workbench.rag.search import RagIndex

TEXTS = [t for _, _, t in ADS]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny"), TEXTS * 3)


def test_char_ngrams_match_scikit_learn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4),
                               lowercase=False).build_analyzer()
    for text in [*TEXTS, "a", "", "ab  cd\tefgh"]:
        assert char_wb_ngrams(text, 2, 4) == analyzer(text)


def test_tfidf_svd_equals_the_scikit_learn_pipeline(tmp_path: Path) -> None:
    emb = TfidfSvdEmbedder(RagConfig())
    emb.fit(TEXTS)
    assert emb.dim == len(TEXTS) - 1  # fewer rows than the configured 256 dims
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True,
                          lowercase=False, vocabulary=emb._vocab)
    vec.idf_ = emb._idf
    reference = vec.transform(TEXTS) @ emb._basis
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    np.testing.assert_allclose(emb.encode(TEXTS), reference, atol=1e-5)

    emb.save(tmp_path / "e")
    loaded = load_embedder(tmp_path / "e", RagConfig(), tmp_path)
    np.testing.assert_allclose(loaded.encode(TEXTS), emb.encode(TEXTS), atol=1e-6)
    assert not loaded.encode(["xyz"]).any()  # no known n-gram: all-zero, not NaN


def test_tfidf_fit_sample_is_seeded() -> None:
    cfg = RagConfig(tfidf={"fit_sample": 10, "seed": 3})
    a, b = TfidfSvdEmbedder(cfg), TfidfSvdEmbedder(cfg)
    a.fit(TEXTS)
    b.fit(TEXTS)
    assert a.fitted_rows == 10
    np.testing.assert_array_equal(a.encode(TEXTS), b.encode(TEXTS))


def test_unknown_embedder_names_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"unknown embedder 'tfidf' \(did you mean 'tfidf-svd'"):
        make_embedder("tfidf", RagConfig(), Path())
    with pytest.raises(ConfigError, match="not a local sentence-transformers folder"):
        make_embedder("st:/no/such/dir", RagConfig(), Path())


def test_hf_mean_embedder_and_switching_rebuilds(tmp_path: Path, tiny: Path) -> None:
    write_splits(tmp_path)
    cfg = ProjectConfig()
    build_index(tmp_path, cfg)
    summary = build_index(tmp_path, cfg, embedder=f"hf-mean:{tiny}")
    assert summary.rebuilt
    assert summary.reason.startswith("embedder changed")
    assert summary.embedder["dim"] == 128
    index = RagIndex(tmp_path, cfg)
    assert index.embedder.name == f"hf-mean:{tiny}"
    hits = index.search("ቤት ለኪራይ", mode="vector", k=3)
    assert len(hits) == 3
    # The same embedder again: incremental.
    assert not build_index(tmp_path, cfg, embedder=f"hf-mean:{tiny}").rebuilt


def test_sentence_transformers_from_a_local_folder(tmp_path: Path, tiny: Path) -> None:
    st = pytest.importorskip("sentence_transformers")
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    word = Transformer(str(tiny))
    model = st.SentenceTransformer(
        modules=[word, Pooling(word.get_embedding_dimension(), pooling_mode="mean")],
        device="cpu")
    model.save(str(tmp_path / "st"))
    emb = make_embedder(f"st:{tmp_path / 'st'}", RagConfig(), tmp_path)
    vecs = emb.encode(TEXTS[:3])
    assert vecs.shape == (3, 128)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
