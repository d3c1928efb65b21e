"""State-space layers' cost by length: `python bench/state_space.py [--layers N] [--lengths ...]`.

archgen computes Mamba-2's state-space mixing (``attention.mixing: state_space``) in its
quadratic, attention-like form: every token sums over the slots before it, so a layer's
transient memory grows with the square of the length (a ``(batch, heads, t, t)`` decay and
score per layer), where the reference's chunked scan grows linearly. This script measures
both on a Mamba-2 checkpoint of Mamba2-130m's layer shape (width 768, 24 heads of 64, state
128, one group; a vocabulary of 1024 and ``--layers`` layers, built offline with
``transformers`` and a fixed seed), batch 1, one fresh process per engine and length: the
median forward time of ``--repeat`` calls and the peak RSS the forward adds over the loaded
model. It prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "mamba2.yaml"
SHAPE = {
    "vocab_size": 1024,
    "hidden_size": 768,
    "num_heads": 24,
    "head_dim": 64,
    "expand": 2,
    "state_size": 128,
    "n_groups": 1,
    "conv_kernel": 4,
    "pad_token_id": 0,
}


def build(directory: Path, layers: int) -> None:
    """A Mamba-2 reference checkpoint of SHAPE and ``layers`` layers, saved to ``directory``."""
    import torch
    from transformers import Mamba2Config, Mamba2ForCausalLM

    torch.manual_seed(0)
    Mamba2ForCausalLM(Mamba2Config(**SHAPE, num_hidden_layers=layers)).save_pretrained(directory)


def measure(engine: str, directory: str, length: int, repeat: int) -> dict:
    """In this process: load, run once, then time ``repeat`` forwards of ``length`` tokens."""
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    ids = torch.randint(3, SHAPE["vocab_size"], (1, length), generator=torch.Generator().manual_seed(1))
    if engine == "archgen":
        import archgen

        model = archgen.load(directory, spec=SPEC)

        def call():
            return model(ids)["logits"]
    else:
        from transformers import Mamba2ForCausalLM

        reference = Mamba2ForCausalLM.from_pretrained(directory).eval()

        def call():
            with torch.no_grad():
                return reference(input_ids=ids, use_cache=False).logits

    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"ms": statistics.median(times) * 1e3, "peak_mb": (peak - loaded) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--lengths", type=int, nargs="+", default=[256, 512, 1024, 2048])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", nargs=3, metavar=("ENGINE", "DIR", "LENGTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        engine, directory, length = args.measure
        print(json.dumps(measure(engine, directory, int(length), args.repeat)))
        return
    with tempfile.TemporaryDirectory() as directory:
        build(Path(directory), args.layers)
        print(
            f"Mamba-2 of Mamba2-130m's layer shape, {args.layers} layers, batch 1, fp32, {os.cpu_count()} threads"
        )
        print()
        print("| tokens | archgen ms | reference ms | archgen peak MB over the model | reference peak MB |")
        print("|---|---|---|---|---|")
        for length in args.lengths:
            row = {}
            for engine in ("archgen", "reference"):
                command = [sys.executable, __file__, "--repeat", str(args.repeat), "--measure", engine]
                out = subprocess.run(
                    command + [directory, str(length)], capture_output=True, text=True, check=True
                )
                row[engine] = json.loads(out.stdout.strip().splitlines()[-1])
            a, r = row["archgen"], row["reference"]
            print(f"| {length} | {a['ms']:.0f} | {r['ms']:.0f} | {a['peak_mb']:.0f} | {r['peak_mb']:.0f} |")


if __name__ == "__main__":
    main()
