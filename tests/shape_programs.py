"""Random straight-line torch programs, generated while they run, and torchlint's verdict on them.

Each program is built one line at a time: a line is chosen from the templates below with
arguments derived from the *real* shapes of the tensors so far (mostly compatible, sometimes
not), and executed at once; the first line that raises ends the program.  `check` then
compares torchlint with what torch did:

- where torch raised, torchlint reports nothing, or exactly the line's shape code at that
  line, with torch's own message in its message;
- everywhere else torchlint reports nothing;
- every shape (and dtype) torchlint inferred for an assignment equals the real one, and so do its
  strides (those of dims of size 2 or more) and contiguity where it infers them;
- a TL509 (a loss that broadcasts) only where torch warned of the loss's sizes.

Used by tests/test_shape_differential.py (with hypothesis choices) and by
benchmarks/shape_differential.py (with a seeded `random.Random`).
"""

from __future__ import annotations

import random
import re
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import torch
import torch.nn as nn
import torch.nn.functional as F

from torchlint.api import TensorBinding, inferred_facts, lint
from torchlint.infer.shapes import is_contiguous
from torchlint.rules import ALL_RULES

T = TypeVar("T")
SHAPE_RULES = [rule for rule in ALL_RULES if rule.code.startswith("TL5")]  # errors, and TL509's warning
_SIZE_WARNING = "that is different to the input size"  # what torch warns where a loss broadcasts
HEADER = ["import torch", "import torch.nn as nn", "import torch.nn.functional as F"]


class Choices(Protocol):
    def integer(self, low: int, high: int) -> int: ...

    def pick(self, options: Sequence[T]) -> T: ...

    def chance(self, probability: float) -> bool: ...


@contextmanager
def _uninitialised_memory_filled() -> Iterator[None]:
    """`torch.empty_like` and `torch.Tensor(2, 3)` hold whatever memory held; a mask on them would give
    a program that differs from run to run (and hypothesis, replaying choices, a different program).
    Deterministic mode fills such memory with NaN or the largest integer instead."""
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before)


class RandomChoices:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return self.random.randint(low, high)

    def pick(self, options: Sequence[T]) -> T:
        return options[self.random.randrange(len(options))]

    def chance(self, probability: float) -> bool:
        return self.random.random() < probability


@dataclass
class Program:
    lines: list[str] = field(default_factory=lambda: list(HEADER))
    ops: list[str] = field(default_factory=list)  # the template of each generated line
    failure: tuple[int, str, str, frozenset[str]] | None = None  # line, exception type, message, codes allowed
    warned: set[int] = field(default_factory=set)  # lines where torch warned of a loss's broadcast sizes
    namespace: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return "\n".join(self.lines) + "\n"


