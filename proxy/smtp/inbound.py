"""The incoming door: an SMTP (or LMTP) listener that annotates and forwards before-queue.

Why before-queue and mirrored: replyguard has no queue of its own and must never lose a
customer's mail. Each MAIL and RCPT is mirrored to the next hop (Postfix, Dovecot's LMTP
via Postfix, …) as it arrives, so the next hop's own verdict on every recipient reaches the
sending MTA; at DATA the message is annotated (client IP, HELO and MAIL FROM come from this
session) and handed on, and the sender gets `250` only once the next hop said `250`. A
next hop that is down or slow gives `451`, and so does any failure of the annotation
itself — forwarding an unannotated copy would let forged trust headers through.

The annotation runs with a per-message DNS budget (see proxy/inbound/annotate.py), so a
slow zone costs a few seconds, not the SMTP session.

Every DATA outcome (delivered, refused by the next hop, tempfail) is one record in the
compliance log when an auditor is given, with the verdicts we wrote into the headers. The
record is written after the next hop answered: the mail is already delivered then, so a
log that cannot be written is reported in the server log, not turned into a 4xx that
would make the sender deliver it twice.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import signal
import socket
from datetime import datetime, timezone
from typing import Any, Callable

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from proxy.config import TimeoutsConfig, UpstreamConfig, split_hostport
from proxy.decision import Auditor, EnvelopeInfo
from proxy.inbound.annotate import DEFAULT_BUDGET_S, Annotation, annotate_message
from proxy.inbound.dns import Resolver
from proxy.smtp import replies
from proxy.smtp.upstream import UpstreamSession, UpstreamUnavailable

log = logging.getLogger("replyguard.inbound")


class Annotator:
    """The pipeline with its long-lived parts (resolver, store, authserv-id) bound once."""

    def __init__(
        self,
        *,
        resolver: Resolver,
        authserv_id: str,
        store: Any = None,
        budget_s: float = DEFAULT_BUDGET_S,
        region_lookup: Callable[[str], str | None] | None = None,
    ) -> None:
        self.resolver = resolver
        self.authserv_id = authserv_id
        self.store = store
        self.budget_s = budget_s
        self.region_lookup = region_lookup

    async def __call__(self, raw: bytes, *, client_ip: str, helo: str, mail_from: str) -> Annotation:
        return await annotate_message(
            raw,
            client_ip=client_ip,
            helo=helo,
            mail_from=mail_from,
            resolver=self.resolver,
            authserv_id=self.authserv_id,
            store=self.store,
            now=datetime.now(timezone.utc),
            budget_s=self.budget_s,
            region_lookup=self.region_lookup,
        )


class _NextHopMixin:
    """Per-connection state: the next-hop session, closed when the client goes away."""

    next_hop: UpstreamSession | None = None

    def connection_lost(self, error: Exception | None) -> None:
        hop, self.next_hop = self.next_hop, None
        if hop is not None:
            # QUIT at the next hop aborts a half-done transaction there: nothing half-delivered.
            asyncio.get_running_loop().create_task(hop.close())
        super().connection_lost(error)  # type: ignore[misc]


class InboundSMTP(_NextHopMixin, SMTP):
    """SMTP towards the sending MTA."""


class InboundLMTP(_NextHopMixin, LMTP):
    """LMTP towards the local MTA (one DATA reply per recipient)."""


class InboundHandler:
    """aiosmtpd hooks of the inbound door (one instance shared by all connections)."""

    def __init__(
        self,
        annotator: Callable[..., Any],
        next_hop: UpstreamConfig,
        timeouts: TimeoutsConfig,
        *,
        lmtp: bool = False,
        hostname: str | None = None,
        auditor: Auditor | None = None,
    ) -> None:
        self.annotator = annotator
        self.next_hop_cfg = next_hop
        self.timeouts = timeouts
        self.lmtp = lmtp
        self.hostname = hostname
        self.auditor = auditor
        self._audit_pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="replyguard-inbound-audit")

    def close(self) -> None:
        self._audit_pool.shutdown(wait=True)

    async def _audit(self, session: Session, envelope: Envelope, outcome: str, reply: str,
                     annotation: Annotation | None) -> None:
        """One compliance record per DATA outcome (in arrival order, off the event loop)."""
        if self.auditor is None:
            return
        peer = session.peer
        info = EnvelopeInfo(
            door="inbound",
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            client_ip=peer[0] if isinstance(peer, tuple) and peer else "",
            helo=session.host_name or "",
        )
        detail = None
        if annotation is not None:
            detail = {
                "anonymity": annotation.sender.anonymity_value(),
                "sender_class": annotation.sender.sender_class,
                "category": "%s; score=%.2f" % (annotation.category, annotation.score),
                "authentication_results": annotation.authentication_results,
            }
        auditor = self.auditor
        try:
            await asyncio.get_running_loop().run_in_executor(
                self._audit_pool,
                lambda: auditor.record(envelope=info, outcome=outcome, reply=reply,
                                       message=annotation.parsed if annotation else None, detail=detail),
            )
        except Exception:  # delivered already; a second delivery would be worse than a gap
            log.exception("inbound: could not write the audit record (%s)", outcome)

    def _hop(self, server: Any) -> UpstreamSession:
        if server.next_hop is None:
            server.next_hop = UpstreamSession(self.next_hop_cfg, self.timeouts, local_hostname=self.hostname)
        return server.next_hop

    async def handle_MAIL(self, server: Any, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        hop = self._hop(server)
        utf8 = "SMTPUTF8" in mail_options
        if hop.in_transaction:
            await hop.rset()
        try:
            if not hop.connected:
                refused = await hop.connect()
                if refused is not None:
                    return replies.from_upstream(refused.code, refused.message, utf8=utf8)
            options = _hop_options(hop, mail_options)
            if isinstance(options, replies.Reply):
                return str(options)
            answer = await hop.mail(address, options, utf8=utf8)
        except UpstreamUnavailable as exc:
            return str(exc.reply)
        if answer.ok:
            envelope.mail_from, envelope.mail_options = address, list(mail_options)
        return replies.from_upstream(answer.code, answer.message, utf8=utf8)

    async def handle_RCPT(self, server: Any, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        hop = self._hop(server)
        try:
            answer = await hop.rcpt(address, rcpt_options, utf8=bool(envelope.smtp_utf8))
        except UpstreamUnavailable as exc:
            envelope.mail_from, envelope.rcpt_tos = None, []
            return str(exc.reply)
        if answer.ok:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        return replies.from_upstream(answer.code, answer.message, utf8=bool(envelope.smtp_utf8))

    async def handle_RSET(self, server: Any, session: Session, envelope: Envelope) -> str:
        if server.next_hop is not None:
            await server.next_hop.rset()
        return str(replies.OK)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        hop = self._hop(server)
        raw = envelope.original_content or b""
        peer = session.peer
        client_ip = peer[0] if isinstance(peer, tuple) and peer else ""
        try:
            annotation = await self.annotator(
                raw, client_ip=client_ip, helo=session.host_name or "", mail_from=envelope.mail_from or ""
            )
        except Exception:  # the pipeline failed: nothing goes on unannotated, the sender retries
            log.exception("annotation failed; answering 451")
            await hop.rset()
            reply = str(replies.INTERNAL_ERROR)
            await self._audit(session, envelope, "tempfail", reply, None)
            return self._per_rcpt(envelope, reply)
        try:
            answer = await hop.data(annotation.output)
        except UpstreamUnavailable as exc:
            await self._audit(session, envelope, "tempfail", str(exc.reply), annotation)
            return self._per_rcpt(envelope, str(exc.reply))
        reply = replies.from_upstream(answer.code, answer.message, utf8=bool(envelope.smtp_utf8))
        outcome = "delivered" if answer.ok else ("tempfail" if 400 <= answer.code < 500 else "refused")
        await self._audit(session, envelope, outcome, reply, annotation)
        return self._per_rcpt(envelope, reply)

    def _per_rcpt(self, envelope: Envelope, reply: str) -> str:
        """LMTP answers DATA once per accepted recipient (RFC 2033 §4.2); SMTP once."""
        if not self.lmtp:
            return reply
        return "\r\n".join([reply] * max(1, len(envelope.rcpt_tos)))

    async def handle_exception(self, error: Exception) -> str:
        log.error("inbound session error: %r", error)
        return str(replies.INTERNAL_ERROR)


def _hop_options(hop: UpstreamSession, options: list[str]) -> list[str] | replies.Reply:
    """BODY and SMTPUTF8 are passed on when the next hop speaks them; SIZE is dropped
    (our headers make the message bigger than the sender announced)."""
    out = []
    for opt in options:
        name = opt.partition("=")[0].upper()
        if name == "SIZE":
            continue
        if name == "BODY":
            if hop.supports("8bitmime"):
                out.append(opt)
            elif opt.upper() == "BODY=8BITMIME":
                return replies.EIGHTBIT_NOT_SUPPORTED_UPSTREAM
        elif name == "SMTPUTF8":
            if not hop.supports("smtputf8"):
                return replies.UTF8_NOT_SUPPORTED_UPSTREAM
            out.append(opt)
    return out


class InboundServer:
    """One listener; `start` binds it (port 0 → a free one) and returns the address."""

    def __init__(
        self,
        listen: str,
        handler: InboundHandler,
        *,
        lmtp: bool = False,
        hostname: str | None = None,
        data_size_limit: int = 50 * 1024 * 1024,
        idle_timeout: float = 300.0,
    ) -> None:
        self.host, self.port = split_hostport(listen)
        self.handler = handler
        self.lmtp = lmtp
        self.hostname = hostname or socket.gethostname()
        self.data_size_limit = data_size_limit
        self.idle_timeout = idle_timeout
        self.server: asyncio.base_events.Server | None = None

    def _make(self) -> SMTP:
        cls = InboundLMTP if self.lmtp else InboundSMTP
        return cls(
            self.handler,
            data_size_limit=self.data_size_limit,
            enable_SMTPUTF8=True,
            hostname=self.hostname,
            ident="replyguard inbound",
            timeout=self.idle_timeout,
            loop=asyncio.get_running_loop(),
        )

    async def start(self) -> tuple[str, int]:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(self._make, self.host, self.port)
        return self.server.sockets[0].getsockname()[:2]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def serve_forever(
    listen: str,
    *,
    lmtp: bool,
    next_hop: UpstreamConfig,
    timeouts: TimeoutsConfig,
    annotator: Callable[..., Any],
    auditor: Auditor | None = None,
) -> None:
    """`replyguard inbound`: run until cancelled (Ctrl-C / SIGTERM)."""
    handler = InboundHandler(annotator, next_hop, timeouts, lmtp=lmtp, auditor=auditor)
    server = InboundServer(listen, handler, lmtp=lmtp)
    host, port = await server.start()
    log.info("inbound %s listening on %s:%d, next hop %s:%d", "LMTP" if lmtp else "SMTP", host, port,
             next_hop.host, next_hop.port)
    print("replyguard inbound: listening on %s:%d" % (host, port), flush=True)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
        handler.close()
