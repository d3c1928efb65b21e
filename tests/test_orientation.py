"""Weight-first linear layers (runtime/orientation.py): which layers qualify, that short calls
run them weight-first and long calls do not, and that both equal the reference, eager and
compiled (one artifact per orientation). The models are 512 wide so that layers qualify.

Weight-first is the fallback for machines where archgen's packed GEMM does not run
(runtime/packed.py), so these tests turn packing off with ``ARCHGEN_PACKED_GEMM=0``."""

from __future__ import annotations

import pytest
import torch
from support import ATOL, arch, compare, save

import archgen
from archgen.runtime.orientation import MIN_WIDTH, WEIGHT_FIRST_ROWS, WeightFirstLinear
from archgen.runtime.reference import build_reference, random_inputs

WIDE = {
    "vocab_size": 99,
    "hidden_size": MIN_WIDTH,
    "intermediate_size": 2 * MIN_WIDTH,
    "num_attention_heads": 8,
    "num_hidden_layers": 1,
    "max_position_embeddings": 200,
}


@pytest.fixture(autouse=True)
def _no_packing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHGEN_PACKED_GEMM", "0")


def _pair(head: str, **load):
    ir = arch("xlm_roberta")
    reference = build_reference(ir, ir.head(head), WIDE)
    return ir, reference, archgen.load(save(reference), **load)


def _inputs(ir, model, batch: int, length: int) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(batch * 1000 + length)
    return random_inputs(
        ir,
        model.head,
        model.sizes,
        batch=batch,
        length=length,
        generator=gen,
        right_pad=[0] + [3] * (batch - 1),
    )


def test_qualifying_layers() -> None:
    ir, _, model = _pair("sequence_classification")
    layers = {name for name, m in model.module.named_modules() if isinstance(m, WeightFirstLinear)}
    # q/k/v, output, FFN up and down, the classifier's dense layer; not its 512 -> 2 projection
    assert layers == {
        "backbone.layers.0.attn.qkv",
        "backbone.layers.0.attn.o",
        "backbone.layers.0.ffn.up",
        "backbone.layers.0.ffn.down",
        "dense",
    }, layers
    assert len(model._oriented) == len(layers)
    assert not any(m.training for m in model.module.modules()), "the switched layers stay in eval mode"
    # a generating head keeps input-major weights instead; int8 layers are not nn.Linear
    assert archgen.load(save(build_reference(ir, ir.head("causal_lm"), WIDE)))._oriented == []
    _, _, quantized = _pair("sequence_classification", quantize="int8")
    assert quantized._oriented == []


def test_short_calls_run_weight_first_and_match_the_reference() -> None:
    ir, reference, model = _pair("sequence_classification")
    short = _inputs(ir, model, batch=2, length=40)  # 80 tokens
    out = model(**short)
    assert model._weight_first and all(layer.weight_first for layer in model._oriented)
    layer = model._oriented[0]
    y = layer(torch.randn(3, layer.in_features))
    assert y.stride() == (1, 3), "a weight-first layer returns the transposed product"
    with torch.no_grad():
        compare(out, reference(**short), "weight-first")

    long = _inputs(ir, model, batch=2, length=WEIGHT_FIRST_ROWS // 2 + 20)  # more tokens than the limit
    out_long = model(**long)
    assert not model._weight_first and not any(layer.weight_first for layer in model._oriented)
    with torch.no_grad():
        compare(out_long, reference(**long), "token-major")

    model.weight_first_rows = 0  # off: the short call runs token-major, with the same values
    torch.testing.assert_close(model(**short).logits, out.logits, atol=ATOL, rtol=0)
    assert not model._weight_first


def test_compiled_keeps_one_artifact_per_orientation() -> None:
    ir, _, eager = _pair("base")
    compiled = archgen.load(save(build_reference(ir, ir.head("base"), WIDE)), compile=True)
    for batch, length in [(1, 30), (2, 150), (2, 50), (3, 120)]:  # short, long, short, long
        inputs = _inputs(ir, eager, batch, length)
        out, want = compiled(**inputs), eager(**inputs)
        assert compiled._weight_first == (batch * length <= WEIGHT_FIRST_ROWS)
        torch.testing.assert_close(out.last_hidden_state, want.last_hidden_state, atol=ATOL, rtol=0)
    # compiled here or found in the test cache: two artifacts served all four calls
    assert compiled.aot.compiled + compiled.aot.loaded == 2
