"""The `-s` script's options addon: policy and state dir in `configure`, errors as OptionsError,
and the real engine deciding through a guard (no sockets)."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from mitmproxy import exceptions, http
from mitmproxy.test import taddons, tflow, tutils

from addon_doubles import fixture_bytes
from addons.demo_webmail import remember_original
from addons.entry import ReplyguardOptions
from addons.gmail import GmailGuard
from proxy.audit import iter_records, verify
from proxy.decision import EnvelopeInfo
from proxy.message import parse


def gmail_flow(raw: bytes, host: str = "gmail.googleapis.com", port: int = 443) -> http.HTTPFlow:
    body = json.dumps({"raw": base64.urlsafe_b64encode(raw).decode()}).encode()
    req = tutils.treq(method=b"POST", host=host, port=port, scheme=b"https",
                      path=b"/gmail/v1/users/me/messages/send",
                      headers=http.Headers(content_type="application/json"), content=body)
    return tflow.tflow(req=req)


def test_bad_policy_is_an_options_error_with_file_line_column_and_rolls_back(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nlanguage: ja\nrules:\n  - id: no-such-rule\n    action: reject\n", encoding="utf-8")
    options = ReplyguardOptions()
    with taddons.context(options) as tctx:
        tctx.configure(options, replyguard_state_dir=str(tmp_path / "state"))
        with pytest.raises(exceptions.OptionsError, match=rf"{bad}:4:\d+: .*no-such-rule"):
            tctx.configure(options, replyguard_policy=str(bad))
        assert tctx.options.replyguard_policy == ""
        assert Path(options.engine.policy.path).name == "default.yaml"   # the working policy stays in force


def test_unconfigured_decider_refuses_to_guess() -> None:
    with pytest.raises(RuntimeError, match="no policy loaded"):
        ReplyguardOptions()(EnvelopeInfo("addon:gmail", "", ()), parse(b"Subject: x\r\n\r\n"))


@pytest.mark.parametrize("fixture, status, outcome", [
    ("demo-reply-clean.eml", None, "accepted"),
    ("demo-reply-subject-changed.eml", 403, "rejected"),
])
def test_real_engine_decides_through_the_guard(tmp_path: Path, fixture: str, status: int | None, outcome: str) -> None:
    state = tmp_path / "state"
    remember_original(state)
    options = ReplyguardOptions()
    guard = GmailGuard(options, options, options, options.in_scope)
    with taddons.context(options, guard) as tctx:
        tctx.configure(options, replyguard_state_dir=str(state))
        flow = gmail_flow(fixture_bytes(fixture))
        guard.request(flow)
        if status is None:
            assert flow.response is None
            flow.response = tutils.tresp(status_code=200)
            guard.response(flow)
        else:
            assert flow.response.status_code == status
            assert "[subject-changed]" in json.loads(flow.response.content)["error"]["message"]
    assert [r["outcome"] for r in iter_records(state / "audit")] == [outcome]
    assert verify(state / "audit").ok


@pytest.mark.parametrize("host, port, judged", [
    ("gmail.googleapis.com", 443, True),
    ("mail.example.org", 443, False),
    ("127.0.0.1", 8025, True),
    ("127.0.0.1", 8026, False),
])
def test_guards_judge_only_the_allowed_hosts(tmp_path: Path, host: str, port: int, judged: bool) -> None:
    remember_original(tmp_path)
    options = ReplyguardOptions()
    guard = GmailGuard(options, options, options, options.in_scope)
    with taddons.context(options, guard) as tctx:
        tctx.configure(options, replyguard_state_dir=str(tmp_path), allow_hosts=[r"^gmail\.googleapis\.com:[0-9]+$", r"^127\.0\.0\.1:8025$"])
        flow = gmail_flow(fixture_bytes("demo-reply-subject-changed.eml"), host, port)
        guard.request(flow)
    assert (flow.response is not None) is judged


def test_hold_goes_to_the_real_hold_queue_and_the_agent_gets_its_id(tmp_path: Path) -> None:
    default = Path(__file__).resolve().parents[2] / "policies" / "default.yaml"
    policy = tmp_path / "hold.yaml"
    policy.write_text(default.read_text(encoding="utf-8").replace("action: reject", "action: hold", 1), encoding="utf-8")
    state = tmp_path / "state"
    remember_original(state)
    options = ReplyguardOptions()
    guard = GmailGuard(options, options, options, options.in_scope)
    with taddons.context(options, guard) as tctx:
        tctx.configure(options, replyguard_state_dir=str(state), replyguard_policy=str(policy))
        flow = gmail_flow(fixture_bytes("demo-reply-subject-changed.eml"))
        guard.request(flow)
    hold_id = flow.metadata["replyguard"]["hold_ids"]["raw"]
    message = json.loads(flow.response.content)["error"]["message"]
    assert flow.response.status_code == 403 and f"hold id {hold_id}" in message and "NOT been sent" in message
    assert (state / "held" / f"{hold_id}.eml").read_bytes() == fixture_bytes("demo-reply-subject-changed.eml")
    assert [r["outcome"] for r in iter_records(state / "audit")] == ["held"]


def test_the_gateway_config_gives_policy_and_state_dir(tmp_path: Path) -> None:
    default = Path(__file__).resolve().parents[2] / "policies" / "default.yaml"
    (tmp_path / "team.yaml").write_text(default.read_text(encoding="utf-8"), encoding="utf-8")
    config = tmp_path / "gateway.yaml"
    config.write_text("state_dir: state\npolicy: team.yaml\n", encoding="utf-8")
    options = ReplyguardOptions()
    with taddons.context(options) as tctx:
        tctx.configure(options, replyguard_config=str(config))
    assert Path(options.engine.policy.path).resolve() == (tmp_path / "team.yaml").resolve()
    assert Path(options.quarantine.dir).resolve() == (tmp_path / "state" / "held").resolve()


def test_a_bad_gateway_config_is_an_options_error_with_its_location(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text("state_dir: [\n", encoding="utf-8")
    options = ReplyguardOptions()
    with taddons.context(options) as tctx:
        with pytest.raises(exceptions.OptionsError, match=rf"{config}:\d+:\d+"):
            tctx.configure(options, replyguard_config=str(config))
