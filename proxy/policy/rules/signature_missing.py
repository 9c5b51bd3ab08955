"""signature-missing: the reply must end with the sender's own signature.

Why: the customer must know who answered and whom to ask next; a reply signed by nobody,
or with a colleague's name left in a template while the mail comes from someone else,
breaks that trust. So the signature block — the last block of the agent's own text — must
carry the sender's name as in the From header, plus every line the policy requires (company
name, phone number, …).

Name matching ignores spacing, width and case: "大野 里美" == "大野　里美" == "大野里美",
"Hannah Scott" == "HANNAH SCOTT" == "Scott, Hannah" (reversed order with or without a comma,
as lists and romanised Japanese names often have it). Parenthesised parts of the display
name ("大野 里美 (ミナト家電)") and anything after a "|" or "/" are not part of the name; a
display name of three or more words ("ミナト家電 大野 里美"), or a team name on a role address
(support@, info@, …), is carried when all its words are, in any order.

A name only in the greeting or the first line ("大野です") does not count: the signature is
the parser's signature block and the closing paragraphs of the own text (the first
non-empty line, the greeting, never counts; nor does a self-introduction further up).

Decided: when From has no display name, the name to look for is the address's local part
with "." "_" "-" read as spaces ("hannah.scott@" → "hannah scott"), since that is the only
name the mail itself states; a role address (support@, info@, …) has no person's name, so
only the required lines are checked.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Mapping

from proxy.message import ParsedMessage, normalize
from proxy.policy.model import Context, Hit
from proxy.policy.rules.subject_changed import has_reply_prefix

ID = "signature-missing"
DESCRIPTION = "The reply's own text has no signature block with the sender's name and the required lines."
NEEDS_ORIGINAL = False

REQUIRED_LINES: tuple[str, ...] = ()
ROLE_LOCAL_PARTS = frozenset({
    "support", "info", "help", "helpdesk", "service", "contact", "noreply", "no-reply", "sales",
    "office", "admin", "customer", "customercare", "care", "cs", "team", "mail", "webmaster",
})
FALLBACK_LINES = 8

_BRACKETS_RE = re.compile(r"[(（\[【<＜「『].*?[)）\]】>＞」』]")
_SPLIT_RE = re.compile(r"\s*[|｜/／]\s*")
_RULE_LINE_RE = re.compile(r"^[\s\-=_*~#+.・―─━－＝＿＊]+$")   # separator lines, not worth showing
_TOKEN_SPLIT_RE = re.compile(r"[\s,，、・･]+")


def _fold(text: str) -> str:
    """Comparison form for names: `normalize` + case-insensitive + no commas or middle dots."""
    return _TOKEN_SPLIT_RE.sub("", normalize(text).casefold())


def sender_name(message: ParsedMessage) -> str | None:
    """The person's name the signature must carry, or None when the mail states none."""
    if message.from_ is None:
        return None
    name = unicodedata.normalize("NFKC", message.from_.name or "")
    name = _BRACKETS_RE.sub(" ", name)
    name = next((p for p in _SPLIT_RE.split(name) if p.strip()), "").strip(" \"'")
    if name and "@" not in name:
        return name
    local = message.from_.addr.split("@", 1)[0].lower()
    if not local or _role_address(message):
        return None
    words = [w for w in re.split(r"[._+\-\d]+", local) if len(w) >= 2]
    return " ".join(words) or None


def _name_tokens(name: str) -> list[str]:
    return [_fold(t) for t in _TOKEN_SPLIT_RE.split(unicodedata.normalize("NFKC", name)) if _fold(t)]


def _carries_name(block: str, name: str, team: bool = False) -> bool:
    """The whole name in one piece ("大野里美", "scotthannah"), or — for a display name with
    a company or team in it ("ミナト家電 大野 里美", or any name on a role address such as
    support@: "ミナト家電 お客様相談室") — every one of its words somewhere in the block."""
    if any(f in block for f in _name_forms(name)):
        return True
    tokens = _name_tokens(name)
    return (len(tokens) >= 3 or (team and len(tokens) >= 2)) and all(t in block for t in tokens)


