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
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import socket
from dataclasses import dataclass
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

    output: bytes
    authentication_results: str
    sender: SenderVerdict
    category: str
    score: float
    stripped: int
    parsed: Any = None  # proxy.message.ParsedMessage of the incoming mail


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
    from proxy.inbound.classify import classify
    from proxy.message import parse

    block = HeaderBlock.split(raw)
    clean, removed = strip_forged(block, authserv_id)
    parsed = parse(raw)
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

    classification = classify(_head_of(parsed))
    category = str(classification.category)
    score = max(0.0, min(1.0, float(classification.score)))

    nl = clean.newline
    ours = [
        fold("Authentication-Results", ar_value, nl),
        fold("X-Sender-Anonymity", sender.anonymity_value(), nl),
        fold("X-Sender-Class", sender.sender_class, nl),
        fold("X-Support-Category", "%s; score=%.2f" % (category, score), nl),
    ]
    output = clean.join(ours)
    result = Annotation(output, ar_value, sender, category, score, removed, parsed)
    if store is not None:
        await remember(store, result, now)
    return result


async def remember(store: Any, annotation: Annotation, now: datetime | None = None) -> None:
    """Keep the annotated original for reply matching (raises what the store raises).

    Off the event loop: SQLite blocks, and one slow disk must not stall every SMTP session.
    The doors call this themselves after annotating, so that a broken store costs the
    memory of one mail, not the annotation of it (see proxy/commands/annotate.py).
    """
    received_at = now or datetime.now(timezone.utc)
    await asyncio.get_running_loop().run_in_executor(
        None,
        lambda: store.add_original(annotation.output, annotation.parsed, category=annotation.category,
                                   received_at=received_at),
    )


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
