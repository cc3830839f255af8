"""Spark (local mode) throughput of ``voc.spark.analyze_spark`` vs plain ``nlp.pipe``.

    python benchmarks/bench_spark.py [--n 50000] [--master local[2]] [--partitions 4] [--json-out FILE]

Same N texts for both (``voc_zh`` cycled with a counter suffix). ``nlp.pipe`` runs
in this process (one core). Spark runs ``analyze_spark`` on a cached input DataFrame
and materialises every result column with the ``noop`` sink (``count()`` alone could
let the optimizer skip the UDF). The first Spark run includes starting the Python
workers and loading the analyzer once in each; the second run reuses them (warm).
Session startup is reported separately. Analyzer loads are counted through
``VOC_SPARK_LOAD_LOG``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument(
        "--arrow-batch", type=int, default=10_000, help="spark.sql.execution.arrow.maxRecordsPerBatch"
    )
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args()
    warnings.simplefilter("ignore", FutureWarning)  # pyspark 4.x on pandas 3

    import pandas as pd

    import voc
    from voc.datasets import load_frame

    base = [t for t in load_frame("voc_zh")["text"].tolist() if isinstance(t, str)]
    texts = [f"{base[i % len(base)]} {i}" for i in range(args.n)]
    print(
        f"{args.n} texts, {os.cpu_count()} CPUs visible, master {args.master}, {args.partitions} partitions"
    )

    # -- plain pipe ------------------------------------------------------------------
    t = time.perf_counter()
    nlp = voc.load()
    load_s = time.perf_counter() - t
    list(nlp.pipe(texts[:500]))  # warm-up
    t = time.perf_counter()
    n_pipe = sum(1 for _ in nlp.pipe(texts, batch_size=256))
    pipe_s = time.perf_counter() - t
    assert n_pipe == args.n
    print(f"nlp.pipe        {pipe_s:6.1f} s  {args.n / pipe_s:7.0f} texts/s  (load {load_s:.1f} s)")
    del nlp

    # -- Spark -----------------------------------------------------------------------
    log = Path(tempfile.mkdtemp()) / "loads.tsv"
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["VOC_SPARK_LOAD_LOG"] = str(log)
    from pyspark.sql import SparkSession

    from voc.spark import analyze_spark

    t = time.perf_counter()
    spark = (
        SparkSession.builder.master(args.master)
        .appName("voc-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(args.arrow_batch))
        .config("spark.executorEnv.VOC_SPARK_LOAD_LOG", str(log))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    session_s = time.perf_counter() - t
    df = spark.createDataFrame(pd.DataFrame({"id": range(args.n), "text": texts}), "id long, text string")
    df = df.repartition(args.partitions).cache()
    assert df.count() == args.n
    out = analyze_spark(df, "text")

    runs = []
    for label in ("cold", "warm"):
        t = time.perf_counter()
        out.write.format("noop").mode("overwrite").save()
        runs.append(time.perf_counter() - t)
        print(f"spark {label:9s} {runs[-1]:6.1f} s  {args.n / runs[-1]:7.0f} texts/s")
    n_rows = out.count()
    n_err = out.filter("error IS NOT NULL").count()
    loads = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    pids = {line.split("\t")[0] for line in loads}
    print(
        f"session start {session_s:.1f} s; rows out {n_rows} (lost {args.n - n_rows}), errors {n_err}; "
        f"analyzer loads {len(loads)} in {len(pids)} worker processes "
        f"({', '.join(line.split(chr(9))[2] + ' s' for line in loads)})"
    )
    print(f"warm spark / pipe = {(args.n / runs[1]) / (args.n / pipe_s):.2f}x")
    spark.stop()
    if args.json_out:
        Path(args.json_out).write_text(
            json.dumps(
                {
                    "n": args.n,
                    "master": args.master,
                    "partitions": args.partitions,
                    "cpus": os.cpu_count(),
                    "pipe_s": round(pipe_s, 2),
                    "pipe_texts_per_s": round(args.n / pipe_s),
                    "session_start_s": round(session_s, 1),
                    "spark_cold_s": round(runs[0], 2),
                    "spark_cold_texts_per_s": round(args.n / runs[0]),
                    "spark_warm_s": round(runs[1], 2),
                    "spark_warm_texts_per_s": round(args.n / runs[1]),
                    "rows_out": n_rows,
                    "errors": n_err,
                    "analyzer_loads": len(loads),
                    "worker_pids": len(pids),
                },
                indent=1,
            ),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
