"""Text space for issues: tokenization, stopwords and TF-IDF over character n-grams and words."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

__all__ = ["STOPWORDS", "TextSpace"]

_PUNCT = re.compile(r"[^\w]+", re.UNICODE)
_HAS_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
#: Words left out of issue labels and word features (function words, chat fillers).
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "是",
        "我",
        "你",
        "他",
        "她",
        "它",
        "们",
        "我们",
        "你们",
        "他们",
        "这",
        "那",
        "这个",
        "那个",
        "就",
        "都",
        "也",
        "还",
        "又",
        "在",
        "有",
        "和",
        "与",
        "及",
        "吧",
        "吗",
        "呢",
        "啊",
        "呀",
        "哦",
        "嗯",
        "么",
        "什么",
        "怎么",
        "为什么",
        "一个",
        "一下",
        "一直",
        "已经",
        "没有",
        "不是",
        "真的",
        "可以",
        "就是",
        "还是",
        "但是",
        "因为",
        "所以",
        "如果",
        "然后",
        "现在",
        "自己",
        "这么",
        "那么",
        "怎么办",
        "说真的",
        "吐槽",
        "一下",
        "无语",
        "真的是",
        "服了",
        "唉",
        "哈哈",
        "谢谢",
        "你好",
        "请问",
        "麻烦",
        "差评",
        "好评",
        "不",
        "没",
        "很",
        "太",
        "到底",
        "根本",
        "结果",
        "直接",
        "而且",
        "或者",
        "以后",
        "之前",
        "一样",
        "时候",
        "感觉",
        "觉得",
        "知道",
        "东西",
        "问题",
        "客服你好",
        "比较",
        "非常",
        "特别",
        "有点",
        "一点",
        "还有",
        "可能",
        "应该",
        "不过",
        "虽然",
        "只是",
        "其实",
        "确实",
        "真是",
        "很多",
        "一次",
        "一些",
        "有些",
        "这样",
        "那样",
        "这种",
        "那种",
        "怎样",
        "如何",
        "大家",
        "今天",
        "昨天",
        "还要",
        "需要",
        "的话",
        "不能",
        "不会",
        "没什么",
        "有没有",
        "是不是",
    ]
)


def _stopwords() -> frozenset[str]:
    """Our label/feature stopwords plus ``voc/data/stopwords.txt`` when :mod:`voc.tokenize` is there."""
    try:
        from voc.tokenize import load_stopwords

        return STOPWORDS | load_stopwords()
    except (ImportError, OSError):
        return STOPWORDS


def _default_tokenizer() -> Callable[[str], list[str]]:
    """``voc.tokenize.Tokenizer`` (rjieba backend when installed), else ``jieba.lcut``."""
    try:
        from voc.tokenize import Tokenizer

        for backend in ("rjieba", "jieba"):
            try:
                tok = Tokenizer(backend=backend)
                if isinstance(tok("退款一直不到账"), list):
                    return tok
            except Exception:  # noqa: BLE001 - backend not installed: try the next one
                continue
    except ImportError:
        pass
    import jieba

    jieba.setLogLevel(60)
    return jieba.lcut


def _clean(text: str) -> str:
    return _PUNCT.sub(" ", str(text).lower()).strip()


def _identity(tokens: list[str]) -> list[str]:
    return tokens


class TextSpace:
    """TF-IDF over character 2-3 grams plus words, L2-normalised (cosine = dot product).

    Parameters:
        tokenizer: ``str -> list[str]``; default ``voc.tokenize.Tokenizer`` or jieba.
        char_ngrams: Character n-gram range.
        max_features: Vocabulary cap per part (chars and words).
        min_df: Minimum document frequency.
        word_weight: Weight of the word block relative to the char block.
        normalizer: Optional ``str -> str`` applied to every text before both blocks (e.g.
            :class:`voc.issues.vocab.TextNormalizer`: synonyms merged, generic negativity removed).

    Attributes:
        chars_: The fitted character ``TfidfVectorizer``.
        words_: The fitted word ``TfidfVectorizer`` (on pre-tokenised input), or ``None``.
    """

    def __init__(
        self,
        tokenizer: Callable[[str], Sequence[str]] | None = None,
        char_ngrams: tuple[int, int] = (2, 3),
        max_features: int = 50000,
        min_df: int = 2,
        word_weight: float = 1.0,
        normalizer: Callable[[str], str] | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.char_ngrams = char_ngrams
        self.max_features = max_features
        self.min_df = min_df
        self.word_weight = word_weight
        self.normalizer = normalizer

    def tokens(self, texts: Sequence[str]) -> list[list[str]]:
        """Words of each text: tokenized, without punctuation, one-character tokens and stopwords."""
        tok = getattr(self, "tok_", None) or self.tokenizer or _default_tokenizer()
        self.tok_ = tok
        pipe = getattr(tok, "pipe", None)
        if pipe is not None:
            n_process = 2 if len(texts) >= 20000 and (os.cpu_count() or 1) > 1 else 1
            raw: Iterable[Sequence[str]] = pipe((str(t) for t in texts), n_process=n_process, batch_size=2000)
        else:
            raw = (_safe_tokens(tok, str(t)) for t in texts)
        stop = _stopwords()
        return [
            [
                w
                for w in (x.strip().lower() for x in ts)
                if len(w) >= 2 and w not in stop and _HAS_WORD.search(w)
            ]
            for ts in raw
        ]

    def fit(self, texts: Sequence[str]) -> TextSpace:
        """Learn both vocabularies on ``texts``."""
        self.fit_transform_parts(texts)
        return self

    def fit_transform_parts(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix | None]:
        """Fit on ``texts``; return the combined rows and the word block (for labels)."""
        texts = self._norm(texts)
        min_df = self.min_df if len(texts) >= 10 * self.min_df else 1
        self.chars_ = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=self.char_ngrams,
            preprocessor=_clean,
            min_df=min_df,
            max_features=self.max_features,
            sublinear_tf=True,
            dtype=np.float32,
        )
        self.words_ = TfidfVectorizer(
            analyzer=_identity,
            min_df=min_df,
            max_features=self.max_features,
            sublinear_tf=True,
            dtype=np.float32,
        )
        xc = self.chars_.fit_transform(texts)
        try:
            xw = self.words_.fit_transform(self.tokens(texts))
        except ValueError:  # no word survives (e.g. emoji only)
            self.words_, xw = None, None
        return self._combine(xc, xw), xw

    def _norm(self, texts: Sequence[str]) -> list[str]:
        norm = getattr(self, "normalizer", None)
        return [str(t) for t in texts] if norm is None else [norm(str(t)) for t in texts]

    def _combine(self, xc: sp.csr_matrix, xw: sp.csr_matrix | None) -> sp.csr_matrix:
        blocks = [xc] if xw is None else [xc, xw * self.word_weight]
        return normalize(sp.hstack(blocks, format="csr"))

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows, L2-normalised."""
        texts = self._norm(texts)
        xw = self.words_.transform(self.tokens(texts)) if self.words_ is not None else None
        return self._combine(self.chars_.transform(texts), xw)

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Fit, then transform (tokenizing once)."""
        return self.fit_transform_parts(texts)[0]

    def vocabulary(self) -> np.ndarray:
        """Feature names of the word block (of the char block when there is none)."""
        return (self.words_ or self.chars_).get_feature_names_out()


def _safe_tokens(tok: Callable[[str], Sequence[str]], text: str) -> Sequence[str]:
    try:
        return tok(text)
    except (TypeError, ValueError):
        return []
