"""Where a tensor becomes a NumPy array: `t.numpy()`, `np.array(t)`, `np.asarray(t)`."""

from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.infer.evaluate import is_true, keyword_arg, positional_args

_CONVERTERS = ("numpy.array", "numpy.asarray", "numpy.asanyarray")


def converted_tensor(node: cst.Call, ctx: RuleContext) -> tuple[cst.BaseExpression, str] | None:
    """The expression this call converts to NumPy, and how the call is written for messages.

    `t.numpy(force=True)` copies to the host itself and is not a conversion of concern.
    """
    func = node.func
    if isinstance(func, cst.Attribute) and func.attr.value == "numpy":
        force = keyword_arg(node, "force")
        return (func.value, "`.numpy()`") if force is None or not is_true(force.value) else None
    args = positional_args(node)
    qualname = ctx.qualname(func)
    if args and qualname in _CONVERTERS:
        return args[0].value, f"`{qualname.replace('numpy.', 'np.')}(...)`"
    return None
