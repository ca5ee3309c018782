"""Time training steps of one model in minidl, PyTorch (when installed) and NumPy by hand, in one run.

All three start from the same initial weights (minidl's, copied), see the same batches of
real MNIST images (the subset bundled with minidl) and use SGD with momentum 0.9; their
final losses are printed and must agree. They run in turns, a block of
steps each (see `timed`). Used by mlp_step.py and lenet_step.py.
"""

from __future__ import annotations

import resource
import statistics
import time

import numpy as np

import minidl
from minidl.datasets import MNIST


def mnist_batches(batch_size: int, count: int, flat: bool):
    """`count` batches of normalized MNIST images (float32) and labels (int64)."""
    dataset = MNIST(train=True, subset="small")
    images = (dataset.data[: batch_size * count].astype(np.float32) / 255 - 0.1307) / 0.3081
    labels = np.asarray(dataset.targets[: batch_size * count], dtype=np.int64)
    images = images.reshape(len(images), -1) if flat else images[:, None]
    return [(images[i : i + batch_size], labels[i : i + batch_size]) for i in range(0, len(images), batch_size)]


def framework_step(lib, model, lr, momentum):
    """One training step, written once for minidl and PyTorch alike (`lib` is either)."""
    optimizer = lib.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    criterion = lib.nn.CrossEntropyLoss()

    def step(x, y):
        optimizer.zero_grad()
        loss = criterion(model(lib.tensor(x)), lib.tensor(y))
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def numpy_step(model, lr, momentum):
    from numpy_reference import SGD

    optimizer = SGD(model.params, lr, momentum)

    def step(x, y):
        loss, grads, _ = model.loss_and_grads(x, y)
        optimizer.step(grads)
        return float(loss)

    return step


def timed(steps: dict, batches, warmup: int = 3, block: int = 10):
    """{name: (median seconds per step after `warmup` steps, the last step's loss)}.

    The steps take turns, `block` batches each, so a slower or busier stretch of the
    machine falls on all of them alike.
    """
    times = {name: [] for name in steps}
    losses = {}
    for start in range(0, len(batches), block):
        for name, step in steps.items():
            for i in range(start, min(start + block, len(batches))):
                begin = time.perf_counter()
                losses[name] = step(*batches[i])
                if i >= warmup:
                    times[name].append(time.perf_counter() - begin)
    return {name: (statistics.median(times[name]), losses[name]) for name in steps}


def compare(title: str, minidl_model, torch_builder, numpy_model, batches, lr=0.01, momentum=0.9) -> None:
    """Run and print the three, with step-time ratios against PyTorch (or NumPy when it is absent)."""
    weights = {name: t.numpy().copy() for name, t in minidl_model.state_dict().items()}
    steps = {"numpy (by hand)": numpy_step(numpy_model({k: v.copy() for k, v in weights.items()}), lr, momentum)}
    try:
        import torch

        torch.set_num_threads(1)  # as NumPy's single-threaded elementwise work; BLAS threads as installed
        torch_model = torch_builder(torch)
        torch_model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
        steps["pytorch"] = framework_step(torch, torch_model, lr, momentum)
    except ImportError:
        print("PyTorch is not installed (pip install torch): ratios are against NumPy by hand")
    steps["minidl"] = framework_step(minidl, minidl_model, lr, momentum)
    results = timed(steps, batches)
    reference = "pytorch" if "pytorch" in results else "numpy (by hand)"
    print(f"{title}: {len(batches)} steps (median of the last {len(batches) - 3}), SGD momentum 0.9")
    print(f"{'':18}{'ms/step':>10}{'vs ' + reference:>18}{'final loss':>14}")
    for name, (seconds, loss) in results.items():
        print(f"{name:18}{seconds * 1e3:10.2f}{seconds / results[reference][0]:17.2f}x{loss:14.6f}")
    losses = [loss for _, loss in results.values()]
    agree = max(losses) - min(losses) <= 1e-4 * max(1.0, abs(losses[0]))
    print(f"final losses {'agree' if agree else 'DIFFER'} (spread {max(losses) - min(losses):.2e})")
    print(f"peak resident memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
