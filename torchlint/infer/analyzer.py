"""One statement-ordered pass over a module that keeps facts current and feeds the rules.

Rules are called for each node *before* the statement holding it takes effect, so
`x = x.cpu().numpy()` sees `x` as it was before the line.  Loops are not iterated:
names a loop body rebinds are forgotten at the loop head, which keeps every fact
true on every iteration.  Function bodies are analysed after their enclosing body,
seeing outer names only when those are bound once (imports, `device = ...`).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import reduce
from typing import Protocol

import libcst as cst

from torchlint.infer import torch_api as api
from torchlint.infer.evaluate import Evaluator
from torchlint.infer.facts import EACH, UNKNOWN, Device, Fact, Kind, join, tensor
from torchlint.infer.scope import (
    BindingIndex,
    Env,
    Scope,
    all_params,
    dotted_name,
    join_all,
    registered_buffer,
    target_names,
)
from torchlint.infer.shapes import symbol
from torchlint.infer.tensor_ops import NAMED_LIST
from torchlint.infer.traverse import walk

Handler = Callable[[cst.CSTNode], None]
# A call's arguments: the positional facts, and the keyword ones by name.
Call = tuple[tuple[Fact, ...], tuple[tuple[str, Fact], ...]]
Block = Iterable[cst.BaseStatement] | cst.BaseSuite
Dispatch = dict[type, list[Handler]]

_TERMINATORS = (cst.Return, cst.Raise, cst.Continue, cst.Break)
_MAX_TARGETED = 16  # `forward` analyses with known inputs, per file
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
_LIST_READERS = frozenset({"index", "count", "copy", "pop", "clear", "reverse"})  # keep every item alike
_OVERLAID = frozenset({*_COMPREHENSIONS, cst.Lambda})  # nodes that bind names for their children only


@dataclass
class ClassInfo:
    node: cst.ClassDef
    is_module: bool
    attribute_counts: Counter[str] = field(default_factory=Counter)
    init_attributes: dict[str, Fact] = field(default_factory=dict)
    # For analysing `forward` again with known inputs: the class body's scope and the methods by name.
    scope: Scope | None = None
    methods: dict[str, list[cst.FunctionDef]] = field(default_factory=dict)


class Scheduler(Protocol):
    """Takes over the analyses of function bodies once the module's body has run (`Analyzer.pending`)."""

    def run(self, analyzer: Analyzer) -> None: ...


