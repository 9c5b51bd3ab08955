"""Parse one mail once, normalise once: the read-only object every rule, door and check shares.

Why one module does all of this: every rule asks questions about the same few things (the
subject, the text the agent wrote, what they quoted, how they signed), and every one of those
answers depends on decoding the mail the same way. Japanese mail makes decoding the hard part:
ISO-2022-JP with the CP50220 (NEC/IBM) extensions real clients send, Shift_JIS that is really
CP932, EUC-JP, broken encoded-words, HTML-only replies. A bad mail must never raise: what
could not be decoded is decoded with replacement characters and named in `problems`.

Sections, in the order a mail goes through them: charsets (`decode_bytes`), headers
(`decode_words`, addresses), body (part choice, HTML rendering), splitting (own text / quotes /
attribution / signature: one pass over lines, regexes compiled at import), `parse`, and the
comparison form (`normalize`, `quote_matches`) — kept beside the splitter so that
`quote-altered` and the parser agree on what a quoted line is.
"""
from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.policy
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from email.message import Message
from email.utils import getaddresses
from html import unescape as html_unescape
from typing import Iterable, Literal

# --------------------------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    name: str
    addr: str  # lower-cased addr-spec


@dataclass(frozen=True)
class QuoteSpan:
    """One contiguous quoted passage, with where it sits in `ParsedMessage.text`.

    `start`/`end` are 1-based, inclusive line numbers of `text` (attribution lines excluded),
    so a finding can say "quote, lines 23-27". `style` tells how it was recognised:
    "prefix" (`>` lines, also HTML blockquotes rendered as `>`), or "header-block" (the
    un-prefixed original below an Outlook "-----Original Message-----" / "From: … Sent: …" block).
    """

    start: int
    end: int
    text: str                       # de-quoted, line breaks preserved
    style: Literal["prefix", "header-block"]
    attribution: str | None = None  # the "On … wrote:" / header block that introduced it


@dataclass(frozen=True)
class BodyView:
    """One alternative of the body, split like `ParsedMessage` splits its primary one.

    `ParsedMessage.alternatives[0]` is the primary view (the same values as the message's own
    `text`, `own_text`, `quotes`, …: the plain part when there is one); further views are the
    other alternatives a client may show instead — the HTML part of a multipart/alternative,
    rendered (`kind == "html"`). Line numbers are of this view's `text`.
    """

    kind: Literal["plain", "html"]
    text: str
    own_text: str
    signature: str | None
    quotes: tuple[str, ...]
    quote_spans: tuple[QuoteSpan, ...] = field(default=())
    attributions: tuple[str, ...] = field(default=())
    greeting: str | None = None
    own_lines: tuple[tuple[int, str], ...] = field(default=())
    signature_line: int | None = None
    primary: bool = False
    problems: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        """Where a finding in this view is: "" for the primary view, else "HTML part"."""
        return "" if self.primary else ("HTML part" if self.kind == "html" else "other part")


class _LazyViews:
    """The secondary body views, computed on first use (a frozen dataclass cannot cache on
    itself): rendering and splitting an HTML alternative costs about as much as the plain
    part, and only the rules that look at every alternative need it."""

    __slots__ = ("_thunks", "_views")

    def __init__(self, thunks: tuple) -> None:
        self._thunks = thunks
        self._views: tuple[BodyView, ...] | None = None

    def __bool__(self) -> bool:
        return bool(self._thunks)

    def get(self) -> tuple[BodyView, ...]:
        if self._views is None:
            views = []
            for thunk in self._thunks:
                problems: list[str] = []
                try:
                    text, is_html = thunk(problems)
                except Exception:  # noqa: BLE001 - a broken alternative is one view fewer
                    continue
                views.append(_view(text, "html" if is_html else "plain", False, tuple(dict.fromkeys(problems))))
            self._views = tuple(views)
        return self._views


@dataclass(frozen=True)
class ParsedMessage:
    raw: bytes
    headers: Message                      # compat32 parse; read-only for rules
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str                          # decoded, unfolded
    from_: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    text: str                             # the whole body as text (plain part, else HTML rendered)
    own_text: str                         # what the author wrote: no quotes, no attribution; signature included
    signature: str | None                 # the signature block, when one was found
    quotes: tuple[str, ...]               # each quoted passage, de-quoted, in order
    problems: tuple[str, ...] = field(default=())  # decoding problems (unknown charset, broken MIME, …)
    # --- additions (everything below has a default so older constructors keep working) ---
    quote_spans: tuple[QuoteSpan, ...] = field(default=())
    attribution: str | None = None        # the first attribution line(s) / header block, joined by "\n"
    attributions: tuple[str, ...] = field(default=())
    greeting: str | None = None           # first own line when it addresses someone ("青木 様", "Dear Ms. Wilson,")
    own_lines: tuple[tuple[int, str], ...] = field(default=())  # (line number in `text`, line) of own_text
    signature_line: int | None = None     # line number in `text` where the signature starts
    html: bool = False                    # True when `text` was rendered from an HTML part
    charset: str | None = None            # charset label of the body part used (as declared)
    language: Literal["ja", "en"] = "en"  # of the own text (falls back to the whole text)
    # the other alternatives (HTML part of a multipart/alternative), computed on first use
    lazy_alternatives: _LazyViews | None = field(default=None, repr=False, compare=False)

    @property
    def primary_view(self) -> BodyView:
        """The fields above as a `BodyView` (the plain part when there is one)."""
        return BodyView(
            kind="html" if self.html else "plain", text=self.text, own_text=self.own_text,
            signature=self.signature, quotes=self.quotes, quote_spans=self.quote_spans,
            attributions=self.attributions, greeting=self.greeting, own_lines=self.own_lines,
            signature_line=self.signature_line, primary=True)

    @property
    def has_alternatives(self) -> bool:
        """Is there an alternative besides the primary view (without rendering it)?"""
        return bool(self.lazy_alternatives)

    @property
    def alternatives(self) -> tuple[BodyView, ...]:
        """Every alternative of the body a client may show: the primary view first, then the
        others (the HTML part beside a plain one, rendered on first access)."""
        rest = self.lazy_alternatives.get() if self.lazy_alternatives else ()
        return (self.primary_view,) + rest

    @property
    def recipients(self) -> tuple[Address, ...]:
        return self.to + self.cc

    @property
    def body_lines(self) -> list[str]:
        """`text` split into lines; index i is line i+1 of QuoteSpan/own_lines numbering."""
        return self.text.split("\n")

    def header(self, name: str) -> str:
        """One header, decoded (encoded-words, raw 8-bit) and unfolded; "" when absent."""
        values = self.header_values(name)
        return values[0] if values else ""

    def header_values(self, name: str) -> list[str]:
        key = name.lower()
        return [decode_words(_raw_to_str(v)) for k, v in self.headers.raw_items() if k.lower() == key]


# --------------------------------------------------------------------------------------------
# Charsets
# --------------------------------------------------------------------------------------------

