"""Start-up of one fresh process: `python bench/coldstart.py CHECKPOINT eager|compiled|torch-compile`.

Times importing archgen, loading the checkpoint and the first b1x128 call, and
prints them as JSON with the peak RSS (VmHWM). ``compiled`` is
``load(compile=True)`` (an AOTInductor artifact from the cache, compiled on the
first run); ``torch-compile`` calls the module under ``torch.compile``, which
is what ``compile=True`` ran before artifacts.
Run it several times, interleaving modes: timings on a shared machine vary.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

start = time.perf_counter()
import torch  # noqa: E402

import archgen  # noqa: E402


def main() -> None:
    directory, mode = sys.argv[1], sys.argv[2]
    model = archgen.load(directory, compile=mode != "eager")
    loaded = time.perf_counter()
    ids = torch.randint(5, 30000, (1, 128), generator=torch.Generator().manual_seed(0))
    if mode == "torch-compile":
        compiled = torch.compile(model.module, fullgraph=True, dynamic=True)
        with torch.inference_mode():
            compiled(**model._check({"input_ids": ids, "attention_mask": None}))
    else:
        model(ids)
    done = time.perf_counter()
    status = Path("/proc/self/status").read_text().splitlines()
    hwm = next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM:"))
    result = {
        "mode": mode,
        "import_load_s": round(loaded - start, 2),
        "first_call_s": round(done - loaded, 2),
    }
    result |= {"total_s": round(done - start, 2), "vmhwm_mb": hwm}
    if model.aot is not None and mode == "compiled":
        result |= {"artifacts_loaded": model.aot.loaded, "artifacts_compiled": model.aot.compiled}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
