"""Churn risk, per-issue forecast and win-back list, against the synthetic generator's planted truth.

The scenario (also in docs/churn.md): 4,000 customers over two years; planted issues start in the
last 420 days and the churn they cause follows 30-150 days later; the issues' churn lifts are 2.5x
the defaults (refund delay: 0.35 x 2.5 + 4 % base = 91.5 % of unsolved vocal customers leave, seed
004's "91 %"). Training snapshots 2024-02-15 ... 2024-05-15 (monthly), test snapshot 2024-08-15,
horizon 90 days: the last training label ends before the test snapshot.
"""

from __future__ import annotations

import json
import pickle
import time
import warnings
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from voc.churn import (
    FEATURES,
    ChurnModel,
    churn_features,
    churn_labels,
    evaluate_risk,
    fit_time_split,
    issue_forecast,
    plot_issue_forecast,
    winback_list,
)
from voc.synthetic import DEFAULT_ISSUES, generate_history

TRAIN = [pd.Timestamp(d) for d in ("2024-02-15", "2024-03-15", "2024-04-15", "2024-05-15")]
TEST = pd.Timestamp("2024-08-15")
HORIZON = 90
ISSUES_X25 = tuple(replace(i, churn_lift=2.5 * i.churn_lift) for i in DEFAULT_ISSUES)
SCENARIO: dict[str, Any] = {"problem_window_days": 420, "churn_delay_days": (30, 150), "issues": ISSUES_X25}


@lru_cache(maxsize=2)
def _history(n: int = 4000, seed: int = 0) -> dict[str, pd.DataFrame]:
    return generate_history(n_customers=n, seed=seed, **SCENARIO)


@lru_cache(maxsize=1)
def _world() -> dict[str, Any]:
    """History, issues discovered in the feedback before TEST, the time split, and the refund cluster."""
    from voc.issues import discover_issues

    h = _history()
    fb = h["feedback"]
    t0 = time.perf_counter()
    issues, assignment, model = discover_issues(fb[fb["timestamp"] < TEST], n_issues=7, return_model=True)
    truth_issue = h["text_truth"].loc[assignment.index, "issue"]
    refund = int(pd.crosstab(assignment["issue_id"], truth_issue)["refund_delay"].idxmax())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        split = fit_time_split(h, TRAIN, TEST, horizon_days=HORIZON, assignment=assignment)
    return {
        "h": h,
        "issues": issues,
        "assignment": assignment,
        "issue_model": model,
        "refund": refund,
        "split": split,
        "seconds": time.perf_counter() - t0,
    }


def _last_snapshot() -> tuple[pd.DataFrame, pd.Series]:
    """The last training snapshot alone (~3,300 customers): enough for the persistence and API tests."""
    split = _world()["split"]
    return split.X_train.loc[TRAIN[-1]], split.y_train.loc[TRAIN[-1]]


# --------------------------------------------------------------------------- features and labels
def test_features_have_no_leakage() -> None:
    """Adding or removing anything at or after as_of never changes a feature."""
    h = generate_history(n_customers=500, seed=3, **SCENARIO)
    as_of = pd.Timestamp("2024-06-01")
    fb, ct, ev, cu = h["feedback"], h["contacts"], h["events"], h["customers"]
    ids = cu["customer_id"].head(40).tolist()
    assignment = pd.DataFrame(
        {"customer_id": fb["customer_id"], "issue_id": fb.index % 3, "timestamp": fb["timestamp"]}
    )
    kw = {"as_of": as_of, "horizon_days": None, "assignment": assignment}
    X_full, _ = churn_features(fb, ct, ev, cu, **kw)

    def before(df: pd.DataFrame, col: str = "timestamp") -> pd.DataFrame:
        return df[df[col] < as_of]

    X_cut, _ = churn_features(
        before(fb), before(ct), before(ev), before(cu, "signup_date"), **{**kw, "assignment": before(assignment)}
    )
    pd.testing.assert_frame_equal(X_full, X_cut)

    late = as_of + pd.Timedelta(hours=5)
    more_ev = pd.concat(
        [
            ev,
            pd.DataFrame({"customer_id": ids, "timestamp": as_of, "type": "churn"}),
            pd.DataFrame({"customer_id": ids, "timestamp": late, "type": "order", "amount": 999.0}),
            pd.DataFrame({"customer_id": ids, "timestamp": late, "type": "nps", "score": 0.0}),
        ],
        ignore_index=True,
    )
    more_fb = pd.concat(
        [fb, fb[fb["sentiment"] == "negative"].head(40).assign(customer_id=ids, timestamp=late)],
        ignore_index=True,
    )
    more_ct = pd.concat(
        [ct, pd.DataFrame({"customer_id": ids, "channel": "hotline", "timestamp": late, "resolved": False})],
        ignore_index=True,
    )
    more_cu = pd.concat(
        [cu, pd.DataFrame({"customer_id": ["NEW1"], "signup_date": [late], "verified": [True]})], ignore_index=True
    )
    more_as = pd.concat(
        [assignment, pd.DataFrame({"customer_id": ids, "issue_id": 1, "timestamp": late})], ignore_index=True
    )
    X_more, _ = churn_features(more_fb, more_ct, more_ev, more_cu, **{**kw, "assignment": more_as})
    pd.testing.assert_frame_equal(X_full, X_more)
    assert list(X_full.columns[: len(FEATURES)]) == list(FEATURES)
    assert X_full[list(FEATURES)].notna().all().all()


