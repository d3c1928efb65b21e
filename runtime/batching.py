"""Running many sequences of different lengths without computing on padding.

:func:`run_batch` sorts sequences by length and cuts them into *tight length
buckets*: consecutive runs of the sorted order whose padding stays under
``max_waste`` of the bucket's tokens, each bucket holding at most
``batch_tokens`` tokens. ``max_waste=0`` means equal lengths only, so no
projection or FFN ever sees a padding token; the default 0.25 trades a little
padding for fewer, larger calls, which measured faster on a 2-core CPU for
realistic length mixes (`bench/bench.py`, case xlmr-b8-ragged). Attention stays per sequence (there is no packing
across rows, so no cross-talk). Results come back in input order, one
:class:`ModelOutput` per sequence, with per-token fields cut to the sequence's
own length, equal to running the padded batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .model import ArchgenModel, InputError, ModelOutput

__all__ = ["Bucket", "plan_buckets", "run_batch"]


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


def _per_token(value: torch.Tensor, batch: int, length: int) -> bool:
    return value.dim() >= 2 and value.shape[0] == batch and value.shape[1] == length


def run_batch(
    model: ArchgenModel,
    sequences: Sequence[Sequence[int] | dict[str, Sequence[int]]],
    *,
    batch_tokens: int = 4096,
    max_waste: float = 0.25,
) -> list[ModelOutput]:
    """Run ``sequences`` (token id lists, or dicts with ``input_ids`` and optionally
    ``token_type_ids``) in tight length buckets; results in input order."""
    if model.head.spec.choices:
        raise InputError("run_batch takes single sequences; multiple-choice inputs are (batch, choices, seq)")
    rows = [s if isinstance(s, dict) else {"input_ids": s} for s in sequences]
    lengths = [len(r["input_ids"]) for r in rows]
    if any(n == 0 for n in lengths):
        raise InputError(f"sequence {lengths.index(0)} is empty")
    too_long = [i for i, n in enumerate(lengths) if n > model.max_length]
    if too_long:
        raise InputError(
            f"sequences {too_long[:5]} exceed the position table ({model.max_length} tokens); truncate or stride them"
        )
    pad = model.sizes[model.ir.spec.pad_token]
    results: list[ModelOutput | None] = [None] * len(rows)
    for bucket in plan_buckets(lengths, batch_tokens=batch_tokens, max_waste=max_waste):
        b, t = len(bucket.indices), bucket.length
        ids = torch.full((b, t), pad, dtype=torch.long)
        mask = torch.zeros((b, t), dtype=torch.long)
        types = torch.zeros((b, t), dtype=torch.long)
        has_types = any("token_type_ids" in rows[i] for i in bucket.indices)
        for row, i in enumerate(bucket.indices):
            n = lengths[i]
            ids[row, :n] = torch.as_tensor(rows[i]["input_ids"])
            mask[row, :n] = 1
            if "token_type_ids" in rows[i]:
                types[row, :n] = torch.as_tensor(rows[i]["token_type_ids"])
        extra = {"token_type_ids": types} if has_types else {}
        out = model(ids, mask, **extra)
        for row, i in enumerate(bucket.indices):
            n = lengths[i]
            results[i] = ModelOutput(
                {
                    k: (v[row, :n] if _per_token(v, b, t) else v[row])
                    for k, v in out.items()
                    if torch.is_tensor(v)
                }
            )
    return results  # type: ignore[return-value]
