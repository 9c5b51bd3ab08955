"""The engine as Mailman's chain-as-data: rules say what they saw, the policy says what happens."""
from __future__ import annotations

import types
from datetime import datetime, timezone

import pytest

from proxy.decision import EnvelopeInfo
from proxy.message import parse
from proxy.policy.engine import ORIGINAL_NOT_FOUND, Engine, Loaded, evaluate, reference_order
from proxy.policy.loader import PolicyError, compile_policy
from proxy.policy.model import Context, Hit
from proxy.policy.reload import PolicyWatcher
from proxy.policy.verdict import Action

FIXED = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


def fake_rule(rule_id: str, needs_original: bool = False, hits: int = 1):
    """A rule module that fires `hits` times and records the settings and context it saw."""
    calls: list = []

    def check(message, context, settings):
        calls.append((message, context, settings))
        return [Hit(evidence=f"ev-{rule_id}-{i}", where="body",
                    detail={"ja": f"詳細{i}", "en": f"detail {i}"}) for i in range(hits)]

    return types.SimpleNamespace(ID=rule_id, DESCRIPTION="", NEEDS_ORIGINAL=needs_original, check=check, calls=calls)


def registry(**overrides):
    rules = {
        "subject-changed": fake_rule("subject-changed", needs_original=True),
        "quote-altered": fake_rule("quote-altered", needs_original=True, hits=0),
        "signature-missing": fake_rule("signature-missing", hits=0),
        "other-customer-data": fake_rule("other-customer-data", hits=0),
        "apology-missing": fake_rule("apology-missing", needs_original=True, hits=0),
    }
    rules.update(overrides)
    return rules


def entry(rule_id: str, action: str, extra: str = "") -> str:
    return (f"  - id: {rule_id}\n    action: {action}\n"
            f"    message: {{ja: {rule_id}のメッセージ, en: {rule_id} message}}\n{extra}")


def policy_text(*entries: str, head: str = "") -> str:
    return f"version: 1\nlanguage: ja\n{head}rules:\n" + "".join(entries)


def compile_(text: str, reg):
    return compile_policy(text.encode(), "t.yaml", registry=reg)


REPLY = parse(
    b"From: Agent <agent@support.example.jp>\nTo: c@example.com\nSubject: Re: x\n"
    b"Message-ID: <r1@support.example.jp>\nIn-Reply-To: <o1@example.com>\n"
    b"References: <o0@example.com> <o1@example.com>\n\nbody\n"
)
ORIGINAL = parse(b"From: c@example.com\nSubject: x\nMessage-ID: <o1@example.com>\n\nhello\n")


def ctx(original=ORIGINAL):
    return Context(original=original, customers=None, complaint=None, now=FIXED)


def test_hits_become_findings_with_action_and_bilingual_message():
    reg = registry(**{"quote-altered": fake_rule("quote-altered", needs_original=True, hits=2)})
    policy = compile_(policy_text(entry("subject-changed", "warn"), entry("quote-altered", "hold")), reg)
    verdict = evaluate(REPLY, ctx(), policy)
    assert verdict.action is Action.HOLD
    assert [(f.rule, f.action) for f in verdict.findings] == [
        ("subject-changed", Action.WARN), ("quote-altered", Action.HOLD), ("quote-altered", Action.HOLD)]
    first = verdict.findings[0]
    assert first.message == "subject-changedのメッセージ 詳細0"
    assert first.message_en == "subject-changed message detail 0"
    assert first.evidence == "ev-subject-changed-0" and first.where == "body"
    assert verdict.rules_run == ("subject-changed", "quote-altered")
    assert verdict.policy_version == policy.version
    assert verdict.to_json()["action"] == "hold"


def test_off_never_runs_and_no_hits_is_accept():
    reg = registry()
    policy = compile_(policy_text(entry("subject-changed", '"off"'), entry("signature-missing", "reject")), reg)
    verdict = evaluate(REPLY, ctx(), policy)
    assert verdict.action is Action.ACCEPT and verdict.findings == ()
    assert reg["subject-changed"].calls == []
    assert verdict.rules_run == ("signature-missing",)


def test_rule_gets_its_settings_and_the_context():
    reg = registry()
    policy = compile_(policy_text(entry("signature-missing", "reject",
                                        "    settings: {required_lines: [ACME Corp]}\n")), reg)
    evaluate(REPLY, ctx(), policy)
    message, context, settings = reg["signature-missing"].calls[0]
    assert message is REPLY and context.now == FIXED and context.original is ORIGINAL
    assert settings["required_lines"] == ("ACME Corp",)