def test_labels_and_population() -> None:
    h = generate_history(n_customers=400, seed=4, **SCENARIO)
    as_of = pd.Timestamp("2024-06-01")
    X, y = churn_features(h["feedback"], h["contacts"], h["events"], h["customers"], as_of=as_of, horizon_days=60)
    ev = h["events"]
    churn = ev[ev["type"] == "churn"].set_index("customer_id")["timestamp"]
    # nobody who churned before as_of, nobody who signed up after it
    assert not X.index.isin(churn[churn < as_of].index).any()
    signup = h["customers"].set_index("customer_id")["signup_date"]
    assert (signup.reindex(X.index) < as_of).all()
    expected = churn.reindex(X.index).between(as_of, as_of + pd.Timedelta(days=60), inclusive="left")
    assert y.equals(expected.rename("churn"))
    assert churn_labels(ev, X.index, as_of=as_of, horizon_days=60).equals(y)


def test_generator_timing_parameters() -> None:
    """The two parameters added for this module: defaults unchanged, bounds respected."""
    a = generate_history(n_customers=200, seed=1)
    b = generate_history(n_customers=200, seed=1, problem_window_days=150, churn_delay_days=(10, 60))
    for key in a:
        pd.testing.assert_frame_equal(a[key], b[key])
    h = generate_history(n_customers=600, seed=2, problem_window_days=400, churn_delay_days=(30, 150))
    t = h["truth"]
    end = pd.Timestamp("2023-01-01") + pd.Timedelta(days=730)
    start = t.loc[t["has_problem"], "problem_start"]
    assert start.min() >= end - pd.Timedelta(days=401)
    ev = h["events"]
    churn = ev[ev["type"] == "churn"].set_index("customer_id")["timestamp"]
    caused = t[t["churn_caused_by_issue"]].set_index("customer_id")
    delay = (churn.reindex(caused.index) - caused["problem_start"]) / pd.Timedelta(days=1)
    capped = churn.reindex(caused.index) >= end - pd.Timedelta(days=1)
    assert (delay.between(29.9, 150.1) | capped).all()
    with pytest.raises(ValueError, match="churn_delay_days"):
        generate_history(n_customers=10, churn_delay_days=(50, 10))


# --------------------------------------------------------------------------- the risk model
def test_time_split_beats_base_rate() -> None:
    w = _world()
    split = w["split"]
    e = split.evaluation
    print(
        f"\nchurn risk ({split.model.kind_}, validation {split.model.validation_scores_}): "
        f"ROC-AUC {e.roc_auc:.3f}, PR-AUC {e.pr_auc:.3f} (base rate {e.base_rate:.3f}), "
        f"Brier {e.brier:.4f} vs {e.brier_base:.4f}, ECE {e.ece:.4f}, n {e.n}, churned {e.n_positive}; "
        f"{w['seconds']:.1f} s"
    )
    assert e.roc_auc >= 0.75
    assert e.pr_auc >= 3 * e.base_rate
    assert e.brier < e.brier_base
    assert e.ece < 0.03
    assert len(e.calibration) == 10 and e.calibration["n"].sum() == e.n
    # time-aware: train and test snapshots are disjoint in time, labels included
    assert split.train_as_of[-1] + pd.Timedelta(days=HORIZON) <= split.test_as_of
    assert split.X_train.index.names == ["as_of", "customer_id"]
    json.dumps(e.to_dict())


