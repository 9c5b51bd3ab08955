"""mitmproxy addon: the policy engine in front of Microsoft Graph `sendMail` and `reply`.

Outlook on the web and Graph clients send JSON, so the addon rebuilds the RFC 5322 mail
(addons/shapes/graph), asks the Door, and on refusal answers with Graph's error object
(403 `ErrorMessageSubmissionBlocked` with the findings; 400 `ErrorInvalidRequest` when the
request cannot be read), the shape Outlook and the Graph SDKs show.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from mitmproxy import http

from addons.door import Door, json_response, request_body
from addons.shapes import Outgoing, ShapeError, batch, graph
from proxy.decision import Auditor, Decider, Holder


class GraphGuard:
    """Checks every Graph send and reply; lets accepted ones through byte for byte."""

    def __init__(self, decider: Decider, holder: Holder | None = None, auditor: Auditor | None = None,
                 scope: Callable[[http.HTTPFlow], bool] | None = None):
        self.door = Door("addon:graph", decider, holder, auditor, scope)

    def request(self, flow: http.HTTPFlow) -> None:
        method, path = flow.request.method, flow.request.path
        if not self.door.ours(flow) or (graph.match(method, path) is None and not batch.is_graph_batch(method, path)):
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
            body = graph.error(refusal.status, refusal.summary, flow.request.timestamp_start, flow.id)
            self.door.refuse(flow, refusal, json_response(refusal.status, body, refusal.outcome))

    def _read(self, flow: http.HTTPFlow) -> list[Outgoing]:
        """The mails of a send request, or of every send inside a batch (keyed by the batch's ids)."""
        body, ctype, stamp = request_body(flow), flow.request.headers.get("content-type", ""), flow.request.timestamp_start
        if graph.match(flow.request.method, flow.request.path) is not None:
            return [graph.read(flow.request.path, ctype, body, stamp)]
        inner = [i for i in batch.graph(flow.request.path, body) if graph.match(i.method, i.path) is not None]
        return [replace(graph.read(i.path, i.content_type, i.body, stamp), key=i.key) for i in inner]

    def response(self, flow: http.HTTPFlow) -> None:
        self.door.response(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self.door.error(flow)
