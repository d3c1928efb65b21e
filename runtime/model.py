"""Loading a checkpoint directory and running it.

``load(checkpoint_dir)`` reads config.json, picks the spec from ``model_type``
and the head from ``architectures`` (or ``head=``), builds the generated module
on the meta device and assigns the checkpoint's tensors through the weight
table. The returned :class:`ArchgenModel` validates inputs before any compute,
returns :class:`ModelOutput` objects with the reference's field names, saves
back to the reference layout, and generates with a static KV cache.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import sys
import tempfile
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from ..compiler.lower import (
    SPECS_DIR,
    ArchIR,
    HeadIR,
    all_layers,
    bind_sizes,
    check_constraints,
    config_value,
    discover_specs,
    lazy_symbols,
    load_arch,
    state_space,
    switches,
    token_types,
)
from ..compiler.render import render_module, render_table
from . import precision as P
from . import weights as W
from .artifacts import AotForward, default_cache_dir
from .decoding import SYNC_EVERY, Step, collect, force, until_finished
from .memory import reuse_freed_memory
from .orientation import WEIGHT_FIRST_ROWS, weight_first_layers
from .packed import kernels_available, pack_linears, packable, unpacked_weights
from .progress import Reporter

__all__ = ["ArchgenModel", "InputError", "ModelOutput", "load", "find_spec"]

GENERATED_DIR = Path(__file__).resolve().parent.parent / "generated"

#: The smallest KV cache: short generations share one cache shape (and one compiled step).
MIN_CACHE_SLOTS = 64

#: config.json activation names -> the spec language's names.
HF_ACTIVATIONS = {
    "gelu": "gelu",
    "gelu_new": "gelu_tanh",
    "gelu_pytorch_tanh": "gelu_tanh",
    "relu": "relu",
    "silu": "silu",
    "swish": "silu",
    "tanh": "tanh",
    "relu2": "relu2",
    "xielu": "xielu",
}


class InputError(ValueError):
    """Model inputs that cannot be run; raised before any compute."""


class ModelOutput(dict):
    """The model's outputs: a dict whose keys are also attributes (``out.logits``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"this output has no field {name!r}; it has {sorted(self)}") from None


# --------------------------------------------------------------- spec lookup


def find_spec(model_type: str, specs_dir: Path = SPECS_DIR) -> Path:
    """The spec whose ``model_types`` lists ``model_type``."""
    known = []
    for path in discover_specs(specs_dir):
        ir = load_arch(path)
        if model_type in ir.spec.model_types:
            return path
        known += ir.spec.model_types
    raise ValueError(f"no spec handles model_type {model_type!r}; known: {', '.join(sorted(known))}")


def _generated_module(ir: ArchIR) -> types.ModuleType:
    """The committed generated module if it is current for this spec, else one compiled in memory."""
    committed = GENERATED_DIR / f"{ir.name}.py"
    if committed.exists() and f"(spec hash {ir.spec_hash})" in committed.read_text(encoding="utf-8")[:400]:
        return importlib.import_module(f"archgen.generated.{ir.name}")
    source = render_module(ir)
    # A real file, so that torch.compile and tracebacks can read the source.
    cache = Path(tempfile.gettempdir()) / "archgen-modules"
    cache.mkdir(exist_ok=True)
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    path = cache / f"{ir.name}_{digest}.py"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(source, encoding="utf-8")
        os.replace(tmp, path)
    name = f"archgen_user_{ir.name}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and torch.compile look modules up by name
    spec.loader.exec_module(module)
    return module


def _table(ir: ArchIR) -> dict:
    committed = GENERATED_DIR / f"{ir.name}.weights.json"
    if committed.exists():
        table = json.loads(committed.read_text(encoding="utf-8"))
        if table.get("spec_hash") == ir.spec_hash:
            return table
    return json.loads(render_table(ir))


# --------------------------------------------------------------- checkpoints

#: Tensors smaller than this are read into memory of their own, not viewed in the file's
#: mapping. Reading a page of a mapped file maps its neighbours too (Linux's fault-around:
#: 64 KiB around the page the kernel has cached), so viewing a bias or norm weight that sits
#: between two weights a model copies (packed, or relaid input-major) kept up to 64 KiB of those
#: weights' file pages resident as well: on MobileBERT (a 94 MB file, hundreds of small tensors)
#: 62 MB of the file was resident after ``load`` alone, beside the packed copies, none of it
#: read since (``/proc/self/smaps``, scratch script). A copy of a small tensor costs its own
#: size; above this size a view's neighbours are a small fraction of it.
MAPPED_MIN_BYTES = 1 << 20

#: safetensors dtype names -> torch dtypes (for reading a tensor into memory of its own).
_SAFETENSORS_DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}


