"""SARIF 2.1.0, as GitHub code scanning and other static-analysis dashboards read it."""

from __future__ import annotations

import json
from pathlib import Path

from torchlint import __version__
from torchlint.diagnostics import Diagnostic, Severity
from torchlint.links import REPOSITORY, rule_url

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = REPOSITORY
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rules() -> list[dict]:
    from torchlint.docs import BUILTIN, explain
    from torchlint.rules import ALL_RULES

    rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": f"{rule.what} {rule.why}"},
            "help": {"text": f"{rule.why} Use instead: {rule.use_instead}", "markdown": explain(rule)},
            "helpUri": rule_url(rule.code, rule.name),
            "defaultConfiguration": {"level": _LEVEL[rule.severity]},
            "properties": {"fixable": rule.fixable},
        }
        for rule in ALL_RULES
    ]
    rules += [
        {
            "id": code,
            "name": name,
            "shortDescription": {"text": summary},
            "fullDescription": {"text": summary},
            "helpUri": rule_url(code, name),
            "defaultConfiguration": {"level": "error"},
        }
        for code, name, summary in BUILTIN
    ]
    return rules


def _uri(path: str, root: Path) -> str:
    candidate = Path(path)
    try:
        return candidate.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return candidate.resolve().as_uri()


def render(diagnostics: list[Diagnostic], root: Path) -> str:
    rules = _rules()
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [
        {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _LEVEL[d.severity],
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(d.path, root), "uriBaseId": "%SRCROOT%"},
                        "region": {
                            "startLine": d.start.line,
                            "startColumn": d.start.column,
                            "endLine": d.end.line,
                            "endColumn": d.end.column,
                        },
                    }
                }
            ],
        }
        for d in diagnostics
    ]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "torchlint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
