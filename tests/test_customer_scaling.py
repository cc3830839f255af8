"""Behaviours the customer-side speed-ups (issue #16) must keep: the shortcuts give what the plain code gave.

* ids converted once per distinct value (:func:`voc.schema.id_str_column`) = ``id_str`` cell by cell;
* the repair queue's TF-IDF counted on distinct texts = ``TfidfVectorizer`` on all of them;
* profiles computed on integer codes of the ids: a customer's row does not depend on the other
  customers, nor on how their ids sort (``"10"`` before ``"9"`` as text).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from voc.customers import profile_customers
from voc.repair._common import _clean, _text_vectors
from voc.schema import id_str, id_str_column, is_missing, none_if_missing
from voc.synthetic import generate_history

_CELLS = [
    "C001 ", "123.0", "  ", "", None, float("nan"), 42, 1001.0, 7.5, True, "1", 1, "-12.00", "订单A1", "C001",
]


@pytest.mark.parametrize(
    "col",
    [
        pd.Series(_CELLS, dtype=object),  # mixed: 1, "1" and True must stay apart
        pd.Series(["C1", " C1", "C2", None, "", "10.0", "C1"], dtype=object),  # text only: the fast path
        pd.Series(["C1", None, "C2 ", "C1"], dtype="str"),
        pd.Series([1001.0, np.nan, 12.5, 1001.0]),
        pd.Series([None, None], dtype=object),
        pd.Series([], dtype=object),
    ],
)
def test_id_columns_convert_like_id_str_cell_by_cell(col: pd.Series) -> None:
    want = [id_str(v) for v in col.astype(object)]
    got = id_str_column(col)
    assert got.dtype == object and got.index.equals(col.index)
    assert got.tolist() == want
    assert [type(v) for v in got] == [type(v) for v in want]
    kept = none_if_missing(col)
    assert kept.tolist() == [None if is_missing(v) else v for v in col.astype(object)]


def test_text_vectors_equal_tfidf_on_every_text() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["退款太慢了[微笑]", "return:size", "退款太慢了！", "", "物流", "return:size", "物流 ", "cancel",
             "退款太慢了[微笑]", "nps", "还没到货，催了三次", "物流"] * 3 + ["新的问题"]
    want = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=1).fit_transform(
        [_clean(t) or "_" for t in texts]
    )
    got = _text_vectors(texts)
    assert got.shape == want.shape
    assert (got != want).nnz == 0  # exactly the same numbers
    assert np.array_equal(got.toarray(), want.toarray())


def test_a_profile_row_depends_only_on_its_customer() -> None:
    h = generate_history(n_customers=300, seed=3)
    # ids whose text order is not their numeric order ("10" < "9"), so the codes must follow the text
    ids = sorted(h["customers"]["customer_id"].unique())
    new = {c: str(9 if i == 0 else 10 * i) for i, c in enumerate(ids)}
    tabs = {k: h[k].assign(customer_id=h[k]["customer_id"].map(new)) for k in ("feedback", "contacts", "events",
                                                                               "customers")}
    as_of = pd.Timestamp("2024-12-31")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = profile_customers(tabs["feedback"], tabs["contacts"], tabs["events"], tabs["customers"], as_of=as_of)
        assert full.index.tolist() == sorted(full.index.tolist())  # text order
        for cid in ["9", "10", "2990", full.index[len(full) // 2]]:
            one = {k: v[v["customer_id"] == cid] for k, v in tabs.items()}
            alone = profile_customers(one["feedback"], one["contacts"], one["events"], one["customers"],
                                      as_of=as_of)
            assert alone.index.tolist() == [cid]
            cols = [c for c in alone.columns if not c.startswith("reason_") and c != "top_reason"]
            pd.testing.assert_frame_equal(alone[cols], full.loc[[cid], cols], check_dtype=False)
