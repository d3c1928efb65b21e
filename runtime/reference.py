"""Reference checkpoints: a `transformers` model built from a small config, saved offline.

Used by ``archgen verify`` and the tests. `transformers` is imported lazily: it
is a test/verify extra, never a runtime dependency.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from ..compiler.lower import ArchIR, HeadIR, token_types

__all__ = ["reference_config", "build_reference", "save_reference", "random_inputs"]


def _transformers():
    try:
        import transformers
    except ImportError:  # pragma: no cover - depends on the environment
        raise RuntimeError("the reference needs `transformers`: pip install 'archgen[verify]'") from None
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    return transformers


def reference_config(ir: ArchIR, head: HeadIR, overrides: dict[str, Any] | None = None):
    """The reference config object for ``ir``'s tiny example, with head needs and overrides."""
    if ir.spec.reference is None:
        raise ValueError(f"spec {ir.spec_file} has no 'reference' section; it cannot be verified")
    t = _transformers()
    values = dict(ir.spec.reference.tiny)
    values.update(head.spec.reference_config)
    values.update(overrides or {})
    return getattr(t, ir.spec.reference.config_class)(**values)


def build_reference(
    ir: ArchIR,
    head: HeadIR,
    overrides: dict[str, Any] | None = None,
    *,
    seed: int = 0,
    attn_implementation: str = "eager",
):
    """A randomly initialised reference model (fixed seed), in eval mode, with its
    one-dimensional parameters drawn too (:func:`_draw_vectors`). A mixture of experts runs
    its eager loop over the experts (`transformers` would pick `torch._grouped_mm`, which
    needs widths of a multiple of 4 fp32 values)."""
    t = _transformers()
    config = reference_config(ir, head, overrides)
    config._attn_implementation = attn_implementation
    config._experts_implementation = "eager"
    torch.manual_seed(seed)
    model = getattr(t, head.class_name)(config)
    _draw_vectors(model, seed)
    return model.eval()


#: The spread added to every bias and norm parameter of a reference model.
VECTOR_SPREAD = 0.1


def _draw_vectors(model: torch.nn.Module, seed: int) -> None:
    """Add N(0, :data:`VECTOR_SPREAD`) noise to every one-dimensional parameter, and to every
    other that holds one value throughout, in place.

    `transformers` initialises every bias to zero and every norm weight to one, so a
    model compared as built cannot tell two biases, or two norms, apart: a weight table
    that swapped the query's bias with the key's, or one layer's norm with another's,
    would still match it. With the noise each is distinct (a bias about 0.1, a norm
    weight about 1 +- 0.1), and a shared parameter stays shared. A norm weight of
    several dimensions (Cohere's, one row per head) gets its noise too, so that its rows
    differ. So does a buffer the checkpoint holds (GLM-4.5's expert selection bias, zeros
    as built), after the parameters, except rotary frequencies (`inv_freq`, which ESM's
    checkpoints hold): they follow from config.json, and noise would set the reference
    against its own config."""
    gen = torch.Generator().manual_seed(seed + 1)
    saved = model.state_dict().keys()
    buffers = [
        (name, b)
        for name, b in sorted(model.named_buffers())
        if name in saved and not name.endswith("inv_freq")
    ]
    with torch.no_grad():
        for _, param in [*sorted(model.named_parameters()), *buffers]:
            constant = param.numel() > 1 and bool((param == param.flatten()[0]).all())
            if (param.dim() == 1 or constant) and param.is_floating_point():
                param.add_(torch.randn(param.shape, generator=gen, dtype=param.dtype) * VECTOR_SPREAD)


def save_reference(model, directory: str | os.PathLike) -> Path:
    directory = Path(directory)
    model.save_pretrained(directory)
    return directory


