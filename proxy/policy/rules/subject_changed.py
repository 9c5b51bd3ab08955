"""subject-changed: the reply must keep the customer's subject, only adding a reply prefix.

Why: in Japanese support practice the subject is the customer's name for their case; they
find the thread by it, and a reply titled "お問い合わせの件" or "Repair booking V-3381"
reads as a different matter (or as spam). So the only change allowed is what mail clients
add themselves: reply prefixes ("Re:", "RE:", "Re[2]:", "返信:", "AW:", "SV:", with a
half- or full-width colon, any number of them) and the policy's allowed tags (say a ticket
number "[#1234]", anywhere in the subject). Forward prefixes are *not* reply prefixes: a
reply whose subject gains "Fwd:" / "FW:" / "転送:" has changed.

Comparison: NFKC (full/half width), dash/tilde variants folded, case-insensitive, all
whitespace removed — so a subject re-encoded by another client (encoded-words split at new
places, folded differently, "Ｒｅ：" vs "Re:") is still the same subject.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any, Iterable, Mapping

from proxy.message import ParsedMessage, normalize
from proxy.policy.model import Context, Hit
from proxy.policy.regex import compile_pattern

ID = "subject-changed"
DESCRIPTION = "The reply's subject, minus reply prefixes and allowed tags, differs from the original's."
NEEDS_ORIGINAL = True

# Used when the policy gives none (the loader ships the same idea as its own defaults).
REPLY_PREFIXES: tuple[str, ...] = (
    "Re", "返信", "AW", "SV", "VS", "Antw", "RIF", "R", "Odp", "回复", "回覆", "答复", "Réf", "RES", "Ynt",
)
FORWARD_PREFIXES: tuple[str, ...] = ("Fwd", "Fw", "WG", "TR", "転送", "轉寄", "转发", "Enc", "RV", "VB", "Doorst")

_COUNTER = r"(?:\s*(?:\[\s*\d+\s*\]|\(\s*\d+\s*\)|\^\s*\d+))?"
_PATTERN_CACHE: dict[tuple[str, ...], re.Pattern[str]] = {}


def _prefix_pattern(prefixes: Iterable[str]) -> re.Pattern[str]:
    """One anchored pattern for "any of these prefixes, an optional counter, a colon".

    Policy entries are words ("Re", "返信"); an entry written with its counter or colon
    ("Re[2]", "Re:") is reduced to the word, and every word accepts every counter form.
    """
    words: set[str] = set()
    for p in prefixes:
        w = normalize(str(p)).rstrip(":")
        w = re.sub(r"(\[\d*\]|\(\d*\)|\^\d*)$", "", w)
        if w:
            words.add(w.lower())
    key = tuple(sorted(words))
    pat = _PATTERN_CACHE.get(key)
    if pat is None:
        alts = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) or "(?!)"
        pat = re.compile(r"^\s*(?:" + alts + r")" + _COUNTER + r"\s*:\s*", re.IGNORECASE)
        _PATTERN_CACHE[key] = pat
    return pat


@functools.lru_cache(maxsize=64)
def _compile_tag(source: str) -> Any:
    return compile_pattern(source)


def _tag_patterns(settings: Mapping[str, Any]) -> list[Any]:
    """Allowed tags as objects with `.search` (compiled RE2 from the loader) — strings are
    compiled here (once) with the same linear-time engine the loader uses."""
    tags = settings.get("allowed_tags_re") or settings.get("allowed_tags") or ()
    return [t if hasattr(t, "search") else _compile_tag(str(t)) for t in tags]


def _strip_tags(text: str, tags: list[Any]) -> str:
    for pat in tags:
        for _ in range(20):            # a tag may occur several times; never loop forever
            m = pat.search(text)
            if m is None or m.end() == m.start():
                break
            text = text[:m.start()] + " " + text[m.end():]
    return text


# What clients show for a mail without a subject; the same as none.
def has_reply_prefix(subject: str, prefixes: Iterable[str] = REPLY_PREFIXES) -> bool:
    """Does the subject start with a reply prefix ("Re:", "返信:", "AW:", …)?"""
    return _prefix_pattern(prefixes).match(unicodedata.normalize("NFKC", subject)) is not None


NO_SUBJECT = frozenset({"(nosubject)", "nosubject", "(件名なし)", "件名なし", "(無題)", "無題", "(なし)"})


def core(subject: str, prefixes: re.Pattern[str], tags: list[Any]) -> str:
    """The part of a subject that must not change: NFKC form, tags removed, leading reply
    prefixes removed (tags may sit between them: "[#12] Re: Re: …"), case and whitespace ignored."""
    text = unicodedata.normalize("NFKC", subject)
    text = _strip_tags(text, tags)
    while True:
        m = prefixes.match(text)
        if m is None or m.end() == 0:
            break
        text = _strip_tags(text[m.end():], tags)
    result = normalize(text).casefold()
    return "" if result in NO_SUBJECT else result


def check(message: ParsedMessage, context: Context, settings: Mapping[str, Any]) -> list[Hit]:
    original = context.original
    if original is None:
        return []
    prefixes = _prefix_pattern(settings.get("reply_prefixes") or REPLY_PREFIXES)
    tags = _tag_patterns(settings)
    want = core(original.subject, prefixes, tags)
    got = core(message.subject, prefixes, tags)
    if want == got:
        return []
    before, after = original.subject.strip(), message.subject.strip()
    if not after:
        en = (f"The reply has no subject, but the customer's subject is '{before}'. "
              f"Use the customer's subject with 'Re:' in front.")
        ja = f"返信に件名がありません。お客様の件名は「{before}」です。この件名の前に「Re:」を付けてください。"
    else:
        forward = _prefix_pattern(settings.get("forward_prefixes") or FORWARD_PREFIXES)
        if forward.match(after) and core(forward.sub("", after, count=1), prefixes, tags) == want:
            en = (f"The subject gained a forward prefix: original '{before}', reply '{after}'. "
                  f"A reply keeps the customer's subject and only adds 'Re:'.")
            ja = (f"件名に転送の接頭辞が付いています（元の件名「{before}」、返信の件名「{after}」）。"
                  f"返信ではお客様の件名に「Re:」だけを付けてください。")
        else:
            en = (f"The subject was changed: original '{before}', reply '{after}'. "
                  f"Keep the customer's subject and only add 'Re:'.")
            ja = (f"件名が変更されています（元の件名「{before}」、返信の件名「{after}」）。"
                  f"お客様の件名はそのままにし、「Re:」だけを付けてください。")
    return [Hit(evidence=after or "(empty subject)", where="subject", detail={"ja": ja, "en": en})]
