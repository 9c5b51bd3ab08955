"""End to end: a real mitmdump started by `replyguard addons`, httpx sending through it to the
demo webmail (a local server that records what reaches it), the real engine and default policy.

Rule-breaking Gmail-, Graph- and JMAP-shaped sends are refused by the proxy with each API's
own error shape and never reach the server; clean ones arrive byte-identical; a host outside
the configured API hosts is not judged at all.
"""
from __future__ import annotations

import base64
import json
import subprocess
import sys

import httpx
import pytest

from addon_doubles import fixture_bytes
from addon_gateway import Gateway
from addons.demo_page import AGENT, CUSTOMER, ORIGINAL_ID, REPLY_BODY, SUBJECT
from addons.demo_webmail import DemoWebmail

CHANGED = "Re: お問い合わせの件"


def gmail(subject_changed: bool) -> tuple[str, bytes, str]:
    raw = fixture_bytes("demo-reply-subject-changed.eml" if subject_changed else "demo-reply-clean.eml")
    body = json.dumps({"raw": base64.urlsafe_b64encode(raw).decode().rstrip("="), "threadId": "t1"}).encode()
    return "/gmail/v1/users/me/messages/send", body, "application/json"


def graph(subject_changed: bool) -> tuple[str, bytes, str]:
    message = {
        "subject": CHANGED if subject_changed else f"Re: {SUBJECT}",
        "body": {"contentType": "Text", "content": REPLY_BODY},
        "from": {"emailAddress": {"name": AGENT["name"], "address": AGENT["email"]}},
        "toRecipients": [{"emailAddress": {"name": CUSTOMER["name"], "address": CUSTOMER["email"]}}],
        "internetMessageHeaders": [{"name": "In-Reply-To", "value": f"<{ORIGINAL_ID}>"}],
    }
    return "/v1.0/me/sendMail", json.dumps({"message": message, "saveToSentItems": True}, ensure_ascii=False).encode(), \
        "application/json"


def jmap(subject_changed: bool) -> tuple[str, bytes, str]:
    email = {"from": [AGENT], "to": [CUSTOMER], "subject": CHANGED if subject_changed else f"Re: {SUBJECT}",
             "inReplyTo": [ORIGINAL_ID], "references": [ORIGINAL_ID], "mailboxIds": {"sent": True},
             "bodyValues": {"b": {"value": REPLY_BODY}}, "textBody": [{"partId": "b", "type": "text/plain"}]}
    request = {"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail", "urn:ietf:params:jmap:submission"],
               "methodCalls": [["Email/set", {"accountId": "demo", "create": {"k1": email}}, "0"],
                               ["EmailSubmission/set", {"accountId": "demo", "create": {"s1": {"emailId": "#k1"}}}, "1"]]}
    return "/jmap/api/", json.dumps(request, ensure_ascii=False).encode(), "application/json"


def post(gw: Gateway, server: DemoWebmail, shape: tuple[str, bytes, str], verify: bool | str = True) -> httpx.Response:
    path, body, ctype = shape
    with httpx.Client(proxy=gw.proxy, trust_env=False, timeout=30, verify=verify) as client:
        return client.post(server.url + path, content=body, headers={"Content-Type": ctype})


def arrived(server: DemoWebmail, body: bytes) -> bool:
    return any(r.body == body for r in server.records)


def refusal_text(api: str, response: httpx.Response) -> str:
    if api == "gmail":
        error = response.json()["error"]
        assert (response.status_code, error["code"], error["status"]) == (403, 403, "PERMISSION_DENIED")
        assert error["errors"][0]["reason"] == "forbidden"
        return error["message"]
    if api == "graph":
        error = response.json()["error"]
        assert (response.status_code, error["code"]) == (403, "ErrorMessageSubmissionBlocked")
        assert set(error["innerError"]) >= {"date", "request-id"}
        return error["message"]
    assert response.status_code == 200
    sub = next(args for name, args, _ in response.json()["methodResponses"] if name == "EmailSubmission/set")
    assert sub["created"] is None and sub["notCreated"]["s1"]["type"] == "forbidden"
    return sub["notCreated"]["s1"]["description"]


SHAPES = {"gmail": gmail, "graph": graph, "jmap": jmap}


@pytest.mark.parametrize("api", SHAPES)
def test_rule_breaking_send_is_refused_in_the_apis_own_shape(gateway: Gateway, api: str) -> None:
    shape = SHAPES[api](subject_changed=True)
    response = post(gateway, gateway.api, shape)
    text = refusal_text(api, response)
    assert "[subject-changed]" in text and "食洗機の洗剤について" in text
    assert response.headers["x-replyguard"] == "rejected"
    assert not arrived(gateway.api, shape[1])


