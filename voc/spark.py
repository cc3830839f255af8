"""Analyze a Spark DataFrame column with ``voc``: one pandas UDF, one analyzer per Python worker.

``analyze_spark(df, "text")`` returns ``df`` with the :meth:`voc.results.Result.to_dict`
columns appended (``flat=True``) or with one struct column ``voc`` holding them
(``flat=False``). Every input row gives exactly one output row; unusable texts
(null, empty, whitespace) get ``error`` set and empty labels, as in ``nlp.pipe``. As in
``analyze_frame``, a string ``text_col`` comes back with PII masked (``mask_input=True``).

How it runs: the UDF is a pandas UDF of the iterator-of-Series form, so Spark hands
each Python worker a stream of Arrow batches (``spark.sql.execution.arrow.maxRecordsPerBatch``
rows each, 10,000 by default). The analyzer is taken from a module-level cache keyed
by ``model_path``: it is loaded once per executor Python worker (Spark reuses workers
across tasks, ``spark.python.worker.reuse=true`` by default) and shared by every batch
and task that worker runs. Within an Arrow batch, texts go through ``nlp.pipe`` in
chunks of ``batch_size``.

The executors need ``voc`` (and its dependencies) installed and, for a custom model,
``model_path`` readable from every executor: on shared storage, or shipped with
``--archives``/``SparkContext.addFile`` and named by its relative path (looked up in
the executor's working directory, then in ``SparkFiles``); see ``docs/spark.md``.

Set the environment variable ``VOC_SPARK_LOAD_LOG`` to a file path (on the executors,
e.g. ``spark.executorEnv.VOC_SPARK_LOAD_LOG``) to have every analyzer load append one
line ``pid<TAB>model_path<TAB>seconds`` to that file: a cheap way to check that models are
not reloaded per batch.

``pyspark`` is imported only when :func:`analyze_spark` or :func:`result_schema` is
called, so ``import voc`` does not need it.

Example:
    >>> from pyspark.sql import SparkSession  # doctest: +SKIP
    >>> from voc.spark import analyze_spark  # doctest: +SKIP
    >>> spark = SparkSession.builder.master("local[2]").getOrCreate()  # doctest: +SKIP
    >>> df = spark.createDataFrame([("物流太慢了，差评",), (None,)], "text string")  # doctest: +SKIP
    >>> analyze_spark(df).select("sentiment", "error").show()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import threading
import time
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from voc.results import MULTI_TASKS, RECORD_COLUMNS, SCORE_COLUMNS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

__all__ = ["analyze_spark", "get_analyzer", "result_schema", "RESULT_COLUMNS", "LOAD_LOG_ENV"]

#: Columns added by :func:`analyze_spark`, in order (the keys of ``Result.to_dict()``).
RESULT_COLUMNS = RECORD_COLUMNS
_LIST_COLUMNS = frozenset(MULTI_TASKS)
_FLOAT_COLUMNS = frozenset({"sentiment_score", *(c for c in SCORE_COLUMNS if c.endswith("_score"))})
# ``{label: score}`` mappings: JSON text (one Arrow type, as in ``analyze_batch``)
_JSON_COLUMNS = frozenset(c for c in SCORE_COLUMNS if c.endswith("_scores"))

#: Environment variable naming a file to which every analyzer load appends a line.
LOAD_LOG_ENV = "VOC_SPARK_LOAD_LOG"

_MASKED = "__voc_masked_text__"
_cache: dict[str | None, Any] = {}
_cache_lock = threading.Lock()


def result_schema() -> StructType:
    """The Spark schema of the result columns.

    Label columns are ``StringType``, multi-label columns ``ArrayType(StringType)``,
    ``sentiment_score`` and the ``<task>_score`` columns ``DoubleType``, the ``<task>_scores``
    mappings JSON text (``StringType``); every field is nullable (null on error rows).

    Returns:
        A ``pyspark.sql.types.StructType`` with the fields of :data:`RESULT_COLUMNS`.
    """
    from pyspark.sql.types import ArrayType, DoubleType, StringType, StructField, StructType

    fields = []
    for name in RESULT_COLUMNS:
        if name in _LIST_COLUMNS:
            dtype: Any = ArrayType(StringType(), containsNull=False)
        elif name in _FLOAT_COLUMNS:
            dtype = DoubleType()
        else:
            dtype = StringType()
        fields.append(StructField(name, dtype, nullable=True))
    return StructType(fields)


def get_analyzer(model_path: str | None = None) -> Any:
    """The analyzer of this process for ``model_path`` (loaded on first call, then cached).

    Thread-safe; meant to be called inside Spark Python workers, but works anywhere.

    Args:
        model_path: Model directory as given to :func:`voc.load` (``None``: shipped models).

    Returns:
        The cached :class:`voc.pipeline.Analyzer`.
    """
    nlp = _cache.get(model_path)
    if nlp is not None:
        return nlp
    with _cache_lock:
        nlp = _cache.get(model_path)
        if nlp is None:
            from voc.pipeline import load

            t0 = time.perf_counter()
            nlp = load(_resolve(model_path))
            _log_load(model_path, time.perf_counter() - t0)
            _cache[model_path] = nlp
    return nlp


def _resolve(model_path: str | None) -> str | None:
    """A relative ``model_path`` missing from the working directory is looked up among the
    files shipped with ``SparkContext.addFile`` / ``--files`` / ``--archives`` (``SparkFiles``)."""
    if model_path is None or os.path.isabs(model_path) or os.path.exists(model_path):
        return model_path
    try:
        from pyspark import SparkFiles

        candidate = os.path.join(SparkFiles.getRootDirectory(), model_path)
    except Exception:  # noqa: BLE001 - not in a Spark process: keep the path as given
        return model_path
    return candidate if os.path.exists(candidate) else model_path


def _log_load(model_path: str | None, seconds: float) -> None:
    target = os.environ.get(LOAD_LOG_ENV)
    if not target:
        return
    line = f"{os.getpid()}\t{model_path or ''}\t{seconds:.3f}\n"
    # One short O_APPEND write per load: concurrent workers do not interleave lines.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def _analyze_series(nlp: Any, texts: pd.Series, batch_size: int, mask_input: bool = False) -> pd.DataFrame:
    """Analyze one Arrow batch; one output row per input row, in order.

    With ``mask_input``, a last column :data:`_MASKED` holds the input texts with PII masked
    (:func:`voc.frame.mask_column`, the same as ``analyze_frame``).
    """
    import pandas as pd

    columns: dict[str, list[Any]] = {name: [] for name in RESULT_COLUMNS}
    # A Spark null arrives as None or, in a pandas >= 3 string Series, as NaN: make it None.
    items = [None if v is None or (isinstance(v, float) and v != v) else v for v in texts.tolist()]
    n = 0
    for r in nlp.pipe(items, batch_size=batch_size):
        d = r.to_dict()
        for name in RESULT_COLUMNS:
            v = d[name]
            columns[name].append(json.dumps(v, ensure_ascii=False) if name in _JSON_COLUMNS and v is not None else v)
        n += 1
    if n != len(texts):  # pragma: no cover - pipe guarantees one result per input
        raise RuntimeError(f"voc: {n} results for {len(texts)} texts")
    frame = pd.DataFrame(
        {name: pd.Series(values, dtype=object) for name, values in columns.items()}, index=pd.RangeIndex(n)
    )
    for name in _FLOAT_COLUMNS:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    if mask_input:
        from voc.frame import mask_column

        frame[_MASKED] = mask_column(pd.Series(items, dtype=object)).tolist()
    return frame


def _quote(name: str) -> str:
    """A column reference that survives dots and spaces in ``name``."""
    return "`" + name.replace("`", "``") + "`"


def analyze_spark(
    df: DataFrame,
    text_col: str = "text",
    *,
    model_path: str | os.PathLike[str] | None = None,
    flat: bool = True,
    batch_size: int = 256,
    struct_col: str = "voc",
    suffix: str = "_pred",
    mask_input: bool = True,
) -> DataFrame:
    """Analyze ``df[text_col]`` on the executors and append the result columns.

    Args:
        df: A ``pyspark.sql.DataFrame``. ``text_col`` should be a string (or binary)
            column; any other type gives rows with ``error`` set.
        text_col: Column holding the texts.
        model_path: Model directory written by ``Analyzer.to_disk``; it must be readable
            at this path on every executor: an absolute path on shared storage, or a
            relative path to a directory shipped with ``--archives`` or
            ``SparkContext.addFile(dir, recursive=True)`` (resolved against the executor's
            working directory, then ``SparkFiles.getRootDirectory()``). ``None`` uses the
            models inside the ``voc`` package installed on the executors.
        flat: ``True``: one column per result field appended to ``df``; ``False``: one
            struct column ``struct_col`` holding them.
        batch_size: Texts per ``nlp.pipe`` model batch inside each Arrow batch.
        struct_col: Name of the struct column when ``flat=False``.
        suffix: With ``flat=True``, appended to result column names that already exist
            in ``df`` (e.g. gold labels), as :func:`voc.analyze_frame` does.
        mask_input: Replace a string ``text_col`` by its PII-masked text (phones, ID cards,
            bank cards, e-mails), as :func:`voc.analyze_frame` does, so that nothing
            written from the result leaks them; ``False`` passes the column through.
            Binary and other non-string columns are always passed through.

    Returns:
        A new DataFrame (lazy, like every Spark transformation): the columns of ``df``
        followed by the result columns (see :func:`result_schema`); one row per input row.

    Raises:
        ImportError: ``pyspark`` is not installed (``pip install "voc-zh[spark]"``).
        TypeError: ``df`` is not a Spark DataFrame.
        KeyError: ``text_col`` is missing.
        ValueError: ``batch_size`` is not a positive integer, or ``struct_col`` exists in ``df``.
    """
    try:
        from pyspark.sql import functions as F
    except ImportError as e:  # pragma: no cover - exercised only without pyspark
        raise ImportError('voc.spark needs pyspark: pip install "voc-zh[spark]"') from e
    import pandas as pd

    # Classic and Spark Connect DataFrames are different classes, both under pyspark.sql.
    if not type(df).__module__.startswith("pyspark.sql") or not hasattr(df, "withColumn"):
        raise TypeError(f"analyze_spark expects a pyspark DataFrame, got {type(df).__name__}")
    if text_col not in df.columns:
        raise KeyError(f"column {text_col!r} not in DataFrame; columns are {df.columns}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    key = None if model_path is None else os.fspath(model_path)
    mask = bool(mask_input) and df.schema[text_col].dataType.typeName() == "string"
    schema = result_schema()
    if mask:
        from pyspark.sql.types import StringType, StructField

        schema = schema.add(StructField(_MASKED, StringType(), nullable=True))

    def analyze_batches(batches: Iterator[pd.Series]) -> Iterator[pd.DataFrame]:
        from voc.spark import _analyze_series, get_analyzer

        nlp = get_analyzer(key)  # once per worker process, reused by later tasks
        for texts in batches:
            yield _analyze_series(nlp, texts, batch_size, mask)

    # Real objects, not the strings of ``from __future__ import annotations``: Spark reads
    # these hints to pick the iterator-of-Series UDF type.
    analyze_batches.__annotations__ = {"batches": Iterator[pd.Series], "return": Iterator[pd.DataFrame]}
    with warnings.catch_warnings():
        # pyspark 4.x warns on pandas >= 3 although the Series -> DataFrame path used here works.
        warnings.filterwarnings(
            "ignore", message=".*does not yet fully support pandas.*", category=FutureWarning
        )
        udf = F.pandas_udf(analyze_batches, returnType=schema)  # type: ignore[call-overload]
        result = udf(F.col(_quote(text_col)))

    if not flat and struct_col in df.columns:
        raise ValueError(f"column {struct_col!r} already exists; pass another struct_col")
    tmp = "__voc_result__"
    while tmp in df.columns:
        tmp += "_"
    clash = [c for c in RESULT_COLUMNS if c in df.columns] if flat else []
    if clash:
        warnings.warn(
            f"columns {clash} already exist; predictions are named with suffix {suffix!r}", stacklevel=2
        )
    # The UDF is evaluated once (one ArrowEvalPython node); its fields are then selected.
    inputs = [
        F.col(f"{tmp}.{_MASKED}").alias(c) if mask and c == text_col else F.col(_quote(c)) for c in df.columns
    ]
    fields = [F.col(f"{tmp}.{name}") for name in RESULT_COLUMNS]
    if flat:
        fields = [
            f.alias(name + suffix if name in clash else name)
            for f, name in zip(fields, RESULT_COLUMNS, strict=True)
        ]
    else:
        fields = [F.struct(*fields).alias(struct_col)]
    return df.withColumn(tmp, result).select(*inputs, *fields)
