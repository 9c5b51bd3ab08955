"""GmailGuard decisions through mitmproxy's own test helpers (taddons, tflow): no sockets."""
from __future__ import annotations

import base64
import json

import pytest
from mitmproxy import http
from mitmproxy.test import taddons, tflow, tutils

from addons.gmail import GmailGuard
from addon_doubles import (ACCEPT, HOLD, REJECT, WARN, BrokenDecider, FixedDecider, MemoryAuditor,
                                   MemoryHolder, fixture_bytes)

JA = fixture_bytes("reply-iso2022jp.eml")
EN = fixture_bytes("reply-en-subject-changed.eml")


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def send_flow(body: bytes, path: str = "/gmail/v1/users/me/messages/send", ctype: str = "application/json",
              method: bytes = b"POST") -> http.HTTPFlow:
    headers = http.Headers(content_type=ctype)
    req = tutils.treq(method=method, host="gmail.googleapis.com", port=443, scheme=b"https",
                      path=path.encode(), headers=headers, content=body)
    return tflow.tflow(req=req)


def run(guard: GmailGuard, flow: http.HTTPFlow) -> http.HTTPFlow:
    with taddons.context(guard):
        guard.request(flow)
    return flow


@pytest.mark.parametrize("path, ctype, body", [
    ("/gmail/v1/users/me/messages/send", "application/json", json.dumps({"raw": b64url(JA), "threadId": "t1"}).encode()),
    ("/gmail/v1/users/yamada%40support.example.co.jp/messages/send", "application/json",
     json.dumps({"raw": base64.b64encode(JA).decode()}).encode()),
    ("/upload/gmail/v1/users/me/messages/send?uploadType=media", "message/rfc822", JA),
    ("/upload/gmail/v1/users/me/messages/send?uploadType=multipart", "multipart/related; boundary=XX",
     b"--XX\r\nContent-Type: application/json\r\n\r\n{\"threadId\": \"t1\"}\r\n--XX\r\n"
     b"Content-Type: message/rfc822\r\n\r\n" + JA + b"\r\n--XX--\r\n"),
])
def test_every_send_form_reaches_the_decider_as_the_same_mail(path: str, ctype: str, body: bytes) -> None:
    decider = FixedDecider(ACCEPT)
    flow = run(GmailGuard(decider), send_flow(body, path, ctype))
    assert flow.response is None
    (envelope, message), = decider.seen
    assert message.subject == "Re: 注文した商品について"
    assert message.in_reply_to == ("order-42@example.ne.jp",)
    assert envelope.door == "addon:gmail"
    assert envelope.mail_from == "yamada@support.example.co.jp"
    assert envelope.rcpt_tos == ("hanako.sato@example.ne.jp",)


def test_envelope_carries_cc_bcc_thread_and_user() -> None:
    decider = FixedDecider(ACCEPT)
    body = json.dumps({"raw": b64url(EN), "threadId": "18c"}).encode()
    run(GmailGuard(decider), send_flow(body, "/gmail/v1/users/anna%40support.example.com/messages/send"))
    (envelope, _), = decider.seen
    assert envelope.rcpt_tos == ("bob@example.org", "carol@example.net", "audit@support.example.com")
    assert envelope.extra == {"api": "gmail", "threadId": "18c"}
    assert envelope.auth_user == "anna%40support.example.com"


@pytest.mark.parametrize("method, path", [
    (b"GET", "/gmail/v1/users/me/messages/send"),
    (b"POST", "/gmail/v1/users/me/messages"),          # insert, not send
    (b"POST", "/gmail/v1/users/me/drafts"),
    (b"POST", "/v1.0/me/sendMail"),
])
def test_other_requests_are_not_judged(method: bytes, path: str) -> None:
    decider = FixedDecider(REJECT)
    flow = run(GmailGuard(decider), send_flow(b"{}", path, method=method))
    assert flow.response is None and decider.seen == [] and "replyguard" not in flow.metadata


@pytest.mark.parametrize("verdict, status, outcome, words", [
    (REJECT, 403, "rejected", ["送信できません", "[subject-changed]", "Keep the customer's subject."]),
    (HOLD, 403, "held", ["hold id H1", "[signature-missing]", "NOT been sent"]),
])
def test_refusal_answers_with_googles_error_object(verdict, status, outcome, words) -> None:
    holder, auditor = MemoryHolder(), MemoryAuditor()
    flow = run(GmailGuard(FixedDecider(verdict), holder, auditor), send_flow(json.dumps({"raw": b64url(JA)}).encode()))
    assert flow.response is not None and flow.response.status_code == status
    error = json.loads(flow.response.content)["error"]
    assert error["code"] == status and error["status"] == "PERMISSION_DENIED"
    assert error["errors"][0]["reason"] == "forbidden" and error["errors"][0]["message"] == error["message"]
    for word in words:
        assert word in error["message"]
    assert flow.response.headers["content-type"].startswith("application/json")
    assert flow.metadata["replyguard"]["outcome"] == outcome
    assert flow.metadata["replyguard"]["verdicts"]["raw"] == verdict.to_json()
    assert auditor.outcomes == [outcome]
    assert auditor.records[0]["reply"].startswith(f"HTTP {status}")
    assert auditor.records[0]["verdict"] is verdict
    assert [h[0] for h in holder.held] == ([JA] if outcome == "held" else [])


