"""Is a customer's mail a complaint, a question, or neither? Explainably.

Why a cue list and not a model: the answer drives a hard rule (`apology-missing`) and a header
agents read (`X-Support-Category`), so every decision must say which words made it. Cues live in
`complaint_cues.yaml` beside this module (id, kind, weight, pattern; ja and en) so support
leads can extend them without touching code.

Only the customer's own words count: the own text of the parsed mail (quotes, attribution lines
and the signature removed) and the subject (less, and less still when it is a `Re:` of ours).
Text is matched sentence by sentence after NFKC and lower-casing, so full-width ？ and ＡＢＣ need
no separate cues; a cue marked `dampen: conditional` counts less in a hypothetical sentence
("壊れた場合は交換できますか", "what if it breaks?"). Scores combine as a noisy-OR per kind.

Deciding follows the labelling guideline in tests/fixtures/classify/eval.yaml: the label says
what the reply must do first. A report that something went wrong on our side is a complaint
however politely it is put, even when its only sentence ending is a question ("二重に請求されて
おりました。ご確認いただけますでしょうか。", "My order has not arrived yet. Could you check?"):
the reply owes an apology first. So complaint evidence at COMPLAINT_THRESHOLD wins over any
question; weaker evidence yields to a question; a problem report that asks nothing
("商品にキズがありました。") is a mild complaint; the rest — thanks, notices, auto-replies,
newsletters and phishing-shaped notifications — is "other". Cues marked `mitigates: complaint`
(the customer's own doing: 落としてしまい, "I dropped it") scale the complaint evidence down.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Literal

import yaml

from proxy.message import ParsedMessage

Category = Literal["complaint", "question", "other"]
CUES_FILE = Path(__file__).with_name("complaint_cues.yaml")

COMPLAINT_THRESHOLD = 0.45  # at or above this, a complaint wins even over a question
QUESTION_THRESHOLD = 0.45
PROBLEM_REPORT = 0.3        # with no question, this much complaint evidence still makes a complaint
OTHER_RAISE = 0.3            # how far "other" cues (thanks, notices, links) raise both thresholds
CONDITIONAL_FACTOR = 0.35    # weight kept by a dampened cue in a hypothetical sentence
SUBJECT_FACTOR = 0.7         # the subject is the customer's words, but short and generic
REPLY_SUBJECT_FACTOR = 0.3   # "Re: <our subject>": mostly our words
PREFILTER_MEM = 64 << 20     # RE2 memory budget of the cue prefilter set (see _prefilter)
MAIL_PARTNER = 0.3           # a `scope: mail` cue counts only beside a cue this strong elsewhere


@dataclass(frozen=True)
class Cue:
    """One cue that fired: which, how much it counted, and the words that made it fire."""

    id: str
    kind: Literal["complaint", "question", "other"]
    weight: float
    text: str
    where: Literal["subject", "body"] = "body"


@dataclass(frozen=True)
class Classification:
    category: Category
    score: float                                  # confidence in `category`, 0..1
    cues: tuple[Cue, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)  # per kind: complaint, question, other

    @property
    def is_complaint(self) -> bool:
        return self.category == "complaint"

    def header_value(self) -> str:
        """The `X-Support-Category` value (DESIGN.md): `<category>; score=<0..1>`."""
        return f"{self.category}; score={self.score:.2f}"

    def explain(self) -> str:
        """One line for logs and agents: the category and the cues that decided it."""
        fired = ", ".join(f"{c.id}({c.text!r} {c.weight:.2f})" for c in self.cues) or "no cues"
        return f"{self.category} {self.score:.2f}: {fired}"


@dataclass(frozen=True, eq=False)   # identity: hashed per call by the prefilter's cache
class _CueSpec:
    id: str
    kind: Literal["complaint", "question", "other"]
    weight: float
    lang: str
    regex: re.Pattern[str]
    dampen: bool
    needs: str | None
    raises: bool
    mitigates: bool = False
    mail_scope: bool = False    # `needs` is met by a cue anywhere in the mail, not the sentence


@lru_cache(maxsize=4)
def load_cues(path: Path = CUES_FILE) -> tuple[_CueSpec, ...]:
    """Read and compile the cue file once (per path)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    specs = []
    for entry in data["cues"]:
        kind = entry["kind"]
        if kind not in ("complaint", "question", "other"):
            raise ValueError(f"{path}: cue {entry.get('id')!r}: unknown kind {kind!r}")
        try:
            regex = re.compile(entry["pattern"], re.M)
        except re.error as exc:
            raise ValueError(f"{path}: cue {entry.get('id')!r}: bad pattern: {exc}") from None
        specs.append(_CueSpec(
            id=str(entry["id"]),
            kind=kind,
            weight=float(entry["weight"]),
            lang=str(entry.get("lang", "any")),
            regex=regex,
            dampen=entry.get("dampen") == "conditional",
            needs=entry.get("needs"),
            raises=bool(entry.get("raises", False)),
            mitigates=entry.get("mitigates") == "complaint",
            mail_scope=entry.get("scope") == "mail",
        ))
    return tuple(specs)


