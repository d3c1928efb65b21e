"""archgen's packed GEMM (runtime/packed.py, runtime/kernels/packed_gemm.cpp): the kernel
against ``F.linear`` on drawn shapes (partial panels and tiles, more depth than one pass,
more rows than one block), which layers ``load`` packs, and that a packed model keeps the
checkpoint's layout in its state dict and ``save_pretrained``.

Whole models with packed layers are compared with the reference by the equivalence,
compile and batching tests: every fp32 model that does not generate packs its layers."""

from __future__ import annotations

import platform

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from support import arch, save

import archgen
from archgen.runtime.packed import PackedLinear, kernels_available, unpack
from archgen.runtime.reference import build_reference

X86_AVX2 = platform.machine() == "x86_64" and torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")


def test_the_kernel_runs_on_this_machine() -> None:
    """On an x86-64 CPU with AVX2 the kernel must build and load: the tests below would
    otherwise skip, and CI runs on such a machine."""
    available, why = kernels_available()
    if not X86_AVX2:
        pytest.skip(f"the kernel is for x86-64 with AVX2 ({why})")
    assert available, why


needs_kernel = pytest.mark.skipif(not kernels_available()[0], reason=kernels_available()[1])


@needs_kernel
@given(
    rows=st.integers(1, 300),
    n_in=st.integers(0, 200),
    n_out=st.integers(1, 100),
    lead=st.sampled_from([(), (2,), (2, 3)]),
    bias=st.booleans(),
)
@example(rows=128, n_in=1700, n_out=48, lead=(), bias=True)  # more depth than one pass (KC = 768)
@example(rows=400, n_in=64, n_out=40, lead=(), bias=False)  # more rows than one block (MC = 192)
@example(rows=1, n_in=768, n_out=768, lead=(1,), bias=True)
@example(rows=5, n_in=0, n_out=20, lead=(2,), bias=True)  # no depth: the output is the bias
def test_packed_linear_equals_linear(rows: int, n_in: int, n_out: int, lead: tuple, bias: bool) -> None:
    gen = torch.Generator().manual_seed(rows * 100_003 + n_in * 101 + n_out)
    layer = torch.nn.Linear(n_in, n_out, bias=bias)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(n_out, n_in, generator=gen))
        if bias:
            layer.bias.copy_(torch.randn(n_out, generator=gen))
    x = torch.randn(*lead, rows, n_in, generator=gen)
    packed = PackedLinear(layer.weight, layer.bias)
    assert torch.equal(packed.weight, layer.weight)  # packing loses nothing
    with torch.no_grad():
        want = layer(x)
        got = packed(x)
    assert got.shape == want.shape and got.is_contiguous()
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5 * n_in**0.5)


@needs_kernel
def test_packed_linear_reads_strided_inputs_and_rejects_bad_ones() -> None:
    layer = torch.nn.Linear(32, 20)
    packed = PackedLinear(layer.weight, layer.bias)
    x = torch.randn(40, 7)[:, :, None].expand(40, 7, 32).transpose(0, 1)  # not contiguous
    with torch.no_grad():
        torch.testing.assert_close(packed(x), layer(x), rtol=1e-5, atol=1e-5)
    with pytest.raises(RuntimeError, match="does not end in 32"):
        torch.ops.archgen.packed_linear(torch.randn(3, 31), packed.packed, None, 20)
    with pytest.raises(RuntimeError, match="does not hold 40 features"):
        torch.ops.archgen.packed_linear(torch.randn(3, 32), packed.packed, None, 40)


def _model(head: str, **load):
    ir = arch("xlm_roberta")
    config = {"vocab_size": 99, "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4}
    config |= {"num_hidden_layers": 1, "max_position_embeddings": 40, "num_labels": 3}
    reference = build_reference(ir, ir.head(head), config)
    return reference, archgen.load(save(reference), **load)


def _packed(model) -> set[str]:
    return {name for name, m in model.module.named_modules() if isinstance(m, PackedLinear)}


@needs_kernel
def test_which_layers_load_packs() -> None:
    # The classifier's 64 -> 3 projection is too narrow to pack; everything else is packed.
    _, model = _model("sequence_classification")
    layers = {"backbone.layers.0.attn.qkv", "backbone.layers.0.attn.o", "backbone.layers.0.ffn.up"}
    assert _packed(model) == layers | {"backbone.layers.0.ffn.down", "dense"}
    # The masked LM's decoder shares the word embedding: not packed (its transform is).
    _, mlm = _model("masked_lm")
    assert "dense" in _packed(mlm) and "decoder" not in _packed(mlm)
    assert type(mlm.module.decoder) is torch.nn.Linear
    # Generating heads, other dtypes and int8 keep their layers.
    assert _packed(_model("causal_lm")[1]) == set()
    assert _packed(_model("sequence_classification", dtype="bfloat16")[1]) == set()
    assert _packed(_model("sequence_classification", quantize="int8")[1]) == set()


def test_packing_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHGEN_PACKED_GEMM", "0")
    assert kernels_available() == (False, "ARCHGEN_PACKED_GEMM=0")
    assert _packed(_model("sequence_classification")[1]) == set()


@needs_kernel
def test_a_packed_model_keeps_the_checkpoint_layout(tmp_path) -> None:
    reference, model = _model("sequence_classification")
    state = model.state_dict()
    assert "backbone.layers.0.ffn.up.weight" in state and not any(k.endswith("packed") for k in state)
    want = reference.state_dict()["roberta.encoder.layer.0.intermediate.dense.weight"]
    assert torch.equal(state["backbone.layers.0.ffn.up.weight"], want)
    # load_state_dict packs what it is given.
    layer = model.module.get_submodule("backbone.layers.0.ffn.up")
    layer.load_state_dict({"weight": torch.zeros_like(want), "bias": layer.bias.detach().clone()})
    assert torch.equal(unpack(layer.packed, layer.out_features), torch.zeros_like(want))
    # save_pretrained writes the reference's names and layout.
    _, fresh = _model("sequence_classification")
    fresh.save_pretrained(tmp_path)
    again = archgen.load(tmp_path)
    for name, tensor in fresh.state_dict().items():
        assert torch.equal(again.state_dict()[name], tensor), name