def test_time_split_rejects_overlapping_labels() -> None:
    h = _history()
    with pytest.raises(ValueError, match="reach past"):
        fit_time_split(h, "2024-06-01", "2024-07-01", horizon_days=90)


def test_explain_logistic_contributions() -> None:
    split = _world()["split"]
    m = split.model if split.model.kind_ == "logistic" else ChurnModel(model="logistic").fit(*_last_snapshot())
    X = split.X_test.head(300)
    ex = m.explain(X, top=3)
    assert np.allclose(ex["churn_risk"], m.predict_proba(X)[:, 1])
    z = (X[list(FEATURES)].to_numpy() - m.mean_) / m.scale_
    contrib = z * m.coef_
    top = ex.sort_values("churn_risk").index[-1]
    i = X.index.get_loc(top)
    best = [FEATURES[j] for j in np.argsort(-contrib[i])[:3]]
    assert [d["feature"] for d in ex.loc[top, "top_features"]] == best
    assert ex.loc[top, "feature_1"] == best[0] and best[0] in ex.loc[top, "explanation"]
    assert (m.feature_importances_ >= 0).all()


def test_save_load_identical_scores(tmp_path) -> None:
    X = _world()["split"].X_test
    for kind in ("logistic", "gbm"):
        m = ChurnModel(model=kind).fit(*_last_snapshot())
        d = m.to_disk(tmp_path / kind)
        back = ChurnModel.from_disk(d)
        assert back.kind_ == kind
        old = ChurnModel.load(m.save(tmp_path / f"{kind}_old_names"))  # the old names, kept for one release
        assert np.array_equal(old.risk(X).to_numpy(), back.risk(X).to_numpy())
        assert np.array_equal(m.risk(X).to_numpy(), back.risk(X).to_numpy())
        assert back.get_params() == m.get_params()
        pd.testing.assert_series_equal(m.feature_importances_, back.feature_importances_)
        files = {p.name for p in d.iterdir()}
        assert "churn_model.json" in files and "churn_model.safetensors" in files
        assert not any(p.suffix in (".pkl", ".pickle", ".joblib") for p in d.iterdir())
        if kind == "gbm":
            ex = back.explain(X.head(50), top=2)
            assert ex["explanation"].str.len().gt(0).any()


class _Evil:
    def __reduce__(self) -> tuple[Any, ...]:  # pragma: no cover - must never run
        return (print, ("pwned",))


def test_load_refuses_untrusted_files(tmp_path) -> None:
    import skops.io as sio

    m = ChurnModel(model="gbm", max_iter=10).fit(*_last_snapshot())
    d = m.save(tmp_path / "m")
    sio.dump({"est": _Evil()}, d / "churn_gbm.skops")
    with pytest.raises(ValueError, match="allow-list"):
        ChurnModel.load(d)
    (d / "churn_gbm.skops").write_bytes(pickle.dumps(_Evil()))
    with pytest.raises(ValueError, match="not a skops file"):
        ChurnModel.load(d)
    (d / "churn_model.json").write_text('{"format": "something-else"}', encoding="utf-8")
    with pytest.raises(ValueError, match="not a voc churn model"):
        ChurnModel.load(d)
    with pytest.raises(ValueError, match="not a voc churn model"):
        ChurnModel.load(tmp_path / "missing")


def test_model_contract_and_errors() -> None:
    from sklearn.base import clone

    split = _world()["split"]
    X, y = _last_snapshot()
    m = ChurnModel(model="logistic", C=0.5)
    assert clone(m).get_params()["C"] == 0.5
    with pytest.raises(ValueError, match="both"):
        ChurnModel(model="logistic").fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="lacks feature"):
        m.fit(X.drop(columns=["silent"]), y)
    with pytest.raises(ValueError, match="model must be"):
        ChurnModel(model="svm").fit(X, y)
    m.fit(X, y)
    A = split.X_test[list(FEATURES)].to_numpy()
    assert np.allclose(m.predict_proba(A), m.predict_proba(split.X_test))
    assert set(np.unique(m.predict(split.X_test))) <= {0, 1}
    e = evaluate_risk([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.7], bins=2)
    assert e.roc_auc == 1.0 and len(e.calibration) == 2


