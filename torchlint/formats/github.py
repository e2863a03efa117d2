"""GitHub Actions workflow commands: findings become annotations on the pull request."""

from __future__ import annotations

from torchlint.diagnostics import Diagnostic, Severity

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(d: Diagnostic) -> str:
    properties = [f"file={escape_property(d.path)}", f"line={d.start.line}"]
    if d.start.line == d.end.line:  # GitHub ignores columns on multi-line ranges
        properties.append(f"col={d.start.column}")
    properties.append(f"endLine={d.end.line}")
    if d.start.line == d.end.line:
        properties.append(f"endColumn={d.end.column}")
    properties.append(f"title={escape_property(f'{d.code} {d.name}')}")
    return f"::{_LEVEL[d.severity]} {','.join(properties)}::{escape_data(f'{d.code} {d.message}')}"


def render(diagnostics: list[Diagnostic]) -> str:
    return "".join(annotation(d) + "\n" for d in diagnostics)
