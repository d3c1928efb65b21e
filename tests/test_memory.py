"""What an eager process holds: loading a model makes glibc's malloc keep freed activation
memory (runtime/memory.py), a call keeps no layer's output it does not return, and loading
computes nothing on the meta device.

The malloc checks run in a fresh process each, because the setting is process-wide and
glibc adapts its thresholds to what a process has freed before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import weakref
from pathlib import Path

import pytest
import torch
from support import arch, save, spec_path

import archgen
from archgen.runtime.memory import glibc_mallopt
from archgen.runtime.model import build
from archgen.runtime.reference import build_reference

# Six 4 MiB blocks alive at once, then all freed, six times over: the shape of a forward
# call's activations. The page faults of the last three rounds show whether freed memory
# was handed back to the kernel (each round faults its 6,144 pages in again) or kept.
FAULTS = """
import json, resource, sys, torch, archgen
archgen.load(sys.argv[1])
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
rounds = []
for _ in range(6):
    before = faults()
    blocks = [torch.empty(1 << 20).fill_(1.0) for _ in range(6)]
    del blocks
    rounds.append(faults() - before)
from archgen.runtime import memory
print(json.dumps({"applied": memory._applied, "faults": rounds[3:]}))
"""
PAGES = 6 * (4 << 20) // 4096


def _faults(checkpoint: Path, env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", FAULTS, str(checkpoint)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(glibc_mallopt() is None, reason="the C library is not glibc")
def test_load_keeps_freed_memory_for_the_next_call() -> None:
    ir = arch("xlm_roberta")
    checkpoint = save(build_reference(ir, ir.head("base")))
    env = {k: v for k, v in os.environ.items() if k != "ARCHGEN_REUSE_FREED_MEMORY"}
    kept = _faults(checkpoint, env)
    assert kept["applied"]
    assert max(kept["faults"]) < PAGES // 10, kept
    # The control: with the setting turned off, every round faults most of its pages in again.
    # glibc's thresholds are pinned at their defaults (128 KiB): left dynamic, a freed mmapped
    # block raises them to its size, so the control depended on what loading happened to
    # free, and about half the runs faulted nothing. Pinned, glibc does not adapt them.
    pinned = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072"}
    default = _faults(checkpoint, {**env, **pinned, "ARCHGEN_REUSE_FREED_MEMORY": "0"})
    assert not default["applied"]
    assert min(default["faults"]) > PAGES // 2, default


def _earlier_outputs_alive(model, stacks, inputs: dict, **flags) -> tuple[list[int], dict]:
    """Run ``model`` eagerly; as each layer of ``stacks`` finishes, count the earlier layers'
    outputs still alive, besides the one it read (weak references, so counting keeps none)."""
    counts: list[int] = []
    handles = []
    for stack in stacks:
        outputs: list[weakref.ref] = []

        def hook(module, args, output, outputs=outputs) -> None:
            counts.append(sum(ref() is not None for ref in outputs[:-1]))
            outputs.append(weakref.ref(output))

        handles += [layer.register_forward_hook(hook) for layer in stack]
    try:
        out = model(**inputs, **flags)
    finally:
        for handle in handles:
            handle.remove()
    return counts, out


SMALL = {
    "xlm_roberta": dict(
        vocab_size=99, num_hidden_layers=4, hidden_size=32, num_attention_heads=4, intermediate_size=64
    ),
    "mobilebert": dict(vocab_size=99, num_hidden_layers=4),
    "umt5": dict(vocab_size=99, d_model=32, d_kv=8, d_ff=64, num_heads=4, num_layers=4, num_decoder_layers=4),
}


@pytest.mark.parametrize(
    ("name", "head"), [("xlm_roberta", "base"), ("mobilebert", "base"), ("umt5", "seq2seq_model")]
)
def test_an_eager_call_keeps_no_layer_output_once_the_next_layer_has_read_it(name: str, head: str) -> None:
    """A backbone keeps every layer's output only for ``output_hidden_states``: kept always, a
    MobileBERT b8x128 call held 24 of them at its end (50 MB, half its activation peak)."""
    ir = arch(name)
    ref = build_reference(ir, ir.head(head), SMALL[name])
    model = archgen.load(save(ref), spec=spec_path(name))
    ids = torch.randint(3, 90, (2, 7))
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    backbone = model.module.backbone
    if model.head.spec.encoder_decoder:
        inputs |= {"decoder_input_ids": ids[:, :5], "decoder_attention_mask": torch.ones_like(ids[:, :5])}
        stacks = [backbone.encoder.layers, backbone.decoder.layers]
    else:
        stacks = [backbone.layers]
    counts, out = _earlier_outputs_alive(model, stacks, inputs)
    assert counts and not any(counts), counts
    # The control: asked for every layer's output, the backbone keeps them, and returns them.
    counts, out = _earlier_outputs_alive(model, stacks, inputs, output_hidden_states=True)
    assert counts[2::4] == [1] * len(stacks), counts  # the third layer of each stack sees the first's output
    states = [out[k] for k in ("hidden_states", "encoder_hidden_states", "decoder_hidden_states") if k in out]
    assert [len(s) for s in states] == [5] * len(stacks)


LOAD = """
import json, sys, archgen
watched = ("sympy", "torch._dynamo")
before = [m for m in watched if m in sys.modules]
archgen.load(sys.argv[1], spec=sys.argv[2])
print(json.dumps({"before": before, "after": [m for m in watched if m in sys.modules]}))
"""


@pytest.mark.parametrize(
    ("name", "head", "config"),
    [
        ("umt5", "encoder_model", SMALL["umt5"]),  # relative position buckets
        (
            "llama",
            "causal_lm",
            dict(vocab_size=99, hidden_size=32, num_attention_heads=4, intermediate_size=64),
        ),
    ],
)
def test_an_eager_load_computes_no_buffer_on_the_meta_device(name: str, head: str, config: dict) -> None:
    """``load`` builds on the meta device and computes buffers once, on the real one: computed
    on the meta device too, buffers imported sympy and ``torch._dynamo`` (meta-device ops), 71 MB
    of an eager UMT5-small process and about 1 s of its start."""
    ir = arch(name)
    checkpoint = save(build_reference(ir, ir.head(head), config))
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(checkpoint), str(spec_path(name))],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert imported == {"before": [], "after": []}
    # The buffers load computes are the ones a module built on the CPU computes at construction
    # (so building on the meta device also left the generated classes' init_buffers as they were).
    model = archgen.load(checkpoint, spec=spec_path(name))
    on_cpu, *_ = build(ir, model.head, model.config, device="cpu")
    loaded = dict(model.module.named_buffers())
    built = dict(on_cpu.named_buffers())
    assert built and built.keys() <= loaded.keys()  # loaded: packed weights too
    for key, value in built.items():
        assert torch.equal(loaded[key], value), key
