"""The decision: run the policy's enabled rules over one reply, give each hit its action, decide once.

Mailman's chain as data: rules only say what they saw (`Hit`), the policy says what happens
(per rule, per sender group), and the strongest action wins (accept < warn < hold < reject).
Pure: no file, socket or clock — the door hands in the original, the customers, the
classifier and `now`. `Engine` is the long-lived object a door holds; it keeps the compiled
policy and customer index and swaps them atomically on reload.
"""
from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable

from proxy.decision import EnvelopeInfo
from proxy.message import ParsedMessage, parse
from proxy.policy.loader import Policy, PolicyError, RulePolicy
from proxy.policy.model import Context, Hit
from proxy.policy.verdict import Action, Finding, Verdict

log = logging.getLogger(__name__)

ORIGINAL_NOT_FOUND = "original-not-found"

_NO_ORIGINAL_TEXT = {
    "ja": "返信元のメールが見つからないため、元メールと照合するルール（{rules}）は確認できませんでした。"
          "In-Reply-To / References を残したまま返信してください。",
    "en": "The mail this replies to was not found, so the rules that compare with it ({rules}) "
          "could not run. Reply with In-Reply-To/References intact.",
}


def _action_for(policy: Policy, rule: RulePolicy, sender: str | None) -> Action | None:
    """The first sender group the sender belongs to decides; otherwise the rule's own action."""
    if sender:
        for name, action in rule.group_actions:
            group = policy.groups.get(name)
            if group is not None and group.matches(sender):
                return action
    return rule.action


def _text(rule: RulePolicy, hit: Hit, lang: str) -> str:
    head = rule.message.get(lang) or rule.message.get("en", "")
    detail = hit.detail.get(lang) or hit.detail.get("en") or next(iter(hit.detail.values()), "")
    return f"{head} {detail}".strip() if detail else head


def evaluate(
    message: ParsedMessage,
    context: Context,
    policy: Policy,
    *,
    sender: str | None = None,
) -> Verdict:
    """Run every enabled rule; findings get the policy's action and message; shadow findings are
    reported in `Verdict.shadow` without counting toward the action."""
    if sender is None and message.from_ is not None:
        sender = message.from_.addr
    findings: list[Finding] = []
    shadow: list[Finding] = []
    ran: list[str] = []
    skipped: list[str] = []
    skipped_enforced = False
    for rule in policy.rules:
        action = _action_for(policy, rule, sender)
        if action is None:
            continue  # off: never runs
        if rule.module.NEEDS_ORIGINAL and context.original is None:
            skipped.append(rule.id)
            skipped_enforced = skipped_enforced or not (policy.shadow or rule.shadow)
            continue
        ran.append(rule.id)
        hits = rule.module.check(message, context, rule.settings)
        target = shadow if (policy.shadow or rule.shadow) else findings
        for hit in hits:
            target.append(Finding(
                rule=rule.id,
                action=action,
                message=_text(rule, hit, policy.language),
                evidence=hit.evidence,
                where=hit.where,
                message_en=_text(rule, hit, "en"),
            ))
    if skipped:
        names = ", ".join(skipped)
        note = Finding(
            rule=ORIGINAL_NOT_FOUND,
            action=policy.no_original,
            message=_NO_ORIGINAL_TEXT[policy.language].format(rules=names),
            evidence=" ".join(message.in_reply_to or message.references) or "(no In-Reply-To/References)",
            where="In-Reply-To/References",
            message_en=_NO_ORIGINAL_TEXT["en"].format(rules=names),
        )
        # The note decides only if an enforced rule could not run; for shadow rules it is a shadow note.
        (findings if skipped_enforced else shadow).append(note)
    verdict = Verdict.from_findings(findings, tuple(ran), policy.version, tuple(shadow))
    if verdict.action <= Action.WARN and policy.delay_seconds:
        verdict = replace(verdict, delay_seconds=policy.delay_seconds)
    return verdict


def reference_order(message: ParsedMessage) -> tuple[str, ...]:
    """Message-IDs to look the original up by: In-Reply-To first, then References newest first."""
    seen: dict[str, None] = {}
    for mid in (*message.in_reply_to, *reversed(message.references)):
        seen.setdefault(mid, None)
    return tuple(seen)


_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_SUBJECT_LINE = re.compile(r"^\s*(?:件名|Subject|Betreff|Objet|Asunto)\s*[:：]\s*(.+?)\s*$", re.MULTILINE | re.IGNORECASE)


def quoted_header_keys(message: ParsedMessage) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Who and what the reply quotes, for finding its original when the references are gone:
    the addresses in the quote's attribution / Outlook header block and the reply's recipients;
    the subject named in that block (it survives a changed reply subject), then the reply's own."""
    attribution = getattr(message, "attribution", None) or ""
    addresses = dict.fromkeys(a.lower() for a in _ADDRESS.findall(attribution))
    addresses.update(dict.fromkeys(a.addr for a in message.recipients))
    subjects = dict.fromkeys(m.group(1) for m in _SUBJECT_LINE.finditer(attribution))
    subjects.setdefault(message.subject, None)
    return tuple(a for a in addresses if a), tuple(s for s in subjects if s)


