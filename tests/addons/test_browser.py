"""A real browser: headless Chromium, proxied through `replyguard addons`, uses the demo webmail.

The agent changes the customer's subject and presses Send: the page must show replyguard's
refusal (from the JMAP SetError) and the mail must never reach the server. Left as it is, the
reply goes through. On failure the test saves a screenshot of the page and names it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

import pytest

from addon_gateway import FAILED, Gateway
from cdp_pipe import CHROMIUM, Browser, Page, spki_hash

@pytest.fixture
def page(gateway: Gateway, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: run scripts/sysdeps.sh (Debian package chromium)"
    browser = Browser(gateway.proxy, tmp_path / "profile")
    try:
        tab = Page(browser, gateway.api.url + "/")
        yield tab
        if request.node.stash.get(FAILED, False):  # set by conftest's report hook
            shot = tab.screenshot(artifacts(tmp_path) / f"{request.node.name}.png")
            print(f"screenshot of the failing page: {shot}")
    finally:
        browser.close()


def artifacts(tmp_path: Path) -> Path:
    where = Path(os.environ.get("REPLYGUARD_ARTIFACTS") or tmp_path)
    where.mkdir(parents=True, exist_ok=True)
    return where


def sent_subjects(gateway: Gateway) -> list[str]:
    subjects = []
    for record in gateway.api.records:
        if record.path.startswith("/jmap/api"):
            for name, args, _ in json.loads(record.body)["methodCalls"]:
                if name == "Email/set":
                    subjects += [e.get("subject") for e in (args.get("create") or {}).values()]
    return subjects


def test_changed_subject_is_refused_and_the_refusal_is_visible(page: Page, gateway: Gateway) -> None:
    page.type_into("input[name=subject]", "Re: お問い合わせの件")
    page.click("#send")
    outcome = page.wait_for("['refused', 'sent'].includes(document.getElementById('status').className)"
                            " && document.getElementById('status').className")
    text = page.js("document.getElementById('status').innerText")
    visible = page.js("(() => { const r = document.getElementById('status').getBoundingClientRect();"
                      " return r.height > 0 && r.bottom <= window.innerHeight; })()")
    assert outcome == "refused"
    assert "[subject-changed]" in text and "件名は変えずに" in text and "食洗機の洗剤について" in text
    assert visible
    assert "Re: お問い合わせの件" not in sent_subjects(gateway)


def test_unchanged_reply_is_sent(page: Page, gateway: Gateway) -> None:
    page.click("#send")
    outcome = page.wait_for("['refused', 'sent'].includes(document.getElementById('status').className)"
                            " && document.getElementById('status').className")
    assert outcome == "sent", page.js("document.getElementById('status').innerText")
    assert "Re: 食洗機の洗剤について" in sent_subjects(gateway)


def test_over_https_with_replyguards_ca_the_refusal_is_visible(gateway: Gateway, tmp_path: Path,
                                                               request: pytest.FixtureRequest) -> None:
    """The webmail over HTTPS: Chromium trusts only replyguard's CA for it, as after installing it."""
    browser = Browser(gateway.proxy, tmp_path / "profile", (spki_hash(gateway.ca_cert.read_bytes()),))
    try:
        tab = Page(browser, gateway.api_tls.url + "/")
        try:
            tab.type_into("input[name=subject]", "Re: お問い合わせの件")
            tab.click("#send")
            outcome = tab.wait_for("['refused', 'sent'].includes(document.getElementById('status').className)"
                                   " && document.getElementById('status').className")
            assert outcome == "refused"
            assert "[subject-changed]" in tab.js("document.getElementById('status').innerText")
            assert tab.js("location.protocol") == "https:"
        except Exception:
            print(f"screenshot of the failing page: {tab.screenshot(artifacts(tmp_path) / f'{request.node.name}.png')}")
            raise
    finally:
        browser.close()


def test_over_https_without_replyguards_ca_the_browser_refuses_the_proxy(gateway: Gateway, tmp_path: Path) -> None:
    """The other half: the API host really is intercepted, so an untrusted CA stops the page."""
    browser = Browser(gateway.proxy, tmp_path / "profile")
    try:
        with pytest.raises(TimeoutError):
            Page(browser, gateway.api_tls.url + "/", timeout=5)
    finally:
        browser.close()