@pytest.mark.parametrize("sender, expected", [
    ("new@trainee.example.jp", Action.WARN),
    ("boss@support.example.jp", None),          # off for this group: the rule does not even run
    ("other@support.example.jp", Action.REJECT),
])
def test_sender_group_overrides(sender, expected):
    reg = registry()
    head = "groups:\n  trainees: [trainee.example.jp]\n  leads: {addresses: [boss@support.example.jp]}\n"
    rule = entry("subject-changed", "reject", "    groups: {trainees: warn, leads: \"off\"}\n")
    policy = compile_(policy_text(rule, head=head), reg)
    verdict = evaluate(REPLY, ctx(), policy, sender=sender)
    assert [f.action for f in verdict.findings] == ([expected] if expected else [])


def test_sender_defaults_to_from_header():
    reg = registry()
    head = "groups:\n  agents: [support.example.jp]\n"
    policy = compile_(policy_text(entry("subject-changed", "reject", "    groups: {agents: warn}\n"), head=head), reg)
    assert evaluate(REPLY, ctx(), policy).action is Action.WARN


def test_rule_shadow_mode_reports_but_does_not_decide():
    reg = registry(**{"signature-missing": fake_rule("signature-missing")})
    policy = compile_(policy_text(entry("subject-changed", "reject", "    mode: shadow\n"),
                                  entry("signature-missing", "warn")), reg)
    verdict = evaluate(REPLY, ctx(), policy)
    assert verdict.action is Action.WARN
    assert [f.rule for f in verdict.shadow] == ["subject-changed"]
    assert [f.rule for f in verdict.findings] == ["signature-missing"]


def test_policy_shadow_mode_accepts_everything():
    reg = registry()
    policy = compile_(policy_text(entry("subject-changed", "reject"), head="mode: shadow\n"), reg)
    verdict = evaluate(REPLY, ctx(), policy)
    assert verdict.action is Action.ACCEPT and verdict.findings == ()
    assert [f.rule for f in verdict.shadow] == ["subject-changed"]


@pytest.mark.parametrize("no_original, action", [("warn", Action.WARN), ("hold", Action.HOLD)])
def test_no_original_skips_dependent_rules_and_notes_why(no_original, action):
    reg = registry(**{"signature-missing": fake_rule("signature-missing", hits=0)})
    policy = compile_(policy_text(entry("subject-changed", "reject"), entry("signature-missing", "reject"),
                                  head=f"no_original: {no_original}\n"), reg)
    verdict = evaluate(REPLY, ctx(original=None), policy)
    assert reg["subject-changed"].calls == []
    assert verdict.rules_run == ("signature-missing",)
    assert [(f.rule, f.action) for f in verdict.findings] == [(ORIGINAL_NOT_FOUND, action)]
    note = verdict.findings[0]
    assert "subject-changed" in note.message and "o1@example.com" in note.evidence
    assert note.message_en.startswith("The mail this replies to was not found")


def test_no_note_when_no_rule_needs_the_original():
    reg = registry()
    policy = compile_(policy_text(entry("signature-missing", "reject")), reg)
    assert evaluate(REPLY, ctx(original=None), policy).findings == ()


def test_delay_only_on_mail_that_goes_out():
    reg = registry()
    quiet = compile_(policy_text(entry("signature-missing", "reject"), head="delay: 2m\n"), reg)
    assert evaluate(REPLY, ctx(), quiet).delay_seconds == 120
    loud = compile_(policy_text(entry("subject-changed", "reject"), head="delay: 2m\n"), reg)
    assert evaluate(REPLY, ctx(), loud).delay_seconds == 0


def test_english_policy_uses_english_text():
    reg = registry()
    policy = compile_(policy_text(entry("subject-changed", "reject")).replace("language: ja", "language: en"), reg)
    assert evaluate(REPLY, ctx(), policy).findings[0].message == "subject-changed message detail 0"


def test_reference_order_in_reply_to_then_references_newest_first():
    assert reference_order(REPLY) == ("o1@example.com", "o0@example.com")


class DictStore:
    def __init__(self, originals):
        self.originals = originals
        self.asked: list = []

    def find_original(self, ids):
        self.asked.append(tuple(ids))
        return next((self.originals[i] for i in ids if i in self.originals), None)

    def find_by_correspondent(self, addresses, subject):
        return None


