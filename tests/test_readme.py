"""The code in README.md runs and does what its comments say."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run_and_learn_the_rule(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 2
    namespace: dict = {}
    for block in blocks:
        exec(block, namespace)
    np.testing.assert_allclose(namespace["w"].numpy().ravel(), [2.0, -1.0, 0.5], atol=1e-3)
    labels = [step.function.label for step in namespace["steps"]]
    assert labels == ["sum", "tanh", "mul"]
    out = capsys.readouterr().out
    assert "['sum', 'tanh', 'mul']" in out
    graph, small, x = namespace["g"], namespace["small"], namespace["x"]
    assert len(small) < len(graph) and "matmul(x, weight)" in str(graph)
    assert small.run(x).item() == namespace["f"](x).item()
