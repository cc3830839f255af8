"""Held-out accuracy of the shipped models (never trained on these splits).

Bounds sit below the measured figures in docs/ACCURACY.md so that a regression
fails the suite without tying the test to one exact run.
"""

from __future__ import annotations

import pytest
from sklearn.metrics import f1_score

import voc
from voc.datasets import load_frame
from voc.taxonomy import TASKS

#: Authored test split floors. journey_stage moved from 0.511 to 0.525 (0.481 with one trial recipe) when the models retrained on
#: rounds 1-8 of the real corpus (real-text journey 0.565 -> 0.588): the real dev split chooses the mix,
#: and the authored corpus's journey conventions differ from real text (guide R21, R50).
FLOORS = {"sentiment": 0.6, "emotion": 0.5, "intent": 0.55, "non_complaint_reasons": 0.55,
          "complaint_stage": 0.55, "behaviors": 0.45, "aspects": 0.5, "journey_stage": 0.44, "temperament": 0.7}


@pytest.fixture(scope="module")
def report(nlp):
    return voc.evaluate(nlp, "voc_zh", split="test")


@pytest.mark.parametrize("task", TASKS)
def test_authored_test_split_macro_f1(report, task):
    assert report[task]["macro_f1"] >= FLOORS[task], report[task]["macro_f1"]


def test_public_sentiment_beats_snownlp(nlp):
    from voc.models.snownlp import SnowNLPSentiment

    df = load_frame("online_shopping_10_cats", split="test").sample(600, random_state=0)
    texts, gold = list(df["text"]), list(df["sentiment"])
    ours = []
    for r in nlp.pipe(texts):
        s = r.sentiment.scores
        ours.append("positive" if s["positive"] > s["negative"] else "negative")
    snow = ["positive" if p >= 0.5 else "negative" for p in SnowNLPSentiment().positive_probability(texts)]
    f_ours, f_snow = f1_score(gold, ours, average="macro"), f1_score(gold, snow, average="macro")
    assert f_ours >= 0.88
    assert f_ours > f_snow


def test_no_training_text_in_public_test_splits():
    for name in ("waimai_10k", "online_shopping_10_cats", "snownlp_reviews", "nlpcc2013_emotion"):
        df = load_frame(name)
        train = set(df.loc[df["split"] == "train", "text"])
        assert not train & set(df.loc[df["split"] == "test", "text"])


#: Real test split floors, below the measured figures in docs/ACCURACY.md (sentiment 0.837, emotion 0.629,
#: intent 0.642, reasons 0.309, stage 0.655, behaviors 0.728, aspects 0.811, journey 0.588).
REAL_FLOORS = {"sentiment": 0.80, "emotion": 0.58, "intent": 0.59, "non_complaint_reasons": 0.27,
               "complaint_stage": 0.60, "behaviors": 0.67, "aspects": 0.76, "journey_stage": 0.54}


def test_real_test_split_macro_f1(nlp):
    report = voc.evaluate(nlp, load_frame("voc_real_zh", split="test"), split=None)
    for task, floor in REAL_FLOORS.items():
        assert report[task]["macro_f1"] >= floor, (task, report[task]["macro_f1"])
    assert report["sentiment"]["per_label"]["neutral"]["f1"] >= 0.7
