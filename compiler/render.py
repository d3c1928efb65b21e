"""Rendering: IR -> Python source (Jinja2) and the weight-mapping table (JSON).

Both are pure functions of the IR. The source is formatted with the pinned
ruff as the last step, so output is byte-for-byte deterministic.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2

from . import _seq2seq as _s2s
from .lower import ArchIR, HeadIR, backbone_slots
from .schema import ArchSpec

__all__ = ["render_module", "render_table", "format_source", "GENERATOR"]

GENERATOR = "archgen 0.1.0"
TEMPLATES = Path(__file__).parent / "templates"

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)

_ACT = {
    "gelu": "F.gelu({})",
    "gelu_tanh": 'F.gelu({}, approximate="tanh")',
    "relu": "F.relu({})",
    "tanh": "torch.tanh({})",
    "silu": "F.silu({})",
}


def act(fn: str, expr: str) -> str:
    return _ACT[fn].format(expr)


def _norm_factory(spec: ArchSpec):
    def norm(width: str) -> str:
        if spec.norm.kind == "layer_norm":
            return f"nn.LayerNorm({width}, eps=config.{spec.norm.eps})"
        if spec.norm.kind == "rms_norm":
            return f"RMSNorm({width}, config.{spec.norm.eps})"
        return f"NoNorm({width})"

    return norm


# ------------------------------------------------------------------ the docs


def _features(s: ArchSpec) -> list[str]:
    pos = s.embeddings.position
    pos_text = "none" if pos.kind == "none" else f"learned absolute, {pos.ids.replace('_', ' ')} ids"
    return [
        f"norm: {s.norm.kind}, {s.block.placement}-norm" + (", final norm" if s.block.final_norm else ""),
        f"positions: {pos_text}",
        f"embeddings: word{' + token type' if s.embeddings.token_type else ''}"
        f"{' + position' if pos.kind == 'learned' else ''}{', then norm' if s.embeddings.norm else ''}",
        "attention: fused q/k/v, "
        + ("scaled by 1/sqrt(head_dim)" if s.attention.scale == "inverse_sqrt_head_dim" else "no scaling")
        + (", with biases" if s.attention.bias else ", no biases"),
        f"ffn: {s.ffn.kind}, {s.ffn.activation}" + (", with biases" if s.ffn.bias else ", no biases"),
        "pooler: first token -> dense -> " + s.pooler.activation if s.pooler else "pooler: none",
    ] + _s2s.seq2seq_features(s)


def _diagram(s: ArchSpec) -> list[str]:
    if s.block.placement == "post":
        return [
            "x ──► attn ──► (+) ──► attn_norm ──► h ──► ffn ──► (+) ──► ffn_norm ──► out",
            "│               ▲                     │               ▲",
            "└───────────────┘                     └───────────────┘",
        ]
    return [
        "x ──► attn_norm ──► attn ──► (+) ──► h ──► ffn_norm ──► ffn ──► (+) ──► out",
        "│                             ▲      │                           ▲",
        "└─────────────────────────────┘      └───────────────────────────┘",
    ]


# ------------------------------------------------------------------ the heads


def _head_code(ir: ArchIR, head: HeadIR, norm, has_cross: bool) -> str:
    s = ir.spec
    hs = head.spec
    if hs.encoder_decoder:
        return _s2s.seq2seq_head_code(ir, head, norm)
    width = f"config.{s.embeddings.width}"
    init: list[str] = []
    body: list[str] = []
    causal = hs.attention == "causal"
    cross = causal and hs.cross_attention_config is not None and has_cross
    args = ["self", "config: Config"]
    if any(layer.op == "lm_decoder" for layer in head.layers):
        args.append("tie_word_embeddings: bool = True")
    if cross:
        args.append("cross_attention: bool = False")
    if hs.loss == "sequence_classification":
        args.append("problem_type: str | None = None")
    if cross:
        init.append(
            "self.backbone = CrossBackbone(config) if cross_attention else Backbone(config, causal=True)"
        )
    else:
        init.append(f"self.backbone = Backbone(config{', causal=True' if causal else ''})")
    if head.uses_pooler and s.pooler is not None:
        init.append("self.pooler = Pooler(config)")
    if hs.loss == "sequence_classification":
        init.append("self.num_labels = config.num_labels")
        init.append("self.problem_type = problem_type")

    # forward signature
    fwd = [
        "self",
        "input_ids: torch.Tensor",
        "attention_mask: torch.Tensor",
        "token_type_ids: torch.Tensor | None = None",
        "position_ids: torch.Tensor | None = None",
    ]
    if causal:
        fwd.append("input_pos: torch.Tensor | None = None")
    if cross:
        fwd += [
            "encoder_hidden_states: torch.Tensor | None = None",
            "encoder_attention_mask: torch.Tensor | None = None",
        ]
    if hs.loss == "span":
        fwd += ["start_positions: torch.Tensor | None = None", "end_positions: torch.Tensor | None = None"]
    elif hs.loss != "none":
        fwd.append("labels: torch.Tensor | None = None")
    fwd.append("output_hidden_states: bool = False")

    if hs.choices:
        body += [
            "num_choices = input_ids.shape[1]",
            "input_ids = input_ids.flatten(0, 1)  # (b * choices, t)",
            "attention_mask = attention_mask.flatten(0, 1)  # (b * choices, t)",
            "if token_type_ids is not None:",
            "    token_type_ids = token_type_ids.flatten(0, 1)",
            "if position_ids is not None:",
            "    position_ids = position_ids.flatten(0, 1)",
        ]
    call = "input_ids, attention_mask, token_type_ids, position_ids" + (", input_pos" if causal else "")
    if cross:
        body += [
            "if encoder_hidden_states is None:",
            f"    x, states = self.backbone({call})",
            "else:",
            "    x, states = self.backbone(",
            f"        {call},",
            "        encoder_hidden_states=encoder_hidden_states,",
            "        encoder_attention_mask=encoder_attention_mask,",
            "    )",
        ]
    else:
        body.append(f"x, states = self.backbone({call})  # (b, t, d)")
    out: dict[str, str] = {}
    if "last_hidden_state" in hs.outputs:
        out["last_hidden_state"] = "x"
    if "pooler_output" in hs.outputs and s.pooler is not None:
        body.append("pooled = self.pooler(x)  # (b, d)")
        out["pooler_output"] = "pooled"
    if head.input == "first_token":
        body.append("x = x[:, 0]  # (b, d)")
    elif head.input == "pooled":
        body.append("x = self.pooler(x)  # (b, d)")
    cur = width
    for layer in head.layers:
        if layer.op == "linear":
            out_w = str(layer.out) if isinstance(layer.out, int) else f"config.{layer.out}"
            init.append(
                f"self.{layer.name} = nn.Linear({cur}, {out_w}{'' if layer.bias else ', bias=False'})"
            )
            body.append(f"x = self.{layer.name}(x)")
            cur = out_w
        elif layer.op == "activation":
            fn = s.ffn.activation if layer.fn == "model" else layer.fn
            body.append(f"x = {act(fn, 'x')}")
        elif layer.op == "norm":
            init.append(f"self.{layer.name} = {norm(cur)}")
            body.append(f"x = self.{layer.name}(x)")
        elif layer.op == "lm_decoder" and (not layer.bias or layer.scale_when_tied):
            word = "self.backbone.embeddings.word.weight"
            lm_init, lm_body = _s2s.lm_decoder_code(layer, cur, f"config.{s.vocab}", word, width)
            init += lm_init
            body += lm_body
            cur = f"config.{s.vocab}"
        elif layer.op == "lm_decoder":
            init.append(f"self.{layer.name} = nn.Linear({cur}, config.{s.vocab})")
            init.append("if tie_word_embeddings:")
            init.append(f"    self.{layer.name}.weight = self.backbone.embeddings.word.weight")
            body.append(f"x = self.{layer.name}(x)  # (b, t, vocab)")
            cur = f"config.{s.vocab}"
    if "start_logits" in hs.outputs:
        body.append(
            "start_logits, end_logits = (part.squeeze(-1).contiguous() for part in x.split(1, dim=-1))"
        )
        out["start_logits"] = "start_logits"
        out["end_logits"] = "end_logits"
    elif "logits" in hs.outputs:
        if hs.choices:
            body.append("x = x.view(-1, num_choices)  # (b, choices)")
        out["logits"] = "x"
    body.append("out = {" + ", ".join(f'"{k}": {v}' for k, v in out.items()) + "}")
    body += _loss_code(hs.loss)
    body += ["if output_hidden_states:", '    out["hidden_states"] = tuple(states)', "return out"]

    reads = {"sequence": "every token", "first_token": "the first token", "pooled": "the pooler output"}[
        head.input
    ]
    doc = f'"""{hs.title[:1].upper() + hs.title[1:]}: reads {reads}; outputs {", ".join(hs.outputs)}'
    doc += f"; loss: {hs.loss}." if hs.loss != "none" else "."
    doc += f' Reference: `{head.class_name}`."""'
    lines = [f"class {head.class_name}(nn.Module):", f"    {doc}", ""]
    lines.append(f"    def __init__({', '.join(args)}):")
    lines.append("        super().__init__()")
    lines += [f"        {line}" for line in init]
    if causal:
        lines += [
            "",
            "    def setup_cache(self, batch: int, max_len: int, dtype: torch.dtype = torch.float32) -> None:",
            "        self.backbone.setup_cache(batch, max_len, dtype)",
        ]
    lines.append("")
    lines.append(f"    def forward({', '.join(fwd)}) -> dict[str, torch.Tensor]:")
    lines += [f"        {line}" for line in body]
    return "\n".join(lines)


