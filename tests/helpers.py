"""What tests build messages, contexts and DNS from (after mitmproxy's tflow/taddons).

- `load_eml(name)`: the bytes of a fixture, by path relative to tests/fixtures or to the shared
  examples (`"subject-changed/ja-word-changed.reply.eml"`, `"replies/03-clean-en-question/reply.eml"`);
  `load_message(name)` parses them.
- `make_message(**overrides)`: a realistic RFC 5322 reply parsed by `proxy.message.parse`, for
  tests where the bytes themselves do not matter (`make_raw` gives the bytes).
- `make_context(original=…, customers=…, complaint=…, now=FIXED)`: the rules' `Context`.
- `FIXED`: the clock every test shares.
- `dict_resolver(zone)`: the in-memory DNS resolver of `proxy.inbound.dns`.
- `example_threads()` / `example_case(name)`: the shared example threads every rule test runs.
"""
from __future__ import annotations

import base64
import quopri
from dataclasses import dataclass
from datetime import datetime, timezone
from email.header import Header
from pathlib import Path
from typing import Any

import yaml

from proxy.customers import CustomerIndex
from proxy.inbound.dns import DictResolver
from proxy.message import ParsedMessage, parse
from proxy.policy.model import Context

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
SHARED_EXAMPLES = TESTS.parents[1] / "shared" / "examples"      # beside the work tree
REPLY_EXAMPLES = SHARED_EXAMPLES / "replies"

FIXED = datetime.fromtimestamp(946681200, tz=timezone.utc)      # mitmproxy's tflow timestamp


def load_eml(name: str | Path) -> bytes:
    """A fixture's bytes: `name` is relative to tests/fixtures, else to shared/examples."""
    for root in (FIXTURES, SHARED_EXAMPLES):
        path = root / name
        if path.is_file():
            return path.read_bytes()
    raise FileNotFoundError(f"no fixture {name!r} under {FIXTURES} or {SHARED_EXAMPLES}")


def load_message(name: str | Path) -> ParsedMessage:
    """`load_eml(name)`, parsed."""
    return parse(load_eml(name))


_DEFAULTS: dict[str, Any] = {
    "from_": "Hannah Scott <hannah.scott@minato.example.jp>",
    "to": "Emma Wilson <emma.wilson@example.com>",
    "subject": "Re: Is the warranty transferable?",
    "message_id": "<20261126093000.C554DFB4C54F@mail.minato.example.jp>",
    "in_reply_to": "<20261125181200.75E795E5D346@mail.example.com>",
    "date": "Thu, 26 Nov 2026 09:30:00 +0900",
    "body": ("Dear Ms. Wilson,\n\nThank you for your question.\n\n"
             "Yes, the warranty stays with the product.\n\n"
             "Warm regards,\nHannah Scott\nCustomer Care, Minato Appliances\n"),
    "charset": "utf-8",
    "cte": None,                 # 7bit/8bit by content; or "base64", "quoted-printable"
    "content_type": "text/plain",
    "headers": (),               # extra (name, value) pairs, after the standard ones
}


def _header(value: str, charset: str) -> str:
    return value if value.isascii() else Header(value, charset).encode()


def _address(value: str, charset: str) -> str:
    """`Display Name <addr>` with the display name RFC 2047-encoded as it is (comments and all)."""
    display, sep, addr = value.rpartition("<")
    if not sep or value.isascii():
        return _header(value, charset)
    return f"{_header(display.strip(), charset)} <{addr}" if display.strip() else f"<{addr}"


def make_raw(**overrides: Any) -> bytes:
    """The bytes `make_message` parses: a one-part reply with `_DEFAULTS` unless overridden.
    A header set to None is left out."""
    unknown = set(overrides) - set(_DEFAULTS)
    if unknown:
        raise TypeError(f"make_raw: unknown field(s) {sorted(unknown)}")
    f = {**_DEFAULTS, **overrides}
    charset = f["charset"]
    lines = []
    for name, key in (("Message-ID", "message_id"), ("Date", "date"), ("From", "from_"), ("To", "to"),
                      ("Subject", "subject"), ("In-Reply-To", "in_reply_to"), ("References", "in_reply_to")):
        if f[key] is not None:
            value = f[key]
            lines.append(f"{name}: {_address(value, charset) if key in ('from_', 'to') else _header(value, charset)}")
    body = f["body"].encode(charset)
    cte = f["cte"] or ("7bit" if body.isascii() else "8bit")
    if cte == "base64":
        body = base64.encodebytes(body)
    elif cte == "quoted-printable":
        body = quopri.encodestring(body)
    lines += ["MIME-Version: 1.0", f'Content-Type: {f["content_type"]}; charset="{charset}"',
              f"Content-Transfer-Encoding: {cte}"]
    lines += [f"{name}: {value}" for name, value in f["headers"]]
    return ("\n".join(lines) + "\n\n").encode("ascii") + body


def make_message(**overrides: Any) -> ParsedMessage:
    """A realistic parsed reply; override from_, to, subject, in_reply_to, body, charset, cte, …"""
    return parse(make_raw(**overrides))


def make_context(original: ParsedMessage | None = None, customers: Any = None, complaint: Any = None,
                 now: datetime | None = FIXED) -> Context:
    return Context(original=original, customers=customers, complaint=complaint, now=now)


def dict_resolver(zone: dict | None = None) -> DictResolver:
    """In-memory DNS: `{name: [{TYPE: value}, "TIMEOUT", ...]}` (see proxy.inbound.dns.DictResolver)."""
    return DictResolver(zone)


@dataclass(frozen=True)
class ExampleThread:
    """One thread of shared/examples/replies: original + reply + what the policy expects."""

    name: str
    original: ParsedMessage
    reply: ParsedMessage
    expect: dict

    def expects(self, rule_id: str) -> bool:
        return rule_id in self.expect["rules"]

    def context(self, **kwargs: Any) -> Context:
        return make_context(original=self.original, **kwargs)


def example_threads() -> list[str]:
    """Names of the shared example threads (for `parametrize`)."""
    return sorted(p.name for p in REPLY_EXAMPLES.iterdir() if (p / "expect.yaml").is_file())


def example_case(name: str) -> ExampleThread:
    d = REPLY_EXAMPLES / name
    return ExampleThread(name, parse((d / "original.eml").read_bytes()), parse((d / "reply.eml").read_bytes()),
                         yaml.safe_load((d / "expect.yaml").read_text()))


def example_customers() -> CustomerIndex:
    return CustomerIndex.from_csv(REPLY_EXAMPLES / "customers.csv")