def _stacked(n_customers: int = 900, seed: int = 5) -> tuple[pd.DataFrame, pd.Series]:
    """Two synthetic stacked snapshots (index ``(as_of, customer_id)``) with a 10 % churn rate."""
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product(
        [TRAIN[:2], [f"C{i:05d}" for i in range(n_customers)]], names=["as_of", "customer_id"]
    )
    A = rng.normal(size=(len(idx), 4))
    p = 1 / (1 + np.exp(-(A[:, 0] - 0.7 * A[:, 1] + 0.5 * A[:, 2] * A[:, 3] - 2.6)))
    y = pd.Series((rng.random(len(idx)) < p).astype(int), index=idx)
    return pd.DataFrame(A, index=idx, columns=["a", "b", "c", "d"]), y


class _Recording(ChurnModel):
    """A ChurnModel that records the labels of every model fit (subclass: same parameters)."""

    def fit(self, X: Any, y: Any, **kw: Any) -> ChurnModel:
        self.fits_: list[np.ndarray] = []
        return super().fit(X, y, **kw)

    def _fit_logistic(self, A: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        self.fits_.append(y.copy())
        return super()._fit_logistic(A, y)

    def _fit_gbm(self, A: np.ndarray, y: np.ndarray) -> Any:
        self.fits_.append(y.copy())
        return super()._fit_gbm(A, y)


@pytest.mark.parametrize("kind", ["auto", "gbm", "logistic"])
def test_max_fit_rows_identical_below_and_capped_above(kind: str) -> None:
    X, y = _stacked()
    kw = {"model": kind, "features": ("a", "b", "c", "d"), "max_iter": 30}

    def fitted(cap: int | None) -> _Recording:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return _Recording(max_fit_rows=cap, **kw).fit(X, y)

    # at or below the cap: the same model as without one, to the bit
    ref, same = fitted(None), fitted(len(X))
    assert ref.n_fit_rows_ == same.n_fit_rows_ == len(X)
    assert same.kind_ == ref.kind_ and same.validation_scores_ == ref.validation_scores_
    assert np.array_equal(same.predict_proba(X), ref.predict_proba(X))
    assert np.array_equal(same.feature_importances_.to_numpy(), ref.feature_importances_.to_numpy())
    assert np.array_equal(same.fill_, ref.fill_)
    # above it: every model is fitted on at most max_fit_rows rows, both classes present in their
    # shares; the medians still come from every row; the same seed gives the same model
    cap = 500
    a, b = fitted(cap), fitted(cap)
    assert a.n_fit_rows_ == cap and len(a.fits_) == (3 if kind == "auto" else 1)
    for labels in a.fits_:
        assert len(labels) == cap and set(np.unique(labels)) == {0, 1}
        assert abs(labels.mean() - y.mean()) < 0.03
    assert np.array_equal(a.fill_, ref.fill_)
    assert a.kind_ == b.kind_ and a.validation_scores_ == b.validation_scores_
    assert all(np.array_equal(u, v) for u, v in zip(a.fits_, b.fits_, strict=True))
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    assert np.array_equal(a.feature_importances_.to_numpy(), b.feature_importances_.to_numpy())
    assert not np.array_equal(a.predict_proba(X), ref.predict_proba(X))
    with pytest.raises(ValueError, match="max_fit_rows"):
        ChurnModel(max_fit_rows=1, **kw).fit(X, y)


def test_fit_time_split_passes_max_fit_rows() -> None:
    h = generate_history(n_customers=500, seed=2, **SCENARIO)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        full = fit_time_split(h, TRAIN[-2:], TEST, horizon_days=HORIZON, model="logistic")
        capped = fit_time_split(h, TRAIN[-2:], TEST, horizon_days=HORIZON, model="logistic", max_fit_rows=300)
    assert full.model.n_fit_rows_ == len(full.y_train) > 300 and capped.model.n_fit_rows_ == 300
    # features, labels and the test rows are the same; only the fit is sampled
    pd.testing.assert_frame_equal(full.X_train, capped.X_train)
    pd.testing.assert_frame_equal(full.X_test, capped.X_test)
    assert len(capped.model.risk(capped.X_test)) == len(full.y_test)


# --------------------------------------------------------------------------- forecast
def _refund_truth(w: dict[str, Any]) -> tuple[int, int, int]:
    """Active customers with a refund-cluster row before TEST, how many churn in the horizon, how many
    of those because of the planted issue."""
    split, a, h = w["split"], w["assignment"], w["h"]
    aff = a.loc[(a["issue_id"] == w["refund"]) & (a["timestamp"] < TEST), "customer_id"].unique()
    aff = [c for c in aff if c in split.X_test.index]
    y = split.y_test.reindex(aff)
    truth = h["truth"].set_index("customer_id")
    caused = truth.loc[aff, "churn_caused_by_issue"].to_numpy() & y.to_numpy()
    return len(aff), int(y.sum()), int(caused.sum())


def test_issue_forecast_matches_planted_effect() -> None:
    w = _world()
    split = w["split"]
    table = issue_forecast(split.model, split.X_test, w["assignment"], w["issues"])
    assert len(table) == 7 and table["value_at_risk"].is_monotonic_decreasing
    assert ((table["vocal"] + table["silent"]) <= table["affected"]).all()
    assert (table["expected_churn_low"] <= table["expected_churn"]).all()
    assert (table["high_value_at_risk"] <= table["high_value"]).all()
    row = table.set_index("issue_id").loc[w["refund"]]
    active, churned, caused = _refund_truth(w)
    err = (row["expected_churn"] - churned) / churned
    err_excess = (row["expected_excess_churn"] - caused) / caused
    print(
        f"\nrefund issue: {active} active affected; expected churn {row['expected_churn']:.1f} "
        f"[{row['expected_churn_low']:.1f}, {row['expected_churn_high']:.1f}] vs {churned} churned "
        f"({err:+.0%}); expected excess {row['expected_excess_churn']:.1f} vs {caused} caused by the "
        f"issue ({err_excess:+.0%})"
    )
    assert row["active"] == active
    assert abs(err) <= 0.30
    assert abs(err_excess) <= 0.30
    # the refund issue (largest planted lift) is among the costliest open issues
    assert table.index[table["issue_id"] == w["refund"]][0] <= 2
    # a longer horizon can only raise the expected churn
    longer = issue_forecast(split.model, split.X_test, w["assignment"], w["issues"], horizon_days=180)
    assert longer["expected_churn"].sum() > table["expected_churn"].sum()


def test_issue_forecast_from_profiles_and_plot() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from voc.customers import profile_customers

    w = _world()
    h = w["h"]
    fb, ct, ev = (h[k][h[k]["timestamp"] < TEST] for k in ("feedback", "contacts", "events"))
    prof = profile_customers(fb, ct, ev, as_of=TEST)
    with pytest.warns(UserWarning, match="training medians"):
        table = issue_forecast(w["split"].model, prof, w["assignment"], w["issues"])
    assert table["already_churned"].sum() > 0 and len(table) == 7
    ax = plot_issue_forecast(table)
    assert len(ax.patches) == 2 * len(table)
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="churn_risk"):
        issue_forecast(None, prof, w["assignment"])


