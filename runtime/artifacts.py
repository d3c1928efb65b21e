"""Compiled artifacts reused between processes: AOTInductor packages in a cache directory.

``load(..., compile=True)`` runs a model's forward, and generation's prefill
and decode steps, through AOTInductor packages (``torch.export`` with every
input dimension dynamic, then ``torch._inductor.aoti_compile_and_package``).
A package holds the compiled kernels only, not the weights
(``package_constants_in_so=False``): a later process loads the shared library
(well under a second) and points it at the module's own, already loaded
tensors (``load_constants(user_managed=True)``), so there is neither a second
copy of the weights on disk nor in memory, and no Dynamo tracing at start-up.
(``torch.compile`` with its FX-graph and AOTAutograd caches still re-traces
with Dynamo in every process, which costs 10-20 s on an XLM-R base model on
two cores, and 7-19 s for generation on small models.)

A KV cache is not exported as module state: state becomes constants of the
shape they had at export, and a cache changes shape (batch, power-of-two
slots). Its tensors are inputs of the step instead (``caches``, one tuple of
buffers per ``KVCache`` module), with dynamic dims like every other input;
a step writes them in place (``index_copy_`` on an input: export records the
mutation and AOTInductor writes into the tensor passed), so the cache stays
the module's own buffers and beam search's eager ``reorder_cache`` keeps working.

An artifact is keyed by everything it was compiled from: the generated
module's source, the source file of every other non-torch module class in the
tree (archgen's own layers, such as weight-first or int8 linears, and any a
user swapped in), the source of the rewrites applied before inductor compiles
(this module and ``passes.py``), the torch version, the CPU capability, the config's sizes
and flags, the head, the dtype and layout (strides) of every tensor it reads
as a constant, the method, and the call's signature (the structure of its
inputs, their dtypes and ranks, plus non-tensor arguments). A stale artifact
is never found, so it is never used: in particular, kernels compiled for one
weight layout (row-major, or input-major ``w.t().contiguous().t()``) are never
fed weights of another. Artifacts are written to a temporary name and renamed
into place, so a reader never sees half of one, and compiled under a lock
(``<key>.lock`` beside it), so processes that miss the same artifact at once
compile it once: the others wait for it, then load it.

Before inductor compiles, an exported program is rewritten: ``gelu(x,
approximate="tanh")`` as ``x * sigmoid(2z)`` (:data:`DECOMPOSITIONS`), and
elementwise ops are computed on the tensors that chains of views were taken of
(:func:`.passes.sink_pointwise_through_views`), so an activation between two
weight-first linear layers keeps their feature-major layout.

The cache directory is ``cache_dir=`` if given, else ``$ARCHGEN_CACHE_DIR``,
else ``$XDG_CACHE_HOME/archgen``, else ``~/.cache/archgen``.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import math
import os
import platform
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

import torch
import torch.fx.experimental._config
from torch.export import Dim
from torch.utils import _pytree as pytree

from . import passes
from .progress import Reporter

__all__ = ["AotForward", "default_cache_dir", "kv_caches"]

#: How artifacts are made (export options, packaging, call convention); part of the key.
#: 5: tiny weights are no longer inlined into the kernels (:data:`INDUCTOR_CONFIGS`).
FORMAT = 5

#: Inductor's options for every artifact. The weights are not packaged (the runner hands
#: it the module's own tensors), and none is inlined either: by default inductor writes a
#: 0-d tensor, or a 1-d one of at most 8 elements (a classifier's bias for a few labels,
#: a question-answering head's bias), into the kernels as literals, so an artifact that
#: another checkpoint of the same shapes found in the cache computed with the first
#: checkpoint's values. ``always_keep_tensor_constants`` keeps every one an input.
INDUCTOR_CONFIGS = {"aot_inductor.package_constants_in_so": False, "always_keep_tensor_constants": True}


def _gelu_tanh_as_sigmoid(x: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    """``gelu(x, approximate="tanh")`` as ``x * sigmoid(2z)``, z = sqrt(2/pi) (x + 0.044715 x^3).

    The same function (``0.5 (1 + tanh(z)) == sigmoid(2z)``), lowered by inductor to one
    vectorized exp instead of a tanh: 1.4x faster at 128 x 1024 and 1.6x at 1024 x 1024
    on this project's 2-core AVX2 machine (``bench/gelu_tanh.py``). Its values stay
    within 2e-6 of ATen's kernel, and where x is very negative it is the more accurate of
    the two (``1 + tanh(z)`` cancels to 0 there). The exact (erf) gelu is left as it is.
    """
    if approximate != "tanh":
        return NotImplemented
    two_z = (2 * math.sqrt(2 / math.pi)) * (x + 0.044715 * x * x * x)
    return x * torch.sigmoid(two_z)


#: Rewrites applied to every exported program before inductor compiles it.
DECOMPOSITIONS = {torch.ops.aten.gelu.default: _gelu_tanh_as_sigmoid}

#: A hash of the code that exports and rewrites programs (this file and passes.py): part of
#: the key, so an artifact made by an older rewrite is never found.
REWRITES = hashlib.sha256(b"".join(Path(f).read_bytes() for f in (__file__, passes.__file__))).hexdigest()


def default_cache_dir() -> Path:
    """``$ARCHGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/archgen``, else ``~/.cache/archgen``."""
    if os.environ.get("ARCHGEN_CACHE_DIR"):
        return Path(os.environ["ARCHGEN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "archgen"


def _code_key(module: torch.nn.Module) -> str:
    """A hash of the source file of every module class in the tree that torch does not define.

    The generated module's classes are covered (its file is also hashed by the
    owner), and so is any layer swapped in after construction, whose forward is
    traced into the artifact just the same: a changed ``forward`` there gives a new key,
    never a stale artifact that computes the old one."""
    files: dict[str, str] = {}
    for cls in {type(m) for m in module.modules()}:
        if cls.__module__ == "torch" or cls.__module__.startswith("torch."):
            continue
        name = f"{cls.__module__}.{cls.__qualname__}"
        try:
            files[name] = hashlib.sha256(Path(inspect.getsourcefile(cls) or "").read_bytes()).hexdigest()
        except (OSError, TypeError):  # no source on disk: the name alone
            files[name] = ""
    return hashlib.sha256(json.dumps(sorted(files.items())).encode()).hexdigest()


def kv_caches(module: torch.nn.Module) -> list[torch.nn.Module]:
    """The module's KV caches, in order: the modules ``setup_cache`` made, which the generated
    code marks with the class attribute ``kv_cache = True``."""
    return [m for m in module.modules() if getattr(type(m), "kv_cache", False) is True]


def _signature(call: Any) -> list:
    """What a call's compiled code depends on besides sizes: its structure, each tensor's dtype,
    rank and device, and every other value."""
    leaves, spec = pytree.tree_flatten(call)
    described = [
        [str(v.dtype), v.dim(), v.device.type] if isinstance(v, torch.Tensor) else repr(v) for v in leaves
    ]
    return [str(spec), described]


def _contiguous(inputs: dict[str, Any]) -> dict[str, Any]:
    """The inputs by name, every tensor contiguous: export traces contiguous tensors, and a
    package reads its inputs with the strides it was traced with."""
    return pytree.tree_map_only(torch.Tensor, torch.Tensor.contiguous, dict(sorted(inputs.items())))


class _Call(torch.nn.Module):
    """What an artifact runs: ``module.<method>(**inputs)``, with the KV caches' tensors as inputs.

    ``holders`` are the cache modules whose buffers ``caches`` (one tuple per
    holder) stand for while the call runs; outside a call their buffers are
    whatever they were."""

    def __init__(self, module: torch.nn.Module, method: str, holders: list[torch.nn.Module]):
        super().__init__()
        self.module = module
        self.method = method
        self.holders = holders  # a plain list: the caches are the module's, not this wrapper's

    def forward(self, caches: list[tuple[torch.Tensor, ...]], inputs: dict[str, Any]) -> Any:
        saved = [dict(h._buffers) for h in self.holders]
        for holder, tensors in zip(self.holders, caches, strict=True):
            holder._buffers.update(zip(list(holder._buffers), tensors, strict=True))
        try:
            return getattr(self.module, self.method)(**inputs)
        finally:
            for holder, buffers in zip(self.holders, saved):
                holder._buffers.update(buffers)


def _load(path: Path) -> Any:
    """A package's loader (``AOTIModelPackageLoader``), made directly: ``torch._inductor.
    aoti_load_package`` makes the same one, but importing ``torch._inductor`` imports
    ``torch._dynamo`` too, 1.2-1.7 s of a warm start on two cores."""
    loader = getattr(getattr(torch._C, "_aoti", None), "AOTIModelPackageLoader", None)
    if loader is None:  # pragma: no cover - a torch without the binding
        return torch._inductor.aoti_load_package(str(path)).loader
    return loader(str(path), "model", False, 1, -1)  # model name, single-threaded, runners, device


class _Runner:
    """A loaded package. AOTInductor's own ``__call__`` flattens whatever it is given, in the
    order it comes, and drops non-tensor values: :meth:`bind` checks a call's structure
    against the exported one instead, once, and then each call's against it."""

    def __init__(self, loader: Any):
        self.loader = loader
        in_spec, out_spec = loader.get_call_spec()
        self.in_spec = pytree.treespec_loads(in_spec)
        self.out_spec = pytree.treespec_loads(out_spec)

    def bind(self, caches: list[tuple[torch.Tensor, ...]], inputs: dict[str, Any]) -> Callable[..., Any]:
        """A function of keyword arguments structured like ``inputs`` (the same names, nesting and
        non-tensor values), reading and writing ``caches``."""
        spec = pytree.tree_flatten(((), {"caches": caches, "inputs": dict(sorted(inputs.items()))}))[1]
        if spec != self.in_spec:
            raise RuntimeError(f"a compiled artifact exported for {self.in_spec} was called with {spec}")
        expected = {}
        for name, value in sorted(inputs.items()):
            leaves, spec = pytree.tree_flatten(value)
            constants = [v for v in leaves if not isinstance(v, torch.Tensor)]
            expected[name] = (spec, constants, spec.is_leaf() and not constants)  # ..., a lone tensor
        fixed = [t for group in caches for t in group]
        run, out_spec = self.loader.boxed_run, self.out_spec

        def call(**kwargs: Any) -> Any:
            if kwargs.keys() != expected.keys():
                raise TypeError(f"this compiled call takes {sorted(expected)}, got {sorted(kwargs)}")
            flat = list(fixed)
            for name, (spec, constants, tensor) in expected.items():
                value = kwargs[name]
                if tensor and isinstance(value, torch.Tensor):
                    flat.append(value.contiguous())  # a package reads the strides it was traced with
                    continue
                leaves, got = pytree.tree_flatten(value)
                if got != spec or [v for v in leaves if not isinstance(v, torch.Tensor)] != constants:
                    raise TypeError(
                        f"{name} is {value!r}; this compiled call was made for {spec}, {constants}"
                    )
                flat += [v.contiguous() for v in leaves if isinstance(v, torch.Tensor)]
            return pytree.tree_unflatten(run(flat), out_spec)

        return call


