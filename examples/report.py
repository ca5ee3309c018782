"""How the acceptance runs report: accuracy and time per epoch, and the target met or missed."""

from __future__ import annotations

import minidl


def report(history: minidl.History, target: float, strictly_above: bool = False) -> None:
    """Print test accuracy and seconds per epoch, and whether the best accuracy reaches `target`
    (or, with strictly_above, beats it)."""
    best = max(history["val_accuracy"])
    met = best > target if strictly_above else best >= target
    print(f"test accuracy per epoch: {[round(a, 4) for a in history['val_accuracy']]}")
    print(f"seconds per epoch: {[round(s, 1) for s in history.seconds]}")
    print(f"best {best:.4f}: {'meets' if met else 'misses'} the {target:.1%} target")
