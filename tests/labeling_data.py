"""Small cleaned data sets for the labeling tests, built by the real ingest from tiny exports."""

from __future__ import annotations

from pathlib import Path

from tests.exports import export, message, write
from workbench.core.config import CleaningConfig
from workbench.ingest.pipeline import run_ingest

ADS = [
    "ቅናሽ! ዘመናዊ ሶፋዎች በተመጣጣኝ ዋጋ 25,000 ብር ይደውሉ 0911 23 45 67",
    "አዲስ ቶዮታ ቪትዝ ከቀረጥ ነፃ ዋጋ 1,200,000 ብር 0922 11 22 33",
    "የኢትዮ ቴሌኮም የዳታ ጥቅል 10GB በ150 ብር ብቻ! አሁኑኑ ይግዙ",
    "ፈውስ ክሊኒክ የጥርስ ህክምና 24/7 ክፍት ነን 0933 44 55 66",
    "የሴቶች ቀሚስ ዋጋ፦ 970 ብር ለማዘዝ ይደውሉ 0944 55 66 77",
]
NEWS = [
    "ዜና: ዛሬ በአዲስ አበባ ከባድ ዝናብ ይጥላል ተብሏል።",
    "የህዝብ ተወካዮች ምክር ቤት ረቂቅ በጀቱን አፀደቀ።",
    "ነገ ከጠዋቱ 2፡00 ጀምሮ የኤሌክትሪክ አገልግሎት ይቋረጣል።",
    "ኢትዮጵያ በአትሌቲክስ ውድድር ሁለት የወርቅ ሜዳሊያ አገኘች።",
]

TIKVAH_ID = 100
PRESS_ID = 200
SHOP_ID = 300


def build_exports(root: Path) -> Path:
    """Three channels: TIKVAH (ids in group 1's and group 2's slices), Sheger Press, a shop."""
    tikvah = [message(i + 1, text) for i, text in enumerate(NEWS + ADS[:2])]
    tikvah += [message(15001 + i, text) for i, text in enumerate(ADS[2:4])]
    write(root / "tikvah" / "result.json",
          export(tikvah, cid=TIKVAH_ID, name="TIKVAH-ETHIOPIA"))
    press = [message(i + 1, text) for i, text in enumerate(NEWS[:3])] + [message(9, "", photo="p.jpg")]
    write(root / "press" / "result.json", export(press, cid=PRESS_ID, name="Sheger Press"))
    shop = [message(i + 1, text) for i, text in enumerate(ADS)]
    write(root / "shop" / "result.json", export(shop, cid=SHOP_ID, name="Addis Shop"))
    return root


def make_data_dir(data_dir: Path, exports_root: Path) -> Path:
    """Ingest the test exports into ``data_dir`` (cleaned/messages.parquet and friends)."""
    build_exports(exports_root)
    run_ingest([exports_root], data_dir, CleaningConfig())
    return data_dir


#: With the default annotator groups: uids per project key.
EXPECTED_PROJECTS = {
    "group-1": {f"{TIKVAH_ID}:{i}" for i in range(1, 7)} | {f"{PRESS_ID}:{i}" for i in (1, 2, 3)},
    "group-2": {f"{TIKVAH_ID}:15001", f"{TIKVAH_ID}:15002"},
    "ungrouped": {f"{SHOP_ID}:{i}" for i in range(1, 6)},
}