class AotForward:
    """A module's forward and methods, run through AOTInductor packages cached on disk (one per
    method and call signature).

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
        self._runners: dict[str, _Runner] = {}
        self._tensors: dict[str, torch.Tensor] | None = None  # the constants, found once (see reset)
        self._layout: tuple = ()
        self._state = ""
        self._code = ""
        #: How the module runs beyond its constants and call (the owner sets it, e.g.
        #: "weight-first": see .orientation); part of the key when not empty.
        self.variant = ""

    def _constants(self) -> dict[str, torch.Tensor]:
        """What a package reads as constants: every parameter and buffer except the KV caches'."""
        caches = {id(t) for holder in kv_caches(self.module) for t in holder._buffers.values()}
        tensors = dict(self.module.named_parameters(remove_duplicate=False))
        tensors |= dict(self.module.named_buffers(remove_duplicate=False))
        return {name: t for name, t in tensors.items() if id(t) not in caches}

    def key(
        self,
        kwargs: dict[str, Any],
        method: str = "forward",
        caches: list[tuple[torch.Tensor, ...]] | None = None,
    ) -> str:
        """The artifact's key: a hash of the module's key parts, the environment, the constants'
        dtypes and strides, the method, the call signature and the variant."""
        state = self._state_key()  # finds the constants and module classes on first use
        parts = self.key_parts | {
            "format": FORMAT,
            "torch": torch.__version__,
            "cpu": torch.backends.cpu.get_cpu_capability(),
            "machine": platform.machine(),
            "state": state,
            "code": self._code,
            "rewrites": REWRITES,
            "method": method,
            "signature": _signature({"caches": caches or [], "inputs": dict(sorted(kwargs.items()))}),
        }
        if self.variant:  # absent otherwise, so the keys of modules without variants stay as they were
            parts["variant"] = self.variant
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]

    def _state_key(self) -> str:
        """A hash of every constant's name, dtype and strides.

        Inductor compiles for the constants' layout: a weight stored input-major
        (strides (1, N)) gets other kernels than a row-major one, so a package is
        never fed weights of a layout it was not compiled for. Re-hashed whenever a
        dtype or stride changes (``p.data = ...`` included); tensors replaced by
        other objects, and modules replaced by others, need :meth:`reset`, as
        ``ArchgenModel.to`` does."""
        if self._tensors is None:
            self._tensors = dict(sorted(self._constants().items()))
            self._code = _code_key(self.module)
        layout = tuple((t.dtype, t.stride()) for t in self._tensors.values())
        if layout != self._layout:
            state = [[n, str(t.dtype), list(t.stride())] for n, t in self._tensors.items()]
            self._state = hashlib.sha256(json.dumps(state).encode()).hexdigest()
            self._layout = layout
        return self._state

    def reset(self) -> None:
        """Forget the loaded runners (their constants point at tensors that ``.to()`` replaced),
        the constants found so far and the module classes hashed."""
        self._runners.clear()
        self._tensors, self._layout = None, ()

    def __call__(self, **kwargs: Any) -> dict[str, torch.Tensor]:
        return self.bind(kwargs)(**kwargs)

    def bind(
        self, inputs: dict[str, Any], method: str = "forward", caches: bool = False
    ) -> Callable[..., Any]:
        """``module.<method>`` as a function of keyword arguments like ``inputs`` (the same names,
        dtypes, ranks and non-tensor values; any sizes), run through its artifact, found (or
        compiled) once here. With ``caches`` the call reads and writes the KV caches that the
        module holds now (``setup_cache``): bind again after a new ``setup_cache``."""
        holders = kv_caches(self.module) if caches else []
        tensors = [tuple(h._buffers.values()) for h in holders]
        if not all(t.is_contiguous() for group in tensors for t in group):
            raise ValueError("a KV cache that a compiled step writes must be contiguous")
        key = self.key(inputs, method, tensors)
        runner = self._runners.get(key)
        if runner is None:
            runner = self._runners[key] = self._runner(key, inputs, method, holders)
        return runner.bind(tensors, inputs)

    def _runner(self, key: str, inputs: dict[str, Any], method: str, holders: list) -> _Runner:
        path = self.cache_dir / f"{key}.pt2"
        compiled = False
        if not path.exists():
            with self._exclusive(path):
                if not path.exists():  # not written meanwhile by a process that held the lock
                    with self.reporter.stage("compiling (torch.export + AOTInductor, once per cache)"):
                        with warnings.catch_warnings():  # torch's own deprecations inside export
                            warnings.filterwarnings(
                                "ignore",
                                message=r"`isinstance\(treespec, LeafSpec\)` is deprecated",
                                category=FutureWarning,
                            )
                            warnings.filterwarnings(  # torch.utils.mkldnn, which compiling imports
                                "ignore",
                                message=r"`torch\.jit\.script_method` is deprecated",
                                category=DeprecationWarning,
                            )
                            self._compile(path, inputs, method, holders)
                    compiled = True
        with self.reporter.stage("loading compiled artifact"):
            loader = _load(path)
        if compiled:
            self.compiled += 1
        else:
            self.loaded += 1
        # The runner reads the module's own tensors: no copy of the weights. They are the
        # tensors whose layout the key hashed (bind computed it), so it matches the package's.
        tensors = self._tensors if self._tensors is not None else self._constants()
        names = {name: name.removeprefix("module.") for name in loader.get_constant_fqns()}
        foreign = sorted(name for name, own in names.items() if own not in tensors)
        if foreign:  # a tensor made inside forward: generated code keeps its tensors in buffers
            raise RuntimeError(
                f"the compiled program of {type(self.module).__name__} holds tensors that are not the "
                f"module's parameters or buffers ({', '.join(foreign)}): an archgen bug, please report it"
            )
        constants = {name: tensors[own].detach() for name, own in names.items()}
        loader.load_constants(constants, use_inactive=False, check_full_update=True, user_managed=True)
        return _Runner(loader)

    @contextlib.contextmanager
    def _exclusive(self, path: Path) -> Iterator[None]:
        """Hold the lock of the artifact at ``path`` (an advisory ``flock`` on ``<key>.lock`` beside
        it; POSIX only, no lock elsewhere). Processes that miss the same artifact at once, such
        as two test workers or two servers starting together, compile it once: the others wait,
        then load what the first wrote."""
        if fcntl is None:  # pragma: no cover - not POSIX
            yield
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with open(path.with_suffix(".lock"), "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                with self.reporter.stage("waiting for another process compiling this artifact"):
                    fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _compile(self, path: Path, inputs: dict[str, Any], method: str, holders: list) -> None:
        """Export with every tensor dimension dynamic and package the kernels (not the weights), atomically."""
        call = {
            "caches": [tuple(h._buffers.values()) for h in holders],
            "inputs": _contiguous(inputs),
        }
        # Non-tensor arguments (flags such as output_hidden_states) are specialised; they are in the key.
        dims = pytree.tree_map(
            lambda v: {i: Dim.AUTO for i in range(v.dim())} if isinstance(v, torch.Tensor) else None, call
        )
        # Export specialises dims of size 1 (strides and all), so a first call of batch 1 is
        # traced at 2: repeating a size-1 dim keeps the inputs valid. No duck sizing: two dims
        # that happen to be equal must stay two symbols.
        example = pytree.tree_map(
            lambda v: (
                v.repeat(*[2 if n == 1 else 1 for n in v.shape])
                if isinstance(v, torch.Tensor) and v.dim()
                else v
            ),
            call,
        )
        # No cache is state of the exported program (it would be a constant of fixed shape):
        # while exporting, every cache module holds no buffers, and a step that writes
        # them gets them as inputs.
        every = kv_caches(self.module)
        saved = [dict(h._buffers) for h in every]
        for holder in every:
            holder._buffers.update(dict.fromkeys(holder._buffers))
        try:
            with torch.fx.experimental._config.patch(use_duck_shape=False):
                program = torch.export.export(
                    _Call(self.module, method, holders), (), example, dynamic_shapes=dims
                )
        finally:
            for holder, buffers in zip(every, saved):
                holder._buffers.update(buffers)
        program = program.run_decompositions(DECOMPOSITIONS)
        passes.sink_pointwise_through_views(program.graph_module)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pt2", dir=self.cache_dir)
        os.close(fd)
        try:
            with warnings.catch_warnings():
                # a Fourier transform (FNet's mixing) runs as torch's own kernel, as in eager
                warnings.filterwarnings(
                    "ignore", "Torchinductor does not support code generation for complex"
                )
                torch._inductor.aoti_compile_and_package(
                    program, package_path=tmp, inductor_configs=INDUCTOR_CONFIGS
                )
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
