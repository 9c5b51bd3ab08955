"""mitmproxy addons: replyguard's policy engine in front of HTTP mail APIs.

One addon per API, each a small class of mitmproxy event hooks that reads its API's send
request, asks the shared Decider and acts on the verdict:

* `GmailGuard` (addons/gmail.py) — Gmail API `users.messages.send` (JSON `raw` and uploads)
* `GraphGuard` (addons/graph.py) — Microsoft Graph `sendMail`, `reply`, `replyAll`
* `JmapGuard`  (addons/jmap.py)  — JMAP `EmailSubmission/set` (RFC 8620/8621)

Composition happens here, once: `make_addons(decider, holder, auditor)` returns the list
the `-s` script (addons/entry.py) exports as `addons` for `mitmdump -s`. The mitmproxy
imports stay inside the function so `addons.shapes` is usable without the `addons` extra.
"""
from __future__ import annotations

from typing import Any, Callable

from proxy.decision import Auditor, Decider, Holder

GUARDS = ("addons.gmail:GmailGuard", "addons.graph:GraphGuard", "addons.jmap:JmapGuard")

# The hosts the guarded APIs live on: the only traffic the proxy intercepts (allow_hosts).
API_HOSTS = ("gmail.googleapis.com", "www.googleapis.com", "graph.microsoft.com", "api.fastmail.com")


def make_addons(decider: Decider, holder: Holder | None = None, auditor: Auditor | None = None,
                scope: Callable[[Any], bool] | None = None) -> list[Any]:
    """One instance of every API guard, all sharing the same Decider, Holder, Auditor and scope
    (which flows they may judge; None: all)."""
    import importlib

    guards = []
    for spec in GUARDS:
        module, _, name = spec.partition(":")
        guards.append(getattr(importlib.import_module(module), name)(decider, holder, auditor, scope))
    return guards
