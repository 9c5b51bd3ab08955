"""JmapGuard decisions through taddons/tflow: back-references, saved drafts, RFC 8621 refusals."""
from __future__ import annotations

import copy
import json

import pytest
from mitmproxy import http
from mitmproxy.flow import Error
from mitmproxy.test import taddons, tflow, tutils

from addon_doubles import ACCEPT, HOLD, REJECT, FixedDecider, MemoryAuditor, MemoryHolder, SubjectDecider
from addons.jmap import JmapGuard

USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail", "urn:ietf:params:jmap:submission"]


def email(subject: str = "Re: 注文した商品について", **more) -> dict:
    return {
        "mailboxIds": {"drafts": True}, "keywords": {"$draft": True},
        "from": [{"name": "山田 太郎", "email": "yamada@support.example.co.jp"}],
        "to": [{"name": "佐藤 花子", "email": "hanako.sato@example.ne.jp"}],
        "subject": subject,
        "inReplyTo": ["order-42@example.ne.jp"], "references": ["order-42@example.ne.jp"],
        "bodyValues": {"t": {"value": "佐藤様\n\n> 注文した商品が届きません。\n\n-- \n山田 太郎\n"}},
        "textBody": [{"partId": "t", "type": "text/plain"}],
        **more,
    }


def send_request(emails: dict[str, dict], submissions: dict[str, dict]) -> dict:
    return {"using": USING, "methodCalls": [
        ["Email/set", {"accountId": "u1", "create": emails}, "0"],
        ["EmailSubmission/set", {"accountId": "u1", "create": submissions,
                                 "onSuccessUpdateEmail": {f"#{k}": {"keywords/$draft": None} for k in submissions}}, "1"],
    ]}


def jmap_flow(body: dict) -> http.HTTPFlow:
    req = tutils.treq(method=b"POST", host="jmap.example.com", port=443, scheme=b"https", path=b"/jmap/api/",
                      headers=http.Headers(content_type="application/json"), content=json.dumps(body).encode())
    return tflow.tflow(req=req)


def run(guard: JmapGuard, flow: http.HTTPFlow) -> http.HTTPFlow:
    with taddons.context(guard):
        guard.request(flow)
    return flow


ONE = send_request({"k1": email()}, {"s1": {"emailId": "#k1", "identityId": "id1"}})


def test_back_referenced_email_is_rebuilt_and_judged() -> None:
    decider = FixedDecider(ACCEPT)
    assert run(JmapGuard(decider), jmap_flow(ONE)).response is None
    (envelope, message), = decider.seen
    assert message.subject == "Re: 注文した商品について"
    assert message.in_reply_to == ("order-42@example.ne.jp",)
    assert message.quotes == ("注文した商品が届きません。",)
    assert envelope.door == "addon:jmap" and envelope.mail_from == "yamada@support.example.co.jp"
    assert envelope.rcpt_tos == ("hanako.sato@example.ne.jp",)
    assert envelope.extra == {"api": "jmap", "accountId": "u1", "identityId": "id1"}


@pytest.mark.parametrize("submission, the_email", [
    ({"#emailId": {"resultOf": "0", "name": "Email/set", "path": "/created/k1/id"}}, email()),
    ({"emailId": "#k1", "envelope": {"mailFrom": {"email": "bounce@support.example.co.jp"},
                                     "rcptTo": [{"email": "hanako.sato@example.ne.jp"}, {"email": "boss@example.ne.jp"}]}},
     email()),
    ({"emailId": "#k1"}, {k: v for k, v in email(**{"header:In-Reply-To": "<order-42@example.ne.jp>"}).items()
                          if k != "inReplyTo"}),
    ({"emailId": "#k1"}, {k: v for k, v in email(htmlBody=[{"partId": "h", "type": "text/html"}],
                                                 bodyValues={"h": {"value": "<p>佐藤様</p><blockquote>注文した商品が届きません。</blockquote>"}}).items()
                          if k != "textBody"}),
])
def test_reference_forms_envelopes_and_body_forms(submission: dict, the_email: dict) -> None:
    decider = FixedDecider(ACCEPT)
    run(JmapGuard(decider), jmap_flow(send_request({"k1": the_email}, {"s1": submission})))
    (envelope, message), = decider.seen
    assert message.in_reply_to == ("order-42@example.ne.jp",)
    assert message.quotes == ("注文した商品が届きません。",)
    given = submission.get("envelope")
    if given:
        assert envelope.mail_from == "bounce@support.example.co.jp"
        assert envelope.rcpt_tos == ("hanako.sato@example.ne.jp", "boss@example.ne.jp")


@pytest.mark.parametrize("verdict, outcome, word", [(REJECT, "rejected", "[subject-changed]"),
                                                     (HOLD, "held", "hold id H1")])
def test_refusal_is_an_rfc8621_forbidden_set_error(verdict, outcome, word) -> None:
    holder, auditor = MemoryHolder(), MemoryAuditor()
    flow = run(JmapGuard(FixedDecider(verdict), holder, auditor), jmap_flow(ONE))
    assert flow.response.status_code == 200
    answer = json.loads(flow.response.content)
    (set_name, set_args, set_id), (sub_name, sub_args, sub_id) = answer["methodResponses"]
    assert (set_name, set_id, sub_name, sub_id) == ("Email/set", "0", "EmailSubmission/set", "1")
    error = sub_args["notCreated"]["s1"]
    assert error["type"] == "forbidden" and word in error["description"]
    assert set_args["notCreated"]["k1"]["type"] == "forbidden"
    assert sub_args["created"] is None and sub_args["accountId"] == "u1"
    assert "sessionState" in answer
    assert auditor.outcomes == [outcome] and len(holder.held) == (outcome == "held")


