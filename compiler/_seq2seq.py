"""Rendering of the encoder-decoder knobs: relative position bias, FFN variants and seq2seq heads.

:mod:`.render` calls into this module where a spec uses ``attention.relative_bias``,
``ffn.variants`` or a ``decoder`` section; specs without them render exactly as
before. Everything here is a pure function of the IR, like the rest of rendering.
"""

from __future__ import annotations

import re

from . import render as _r
from .lower import ArchIR, HeadIR, backbone_slots, decoder_keys, decoder_slots
from .schema import ArchSpec, HeadLayer

__all__ = [
    "decoder_diagram",
    "ffn_classes",
    "ffn_variant_flags",
    "ignore_entry",
    "lm_decoder_code",
    "lm_decoder_entries",
    "seq2seq_features",
    "seq2seq_head_code",
    "seq2seq_table_entries",
    "special_slot_entries",
]

_FFN_SLOTS = {"dense": ("ffn.up", "ffn.down"), "gated": ("ffn.gate", "ffn.up", "ffn.down")}


# ------------------------------------------------------------------ FFN variants


def _ffn_doc(kind: str, activation: str) -> str:
    if kind == "dense":
        return f"Dense FFN: up -> {activation} -> down."
    return f"Gated FFN: {activation}(gate(x)) * up(x) -> down."


def _variant_class(value: str) -> str:
    """`gated-gelu` -> `GatedGeluFFN`: the class of one FFN variant."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", value) if part) + "FFN"


def ffn_classes(s: ArchSpec) -> tuple[list[dict], dict[str, str]]:
    """The FFN classes to render, and the class of each variant value (empty without variants)."""
    if s.ffn.kind == "none":
        return [], {}
    if not s.ffn.variants:
        return [{"name": "FFN", "kind": s.ffn.kind, "activation": s.ffn.activation, "doc": None}], {}
    classes, by_value = [], {}
    for value, variant in s.ffn.variants.items():
        name = _variant_class(value)
        by_value[value] = name
        doc = f"{_ffn_doc(variant.kind, variant.activation)[:-1]} (`{value}`)."
        classes.append({"name": name, "kind": variant.kind, "activation": variant.activation, "doc": doc})
    return classes, by_value


def _flag(s: ArchSpec, value: str) -> str:
    return f"{s.ffn.variant}={value}"


def ffn_variant_flags(s: ArchSpec) -> dict[str, dict]:
    """Table flags `<symbol>=<value>`: true when config.json selects that FFN variant."""
    if not s.ffn.variants:
        return {}
    size = s.sizes[s.ffn.variant]
    return {
        _flag(s, value): {"config": size.config, "default": size.default, "equals": value}
        for value in s.ffn.variants
    }


# ------------------------------------------------------------------ table entries


def special_slot_entries(
    s: ArchSpec, slot: str, full_key: str, relative_key: str, root: str, *, decoder: bool = False
) -> list[dict] | None:
    """Entries of a slot the relative bias or FFN variants map specially; None for an ordinary slot.

    ``full_key`` is the slot's checkpoint key (with prefix and layer), ``relative_key``
    the part of it the spec's `keys` wrote, ``root`` the module path of the stack."""
    rel = s.attention.relative_bias
    if slot == "attn.relative_bias" and rel is not None and not rel.per_layer:
        # One table, at the stack level of the module: in the checkpoint, in layer 0 or beside the layers.
        return [
            {
                "op": "rename",
                "param": f"{root}.relative_bias.weight",
                "key": full_key.replace("{i}", "0") + ".weight",
            }
        ]
    if slot in ("ffn.gate", "ffn.up", "ffn.down") and s.ffn.variants:
        head = full_key[: len(full_key) - len(relative_key)]
        entries = []
        for value, variant in s.ffn.variants.items():
            if slot not in _FFN_SLOTS[variant.kind]:
                continue
            keys = variant.decoder_keys if decoder else variant.keys
            key = head + keys.get(slot, relative_key)
            for p in _r._linear_params(s.ffn.bias is not False):
                switched = _r.bias_when(s.ffn.bias).get("when", []) if p == "bias" else []
                entries.append(
                    {
                        "op": "rename",
                        "param": f"{root}.layers.{{i}}.{slot}.{p}",
                        "key": f"{key}.{p}",
                        "when": [_flag(s, value), *switched],
                        # a weight stored (in, out) (`transposed:`), as an ordinary slot's
                        **({"transpose": True} if p == "weight" and slot in s.transposed else {}),
                    }
                )
        return entries
    return None


