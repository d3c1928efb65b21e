"""Start-up of compiled generation in one fresh process.

    python bench/genstart.py CHECKPOINT [--tokens N] [--prompt T] [--threads K] [--eager]

Times importing archgen and loading the checkpoint (``compile=True`` unless
``--eager``), then streams ``N`` greedy tokens from one batch-1 prompt of ``T``
random tokens (no early stop) and prints JSON: ``import_load_s``, ``first_token_s``
(from the call to the first token: prefill, plus loading or compiling what it
runs), ``second_token_s`` (the first decode step, plus loading or compiling it),
``ready_s`` (process start to the second token: the start-up until generation
runs at speed), the decode rate ``tok_s`` over the tokens after the second, and,
when compiled, how many artifacts were compiled and loaded. Run it once on an
empty cache (cold), then again (warm); set ``ARCHGEN_CACHE_DIR`` to keep the runs' artifacts apart.
Timings on a shared machine vary: run each mode more than once.
"""

from __future__ import annotations

import argparse
import json
import time

start = time.perf_counter()
import torch  # noqa: E402

import archgen  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint")
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--prompt", type=int, default=16)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--eager", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = archgen.load(args.checkpoint, compile=not args.eager)
    loaded = time.perf_counter()
    vocab = model.sizes[model.ir.spec.vocab]
    ids = torch.randint(5, vocab, (1, args.prompt), generator=torch.Generator().manual_seed(0))
    steps = model.stream(ids, max_new_tokens=args.tokens, eos_token_id=-1)
    tokens, times = [], []
    for token in steps:
        tokens.append(token)
        times.append(time.perf_counter())
    first, second, done = times[0], times[min(1, len(times) - 1)], times[-1]
    result = {
        "mode": "eager" if args.eager else "compiled",
        "import_load_s": round(loaded - start, 2),
        "first_token_s": round(first - loaded, 2),
        "second_token_s": round(second - first, 2),
        "ready_s": round(second - start, 2),
        "tok_s": round((len(tokens) - 2) / (done - second), 1) if len(tokens) > 2 else None,
        "tokens": torch.cat(tokens).tolist()[:8],
    }
    if model.aot is not None:
        result |= {"artifacts_compiled": model.aot.compiled, "artifacts_loaded": model.aot.loaded}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
