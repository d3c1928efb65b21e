"""Compiled artifacts reused between processes: AOTInductor packages in a cache directory.

``load(..., compile=True)`` runs a model's forward through an AOTInductor
package (``torch.export`` with every input dimension dynamic, then
``torch._inductor.aoti_compile_and_package``). The package holds the compiled
kernels only, not the weights (``package_constants_in_so=False``): a later
process loads the shared library (well under a second) and points it at the
module's own, already loaded tensors (``load_constants(user_managed=True)``),
so there is neither a second copy of the weights on disk nor in memory, and
no Dynamo tracing at start-up. (``torch.compile`` with its FX-graph and
AOTAutograd caches still re-traces with Dynamo in every process, which costs
10-20 s on an XLM-R base model on two cores.)

An artifact is keyed by everything it was compiled from: the generated
module's source, the torch version, the CPU capability, the config's sizes
and flags, the head, the parameters' dtype and strides, and the call's signature (input
names, dtypes and ranks, plus non-tensor arguments). A stale artifact is
never found, so it is never used. Artifacts are written to a temporary name
and renamed into place, so a reader never sees half of one.

The cache directory is ``cache_dir=`` if given, else ``$ARCHGEN_CACHE_DIR``,
else ``$XDG_CACHE_HOME/archgen``, else ``~/.cache/archgen``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

import torch
import torch.fx.experimental._config
from torch.export import Dim

from .progress import Reporter

__all__ = ["AotForward", "default_cache_dir"]

#: How artifacts are made (export options, packaging); part of the key.
FORMAT = 2


def default_cache_dir() -> Path:
    """``$ARCHGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/archgen``, else ``~/.cache/archgen``."""
    if os.environ.get("ARCHGEN_CACHE_DIR"):
        return Path(os.environ["ARCHGEN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "archgen"


def _signature(kwargs: dict[str, Any]) -> list:
    """What a call's compiled code depends on besides sizes: names, dtypes and ranks, other values."""
    out = []
    for name in sorted(kwargs):
        value = kwargs[name]
        if isinstance(value, torch.Tensor):
            out.append([name, str(value.dtype), value.dim(), value.device.type])
        else:
            out.append([name, repr(value)])
    return out


class AotForward:
    """A module's forward, run through AOTInductor packages cached on disk (one per call signature).

    ``key_parts`` identify the module beyond its call (source hash, sizes, head,
    ...). ``compiled`` and ``loaded`` count the packages this object compiled
    and the ones it found on disk."""

    def __init__(
        self, module: torch.nn.Module, key_parts: dict[str, Any], cache_dir: Path, reporter: Reporter
    ):
        self.module = module
        self.key_parts = key_parts
        self.cache_dir = cache_dir
        self.reporter = reporter
        self.compiled = 0
        self.loaded = 0
        self._runners: dict[str, Any] = {}

    def key(self, kwargs: dict[str, Any]) -> str:
        """The artifact's key: a hash of the module's key parts, the environment and the call signature."""
        dtypes = sorted({str(p.dtype) for p in self.module.parameters()})
        # Compiled code assumes the strides its constants had (input-major weights, see load).
        layout = sorted((name, p.stride()) for name, p in self.module.named_parameters())
        parts = self.key_parts | {
            "layout": hashlib.sha256(repr(layout).encode()).hexdigest(),
            "format": FORMAT,
            "torch": torch.__version__,
            "cpu": torch.backends.cpu.get_cpu_capability(),
            "machine": platform.machine(),
            "dtypes": dtypes,
            "signature": _signature(kwargs),
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]

    def reset(self) -> None:
        """Forget the loaded runners (their constants point at tensors that ``.to()`` replaced)."""
        self._runners.clear()

    def __call__(self, **kwargs: Any) -> dict[str, torch.Tensor]:
        key = self.key(kwargs)
        runner = self._runners.get(key)
        if runner is None:
            runner = self._runners[key] = self._runner(key, kwargs)
        return runner(**kwargs)

    def _runner(self, key: str, kwargs: dict[str, Any]):
        path = self.cache_dir / f"{key}.pt2"
        if path.exists():
            with self.reporter.stage("loading compiled artifact"):
                runner = torch._inductor.aoti_load_package(str(path))
            self.loaded += 1
        else:
            with self.reporter.stage("compiling (torch.export + AOTInductor, once per cache)"):
                self._compile(path, kwargs)
                runner = torch._inductor.aoti_load_package(str(path))
            self.compiled += 1
        tensors = dict(self.module.named_parameters(remove_duplicate=False))
        tensors |= dict(self.module.named_buffers(remove_duplicate=False))
        # The runner reads the module's own tensors: no copy of the weights.
        runner.load_constants(
            {name: tensors[name].detach() for name in runner.get_constant_fqns()},
            check_full_update=True,
            user_managed=True,
        )
        return runner

    def _compile(self, path: Path, kwargs: dict[str, Any]) -> None:
        """Export with every tensor dimension dynamic and package the kernels (not the weights), atomically."""
        # Non-tensor arguments (flags such as output_hidden_states) are specialised; they are in the key.
        dims = {
            k: {i: Dim.AUTO for i in range(v.dim())} if isinstance(v, torch.Tensor) else None
            for k, v in kwargs.items()
        }
        # Export specialises dims of size 1 (strides and all), so a first call of batch 1 is
        # traced at 2: repeating a size-1 dim keeps the inputs valid. No duck sizing: two dims
        # that happen to be equal must stay two symbols.
        example = {
            k: v.repeat(*[2 if n == 1 else 1 for n in v.shape])
            if isinstance(v, torch.Tensor) and v.dim()
            else v
            for k, v in kwargs.items()
        }
        with torch.fx.experimental._config.patch(use_duck_shape=False):
            program = torch.export.export(self.module, (), example, dynamic_shapes=dims)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pt2", dir=self.cache_dir)
        os.close(fd)
        try:
            torch._inductor.aoti_compile_and_package(
                program, package_path=tmp, inductor_configs={"aot_inductor.package_constants_in_so": False}
            )
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
