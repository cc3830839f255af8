"""Draw the texts of ``corpora/voc_real_zh`` from the real pools, by stratum.

Run once (from the project root) to produce the labelling pool::

    python corpora/tools/sample_real.py --shared ../shared/datasets --out corpora/voc_real_zh/pool

Strata (column ``stratum`` of every output row):

* ``random``: a fixed quota per source, drawn uniformly (seeded) from that source. Label rates
  in this stratum are honest estimates for the source (weight them by the source's size).
* ``retrieved:<how>:<target>``: candidates found for a rare label, by one of
  ``cue`` (a retrieval regex below, broader than the shipped cue table),
  ``nn`` (nearest neighbours, char 2-3-gram TF-IDF cosine, of authored texts with the label), or
  ``model`` (the shipped model's score for the label). Retrieved rows are for learning; they are
  not used to estimate label rates.

The script never writes into ``../shared``. Texts shared with the authored corpus, exact
duplicates and near-duplicates inside the pool (char 4-gram Jaccard > 0.6) are dropped.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

#: Random-stratum quota per source.
RANDOM_QUOTA = {
    "jd_water_heater_lowstar": 250,
    "icbc_app_appstore": 300,
    "icbc_app_360": 100,
    "bank_forum_comments": 300,
    "car_forum": 200,
    "meituan_restaurant": 250,
    "heimao_complaints": 40,
    "atec_customer_questions": 300,
    "waimai_10k": 250,
    "online_shopping_10_cats": 350,
    "nlpcc2013_weibo": 260,
}

#: Retrieval regexes (task:label -> pattern, quota). Written for recall: annotators decide.
RETRIEVE = {
    "non_complaint_reasons:channel_blocked": (
        r"打不通|没人接|占线|忙音|无人接听|转人工|人工客服|找不到(人工|客服|入口)|只有机器人|机器人|"
        r"联系不上|联系不到|投诉无门|客服电话|一直在排队|排队", 330),
    "non_complaint_reasons:self_reliance": (
        r"自己(搞定|解决|弄|修|研究|查|处理|折腾|动手|换|装|拆)|自行|靠自己|百度|教程|重启.{0,3}好|"
        r"卸载重装|重新安装.{0,4}好|清(理)?缓存", 330),
    "non_complaint_reasons:distrust_service": (
        r"(投诉|客服|反映|反馈).{0,8}(没用|没有用|有啥用|有什么用|白搭|白费|没结果|不管用|不解决)|"
        r"踢皮球|打太极|不指望|指望不上|推卸|敷衍|没人管|也没用|又能怎样|有用吗", 330),
    "non_complaint_reasons:let_it_go": (
        r"算了|不了了之|认栽|认了|倒霉|就这样吧|懒得|将就|凑合|吃个哑巴亏|哑巴亏|交学费|不想退|"
        r"不退了|不换了|没退|没换|也就这样", 330),
    "non_complaint_reasons:not_bother": (
        r"不容易|辛苦|体谅|不忍心|不好意思|不想为难|为难|理解一下|可以理解|能理解|看在", 330),
    "non_complaint_reasons:conflict_avoidance": (
        r"怕麻烦|嫌麻烦|太麻烦|麻烦|不想(吵|争|闹|纠缠|扯)|扯皮|多一事不如少一事|息事宁人|懒得(吵|扯|争)|"
        r"不想折腾|折腾", 330),
    "non_complaint_reasons:fear_retaliation": (
        r"报复|骚扰|威胁|不敢(差评|投诉|评价|给)|怕.{0,6}(差评|投诉|拉黑|封|影响|征信)|封号|拉黑|"
        r"穿小鞋|征信|上门|不敢", 330),
    "non_complaint_reasons:privacy_concern": (
        r"实名|身份证|人脸|隐私|个人信息|信息泄露|泄露|录音|手机号|刷脸|验证|授权|通讯录", 330),
    "intent:complaint": (r"投诉|举报|12315|维权|给个说法|讨个说法|找你们(领导|经理)", 160),
    "intent:refund_return": (r"退款|退货|退钱|换货|退回|退了", 140),
    "intent:cancel": (r"注销|销户|退订|卸载|取消|不用了|换(一家|别家|银行)|转网|弃用|删了", 160),
    "intent:compensation": (r"赔偿|补偿|赔付|赔钱|损失|谁负责|精神损失|假一赔", 180),
    "intent:urge": (r"催|还没(到|发|收到|处理|退|回复|解决)|第.{1,2}天|多久|怎么还|到底什么时候|说好的", 180),
    "intent:suggestion": (r"建议|希望|能不能|能否|可不可以|最好|应该(增加|加|改|优化)|优化", 160),
    "intent:help_request": (r"怎么办|帮(我|忙)|求助|请问|在线等|急|登(录|陆)不(了|上)|无法", 100),
    "complaint_stage:latent_complaint": (
        r"(再|如果|不然|否则).{0,12}(投诉|12315|曝光|起诉|举报|媒体)|(要|会|准备|打算)(去)?(投诉|起诉|曝光|举报)", 160),
    "behaviors:word_of_mouth": (r"大家|朋友|别买|避雷|千万|劝|提醒|扩散|同事|亲戚|身边", 160),
    "temperament:narcissistic": (r"老(客户|用户|顾客)|VIP|vip|会员|钻石|白金|金卡|年消费|我是你们", 120),
    "temperament:preachy": (r"本质|应该.{0,12}而不是|底线|道理|负责任|良心|企业|做生意|用户体验", 120),
    "temperament:sensitive": (r"什么意思|看不起|针对|当(我|人)|态度|瞧不起|凭什么|把.{0,4}当", 100),
    "journey_stage:recurred": (r"又|第[二三四五六七八九十\d]次|每次|反复|三番|老是|总是", 120),
    "journey_stage:unsolvable": (r"没办法|无解|解决不了|不给退|规定|政策|不支持|修不好", 100),
    "emotion:anxiety": (r"急|担心|焦虑|怎么办|害怕|怕|慌", 100),
    "emotion:resignation": (r"无奈|没办法|算了|认了|呵呵|唉|哎", 100),
}

#: Labels whose authored texts seed nearest-neighbour retrieval (label -> quota).
NN_LABELS = {
    "non_complaint_reasons:channel_blocked": 60,
    "non_complaint_reasons:self_reliance": 60,
    "non_complaint_reasons:distrust_service": 60,
    "non_complaint_reasons:let_it_go": 60,
    "non_complaint_reasons:not_bother": 80,
    "non_complaint_reasons:conflict_avoidance": 80,
    "non_complaint_reasons:fear_retaliation": 80,
    "non_complaint_reasons:privacy_concern": 80,
    "intent:urge": 40,
    "intent:compensation": 40,
    "intent:cancel": 40,
}


def read_pools(shared: Path) -> list[dict]:
    """All real texts with source, channel, domain and the source's own weak label."""
    rows: list[dict] = []
    with open(shared / "real_pool.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows.append({"text": r["text"], "source": r["source"], "source_label": r["source_label"],
                         "channel": r["channel"], "domain": r["domain"]})
    extra = [
        ("atec_customer_questions.csv", "atec_customer_questions", "chat", "banking/payment"),
        ("waimai_10k.csv", "waimai_10k", "ecommerce_review", "food delivery"),
        ("online_shopping_10_cats.csv", "online_shopping_10_cats", "ecommerce_review", "e-commerce"),
        ("nlpcc2013_emotion_train.csv", "nlpcc2013_weibo", "weibo", "general"),
    ]
    for fname, source, channel, domain in extra:
        with open(shared / fname, encoding="utf-8") as f:
            for r in csv.DictReader(f):
                weak = r.get("source_label", "")
                if r.get("category"):
                    weak = f"{weak};category={r['category']}"
                rows.append({"text": r["text"], "source": source, "source_label": weak,
                             "channel": channel, "domain": domain})
    return rows


