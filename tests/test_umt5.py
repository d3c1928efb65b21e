"""UMT5 and mT5 from specs: every head against the reference, weights round trip, input checks.

The two specs differ in one knob (`attention.relative_bias.per_layer`): UMT5 has a bias
table in every layer, mT5 only in layer 0, shared by the stack. Configs and inputs are
drawn (hypothesis, `ci` profile); outputs (every hidden state included) and losses must
agree with the eager and the sdpa reference within 1e-5 in fp32.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from safetensors.torch import load_file, save_file
from support import arch, save, spec_path
from support_t5 import (
    ATOL,
    T5_ARCHS,
    T5_HEADS,
    assert_matches_both,
    compare_seq2seq,
    draw_seq2seq_inputs,
    t5_batch,
    t5_configs,
    t5_reference,
)

import archgen
from archgen.compiler.errors import SpecError
from archgen.compiler.lower import load_arch
from archgen.runtime import CheckpointError, InputError
from archgen.runtime.model import _generated_module


@pytest.mark.parametrize("head", T5_HEADS)
@pytest.mark.parametrize("name", T5_ARCHS)
@given(data=st.data())
def test_matches_reference(name: str, head: str, data) -> None:
    config = data.draw(t5_configs(head), label="config")
    # float64 (see FLOAT64 above): reference and archgen alike, so 1e-5 is a strict bound
    ref = t5_reference(name, head, config).double()
    ref_sdpa = t5_reference(name, head, config, attn="sdpa").double()
    model = archgen.load(save(ref), dtype=torch.float64, spec=spec_path(name))
    assert_matches_both(model, ref, ref_sdpa, draw_seq2seq_inputs(data, config, head))


@pytest.mark.parametrize("name", T5_ARCHS)
@given(data=st.data())
def test_untied_lm_head_matches_reference(name: str, data) -> None:
    """Untied, the LM head has its own weight and (UMT5) no scaling; the embedding stays shared."""
    config = data.draw(t5_configs("conditional_generation"), label="config")
    ref = t5_reference(name, "conditional_generation", config, tie=False).double()
    ref_sdpa = t5_reference(name, "conditional_generation", config, tie=False, attn="sdpa").double()
    model = archgen.load(save(ref), dtype=torch.float64, spec=spec_path(name))
    assert model.module.lm_head.weight is not model.module.backbone.encoder.embeddings.word.weight
    inputs = data.draw(t5_batch(config), label="inputs")
    b = inputs["input_ids"].shape[0]
    inputs["labels"] = torch.randint(
        0, config["vocab_size"], (b, 5), generator=torch.Generator().manual_seed(1)
    )
    with torch.no_grad():
        expected, expected_sdpa = ref(**inputs), ref_sdpa(**inputs)
    compare_seq2seq(model(**inputs), expected, expected_sdpa, "untied")


# --------------------------------------------------------------- the bucket function


@pytest.mark.parametrize("name", T5_ARCHS)
def test_precomputed_buckets_equal_the_reference_bucket_function(name: str) -> None:
    """Every relative position, far beyond max_distance, falls in the reference's bucket."""
    from transformers.models.t5.modeling_t5 import T5Attention

    generated = _generated_module(arch(name))  # a user spec's is compiled in memory
    sizes = {"vocab_size": 10, "hidden_size": 4, "num_heads": 1, "head_dim": 2, "num_layers": 1}
    sizes |= {"num_decoder_layers": 1, "intermediate_size": 4, "pad_token_id": 0, "eos_token_id": 1}
    sizes |= {"decoder_start_token_id": 0, "eps": 1e-6, "num_labels": 2, "ffn_variant": "relu"}
    sizes |= {f.name: True for f in dataclasses.fields(generated.Config) if f.type == "bool"}  # t5's flags
    relative = torch.arange(-1000, 1001)
    for buckets in (4, 5, 8, 32, 33):
        for distance in (buckets // 2 + 1, buckets, 128):
            config = generated.Config(num_buckets=buckets, max_distance=distance, **sizes)
            for causal in (False, True):
                expected = T5Attention._relative_position_bucket(
                    relative, bidirectional=not causal, num_buckets=buckets, max_distance=distance
                )
                stack = generated.Backbone(config, causal=causal)
                got = stack.relative_buckets(1, 2001, torch.tensor([1000]))[0]  # keys 0..2000, query 1000
                assert torch.equal(got, expected), (buckets, distance, causal)


# --------------------------------------------------------------- weights


def _variants():
    for name in T5_ARCHS:
        for head in T5_HEADS:
            yield name, head, "default"
        yield name, "conditional_generation", "untied"
        yield name, "seq2seq_model", "relu"
        yield name, "encoder_model", "relu"


@pytest.mark.parametrize(("name", "head", "variant"), list(_variants()))
def test_save_reload_bitwise(name: str, head: str, variant: str, tmp_path: Path) -> None:
    config = {"feed_forward_proj": "relu"} if variant == "relu" else {}
    ref = t5_reference(name, head, config, tie=variant != "untied")
    source = save(ref)
    model = archgen.load(source, spec=spec_path(name))
    model.save_pretrained(tmp_path)

    ours, theirs = load_file(tmp_path / "model.safetensors"), load_file(source / "model.safetensors")
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        assert torch.equal(ours[key], theirs[key]), key
    assert json.loads((tmp_path / "config.json").read_text())["architectures"] == [
        arch(name).head(head).class_name
    ]

    again = archgen.load(tmp_path, spec=spec_path(name))
    a, b = model.state_dict(), again.state_dict()
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    backbone = again.module.backbone
    if hasattr(backbone, "decoder"):
        assert backbone.decoder.embeddings.word.weight is backbone.encoder.embeddings.word.weight
    if head == "conditional_generation":
        tied = again.module.lm_head.weight is backbone.encoder.embeddings.word.weight
        assert tied == (variant != "untied")


def test_relu_ffn_is_chosen_at_construction() -> None:
    for proj, cls in (("relu", "ReluFFN"), ("gated-gelu", "GatedGeluFFN")):
        model = archgen.load(save(t5_reference("umt5", "encoder_model", {"feed_forward_proj": proj})))
        assert type(model.module.backbone.layers[0].ffn).__name__ == cls


def test_tied_copies_in_a_checkpoint_are_accepted_when_equal(tmp_path: Path) -> None:
    """Older checkpoints carry encoder/decoder.embed_tokens; equal copies load, a differing one is an error."""
    ref = t5_reference("umt5", "conditional_generation", {})
    source = save(ref)
    tensors = load_file(source / "model.safetensors")
    tensors["encoder.embed_tokens.weight"] = tensors["shared.weight"].clone()
    tensors["decoder.embed_tokens.weight"] = tensors["shared.weight"].clone()
    tensors["decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight"] = torch.zeros(16, 4)
    (tmp_path / "config.json").write_text((source / "config.json").read_text())
    save_file(tensors, str(tmp_path / "model.safetensors"), metadata={"format": "pt"})
    ids = torch.tensor([[5, 6, 7, 1]])
    labels = torch.tensor([[8, 9, 1]])
    with torch.no_grad():
        expected = ref(input_ids=ids, labels=labels).logits
    torch.testing.assert_close(archgen.load(tmp_path)(ids, labels=labels).logits, expected, atol=ATOL, rtol=0)
    for key in ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight"):
        bad = dict(tensors)
        bad[key] = bad[key] + 1
        save_file(bad, str(tmp_path / "model.safetensors"), metadata={"format": "pt"})
        with pytest.raises(CheckpointError, match=f"tied copies that differ.*{key}"):
            archgen.load(tmp_path)


# --------------------------------------------------------------- inputs and configs


@pytest.fixture(scope="module")
def classifier():
    return archgen.load(save(t5_reference("umt5", "seq2seq_classification", {})))


def test_sequence_classification_needs_equal_eos_counts(classifier) -> None:
    ok = torch.tensor([[5, 6, 1, 0], [7, 1, 0, 0]])
    assert classifier(ok, (ok != 0).long()).logits.shape == (2, 2)
    with pytest.raises(
        InputError, match=r"same number of eos tokens \(1\), as the reference requires; got \[2, 1\]"
    ):
        classifier(torch.tensor([[1, 6, 1, 0], [7, 1, 0, 0]]))
    with pytest.raises(InputError, match=r"rows \[1\] have none"):
        classifier(torch.tensor([[5, 6, 1, 0], [7, 8, 0, 0]]))


def test_decoder_inputs_are_checked_before_compute() -> None:
    model = archgen.load(save(t5_reference("umt5", "seq2seq_model", {})))
    ids = torch.tensor([[5, 6, 1]])
    with pytest.raises(InputError, match="needs decoder_input_ids"):
        model(ids)
    with pytest.raises(InputError, match=r"decoder_input_ids must lie in \[0, 99\)"):
        model(ids, decoder_input_ids=torch.tensor([[0, 120]]))
    with pytest.raises(InputError, match="decoder_attention_mask has shape"):
        model(ids, decoder_input_ids=torch.tensor([[0, 5]]), decoder_attention_mask=torch.ones(1, 3))
    lm = archgen.load(save(t5_reference("umt5", "conditional_generation", {})))
    with pytest.raises(InputError, match="pass decoder_input_ids or labels"):
        lm(ids)
    with pytest.raises(InputError, match=r"labels must lie in \[0, 99\) or be -100"):
        lm(ids, labels=torch.tensor([[3, 99]]))


def test_configs_the_spec_cannot_build_are_rejected(tmp_path: Path) -> None:
    source = save(t5_reference("umt5", "encoder_model", {}))
    config = json.loads((source / "config.json").read_text())
    for change, message in (
        (
            {"feed_forward_proj": "gated-silu"},
            "feed_forward_proj='gated-silu' selects no FFN variant.*gated-gelu, relu",
        ),
        ({"relative_attention_max_distance": 4}, "relative_attention_max_distance=4 must exceed the 4 exact"),
    ):
        (tmp_path / "model.safetensors").write_bytes((source / "model.safetensors").read_bytes())
        (tmp_path / "config.json").write_text(json.dumps({**config, **change}))
        with pytest.raises(ValueError, match=message):
            archgen.load(tmp_path)


# --------------------------------------------------------------- the spec language


def _spec(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("spec_version: 1\nname: bad\nextends: umt5\ntitle: Bad\nmodel_types: [bad]\n" + body)
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("ffn: {kind: dense, activation: relu}\n", "must describe the default variant 'gated-gelu'"),
        (
            "sizes: {ffn_variant: {config: feed_forward_proj, default: gelu, kind: str}}\n",
            "picks no FFN variant",
        ),
        (
            "ffn: {variants: {relu: {kind: dense, activation: relu, keys: {ffn.gate: x}}}}\n",
            "has no slot 'ffn.gate'",
        ),
        ("decoder: {keys: {cross_norm: null}}\n", "no checkpoint key for decoder slot 'cross_norm'"),
        ("decoder: {keys: {croos.q: x}}\n", "unknown decoder slot 'croos.q'"),
        ("decoder: null\n", "runs an encoder-decoder, but the spec has no 'decoder' section"),
        ("heads: {causal_lm: }\n", "offers its decoder through 'encoder_decoder' heads"),
        ("attention: {relative_bias: {num_buckets: buckets}}\n", "unknown size symbol 'buckets'"),
        (
            "heads: {conditional_generation: {layers: [{op: lm_decoder, name: lm_head}], keys: {lm_head: x}}}\n",
            "of an 'encoder_decoder' head has no bias",
        ),
        (
            "heads: {conditional_generation: {layers: [{op: lm_decoder, name: lm_head, bias: false, "
            "scale_when: eps}]}}\n",
            "'scale_when' names a bool size symbol",
        ),
        (
            "heads: {conditional_generation: {layers: [{op: lm_decoder, name: lm_head, bias: false, "
            "scale_when: tie, scale_when_tied: true}]}}\nsizes: {tie: {value: true, kind: bool}}\n",
            "give 'scale_when' or 'scale_when_tied', not both",
        ),
        (
            "heads: {conditional_generation: {layers: [{op: lm_decoder, name: lm_head, bias: false, "
            "scale_when: scale_decoder_output}]}}\n",
            "unknown size symbol 'scale_decoder_output'",
        ),
        (
            "heads: {seq2seq_classification: {input: last_token}}\n",
            "'last_token' reads the backbone's output",
        ),
        (
            "embeddings: {position: {kind: rotary}}\n",
            "rotary positions and a relative position bias are two position schemes",
        ),
        ("attention: {num_kv_heads: num_heads}\n", "grouped-query attention: built for plain"),
    ],
)
def test_bad_seq2seq_specs_are_reported(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load_arch(_spec(tmp_path, body))


def test_shared_bias_is_one_table_in_layer_zero() -> None:
    ir = arch("mt5")
    model = archgen.load(save(t5_reference("mt5", "seq2seq_model", {})))
    backbone = model.module.backbone
    assert not hasattr(backbone.encoder.layers[0].attn, "relative_bias")
    assert backbone.encoder.relative_bias.weight.shape == (16, 4)
    keys = [e["key"] for e in model.plan.entries if "relative_attention_bias" in e.get("key", "")]
    assert keys == [
        "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
        "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
        "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight",  # ignored
    ]
    assert ir.spec.attention.relative_bias.per_layer is False


def test_bf16_keeps_the_norm_in_fp32() -> None:
    """RMSNorm squares and scales in fp32, then casts back: bitwise the reference's in bf16; a whole bf16
    model stays as close to the fp32 reference as the reference's own bf16 run does."""
    from transformers.models.umt5.modeling_umt5 import UMT5LayerNorm

    from archgen.generated.umt5 import RMSNorm

    x = (torch.randn(4, 9, 32, generator=torch.Generator().manual_seed(0)) * 30).bfloat16()
    ref_norm, norm = UMT5LayerNorm(32, 1e-6), RMSNorm(32, 1e-6)
    with torch.no_grad():
        norm.weight.copy_(torch.linspace(-2, 2, 32))
        ref_norm.weight.copy_(norm.weight)
    assert torch.equal(norm.bfloat16()(x), ref_norm.bfloat16()(x))

    ref = t5_reference("umt5", "conditional_generation", {})
    model = archgen.load(save(ref), dtype=torch.bfloat16)
    ids, labels = torch.randint(4, 99, (2, 7)), torch.randint(4, 99, (2, 5))
    with torch.no_grad():
        expected = ref(input_ids=ids, labels=labels).logits
        ref_bf16 = ref.bfloat16()(input_ids=ids, labels=labels).logits.float()
    ours = model(ids, labels=labels).logits
    assert ours.dtype == torch.bfloat16
    assert (
        float((ours.float() - expected).abs().max()) <= 1.5 * float((ref_bf16 - expected).abs().max()) + 1e-2
    )
