"""Fine-tuned transformer encoders (e.g. ``bert-base-chinese``) as voc components.

:class:`TransformersTextClassifier` follows the scikit-learn estimator contract
(hyper-parameters in ``__init__``, learned state in ``fit``) and the voc component
interface (``classes_``, ``multi_label_``, ``predict_proba``). It fine-tunes a
*local* checkpoint with a plain torch loop and saves / loads with safetensors only:
pickle-based weight files (``*.bin``, ``*.pt``, ``*.pkl``...) are never loaded,
because unpickling can execute arbitrary code.

torch and transformers are imported inside the methods that need them, so
importing this module is cheap and works without them installed.

Example:
    >>> from voc.models.transformers import TransformersTextClassifier
    >>> clf = TransformersTextClassifier("/models/bert-base-chinese", epochs=2)  # doctest: +SKIP
    >>> clf.fit(["很好吃", "太难吃了"], ["positive", "negative"])                 # doctest: +SKIP
    >>> clf.save_pretrained("/tmp/sentiment-bert")                                # doctest: +SKIP
    >>> TransformersTextClassifier.from_pretrained("/tmp/sentiment-bert").predict(["好吃"])  # doctest: +SKIP
    ['positive']
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from voc._input import check_texts as _check_texts

__all__ = ["TransformersTextClassifier", "COMPONENT_FILE", "PICKLE_WEIGHT_PATTERNS"]

BACKEND = "transformers"

#: voc's own settings file inside a saved component directory.
COMPONENT_FILE = "voc_component.json"
FORMAT = "voc-transformers-1"

#: Weight files that would need unpickling; a directory holding only these is refused.
PICKLE_WEIGHT_PATTERNS = ("*.bin", "*.pt", "*.pth", "*.pkl", "*.pickle", "*.ckpt")

def _require() -> tuple[Any, Any]:
    """Import torch and transformers, or raise a one-line ``MissingExtra`` (an ImportError) naming the extra."""
    from voc._extras import require

    torch = require("torch", "transformers", "the transformers backend")
    transformers = require("transformers", "transformers", "the transformers backend")
    return torch, transformers


def _check_weights(path: Path) -> None:
    """Refuse a local checkpoint directory that has pickle weights and no safetensors.

    Raises:
        ValueError: ``path`` holds ``*.bin`` / ``*.pt`` / ``*.pkl``... weights but no ``*.safetensors``.
        FileNotFoundError: ``path`` holds no weights at all.
    """
    if any(path.glob("*.safetensors")):
        return
    pickled = sorted(p.name for pattern in PICKLE_WEIGHT_PATTERNS for p in path.glob(pattern))
    if pickled:
        raise ValueError(
            f"refusing to load {path}: it holds pickle-based weights ({', '.join(pickled)}) and no "
            "*.safetensors file; voc only loads safetensors (unpickling can run arbitrary code). "
            "Convert the checkpoint once, in an environment you trust, e.g. "
            "AutoModel.from_pretrained(path).save_pretrained(path) writes model.safetensors."
        )
    raise FileNotFoundError(f"{path}: no *.safetensors weights found")


class TransformersTextClassifier:
    """Sequence classifier fine-tuned from a local transformer checkpoint.

    Args:
        model_name_or_path: Local checkpoint directory (or the name of a model already in the
            local Hugging Face cache). Nothing is downloaded: loading uses ``local_files_only``.
        multi_label: Independent sigmoid per label trained with binary cross-entropy; ``y`` is
            then a list of label lists. Otherwise softmax + cross-entropy over one label per text.
        epochs: Passes over the training data.
        learning_rate: AdamW learning rate (constant).
        batch_size: Texts per mini-batch, for training and prediction.
        max_length: Longer texts are truncated to this many tokens.
        weight_decay: AdamW weight decay (not applied to biases and LayerNorm weights).
        seed: Seeds the classifier-head initialisation, dropout and batch shuffling.
            The global torch RNG state is restored after ``fit``.
        device: torch device (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``) or ``"auto"``
            (CUDA when available, else CPU).
        progress: Show a tqdm progress bar while training.

    Attributes:
        classes_: Label codes, in column order of :meth:`predict_proba`.
        multi_label_: Whether the model is multi-label.
        model_: The fine-tuned ``AutoModelForSequenceClassification`` (in eval mode).
        tokenizer_: Its tokenizer.
        loss_history_: Mean training loss per epoch (empty after :meth:`from_pretrained`).
    """

    BACKEND = "transformers"

    def __init__(self, model_name_or_path: str, multi_label: bool = False, epochs: int = 3,
                 learning_rate: float = 5e-5, batch_size: int = 16, max_length: int = 128,
                 weight_decay: float = 0.0, seed: int = 0, device: str = "cpu",
                 progress: bool = True) -> None:
        self.model_name_or_path = model_name_or_path
        self.multi_label = multi_label
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_length = max_length
        self.weight_decay = weight_decay
        self.seed = seed
        self.device = device
        self.progress = progress

    # ------------------------------------------------------------ params
    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """Constructor arguments (JSON-serialisable; saved into ``voc_component.json``)."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params: Any) -> TransformersTextClassifier:
        """Set constructor arguments (scikit-learn style)."""
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"invalid parameter {key!r} for {type(self).__name__}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model_name_or_path={self.model_name_or_path!r}, multi_label={self.multi_label})"

    # ---------------------------------------------------------- training
    def fit(self, texts: Sequence[str], y: Sequence[Any]) -> TransformersTextClassifier:
        """Fine-tune on ``texts`` and labels ``y`` (label lists when ``multi_label``).

        Args:
            texts: Training texts.
            y: One label per text, or one list of labels per text when ``multi_label``.

        Returns:
            ``self``, fitted.

        Raises:
            ValueError: Lengths differ, too few classes, bad hyper-parameters, or the checkpoint
                holds only pickle weights.
            ImportError: torch / transformers are not installed.
        """
        texts = _check_texts(texts)
        y = list(y)
        if len(texts) != len(y):
            raise ValueError(f"texts and y have different lengths: {len(texts)} != {len(y)}")
        if not texts:
            raise ValueError("no training texts")
        if int(self.epochs) < 1 or int(self.batch_size) < 1 or int(self.max_length) < 2:
            raise ValueError("epochs and batch_size must be >= 1 and max_length >= 2")
        multi = bool(self.multi_label)
        if multi:
            label_lists = [[str(v) for v in _as_list(row)] for row in y]
            classes = sorted({v for row in label_lists for v in row})
            if not classes:
                raise ValueError("multi-label training needs at least one label")
            index = {c: j for j, c in enumerate(classes)}
            targets: Any = np.zeros((len(y), len(classes)), dtype=np.float32)
            for i, row in enumerate(label_lists):
                for v in row:
                    targets[i, index[v]] = 1.0
        else:
            labels = [str(v) for v in y]
            classes = sorted(set(labels))
            if len(classes) < 2:
                raise ValueError(f"single-label training needs at least 2 classes, got {classes}")
            index = {c: j for j, c in enumerate(classes)}
            targets = np.array([index[v] for v in labels], dtype=np.int64)

        torch, transformers = _require()
        from tqdm.auto import tqdm

        local = Path(str(self.model_name_or_path)).expanduser()
        if local.is_dir():
            _check_weights(local)
        device = self._torch_device(torch)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(self.seed))
            tokenizer = transformers.AutoTokenizer.from_pretrained(str(self.model_name_or_path),
                                                                   local_files_only=True)
            model = transformers.AutoModelForSequenceClassification.from_pretrained(
                str(self.model_name_or_path),
                num_labels=len(classes),
                id2label=dict(enumerate(classes)),
                label2id=index,
                problem_type="multi_label_classification" if multi else "single_label_classification",
                local_files_only=True,
                use_safetensors=True,
                ignore_mismatched_sizes=True,  # a classifier checkpoint with another label set: new head
            )
            model.to(device)
            optimizer = torch.optim.AdamW(_param_groups(model, float(self.weight_decay)),
                                          lr=float(self.learning_rate))
            gen = torch.Generator().manual_seed(int(self.seed))
            bs = int(self.batch_size)
            n_batches = math.ceil(len(texts) / bs)
            target_t = torch.from_numpy(targets)
            history: list[float] = []
            model.train()
            with tqdm(total=int(self.epochs) * n_batches, desc=f"fine-tuning {len(classes)} labels",
                      unit="batch", disable=not self.progress) as bar:
                for epoch in range(int(self.epochs)):
                    order = torch.randperm(len(texts), generator=gen).tolist()
                    total = 0.0
                    for b in range(n_batches):
                        idx = order[b * bs:(b + 1) * bs]
                        batch = self._encode(tokenizer, [texts[i] for i in idx], device)
                        out = model(**batch, labels=target_t[idx].to(device))
                        optimizer.zero_grad(set_to_none=True)
                        out.loss.backward()
                        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                        optimizer.step()
                        total += float(out.loss.detach()) * len(idx)
                        bar.update(1)
                        bar.set_postfix(epoch=epoch + 1, loss=f"{float(out.loss.detach()):.4f}")
                    history.append(total / len(texts))
            model.eval()

        self.model_ = model
        self.tokenizer_ = tokenizer
        self.classes_ = classes
        self.multi_label_ = multi
        self.loss_history_ = history
        return self

    # -------------------------------------------------------- prediction
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of each class: softmax (single-label) or independent sigmoids (multi-label).

        Args:
            texts: Texts to classify.

        Returns:
            ``float64`` array of shape ``(len(texts), len(classes_))``.
        """
        texts = _check_texts(texts)
        self._check_fitted()
        if not texts:
            return np.zeros((0, len(self.classes_)), dtype=np.float64)
        torch, _ = _require()
        device = next(self.model_.parameters()).device
        self.model_.eval()
        out = []
        bs = max(1, int(self.batch_size))
        with torch.no_grad():
            for start in range(0, len(texts), bs):
                batch = self._encode(self.tokenizer_, texts[start:start + bs], device)
                logits = self.model_(**batch).logits.float()
                p = torch.sigmoid(logits) if self.multi_label_ else torch.softmax(logits, dim=-1)
                out.append(p.cpu().numpy())
        return np.concatenate(out).astype(np.float64)

    def predict(self, texts: Sequence[str], threshold: float = 0.5) -> list[Any]:
        """Labels (label lists with probability >= ``threshold`` when multi-label)."""
        proba = self.predict_proba(texts)
        if self.multi_label_:
            return [[c for c, p in zip(self.classes_, row, strict=True) if p >= threshold] for row in proba]
        return [self.classes_[i] for i in proba.argmax(axis=1)]

    # ------------------------------------------------------- persistence
    def save_pretrained(self, path: str | Path) -> None:
        """Write the model (safetensors), the tokenizer and ``voc_component.json`` to ``path``.

        Args:
            path: Directory to write (created if needed).
        """
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {}
        if "safe_serialization" in inspect.signature(self.model_.save_pretrained).parameters:
            kwargs["safe_serialization"] = True  # transformers 4.x; 5.x always writes safetensors
        self.model_.save_pretrained(str(path), **kwargs)
        self.tokenizer_.save_pretrained(str(path))
        if not any(path.glob("*.safetensors")):  # pragma: no cover - defensive
            raise RuntimeError(f"transformers did not write safetensors weights to {path}")
        meta = {"format": FORMAT, "classes": list(self.classes_), "multi_label": bool(self.multi_label_),
                "params": self.get_params()}
        (path / COMPONENT_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1, default=str), encoding="utf-8")

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str | None = None) -> TransformersTextClassifier:
        """Load a directory written by :meth:`save_pretrained` (safetensors weights only).

        Args:
            path: The directory.
            device: Override the saved ``device`` setting (e.g. ``"cpu"`` on a machine without GPU).

        Returns:
            The fitted component, in eval mode.

        Raises:
            ValueError: The directory holds pickle weights and no safetensors, or its
                ``voc_component.json`` is missing fields / disagrees with the model config.
            FileNotFoundError: No directory, no weights or no ``voc_component.json``.
        """
        path = Path(path)
        if not path.is_dir():
            raise FileNotFoundError(f"{path} is not a directory")
        _check_weights(path)
        meta_path = path / COMPONENT_FILE
        if not meta_path.exists():
            raise FileNotFoundError(f"{path} is not a voc transformers component (no {COMPONENT_FILE})")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{meta_path}: not valid JSON ({type(e).__name__}: {e})") from e
        if not isinstance(meta, dict):
            raise ValueError(f"{meta_path}: expected a JSON object, got {type(meta).__name__}")
        if meta.get("format") != FORMAT:
            raise ValueError(f"{meta_path}: unknown format {meta.get('format')!r}")
        if not isinstance(meta.get("classes"), list) or not isinstance(meta.get("multi_label"), bool) \
                or not isinstance(meta.get("params") or {}, dict):
            raise ValueError(f"{meta_path}: needs a 'classes' list, a 'multi_label' boolean and a 'params' object")
        valid = set(inspect.signature(cls.__init__).parameters) - {"self"}
        params = {k: v for k, v in dict(meta.get("params") or {}).items() if k in valid}
        params.setdefault("model_name_or_path", str(path))
        if device is not None:
            params["device"] = device
        self = cls(**params)
        torch, transformers = _require()
        self.tokenizer_ = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            str(path), local_files_only=True, use_safetensors=True)
        self.classes_ = [str(c) for c in meta["classes"]]
        self.multi_label_ = bool(meta["multi_label"])
        id2label = {int(k): str(v) for k, v in (model.config.id2label or {}).items()}
        if [id2label.get(j) for j in range(len(self.classes_))] != self.classes_ \
                or model.config.num_labels != len(self.classes_):
            raise ValueError(f"{path}: classes in {COMPONENT_FILE} do not match the model's id2label")
        model.to(self._torch_device(torch))
        model.eval()
        self.model_ = model
        self.loss_history_ = []
        return self

    # ---------------------------------------------------------- internals
    def _torch_device(self, torch: Any) -> Any:
        name = str(self.device or "cpu")
        if name == "auto":
            name = "cuda" if torch.cuda.is_available() else "cpu"
        return torch.device(name)

    def _encode(self, tokenizer: Any, texts: list[str], device: Any) -> dict[str, Any]:
        enc = tokenizer(texts, padding=True, truncation=True, max_length=int(self.max_length),
                        return_tensors="pt")
        return {k: v.to(device) for k, v in enc.items()}

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit() or from_pretrained()")


def _as_list(v: Any) -> list[Any]:
    if isinstance(v, str):
        return [v]
    if v is None:
        return []
    return list(v)


def _param_groups(model: Any, weight_decay: float) -> list[dict[str, Any]]:
    """AdamW groups: decay on weight matrices, none on biases and normalisation weights."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.ndim < 2 or "norm" in name.lower() or name.endswith(".bias"):
            no_decay.append(p)
        else:
            decay.append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
