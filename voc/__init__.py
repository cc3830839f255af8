"""voc: mine Chinese voice-of-customer text.

One way in::

    import voc
    nlp = voc.load()
    r = nlp("客服电话一直打不通，算了不投诉了")
    r.sentiment.label, [x.label for x in r.non_complaint_reasons]
    list(nlp.pipe(texts))
    voc.analyze_frame(df, text_col="text")

Heavy modules (models, pandas adapters, torch, transformers, datasets, snownlp)
are imported lazily, on first use of the attribute that needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# attribute -> (module, name in module)
_LAZY = {
    "load": ("voc.pipeline", "load"),
    "Analyzer": ("voc.pipeline", "Analyzer"),
    "Result": ("voc.results", "Result"),
    "Label": ("voc.results", "Label"),
    "Prediction": ("voc.results", "Prediction"),
    "analyze_frame": ("voc.frame", "analyze_frame"),
    "analyze_batch": ("voc.frame", "analyze_batch"),
    "train": ("voc.training", "train"),
    "evaluate": ("voc.training", "evaluate"),
    "normalize": ("voc.text", "normalize"),
    "Normalizer": ("voc.text", "Normalizer"),
    "Tokenizer": ("voc.tokenize", "Tokenizer"),
    "load_taxonomy": ("voc.taxonomy", "load_taxonomy"),
    "Taxonomy": ("voc.taxonomy", "Taxonomy"),
    "History": ("voc.history", "History"),
    "IssueModel": ("voc.issues", "IssueModel"),
    "profile_customers": ("voc.customers", "profile_customers"),
    "assign_personas": ("voc.personas", "assign_personas"),
    "segment_view": ("voc.personas", "segment_view"),
    "discover_issues": ("voc.issues", "discover_issues"),
    "who_else": ("voc.issues", "who_else"),
    "churn_by_issue": ("voc.issues", "churn_by_issue"),
    "proactive_list": ("voc.issues", "proactive_list"),
    "generate_history": ("voc.synthetic", "generate_history"),
}
_SUBMODULES = {"accurate", "datasets", "text", "tokenize", "taxonomy", "lexicon", "pipeline", "frame", "models",
               "training", "history", "schema", "customers", "personas", "issues", "synthetic", "cli", "report", "service",
               "features", "results", "churn", "journey", "repair", "routing", "demands", "spark"}

__all__ = sorted([*_LAZY, "__version__"])

if TYPE_CHECKING:  # pragma: no cover
    from voc.frame import analyze_batch, analyze_frame  # noqa: F401
    from voc.pipeline import Analyzer, load  # noqa: F401
    from voc.results import Label, Prediction, Result  # noqa: F401
    from voc.taxonomy import Taxonomy, load_taxonomy  # noqa: F401
    from voc.text import Normalizer, normalize  # noqa: F401
    from voc.tokenize import Tokenizer  # noqa: F401
    from voc.training import evaluate, train  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"voc.{name}")
    raise AttributeError(f"module 'voc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)