_BOUNDED_GAP_RE = re.compile(r"(?<!\\)\.\{\d*,\d+\}")
_LOOKAROUND_RE = re.compile(r"\(\?<?[=!][^()]*(?:\([^()]*\)[^()]*)*\)")


@lru_cache(maxsize=4)
def _prefilter(specs: tuple[_CueSpec, ...]) -> Callable[[str], set[int] | None]:
    """A function telling which cues (by index) can match a text, or None for "any".

    Each cue's pattern is loosened for RE2 — lookarounds and \\b dropped, so it matches a
    superset of what Python's pattern matches — and all go into one RE2 set. A cue RE2 cannot
    compile is always let through.
    """
    try:
        import re2
    except ImportError:  # pragma: no cover - google-re2 is a declared dependency
        return lambda text: None
    options = re2.Options()
    # The set's lazy DFA needs room: with the default 8 MB a hundred-odd cues with sentence-wide
    # gaps exhaust it and RE2 falls back to its NFA, ~150x slower. It is a cap, not an allocation.
    options.max_mem = PREFILTER_MEM
    matcher = re2.Set.SearchSet(options)
    index: dict[int, int] = {}
    always: set[int] = set()
    for k, spec in enumerate(specs):
        loose = "(?m)" + _LOOKAROUND_RE.sub("", spec.regex.pattern).replace("\\b", "")
        # ".{0,40}" becomes ".*" (still within a sentence): a counted repeat is expanded by RE2
        # into that many states, and a few dozen of them push the set's DFA out of memory
        loose = _BOUNDED_GAP_RE.sub(".*", loose)
        try:
            index[matcher.Add(loose)] = k
        except Exception:  # noqa: BLE001 - re2 raises its own error types per construct
            always.add(k)
    matcher.Compile()

    def possible(text: str) -> set[int]:
        # RE2 wants valid UTF-8; a lone surrogate (broken input) becomes "?" for this scan only
        safe = text.encode("utf-8", "replace").decode("utf-8")
        return always | {index[i] for i in (matcher.Match(safe) or ())}

    return possible


_URL_RE = re.compile(r"https?://\S+")
_SENTENCE_RE = re.compile(r"[^。.!?\n]+[。.!?]*|[!?]+")
# Hypothetical sentences: "場合", "もし", "if" always; "〜たら/〜なら/〜ときは" only in a question, since
# "箱を開けたら部品が足りませんでした" is a report ("when I opened…"), not a hypothesis.
_CONDITIONAL_RE = re.compile(
    r"場合|もし|万一|万が一|としたら|\bif\b|\bin case\b|\bshould (it|the)\b|\bwhat if\b|\bwhen\b.{0,30}\bwill\b")
