"""UMT5/mT5 decoding: cached steps equal full recomputation, generation equals the reference's,
and the encoder, every head and the decode step compile without graph breaks or recompiles.

Generation is compared with `transformers`' `generate` on models whose encoder and decoder
have the same number of layers: the reference's generate sizes its cache from the encoder's
layer count and fails otherwise (archgen's does not; the cached-decoding test covers that).
"""

from __future__ import annotations

import pytest
import torch
import torch._dynamo
from support import arch, save, spec_path
from support_t5 import T5_ARCHS, T5_HEADS, t5_reference

import archgen
from archgen.runtime.reference import random_inputs

SYMMETRIC = {"num_layers": 2, "num_decoder_layers": 2}
#: Compiled against eager: inductor reorders float arithmetic; mT5's unscaled logits reach ~25,
#: where 1e-5 is a few ulp, so a relative term of 2e-6 (~16 ulp) is allowed on top.
COMPILED = {"atol": 1e-5, "rtol": 2e-6}


def _prompts(seed: int, vocab: int = 99) -> tuple[torch.Tensor, torch.Tensor]:
    """Three prompts: one full, one left-padded, one right-padded."""
    ids = torch.randint(4, vocab, (3, 7), generator=torch.Generator().manual_seed(seed))
    mask = torch.ones_like(ids)
    ids[1, :3], mask[1, :3] = 0, 0
    ids[2, 5:], mask[2, 5:] = 0, 0
    return ids, mask


def _full_recompute(model, ids, mask, steps: int, start: int):
    """Greedy decoding without a cache: the whole decoder input again for every token."""
    decoder = torch.full((ids.shape[0], 1), start)
    scores = []
    for _ in range(steps):
        logits = model(ids, mask, decoder_input_ids=decoder).logits[:, -1]
        scores.append(logits)
        decoder = torch.cat([decoder, logits.argmax(-1, keepdim=True)], dim=1)
    return decoder, scores


@pytest.mark.parametrize("ffn", ["gated-gelu", "relu"])
@pytest.mark.parametrize("name", T5_ARCHS)
def test_cached_decoding_equals_full_recompute(name: str, ffn: str) -> None:
    config = {"num_layers": 2, "num_decoder_layers": 3, "feed_forward_proj": ffn}
    model = archgen.load(save(t5_reference(name, "conditional_generation", config)), spec=spec_path(name))
    ids, mask = _prompts(1)
    steps = 12
    cached, cached_scores = model.generate(
        ids, mask, max_new_tokens=steps, eos_token_id=-1, output_scores=True
    )
    full, full_scores = _full_recompute(model, ids, mask, steps, start=0)
    assert torch.equal(cached, full)
    for step, (a, b) in enumerate(zip(cached_scores, full_scores)):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0, msg=lambda m, s=step: f"step {s}: {m}")


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", T5_ARCHS)
def test_greedy_and_beam_search_equal_the_reference_generate(name: str, seed: int) -> None:
    ref = t5_reference(name, "conditional_generation", SYMMETRIC, seed=seed)
    model = archgen.load(save(ref), spec=spec_path(name))
    ids, mask = _prompts(10 + seed)
    free = model.generate(ids, mask, max_new_tokens=10)
    early = int(free[0, 3])  # as eos, this token ends row 0 early: finished rows are padded
    for eos in (None, early):
        for beams in (1, 2, 3):
            extra = {} if eos is None else {"eos_token_id": eos}
            with torch.no_grad():
                expected = ref.generate(
                    input_ids=ids,
                    attention_mask=mask,
                    max_new_tokens=10,
                    num_beams=beams,
                    do_sample=False,
                    **extra,
                )
            got = model.generate(ids, mask, max_new_tokens=10, num_beams=beams, **extra)
            assert torch.equal(got, expected), (eos, beams, got, expected)
    assert (model.generate(ids, mask, max_new_tokens=10, eos_token_id=early)[0, 5:] == 0).all()


@pytest.mark.parametrize("name", T5_ARCHS)
def test_sampling_is_seedable_and_equals_the_reference_with_the_same_seed(name: str) -> None:
    ref = t5_reference(name, "conditional_generation", SYMMETRIC)
    model = archgen.load(save(ref), spec=spec_path(name))
    ids, mask = _prompts(3)
    settings = [
        {"temperature": 0.7, "top_k": 20, "top_p": 0.9},
        {"temperature": 1.3, "top_k": 0, "top_p": 0.5},
        {"top_k": 5, "num_beams": 2},
    ]
    for i, kwargs in enumerate(settings):
        torch.manual_seed(100 + i)  # the reference draws from the global generator
        with torch.no_grad():
            expected = ref.generate(
                input_ids=ids, attention_mask=mask, max_new_tokens=8, do_sample=True, **kwargs
            )

        def sample(seed: int, kwargs=kwargs) -> torch.Tensor:
            gen = torch.Generator().manual_seed(seed)
            return model.generate(ids, mask, max_new_tokens=8, do_sample=True, generator=gen, **kwargs)

        assert torch.equal(sample(100 + i), expected), kwargs
        assert torch.equal(sample(100 + i), sample(100 + i))
    # top_k=1 keeps only the best token: sampling is greedy
    greedy = model.generate(ids, mask, max_new_tokens=8)
    gen = torch.Generator().manual_seed(0)
    assert torch.equal(
        model.generate(ids, mask, max_new_tokens=8, do_sample=True, top_k=1, generator=gen), greedy
    )


