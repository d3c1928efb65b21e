"""MobileBERT against the reference: every head, every structural switch of its config.json.

The switches (normalization_type, trigram_input, use_bottleneck,
use_bottleneck_attention, key_query_shared_bottleneck, num_feedforward_networks,
classifier_activation, embedding_size vs hidden_size, tie_word_embeddings) are
drawn, not fixed at their defaults, so every combination the reference accepts
is exercised; the one it rejects gets a validation error naming the knobs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch._dynamo
from hypothesis import given
from hypothesis import strategies as st
from support import arch, assert_compiles, assert_round_trip, compare, labels_for, padded_batch, save

import archgen
from archgen.runtime.reference import build_reference

HEADS = [h.name for h in arch("mobilebert").heads]


@st.composite
def mobilebert_configs(draw, head: str) -> dict:
    heads = draw(st.integers(1, 4))
    hidden = heads * draw(st.integers(4, 12))
    use_bottleneck = draw(st.booleans())
    from_bottleneck = draw(st.booleans())
    shared_qk = draw(st.booleans())
    # The reference needs queries/keys sized like their input when the bottleneck
    # feeds neither of them: then the bottleneck must be as wide as the model.
    full_width_qk = use_bottleneck and not from_bottleneck and not shared_qk
    intra = hidden if full_width_qk else heads * draw(st.integers(2, 8))
    cfg = {
        "num_hidden_layers": draw(st.integers(1, 3)),
        "num_attention_heads": heads,
        "hidden_size": hidden,
        "intra_bottleneck_size": intra,
        "embedding_size": draw(st.integers(4, hidden)),
        "intermediate_size": draw(st.integers(4, 48)),
        "vocab_size": draw(st.integers(30, 300)),
        "max_position_embeddings": 32,
        "type_vocab_size": draw(st.integers(1, 3)),
        "layer_norm_eps": draw(st.sampled_from([1e-12, 1e-6])),
        "pad_token_id": draw(st.integers(0, 2)),
        "num_feedforward_networks": draw(st.integers(1, 3)),
        "normalization_type": draw(st.sampled_from(["no_norm", "layer_norm"])),
        "trigram_input": draw(st.booleans()),
        "use_bottleneck": use_bottleneck,
        "use_bottleneck_attention": from_bottleneck,
        "key_query_shared_bottleneck": shared_qk,
        "classifier_activation": draw(st.booleans()),
        "num_labels": 2 if head == "question_answering" else draw(st.integers(2, 4)),
    }
    if head in ("masked_lm", "pretraining"):
        cfg["tie_word_embeddings"] = draw(st.booleans())
    return cfg


@pytest.mark.parametrize("head", HEADS)
@given(data=st.data())
def test_matches_reference(head: str, data) -> None:
    ir = arch("mobilebert")
    head_ir = ir.head(head)
    config = data.draw(mobilebert_configs(head), label="config")
    ref = build_reference(ir, head_ir, config, attn_implementation="eager")
    ref_sdpa = build_reference(ir, head_ir, config, attn_implementation="sdpa")
    model = archgen.load(save(ref))
    inputs = data.draw(
        padded_batch(config["vocab_size"], config["pad_token_id"], 16, config["type_vocab_size"]),
        label="inputs",
    )
    if head_ir.spec.choices:
        inputs = {k: v[:, None].repeat(1, 2, 1) for k, v in inputs.items()}
    gen = torch.Generator().manual_seed(data.draw(st.integers(0, 2**31 - 1), label="seed"))
    inputs.update(labels_for(head_ir, config, inputs, gen))
    with torch.no_grad():
        expected = ref(**inputs, output_hidden_states=True)
        expected_sdpa = ref_sdpa(**inputs, output_hidden_states=True)
    ours = model(**inputs, output_hidden_states=True)
    if head_ir.spec.loss != "none":
        assert "loss" in ours and getattr(expected, "loss", None) is not None
    compare(ours, expected, "eager")
    compare(ours, expected_sdpa, "sdpa", real_tokens=inputs["attention_mask"])


#: The heads compiled in the default suite: the pre-training head (the backbone with both
#: pre-training outputs) and multiple choice (its reshaped choices); the others add one linear
#: layer each and run in `make test-slow` (each compile costs 15-21 s with cold caches).
DEFAULT_COMPILES = ("pretraining", "multiple_choice")


@pytest.mark.parametrize(
    "head", [pytest.param(h, marks=() if h in DEFAULT_COMPILES else pytest.mark.slow) for h in HEADS]
)
def test_compiles_without_breaks_or_recompiles(head: str) -> None:
    ir = arch("mobilebert")
    assert_compiles(ir, ir.head(head))


SWITCHED = {
    "default": {},
    "layer_norm, no bottleneck": {"normalization_type": "layer_norm", "use_bottleneck": False},
    "unused shared q/k bottleneck": {"use_bottleneck_attention": True, "key_query_shared_bottleneck": True},
    "unused embedding transform": {"trigram_input": False, "embedding_size": 64},
    "no pooler dense, untied": {"classifier_activation": False, "tie_word_embeddings": False},
}


@pytest.mark.parametrize("switches", list(SWITCHED), ids=list(SWITCHED))
@pytest.mark.parametrize("head", ["masked_lm", "pretraining", "sequence_classification"])
def test_save_reload_bitwise(head: str, switches: str, tmp_path: Path) -> None:
    ir = arch("mobilebert")
    assert_round_trip(save(build_reference(ir, ir.head(head), SWITCHED[switches])), tmp_path)


def test_a_combination_the_reference_rejects_is_a_validation_error() -> None:
    ir = arch("mobilebert")
    bad = {"use_bottleneck": True, "use_bottleneck_attention": False, "key_query_shared_bottleneck": False}
    with pytest.raises(RuntimeError):  # the reference cannot run it
        ref = build_reference(ir, ir.head("base"), bad)
        ref(input_ids=torch.tensor([[5, 6, 7]]))
    # build it with equal sizes (which the reference accepts), then claim a narrower bottleneck
    ref = build_reference(ir, ir.head("base"), {**bad, "intra_bottleneck_size": 64})
    directory = save(ref)
    config = (
        (directory / "config.json")
        .read_text()
        .replace('"intra_bottleneck_size": 64', '"intra_bottleneck_size": 32')
    )
    (directory / "config.json").write_text(config)
    with pytest.raises(ValueError, match="use_bottleneck_attention nor key_query_shared_bottleneck"):
        archgen.load(directory)


def test_an_unknown_normalization_type_names_the_knob() -> None:
    ir = arch("mobilebert")
    directory = save(build_reference(ir, ir.head("base")))
    config = (directory / "config.json").read_text().replace('"no_norm"', '"batch_norm"')
    (directory / "config.json").write_text(config)
    with pytest.raises(ValueError, match="normalization_type='batch_norm' is not a value norm.kind handles"):
        archgen.load(directory)
