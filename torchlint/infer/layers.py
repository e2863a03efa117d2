"""nn layers: their configuration from the constructor call, and what they do to an input.

`build` reads `nn.Conv2d(3, 6, 5, padding=2)` into a `Layer`; `apply` gives the output of
calling it on known inputs, raising `ShapeError` with torch's message where torch raises
(wrong in_features, channels, normalized shape, input too small for the kernel, ...).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import libcst as cst

from torchlint.infer.facts import Fact, Kind
from torchlint.infer.shapes import (
    Dim,
    Expr,
    Shape,
    ShapeError,
    Unknown,
    add,
    all_known,
    broadcast,
    contiguous_strides,
    differ,
    floordiv,
    fmt_shape,
    fmt_size,
    is_contiguous,
    is_float,
    is_integral,
    mul,
    product,
    same,
    sub,
    symbol,
)
from torchlint.infer.tensor_ops import (
    Args,
    Out,
    Result,
    elements_of,
    flatten,
    iterated,
    linear,
    literal_bool,
    matmul,
    sizes_of,
    softmax,
    unflatten,
)

_UNKNOWN = "<unknown>"


@dataclass(frozen=True)
class Layer:
    """An nn layer's kind and constructor arguments (`<unknown>` where not known)."""

    kind: str
    config: tuple[tuple[str, object], ...]
    children: tuple[Layer | None, ...] = ()
    node: cst.CSTNode | None = field(default=None, compare=False)

    def get(self, key: str, default: object = None) -> object:
        for name, value in self.config:
            if name == key:
                if value == _UNKNOWN:
                    raise Unknown
                return value
        return default

    def dim(self, key: str, default: object = None) -> Dim:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, Expr)):
            raise Unknown
        return value

    def size(self, key: str) -> Dim:
        """An output size: the argument when known, else an unknown dim (the output still has that rank)."""
        try:
            return self.dim(key)
        except Unknown:
            return symbol()

    def ints(self, key: str, count: int, default: object = None) -> tuple[Dim, ...]:
        """An int-or-tuple argument (kernel_size=3 or (3, 5)) as `count` dims."""
        value = self.get(key, default)
        if isinstance(value, tuple):
            if len(value) != count:
                raise Unknown
            return value
        if isinstance(value, bool) or value is None or isinstance(value, str):
            raise Unknown
        return (value,) * count  # type: ignore[return-value]


_CONV = (
    "in_channels",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "groups",
    "bias",
    "padding_mode",
)
_CONV_T = (
    "in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups", "bias",
    "dilation", "padding_mode",
)  # fmt: skip
_MAX_POOL = ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode")
_AVG_POOL = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")
_NORM = ("num_features", "eps", "momentum", "affine", "track_running_stats")
_RNN = ("input_size", "hidden_size", "num_layers")
_LOSS = ("weight", "size_average", "ignore_index", "reduce", "reduction", "label_smoothing")
_ELEMENTWISE_LOSS = ("size_average", "reduce", "reduction")
_ACTIVATIONS = frozenset(
    [
        "ReLU",
        "ReLU6",
        "GELU",
        "SiLU",
        "Sigmoid",
        "Tanh",
        "LeakyReLU",
        "ELU",
        "SELU",
        "CELU",
        "Softplus",
        "Mish",
        "Hardswish",
        "Hardsigmoid",
        "Hardtanh",
        "Identity",
        "Tanhshrink",
        "Softsign",
        "LogSigmoid",
        "Dropout",
        "Dropout1d",
        "Dropout2d",
        "Dropout3d",
        "AlphaDropout",
        "FeatureAlphaDropout",
    ]
)
SIGNATURES: dict[str, tuple[str, ...]] = {
    "Linear": ("in_features", "out_features", "bias"),
    "Bilinear": ("in1_features", "in2_features", "out_features", "bias"),
    **{f"Conv{n}d": _CONV for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": _CONV_T for n in (1, 2, 3)},
    **{f"MaxPool{n}d": _MAX_POOL for n in (1, 2, 3)},
    **{f"AvgPool{n}d": _AVG_POOL for n in (1, 2, 3)},
    **{f"AdaptiveAvgPool{n}d": ("output_size",) for n in (1, 2, 3)},
    **{f"AdaptiveMaxPool{n}d": ("output_size", "return_indices") for n in (1, 2, 3)},
    **{f"BatchNorm{n}d": _NORM for n in (1, 2, 3)},
    "LayerNorm": ("normalized_shape", "eps", "elementwise_affine", "bias"),
    "GroupNorm": ("num_groups", "num_channels", "eps", "affine"),
    "Embedding": ("num_embeddings", "embedding_dim", "padding_idx"),
    "Softmax": ("dim",),
    "LogSoftmax": ("dim",),
    "Flatten": ("start_dim", "end_dim"),
    "Unflatten": ("dim", "unflattened_size"),
    "LSTM": _RNN,
    "GRU": _RNN,
    "RNN": _RNN,
    "MultiheadAttention": ("embed_dim", "num_heads", "dropout", "bias", "add_bias_kv", "add_zero_attn", "kdim", "vdim"),
    "CrossEntropyLoss": _LOSS,
    "NLLLoss": ("weight", "size_average", "ignore_index", "reduce", "reduction"),
    "BCELoss": ("weight", "size_average", "reduce", "reduction"),
    "BCEWithLogitsLoss": ("weight", "size_average", "reduce", "reduction", "pos_weight"),
    "MSELoss": _ELEMENTWISE_LOSS,
    "L1Loss": _ELEMENTWISE_LOSS,
    "SmoothL1Loss": (*_ELEMENTWISE_LOSS, "beta"),
    "HuberLoss": ("reduction", "delta"),
    "KLDivLoss": (*_ELEMENTWISE_LOSS, "log_target"),
    "SoftMarginLoss": _ELEMENTWISE_LOSS,
    "MultiLabelSoftMarginLoss": ("weight", *_ELEMENTWISE_LOSS),
    "MarginRankingLoss": ("margin", *_ELEMENTWISE_LOSS),
    "HingeEmbeddingLoss": ("margin", *_ELEMENTWISE_LOSS),
    "CosineEmbeddingLoss": ("margin", *_ELEMENTWISE_LOSS),
    **{name: ("inplace",) for name in _ACTIVATIONS},
}
for _name in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"):
    SIGNATURES[_name] = ("p", "inplace")
SIGNATURES["LeakyReLU"] = ("negative_slope", "inplace")
SIGNATURES["ELU"] = SIGNATURES["CELU"] = ("alpha", "inplace")
SIGNATURES["Softplus"] = ("beta", "threshold")
SIGNATURES["Hardtanh"] = ("min_val", "max_val", "inplace")
SIGNATURES["Identity"] = ()
_KEYWORD_ONLY = frozenset({"batch_first", "bidirectional", "proj_size", "bias", "dropout", "nonlinearity", "device"})

# Layers without parameters: their output requires grad only when their input does.
PARAMETERLESS = _ACTIVATIONS | {
    "Softmax", "LogSoftmax", "Flatten", "Unflatten", "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d",
    "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "MSELoss", "L1Loss",
}  # fmt: skip


def _value(found: tuple[Fact, cst.BaseExpression | None]) -> object:
    fact, node = found
    flag = literal_bool(node)
    if flag is not None:
        return flag
    if isinstance(node, cst.Name) and node.value == "None":
        return None
    if isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str):
        return node.evaluated_value
    if fact.kind is Kind.INT and fact.value is not None and fact.dtype != "bool":
        return fact.value
    if fact.kind in (Kind.SEQUENCE, Kind.SIZE):
        try:
            return sizes_of(fact)
        except Unknown:
            return _UNKNOWN
    return _UNKNOWN


