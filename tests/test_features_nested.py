"""A vocabulary nested in a larger one reuses its counts (#16) and gives the same features."""

from __future__ import annotations

import numpy as np

from voc.features import CharNgramVectorizer

TEXTS = ["物流太慢了，差评", "很好吃，下次还来", "客服电话一直打不通", "退款三天了还没到账", "好吃不贵", "慢死了"]


def test_nested_vocabulary_reuses_parent_counts() -> None:
    big = CharNgramVectorizer(min_df=1).fit(TEXTS)
    small = CharNgramVectorizer(min_df=1, max_features=20).fit(TEXTS)
    remap = small.nested_columns(big)
    assert remap is not None and (remap >= 0).sum() == len(small.vocabulary_ids_)
    grams = big.ngrams(TEXTS + ["", "没见过的字"])
    direct = small.transform_rows(*grams)
    via = small.weight_counts(*small.subset_counts(big.count_ngrams(*grams), remap))
    for a, b in ((direct.indptr, via.indptr), (direct.indices, via.indices), (direct.data, via.data)):
        assert np.array_equal(a, b)
    assert direct.shape == via.shape


def test_not_nested_when_vocabulary_or_ngrams_differ() -> None:
    big = CharNgramVectorizer(min_df=1).fit(TEXTS[:3])
    other = CharNgramVectorizer(min_df=1).fit(TEXTS[3:])
    assert other.nested_columns(big) is None
    assert CharNgramVectorizer(min_df=1, ngram_range=(1, 2)).fit(TEXTS[:3]).nested_columns(big) is None
