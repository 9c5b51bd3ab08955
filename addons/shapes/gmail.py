"""Gmail API `users.messages.send`: find the RFC 5322 bytes in the request, shape its errors.

The request already carries the finished mail, so nothing is rebuilt: the JSON form has it
base64url-encoded in `raw` (with an optional `threadId`); the upload form sends it as the body
(`uploadType=media`) or as the `message/rfc822` part of a `multipart/related` body
(`uploadType=multipart`). A resumable upload sends the bytes later to another URL, so it is
refused with a hint instead of passing unchecked.
"""
from __future__ import annotations

import base64
import binascii
import email
import email.policy
import json
import re
from urllib.parse import parse_qs

from addons.shapes import Outgoing, ShapeError, envelope_of

SEND_PATH = re.compile(r"^(?P<upload>/upload)?/gmail/v1/users/(?P<user>[^/]+)/messages/send$")

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


def _json_raw(body: bytes) -> tuple[bytes, str]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ShapeError(f"request body is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("raw"), str):
        raise ShapeError("request has no 'raw' message (base64url RFC 5322)")
    return _b64url(data["raw"]), str(data.get("threadId") or "")


def _multipart_raw(content_type: str, body: bytes) -> tuple[bytes, str]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    container = email.message_from_bytes(head + body, policy=email.policy.compat32)
    thread = ""
    for part in container.walk():
        if part.get_content_type() == "application/json":
            meta = json.loads(part.get_payload(decode=True) or b"{}")
            thread = str(meta.get("threadId") or "") if isinstance(meta, dict) else ""
        elif part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            raw = inner[0].as_bytes() if isinstance(inner, list) else part.get_payload(decode=True)
            return raw, thread
    raise ShapeError("multipart upload has no message/rfc822 part")


def read(path: str, content_type: str, body: bytes, timestamp: float) -> Outgoing:
    """The one mail a send request sends; raises ShapeError when it cannot be read."""
    user = match("POST", path) or ""
    query = parse_qs(path.partition("?")[2])
    upload = (query.get("uploadType") or [""])[0]
    if upload == "resumable":
        raise ShapeError("resumable uploads are not checked by replyguard; use uploadType=media or multipart")
    if upload == "media":
        raw, thread = body, ""
    elif upload == "multipart" or content_type.lower().startswith("multipart/"):
        raw, thread = _multipart_raw(content_type, body)
    else:
        raw, thread = _json_raw(body)
    extra = {"api": "gmail", "threadId": thread} if thread else {"api": "gmail"}
    return Outgoing("raw", raw, envelope_of(raw, "addon:gmail", user, extra))


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