def test_one_bad_submission_refuses_the_whole_request_and_says_which() -> None:
    body = send_request({"k1": email(), "k2": email("全然別の件名")},
                        {"s1": {"emailId": "#k1"}, "s2": {"emailId": "#k2"}})
    auditor = MemoryAuditor()
    flow = run(JmapGuard(SubjectDecider(), None, auditor), jmap_flow(body))
    sub = json.loads(flow.response.content)["methodResponses"][1][1]["notCreated"]
    assert "[subject-changed]" in sub["s2"]["description"]
    assert "not sent" in sub["s1"]["description"] and "[subject-changed]" not in sub["s1"]["description"]
    assert flow.metadata["replyguard"]["verdicts"]["s1"]["action"] == "accept"
    assert flow.metadata["replyguard"]["verdicts"]["s2"]["action"] == "reject"
    assert auditor.outcomes == ["rejected", "rejected"]


def test_saved_draft_submitted_later_by_id_is_checked() -> None:
    decider = SubjectDecider()
    guard = JmapGuard(decider)
    save = {"using": USING, "methodCalls": [["Email/set", {"accountId": "u1", "create": {"d": email("別件")}}, "0"]]}
    flow = run(guard, jmap_flow(save))
    assert flow.response is None and decider.seen == []          # saving a draft sends nothing
    flow.response = tutils.tresp(content=json.dumps({"methodResponses": [
        ["Email/set", {"accountId": "u1", "created": {"d": {"id": "M77", "blobId": "B1"}}}, "0"]],
        "sessionState": "s"}).encode())
    guard.response(flow)
    later = {"using": USING, "methodCalls": [["EmailSubmission/set", {"accountId": "u1", "create": {"s": {"emailId": "M77"}}}, "0"]]}
    refused = run(guard, jmap_flow(later))
    assert "[subject-changed]" in json.loads(refused.response.content)["methodResponses"][0][1]["notCreated"]["s"]["description"]


@pytest.mark.parametrize("body, fragment", [
    ({"using": USING, "methodCalls": [["EmailSubmission/set", {"accountId": "u1", "create": {"s": {"emailId": "M1"}}}, "0"]]},
     "not created through replyguard"),
    (send_request({"k1": email()}, {"s1": {"emailId": "#k9"}}), "does not create"),
    (send_request({"k1": {k: v for k, v in email().items() if k != "bodyValues"}}, {"s1": {"emailId": "#k1"}}),
     "no bodyValues"),
])
def test_unseen_or_unreadable_email_is_refused(body: dict, fragment: str) -> None:
    decider, auditor = FixedDecider(ACCEPT), MemoryAuditor()
    flow = run(JmapGuard(decider, None, auditor), jmap_flow(body))
    responses = json.loads(flow.response.content)["methodResponses"]
    sub = next(args for name, args, _ in responses if name == "EmailSubmission/set")
    assert fragment in sub["notCreated"]["s" if "s" in sub["notCreated"] else "s1"]["description"]
    assert decider.seen == [] and auditor.outcomes == ["unreadable"]


def test_edited_draft_is_forgotten() -> None:
    guard = JmapGuard(FixedDecider(ACCEPT))
    guard.drafts.remember("M77", email())
    run(guard, jmap_flow({"using": USING, "methodCalls": [["Email/set", {"accountId": "u1", "update": {"M77": {"subject": "x"}}}, "0"]]}))
    assert guard.drafts.get("M77") is None


@pytest.mark.parametrize("content", [b"not json", b'{"foo": 1}', json.dumps({"using": USING, "methodCalls": [
    ["Mailbox/get", {"accountId": "u1"}, "0"]]}).encode()])
def test_non_submissions_pass_unjudged(content: bytes) -> None:
    decider = FixedDecider(REJECT)
    flow = jmap_flow({})
    flow.request.content = content
    run(JmapGuard(decider), flow)
    assert flow.response is None and decider.seen == []


def test_accepted_submission_passes_byte_identical_and_is_audited() -> None:
    auditor = MemoryAuditor()
    guard = JmapGuard(FixedDecider(ACCEPT), None, auditor)
    flow = jmap_flow(copy.deepcopy(ONE))
    before = flow.request.content
    run(guard, flow)
    assert flow.response is None and flow.request.content == before
    flow.response = tutils.tresp(content=b'{"methodResponses": [], "sessionState": "s"}')
    guard.response(flow)
    assert auditor.outcomes == ["accepted"]


def test_a_bug_while_checking_kills_the_flow_instead_of_letting_it_pass() -> None:
    body = {"using": USING, "methodCalls": [["EmailSubmission/set", {"accountId": "u1", "create": {"s1": "not an object"}}, "0"]]}
    flow = run(JmapGuard(FixedDecider(ACCEPT)), jmap_flow(body))
    assert flow.response is None and flow.error is not None and flow.error.msg == Error.KILLED_MESSAGE


def test_an_undecodable_json_body_is_refused_as_not_a_request() -> None:
    flow = jmap_flow(ONE)
    flow.request.headers["content-encoding"] = "x-unknown"
    auditor = MemoryAuditor()
    run(JmapGuard(FixedDecider(ACCEPT), None, auditor), flow)
    problem = json.loads(flow.response.content)
    assert flow.response.status_code == 400 and problem["type"] == "urn:ietf:params:jmap:error:notRequest"
    assert auditor.outcomes == ["unreadable"]
