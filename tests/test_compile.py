"""torch.compile: no graph breaks, compiled equals eager, no recompiles across lengths."""

from __future__ import annotations

import pytest
import torch
import torch._dynamo
from support import HEADS, ROBERTA_FAMILY, arch, assert_compiles, save

import archgen
from archgen.runtime.reference import build_reference


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("name", ROBERTA_FAMILY)
def test_compiles_without_breaks_or_recompiles(name: str, head: str) -> None:
    ir = arch(name)
    assert_compiles(ir, ir.head(head))


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
