"""No single word decides a label of the authored corpus.

For every label that is not the majority (base rate < 50 %), no jieba word occurring in at
least 20 texts may predict it with precision >= 0.95. Otherwise a model could learn the word
instead of the meaning. Aspects are exempt: they are topics, and a topic word (物流, 隐私)
legitimately names its topic. The top cue per label is reported in corpora/voc_zh/STATS.md.
"""

from __future__ import annotations

from collections import Counter

import jieba

from voc.datasets import MULTI_COLUMNS
from voc.taxonomy import TASKS

MIN_DF = 20
MAX_PRECISION = 0.95


def test_no_single_word_decides_a_minority_label(voc_zh):
    tok = jieba.Tokenizer()
    docs = [{w for w in tok.lcut(t) if w.strip()} for t in voc_zh["text"]]
    df: Counter = Counter()
    for d in docs:
        df.update(d)
    offenders = []
    for task in (t for t in TASKS if t != "aspects"):
        values = [set(v) if task in MULTI_COLUMNS else {v} for v in voc_zh[task]]
        labels = set().union(*values)
        for label in labels:
            has = [label in v for v in values]
            if sum(has) / len(has) >= 0.5:
                continue
            co: Counter = Counter()
            for d, h in zip(docs, has, strict=True):
                if h:
                    co.update(d)
            for word, c in co.items():
                if df[word] >= MIN_DF and c / df[word] >= MAX_PRECISION:
                    offenders.append((task, label, word, df[word], round(c / df[word], 2)))
    assert not offenders, offenders
