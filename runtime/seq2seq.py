"""Encoder-decoder heads at run time: their input checks, and generation.

Generation encodes the input once and projects it to every decoder layer's
cross-attention keys and values (``module.encode``); then each new token is one
cached decoder step (``module.decode``) that writes its self-attention keys and
values at its slot of a preallocated cache. The cache has a fixed number of
slots, kept across calls while it is large enough, so a compiled step never
recompiles: every step has the same shapes.

Greedy decoding, beam search and sampling follow `transformers`' ``generate``
step for step (the same stopping rule, padding, beam bookkeeping and logits
warpers, in the same order), so greedy and beam outputs equal the reference's;
sampling draws from the given ``torch.Generator`` (or the global one), with
``torch.multinomial`` as the reference does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from .decoding import SYNC_EVERY, Step, collect, force, until_finished
from .model import InputError

if TYPE_CHECKING:  # pragma: no cover
    from .model import ArchgenModel

__all__ = ["check_inputs", "generate", "require_decoder_input", "stream"]


# --------------------------------------------------------------- inputs


def require_decoder_input(model: ArchgenModel, inputs: dict) -> None:
    """The decoder needs its input from somewhere: passed, or derived as the head says."""
    if inputs.get("decoder_input_ids") is not None:
        return
    mode = model.head.spec.decoder_input
    if mode == "given":
        raise InputError(
            f"{model.head.class_name} needs decoder_input_ids (the decoder's tokens, starting with "
            f"decoder_start_token_id={model.sizes[model.ir.spec.decoder.start_token]})"
        )
    if mode == "labels" and inputs.get("labels") is None:
        raise InputError("pass decoder_input_ids or labels (the decoder reads the labels shifted right)")
    s = model.ir.spec
    vocab = model.sizes[s.decoder.vocab or s.vocab]
    ids = inputs["input_ids"]  # checked already
    if mode == "input_ids" and int(ids.max()) >= vocab:
        raise InputError(
            f"the decoder reads input_ids shifted when no decoder_input_ids are given, and its vocabulary "
            f"holds {vocab} ids; input_ids reach {int(ids.max())}: pass decoder_input_ids"
        )


def check_inputs(model: ArchgenModel, inputs: dict) -> None:
    """Decoder inputs, seq2seq labels and last-eos pooling; raises InputError before any compute."""
    s = model.ir.spec
    ids = inputs["input_ids"]
    b = ids.shape[0]
    vocab = model.sizes[s.decoder.vocab or s.vocab]  # the decoder's ids: its own vocabulary where it has one
    dec = inputs.get("decoder_input_ids")
    if dec is not None:
        if not isinstance(dec, torch.Tensor) or dec.dtype not in (torch.int64, torch.int32) or dec.dim() != 2:
            raise InputError("decoder_input_ids must be an int64 or int32 tensor (batch, target)")
        if dec.shape[0] != b or dec.shape[1] == 0:
            raise InputError(f"decoder_input_ids has shape {tuple(dec.shape)}, expected ({b}, target >= 1)")
        if int(dec.min()) < 0 or int(dec.max()) >= vocab:
            raise InputError(
                f"decoder_input_ids must lie in [0, {vocab}); got values in [{int(dec.min())}, {int(dec.max())}]"
            )
    labels = inputs.get("labels")
    if model.head.spec.loss == "seq2seq_lm" and labels is not None:
        if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64 or labels.dim() != 2:
            raise InputError("labels must be an int64 tensor (batch, target) of token ids")
        if labels.shape[0] != b or labels.shape[1] == 0:
            raise InputError(f"labels has shape {tuple(labels.shape)}, expected ({b}, target >= 1)")
        if dec is not None and labels.shape != dec.shape:
            raise InputError(
                f"labels {tuple(labels.shape)} and decoder_input_ids {tuple(dec.shape)} must have one shape"
            )
        if bool(((labels != -100) & ((labels < 0) | (labels >= vocab))).any()):
            raise InputError(
                f"labels must lie in [0, {vocab}) or be -100 (ignored); got values in "
                f"[{int(labels.min())}, {int(labels.max())}]"
            )
    derived = dec
    if derived is None:
        source = {"labels": labels, "input_ids": ids}.get(model.head.spec.decoder_input)
        derived = source if isinstance(source, torch.Tensor) else None
    if derived is not None and s.decoder.embeddings == "own" and derived.shape[1] > model.max_length:
        raise InputError(
            f"the decoder's input holds {derived.shape[1]} tokens; its position table admits at most "
            f"{model.max_length}"
        )
    if dec is None and derived is not None and s.decoder.shift == "last_kept":
        pad = model.sizes[s.pad_token]
        rows = ((derived == pad) | (derived == -100)).all(1).nonzero().flatten().tolist()
        if rows:
            raise InputError(
                f"{model.head.spec.decoder_input} rows {rows} hold only padding: the decoder's input starts "
                "with each row's last token that is not padding (its language code)"
            )
    dmask = inputs.get("decoder_attention_mask")
    if dmask is not None:
        if (
            not isinstance(dmask, torch.Tensor)
            or derived is None
            or tuple(dmask.shape) != tuple(derived.shape)
        ):
            want = tuple(derived.shape) if derived is not None else "that of decoder_input_ids"
            got = tuple(dmask.shape) if isinstance(dmask, torch.Tensor) else type(dmask).__name__
            raise InputError(f"decoder_attention_mask has shape {got}, expected {want}")
        if bool(((dmask != 0) & (dmask != 1)).any()):
            raise InputError("decoder_attention_mask must hold only 0 (padding) and 1 (token)")
    if model.head.input == "last_eos":
        eos = model.sizes[s.eos_token]
        counts = (ids == eos).sum(1).tolist()
        if min(counts) == 0:
            rows = [i for i, c in enumerate(counts) if c == 0]
            raise InputError(
                f"every row of input_ids must contain the eos token ({eos}): the head reads the decoder at "
                f"each row's last one; rows {rows} have none"
            )
        if len(set(counts)) != 1:
            raise InputError(
                f"all rows of input_ids must hold the same number of eos tokens ({eos}), as the reference "
                f"requires; got {counts}"
            )
        if dec is not None and dec.shape[1] != ids.shape[1]:
            raise InputError(
                "decoder_input_ids must be as long as input_ids: the head reads the decoder at the positions "
                "of the eos tokens in input_ids"
            )


# --------------------------------------------------------------- logits warpers


def _warp(
    scores: torch.Tensor, temperature: float, top_k: int | None, top_p: float, keep: int
) -> torch.Tensor:
    """Temperature, then top-k, then top-p: the reference's sampling warpers, in its order."""
    if temperature != 1.0:
        scores = scores / temperature
    if top_k:
        k = min(max(top_k, keep), scores.shape[-1])
        scores = scores.masked_fill(scores < torch.topk(scores, k)[0][..., -1, None], -float("inf"))
    if top_p < 1.0:
        sorted_logits, sorted_indices = torch.sort(scores, descending=False)
        cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        remove = cumulative <= (1 - top_p)
        remove[..., -keep:] = False
        scores = scores.masked_fill(remove.scatter(1, sorted_indices, remove), -float("inf"))
    return scores


