"""Streaming generation and ragged batches.

`stream` and `generate` run one loop, so the streamed tokens, concatenated, are
`generate`'s new columns (and the reference's, where the decode tests compare
with it). Each row of a padded batch generates what its prompt generates alone.
"""

from __future__ import annotations

import pytest
import torch
from support import TINY_DECODER, reference_pair, save, spec_path
from support_t5 import T5_ARCHS, t5_reference

import archgen
from archgen.runtime.decoding import until_finished

SYMMETRIC = {"num_layers": 2, "num_decoder_layers": 2}


def _streamed(model, *args, **kwargs) -> torch.Tensor:
    """The stream's tokens as columns (batch, steps)."""
    return torch.stack(list(model.stream(*args, **kwargs)), dim=1)


def _clm(cross: bool = False):
    _, _, ref = reference_pair("xlm_roberta", "causal_lm", {**TINY_DECODER, "add_cross_attention": cross})
    return archgen.load(save(ref))


def _ragged_prompts(lengths: list[int], pad: int, vocab: int, seed: int, left: bool):
    """A padded batch of prompts of these lengths, and each prompt alone."""
    gen = torch.Generator().manual_seed(seed)
    alone = [torch.randint(4, vocab, (1, n), generator=gen) for n in lengths]
    width = max(lengths)
    ids = torch.full((len(lengths), width), pad)
    mask = torch.zeros_like(ids)
    for row, prompt in enumerate(alone):
        span = slice(width - prompt.shape[1], width) if left else slice(0, prompt.shape[1])
        ids[row, span], mask[row, span] = prompt[0], 1
    return ids, mask, alone


# --------------------------------------------------------------- streaming


@pytest.mark.parametrize("cross", [False, True], ids=["decoder", "cross-attention"])
def test_decoder_stream_equals_generate(cross: bool) -> None:
    model = _clm(cross)
    ids, mask, _ = _ragged_prompts([5, 3, 7], pad=1, vocab=97, seed=0, left=True)
    extra = {}
    if cross:
        gen = torch.Generator().manual_seed(1)
        extra["encoder_hidden_states"] = torch.randn(3, 4, 24, generator=gen)
        extra["encoder_attention_mask"] = torch.tensor([[1] * 4, [1, 1, 0, 0], [1] * 4])
    free = model.generate(ids, mask, max_new_tokens=12, **extra)
    for eos in (None, int(free[0, 9])):  # as eos, a token of row 0 ends it early
        full = model.generate(ids, mask, max_new_tokens=12, eos_token_id=eos, **extra)
        streamed = _streamed(model, ids, mask, max_new_tokens=12, eos_token_id=eos, **extra)
        assert torch.equal(torch.cat([ids, streamed], dim=1), full)


@pytest.mark.parametrize("name", T5_ARCHS)
def test_seq2seq_stream_equals_generate_and_the_reference(name: str) -> None:
    ref = t5_reference(name, "conditional_generation", SYMMETRIC, seed=4)
    model = archgen.load(save(ref), spec=spec_path(name))
    ids, mask, _ = _ragged_prompts([7, 4, 6], pad=0, vocab=99, seed=2, left=False)
    free = model.generate(ids, mask, max_new_tokens=10)
    for eos in (None, int(free[1, 4])):
        extra = {} if eos is None else {"eos_token_id": eos}
        with torch.no_grad():
            expected = ref.generate(
                input_ids=ids, attention_mask=mask, max_new_tokens=10, do_sample=False, **extra
            )
        streamed = _streamed(model, ids, mask, max_new_tokens=10, **extra)
        assert torch.equal(torch.cat([expected[:, :1], streamed], dim=1), expected)
        assert torch.equal(model.generate(ids, mask, max_new_tokens=10, **extra), expected)
    # sampling streams too, with the same draws as generate
    sample = {"do_sample": True, "top_k": 10, "temperature": 0.8, "max_new_tokens": 8}
    full = model.generate(ids, mask, generator=torch.Generator().manual_seed(7), **sample)
    streamed = _streamed(model, ids, mask, generator=torch.Generator().manual_seed(7), **sample)
    assert torch.equal(full[:, 1:], streamed)


