"""Task pipelines over a loaded model, tokenized with the checkpoint's ``tokenizer.json``.

Each function takes an :class:`ArchgenModel` and a ``tokenizers.Tokenizer`` and
returns plain data (lists and dicts), which the CLI prints and tests compare.
Inputs longer than the model's position table are truncated to it, and the
result for that text says so (``"truncated": true``).
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer

from ..compiler.lower import token_types
from .batching import pad_sequences
from .model import ArchgenModel, InputError

__all__ = ["TASKS", "load_tokenizer", "run_task"]


def load_tokenizer(checkpoint_dir: str | Path) -> Tokenizer:
    path = Path(checkpoint_dir) / "tokenizer.json"
    if not path.exists():
        raise FileNotFoundError(f"{checkpoint_dir} has no tokenizer.json; `archgen run` needs one")
    return Tokenizer.from_file(str(path))


def _encode(model: ArchgenModel, tok: Tokenizer, texts: list[str], pairs: list[str] | None = None):
    """The texts (or text pairs) as one right-padded batch, cut to the position table."""
    seqs, encs, truncated = _sequences(model, tok, texts, pairs)
    return pad_sequences(model, seqs), encs, truncated


def _sequences(model: ArchgenModel, tok: Tokenizer, texts: list[str], pairs: list[str] | None = None):
    """Each text's (or pair's) tokens, cut to the position table, for :meth:`ArchgenModel.run_batch`
    (which packs them without padding); also the encodings and which texts were cut. Token
    types are clamped to the model's table (a pair's second segment is type 0 where it has one row)."""
    limit = model.max_length
    encs = tok.encode_batch(list(zip(texts, pairs)) if pairs else texts)
    s = model.ir.spec
    types = token_types(s, model.sizes)
    seqs = []
    for e in encs:
        seq = {"input_ids": e.ids[:limit]}
        if types:
            seq["token_type_ids"] = [min(k, types - 1) for k in e.type_ids[:limit]]
        seqs.append(seq)
    return seqs, encs, [len(e.ids) > limit for e in encs]


def _labels(model: ArchgenModel, n: int) -> list[str]:
    id2label = model.config.get("id2label") or {}
    return [id2label.get(str(i), id2label.get(i, f"LABEL_{i}")) for i in range(n)]


def fill_mask(model, tok, texts, top_k: int = 5):
    mask_id = (
        tok.token_to_id("<mask>") if tok.token_to_id("<mask>") is not None else tok.token_to_id("[MASK]")
    )
    if mask_id is None:
        raise InputError("the tokenizer has no <mask> or [MASK] token")
    seqs, _, truncated = _sequences(model, tok, texts)
    for row, seq in enumerate(seqs):  # before any compute
        if mask_id not in seq["input_ids"]:
            cut = f" within the first {model.max_length} tokens" if truncated[row] else ""
            raise InputError(f"text {row} has no mask token{cut}")
    results = []
    for row, (seq, out) in enumerate(zip(seqs, model.run_batch(seqs))):
        probs = out.logits[seq["input_ids"].index(mask_id)].softmax(-1)
        top = probs.topk(min(top_k, probs.numel()))
        results.append(
            {
                "text": texts[row],
                "truncated": truncated[row],
                "predictions": [
                    {"token": tok.id_to_token(int(i)), "score": round(float(p), 6)}
                    for p, i in zip(top.values, top.indices)
                ],
            }
        )
    return results


def token_classification(model, tok, texts):
    seqs, encs, truncated = _sequences(model, tok, texts)
    outs = model.run_batch(seqs)
    labels = _labels(model, outs[0].logits.shape[-1])
    out = []
    for row, (e, result) in enumerate(zip(encs, outs)):
        pred = result.logits.argmax(-1).tolist()
        tokens = [
            {"token": e.tokens[i], "label": labels[pred[i]]}
            for i in range(len(pred))
            if not e.special_tokens_mask[i]
        ]
        out.append({"text": texts[row], "truncated": truncated[row], "tokens": tokens})
    return out


def question_answering(model, tok, texts, max_answer_len: int = 30):
    if len(texts) != 2:
        raise InputError("question-answering takes two texts: QUESTION CONTEXT")
    inputs, encs, truncated = _encode(model, tok, [texts[0]], [texts[1]])
    out = model(**inputs)
    e = encs[0]
    n = min(len(e.ids), out.start_logits.shape[1])
    in_context = torch.tensor([e.sequence_ids[i] == 1 for i in range(n)])
    if not bool(in_context.any()):
        raise InputError(f"the context does not fit in the position table ({model.max_length} tokens)")
    start = out.start_logits[0, :n].masked_fill(~in_context, float("-inf"))
    end = out.end_logits[0, :n].masked_fill(~in_context, float("-inf"))
    scores = start[:, None] + end[None, :]
    ok = torch.ones(n, n, dtype=torch.bool).triu() & ~torch.ones(n, n, dtype=torch.bool).triu(max_answer_len)
    scores = scores.masked_fill(~ok, float("-inf"))
    best = int(scores.flatten().argmax())
    s, t = divmod(best, n)
    char_start, char_end = e.offsets[s][0], e.offsets[t][1]
    return [
        {
            "answer": texts[1][char_start:char_end],
            "start": char_start,
            "end": char_end,
            "score": round(float(scores[s, t]), 6),
            "truncated": truncated[0],
        }
    ]


def text_classification(model, tok, texts):
    seqs, _, truncated = _sequences(model, tok, texts)
    logits = torch.stack([out.logits for out in model.run_batch(seqs)])
    problem = model.config.get("problem_type")
    if problem == "regression":  # predicted values, not probabilities
        probs = logits
    elif problem == "multi_label_classification" or logits.shape[-1] == 1:  # softmax of one logit is 1
        probs = logits.sigmoid()
    else:
        probs = logits.softmax(-1)
    labels = _labels(model, logits.shape[-1])
    return [
        {
            "text": t,
            "truncated": cut,
            "scores": {labels[i]: round(float(p), 6) for i, p in enumerate(row)},
        }
        for t, cut, row in zip(texts, truncated, probs)
    ]


def multiple_choice(model, tok, texts):
    if len(texts) < 3:
        raise InputError("multiple-choice takes a prompt and at least two choices: PROMPT CHOICE CHOICE...")
    prompt, choices = texts[0], texts[1:]
    inputs, _, truncated = _encode(model, tok, [prompt] * len(choices), choices)
    inputs = {k: v[None] for k, v in inputs.items()}
    probs = model(**inputs).logits[0].softmax(-1)
    return [
        {
            "prompt": prompt,
            "truncated": any(truncated),
            "scores": {c: round(float(p), 6) for c, p in zip(choices, probs)},
        }
    ]


def text_generation(model, tok, texts, max_new_tokens: int = 20):
    results = []
    for text in texts:  # one at a time: each prompt keeps its own length
        inputs, encs, truncated = _encode(model, tok, [text])
        ids = inputs["input_ids"]
        if encs[0].special_tokens_mask[ids.shape[1] - 1]:  # the closing </s>, unless truncation cut it
            ids = ids[:, :-1]
        room = model.max_length - ids.shape[1]
        new = model.generate(
            ids,
            max_new_tokens=max(0, min(max_new_tokens, room)),
            eos_token_id=model.config.get("eos_token_id"),
        )
        results.append(
            {
                "prompt": text,
                "truncated": truncated[0],
                "generated": tok.decode(new[0, ids.shape[1] :].tolist()),
            }
        )
    return results


def text2text_generation(model, tok, texts, max_new_tokens: int = 20):
    """Encoder-decoder generation: each text in, the decoder's tokens out (greedy)."""
    inputs, _, truncated = _encode(model, tok, texts)
    new = model.generate(inputs["input_ids"], inputs["attention_mask"], max_new_tokens=max_new_tokens)
    return [
        {"text": text, "truncated": cut, "generated": tok.decode(row[1:].tolist())}  # after the start token
        for text, cut, row in zip(texts, truncated, new)
    ]


