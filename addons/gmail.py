"""mitmproxy addon: the policy engine in front of the Gmail API's `messages.send` and `drafts.send`.

Gmail's request already holds the finished mail (base64url `raw`, or an upload), so the
addon only finds it, asks the Door, and on refusal answers with Google's JSON error object
(403 PERMISSION_DENIED with the findings; 400 when the request cannot be read), which the
googleapis client libraries and Gmail-based tools show to the agent. Drafts saved through the
proxy are remembered so `drafts.send` by id is checked too; sends inside a batch are judged.
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Callable

from mitmproxy import http

from addons.door import Door, request_body
from addons.drafts import Drafts
from addons.shapes import Outgoing, ShapeError, batch, gmail
from proxy.decision import Auditor, Decider, Holder


class GmailGuard:
    """Checks every Gmail API send; lets accepted ones through byte for byte."""

    def __init__(self, decider: Decider, holder: Holder | None = None, auditor: Auditor | None = None,
                 scope: Callable[[http.HTTPFlow], bool] | None = None):
        self.door = Door("addon:gmail", decider, holder, auditor, scope)
        self.drafts = Drafts()

    def request(self, flow: http.HTTPFlow) -> None:
        method, path = flow.request.method, flow.request.path
        if not self.door.ours(flow):
            return
        if gmail.match(method, path) is None and not batch.is_google_batch(method, path) \
                and gmail.draft_call(method, path) is None:
            return
        self.door.judge(flow, self._read, lambda refusal: gmail.error(refusal.status, refusal.summary))

    def _read(self, flow: http.HTTPFlow) -> list[Outgoing]:
        """The mails a request sends: a send, a draft send, or every send inside a batch."""
        body, ctype, stamp = request_body(flow), flow.request.headers.get("content-type", ""), flow.request.timestamp_start
        if batch.is_google_batch(flow.request.method, flow.request.path):
            inner = batch.google(ctype, body)
            return [replace(o, key=i.key) for i in inner
                    for o in self._sends(flow, i.method, i.path, i.content_type, i.body, batched=True)]
        return self._sends(flow, flow.request.method, flow.request.path, ctype, body)

    def _sends(self, flow: http.HTTPFlow, method: str, path: str, ctype: str, body: bytes,
               batched: bool = False) -> list[Outgoing]:
        if gmail.match(method, path) is not None:
            return [gmail.read(path, ctype, body, flow.request.timestamp_start)]
        call = gmail.draft_call(method, path)
        if call is None:
            return []
        verb, user, draft_id = call
        if verb == "delete":
            self.drafts.forget(draft_id)
            return []
        found_id, raw, thread = gmail.read_draft(path, ctype, body)
        draft_id = draft_id or found_id
        if verb != "send":  # a save: remember what it holds once Gmail has it (batch answers: not read)
            self.drafts.forget(draft_id)
            if not batched:
                self._remember_on_success(flow, draft_id, raw)
            return []
        raw = raw if raw is not None else self.drafts.get(draft_id)
        if raw is None:
            raise ShapeError(f"draft {draft_id!r} was not saved through replyguard, so it cannot be checked; "
                             "send it with its content (message.raw) or save it again through the proxy")
        self.drafts.on_success(flow, lambda _: self.drafts.forget(draft_id))
        return [gmail.outgoing(raw, user, thread)]

    def _remember_on_success(self, flow: http.HTTPFlow, draft_id: str | None, raw: bytes | None) -> None:
        def remember(response: http.Response) -> None:
            saved_id = draft_id or _json_id(response.content)
            if saved_id and raw is not None:
                self.drafts.remember(saved_id, raw)
        self.drafts.on_success(flow, remember)

    def response(self, flow: http.HTTPFlow) -> None:
        self.door.response(flow)
        self.drafts.response(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self.door.error(flow)
        self.drafts.error(flow)


def _json_id(content: bytes | None) -> str | None:
    """The `id` of the resource an API answered with (a saved draft), if any."""
    try:
        data = json.loads(content or b"")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return str(data["id"]) if isinstance(data, dict) and data.get("id") else None

