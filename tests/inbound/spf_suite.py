"""Load the openspf RFC 7208 suite and turn each scenario's zonedata into a dnsfixture zone.

The suite was written for pyspf's test driver, whose DNS stub has two habits
the zone must reproduce: an `SPF` record also answers TXT queries unless the
name lists its own TXT records (`TXT: NONE` means "no TXT at all"), and a
`TIMEOUT` entry times out only the record types not listed before it.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from dnsfixture_proc import SUITES

SUITE = SUITES / "spf-rfc7208" / "rfc7208-tests.yml"
TYPES = ("TXT", "SPF", "A", "AAAA", "MX", "PTR", "CNAME")


def load_scenarios(path: Path = SUITE) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc]


def _fqdn(host: str) -> str:
    return host if host.endswith(".") else host + "."


def to_zone(zonedata: dict) -> dict:
    zone: dict[str, list] = {}
    for name, entries in (zonedata or {}).items():
        out: list = []
        seen: set[str] = set()
        spf: list = []
        has_txt = False
        for entry in entries or []:
            if entry == "TIMEOUT":
                rest = [t for t in TYPES if t not in seen]
                out.append("TIMEOUT" if not seen else {"TIMEOUT": rest})
                break  # the stub stops reading the name's list at TIMEOUT
            ((rtype, value),) = entry.items()
            rtype = rtype.upper()
            if rtype == "TXT":
                has_txt = True
                if value == "NONE":
                    continue
            seen.add(rtype)
            if rtype == "MX":
                pref, host = value
                value = "%d %s" % (int(pref), _fqdn(host) if host else ".")
            elif rtype in ("PTR", "CNAME"):
                value = _fqdn(value)
            if rtype == "SPF":
                spf.append(value)
            out.append({rtype: value})
        if spf and not has_txt:
            out.extend({"TXT": v} for v in spf)
            if any(isinstance(e, dict) and "TIMEOUT" in e for e in out):
                for e in out:
                    if isinstance(e, dict) and "TIMEOUT" in e:
                        e["TIMEOUT"] = [t for t in e["TIMEOUT"] if t != "TXT"]
        zone[str(name)] = out
    return zone


def cases() -> list[tuple[int, str, dict]]:
    return [(i, tid, t) for i, sc in enumerate(load_scenarios()) for tid, t in sc["tests"].items()]