POOLINGS = ("pooler", "mean", "cls", "eos")


def feature_extraction(model, tok, texts, pooling: str | None = None):
    """One vector per text. ``pooling``: ``pooler`` (the model's pooler output), ``mean``
    (over the text's tokens), ``cls`` (the first token's state) or ``eos`` (the last
    token's state: the end-of-sequence token the tokenizer appends). The default is
    ``pooler`` where the model has one, else ``mean``."""
    seqs, _, truncated = _sequences(model, tok, texts)
    has_pooler = "pooler_output" in model.head.spec.outputs
    pooling = pooling or ("pooler" if has_pooler else "mean")
    if pooling not in POOLINGS:
        raise InputError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}")
    if pooling == "pooler" and not has_pooler:
        raise InputError(f"this model ({model.head.name}) has no pooler; pooling: mean, cls or eos")
    pick = {
        "pooler": lambda out: out.pooler_output,
        "mean": lambda out: out.last_hidden_state.mean(0),
        "cls": lambda out: out.last_hidden_state[0],
        "eos": lambda out: out.last_hidden_state[-1],
    }[pooling]
    return [
        {
            "text": t,
            "truncated": cut,
            "pooling": pooling,
            "embedding": [round(float(x), 6) for x in pick(out)],
        }
        for t, cut, out in zip(texts, truncated, model.run_batch(seqs))
    ]


TASKS = {
    "fill-mask": fill_mask,
    "token-classification": token_classification,
    "question-answering": question_answering,
    "text-classification": text_classification,
    "multiple-choice": multiple_choice,
    "text-generation": text_generation,
    "feature-extraction": feature_extraction,
    "text2text-generation": text2text_generation,
}


def run_task(model: ArchgenModel, tok: Tokenizer, task: str, texts: list[str], **options):
    """Run ``task`` over ``texts``; ``options`` are the task's keyword arguments (e.g. ``pooling``)."""
    if task not in TASKS:
        raise InputError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")
    if model.head.spec.task != task:
        raise InputError(
            f"task {task!r} needs a head that serves it; this checkpoint's head is "
            f"{model.head.name!r} ({model.head.spec.task})"
        )
    return TASKS[task](model, tok, texts, **options)
