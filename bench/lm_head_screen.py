"""Would a bf16 screen speed up greedy decoding's LM head? `python bench/lm_head_screen.py`.

A screened LM head would read the head's weight in bf16 (half the bytes), bound
each logit's error, and compute exact fp32 logits for the few candidates that
could be the argmax. It can only pay if torch's bf16 GEMV at one row beats the
fp32 GEMV archgen already runs, whose weight is input-major (strides (1, out):
``archgen.runtime.model._input_major``). This times, per decode step (1 row), the
fp32 head input-major and row-major, and bf16 weights both ways, cycling through
enough distinct weights (at least 256 MB) that they come from memory. Medians.
"""

from __future__ import annotations

import argparse
import os

import torch
from gemv_layout import median_us  # bench/gemv_layout.py, next to this script

SHAPES = [  # (in, out, where)
    (256, 32000, "clm-small LM head"),
    (512, 32128, "umt5-small LM head"),
    (768, 50304, "a GPT-2-size LM head"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    print(
        "| LM head | in -> out | fp32 input-major us | fp32 row-major us | bf16 row-major us | bf16 input-major us | best bf16 / fp32 input-major |"
    )
    print("|---|---|---|---|---|---|---|")
    for k, n, where in SHAPES:
        count = max(2, (256 << 20) // (4 * n * k))
        fp32 = [torch.randn(n, k, generator=gen) for _ in range(count)]
        x = torch.randn(1, k, generator=gen)
        times = [
            median_us([w.t().contiguous().t() for w in fp32], x, args.repeat),
            median_us(fp32, x, args.repeat),
            median_us([w.bfloat16() for w in fp32], x.bfloat16(), args.repeat),
            median_us([w.bfloat16().t().contiguous().t() for w in fp32], x.bfloat16(), args.repeat),
        ]
        cells = " | ".join(f"{t:.0f}" for t in times)
        print(f"| {where} | {k} -> {n} | {cells} | {min(times[2:]) / times[0]:.2f}x |")


if __name__ == "__main__":
    main()
