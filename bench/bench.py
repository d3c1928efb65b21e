"""archgen's CPU benchmark: `make bench` (or `python bench/bench.py`).

Every (case, engine) runs in its own process, engines alternate order across
rounds, and the GEMMs of each case are timed alone in the same run so every
row shows its fraction of this machine's floor: the linear layers' GEMMs alone,
through torch (`gemm`, `F.linear`) and through archgen's packed kernel
(`gemm-packed`, runtime/packed.py); the floor is the faster of the two. Prints a table of medians and
writes it to bench/RESULTS.md with the date and machine.

Engines: archgen eager and compiled, archgen's opt-in lower precision
(`archgen-bf16`: bf16 parameters, eager; `archgen-int8`: dynamic int8 linear
layers, eager), the reference (`transformers`) eager and under torch.compile,
and ONNX Runtime (archgen's module exported with `torch.onnx.export(dynamo=True)`,
attention traced in its math form, dynamic batch and length, all graph optimizations; needs
`pip install 'archgen[bench]'`, else its rows say so). The lower-precision rows
also show their error against archgen's fp32 output (max abs, and relative to
the output's max abs; bench/precision.py checks the documented bounds) and
their speed as a multiple of archgen-eager's.
Cases are model *shapes* (randomly initialised, fixed seed: no hub here):
XLM-R base, MobileBERT default and the UMT5-small encoder at b1x128, b8x128 and
b8 ragged (lengths drawn from a clipped log-normal), and greedy generation (a
fixed number of new tokens) with a small causal LM and with UMT5-small
(vocabulary shrunk to 32128). archgen runs ragged batches padding-free
(`run_batch`); the reference and ONNX Runtime run them padded, as their users
do. Each run starts with an empty archgen artifact cache (bench/out/archgen-cache),
so "cold start" (the first round) compiles and "warm start" (the best round) reuses.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

CASES = {
    "xlmr-b1x128": {"arch": "xlm_roberta", "shape": "xlmr-base", "batch": 1, "length": 128},
    "xlmr-b8x128": {"arch": "xlm_roberta", "shape": "xlmr-base", "batch": 8, "length": 128},
    "xlmr-b8-ragged": {
        "arch": "xlm_roberta",
        "shape": "xlmr-base",
        "batch": 8,
        "length": 128,
        "ragged": True,
    },
    "mobilebert-b1x128": {"arch": "mobilebert", "shape": "mobilebert", "batch": 1, "length": 128},
    "mobilebert-b8x128": {"arch": "mobilebert", "shape": "mobilebert", "batch": 8, "length": 128},
    "mobilebert-b8-ragged": {
        "arch": "mobilebert",
        "shape": "mobilebert",
        "batch": 8,
        "length": 128,
        "ragged": True,
    },
    "umt5enc-b1x128": {"arch": "umt5", "shape": "umt5-encoder", "batch": 1, "length": 128},
    "umt5enc-b8x128": {"arch": "umt5", "shape": "umt5-encoder", "batch": 8, "length": 128},
    "umt5enc-b8-ragged": {"arch": "umt5", "shape": "umt5-encoder", "batch": 8, "length": 128, "ragged": True},
    "clm-greedy": {"arch": "xlm_roberta", "shape": "clm-small", "batch": 1, "length": 16, "generate": 64},
    "umt5-greedy": {"arch": "umt5", "shape": "umt5-small", "batch": 1, "length": 32, "generate": 32},
}
SHAPES = {
    "xlmr-base": (
        "XLMRobertaConfig",
        "XLMRobertaModel",
        dict(
            vocab_size=250002,
            hidden_size=768,
            num_hidden_layers=12,
            num_attention_heads=12,
            intermediate_size=3072,
            max_position_embeddings=514,
            type_vocab_size=1,
            pad_token_id=1,
        ),
    ),
    "mobilebert": ("MobileBertConfig", "MobileBertModel", dict()),
    "clm-small": (
        "XLMRobertaConfig",
        "XLMRobertaForCausalLM",
        dict(
            vocab_size=32000,
            hidden_size=256,
            num_hidden_layers=4,
            num_attention_heads=4,
            intermediate_size=1024,
            max_position_embeddings=514,
            pad_token_id=1,
            is_decoder=True,
        ),
    ),
    # UMT5-small (`UMT5Config()` defaults: 8 + 8 layers, width 512, 6 heads, gated-gelu FFN 1024)
    # with the vocabulary shrunk from 250112 to T5's 32128, so the checkpoint stays small (128 MB).
    "umt5-small": ("UMT5Config", "UMT5ForConditionalGeneration", dict(vocab_size=32128)),
    # Its encoder alone (8 layers), the same shrunk vocabulary.
    "umt5-encoder": ("UMT5Config", "UMT5EncoderModel", dict(vocab_size=32128)),
}
#: The engines that time the GEMMs alone (the floor), not a model.
GEMMS = ("gemm", "gemm-packed")
ENGINES = [
    "gemm",
    "gemm-packed",
    "hf-eager",
    "hf-compile",
    "archgen-eager",
    "archgen-compiled",
    "archgen-bf16",
    "archgen-int8",
    "onnxruntime",
]
#: archgen engines' load options beyond the checkpoint.
ARCHGEN = {
    "archgen-eager": {},
    "archgen-compiled": {"compile": True},
    "archgen-bf16": {"dtype": "bfloat16"},
    "archgen-int8": {"quantize": "int8"},
}
#: Engines that differ from fp32 by design; their error is against archgen-eager's output.
LOWER = ("archgen-bf16", "archgen-int8")


class Skipped(Exception):
    """An engine that cannot run a case here; the table shows the reason."""


# ----------------------------------------------------------------- inputs


def lengths_for(case: dict) -> list[int]:
    if not case.get("ragged"):
        return [case["length"]] * case["batch"]
    gen = torch.Generator().manual_seed(7)
    raw = torch.exp(torch.randn(case["batch"], generator=gen) * 0.6 + 3.9)  # median ~50 tokens
    return [int(min(case["length"], max(8, round(float(x))))) for x in raw]


def padded(case: dict, pad: int, vocab: int) -> dict[str, torch.Tensor]:
    lengths = lengths_for(case)
    width = max(lengths)
    gen = torch.Generator().manual_seed(11)
    ids = torch.randint(pad + 1, min(vocab, 30000), (len(lengths), width), generator=gen)
    mask = torch.zeros_like(ids)
    for row, n in enumerate(lengths):
        ids[row, n:] = pad
        mask[row, :n] = 1
    return {"input_ids": ids, "attention_mask": mask}


def checkpoint(shape: str) -> Path:
    """A reference checkpoint of this shape, made once (fixed seed) and cached."""
    directory = OUT / f"ckpt-{shape}"
    if (directory / "model.safetensors").exists():
        return directory
    import transformers

    config_cls, model_cls, values = SHAPES[shape]
    torch.manual_seed(0)
    model = getattr(transformers, model_cls)(getattr(transformers, config_cls)(**values)).eval()
    model.save_pretrained(directory)
    return directory


# ----------------------------------------------------------------- workers


def _gemm_floor(directory: Path, case: dict, packed: bool = False) -> tuple:
    """The linear layers' matmuls alone, at this case's token count, through ``F.linear`` or
    (``packed``) archgen's packed kernel with the weights packed beforehand: the floor."""
    from safetensors import safe_open

    tokens = sum(lengths_for(case)) if case.get("ragged") else case["batch"] * case["length"]
    lookups = ("embed", "shared.", "relative_attention_bias")  # tables read by index, not multiplied
    with safe_open(directory / "model.safetensors", "pt") as f:
        weights = [
            f.get_tensor(k) for k in f.keys() if k.endswith(".weight") and not any(s in k for s in lookups)
        ]
    weights = [w for w in weights if w.dim() == 2 and w.shape[0] < 100000]
    xs = {w.shape[1]: torch.randn(tokens, w.shape[1]) for w in weights}

    if packed:
        from archgen.runtime.packed import kernels_available

        available, why = kernels_available()
        if not available:
            raise RuntimeError(why)
        packs = [(torch.ops.archgen.pack_linear_weight(w), w.shape[0], w.shape[1]) for w in weights]

        def run_packed():
            for p, n, k in packs:
                torch.ops.archgen.packed_linear(xs[k], p, None, n)

        return run_packed, None

    def run():  # F.linear, as the models call it (a matmul on a transposed view is slower)
        for w in weights:
            torch.nn.functional.linear(xs[w.shape[1]], w)

    return run, None


