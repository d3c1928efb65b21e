"""gelu's tanh approximation as compiled code computes it: `python bench/gelu_tanh.py`.

Why compiled artifacts rewrite ``gelu(x, approximate="tanh")`` (UMT5's gated FFN) as
``x * sigmoid(2z)`` (runtime/artifacts.py, ``DECOMPOSITIONS``): inductor lowers the
tanh to a slower vector routine than the exp inside sigmoid. Times the gated product
``gelu_tanh(a) * b`` at the UMT5-small FFN width (1024) for a b1x128 and a b8x128
call, both forms under ``torch.compile``, and prints each form's largest difference
from ATen's eager gelu.
"""

from __future__ import annotations

import argparse
import os

import torch
import torch.nn.functional as F
from gemm_engines import median_ms

from archgen.runtime.artifacts import _gelu_tanh_as_sigmoid


def tanh_form(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return F.gelu(a, approximate="tanh") * b


def sigmoid_form(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return _gelu_tanh_as_sigmoid(a, "tanh") * b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    print(f"threads: {args.threads}, torch {torch.__version__}")
    print(
        "| rows x width | tanh form ms | sigmoid form ms | speed-up | max abs diff vs eager (tanh / sigmoid) |"
    )
    print("|---|---|---|---|---|")
    for rows in (128, 1024):
        a = torch.randn(rows, 1024, generator=gen) * 3
        b = torch.randn(rows, 1024, generator=gen)
        reference = tanh_form(a, b)
        times, diffs = [], []
        for form in (tanh_form, sigmoid_form):
            compiled = torch.compile(form, dynamic=True)
            times.append(median_ms(lambda c=compiled, a=a, b=b: c(a, b), args.repeat))
            diffs.append((compiled(a, b) - reference).abs().max().item())
        print(
            f"| {rows} x 1024 | {times[0]:.3f} | {times[1]:.3f} | {times[0] / times[1]:.2f}x "
            f"| {diffs[0]:.1e} / {diffs[1]:.1e} |"
        )


if __name__ == "__main__":
    main()
