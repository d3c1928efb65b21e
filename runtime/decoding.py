"""The stopping rule shared by every token-by-token generation loop.

A loop yields ``(token, logits, finished)`` per step: the step's new tokens
``(batch,)``, its logits ``(batch, vocab)`` and a 0-d bool tensor, true once
every row has produced its end token. :func:`until_finished` passes the steps on
up to and including the first finished one. It reads ``finished`` on the host
only once every ``every`` steps: between two checks the loop runs ahead
(tensors stay where they are computed, no host sync), and the steps after the
finished one are dropped, so the tokens are the same for every ``every``.
Streaming checks every step, so each token is handed on as soon as it exists;
``generate`` checks every :data:`SYNC_EVERY` steps.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

__all__ = ["SYNC_EVERY", "Step", "collect", "force", "until_finished"]

#: Steps between two host reads of the stopping flag when generating a whole batch.
SYNC_EVERY = 8

#: One decoding step: new tokens (batch,), logits (batch, vocab), all rows finished (0-d bool).
Step = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def until_finished(steps: Iterator[Step], every: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """``(token, logits)`` of each step up to the first whose ``finished`` is true, checked every ``every`` steps."""
    pending: list[Step] = []
    for step in steps:
        pending.append(step)
        if len(pending) == every:
            kept, stop = _settle(pending)
            yield from kept
            if stop:
                return
            pending = []
    yield from _settle(pending)[0]


def collect(
    steps: Iterator[Step], every: int, prefix: torch.Tensor, output_scores: bool
) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
    """``prefix`` (batch, n) followed by every step's tokens, up to the first finished step (read
    every ``every`` steps); with ``output_scores``, also each kept step's logits."""
    done = list(until_finished(steps, every))
    sequences = torch.cat([prefix] + [token[:, None] for token, _ in done], dim=1)
    return (sequences, [logits for _, logits in done]) if output_scores else sequences


def force(scores: torch.Tensor, ids: list[int]) -> torch.Tensor:
    """``scores`` (batch, vocab) of a step whose token is forced: every other token's -inf, the
    forced ones' 0 (the reference's forced-token processors; several ids: the first wins a greedy pick)."""
    forced = torch.full_like(scores, -float("inf"))
    forced[:, ids] = 0
    return forced


def _settle(pending: list[Step]) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], bool]:
    """The pending steps up to the first finished one, and whether there was one: one host read."""
    if not pending:
        return [], False
    flags = torch.stack([finished for _, _, finished in pending]).tolist()
    end = flags.index(True) + 1 if True in flags else len(pending)
    return [(token, logits) for token, logits, _ in pending[:end]], True in flags