class _Checkpoint:
    """The tensors of a checkpoint directory: model.safetensors or a sharded index.

    A shard index must agree with its files: every key it lists is in the shard
    it names, and every tensor of a shard is listed; else :class:`CheckpointError`."""

    def __init__(self, directory: Path):
        single = directory / "model.safetensors"
        index = directory / "model.safetensors.index.json"
        weight_map: dict[str, str] | None = None
        if single.exists():
            files = [single]
        elif index.exists():
            try:
                weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map")
            except (ValueError, AttributeError) as exc:
                raise W.CheckpointError(f"{index} is not a JSON object: {exc}") from None
            if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
                raise W.CheckpointError(f"{index} has no 'weight_map' of tensor names to shard file names")
            files = sorted({directory / v for v in weight_map.values()})
            missing = [str(p) for p in files if not p.is_file()]
            if missing:
                raise W.CheckpointError(
                    f"the shard index names files that do not exist: {', '.join(missing)}"
                )
        else:
            raise FileNotFoundError(f"{directory} has no model.safetensors or model.safetensors.index.json")
        self._handles: dict[Path, Any] = {}
        self._headers: dict[Path, tuple[int, dict]] = {}
        self._where: dict[str, Path] = {}
        problems = []
        for path in files:
            try:
                self._handles[path] = safe_open(path, framework="pt")
            except Exception as exc:  # safetensors raises its own SafetensorError for bad files
                raise W.CheckpointError(f"{path} is not a readable safetensors file: {exc}") from None
            for key in self._handles[path].keys():
                if key in self._where:
                    problems.append(f"{key} is in both {self._where[key].name} and {path.name}")
                self._where[key] = path
        if weight_map is not None:
            for key, name in sorted(weight_map.items()):
                if key not in self._where or self._where[key] != directory / name:
                    problems.append(f"the index puts {key} in {name}, which does not hold it")
            problems += [
                f"{k} in {p.name} is not in the index" for k, p in self._where.items() if k not in weight_map
            ]
        if problems:
            raise W.CheckpointError("the shard index disagrees with its files:\n  " + "\n  ".join(problems))

    def keys(self) -> set[str]:
        return set(self._where)

    def _entry(self, key: str) -> tuple[Path, int, dict]:
        """The file holding ``key``, where its data starts, and its header entry."""
        path = self._where[key]
        if path not in self._headers:
            with path.open("rb") as f:
                size = int.from_bytes(f.read(8), "little")
                self._headers[path] = (8 + size, json.loads(f.read(size)))
        start, header = self._headers[path]
        return path, start, header[key]

    def read(self, key: str, *, copy: bool = False) -> torch.Tensor:
        """The tensor ``key``: a view of the memory-mapped file, or a tensor of its own read with
        plain file reads when ``copy`` (a tensor about to be copied anyway: a new layout,
        :func:`_input_major`, or packed) or smaller than :data:`MAPPED_MIN_BYTES`. Either way
        no page of the mapping becomes resident for a tensor that is not a view of it."""
        path, start, entry = self._entry(key)
        begin, end = entry["data_offsets"]
        if not copy and end - begin >= MAPPED_MIN_BYTES:
            return self._handles[path].get_tensor(key)
        dtype = _SAFETENSORS_DTYPES.get(entry["dtype"])
        if dtype is None or end == begin:  # a dtype torch.frombuffer cannot view, or no bytes
            return self._handles[path].get_tensor(key).clone()
        buffer = bytearray(end - begin)
        with path.open("rb") as f:
            f.seek(start + begin)
            if f.readinto(buffer) != len(buffer):
                raise W.CheckpointError(f"{path} ends inside tensor {key}")
        return torch.frombuffer(buffer, dtype=dtype).reshape(entry["shape"])


# --------------------------------------------------------------- the model