# A question about what a product does, not what it did: "Does the kettle turn off after boiling?",
# "異音が出ることはありますか". Its problem words are as hypothetical as an "if".
_FEATURE_Q_RE = re.compile(
    r"^(does|do|will|would|can|is|are) (it|the|this|that|these|those|a|an|your)\b(?!.*\bnormal\b).*\?$"
    r"|ことは(あり|ござい)ます(か|でしょうか)|ことが(あり|ござい)ます(か|でしょうか)|ことはない(ですか|でしょうか)"
    # "200Vにつないでも壊れませんか", "故障の原因になりますか", "or will it overheat?": will it?, not did it
    r"|(壊れ|故障し|傷(が)?つき|割れ|破れ|焦げ|錆び|さび|漏れ|熱くなり|変形し|変色し)(たりし)?(ません|ない)(か|でしょうか|ですか)"
    r"|(原因|おそれ|恐れ|心配|可能性)(に|が|は)?(なり|あり|ござい)ます(か|でしょうか)|(ないか|か(どうか)?)(心配|不安)"
    r"|(^|, ?|\bor )(will|would|might|could|does|can) (it|this|that|they) (\w+ ){0,2}(overheat|damage|harm|break|scratch"
    r"|burn|melt|leak|rust|crack|fade|shrink|void|hurt|stain|catch fire)\w*\b[^.]*\?$"
    # a hearsay-checking question: "…使えないと聞きましたが、本当でしょうか" is as hypothetical as an "if"
    r"|(と|って)(聞き|伺い|言われ|読み)ました(が|けど).{0,30}(本当|事実|正しい)(なの)?(でしょうか|ですか)"
    # a generic possibility as the manual or someone states it: "煙が出ることがあると書いてありますが"
    r"|(こと|場合)が(ある|あります|ございます)(と|って)(書|記載|あり|聞|伺|説明|言わ|読)")
_TARA_RE = re.compile(r"(た|だ)ら(?!れ)|なら(?!ない|ず)|(とき|時|際)(は|に(は)?)(?!既|すで|もう)")
_ASKING_RE = re.compile(r"(か|でしょうか|ますか|ですか)[。.]?$|\?")
_REPLY_PREFIX_RE = re.compile(r"^\s*((re|fw|fwd|aw|sv|vs|tr|wg|返信|転送)\s*(\[\d+\]|\(\d+\))?\s*[:：]\s*)+", re.I)
_JA_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def _sentences(text: str) -> list[str]:
    text = _URL_RE.sub(" https:// ", text)
    return [s.strip() for s in _SENTENCE_RE.findall(text) if s.strip()]


