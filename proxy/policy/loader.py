"""Policy YAML → one frozen, typed `Policy`, compiled once; every error is `file:line:column: message`.

Admins edit these files by hand and the gateway reloads them live, so a mistake must be
reported where it is (line and column, via `yaml.compose` node marks) and must never turn
into a traceback or a half-loaded policy. Everything the per-message path needs (actions,
regexes, settings with defaults filled in, sender groups) is resolved here, once.

See docs/policy.md for the language itself.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping

import yaml

from proxy.customers import DEFAULT_HONORIFICS
from proxy.policy.regex import RegexError, compile_pattern
from proxy.policy.verdict import Action

LANGUAGES = ("ja", "en")
ACTIONS = ("reject", "hold", "warn", "off")
MODES = ("enforce", "shadow")
NO_ORIGINAL = ("warn", "hold")

# Defaults a rule gets for every setting the policy leaves out. The loader owns them so the
# shipped default policy, the docs and the rules agree on one list.
REPLY_PREFIXES = (
    "Re", "RE", "re", "Re[2]", "Re(2)", "Re^2", "返信", "ＲＥ", "Ｒｅ",
    "AW", "Aw", "SV", "Sv", "VS", "Vs", "Antw", "RIF", "Rif", "R", "Odp", "ODP",
    "回复", "回覆", "答复", "Réf", "RES", "Res",
)
FORWARD_PREFIXES = ("Fwd", "FWD", "Fw", "FW", "WG", "TR", "Tr", "転送", "轉寄", "转发", "Enc", "RV")
APOLOGY_PHRASES = (
    "申し訳ございません", "申し訳ありません", "申し訳なく", "申し訳ござい", "お詫び申し上げます",
    "お詫びいたします", "お詫び致します", "ご迷惑をおかけ", "ご迷惑をお掛け", "ご不便をおかけ",
    "ご心配をおかけ", "大変失礼いたしました", "失礼いたしました",
    "sorry", "apologise", "apologize", "apologies", "apologizing", "apologising", "our apology",
)
HONORIFICS = DEFAULT_HONORIFICS  # one list, owned by the customer index that matches them

SETTINGS_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "subject-changed": {"reply_prefixes": REPLY_PREFIXES, "forward_prefixes": FORWARD_PREFIXES, "allowed_tags": ()},
    "quote-altered": {},
    "signature-missing": {"required_lines": (), "applies_to": "replies"},
    "other-customer-data": {"honorifics": HONORIFICS},
    "apology-missing": {"phrases": APOLOGY_PHRASES},
}
REGEX_SETTINGS = frozenset({"allowed_tags"})
APPLIES_TO = ("replies", "all")
"""signature-missing: `replies` checks only mail that answers something (In-Reply-To,
References or a quote); `all` checks every outgoing mail, new ones included."""

_TOP_KEYS = ("version", "language", "mode", "delay", "no_original", "groups", "customers", "rules")
_RULE_KEYS = ("id", "action", "mode", "message", "metadata", "groups", "settings")
_GROUP_KEYS = ("addresses", "domains")
_DURATION = re.compile(r"(\d+)\s*(h|m|s)")


class PolicyError(Exception):
    """The policy file is wrong; `errors` are `file:line:column: message` lines, all of them."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class SenderGroup:
    """Named senders (agents, teams, partners) whose rule actions the policy overrides."""

    name: str
    addresses: frozenset[str]
    domains: frozenset[str]

    def matches(self, address: str) -> bool:
        addr = address.strip().lower()
        if addr in self.addresses:
            return True
        domain = addr.rpartition("@")[2]
        return any(domain == d or domain.endswith("." + d) for d in self.domains)


