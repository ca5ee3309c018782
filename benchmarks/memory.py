"""Peak resident memory of a fresh process running 20 training steps of each benchmark model.

Each run is its own Python process (so one model's memory does not count against another),
measured with the operating system's peak resident set size (VmHWM on Linux). Target for minidl: at most 80 MB.
PyTorch is measured the same way when installed; `python + numpy` is the floor.

    python benchmarks/memory.py [--steps 20]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

PROGRAM = """
import resource, sys
sys.path.insert(0, {here!r})
import numpy as np
library = {library!r}
if library != "numpy":
    lib = __import__(library)
    import models
    from training_step import mnist_batches
    flat = {model!r} == "mlp"
    model = getattr(models, {model!r})(lib)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    criterion = lib.nn.CrossEntropyLoss()
    for x, y in mnist_batches(128 if flat else 64, {steps}, flat):
        optimizer.zero_grad()
        loss = criterion(model(lib.tensor(x)), lib.tensor(y))
        loss.backward()
        optimizer.step()
try:  # VmHWM: the peak of this process's own memory (ru_maxrss would include the parent's, across exec)
    status = open("/proc/self/status").read()
    print(int(status.split("VmHWM:")[1].split()[0]) / 1024)
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def peak_megabytes(library: str, model: str, steps: int) -> float:
    code = PROGRAM.format(here=str(HERE), library=library, model=model, steps=steps)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    libraries = ["minidl"]
    try:
        import torch  # noqa: F401

        libraries.append("torch")
    except ImportError:
        print("PyTorch is not installed: minidl only")
    print(f"python + numpy, nothing else: {peak_megabytes('numpy', '', 0):6.0f} MB")
    for model in ("mlp", "lenet"):
        for library in libraries:
            peak = peak_megabytes(library, model, args.steps)
            verdict = f"  ({'meets' if peak <= 80 else 'misses'} the 80 MB target)" if library == "minidl" else ""
            print(f"{model:6} {args.steps} steps, {library:7}: {peak:6.0f} MB{verdict}")


if __name__ == "__main__":
    main()