class _Builder:
    def __init__(self, choices: Choices) -> None:
        self.c = choices
        self.program = Program()
        self.namespace: dict[str, Any] = {"torch": torch, "nn": nn, "F": F}
        self.program.namespace = self.namespace
        self.counter = 0
        torch.manual_seed(0)  # what a line does may depend on values (masks): the same choices, the same program
        # Half the programs aim to run through (arguments nearly always fit), half to fail somewhere.
        self.careful = choices.chance(0.5)

    # -- plumbing --------------------------------------------------------------------

    def fresh(self, prefix: str = "v") -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def run(self, op: str, line: str, codes: frozenset[str] | set[str] = frozenset()) -> bool:
        """Execute one line (or block); False (and the program ends) when it raises."""
        first = len(self.program.lines) + 1
        for physical in line.split("\n"):
            self.program.lines.append(physical)
            self.program.ops.append(op)
        code = compile("\n" * (first - 1) + line, "<program>", "exec")
        try:
            with warnings.catch_warnings(record=True) as caught, _uninitialised_memory_filled():
                warnings.simplefilter("always")
                try:
                    exec(code, self.namespace)
                finally:
                    if any(_SIZE_WARNING in str(w.message) for w in caught):
                        self.program.warned.update(range(first, len(self.program.lines) + 1))
        except Exception as error:
            message = str(error).split("\n", 1)[0]
            # The failing line is the deepest one of the program: inside `forward` for a module's call.
            where = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == "<program>"]
            self.program.failure = (where[-1], type(error).__name__, message, frozenset(codes))
            return False
        return True

    def tensors(self, predicate: Callable[[torch.Tensor], bool] = lambda t: True) -> list[str]:
        return [
            name
            for name, value in self.namespace.items()
            if isinstance(value, torch.Tensor) and name[0] == "v" and predicate(value)
        ]

    def tensor(self, predicate: Callable[[torch.Tensor], bool] = lambda t: True) -> str | None:
        names = self.tensors(predicate)
        return self.c.pick(names) if names else None

    def operand_of(self, ranks: Sequence[int]) -> str | None:
        """A float32 tensor; in careful programs one of a rank in `ranks`, made if there is none."""
        fits = self.tensors(lambda t: t.dtype == torch.float32 and t.dim() in ranks and 0 not in t.shape)
        if fits and (self.careful or self.c.chance(0.7)):
            return self.c.pick(fits)
        if self.careful:
            name = self.fresh()
            shape = [self.c.integer(2, 6) for _ in range(self.c.pick(list(ranks)))]
            self.run("randn", f"{name} = torch.randn({self.dims_text(shape)})")
            return name
        return self.tensor(lambda t: t.dtype == torch.float32 and t.dim() >= 1)

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self.namespace[name].shape)

    def near(self, value: int, probability: float = 0.8) -> int:
        """Usually `value`, sometimes another small size."""
        if self.careful:
            probability = 1 - (1 - probability) / 8
        return value if self.c.chance(probability) else self.c.integer(1, 6)

    def dim_arg(self, rank: int, probability: float = 0.85) -> int:
        """A dim in range for `rank` dims (negative sometimes), or, rarely, one that is not."""
        n = max(rank, 1)
        if self.careful:
            probability = 1 - (1 - probability) / 8
        if self.c.chance(probability):
            d = self.c.integer(0, n - 1)
            return d - n if self.c.chance(0.3) else d
        return self.c.pick([n, n + 1, -n - 1])

    def dims_text(self, dims: Sequence[int]) -> str:
        """Sizes as call arguments: `2, 3`, or `()` for none."""
        return ", ".join(str(d) for d in dims) if dims else "()"

    def tuple_text(self, dims: Sequence[int]) -> str:
        return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"

    def random_shape(self, rank: int | None = None) -> tuple[int, ...]:
        rank = self.c.integer(0, 4) if rank is None else rank
        return tuple(0 if self.c.chance(0.02) else self.c.integer(1, 5) for _ in range(rank))

    # -- sources -----------------------------------------------------------------------

    def source(self) -> bool:
        name = self.fresh()
        kind = self.c.pick(
            ["randn", "zeros", "ones", "rand", "full", "arange", "arange3", "arangef", "linspace", "eye", "randint",
             "tensor", "legacy", "legacy_sizes", "new_zeros", "like", "sized"]
        )  # fmt: skip
        shape = self.random_shape()
        dims = self.dims_text(shape)
        if kind == "randn":
            line = f"{name} = torch.randn({dims})"
        elif kind == "zeros":
            line = f"{name} = torch.zeros({self.tuple_text(shape)})"
        elif kind == "ones":
            line = f"{name} = torch.ones({list(shape)})"
        elif kind == "rand":
            line = f"{name} = torch.rand({dims}, dtype=torch.float64)"
        elif kind == "full":
            fill = self.c.pick(["2.5", "3", "True"])
            line = f"{name} = torch.full({self.tuple_text(shape)}, {fill})"
        elif kind == "arange":
            line = f"{name} = torch.arange({self.c.integer(1, 12)})"
        elif kind == "arange3":
            start, stop, step = self.c.integer(-3, 3), self.c.integer(4, 12), self.c.integer(1, 3)
            line = f"{name} = torch.arange({start}, {stop}, {step})"
        elif kind == "arangef":
            line = f"{name} = torch.arange(0.0, {self.c.integer(1, 3)}.0, 0.25)"
        elif kind == "linspace":
            line = f"{name} = torch.linspace(0, 1, {self.c.integer(1, 8)})"
        elif kind == "eye":
            n, m = self.c.integer(1, 5), self.c.integer(1, 5)
            line = f"{name} = torch.eye({n}, {m})" if self.c.chance(0.5) else f"{name} = torch.eye({n})"
        elif kind == "randint":
            line = f"{name} = torch.randint(0, 5, {self.tuple_text(shape)})"
        elif kind in ("tensor", "legacy"):
            rows, cols = self.c.integer(1, 3), self.c.integer(1, 4)
            value = self.c.pick(["1", "2.5", "True"])
            inner = "[" + ", ".join([value] * cols) + "]"
            data = "[" + ", ".join([inner] * rows) + "]" if self.c.chance(0.6) else inner
            line = f"{name} = torch.{'tensor' if kind == 'tensor' else 'Tensor'}({data})"
        elif kind == "legacy_sizes":
            line = f"{name} = torch.Tensor({dims or '0'})"
        elif kind == "new_zeros":
            base = self.tensor()
            if base is None:
                return self.run("randn", f"{name} = torch.randn({dims})")
            line = f"{name} = {base}.new_zeros({self.tuple_text(shape)})"
        elif kind == "like":
            base = self.tensor()
            if base is None:
                return self.run("randn", f"{name} = torch.randn({dims})")
            line = f"{name} = torch.{self.c.pick(['zeros_like', 'ones_like', 'empty_like'])}({base})"
        else:
            base = self.tensor(lambda t: t.dim() > 0)
            if base is None:
                return self.run("randn", f"{name} = torch.randn({dims})")
            size = self.fresh("n")
            index = self.dim_arg(self.namespace[base].dim(), 0.9)
            how = f"{base}.shape[{index}]" if self.c.chance(0.5) else f"{base}.size({index})"
            if not self.run("size", f"{size} = {how}", {"TL505"}):
                return False
            line = f"{name} = torch.randn({size}, {self.c.integer(1, 4)})"
        return self.run(kind, line)

    # -- elementwise ---------------------------------------------------------------------

    def compatible_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """A shape that usually broadcasts with `shape`."""
        drop = self.c.integer(0, len(shape))
        result = [1 if self.c.chance(0.3) else d for d in shape[drop:]]
        if self.c.chance(0.2):
            result = [self.near(d, 0.5) for d in result]
        if self.c.chance(0.15):
            result = [self.c.integer(1, 3), *result]
        return tuple(result)

    def operand(self, shape: tuple[int, ...]) -> str:
        other = self.tensor(lambda t: tuple(t.shape) != shape and t.dtype == torch.float32)
        if other is not None and self.c.chance(0.3):
            return other
        return f"torch.randn({self.dims_text(self.compatible_shape(shape))})"

    def elementwise(self) -> bool:
        a = self.tensor()
        if a is None:
            return self.source()
        shape = self.shape(a)
        name = self.fresh()
        b = self.operand(shape)
        form = self.c.pick(["+", "-", "*", "/", ">", "==", "add", "maximum", "scalar", "rscalar", "where", "iadd"])
        if form in ("+", "-", "*", "/", ">", "=="):
            line = f"{name} = {a} {form} {b}"
        elif form in ("add", "maximum"):
            line = f"{name} = torch.{form}({a}, {b})"
        elif form == "scalar":
            line = f"{name} = {a} * {self.c.pick(['2', '0.5', '-1'])}"
        elif form == "rscalar":
            line = f"{name} = {self.c.pick(['1', '2.5'])} - {a}"
        elif form == "where":
            line = f"{name} = torch.where({a} > 0, {a}, {b})"
        else:
            if not self.run("copy", f"{name} = {a}.clone()"):
                return False
            return self.run("iadd", f"{name} += {b}", {"TL504"})
        return self.run(f"elementwise{form}", line, {"TL504"})

    # -- matrix products -----------------------------------------------------------------

    def matmul(self) -> bool:
        form = self.c.pick(["@", "matmul", "mm", "bmm", "mv", "dot", "outer", "einsum", "batched"])
        ranks = {"mm": (2,), "bmm": (3,), "mv": (2,), "dot": (1,), "outer": (1,), "batched": (3, 4)}
        a = self.operand_of(ranks.get(form, (1, 2, 3)))
        if a is None:
            return self.source()
        shape = self.shape(a)
        name = self.fresh()
        k = self.near(shape[-1])
        if form in ("@", "matmul"):
            rank = self.c.integer(1, 3)
            other = (k,) if rank == 1 else (*self.random_shape(rank - 2), k, self.c.integer(1, 4))
            b = f"torch.randn({self.dims_text(other)})"
            line = f"{name} = {a} @ {b}" if form == "@" else f"{name} = torch.matmul({a}, {b})"
        elif form == "batched":
            other = (*[1 if self.c.chance(0.3) else self.near(d) for d in shape[:-2]], k, 2)
            line = f"{name} = {a} @ torch.randn({self.dims_text(other)})"
        elif form == "mm":
            line = f"{name} = {a}.mm(torch.randn({k}, {self.c.integer(1, 4)}))"
        elif form == "bmm":
            batch = self.near(shape[0]) if shape else 2
            line = f"{name} = torch.bmm({a}, torch.randn({batch}, {k}, 3))"
        elif form == "mv":
            line = f"{name} = {a}.mv(torch.randn({k}))"
        elif form == "dot":
            line = f"{name} = torch.dot({a}, torch.randn({k}))"
        elif form == "outer":
            line = f"{name} = torch.outer({a}, torch.randn({self.c.integer(1, 4)}))"
        else:
            letters = "ijkl"[: len(shape)]
            equation = f"{letters},{letters[-1]}z->{letters[:-1]}z"
            line = f"{name} = torch.einsum('{equation}', {a}, torch.randn({k}, 3))"
        return self.run(f"matmul{form}", line, {"TL501"})

    # -- reshaping -----------------------------------------------------------------------

    def factorization(self, numel: int) -> list[int]:
        dims: list[int] = []
        rest = numel
        while rest > 1 and len(dims) < 3:
            divisors = [d for d in range(2, rest + 1) if rest % d == 0]
            d = self.c.pick(divisors)
            dims.append(d)
            rest //= d
        if rest != 1 or not dims:
            dims.append(rest)
        return dims

    def reshape(self) -> bool:
        a = self.tensor()
        if a is None:
            return self.source()
        x = self.namespace[a]
        shape, numel = self.shape(a), x.numel()
        name = self.fresh()
        form = self.c.pick(["reshape", "view", "flatten", "flatten2", "tflatten", "unflatten", "view_as", "ravel"])
        if form in ("reshape", "view"):
            dims = self.factorization(numel) if numel else [0, self.c.integer(1, 3)]
            if self.c.chance(0.25):
                dims[self.c.integer(0, len(dims) - 1)] = -1
            if self.c.chance(0.15):
                dims = [self.near(d, 0.3) for d in dims]
            if self.c.chance(0.05):
                dims = [-1, -1]
            line = f"{name} = {a}.{form}({self.dims_text(dims)})"
        elif form == "flatten":
            line = f"{name} = {a}.flatten()"
        elif form == "flatten2":
            start = self.dim_arg(len(shape))
            line = f"{name} = {a}.flatten({start}, {self.dim_arg(len(shape))})"
        elif form == "tflatten":
            line = f"{name} = torch.flatten({a}, {self.dim_arg(len(shape), 0.9)})"
        elif form == "unflatten":
            d = self.dim_arg(len(shape), 0.9)
            size = shape[d] if shape and -len(shape) <= d < len(shape) else 4
            parts = self.factorization(size) if size else [0]
            if self.c.chance(0.2):
                parts = [self.near(p, 0.3) for p in parts]
            line = f"{name} = {a}.unflatten({d}, {self.tuple_text(parts)})"
        elif form == "view_as":
            b = self.tensor()
            line = f"{name} = {a}.view_as({b})"
        else:
            line = f"{name} = {a}.ravel()"
        return self.run(form, line, {"TL502", "TL505", "TL507"})

    def layout(self) -> bool:
        a = self.tensor()
        if a is None:
            return self.source()
        shape = self.shape(a)
        rank = len(shape)
        name = self.fresh()
        form = self.c.pick(["transpose", "t", "T", "mT", "permute", "movedim", "squeeze", "squeeze0", "unsqueeze",
                            "contiguous", "slice", "expand", "repeat", "expand_as"])  # fmt: skip
        codes = {"TL505"}
        if form == "transpose":
            line = f"{name} = {a}.transpose({self.dim_arg(rank)}, {self.dim_arg(rank)})"
        elif form == "t":
            line = f"{name} = {a}.t()"
        elif form in ("T", "mT"):
            line = f"{name} = {a}.{form}"
        elif form == "permute":
            order = list(range(rank))
            self.random_shuffle(order)
            if self.c.chance(0.15):
                order = order[:-1] if order else [0]
            line = f"{name} = {a}.permute({self.dims_text(order)})" if order else f"{name} = {a}.permute()"
        elif form == "movedim":
            line = f"{name} = {a}.movedim({self.dim_arg(rank)}, {self.dim_arg(rank)})"
        elif form == "squeeze":
            line = f"{name} = {a}.squeeze({self.dim_arg(rank)})"
        elif form == "squeeze0":
            line = f"{name} = {a}.squeeze()"
        elif form == "unsqueeze":
            line = f"{name} = {a}.unsqueeze({self.dim_arg(rank + 1)})"
        elif form == "contiguous":
            line = f"{name} = {a}.contiguous()"
        elif form == "slice":
            step = self.c.pick(["", ":2", ":3"])
            start = self.c.pick(["", "1", "-2"])
            line = f"{name} = {a}[{start}:{step}]" if rank else f"{name} = {a}[None]"
        elif form == "expand":
            target = [self.c.integer(2, 4) if d == 1 and self.c.chance(0.7) else self.near(d, 0.85) for d in shape]
            if self.c.chance(0.3):
                target = [self.c.integer(1, 3), *target]
            if self.c.chance(0.2) and target:
                target[self.c.integer(0, len(target) - 1)] = -1
            if self.c.chance(0.05) and target:
                target = target[1:]
            line = f"{name} = {a}.expand({self.dims_text(target)})" if target else f"{name} = {a}.expand(())"
            codes = {"TL504"}
        elif form == "repeat":
            reps = [self.c.integer(1, 3) for _ in range(max(rank, 1) + self.c.integer(-1, 1))]
            line = f"{name} = {a}.repeat({self.dims_text(reps)})"
            codes = {"TL504"}
        else:
            b = self.tensor()
            line = f"{name} = {a}.expand_as({b})"
            codes = {"TL504"}
        return self.run(form, line, codes)

    def strided(self) -> bool:
        """An op on a tensor laid out other than contiguously (made so first when there is none): the
        layout torchlint infers for its output must be torch's."""
        a = self.tensor(lambda t: not t.is_contiguous() and t.numel() > 1)
        if a is None:
            base = self.tensor(lambda t: t.dim() >= 2)
            if base is None:
                return self.source()
            a = self.fresh()
            how = self.c.pick(["t", "transpose", "permute", "step", "narrow", "expand"])
            rank = self.namespace[base].dim()
            made = {
                "t": f"{base}.transpose(-2, -1)" if rank > 2 else f"{base}.t()",
                "transpose": f"{base}.transpose(0, {rank - 1})",
                "permute": f"{base}.permute({self.dims_text([rank - 1, *range(rank - 1)])})",
                "step": f"{base}[..., ::2]",
                "narrow": f"{base}.narrow(-1, 0, 1)",
                "expand": f"{base}.unsqueeze(0).expand(2, {self.dims_text(self.shape(base))})",
            }[how]
            if not self.run(how, f"{a} = {made}"):
                return False
        name = self.fresh()
        form = self.c.pick(["eq", "gt_scalar", "add", "mul_t", "exp", "neg", "relu", "double", "float", "clone",
                            "where", "masked_fill", "view", "view_last", "contiguous_view", "softmax",
                            "sum"])  # fmt: skip
        shape = self.shape(a)
        b = self.tensor(lambda t: tuple(t.shape) == shape and t.dtype == self.namespace[a].dtype) or a
        calls = {
            "eq": f"{a}.eq({b})",
            "gt_scalar": f"{a} > 0",
            "add": f"{a} + {b}",
            "mul_t": f"torch.mul({b}, {a})",
            "exp": f"{a}.float().exp()",
            "neg": f"-{a}.float()",
            "relu": f"F.relu({a}.float())",
            "double": f"{a}.double()",
            "float": f"{a}.float()",
            "clone": f"{a}.clone()",
            "where": f"torch.where({a} > 0, {a}, {b})",
            "masked_fill": f"{a}.masked_fill({a} > 0, 0)",
            "view": f"{a}.view(-1)",
            "view_last": f"{a}.view({self.dims_text([*shape[:-2], -1])})" if len(shape) >= 2 else f"{a}.view(-1)",
            "contiguous_view": f"{a}.contiguous().view(-1)",
            "softmax": f"{a}.float().softmax(-1)",
            "sum": f"{a}.sum(-1)",
        }
        return self.run(f"strided_{form}", f"{name} = {calls[form]}", {"TL502", "TL504", "TL505", "TL507"})

    def random_shuffle(self, items: list[int]) -> None:
        for i in range(len(items) - 1, 0, -1):
            j = self.c.integer(0, i)
            items[i], items[j] = items[j], items[i]

    # -- joining and splitting --------------------------------------------------------------

    def join(self) -> bool:
        a = self.tensor(lambda t: t.dim() >= 1)
        if a is None:
            return self.source()
        shape = self.shape(a)
        name = self.fresh()
        form = self.c.pick(["cat", "stack", "hstack", "vstack"])
        others = []
        for _ in range(self.c.integer(1, 2)):
            other = [self.near(d, 0.85) for d in shape]
            if self.c.chance(0.05):
                other = other[1:]
            others.append(f"torch.randn({self.dims_text(other)})")
        items = ", ".join([a, *others])
        if form == "cat":
            line = f"{name} = torch.cat([{items}], dim={self.dim_arg(len(shape))})"
        elif form == "stack":
            line = f"{name} = torch.stack(({items}), {self.dim_arg(len(shape) + 1)})"
        else:
            line = f"{name} = torch.{form}([{items}])"
        return self.run(form, line, {"TL503", "TL505"})

    def split(self) -> bool:
        a = self.tensor(lambda t: t.dim() >= 1 and 0 not in t.shape)
        if a is None:
            return self.source()
        shape = self.shape(a)
        d = self.dim_arg(len(shape), 0.9)
        name = self.fresh()
        form = self.c.pick(["chunk", "split", "split_sizes", "unbind"])
        if form == "chunk":
            call = f"{a}.chunk({self.c.integer(1, 3)}, dim={d})"
        elif form == "split":
            call = f"torch.split({a}, {self.c.integer(1, 3)}, {d})"
        elif form == "split_sizes":
            size = shape[d] if -len(shape) <= d < len(shape) else 2
            first = self.c.integer(0, size)
            call = f"{a}.split([{first}, {self.near(size - first, 0.8)}], {d})"
        else:
            call = f"{a}.unbind({d})"
        if not self.run(form, f"{name}s = {call}", {"TL502", "TL505"} if form == "split_sizes" else {"TL505"}):
            return False
        pieces = len(self.namespace[f"{name}s"])
        if pieces == 2 and self.c.chance(0.5):
            return self.run("unpack", f"{name}, {name}b = {call}")
        return self.run("piece", f"{name} = {name}s[{self.c.integer(0, pieces - 1) if pieces else 0}]", set())

    # -- indexing ------------------------------------------------------------------------------

    def index(self) -> bool:
        a = self.tensor()
        if a is None:
            return self.source()
        shape = self.shape(a)
        name = self.fresh()
        parts = []
        for size in shape[: self.c.integer(0, len(shape))]:
            kind = self.c.pick(["int", "neg", "slice", "step", "none", "list", "all"])
            if kind == "int":
                parts.append(str(self.c.integer(0, size) if self.c.chance(0.9) else size + 1))
            elif kind == "neg":
                parts.append(str(-self.c.integer(1, max(size, 1))))
            elif kind == "slice":
                parts.append(f"{self.c.integer(0, 2)}:{self.c.integer(1, 4)}")
            elif kind == "step":
                parts.append(f"::{self.c.integer(1, 3)}")
            elif kind == "none":
                parts.append("None")
            elif kind == "list":
                parts.append("[" + ", ".join(str(self.c.integer(0, max(size - 1, 0))) for _ in range(2)) + "]")
            else:
                parts.append(":")
        if self.c.chance(0.2):
            parts.insert(self.c.integer(0, len(parts)), "...")
        if self.c.chance(0.1):
            parts.append("0")
        form = "index"
        if self.c.chance(0.15) and shape:
            mask = self.fresh()
            if not self.run("mask", f"{mask} = {a} > 0"):
                return False
            line = f"{name} = {a}[{mask}]"
            form = "mask"
        else:
            line = f"{name} = {a}[{', '.join(parts) if parts else '...'}]"
        return self.run(form, line, {"TL505"})

    # -- reductions -----------------------------------------------------------------------------

    def reduce(self) -> bool:
        a = self.tensor()
        if a is None:
            return self.source()
        rank = len(self.shape(a))
        name = self.fresh()
        form = self.c.pick(["sum", "mean", "max", "maxv", "argmax", "prod", "std", "norm", "all", "amax", "logsumexp",
                            "softmax", "Fsoftmax", "log_softmax", "cumsum", "sum_all", "mean_tuple"])  # fmt: skip
        d = self.dim_arg(rank)
        keep = self.c.pick(["", ", keepdim=True"])
        calls = {
            "sum": f"{a}.sum({d}{keep})",
            "mean": f"{a}.mean(dim={d}{keep})",
            "max": f"{a}.max({d})[0]",
            "maxv": f"{a}.max(dim={d}{keep}).values",
            "argmax": f"{a}.argmax(dim={d}{keep})",
            "prod": f"{a}.prod({d})",
            "std": f"{a}.std({d})",
            "norm": f"{a}.norm(dim={d})",
            "all": f"({a} > 0).all({d})",
            "amax": f"{a}.amax({d})",
            "logsumexp": f"torch.logsumexp({a}, {d})",
            "softmax": f"{a}.softmax({d})",
            "Fsoftmax": f"F.softmax({a}, dim={d})",
            "log_softmax": f"F.log_softmax({a}, {d})",
            "cumsum": f"{a}.cumsum({d})",
            "sum_all": f"{a}.sum()",
            "mean_tuple": f"{a}.mean(({d}, {self.dim_arg(rank)}))",
        }
        return self.run(form, f"{name} = {calls[form]}", {"TL505"})

    def functional(self) -> bool:
        form = self.c.pick(["linear", "conv2d", "max_pool2d", "avg_pool2d", "adaptive", "layer_norm", "embedding",
                            "pad", "one_hot", "masked_fill", "index_select", "gather", "sort", "topk", "narrow",
                            "select", "einsum_ellipsis", "view_size", "len", "numel", "interpolate",
                            "interpolate_scale", "pool_padding", "weighted_ce"])  # fmt: skip
        ranks = {"conv2d": (4,), "max_pool2d": (3, 4), "avg_pool2d": (3, 4), "adaptive": (3, 4), "interpolate": (3, 4),
                 "interpolate_scale": (3, 4, 5), "pool_padding": (3, 4), "weighted_ce": (2, 3, 4)}  # fmt: skip
        a = self.operand_of(ranks.get(form, (1, 2, 3)))
        if a is None:
            return self.source()
        shape = self.shape(a)
        rank = len(shape)
        name = self.fresh()
        codes = {"TL505"}
        if form == "linear":
            line = f"{name} = F.linear({a}, torch.randn({self.c.integer(1, 4)}, {self.near(shape[-1])}))"
            codes = {"TL501"}
        elif form == "conv2d":
            channels = shape[1] if rank > 1 else 3
            weight = f"torch.randn(2, {self.near(channels)}, {self.c.integer(1, 3)}, {self.c.integer(1, 3)})"
            line = f"{name} = F.conv2d({a}, {weight}, stride={self.c.integer(1, 2)}, padding={self.c.integer(0, 1)})"
            codes = {"TL506"}
        elif form in ("max_pool2d", "avg_pool2d"):
            line = f"{name} = F.{form}({a}, {self.c.integer(1, 3)}, {self.c.integer(1, 2)})"
            codes = {"TL506"}
        elif form == "adaptive":
            line = f"{name} = F.adaptive_avg_pool2d({a}, {self.c.integer(1, 3)})"
            codes = {"TL506"}
        elif form == "layer_norm":
            tail = tuple(self.near(d, 0.85) for d in shape[-self.c.integer(1, rank) :])
            line = f"{name} = F.layer_norm({a}, {self.tuple_text(tail)})"
            codes = {"TL506"}
        elif form in ("embedding", "one_hot"):
            index = self.fresh()
            if not self.run("randint", f"{index} = torch.randint(0, 4, {self.tuple_text(shape)})"):
                return False
            if form == "embedding":
                line = f"{name} = F.embedding({index}, torch.randn(4, {self.c.integer(1, 3)}))"
            else:
                line = f"{name} = F.one_hot({index}, {self.c.integer(4, 6)})"
        elif form == "pad":
            amounts = [self.c.integer(0, 2) for _ in range(2 * self.c.integer(1, rank))]
            line = f"{name} = F.pad({a}, {self.tuple_text(amounts)})"
        elif form == "masked_fill":
            mask = self.fresh()
            if not self.run("mask", f"{mask} = {a} > 0"):
                return False
            line = f"{name} = {a}.masked_fill({mask}, 0.0)"
        elif form in ("index_select", "gather"):
            d = self.dim_arg(rank)
            index = "torch.tensor([0, 0])" if form == "index_select" else f"torch.zeros_like({a}, dtype=torch.long)"
            line = f"{name} = {a}.{form}({d}, {index})"
        elif form == "sort":
            line = f"{name}, {name}i = {a}.sort({self.dim_arg(rank)})"
        elif form == "topk":
            line = f"{name} = {a}.topk(1, dim={self.dim_arg(rank)}).values"
        elif form == "narrow":
            line = f"{name} = {a}.narrow({self.dim_arg(rank)}, 0, 1)"
        elif form == "select":
            line = f"{name} = {a}.select({self.dim_arg(rank)}, 0)"
        elif form == "einsum_ellipsis":
            line = f"{name} = torch.einsum('...i,...i->...', {a}, {a})"
            codes = {"TL501"}
        elif form == "view_size":
            line = f"{name} = {a}.view({a}.size(0), -1)"
            codes = {"TL502", "TL505", "TL507"}
        elif form == "len":
            line = f"{name} = torch.zeros(len({a}), {a}.dim())"
        elif form == "interpolate":
            count = max(rank - 2, 1) if self.c.chance(0.85) else self.c.integer(1, 3)
            sizes = [self.c.integer(1, 9) for _ in range(count)]
            size = str(sizes[0]) if self.c.chance(0.3) else self.tuple_text(sizes)
            mode = ', mode="bilinear"' if rank == 4 and self.c.chance(0.3) else ""
            line = f"{name} = F.interpolate({a}, size={size}{mode})"
            codes = {"TL506"}
        elif form == "interpolate_scale":
            factor = self.c.pick(["2", "0.5", "1.5", "(2, 3)", "0.3"])
            line = f"{name} = F.interpolate({a}, scale_factor={factor})"
            codes = {"TL506"}
        elif form == "pool_padding":
            kernel, padding = self.c.integer(1, 3), self.c.integer(0, 2)
            pool = self.c.pick(["max_pool2d", "avg_pool2d"])
            line = f"{name} = F.{pool}({a}, {kernel}, padding={padding})"
            codes = {"TL506"}
        elif form == "weighted_ce":
            classes = shape[1] if rank >= 2 else shape[0]
            target = (shape[0], *shape[2:]) if rank >= 2 else ()
            index = self.fresh()
            if not self.run("target", f"{index} = torch.randint(0, {classes}, {self.tuple_text(target)})"):
                return False
            line = f"{name} = F.cross_entropy({a}, {index}, weight=torch.ones({self.near(classes, 0.7)}))"
            codes = {"TL508"}
        else:
            line = f"{name} = torch.ones({a}.numel()).view({self.dims_text(shape)})"
        return self.run(form, line, codes)

    def convert(self) -> bool:
        a = self.tensor()
        if a is None:
            return self.source()
        name = self.fresh()
        form = self.c.pick(["float", "long", "double", "to64", "bool", "clone", "abs", "relu", "Frelu", "sigmoid",
                            "exp", "neg", "dropout"])  # fmt: skip
        calls = {
            "float": f"{a}.float()",
            "long": f"{a}.long()",
            "double": f"{a}.double()",
            "to64": f"{a}.to(torch.float64)",
            "bool": f"{a}.bool()",
            "clone": f"{a}.clone()",
            "abs": f"{a}.abs()",
            "relu": f"torch.relu({a})",
            "Frelu": f"F.relu({a})",
            "sigmoid": f"torch.sigmoid({a})",
            "exp": f"{a}.exp()",
            "neg": f"-{a}",
            "dropout": f"F.dropout({a}, 0.5)",
        }
        return self.run(form, f"{name} = {calls[form]}")

    # -- layers -------------------------------------------------------------------------------

    def layer(self) -> bool:
        form = self.c.pick(["Linear", "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "Adaptive", "BatchNorm1d",
                            "BatchNorm2d", "LayerNorm", "GroupNorm", "Embedding", "Activation", "Flatten", "Sequential",
                            "LSTM", "GRU", "RNN", "Attention", "Softmax", "Unflatten", "ConvTranspose2d", "Bilinear",
                            "ConvSame", "MaxPoolCeil", "Nested"])  # fmt: skip
        ranks = {
            "Conv1d": (2, 3), "Conv2d": (3, 4), "MaxPool2d": (3, 4), "AvgPool2d": (3, 4), "Adaptive": (3, 4),
            "BatchNorm1d": (2, 3), "BatchNorm2d": (4,), "GroupNorm": (2, 3, 4), "LSTM": (2, 3), "GRU": (2, 3),
            "RNN": (2, 3), "Attention": (2, 3), "ConvTranspose2d": (3, 4), "ConvSame": (3, 4), "MaxPoolCeil": (3, 4),
            "Nested": (3, 4),
        }  # fmt: skip
        a = self.operand_of(ranks.get(form, (1, 2, 3, 4)))
        if a is None:
            return self.source()
        shape = self.shape(a)
        rank = len(shape)
        module = self.fresh("m")
        name = self.fresh()
        channels = shape[1] if rank >= 2 else shape[0]
        call = f"{name} = {module}({a})"
        codes = {"TL506"}
        if form == "Linear":
            ctor = f"nn.Linear({self.near(shape[-1])}, {self.c.integer(1, 5)})"
        elif form in ("Conv1d", "Conv2d"):
            n = int(form[-2])
            in_channels = shape[-n - 1] if rank >= n + 1 else 3
            kernel, stride, padding = self.c.integer(1, 3), self.c.integer(1, 2), self.c.integer(0, 1)
            sizes = f"{self.near(in_channels)}, {self.c.integer(1, 4)}, {kernel}"
            ctor = f"nn.{form}({sizes}, stride={stride}, padding={padding})"
        elif form == "ConvTranspose2d":
            in_channels = shape[-3] if rank >= 3 else 3
            kernel, stride, padding = self.c.integer(1, 3), self.c.integer(1, 2), self.c.integer(0, 1)
            extra = f", output_padding={self.c.integer(0, stride - 1)}" if stride > 1 else ""
            options = f"stride={stride}, padding={padding}{extra}"
            ctor = f"nn.ConvTranspose2d({self.near(in_channels)}, 2, {kernel}, {options})"
        elif form == "ConvSame":
            in_channels = shape[-3] if rank >= 3 else 3
            mode = self.c.pick(["padding='same'", "padding='valid'", "dilation=2", "padding=(1, 0)", "groups=1"])
            ctor = f"nn.Conv2d({self.near(in_channels)}, 2, {self.c.pick([1, 2, 3, (1, 3)])}, {mode})"
        elif form == "MaxPool2d":
            ctor = f"nn.MaxPool2d({self.c.integer(1, 3)}, stride={self.c.integer(1, 2)})"
        elif form == "MaxPoolCeil":
            kernel = self.c.integer(2, 3)
            ctor = f"nn.MaxPool2d({kernel}, {self.c.integer(1, 3)}, padding={self.c.integer(0, 1)}, ceil_mode=True)"
        elif form == "Nested":
            in_channels = shape[-3] if rank >= 3 else 3
            inner = f"nn.Sequential(nn.Conv2d({self.near(in_channels)}, 4, 1), nn.ReLU())"
            ctor = f"nn.Sequential({inner}, nn.Sequential(nn.Identity(), nn.Conv2d(4, 2, 1)))"
        elif form == "Bilinear":
            other = self.fresh()
            second = (*shape[:-1], self.c.integer(1, 4))
            if not self.run("randn", f"{other} = torch.randn({self.dims_text(second)})"):
                return False
            ctor = f"nn.Bilinear({self.near(shape[-1])}, {self.near(second[-1])}, 3)"
            call = f"{name} = {module}({a}, {other})"
        elif form == "AvgPool2d":
            ctor = f"nn.AvgPool2d({self.c.integer(1, 3)})"
        elif form == "Adaptive":
            ctor = f"nn.AdaptiveAvgPool2d(({self.c.integer(1, 3)}, {self.c.integer(1, 3)}))"
        elif form == "BatchNorm1d":
            ctor = f"nn.BatchNorm1d({self.near(channels)})"
        elif form == "BatchNorm2d":
            ctor = f"nn.BatchNorm2d({self.near(channels)})"
        elif form == "LayerNorm":
            tail = list(shape[-self.c.integer(1, min(rank, 2)) :])
            if self.c.chance(0.2):
                tail = [self.near(d, 0.3) for d in tail]
            ctor = f"nn.LayerNorm({tail[0] if len(tail) == 1 else tuple(tail)})"
        elif form == "GroupNorm":
            groups = self.c.pick([1, 2])
            ctor = f"nn.GroupNorm({groups}, {self.near(channels)})"
        elif form == "Embedding":
            index = self.fresh()
            if not self.run("randint", f"{index} = torch.randint(0, 5, {self.tuple_text(shape)})"):
                return False
            ctor = f"nn.Embedding(5, {self.c.integer(1, 4)})"
            call = f"{name} = {module}({index})"
        elif form == "Activation":
            ctor = f"nn.{self.c.pick(['ReLU', 'GELU', 'Tanh', 'Dropout', 'Identity', 'Sigmoid'])}()"
            codes = set()
        elif form == "Flatten":
            ctor = "nn.Flatten()" if self.c.chance(0.7) else f"nn.Flatten({self.dim_arg(rank)})"
            codes = {"TL505"}
        elif form == "Unflatten":
            size = shape[-1]
            parts = self.factorization(size) if size else [0]
            if self.c.chance(0.2):
                parts = [self.near(p, 0.4) for p in parts]
            ctor = f"nn.Unflatten(-1, {self.tuple_text(parts)})"
            codes = {"TL502"}
        elif form == "Softmax":
            ctor = f"nn.Softmax(dim={self.dim_arg(rank)})"
            codes = {"TL505"}
        elif form == "Sequential":
            hidden = self.c.integer(1, 5)
            ctor = f"nn.Sequential(nn.Linear({self.near(shape[-1])}, {hidden}), nn.ReLU(), nn.Linear({hidden}, 2))"
        elif form in ("LSTM", "GRU", "RNN"):
            batch_first = self.c.pick(["", ", batch_first=True"])
            bidirectional = self.c.pick(["", ", bidirectional=True"])
            hidden = self.c.integer(1, 4)
            ctor = f"nn.{form}({self.near(shape[-1])}, {hidden}{batch_first}{bidirectional})"
            state = ""
            if rank == 3 and self.c.chance(0.4):  # an initial state, its batch size usually the input's
                batch = shape[0] if batch_first else shape[1]
                h0 = f"torch.zeros({2 if bidirectional else 1}, {self.near(batch, 0.7)}, {self.near(hidden)})"
                state = f", ({h0}, {h0})" if form == "LSTM" else f", {h0}"
            call = (
                f"{name}, ({name}h, {name}c) = {module}({a}{state})"
                if form == "LSTM"
                else f"{name}, {name}h = {module}({a}{state})"
            )
        else:
            heads = self.c.pick([1, 2])
            embed = self.near(shape[-1]) * heads if self.c.chance(0.8) else self.c.integer(1, 4) * heads
            ctor = f"nn.MultiheadAttention({embed}, {heads}{self.c.pick(['', ', batch_first=True'])})"
            call = f"{name}, {name}w = {module}({a}, {a}, {a})"
        if not self.run(f"ctor{form}", f"{module} = {ctor}"):
            return False
        return self.run(form, call, codes)

    def loss(self) -> bool:
        form = self.c.pick(["cross_entropy", "nll_loss", "CrossEntropyLoss", "bce_logits", "BCELoss", "mse", "l1",
                            "MSELoss", "smooth_l1"])  # fmt: skip
        a = self.operand_of((2,) if form in ("cross_entropy", "nll_loss", "CrossEntropyLoss") else (1, 2))
        if a is None:
            return self.source()
        shape = self.shape(a)
        name = self.fresh()
        target = self.fresh()
        batch = self.near(shape[0], 0.75)
        if form in ("cross_entropy", "nll_loss", "CrossEntropyLoss"):
            classes = shape[1] if len(shape) == 2 else shape[0]
            if not self.run("target", f"{target} = torch.randint(0, {classes}, ({batch},))"):
                return False
            if form == "CrossEntropyLoss":
                line = f"{name} = nn.CrossEntropyLoss()({a}, {target})"
            else:
                line = f"{name} = F.{form}({a}, {target})"
        else:
            other = [self.near(d, 0.75) for d in shape]
            if self.c.chance(0.2):
                other = other[:-1] if len(other) > 1 else [*other, 1]
            if not self.run("target", f"{target} = torch.rand({self.dims_text(other)})"):
                return False
            if form == "bce_logits":
                line = f"{name} = F.binary_cross_entropy_with_logits({a}, {target})"
            elif form == "BCELoss":
                line = f"{name} = nn.BCELoss()(torch.sigmoid({a}), {target})"
            elif form == "MSELoss":
                line = f"{name} = nn.MSELoss()({a}, {target})"
            else:
                function = {"mse": "mse_loss", "l1": "l1_loss", "smooth_l1": "smooth_l1_loss"}[form]
                line = f"{name} = F.{function}({a}, {target})"
        return self.run(form, line, {"TL508"})

    def module_class(self) -> bool:
        """A module class of the program called on a known input: torchlint checks its forward with it."""
        a = self.operand_of((4,))
        if a is None:
            return self.source()
        _, channels, height, width = (*self.shape(a), 3, 3, 3, 3)[:4]  # other ranks fail in the call
        cls, instance, name = self.fresh("Net"), self.fresh("net"), self.fresh()
        kernel, padding = self.c.integer(1, 3), self.c.integer(0, 1)
        pooled = self.c.chance(0.5)
        out_h, out_w = height + 2 * padding - kernel + 1, width + 2 * padding - kernel + 1
        if pooled:
            out_h, out_w = out_h // 2, out_w // 2
        features = f"4 * {self.near(out_h, 0.9)} * {self.near(out_w, 0.9)}"
        # Sizes written in __init__, or passed to the constructor (by position, by name, or left to a default).
        how = self.c.pick(["inline", "positional", "keyword", "default"])
        signature = "self" if how == "inline" else f"self, channels, features={features if how == 'default' else 1}"
        constructor = {"inline": "", "positional": f"{self.near(channels)}, {features}",
                       "keyword": f"features={features}, channels={self.near(channels)}",
                       "default": f"{self.near(channels)}"}[how]  # fmt: skip
        conv_in, fc_in = (self.near(channels), features) if how == "inline" else ("channels", "features")
        block = [
            f"class {cls}(nn.Module):",
            f"    def __init__({signature}):",
            "        super().__init__()",
            f"        self.conv = nn.Conv2d({conv_in}, 4, {kernel}, padding={padding})",
            "        self.pool = nn.MaxPool2d(2)",
            f"        self.fc = nn.Linear({fc_in}, 3)",
            "",
            "    def forward(self, x):",
            "        h1 = torch.relu(self.conv(x))",
            f"        h2 = {'self.pool(h1)' if pooled else 'h1'}",
            "        h3 = torch.flatten(h2, 1)",
            "        return self.fc(h3)",
        ]
        if not self.run("class", "\n".join(block)) or not self.run("instance", f"{instance} = {cls}({constructor})"):
            return False
        return self.run("forward", f"{name} = {instance}({a})", {"TL506"})

    def step(self) -> bool:
        action = self.c.pick(
            [self.source, self.elementwise, self.elementwise, self.matmul, self.matmul, self.reshape, self.reshape,
             self.layout, self.layout, self.join, self.split, self.index, self.index, self.reduce, self.reduce,
             self.convert, self.layer, self.layer, self.layer, self.loss, self.functional, self.functional,
             self.module_class, self.strided, self.strided]
        )  # fmt: skip
        return action()


