"""Build ``corpora/voc_real_zh`` from the annotators' files: merge, adjudicate, measure, split.

    python corpora/tools/build_voc_real_zh.py [--root corpora/voc_real_zh]

Inputs (all under ``raw/``):

* ``pool.jsonl``: the sampled texts with source, channel, domain, the source's weak label and
  the stratum (written by ``corpora/tools/sample_real.py``).
* ``plan.json``: which annotator labelled which ids, and the ids of the blind double pass.
* ``labels/L<k>_b<nn>.tsv``: the annotators' files (id + nine task columns + note).
* ``adjudication.tsv`` (optional): id, task, value — the adjudicated value of a double-labelled
  item on which the two annotators disagreed.

Outputs: ``train.jsonl``, ``dev.jsonl``, ``test.jsonl`` (one row per labelled text; label =
adjudicated value, else the primary annotator's), ``double.jsonl`` (both passes of every
double-labelled item), ``agreement.json`` (Cohen's kappa per task) and ``STATS.md``.

Splits: near-duplicates (char 4-gram Jaccard > 0.6) are grouped, and each group goes to one
split by the MD5 of its first text, stratified per source: 70 % train, 15 % dev, 15 % test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_real import shingles  # noqa: E402

from voc.labelling.agreement import _task_kappa  # noqa: E402

TASKS = ["sentiment", "emotion", "intent", "non_complaint_reasons", "complaint_stage", "behaviors", "aspects",
         "journey_stage", "temperament"]
MULTI = {"non_complaint_reasons", "behaviors", "aspects"}


def read_labels(folder: Path) -> dict[str, dict[str, dict]]:
    """``{annotator: {id: row}}`` from every ``L*_b*.tsv`` file."""
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for path in sorted(folder.glob("L*_b*.tsv")):
        ann = path.name.split("_")[0]
        for line in path.read_text(encoding="utf-8").splitlines():
            cols = line.split("\t")
            if not line.strip() or cols[0] == "id" or len(cols) < 10:
                continue
            row = {"id": cols[0].strip(), "note": cols[10].strip() if len(cols) > 10 else ""}
            for task, v in zip(TASKS, cols[1:10], strict=True):
                v = v.strip()
                row[task] = (sorted({p.strip() for p in v.split(",") if p.strip()}) if v not in ("-", "") else []) \
                    if task in MULTI else v
            out[ann][row["id"]] = row
    return out


def near_dup_groups(texts: dict[str, str], threshold: float = 0.6) -> dict[str, str]:
    """id -> group id (union-find over pairs with char 4-gram Jaccard > threshold)."""
    ids = list(texts)
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    sh = {i: shingles(texts[i]) for i in ids}
    index: dict[str, list[str]] = defaultdict(list)
    for i in ids:
        for s in sh[i]:
            index[s].append(i)
    for i in ids:
        counts: Counter = Counter()
        for s in sh[i]:
            for j in index[s]:
                if j < i:
                    counts[j] += 1
        for j, inter in counts.items():
            union = len(sh[i]) + len(sh[j]) - inter
            if union and inter / union > threshold:
                parent[find(i)] = find(j)
    return {i: find(i) for i in ids}


def split_for(key: str) -> str:
    b = int(hashlib.md5(key.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "train" if b < 70 else ("dev" if b < 85 else "test")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, default=ROOT / "corpora" / "voc_real_zh")
    args = ap.parse_args()
    raw = args.root / "raw"
    pool = {r["id"]: r for r in (json.loads(x) for x in (raw / "pool.jsonl").read_text(encoding="utf-8").splitlines())}
    plan = json.loads((raw / "plan.json").read_text(encoding="utf-8"))
    labels = read_labels(raw / "labels")
    primary_of = {}
    for ann, ids in plan["primary"].items():
        for i in ids:
            primary_of[i] = ann
    adjud: dict[tuple[str, str], object] = {}
    adj_path = raw / "adjudication.tsv"
    if adj_path.exists():
        for line in adj_path.read_text(encoding="utf-8").splitlines()[1:]:
            if not line.strip():
                continue
            rid, task, value = line.split("\t")[:3]
            value = value.strip()
            adjud[(rid, task)] = (sorted(v for v in value.split(",") if v) if value not in ("-", "") else []) \
                if task in MULTI else value

    # final rows: the primary annotator's labels, adjudicated values where both passes disagree
    rows = []
    double_rows = []
    for rid, ann in primary_of.items():
        lab = labels.get(ann, {}).get(rid)
        if lab is None:
            continue
        second_ann = plan["second"].get(rid)
        second = labels.get(second_ann, {}).get(rid) if second_ann else None
        final = {t: lab[t] for t in TASKS}
        adjudicated = []
        if second is not None:
            double_rows.append({"id": rid, "text": pool[rid]["text"], "annotators": [ann, second_ann],
                                **{f"{t}_a": lab[t] for t in TASKS}, **{f"{t}_b": second[t] for t in TASKS}})
            for t in TASKS:
                if lab[t] != second[t] and (rid, t) in adjud:
                    final[t] = adjud[(rid, t)]
                    adjudicated.append(t)
        p = pool[rid]
        rows.append({"id": rid, "text": p["text"], **final, "source": p["source"], "channel": p["channel"],
                     "domain": p["domain"], "source_label": p["source_label"], "stratum": p["stratum"],
                     "annotator": ann, "double": second is not None, "adjudicated": adjudicated,
                     "note": lab["note"]})

    groups = near_dup_groups({r["id"]: r["text"] for r in rows})
    first_text = {}
    for r in sorted(rows, key=lambda r: r["id"]):
        first_text.setdefault(groups[r["id"]], r["text"])
    for r in rows:
        r["group"] = groups[r["id"]]
        r["split"] = split_for(r["source"] + "|" + first_text[groups[r["id"]]])

    agree = {}
    if double_rows:
        for t in TASKS:
            res = _task_kappa([[d[f"{t}_a"] for d in double_rows], [d[f"{t}_b"] for d in double_rows]], t in MULTI)
            agree[t] = {"kappa": round(res["kappa"], 4), "observed": round(res["observed"], 4), "n": res["n"],
                        "per_label": {k: round(v, 4) for k, v in res["per_label"].items()}}
    for split in ("train", "dev", "test"):
        with open(args.root / f"{split}.jsonl", "w", encoding="utf-8") as f:
            for r in sorted((r for r in rows if r["split"] == split), key=lambda r: r["id"]):
                f.write(json.dumps({k: v for k, v in r.items() if k != "split"}, ensure_ascii=False) + "\n")
    with open(args.root / "double.jsonl", "w", encoding="utf-8") as f:
        for d in sorted(double_rows, key=lambda d: d["id"]):
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    (args.root / "agreement.json").write_text(json.dumps(agree, ensure_ascii=False, indent=1), encoding="utf-8")
    write_stats(args.root, rows, agree, len(adjud))
    print(f"{len(rows)} labelled texts; splits {Counter(r['split'] for r in rows)}; "
          f"double-labelled {len(double_rows)}; adjudicated values {len(adjud)}")


def write_stats(root: Path, rows: list[dict], agree: dict, n_adjudicated: int) -> None:
    lines = ["# voc_real_zh statistics", "",
             "Generated by `python corpora/tools/build_voc_real_zh.py`; do not edit by hand.", "",
             f"Labelled texts: **{len(rows)}** (random stratum {sum(r['stratum'] == 'random' for r in rows)}, "
             f"retrieved {sum(r['stratum'] != 'random' for r in rows)}).", "",
             "| split | texts |", "|---|---|"]
    for s in ("train", "dev", "test"):
        lines.append(f"| {s} | {sum(r['split'] == s for r in rows)} |")
    lines += ["", "## Texts per source and stratum", "", "| source | random | retrieved | total |", "|---|---|---|---|"]
    for src in sorted({r["source"] for r in rows}):
        sub = [r for r in rows if r["source"] == src]
        nr = sum(r["stratum"] == "random" for r in sub)
        lines.append(f"| {src} | {nr} | {len(sub) - nr} | {len(sub)} |")
    lines += ["", "## Label counts (all rows) and rates in the random stratum", "",
              "Rates in the random stratum are unweighted over its per-source quotas.", "",
              "| task | label | all rows | random stratum | rate (random) |", "|---|---|---|---|---|"]
    rand = [r for r in rows if r["stratum"] == "random"]
    for t in TASKS:
        c_all, c_rand = Counter(), Counter()
        for r in rows:
            c_all.update(r[t] if t in MULTI else [r[t]])
        for r in rand:
            c_rand.update(r[t] if t in MULTI else [r[t]])
        for lab in sorted(c_all, key=lambda k: -c_all[k]):
            rate = c_rand[lab] / len(rand) if rand else 0.0
            lines.append(f"| {t} | {lab} | {c_all[lab]} | {c_rand[lab]} | {rate:.1%} |")
        if t in MULTI:
            lines.append(f"| {t} | (empty) | {sum(not r[t] for r in rows)} | {sum(not r[t] for r in rand)} | "
                         f"{(sum(not r[t] for r in rand) / len(rand) if rand else 0):.1%} |")
    if agree:
        n = next(iter(agree.values()))["n"]
        lines += ["", f"## Agreement: second blind pass on {n} random texts (Cohen's kappa)", "",
                  "Multi-label tasks: mean of the per-label kappas (yes/no per label); `observed` = exact "
                  "match of the label sets.", "", "| task | kappa | observed agreement |", "|---|---|---|"]
        for t, a in agree.items():
            lines.append(f"| {t} | {a['kappa']:.3f} | {a['observed']:.3f} |")
        lines += ["", f"Adjudicated values (disagreements resolved by a third annotator): {n_adjudicated}.", ""]
    (root / "STATS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