def _stack_entries(
    s: ArchSpec,
    slots: dict[str, str],
    keys: dict[str, str],
    prefix: str,
    root: str,
    *,
    decoder: bool = False,
    layers: str | None = None,
) -> list[dict]:
    """The entries of one stack (encoder or decoder) whose module path is ``root``."""
    layer_prefix = keys["layer"]
    entries: list[dict] = []
    fused: dict[str, dict] = {}
    for slot, kind in slots.items():
        if kind == "prefix" or slot == "pooler":
            continue
        in_layer = _r.in_layer(s, slot)
        relative = keys[slot]
        full = prefix + (_r.layer_key(layer_prefix, relative) if in_layer else relative)
        special = special_slot_entries(s, slot, full, relative, root, decoder=decoder)
        if special is not None:
            entries += special
            continue
        entries += _r.slot_entries(s, slot, kind, full, fused, root, cross_when=())
    entries = _r.one_key_splits(_r.one_key_fuses(entries))
    if layers is not None:  # `{i}` runs over this stack's own layer count
        for entry in entries:
            if "{i}" in str(entry.get("param", "")):
                entry["layers"] = layers
    return entries


def lm_decoder_entries(layer: HeadLayer, head: HeadIR, word_param: str, prefix: str = "") -> list[dict]:
    """An `lm_decoder` without a bias: tied to the word embedding, or its own weight."""
    key = f"{prefix}{head.keys[layer.name]}.weight"
    return [
        {
            "op": "tie",
            "param": f"{layer.name}.weight",
            "to": word_param,
            "key": key,
            "when": ["tie_word_embeddings"],
        },
        {"op": "rename", "param": f"{layer.name}.weight", "key": key, "unless": ["tie_word_embeddings"]},
    ]


def seq2seq_table_entries(ir: ArchIR, head: HeadIR) -> list[dict]:
    """The weight-mapping entries of an `encoder_decoder` head."""
    s = ir.spec
    assert s.decoder is not None
    prefix = f"{head.base_prefix or s.base_prefix}." if head.prefixed else ""
    entries = _stack_entries(s, backbone_slots(s, cross_attention=False), s.keys, prefix, "backbone.encoder")
    dkeys = decoder_keys(s)
    own_words = s.decoder.vocab is not None  # a word table of the decoder's own, read like any slot
    dslots = {slot: kind for slot, kind in decoder_slots(s).items() if own_words or slot != "embeddings.word"}
    entries += _stack_entries(
        s, dslots, dkeys, prefix, "backbone.decoder", decoder=True, layers=s.decoder.num_layers
    )
    word = (
        f"backbone.{'decoder' if own_words else 'encoder'}.embeddings.word.weight"  # what the LM head ties to
    )
    if not own_words:
        entries.append(
            {
                "op": "tie",
                "param": "backbone.decoder.embeddings.word.weight",
                "to": word,
                "key": f"{prefix}{dkeys['embeddings.word']}.weight",
            }
        )
    for layer in head.layers:
        if layer.op in ("linear", "norm"):
            params = _r._linear_params(layer.bias) if layer.op == "linear" else _r._PARAMS["norm"](s)
            for p in params:
                entries.append(
                    {"op": "rename", "param": f"{layer.name}.{p}", "key": f"{head.keys[layer.name]}.{p}"}
                )
        elif layer.op == "bias":  # a bare tensor, under its key itself
            entries.append({"op": "rename", "param": layer.name, "key": head.keys[layer.name]})
        elif layer.op == "lm_decoder":
            entries += lm_decoder_entries(layer, head, word)
    for ign in tuple(s.ignore) + tuple(s.decoder.ignore) + head.ignore:
        entries.append(ignore_entry(ign, prefix))
    return entries


