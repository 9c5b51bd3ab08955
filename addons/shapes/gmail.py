"""Gmail API `users.messages.send`: find the RFC 5322 bytes in the request, shape its errors.

The request already carries the finished mail, so nothing is rebuilt: the JSON form has it
base64url-encoded in `raw` (with an optional `threadId`); the upload form sends it as the body
(`uploadType=media`) or as the `message/rfc822` part of a `multipart/related` body
(`uploadType=multipart`). A resumable upload sends the bytes later to another URL, so it is
refused with a hint instead of passing unchecked. `drafts.send` carries either the draft's
content (`message.raw`) or only its id; the guard remembers drafts saved through the proxy.
"""
from __future__ import annotations

import base64
import binascii
import email
import email.policy
import re
from urllib.parse import parse_qs

from addons.shapes import Outgoing, ShapeError, envelope_of, json_object

SEND_PATH = re.compile(r"^(?P<upload>/upload)?/gmail/v1/users/(?P<user>[^/]+)/messages/send$")
DRAFTS = re.compile(r"^(?:/upload)?/gmail/v1/users/(?P<user>[^/]+)/drafts(?:/(?P<id>[^/]+))?$")

_STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 503: "UNAVAILABLE"}
_REASON = {400: "invalidArgument", 403: "forbidden", 503: "backendError"}


def match(method: str, path: str) -> str | None:
    """The `{userId}` of a send request, or None when the request is not a send."""
    found = SEND_PATH.match(path.split("?", 1)[0])
    return found["user"] if method.upper() == "POST" and found else None


def _b64url(text: str) -> bytes:
    cleaned = "".join(text.split()).replace("+", "-").replace("/", "_")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ShapeError(f"'raw' is not base64url: {exc}") from exc


def _multipart(content_type: str, body: bytes) -> tuple[dict, bytes]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    container = email.message_from_bytes(head + body, policy=email.policy.compat32)
    meta: dict = {}
    for part in container.walk():
        if part.get_content_type() == "application/json":
            meta = json_object(part.get_payload(decode=True) or b"{}")
        elif part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            return meta, inner[0].as_bytes() if isinstance(inner, list) else part.get_payload(decode=True)
    raise ShapeError("multipart upload has no message/rfc822 part")


def _payload(path: str, content_type: str, body: bytes) -> tuple[dict, bytes | None]:
    """The JSON resource and, for uploads, the mail bytes, in any of the request's forms."""
    upload = (parse_qs(path.partition("?")[2]).get("uploadType") or [""])[0]
    if upload == "resumable":
        raise ShapeError("resumable uploads are not checked by replyguard; use uploadType=media or multipart")
    if upload == "media":
        return {}, body
    if upload == "multipart" or content_type.lower().startswith("multipart/"):
        return _multipart(content_type, body)
    return json_object(body), None


def outgoing(raw: bytes, user: str, thread: str) -> Outgoing:
    extra = {"api": "gmail", "threadId": thread} if thread else {"api": "gmail"}
    return Outgoing("raw", raw, envelope_of(raw, "addon:gmail", user, extra))


def read(path: str, content_type: str, body: bytes, timestamp: float) -> Outgoing:
    """The one mail a `messages.send` request sends; raises ShapeError when it cannot be read."""
    meta, raw = _payload(path, content_type, body)
    if raw is None:
        if not isinstance(meta.get("raw"), str):
            raise ShapeError("request has no 'raw' message (base64url RFC 5322)")
        raw = _b64url(meta["raw"])
    return outgoing(raw, match("POST", path) or "", str(meta.get("threadId") or ""))


def draft_call(method: str, path: str) -> tuple[str, str, str | None] | None:
    """(create|update|delete|send, userId, draft id) for a drafts request that changes or sends one."""
    found = DRAFTS.match(path.split("?", 1)[0])
    if found is None:
        return None
    verb, draft = method.upper(), found["id"]
    if draft == "send":
        return ("send", found["user"], None) if verb == "POST" else None
    if draft is None:
        return ("create", found["user"], None) if verb == "POST" else None
    return {"PUT": ("update", found["user"], draft), "DELETE": ("delete", found["user"], draft)}.get(verb)


def read_draft(path: str, content_type: str, body: bytes) -> tuple[str | None, bytes | None, str]:
    """(draft id, mail bytes, threadId) of a drafts create/update/send request; bytes are None
    when the request names a draft without giving its content (a plain `drafts.send`)."""
    meta, raw = _payload(path, content_type, body)
    message = meta.get("message") if isinstance(meta.get("message"), dict) else {}
    if raw is None and isinstance(message.get("raw"), str):
        raw = _b64url(message["raw"])
    return (str(meta["id"]) if meta.get("id") else None), raw, str(message.get("threadId") or "")


def error(status: int, text: str) -> dict:
    """Google's JSON error object (the shape googleapis client libraries raise from)."""
    return {
        "error": {
            "code": status,
            "message": text,
            "errors": [{"message": text, "domain": "global", "reason": _REASON.get(status, "forbidden")}],
            "status": _STATUS.get(status, "PERMISSION_DENIED"),
        }
    }
