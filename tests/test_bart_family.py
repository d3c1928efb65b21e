"""The BART family from user specs (tests/fixtures): BART, mBART, PLBART, MVP and Blenderbot.

Each is a spec outside specs/ that the encoder-decoder knobs express: a decoder with its own
embeddings (`decoder.embeddings: own`), a learned bias row on the LM logits (a `bias` head
layer), the decoder input shifted behind each row's last kept token (`decoder.shift:
last_kept`), and config.json's forced first and last tokens in generation. Every head is
compared with `transformers` on drawn configs and inputs (float64, as the T5 family's: see
FLOAT64 in support_t5), generation with the reference's `generate`, and every checkpoint is
exported again bitwise.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch._dynamo
from hypothesis import given
from hypothesis import strategies as st
from support import arch, assert_exports_as_read, save, spec_path
from support_t5 import (
    assert_generates_as_reference,
    assert_matches_both,
    bart_stacks,
    draw_seq2seq_inputs,
    three_prompts,
)

import archgen
from archgen.runtime.reference import build_reference

#: The family's specs; each row names what its config draws differently.
FAMILY = [
    "bart",
    "mbart",
    "plbart",
    "mvp",
    "blenderbot",
    "blenderbot_small",
    "marian",
    "pegasus",
    "m2m_100",
    "bigbird_pegasus",
]


def _heads(name: str) -> list[str]:
    return [head.name for head in arch(name).heads]


CASES = [(name, head) for name in FAMILY for head in _heads(name)]


@st.composite
def bart_configs(draw, name: str, head: str) -> dict:
    """Small configs over the knobs config.json sets: widths, layer counts, special ids (below 4,
    which drawn inputs never hold but where placed), scaled embeddings, tying, the activation."""
    # M2M100's computed table needs 4 features (it is refused below, as its reference fails)
    cfg = bart_stacks(draw, 4 if name == "m2m_100" else 1)
    eos = draw(st.sampled_from([2, 3]))
    cfg |= {
        "vocab_size": draw(st.integers(30, 200)),
        "pad_token_id": draw(st.sampled_from([0, 1])),
        "bos_token_id": 0,
        "eos_token_id": eos,
        "decoder_start_token_id": draw(st.sampled_from([eos, 0])),
        "scale_embedding": draw(st.booleans()),
        "activation_function": draw(st.sampled_from(["gelu", "relu", "swish", "gelu_new"])),
        "tie_word_embeddings": draw(st.booleans()) if head == "conditional_generation" else True,
        "num_labels": 2 if head.endswith("question_answering") else draw(st.integers(1, 5)),
        "dropout": 0.0,
        "attention_dropout": 0.0,
    }
    if name == "bigbird_pegasus":  # every attention projection's bias, switched; its default block-sparse
        # attention, which its reference runs as full attention at these lengths, or full attention
        cfg["use_bias"] = draw(st.booleans())
        cfg["attention_type"] = draw(st.sampled_from(["block_sparse", "original_full"]))
    if head == "seq2seq_classification":
        cfg["problem_type"] = draw(
            st.sampled_from([None, "regression", "single_label_classification", "multi_label_classification"])
        )
        if cfg["problem_type"] == "regression":
            cfg["num_labels"] = draw(st.integers(1, 3))
        elif cfg["problem_type"] is not None:
            cfg["num_labels"] = draw(st.integers(2, 5))
    return cfg


def _reference(name: str, head: str, config: dict, *, attn: str = "eager", seed: int = 0):
    """The reference model. Untied (`tie_word_embeddings: false`), `transformers` 5 also unties the
    stacks' word tables from `shared`; both stacks then read `shared` again, as BART's checkpoints
    are made (one word table; the LM head alone has its own)."""
    ir = arch(name)
    model = build_reference(ir, ir.head(head), config, seed=seed, attn_implementation=attn)
    for part in (model.get_encoder(), model.get_decoder()):
        part.embed_tokens = model.base_model.shared
    return model


@pytest.mark.parametrize(("name", "head"), CASES)
@given(data=st.data())
def test_matches_reference(name: str, head: str, data) -> None:
    config = data.draw(bart_configs(name, head), label="config")
    ref = _reference(name, head, config).double()
    # MVP's and BigBird-Pegasus's references have no sdpa path: their eager one stands in for both
    eager_only = name in ("mvp", "bigbird_pegasus")
    ref_sdpa = _reference(name, head, config, attn="eager" if eager_only else "sdpa").double()
    model = archgen.load(save(ref), dtype=torch.float64, spec=spec_path(name))
    if head == "conditional_generation":
        tied = model.module.lm_head.weight is model.module.backbone.encoder.embeddings.word.weight
        assert tied == config["tie_word_embeddings"]
    inputs = draw_seq2seq_inputs(data, config, head)
    if head == "conditional_generation" and arch(name).spec.decoder.shift == "last_kept":
        inputs["labels"][:, -1] = config["eos_token_id"]  # the decoder starts with it: kept in every row
    assert_matches_both(model, ref, ref_sdpa, inputs)


#: Forced tokens: none; eos last (BART's config.json); eos last and bos first (mBART-50's
#: generation_config.json, where `transformers` 5 keeps a forced bos).
GENERATION = [(None, None), (2, None), (2, 7)]


@pytest.mark.parametrize("forced", range(len(GENERATION)))
@pytest.mark.parametrize("name", FAMILY)
def test_greedy_and_beam_search_equal_the_reference_generate(name: str, forced: int) -> None:
    """Generation equals the reference's `generate`, forced tokens included. Both stacks have two
    layers: the reference's generate sizes its cache from the encoder's layer count."""
    eos, bos = GENERATION[forced]
    config = {"encoder_layers": 2, "decoder_layers": 2, "scale_embedding": True, "forced_eos_token_id": eos}
    ref = _reference(name, "conditional_generation", config, seed=forced)
    ref.generation_config.forced_eos_token_id = eos
    ref.generation_config.forced_bos_token_id = bos
    model = archgen.load(save(ref), spec=spec_path(name))
    ids, mask = three_prompts(forced, ref.config.pad_token_id)
    for got in assert_generates_as_reference(model, ref, ids, mask):  # the start token, then new ones
        if bos is not None and got.shape[1] > 2:
            assert (got[:, 1] == bos).all()  # the forced first token


def test_rows_without_a_token_to_start_the_decoder_are_refused_before_compute() -> None:
    ref = _reference("mbart", "conditional_generation", {})
    model = archgen.load(save(ref), spec=spec_path("mbart"))
    ids, mask = three_prompts(0, 1)
    labels = torch.tensor([[5, 6, 2], [-100, -100, -100], [1, -100, 1]])
    with pytest.raises(archgen.runtime.InputError, match=r"labels rows \[1, 2\] hold only padding"):
        model(ids, mask, labels=labels)


@pytest.mark.parametrize("name", ["bart", "m2m_100"])
def test_decoder_inputs_past_the_position_table_are_refused_before_compute(name: str) -> None:
    """The decoder's own position table bounds its input and the tokens it generates: one past it is
    an InputError before any compute, one within it runs."""
    ref = _reference(name, "conditional_generation", {"max_position_embeddings": 16})
    model = archgen.load(save(ref), spec=spec_path(name))
    ids, mask = three_prompts(0, ref.config.pad_token_id)
    limit = model.max_length
    with pytest.raises(archgen.runtime.InputError, match=f"admits at most {limit}"):
        model(ids, mask, decoder_input_ids=torch.full((3, limit + 1), 5))
    with pytest.raises(archgen.runtime.InputError, match=f"admits {limit} tokens"):
        model.generate(ids, mask, max_new_tokens=limit + 1)
    assert model.generate(ids, mask, max_new_tokens=limit, eos_token_id=-1).shape == (3, limit + 1)
    model(ids, mask, decoder_input_ids=torch.full((3, limit), 5))


def test_forced_tokens_outside_the_vocabulary_are_refused_before_compute() -> None:
    ref = _reference("bart", "conditional_generation", {"forced_eos_token_id": 500})
    model = archgen.load(save(ref), spec=spec_path("bart"))
    ids, mask = three_prompts(0, 1)
    with pytest.raises(archgen.runtime.InputError, match="forced_eos_token_id"):
        model.generate(ids, mask, max_new_tokens=3)


@pytest.mark.parametrize("name", FAMILY)
def test_cached_decoding_reads_the_decoders_own_positions(name: str) -> None:
    """Each cached step reads the decoder's position table at its own slot: the scores equal a
    full recomputation's over the whole decoder input, step by step."""
    ref = _reference(name, "conditional_generation", {"decoder_layers": 3})
    model = archgen.load(save(ref), spec=spec_path(name))
    ids, mask = three_prompts(3, ref.config.pad_token_id)
    cached, scores = model.generate(ids, mask, max_new_tokens=8, eos_token_id=-1, output_scores=True)
    for step in range(8):
        logits = model(ids, mask, decoder_input_ids=cached[:, : step + 1]).logits[:, -1]
        torch.testing.assert_close(scores[step], logits, atol=1e-5, rtol=0, msg=lambda m, s=step: f"{s}: {m}")


