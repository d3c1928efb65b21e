"""Lower precision, opt in: bf16 parameters, or dynamic int8 linear layers.

fp32 is the default, whatever dtype a checkpoint is stored in. Two lower modes
exist, each asked for by name (``archgen.load(..., dtype=..., quantize=...)``):

* ``dtype="bfloat16"``: every floating parameter is bf16, and so are the
  activations and outputs. What stays fp32 is accumulation inside the kernels:
  GEMMs, LayerNorm statistics, and the softmax of
  ``F.scaled_dot_product_attention`` accumulate in fp32 on CPU, and the T5
  RMSNorm squares and scales in fp32 in the generated code.
* ``quantize="int8"``: every ``nn.Linear`` becomes an :class:`Int8Linear`:
  its weight is int8, symmetric, with one scale per output channel, and each
  call quantizes its input dynamically (per tensor, asymmetric; 7-bit range, as
  the x86 kernel needs) and accumulates in int32, through torch's FBGEMM
  dynamic-quantization kernel (``quantized::linear_dynamic``). Embeddings,
  norms, attention and the bias add stay fp32. Code that reads a layer's
  ``weight`` directly (MobileBERT's MLM decoder) gets the dequantized weight.

The error of each mode against fp32, and its bound, is measured by
``bench/precision.py`` and asserted by ``tests/test_precision.py``.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

__all__ = [
    "DTYPES",
    "ERROR_BOUNDS",
    "INT8_LEVELS",
    "QUANTIZE",
    "Int8Linear",
    "check_quantize",
    "quantize_linears",
    "resolve_dtype",
]

#: The dtypes ``load`` accepts, by name. float64 is for exact comparisons in tests.
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float64": torch.float64}
#: The quantization modes ``load`` accepts.
QUANTIZE = ("int8",)
#: The documented bound of each mode's relative error against fp32, max |y - y_fp32| / max |y_fp32|,
#: on a model's logits or last hidden state (measured by bench/precision.py, asserted by the tests).
#: Worst measured on random-init models: bf16 1.8e-2 (XLM-R base), int8 5.6e-2 (a tiny UMT5).
ERROR_BOUNDS = {"bf16": 0.035, "int8": 0.1}
#: The largest int8 weight magnitude: a channel's max |w| maps to it.
INT8_LEVELS = 127


def resolve_dtype(dtype: torch.dtype | str | None) -> torch.dtype:
    """``dtype`` as a torch dtype: None is float32; names and dtypes must be one of :data:`DTYPES`."""
    if dtype is None:
        return torch.float32
    if isinstance(dtype, str):
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        return DTYPES[dtype]
    if dtype not in DTYPES.values():
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype}")
    return dtype


def check_quantize(quantize: str | None, dtype: torch.dtype, compile: bool) -> None:
    """Reject quantization modes, and combinations, that cannot run."""
    if quantize is None:
        return
    if quantize not in QUANTIZE:
        raise ValueError(f"quantize must be None or one of {', '.join(QUANTIZE)}, got {quantize!r}")
    if dtype != torch.float32:
        raise ValueError(
            f"quantize={quantize!r} runs fp32 activations; it cannot be combined with dtype={dtype}"
        )
    if compile:
        # torch.compile cannot trace the kernel's packed-weight object (a graph break
        # "Failed to convert args/kwargs to proxy"), and archgen compiles with fullgraph.
        raise ValueError(f"quantize={quantize!r} runs eager only; it cannot be combined with compile=True")
    if "fbgemm" not in torch.backends.quantized.supported_engines:
        raise ValueError(
            f"quantize={quantize!r} needs torch's FBGEMM dynamic-quantization kernels, which this torch build "
            f"lacks (engines: {', '.join(torch.backends.quantized.supported_engines)})"
        )


class Int8Linear(nn.Module):
    """A linear layer with int8 weights (per output channel) and dynamically quantized inputs."""

    def __init__(self, linear: nn.Linear):
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        weight = linear.weight.detach().float()
        scale = weight.abs().amax(dim=1).clamp_min(1e-12) / INT8_LEVELS  # (out,)
        zero = torch.zeros(self.out_features, dtype=torch.long)
        self.bias = None if linear.bias is None else linear.bias.detach().float()
        with warnings.catch_warnings():
            # torch marks quantized tensors deprecated; the packed weight is the kernel's only input format.
            warnings.filterwarnings(
                "ignore", message=r"torch\.quantize_per_tensor, torch\.quantize_per_channel"
            )
            qweight = torch.quantize_per_channel(weight, scale.double(), zero, 0, torch.qint8)
        self.packed = torch.ops.quantized.linear_prepack(qweight, self.bias)

    @property
    def weight(self) -> torch.Tensor:
        """The dequantized weight (out, in), for code that reads it rather than calling the layer."""
        return torch.ops.quantized.linear_unpack(self.packed)[0].dequantize()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.quantized.linear_dynamic(x, self.packed, True)  # reduce_range: x86 needs 7 bits

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )


def quantize_linears(module: nn.Module) -> None:
    """Replace every ``nn.Linear`` in ``module`` by an :class:`Int8Linear`, in place."""
    linears = [
        (name, m) for name, m in module.named_modules(remove_duplicate=False) if isinstance(m, nn.Linear)
    ]
    for name, linear in linears:
        owner_path, _, attr = name.rpartition(".")
        setattr(module.get_submodule(owner_path), attr, Int8Linear(linear))
