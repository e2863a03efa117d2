from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
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
    fixable = True
    fix_safety = (
        "A read, `x.data` -> `x.detach()`: the same values, storage and `requires_grad=False`; safe where "
        "the result is used at once (`x.data.clone()`, `print(x.data)`), unsafe where it is stored "
        "(assigned, returned, passed to a call), since a later in-place change of the stored alias then "
        "bumps autograd's version counter and may raise where it was silently wrong. A write, "
        "`p.data.add_(u)` -> `with torch.no_grad(): p.add_(u)` and `w.data = v` -> "
        "`with torch.no_grad(): w.copy_(v)`: unsafe, autograd now sees the change (a backward pass that "
        "saved the old values raises instead of computing wrong gradients), and `copy_` needs `v` to "
        "fit `w`'s shape where `.data =` swapped in any tensor. Writes are fixed only where they are a "
        "whole statement on one line; under `torch.no_grad()` already, only `.data` is dropped."
    )

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
        outer = ancestors(node, ctx)
        parent = outer[:2]
        if parent and isinstance(parent[0], cst.AssignTarget):
            ctx.report(
                node,
                f"Assigning `{subject}.data` swaps the tensor's storage behind autograd's back; "
                f"use `with torch.no_grad(): {subject}.copy_(...)`",
                fix=_write_fix(node, outer, ctx, assigned=True),
            )
        elif _mutated(node, parent):
            ctx.report(
                node,
                f"Changing `{subject}` through `.data` hides the change from autograd (gradients that "
                "saved the old values are silently wrong); update it under `with torch.no_grad():`",
                fix=_write_fix(node, outer, ctx, assigned=False),
            )
        else:
            stored = bool(parent) and not isinstance(parent[0], (cst.Attribute, cst.Subscript))
            ctx.report(
                node,
                f"`{subject}.data` is a detached alias autograd cannot track; use `{subject}.detach()`",
                fix=fixes.fix(
                    "Use `.detach()`",
                    Applicability.UNSAFE if stored else Applicability.SAFE,
                    fixes.replace(node, f"{code(node.value)}.detach()"),
                ),
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


def _write_fix(
    node: cst.Attribute, outer: list[cst.CSTNode], ctx: RuleContext, *, assigned: bool
) -> fixes.PendingFix | None:
    """The write without `.data`, under `with torch.no_grad():` unless it is there already."""
    statement = next((n for n in outer if isinstance(n, cst.SimpleStatementLine)), None)
    if statement is None or len(statement.body) != 1 or "\n" in fixes.statement_text(statement):
        return None
    small = statement.body[0]
    if assigned:
        if not isinstance(small, cst.Assign) or len(small.targets) != 1 or small.targets[0].target is not node:
            return None
        copy = cst.parse_expression(f"{code(node.value)}.copy_({code(small.value)})")
        changed = statement.with_changes(body=[cst.Expr(copy)])
    else:
        changed = statement.deep_replace(node, node.value)
    text = fixes.statement_text(changed)  # type: ignore[arg-type]
    if ctx.no_grad:
        return fixes.fix("Drop `.data` (already under `no_grad`)", Applicability.UNSAFE, fixes.replace(statement, text))
    torch, imports = ctx.torch_name()
    return fixes.fix(
        "Drop `.data` and do it under `with torch.no_grad():`",
        Applicability.UNSAFE,
        fixes.wrap_in_block(statement, f"with {torch}.no_grad():", text, ctx.module.default_indent),
        *imports,
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
