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
