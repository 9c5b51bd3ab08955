"""GraphGuard decisions through taddons/tflow: the JSON message becomes the mail the engine reads."""
from __future__ import annotations

import base64
import json

import pytest
from mitmproxy import http
from mitmproxy.test import taddons, tflow, tutils

from addon_doubles import ACCEPT, HOLD, REJECT, FixedDecider, MemoryAuditor, MemoryHolder, SubjectDecider, fixture_bytes
from addons.graph import GraphGuard


def graph_flow(body: dict | bytes, path: str = "/v1.0/me/sendMail", ctype: str = "application/json") -> http.HTTPFlow:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = tutils.treq(method=b"POST", host="graph.microsoft.com", port=443, scheme=b"https", path=path.encode(),
                      headers=http.Headers(content_type=ctype), content=content)
    return tflow.tflow(req=req)


def run(guard: GraphGuard, flow: http.HTTPFlow) -> http.HTTPFlow:
    with taddons.context(guard):
        guard.request(flow)
    return flow


def person(address: str, name: str = "") -> dict:
    return {"emailAddress": {"address": address, "name": name}}


SEND = {
    "message": {
        "subject": "Re: 注文した商品について",
        "body": {"contentType": "HTML", "content": "<p>佐藤様</p><p>お待たせしております。</p>"
                 "<blockquote><div>注文した商品が届きません。</div></blockquote><p>-- <br>山田 太郎</p>"},
        "from": person("yamada@support.example.co.jp", "山田 太郎"),
        "toRecipients": [person("hanako.sato@example.ne.jp", "佐藤 花子")],
        "ccRecipients": [person("team@support.example.co.jp")],
        "internetMessageHeaders": [{"name": "In-Reply-To", "value": "<order-42@example.ne.jp>"},
                                   {"name": "References", "value": "<order-41@example.ne.jp> <order-42@example.ne.jp>"}],
    },
    "saveToSentItems": True,
}


def test_send_mail_is_rebuilt_as_the_mime_message_it_stands_for() -> None:
    decider = FixedDecider(ACCEPT)
    run(GraphGuard(decider), graph_flow(SEND))
    (envelope, message), = decider.seen
    assert message.subject == "Re: 注文した商品について"
    assert b"=?utf-8?" in message.raw.split(b"\r\n\r\n")[0]           # encoded-words, not raw UTF-8 headers
    assert message.from_.name == "山田 太郎" and message.from_.addr == "yamada@support.example.co.jp"
    assert [a.addr for a in message.to] == ["hanako.sato@example.ne.jp"]
    assert message.in_reply_to == ("order-42@example.ne.jp",)
    assert message.references == ("order-41@example.ne.jp", "order-42@example.ne.jp")
    assert message.quotes == ("注文した商品が届きません。",)
    assert "佐藤様" in message.own_text and "山田 太郎" in message.own_text
    assert envelope.door == "addon:graph"
    assert envelope.rcpt_tos == ("hanako.sato@example.ne.jp", "team@support.example.co.jp")


@pytest.mark.parametrize("path, owner", [
    ("/v1.0/me/sendMail", None),
    ("/v1.0/users/yamada@support.example.co.jp/sendMail", "yamada@support.example.co.jp"),
    ("/beta/users/0f9c/sendmail", "0f9c"),
])
def test_text_body_and_owner_paths(path: str, owner: str | None) -> None:
    decider = FixedDecider(ACCEPT)
    body = {"message": {"subject": "Re: hi", "body": {"contentType": "Text", "content": "Hi Bob,\n> where?\n-- \nAnna"},
                        "toRecipients": [person("bob@example.org")]}}
    run(GraphGuard(decider), graph_flow(body, path))
    (envelope, message), = decider.seen
    assert message.text == "Hi Bob,\n> where?\n-- \nAnna\n"
    assert envelope.auth_user == owner
    assert envelope.mail_from == (owner if owner and "@" in owner else "")


