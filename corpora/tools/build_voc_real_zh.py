"""Build ``corpora/voc_real_zh`` from the annotators' files: merge, adjudicate, measure, split.

    python corpora/tools/build_voc_real_zh.py [--root corpora/voc_real_zh]

Inputs (all under ``raw/``):

* ``pool.jsonl`` (round 1) and ``pool_round2.jsonl``: the sampled texts with source, channel,
  domain, the source's weak label and the stratum (written by ``corpora/tools/sample_real.py``).
* ``plan.json`` / ``plan_round2.json``: which annotator labelled which ids, and the ids of the
  blind double pass.
* ``labels/<annotator>_<batch>.tsv``: the annotators' files (id + nine task columns + note).
* ``adjudication*.tsv`` (optional): id, task, value, rule — the adjudicated value of a
  double-labelled item on which the two annotators disagreed (one file per adjudication pass).
* ``sweep*.tsv`` (optional): id, task, value, rule — a consistency sweep after an adjudication pass:
  the value a rule written in that pass gives to a row that only one annotator labelled (read by
  the adjudicator row by row). Applied after adjudication; recorded in the row's ``swept`` list.

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
    for path in sorted(folder.glob("*_*.tsv")):
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


def read_decisions(paths: list[Path]) -> dict[tuple[str, str], object]:
    """``{(id, task): value}`` from ``id, task, value, rule`` TSV files (adjudication or sweep)."""
    out: dict[tuple[str, str], object] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            if not line.strip():
                continue
            rid, task, value = line.split("\t")[:3]
            value = value.strip()
            out[(rid, task)] = (sorted(v for v in value.split(",") if v) if value not in ("-", "") else []) \
                if task in MULTI else value
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
    ap.add_argument("--disagreements", type=Path, default=None,
                    help="Also write the not yet adjudicated disagreements (id, task, a, b, text) to this TSV.")
    args = ap.parse_args()
    raw = args.root / "raw"
    pool: dict[str, dict] = {}
    for path in sorted(raw.glob("pool*.jsonl")):  # pool.jsonl (round 1), pool_round2.jsonl, ...
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            r["round"] = int(path.stem.rsplit("round", 1)[1]) if "round" in path.stem else 1
            pool[r["id"]] = r
    plan: dict[str, dict] = {"primary": {}, "second": {}}
    for path in sorted(raw.glob("plan*.json")):
        part = json.loads(path.read_text(encoding="utf-8"))
        plan["primary"].update(part["primary"])
        plan["second"].update(part["second"])
    labels = read_labels(raw / "labels")
    primary_of = {}
    for ann, ids in plan["primary"].items():
        for i in ids:
            primary_of[i] = ann
    adjud = read_decisions(sorted(raw.glob("adjudication*.tsv")))
    sweep = read_decisions(sorted(raw.glob("sweep*.tsv")))

    # final rows: the primary annotator's labels, adjudicated values where both passes disagree
    rows = []
    double_rows = []
    n_ruled = 0
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
        swept = [t for t in TASKS if (rid, t) in sweep and t not in adjudicated and final[t] != sweep[(rid, t)]]
        for t in swept:
            final[t] = sweep[(rid, t)]
        p = pool[rid]
        if p["source"] == "heimao_complaints":  # rule R31: a complaint-platform post is a filed complaint
            ruled = [t for t, ok in (("complaint_stage", final["complaint_stage"] == "complaint"),
                                     ("behaviors", "direct_complaint" in final["behaviors"])) if not ok]
            final["complaint_stage"] = "complaint"
            final["behaviors"] = sorted({*final["behaviors"], "direct_complaint"})
            n_ruled += bool(ruled)
        rows.append({"id": rid, "text": p["text"], **final, "source": p["source"], "channel": p["channel"],
                     "domain": p["domain"], "source_label": p["source_label"], "stratum": p["stratum"], "round": p["round"],
                     "annotator": ann, "double": second is not None, "adjudicated": adjudicated,
                     **({"swept": swept} if swept else {}), "note": lab["note"]})

    if args.disagreements:
        with open(args.disagreements, "w", encoding="utf-8") as f:
            f.write("id\ttask\ta\tb\ttext\n")
            for d in sorted(double_rows, key=lambda d: d["id"]):
                for t in TASKS:
                    a, b = d[f"{t}_a"], d[f"{t}_b"]
                    if a != b and (d["id"], t) not in adjud:
                        fmt = (lambda v: ",".join(v) or "-") if t in MULTI else str
                        f.write(f"{d['id']}\t{t}\t{fmt(a)}\t{fmt(b)}\t{d['text']}\n")

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
    fill_datasheet(args.root, rows, agree, double_rows)
    print(f"rule R31 changed {n_ruled} heimao_complaints rows; the consistency sweeps changed "
          f"{sum(len(r.get('swept', [])) for r in rows)} values")
    print(f"{len(rows)} labelled texts; splits {Counter(r['split'] for r in rows)}; "
          f"double-labelled {len(double_rows)}; adjudicated values {len(adjud)}")


def _replace_block(text: str, name: str, body: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text:
        return text
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    return f"{head}{start}\n{body}\n{end}{tail}"


def fill_datasheet(root: Path, rows: list[dict], agree: dict, double_rows: list[dict]) -> None:
    """Write the generated tables into DATASHEET.md between its ``<!-- name:start/end -->`` markers."""
    path = root / "DATASHEET.md"
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    lines = [f"Second pass on {len(double_rows)} texts (a uniform random 10 % of each round).", "",
             "| task | Cohen's kappa | observed agreement | per-label kappa (multi-label tasks) |", "|---|---|---|---|"]
    for t, a in agree.items():
        per = ", ".join(f"{k} {v:.2f}" for k, v in sorted(a["per_label"].items()))
        lines.append(f"| {t} | {a['kappa']:.3f} | {a['observed']:.3f} | {per} |")
    text = _replace_block(text, "agreement", "\n".join(lines))
    counts = {t: Counter(x for r in rows for x in (r[t] if t in MULTI else [r[t]])) for t in ("non_complaint_reasons", "intent")}
    lines = ["| task | label | real positives | target |", "|---|---|---|---|"]
    for t, c in counts.items():
        for lab, n in sorted(c.items(), key=lambda kv: kv[1]):
            lines.append(f"| {t} | {lab} | {n} | 80{' (short)' if n < 80 else ''} |")
    text = _replace_block(text, "minimums", "\n".join(lines))
    sys.path.insert(0, str(ROOT))
    from voc.datasets import weak_sentiment

    def raw(r: dict) -> str:
        lab = r["source_label"] or ""
        return lab.rsplit("=", 1)[-1] if r["source"] == "car_forum" else lab

    pairs = [(r["source"], raw(r), r["sentiment"]) for r in rows
             if r["source"] in ("bank_forum_comments", "car_forum", "jd_water_heater_lowstar", "meituan_restaurant")
             and r["source_label"] and r["split"] != "test"]
    lines = ["| source | source's label | n | hand: negative | neutral | positive | used as |", "|---|---|---|---|---|---|---|"]
    for (src, lab), n in sorted(Counter((s, w) for s, w, _ in pairs).items()):
        hand = Counter(h for s, w, h in pairs if s == src and w == lab)
        used = weak_sentiment(src, lab if src != "car_forum" else f"x={lab}") or "not used"
        lines.append(f"| {src} | {lab} | {n} | {hand['negative']} | {hand['neutral']} | {hand['positive']} | {used} |")
    text = _replace_block(text, "weak", "\n".join(lines))
    path.write_text(text, encoding="utf-8")


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
