"""Facts of expressions: names through imports, tensors through torch calls and methods, with shapes.

Shapes, dtypes and strides come from `sources` (factories, literals, indexing), `tensor_ops`
(what an op does) and `layers` (nn modules).  An op that definitely fails at runtime leaves a
`Finding` for the node (torch's message and where the shapes came from) and an unknown result.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst

from torchlint.infer import layers, returns, sources
from torchlint.infer import tensor_ops as ops
from torchlint.infer import torch_api as api
from torchlint.infer.facts import (
    EACH,
    UNKNOWN,
    Device,
    Fact,
    Kind,
    combine_devices,
    join,
    tensor,
)
from torchlint.infer.scope import Scope, dotted_name
from torchlint.infer.shapes import (
    ANONYMOUS,
    Dim,
    ShapeError,
    Unknown,
    add,
    floordiv,
    fmt_shape,
    is_anonymous,
    is_float,
    is_integral,
    mul,
    neg,
    product,
    sub,
    symbol,
)

_BUILTINS = frozenset(dir(builtins))
_CUDA_STRING = re.compile(r"cuda(:\d+)?$")
_OTHER_ACCELERATOR = re.compile(r"(mps|xpu|npu|hpu)(:\d+)?$")
_INT_RESULT_METHODS = frozenset({"dim", "ndimension", "numel", "nelement", "element_size", "get_device"})
_SPLITTING_METHODS = frozenset({"chunk", "split", "unbind"})
_IN_PLACE_ARITHMETIC = {"add_": "add", "sub_": "sub", "mul_": "mul", "div_": "div"}
_INT_OPERATORS: dict[type, Callable[[Dim, Dim], Dim | None]] = {
    cst.Add: add, cst.Subtract: sub, cst.Multiply: mul, cst.FloorDivide: floordiv,
    cst.AddAssign: add, cst.SubtractAssign: sub, cst.MultiplyAssign: mul, cst.FloorDivideAssign: floordiv,
}  # fmt: skip
_FLOAT_OPERATORS = (cst.Divide, cst.DivideAssign)
_TUPLE_RESULT = "torch.return_types"
_SNIPPET = 40


@dataclass(frozen=True)
class Finding:
    """An op that raises at runtime: the rule code, the message, and the nodes its `{KEY}`s name."""

    code: str
    message: str
    refs: dict[str, cst.CSTNode] = field(default_factory=dict)


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
        # Shape checking: off for files that resize tensors in place; findings by node id; above 0 inside
        # code that expects errors (`try:` bodies that catch them, `with pytest.raises(...)`), which records none.
        self.shapes = True
        # Inside `torch.autocast`: float results may be float16 or bfloat16, so their dtypes are not known.
        self.autocast = False
        self.findings: dict[int, Finding] = {}
        self.guarded = 0
        # What a module class of this file returns when called: the analyzer runs its `forward` on the
        # call's inputs (the call, the class, the positional arguments, the constructor's arguments).
        self.forward_output: Callable[[cst.Call, cst.ClassDef, tuple[Fact, ...], tuple | None], Fact] | None = None

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
            self.findings.pop(key, None)
            cached = self._fact(node)
            self.memo[key] = cached
        return cached

    def finding(self, node: cst.CSTNode) -> Finding | None:
        """The runtime failure of this expression (or augmented assignment), if it definitely fails."""
        if isinstance(node, cst.AugAssign):
            self.augmented(node)
        elif isinstance(node, cst.BaseExpression):
            self.fact(node)
        else:
            return None
        return self.findings.get(id(node))

    def augmented(self, node: cst.AugAssign) -> Fact:
        """The value bound by `target op= value`."""
        key = id(node)
        cached = self.memo.get(key)
        if cached is None:
            self.findings.pop(key, None)
            cached = self._augmented(node)
            self.memo[key] = cached
        return cached

    def _augmented(self, node: cst.AugAssign) -> Fact:
        target, value = self.fact(node.target), self.fact(node.value)
        operands = [target, value]
        base = self._arithmetic(operands)
        if not base.is_tensor:
            return self._number(type(node.operator), target, value) or base
        name = ops.AUGMENTED.get(type(node.operator))
        if name is None:
            return _opaque(base)
        located = [(node.target, target), (node.value, value)]
        if target.is_tensor:
            return self._shaped(base, node, lambda: ops.in_place(name, target, value), located, target)
        return self._shaped(base, node, lambda: ops.elementwise(name, operands), located, value)

    def unpacked(self, value: cst.BaseExpression, target: cst.BaseExpression, fact: Fact) -> Fact:
        """`B, C, H, W = x.shape` on a tensor of unknown shape: from here on x is `[B, C, H, W]`."""
        if fact.kind is not Kind.SIZE or fact.shape is not None or not isinstance(target, (cst.Tuple, cst.List)):
            return fact
        source: cst.BaseExpression | None = None
        if isinstance(value, cst.Attribute) and value.attr.value == "shape":
            source = value.value
        elif isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Attribute):
            source = value.func.value if value.func.attr.value == "size" else None
        key = dotted_name(source) if source is not None else None
        if key is None or not self.shapes or any(isinstance(e, cst.StarredElement) for e in target.elements):
            return fact
        owner = self.fact(source)  # type: ignore[arg-type]
        if not owner.is_tensor or owner.shape is not None:
            return fact
        names = [(dotted_name(e.value) or "?").rsplit(".", 1)[-1] for e in target.elements]
        shape = tuple(symbol(name) for name in names)
        assert self.scope is not None
        self.scope.env.bind(key, owner.but(shape=shape, shape_origin=value))
        return _size(shape)

    def named(self, fact: Fact, name: str) -> Fact:
        """An int bound to a name becomes a symbol of that name, so shapes read `[B, 3]`."""
        if fact.kind is Kind.INT and is_anonymous(fact.value):  # type: ignore[arg-type]
            return fact.but(value=symbol(name.rsplit(".", 1)[-1]))
        if fact.kind is Kind.SEQUENCE and fact.value == ops.LIST:
            return fact.but(value=ops.NAMED_LIST)
        return fact

    def _fact(self, node: cst.BaseExpression) -> Fact:
        if isinstance(node, cst.Name):
            if node.value in ("True", "False"):
                return Fact(Kind.INT, value=int(node.value == "True"), dtype="bool")
            if node.value == "None":
                return UNKNOWN
            return self.lookup(node.value)
        if isinstance(node, cst.Attribute):
            return self._attribute(node)
        if isinstance(node, cst.Call):
            return self._call(node)
        if isinstance(node, cst.Subscript):
            return self._subscript(node)
        if isinstance(node, cst.BinaryOperation):
            return self._binary(node)
        if isinstance(node, cst.UnaryOperation):
            if isinstance(node.operator, cst.Not):
                return self._flag(node.expression)
            return self._unary(node)
        if isinstance(node, cst.BooleanOperation):
            return self._flag(node)
        if isinstance(node, cst.Comparison):
            return self._comparison(node)
        if isinstance(node, cst.Integer):
            return Fact(Kind.INT, value=int(node.evaluated_value))
        if isinstance(node, cst.Float):
            return Fact(Kind.FLOAT)
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            text = string_value(node)
            if text is not None and device_of_string(text) is not Device.UNKNOWN:
                return Fact(Kind.DEVICE, device_of_string(text), device_origin=node)
            if text is not None and _OTHER_ACCELERATOR.match(text):
                return Fact(Kind.DEVICE, Device.UNKNOWN, device_origin=node)  # a device, neither cpu nor cuda
            return UNKNOWN
        if isinstance(node, cst.FormattedString):
            head = node.parts[0] if node.parts else None
            if isinstance(head, cst.FormattedStringText) and head.value.startswith("cuda"):
                return Fact(Kind.DEVICE, Device.CUDA, device_origin=node)
            return UNKNOWN
        if isinstance(node, (cst.List, cst.Tuple)):
            if any(isinstance(e, cst.StarredElement) for e in node.elements):
                return Fact(Kind.SEQUENCE)
            elements = tuple(self.fact(e.value) for e in node.elements)
            return Fact(Kind.SEQUENCE, elements=elements, value=ops.LIST if isinstance(node, cst.List) else None)
        if isinstance(node, cst.ListComp):
            return self._list_comprehension(node)
        if isinstance(node, cst.GeneratorExp):
            return UNKNOWN
        if isinstance(node, cst.IfExp):
            return self._if_exp(node)
        if isinstance(node, cst.NamedExpr):
            return self.fact(node.value)
        return UNKNOWN

    def _list_comprehension(self, node: cst.ListComp) -> Fact:
        """`[f(x) for x in xs]`: when every element is a tensor of one known shape, a list of such tensors."""
        overlay: dict[str, Fact] = {}
        comp: cst.CompFor | None = node.for_in
        while comp is not None:
            if comp.ifs or comp.asynchronous is not None:
                return Fact(Kind.SEQUENCE)
            element = self.element_of(comp.iter) if not overlay else UNKNOWN
            if isinstance(comp.target, cst.Name):
                overlay[comp.target.value] = element
            else:
                overlay.update({name: UNKNOWN for name in _target_names(comp.target)})
            comp = comp.inner_for_in
        self.overlays.append(overlay)
        try:
            element = self.fact(node.elt)
        finally:
            self.overlays.pop()
        if element.is_tensor and element.shape is not None:
            return Fact(Kind.SEQUENCE, elements=(element,), value=EACH)
        return Fact(Kind.SEQUENCE)

    # -- shapes ------------------------------------------------------------------------

    def _shaped(
        self,
        base: Fact,
        node: cst.CSTNode,
        compute: Callable[[], ops.Result],
        operands: list[tuple[cst.BaseExpression | None, Fact]],
        reference: Fact | None,
        layer: tuple[cst.BaseExpression, layers.Layer] | None = None,
        *,
        scalar: bool = False,
    ) -> Fact:
        """`base` (device and grad already decided) with the shape `compute` gives, or a finding.

        `scalar`: the operand is a 0-d reduction, whose shape no in-place resize elsewhere in the file
        can change, so it is checked even where shape checking is otherwise off."""
        if not self.shapes and not scalar:
            return _opaque(base)
        try:
            result = compute()
        except Unknown:
            return _opaque(base)
        except ShapeError as error:
            if ANONYMOUS not in error.message and not self.guarded:  # a size nothing names: no exact message
                self.findings[id(node)] = _finding(error, operands, layer)
            return _opaque(base)
        return self._result(base, result, node, reference)

    def _result(self, base: Fact, result: ops.Result, node: cst.CSTNode, reference: Fact | None) -> Fact:
        if not isinstance(result, ops.Out):
            element = base if base.is_tensor else tensor()
            items = tuple(self._result(element, r, node, reference) for r in result)
            return Fact(Kind.SEQUENCE, elements=items, qualname=_TUPLE_RESULT)
        shape, dtype, strides = result
        origin: cst.CSTNode | None = node
        if reference is not None and reference.shape is not None and reference.shape == shape:
            origin = reference.shape_origin
        if shape is None:
            origin = None
        if self.autocast and is_float(dtype):
            dtype = None
        if is_integral(dtype) and base.is_tensor:
            base = base.but(requires_grad=False)  # integer tensors (the indices of `max(x, dim)`) never require grad
        return base.but(shape=shape, dtype=dtype, strides=strides, shape_origin=origin)

    def _number(self, operator: type, left: Fact, right: Fact) -> Fact | None:
        """Python int arithmetic on dims; None when the operands are not numbers."""
        kinds = {left.kind, right.kind}
        if not kinds <= {Kind.INT, Kind.FLOAT}:
            return None
        if Kind.FLOAT in kinds or operator in _FLOAT_OPERATORS:
            return Fact(Kind.FLOAT)
        compute = _INT_OPERATORS.get(operator)
        a, b = left.value, right.value
        if compute is None or a is None or b is None:
            return Fact(Kind.INT)
        return Fact(Kind.INT, value=compute(a, b))  # type: ignore[arg-type]

    def _binary(self, node: cst.BinaryOperation) -> Fact:
        left, right = self.fact(node.left), self.fact(node.right)
        operands = [left, right]
        base = self._arithmetic(operands)
        if not base.is_tensor:
            if base.kind is Kind.SEQUENCE:
                return _concat(type(node.operator), left, right)
            return self._number(type(node.operator), left, right) or base
        located = [(node.left, left), (node.right, right)]
        reference = left if left.is_tensor else right
        if isinstance(node.operator, cst.MatrixMultiply):
            if not (left.is_tensor and right.is_tensor and left.shape is not None and right.shape is not None):
                return _opaque(base)
            return self._shaped(base, node, lambda: ops.matmul(left, right), located, None)
        name = ops.OPERATORS.get(type(node.operator))
        if name is None:
            return _opaque(base)
        return self._shaped(base, node, lambda: ops.elementwise(name, operands), located, reference)

    def _unary(self, node: cst.UnaryOperation) -> Fact:
        operand = self.fact(node.expression)
        if operand.kind is Kind.INT:
            if isinstance(node.operator, cst.Minus) and operand.value is not None:
                return Fact(Kind.INT, value=neg(operand.value))  # type: ignore[arg-type]
            if isinstance(node.operator, cst.Plus):
                return operand.but(dtype=None)
            return Fact(Kind.INT)
        if operand.kind is Kind.FLOAT:
            return operand
        base = self._arithmetic([operand])
        if not base.is_tensor:
            return base
        name = "neg" if isinstance(node.operator, cst.Minus) else "positive"
        if isinstance(node.operator, cst.BitInvert):
            if operand.dtype not in ("bool", "uint8", "int8", "int16", "int32", "int64"):
                return _opaque(base)
            name = "positive"
        args = ops.Args([(operand, node.expression)], {}, True)
        return self._shaped(base, node, lambda: ops.unary(name, args), [], operand)

    def _comparison(self, node: cst.Comparison) -> Fact:
        operands = [self.fact(node.left)] + [self.fact(c.comparator) for c in node.comparisons]
        if not any(f.is_tensor for f in operands):
            return UNKNOWN
        base = tensor(combine_devices(operands), requires_grad=False)
        name = ops.OPERATORS.get(type(node.comparisons[0].operator)) if len(node.comparisons) == 1 else None
        if name is None:
            return base
        located = [(node.left, operands[0]), (node.comparisons[0].comparator, operands[1])]
        return self._shaped(base, node, lambda: ops.elementwise(name, operands), located, None)

    def _args(self, node: cst.Call, receiver: tuple[Fact, cst.BaseExpression] | None = None) -> ops.Args:
        positional: list[ops.Located] = [receiver] if receiver is not None else []
        keywords: dict[str, ops.Located] = {}
        complete = True
        for arg in node.args:
            if arg.star == "**":
                complete = False
                continue
            fact = self.fact(arg.value)
            if arg.keyword is not None:
                keywords[arg.keyword.value] = (fact, arg.value)
            elif not complete:
                continue
            elif arg.star == "*":
                elements = ops.elements_of(fact)
                if elements is None:
                    complete = False
                else:
                    positional.extend((e, None) for e in elements)
            else:
                positional.append((fact, arg.value))
        return ops.Args(positional, keywords, complete)

    @staticmethod
    def _located(node: cst.Call, args: ops.Args) -> list[tuple[cst.BaseExpression | None, Fact]]:
        """The tensor arguments a message should describe (a list's tensors for cat and stack)."""
        found: list[tuple[cst.BaseExpression | None, Fact]] = []
        for fact, value in [*args.positional, *args.keywords.values()]:
            if fact.is_tensor:
                found.append((value, fact))
            elif fact.kind is Kind.SEQUENCE and isinstance(value, (cst.List, cst.Tuple)) and fact.elements:
                found.extend((e.value, f) for e, f in zip(value.elements, fact.elements, strict=True) if f.is_tensor)
        return found

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
                return self._tensor_attribute(base.but(requires_grad=grad), attr, node)
            if attr == "shape":
                return _size(base.shape)
            if attr == "ndim":
                return Fact(Kind.INT, value=len(base.shape) if base.shape is not None else symbol())
            if attr == "device":
                return Fact(Kind.DEVICE, base.device, device_origin=base.device_origin)
            if attr == "dtype" and base.dtype is not None:
                return Fact(Kind.IMPORT, qualname=f"torch.{base.dtype}")
        if base.kind is Kind.SEQUENCE and base.qualname == _TUPLE_RESULT and base.elements is not None:
            position = {"values": 0, "indices": 1}.get(attr)
            if position is not None and len(base.elements) == 2:
                return base.elements[position]
        return UNKNOWN

    def _tensor_attribute(self, base: Fact, attr: str, node: cst.Attribute) -> Fact:
        shape = base.shape
        if attr in ("data", "grad"):
            return base
        if shape is None or attr in ("real", "imag"):
            return _opaque(base)
        x = base
        if not shape:
            return base
        if attr in ("T", "H"):
            order = tuple(range(len(shape) - 1, -1, -1))
            return self._shaped(base, node, lambda: ops.permute(x, order), [], x)
        if len(shape) == 1:
            message = f"tensor.{attr} is only supported on matrices or batches of matrices. Got {len(shape)}-D tensor."
            if not self.guarded:
                self.findings[id(node)] = Finding("TL505", message)
            return _opaque(base)
        return self._shaped(base, node, lambda: ops.transpose(x, -2, -1), [], x)

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
            return self._index(base, node)
        if base.kind is Kind.SIZE or (base.kind is Kind.SEQUENCE and base.elements is not None):
            return self._sequence_item(base, node)
        return UNKNOWN

    def _sequence_item(self, base: Fact, node: cst.Subscript) -> Fact:
        """`x.shape[0]`, `x.shape[1:]`, `pair[1]`."""
        single = node.slice[0].slice if len(node.slice) == 1 else None
        elements = base.elements
        named = base.value == ops.NAMED_LIST  # its items may have been replaced: their shapes are not trusted
        if base.value == EACH and elements:  # every item is like the first
            return elements[0] if isinstance(single, cst.Index) else base if isinstance(single, cst.Slice) else UNKNOWN
        if isinstance(single, cst.Index):
            position = self.fact(single.value).value if self.fact(single.value).kind is Kind.INT else None
            if elements is not None and isinstance(position, int) and -len(elements) <= position < len(elements):
                return _opaque(elements[position]) if named else elements[position]
            return Fact(Kind.INT, value=symbol()) if base.kind is Kind.SIZE else UNKNOWN
        if isinstance(single, cst.Slice) and elements is not None and not named:
            bounds = [self._slice_bound(b) for b in (single.lower, single.upper, single.step)]
            if all(b is None or isinstance(b, int) for b in bounds) and bounds[2] != 0:
                picked = elements[slice(*bounds)]  # type: ignore[misc]
                if base.kind is Kind.SIZE:
                    return _size(tuple(e.value for e in picked))
                return Fact(Kind.SEQUENCE, elements=picked)
        return Fact(Kind.SIZE) if base.kind is Kind.SIZE else UNKNOWN

    def _slice_bound(self, node: cst.BaseExpression | None) -> object:
        if node is None or (isinstance(node, cst.Name) and node.value == "None"):
            return None
        fact = self.fact(node)
        return fact.value if fact.kind is Kind.INT and fact.dtype != "bool" and fact.value is not None else Unknown

    def _index(self, base: Fact, node: cst.Subscript) -> Fact:
        result = base
        scalar = base.shape == ()
        if base.shape is None or not (self.shapes or scalar):
            return _opaque(result)
        elements = list(node.slice)
        in_tuple = len(elements) > 1 or elements[0].comma is not cst.MaybeSentinel.DEFAULT
        parts: list[cst.BaseSlice] = [e.slice for e in elements]
        if not in_tuple and isinstance(elements[0].slice, cst.Index):
            value = elements[0].slice.value
            if isinstance(value, cst.Tuple) and not any(isinstance(e, cst.StarredElement) for e in value.elements):
                parts, in_tuple = [cst.Index(e.value) for e in value.elements], True
        return self._shaped(
            result,
            node,
            lambda: sources.index(base, self._items(parts, in_tuple)),
            [(node.value, base)],
            base,
            scalar=scalar,
        )

    def _items(self, parts: list[cst.BaseSlice], in_tuple: bool) -> list[sources.Item]:
        items: list[sources.Item] = []
        for part in parts:
            if isinstance(part, cst.Slice):
                bounds = [self._slice_bound(b) for b in (part.lower, part.upper, part.step)]
                if any(b is Unknown for b in bounds):
                    raise Unknown
                items.append(("slice", *bounds))
            elif isinstance(part, cst.Index) and part.star is None:
                items.append(sources.index_item(self.fact(part.value), part.value, in_tuple=in_tuple))
            else:
                raise Unknown
        return items

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
                args = self._args(node)
                init = _call_of(args) if args.complete else None  # for analysing __init__ and forward with them
                return Fact(
                    Kind.MODULE, Device.CPU, requires_grad=True, qualname=callee.qualname, node=callee.node, value=init
                )
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
        args = positional_args(node)
        first = self.fact(args[0].value) if len(args) == 1 and len(node.args) == 1 else UNKNOWN
        if name == "len":
            if first.is_tensor and first.shape:
                return Fact(Kind.INT, value=first.shape[0])
            if ops.elements_of(first) is not None:
                return Fact(Kind.INT, value=len(first.elements))  # type: ignore[arg-type]
            return Fact(Kind.INT, value=symbol())
        if name == "int":
            return first if first.kind is Kind.INT and first.dtype is None else Fact(Kind.INT, value=symbol())
        if name == "round":
            return Fact(Kind.INT, value=symbol()) if len(node.args) == 1 else Fact(Kind.FLOAT)
        if name == "abs":
            return Fact(Kind.INT)
        if name == "float":
            return Fact(Kind.FLOAT)
        if name in ("list", "tuple"):
            elements = ops.elements_of(first)
            if elements is not None:
                return Fact(Kind.SEQUENCE, elements=elements, value=ops.LIST if name == "list" else None)
            return Fact(Kind.SEQUENCE)
        return UNKNOWN

    def _module_output(self, module: Fact, node: cst.Call) -> Fact:
        layer = (module.qualname or "").rsplit(".", 1)[-1]
        spec = module.value if isinstance(module.value, layers.Layer) else None
        assert self.scope is not None
        grad = False if self.scope.no_grad else module.requires_grad
        args = self._args(node) if spec is not None or module.node is not None else None
        if spec is not None and spec.kind in layers.PARAMETERLESS and args is not None and args.positional:
            grad = False if self.scope.no_grad else args.positional[0][0].requires_grad
        base = tensor(module.device, module.device_origin, grad)
        if isinstance(module.node, cst.ClassDef):
            forward = returns.forward_of(module.node)
            if forward is not None and returns.returns_elsewhere(forward):
                return UNKNOWN  # `return out.cpu()`: not on the module's device
        if isinstance(module.node, cst.ClassDef) and args is not None:
            output = self._forward(node, module.node, args, module.value if isinstance(module.value, tuple) else None)
            if output.is_tensor or output.kind is Kind.SEQUENCE:
                return _called_output(output, base, node)
        if isinstance(module.node, cst.ClassDef):
            forward = returns.forward_of(module.node)
            if forward is not None and returns.may_return_container(forward):
                return UNKNOWN  # a list of feature maps is not one tensor on the module's device
        if spec is None or args is None:
            return UNKNOWN if _returns_tuple(layer, spec) else base
        func = node.func
        target = func.value if isinstance(func, cst.Attribute) and func.attr.value == "forward" else func
        reference = args.positional[0][0] if spec.kind in layers.PARAMETERLESS and args.positional else None
        located = self._located(node, args)
        result = self._shaped(base, node, lambda: layers.apply(spec, args), located, reference, (target, spec))
        if _returns_tuple(layer, spec) and result.kind is not Kind.SEQUENCE:
            return UNKNOWN
        if layers.reduced_loss(spec):
            return self._scalar(result, node)
        return result

    def _forward(self, node: cst.Call, cls: cst.ClassDef, args: ops.Args, init: tuple | None) -> Fact:
        """The output of a module class's `forward` on inputs of known shape (analysed again with them)."""
        facts = tuple(f for f, _ in args.positional)
        if args.keywords or not args.complete or not any(f.is_tensor and f.shape is not None for f in facts):
            return UNKNOWN
        return self.forward_output(node, cls, facts, init) if self.forward_output is not None else UNKNOWN

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
        func = node.func
        assert isinstance(func, cst.Attribute)
        if method in api.DEVICE_METHODS:
            device, origin = self._moved_device(receiver, method, node)
            base = receiver.but(device=device, device_origin=origin)
            return self._method_shape(base, receiver, method, node)
        if method == "detach":
            return receiver.but(requires_grad=False)
        if method == "requires_grad_":
            args = positional_args(node)
            flag = keyword_arg(node, "requires_grad")
            value = flag.value if flag is not None else (args[0].value if args else None)
            return receiver.but(requires_grad=value is None or is_true(value))
        if method == "numpy":
            return Fact(Kind.NDARRAY)
        if method in ("size", "dim", "ndimension", "numel", "nelement"):
            return self._size_method(receiver, method, node)
        if method in _INT_RESULT_METHODS:
            return Fact(Kind.INT)
        if method in _SPLITTING_METHODS:
            result = self._method_shape(receiver, receiver, method, node)
            return result if result.kind is Kind.SEQUENCE else UNKNOWN
        if method in api.NON_TENSOR_METHODS:
            return UNKNOWN
        if method in _IN_PLACE_ARITHMETIC and len(node.args) == 1 and node.args[0].keyword is None:
            other_node = node.args[0].value
            other = self.fact(other_node)
            name = _IN_PLACE_ARITHMETIC[method]
            located = [(func.value, receiver), (other_node, other)]
            return self._shaped(receiver, node, lambda: ops.in_place(name, receiver, other), located, receiver)
        if method.endswith("_") and not method.startswith("_"):
            return receiver
        assert self.scope is not None
        grad = False if self.scope.no_grad else receiver.requires_grad
        result = self._method_shape(receiver.but(requires_grad=grad), receiver, method, node)
        return self._scalar(result, node) if method in _FULL_REDUCTIONS and not node.args else result

    def _method_shape(self, base: Fact, receiver: Fact, method: str, node: cst.Call) -> Fact:
        func = node.func
        assert isinstance(func, cst.Attribute)
        args = self._args(node, (receiver, func.value))
        located = self._located(node, args)
        return self._shaped(base, node, lambda: ops.tensor_method(method, args), located, receiver)

    def _size_method(self, receiver: Fact, method: str, node: cst.Call) -> Fact:
        shape = receiver.shape
        if method == "size" and not node.args:
            return _size(shape)
        if shape is None:
            return Fact(Kind.INT, value=symbol() if method != "size" or len(node.args) == 1 else None)
        if method in ("dim", "ndimension"):
            return Fact(Kind.INT, value=len(shape))
        if method in ("numel", "nelement"):
            return Fact(Kind.INT, value=product(shape))
        base = Fact(Kind.INT)
        func = node.func
        assert isinstance(func, cst.Attribute)
        args = self._args(node, (receiver, func.value))

        def pick() -> ops.Result:
            d = ops.wrap(args.dim(1, "dim"), len(shape))
            return ops.Out((shape[d],) if shape else None, None)

        if not self.shapes or len(node.args) != 1:
            return base
        result = self._shaped(base, node, pick, [(func.value, receiver)], None)
        return Fact(Kind.INT, value=result.shape[0] if result.shape else None)

    def _torch_call(self, qualname: str, node: cst.Call) -> Fact:
        if qualname in api.LEGACY_CONSTRUCTORS:
            device = Device.CUDA if qualname.startswith("torch.cuda.") else self._factory_device(node)
            base = tensor(device, node, False)
            name = qualname.rsplit(".", 1)[-1]
            args = self._args(node)
            return self._shaped(base, node, lambda: sources.legacy(name, args), [], None)
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
            result = tensor(base.device if base.is_tensor else Device.UNKNOWN, base.device_origin, grad)
            if base.is_tensor:
                origin = base.shape_origin
                return result.but(shape=base.shape, dtype=base.dtype, strides=base.strides, shape_origin=origin)
            return result
        if qualname == "torch.Size":
            args = positional_args(node)
            if len(node.args) == 1 and args:
                sequence = self.fact(args[0].value)
                elements = ops.elements_of(sequence)
                if elements is not None:
                    values = tuple(e.value for e in elements)
                    if all(v is not None and e.dtype != "bool" for v, e in zip(values, elements, strict=True)):
                        return _size(values)
            return Fact(Kind.SIZE)
        module, _, name = qualname.rpartition(".")
        if module == "torch" and name in api.FACTORIES:
            return self._factory(name, node)
        if module == "torch.nn.functional":
            return self._functional(name, node)
        if module == "torch" and (name in api.TENSOR_OPS or name in ops.METHODS or name in ops.FUNCTIONS):
            base = self._tensor_op(node)
            args = self._args(node)
            reference = args.positional[0][0] if args.positional else None
            located = self._located(node, args)
            result = self._shaped(base, node, lambda: ops.torch_function(name, args), located, reference)
            if name in _FULL_REDUCTIONS and len(node.args) == 1 and node.args[0].keyword is None:
                if reference is not None and reference.is_tensor:
                    return self._scalar(result, node)
            if name not in api.TENSOR_OPS and result.shape is None and result.kind is not Kind.SEQUENCE:
                return UNKNOWN
            return result
        if module.startswith("torch.nn") and name[:1].isupper():
            device_kw = keyword_arg(node, "device")
            device = self.device_of(device_kw.value)[0] if device_kw else Device.CPU
            spec = layers.build(name, self._args(node), node) if module.startswith("torch.nn") else None
            return Fact(Kind.MODULE, device, requires_grad=True, qualname=qualname, device_origin=node, value=spec)
        if module.startswith("torch.optim") and "lr_scheduler" not in module and name[:1].isupper():
            return Fact(Kind.OPTIMIZER, qualname=qualname)
        if qualname in api.LIBRARY_TENSORS:
            return tensor(Device.CPU, node, False)
        if api.is_model_constructor(qualname):
            return Fact(Kind.MODULE, Device.CPU, requires_grad=True, qualname=qualname, device_origin=node)
        if module == "numpy" and name in api.NUMPY_ARRAY_FUNCTIONS:
            return Fact(Kind.NDARRAY)
        if module == "numpy.random" and name in api.NUMPY_RANDOM_ARRAYS and _sized(name, node):
            return Fact(Kind.NDARRAY)
        if qualname == api.CUDA_AVAILABLE:
            return Fact(Kind.DEVICE_FLAG)
        return UNKNOWN

    def _functional(self, name: str, node: cst.Call) -> Fact:
        base = self._tensor_op(node)
        args = self._args(node)
        located = self._located(node, args)
        reference = args.positional[0][0] if args.positional else None

        def compute() -> ops.Result:
            try:
                return layers.functional(name, args)
            except Unknown:
                if name in ops.METHODS:
                    return ops.tensor_method(name, args)
                raise

        result = self._shaped(base, node, compute, located, reference)
        return self._scalar(result, node) if layers.reduced_functional_loss(name, args) else result

    def _scalar(self, result: Fact, node: cst.CSTNode) -> Fact:
        """A reduced loss or a full reduction: 0-d whatever the input's shape, which may be unknown (and
        whatever in-place resizes the file makes elsewhere, so even where shape checking is off)."""
        if not result.is_tensor or result.shape is not None:
            return result
        return result.but(shape=(), strides=(), shape_origin=node)

    def _factory_device(self, node: cst.Call) -> Device:
        device_kw = keyword_arg(node, "device")
        if device_kw is not None:
            return self.device_of(device_kw.value)[0]
        return self.default_device

    def _factory(self, name: str, node: cst.Call) -> Fact:
        base = self._factory_base(name, node)
        args = self._args(node)
        reference = args.positional[0][0] if name in api.LIKE_FACTORIES and args.positional else None
        return self._shaped(base, node, lambda: sources.factory(name, args), [], reference)

    def _factory_base(self, name: str, node: cst.Call) -> Fact:
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
            if fact.shape:
                strides = fact.strides[1:] if fact.strides is not None else None
                return fact.but(shape=fact.shape[1:], strides=strides, shape_origin=None)
            return _opaque(fact)
        if fact.kind is Kind.SEQUENCE and fact.elements:
            result = fact.elements[0]
            for element in fact.elements[1:]:
                result = join(result, element)
            return _opaque(result) if fact.value == ops.NAMED_LIST else result
        if fact.kind is Kind.SIZE:
            return Fact(Kind.INT)
        return UNKNOWN


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for e in target.elements for name in _target_names(e.value)]
    return []


