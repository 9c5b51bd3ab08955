"""Is a text Japanese or English? (for the language of findings and of the rules' cues)"""
from __future__ import annotations

import re
from typing import Literal


_JA_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
_LATIN_RE = re.compile(r"[A-Za-z]")


def language_of(text: str) -> Literal["ja", "en"]:
    text = text[:4000]  # enough to tell, and keeps a 100 KB mail cheap
    ja = len(_JA_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    return "ja" if ja and ja * 3 >= latin * 0.5 else "en"
