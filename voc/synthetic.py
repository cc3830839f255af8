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
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

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
]


@dataclass(frozen=True)
class PlantedIssue:
    """A recurring product/service problem the generator plants.

    Attributes:
        code: Stable identifier (``refund_delay`` ...).
        name_zh: Chinese name.
        aspects: Gold ``aspects`` of its texts.
        texts: ``(text, emotion, intent)`` complaint variants.
        signature: ``(event type, detail)`` logged when a customer hits the issue.
        churn_lift: Extra churn probability caused by the issue.
        weight: Relative frequency among affected customers.
    """

    code: str
    name_zh: str
    aspects: tuple[str, ...]
    texts: tuple[tuple[str, str, str], ...]
    signature: tuple[str, str]
    churn_lift: float
    weight: float = 1.0


#: The planted issues' data (names, aspects, complaint texts, signatures, churn lifts).
ISSUES_PATH = Path(__file__).parent / "data" / "synthetic_issues.json"


@lru_cache(maxsize=1)
def _load_issues() -> tuple[PlantedIssue, ...]:
    """The :class:`PlantedIssue` objects of ``voc/data/synthetic_issues.json``, in file order (read once)."""
    rows = json.loads(ISSUES_PATH.read_text(encoding="utf-8"))
    return tuple(
        PlantedIssue(
            str(r["code"]),
            str(r["name_zh"]),
            tuple(r["aspects"]),
            tuple((str(t), str(e), str(i)) for t, e, i in r["texts"]),
            (str(r["signature"][0]), str(r["signature"][1])),
            churn_lift=float(r["churn_lift"]),
            weight=float(r.get("weight", 1.0)),
        )
        for r in rows
    )


DEFAULT_ISSUES: tuple[PlantedIssue, ...] = _load_issues()

#: Archetype lean -> (share of customers, chance of staying silent after a problem).
ARCHETYPE_LEANS: dict[str, tuple[float, float]] = {
    "凡人": (0.40, 0.75),
    "智者": (0.18, 0.65),
    "探险家": (0.14, 0.35),
    "照顾者": (0.10, 0.70),
    "叛逆者": (0.06, 0.50),
    "创造者": (0.06, 0.40),
    "统治者": (0.06, 0.30),
}
_REASONS_BY_ARCHETYPE: dict[str, tuple[tuple[str, float], ...]] = {
    "凡人": (
        ("channel_blocked", 0.3),
        ("let_it_go", 0.25),
        ("conflict_avoidance", 0.2),
        ("fear_retaliation", 0.1),
        ("privacy_concern", 0.15),
    ),
    "智者": (("self_reliance", 0.5), ("distrust_service", 0.5)),
    "探险家": (("self_reliance", 1.0),),
    "照顾者": (("not_bother", 1.0),),
}
#: Non-complaint reason -> phrases (the phrase is the evidence span).
_REASON_PHRASES: dict[str, tuple[str, ...]] = {
    "channel_blocked": ("想反馈都找不到入口", "根本联系不上人", "也不知道去哪里反馈"),
    "self_reliance": ("最后自己研究半天搞定了", "自己动手解决了，不指望别人", "还是靠自己弄好了"),
    "distrust_service": ("找客服也没用，反正解决不了", "投诉了也白搭", "反映了也不会有人管"),
    "let_it_go": ("算了，就这样吧", "懒得折腾了，认了", "算了不计较了"),
    "not_bother": ("客服也挺辛苦的，不想为难他们", "不想给客服添麻烦", "小哥也不容易，不想投诉他"),
    "conflict_avoidance": ("不想吵架，忍了", "怕麻烦，不想跟人扯皮", "不想起冲突，就这样吧"),
    "fear_retaliation": ("怕投诉了以后被针对", "担心给差评被商家骚扰", "怕投诉完被拉黑"),
    "privacy_concern": (
        "反馈还要实名认证，不想给个人信息",
        "不想把身份证号给他们",
        "要留手机号才能反馈，算了",
    ),
}
_REASON_SOLVED = {"self_reliance"}
_STYLE = {
    "叛逆者": ("大家千万别用了，避雷！", {"behaviors": ["word_of_mouth"]}),
    "创造者": ("建议你们优化一下流程，别让用户干等", {"intent": "suggestion"}),
    "统治者": ("这么大的公司连这点都做不好，管理层真该好好反省", {"temperament": "preachy"}),
}
_EMOTION_CUES: dict[str, tuple[str, ...]] = {
    "anger": ("气死", "凭什么", "坑人", "太过分", "乱扣", "偷偷", "？？"),
    "impatience": ("一拖再拖", "等了", "多久", "排队", "一直", "还没"),
    "anxiety": ("急着", "怎么办", "担心", "是不是", "查不到"),
    "disappointment": ("无语", "失望", "服了", "也没用", "说不清楚"),
    "resignation": ("算了", "认了", "怀疑人生", "没法用", "又被我踩了", "多半"),
    "delight": ("谢谢", "点赞", "满意", "不错", "好评", "挺快"),
}
_PREFIXES = ("", "", "", "说真的，", "吐槽一下，", "唉，", "无语，", "[怒]", "真的是，")
_SUFFIXES = ("", "", "", "！", "！！！", "。", "…", "[怒][怒]", "，真的服", "，差评")
_PUBLIC_CHANNELS = ("app_review", "weibo", "ecommerce_review", "survey_verbatim", "forum")
_CONTACT_CHANNELS = (
    ("hotline", "hotline_transcript"),
    ("online_chat", "chat"),
    ("app", "chat"),
    ("email", "email"),
)
_PRAISE = (
    "配送很快，小哥态度也好，点赞",
    "客服小姐姐很耐心，问题一下就解决了",
    "东西质量不错，会回购的",
    "用了半年了，挺满意的",
    "价格实惠，包装也仔细，好评",
    "这次活动力度很大，买到就是赚到",
    "售后处理得很及时，谢谢",
    "app新版本挺好用的，界面清爽",
    "会员权益还挺多的，值了",
    "退货流程很顺，第二天就退款了，满意",
)
_INQUIRY = (
    "请问发票在哪里开",
    "会员积分怎么兑换",
    "请问退货地址在哪里看",
    "怎么修改收货地址",
    "这个优惠券能和满减一起用吗",
    "请问营业时间是几点到几点",
    "怎么绑定新的银行卡",
    "订单可以改成自提吗",
    "请问有没有学生优惠",
    "怎么查看历史订单",
)
_BACKGROUND_NEG = (
    ("衣服尺码偏小，穿着不合适，有点失望", "disappointment", ("product_quality",)),
    ("东西一般般吧，跟图片差挺多的", "disappointment", ("product_quality",)),
    ("价格比别家贵了不少，不太划算", "disappointment", ("price_billing",)),
    ("质量不行，用了两天就坏了", "anger", ("product_quality",)),
    ("包装破了，里面的东西也有划痕", "disappointment", ("product_quality", "logistics")),
    ("味道太咸了，下次不会再点这家", "disappointment", ("product_quality",)),
)
_RESOLVED = (
    "问题已经解决了，谢谢客服",
    "处理结果收到了，客服还挺快的",
    "已经处理好了，这次还算满意",
    "终于解决了，谢谢",
)
_VOCAL_OPEN = ("客服你好，", "我要投诉，", "你好，", "请帮我处理一下，")
_VOCAL_AGAIN = (
    "第二次联系了，还是没解决，",
    "又来找你们了，问题还没解决，",
    "上次说会处理，到现在也没消息，",
)
_RECURRED = ("又出问题了，", "同样的问题又来了，", "又来了，")
_CHURN_TEXTS = ("不用了，账号已经注销", "已经换别家了，再见")


def _choice(rng: np.random.Generator, seq: Sequence[Any]) -> Any:
    return seq[int(rng.integers(len(seq)))]


def _emotion_evidence(text: str, emotion: str) -> list[str]:
    return [c for c in _EMOTION_CUES.get(emotion, ()) if c in text][:2]