# Declared label -> codecs to try in order. The first that decodes strictly wins. Labels are
# compared case-insensitively with "_" and "-" unified. Shift_JIS is really CP932 in the wild
# (NEC/IBM extensions: ①, ㈱, 髙); EUC-JP likewise (cp51932 ~ euc_jp + NEC row 13).
_ISO2022JP = ("iso2022_jp", "@cp50220", "iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_ext")
_CHARSET_CHAINS: dict[str, tuple[str, ...]] = {
    **{k: _ISO2022JP for k in (
        "iso-2022-jp", "csiso2022jp", "iso-2022-jp-1", "iso-2022-jp-2", "iso-2022-jp-3",
        "iso-2022-jp-2004", "iso-2022-jp-ext", "cp50220", "cp50221", "cp50222", "jis",
        "x-iso-2022-jp", "iso2022jp")},
    **{k: ("cp932",) for k in (
        "shift-jis", "shift_jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j",
        "cp932", "ms932", "x-ms-cp932", "shift-jis-2004", "shift_jisx0213", "x-shift-jis")},
    **{k: ("euc_jp", "euc_jis_2004", "@eucjp-ms") for k in (
        "euc-jp", "x-euc-jp", "eucjp", "cseucpkdfmtjapanese", "euc-jis-2004", "euc-jisx0213",
        "cp51932", "eucjp-ms", "eucjp-win")},
    **{k: ("utf-8",) for k in ("utf-8", "utf8", "x-utf-8", "unicode-1-1-utf-8")},
    **{k: ("ascii", "utf-8") for k in ("us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us")},
    "gb2312": ("gb18030",), "gbk": ("gb18030",), "x-gbk": ("gb18030",),
    "ks_c_5601-1987": ("cp949",), "euc-kr": ("cp949",),
    "iso-8859-1": ("cp1252",), "latin1": ("cp1252",), "latin-1": ("cp1252",),
}
# When nothing is declared (or the label is unknown), guess in this order. EUC-JP is tried
# before CP932 because SJIS kana/kanji lead bytes (0x81-0x9F) are invalid in EUC-JP, while
# EUC-JP text often decodes "successfully" as CP932 half-width katakana garbage.
_GUESS_CHAIN = ("utf-8", "euc_jp", "cp932")


def _chain_for(label: str) -> tuple[tuple[str, ...], bool]:
    """(codecs to try, known?) for a declared charset label."""
    key = label.strip().strip('"').lower().replace("_", "-")
    if key in _CHARSET_CHAINS:
        return _CHARSET_CHAINS[key], True
    if key.replace("-", "_") in _CHARSET_CHAINS:
        return _CHARSET_CHAINS[key.replace("-", "_")], True
    try:
        name = codecs.lookup(key).name
    except (LookupError, ValueError):  # ValueError: a NUL in the label
        return _GUESS_CHAIN, False
    return (name,), True


