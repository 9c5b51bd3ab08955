"""The customer index: who our customers are, and where their data shows up in a piece of text.

Why an index and not a loop: `other-customer-data` must look for 100,000 customers' names,
addresses, phone numbers and ids in every reply, within a couple of milliseconds. The index is
built once (from the store or a CSV) and answers `scan(text)` in one pass per kind of data:

* full names and customer ids: one Aho–Corasick automaton (pyahocorasick) over the folded text;
* e-mail addresses and phone numbers: one tokenising regex each over the folded text, every
  token looked up in a dict (an address or a phone number has clear edges, so a hash lookup
  per token is both cheaper and smaller than an automaton holding 100k of them);
* surname + honorific ("青木様", "Ms. Wilson"): the honorifics are found first (they are rare),
  then the word next to each is looked up in a surname dict. A bare surname is never a match:
  "青木ヶ原" or "森田屋" name a place or a shop, not a customer.

Folding (`fold`) is NFKC (full/half width), dash and tilde variants unified and whitespace runs
collapsed to one space; matching is case-insensitive. Japanese full names match with or without
the space (half- or full-width) between surname and given name; Latin names must stand as whole
words. Which token is the surname: the first for names written in Japanese script
("青木 康介"), the last for Latin names ("Emma Wilson"). A name written without a space
("青木康介") takes the longest start that is another customer's surname ("青木"), else it
matches only as a full name; a single word too short or
too common to be a full name ("青木", "Smith") counts as a surname, so only with an honorific.

The index owns no policy: it says which customers a piece of text points at; the rule decides
which of them are the reply's own recipients.
"""
from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Literal, Mapping, Sequence

import ahocorasick

Kind = Literal["name", "surname", "email", "phone", "customer_id"]

# Honorifics that make a surname a reference to a person. Suffixes follow the surname
# ("青木様", "Wilson様"); prefixes precede it ("Ms. Wilson"). A setting entry made of Latin
# letters (with or without a final dot) is a prefix, anything else a suffix.
DEFAULT_HONORIFICS: tuple[str, ...] = (
    "様", "さま", "さん", "殿", "氏", "君", "くん", "ちゃん", "先生",
    "Mr.", "Ms.", "Mrs.", "Miss", "Mx.", "Dr.", "Prof.",
)

# Words that take 様/さん as ordinary nouns ("奥様", "お客様", "皆さん", "大家さん"): when a
# customer's surname happens to be one of them, "<word>様" still refers to no one in particular.
COMMON_NOUNS_WITH_HONORIFIC = frozenset({
    "奥", "神", "王", "皆", "客", "父", "母", "兄", "姉", "弟", "妹", "娘", "孫", "嫁", "婿", "殿", "姫", "仏",
    "主人", "旦那", "息子", "大家", "家主", "同", "両", "各", "貴", "担当", "店員", "業者", "職人", "社長",
    "会員", "先生", "隣", "坊", "若", "殿様", "神様",
})

_DASHES = "‐‑‒–—―−－﹘﹣ｰ˗⁃"
_TILDES = "〜～∼"
_FOLD_TABLE = str.maketrans({**{c: "-" for c in _DASHES}, **{c: "~" for c in _TILDES},
                             "\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None,
                             "\u00ad": None})
_WS_RE = re.compile(r"\s+")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヶ]")
_IDEOGRAPH_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヶ]")
_EMAIL_RE = re.compile(r"[a-z0-9][a-z0-9._%+'\-]*@[a-z0-9\-]+(?:\.[a-z0-9\-]+)+")
# A run of digits with the separators people put into phone numbers (hyphens, dots, spaces,
# parentheses, the katakana long mark some IMEs give for "-"), optionally led by "+".
_PHONE_RUN_RE = re.compile(r"[0-9][0-9\-.()ー ]{5,}[0-9]")   # a leading "+" / "(" is picked up by hand (faster)
_NON_DIGIT_RE = re.compile(r"\D+")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


# Characters NFKC leaves alone in any context: ASCII, hiragana, katakana (ー included), CJK
# ideographs, the common Japanese punctuation 、。「」『』【】. Only the runs of *other*
# characters (full-width ASCII, half-width kana, ①, ㈱, combining marks with the character
# before them, dashes, …) go through NFKC — NFKC of a whole 100 KB reply costs ~6 ms, this ~1 ms.
_NFKC_RUN_RE = re.compile(
    r".?[^\x00-\x7f\u3041-\u3096\u30a1-\u30fa\u30fc-\u30fe\u4e00-\u9fff\u3400-\u4dbf"
    r"\u3001\u3002\u300c-\u3011]+", re.DOTALL)