# --------------------------------------------------------------- generation


def generate(
    model: ArchgenModel,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    *,
    max_new_tokens: int = 20,
    eos_token_id: int | None = None,
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
    """Generate decoder tokens for each row of ``input_ids``.

    Returns ``(batch, 1 + new)`` ids starting with the decoder start token, as
    the reference does. ``eos_token_id`` defaults to the config's; a finished row
    is padded with the pad token (greedy, sampling) or, in beam search, with the
    reference's filler (the pad token, or eos where the pad id is 0). ``num_beams``
    > 1 runs beam search (with ``do_sample``: beam sampling), scored with
    ``length_penalty`` and stopped as the reference's ``early_stopping`` says.
    Sampling applies ``temperature``, ``top_k`` (0 or None: off) and ``top_p``
    and draws from ``generator``. With ``output_scores`` it also returns each
    step's raw logits ``(batch * num_beams, vocab)``. Greedy decoding and
    sampling run the loop that :func:`stream` runs."""
    run = _Request(model, input_ids, attention_mask, max_new_tokens, eos_token_id, num_beams, do_sample)
    run.check_sampling(temperature, top_k, top_p)
    warp = run.warper(temperature, top_k, top_p)
    if num_beams == 1:
        # Greedy: the stopping flag is read once every SYNC_EVERY steps; sampling reads it every
        # step, so the generator draws exactly as many numbers as the reference does.
        steps = run.greedy_or_sample(warp, generator)
        start = torch.full((input_ids.shape[0], 1), run.start, dtype=torch.long)
        return collect(steps, 1 if do_sample else SYNC_EVERY, start, output_scores)
    scores: list[torch.Tensor] = []
    sequences = run.beam_search(warp, generator, length_penalty, early_stopping, scores)
    return (sequences, scores) if output_scores else sequences


def stream(
    model: ArchgenModel,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    *,
    max_new_tokens: int = 20,
    eos_token_id: int | None = None,
    do_sample: bool = False,
    temperature: float = 1.0,
    top_k: int | None = 50,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
) -> Iterator[torch.Tensor]:
    """Each step's new decoder tokens ``(batch,)``, greedy or sampled, as :func:`generate` makes them.

    Everything is checked before this returns, so an invalid request yields nothing."""
    run = _Request(model, input_ids, attention_mask, max_new_tokens, eos_token_id, 1, do_sample)
    run.check_sampling(temperature, top_k, top_p)
    steps = run.greedy_or_sample(run.warper(temperature, top_k, top_p), generator)
    return (token for token, _ in until_finished(steps, 1))


class _Request:
    """One checked generation request: its inputs, special tokens and (kept or new) KV cache."""

    def __init__(
        self,
        model: ArchgenModel,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None,
        max_new_tokens: int,
        eos_token_id: int | None,
        num_beams: int,
        do_sample: bool,
    ):
        s = model.ir.spec
        if not any(layer.op == "lm_decoder" for layer in model.head.layers):
            raise InputError(
                f"generation needs a head that predicts tokens; this model is {model.head.name!r}"
            )
        if max_new_tokens < 1 or num_beams < 1:
            raise InputError(
                f"max_new_tokens ({max_new_tokens}) and num_beams ({num_beams}) must be at least 1"
            )
        inputs = model._check({"input_ids": input_ids, "attention_mask": attention_mask})
        self.model = model
        self.input_ids = input_ids
        self.mask = inputs["attention_mask"].contiguous()  # strides are guarded: one layout for every call
        self.pad = model.sizes[s.pad_token]
        self.eos = model.sizes[s.eos_token] if eos_token_id is None else eos_token_id
        if not isinstance(self.eos, int) or isinstance(self.eos, bool):
            raise InputError(f"an encoder-decoder head stops at one eos_token_id (an int), got {self.eos!r}")
        self.start = model.sizes[s.decoder.start_token]
        if s.decoder.embeddings == "own" and max_new_tokens > model.max_length:
            # the decoder reads the start token and each new token but the last, at positions 0..new - 1
            raise InputError(
                f"max_new_tokens ({max_new_tokens}) is past the decoder's position table, which admits "
                f"{model.max_length} tokens"
            )
        # the decoder's first step reads the start token alone: a forced first token applies there
        self.forced = model.forced_tokens(max_new_tokens, first=True)
        self.steps = max_new_tokens
        self.num_beams = num_beams
        self.do_sample = do_sample

    def check_sampling(self, temperature: float, top_k: int | None, top_p: float) -> None:
        if self.do_sample and (temperature <= 0 or not 0 < top_p <= 1 or (top_k is not None and top_k < 0)):
            raise InputError(
                "sampling needs temperature > 0, 0 < top_p <= 1 and top_k >= 0; "
                f"got {temperature}, {top_p}, {top_k}"
            )

    def warper(self, temperature: float, top_k: int | None, top_p: float) -> Callable:
        """``(scores, position) -> scores``: the forced token of that position, if any, then the
        sampling warpers (the reference's order: logits processors, then warpers)."""
        keep = 2 if self.num_beams > 1 else 1

        def process(scores: torch.Tensor, position: int) -> torch.Tensor:
            if position in self.forced:
                scores = force(scores, self.forced[position])
            return _warp(scores, temperature, top_k, top_p, keep=keep) if self.do_sample else scores

        return process

    def _start(self) -> Callable[[torch.Tensor, int], torch.Tensor]:
        """Encode the input once, preallocate the cache; returns the step function ``(tokens, position) -> logits``."""
        model, rows = self.model, self.input_ids.shape[0] * self.num_beams
        slots = model._kv_cache(rows, self.steps, next(model.module.parameters()).dtype)
        ids = self.input_ids.contiguous().clone()  # an inference tensor, like every later step's input
        source = {"input_ids": ids, "attention_mask": self.mask}
        memory = model._method("encode", source)(**source)
        if model.aot is not None:  # a compiled step takes contiguous inputs: copy once, not per step
            memory = [(k.contiguous(), v.contiguous()) for k, v in memory]
        mask = self.mask
        if self.num_beams > 1:  # each row's beams read the same encoding
            memory = [
                (k.repeat_interleave(self.num_beams, 0), v.repeat_interleave(self.num_beams, 0))
                for k, v in memory
            ]
            mask = mask.repeat_interleave(self.num_beams, 0)
        self_mask = torch.ones(rows, slots, dtype=torch.long, device=ids.device)
        slot_ids = torch.arange(self.steps, device=ids.device)[:, None].unbind(0)  # each step's (1,) slot
        decode = None  # found (or compiled) at the first step

        def step(tokens: torch.Tensor, position: int) -> torch.Tensor:
            nonlocal decode
            inputs = {
                "decoder_input_ids": tokens,
                "decoder_attention_mask": self_mask,
                "input_pos": slot_ids[position],
                "memory": memory,
                "attention_mask": mask,
            }
            if decode is None:
                decode = model._method("decode", inputs, caches=True)
            return decode(**inputs)[:, -1].float()  # (rows, vocab)

        return step

    @torch.inference_mode()
    def greedy_or_sample(self, warp: Callable, generator: torch.Generator | None) -> Iterator[Step]:
        """One step per token: the reference's greedy/sampling loop (inference mode between yields only)."""
        step = self._start()
        b = self.input_ids.shape[0]
        token = torch.full((b,), self.start, dtype=torch.long)
        unfinished = torch.ones(b, dtype=torch.bool)
        for position in range(self.steps):
            logits = step(token[:, None], position)
            scores = warp(logits, position)
            if self.do_sample:
                probs = F.softmax(scores, dim=-1)
                token = torch.multinomial(probs, num_samples=1, generator=generator).squeeze(1)
            else:
                token = scores.argmax(-1)
            token = torch.where(unfinished, token, self.pad)  # finished rows are padded
            unfinished = unfinished & (token != self.eos)
            yield token, logits, ~unfinished.any()

    @torch.inference_mode()
    def beam_search(
        self,
        warp: Callable,
        generator: torch.Generator | None,
        length_penalty: float,
        early_stopping: bool,
        scores: list[torch.Tensor],
    ) -> torch.Tensor:
        """Beam search (see :func:`_beam_search`); appends every step's raw logits to ``scores``."""
        step = self._start()

        def scored(tokens: torch.Tensor, position: int) -> torch.Tensor:
            scores.append(step(tokens, position))
            return scores[-1]

        return _beam_search(
            scored,
            warp,
            self.model.module.reorder_cache,
            self.input_ids.shape[0],
            self.num_beams,
            self.start,
            self.pad,
            self.eos,
            self.steps,
            self.do_sample,
            generator,
            length_penalty,
            early_stopping,
        )


# The beam search below is the reference's (`GenerationMixin._beam_search`), vectorised over
# (batch, beams); its helpers keep the reference's names so the two read side by side.


def _gather_beams(tensor: torch.Tensor, beam_indices: torch.Tensor) -> torch.Tensor:
    while beam_indices.dim() < tensor.dim():
        beam_indices = beam_indices.unsqueeze(-1)
    return torch.take_along_dim(tensor, beam_indices, dim=1)


def _beam_search(
    step: Callable,
    warp: Callable,
    reorder: Callable,
    b: int,
    num_beams: int,
    start: int,
    pad: int,
    eos: int,
    steps: int,
    sample: bool,
    generator,
    length_penalty: float,
    early_stopping: bool,
) -> torch.Tensor:
    max_length = 1 + steps
    cur_len = prompt_len = 1
    keep = 2 * num_beams  # top 2k candidates: at least k that do not end in eos
    top_num_beam_mask = torch.cat(
        [torch.ones(num_beams, dtype=torch.bool), torch.zeros(keep - num_beams, dtype=torch.bool)]
    )
    fill = pad if pad else eos  # the reference fills with `pad_token_id or eos_token_id`
    running_sequences = torch.full((b, num_beams, max_length), fill, dtype=torch.long)
    running_sequences[:, :, 0] = start
    sequences = running_sequences.clone()
    running_beam_scores = torch.zeros(b, num_beams)
    running_beam_scores[:, 1:] = -1e9  # only the first beam's tokens count at the first step
    beam_scores = torch.full((b, num_beams), -1e9)
    is_sent_finished = torch.zeros(b, num_beams, dtype=torch.bool)
    improvable = torch.ones(b, 1, dtype=torch.bool)  # the reference's is_early_stop_heuristic_unsatisfied
    running_beam_indices = torch.full((b, num_beams, max_length - cur_len), -1, dtype=torch.int32)
    beam_indices = running_beam_indices.clone()
    tokens = running_sequences[:, :, :1].reshape(b * num_beams, 1)
    while True:
        log_probs = warp(F.log_softmax(step(tokens, cur_len - 1), dim=-1), cur_len - 1)  # (b * beams, vocab)
        vocab = log_probs.shape[-1]
        log_probs = (log_probs.view(b, num_beams, vocab) + running_beam_scores[:, :, None]).view(b, -1)

        # c. the top 2k continuations over all beams (or 2k samples without replacement)
        if sample:
            topk_indices = torch.multinomial(
                F.softmax(log_probs, dim=-1), num_samples=keep, generator=generator
            )
            topk_log_probs = torch.gather(log_probs, 1, topk_indices)
        else:
            topk_log_probs, topk_indices = torch.topk(log_probs, k=keep)
        topk_current_beam_indices = topk_indices // vocab
        topk_running_beam_indices = _gather_beams(running_beam_indices, topk_current_beam_indices)
        topk_running_sequences = _gather_beams(running_sequences, topk_current_beam_indices)
        topk_running_sequences[:, :, cur_len] = topk_indices % vocab
        offsets = torch.arange(b).view(-1, 1) * num_beams
        topk_running_beam_indices[:, :, cur_len - prompt_len] = (topk_current_beam_indices + offsets).int()

        # d. which continuations stop (eos, or the length limit)
        hits = (topk_running_sequences[:, :, cur_len] == eos) | (cur_len + 1 >= max_length)

        # e. the best k continuations that go on
        running_log_probs = topk_log_probs + hits.float() * -1.0e9
        next_topk = torch.topk(running_log_probs, k=num_beams)[1]
        running_sequences = _gather_beams(topk_running_sequences, next_topk)
        running_beam_scores = _gather_beams(running_log_probs, next_topk)
        running_beam_indices = _gather_beams(topk_running_beam_indices, next_topk)

        # f. finished hypotheses, length-penalised, merged with the earlier ones
        just_finished = hits & top_num_beam_mask[None, :]
        finished_scores = topk_log_probs / ((cur_len + 1 - prompt_len) ** length_penalty)
        full = torch.all(is_sent_finished, dim=-1, keepdim=True) & early_stopping
        finished_scores = finished_scores + full.float() * -1.0e9
        finished_scores = finished_scores + (~improvable).float() * -1.0e9
        finished_scores = finished_scores + (~just_finished) * -1.0e9
        merged = torch.topk(torch.cat([beam_scores, finished_scores], dim=1), k=num_beams)[1]
        sequences = _gather_beams(torch.cat([sequences, topk_running_sequences], dim=1), merged)
        beam_scores = _gather_beams(torch.cat([beam_scores, finished_scores], dim=1), merged)
        beam_indices = _gather_beams(torch.cat([beam_indices, topk_running_beam_indices], dim=1), merged)
        is_sent_finished = _gather_beams(torch.cat([is_sent_finished, just_finished], dim=1), merged)

        # g. the cache follows the beams that go on; then the stopping rule
        reorder(running_beam_indices[..., cur_len - prompt_len].reshape(-1).long())
        cur_len += 1
        best_running = running_beam_scores[:, :1] / ((cur_len - prompt_len) ** length_penalty)
        worst_finished = torch.where(is_sent_finished, beam_scores.min(dim=1, keepdim=True)[0], -1.0e9)
        improvable = improvable & torch.any(best_running > worst_finished, dim=-1, keepdim=True)
        open_beams = not (bool(is_sent_finished.all()) and early_stopping)
        if not (bool(improvable.any()) and open_beams and not bool(hits.all())):
            break
        tokens = running_sequences[:, :, cur_len - 1 : cur_len].reshape(b * num_beams, 1)

    best = sequences[:, 0]  # (b, max_length): the best hypothesis of each row
    generated = int((beam_indices[:, 0] + 1).bool().sum(dim=1).max())
    return best[:, : prompt_len + generated]
