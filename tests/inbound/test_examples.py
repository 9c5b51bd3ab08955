"""Inbound corpora scored by the acceptance harness itself (check_inbound.py).

Why run the harness rather than re-implement its checks: it is what the project is held
to — a fresh `replyguard annotate` process per case, its own DNS server, its own parsing
of our headers (forged-header substitution included). Every case must be exact, in the
shared examples and in our own corpus (tests/inbound/corpus: carriers, free mail, ISP,
government, academic, null MX, non-existent domains, webmail seen only through
X-Originating-IP, a DKIM key that never answers, two signatures, null reverse-path).
"""
from __future__ import annotations

import os
import subprocess

import pytest
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
HARNESS = SHARED / "tools" / "check_inbound.py"
EXAMPLES = SHARED / "examples" / "inbound"
CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.mark.parametrize("corpus", [EXAMPLES, CORPUS], ids=["shared-examples", "own-corpus"])
def test_inbound_corpus_all_exact(corpus, tmp_path):
    cases = sorted(p for p in corpus.iterdir() if (p / "expect.yaml").exists())
    wrapper = tmp_path / "replyguard"
    # the harness runs `<replyguard> annotate ...`; keep its state (the store) out of the work tree
    wrapper.write_text(
        "#!/bin/sh\nexec %s -m proxy \"$@\" --state-dir %s\n" % (sys.executable, tmp_path / "state"),
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(
        [sys.executable, str(HARNESS), str(corpus), "--replyguard", str(wrapper)],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=600,
    )
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    assert last == "inbound: %d/%d exact" % (len(cases), len(cases)), proc.stdout + proc.stderr
    assert proc.returncode == 0