def test_hold_without_a_hold_queue_is_refused_not_sent() -> None:
    flow = run(GmailGuard(FixedDecider(HOLD)), send_flow(json.dumps({"raw": b64url(JA)}).encode()))
    assert flow.response.status_code == 403
    assert flow.metadata["replyguard"]["outcome"] == "rejected"


@pytest.mark.parametrize("verdict, outcome", [(ACCEPT, "accepted"), (WARN, "warned")])
def test_accepted_mail_passes_untouched_and_is_audited_with_the_apis_answer(verdict, outcome) -> None:
    auditor = MemoryAuditor()
    guard = GmailGuard(FixedDecider(verdict), None, auditor)
    body = json.dumps({"raw": b64url(JA)}).encode()
    flow = run(guard, send_flow(body))
    assert flow.response is None and flow.request.content == body
    assert auditor.records == []
    flow.response = tutils.tresp(status_code=200)
    guard.response(flow)
    assert auditor.outcomes == [outcome]
    assert auditor.records[0]["reply"] == "HTTP 200 from upstream"


def test_upstream_failure_is_audited_as_tempfail() -> None:
    auditor = MemoryAuditor()
    guard = GmailGuard(FixedDecider(ACCEPT), None, auditor)
    flow = run(guard, send_flow(json.dumps({"raw": b64url(JA)}).encode()))
    flow.error = tflow.terr()
    guard.error(flow)
    assert auditor.outcomes == ["tempfail"]


@pytest.mark.parametrize("path, body, fragment", [
    ("/gmail/v1/users/me/messages/send", b"not json", "not JSON"),
    ("/gmail/v1/users/me/messages/send", b'{"threadId": "t"}', "no 'raw'"),
    ("/gmail/v1/users/me/messages/send", b'{"raw": "%%%"}', "base64url"),
    ("/upload/gmail/v1/users/me/messages/send?uploadType=resumable", b'{}', "resumable"),
])
def test_unreadable_send_is_refused_with_400(path: str, body: bytes, fragment: str) -> None:
    decider, auditor = FixedDecider(ACCEPT), MemoryAuditor()
    flow = run(GmailGuard(decider, None, auditor), send_flow(body, path))
    assert flow.response.status_code == 400
    error = json.loads(flow.response.content)["error"]
    assert error["status"] == "INVALID_ARGUMENT" and fragment in error["message"]
    assert decider.seen == [] and auditor.outcomes == ["unreadable"]


def test_decider_failure_fails_closed_with_503() -> None:
    auditor = MemoryAuditor()
    flow = run(GmailGuard(BrokenDecider(), None, auditor), send_flow(json.dumps({"raw": b64url(JA)}).encode()))
    assert flow.response.status_code == 503
    assert json.loads(flow.response.content)["error"]["status"] == "UNAVAILABLE"
    assert auditor.outcomes == ["tempfail"]
    assert auditor.records[0]["envelope"].mail_from == "yamada@support.example.co.jp"


@pytest.mark.parametrize("prepare", [
    lambda f: setattr(f, "response", tutils.tresp(status_code=204)),
    lambda f: setattr(f, "error", tflow.terr()),
    lambda f: setattr(f, "live", False),
])
def test_flows_already_answered_or_dead_are_left_alone(prepare) -> None:
    decider = FixedDecider(REJECT)
    flow = send_flow(json.dumps({"raw": b64url(JA)}).encode())
    prepare(flow)
    before = flow.response
    run(GmailGuard(decider), flow)
    assert decider.seen == [] and flow.response is before


def batch_body(*parts: tuple[str, bytes]) -> bytes:
    out = b""
    for n, (line, body) in enumerate(parts, 1):
        out += (b"--BB\r\nContent-Type: application/http\r\nContent-ID: <item" + str(n).encode() + b">\r\n\r\n"
                + line.encode() + b"\r\nContent-Type: application/json\r\n\r\n" + body + b"\r\n")
    return out + b"--BB--\r\n"


