"""What live training curves cost: minidl.fit of the LeNet-style CNN with and without TrainingCurves.

Three epochs (a chapter's training run) on the bundled MNIST subset (6,000 images, batch 64,
SGD lr 0.01 momentum 0.9), then validation on the 1,000 test images. The curves are forced
live (`live=True`): outside a notebook they still draw every frame the throttle allows, and
the last one, with Agg into the widget's image. Runs alternate (without, with, with, without,
...) so the drift of a busy machine falls on both alike; the overhead is the median over the
pairs. Target: at most 5%.
    python benchmarks/curves_overhead.py [--repeats 5] [--epochs 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import models

import minidl
from minidl.data import DataLoader
from minidl.datasets import MNIST
from widgets.curves import TrainingCurves


def train(train_data, val_data, epochs: int, callbacks: list) -> float:
    """Seconds to fit a fresh LeNet; the seed makes the weights and batches the same every time."""
    minidl.manual_seed(0)
    model = models.lenet(minidl)
    optimizer = minidl.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    start = time.perf_counter()
    minidl.fit(model, train_data, minidl.nn.CrossEntropyLoss(), optimizer, epochs, val_data=val_data,
               callbacks=callbacks, progress=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="pairs of runs")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    train_data = DataLoader(MNIST(train=True, subset="small"), batch_size=64, shuffle=True)
    val_data = DataLoader(MNIST(train=False, subset="small"), batch_size=256)
    train(train_data, val_data, args.epochs, [TrainingCurves(live=True)])  # first-use costs (fonts, caches): untimed

    plain, with_curves, frames = [], [], []
    print(f"LeNet, {args.epochs} epoch(s) on {len(train_data)} batches of 64 + validation, "
          f"{args.repeats} pairs of runs, alternating")
    print(f"{'pair':>4}{'without curves':>16}{'with curves':>13}{'frames':>8}{'overhead':>10}")
    for pair in range(args.repeats):
        for curved in (False, True) if pair % 2 == 0 else (True, False):
            callbacks = [TrainingCurves(live=True)] if curved else []
            seconds = train(train_data, val_data, args.epochs, callbacks)
            (with_curves if curved else plain).append(seconds)
            if curved:
                frames.append(callbacks[0].render_seconds)
        print(f"{pair + 1:4}{plain[-1]:14.3f} s{with_curves[-1]:11.3f} s{len(frames[-1]):8}"
              f"{with_curves[-1] / plain[-1] - 1:+10.1%}")
    overhead = statistics.median(curved / bare - 1 for curved, bare in zip(with_curves, plain))
    frame_share = statistics.median(sum(run) / bare for run, bare in zip(frames, plain))
    frame_times = [seconds for run in frames for seconds in run]
    print(f"median{statistics.median(plain):12.3f} s{statistics.median(with_curves):11.3f} s")
    print(f"overhead: {overhead:+.1%} of the wall time (median over the pairs; target at most +5%)")
    print(f"frames: {len(frame_times) / len(frames):.1f} per run, {statistics.mean(frame_times) * 1e3:.0f} ms each "
          f"on average (the first of a run also sets up its axes); drawing them took {frame_share:.1%} of a run "
          "without curves (median over the pairs)")

if __name__ == "__main__":
    main()
