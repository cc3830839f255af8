"""Cue tables -> evidence spans for reasons, complaint stages, behaviours and emotions.

The table is data (``voc/data/cues.tsv``: task, label, regex, weight). Each task's
patterns are compiled into one alternation, so matching a text costs one regex
scan per task. How cue scores are combined with model scores is documented in
:mod:`voc.pipeline` (``blend``).

Example:
    >>> from voc.lexicon import Lexicon
    >>> lex = Lexicon.default()
    >>> [(m.label, m.text) for m in lex.match("电话一直打不通，算了")["non_complaint_reasons"]]
    [('channel_blocked', '打不通'), ('let_it_go', '算了')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_PATH = Path(__file__).parent / "data" / "cues.tsv"

__all__ = ["Cue", "CueMatch", "Lexicon"]


@dataclass(frozen=True)
class Cue:
    """One row of the cue table."""

    task: str
    label: str
    pattern: str
    weight: float


@dataclass(frozen=True)
class CueMatch:
    """A cue found in a text."""

    label: str
    text: str
    start: int
    end: int
    weight: float


class Lexicon:
    """Compiled cue table.

    Args:
        cues: The cue rows.
    """

    def __init__(self, cues: Iterable[Cue]) -> None:
        self.cues = list(cues)
        self._compiled: dict[str, tuple[re.Pattern[str], list[Cue]]] = {}
        by_task: dict[str, list[Cue]] = {}
        for cue in self.cues:
            by_task.setdefault(cue.task, []).append(cue)
        for task, rows in by_task.items():
            parts = []
            for i, cue in enumerate(rows):
                try:
                    re.compile(cue.pattern)
                except re.error as e:
                    raise ValueError(f"bad cue pattern for {task}/{cue.label}: {cue.pattern!r}: {e}") from e
                parts.append(f"(?P<g{i}>{cue.pattern})")
            self._compiled[task] = (re.compile("|".join(parts), re.IGNORECASE), rows)

    @classmethod
    def from_file(cls, path: str | Path) -> Lexicon:
        """Read a TSV cue table (``#`` lines are comments)."""
        cues = []
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 4:
                raise ValueError(f"{path}:{n}: expected 4 tab-separated fields, got {len(parts)}")
            task, label, pattern, weight = parts
            cues.append(Cue(task.strip(), label.strip(), pattern, float(weight)))
        return cls(cues)

    @classmethod
    def default(cls) -> Lexicon:
        """The cue table shipped with voc (cached)."""
        return _default()

    @property
    def tasks(self) -> list[str]:
        """Tasks that have cues."""
        return list(self._compiled)

    def max_weight(self, task: str) -> float:
        """The largest cue weight of ``task`` (0 when it has no cues)."""
        return max((c.weight for c in self.cues if c.task == task), default=0.0)

    def labels(self, task: str) -> set[str]:
        """Labels of ``task`` that have at least one cue."""
        return {c.label for c in self.cues if c.task == task}

    def match_task(self, task: str, text: str) -> list[CueMatch]:
        """All non-overlapping cue matches of ``task`` in ``text``."""
        entry = self._compiled.get(task)
        if entry is None or not text:
            return []
        regex, rows = entry
        out = []
        for m in regex.finditer(text):
            cue = rows[int(m.lastgroup[1:])] if m.lastgroup else None
            if cue is None:  # pragma: no cover - a nested named group cannot occur
                continue
            out.append(CueMatch(cue.label, m.group(), m.start(), m.end(), cue.weight))
        return out

    def match(self, text: str) -> dict[str, list[CueMatch]]:
        """Matches of every task, keyed by task."""
        return {task: self.match_task(task, text) for task in self._compiled}


@lru_cache(maxsize=1)
def _default() -> Lexicon:
    return Lexicon.from_file(DEFAULT_PATH)