class _Walker:
    """Feeds every node of one statement (or statement header) to the rules."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.dispatch = analyzer.dispatch

    def enter(self, node: cst.CSTNode) -> bool:
        cls = type(node)
        handlers = self.dispatch.get(cls)
        if handlers is not None:
            for handler in handlers:
                handler(node)
        if cls in _OVERLAID:
            if cls is cst.Lambda:
                self.analyzer.evaluator.overlays.append({p.name.value: UNKNOWN for p in all_params(node.params)})
            else:
                self.analyzer.push_comprehension(node)
        return True

    def leave(self, node: cst.CSTNode) -> None:
        self.analyzer.evaluator.overlays.pop()


class Analyzer:
    def __init__(
        self,
        module: cst.Module,
        dispatch: Dispatch,
        *,
        seed: dict[str, Fact] | None = None,
        default_device: Device = Device.CPU,
        bindings: BindingIndex | None = None,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.module = module
        self.dispatch = dispatch
        self.evaluator = Evaluator(default_device)
        self.walker = _Walker(self)
        self.seed = seed or {}
        self.pending: deque[tuple[cst.FunctionDef, Scope, ClassInfo | None]] = deque()
        self.classes: dict[cst.ClassDef, ClassInfo] = {}
        self.bindings = bindings if bindings is not None else BindingIndex(module)
        # Runs each function analysis after the module's body (the incremental engine reuses some instead).
        self.scheduler = scheduler
        self.module_scope: Scope | None = None
        # Called for every tensor-valued binding (the facts API listens here).
        self.on_bind: Callable[[cst.BaseExpression, str, Fact], None] | None = None
        # True while `forward` is analysed again for a call with known input shapes.
        self.targeted = False
        self.evaluator.shapes = not self.bindings.mutates_shapes
        self.evaluator.forward_output = self.forward_output
        # `forward` analyses for calls with known inputs: their results by call, those in progress, and the
        # facts of the `return`s of the one being analysed.
        self._forward_results: dict[tuple, Fact] = {}
        self._forwarding: set[tuple] = set()
        self.returns: list[Fact] | None = None

    @property
    def scope(self) -> Scope:
        assert self.evaluator.scope is not None
        return self.evaluator.scope

    @property
    def env(self) -> Env:
        return self.scope.env

    def module_env(self) -> Env:
        assert self.module_scope is not None
        return self.module_scope.final or self.module_scope.env

    def run(self) -> None:
        scope = Scope("module", None, self.bindings.scope(self.module))
        self.module_scope = scope
        for name, fact in self.seed.items():  # a snippet's own binding of the name replaces it from there on
            scope.env.bind(name, fact)
        self._enter(scope, None)
        self._notify(self.module)
        self.exec_block(self.module.body)
        scope.final = scope.env
        if self.scheduler is not None:
            self.scheduler.run(self)
            return
        while self.pending:
            self._analyse_function(*self.pending.popleft())

    def forward_output(self, call: cst.Call, cls: cst.ClassDef, args: tuple[Fact, ...], init: Call | None) -> Fact:
        """What `forward` of a module class of this file returns for a call on these inputs.

        The class's `__init__` (with the constructor's arguments) and `forward` (with the call's) are
        analysed right here, as the call runs; shape errors inside them are reported with these shapes.
        """
        key = (id(call), id(cls), args, init, self.evaluator.guarded > 0)
        if key in self._forward_results:
            return self._forward_results[key]
        info = self.classes.get(cls)
        if info is None or info.scope is None or key in self._forwarding or not self._targetable(info):
            return UNKNOWN
        if len(self._forward_results) >= _MAX_TARGETED:
            return UNKNOWN
        self._forwarding.add(key)
        saved = self._suspend()
        returns: list[Fact] = []
        try:
            self.targeted = True
            attributes = self._constructed(info, init)
            if attributes is not None and not set(attributes) & self.bindings.attribute_writes:
                self.returns = returns
                self._analyse_function(info.methods["forward"][0], info.scope, info, (args, ()), attributes)
                self.returns = None
            while self.pending:
                self._analyse_function(*self.pending.popleft())
        finally:
            self._resume(saved)
            self._forwarding.discard(key)
        result = reduce(join, returns) if returns else UNKNOWN
        self._forward_results[key] = result
        return result

    def _suspend(self) -> tuple:
        """Set the analysis in progress aside, to analyse another function in the middle of it."""
        evaluator = self.evaluator
        saved = (evaluator.scope, evaluator.memo, evaluator.overlays, evaluator.self_name, evaluator.self_attributes,
                 self.pending, self.returns, self.targeted)  # fmt: skip
        evaluator.memo, evaluator.overlays, self.pending, self.returns = {}, [], deque(), None
        return saved

    def _resume(self, saved: tuple) -> None:
        evaluator = self.evaluator
        (evaluator.scope, evaluator.memo, evaluator.overlays, evaluator.self_name, evaluator.self_attributes,
         self.pending, self.returns, self.targeted) = saved  # fmt: skip

    def _constructed(self, info: ClassInfo, init: Call | None) -> dict[str, Fact] | None:
        """The instance's attributes: `__init__` analysed again with the constructor's arguments (or none known)."""
        methods = info.methods.get("__init__")
        if not methods:
            return info.init_attributes
        method = methods[0]
        self_name = _self_param(method)
        scope = self._analyse_function(method, info.scope, info, init)  # type: ignore[arg-type]
        if scope is None or self_name is None:
            return None
        prefix = self_name + "."
        return {k[len(prefix) :]: v for k, v in scope.env.values.items() if k.startswith(prefix)}

    def _targetable(self, info: ClassInfo) -> bool:
        """One `forward` that calling the instance runs, its output not changed by decorators or hooks, no
        `setattr`."""
        if len(info.methods.get("forward", ())) != 1 or len(info.methods.get("__init__", ())) > 1:
            return False
        if not self._decorators(info.methods["forward"][0]) <= api.TRANSPARENT_DECORATORS:
            return False
        return "__call__" not in info.methods and not self.bindings.dynamic_attributes and not self.bindings.hooks

    # -- plumbing ------------------------------------------------------------------

    def _enter(
        self,
        scope: Scope,
        info: ClassInfo | None,
        self_name: str | None = None,
        attributes: dict[str, Fact] | None = None,
    ) -> None:
        self.evaluator.scope = scope
        self.evaluator.memo.clear()
        self.evaluator.self_name = self_name
        if info is not None and self_name is not None:
            # The instance may have been moved since __init__: keep what it is, not where it is.
            stable = {
                k: self._unreplaced(k, v.with_device(Device.UNKNOWN, None))
                for k, v in (info.init_attributes if attributes is None else attributes).items()
                if info.attribute_counts[k] == 1
            }
            self.evaluator.self_attributes = stable
        else:
            self.evaluator.self_attributes = {}

    def _unreplaced(self, name: str, fact: Fact) -> Fact:
        """An attribute some code outside the class may replace (`model.fc = ...`) keeps no shape or layer."""
        if name in self.bindings.attribute_writes:
            return fact.but(value=None, shape=None, dtype=None, strides=None, shape_origin=None)
        return fact

    def _notify(self, node: cst.CSTNode) -> None:
        for handler in self.dispatch.get(type(node), ()):
            handler(node)

    def walk(self, *nodes: cst.CSTNode | None) -> None:
        self.evaluator.memo.clear()
        for node in nodes:
            if node is not None:
                walk(node, self.walker.enter, self.walker.leave, _OVERLAID)

    def push_comprehension(self, node: cst.CSTNode) -> None:
        overlay: dict[str, Fact] = {}
        self.evaluator.overlays.append(overlay)
        comp_for = getattr(node, "for_in", None)
        while comp_for is not None:
            element = self.evaluator.element_of(comp_for.iter)
            self._bind_into(overlay, comp_for.target, element)
            comp_for = comp_for.inner_for_in

    def _bind_into(self, overlay: dict[str, Fact], target: cst.BaseExpression, fact: Fact) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            elements = fact.elements if fact.kind in (Kind.SEQUENCE, Kind.SIZE) else None
            for i, element in enumerate(target.elements):
                value = elements[i] if elements is not None and len(elements) == len(target.elements) else UNKNOWN
                self._bind_into(overlay, element.value, value)
        elif isinstance(target, cst.Name):
            overlay[target.value] = fact

    # -- statements ----------------------------------------------------------------

    def exec_block(self, body: Block) -> bool:
        if isinstance(body, cst.IndentedBlock):
            body = body.body
        elif isinstance(body, cst.SimpleStatementSuite):
            return self._exec_small(body.body)
        terminated = False
        for stmt in body:
            if self.exec_stmt(stmt):
                terminated = True
        return terminated

    def _exec_small(self, statements: Iterable[cst.BaseSmallStatement]) -> bool:
        terminated = False
        for small in statements:
            self.walk(small)
            self.effect(small)
            terminated = terminated or isinstance(small, _TERMINATORS)
        return terminated

    def exec_stmt(self, stmt: cst.BaseStatement) -> bool:
        if isinstance(stmt, cst.SimpleStatementLine):
            return self._exec_small(stmt.body)
        if isinstance(stmt, cst.ClassDef):
            self._exec_class(stmt)
            return False
        self._notify(stmt)
        if isinstance(stmt, cst.If):
            return self._exec_if(stmt)
        if isinstance(stmt, (cst.For, cst.While)):
            self._exec_loop(stmt)
            return False
        if isinstance(stmt, (cst.Try, cst.TryStar)):
            return self._exec_try(stmt)
        if isinstance(stmt, cst.With):
            return self._exec_with(stmt)
        if isinstance(stmt, cst.FunctionDef):
            self.walk(*stmt.decorators, stmt.params, stmt.returns)
            self.env.bind(stmt.name.value, Fact(Kind.FUNCTION, qualname=stmt.name.value, node=stmt))
            self.pending.append((stmt, self.scope, None))
            return False
        if isinstance(stmt, cst.Match):
            self.walk(stmt.subject)
            return self._exec_branches([case.body for case in stmt.cases], fallthrough=True)
        return False

    def _exec_branches(self, bodies: list[Block], *, fallthrough: bool, cuda_test: bool = False) -> bool:
        start = self.env.copy()
        ends: list[Env] = [start.copy()] if fallthrough else []
        all_terminate = not fallthrough
        for body in bodies:
            self.scope.env = start.copy()
            if not self.exec_block(body):
                ends.append(self.scope.env)
                all_terminate = False
        if not ends:
            self.scope.env = start
            return all_terminate
        joined = join_all(ends)
        if cuda_test and len(ends) == 2:
            joined = _join_cuda_branches(ends[0], ends[1], joined)
        self.scope.env = joined
        return False

    def _exec_if(self, stmt: cst.If) -> bool:
        self.walk(stmt.test)
        cuda_test = self.evaluator.mentions_cuda_check(stmt.test)
        bodies: list[Block] = [stmt.body]
        orelse = stmt.orelse
        if isinstance(orelse, cst.If):
            return self._exec_branches([stmt.body, [orelse]], fallthrough=False, cuda_test=cuda_test)
        if isinstance(orelse, cst.Else):
            bodies.append(orelse.body)
        return self._exec_branches(bodies, fallthrough=orelse is None, cuda_test=cuda_test)

    def _exec_loop(self, stmt: cst.For | cst.While) -> None:
        rebound = self.bindings.loop(stmt)
        if isinstance(stmt, cst.For):
            self.walk(stmt.iter)
            element = self.evaluator.element_of(stmt.iter)
            for name in rebound:
                self.env.forget(name)
            entry = self.env.copy()
            self.walk(stmt.target)
            self.bind(stmt.target, element)
        else:
            for name in rebound:
                self.env.forget(name)
            entry = self.env.copy()
            self.walk(stmt.test)
        self.exec_block(stmt.body)
        self.scope.env = entry.join(self.env)
        if stmt.orelse is not None:
            self.exec_block(stmt.orelse.body)

    def _exec_try(self, stmt: cst.Try | cst.TryStar) -> bool:
        start = self.env.copy()
        guarded = _catches_shape_errors(stmt)  # code that expects to fail is not reported
        self.evaluator.guarded += guarded
        body_terminates = self.exec_block(stmt.body)
        self.evaluator.guarded -= guarded
        if stmt.orelse is not None and not body_terminates:
            body_terminates = self.exec_block(stmt.orelse.body)
        body_end = self.env
        ends = [] if body_terminates else [body_end]
        for handler in stmt.handlers:
            self.scope.env = start.join(body_end)
            self.walk(handler.type)
            if handler.name is not None:
                self.bind(handler.name.name, UNKNOWN)
            if not self.exec_block(handler.body):
                ends.append(self.scope.env)
        self.scope.env = join_all(ends) if ends else start.join(body_end)
        if stmt.finalbody is not None:
            self.exec_block(stmt.finalbody.body)
        return not ends

    def _exec_with(self, stmt: cst.With) -> bool:
        saved_no_grad = self.scope.no_grad
        saved_device = self.evaluator.default_device
        saved_autocast = self.evaluator.autocast
        for item in stmt.items:
            self.walk(item.item)
            context = item.item
            if isinstance(context, cst.Call):
                qualname = self.evaluator.qualname(context.func)
                if qualname in api.NO_GRAD_CONTEXTS:
                    self.scope.no_grad = True
                elif qualname in api.AUTOCAST_CONTEXTS:
                    self.evaluator.autocast = True
                elif qualname == "torch.device":
                    self.evaluator.default_device = self.evaluator.fact(context).device
            if item.asname is not None:
                self.bind(item.asname.name, self.evaluator.fact(context))
        guarded = any(_expects_error(item.item) for item in stmt.items)  # `with pytest.raises(...)`
        self.evaluator.guarded += guarded
        terminated = self.exec_block(stmt.body)
        self.evaluator.guarded -= guarded
        self.scope.no_grad = saved_no_grad
        self.evaluator.default_device = saved_device
        self.evaluator.autocast = saved_autocast
        return terminated

    def _exec_class(self, stmt: cst.ClassDef) -> None:
        self.walk(*stmt.decorators, *stmt.bases, *stmt.keywords)
        is_module = any(self._is_module_base(base.value) for base in stmt.bases)
        self.env.bind(
            stmt.name.value,
            Fact(Kind.CLASS, qualname=stmt.name.value, is_module_class=is_module, node=stmt),
        )
        info = ClassInfo(stmt, is_module)
        self.classes[stmt] = info
        self._notify(stmt)
        outer = self.scope
        class_scope = Scope("class", outer, self.bindings.scope(stmt))
        class_scope.no_grad = outer.no_grad
        saved = (self.evaluator.self_name, self.evaluator.self_attributes)
        self._enter(class_scope, None)
        methods: list[cst.FunctionDef] = []
        for item in stmt.body.body:
            if isinstance(item, cst.FunctionDef):
                self._notify(item)
                self.walk(*item.decorators, item.params, item.returns)
                methods.append(item)
            elif isinstance(item, cst.BaseSmallStatement):
                self._exec_small([item])
            else:
                self.exec_stmt(item)
        class_scope.final = class_scope.env
        self.evaluator.scope = outer
        self.evaluator.self_name, self.evaluator.self_attributes = saved
        for method in methods:
            self_name = _self_param(method)
            if self_name is not None:
                for key, count in self.bindings.scope(method).items():
                    if key.startswith(self_name + "."):
                        info.attribute_counts[key[len(self_name) + 1 :]] += count
        for base in stmt.bases:
            base_fact = self.evaluator.fact(base.value)
            base_info = self.classes.get(base_fact.node) if base_fact.kind is Kind.CLASS else None  # type: ignore[arg-type]
            if base_info is not None:  # what a subclass rebinds is not the base's to know
                base_info.attribute_counts.update(info.attribute_counts)
        methods.sort(key=lambda m: m.name.value != "__init__")
        info.scope = class_scope
        for method in methods:
            info.methods.setdefault(method.name.value, []).append(method)
        for method in methods:
            self.pending.append((method, class_scope, info))

    def is_module_class(self, node: cst.ClassDef) -> bool:
        info = self.classes.get(node)
        return info is not None and info.is_module

    def _is_module_base(self, base: cst.BaseExpression) -> bool:
        fact = self.evaluator.fact(base)
        if fact.kind is Kind.CLASS:
            return fact.is_module_class
        if fact.kind is Kind.IMPORT and fact.qualname is not None:
            module, _, name = fact.qualname.rpartition(".")
            return module.startswith("torch.nn") and name[:1].isupper() and name != "Parameter"
        return False

    def _analyse_function(
        self,
        node: cst.FunctionDef,
        parent: Scope,
        info: ClassInfo | None,
        call: Call | None = None,
        attributes: dict[str, Fact] | None = None,
    ) -> Scope | None:
        """Analyse a function body; with `call`, the parameters are bound to that call's arguments."""
        scope = Scope("function", parent, self.bindings.scope(node))
        self_name = _self_param(node) if info is not None else None
        self._enter(scope, info if node.name.value != "__init__" else None, self_name, attributes)
        decorators = self._decorators(node)
        scope.no_grad = bool(decorators & api.NO_GRAD_CONTEXTS)
        starred = (node.params.star_arg, node.params.star_kwarg)
        in_module = info is not None and info.is_module
        sized = {
            n for n, how in _sized_names(node.body).items() if (in_module or how == "size") and scope.bindings[n] == 1
        }
        for param in all_params(node.params):
            fact = self._annotation_fact(param.annotation) if param.annotation is not None else UNKNOWN
            if param in starred and fact.kind is Kind.INT:
                fact = UNKNOWN  # `*sizes: int` is a tuple of ints
            if param.annotation is None and param not in starred and param.name.value in sized:
                fact = tensor()  # `x.size(0)`, `B, T = x.shape`: a tensor whose shape the body tells
            scope.env.bind(param.name.value, self.evaluator.named(fact, param.name.value))
        if self_name is not None:
            scope.env.bind(self_name, Fact(Kind.SELF))
        if call is not None and not self._bind_call(node, scope, call):
            return None
        saved_autocast = self.evaluator.autocast
        self.evaluator.autocast = saved_autocast or bool(decorators & api.AUTOCAST_CONTEXTS)
        returns = self.returns
        if not self.exec_block(node.body) and returns is not None:
            returns.append(UNKNOWN)  # falls off the end: None
        self.evaluator.autocast = saved_autocast
        scope.final = scope.env
        if info is not None and self_name is not None and node.name.value == "__init__" and call is None:
            prefix = self_name + "."
            info.init_attributes = {k[len(prefix) :]: v for k, v in scope.env.values.items() if k.startswith(prefix)}
        return scope

    def _decorators(self, node: cst.FunctionDef) -> set[str | None]:
        """The qualified names of a function's decorators (None for one not known)."""
        return {
            self.evaluator.qualname(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
            for d in node.decorators
        }

    def _bind_call(self, node: cst.FunctionDef, scope: Scope, call: Call) -> bool:
        """Bind a method's parameters (after `self`) as a call would; False where the call would raise."""
        positional, keywords = call
        given = dict(keywords)
        params = [*node.params.posonly_params, *node.params.params][1:]
        if len(positional) > len(params) and not isinstance(node.params.star_arg, cst.Param):
            return False
        for param, fact in zip(params, positional, strict=False):
            scope.env.bind(param.name.value, fact)
        for param in [*params[len(positional) :], *node.params.kwonly_params]:
            name = param.name.value
            if name in given:
                scope.env.bind(name, self.evaluator.named(given.pop(name), name))
            elif param.default is not None:
                scope.env.bind(name, self.evaluator.named(self.evaluator.fact(param.default), name))
            else:
                return False
        return not given or node.params.star_kwarg is not None

    def _annotation_fact(self, annotation: cst.Annotation) -> Fact:
        if isinstance(annotation.annotation, cst.Name) and annotation.annotation.value == "int":
            return Fact(Kind.INT, value=symbol()) if self.evaluator.is_builtin("int") else UNKNOWN
        qualname = self.evaluator.qualname(annotation.annotation)
        if qualname in ("torch.Tensor", "torch.nn.Parameter"):
            return tensor()
        if qualname == "torch.device":
            return Fact(Kind.DEVICE)
        if qualname is not None and qualname.startswith("torch.optim") and qualname[-9:] == "Optimizer":
            return Fact(Kind.OPTIMIZER, qualname=qualname)
        if qualname is not None and qualname.startswith("torch.nn.") and qualname.rsplit(".", 1)[-1][:1].isupper():
            return Fact(Kind.MODULE, qualname=qualname)
        return UNKNOWN

    # -- effects of simple statements -------------------------------------------------

    def effect(self, small: cst.BaseSmallStatement) -> None:
        evaluate = self.evaluator.fact
        if isinstance(small, cst.Assign):
            value = evaluate(small.value)
            alias = dotted_name(small.value) if value.value == EACH else None
            if alias is not None:  # two names for one list: appends through either change both
                self.env.bind(alias, Fact(Kind.SEQUENCE))
                value = Fact(Kind.SEQUENCE)
            for target in small.targets:
                self.bind(target.target, self.evaluator.unpacked(small.value, target.target, value))
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self.bind(small.target, evaluate(small.value))
            else:
                self.bind(small.target, self._annotation_fact(small.annotation))
        elif isinstance(small, cst.AugAssign):
            self.bind(small.target, self.evaluator.augmented(small))
        elif isinstance(small, cst.Expr):
            self._in_place_call(small.value)
        elif isinstance(small, cst.Return) and self.returns is not None:
            self.returns.append(evaluate(small.value) if small.value is not None else UNKNOWN)
        elif isinstance(small, cst.Import):
            for alias in small.names:
                full = dotted_name(alias.name) or ""
                if alias.asname is not None:
                    self.bind(alias.asname.name, Fact(Kind.IMPORT, qualname=full))
                else:
                    top = full.split(".", 1)[0]
                    self.env.bind(top, Fact(Kind.IMPORT, qualname=top))
        elif isinstance(small, cst.ImportFrom):
            self._import_from(small)
        elif isinstance(small, cst.Del):
            for name in target_names(small.target):
                self.env.forget(name)

    def _import_from(self, small: cst.ImportFrom) -> None:
        if isinstance(small.names, cst.ImportStar):
            return
        module = dotted_name(small.module) if small.module is not None else None
        relative = bool(small.relative)
        for alias in small.names:
            bound = alias.asname.name if alias.asname is not None else alias.name
            name = dotted_name(alias.name)
            if module is None or relative or name is None:
                self.bind(bound, UNKNOWN)
            else:
                self.bind(bound, Fact(Kind.IMPORT, qualname=f"{module}.{name}"))

    def _in_place_call(self, value: cst.BaseExpression) -> None:
        """`model.to(device)` moves the module itself; `x.requires_grad_()` flags x."""
        if not isinstance(value, cst.Call) or not isinstance(value.func, cst.Attribute):
            return
        buffer = registered_buffer(value)
        if buffer is not None:  # `self.register_buffer("pe", torch.zeros(...))`: `self.pe` is that tensor
            tensor_arg = value.args[1]
            registered = self.evaluator.fact(tensor_arg.value) if tensor_arg.keyword is None else UNKNOWN
            self.env.bind(buffer, registered if registered.is_tensor else UNKNOWN)
            return
        key = dotted_name(value.func.value)
        if key is None:
            return
        receiver = self.evaluator.fact(value.func.value)
        method = value.func.attr.value
        if receiver.kind is Kind.SEQUENCE:
            self._list_method(key, receiver, method, value)
            return
        if (receiver.kind is Kind.MODULE and method in ("to", "cuda", "cpu")) or (
            receiver.is_tensor and method == "requires_grad_"
        ):
            self.env.bind(key, self.evaluator.fact(value))

    def _list_method(self, key: str, receiver: Fact, method: str, call: cst.Call) -> None:
        """`items.append(t)` to an empty list or to one whose items are all like t: a list of such items.
        Any other change to such a list leaves nothing known of its items."""
        if method in _LIST_READERS:
            return
        alike = receiver.value == EACH or (receiver.elements == () and receiver.value == NAMED_LIST)
        if not alike:
            return
        appended = self.evaluator.fact(call.args[0].value) if method == "append" and len(call.args) == 1 else UNKNOWN
        item = appended if receiver.value != EACH else join(receiver.elements[0], appended)  # type: ignore[index]
        if item.is_tensor and item.shape is not None:
            self.env.bind(key, Fact(Kind.SEQUENCE, elements=(item,), value=EACH))
        else:
            self.env.bind(key, Fact(Kind.SEQUENCE))

    def bind(self, target: cst.BaseExpression, fact: Fact) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            elements = fact.elements if fact.kind in (Kind.SEQUENCE, Kind.SIZE) else None
            starred = any(isinstance(e, cst.StarredElement) for e in target.elements)
            for i, element in enumerate(target.elements):
                known = elements is not None and not starred and len(elements) == len(target.elements)
                self.bind(element.value, elements[i] if known else UNKNOWN)
            return
        if isinstance(target, cst.Subscript):  # `items[i] = t`: a list's items are no longer all alike
            owner = dotted_name(target.value)
            if owner is not None and self.evaluator.fact(target.value).value == EACH:
                self.env.bind(owner, Fact(Kind.SEQUENCE))
            return
        key = dotted_name(target)
        if key is not None:
            fact = self.evaluator.named(fact, key)
            self.env.bind(key, fact)
            if self.on_bind is not None and fact.is_tensor:
                self.on_bind(target, key, fact)


def _join_cuda_branches(a: Env, b: Env, joined: Env) -> Env:
    """Under `if torch.cuda.is_available():`, cuda on one path and cpu on the other is maybe-cuda; so is a
    device value that is cuda on the first path and another device on the other (`elif mps: ... else: cpu`)."""
    for key, fact in joined.values.items():
        fa, fb = a.values[key], b.values[key]
        other = Device.UNKNOWN if fa.kind is Kind.DEVICE else Device.CPU
        if fa.kind is fb.kind and (
            {fa.device, fb.device} == {Device.CUDA, Device.CPU} or (fa.device, fb.device) == (Device.CUDA, other)
        ):
            origin = fa.device_origin if fa.device is Device.CUDA else fb.device_origin
            joined.values[key] = fact.but(device=Device.MAYBE_CUDA, device_origin=origin)
    return joined


_CAUGHT = frozenset({"Exception", "BaseException", "RuntimeError", "ValueError", "IndexError", "AssertionError"})
_EXPECTING_ERRORS = frozenset({"raises", "assertRaises", "assertRaisesRegex", "suppress"})


def _catches_shape_errors(stmt: cst.Try | cst.TryStar) -> bool:
    """Would a shape error in the try body be caught (a bare `except`, `except RuntimeError`...)?"""
    for handler in stmt.handlers:
        if handler.type is None:
            return True
        caught = [e.value for e in handler.type.elements] if isinstance(handler.type, cst.Tuple) else [handler.type]
        if any((dotted_name(c) or "").rsplit(".", 1)[-1] in _CAUGHT for c in caught):
            return True
    return False


def _expects_error(context: cst.BaseExpression) -> bool:
    return isinstance(context, cst.Call) and (dotted_name(context.func) or "").rsplit(".", 1)[-1] in _EXPECTING_ERRORS


def _sized_names(body: cst.BaseSuite) -> dict[str, str]:
    """Names whose sizes the body reads as a tensor's: `x.size(...)` ("size"), `x.shape[...]` and
    `B, T = x.shape` ("shape", which numpy arrays have too)."""
    found: dict[str, str] = {}

    def enter(node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return False
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "size":
            if isinstance(node.func.value, cst.Name) and all(a.keyword is None and not a.star for a in node.args):
                found[node.func.value.value] = "size"
        elif isinstance(node, cst.Subscript) and isinstance(node.value, cst.Attribute):
            if node.value.attr.value == "shape" and isinstance(node.value.value, cst.Name):
                found.setdefault(node.value.value.value, "shape")
        elif isinstance(node, cst.Assign) and isinstance(node.value, cst.Attribute):
            unpacked = any(isinstance(t.target, (cst.Tuple, cst.List)) for t in node.targets)
            if unpacked and node.value.attr.value == "shape" and isinstance(node.value.value, cst.Name):
                found.setdefault(node.value.value.value, "shape")
        return True

    walk(body, enter, lambda node: None)
    return found


def _self_param(node: cst.FunctionDef) -> str | None:
    for decorator in node.decorators:
        if isinstance(decorator.decorator, cst.Name) and decorator.decorator.value in ("staticmethod", "classmethod"):
            return None
    params = [*node.params.posonly_params, *node.params.params]
    return params[0].name.value if params else None
