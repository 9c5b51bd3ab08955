"""What happens to a held message: release, refuse, cancel, release when due, escalate, recover.

One method per action, each taking the hold id (Mailman's handle-by-id), each ending in one
audit record with the operator's name. Release follows the gateway's before-queue rule: the
message leaves the hold queue only after the upstream said 250 to the stored bytes; any other
answer keeps it held and is reported. Refuse sends the agent a bounce-style notice (why, and
the original attached so nothing has to be retyped) over the same delivery path.

Crash safety: before each step that talks to the outside, the step is written to the held
message's metadata (`state: releasing`, `phase: connect|data`) and, after the upstream
answered, the answer is written down before anything is deleted. `recover()` reads those
marks after a crash:

* phase `connect` (the upstream never got DATA): roll back to `held` — nothing was sent.
* answer recorded (`released`/`refused`/`cancelled`): finish — audit and remove.
* phase `data`, no answer recorded: the upstream may or may not have taken it. For the
  local maildir we can look (the file name is the hold id): exactly once. For a real
  upstream we cannot ask, so the message goes back to `held` flagged `maybe_delivered` and
  is NOT re-sent automatically (at-most-once in that window; a supervisor decides). The
  window is the few milliseconds between the upstream's 250 and our fsync of it.
"""
from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path
from typing import Protocol, Sequence

from proxy.audit import open_log
from proxy.config import GatewayConfig, TimeoutsConfig, UpstreamConfig
from proxy.decision import Auditor, EnvelopeInfo
from proxy.message import ParsedMessage, parse
from proxy.outbox import Outbox
from proxy.policy.verdict import Verdict
from proxy.quarantine import (
    CANCELLED, FINAL_STATES, HELD, ID_RE, REFUSED, REFUSING, RELEASED, RELEASING,
    Held, Quarantine, UnknownHold, crash_point, iso,
)
from proxy.smtp.upstream import Answer, Credentials, UpstreamSession, UpstreamUnavailable

log = logging.getLogger("replyguard.release")

CANCEL_SUBJECT = re.compile(r"^\s*CANCEL\s+(" + ID_RE.pattern.strip("^$") + r")\s*$", re.IGNORECASE)
"""The agent's call-back mail: the whole subject is CANCEL and a hold id, nothing else."""


class Delivery(Protocol):
    """Where released mail and notices go: the upstream, or the local maildir."""

    description: str

    async def deliver(self, raw: bytes, mail_from: str, rcpt_tos: Sequence[str], *,
                      key: str, before_data: Callable[[], None]) -> Answer: ...

    def delivered(self, key: str) -> bool | None:
        """Whether a delivery with this key already happened; None when it cannot be known."""
        ...


class UpstreamDelivery:
    """One short aiosmtplib session per message through the gateway's upstream client.

    All-or-nothing: if any recipient is refused, nothing is sent (the message stays held
    and the operator sees which address failed), so a release is never half done.
    """

    def __init__(self, cfg: UpstreamConfig, timeouts: TimeoutsConfig, *,
                 credentials: Credentials | None = None, hostname: str | None = None):
        self.cfg = cfg
        self.timeouts = timeouts
        self.credentials = credentials
        self.hostname = hostname
        self.description = f"upstream {cfg.host}:{cfg.port}"

    async def deliver(self, raw: bytes, mail_from: str, rcpt_tos: Sequence[str], *,
                      key: str, before_data: Callable[[], None]) -> Answer:
        session = UpstreamSession(self.cfg, self.timeouts, local_hostname=self.hostname)
        utf8 = not (mail_from.isascii() and all(r.isascii() for r in rcpt_tos))
        try:
            refused = await session.connect()
            if refused is not None:
                return refused
            if self.credentials is not None:
                answer = await session.login(self.credentials)
                if not answer.ok:
                    return answer
            options = []
            if not raw.isascii():
                options.append("BODY=8BITMIME")
            if utf8:
                options.append("SMTPUTF8")
            answer = await session.mail(mail_from, options, utf8=utf8)
            if not answer.ok:
                return answer
            for rcpt in rcpt_tos:
                answer = await session.rcpt(rcpt, [], utf8=utf8)
                if not answer.ok:
                    await session.rset()
                    return Answer(answer.code, f"{rcpt}: {answer.message}")
            before_data()
            return await session.data(raw)
        except UpstreamUnavailable as exc:
            return Answer(exc.reply.code, f"{exc.reply.status} {exc.reply.text}")
        finally:
            await session.close()

    def delivered(self, key: str) -> bool | None:
        return None


