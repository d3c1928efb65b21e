"""Task pipelines: ``archgen.pipeline(task, checkpoint)`` and the file-streaming `archgen run`.

A :class:`Pipeline` holds a loaded model and its tokenizer and runs one task
over texts (see :mod:`.tasks` for each task's output). On top of the plain
tasks it adds what long and real inputs need:

* token classification groups tokens into entities (``aggregation``: ``none``,
  ``simple``, ``first``, ``average``, ``max``, as in the reference's pipelines);
* question answering over a context longer than the model slides a window
  over the context (``stride`` tokens of overlap) and keeps the best span;
* :func:`stream_file` reads ``.txt`` (one text per line) or ``.jsonl`` (one
  object per line, ``{"text": ...}``; QA takes ``question`` and ``context``),
  and writes ``.jsonl`` atomically: nothing is written unless every line ran.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import torch

from .model import ArchgenModel, InputError, load
from .tasks import TASKS, _labels, _sequences, load_tokenizer, run_task

__all__ = ["AGGREGATIONS", "Pipeline", "pipeline", "stream_file"]

AGGREGATIONS = ("none", "simple", "first", "average", "max")


def pipeline(task: str, checkpoint: str | os.PathLike, **load_options: Any) -> Pipeline:
    """Load ``checkpoint`` (and its tokenizer.json) for ``task``."""
    if task not in TASKS:
        raise InputError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")
    return Pipeline(task, load(checkpoint, **load_options), load_tokenizer(checkpoint))


class Pipeline:
    """One task over texts; call it with a list of texts (or QA pairs)."""

    def __init__(self, task: str, model: ArchgenModel, tokenizer):
        if model.head.spec.task != task:
            raise InputError(
                f"task {task!r} needs a head that serves it; this checkpoint's head is "
                f"{model.head.name!r} ({model.head.spec.task})"
            )
        self.task, self.model, self.tokenizer = task, model, tokenizer

    def __call__(self, texts: list[str], **options: Any) -> list[dict]:
        if self.task == "token-classification":
            return self.token_classification(texts, **options)
        if self.task == "question-answering":
            if len(texts) != 2:
                raise InputError("question-answering takes two texts: QUESTION CONTEXT")
            return self.question_answering(texts[0], texts[1], **options)
        return run_task(self.model, self.tokenizer, self.task, list(texts), **options)

    # ------------------------------------------------------------------ NER

    def token_classification(self, texts: list[str], aggregation: str = "simple") -> list[dict]:
        """Token labels, grouped into entities by ``aggregation`` (B-/I- prefixes are merged)."""
        if aggregation not in AGGREGATIONS:
            raise InputError(f"aggregation must be one of {', '.join(AGGREGATIONS)}, got {aggregation!r}")
        results = []
        labels = _labels(self.model, self.model.sizes["num_labels"])
        seqs, encs, truncated = _sequences(self.model, self.tokenizer, texts)
        for text, enc, cut, out in zip(texts, encs, truncated, self.model.run_batch(seqs)):
            probs = out.logits.softmax(-1)  # (t, labels)
            n = probs.shape[0]
            tokens = [
                {
                    "index": i,
                    "word_id": enc.word_ids[i],
                    "start": enc.offsets[i][0],
                    "end": enc.offsets[i][1],
                    "probs": probs[i],
                }
                for i in range(n)
                if not enc.special_tokens_mask[i]
            ]
            if aggregation == "none":
                entities = [
                    {
                        "entity": labels[int(t["probs"].argmax())],
                        "score": float(t["probs"].max()),
                        "word": text[t["start"] : t["end"]],
                        "start": t["start"],
                        "end": t["end"],
                    }
                    for t in tokens
                ]
            else:
                words = _words(tokens, labels, aggregation)
                entities = _group(words, text)
            results.append({"text": text, "truncated": cut, "entities": entities})
        return results

    # ------------------------------------------------------------------ QA

    def question_answering(
        self, question: str, context: str, *, stride: int = 32, max_answer_len: int = 30
    ) -> list[dict]:
        """The best span; a context longer than the model is read in overlapping windows."""
        q = self.tokenizer.encode(question, add_special_tokens=False)
        c = self.tokenizer.encode(context, add_special_tokens=False)
        special = len(self.tokenizer.encode("a", "b").ids) - 2  # specials a pair adds
        room = self.model.max_length - len(q.ids) - special
        if room < 1:
            raise InputError(
                f"the question alone ({len(q.ids)} tokens) fills the model's {self.model.max_length}"
            )
        if stride >= room:
            raise InputError(f"stride ({stride}) must be smaller than the context window ({room} tokens)")
        best: dict | None = None
        windows = 0
        start = 0
        while True:
            piece = c.ids[start : start + room]
            ids, context_positions = _pair_ids(self.tokenizer, q.ids, piece)
            out = self.model(torch.tensor([ids]))
            windows += 1
            span = _best_span(out.start_logits[0], out.end_logits[0], context_positions, max_answer_len)
            if span is not None and (best is None or span[2] > best["score"]):
                s, e = start + span[0], start + span[1]
                best = {
                    "answer": context[c.offsets[s][0] : c.offsets[e][1]],
                    "start": c.offsets[s][0],
                    "end": c.offsets[e][1],
                    "score": round(span[2], 6),
                }
            if start + room >= len(c.ids):
                break
            start += room - stride
        if best is None:
            raise InputError("no answer span fits in the context")
        return [{**best, "windows": windows, "strided": windows > 1}]


def _words(tokens: list[dict], labels: list[str], aggregation: str) -> list[dict]:
    """Sub-tokens -> words (``simple``: every token is its own word)."""
    groups: dict[Any, list[dict]] = {}
    for t in tokens:
        key = t["index"] if aggregation == "simple" or t["word_id"] is None else t["word_id"]
        groups.setdefault(key, []).append(t)
    words = []
    for parts in groups.values():
        stacked = torch.stack([p["probs"] for p in parts])
        if aggregation == "first":
            probs = stacked[0]
        elif aggregation == "max":
            probs = stacked[stacked.max(-1).values.argmax()]
        else:  # simple (one token) and average
            probs = stacked.mean(0)
        label = labels[int(probs.argmax())]
        words.append(
            {"label": label, "score": float(probs.max()), "start": parts[0]["start"], "end": parts[-1]["end"]}
        )
    return words


def _group(words: list[dict], text: str) -> list[dict]:
    """Adjacent words of one entity type (B-X starts one, I-X continues it) -> entities; O is dropped."""
    entities: list[dict] = []
    current: dict | None = None
    for w in words:
        prefix, _, kind = w["label"].rpartition("-") if "-" in w["label"] else ("", "", w["label"])
        if kind == "O" and not prefix:
            current = None
            continue
        if current is not None and current["entity_group"] == kind and prefix != "B":
            current["scores"].append(w["score"])
            current["end"] = w["end"]
        else:
            current = {"entity_group": kind, "scores": [w["score"]], "start": w["start"], "end": w["end"]}
            entities.append(current)
    return [
        {
            "entity_group": e["entity_group"],
            "score": sum(e["scores"]) / len(e["scores"]),
            "word": text[e["start"] : e["end"]],
            "start": e["start"],
            "end": e["end"],
        }
        for e in entities
    ]


def _pair_ids(tokenizer, question: list[int], context: list[int]) -> tuple[list[int], list[int]]:
    """Ids of the (question, context) pair with the tokenizer's special tokens placed as its
    pair template places them, and the positions of the context's tokens."""
    probe = tokenizer.encode("x", "y")  # one token each: shows where the specials go
    ids: list[int] = []
    positions: list[int] = []
    for token, seq in zip(probe.ids, probe.sequence_ids):
        if seq is None:
            ids.append(token)
        elif seq == 0:
            ids += question
        else:
            positions = list(range(len(ids), len(ids) + len(context)))
            ids += context
    return ids, positions