def generate(choices: Choices, steps: int = 8) -> Program:
    builder = _Builder(choices)
    if not builder.source():
        return builder.program
    for _ in range(steps):
        if not builder.step():
            break
    return builder.program


@dataclass
class Verdict:
    disagreements: list[str]
    reported: bool  # torchlint reported the failure
    bindings: int  # tensor assignments torchlint saw
    known: int  # ... with a known shape
    layouts: int = 0  # ... with known strides, compared with torch's


def check(program: Program) -> Verdict:
    source = program.source
    findings = lint(source, "<program>", SHAPE_RULES)
    problems: list[str] = []
    reported = False
    failure = program.failure
    for finding in findings:
        if finding.code == "TL509":  # a warning: torch must have warned there, of the sizes
            if finding.start.line not in program.warned:
                problems.append(f"line {finding.start.line}: TL509 but torch did not warn: {finding.message}")
            continue
        if failure is not None and finding.start.line == failure[0]:
            if finding.code not in failure[3]:
                problems.append(f"line {failure[0]}: {finding.code} but torch's error is {failure[1]}: {failure[2]}")
            elif not _states(finding.message, failure[2]):
                problems.append(f"line {failure[0]}: message {finding.message!r} lacks torch's {failure[2]!r}")
            reported = True
        else:
            problems.append(f"line {finding.start.line}: false positive {finding.code}: {finding.message}")
    bindings = inferred_facts(source)
    known = layouts = 0
    for binding in bindings:
        value = program.namespace.get(binding.name)
        if (failure is not None and binding.start.line >= failure[0]) or binding.name.startswith("h"):
            continue  # not run, or local to a module's forward
        if not isinstance(value, torch.Tensor):
            problems.append(f"line {binding.start.line}: {binding.name} is not a tensor but {type(value).__name__}")
            continue
        if binding.shape is None:
            continue
        known += 1
        real = tuple(value.shape)
        inferred = binding.shape
        wrong = len(real) != len(inferred) or any(
            isinstance(d, int) and d != r for d, r in zip(inferred, real, strict=True)
        )
        if wrong:
            problems.append(f"line {binding.start.line}: {binding.name} inferred {binding.describe()}, real {real}")
        if binding.dtype is not None and str(value.dtype) != f"torch.{binding.dtype}":
            problems.append(f"line {binding.start.line}: {binding.name} dtype {binding.dtype}, real {value.dtype}")
        if binding.strides is not None and not wrong:
            problems.extend(layout_problems(binding, value))
            layouts += 1
    return Verdict(problems, reported, len(bindings), known, layouts)


