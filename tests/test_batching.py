"""Padding-free batching: tight length buckets give the padded path's outputs, in input order."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from support import arch, save

import archgen
from archgen.runtime.batching import plan_buckets, run_batch
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


@pytest.mark.parametrize(
    "head", ["base", "token_classification", "sequence_classification", "question_answering"]
)
@pytest.mark.parametrize("name", ["xlm_roberta", "mobilebert"])
def test_run_batch_equals_the_padded_batch(name: str, head: str) -> None:
    ir = arch(name)
    model = archgen.load(save(build_reference(ir, ir.head(head))))
    gen = torch.Generator().manual_seed(0)
    lengths = [7, 3, 12, 3, 9, 12, 1, 5]
    pad = model.sizes[ir.spec.pad_token]
    seqs = [[int(t) for t in torch.randint(pad + 1, 99, (n,), generator=gen)] for n in lengths]
    width = max(lengths)
    ids = torch.full((len(seqs), width), pad)
    mask = torch.zeros_like(ids)
    for row, s in enumerate(seqs):
        ids[row, : len(s)], mask[row, : len(s)] = torch.tensor(s), 1
    padded = model(ids, mask)
    for waste in (0.0, 0.5):
        outs = run_batch(model, seqs, batch_tokens=24, max_waste=waste)
        assert len(outs) == len(seqs)
        for row, (n, out) in enumerate(zip(lengths, outs)):
            for key, value in padded.items():
                expected = value[row, :n] if value.dim() >= 2 and value.shape[1] == width else value[row]
                torch.testing.assert_close(
                    out[key], expected, atol=1e-5, rtol=0, msg=lambda m, k=key: f"{k}: {m}"
                )


def test_run_batch_rejects_overlong_and_empty_sequences() -> None:
    ir = arch("xlm_roberta")
    model = archgen.load(save(build_reference(ir, ir.head("base"))))
    with pytest.raises(archgen.runtime.InputError, match="exceed the position table"):
        run_batch(model, [[5] * 10, [5] * (model.max_length + 1)])
    with pytest.raises(archgen.runtime.InputError, match="empty"):
        run_batch(model, [[5], []])
