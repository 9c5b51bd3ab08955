"""The part every mail-API addon shares: ask the Decider, hold, audit, and answer.

An addon reads its API's request into `Outgoing` mails (addons/shapes) and hands them to its
`Door`; the door parses each with `proxy.message.parse`, asks the Decider (the same engine as
the SMTP door) and says whether the request may pass. A request is all or nothing: if any
mail in it is refused or held, none of it reaches the API, because the proxy answers instead.
Refusals are audited at once; accepted mail is audited when the API has answered, with the
API's own status — like the SMTP door, which logs upstream's reply.
"""
from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from mitmproxy import http

from addons.shapes import Outgoing, ShapeError
from proxy.decision import Auditor, Decider, EnvelopeInfo, Holder
from proxy.message import ParsedMessage, parse
from proxy.policy.verdict import Action, Verdict

log = logging.getLogger(__name__)

REFUSED_HEAD = "送信できません / replyguard refused to send this reply:"
HELD_HEAD = "確認待ちで保留しました（未送信）/ replyguard is holding this reply for review; it has NOT been sent yet (hold id {id}):"
NOT_SENT = "未送信 / not sent: another message in the same request was refused or held"
TEMPFAIL = "replyguard could not check this reply (internal error); nothing was sent, try again"


@dataclass(frozen=True)
class Judgement:
    outgoing: Outgoing
    message: ParsedMessage
    verdict: Verdict
    hold_id: str | None = None


@dataclass(frozen=True)
class Refusal:
    """Why the proxy answers instead of the API: `outcome` is the audit word, `status` the HTTP
    status for APIs that use one, `texts` the explanation per Outgoing key."""

    outcome: str                      # rejected, held, unreadable, tempfail
    status: int
    summary: str
    texts: dict[str, str] = field(default_factory=dict)
    judgements: tuple[Judgement, ...] = ()
    outgoing: tuple[Outgoing, ...] = ()     # what was not judged (tempfail), for the audit


def explain(verdict: Verdict, hold_id: str | None = None) -> str:
    head = HELD_HEAD.format(id=hold_id) if hold_id else REFUSED_HEAD
    return "\n".join([head, *(f"- [{f.rule}] {f.message}" for f in verdict.findings if f.action >= Action.HOLD)])


def json_response(status: int, body: dict, outcome: str) -> http.Response:
    return http.Response.make(status, json.dumps(body, ensure_ascii=False).encode(), {
        "Content-Type": "application/json; charset=UTF-8",
        "X-Replyguard": outcome,
    })


def request_body(flow: http.HTTPFlow) -> bytes:
    """The decoded request body (gzip and friends undone); an undecodable one cannot be checked."""
    try:
        return flow.request.get_content(strict=True) or b""
    except ValueError as exc:
        raise ShapeError(f"request body cannot be decoded: {exc}") from exc


class Checker:
    """Asks the Decider about each mail of one request and holds what the policy holds.

    A request is all or nothing: if any of its mails is refused or held, none is sent.
    """

    def __init__(self, name: str, decider: Decider, holder: Holder | None = None):
        self.name = name
        self.decider = decider
        self.holder = holder

    def check(self, outgoing: list[Outgoing]) -> tuple[tuple[Judgement, ...], Refusal | None]:
        """The judgements, and None (let the request through untouched) or the refusal."""
        try:
            judged = tuple(self._judge(o) for o in outgoing)
        except Exception:  # a bug must not let unchecked mail through: fail closed, like SMTP's 451
            log.exception("%s: decider failed", self.name)
            return (), Refusal("tempfail", 503, TEMPFAIL, {o.key: TEMPFAIL for o in outgoing}, (), tuple(outgoing))
        worst = max((j.verdict.action for j in judged), default=Action.ACCEPT)
        if worst <= Action.WARN:
            return judged, None
        if worst is Action.HOLD and self.holder is not None:
            try:
                judged = tuple(self._hold(j) for j in judged)
            except Exception:
                log.exception("%s: hold queue failed", self.name)
                return judged, Refusal("tempfail", 503, TEMPFAIL, {o.key: TEMPFAIL for o in outgoing}, judged,
                                       tuple(outgoing))
        texts = {j.outgoing.key: explain(j.verdict, j.hold_id) if j.verdict.action >= Action.HOLD else NOT_SENT
                 for j in judged}
        held = worst is Action.HOLD and all(j.hold_id for j in judged if j.verdict.action >= Action.HOLD)
        summary = "\n".join(dict.fromkeys(texts.values()))
        return judged, Refusal("held" if held else "rejected", 403, summary, texts, judged)

    def _judge(self, outgoing: Outgoing) -> Judgement:
        message = parse(outgoing.raw)
        return Judgement(outgoing, message, self.decider(outgoing.envelope, message))

    def _hold(self, judged: Judgement) -> Judgement:
        if judged.verdict.action is not Action.HOLD or self.holder is None:
            return judged
        hold_id = self.holder.hold(judged.outgoing.raw, judged.outgoing.envelope, judged.verdict)
        return Judgement(judged.outgoing, judged.message, judged.verdict, hold_id)


def unreadable(exc: ShapeError) -> Refusal:
    text = f"replyguard cannot read this send request, so it was not sent: {exc}"
    return Refusal("unreadable", 400, text)


