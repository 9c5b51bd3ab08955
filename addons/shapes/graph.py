"""Microsoft Graph `sendMail` and `reply`/`replyAll`: rebuild the mail, shape Graph's errors.

`sendMail` carries a JSON `message` (subject, body with contentType html|text, to/cc/bcc
recipients, optional from) or, with `Content-Type: text/plain`, a base64 MIME message.
`reply`/`replyAll` carry the agent's `comment` (plus an optional `message`); Graph adds the
subject and the quote on the server, so replyguard checks what the agent wrote and notes the
Graph id of the message being answered. In-Reply-To/References come from
`internetMessageHeaders` when the client sets them. A saved draft (`POST …/messages`,
`createReply`, `PATCH`) is sent with `POST …/messages/{id}/send`, without content: the guard
checks the message resource Graph answered the last save with.
"""
from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime, timezone
from typing import Any

from addons.shapes import Outgoing, ShapeError, envelope_of, json_object
from addons.shapes.mime import Draft, Mailbox, build
from proxy.decision import EnvelopeInfo

_OWNER = r"/(?:v1\.0|beta)/(?:me|users/(?P<user>[^/]+))"
SEND_MAIL = re.compile(_OWNER + r"/sendMail$", re.IGNORECASE)
REPLY = re.compile(_OWNER + r"(?:/mailFolders/[^/]+)?/messages/(?P<id>[^/]+)/(?P<kind>reply|replyAll)$", re.IGNORECASE)
DRAFT = re.compile(_OWNER + r"(?:/mailFolders/[^/]+)?/messages(?:/(?P<id>[^/]+)"
                   r"(?:/(?P<action>send|createReply|createReplyAll|createForward))?)?$", re.IGNORECASE)


def match(method: str, path: str) -> re.Match[str] | None:
    """The path match of a send or reply request, or None."""
    bare = path.split("?", 1)[0]
    return (SEND_MAIL.match(bare) or REPLY.match(bare)) if method.upper() == "POST" else None


def draft_call(method: str, path: str) -> tuple[str, str | None, str | None] | None:
    """(save|delete|send, owner, message id) for requests that save, drop or send a draft:
    create (`POST …/messages`, `…/createReply|createReplyAll|createForward`), update (`PATCH`),
    `DELETE`, and `POST …/messages/{id}/send`."""
    found = DRAFT.match(path.split("?", 1)[0])
    if found is None:
        return None
    verb, draft, action = method.upper(), found["id"], (found["action"] or "").lower()
    if verb == "POST" and (draft is None or action.startswith("create")):
        return "save", found["user"], None
    if verb == "POST" and action == "send":
        return "send", found["user"], draft
    if draft and not action and verb in ("PATCH", "DELETE"):
        return ("save" if verb == "PATCH" else "delete"), found["user"], draft
    return None


def _boxes(items: Any) -> tuple[Mailbox, ...]:
    if items is None:
        return ()
    if isinstance(items, dict):
        items = [items]
    try:
        return tuple(Mailbox(str(i["emailAddress"].get("name") or ""), str(i["emailAddress"]["address"])) for i in items)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ShapeError(f"bad recipient list {items!r}") from exc


def _header_ids(message: dict, name: str) -> tuple[str, ...]:
    for header in message.get("internetMessageHeaders") or ():
        if isinstance(header, dict) and str(header.get("name", "")).lower() == name.lower():
            return tuple(v for v in str(header.get("value", "")).replace(",", " ").split() if "@" in v)
    return ()


def _draft(message: dict, comment: str | None, owner: str | None, timestamp: float) -> Draft:
    body = message.get("body") or {}
    if comment is not None:
        content, kind = comment, "html" if "<" in comment else "text"
    else:
        content, kind = str(body.get("content") or ""), str(body.get("contentType") or "text").lower()
    sender = _boxes(message.get("from") or message.get("sender"))
    if not sender and owner and "@" in owner:
        sender = (Mailbox("", owner),)
    return Draft(
        subject=message.get("subject"),
        from_=sender,
        to=_boxes(message.get("toRecipients")),
        cc=_boxes(message.get("ccRecipients")),
        bcc=_boxes(message.get("bccRecipients")),
        text=content if kind == "text" else None,
        html=content if kind == "html" else None,
        in_reply_to=_header_ids(message, "In-Reply-To"),
        references=_header_ids(message, "References"),
        date=timestamp,
    )


def read(path: str, content_type: str, body: bytes, timestamp: float) -> Outgoing:
    """The one mail a send/reply request sends; raises ShapeError when it cannot be read."""
    found = match("POST", path)
    if found is None:
        raise ShapeError("not a Graph send request")
    owner = found["user"]
    reply_to = found.groupdict().get("id")
    extra = {"api": "graph", "graph_reply_to": reply_to} if reply_to else {"api": "graph"}
    if content_type.lower().startswith("text/plain"):
        try:
            raw = base64.b64decode(body, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise ShapeError(f"MIME body is not base64: {exc}") from exc
        return Outgoing("message", raw, envelope_of(raw, "addon:graph", owner, extra))
    data = json_object(body)
    message = data.get("message") or {}
    comment = data.get("comment") if reply_to else None
    if not isinstance(message, dict) or (not message and comment is None):
        raise ShapeError("request has no 'message' object")
    return _outgoing(_draft(message, comment, owner, timestamp), owner, extra)


def from_resource(message: dict, owner: str | None, timestamp: float) -> Outgoing:
    """The mail a saved draft (a Graph message resource, as Graph returned it) would send."""
    return _outgoing(_draft(message, None, owner, timestamp), owner, {"api": "graph", "graph_draft": str(message.get("id", ""))})


def _outgoing(draft: Draft, owner: str | None, extra: dict[str, str]) -> Outgoing:
    envelope = EnvelopeInfo(
        door="addon:graph",
        mail_from=draft.from_[0].email if draft.from_ else "",
        rcpt_tos=tuple(b.email for b in draft.to + draft.cc + draft.bcc),
        auth_user=owner,
        extra=extra,
    )
    return Outgoing("message", build(draft), envelope)


_CODES = {400: "ErrorInvalidRequest", 403: "ErrorMessageSubmissionBlocked", 503: "ErrorServiceUnavailable"}


def error(status: int, text: str, timestamp: float, request_id: str) -> dict:
    """Graph's JSON error object, innerError included as Graph sends it."""
    return {
        "error": {
            "code": _CODES.get(status, "ErrorAccessDenied"),
            "message": text,
            "innerError": {
                "date": datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": request_id,
            },
        }
    }
