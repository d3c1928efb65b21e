"""`run_batch`'s packed row size: `python bench/row_tokens.py [--compile] [--case C]`.

Times ``model.run_batch(sequences, row_tokens=N)`` for N in 128, 256, 512 and
1024 on the checkpoint of a bench/bench.py ragged case (default
``xlmr-b8-ragged``, XLM-R base; ``mobilebert-b8-ragged``, ``umt5enc-b8-ragged``),
with ragged batches of 8 and 32 sequences whose lengths are drawn as bench.py's
ragged cases draw them.
The row sizes alternate within each round; it prints the median ms per size.
This is the measurement behind the default (``row_tokens=512``, see
``archgen.runtime.batching``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

import archgen
from bench import CASES, checkpoint, lengths_for  # bench/bench.py, next to this script

SIZES = (128, 256, 512, 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compile", action="store_true", help="load(compile=True): AOTInductor artifacts")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--case", default="xlmr-b8-ragged", choices=[c for c in CASES if c.endswith("ragged")]
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    case = CASES[args.case]
    model = archgen.load(checkpoint(case["shape"]), compile=args.compile)
    gen = torch.Generator().manual_seed(11)
    print("| batch | real tokens | " + " | ".join(f"rows of {n} (ms)" for n in SIZES) + " |")
    print("|---|---|" + "---|" * len(SIZES))
    for batch in (8, 32):
        lengths = lengths_for(dict(case, batch=batch))
        sequences = [torch.randint(3, 30000, (n,), generator=gen).tolist() for n in lengths]
        times: dict[int, list[float]] = {n: [] for n in SIZES}
        for n in SIZES:  # warm-up (and, compiled, the artifact)
            model.run_batch(sequences, row_tokens=n)
        for _ in range(args.rounds):
            for n in SIZES:
                start = time.perf_counter()
                model.run_batch(sequences, row_tokens=n)
                times[n].append(time.perf_counter() - start)
        cells = " | ".join(f"{statistics.median(times[n]) * 1e3:.0f}" for n in SIZES)
        print(f"| {batch} | {sum(lengths)} | {cells} |")


if __name__ == "__main__":
    main()
