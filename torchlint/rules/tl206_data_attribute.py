from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.diagnostics import Severity
from torchlint.fixes import code
from torchlint.infer.scope import dotted_name
from torchlint.infer.traverse import nodes
from torchlint.patterns.bindings import ancestors
from torchlint.patterns.modules import has_parameters
from torchlint.rules.base import Rule

_PARAMETER_ITERATORS = ("parameters", "named_parameters")
_PARAMETER_ATTRIBUTES = ("weight", "bias")
_LOOP_PARAMETERS = "tl206_loop_parameters"


class DataAttribute(Rule):
    code = "TL206"
    name = "data-attribute"
    summary = "`.data` bypasses autograd: changes through it give silently wrong gradients; use `.detach()`/`no_grad`"
    severity = Severity.INFO
    what = (
        "Flags reads and writes of `.data` on a known tensor or parameter: `x.data`, `p.data.add_(...)` "
        "for `p` in `model.parameters()`, `self.fc.weight.data = ...`."
    )
    why = (
        "`.data` is a leftover of the pre-0.4 Variable API: it returns the tensor's storage without "
        "autograd's version counter. A change through it is invisible to autograd, so a backward pass "
        "that saved the old values computes wrong gradients silently, where the same change through "
        "`.detach()` raises. Use `x.detach()` to read, and `with torch.no_grad():` to update parameters."
    )
    example = "for p in model.parameters():\n    p.data.add_(-lr * p.grad)"
    use_instead = "with torch.no_grad():\n    for p in model.parameters():\n        p.add_(-lr * p.grad)"
    confirmed = "a `.data` update before backward gives a wrong gradient silently; the `.detach()` form raises"
    requires = (".data",)

    def visit_For(self, node: cst.For, ctx: RuleContext) -> None:
        """`for p in model.parameters():` makes `p.data` in the body a parameter's."""
        call = node.iter
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            return
        if call.func.attr.value not in _PARAMETER_ITERATORS:
            return
        target = node.target
        if isinstance(target, cst.Tuple) and len(target.elements) == 2:
            target = target.elements[1].value
        if not isinstance(target, cst.Name):
            return
        name = target.value
        body = list(nodes(node.body, skip=(cst.FunctionDef, cst.ClassDef, cst.Lambda)))
        if any(_rebinds(n, name) for n in body):
            return
        marked = ctx.cache.setdefault(_LOOP_PARAMETERS, set())
        for n in body:
            if isinstance(n, cst.Attribute) and n.attr.value == "data" and dotted_name(n.value) == name:
                marked.add(id(n))

    def visit_Attribute(self, node: cst.Attribute, ctx: RuleContext) -> None:
        if node.attr.value != "data" or not self._on_tensor(node, ctx):
            return
        subject = dotted_name(node.value) or _short(code(node.value))
        parent = ancestors(node, ctx)[:2]
        if parent and isinstance(parent[0], cst.AssignTarget):
            ctx.report(
                node,
                f"Assigning `{subject}.data` swaps the tensor's storage behind autograd's back; "
                f"use `with torch.no_grad(): {subject}.copy_(...)`",
            )
        elif _mutated(node, parent):
            ctx.report(
                node,
                f"Changing `{subject}` through `.data` hides the change from autograd (gradients that "
                "saved the old values are silently wrong); update it under `with torch.no_grad():`",
            )
        else:
            ctx.report(
                node,
                f"`{subject}.data` is a detached alias autograd cannot track; use `{subject}.detach()`",
            )

    def _on_tensor(self, node: cst.Attribute, ctx: RuleContext) -> bool:
        if id(node) in ctx.cache.get(_LOOP_PARAMETERS, ()):
            return True
        receiver = node.value
        if ctx.fact(receiver).is_tensor:
            return True
        return (
            isinstance(receiver, cst.Attribute)
            and receiver.attr.value in _PARAMETER_ATTRIBUTES
            and has_parameters(ctx.fact(receiver.value), ctx)
        )


def _rebinds(node: cst.CSTNode, name: str) -> bool:
    if isinstance(node, cst.Assign):
        return any(isinstance(t.target, cst.Name) and t.target.value == name for t in node.targets)
    if isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.For)):
        return isinstance(node.target, cst.Name) and node.target.value == name
    return False


def _mutated(node: cst.Attribute, parents: list[cst.CSTNode]) -> bool:
    """`x.data.add_(...)`, `x.data[i] = ...`, `x.data += ...`."""
    if not parents:
        return False
    parent = parents[0]
    if isinstance(parent, cst.Attribute) and parent.value is node:
        method = parent.attr.value
        in_place = method.endswith("_") and not method.startswith("_")
        return in_place and len(parents) > 1 and isinstance(parents[1], cst.Call)
    if isinstance(parent, cst.AugAssign) and parent.target is node:
        return True
    if isinstance(parent, cst.Subscript) and parent.value is node and len(parents) > 1:
        return isinstance(parents[1], cst.AssignTarget) or (
            isinstance(parents[1], cst.AugAssign) and parents[1].target is parent
        )
    return False


def _short(text: str) -> str:
    """An expression as the message names it: its text when short, else the end of it."""
    return text if len(text) <= 40 else "…" + text[-39:]
