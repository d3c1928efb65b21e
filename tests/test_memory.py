"""Loading a model makes glibc's malloc keep freed activation memory (runtime/memory.py).

Each check runs in a fresh process, because the setting is process-wide and glibc
adapts its thresholds to what a process has freed before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import arch, save

from archgen.runtime.memory import glibc_mallopt
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
