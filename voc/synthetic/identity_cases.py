"""Identity hard cases for cross-channel dedup: masked phones, order numbers, anonymous rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from voc.synthetic.planted import DEFAULT_ISSUES
from voc.synthetic.texts import _PUBLIC_CHANNELS, _RECURRED, _choice, _complaint_text

__all__ = ["plant_identity_cases"]


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