def _nfkc_run(m: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", m.group()).translate(_FOLD_TABLE)


@functools.lru_cache(maxsize=32)
def fold(text: str) -> str:
    """Display-preserving comparison form: NFKC, dash/tilde variants unified, invisible
    characters dropped, whitespace runs collapsed to one space. Case is kept (see `scan`).
    Cached: several rules fold the same own text of the same reply."""
    return " ".join(_NFKC_RUN_RE.sub(_nfkc_run, text).split())


def fold_key(text: str) -> str:
    """`fold` + lower case + trimmed: the form every index key is stored in."""
    return fold(text).strip().lower()


def phone_digits(text: str) -> str:
    """A phone number as its national digits: "+81 90-4411-2233", "(090) 4411 2233" and
    "０９０ー４４１１ー２２３３" all become "09044112233". "" when there are no digits."""
    return _national(fold(text))


def _national(t: str) -> str:
    """Folded phone text -> national digits (+81 / 0081 become the leading 0)."""
    digits = _NON_DIGIT_RE.sub("", t)
    if digits.startswith("81") and "+" in t[:3]:
        digits = digits[2:]
        return digits if digits.startswith("0") else "0" + digits
    if digits.startswith("0081"):
        digits = digits[4:]
        return digits if digits.startswith("0") else "0" + digits
    return digits


def _id_variants(key: str) -> set[str]:
    """The id as written and without separators ("c-200118", "c200118"). An id of digits only
    needs 6 of them: shorter numbers are prices, quantities and order numbers as often as ids."""
    bare = re.sub(r"[\s\-_./]", "", key)
    return {k for k in (key, bare) if len(k) >= (6 if bare.isdigit() else 3)}


def _is_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


def name_keys(name: str) -> tuple[set[str], str | None]:
    """Full-name keys and the surname key for one customer name.

    Japanese script: "青木 康介" -> {"青木 康介", "青木康介"}, surname "青木".
    Latin: "Emma Wilson" -> {"emma wilson", "wilson emma", "wilson, emma"}, surname "wilson"
    (people write romanised Japanese names in either order, and lists put the surname first);
    "Wilson, Emma" gives the same. Katakana with a middle dot ("エマ・ウィルソン") is a foreign
    name, surname last.
    """
    key = fold_key(re.sub(r"[(（\[【].*?[)）\]】]", " ", name))
    tokens = [t for t in re.split(r"[\s・,]+", key) if t]
    if not tokens:
        return set(), None
    if _is_cjk(key):
        if len(tokens) == 1:
            # "青木康介" is a full name; "青木" alone may be just a surname: needs an honorific
            return ({tokens[0]}, None) if len(tokens[0]) >= 3 else (set(), tokens[0])
        full = {" ".join(tokens), "".join(tokens)}
        # "エマ・ウィルソン": a foreign name in katakana, given name first
        foreign = "・" in key and not _IDEOGRAPH_RE.search(key)
        return full, (tokens[-1] if foreign else tokens[0])
    if len(tokens) == 1:
        # one Latin word ("Emma", "Smith") is too common to match alone: only with an honorific
        return set(), (tokens[0] if len(tokens[0]) >= 2 else None)
    if "," in key:                      # "Wilson, Emma": surname first
        tokens = tokens[1:] + tokens[:1]
    surname = tokens[-1]
    rest = " ".join(tokens[:-1])
    full = {" ".join(tokens), f"{surname} {rest}", f"{surname}, {rest}"}
    return full, (surname if len(surname) >= 2 else None)


@dataclass(frozen=True)
class Customer:
    name: str
    email: str
    phone: str
    customer_id: str


@dataclass(frozen=True)
class Match:
    """One place where `text` points at customers. `owners` are indexes into the index's
    customer list (several when, say, two customers share a surname or a family phone)."""

    kind: Kind
    key: str            # the folded, lower-case key that matched (e.g. "青木", "09044112233")
    text: str           # the matched text as written (folded to NFKC)
    start: int          # offset in the folded text
    owners: tuple[int, ...]


Owners = int | tuple[int, ...]


def _add(table: dict[str, Owners], key: str, idx: int) -> None:
    have = table.get(key)
    if have is None:
        table[key] = idx
    elif isinstance(have, int):
        if have != idx:
            table[key] = (have, idx)
    elif idx not in have:
        table[key] = have + (idx,)


def _owners(value: Owners) -> tuple[int, ...]:
    return (value,) if isinstance(value, int) else value


class CustomerIndex:
    """All customers, indexed for `scan`. Build once (`from_rows` / `from_csv`), share freely:
    after construction it is read-only and safe to use from several threads."""

    def __init__(self, customers: Iterable[Customer]) -> None:
        self.customers: list[Customer] = []
        self._emails: dict[str, Owners] = {}
        self._phones: dict[str, Owners] = {}
        self._surnames: dict[str, Owners] = {}
        self._max_cjk_surname = 1
        # automaton keys -> (kind code, owners); 0 = name, 1 = customer id; stored with the key length
        table: dict[str, tuple[int, Owners]] = {}
        unsplit: list[tuple[int, str]] = []
        for idx, c in enumerate(customers):
            self.customers.append(c)
            if c.email.strip():
                _add(self._emails, c.email.strip().lower(), idx)
            digits = phone_digits(c.phone)
            if len(digits) >= 7:
                _add(self._phones, digits, idx)
            full, surname = name_keys(c.name)
            for k in full:
                self._add_auto(table, k, 0, idx)
            if surname:
                _add(self._surnames, surname, idx)
                if _is_cjk(surname):
                    self._max_cjk_surname = max(self._max_cjk_surname, len(surname))
            elif len(full) == 1 and _IDEOGRAPH_RE.match(next(iter(full))):
                unsplit.append((idx, next(iter(full))))
            for k in _id_variants(fold_key(c.customer_id)):
                self._add_auto(table, k, 1, idx)
        # "青木康介" written without a space: its surname is the longest start that is some
        # other customer's surname ("青木"), if any — never the whole name.
        for idx, name in unsplit:
            for length in range(min(self._max_cjk_surname, len(name) - 1), 0, -1):
                if name[:length] in self._surnames and _is_cjk(name[:length]):
                    _add(self._surnames, name[:length], idx)
                    break
        self._auto = ahocorasick.Automaton()
        for k, (code, owners) in table.items():
            self._auto.add_word(k, (code, owners, len(k)))
        if len(self._auto):
            self._auto.make_automaton()

    @staticmethod
    def _add_auto(table: dict[str, tuple[int, Owners]], key: str, code: int, idx: int) -> None:
        have = table.get(key)
        if have is None:
            table[key] = (code, idx)
            return
        owners = _owners(have[1])
        if idx not in owners:
            owners += (idx,)
        table[key] = (min(have[0], code), owners[0] if len(owners) == 1 else owners)

    # ---- construction ------------------------------------------------------------------

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, str | None]]) -> "CustomerIndex":
        """Rows with keys name, email, phone, customer_id (extra keys ignored, missing = "")."""
        return cls(
            Customer(
                (r.get("name") or "").strip(),
                (r.get("email") or "").strip(),
                (r.get("phone") or "").strip(),
                (r.get("customer_id") or "").strip(),
            )
            for r in rows
        )

    @classmethod
    def from_csv_text(cls, text: str) -> "CustomerIndex":
        """The customers CSV of DESIGN.md: header `name,email,phone,customer_id`, extra columns allowed."""
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        if reader.fieldnames is not None:
            reader.fieldnames = [f.strip().lower() for f in reader.fieldnames]
        return cls.from_rows(reader)

    @classmethod
    def from_csv(cls, path: str | Path) -> "CustomerIndex":
        return cls.from_csv_text(Path(path).read_text(encoding="utf-8-sig"))

    def __len__(self) -> int:
        return len(self.customers)

    # ---- lookups -----------------------------------------------------------------------

    def by_email(self, address: str) -> tuple[int, ...]:
        """Customers whose address this is (case-insensitive); () when none."""
        value = self._emails.get(address.strip().lower())
        return _owners(value) if value is not None else ()

    def scan(self, text: str, honorifics: Sequence[str] = DEFAULT_HONORIFICS) -> list[Match]:
        """Every place in `text` that names a customer: full names, surname + honorific,
        e-mail addresses, phone numbers, customer ids. In text order."""
        disp = fold(text)
        low = disp.lower()
        if len(low) != len(disp):   # a rare character whose lower case is longer (İ)
            disp = low
        out: list[Match] = []
        out.extend(self._scan_automaton(low, disp))
        out.extend(self._scan_emails(low, disp))
        out.extend(self._scan_phones(low, disp))
        out.extend(self._scan_surnames(low, disp, honorifics))
        out.sort(key=lambda m: m.start)
        return out

    def _scan_automaton(self, low: str, disp: str) -> Iterator[Match]:
        if not len(self._auto):
            return
        suffixes = _suffix_re(DEFAULT_HONORIFICS)
        n = len(low)
        for end, (code, owners, key_len) in self._auto.iter(low):
            start = end - key_len + 1
            key = low[start:end + 1]
            before = low[start - 1] if start > 0 else " "
            after = low[end + 1] if end + 1 < n else " "
            if code == 1 or not _is_cjk(key):
                # whole words only: "c-200118" not in "c-2001189", "emma wilson" not in "gemma wilsons"
                if before in _ALNUM or after in _ALNUM:
                    continue
                # nor part of a hyphenated name: "emma wilson" in "emma wilson-smith"
                if (after in "-'" and end + 2 < n and low[end + 2] in _ALNUM) or \
                        (before in "-'" and start > 1 and low[start - 2] in _ALNUM):
                    continue
                if code == 1 and after in "-_" and end + 2 < n and low[end + 2] in _ALNUM:
                    continue
            elif len(key.replace(" ", "")) <= 3:
                # a short Japanese name ("林 太") must not be the start or end of a longer word
                if _IDEOGRAPH_RE.match(before) or (_IDEOGRAPH_RE.match(after) and not suffixes.match(low, end + 1)):
                    continue
            yield Match("customer_id" if code == 1 else "name", key, disp[start:end + 1], start, _owners(owners))

    def _scan_emails(self, low: str, disp: str) -> Iterator[Match]:
        if "@" not in low:
            return
        for m in _EMAIL_RE.finditer(low):
            addr = m.group().rstrip(".-")
            value = self._emails.get(addr)
            if value is not None:
                yield Match("email", addr, disp[m.start():m.start() + len(addr)], m.start(), _owners(value))

    def _scan_phones(self, low: str, disp: str) -> Iterator[Match]:
        for m in _PHONE_RUN_RE.finditer(low):
            run, base = m.group(), m.start()
            if len(_NON_DIGIT_RE.sub("", run)) < 7:
                continue
            while base > 0 and low[base - 1] in "+(" and m.start() - base < 2:
                base -= 1
                run = low[base] + run
            # A run may hold several numbers separated by spaces ("C 200118 03-5678-1122"):
            # try every span of whole space-separated groups, longest first.
            groups = [(g.start(), g.group()) for g in re.finditer(r"\S+", run)]
            i = 0
            while i < len(groups):
                for j in range(min(len(groups), i + 6), i, -1):
                    first, last = groups[i], groups[j - 1]
                    piece = run[first[0]:last[0] + len(last[1])]
                    digits = _national(piece)
                    value = self._phones.get(digits)
                    if value is not None:
                        s = base + first[0]
                        yield Match("phone", digits, disp[s:s + len(piece)], s, _owners(value))
                        i = j - 1
                        break
                i += 1

    def _scan_surnames(self, low: str, disp: str, honorifics: Sequence[str]) -> Iterator[Match]:
        if not self._surnames:
            return
        prefixes, suffixes = _split_honorifics(honorifics)
        if suffixes:
            for h in _find_all(low, suffixes):
                q = h
                if q > 0 and low[q - 1] == " ":
                    q -= 1
                if q == 0:
                    continue
                if low[q - 1] in _ALNUM:          # "Wilson様", "Grant-san" style
                    w = q
                    while w > 0 and (low[w - 1] in _ALNUM or low[w - 1] in "'-"):
                        w -= 1
                    word = low[w:q].strip("'-")
                    value = self._surnames.get(word)
                    if value is not None and (w == 0 or low[w - 1] not in _ALNUM):
                        yield Match("surname", word, disp[w:h + _hon_len(low, h, suffixes)], w, _owners(value))
                    continue
                for length in range(min(self._max_cjk_surname, q), 0, -1):
                    cand = low[q - length:q]
                    value = self._surnames.get(cand)
                    if value is None:
                        continue
                    b = q - length
                    prev = low[b - 1] if b > 0 else " "
                    # "奥様", "お客様": a common noun, or a noun made polite with お/ご/御
                    if cand in COMMON_NOUNS_WITH_HONORIFIC or prev in "おご御":
                        break
                    # "大前田様" is not 前田: a kanji right before means a longer name, unless it
                    # is itself an honorific ("お客様前田様") or ends a word that no name
                    # continues ("先日青木様", "担当青木様", "20日青木様").
                    if (_IDEOGRAPH_RE.match(prev) and not any(low.startswith(s, b - len(s)) for s in suffixes)
                            and not _ends_word_before_name(low, b)):
                        continue
                    yield Match("surname", cand, disp[b:h + _hon_len(low, h, suffixes)], b, _owners(value))
                    break
        if prefixes:
            pattern = _prefix_re(prefixes)
            pos = 0
            while (m := pattern.search(low, pos)) is not None:
                if m.start() > 0 and low[m.start() - 1] in _ALNUM:   # "items", "seems Mr. Grant"
                    pos = m.start() + 1
                    continue
                pos = m.end()
                word = m.group("word")
                value = self._surnames.get(word)
                if value is not None:
                    yield Match("surname", word, disp[m.start():m.end()], m.start(), _owners(value))


