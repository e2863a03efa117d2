"""What torchlint knows about the torch API, without importing torch."""

from __future__ import annotations

# torch.<name>(...) that create a new tensor; default device is cpu unless `device=` says otherwise.
FACTORIES = frozenset(
    [
        "tensor",
        "as_tensor",
        "asarray",
        "from_numpy",
        "zeros",
        "ones",
        "empty",
        "full",
        "rand",
        "randn",
        "randint",
        "randperm",
        "arange",
        "linspace",
        "logspace",
        "eye",
        "zeros_like",
        "ones_like",
        "empty_like",
        "full_like",
        "rand_like",
        "randn_like",
        "randint_like",
        "normal",
        "bernoulli",
        "multinomial",
        "tril_indices",
        "triu_indices",
        "empty_strided",
    ]
)

# Factories whose device follows their tensor argument when no `device=` is given.
LIKE_FACTORIES = frozenset(
    ["zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "randint_like"]
)

# torch.<name>(tensor, ...) that return one tensor on the device of their tensor arguments.
TENSOR_OPS = frozenset(
    [
        "abs",
        "add",
        "addmm",
        "argmax",
        "argmin",
        "argsort",
        "bmm",
        "cat",
        "clamp",
        "clip",
        "concat",
        "concatenate",
        "cos",
        "cumsum",
        "cumprod",
        "diag",
        "div",
        "dot",
        "einsum",
        "exp",
        "flatten",
        "flip",
        "gather",
        "hstack",
        "index_select",
        "log",
        "log_softmax",
        "logsumexp",
        "masked_fill",
        "matmul",
        "mean",
        "mm",
        "mul",
        "neg",
        "norm",
        "outer",
        "permute",
        "pow",
        "prod",
        "relu",
        "reshape",
        "round",
        "rsqrt",
        "sigmoid",
        "sign",
        "sin",
        "softmax",
        "sqrt",
        "square",
        "squeeze",
        "stack",
        "std",
        "sub",
        "sum",
        "t",
        "tanh",
        "tile",
        "transpose",
        "tril",
        "triu",
        "unsqueeze",
        "var",
        "vstack",
        "where",
        "cdist",
        "clone",
        "detach",
        "masked_select",
        "nonzero",
        "repeat_interleave",
        "roll",
        "stft",
        "baddbmm",
        "bucketize",
        "floor",
        "ceil",
        "trunc",
        "lerp",
        "maximum",
        "minimum",
        "fmod",
        "remainder",
        "erf",
    ]
)

# Tensor methods that return something that is not a tensor.
NON_TENSOR_METHODS = frozenset(
    [
        "item",
        "tolist",
        "numpy",
        "size",
        "dim",
        "ndimension",
        "numel",
        "element_size",
        "nelement",
        "is_contiguous",
        "is_floating_point",
        "is_complex",
        "data_ptr",
        "storage",
        "untyped_storage",
        "get_device",
        "type",
        "stride",
        "storage_offset",
        "backward",
        "register_hook",
        "equal",
        "allclose",
        "is_set_to",
        "chunk",
        "split",
        "unbind",
        "tensor_split",
        "__len__",
        "__iter__",
        "is_pinned",
        "is_shared",
        "nonzero_static",
    ]
)

# Tensor methods that move a tensor (handled separately from shape-preserving methods).
DEVICE_METHODS = frozenset({"to", "cuda", "cpu", "type"})


def is_model_constructor(qualname: str) -> bool:
    """A library function that builds an `nn.Module` on the CPU: `torchvision.models.resnet18`,
    `torchvision.models.detection.fasterrcnn_resnet50_fpn`, `timm.create_model`."""
    if qualname == "timm.create_model":
        return True
    module, _, name = qualname.rpartition(".")
    if module != "torchvision.models" and not module.startswith("torchvision.models."):
        return False
    return name[:1].islower() and not name.startswith(("get_", "list_", "_")) and "." not in module[19:]


# NumPy functions that return a new ndarray (not a scalar, not a view of unknown type).
NUMPY_ARRAY_FUNCTIONS = frozenset(
    {"array", "asarray", "zeros", "ones", "empty", "arange", "stack", "linspace", "full", "eye", "identity",
     "zeros_like", "ones_like", "full_like", "concatenate", "vstack", "hstack", "loadtxt", "genfromtxt"}
)  # fmt: skip
# numpy.random functions that return an array when given a size (`np.random.randn(3, 4)`).
NUMPY_RANDOM_ARRAYS = frozenset(
    {"randn", "rand", "normal", "uniform", "standard_normal", "random_sample", "random", "randint"}
)

# Library functions outside torch's namespace that return a new CPU tensor (images read or converted).
LIBRARY_TENSORS = frozenset(
    {"torchvision.transforms.functional.to_tensor", "torchvision.transforms.functional.pil_to_tensor",
     "torchvision.io.read_image"}
)  # fmt: skip

# Tensor attributes that are tensors themselves.
TENSOR_ATTRIBUTES = frozenset({"T", "mT", "H", "mH", "data", "grad", "real", "imag"})

# Legacy constructors: torch.Tensor and the typed tensor classes.
LEGACY_TYPES = [
    "Tensor",
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "BFloat16Tensor",
    "ByteTensor",
    "CharTensor",
    "ShortTensor",
    "IntTensor",
    "LongTensor",
    "BoolTensor",
]
LEGACY_CONSTRUCTORS = frozenset(
    [f"torch.{name}" for name in LEGACY_TYPES] + [f"torch.cuda.{name}" for name in LEGACY_TYPES if name != "Tensor"]
)

# nn layers whose call returns a tuple rather than one tensor (max pools too, given return_indices=True).
TUPLE_RETURNING_LAYERS = frozenset({"LSTM", "GRU", "RNN", "MultiheadAttention"})

# Context managers that disable gradient recording.
NO_GRAD_CONTEXTS = frozenset({"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad"})
# Mixed precision: inside, float ops may run in float16 or bfloat16.
AUTOCAST_CONTEXTS = frozenset(
    {"torch.autocast", "torch.amp.autocast", "torch.cuda.amp.autocast", "torch.cpu.amp.autocast"}
)
# Decorators that leave what a function returns as its body computes it (for the shape of a module call).
TRANSPARENT_DECORATORS = (
    NO_GRAD_CONTEXTS
    | AUTOCAST_CONTEXTS
    | frozenset({"torch.enable_grad", "torch.jit.ignore", "torch.jit.unused", "torch.jit.export"})
)

CUDA_AVAILABLE = "torch.cuda.is_available"
