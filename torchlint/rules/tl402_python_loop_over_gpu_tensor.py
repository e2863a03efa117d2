from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Severity
from torchlint.infer.evaluate import positional_args
from torchlint.infer.facts import Device, Fact
from torchlint.infer.scope import dotted_name
from torchlint.infer.traverse import nodes
from torchlint.rules.base import Rule

_WRAPPERS = ("enumerate", "zip", "reversed", "iter", "sorted")


class PythonLoopOverGpuTensor(Rule):
    code = "TL402"
    name = "python-loop-over-gpu-tensor"
    summary = "A Python loop over the elements of a CUDA tensor launches a kernel (and often syncs) per element"
    severity = Severity.WARNING
    what = (
        "Flags Python iteration over a tensor that is (or may be) on CUDA: `for v in t`, "
        "`for i in range(len(t))` that indexes `t[i]`, comprehensions, and `list(t)`."
    )
    why = (
        "Each element is a separate CUDA tensor: indexing launches a kernel, and turning it into a "
        "Python number (`float(v)`, `v.item()`, `if v > 0`) waits for the GPU every time. A loop that "
        "looks cheap runs thousands of times slower than one vectorised operation."
    )
    example = "total = sum(float(v) for v in scores)"
    use_instead = "total = scores.sum().item()  # or values = scores.tolist() once, then loop in Python"
    confirmed = "RuntimeError: called a synchronizing CUDA operation (with torch.cuda.set_sync_debug_mode('error'))"
    fix_safety = (
        "No automatic fix: the vectorised form (a mask, a reduction, one `.tolist()` before the loop) "
        "depends on what the loop body does with each element, and `.tolist()` changes the elements "
        "from tensors to Python numbers."
    )
    requires = ("cuda", ".to(", "device")

    def visit_For(self, node: cst.For, ctx: RuleContext) -> None:
        found = self._iterated(node.iter, node.target, node.body, ctx)
        if found is not None:
            ctx.report(node, self._message(*found), end=node.iter)

    def _visit_comprehension(self, node: cst.BaseComp | cst.DictComp, ctx: RuleContext) -> None:
        body: cst.CSTNode = node.elt if not isinstance(node, cst.DictComp) else node.value
        comp_for = node.for_in
        while comp_for is not None:
            found = self._iterated(comp_for.iter, comp_for.target, body, ctx)
            if found is not None:
                ctx.report(node, self._message(*found))
                return
            comp_for = comp_for.inner_for_in

    visit_ListComp = _visit_comprehension
    visit_SetComp = _visit_comprehension
    visit_GeneratorExp = _visit_comprehension
    visit_DictComp = _visit_comprehension

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        func = node.func
        args = positional_args(node)
        if isinstance(func, cst.Name) and func.value in ("list", "tuple") and len(args) == 1 == len(node.args):
            if ctx.is_builtin(func.value) and _on_gpu(args[0].value, ctx):
                ctx.report(node, self._message(_text(args[0].value), ctx.fact(args[0].value), call=func.value))

    def _message(self, name: str, fact: Fact, call: str | None = None) -> str:
        how = f"`{call}({name})`" if call else "This loop"
        where = "a CUDA tensor" if fact.device is Device.CUDA else "a tensor on CUDA whenever a GPU is present"
        return (
            f"{how} iterates over the elements of `{name}`, {where}: one kernel launch and "
            f"often one device sync per element; use vectorised ops (masks, reductions) or "
            f"`{name}.tolist()` once"
        )

    def _iterated(
        self, iterable: cst.BaseExpression, target: cst.BaseExpression, body: cst.CSTNode, ctx: RuleContext
    ) -> tuple[str, Fact] | None:
        """The CUDA tensor (its text and facts) this iteration walks element by element, if any."""
        if _on_gpu(iterable, ctx):
            return _text(iterable), ctx.fact(iterable)
        if not isinstance(iterable, cst.Call) or not isinstance(iterable.func, cst.Name):
            return None
        func = iterable.func.value
        if not ctx.is_builtin(func):
            return None
        args = positional_args(iterable)
        if func in _WRAPPERS:
            for arg in args:
                if _on_gpu(arg.value, ctx):
                    return _text(arg.value), ctx.fact(arg.value)
        if func == "range" and len(args) == 1 and isinstance(target, cst.Name):
            tensor = _length_of(args[0].value, ctx)
            if tensor is not None and _on_gpu(tensor, ctx) and _indexes(body, tensor, target.value):
                return _text(tensor), ctx.fact(tensor)
        return None


def _on_gpu(node: cst.BaseExpression, ctx: RuleContext) -> bool:
    fact = ctx.fact(node)
    return fact.is_tensor and fact.device.on_gpu


def _text(node: cst.CSTNode) -> str:
    return dotted_name(node) or fixes.code(node)  # type: ignore[arg-type]


def _length_of(node: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression | None:
    """`t` for `len(t)`, `t.shape[0]`, `t.size(0)`."""
    if isinstance(node, cst.Call):
        args = positional_args(node)
        if isinstance(node.func, cst.Name) and node.func.value == "len" and len(args) == 1 and ctx.is_builtin("len"):
            return args[0].value
        if (
            isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "size"
            and len(args) == 1
            and isinstance(args[0].value, cst.Integer)
            and args[0].value.value == "0"
        ):
            return node.func.value
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        base = node.value
        if (
            isinstance(index, cst.Index)
            and isinstance(index.value, cst.Integer)
            and index.value.value == "0"
            and isinstance(base, cst.Attribute)
            and base.attr.value == "shape"
        ):
            return base.value
    return None


def _indexes(body: cst.CSTNode, tensor: cst.BaseExpression, index_name: str) -> bool:
    """Does `body` read `tensor[index_name ...]`?"""
    wanted = dotted_name(tensor)
    if wanted is None:
        return False
    for node in nodes(body):
        if isinstance(node, cst.Subscript) and node.slice and dotted_name(node.value) == wanted:
            first = node.slice[0].slice
            if isinstance(first, cst.Index) and isinstance(first.value, cst.Name) and first.value.value == index_name:
                return True
    return False