@dataclass(frozen=True)
class RulePolicy:
    """One rule as the policy configures it. `action is None` means `off` (never runs)."""

    id: str
    module: Any                                   # the rule module (proxy.policy.model.Rule)
    action: Action | None
    shadow: bool
    message: Mapping[str, str]                    # {"ja": …, "en": …}
    reference: str
    group_actions: tuple[tuple[str, Action | None], ...]
    settings: Mapping[str, Any]
    where: str = ""                               # file:line:column of the entry, for lint advice

    @property
    def enabled(self) -> bool:
        return self.action is not None or any(a is not None for _, a in self.group_actions)


@dataclass(frozen=True)
class Policy:
    path: str
    version: str                                  # short sha256 of the file bytes
    language: str
    shadow: bool
    delay_seconds: float
    no_original: Action
    groups: Mapping[str, SenderGroup]
    customer_sources: tuple[Path, ...]
    rules: tuple[RulePolicy, ...]
    warnings: tuple[str, ...] = field(default=())

    def rule(self, rule_id: str) -> RulePolicy | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def default_registry() -> Mapping[str, Any]:
    """The shipped rule modules by id (imported lazily so the loader imports cleanly alone)."""
    from proxy.policy.rules import REGISTRY
    return REGISTRY


def load_policy(path: str | Path, *, registry: Mapping[str, Any] | None = None) -> Policy:
    """Read and compile one policy file; raise PolicyError listing every problem found."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PolicyError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    return compile_policy(data, str(path), registry=registry)


def compile_policy(data: bytes, path: str, *, registry: Mapping[str, Any] | None = None) -> Policy:
    """Compile policy bytes (named `path` in errors, which also anchors relative customer paths)."""
    compiler = _Compiler(path, registry if registry is not None else default_registry())
    policy = compiler.run(data)
    if compiler.errors or policy is None:
        raise PolicyError(compiler.errors or [f"{path}:1:1: empty policy"])
    return policy


def parse_duration(text: str) -> float | None:
    """'90' / '90s' / '2m' / '1h30m' → seconds; None when it is not a duration."""
    text = text.strip()
    if text.isdigit():
        return float(text)
    pos, total = 0, 0.0
    for m in _DURATION.finditer(text):
        if m.start() != pos and text[pos:m.start()].strip():
            return None
        total += int(m.group(1)) * {"h": 3600, "m": 60, "s": 1}[m.group(2)]
        pos = m.end()
    if pos == 0 or text[pos:].strip():
        return None
    return total


class _Compiler:
    """Walks the composed YAML node tree, collecting every error with its mark."""

    def __init__(self, path: str, registry: Mapping[str, Any]):
        self.path = path
        self.registry = registry
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self._loader: yaml.SafeLoader | None = None

    # -- reporting -------------------------------------------------------------------------
    def at(self, node: yaml.Node | None) -> str:
        if node is None:
            return f"{self.path}:1:1"
        mark = node.start_mark
        return f"{self.path}:{mark.line + 1}:{mark.column + 1}"

    def error(self, node: yaml.Node | None, message: str) -> None:
        self.errors.append(f"{self.at(node)}: {message}")

    def warn(self, node: yaml.Node | None, message: str) -> None:
        self.warnings.append(f"{self.at(node)}: warning: {message}")

    # -- node access -----------------------------------------------------------------------
    def value(self, node: yaml.Node) -> Any:
        """The scalar's Python value; an unknown `!tag` or a malformed `!!binary` is reported, and
        the text as written is used so the walk can go on and find the other errors."""
        assert self._loader is not None
        if not node.tag.startswith("tag:yaml.org,2002:"):
            self.error(node, f"unknown YAML tag {node.tag!r} (policy files use plain values)")
            return node.value if isinstance(node, yaml.ScalarNode) else None
        try:
            return self._loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            self.error(node, f"unreadable value: {problem}")
            return node.value if isinstance(node, yaml.ScalarNode) else None

    def mapping(self, node: yaml.Node, what: str, allowed: Iterable[str] | None) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """Key → (key node, value node); reports non-mappings, duplicate and unknown keys."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping")
            return {}
        allowed = tuple(allowed) if allowed is not None else None
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = str(self.value(key_node)) if isinstance(key_node, yaml.ScalarNode) else "?"
            if key in out:
                self.error(key_node, f"duplicate key {key!r} in {what}")
                continue
            if allowed is not None and key not in allowed:
                self.error(key_node, f"unknown key {key!r} in {what} (expected one of: {', '.join(allowed)})")
                continue
            out[key] = (key_node, value_node)
        return out

    def string(self, node: yaml.Node, what: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.error(node, f"{what} must be a string")
            return None
        return str(self.value(node))

    def choice(self, node: yaml.Node, what: str, choices: tuple[str, ...]) -> str | None:
        # The scalar as written: YAML 1.1 would read a bare `off` as the boolean false.
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.error(node, f"{what} must be one of: {', '.join(choices)}")
            return None
        if not node.tag.startswith("tag:yaml.org,2002:"):
            self.error(node, f"unknown YAML tag {node.tag!r} (policy files use plain values)")
            return None
        text = str(node.value)
        if text not in choices:
            self.error(node, f"bad {what} {text!r} (expected one of: {', '.join(choices)})")
            return None
        return text

    def strings(self, node: yaml.Node, what: str) -> list[tuple[yaml.Node, str]]:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{what} must be a list")
            return []
        out = []
        for item in node.value:
            text = self.string(item, f"each entry of {what}")
            if text is not None:
                out.append((item, text))
        return out

    # -- the document ----------------------------------------------------------------------
    def run(self, data: bytes) -> Policy | None:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.errors.append(f"{self.path}:1:1: not UTF-8 ({exc.reason} at byte {exc.start})")
            return None
        try:
            self._loader = yaml.SafeLoader(text)
            root = self._loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"{self.path}:{mark.line + 1}:{mark.column + 1}" if mark else f"{self.path}:1:1"
            self.errors.append(f"{where}: YAML syntax: {exc.problem or exc.context}")
            return None
        except yaml.YAMLError as exc:
            self.errors.append(f"{self.path}:1:1: YAML: {exc}")
            return None
        if root is None:
            self.errors.append(f"{self.path}:1:1: the policy file is empty")
            return None
        try:
            return self.document(root, data)
        finally:
            self._loader.dispose()

    def document(self, root: yaml.Node, data: bytes) -> Policy | None:
        top = self.mapping(root, "the policy", _TOP_KEYS)
        if not isinstance(root, yaml.MappingNode):
            return None
        for required in ("version", "language", "rules"):
            if required not in top:
                self.error(root, f"missing required key {required!r}")
        if "version" in top:
            node = top["version"][1]
            if str(self.value(node)) != "1":
                self.error(node, "unsupported policy version (expected 1)")
        language = self.choice(top["language"][1], "language", LANGUAGES) if "language" in top else None
        mode = self.choice(top["mode"][1], "mode", MODES) if "mode" in top else "enforce"
        delay = 0.0
        if "delay" in top:
            node = top["delay"][1]
            text = self.string(node, "delay")
            parsed = parse_duration(text) if text is not None else None
            if text is not None and parsed is None:
                self.error(node, f"bad duration {text!r} (write e.g. 90s, 2m, 1h30m)")
            delay = parsed or 0.0
        no_original = Action.WARN
        if "no_original" in top:
            chosen = self.choice(top["no_original"][1], "no_original", NO_ORIGINAL)
            no_original = Action.parse(chosen) if chosen else Action.WARN
        groups = self.groups(top["groups"][1]) if "groups" in top else {}
        customers = self.customers(top["customers"][1]) if "customers" in top else ()
        rules = self.rules(top["rules"][1], groups) if "rules" in top else ()
        if self.errors or language is None:
            return None
        return Policy(
            path=self.path,
            version=hashlib.sha256(data).hexdigest()[:12],
            language=language,
            shadow=mode == "shadow",
            delay_seconds=delay,
            no_original=no_original,
            groups=MappingProxyType(groups),
            customer_sources=customers,
            rules=rules,
            warnings=tuple(self.warnings),
        )

    def groups(self, node: yaml.Node) -> dict[str, SenderGroup]:
        out: dict[str, SenderGroup] = {}
        for name, (key_node, value_node) in self.mapping(node, "groups", None).items():
            addresses: set[str] = set()
            domains: set[str] = set()
            if isinstance(value_node, yaml.SequenceNode):
                # Shorthand: a list mixing addresses (a@b) and domains (b, @b).
                for item, text in self.strings(value_node, f"group {name!r}"):
                    text = text.strip().lower()
                    if "@" in text[1:]:
                        addresses.add(text)
                    else:
                        domains.add(text.lstrip("@"))
            else:
                fields = self.mapping(value_node, f"group {name!r}", _GROUP_KEYS)
                if "addresses" in fields:
                    for item, text in self.strings(fields["addresses"][1], f"{name}.addresses"):
                        if "@" not in text:
                            self.error(item, f"{text!r} is not an e-mail address (put domains under `domains:`)")
                        addresses.add(text.strip().lower())
                if "domains" in fields:
                    domains.update(t.strip().lower().lstrip("@") for _, t in self.strings(fields["domains"][1], f"{name}.domains"))
            if not addresses and not domains:
                self.warn(key_node, f"group {name!r} is empty")
            out[name] = SenderGroup(name, frozenset(addresses), frozenset(domains))
        return out

    def customers(self, node: yaml.Node) -> tuple[Path, ...]:
        base = Path(self.path).parent
        entries: list[tuple[yaml.Node, str]] = []
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, "customers must be a list of CSV files")
            return ()
        for item in node.value:
            if isinstance(item, yaml.MappingNode):
                fields = self.mapping(item, "a customers entry", ("csv",))
                if "csv" in fields:
                    text = self.string(fields["csv"][1], "csv")
                    if text is not None:
                        entries.append((fields["csv"][1], text))
            else:
                text = self.string(item, "a customers entry")
                if text is not None:
                    entries.append((item, text))
        out = []
        for item, text in entries:
            path = (base / text) if not Path(text).is_absolute() else Path(text)
            if not path.is_file():
                self.error(item, f"customer file {text!r} not found (paths are relative to the policy file)")
            out.append(path)
        return tuple(out)

    def rules(self, node: yaml.Node, groups: Mapping[str, SenderGroup]) -> tuple[RulePolicy, ...]:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, "rules must be a list of rule entries")
            return ()
        seen: dict[str, yaml.Node] = {}
        out: list[RulePolicy] = []
        for entry in node.value:
            rule = self.rule(entry, groups, seen)
            if rule is not None:
                out.append(rule)
        for rule_id in self.registry:
            if rule_id not in seen:
                self.warn(node, f"rule {rule_id!r} is not listed, so it never runs (list it with `action: off` to say so)")
        return tuple(out)

    def rule(self, entry: yaml.Node, groups: Mapping[str, SenderGroup], seen: dict[str, yaml.Node]) -> RulePolicy | None:
        fields = self.mapping(entry, "a rule entry", _RULE_KEYS)
        if not isinstance(entry, yaml.MappingNode):
            return None
        if "id" not in fields:
            self.error(entry, "rule entry without `id`")
            return None
        id_node = fields["id"][1]
        rule_id = self.string(id_node, "id")
        if rule_id is None:
            return None
        if rule_id not in self.registry:
            self.error(id_node, f"unknown rule id {rule_id!r} (known: {', '.join(self.registry)})")
            return None
        if rule_id in seen:
            first = seen[rule_id].start_mark.line + 1
            self.error(id_node, f"duplicate rule entry {rule_id!r} (first at line {first})")
            return None
        seen[rule_id] = id_node
        action: Action | None = None
        if "action" not in fields:
            self.error(entry, f"rule {rule_id!r} has no `action` (one of: {', '.join(ACTIONS)})")
        else:
            action = self.action(fields["action"][1])
        shadow = False
        if "mode" in fields:
            shadow = self.choice(fields["mode"][1], "mode", MODES) == "shadow"
        message = self.message(fields["message"][1] if "message" in fields else entry, rule_id, "message" in fields)
        reference = ""
        if "metadata" in fields:
            meta = self.mapping(fields["metadata"][1], "metadata", None)
            if "reference" in meta:
                reference = self.string(meta["reference"][1], "metadata.reference") or ""
        group_actions: list[tuple[str, Action | None]] = []
        if "groups" in fields:
            for name, (key_node, value_node) in self.mapping(fields["groups"][1], f"{rule_id}.groups", None).items():
                if name not in groups:
                    known = ", ".join(groups) or "none defined"
                    self.error(key_node, f"unknown group {name!r} (top-level groups: {known})")
                    continue
                group_actions.append((name, self.action(value_node)))
        settings = self.settings(fields["settings"][1] if "settings" in fields else None, rule_id)
        return RulePolicy(
            id=rule_id,
            module=self.registry[rule_id],
            action=action,
            shadow=shadow,
            message=MappingProxyType(message),
            reference=reference,
            group_actions=tuple(group_actions),
            settings=settings,
            where=self.at(entry),
        )

    def action(self, node: yaml.Node) -> Action | None:
        text = self.choice(node, "action", ACTIONS)
        return None if text in (None, "off") else Action.parse(text)

    def message(self, node: yaml.Node, rule_id: str, present: bool) -> dict[str, str]:
        if not present:
            self.error(node, f"rule {rule_id!r} has no `message` (give one in ja and en)")
            return {}
        fields = self.mapping(node, "message", LANGUAGES)
        out: dict[str, str] = {}
        for lang in LANGUAGES:
            if lang not in fields:
                self.error(node, f"message missing in {lang} for rule {rule_id!r}")
                continue
            text = self.string(fields[lang][1], f"message.{lang}")
            if text is not None and not text.strip():
                self.error(fields[lang][1], f"message in {lang} is empty for rule {rule_id!r}")
            elif text is not None:
                out[lang] = " ".join(text.split())
        return out

    def settings(self, node: yaml.Node | None, rule_id: str) -> Mapping[str, Any]:
        defaults = SETTINGS_DEFAULTS.get(rule_id, {})
        merged: dict[str, Any] = dict(defaults)
        if node is not None:
            allowed = tuple(defaults) or ("(none)",)
            for key, (key_node, value_node) in self.mapping(node, f"{rule_id}.settings", allowed).items():
                merged[key] = self.setting(value_node, rule_id, key)
        # Regex settings travel both as source strings and compiled RE2 objects.
        for key in REGEX_SETTINGS & merged.keys():
            merged[key + "_re"] = tuple(compile_pattern(p) for p in merged[key])
        return MappingProxyType(merged)

    def setting(self, node: yaml.Node, rule_id: str, key: str) -> tuple[str, ...] | str:
        if key == "applies_to":
            if not isinstance(node, yaml.ScalarNode) or node.value not in APPLIES_TO:
                self.error(node, f"applies_to must be one of: {', '.join(APPLIES_TO)}")
                return "replies"
            return node.value
        if rule_id == "apology-missing" and key == "phrases" and isinstance(node, yaml.MappingNode):
            # Phrases may be grouped by language for readability; the rule gets them all.
            items: list[tuple[yaml.Node, str]] = []
            for _lang, (_k, value_node) in self.mapping(node, "phrases", LANGUAGES).items():
                items.extend(self.strings(value_node, f"phrases.{_lang}"))
        else:
            items = self.strings(node, f"{rule_id}.settings.{key}")
        values = []
        for item, text in items:
            if not text.strip():
                self.error(item, f"empty entry in {key}")
                continue
            if key in REGEX_SETTINGS:
                try:
                    compile_pattern(text)
                except RegexError as exc:
                    self.error(item, str(exc))
                    continue
            values.append(text)
        return tuple(values)