# Kanji words that are written right before a name without a space or particle and are never
# the first part of one: time words ("先日青木様にお送りした"), the writer's side and roles
# ("弊社青木", "担当青木様"). Words of two kanji or more only: a single kanji such as 日, 先 or 社
# may just as well be part of a longer surname ("大前田", "先崎") or of a company ("株式会社青木様").
WORDS_BEFORE_NAME = frozenset({
    "本日", "今日", "昨日", "一昨日", "明日", "明後日", "先日", "後日", "前日", "翌日", "当日", "同日",
    "毎日", "連日", "終日", "平日", "休日", "祝日", "週末", "曜日", "先週", "今週", "来週", "翌週", "毎週",
    "先月", "今月", "来月", "翌月", "毎月", "昨年", "今年", "来年", "翌年", "毎年", "年度", "今朝", "昨夜",
    "今夜", "今晩", "午前", "午後", "先程", "先刻", "先般", "過日", "今回", "前回", "次回", "毎回", "初回",
    "今度", "以前", "以降", "以後", "直前", "直後", "至急", "早急", "従前", "再度",
    "担当", "担当者", "弊社", "当社", "御社", "貴社", "弊店", "当店", "弊所", "当方", "弊方", "窓口",
    "係員", "上司", "部長", "課長", "係長", "主任", "店長", "室長", "所長", "代表", "責任者", "同僚",
    "宛先", "件名", "皆様", "各位",
})
# Counters after a number: "11月20日青木様", "3回青木様に".
_COUNTERS = frozenset("日月年時分回件度週")
_MAX_WORD_BEFORE_NAME = max(map(len, WORDS_BEFORE_NAME))


