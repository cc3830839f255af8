"""Persona tags and archetypes: evidence for every tag, editable mapping, segment view with strategies."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pytest

from voc.customers import profile_customers
from voc.personas import (
    DEFAULT_MAP,
    assign_personas,
    load_persona_map,
    load_strategies,
    segment_view,
    strategy_for,
)
from voc.synthetic import generate_history


@lru_cache(maxsize=1)
def _data() -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    h = generate_history(n_customers=2000, seed=0)
    prof = profile_customers(h["feedback"], h["contacts"], h["events"], h["customers"])
    pers = assign_personas(prof, h["feedback"], h["events"])
    return h, prof, pers


def test_one_row_per_customer_with_archetype_and_tags() -> None:
    _, prof, pers = _data()
    assert pers.index.equals(prof.index)
    assert {
        "tags",
        "primary_archetype",
        "archetype_score",
        "archetype_share",
        "archetype_signals",
        "signals",
    } <= set(pers.columns)
    assigned = pers["primary_archetype"].notna()
    assert assigned.mean() > 0.3
    assert (pers.loc[assigned, "archetype_score"] >= 0.3).all()
    assert pers.loc[assigned, "archetype_signals"].map(len).gt(0).all()


def test_every_tag_has_evidence_pointing_at_real_rows() -> None:
    h, _, pers = _data()
    fb, ev = h["feedback"], h["events"]
    n_tags = n_spans = 0
    for tags in pers["tags"]:
        for t in tags:
            n_tags += 1
            assert t["score"] > 0 and t["signals"] and t["evidence"], t["tag"]
            assert {e["signal"] for e in t["evidence"]} == set(t["signals"])
            for e in t["evidence"]:
                if e["source"] == "feedback":
                    text = fb.loc[e["row"], "text"]
                    assert text.startswith(e["text"])
                    for span in e["spans"]:
                        assert span in text
                        n_spans += 1
                elif e["source"] == "event":
                    assert e["row"] in ev.index
                else:
                    assert e["source"] == "profile" and e["values"]
    assert n_tags > 1000 and n_spans > 100


def test_planted_reasons_give_the_mapped_tags() -> None:
    h, _, pers = _data()
    fb = h["feedback"]
    expected = {
        "channel_blocked": "渠道依赖型",
        "self_reliance": "自主性",
        "not_bother": "换位思考者",
        "privacy_concern": "不实名/不认证",
        "conflict_avoidance": "和平协调者",
    }
    for reason, tag in expected.items():
        who = fb.loc[fb["non_complaint_reasons"].map(lambda r, c=reason: c in r), "customer_id"].unique()
        assert len(who) > 5, reason
        for cid in who:
            names = [t["tag"] for t in pers.loc[cid, "tags"]]
            assert tag in names, (reason, cid, names)


def test_silent_customers_are_mostly_everyman_with_seed_strategies() -> None:
    _, prof, pers = _data()
    view = segment_view(prof, pers)
    a = view.archetypes
    assigned = a.drop(index="unassigned", errors="ignore")
    assert assigned["silent_n"].idxmax() == "凡人"
    assert 0.4 <= assigned.loc["凡人", "silent_share"] <= 0.8
    assert assigned["silent_share"].sum() == pytest.approx(1.0)
    assert "教育" in a.loc["凡人", "strategy_zh"] and "self-service" in a.loc["智者", "strategy_en"]
    assert "快速" in strategy_for("archetype", "探险家")
    r = view.reasons
    assert "渠道" in r.loc["channel_blocked", "strategy_zh"]
    assert (r["silent_n"] >= r["vocal_n"]).all()


def test_strategy_table_is_complete() -> None:
    st = load_strategies()
    counts = st["kind"].value_counts()
    assert counts["archetype"] == 12 and counts["reason"] == 8 and counts["level"] == 4
    assert (st["strategy_zh"].str.len() > 0).all() and (st["strategy_en"].str.len() > 0).all()


def test_custom_mapping_dataframe_and_csv_without_code_changes(tmp_path) -> None:  # noqa: ANN001
    h, prof, _ = _data()
    custom = pd.DataFrame(
        {
            "signal": ["channel_blocked", "event:self_service_fail:app_crash", "profile:silent"],
            "type_tags": ["测试标签A", "闪退受害者", "沉默"],
            "archetypes": ["英雄:2", "魔法师", ""],
            "weight": [1.0, 1.0, 0.1],
        }
    )
    path = tmp_path / "my_map.csv"
    custom.to_csv(path, index=False)
    for mapping in (custom, str(path)):
        pers = assign_personas(prof, h["feedback"], h["events"], mapping=mapping)
        tags = pers["tags"].map(lambda ts: {t["tag"] for t in ts})
        assert not tags.map(lambda s: "渠道依赖型" in s).any(), "default map not used"
        blocked = pers[tags.map(lambda s: "测试标签A" in s)]
        assert len(blocked) > 5 and (blocked["primary_archetype"] == "英雄").all()
        crash = pers[tags.map(lambda s: "闪退受害者" in s)]
        assert len(crash) > 5
        ev = crash.iloc[0]["tags"]
        crash_tag = next(t for t in ev if t["tag"] == "闪退受害者")
        assert crash_tag["evidence"][0]["source"] == "event"
        assert crash_tag["evidence"][0]["event"] == "self_service_fail:app_crash"
        assert tags[prof["silent"]].map(lambda s: "沉默" in s).all()


def test_bad_mapping_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown signal"):
        load_persona_map(pd.DataFrame({"signal": ["feels_sad"], "type_tags": ["x"], "archetypes": [""]}))
    with pytest.raises(ValueError, match="missing column"):
        load_persona_map(pd.DataFrame({"signal": ["reason:let_it_go"], "tags": ["x"]}))
    with pytest.raises(ValueError, match="weight"):
        load_persona_map(
            pd.DataFrame(
                {"signal": ["reason:let_it_go"], "type_tags": ["x"], "archetypes": [""], "weight": ["heavy"]}
            )
        )


def test_default_map_matches_the_taxonomy_table() -> None:
    m = load_persona_map(DEFAULT_MAP).set_index("signal")
    assert [t for t, _ in m.loc["reason:self_reliance", "tags"]] == ["自主性", "自我依赖型", "自我成长型"]
    assert [a for a, _ in m.loc["reason:self_reliance", "archetypes"]] == ["智者", "探险家"]
    assert [a for a, _ in m.loc["reason:not_bother", "archetypes"]] == ["照顾者"]
    assert [a for a, _ in m.loc["temperament:preachy", "archetypes"]] == ["统治者"]
    assert [t for t, _ in m.loc["calm_despite_problem", "tags"]] == ["驾驭情绪型"]
