"""Input validation shared by every single-text API of ``voc``.

``coerce_text`` is the one place that decides what counts as a text: a ``str``
(kept as is, lone surrogates repaired) or ``bytes`` (decoded as UTF-8, then
GB18030). Everything else is a ``TypeError``; empty text is a ``ValueError``.
Batch APIs (``pipe``) call it per item and turn the exception into an error
message instead of raising.

Bytes that are not UTF-8 almost always decode as GB18030 (it accepts nearly any
byte pair), so Big5 and Shift-JIS bytes would silently become nonsense Chinese:
:func:`guess_legacy_encoding` compares the share of common characters of each
reading and such bytes are refused with a message naming the likely codec.
``clip_text`` cuts a huge text before any cleaning, so cost stays bounded.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from typing import Any

__all__ = ["InputError", "TruncatedWarning", "check_texts", "clip_text", "coerce_text", "guess_legacy_encoding"]


class InputError(ValueError):
    """A text of the right type whose value cannot be used (empty, undecodable).

    Subclasses ``ValueError`` so ``except ValueError`` keeps working.

    Examples:
        >>> issubclass(InputError, ValueError)
        True
    """


class TruncatedWarning(UserWarning):
    """A text longer than the ``max_length`` of the API it was given to was cut.

    Examples:
        >>> issubclass(TruncatedWarning, UserWarning)
        True
    """


def _describe(x: Any) -> str:
    if x is None:
        return "None"
    if isinstance(x, float) and math.isnan(x):
        return "float NaN (a missing value)"
    cls = type(x)
    name = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    if cls.__name__ in {"NAType", "NaTType"}:
        return f"{name} (a missing value)"
    return name


def _repair_surrogates(text: str) -> str:
    # Valid surrogate pairs (from some JSON decoders) become the real character; lone
    # surrogates become U+FFFD.
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


# --------------------------------------------------------------------------- legacy encodings
# Common characters of each legacy double-byte encoding, by lead byte: GB2312 level-1 hanzi
# (the 3,755 most used, ~99.5 % of running text) and CJK punctuation / full-width forms;
# Big5 punctuation and the 5,401 常用字; Shift-JIS punctuation, kana and JIS level-1 kanji.
_COMMON_LEADS = {
    "gb18030": ((0xA1, 0xA1), (0xA3, 0xA3), (0xB0, 0xD7)),
    "big5": ((0xA1, 0xA1), (0xA4, 0xC6)),
    "shift_jis": ((0x81, 0x83), (0x88, 0x98)),
}
# Decoders tried for the alternatives (Microsoft supersets of Big5 / Shift-JIS).
_ALTERNATIVES = (("big5", "cp950", "Big5"), ("shift_jis", "cp932", "Shift-JIS"))
_SAMPLE_CHARS = 4096  # non-ASCII characters scored at most (bounded cost on huge bytes)
_MARGIN = 0.25  # the alternative must have this much larger a share of common characters
_GB_PLAUSIBLE = 0.85  # a GB18030 reading with this share of common characters is never questioned
_ODD_SHARE = 0.3  # private-use or unassigned characters: a GB18030 reading this odd is refused


@functools.cache
def _common_chars(codec: str) -> frozenset[str]:
    out: set[str] = set()
    for lo, hi in _COMMON_LEADS[codec]:
        for lead in range(lo, hi + 1):
            # GB2312 proper has only A1-FE trail bytes (GBK's 40-A0 trails are rare characters)
            for trail in range(0xA1 if codec == "gb18030" else 0x40, 0xFF):
                try:
                    c = bytes((lead, trail)).decode(codec)
                except UnicodeDecodeError:
                    continue
                if len(c) == 1 and not c.isascii():
                    out.add(c)
    return frozenset(out)


def _common_share(text: str, codec: str) -> tuple[float, int]:
    """Share of the (first few thousand) non-ASCII characters that are common in ``codec``."""
    common = _common_chars(codec)
    n = hits = 0
    for c in text:
        if c.isascii():
            continue
        n += 1
        hits += c in common
        if n >= _SAMPLE_CHARS:
            break
    return (hits / n if n else 1.0), n


def guess_legacy_encoding(raw: bytes, gb_text: str | None = None) -> str | None:
    """Name the codec of bytes that decode as GB18030 but are likely Big5 or Shift-JIS.

    Real GB18030/GBK Chinese is mostly GB2312 level-1 characters; Big5 or Shift-JIS
    bytes read as GB18030 give rare and odd characters instead. The bytes are flagged
    when another codec decodes them strictly with a clearly larger share of its own
    common characters, or when the GB18030 reading is largely private-use or
    unassigned code points.

    Args:
        raw: Bytes that are not valid UTF-8.
        gb_text: ``raw.decode("gb18030")`` if already done.

    Returns:
        ``"Big5"``, ``"Shift-JIS"``, ``"unknown"`` (an implausible GB18030 reading, no
        better codec found) or ``None`` (the GB18030 reading is plausible).

    Examples:
        >>> guess_legacy_encoding("客服電話打不通".encode("big5"))
        'Big5'
        >>> guess_legacy_encoding("客服电话打不通".encode("gbk")) is None
        True
    """
    if gb_text is None:
        try:
            gb_text = raw.decode("gb18030")
        except UnicodeDecodeError:
            return "unknown"
    gb_share, n = _common_share(gb_text, "gb18030")
    if n == 0 or gb_share >= _GB_PLAUSIBLE:
        return None
    best: tuple[float, str] | None = None
    for codec, decoder, name in _ALTERNATIVES:
        try:
            alt = raw.decode(decoder)
        except UnicodeDecodeError:
            continue
        share, _ = _common_share(alt, codec)
        if share - gb_share >= _MARGIN and (best is None or share > best[0]):
            best = (share, name)
    if best is not None:
        return best[1]
    sample = [c for c in gb_text[: _SAMPLE_CHARS * 2] if not c.isascii()]
    odd = sum(unicodedata.category(c) in ("Co", "Cn") for c in sample)
    if odd >= 2 and odd >= _ODD_SHARE * len(sample):
        return "unknown"
    return None


def _decode_bytes(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        raise InputError("could not decode bytes as UTF-8 or GB18030; decode them first") from None
    guess = guess_legacy_encoding(raw, text)
    if guess == "unknown":
        raise InputError("bytes do not look like UTF-8 or GB18030 text; decode them with their codec first")
    if guess is not None:
        codec = "big5" if guess == "Big5" else "shift_jis"
        raise InputError(
            f"bytes look like {guess}, not UTF-8/GB18030; decode them first (bytes.decode({codec!r}))"
        )
    return text


# --------------------------------------------------------------------------- truncation
#: How far :func:`clip_text` may move a cut back to avoid splitting a number, word or address.
CLIP_BACKOFF = 64
# A cut should not fall between two of these: ASCII letters/digits and what joins them in
# phones, e-mails, URLs and order numbers.
_NO_CUT = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ@._-+%/:#")


def _bad_cut(before: str, after: str) -> bool:
    """Whether cutting between ``before`` and ``after`` splits a token or a character sequence."""
    if before in _NO_CUT and after in _NO_CUT:
        return True
    if before == "\u200d" or after == "\u200d" or "\U0001f3fb" <= after <= "\U0001f3ff":
        return True  # emoji ZWJ sequence, skin tone
    return not after.isascii() and unicodedata.category(after)[0] == "M"  # combining mark, selector


def clip_text(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, before any (costly) cleaning.

    The cut is moved back (by at most :data:`CLIP_BACKOFF` characters) so that it
    does not split a run of ASCII letters, digits and address punctuation (a phone
    number, an e-mail, a URL), an emoji sequence or a combining mark from its base:
    half a phone number would escape PII masking. With no such boundary within
    reach the cut stays at ``limit``.

    Args:
        text: The text.
        limit: Largest length kept (>= 1).

    Returns:
        ``text`` itself or a prefix of it.

    Examples:
        >>> clip_text("电话13812345678", 8)
        '电话'
        >>> clip_text("退款", 8)
        '退款'
    """
    if len(text) <= limit:
        return text
    limit = max(1, limit)
    stop = max(1, limit - CLIP_BACKOFF)
    cut = limit
    while cut >= stop and _bad_cut(text[cut - 1], text[cut]):
        cut -= 1
    return text[: cut if cut >= stop else limit]


