"""What a training loop does with gradients: backward passes, optimizer steps, clears."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from torchlint.context import RuleContext
from torchlint.infer.evaluate import keyword_arg, positional_args
from torchlint.infer.facts import Kind
from torchlint.infer.scope import dotted_name, target_names
from torchlint.infer.traverse import nodes, walk
from torchlint.patterns.bindings import ancestors, assigned_values

ALL = "*"  # a clear that empties every gradient (model.zero_grad(), p.grad = None)
_OPTIMIZER_NAME = re.compile(r"(?i:optim)|(^|_)(opt|Opt|OPT)($|_|\d|[A-Z])")
_CLEAR_NAME = re.compile(r"zero_grad|clear_grad|reset_grad", re.IGNORECASE)
_LOOPS = (cst.For, cst.While)
_NEW_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
# Gradients of distributed autograd live in the `dist_autograd.context()` of one iteration, not in `.grad`.
_CONTEXT_BACKWARD = "torch.distributed.autograd.backward"


def is_optimizer(node: cst.BaseExpression, ctx: RuleContext) -> bool:
    """A torch optimizer, or a name that reads like one (`optimizer`, `opt_g`) and is not bound to another
    framework's object (`tf.keras.optimizers.SGD(...)`, `gluon.Trainer(...)`)."""
    fact = ctx.fact(node)
    if fact.kind is Kind.OPTIMIZER:
        return True
    if fact.kind is not Kind.UNKNOWN:
        return False
    name = dotted_name(node)
    if name is None or _OPTIMIZER_NAME.search(name.rsplit(".", 1)[-1]) is None:
        return False
    scope = next((n for n in ancestors(node, ctx) if isinstance(n, (cst.FunctionDef, cst.Module))), None)
    cache = ctx.cache.setdefault("foreign_optimizers", {})
    key = (name, id(scope))
    if key not in cache:
        cache[key] = any(_foreign(value, ctx) for value in assigned_values(node, ctx) or ())
    return not cache[key]


def _foreign(value: cst.BaseExpression, ctx: RuleContext) -> bool:
    """Is `value` made by a call to something imported from a package other than torch?"""
    if not isinstance(value, cst.Call):
        return False
    qualname = ctx.qualname(value.func)
    return qualname is not None and qualname.split(".", 1)[0] not in ("torch", "builtins")


def _is_grad_target(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Attribute) and node.attr.value == "grad"


def _method(node: cst.Call) -> tuple[str, cst.BaseExpression] | None:
    if isinstance(node.func, cst.Attribute):
        return node.func.attr.value, node.func.value
    return None


@dataclass
class Events:
    """Gradient events in source order; `depth` counts loops nested inside the analysed one."""

    backwards: list[tuple[int, cst.Call]] = field(default_factory=list)
    steps: list[tuple[int, str, cst.Call]] = field(default_factory=list)  # this loop's level only
    clears: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)  # plain and method call names, for helper lookup


class _Collector:
    def __init__(self, ctx: RuleContext, helpers: set[str]) -> None:
        self.ctx = ctx
        self.helpers = helpers
        self.events = Events()
        self.depth = 0
        self.order = 0

    def collect(self, root: cst.CSTNode) -> Events:
        walk(root, self.enter, self.leave)
        return self.events

    def enter(self, node: cst.CSTNode) -> bool:
        if isinstance(node, _NEW_SCOPES):
            return False
        if isinstance(node, _LOOPS):
            self.depth += 1
        elif isinstance(node, cst.Call):
            self._call(node)
        elif isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            if any(_is_grad_target(t) for t in targets):
                self.events.clears.add(ALL)
        return True

    def leave(self, node: cst.CSTNode) -> None:
        if isinstance(node, _LOOPS):
            self.depth -= 1

    def _call(self, node: cst.Call) -> None:
        self.order += 1
        ctx = self.ctx
        qualname = ctx.qualname(node.func)
        if qualname == "torch.autograd.backward":
            self.events.backwards.append((self.order, node))
            return
        if qualname == _CONTEXT_BACKWARD:
            return
        name = node.func.value if isinstance(node.func, cst.Name) else None
        method = _method(node)
        if method is not None:
            name, receiver = method
            if name == "backward":
                self.events.backwards.append((self.order, node))
                return
            if name == "step" and self.depth == 0:
                self._step(node, receiver)
                return
            if name == "zero_grad":
                key = dotted_name(receiver)
                self.events.clears.add(key if key and is_optimizer(receiver, ctx) else ALL)
                return
            if _is_grad_target(receiver) or (isinstance(receiver, cst.Attribute) and _is_grad_target(receiver.value)):
                if name in ("zero_", "detach_", "fill_"):
                    self.events.clears.add(ALL)
                    return
        if name is not None:
            self.events.calls.add(name)
            if name in self.helpers or _CLEAR_NAME.search(name):
                self.events.clears.add(ALL)

    def _step(self, node: cst.Call, receiver: cst.BaseExpression) -> None:
        if is_optimizer(receiver, self.ctx):
            key = dotted_name(receiver)
        else:  # `scaler.step(optimizer)` steps the optimizer it is given
            args = positional_args(node)
            if not args or not is_optimizer(args[0].value, self.ctx):
                return
            key = dotted_name(args[0].value)
        if key is not None:
            self.events.steps.append((self.order, key, node))


