"""Gateway configuration: one YAML file, one dataclass per section, validated with positions.

Why a small typed loader instead of a schema library: admins edit this file by hand, and
every mistake must come back as `file:line:column: what is wrong` (DESIGN.md), never as a
traceback. The loader walks the YAML *node* tree from `yaml.compose`, which keeps marks,
and converts each node into the dataclass field's declared type. Adding a section (inbound
listener, dns, audit, store, …) means adding a dataclass and one field on `GatewayConfig`;
the loader needs no change. A section class may define `check(self) -> list[(field, msg)]`
for rules that involve several fields; errors then point at that field's value.

Relative paths in the file are resolved against the file's directory (so a config works
wherever it is started from); without a file, against the current directory.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml

SIZE = "size"
"""Annotated marker: an int of bytes, also written `25MB`, `512k`, `10 MiB`."""
DURATION = "duration"
"""Annotated marker: seconds as float, also written `30s`, `2m`, `1h`, `250ms`."""
PATH = "path"
"""Annotated marker: a path, resolved against the config file's directory."""

Size = Annotated[int, SIZE]
Duration = Annotated[float, DURATION]
PathStr = Annotated[str, PATH]


class ConfigError(Exception):
    """A config problem the admin can fix; str() is `file:line:column: message`."""


# --- sections -----------------------------------------------------------------------


def split_hostport(text: str, default_port: int | None = None) -> tuple[str, int]:
    """`host:port`, `[v6]:port` or `host` (with a default port) -> (host, port)."""
    text = text.strip()
    m = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?", text)
    if m:
        host, port = m.group(1), m.group(2)
    elif text.count(":") == 1:
        host, port = text.split(":")
    elif text.count(":") > 1:
        raise ValueError(f"write an IPv6 address as [addr]:port, not {text!r}")
    else:
        host, port = text, None
    if not host:
        raise ValueError(f"no host in {text!r}")
    if port is None:
        if default_port is None:
            raise ValueError(f"expected HOST:PORT, got {text!r}")
        return host, default_port
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"bad port in {text!r}")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class ListenerConfig:
    """One submission listener (the port the agents' mail clients talk to)."""

    address: str = "127.0.0.1:10587"
    tls: Literal["starttls", "implicit", "none"] = "starttls"
    require_starttls: bool = False
    """Refuse MAIL etc. until the client did STARTTLS (530)."""
    auth_without_tls: Literal["loopback", "never", "always"] = "loopback"
    """When AUTH is allowed on an unencrypted session: only on a loopback listener (default)."""

    @property
    def host(self) -> str:
        return split_hostport(self.address)[0]

    @property
    def port(self) -> int:
        return split_hostport(self.address)[1]

    def check(self) -> list[tuple[str, str]]:
        try:
            split_hostport(self.address)
        except ValueError as exc:
            return [("address", str(exc))]
        if self.require_starttls and self.tls != "starttls":
            return [("require_starttls", "only meaningful with tls: starttls")]
        return []

    def auth_needs_tls(self) -> bool:
        """Whether AUTH must wait for TLS on this listener (implicit TLS is always TLS)."""
        if self.tls == "implicit" or self.auth_without_tls == "always":
            return False
        if self.auth_without_tls == "loopback":
            return not is_loopback(self.host)
        return True


@dataclass
class AccountConfig:
    """`auth: account`: one upstream login shared by local users."""

    user: str = ""
    password_file: PathStr = ""
    users_file: PathStr = ""
    """Local users, one `name:scrypt$…` per line (`replyguard passwd NAME --users-file F`)."""


@dataclass
class UpstreamConfig:
    """The real submission server mail is relayed to, before-queue."""

    host: str = ""
    port: int = 587
    tls: Literal["starttls", "implicit", "none"] = "starttls"
    verify: bool = True
    ca_file: PathStr | None = None
    auth: Literal["passthrough", "account", "none"] = "passthrough"
    account: AccountConfig = field(default_factory=AccountConfig)
    helo: str | None = None
    """Name sent in EHLO upstream (default: this host's FQDN)."""

    def check(self) -> list[tuple[str, str]]:
        errors = []
        if not self.host:
            errors.append(("host", "upstream needs a host (remove the section for local maildir delivery)"))
        if not 0 < self.port < 65536:
            errors.append(("port", f"port out of range: {self.port}"))
        if self.auth == "account" and not (self.account.user and self.account.password_file):
            errors.append(("account", "auth: account needs account.user and account.password_file"))
        if self.auth == "account" and not self.account.users_file:
            errors.append(("account", "auth: account needs account.users_file (local users)"))
        return errors


