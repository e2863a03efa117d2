"""The rule registry, the file-derived code list and the rule documentation agree."""

from __future__ import annotations

from torchlint.rule_codes import RULE_CODES
from torchlint.rules import ALL_RULES


def test_codes_known_without_import_match_the_registry() -> None:
    assert tuple(sorted(rule.code for rule in ALL_RULES)) == RULE_CODES


def test_every_rule_is_documented() -> None:
    for rule in ALL_RULES:
        for field in ("name", "summary", "what", "why", "example", "use_instead", "confirmed"):
            assert getattr(rule, field, "").strip(), f"{rule.code} has no {field}"
        assert rule.requires, f"{rule.code} declares no pre-filter strings"
        if rule.fixable:
            assert rule.fix_safety != "No automatic fix.", f"{rule.code} is fixable but documents no fix safety"
