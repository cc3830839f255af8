"""``voc.synthetic`` as a package generates exactly what the single module generated.

The reference digests below were computed with the old ``voc/synthetic.py`` (before the split
into ``voc/synthetic/``) by this same ``_digest`` function; a change in any table, column, dtype
or value for any of these settings changes a digest. (Digests go through ``DataFrame.to_csv``,
so a pandas upgrade that changes float formatting would need new references.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pandas as pd
import pytest

from voc.synthetic import add_issue_hard_cases, generate_history, plant_identity_cases


def _digest(history: dict[str, pd.DataFrame]) -> dict[str, str]:
    out = {}
    for name in sorted(history):
        df = history[name].copy()
        for c in df.columns:
            if df[c].dtype == object:
                df[c] = df[c].map(repr)
        h = hashlib.sha256()
        h.update(repr(list(df.columns)).encode())
        h.update(repr([str(t) for t in df.dtypes]).encode())
        h.update(df.to_csv(index=True).encode())
        out[name] = h.hexdigest()[:16]
    return out


_CORPUS = pd.DataFrame(
    {"text": ["很好用", "太差了", "一般般"], "sentiment": ["positive", "negative", "neutral"]}
)

CASES: dict[str, Callable[[], dict[str, pd.DataFrame]]] = {
    "default_300_s0": lambda: generate_history(300, seed=0),
    "default_500_s7": lambda: generate_history(500, seed=7),
    "nosignal_400_s3": lambda: generate_history(400, seed=3, signal_cases=False),
    "identity_400_s5": lambda: generate_history(400, seed=5, identity_cases=True),
    "long_400_s2": lambda: generate_history(
        400, seed=2, problem_window_days=400, recurrence_rate=0.5, signal_cases={"decoy_rate": 0.3}
    ),
    "issuehard_300_s1": lambda: add_issue_hard_cases(generate_history(300, seed=1), ["酒店太差了", "房间很脏"], seed=4),
    "identity_fn_300_s1": lambda: plant_identity_cases(
        generate_history(300, seed=1, signal_cases=False), seed=9, drop_event_detail=True
    ),
    "corpus_df_300": lambda: generate_history(300, seed=1, corpus=_CORPUS),
}

#: Digests of the single-module generator (commit e16bd1c), same seeds and settings.
REFERENCE: dict[str, dict[str, str]] = {
    'corpus_df_300': {
        'contacts': '9c6f6bedc05c7e43',
        'customers': 'f506c907ec400adc',
        'events': '324251a2135e5b53',
        'feedback': '1f82ab7c27067f6d',
        'text_truth': '23b9f19766b7a06b',
        'truth': '90ba5e21625c6429',
    },
    'default_300_s0': {
        'contacts': '7304bf5c741fca29',
        'customers': '696baecb76f20210',
        'events': '6c74e129efdf4356',
        'feedback': '8b8b96d6f72785df',
        'text_truth': '388cead9c6efdea1',
        'truth': '2d6b56d0d5c8ceb1',
    },
    'default_500_s7': {
        'contacts': '27bdd74e3b90ace3',
        'customers': 'c495311b9f51ccba',
        'events': '4c3ed7df5a1d94fc',
        'feedback': '4d606b5badb84a86',
        'text_truth': 'f90c5872847dfc50',
        'truth': '849e26adc35debe3',
    },
    'identity_400_s5': {
        'contacts': '201079fb0e01ed5c',
        'customers': 'fe63e81e6716bde3',
        'events': '174e5dcb3a71aa21',
        'feedback': '5f8e680111341ae3',
        'identity_truth': 'a8cc5df85fc8099b',
        'text_truth': '317d176db8c67cfb',
        'truth': 'e9de96d0c7716f1b',
    },
    'identity_fn_300_s1': {
        'contacts': '9c6f6bedc05c7e43',
        'customers': '9772efe3218b3668',
        'events': '638077c0dbfb7466',
        'feedback': '6cbb3fbb01800acf',
        'identity_truth': '64d8cbc44011e268',
        'text_truth': '032db444545387e0',
        'truth': 'f82dd80cde9baef2',
    },
    'issuehard_300_s1': {
        'contacts': '9c6f6bedc05c7e43',
        'customers': 'f506c907ec400adc',
        'events': 'd701699a8106f71e',
        'feedback': 'ab64b565f9f2d3c4',
        'text_truth': 'c97f7dffc0da8727',
        'truth': 'd6d69ee379b24640',
    },
    'long_400_s2': {
        'contacts': 'f26901192ee7dc41',
        'customers': 'f729e30c089f255d',
        'events': '13c7975e3ae5a107',
        'feedback': '3b21503b0222ad28',
        'text_truth': '29a6e428ce443d7d',
        'truth': 'b1bc6fdb5856e167',
    },
    'nosignal_400_s3': {
        'contacts': 'f957e70f32e363a8',
        'customers': '964c93884195e71f',
        'events': 'a558b65f0a83573a',
        'feedback': '0fc9f33d43bf7e09',
        'text_truth': '7e2c3f5c5a9eb9d0',
        'truth': 'db3fcb709cfe603d',
    },
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_split_package_generates_identical_tables(case: str) -> None:
    assert _digest(CASES[case]()) == REFERENCE[case]


def test_digest_sees_a_one_value_change() -> None:
    h = generate_history(300, seed=0)
    h["events"].loc[0, "amount"] = 1.0 + float(h["events"]["amount"].fillna(0).iloc[0])
    assert _digest(h)["events"] != REFERENCE["default_300_s0"]["events"]