def build(kind: str, a: Args, node: cst.CSTNode, children: tuple[Fact, ...] = ()) -> Layer | None:
    """The layer a constructor call makes; None for layers the checker does not model."""
    if kind == "Sequential":
        if not a.complete or a.keywords:
            return None
        inner = tuple(f.value if isinstance(f.value, Layer) else None for f, _ in a.positional)
        return Layer(kind, (), inner, node)
    signature = SIGNATURES.get(kind)
    if signature is None or not a.complete or len(a.positional) > len(signature):
        return None
    config: list[tuple[str, object]] = []
    for index, name in enumerate(signature):
        if name in a.keywords:
            config.append((name, _value(a.keywords[name])))
        elif index < len(a.positional):
            config.append((name, _value(a.positional[index])))
    for name, found in a.keywords.items():
        if name not in signature:
            if name not in _KEYWORD_ONLY and name not in ("dtype", "batch_first"):
                return None
            config.append((name, _value(found)))
    return Layer(kind, tuple(config), (), node)


_EXPECTS = {
    "Linear": ("expects {} input features", ("in_features",)),
    "Bilinear": ("expects {} and {} input features", ("in1_features", "in2_features")),
    "Conv": ("expects {} input channels", ("in_channels",)),
    "ConvTranspose": ("expects {} input channels", ("in_channels",)),
    "BatchNorm": ("expects {} channels", ("num_features",)),
    "GroupNorm": ("expects {} channels in {} groups", ("num_channels", "num_groups")),
    "LayerNorm": ("normalizes trailing dims {}", ("normalized_shape",)),
    "LSTM": ("expects {} input features", ("input_size",)),
    "GRU": ("expects {} input features", ("input_size",)),
    "RNN": ("expects {} input features", ("input_size",)),
    "MultiheadAttention": ("expects embed_dim {}", ("embed_dim",)),
}


def expectation(layer: Layer) -> str | None:
    """What the layer expects of its input, for messages: `expects 400 input features`."""
    kind = layer.kind.rstrip("123d") if layer.kind[-2:] in ("1d", "2d", "3d") else layer.kind
    known = _EXPECTS.get(kind)
    if known is None:
        return None
    text, keys = known
    try:
        values = [layer.get(key) for key in keys]
    except Unknown:
        return None
    if any(v is None for v in values):
        return None
    return text.format(*(fmt_shape(v) if isinstance(v, tuple) else v for v in values))


