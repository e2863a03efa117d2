"""Facts of expressions: names through imports, tensors through torch calls and methods."""

from __future__ import annotations

import builtins
import re

import libcst as cst

from torchlint.infer import torch_api as api
from torchlint.infer.facts import (
    UNKNOWN,
    Device,
    Fact,
    Kind,
    combine_devices,
    join,
    tensor,
)
from torchlint.infer.scope import Scope, dotted_name

_BUILTINS = frozenset(dir(builtins))
_CUDA_STRING = re.compile(r"cuda(:\d+)?$")
_INT_RESULT_METHODS = frozenset({"dim", "ndimension", "numel", "nelement", "element_size", "get_device"})


def string_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def device_of_string(text: str) -> Device:
    if _CUDA_STRING.match(text):
        return Device.CUDA
    if text == "cpu":
        return Device.CPU
    if text == "meta":
        return Device.META
    return Device.UNKNOWN


def positional_args(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def keyword_arg(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def is_true(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


class Evaluator:
    """Evaluates expressions against the scope the analyzer is in."""

    def __init__(self, default_device: Device = Device.CPU) -> None:
        self.scope: Scope | None = None
        self.overlays: list[dict[str, Fact]] = []
        self.memo: dict[int, Fact] = {}
        self.default_device = default_device
        # The class whose method is being analysed: (self name, stable attributes).
        self.self_name: str | None = None
        self.self_attributes: dict[str, Fact] = {}

    # -- names -------------------------------------------------------------------

    def lookup(self, key: str) -> Fact:
        root = key.split(".", 1)[0]
        for overlay in reversed(self.overlays):
            if key in overlay:
                return overlay[key]
            if root in overlay:
                return UNKNOWN
        assert self.scope is not None
        fact = self.scope.env.get(key)
        if fact is not None:
            return fact
        if self.self_name is not None and root == self.self_name and key != root:
            return self.self_attributes.get(key[len(root) + 1 :], UNKNOWN)
        return self.scope.lookup(key)

    def is_builtin(self, name: str) -> bool:
        """True when `name` refers to the Python builtin of that name here."""
        if name not in _BUILTINS:
            return False
        if any(name in overlay for overlay in self.overlays):
            return False
        scope = self.scope
        while scope is not None:
            if name in scope.bindings or scope.env.get(name) is not None:
                return False
            scope = scope.parent
        return True

    def qualname(self, node: cst.BaseExpression) -> str | None:
        """`torch.nn.Linear` for `nn.Linear` after `import torch.nn as nn`; None when not an import."""
        fact = self.fact(node)
        return fact.qualname if fact.kind is Kind.IMPORT else None

    # -- expressions -------------------------------------------------------------

    def fact(self, node: cst.BaseExpression) -> Fact:
        key = id(node)
        cached = self.memo.get(key)
        if cached is None:
            cached = self._fact(node)
            self.memo[key] = cached
        return cached

    def _fact(self, node: cst.BaseExpression) -> Fact:
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                return UNKNOWN
            return self.lookup(node.value)
        if isinstance(node, cst.Attribute):
            return self._attribute(node)
        if isinstance(node, cst.Call):
            return self._call(node)
        if isinstance(node, cst.Subscript):
            return self._subscript(node)
        if isinstance(node, cst.BinaryOperation):
            return self._arithmetic([self.fact(node.left), self.fact(node.right)])
        if isinstance(node, cst.UnaryOperation):
            if isinstance(node.operator, cst.Not):
                return self._flag(node.expression)
            return self._arithmetic([self.fact(node.expression)])
        if isinstance(node, cst.BooleanOperation):
            return self._flag(node)
        if isinstance(node, cst.Comparison):
            operands = [self.fact(node.left)] + [self.fact(c.comparator) for c in node.comparisons]
            if any(f.is_tensor for f in operands):
                return tensor(combine_devices(operands), requires_grad=False)
            return UNKNOWN
        if isinstance(node, cst.Integer):
            return Fact(Kind.INT)
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            text = string_value(node)
            if text is not None and device_of_string(text) is not Device.UNKNOWN:
                return Fact(Kind.DEVICE, device_of_string(text), device_origin=node)
            return UNKNOWN
        if isinstance(node, cst.FormattedString):
            head = node.parts[0] if node.parts else None
            if isinstance(head, cst.FormattedStringText) and head.value.startswith("cuda"):
                return Fact(Kind.DEVICE, Device.CUDA, device_origin=node)
            return UNKNOWN
        if isinstance(node, (cst.List, cst.Tuple)):
            if any(isinstance(e, cst.StarredElement) for e in node.elements):
                return Fact(Kind.SEQUENCE)
            return Fact(Kind.SEQUENCE, elements=tuple(self.fact(e.value) for e in node.elements))
        if isinstance(node, (cst.ListComp, cst.GeneratorExp)):
            return Fact(Kind.SEQUENCE) if isinstance(node, cst.ListComp) else UNKNOWN
        if isinstance(node, cst.IfExp):
            return self._if_exp(node)
        if isinstance(node, cst.NamedExpr):
            return self.fact(node.value)
        return UNKNOWN

    def _flag(self, node: cst.BaseExpression) -> Fact:
        """`torch.cuda.is_available()` and boolean expressions containing it are cuda flags."""
        if self.mentions_cuda_check(node):
            return Fact(Kind.DEVICE_FLAG)
        return UNKNOWN

    def mentions_cuda_check(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Call):
            return self.qualname(node.func) == api.CUDA_AVAILABLE
        if isinstance(node, cst.BooleanOperation):
            return self.mentions_cuda_check(node.left) or self.mentions_cuda_check(node.right)
        if isinstance(node, cst.UnaryOperation):
            return self.mentions_cuda_check(node.expression)
        if isinstance(node, (cst.Name, cst.Attribute)):
            return self.fact(node).kind is Kind.DEVICE_FLAG
        return False

    def _if_exp(self, node: cst.IfExp) -> Fact:
        body, orelse = self.fact(node.body), self.fact(node.orelse)
        if (
            body.kind is Kind.DEVICE
            and orelse.kind is Kind.DEVICE
            and {body.device, orelse.device} == {Device.CUDA, Device.CPU}
            and self.mentions_cuda_check(node.test)
        ):
            return Fact(Kind.DEVICE, Device.MAYBE_CUDA, device_origin=node)
        return join(body, orelse)

    def _arithmetic(self, operands: list[Fact]) -> Fact:
        if any(f.is_tensor for f in operands):
            grads = [f.requires_grad for f in operands if f.is_tensor]
            return tensor(combine_devices(operands), self._origin(operands), self._grad(grads))
        if all(f.kind is Kind.INT for f in operands):
            return Fact(Kind.INT)
        if any(f.kind is Kind.SEQUENCE for f in operands) and not any(f.kind is Kind.NDARRAY for f in operands):
            return Fact(Kind.SEQUENCE)  # `[0] * n`, `a + b` on lists
        if any(f.kind is Kind.NDARRAY for f in operands):
            return Fact(Kind.NDARRAY)
        return UNKNOWN

    def _grad(self, grads: list[bool | None]) -> bool | None:
        assert self.scope is not None
        if self.scope.no_grad:
            return False
        if any(g is True for g in grads):
            return True
        if grads and all(g is False for g in grads):
            return False
        return None

    @staticmethod
    def _origin(facts: list[Fact]) -> cst.CSTNode | None:
        device = combine_devices(facts)
        for f in facts:
            if f.is_tensor and f.device is device:
                return f.device_origin
        return None

    def _attribute(self, node: cst.Attribute) -> Fact:
        key = dotted_name(node)
        if key is not None:
            root = key.split(".", 1)[0]
            known = self._known_dotted(key, root)
            if known is not None:
                return known
        base = self.fact(node.value)
        attr = node.attr.value
        if base.kind is Kind.IMPORT:
            return Fact(Kind.IMPORT, qualname=f"{base.qualname}.{attr}")
        if base.is_tensor:
            if attr in api.TENSOR_ATTRIBUTES:
                grad = False if attr in ("grad", "data") else base.requires_grad
                return base.but(requires_grad=grad, shape=None)
            if attr == "shape":
                return Fact(Kind.SIZE)
            if attr == "ndim":
                return Fact(Kind.INT)
            if attr == "device":
                return Fact(Kind.DEVICE, base.device, device_origin=base.device_origin)
        return UNKNOWN

    def _known_dotted(self, key: str, root: str) -> Fact | None:
        for overlay in reversed(self.overlays):
            if key in overlay:
                return overlay[key]
            if root in overlay:
                return None
        assert self.scope is not None
        fact = self.scope.env.get(key)
        if fact is not None:
            return fact
        if self.self_name is not None and root == self.self_name:
            return self.self_attributes.get(key[len(root) + 1 :])
        return None

    def _subscript(self, node: cst.Subscript) -> Fact:
        base = self.fact(node.value)
        if base.is_tensor:
            return base.but(shape=None)
        if base.kind is Kind.SIZE:
            single = node.slice[0].slice if len(node.slice) == 1 else None
            if isinstance(single, cst.Index):
                return Fact(Kind.INT)
            return Fact(Kind.SIZE)
        if base.kind is Kind.SEQUENCE and base.elements is not None and len(node.slice) == 1:
            index = node.slice[0].slice
            if isinstance(index, cst.Index) and isinstance(index.value, cst.Integer):
                position = int(index.value.value, 0)
                if -len(base.elements) <= position < len(base.elements):
                    return base.elements[position]
        return UNKNOWN

    # -- calls -------------------------------------------------------------------

    def device_of(self, node: cst.BaseExpression) -> tuple[Device, cst.CSTNode | None]:
        """The device an argument like `"cuda"`, `device`, `other_tensor` or `0` names."""
        if isinstance(node, cst.Integer):
            return Device.CUDA, node
        fact = self.fact(node)
        if fact.kind in (Kind.DEVICE, Kind.TENSOR):
            return fact.device, fact.device_origin or node
        if fact.kind is Kind.INT:
            return Device.CUDA, node
        return Device.UNKNOWN, None

    def _call(self, node: cst.Call) -> Fact:
        func = node.func
        if isinstance(func, cst.Name) and self.is_builtin(func.value):
            return self._builtin_call(func.value, node)
        callee = self.fact(func)
        if callee.kind is Kind.IMPORT and callee.qualname is not None:
            return self._torch_call(callee.qualname, node)
        if callee.kind is Kind.CLASS:
            if callee.is_module_class:
                return Fact(Kind.MODULE, Device.CPU, requires_grad=True, qualname=callee.qualname)
            return UNKNOWN
        if callee.kind is Kind.MODULE:
            return self._module_output(callee, node)
        if isinstance(func, cst.Attribute):
            receiver = self.fact(func.value)
            if receiver.is_tensor:
                return self._tensor_method(receiver, func.attr.value, node)
            if receiver.kind is Kind.MODULE:
                return self._module_method(receiver, func.attr.value, node)
            if receiver.kind is Kind.NDARRAY and func.attr.value in ("astype", "copy", "reshape"):
                return receiver
        return UNKNOWN

    def _builtin_call(self, name: str, node: cst.Call) -> Fact:
        if name in ("len", "int", "round", "abs"):
            return Fact(Kind.INT)
        if name in ("list", "tuple"):
            return Fact(Kind.SEQUENCE)
        return UNKNOWN

    def _module_output(self, module: Fact, node: cst.Call) -> Fact:
        layer = (module.qualname or "").rsplit(".", 1)[-1]
        if layer in api.TUPLE_RETURNING_LAYERS:
            return UNKNOWN
        assert self.scope is not None
        grad = False if self.scope.no_grad else module.requires_grad
        return tensor(module.device, module.device_origin, grad)

    def _module_method(self, module: Fact, method: str, node: cst.Call) -> Fact:
        if method in ("to", "cuda", "cpu"):
            return module.with_device(*self._moved_device(module, method, node))
        if method in ("eval", "train", "float", "half", "double", "bfloat16", "requires_grad_"):
            return module
        if method == "forward":
            return self._module_output(module, node)
        return UNKNOWN

    def _moved_device(self, current: Fact, method: str, node: cst.Call) -> tuple[Device, cst.CSTNode | None]:
        """Device after `.to(...)`, `.cuda()`, `.cpu()`, `.type(...)`."""
        if method == "cuda":
            return Device.CUDA, node
        if method == "cpu":
            return Device.CPU, node
        args = positional_args(node)
        device_kw = keyword_arg(node, "device")
        if method == "type":
            if args:
                qualname = self.qualname(args[0].value) or ""
                if qualname.startswith("torch.cuda."):
                    return Device.CUDA, node
                if qualname in api.LEGACY_CONSTRUCTORS:
                    return Device.CPU, node
                return Device.UNKNOWN, None
            return current.device, current.device_origin
        if device_kw is not None:
            return self.device_of(device_kw.value)
        if not args:
            return current.device, current.device_origin
        first = args[0].value
        qualname = self.qualname(first)
        if qualname is not None and qualname.startswith("torch.") and qualname != "torch.device":
            return current.device, current.device_origin  # `.to(torch.float16)`: a dtype
        return self.device_of(first)

    def _tensor_method(self, receiver: Fact, method: str, node: cst.Call) -> Fact:
        if method in api.DEVICE_METHODS:
            device, origin = self._moved_device(receiver, method, node)
            return receiver.but(device=device, device_origin=origin, shape=None)
        if method == "detach":
            return receiver.but(requires_grad=False)
        if method == "requires_grad_":
            args = positional_args(node)
            flag = keyword_arg(node, "requires_grad")
            value = flag.value if flag is not None else (args[0].value if args else None)
            return receiver.but(requires_grad=value is None or is_true(value))
        if method == "numpy":
            return Fact(Kind.NDARRAY)
        if method == "size":
            return Fact(Kind.INT) if node.args else Fact(Kind.SIZE)
        if method in _INT_RESULT_METHODS:
            return Fact(Kind.INT)
        if method in api.NON_TENSOR_METHODS:
            return UNKNOWN
        if method.endswith("_") and not method.startswith("_"):
            return receiver
        assert self.scope is not None
        grad = False if self.scope.no_grad else receiver.requires_grad
        return receiver.but(requires_grad=grad, shape=None)

    def _torch_call(self, qualname: str, node: cst.Call) -> Fact:
        if qualname in api.LEGACY_CONSTRUCTORS:
            device = Device.CUDA if qualname.startswith("torch.cuda.") else self._factory_device(node)
            return tensor(device, node, False)
        if qualname == "torch.device":
            args = positional_args(node)
            if args:
                device, origin = self.device_of(args[0].value)
                return Fact(Kind.DEVICE, device, device_origin=origin)
            return Fact(Kind.DEVICE)
        if qualname in ("torch.nn.Parameter", "torch.nn.parameter.Parameter"):
            args = positional_args(node)
            base = self.fact(args[0].value) if args else UNKNOWN
            flag = keyword_arg(node, "requires_grad")
            grad = flag is None or is_true(flag.value)
            return tensor(base.device if base.is_tensor else Device.UNKNOWN, base.device_origin, grad)
        if qualname == "torch.Size":
            return Fact(Kind.SIZE)
        module, _, name = qualname.rpartition(".")
        if module == "torch" and name in api.FACTORIES:
            return self._factory(name, node)
        if qualname == "torch.where" and len(positional_args(node)) == 1:
            return Fact(Kind.SEQUENCE)  # the indices form returns a tuple of tensors
        if (module == "torch" and name in api.TENSOR_OPS) or module == "torch.nn.functional":
            return self._tensor_op(node)
        if module.startswith("torch.nn") and name[:1].isupper():
            device_kw = keyword_arg(node, "device")
            device = self.device_of(device_kw.value)[0] if device_kw else Device.CPU
            return Fact(Kind.MODULE, device, requires_grad=True, qualname=qualname, device_origin=node)
        if module.startswith("torch.optim") and "lr_scheduler" not in module and name[:1].isupper():
            return Fact(Kind.OPTIMIZER, qualname=qualname)
        if module == "numpy" and name in ("array", "asarray", "zeros", "ones", "empty", "arange", "stack"):
            return Fact(Kind.NDARRAY)
        if qualname == api.CUDA_AVAILABLE:
            return Fact(Kind.DEVICE_FLAG)
        return UNKNOWN

    def _factory_device(self, node: cst.Call) -> Device:
        device_kw = keyword_arg(node, "device")
        if device_kw is not None:
            return self.device_of(device_kw.value)[0]
        return self.default_device

    def _factory(self, name: str, node: cst.Call) -> Fact:
        device_kw = keyword_arg(node, "device")
        flag = keyword_arg(node, "requires_grad")
        grad = flag is not None and is_true(flag.value)
        if device_kw is not None:
            device, origin = self.device_of(device_kw.value)
            return tensor(device, origin, grad)
        args = positional_args(node)
        if name in api.LIKE_FACTORIES or name in ("as_tensor", "asarray"):
            source = self.fact(args[0].value) if args else UNKNOWN
            if source.is_tensor:
                return tensor(source.device, source.device_origin, grad)
            if name in api.LIKE_FACTORIES:
                return tensor(Device.UNKNOWN, None, grad)
        return tensor(self.default_device, None, grad)

    def _tensor_op(self, node: cst.Call) -> Fact:
        operands: list[Fact] = []
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in ("dim", "dtype", "out"):
                continue
            fact = self.fact(arg.value)
            if fact.kind is Kind.SEQUENCE and fact.elements is not None:
                operands.extend(fact.elements)
            else:
                operands.append(fact)
        tensors = [f for f in operands if f.is_tensor]
        if not tensors:
            return tensor(Device.UNKNOWN)
        return tensor(combine_devices(tensors), self._origin(tensors), self._grad([t.requires_grad for t in tensors]))

    def element_of(self, node: cst.BaseExpression) -> Fact:
        """What one iteration over `node` yields."""
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and self.is_builtin(node.func.value):
            args = positional_args(node)
            name = node.func.value
            if name == "range":
                return Fact(Kind.INT)
            if name == "enumerate" and args:
                return Fact(Kind.SEQUENCE, elements=(Fact(Kind.INT), self.element_of(args[0].value)))
            if name == "zip" and len(args) == len(node.args):
                return Fact(Kind.SEQUENCE, elements=tuple(self.element_of(a.value) for a in args))
            if name in ("reversed", "iter", "list", "tuple", "sorted") and len(args) == 1:
                return self.element_of(args[0].value)
            return UNKNOWN
        fact = self.fact(node)
        if fact.is_tensor:
            return fact.but(shape=None)
        if fact.kind is Kind.SEQUENCE and fact.elements:
            result = fact.elements[0]
            for element in fact.elements[1:]:
                result = join(result, element)
            return result
        if fact.kind is Kind.SIZE:
            return Fact(Kind.INT)
        return UNKNOWN
