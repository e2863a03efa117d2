"""Which activation a value last went through: a softmax, a log-softmax, a sigmoid, or none known.

Syntactic, so that it can look inside a model class's `forward` from the line that calls the
model: names resolve through every assignment in their scope (`patterns.bindings`), modules
through their constructor (`nn.Softmax(dim=1)`, the last layer of an `nn.Sequential`, a class
of the file and its `forward`).
"""

from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.infer.evaluate import positional_args
from torchlint.infer.facts import UNKNOWN, Kind
from torchlint.infer.traverse import nodes
from torchlint.patterns.bindings import assigned_values, reaching_value
from torchlint.patterns.modules import local_class, moved_call, torch_layer

SOFTMAX, LOG_SOFTMAX, SIGMOID = "softmax", "log_softmax", "sigmoid"
_FUNCTIONS = {
    "torch.softmax": SOFTMAX,
    "torch.nn.functional.softmax": SOFTMAX,
    "torch.special.softmax": SOFTMAX,
    "torch.log_softmax": LOG_SOFTMAX,
    "torch.nn.functional.log_softmax": LOG_SOFTMAX,
    "torch.special.log_softmax": LOG_SOFTMAX,
    "torch.sigmoid": SIGMOID,
    "torch.nn.functional.sigmoid": SIGMOID,
    "torch.special.expit": SIGMOID,
}
_LAYERS = {"Softmax": SOFTMAX, "LogSoftmax": LOG_SOFTMAX, "Sigmoid": SIGMOID}
_METHODS = {"softmax": SOFTMAX, "log_softmax": LOG_SOFTMAX, "sigmoid": SIGMOID}
# Methods that keep values as they are (a probability stays one).
SHAPE_ONLY = frozenset(
    {"squeeze", "unsqueeze", "view", "reshape", "flatten", "permute", "transpose", "contiguous", "float", "to",
     "cpu", "cuda"}
)  # fmt: skip
_DEPTH = 6


def final_activation(
    expr: cst.BaseExpression, ctx: RuleContext, depth: int = _DEPTH, *, here: bool = True
) -> tuple[str, cst.CSTNode] | None:
    """(activation, the node applying it) when every way `expr` is computed ends in that activation.

    `here` says `expr` is at the analysis's current point, so that its facts may be asked; inside
    a class's `forward` seen from elsewhere only syntax and imports are used.
    """
    if depth == 0:
        return None
    if isinstance(expr, cst.Call):
        func = expr.func
        qualname = ctx.qualname(func)
        if qualname is not None:
            found = _FUNCTIONS.get(qualname)
            return (found, expr) if found is not None else None
        if isinstance(func, cst.Attribute) and func.attr.value in _METHODS:
            return _METHODS[func.attr.value], expr
        if isinstance(func, cst.Attribute) and func.attr.value in SHAPE_ONLY:
            return final_activation(func.value, ctx, depth - 1, here=here)
        return module_activation(func, ctx, depth - 1, here=here)
    if isinstance(expr, cst.Subscript):
        return final_activation(expr.value, ctx, depth - 1, here=here)
    if isinstance(expr, (cst.Name, cst.Attribute)):
        reaching = reaching_value(expr, ctx)
        if reaching is not None:
            return final_activation(reaching, ctx, depth - 1, here=False)
        values = assigned_values(expr, ctx)
        return _agree([final_activation(v, ctx, depth - 1, here=False) for v in values]) if values else None
    return None


def module_activation(
    module: cst.BaseExpression, ctx: RuleContext, depth: int = _DEPTH, *, here: bool = True
) -> tuple[str, cst.CSTNode] | None:
    """The activation a module's output ends in: `nn.Softmax()`, `nn.Sequential(..., nn.Sigmoid())`, a class."""
    if depth == 0:
        return None
    if here:
        fact = ctx.fact(module)
        layer = torch_layer(fact)
        if layer in _LAYERS:
            return _LAYERS[layer], module  # type: ignore[index]
        cls = local_class(fact, ctx)
        if cls is not None:
            return _forward_activation(cls, ctx, depth - 1)
    if isinstance(module, cst.Call):
        return _constructed(module, ctx, depth - 1)
    if isinstance(module, (cst.Name, cst.Attribute)):
        values = assigned_values(module, ctx)
        return _agree([_constructed(moved_call(v), ctx, depth - 1) for v in values]) if values else None
    return None


def _constructed(value: cst.BaseExpression, ctx: RuleContext, depth: int) -> tuple[str, cst.CSTNode] | None:
    """The activation of a module built by `value`: a torch layer, a Sequential's last layer, a class."""
    if not isinstance(value, cst.Call) or depth == 0:
        return None
    callee = ctx.fact(value.func) if isinstance(value.func, cst.Name) else UNKNOWN
    if callee.kind is Kind.CLASS:
        cls = local_class(callee, ctx)
        return _forward_activation(cls, ctx, depth - 1) if cls is not None else None
    qualname = ctx.qualname(value.func) or ""
    module, _, name = qualname.rpartition(".")
    if not module.startswith("torch.nn"):
        return None
    if name in _LAYERS:
        return _LAYERS[name], value
    if name == "Sequential":
        layers = positional_args(value)
        if layers and len(layers) == len(value.args):
            return _constructed(moved_call(layers[-1].value), ctx, depth - 1)
    return None


def _forward_activation(cls: cst.ClassDef, ctx: RuleContext, depth: int) -> tuple[str, cst.CSTNode] | None:
    forward = next(
        (s for s in cls.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "forward"),
        None,
    )
    if forward is None:
        return None
    returns = [
        n for n in nodes(forward.body, skip=(cst.FunctionDef, cst.ClassDef, cst.Lambda)) if isinstance(n, cst.Return)
    ]
    if not returns or any(r.value is None for r in returns):
        return None
    return _agree([final_activation(r.value, ctx, depth, here=False) for r in returns])  # type: ignore[arg-type]


def _agree(found: list[tuple[str, cst.CSTNode] | None]) -> tuple[str, cst.CSTNode] | None:
    if not found or any(f is None for f in found):
        return None
    kinds = {f[0] for f in found}  # type: ignore[index]
    return found[0] if len(kinds) == 1 else None
