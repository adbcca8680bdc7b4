"""The one base class of every user-edited declaration (config, taxonomy, recipes, suites, briefs).

Unknown keys fail loudly (``extra="forbid"``), so a typo never silently falls back to a default;
``frozen`` keeps a loaded config from being mutated halfway through a run.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A pydantic model that rejects unknown keys and cannot be mutated."""

    model_config = ConfigDict(extra="forbid", frozen=True)