def _loss_code(loss: str) -> list[str]:
    if loss in ("masked_lm", "token_classification"):
        return [
            "if labels is not None:",
            '    out["loss"] = F.cross_entropy(x.reshape(-1, x.shape[-1]), labels.reshape(-1))',
        ]
    if loss == "causal_lm":
        return [
            "if labels is not None:  # predict token i + 1 from tokens <= i",
            '    out["loss"] = F.cross_entropy(x[:, :-1].reshape(-1, x.shape[-1]).float(), labels[:, 1:].reshape(-1))',
        ]
    if loss == "multiple_choice":
        return ["if labels is not None:", '    out["loss"] = F.cross_entropy(x, labels)']
    if loss == "span":
        return [
            "if start_positions is not None and end_positions is not None:",
            "    ignored = start_logits.shape[1]  # positions outside the sequence are ignored",
            "    start_loss = F.cross_entropy(start_logits, start_positions.clamp(0, ignored), ignore_index=ignored)",
            "    end_loss = F.cross_entropy(end_logits, end_positions.clamp(0, ignored), ignore_index=ignored)",
            '    out["loss"] = (start_loss + end_loss) / 2',
        ]
    if loss == "sequence_classification":
        return [
            "if labels is not None:",
            "    problem = self.problem_type",
            "    if problem is None:",
            "        if self.num_labels == 1:",
            '            problem = "regression"',
            "        elif labels.dtype in (torch.long, torch.int):",
            '            problem = "single_label_classification"',
            "        else:",
            '            problem = "multi_label_classification"',
            '    if problem == "regression":',
            "        if self.num_labels == 1:",
            '            out["loss"] = F.mse_loss(x.squeeze(), labels.squeeze())',
            "        else:",
            '            out["loss"] = F.mse_loss(x, labels)',
            '    elif problem == "single_label_classification":',
            '        out["loss"] = F.cross_entropy(x.view(-1, self.num_labels), labels.view(-1))',
            "    else:",
            '        out["loss"] = F.binary_cross_entropy_with_logits(x, labels)',
        ]
    return []