class _KeyedOutbox(Outbox):
    """The gateway's maildir with a file name derived from the hold id: re-delivery after a
    crash can see whether the first attempt landed (exactly once)."""

    def __init__(self, root: str | Path, name: str):
        super().__init__(root)
        self._name = name

    def _unique(self) -> str:
        return self._name


class OutboxDelivery:
    """No upstream configured: released mail goes to `<state-dir>/outbox/` like accepted mail."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.description = f"local maildir {self.root / 'new'}"

    @staticmethod
    def _name(key: str) -> str:
        return f"{key}.replyguard.{socket.gethostname().replace('/', '_').replace(':', '_')}"

    async def deliver(self, raw: bytes, mail_from: str, rcpt_tos: Sequence[str], *,
                      key: str, before_data: Callable[[], None]) -> Answer:
        if self.delivered(key):
            return Answer(250, f"2.0.0 already in {self.root / 'new'} (key {key})")
        before_data()
        box = _KeyedOutbox(self.root, self._name(key))
        (box.root / "tmp" / self._name(key)).unlink(missing_ok=True)  # a crashed attempt's leftovers
        path = box.deliver(raw, mail_from, rcpt_tos)
        return Answer(250, f"2.0.0 delivered to local maildir {path}")

    def delivered(self, key: str) -> bool:
        name = self._name(key)
        if (self.root / "new" / name).exists():
            return True
        cur = self.root / "cur"
        return cur.is_dir() and any(p.name.split(":")[0] == name for p in cur.iterdir())


@dataclass(frozen=True)
class Result:
    """What one action did, for the CLI and the periodic task."""

    hold_id: str
    ok: bool
    outcome: str
    text: str


class Releaser:
    """Every action on held messages, each audited (door `release`) with the operator."""

    def __init__(
        self,
        quarantine: Quarantine,
        auditor: Auditor,
        delivery: Delivery,
        *,
        notify_from: str | None = None,
        supervisor: str | None = None,
        escalate_after: float = 0.0,
        clock: Callable[[], datetime] | None = None,
    ):
        self.q = quarantine
        self.auditor = auditor
        self.delivery = delivery
        self.notify_from = notify_from or f"MAILER-DAEMON@{socket.getfqdn()}"
        self.supervisor = supervisor
        self.escalate_after = escalate_after
        self.clock = clock or quarantine.clock

    # --- audit --------------------------------------------------------------------------

    def _audit(self, held: Held, outcome: str, reply: str, operator: str | None,
               **detail: str) -> None:
        env = held.meta.get("envelope") or {}
        info = EnvelopeInfo(
            door="release",
            mail_from=env.get("mail_from", ""),
            rcpt_tos=tuple(env.get("rcpt_tos") or ()),
            client_ip=env.get("client_ip", ""),
            helo=env.get("helo", ""),
            auth_user=env.get("auth_user"),
        )
        message: ParsedMessage | None = None
        if held.eml.exists():
            try:
                message = parse(held.raw())
            except Exception:  # noqa: BLE001 - the record is written without headline then
                message = None
        self.auditor.record(
            envelope=info, outcome=outcome, reply=reply, message=message, operator=operator,
            detail={"hold_id": held.id, **{k: v for k, v in detail.items() if v}},
        )

    def _finish(self, held: Held, outcome: str, reply: str, operator: str | None, **detail: str) -> None:
        """Audit a final state, mark it audited, then drop the files (crash-safe order)."""
        if not held.meta.get("audited"):
            self._audit(held, outcome, reply, operator, **detail)
            held = Held(held.id, self.q.update(held.id, audited=True), held.eml)
        self.q.remove(held.id)

    # --- release ------------------------------------------------------------------------

    async def release(self, hold_id: str, operator: str) -> Result:
        held = self.q.get(hold_id)
        if self.q.claim(hold_id, state=RELEASING, phase="connect", operator=operator,
                        event=f"release by {operator}") is None:
            return Result(hold_id, False, "busy", _busy(hold_id, self.q.get(hold_id).state))
        env = held.meta["envelope"]
        crash_point("release:before-connect")

        def before_data() -> None:
            self.q.update(hold_id, phase="data")
            crash_point("release:before-data")

        try:
            answer = await self.delivery.deliver(held.raw(), env["mail_from"], env["rcpt_tos"],
                                                 key=hold_id, before_data=before_data)
        except Exception as exc:  # noqa: BLE001 - e.g. the outbox disk is full: keep it held
            log.exception("release of %s failed", hold_id)
            answer = Answer(451, f"4.3.0 {type(exc).__name__}: {exc}")
            if self.q.get(hold_id).meta.get("phase") == "data" and self.delivery.delivered(hold_id) is None:
                self.q.update(hold_id, maybe_delivered=True)
        crash_point("release:after-answer")
        reply = f"{answer.code} {answer.message}".strip()
        if not answer.ok:
            # Delay-send retries back off (30 s, 1, 2, 4 … min, at most 15) so an upstream
            # outage does not write a failure record every interval for every due message.
            failures = int(held.meta.get("failures") or 0) + 1
            retry_at = iso(self.clock() + timedelta(seconds=min(900, 30 * 2 ** (failures - 1))))
            meta = self.q.update(hold_id, state=HELD, phase=None, last_error=reply, failures=failures,
                                 retry_at=retry_at, event=f"release failed: {reply}")
            self._audit(Held(hold_id, meta, held.eml), "release-failed", reply, operator,
                        via=self.delivery.description)
            return Result(hold_id, False, "release-failed", f"{hold_id}: not released, still held: {self.delivery.description} answered {reply}")
        meta = self.q.update(hold_id, state=RELEASED, phase=None, upstream_reply=reply, event=f"released: {reply}")
        crash_point("release:after-record")
        outcome = "released-delayed" if meta.get("reason") == "delay" else "released"
        self._finish(Held(hold_id, meta, held.eml), outcome, reply, operator, via=self.delivery.description)
        return Result(hold_id, True, outcome, f"released {hold_id}: {self.delivery.description} answered {reply}")

    # --- refuse -------------------------------------------------------------------------

    async def refuse(self, hold_id: str, reason: str, operator: str) -> Result:
        held = self.q.get(hold_id)
        meta = self.q.claim(hold_id, state=REFUSING, phase="connect", operator=operator,
                            refuse_reason=reason, event=f"refuse by {operator}: {reason}")
        if meta is None:
            return Result(hold_id, False, "busy", _busy(hold_id, self.q.get(hold_id).state))
        return await self._send_refusal(Held(hold_id, meta, held.eml))

    async def _send_refusal(self, held: Held) -> Result:
        hold_id, meta = held.id, held.meta
        operator, reason = meta.get("operator") or "", meta.get("refuse_reason") or ""
        sender = meta["envelope"].get("mail_from") or ""
        if sender:
            notice = self.refusal_notice(held, reason, operator)
            answer = await self.delivery.deliver(notice, "", [sender], key=f"{hold_id}-refused",
                                                 before_data=lambda: None)
            reply = f"{answer.code} {answer.message}".strip()
        else:  # a null sender cannot be notified; the refusal itself still stands
            answer, reply = Answer(250, "no sender address to notify"), "no sender address to notify"
        if not answer.ok:
            meta = self.q.update(hold_id, state=HELD, phase=None, last_error=reply,
                                 event=f"refusal notice failed: {reply}")
            self._audit(Held(hold_id, meta, held.eml), "refuse-failed", reply, operator, reason=reason)
            return Result(hold_id, False, "refuse-failed",
                          f"{hold_id}: not refused, still held: the notice to {sender} failed: {reply}")
        meta = self.q.update(hold_id, state=REFUSED, phase=None, notice_reply=reply, event="refused")
        self._finish(Held(hold_id, meta, held.eml), "refused", reply, operator, reason=reason, notified=sender)
        return Result(hold_id, True, "refused", f"refused {hold_id}; {sender or 'nobody'} notified ({reply})")

    def refusal_notice(self, held: Held, reason: str, operator: str) -> bytes:
        """A bounce-style mail to the agent: what was refused, by whom, why, and the original."""
        meta = held.meta
        env = meta["envelope"]
        lines = [
            "Your reply was NOT sent. A supervisor reviewed it and returned it to you.",
            "あなたの返信は送信されませんでした。確認の結果、差し戻されました。",
            "",
            f"  Subject / 件名:     {meta.get('subject', '')}",
            f"  To / 宛先:          {', '.join(env.get('rcpt_tos') or [])}",
            f"  Held / 保留日時:    {meta.get('held_at')} (id {held.id})",
            f"  Refused by / 担当:  {operator}",
            f"  Reason / 理由:      {reason}",
            "",
        ]
        findings = (meta.get("verdict") or {}).get("findings") or []
        if findings:
            lines.append("What the policy found / ポリシーの指摘:")
            for f in findings:
                lines.append(f"  [{f.get('rule')}] {f.get('message') or ''}")
                if f.get("message_en") and f.get("message_en") != f.get("message"):
                    lines.append(f"      {f['message_en']}")
                if f.get("where"):
                    lines.append(f"      where / 場所: {f['where']}")
            lines.append("")
        lines.append("The original is attached (original.eml): fix it and send it again.")
        lines.append("元のメールを添付しました（original.eml）。修正して再送してください。")
        msg = MIMEMultipart("mixed")
        msg["From"] = f"replyguard <{self.notify_from}>"
        msg["To"] = env.get("mail_from") or ""
        msg["Subject"] = f"Returned by supervisor / 差し戻し: {meta.get('subject', '')}"
        msg["Date"] = email.utils.format_datetime(self.clock())
        msg["Message-ID"] = email.utils.make_msgid("refused." + held.id)
        msg["Auto-Submitted"] = "auto-replied"
        msg.attach(MIMEText("\n".join(lines) + "\n", "plain", "utf-8"))
        att = MIMEApplication(held.raw(), "octet-stream")
        att.add_header("Content-Disposition", "attachment", filename="original.eml")
        msg.attach(att)
        return msg.as_bytes()

    # --- cancel (the agent calls a delayed reply back) -----------------------------------

    def cancel(self, hold_id: str, operator: str, *, sender: str | None = None) -> Result:
        """Stop a held message for good. With `sender`, only its own sender may do so."""
        held = self.q.get(hold_id)
        if sender is not None and (held.meta["envelope"].get("mail_from") or "").lower() != sender.lower():
            raise UnknownHold(hold_id)  # do not tell strangers that the id exists
        meta = self.q.claim(hold_id, state=CANCELLED, operator=operator, event=f"cancelled by {operator}")
        if meta is None:
            return Result(hold_id, False, "busy", _busy(hold_id, self.q.get(hold_id).state))
        self._finish(Held(hold_id, meta, held.eml), "cancelled", "cancelled", operator)
        return Result(hold_id, True, "cancelled", f"cancelled {hold_id}; it will not be sent")

    def mail_command(self, envelope: EnvelopeInfo, message: ParsedMessage) -> tuple[bool, str] | None:
        """The mail command: subject `CANCEL <id>` sent through the gateway by the same sender.

        Returns None for any ordinary mail (only a subject that is exactly CANCEL plus a
        hold id counts, so no real reply can trigger it), else (ok, text) for the door to
        put into its SMTP reply. The command mail itself is never relayed.
        """
        m = CANCEL_SUBJECT.match(message.subject or "")
        if not m:
            return None
        raw_id = m.group(1)
        hold_id = f"{raw_id[:8]}T{raw_id[9:].lower()}"  # the subject match ignores case
        try:
            result = self.cancel(hold_id, envelope.auth_user or envelope.mail_from, sender=envelope.mail_from)
        except UnknownHold:
            return False, f"no held message {hold_id} from {envelope.mail_from}"
        return result.ok, result.text

    # --- periodic: delay-send and escalation -------------------------------------------

    async def release_due(self) -> list[Result]:
        out = []
        for held in self.q.due(self.clock()):
            out.append(await self.release(held.id, "replyguard:delay"))
        return out

    async def escalate(self, age: float | None = None) -> list[Result]:
        """Held longer than the policy age: one `escalated` record, and a mail if configured."""
        age = self.escalate_after if age is None else age
        if age <= 0:
            return []
        out = []
        for held in self.q.overdue(timedelta(seconds=age), self.clock()):
            text = f"waiting since {held.meta.get('held_at')}"
            reply, ok = "logged", True
            if self.supervisor:
                # Escalated once either way: a failing supervisor address must not produce a
                # record every interval; the failure is in the record and in `held show`.
                try:
                    answer = await self.delivery.deliver(self.escalation_notice(held), "", [self.supervisor],
                                                         key=f"{held.id}-escalated", before_data=lambda: None)
                except Exception as exc:  # noqa: BLE001 - the escalation is still logged
                    answer = Answer(451, f"{type(exc).__name__}: {exc}")
                reply, ok = f"{answer.code} {answer.message}".strip(), answer.ok
            self.q.update(held.id, escalated_at=iso(self.clock()),
                          event="escalated" + ("" if ok else f" (mail to {self.supervisor} failed: {reply})"))
            self._audit(held, "escalated", reply, "replyguard:escalate", supervisor=self.supervisor or "",
                        why=text, mail="sent" if self.supervisor and ok else ("failed" if self.supervisor else ""))
            out.append(Result(held.id, ok, "escalated",
                              f"{held.id}: escalated ({text})" + ("" if ok else f"; mail to {self.supervisor} failed: {reply}")))
        return out

    def escalation_notice(self, held: Held) -> bytes:
        meta = held.meta
        rules = ", ".join(f.get("rule", "") for f in (meta.get("verdict") or {}).get("findings") or [])
        body = (
            f"A reply has been waiting for review since {meta.get('held_at')}.\n"
            f"保留中の返信が確認待ちです。\n\n"
            f"  id:      {held.id}\n  from:    {meta['envelope'].get('mail_from')}\n"
            f"  to:      {', '.join(meta['envelope'].get('rcpt_tos') or [])}\n"
            f"  subject: {meta.get('subject', '')}\n  rules:   {rules}\n\n"
            f"replyguard held show {held.id}\nreplyguard held release {held.id}\n"
            f"replyguard held refuse {held.id} --reason '...'\n"
        )
        msg = MIMEText(body, "plain", "utf-8")
        msg["From"] = f"replyguard <{self.notify_from}>"
        msg["To"] = self.supervisor or ""
        msg["Subject"] = f"[replyguard] held reply waiting: {meta.get('subject', '')}"
        msg["Date"] = email.utils.format_datetime(self.clock())
        msg["Message-ID"] = email.utils.make_msgid("escalated." + held.id)
        msg["Auto-Submitted"] = "auto-generated"
        return msg.as_bytes()

    # --- crash recovery -------------------------------------------------------------------

    async def recover(self) -> list[str]:
        """Finish or roll back whatever a killed process left; one line per thing done."""
        done = self.q.recover()
        for held in self.q.all():
            state = held.state
            if state in FINAL_STATES:
                outcome = {RELEASED: "released", REFUSED: "refused", CANCELLED: "cancelled"}[state]
                reply = held.meta.get("upstream_reply") or held.meta.get("notice_reply") or state
                self._finish(held, outcome, reply, held.meta.get("operator"), recovered="yes")
                done.append(f"{held.id}: finished interrupted {state} (audited, removed)")
            elif state == RELEASING:
                done.append(self._recover_release(held))
            elif state == REFUSING:
                # The operator's decision stands; a second notice is harmless, a lost one is not.
                result = await self._send_refusal(held)
                done.append(f"{held.id}: resumed interrupted refusal: {result.text}")
        return done

    def _recover_release(self, held: Held) -> str:
        hold_id, phase = held.id, held.meta.get("phase")
        operator = held.meta.get("operator")
        known = self.delivery.delivered(hold_id) if phase == "data" else False
        if known:
            meta = self.q.update(hold_id, state=RELEASED, phase=None, upstream_reply="250 found in maildir after restart",
                                 event="release completed during recovery")
            self._finish(Held(hold_id, meta, held.eml), "released", "250 found after restart", operator, recovered="yes")
            return f"{hold_id}: release had completed before the crash (audited, removed)"
        if phase == "data" and known is None:
            meta = self.q.update(hold_id, state=HELD, phase=None, maybe_delivered=True,
                                 event="release interrupted after DATA: may have been delivered; not re-sent")
            self._audit(Held(hold_id, meta, held.eml), "release-uncertain", "interrupted after DATA", operator,
                        recovered="yes")
            return (f"{hold_id}: release was interrupted after the message went to the upstream; "
                    f"it may have been delivered — kept held, flagged, NOT re-sent (check before releasing again)")
        meta = self.q.update(hold_id, state=HELD, phase=None, event="release interrupted before DATA: rolled back")
        self._audit(Held(hold_id, meta, held.eml), "release-rolled-back", "interrupted before DATA", operator,
                    recovered="yes")
        return f"{hold_id}: release was interrupted before anything was sent; back to held"


def _busy(hold_id: str, state: str) -> str:
    if state in (RELEASING, RELEASED):
        return f"{hold_id} is being released or was sent already ({state}); too late to change it"
    return (f"{hold_id} is {state}, not held (another action is running, or was interrupted: "
            f"`replyguard held recover` finishes it)")


def delivery_from_config(cfg: GatewayConfig) -> Delivery:
    """Where released mail and the gateway's own notices go: the upstream (as the account, or
    as `hold.release_user`), or the state dir's outbox maildir when no upstream is configured."""
    if cfg.upstream is None:
        return OutboxDelivery(Path(cfg.state_dir) / "outbox")
    up = cfg.upstream
    creds = None
    if up.auth == "account" and up.account.user and up.account.password_file:
        creds = Credentials(up.account.user, Path(up.account.password_file).read_text(encoding="utf-8").strip())
    elif cfg.hold.release_user and cfg.hold.release_password_file:
        creds = Credentials(cfg.hold.release_user,
                            Path(cfg.hold.release_password_file).read_text(encoding="utf-8").strip())
    return UpstreamDelivery(up, cfg.limits.timeouts, credentials=creds, hostname=cfg.tls.hostname)


