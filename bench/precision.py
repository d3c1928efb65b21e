"""The error of archgen's lower-precision modes against fp32: `python bench/precision.py`.

For each model, the same inputs run through the fp32 load and through each
mode (``dtype="bfloat16"``, ``quantize="int8"``); it prints the max abs error
of the output and the relative error, max |y - y_fp32| / max |y_fp32| (an
element-wise ratio is meaningless where the output is near 0), next to the
documented bound (:data:`archgen.runtime.precision.ERROR_BOUNDS`).

Models: the tiny reference checkpoints the tests use (fixed seed; MLM logits
and the bare model's hidden states; UMT5's LM logits), and the base-size
shapes of bench/bench.py (XLM-R base and MobileBERT default, bare model,
last hidden state), all randomly initialised.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

import archgen
from archgen.compiler.lower import SPECS_DIR, load_arch
from archgen.runtime.precision import ERROR_BOUNDS
from archgen.runtime.reference import build_reference, random_inputs

#: (arch, head) of the tiny reference checkpoints.
TINY = [
    ("xlm_roberta", "base"),
    ("xlm_roberta", "masked_lm"),
    ("mobilebert", "base"),
    ("mobilebert", "masked_lm"),
    ("umt5", "conditional_generation"),
]
#: bench/bench.py shapes (bare models) and their arch.
BASE = [("xlmr-base", "xlm_roberta"), ("mobilebert", "mobilebert")]
MODES = {"bf16": {"dtype": "bfloat16"}, "int8": {"quantize": "int8"}}


def errors(directory: Path, arch: str, batch: int, length: int) -> dict[str, tuple[str, float, float]]:
    """Per mode: (output name, max abs error, relative error) against the fp32 load of ``directory``."""
    ir = load_arch(SPECS_DIR / f"{arch}.yaml")
    fp32 = archgen.load(directory)
    inputs = random_inputs(
        ir, fp32.head, fp32.sizes, batch=batch, length=length, generator=torch.Generator().manual_seed(0)
    )
    expected = fp32(**inputs)
    name = "logits" if "logits" in expected else "last_hidden_state"
    result = {}
    for mode, options in MODES.items():
        got = archgen.load(directory, **options)(**inputs)[name].float()
        err = float((got - expected[name]).abs().max())
        result[mode] = (name, err, err / float(expected[name].abs().max()))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-base", action="store_true", help="Only the tiny models (seconds, not minutes).")
    args = parser.parse_args()
    rows = []
    for arch, head in TINY:
        ir = load_arch(SPECS_DIR / f"{arch}.yaml")
        with tempfile.TemporaryDirectory(prefix="archgen-prec-") as tmp:
            build_reference(ir, ir.head(head)).save_pretrained(tmp)
            rows.append((f"{arch} tiny", head, errors(Path(tmp), arch, batch=4, length=16)))
    if not args.no_base:
        from bench import checkpoint  # bench/bench.py, next to this script

        for shape, arch in BASE:
            rows.append((shape, "base", errors(checkpoint(shape), arch, batch=2, length=128)))
    print("| model | head | output | mode | max abs error | relative error | bound (relative) |")
    print("|---|---|---|---|---|---|---|")
    worst = dict.fromkeys(MODES, 0.0)
    for model, head, result in rows:
        for mode, (name, err, rel) in result.items():
            worst[mode] = max(worst[mode], rel)
            flag = "" if rel <= ERROR_BOUNDS[mode] else " **over**"
            print(
                f"| {model} | {head} | {name} | {mode} | {err:.2e} | {rel:.2e} | {ERROR_BOUNDS[mode]:g}{flag} |"
            )
    for mode, rel in worst.items():
        print(
            f"{mode}: worst relative error {rel:.2e}, bound {ERROR_BOUNDS[mode]:g} ({ERROR_BOUNDS[mode] / rel:.1f}x)"
        )


if __name__ == "__main__":
    main()