def _prepare(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _customer_text(message: ParsedMessage) -> str:
    """The own text without the signature block: a signature's "Thanks," or company slogan
    is not what the customer is saying."""
    own = message.own_text
    if message.signature and own.endswith(message.signature):
        own = own[: len(own) - len(message.signature)]
    return own


def classify_text(body: str, subject: str = "", cues: tuple[_CueSpec, ...] | None = None) -> Classification:
    """Classify plain text (the customer's own words) and an optional subject."""
    specs = cues if cues is not None else load_cues()
    best: dict[tuple[str, str], Cue] = {}

    subject_factor = SUBJECT_FACTOR
    if _REPLY_PREFIX_RE.match(subject):
        subject_factor = REPLY_SUBJECT_FACTOR
        subject = _REPLY_PREFIX_RE.sub("", subject)
    units: list[tuple[str, float, Literal["subject", "body"]]] = []
    if subject.strip():
        units.append((_prepare(subject), subject_factor, "subject"))
    units += [(s, 1.0, "body") for s in _sentences(_prepare(body))]

    # A cue that occurs nowhere in the mail needs no per-sentence work: one RE2 set scan
    # (a DFA over all cues at once) says which can occur at all.
    whole = "\n".join(u[0] for u in units)
    possible = _prefilter(specs)(whole)
    specs = tuple(spec for k, spec in enumerate(specs) if possible is None or k in possible)

    # One pass per cue over all sentences joined by "\n" (patterns are compiled MULTILINE, so
    # ^/$ are sentence bounds and no match crosses one); a match is then credited to its
    # sentence. Far cheaper than every cue against every sentence on a long mail.
    starts: list[int] = []
    offset = 0
    for text, _, _ in units:
        starts.append(offset)
        offset += len(text) + 1
    flags: dict[int, tuple[bool, bool]] = {}

    def unit_flags(i: int) -> tuple[bool, bool]:
        if i not in flags:
            sentence = units[i][0]
            conditional = bool(_CONDITIONAL_RE.search(sentence)) or bool(_FEATURE_Q_RE.search(sentence)) or bool(
                _TARA_RE.search(sentence) and _ASKING_RE.search(sentence))
            flags[i] = (bool(_JA_RE.search(sentence)), conditional)
        return flags[i]

    present: list[_CueSpec] = []

    def credit(i: int, spec: _CueSpec, text: str) -> bool:
        """Record a hit in unit i; True when no later hit of this cue can weigh more."""
        _, factor, where = units[i]
        weight = spec.weight * factor
        damped = spec.dampen and unit_flags(i)[1]
        if damped:
            weight *= CONDITIONAL_FACTOR
        key = (spec.kind, spec.id)
        if key not in best or best[key].weight < weight:
            best[key] = Cue(spec.id, spec.kind, round(weight, 3), text.strip(), where)
        return factor == 1.0 and not damped

    for spec in specs:
        if spec.needs:
            continue
        for m in spec.regex.finditer(whole):
            i = bisect_right(starts, m.start()) - 1
            if spec.lang == "ja" and not unit_flags(i)[0]:
                continue
            if spec not in present:
                present.append(spec)
            if credit(i, spec, m.group(0)):
                break
    # evidence of the needed kind anywhere in the mail, clear enough on its own (MAIL_PARTNER)
    mail_partner = {kind: any(c.kind == kind and c.weight >= MAIL_PARTNER for c in best.values())
                    for kind in ("complaint", "question", "other")}
    for spec in specs:
        if not spec.needs:
            continue
        if spec.mail_scope:
            # "Lが届きました。交換お願いします": a remedy asked for after a reported problem
            if mail_partner[spec.needs]:
                for m in spec.regex.finditer(whole):
                    i = bisect_right(starts, m.start()) - 1
                    if spec.lang == "ja" and not unit_flags(i)[0]:
                        continue
                    if credit(i, spec, m.group(0)):
                        break
            continue
        partners = [p for p in present if p.kind == spec.needs]
        for m in spec.regex.finditer(whole):
            i = bisect_right(starts, m.start()) - 1
            if spec.lang == "ja" and not unit_flags(i)[0]:
                continue
            # only alongside a cue of the kind it needs, in the same sentence
            # a partner damped as hypothetical ("使えない場合があります") is no context
            if any(p.regex.search(units[i][0]) and not (p.dampen and unit_flags(i)[1]) for p in partners) \
                    and credit(i, spec, m.group(0)):
                break

    def noisy_or(cues: Iterable[Cue]) -> float:
        rest = 1.0
        for cue in cues:
            rest *= 1.0 - cue.weight
        return round(1.0 - rest, 3)

    scores = {kind: noisy_or(c for c in best.values() if c.kind == kind) for kind in ("complaint", "question", "other")}
    raising = {s.id for s in specs if s.raises}
    raise_by = OTHER_RAISE * noisy_or(c for c in best.values() if c.kind == "other" and c.id in raising)
    mitigating = {s.id for s in specs if s.mitigates}
    mitigate = noisy_or(c for c in best.values() if c.id in mitigating)
    if mitigate:
        # the customer's own doing ("子どもが落としてしまい"): the problem is real, the fault not ours
        scores["complaint"] = round(scores["complaint"] * (1.0 - mitigate), 3)
    c, q, o = scores["complaint"], scores["question"], scores["other"]
    # A report of something that went wrong on our side owes an apology first, however politely
    # it asks ("届いておりません。確認していただけますでしょうか。"): clear enough, it wins.
    if c >= COMPLAINT_THRESHOLD + raise_by:
        category: Category = "complaint"
        score = c
    elif q >= QUESTION_THRESHOLD + raise_by:
        category, score = "question", q
    elif c >= PROBLEM_REPORT and c >= o:
        # "商品にキズがありました。" asks nothing and thanks no one: a report of a problem is a
        # complaint (the agent apologises for the inconvenience), if a mild one.
        category, score = "complaint", c
    else:
        category, score = "other", max(o, 1.0 - max(c, q))
    fired = sorted(best.values(), key=lambda cue: (cue.kind != category, -cue.weight))
    return Classification(category, round(score, 2), tuple(fired), scores)


def classify(message: ParsedMessage) -> Classification:
    """Classify a customer's mail from its own text (not quotes, not signature) and subject."""
    return classify_text(_customer_text(message), message.subject)
