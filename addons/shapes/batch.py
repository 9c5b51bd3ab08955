"""Unpack batch requests, so a send inside a batch is judged like a send on its own.

Google APIs take `multipart/mixed` batches (`POST /batch/gmail/v1`) whose parts are whole
`application/http` requests; Graph takes `POST /v1.0/$batch` with a JSON list of requests.
Without this, a client could put `messages.send` or `sendMail` into a batch and past the
guard. A batch is judged all or nothing, like one request: the guard reads every inner send;
if any is refused, the whole batch is answered by the proxy.
"""
from __future__ import annotations

import email
import email.policy
import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from addons.shapes import ShapeError

GOOGLE_BATCH = re.compile(r"^/batch(?:/gmail/v1)?$")
GRAPH_BATCH = re.compile(r"^/(?P<version>v1\.0|beta)/\$batch$", re.IGNORECASE)


@dataclass(frozen=True)
class Inner:
    """One request inside a batch; `key` is the batch's own id for it (Content-ID, Graph id)."""

    key: str
    method: str
    path: str
    content_type: str
    body: bytes


def is_google_batch(method: str, path: str) -> bool:
    return method.upper() == "POST" and bool(GOOGLE_BATCH.match(path.split("?", 1)[0]))


def is_graph_batch(method: str, path: str) -> bool:
    return method.upper() == "POST" and bool(GRAPH_BATCH.match(path.split("?", 1)[0]))


def _relative(target: str) -> str:
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def google(content_type: str, body: bytes) -> list[Inner]:
    """The requests of a Google `multipart/mixed` batch."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    container = email.message_from_bytes(head + body, policy=email.policy.compat32)
    if not container.is_multipart():
        raise ShapeError("batch body is not multipart/mixed")
    inner = []
    for number, part in enumerate(container.get_payload(), 1):
        if part.get_content_type() != "application/http":
            continue
        request_line, _, rest = (part.get_payload(decode=True) or b"").lstrip().partition(b"\n")
        words = request_line.decode("latin-1").split()
        if len(words) < 2:
            raise ShapeError(f"batch part {number} has no request line")
        request = email.message_from_bytes(rest, policy=email.policy.compat32)
        inner.append(Inner(str(part.get("Content-ID") or number).strip("<>"), words[0], _relative(words[1]),
                           request.get("Content-Type", ""), request.get_payload(decode=True) or b""))
    return inner


def graph(path: str, body: bytes) -> list[Inner]:
    """The requests of a Graph JSON batch, with paths made absolute under the batch's version."""
    version = GRAPH_BATCH.match(path.split("?", 1)[0])["version"]  # type: ignore[index]
    try:
        requests = json.loads(body)["requests"]
        inner = []
        for item in requests:
            url = _relative(str(item["url"]))
            url = url if re.match(r"^/(v1\.0|beta)/", url, re.IGNORECASE) else f"/{version}/{url.lstrip('/')}"
            headers = {str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()}
            content = item.get("body")
            raw = content.encode() if isinstance(content, str) else json.dumps(content).encode()
            inner.append(Inner(str(item["id"]), str(item["method"]), url, headers.get("content-type", ""), raw))
        return inner
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ShapeError(f"batch body is not a Graph JSON batch: {exc!r}") from exc
