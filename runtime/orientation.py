"""Weight-first GEMMs for short calls: the same linear layers, multiplied the other way round.

Where archgen's packed GEMM runs (:mod:`.packed`: x86-64 Linux with AVX2 and FMA, a
C++ compiler), ``load`` packs the layers this module would switch, and this is not
used; it is the fallback elsewhere, and with ``ARCHGEN_PACKED_GEMM=0``.

``F.linear`` computes ``x @ W.T``: the tokens are the GEMM's rows. For a call of
few tokens, ``(W @ x.T).T`` (the weight's rows as the GEMM's rows) is faster with
torch's CPU GEMM (MKL) on this machine; a profile of the token-major forward at 128
tokens shows MKL's operand packing at 10-14% of the time, so the likely reason is
how the two threads split and pack the operands. This layer returns that product's
transposed view, with the same values up to float rounding (the summation order);
the generated modules accept either layout (their attention makes its q/k/v
contiguous when a projection returns it transposed).

``python bench/orientation.py`` measures a whole forward both ways, the two
orientations alternating call by call. On 2 cores (AVX2, torch 2.13, fp32, eager):

- XLM-R base: weight-first is 1.20x faster at 64 tokens, 1.10x at 128, 1.04x at
  256, 1.02x at 512, and 0.91x (slower) at 1024 (8 x 128);
- the UMT5-small encoder: 1.07x at 128 tokens, 0.96x at 512;
- MobileBERT with every layer switched (its layers are 128 wide on one side):
  0.89x at 128 tokens, 0.85x at 512.

Compiled (``--compile``), XLM-R base: 1.17x at 64 tokens, 1.06x at 128, 0.98x at
256, 0.95x at 512 and 1024; the UMT5-small encoder 1.04x at 128, 0.94x at 512;
MobileBERT with every layer switched 0.77x at 128 and 0.76x at 512.
256 tokens is the break-even point (1.04x eager, 0.98x compiled).

So :class:`~.model.ArchgenModel` runs a layer weight-first when the call has at
most ``weight_first_rows`` tokens (default :data:`WEIGHT_FIRST_ROWS`; 0 turns it
off) and the layer is at least :data:`MIN_WIDTH` wide on both sides, has fp32
weights, and belongs to a model whose head does not generate (a generating
model keeps its widening weights input-major for one-token steps instead:
:func:`.model._input_major`). A compiled model keeps one artifact per orientation.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["MIN_WIDTH", "WEIGHT_FIRST_ROWS", "WeightFirstLinear", "weight_first_layers"]

#: Calls of at most this many tokens run the qualifying layers weight-first.
WEIGHT_FIRST_ROWS = 256
#: A layer qualifies when both its input and output widths are at least this.
MIN_WIDTH = 512


class WeightFirstLinear(nn.Linear):
    """An ``nn.Linear`` that computes ``(W @ x.T).T`` while ``weight_first`` is set.

    The same parameters (and state-dict names) as the layer it replaces; with the
    flag off it is that layer. The output, weight-first, is the product's
    transposed view: ``(..., out)`` with the tokens contiguous."""

    weight_first = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.weight_first or self.weight.dtype != torch.float32:
            return super().forward(x)
        rows = x.reshape(-1, x.shape[-1]).t()  # (in, tokens)
        if self.bias is None:
            y = torch.mm(self.weight, rows)  # (out, tokens)
        else:
            y = torch.addmm(self.bias[:, None], self.weight, rows)  # (out, tokens)
        return y.t().unflatten(0, x.shape[:-1])  # (..., out), tokens contiguous


def weight_first_layers(module: nn.Module, min_width: int = MIN_WIDTH) -> list[WeightFirstLinear]:
    """Make every qualifying ``nn.Linear`` of ``module`` a :class:`WeightFirstLinear`, in place,
    sharing its parameters; return them. Qualifying: exactly ``nn.Linear`` (not a quantized
    or other subclass), fp32 weights, both widths at least ``min_width``."""
    swapped: dict[int, WeightFirstLinear] = {}
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is not nn.Linear or child.weight.dtype != torch.float32:
                continue
            if min(child.in_features, child.out_features) < min_width:
                continue
            if id(child) not in swapped:  # a layer reachable twice stays one layer
                layer = WeightFirstLinear.__new__(WeightFirstLinear)
                nn.Module.__init__(layer)
                layer.in_features, layer.out_features = child.in_features, child.out_features
                layer.register_parameter("weight", child.weight)
                layer.register_parameter("bias", child.bias)
                layer.train(child.training)
                swapped[id(child)] = layer
            setattr(parent, name, swapped[id(child)])
    return list(swapped.values())
