"""Padding-free batching: packed rows and tight length buckets give the padded path's outputs, in input order."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from support import arch, save

import archgen
from archgen.runtime.batching import pack_rows, packing_blocker, plan_buckets, run_batch
from archgen.runtime.reference import build_reference


@given(
    lengths=st.lists(st.integers(1, 50), min_size=1, max_size=40),
    batch_tokens=st.integers(50, 400),
    max_waste=st.sampled_from([0.0, 0.1, 0.3]),
)
def test_buckets_cover_every_sequence_once_within_their_budgets(lengths, batch_tokens, max_waste) -> None:
    buckets = plan_buckets(lengths, batch_tokens=batch_tokens, max_waste=max_waste)
    assert sorted(i for b in buckets for i in b.indices) == list(range(len(lengths)))
    for b in buckets:
        assert b.length == max(lengths[i] for i in b.indices)
        waste = b.tokens - sum(lengths[i] for i in b.indices)
        if len(b.indices) > 1:
            assert b.tokens <= batch_tokens
            assert waste <= max_waste * b.tokens
    if max_waste == 0.0:  # no padding at all
        assert all(len({lengths[i] for i in b.indices}) == 1 for b in buckets)


@given(lengths=st.lists(st.integers(1, 60), min_size=1, max_size=40), row_tokens=st.integers(1, 200))
def test_packed_rows_hold_every_sequence_once_within_capacity(lengths, row_tokens) -> None:
    rows = pack_rows(lengths, row_tokens)
    assert sorted(i for row in rows for i in row) == list(range(len(lengths)))
    capacity = max(row_tokens, max(lengths))
    fills = [sum(lengths[i] for i in row) for row in rows]
    assert max(fills) <= capacity
    assert all(rows), "no empty rows"
    assert len(rows) >= -(-sum(lengths) // capacity)


def _padded(model, seqs: list[list[int]]) -> tuple[dict, int]:
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), model.sizes[model.ir.spec.pad_token])
    mask = torch.zeros_like(ids)
    for row, s in enumerate(seqs):
        ids[row, : len(s)], mask[row, : len(s)] = torch.tensor(s), 1
    return model(ids, mask), width


CASES = [
    ("xlm_roberta", "base", {}),
    ("xlm_roberta", "token_classification", {}),
    ("xlm_roberta", "sequence_classification", {}),
    ("xlm_roberta", "question_answering", {}),
    ("xlm_roberta", "masked_lm", {}),
    ("roberta_prelayernorm", "base", {}),
    ("mobilebert", "base", {"trigram_input": False}),  # packs
    ("mobilebert", "pretraining", {"trigram_input": False}),  # packs: pooled branch
    ("mobilebert", "token_classification", {}),  # trigram on: packs, neighbours stop at each sequence
    ("mobilebert", "sequence_classification", {}),
    ("umt5", "encoder_model", {}),  # relative position bias: packs
    ("umt5", "token_classification", {}),
]


@pytest.mark.parametrize(
    ("name", "head", "overrides"), CASES, ids=[f"{n}-{h}-{bool(o)}" for n, h, o in CASES]
)
def test_run_batch_equals_the_padded_batch(name: str, head: str, overrides: dict) -> None:
    ir = arch(name)
    model = archgen.load(save(build_reference(ir, ir.head(head), overrides)))
    gen = torch.Generator().manual_seed(0)
    lengths = [7, 3, 12, 3, 9, 12, 1, 5]
    pad = model.sizes[ir.spec.pad_token]
    seqs = [[int(t) for t in torch.randint(pad + 1, 99, (n,), generator=gen)] for n in lengths]
    padded, width = _padded(model, seqs)
    per_token = model.head.per_token_outputs
    runs = [{"pack": False, "max_waste": 0.0}, {"pack": False, "max_waste": 0.5}]
    if packing_blocker(model) is None:
        # rows of 16 tokens hold several sequences: the block-diagonal mask, own positions and
        # sequence starts are all exercised
        assert len(pack_rows(lengths, 16)) < len(lengths)
        runs += [{"pack": True, "row_tokens": 16}, {"pack": True, "row_tokens": 1}]
    for run in runs:
        outs = run_batch(model, seqs, batch_tokens=24, **run)
        assert len(outs) == len(seqs)
        for row, (n, out) in enumerate(zip(lengths, outs)):
            assert set(out) == {k for k, v in padded.items() if torch.is_tensor(v)}
            for key, value in out.items():
                expected = padded[key][row, :n] if key in per_token else padded[key][row]
                torch.testing.assert_close(
                    value, expected, atol=1e-5, rtol=0, msg=lambda m, k=key, r=run: f"{k} {r}: {m}"
                )


def test_packed_trigram_sees_zeros_past_each_sequence() -> None:
    """MobileBERT's trigram input mixes neighbouring tokens; packed, each sequence still
    equals itself run alone, unpadded (so nothing leaks across a row's sequences)."""
    ir = arch("mobilebert")
    model = archgen.load(save(build_reference(ir, ir.head("base"))))  # trigram input on
    assert packing_blocker(model) is None
    gen = torch.Generator().manual_seed(2)
    seqs = [[int(t) for t in torch.randint(5, 99, (n,), generator=gen)] for n in (5, 2, 7, 1, 4)]
    packed = run_batch(model, seqs, pack=True, row_tokens=12)
    assert len(pack_rows([len(s) for s in seqs], 12)) < len(seqs)
    for seq, out in zip(seqs, packed):
        alone = model(torch.tensor([seq]), torch.ones(1, len(seq), dtype=torch.long))
        torch.testing.assert_close(out.last_hidden_state, alone.last_hidden_state[0], atol=1e-5, rtol=0)


def test_packing_refuses_encoder_decoder_heads() -> None:
    ir = arch("umt5")
    model = archgen.load(save(build_reference(ir, ir.head("seq2seq_model"))))
    assert "encoder-decoder" in packing_blocker(model)
    with pytest.raises(archgen.runtime.InputError, match="cannot pack.*encoder-decoder"):
        run_batch(model, [[5, 6], [7]], pack=True)


def test_run_batch_rejects_overlong_and_empty_sequences() -> None:
    ir = arch("xlm_roberta")
    model = archgen.load(save(build_reference(ir, ir.head("base"))))
    with pytest.raises(archgen.runtime.InputError, match="exceed the position table"):
        run_batch(model, [[5] * 10, [5] * (model.max_length + 1)])
    with pytest.raises(archgen.runtime.InputError, match="empty"):
        run_batch(model, [[5], []])


def test_packed_rows_compile_and_equal_eager() -> None:
    """The packed call (3-D mask, sequence starts) compiles into one artifact that serves
    other lengths and row counts, and equals eager."""
    ir = arch("xlm_roberta")
    directory = save(build_reference(ir, ir.head("sequence_classification")))
    eager, compiled = archgen.load(directory), archgen.load(directory, compile=True)
    gen = torch.Generator().manual_seed(1)
    for lengths in [[7, 3, 12, 3, 9], [4, 11, 2, 6, 6, 8, 1, 9, 5]]:
        seqs = [[int(t) for t in torch.randint(2, 99, (n,), generator=gen)] for n in lengths]
        outs = compiled.run_batch(seqs, pack=True, row_tokens=16)
        for out, want in zip(outs, eager.run_batch(seqs, pack=True, row_tokens=16)):
            torch.testing.assert_close(out.logits, want.logits, atol=1e-5, rtol=0)
    # one artifact (compiled here, or found in the test cache) served both packings
    assert compiled.aot.compiled + compiled.aot.loaded == 1
