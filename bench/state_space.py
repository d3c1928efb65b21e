"""State-space layers' cost by length: `python bench/state_space.py [--form ssd|selective|gated_delta|kda] [--layers N] [--lengths ...]`.

archgen computes Mamba-2's state-space mixing (``attention.mixing: state_space``, ``form:
ssd``) in chunks of 64 slots (its first version summed every token over every slot before
it, quadratic in the length), Mamba-1's (``form: selective``) by a loop over the slots (its
first version by recursive doubling), and Gated DeltaNet's (``form: gated_delta``) in chunks
of 64 slots, each through a triangular solve, where the reference runs a chunked scan (Mamba-2,
Gated DeltaNet) or a loop over the slots (Mamba-1). This script measures them on a checkpoint of
one form, built offline with ``transformers`` and a fixed seed: ``ssd``, Mamba2-130m's layer
shape (width 768, 24 heads of 64, state 128, one group); ``selective``, Mamba-130m's (width 768,
1536 channels, state 16, time steps of rank 48); ``gated_delta``, Qwen3.5's linear attention at
its default head shape (16 query/key heads and 32 value heads of 128) at width 1024 with a dense
FFN of 1024, every layer linear attention; ``kda``, Bailing Hybrid's Kimi Delta Attention (the
gated delta rule decaying per key feature, ``decay: per_channel``) with 16 heads of 128 at width
1024, a dense FFN of 1024, every layer linear attention; a vocabulary of 1024 and ``--layers`` layers, batch
1, one fresh process per engine and length: the median forward time of ``--repeat`` calls and
the peak RSS the forward adds over the loaded model. It prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
#: Each form's spec, reference config and model classes, title and layer shape (a function of
#: the layer count).
FORMS = {
    "ssd": (
        "mamba2",
        ("Mamba2Config", "Mamba2ForCausalLM"),
        "Mamba-2 of Mamba2-130m's layer shape",
        lambda layers: {
            **{"hidden_size": 768, "num_heads": 24, "head_dim": 64, "expand": 2, "state_size": 128},
            **{"n_groups": 1, "conv_kernel": 4},
        },
    ),
    "selective": (
        "mamba",
        ("MambaConfig", "MambaForCausalLM"),
        "Mamba of Mamba-130m's layer shape",
        lambda layers: {
            "hidden_size": 768,
            "expand": 2,
            "state_size": 16,
            "time_step_rank": 48,
            "conv_kernel": 4,
        },
    ),
    "gated_delta": (
        "qwen3_5_text",
        ("Qwen3_5TextConfig", "Qwen3_5ForCausalLM"),
        "Qwen3.5's linear attention (16 query/key heads, 32 value heads of 128) at width 1024",
        lambda layers: {
            **{"hidden_size": 1024, "intermediate_size": 1024, "linear_num_key_heads": 16},
            **{"linear_num_value_heads": 32, "linear_key_head_dim": 128, "linear_value_head_dim": 128},
            **{"max_position_embeddings": 8192, "layer_types": ["linear_attention"] * layers},
        },
    ),
    "kda": (
        "bailing_hybrid",
        ("BailingHybridConfig", "BailingHybridForCausalLM"),
        "Bailing Hybrid's Kimi Delta Attention (16 heads of 128, a decay per key feature) at width 1024",
        lambda layers: {
            **{"hidden_size": 1024, "intermediate_size": 1024, "num_attention_heads": 16, "head_dim": 128},
            **{"num_key_value_heads": 16, "eos_token_id": 2},
            # the rotated width equal to the heads': transformers reloads `linear_head_dim` from `head_dim`,
            # which it saves as `qk_rope_head_dim`
            **{"qk_rope_head_dim": 128, "max_position_embeddings": 8192},
            **{"layer_types": ["linear_attention"] * layers, "mlp_layer_types": ["dense"] * layers},
        },
    ),
}
VOCAB = 1024


def build(directory: Path, form: str, layers: int) -> None:
    """A reference checkpoint of the form's shape and ``layers`` layers, saved to ``directory``."""
    import torch
    import transformers

    _, (config_class, model_class), _, shape = FORMS[form]
    config = getattr(transformers, config_class)(
        **shape(layers), vocab_size=VOCAB, pad_token_id=0, num_hidden_layers=layers
    )
    torch.manual_seed(0)
    getattr(transformers, model_class)(config).save_pretrained(directory)


def measure(engine: str, form: str, directory: str, length: int, repeat: int) -> dict:
    """In this process: load, run once, then time ``repeat`` forwards of ``length`` tokens."""
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    ids = torch.randint(3, VOCAB, (1, length), generator=torch.Generator().manual_seed(1))
    name, (_, model_class), _, _ = FORMS[form]
    if engine == "archgen":
        import archgen

        model = archgen.load(directory, spec=FIXTURES / f"{name}.yaml")

        def call():
            return model(ids)["logits"]
    else:
        import transformers

        reference = getattr(transformers, model_class).from_pretrained(directory).eval()

        def call():
            with torch.no_grad():
                return reference(input_ids=ids, use_cache=False).logits

    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"ms": statistics.median(times) * 1e3, "peak_mb": (peak - loaded) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--form", choices=sorted(FORMS), default="ssd")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--lengths", type=int, nargs="+", default=[256, 512, 1024, 2048])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", nargs=3, metavar=("ENGINE", "DIR", "LENGTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        engine, directory, length = args.measure
        print(json.dumps(measure(engine, args.form, directory, int(length), args.repeat)))
        return
    with tempfile.TemporaryDirectory() as directory:
        build(Path(directory), args.form, args.layers)
        title = FORMS[args.form][2]
        print(f"{title}, {args.layers} layers, batch 1, fp32, {os.cpu_count()} threads")
        print()
        print("| tokens | archgen ms | reference ms | archgen peak MB over the model | reference peak MB |")
        print("|---|---|---|---|---|")
        for length in args.lengths:
            row = {}
            for engine in ("archgen", "reference"):
                command = [sys.executable, __file__, "--form", args.form, "--repeat", str(args.repeat)]
                command += ["--measure", engine]
                out = subprocess.run(
                    command + [directory, str(length)], capture_output=True, text=True, check=True
                )
                row[engine] = json.loads(out.stdout.strip().splitlines()[-1])
            a, r = row["archgen"], row["reference"]
            print(f"| {length} | {a['ms']:.0f} | {r['ms']:.0f} | {a['peak_mb']:.0f} | {r['peak_mb']:.0f} |")


if __name__ == "__main__":
    main()
