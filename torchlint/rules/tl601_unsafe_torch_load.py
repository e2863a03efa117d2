from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.fixes import code
from torchlint.infer.evaluate import keyword_arg
from torchlint.rules.base import Rule

TARGET_TORCH_VERSION = "target-torch-version"
_LOADERS = ("torch.load", "torch.serialization.load")
_SAFE_DEFAULT = (2, 6)  # torch.load defaults to weights_only=True from 2.6 on


class UnsafeTorchLoad(Rule):
    code = "TL601"
    name = "unsafe-torch-load"
    summary = "`torch.load(..., weights_only=False)` unpickles arbitrary objects: loading a file can run code"
    severity = Severity.WARNING
    what = (
        "Flags `torch.load(...)` with `weights_only=False`. When the project declares support for "
        'torch older than 2.6 (`target-torch-version = "2.4"` in `[tool.torchlint]`), also flags '
        "`torch.load(...)` without `weights_only`, since those versions default to `False`."
    )
    why = (
        "With `weights_only=False`, `torch.load` is `pickle.load`: a checkpoint can name any callable to "
        "run while it is read (`os.system`, `exec`...). Downloaded or shared checkpoints then execute "
        "code on your machine. `weights_only=True` restricts unpickling to tensors, primitive containers "
        "and allow-listed types, and refuses anything else."
    )
    example = 'state = torch.load("checkpoint.pt", weights_only=False)'
    use_instead = (
        'state = torch.load("checkpoint.pt", weights_only=True)\n'
        "# allow-list your own types with torch.serialization.add_safe_globals([...])"
    )
    confirmed = "a crafted file runs code under `weights_only=False`; `weights_only=True` refuses it (UnpicklingError)"
    fixable = True
    fix_safety = (
        "Unsafe: `weights_only=False` becomes `weights_only=True` (or `weights_only=True` is added where "
        "torch < 2.6 defaults to `False`). State dicts and tensors load as before, but a file that "
        "pickles other objects (a whole model, an optimizer with custom classes, your own types) stops "
        "loading with `UnpicklingError` until those types are allow-listed with "
        "`torch.serialization.add_safe_globals`."
    )
    requires = ("load",)

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        if ctx.qualname(node.func) not in _LOADERS:
            return
        load = code(node.func)  # as the file spells it: `torch.load`, `th.load`, `load`
        flag = keyword_arg(node, "weights_only")
        if flag is not None:
            if isinstance(flag.value, cst.Name) and flag.value.value == "False":
                ctx.report(
                    node,
                    f"`{load}(..., weights_only=False)` unpickles arbitrary objects: a malicious "
                    "checkpoint runs code on load; use `weights_only=True` (and "
                    "`torch.serialization.add_safe_globals` for your own types) for files you did not write",
                    fix=fixes.fix("Use `weights_only=True`", Applicability.UNSAFE, fixes.replace(flag.value, "True")),
                )
            return
        version = ctx.options.get(TARGET_TORCH_VERSION)
        if version is None or any(a.star == "**" for a in node.args):
            return
        if tuple(int(part) for part in version.split(".")[:2]) < _SAFE_DEFAULT:
            ctx.report(
                node,
                f"`{load}` without `weights_only` unpickles arbitrary objects on torch < 2.6 (this project "
                f"supports torch {version}): a malicious checkpoint runs code on load; pass `weights_only=True`",
                fix=fixes.fix(
                    "Pass `weights_only=True`",
                    Applicability.UNSAFE,
                    fixes.insert_after(node.args[-1].value, ", weights_only=True"),
                )
                if node.args
                else None,
            )
