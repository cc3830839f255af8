"""Write ``tests/data/parity_reference.json.xz``: the outputs that speed work must not change.

Run it with the code *before* a change that should keep every output (a speed change), or
after retraining the shipped models (the reference is tied to their fingerprint)::

    python benchmarks/make_parity_reference.py --note "voc <commit> (before ...)"

It stores ``Result.to_json()`` (JSON round trip, sorted keys) of every text of the
authored (``voc_zh``) and real (``voc_real_zh``) test splits and the SHA-256 of the shipped
model files; ``tests/test_speed_parity.py`` compares the current code with it.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from test_speed_parity import REFERENCE, _normalised, model_fingerprint  # noqa: E402

import voc  # noqa: E402
from voc.datasets import load_frame  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--note", default=None, help="What code made it (default: voc <git HEAD>).")
    ap.add_argument("-o", "--output", default=str(REFERENCE))
    args = ap.parse_args()
    note = args.note
    if note is None:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        note = f"voc {head.stdout.strip() or 'unknown'}"
    nlp = voc.load()
    ref: dict = {"generated_from": note, "model_sha256": model_fingerprint()}
    for corpus in ("voc_real_zh", "voc_zh"):
        texts = load_frame(corpus, split="test", validate=False)["text"].tolist()
        ref[corpus] = [_normalised(r.to_json()) for r in nlp.pipe(texts)]
        ref[f"{corpus}:input"] = texts  # the inputs, so that the corpus can grow without breaking the test
        print(f"{corpus}: {len(texts)} texts")
    out = Path(args.output)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".xz")
    os.close(fd)
    with lzma.open(tmp, "wb", preset=9) as fh:
        fh.write(json.dumps(ref, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    os.replace(tmp, out)
    print(f"-> {out} ({out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
