"""A whole forward with the linear layers token-major and weight-first: `python bench/orientation.py`.

The measurement behind runtime/orientation.py: for each model shape and token
count, one eager (or, with `--compile`, compiled) forward with every qualifying
layer computing `x @ W.T` (token-major, as `F.linear`) and `(W @ x.T).T`
(weight-first), the two alternating call by call in one process. "layers" counts
the layers switched: the ones runtime/orientation.py qualifies (both widths at
least MIN_WIDTH), or, for the rows marked "all", every fp32 linear layer (how
MobileBERT's 128-wide layers were measured). Prints a markdown table of medians.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import archgen
from archgen.runtime.orientation import weight_first_layers
from bench import checkpoint  # bench/bench.py, next to this script

#: (shape, batch, length, layers): "qualifying" or "all"
RUNS = [
    ("xlmr-base", 1, 64, "qualifying"),
    ("xlmr-base", 1, 128, "qualifying"),
    ("xlmr-base", 1, 256, "qualifying"),
    ("xlmr-base", 1, 512, "qualifying"),
    ("xlmr-base", 8, 128, "qualifying"),
    ("umt5-encoder", 1, 128, "qualifying"),
    ("umt5-encoder", 4, 128, "qualifying"),
    ("mobilebert", 1, 128, "all"),
    ("mobilebert", 4, 128, "all"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="calls per orientation")
    parser.add_argument("--compile", action="store_true", help="compiled artifacts (one per orientation)")
    args = parser.parse_args()
    print("| model | tokens | layers | token-major ms | weight-first ms | token-major / weight-first |")
    print("|---|---|---|---|---|---|")
    models: dict[tuple[str, str], archgen.ArchgenModel] = {}
    for shape, batch, length, which in RUNS:
        model = models.get((shape, which))
        if model is None:
            model = models[(shape, which)] = archgen.load(
                checkpoint(shape), compile=args.compile, progress=False
            )
            if which == "all":
                model._oriented += weight_first_layers(model.module, min_width=0)
                if model.aot is not None:
                    model.aot.reset()  # the swapped layers' class is part of the artifact key
        gen = torch.Generator().manual_seed(0)
        ids = torch.randint(5, 1000, (batch, length), generator=gen)
        times: dict[int, list[float]] = {0: [], 1 << 30: []}
        for _ in range(args.repeat):
            for rows in times:
                model.weight_first_rows = rows
                model(ids)  # a warm-up call per switch: the first after a switch may load an artifact
                start = time.perf_counter()
                model(ids)
                times[rows].append(time.perf_counter() - start)
        major, first = (statistics.median(t) * 1e3 for t in times.values())
        label = f"{len(model._oriented)}" + (" (all)" if which == "all" else "")
        print(
            f"| {shape} | {batch * length} | {label} | {major:.1f} | {first:.1f} | {major / first:.2f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
