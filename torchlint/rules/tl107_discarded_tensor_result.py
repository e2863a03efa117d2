from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.fixes import code
from torchlint.infer.scope import all_params, dotted_name
from torchlint.infer.traverse import nodes
from torchlint.patterns.bindings import ancestors, own_nodes, scope_binds
from torchlint.rules.base import Rule

# Tensor methods that return a new tensor and leave their receiver as it was.
_MOVES = frozenset({"to", "cuda", "cpu", "type", "pin_memory"})
_CASTS = frozenset({"float", "double", "half", "bfloat16", "int", "long", "bool", "byte", "char", "short"})
_SHAPES = frozenset(
    {"reshape", "view", "view_as", "reshape_as", "permute", "flatten", "unflatten", "contiguous", "expand",
     "expand_as", "repeat", "narrow", "movedim", "moveaxis"}
)  # fmt: skip
# Out-of-place methods whose in-place twin is `<name>_`.
_WITH_INPLACE = frozenset(
    {"add", "sub", "mul", "div", "true_divide", "floor_divide", "pow", "neg", "abs", "exp", "log", "log1p",
     "sqrt", "rsqrt", "sigmoid", "tanh", "relu", "clamp", "clip", "clamp_min", "clamp_max", "round", "floor",
     "ceil", "trunc", "sign", "reciprocal", "square", "transpose", "t", "squeeze", "unsqueeze", "detach",
     "masked_fill", "masked_scatter", "index_fill", "index_add", "index_copy", "scatter", "scatter_add", "cumsum",
     "tril", "triu", "lerp", "addcmul", "addcdiv", "addmm", "nan_to_num", "sin", "cos", "erf", "remainder",
     "fmod", "fill_diagonal"}
)  # fmt: skip
_PURE = _MOVES | _CASTS | _SHAPES | _WITH_INPLACE | {"clone", "softmax", "log_softmax", "sum", "mean", "flip"}
_RAISES_CONTEXTS = ("raises", "Raises", "expectedFailure", "warns", "Warns")


class DiscardedTensorResult(Rule):
    code = "TL107"
    name = "discarded-tensor-result"
    summary = "`x.to(device)`, `x.float()`, `x.add(1)` on their own line do nothing: tensor methods return a new tensor"
    severity = Severity.WARNING
    what = (
        "Flags an expression statement that calls an out-of-place method on a known tensor and drops "
        "the result: `x.to('cuda')`, `x.cuda()`, `x.cpu()`, `x.float()`, `x.add(1)`, `x.clamp(0)`, "
        "`x.reshape(...)`, `x.detach()`... Modules are not flagged: `model.to(device)` moves the module "
        "in place. Statements inside `pytest.raises`/`assertRaises` blocks and `try` bodies (calls made "
        "for their exception) are left alone, and so are the expressions a snippet displays (a notebook "
        "cell's last expression, a Markdown fence's expressions)."
    )
    why = (
        "Unlike `nn.Module.to`, `Tensor.to` and the other out-of-place methods leave the tensor as it "
        "was and return a new one: the line has no effect, and the code after it still works on the "
        "old device, dtype or values, failing later or silently computing the wrong thing."
    )
    example = 'x.to("cuda")\nlogits.clamp(min=-10, max=10)'
    use_instead = 'x = x.to("cuda")\nlogits.clamp_(min=-10, max=10)  # the in-place variant, where one exists'
    confirmed = "the tensor keeps its device, dtype and values after the statement (asserted in the fixtures)"
    fixable = True
    fix_safety = (
        "Only for a plain name (`x.to(d)` becomes `x = x.to(d)`), where the name is bound in the "
        "function it is used in (rebinding a global read there would make it local and raise "
        "`UnboundLocalError`). Safe where the name is assigned in that function (or module) and only "
        "used there as an operand, an attribute's object or an index's value: the later lines then see "
        "the result, as was meant, and nothing else held the old tensor. Unsafe where the name is a "
        "parameter, declared `global`/`nonlocal`, or may be aliased (passed to a call, stored, returned, "
        "assigned to another name): those other references keep the old tensor, which the author may "
        "have expected to change too. The fix changes what the name holds, so it is applied alone and "
        "the file re-linted before other fixes."
    )
    requires = tuple(sorted(f".{method}(" for method in _PURE))

    def visit_Expr(self, node: cst.Expr, ctx: RuleContext) -> None:
        call = node.value
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            return
        method = call.func.attr.value
        if method not in _PURE or (method == "type" and not call.args):
            return
        receiver = call.func.value
        if id(node) in ctx.displayed or not ctx.fact(receiver).is_tensor or _expects_exception(node, ctx):
            return
        name = dotted_name(receiver)
        subject = f"`{name}`" if name is not None else "the tensor"
        text = code(call)
        if name is None:
            advice = "assign the result"
        elif method in _WITH_INPLACE and method not in ("transpose", "t", "squeeze", "unsqueeze"):
            in_place = code(call.with_changes(func=call.func.with_changes(attr=cst.Name(method + "_"))))
            advice = f"assign it (`{name} = {text}`) or use the in-place `{in_place}`"
        else:
            advice = f"assign it: `{name} = {text}`"
        ctx.report(
            node,
            f"`.{method}()` returns a new tensor and leaves {subject} unchanged: the result is discarded, "
            f"so this line does nothing; {advice}",
            fix=_assign_back(node, receiver, ctx),
        )


