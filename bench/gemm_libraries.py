"""Every CPU GEMM within reach, on the linear layers of a 128-token call: `python bench/gemm_libraries.py`.

ONNX Runtime's GEMM (MLAS, with the weights prepacked) is faster at 128 rows than
any GEMM that torch or numpy can call on this CPU; archgen's own (runtime/packed.py)
packs the weights once too. Times, per layer, XLM-R base's four shapes, MobileBERT's
two FFN shapes and the UMT5-small encoder's four, at 128 rows (``--rows``), fp32,
with 12 different weights cycled (so they come from memory, as in a model), through:

- ``torch F.linear``: ``x @ W.T`` (MKL here);
- ``torch weight-first``: ``(W @ x.T).T`` (runtime/orientation.py, what archgen runs);
- ``MKL packed``: ``torch.ops.mkl._mkl_linear`` with the weight packed once
  (what inductor's ``freezing`` uses for fp32);
- ``oneDNN``: ``torch.ops.mkldnn._linear_pointwise`` with the weight reordered once;
- ``OpenBLAS``: numpy's ``matmul`` (numpy's wheels bundle OpenBLAS), weight-first;
- ``ONNX Runtime``: one session with a ``Gemm`` node per weight, the weights as
  initializers (the ``bench`` extra);
- ``archgen packed``: ``torch.ops.archgen.packed_linear`` with the weight packed once
  (what archgen runs: runtime/kernels/packed_gemm.cpp).

Each library runs in its own process: two thread pools in one process (OpenMP's
and OpenBLAS's, or ONNX Runtime's) spin against each other on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch
from gemm_engines import median_ms, ort_linears  # bench/gemm_engines.py, next to this script

LIBRARIES = [
    "torch F.linear",
    "torch weight-first",
    "MKL packed",
    "oneDNN",
    "OpenBLAS",
    "ONNX Runtime",
    "archgen packed",
]
#: (model, in, out)
LAYERS = [
    ("xlmr-base", 768, 2304),
    ("xlmr-base", 768, 768),
    ("xlmr-base", 768, 3072),
    ("xlmr-base", 3072, 768),
    ("mobilebert", 128, 512),
    ("mobilebert", 512, 128),
    ("umt5-small", 512, 1152),
    ("umt5-small", 384, 512),
    ("umt5-small", 512, 1024),
    ("umt5-small", 1024, 512),
]
WEIGHTS = 12


def _layer(library: str, rows: int, k: int, n: int, threads: int):
    """A function running one call per weight of a (k -> n) layer through ``library``."""
    gen = torch.Generator().manual_seed(k * 10_000 + n)
    x = torch.randn(rows, k, generator=gen)
    ws = [torch.randn(n, k, generator=gen) for _ in range(WEIGHTS)]
    bs = [torch.randn(n, generator=gen) for _ in range(WEIGHTS)]
    pairs = list(zip(ws, bs))
    if library == "torch F.linear":
        return lambda: [torch.nn.functional.linear(x, w, b) for w, b in pairs]
    if library == "torch weight-first":
        return lambda: [torch.addmm(b[:, None], w, x.t()).t() for w, b in pairs]
    if library == "MKL packed":
        packed = [(torch.ops.mkl._mkl_reorder_linear_weight(w, rows), w, b) for w, b in pairs]
        return lambda: [torch.ops.mkl._mkl_linear(x, p, w, b, rows) for p, w, b in packed]
    if library == "oneDNN":
        packed = [(torch.ops.mkldnn._reorder_linear_weight(w, rows), b) for w, b in pairs]
        return lambda: [torch.ops.mkldnn._linear_pointwise(x, p, b, "none", [], "") for p, b in packed]
    if library == "OpenBLAS":
        xt = x.numpy().T
        arrays = [(w.numpy(), b.numpy()[:, None]) for w, b in pairs]
        return lambda: [np.matmul(w, xt) + b for w, b in arrays]
    if library == "archgen packed":
        from archgen.runtime.packed import kernels_available

        available, why = kernels_available()
        if not available:
            raise RuntimeError(why)
        packed = [(torch.ops.archgen.pack_linear_weight(w), b) for w, b in pairs]
        return lambda: [torch.ops.archgen.packed_linear(x, p, b, n) for p, b in packed]
    if library == "ONNX Runtime":
        session = ort_linears(pairs, threads)
        feed = {"x": x.numpy()}
        return lambda: session.run(None, feed)
    raise ValueError(library)


def _worker(library: str, rows: int, calls: int, threads: int) -> None:
    torch.set_num_threads(threads)
    times = {}
    for model, k, n in LAYERS:
        try:
            run = _layer(library, rows, k, n, threads)
            times[f"{model} {k} -> {n}"] = median_ms(run, calls, warmup=3) / WEIGHTS
        except (ImportError, RuntimeError) as error:  # onnxruntime not installed; an op this build lacks
            print(f"{library}: {error}", file=sys.stderr)
            break
    print(json.dumps(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=128)
    parser.add_argument(
        "--calls", type=int, default=30, help="timed calls per layer (each through all weights)"
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.rows, args.calls, args.threads)
        return
    results = {}
    for library in LIBRARIES:
        command = [sys.executable, __file__, "--worker", library, "--rows", str(args.rows)]
        command += ["--calls", str(args.calls), "--threads", str(args.threads)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results[library] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{args.rows} rows, {args.threads} threads, ms per layer (median), and GFLOP/s")
    print()
    print("| layer | " + " | ".join(LIBRARIES) + " |")
    print("|---|" + "---|" * len(LIBRARIES))
    for model, k, n in LAYERS:
        name = f"{model} {k} -> {n}"
        flop = 2 * args.rows * k * n
        cells = []
        for library in LIBRARIES:
            ms = results[library].get(name)
            cells.append("-" if ms is None else f"{ms:.3f} ({flop / ms / 1e6:.0f})")
        print(f"| {name} | " + " | ".join(cells) + " |")
    totals = {
        library: sum(
            results[library].get(f"{m} {k} -> {n}", float("nan")) for m, k, n in LAYERS if m == "xlmr-base"
        )
        for library in LIBRARIES
    }
    print()
    print(
        "XLM-R base, one layer's four GEMMs: "
        + ", ".join(f"{library} {ms:.2f} ms" for library, ms in totals.items())
    )


if __name__ == "__main__":
    main()
