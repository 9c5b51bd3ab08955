"""other-customer-data: a reply must not carry data of customers other than its recipients.

Why: the most damaging slip in mail support is pasting from an old case — another customer's
name in the greeting, their address as "where we re-sent the confirmation", their phone
number or customer id — or answering two customers in one mail with both in To/Cc. Each is a
privacy incident that cannot be recalled once sent.

What is looked at: the agent's own text (quotes and attribution lines are the customer's own
words, not a leak) — of every alternative a client may show (the plain part and, beside it, the
HTML part: `ParsedMessage.alternatives`; a finding there says "HTML part line N") — and what the
agent added to the subject around the customer's own subject ("（石田様分）"), through `proxy.customers.CustomerIndex.scan`: full names
(spacing, width, case), surname + honorific (様, さん, Mr., Ms., …; a bare surname inside
another word or a place name is not enough), e-mail addresses, phone numbers (any spacing,
hyphens, width, +81), customer ids (case and width ignored, whole words).

Who may be named: the reply's recipients — the customers whose address is in To/Cc, and the
names in the To/Cc display names (a recipient missing from the customer list is still a
recipient), and the sender's own name (an agent may share a name with a customer). A match
is fine when *any* of its owners is a recipient (the original's author counts as one, even
when the reply goes to another of their addresses): two customers named 青木 share the surname,
and "青木様" in a reply to one of them is the recipient. Rows with the same customer id are
one person when counting the customers in To/Cc. Data the original itself carries (the
customer mentioned a friend who is also a customer; their subject names someone) is the
recipient's own knowledge, not a leak.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from proxy.customers import DEFAULT_HONORIFICS, Match, fold, name_keys
from proxy.message import BodyView, ParsedMessage, normalize
from proxy.policy.model import Context, Hit

ID = "other-customer-data"
DESCRIPTION = "The reply carries a name, address, phone number or id of a customer other than its recipients."
NEEDS_ORIGINAL = False

HONORIFICS: tuple[str, ...] = DEFAULT_HONORIFICS
MAX_HITS = 5

# Attribution lines the parser may have left in the own text (a client it does not know):
# they quote a header, they are not the agent's words. Only the unmistakable endings — a
# line like "宛先: …@…" may well be the agent pasting an address, so it stays.
_ATTRIBUTION_RE = re.compile(
    r"^(?:.*\bwrote[ \t]*:|.*書きました[ \t]*[:：]?|.*<[^<>\s]+@[^<>\s]+>[ \t]*[:：])[ \t]*$",
    re.IGNORECASE | re.MULTILINE)
_ATTRIBUTION_CUES = ("wrote", "Wrote", "WROTE", "書きました", ">:", ">：")

# Reply prefixes (as subject-changed knows them) with an optional counter and a colon.
_REPLY_PREFIX_RE = re.compile(
    r"^\s*(?:re|返信|aw|sv|vs|antw|rif|r|odp|回复|回覆|答复|réf|res|ynt)"
    r"(?:\s*(?:\[\s*\d+\s*\]|\(\s*\d+\s*\)|\^\s*\d+))?\s*:\s*", re.IGNORECASE)

_KIND_EN = {"name": "name", "surname": "name", "email": "e-mail address", "phone": "phone number",
            "customer_id": "customer id"}
_KIND_JA = {"name": "氏名", "surname": "氏名", "email": "メールアドレス", "phone": "電話番号",
            "customer_id": "お客様番号"}


def _own_names(message: ParsedMessage) -> set[str]:
    """Folded full names and surnames from the To/Cc display names — and the sender's own:
    an agent who shares a name with some customer may still sign with it."""
    out: set[str] = set()
    for a in message.recipients + ((message.from_,) if message.from_ else ()):
        if a.name:
            full, surname = name_keys(a.name)
            out |= full
            if surname:
                out.add(surname)
    return out


def _body_line(view: BodyView, match: Match) -> str:
    """"body line N" for the own line holding the match ("body" when it spans lines); in an
    alternative other than the primary one, "HTML part line N" ("HTML part")."""
    place = view.label or "body"
    needle = match.text.lower()
    for number, line in view.own_lines:
        if needle in fold(line).lower():
            return f"{place} line {number}"
    return place


def _subject_rest(subject: str, original_subject: str) -> str:
    """The reply's subject without the customer's subject and the reply prefixes in front of
    it: what the agent added ("（石田様分）", "[#12] 田中様の件も"), to be scanned. The customer's
    own subject is theirs (and what it names is known through the original anyway)."""
    text, orig = fold(subject), fold(original_subject)
    while True:
        m = _REPLY_PREFIX_RE.match(text)
        if m is None or not m.end():
            break
        text = text[m.end():]
    while True:
        m = _REPLY_PREFIX_RE.match(orig)
        if m is None or not m.end():
            break
        orig = orig[m.end():]
    chars = [c for c in orig if not c.isspace()]
    if not chars:
        return text
    # spacing may differ (folded at another place, a space added): match it whitespace-blind
    m = re.search(r"\s*".join(re.escape(c) for c in chars), text, re.IGNORECASE)
    if m is None:
        return text
    return " ".join((text[:m.start()] + " " + text[m.end():]).split())


def _hit(match: Match, where: str) -> Hit:
    """The data itself is the evidence only: the detail travels further (SMTP replies, logs),
    so it names the kind of data and where it is, not the data."""
    kind_en, kind_ja = _KIND_EN[match.kind], _KIND_JA[match.kind]
    place_en = "The subject" if where == "subject" else where[0].upper() + where[1:]
    if where == "subject":
        place_ja = "件名"
    else:
        part = "HTMLパートの本文" if where.startswith("HTML part") else "本文"
        place_ja = part if not where.split()[-1].isdigit() else f"{part}{where.split()[-1]}行目"
    en = (f"{place_en} contains the {kind_en} of another customer who is not a recipient of this reply "
          f"(see the evidence). Remove it — pasted from another case?")
    ja = (f"{place_ja}に、この返信の宛先ではない別のお客様の{kind_ja}が含まれています（証跡を参照）。"
          f"削除してください（別の案件からの貼り付けではありませんか）。")
    return Hit(evidence=match.text, where=where, detail={"ja": ja, "en": en})


def check(message: ParsedMessage, context: Context, settings: Mapping[str, Any]) -> list[Hit]:
    index = context.customers
    if index is None or not hasattr(index, "scan") or not len(index):
        return []
    honorifics = tuple(settings.get("honorifics") or HONORIFICS)
    hits: list[Hit] = []

    recipients: dict[int, str] = {}
    people: dict[str, str] = {}       # one person may have several rows (same customer id)
    for a in message.recipients:
        for owner in index.by_email(a.addr):
            recipients.setdefault(owner, a.addr)
            person = index.customers[owner].customer_id.strip().lower() or f"#{owner}"
            people.setdefault(person, a.addr)
    if len(people) >= 2:
        shown = ", ".join(dict.fromkeys(people.values()))
        en = (f"To/Cc put {len(people)} different customers in one mail (see the evidence); each sees the "
              f"others' address. Write to each customer separately.")
        ja = (f"To/Cc に別々のお客様 {len(people)} 名が入っており（証跡を参照）、互いのアドレスが見えてしまいます。"
              f"お客様ごとに別のメールでお送りください。")
        hits.append(Hit(evidence=shown, where="To/Cc", detail={"ja": ja, "en": en}))

    allowed_names = _own_names(message)
    allowed_addrs = {a.addr for a in message.recipients}
    original = context.original
    if original is not None:
        # The customer who wrote the original is who this reply answers, even when it goes
        # to their Reply-To or another address of theirs.
        for a in ((original.from_,) if original.from_ else ()) + original.reply_to:
            allowed_addrs.add(a.addr)
            for owner in index.by_email(a.addr):
                recipients.setdefault(owner, a.addr)
            if a.name:
                full, surname = name_keys(a.name)
                allowed_names |= full | ({surname} if surname else set())
    # What the customer wrote themselves (say, a friend's name they mentioned) is not leaked
    # by repeating it to them; a subject kept as the customer wrote it is theirs too.
    known: set[tuple[str, str]] = set()
    named: set[int] = set()           # customers the original names: their names (not their data) are known
    subject = message.subject
    if original is not None:
        for m in index.scan(original.subject + "\n" + original.text, honorifics):
            known.add((m.kind, m.key))
            if m.kind in ("name", "surname"):
                named.update(m.owners)
        if normalize(original.subject):
            subject = _subject_rest(subject, original.subject)
    # Every alternative a client may show: the plain part and, beside it, the HTML part (a
    # name or address pasted only into the HTML is what most customers see).
    texts: list[tuple[str, str, BodyView | None]] = [("subject", subject, None)]
    for view in message.alternatives:
        texts.append(("body", view.own_text, view))
    seen: set[tuple[str, str]] = set()
    for where, text, view in texts:
        if any(k in text for k in _ATTRIBUTION_CUES) and _ATTRIBUTION_RE.search(text):
            text = _ATTRIBUTION_RE.sub("", text)
        for m in index.scan(text, honorifics):
            if recipients.keys() & set(m.owners) or (m.kind, m.key) in known:
                continue
            if m.kind in ("name", "surname") and named & set(m.owners):
                continue
            if m.kind in ("name", "surname") and m.key in allowed_names:
                continue
            if m.kind == "email" and m.key in allowed_addrs:
                continue
            if (m.kind, m.key) in seen:
                continue
            seen.add((m.kind, m.key))
            hits.append(_hit(m, where if view is None else _body_line(view, m)))
            if len(hits) >= MAX_HITS:
                return hits
    return hits