def from_config(cfg: GatewayConfig, auditor: Auditor | None = None) -> Releaser:
    """The releaser the CLI and `serve` use: same state dir, same upstream, same log."""
    state = Path(cfg.state_dir)
    return Releaser(
        Quarantine(state / "held"),
        auditor if auditor is not None else open_log(state, cfg.audit),
        delivery_from_config(cfg),
        notify_from=cfg.hold.notify_from,
        supervisor=cfg.hold.supervisor,
        escalate_after=cfg.hold.escalate_after,
    )


class GatewayHolder:
    """The `Holder` `serve` hands to the submission door.

    It holds into the quarantine, understands the agent's `CANCEL <id>` mail (the door
    asks `mail_command` before the policy runs), and does the hold queue's periodic work
    (delay-send release, escalation) on a worker thread so no fsync or upstream session
    ever blocks the gateway's event loop.
    """

    def __init__(self, releaser: Releaser):
        self.releaser = releaser

    def hold(self, raw: bytes, envelope: EnvelopeInfo, verdict: Verdict) -> str:
        return self.releaser.q.hold(raw, envelope, verdict)

    def mail_command(self, envelope: EnvelopeInfo, message: ParsedMessage) -> tuple[bool, str] | None:
        return self.releaser.mail_command(envelope, message)

    def tick(self) -> list[Result]:
        """One round of periodic work (blocking; runs its own short event loop)."""
        async def work() -> list[Result]:
            return [*(await self.releaser.release_due()), *(await self.releaser.escalate())]
        return asyncio.run(work())

    async def periodic(self, interval: float, stop: asyncio.Event) -> None:
        """Until `stop`: every `interval` seconds, release due mail and escalate old holds."""
        while not stop.is_set():
            try:
                for result in await asyncio.to_thread(self.tick):
                    (log.info if result.ok else log.warning)("hold queue: %s", result.text)
            except Exception:  # noqa: BLE001 - the gateway keeps serving; next round retries
                log.exception("hold queue periodic work failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                pass
