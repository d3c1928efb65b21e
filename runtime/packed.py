"""Linear layers with their weights packed once for archgen's own GEMM (``kernels/packed_gemm.cpp``).

torch's CPU GEMM (MKL here) packs both operands of every call. ONNX Runtime's
(MLAS) packs a constant weight once, at session start, and is faster at the row
counts of short calls. :class:`PackedLinear` does the same: at load, each
qualifying layer's weight is rearranged into panels of 16 output features
(``torch.ops.archgen.pack_linear_weight``), and every call runs
``torch.ops.archgen.packed_linear``, an AVX2 + FMA kernel that streams the
panels and reads the input in place. ``python bench/gemm_libraries.py`` measures it
against every other GEMM within reach, layer by layer. On this project's 2-core
AVX2 machine (fp32, 128 rows, 12 weights cycled) one XLM-R base layer's four
GEMMs took 10.37 ms against 10.52 in ONNX Runtime, 11.44 in MKL weight-first and
12.98 through ``F.linear``; on all ten XLM-R, MobileBERT and UMT5-small shapes it
ran at 172-178 GFLOP/s (MKL 137-164), the fastest or within 1% of MLAS. At 1024
rows (bench.py's ``gemm-packed`` floor against ``gemm``): XLM-R base 926 against
959 ms, MobileBERT 222 against 261, the UMT5-small encoder 207 against 218.

Decisions:

- A layer qualifies when it is exactly ``nn.Linear`` (not a quantized or other
  subclass), fp32, on the CPU, both widths at least :data:`MIN_WIDTH`, and its
  weight is not tied to another parameter (an LM head that shares the word
  embedding keeps the embedding's layout). Models whose head generates keep
  their layers as they are: their one-token steps are GEMVs, laid out for
  by :func:`.model._input_major`.
- The kernel is built once per machine, torch version and source with the C++
  compiler that AOTInductor uses (``$CXX``, else ``c++``), into
  ``<cache dir>/kernels`` (:func:`.artifacts.default_cache_dir`), written to a
  temporary name and renamed into place. On a CPU without AVX2 and FMA, or when
  no compiler builds it, :func:`kernels_available` says why and the layers stay
  ``nn.Linear`` (run weight-first for short calls: :mod:`.orientation`).
  ``ARCHGEN_PACKED_GEMM=0`` turns the packing off.
- The packed weight replaces the layer's weight in memory: the checkpoint's
  tensors for these layers are read into memory of their own (not the file's
  mapping), then each is packed and freed, so a model holds each weight once.
  ``weight`` is still there to read (unpacked on access), ``state_dict`` and
  ``save_pretrained`` give the checkpoint's layout, and ``load_state_dict``
  packs what it is given.
- The kernel has no epilogue: it writes ``x @ W.T + b`` and what follows (an
  activation, a gated product, a residual sum) is a separate elementwise pass,
  which inductor fuses with its neighbours. Folding them into the kernel's store
  (an exported-program pass matching ``relu(packed_linear(...))`` and the like)
  was built and measured, and it did not pay: the separate pass reads an output
  that is still in cache. At 1024 rows, 2 threads, one process (2026-11-22, scratch
  script): 768 -> 3072 plain 25.9 ms; relu folded 26.5 against a separate ``relu_``
  26.1; residual sum folded 27.7 against separate 26.2; exact gelu folded (SLEEF's
  erf) 38.6. Compiled MobileBERT b8x128 with its relus and residual sums folded
  (the first version, epilogue in the register tile): 281.4 ms against 262.7 without,
  the two models alternating in one process.
- A compiled artifact calls the op through AOTInductor's proxy executor: the
  process that loads the artifact has the op registered because its model holds
  packed layers (which loaded the library).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import torch
from torch import nn

from .progress import Reporter

__all__ = ["MIN_WIDTH", "PackedLinear", "kernels_available", "pack_linears", "packable", "unpacked_weights"]

#: A layer is packed when both its widths are at least this (one panel): a classifier with a
#: handful of labels stays a plain layer (its panel would be mostly padding). Narrow layers
#: are packed too, so the property tests' small models run the kernel.
MIN_WIDTH = 16
#: The output features in one panel (``NR`` in the kernel).
PANEL = 16

SOURCE = Path(__file__).with_name("kernels") / "packed_gemm.cpp"
_FLAGS = ["-O3", "-mavx2", "-mfma", "-fopenmp", "-fPIC", "-shared", "-std=c++20", "-w"]
_lock = threading.Lock()
_state: dict[str, str | bool] = {}


def _build(target: Path) -> None:
    """Compile :data:`SOURCE` into ``target`` (atomically); raises with the compiler's output."""
    from torch.utils.cpp_extension import include_paths, library_paths

    compiler = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")
    if not compiler:
        raise RuntimeError("no C++ compiler found (set $CXX)")
    abi = int(torch._C._GLIBCXX_USE_CXX11_ABI)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".so", dir=target.parent)
    os.close(fd)
    command = [compiler, *_FLAGS, f"-D_GLIBCXX_USE_CXX11_ABI={abi}", str(SOURCE), "-o", tmp]
    command += [f"-I{p}" for p in include_paths()]
    command += [f"-L{p}" for p in library_paths()] + ["-ltorch_cpu", "-lc10"]
    try:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{compiler} failed building {SOURCE.name}:\n{done.stderr[-2000:]}")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _why_not(reporter: Reporter) -> str:
    """Why this process cannot run the kernel, or '' when it can (then it is loaded)."""
    if platform.machine().lower() not in ("x86_64", "amd64") or sys.platform != "linux":
        return f"the kernel is built for x86-64 Linux, not {platform.machine()} {sys.platform}"
    if torch.backends.cpu.get_cpu_capability() not in ("AVX2", "AVX512"):
        return f"the CPU runs torch at {torch.backends.cpu.get_cpu_capability()}, not AVX2 with FMA"
    if hasattr(torch.ops.archgen, "packed_linear"):  # loaded already (by another path to this file)
        return ""
    from .artifacts import default_cache_dir

    source = SOURCE.read_bytes()
    key = hashlib.sha256(source + torch.__version__.encode() + " ".join(_FLAGS).encode()).hexdigest()[:16]
    target = default_cache_dir() / "kernels" / f"packed_gemm-{key}.so"
    try:
        if not target.exists():
            with reporter.stage("building archgen's packed GEMM kernel (once per machine and torch)"):
                _build(target)
        torch.ops.load_library(str(target))
    except (RuntimeError, OSError) as exc:
        return str(exc)
    return ""