def _best_span(start: torch.Tensor, end: torch.Tensor, positions: list[int], max_len: int):
    """(first context token, last context token, score) of the best span, or None."""
    if not positions:
        return None
    s = start[positions]
    e = end[positions]
    scores = s[:, None] + e[None, :]
    n = len(positions)
    ok = torch.ones(n, n, dtype=torch.bool).triu() & ~torch.ones(n, n, dtype=torch.bool).triu(max_len)
    scores = scores.masked_fill(~ok, float("-inf"))
    best = int(scores.flatten().argmax())
    i, j = divmod(best, n)
    return i, j, float(scores[i, j])


def stream_file(
    pipe: Pipeline,
    source: Path,
    target: Path,
    *,
    batch: int = 64,
    progress: Callable[[int], None] | None = None,
    **options: Any,
) -> int:
    """Run ``pipe`` over every record of ``source`` into ``target`` (.jsonl), atomically.

    Texts go to the model ``batch`` at a time (packed without padding where the model
    allows: :mod:`.batching`); ``options`` are the task's (``aggregation``, ``stride``,
    ``pooling``)."""
    records = list(_read(source))
    tmp = target.with_name(target.name + ".tmp")
    done = 0
    try:
        with tmp.open("w", encoding="utf-8") as out:
            for chunk in _chunks(records, 1 if pipe.task == "question-answering" else batch):
                if pipe.task == "question-answering":
                    rows = pipe([chunk[0]["question"], chunk[0]["context"]], **options)
                else:
                    rows = pipe([r["text"] for r in chunk], **options)
                for row in rows:
                    out.write(json.dumps(row) + "\n")
                done += len(chunk)
                if progress:
                    progress(len(chunk))
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return done


def _read(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if path.suffix == ".jsonl":
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{n}: not JSON: {exc.msg}") from None
                if not isinstance(record, dict):
                    raise InputError(f'{path}:{n}: expected an object like {{"text": ...}}')
                yield record
            else:
                yield {"text": line}


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
