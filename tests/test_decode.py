"""Cached decoding equals full recomputation; greedy tokens equal the reference's generate."""

from __future__ import annotations

import pytest
import torch
from support import ROBERTA_FAMILY, TINY_DECODER, reference_pair, save

import archgen


def _full_recompute(model, ids, mask, steps, extra):
    """Greedy decoding without a cache: run the whole sequence again for every token."""
    scores = []
    for _ in range(steps):
        logits = model(ids, mask, **extra).logits[:, -1]
        scores.append(logits)
        ids = torch.cat([ids, logits.argmax(-1, keepdim=True)], dim=1)
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
    return ids, scores


@pytest.mark.parametrize("cross", [False, True], ids=["decoder", "cross-attention"])
@pytest.mark.parametrize("arch", ROBERTA_FAMILY)
def test_cached_equals_full_recompute(arch: str, cross: bool) -> None:
    _, _, ref = reference_pair(arch, "causal_lm", {**TINY_DECODER, "add_cross_attention": cross})
    model = archgen.load(save(ref))
    gen = torch.Generator().manual_seed(3)
    ids = torch.randint(2, 97, (3, 7), generator=gen)
    mask = torch.ones_like(ids)
    ids[1, :3], mask[1, :3] = 1, 0  # left padding
    ids[2, :1], mask[2, :1] = 1, 0
    extra = {}
    if cross:
        extra["encoder_hidden_states"] = torch.randn(3, 5, 24, generator=gen)
        extra["encoder_attention_mask"] = torch.tensor([[1] * 5, [1, 1, 1, 0, 0], [1] * 5])
    steps = 12
    cached, cached_scores = model.generate(ids, mask, max_new_tokens=steps, output_scores=True, **extra)
    full, full_scores = _full_recompute(model, ids, mask, steps, extra)
    assert torch.equal(cached, full)
    for step, (a, b) in enumerate(zip(cached_scores, full_scores)):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0, msg=lambda m, s=step: f"step {s}: {m}")


@pytest.mark.parametrize("arch", ROBERTA_FAMILY)
def test_greedy_tokens_equal_reference_greedy(arch: str) -> None:
    """Greedy tokens equal greedy decoding on the reference model, recomputed without a cache.

    Not the reference's `generate`: for this family it passes 0-based position
    ids (`cumsum(mask) - 1`), while the reference's own forward uses
    padding-offset positions, so its `generate` disagrees with its own forward.
    archgen keeps the model's position scheme (see the README)."""
    _, _, ref = reference_pair(arch, "causal_lm", TINY_DECODER)
    model = archgen.load(save(ref))
    ids = torch.randint(2, 97, (2, 6), generator=torch.Generator().manual_seed(5))
    mask = torch.ones_like(ids)
    mask[1, :2], ids[1, :2] = 0, 1
    expected = ids
    with torch.no_grad():
        for _ in range(10):
            full_mask = torch.cat(
                [mask, torch.ones(2, expected.shape[1] - ids.shape[1], dtype=torch.long)], 1
            )
            token = ref(input_ids=expected, attention_mask=full_mask).logits[:, -1].argmax(-1, keepdim=True)
            expected = torch.cat([expected, token], dim=1)
    assert torch.equal(model.generate(ids, mask, max_new_tokens=10), expected)
    streamed = torch.stack(list(model.stream(ids, mask, max_new_tokens=10)), dim=1)  # the same loop
    assert torch.equal(streamed, expected[:, ids.shape[1] :])


def test_generation_stops_at_eos_and_pads() -> None:
    _, _, ref = reference_pair("xlm_roberta", "causal_lm", TINY_DECODER)
    model = archgen.load(save(ref))
    ids = torch.randint(2, 97, (2, 4), generator=torch.Generator().manual_seed(0))
    free = model.generate(ids, max_new_tokens=8)
    eos = int(free[0, 6])  # make row 0 stop after its third new token
    out = model.generate(ids, max_new_tokens=8, eos_token_id=eos)
    row0 = out[0, 4:].tolist()
    stop = row0.index(eos)
    assert all(tok == 1 for tok in row0[stop + 1 :])


def test_generate_rejects_non_causal_heads_and_overlong_requests() -> None:
    _, _, ref = reference_pair("xlm_roberta", "masked_lm", TINY_DECODER)
    with pytest.raises(archgen.runtime.InputError, match="causal head"):
        archgen.load(save(ref)).generate(torch.tensor([[5, 6]]))
    _, _, ref = reference_pair("xlm_roberta", "causal_lm", TINY_DECODER)
    with pytest.raises(archgen.runtime.InputError, match="exceeds the position table"):
        archgen.load(save(ref)).generate(torch.tensor([[5, 6]]), max_new_tokens=100)