class _Builder:
    """Collects rows for the output tables."""

    def __init__(self) -> None:
        self.feedback: list[dict[str, Any]] = []
        self.contacts: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []

    def text(
        self,
        cid: str | None,
        ts: float,
        channel: str,
        text: str,
        *,
        sentiment: str,
        score: float,
        emotion: str,
        intent: str,
        reasons: list[str] | None = None,
        stage: str = "none",
        behaviors: list[str] | None = None,
        aspects: Sequence[str] = (),
        journey: str = "problem_found",
        temperament: str = "none",
        evidence: dict[str, list[str]] | None = None,
        issue: str | None = None,
        kind: str = "",
    ) -> None:
        ev = dict(evidence or {})
        cues = _emotion_evidence(text, emotion)
        if cues:
            ev.setdefault(emotion, cues)
        self.feedback.append(
            {
                "customer_id": cid,
                "channel": channel,
                "timestamp": ts,
                "text": text,
                "sentiment": sentiment,
                "sentiment_score": round(score, 3),
                "emotion": emotion,
                "intent": intent,
                "non_complaint_reasons": list(reasons or []),
                "complaint_stage": stage,
                "behaviors": list(behaviors or []),
                "aspects": list(aspects),
                "journey_stage": journey,
                "temperament": temperament,
                "error": None,
                "evidence": ev,
                "_issue": issue,
                "_kind": kind,
            }
        )

    def contact(self, cid: str, ts: float, channel: str, topic: str, resolved: bool) -> None:
        self.contacts.append((cid, channel, ts, topic, resolved))

    def event(
        self,
        cid: str,
        ts: float,
        etype: str,
        amount: float = np.nan,
        score: float = np.nan,
        detail: str | None = None,
    ) -> None:
        self.events.append((cid, ts, etype, amount, score, detail))


def _complaint_text(rng: np.random.Generator, issue: PlantedIssue) -> tuple[str, str, str]:
    core, emotion, intent = _choice(rng, issue.texts)
    return _choice(rng, _PREFIXES) + core + _choice(rng, _SUFFIXES), emotion, intent


def _load_corpus(corpus: str | pd.DataFrame | None) -> pd.DataFrame | None:
    if corpus is None:
        return None
    if isinstance(corpus, pd.DataFrame):
        return corpus
    try:
        from voc.datasets import load_frame

        return load_frame(corpus)
    except (FileNotFoundError, ImportError, ValueError) as e:
        warnings.warn(f"corpus {corpus!r} not available ({e}); generating without it", stacklevel=3)
        return None