def _ends_word_before_name(low: str, b: int) -> bool:
    """Does the kanji run ending at `b` end with a word that is never part of a name?"""
    for n in range(1, min(_MAX_WORD_BEFORE_NAME, b) + 1):
        word = low[b - n:b]
        if not _IDEOGRAPH_RE.match(word[0]):
            break
        if word in WORDS_BEFORE_NAME:
            return True
        if n == 1 and word in _COUNTERS and b > 1 and low[b - 2].isdigit():
            return True
    return False


# ---- honorific helpers (module level so compiled patterns are cached per honorific list) ----

_SUFFIX_CACHE: dict[tuple[str, ...], re.Pattern[str]] = {}
_PREFIX_CACHE: dict[tuple[str, ...], re.Pattern[str]] = {}


def _split_honorifics(honorifics: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    prefixes: list[str] = []
    suffixes: list[str] = []
    for h in honorifics:
        k = fold_key(str(h))
        if not k:
            continue
        (prefixes if re.fullmatch(r"[a-z]+\.?", k) else suffixes).append(k)
    return tuple(prefixes), tuple(sorted(set(suffixes), key=len, reverse=True))


def _suffix_re(honorifics: Sequence[str]) -> re.Pattern[str]:
    suffixes = _split_honorifics(honorifics)[1]
    pat = _SUFFIX_CACHE.get(suffixes)
    if pat is None:
        pat = re.compile(r" ?(?:" + "|".join(map(re.escape, suffixes)) + ")") if suffixes else re.compile(r"(?!)")
        _SUFFIX_CACHE[suffixes] = pat
    return pat


def _prefix_re(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    pat = _PREFIX_CACHE.get(prefixes)
    if pat is None:
        words = sorted({p.rstrip(".") for p in prefixes}, key=len, reverse=True)
        # no look-behind in front: it would cost the regex engine its fast prefix scan (3x);
        # the word boundary before the honorific is checked by the caller
        pat = re.compile(r"(?:" + "|".join(map(re.escape, words)) +
                         r")\.? ?(?P<word>[a-z][a-z'\-]*[a-z])(?![a-z0-9])")
        _PREFIX_CACHE[prefixes] = pat
    return pat


def _find_all(low: str, suffixes: tuple[str, ...]) -> Iterator[int]:
    """Start offsets of every suffix honorific in `low` (longest first at each place)."""
    seen: set[int] = set()
    for s in suffixes:
        i = low.find(s)
        while i >= 0:
            if i not in seen:
                seen.add(i)
                yield i
            i = low.find(s, i + 1)


def _hon_len(low: str, h: int, suffixes: tuple[str, ...]) -> int:
    return next((len(s) for s in suffixes if low.startswith(s, h)), 0)
