"""What the shape rules (TL501-TL508) share: the evaluator's finding for a node, under the rule's code."""

from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.diagnostics import Severity
from torchlint.fixes import PendingFix
from torchlint.rules.base import Rule


class ShapeRule(Rule):
    """A definite runtime shape error; the message is torch's, followed by where each shape came from."""

    severity = Severity.ERROR

    def check(self, node: cst.CSTNode, ctx: RuleContext) -> None:
        finding = ctx.shape_finding(node)
        if finding is not None and finding.code == self.code:
            ctx.report(node, finding.message, refs=finding.refs, fix=self.fix_for(node))

    def fix_for(self, node: cst.CSTNode) -> PendingFix | None:
        """A rule whose error has one correct rewrite returns it here."""
        return None