def generate_history(
    n_customers: int = 2000,
    seed: int = 0,
    *,
    start: str = "2023-01-01",
    days: int = 730,
    issue_rate: float = 0.35,
    background_problem_rate: float = 0.08,
    base_churn: float = 0.04,
    recurrence_rate: float = 0.25,
    texts_per_customer: float = 0.5,
    issues: Sequence[PlantedIssue] = DEFAULT_ISSUES,
    corpus: str | pd.DataFrame | None = None,
    corpus_rate: float = 0.1,
    problem_window_days: float = 150.0,
    churn_delay_days: tuple[float, float] = (10.0, 60.0),
    signal_cases: bool | Mapping[str, float] = True,
    identity_cases: bool = False,
) -> dict[str, pd.DataFrame]:
    """Simulate customers, feedback, contacts and events with known ground truth.

    Args:
        n_customers: Number of customers.
        seed: Seed of the random generator; the same arguments give the same frames.
        start: First day of the simulated period.
        days: Length of the period; the end is ``as_of`` for profiling.
        issue_rate: Share of customers who hit a planted issue.
        background_problem_rate: Share with an ordinary, unplanted problem.
        base_churn: Churn probability without any issue.
        recurrence_rate: Share of affected customers whose problem recurs.
        texts_per_customer: Mean number of praise / inquiry texts per customer.
        issues: The planted issues (default :data:`DEFAULT_ISSUES`).
        corpus: Optionally mix in labelled texts from a corpus (a
            :func:`voc.datasets.load_frame` name such as ``"voc_zh"`` or a
            DataFrame with ``text`` and the gold columns); skipped with a warning
            when it is not available.
        corpus_rate: Corpus texts per customer (when ``corpus`` is given).
        problem_window_days: Problems start between ``problem_window_days`` and
            10 days before the end (default 150: the last five months). A longer
            window spreads problems over the history, e.g. for time-split churn
            models (:mod:`voc.churn`) trained on an earlier snapshot.
        churn_delay_days: ``(low, high)`` days between the start of a problem and
            the churn it leads to (uniform; capped at the end of the period).
        signal_cases: Add the hard cases of :func:`add_signal_hard_cases` (decoy
            signals, routine questions, churn without a problem, solved silent
            customers, drawn-out episodes); a mapping overrides their rates
            (:data:`SIGNAL_CASE_RATES`); ``False`` leaves them out.
        identity_cases: Also plant the identity hard cases of
            :func:`plant_identity_cases` (default settings, same seed).

    Returns:
        ``{"customers", "feedback", "contacts", "events", "truth", "text_truth"}``;
        see the module docstring for the truth columns. ``feedback`` has the
        columns of :func:`voc.analyze_frame` with gold values.
    """
    if n_customers < 1:
        raise ValueError("n_customers must be >= 1")
    if not 10 < problem_window_days <= days:
        raise ValueError("problem_window_days must be > 10 and <= days")
    if not 0 <= churn_delay_days[0] <= churn_delay_days[1]:
        raise ValueError("churn_delay_days must be (low, high) with 0 <= low <= high")
    rng = np.random.default_rng(seed)
    origin = pd.Timestamp(start)
    t_end = float(days)  # times are float days since ``start`` until the frames are built
    day = 1.0
    b = _Builder()

    names = list(ARCHETYPE_LEANS)
    shares = np.array([ARCHETYPE_LEANS[a][0] for a in names])
    arche = rng.choice(len(names), size=n_customers, p=shares / shares.sum())
    iw = np.array([i.weight for i in issues])
    ids = [f"C{i:06d}" for i in range(n_customers)]
    signup = rng.uniform(-3 * 365, days - 30, n_customers)

    truth_rows = []
    cust_rows = []
    for k, cid in enumerate(ids):
        lean = names[arche[k]]
        p_silent = ARCHETYPE_LEANS[lean][1]
        u = rng.random()
        issue_idx = -1
        background = False
        if u < issue_rate:
            issue_idx = int(rng.choice(len(issues), p=iw / iw.sum()))
        elif u < issue_rate + background_problem_rate:
            background = True
        has_problem = issue_idx >= 0 or background
        reason = None
        if lean in _REASONS_BY_ARCHETYPE and has_problem:
            opts = _REASONS_BY_ARCHETYPE[lean]
            reason = opts[int(rng.choice(len(opts), p=[w for _, w in opts]))][0]
        verified = bool(rng.random() < (0.3 if reason == "privacy_concern" else 0.88))
        cust_rows.append((cid, signup[k], verified))
        life_start = max(float(signup[k]), 0.0)

        t0 = t_end - float(rng.uniform(10, problem_window_days)) if has_problem else None
        if t0 is not None and t0 < life_start:
            t0 = life_start + day
        silent = bool(has_problem and rng.random() < (p_silent if issue_idx >= 0 else 0.65))
        contact_times: list[float] = []
        solved = False
        recurring = False
        churned = False
        churn_by_issue = False
        churn_at = None

        # unrelated inquiry contacts (before the problem, or anytime without one)
        if rng.random() < (0.1 if has_problem else 0.15):
            hi = (t0 - 20 * day) if has_problem else t_end
            if hi > life_start:
                ts = life_start + (hi - life_start) * float(rng.random())
                ch = _choice(rng, _CONTACT_CHANNELS)[0]
                b.contact(cid, ts, ch, "inquiry", True)
                contact_times.append(ts)

        if issue_idx >= 0:
            issue = issues[issue_idx]
            solved, recurring = _simulate_issue(
                rng, b, cid, lean, reason, issue, t0, t_end, silent, contact_times, recurrence_rate
            )
        elif background:
            solved = _simulate_background(rng, b, cid, lean, reason, t0, silent, contact_times)

        # churn
        lift = 0.0
        if issue_idx >= 0:
            lift = issues[issue_idx].churn_lift * (0.4 if solved else 1.0) * (1.2 if silent else 1.0)
        uc = rng.random()
        if uc < base_churn + lift:
            churned = True
            churn_by_issue = uc >= base_churn
            if has_problem:
                churn_at = min(t0 + float(rng.uniform(*churn_delay_days)), t_end - 0.5 * day)
            else:
                churn_at = t_end - float(rng.uniform(1, 365))
                churn_at = max(churn_at, life_start + day)
            b.event(cid, churn_at, "churn")
            if rng.random() < 0.2:
                b.text(
                    cid,
                    (churn_at - 0.2 * day),
                    _choice(rng, _PUBLIC_CHANNELS),
                    _choice(rng, _CHURN_TEXTS),
                    sentiment="negative",
                    score=-0.4,
                    emotion="resignation",
                    intent="cancel",
                    behaviors=["reduced_purchase"],
                    journey="unresolved",
                    stage="explicit_grumble",
                    kind="churn",
                )

        # orders (up to churn), NPS, praise / inquiry texts
        life_end = churn_at if churned else t_end
        span_days = max(life_end - life_start, 1.0)
        lam = float(np.exp(rng.normal(np.log(3.0), 0.6))) * span_days / 365.0
        n_orders = int(rng.poisson(lam))
        if issue_idx >= 0 or background:
            n_orders = max(n_orders, 1)
        offs = np.sort(rng.uniform(0, span_days, n_orders))
        amounts = np.round(np.exp(rng.normal(4.0, 0.8, n_orders)), 2)
        for off, amt in zip(offs, amounts, strict=True):
            b.event(cid, life_start + float(off), "order", amount=float(amt))
        if not has_problem and rng.random() < 0.25:
            ts = life_start + (life_end - life_start) * float(rng.random())
            b.event(cid, ts, "nps", score=float(rng.integers(7, 11)))
        # unhappy customers with an open problem do not post praise after it
        praise_end = t0 if has_problem and not solved else life_end
        for _ in range(int(rng.poisson(texts_per_customer))):
            if rng.random() < 0.6:
                ts = life_start + (max(praise_end, life_start) - life_start) * float(rng.random())
                b.text(
                    cid,
                    ts,
                    _choice(rng, _PUBLIC_CHANNELS),
                    _choice(rng, _PRAISE),
                    sentiment="positive",
                    score=float(rng.uniform(0.5, 0.95)),
                    emotion="delight",
                    intent="praise",
                    journey="resolved",
                    kind="praise",
                )
            else:
                ts = life_start + (life_end - life_start) * float(rng.random())
                b.text(
                    cid,
                    ts,
                    _choice(rng, ("app_review", "survey_verbatim", "forum")),
                    _choice(rng, _INQUIRY),
                    sentiment="neutral",
                    score=float(rng.uniform(-0.1, 0.1)),
                    emotion="neutral",
                    intent="inquiry",
                    journey="seeking_help",
                    kind="inquiry",
                )
        truth_rows.append(
            {
                "customer_id": cid,
                "has_problem": has_problem,
                "issue": issues[issue_idx].code if issue_idx >= 0 else None,
                "issue_id": issue_idx,
                "problem_start": t0,
                "silent": False,
                "contacted": False,
                "solved": solved if has_problem else None,
                "recurring": recurring,
                "churned": churned,
                "churn_caused_by_issue": churn_by_issue,
                "archetype_lean": lean,
                "reason": reason,
                "_contacts": contact_times,
            }
        )

    feedback = pd.DataFrame(b.feedback)
    corpus_df = _load_corpus(corpus)
    if corpus_df is not None and len(corpus_df):
        feedback = _mix_corpus(rng, feedback, corpus_df, ids, t_end, corpus_rate, truth_rows)

    grace = 7.0
    n_contacts = []
    for r in truth_rows:
        contacts = r.pop("_contacts")
        n_contacts.append(sum(c >= r["problem_start"] - grace for c in contacts) if r["has_problem"] else 0)
    truth = pd.DataFrame(truth_rows)
    truth["contacted"] = np.array(n_contacts) > 0
    truth["silent"] = truth["has_problem"] & ~truth["contacted"]
    solved_b = truth["solved"].fillna(False).astype(bool)
    truth["problem_level"] = np.select(
        [
            ~truth["has_problem"],
            solved_b & ~truth["recurring"],
            solved_b & truth["recurring"],
            np.array(n_contacts) >= 2,
        ],
        [0, 1, 2, 4],
        default=3,
    )

    def stamp(x: Any) -> Any:
        return origin + pd.to_timedelta(np.round(np.asarray(x, dtype=float) * 86400), unit="s")

    truth["problem_start"] = stamp(truth["problem_start"].astype(float))
    feedback["timestamp"] = stamp(feedback["timestamp"])
    feedback = feedback.sort_values("timestamp", kind="stable").reset_index(drop=True)
    text_truth = feedback[["_issue", "_kind"]].rename(columns={"_issue": "issue", "_kind": "kind"})
    feedback = feedback.drop(columns=["_issue", "_kind"])
    contacts = pd.DataFrame(b.contacts, columns=["customer_id", "channel", "timestamp", "topic", "resolved"])
    contacts["timestamp"] = stamp(contacts["timestamp"])
    contacts = contacts.sort_values("timestamp", kind="stable").reset_index(drop=True)
    events = pd.DataFrame(b.events, columns=["customer_id", "timestamp", "type", "amount", "score", "detail"])
    events["timestamp"] = stamp(events["timestamp"])
    events = events.sort_values(["timestamp", "customer_id"], kind="stable").reset_index(drop=True)
    customers = pd.DataFrame(cust_rows, columns=["customer_id", "signup_date", "verified"])
    customers["signup_date"] = stamp(customers["signup_date"])
    out = {
        "customers": customers,
        "feedback": feedback,
        "contacts": contacts,
        "events": events,
        "truth": truth,
        "text_truth": text_truth,
    }
    if signal_cases is not False:
        rates = dict(signal_cases) if isinstance(signal_cases, Mapping) else {}
        out = add_signal_hard_cases(out, seed=seed, end=origin + pd.Timedelta(days=days), issues=issues, **rates)
    return plant_identity_cases(out, seed=seed) if identity_cases else out


def _simulate_issue(
    rng: np.random.Generator,
    b: _Builder,
    cid: str,
    lean: str,
    reason: str | None,
    issue: PlantedIssue,
    t0: float,
    t_end: float,
    silent: bool,
    contact_times: list[float],
    recurrence_rate: float,
) -> tuple[bool, bool]:
    """One customer's experience of a planted issue. Returns (solved, recurring)."""
    day = 1.0
    sig_type, sig_detail = issue.signature
    observed = False
    if rng.random() < 0.75:
        amount = float(np.round(np.exp(rng.normal(4.0, 0.8)), 2)) if sig_type == "return" else np.nan
        b.event(cid, (t0 + float(rng.uniform(0, 2)) * day), sig_type, amount=amount, detail=sig_detail)
        observed = True
    if rng.random() < 0.4:
        score = float(rng.integers(0, 7)) if rng.random() < 0.8 else float(rng.integers(7, 9))
        b.event(cid, (t0 + float(rng.uniform(1, 7)) * day), "nps", score=score)
        observed = observed or score <= 6
    solved = False
    if silent:
        if rng.random() < 0.8:
            _silent_text(rng, b, cid, lean, reason, issue, t0 + float(rng.uniform(0, 7)) * day)
            observed = True
            solved = reason in _REASON_SOLVED
    else:
        solved = _vocal(rng, b, cid, issue, t0 + float(rng.uniform(0, 5)) * day, contact_times)
        observed = True
    if not observed and rng.random() < 0.98:
        b.event(cid, (t0 + float(rng.uniform(0, 2)) * day), sig_type, detail=sig_detail)
    recurring = False
    t1 = t0 + float(rng.uniform(20, 40)) * day
    if rng.random() < recurrence_rate and t1 < t_end - day:
        recurring = True
        solved = False
        b.event(cid, t1, sig_type, detail=sig_detail)
        if silent or rng.random() < 0.4:
            if rng.random() < 0.7:
                text, emotion, intent = _complaint_text(rng, issue)
                pre = _choice(rng, _RECURRED)
                b.text(
                    cid,
                    (t1 + 0.3 * day),
                    _choice(rng, _PUBLIC_CHANNELS),
                    pre + text,
                    sentiment="negative",
                    score=float(rng.uniform(-0.95, -0.5)),
                    emotion=emotion,
                    intent=intent,
                    stage="explicit_grumble",
                    aspects=issue.aspects,
                    journey="recurred",
                    issue=issue.code,
                    kind="recurred",
                )
        else:
            solved = _vocal(
                rng,
                b,
                cid,
                issue,
                t1 + float(rng.uniform(0, 3)) * day,
                contact_times,
                p_resolve=0.6,
                recurred=True,
            )
    return solved, recurring