@pytest.mark.parametrize(("name", "head"), CASES)
def test_save_reload_bitwise(name: str, head: str, tmp_path: Path) -> None:
    ref = _reference(name, head, {"tie_word_embeddings": head != "conditional_generation"})
    source = save(ref)
    assert_exports_as_read(archgen.load(source, spec=spec_path(name)), source, tmp_path)
    ours, theirs = tmp_path / "generation_config.json", source / "generation_config.json"
    assert ours.exists() == theirs.exists() == (head == "conditional_generation")
    if theirs.exists():  # written back as it was read
        assert json.loads(ours.read_text()) == json.loads(theirs.read_text())
    backbone = archgen.load(tmp_path, spec=spec_path(name)).module.backbone
    assert backbone.decoder.embeddings.word.weight is backbone.encoder.embeddings.word.weight
    assert backbone.decoder.embeddings is not backbone.encoder.embeddings  # positions of its own


def test_decode_step_has_no_graph_breaks() -> None:
    ref = _reference("bart", "conditional_generation", {"decoder_layers": 2})
    model = archgen.load(save(ref), spec=spec_path("bart"))
    module = model.module
    ids, mask = three_prompts(4, 1)
    module.setup_cache(3, 4)
    memory = module.encode(ids, mask)
    inputs = (torch.full((3, 1), 2), torch.ones(3, 4, dtype=torch.long), torch.tensor([0]), memory, mask)
    explanation = torch._dynamo.explain(module.decode)(*inputs)
    assert explanation.graph_break_count == 0, explanation.break_reasons