@dataclass
class TimeoutsConfig:
    connect: Duration = 10.0
    """Connecting to the upstream (TCP + TLS + greeting + EHLO)."""
    command: Duration = 30.0
    """Each upstream command (MAIL, RCPT, AUTH, RSET)."""
    data: Duration = 120.0
    """Upstream's final answer after the message was sent."""
    client_idle: Duration = 300.0
    """A client that says nothing this long is disconnected."""
    client_data: Duration = 600.0
    """The whole DATA transfer of one message from a client (451 and disconnect after)."""
    shutdown_grace: Duration = 30.0
    """On SIGTERM, how long transactions in flight may take to finish."""


@dataclass
class LimitsConfig:
    max_message_size: Size = 25 * 1024 * 1024
    max_recipients: int = 100
    max_connections: int = 200
    timeouts: TimeoutsConfig = field(default_factory=TimeoutsConfig)
    undeclared_8bit: Literal["auto", "reject", "relay"] = "auto"
    """8-bit message without BODY=8BITMIME (msmtp, scripts): `auto` relays it when the upstream
    speaks 8BITMIME (as Postfix would accept it) and refuses it with a clear 554 otherwise."""

    def check(self) -> list[tuple[str, str]]:
        out = []
        for name in ("max_message_size", "max_recipients", "max_connections"):
            if getattr(self, name) <= 0:
                out.append((name, "must be > 0"))
        return out


@dataclass
class TlsConfig:
    """The gateway's own certificate (for STARTTLS / implicit TLS towards clients)."""

    cert_file: PathStr | None = None
    key_file: PathStr | None = None
    """Default: certs/gateway.{crt,key} if a certs/ directory is here, else <state_dir>/certs/.
    Generated (self-signed) on first run when absent."""
    hostname: str | None = None
    """Name in the greeting and in a generated certificate (default: this host's FQDN)."""


@dataclass
class InboundConfig:
    """Incoming annotation: `replyguard annotate` and the `replyguard inbound` listener."""

    authserv_id: str | None = None
    """Authentication-Results authserv-id (default: replyguard.<hostname>)."""
    nameserver: str | None = None
    """IP[:PORT] every DNS query goes to (default: the system's resolvers)."""
    dns_budget: Duration = 4.0
    """Total DNS time for one message; past it, results are temperror."""
    geoip_db: PathStr | None = None
    """Local MaxMind country DB (needs the maxminddb package); none: no region reason."""
    listen: str = "127.0.0.1:10025"
    protocol: Literal["smtp", "lmtp"] = "smtp"
    next_hop: UpstreamConfig | None = None
    """Where annotated mail goes (Postfix, Dovecot LMTP, ...), before-queue."""
    next_hop_protocol: Literal["smtp", "lmtp"] = "smtp"
    """lmtp for Dovecot's LMTP service (host `unix:/path` for its socket)."""
    remember: bool = True
    """Keep each annotated original in the store (<state_dir>/replyguard.db)."""


@dataclass
class AuditConfig:
    """The compliance log (proxy/audit.py; costs and guarantees in docs/compliance.md)."""

    fsync: Literal["always", "batch", "none"] = "always"
    """always: durable before the client's reply (group commit); batch: up to 50 ms lost on power loss."""
    rotate_size: Size = 64 * 1024 * 1024
    evidence: Literal["short", "none", "full"] = "short"
    """Finding evidence is customer text: cut to a few characters by default."""
    body_digest: bool = False
    """Also record the sha256 of the message bytes (never the body itself)."""


@dataclass
class HoldConfig:
    """The hold queue's periodic work (proxy/release.py)."""

    escalate_after: Duration = 4 * 3600.0
    """Held this long without a decision → `escalated` audit record (0 = never)."""
    supervisor: str | None = None
    """Address that gets a mail on escalation (none: only the audit record)."""
    notify_from: str | None = None
    """From address of refusal notices and escalation mails (default MAILER-DAEMON@<fqdn>)."""
    interval: Duration = 30.0
    """How often `serve` releases due delay-send mail and checks escalation."""
    release_user: str | None = None
    """Upstream login for releases when upstream.auth is passthrough (the agent's password is gone by then)."""
    release_password_file: PathStr | None = None