# ------------------------------------------------------------------ entry points


def render_module(ir: ArchIR) -> str:
    """The generated module's source, formatted."""
    s = ir.spec
    norm = _norm_factory(s)
    has_cross = any(h.spec.cross_attention_config for h in ir.heads)
    template = _ENV.get_template("module.py.j2")
    kinds = {"int": "int", "float": "float", "str": "str"}
    rel = s.attention.relative_bias
    ffn_classes, ffn_variants = _s2s.ffn_classes(s)
    text = template.render(
        ir=ir,
        s=s,
        rel=rel,
        per_layer=rel is not None and rel.per_layer,
        layer_bias_arg=", buckets" if rel is not None and rel.per_layer else "",
        dec=s.decoder,
        ffn_classes=ffn_classes,
        ffn_variants=ffn_variants,
        features=_features(s),
        diagram=_diagram(s) + _s2s.decoder_diagram(s),
        head_names=", ".join(h.name for h in ir.heads),
        config_fields=[(name, kinds[size.kind]) for name, size in s.sizes.items()],
        norm=norm,
        act=act,
        has_cross=has_cross or s.decoder is not None,
        sdpa_scale=", scale=1.0" if s.attention.scale == "none" else "",
        embeddings_doc=_features(s)[2][len("embeddings: ") :].capitalize() + ".",
        attention_doc="Multi-head self-attention: " + _features(s)[3][len("attention: ") :] + ".",
        ffn_doc=(
            f"Dense FFN: up -> {s.ffn.activation} -> down."
            if s.ffn.kind == "dense"
            else f"Gated FFN: {s.ffn.activation}(gate(x)) * up(x) -> down."
        ),
        heads=[{"code": _head_code(ir, h, norm, has_cross)} for h in ir.heads],
    )
    return format_source(text)