def _call_of(args: ops.Args) -> tuple:
    """A call's arguments as (positional facts, (name, fact) pairs)."""
    return (tuple(f for f, _ in args.positional), tuple(sorted((k, f) for k, (f, _) in args.keywords.items())))


def _opaque(fact: Fact) -> Fact:
    """The fact with nothing known about its shape."""
    if fact.shape is None and fact.dtype is None and fact.strides is None:
        return fact
    return fact.but(shape=None, dtype=None, strides=None, shape_origin=None)


def _size(shape: tuple | None) -> Fact:
    if shape is None:
        return Fact(Kind.SIZE)
    return Fact(Kind.SIZE, shape=shape, elements=tuple(Fact(Kind.INT, value=d) for d in shape))


def _concat(operator: type, left: Fact, right: Fact) -> Fact:
    """`x.shape[:2] + (n,)`, `[1] * 3`: sequences with known elements."""
    mutable = ops.LIST if ops.LIST in (left.value, right.value) or ops.NAMED_LIST in (left.value, right.value) else None
    first, second = ops.elements_of(left), ops.elements_of(right)
    if operator is cst.Add and first is not None and second is not None:
        elements = first + second
        if left.kind is Kind.SIZE and all(e.kind is Kind.INT and e.value is not None for e in elements):
            return _size(tuple(e.value for e in elements))
        return Fact(Kind.SEQUENCE, elements=elements, value=mutable)
    if operator is cst.Multiply:
        sequence, count = (first, right) if left.kind in (Kind.SEQUENCE, Kind.SIZE) else (second, left)
        times = count.value if count.kind is Kind.INT and count.dtype is None else None
        if sequence is not None and isinstance(times, int) and 0 <= times <= 16:
            return Fact(Kind.SEQUENCE, elements=sequence * times, value=mutable)
    return Fact(Kind.SEQUENCE)