# --------------------------------------------------------------------------- win-back
def test_winback_list_recalls_planted_churners(tmp_path) -> None:
    from voc.customers import profile_customers
    from voc.issues import who_else
    from voc.personas import assign_personas

    w = _world()
    h, model, refund = w["h"], w["issue_model"], w["refund"]
    fb = h["feedback"]
    # texts after TEST go to the issues found before it
    late = fb[(fb["timestamp"] >= TEST) & (fb["sentiment"] == "negative")]
    lab, _ = model.predict(late["text"].tolist())
    late_a = pd.DataFrame({"customer_id": late["customer_id"], "timestamp": late["timestamp"], "issue_id": lab})
    assignment = pd.concat([w["assignment"][["customer_id", "timestamp", "issue_id"]], late_a])
    prof = profile_customers(fb, h["contacts"], h["events"], h["customers"])
    pers = assign_personas(prof, fb, h["events"])
    found = who_else(refund, fb, prof, h["events"], assignment=assignment, model=model)
    full = pd.concat([assignment, found.as_assignment(refund)], ignore_index=True)
    with pytest.warns(UserWarning, match="training medians"):  # quiet customers scored from profiles
        wl = winback_list(refund, full, prof, pers, w["split"].model, issues=w["issues"])

    truth = h["truth"].set_index("customer_id")
    planted = truth.index[(truth["issue"] == "refund_delay") & truth["churn_caused_by_issue"]]
    recall = planted.isin(wl["customer_id"]).mean()
    text_only = planted.isin(w["assignment"].loc[w["assignment"]["issue_id"] == refund, "customer_id"]).mean()
    churned = wl[wl["state"] == "churned"]
    precision = churned["customer_id"].isin(truth.index[truth["churn_caused_by_issue"]]).mean()
    print(
        f"\nwin-back list: {len(wl)} customers ({len(churned)} churned); recall of the "
        f"{len(planted)} planted refund churners {recall:.3f} (texts before {TEST.date()} alone "
        f"{text_only:.3f}); churned rows caused by an issue {precision:.3f}"
    )
    assert recall >= 0.9
    assert wl["rank"].tolist() == list(range(1, len(wl) + 1))
    assert wl["score"].is_monotonic_decreasing
    assert set(wl["state"]) <= {"churned", "quiet"}
    assert wl["message_zh"].str.contains("修复").all() and wl["message_en"].str.contains("fixed").all()
    # the message follows the customer's non-complaint reason and archetype strategies
    row = wl[wl["top_reason"].eq("channel_blocked")].iloc[0]
    assert "渠道" in row["message_zh"]
    quiet = wl[wl["state"] == "quiet"]
    if len(quiet):
        assert quiet["churn_risk"].between(0, 1).all()
    path = tmp_path / "winback.csv"
    wl.to_csv(path, index=False)
    assert len(pd.read_csv(path)) == len(wl)