def _engine(engine: str, directory: Path, case: dict):
    """(run callable, output probe) for one engine."""
    import archgen

    if engine in GEMMS:
        return _gemm_floor(directory, case, packed=engine == "gemm-packed")
    config = json.loads((directory / "config.json").read_text())
    inputs = padded(case, config.get("pad_token_id", 0), config["vocab_size"])
    if engine == "onnxruntime":
        return _onnxruntime(directory, case, inputs)
    if engine in ARCHGEN:
        model = archgen.load(directory, **ARCHGEN[engine])
        if case.get("generate"):
            # A fixed number of new tokens: an encoder-decoder's eos (from its config) is turned off.
            stop = {"eos_token_id": -1} if model.head.spec.encoder_decoder else {}
            return (
                lambda: model.generate(inputs["input_ids"], max_new_tokens=case["generate"], **stop)
            ), None
        if case.get("ragged"):
            seqs = [row[m.bool()].tolist() for row, m in zip(inputs["input_ids"], inputs["attention_mask"])]
            return (lambda: model.run_batch(seqs)), (lambda: model.run_batch(seqs)[0]["last_hidden_state"])
        return (lambda: model(**inputs)), (lambda: model(**inputs)["last_hidden_state"][0])
    if engine.startswith("hf"):
        import transformers

        transformers.logging.set_verbosity_error()
        cls = getattr(transformers, SHAPES[case["shape"]][1])
        model = cls.from_pretrained(directory).eval()
        fn = torch.compile(model) if engine == "hf-compile" else model
        if case.get("generate"):

            def gen():
                with torch.inference_mode():
                    return model.generate(
                        inputs["input_ids"],
                        attention_mask=inputs["attention_mask"],
                        max_new_tokens=case["generate"],
                        min_new_tokens=case["generate"],
                        do_sample=False,
                        pad_token_id=config.get("pad_token_id", 0),
                    )

            return gen, None

        def run():
            with torch.inference_mode():
                return fn(**inputs)

        return run, (lambda: run().last_hidden_state[0, : int(inputs["attention_mask"][0].sum())])
    raise ValueError(engine)


