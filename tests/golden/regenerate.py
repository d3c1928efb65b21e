"""Regenerate the golden files from tiny.yaml: `python tests/golden/regenerate.py`."""

from pathlib import Path

from archgen.compiler import load_arch, render_module, render_table

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    ir = load_arch(HERE / "tiny.yaml")
    (HERE / "tiny.py.golden").write_text(render_module(ir), encoding="utf-8")
    (HERE / "tiny.weights.json.golden").write_text(render_table(ir), encoding="utf-8")
    print("wrote tiny.py.golden and tiny.weights.json.golden")