def test_config_json_picks_the_ffn_activation() -> None:
    """`activation_function` picks the FFN (a variant each). gelu and its tanh approximation differ by
    too little for the drawn models to tell apart, so each FFN is compared with the reference's
    `fc2(act(fc1(x)))` here, on inputs large enough to separate them."""
    x = torch.randn(2, 5, 32, generator=torch.Generator().manual_seed(0)) * 30
    for value, cls in (
        ("gelu", "GeluFFN"),
        ("relu", "ReluFFN"),
        ("swish", "SwishFFN"),
        ("gelu_new", "GeluNewFFN"),
    ):
        ref = _reference("bart", "seq2seq_model", {"activation_function": value})
        model = archgen.load(save(ref), spec=spec_path("bart"))
        ffn = model.module.backbone.encoder.layers[0].ffn
        assert type(ffn).__name__ == cls
        theirs = ref.get_encoder().layers[0]
        with torch.no_grad():
            expected = theirs.fc2(theirs.activation_fn(theirs.fc1(x)))
            torch.testing.assert_close(
                ffn(x), expected, atol=1e-5, rtol=1e-5, msg=lambda m, v=value: f"{v}: {m}"
            )
    ref = _reference("bart", "seq2seq_model", {"activation_function": "quick_gelu"})
    with pytest.raises(ValueError, match="quick_gelu"):
        archgen.load(save(ref), spec=spec_path("bart"))
