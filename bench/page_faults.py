"""Page faults and time per call with and without runtime/memory.py's malloc settings.

`python bench/page_faults.py bench/out/ckpt-xlmr-base [--compile] [--batch 1] [--pairs 3]`

Runs the checkpoint's forward on batch x 128 tokens in fresh processes, alternating
``ARCHGEN_REUSE_FREED_MEMORY=0`` (glibc's defaults) and ``=1`` (what ``load`` sets),
and prints, per process, the median ms per call, the minor page faults per call
(``getrusage``) and the peak RSS. The setting is process-wide and glibc adapts its
thresholds to a process's history, so each measurement needs its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

WORKER = """
import json, resource, statistics, sys, time, torch, archgen
directory, compiled, batch, calls, cache = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
model = archgen.load(directory, compile=compiled, cache_dir=cache or None, progress=False)
ids = torch.randint(5, 1000, (batch, 128), generator=torch.Generator().manual_seed(0))
mask = torch.ones_like(ids)
for _ in range(5):
    model(ids, mask)
before, times = resource.getrusage(resource.RUSAGE_SELF), []
for _ in range(calls):
    start = time.perf_counter()
    model(ids, mask)
    times.append(time.perf_counter() - start)
after = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "ms": statistics.median(times) * 1e3,
    "faults": (after.ru_minflt - before.ru_minflt) / calls,
    "kernel_ms": (after.ru_stime - before.ru_stime) / calls * 1e3,
    "rss_mb": after.ru_maxrss / 1024,
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--cache-dir", default="", help="compiled artifacts (default: archgen's)")
    args = parser.parse_args()
    print(f"{args.checkpoint}, {'compiled' if args.compile else 'eager'}, {args.batch} x 128 tokens")
    print()
    print("| malloc | median ms | page faults / call | kernel ms / call | peak RSS MB |")
    print("|---|---|---|---|---|")
    for _ in range(args.pairs):
        for setting in ("0", "1"):
            command = [sys.executable, "-c", WORKER, args.checkpoint, "1" if args.compile else "0"]
            command += [str(args.batch), str(args.calls), args.cache_dir]
            env = {**os.environ, "ARCHGEN_REUSE_FREED_MEMORY": setting}
            done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            name = "glibc defaults" if setting == "0" else "reuse_freed_memory"
            print(
                f"| {name} | {r['ms']:.1f} | {r['faults']:.0f} | {r['kernel_ms']:.1f} | {r['rss_mb']:.0f} |"
            )


if __name__ == "__main__":
    main()
