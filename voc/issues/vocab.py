"""Issue-discovery vocabulary: synonym groups merged before clustering, generic negativity left out.

Both tables are plain data: edit or pass your own (``IssueModel(synonyms=..., generic_words=...)``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = ["GENERIC_NEGATIVE", "SYNONYMS", "TextNormalizer"]

#: Canonical word -> words that name the same thing in customer complaints. Each synonym is
#: replaced by its canonical word before vectorising, so "包裹丢了" and "快递丢了" are one issue.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "快递": ("包裹", "快件", "物流"),
    "快递员": ("配送员", "送货员", "快递小哥"),
    "快递公司": ("物流公司",),
    "退款": ("退钱", "退的钱", "退费"),
    "闪退": ("崩溃", "秒退", "自动退出"),
    "app": ("软件", "客户端", "应用"),
    "客服电话": ("热线电话", "客服热线", "400电话"),
    "人工客服": ("真人客服",),
    "扣费": ("扣钱", "扣款", "乱收费"),
    "自动续费": ("自动续订", "连续包月", "自动续期"),
    "外卖": ("订的餐", "点的餐"),
    "骑手": ("外卖小哥", "配送小哥", "外卖员"),
}

#: Words of generic negativity (any complaint may carry them; they say nothing about the issue).
GENERIC_NEGATIVE: tuple[str, ...] = (
    "垃圾平台", "垃圾", "体验极差", "极差", "太差了", "太差", "很差", "真差", "差劲", "差评", "差",
    "非常失望", "太失望了", "太失望", "很失望", "失望", "无语", "服了", "真的服", "坑人", "坑爹",
    "恶心", "气死", "郁闷", "难受", "糟糕", "垃圾服务", "再也不用", "再也不来", "避雷",
)


class TextNormalizer:
    """``str -> str``: synonyms replaced by their canonical word, generic negativity removed.

    Args:
        synonyms: Canonical word -> synonyms (default :data:`SYNONYMS`; ``{}`` for none).
        generic_words: Words removed (default :data:`GENERIC_NEGATIVE`; ``()`` for none).

    Example:
        >>> TextNormalizer()("包裹丢了，垃圾").strip()
        '快递丢了，'
    """

    def __init__(
        self,
        synonyms: Mapping[str, Iterable[str]] | None = None,
        generic_words: Iterable[str] | None = None,
    ) -> None:
        self.synonyms = {k: tuple(v) for k, v in (SYNONYMS if synonyms is None else synonyms).items()}
        self.generic_words = tuple(GENERIC_NEGATIVE if generic_words is None else generic_words)
        table = {s.lower(): c for c, syns in self.synonyms.items() for s in syns if s and s.lower() != c.lower()}
        self._canon = table
        self._syn = _alternation(table)
        self._generic = _alternation(self.generic_words)

    def __call__(self, text: str) -> str:
        t = str(text)
        if self._syn is not None:
            t = self._syn.sub(lambda m: self._canon[m.group(0).lower()], t)
        if self._generic is not None:
            t = self._generic.sub(" ", t)
        return t


def _alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex of ``words``, longest first (so 垃圾平台 wins over 垃圾)."""
    ws = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in ws), re.IGNORECASE) if ws else None