def ignore_entry(ign, prefix: str) -> dict:
    def full(key: str) -> str:
        return key[1:] if key.startswith("/") else prefix + key

    entry = {"op": "ignore", "key": full(ign.key), "reason": ign.reason}
    if ign.same_as:  # a tied copy: checked against the key it copies
        entry["same_as"] = full(ign.same_as)
    if ign.keep:  # written back on export as it was read
        entry["keep"] = True
    if ign.prefix:  # every key that starts with it
        entry["prefix"] = True
    return entry


# ------------------------------------------------------------------ module code


def lm_decoder_code(
    layer: HeadLayer, cur: str, vocab: str, word: str, width: str
) -> tuple[list[str], list[str]]:
    """Constructor and forward lines of an `lm_decoder`, with the bias (none, or switched) and tied-scale
    knobs."""
    name = layer.name
    bias = (
        "" if layer.bias is True else f", bias=config.{layer.bias.switch}" if layer.bias else ", bias=False"
    )
    init = [f"self.{name} = nn.Linear({cur}, {vocab}{bias})"]
    if layer.scale_when_tied:
        init.append(
            "# Tied: the hidden state is scaled by width**-0.5 before the projection (T5); untied: 1."
        )
        init.append(f"self.{name}_scale = {width} ** -0.5 if tie_word_embeddings else 1.0")
    elif layer.scale_when:
        init.append(
            f"# The hidden state is scaled by width**-0.5 before the projection when `{layer.scale_when}`."
        )
        init.append(f"self.{name}_scale = {width} ** -0.5 if config.{layer.scale_when} else 1.0")
    init += ["if tie_word_embeddings:", f"    self.{name}.weight = {word}"]
    x = f"x * self.{name}_scale" if layer.scale_when_tied or layer.scale_when else "x"
    return init, [f"x = self.{name}({x})  # (b, t, vocab)"]


