from __future__ import annotations

import json

import pytest

from voc.taxonomy import TASKS, Taxonomy, load_taxonomy


def test_default_taxonomy_has_every_task():
    tax = load_taxonomy()
    assert list(tax.tasks) == list(TASKS)
    assert tax.codes("sentiment") == ["negative", "neutral", "positive"]
    assert "channel_blocked" in tax.codes("non_complaint_reasons")
    assert tax.is_multi("behaviors") and not tax.is_multi("intent")
    assert tax.names("emotion")["anger"] == "愤怒"


def test_validate_rejects_unknown_codes():
    tax = load_taxonomy()
    tax.validate("aspects", ["logistics"])
    with pytest.raises(ValueError, match="unknown"):
        tax.validate("intent", "refund")
    with pytest.raises(ValueError, match="multi-label"):
        tax.validate("aspects", "logistics")


def test_custom_taxonomy_roundtrip(tmp_path):
    data = load_taxonomy().to_dict()
    data["tasks"]["intent"]["labels"].append({"code": "invoice", "name_zh": "开发票"})
    path = tmp_path / "tax.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tax = load_taxonomy(path)
    assert "invoice" in tax.codes("intent")
    with pytest.raises(ValueError):
        Taxonomy.from_dict({"tasks": {"x": {"kind": "many", "labels": []}}})


def test_to_dict_does_not_alias_the_cached_default():
    data = load_taxonomy().to_dict()
    data["tasks"]["intent"]["labels"].append({"code": "zzz"})
    assert "zzz" not in load_taxonomy().codes("intent")
