"""Evaluation of the repair queue's identity merging: :func:`plant_duplicates`, :func:`dedup_scores`.

Cross-channel duplicates are planted in :func:`voc.synthetic.generate_history` output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from voc.customers import CONTACT_FEEDBACK_CHANNELS

__all__ = [
    "plant_duplicates",
    "dedup_scores",
]


# --------------------------------------------------------------------------- evaluation
def plant_duplicates(
    history: dict[str, pd.DataFrame],
    *,
    rate: float = 0.3,
    decoy_rate: float = 0.1,
    shared_nickname_rate: float = 0.05,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """Add anonymous cross-channel duplicates with identity hints to a synthetic history.

    Every customer gets a phone number and a nickname (``shared_nickname_rate``
    of them share a nickname with another customer, so that a nickname alone is
    ambiguous); orders get an ``order_id``. For ``rate`` of the customers with a
    negative text, one of those texts is reposted *without* ``customer_id`` in
    another public channel, with one identity hint drawn from: order number
    (column), masked phone ``138****1234`` (column), nickname (column), phone
    tail in the text (``手机尾号1234``), order number in the text, or a nickname
    plus the phone tail. ``decoy_rate`` × that many anonymous posts come from
    people who are not customers (unknown phone / nickname), with texts copied
    from customers: they must not be linked.

    Args:
        history: Output of :func:`voc.synthetic.generate_history`.
        rate: Share of customers with a negative text who get a duplicate.
        decoy_rate: Decoys per duplicate.
        shared_nickname_rate: Share of customers whose nickname is shared.
        seed: Random seed.

    Returns:
        A new dict with ``customers`` (+ ``phone``, ``nickname``), ``events``
        (+ ``order_id``), ``feedback`` (+ ``phone``, ``nickname``, ``order_id``,
        anonymous rows appended) and ``duplicates``: per appended row, ``row``
        (its feedback index), ``customer_id`` (the true one, ``None`` for
        decoys), ``original_row`` and ``hint``. The other frames are copied.
    """
    rng = np.random.default_rng(seed)
    out = {k: v.copy() for k, v in history.items()}
    cu = out["customers"]
    n = len(cu)
    prefixes = [str(p) for p in (*range(130, 140), *range(150, 160), *range(180, 190), 166, 177, 199)]
    phones = [f"{rng.choice(prefixes)}{rng.integers(0, 10**8):08d}" for _ in range(n)]
    nicks = [f"用户{rng.integers(0, 10**7):07d}" for _ in range(n)]
    shared = rng.choice(n, size=int(shared_nickname_rate * n) // 2 * 2, replace=False)
    for a, b in zip(shared[::2], shared[1::2], strict=True):
        nicks[b] = nicks[a]
    cu["phone"], cu["nickname"] = phones, nicks
    ev = out["events"]
    ev["order_id"] = None
    is_order = ev["type"] == "order"
    ev.loc[is_order, "order_id"] = [f"E{rng.integers(10**11, 10**12)}" for _ in range(int(is_order.sum()))]
    fb = out["feedback"]
    for c in ("phone", "nickname", "order_id"):
        fb[c] = None
    info = cu.set_index("customer_id")
    first_order = ev[is_order].groupby("customer_id")["order_id"].first()
    neg = fb[(fb["sentiment"] == "negative") & fb["customer_id"].notna()]
    neg = neg[~neg["channel"].isin(CONTACT_FEEDBACK_CHANNELS)] if len(neg) else neg
    pick = neg.groupby("customer_id").head(1)
    pick = pick.iloc[np.flatnonzero(rng.random(len(pick)) < rate)]
    public = ["weibo", "app_review", "forum", "ecommerce_review", "douyin", "xiaohongshu"]
    add, truth = [], []
    hints = ["order", "phone", "nickname", "tail_text", "order_text", "nickname_tail"]
    for row, r in pick.iterrows():
        cid = r["customer_id"]
        phone, nick = info.at[cid, "phone"], info.at[cid, "nickname"]
        order = first_order.get(cid)
        h = str(rng.choice(hints))
        if h.startswith("order") and order is None:
            h = "phone"
        new = r.to_dict()
        new.update(
            customer_id=None,
            phone=None,
            nickname=None,
            order_id=None,
            channel=str(rng.choice([c for c in public if c != r["channel"]])),
            timestamp=r["timestamp"] + pd.Timedelta(hours=float(rng.uniform(1, 72))),
        )
        if h == "order":
            new["order_id"] = order
        elif h == "phone":
            new["phone"] = phone[:3] + "****" + phone[-4:]
        elif h == "nickname":
            new["nickname"] = nick
        elif h == "tail_text":
            new["text"] = f"{r['text']}，手机尾号{phone[-4:]}"
        elif h == "order_text":
            new["text"] = f"订单号{order}，{r['text']}"
        else:
            new["nickname"] = nick
            new["text"] = f"{r['text']}（尾号{phone[-4:]}）"
        add.append(new)
        truth.append({"customer_id": cid, "original_row": row, "hint": h})
    n_decoy = int(round(decoy_rate * len(add)))
    src = neg.iloc[rng.integers(0, len(neg), n_decoy)] if len(neg) and n_decoy else neg.iloc[0:0]
    for row, r in src.iterrows():
        new = r.to_dict()
        h = str(rng.choice(["phone", "nickname", "tail_text"]))
        new.update(
            customer_id=None,
            phone=None,
            nickname=None,
            order_id=None,
            channel=str(rng.choice(public)),
            timestamp=r["timestamp"] + pd.Timedelta(hours=5),
        )
        if h == "phone":
            new["phone"] = f"199****{rng.integers(0, 10**4):04d}"
        elif h == "nickname":
            new["nickname"] = f"路人{rng.integers(0, 10**6):06d}"
        else:
            new["text"] = f"{r['text']}，手机尾号{rng.integers(0, 10**4):04d}"
        add.append(new)
        truth.append({"customer_id": None, "original_row": row, "hint": "decoy_" + h})
    start = len(fb)
    fb = pd.concat([fb, pd.DataFrame(add, columns=fb.columns)], ignore_index=True)
    dup = pd.DataFrame(truth)
    dup.insert(0, "row", np.arange(start, start + len(dup)))
    out["feedback"], out["duplicates"] = fb, dup
    return out


def dedup_scores(queue: pd.DataFrame, duplicates: pd.DataFrame) -> dict[str, float]:
    """Precision and recall of cross-channel dedup on planted duplicates.

    A planted duplicate counts as found when it is in the same queue item as its
    original row. Precision = found / rows linked to a known customer (decoys
    linked to anyone and duplicates linked to the wrong item count against it);
    recall = found / planted duplicates (decoys excluded).

    Args:
        queue: :func:`build_repair_queue` output (uses ``attrs["signals"]``).
        duplicates: ``plant_duplicates(...)["duplicates"]``.

    Returns:
        ``{"precision", "recall", "linked", "found", "planted", "decoys_linked"}``.
    """
    sig = queue.attrs["signals"]
    fbs = sig[sig["source"] == "feedback"]
    item = dict(zip(fbs["row"], fbs["item_id"], strict=True))
    ident = dict(zip(fbs["row"], fbs["identity"], strict=True))
    planted = duplicates[duplicates["customer_id"].notna()]
    decoys = duplicates[duplicates["customer_id"].isna()]
    found = sum(
        1
        for r, o in zip(planted["row"], planted["original_row"], strict=True)
        if r in item and o in item and item[r] == item[o]
    )
    linked = sum(1 for r in duplicates["row"] if ident.get(r) == "fuzzy")
    decoys_linked = sum(1 for r in decoys["row"] if ident.get(r) == "fuzzy")
    return {
        "precision": found / linked if linked else 1.0,
        "recall": found / len(planted) if len(planted) else 1.0,
        "linked": float(linked),
        "found": float(found),
        "planted": float(len(planted)),
        "decoys_linked": float(decoys_linked),
    }
