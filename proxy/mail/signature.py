"""Where the author's signature starts in their own text.

Separate from the quote splitter because it works on the own lines that splitter leaves, and
because it is a judgement in order of trust (RFC 3676 delimiter, separator line, closing
phrase, contact-detail block) that is tuned on its own.
"""
from __future__ import annotations

import re


_SIG_DELIM_RE = re.compile(r"^--[ \t]?$")
_SEP_CHARS = "-‐‑‒–—―=＝_＿*＊~～〜・･+＋#＃ー－/／■□◆◇●○★☆※〓\u2500-\u257f"
# A line of separator characters, or one framing a short text ("━━ ミナト家電 ━━", "==== Hannah ====").
_SEPARATOR_RE = re.compile(rf"^[ \t　]*(?:[{_SEP_CHARS}]{{3,}}|[{_SEP_CHARS}]{{2,}}[^{_SEP_CHARS}].{{0,40}}?[{_SEP_CHARS}]{{2,}})[ \t　]*$")
_CLOSING_RE = re.compile(
    r"(?i)^\s*(?:(?:.{0,30}(?:よろしく|宜しく|よろしゅう)\s*お(?:願|ねが)い\s*(?:いた|致)?(?:し|申し上げ)?(?:ます|します)|"
    r".{0,20}お願い申し上げます|以上(?:です|となります)?|敬具|草々|かしこ)[。.!！]*|"
    r"(?:(?:best|warm|kind|warmest|kindest|with\s+kind|with\s+best)\s+regards|regards|best\s+wishes|all\s+the\s+best|best|cheers|"
    r"sincerely(?:\s+yours)?|yours\s+(?:sincerely|truly|faithfully)|many\s+thanks|thanks(?:\s+again)?|"
    r"thank\s+you(?:\s+again)?|respectfully|take\s+care)\s*[,.!、。]*)\s*$")
# A last block without a delimiter is taken as a signature only when it looks like one.
_CONTACT_RE = re.compile(
    r"(?i)\b(?:tel|phone|fax|mobile|e-?mail|www)\b|電話|携帯|フリーダイヤル|\d{2,4}-\d{2,4}-\d{3,4}|@|https?://|"
    r"株式会社|有限会社|\(株\)|㈱|\b(?:inc|ltd|llc|co|corp|gmbh)\b\.?|部|課|室|センター|"
    r"\b(?:customer|support|service|care|team|department)\b")


def find_signature(own: list[tuple[int, str]]) -> tuple[str | None, int | None]:
    """The signature block at the end of the own text, and its first line number.

    In order of trust: the last RFC 3676 "-- " delimiter; a separator line (――――, ─────,
    -----, ＝＝＝, ***) that opens a block near the end; a short block after a closing
    phrase (よろしくお願いいたします, Best regards, Thanks, …).
    """
    if not own:
        return None, None
    texts = [t for _, t in own]
    n = len(texts)

    after = [0] * (n + 1)  # after[k]: non-blank lines in texts[k:]
    for k in range(n - 1, -1, -1):
        after[k] = after[k + 1] + (1 if texts[k].strip() else 0)

    def nonblank_after(k: int) -> int:
        return after[k]

    def block(k: int) -> tuple[str | None, int | None]:
        body = [t for t in texts[k:]]
        while body and not body[0].strip():
            body.pop(0)
            k += 1
        if not body:
            return None, None
        return "\n".join(body).strip("\n"), own[k][0] + 1

    for k in range(n - 1, max(-1, n - 60), -1):
        if _SIG_DELIM_RE.match(texts[k]) and 0 < nonblank_after(k + 1) <= 20:
            return block(k + 1)
    for k in range(max(0, n - 40), n):
        if _SEPARATOR_RE.match(texts[k]) and 0 < nonblank_after(k + 1) <= 12:
            return block(k)
    for k in range(n - 1, max(-1, n - 10), -1):
        if _CLOSING_RE.match(texts[k]):
            rest = [t for t in texts[k + 1:] if t.strip()]
            if 0 < len(rest) <= 6 and all(len(t.strip()) <= 80 for t in rest):
                return block(k + 1)
            break
    # the last block (after the last empty line): 2-6 short lines carrying contact details
    k = n
    while k > 0 and texts[k - 1].strip():
        k -= 1
    last = [t for t in texts[k:] if t.strip()]
    if k > 0 and 2 <= len(last) <= 6 and all(len(t.strip()) <= 60 for t in last) \
            and any(_CONTACT_RE.search(t) for t in last[1:]):
        return block(k)
    return None, None
