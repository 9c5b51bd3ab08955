"""Per-API readers: turn one HTTP send request into the RFC 5322 bytes and envelope it sends.

One module per API (`gmail`, `graph`, `jmap`) plus the two jobs they share (`mime` builds a
message from structured fields, `html_text` renders an HTML body as the plain text the rules
read). They know nothing about mitmproxy or the policy: the addons hand them method, path,
headers and body and get back `Outgoing` values, so the readers are testable on plain bytes.
"""
from __future__ import annotations

import email
import email.policy
import json
from dataclasses import dataclass
from email.utils import getaddresses

from proxy.decision import EnvelopeInfo


class ShapeError(ValueError):
    """The request is a send request, but replyguard cannot read the mail out of it.

    The addons refuse such a request (fail closed): a mail that was not checked never leaves.
    """


def json_object(body: bytes) -> dict:
    """A request body that must be one JSON object (Gmail's and Graph's send requests)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ShapeError(f"request body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ShapeError("request body is not a JSON object")
    return data


@dataclass(frozen=True)
class Outgoing:
    """One mail a send request would send: `key` is the API's own name for it (the JMAP
    creation id, "raw" for Gmail, "message" for Graph), so a refusal can point at it."""

    key: str
    raw: bytes
    envelope: EnvelopeInfo


def envelope_of(raw: bytes, door: str, user: str | None, extra: dict[str, str]) -> EnvelopeInfo:
    """The envelope an API derives from finished mail: From, and To + Cc + Bcc as recipients."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)

    def addrs(*names: str) -> list[str]:
        return [a for _, a in getaddresses([str(v) for n in names for v in msg.get_all(n, [])]) if a]

    senders = addrs("From")
    return EnvelopeInfo(
        door=door,
        mail_from=senders[0] if senders else "",
        rcpt_tos=tuple(addrs("To", "Cc", "Bcc")),
        auth_user=None if user in (None, "", "me") else user,
        extra=extra,
    )
