"""Evidence spans are meaningful on real text: never only punctuation, never a lone character
that is not a word on its own (issue: 63 % of reason evidence on real reviews was "。" or one char)."""

from __future__ import annotations

import pytest

from voc.datasets import load_frame
from voc.pipeline import SINGLE_CHAR_WORDS, meaningful_span


def test_meaningful_span_rules():
    assert not meaningful_span("。")
    assert not meaningful_span("，，")
    assert not meaningful_span("的")
    assert not meaningful_span(" 1")
    assert meaningful_span("坑")
    assert meaningful_span("打不通")
    assert meaningful_span("💢")
    assert all(meaningful_span(c) for c in SINGLE_CHAR_WORDS)


@pytest.fixture(scope="module")
def real_test():
    return load_frame("voc_real_zh", split="test")


def test_evidence_on_the_real_test_split_is_meaningful(nlp, real_test):
    spans = bad = 0
    for r in nlp.pipe(list(real_test["text"])):
        for task in ("non_complaint_reasons", "behaviors", "aspects"):
            for lab in getattr(r, task):
                for e in lab.evidence:
                    spans += 1
                    bad += not meaningful_span(e.text)
                    assert r.text[e.start:e.end] == e.text
        for task in ("emotion", "complaint_stage", "intent"):
            for e in getattr(r, task).evidence:
                spans += 1
                bad += not meaningful_span(e.text)
    assert spans > 100, "the real test split yields evidence to check"
    assert bad == 0, f"{bad} of {spans} evidence spans are punctuation or a lone non-word character"


def test_reasons_carry_evidence_on_real_text(nlp, real_test):
    """Every predicted reason on the real test split points at a span of the text."""
    with_reason = [r for r in nlp.pipe(list(real_test["text"])) if r.non_complaint_reasons]
    assert with_reason
    missing = sum(1 for r in with_reason for lab in r.non_complaint_reasons if not lab.evidence)
    assert missing <= 0.1 * sum(len(r.non_complaint_reasons) for r in with_reason)