def _onnxruntime(directory: Path, case: dict, inputs: dict[str, torch.Tensor]) -> tuple:
    """archgen's module exported to ONNX once per shape (cached in bench/out), run by ONNX Runtime."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise Skipped("skipped: onnxruntime not installed (pip install 'archgen[bench]')") from None
    if case.get("generate"):
        raise Skipped("skipped: generation is not exported to ONNX")
    import archgen

    path = OUT / f"onnx-{case['shape']}" / "model.onnx"
    if not path.exists():  # written into a fresh folder, renamed into place when complete
        from torch.export import Dim
        from torch.nn.attention import SDPBackend, sdpa_kernel

        # Plain nn.Linear layers: ONNX has no op for archgen's packed GEMM (packing is per load;
        # ONNX Runtime packs the weights itself at session start).
        saved = os.environ.get("ARCHGEN_PACKED_GEMM")
        os.environ["ARCHGEN_PACKED_GEMM"] = "0"
        try:
            model = archgen.load(directory)
        finally:
            if saved is None:
                del os.environ["ARCHGEN_PACKED_GEMM"]
            else:
                os.environ["ARCHGEN_PACKED_GEMM"] = saved
        batch, length = Dim("batch", min=1, max=1024), Dim("length", min=1, max=model.max_length)
        dims = {"input_ids": {0: batch, 1: length}, "attention_mask": {0: batch, 1: length}}
        example = {k: v[:1, :16].repeat(2, 1) for k, v in inputs.items()}  # sizes 1 would specialise
        tmp = Path(tempfile.mkdtemp(dir=OUT))
        try:
            # Traced with the math attention: ONNX has no CPU flash-attention op, so the exporter
            # would re-decompose it, and a reshape traced against the flash kernel's output strides
            # (a view) then fails on the math output's (the UMT5 encoder did).
            with sdpa_kernel(SDPBackend.MATH):
                torch.onnx.export(
                    model.module, (), tmp / path.name, kwargs=example, dynamo=True, dynamic_shapes=dims
                )
            os.replace(tmp, path.parent)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feeds = {k: v.numpy() for k, v in inputs.items()}
    names = [o.name for o in session.get_outputs()]

    def run():
        return dict(zip(names, session.run(None, feeds)))

    def probe():
        hidden = torch.from_numpy(run()[names[0]])  # the first output: last_hidden_state
        return hidden[0, : int(inputs["attention_mask"][0].sum())]

    return run, probe


def _rss_mb(field: str = "VmHWM") -> float:
    """This process's peak RSS (``VmHWM``) or current RSS (``VmRSS``). (ru_maxrss would carry
    the parent's peak across exec.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker(engine: str, case_name: str, repeat: int, min_seconds: float = 0.0) -> dict:
    """One engine on one case: start-up (to the first call's end), one untimed warm-up call,
    then timed calls, at least ``repeat`` of them and at least ``min_seconds`` in all (short
    calls get more samples, so their median is not a few calls just after start-up)."""
    start = time.perf_counter()
    case = CASES[case_name]
    directory = checkpoint(case["shape"])
    torch.manual_seed(0)
    baseline = _rss_mb("VmRSS")  # torch and archgen imported, nothing loaded
    try:
        run, probe = _engine(engine, directory, case)
    except Skipped as exc:
        return {"skipped": str(exc)}
    run()  # first call: includes compilation for compiled engines
    startup = time.perf_counter() - start
    run()  # warm-up: the first calls after a load still fault in pages and grow the allocator
    times = []
    while len(times) < repeat or sum(times) < min_seconds:
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    result = {
        "median_s": statistics.median(times),
        "calls": len(times),
        "startup_s": startup,
        "peak_rss_mb": _rss_mb(),
        "baseline_rss_mb": baseline,
    }
    if probe is not None:
        path = OUT / f"probe-{case_name}-{engine}.pt"
        torch.save(probe().float().clone(), path)
        result["probe"] = str(path)
    return result