# --------------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def cli_data(tmp_path_factory) -> dict[str, str]:
    from voc.cli import write_table

    d = tmp_path_factory.mktemp("churn_cli")
    h = _history(1500, 5)
    paths = {}
    for key in ("feedback", "contacts", "events", "customers"):
        paths[key] = str(d / f"{key}.csv")
        write_table(h[key], paths[key])
    paths["dir"] = str(d)
    return paths


def _io(p: dict[str, str]) -> list[str]:
    return [
        "--feedback", p["feedback"], "--contacts", p["contacts"], "--events", p["events"],
        "--customers", p["customers"],
    ]


def test_cli_train_score_forecast_winback(cli_data) -> None:
    from voc.cli.churn import churn

    runner = CliRunner()
    d = cli_data["dir"]
    args = ["train", *_io(cli_data), "--as-of", "2024-04-15", "--as-of", "2024-05-15",
            "--test-as-of", "2024-08-15", "-o", f"{d}/model", "--metrics-out", f"{d}/metrics.json"]
    res = runner.invoke(churn, args)
    assert res.exit_code == 0, res.output
    assert "ROC-AUC" in res.output
    metrics = json.loads(Path(f"{d}/metrics.json").read_text(encoding="utf-8"))
    assert metrics["roc_auc"] > 0.7 and len(metrics["calibration"]) == 10

    res = runner.invoke(churn, ["score", "--model", f"{d}/model", *_io(cli_data), "-o", f"{d}/scores.csv"])
    assert res.exit_code == 0, res.output
    scores = pd.read_csv(f"{d}/scores.csv")
    assert {"customer_id", "churn_risk", "explanation", "feature_1"} <= set(scores.columns)
    assert scores["churn_risk"].is_monotonic_decreasing

    res = runner.invoke(churn, ["forecast", "--model", f"{d}/model", *_io(cli_data), "--n-issues", "7",
                                "--as-of", "2024-08-15", "-o", f"{d}/forecast.csv", "--chart", f"{d}/f.png"])
    assert res.exit_code == 0, res.output
    fc = pd.read_csv(f"{d}/forecast.csv")
    assert len(fc) == 7 and {"expected_churn", "value_at_risk", "high_value_at_risk"} <= set(fc.columns)
    assert Path(f"{d}/f.png").read_bytes()[:4] == b"\x89PNG"

    res = runner.invoke(churn, ["winback", "--issue", "0", *_io(cli_data), "--n-issues", "7",
                                "--model", f"{d}/model", "-o", f"{d}/wb.csv", "--top", "25"])
    assert res.exit_code == 0, res.output
    wb = pd.read_csv(f"{d}/wb.csv")
    assert 0 < len(wb) <= 25 and wb["message_zh"].notna().all()