@pytest.mark.parametrize("path, kind", [
    ("/v1.0/me/messages/AAMkAD=/reply", "reply"),
    ("/v1.0/me/mailFolders/inbox/messages/AAMkAD=/replyAll", "replyAll"),
])
def test_reply_checks_the_agents_comment_and_notes_the_graph_id(path: str, kind: str) -> None:
    decider = FixedDecider(ACCEPT)
    run(GraphGuard(decider), graph_flow({"comment": "Thank you, we are on it.\n-- \nAnna"}, path))
    (envelope, message), = decider.seen
    assert "we are on it" in message.own_text
    assert envelope.extra == {"api": "graph", "graph_reply_to": "AAMkAD="}


def test_mime_send_is_read_as_is() -> None:
    raw = fixture_bytes("reply-en-subject-changed.eml")
    decider = FixedDecider(ACCEPT)
    run(GraphGuard(decider), graph_flow(base64.b64encode(raw), ctype="text/plain"))
    (envelope, message), = decider.seen
    assert message.raw == raw
    assert envelope.rcpt_tos == ("bob@example.org", "carol@example.net", "audit@support.example.com")


@pytest.mark.parametrize("verdict, outcome, word", [(REJECT, "rejected", "[subject-changed]"),
                                                     (HOLD, "held", "hold id H1")])
def test_refusal_is_graphs_error_object(verdict, outcome, word) -> None:
    holder, auditor = MemoryHolder(), MemoryAuditor()
    flow = run(GraphGuard(FixedDecider(verdict), holder, auditor), graph_flow(SEND))
    assert flow.response.status_code == 403
    error = json.loads(flow.response.content)["error"]
    assert error["code"] == "ErrorMessageSubmissionBlocked" and word in error["message"]
    assert error["innerError"]["date"] == "1999-12-31T23:00:00"
    assert error["innerError"]["request-id"] == flow.id
    assert auditor.outcomes == [outcome] and len(holder.held) == (outcome == "held")


def test_decision_follows_the_content() -> None:
    decider = SubjectDecider()
    changed = json.loads(json.dumps(SEND))
    changed["message"]["subject"] = "ご連絡"
    assert run(GraphGuard(decider), graph_flow(SEND)).response is None
    assert run(GraphGuard(decider), graph_flow(changed)).response.status_code == 403


def test_accepted_send_passes_byte_identical() -> None:
    auditor = MemoryAuditor()
    guard = GraphGuard(FixedDecider(ACCEPT), None, auditor)
    flow = graph_flow(SEND)
    before = flow.request.content
    run(guard, flow)
    assert flow.response is None and flow.request.content == before
    flow.response = tutils.tresp(status_code=202, content=b"")
    guard.response(flow)
    assert auditor.outcomes == ["accepted"] and auditor.records[0]["reply"] == "HTTP 202 from upstream"


@pytest.mark.parametrize("path, body, fragment", [
    ("/v1.0/me/sendMail", b"{", "not JSON"),
    ("/v1.0/me/sendMail", b"{}", "no 'message'"),
    ("/v1.0/me/sendMail", b'{"message": {"toRecipients": [{"address": "x@y"}]}}', "bad recipient"),
])
def test_unreadable_request_is_refused_with_400(path: str, body: bytes, fragment: str) -> None:
    flow = run(GraphGuard(FixedDecider(ACCEPT)), graph_flow(body, path))
    error = json.loads(flow.response.content)["error"]
    assert flow.response.status_code == 400 and error["code"] == "ErrorInvalidRequest" and fragment in error["message"]


@pytest.mark.parametrize("method, path", [(b"GET", "/v1.0/me/sendMail"), (b"POST", "/v1.0/me/messages"),
                                          (b"POST", "/v1.0/me/messages/AAM=/createReply"), (b"PATCH", "/v1.0/me/messages/AAM="),
                                          (b"DELETE", "/v1.0/me/messages/AAM=")])
