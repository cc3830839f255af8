"""Text pools and helpers for the informal Chinese feedback the simulation writes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from voc.synthetic.planted import PlantedIssue

#: Non-complaint reason -> phrases (the phrase is the evidence span).
_REASON_PHRASES: dict[str, tuple[str, ...]] = {
    "channel_blocked": ("想反馈都找不到入口", "根本联系不上人", "也不知道去哪里反馈"),
    "self_reliance": ("最后自己研究半天搞定了", "自己动手解决了，不指望别人", "还是靠自己弄好了"),
    "distrust_service": ("找客服也没用，反正解决不了", "投诉了也白搭", "反映了也不会有人管"),
    "let_it_go": ("算了，就这样吧", "懒得折腾了，认了", "算了不计较了"),
    "not_bother": ("客服也挺辛苦的，不想为难他们", "不想给客服添麻烦", "小哥也不容易，不想投诉他"),
    "conflict_avoidance": ("不想吵架，忍了", "怕麻烦，不想跟人扯皮", "不想起冲突，就这样吧"),
    "fear_retaliation": ("怕投诉了以后被针对", "担心给差评被商家骚扰", "怕投诉完被拉黑"),
    "privacy_concern": (
        "反馈还要实名认证，不想给个人信息",
        "不想把身份证号给他们",
        "要留手机号才能反馈，算了",
    ),
}
_REASON_SOLVED = {"self_reliance"}
_STYLE = {
    "叛逆者": ("大家千万别用了，避雷！", {"behaviors": ["word_of_mouth"]}),
    "创造者": ("建议你们优化一下流程，别让用户干等", {"intent": "suggestion"}),
    "统治者": ("这么大的公司连这点都做不好，管理层真该好好反省", {"temperament": "preachy"}),
}
_EMOTION_CUES: dict[str, tuple[str, ...]] = {
    "anger": ("气死", "凭什么", "坑人", "太过分", "乱扣", "偷偷", "？？"),
    "impatience": ("一拖再拖", "等了", "多久", "排队", "一直", "还没"),
    "anxiety": ("急着", "怎么办", "担心", "是不是", "查不到"),
    "disappointment": ("无语", "失望", "服了", "也没用", "说不清楚"),
    "resignation": ("算了", "认了", "怀疑人生", "没法用", "又被我踩了", "多半"),
    "delight": ("谢谢", "点赞", "满意", "不错", "好评", "挺快"),
}
_PREFIXES = ("", "", "", "说真的，", "吐槽一下，", "唉，", "无语，", "[怒]", "真的是，")
_SUFFIXES = ("", "", "", "！", "！！！", "。", "…", "[怒][怒]", "，真的服", "，差评")
_PUBLIC_CHANNELS = ("app_review", "weibo", "ecommerce_review", "survey_verbatim", "forum")
_CONTACT_CHANNELS = (
    ("hotline", "hotline_transcript"),
    ("online_chat", "chat"),
    ("app", "chat"),
    ("email", "email"),
)
_PRAISE = (
    "配送很快，小哥态度也好，点赞",
    "客服小姐姐很耐心，问题一下就解决了",
    "东西质量不错，会回购的",
    "用了半年了，挺满意的",
    "价格实惠，包装也仔细，好评",
    "这次活动力度很大，买到就是赚到",
    "售后处理得很及时，谢谢",
    "app新版本挺好用的，界面清爽",
    "会员权益还挺多的，值了",
    "退货流程很顺，第二天就退款了，满意",
)
_INQUIRY = (
    "请问发票在哪里开",
    "会员积分怎么兑换",
    "请问退货地址在哪里看",
    "怎么修改收货地址",
    "这个优惠券能和满减一起用吗",
    "请问营业时间是几点到几点",
    "怎么绑定新的银行卡",
    "订单可以改成自提吗",
    "请问有没有学生优惠",
    "怎么查看历史订单",
)
_BACKGROUND_NEG = (
    ("衣服尺码偏小，穿着不合适，有点失望", "disappointment", ("product_quality",)),
    ("东西一般般吧，跟图片差挺多的", "disappointment", ("product_quality",)),
    ("价格比别家贵了不少，不太划算", "disappointment", ("price_billing",)),
    ("质量不行，用了两天就坏了", "anger", ("product_quality",)),
    ("包装破了，里面的东西也有划痕", "disappointment", ("product_quality", "logistics")),
    ("味道太咸了，下次不会再点这家", "disappointment", ("product_quality",)),
)
_RESOLVED = (
    "问题已经解决了，谢谢客服",
    "处理结果收到了，客服还挺快的",
    "已经处理好了，这次还算满意",
    "终于解决了，谢谢",
)
_VOCAL_OPEN = ("客服你好，", "我要投诉，", "你好，", "请帮我处理一下，")
_VOCAL_AGAIN = (
    "第二次联系了，还是没解决，",
    "又来找你们了，问题还没解决，",
    "上次说会处理，到现在也没消息，",
)
_RECURRED = ("又出问题了，", "同样的问题又来了，", "又来了，")
_CHURN_TEXTS = ("不用了，账号已经注销", "已经换别家了，再见")


def _choice(rng: np.random.Generator, seq: Sequence[Any]) -> Any:
    return seq[int(rng.integers(len(seq)))]


def _emotion_evidence(text: str, emotion: str) -> list[str]:
    return [c for c in _EMOTION_CUES.get(emotion, ()) if c in text][:2]


def _complaint_text(rng: np.random.Generator, issue: PlantedIssue) -> tuple[str, str, str]:
    core, emotion, intent = _choice(rng, issue.texts)
    return _choice(rng, _PREFIXES) + core + _choice(rng, _SUFFIXES), emotion, intent
