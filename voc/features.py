"""Fast character n-gram TF-IDF features, computed with numpy on whole batches.

Each n-gram (n <= 3) is identified exactly by an int64: the Unicode code points
written in base 0x110000, so no hashing collisions and no Python loop over
n-grams. ``transform`` turns a batch into one code-point array, derives all
1-, 2- and 3-gram ids with vectorised arithmetic, maps them to columns with an
open-addressing hash table (built once per vectorizer, at first use) and builds the
CSR arrays directly. The result equals scikit-learn's
``TfidfVectorizer(analyzer="char", sublinear_tf=True)`` on the same vocabulary,
about 10x faster.

Prediction needs numpy only: :meth:`CharNgramVectorizer.transform_rows` returns a
:class:`SparseRows` (CSR arrays), and neither scipy nor scikit-learn is imported until
:meth:`CharNgramVectorizer.transform` (a ``scipy.sparse`` matrix, for training) is used.

Example:
    >>> from voc.features import CharNgramVectorizer
    >>> vec = CharNgramVectorizer(min_df=1).fit(["很好吃", "太难吃了"])
    >>> vec.transform(["好吃"]).shape[1] == len(vec.vocabulary_ids_)
    True
    >>> sorted(vec.terms([0, 1]))
    ['了', '吃']
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["CharNgramVectorizer", "SparseRows", "EstimatorParams", "contrast_augment", "negation_augment"]

BASE = 0x110000  # number of Unicode code points
SEP = 0  # code point used between texts (NUL never survives normalization)
SMALL_BATCH = 8  # up to this many rows, SparseRows.dot_dense runs in numpy (no scipy import)
_BASE = np.int64(BASE)
_EMPTY_INT = np.zeros(0, dtype=np.int64)
_EMPTY_INT.flags.writeable = False
_TF_TABLE_SIZE = 1024


def _tf_table() -> np.ndarray:
    """``1 + log(c)`` in float32 for ``c`` < :data:`_TF_TABLE_SIZE`, by the calls of ``weight_counts``."""
    global _TF_TABLE
    if _TF_TABLE is None:
        data = np.arange(_TF_TABLE_SIZE, dtype=np.float32)
        with np.errstate(divide="ignore"):  # log(0): never looked up
            np.log(data, out=data)
        data += 1.0
        data.flags.writeable = False
        _TF_TABLE = data
    return _TF_TABLE


_TF_TABLE: np.ndarray | None = None


def _codes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code points of all texts joined by SEP, and the document index of each position."""
    joined = "\x00".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    doc = np.cumsum(codes == SEP)
    return codes, doc


def _ngram_ids(texts: Sequence[str], ngram_range: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(doc index, n-gram id) of every n-gram occurrence in ``texts``."""
    lo, hi = ngram_range
    codes, doc = _codes(texts)
    ok = codes != SEP
    ids_parts, doc_parts = [], []
    n_pos = len(codes)
    for n in range(lo, hi + 1):
        if n_pos < n:
            continue
        m = n_pos - n + 1
        ids = codes[:m].copy()
        valid = ok[:m].copy()
        for k in range(1, n):
            ids = ids * BASE + codes[k : k + m]
            valid &= ok[k : k + m]
        ids_parts.append(ids[valid])
        doc_parts.append(doc[:m][valid])
    if not ids_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(doc_parts), np.concatenate(ids_parts)


class EstimatorParams:
    """``get_params`` / ``set_params`` / ``repr`` of the scikit-learn estimator contract, without scikit-learn.

    Parameters are the ``__init__`` arguments, stored as attributes of the same name, so
    ``sklearn.base.clone`` and grid searches work while importing voc does not import sklearn.
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments (``deep`` is accepted for scikit-learn compatibility)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> EstimatorParams:
        """Set constructor arguments; unknown names raise ``ValueError``."""
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"invalid parameter {key!r} for {type(self).__name__}; valid: {sorted(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        args = [f"{k}={v!r}" for k, v in self.get_params().items() if not _same(v, defaults.get(k))]
        return f"{type(self).__name__}({', '.join(args)})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - arrays and other objects without a plain ==
        return a is b


class SparseRows:
    """A CSR matrix as plain numpy arrays (``indptr``, ``indices``, ``data``, ``shape``).

    What the prediction path uses instead of ``scipy.sparse.csr_matrix``; :meth:`tocsr`
    converts (importing scipy).
    """

    __slots__ = ("indptr", "indices", "data", "shape")

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, shape: tuple[int, int]) -> None:
        self.indptr = indptr
        self.indices = indices
        self.data = data
        self.shape = shape

    def tocsr(self) -> Any:
        """The same matrix as a ``scipy.sparse.csr_matrix``."""
        import scipy.sparse as sp

        return sp.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)

    def dot_dense(self, W: np.ndarray) -> np.ndarray:
        """``self @ W`` for a dense C-contiguous ``W``, bit-identical to ``scipy.sparse``.

        scipy accumulates each row sequentially in ``W``'s dtype; a few rows are done the same way
        with numpy (``cumsum``, which is sequential), so one text needs no scipy; larger batches use
        scipy, which is faster there.
        """
        n_rows = self.shape[0]
        if n_rows > SMALL_BATCH:
            return self.tocsr() @ W
        out = np.zeros((n_rows, W.shape[1]), dtype=np.result_type(self.data, W))
        ip = self.indptr.tolist()
        for i in range(n_rows):
            lo, hi = ip[i], ip[i + 1]
            if hi > lo:
                out[i] = np.cumsum(self.data[lo:hi, None] * W[self.indices[lo:hi]], axis=0)[-1]
        return out