def _role_address(message: ParsedMessage) -> bool:
    local = message.from_.addr.split("@", 1)[0].lower() if message.from_ else ""
    return local in ROLE_LOCAL_PARTS or re.sub(r"[\d._+\-]", "", local) in ROLE_LOCAL_PARTS


def _name_forms(name: str) -> set[str]:
    tokens = [t for t in _TOKEN_SPLIT_RE.split(unicodedata.normalize("NFKC", name).casefold()) if t]
    forms = {_fold(name)}
    if len(tokens) > 1:
        forms.add(_fold("".join(reversed(tokens))))
    return {f for f in forms if f}


def _last_paragraphs(own_text: str) -> str:
    """The closing of the own text: its last blank-line-separated paragraphs, taken until
    they hold 3 lines (a one-line "Hannah Scott" after "Warm regards," is one paragraph
    of its own), at most 3 paragraphs and `FALLBACK_LINES` lines; never the first line."""
    lines = own_text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    paragraphs: list[list[str]] = [[]]
    for line in lines[first + 1:]:
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    taken: list[str] = []
    for paragraph in reversed([p for p in paragraphs if p][-3:]):
        taken = paragraph + taken
        if len(taken) >= 3:
            break
    return "\n".join(taken[-FALLBACK_LINES:])


def signature_blocks(message: ParsedMessage) -> list[str]:
    """Where a signature may be: the parser's block, and the closing paragraphs of the own
    text (greeting line excluded) — the parser's block may be cut too short or too long."""
    blocks: list[str] = []
    if message.signature:
        blocks.append(message.signature)
    closing = _last_paragraphs(message.own_text)
    if closing:
        blocks.append(closing)
    return blocks


def is_reply(message: ParsedMessage) -> bool:
    """Does the mail answer something? Threading headers, a reply prefix or a quote say so."""
    return bool(message.in_reply_to or message.references or message.quotes
                or has_reply_prefix(message.subject))


def check(message: ParsedMessage, context: Context, settings: Mapping[str, Any]) -> list[Hit]:
    if settings.get("applies_to", "replies") == "replies" and not is_reply(message):
        return []   # a new mail (a test, a notice) is not a reply; `applies_to: all` checks it too
    name = sender_name(message)
    required = [str(r) for r in (settings.get("required_lines") or REQUIRED_LINES) if str(r).strip()]
    blocks = signature_blocks(message)
    folded = [_fold(b) for b in blocks]
    team = _role_address(message)
    missing_name = bool(name) and not any(_carries_name(b, name or "", team) for b in folded)
    missing_lines = [r for r in required if not any(_fold(r) in b for b in folded)]
    if not missing_name and not missing_lines:
        return []
    if message.signature:
        shown = "\n".join(line for line in message.signature.split("\n")
                          if line.strip() and not _RULE_LINE_RE.match(line)).strip()
    else:   # no block found: show how the reply ends
        shown = "\n".join([line for line in message.own_text.split("\n") if line.strip()][-3:]).strip()
    evidence = shown if len(shown) <= 200 else shown[:200] + "…"
    problems_en: list[str] = []
    problems_ja: list[str] = []
    if missing_name:
        problems_en.append(f"your name '{name}' (as in From)")
        problems_ja.append(f"送信者名「{name}」（From と同じ名前）")
    if missing_lines:
        problems_en.append("the required line(s) " + ", ".join(f"'{r}'" for r in missing_lines))
        problems_ja.append("必須の行 " + "、".join(f"「{r}」" for r in missing_lines))
    if not message.signature:
        en = (f"The reply has no signature block with {' and '.join(problems_en)}; it ends without one. "
              f"End the reply with your signature.")
        ja = f"返信の末尾に{'と'.join(problems_ja)}を含む署名がありません。本文の最後に署名を付けてください。"
        evidence = evidence or "(empty reply)"
    else:
        en = (f"The signature at the end of the reply lacks {' and '.join(problems_en)}. "
              f"Sign with your own name (not a colleague's template).")
        ja = (f"本文末尾の署名に{'と'.join(problems_ja)}がありません。"
              f"ご自身の名前で署名してください（他の担当者の署名を流用しないでください）。")
    return [Hit(evidence=evidence, where="signature", detail={"ja": ja, "en": en})]