def test_cli_bad_input_exits_with_one_line(cli_data, tmp_path) -> None:
    from voc.cli.churn import churn

    runner = CliRunner()
    io = _io(cli_data)
    cases = [
        (["score", "--model", str(tmp_path / "nope"), *io, "-o", str(tmp_path / "s.csv")], "no such model"),
        (["train", *io, "--as-of", "2024-12-01", "-o", str(tmp_path / "m")], "labels would be incomplete"),
        (["train", *io, "--as-of", "someday", "-o", str(tmp_path / "m")], "not a date"),
        (["train", "--feedback", str(tmp_path / "missing.csv"), "--contacts", cli_data["contacts"],
          "--events", cli_data["events"], "--as-of", "2024-04-01", "-o", str(tmp_path / "m")], "no such file"),
        (["train", *io, "--as-of", "2024-04-01", "--test-as-of", "2024-05-01", "-o", str(tmp_path / "m")],
         "reach past"),
    ]
    bad_events = tmp_path / "events.csv"
    pd.read_csv(cli_data["events"]).drop(columns=["type"]).to_csv(bad_events, index=False)
    bad_io = [*io[:4], "--events", str(bad_events)]
    cases.append((["train", *bad_io, "--as-of", "2024-04-01", "-o", str(tmp_path / "m")], "missing required column"))
    bad_assign = tmp_path / "a.csv"
    pd.DataFrame({"customer_id": ["C1"]}).to_csv(bad_assign, index=False)
    cases.append((["train", *io, "--assignment", str(bad_assign), "--as-of", "2024-04-01", "-o",
                   str(tmp_path / "m")], "assignment has no column"))
    for args, message in cases:
        res = runner.invoke(churn, args)
        assert res.exit_code == 2, (args, res.output)
        errors = [line for line in res.output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and message in errors[0], res.output


# --------------------------------------------------------------------------- issue #15: loading is strict
def _small_model_dir(tmp_path: Path) -> Path:
    from voc.churn.features import FEATURES

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, len(FEATURES))), columns=list(FEATURES))
    return ChurnModel(model="logistic").fit(X, (X.iloc[:, 0] > 0).astype(int)).save(tmp_path / "m")


def test_load_refuses_paths_escaping_the_model_dir(tmp_path) -> None:
    d = _small_model_dir(tmp_path)
    meta = json.loads((d / "churn_model.json").read_text(encoding="utf-8"))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (d / "churn_model.safetensors").rename(outside / "churn_model.safetensors")
    for name in ("../elsewhere/churn_model.safetensors", str(outside / "churn_model.safetensors")):
        (d / "churn_model.json").write_text(json.dumps({**meta, "arrays": name}), encoding="utf-8")
        with pytest.raises(ValueError, match="escapes the model directory"):
            ChurnModel.load(d)
    (d / "churn_model.json").write_text(json.dumps(meta), encoding="utf-8")
    (d / "churn_model.safetensors").symlink_to(outside / "churn_model.safetensors")  # a link pointing out
    with pytest.raises(ValueError, match="outside the model directory"):
        ChurnModel.load(d)
    (d / "churn_model.safetensors").unlink()
    (outside / "churn_model.safetensors").rename(d / "churn_model.safetensors")
    assert ChurnModel.load(d).kind_ == "logistic"
    link = tmp_path / "link"  # the model directory itself may be a link
    link.symlink_to(d, target_is_directory=True)
    assert ChurnModel.load(link).kind_ == "logistic"


@pytest.mark.parametrize("edit", [
    lambda m: [m],
    lambda m: 3,
    lambda m: {k: v for k, v in m.items() if k != "params"},
    lambda m: {k: v for k, v in m.items() if k != "features"},
    lambda m: {k: v for k, v in m.items() if k != "kind"},
    lambda m: {**m, "params": ["model", "logistic"]},
    lambda m: {**m, "params": {**m["params"], "no_such_param": 1}},
    lambda m: {**m, "features": "recency"},
    lambda m: {**m, "validation_scores": [1, 2]},
    lambda m: {**m, "arrays": 7},
    lambda m: {**m, "kind": "forest"},
])
def test_malformed_model_json_gives_value_error(tmp_path, edit) -> None:
    d = _small_model_dir(tmp_path)
    meta = json.loads((d / "churn_model.json").read_text(encoding="utf-8"))
    (d / "churn_model.json").write_text(json.dumps(edit(meta)), encoding="utf-8")
    with pytest.raises(ValueError, match=str(d)):
        ChurnModel.load(d)
    (d / "churn_model.json").write_text('{"format": "voc-churn-1", "kind": ', encoding="utf-8")
    with pytest.raises(ValueError, match="not a voc churn model"):
        ChurnModel.load(d)