class Door:
    """One API addon's side of a flow: which flows are its own, the Checker's decision, the
    proxy's answer, and one audit record per mail — accepted ones once the API has answered."""

    def __init__(self, name: str, decider: Decider, holder: Holder | None = None, auditor: Auditor | None = None,
                 scope: Callable[[http.HTTPFlow], bool] | None = None):
        self.name = name
        self.checker = Checker(name, decider, holder)
        self.auditor = auditor
        self.scope = scope
        self.pending: dict[str, tuple[Judgement, ...]] = {}

    def ours(self, flow: http.HTTPFlow) -> bool:
        """Polite like blocklist: a flow another addon answered, failed or killed is not ours;
        nor is one outside the scope (a host the proxy was not told to guard)."""
        if flow.response is not None or flow.error is not None or not flow.live:
            return False
        return self.scope is None or self.scope(flow)

    @contextmanager
    def failing_closed(self, flow: http.HTTPFlow) -> Iterator[None]:
        """mitmproxy logs a hook's exception and lets the flow go on — for a send request that
        would mean unchecked mail reaching the API. So a bug kills the flow instead."""
        try:
            yield
        except Exception:
            log.exception("%s: request hook failed; killing the flow so nothing unchecked is sent", self.name)
            if flow.response is None and flow.killable:
                flow.kill()

    def check(self, flow: http.HTTPFlow, outgoing: list[Outgoing]) -> Refusal | None:
        """None: let the request through untouched (audited when the API answers)."""
        judged, refusal = self.checker.check(outgoing)
        flow.metadata["replyguard"] = {
            "door": self.name,
            "action": max((j.verdict.action for j in judged), default=Action.ACCEPT).label,
            "verdicts": {j.outgoing.key: j.verdict.to_json() for j in judged},
            "hold_ids": {j.outgoing.key: j.hold_id for j in judged if j.hold_id},
        }
        if refusal is None:
            self.pending[flow.id] = judged
        return refusal

    unreadable = staticmethod(unreadable)

    def judge(self, flow: http.HTTPFlow, read: Callable[[http.HTTPFlow], list[Outgoing]],
              error_body: Callable[[Refusal], dict]) -> None:
        """The request hook of an API whose refusal is a JSON error object: read the mails the
        request sends, check them, and answer with `error_body(refusal)` instead of the API when
        they may not pass. A request that sends nothing (a batch without a send, a draft being
        saved) goes through untouched; one that cannot be read is refused."""
        with self.failing_closed(flow):
            try:
                outgoing = read(flow)
            except ShapeError as exc:
                refusal = self.unreadable(exc)
            else:
                if not outgoing:
                    return
                refusal = self.check(flow, outgoing)
            if refusal is not None:
                self.refuse(flow, refusal, json_response(refusal.status, error_body(refusal), refusal.outcome))

    def refuse(self, flow: http.HTTPFlow, refusal: Refusal, response: http.Response) -> None:
        """Answer from the proxy (the API never sees the request), then audit each mail."""
        flow.response = response
        flow.metadata.setdefault("replyguard", {"door": self.name, "verdicts": {}, "hold_ids": {}})
        flow.metadata["replyguard"]["outcome"] = refusal.outcome
        reply = f"HTTP {response.status_code}: {refusal.summary.splitlines()[0] if refusal.summary else ''}"
        detail = {"url": flow.request.pretty_url}
        if refusal.judgements:
            for judged in refusal.judgements:
                self._audit(judged, refusal.outcome, reply, detail)
        elif self.auditor is not None:
            for envelope in [o.envelope for o in refusal.outgoing] or [EnvelopeInfo(self.name, "", ())]:
                self.auditor.record(envelope=envelope, outcome=refusal.outcome, reply=reply, detail=detail)

    def response(self, flow: http.HTTPFlow) -> None:
        """The API answered an accepted request: audit with the API's status."""
        judged = self.pending.pop(flow.id, ())
        if not judged or flow.response is None:
            return
        ok = flow.response.status_code < 400
        for j in judged:
            outcome = ("warned" if j.verdict.action is Action.WARN else "accepted") if ok else "upstream-refused"
            self._audit(j, outcome, f"HTTP {flow.response.status_code} from upstream", {"url": flow.request.pretty_url})
        flow.metadata["replyguard"]["outcome"] = "accepted" if ok else "upstream-refused"

    def error(self, flow: http.HTTPFlow) -> None:
        """The API never answered: the mail may not have left; audit that, never drop it silently."""
        for j in self.pending.pop(flow.id, ()):
            reason = flow.error.msg if flow.error else "no response"
            self._audit(j, "tempfail", f"upstream error: {reason}", {"url": flow.request.pretty_url})

    def _audit(self, judged: Judgement, outcome: str, reply: str, detail: dict[str, str]) -> None:
        if self.auditor is None:
            return
        extra = {"key": judged.outgoing.key, **({"hold_id": judged.hold_id} if judged.hold_id else {})}
        self.auditor.record(envelope=judged.outgoing.envelope, outcome=outcome, reply=reply,
                            message=judged.message, verdict=judged.verdict, detail={**detail, **extra})