def decode_bytes(data: bytes, charset: str | None, where: str = "body") -> tuple[str, str | None]:
    """Bytes in a declared charset -> (text, problem or None). Never raises.

    Pure ASCII is returned as is whatever the label says (the common case, and the fast path).
    """
    if not data:
        return "", None
    if data.isascii() and b"\x1b" not in data and b"\x0e" not in data:
        return data.decode("ascii"), None
    if b"\x1b$" in data or b"\x1b(" in data:
        # ISO-2022-JP escapes: whatever the label says (us-ascii, missing, utf-8), it is JIS.
        if charset is None or _chain_for(charset)[0] != _ISO2022JP:
            for codec in _ISO2022JP:
                text = _try_decode(data, codec)
                if text is not None:
                    label = charset or "none"
                    return text, f"{where}: declared charset {label!r} but content is ISO-2022-JP; decoded as such"
    if charset:
        chain, known = _chain_for(charset)
    else:
        chain, known = _GUESS_CHAIN, False
    if chain == _ISO2022JP and b"\x0e" in data:
        chain = ("@cp50220",) + chain  # SO/SI kana: Python's codecs pass them through as controls
    for codec in chain:
        text = _try_decode(data, codec)
        if text is not None:
            if not known:
                what = f"unknown charset {charset!r}" if charset else "no charset declared"
                return text, f"{where}: {what}; decoded as {codec.lstrip('@')}"
            return text, None
    if known:
        # The declared charset failed. Candidates: the declared one with a few bad bytes
        # replaced (a truncated base64 part, one stray byte), or another Japanese charset that
        # decodes cleanly (the label lied: UTF-8 sent as ISO-2022-JP, EUC-JP as Shift_JIS).
        # Wrong decodings of Japanese are mostly half-width katakana and rare kanji, right
        # ones are full of hiragana: the most plausible candidate wins.
        candidates: list[tuple[float, str, str]] = []
        codec = chain[0].lstrip("@")
        if codec not in ("cp50220", "eucjp-ms"):
            text = data.decode(codec, "replace")
            bad = text.count("\ufffd")
            if bad <= max(3, len(text) // 200):
                candidates.append((_plausibility(text) + 0.05, text,
                                   f"{where}: {bad} undecodable byte sequence(s) in charset {charset!r}; "
                                   "replaced with U+FFFD"))
        for guess in _GUESS_CHAIN:
            text = _try_decode(data, guess)
            if text is not None:
                candidates.append((_plausibility(text), text,
                                   f"{where}: content is not valid {charset}; decoded as {guess}"))
        if candidates:
            _, text, problem = max(candidates, key=lambda c: c[0])
            return text, problem
    first = chain[0].lstrip("@")
    codec = first if first not in ("cp50220", "eucjp-ms") else "utf-8"
    try:
        text = data.decode(codec, "replace")
    except LookupError:  # pragma: no cover - chain entries are known codecs
        codec, text = "utf-8", data.decode("utf-8", "replace")
    what = f"charset {charset!r}" if charset else "undeclared charset"
    return text, f"{where}: undecodable bytes in {what}; decoded as {codec} with replacement characters"


_KANA_RE = re.compile(r"[\u3040-\u30ff]")
_ODD_RE = re.compile(r"[\uff61-\uff9f\ue000-\uf8ff]")


def _plausibility(text: str) -> float:
    """How much a decoding looks like real text: share of kana among non-ASCII characters, less
    half-width katakana and private-use characters (the marks of a wrong Japanese codec), less
    replacement characters (counted half as hard: a few are expected in damaged text)."""
    sample = text[:4000]
    bad = sample.count("\ufffd")
    wide = sum(1 for ch in sample if ord(ch) > 0x7F) - bad
    if wide <= 0:
        return 1.0 - bad
    return (len(_KANA_RE.findall(sample)) - 2 * len(_ODD_RE.findall(sample)) - 0.5 * bad) / wide


def _try_decode(data: bytes, codec: str) -> str | None:
    if codec == "@cp50220":
        return _decode_cp50220(data)
    if codec == "@eucjp-ms":
        return _decode_eucjp_ms(data)
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    return text[1:] if text.startswith("\ufeff") else text  # a UTF-8 BOM is not text


_ESC_RE = re.compile(rb"\x1b(\(B|\(J|\(H|\(I|\$@|\$B|&@\x1b\$B|\$\(D|\$\(O|\$\(Q|\$\(P|\$A|\$\(C|\$\(B|\.A|\.F|N|\$\(@)")


def _jis_pairs_to_sjis(c1: int, c2: int) -> bytes | None:
    """One JIS X 0208 code (row/cell bytes 0x21-0x7E) -> its Shift_JIS bytes."""
    if not (0x21 <= c1 <= 0x7E and 0x21 <= c2 <= 0x7E):
        return None
    s1 = ((c1 + 1) >> 1) + (0x70 if c1 <= 0x5E else 0xB0)
    s2 = c2 + (0x1F + (1 if c2 >= 0x60 else 0) if c1 & 1 else 0x7E)
    return bytes((s1, s2))


def _nec_ibm_fallback(exc: UnicodeError) -> tuple[str, int]:
    """codecs error handler for EUC-JP bytes: the NEC special row 13 (①, Ⅲ, ㈱) and the
    NEC-selected IBM extension rows 89-92 (髙, 﨑) that Microsoft's CP50220/CP51932 put where
    JIS leaves holes. Python's euc_jp rejects them; CP932 has them at the mapped position."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    data = exc.object
    i = exc.start
    if i + 1 < len(data):
        sjis = _jis_pairs_to_sjis(data[i] & 0x7F, data[i + 1] & 0x7F) if data[i] >= 0xA1 else None
        if sjis is not None:
            try:
                return sjis.decode("cp932"), i + 2
            except UnicodeDecodeError:
                pass
    raise exc


codecs.register_error("replyguard-nec-ibm", _nec_ibm_fallback)
_TO_EUC = bytes(b | 0x80 if 0x21 <= b <= 0x7E else b for b in range(256))
_ESC_RE = re.compile(rb"\x1b(\(B|\(J|\(H|\(I|\$@|\$B|&@\x1b\$B|\$\(D|\$\(O|\$\(Q|\$\(P|\$A|\$\(C|\$\(B|\.A|\.F|N|\$\(@)")
_SHIFT_RE = re.compile(rb"\x0e([\x21-\x5f]*)\x0f?")


_RARE_ESC_RE = re.compile(rb"\x1b(?:\$\(|\$A|\.|N)")
_JIS_SEG_RE = re.compile(rb"\x1b(?:\$[@B]|&@\x1b\$B)([^\x1b]*)|\x1b\(I([^\x1b]*)|\x1b\([BJH]")


def _seg_to_euc(m: re.Match[bytes]) -> bytes:
    if m.group(1) is not None:
        return m.group(1).translate(_TO_EUC)  # CR/LF stay: a JIS run may span lines
    if m.group(2) is not None:
        return b"".join(b"\x8e" + bytes((c | 0x80,)) if 0x21 <= c <= 0x5F else bytes((c,)) for c in m.group(2))
    return b""


def _decode_cp50220(data: bytes) -> str | None:
    """ISO-2022-JP as Microsoft's CP50220/50221 sends it: JIS X 0208 plus the NEC special row
    13 and NEC-selected IBM extensions, JIS X 0201 kana (ESC ( I, or SO/SI), JIS X 0212.

    Python's iso2022_jp codecs reject those, so each escape segment is shifted to EUC-JP
    (one bytes.translate) and decoded with the NEC/IBM error handler above. None when a
    segment is not decodable at all (the caller then replaces and reports).
    """
    if not _RARE_ESC_RE.search(data) and b"\x0e" not in data:
        # Common case (JIS X 0208 + ASCII/JIS-Roman, maybe ESC ( I kana): one regex pass to
        # EUC-JP, one decode. The loop below handles the rare designations.
        euc = _JIS_SEG_RE.sub(_seg_to_euc, data)
        if b"\x1b" not in euc:
            try:
                return euc.decode("euc_jp", "replyguard-nec-ibm")
            except UnicodeDecodeError:
                return None
    parts: list[str] = []
    state = b"(B"
    pos = 0
    try:
        for m in list(_ESC_RE.finditer(data)) + [None]:
            seg = data[pos:m.start()] if m else data[pos:]
            if seg:
                if state in (b"$@", b"$B", b"&@\x1b$B"):
                    parts.append(seg.translate(_TO_EUC).decode("euc_jp", "replyguard-nec-ibm"))
                elif state == b"(I":
                    kana = seg.translate(_TO_EUC)
                    parts.append(b"".join(b"\x8e" + bytes((c,)) if c >= 0xA1 else bytes((c,)) for c in kana).decode("euc_jp"))
                elif state == b"$(D":
                    euc = seg.translate(_TO_EUC)
                    parts.append(b"".join(b"\x8f" + euc[i:i + 2] for i in range(0, len(euc), 2)).decode("euc_jp"))
                elif state in (b"$(O", b"$(Q", b"$(P"):
                    euc = seg.translate(_TO_EUC)
                    if state == b"$(P":
                        euc = b"".join(b"\x8f" + euc[i:i + 2] for i in range(0, len(euc), 2))
                    parts.append(euc.decode("euc_jis_2004"))
                else:
                    if b"\x0e" in seg:  # SO/SI half-width kana inside ASCII (CP50221)
                        seg = _SHIFT_RE.sub(lambda k: b"".join(b"\x8e" + bytes((c | 0x80,)) for c in k.group(1)), seg)
                        parts.append(seg.decode("euc_jp"))
                    elif seg.isascii():
                        parts.append(seg.decode("ascii"))
                    else:
                        return None
            if m:
                state = m.group(1)
                pos = m.end()
    except UnicodeDecodeError:
        return None
    return "".join(parts)


def _decode_eucjp_ms(data: bytes) -> str | None:
    """EUC-JP as Microsoft (cp51932) / eucJP-ms send it: NEC row 13 lives at 0xAD 0xA1…"""
    try:
        return data.decode("euc_jp", "replyguard-nec-ibm")
    except UnicodeDecodeError:
        return None


# --------------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------------

_EW_RE = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_EW_START_RE = re.compile(r"=\?[^?\s]+\?[bBqQ]\?")
_EW_GAP_RE = re.compile(r"[ \t\r\n]*")
_QHEX_RE = re.compile(rb"=([0-9A-Fa-f]{2})")
_FOLD_RE = re.compile(r"\r?\n(?=[ \t])")
_WS_RE = re.compile(r"[ \t\r\n]+")


def _raw_to_str(value: object) -> str:
    """A compat32 raw header value -> str. Raw 8-bit bytes (surrogate-escaped by the parser)
    are decoded as UTF-8, else guessed (CP932/EUC-JP) — real clients do send them."""
    if not isinstance(value, str):
        value = str(value)
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        data = value.encode("ascii", "surrogateescape")
        return decode_bytes(data, None, "header")[0]


def _ew_bytes(enc: str, payload: str) -> bytes | None:
    if enc in "bB":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return None
    data = payload.replace("_", " ").encode("ascii", "replace")
    return _QHEX_RE.sub(lambda m: bytes((int(m.group(1), 16),)), data)


def decode_words(value: str | None, problems: list[str] | None = None, where: str = "header") -> str:
    """RFC 2047 header value -> str, unfolded, ASCII whitespace runs collapsed.

    Tolerant where real mail is broken: encoded-words without surrounding whitespace, a
    multibyte character split across two encoded-words (bytes of adjacent words in one
    charset are joined before decoding), bad base64 padding, unknown charsets (decoded by
    guess, with a problem noted). Full-width spaces are kept: they are part of the subject.
    """
    if not value:
        return ""
    value = _raw_to_str(value)
    value = _FOLD_RE.sub("", value)
    if "\x1b" in value:
        # raw ISO-2022-JP in a header, as old Japanese mailers send it: decode the escapes
        decoded, problem = decode_bytes(value.encode("ascii", "replace"), "iso-2022-jp", where)
        value = decoded
        if problems is not None:
            problems.append(f"{where}: raw ISO-2022-JP header (not an encoded-word); decoded")
            if problem:
                problems.append(problem)
    out: list[str] = []
    pos = 0
    pending: list[bytes] = []
    pending_cs = ""

    def flush() -> None:
        nonlocal pending, pending_cs
        if pending:
            text, problem = decode_bytes(b"".join(pending), pending_cs, where)
            out.append(text)
            if problem and problems is not None:
                problems.append(problem)
        pending, pending_cs = [], ""

    for m in _EW_RE.finditer(value):
        gap = value[pos:m.start()]
        data = _ew_bytes(m.group(2), m.group(3))
        if data is None:
            flush()
            out.append(gap + m.group(0))
            if problems is not None:
                problems.append(f"{where}: malformed encoded-word kept as text: {m.group(0)[:60]}")
            pos = m.end()
            continue
        charset = m.group(1)
        if pending and _EW_GAP_RE.fullmatch(gap):
            if charset.lower() != pending_cs.lower():
                flush()
        else:
            flush()
            out.append(gap)
        pending.append(data)
        pending_cs = charset
        pos = m.end()
    flush()
    out.append(value[pos:])
    text = "".join(out)
    if problems is not None and _EW_START_RE.search(value[pos:]):
        problems.append(f"{where}: malformed encoded-word kept as text")
    return _WS_RE.sub(" ", text).strip()


def _raw_header(msg: Message, name: str) -> str:
    """First value of a header as str, raw 8-bit bytes decoded; "" when absent. (compat32's
    `get` hands back a Header object, not a str, when the value has 8-bit bytes.)"""
    key = name.lower()
    return next((_raw_to_str(v) for k, v in msg.raw_items() if k.lower() == key), "")


_MSGID_RE = re.compile(r"<([^<>\s]+)>")


def _ids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    found = _MSGID_RE.findall(value)
    if found:
        return tuple(found)
    return tuple(tok.strip("<>") for tok in value.replace(",", " ").split() if "@" in tok)


_ADDR_ITEM_RE = re.compile(
    r'\s*(?:"(?P<q>[^"\\]*)"|(?P<n>[^<>",;:@()\\]*?))\s*<(?P<a>[^<>\s"@,;]+@[^<>\s",;]+)>\s*'
    r'|\s*(?P<b>[^<>\s"@,;:()]+@[^<>\s",;:()]+)\s*')


def _simple_addresses(values: list[str]) -> list[tuple[str, str]] | None:
    """The common shapes (`Name <a@b>`, `"Name" <a@b>`, `a@b`, comma-separated) by one regex;
    None for anything else (groups, comments, quoted commas…), which goes to the stdlib parser
    — itself slow enough to be a third of a small mail's parse time."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        for item in value.split(","):
            if not item.strip():
                continue
            m = _ADDR_ITEM_RE.fullmatch(item)
            if m is None:
                return None
            if m.group("b"):
                pairs.append(("", m.group("b")))
            else:
                pairs.append(((m.group("q") if m.group("q") is not None else m.group("n") or "").strip(), m.group("a")))
    return pairs


def _addresses(msg: Message, name: str, problems: list[str]) -> tuple[Address, ...]:
    key = name.lower()
    values = [_FOLD_RE.sub("", _raw_to_str(v)) for k, v in msg.raw_items() if k.lower() == key]
    values = [decode_bytes(v.encode("ascii", "replace"), "iso-2022-jp", name)[0] if "\x1b" in v else v
              for v in values]
    if not values:
        return ()
    pairs = _simple_addresses(values)
    if pairs is None:
        try:
            pairs = getaddresses(values)
        except Exception as exc:  # noqa: BLE001 - stdlib address parser on hostile input
            problems.append(f"{name}: unparsable address list ({exc.__class__.__name__})")
            return ()
    result = []
    for n, a in pairs:
        a = a.strip()
        if not a or "@" not in a:
            continue
        result.append(Address(decode_words(n, problems, name).strip().strip('"'), a.lower()))
    return tuple(result)


# --------------------------------------------------------------------------------------------
# Body: choose the part, decode, render HTML
# --------------------------------------------------------------------------------------------

_BOUNDARY_GUESS_RE = re.compile(rb"^--([0-9A-Za-z'()+_,./:=?-]{1,70}?)[ \t]*\r?$", re.M)


_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def _part_text(part: Message, problems: list[str], where: str) -> str:
    cte = _raw_header(part, "Content-Transfer-Encoding").strip().lower()
    try:
        payload = part.get_payload(decode=True)
    except Exception as exc:  # noqa: BLE001 - decoder on hostile input; never crash
        problems.append(f"{where}: undecodable {cte or 'transfer encoding'} ({exc.__class__.__name__})")
        payload = None
    if payload is None:
        raw = part.get_payload()
        payload = raw.encode("ascii", "surrogateescape") if isinstance(raw, str) else b""
    if not isinstance(payload, bytes):
        payload = b""
    for defect in part.defects:
        name = defect.__class__.__name__
        if "Base64" in name or "Padding" in name:
            problems.append(f"{where}: broken base64 ({name}); decoded what could be decoded")
    if cte and cte not in ("7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "uuencode"):
        problems.append(f"{where}: unknown Content-Transfer-Encoding {cte!r}; taken as is")
    charset = part.get_param("charset")
    if isinstance(charset, tuple):  # RFC 2231 encoded parameter
        charset = charset[2]
    if not charset and part.get_content_type() == "text/html":
        meta = _META_CHARSET_RE.search(payload[:4096])
        if meta:  # the HTML says what the MIME header forgot
            charset = meta.group(1).decode("ascii")
    text, problem = decode_bytes(payload, str(charset) if charset else None, where)
    if problem:
        problems.append(problem)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_attachment(part: Message) -> bool:
    disp = _raw_header(part, "Content-Disposition").split(";")[0].strip().lower()
    return disp == "attachment"


def _deferred(child: Message):
    """A thunk rendering one alternative on demand: problems -> (text, from_html)."""
    def thunk(problems: list[str]) -> tuple[str, bool]:
        r = _choose(child, problems)
        return (r[0], r[1]) if r else ("", True)
    return thunk


def _looks_html(part: Message) -> bool:
    """An alternative that is (or wraps, as multipart/related does) an HTML body and no plain one."""
    ctype = part.get_content_type()
    if ctype == "text/html":
        return True
    if ctype == "multipart/related" and part.is_multipart():
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        return bool(children) and children[0].get_content_type() == "text/html"
    return False


def _choose(part: Message, problems: list[str]) -> tuple[str, bool, str | None, tuple] | None:
    """(text, from_html, charset, other alternatives) of the readable body of `part`, or None
    when it has none.

    multipart/alternative: the plain alternative, else the HTML one rendered; the HTML
    alternatives beside a plain one are returned as thunks (`_deferred`), rendered only when a
    rule asks for `ParsedMessage.alternatives`. Other multiparts (mixed, related, signed): the
    inline text parts joined in order, attachments skipped.
    """
    ctype = part.get_content_type()
    if part.is_multipart():
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        if ctype == "multipart/alternative":
            html_children = [c for c in children if _looks_html(c)]
            if html_children:
                for c in children:
                    if any(c is h for h in html_children):
                        continue
                    r = _choose(c, problems)
                    if r and not r[1]:
                        return r[0], r[1], r[2], r[3] + tuple(_deferred(h) for h in html_children)
            chosen = [r for r in (_choose(c, problems) for c in children) if r]
            plain = [r for r in chosen if not r[1]]
            return (plain or chosen)[0] if chosen else None
        results = [r for c in children if not _is_attachment(c) for r in [_choose(c, problems)] if r]
        if not results:
            return None
        alts: tuple = ()
        if any(r[3] for r in results):
            def joined(problems: list[str], results: list = results) -> tuple[str, bool]:
                texts, html = [], False
                for r in results:
                    if r[3]:
                        text, is_html = r[3][0](problems)
                        texts.append(text)
                        html = html or is_html
                    else:
                        texts.append(r[0])
                return "\n".join(texts), html
            alts = (joined,)
        return "\n".join(r[0] for r in results), any(r[1] for r in results), results[0][2], alts
    if _is_attachment(part):
        return None
    maintype = part.get_content_maintype()
    if ctype == "text/html":
        return render_html(_part_text(part, problems, "html part")), True, part.get_param("charset"), ()
    if maintype == "text" or ctype in ("message/delivery-status",):
        return _part_text(part, problems, "body"), False, part.get_param("charset"), ()
    if maintype == "multipart":
        # multipart with no parsable boundary: best effort on its raw payload
        return _part_text(part, problems, "body"), False, part.get_param("charset"), ()
    return None


def _repair_multipart(msg: Message, raw: bytes, problems: list[str]) -> Message:
    """A multipart whose boundary is missing or wrong: guess it from the first `--token`
    delimiter line of the body and parse the body again with it. The headers stay the
    original's; only the body structure comes from the repaired parse."""
    sep = raw.find(b"\r\n\r\n")
    sep, skip = (sep, 4) if sep >= 0 else (raw.find(b"\n\n"), 2)
    if sep < 0:
        return msg
    body = raw[sep + skip:]
    m = _BOUNDARY_GUESS_RE.search(body)
    if not m:
        problems.append("MIME: multipart without a usable boundary; body taken as plain text")
        return msg
    boundary = m.group(1).decode("ascii")
    if boundary.endswith("--"):
        boundary = boundary[:-2]
    subtype = msg.get_content_subtype()
    if not re.fullmatch(r"[a-z0-9.+-]{1,40}", subtype or ""):
        subtype = "mixed"
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode("ascii")
    repaired = email.message_from_bytes(head + body, policy=email.policy.compat32)
    if repaired.is_multipart():
        problems.append(f"MIME: multipart boundary missing or wrong; guessed {boundary!r}")
        return repaired
    return msg


_HTML_WS_RE = re.compile(r"[ \t\r\n\xa0]+")


_TAG_RE = re.compile(r"<!--.*?(?:-->|$)|<!\[.*?\]>|<![^>]*>|<\?[^>]*>|<(/?)([a-zA-Z][\w:.-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
_ATTR_RE = re.compile(r"([\w:.-]+)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)")


class _HTMLText:
    """HTML -> plain text, quoting what the mail clients mark as quoted.

    <blockquote> and the border-left <div>s of Outlook/Apple/Yahoo become `>` lines; Outlook's
    reply header (`divRplyFwdMsg`, or the border-top div of Outlook desktop) is preceded by the
    `____` line Outlook itself writes in plain text, so the plain-text splitter handles both.

    A regex tokenizer rather than html.parser: mail HTML (Outlook's above all) is tag-dense,
    and the stdlib parser's per-tag Python work made a 100 KB part cost ~25 ms.
    """

    _BLOCK = frozenset("p div li tr table ul ol h1 h2 h3 h4 h5 h6 pre hr address center dl dt dd section article header footer blockquote form".split())
    _SKIP = frozenset(("style", "script", "head", "title", "xml"))

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cur: list[str] = []
        self.cur_depth = 0
        self.depth = 0
        self.stack: list[tuple[str, bool]] = []
        self.pre = 0

    def feed(self, html: str) -> None:
        pos = 0
        n = len(html)
        while pos < n:
            m = _TAG_RE.search(html, pos)
            if m is None:
                self.handle_data(html_unescape(html[pos:]))
                break
            if m.start() > pos:
                self.handle_data(html_unescape(html[pos:m.start()]))
            pos = m.end()
            tag = m.group(2)
            if tag is None:
                continue  # comment, doctype, <![if …]>
            tag = tag.lower()
            if m.group(1):
                self.handle_endtag(tag)
                continue
            if tag in self._SKIP:
                close = re.compile(r"</%s\s*>" % re.escape(tag), re.I).search(html, pos)
                pos = close.end() if close else n
                continue
            attrs = m.group(3) or ""
            if tag == "br" or tag == "hr" or attrs.rstrip().endswith("/"):
                self.handle_startendtag(tag)
                if tag in self._BLOCK and tag != "hr":
                    self.handle_starttag(tag, attrs)
                    self.handle_endtag(tag)
                continue
            self.handle_starttag(tag, attrs)

    def _break(self) -> None:
        text = "".join(self.cur)
        if not self.pre:
            text = _HTML_WS_RE.sub(" ", text).strip()
        prefix = ">" * self.cur_depth
        self.lines.append(f"{prefix} {text}" if prefix and text else (prefix or text))
        self.cur = []
        self.cur_depth = self.depth

    def _soft_break(self) -> None:
        content = "".join(self.cur)
        if content.strip(" \t\r\n\xa0"):
            self._break()
        elif "\xa0" in content:
            # <p>&nbsp;</p>, <div>&nbsp;</div>: how Outlook and webmail write an empty line
            self.cur = []
            self._break()
        else:
            self.cur = []
            self.cur_depth = self.depth

    def handle_starttag(self, tag: str, attr_text: str) -> None:
        if tag not in self._BLOCK:
            return
        self._soft_break()
        a = {k.lower(): v.strip("\"'") for k, v in _ATTR_RE.findall(attr_text)} if attr_text else {}
        style = a.get("style", "").replace(" ", "").lower()
        ident = (a.get("id", "") + " " + a.get("class", "")).lower()
        quoting = tag == "blockquote" or (
            tag == "div" and "border-left:" in style and "border-left:none" not in style)
        if not quoting and ("divrplyfwdmsg" in ident or (tag == "div" and "border-top:solid" in style)):
            self.lines.append("________________________________")
        if tag == "p" and "msonormal" not in ident:
            # a paragraph is set off by an empty line (Outlook's MsoNormal ones have no margin)
            if self.lines and self.lines[-1].strip("> "):
                self.lines.append(">" * self.depth)
        if tag == "pre":
            self.pre += 1
        self.stack.append((tag, quoting, tag == "p" and "msonormal" not in ident))
        if quoting:
            self.depth += 1
            self.cur_depth = self.depth

    def handle_startendtag(self, tag: str) -> None:
        if tag == "br":
            self._break()
        elif tag == "hr":
            self._soft_break()

    def handle_endtag(self, tag: str) -> None:
        if tag not in self._BLOCK or not any(t == tag for t, _, _ in self.stack):
            return
        self._soft_break()
        spaced = False
        while self.stack:
            t, quoting, para = self.stack.pop()
            if quoting:
                self.depth -= 1
            if t == "pre":
                self.pre = max(0, self.pre - 1)
            if t == tag:
                spaced = para
                break
        self.cur_depth = self.depth
        if spaced:
            self.lines.append(">" * self.depth)

    def handle_data(self, data: str) -> None:
        if not self.cur:
            self.cur_depth = self.depth
        self.cur.append(data)

    def text(self) -> str:
        self._soft_break()
        out: list[str] = []
        for line in self.lines:
            if not line.strip("> ") and out and not out[-1].strip("> "):
                continue  # collapse runs of empty lines
            out.append(line)
        while out and not out[0].strip("> "):
            out.pop(0)
        while out and not out[-1].strip("> "):
            out.pop()
        return "\n".join(out)


def render_html(html: str) -> str:
    """HTML part -> plain text with quoted passages as `>` lines (see `_HTMLText`)."""
    parser = _HTMLText()
    parser.feed(html)
    return parser.text()


# --------------------------------------------------------------------------------------------
# Splitting: own text / quotes / attribution / signature
# --------------------------------------------------------------------------------------------

_QUOTE_LINE_RE = re.compile(r"^[ \t]{0,3}[>＞]")
_QUOTE_PREFIX_RE = re.compile(r"^[ \t]*(?:[>＞][ \t]?)+")
_ATTRIBUTION_RES = tuple(re.compile(p) for p in (
    r"(?i)\bwrote\s*[:：]\s*$",
    r"書きました\s*[:：]\s*$",
    r"(?:のメール|のメッセージ|からのメール)\s*[:：]\s*$",
    r"(?i)\b(?:schrieb|a\s+écrit|escribió|scrisse|skrev|napisał)\s*[:：]?\s*$",
    r"^\s*\d{4}\s*[年/.\-]\s*\d{1,2}\s*[月/.\-]\s*\d{1,2}.*[:：]\s*$",
    r"(?i)^\s*(?:On|Am|Le|El|Il|Op)\s(?=.*\d).+[:：]\s*$",  # needs a date in it: "On your question:" is the agent's
    r"<[^<>@\s]+@[^<>\s]+>\s*[:：]\s*$",
))
_DASH_MARKER_RE = re.compile(
    r"(?i)^\s*[-_=]{2,}\s*(?:original\s+message|forwarded\s+message|元のメッセージ|転送メッセージ|"
    r"転送されたメッセージ|オリジナルメッセージ|ursprüngliche\s+nachricht|message\s+d'origine)\s*[-_=]{2,}\s*$")
_UNDERSCORE_RE = re.compile(r"^\s*_{10,}\s*$")
_HDR_RE = re.compile(
    r"(?i)^\s*\*?(from|差出人|送信者|送信元|sent|date|送信日時|送信日|日付|日時|to|宛先|cc|bcc|subject|件名|reply-to|"
    r"importance|重要度|添付|attachments?)\*?\s*[:：]")
_HDR_FROM = {"from", "差出人", "送信者", "送信元"}
_HDR_OTHER = {"sent", "date", "送信日時", "送信日", "日付", "日時", "subject", "件名"}
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
_GREETING_RE = re.compile(
    r"(?i)^\s*(?:dear\b|hi\b|hello\b|hey\b|good\s+(?:morning|afternoon|evening)\b)|"
    r"(?:様|さま|さん|殿|御中|各位|先生)\s*[,、。:：]?\s*$")


@dataclass
class _Split:
    own: list[tuple[int, str]]
    spans: list[QuoteSpan]
    attributions: list[str]


def _is_attribution(lines: list[str]) -> bool:
    text = " ".join(s.strip() for s in lines)
    if len(text) > 300:
        return False
    return any(r.search(text) for r in _ATTRIBUTION_RES)


def _header_block_at(lines: list[str], i: int) -> int | None:
    """If an Outlook-style reply header starts at line i, return the index after it; else None.

    Accepted: a dashed "Original Message" / "元のメッセージ" marker, or a `____` line, optionally
    followed by header lines; or a bare run of header lines that has From/差出人 and one of
    Sent/Date/送信日時/Subject/件名 (Outlook's plain-text reply block).
    """
    n = len(lines)
    j = i
    marker = bool(_DASH_MARKER_RE.match(lines[i]))
    underscore = bool(_UNDERSCORE_RE.match(lines[i]))
    if marker or underscore:
        j += 1
        while j < n and not lines[j].strip() and j - i < 3:
            j += 1
    keys: set[str] = set()
    k = j
    while k < n:
        m = _HDR_RE.match(lines[k])
        if m:
            keys.add(m.group(1).lower())
            k += 1
            continue
        # an address list wrapped onto the next line, followed by more headers
        if keys and lines[k].strip() and k + 1 < n and _HDR_RE.match(lines[k + 1]) and not _QUOTE_LINE_RE.match(lines[k]):
            k += 1
            continue
        break
    has_header_block = bool(keys & _HDR_FROM) and bool(keys & _HDR_OTHER)
    if marker:
        return k if keys else j
    if has_header_block:
        return k
    return None


def _split(lines: list[str]) -> _Split:
    n = len(lines)
    # 1. an Outlook header block: everything below it is the quoted original
    tail_start = n
    tail: QuoteSpan | None = None
    tail_attr = ""
    for i, line in enumerate(lines):
        if _QUOTE_LINE_RE.match(line) or not line.strip():
            continue
        if not (_DASH_MARKER_RE.match(line) or _UNDERSCORE_RE.match(line) or _HDR_RE.match(line)):
            continue
        end = _header_block_at(lines, i)
        if end is None:
            continue
        tail_start = i
        tail_attr = "\n".join(s for s in lines[i:end] if s.strip())
        q_start = end
        while q_start < n and not lines[q_start].strip():
            q_start += 1
        q_end = n
        while q_end > q_start and not lines[q_end - 1].strip():
            q_end -= 1
        if q_end > q_start:
            body = lines[q_start:q_end]
            tail = QuoteSpan(q_start + 1, q_end, "\n".join(body), "header-block", tail_attr)
        break

    own: list[tuple[int, str]] = []
    spans: list[QuoteSpan] = []
    attributions: list[str] = []
    i = 0
    while i < tail_start:
        if not _QUOTE_LINE_RE.match(lines[i]):
            own.append((i, lines[i]))
            i += 1
            continue
        start = i
        while i < tail_start and _QUOTE_LINE_RE.match(lines[i]):
            i += 1
        body = [_QUOTE_PREFIX_RE.sub("", s, count=1) for s in lines[start:i]]
        # attribution: the last one or two non-blank own lines right before the quote
        attr: str | None = None
        idx = range(len(own) - 1, max(-1, len(own) - 5), -1)
        nonblank = []
        for k in idx:
            if own[k][1].strip():
                nonblank.append(k)
                if len(nonblank) == 2:
                    break
            elif nonblank:
                break
            elif own[-1][0] - own[k][0] > 2:
                break
        for take in (1, 2):
            if len(nonblank) >= take:
                chosen = sorted(nonblank[:take])
                if _is_attribution([own[k][1] for k in chosen]):
                    attr = "\n".join(own[k][1].strip() for k in chosen)
                    del own[chosen[0]:]
                    break
        if attr:
            attributions.append(attr)
        spans.append(QuoteSpan(start + 1, i, "\n".join(body), "prefix", attr))
    if tail is not None:
        attributions.append(tail_attr)
        spans.append(tail)
    return _Split(own, spans, attributions)


def _trim(own: list[tuple[int, str]]) -> list[tuple[int, str]]:
    a, b = 0, len(own)
    while a < b and not own[a][1].strip():
        a += 1
    while b > a and not own[b - 1][1].strip():
        b -= 1
    return own[a:b]


def _signature(own: list[tuple[int, str]]) -> tuple[str | None, int | None]:
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


_JA_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
_LATIN_RE = re.compile(r"[A-Za-z]")


def _language(text: str) -> Literal["ja", "en"]:
    text = text[:4000]  # enough to tell, and keeps a 100 KB mail cheap
    ja = len(_JA_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    return "ja" if ja and ja * 3 >= latin * 0.5 else "en"


# --------------------------------------------------------------------------------------------
# parse
# --------------------------------------------------------------------------------------------


_MIME_DEFECTS = {
    "NoBoundaryInMultipartDefect": "multipart without a boundary parameter",
    "StartBoundaryNotFoundDefect": "the declared multipart boundary never occurs in the body",
    "CloseBoundaryNotFoundDefect": "multipart not closed (mail truncated?)",
    "MultipartInvariantViolationDefect": "multipart declared but no parts found",
    "FirstHeaderLineIsContinuationDefect": "the first header line is a continuation line",
    "MissingHeaderBodySeparatorDefect": "a header line without a colon; the body may start early",
}


def _view(text: str, kind: Literal["plain", "html"], primary: bool, problems: tuple[str, ...] = ()) -> BodyView:
    """Split one body text into own text / quotes / attribution / signature."""
    split = _split(text.split("\n"))
    own = _trim(split.own)
    own_text = "\n".join(t for _, t in own)
    signature, sig_line = _signature(own)
    greeting = next((t.strip() for _, t in own if t.strip()), None)
    if greeting is not None and not _GREETING_RE.search(greeting):
        greeting = None
    return BodyView(
        kind=kind, text=text, own_text=own_text, signature=signature,
        quotes=tuple(s.text for s in split.spans), quote_spans=tuple(split.spans),
        attributions=tuple(split.attributions), greeting=greeting,
        own_lines=tuple((k + 1, t) for k, t in own), signature_line=sig_line,
        primary=primary, problems=problems)


def parse(raw: bytes) -> ParsedMessage:
    """Raw message bytes -> ParsedMessage. Never raises on bad mail: see `problems`."""
    problems: list[str] = []
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    for defect in msg.defects:
        name = defect.__class__.__name__
        if name in _MIME_DEFECTS:
            problems.append(f"MIME: {_MIME_DEFECTS[name]} ({name})")
    body_msg = msg
    if msg.get_content_maintype() == "multipart" and not msg.is_multipart():
        body_msg = _repair_multipart(msg, raw, problems)
    chosen = None
    try:
        chosen = _choose(body_msg, problems)
    except Exception as exc:  # noqa: BLE001 - last line of defence: a bad mail is a problem, not a crash
        problems.append(f"MIME: unreadable structure ({exc.__class__.__name__}: {exc})")
    if chosen is None and body_msg.get_content_maintype() == "text" and not body_msg.is_multipart():
        # a single text part marked "attachment" is still the only thing the mail says
        problems.append("MIME: the only text part is marked as an attachment; read as the body")
        try:
            chosen = (_part_text(body_msg, problems, "body"), False, body_msg.get_param("charset"), ())
        except Exception as exc:  # noqa: BLE001 - as above: a problem, not a crash
            problems.append(f"MIME: unreadable body ({exc.__class__.__name__}: {exc})")
    text, is_html, charset, alts = chosen if chosen else ("", False, None, ())
    if isinstance(charset, tuple):
        charset = charset[2]
    view = _view(text, "html" if is_html else "plain", True)
    froms = _addresses(msg, "From", problems)
    raw_subject = next((v for k, v in msg.raw_items() if k.lower() == "subject"), "")
    subject = decode_words(raw_subject, problems, "Subject")
    return ParsedMessage(
        raw=raw,
        headers=msg,
        message_id=(_ids(_raw_header(msg, "Message-ID")) or (None,))[0],
        in_reply_to=_ids(_raw_header(msg, "In-Reply-To")),
        references=_ids(_raw_header(msg, "References")),
        subject=subject,
        from_=froms[0] if froms else None,
        to=_addresses(msg, "To", problems),
        cc=_addresses(msg, "Cc", problems),
        reply_to=_addresses(msg, "Reply-To", problems),
        text=text,
        own_text=view.own_text,
        signature=view.signature,
        quotes=view.quotes,
        problems=tuple(dict.fromkeys(problems)),
        quote_spans=view.quote_spans,
        attribution=view.attributions[0] if view.attributions else None,
        attributions=view.attributions,
        greeting=view.greeting,
        own_lines=view.own_lines,
        signature_line=view.signature_line,
        html=is_html,
        charset=str(charset) if charset else None,
        lazy_alternatives=_LazyViews(alts) if alts else None,
        language=_language(view.own_text or text),
    )


# --------------------------------------------------------------------------------------------
# Comparison form
# --------------------------------------------------------------------------------------------

# Dash-like and tilde-like characters that clients, IMEs and the JIS<->Unicode mappings
# (iso2022_jp vs cp932: 〜/～, −/－, ―/—, ‖/∥) swap for one another.
_DASHES = "-‐‑‒–—―─━−－ー﹘﹣ｰ˗⁃⸺⸻"
_TILDES = "~〜～∼∽˜⁓"
_FOLD_TABLE = str.maketrans({**{c: "-" for c in _DASHES}, **{c: "~" for c in _TILDES}, "∥": "‖", "￤": "|"})


def normalize(text: str) -> str:
    """Comparison form: NFKC (full/half width), dash and tilde variants folded, all whitespace
    (including line breaks, so re-wrapping does not matter) removed."""
    # One NFKC pass, then whitespace removal: a combining mark that followed a space ends up
    # on the previous letter un-composed. Harmless, since both sides go through this same
    # function (and quote-altered's fast path is property-tested equal to it).
    return "".join(unicodedata.normalize("NFKC", text).translate(_FOLD_TABLE).split())


# A line the agent puts in a quote to show that something was cut ("（中略）", "[snip]", "…")
# is not a claim about what the customer wrote. Matched on the normalised line.
_ELISION_RE = re.compile(r"^[~\-=]*[(\[<{【〔«]?(?:中略|略|以下略|後略|前略|省略|snip|snipped|\.{2,}|・{2,}|‥+)[)\]>}】〕»]?[~\-=]*$", re.I)


_BULLET_RE = re.compile(r"^\s*(?:[*\-+•・●○◦▪■□◆◇]|\d{1,2}[.)])\s+")
_LINK_RE = re.compile(r"\s*(?:<(?:https?|mailto|tel):[^<>\s]*>|\[(?:https?|mailto|tel):[^\[\]\s]*\])")


def _dequote_line(line: str) -> str:
    return _QUOTE_PREFIX_RE.sub("", line, count=1)


@lru_cache(maxsize=8)
def _comparison_index(original_text: str) -> tuple[str, frozenset[int]]:
    """The original as one normalised stream, quote markers stripped, and the stream positions
    where its lines start (and end); cached because a reply with many quoted passages compares
    each against the same original."""
    parts = [normalize(_dequote_line(s)) for s in original_text.split("\n")]
    starts = {0}
    at = 0
    for part in parts:
        at += len(part)
        starts.add(at)
    return "".join(parts), frozenset(starts)


# What may stand between two quoted lines that follow each other in the original, besides whole
# original lines: what a client drops when it turns the customer's text into HTML and back
# (link targets, image placeholders, *emphasis* marks). Matched on the normalised stream.
_DROPPABLE_GAP_RE = re.compile(
    r"(?:<(?:https?|mailto|tel):[^<>]*>|\[(?:https?|mailto|tel|cid|image):[^\[\]]*\]|[*_]+)+", re.I)
_MAX_STATES = 64


class QuoteIndex:
    """An original's normalised stream with its line boundaries, for following a quoted passage
    through it line by line (`step`).

    Re-wrapping is free, so a quoted line normally starts where the previous one ended. Trimming
    removes whole lines only: a gap is allowed when it begins and ends at original line
    boundaries (or holds only what clients drop, such as link targets). A word deleted at a
    quoted line's edge ("it still has" / "arrived." quoting "it still has not" / "arrived.")
    leaves a gap inside an original line, so the passage does not continue. A passage is a set
    of possible end positions ("states"): a short line such as "ok" may continue the passage or
    start a line further on, and only the next lines tell which.
    """

    __slots__ = ("stream", "starts", "_by_prefix", "_sorted")

    def __init__(self, stream: str, starts: frozenset[int]) -> None:
        self.stream = stream
        self.starts = starts
        self._by_prefix: dict[str, list[int]] | None = None
        self._sorted: list[int] = []

    def _line_starts_of(self, nxt: str) -> list[int]:
        """Ends of the occurrences of `nxt` that begin an original line (at most _MAX_STATES)."""
        stream = self.stream
        if self._by_prefix is None:
            self._sorted = sorted(p for p in self.starts if p < len(stream))
            by: dict[str, list[int]] = {}
            for p in self._sorted:
                by.setdefault(stream[p:p + 4], []).append(p)
            self._by_prefix = by
        bucket = self._by_prefix.get(nxt[:4], ()) if len(nxt) >= 4 else self._sorted
        out = [p + len(nxt) for p in bucket if stream.startswith(nxt, p)]
        return out[:_MAX_STATES]

    def step(self, states: list[int], nxt: str, every_gap: bool = False) -> list[int]:
        """Where the passage can end after the quoted line `nxt` when it could end at any of
        `states`; [] when `nxt` does not continue it. Gaps of whole lines are only looked for
        when nothing continues directly, unless `every_gap`."""
        stream = self.stream
        out: dict[int, None] = {}
        at_line_end = False
        for e in states:
            if stream.startswith(nxt, e):
                out[e + len(nxt)] = None
            elif stream[e:e + 1] in ("<", "[", "*", "_") and (m := _DROPPABLE_GAP_RE.match(stream, e)):
                if stream.startswith(nxt, m.end()):
                    out[m.end() + len(nxt)] = None
            if e in self.starts:
                at_line_end = True
        if at_line_end and (every_gap or not out):
            # whole lines trimmed out between the two (or the line quoted out of order)
            for end in self._line_starts_of(nxt):
                out[end] = None
        return list(out)[:_MAX_STATES]

    def replay(self, lines: list[str]) -> list[int]:
        """`step` through a whole passage from every place its first line occurs, trying every
        gap: the slow, thorough path, for a passage the quick one lost."""
        first = lines[0]
        states: list[int] = []
        at = self.stream.find(first)
        while at >= 0 and len(states) < _MAX_STATES:
            states.append(at + len(first))
            at = self.stream.find(first, at + 1)
        for nxt in lines[1:]:
            if not states:
                break
            states = self.step(states, nxt, every_gap=True)
        return states


@lru_cache(maxsize=8)
def _quote_index(original_text: str) -> QuoteIndex:
    return QuoteIndex(*_comparison_index(original_text))


def quote_matches(quote: str, original_text: str) -> tuple[bool, str | None]:
    """Is `quote` a trimmed passage of `original_text`? -> (ok, first differing quoted line).

    Both sides are compared in `normalize`d form with quote markers (`>` of any depth)
    stripped from each line, as one stream with line breaks removed, so re-wrapped lines
    still match. Each non-empty quoted line must occur in the original's stream, searched
    forward from where the previous line matched; a line found only earlier in the stream is
    also accepted (quoting out of order does not alter the text). Nested quotes match because
    the original's own quoted text is part of its stream. Elision marks on a line of their own
    ("（中略）", "[snip]", "...") are skipped.

    Only whole lines may be trimmed: within a passage (no blank quoted line or elision mark
    between them) each quoted line must continue the previous one in the original, or follow it
    across a gap of whole original lines (`QuoteIndex`). So a word deleted where the agent's
    lines break is found as surely as one deleted inside a line.

    Known limit: the first line of a passage may start, and its last line end, anywhere in an
    original line (quoting part of a sentence is common and not an alteration).
    """
    index = _quote_index(original_text)
    stream = index.stream
    pos = 0
    run: list[str] = []       # the passage's normalised lines so far
    states: list[int] = []    # where in the stream it can end
    for line in quote.split("\n"):
        norm = normalize(_dequote_line(line))
        if not norm or _ELISION_RE.match(norm):
            run, states = [], []
            continue
        if states:
            nxt = index.step(states, norm)
            if nxt:
                run.append(norm)
                states = nxt
                pos = max(pos, min(nxt))
                continue
        found = stream.find(norm, pos)
        if found < 0:
            found = stream.find(norm)
        if found >= 0 and run:
            run.append(norm)
            states = index.replay(run)
            if not states:
                # the line is the customer's, but something between it and the previous one is not
                return False, _dequote_line(line).strip()
            pos = max(pos, min(states))
            continue
        if found < 0:
            # What a client adds when it turns the customer's HTML into quoted plain text:
            # list bullets, "text <https://…>" link targets. Not words of the customer, so
            # not alterations; every character the customer wrote must still be there.
            norm = normalize(_LINK_RE.sub("", _BULLET_RE.sub("", _dequote_line(line), count=1)))
            if not norm:
                run, states = [], []
                continue
            found = stream.find(norm, pos)
            if found < 0:
                found = stream.find(norm)
            if found < 0:
                return False, _dequote_line(line).strip()
        run, states = [norm], [found + len(norm)]
        if found >= pos:
            pos = found + len(norm)
    return True, None


def iter_quote_mismatches(message: ParsedMessage, original: ParsedMessage) -> Iterable[tuple[QuoteSpan, str]]:
    """Every quoted passage of `message` that is not a trimmed passage of `original`,
    with its first differing line. Compared against the original's whole text (its quotes too)."""
    for span in message.quote_spans:
        ok, line = quote_matches(span.text, original.text)
        if not ok:
            yield span, line or ""
