"""The label taxonomy: codes, Chinese display names and task kinds, loaded from data.

A taxonomy is data, not code: :func:`load_taxonomy` reads the shipped
``voc/data/taxonomy.json`` or any JSON/YAML-free file of the same shape, so a
user can rename, add or drop labels and retrain without editing the library.

Example:
    >>> from voc.taxonomy import load_taxonomy
    >>> tax = load_taxonomy()
    >>> tax.codes("sentiment")
    ['negative', 'neutral', 'positive']
    >>> tax.is_multi("aspects")
    True
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_PATH = DATA_DIR / "taxonomy.json"

__all__ = ["Taxonomy", "load_taxonomy", "TASKS"]

#: Per-text tasks of the default taxonomy, in output order.
TASKS = (
    "sentiment",
    "emotion",
    "intent",
    "non_complaint_reasons",
    "complaint_stage",
    "behaviors",
    "aspects",
    "journey_stage",
    "temperament",
)


@dataclass(frozen=True)
class Taxonomy:
    """Label sets per task.

    Attributes:
        tasks: ``{task: {"kind": "single"|"multi", "labels": [{"code", "name_zh"}]}}``.
        version: Free-form version string.
    """

    tasks: dict[str, dict[str, Any]]
    version: str = "custom"
    extra: dict[str, Any] = field(default_factory=dict)

    def codes(self, task: str) -> list[str]:
        """Label codes of ``task`` in their canonical order."""
        return [lab["code"] for lab in self._task(task)["labels"]]

    def names(self, task: str) -> dict[str, str]:
        """Map code -> Chinese display name for ``task``."""
        return {lab["code"]: lab.get("name_zh", lab["code"]) for lab in self._task(task)["labels"]}

    def is_multi(self, task: str) -> bool:
        """True when ``task`` is multi-label."""
        return self._task(task)["kind"] == "multi"

    def validate(self, task: str, value: Any) -> None:
        """Raise ``ValueError`` when ``value`` is not a valid label (list for multi) of ``task``."""
        codes = set(self.codes(task))
        values = value if self.is_multi(task) else [value]
        if self.is_multi(task) and not isinstance(value, (list, tuple)):
            raise ValueError(f"{task} is multi-label: expected a list, got {value!r}")
        bad = [v for v in values if v not in codes]
        if bad:
            raise ValueError(f"unknown {task} label(s) {bad}; valid: {sorted(codes)}")

    def _task(self, task: str) -> dict[str, Any]:
        try:
            return self.tasks[task]
        except KeyError:
            raise KeyError(f"unknown task {task!r}; known: {list(self.tasks)}") from None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (the file format); a deep copy, safe to edit."""
        return copy.deepcopy({"version": self.version, "tasks": self.tasks, **self.extra})

    def to_file(self, path: str | Path) -> None:
        """Write the taxonomy as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Taxonomy:
        """Build from the file format, validating its shape."""
        tasks = data.get("tasks")
        if not isinstance(tasks, dict) or not tasks:
            raise ValueError("taxonomy needs a non-empty 'tasks' mapping")
        for name, spec in tasks.items():
            if spec.get("kind") not in ("single", "multi"):
                raise ValueError(f"task {name!r}: kind must be 'single' or 'multi'")
            labels = spec.get("labels")
            if not labels or any("code" not in lab for lab in labels):
                raise ValueError(f"task {name!r}: labels must be a list of {{'code': ...}}")
        extra = {k: v for k, v in data.items() if k not in ("tasks", "version")}
        return cls(tasks=tasks, version=str(data.get("version", "custom")), extra=extra)


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Taxonomy:
    return Taxonomy.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load a taxonomy file (default: the one shipped with voc).

    Args:
        path: A JSON file with ``{"tasks": {...}}``; ``None`` for the default.

    Returns:
        The :class:`Taxonomy`.
    """
    return _load_cached(str(Path(path) if path else DEFAULT_PATH))
