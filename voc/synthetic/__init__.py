"""Synthetic customer histories with known ground truth, for tests and demos.

:func:`generate_history` simulates customers of a consumer platform over
``days`` days: orders, NPS surveys, contacts with customer service, feedback
texts in informal Chinese, churn. A share of the customers runs into one of
seven **planted issues** (退款不到账, 外卖送错/超时, 客服电话打不通, app闪退,
扣费不明, 快递丢件, 会员自动续费), each with its own text pool, its own event
signature (e.g. ``self_service_fail`` with ``detail="app_crash"``) and its own
churn effect. Every feedback row carries *gold* analysis columns (the columns
:func:`voc.analyze_frame` writes), so downstream code can be tested without a
model.

How a customer behaves (all draws from one ``numpy`` generator seeded with
``seed``, so the output is deterministic):

* an archetype lean (seed 000: 凡人 40 %, 智者 18 %, 探险家 14 %, 照顾者 10 %,
  叛逆者 / 创造者 / 统治者 6 % each) sets the chance of staying silent after a
  problem (凡人 75 %, 探险家 35 % ...), the non-complaint reason written in
  public texts (凡人: channel_blocked, let_it_go, conflict_avoidance,
  fear_retaliation, privacy_concern; 智者: self_reliance, distrust_service;
  探险家: self_reliance; 照顾者: not_bother) or the style of the text (叛逆者
  public warnings, 创造者 suggestions, 统治者 preachy);
* ``issue_rate`` of the customers hit a planted issue at a time ``t0`` in the
  last ``problem_window_days`` (150) days; vocal ones contact customer service
  1-3 times (chat transcripts become feedback rows), silent ones may post in
  public channels;
  ``recurrence_rate`` of them see the problem again 20-40 days later;
* ``background_problem_rate`` have an ordinary problem (a return, a low NPS, a
  generic negative review) unrelated to the planted issues;
* churn = ``base_churn`` for everyone plus the issue's ``churn_lift`` (x0.4 when
  solved, x1.2 when silent); the churns drawn from the lift are "caused by the
  issue". A customer with a problem churns ``churn_delay_days`` (10-60) days
  after it starts.

Truth (``out["truth"]``, one row per customer): ``has_problem``, ``issue``
(code or ``None``), ``issue_id`` (-1 = none), ``problem_start``, ``silent``
(a problem and no contact since ``problem_start`` - 7 days), ``solved``,
``recurring``, ``problem_level`` (seed 001 rule of
:func:`voc.customers.profile_customers`), ``churned``,
``churn_caused_by_issue``, ``archetype_lean``, ``reason`` (the non-complaint
reason planted, if any). ``out["text_truth"]`` gives, per feedback row, the
planted ``issue`` and the ``kind`` of text.

Example:
    >>> from voc.synthetic import generate_history
    >>> h = generate_history(n_customers=500, seed=0)
    >>> sorted(h)
    ['contacts', 'customers', 'events', 'feedback', 'text_truth', 'truth']
    >>> h["truth"]["silent"].dtype
    dtype('bool')

Modules (everything public is re-exported here, so ``from voc.synthetic import X`` works):

* :mod:`voc.synthetic.planted` -- :class:`PlantedIssue`, :data:`DEFAULT_ISSUES`, :data:`ARCHETYPE_LEANS`;
* :mod:`voc.synthetic.history` -- :func:`generate_history` and its named steps;
* :mod:`voc.synthetic.texts` / :mod:`voc.synthetic.rows` -- text pools and the row collector;
* :mod:`voc.synthetic.corpus` -- mixing in labelled corpus texts;
* :mod:`voc.synthetic.truth` -- the planted truth table and its problem levels;
* :mod:`voc.synthetic.signal_cases` -- :func:`add_signal_hard_cases` (silent / level hard cases);
* :mod:`voc.synthetic.issue_cases` -- :func:`add_issue_hard_cases` (issue-discovery hard cases);
* :mod:`voc.synthetic.identity_cases` -- :func:`plant_identity_cases` (dedup hard cases).
"""

from __future__ import annotations

from voc.synthetic.history import generate_history
from voc.synthetic.identity_cases import plant_identity_cases
from voc.synthetic.issue_cases import add_issue_hard_cases
from voc.synthetic.planted import ARCHETYPE_LEANS, DEFAULT_ISSUES, ISSUES_PATH, PlantedIssue
from voc.synthetic.signal_cases import BENIGN_RETURN_DETAILS, SIGNAL_CASE_RATES, add_signal_hard_cases

__all__ = [
    "PlantedIssue",
    "DEFAULT_ISSUES",
    "ARCHETYPE_LEANS",
    "generate_history",
    "add_signal_hard_cases",
    "SIGNAL_CASE_RATES",
    "BENIGN_RETURN_DETAILS",
    "add_issue_hard_cases",
    "plant_identity_cases",
    "ISSUES_PATH",
]
