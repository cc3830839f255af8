"""Cue tables -> evidence spans for reasons, complaint stages, behaviours and emotions.

The table is data (``voc/data/cues.tsv``: task, label, regex, weight). Each task's
patterns are compiled into one alternation. A text is only tried at positions whose
character can start one of the task's cues (found by one fast character-class scan),
and there only with the cues that can start with that character, in table order: the
matches are exactly those of ``finditer`` over the whole alternation, at a fraction
of the cost. Tables with a cue whose first character cannot be worked out (``.``,
``\\w``, a negated class...) fall back to the plain scan. How cue scores are combined with model scores is documented in
:mod:`voc.pipeline` (``blend``).

Example:
    >>> from voc.lexicon import Lexicon
    >>> lex = Lexicon.default()
    >>> [(m.label, m.text) for m in lex.match("电话一直打不通，算了")["non_complaint_reasons"]]
    [('channel_blocked', '打不通'), ('let_it_go', '算了')]
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from sys import intern
from typing import Any

try:  # Python >= 3.11
    import re._constants as _sre_constants
    import re._parser as _sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sre_constants  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]
ASSERT, ASSERT_NOT, AT, BRANCH, IN, LITERAL, MAX_REPEAT, MIN_REPEAT, RANGE, SUBPATTERN = (
    getattr(_sre_constants, name)
    for name in ("ASSERT", "ASSERT_NOT", "AT", "BRANCH", "IN", "LITERAL", "MAX_REPEAT", "MIN_REPEAT", "RANGE",
                 "SUBPATTERN")
)
ANY, NOT_LITERAL, NEGATE, CATEGORY, GROUPREF = (
    getattr(_sre_constants, name) for name in ("ANY", "NOT_LITERAL", "NEGATE", "CATEGORY", "GROUPREF"))
#: Zero-width assertions that behave the same at a text's edge and next to a newline.
_EDGE_SAFE_AT = {getattr(_sre_constants, n) for n in ("AT_BOUNDARY", "AT_NON_BOUNDARY", "AT_UNI_BOUNDARY",
                                                        "AT_UNI_NON_BOUNDARY", "AT_LOC_BOUNDARY",
                                                        "AT_LOC_NON_BOUNDARY") if hasattr(_sre_constants, n)}
#: Texts of a batch are scanned joined by this character (see :meth:`Lexicon.match_many`).
JOIN = "\n"

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
        self._scanners: dict[str, _Scanner | None] = {}
        self._max_weight: dict[str, float] = {}
        self._joined: dict[str, re.Pattern[str]] = {}
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
            self._scanners[task] = scanner = _Scanner.build(parts)
            self._max_weight[task] = max((c.weight for c in rows), default=0.0)
            if all(_newline_safe(_sre_parse.parse(cue.pattern, re.IGNORECASE)) for cue in rows):
                # one C-level scan of a whole batch; tried only where some cue can start
                prefix = f"(?={scanner.candidates.pattern})" if scanner is not None else ""
                self._joined[task] = re.compile(f"{prefix}(?:{'|'.join(parts)})", re.IGNORECASE)

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
        return self._max_weight.get(task, 0.0)

    def labels(self, task: str) -> set[str]:
        """Labels of ``task`` that have at least one cue."""
        return {c.label for c in self.cues if c.task == task}

    def match_task(self, task: str, text: str) -> list[CueMatch]:
        """All non-overlapping cue matches of ``task`` in ``text``."""
        entry = self._compiled.get(task)
        if entry is None or not text:
            return []
        regex, rows = entry
        scanner = self._scanners.get(task)
        out = []
        for m in (scanner.finditer(text) if scanner is not None else regex.finditer(text)):
            cue = rows[int(m.lastgroup[1:])] if m.lastgroup else None
            if cue is None:  # pragma: no cover - a nested named group cannot occur
                continue
            out.append(CueMatch(cue.label, intern(m.group()), m.start(), m.end(), cue.weight))
        return out

    def match_many(self, task: str, texts: Sequence[str]) -> list[list[CueMatch]]:
        """:meth:`match_task` of every text in ``texts`` (same matches), in one scan when possible.

        The texts are joined by a newline and scanned once, when no cue of ``task`` can match a
        newline or depends on where the string starts or ends (``^``, ``$``): then a match can
        neither cross from one text into the next nor differ at a text's edge. Otherwise, or when a
        text contains a newline itself, each text is scanned on its own.
        """
        regex = self._joined.get(task)
        joined = JOIN.join(texts)
        if regex is None or joined.count(JOIN) != max(len(texts) - 1, 0):
            return [self.match_task(task, t) for t in texts]
        rows = self._compiled[task][1]
        out: list[list[CueMatch]] = [[] for _ in texts]
        found = list(regex.finditer(joined))
        if not found:
            return out
        starts = list(accumulate((len(t) + 1 for t in texts[:-1]), initial=0))
        k = 0
        for m in found:
            start = m.start()
            k = bisect_right(starts, start, lo=k) - 1
            base = starts[k]
            cue = rows[int(m.lastgroup[1:])]  # type: ignore[index]
            out[k].append(CueMatch(cue.label, intern(m.group()), start - base, m.end() - base, cue.weight))
        return out

    def match_one(self, task: str, text: str) -> list[CueMatch]:
        """``match_many(task, [text])[0]`` without the batch bookkeeping (the single-text path)."""
        regex = self._joined.get(task)
        if regex is None or JOIN in text:
            return self.match_task(task, text)
        rows = self._compiled[task][1]
        return [CueMatch(cue.label, intern(m.group()), m.start(), m.end(), cue.weight)
                for m in regex.finditer(text) for cue in (rows[int(m.lastgroup[1:])],)]  # type: ignore[index]

    def match(self, text: str) -> dict[str, list[CueMatch]]:
        """Matches of every task, keyed by task."""
        return {task: self.match_task(task, text) for task in self._compiled}


class _Scanner:
    """``finditer`` of an alternation, tried only where a branch can start.

    ``parts`` are the branches (``(?P<gI>...)``). Equivalent to
    ``re.compile("|".join(parts), re.IGNORECASE).finditer``: a match can only start at a
    character some branch can start with, and there the branches that cannot start with it
    would fail anyway, so leaving them out (keeping the order) changes nothing.
    """

    def __init__(self, parts: list[str], firsts: list[str]) -> None:
        self.parts = parts
        self.firsts = [re.compile(f"[{f}]", re.IGNORECASE) for f in firsts]
        self.candidates = re.compile("[" + "".join(firsts) + "]", re.IGNORECASE)
        self._by_char: dict[str, re.Pattern[str] | None] = {}

    @classmethod
    def build(cls, parts: list[str]) -> _Scanner | None:
        """A scanner, or ``None`` when some branch may start with any character (or match nothing)."""
        firsts = []
        for part in parts:
            try:
                chars, nullable = _first(_sre_parse.parse(part, re.IGNORECASE))
            except _Unknown:
                return None
            if nullable or not chars:
                return None
            firsts.append(chars)
        return cls(parts, firsts)

    def _for(self, ch: str) -> re.Pattern[str] | None:
        try:
            return self._by_char[ch]
        except KeyError:
            pass
        keep = [p for p, f in zip(self.parts, self.firsts, strict=True) if f.match(ch)]
        regex = re.compile("|".join(keep), re.IGNORECASE) if keep else None
        if len(self._by_char) < 4096:
            self._by_char[ch] = regex
        return regex

    def finditer(self, text: str) -> Iterable[re.Match[str]]:
        """The matches of the full alternation, in order (none is empty: no branch is nullable)."""
        search = self.candidates.search
        pos = 0
        while (c := search(text, pos)) is not None:
            start = c.start()
            regex = self._for(text[start])
            m = regex.match(text, start) if regex is not None else None
            if m is None:
                pos = start + 1
                continue
            yield m
            pos = m.end()


class _Unknown(Exception):
    """The first character of a pattern cannot be listed."""


def _first(seq: Any) -> tuple[str, bool]:
    """(character-class body of the characters ``seq`` can start with, whether it can match empty)."""
    out = ""
    for op, av in seq:
        chars, nullable = _first_item(op, av)
        out += chars
        if not nullable:
            return out, False
    return out, True


def _first_item(op: Any, av: Any) -> tuple[str, bool]:
    if op is LITERAL:
        return re.escape(chr(av)), False
    if op is IN:
        body = ""
        for iop, iav in av:
            if iop is LITERAL:
                body += re.escape(chr(iav))
            elif iop is RANGE and iav[1] - iav[0] <= 256:
                body += f"{re.escape(chr(iav[0]))}-{re.escape(chr(iav[1]))}"
            else:  # NEGATE, CATEGORY (\\d, \\w...), wide ranges
                raise _Unknown
        return body, False
    if op is BRANCH:
        body, nullable = "", False
        for branch in av[1]:
            chars, n = _first(branch)
            body += chars
            nullable = nullable or n
        return body, nullable
    if op is SUBPATTERN:
        if av[1] or av[2]:  # inline flags change how characters match
            raise _Unknown
        return _first(av[3])
    if op in (MAX_REPEAT, MIN_REPEAT):
        lo, _hi, item = av
        chars, nullable = _first(item)
        return chars, nullable or lo == 0
    if op in (AT, ASSERT, ASSERT_NOT):  # zero-width: restricts, never consumes
        return "", True
    raise _Unknown


def _newline_safe(seq: Any) -> bool:
    """Whether a parsed pattern can never consume a newline nor test for the string's start or end."""
    for op, av in seq:
        if op is LITERAL:
            if av == 10:
                return False
        elif op is ANY:  # no DOTALL: "." does not match a newline
            continue
        elif op is IN:
            if _class_has_newline(av):
                return False
        elif op is BRANCH:
            if not all(_newline_safe(b) for b in av[1]):
                return False
        elif op is SUBPATTERN:
            if av[1] or av[2] or not _newline_safe(av[3]):  # inline flags (e.g. (?s)): not worked out
                return False
        elif op in (MAX_REPEAT, MIN_REPEAT):
            if not _newline_safe(av[2]):
                return False
        elif op in (ASSERT, ASSERT_NOT):
            if not _newline_safe(av[1]):
                return False
        elif op is AT:
            if av not in _EDGE_SAFE_AT:  # ^ $ \A \Z
                return False
        elif op is not GROUPREF:  # NOT_LITERAL ([^x]) and anything else
            return False
    return True


def _class_has_newline(items: Any) -> bool:
    negate, hit = False, False
    for op, av in items:
        if op is NEGATE:
            negate = True
        elif op is LITERAL:
            hit = hit or av == 10
        elif op is RANGE:
            hit = hit or av[0] <= 10 <= av[1]
        elif op is CATEGORY:
            name = str(av)
            hit = hit or (("SPACE" in name or "LINEBREAK" in name) != ("NOT" in name)) or \
                ("DIGIT" in name and "NOT" in name) or ("WORD" in name and "NOT" in name)
        else:
            return True
    return hit != negate


@lru_cache(maxsize=1)
def _default() -> Lexicon:
    return Lexicon.from_file(DEFAULT_PATH)
