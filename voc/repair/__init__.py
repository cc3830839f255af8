"""Centralized repair of dissatisfied customers (seed 002) and dissatisfaction recognition (seed 003).

Seed 002 (集中修复) gathers the dissatisfied customers of every channel (hotline,
complaints, bot, WeChat ...), checks whether a customer who complained in
several places "几天之内同时在营业厅、热线、微信公众号" is talking about the same
problem, and calls each one back once, with a script adapted to the
customer's temperament, at the moment of truth (MOT). Seed 003 follows a
customer's complaint stage (潜在抱怨 → 显在抱怨 → 潜在投诉 → 投诉) and the
behaviours of dissatisfaction (negative review, reduced purchase, word of mouth).

* :func:`build_repair_queue` -- one item per (customer, issue) across
  feedback, contacts and events, with links to every source row, the issue
  summary, all evidence, a priority, a status and a repair suggestion.
* :func:`resolve_identities` -- fuzzy identity for rows without a
  ``customer_id`` (order number, masked phone, nickname, plus issue similarity).
* :func:`common_issues` -- the issues shared across the queue (top issues, counts, channels).
* :func:`complaint_progression` / :func:`dissatisfaction_alerts` -- stage
  progression per customer and alerts (seed 003).
* :func:`plant_duplicates` / :func:`dedup_scores` -- evaluation on
  :func:`voc.synthetic.generate_history` with planted cross-channel duplicates.

Identity hints (all optional): ``phone`` (full, masked ``138****1234`` or a
4-digit tail), ``nickname`` and ``order_id`` columns in ``feedback`` and
``contacts``; ``phone`` / ``nickname`` in ``customers``; ``order_id`` in
``events``. Texts are also searched for ``尾号1234`` and ``订单号 XXXXXXXX``.

Example:
    >>> import pandas as pd
    >>> from voc.repair import build_repair_queue
    >>> fb = pd.DataFrame({
    ...     "customer_id": ["C1", "C1", "C1"],
    ...     "channel": ["weibo", "hotline_transcript", "app_review"],
    ...     "timestamp": ["2024-05-01 09:00", "2024-05-02 10:00", "2024-05-02 12:00"],
    ...     "text": ["退款十天了还没到账，气死了", "你好，我的退款还没到账，请尽快处理", "app一打开就闪退"],
    ...     "sentiment": ["negative"] * 3, "emotion": ["anger", "impatience", "anger"],
    ...     "intent": ["refund_return", "urge", "help_request"],
    ...     "complaint_stage": ["explicit_grumble", "explicit_grumble", "explicit_grumble"],
    ...     "aspects": [["after_sales"], ["after_sales"], ["app_website"]]})
    >>> q = build_repair_queue(fb)
    >>> sorted(len(s) for s in q["sources"])
    [1, 2]
"""

from __future__ import annotations

from voc.repair._common import STAGE_ORDER, STAGE_ZH
from voc.repair.evaluation import dedup_scores, plant_duplicates
from voc.repair.identity import HINT_WEIGHTS, resolve_identities
from voc.repair.progression import complaint_progression, dissatisfaction_alerts
from voc.repair.queue import STATUS_FACTOR, TEMPERAMENT_SCRIPTS, build_repair_queue, common_issues
from voc.repair.signals import BEHAVIOR_SEVERITY, EVENT_SEVERITY, STAGE_SEVERITY, collect_signals

__all__ = [
    "STAGE_ORDER",
    "STAGE_ZH",
    "STAGE_SEVERITY",
    "EVENT_SEVERITY",
    "BEHAVIOR_SEVERITY",
    "STATUS_FACTOR",
    "HINT_WEIGHTS",
    "TEMPERAMENT_SCRIPTS",
    "collect_signals",
    "resolve_identities",
    "build_repair_queue",
    "common_issues",
    "complaint_progression",
    "dissatisfaction_alerts",
    "plant_duplicates",
    "dedup_scores",
]
