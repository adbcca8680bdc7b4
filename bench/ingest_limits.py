"""Peak memory of ``workbench ingest`` on the crafted inputs of issue #19, before and after limits.

Usage::

    .venv/bin/python bench/ingest_limits.py
    .venv/bin/python bench/ingest_limits.py --compare-with /tmp/old-checkout

Two inputs, built here (never real data):

* ``huge-name``: a 2.1 MB export whose channel name is 2,000,000 characters (the name is
  repeated on every row, so memory grew with messages x name);
* ``zip-bomb``: a ~400 KB zip holding one 400 MB export (JSON padded with whitespace).

Each runs as ``python -m workbench ingest`` in a fresh interpreter, which reports its own peak RSS;
``--compare-with`` runs the same command against another checkout (e.g. the commit before the
limits) in the same session, so both figures share the machine's load.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs the CLI in-process and prints its exit code and peak RSS (KiB) as the last line.
_CHILD = """
import resource, runpy, sys
sys.argv = ["workbench", *sys.argv[1:]]
code = 0
try:
    runpy.run_module("workbench", run_name="__main__")
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else 1
except BaseException as exc:
    print(f"{type(exc).__name__}: {exc}"[:300], file=sys.stderr)
    code = 1
print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _messages(n: int) -> list[dict[str, object]]:
    return [{"id": i, "type": "message", "date": "2024-03-01T11:00:00",
             "date_unixtime": str(1_709_280_000 + i), "from": "Shop", "text": f"ቅናሽ {i} ብር",
             "text_entities": []} for i in range(1, n + 1)]


def huge_name(out: Path) -> Path:
    """A 2.1 MB export: 2,000,000-character channel name and ~100 KB of messages."""
    doc = {"name": "A" * 2_000_000, "type": "public_channel", "id": 7, "messages": _messages(600)}
    path = out / "huge-name" / "result.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def zip_bomb(out: Path, mib: int = 400) -> Path:
    """A zip of ~400 KB holding a valid 400 MB export (its tail is JSON whitespace)."""
    body = json.dumps({"name": "Shop", "type": "public_channel", "id": 8,
                       "messages": _messages(50)}, ensure_ascii=False).encode()
    path = out / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf, \
            zf.open("ChatExport/result.json", "w", force_zip64=True) as member:
        member.write(body[:-1])
        chunk = b" " * (1 << 20)
        for _ in range(mib):
            member.write(chunk)
        member.write(b"}")
    return path


def measure(tree: Path, target: Path, data_dir: Path) -> tuple[float, float, int, str]:
    """(seconds, peak RSS MB, exit code, first stderr line) of one ingest from ``tree``."""
    cmd = [sys.executable, "-c", _CHILD, "ingest", str(target), "--data-dir", str(data_dir)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tree, check=False,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
    seconds = time.perf_counter() - start
    code, peak_kb = proc.stdout.strip().splitlines()[-1].split()
    first = (proc.stderr.strip().splitlines() or [""])[0]
    return seconds, int(peak_kb) / 1024, int(code), first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--compare-with", type=Path,
                        help="another checkout to run the same inputs against (before the change)")
    args = parser.parse_args()
    trees = {"this checkout": ROOT}
    if args.compare_with:
        trees = {"before": args.compare_with.resolve(), "after": ROOT}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        inputs = {"huge-name": huge_name(tmp_path), "zip-bomb": zip_bomb(tmp_path)}
        for name, target in inputs.items():
            size = target.stat().st_size / 1e6
            print(f"{name}: {target.name}, {size:.1f} MB on disk")
            for label, tree in trees.items():
                seconds, peak, code, first = measure(tree, target, tmp_path / f"data-{label}")
                print(f"  {label:<14} exit {code}  {seconds:6.1f} s  peak RSS {peak:6.0f} MB  "
                      f"{first[:150]}", flush=True)


if __name__ == "__main__":
    main()
