from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.fixes import code
from torchlint.infer.evaluate import positional_args
from torchlint.infer.facts import Kind
from torchlint.infer.scope import dotted_name, target_names
from torchlint.infer.traverse import nodes
from torchlint.patterns.bindings import assigned_values
from torchlint.patterns.grad import requires_grad
from torchlint.patterns.leaf import is_leaf_value
from torchlint.rules.base import Rule

_NEW_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_MARKS = "tl204_accumulations"
_PYTHON_CONVERSIONS = frozenset({"float", "int", "bool", "round", "str", "len", "abs"})
_DETACHING_METHODS = frozenset({"item", "tolist", "detach", "numpy", "data"})


class LossKeptWithGraph(Rule):
    code = "TL204"
    name = "loss-kept-with-graph"
    summary = "`total += loss` / `losses.append(loss)` in a training loop keeps every iteration's autograd graph"
    severity = Severity.WARNING
    what = (
        "Flags, in a loop that calls `.backward()` every iteration, `acc += v`, `acc = acc + v` and "
        "`acc.append(v)` where `acc` lives across iterations and `v` is a tensor that requires grad "
        "(the loss, a model output, something computed from them) rather than `v.item()` or `v.detach()`."
    )
    why = (
        "A tensor that requires grad carries its autograd graph. Summing or storing it keeps that graph "
        "(and, before `backward()`, the activations it saved) alive for as long as the accumulator lives: "
        "memory grows with every iteration until the epoch ends or the GPU runs out. PyTorch's FAQ calls "
        "this out: `total_loss += loss` accumulates history across the training loop."
    )
    example = "for x, y in loader:\n    loss = loss_fn(model(x), y)\n    loss.backward()\n    total_loss += loss"
    use_instead = "    total_loss += loss.item()  # or loss.detach() to keep a tensor"
    confirmed = "the accumulated total holds every iteration's graph: its autograd node count grows with iterations"
    requires = ("backward",)
    fixable = True
    fix_safety = (
        "Unsafe: the fix drops the graph, which is the point, but code that later backpropagates through "
        "the accumulator (or reads its `grad_fn`) stops working. `total += loss` becomes "
        "`total += loss.item()` where `loss` is known to be a scalar (the total becomes a Python number, "
        "so a later `total.item()` or tensor method breaks); elsewhere, and for `list.append`, whose "
        "list later code may `torch.stack`, it becomes `.detach()`, which keeps a tensor with the same "
        "values, dtype and device."
    )

    def visit_For(self, node: cst.For, ctx: RuleContext) -> None:
        self._mark(node, ctx)

    def visit_While(self, node: cst.While, ctx: RuleContext) -> None:
        self._mark(node, ctx)

    def _mark(self, loop: cst.For | cst.While, ctx: RuleContext) -> None:
        """Record the accumulations of a loop with a backward pass (checked when their statement runs)."""
        body = list(nodes(loop.body, skip=_NEW_SCOPES))
        backward_targets: set[str | None] = set()
        for node in body:
            if isinstance(node, cst.Call):
                target = _backward_target(node, ctx)
                if target is not False:
                    backward_targets.add(target)  # type: ignore[arg-type]
        if not backward_targets:
            return
        rebound: set[str] = set()
        accumulations: list[tuple[cst.CSTNode, str, cst.BaseExpression]] = []
        for node in body:
            found = _accumulation(node)
            if found is not None:
                accumulations.append((node, *found))
                continue
            if isinstance(node, (cst.Assign, cst.AnnAssign, cst.For, cst.WithItem, cst.NamedExpr)):
                rebound.update(_bound_names(node))
        marks = ctx.cache.setdefault(_MARKS, {})
        for node, acc, value in accumulations:
            if acc not in rebound and acc not in backward_targets:
                marks[id(node)] = (acc, value, backward_targets)

    def visit_AugAssign(self, node: cst.AugAssign, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def visit_Assign(self, node: cst.Assign, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def visit_Expr(self, node: cst.Expr, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def _check(self, node: cst.CSTNode, ctx: RuleContext) -> None:
        mark = ctx.cache.get(_MARKS, {}).get(id(node))
        if mark is None:
            return
        acc, value, backward_targets = mark
        if not _computed(value, backward_targets, ctx):
            return
        if not requires_grad(value, ctx) and not _backward_loss(value, backward_targets, ctx):
            return
        text = code(value)
        operand = f"({text})" if isinstance(value, (cst.BinaryOperation, cst.UnaryOperation)) else text
        scalar = ctx.fact(value).shape == () and not isinstance(node, cst.Expr)
        method = ".item()" if scalar else ".detach()"
        ctx.report(
            node,
            f"`{acc}` keeps `{text}` with its autograd graph across iterations of this training loop: "
            f"memory grows every iteration; accumulate `{operand}.item()` (or `{operand}.detach()`) instead",
            fix=fixes.fix(f"Accumulate `{method}`", Applicability.UNSAFE, fixes.append(value, method)),
        )


def _backward_target(call: cst.Call, ctx: RuleContext) -> str | bool | None:
    """The dotted name `.backward()` is called on (None for an expression); False when not a backward call."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value == "backward":
        return dotted_name(func.value)
    if ctx.qualname(func) == "torch.autograd.backward":
        args = positional_args(call)
        return dotted_name(args[0].value) if args else None
    return False


def _accumulation(node: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """(`acc`, `v`) for `acc += v`, `acc = acc + v`, `acc.append(v)`."""
    if isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.AddAssign):
        acc = dotted_name(node.target)
        return (acc, node.value) if acc is not None else None
    if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.value, cst.BinaryOperation):
        acc = dotted_name(node.targets[0].target)
        value = node.value
        if acc is None or not isinstance(value.operator, cst.Add):
            return None
        if dotted_name(value.left) == acc:
            return acc, value.right
        if dotted_name(value.right) == acc:
            return acc, value.left
        return None
    if isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
        call = node.value
        func = call.func
        args = positional_args(call)
        if isinstance(func, cst.Attribute) and func.attr.value == "append" and len(args) == 1 == len(call.args):
            acc = dotted_name(func.value)
            return (acc, args[0].value) if acc is not None else None
    return None


def _bound_names(node: cst.CSTNode) -> set[str]:
    if isinstance(node, cst.Assign):
        return {name for t in node.targets for name in target_names(t.target)}
    if isinstance(node, cst.WithItem):
        return set(target_names(node.asname.name)) if node.asname is not None else set()
    return set(target_names(node.target))  # type: ignore[attr-defined]


def _computed(value: cst.BaseExpression, backward_targets: set[str | None], ctx: RuleContext, depth: int = 3) -> bool:
    """A loss or a computed result (its graph is what is kept), not a leaf such as a parameter."""
    name = dotted_name(value)
    if name is not None and name in backward_targets:
        return True
    if isinstance(value, (cst.BinaryOperation, cst.UnaryOperation)):
        return True
    if isinstance(value, cst.Call):
        return not is_leaf_value(value, ctx)
    if name is not None and depth > 0:
        values = assigned_values(value, ctx)
        return values is not None and all(_computed(v, set(), ctx, depth - 1) for v in values)
    return False


def _backward_loss(value: cst.BaseExpression, backward_targets: set[str | None], ctx: RuleContext) -> bool:
    """The name this loop calls `.backward()` on, still holding what it was computed as (so it has a graph)."""
    name = dotted_name(value)
    fact = ctx.fact(value)
    if name is None or name not in backward_targets or fact.kind not in (Kind.TENSOR, Kind.UNKNOWN):
        return False
    if fact.requires_grad is False:
        return False
    values = assigned_values(value, ctx)
    return bool(values) and all(_keeps_graph(v) for v in values)


def _keeps_graph(value: cst.BaseExpression) -> bool:
    """A computation, not a conversion to a Python number or a detached copy."""
    if isinstance(value, cst.BinaryOperation):
        return True
    if not isinstance(value, cst.Call):
        return False
    func = value.func
    if isinstance(func, cst.Name):
        return func.value not in _PYTHON_CONVERSIONS
    return not (isinstance(func, cst.Attribute) and func.attr.value in _DETACHING_METHODS)