def seq2seq_head_code(ir: ArchIR, head: HeadIR, norm) -> str:
    """The class of an `encoder_decoder` head."""
    s = ir.spec
    hs = head.spec
    dec = s.decoder
    assert dec is not None
    word = (
        f"self.backbone.{'decoder' if dec.vocab else 'encoder'}.embeddings.word.weight"  # the LM head's tie
    )
    generates = any(layer.op == "lm_decoder" for layer in head.layers)
    args = ["self", "config: Config"]
    if generates:
        args.append("tie_word_embeddings: bool = True")
    if hs.loss == "sequence_classification":
        args.append("problem_type: str | None = None")
    init = ["self.backbone = EncoderDecoder(config)"]
    if hs.decoder_input != "given" and dec.shift == "start_token":
        init.append(f"self.start_token_id = config.{dec.start_token}")
    if hs.decoder_input != "given" or dec.mask_padding:
        init.append(f"self.pad_token_id = config.{s.pad_token}")
    if head.input == "last_eos":
        init.append(f"self.eos_token_id = config.{s.eos_token}")
    if hs.loss == "sequence_classification":
        init += ["self.num_labels = config.num_labels", "self.problem_type = problem_type"]
    layer_init, layer_body = _r._pipeline(
        head.layers, "x", f"config.{s.embeddings.width}", s, norm, word, vocab=dec.vocab or s.vocab
    )
    init += layer_init

    fwd = ["self", "input_ids: torch.Tensor", "attention_mask: torch.Tensor"]
    if hs.decoder_input == "given":
        fwd.append("decoder_input_ids: torch.Tensor")
    else:
        fwd.append("decoder_input_ids: torch.Tensor | None = None")
    fwd.append("decoder_attention_mask: torch.Tensor | None = None")
    if hs.loss == "span":
        fwd += ["start_positions: torch.Tensor | None = None", "end_positions: torch.Tensor | None = None"]
    elif hs.loss != "none":
        fwd.append("labels: torch.Tensor | None = None")
    fwd.append("output_hidden_states: bool = False")

    body: list[str] = []
    if hs.decoder_input != "given":
        source = "labels" if hs.decoder_input == "labels" else "input_ids"
        if dec.shift == "last_kept":
            body += [
                f"if decoder_input_ids is None:  # {source} shifted right behind each row's last kept token",
                f"    decoder_input_ids = shift_right({source}, self.pad_token_id)  # (b, u)",
            ]
        else:
            body += [
                f"if decoder_input_ids is None:  # {source} shifted right behind the start token",
                f"    decoder_input_ids = shift_right({source}, self.start_token_id, self.pad_token_id)  # (b, u)",
            ]
    body += (
        [
            "if decoder_attention_mask is None:  # the decoder's pad tokens are masked",
            "    decoder_attention_mask = (decoder_input_ids != self.pad_token_id).long()",
        ]
        if dec.mask_padding
        else [
            "if decoder_attention_mask is None:",
            "    decoder_attention_mask = torch.ones_like(decoder_input_ids)",
        ]
    )
    body += [
        "x, states, memory, encoder_states = self.backbone(",
        "    input_ids, attention_mask, decoder_input_ids, decoder_attention_mask, output_hidden_states",
        ")  # x: (b, u, d), memory: (b, t, d)",
    ]
    out: dict[str, str] = {}
    if "last_hidden_state" in hs.outputs:
        out["last_hidden_state"] = "x"
    if head.input == "last_eos":
        body += [
            "# Each row's decoder state at its last eos of input_ids (rows hold equally many: the runtime checks).",
            "slots = torch.arange(input_ids.shape[1], device=input_ids.device)  # (t,)",
            "last = torch.where(input_ids == self.eos_token_id, slots, -1).amax(1)  # (b,)",
            "x = x[torch.arange(x.shape[0], device=x.device), last]  # (b, d)",
        ]
    elif head.input == "first_token":
        body.append("x = x[:, 0]  # (b, d)")
    body += layer_body
    if "start_logits" in hs.outputs:
        body.append(
            "start_logits, end_logits = (part.squeeze(-1).contiguous() for part in x.split(1, dim=-1))"
        )
        out["start_logits"] = "start_logits"
        out["end_logits"] = "end_logits"
    elif "logits" in hs.outputs:
        out["logits"] = "x"
    if "encoder_last_hidden_state" in hs.outputs:
        out["encoder_last_hidden_state"] = "memory"
    body.append("out = {" + ", ".join(f'"{k}": {v}' for k, v in out.items()) + "}")
    if hs.loss == "seq2seq_lm":
        body += [
            "if labels is not None:  # the decoder read the labels shifted right: no shift here",
            '    out["loss"] = F.cross_entropy(x.reshape(-1, x.shape[-1]), labels.reshape(-1))',
        ]
    else:
        body += _r._loss_code(hs.loss)
    body += [
        "if output_hidden_states:",
        '    out["decoder_hidden_states"] = tuple(states)',
        '    out["encoder_hidden_states"] = tuple(encoder_states)',
        "return out",
    ]

    reads = {
        "last_eos": "the decoder state at each row's last eos",
        "first_token": "the decoder's first token",
    }.get(head.input, "the decoder output")
    doc = f'"""{hs.title[:1].upper() + hs.title[1:]}: reads {reads}; outputs {", ".join(hs.outputs)}'
    doc += f"; loss: {hs.loss}." if hs.loss != "none" else "."
    doc += f' Reference: `{head.class_name}`."""'
    lines = [f"class {head.class_name}(nn.Module):", f"    {doc}", ""]
    lines.append(f"    def __init__({', '.join(args)}):")
    lines.append("        super().__init__()")
    lines += [f"        {line}" for line in init]
    if generates:
        lines += _generation_methods(layer_body)
    lines.append("")
    lines.append(f"    def forward({', '.join(fwd)}) -> dict[str, torch.Tensor]:")
    lines += [f"        {line}" for line in body]
    return "\n".join(lines)


