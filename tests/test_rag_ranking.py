"""``rag search``: whole words outrank a shared prefix, and reposts show once with a count.

The index is built by the real ``workbench rag index`` from curated splits made by the pipeline:
synthetic ads plus crafted posts: clothes ads that say "ልብስ" (clothes) whole, a heart clinic
whose "የልብ" (of the heart) shares its first letters, and one washing-machine ad ("ልብስ ማጠቢያ")
posted four times with small changes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from synthetic.splits import synthetic_posts
from tests.pipeline_data import curated_copy
from tests.rag_data import posts
from workbench.core.config import ProjectConfig
from workbench.rag.search import RagIndex

#: "ልብሶች" (clothes, plural) shares fewer of the query's n-grams than the heart clinic's
#: "ልብ ... አዲስ" does: ranked by n-gram coverage alone, the clinic came first.
CLOTHES = [
    ("Merkato Deals", "Retail", "ልብሶች በቅናሽ ዋጋ ይደውሉ 0911000001"),
    ("Merkato Deals", "Retail", "የልጆች ልብሶች ለበዓል ቅናሽ @kids_wear_et"),
]
HEART = ("Merkato Deals", "Health", "ልብ ሐኪም አዲስ ክሊኒክ በቦሌ ቀጠሮ ይያዙ 0911000009")
WASHER = [
    ("Merkato Deals", "Electronics",
     f"ሳምሰንግ ቴሌቪዥን እና ልብስ ማጠቢያ ማሽን በቅናሽ ዋጋ {price} ብር ብቻ ይደውሉ 0922000000 አሁኑኑ")
    for price in ("45,000", "44,500", "43,900", "42,000")
]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rag-ranking")
    crafted = posts([*CLOTHES, HEART, *WASHER], "train", start_id=1)
    curated_copy(root, [*synthetic_posts(n_ads=60, n_non_ads=10, seed=11), *crafted])
    out = cli("rag", "index", "--data-dir", str(root))
    assert out.returncode == 0, out.stderr
    return root


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True,
                          text=True, timeout=300, check=False)


def test_whole_word_matches_outrank_a_shared_prefix(data_dir: Path) -> None:
    hits = RagIndex(data_dir, ProjectConfig()).search("ልብስ", k=10)
    texts = [h.text for h in hits]
    whole = {text for _, _, text in [*CLOTHES, *WASHER]}
    ranks = [i for i, text in enumerate(texts) if text in whole]
    assert len(ranks) == len(CLOTHES) + 1, texts  # the washer's reposts are one hit
    assert HEART[2] in texts
    assert texts.index(HEART[2]) > max(ranks), texts


def test_reposts_collapse_into_one_hit_with_a_count(data_dir: Path) -> None:
    hits = RagIndex(data_dir, ProjectConfig()).search("ልብስ ማጠቢያ ማሽን", k=7)
    washers = [h for h in hits if "ማጠቢያ ማሽን" in h.text]
    assert len(washers) == 1, [h.text for h in hits]
    assert washers[0].similar == len(WASHER) - 1
    assert len(hits) == 7  # the folded reposts' places went to other ads
    assert len({h.key for h in hits}) == 7
    uncollapsed = RagIndex(data_dir, ProjectConfig()).search("ልብስ ማጠቢያ ማሽን", k=7,
                                                             collapse=False)
    assert sum("ማጠቢያ ማሽን" in h.text for h in uncollapsed) == len(WASHER)


def test_cli_shows_the_similar_count_and_its_default_k(data_dir: Path) -> None:
    out = cli("rag", "search", "ልብስ ማጠቢያ ማሽን", "--data-dir", str(data_dir))
    assert out.returncode == 0, out.stderr
    rows = out.stdout.strip().splitlines()[1:]
    assert len(rows) == ProjectConfig().rag.k
    washer_rows = [r for r in rows if "ማጠቢያ ማሽን" in r]
    assert len(washer_rows) == 1
    assert washer_rows[0].endswith(f"(+{len(WASHER) - 1} similar)")
