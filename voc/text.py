"""Clean up informal Chinese text: the first step of every ``voc`` analysis.

``normalize(text)`` returns a :class:`Normalized` record: the cleaned text, what was
changed, where placeholders and masked PII sit in the output, and the emoji found.
Steps, in order (each can be switched off by keyword, all on by default):

==================  ==========================================================  ===============
keyword             what it does                                                change name
==================  ==========================================================  ===============
``fullwidth``       full-width ASCII forms and U+3000 to half-width             ``fullwidth``
``nfkc``            Unicode NFKC (compatibility forms, ``…`` to ``...``)        ``nfkc``
``t2s``             traditional to simplified Chinese with OpenCC ``t2s``       ``t2s``
``strip_control``   control and zero-width characters removed (line breaks      ``strip_control``
                    and tabs become a space)
``collapse_space``  runs of whitespace to one space, ends stripped              ``collapse_space``
``placeholders``    URL, @mention, #话题#, order numbers to ``<URL>`` ...       ``placeholders``
``mask_pii``        phone, ID card, bank card (Luhn), email to ``<PHONE>`` ...  ``pii_masked``
``squeeze_repeats`` a run of 4+ identical non-digit characters kept as 2        ``squeezed``
==================  ==========================================================  ===============

The span of masked PII stores only its kind and one ``*`` per masked character
(PII inside a replaced URL or topic is starred in that span too); the raw input
stays in ``Normalized.original``, which is left out of ``repr``. Emoji and bracket
emoticons (``[怒]``, ``[doge]``) stay in the text; :func:`emoji_hints` scores them
from ``voc/data/emoji.tsv``.

The module is on the hot path of every analysis: most texts take only a few
precompiled-regex scans, and OpenCC is called only for texts that contain a
character it would change (``voc/data/t2s_chars.txt``).
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voc._input import coerce_text

__all__ = [
    "PII_KINDS",
    "PLACEHOLDERS",
    "PROTECTED_PATTERN",
    "Normalized",
    "Normalizer",
    "Span",
    "emoji_hints",
    "normalize",
]

_DATA = Path(__file__).parent / "data"

#: Every token that ``normalize`` may put into a text.
PLACEHOLDERS: frozenset[str] = frozenset(
    {"<URL>", "<USER>", "<TOPIC>", "<ORDER>", "<PHONE>", "<IDCARD>", "<BANKCARD>", "<EMAIL>"}
)
#: Span kinds that are personal data (their original text is never kept).
PII_KINDS: frozenset[str] = frozenset({"PHONE", "IDCARD", "BANKCARD", "EMAIL"})


@dataclass(frozen=True, slots=True)
class Span:
    """One replacement made by :func:`normalize`.

    Attributes:
        kind: ``URL``, ``USER``, ``TOPIC``, ``ORDER`` (placeholders) or ``PHONE``,
            ``IDCARD``, ``BANKCARD``, ``EMAIL`` (PII).
        start: Start offset of the placeholder in the output text.
        end: End offset (exclusive) in the output text.
        original: The replaced text; for PII only one ``*`` per masked character.
    """

    kind: str
    start: int
    end: int
    original: str


@dataclass(frozen=True, slots=True)
class Normalized:
    """The result of :func:`normalize`.

    Attributes:
        text: The normalized text ("" when ``error`` is set).
        original: The input text (decoded, if bytes were given), raw: it may hold the
            PII that ``text`` masks, so it is left out of ``repr`` and must not be
            exported where PII may not go.
        changes: Names of the steps that changed something, in pipeline order.
        spans: Placeholder and PII replacements, offsets into ``text``.
        emoji: Emoji and ``[表情]`` tokens of ``text``, in order.
        error: Why the input could not be used (only set by ``Normalizer.pipe``).
    """

    text: str
    original: str = field(repr=False)
    changes: tuple[str, ...] = ()
    spans: tuple[Span, ...] = ()
    emoji: tuple[str, ...] = ()
    error: str | None = None

    def __str__(self) -> str:
        return self.text


# ---------------------------------------------------------------------------
# patterns (compiled once at import; all cheap)

_FULLWIDTH_RE = re.compile("[\uff01-\uff5e\u3000]")
_FULLWIDTH_SPLIT_RE = re.compile("([\uff01-\uff5e\u3000]+)")
_FULLWIDTH_MAP = {chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)} | {"\u3000": " "}
# The most frequent full-width characters of Chinese text, most frequent first: str.replace
# is several times faster than str.translate (which raises a KeyError per unmapped char).
_FULLWIDTH_COMMON = tuple((c, _FULLWIDTH_MAP[c]) for c in "，！？；：）（～\u3000")


def _fold_fullwidth(text: str) -> str:
    """Full-width ASCII forms and U+3000 to half-width (what NFKC does to them)."""
    for fw, hw in _FULLWIDTH_COMMON:
        if fw in text:
            text = text.replace(fw, hw)
    if _FULLWIDTH_RE.search(text) is not None:
        text = _FULLWIDTH_RE.sub(_fold_one, text)
    return text


def _fold_one(m: re.Match[str]) -> str:
    return _FULLWIDTH_MAP[m.group()]


def _nfkc_keep_fullwidth(text: str) -> str:
    """NFKC everything but full-width forms (for ``fullwidth=False, nfkc=True``)."""
    parts = _FULLWIDTH_SPLIT_RE.split(text)
    return "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))


# (first, last) code point ranges: line breaks and tabs become a space, the rest is dropped.
_LINE_RANGES = ((0x09, 0x0D), (0x1C, 0x1F), (0x85, 0x85), (0x2028, 0x2029))
_DROP_RANGES = (
    (0x00, 0x08), (0x0E, 0x1B), (0x7F, 0x84), (0x86, 0x9F), (0xAD, 0xAD), (0x061C, 0x061C),
    (0x180E, 0x180E), (0x200B, 0x200C), (0x200E, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064),
    (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB),
)  # fmt: skip


def _char_class(ranges: Iterable[tuple[int, int]]) -> str:
    return "".join(re.escape(chr(lo)) + ("-" + re.escape(chr(hi)) if hi > lo else "") for lo, hi in ranges)


_CONTROL_TABLE: dict[int, str | None] = {cp: None for lo, hi in _DROP_RANGES for cp in range(lo, hi + 1)}
_CONTROL_TABLE.update({cp: " " for lo, hi in _LINE_RANGES for cp in range(lo, hi + 1)})
_EMOJI_BASE = (
    "\U0001f000-\U0001faff\u2600-\u27bf\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u231a\u231b"
    "\u2328\u23cf\u23e9-\u23f3\u23f8-\u23fa\u3030\u303d\u3297\u3299\u203c\u2049"
)
_EMOJI_MOD = "\ufe0f\ufe0e\U0001f3fb-\U0001f3ff\u20e3"
# A zero-width joiner is kept only inside an emoji sequence (👨‍👩‍👧).
_ZWJ_RE = re.compile(f"(?<![{_EMOJI_BASE}{_EMOJI_MOD}])\u200d|\u200d(?![{_EMOJI_BASE}])")
# A single character class is scanned fast by ``re``; ZWJs are sorted out after a hit.
_CONTROL_RE = re.compile(f"[{_char_class(_LINE_RANGES + _DROP_RANGES)}\u200d]")

_SPACE_RE = re.compile(r"\s+")
_ODD_SPACE_RE = re.compile(r"[^\S ]")  # whitespace other than ' ' (two ' ' are found with `in`)
_SQUEEZE_RE = re.compile(r"(.)\1\1\1+", re.S)

_PLACEHOLDER_PATTERN = "<(?:URL|USER|TOPIC|ORDER|PHONE|IDCARD|BANKCARD|EMAIL)>"
_BRACKET_PATTERN = r"\[[A-Za-z0-9\u4e00-\u9fff]{1,6}\]"
_EMOJI_PATTERN = (
    f"[\U0001f1e6-\U0001f1ff]{{2}}|[{_EMOJI_BASE}][{_EMOJI_MOD}]*(?:\u200d[{_EMOJI_BASE}][{_EMOJI_MOD}]*)*"
)
#: Emoji and bracket emoticons (``[怒]``).
_EMOTE_RE = re.compile(f"{_BRACKET_PATTERN}|{_EMOJI_PATTERN}")
#: First characters of anything ``_EMOTE_RE``/``PROTECTED_PATTERN`` match (a fast pre-check).
_EMOTE_HINT_RE = re.compile(f"[\\[{_EMOJI_BASE}]")
_PROTECT_HINT_RE = re.compile(f"[<\\[{_EMOJI_BASE}]")
#: Everything a tokenizer must keep whole: placeholders (in any case, so that a later
#: ``str.lower()`` does not split them), bracket emoticons, emoji.
PROTECTED_PATTERN = f"(?i:{_PLACEHOLDER_PATTERN})|{_BRACKET_PATTERN}|{_EMOJI_PATTERN}"
_EMOJI_STRIP_RE = re.compile("[\ufe0f\ufe0e\U0001f3fb-\U0001f3ff]")

# Every match of _MASK_RE contains a digit, '@', '#', '/' or 'www.' (checked with `in`).
_MASK_HINT_RE = re.compile(r"[0-9@#/]")
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#@!$&*+,;=%]"
_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
# Top-level domains written in Chinese (internationalized e-mail addresses).
_IDN_TLDS = "中国|中國|公司|网络|網絡|在线|商城|网店|网址|集团|手机|企业|信息|移动|联通|购物|中文网|香港|台湾|台灣|澳门"
# An order keyword and what may stand between it and the number (订单号：是 ...).
_ORDER_KEYWORD = r"(?:订单编号|订单号码|订单号|快递单号|物流单号|运单号|单号|订单)[: ]{0,3}(?:是|为)?[: ]{0,3}"
# One alternative a kind, each a named group (a match's ``lastgroup`` is its kind).
# Separators inside numbers: at most one space, '-' or '.' between two digits.
_MASK_PATTERNS = {
    "URL": rf"(?P<URL>(?:https?://|www\.){_URL_CHARS}{{0,500}}[A-Za-z0-9/_\-=#%&~]"
    r"|(?<![A-Za-z0-9.])(?:t\.cn|dwz\.cn|url\.cn|b23\.tv|v\.douyin\.com|[me]\.tb\.cn|u\.jd\.com)"
    r"/[A-Za-z0-9_\-]{1,40})",
    "EMAIL": r"(?P<EMAIL>(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@[A-Za-z0-9\-]{1,63}"
    r"(?:\.[A-Za-z0-9\-]{1,63}){0,4}\.[A-Za-z]{2,12}(?![A-Za-z]))",
    # 18-digit ID card, also written in 6-8-4 groups
    "IDCARD": rf"(?P<IDCARD>(?<![0-9A-Za-z])[1-9][0-9]{{5}}[ \-]?(?:18|19|20)[0-9]{{2}}{_DATE}[ \-]?"
    r"[0-9]{3}[0-9Xx](?![0-9A-Za-z]))",
    # first-generation 15-digit ID card (yymmdd birth date)
    "IDCARD15": rf"(?P<IDCARD15>(?<![0-9A-Za-z])[1-9][0-9]{{7}}{_DATE}[0-9]{{3}}(?![0-9A-Za-z]))",
    # mobile: 11 digits from 1[3-9], in any grouping (3-4-4, 3-2-2-2-2, 4-4-3, dots), +86/0086/86
    "PHONE": r"(?P<PHONE>(?<![0-9+])(?:(?:\+|00)?86[ \-]?)?1[ \-.]?[3-9](?:[ \-.]?[0-9]){9}(?![0-9]))",
    # landline with an area code: 010-12345678, (0755)1234567, 021 12345678, extension kept in
    "LANDLINE": r"(?P<LANDLINE>(?<![0-9])(?:\(0 ?[1-9](?: ?[0-9]){1,2}\) ?|0 ?[1-9](?: ?[0-9]){1,2}[ \-])"
    r"[0-9](?: ?[0-9]){6,7}"
    r"(?:(?:-|转|ext\.?)[0-9]{1,5})?(?![0-9]))",
    # bank card in groups (4x4, 6+13, dots): a card if its 16-19 digits pass Luhn, else an
    # order number
    "CARD": r"(?P<CARD>(?<![0-9])(?=(?:[0-9][ \-.]?){15,18}[0-9](?![0-9]))"
    r"[0-9]{4,6}(?:[ \-.][0-9]{2,13}){1,4}(?![0-9]))",
    # order number after a keyword; the keyword (group OKW) is kept
    "ORDER": rf"(?P<OKW>{_ORDER_KEYWORD})"
    r"(?P<ORDER>[A-Za-z]{0,4}[0-9]{6,40}[A-Za-z0-9]{0,20})",
    # 12+ digits: a bank card if 16-19 digits pass Luhn, else an order number
    "DIGITS": r"(?P<DIGITS>(?<![0-9])[0-9]{12,}(?![0-9]))",
    "USER": r"(?P<USER>@[A-Za-z0-9_\-\u4e00-\u9fff·]{1,20})",
    "TOPIC": r"(?P<TOPIC>#[^#\s]{1,40}#)",
    # e-mail with a non-ASCII part (张三@例子.中国); only tried on texts _IDN_HINT_RE finds
    "IDNEMAIL": r"(?P<IDNEMAIL>(?:(?<![^\W\d_A-Za-z])[^\W\d_A-Za-z]{1,16}"
    r"|(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63})@[\w\-]{1,63}(?:\.[\w\-]{1,63}){0,3}"
    rf"\.(?:[A-Za-z]{{2,12}}(?![A-Za-z])|{_IDN_TLDS}))",
}
# The classic 4-4-4-4 grouping: an order number when Luhn fails (older behaviour kept).
_CARD_4S_RE = re.compile(r"[0-9]{4}(?:[ \-][0-9]{4}){3}(?:[ \-]?[0-9]{1,3})?")
#: Kinds of ``_MASK_PATTERNS`` groups that are another kind's variant.
_KIND_ALIAS = {"LANDLINE": "PHONE", "IDCARD15": "IDCARD", "IDNEMAIL": "EMAIL"}
_PII_NAMES = ("EMAIL", "IDCARD", "IDCARD15", "PHONE", "LANDLINE", "CARD", "DIGITS")
# An order keyword right before a number: the number is an order number, not a card or ID.
_ORDER_CONTEXT_RE = re.compile(f"{_ORDER_KEYWORD}$")
# '@' next to a non-ASCII word character: the text may hold an internationalized e-mail.
_IDN_HINT_RE = re.compile(r"[^\x00-\x7f]@|@[\w\-.]{0,64}[^\x00-\x7f]")


# One space, '-' or '.' between two digits: removed for the grouped-number pass.
_DIGIT_GAP_RE = re.compile(r"(?<=[0-9])[ \-.]{1,3}(?=[0-9])")


def _alternation(names: Iterable[str], first_chars: str) -> re.Pattern[str]:
    # The leading look-ahead lists every possible first character: it rejects most
    # positions in one step instead of trying each alternative (6x faster).
    body = "|".join(_MASK_PATTERNS[name] for name in names)
    return re.compile(f"(?=[{first_chars}])(?:{body})")


# Every quantifier is bounded or anchored by a look-behind, so a 1 MB adversarial
# string costs linear time. Order matters: the first alternative matching at a position wins.
_ASCII_NAMES = tuple(n for n in _MASK_PATTERNS if n != "IDNEMAIL")
_MASK_RE = _alternation(_ASCII_NAMES, "0-9A-Za-z+@#(订快物运单")
# PII only: used when placeholders are off, and to scrub PII out of kept span originals.
_PII_RE = _alternation(_PII_NAMES, "0-9A-Za-z+(")
# The same with internationalized e-mails (slower: tried at every word character).
_MASK_IDN_RE = _alternation(("IDNEMAIL", *_ASCII_NAMES), "\\w+@#(")
_PII_IDN_RE = _alternation(("IDNEMAIL", *_PII_NAMES), "\\w+(")
# OpenCC's phrase table turns the simplified 坏 into 坯 (打坏 -> 打坯): never let it see one.
_T2S_KEEP = "坏"
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")


# ---------------------------------------------------------------------------
# lazily loaded data


def _data_lines(name: str) -> Iterator[str]:
    with open(_DATA / name, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\r\n")
            if line and not line.startswith("# "):
                yield line


@functools.cache
def _t2s_tables() -> tuple[re.Pattern[str], frozenset[str]]:
    chars = "".join(_data_lines("t2s_chars.txt"))
    bmp = "".join(c for c in chars if ord(c) < 0x10000)
    # BMP chars compile to a fast bitmap class; astral ones would make it a slow linear list.
    return re.compile(f"[{re.escape(bmp)}]"), frozenset(c for c in chars if ord(c) >= 0x10000)


_OPENCC: Any = None
_OPENCC_LOCK = threading.Lock()


def _t2s(text: str) -> str:
    """Convert with OpenCC ``t2s`` (created once, calls serialised)."""
    global _OPENCC
    with _OPENCC_LOCK:
        if _OPENCC is None:
            import opencc

            _OPENCC = opencc.OpenCC("t2s")
        if _T2S_KEEP in text:
            return _T2S_KEEP.join(_OPENCC.convert(p) if p else p for p in text.split(_T2S_KEEP))
        return _OPENCC.convert(text)


def _needs_t2s(text: str) -> bool:
    bmp_re, astral = _t2s_tables()
    if bmp_re.search(text) is not None:
        return True
    return bool(astral) and _ASTRAL_RE.search(text) is not None and not astral.isdisjoint(text)


@functools.cache
def _emoji_table() -> dict[str, tuple[float, str]]:
    table: dict[str, tuple[float, str]] = {}
    for line in _data_lines("emoji.tsv"):
        token, sentiment, emotion = line.split("\t")[:3]
        if token == "token" and sentiment == "sentiment":
            continue
        table[token] = (float(sentiment), emotion)
    return table


# ---------------------------------------------------------------------------
# masking


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i & 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _classify(m: re.Match[str]) -> tuple[str, int]:
    """Return (kind, start of the replaced part) for a mask match."""
    kind = m.lastgroup or ""
    if kind == "ORDER":  # group OKW (the keyword) is kept
        return "ORDER", m.start("ORDER")
    if kind in ("CARD", "DIGITS", "IDCARD15"):
        start = m.start()
        if _ORDER_CONTEXT_RE.search(m.string, max(0, start - 12), start) is not None:
            return "ORDER", start  # 订单号 1234 5678 ...: an order number, kept for linking
        if kind == "IDCARD15":
            return "IDCARD", start
        digits = m.group().replace(" ", "").replace("-", "").replace(".", "")
        if 16 <= len(digits) <= 19 and _luhn_ok(digits):
            return "BANKCARD", start
        if kind == "CARD" and _CARD_4S_RE.fullmatch(m.group()) is None:
            return "", start  # other groupings that fail Luhn: not a number we know, kept
        return "ORDER", start
    return _KIND_ALIAS.get(kind, kind), m.start()


def _grouped_pii(text: str) -> list[tuple[int, int, str]]:
    """PII written with separators at any place (``622 20212 3456...``): ``(start, end, kind)``.

    The separators between digits (up to 3 of ``' '``, ``-``, ``.``) are removed and the
    PII patterns run on the result; only matches that spanned a removed separator are
    returned (the others are found by the normal pass), with offsets into ``text``.
    """
    gaps = [(m.start(), m.end()) for m in _DIGIT_GAP_RE.finditer(text)]
    if not gaps:
        return []
    pieces, starts, pos = [], [], 0  # starts[i]: offset in `joined` where piece i begins
    joined_len = 0
    for a, b in gaps:
        pieces.append(text[pos:a])
        starts.append((joined_len, pos))
        joined_len += a - pos
        pos = b
    pieces.append(text[pos:])
    starts.append((joined_len, pos))
    joined = "".join(pieces)
    keys = [j for j, _ in starts]

    def to_text(j: int) -> int:
        k = bisect.bisect_right(keys, j) - 1
        return starts[k][1] + (j - starts[k][0])

    found = []
    for m in _PII_RE.finditer(joined):
        kind, start = _classify(m)
        if kind not in PII_KINDS:
            continue
        a, b = to_text(start), to_text(m.end() - 1) + 1
        if b - a != m.end() - start:
            found.append((a, b, kind))
    return found


def _premask_grouped(text: str) -> str:
    """``text`` with :func:`_grouped_pii` replaced by ``<KIND>`` placeholders."""
    found = _grouped_pii(text)
    if not found:
        return text
    # what the normal pass masks whole (with a span) is left to it
    normal = [(m.start(), m.end()) for m in _PII_RE.finditer(text) if _classify(m)[0] in PII_KINDS]
    found = [(a, b, k) for a, b, k in found if not any(na <= a and b <= nb for na, nb in normal)]
    if not found:
        return text
    out, pos = [], 0
    for a, b, kind in found:
        out.append(text[pos:a])
        out.append(f"<{kind}>")
        pos = b
    out.append(text[pos:])
    return "".join(out)


def _star_pii(m: re.Match[str]) -> str:
    value = m.group()
    return "*" * len(value) if _classify(m)[0] in PII_KINDS else value


def _squeeze(seg: str) -> str:
    return _SQUEEZE_RE.sub(_squeeze_repl, seg)


def _squeeze_repl(m: re.Match[str]) -> str:
    ch = m.group(1)
    return m.group() if ch.isdigit() else ch + ch


# ---------------------------------------------------------------------------
# public API


class Normalizer:
    """Configurable text normalizer; options are stored unchanged (scikit-learn style).

    Args:
        fullwidth: Full-width ASCII forms (``ＡＢＣ１２３！``) and U+3000 to half-width.
        t2s: Traditional to simplified Chinese with OpenCC.
        nfkc: Unicode NFKC normalization.
        strip_control: Remove control and zero-width characters; line breaks become spaces.
        collapse_space: Collapse whitespace runs to one space and strip the ends.
        squeeze_repeats: Keep 2 of a run of 4+ identical (non-digit) characters.
        placeholders: Replace URLs, @mentions, #话题# and order numbers by placeholders.
        mask_pii: Replace phone, ID card, bank card numbers and emails by placeholders.

    Examples:
        >>> norm = Normalizer(squeeze_repeats=False)
        >>> norm("太慢了！！！！").text
        '太慢了!!!!'
        >>> [r.error for r in norm.pipe(["好", None])]
        [None, 'expected a text (str or bytes), got None']
    """

    def __init__(
        self,
        *,
        fullwidth: bool = True,
        t2s: bool = True,
        nfkc: bool = True,
        strip_control: bool = True,
        collapse_space: bool = True,
        squeeze_repeats: bool = True,
        placeholders: bool = True,
        mask_pii: bool = True,
    ) -> None:
        self.fullwidth = fullwidth
        self.t2s = t2s
        self.nfkc = nfkc
        self.strip_control = strip_control
        self.collapse_space = collapse_space
        self.squeeze_repeats = squeeze_repeats
        self.placeholders = placeholders
        self.mask_pii = mask_pii

    _PARAMS = (
        "fullwidth",
        "t2s",
        "nfkc",
        "strip_control",
        "collapse_space",
        "squeeze_repeats",
        "placeholders",
        "mask_pii",
    )

    def get_params(self) -> dict[str, bool]:
        """Return the constructor options.

        Examples:
            >>> Normalizer(t2s=False).get_params()["t2s"]
            False
        """
        return {name: getattr(self, name) for name in self._PARAMS}

    def __repr__(self) -> str:
        off = [f"{k}=False" for k, v in self.get_params().items() if not v]
        return f"Normalizer({', '.join(off)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Normalizer) and other.get_params() == self.get_params()

    def __hash__(self) -> int:
        return hash(tuple(self.get_params().values()))

    def __call__(self, text: Any) -> Normalized:
        """Normalize one text.

        Args:
            text: ``str`` or ``bytes`` (see :func:`voc._input.coerce_text`).

        Returns:
            A :class:`Normalized` record.

        Raises:
            TypeError: ``text`` is not a text (None, NaN, a number ...).
            ValueError: ``text`` is empty or undecodable bytes.
        """
        original = coerce_text(text)
        out, changes, spans = self._run(original, True)
        emoji = tuple(_EMOTE_RE.findall(out)) if _EMOTE_HINT_RE.search(out) is not None else ()
        return Normalized(out, original, tuple(changes), tuple(spans or ()), emoji)

    def normalize_text(self, text: Any) -> str:
        """Return only the normalized string: the fast path used by the tokenizer.

        Same validation and output text as ``self(text).text``, without building
        spans or the emoji list.

        Examples:
            >>> Normalizer().normalize_text("這個服務太差了")
            '这个服务太差了'
        """
        return self._run(coerce_text(text), False)[0]

    def pipe(self, texts: Iterable[Any]) -> Iterator[Normalized]:
        """Normalize many texts; yields one result per input, in order, never raises.

        An unusable item (None, NaN, a number, empty text ...) gives a
        :class:`Normalized` with empty ``text`` and ``error`` set to the message.

        Examples:
            >>> [r.text for r in Normalizer().pipe(["好评!!!!!", ""])]
            ['好评!!', '']
        """
        for item in texts:
            try:
                yield self(item)
            except (TypeError, ValueError) as exc:
                yield Normalized(
                    "", item if isinstance(item, str) else "", error=str(exc) or type(exc).__name__
                )

    # -- the pipeline -------------------------------------------------------

    def _run(self, text: str, detail: bool) -> tuple[str, list[str], list[Span] | None]:
        changes: list[str] = []
        if not text.isascii():
            has_fullwidth = _FULLWIDTH_RE.search(text) is not None
            if has_fullwidth and self.fullwidth:
                # NFKC would fold these too, but it is slow; folding first gives the same result.
                text = _fold_fullwidth(text)
                changes.append("fullwidth")
            if self.nfkc and not unicodedata.is_normalized("NFKC", text):
                if has_fullwidth and not self.fullwidth:
                    new = _nfkc_keep_fullwidth(text)
                else:
                    new = unicodedata.normalize("NFKC", text)
                if new != text:
                    text = new
                    changes.append("nfkc")
            if self.t2s and _needs_t2s(text):
                new = _t2s(text)
                if new != text:
                    text = new
                    changes.append("t2s")
        if self.strip_control and _CONTROL_RE.search(text) is not None:
            new = text.translate(_CONTROL_TABLE)
            if "\u200d" in new:
                new = _ZWJ_RE.sub("", new)
            if new != text:
                text = new
                changes.append("strip_control")
        if self.collapse_space:
            new = _SPACE_RE.sub(" ", text) if "  " in text or _ODD_SPACE_RE.search(text) else text
            new = new.strip()
            if new != text:
                text = new
                changes.append("collapse_space")
        spans: list[Span] | None = [] if detail else None
        if (self.placeholders or self.mask_pii) and (
            _MASK_HINT_RE.search(text) is not None or "www." in text
        ):
            if self.mask_pii:
                new = _premask_grouped(text)  # numbers grouped at odd places; no span kept
                if new != text:
                    text = new
                    changes.append("pii_masked")
            text = self._mask(text, changes, spans)
        elif self.squeeze_repeats:
            new = _squeeze(text)
            if new != text:
                text = new
                changes.append("squeezed")
        return text, changes, spans

    def _mask(self, text: str, changes: list[str], spans: list[Span] | None) -> str:
        """Replace placeholders/PII and squeeze the text between them, in one pass."""
        squeeze = self.squeeze_repeats
        out: list[str] = []
        length = pos = 0
        placed = masked = squeezed = False
        idn = "@" in text and _IDN_HINT_RE.search(text) is not None
        if self.placeholders:
            pattern = _MASK_IDN_RE if idn else _MASK_RE
        else:
            pattern = _PII_IDN_RE if idn else _PII_RE
        for m in pattern.finditer(text):
            kind, start = _classify(m)
            if not kind:
                continue  # a match that is neither PII nor a placeholder: left in the text
            pii = kind in PII_KINDS
            replace = self.mask_pii if pii else self.placeholders
            seg = text[pos:start]
            if squeeze and seg:
                new = _squeeze(seg)
                squeezed = squeezed or new != seg
                seg = new
            value = text[start : m.end()]
            token = f"<{kind}>" if replace else value  # a match kept as is is not squeezed
            out.append(seg)
            out.append(token)
            length += len(seg)
            if replace:
                if spans is not None:
                    if pii:
                        value = "*" * len(value)
                    elif self.mask_pii and _MASK_HINT_RE.search(value) is not None:
                        value = _PII_RE.sub(_star_pii, value)  # a URL may hold a phone number
                    spans.append(Span(kind, length, length + len(token), value))
                masked = masked or pii
                placed = placed or not pii
            length += len(token)
            pos = m.end()
        seg = text[pos:]
        if squeeze and seg:
            new = _squeeze(seg)
            squeezed = squeezed or new != seg
            seg = new
        out.append(seg)
        if placed:
            changes.append("placeholders")
        if masked:
            changes.append("pii_masked")
        if squeezed:
            changes.append("squeezed")
        return "".join(out)


_DEFAULT = Normalizer()


@functools.lru_cache(maxsize=64)
def _normalizer_for(options: tuple[tuple[str, bool], ...]) -> Normalizer:
    return Normalizer(**dict(options))


def normalize(text: Any, **options: bool) -> Normalized:
    """Normalize one informal Chinese text (see the module docstring for the steps).

    Args:
        text: ``str`` or ``bytes`` (UTF-8 or GB18030).
        **options: Step switches of :class:`Normalizer` (``t2s=False`` ...).

    Returns:
        A :class:`Normalized` record.

    Raises:
        TypeError: ``text`` is not a text, or an unknown option was given.
        ValueError: ``text`` is empty or undecodable bytes.

    Examples:
        >>> r = normalize("這個服務太差了！！！！！客服電話13812345678打不通[怒]")
        >>> r.text
        '这个服务太差了!!客服电话<PHONE>打不通[怒]'
        >>> r.changes
        ('fullwidth', 't2s', 'pii_masked', 'squeezed')
        >>> r.spans[0].kind, r.spans[0].original, r.emoji
        ('PHONE', '***********', ('[怒]',))
    """
    if not options:
        return _DEFAULT(text)
    return _normalizer_for(tuple(sorted(options.items())))(text)


def emoji_hints(text_or_tokens: str | Iterable[str] | Normalized) -> dict[str, Any]:
    """Score the emoji and ``[表情]`` emoticons of a text with ``voc/data/emoji.tsv``.

    Args:
        text_or_tokens: A text (emoji are found with the same pattern as
            ``Normalized.emoji``), a :class:`Normalized`, or an iterable of tokens
            (tokens not in the table are ignored). Variation selectors and skin
            tones are ignored when looking emoji up.

    Returns:
        ``{"sentiment": float, "emotions": {code: votes}, "matched": tuple, "count": int}``
        where ``sentiment`` sums the per-item scores (each in [-1, 1]) and ``emotions``
        counts the taxonomy emotion code of each matched item.

    Examples:
        >>> h = emoji_hints("客服又挂我电话[怒][怒]😡")
        >>> h["count"], h["emotions"], round(h["sentiment"], 2)
        (3, {'anger': 3}, -2.7)
    """
    if isinstance(text_or_tokens, Normalized):
        tokens: Iterable[str] = text_or_tokens.emoji
    elif isinstance(text_or_tokens, str):
        tokens = _EMOTE_RE.findall(text_or_tokens)
    else:
        tokens = text_or_tokens
    table = _emoji_table()
    sentiment = 0.0
    emotions: dict[str, int] = {}
    matched: list[str] = []
    for token in tokens:
        if not isinstance(token, str):
            continue
        entry = table.get(token)
        if entry is None:
            entry = table.get(_EMOJI_STRIP_RE.sub("", token))
            if entry is None:
                continue
        sentiment += entry[0]
        emotions[entry[1]] = emotions.get(entry[1], 0) + 1
        matched.append(token)
    return {"sentiment": sentiment, "emotions": emotions, "matched": tuple(matched), "count": len(matched)}