def _silent_text(
    rng: np.random.Generator,
    b: _Builder,
    cid: str,
    lean: str,
    reason: str | None,
    issue: PlantedIssue,
    ts: float,
) -> None:
    text, emotion, intent = _complaint_text(rng, issue)
    reasons: list[str] = []
    evidence: dict[str, list[str]] = {}
    extra: dict[str, Any] = {}
    behaviors: list[str] = ["negative_review"] if text.endswith("差评") else []
    journey = "unresolved"
    channel = _choice(rng, _PUBLIC_CHANNELS)
    if reason is not None and rng.random() < 0.85:
        phrase = _choice(rng, _REASON_PHRASES[reason])
        text = f"{text}，{phrase}"
        reasons = [reason]
        evidence[reason] = [phrase]
        if reason in _REASON_SOLVED:
            journey = "resolved"
        if reason in ("let_it_go", "conflict_avoidance") and rng.random() < 0.7:
            emotion = "resignation"
    if lean in _STYLE and rng.random() < 0.85:
        phrase, labels = _STYLE[lean]
        text = f"{text}，{phrase}"
        extra = labels
        if lean == "叛逆者":
            channel = "weibo"
            evidence["word_of_mouth"] = [phrase]
        elif lean == "统治者":
            evidence["preachy"] = [phrase]
    b.text(
        cid,
        ts,
        channel,
        text,
        sentiment="negative",
        score=float(rng.uniform(-0.95, -0.5)),
        emotion=emotion,
        intent=extra.get("intent", intent),
        reasons=reasons,
        stage="explicit_grumble",
        behaviors=behaviors + extra.get("behaviors", []),
        aspects=issue.aspects,
        journey=journey,
        temperament=extra.get("temperament", "none"),
        evidence=evidence,
        issue=issue.code,
        kind="silent",
    )


def _vocal(
    rng: np.random.Generator,
    b: _Builder,
    cid: str,
    issue: PlantedIssue,
    ts: float,
    contact_times: list[float],
    p_resolve: float | None = None,
    recurred: bool = False,
) -> bool:
    """1-3 contacts about ``issue`` starting at ``ts``; returns whether the last one solved it."""
    day = 1.0
    n = int(rng.choice([1, 2, 3], p=[0.55, 0.3, 0.15]))
    if p_resolve is None:
        p_resolve = {1: 0.75, 2: 0.45, 3: 0.3}[n]
    resolved = bool(rng.random() < p_resolve)
    ch, fb_channel = _choice(rng, _CONTACT_CHANNELS)
    for j in range(n):
        last = j == n - 1
        ok = resolved and last
        b.contact(cid, ts, ch, issue.code, ok)
        contact_times.append(ts)
        if rng.random() < 0.9:
            text, emotion, intent = _complaint_text(rng, issue)
            if j == 0:
                pre = _choice(rng, _RECURRED) if recurred else _choice(rng, _VOCAL_OPEN)
                journey = "recurred" if recurred else "seeking_help"
            else:
                pre = _choice(rng, _VOCAL_AGAIN)
                journey, intent = "unresolved", "urge"
            stage = "complaint" if pre.startswith("我要投诉") else "explicit_grumble"
            ev = {"complaint": ["投诉"]} if stage == "complaint" else {}
            b.text(
                cid,
                ts - 10 / 1440,
                fb_channel,
                pre + text,
                sentiment="negative",
                score=float(rng.uniform(-0.95, -0.5)),
                emotion=emotion,
                intent=intent,
                stage=stage,
                behaviors=["direct_complaint"],
                aspects=issue.aspects,
                journey=journey,
                evidence=ev,
                issue=issue.code,
                kind="vocal",
            )
        if ok and rng.random() < 0.6:
            b.text(
                cid,
                (ts + float(rng.uniform(0.1, 2)) * day),
                _choice(rng, _PUBLIC_CHANNELS),
                _choice(rng, _RESOLVED),
                sentiment="positive",
                score=float(rng.uniform(0.3, 0.8)),
                emotion="delight",
                intent="praise",
                aspects=("customer_service",),
                journey="resolved",
                kind="resolution",
            )
        ts = ts + float(rng.uniform(2, 10)) * day
    return resolved


def _simulate_background(
    rng: np.random.Generator,
    b: _Builder,
    cid: str,
    lean: str,
    reason: str | None,
    t0: float,
    silent: bool,
    contact_times: list[float],
) -> bool:
    """An ordinary problem (return, low NPS or a generic bad review). Returns solved."""
    day = 1.0
    kind = rng.random()
    if kind < 0.4:
        b.event(
            cid,
            t0,
            "return",
            amount=float(np.round(np.exp(rng.normal(4.0, 0.8)), 2)),
            detail="not_as_expected",
        )
    elif kind < 0.6:
        b.event(cid, t0, "nps", score=float(rng.integers(0, 7)))
    else:
        text, emotion, aspects = _choice(rng, _BACKGROUND_NEG)
        b.text(
            cid,
            t0,
            _choice(rng, _PUBLIC_CHANNELS),
            text,
            sentiment="negative",
            score=float(rng.uniform(-0.8, -0.3)),
            emotion=emotion,
            intent="venting",
            stage="latent_grumble",
            aspects=aspects,
            journey="problem_found",
            kind="background",
        )
    if silent:
        return False
    ts = t0 + float(rng.uniform(0, 3)) * day
    resolved = bool(rng.random() < 0.8)
    b.contact(cid, ts, _choice(rng, _CONTACT_CHANNELS)[0], "other", resolved)
    contact_times.append(ts)
    return resolved


def _mix_corpus(
    rng: np.random.Generator,
    feedback: pd.DataFrame,
    corpus: pd.DataFrame,
    ids: list[str],
    t_end: float,
    rate: float,
    truth_rows: list[dict[str, Any]],
) -> pd.DataFrame:
    """Add labelled corpus texts as public posts of random customers; update their truth."""
    if "text" not in corpus.columns or "sentiment" not in corpus.columns:
        warnings.warn("corpus lacks 'text'/'sentiment' columns; not mixed in", stacklevel=3)
        return feedback
    n = min(int(round(rate * len(ids))), len(corpus))
    rows = corpus.iloc[np.sort(rng.choice(len(corpus), size=n, replace=False))]
    who = rng.integers(0, len(ids), size=n)
    when = t_end - rng.uniform(1, 150, n)
    add = pd.DataFrame(
        {
            "customer_id": [ids[i] for i in who],
            "channel": [
                c if c not in ("chat", "hotline_transcript") else "forum"
                for c in (rows["channel"] if "channel" in rows.columns else ["forum"] * n)
            ],
            "timestamp": when,
            "text": rows["text"].to_numpy(),
        }
    )
    for col in feedback.columns:
        if col in rows.columns and col not in add.columns:
            add[col] = rows[col].to_numpy()
    defaults = {
        "emotion": "neutral",
        "intent": "other",
        "complaint_stage": "none",
        "journey_stage": "problem_found",
        "temperament": "none",
    }
    for col in feedback.columns:
        if col not in add.columns and col in defaults:
            add[col] = defaults[col]
        elif col not in add.columns and col in ("non_complaint_reasons", "behaviors", "aspects"):
            add[col] = [[] for _ in range(n)]
    add["sentiment_score"] = add["sentiment"].map({"negative": -0.7, "neutral": 0.0, "positive": 0.7})
    add["error"] = None
    add["evidence"] = [{} for _ in range(n)]
    add["_issue"] = None
    add["_kind"] = "corpus"
    for i, w, s in zip(who, when, add["sentiment"], strict=True):
        if s == "negative":
            r = truth_rows[i]
            if not r["has_problem"] or w < r["problem_start"]:
                r["problem_start"] = w
            r["has_problem"] = True
            if r["solved"] is None:
                r["solved"] = False
    return pd.concat([feedback, add[feedback.columns]], ignore_index=True)