def kernels_available(reporter: Reporter | None = None) -> tuple[bool, str]:
    """Whether the packed GEMM runs in this process (building and loading it on first use,
    shown by ``reporter``), and if not, why. ``ARCHGEN_PACKED_GEMM=0`` says no (read on
    every call)."""
    if os.environ.get("ARCHGEN_PACKED_GEMM", "1") == "0":
        return False, "ARCHGEN_PACKED_GEMM=0"
    with _lock:
        if "why" not in _state:
            _state["why"] = _why_not(reporter or Reporter(False))
            if not _state["why"]:
                _register_fakes()
        return not _state["why"], str(_state["why"])


def _register_fakes() -> None:
    """Shapes for export's fake tensors (the kernel itself is C++)."""

    @torch.library.register_fake("archgen::pack_linear_weight")
    def _(weight: torch.Tensor) -> torch.Tensor:
        return weight.new_empty(((weight.shape[0] + PANEL - 1) // PANEL, weight.shape[1], PANEL))

    @torch.library.register_fake("archgen::packed_linear")
    def _(x: torch.Tensor, packed: torch.Tensor, bias: torch.Tensor | None, features: int) -> torch.Tensor:
        return x.new_empty((*x.shape[:-1], features))


def unpack(packed: torch.Tensor, features: int) -> torch.Tensor:
    """The ``(features, in)`` weight a packed one holds."""
    return packed.transpose(1, 2).reshape(packed.shape[0] * PANEL, packed.shape[1])[:features]


class PackedLinear(nn.Module):
    """``nn.Linear`` with its weight packed for ``torch.ops.archgen.packed_linear``.

    Holds the packed weight as the buffer ``packed`` and the bias as the parameter
    ``bias``; its state dict has ``weight`` and ``bias`` in the checkpoint's layout."""

    def __init__(self, weight: torch.Tensor, bias: nn.Parameter | None):
        super().__init__()
        self.out_features, self.in_features = weight.shape
        self.register_buffer("packed", torch.ops.archgen.pack_linear_weight(weight.detach()))
        self.register_parameter("bias", bias)
        self._register_load_state_dict_pre_hook(_pack_on_load, with_module=True)

    @property
    def weight(self) -> torch.Tensor:
        """The weight in ``nn.Linear``'s layout: a copy, unpacked on access."""
        return unpack(self.packed, self.out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype != torch.float32 or self.packed.dtype != torch.float32:  # after a .to(dtype)
            bias = None if self.bias is None else self.bias.to(x.dtype)
            return nn.functional.linear(x, self.weight.to(x.dtype), bias)
        return torch.ops.archgen.packed_linear(x, self.packed, self.bias, self.out_features)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        destination[prefix + "weight"] = self.weight
        if self.bias is not None:
            destination[prefix + "bias"] = self.bias if keep_vars else self.bias.detach()


def _pack_on_load(module, state_dict, prefix, *args, **kwargs) -> None:
    """``load_state_dict`` gives a ``weight``: pack it into ``packed``."""
    weight = state_dict.pop(prefix + "weight", None)
    if weight is not None:
        state_dict[prefix + "packed"] = torch.ops.archgen.pack_linear_weight(weight.detach().float())


def packable(module: nn.Module, tied: set[str], min_width: int = MIN_WIDTH) -> list[str]:
    """The names of ``module``'s layers that :func:`pack_linears` packs (see the module
    docstring), ignoring whether the kernel runs here; ``tied``: the weights shared with
    another parameter (either side)."""
    return [
        name
        for name, sub in module.named_modules(remove_duplicate=False)
        if type(sub) is nn.Linear
        and min(sub.in_features, sub.out_features) >= min_width
        and f"{name}.weight" not in tied
    ]


def pack_linears(module: nn.Module, names: list[str]) -> list[PackedLinear]:
    """Replace the layers ``names`` of ``module`` (fp32 ``nn.Linear``) by :class:`PackedLinear`,
    in place: each weight is packed and the layer's reference to it dropped, so a weight
    nothing else holds is freed. A layer reachable by two names stays one layer."""
    swapped: dict[int, PackedLinear] = {}
    for name in names:
        parent_name, _, attr = name.rpartition(".")
        parent = module.get_submodule(parent_name)
        child = getattr(parent, attr)
        if id(child) not in swapped:
            if child.weight.dtype != torch.float32 or child.weight.device.type != "cpu":
                continue
            swapped[id(child)] = PackedLinear(child.weight, child.bias)
            child.weight = None  # the unpacked weight goes with the last reference to it
        setattr(parent, attr, swapped[id(child)])
    return list(swapped.values())


def unpacked_weights(module: nn.Module) -> dict[str, torch.Tensor]:
    """``{"<layer>.weight": weight}`` for every :class:`PackedLinear` of ``module``, unpacked."""
    return {
        f"{name}.weight": sub.weight
        for name, sub in module.named_modules(remove_duplicate=False)
        if isinstance(sub, PackedLinear)
    }
