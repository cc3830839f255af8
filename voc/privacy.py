"""One PII mask for every output path: frames, CLI files, reports, service bodies, logs.

``nlp(text)`` masks personal data in the *normalized* text it analyses. Output paths
that write the caller's own cells back (the text column of ``analyze_frame``,
``voc analyze``, ``analyze_batch``, Spark, ``voc label export``, customer ids in
``voc report``) call :func:`mask_value` instead: it finds PII on the normalized form
of the cell (full-width digits folded, zero-width and other format characters dropped,
NBSP and other spaces read as one space) with the same patterns as ``normalize``,
and replaces the matching stretch of the *original* text by ``<PHONE>``,
``<IDCARD>``, ``<BANKCARD>`` or ``<EMAIL>``. Everything else in the cell is kept as
written, so a masked column still reads like the input.

Cells that are not text are masked too when they could hold PII: a number such as
``13812345678`` (an Excel column of phones) becomes ``"<PHONE>"``; bytes are decoded
(UTF-8, then GB18030) and masked. ``None``/NaN and booleans are returned unchanged.

Examples:
    >>> mask_text("电话：１３８ １２３４ ５６７８，邮箱 zhang＠example.com")
    '电话：<PHONE>，邮箱 <EMAIL>'
    >>> mask_text("座机(0755)12345678，订单号 1234 5678 1234 5670")
    '座机<PHONE>，订单号 1234 5678 1234 5670'
    >>> mask_value(13812345678)
    '<PHONE>'
    >>> mask_value(3.5)
    3.5
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from voc import text as _text
from voc._input import coerce_text

__all__ = ["contains_pii", "mask_text", "mask_value", "mask_values"]

# Characters that can hide inside a number: what ``normalize`` strips (its control and
# zero-width table), the zero-width joiner and variation selectors. Removed from the view.
_HIDDEN = frozenset(
    chr(c)
    for lo, hi in (*_text._DROP_RANGES, (0x200D, 0x200D), (0xFE00, 0xFE0F))
    for c in range(lo, hi + 1)
)
# One character for one character: full-width ASCII forms to ASCII, every space and
# invisible character to ' ' (the patterns allow a separator between two digits).
_ONE_TO_ONE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_ONE_TO_ONE.update({ord(c): " " for c in _HIDDEN})
_ONE_TO_ONE.update({c: " " for c in range(0x80, 0x3001) if chr(c).isspace()})
_ONE_TO_ONE.update({0x3000: " ", 0xFE6B: "@", 0x2024: ".", 0x2010: "-", 0x2011: "-", 0x2012: "-",
                    0x2013: "-", 0x2212: "-"})
for _c in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f":
    _ONE_TO_ONE[ord(_c)] = " "
# A digit that is neither ASCII nor full-width: needs the slow NFKC view.
_ODD_DIGIT_RE = re.compile(r"(?![0-9])\d|[\u2460-\u24ff\u2776-\u2793]")
# Anything a PII pattern can start on or contain, in any width: a cheap pre-check.
_HINT_RE = re.compile(r"[@＠﹫]|\d")


def _fold(text: str) -> tuple[str, list[int]]:
    """Return the detection view of ``text`` and, per view character, its source index."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch in _HIDDEN:
            continue
        if ch.isspace():
            if out and out[-1] == " ":
                continue
            out.append(" ")
            index.append(i)
            continue
        if ch.isascii():
            out.append(ch)
            index.append(i)
            continue
        folded = unicodedata.normalize("NFKC", ch)
        for f in folded:
            out.append(f)
            index.append(i)
    return "".join(out), index


def _pii_spans(view: str) -> list[tuple[int, int, str]]:
    """PII matches in a detection view: (start, end, kind), left to right, not overlapping."""
    idn = "@" in view and _text._IDN_HINT_RE.search(view) is not None
    pattern = _text._PII_IDN_RE if idn else _text._PII_RE
    spans = []
    for m in pattern.finditer(view):
        kind, start = _text._classify(m)
        if kind in _text.PII_KINDS:
            spans.append((start, m.end(), kind))
    return spans


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Sort and merge overlapping spans (the first kind wins)."""
    out: list[tuple[int, int, str]] = []
    for a, b, kind in sorted(spans):
        if out and a < out[-1][1]:
            pa, pb, pk = out[-1]
            out[-1] = (pa, max(pb, b), pk)
        else:
            out.append((a, b, kind))
    return out


def mask_text(text: str) -> str:
    """Replace every phone, ID card, bank card and e-mail in ``text`` by a placeholder.

    Detection runs on the normalized form (see the module docstring); the rest of the
    text is returned as written. Linear in the text length (a 10 MB cell is fine).

    Args:
        text: Any string (empty is fine).

    Returns:
        The text with PII replaced by ``<PHONE>``, ``<IDCARD>``, ``<BANKCARD>``, ``<EMAIL>``.
    """
    if not text or _HINT_RE.search(text) is None:
        return text
    view = text.translate(_ONE_TO_ONE)  # same length: offsets are the text's offsets
    index = None
    if not view.isascii() and _ODD_DIGIT_RE.search(view) is not None:
        view, index = _fold(text)  # other digit forms (𝟏, ①): NFKC per character
    spans = _merge(_pii_spans(view) + _text._grouped_pii(view))
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for start, end, kind in spans:
        a = start if index is None else index[start]
        b = end if index is None else index[end - 1] + 1
        out.append(text[pos:a])
        out.append(f"<{kind}>")
        pos = b
    out.append(text[pos:])
    return "".join(out)


def contains_pii(text: str) -> bool:
    """True if :func:`mask_text` would change ``text``.

    Examples:
        >>> contains_pii("尾号5678"), contains_pii("138-1234-5678")
        (False, True)
    """
    return mask_text(text) != text


def _number_text(value: Any) -> str | None:
    """The digits a numeric cell shows (``13812345678.0`` -> ``"13812345678"``), else None."""
    if isinstance(value, bool):
        return None
    try:
        import numpy as np

        if isinstance(value, np.bool_):
            return None
        if isinstance(value, np.integer):
            return str(int(value))
        if isinstance(value, np.floating):
            value = float(value)
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    return None


def mask_value(value: Any) -> Any:
    """Mask PII in one output cell of any type.

    Args:
        value: A cell: ``str``, ``bytes``, a number, ``None``/NaN, or anything else.

    Returns:
        For text, the masked text. For bytes, the decoded and masked text (or
        ``"<undecodable bytes>"``). For a number that reads as PII, the placeholder
        string; other numbers, ``None``, NaN and booleans unchanged. Lists, tuples and
        dicts are masked item by item. Other objects are masked through ``str()``
        when that shows PII, else returned unchanged.
    """
    if value is None:
        return value
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return mask_text(coerce_text(value))
        except (TypeError, ValueError):
            return "" if not bytes(value).strip() else "<undecodable bytes>"
    digits = _number_text(value)
    if digits is not None:
        masked = mask_text(digits)
        return masked if masked != digits else value
    if isinstance(value, float):
        return value
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask_value(v) for v in value) if type(value) in (list, tuple) else value
    try:
        shown = str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ cannot leak anything
        return value
    masked = mask_text(shown)
    return masked if masked != shown else value


def mask_values(values: Iterable[Any]) -> list[Any]:
    """:func:`mask_value` over many cells, in order (no cell dropped)."""
    return [mask_value(v) for v in values]