def apply(layer: Layer, a: Args) -> Result:
    """The output of calling `layer` on the call's arguments."""
    kind = layer.kind
    if kind == "Sequential":
        if a.count() != 1:
            raise Unknown
        current = a.tensor(0, None)
        result: Result = Out(current.shape, current.dtype, current.strides)
        for child in layer.children:
            if child is None or not isinstance(result, Out):
                raise Unknown
            current = current.but(shape=result.shape, dtype=result.dtype, strides=result.strides)
            result = apply(child, Args([(current, None)], {}, True))
        return result
    if kind in ("MultiheadAttention", "Bilinear"):
        return _multihead(layer, a) if kind == "MultiheadAttention" else _bilinear(layer, a)
    if kind in ("CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "MSELoss", "L1Loss"):
        return loss(kind, a.tensor(0, "input"), a.tensor(1, "target"), layer.get("reduction", "mean"), layer)
    if kind in ("LSTM", "GRU", "RNN"):
        return _recurrent(layer, a)
    if a.count() != 1 or a.keywords:
        raise Unknown
    x = a.tensor(0, None)
    if any(d == 0 for d in x.shape or ()):
        raise Unknown  # empty inputs skip most checks
    handler = _SINGLE.get(kind.rstrip("123d") if kind[-2:] in ("1d", "2d", "3d") else kind)
    if kind in _ACTIVATIONS:
        dtype = _float_only(kind, x.dtype)
        if kind in ("ReLU", "GELU", "Tanh", "Sigmoid", "SiLU", "LeakyReLU", "ELU", "Hardtanh", "ReLU6"):
            return iterated(x.shape, [x], dtype)  # type: ignore[arg-type]
        return Out(x.shape, dtype, x.strides if kind == "Identity" else None)
    if handler is None:
        raise Unknown
    result = handler(layer, x)
    if isinstance(result, Out) and result.strides is None and result.shape is not None and kind in _DENSE_OUTPUTS:
        if kind == "Embedding" or is_contiguous(x.shape, x.strides):  # type: ignore[arg-type]
            return result._replace(strides=contiguous_strides(result.shape))
    return result


# Layers whose output is a new contiguous tensor when their input is contiguous (an embedding's always is).
_DENSE_OUTPUTS = frozenset(
    ["Linear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "MaxPool1d",
     "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
     "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "BatchNorm1d",
     "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm", "Embedding"]
)  # fmt: skip


def _float_only(kind: str, dtype: str | None) -> str | None:
    if kind != "Identity" and dtype is not None and not is_float(dtype):
        raise Unknown
    return dtype


def _spatial(kind: str) -> int:
    return int(kind[-2])


def _linear(layer: Layer, x: Fact) -> Result:
    in_features, out_features = layer.dim("in_features"), layer.size("out_features")
    shape = x.shape
    assert shape is not None
    if not shape:
        raise ShapeError("TL506", "both arguments to linear need to be at least 1D, but they are 0D and 2D")
    try:
        return linear(x, (out_features, in_features), None, x.dtype)
    except ShapeError as error:
        raise ShapeError("TL506", error.message) from None


def _batched(kind: str, x: Fact, name: str) -> tuple[Shape, bool]:
    """The input with a batch dim, and whether it had one; torch's rank message otherwise."""
    shape = x.shape
    assert shape is not None
    n = _spatial(kind)
    if len(shape) == n + 2:
        return shape, True
    if len(shape) == n + 1:
        return (1, *shape), False
    raise ShapeError(
        "TL506",
        f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {name}{n}d, but got input of size: "
        f"{fmt_shape(shape)}",
    )


def _conv(layer: Layer, x: Fact) -> Result:
    if 0 in (x.shape or ()):
        raise Unknown
    try:
        return _convolve(layer, x)
    except ShapeError:
        if layer.get("padding_mode", "zeros") != "zeros":
            raise Unknown from None  # the input is padded first (which may fail), and messages show it padded
        raise


def _convolve(layer: Layer, x: Fact) -> Result:
    kind = layer.kind
    n = _spatial(kind)
    transposed = kind.startswith("ConvTranspose")
    shape, batched = _batched(kind, x, "conv_transpose" if transposed else "conv")
    in_channels, out_channels = layer.dim("in_channels"), layer.size("out_channels")
    kernel = layer.ints("kernel_size", n)
    groups = layer.dim("groups", 1)
    if not isinstance(groups, int) or not isinstance(in_channels, int):
        raise Unknown
    channels = shape[1]
    if differ(channels, in_channels):
        if layer.get("padding", 0) == "same":
            raise Unknown  # an uneven "same" padding pads the input first, and the message shows the padded size
        if transposed:
            weight = (in_channels, floordiv(out_channels, groups) or symbol(), *kernel)
            prefix = "Given transposed=1"
        else:
            weight = (out_channels, in_channels // groups, *kernel)
            prefix = f"Given groups={groups}"
        raise ShapeError(
            "TL506",
            f"{prefix}, weight of size {fmt_shape(weight)}, expected input{fmt_shape(shape)} to have "
            f"{in_channels} channels, but got {channels} channels instead",
        )
    if not same(channels, in_channels):
        raise Unknown  # the channel check comes first and may fail
    stride = layer.ints("stride", n, 1)
    dilation = layer.ints("dilation", n, 1)
    padding_value = layer.get("padding", 0)
    spatial = shape[2:]
    out: list[Dim] = []
    if padding_value == "same":
        out = list(spatial)
    else:
        padding = (0,) * n if padding_value == "valid" else layer.ints("padding", n, 0)
        if transposed:
            output_padding = layer.ints("output_padding", n, 0)
            for size, k, s, p, d, o in zip(spatial, kernel, stride, padding, dilation, output_padding, strict=True):
                length = add(sub(mul(sub(size, 1), s), mul(2, p)), add(mul(d, sub(k, 1)), add(o, 1)))
                if isinstance(length, int) and length <= 0:
                    raise Unknown
                out.append(length)
        else:
            padded = tuple(add(size, mul(2, p)) for size, p in zip(spatial, padding, strict=True))
            effective = tuple(add(mul(d, sub(k, 1)), 1) for k, d in zip(kernel, dilation, strict=True))
            known = all_known(padded) and all_known(effective)
            if known and any(q < e for q, e in zip(padded, effective, strict=True)):  # type: ignore[operator]
                raise ShapeError(
                    "TL506",
                    f"Calculated padded input size per channel: ({' x '.join(str(q) for q in padded)}). Kernel size: "
                    f"({' x '.join(str(e) for e in effective)}). Kernel size can't be greater than actual input size",
                )
            for q, e, s in zip(padded, effective, stride, strict=True):
                out.append(_window(q, e, s))
    result = (shape[0], out_channels, *out) if batched else (out_channels, *out)
    return Out(result, x.dtype)


def _window(size: Dim, effective: Dim, stride: Dim) -> Dim:
    """floor((size - effective) / stride) + 1 for a window that fits."""
    if not isinstance(stride, int):
        raise Unknown
    quotient = floordiv(sub(size, effective), stride)
    if quotient is None:
        raise Unknown
    return add(quotient, 1)


def _pool(layer: Layer, x: Fact) -> Result:
    kind = layer.kind
    n = _spatial(kind)
    shape = x.shape
    assert shape is not None
    if 0 in shape or layer.get("return_indices", False):
        raise Unknown
    kernel = layer.ints("kernel_size", n)
    stride_value = layer.get("stride", None)
    stride = kernel if stride_value is None else layer.ints("stride", n)
    padding = layer.ints("padding", n, 0)
    dilation = layer.ints("dilation", n, 1) if kind.startswith("Max") else (1,) * n
    ceil_mode = layer.get("ceil_mode", False)
    values = (*kernel, *stride, *padding, *dilation)
    if not all_known(values) or not isinstance(ceil_mode, bool):
        raise Unknown
    if len(shape) not in (n + 1, n + 2):
        raise ShapeError("TL506", _pool_rank_message(kind, shape))
    for p, k, d in zip(padding, kernel, dilation, strict=True):  # torch checks the dims in order
        if p > (d * (k - 1) + 1) // 2:  # type: ignore[operator]
            if kind == "MaxPool1d" and d == 1:
                message = f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and "
                raise ShapeError("TL506", message + f"kernel_size={k}")
            if kind == "MaxPool1d":
                raise Unknown
            raise ShapeError(
                "TL506",
                f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} and "
                f"dilation={d}",
            )
    spatial = shape[-n:]
    out: list[Dim] = []
    for size, k, s, p, d in zip(spatial, kernel, stride, padding, dilation, strict=True):
        if not isinstance(size, int):
            if ceil_mode:
                raise Unknown
            out.append(_window(add(size, 2 * p), d * (k - 1) + 1, s))  # type: ignore[operator]
            continue
        length = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1  # type: ignore[operator]
        if ceil_mode and (length - 1) * s >= size + p:  # type: ignore[operator]
            length -= 1
        out.append(length)
    if any(isinstance(o, int) and o <= 0 for o in out):
        _pool_too_small(kind, shape, out)
    return Out((*shape[: len(shape) - n], *out), x.dtype)


def _pool_rank_message(kind: str, shape: Shape) -> str:
    """torch's words for a pooling input of the wrong rank: each pooling kernel checks in its own way."""
    n, rank = _spatial(kind), len(shape)
    function = re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()  # AdaptiveAvgPool2d -> adaptive_avg_pool2d
    if kind in ("AvgPool1d", "AdaptiveAvgPool1d", "AdaptiveMaxPool1d"):
        return (
            f"Expected 2 to 3 dimensions, but got {rank}-dimensional tensor for argument #1 'self' (while checking "
            f"arguments for {function})"
        )
    if kind == "AvgPool2d" and rank < n + 1:  # the C++ kernel first reads dim -3
        if rank == 0:
            return "Dimension specified as -3 but tensor has no dimensions"
        return f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got -3)"
    if not all_known(shape):
        raise Unknown  # the message shows the sizes
    if kind in ("MaxPool1d", "AvgPool2d"):
        prefix = "max_pool1d: " if kind == "MaxPool1d" else ""
        return (
            f"{prefix}Expected {n + 1}D or {n + 2}D (batch mode) tensor with optional 0 dim batch size for input, "
            f"but got:{fmt_shape(shape)}"
        )
    if kind.startswith("Adaptive"):
        colon = ":" if kind.startswith("AdaptiveMax") else ""
        return f"{function}(): Expected {n + 1}D or {n + 2}D tensor, but got{colon} {fmt_shape(shape)}"
    return f"non-empty {n + 1}D or {n + 2}D (batch mode) tensor expected for input"