class _IdTable:
    """Open-addressing hash table (linear probing) from int64 n-gram id to column index."""

    EMPTY = np.int64(-1)
    MULT = np.uint64(0x9E3779B97F4A7C15)

    def __init__(self, keys: np.ndarray) -> None:
        n = len(keys)
        bits = max(4, int(2 * max(n, 1) - 1).bit_length() + 1)  # load factor <= 0.5
        self.mask = np.int64((1 << bits) - 1)
        self.shift = np.uint64(64 - bits)
        self.keys = np.full(1 << bits, self.EMPTY, dtype=np.int64)
        self.values = np.zeros(1 << bits, dtype=np.int64)
        pending = np.arange(n)
        slot = self._hash(keys)
        while len(pending):
            s = slot[pending]
            free = self.keys[s] == self.EMPTY
            # one winner per free slot; the others (and those on taken slots) probe the next slot
            cand = pending[free]
            _, first = np.unique(s[free], return_index=True)
            win = cand[first]
            self.keys[slot[win]] = keys[win]
            self.values[slot[win]] = win
            placed = np.zeros(n, dtype=bool)
            placed[win] = True
            pending = pending[~placed[pending]]
            slot[pending] = (slot[pending] + 1) & self.mask

    def _hash(self, ids: np.ndarray) -> np.ndarray:
        h = (ids.astype(np.uint64) * self.MULT) >> self.shift
        return h.astype(np.int64)

    def lookup(self, ids: np.ndarray) -> np.ndarray:
        """Column of each id, ``-1`` when absent."""
        out = np.full(len(ids), -1, dtype=np.int64)
        slot = self._hash(ids)
        active = np.arange(len(ids))
        while len(active):
            s = slot[active]
            k = self.keys[s]
            hit = k == ids[active]
            out[active[hit]] = self.values[s[hit]]
            more = ~hit & (k != self.EMPTY)
            active = active[more]
            slot[active] = (s[more] + 1) & self.mask
        return out


#: Contrast / concession words: what follows the last of them usually carries the verdict.
CONTRAST_WORDS = ("但是", "可是", "不过", "然而", "只是", "就是", "但", "却", "可惜")
_CLAUSE_STRIP = " ，,。.！!？?～~、；;：:…"


def contrast_augment(text: str) -> str:
    """``text`` plus, after a space, the clause following its last contrast word (虽然…但是, 不过, 就是…).

    Repeating that clause gives its n-grams more weight, so "房间有点小，但服务很好" leans on
    "服务很好". Texts without a contrast word (or with nothing after it) are returned unchanged.

    Example:
        >>> contrast_augment("房间有点小，但服务很好")
        '房间有点小，但服务很好 服务很好'
        >>> contrast_augment("很好")
        '很好'
    """
    best = -1
    for w in CONTRAST_WORDS:
        i = text.rfind(w)
        if i >= 0 and i + len(w) > best:
            best = i + len(w)
    if best < 0:
        return text
    tail = text[best:].strip(_CLAUSE_STRIP)
    return f"{text} {tail}" if len(tail) >= 2 else text