def _snippet(node: cst.CSTNode) -> str:
    text = " ".join(cst.Module([]).code_for_node(node).split())
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 3] + "..."


def _label(node: cst.CSTNode) -> str:
    """How a message names the op that made a shape: `torch.flatten`, `x.view`, `a @ b`."""
    if isinstance(node, cst.Call):
        return _snippet(node.func)
    return _snippet(node)


def _finding(
    error: ShapeError,
    operands: list[tuple[cst.BaseExpression | None, Fact]],
    layer: tuple[cst.BaseExpression, layers.Layer] | None,
) -> Finding:
    parts: list[str] = []
    refs: dict[str, cst.CSTNode] = {}
    for index, (node, fact) in enumerate(operands):
        if node is None or not fact.is_tensor or fact.shape is None:
            continue
        part = f"{_snippet(node)}: {fmt_shape(fact.shape)}"
        origin = fact.shape_origin
        if origin is not None and origin is not node:
            key = f"s{index}"
            refs[key] = origin
            part += f" from {_label(origin)} at line {{{key}}}"
        parts.append(part)
    if layer is not None and layer[1].node is not None:
        refs["layer"] = layer[1].node
        expects = layers.expectation(layer[1])
        built = _snippet(layer[1].node) + (f" {expects}" if expects else "")
        parts.append(f"{_snippet(layer[0])}: {built}, line {{layer}}")
    # torch's sentence, then where each shape came from: "…but got: [8, 12]; batch: [8, 10, 64] from …"
    message = error.message.removesuffix(".") + "; " + "; ".join(parts) if parts else error.message
    return Finding(error.code, message, refs)