def test_stream_yields_each_token_before_the_next_is_computed() -> None:
    model = _clm()
    ids = torch.randint(2, 97, (2, 4), generator=torch.Generator().manual_seed(3))
    tokens = model.stream(ids, max_new_tokens=6)
    first = next(tokens)
    assert first.shape == (2,) and first.dtype == torch.long
    rest = list(tokens)
    assert torch.equal(torch.stack([first, *rest], dim=1), model.generate(ids, max_new_tokens=6)[:, 4:])


def test_invalid_streams_raise_before_the_first_token() -> None:
    model = _clm()
    with pytest.raises(archgen.runtime.InputError, match="exceeds the position table"):
        model.stream(torch.tensor([[5, 6]]), max_new_tokens=100)  # raised by the call, not by next()
    with pytest.raises(archgen.runtime.InputError, match="input_ids must lie in"):
        model.stream(torch.tensor([[5, 600]]))
    with pytest.raises(archgen.runtime.InputError, match="greedy"):
        model.stream(torch.tensor([[5, 6]]), do_sample=True)
    t5 = archgen.load(save(t5_reference("umt5", "conditional_generation", SYMMETRIC)))
    with pytest.raises(archgen.runtime.InputError, match="at least 1"):
        t5.stream(torch.tensor([[5, 6, 1]]), max_new_tokens=0)
    with pytest.raises(archgen.runtime.InputError, match="sampling needs"):
        t5.stream(torch.tensor([[5, 6, 1]]), do_sample=True, temperature=0)


def test_stopping_is_the_same_for_every_check_interval() -> None:
    """Reading the stopping flag every k steps drops the steps after the first finished one."""
    flags = [False, False, True, True, True]
    steps = [(torch.tensor([i]), torch.zeros(1, 3), torch.tensor(f)) for i, f in enumerate(flags)]
    for every in (1, 2, 3, 8):
        assert [int(t) for t, _ in until_finished(iter(steps), every)] == [0, 1, 2]
    never = [(t, s, torch.tensor(False)) for t, s, _ in steps]
    assert [int(t) for t, _ in until_finished(iter(never), 2)] == [0, 1, 2, 3, 4]


# --------------------------------------------------------------- ragged batches


def test_left_padded_decoder_batch_rows_equal_each_prompt_alone() -> None:
    model = _clm()
    lengths = [6, 2, 4, 1]
    ids, mask, alone = _ragged_prompts(lengths, pad=1, vocab=97, seed=5, left=True)
    batch = model.generate(ids, mask, max_new_tokens=10)
    for row, prompt in enumerate(alone):
        single = model.generate(prompt, max_new_tokens=10)
        assert torch.equal(batch[row, ids.shape[1] :], single[0, prompt.shape[1] :]), row
    eos = int(batch[1, ids.shape[1] + 3])  # row 1 stops early: its later tokens are padding
    batch = model.generate(ids, mask, max_new_tokens=10, eos_token_id=eos)
    single = model.generate(alone[1], max_new_tokens=10, eos_token_id=eos)[0, lengths[1] :]
    new = batch[1, ids.shape[1] :]
    assert torch.equal(new[: len(single)], single) and bool((new[len(single) :] == 1).all())


@pytest.mark.parametrize("left", [False, True], ids=["right-padded", "left-padded"])
def test_padded_encoder_batch_rows_equal_each_input_alone_and_the_reference(left: bool) -> None:
    ref = t5_reference("umt5", "conditional_generation", SYMMETRIC, seed=6)
    model = archgen.load(save(ref))
    ids, mask, alone = _ragged_prompts([7, 3, 5], pad=0, vocab=99, seed=8, left=left)
    batch = model.generate(ids, mask, max_new_tokens=9, eos_token_id=-1)
    for row, source in enumerate(alone):
        single = model.generate(source, max_new_tokens=9, eos_token_id=-1)
        with torch.no_grad():
            expected = ref.generate(input_ids=source, max_new_tokens=9, do_sample=False, eos_token_id=-1)
        assert torch.equal(single, expected), row
        assert torch.equal(batch[row : row + 1], single), row