@dataclass
class NoticesConfig:
    """Notice mails to the agent about their own reply (proxy/notices.py).

    Sent from `hold.notify_from`, over the hold queue's delivery path (the upstream, logging
    in as `hold.release_user` when auth is passthrough; else the local outbox maildir).
    """

    reject: bool = True
    """A refused (550) reply → a "Not sent" mail in the policy language and English, with the
    exact offending text and the reply attached; the SMTP answer never waits for it."""
    hold: bool = False
    """A held reply → a "Held for review" mail with the same findings."""
    repeat_after: Duration = 30.0
    """The same sender refused again with the same findings within this time (a client's
    retry loop) gets no second notice."""
    max_per_hour: int = 30
    """At most this many notices to one sender per hour, whatever the findings (0 = no limit)."""
    reference: str = ""
    """Shown as the policy reference in notices (e.g. the team's wiki page on reply rules)."""

    def check(self) -> list[tuple[str, str]]:
        if self.max_per_hour < 0:
            return [("max_per_hour", "must be 0 (no limit) or more")]
        return []


@dataclass
class GatewayConfig:
    state_dir: PathStr = "var"
    policy: PathStr = ""
    """Policy file; empty = the shipped policies/default.yaml (found beside the package, not the cwd)."""
    listeners: list[ListenerConfig] = field(default_factory=lambda: [ListenerConfig()])
    upstream: UpstreamConfig | None = None
    """None: the embedded default, accepted mail goes to <state_dir>/outbox/ (maildir)."""
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    tls: TlsConfig = field(default_factory=TlsConfig)
    inbound: InboundConfig = field(default_factory=InboundConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    hold: HoldConfig = field(default_factory=HoldConfig)
    notices: NoticesConfig = field(default_factory=NoticesConfig)

    def check(self) -> list[tuple[str, str]]:
        if not self.listeners:
            return [("listeners", "at least one listener is needed")]
        seen: set[str] = set()
        for lst in self.listeners:
            if lst.address in seen:
                return [("listeners", f"address {lst.address} used twice")]
            seen.add(lst.address)
        return []


# --- loader -------------------------------------------------------------------------

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(i?b?)\s*$", re.I)
_DUR_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$", re.I)


def parse_size(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a size such as 25MB")
    if isinstance(value, int):
        return value
    m = _SIZE_RE.match(str(value))
    if not m:
        raise ValueError(f"expected a size such as 25MB or 512k, got {value!r}")
    mult = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


def parse_duration(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s")
    if isinstance(value, (int, float)):
        return float(value)
    m = _DUR_RE.match(str(value))
    if not m:
        raise ValueError(f"expected a duration such as 30s, 2m or 250ms, got {value!r}")
    mult = {None: 1, "ms": 0.001, "s": 1, "m": 60, "h": 3600}[(m.group(2) or "").lower() or None]
    return float(m.group(1)) * mult


class _Loader:
    def __init__(self, filename: str, base: Path):
        self.filename = filename
        self.base = base
        self._scalar = yaml.SafeLoader("")

    def error(self, node: yaml.Node | None, message: str) -> ConfigError:
        if node is None:
            return ConfigError(f"{self.filename}: {message}")
        mark = node.start_mark
        return ConfigError(f"{self.filename}:{mark.line + 1}:{mark.column + 1}: {message}")

    def scalar(self, node: yaml.Node, what: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, f"{what}: expected a single value, not a list or mapping")
        try:
            return self._scalar.construct_object(node)
        except yaml.YAMLError as exc:  # unknown tag (!!python/…)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise self.error(node, f"{what}: {problem}") from None
        except (ValueError, TypeError) as exc:  # an explicit tag that does not fit (!!int abc)
            raise self.error(node, f"{what}: {exc}") from None

    def convert(self, tp: Any, node: yaml.Node, what: str) -> Any:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            base, marker = typing.get_args(tp)[:2]
            if marker in (SIZE, DURATION):
                value = self.scalar(node, what)
                try:
                    return parse_size(value) if marker == SIZE else parse_duration(value)
                except ValueError as exc:
                    raise self.error(node, f"{what}: {exc}") from None
            value = self.convert(base, node, what)
            if marker == PATH and value and not Path(value).is_absolute():
                return str(self.base / value)
            return value
        if origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
                return None
            return self.convert(args[0], node, what)
        if origin is Literal:
            value = self.scalar(node, what)
            choices = typing.get_args(tp)
            if value not in choices:
                raise self.error(node, f"{what}: must be one of {', '.join(choices)}, not {value!r}")
            return value
        if origin is list:
            (item_tp,) = typing.get_args(tp)
            if not isinstance(node, yaml.SequenceNode):
                raise self.error(node, f"{what}: expected a list")
            return [self.convert(item_tp, n, f"{what}[{i}]") for i, n in enumerate(node.value)]
        if dataclasses.is_dataclass(tp):
            return self.section(tp, node, what)
        value = self.scalar(node, what)
        if tp is bool:
            if not isinstance(value, bool):
                raise self.error(node, f"{what}: expected true or false, not {value!r}")
            return value
        if tp is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.error(node, f"{what}: expected a whole number, not {value!r}")
            return value
        if tp is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.error(node, f"{what}: expected a number, not {value!r}")
            return float(value)
        if tp is str:
            if value is None or isinstance(value, (list, dict)):
                raise self.error(node, f"{what}: expected text")
            return str(value)
        raise TypeError(f"config.py: unsupported field type {tp!r}")  # programming error

    def section(self, cls: type, node: yaml.Node, what: str) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return cls()
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"{what or 'config'}: expected a mapping of keys")
        hints = typing.get_type_hints(cls, include_extras=True)
        names = [f.name for f in dataclasses.fields(cls)]
        kwargs: dict[str, Any] = {}
        value_nodes: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node, what or "config")
            where = f"{what}.{key}" if what else str(key)
            if key not in names:
                raise self.error(key_node, f"unknown key {where!r} (expected one of: {', '.join(names)})")
            if key in kwargs:
                raise self.error(key_node, f"duplicate key {where!r}")
            kwargs[key] = self.convert(hints[key], value_node, where)
            value_nodes[key] = value_node
        obj = cls(**kwargs)
        check = getattr(obj, "check", None)
        if check is not None:
            for fname, message in check():
                where = f"{what}.{fname}" if what else fname
                raise self.error(value_nodes.get(fname, node), f"{where}: {message}")
        return obj


def loads(text: str, filename: str = "<config>", base: Path | None = None) -> GatewayConfig:
    """Parse and validate config text; raises ConfigError with file:line:column."""
    loader = _Loader(filename, base or Path("."))
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        raise ConfigError(f"{where}: YAML syntax: {exc.problem}") from None
    if node is None:
        return default_config(base or Path("."))
    cfg = loader.section(GatewayConfig, node, "")
    return cfg


def load(path: str | Path) -> GatewayConfig:
    """Read a config file; relative paths inside resolve against its directory."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return loads(text, str(path), p.parent)


def default_config(base: Path | None = None) -> GatewayConfig:
    """The configuration used without --config (embedded maildir, loopback listener)."""
    return GatewayConfig()


def apply_overrides(
    cfg: GatewayConfig,
    *,
    listen: str | None = None,
    upstream: str | None = None,
    upstream_tls: str | None = None,
    state_dir: str | None = None,
) -> GatewayConfig:
    """Command-line flags win over the file (DESIGN.md). Raises ValueError on bad values.

    `--listen` moves the first listener; `--upstream none` forces local maildir delivery.
    """
    if listen:
        split_hostport(listen)
        cfg.listeners[0].address = listen
    if upstream:
        if upstream.lower() in ("none", "maildir", "-"):
            cfg.upstream = None
        else:
            host, port = split_hostport(upstream, 587)
            up = cfg.upstream or UpstreamConfig()
            up.host, up.port = host, port
            cfg.upstream = up
    if upstream_tls:
        if cfg.upstream is None:
            raise ValueError("--upstream-tls needs an upstream (--upstream HOST:PORT or upstream: in the config)")
        if upstream_tls not in ("none", "starttls", "implicit"):
            raise ValueError(f"--upstream-tls must be none, starttls or implicit, not {upstream_tls!r}")
        cfg.upstream.tls = upstream_tls  # type: ignore[assignment]
    if state_dir:
        cfg.state_dir = state_dir
    return cfg