def _sized(name: str, node: cst.Call) -> bool:
    """Does this numpy.random call return an array (a size given), not one Python float?"""
    if keyword_arg(node, "size") is not None:
        return True
    count = len(positional_args(node))
    return count >= 3 if name in ("normal", "uniform", "randint") else count >= 1


# Reductions that, called with no argument, reduce every dimension: `loss.mean()`, `torch.sum(x)`.
_FULL_REDUCTIONS = frozenset({"sum", "mean", "nansum", "nanmean", "prod", "std", "var", "norm", "max", "min"})


def _called_output(output: Fact, base: Fact, node: cst.Call) -> Fact:
    """What forward returned, as the call's value: its tensors' shapes and dtypes on the call's device and
    grad (`base`), through tuples and lists; anything else unknown."""
    if output.is_tensor:
        return base.but(shape=output.shape, dtype=output.dtype, strides=output.strides, shape_origin=node)
    if output.kind is Kind.SEQUENCE and output.elements is not None:
        return output.but(elements=tuple(_called_output(e, base, node) for e in output.elements))
    return UNKNOWN


def _returns_tuple(layer: str, spec: layers.Layer | None) -> bool:
    if layer in api.TUPLE_RETURNING_LAYERS:
        return True
    if "MaxPool" not in layer:
        return False
    if spec is None:
        return True  # return_indices not known
    try:
        return spec.get("return_indices", False) is not False
    except Unknown:
        return True
