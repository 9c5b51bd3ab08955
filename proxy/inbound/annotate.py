"""The inbound pipeline: one customer mail in, the same mail with our four headers out.

Why the header block is edited as bytes: the agent's client, DKIM signatures further down
the line and the correspondence store all need the customer's bytes exactly as sent
(ISO-2022-JP bodies, odd folding, 8-bit headers). Re-serialising through the `email`
package would re-fold and re-encode. So we only *remove* whole header fields (forged copies
of ours) and *prepend* our own, and every other byte passes through untouched.

Steps (DESIGN.md "Data flow", Incoming):
1. strip every incoming `Authentication-Results` whose authserv-id is ours and every
   `X-Sender-Anonymity`, `X-Sender-Class`, `X-Support-Category` — whoever added them
   before us cannot be trusted;
2. authenticate (DKIM/SPF/DMARC/ARC) on the bytes as received, and at the same time look
   up the reply path of the From/Reply-To domains — both under one DNS time budget;
3. sender class + anonymity verdict; 4. complaint category from the shared classifier;
5. prepend `Authentication-Results`, `X-Sender-Anonymity`, `X-Sender-Class`,
   `X-Support-Category` (ASCII, folded at 78 columns, the message's own line ending);
6. remember the annotated original in the store, when one is given.

The whole DNS part has a hard deadline (`budget_s` plus a small grace): a zone that never
answers yields `temperror` results, never a stuck message.

A body that cannot be read (MIME nested a thousand levels deep, which the `email` package
cannot parse without running out of recursion) is a permanent property of that mail, not a
reason to fail: a filter that exits 75 on it makes procmail/fetchmail retry it for ever.
Authentication works on the raw bytes and anonymity on the header block, so both are still
given; the category is `other` with score 0 and a short comment saying why.

Parsing and classifying are CPU work: for a big or deeply nested mail they run in a worker
thread so the SMTP door's other sessions are not stalled (see `_HEAVY_BYTES`).
Message bytes are never formatted into a log line or an exception: a 10 MB repr costs
seconds (see `Annotation` and proxy/commands/annotate.py).
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import socket
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from proxy.inbound import anonymity
from proxy.inbound.anonymity import AuthFacts, SenderVerdict, SenderView
from proxy.inbound.dns import Resolver

log = logging.getLogger("replyguard.annotate")

OUR_X_HEADERS = frozenset({"x-sender-anonymity", "x-sender-class", "x-support-category"})
DEFAULT_BUDGET_S = 4.0
"""DNS time for one message; the acceptance harness allows 60 s, agents expect seconds."""
GRACE_S = 1.0
"""Extra time past the budget before the pipeline stops waiting for DNS altogether."""
CLASSIFY_CHARS = 20_000
"""How much of the customer's own text the complaint classifier reads. A complaint is told
in the first screens; without a cap a 50 MB mail would cost the classifier a minute of CPU
(it scans every sentence for every cue) and hold the SMTP session that long."""
UNREADABLE_SCORE = 0.0
"""Score of the `other` category when the body could not be read at all."""
_HEAVY_BYTES = 256 * 1024
_HEAVY_BOUNDARIES = 32
"""Above this size or this many `boundary=` parameters, parse and classify in a worker
thread. Measured with bench/inbound.py (4 KB DKIM-signed mail, warm cache): parse +
classify cost 0.4 ms; always hopping to a thread gave ~550 msg/s per CPU-second against
~575-650 on the loop, so small mail stays on the loop. A 10 MB mail parses for ~0.4 s and
1000-level nesting fails only after ~0.45 s: that must not stall every other session."""


def default_authserv_id() -> str:
    """`replyguard.<hostname>`: stable across runs on one machine, distinct per machine.

    gethostname, not getfqdn: the latter may ask DNS, which a mail filter must not depend on.
    """
    host = re.sub(r"[^A-Za-z0-9.-]", "", socket.gethostname()).strip(".-").lower()
    return "replyguard.%s" % (host or "localhost")


# ----------------------------------------------------------------------------- header bytes


@dataclass(frozen=True)
class HeaderBlock:
    """A message cut into its fields, as bytes.

    `prefix`: an mbox `From ` line (procmail hands one over) kept on top; `fields`: each
    field with its continuation lines and line ends; `rest`: the empty line and the body.
    """

    prefix: bytes
    fields: tuple[bytes, ...]
    rest: bytes
    newline: bytes

    @classmethod
    def split(cls, raw: bytes) -> "HeaderBlock":
        """Cut at the first empty line; the body is never split into lines (it may be huge)."""
        first_end = raw.find(b"\n")
        newline = b"\r\n" if first_end > 0 and raw[first_end - 1 : first_end] == b"\r" else b"\n"

        def line_at(pos: int) -> bytes:
            nl = raw.find(b"\n", pos)
            return raw[pos:] if nl < 0 else raw[pos : nl + 1]

        pos = 0
        prefix = b""
        first = line_at(0)
        if first.startswith(b"From ") and not re.match(rb"From\s*:", first):
            prefix, pos = first, len(first)  # mbox From_ line (procmail)
        fields: list[bytes] = []
        while pos < len(raw):
            line = line_at(pos)
            if line in (b"\r\n", b"\n"):
                break
            if line[:1] in (b" ", b"\t") and fields:
                fields[-1] += line
            elif b":" in line or not fields:
                fields.append(line)
            else:
                break  # not a header line: the body starts here (no empty line)
            pos += len(line)
        if fields and not fields[-1].endswith(b"\n"):
            fields[-1] += newline  # header-only message without final line end
        return cls(prefix, tuple(fields), raw[pos:], newline)

    def join(self, new_fields: list[bytes]) -> bytes:
        return self.prefix + b"".join(new_fields) + b"".join(self.fields) + self.rest

    def values(self) -> list[tuple[str, str]]:
        """(lower-case name, unfolded value) of each field, decoded leniently."""
        out = []
        for f in self.fields:
            name, _, value = f.partition(b":")
            text = value.decode("utf-8", "replace")
            out.append((name.decode("ascii", "replace").strip().lower(), " ".join(text.split())))
        return out


def _strip_comments(value: str) -> str:
    out, depth, escaped = [], 0, False
    for ch in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
        elif ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def authserv_id_of(value: str) -> str:
    """The authserv-id of an Authentication-Results value (RFC 8601 §2.2), lower-case."""
    head = _strip_comments(value).split(";", 1)[0].split()
    return head[0].strip('"').lower() if head else ""


def strip_forged(block: HeaderBlock, authserv_id: str) -> tuple[HeaderBlock, int]:
    """Drop our X- headers and A-R claiming our authserv-id; returns the block and how many went."""
    ours = authserv_id.lower()
    kept = []
    for field, (name, value) in zip(block.fields, block.values()):
        if name in OUR_X_HEADERS:
            continue
        if name == "authentication-results" and authserv_id_of(value) == ours:
            continue
        kept.append(field)
    removed = len(block.fields) - len(kept)
    return HeaderBlock(block.prefix, tuple(kept), block.rest, block.newline), removed


_NON_PRINTABLE = re.compile(r"[^\x20-\x7e]")


def fold(name: str, value: str, newline: bytes, width: int = 78) -> bytes:
    """One ASCII header field, folded at `; ` or spaces to stay within `width` columns."""
    value = _NON_PRINTABLE.sub("?", " ".join(value.split()))
    words = re.split(r"(?<=;) |(?<=,) (?=\S)| ", value)
    lines: list[str] = []
    current = "%s:" % name
    for word in words:
        if not word:
            continue
        if len(current) + 1 + len(word) > width and current.strip() not in ("%s:" % name,):
            lines.append(current)
            current = "\t" + word
        else:
            current += " " + word
    lines.append(current)
    return newline.join(line.encode("ascii") for line in lines) + newline


# ----------------------------------------------------------------------------- pipeline


@dataclass(frozen=True)
class Annotation:
    """What the pipeline decided, besides the bytes (for the SMTP door, audit and bench)."""

    output: bytes = field(repr=False)  # never in a repr: asyncio formats task results
    authentication_results: str
    sender: SenderVerdict
    category: str
    score: float
    stripped: int
    parsed: Any = field(default=None, repr=False)  # proxy.message.ParsedMessage, None if unreadable
    comment: str = ""  # why the body could not be read or classified, "" when it was


async def annotate(
    raw: bytes,
    *,
    client_ip: str | None,
    helo: str | None,
    mail_from: str | None,
    resolver: Resolver,
    authserv_id: str,
    store: Any = None,
    now: datetime | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
    region_lookup: Callable[[str], str | None] | None = None,
) -> bytes:
    """Annotate one message (see the module docstring); returns the new bytes."""
    result = await annotate_message(
        raw,
        client_ip=client_ip,
        helo=helo,
        mail_from=mail_from,
        resolver=resolver,
        authserv_id=authserv_id,
        store=store,
        now=now,
        budget_s=budget_s,
        region_lookup=region_lookup,
    )
    return result.output


async def annotate_message(
    raw: bytes,
    *,
    client_ip: str | None,
    helo: str | None,
    mail_from: str | None,
    resolver: Resolver,
    authserv_id: str,
    store: Any = None,
    now: datetime | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
    region_lookup: Callable[[str], str | None] | None = None,
) -> Annotation:
    """`annotate`, also returning the verdicts."""
    from proxy.inbound import authenticity  # imported here: an import error fails one message, not the door

    block = HeaderBlock.split(raw)
    clean, removed = strip_forged(block, authserv_id)
    if _is_heavy(raw):
        reading = await asyncio.to_thread(_read_body, raw, clean)
    else:
        reading = _read_body(raw, clean)
    parsed = reading.parsed
    view = _sender_view(parsed, clean.values())
    client_ip = client_ip or ""
    helo = helo or ""
    mail_from = mail_from or ""

    async def auth_and_sender() -> tuple[Any, SenderVerdict]:
        with resolver.budget(budget_s):
            results, paths = await asyncio.gather(
                authenticity.authenticate(
                    raw, client_ip=client_ip, helo=helo, mail_from=mail_from, resolver=resolver, budget_s=budget_s
                ),
                anonymity.probe_paths(view, resolver),
            )
            sender = await anonymity.assess(
                view,
                auth_facts(results, mail_from=mail_from, helo=helo),
                resolver,
                mail_from=mail_from,
                helo=helo,
                client_ip=client_ip,
                region_lookup=region_lookup,
                paths=paths,
            )
            return results, sender

    try:
        results, sender = await asyncio.wait_for(auth_and_sender(), budget_s + GRACE_S)
        ar_value = authenticity.render_authentication_results(results, authserv_id)
    except asyncio.TimeoutError:
        log.warning("DNS checks exceeded %.1fs; reporting temperror", budget_s + GRACE_S)
        ar_value = "%s; dkim=temperror; spf=temperror; dmarc=temperror" % authserv_id
        sender = _offline_verdict(view)
    ar_value = _value_only(ar_value, "Authentication-Results")
    category, score = reading.category, reading.score
    category_value = "%s; score=%.2f" % (category, score)
    if reading.comment:
        category_value += " (%s)" % reading.comment

    nl = clean.newline
    ours = [
        fold("Authentication-Results", ar_value, nl),
        fold("X-Sender-Anonymity", sender.anonymity_value(), nl),
        fold("X-Sender-Class", sender.sender_class, nl),
        fold("X-Support-Category", category_value, nl),
    ]
    output = clean.join(ours)
    result = Annotation(output, ar_value, sender, category, score, removed, parsed, reading.comment)
    if store is not None:
        await remember(store, result, now)
    return result


async def remember(store: Any, annotation: Annotation, now: datetime | None = None) -> None:
    """Keep the annotated original for reply matching (raises what the store raises).

    Off the event loop: SQLite blocks, and one slow disk must not stall every SMTP session.
    The doors call this themselves after annotating, so that a broken store costs the
    memory of one mail, not the annotation of it (see proxy/commands/annotate.py).
    """
    if annotation.parsed is None:
        return  # nothing readable to match a reply against (no Message-ID known)
    received_at = now or datetime.now(timezone.utc)
    await asyncio.get_running_loop().run_in_executor(
        None,
        lambda: store.add_original(annotation.output, annotation.parsed, category=annotation.category,
                                   received_at=received_at),
    )


@dataclass(frozen=True)
class _Reading:
    """What the CPU-heavy half of the pipeline found in the message."""

    parsed: Any  # ParsedMessage, or None when not even the header block could be parsed
    category: str
    score: float
    comment: str = ""


def _is_heavy(raw: bytes) -> bool:
    """Big or deeply nested: worth a worker thread (see _HEAVY_BYTES). Linear, C-speed."""
    return len(raw) > _HEAVY_BYTES or raw.count(b"oundary=") > _HEAVY_BOUNDARIES


def _read_body(raw: bytes, clean: HeaderBlock) -> _Reading:
    """Parse and classify. A mail the parser cannot read is annotated `other`, not failed.

    Why any Exception from `parse` counts as a property of the mail: `parse` is documented
    never to raise on bad mail, so when it does, this mail is what makes it (RecursionError
    on deep MIME nesting is the known case) and a retry would fail the same way. MemoryError
    is the exception: it may well be temporary, so it propagates (exit 75 / 451).
    Import errors and classifier failures on a readable body also propagate: they are ours.
    """
    from proxy.inbound.classify import classify
    from proxy.message import parse

    try:
        parsed = parse(raw)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - see the docstring
        why = "MIME nesting too deep" if isinstance(exc, RecursionError) else "unparsable (%s)" % type(exc).__name__
        log.warning("body not read: %s; category other", why)  # never the message or str(exc)
        return _Reading(_parse_header_block(clean, parse), "other", UNREADABLE_SCORE, "body not read: " + why)
    try:
        classification = classify(_head_of(parsed))
    except RecursionError:
        log.warning("body not classified: structure too deep; category other")
        return _Reading(parsed, "other", UNREADABLE_SCORE, "body not classified: too deep")
    score = max(0.0, min(1.0, float(classification.score)))
    return _Reading(parsed, str(classification.category), score)


def _parse_header_block(clean: HeaderBlock, parse: Callable[[bytes], Any]) -> Any:
    """The header fields alone (From, Reply-To, Message-ID, Subject), or None."""
    try:
        return parse(b"".join(clean.fields) + clean.newline)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - headers without a body cannot nest; still, never fail here
        log.warning("header block not parsable either")
        return None


def _offline_verdict(view: SenderView) -> SenderVerdict:
    """What can be said without DNS: the curated class of the From domain, nothing proven."""
    domain = view.from_addr.rsplit("@", 1)[1] if view.from_addr and "@" in view.from_addr else ""
    cls = anonymity.default_lists().list_class(domain) if domain else None
    if cls == "disposable":
        return SenderVerdict("anonymous", ("disposable", "dns-temperror"), cls)
    reasons = ("dns-temperror",) + ((cls,) if cls in ("freemail", "mobile") else ())
    return SenderVerdict("pseudonymous", reasons, cls or "unknown")


def _head_of(parsed: Any) -> Any:
    """The parsed mail with its own text cut to CLASSIFY_CHARS (see there), for the classifier."""
    own = parsed.own_text
    if len(own) <= CLASSIFY_CHARS:
        return parsed
    signature = parsed.signature
    keep_signature = bool(signature) and len(signature) < CLASSIFY_CHARS // 2
    head = own[: CLASSIFY_CHARS - (len(signature) if keep_signature else 0)]
    if keep_signature:
        head += signature  # still recognised (and dropped) by the classifier
    return dataclasses.replace(parsed, own_text=head, signature=signature if keep_signature else None)


def _sender_view(parsed: Any, headers: list[tuple[str, str]]) -> SenderView:
    """From/Reply-To as the shared parser decoded them (parsed once), trace headers from ours."""
    if parsed is None:
        return SenderView.from_headers(headers)
    base = SenderView.from_headers([(n, v) for n, v in headers if n not in ("from", "reply-to")])
    from_addr = parsed.from_.addr if parsed.from_ and "@" in parsed.from_.addr else None
    reply_to = tuple(a.addr for a in parsed.reply_to if "@" in a.addr)
    return SenderView(from_addr, reply_to, base.received, base.originating_ip, base.user_agent)


def _value_only(text: str, name: str) -> str:
    """Accept a rendered header either as its value or as a whole `Name: value` line."""
    text = " ".join(text.split())
    if text.lower().startswith(name.lower() + ":"):
        text = text[len(name) + 1 :].strip()
    return text


def auth_facts(results: Any, *, mail_from: str, helo: str) -> AuthFacts:
    """Adapt the authenticity results to what anonymity needs (result words and domains)."""

    def word(obj: Any) -> str:
        if obj is None:
            return "none"
        value = getattr(obj, "result", obj)
        return str(getattr(value, "value", value)).lower()

    def domain(obj: Any, *names: str) -> str:
        for n in names:
            v = getattr(obj, n, None)
            if v:
                return str(v).lower().rstrip(".")
        return ""

    dkim = tuple(
        (word(sig), domain(sig, "domain", "d", "header_d", "sdid")) for sig in (getattr(results, "dkim", None) or ())
    )
    spf = getattr(results, "spf", None)
    spf_domain = domain(spf, "domain", "mailfrom_domain", "smtp_mailfrom") if spf is not None else ""
    if "@" in spf_domain:
        spf_domain = spf_domain.rsplit("@", 1)[1]
    if not spf_domain:
        spf_domain = mail_from.rsplit("@", 1)[1].lower() if "@" in mail_from else helo.lower()
    return AuthFacts(dkim=dkim, spf=word(spf), spf_domain=spf_domain, dmarc=word(getattr(results, "dmarc", None)))
