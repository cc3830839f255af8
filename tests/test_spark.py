"""voc.spark on a local[2] Spark: one row per input, same labels as ``nlp.pipe``, one load per worker.

Skipped without pyspark or Java. One SparkSession for the whole module (startup is the
slow part); small data, small Arrow batches so that every worker sees several batches.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("pyspark")
if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
    pytest.skip("Spark needs Java (no java on PATH, no JAVA_HOME)", allow_module_level=True)

from voc.frame import mask_column  # noqa: E402
from voc.spark import LOAD_LOG_ENV, RESULT_COLUMNS, analyze_spark, result_schema  # noqa: E402

pytestmark = [pytest.mark.spark, pytest.mark.timeout(300)]

ROWS_PER_ARROW_BATCH = 16
PARTITIONS = 4

SPECIAL = [
    None,
    "",
    "   ",
    "\u200b\u200b",  # only zero-width characters: empty after normalization
    "😡😡😡",
    "這個客服態度太差了，打了三次電話都沒人接",
    "联系我 13812345678 或者 abc@example.com，退款还没到",
    "物流太慢了，差评" * 400,  # longer than max_length: truncated, still one row
    "\ufffd replacement char 退款 \u202e RTL",
]


@pytest.fixture(scope="module")
def load_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spark") / "loads.tsv"


@pytest.fixture(scope="module")
def spark(load_log: Path):
    from pyspark.sql import SparkSession

    with pytest.MonkeyPatch.context() as mp:
        # Workers must run this interpreter (the venv with voc), and inherit the load log.
        mp.setenv("PYSPARK_PYTHON", sys.executable)
        mp.setenv("PYSPARK_DRIVER_PYTHON", sys.executable)
        mp.setenv(LOAD_LOG_ENV, str(load_log))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # pyspark 4.x on pandas 3
            session = (
                SparkSession.builder.master("local[2]")
                .appName("voc-tests")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", str(PARTITIONS))
                .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(ROWS_PER_ARROW_BATCH))
                .config("spark.python.worker.reuse", "true")
                .config(f"spark.executorEnv.{LOAD_LOG_ENV}", str(load_log))
                .config("spark.driver.memory", "1g")
                .getOrCreate()
            )
        session.sparkContext.setLogLevel("ERROR")
        try:
            yield session
        finally:
            session.stop()


@pytest.fixture(scope="module")
def texts(voc_zh: pd.DataFrame) -> list[str | None]:
    sample = voc_zh[voc_zh["split"] == "test"]["text"].head(180).tolist()
    return sample + SPECIAL


@pytest.fixture(scope="module")
def frame(spark, texts):
    pdf = pd.DataFrame({"id": range(len(texts)), "text": pd.Series(texts, dtype=object)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return spark.createDataFrame(pdf, "id long, text string").repartition(PARTITIONS)


def _collect(df) -> list[dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return [r.asDict(recursive=True) for r in df.orderBy("id").collect()]


def _none(values: list) -> list:
    """pandas >= 3 turns None into NaN in string columns; Spark gives None."""
    return [None if isinstance(v, float) and math.isnan(v) else v for v in values]


def _same(a: dict, b: dict) -> bool:
    for col in RESULT_COLUMNS:
        x, y = a[col], b[col]
        if col.endswith("_scores"):  # JSON text in Spark, a {label: score} dict in to_dict()
            x, y = (json.loads(v) if isinstance(v, str) else v for v in (x, y))
            if (x is None) != (y is None) or (x is not None and (list(x) != list(y) or not all(
                    math.isclose(x[k], y[k], abs_tol=1e-9) for k in x))):
                return False
        elif col.endswith("_score"):
            if (x is None) != (y is None) or (x is not None and not math.isclose(x, y, abs_tol=1e-9)):
                return False
        elif x != y:
            return False
    return True


def test_flat_output_matches_pipe(frame, texts, nlp):
    out = analyze_spark(frame, "text", batch_size=7)
    assert out.columns == ["id", "text", *RESULT_COLUMNS]
    types = {f.name: f.dataType.simpleString() for f in out.schema.fields}
    assert types["sentiment_score"] == types["emotion_score"] == types["temperament_score"] == "double"
    assert types["aspects_scores"] == "string"  # {label: score} as JSON text
    assert types["non_complaint_reasons"] == types["behaviors"] == types["aspects"] == "array<string>"
    assert types["sentiment"] == types["error"] == "string"

    rows = _collect(out)
    assert len(rows) == len(texts)  # no row lost or duplicated
    assert [r["id"] for r in rows] == list(range(len(texts)))
    assert [r["text"] for r in rows] == _none(mask_column(pd.Series(texts, dtype=object)).tolist())
    flat_text = json.dumps(rows, ensure_ascii=False)
    assert "13812345678" not in flat_text and "abc@example.com" not in flat_text  # masked by default
    expected = [r.to_dict() for r in nlp.pipe(texts)]
    mismatches = [i for i, (r, e) in enumerate(zip(rows, expected, strict=True)) if not _same(r, e)]
    assert not mismatches, [(texts[i], rows[i], expected[i]) for i in mismatches[:3]]

    by_text = {r["text"]: r for r in rows if r["text"] is not None}
    null_row = next(r for r in rows if r["text"] is None)
    for bad in (null_row, by_text[""], by_text["   "], by_text["\u200b\u200b"]):
        assert bad["error"] and bad["sentiment"] is None and bad["sentiment_score"] is None
        assert bad["non_complaint_reasons"] == [] and bad["aspects"] == []
    assert "None" in null_row["error"]
    good = [r for r in rows if r["text"] and r["text"].strip() and r["text"] != "\u200b\u200b"]
    assert all(r["error"] is None and r["sentiment"] for r in good)


def test_struct_output(frame, texts):
    out = analyze_spark(frame, flat=False, struct_col="result")
    assert out.columns == ["id", "text", "result"]
    assert out.schema["result"].dataType == result_schema()
    rows = _collect(out.select("id", "result.*"))
    assert len(rows) == len(texts)
    flat = _collect(analyze_spark(frame).drop("text"))
    assert all(_same(a, b) for a, b in zip(rows, flat, strict=True))


def test_model_path_and_column_clash(spark, tmp_path, nlp, load_log):
    model = tmp_path / "model"
    nlp.to_disk(model)
    pdf = pd.DataFrame(
        {
            "id": range(40),
            "text": ["退款三天了还没到账", None, "物流超快，点赞", "  "] * 10,
            "sentiment": ["gold"] * 40,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        df = spark.createDataFrame(pdf).repartition(PARTITIONS)
    with pytest.warns(UserWarning, match="already exist"):
        out = analyze_spark(df, model_path=model, mask_input=False)
    assert "sentiment" in out.columns and "sentiment_pred" in out.columns
    rows = _collect(out)
    assert [r["text"] for r in rows] == _none(pdf["text"].tolist())
    assert len(rows) == 40 and {r["sentiment"] for r in rows} == {"gold"}
    assert [r["sentiment_pred"] for r in rows[:4]] == ["negative", None, "positive", None]
    assert sum(r["error"] is not None for r in rows) == 20
    assert str(model) in load_log.read_text(encoding="utf-8")


def test_model_shipped_with_add_file(spark, tmp_path, nlp, load_log):
    """A relative model_path is found among the files shipped to the executors (SparkFiles)."""
    model = tmp_path / "voc_model_shipped"
    nlp.to_disk(model)
    spark.sparkContext.addFile(str(model), recursive=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        df = spark.createDataFrame(pd.DataFrame({"id": [0, 1], "text": ["物流超快，点赞", None]}))
    rows = _collect(analyze_spark(df, model_path="voc_model_shipped"))
    assert [r["sentiment"] for r in rows] == ["positive", None]
    assert "\tvoc_model_shipped\t" in load_log.read_text(encoding="utf-8")


def test_binary_and_non_text_columns(spark):
    texts = ["退款", "物流太慢了"]
    pdf = pd.DataFrame(
        {
            "id": range(4),
            "raw": [t.encode("gb18030") for t in texts] + [b"\xff\xfe\xfd", b""],
            "n": [1, 2, 3, 4],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        df = spark.createDataFrame(pdf, "id long, raw binary, n long")
    rows = _collect(analyze_spark(df, "raw"))
    assert [r["error"] is None for r in rows] == [True, True, False, False]
    rows = _collect(analyze_spark(df, "n"))
    assert len(rows) == 4 and all(r["error"] and r["error"].startswith("TypeError") for r in rows)


def test_analyzer_loaded_once_per_worker(frame, load_log):
    """Runs last in this module: every earlier test reused the workers' analyzers."""
    _collect(analyze_spark(frame).select("id", "sentiment"))  # one more job over 4 partitions
    lines = [line.split("\t") for line in load_log.read_text(encoding="utf-8").splitlines()]
    default = [pid for pid, path, _ in lines if path == ""]
    # local[2]: at most two concurrent Python workers; each loads the default model once
    # although it ran several tasks and many Arrow batches of 16 rows.
    assert default and len(default) == len(set(default)) <= 2
    custom = [(pid, path) for pid, path, _ in lines if path]  # two model paths were used above
    assert len(custom) == len(set(custom))


def test_bad_arguments(frame):
    with pytest.raises(KeyError, match="nope"):
        analyze_spark(frame, "nope")
    with pytest.raises(TypeError, match="pyspark DataFrame"):
        analyze_spark(pd.DataFrame({"text": ["x"]}))
    with pytest.raises(ValueError, match="batch_size"):
        analyze_spark(frame, batch_size=0)
    with pytest.raises(ValueError, match="already exists"):
        analyze_spark(frame, flat=False, struct_col="text")


def test_import_voc_does_not_import_pyspark():
    import subprocess

    code = "import sys, voc; voc.load; import voc.spark; print('pyspark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
