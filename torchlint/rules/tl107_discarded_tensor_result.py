from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.fixes import code
from torchlint.infer.scope import dotted_name
from torchlint.patterns.bindings import ancestors, scope_binds
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
        "Unsafe: `x.to(d)` becomes `x = x.to(d)`, so every later line sees the moved, cast or reshaped "
        "tensor: what was almost certainly meant, but a change of behaviour (a dtype, a device, values), "
        "and other references to the old tensor (an alias, the caller's argument for a parameter) keep "
        "it unchanged. Offered only for a plain name bound in the function (or module) the statement is "
        "in: rebinding a global read there would make it local and raise `UnboundLocalError`. The fix "
        "changes what the name holds, so it is applied alone and the file re-linted before other fixes."
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
    return fixes.fix(
        f"Assign the result back: `{name} = ...`",
        Applicability.UNSAFE,
        fixes.insert_before(node, f"{name} = "),
        rebinds=(name,),
    )


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
