"""torch.compile: no graph breaks, compiled equals eager, no recompiles across lengths."""

from __future__ import annotations

import pytest
import torch
import torch._dynamo
from support import HEADS, ROBERTA_FAMILY, arch, save

import archgen
from archgen.runtime.reference import build_reference, random_inputs

LENGTHS = (5, 9, 14)


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("name", ROBERTA_FAMILY)
def test_compiles_without_breaks_or_recompiles(name: str, head: str) -> None:
    ir = arch(name)
    head_ir = ir.head(head)
    directory = save(build_reference(ir, head_ir))
    eager = archgen.load(directory)
    compiled = archgen.load(directory, compile=True)
    torch._dynamo.reset()

    gen = torch.Generator().manual_seed(0)
    first = random_inputs(
        ir, head_ir, eager.sizes, batch=2, length=LENGTHS[0], generator=gen, right_pad=[0, 2]
    )
    explain = torch._dynamo.explain(eager.module)(**first)
    assert explain.graph_break_count == 0, explain.break_reasons
    torch._dynamo.reset()

    for i, length in enumerate(LENGTHS):
        batch = 2 + i  # new batch sizes too
        inputs = random_inputs(
            ir,
            head_ir,
            eager.sizes,
            batch=batch,
            length=length,
            generator=gen,
            left_pad=[1] + [0] * (batch - 1),
        )
        if i == 0:
            out = compiled(**inputs)
        else:
            with torch._dynamo.config.patch(error_on_recompile=True):
                out = compiled(**inputs)
        expected = eager(**inputs)
        for key, value in expected.items():
            torch.testing.assert_close(out[key], value, atol=1e-5, rtol=0, msg=lambda m, k=key: f"{k}: {m}")


def test_compiled_decode_step_does_not_recompile() -> None:
    ir = arch("xlm_roberta")
    directory = save(build_reference(ir, ir.head("causal_lm")))
    compiled = archgen.load(directory, compile=True)
    eager = archgen.load(directory)
    torch._dynamo.reset()
    ids = torch.randint(2, 99, (2, 6), generator=torch.Generator().manual_seed(1))
    first = compiled.generate(ids, max_new_tokens=3)  # compiles prefill and the decode step
    with torch._dynamo.config.patch(error_on_recompile=True):
        out = compiled.generate(ids, max_new_tokens=8)
    assert torch.equal(out, eager.generate(ids, max_new_tokens=8))
    assert torch.equal(first, out[:, : first.shape[1]])
