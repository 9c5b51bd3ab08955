"""The rule registry: an explicit, ordered tuple of the rule modules the engine may run.

Explicit on purpose (not package scanning, unlike Mailman's interface discovery): adding a
rule is a reviewed one-line change here, the order findings are reported in is fixed, and
a typo in a module name fails at import time instead of silently dropping a rule.
Each module's `ID` is its name in kebab-case (subject_changed.py ↔ subject-changed).
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from proxy.policy.model import Rule
from proxy.policy.rules import (
    apology_missing,
    other_customer_data,
    quote_altered,
    signature_missing,
    subject_changed,
)

RULES: tuple[Rule, ...] = (
    subject_changed,
    quote_altered,
    signature_missing,
    other_customer_data,
    apology_missing,
)

REGISTRY: Mapping[str, Rule] = MappingProxyType({rule.ID: rule for rule in RULES})

assert all(rule.ID.replace("-", "_") == rule.__name__.rpartition(".")[2] for rule in RULES), "rule ID must match its module name"