def layout_problems(binding: TensorBinding, value: torch.Tensor) -> list[str]:
    """An inferred layout against the real one: each stride of a dim of size 2 or more (torch itself ignores
    the strides of size-1 dims: they decide no view, no contiguity, no element's place), and contiguity."""
    if value.numel() == 0:
        return []
    inferred, real = binding.strides, value.stride()
    assert inferred is not None
    if len(inferred) != len(real):
        return [f"line {binding.start.line}: {binding.name} strides {inferred}, real {real}"]
    for size, mine, theirs in zip(value.shape, inferred, real, strict=True):
        if size >= 2 and isinstance(mine, int) and mine != theirs:
            return [f"line {binding.start.line}: {binding.name} strides {inferred}, real {real}"]
    contiguous = is_contiguous(binding.shape, inferred)  # type: ignore[arg-type]
    if contiguous is not None and contiguous != value.is_contiguous():
        return [f"line {binding.start.line}: {binding.name} contiguous {contiguous}, real {value.is_contiguous()}"]
    return []


def _states(message: str, torch_message: str) -> bool:
    """Does torchlint's message state torch's? A size bound to a name (`n5 = x.size(0)`) stands for its value."""
    if torch_message.removesuffix(".") in message:  # its final period gives way to the shapes' origins
        return True
    stated = message.split("; ", 1)[0]
    pattern = re.sub(r"\bn\d+(?!\d)", r"\\d+", re.escape(stated))  # also in `n6x4`
    return re.fullmatch(pattern, torch_message) is not None


def coverage(programs: Sequence[Program]) -> Counter[str]:
    return Counter(op for p in programs for op in p.ops)
