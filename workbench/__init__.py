"""Amharic ad workbench: ingest, label, curate, train, generate and evaluate Amharic Telegram ads.

Importing this package must stay cheap: no torch, trl, transformers or lancedb at import time.
Each stage imports its heavy dependencies inside the functions that need them.
"""

from __future__ import annotations

__version__ = "0.1.0"