# --- issue-discovery hard cases (#14): background texts of another domain, synonyms, generic negativity
#: Per planted issue, ``(word, replacements)``: a rewritten text says the same thing in other words.
_ISSUE_SYNONYMS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "parcel_lost": (("快递员", ("配送员", "送货员")), ("快递公司", ("物流公司",)), ("快递", ("包裹", "快件", "物流"))),
    "refund_delay": (("退款", ("退的钱", "退钱", "退费")),),
    "app_crash": (("闪退", ("崩溃", "秒退", "自动退出")), ("app", ("APP", "软件", "客户端"))),
    "hotline_unreachable": (("客服电话", ("热线电话", "400电话")), ("人工客服", ("人工", "真人客服"))),
    "unclear_charge": (("扣费", ("扣钱", "扣款", "乱收费")),),
    "auto_renewal": (("自动续费", ("自动续订", "连续包月")),),
    "delivery_late_wrong": (("外卖", ("订的餐", "点的餐")), ("骑手", ("外卖小哥", "配送小哥"))),
}
#: Generic negativity every complaint may carry, whatever its issue.
_GENERIC_NEGATIVE = ("，太差了", "，垃圾", "，非常失望", "，垃圾平台", "，体验极差", "，差评差评", "，坑人", "，太失望了")


