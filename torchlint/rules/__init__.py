"""The rule registry: every shipped rule, one instance each."""

from __future__ import annotations

from torchlint.rules.base import Rule
from torchlint.rules.tl101_tensor_constructor_with_data import TensorConstructorWithData
from torchlint.rules.tl102_uninitialized_tensor import UninitializedTensor
from torchlint.rules.tl103_tensor_where_missing_other import TensorWhereMissingOther
from torchlint.rules.tl104_property_called import PropertyCalled
from torchlint.rules.tl105_permute_varargs import PermuteVarargs
from torchlint.rules.tl106_legacy_typed_constructor import LegacyTypedConstructor
from torchlint.rules.tl107_discarded_tensor_result import DiscardedTensorResult
from torchlint.rules.tl201_missing_zero_grad import MissingZeroGrad
from torchlint.rules.tl202_zero_grad_before_step import ZeroGradBeforeStep
from torchlint.rules.tl203_numpy_on_requires_grad import NumpyOnRequiresGrad
from torchlint.rules.tl204_loss_kept_with_graph import LossKeptWithGraph
from torchlint.rules.tl205_inplace_on_leaf import InplaceOnLeaf
from torchlint.rules.tl206_data_attribute import DataAttribute
from torchlint.rules.tl301_missing_super_init import MissingSuperInit
from torchlint.rules.tl302_double_softmax import DoubleSoftmax
from torchlint.rules.tl303_sigmoid_then_bce import SigmoidThenBce
from torchlint.rules.tl304_forward_called_directly import ForwardCalledDirectly
from torchlint.rules.tl401_numpy_on_cuda_tensor import NumpyOnCudaTensor
from torchlint.rules.tl402_python_loop_over_gpu_tensor import PythonLoopOverGpuTensor
from torchlint.rules.tl403_device_mismatch import DeviceMismatch
from torchlint.rules.tl501_matmul_shape_mismatch import MatmulShapeMismatch
from torchlint.rules.tl502_invalid_reshape import InvalidReshape
from torchlint.rules.tl503_concat_shape_mismatch import ConcatShapeMismatch
from torchlint.rules.tl504_broadcast_mismatch import BroadcastMismatch
from torchlint.rules.tl505_dim_out_of_range import DimOutOfRange
from torchlint.rules.tl506_layer_input_mismatch import LayerInputMismatch
from torchlint.rules.tl507_view_on_non_contiguous import ViewOnNonContiguous
from torchlint.rules.tl508_loss_shape_mismatch import LossShapeMismatch
from torchlint.rules.tl509_loss_broadcast import LossBroadcast
from torchlint.rules.tl601_unsafe_torch_load import UnsafeTorchLoad

ALL_RULES: tuple[Rule, ...] = (
    TensorConstructorWithData(),
    UninitializedTensor(),
    TensorWhereMissingOther(),
    PropertyCalled(),
    PermuteVarargs(),
    LegacyTypedConstructor(),
    DiscardedTensorResult(),
    MissingZeroGrad(),
    ZeroGradBeforeStep(),
    NumpyOnRequiresGrad(),
    LossKeptWithGraph(),
    InplaceOnLeaf(),
    DataAttribute(),
    MissingSuperInit(),
    DoubleSoftmax(),
    SigmoidThenBce(),
    ForwardCalledDirectly(),
    NumpyOnCudaTensor(),
    PythonLoopOverGpuTensor(),
    DeviceMismatch(),
    MatmulShapeMismatch(),
    InvalidReshape(),
    ConcatShapeMismatch(),
    BroadcastMismatch(),
    DimOutOfRange(),
    LayerInputMismatch(),
    ViewOnNonContiguous(),
    LossShapeMismatch(),
    LossBroadcast(),
    UnsafeTorchLoad(),
)
RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in ALL_RULES}
