"""Gateway config: every mistake is `file:line:column: message`; flags win over the file."""
from __future__ import annotations

from pathlib import Path

import pytest

from proxy import config

EXAMPLE = Path(__file__).resolve().parents[2] / "gateway.example.yaml"


@pytest.mark.parametrize("text, error", [
    ("foo: 1\n", "gw.yaml:1:1: unknown key 'foo' (expected one of: state_dir, policy, listeners, upstream, limits, tls"),
    ("limits: 3\n", "gw.yaml:1:9: limits: expected a mapping of keys"),
    ("limits:\n  max_recipients: many\n", "gw.yaml:2:19: limits.max_recipients: expected a whole number, not 'many'"),
    ("limits:\n  max_message_size: huge\n", "gw.yaml:2:21: limits.max_message_size: expected a size such as 25MB or 512k, got 'huge'"),
    ("limits:\n  timeouts:\n    data: soon\n", "gw.yaml:3:11: limits.timeouts.data: expected a duration such as 30s, 2m or 250ms, got 'soon'"),
    ("upstream:\n  port: 25\n", "gw.yaml:2:3: upstream.host: upstream needs a host (remove the section for local maildir delivery)"),
    ("upstream:\n  host: h\n  verify: maybe\n", "gw.yaml:3:11: upstream.verify: expected true or false, not 'maybe'"),
    ("upstream:\n  host: h\n  auth: account\n", "gw.yaml:2:3: upstream.account: auth: account needs account.user and account.password_file"),
    ("listeners:\n  - address: nowhere\n", "gw.yaml:2:14: listeners[0].address: expected HOST:PORT, got 'nowhere'"),
    ("listeners:\n  - {address: '127.0.0.1:1', tls: ssl}\n", "gw.yaml:2:35: listeners[0].tls: must be one of starttls, implicit, none, not 'ssl'"),
    ("listeners: []\n", "gw.yaml:1:12: listeners: at least one listener is needed"),
    ("limits:\n  max_recipients: 1\n  max_recipients: 2\n", "gw.yaml:3:3: duplicate key 'limits.max_recipients'"),
    ("upstream: [\n", "gw.yaml:2:1: YAML syntax: expected the node content, but found '<stream end>'"),
    ("state_dir: !!python/name:os.system x\n", "gw.yaml:1:12: state_dir: could not determine a constructor for the tag"),
    ("limits:\n  max_recipients: !!int abc\n", "gw.yaml:2:19: limits.max_recipients: invalid literal for int()"),
])
def test_errors_carry_positions(text, error):
    with pytest.raises(config.ConfigError) as exc:
        config.loads(text, "gw.yaml")
    assert str(exc.value).startswith(error)  # other sections may add keys to the list


def test_values_sizes_durations_and_paths(tmp_path):
    f = tmp_path / "gw.yaml"
    f.write_text("state_dir: st\nlimits:\n  max_message_size: 10MB\n  timeouts: {connect: 5s, data: 2m, command: 250ms}\n"
                 "upstream: {host: smtp.example.com, port: 465, tls: implicit, ca_file: ca.pem}\n")
    cfg = config.load(f)
    assert cfg.limits.max_message_size == 10 * 1024 * 1024
    assert (cfg.limits.timeouts.connect, cfg.limits.timeouts.data, cfg.limits.timeouts.command) == (5, 120, 0.25)
    assert cfg.state_dir == str(tmp_path / "st") and cfg.upstream.ca_file == str(tmp_path / "ca.pem")
    assert cfg.upstream.tls == "implicit" and cfg.upstream.verify is True and cfg.upstream.auth == "passthrough"


def test_defaults_are_the_embedded_gateway():
    cfg = config.loads("", "gw.yaml")
    assert cfg.upstream is None and cfg.listeners[0].address == "127.0.0.1:10587"
    assert cfg.listeners[0].tls == "starttls" and cfg.policy == ""  # the shipped default policy


def test_flags_override_the_file():
    cfg = config.loads("upstream: {host: a, port: 25, tls: none}\n", "gw.yaml")
    config.apply_overrides(cfg, listen="127.0.0.1:2525", upstream="b.example:587", upstream_tls="starttls",
                           state_dir="/tmp/x")
    assert (cfg.listeners[0].port, cfg.upstream.host, cfg.upstream.port, cfg.upstream.tls, cfg.state_dir) == \
        (2525, "b.example", 587, "starttls", "/tmp/x")
    config.apply_overrides(cfg, upstream="none")
    assert cfg.upstream is None
    with pytest.raises(ValueError):
        config.apply_overrides(cfg, upstream_tls="starttls")


def test_auth_without_tls_policy():
    lst = config.ListenerConfig
    assert not lst("127.0.0.1:1").auth_needs_tls() and lst("0.0.0.0:1").auth_needs_tls()
    assert lst("127.0.0.1:1", auth_without_tls="never").auth_needs_tls()
    assert not lst("0.0.0.0:1", tls="implicit").auth_needs_tls()


def test_shipped_example_config_is_valid():
    cfg = config.load(EXAMPLE)
    assert cfg.listeners and cfg.limits.max_recipients > 0


def _keys(cls, prefix=""):
    import dataclasses
    import typing

    hints = typing.get_type_hints(cls, include_extras=True)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        inner = [a for a in typing.get_args(tp) if dataclasses.is_dataclass(a)]
        if dataclasses.is_dataclass(tp):
            yield from _keys(tp, f"{prefix}{f.name}.")
        elif inner and f.name in ("listeners", "upstream"):
            yield from _keys(inner[0], f"{prefix}{f.name}.")
        else:
            yield prefix + f.name


def test_every_config_key_is_documented():
    doc = (EXAMPLE.parent / "docs" / "configuration.md").read_text()
    missing = []
    for key in _keys(config.GatewayConfig):
        section, _, rest = key.partition(".")
        leaf = rest.split(".", 1)[-1] if section in ("upstream", "limits") and rest.count(".") else rest
        # a key is documented when its table row names it (`key` or `sub.key`)
        if f"`{rest or section}`" not in doc and f"`{leaf}`" not in doc:
            missing.append(key)
    assert missing == []


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = ["listeners:", "upstream:", "limits:", "tls:", "  ", "- ", "address: ", "host: ", "port: ", "max_message_size: ",
           "timeouts: ", "{", "}", "[", "]", ":", "\n", "'", '"', "!!int ", "!!binary ", "&a ", "*a", "25MB", "-1", "x",
           "127.0.0.1:1", "yes", "null", "\t", "#", "état", "1e9", "0x10", "~"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30))
def test_any_text_gives_a_config_or_a_positioned_error(pieces):
    try:
        config.loads("".join(pieces), "gw.yaml")
    except config.ConfigError as exc:
        assert str(exc).startswith("gw.yaml")
