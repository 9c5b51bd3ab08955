"""mitmproxy addon: the policy engine in front of the Gmail API's `users.messages.send`.

Gmail's request already holds the finished mail (base64url `raw`, or an upload), so the
addon only finds it, asks the Door, and on refusal answers with Google's JSON error object
(403 PERMISSION_DENIED with the findings; 400 when the request cannot be read), which the
googleapis client libraries and Gmail-based tools show to the agent.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from mitmproxy import http

from addons.door import Door, json_response, request_body
from addons.shapes import Outgoing, ShapeError, batch, gmail
from proxy.decision import Auditor, Decider, Holder


class GmailGuard:
    """Checks every Gmail API send; lets accepted ones through byte for byte."""

    def __init__(self, decider: Decider, holder: Holder | None = None, auditor: Auditor | None = None,
                 scope: Callable[[http.HTTPFlow], bool] | None = None):
        self.door = Door("addon:gmail", decider, holder, auditor, scope)

    def request(self, flow: http.HTTPFlow) -> None:
        method, path = flow.request.method, flow.request.path
        if not self.door.ours(flow) or (gmail.match(method, path) is None and not batch.is_google_batch(method, path)):
            return
        with self.door.failing_closed(flow):
            self._check(flow)

    def _check(self, flow: http.HTTPFlow) -> None:
        try:
            outgoing = self._read(flow)
        except ShapeError as exc:
            refusal = self.door.unreadable(exc)
        else:
            if not outgoing:
                return  # a batch without a send in it
            refusal = self.door.check(flow, outgoing)
        if refusal is not None:
            body = gmail.error(refusal.status, refusal.summary)
            self.door.refuse(flow, refusal, json_response(refusal.status, body, refusal.outcome))

    def _read(self, flow: http.HTTPFlow) -> list[Outgoing]:
        """The mails of a send request, or of every send inside a batch (keyed by the batch's ids)."""
        body, ctype, stamp = request_body(flow), flow.request.headers.get("content-type", ""), flow.request.timestamp_start
        if gmail.match(flow.request.method, flow.request.path) is not None:
            return [gmail.read(flow.request.path, ctype, body, stamp)]
        inner = [i for i in batch.google(ctype, body) if gmail.match(i.method, i.path) is not None]
        return [replace(gmail.read(i.path, i.content_type, i.body, stamp), key=i.key) for i in inner]

    def response(self, flow: http.HTTPFlow) -> None:
        self.door.response(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self.door.error(flow)

