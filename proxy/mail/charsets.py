"""Bytes in a declared (or undeclared, or lying) charset -> text: `decode_bytes`.

Its own module because Japanese mail makes decoding the hard part and every other stage
(headers, parts, HTML) leans on it: ISO-2022-JP with the CP50220 (NEC/IBM) extensions real
clients send, Shift_JIS that is really CP932, EUC-JP with NEC row 13, and labels that lie.
Never raises: what cannot be decoded cleanly is decoded with replacement characters and the
second return value says so.
"""
from __future__ import annotations

import codecs
import re


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
