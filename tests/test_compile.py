"""torch.compile: no graph breaks, compiled equals eager, no recompiles across lengths."""

from __future__ import annotations

import pytest
import torch
import torch._dynamo
from support import HEADS, ROBERTA_FAMILY, arch, assert_compiles, save

import archgen
from archgen.runtime.reference import build_reference

#: The default suite compiles XLM-R's bare model (its pooler), masked LM (a tied decoder),
#: causal LM (a KV cache) and question answering (two outputs), and RoBERTa-PreLayerNorm's
#: pre-norm backbone as its causal LM. CamemBERT is XLM-R under other names (one generated
#: module), and the other heads add only linear layers; they run in `make test-slow` (each
#: compile costs 11-20 s with cold caches).
DEFAULT_COMPILES = {
    ("xlm_roberta", "base"),
    ("xlm_roberta", "masked_lm"),
    ("xlm_roberta", "causal_lm"),
    ("xlm_roberta", "question_answering"),
    ("roberta_prelayernorm", "causal_lm"),
}


@pytest.mark.parametrize(
    ("name", "head"),
    [
        pytest.param(name, head, marks=() if (name, head) in DEFAULT_COMPILES else pytest.mark.slow)
        for name in ROBERTA_FAMILY
        for head in HEADS
    ],
)
def test_compiles_without_breaks_or_recompiles(name: str, head: str) -> None:
    ir = arch(name)
    assert_compiles(ir, ir.head(head))


def test_an_artifact_computes_with_the_weights_of_the_checkpoint_that_loads_it(tmp_path) -> None:
    """An artifact is keyed by code and shapes, not weights: a second checkpoint of the same
    architecture and sizes loads the first one's artifact, and must compute with its own
    weights, including a classifier bias of 3 values (inductor inlines tensors that small
    into its kernels unless told not to: runtime/artifacts.py, ``INDUCTOR_CONFIGS``)."""
    ir = arch("xlm_roberta")
    head = ir.head("sequence_classification")
    ids = torch.randint(3, 99, (2, 7), generator=torch.Generator().manual_seed(0))
    outputs = []
    for seed in (0, 1):
        directory = save(build_reference(ir, head, {"num_labels": 3}, seed=seed))
        compiled = archgen.load(directory, compile=True, cache_dir=tmp_path)
        got = compiled(ids)["logits"]
        assert (compiled.aot.compiled, compiled.aot.loaded) == ((1, 0) if seed == 0 else (0, 1))
        torch.testing.assert_close(got, archgen.load(directory)(ids)["logits"], atol=1e-5, rtol=0)
        outputs.append(got)
    assert not torch.allclose(*outputs, atol=1e-3)  # two models that differ


def test_compiled_decode_step_does_not_recompile() -> None:
    """Prefill and the decode step are two artifacts (see test_coldstart); other lengths and
    batches run them too."""
    ir = arch("xlm_roberta")
    directory = save(build_reference(ir, ir.head("causal_lm")))
    compiled = archgen.load(directory, compile=True)
    eager = archgen.load(directory)
    ids = torch.randint(2, 99, (2, 6), generator=torch.Generator().manual_seed(1))
    first = compiled.generate(ids, max_new_tokens=3)  # finds (or compiles) prefill and the decode step
    assert compiled.aot.compiled + compiled.aot.loaded == 2
    out = compiled.generate(ids, max_new_tokens=8)
    longer = compiled.generate(ids[:1, 1:], max_new_tokens=9)
    assert compiled.aot.compiled + compiled.aot.loaded == 2
    assert torch.equal(out, eager.generate(ids, max_new_tokens=8))
    assert torch.equal(longer, eager.generate(ids[:1, 1:], max_new_tokens=9))
    assert torch.equal(first, out[:, : first.shape[1]])


def test_compiled_gelu_tanh_is_the_same_function() -> None:
    """Artifacts compute gelu's tanh approximation as x * sigmoid(2z) (runtime/artifacts.py):
    within float rounding of ATen's kernel over the whole range, exact gelu untouched."""
    from archgen.runtime.artifacts import _gelu_tanh_as_sigmoid

    x = torch.cat(
        [torch.linspace(-40, 40, 20001), torch.randn(10000, generator=torch.Generator().manual_seed(0))]
    )
    expected = torch.nn.functional.gelu(x, approximate="tanh")
    torch.testing.assert_close(_gelu_tanh_as_sigmoid(x, "tanh"), expected, atol=2e-6, rtol=1e-6)
    assert _gelu_tanh_as_sigmoid(x, "none") is NotImplemented