def random_inputs(
    ir: ArchIR,
    head: HeadIR,
    sizes: dict[str, Any],
    *,
    batch: int,
    length: int,
    generator: torch.Generator,
    left_pad: list[int] | None = None,
    right_pad: list[int] | None = None,
    choices: int = 2,
) -> dict[str, torch.Tensor]:
    """Random ids avoiding the pad token, with the given padding per row, and token types."""
    s = ir.spec
    vocab, pad = sizes[s.vocab], sizes[s.pad_token]
    if head.spec.encoder_decoder and head.spec.decoder_input == "input_ids" and s.decoder.vocab:
        vocab = min(vocab, sizes[s.decoder.vocab])  # the decoder reads them too, in its own vocabulary
    ids = torch.randint(0, vocab, (batch, length), generator=generator)
    ids = torch.where(ids == pad, (ids + 1) % vocab, ids)
    mask = torch.ones_like(ids)
    for row in range(batch):
        lp = (left_pad or [0] * batch)[row]
        rp = (right_pad or [0] * batch)[row]
        if lp:
            ids[row, :lp] = pad
            mask[row, :lp] = 0
        if rp:
            ids[row, length - rp :] = pad
            mask[row, length - rp :] = 0
    if head.input == "last_eos":  # one eos per row, at its last real token
        eos = sizes[s.eos_token]
        ids = torch.where(
            ids == eos, (eos + 1) % vocab if (eos + 1) % vocab != pad else (eos + 2) % vocab, ids
        )
        last = torch.where(mask == 1, torch.arange(length), -1).amax(1)
        ids[torch.arange(batch), last] = eos
    out = {"input_ids": ids, "attention_mask": mask}
    if head.spec.encoder_decoder and head.spec.decoder_input != "input_ids":  # the decoder reads its own ids
        target_vocab = sizes[s.decoder.vocab or s.vocab]  # the decoder's own vocabulary, where it has one
        target = torch.randint(0, target_vocab, (batch, max(1, length // 2)), generator=generator)
        target[:, 0] = sizes[s.decoder.start_token]
        out["decoder_input_ids"] = target
    if types := token_types(s, sizes):  # the rows of its token-type table, if it has one
        out["token_type_ids"] = torch.randint(0, types, (batch, length), generator=generator)
    if head.spec.choices:
        out = {k: v[:, None].expand(batch, choices, length).clone() for k, v in out.items()}
        out["input_ids"] = torch.where(
            torch.rand(out["input_ids"].shape, generator=generator) < 0.3,
            (out["input_ids"] * 7 + 3) % vocab,
            out["input_ids"],
        )
        out["input_ids"] = torch.where(out["attention_mask"] == 0, pad, out["input_ids"])
        out["input_ids"] = torch.where(
            (out["input_ids"] == pad) & (out["attention_mask"] == 1), (pad + 1) % vocab, out["input_ids"]
        )
    return out


_WORDS = (
    "the a of and to in is was he she it they we you for on with as at by from this that but not are "
    "his her their an be have has had or one all there what when which who will more no if out so up "
    "said about into than them can only other new some could time these two may then do first any my now "
    "such like our over man me even most made after also did many before must through back years where "
    "paris france london city river capital world people house music book water school country"
).split()


def toy_tokenizer(vocab_size: int):
    """A word-level tokenizer over ``vocab_size`` ids in the RoBERTa layout.

    ``<s>``=0, ``<pad>``=1, ``</s>``=2, ``<unk>``=3, common English words, then
    ``<mask>`` as the last id; ``<s> A </s></s> B </s>`` for pairs. For demos
    and tests of `archgen run` on offline reference checkpoints."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    words = list(dict.fromkeys(_WORDS))
    filler = [f"w{i}" for i in range(vocab_size)]
    body = (words + filler)[: vocab_size - len(specials) - 1]
    vocab = {tok: i for i, tok in enumerate(specials + body + ["<mask>"])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B:1 </s>:1",
        special_tokens=[("<s>", 0), ("</s>", 2)],
    )
    tok.add_special_tokens(specials + ["<mask>"])
    return tok
