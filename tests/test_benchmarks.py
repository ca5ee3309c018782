"""The benchmarks' NumPy-by-hand models compute what minidl computes: loss and every gradient.

A benchmark ratio means something only if both sides do the same work; these checks caught a
by-hand max pool that sent a tied window's gradient to every maximum instead of the first.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import minidl

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import models  # noqa: E402
import numpy_reference  # noqa: E402
from training_step import mnist_batches  # noqa: E402


@pytest.mark.parametrize("name, flat", [("mlp", True), ("lenet", False)])
def test_numpy_reference_matches_minidl(name, flat):
    minidl.manual_seed(0)
    model = getattr(models, name)(minidl)
    weights = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    by_hand = getattr(numpy_reference, {"mlp": "MLP", "lenet": "LeNet"}[name])(weights)
    images, labels = mnist_batches(64, 1, flat)[0]  # real digits: flat backgrounds make pooling ties
    loss, grads, _ = by_hand.loss_and_grads(images, labels)
    minidl_loss = minidl.nn.CrossEntropyLoss()(model(minidl.tensor(images)), minidl.tensor(labels))
    minidl_loss.backward()
    np.testing.assert_allclose(loss, minidl_loss.item(), rtol=1e-6)
    for key, param in model.named_parameters():
        np.testing.assert_allclose(grads[key], param.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=key)


def test_numpy_reference_max_pool_gives_a_tie_to_the_first_maximum():
    x = np.array([[[[1.0, 1.0], [0.0, 1.0]]]], dtype=np.float32)
    pooled, winner = numpy_reference.pool_forward(x)
    back = numpy_reference.pool_backward(np.ones_like(pooled), winner)
    np.testing.assert_array_equal(back, [[[[1.0, 0.0], [0.0, 0.0]]]])
