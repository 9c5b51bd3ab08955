"""mitmproxy addon: the policy engine in front of the Gmail API's `users.messages.send`.

Gmail's request already holds the finished mail (base64url `raw`, or an upload), so the
addon only finds it, asks the Door, and on refusal answers with Google's JSON error object
(403 PERMISSION_DENIED with the findings; 400 when the request cannot be read), which the
googleapis client libraries and Gmail-based tools show to the agent.
"""
from __future__ import annotations

from typing import Callable

from mitmproxy import http

from addons.door import Door, json_response, request_body
from addons.shapes import ShapeError, gmail
from proxy.decision import Auditor, Decider, Holder


class GmailGuard:
    """Checks every Gmail API send; lets accepted ones through byte for byte."""

    def __init__(self, decider: Decider, holder: Holder | None = None, auditor: Auditor | None = None,
                 scope: Callable[[http.HTTPFlow], bool] | None = None):
        self.door = Door("addon:gmail", decider, holder, auditor, scope)

    def request(self, flow: http.HTTPFlow) -> None:
        if not self.door.ours(flow) or gmail.match(flow.request.method, flow.request.path) is None:
            return
        with self.door.failing_closed(flow):
            self._check(flow)

    def _check(self, flow: http.HTTPFlow) -> None:
        try:
            outgoing = gmail.read(flow.request.path, flow.request.headers.get("content-type", ""),
                                  request_body(flow), flow.request.timestamp_start)
        except ShapeError as exc:
            refusal = self.door.unreadable(exc)
        else:
            refusal = self.door.check(flow, [outgoing])
        if refusal is not None:
            body = gmail.error(refusal.status, refusal.summary)
            self.door.refuse(flow, refusal, json_response(refusal.status, body, refusal.outcome))

    def response(self, flow: http.HTTPFlow) -> None:
        self.door.response(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self.door.error(flow)

