"""Every RoBERTa-family architecture x head against the reference, on drawn configs and inputs.

The reference is a `transformers` model built from the drawn config with a
fixed seed and saved with ``save_pretrained``; archgen loads that directory.
Outputs (including every hidden state) and losses must agree within 1e-5 in
fp32, against both the eager and the sdpa attention of the reference.

Against sdpa, per-token outputs are compared at real (unmasked) tokens only:
a left-padded query of a causal model has no key to attend to, and there the
reference's two attention paths disagree with each other (eager averages all
keys, sdpa un-masks the row). archgen follows eager, which is checked everywhere.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from support import (
    HEADS,
    ROBERTA_FAMILY,
    compare,
    labels_for,
    padded_batch,
    reference_pair,
    roberta_configs,
    save,
)

import archgen


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("arch", ROBERTA_FAMILY)
@given(data=st.data())
def test_matches_reference(arch: str, head: str, data) -> None:
    from support import arch as load_ir

    head_ir = load_ir(arch).head(head)
    config = data.draw(roberta_configs(head_ir), label="config")
    _, _, ref = reference_pair(arch, head, config, attn="eager")
    _, _, ref_sdpa = reference_pair(arch, head, config, attn="sdpa")
    model = archgen.load(save(ref))
    max_len = config["max_position_embeddings"] - config["pad_token_id"] - 1
    inputs = data.draw(
        padded_batch(
            config["vocab_size"], config["pad_token_id"], min(max_len, 16), config["type_vocab_size"]
        ),
        label="inputs",
    )
    gen = torch.Generator().manual_seed(data.draw(st.integers(0, 2**31 - 1), label="seed"))
    if head == "multiple_choice":
        choices = data.draw(st.integers(2, 3), label="choices")
        inputs = {k: v[:, None].repeat(1, choices, 1) for k, v in inputs.items()}
        inputs["input_ids"] = torch.where(
            inputs["attention_mask"] == 1,
            (inputs["input_ids"] + torch.arange(choices)[None, :, None]) % config["vocab_size"],
            inputs["input_ids"],
        )
        inputs["input_ids"] = torch.where(
            (inputs["input_ids"] == config["pad_token_id"]) & (inputs["attention_mask"] == 1),
            (config["pad_token_id"] + 1) % config["vocab_size"],
            inputs["input_ids"],
        )
    if head == "causal_lm" and config["add_cross_attention"]:
        b = inputs["input_ids"].shape[0]
        s = data.draw(st.integers(1, 6), label="encoder_len")
        inputs["encoder_hidden_states"] = torch.randn(b, s, config["hidden_size"], generator=gen)
        enc_mask = torch.ones(b, s, dtype=torch.long)
        enc_mask[:, s - data.draw(st.integers(0, s - 1), label="encoder_pad") :] = 0 if s > 1 else 1
        inputs["encoder_attention_mask"] = enc_mask
    inputs.update(labels_for(head_ir, config, inputs, gen))
    with torch.no_grad():
        expected = ref(**inputs, output_hidden_states=True)
        expected_sdpa = ref_sdpa(**inputs, output_hidden_states=True)
    ours = model(**inputs, output_hidden_states=True)
    assert set(ours) >= {
        k
        for k in ("logits", "last_hidden_state", "start_logits", "loss")
        if getattr(expected, k, None) is not None
    }
    compare(ours, expected, "eager")
    compare(ours, expected_sdpa, "sdpa", real_tokens=inputs["attention_mask"])


@pytest.mark.parametrize("swap", ["query and value biases", "a layer's two norms"])
def test_the_comparisons_see_a_swapped_bias_or_norm(swap: str) -> None:
    """`transformers` initialises biases to zero and norm weights to one; the reference's are
    drawn instead (runtime/reference.py, ``_draw_vectors``), so a load that put one bias or
    norm in another's place would fail the comparisons above. Here one is swapped by hand
    in a loaded model, and its output leaves the reference's by far more than the tolerance."""
    config = {"num_hidden_layers": 2, "num_attention_heads": 2, "hidden_size": 16}
    config |= {"intermediate_size": 32, "vocab_size": 50, "max_position_embeddings": 40}
    _, _, ref = reference_pair("xlm_roberta", "base", config)
    model = archgen.load(save(ref))
    ids = torch.randint(3, 50, (2, 9), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = ref(input_ids=ids).last_hidden_state
        torch.testing.assert_close(model(ids)["last_hidden_state"], want, rtol=0, atol=1e-5)
        layer = model.module.backbone.layers[0]
        if swap == "query and value biases":
            bias = layer.attn.qkv.bias  # query, key, value: 16 each
            bias[:] = torch.cat([bias[32:], bias[16:32], bias[:16]])
        else:
            a, b = layer.attn_norm, layer.ffn_norm
            a.weight[:], b.weight[:] = b.weight.clone(), a.weight.clone()
            a.bias[:], b.bias[:] = b.bias.clone(), a.bias.clone()
        assert (model(ids)["last_hidden_state"] - want).abs().max() > 1e-3
