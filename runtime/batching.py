"""Running many sequences of different lengths without computing on padding.

:func:`run_batch` has two ways to keep padding out of the projections and FFNs:

- **Packing** (the default where the model allows it): sequences, sorted by
  length, share rows. Each call takes up to ``batch_tokens`` real tokens and
  spreads them over the fewest rows of at most ``row_tokens`` tokens (never
  less than the longest sequence), balancing the rows (longest sequence first,
  into the emptiest row), so a row is padded only up to the fullest row.
  Attention inside a row is block-diagonal (a ``(rows, t, t)`` keep-mask), so
  no sequence sees another; position ids are each sequence's own, and heads that
  read one token per sequence (the pooler, the first token) read it at each
  sequence's start (``sequence_starts``). Longer rows cost more attention (it is
  quadratic in the row), which is why rows are bounded by ``row_tokens``. The
  default is 512: on XLM-R base, ragged batches drawn as in bench/bench.py,
  ``python bench/row_tokens.py [--compile]`` gave 604 ms for rows of 512 against
  635-636 for 256 at batch 8, and 1877-1886 against 1842-1852 (within 2%) at
  batch 32, eager and compiled; 128 and 1024 were slower in both. On MobileBERT
  (``--case mobilebert-b8-ragged``) rows of 512 were fastest at batch 8 (190 ms
  eager, 159 compiled) and 4-5% behind rows of 128 at batch 32.
- **Tight length buckets** (``pack=False``, and where packing cannot be exact):
  consecutive runs of the sorted order whose padding stays under ``max_waste`` of
  the bucket's tokens, each bucket holding at most ``batch_tokens`` tokens. A model
  whose padding changes its real tokens (Fourier mixing, FNet's, reads every slot
  of a row, as its reference does) runs buckets of equal lengths only, so every
  sequence's outputs are those of that sequence alone.

Packing needs no token to see another sequence's outside attention either:
embeddings that mix neighbouring tokens (MobileBERT's trigram input) read the
same block-diagonal mask and see zeros past each sequence's ends, as a sequence
run alone does. A model packs unless its head takes ``(batch, choices, seq)``
inputs or it is an encoder-decoder head; those run in buckets. Results come back in input order,
one :class:`ModelOutput` per sequence, with per-token fields cut to the
sequence's own length, equal to running the padded batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .model import ArchgenModel, InputError, ModelOutput

__all__ = [
    "Bucket",
    "pack_rows",
    "packing_blocker",
    "pad_sequences",
    "padding_mixes",
    "plan_buckets",
    "run_batch",
]


@dataclass(frozen=True)
class Bucket:
    """Indices (into the input list) of sequences run together, and their padded length."""

    indices: tuple[int, ...]
    length: int

    @property
    def tokens(self) -> int:
        return self.length * len(self.indices)


def plan_buckets(
    lengths: Sequence[int], *, batch_tokens: int = 4096, max_waste: float = 0.25
) -> list[Bucket]:
    """Group sequence indices into buckets: sorted by length, padding under ``max_waste``.

    Each bucket holds at most ``batch_tokens`` padded tokens (a sequence longer
    than that runs alone)."""
    if batch_tokens <= 0:
        raise ValueError("batch_tokens must be positive")
    if not 0.0 <= max_waste < 1.0:
        raise ValueError("max_waste must lie in [0, 1)")
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    buckets: list[Bucket] = []
    current: list[int] = []
    real = 0
    for i in order:
        n = lengths[i]
        candidate = len(current) + 1
        padded = n * candidate  # sorted ascending: the new sequence is the longest
        fits = padded <= batch_tokens and (padded - real - n) <= max_waste * padded
        if current and not fits:
            buckets.append(Bucket(tuple(current), lengths[current[-1]]))
            current, real = [], 0
        current.append(i)
        real += n
    if current:
        buckets.append(Bucket(tuple(current), lengths[current[-1]]))
    return buckets


def pack_rows(lengths: Sequence[int], row_tokens: int) -> list[list[int]]:
    """Spread sequence indices over the fewest rows of ``max(row_tokens, longest)`` tokens,
    balanced: longest first, each into the emptiest row (ties: the lowest row).

    The row count is ``ceil(total / capacity)`` unless balancing overfills a row,
    in which case rows are added until every row fits."""
    if row_tokens <= 0:
        raise ValueError("row_tokens must be positive")
    capacity = max(row_tokens, max(lengths))
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    count = -(-sum(lengths) // capacity)
    while True:
        rows: list[list[int]] = [[] for _ in range(count)]
        fill = [0] * count
        for i in order:
            r = min(range(count), key=lambda k: (fill[k], k))
            rows[r].append(i)
            fill[r] += lengths[i]
        if max(fill) <= capacity:
            return rows
        count += 1


def padding_mixes(model: ArchgenModel) -> bool:
    """Whether a row's padding changes its real tokens' outputs (Fourier mixing reads every slot,
    as its reference does): such a model runs only sequences of equal length together."""
    return model.ir.spec.attention.mixing == "fourier"


def packing_blocker(model: ArchgenModel) -> str | None:
    """Why ``model`` cannot run packed rows exactly, or None if it can."""
    head = model.head.spec
    if padding_mixes(model):
        return "its token mixing reads every slot of a row, so sequences sharing one would mix"
    if head.encoder_decoder:
        return "an encoder-decoder head runs its decoder per sequence"
    if head.choices:
        return "a multiple-choice head takes (batch, choices, seq) inputs"
    if model.ir.spec.embeddings.token_dropout is not None and head.attention == "causal":
        return (
            "token dropout's share of mask tokens is a sequence's, which a causal row's mask does not bound"
        )
    if model.ir.spec.block.first_layer_conv is not None and model.module.backbone.first_conv is not None:
        return "a convolution reads the slots beside each token, across packed sequences' bounds"
    if model.head.input == "last_token":
        return "the head finds each row's last token by its padding"
    pooling = model.head.input_for(model.sizes)
    if pooling in ("mean", "late_mean"):
        return "the head averages each row's tokens"
    if pooling == "first_kept":
        return "the head finds each row's first token by its mask"
    return None


def _rows(sequences: Sequence[Sequence[int] | dict[str, Sequence[int]]]) -> list[dict[str, Sequence[int]]]:
    return [s if isinstance(s, dict) else {"input_ids": s} for s in sequences]


def run_batch(
    model: ArchgenModel,
    sequences: Sequence[Sequence[int] | dict[str, Sequence[int]]],
    *,
    batch_tokens: int = 4096,
    pack: bool | None = None,
    row_tokens: int = 512,
    max_waste: float = 0.25,
) -> list[ModelOutput]:
    """Run ``sequences`` (token id lists, or dicts with ``input_ids`` and optionally
    ``token_type_ids``) without computing on padding; results in input order.

    ``pack=None`` packs rows where the model allows it and uses buckets otherwise;
    ``pack=True`` raises if it cannot pack, ``pack=False`` always uses buckets."""
    if model.head.spec.choices:
        raise InputError("run_batch takes single sequences; multiple-choice inputs are (batch, choices, seq)")
    if batch_tokens <= 0:
        raise ValueError("batch_tokens must be positive")
    rows = _rows(sequences)
    lengths = [len(r["input_ids"]) for r in rows]
    if any(n == 0 for n in lengths):
        raise InputError(f"sequence {lengths.index(0)} is empty")
    too_long = [i for i, n in enumerate(lengths) if n > model.max_length]
    if too_long:
        raise InputError(
            f"sequences {too_long[:5]} exceed {model.length_bound} ({model.max_length} tokens); truncate or stride them"
        )
    blocker = packing_blocker(model)
    if pack and blocker:
        raise InputError(f"this model cannot pack sequences into rows: {blocker}; pass pack=False")
    if pack is False or blocker:
        return _run_buckets(model, rows, lengths, batch_tokens, 0.0 if padding_mixes(model) else max_waste)
    # a packed row is one call: no longer than the model takes (`attention.length_limit`)
    return _run_packed(model, rows, lengths, batch_tokens, min(row_tokens, model.max_length))


def _run_packed(
    model: ArchgenModel, rows: list[dict], lengths: list[int], batch_tokens: int, row_tokens: int
) -> list[ModelOutput]:
    s = model.ir.spec
    pad = model.sizes[s.pad_token]
    # each packed sequence counts its positions from its own start (learned tables and rotary
    # angles alike; rotary attention depends on position differences only, up to rounding)
    own_positions = s.embeddings.position.kind in ("learned", "sinusoidal", "rotary")
    per_token = model.head.per_token_outputs
    results: list[ModelOutput | None] = [None] * len(rows)
    order = sorted(range(len(rows)), key=lambda i: (-lengths[i], i))
    calls: list[list[int]] = [[]]
    tokens = 0
    for i in order:  # consecutive in length order, so each call's rows balance well
        if calls[-1] and tokens + lengths[i] > batch_tokens:
            calls.append([])
            tokens = 0
        calls[-1].append(i)
        tokens += lengths[i]
    for call in calls:
        packed = pack_rows([lengths[i] for i in call], row_tokens)
        width = max(sum(lengths[call[j]] for j in row) for row in packed)
        ids = torch.full((len(packed), width), pad, dtype=torch.long)
        types = torch.zeros_like(ids)
        positions = torch.zeros_like(ids)
        keep = torch.zeros((len(packed), width, width), dtype=torch.bool)
        own = _own_positions(model, [rows[i] for i in call]) if own_positions else None
        places: list[tuple[int, int, int, int]] = []  # (input index, row, offset, length)
        for r, row in enumerate(packed):
            offset = 0
            for j in row:
                i, n = call[j], lengths[call[j]]
                ids[r, offset : offset + n] = torch.as_tensor(rows[i]["input_ids"])
                if "token_type_ids" in rows[i]:
                    types[r, offset : offset + n] = torch.as_tensor(rows[i]["token_type_ids"])
                if own is not None:
                    positions[r, offset : offset + n] = own[j, :n]
                keep[r, offset : offset + n, offset : offset + n] = True
                places.append((i, r, offset, n))
                offset += n
        inputs = model._check(
            {
                "input_ids": ids,
                "attention_mask": None,
                "token_type_ids": types if any("token_type_ids" in rows[i] for i in call) else None,
                "position_ids": positions if own is not None else None,
            }
        )
        inputs = {k: v for k, v in inputs.items() if v is not None}
        inputs["attention_mask"] = keep.long()
        if model.head.reads_first_token:
            inputs["sequence_starts"] = torch.tensor([r * width + offset for _, r, offset, _ in places])
        out = model._forward(inputs)
        for index, (i, r, offset, n) in enumerate(places):
            results[i] = ModelOutput(
                {
                    k: (v[r, offset : offset + n] if k in per_token else v[index])
                    for k, v in out.items()
                    if torch.is_tensor(v)
                }
            )
    return results  # type: ignore[return-value]


def pad_sequences(model: ArchgenModel, rows: Sequence[dict[str, Sequence[int]]]) -> dict[str, torch.Tensor]:
    """Right-pad ``rows`` (dicts with ``input_ids``, optionally ``token_type_ids``) into
    one batch: ``input_ids``, ``attention_mask``, and ``token_type_ids`` if any row has them."""
    pad = model.sizes[model.ir.spec.pad_token]
    width = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    types = torch.zeros_like(ids)
    for row, r in enumerate(rows):
        n = len(r["input_ids"])
        ids[row, :n] = torch.as_tensor(r["input_ids"])
        mask[row, :n] = 1
        if "token_type_ids" in r:
            types[row, :n] = torch.as_tensor(r["token_type_ids"])
    batch = {"input_ids": ids, "attention_mask": mask}
    if any("token_type_ids" in r for r in rows):
        batch["token_type_ids"] = types
    return batch


def _own_positions(model: ArchgenModel, rows: list[dict[str, Sequence[int]]]) -> torch.Tensor:
    """Each sequence's position ids as if it ran alone (right-padded batch, one call)."""
    ids = pad_sequences(model, rows)["input_ids"]
    return model.module.backbone.embeddings.position_ids(ids)  # (n, width)


def _run_buckets(
    model: ArchgenModel, rows: list[dict], lengths: list[int], batch_tokens: int, max_waste: float
) -> list[ModelOutput]:
    per_token = model.head.per_token_outputs
    results: list[ModelOutput | None] = [None] * len(rows)
    for bucket in plan_buckets(lengths, batch_tokens=batch_tokens, max_waste=max_waste):
        out = model(**pad_sequences(model, [rows[i] for i in bucket.indices]))
        for row, i in enumerate(bucket.indices):
            n = lengths[i]
            results[i] = ModelOutput(
                {k: (v[row, :n] if k in per_token else v[row]) for k, v in out.items() if torch.is_tensor(v)}
            )
    return results  # type: ignore[return-value]