class ArchgenModel:
    """A loaded model: the generated ``nn.Module`` plus its spec, head, config and table."""

    def __init__(
        self,
        module: torch.nn.Module,
        ir: ArchIR,
        head: HeadIR,
        config: dict,
        sizes: dict,
        flags: dict[str, bool],
        table: dict,
        compile: bool = False,
        *,
        key_parts: dict[str, Any] | None = None,
        cache_dir: str | os.PathLike | None = None,
        reporter: Reporter | None = None,
        aliases: dict[str, torch.Tensor] | None = None,
        generation_config: dict | None = None,
        spelled: dict[str, str] | None = None,
    ):
        self.module = module.eval()
        self.ir = ir
        self.head = head
        self.config = config
        # the checkpoint's generation_config.json (empty without one): generation settings such as
        # forced tokens, read from there as the reference reads them, else from config.json
        self.generation_config = generation_config or {}
        self.sizes = sizes
        self.flags = flags
        self.table = table
        self.plan = table_plan(table, head, sizes, flags)
        #: Checkpoint tensors of ``alias`` entries (kept but unused by the reference), as ``load``
        #: read them: :meth:`save_pretrained` writes them back as they were.
        self.aliases: dict[str, torch.Tensor] = aliases or {}
        # keys the checkpoint spelled otherwise (`key_spellings`): table key -> the checkpoint's key
        self.spelled: dict[str, str] = spelled or {}
        # Forward calls and generation's steps run AOTInductor packages cached on disk (see
        # .artifacts): a later process loads them and traces nothing.
        self.compile = compile
        self.aot = (
            AotForward(
                module,
                key_parts or {},
                Path(cache_dir) if cache_dir is not None else default_cache_dir(),
                reporter or Reporter(False),
            )
            if compile
            else None
        )
        self._cache_shape: tuple | None = None
        # Short calls run the wide linear layers weight-first (see .orientation); 0 turns it off.
        self.weight_first_rows = WEIGHT_FIRST_ROWS
        self._oriented = [] if head.generates else weight_first_layers(self.module)
        self._weight_first = False

    # ---------------------------------------------------------- inputs

    @property
    def max_length(self) -> int:
        """The longest sequence the model takes: what its position table admits, or less where
        the spec's `attention.length_limit` says so."""
        limit = self.ir.spec.attention.length_limit
        bound = self.sizes[limit] if limit else 0
        return min(self._table_length, bound) if bound else self._table_length

    @property
    def length_bound(self) -> str:
        """What bounds :attr:`max_length`, for error messages."""
        if self.max_length < self._table_length:
            return f"the longest call its attention computes exactly ({self.ir.spec.attention.length_limit})"
        return "the position table"

    @property
    def _table_length(self) -> int:
        s = self.ir.spec
        pos = s.embeddings.position
        if pos.kind in ("none", "alibi") or (pos.when and not self.sizes[pos.when]):  # no table: no limit
            return 1 << 30
        rows = self.sizes[pos.size]
        return rows - self.sizes[s.pad_token] - 1 if pos.ids == "padding_offset" else rows - pos.offset

    def _check(self, inputs: dict[str, torch.Tensor | None]) -> dict[str, torch.Tensor]:
        s = self.ir.spec
        ids = inputs["input_ids"]
        if not isinstance(ids, torch.Tensor) or ids.dtype not in (torch.int64, torch.int32):
            got = ids.dtype if isinstance(ids, torch.Tensor) else type(ids).__name__
            raise InputError(f"input_ids must be an int64 or int32 tensor, got {got}")
        rank = 3 if self.head.spec.choices else 2
        shape_name = "(batch, choices, seq)" if rank == 3 else "(batch, seq)"
        if ids.dim() != rank:
            raise InputError(f"input_ids must have shape {shape_name}, got {tuple(ids.shape)}")
        if ids.shape[-1] == 0 or ids.numel() == 0:
            raise InputError("input_ids is empty")
        vocab = self.sizes[s.vocab]
        if int(ids.min()) < 0 or int(ids.max()) >= vocab:
            raise InputError(
                f"input_ids must lie in [0, {vocab}); got values in [{int(ids.min())}, {int(ids.max())}]"
            )
        # given position ids lift the table's bound (they are checked against it below), never a
        # bound on the call itself (`attention.length_limit`)
        limited = self.max_length < self._table_length
        if ids.shape[-1] > self.max_length and (limited or inputs.get("position_ids") is None):
            raise InputError(
                f"sequence length {ids.shape[-1]} exceeds {self.length_bound}: at most {self.max_length} tokens"
            )

        def tensor(name: str, shape: tuple, integer: bool = False) -> torch.Tensor:
            value = inputs[name]
            if not isinstance(value, torch.Tensor):
                raise InputError(f"{name} must be a tensor, got {type(value).__name__}")
            if integer and value.dtype not in (torch.int64, torch.int32):
                raise InputError(f"{name} must be an int64 or int32 tensor, got {value.dtype}")
            if tuple(value.shape) != tuple(shape):
                raise InputError(f"{name} has shape {tuple(value.shape)}, expected {tuple(shape)}")
            return value

        def zero_one(name: str, value: torch.Tensor) -> None:
            if bool(((value != 0) & (value != 1)).any()):
                raise InputError(f"{name} must hold only 0 (padding) and 1 (token)")

        if inputs.get("attention_mask") is None:
            inputs["attention_mask"] = torch.ones_like(ids)
        else:
            zero_one("attention_mask", tensor("attention_mask", ids.shape))
        for name, limit in (
            (
                "token_type_ids",
                s.embeddings.token_type_size if s.embeddings.token_type is not False else None,
            ),
            (
                "position_ids",
                s.embeddings.position.size
                if s.embeddings.position.kind in ("learned", "sinusoidal", "rotary")
                else None,
            ),
        ):
            if inputs.get(name) is None:
                continue
            if limit is None:
                raise InputError(f"this architecture takes no {name}")
            value = tensor(name, ids.shape, integer=True)
            # position ids are positions: the table's rows less its offset (rows before position 0);
            # a token-type table that config.json switches off takes type 0 alone
            bound = self.sizes[limit] - (s.embeddings.position.offset if name == "position_ids" else 0)
            if name == "token_type_ids":
                bound = token_types(s, self.sizes) or 1
            if int(value.min()) < 0 or int(value.max()) >= bound:
                raise InputError(
                    f"{name} must lie in [0, {bound}); got values in [{int(value.min())}, {int(value.max())}]"
                )
        dropout = s.embeddings.token_dropout
        if dropout is not None and (dropout.when is None or self.sizes[dropout.when]):
            # token dropout divides by each row's share of tokens that are not the mask token
            kept = inputs["attention_mask"].bool()
            only_masks = ((ids == self.sizes[dropout.token]) | ~kept).all(-1) & kept.any(-1)
            if bool(only_masks.any()):
                raise InputError(
                    f"rows {only_masks.nonzero().flatten().tolist()} hold only the mask token "
                    f"({self.sizes[dropout.token]}): token dropout scales a row by 1 / (1 - its share of "
                    "mask tokens), infinite for them"
                )
        has_cross = bool(self.head.spec.cross_attention_config) and self.flags.get("cross_attention", False)
        if has_cross and inputs.get("encoder_hidden_states") is None:
            # The reference silently skips cross-attention then; a decoder built to
            # attend to a source should not quietly run without one.
            raise InputError(
                f"this decoder has cross-attention ({self.head.spec.cross_attention_config} is on): "
                "pass encoder_hidden_states (and optionally encoder_attention_mask)"
            )
        if inputs.get("encoder_hidden_states") is not None:
            cross = self.head.spec.cross_attention_config
            if not (cross and self.flags.get("cross_attention", False)):
                raise InputError(
                    f"this model has no cross-attention ({cross or 'its head'} is off), so it takes no "
                    "encoder_hidden_states"
                )
            enc = inputs["encoder_hidden_states"]
            width = self.sizes[s.embeddings.width]
            if not isinstance(enc, torch.Tensor) or not enc.is_floating_point() or enc.dim() != 3:
                raise InputError("encoder_hidden_states must be a float tensor (batch, source, hidden)")
            tensor("encoder_hidden_states", (ids.shape[0], enc.shape[1], width))
            if inputs.get("encoder_attention_mask") is not None:
                zero_one("encoder_attention_mask", tensor("encoder_attention_mask", enc.shape[:2]))
        # Labels: class indices must be int64 (cross-entropy's targets) and in range; -100 is ignored.
        loss, b = self.head.spec.loss, ids.shape[0]
        last = self.head.layers[-1].out if self.head.layers else None
        classes = self.sizes[last] if isinstance(last, str) else last
        labels = inputs.get("labels")
        checks = {
            "masked_lm": [("labels", ids.shape, vocab)],
            "causal_lm": [("labels", ids.shape, vocab)],
            "token_classification": [("labels", ids.shape, classes)],
            "multiple_choice": [("labels", (b,), ids.shape[1])],
            "classification": [("labels", (b,), classes)],
            "span": [
                (n, (b, 1) if getattr(inputs.get(n), "ndim", 1) == 2 else (b,), None)
                for n in ("start_positions", "end_positions")
            ],
        }.get(loss, [])
        if (
            loss == "sequence_classification"
            and isinstance(labels, torch.Tensor)
            and not labels.is_floating_point()
            and self.config.get("problem_type") in (None, "single_label_classification")
            and classes != 1
        ):
            checks = [("labels", (b, 1) if labels.dim() == 2 else (b,), classes)]
        if loss == "token_binary" and labels is not None:  # one 0/1 label per token, any dtype
            value = tensor("labels", ids.shape)
            if not bool(((value == 0) | (value == 1)).all()):
                raise InputError("labels must be 0 or 1 (one per token: replaced or not)")
        for branch in self.head.spec.branches:
            out = branch.layers[-1].out
            checks.append((branch.labels, (b,), self.sizes[out] if isinstance(out, str) else out))
        for name, shape, bound in checks:
            if inputs.get(name) is None:
                continue
            value = tensor(name, shape)
            if value.dtype != torch.int64:
                raise InputError(f"{name} must be an int64 tensor of class indices, got {value.dtype}")
            if bound is not None and bool(((value != -100) & ((value < 0) | (value >= bound))).any()):
                raise InputError(
                    f"{name} must lie in [0, {bound}) or be -100 (ignored); got values in "
                    f"[{int(value.min())}, {int(value.max())}]"
                )
        if self.head.spec.encoder_decoder:
            from .seq2seq import check_inputs

            check_inputs(self, inputs)
        return inputs

    # ---------------------------------------------------------- running

    def __call__(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, **kwargs
    ) -> ModelOutput:
        inputs = self._check({"input_ids": input_ids, "attention_mask": attention_mask, **kwargs})
        if self.head.spec.encoder_decoder:
            from .seq2seq import require_decoder_input

            require_decoder_input(self, inputs)
        inputs = {k: v for k, v in inputs.items() if v is not None}
        if "encoder_hidden_states" in inputs and "encoder_attention_mask" not in inputs:
            enc = inputs["encoder_hidden_states"]
            inputs["encoder_attention_mask"] = torch.ones(enc.shape[:2], dtype=torch.long, device=enc.device)
        return self._forward(inputs)

    forward = __call__

    def _forward(self, inputs: dict[str, torch.Tensor]) -> ModelOutput:
        """Checked inputs through the compiled artifact if this model compiles, else eagerly."""
        self._orient(inputs["input_ids"].numel() <= self.weight_first_rows)
        with torch.inference_mode():
            return ModelOutput(self.module(**inputs) if self.aot is None else self.aot(**inputs))

    def _orient(self, weight_first: bool) -> None:
        """Switch the qualifying linear layers' orientation (and so the compiled artifact).

        The switch is state of the layers: a call running in another thread at the same
        time may run in the other orientation. Its values agree either way (up to float
        rounding; the generated attention checks the layout it gets), only its speed differs."""
        weight_first = weight_first and bool(self._oriented)
        if weight_first == self._weight_first:
            return
        for layer in self._oriented:
            layer.weight_first = weight_first
        self._weight_first = weight_first
        if self.aot is not None:
            self.aot.variant = "weight-first" if weight_first else ""

    def run_batch(
        self,
        sequences,
        *,
        batch_tokens: int = 4096,
        pack: bool | None = None,
        row_tokens: int = 512,
        max_waste: float = 0.25,
    ) -> list[ModelOutput]:
        """Many sequences of different lengths, without computing on padding: see :mod:`.batching`."""
        from .batching import run_batch

        return run_batch(
            self, sequences, batch_tokens=batch_tokens, pack=pack, row_tokens=row_tokens, max_waste=max_waste
        )

    def _method(self, name: str, inputs: dict[str, Any], caches: bool = False) -> Callable[..., Any]:
        """A method of the generated module (e.g. a decoding step) as a function of keyword
        arguments like ``inputs``: eager, or the compiled artifact for calls like ``inputs``
        (found or compiled here, once). ``caches``: the method writes the KV cache
        that ``setup_cache`` made; ask again after another ``setup_cache``."""
        if self.aot is None:
            return getattr(self.module, name)
        return self.aot.bind(inputs, method=name, caches=caches)

    def to(self, *args, **kwargs) -> ArchgenModel:
        self.module.to(*args, **kwargs)
        if self.aot is not None:
            self.aot.reset()
        return self

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.module.state_dict()

    # ---------------------------------------------------------- saving

    def save_pretrained(self, directory: str | os.PathLike) -> None:
        """Write config.json + model.safetensors in the reference layout (atomically), and the
        generation_config.json the checkpoint came with, if any."""
        if any(isinstance(m, P.Int8Linear) for m in self.module.modules()):
            raise ValueError(
                "an int8-quantized model cannot be saved: load the checkpoint without quantize= to save"
            )
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        params = dict(self.module.named_parameters(remove_duplicate=False))
        params |= unpacked_weights(self.module)
        tensors = W.export(self.plan, params, self.aliases)
        for key, written in self.spelled.items():  # each key as the checkpoint spelled it
            tensors[written] = tensors.pop(key)
        config = dict(self.config)
        config["architectures"] = [self.head.class_name]
        files = [(directory / "model.safetensors", None), (directory / "config.json", config)]
        if self.generation_config:  # written back as it was read
            files.append((directory / "generation_config.json", self.generation_config))
        for name, data in files:
            tmp = name.with_name(name.name + ".tmp")
            if data is None:
                save_file(tensors, str(tmp), metadata={"format": "pt"})
            else:
                tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(tmp, name)

    # ---------------------------------------------------------- generation

    def forced_tokens(self, steps: int, first: bool) -> dict[int, list[int]]:
        """``{step: token ids}``: the tokens the reference's ``generate`` forces in a request of
        ``steps`` new tokens, read from generation_config.json, or config.json where the checkpoint
        has none. ``forced_eos_token_id`` at the last step (BART's eos); ``forced_bos_token_id`` at
        the first where ``first`` (mBART-50's target language: the reference forces it when the
        sequence so far is one token, an encoder-decoder's start token or a one-token prompt). On a
        one-step request the last one wins, as the reference's processors run in this order."""
        settings = self.generation_config or self.config
        forced: dict[int, list[int]] = {}
        s = self.ir.spec
        vocab = (
            self.sizes[s.decoder.vocab or s.vocab] if self.head.spec.encoder_decoder else self.sizes[s.vocab]
        )
        for step, key in ((0 if first else None, "forced_bos_token_id"), (steps - 1, "forced_eos_token_id")):
            value = settings.get(key)
            ids = [] if value is None else [value] if isinstance(value, int) else list(value)
            if step is None or not ids:
                continue
            if not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < vocab for i in ids):
                raise InputError(
                    f"the checkpoint's {key} {ids} holds ids outside the vocabulary (0..{vocab - 1})"
                )
            forced[step] = ids
        return forced

    def generate(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        *,
        max_new_tokens: int = 20,
        eos_token_id: int | Sequence[int] | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        output_scores: bool = False,
        num_beams: int = 1,
        do_sample: bool = False,
        temperature: float = 1.0,
        top_k: int | None = 50,
        top_p: float = 1.0,
        generator: torch.Generator | None = None,
        length_penalty: float = 1.0,
        early_stopping: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """Greedy decoding with a preallocated KV cache (causal heads only).

        ``encoder_decoder`` heads generate with :func:`.seq2seq.generate` instead
        (greedy, beam search and sampling; see there); the arguments from
        ``num_beams`` on apply to them only.

        The prompt fills the cache in one call; each new token is one call
        that writes its key/value at its slot (``input_pos``). Returns
        ``(batch, prompt + new)`` token ids; rows that produced
        ``eos_token_id`` (one id, or several: Llama 3's config.json lists
        three, and a row ends at any of them) are padded with the pad token afterwards. With
        ``output_scores`` it also returns each step's logits ``(batch, vocab)``.
        Positions continue from each row's last prompt position, and a
        prompt's positions skip its left padding (padding-aware ids do; for
        sequential ids each row counts its real tokens from 0), so a row
        generates what its prompt generates alone.
        The tokens are those :meth:`stream` yields: both run the same loop."""
        if self.head.spec.encoder_decoder:
            from .seq2seq import generate

            return generate(
                self,
                input_ids,
                attention_mask,
                max_new_tokens=max_new_tokens,
                eos_token_id=eos_token_id,
                output_scores=output_scores,
                num_beams=num_beams,
                do_sample=do_sample,
                temperature=temperature,
                top_k=top_k,
                top_p=top_p,
                generator=generator,
                length_penalty=length_penalty,
                early_stopping=early_stopping,
            )
        if num_beams != 1 or do_sample:
            raise InputError("decoder-only generation is greedy: num_beams=1 and do_sample=False")
        steps = self._causal_steps(
            input_ids,
            attention_mask,
            max_new_tokens,
            eos_token_id,
            encoder_hidden_states,
            encoder_attention_mask,
        )
        return collect(steps, SYNC_EVERY, input_ids, output_scores)

    def stream(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        *,
        max_new_tokens: int = 20,
        eos_token_id: int | Sequence[int] | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        do_sample: bool = False,
        temperature: float = 1.0,
        top_k: int | None = 50,
        top_p: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> Iterator[torch.Tensor]:
        """Each step's new tokens ``(batch,)`` as soon as they are computed.

        The same loop as :meth:`generate` (greedy for causal heads; greedy or
        sampling for encoder-decoder heads; no beam search), so the streamed
        tokens, concatenated, are the new columns of ``generate``'s output.
        Inputs are checked here, before the first token: an invalid call raises
        at once and yields nothing. The model's KV cache serves one generation
        at a time: finish (or drop) a stream before starting another."""
        if self.head.spec.encoder_decoder:
            from .seq2seq import stream

            return stream(
                self,
                input_ids,
                attention_mask,
                max_new_tokens=max_new_tokens,
                eos_token_id=eos_token_id,
                do_sample=do_sample,
                temperature=temperature,
                top_k=top_k,
                top_p=top_p,
                generator=generator,
            )
        if do_sample:
            raise InputError("decoder-only generation is greedy: do_sample=False")
        steps = self._causal_steps(
            input_ids,
            attention_mask,
            max_new_tokens,
            eos_token_id,
            encoder_hidden_states,
            encoder_attention_mask,
        )
        return (token for token, _ in until_finished(steps, 1))

    def _causal_steps(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None,
        max_new_tokens: int,
        eos_token_id: int | Sequence[int] | None,
        encoder_hidden_states: torch.Tensor | None,
        encoder_attention_mask: torch.Tensor | None,
    ) -> Iterator[Step]:
        """Check a decoder-only request, then return its steps (run lazily, one per token)."""
        if self.head.spec.attention != "causal":
            raise InputError(f"generation needs a causal head; this model is {self.head.name!r}")
        both_ways = self.ir.spec.attention.bidirectional_when
        if both_ways and self.sizes[both_ways]:
            key = self.ir.spec.sizes[both_ways].config or both_ways
            raise InputError(
                f"generation needs causal attention; config.json {key} makes this model attend both ways"
            )
        inputs = self._check(
            {
                "input_ids": input_ids,
                "attention_mask": attention_mask,
                "encoder_hidden_states": encoder_hidden_states,
                "encoder_attention_mask": encoder_attention_mask,
            }
        )
        t = input_ids.shape[1]
        if max_new_tokens < 0:
            raise InputError(f"max_new_tokens must be at least 0, got {max_new_tokens}")
        if t + max_new_tokens > self.max_length:
            raise InputError(
                f"prompt ({t}) + max_new_tokens ({max_new_tokens}) exceeds {self.length_bound} ({self.max_length})"
            )
        extra: dict[str, torch.Tensor] = {}
        if encoder_hidden_states is not None:
            if encoder_attention_mask is None:
                encoder_attention_mask = torch.ones(encoder_hidden_states.shape[:2], dtype=torch.long)
            extra = {
                "encoder_hidden_states": encoder_hidden_states,
                "encoder_attention_mask": encoder_attention_mask,
            }
        if eos_token_id is not None:
            ids = [eos_token_id] if isinstance(eos_token_id, int) else list(eos_token_id)
            if not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
                raise InputError(
                    f"eos_token_id must be an int or a non-empty list of ints, got {eos_token_id!r}"
                )
            eos_token_id = ids
        return self._greedy(input_ids, inputs["attention_mask"], max_new_tokens, eos_token_id, extra)

    @torch.inference_mode()
    def _greedy(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        max_new_tokens: int,
        eos_token_id: int | Sequence[int] | None,
        extra: dict[str, torch.Tensor],
    ) -> Iterator[Step]:
        """The greedy loop: prefill, then one cached call per token (inference mode between yields only)."""
        if max_new_tokens == 0:
            return
        module = self.module
        b, t = input_ids.shape
        slots = self._kv_cache(b, t + max_new_tokens, next(module.parameters()).dtype)
        pad = self.sizes[self.ir.spec.pad_token]
        prompt = input_ids.clone()  # an inference tensor, like every later step's input
        mask = torch.ones(b, slots, dtype=torch.long)
        mask[:, :t] = attention_mask
        embeddings = module.backbone.embeddings
        if hasattr(embeddings, "prompt_position_ids"):  # sequential ids: count each row's real tokens
            positions = embeddings.prompt_position_ids(attention_mask)  # (b, t)
        elif hasattr(embeddings, "position_ids"):  # padding-aware ids already skip the padding
            positions = embeddings.position_ids(prompt)  # (b, t)
        else:  # no position ids (ALiBi reads positions off the mask or the cache slots)
            positions = None
        # Every step's position ids (b, 1) and cache slot (1,), made once: nothing is built per token.
        step_positions: tuple[torch.Tensor, ...] = ()
        if positions is not None:
            later = positions[:, -1:] + torch.arange(1, max_new_tokens, dtype=positions.dtype)  # (b, n - 1)
            step_positions = later.T.contiguous()[:, :, None].unbind(0)
        step_slots = torch.arange(t, t + max_new_tokens - 1)[:, None].unbind(0)
        forced = self.forced_tokens(max_new_tokens, first=t == 1)
        finished = torch.zeros((), dtype=torch.bool)  # stays false without an eos token
        done = torch.zeros(b, dtype=torch.bool)
        stops = torch.tensor(
            eos_token_id if eos_token_id is not None else [], dtype=torch.long
        )  # any ends a row
        prefill = {
            "input_ids": prompt,
            "attention_mask": mask,
            **({"position_ids": positions} if positions is not None else {}),
            "input_pos": torch.arange(t),
            "last_only": True,
            **extra,
        }
        logits = self._method("forward", prefill, caches=True)(**prefill)["logits"][:, -1]
        decode = None  # found (or compiled) after the first token is out
        for step in range(max_new_tokens):
            if step in forced:
                logits = force(logits, forced[step])
            token = logits.argmax(-1)  # (b,)
            if eos_token_id is not None:
                token = torch.where(done, pad, token)
                done = done | torch.isin(token, stops)
                finished = done.all()
            yield token, logits, finished
            if step + 1 < max_new_tokens:
                inputs = {
                    "input_ids": token[:, None],
                    "attention_mask": mask,
                    **({"position_ids": step_positions[step]} if positions is not None else {}),
                    "input_pos": step_slots[step],
                    **extra,
                }
                if decode is None:
                    decode = self._method("forward", inputs, caches=True)
                logits = decode(**inputs)["logits"][:, -1]

    def _kv_cache(self, batch: int, tokens: int, dtype: torch.dtype) -> int:
        """Preallocate (or keep) a KV cache for ``tokens`` tokens; returns its slot count.

        Slots are a power of two (at least :data:`MIN_CACHE_SLOTS`, at most the
        position table): each step attends over the cache, not the whole
        position table, and a cache that is large enough is kept, so a
        compiled step sees the same shapes call after call."""
        held = self._cache_shape
        if held is None or held[0] != batch or held[2] != dtype or held[1] < tokens:
            slots = min(self.max_length, max(MIN_CACHE_SLOTS, 1 << (tokens - 1).bit_length()))
            self.module.setup_cache(batch, slots, dtype)
            self._cache_shape = (batch, slots, dtype)
        return self._cache_shape[1]


# --------------------------------------------------------------- loading


def _select_head(ir: ArchIR, config: dict, head: str | None) -> HeadIR:
    names = [h.name for h in ir.heads]
    if head is not None:
        if head not in names:
            raise ValueError(f"{ir.name} has no head {head!r}; heads: {', '.join(names)}")
        return ir.head(head)
    for arch in config.get("architectures") or []:
        for h in ir.heads:
            if h.class_name == arch:
                return h
    if config.get("architectures"):
        raise ValueError(
            f"config.json lists architectures {config['architectures']}, which no head of {ir.name} provides "
            f"({', '.join(h.class_name for h in ir.heads)}); pass head=..."
        )
    return ir.head(names[0])


def table_plan(table: dict, head: HeadIR, sizes: dict, flags: dict[str, bool]) -> W.Plan:
    """A head's table expanded for one config."""
    stack = sizes[table["stack"]] - 1 if "stack" in table else 0
    return W.plan(table["heads"][head.name]["entries"], sizes[table["layers"]], flags, stack, sizes)


def _flag(config: dict, flag: dict) -> bool:
    """A table flag's value: the config.json key's truth, or (with `equals`) whether it has that value."""
    value = config_value(config, flag["config"])
    value = flag["default"] if value is None else value
    return value == flag["equals"] if "equals" in flag else bool(value)


def _check_structure(ir: ArchIR, head: HeadIR, sizes: dict) -> None:
    """config.json values that select structure must be ones the spec can build."""
    s = ir.spec
    if s.ffn.variant is not None and sizes[s.ffn.variant] not in s.ffn.variants:
        key = s.sizes[s.ffn.variant].config
        raise ValueError(
            f"config.json {key}={sizes[s.ffn.variant]!r} selects no FFN variant of spec {ir.spec_file}; "
            f"it offers: {', '.join(s.ffn.variants)}"
        )
    rel = s.attention.relative_bias
    if rel is not None:
        buckets, distance = sizes[rel.num_buckets], sizes[rel.max_distance]
        causal = head.spec.encoder_decoder or head.spec.attention == "causal"
        exact = buckets // 2 if causal else buckets // 4  # the exact buckets of one direction
        if exact < 1 or distance <= exact:
            raise ValueError(
                f"config.json {s.sizes[rel.max_distance].config}={distance} must exceed the {exact} exact "
                f"buckets of {s.sizes[rel.num_buckets].config}={buckets} (and there must be at least one): "
                "otherwise the reference's log-spaced buckets are not monotone (or divide by zero)"
            )


#: The initialisers torch.nn layers call in their ``reset_parameters``.
_INITIALISERS = ("normal_", "uniform_", "kaiming_uniform_", "trunc_normal_", "zeros_", "ones_", "constant_")


def _input_major(module: torch.nn.Module, plan: W.Plan) -> set[str]:
    """The parameters a generating model stores input-major: the weights of the
    ``nn.Linear`` layers that widen (more outputs than inputs), the LM head above all.

    A weight of shape ``(out, in)`` then has strides ``(1, out)`` (``w.t().contiguous().t()``):
    the same values and the same module code. A batch-1 GEMV streams the weight along
    its contiguous runs, and on this CPU it is fastest when they run along the longer
    side: input-major for a widening layer (an LM head 2.1-2.2x, an FFN's up projection
    1.25-1.8x), row-major, as checkpoints store it, for a narrowing one (its down
    projection 1.4x the other way); at 128 rows the layouts are within 3%, or input-major
    is up to 1.14x faster (``python bench/gemv_layout.py``).
    A linear weight tied to another parameter (an LM head and the word embedding)
    names that parameter, which then has this layout too."""
    tied = dict(W.ties(plan))
    return {
        tied.get(f"{name}.weight", f"{name}.weight")
        for name, sub in module.named_modules(remove_duplicate=False)
        if isinstance(sub, torch.nn.Linear) and sub.out_features > sub.in_features
    }


def _packed_layers(
    module: torch.nn.Module,
    plan: W.Plan,
    head: HeadIR,
    dtype: torch.dtype,
    quantize: str | None,
    reporter: Reporter,
) -> list[str]:
    """The linear layers :func:`load` packs for archgen's GEMM (:mod:`.packed`): none for a
    generating head, another dtype than fp32, int8, or where the kernel does not run here."""
    if head.generates or quantize is not None or dtype != torch.float32:
        return []
    names = packable(module, {name for pair in W.ties(plan) for name in pair})
    return names if names and kernels_available(reporter)[0] else []


@contextmanager
def _skip_init(skip: bool, namespace: Any = None) -> Iterator[None]:
    """While building on the meta device, ``torch.nn.init`` does nothing, and neither does
    ``init_buffers`` of the generated classes in ``namespace`` (:func:`load` calls it on the
    real device once the weights are in).

    Every tensor of such a module is replaced by the checkpoint's, and
    initialising a meta tensor with ``normal_`` imports ``torch._dynamo`` (1.5-3 s
    of an eager start on two cores); computing a buffer there (``torch.arange`` on the
    meta device: position buckets, rotary frequencies) imports sympy and ``torch._dynamo``
    too: for the UMT5-small encoder, 71 MB of the eager process's memory and
    about 1 s of its start (``load`` took 154 MB over the imported runtime for its 135 MB of
    weights, 75 MB of them at construction). Like ``transformers``' ``no_init_weights``,
    this swaps module and class attributes for the duration, so another thread that
    initialises a layer or builds the same architecture at that moment would skip it too."""
    if not skip:
        yield
        return
    saved = {name: getattr(torch.nn.init, name) for name in _INITIALISERS}
    for name in _INITIALISERS:
        setattr(torch.nn.init, name, lambda tensor, *args, **kwargs: tensor)
    generated = vars(namespace).values() if namespace is not None else ()
    classes = [c for c in generated if isinstance(c, type) and "init_buffers" in vars(c)]
    computes = {cls: vars(cls)["init_buffers"] for cls in classes}
    for cls in classes:
        cls.init_buffers = lambda self, device=None: None
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(torch.nn.init, name, fn)
        for cls, fn in computes.items():
            cls.init_buffers = fn


def build(ir: ArchIR, head: HeadIR, config: dict, *, device: str | torch.device = "cpu"):
    """Construct the generated module for ``config`` (on ``device``) plus sizes, flags, table and
    the parts of a compiled artifact's key (generated source hash, head, sizes, flags, arguments)."""
    s = ir.spec
    try:
        sizes = bind_sizes(s.sizes, config, lazy=lazy_symbols(s, ir.heads))
    except ValueError as exc:
        raise ValueError(f"config.json does not fit spec {ir.spec_file}: {exc}") from None
    ssm = state_space(s)
    fixed = [("ffn.activation", s.ffn.activation_config, s.ffn.activation)]
    if ssm is not None:
        fixed.append(("attention.state_space.activation", ssm.activation_config, ssm.activation))
    for knob, key, activation in fixed:
        if key is not None and key in config and HF_ACTIVATIONS.get(config[key]) != activation:
            raise ValueError(
                f"config.json {key}={config[key]!r}, but spec {ir.spec_file} is built for "
                f"{knob}={activation!r}; write a spec that extends it with the activation you need"
            )
    broken = check_constraints(s, sizes)
    for loc, knob in switches(s):
        if knob.cases is not None and sizes[knob.switch] not in knob.cases:
            broken.append(
                f"{knob.switch}={sizes[knob.switch]!r} is not a value {'.'.join(loc)} handles "
                f"({', '.join(knob.cases)})"
            )
    if broken:
        raise ValueError(f"config.json does not fit spec {ir.spec_file}: " + "; ".join(broken))
    table = _table(ir)
    # Table conditions name config flags (tying, cross-attention, FFN variants) or bool size
    # symbols (switches); a bool size symbol named like a flag decides it, its default included
    # (FSMT's and RemBERT's configs leave their word tables untied when they say nothing).
    flags = {name: _flag(config, f) for name, f in table["flags"].items()}
    flags |= {name: value for name, value in sizes.items() if isinstance(value, bool)}
    _check_structure(ir, head, sizes)
    module_py = _generated_module(ir)
    kwargs: dict[str, Any] = {}
    if any(layer.op == "lm_decoder" for layer in all_layers(head)):
        kwargs["tie_word_embeddings"] = flags.get("tie_word_embeddings", True)
    if head.spec.cross_attention_config:
        kwargs["cross_attention"] = flags.get("cross_attention", False)
    if head.spec.loss == "sequence_classification":
        kwargs["problem_type"] = config.get("problem_type")
    cls = getattr(module_py, head.class_name)
    with torch.device(device), _skip_init(torch.device(device).type == "meta", module_py):
        module = cls(module_py.Config(**sizes), **kwargs)
    source = Path(module_py.__file__).read_bytes()
    key_parts = {
        "source": hashlib.sha256(source).hexdigest(),
        "class": head.class_name,
        "sizes": sizes,
        "flags": flags,
        "kwargs": kwargs,
    }
    return module, sizes, flags, table, key_parts


def load(
    checkpoint_dir: str | os.PathLike,
    *,
    head: str | None = None,
    dtype: torch.dtype | str | None = None,
    quantize: str | None = None,
    compile: bool = False,
    spec: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    progress: bool | None = None,
) -> ArchgenModel:
    """Load a checkpoint directory (config.json + model.safetensors, or a sharded index).

    ``spec`` names a spec file for architectures outside the built-in specs;
    otherwise it is chosen by config.json ``model_type``. ``head`` overrides
    the head chosen by ``architectures``. Floating tensors are cast to ``dtype``:
    float32 unless asked (whatever the checkpoint stores), ``"bfloat16"`` (or
    ``torch.bfloat16``), or ``"float64"``. ``quantize="int8"`` makes the linear
    layers dynamic int8 (fp32 and eager only). See :mod:`.precision` for what
    each mode keeps in fp32, and its measured error.

    ``compile=True`` runs forward calls through compiled artifacts kept in
    ``cache_dir`` (default: :func:`.artifacts.default_cache_dir`) and reused by
    later processes. ``progress`` shows a bar on stderr while reading weights
    and compiling: ``None`` when stderr is a terminal, ``True`` always, ``False`` never.

    Tensors are read from the memory-mapped safetensors file: renamed
    tensors share its pages (no second copy); fused ones (q/k/v) are concatenated.
    A model whose head generates stores its linear weights input-major
    (:func:`_input_major`); those are read with plain file reads and copied
    once into that layout, so they too are in memory once. Other fp32 models
    pack their linear layers for archgen's GEMM (:mod:`.packed`): those weights
    too are read with plain file reads, and each is freed once it is packed."""
    dtype = P.resolve_dtype(dtype)
    P.check_quantize(quantize, dtype, compile)
    directory = Path(checkpoint_dir)
    config_path = directory / "config.json"
    if not config_path.exists():
        raise FileNotFoundError(f"{directory} has no config.json")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    generation_path = directory / "generation_config.json"
    generation = json.loads(generation_path.read_text(encoding="utf-8")) if generation_path.exists() else {}
    spec_path = Path(spec) if spec is not None else find_spec(config.get("model_type", "<none>"))
    ir = load_arch(spec_path)
    head_ir = _select_head(ir, config, head)
    module, sizes, flags, table, key_parts = build(ir, head_ir, config, device="meta")
    model_plan = table_plan(table, head_ir, sizes, flags)
    ckpt = _Checkpoint(directory)
    shapes = {n: p.shape for n, p in module.named_parameters(remove_duplicate=False)}
    # Generating models keep linear weights input-major (fast at batch 1); int8 packs its own.
    relaid = _input_major(module, model_plan) if head_ir.generates and quantize is None else set()
    # Other fp32 models pack their linear weights once for archgen's GEMM (see .packed).
    reporter = Reporter(progress)
    packs = _packed_layers(module, model_plan, head_ir, dtype, quantize, reporter)
    copied = {
        key
        for e in model_plan.entries
        if e["op"] in ("rename", "fuse", "split")
        and {e.get("param"), *e.get("params", ())} & (relaid | {f"{name}.weight" for name in packs})
        for key in e.get("keys", [e.get("key")])
    }

    spelled = respell(ckpt.keys(), ir.spec.key_spellings)
    keys = (set(ckpt.keys()) - set(spelled.values())) | set(spelled)
    with reporter.bar(len(ckpt.keys()), "reading weights") as advance:

        def read(key: str) -> torch.Tensor:
            t = ckpt.read(spelled.get(key, key), copy=key in copied)
            advance()
            return t.to(dtype) if t.is_floating_point() else t

        aliases: dict[str, torch.Tensor] = {}
        state = W.gather(model_plan, keys, read, shapes, kept=aliases)
    for name in relaid:  # each row-major copy is freed as its input-major one is made
        state[name] = state[name].t().contiguous().t()
    tied = W.ties(model_plan)
    missing, unexpected = module.load_state_dict(state, strict=False, assign=True)
    state.clear()  # the module holds the tensors now: packing below frees each weight it replaces
    untied_missing = sorted(set(missing) - {p for p, _ in tied})
    if untied_missing or unexpected:  # the table and the generated module disagree: a compiler bug
        raise W.CheckpointError(f"table/module mismatch: missing {untied_missing}, unexpected {unexpected}")
    for param, target in tied:
        owner_path, _, attr = param.rpartition(".")
        owner = module.get_submodule(owner_path)
        setattr(owner, attr, module.get_parameter(target))
    device = next(module.parameters()).device
    for sub in module.modules():  # buffers computed at construction were only shapes on the meta device
        if hasattr(sub, "init_buffers"):
            sub.init_buffers(device)
    if quantize == "int8":
        P.quantize_linears(module)
    pack_linears(module, packs)  # each copied weight is freed as its packed one is made
    reuse_freed_memory()  # after the weights are read: their blocks keep glibc's defaults
    return ArchgenModel(
        module,
        ir,
        head_ir,
        config,
        sizes,
        flags,
        table,
        compile=compile,
        key_parts=key_parts,
        cache_dir=cache_dir,
        reporter=reporter,
        aliases=aliases,
        generation_config=generation,
        spelled=spelled,
    )


def respell(keys, spellings) -> dict[str, str]:
    """The checkpoint keys written in another spelling (`key_spellings`): the key each stands for ->
    the key as written. A checkpoint holding both spellings of one key is refused, naming both."""
    spelled: dict[str, str] = {}
    present = set(keys)
    for key in sorted(present):
        for spelling in spellings:
            if spelling.written in key:
                spelled[key.replace(spelling.written, spelling.reads_as)] = key
                break
    both = sorted(f"{written} and {key}" for key, written in spelled.items() if key in present)
    if both:
        raise W.CheckpointError("checkpoint holds one tensor under two spellings: " + ", ".join(both))
    return spelled