def test_generation_needs_a_token_head() -> None:
    model = archgen.load(save(t5_reference("umt5", "seq2seq_model", {})))
    with pytest.raises(archgen.runtime.InputError, match="needs a head that predicts tokens"):
        model.generate(torch.tensor([[5, 6, 1]]))


# --------------------------------------------------------------- compilation


@pytest.mark.parametrize("head", T5_HEADS)
@pytest.mark.parametrize("name", T5_ARCHS)
def test_no_graph_breaks(name: str, head: str) -> None:
    ir = arch(name)
    model = archgen.load(save(t5_reference(name, head, {})), spec=spec_path(name))
    gen = torch.Generator().manual_seed(0)
    inputs = random_inputs(ir, ir.head(head), model.sizes, batch=2, length=7, generator=gen, left_pad=[0, 2])
    explain = torch._dynamo.explain(model.module)(**inputs)
    torch._dynamo.reset()
    assert explain.graph_break_count == 0, explain.break_reasons
    assert explain.graph_count == 1


@pytest.mark.parametrize("name", T5_ARCHS)
def test_decode_step_has_no_graph_breaks(name: str) -> None:
    model = archgen.load(save(t5_reference(name, "conditional_generation", {})), spec=spec_path(name))
    module = model.module
    ids, mask = _prompts(4)
    module.setup_cache(3, 16)
    with torch.no_grad():
        memory = module.encode(ids, mask)
        step = (torch.zeros(3, 1, dtype=torch.long), torch.ones(3, 16, dtype=torch.long), torch.tensor([0]))
        explain = torch._dynamo.explain(module.decode)(*step, memory, mask)
        encode = torch._dynamo.explain(module.encode)(ids, mask)
    torch._dynamo.reset()
    assert explain.graph_break_count == 0, explain.break_reasons
    assert encode.graph_break_count == 0, encode.break_reasons


def test_compiled_equals_eager_and_decoding_does_not_recompile() -> None:
    directory = save(t5_reference("umt5", "conditional_generation", {}))
    eager = archgen.load(directory)
    compiled = archgen.load(directory, compile=True)
    torch._dynamo.reset()
    ir = arch("umt5")
    head = ir.head("conditional_generation")
    gen = torch.Generator().manual_seed(0)
    for i, (batch, length) in enumerate(((2, 5), (3, 9))):
        inputs = random_inputs(
            ir, head, eager.sizes, batch=batch, length=length, generator=gen, left_pad=[1, 0, 0][:batch]
        )
        if i == 0:
            out = compiled(**inputs)
        else:
            with torch._dynamo.config.patch(error_on_recompile=True):
                out = compiled(**inputs)
        for key, value in eager(**inputs).items():
            torch.testing.assert_close(out[key], value, **COMPILED, msg=lambda m, k=key: f"{k}: {m}")

    ids, mask = _prompts(5)
    artifacts = compiled.aot.compiled + compiled.aot.loaded
    first = compiled.generate(ids, mask, max_new_tokens=4, eos_token_id=-1)  # encode and decode artifacts
    assert compiled.aot.compiled + compiled.aot.loaded == artifacts + 2
    out = compiled.generate(ids[:, 1:], mask[:, 1:], max_new_tokens=9, eos_token_id=-1)  # a new source length
    again = compiled.generate(ids, mask, max_new_tokens=9, eos_token_id=-1)
    beams = compiled.generate(ids[:2], mask[:2], max_new_tokens=6, eos_token_id=-1, num_beams=3)
    assert compiled.aot.compiled + compiled.aot.loaded == artifacts + 2  # nothing more compiled
    assert torch.equal(out, eager.generate(ids[:, 1:], mask[:, 1:], max_new_tokens=9, eos_token_id=-1))
    assert torch.equal(again, eager.generate(ids, mask, max_new_tokens=9, eos_token_id=-1))
    assert torch.equal(first, again[:, : first.shape[1]])
    assert torch.equal(
        beams, eager.generate(ids[:2], mask[:2], max_new_tokens=6, eos_token_id=-1, num_beams=3)
    )


@pytest.mark.slow
@pytest.mark.parametrize("head", T5_HEADS)
@pytest.mark.parametrize("name", T5_ARCHS)
def test_every_head_compiled_equals_eager(name: str, head: str) -> None:
    ir = arch(name)
    directory = save(t5_reference(name, head, {}))
    eager, compiled = (
        archgen.load(directory, spec=spec_path(name)),
        archgen.load(directory, compile=True, spec=spec_path(name)),
    )
    torch._dynamo.reset()
    gen = torch.Generator().manual_seed(0)
    inputs = random_inputs(
        ir, ir.head(head), eager.sizes, batch=3, length=8, generator=gen, right_pad=[0, 3, 1]
    )
    out = compiled(**inputs)
    for key, value in eager(**inputs).items():
        torch.testing.assert_close(out[key], value, **COMPILED, msg=lambda m, k=key: f"{k}: {m}")


@pytest.mark.parametrize(
    ("head", "task", "field"),
    [
        ("conditional_generation", "text2text-generation", "generated"),
        ("encoder_model", "feature-extraction", "embedding"),
    ],
)
def test_archgen_run_serves_the_encoder_decoder_tasks(tmp_path, head: str, task: str, field: str) -> None:
    import json

    from typer.testing import CliRunner

    from archgen.compiler.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["reference", "umt5", head, str(tmp_path)]).exit_code == 0
    result = runner.invoke(app, ["run", str(tmp_path), "--task", task, "the capital of france", "paris"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["text"] for r in rows] == ["the capital of france", "paris"] and all(field in r for r in rows)
