"""The rule interface: a small class with docs and `visit_<Node>` hooks."""

from __future__ import annotations

from typing import ClassVar

from torchlint.diagnostics import Severity


class Rule:
    """Subclasses declare their identity and documentation, and define hooks.

    A hook is a method `visit_<LibCST node class>(self, node, ctx)`; the engine calls
    it for every such node during its single pass, with `ctx` (a RuleContext)
    answering questions about names and tensors at that point.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING
    # Documentation, in the order `torchlint explain` prints it.
    what: ClassVar[str]
    why: ClassVar[str]
    example: ClassVar[str]
    use_instead: ClassVar[str]
    # What real torch did with the rule's bad fixture (checked against the fixtures by a test).
    confirmed: ClassVar[str]
    fixable: ClassVar[bool] = False
    fix_safety: ClassVar[str] = "No automatic fix."
    # The rule can only fire on a source containing one of these strings (a free pre-filter).
    requires: ClassVar[tuple[str, ...]] = ()

    def hooks(self) -> dict[str, object]:
        """Hook methods by LibCST node class name."""
        return {
            attr[len("visit_") :]: getattr(self, attr)
            for attr in dir(self)
            if attr.startswith("visit_") and callable(getattr(self, attr))
        }
