"""JSON text as proofgate writes it: two-space indents, UTF-8 as is, a final newline.

``orjson`` writes it (byte for byte what ``json.dumps(indent=2,
ensure_ascii=False)`` writes, which with an indent runs in pure Python: 0.3 s
for 14,000 findings against 0.02 s); ``json`` stays the fallback for what
orjson refuses, such as a path with bytes that are not UTF-8 (kept by git
listings as lone surrogates).
"""

from __future__ import annotations

import json
from typing import Any


def pretty(value: Any) -> str:
    import orjson

    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
    except (orjson.JSONEncodeError, UnicodeDecodeError):
        return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