@pytest.mark.parametrize("api, status", [("gmail", 200), ("graph", 202), ("jmap", 200)])
def test_clean_send_arrives_byte_identical(gateway: Gateway, api: str, status: int) -> None:
    shape = SHAPES[api](subject_changed=False)
    response = post(gateway, gateway.api, shape)
    assert response.status_code == status and "x-replyguard" not in response.headers
    got = [r for r in gateway.api.records if r.body == shape[1]]
    assert len(got) == 1 and got[0].path == shape[0]


def test_hosts_outside_the_api_list_are_not_judged(gateway: Gateway) -> None:
    shape = jmap(subject_changed=True)
    response = post(gateway, gateway.other, shape)
    assert response.status_code == 200 and "x-replyguard" not in response.headers
    assert arrived(gateway.other, shape[1])


def test_every_decision_is_in_the_compliance_log(gateway: Gateway) -> None:
    for api in SHAPES:  # one refused and one accepted send per API, whatever ran before
        post(gateway, gateway.api, SHAPES[api](subject_changed=True))
        post(gateway, gateway.api, SHAPES[api](subject_changed=False))
    verify = subprocess.run([sys.executable, "-m", "proxy", "audit", "verify", "--state-dir", str(gateway.state)],
                            capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    from proxy.audit import iter_records
    doors = {(r["door"], r["outcome"]) for r in iter_records(gateway.state / "audit")}
    for api in SHAPES:
        assert {(f"addon:{api}", "rejected"), (f"addon:{api}", "accepted")} <= doors


def gmail_draft(subject_changed: bool) -> tuple[str, bytes, str]:
    raw = fixture_bytes("demo-reply-subject-changed.eml" if subject_changed else "demo-reply-clean.eml")
    return "/gmail/v1/users/me/drafts", json.dumps({"message": {"raw": base64.urlsafe_b64encode(raw).decode()}}).encode(), \
        "application/json"


def graph_draft(subject_changed: bool) -> tuple[str, bytes, str]:
    _, body, ctype = graph(subject_changed)
    return "/v1.0/me/messages", json.dumps(json.loads(body)["message"], ensure_ascii=False).encode(), ctype


@pytest.mark.parametrize("save, send_path, send_body", [
    (gmail_draft, "/gmail/v1/users/me/drafts/send", lambda draft_id: json.dumps({"id": draft_id}).encode()),
    (graph_draft, "/v1.0/me/messages/{id}/send", lambda draft_id: b""),
])
@pytest.mark.parametrize("subject_changed", [True, False])
def test_a_draft_saved_then_sent_by_id_is_judged(gateway: Gateway, save, send_path: str, send_body,
                                                 subject_changed: bool) -> None:
    saved = post(gateway, gateway.api, save(subject_changed))
    assert saved.status_code in (200, 201)                      # saving a draft sends nothing: it passes
    draft_id = saved.json()["id"]
    path = send_path.format(id=draft_id)
    response = post(gateway, gateway.api, (path, send_body(draft_id), "application/json"))
    reached = any(r.path == path for r in gateway.api.records)
    if subject_changed:
        assert response.status_code == 403 and "[subject-changed]" in response.json()["error"]["message"]
        assert not reached
    else:
        assert response.status_code in (200, 202) and reached


@pytest.mark.parametrize("api", SHAPES)
def test_https_api_host_is_intercepted_with_replyguards_own_ca(gateway: Gateway, api: str) -> None:
    shape = SHAPES[api](subject_changed=True)
    response = post(gateway, gateway.api_tls, shape, verify=str(gateway.ca_cert))   # trusts only replyguard's CA
    assert "[subject-changed]" in refusal_text(api, response)
    assert not arrived(gateway.api_tls, shape[1])
    clean = SHAPES[api](subject_changed=False)
    assert post(gateway, gateway.api_tls, clean, verify=str(gateway.ca_cert)).status_code in (200, 202)
    assert arrived(gateway.api_tls, clean[1])


def test_https_to_other_hosts_is_tunnelled_untouched(gateway: Gateway) -> None:
    shape = jmap(subject_changed=True)
    # trusting only the server's own certificate: this works only if the proxy does not intercept
    response = post(gateway, gateway.other_tls, shape, verify=str(gateway.server_cert))
    assert response.status_code == 200 and "x-replyguard" not in response.headers
    assert arrived(gateway.other_tls, shape[1])
    with pytest.raises(httpx.ConnectError):          # and replyguard's CA did not sign what it saw
        post(gateway, gateway.other_tls, shape, verify=str(gateway.ca_cert))
