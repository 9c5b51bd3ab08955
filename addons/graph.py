"""mitmproxy addon: the policy engine in front of Microsoft Graph `sendMail` and `reply`.

Graph clients (Outlook add-ins, integrations, scripts, SDK-based apps) send JSON, so the
addon rebuilds the RFC 5322 mail (addons/shapes/graph), asks the Door, and on refusal answers
with Graph's error object (403 `ErrorMessageSubmissionBlocked` with the findings; 400
`ErrorInvalidRequest` when the request cannot be read), the shape the Graph SDKs and the
apps built on them show. Drafts saved through the
proxy are remembered so `messages/{id}/send` is checked too; sends inside `$batch` are judged.
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Callable

from mitmproxy import http

from addons.door import Door, request_body
from addons.drafts import Drafts
from addons.shapes import Outgoing, ShapeError, batch, graph
from proxy.decision import Auditor, Decider, Holder


class GraphGuard:
    """Checks every Graph send and reply; lets accepted ones through byte for byte."""

    def __init__(self, decider: Decider, holder: Holder | None = None, auditor: Auditor | None = None,
                 scope: Callable[[http.HTTPFlow], bool] | None = None):
        self.door = Door("addon:graph", decider, holder, auditor, scope)
        self.drafts = Drafts()

    def request(self, flow: http.HTTPFlow) -> None:
        method, path = flow.request.method, flow.request.path
        if not self.door.ours(flow):
            return
        if graph.match(method, path) is None and not batch.is_graph_batch(method, path) \
                and graph.draft_call(method, path) is None:
            return
        self.door.judge(flow, self._read, lambda refusal: graph.error(refusal.status, refusal.summary,
                                                                      flow.request.timestamp_start, flow.id))

    def _read(self, flow: http.HTTPFlow) -> list[Outgoing]:
        """The mails a request sends: a send or reply, a draft send, or every send inside a batch."""
        body, ctype = request_body(flow), flow.request.headers.get("content-type", "")
        if batch.is_graph_batch(flow.request.method, flow.request.path):
            inner = batch.graph(flow.request.path, body)
            return [replace(o, key=i.key) for i in inner
                    for o in self._sends(flow, i.method, i.path, i.content_type, i.body, batched=True)]
        return self._sends(flow, flow.request.method, flow.request.path, ctype, body)

    def _sends(self, flow: http.HTTPFlow, method: str, path: str, ctype: str, body: bytes,
               batched: bool = False) -> list[Outgoing]:
        if graph.match(method, path) is not None:
            return [graph.read(path, ctype, body, flow.request.timestamp_start)]
        call = graph.draft_call(method, path)
        if call is None:
            return []
        verb, owner, draft_id = call
        if verb != "send":  # a save or delete: keep what Graph answers (batch answers: not read)
            self.drafts.forget(draft_id)
            if verb == "save" and not batched:
                self.drafts.on_success(flow, self._remember)
            return []
        resource = self.drafts.get(draft_id)
        if resource is None:
            raise ShapeError(f"draft {draft_id!r} was not saved through replyguard, so it cannot be checked; "
                             "send with sendMail or reply, or save the draft again through the proxy")
        self.drafts.on_success(flow, lambda _: self.drafts.forget(draft_id))
        return [graph.from_resource(resource, owner, flow.request.timestamp_start)]

    def _remember(self, response: http.Response) -> None:
        """Graph answers a save with the whole message resource: that is what a send would send."""
        try:
            resource = json.loads(response.content or b"")
        except (UnicodeDecodeError, json.JSONDecodeError):
            return
        if isinstance(resource, dict) and resource.get("id"):
            self.drafts.remember(str(resource["id"]), resource)

    def response(self, flow: http.HTTPFlow) -> None:
        self.door.response(flow)
        self.drafts.response(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self.door.error(flow)
        self.drafts.error(flow)
