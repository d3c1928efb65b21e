"""Helpers for the encoder-decoder tests: drawn configs, inputs and reference models for umt5 and
mt5, and the drawn batches, labels and comparisons the BART family's tests share
(tests/test_bart_family.py).

`umt5` has a relative bias table in every layer; `mt5` (a delta over it) only in layer 0,
shared by all layers; `t5`, a spec outside specs/ (tests/fixtures/t5.yaml), is mT5 with an LM
head scaled when tied. Their references are `transformers`' UMT5, MT5 and T5 classes.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st
from support import arch

from archgen.runtime.reference import build_reference, reference_config

#: umt5 and mt5 are built in; t5 is a user spec (tests/fixtures/t5.yaml), loaded with ``spec=``.
T5_ARCHS = ["umt5", "mt5", "t5"]
T5_HEADS = [
    "encoder_model",
    "seq2seq_model",
    "conditional_generation",
    "seq2seq_classification",
    "token_classification",
    "seq2seq_question_answering",
]


@st.composite
def t5_configs(draw, head: str, *, symmetric: bool = False) -> dict:
    """Small T5-family configs drawn from the spec's knobs: layer counts, heads, a d_kv independent of
    d_model, both FFN variants, buckets and max distance, special token ids."""
    layers = draw(st.integers(1, 3))
    buckets = draw(st.integers(4, 40))
    pad = draw(st.sampled_from([0, 2]))
    cfg = {
        "num_layers": layers,
        "num_decoder_layers": layers if symmetric else draw(st.integers(1, 3)),
        "num_heads": draw(st.integers(1, 4)),
        "d_kv": draw(st.integers(2, 12)),
        "d_model": draw(st.integers(4, 40)),
        "d_ff": draw(st.integers(4, 48)),
        "vocab_size": draw(st.integers(30, 200)),
        "relative_attention_num_buckets": buckets,
        # the causal decoder's exact buckets are buckets // 2: the log-spaced ones start after them
        "relative_attention_max_distance": draw(st.integers(buckets // 2 + 1, buckets // 2 + 48)),
        "feed_forward_proj": draw(st.sampled_from(["gated-gelu", "relu"])),
        "layer_norm_epsilon": draw(st.sampled_from([1e-6, 1e-5])),
        "pad_token_id": pad,
        "decoder_start_token_id": pad,
        "eos_token_id": draw(st.sampled_from([1, 3])),
        "num_labels": 2 if head.endswith("question_answering") else draw(st.integers(1, 5)),
        "dropout_rate": 0.0,
    }
    if head == "seq2seq_classification":
        cfg["problem_type"] = draw(
            st.sampled_from([None, "regression", "single_label_classification", "multi_label_classification"])
        )
        if cfg["problem_type"] == "regression":
            cfg["num_labels"] = draw(st.integers(1, 3))
        elif cfg["problem_type"] is not None:  # the config class wants classes for a classification
            cfg["num_labels"] = draw(st.integers(2, 5))
    return cfg


@st.composite
def t5_batch(draw, config: dict, *, eos_rows: bool = False, max_len: int = 12) -> dict:
    """Random ids with left or right padding per row (at least one real token each).

    With ``eos_rows`` every row holds the same number of eos tokens: one at its last real
    token, and for longer rows possibly one more at its first."""
    vocab, pad, eos = config["vocab_size"], config["pad_token_id"], config["eos_token_id"]
    batch = draw(st.integers(1, 4))
    length = draw(st.integers(2 if eos_rows else 1, max_len))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    ids = torch.randint(0, vocab, (batch, length), generator=gen)
    special = (ids == pad) | (ids == eos) if eos_rows else ids == pad
    ids = torch.where(special, 4 + (ids % (vocab - 4)), ids)  # 4..: never pad or eos
    mask = torch.ones_like(ids)
    for row in range(batch):
        n_pad = draw(st.integers(0, length - (2 if eos_rows else 1)))
        if n_pad and draw(st.booleans()):
            ids[row, :n_pad], mask[row, :n_pad] = pad, 0
        elif n_pad:
            ids[row, length - n_pad :], mask[row, length - n_pad :] = pad, 0
    if eos_rows:
        slots = torch.arange(length)
        first = torch.where(mask == 1, slots, length).amin(1)
        last = torch.where(mask == 1, slots, -1).amax(1)
        rows = torch.arange(batch)
        ids[rows, last] = eos
        if bool((last > first).all()) and draw(st.booleans()):
            ids[rows, first] = eos
    return {"input_ids": ids, "attention_mask": mask}


def t5_reference(name: str, head: str, config: dict, *, attn: str = "eager", tie: bool = True, seed: int = 0):
    """The reference model; untied like a real checkpoint: own LM head, one word embedding.

    The reference's config class forces `tie_word_embeddings`, so an untied model is built from an
    edited config; its encoder and decoder then read `shared`, as checkpoints made before 5.x do."""
    ir = arch(name)
    head_ir = ir.head(head)
    if tie:
        return build_reference(ir, head_ir, config, seed=seed, attn_implementation=attn)
    import transformers

    cfg = reference_config(ir, head_ir, config)
    cfg.tie_word_embeddings = False
    cfg._attn_implementation = attn
    torch.manual_seed(seed)
    model = getattr(transformers, head_ir.class_name)(cfg).eval()
    stack = getattr(model, "transformer", model)
    for part in ("encoder", "decoder"):
        if hasattr(stack, part):
            getattr(stack, part).embed_tokens = stack.shared
    return model


ATOL = 1e-5


def seq2seq_labels(head: str, config: dict, inputs: dict, gen: torch.Generator, target: int) -> dict:
    """Labels for an encoder-decoder head: targets of `target` tokens, tags, spans or classes."""
    ids, b = inputs["input_ids"], inputs["input_ids"].shape[0]
    if head == "conditional_generation":
        labels = torch.randint(0, config["vocab_size"], (b, target), generator=gen)
        return {"labels": torch.where(torch.rand(b, target, generator=gen) < 0.3, -100, labels)}
    if head == "token_classification":
        labels = torch.randint(0, config["num_labels"], ids.shape, generator=gen)
        return {"labels": torch.where(torch.rand(ids.shape, generator=gen) < 0.3, -100, labels)}
    if head == "seq2seq_question_answering":
        hi = ids.shape[1] + 3  # positions past the end are clamped and ignored
        return {
            "start_positions": torch.randint(0, hi, (b,), generator=gen),
            "end_positions": torch.randint(0, hi, (b,), generator=gen),
        }
    if head == "seq2seq_classification":
        n = config["num_labels"]
        problem = config.get("problem_type") or ("regression" if n == 1 else "single_label_classification")
        if problem == "regression":
            return {"labels": torch.randn((b, n) if n > 1 else (b,), generator=gen)}
        if problem == "single_label_classification":
            return {"labels": torch.randint(0, n, (b,), generator=gen)}
        return {"labels": torch.randint(0, 2, (b, n), generator=gen).float()}
    return {}


# FLOAT64: the property tests compare in float64. A random-init T5 model has std-1 activations
# and unscaled attention, which amplify last-bit kernel differences: in fp32 the reference's own
# eager and sdpa paths differ by ~1e-5 on |logits| ~ 5-25, so an fp32 bound of 1e-5 is a coin
# flip for any implementation. In float64 the same 1e-5 bound is strict (differences ~1e-12)
# and checks the semantics; fp32 agreement is measured by `archgen verify umt5 mt5`.


def compare_seq2seq(ours, ref, other, what: str) -> None:
    """Every output both sides have agrees within 1e-5, or within the reference's own spread.

    Where outputs are large (an unscaled LM head over std-1 embeddings gives |logits| ~ 25,
    so 1e-5 is ~5 ulp) the reference's eager and sdpa paths differ from each other by more
    than 1e-5; there the bound is that spread (``other`` is the reference's other path)."""
    compared = 0
    for key, value in ours.items():
        expected, second = getattr(ref, key, None), getattr(other, key, None)
        if expected is None:
            continue
        if isinstance(value, tuple):
            assert len(value) == len(expected), (
                f"{what}: {key} has {len(value)} entries, reference {len(expected)}"
            )
        triples = zip(value, expected, second) if isinstance(value, tuple) else [(value, expected, second)]
        for i, (a, b, c) in enumerate(triples):
            spread = float((b - c).abs().nan_to_num().max()) if c is not None else 0.0
            torch.testing.assert_close(
                a,
                b,
                atol=max(ATOL, spread),
                rtol=0,
                equal_nan=True,
                msg=lambda m, k=key, i=i, s=spread: f"{what} {k}[{i}] (reference spread {s:.1e}): {m}",
            )
        compared += 1
    assert compared >= 2, f"{what}: only {compared} outputs compared"


def draw_seq2seq_inputs(data, config: dict, head: str) -> dict:
    """A drawn batch for an encoder-decoder head: inputs (with equal eos counts for the classifier),
    decoder inputs for the bare model (right-padded or not), and the head's labels."""
    inputs = data.draw(t5_batch(config, eos_rows=head == "seq2seq_classification"), label="inputs")
    gen = torch.Generator().manual_seed(data.draw(st.integers(0, 2**31 - 1), label="seed"))
    target = data.draw(st.integers(1, 8), label="target_len")
    if head == "seq2seq_model":
        b = inputs["input_ids"].shape[0]
        inputs["decoder_input_ids"] = torch.randint(0, config["vocab_size"], (b, target), generator=gen)
        if data.draw(st.booleans(), label="decoder_mask"):  # right padding in the decoder
            keep = torch.arange(target)[None, :] < torch.randint(1, target + 1, (b, 1), generator=gen)
            inputs["decoder_attention_mask"] = keep.long()
    inputs.update(seq2seq_labels(head, config, inputs, gen, target))
    return inputs


def assert_matches_both(model, ref, ref_sdpa, inputs: dict) -> None:
    """The model's outputs (every hidden state included, and the loss where labels are given) agree
    with the reference's eager and sdpa paths, each within the other's spread."""
    with torch.no_grad():
        expected = ref(**inputs, output_hidden_states=True)
        expected_sdpa = ref_sdpa(**inputs, output_hidden_states=True)
    ours = model(**inputs, output_hidden_states=True)
    if any(k in inputs for k in ("labels", "start_positions")):
        assert "loss" in ours
    compare_seq2seq(ours, expected, expected_sdpa, "eager")
    compare_seq2seq(ours, expected_sdpa, expected, "sdpa")


def three_prompts(seed: int, pad: int, vocab: int = 99) -> tuple[torch.Tensor, torch.Tensor]:
    """Three prompts: one full, one left-padded, one right-padded."""
    ids = torch.randint(4, vocab, (3, 7), generator=torch.Generator().manual_seed(seed))
    mask = torch.ones_like(ids)
    ids[1, :3], mask[1, :3] = pad, 0
    ids[2, 5:], mask[2, 5:] = pad, 0
    return ids, mask


def assert_generates_as_reference(model, ref, ids: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
    """Greedy and beam search (3 beams), one and ten new tokens, each equal to the reference's
    `generate`; returns the outputs."""
    outputs = []
    for steps in (1, 10):
        for beams in (1, 3):
            with torch.no_grad():
                expected = ref.generate(
                    input_ids=ids, attention_mask=mask, max_new_tokens=steps, num_beams=beams, do_sample=False
                )
            got = model.generate(ids, mask, max_new_tokens=steps, num_beams=beams)
            assert torch.equal(got, expected), (steps, beams, got, expected)
            outputs.append(got)
    return outputs


def bart_stacks(draw, min_width: int = 1) -> dict:
    """The BART-layout sizes of a drawn encoder-decoder config: 1-4 heads, a width of at least
    ``min_width`` (fairseq's computed table divides by `d_model // 2 - 1`: 4 where a spec has
    one), layer counts, one FFN width and position count for both stacks."""
    heads = draw(st.integers(1, 4))
    ffn = draw(st.integers(4, 48))
    return {
        "d_model": heads * draw(st.integers(-(-min_width // heads), 8)),
        "encoder_layers": draw(st.integers(1, 3)),
        "decoder_layers": draw(st.integers(1, 3)),
        "encoder_attention_heads": heads,
        "decoder_attention_heads": heads,
        "encoder_ffn_dim": ffn,
        "decoder_ffn_dim": ffn,
        "max_position_embeddings": draw(st.integers(16, 40)),
    }