# ----------------------------------------------------------------- driver


def _spawn(engine: str, case: str, repeat: int, min_seconds: float, threads: int) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        engine,
        case,
        "--repeat",
        str(repeat),
        "--min-seconds",
        str(min_seconds),
        "--threads",
        str(threads),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": tail[:120]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _weight_bytes(directory: Path) -> int:
    return (directory / "model.safetensors").stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "CASE"))
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per process, at least")
    parser.add_argument(
        "--min-seconds", type=float, default=2.0, help="timed seconds per process, at least (default 2)"
    )
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    parser.add_argument(
        "--threads", type=int, default=os.cpu_count() or 1, help="torch threads (default: every core)"
    )
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    torch.set_num_threads(args.threads)
    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1], args.repeat, args.min_seconds)))
        return

    cases = args.cases.split(",")
    engines = args.engines.split(",")
    # A fresh artifact cache per run: the first round's start is a cold one, later rounds' warm.
    cache = OUT / "archgen-cache"
    shutil.rmtree(cache, ignore_errors=True)
    os.environ["ARCHGEN_CACHE_DIR"] = str(cache)
    for case in cases:
        checkpoint(CASES[case]["shape"])
    runs: dict[tuple[str, str], list[dict]] = {}
    for r in range(args.rounds):
        for case in cases:
            order = engines[r % len(engines) :] + engines[: r % len(engines)]  # alternate across rounds
            for engine in order:
                if engine in GEMMS and CASES[case].get("generate"):
                    continue
                print(f"round {r + 1}/{args.rounds}  {case:18s} {engine}", file=sys.stderr, flush=True)
                runs.setdefault((case, engine), []).append(
                    _spawn(engine, case, args.repeat, args.min_seconds, args.threads)
                )
    print(render(cases, engines, runs, args))
    Path(args.out).write_text(render(cases, engines, runs, args) + "\n", encoding="utf-8")


