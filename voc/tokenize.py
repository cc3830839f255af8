"""Chinese word segmentation for voice-of-customer text (jieba or rjieba).

:class:`Tokenizer` wraps its own segmenter instance (never jieba's global one),
adds the shipped customer-service dictionary ``voc/data/domain_dict.txt`` and any
user dictionary, keeps placeholders (``<URL>``, ``<PHONE>`` ...), emoji and
``[表情]`` emoticons as single tokens, drops whitespace and, optionally,
stopwords (``voc/data/stopwords.txt``). Text goes through :func:`voc.text.normalize`
first unless ``normalize=False``.

jieba's dictionary is loaded once per process and shared read-only by every
Tokenizer without a user dictionary; one with a user dictionary gets a private copy.
A Tokenizer can be pickled (only its parameters are), used from many threads, and
``pipe(texts, n_process=4)`` spreads big inputs over processes. A text longer than
``max_length`` (100,000 characters by default) is cut before normalization and
segmentation, with a :class:`TruncatedWarning`, so that one huge input cannot take
minutes and gigabytes.
"""

from __future__ import annotations

import os
import pickle
import re
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from pathlib import Path
from typing import Any

from voc._input import TruncatedWarning, clip_text, coerce_text
from voc.text import _PROTECT_HINT_RE, PROTECTED_PATTERN, Normalized, Normalizer

__all__ = ["Tokenizer", "TruncatedWarning", "load_stopwords"]

_DATA = Path(__file__).parent / "data"
_BACKENDS = ("jieba", "rjieba")
_PROTECT_RE = re.compile(PROTECTED_PATTERN)

DictEntry = tuple[str, int | None, str | None]


# ---------------------------------------------------------------------------
# dictionaries


def _read_lines(path: str | os.PathLike[str]) -> list[str]:
    with open(path, encoding="utf-8-sig") as fh:
        return fh.read().splitlines()


def _parse_dict(lines: Iterable[str]) -> list[DictEntry]:
    """Parse jieba user-dict lines ``word [freq] [tag]``; '# ' lines are comments."""
    entries: list[DictEntry] = []
    for line in lines:
        if not isinstance(line, str):
            raise TypeError(f"user_dict entries must be str, got {type(line).__name__}")
        line = line.strip()
        if not line or line.startswith("# "):
            continue
        parts = line.split()
        word, freq, tag = parts[0], None, None
        for extra in parts[1:3]:
            if extra.isdigit() and freq is None and tag is None:
                freq = int(extra)
            else:
                tag = extra
        entries.append((word, freq, tag))
    return entries


def _user_entries(user_dict: Any) -> list[DictEntry]:
    if user_dict is None:
        return []
    if isinstance(user_dict, (str, os.PathLike)):
        return _parse_dict(_read_lines(user_dict))
    if isinstance(user_dict, Iterable):
        return _parse_dict(user_dict)
    raise TypeError(f"user_dict must be a path or a list of words, got {type(user_dict).__name__}")


def load_stopwords(path: str | os.PathLike[str] | None = None) -> frozenset[str]:
    """Read a stopword file (one a line, ``# `` comments); default: the shipped list.

    Examples:
        >>> sw = load_stopwords()
        >>> "的" in sw, "不" in sw
        (True, False)
    """
    lines = _read_lines(path if path is not None else _DATA / "stopwords.txt")
    return frozenset(w for w in (x.strip() for x in lines) if w and not w.startswith("# "))


_SHARED: dict[str, Any] = {}  # backend name -> segmenter with the domain dict, shared read-only
_SHARED_LOCK = threading.Lock()


def _add_words(seg: Any, backend: str, entries: list[DictEntry]) -> None:
    for word, freq, tag in entries:
        if backend == "jieba" and freq == 0:
            # jieba's del_word touches a process-global set; keep the change local.
            seg.FREQ[word] = 0
        else:
            seg.add_word(word, freq, tag)


