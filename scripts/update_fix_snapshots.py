"""Regenerate `fixtures/<CODE>/bad_*.fixed.py`: what `torchlint check --fix --unsafe-fixes` makes of each bad fixture.

Run `python scripts/update_fix_snapshots.py` after changing a fix, then review the snapshots in the diff;
tests/test_fix_snapshots.py checks they are current, idempotent, clean and run under real torch.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from torchlint.fixer import fix_source  # noqa: E402
from torchlint.rules import RULES_BY_CODE  # noqa: E402


def snapshot_of(bad: Path) -> str:
    """`torchlint check --fix --unsafe-fixes --select CODE` on the fixture: its own rule's fixes only."""
    rules = [RULES_BY_CODE[bad.parent.name]]
    return fix_source(bad.read_text(encoding="utf-8"), str(bad), rules, unsafe=True).source


def main() -> int:
    written = 0
    for folder in sorted((ROOT / "fixtures").glob("TL*")):
        rule = RULES_BY_CODE.get(folder.name)
        for stale in folder.glob("*.fixed.py"):
            stale.unlink()
        if rule is None or not rule.fixable:
            continue
        for bad in sorted(folder.glob("bad_*.py")):
            fixed = snapshot_of(bad)
            if fixed != bad.read_text(encoding="utf-8"):
                bad.with_suffix(".fixed.py").write_text(fixed, encoding="utf-8")
                written += 1
    print(f"wrote {written} snapshots")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
