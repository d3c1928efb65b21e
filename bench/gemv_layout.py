"""A linear layer's time by weight layout: `python bench/gemv_layout.py`.

Why a model whose head generates keeps its linear weights input-major (see
``archgen.runtime.model._input_major``): a weight of shape (out, in) stored
row-major, as checkpoints store it, or input-major (strides (1, out), the same
values), timed through ``F.linear`` at 1 row (a decode step) and 128 rows (a
prompt). Each shape cycles through enough distinct weights (at least 64 MB)
that they come from memory, not from the cache, as they do when a model
decodes. Shapes: the small causal LM and UMT5-small of bench/bench.py (their
FFN, attention and LM head layers) and XLM-R base's FFN. fp32, medians.
"""

from __future__ import annotations

import argparse
import os

import torch
from gemm_engines import median_ms  # bench/gemm_engines.py, next to this script

SHAPES = [  # (in, out, where)
    (256, 1024, "clm-small FFN up"),
    (256, 32000, "clm-small LM head"),
    (512, 1152, "umt5-small q/k/v"),
    (512, 1024, "umt5-small FFN gate"),
    (1024, 512, "umt5-small FFN down"),
    (512, 32128, "umt5-small LM head"),
    (768, 3072, "xlmr-base FFN up"),
    (3072, 768, "xlmr-base FFN down"),
]


def median_us(weights: list[torch.Tensor], x: torch.Tensor, repeat: int) -> float:
    """The median time of ``F.linear(x, w)`` per weight, cycling through ``weights``."""

    def run():
        for w in weights:
            torch.nn.functional.linear(x, w)

    return median_ms(run, repeat, warmup=1) / len(weights) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    print("| layer | in -> out | rows | row-major us | input-major us | row-major / input-major |")
    print("|---|---|---|---|---|---|")
    for k, n, where in SHAPES:
        count = max(2, (64 << 20) // (4 * n * k))
        rows_major = [torch.randn(n, k, generator=gen) for _ in range(count)]
        input_major = [w.t().contiguous().t() for w in rows_major]
        for m in (1, 128):
            x = torch.randn(m, k, generator=gen)
            a = median_us(rows_major, x, args.repeat)
            b = median_us(input_major, x, args.repeat)
            print(f"| {where} | {k} -> {n} | {m} | {a:.0f} | {b:.0f} | {a / b:.2f}x |")


if __name__ == "__main__":
    main()