def _new_segmenter(backend: str) -> Any:
    if backend == "jieba":
        import jieba

        return jieba.Tokenizer()
    try:
        import rjieba
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Tokenizer(backend='rjieba') needs the optional 'rjieba' package: pip install 'voc-zh[fast]'"
        ) from exc
    return rjieba.Jieba()


def _shared_segmenter(backend: str) -> Any:
    """The default dictionary + voc domain dictionary, built once per process."""
    seg = _SHARED.get(backend)
    if seg is None:
        with _SHARED_LOCK:
            seg = _SHARED.get(backend)
            if seg is None:
                seg = _new_segmenter(backend)
                if backend == "jieba":
                    seg.initialize()  # reads jieba's cache file (tempdir/jieba.cache)
                _add_words(seg, backend, _parse_dict(_read_lines(_DATA / "domain_dict.txt")))
                _SHARED[backend] = seg
    return seg


def _segmenter(backend: str, entries: list[DictEntry]) -> Any:
    base = _shared_segmenter(backend)
    if not entries:
        return base
    seg = _new_segmenter(backend)
    if backend == "jieba":
        # Reuse the loaded dictionary instead of reading it again (~0.5 s): a private copy.
        seg.FREQ = dict(base.FREQ)
        seg.total = base.total
        seg.user_word_tag_tab = dict(base.user_word_tag_tab)
        seg.initialized = True
    else:
        _add_words(seg, backend, _parse_dict(_read_lines(_DATA / "domain_dict.txt")))
    _add_words(seg, backend, entries)
    return seg


# ---------------------------------------------------------------------------
# the tokenizer


class _State:
    """What a Tokenizer builds on first use (kept apart so pickling stays simple)."""

    __slots__ = ("cut", "prep", "stop", "spaced", "limit")

    def __init__(
        self,
        cut: Callable[[str], list[str]],
        prep: Callable[[Any], str],
        stop: frozenset[str],
        limit: int | None = None,
    ):
        self.cut = cut
        self.prep = prep
        self.stop = stop
        self.spaced = prep is not _PREP_NORMALIZED  # text may hold whitespace other than ' '
        self.limit = limit

    def run(self, item: Any) -> list[str]:
        limit = self.limit
        if limit is not None and (type(item) is not str or len(item) > limit):
            item = coerce_text(item)  # bytes decoded first, so that their length is known
            if len(item) > limit:
                # Cut before normalizing: cleaning and segmenting cost grows with the raw length.
                warnings.warn(
                    f"text of {len(item):,} characters truncated to max_length={limit:,} "
                    "(Tokenizer(max_length=None) keeps all)",
                    TruncatedWarning,
                    stacklevel=3,
                )
                item = clip_text(item, limit)
        text = self.prep(item)
        if not text:
            return []
        cut = self.cut
        if _PROTECT_HINT_RE.search(text) is None:
            tokens = cut(text)
        else:
            tokens = []
            pos = 0
            for m in _PROTECT_RE.finditer(text):
                if m.start() > pos:
                    tokens += cut(text[pos : m.start()])
                tokens.append(m.group())
                pos = m.end()
            if pos < len(text):
                tokens += cut(text[pos:])
        if self.spaced:
            tokens = [t for t in tokens if t and not t.isspace()]
        elif " " in text:
            tokens = [t for t in tokens if t != " "]
        if self.stop:
            stop = self.stop
            tokens = [t for t in tokens if t not in stop]
        return tokens


_DEFAULT_NORMALIZER = Normalizer()
_PREP_NORMALIZED = _DEFAULT_NORMALIZER.normalize_text