#: Negators whose scope :func:`negation_augment` marks (longest first: 没有 before 没).
NEGATORS = ("没有", "不", "没", "别", "未", "无")
#: Words that start with a negator but do not negate what follows (不错 is praise, 不过 a contrast).
NOT_NEGATING = ("不错", "不过", "不仅", "不但", "不管", "不论", "不断", "不少", "不久", "不同", "不得不", "无论",
                "无数", "别人", "别的", "别家", "别处", "未来", "没有之一")
NEG_MARK = "¬"
_SCOPE_STOP = frozenset(" ，,。.！!？?～~、；;：:…\n\t") | frozenset(NEG_MARK)


def negation_augment(text: str, scope: int = 3) -> str:
    """``text`` plus, after a space, one token per negation: ``¬`` and the 1-``scope`` chars that follow
    不/没/没有/别/未/无 (up to the end of the clause).

    The ``¬``-prefixed n-grams (``¬太好``, ``¬太``) let a linear model tell "不太好" from "好"; the
    original text is kept, so nothing is lost. Words such as 不错 / 不过 / 无论 (:data:`NOT_NEGATING`)
    do not count, and a negator inside an earlier scope is not marked again except as part of it
    ("没有不满意" gives ``¬不满意``: the double negation is a feature of its own).

    Example:
        >>> negation_augment("房间不太好")
        '房间不太好 ¬太好'
        >>> negation_augment("没有不满意的地方")
        '没有不满意的地方 ¬不满意'
        >>> negation_augment("还不错")
        '还不错'
    """
    if not any(n in text for n in NEGATORS):
        return text
    rx = _NEGATION_RX.get(scope)
    if rx is None:
        rx = _NEGATION_RX[scope] = _negation_regex(scope)
    tokens = [NEG_MARK + m[1] for m in rx.finditer(text) if m[1]]
    return f"{text} {' '.join(tokens)}" if tokens else text


def _negation_regex(scope: int) -> re.Pattern[str]:
    """One left-to-right scan: a :data:`NOT_NEGATING` word is skipped whole; a negator (longest first)
    consumes itself and up to ``scope`` following chars outside :data:`_SCOPE_STOP` (group 1)."""
    skip = "|".join(re.escape(w) for w in NOT_NEGATING)
    neg = "|".join(re.escape(w) for w in NEGATORS)
    stop = "".join(re.escape(c) for c in sorted(_SCOPE_STOP))
    return re.compile(f"(?:{skip})|(?:{neg})([^{stop}]{{0,{scope}}})")


_NEGATION_RX: dict[int, re.Pattern[str]] = {}


def _decode(gram_id: int) -> str:
    chars = []
    while gram_id:
        gram_id, c = divmod(int(gram_id), BASE)
        chars.append(chr(c))
    return "".join(reversed(chars))


