"""mitmproxy addon: the policy engine in front of JMAP `EmailSubmission/set` (RFC 8620/8621).

JMAP has one API URL for everything, so a request is ours when its JSON creates an
EmailSubmission. The addon rebuilds each submitted Email (addons/shapes/jmap), asks the Door,
and on refusal answers like a JMAP server: HTTP 200 with a Response in which each
`EmailSubmission/set` create is `notCreated` with a `forbidden` SetError carrying the findings.
Emails created in earlier requests (saved drafts) are remembered from the server's
`Email/set` answers, so a later submission by id can be checked; anything unseen is refused.
"""
from __future__ import annotations

import json
from typing import Callable

from mitmproxy import http

from addons.door import Door, json_response, request_body
from addons.drafts import Drafts
from addons.shapes import ShapeError, jmap
from proxy.decision import Auditor, Decider, Holder

NOT_REQUEST = "urn:ietf:params:jmap:error:notRequest"


class JmapGuard:
    """Checks every JMAP submission; lets accepted requests through byte for byte."""

    def __init__(self, decider: Decider, holder: Holder | None = None, auditor: Auditor | None = None,
                 scope: Callable[[http.HTTPFlow], bool] | None = None):
        self.door = Door("addon:jmap", decider, holder, auditor, scope)
        self.drafts = Drafts()

    def request(self, flow: http.HTTPFlow) -> None:
        if not self.door.ours(flow) or flow.request.method != "POST":
            return
        with self.door.failing_closed(flow):
            self._check(flow)

    def _check(self, flow: http.HTTPFlow) -> None:
        try:
            body = request_body(flow)
        except ShapeError as exc:
            if "json" in flow.request.headers.get("content-type", "json").lower():
                # could be a submission we cannot read: refuse it as RFC 8620 §3.6.1 says
                refusal = self.door.unreadable(exc)
                problem = {"type": NOT_REQUEST, "status": 400, "detail": refusal.summary}
                self.door.refuse(flow, refusal, json_response(400, problem, refusal.outcome))
            return
        data = jmap.parse_request(body)
        if data is None:
            return
        self._forget_updated(data)
        if not jmap.submits(data):
            self._watch(flow, data)
            return
        try:
            outgoing = jmap.read(data, flow.request.timestamp_start, self.drafts.known)
        except ShapeError as exc:
            refusal = self.door.unreadable(exc)
            body_out = jmap.refusal(data, {}, refusal.summary, "invalidProperties")
        else:
            refusal = self.door.check(flow, outgoing)
            if refusal is None:
                self._watch(flow, data)
                return
            body_out = jmap.refusal(data, refusal.texts, refusal.summary)
        self.door.refuse(flow, refusal, json_response(200, body_out, refusal.outcome))

    def response(self, flow: http.HTTPFlow) -> None:
        self.door.response(flow)
        self.drafts.response(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self.door.error(flow)
        self.drafts.error(flow)

    def _watch(self, flow: http.HTTPFlow, data: dict) -> None:
        """Emails this request creates are filed under the ids the server gives them."""
        creates = jmap.email_creates(data)
        if not creates:
            return

        def remember(response: http.Response) -> None:
            for key, server_id in _created_ids(response.content or b"").items():
                if key in creates:
                    self.drafts.remember(server_id, creates[key])
        self.drafts.on_success(flow, remember)

    def _forget_updated(self, data: dict) -> None:
        """An email changed after we saw it is no longer the one we know: forget it."""
        for name, args, _ in data["methodCalls"]:
            if name == "Email/set" and isinstance(args, dict):
                for server_id in list(args.get("update") or ()) + list(args.get("destroy") or ()):
                    self.drafts.forget(server_id)


def _created_ids(content: bytes) -> dict[str, str]:
    """Creation id -> server id from the `Email/set` answers of a JMAP response."""
    try:
        data = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    found: dict[str, str] = {}
    for item in data.get("methodResponses", []) if isinstance(data, dict) else []:
        if isinstance(item, list) and len(item) == 3 and item[0] == "Email/set" and isinstance(item[1], dict):
            for key, created in (item[1].get("created") or {}).items():
                if isinstance(created, dict) and "id" in created:
                    found[key] = str(created["id"])
    return found
