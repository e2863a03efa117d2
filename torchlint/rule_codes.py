"""Rule codes known without importing any rule (rule modules are named `tlNNN_name.py`).

Configuration is validated, and cache keys computed, before LibCST is imported (or at all,
when every file is a cache hit); tests/test_registry.py keeps this list equal to the registry.
"""

from __future__ import annotations

import re
from pathlib import Path

_MODULE = re.compile(r"^tl(\d{3})_\w+\.py$")

RULE_CODES: tuple[str, ...] = tuple(
    sorted(f"TL{m.group(1)}" for p in (Path(__file__).parent / "rules").iterdir() if (m := _MODULE.match(p.name)))
)