def _pool_too_small(kind: str, shape: Shape, out: list[Dim]) -> None:
    if not all_known(shape) or not all_known(tuple(out)):
        raise Unknown
    if kind == "MaxPool1d":
        raise ShapeError("TL506", f"max_pool1d() Invalid computed output size: {out[0]}")
    if kind == "AvgPool3d":
        raise Unknown
    channels = shape[-len(out) - 1]
    spatial = shape[-len(out) :]
    if kind == "AvgPool1d":
        given, computed = (channels, 1, *spatial), (channels, 1, *out)
    else:
        given, computed = (channels, *spatial), (channels, *out)
    raise ShapeError(
        "TL506",
        f"Given input size: ({'x'.join(str(d) for d in given)}). Calculated output size: "
        f"({'x'.join(str(d) for d in computed)}). Output size is too small",
    )


def _adaptive(layer: Layer, x: Fact) -> Result:
    n = _spatial(layer.kind)
    shape = x.shape
    assert shape is not None
    if 0 in shape or layer.get("return_indices", False):
        raise Unknown
    size = layer.get("output_size")
    sizes = size if isinstance(size, tuple) else (size,) * n
    if len(sizes) != n or any(s is not None and not isinstance(s, int) for s in sizes):
        raise Unknown
    if isinstance(size, tuple) and n > 1 and len(shape) <= n:  # sizes given as a tuple are completed from the input's
        raise ShapeError("TL506", f"Input dimension should be at least {n + 1}")
    if layer.kind.startswith("AdaptiveAvg") and n > 1 and all(s == 1 for s in sizes):  # a mean over the last n dims
        if len(shape) < n:
            r = max(len(shape), 1)
            message = f"Dimension out of range (expected to be in range of [{-r}, {r - 1}], but got {-r - 1})"
            raise ShapeError("TL506", message)
        return Out((*shape[: len(shape) - n], *sizes), x.dtype)
    if len(shape) not in (n + 1, n + 2):
        raise ShapeError("TL506", _pool_rank_message(layer.kind, shape))
    spatial = shape[-n:]
    out = tuple(old if new is None else new for old, new in zip(spatial, sizes, strict=True))
    return Out((*shape[: len(shape) - n], *out), x.dtype)


def _batch_norm(layer: Layer, x: Fact) -> Result:
    n = _spatial(layer.kind)
    shape = x.shape
    assert shape is not None
    allowed = (2, 3) if n == 1 else (n + 2,)
    if len(shape) not in allowed:
        expected = "2D or 3D" if n == 1 else f"{n + 2}D"
        raise ShapeError("TL506", f"expected {expected} input (got {len(shape)}D input)")
    values = product((shape[0], *shape[2:]))
    if not isinstance(values, int) or values < 2:
        raise Unknown  # one value per channel fails in training mode; an empty batch is not checked

    features = layer.dim("num_features")
    affine, tracked = layer.get("affine", True), layer.get("track_running_stats", True)
    if not isinstance(affine, bool) or not isinstance(tracked, bool):
        raise Unknown
    if differ(shape[1], features) and (affine or tracked):
        what = "running_mean" if tracked else "weight"
        raise ShapeError("TL506", f"{what} should contain {shape[1]} elements not {features}")
    if not same(shape[1], features) and (affine or tracked):
        raise Unknown
    return Out(shape, x.dtype)


def _layer_norm(layer: Layer, x: Fact) -> Result:
    normalized = layer.get("normalized_shape")
    dims = normalized if isinstance(normalized, tuple) else (normalized,)
    if any(isinstance(d, bool) or not isinstance(d, (int, Expr)) for d in dims):
        raise Unknown
    return layer_norm(x, dims)  # type: ignore[arg-type]


def layer_norm(x: Fact, dims: tuple[Dim, ...]) -> Out:
    shape = x.shape
    assert shape is not None
    tail = shape[len(shape) - len(dims) :] if len(dims) <= len(shape) else None
    if tail is None or any(differ(a, b) for a, b in zip(tail, dims, strict=True)):
        if tail is not None and not all_known(dims):
            raise Unknown
        shown = fmt_shape(dims)
        raise ShapeError(
            "TL506",
            f"Given normalized_shape={shown}, expected input with shape [*, {shown[1:-1]}], but got input of "
            f"size{fmt_shape(shape)}",
        )
    if not all(same(a, b) for a, b in zip(tail, dims, strict=True)):
        raise Unknown
    if x.dtype is not None and not is_float(x.dtype):
        raise Unknown
    return Out(shape, x.dtype)