def _ruff() -> list[str]:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if exe is None:
        raise RuntimeError(
            "ruff is not installed; `pip install ruff==0.17.5` (pinned for deterministic output)"
        )
    return [exe]


def format_source(text: str) -> str:
    """Sort imports and format with the pinned ruff, using this project's settings."""
    config = Path(__file__).resolve().parent.parent / "pyproject.toml"
    base = _ruff()
    cfg = ["--config", str(config)] if config.exists() else []
    fixed = subprocess.run(
        base
        + ["check", *cfg, "--select", "I,F401", "--fix", "--quiet", "--stdin-filename", "generated.py", "-"],
        input=text,
        capture_output=True,
        text=True,
    )
    text = fixed.stdout or text
    done = subprocess.run(
        base + ["format", *cfg, "--stdin-filename", "generated.py", "-"],
        input=text,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ruff could not format generated code:\n{done.stderr}")
    return done.stdout


# ------------------------------------------------------------------ the table

_PARAMS = {
    "embedding": lambda spec: ["weight"],
    "linear": None,  # depends on the bias knob of the owner
    "norm": lambda spec: ["weight"] if spec.norm.kind == "rms_norm" else ["weight", "bias"],
}


def _linear_params(bias: bool) -> list[str]:
    return ["weight", "bias"] if bias else ["weight"]


def _slot_params(spec: ArchSpec, slot: str, kind: str) -> list[str]:
    if kind == "linear":
        if slot.startswith(("attn.", "cross.")):
            return _linear_params(spec.attention.bias)
        if slot.startswith("ffn."):
            return _linear_params(spec.ffn.bias)
        return _linear_params(True)
    return _PARAMS[kind](spec)


# slot -> (module path in the generated model, fused group)
_FUSED = {
    "attn.q": ("attn.qkv", 0),
    "attn.k": ("attn.qkv", 1),
    "attn.v": ("attn.qkv", 2),
    "cross.k": ("cross.kv", 0),
    "cross.v": ("cross.kv", 1),
}


def table_entries(ir: ArchIR, head: HeadIR) -> list[dict]:
    """The weight-mapping entries of one head, in a stable order."""
    s = ir.spec
    if head.spec.encoder_decoder:
        return _s2s.seq2seq_table_entries(ir, head)
    prefix = f"{s.base_prefix}." if head.spec.prefixed else ""
    has_cross = head.spec.attention == "causal" and head.spec.cross_attention_config is not None
    slots = backbone_slots(s, cross_attention=has_cross)
    layer_prefix = s.keys["layer"]
    entries: list[dict] = []
    fused: dict[str, dict] = {}

    def key_of(slot: str) -> str:
        in_layer = slot.startswith(("attn", "cross", "ffn"))
        base = f"{layer_prefix}.{s.keys[slot]}" if in_layer else s.keys[slot]
        return prefix + base

    def param_of(slot: str) -> str:
        if slot == "pooler":
            return "pooler.dense"
        in_layer = slot.startswith(("attn", "cross", "ffn"))
        return f"backbone.layers.{{i}}.{slot}" if in_layer else f"backbone.{slot}"

    for slot, kind in slots.items():
        if kind == "prefix" or (slot == "pooler" and not head.uses_pooler):
            continue
        special = _s2s.special_slot_entries(s, slot, key_of(slot), s.keys[slot], "backbone")
        if special is not None:  # a shared relative bias table, or an FFN slot of several variants
            entries += special
            continue
        when = "cross_attention" if slot.startswith("cross") else None
        for p in _slot_params(s, slot, kind):
            if slot in _FUSED:
                target, index = _FUSED[slot]
                param = f"backbone.layers.{{i}}.{target}.{p}"
                entry = fused.get(param)
                if entry is None:
                    entry = {"op": "fuse", "param": param, "keys": [], "dim": 0}
                    if when:
                        entry["when"] = when
                    fused[param] = entry
                    entries.append(entry)
                entry["keys"].append(f"{key_of(slot)}.{p}")
                continue
            entry = {"op": "rename", "param": f"{param_of(slot)}.{p}", "key": f"{key_of(slot)}.{p}"}
            if when:
                entry["when"] = when
            entries.append(entry)

    for layer in head.layers:
        if layer.op == "linear":
            for p in _linear_params(layer.bias):
                entries.append(
                    {"op": "rename", "param": f"{layer.name}.{p}", "key": f"{head.keys[layer.name]}.{p}"}
                )
        elif layer.op == "norm":
            for p in _PARAMS["norm"](s):
                entries.append(
                    {"op": "rename", "param": f"{layer.name}.{p}", "key": f"{head.keys[layer.name]}.{p}"}
                )
        elif layer.op == "lm_decoder" and not layer.bias:
            entries += _s2s.lm_decoder_entries(layer, head, "backbone.embeddings.word.weight")
        elif layer.op == "lm_decoder":
            # Tied: the weight is the word embedding and the bias sits at `<name>.bias`
            # (the decoder's own `.bias` key is the same tensor). Untied: the decoder
            # has its own weight and bias, and `<name>.bias` is a leftover the
            # reference keeps but never uses: accepted, and exported as a copy.
            own = head.keys[layer.name]
            shared_bias = head.keys.get(f"{layer.name}.bias", f"{own}.bias")
            tied, untied = {"when": "tie_word_embeddings"}, {"unless": "tie_word_embeddings"}
            entries.append(
                {
                    "op": "tie",
                    "param": f"{layer.name}.weight",
                    "to": "backbone.embeddings.word.weight",
                    "key": f"{own}.weight",
                    **tied,
                }
            )
            entries.append(
                {"op": "rename", "param": f"{layer.name}.weight", "key": f"{own}.weight", **untied}
            )
            entries.append({"op": "rename", "param": f"{layer.name}.bias", "key": shared_bias, **tied})
            if shared_bias != f"{own}.bias":
                entries.append(
                    {
                        "op": "ignore",
                        "key": f"{own}.bias",
                        "reason": f"the same tensor as {shared_bias}",
                        **tied,
                    }
                )
                entries.append(
                    {"op": "rename", "param": f"{layer.name}.bias", "key": f"{own}.bias", **untied}
                )
                entries.append(
                    {
                        "op": "alias",
                        "param": f"{layer.name}.bias",
                        "key": shared_bias,
                        "reason": "kept but unused by the reference when untied; written back as a copy",
                        **untied,
                    }
                )

    for ign in tuple(s.ignore) + head.ignore:
        key = ign.key[1:] if ign.key.startswith("/") else prefix + ign.key
        entries.append({"op": "ignore", "key": key, "reason": ign.reason})
        if ign.same_as:  # a tied copy: checked against the key it copies
            entries[-1]["same_as"] = ign.same_as[1:] if ign.same_as.startswith("/") else prefix + ign.same_as
    return entries


def render_table(ir: ArchIR) -> str:
    """The weight-mapping table of every head, as stable, readable JSON."""
    s = ir.spec
    flags = {"tie_word_embeddings": {"config": s.tie_config, "default": True}} if s.tie_config else {}
    cross_cfg = next((h.spec.cross_attention_config for h in ir.heads if h.spec.cross_attention_config), None)
    if cross_cfg:
        flags["cross_attention"] = {"config": cross_cfg, "default": False}
    flags.update(_s2s.ffn_variant_flags(s))
    doc = {
        "generated_by": GENERATOR,
        "spec": ir.spec_file,
        "spec_hash": ir.spec_hash,
        "layers": s.block.num_layers,
        "flags": flags,
        "heads": {h.name: {"class": h.class_name, "entries": table_entries(ir, h)} for h in ir.heads},
    }
    return json.dumps(doc, indent=1) + "\n"