def add_issue_hard_cases(
    history: dict[str, pd.DataFrame],
    background_texts: Sequence[str] = (),
    *,
    background_rate: float = 0.15,
    synonym_rate: float = 0.3,
    generic_rate: float = 0.3,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """Hard cases for issue discovery, added to a :func:`generate_history` output.

    * ``background_rate * n_customers`` anonymous negative posts drawn from
      ``background_texts`` (e.g. real hotel reviews or bank-forum complaints: another
      domain, no planted issue; ``text_truth.kind == "background_domain"``);
    * ``synonym_rate`` of the planted-issue texts say it with a synonym (快递 -> 包裹 /
      快件 / 物流, 退款 -> 退钱, 闪退 -> 崩溃 ...), so one issue has several wordings;
    * ``generic_rate`` of the planted-issue and background texts end with generic
      negativity (太差了, 垃圾, 非常失望 ...) that says nothing about the issue.

    Args:
        history: Output of :func:`generate_history` (not modified).
        background_texts: Negative texts of another domain (the package ships none: pass
            them, e.g. from ``corpora/``); empty adds no background post.
        background_rate: Background posts per customer.
        synonym_rate: Share of planted-issue texts rewritten with a synonym.
        generic_rate: Share of texts given a generic negative ending.
        seed: Seed of the random generator.

    Returns:
        A new history dict; ``feedback`` and ``text_truth`` stay row-aligned (sorted by time).
    """
    rng = np.random.default_rng(seed)
    fb = history["feedback"].copy()
    tt = history["text_truth"].copy()
    texts = fb["text"].astype(str).tolist()
    for i in np.flatnonzero(tt["issue"].notna().to_numpy()):
        t = texts[i]
        if rng.random() < synonym_rate:
            for word, alts in _ISSUE_SYNONYMS.get(str(tt["issue"].iat[i]), ()):
                if word in t:
                    t = t.replace(word, _choice(rng, alts))
                    break
        if rng.random() < generic_rate:
            t = t + _choice(rng, _GENERIC_NEGATIVE)
        texts[i] = t
    fb["text"] = texts
    pool = [str(t) for t in background_texts if str(t).strip()]
    n = int(round(background_rate * history["truth"].shape[0])) if pool else 0
    if n:
        end = fb["timestamp"].max()
        picked = [pool[j] for j in rng.integers(0, len(pool), n)]
        picked = [t + _choice(rng, _GENERIC_NEGATIVE) if rng.random() < generic_rate else t for t in picked]
        add = pd.DataFrame(
            {
                "customer_id": None,
                "channel": [_choice(rng, _PUBLIC_CHANNELS) for _ in range(n)],
                "timestamp": end - pd.to_timedelta(rng.uniform(1, 150, n), unit="D"),
                "text": picked,
                "sentiment": "negative",
                "sentiment_score": np.round(rng.uniform(-0.9, -0.3, n), 3),
                "emotion": "disappointment",
                "intent": "venting",
                "complaint_stage": "latent_grumble",
                "journey_stage": "problem_found",
                "temperament": "none",
                "error": None,
            }
        )
        for col in ("non_complaint_reasons", "behaviors", "aspects"):
            add[col] = [[] for _ in range(n)]
        add["evidence"] = [{} for _ in range(n)]
        fb = pd.concat([fb, add[fb.columns]], ignore_index=True)
        tt = pd.concat([tt, pd.DataFrame({"issue": [None] * n, "kind": "background_domain"})], ignore_index=True)
    order = np.argsort(fb["timestamp"].to_numpy(), kind="stable")
    out = dict(history)
    out["feedback"] = fb.iloc[order].reset_index(drop=True)
    out["text_truth"] = tt.iloc[order].reset_index(drop=True)
    return out


# --- silent-customer / problem-level hard cases (#14): decoys, routine questions, quiet churn,
# --- solved silent customers, drawn-out episodes
#: Default rates of :func:`add_signal_hard_cases` (``generate_history(signal_cases=True)``).
SIGNAL_CASE_RATES: dict[str, float] = {
    "decoy_rate": 0.12,
    "routine_question_rate": 0.15,
    "question_negative_share": 0.38,
    "quiet_churn_rate": 0.04,
    "silent_solved_rate": 0.5,
    "long_episode_rate": 0.3,
    "unsolved_keep_ordering": 0.1,
}
#: Return reasons that are not a problem (the decoy returns use these or no detail at all).
BENIGN_RETURN_DETAILS: tuple[str, ...] = ("changed_mind", "size_exchange", "no_reason_7d", "ordered_by_mistake")
_ROUTINE_QUESTIONS = (
    "请问发票在哪里开，找了半天没找到",
    "会员积分怎么兑换啊，看不懂",
    "退货地址在哪里看？",
    "怎么修改收货地址，急",
    "这个优惠券为什么不能和满减一起用？",
    "怎么绑定新的银行卡，老卡不用了",
    "订单能不能改成自提，来不及了",
    "有没有学生优惠？",
    "历史订单怎么查不到以前的了？",
    "换手机号了怎么改绑定",
)
_FOLLOW_UPS = (
    "等了快一个月了，还是没弄好",
    "过了好几周了，还是老样子",
    "到现在还没处理完，一直拖着",
    "还在等，进度一点都没有",
)
_SOLVED_FOLLOW_UPS = (
    "后来自己弄好了，没事了",
    "问题后来好了，继续用",
    "已经好了，这次就算了，还会回购",
    "后来正常了，还行",
)


def _last_signal_times(fb: pd.DataFrame, ev: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """Per problem customer, the last negative text or non-order, non-churn event from ``problem_start`` on."""
    start = truth["problem_start"]
    neg = fb.loc[fb["sentiment"] == "negative", ["customer_id", "timestamp"]]
    sig = ev.loc[~ev["type"].isin(["order", "churn"]), ["customer_id", "timestamp"]]
    both = pd.concat([neg, sig], ignore_index=True)
    both = both[both["customer_id"].isin(start.index)]
    both = both[both["timestamp"].to_numpy() >= start.reindex(both["customer_id"]).to_numpy()]
    last = both.groupby("customer_id")["timestamp"].max()
    return last.reindex(start.index).fillna(start)


def _text_row(cid: str, ts: pd.Timestamp, text: str, **labels: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "customer_id": cid,
        "channel": labels.pop("channel", "app_review"),
        "timestamp": ts,
        "text": text,
        "sentiment": "neutral",
        "sentiment_score": 0.0,
        "emotion": "neutral",
        "intent": "other",
        "non_complaint_reasons": [],
        "complaint_stage": "none",
        "behaviors": [],
        "aspects": [],
        "journey_stage": "none",
        "temperament": "none",
        "error": None,
        "evidence": {},
    }
    row.update(labels)
    return row


def _truth_levels(truth: pd.DataFrame, contacts: pd.DataFrame, grace_days: float = 7.0) -> pd.Series:
    """The truth ``problem_level`` (seed 001 rule) from the truth columns and the contacts table."""
    start = truth["problem_start"].reindex(contacts["customer_id"]).to_numpy()
    after = contacts["timestamp"].to_numpy() >= start - np.timedelta64(int(grace_days * 86400), "s")
    n = contacts.loc[after, "customer_id"].value_counts().reindex(truth.index, fill_value=0)
    n = n.where(truth["has_problem"], 0)
    from voc.customers import problem_level_rule

    level = problem_level_rule(
        truth["has_problem"], truth["solved"].fillna(False), truth["recurring"], n.to_numpy()
    )
    return pd.Series(level, index=truth.index)


def add_signal_hard_cases(
    history: dict[str, pd.DataFrame],
    *,
    seed: int = 0,
    end: Any = None,
    issues: Sequence[PlantedIssue] = DEFAULT_ISSUES,
    **rates: float,
) -> dict[str, pd.DataFrame]:
    """Hard cases for the silent flag and the problem level, added to a :func:`generate_history` output.

    Each case has a truth column (``truth``) and a ``text_truth.kind`` for its texts:

    * **decoys** (``decoy_rate`` of the customers without a problem): one benign
      return (detail in :data:`BENIGN_RETURN_DETAILS` or none) or one NPS score of
      2-6; ``truth.decoy`` = ``"benign_return"`` / ``"low_nps"``; no problem.
    * **routine questions** (``routine_question_rate`` of all customers): a question
      (发票在哪开 ...), labelled negative with a weak score for
      ``question_negative_share`` of them, as the analyzer does;
      ``truth.routine_questions`` counts them; kind ``routine_question``.
    * **churn without a problem** (``quiet_churn_rate`` of the customers without a
      problem): a churn event (activity after it removed), sometimes a farewell text;
      ``truth.churn_without_problem`` (also true for the base churners without a problem).
    * **drawn-out episodes** (``long_episode_rate`` of the unsolved, non-recurring
      planted-issue customers): 1-2 follow-ups 15-28 days apart (the issue's event again,
      a text restating the problem + 还是没弄好 for 60 %), one episode; ``truth.long_episode``; kind ``follow_up``.
    * **solved silent customers** (``silent_solved_rate`` of the silent, unsolved,
      non-recurring planted-issue customers who did not churn): a later order 7-45
      days after the last signal (85 %) and/or a positive follow-up text (40 %);
      ``truth.solved`` becomes true, ``truth.solved_by`` = ``"order"``, ``"text"`` or
      ``"order+text"``; kind ``solved_follow_up``.
    * customers whose problem stays **unsolved** stop ordering after it, except
      ``unsolved_keep_ordering`` of them.

    ``truth.problem_level`` is recomputed. Draws come from their own generator
    (``seed``), so the base history is the same with or without these cases.

    Args:
        history: Output of :func:`generate_history` (not modified).
        seed: Seed of the random generator.
        end: End of the period (default: the latest timestamp in the history).
        issues: The planted issues of ``history`` (for the follow-up events).
        **rates: Overrides of :data:`SIGNAL_CASE_RATES`.

    Returns:
        A new history dict with the same keys.

    Raises:
        ValueError: An unknown rate name or a rate outside [0, 1].
    """
    bad = [k for k in rates if k not in SIGNAL_CASE_RATES]
    if bad:
        raise ValueError(f"unknown hard-case rate(s) {bad}; valid: {sorted(SIGNAL_CASE_RATES)}")
    r = {**SIGNAL_CASE_RATES, **rates}
    out_of_range = [k for k, v in r.items() if not 0 <= float(v) <= 1]
    if out_of_range:
        raise ValueError(f"hard-case rates must be in [0, 1]: {out_of_range}")
    rng = np.random.default_rng([int(seed), 14])
    fb = history["feedback"].copy()
    tt = history["text_truth"].copy()
    ev = history["events"].copy()
    ct = history["contacts"]
    truth = history["truth"].set_index("customer_id")
    cust = history["customers"].set_index("customer_id")
    if end is None:
        end = max(fb["timestamp"].max(), ev["timestamp"].max(), ct["timestamp"].max())
    end = pd.Timestamp(end)
    day = pd.Timedelta(days=1)
    life_start = cust["signup_date"].reindex(truth.index).clip(lower=ev["timestamp"].min()).fillna(end - 365 * day)
    churn_at = ev[ev["type"] == "churn"].groupby("customer_id")["timestamp"].min()
    by_code = {i.code: i for i in issues}
    new_fb: list[dict[str, Any]] = []
    new_kind: list[tuple[Any, str]] = []
    new_ev: list[tuple[Any, ...]] = []
    drop_ev = np.zeros(len(ev), dtype=bool)
    drop_fb = np.zeros(len(fb), dtype=bool)

    def text(cid: str, ts: pd.Timestamp, body: str, kind: str, issue: str | None = None, **labels: Any) -> None:
        new_fb.append(_text_row(cid, ts, body, **labels))
        new_kind.append((issue, kind))

    def pick(mask: pd.Series, rate: float) -> list[str]:
        ids = mask.index[mask.to_numpy()]
        return [c for c in ids if rng.random() < rate]

    has_problem = truth["has_problem"].astype(bool)
    solved = truth["solved"].fillna(False).astype(bool)
    recurring = truth["recurring"].astype(bool)
    churned = truth["churned"].astype(bool)
    planted = truth["issue"].notna()
    truth["decoy"] = None
    truth["routine_questions"] = 0
    truth["long_episode"] = False
    truth["solved_by"] = None

    # drawn-out episodes: follow-ups 15-28 days apart, still one episode
    last = _last_signal_times(fb, ev, truth[has_problem])
    for cid in pick(planted & ~solved & ~recurring & ~churned, r["long_episode_rate"]):
        issue = by_code.get(str(truth.at[cid, "issue"]))
        ts = last[cid]
        added = False
        for _ in range(int(rng.integers(1, 3))):
            ts = ts + float(rng.uniform(15, 28)) * day
            if ts >= end - day:
                break
            if issue is not None:
                new_ev.append((cid, ts, issue.signature[0], np.nan, np.nan, issue.signature[1]))
            if rng.random() < 0.6 or issue is None:
                body = _choice(rng, _FOLLOW_UPS)
                if issue is not None:  # a follow-up restates the problem
                    body = f"{_choice(rng, issue.texts)[0]}，{body}"
                text(
                    cid, ts + 0.2 * day, body, "follow_up", truth.at[cid, "issue"],
                    channel=_choice(rng, _PUBLIC_CHANNELS), sentiment="negative",
                    sentiment_score=round(float(rng.uniform(-0.9, -0.5)), 3), emotion="impatience",
                    intent="urge", complaint_stage="explicit_grumble", journey_stage="in_progress",
                    aspects=list(issue.aspects) if issue is not None else [],
                )
            last[cid] = ts + 0.2 * day
            added = True
        truth.at[cid, "long_episode"] = added

    # solved silent customers: a later order and/or a positive follow-up text
    for cid in pick(planted & truth["silent"].astype(bool) & ~solved & ~recurring & ~churned, r["silent_solved_rate"]):
        ts = last[cid] + float(rng.uniform(7, 45)) * day
        if ts >= end - day:
            continue
        u = rng.random()
        how = "order" if u < 0.6 else ("order+text" if u < 0.85 else "text")
        if "order" in how:
            new_ev.append((cid, ts, "order", float(np.round(np.exp(rng.normal(4.0, 0.8)), 2)), np.nan, None))
        if "text" in how:
            text(
                cid, ts - float(rng.uniform(0, 3)) * day, _choice(rng, _SOLVED_FOLLOW_UPS), "solved_follow_up",
                channel=_choice(rng, _PUBLIC_CHANNELS), sentiment="positive",
                sentiment_score=round(float(rng.uniform(0.3, 0.8)), 3), emotion="delight", intent="praise",
                journey_stage="resolved",
            )
        truth.at[cid, "solved"] = True
        truth.at[cid, "solved_by"] = how
    solved = truth["solved"].fillna(False).astype(bool)

    # unsolved problems: the customer stops ordering after the problem (most of the time)
    stop = [c for c in truth.index[has_problem & ~solved] if rng.random() >= r["unsolved_keep_ordering"]]
    if stop:
        start = truth["problem_start"].reindex(ev["customer_id"]).to_numpy()
        is_stop = ev["customer_id"].isin(stop).to_numpy()
        drop_ev |= is_stop & (ev["type"] == "order").to_numpy() & (ev["timestamp"].to_numpy() > start)

    # churn without a problem: activity after the churn is removed
    quiet = pick(~has_problem & ~churned, r["quiet_churn_rate"])
    if quiet:
        when = {}
        for cid in quiet:
            lo = max(life_start[cid] + day, end - 365 * day)
            when[cid] = lo + (end - 0.5 * day - lo) * float(rng.random())
            new_ev.append((cid, when[cid], "churn", np.nan, np.nan, None))
            if rng.random() < 0.25:
                text(
                    cid, when[cid] - 0.2 * day, _choice(rng, _CHURN_TEXTS), "churn",
                    channel=_choice(rng, _PUBLIC_CHANNELS), sentiment="negative", sentiment_score=-0.4,
                    emotion="resignation", intent="cancel", behaviors=["reduced_purchase"],
                    journey_stage="unresolved", complaint_stage="explicit_grumble",
                )
        cut = pd.Series(when)
        t_ev = cut.reindex(ev["customer_id"]).to_numpy()
        drop_ev |= ev["timestamp"].to_numpy() > t_ev
        t_fb = cut.reindex(fb["customer_id"]).to_numpy()
        drop_fb |= fb["timestamp"].to_numpy() > t_fb
        churn_at = pd.concat([churn_at, cut])
        truth.loc[quiet, "churned"] = True
        truth.loc[quiet, "churn_caused_by_issue"] = False
    # decoys: one benign return or one lukewarm NPS score, no problem
    for cid in pick(~has_problem, r["decoy_rate"]):
        lo = life_start[cid]
        hi = churn_at.get(cid, end)
        ts = lo + (max(hi, lo) - lo) * float(rng.random())
        if rng.random() < 0.5:
            detail = _choice(rng, (*BENIGN_RETURN_DETAILS, None))
            new_ev.append((cid, ts, "return", float(np.round(np.exp(rng.normal(4.0, 0.8)), 2)), np.nan, detail))
            truth.at[cid, "decoy"] = "benign_return"
        else:
            new_ev.append((cid, ts, "nps", np.nan, float(rng.integers(2, 7)), None))
            truth.at[cid, "decoy"] = "low_nps"

    # routine questions, some labelled negative (weakly), as the analyzer does
    for cid in pick(pd.Series(True, index=truth.index), r["routine_question_rate"]):
        lo = life_start[cid]
        hi = churn_at.get(cid, end)
        ts = lo + (max(hi, lo) - lo) * float(rng.random())
        neg = rng.random() < r["question_negative_share"]
        text(
            cid, ts, _choice(rng, _ROUTINE_QUESTIONS), "routine_question",
            channel=_choice(rng, ("app_review", "survey_verbatim", "forum")),
            sentiment="negative" if neg else "neutral",
            sentiment_score=round(float(rng.uniform(-0.45, -0.15) if neg else rng.uniform(-0.1, 0.1)), 3),
            emotion="impatience" if neg else "neutral", intent="inquiry", journey_stage="seeking_help",
        )
        truth.at[cid, "routine_questions"] += 1

    truth["churn_without_problem"] = truth["churned"].astype(bool) & ~has_problem

    fb = fb[~drop_fb]
    tt = tt[~drop_fb]
    if new_fb:
        fb = pd.concat([fb, pd.DataFrame(new_fb)[fb.columns]], ignore_index=True)
        tt = pd.concat([tt, pd.DataFrame(new_kind, columns=["issue", "kind"])], ignore_index=True)
    order = np.argsort(fb["timestamp"].to_numpy(), kind="stable")
    ev = ev[~drop_ev]
    if new_ev:
        ev = pd.concat([ev, pd.DataFrame(new_ev, columns=ev.columns)], ignore_index=True)
    ev = ev.sort_values(["timestamp", "customer_id"], kind="stable").reset_index(drop=True)
    truth["problem_level"] = _truth_levels(truth, ct)
    out = dict(history)
    out["feedback"] = fb.iloc[order].reset_index(drop=True)
    out["text_truth"] = tt.iloc[order].reset_index(drop=True)
    out["events"] = ev
    out["truth"] = truth.reset_index()
    return out


# --------------------------------------------------------------------------- identity hard cases (#14)
_PHONE_PREFIXES = tuple(str(p) for p in (*range(130, 140), *range(150, 160), *range(180, 190), 166, 177, 199))
_PHONE_FORMS = ("手机{}", "电话：{}", "（{}）", "手机号:{}", "联系电话 {}", "{}")
_TAIL_FORMS = ("尾号{}", "手机尾号：{}", "尾号 {}", "手机尾号{}")
_ORDER_FORMS = ("订单号:{}", "订单号：{}", "单号 {}", "订单编号：{}", "运单号{}", "单号：{}", "订单号 {}")


def _masked(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def plant_identity_cases(
    history: dict[str, pd.DataFrame],
    *,
    seed: int = 0,
    anonymous_rate: float = 0.3,
    repeat_rate: float = 0.2,
    decoy_rate: float = 0.15,
    late_recurrence_rate: float = 0.15,
    float_order_ids: bool = True,
    masked_phone_column: bool = True,
    drop_event_detail: bool = False,
) -> dict[str, pd.DataFrame]:
    """Plant the identity hard cases of cross-channel dedup into a :func:`generate_history` output.

    * Every customer gets a phone; the master table holds it masked in a
      ``phone_masked`` column (``138****5678``; ``masked_phone_column=False``: full, as ``phone``).
      Orders get a 16-digit numeric ``order_id``, held in a **float** column when
      ``float_order_ids`` (what ``pd.read_csv`` gives for numbers with gaps).
    * **Anonymous posts**: for ``anonymous_rate`` of the customers with a
      planted-issue text in a public channel, that text is posted again without
      ``customer_id`` in another public channel 1-72 h later, with one hint: a masked
      phone in the text (``手机138****5678``, ``电话：138****5678`` ...), a phone tail
      in the text (``尾号1234`` ...), an order number in the text (``订单号:``,
      ``订单号：``, ``单号 ``, ``订单编号：``, ``运单号`` ...), a ``phone_masked``
      column or an ``order_id`` column. ``repeat_rate`` of those post a second
      time, anonymously again, with the same masked phone in the text.
    * **Decoys**: ``decoy_rate`` x that many anonymous posts by people who are not
      customers (unknown masked phone, tail or order number), with texts copied
      from customers: they must not be linked.
    * **Late recurrences**: ``late_recurrence_rate`` of the customers with a
      planted-issue text see the same problem again 61-150 days later (the
      issue's event signature and a "又出问题了" text); it is the same problem,
      one repair item.
    * ``drop_event_detail``: the events lose their ``detail`` column (the issue
      signature is then only an event type such as ``self_service_fail``).

    Args:
        history: Output of :func:`generate_history` (not modified).
        seed: Random seed.
        anonymous_rate: Share of eligible customers who post anonymously.
        repeat_rate: Share of the anonymous posters who post a second time.
        decoy_rate: Decoy posts per anonymous post.
        late_recurrence_rate: Share of planted-issue customers with a late recurrence.
        float_order_ids: Keep ``order_id`` as float64 (events and feedback).
        masked_phone_column: Customers' phones masked in ``phone_masked`` (else ``phone``).
        drop_event_detail: Remove the ``detail`` column of the events.

    Returns:
        A new dict with the same keys plus ``identity_truth``: one row per added
        feedback row -- ``row`` (feedback index), ``customer_id`` (the true one,
        ``None`` for decoys), ``original_row``, ``kind`` (``anonymous`` |
        ``anonymous_again`` | ``decoy`` | ``late_recurrence``), ``hint``.
        ``text_truth`` gets the added rows (planted issue, ``kind``); ``truth``
        marks late recurrences as ``recurring`` and not ``solved``.
    """
    rng = np.random.default_rng(seed)
    out = {k: v.copy() for k, v in history.items()}
    cu, ev, fb, tt = out["customers"], out["events"], out["feedback"], out["text_truth"]
    phones = [f"{_choice(rng, _PHONE_PREFIXES)}{int(rng.integers(0, 10**8)):08d}" for _ in range(len(cu))]
    if masked_phone_column:
        cu["phone_masked"] = [_masked(p) for p in phones]
    else:
        cu["phone"] = phones
    phone_of = dict(zip(cu["customer_id"], phones, strict=True))
    is_order = (ev["type"] == "order").to_numpy()
    oids = [
        f"{int(rng.integers(2023, 2025))}{int(rng.integers(10**11, 10**12))}"
        for _ in range(int(is_order.sum()))
    ]
    col = np.full(len(ev), np.nan) if float_order_ids else np.full(len(ev), None, dtype=object)
    col[is_order] = [float(o) for o in oids] if float_order_ids else oids
    ev["order_id"] = col
    first_order = dict(
        zip(ev.loc[is_order, "customer_id"][::-1], np.array(oids, dtype=object)[::-1], strict=True)
    )
    end = max(ev["timestamp"].max(), fb["timestamp"].max())
    for c in ("phone_masked", "order_id"):
        fb[c] = np.nan if (c == "order_id" and float_order_ids) else None

    planted = tt["issue"].notna() & fb["customer_id"].notna() & (fb["sentiment"] == "negative")
    public = planted & fb["channel"].isin(_PUBLIC_CHANNELS)
    first = fb[public].groupby("customer_id", sort=False).head(1)
    add: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    add_tt: list[dict[str, Any]] = []

    def post(r: pd.Series, row: int, cid: str | None, kind: str, hint: str, **changes: Any) -> None:
        new = r.to_dict()
        new.update(customer_id=None, phone_masked=None, order_id=None)
        new.update(changes)
        add.append(new)
        truth.append({"customer_id": cid, "original_row": row, "kind": kind, "hint": hint})
        add_tt.append({"issue": tt.at[row, "issue"], "kind": kind})

    def repost_time(r: pd.Series) -> pd.Timestamp:
        return min(r["timestamp"] + pd.Timedelta(hours=float(rng.uniform(1, 72))), end)

    hints = ("phone_text", "tail_text", "order_text", "phone_column", "order_column")
    pick = first.iloc[np.flatnonzero(rng.random(len(first)) < anonymous_rate)]
    for row, r in pick.iterrows():
        cid = str(r["customer_id"])
        phone, order = phone_of[cid], first_order.get(cid)
        h = str(_choice(rng, hints))
        if h.startswith("order") and order is None:
            h = "phone_text"
        text = str(r["text"])
        ch = str(_choice(rng, [c for c in _PUBLIC_CHANNELS if c != r["channel"]]))
        extra: dict[str, Any] = {}
        if h == "phone_text":
            text = f"{text}，{_choice(rng, _PHONE_FORMS).format(_masked(phone))}"
        elif h == "tail_text":
            text = f"{text}，{_choice(rng, _TAIL_FORMS).format(phone[-4:])}"
        elif h == "order_text":
            text = f"{_choice(rng, _ORDER_FORMS).format(order)}，{text}"
        elif h == "phone_column":
            extra["phone_masked"] = _masked(phone)
        else:
            extra["order_id"] = float(order) if float_order_ids else order
        post(r, row, cid, "anonymous", h, text=text, channel=ch, timestamp=repost_time(r), **extra)
        if rng.random() < repeat_rate:
            text2 = f"{r['text']}，{_choice(rng, _PHONE_FORMS).format(_masked(phone))}"
            ch2 = str(_choice(rng, [c for c in _PUBLIC_CHANNELS if c not in (ch, r["channel"])]))
            post(
                r,
                row,
                cid,
                "anonymous_again",
                "phone_text",
                text=text2,
                channel=ch2,
                timestamp=repost_time(r),
            )
    n_decoy = int(round(decoy_rate * len(pick)))
    src = (
        fb[planted].iloc[rng.integers(0, int(planted.sum()), n_decoy)]
        if n_decoy and planted.any()
        else fb.iloc[:0]
    )
    for row, r in src.iterrows():
        h = str(_choice(rng, ("phone_text", "tail_text", "order_text")))
        fake = f"{_choice(rng, _PHONE_PREFIXES)}{int(rng.integers(0, 10**8)):08d}"
        if h == "phone_text":
            text = f"{r['text']}，{_choice(rng, _PHONE_FORMS).format(_masked(fake))}"
        elif h == "tail_text":
            text = f"{r['text']}，{_choice(rng, _TAIL_FORMS).format(fake[-4:])}"
        else:
            text = f"{_choice(rng, _ORDER_FORMS).format(int(rng.integers(10**15, 9 * 10**15)))}，{r['text']}"
        post(
            r,
            row,
            None,
            "decoy",
            h,
            text=text,
            channel=str(_choice(rng, _PUBLIC_CHANNELS)),
            timestamp=repost_time(r),
        )

    by_code = {i.code: i for i in DEFAULT_ISSUES}
    firsts = fb[planted].groupby("customer_id", sort=False).head(1)
    late = firsts.iloc[np.flatnonzero(rng.random(len(firsts)) < late_recurrence_rate)]
    new_events = []
    recurred: list[str] = []
    for row, r in late.iterrows():
        issue = by_code.get(str(tt.at[row, "issue"]))
        ts = r["timestamp"] + pd.Timedelta(days=float(rng.uniform(61, 150)))
        if issue is None or ts >= end:
            continue
        cid = str(r["customer_id"])
        core, emotion, intent = _complaint_text(rng, issue)
        new_events.append(
            {
                "customer_id": cid,
                "timestamp": ts - pd.Timedelta(hours=6),
                "type": issue.signature[0],
                "detail": issue.signature[1],
            }
        )
        post(
            r,
            row,
            cid,
            "late_recurrence",
            "id",
            customer_id=cid,
            text=_choice(rng, _RECURRED) + core,
            channel=str(_choice(rng, _PUBLIC_CHANNELS)),
            timestamp=ts,
            emotion=emotion,
            intent=intent,
            journey_stage="recurred",
            evidence={},
        )
        recurred.append(cid)
    if add:
        start = len(fb)
        fb = pd.concat([fb, pd.DataFrame(add, columns=fb.columns)], ignore_index=True)
        tt = pd.concat([tt, pd.DataFrame(add_tt, columns=tt.columns)], ignore_index=True)
        if float_order_ids:
            fb["order_id"] = fb["order_id"].astype(float)
    else:
        start = len(fb)
    if new_events:
        ev = pd.concat([ev, pd.DataFrame(new_events)], ignore_index=True)
        ev = ev.sort_values(["timestamp", "customer_id"], kind="stable").reset_index(drop=True)
    if drop_event_detail and "detail" in ev.columns:
        ev = ev.drop(columns="detail")
    t = out["truth"]
    m = t["customer_id"].isin(recurred)
    t.loc[m, "recurring"] = True
    t.loc[m, "solved"] = False
    t.loc[m & t["problem_level"].isin([1, 2]), "problem_level"] = 3
    ident = pd.DataFrame(truth, columns=["customer_id", "original_row", "kind", "hint"])
    ident.insert(0, "row", np.arange(start, start + len(ident)))
    out.update(customers=cu, events=ev, feedback=fb, text_truth=tt, truth=t, identity_truth=ident)
    return out
