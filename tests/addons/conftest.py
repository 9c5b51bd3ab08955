"""The one fixture the end-to-end tests share: a real `replyguard addons` (mitmdump) process.

It runs with the default policy over a fresh state dir whose store holds the demo customer
mail, in front of two demo webmail servers: `api` is a configured API host, `other` is not.
"""
from __future__ import annotations

from typing import Iterator

import pytest

from addon_gateway import FAILED, Gateway, running_gateway


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with running_gateway(tmp_path_factory.mktemp("state")) as gw:
        yield gw


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Marks a failed test so its fixtures can save evidence (the browser test's screenshot)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