class Tokenizer:
    """Segment informal Chinese text into words, keeping placeholders and emoji whole.

    Parameters are stored unchanged (scikit-learn style); dictionaries are loaded on
    first use.

    Args:
        backend: ``"jieba"`` (default) or ``"rjieba"`` (Rust, much faster; needs
            ``pip install 'voc-zh[fast]'``).
        user_dict: Extra words: a path to a jieba user dictionary (``word [freq] [tag]``
            a line) or a list of such strings (usually just words).
        stopwords: ``None``/``False`` keeps every token; ``True`` removes the shipped
            stopwords; a path or a collection of words removes those.
        normalize: ``True`` runs :func:`voc.text.normalize` first; ``False`` only
            validates; a :class:`~voc.text.Normalizer` (or any callable returning a
            ``str`` or ``Normalized``) is used as given.
        hmm: Let the segmenter guess unknown words with its HMM.
        max_length: Longer texts are cut to this many characters *before* normalization
            (at a boundary that splits no number or address) and a
            :class:`TruncatedWarning` is issued; ``None`` keeps every character.

    Examples:
        >>> tok = Tokenizer(user_dict=["退款慢"])
        >>> tok("客服電話打不通，退款慢！！！！联系13812345678[怒]")
        ['客服电话', '打不通', ',', '退款慢', '!', '!', '联系', '<PHONE>', '[怒]']
        >>> list(tok.pipe(["好评", None]))
        [['好评'], []]
    """

    def __init__(
        self,
        backend: str = "jieba",
        user_dict: str | os.PathLike[str] | Iterable[str] | None = None,
        stopwords: bool | str | os.PathLike[str] | Iterable[str] | None = None,
        normalize: bool | Normalizer | Callable[[str], str | Normalized] = True,
        hmm: bool = True,
        max_length: int | None = 100_000,
    ) -> None:
        self.backend = backend
        self.user_dict = user_dict
        self.stopwords = stopwords
        self.normalize = normalize
        self.hmm = hmm
        self.max_length = max_length
        self._state: _State | None = None
        self._lock = threading.Lock()

    # -- scikit-learn style parameters, pickling -----------------------------

    _PARAMS = ("backend", "user_dict", "stopwords", "normalize", "hmm", "max_length")

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Return the constructor parameters (as given)."""
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params: Any) -> Tokenizer:
        """Change parameters; dictionaries are rebuilt on next use."""
        for name, value in params.items():
            if name not in self._PARAMS:
                raise ValueError(f"invalid parameter {name!r} for Tokenizer")
            setattr(self, name, value)
        with self._lock:
            self._state = None
        return self

    def __getstate__(self) -> dict[str, Any]:
        return self.get_params()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def __repr__(self) -> str:
        args = [f"{k}={v!r}" for k, v in self.get_params().items() if k != "backend" or v != "jieba"]
        return f"Tokenizer({', '.join(args)})"

    # -- building --------------------------------------------------------------

    def _ensure(self) -> _State:
        state = self._state
        if state is None:
            with self._lock:
                state = self._state
                if state is None:
                    state = self._build()
                    self._state = state
        return state

    def _build(self) -> _State:
        if self.backend not in _BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}; choose one of {_BACKENDS}")
        limit = self.max_length
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise ValueError(f"max_length must be a positive int or None, got {limit!r}")
        seg = _segmenter(self.backend, _user_entries(self.user_dict))
        hmm = bool(self.hmm)
        if self.backend == "jieba":

            def cut(text: str) -> list[str]:
                return seg.lcut(text, False, hmm)
        else:

            def cut(text: str) -> list[str]:
                return seg.cut(text, hmm)

        return _State(cut, self._make_prep(), self._make_stopwords(), limit)

    def _make_prep(self) -> Callable[[Any], str]:
        norm = self.normalize
        if norm is True:
            return _PREP_NORMALIZED
        if norm is False or norm is None:
            return coerce_text
        if isinstance(norm, Normalizer):
            return norm.normalize_text
        if callable(norm):

            def prep(item: Any) -> str:
                out = norm(coerce_text(item))
                return out.text if isinstance(out, Normalized) else coerce_text(out)

            return prep
        raise TypeError(f"normalize must be a bool, a Normalizer or a callable, got {type(norm).__name__}")

    def _make_stopwords(self) -> frozenset[str]:
        sw = self.stopwords
        if sw is None or sw is False:
            return frozenset()
        if sw is True:
            return load_stopwords()
        if isinstance(sw, (str, os.PathLike)):
            return load_stopwords(sw)
        if isinstance(sw, Iterable):
            return frozenset(sw)
        raise TypeError(f"stopwords must be a bool, a path or a list of words, got {type(sw).__name__}")

    # -- use -------------------------------------------------------------------

    def __call__(self, text: Any) -> list[str]:
        """Tokenize one text.

        Args:
            text: ``str`` or ``bytes``.

        Returns:
            The tokens, whitespace dropped.

        Raises:
            TypeError: ``text`` is not a text (None, NaN, a number ...).
            ValueError: ``text`` is empty or undecodable bytes.
        """
        return self._ensure().run(text)

    def pipe(
        self,
        texts: Iterable[Any],
        n_process: int = 1,
        batch_size: int = 1000,
        with_errors: bool = False,
    ) -> Iterator[Any]:
        """Tokenize many texts: one result per input, in order, never raising for an item.

        Args:
            texts: Any iterable; items that are not usable texts give ``[]``.
            n_process: Worker processes (``-1``: one per CPU). Inputs shorter than
                one batch are processed in this process.
            batch_size: Texts sent to a worker at a time.
            with_errors: Yield ``(tokens, error)`` pairs, ``error`` being ``None``
                or the message of the problem with that item.

        Yields:
            A token list per input (or a ``(tokens, error)`` pair).

        Examples:
            >>> list(Tokenizer().pipe(["退款到账了", 3.5], with_errors=True))
            [(['退款', '到账', '了'], None), ([], 'expected a text (str or bytes), got float')]
        """
        state = self._ensure()  # configuration errors raise here, before any item
        if n_process == -1:
            n_process = os.cpu_count() or 1
        if n_process <= 1:
            for item in texts:
                pair = _safe_run(state, item)
                yield pair if with_errors else pair[0]
            return
        yield from self._pipe_parallel(state, texts, n_process, max(1, batch_size), with_errors)

    def _pipe_parallel(
        self, state: _State, texts: Iterable[Any], n_process: int, batch_size: int, with_errors: bool
    ) -> Iterator[Any]:
        it = iter(texts)
        first = list(islice(it, batch_size))
        params = self.get_params()
        try:
            pickle.dumps(params)
        except Exception:
            warnings.warn("Tokenizer parameters cannot be pickled; pipe runs in one process", stacklevel=3)
            first_batch_is_all = True
        else:
            first_batch_is_all = len(first) < batch_size
        if first_batch_is_all:
            for item in chain(first, it):
                pair = _safe_run(state, item)
                yield pair if with_errors else pair[0]
            return
        import multiprocessing

        batches = chain([first], iter(lambda: list(islice(it, batch_size)), []))
        with multiprocessing.get_context().Pool(n_process, _init_worker, (params,)) as pool:
            for out in pool.imap(_work, (_sendable(b) for b in batches)):
                if with_errors:
                    yield from out
                else:
                    for tokens, _ in out:
                        yield tokens


def _safe_run(state: _State, item: Any) -> tuple[list[str], str | None]:
    try:
        return state.run(item), None
    except Exception as exc:  # an item must never stop a batch
        msg = str(exc)
        if not isinstance(exc, (TypeError, ValueError)) or not msg:
            msg = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
        return [], msg


class _Bad:
    """An item replaced in the parent process by the error it would raise."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _sendable(batch: list[Any]) -> list[Any]:
    """Make every item picklable: texts stay, anything else becomes its error."""
    out: list[Any] = []
    for item in batch:
        if type(item) is str or type(item) is bytes:
            out.append(item)
            continue
        try:
            out.append(coerce_text(item))
        except Exception as exc:
            out.append(_Bad(str(exc) or type(exc).__name__))
    return out


_WORKER: Tokenizer | None = None


def _init_worker(params: dict[str, Any]) -> None:
    global _WORKER
    _WORKER = Tokenizer(**params)


def _work(batch: list[Any]) -> list[tuple[list[str], str | None]]:
    assert _WORKER is not None
    state = _WORKER._ensure()
    return [([], item.message) if isinstance(item, _Bad) else _safe_run(state, item) for item in batch]
