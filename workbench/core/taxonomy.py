"""The annotation taxonomy (``labeling/taxonomy.yaml``): tasks, labels, conditions.

Everything label-related is generated from or validated against this one declaration: the Label
Studio XML, the Argilla settings, pulled annotations and curation.

Examples
--------
>>> tax = load_taxonomy()
>>> tax.task("is_ad").values
['Ad', 'Non-Ad']
>>> tax.validate("vertical", ["Travel"]) is None
True
>>> tax.validate("is_ad", ["Ad", "Non-Ad"])
"task 'is_ad' takes exactly one label, got 2"
>>> tax.version, "Real estate" in tax.task("vertical").values
(2, True)
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from workbench.core.config import load_yaml_model
from workbench.core.errors import ConfigError
from workbench.core.resources import default_file, user_path
from workbench.core.strict_model import StrictModel


def taxonomy_path(explicit: Path | None = None) -> Path:
    """The taxonomy file: ``explicit``, else the project's ``labeling/taxonomy.yaml``, else the default."""
    return user_path(explicit) if explicit is not None else default_file("labeling/taxonomy.yaml")


class Label(StrictModel):
    """One label of a task."""

    value: str = Field(min_length=1, description="The label as stored and shown.")
    hotkey: str | None = Field(default=None, description="Keyboard shortcut in the labeling UI.")
    guideline: str = Field(default="", description="One line for annotators: when to use it.")


class Condition(StrictModel):
    """Ask a task only when another task has a given label."""

    task: str = Field(description="The other task's name.")
    equals: str = Field(description="The label that task must have.")


class Task(StrictModel):
    """One choice task."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Identifier used everywhere.")
    title: str = Field(description="The question shown to annotators.")
    kind: Literal["single", "multi"] = Field(description="single: one label; multi: any number.")
    labels: list[Label] = Field(min_length=1, description="The allowed labels.")
    when: Condition | None = Field(default=None, description="Asked only under this condition.")

    @property
    def values(self) -> list[str]:
        """The label values, in declaration order."""
        return [label.value for label in self.labels]

    @model_validator(mode="after")
    def _unique_values(self) -> Task:
        if len(set(self.values)) != len(self.values):
            msg = f"task '{self.name}' repeats a label value"
            raise ValueError(msg)
        return self


class Migration(StrictModel):
    """How labels given under version ``from`` map to version ``from + 1``."""

    from_version: int = Field(alias="from", ge=1, description="The older version.")
    map: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="task -> old label -> label of the next version.")


class Taxonomy(StrictModel):
    """All tasks."""

    version: int = Field(default=1, ge=1, description="Bump when labels change meaning.")
    migrations: list[Migration] = Field(
        default_factory=list, description="One per earlier version: how its labels map forward.")
    tasks: list[Task] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Taxonomy:
        names = [t.name for t in self.tasks]
        if len(set(names)) != len(names):
            msg = "task names must be unique"
            raise ValueError(msg)
        keys = [lab.hotkey for t in self.tasks for lab in t.labels if lab.hotkey]
        if len(set(keys)) != len(keys):
            msg = f"hotkeys must be unique, repeated: {sorted({k for k in keys if keys.count(k) > 1})}"
            raise ValueError(msg)
        for t in self.tasks:
            if t.when is None:
                continue
            parent = next((p for p in self.tasks if p.name == t.when.task), None)
            if parent is None or t.when.equals not in parent.values:
                msg = f"task '{t.name}': condition refers to unknown {t.when.task}={t.when.equals}"
                raise ValueError(msg)
        froms = [m.from_version for m in self.migrations]
        if len(set(froms)) != len(froms) or any(f >= self.version for f in froms):
            msg = f"migrations: each 'from' must be unique and below version {self.version}, got {froms}"
            raise ValueError(msg)
        ordered = sorted(self.migrations, key=lambda m: m.from_version)
        for i, m in enumerate(ordered):
            for task, mapping in m.map.items():
                if task not in names:
                    msg = f"migrations from {m.from_version}: unknown task '{task}'"
                    raise ValueError(msg)
                # Every old label must land on a current one after the later steps too.
                values = next(t for t in self.tasks if t.name == task).values
                bad = []
                for target in mapping.values():
                    for later in ordered[i + 1:]:
                        target = later.map.get(task, {}).get(target, target)
                    if target not in values:
                        bad.append(target)
                if bad:
                    msg = (f"migrations from {m.from_version}: task '{task}' maps to label(s) "
                           f"{sorted(set(bad))} that no later step maps to a current label")
                    raise ValueError(msg)
        return self

    @property
    def names(self) -> list[str]:
        """Task names in declaration order."""
        return [t.name for t in self.tasks]

    def task(self, name: str) -> Task:
        """The task called ``name``; a one-line error with a suggestion otherwise."""
        for t in self.tasks:
            if t.name == name:
                return t
        hint = difflib.get_close_matches(name, self.names, n=1)
        did = f" (did you mean '{hint[0]}'?)" if hint else ""
        msg = f"unknown task '{name}'{did}; the taxonomy has: {', '.join(self.names)}"
        raise ConfigError(msg)

    def validate(self, task: str, values: list[str]) -> str | None:
        """Why ``values`` is not a valid answer to ``task`` (None when it is valid)."""
        t = self.task(task)
        unknown = [v for v in values if v not in t.values]
        if unknown:
            return f"task '{task}': unknown label(s) {unknown}; allowed: {t.values}"
        if len(set(values)) != len(values):
            return f"task '{task}': repeated label"
        if t.kind == "single" and len(values) != 1:
            return f"task '{task}' takes exactly one label, got {len(values)}"
        return None

    def migrate(self, task: str, values: list[str], from_version: int | None = None) -> list[str]:
        """``values`` given under an older version, mapped forward to this version's labels.

        Parameters
        ----------
        task
            The task answered.
        values
            The labels as given.
        from_version
            The version they were given under; None (unknown, e.g. a pull from a server that
            does not record it): every step is applied, but only to labels this version does not
            declare, so a current label is never remapped.

        Returns
        -------
        list[str]
            The mapped labels, de-duplicated in order (two old labels merged into one count once).
        """
        current = set(self.task(task).values)
        out = list(values)
        for m in sorted(self.migrations, key=lambda m: m.from_version):
            if from_version is not None and m.from_version < from_version:
                continue
            mapping = m.map.get(task, {})
            out = [mapping.get(v, v) if from_version is not None or v not in current else v for v in out]
        return list(dict.fromkeys(out))

    def applies(self, task: str, answers: dict[str, list[str]]) -> bool:
        """Whether ``task`` should be answered given the other answers of the same item."""
        cond = self.task(task).when
        return cond is None or cond.equals in answers.get(cond.task, [])


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Load and validate the taxonomy (default: see :func:`taxonomy_path`)."""
    return load_yaml_model(taxonomy_path(path), Taxonomy)
