"""FSMT (fairseq's WMT19 translation models) from a user spec (tests/fixtures/fsmt.yaml).

An encoder-decoder whose decoder has a word table of its own (`decoder.vocab`): source and
target vocabularies differ in every drawn config. Both heads are compared with `transformers` in
float32 (its reference builds its causal mask in no other) on drawn configs and inputs (its reference run without its cache: with the cache on, its
default, its decoder attends both ways; see the fixture), generation with the reference's
`generate`, and the checkpoint is exported again bitwise.
"""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from support import arch, assert_exports_as_read, save, spec_path
from support_t5 import assert_generates_as_reference, bart_stacks, compare_seq2seq, t5_batch, three_prompts

import archgen
from archgen.runtime.reference import build_reference

HEADS = ["seq2seq_model", "conditional_generation"]


@st.composite
def fsmt_configs(draw) -> dict:
    """Small configs over what config.json sets: two vocabularies, widths (at least 4: fairseq's
    table divides by `d_model // 2 - 1`), layer counts, scaled words, the activation."""
    return bart_stacks(draw, 4) | {
        "src_vocab_size": draw(st.integers(30, 200)),
        "tgt_vocab_size": draw(st.integers(30, 200)),
        "langs": ["en", "de"],
        "scale_embedding": draw(st.booleans()),
        "activation_function": draw(st.sampled_from(["relu", "gelu"])),
        "dropout": 0.0,
        "attention_dropout": 0.0,
    }


def _reference(head: str, config: dict, seed: int = 0):
    ir = arch("fsmt")
    return build_reference(ir, ir.head(head), config, seed=seed)


@given(data=st.data())
def test_matches_reference(data) -> None:
    head = data.draw(st.sampled_from(HEADS), label="head")
    config = data.draw(fsmt_configs(), label="config")
    ref = _reference(head, config)  # in float32: its causal mask cannot be built in float64
    model = archgen.load(save(ref), spec=spec_path("fsmt"))
    shared = min(config["src_vocab_size"], config["tgt_vocab_size"])  # source ids the decoder may read
    inputs = data.draw(t5_batch({"vocab_size": shared, "pad_token_id": 1, "eos_token_id": 2}), label="inputs")
    gen = torch.Generator().manual_seed(data.draw(st.integers(0, 2**31 - 1), label="seed"))
    b, target = inputs["input_ids"].shape[0], data.draw(st.integers(1, 8), label="target")
    if head == "seq2seq_model" or data.draw(st.booleans(), label="decoder inputs"):
        inputs["decoder_input_ids"] = torch.randint(0, config["tgt_vocab_size"], (b, target), generator=gen)
        if data.draw(st.booleans(), label="decoder mask"):  # right padding in the decoder
            keep = torch.arange(target)[None, :] < torch.randint(1, target + 1, (b, 1), generator=gen)
            inputs["decoder_attention_mask"] = keep.long()
    if head == "conditional_generation":  # targets of the decoder's inputs, or the source's length
        length = (
            inputs["decoder_input_ids"].shape[1]
            if "decoder_input_ids" in inputs
            else inputs["input_ids"].shape[1]
        )
        labels = torch.randint(0, config["tgt_vocab_size"], (b, length), generator=gen)
        inputs["labels"] = torch.where(torch.rand(b, length, generator=gen) < 0.3, -100, labels)
    with torch.no_grad():  # its reference shifts (and writes -100 as padding into) the ids it is given
        expected = ref(
            **{k: v.clone() for k, v in inputs.items()}, use_cache=False, output_hidden_states=True
        )
    ours = model(**inputs, output_hidden_states=True)
    assert ("loss" in ours) == ("labels" in inputs)
    compare_seq2seq(ours, expected, expected, "eager")


def test_greedy_and_beam_search_equal_the_reference_generate() -> None:
    """Generation writes the decoder's own ids (a target vocabulary smaller than the source's) as the
    reference's `generate` does, its forced last token (`forced_eos_token_id`) included."""
    ref = _reference("conditional_generation", {"decoder_layers": 2, "tgt_vocab_size": 61})
    model = archgen.load(save(ref), spec=spec_path("fsmt"))
    ids, mask = three_prompts(0, 1)
    for got in assert_generates_as_reference(model, ref, ids, mask):
        assert int(got.max()) < 61  # the decoder's ids: its start token, then new ones


def test_exports_as_read_and_refuses_source_ids_the_decoder_cannot_read(tmp_path) -> None:
    """Both heads write their checkpoints back bitwise, the stacks' own word tables apart; without
    decoder inputs the decoder reads the source ids, so one past its vocabulary is refused by name."""
    for head in HEADS:
        source = save(_reference(head, {"tgt_vocab_size": 40}))
        model = archgen.load(source, spec=spec_path("fsmt"))
        assert_exports_as_read(model, source, tmp_path / head)
        backbone = model.module.backbone
        assert backbone.decoder.embeddings.word.weight.shape[0] == 40
        assert backbone.encoder.embeddings.word.weight.shape[0] == 99
    ids, mask = three_prompts(1, 1)
    ids[0, 0] = 60
    with torch.no_grad():
        model(ids, mask, decoder_input_ids=torch.full((3, 2), 5))  # given: read as they are
    with pytest.raises(archgen.runtime.InputError, match="pass decoder_input_ids"):
        model(ids, mask)


def test_a_config_silent_on_tying_loads_untied(tmp_path) -> None:
    """FSMT's config class leaves its LM head untied when config.json says nothing: the spec's own
    `tie_word_embeddings` symbol (default false) decides the tying flag, as its reference."""
    ref = _reference("conditional_generation", {})
    source = save(ref)
    config = json.loads((source / "config.json").read_text())
    del config["tie_word_embeddings"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    shutil.copy(source / "model.safetensors", tmp_path / "model.safetensors")
    model = archgen.load(tmp_path, spec=spec_path("fsmt"))
    assert not model.flags["tie_word_embeddings"]
    ids, mask = three_prompts(2, 1)
    dec = torch.full((3, 2), 5)
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=mask, decoder_input_ids=dec, use_cache=False).logits
    torch.testing.assert_close(model(ids, mask, decoder_input_ids=dec)["logits"], expected, atol=1e-5, rtol=0)