def coerce_text(x: Any) -> str:
    """Validate one text input and return it as a clean ``str``.

    Args:
        x: A ``str`` or ``bytes``/``bytearray``/``memoryview`` (UTF-8 or GB18030).

    Returns:
        The text. A ``str`` subclass is returned as a plain ``str``; lone surrogate
        code points are replaced by U+FFFD. Surrounding whitespace is kept.

    Raises:
        TypeError: For ``None``, NaN, numbers, booleans and any other type; the message
            names the type received.
        InputError: (a ``ValueError``) if bytes decode neither as UTF-8 nor GB18030,
            look like Big5 / Shift-JIS read as GB18030 (see :func:`guess_legacy_encoding`),
            or the text is empty or whitespace only.

    Examples:
        >>> coerce_text("客服电话打不通")
        '客服电话打不通'
        >>> coerce_text("退款".encode("gb18030"))
        '退款'
        >>> coerce_text(None)
        Traceback (most recent call last):
        ...
        TypeError: expected a text (str or bytes), got None
    """
    if type(x) is not str:
        if isinstance(x, str):
            x = str.__str__(x)
        elif isinstance(x, (bytes, bytearray, memoryview)):
            x = _decode_bytes(bytes(x))
            if x.startswith("\ufeff"):
                x = x[1:]
        else:
            raise TypeError(f"expected a text (str or bytes), got {_describe(x)}")
    if not x or x.isspace():
        raise InputError("empty text")
    if not x.isascii():
        try:
            x.encode("utf-8")
        except UnicodeEncodeError:
            x = _repair_surrogates(x)
    return x


def check_texts(X: Any) -> list[str]:
    """Validate the texts given to a model's ``fit`` / ``predict``: a sequence of ``str``.

    Raises:
        TypeError: A single ``str`` (wrap it in a list) or a non-``str`` item.
    """
    if isinstance(X, str):
        raise TypeError("expected a sequence of texts, got a single str; wrap it in a list")
    X = list(X)
    bad = [i for i, x in enumerate(X) if not isinstance(x, str)]
    if bad:
        raise TypeError(f"texts must be str; item {bad[0]} is {type(X[bad[0]]).__name__}")
    return X