def test_other_graph_calls_pass_unjudged(method: bytes, path: str) -> None:
    decider = FixedDecider(REJECT)
    flow = graph_flow(SEND, path)
    flow.request.method = method.decode()
    run(GraphGuard(decider), flow)
    assert flow.response is None and decider.seen == []


@pytest.mark.parametrize("url", ["/me/sendMail", "me/sendMail", "https://graph.microsoft.com/v1.0/me/sendMail"])
def test_a_send_inside_a_json_batch_is_judged_and_refuses_the_batch(url: str) -> None:
    decider, auditor = FixedDecider(REJECT), MemoryAuditor()
    body = {"requests": [
        {"id": "1", "method": "GET", "url": "/me/messages?$top=1"},
        {"id": "2", "method": "POST", "url": url, "headers": {"Content-Type": "application/json"}, "body": SEND},
    ]}
    flow = run(GraphGuard(decider, None, auditor), graph_flow(body, "/v1.0/$batch"))
    (_, message), = decider.seen
    assert message.subject == "Re: 注文した商品について"
    assert flow.response.status_code == 403
    assert flow.metadata["replyguard"]["verdicts"].keys() == {"2"}
    assert auditor.outcomes == ["rejected"]


def test_a_graph_batch_without_a_send_passes_unjudged() -> None:
    decider = FixedDecider(REJECT)
    flow = run(GraphGuard(decider), graph_flow({"requests": [{"id": "1", "method": "GET", "url": "/me"}]}, "/v1.0/$batch"))
    assert flow.response is None and decider.seen == []


def test_an_unreadable_batch_is_refused() -> None:
    flow = run(GraphGuard(FixedDecider(ACCEPT)), graph_flow(b'{"requests": 5}', "/v1.0/$batch"))
    assert flow.response.status_code == 400


def answer(guard: GraphGuard, flow: http.HTTPFlow, content: dict | bytes, status: int = 201) -> None:
    flow.response = tutils.tresp(status_code=status, content=content if isinstance(content, bytes) else json.dumps(content).encode())
    guard.response(flow)


RESOURCE = {"id": "AAMkDraft=", **SEND["message"], "internetMessageId": "<x@outlook.com>"}


@pytest.mark.parametrize("save_path, method", [
    ("/v1.0/me/messages", b"POST"),
    ("/v1.0/me/messages/AAMkOrig=/createReply", b"POST"),
    ("/v1.0/me/messages/AAMkDraft=", b"PATCH"),
])
def test_saved_draft_is_checked_when_sent_by_id(save_path: str, method: bytes) -> None:
    decider = SubjectDecider()
    guard = GraphGuard(decider)
    save = graph_flow({"subject": "x"} if method == b"PATCH" else {}, save_path)
    save.request.method = method.decode()
    run(guard, save)
    assert save.response is None and decider.seen == []
    answer(guard, save, dict(RESOURCE, subject="全然別の件名"))
    sent = run(guard, graph_flow(b"", "/v1.0/me/messages/AAMkDraft=/send"))
    assert sent.response.status_code == 403
    (envelope, message), = decider.seen
    assert message.subject == "全然別の件名" and message.quotes == ("注文した商品が届きません。",)
    assert envelope.extra == {"api": "graph", "graph_draft": "AAMkDraft="}


def test_sent_draft_is_forgotten_and_unseen_drafts_are_refused() -> None:
    decider = FixedDecider(ACCEPT)
    guard = GraphGuard(decider)
    save = run(guard, graph_flow({}, "/v1.0/me/messages"))
    answer(guard, save, RESOURCE)
    sent = run(guard, graph_flow(b"", "/v1.0/me/messages/AAMkDraft=/send"))
    assert sent.response is None
    answer(guard, sent, b"", 202)
    again = run(guard, graph_flow(b"", "/v1.0/me/messages/AAMkDraft=/send"))
    error = json.loads(again.response.content)["error"]
    assert again.response.status_code == 400 and "not saved through replyguard" in error["message"]