def _group_norm(layer: Layer, x: Fact) -> Result:
    shape = x.shape
    assert shape is not None
    if len(shape) < 2:
        raise ShapeError("TL506", f"Expected at least 2 dimensions for input tensor but received {len(shape)}")
    groups, channels = layer.dim("num_groups"), layer.dim("num_channels")
    affine = layer.get("affine", True)
    if not isinstance(groups, int) or not isinstance(affine, bool):
        raise Unknown
    got = shape[1]
    if not isinstance(got, int) or not all_known(shape):
        raise Unknown
    if (shape[0] * got // groups) * product(shape[2:]) == 1:  # type: ignore[operator]
        raise Unknown  # "Expected more than 1 value per channel when training"
    if got % groups:
        raise ShapeError(
            "TL506",
            "Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"{fmt_shape(shape)} and num_groups={groups}",
        )
    if affine and differ(got, channels):
        raise ShapeError(
            "TL506",
            "Expected weight to be a vector of size equal to the number of channels in input, but got weight of "
            f"shape [{channels}] and input of shape {fmt_shape(shape)}",
        )
    if affine and not same(got, channels):
        raise Unknown
    return Out(shape, x.dtype)


def _embedding(layer: Layer, x: Fact) -> Result:
    shape = x.shape
    assert shape is not None
    if x.dtype is not None and x.dtype not in ("int64", "int32"):
        raise Unknown
    return Out((*shape, layer.dim("embedding_dim")), "float32" if layer.get("dtype") is None else None)


def _softmax_layer(layer: Layer, x: Fact) -> Result:
    dim = layer.get("dim")
    if dim is not None and not isinstance(dim, int):
        raise Unknown
    return softmax(x, dim, None)


def _flatten_layer(layer: Layer, x: Fact) -> Result:
    start, end = layer.dim("start_dim", 1), layer.dim("end_dim", -1)
    return Out(*flatten(x, start, end)[:2])


def _unflatten_layer(layer: Layer, x: Fact) -> Result:
    sizes = layer.get("unflattened_size")
    if not isinstance(sizes, tuple):
        raise Unknown
    return Out(*unflatten(x, layer.dim("dim"), sizes)[:2])


_SINGLE = {
    "Linear": _linear,
    "Conv": _conv,
    "ConvTranspose": _conv,
    "MaxPool": _pool,
    "AvgPool": _pool,
    "AdaptiveAvgPool": _adaptive,
    "AdaptiveMaxPool": _adaptive,
    "BatchNorm": _batch_norm,
    "LayerNorm": _layer_norm,
    "GroupNorm": _group_norm,
    "Embedding": _embedding,
    "Softmax": _softmax_layer,
    "LogSoftmax": _softmax_layer,
    "Flatten": _flatten_layer,
    "Unflatten": _unflatten_layer,
}


def _bilinear(layer: Layer, a: Args) -> Result:
    if a.count() != 2:
        raise Unknown
    x1, x2 = a.tensor(0, "input1"), a.tensor(1, "input2")
    in1, in2, out = layer.dim("in1_features"), layer.dim("in2_features"), layer.dim("out_features")
    s1, s2 = x1.shape, x2.shape
    assert s1 is not None and s2 is not None
    if not s1 or not s2 or len(s1) != len(s2):
        raise Unknown
    for i, (p, q) in enumerate(zip(s1[:-1], s2[:-1], strict=True)):
        if differ(p, q):
            raise ShapeError("TL506", f"bilinear(): input batch dimensions do not match at dim {i}: got {p} and {q}")
        if not same(p, q):
            raise Unknown  # checked in this order: an undecided pair may fail first
    if differ(s1[-1], in1):
        raise ShapeError(
            "TL506", f"bilinear(): input1 size does not match weight size: got {s1[-1]} but expected {in1}"
        )
    if not same(s1[-1], in1):
        raise Unknown
    if differ(s2[-1], in2):
        raise ShapeError(
            "TL506", f"bilinear(): input2 size does not match weight size: got {s2[-1]} but expected {in2}"
        )
    return Out((*s1[:-1], out), x1.dtype)


def _recurrent(layer: Layer, a: Args) -> Result:
    if a.count() not in (1, 2) or a.keywords:
        raise Unknown
    x = a.tensor(0, None)
    shape = x.shape
    assert shape is not None
    if len(shape) not in (2, 3):
        got = f"{len(shape)}D tensor" if layer.kind == "RNN" else f"{len(shape)}D"
        raise ShapeError("TL506", f"{layer.kind}: Expected input to be 2D or 3D, got {got} instead")
    input_size, hidden = layer.dim("input_size"), layer.dim("hidden_size")
    if differ(shape[-1], input_size):
        raise ShapeError("TL506", f"input.size(-1) must be equal to input_size. Expected {input_size}, got {shape[-1]}")
    layers = layer.dim("num_layers", 1)
    bidirectional = layer.get("bidirectional", False)
    batch_first = layer.get("batch_first", False)
    proj = layer.dim("proj_size", 0)
    if not isinstance(bidirectional, bool) or not isinstance(batch_first, bool) or not isinstance(layers, int):
        raise Unknown
    directions = 2 if bidirectional else 1
    out_size = proj if proj != 0 else hidden
    if len(shape) == 2:
        output: Shape = (shape[0], mul(directions, out_size))
        state: Shape = (directions * layers, out_size)
        cell: Shape = (directions * layers, hidden)
        strides = contiguous_strides(output)
    else:
        batch, steps = (shape[0], shape[1]) if batch_first else (shape[1], shape[0])
        width = mul(directions, out_size)
        output = (batch, steps, width) if batch_first else (steps, batch, width)
        state = (directions * layers, batch, out_size)
        cell = (directions * layers, batch, hidden)
        strides = contiguous_strides(output)
        if batch_first:  # computed time-major, then transposed: `output.view(batch, -1)` fails
            strides = (width, mul(batch, width), 1)
    if a.count() == 2:
        _check_hidden(layer.kind, a.fact(1, None), (state, cell) if layer.kind == "LSTM" else (state,), len(shape))
    if x.dtype is not None and not is_float(x.dtype):
        raise Unknown
    outputs = Out(output, x.dtype, strides)
    if layer.kind == "LSTM":
        states = (Out(state, x.dtype, contiguous_strides(state)), Out(cell, x.dtype, contiguous_strides(cell)))
        return (outputs, states)  # type: ignore[return-value]
    return (outputs, Out(state, x.dtype, contiguous_strides(state)))


def _check_hidden(kind: str, given: Fact | None, expected: tuple[Shape, ...], rank: int) -> None:
    """The initial state of a batched input against what the input and the layer make of it: torch's message."""
    states = sizes_of_states(given, len(expected))
    if rank != 3 or states is None:
        raise Unknown
    for index, (shape, wanted) in enumerate(zip(states, expected, strict=True)):
        if len(shape) != 3:
            raise Unknown
        if any(differ(a, b) for a, b in zip(shape, wanted, strict=True)):
            if not (all_known(shape) and all_known(wanted)):
                raise Unknown
            name = f"hidden[{index}]" if kind == "LSTM" else "hidden"
            wanted_text = "(" + ", ".join(str(d) for d in wanted) + ")"
            raise ShapeError("TL506", f"Expected {name} size {wanted_text}, got {fmt_shape(shape)}")
        if not all(same(a, b) for a, b in zip(shape, wanted, strict=True)):
            raise Unknown


def sizes_of_states(given: Fact | None, count: int) -> tuple[Shape, ...] | None:
    """The shapes of `h0` (count 1) or of `(h0, c0)` (count 2), when known."""
    if given is None:
        return None
    facts = (given,) if count == 1 else elements_of(given)
    if facts is None or len(facts) != count or any(not f.is_tensor or f.shape is None for f in facts):
        return None
    return tuple(f.shape for f in facts)  # type: ignore[misc]


def _multihead(layer: Layer, a: Args) -> Result:
    query, key, value = a.tensor(0, "query"), a.tensor(1, "key"), a.tensor(2, "value")
    extra = set(a.keywords) - {"need_weights", "average_attn_weights"}
    if a.count() != 3 or extra:
        raise Unknown
    q, k, v = query.shape, key.shape, value.shape
    assert q is not None and k is not None and v is not None
    if len(q) not in (2, 3):
        message = f"query should be unbatched 2D or batched 3D tensor but received {len(q)}-D query tensor"
        raise ShapeError("TL506", message)
    if len(k) != len(q) or len(v) != len(q):
        raise ShapeError(
            "TL506",
            f"For {'unbatched' if len(q) == 2 else 'batched'} ({len(q)}-D) `query`, expected `key` and `value` to be "
            f"{len(q)}-D but found {len(k)}-D and {len(v)}-D tensors respectively",
        )
    embed = layer.dim("embed_dim")
    heads = layer.dim("num_heads")
    batch_first = layer.get("batch_first", False)
    need = a.flag(None, "need_weights", True)
    average = a.flag(None, "average_attn_weights", True)
    if not isinstance(batch_first, bool):
        raise Unknown
    if len(q) == 3 and batch_first:
        q, k, v = (q[1], q[0], q[2]), (k[1], k[0], k[2]), (v[1], v[0], v[2])
    if differ(q[-1], embed):
        raise ShapeError("TL506", f"was expecting embedding dimension of {embed}, but got {q[-1]}")
    kdim, vdim = layer.get("kdim") or embed, layer.get("vdim") or embed
    if not (same(q[-1], embed) and same(k[-1], kdim) and same(v[-1], vdim) and same(k[0], v[0])):
        raise Unknown
    if len(q) == 3 and differ(q[1], k[1]) and same(k[1], v[1]) and all_known((*k, q[1], embed, heads)):
        # The batch is dim 1 (dim 0 with batch_first): key's batch is not the query's, so its heads do not fit.
        head_dim = embed // heads  # type: ignore[operator]
        raise ShapeError(
            "TL506",
            f"shape '[{k[0]}, {q[1] * heads}, {head_dim}]' is invalid for input of size {k[0] * k[1] * embed}",  # type: ignore[operator]
        )
    if len(q) == 3 and not (same(q[1], k[1]) and same(k[1], v[1])):
        raise Unknown
    output = query.shape
    weights: Out | None = None
    if need:
        if len(q) == 2:
            shape: Shape = (q[0], k[0]) if average else (heads, q[0], k[0])
        else:
            shape = (q[1], q[0], k[0]) if average else (q[1], heads, q[0], k[0])
        weights = Out(shape, query.dtype, contiguous_strides(shape))
    if weights is None:
        raise Unknown
    # Computed time-major; batch_first outputs are transposed back, except on the inference fast path.
    strides = None if batch_first and len(q) == 3 else contiguous_strides(output)  # type: ignore[arg-type]
    return (Out(output, query.dtype, strides), weights)


def loss(
    kind: str, x: Fact, target: Fact, reduction: object, layer: Layer | None = None, weight: Fact | None = None
) -> Out:
    """Loss functions' input/target checks (torch's messages) and result."""
    s, t = x.shape, target.shape
    assert s is not None and t is not None
    if reduction not in ("mean", "sum", "none"):
        raise Unknown
    if kind in ("CrossEntropyLoss", "NLLLoss"):
        batch = t[0] if t else 0  # a 0-d target has batch size 0
        if len(s) >= 2 and s != t and differ(s[0], batch):
            raise ShapeError("TL508", f"Expected input batch_size ({s[0]}) to match target batch_size ({batch}).")
        # Class probabilities take a target of the input's shape: checked otherwise (if it may be that, not here).
        maybe_probabilities = kind == "CrossEntropyLoss" and len(t) == len(s) and not any(map(differ, s, t))
        if is_float(x.dtype) and not maybe_probabilities:
            _check_class_target(kind, s, t, target.dtype)
            if weight is not None and weight.is_tensor and weight.shape is not None and target.dtype == "int64":
                _check_class_weight(s, t, weight.shape)
        if not s:
            raise Unknown
        per_sample = (s[0], *s[2:]) if len(s) >= 2 else ()  # a 1-d input is one sample
        index_target = len(t) == len(per_sample) and is_integral(target.dtype, include_bool=False)
        probabilities = kind == "CrossEntropyLoss" and len(t) == len(s) and is_float(target.dtype)
        if not (index_target or probabilities) or not all(
            same(p, q) for p, q in zip(per_sample if index_target else s, t, strict=True)
        ):
            raise Unknown
        if x.dtype is not None and not is_float(x.dtype):
            raise Unknown
        return Out(per_sample if reduction == "none" else (), x.dtype)
    if kind in ("BCELoss", "BCEWithLogitsLoss"):
        if len(s) != len(t) or any(differ(p, q) for p, q in zip(s, t, strict=True)):
            if not (all_known(s) and all_known(t)):
                raise Unknown
            if kind == "BCELoss":
                raise ShapeError(
                    "TL508",
                    f"Using a target size ({fmt_size(t)}) that is different to the input size ({fmt_size(s)}) is "
                    "deprecated. Please ensure they have the same size.",
                )
            raise ShapeError("TL508", f"Target size ({fmt_size(t)}) must be the same as input size ({fmt_size(s)})")
        if not all(same(p, q) for p, q in zip(s, t, strict=True)):
            raise Unknown
        if not is_float(x.dtype) or not is_float(target.dtype):
            raise Unknown
        return Out(s if reduction == "none" else (), x.dtype)
    try:
        shape = broadcast(s, t)
    except ShapeError as error:
        raise ShapeError("TL508", error.message) from None
    if not is_float(x.dtype) or x.dtype != target.dtype:
        raise Unknown
    return Out(shape if reduction == "none" else (), x.dtype)


def _check_class_weight(s: Shape, t: Shape, w: Shape) -> None:
    """A class weight of another length than the number of classes (checked after the target, as torch does)."""
    classes = s[1] if len(s) >= 2 else s[0]
    per_sample = (s[0], *s[2:]) if len(s) >= 2 else ()
    if len(s) >= 2 and (len(t) != len(per_sample) or not all(same(p, q) for p, q in zip(per_sample, t, strict=True))):
        return  # the target's own check decides first
    if len(w) == 1 and not differ(w[0], classes):
        return
    if len(s) >= 3:
        raise ShapeError("TL508", "weight tensor should be defined either for all or no classes")
    if not (isinstance(classes, int) and all_known(w)):
        raise Unknown
    raise ShapeError(
        "TL508",
        f"weight tensor should be defined either for all {classes} classes or no classes but got weight tensor of "
        f"shape: {fmt_shape(w)}",
    )


def _check_class_target(kind: str, s: Shape, t: Shape, target_dtype: str | None) -> None:
    """The target of class indices that nll_loss checks, in its order (a batch mismatch is checked before)."""
    if not s:
        if kind == "NLLLoss":
            raise ShapeError("TL508", "Expected 1 or more dimensions (got 0)")
        raise Unknown
    if len(s) <= 2 and len(t) >= 2:
        raise ShapeError("TL508", "0D or 1D target tensor expected, multi-target not supported")
    if len(s) == 1 and len(t) == 1 and differ(t[0], 1) and is_integral(target_dtype, include_bool=False):
        raise ShapeError("TL508", f"For 1D input, 1D target must have size 1, but got target size: {t[0]}")
    expected = (s[0], *s[2:])
    if len(s) >= 3 and len(s) != 4 and (len(t) != len(expected) or any(map(differ, expected, t))):
        if not (all_known(expected) and all_known(t)):
            raise Unknown
        raise ShapeError("TL508", f"Expected target size {fmt_shape(expected)}, got {fmt_shape(t)}")
    if len(s) == 4 and len(t) != 3:  # nll_loss2d
        raise ShapeError(
            "TL508", f"only batches of spatial targets supported (3D tensors) but got targets of dimension: {len(t)}"
        )


# -- torch.nn.functional ------------------------------------------------------------------


def _functional_layer(kind: str, config: dict[str, object]) -> Layer:
    return Layer(kind, tuple(config.items()))


# Reductions that leave a 0-d tensor whatever the input shapes (`batchmean`: KL divergence).
_SCALAR_REDUCTIONS = ("mean", "sum", "batchmean")
# torch.nn.functional losses whose `reduction` defaults to "mean".
FUNCTIONAL_LOSSES = frozenset({
    "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss", "l1_loss",
    "smooth_l1_loss", "huber_loss", "kl_div", "soft_margin_loss", "multilabel_soft_margin_loss",
    "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss", "poisson_nll_loss", "gaussian_nll_loss",
    "triplet_margin_loss", "multi_margin_loss", "multilabel_margin_loss",
})  # fmt: skip
_THREE_INPUT_LOSSES = frozenset(
    {"margin_ranking_loss", "cosine_embedding_loss", "triplet_margin_loss", "gaussian_nll_loss"}
)


def reduced_loss(layer: Layer) -> bool:
    """Does this loss module return a 0-d tensor for any input (its reduction is not "none")?"""
    if not layer.kind.endswith("Loss") or any(name == "reduce" for name, _ in layer.config):
        return False  # `reduce=False` (before torch 0.4.1) kept one loss per element; `size_average` alone reduces
    try:
        return layer.get("reduction", "mean") in _SCALAR_REDUCTIONS
    except Unknown:
        return False


def reduced_functional_loss(name: str, a: Args) -> bool:
    """Does `F.<name>(...)` return a 0-d tensor for any input (a loss at its default or a reducing `reduction`)?"""
    if name not in FUNCTIONAL_LOSSES or "reduce" in a.keywords:
        return False
    inputs = 3 if name in _THREE_INPUT_LOSSES else 2
    if not a.complete or len(a.positional) > inputs:
        return False  # a positional weight, size_average, reduce or reduction
    found = a.keywords.get("reduction")
    return found is None or _value(found) in _SCALAR_REDUCTIONS


def _read(a: Args, names: tuple[str, ...], start: int) -> dict[str, object]:
    config: dict[str, object] = {}
    for offset, name in enumerate(names):
        found = a.find(start + offset, name)
        if found is not None:
            config[name] = _value(found)
    return config


def functional(name: str, a: Args) -> Result:
    """torch.nn.functional.<name>(...) for the functions with layer semantics; Unknown otherwise."""
    if name == "linear":
        x, weight = a.tensor(0, "input"), a.tensor(1, "weight")
        bias = a.fact(2, "bias")
        if weight.shape is None or len(weight.shape) != 2:
            raise Unknown
        if bias is not None and bias.is_tensor and bias.shape is None:
            raise Unknown
        bias_shape = bias.shape if bias is not None and bias.is_tensor else None
        flattened = bias_shape is not None and is_contiguous(x.shape, x.strides)  # type: ignore[arg-type]
        if len(x.shape) >= 3 and not flattened:  # type: ignore[arg-type]
            return _linear_as_matmul(x, weight, bias_shape)
        return linear(x, weight.shape, bias_shape, x.dtype)
    pools = {
        "max_pool1d": "MaxPool1d", "max_pool2d": "MaxPool2d", "max_pool3d": "MaxPool3d", "avg_pool1d": "AvgPool1d",
        "avg_pool2d": "AvgPool2d", "avg_pool3d": "AvgPool3d",
    }  # fmt: skip
    if name in pools:
        kind = pools[name]
        x = a.tensor(0, "input")
        names = _MAX_POOL if kind.startswith("Max") else _AVG_POOL
        config = _read(a, ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"), 1)
        if kind.startswith("Avg"):
            config = _read(a, names, 1)
        if config.get("stride") == ():
            config["stride"] = None
        return _pool(_functional_layer(kind, config), x)
    if name in ("interpolate", "upsample"):
        return _interpolate(a)
    if name.startswith("adaptive_") and name.endswith(("1d", "2d", "3d")):
        kind = "AdaptiveAvgPool" if "avg" in name else "AdaptiveMaxPool"
        return _adaptive(
            _functional_layer(kind + name[-2:], _read(a, ("output_size", "return_indices"), 1)), a.tensor()
        )
    if name in ("conv1d", "conv2d", "conv3d"):
        x, weight = a.tensor(0, "input"), a.tensor(1, "weight")
        w = weight.shape
        assert w is not None
        config = _read(a, ("bias", "stride", "padding", "dilation", "groups"), 2)
        groups = config.get("groups", 1)
        if len(w) != int(name[-2]) + 2 or not isinstance(groups, int) or not isinstance(w[1], int):
            raise Unknown
        config.update(in_channels=w[1] * groups, out_channels=w[0], kernel_size=tuple(w[2:]))
        return _conv(_functional_layer("Conv" + name[-2:], config), x)
    if name == "layer_norm":
        x = a.tensor(0, "input")
        normalized = a.fact(1, "normalized_shape")
        if normalized is None:
            raise Unknown
        return layer_norm(x, sizes_of(normalized))
    if name == "embedding":
        x, weight = a.tensor(0, "input"), a.tensor(1, "weight")
        assert x.shape is not None and weight.shape is not None
        if len(weight.shape) != 2 or (x.dtype is not None and x.dtype not in ("int64", "int32")):
            raise Unknown
        return Out((*x.shape, weight.shape[1]), weight.dtype)
    losses = {
        "cross_entropy": "CrossEntropyLoss", "nll_loss": "NLLLoss", "binary_cross_entropy": "BCELoss",
        "binary_cross_entropy_with_logits": "BCEWithLogitsLoss", "mse_loss": "MSELoss", "l1_loss": "L1Loss",
    }  # fmt: skip
    if name in losses:
        extra = set(a.keywords) - {"input", "target", "reduction", "weight", "ignore_index"}
        if extra:
            raise Unknown
        reduction = a.find(None, "reduction")
        weight = a.fact(2, "weight") if name in ("cross_entropy", "nll_loss") else None
        return loss(
            losses[name],
            a.tensor(0, "input"),
            a.tensor(1, "target"),
            _value(reduction) if reduction else "mean",
            weight=weight,
        )
    if name in ("softmax", "log_softmax", "softmin"):
        x = a.tensor(0, "input")
        dim = a.fact(1, "dim")
        if dim is None or _is_none_node(a.find(1, "dim")):
            return softmax(x, None, a.dtype(3, "dtype"))
        return softmax(x, _int(dim), a.dtype(3, "dtype"))
    if name == "pad":
        return _pad(a)
    if name == "one_hot":
        x = a.tensor(0, "tensor")
        classes = a.dim(1, "num_classes", -1)
        if not isinstance(classes, int) or classes <= 0 or x.dtype != "int64" or x.shape is None:
            raise Unknown
        return Out((*x.shape, classes), "int64")
    raise Unknown


_MODE_RANKS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def _interpolate(a: Args) -> Out:
    """`F.interpolate(x, size=...)` or `scale_factor=...`: the spatial dims (after N and C) resized."""
    x = a.tensor(0, "input")
    shape = x.shape
    assert shape is not None
    mode = a.string(3, "mode") or "nearest"
    if len(shape) not in (3, 4, 5) or _MODE_RANKS.get(mode, len(shape)) != len(shape):
        raise Unknown  # torch's own rank errors
    if set(a.keywords) - {"input", "size", "scale_factor", "mode", "align_corners"} or a.count() > 5:
        raise Unknown
    n = len(shape) - 2
    size, scale = a.find(1, "size"), a.find(2, "scale_factor")
    given_size = size is not None and not _is_none_node(size)
    given_scale = scale is not None and not _is_none_node(scale)
    if given_size == given_scale:
        raise Unknown
    if given_size:
        assert size is not None
        sizes = sizes_of(size[0])
        if len(sizes) == 1 and size[0].kind is Kind.INT:
            sizes = sizes * n
        elif len(sizes) != n:
            text = _literal_text(size[1])
            if text is None or not all_known(shape[2:]):
                raise Unknown
            raise ShapeError(
                "TL506",
                f"Input and output must have the same number of spatial dimensions, but got input with spatial "
                f"dimensions of {fmt_shape(shape[2:])} and output size of {text}. Please provide input tensor in (N, "
                "C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.",
            )
        out = sizes
    else:
        assert scale is not None
        factors = _numbers(scale[1])
        if factors is None or len(factors) not in (1, n):
            raise Unknown
        factors = factors * n if len(factors) == 1 else factors
        out = tuple(_scaled(d, f) for d, f in zip(shape[2:], factors, strict=True))
    if any(isinstance(d, int) and d <= 0 for d in (*shape, *out)):
        raise Unknown  # "Input and output sizes should be greater than 0"
    result = (*shape[:2], *out)
    return Out(result, x.dtype, contiguous_strides(result) if is_contiguous(shape, x.strides) else None)


def _numbers(node: cst.BaseExpression | None) -> tuple[float, ...] | None:
    """The literal numbers of `2`, `1.5` or `(2, 0.5)`."""
    if isinstance(node, (cst.Integer, cst.Float)):
        return (float(node.evaluated_value),)
    if isinstance(node, (cst.Tuple, cst.List)):
        values = [_numbers(e.value) for e in node.elements]
        return tuple(v[0] for v in values if v is not None) if all(v is not None for v in values) else None
    return None


def _scaled(size: Dim, factor: float) -> Dim:
    """floor(size * factor), as torch computes an output size from a scale factor."""
    if isinstance(size, int):
        return math.floor(float(size) * factor)
    if factor == int(factor):
        return mul(size, int(factor))
    raise Unknown


def _literal_text(node: cst.BaseExpression | None) -> str | None:
    """How Python prints a literal tuple or list of ints: `(16,)`, `[16, 8]`."""
    if not isinstance(node, (cst.Tuple, cst.List)) or not all(isinstance(e.value, cst.Integer) for e in node.elements):
        return None
    values = tuple(int(e.value.evaluated_value) for e in node.elements)  # type: ignore[attr-defined]
    return repr(values) if isinstance(node, cst.Tuple) else repr(list(values))


def _linear_as_matmul(x: Fact, weight: Fact, bias: Shape | None) -> Out:
    """F.linear on a batch that is not flattened first: `x @ weight.t()`, with matmul's checks and messages."""
    w = weight.shape
    assert w is not None
    strides = (weight.strides[1], weight.strides[0]) if weight.strides is not None else None
    out = matmul(x, weight.but(shape=(w[1], w[0]), strides=strides))
    if bias is None or out.shape is None:
        return Out(out.shape, out.dtype)
    try:
        return Out(broadcast(out.shape, bias), out.dtype)
    except ShapeError:
        raise Unknown from None


def _is_none_node(found: tuple[Fact, cst.BaseExpression | None] | None) -> bool:
    return found is not None and isinstance(found[1], cst.Name) and found[1].value == "None"


def _int(fact: Fact) -> Dim:
    if fact.kind is Kind.INT and fact.value is not None:
        return fact.value  # type: ignore[return-value]
    raise Unknown


def _pad(a: Args) -> Result:
    x = a.tensor(0, "input")
    pad = a.fact(1, "pad")
    mode = a.find(2, "mode")
    if pad is None or (mode is not None and _value(mode) != "constant"):
        raise Unknown
    amounts = sizes_of(pad)
    shape = x.shape
    assert shape is not None
    if len(amounts) % 2 or len(amounts) // 2 > len(shape) or not all_known(amounts):
        raise Unknown
    result = list(shape)
    for i in range(len(amounts) // 2):
        position = len(shape) - 1 - i
        size = add(result[position], add(amounts[2 * i], amounts[2 * i + 1]))
        if isinstance(size, int) and size < 0:
            raise Unknown
        result[position] = size
    return Out(tuple(result), x.dtype)
