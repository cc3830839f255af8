"""Hard cases for issue discovery: background-domain posts, synonyms, generic negativity."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from voc.synthetic.texts import _PUBLIC_CHANNELS, _choice

__all__ = ["add_issue_hard_cases"]


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