def test_engine_decide_finds_original_in_store_and_classifies_it():
    reg = registry()
    policy = compile_(policy_text(entry("subject-changed", "reject")), reg)
    store = DictStore({"o0@example.com": ORIGINAL.raw})
    seen = []
    engine = Engine(Loaded(policy, customers="INDEX"), store=store, clock=lambda: FIXED,
                    classify=lambda m: seen.append(m) or "complaint!")
    envelope = EnvelopeInfo(door="submission", mail_from="agent@support.example.jp", rcpt_tos=("c@example.com",))
    verdict = engine(envelope, REPLY)
    assert verdict.action is Action.REJECT
    assert store.asked == [("o1@example.com", "o0@example.com")]
    _, context, _ = reg["subject-changed"].calls[0]
    assert context.original.message_id == "o1@example.com"
    assert context.customers == "INDEX" and context.complaint == "complaint!" and context.now == FIXED
    assert seen[0].message_id == "o1@example.com"


def test_engine_without_store_notes_missing_original():
    reg = registry()
    policy = compile_(policy_text(entry("subject-changed", "reject")), reg)
    engine = Engine(Loaded(policy), clock=lambda: FIXED, classify=lambda m: None)
    envelope = EnvelopeInfo(door="check", mail_from="", rcpt_tos=())
    assert [f.rule for f in engine.decide(envelope, REPLY).findings] == [ORIGINAL_NOT_FOUND]


def test_reload_swaps_atomically_and_keeps_old_policy_on_error():
    reg = registry()
    good = compile_(policy_text(entry("subject-changed", "reject")), reg)
    newer = compile_(policy_text(entry("subject-changed", "warn")), reg)
    results = [Loaded(newer), PolicyError(["t.yaml:3:1: broken"])]

    def source():
        result = results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    engine = Engine(Loaded(good), source=source, clock=lambda: FIXED, classify=lambda m: None)
    assert engine.reload() is None
    assert engine.policy is newer
    assert engine.reload() == "t.yaml:3:1: broken"
    assert engine.policy is newer


def test_policy_watcher_reloads_on_change_and_reports_broken_file(tmp_path, monkeypatch):
    from proxy.policy import reload as reload_mod

    path = tmp_path / "p.yaml"
    reg = registry()
    path.write_text(policy_text(entry("subject-changed", "reject")))
    monkeypatch.setattr("proxy.policy.loader.default_registry", lambda: reg)
    engine = reload_mod.open_engine(path, clock=lambda: FIXED, classify=lambda m: None)
    errors: list[str] = []
    watcher = PolicyWatcher(engine, on_error=errors.append)
    assert watcher.poll() is False
    path.write_text(policy_text(entry("subject-changed", "warn")) + "# longer\n")
    assert watcher.poll() is True
    assert engine.policy.rule("subject-changed").action is Action.WARN
    version = engine.policy.version
    path.write_text("version: 1\nlanguage: xx\nrules: []\n# broken, and a different size\n")
    assert watcher.poll() is False
    assert engine.policy.version == version
    assert errors and f"{path}:2:11: bad language 'xx'" in errors[0]
    assert watcher.reload() is False  # SIGHUP with the file still broken


def test_gateway_engine_over_state_dir(tmp_path):
    import asyncio

    from proxy.message import parse as parse_mail
    from proxy.policy.reload import gateway_engine, watch_policy
    from proxy.store import SQLiteStore

    root = __import__("pathlib").Path(__file__).parents[2]
    case = root / "policies" / "tests" / "subject-changed-ja-generic"
    store = SQLiteStore(tmp_path / "replyguard.db")
    raw = (case / "original.eml").read_bytes()
    store.add_original(raw, parse_mail(raw), category="question", received_at=FIXED)
    engine, watcher = gateway_engine(root / "policies" / "default.yaml", tmp_path, clock=lambda: FIXED)
    reply = parse_mail((case / "reply.eml").read_bytes())
    envelope = EnvelopeInfo(door="submission", mail_from="yamamoto@sakura.example.jp", rcpt_tos=("hanako.sato@example.jp",))
    verdict = engine(envelope, reply)
    assert verdict.action is Action.REJECT and [f.rule for f in verdict.findings] == ["subject-changed"]

    async def briefly():
        stop = asyncio.Event()
        task = asyncio.create_task(watch_policy(watcher, interval=0.01, stop=stop))
        await asyncio.sleep(0.05)
        stop.set()
        await task

    asyncio.run(briefly())


def test_without_classifier_the_stored_category_is_used(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "proxy.inbound.classify", None)   # import fails
    reg = registry()
    policy = compile_(policy_text(entry("subject-changed", "reject")), reg)

    class CategoryStore(DictStore):
        def category(self, message_id):
            return {"o1@example.com": "complaint"}.get(message_id)

    engine = Engine(Loaded(policy), store=CategoryStore({"o1@example.com": ORIGINAL.raw}), clock=lambda: FIXED)
    engine.decide(EnvelopeInfo(door="submission", mail_from="", rcpt_tos=()), REPLY)
    _, context, _ = reg["subject-changed"].calls[0]
    assert context.complaint == "complaint"


