"""Generators of personal data in the formats people really type, for the leak tests.

Every generator takes a ``random.Random`` and returns ``(kind, shown, secret)``:
``shown`` is the PII as written in a text (groupings, full-width digits, NBSP or
zero-width characters inside, +86 prefixes ...), ``secret`` what must never appear
in any output: the digits (compared after removing everything else) or the e-mail's
local part. Host texts around the PII hold no digits, so any run of digits from the
secret in an output is a leak.
"""

from __future__ import annotations

import random
import re
import unicodedata

HOSTS = (
    "我的{label}是{pii}，麻烦尽快处理",
    "{pii}",
    "客服一直不回，{label}{pii}，气死了",
    "联系方式：{pii}谢谢",
    "退款没到账 {pii} 请回电",
)
_FULLWIDTH = str.maketrans("0123456789+-()@.", "０１２３４５６７８９＋－（）＠．")
_INVISIBLE = ("\u00a0", "\u200b", "\u200c", "\u2060", "\ufeff", "\u3000", "\u202f")


def _luhn_complete(prefix: str) -> str:
    for last in "0123456789":
        digits = prefix + last
        total = 0
        for i, ch in enumerate(reversed(digits)):
            d = int(ch)
            if i % 2:
                d = d * 2 - 9 if d * 2 > 9 else d * 2
            total += d
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _group(s: str, sizes: tuple[int, ...], sep: str) -> str:
    out, pos = [], 0
    for size in sizes:
        out.append(s[pos:pos + size])
        pos += size
    if pos < len(s):
        out.append(s[pos:])
    return sep.join(p for p in out if p)


def phone(rng: random.Random) -> tuple[str, str, str]:
    """A mobile number in one of the groupings and prefixes seen in real text."""
    number = "1" + rng.choice("3456789") + _digits(rng, 9)
    sep = rng.choice(["", " ", "-", ".", " ", "-"])
    grouping = rng.choice([(3, 4, 4), (3, 2, 2, 2, 2), (4, 4, 3), (11,)])
    shown = _group(number, grouping, sep) if sep else number
    prefix = rng.choice(["", "", "", "+86 ", "+86-", "0086 ", "86", "+86"])
    return "PHONE", prefix + shown, number


def landline(rng: random.Random) -> tuple[str, str, str]:
    """A landline with an area code: 010-12345678, (0755)1234567, 021 12345678."""
    area = rng.choice(["010", "021", "020", "0755", "0571", "0591", "028"])
    local = rng.choice("23456789") + _digits(rng, rng.choice([6, 7]))
    shown = rng.choice([f"{area}-{local}", f"({area}){local}", f"{area} {local}", f"（{area}）{local}"])
    return "PHONE", shown, area + local


def idcard(rng: random.Random) -> tuple[str, str, str]:
    """An 18-digit ID (plain or 6-8-4 groups) or a 15-digit first-generation ID."""
    region = rng.choice("123456") + _digits(rng, 5)
    year = rng.randint(1940, 2015)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    if rng.random() < 0.25:
        number = f"{region}{year % 100:02d}{month:02d}{day:02d}{_digits(rng, 3)}"
        return "IDCARD", number, number
    tail = _digits(rng, 3) + rng.choice("0123456789X")
    birth = f"{year}{month:02d}{day:02d}"
    sep = rng.choice(["", "", " ", "-"])
    shown = sep.join((region, birth, tail))
    return "IDCARD", shown, region + birth + tail.rstrip("X")


def bankcard(rng: random.Random) -> tuple[str, str, str]:
    """A Luhn-valid card number: plain, 4-4-4-4(-3), dotted, or 6+13."""
    length = rng.choice([16, 19])
    prefix = rng.choice(["62", "4", "5"])
    number = _luhn_complete(prefix + _digits(rng, length - 1 - len(prefix)))
    style = rng.choice(["plain", "4s", "dots", "6+13" if length == 19 else "4s"])
    if style == "plain":
        shown = number
    elif style == "4s":
        shown = _group(number, (4, 4, 4, 4), rng.choice([" ", "-"]))
    elif style == "dots":
        shown = _group(number, (4, 4, 4, 4), ".")
    else:
        shown = _group(number, (6, 13), " ")
    return "BANKCARD", shown, number


def email(rng: random.Random) -> tuple[str, str, str]:
    """An e-mail: ASCII, with a full-width ＠, or internationalized (张三@例子.中国)."""
    if rng.random() < 0.3:
        local = rng.choice(["张三", "李小明", "王五", "客户赵六"])
        domain = rng.choice(["例子.中国", "公司.网络", "例子.com"])
        return "EMAIL", f"{local}@{domain}", local
    local = rng.choice(["zhang", "li.ming", "wang_5", "kf2023", "chen-x"]) + "".join(
        rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(4))
    domain = rng.choice(["example.com", "qq.com", "163.com", "mail.example.com.cn"])
    at = rng.choice(["@", "@", "＠"])
    return "EMAIL", f"{local}{at}{domain}", local


GENERATORS = (phone, landline, idcard, bankcard, email)
LABELS = {"PHONE": "电话", "IDCARD": "身份证号", "BANKCARD": "卡号", "EMAIL": "邮箱"}


def disguise(rng: random.Random, shown: str) -> str:
    """Full-width digits and/or an invisible or odd space between two digits."""
    if rng.random() < 0.3:
        shown = shown.translate(_FULLWIDTH)
    if rng.random() < 0.3:
        spots = [i for i in range(1, len(shown)) if shown[i - 1].isdigit() and shown[i].isdigit()]
        if spots:
            i = rng.choice(spots)
            shown = shown[:i] + rng.choice(_INVISIBLE) + shown[i:]
    return shown


def case(rng: random.Random) -> tuple[str, str, str]:
    """One host text with one PII value: ``(text, kind, secret)``."""
    kind, shown, secret = rng.choice(GENERATORS)(rng)
    shown = disguise(rng, shown)
    host = rng.choice(HOSTS)
    return host.format(label=LABELS[kind], pii=shown), kind, secret


def cases(n: int, seed: int = 0) -> list[tuple[str, str, str]]:
    """``n`` cases from a seeded generator (every format appears for n >= 200)."""
    rng = random.Random(seed)
    return [case(rng) for _ in range(n)]


def leaks(output: str, kind: str, secret: str) -> bool:
    """Whether ``output`` still shows ``secret`` (7+ digits of it in a row, or the e-mail name)."""
    folded = unicodedata.normalize("NFKC", output)
    if kind == "EMAIL":
        return secret.lower() in folded.lower()
    digits = re.sub(r"\D", "", folded)
    k = min(7, len(secret))
    return any(secret[i:i + k] in digits for i in range(len(secret) - k + 1))
