"""The rule registry: every shipped rule, one instance each."""

from __future__ import annotations

from torchlint.rules.base import Rule
from torchlint.rules.tl101_tensor_constructor_with_data import TensorConstructorWithData
from torchlint.rules.tl102_uninitialized_tensor import UninitializedTensor
from torchlint.rules.tl103_tensor_where_missing_other import TensorWhereMissingOther
from torchlint.rules.tl201_missing_zero_grad import MissingZeroGrad
from torchlint.rules.tl202_zero_grad_before_step import ZeroGradBeforeStep
from torchlint.rules.tl301_missing_super_init import MissingSuperInit
from torchlint.rules.tl401_numpy_on_cuda_tensor import NumpyOnCudaTensor
from torchlint.rules.tl402_python_loop_over_gpu_tensor import PythonLoopOverGpuTensor

ALL_RULES: tuple[Rule, ...] = (
    TensorConstructorWithData(),
    UninitializedTensor(),
    TensorWhereMissingOther(),
    MissingZeroGrad(),
    ZeroGradBeforeStep(),
    MissingSuperInit(),
    NumpyOnCudaTensor(),
    PythonLoopOverGpuTensor(),
)
RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in ALL_RULES}
