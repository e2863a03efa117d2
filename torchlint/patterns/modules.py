"""What a module value is made of: torch layers with parameters, and the module classes of the file."""

from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.infer.facts import Fact, Kind
from torchlint.infer.traverse import nodes

# torch.nn layers that own parameters by default.
PARAMETRIC_LAYERS = frozenset(
    {"Linear", "Bilinear", "LazyLinear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
     "ConvTranspose3d", "LazyConv1d", "LazyConv2d", "LazyConv3d", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
     "SyncBatchNorm", "LayerNorm", "GroupNorm", "RMSNorm", "Embedding", "EmbeddingBag", "RNN", "LSTM", "GRU",
     "RNNCell", "LSTMCell", "GRUCell", "MultiheadAttention", "Transformer", "TransformerEncoder",
     "TransformerDecoder", "TransformerEncoderLayer", "TransformerDecoderLayer", "PReLU"}
)  # fmt: skip
_PARAMETER = ("torch.nn.Parameter", "torch.nn.parameter.Parameter")
_MOVES = ("to", "cuda", "cpu", "train", "eval", "float", "half", "double", "bfloat16", "requires_grad_")


def local_class(fact: Fact, ctx: RuleContext) -> cst.ClassDef | None:
    """The class of this file that a MODULE (or CLASS) fact names, when exactly one class has that name."""
    if fact.kind not in (Kind.MODULE, Kind.CLASS) or fact.qualname is None or "." in fact.qualname:
        return None
    table = ctx.cache.get("classes_by_name")
    if table is None:
        table = {}
        for node in nodes(ctx.module):
            if isinstance(node, cst.ClassDef):
                table.setdefault(node.name.value, []).append(node)
        ctx.cache["classes_by_name"] = table
    found = table.get(fact.qualname, [])
    return found[0] if len(found) == 1 else None


def torch_layer(fact: Fact) -> str | None:
    """`Linear` for a MODULE fact of `torch.nn.Linear`, None for other modules."""
    if fact.kind is not Kind.MODULE or fact.qualname is None or not fact.qualname.startswith("torch.nn."):
        return None
    return fact.qualname.rsplit(".", 1)[-1]


def has_parameters(fact: Fact, ctx: RuleContext) -> bool:
    """A torch layer that owns parameters, an `nn.Sequential`, or a module class of this file that assigns some."""
    layer = torch_layer(fact)
    if layer is not None:
        return layer in PARAMETRIC_LAYERS or layer == "Sequential"
    cls = local_class(fact, ctx)
    return cls is not None and ctx.is_module_class(cls) and _assigns_parameters(cls, ctx)


def _assigns_parameters(cls: cst.ClassDef, ctx: RuleContext) -> bool:
    for node in nodes(cls.body):
        if isinstance(node, cst.Assign) and isinstance(node.value, cst.Call):
            if not any(isinstance(t.target, cst.Attribute) for t in node.targets):
                continue
            qualname = ctx.qualname(_unwrap(node.value).func) or ""
            if qualname in _PARAMETER:
                return True
            module, _, name = qualname.rpartition(".")
            if module.startswith("torch.nn") and (name in PARAMETRIC_LAYERS or name == "Sequential"):
                return True
    return False


def _unwrap(call: cst.Call) -> cst.Call:
    """`nn.Linear(4, 2)` for `nn.Linear(4, 2).to(device)`."""
    func = call.func
    while isinstance(func, cst.Attribute) and func.attr.value in _MOVES and isinstance(func.value, cst.Call):
        call = func.value
        func = call.func
    return call


def moved_call(value: cst.BaseExpression) -> cst.BaseExpression:
    """The constructor call behind `Net(...).to(device).eval()`, else the value itself."""
    return _unwrap(value) if isinstance(value, cst.Call) else value