def clearing_helpers(ctx: RuleContext) -> set[str]:
    """Functions of this file that clear gradients (directly or through each other)."""
    cached = ctx.cache.get("clearing_helpers")
    if cached is not None:
        return cached
    functions = [n for n in nodes(ctx.module) if isinstance(n, cst.FunctionDef)]
    helpers: set[str] = set()
    changed = True
    while changed:
        changed = False
        for function in functions:
            if function.name.value in helpers:
                continue
            if _Collector(ctx, helpers).collect(function.body).clears:
                helpers.add(function.name.value)
                changed = True
    ctx.cache["clearing_helpers"] = helpers
    return helpers


def loop_events(loop: cst.For | cst.While, ctx: RuleContext) -> Events:
    """Events of one loop; helper functions are looked into only when nothing else clears.

    An optimizer built in the loop body over parameters that are themselves new in each iteration
    (`img = ...; opt = LBFGS([img])`) starts from empty gradients every time: it counts as cleared.
    """
    events = _Collector(ctx, set()).collect(loop.body)
    if events.backwards and events.steps and not events.clears and events.calls:
        if events.calls & clearing_helpers(ctx):
            events.clears.add(ALL)
    if events.backwards and events.steps:
        events.clears.update(_fresh_optimizers(loop, {key for _, key, _ in events.steps} - events.clears))
    return events


def _fresh_optimizers(loop: cst.For | cst.While, keys: set[str]) -> set[str]:
    """The optimizers among `keys` that the loop body builds anew over parameters bound in the body."""
    bound: set[str] = set(target_names(loop.target)) if isinstance(loop, cst.For) else set()
    built: dict[str, list[cst.Call]] = {}
    for node in nodes(loop.body, skip=_NEW_SCOPES):
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
            if isinstance(node.value, cst.Call):
                for target in targets:
                    key = dotted_name(target)
                    if key in keys:
                        built.setdefault(key, []).append(node.value)
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.For, cst.NamedExpr)):
            targets = [node.target]
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            targets = [node.asname.name]
        for target in targets:
            bound.update(target_names(target))
    fresh = set()
    for key, calls in built.items():
        if all(_params_bound(call, bound) for call in calls):
            fresh.add(key)
    return fresh


def _params_bound(call: cst.Call, bound: set[str]) -> bool:
    """Does every name the optimizer's parameter argument reads come from `bound`?"""
    args = positional_args(call)
    given = args[0] if args else keyword_arg(call, "params")
    if given is None:
        return False
    params = given.value
    attrs = {id(n.attr) for n in nodes(params) if isinstance(n, cst.Attribute)}
    lambdas = {p.name.value for n in nodes(params) if isinstance(n, cst.Lambda) for p in n.params.params}
    names = {n.value for n in nodes(params) if isinstance(n, cst.Name) and id(n) not in attrs}
    names -= lambdas | {"list", "filter", "chain", "itertools"}
    return bool(names) and names <= bound


def blocks_of(loop: cst.For | cst.While) -> list[list[cst.BaseStatement]]:
    """Statement lists that run once per iteration of this loop (not those of nested loops)."""
    blocks: list[list[cst.BaseStatement]] = []

    def add(suite: cst.BaseSuite | None) -> None:
        if isinstance(suite, cst.IndentedBlock):
            blocks.append(list(suite.body))
            for stmt in suite.body:
                for child in _child_suites(stmt):
                    add(child)

    add(loop.body)
    return blocks


def _child_suites(stmt: cst.BaseStatement) -> list[cst.BaseSuite]:
    if isinstance(stmt, cst.If):
        suites = [stmt.body]
        orelse = stmt.orelse
        while isinstance(orelse, cst.If):
            suites.append(orelse.body)
            orelse = orelse.orelse
        if orelse is not None:
            suites.append(orelse.body)
        return suites
    if isinstance(stmt, cst.With):
        return [stmt.body]
    if isinstance(stmt, (cst.Try, cst.TryStar)):
        suites = [stmt.body, *(h.body for h in stmt.handlers)]
        if stmt.orelse is not None:
            suites.append(stmt.orelse.body)
        if stmt.finalbody is not None:
            suites.append(stmt.finalbody.body)
        return suites
    return []


def statement_call(stmt: cst.BaseStatement) -> cst.Call | None:
    """The call of a statement line that is just `receiver.method(...)`."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            return small.value
    return None


def contains_backward(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and any(
        isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == "backward"
        for n in nodes(stmt)
    )
