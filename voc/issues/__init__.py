"""Issues behind negative feedback, who else has them, what they cost in churn (seed 004).

* :func:`discover_issues` clusters negative feedback into issues with readable
  labels (top keywords + representative texts): TF-IDF over character 2-3
  grams and words (``voc.tokenize.Tokenizer`` when available, else jieba),
  LSA (truncated SVD, a few dimensions per issue), then k-means (mini-batch
  above 20k distinct texts); when not given, the number of issues is the most
  reproducible one: k-means on disjoint random samples agrees best (stability).
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

from voc.issues.churn_link import (
    churn_by_issue,
    newcombe_interval,
    plot_churn_by_issue,
    wilson_interval,
)
from voc.issues.discover import IssueModel, discover_issues
from voc.issues.proactive import proactive_list
from voc.issues.search import WhoElse, who_else
from voc.issues.search import _event_keys as _event_keys
from voc.issues.space import _HAS_WORD as _HAS_WORD
from voc.issues.space import _PUNCT as _PUNCT
from voc.issues.space import STOPWORDS as STOPWORDS
from voc.issues.space import TextSpace
from voc.issues.space import _clean as _clean
from voc.issues.space import _default_tokenizer as _default_tokenizer
from voc.issues.space import _identity as _identity
from voc.issues.space import _safe_tokens as _safe_tokens
from voc.issues.space import _stopwords as _stopwords

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