@pytest.mark.parametrize("verdict, refused", [(ACCEPT, False), (REJECT, True)])
def test_a_send_inside_a_batch_is_judged_too(verdict, refused: bool) -> None:
    decider, auditor = FixedDecider(verdict), MemoryAuditor()
    body = batch_body(("GET /gmail/v1/users/me/labels HTTP/1.1", b""),
                      ("POST https://gmail.googleapis.com/gmail/v1/users/me/messages/send HTTP/1.1",
                       json.dumps({"raw": b64url(JA)}).encode()))
    flow = run(GmailGuard(decider, None, auditor), send_flow(body, "/batch/gmail/v1", "multipart/mixed; boundary=BB"))
    (_, message), = decider.seen
    assert message.subject == "Re: 注文した商品について"
    assert (flow.response is not None) is refused
    if refused:
        assert "[subject-changed]" in json.loads(flow.response.content)["error"]["message"]
        assert flow.metadata["replyguard"]["verdicts"].keys() == {"item2"}
        assert auditor.outcomes == ["rejected"]


def test_a_batch_without_a_send_is_not_judged() -> None:
    decider = FixedDecider(REJECT)
    body = batch_body(("GET /gmail/v1/users/me/labels HTTP/1.1", b""))
    flow = run(GmailGuard(decider), send_flow(body, "/batch/gmail/v1", "multipart/mixed; boundary=BB"))
    assert flow.response is None and decider.seen == []


def draft_flow(method: bytes, path: str, body: dict | None) -> http.HTTPFlow:
    return send_flow(json.dumps(body).encode() if body is not None else b"", path, method=method)


def answer(guard: GmailGuard, flow: http.HTTPFlow, content: dict, status: int = 200) -> None:
    flow.response = tutils.tresp(status_code=status, content=json.dumps(content).encode())
    guard.response(flow)


def test_draft_saved_through_the_proxy_is_checked_when_sent_by_id() -> None:
    decider = FixedDecider(REJECT)
    guard = GmailGuard(decider)
    save = run(guard, draft_flow(b"POST", "/gmail/v1/users/me/drafts", {"message": {"raw": b64url(EN)}}))
    assert save.response is None and decider.seen == []               # saving sends nothing
    answer(guard, save, {"id": "r-42", "message": {"id": "m1"}})
    sent = run(guard, draft_flow(b"POST", "/gmail/v1/users/me/drafts/send", {"id": "r-42"}))
    assert sent.response.status_code == 403
    (_, message), = decider.seen
    assert message.raw == EN


def test_updated_draft_is_checked_with_its_new_content() -> None:
    decider = FixedDecider(ACCEPT)
    guard = GmailGuard(decider)
    save = run(guard, draft_flow(b"POST", "/gmail/v1/users/me/drafts", {"message": {"raw": b64url(EN)}}))
    answer(guard, save, {"id": "r-1"})
    update = run(guard, draft_flow(b"PUT", "/gmail/v1/users/me/drafts/r-1", {"id": "r-1", "message": {"raw": b64url(JA)}}))
    answer(guard, update, {"id": "r-1"})
    sent = run(guard, draft_flow(b"POST", "/gmail/v1/users/me/drafts/send", {"id": "r-1"}))
    assert sent.response is None and decider.seen[0][1].raw == JA
    answer(guard, sent, {"id": "m9"})
    assert guard.drafts.get("r-1") is None                             # sent drafts are gone


def test_draft_send_with_content_is_checked_without_memory() -> None:
    decider = FixedDecider(REJECT)
    sent = run(GmailGuard(decider), draft_flow(b"POST", "/gmail/v1/users/me/drafts/send",
                                               {"id": "r-9", "message": {"raw": b64url(JA)}}))
    assert sent.response.status_code == 403 and decider.seen[0][1].raw == JA


@pytest.mark.parametrize("before", ["never saved", "deleted", "save refused by Gmail"])
def test_a_draft_the_proxy_has_not_seen_is_not_sent(before: str) -> None:
    decider = FixedDecider(ACCEPT)
    guard = GmailGuard(decider)
    if before != "never saved":
        save = run(guard, draft_flow(b"POST", "/gmail/v1/users/me/drafts", {"message": {"raw": b64url(EN)}}))
        answer(guard, save, {"id": "r-5"} if before == "deleted" else {"error": {}}, 200 if before == "deleted" else 400)
    if before == "deleted":
        run(guard, draft_flow(b"DELETE", "/gmail/v1/users/me/drafts/r-5", None))
    sent = run(guard, draft_flow(b"POST", "/gmail/v1/users/me/drafts/send", {"id": "r-5"}))
    assert sent.response.status_code == 400
    assert "not saved through replyguard" in json.loads(sent.response.content)["error"]["message"]
    assert decider.seen == []