def shingles(text: str, n: int = 4) -> set[str]:
    t = re.sub(r"\s+", "", text)
    return {t[i:i + n] for i in range(max(1, len(t) - n + 1))}


class NearDupFilter:
    """Greedy filter: reject a text whose char 4-gram Jaccard with a kept text is > 0.6."""

    def __init__(self, threshold: float = 0.6) -> None:
        self.threshold = threshold
        self.index: dict[str, list[int]] = defaultdict(list)
        self.kept: list[set[str]] = []

    def add(self, text: str) -> bool:
        sh = shingles(text)
        counts: Counter = Counter()
        for s in sh:
            for j in self.index.get(s, ()):
                counts[j] += 1
        for j, inter in counts.items():
            union = len(sh) + len(self.kept[j]) - inter
            if union and inter / union > self.threshold:
                return False
        k = len(self.kept)
        self.kept.append(sh)
        for s in sh:
            self.index[s].append(k)
        return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, required=True)
    ap.add_argument("--authored", type=Path, default=Path("corpora/voc_zh"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--max-len", type=int, default=300)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    rows = read_pools(args.shared)
    norm = lambda t: re.sub(r"\s+", "", t)  # noqa: E731
    authored = []
    for split in ("train", "dev", "test"):
        with open(args.authored / f"{split}.jsonl", encoding="utf-8") as f:
            authored += [json.loads(line) for line in f]
    authored_texts = {norm(a["text"]) for a in authored}
    seen: set[str] = set()
    pool = []
    for r in rows:
        k = norm(r["text"])
        if not k or k in seen or k in authored_texts:
            continue
        seen.add(k)
        pool.append(r)
    print(f"pool: {len(pool)} distinct real texts")
    by_source = defaultdict(list)
    for i, r in enumerate(pool):
        by_source[r["source"]].append(i)

    ndf = NearDupFilter()
    chosen: dict[int, str] = {}

    def take(i: int, stratum: str) -> bool:
        if i in chosen or len(pool[i]["text"]) > args.max_len and not stratum.startswith("random"):
            return False
        if not ndf.add(pool[i]["text"]):
            return False
        chosen[i] = stratum
        return True

    # 1. random stratum
    for source, quota in RANDOM_QUOTA.items():
        idx = by_source[source][:]
        rng.shuffle(idx)
        n = 0
        for i in idx:
            if n >= quota:
                break
            n += take(i, "random")
        print(f"random {source}: {n}")

    # 2. cue retrieval
    for key, (pattern, quota) in RETRIEVE.items():
        rx = re.compile(pattern)
        hits = [i for i in range(len(pool)) if rx.search(pool[i]["text"])]
        rng.shuffle(hits)
        # spread over sources: round-robin by source
        per_src = defaultdict(list)
        for i in hits:
            per_src[pool[i]["source"]].append(i)
        order = []
        while any(per_src.values()):
            for s in list(per_src):
                if per_src[s]:
                    order.append(per_src[s].pop())
        n = 0
        for i in order:
            if n >= quota:
                break
            n += take(i, f"retrieved:cue:{key}")
        print(f"cue {key}: {len(hits)} hits, took {n}")

    # 3. nearest neighbours of authored texts with the label
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), min_df=2, sublinear_tf=True)
    X = vec.fit_transform([r["text"] for r in pool])
    for key, quota in NN_LABELS.items():
        task, label = key.split(":")
        seeds = [a["text"] for a in authored
                 if (label in a[task] if isinstance(a[task], list) else a[task] == label)]
        centroid = normalize(vec.transform(seeds).mean(axis=0).A)
        sims = (X @ centroid.T).ravel()
        n = 0
        for i in sims.argsort()[::-1]:
            if n >= quota:
                break
            n += take(int(i), f"retrieved:nn:{key}")
        print(f"nn {key}: took {n}")

    # 4. the shipped model's scores
    try:
        import voc

        nlp = voc.load()
        cand = [i for i in range(len(pool)) if i not in chosen and len(pool[i]["text"]) <= args.max_len]
        rng.shuffle(cand)
        cand = cand[:40000]
        docs = list(nlp.pipe([pool[i]["text"] for i in cand]))
        for reason in ("channel_blocked", "self_reliance", "distrust_service", "let_it_go", "not_bother",
                       "conflict_avoidance", "fear_retaliation", "privacy_concern"):
            scored = sorted(((lab.score, i) for d, i in zip(docs, cand, strict=True) for lab in d.non_complaint_reasons
                             if lab.label == reason), reverse=True)
            n = 0
            for _, i in scored:
                if n >= 40:
                    break
                n += take(i, f"retrieved:model:non_complaint_reasons:{reason}")
            print(f"model {reason}: took {n}")
    except Exception as e:  # the model stratum is optional
        print(f"model stratum skipped: {e!r}")

    args.out.mkdir(parents=True, exist_ok=True)
    out = []
    for i, stratum in chosen.items():
        r = pool[i]
        out.append({**r, "stratum": stratum})
    rng.shuffle(out)
    for k, r in enumerate(out):
        r["id"] = f"r-{k:05d}"
    with open(args.out / "pool.jsonl", "w", encoding="utf-8") as f:
        for r in out:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} rows; strata: {Counter(r['stratum'].split(':')[0] for r in out)}")


if __name__ == "__main__":
    main()