def _generation_methods(layer_body: list[str]) -> list[str]:
    """The methods generation uses: encode once, then one cached decoder step per token."""
    lines = [
        "",
        "    def setup_cache(self, batch: int, max_len: int, dtype: torch.dtype = torch.float32) -> None:",
        '        """Preallocate the decoder\'s self-attention KV cache: `max_len` slots in every layer."""',
        "        self.backbone.decoder.setup_cache(batch, max_len, dtype)",
        "",
        "    def reorder_cache(self, rows: torch.Tensor) -> None:",
        '        """Beam search: row i of every cache takes the contents of row `rows[i]`."""',
        "        for layer in self.backbone.decoder.layers:",
        "            layer.attn.cache.reorder(rows)",
        "",
        "    def encode(",
        "        self, input_ids: torch.Tensor, attention_mask: torch.Tensor",
        "    ) -> list[tuple[torch.Tensor, torch.Tensor]]:",
        '        """The encoder output as every decoder layer\'s cross-attention keys and values."""',
        "        memory, _ = self.backbone.encoder(input_ids, attention_mask)  # (b, t, d)",
        "        return self.backbone.decoder.project_memory(memory)",
        "",
        "    def decode(",
        "        self,",
        "        decoder_input_ids: torch.Tensor,",
        "        decoder_attention_mask: torch.Tensor,",
        "        input_pos: torch.Tensor,",
        "        memory: list[tuple[torch.Tensor, torch.Tensor]],",
        "        attention_mask: torch.Tensor,",
        "    ) -> torch.Tensor:",
        '        """One cached step: the logits of the tokens written at cache slots `input_pos`.',
        "",
        '        `decoder_attention_mask` covers the cache\'s slots, `attention_mask` the encoder\'s."""',
        "        x, _ = self.backbone.decoder(decoder_input_ids, decoder_attention_mask, input_pos, memory, attention_mask)",
    ]
    lines += [f"        {line}" for line in layer_body]
    lines.append("        return x")
    return lines


# ------------------------------------------------------------------ docs


def seq2seq_features(s: ArchSpec) -> list[str]:
    """Extra module-docstring feature lines (none for a spec without these knobs)."""
    out = []
    rel = s.attention.relative_bias
    if rel is not None:
        if rel.per_layer:
            where = "a table in every layer"
        elif rel.key_at == "backbone":
            where = "one table beside the layers, shared by all"
        else:
            where = "layer 0's table, shared by all layers"
        stacks = (
            "bidirectional in the encoder, causal in the decoder"
            if s.decoder
            else "added to the scores after scaling"
        )
        out.append(
            f"relative position bias: `{rel.num_buckets}` buckets, log-spaced up to `{rel.max_distance}`, "
            f"{where}; {stacks}"
        )
    if s.ffn.variants:
        size = s.sizes[s.ffn.variant]
        choices = ", ".join(f"{v} ({x.kind}, {x.activation})" for v, x in s.ffn.variants.items())
        out.append(f"ffn variants by config.json `{size.config}`: {choices}")
    if s.decoder is not None:
        out.append(
            "stack: encoder-decoder; the decoder has causal self-attention, cross-attention and FFN, and "
            "shares the word embedding"
        )
    return out


def decoder_diagram(s: ArchSpec) -> list[str]:
    """The decoder layer's wiring, for the module docstring (none without a decoder)."""
    if s.decoder is None:
        return []
    if s.block.placement == "post":
        return [
            "",
            "Decoder layer: x ──► attn ──► (+) ──► attn_norm ──► cross ──► (+) ──► cross_norm ──► ffn ──► (+) ──► ffn_norm",
        ]
    return [
        "",
        "Decoder layer: x ──► attn_norm ──► attn ──► (+) ──► cross_norm ──► cross ──► (+) ──► ffn_norm ──► ffn ──► (+)",
        "(each sublayer adds its input back, as above; cross attends to the encoder output)",
    ]
