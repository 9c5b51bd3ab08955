"""The decision seam between the doors (SMTP, mitmproxy, CLI) and what decides and records.

A door builds an `EnvelopeInfo` and a parsed message, asks a `Decider` for a Verdict, then
acts: relay, refuse, or hand the message to a `Holder`; every outcome goes to an `Auditor`.
Protocols only — the engine, the hold queue and the compliance log implement them, so a door
never imports their internals and tests can hand in real objects built on a temp dir.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from proxy.message import ParsedMessage
from proxy.policy.verdict import Verdict


@dataclass(frozen=True)
class EnvelopeInfo:
    """Who sent what to whom, as the door saw it (never credentials)."""

    door: str                       # "submission", "inbound", "check", "addon:gmail", "release", …
    mail_from: str
    rcpt_tos: tuple[str, ...]
    client_ip: str = ""
    helo: str = ""
    auth_user: str | None = None    # the login name only; passwords never leave the auth code
    smtputf8: bool = False
    extra: dict[str, str] = field(default_factory=dict)


class Decider(Protocol):
    """Pure decision: envelope + message in, Verdict out (the policy engine behind it)."""

    def __call__(self, envelope: EnvelopeInfo, message: ParsedMessage) -> Verdict: ...


class Holder(Protocol):
    """Durably keeps a message for review; returns its id only once it is safely on disk."""

    def hold(self, raw: bytes, envelope: EnvelopeInfo, verdict: Verdict) -> str: ...


class Auditor(Protocol):
    """Appends one compliance record per outcome; returns only once the record is durable."""

    def record(
        self,
        *,
        envelope: EnvelopeInfo,
        outcome: str,                       # accepted, rejected, held, warned, tempfail, released, refused, …
        reply: str,                         # the reply the client got (SMTP line or HTTP status)
        message: ParsedMessage | None = None,
        verdict: Verdict | None = None,
        operator: str | None = None,
        detail: dict[str, str] | None = None,
    ) -> None: ...