def _assign_back(node: cst.Expr, receiver: cst.BaseExpression, ctx: RuleContext) -> fixes.PendingFix | None:
    """`x = x.method(...)` where `x` is a plain name bound in the scope of the statement."""
    if not isinstance(receiver, cst.Name):
        return None
    name = receiver.value
    scope = next((n for n in ancestors(node, ctx) if isinstance(n, (cst.FunctionDef, cst.ClassDef, cst.Module))), None)
    if scope is None or isinstance(scope, cst.ClassDef) or not scope_binds(scope, name):
        return None
    safe = not _parameter_or_declared(scope, name) and not _maybe_aliased(scope, name, ctx)
    return fixes.fix(
        f"Assign the result back: `{name} = ...`",
        Applicability.SAFE if safe else Applicability.UNSAFE,
        fixes.insert_before(node, f"{name} = "),
        rebinds=(name,),
    )


def _parameter_or_declared(scope: cst.FunctionDef | cst.Module, name: str) -> bool:
    if isinstance(scope, cst.FunctionDef) and name in {p.name.value for p in all_params(scope.params)}:
        return True
    return any(
        isinstance(n, (cst.Global, cst.Nonlocal)) and name in {item.name.value for item in n.names}
        for n in own_nodes(scope)
    )


def _maybe_aliased(scope: cst.FunctionDef | cst.Module, name: str, ctx: RuleContext) -> bool:
    """Is `name` used in its scope anywhere but as an operand, an attribute's object, an index's value
    or an assignment target? Nested functions and comprehensions count (they may keep it)."""
    body = scope.body if isinstance(scope, cst.FunctionDef) else scope
    for parent in nodes(body):  # type: ignore[arg-type]
        for child, harmless in _uses(parent):
            if isinstance(child, cst.Name) and child.value == name and not harmless:
                return True
    return False


def _uses(parent: cst.CSTNode) -> list[tuple[cst.CSTNode, bool]]:
    """The direct expression children of `parent`, each with whether a Name there could not escape."""
    if isinstance(parent, cst.Attribute):
        return [(parent.value, True)]
    if isinstance(parent, cst.Subscript):
        return [(parent.value, True)]
    if isinstance(parent, cst.BinaryOperation):
        return [(parent.left, True), (parent.right, True)]
    if isinstance(parent, cst.UnaryOperation):
        return [(parent.expression, True)]
    if isinstance(parent, cst.Comparison):
        return [(parent.left, True), *((c.comparator, True) for c in parent.comparisons)]
    if isinstance(parent, cst.AssignTarget):
        return [(parent.target, True)]
    if isinstance(parent, (cst.AugAssign, cst.AnnAssign)):
        return [(parent.target, True), (parent.value, isinstance(parent, cst.AugAssign))]
    if isinstance(parent, (cst.Global, cst.Nonlocal, cst.Param, cst.FunctionDef)):
        return []
    return [(child, False) for child in _expression_children(parent)]


def _expression_children(parent: cst.CSTNode) -> list[cst.CSTNode]:
    return [child for child in parent.children if isinstance(child, cst.Name)]


def _expects_exception(node: cst.CSTNode, ctx: RuleContext) -> bool:
    """Inside `with pytest.raises(...)`/`self.assertRaises(...)`, or the body of a `try` with handlers."""
    child = node
    for parent in ancestors(node, ctx):
        if isinstance(parent, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return False
        if isinstance(parent, cst.With) and any(_is_raises_context(item.item) for item in parent.items):
            return True
        if isinstance(parent, (cst.Try, cst.TryStar)) and child is parent.body and parent.handlers:
            return True
        child = parent
    return False


def _is_raises_context(item: cst.BaseExpression) -> bool:
    if not isinstance(item, cst.Call):
        return False
    func = item.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    return any(marker in name for marker in _RAISES_CONTEXTS)
