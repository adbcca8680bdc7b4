"""Allow ``python -m workbench``."""

from __future__ import annotations

from workbench.cli import main

if __name__ == "__main__":
    main()