def render(cases, engines, runs, args) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"
    lines = [
        "# archgen benchmark results",
        "",
        f"{datetime.date.today().isoformat()} on {machine}; `python bench/bench.py --rounds {args.rounds} "
        f"--repeat {args.repeat} --min-seconds {args.min_seconds} --threads {args.threads}`. Medians over rounds "
        "of per-process medians (each process: one untimed warm-up call, then at least --repeat timed calls "
        "and --min-seconds of them); fp32 except "
        "archgen-bf16 and archgen-int8, whose last column compares them with archgen's fp32 output "
        "(max abs error / error relative to the output's max abs / speed as a multiple of archgen-eager's).",
        "",
        "Peak RSS: the first round's process (which compiles, for a compiled engine, when the case is its "
        "model's first) / the largest of later rounds' (warm artifact cache); RSS / weights uses the later "
        "rounds' (the first's with one round), and in brackets the same peak less the process's RSS before "
        "loading (torch and archgen imported): what the model and its engine add.",
        "",
        "| case | engine | median ms | tok/s | vs fastest peer | GEMM floor share | peak RSS MB, cold / warm "
        "| RSS / weights | cold start s | warm start s | max abs diff vs reference | vs archgen fp32: abs / rel error, speed |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for case in cases:
        spec = CASES[case]
        tokens = spec.get("generate", 0) * spec["batch"] or sum(lengths_for(spec))
        weights = _weight_bytes(OUT / f"ckpt-{spec['shape']}") / 2**20
        ok = {e: [x for x in runs.get((case, e), []) if "median_s" in x] for e in engines}
        med = {e: statistics.median(x["median_s"] for x in v) for e, v in ok.items() if v}
        peers = [med[e] for e in med if e not in GEMMS and not e.startswith("archgen")]
        floors = [med[e] for e in GEMMS if e in med]
        ref_probe = next((x.get("probe") for x in ok.get("hf-eager", []) if x.get("probe")), None)
        fp32_probe = next((x.get("probe") for x in ok.get("archgen-eager", []) if x.get("probe")), None)
        for e in engines:
            if e in GEMMS and spec.get("generate"):
                continue
            if e not in med:
                err = next(
                    (
                        x.get("error") or x.get("skipped")
                        for x in runs.get((case, e), [])
                        if "median_s" not in x
                    ),
                    "not run",
                )
                lines.append(f"| {case} | {e} | - | - | - | - | - | - | - | - | {err} | - |")
                continue
            vals = ok[e]
            diff = "-"
            if ref_probe and vals[0].get("probe") and e != "hf-eager":
                a, b = torch.load(vals[0]["probe"]), torch.load(ref_probe)
                diff = f"{float((a - b).abs().max()):.1e}" if a.shape == b.shape else "shape differs"
            lower = "-"
            if e in LOWER and fp32_probe and vals[0].get("probe"):
                a, b = torch.load(vals[0]["probe"]), torch.load(fp32_probe)
                err = float((a - b).abs().max())
                lower = f"{err:.1e} / {err / float(b.abs().max()):.1e}"
                if "archgen-eager" in med:
                    lower += f" / {med['archgen-eager'] / med[e]:.2f}x"
            vs = f"{min(peers) / med[e]:.2f}x" if peers and e not in GEMMS else "-"
            floor = f"{min(floors) / med[e]:.0%}" if floors else "-"
            cold = vals[0]["peak_rss_mb"]
            worst = max(vals[1:] or vals[:1], key=lambda x: x["peak_rss_mb"])  # the warm peak, if any
            warm = worst["peak_rss_mb"]
            rss = f"{cold:.0f} / {warm:.0f}" if vals[1:] else f"{cold:.0f} / -"
            added = (warm - worst.get("baseline_rss_mb", float("nan"))) / weights
            startups = [x["startup_s"] for x in vals]
            lines.append(
                f"| {case} | {e} | {med[e] * 1000:.1f} | {tokens / med[e]:.0f} | {vs} | {floor} | {rss} "
                f"| {warm / weights:.2f} ({added:.2f}) | {startups[0]:.1f} | {min(startups):.1f} | {diff} | {lower} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