class OriginalCache:
    """The last originals answered, parsed and classified, by Message-ID (a bounded LRU).

    Why: agents answer the same thread several times (a reply, a correction, a colleague's
    follow-up), and reading the original back from the store, parsing it and classifying it
    cost more than the reply's own check. Originals are immutable (the inbound door stores each
    Message-ID once), so an entry never goes stale; the bound keeps memory flat (an entry of a
    100 KB original is about half a megabyte).
    """

    def __init__(self, size: int = 64):
        self._size = size
        self._entries: OrderedDict[str, tuple[ParsedMessage, Any]] = OrderedDict()
        self._lock = threading.Lock()  # decide may run on several executor threads

    def get(self, message_id: str) -> tuple[ParsedMessage, Any] | None:
        with self._lock:
            entry = self._entries.get(message_id)
            if entry is not None:
                self._entries.move_to_end(message_id)
            return entry

    def put(self, message_id: str, entry: tuple[ParsedMessage, Any]) -> None:
        with self._lock:
            self._entries[message_id] = entry
            self._entries.move_to_end(message_id)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


@dataclass(frozen=True)
class Loaded:
    """What a reload produces: the policy and the customer index built for it."""

    policy: Policy
    customers: Any = None


class Engine:
    """The Decider a door holds: compiled policy + customer index + store, swapped atomically.

    `source` (injected, see proxy.policy.reload) does the file I/O of a reload; the engine only
    swaps the result in, so a broken file can never leave a half-loaded policy in force.
    """

    def __init__(
        self,
        loaded: Loaded,
        *,
        store: Any = None,
        source: Callable[[], Loaded] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        classify: Callable[[ParsedMessage], Any] | None = None,
    ):
        self._loaded = loaded
        self._store = store
        self._source = source
        self._clock = clock
        self._classify = classify
        self._lock = threading.Lock()
        self._originals = OriginalCache()

    @property
    def policy(self) -> Policy:
        return self._loaded.policy

    @property
    def customers(self) -> Any:
        return self._loaded.customers

    def swap(self, loaded: Loaded) -> None:
        with self._lock:
            self._loaded = loaded

    def reload(self) -> str | None:
        """Load again from the source; on error keep the policy in force and return the errors."""
        if self._source is None:
            return None
        try:
            loaded = self._source()
        except PolicyError as exc:
            for line in exc.errors:
                log.error("policy reload failed, keeping version %s: %s", self.policy.version, line)
            return str(exc)
        old = self.policy.version
        self.swap(loaded)
        log.info("policy reloaded: %s -> %s", old, loaded.policy.version)
        return None

    def find_original(self, message: ParsedMessage) -> ParsedMessage | None:
        if self._store is None:
            return None
        raw = self._store.find_original(reference_order(message))
        if raw is None and hasattr(self._store, "find_by_correspondent"):
            addresses, subjects = quoted_header_keys(message)
            for subject in subjects:
                raw = self._store.find_by_correspondent(addresses, subject)
                if raw is not None:
                    break
        return parse(raw) if raw is not None else None

    def classify(self, original: ParsedMessage | None) -> Any:
        if original is None:
            return None
        classify = self._classify
        if classify is None:
            try:
                from proxy.inbound.classify import classify as classify_fn
            except ImportError:
                # No classifier installed: fall back to the category the inbound door stored.
                if self._store is not None and original.message_id and hasattr(self._store, "category"):
                    return self._store.category(original.message_id)
                return None
            classify = self._classify = classify_fn
        return classify(original)

    def evaluate(self, message: ParsedMessage, original: ParsedMessage | None, *, sender: str | None = None) -> Verdict:
        loaded = self._loaded  # one consistent snapshot even if a reload swaps mid-call
        context = Context(original=original, customers=loaded.customers,
                          complaint=self.classify(original), now=self._clock())
        return evaluate(message, context, loaded.policy, sender=sender)

    def original_and_category(self, message: ParsedMessage) -> tuple[ParsedMessage | None, Any]:
        """The original `message` answers, parsed, and its classification; from the cache when
        the reply's first reference (In-Reply-To) was answered recently.

        Only the first reference may hit: the store answers with the first reference it knows,
        and for that one a cached entry is exactly what it would return. A later reference in
        the cache proves nothing (an earlier one may have been stored since), so then the store
        is asked."""
        ids = reference_order(message)
        if ids:
            entry = self._originals.get(ids[0])
            if entry is not None:
                return entry
        original = self.find_original(message)
        if original is None:
            return None, None
        entry = (original, self.classify(original))
        if original.message_id:
            self._originals.put(original.message_id, entry)
        return entry

    def decide(self, envelope: EnvelopeInfo, message: ParsedMessage) -> Verdict:
        """Decider: find the original (store or cache), classify it, evaluate under the policy in force."""
        sender = envelope.mail_from or (message.from_.addr if message.from_ else None)
        original, complaint = self.original_and_category(message)
        loaded = self._loaded  # one consistent snapshot even if a reload swaps mid-call
        context = Context(original=original, customers=loaded.customers, complaint=complaint, now=self._clock())
        return evaluate(message, context, loaded.policy, sender=sender)

    __call__ = decide

