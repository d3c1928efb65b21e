"""Golden files for a tiny spec, generated-code execution, and the staleness check."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import torch
import torch._dynamo

from archgen.compiler import load_arch, render_module, render_table
from archgen.compiler.check import ROOT, diff, outputs
from archgen.compiler.lower import bind_sizes, discover_specs

GOLDEN = Path(__file__).parent / "golden"


def _import(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_tiny_spec_renders_its_golden_files() -> None:
    """If this fails after an intended change, run `python tests/golden/regenerate.py` and review the diff."""
    ir = load_arch(GOLDEN / "tiny.yaml")
    assert render_module(ir) == (GOLDEN / "tiny.py.golden").read_text(encoding="utf-8")
    assert render_table(ir) == (GOLDEN / "tiny.weights.json.golden").read_text(encoding="utf-8")


def test_generated_tiny_module_runs_and_compiles(tmp_path: Path) -> None:
    source = tmp_path / "tiny_generated.py"
    shutil.copy(GOLDEN / "tiny.py.golden", source)
    mod = _import(source, "tiny_generated")
    assert (
        "archgen" not in source.read_text().split('"""', 2)[2].split("class Config")[0]
    )  # standalone: no compiler import
    config = mod.Config(
        vocab_size=50,
        hidden_size=16,
        num_heads=2,
        head_dim=12,
        num_layers=2,
        intermediate_size=24,
        max_positions=32,
        pad_token_id=0,
        eps=1e-6,
        num_labels=3,
    )
    torch.manual_seed(0)
    model = mod.TinyForTokenClassification(config).eval()
    ids = torch.randint(1, 50, (2, 7))
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    out = model(ids, mask, output_hidden_states=True)
    assert out["logits"].shape == (2, 7, 3)
    assert len(out["hidden_states"]) == config.num_layers + 1
    assert torch.isfinite(out["logits"]).all()
    explain = torch._dynamo.explain(model)(ids, mask)
    assert explain.graph_break_count == 0
    # inner width heads * head_dim (24) differs from the model width (16): the spec allows it
    assert model.backbone.layers[0].attn.qkv.weight.shape == (3 * 24, 16)


def test_rms_norm_keeps_fp32_variance_in_bf16(tmp_path: Path) -> None:
    source = tmp_path / "tiny_generated_bf16.py"
    shutil.copy(GOLDEN / "tiny.py.golden", source)
    mod = _import(source, "tiny_generated_bf16")
    norm = mod.RMSNorm(8, 1e-6)
    x = torch.randn(2, 3, 8) * 300
    expected = (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6)).bfloat16()
    got = norm.to(torch.bfloat16)(x.bfloat16())
    assert got.dtype == torch.bfloat16
    torch.testing.assert_close(got.float(), expected.float(), atol=0.05, rtol=0.02)


def test_check_is_clean_and_catches_a_hand_edited_file(tmp_path: Path) -> None:
    specs = discover_specs()
    assert diff(outputs(specs)) == "", "generated/ is stale: run `archgen generate`"

    root = tmp_path / "repo"
    shutil.copytree(ROOT / "generated", root / "generated")
    shutil.copytree(ROOT / "docs", root / "docs")
    files = outputs(specs, root=root)
    assert diff(files, root) == ""

    edited = root / "generated" / "xlm_roberta.py"
    edited.write_text(edited.read_text().replace("return x, states", "return x * 1.0, states", 1))
    report = diff(files, root)
    assert "a/generated/xlm_roberta.py" in report and "+        return x, states" in report

    (root / "generated" / "old_arch.py").write_text("# left over\n")
    assert "stale file (no spec produces it): generated/old_arch.py" in diff(files, root)


def test_generation_is_deterministic() -> None:
    ir = load_arch(ROOT / "specs" / "camembert.yaml")
    assert render_module(ir) == render_module(load_arch(ROOT / "specs" / "camembert.yaml"))
    assert "camembert" in ir.spec_file and ir.spec_hash in render_module(ir).splitlines()[0]


def test_the_spec_reference_documents_every_model_it_links_to() -> None:
    """Each `[Model](#model)` link in docs/spec-reference.md has its section (a nested spec model
    that no table linked to had none before the reference walked the schema)."""
    import re

    from archgen.compiler.docs import render_reference

    text = render_reference()
    sections = {title.lower() for title in re.findall(r"^## (\w+)$", text, flags=re.M)}
    links = set(re.findall(r"\]\(#(\w+)\)", text))
    assert links and not links - sections, sorted(links - sections)


def test_a_heads_own_rms_norm_is_defined_beside_a_weightless_backbone(tmp_path: Path) -> None:
    """NanoChat's norms have no weights (`PlainRMSNorm`); a head norm of the `rms_norm` kind has its
    own weight, so the module defines `RMSNorm` too, and the head builds and runs."""
    fixtures = Path(__file__).parent / "fixtures"
    for name in ("llama", "nanochat"):
        shutil.copy(fixtures / f"{name}.yaml", tmp_path)
    (tmp_path / "normed_head.yaml").write_text(
        "spec_version: 1\nname: normed_head\nextends: nanochat\ntitle: Normed head\n"
        "model_types: [normed_head]\nclass_prefix: NormedHead\n"
        "heads:\n  token_classification:\n    attention: causal\n    layers:\n"
        "      - {op: norm, name: head_norm, norm_kind: rms_norm}\n"
        "      - {op: linear, name: score, out: num_labels}\n"
        "    keys: {score: score, head_norm: head_norm}\n"
    )
    ir = load_arch(tmp_path / "normed_head.yaml")
    path = tmp_path / "normed_head_module.py"
    path.write_text(render_module(ir))
    module = _import(path, "normed_head_module")
    head = ir.head("token_classification")
    config = {"vocab_size": 50, "hidden_size": 16, "num_attention_heads": 2, "num_hidden_layers": 1}
    config |= {"intermediate_size": 8, "max_position_embeddings": 32, "num_labels": 3, "hidden_act": "relu2"}
    sizes = bind_sizes(ir.spec.sizes, config)
    model = getattr(module, head.class_name)(module.Config(**sizes)).eval()
    assert isinstance(model.head_norm, module.RMSNorm) and model.head_norm.weight.shape == (16,)
    assert isinstance(model.backbone.final_norm, module.PlainRMSNorm)
    out = model(torch.randint(0, 50, (1, 4)), torch.ones(1, 4, dtype=torch.long))
    assert out["logits"].shape == (1, 4, 3)
