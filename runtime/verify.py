"""``archgen verify``: every architecture x head against the reference, eager and compiled.

For each pair it builds a tiny reference model with `transformers` (fixed
seed), saves it with ``save_pretrained``, loads that directory through
archgen, and measures: the max abs difference of every output against the
reference (eager and sdpa attention), graph breaks under
``torch._dynamo.explain``, compile seconds, and the median time of the
reference, archgen eager and archgen compiled.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ..compiler.lower import ArchIR, HeadIR
from .model import load
from .reference import build_reference, random_inputs, save_reference

__all__ = ["VerifyRow", "verify_pair", "max_abs_diff", "TOLERANCE"]

#: fp32 tolerance against the reference (eager and sdpa differ in the last bits), on each
#: output's difference scaled by ``max(1, max|reference output|)``: absolute for outputs
#: within +-1, relative for larger ones (fp32 rounding grows with the values: an mT5
#: tiny model's logits, with drawn norms and biases, reach 1.3e-5 absolute).
TOLERANCE = 1e-5


@dataclass
class VerifyRow:
    arch: str
    head: str
    diff_eager: float
    diff_sdpa: float | None  # None: the reference class has no sdpa attention (GPT-J)
    diff_compiled: float
    graph_breaks: int
    compile_s: float
    ref_ms: float
    eager_ms: float
    compiled_ms: float

    @property
    def ok(self) -> bool:
        return (
            max(self.diff_eager, self.diff_sdpa or 0.0, self.diff_compiled) <= TOLERANCE
            and self.graph_breaks == 0
        )


def max_abs_diff(ours: dict, ref, keys=None, real: tuple[torch.Tensor, frozenset] | None = None) -> float:
    """Max abs difference over every output field both sides have, each divided by
    ``max(1, max|reference field|)`` (see :data:`TOLERANCE`).

    ``real``: (the attention mask, the per-token output fields): those fields are compared
    at real tokens only (a query whose every visible key is padding is a fully masked row,
    where the reference's sdpa and eager paths differ)."""
    worst = 0.0
    for key, value in ours.items():
        if keys is not None and key not in keys:
            continue
        other = getattr(ref, key, None)
        if other is None or not isinstance(value, torch.Tensor | tuple):
            continue
        pairs = zip(value, other) if isinstance(value, tuple) else [(value, other)]
        if real is not None and key in real[1] and isinstance(value, torch.Tensor):
            keep = real[0].bool()
            pairs = [(value[keep], other[keep])] if value.shape[: keep.dim()] == keep.shape else pairs
        for a, b in pairs:
            scale = max(1.0, float(b.float().abs().max())) if b.numel() else 1.0
            worst = max(worst, float((a.float() - b.float()).abs().max()) / scale)
    return worst


def _median_ms(fn, repeat: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def verify_pair(ir: ArchIR, head: HeadIR, *, seed: int = 0, batch: int = 2, length: int = 12) -> VerifyRow:
    ref = build_reference(ir, head, seed=seed, attn_implementation="eager")
    with tempfile.TemporaryDirectory() as tmp:
        save_reference(ref, Path(tmp))
        try:
            ref_sdpa = build_reference(ir, head, seed=seed, attn_implementation="sdpa")
        except ValueError as exc:  # a reference class without an sdpa path: its column is empty
            if "scaled_dot_product_attention" not in str(exc):
                raise
            ref_sdpa = None
        model = load(tmp, spec=ir.path)
        compiled = load(tmp, spec=ir.path, compile=True)
    gen = torch.Generator().manual_seed(seed)
    inputs = random_inputs(
        ir,
        head,
        model.sizes,
        batch=batch,
        length=length,
        generator=gen,
        right_pad=[0, length // 3][:batch] + [0] * max(0, batch - 2),
    )
    keys = set(head.spec.outputs)
    # the sdpa reference at real tokens only (see the README: fully masked rows); a decoder's
    # outputs are not the encoder mask's shape
    real = None if head.spec.encoder_decoder else (inputs["attention_mask"], head.per_token_outputs)
    # every reference path at real tokens only where the spec says its padding slots are not archgen's
    padding_ignored = real if ir.spec.reference.padding_outputs == "ignored" else None
    # an encoder-decoder reference runs without its cache: FSMT's decoder attends both ways when given
    # decoder inputs with its cache on (its default), causally without (as with labels, and generating)
    reference_inputs = inputs | {"use_cache": False} if head.spec.encoder_decoder else inputs
    with torch.no_grad():
        expected = ref(**reference_inputs)
        expected_sdpa = ref_sdpa(**reference_inputs) if ref_sdpa is not None else None
    ours = model(**inputs)
    # The runtime compiles through torch.export, which traces data-dependent sizes (the tokens a
    # mixture of experts routes to each expert) into its graph; dynamo does so with these flags.
    with torch._dynamo.config.patch(capture_dynamic_output_shape_ops=True, capture_scalar_outputs=True):
        explain = torch._dynamo.explain(model.module)(**inputs)
    torch._dynamo.reset()
    start = time.perf_counter()
    ours_compiled = compiled(**inputs)
    compile_s = time.perf_counter() - start
    with torch.no_grad():
        ref_ms = _median_ms(lambda: ref(**inputs))
    return VerifyRow(
        arch=ir.name,
        head=head.name,
        diff_eager=max_abs_diff(ours, expected, keys, padding_ignored),
        diff_sdpa=None if expected_sdpa is None else max_abs_diff(ours, expected_sdpa, keys, real),
        diff_compiled=max_abs_diff(ours_compiled, expected, keys, padding_ignored),
        graph_breaks=explain.graph_break_count,
        compile_s=compile_s,
        ref_ms=ref_ms,
        eager_ms=_median_ms(lambda: model(**inputs)),
        compiled_ms=_median_ms(lambda: compiled(**inputs)),
    )
