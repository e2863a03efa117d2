from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.infer.facts import Kind
from torchlint.infer.traverse import nodes
from torchlint.rules.base import Rule

_PARAMETER = ("torch.nn.Parameter", "torch.nn.parameter.Parameter")
_MODULE = ("torch.nn.Module", "torch.nn.modules.module.Module")
_REGISTER = ("register_buffer", "register_parameter", "add_module", "register_module")


class MissingSuperInit(Rule):
    code = "TL301"
    name = "missing-super-init"
    summary = "An `nn.Module` subclass's `__init__` must call `super().__init__()` before assigning submodules"
    severity = Severity.ERROR
    what = (
        "Flags a subclass of `nn.Module` (directly, through an alias, or through another class of "
        "the file that is one) whose `__init__` never calls `super().__init__()` (or "
        "`super(Cls, self).__init__()`, `Base.__init__(self)`), or assigns a submodule, parameter or "
        "buffer to `self` before that call."
    )
    why = (
        "`nn.Module.__init__` creates the registries that attribute assignment fills. Before it "
        "runs, `self.fc = nn.Linear(...)` raises `AttributeError: cannot assign module before "
        "Module.__init__() call`, and a module that never calls it fails on first use."
    )
    example = (
        "class Net(nn.Module):\n    def __init__(self):\n        self.fc = nn.Linear(4, 2)\n        super().__init__()"
    )
    use_instead = (
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 2)"
    )
    confirmed = "AttributeError: cannot assign module before Module.__init__() call"
    requires = ("__init__",)
    fixable = True
    fix_safety = (
        "Safe when the class derives from `nn.Module` directly: `super().__init__()` is inserted as the "
        "first statement (after the docstring), or an argument-less late call is moved there. Unsafe when "
        "the base is another class (its `__init__` may need arguments) or the late call passes arguments "
        "computed earlier in `__init__`."
    )

    def visit_ClassDef(self, node: cst.ClassDef, ctx: RuleContext) -> None:
        if not ctx.is_module_class(node):
            return
        init = next(
            (s for s in node.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"),
            None,
        )
        if init is None or not init.params.params or _is_stub(init):
            return
        finder = _InitFinder(init.params.params[0].name.value, ctx)
        finder.run(init.body)
        if finder.super_call is None:
            direct = all(ctx.qualname(base.value) in _MODULE for base in node.bases)
            ctx.report(
                init.name,
                f"`{node.name.value}.__init__` never calls `super().__init__()`: "
                "PyTorch raises AttributeError when the module is built or used",
                fix=_insert_super(init, Applicability.SAFE if direct else Applicability.UNSAFE),
            )
        elif finder.too_early is not None:
            ctx.report(
                finder.too_early,
                "Submodule, parameter or buffer assigned before `super().__init__()`: raises "
                "`AttributeError: cannot assign ... before Module.__init__() call`; call "
                "`super().__init__()` first",
                fix=_move_super(init, finder.super_call),
            )


def _first_statement(init: cst.FunctionDef) -> cst.BaseStatement | None:
    """Where `super().__init__()` goes: the first statement after the docstring."""
    if not isinstance(init.body, cst.IndentedBlock):
        return None
    body = list(init.body.body)
    if body and isinstance(body[0], cst.SimpleStatementLine) and _is_docstring(body[0]):
        body = body[1:]
    return body[0] if body else None


def _insert_super(init: cst.FunctionDef, applicability: Applicability) -> fixes.PendingFix | None:
    first = _first_statement(init)
    if first is None:
        return None
    return fixes.fix(
        "Call `super().__init__()` first", applicability, fixes.insert_line_before(first, "super().__init__()")
    )


def _move_super(init: cst.FunctionDef, call: cst.Call) -> fixes.PendingFix | None:
    """Move the statement holding the late call to the top; safe only when the call takes no arguments."""
    first = _first_statement(init)
    statement = next(
        (
            s
            for s in init.body.body
            if isinstance(s, cst.SimpleStatementLine) and len(s.body) == 1 and any(n is call for n in nodes(s))
        ),
        None,
    )
    if first is None or statement is None or statement is first:
        return None
    return fixes.fix(
        "Move `super().__init__()` to the top of `__init__`",
        Applicability.UNSAFE if call.args else Applicability.SAFE,
        fixes.delete_lines(statement),
        fixes.insert_line_before(first, fixes.statement_text(statement)),
    )


def _is_stub(function: cst.FunctionDef) -> bool:
    """`def __init__(self) -> None: ...` (type stubs, protocols) has no body to check."""
    body = function.body.body
    statements = [s for s in body if not (isinstance(s, cst.SimpleStatementLine) and _is_docstring(s))]
    return all(
        (
            isinstance(s, cst.SimpleStatementLine)
            and all(isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis) for small in s.body)
        )
        or (isinstance(s, cst.Expr) and isinstance(s.value, cst.Ellipsis))
        for s in statements
    )


def _is_docstring(line: cst.SimpleStatementLine) -> bool:
    return (
        len(line.body) == 1
        and isinstance(line.body[0], cst.Expr)
        and isinstance(line.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


class _InitFinder:
    """Walks `__init__` in source order: is `super().__init__()` called, and is anything registered first?"""

    def __init__(self, self_name: str, ctx: RuleContext) -> None:
        self.self_name = self_name
        self.ctx = ctx
        self.super_call: cst.Call | None = None
        self.too_early: cst.CSTNode | None = None

    def run(self, body: cst.BaseSuite) -> None:
        for node in nodes(body, skip=(cst.FunctionDef, cst.ClassDef)):
            if isinstance(node, cst.Call):
                self._call(node)
            elif isinstance(node, cst.Assign):
                self._assign(node)

    def _call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        if func.attr.value == "__init__":
            if self.super_call is None and self._is_base_init(node, func.value):
                self.super_call = node
        elif (
            func.attr.value in _REGISTER
            and self._is_self(func.value)
            and self.super_call is None
            and self.too_early is None
        ):
            self.too_early = node

    def _assign(self, node: cst.Assign) -> None:
        if self.super_call is not None or self.too_early is not None:
            return
        if any(self._is_self_attribute(t.target) for t in node.targets) and self._is_registered(node.value):
            self.too_early = node

    def _is_base_init(self, call: cst.Call, owner: cst.BaseExpression) -> bool:
        """`super().__init__(...)`, `super(Cls, self).__init__(...)` or `Base.__init__(self, ...)`."""
        if isinstance(owner, cst.Call) and isinstance(owner.func, cst.Name) and owner.func.value == "super":
            return True
        return bool(call.args) and self._is_self(call.args[0].value)

    def _is_self(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Name) and node.value == self.self_name

    def _is_self_attribute(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Attribute) and self._is_self(node.value)

    def _is_registered(self, value: cst.BaseExpression) -> bool:
        """A module or parameter built right here (values of unknown type are given the benefit)."""
        if not isinstance(value, cst.Call):
            return False
        if self.ctx.qualname(value.func) in _PARAMETER:
            return True
        return self.ctx.fact(value).kind is Kind.MODULE