class CharNgramVectorizer(EstimatorParams):
    """TF-IDF over character n-grams (n <= 3), vectorised with numpy.

    Args:
        ngram_range: Smallest and largest n (largest at most 3).
        max_features: Keep the most frequent n-grams (by total count); ``None`` keeps all.
        min_df: Minimum number of documents an n-gram must occur in.
        sublinear_tf: Use ``1 + log(tf)``.
        lowercase: Lowercase texts first.
        contrast: Append the clause after a contrast word to each text (:func:`contrast_augment`).
        negation: Append a ``¬``-marked token for the scope of each negator (:func:`negation_augment`),
            so that 不太好 and 好 share fewer features. Off by default (the shipped models do not use it).

    Attributes:
        vocabulary_ids_: Sorted int64 ids of the kept n-grams; column ``j`` is id ``j``.
        idf_: Smoothed idf weight per column (float32).
    """

    def __init__(self, ngram_range: tuple[int, int] = (1, 3), max_features: int | None = 200_000,
                 min_df: int = 2, sublinear_tf: bool = True, lowercase: bool = True,
                 contrast: bool = False, negation: bool = False) -> None:
        self.ngram_range = ngram_range
        self.max_features = max_features
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.lowercase = lowercase
        self.contrast = contrast
        self.negation = negation

    def _prep(self, texts: Sequence[str]) -> list[str]:
        if isinstance(texts, str):
            raise TypeError("expected a sequence of texts, got a single str")
        lo, hi = self.ngram_range
        if not 1 <= lo <= hi <= 3:
            raise ValueError(f"ngram_range must satisfy 1 <= lo <= hi <= 3, got {self.ngram_range}")
        out = [t.lower() if self.lowercase else t for t in texts]
        if getattr(self, "contrast", False):
            out = [contrast_augment(t) for t in out]
        if getattr(self, "negation", False):
            out = [negation_augment(t) for t in out]
        return [t.replace("\x00", " ") if "\x00" in t else t for t in out]

    def _prep_one(self, text: str) -> str:
        """:meth:`_prep` of one text (same steps, same order)."""
        if self.lowercase:
            text = text.lower()
        if getattr(self, "contrast", False):
            text = contrast_augment(text)
        if getattr(self, "negation", False):
            text = negation_augment(text)
        return text.replace("\x00", " ") if "\x00" in text else text

    def fit(self, texts: Sequence[str], y: object = None) -> CharNgramVectorizer:
        """Learn the vocabulary and idf weights."""
        texts = self._prep(texts)
        doc, ids = _ngram_ids(texts, tuple(self.ngram_range))
        uniq, inv = np.unique(ids, return_inverse=True)
        total = np.bincount(inv, minlength=len(uniq))
        pair = np.unique(doc * len(uniq) + inv)
        df = np.bincount(pair % len(uniq), minlength=len(uniq))
        keep = np.flatnonzero(df >= self.min_df)
        if self.max_features is not None and len(keep) > self.max_features:
            order = np.lexsort((uniq[keep], -total[keep]))[: self.max_features]
            keep = np.sort(keep[order])
        self.vocabulary_ids_ = uniq[keep]
        n = len(texts)
        self.idf_ = (np.log((1 + n) / (1 + df[keep])) + 1).astype(np.float32)
        return self

    def fit_transform(self, texts: Sequence[str], y: object = None) -> Any:
        """:meth:`fit`, then :meth:`transform`."""
        return self.fit(texts).transform(texts)

    @property
    def vocabulary_ids_(self) -> np.ndarray:
        """Sorted int64 ids of the kept n-grams; column ``j`` is id ``j``."""
        return self._vocabulary_ids

    @vocabulary_ids_.setter
    def vocabulary_ids_(self, ids: np.ndarray) -> None:
        self._vocabulary_ids = ids
        self._table = None  # rebuilt on first transform

    def _lookup(self, ids: np.ndarray) -> np.ndarray:
        table = getattr(self, "_table", None)
        if table is None:
            table = self._table = _IdTable(np.asarray(self.vocabulary_ids_, dtype=np.int64))
        return table.lookup(ids)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_table"] = None  # derived; rebuilt after unpickling
        state.pop("_vocab_ext", None)
        state.pop("_nested", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "vocabulary_ids_" in state:  # pickled before vocabulary_ids_ became a property
            state["_vocabulary_ids"] = state.pop("vocabulary_ids_")
        state.setdefault("_table", None)
        self.__dict__.update(state)

    def ngrams(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
        """(document index, n-gram id) of every n-gram, and the number of texts.

        Vectorizers with the same ``ngram_range`` and ``lowercase`` can share this result
        (see :meth:`transform_ngrams`), so a batch is decomposed once for all of them.
        """
        texts = self._prep(texts)
        doc, ids = _ngram_ids(texts, tuple(self.ngram_range))
        return doc, ids, len(texts)

    @property
    def ngram_key(self) -> tuple:
        """Vectorizers with equal keys produce the same :meth:`ngrams`."""
        return (tuple(self.ngram_range), bool(self.lowercase), bool(getattr(self, "contrast", False)),
                bool(getattr(self, "negation", False)))

    def transform(self, texts: Sequence[str]) -> Any:
        """L2-normalised TF-IDF ``scipy.sparse.csr_matrix``, shape ``(len(texts), len(vocabulary_ids_))``."""
        return self.transform_ngrams(*self.ngrams(texts))

    def transform_ngrams(self, doc: np.ndarray, ids: np.ndarray, n_docs: int) -> Any:
        """:meth:`transform` from precomputed :meth:`ngrams`."""
        return self.transform_rows(doc, ids, n_docs).tocsr()

    def transform_rows(self, doc: np.ndarray, ids: np.ndarray, n_docs: int) -> SparseRows:
        """:meth:`transform_ngrams` as numpy arrays (:class:`SparseRows`; no scipy)."""
        return self.weight_counts(*self.count_ngrams(doc, ids, n_docs))

    def count_ngrams(self, doc: np.ndarray, ids: np.ndarray, n_docs: int) -> tuple[np.ndarray, np.ndarray,
                                                                                     np.ndarray, int]:
        """Term counts of precomputed :meth:`ngrams`: ``(row, column, count, n_docs)``, sorted by row, column."""
        n_cols = len(self.vocabulary_ids_)
        pos = self._lookup(ids) if n_cols else np.full(len(ids), -1, dtype=np.int64)
        hit = pos >= 0
        # (doc, column) pairs, sorted and counted: CSR with sorted indices and summed duplicates
        keys, counts = np.unique(doc[hit] * n_cols + pos[hit], return_counts=True)
        row_of = keys // n_cols if n_cols else keys
        return row_of, keys - row_of * n_cols, counts, n_docs

    def count_row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`count_ngrams` of one text: ``(column, count)``, sorted by column, the same numbers.

        The single-text path of ``nlp(text)``: the text's distinct n-gram ids (sorted) are looked up in
        the sorted vocabulary with one binary search (``searchsorted``) instead of the hash table, which
        is cheaper for a few hundred ids. Needs :attr:`vocabulary_ids_` sorted (as :meth:`fit` makes it).
        """
        lo, hi = self.ngram_range
        if not 1 <= lo <= hi <= 3:
            raise ValueError(f"ngram_range must satisfy 1 <= lo <= hi <= 3, got {self.ngram_range}")
        codes = np.frombuffer(self._prep_one(text).encode("utf-32-le"), dtype=np.uint32)
        n_pos = len(codes)
        parts = []
        if lo <= 1:
            parts.append(codes)
        if hi >= 2 and n_pos >= 2:
            two = np.multiply(codes[:-1], _BASE, dtype=np.int64)
            two += codes[1:]
            if lo <= 2:
                parts.append(two)
            if hi >= 3 and n_pos >= 3:
                three = two[:-1] * _BASE
                three += codes[2:]
                parts.append(three)
        vocab, ext = self._vocab_sentinel()
        if not parts or not len(vocab):
            return _EMPTY_INT, _EMPTY_INT
        ids = np.concatenate(parts, dtype=np.int64) if len(parts) > 1 else parts[0].astype(np.int64)
        ids.sort()
        n = len(ids)
        # distinct ids and their counts: the boundaries of the runs of the sorted ids
        edge = np.empty(n + 1, dtype=bool)
        edge[0] = edge[n] = True
        np.not_equal(ids[1:], ids[:-1], out=edge[1:n])
        bounds = edge.nonzero()[0]
        uniq = ids[bounds[:-1]]
        counts = bounds[1:] - bounds[:-1]
        pos = vocab.searchsorted(uniq)
        hit = ext[pos] == uniq  # pos == len(vocabulary): the sentinel -1, never an id
        return pos[hit], counts[hit]

    def _vocab_sentinel(self) -> tuple[np.ndarray, np.ndarray]:
        """The vocabulary ids, and the same followed by ``-1`` (cached; :meth:`count_row` indexes the
        latter with ``searchsorted`` positions, ``len(vocabulary)`` included, without clipping)."""
        cached = self.__dict__.get("_vocab_ext")
        if cached is None or cached[0] is not self._vocabulary_ids:
            ids = np.asarray(self._vocabulary_ids, dtype=np.int64)
            cached = self._vocab_ext = (self._vocabulary_ids, ids, np.append(ids, np.int64(-1)))
        return cached[1], cached[2]

    def tf_row(self, counts: np.ndarray) -> np.ndarray:
        """Term weights (float32) of :meth:`count_row` counts: ``1 + log(count)`` when ``sublinear_tf``, as
        :meth:`weight_counts` computes them (small counts are read from a table made by the same numpy calls)."""
        if not self.sublinear_tf:
            return counts.astype(np.float32)
        if len(counts) and np.maximum.reduce(counts) < _TF_TABLE_SIZE:
            return _tf_table().take(counts)
        data = counts.astype(np.float32)
        np.log(data, out=data)
        data += 1.0
        return data

    def weight_row(self, cols: np.ndarray, counts: np.ndarray,
                   tf: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`weight_counts` of one row (from :meth:`count_row`): ``(indices, data)``, bit-identical.

        ``tf``: :meth:`tf_row` of ``counts`` when already known (a nested vocabulary's subset of it).
        """
        indices = cols.astype(np.int32)
        data = self.tf_row(counts) if tf is None else tf
        # as weight_counts' data *= idf (float32 result whatever idf's type); tf itself is left as it is
        data = np.multiply(data, self.idf_.take(indices), out=np.empty(len(data), dtype=np.float32))
        if len(data):
            # the batch path sums the squares in float64, in order (bincount); accumulate does the same
            sq = data.astype(np.float64)
            sq *= sq
            norm = math.sqrt(np.add.accumulate(sq)[-1]) or 1.0
            data /= np.float32(norm)
        return indices, data

    def nested_columns(self, parent: CharNgramVectorizer) -> np.ndarray | None:
        """For a vocabulary contained in ``parent``'s (same n-grams): own column of each of ``parent``'s
        columns (``-1`` where absent), else ``None``. Lets :meth:`subset_counts` reuse ``parent``'s counts."""
        cache = self.__dict__.setdefault("_nested", {})
        key = id(parent)
        if key not in cache or cache[key][0] is not parent.vocabulary_ids_ or cache[key][1] is not self.vocabulary_ids_:
            own, theirs = self.vocabulary_ids_, parent.vocabulary_ids_
            remap = None
            if parent.ngram_key == self.ngram_key and len(own) <= len(theirs):
                where = np.searchsorted(theirs, own)
                if len(own) == 0 or (where.max() < len(theirs) and np.array_equal(theirs[where], own)):
                    remap = np.full(len(theirs), -1, dtype=np.int64)
                    remap[where] = np.arange(len(own))
            cache[key] = (parent.vocabulary_ids_, self.vocabulary_ids_, remap)
        return cache[key][2]

    @staticmethod
    def subset_counts(counts: tuple[np.ndarray, np.ndarray, np.ndarray, int],
                      remap: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """A parent vectorizer's :meth:`count_ngrams` relabelled to a nested vocabulary (:meth:`nested_columns`).

        Both vocabularies are sorted by n-gram id, so the relabelling keeps the column order.
        """
        row_of, cols, cnt, n_docs = counts
        own = remap[cols]
        keep = own >= 0
        return row_of[keep], own[keep], cnt[keep], n_docs

    def weight_counts(self, row_of: np.ndarray, cols: np.ndarray, counts: np.ndarray, n_docs: int) -> SparseRows:
        """L2-normalised TF-IDF rows from :meth:`count_ngrams`."""
        n_cols = len(self.vocabulary_ids_)
        indices = cols.astype(np.int32)
        lengths = np.bincount(row_of, minlength=n_docs)
        indptr = np.zeros(n_docs + 1, dtype=np.int32)
        np.cumsum(lengths, out=indptr[1:])
        data = counts.astype(np.float32)
        if self.sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        data *= self.idf_[indices]
        norms = np.sqrt(np.bincount(row_of, weights=data.astype(np.float64) ** 2, minlength=n_docs))
        norms[norms == 0] = 1.0
        norms = norms.astype(np.float32)
        data /= np.repeat(norms, lengths)
        return SparseRows(indptr, indices, data, (n_docs, n_cols))

    def terms(self, columns: Sequence[int]) -> list[str]:
        """The n-gram strings of the given column indices."""
        return [_decode(self.vocabulary_ids_[j]) for j in columns]
