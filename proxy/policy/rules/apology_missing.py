"""apology-missing: when the customer complains, the agent's own words must apologise.

Why: Japanese support practice (and most English practice) answers a complaint with an
apology first — for the trouble, not necessarily admitting fault — before the fix. A reply
that goes straight to the fix reads as cold, and escalates. Only the agent's own text counts:
an apology the customer wrote, or one in the quote, is not the agent's.

Whether the original is a complaint comes from the classifier (`context.complaint`, the
same classification the inbound `X-Support-Category` header carries); when the door did not
classify but handed the original, the rule asks `proxy.inbound.classify` itself. No
original, or not a complaint: nothing to check.

Phrase matching: Japanese phrases as substrings of the folded text (`proxy.customers.fold`,
the fast NFKC form; spaces removed) (width, spacing and
line breaks ignored: "申し訳\nございません" matches; kanji or kana spelling ignored:
"ご不便をお掛けし" matches "ご不便をおかけ"); Latin phrases case-insensitively, word by
word, each word as a stem ("apologise" also matches apologize, apologies, apologizing,
apology), so the policy need not list every inflection and spelling.
"""
from __future__ import annotations

import importlib
import re
from typing import Any, Mapping

from proxy.customers import fold
from proxy.message import ParsedMessage
from proxy.policy.model import Context, Hit

ID = "apology-missing"
DESCRIPTION = "The original is a complaint and the reply's own text has none of the apology phrases."
NEEDS_ORIGINAL = True

PHRASES: tuple[str, ...] = (
    "申し訳ございません", "申し訳ありません", "申し訳なく", "申し訳ござい", "お詫び申し上げます",
    "お詫びいたします", "お詫び致します", "おわび申し上げます", "ご迷惑をおかけ", "ご迷惑をお掛け",
    "ご不便をおかけ", "ご心配をおかけ", "ご不快な思い", "大変失礼いたしました", "失礼いたしました",
    "sorry", "apologise", "apologize", "apologies", "apology",
)

# Kanji/kana spellings people choose freely: "ご不便をお掛けし" is "ご不便をおかけし",
# "お侘び" a common typo of "お詫び". Both the phrases and the text are read in kana form.
_SPELLINGS: tuple[tuple[str, str], ...] = (
    ("掛け", "かけ"), ("詫び", "わび"), ("侘び", "わび"), ("致し", "いたし"), ("御座い", "ござい"),
    ("申しわけ", "申し訳"), ("有り", "あり"), ("頂き", "いただき"), ("下さい", "ください"), ("御迷惑", "ご迷惑"),
)


def _kana(text: str) -> str:
    for written, read in _SPELLINGS:
        if written in text:
            text = text.replace(written, read)
    return text


_LATIN_RE = re.compile(r"^[\x20-\x7e]+$")
_SUFFIXES = ("isation", "ization", "ising", "izing", "ised", "ized", "ises", "izes", "ise", "ize",
             "ies", "ied", "ing", "ed", "es", "s", "y", "e")
_CACHE: dict[tuple[str, ...], tuple[tuple[str, ...], re.Pattern[str] | None]] = {}


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 5:
            return word[: -len(suffix)]
    return word


def _compile(phrases: tuple[str, ...]) -> tuple[tuple[str, ...], re.Pattern[str] | None]:
    """Split phrases into normalised substrings (Japanese) and one stemmed regex (Latin)."""
    cached = _CACHE.get(phrases)
    if cached is not None:
        return cached
    plain: list[str] = []
    latin: list[str] = []
    for p in phrases:
        text = " ".join(str(p).split())
        if not text:
            continue
        if _LATIN_RE.match(text):
            words = [_stem(w) for w in re.findall(r"[a-z0-9']+", text.lower())]
            if words:
                latin.append(r"\s+".join(re.escape(w) + r"[a-z']*" for w in words))
        else:
            plain.append(_kana(fold(text).replace(" ", "").casefold()))
    pattern = re.compile(r"\b(?:" + "|".join(latin) + r")", re.IGNORECASE) if latin else None
    _CACHE[phrases] = (tuple(plain), pattern)
    return _CACHE[phrases]


def is_complaint(context: Context) -> bool:
    """True when the original was classified as a complaint (classifying it here if the door did not)."""
    result = context.complaint
    if result is None and context.original is not None:
        try:
            module = importlib.import_module("proxy.inbound.classify")
        except ImportError:
            return False
        classify = getattr(module, "classify", None)
        if classify is None:
            return False
        result = classify(context.original)
    if result is None:
        return False
    category = result.get("category") if isinstance(result, Mapping) else getattr(result, "category", result)
    return str(getattr(category, "value", category)).lower() == "complaint"


def has_apology(text: str, phrases: tuple[str, ...]) -> bool:
    plain, latin = _compile(phrases)
    spaced = fold(text)
    folded = _kana(spaced.replace(" ", "").casefold())
    if any(p and p in folded for p in plain):
        return True
    return bool(latin and latin.search(spaced))


def check(message: ParsedMessage, context: Context, settings: Mapping[str, Any]) -> list[Hit]:
    if context.original is None or not is_complaint(context):
        return []
    phrases = tuple(str(p) for p in (settings.get("phrases") or PHRASES))
    if has_apology(message.own_text, phrases):
        return []
    lines = [line.strip() for line in message.own_text.split("\n") if line.strip()]
    opening = " / ".join(lines[:3])
    evidence = opening if len(opening) <= 160 else opening[:160] + "…"
    en = ("The customer's mail is a complaint, but your own text contains no apology "
          "(for example 'We are sorry for the trouble' / 'We apologize'). Apologise first, then give the fix.")
    ja = ("お客様のメールは苦情ですが、返信本文にお詫びの言葉がありません"
          "（例：「ご迷惑をおかけし、誠に申し訳ございません」）。まずお詫びを述べてから対応をご案内ください。")
    return [Hit(evidence=evidence or "(empty reply)", where="body", detail={"ja": ja, "en": en})]
