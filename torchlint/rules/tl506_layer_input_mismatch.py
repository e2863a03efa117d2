from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.patterns.shapes import ShapeRule


class LayerInputMismatch(ShapeRule):
    code = "TL506"
    name = "layer-input-mismatch"
    summary = "An nn layer called on an input it cannot take: wrong in_features, channels, size or rank"
    what = (
        "Flags a call of an `nn` layer whose configuration is known (`nn.Linear(400, 120)`, "
        "`nn.Conv2d(3, 6, 5)`, ...) on a tensor of known shape when the layer cannot take it: `Linear` "
        "in_features, `Bilinear` sizes, `Conv`/`ConvTranspose` in_channels and rank, a conv kernel or pool "
        "window larger than the (padded) input, pooling layers and functions of the wrong rank, "
        "`BatchNorm` num_features and rank, `LayerNorm` normalized_shape, `GroupNorm` channels and rank, "
        "`LSTM`/`GRU`/`RNN` input_size and rank, `MultiheadAttention` embed_dim and query, key and value "
        "ranks. A module class of the file called on a tensor of known shape "
        "(`net = Net(); net(torch.randn(64, 3, 32, 32))`) has its `forward` checked with that input."
    )
    why = (
        "The classic case is a conv stack followed by `flatten` and a `Linear` whose in_features were "
        "computed for another image size: torch raises `RuntimeError: mat1 and mat2 shapes cannot be "
        "multiplied (64x2704 and 400x120)` at the first forward pass. The message names the layer, where "
        "it was built, and where the input's shape came from."
    )
    example = (
        "conv = nn.Conv2d(3, 16, 5)\nfc = nn.Linear(400, 10)\nx = torch.randn(64, 3, 32, 32)\n"
        "y = fc(torch.flatten(conv(x), 1))"
    )
    use_instead = (
        "conv = nn.Conv2d(3, 16, 5)\nfc = nn.Linear(16 * 28 * 28, 10)\nx = torch.randn(64, 3, 32, 32)\n"
        "y = fc(torch.flatten(conv(x), 1))"
    )
    confirmed = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x2704 and 400x120)"
    fix_safety = (
        "No automatic fix: either the layer's configuration (`in_features`, channels) or the input's "
        "shape is wrong, and changing the layer changes the model's parameters."
    )
    requires = ("nn.", "torch.nn", "functional")

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        self.check(node, ctx)
