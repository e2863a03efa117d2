"""Rule documentation as `torchlint rules`, `torchlint explain` and the README table show it."""

from __future__ import annotations

from torchlint.engine import INTERNAL_ERROR, SYNTAX_ERROR
from torchlint.rules import ALL_RULES
from torchlint.rules.base import Rule

BUILTIN = (
    (*SYNTAX_ERROR, "The file does not parse; reported at the error, other files are still linted"),
    (*INTERNAL_ERROR, "torchlint failed on this file (a bug: please report it); exit code 2"),
)


def explain(rule: Rule) -> str:
    sections = [
        f"# {rule.code} {rule.name}",
        rule.summary,
        "## What it does\n" + rule.what,
        "## Why is this bad?\n" + rule.why,
        "## Example\n```python\n" + rule.example + "\n```",
        "## Use instead\n```python\n" + rule.use_instead + "\n```",
        "## Confirmed under torch\n" + rule.confirmed,
        "## Fix safety\n" + rule.fix_safety,
    ]
    return "\n\n".join(sections) + "\n"


def rules_listing() -> str:
    width = max(len(r.name) for r in ALL_RULES)
    lines = [f"{r.code}  {r.name:<{width}}  {'fix' if r.fixable else '   '}  {r.summary}" for r in ALL_RULES]
    lines += [f"{code}  {name:<{width}}       {summary}" for code, name, summary in BUILTIN]
    return "\n".join(lines) + "\n"


def rule_table() -> str:
    """The README's rule table, generated from the registry."""
    rows = ["| Code | Name | Severity | Fix | What it catches |", "| --- | --- | --- | --- | --- |"]
    for r in ALL_RULES:
        summary = r.summary.replace("|", "\\|")
        rows.append(f"| {r.code} | `{r.name}` | {r.severity.value} | {'yes' if r.fixable else 'no'} | {summary} |")
    for code, name, summary in BUILTIN:
        rows.append(f"| {code} | `{name}` | error | no | {summary} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(rule_table(), end="")
