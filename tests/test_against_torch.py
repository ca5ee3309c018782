"""Forward values and gradients against PyTorch (skipped when torch is not installed)."""

from __future__ import annotations

import numpy as np
import pytest

import minidl

torch = pytest.importorskip("torch")


def _both(make_tensor, *shapes, domain="any"):
    """The same float64 leaves in minidl and in torch."""
    ours = [make_tensor(shape, domain, requires_grad=True) for shape in shapes]
    theirs = [torch.tensor(x.numpy(), requires_grad=True) for x in ours]
    return ours, theirs


def _assert_close(ours: minidl.Tensor, theirs) -> None:
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ours, theirs, shapes, domain", [
    (lambda x: x.tanh() * x.sigmoid(), lambda x: x.tanh() * x.sigmoid(), [(3, 4)], "any"),
    (lambda x: x.log() / x.sqrt(), lambda x: x.log() / x.sqrt(), [(3, 4)], "positive"),
    (lambda x: x.var(dim=1), lambda x: x.var(dim=1), [(3, 4)], "any"),
    (lambda x: x.max(dim=0).values, lambda x: x.max(dim=0).values, [(3, 4)], "distinct"),
    (lambda x: x.clamp(-0.5, 0.25).abs(), lambda x: x.clamp(-0.5, 0.25).abs(), [(3, 4)], "distinct"),
    (lambda x: x[[0, 0, 2], 1:], lambda x: x[[0, 0, 2], 1:], [(3, 4)], "any"),
    (lambda x: minidl.pad(x, (1, 2, 0, 1)), lambda x: torch.nn.functional.pad(x, (1, 2, 0, 1)), [(3, 4)], "any"),
    (lambda a, b: minidl.cat([a, b], dim=1).split([2, 3], dim=1)[1],
     lambda a, b: torch.cat([a, b], dim=1).split([2, 3], dim=1)[1], [(3, 1), (3, 4)], "any"),
    (lambda a, b: minidl.stack([a, b], dim=-1).permute(2, 0, 1).flatten(1),
     lambda a, b: torch.stack([a, b], dim=-1).permute(2, 0, 1).flatten(1), [(3, 4), (3, 4)], "any"),
    (lambda a, b: (a @ b).transpose(0, 1).unsqueeze(0), lambda a, b: (a @ b).transpose(0, 1).unsqueeze(0),
     [(2, 3, 4), (4, 5)], "any"),
    (lambda a, b: minidl.where(a > b, a, b * 2.0) ** 2, lambda a, b: torch.where(a > b, a, b * 2.0) ** 2,
     [(3, 1), (4,)], "distinct"),
], ids=["tanh*sigmoid", "log/sqrt", "var", "max-dim", "clamp-abs", "fancy-index", "pad", "cat-split",
        "stack-permute", "matmul-transpose", "where-pow"])
def test_ops_match_torch(ours, theirs, shapes, domain, make_tensor):
    mine, reference = _both(make_tensor, *shapes, domain=domain)
    out, expected = ours(*mine), theirs(*reference)
    _assert_close(out, expected)
    weight = np.random.default_rng(0).standard_normal(out.shape)
    (out * minidl.tensor(weight, device=out.device)).sum().backward()
    (expected * torch.tensor(weight)).sum().backward()
    for x, t in zip(mine, reference):
        _assert_close(x.grad, t.grad)


KINKS = [-1.0, 0.0, 0.5, 0.5, 1.0]  # a kink of relu and abs at 0, clamp's bounds 0 and 0.5, a tie at 0.5


@pytest.mark.parametrize("ours, theirs", [
    (minidl.relu, torch.relu),
    (minidl.abs, torch.abs),
    (lambda x: x.clamp(0.0, 0.5), lambda x: x.clamp(0.0, 0.5)),
    (lambda x: x.max(), lambda x: x.max()),
    (lambda x: x.min(), lambda x: x.min()),
    (lambda x: minidl.maximum(x, x.detach()[::-1]), lambda x: torch.maximum(x, x.detach().flip(0))),
    (lambda x: minidl.minimum(x, x.detach()[::-1]), lambda x: torch.minimum(x, x.detach().flip(0))),
    # max over a dim shares a tie's gradient equally, as torch.amax does (torch.max(x, dim) instead
    # gives all of it to the index it returns)
    (lambda x: x[1:4].reshape(1, 3).max(dim=1).values, lambda x: x[1:4].reshape(1, 3).amax(dim=1)),
], ids=["relu", "abs", "clamp", "max", "min", "maximum", "minimum", "max-dim"])
def test_gradients_at_kinks_and_ties_follow_torch(ours, theirs, backend):
    mine = minidl.tensor(KINKS, dtype=minidl.float64, device=backend, requires_grad=True)
    reference = torch.tensor(KINKS, dtype=torch.float64, requires_grad=True)
    ours(mine).sum().backward()
    theirs(reference).sum().backward()
    _assert_close(mine.grad, reference.grad)


def _mlp_loss(lib, x, target, w1, b1, w2, b2):
    """Cross-entropy of a two-layer MLP, with logsumexp written out (shifted by the row max)."""
    hidden = lib.relu(x @ w1 + b1)
    logits = hidden @ w2 + b2
    shift = logits.max(dim=1, keepdim=True).values
    logsumexp = (logits - shift).exp().sum(dim=1).log() + shift.squeeze(1)
    picked = logits[lib.arange(x.shape[0], device=x.device), target]
    return (logsumexp - picked).mean()


def test_mlp_loss_and_gradients_match_torch(make_tensor, backend):
    x = make_tensor((5, 3))
    target = [0, 2, 1, 1, 0]
    (w1, b1, w2, b2), params = _both(make_tensor, (3, 6), (6,), (6, 3), (3,))
    loss = _mlp_loss(minidl, x, minidl.tensor(target, device=backend), w1, b1, w2, b2)
    expected = _mlp_loss(torch, torch.tensor(x.numpy()), torch.tensor(target), *params)
    _assert_close(loss, expected)
    loss.backward()
    expected.backward()
    for ours, theirs in zip((w1, b1, w2, b2), params):
        _assert_close(ours.grad, theirs.grad)


def test_gradient_penalty_second_order_matches_torch(make_tensor, backend):
    """d/dw2 of |dL/dw1|^2: a gradient of a gradient through matmul, relu and logsumexp."""
    x = make_tensor((5, 3))
    target = [2, 0, 1, 1, 2]
    (w1, b1, w2, b2), params = _both(make_tensor, (3, 6), (6,), (6, 3), (3,))
    loss = _mlp_loss(minidl, x, minidl.tensor(target, device=backend), w1, b1, w2, b2)
    (grad_w1,) = minidl.grad(loss, w1, create_graph=True)
    (ours,) = minidl.grad((grad_w1 * grad_w1).sum(), w2)
    expected = _mlp_loss(torch, torch.tensor(x.numpy()), torch.tensor(target), *params)
    (torch_grad_w1,) = torch.autograd.grad(expected, params[0], create_graph=True)
    (theirs,) = torch.autograd.grad((torch_grad_w1 * torch_grad_w1).sum(), params[2])
    _assert_close(grad_w1, torch_grad_w1)
    _assert_close(ours, theirs)
