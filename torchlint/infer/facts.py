"""What the analysis knows about a value, and how two pieces of knowledge join.

A `Fact` is immutable so that environments can be copied cheaply at branches.
The shape checker extends the record through `shape` and `dtype`; every other
field keeps its meaning.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

import libcst as cst


class Kind(enum.Enum):
    UNKNOWN = "unknown"
    TENSOR = "tensor"
    MODULE = "module"  # an nn.Module instance
    OPTIMIZER = "optimizer"
    DEVICE = "device"  # a device value: torch.device(...), "cuda", ...
    INT = "int"
    FLOAT = "float"  # a Python float (a scalar operand, never a size)
    SIZE = "size"  # torch.Size: x.shape, x.size()
    DEVICE_FLAG = "device-flag"  # a bool derived from torch.cuda.is_available()
    SEQUENCE = "sequence"  # a list/tuple literal; `elements` when known
    NDARRAY = "ndarray"
    IMPORT = "import"  # a module or object reached through an import
    CLASS = "class"  # a class defined in the analysed file
    FUNCTION = "function"  # a function defined in the analysed file
    SELF = "self"  # the instance inside a method


class Device(enum.Enum):
    UNKNOWN = "unknown"
    CPU = "cpu"
    CUDA = "cuda"
    MAYBE_CUDA = "maybe-cuda"  # cuda when a GPU is present, cpu otherwise
    META = "meta"

    @property
    def on_gpu(self) -> bool:
        return self in (Device.CUDA, Device.MAYBE_CUDA)


def join_device(a: Device, b: Device) -> Device:
    if a == b:
        return a
    pair = {a, b}
    if pair == {Device.CUDA, Device.MAYBE_CUDA}:
        return Device.MAYBE_CUDA
    return Device.UNKNOWN


def join_bool(a: bool | None, b: bool | None) -> bool | None:
    return a if a == b else None


@dataclass(frozen=True)
class Fact:
    """Knowledge about one value at one program point."""

    kind: Kind = Kind.UNKNOWN
    device: Device = Device.UNKNOWN
    requires_grad: bool | None = None
    shape: tuple | None = None  # filled by the shape checker
    dtype: str | None = None  # filled by the shape checker
    # The shape checker's extras: an INT's dim, an nn layer's config; a tensor's strides when known.
    value: object = None
    strides: tuple | None = None
    qualname: str | None = None  # for IMPORT, CLASS and FUNCTION facts
    elements: tuple[Fact, ...] | None = None  # for SEQUENCE facts
    # Where the device became what it is (for messages), and flags for CLASS.
    device_origin: cst.CSTNode | None = field(default=None, compare=False)
    shape_origin: cst.CSTNode | None = field(default=None, compare=False)
    is_module_class: bool = False
    node: cst.CSTNode | None = field(default=None, compare=False)

    @property
    def is_tensor(self) -> bool:
        return self.kind is Kind.TENSOR

    def with_device(self, device: Device, origin: cst.CSTNode | None) -> Fact:
        return replace(self, device=device, device_origin=origin)

    def but(self, **changes: object) -> Fact:
        return replace(self, **changes)


UNKNOWN = Fact()
# A SEQUENCE's `value` when its length is not known but every element is like `elements[0]` (a list built by a
# comprehension, or by appends to an empty list): it may be empty.
EACH = "each"


def tensor(
    device: Device = Device.UNKNOWN,
    origin: cst.CSTNode | None = None,
    requires_grad: bool | None = None,
) -> Fact:
    return Fact(Kind.TENSOR, device, requires_grad, device_origin=origin)


def join(a: Fact, b: Fact) -> Fact:
    """The fact that holds whichever of two paths was taken."""
    if a is b or a == b:
        return a
    if a.kind is not b.kind:
        return UNKNOWN
    if a.kind is Kind.SEQUENCE and {a.value, b.value} & {EACH} and () in (a.elements, b.elements):
        return a if a.value == EACH else b  # not appended to on one path: still each element alike
    device = join_device(a.device, b.device)
    origin = a.device_origin if device == a.device else b.device_origin
    elements = None
    if a.elements is not None and b.elements is not None and len(a.elements) == len(b.elements):
        elements = tuple(join(x, y) for x, y in zip(a.elements, b.elements, strict=True))
    return Fact(
        kind=a.kind,
        device=device,
        requires_grad=join_bool(a.requires_grad, b.requires_grad),
        shape=a.shape if a.shape == b.shape else None,
        dtype=a.dtype if a.dtype == b.dtype else None,
        value=a.value if a.value == b.value else None,
        strides=a.strides if a.shape == b.shape and a.strides == b.strides else None,
        shape_origin=a.shape_origin if a.shape_origin is b.shape_origin else None,
        qualname=a.qualname if a.qualname == b.qualname else None,
        elements=elements,
        device_origin=origin,
        is_module_class=a.is_module_class and b.is_module_class,
        node=a.node if a.node is b.node else None,
    )


def combine_devices(facts: list[Fact]) -> Device:
    """Device of the result of an op on several tensors (cuda wins: it either runs there or fails)."""
    devices = [f.device for f in facts if f.is_tensor]
    if not devices:
        return Device.UNKNOWN
    if Device.CUDA in devices:
        return Device.CUDA
    if Device.MAYBE_CUDA in devices:
        return Device.MAYBE_CUDA
    if all(d is Device.CPU for d in devices):
        return Device.CPU
    return Device.UNKNOWN
