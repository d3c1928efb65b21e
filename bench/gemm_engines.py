"""One linear layer's GEMM under torch and under ONNX Runtime: `python bench/gemm_engines.py`.

Why the b1x128 row of bench/RESULTS.md has ONNX Runtime ahead of every torch
engine, archgen included: at 128 tokens ONNX Runtime's own GEMM (MLAS) is
faster on this CPU than the one `F.linear` calls, while at 1024 tokens they
are level. Times the XLM-R base FFN shapes (768 -> 3072 and 3072 -> 768) at
M = 128 and 1024 rows, fp32, medians over repeated calls, as `F.linear` computes
them (`x @ W.T`), weight-first (`(W @ x.T).T`, runtime/orientation.py) and in
ONNX Runtime. Needs the `bench` extra (onnxruntime, onnx).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch


def median_ms(fn, repeat: int, warmup: int = 5) -> float:
    """The median wall time of ``fn()`` over ``repeat`` calls after ``warmup`` calls, in ms."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def ort_linears(pairs: list[tuple[torch.Tensor, torch.Tensor]], threads: int):
    """One ONNX Runtime session with a ``Gemm`` node per (weight, bias), all reading input ``x``
    (outputs ``y0``, ``y1``, ...): one session and one thread pool, as in a model."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    n, k = pairs[0][0].shape
    nodes, outputs, initializers = [], [], []
    for i, (w, b) in enumerate(pairs):
        nodes.append(helper.make_node("Gemm", ["x", f"w{i}", f"b{i}"], [f"y{i}"], transB=1))
        outputs.append(helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, ["m", n]))
        initializers += [
            numpy_helper.from_array(w.numpy(), f"w{i}"),
            numpy_helper.from_array(b.numpy(), f"b{i}"),
        ]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["m", k])]
    graph = helper.make_graph(nodes, "linears", inputs, outputs, initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    print(
        "| rows | layer | torch F.linear ms | torch weight-first ms | ONNX Runtime Gemm ms | F.linear / ORT | weight-first / ORT |"
    )
    print("|---|---|---|---|---|---|---|")
    for m in (128, 1024):
        for k, n in ((768, 3072), (3072, 768)):
            x = torch.randn(m, k, generator=gen)
            w, b = torch.randn(n, k, generator=gen), torch.randn(n, generator=gen)
            ours = median_ms(lambda x=x, w=w, b=b: torch.nn.functional.linear(x, w, b), args.repeat)
            first = median_ms(lambda x=x, w=w, b=b: torch.addmm(b[:, None], w, x.t()).t(), args.repeat)
            session, feed = ort_linears([(w, b)], args.threads), {"x": x.numpy()}
            theirs = median_ms(lambda s=session, f=feed: s.run(None, f), args.repeat)
            print(
                f"| {m} | {k} -> {n} | {ours:.2f} | {first:.2f} | {theirs:.2f} "
                f"| {ours / theirs:.2f}x | {first / theirs:.2f}x |"
            )


if __name__ == "__main__":
    main()