def test_customers_from_several_sources_are_deduplicated():
    from proxy.policy.reload import unique_customers

    a = {"name": "佐藤 花子", "email": "Hanako@example.jp", "phone": "", "customer_id": "K-1"}
    b = {"name": "佐藤 花子", "email": "hanako@example.jp", "phone": "090", "customer_id": "K-1"}
    c = {"name": "No Id", "email": "x@example.jp", "phone": "", "customer_id": ""}
    d = {"name": "No Id", "email": "X@example.jp", "phone": "", "customer_id": ""}
    assert unique_customers([a, b, c, d, {"name": "", "email": "", "customer_id": ""}]) == [a, c]


def test_original_found_by_quoted_header_block_when_references_are_gone(tmp_path):
    """A client that drops In-Reply-To/References: the Outlook block's 差出人 and 件名 still lead
    to the original, so a replaced subject is caught instead of passing as 'original not found'."""
    from pathlib import Path

    from proxy.policy.reload import open_engine
    from proxy.store import SQLiteStore

    case = Path(__file__).parents[2] / "policies" / "tests" / "quote-altered-ja-outlook-block-ok"
    store = SQLiteStore(tmp_path / "replyguard.db")
    original = (case / "original.eml").read_bytes()
    store.add_original(original, parse(original), category="question", received_at=FIXED)
    raw = (case / "reply.eml").read_bytes()
    head, sep, body = raw.partition(b"\r\n\r\n")
    lines = [l for l in head.split(b"\r\n") if not l.startswith((b"In-Reply-To:", b"References:", b"Subject:", b" "))]
    lines.append("Subject: お問い合わせの件".encode())   # raw UTF-8 header, as some clients send
    reply = parse(b"\r\n".join(lines) + sep + body)
    assert reply.in_reply_to == () and reply.references == ()
    engine = open_engine(store=store, clock=lambda: FIXED)
    assert engine.find_original(reply) is not None
    verdict = engine.decide(EnvelopeInfo(door="submission", mail_from="", rcpt_tos=()), reply)
    assert [f.rule for f in verdict.findings] == ["subject-changed"]


def test_missing_original_for_shadow_rules_only_is_a_shadow_note():
    reg = registry()
    policy = compile_(policy_text(entry("subject-changed", "reject", "    mode: shadow\n")), reg)
    verdict = evaluate(REPLY, ctx(original=None), policy)
    assert verdict.action is Action.ACCEPT and verdict.findings == ()
    assert [f.rule for f in verdict.shadow] == [ORIGINAL_NOT_FOUND]


def test_same_thread_answered_again_reads_parses_and_classifies_the_original_once():
    reg = registry()
    policy = compile_(policy_text(entry("subject-changed", "reject")), reg)
    store = DictStore({"o1@example.com": ORIGINAL.raw})
    seen = []
    engine = Engine(Loaded(policy), store=store, clock=lambda: FIXED,
                    classify=lambda m: seen.append(m) or "complaint")
    envelope = EnvelopeInfo(door="submission", mail_from="agent@support.example.jp", rcpt_tos=())
    first = engine.decide(envelope, REPLY)
    second = engine.decide(envelope, REPLY)
    assert first.action is second.action is Action.REJECT
    assert len(store.asked) == 1 and len(seen) == 1
    contexts = [call[1] for call in reg["subject-changed"].calls]
    assert contexts[0].original is contexts[1].original and contexts[1].complaint == "complaint"


def test_original_cache_hits_only_on_the_first_reference():
    """A cached later reference proves nothing: an earlier one (In-Reply-To) may have been stored
    since, and the store would answer with that one."""
    reg = registry()
    policy = compile_(policy_text(entry("subject-changed", "reject")), reg)
    store = DictStore({"o1@example.com": ORIGINAL.raw})
    engine = Engine(Loaded(policy), store=store, clock=lambda: FIXED, classify=lambda m: None)
    envelope = EnvelopeInfo(door="submission", mail_from="", rcpt_tos=())
    engine.decide(envelope, REPLY)                                   # caches o1
    later = parse(REPLY.raw.replace(b"In-Reply-To: <o1@example.com>", b"In-Reply-To: <new@example.com>"))
    assert reference_order(later)[0] == "new@example.com"
    engine.decide(envelope, later)
    assert store.asked[-1][0] == "new@example.com"


def test_original_cache_is_bounded_and_keeps_the_recently_used():
    from proxy.policy.engine import OriginalCache

    cache = OriginalCache(size=2)
    cache.put("a", (ORIGINAL, None))
    cache.put("b", (ORIGINAL, None))
    assert cache.get("a") is not None          # a is now the most recent
    cache.put("c", (ORIGINAL, None))
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
