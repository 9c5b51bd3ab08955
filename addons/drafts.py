"""Drafts saved through the proxy, remembered by the API's id, so a later send-by-id is checked.

Gmail (`drafts.send`), Graph (`messages/{id}/send`) and JMAP (`EmailSubmission/set` naming an
existing email) can send a draft saved earlier, with no content in the send request itself.
The guard notes what a save request carries (or, for Graph, what the server answers) and
files it under the id once the API has answered with success. A draft the proxy never saw
cannot be checked, and the guards refuse to send it: unchecked mail never leaves.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

from mitmproxy import http

REFUSED = ("rejected", "held", "unreadable", "tempfail")


class Drafts:
    """A bounded id -> content map (oldest forgotten first) plus the saves awaiting an answer."""

    def __init__(self, limit: int = 1000):
        self.limit = limit
        self.known: OrderedDict[str, Any] = OrderedDict()
        self.waiting: dict[str, list[Callable[[http.Response], None]]] = {}

    def get(self, draft_id: str | None) -> Any | None:
        return self.known.get(draft_id) if draft_id else None

    def remember(self, draft_id: str, content: Any) -> None:
        self.known[draft_id] = content
        self.known.move_to_end(draft_id)
        while len(self.known) > self.limit:
            self.known.popitem(last=False)

    def forget(self, draft_id: str | None) -> None:
        if draft_id:
            self.known.pop(draft_id, None)

    def on_success(self, flow: http.HTTPFlow, then: Callable[[http.Response], None]) -> None:
        """Run `then` with the API's answer if the request succeeds (and the proxy let it pass)."""
        self.waiting.setdefault(flow.id, []).append(then)

    def response(self, flow: http.HTTPFlow) -> None:
        waiting = self.waiting.pop(flow.id, [])
        if not waiting or flow.response is None or not 200 <= flow.response.status_code < 300:
            return
        if flow.metadata.get("replyguard", {}).get("outcome") in REFUSED:
            return
        for then in waiting:
            then(flow.response)

    def error(self, flow: http.HTTPFlow) -> None:
        self.waiting.pop(flow.id, None)
