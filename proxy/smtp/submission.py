"""The outgoing door: a before-queue SMTP submission proxy in front of the real server.

Why before-queue: the agent's client must learn *in the SMTP dialogue* that a reply broke
a policy (so it stays in the outbox with an error the agent can read) and must never be
told "sent" for mail that was not. So each client session gets one upstream session;
MAIL and RCPT are mirrored and the upstream's answers passed back; the message is read,
parsed once, decided on, and then relayed, held or refused — and the client gets 250 only
after the upstream said 250 (or the hold queue has it on disk).

Pieces:
* `SubmissionProtocol` — aiosmtpd's SMTP with a block-wise DATA reader (aiosmtpd's own
  reads line by line; shared with the inbound door: proxy/smtp/data_reader.py), connection
  limits, idle/shutdown handling, and an exception hook that knows its session.
* `SubmissionHandler` — the aiosmtpd hooks and the three outcomes `relay`, `hold`,
  `refuse`, each ending in exactly one audit call.
* `Gateway` — listeners, TLS, and graceful shutdown.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import MISSING, SMTP, Envelope, Session

from proxy.config import GatewayConfig, ListenerConfig
from proxy.decision import Auditor, Decider, EnvelopeInfo, Holder
from proxy.message import ParsedMessage, parse
from proxy.outbox import Outbox
from proxy.policy.verdict import ACCEPT_ALL, Action, Verdict
from proxy.smtp import replies
from proxy.smtp.accounts import UsersFile
from proxy.smtp.data_reader import BlockDataReader
from proxy.smtp.upstream import Answer, Credentials, UpstreamSession, UpstreamUnavailable

log = logging.getLogger("replyguard.submission")


def accept_all(envelope: EnvelopeInfo, message: ParsedMessage) -> Verdict:
    """The decider used until the policy engine is wired in: everything is accepted."""
    return ACCEPT_ALL


class SubmissionProtocol(BlockDataReader, SMTP):
    """One client connection. Holds that connection's upstream session and state.

    DATA is read by `BlockDataReader._read_data` (proxy/smtp/data_reader.py): in blocks,
    with the total time limit `limits.timeouts.client_data`.
    """

    def __init__(self, handler: "SubmissionHandler", listener: ListenerConfig, gateway: "Gateway | None", **kw: Any):
        super().__init__(handler, **kw)
        self.listener = listener
        self.gateway = gateway
        self.upstream: UpstreamSession | None = None
        self.auth_user: str | None = None
        self.busy = False  # between MAIL and the end of the transaction
        self.data_wire: bytes | None = None  # the current message exactly as received (see _read_data)
        self.data_timeout: float | None = None  # seconds the whole DATA transfer may take (limits.timeouts.client_data)
        self.data_timed_out = False
        self.after_reply: list[Callable[[], Awaitable[None]]] = []  # work that must wait for the reply (notices)

    # --- connection lifecycle -----------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self.transport is None
        super().connection_made(transport)
        if first and self.gateway is not None:
            self.gateway.connections.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        if self.gateway is not None:
            self.gateway.connections.discard(self)
        up, self.upstream = self.upstream, None
        if up is not None:
            # QUIT upstream aborts any half-done transaction there: nothing half-delivered.
            task = self.loop.create_task(up.close())
            if self.gateway is not None:
                self.gateway.background.add(task)
                task.add_done_callback(self.gateway.background.discard)
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        gw = self.gateway
        if gw is not None and (gw.draining or len(gw.connections) > gw.config.limits.max_connections):
            reply = replies.SHUTTING_DOWN if gw.draining else replies.TOO_MANY_CONNECTIONS
            await self.push(str(reply))
            assert self.transport is not None
            self.transport.close()
            return
        await super()._handle_client()

    async def handle_exception(self, error: Exception) -> str:
        return await self.event_handler.on_exception(self, error)

    async def close_if_draining(self) -> None:
        """After a transaction ends during shutdown: say 421 and hang up."""
        if self.gateway is not None and self.gateway.draining and not self.busy and self.transport is not None:
            await self.push(str(replies.SHUTTING_DOWN))
            self.transport.close()

    async def smtp_AUTH(self, arg: str) -> None:
        # Our own wording for the most common AUTH mistake (aiosmtpd's says nothing of STARTTLS).
        assert self.session is not None
        if self.session.host_name and self.session.extended_smtp and self._auth_require_tls \
                and not self._tls_protocol:
            await self.push(str(replies.AUTH_TLS_REQUIRED))
            return
        await super().smtp_AUTH(arg)

    # --- commands that end transactions -------------------------------------------

    async def smtp_RSET(self, arg: str) -> None:
        await super().smtp_RSET(arg)
        await self.close_if_draining()

    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push(str(replies.NEED_RCPT))
            return
        if arg:
            await self.push(str(replies.DATA_SYNTAX))
            return
        await self.push(str(replies.START_DATA))
        content, problem, _size = await self._read_data()
        if problem is not None or content is None:
            handler: SubmissionHandler = self.event_handler
            await handler.abort_upstream(self)
            self.busy = False
            self._set_post_data_state()
            await self.push(str(problem))
            if self.data_timed_out and self.transport is not None:
                self.transport.close()
                return
            await self.close_if_draining()
            return
        self.envelope.content = content
        self.envelope.original_content = content
        self.after_reply = []
        try:
            status = await self._call_handler_hook("DATA")
        finally:
            self.data_wire = None
        self._set_post_data_state()
        self.busy = False
        jobs, self.after_reply = self.after_reply, []
        try:
            await self.push(str(replies.OK) if status is MISSING else status)
        finally:
            for job in jobs:  # only now: nothing it does can delay or change the answer
                self.spawn(job())
        await self.close_if_draining()

    def spawn(self, work: Awaitable[None]) -> None:
        """Run `work` in the background; `Gateway.stop` waits a little for it."""
        task = self.loop.create_task(work)  # type: ignore[arg-type]
        background = self.gateway.background if self.gateway is not None else _ORPHANS
        background.add(task)
        task.add_done_callback(background.discard)


_ORPHANS: set[asyncio.Task[None]] = set()
"""Background tasks of protocols without a Gateway (tests): kept referenced until done."""


def _settle(future: asyncio.Future[None], err: OSError | None) -> None:
    """Complete an audit flush wait on the loop (the waiter may have been cancelled)."""
    if not future.done():
        if err is None:
            future.set_result(None)
        else:
            future.set_exception(err)


@dataclass
class Outcome:
    """What happened to one message: the reply sent and the audit outcome name."""

    reply: str
    outcome: str
    detail: dict[str, str] = field(default_factory=dict)


class SubmissionHandler:
    """aiosmtpd hooks for the submission door (one instance shared by all connections).

    `decider` decides (default: accept everything until the policy engine is wired in);
    `holder` keeps held messages; `auditor` records one record per outcome. Blocking work
    (audit fsync, hold, maildir) runs on threads so one slow disk does not stall every
    session; hold gets a single thread (arrival order). The audit record is built and written
    to the page cache on the loop; its flush runs on the log's flusher thread, shared by
    every session waiting (group commit); an append that must wait for another writer runs
    on the audit pool.
    """

    def __init__(
        self,
        config: GatewayConfig,
        *,
        decider: Decider | None = None,
        holder: Holder | None = None,
        auditor: Auditor | None = None,
        upstream_context: ssl.SSLContext | None = None,
        hostname: str | None = None,
        notifier: Any = None,
    ):
        self.config = config
        self.notifier = notifier  # proxy.notices.Notifier: "Not sent" / "Held" mails to the agent
        self.decider: Decider = decider or accept_all
        self.holder = holder
        self.auditor = auditor
        self.upstream_context = upstream_context
        self.hostname = hostname
        self.outbox = Outbox(Path(config.state_dir) / "outbox") if config.upstream is None else None
        up = config.upstream
        self.account: Credentials | None = None
        self.users: UsersFile | None = None
        if up is not None and up.auth == "account":
            password = Path(up.account.password_file).read_text(encoding="utf-8").strip()
            self.account = Credentials(up.account.user, password)
            self.users = UsersFile(up.account.users_file)
        # For appends write_nowait declines (another writer holds the log, a rotation) and for
        # auditors with only record(): several threads, so concurrent records still share one
        # flush (the log's group commit). Order in the log is the order of writing (seq).
        self._audit_pool = concurrent.futures.ThreadPoolExecutor(32, thread_name_prefix="replyguard-audit")
        self._hold_pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="replyguard-hold")

    def close(self) -> None:
        self._audit_pool.shutdown(wait=True)
        self._hold_pool.shutdown(wait=True)
        if self.notifier is not None:
            self.notifier.close()

    def _notice(self, server: SubmissionProtocol, kind: str, info: EnvelopeInfo, message: ParsedMessage,
                findings: list[Any], verdict: Verdict, hold_id: str | None = None) -> str | None:
        """Schedule the agent's notice mail for after the reply; None if one is scheduled, else why not.

        The decision (loop protection, rate limit) is taken now, on the loop, so a client's
        retry loop is throttled before any work is queued; building and delivery happen after
        the reply is on the wire. A failed notice is logged and audited `notice-failed`.
        """
        notifier = self.notifier
        if notifier is None:
            return "off"
        try:
            why = notifier.admit(kind, info, message, findings)
        except Exception:  # noqa: BLE001 - a notice never changes the answer
            log.exception("notice check failed")
            return "error"
        if why is not None:
            if why != "off":
                log.info("no %s notice to <%s>: %s", kind, info.mail_from, why)
            return why

        async def job() -> None:
            try:
                answer = await notifier.send(kind, info, message, findings, verdict, hold_id)
            except Exception as exc:  # noqa: BLE001
                answer = Answer(451, f"4.3.0 {type(exc).__name__}")
            reply = f"{answer.code} {answer.message}".strip()
            if answer.ok:
                log.info("%s notice to <%s> sent via %s: %s", kind, info.mail_from, notifier.description, reply[:200])
                return
            log.warning("%s notice to <%s> failed via %s: %s", kind, info.mail_from, notifier.description, reply[:200])
            detail = {"notice": kind, "via": notifier.description, "notice_reply": reply[:500]}
            if hold_id:
                detail["hold_id"] = str(hold_id)
            await self._audit(info, Outcome(reply, "notice-failed", detail), message)

        server.after_reply.append(job)
        return None

    # --- helpers ------------------------------------------------------------------

    def _upstream(self, server: SubmissionProtocol) -> UpstreamSession:
        assert self.config.upstream is not None
        if server.upstream is None:
            server.upstream = UpstreamSession(
                self.config.upstream, self.config.limits.timeouts,
                context=self.upstream_context, local_hostname=self.hostname,
            )
            if self.account is not None:
                server.upstream._credentials = self.account
        return server.upstream

    async def abort_upstream(self, server: SubmissionProtocol) -> None:
        if server.upstream is not None:
            await server.upstream.rset()

    def envelope_info(self, server: SubmissionProtocol, session: Session, envelope: Envelope) -> EnvelopeInfo:
        peer = session.peer
        return EnvelopeInfo(
            door="submission",
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            client_ip=peer[0] if isinstance(peer, tuple) else str(peer or ""),
            helo=session.host_name or "",
            auth_user=server.auth_user,
            smtputf8=bool(envelope.smtp_utf8),
            extra={"listener": server.listener.address, "tls": "yes" if session.ssl or server.listener.tls == "implicit" else "no"},
        )

    async def _audit(self, info: EnvelopeInfo, result: Outcome, message: ParsedMessage | None = None,
                     verdict: Verdict | None = None) -> None:
        # One log line per outcome (the audit record is the durable one; this is for operators).
        log.info("%s client=%s user=%s from=<%s> to=%s reply=%r", result.outcome, info.client_ip,
                 info.auth_user or "-", info.mail_from, ",".join(info.rcpt_tos), result.reply.split("\r\n")[0][:200])
        if self.auditor is None:
            return
        loop = asyncio.get_running_loop()
        auditor = self.auditor
        try:
            write_nowait = getattr(auditor, "write_nowait", None)
            if write_nowait is None:  # an Auditor with only record(): all of it on a thread
                await loop.run_in_executor(self._audit_pool, lambda: auditor.record(
                    envelope=info, outcome=result.outcome, reply=result.reply,
                    message=message, verdict=verdict, detail=result.detail or None))
                return
            # The log's CPU work and its page-cache write() run here on the loop: tens of µs,
            # less than a hand-off to a thread and back. What can block runs on threads: the
            # disk flush on the log's flusher thread (every session waiting then shares one
            # flush: group commit, one wake-up per flush), and the whole append on the audit
            # pool when write_nowait declines (another writer, rotation, tail to re-read).
            body = auditor.build(envelope=info, outcome=result.outcome, reply=result.reply,
                                 message=message, verdict=verdict, detail=result.detail or None)
            written = write_nowait(body)
            if written is None:
                await loop.run_in_executor(self._audit_pool, auditor.append, body)
            elif auditor.needs_sync(written[1]):
                durable: asyncio.Future[None] = loop.create_future()

                def resolve(err: OSError | None) -> None:  # on the flusher thread
                    loop.call_soon_threadsafe(_settle, durable, err)

                auditor.sync_soon(written[1], resolve)
                await durable  # the client hears nothing before the record is durable
        except Exception:  # noqa: BLE001
            # The outcome already happened (the upstream may have the mail): answering 4xx
            # now would make the client send it twice. Keep the reply truthful, shout.
            log.critical("AUDIT RECORD FAILED for outcome %s from %s", result.outcome, info.client_ip, exc_info=True)

    # --- session hooks ------------------------------------------------------------

    async def handle_EHLO(self, server: SubmissionProtocol, session: Session, envelope: Envelope,
                          hostname: str, responses: list[str]) -> list[str]:
        session.host_name = hostname
        server.busy = False
        await self.abort_upstream(server)
        auth_mode = self.config.upstream.auth if self.config.upstream else "passthrough"
        out = [r for r in responses if not (auth_mode == "none" and r[4:].startswith("AUTH"))]
        out.insert(len(out) - 1, replies.EHLO_ENHANCED)
        return out

    async def handle_HELO(self, server: SubmissionProtocol, session: Session, envelope: Envelope,
                          hostname: str) -> str:
        """HELO resets the transaction like EHLO: drop the upstream's too (and the shutdown wait)."""
        session.host_name = hostname
        server.busy = False
        await self.abort_upstream(server)
        return replies.helo(server.hostname)

    async def handle_AUTH(self, server: SubmissionProtocol, session: Session, envelope: Envelope,
                          args: list[str]) -> str | None:
        """PLAIN / LOGIN: decode here, check upstream (passthrough) or locally (account).

        The password lives only in a `Credentials` object bound to this connection's
        upstream session (needed to log in again after an upstream reconnect).
        """
        up_cfg = self.config.upstream
        if up_cfg is not None and up_cfg.auth == "none":
            return str(replies.AUTH_DISABLED)
        mech = args[0].upper()
        if mech == "PLAIN":
            if len(args) == 1:
                blob = await server.challenge_auth("")
                if blob is MISSING:
                    return None
            else:
                try:
                    blob = base64.b64decode(args[1], validate=True)
                except (binascii.Error, ValueError):
                    return str(replies.AUTH_BAD_DATA)
            parts = bytes(blob).split(b"\x00")
            if len(parts) != 3:
                return str(replies.AUTH_BAD_DATA)
            user_b, password = parts[1], parts[2]
        elif mech == "LOGIN":
            if len(args) == 1:
                user_blob = await server.challenge_auth("Username:")
                if user_blob is MISSING:
                    return None
            else:
                try:
                    user_blob = base64.b64decode(args[1], validate=True)
                except (binascii.Error, ValueError):
                    return str(replies.AUTH_BAD_DATA)
            pw_blob = await server.challenge_auth("Password:")
            if pw_blob is MISSING:
                return None
            user_b, password = bytes(user_blob), bytes(pw_blob)
        else:
            return str(replies.AUTH_MECH)
        user = user_b.decode("utf-8", "replace")
        creds = Credentials(user, bytes(password), mech)  # bytes: any octets the client sent go upstream as is
        del password

        if up_cfg is None:
            ok, reply = True, str(replies.AUTH_OK)  # local maildir test mode: nothing to protect
        elif up_cfg.auth == "account":
            assert self.users is not None
            loop = asyncio.get_running_loop()
            ok = await loop.run_in_executor(None, self.users.check, user, creds.password)
            reply = str(replies.AUTH_OK if ok else replies.AUTH_FAILED)
        else:
            try:
                answer = await self._upstream(server).login(creds)
            except UpstreamUnavailable as exc:
                log.info("AUTH for %r: upstream unavailable", user)
                return str(replies.AUTH_UNAVAILABLE) if exc.reply.code != 454 else str(exc.reply)
            ok = answer.code == 235
            if ok:
                reply = str(replies.AUTH_OK)
            elif 400 <= answer.code < 500:
                reply = replies.from_upstream(answer.code, answer.message)
            else:
                reply = replies.render(replies.AUTH_FAILED.code, "", answer.message.split("\n")) \
                    if answer.code == 535 else str(replies.AUTH_FAILED)
        log.info("AUTH %s for %r: %s", mech, user, "ok" if ok else "refused")
        if ok:
            session.authenticated = True
            server.auth_user = user
        return reply

    async def handle_MAIL(self, server: SubmissionProtocol, session: Session, envelope: Envelope,
                          address: str, mail_options: list[str]) -> str:
        utf8 = "SMTPUTF8" in mail_options
        if self.config.upstream is None:
            envelope.mail_from, envelope.mail_options = address, list(mail_options)
            server.busy = True
            return str(replies.SENDER_OK)
        up = self._upstream(server)
        if up.in_transaction:
            await up.rset()
        try:
            if not up.connected:
                refused = await up.connect()
                if refused is not None:
                    return replies.from_upstream(refused.code, refused.message, utf8=utf8)
            options = self._upstream_options(up, mail_options)
            if isinstance(options, replies.Reply):
                return str(options)
            answer = await up.mail(address, options, utf8=utf8)
        except UpstreamUnavailable as exc:
            return str(exc.reply)
        if answer.ok:
            envelope.mail_from, envelope.mail_options = address, list(mail_options)
            server.busy = True
        return replies.from_upstream(answer.code, answer.message, utf8=utf8)

    @staticmethod
    def _upstream_options(up: UpstreamSession, options: list[str]) -> list[str] | replies.Reply:
        """Pass SIZE / BODY / SMTPUTF8 on when the upstream speaks them; refuse what it can't."""
        out = []
        for opt in options:
            name = opt.partition("=")[0]
            if name == "SIZE":
                if up.supports("size"):
                    out.append(opt)
            elif name == "BODY":
                if opt == "BODY=8BITMIME" and not up.supports("8bitmime"):
                    return replies.EIGHTBIT_NOT_SUPPORTED_UPSTREAM
                if up.supports("8bitmime"):
                    out.append(opt)
            elif name == "SMTPUTF8":
                if not up.supports("smtputf8"):
                    return replies.UTF8_NOT_SUPPORTED_UPSTREAM
                out.append(opt)
            else:
                out.append(opt)
        return out

    async def handle_RCPT(self, server: SubmissionProtocol, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if len(envelope.rcpt_tos) >= self.config.limits.max_recipients:
            return str(replies.TOO_MANY_RECIPIENTS)
        if self.config.upstream is None:
            envelope.rcpt_tos.append(address)
            return str(replies.RECIPIENT_OK)
        up = self._upstream(server)
        try:
            answer = await up.rcpt(address, rcpt_options, utf8=bool(envelope.smtp_utf8))
        except UpstreamUnavailable as exc:
            # The upstream transaction is gone; so is ours (the client must start over).
            envelope.mail_from, envelope.rcpt_tos = None, []
            server.busy = False
            return str(exc.reply)
        if answer.ok:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        return replies.from_upstream(answer.code, answer.message, utf8=bool(envelope.smtp_utf8))

    async def handle_RSET(self, server: SubmissionProtocol, session: Session, envelope: Envelope) -> str:
        server.busy = False
        await self.abort_upstream(server)
        return str(replies.OK)

    async def on_exception(self, server: SubmissionProtocol, error: Exception) -> str:
        """Any unexpected error: log it, abort upstream, audit, answer 451 (the client retries)."""
        log.error("session %r: unexpected %s", server.session.peer if server.session else None,
                  type(error).__name__, exc_info=error)
        try:
            await self.abort_upstream(server)
        except Exception:  # noqa: BLE001 - best effort on an already failing path
            log.exception("RSET upstream after error failed")
        server.busy = False
        reply = str(replies.INTERNAL_ERROR)
        if server.session is not None and server.envelope is not None and server.envelope.mail_from:
            info = self.envelope_info(server, server.session, server.envelope)
            await self._audit(info, Outcome(reply, "tempfail", {"error": type(error).__name__}))
        return reply

    async def handle_exception(self, error: Exception) -> str:  # aiosmtpd's name, for other protocols
        log.error("unexpected %s", type(error).__name__, exc_info=error)
        return str(replies.INTERNAL_ERROR)

    # --- the message --------------------------------------------------------------

    async def handle_DATA(self, server: SubmissionProtocol, session: Session, envelope: Envelope) -> str:
        info = self.envelope_info(server, session, envelope)
        content: bytes = envelope.original_content or b""
        if not content.isascii() and "BODY=8BITMIME" not in envelope.mail_options and not envelope.smtp_utf8 \
                and self._refuse_undeclared_8bit(server):
            return await self.refuse_malformed(server, info, replies.EIGHTBIT_UNDECLARED, "8bit-undeclared")
        try:
            message = parse(content)
        except Exception as exc:  # noqa: BLE001 - any parser failure is the message's fault
            log.warning("unparsable message from %s: %s", info.client_ip, type(exc).__name__)
            return await self.refuse_malformed(server, info, replies.unparsable(exc), "unparsable")
        ready = getattr(self.auditor, "ready", None)
        if ready is not None and not ready():  # disk full: 4xx before acting, so no act goes unlogged
            await self.abort_upstream(server)
            return str(replies.AUDIT_UNAVAILABLE)
        command = getattr(self.holder, "mail_command", None)  # the agent's "CANCEL <id>" mail
        if command is not None:
            handled = await asyncio.get_running_loop().run_in_executor(self._hold_pool, command, info, message)
            if handled is not None:
                await self.abort_upstream(server)
                ok, text = handled
                result = Outcome(str(replies.fmt(replies.CANCEL_DONE if ok else replies.CANCEL_FAILED, text=text)),
                                 "command", {"command": "cancel", "ok": "yes" if ok else "no"})
                await self._audit(info, result, message)
                return result.reply
        try:
            verdict = self.decider(info, message)
        except Exception as exc:  # noqa: BLE001 - engine bug: tempfail, never lose or pass the mail
            log.exception("decider failed")
            await self.abort_upstream(server)
            result = Outcome(str(replies.POLICY_ERROR), "tempfail", {"error": type(exc).__name__})
            await self._audit(info, result, message)
            return result.reply
        if verdict.action >= Action.REJECT:
            return await self.refuse(server, info, message, verdict)
        if verdict.action == Action.HOLD or (verdict.delay_seconds > 0 and self.holder is not None):
            return await self.hold(server, info, message, verdict)  # a delay-send waits in the hold queue
        return await self.relay(server, info, message, verdict)

    def _refuse_undeclared_8bit(self, server: SubmissionProtocol) -> bool:
        mode = self.config.limits.undeclared_8bit
        if mode != "auto":
            return mode == "reject"
        if self.config.upstream is None:
            return False
        return not (server.upstream is not None and server.upstream.supports("8bitmime"))

    async def relay(self, server: SubmissionProtocol, info: EnvelopeInfo, message: ParsedMessage,
                    verdict: Verdict) -> str:
        """ACCEPT / WARN: deliver, and answer with the upstream's own final reply."""
        outcome = "warned" if verdict.action == Action.WARN else "accepted"
        if self.outbox is not None:
            loop = asyncio.get_running_loop()
            path = await loop.run_in_executor(None, self.outbox.deliver, message.raw, info.mail_from, info.rcpt_tos)
            result = Outcome(str(replies.fmt(replies.DELIVERED_LOCAL, path=path)), outcome, {"path": str(path)})
        else:
            up = self._upstream(server)
            try:
                answer = await up.data(message.raw, wire=server.data_wire)
            except UpstreamUnavailable as exc:
                result = Outcome(str(exc.reply), "tempfail", {"upstream": "unavailable"})
            else:
                result = self._data_outcome(answer, outcome, info.smtputf8)
                if not answer.ok:
                    await up.rset()
        await self._audit(info, result, message, verdict)
        return result.reply

    @staticmethod
    def _data_outcome(answer: Answer, outcome: str, utf8: bool) -> Outcome:
        reply = replies.from_upstream(answer.code, answer.message, utf8=utf8)
        detail = {"upstream_reply": reply}
        if answer.ok:
            return Outcome(reply, outcome, detail)
        return Outcome(reply, "tempfail" if answer.code < 500 else "upstream-refused", detail)

    async def hold(self, server: SubmissionProtocol, info: EnvelopeInfo, message: ParsedMessage,
                   verdict: Verdict) -> str:
        """HOLD: durably in the hold queue first, then 250; without a queue, 451 (nothing lost)."""
        await self.abort_upstream(server)
        rules = ", ".join(dict.fromkeys(f.rule for f in verdict.findings if f.action == Action.HOLD)) or "policy"
        if self.holder is None:
            result = Outcome(str(replies.fmt(replies.HOLD_UNAVAILABLE, rules=rules)), "tempfail",
                             {"reason": "hold without holder"})
        else:
            loop = asyncio.get_running_loop()
            try:
                hold_id = await loop.run_in_executor(self._hold_pool, self.holder.hold, message.raw, info, verdict)
            except Exception as exc:  # noqa: BLE001 - disk full etc.: tempfail, the client keeps the mail
                log.exception("hold failed")
                result = Outcome(str(replies.HOLD_FAILED), "tempfail", {"error": type(exc).__name__})
            else:
                if verdict.action < Action.HOLD:  # delay-send
                    delay = f"{int(verdict.delay_seconds // 60)} min" if verdict.delay_seconds >= 60 \
                        else f"{int(verdict.delay_seconds)} s"
                    result = Outcome(str(replies.fmt(replies.DELAYED, delay=delay, hold_id=hold_id)), "delayed",
                                     {"hold_id": str(hold_id), "delay_seconds": str(verdict.delay_seconds)})
                else:
                    result = Outcome(str(replies.fmt(replies.HELD, rules=rules, hold_id=hold_id)), "held",
                                     {"hold_id": str(hold_id)})
        await self._audit(info, result, message, verdict)
        if result.outcome == "held":
            self._notice(server, "held", info, message, list(verdict.findings), verdict, result.detail["hold_id"])
        return result.reply

    async def refuse(self, server: SubmissionProtocol, info: EnvelopeInfo, message: ParsedMessage,
                     verdict: Verdict) -> str:
        """REJECT: multi-line 550 5.7.1, one line per finding; upstream transaction dropped."""
        await self.abort_upstream(server)
        findings = [f for f in verdict.findings if f.action >= Action.REJECT] or list(verdict.findings)
        why = self._notice(server, "rejected", info, message, findings, verdict)
        # 7-bit replies elide Japanese evidence and say where the exact text is: the notice
        # mail (also when a recent identical one throttled this one), else the audit record.
        mailed = why is None or why.startswith("same findings") or " notices to " in why
        hint = replies.HINT_NOTICE if mailed else replies.HINT_AUDIT
        result = Outcome(replies.rejection(findings, utf8=info.smtputf8, hint=hint), "rejected")
        await self._audit(info, result, message, verdict)
        return result.reply

    async def refuse_malformed(self, server: SubmissionProtocol, info: EnvelopeInfo, reply: replies.Reply,
                               reason: str) -> str:
        """A message that cannot be checked at all (8-bit undeclared, unparsable)."""
        await self.abort_upstream(server)
        result = Outcome(str(reply), "refused", {"reason": reason})
        await self._audit(info, result)
        return result.reply


class Gateway:
    """All listeners of one configuration, with graceful shutdown."""

    def __init__(
        self,
        config: GatewayConfig,
        handler: SubmissionHandler,
        *,
        server_tls: ssl.SSLContext | None = None,
        hostname: str | None = None,
    ):
        self.config = config
        self.handler = handler
        self.server_tls = server_tls
        self.hostname = hostname or config.tls.hostname or socket.getfqdn()
        self.connections: set[SubmissionProtocol] = set()
        self.background: set[asyncio.Task[None]] = set()
        self.servers: list[asyncio.base_events.Server] = []
        self.draining = False
        self.addresses: list[tuple[str, int]] = []

    def _factory(self, listener: ListenerConfig) -> Callable[[], SubmissionProtocol]:
        limits = self.config.limits
        starttls = self.server_tls if listener.tls == "starttls" else None
        if listener.tls != "none" and self.server_tls is None:
            raise ValueError(f"listener {listener.address} uses TLS but no certificate was loaded")

        def make() -> SubmissionProtocol:
            proto = SubmissionProtocol(
                self.handler, listener, self,
                data_size_limit=limits.max_message_size,
                enable_SMTPUTF8=True,
                hostname=self.hostname,
                ident="replyguard",
                tls_context=starttls,
                require_starttls=listener.require_starttls,
                timeout=limits.timeouts.client_idle,
                auth_require_tls=listener.auth_needs_tls(),
                loop=asyncio.get_running_loop(),
            )
            proto.data_timeout = limits.timeouts.client_data
            return proto
        return make

    async def start(self) -> list[tuple[str, int]]:
        """Bind every listener; returns the bound (host, port) pairs (port 0 → a free one)."""
        loop = asyncio.get_running_loop()
        for listener in self.config.listeners:
            ssl_ctx = self.server_tls if listener.tls == "implicit" else None
            server = await loop.create_server(self._factory(listener), listener.host, listener.port, ssl=ssl_ctx)
            self.servers.append(server)
            self.addresses.append(server.sockets[0].getsockname()[:2])
        return self.addresses

    async def stop(self, grace: float | None = None) -> None:
        """Stop accepting, let transactions in flight finish (up to `grace`), then close all."""
        grace = self.config.limits.timeouts.shutdown_grace if grace is None else grace
        self.draining = True
        for server in self.servers:
            server.close()
        for conn in list(self.connections):
            if not conn.busy and conn.transport is not None:
                try:
                    await conn.push(str(replies.SHUTTING_DOWN))
                except (ConnectionError, RuntimeError):
                    pass
                conn.transport.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while any(c.busy for c in self.connections) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.close()
        await asyncio.sleep(0)
        if self.background:
            await asyncio.wait(list(self.background), timeout=5)
        for server in self.servers:
            await server.wait_closed()
        self.handler.close()
