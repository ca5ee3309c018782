"""The benchmark models written by hand in NumPy: forward, backward and SGD with momentum, no framework.

This is the baseline every framework has to justify itself against. Weights use PyTorch's
layout (Linear: (out, in); Conv2d: (out, in, kh, kw)) so one set of initial weights serves
minidl, PyTorch and this file.
"""

from __future__ import annotations

import numpy as np


def cross_entropy(logits, labels):
    """(mean loss, d loss / d logits) for integer labels."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(labels)
    grad = np.exp(log_probs)
    grad[np.arange(n), labels] -= 1
    return -log_probs[np.arange(n), labels].mean(), grad / n


class SGD:
    """v = momentum * v + g; w -= lr * v (PyTorch's SGD with momentum, no dampening)."""

    def __init__(self, params: dict, lr: float, momentum: float):
        self.params, self.lr, self.momentum = params, lr, momentum
        self.velocity = {name: np.zeros_like(w) for name, w in params.items()}

    def step(self, grads: dict) -> None:
        for name, w in self.params.items():
            v = self.velocity[name]
            v *= self.momentum
            v += grads[name]
            w -= self.lr * v


class MLP:
    """Linear-ReLU layers, then a final Linear: params named fc1.weight, fc1.bias, ..."""

    def __init__(self, params: dict):
        self.params = params
        self.layers = sorted({name.split(".")[0] for name in params})

    def loss_and_grads(self, x, labels):
        """(loss, gradients by parameter name, d loss / d x)."""
        activations = [x]
        for i, layer in enumerate(self.layers):
            h = activations[-1] @ self.params[f"{layer}.weight"].T + self.params[f"{layer}.bias"]
            activations.append(np.maximum(h, 0) if i < len(self.layers) - 1 else h)
        loss, grad = cross_entropy(activations[-1], labels)
        grads = {}
        for i in reversed(range(len(self.layers))):
            layer = self.layers[i]
            if i < len(self.layers) - 1:
                grad = grad * (activations[i + 1] > 0)
            grads[f"{layer}.weight"] = grad.T @ activations[i]
            grads[f"{layer}.bias"] = grad.sum(axis=0)
            grad = grad @ self.params[f"{layer}.weight"]
        return loss, grads, grad


def im2col(x, k):
    """(N, C, H, W) -> (N, C*k*k, OH*OW) for a k x k kernel, stride 1, no padding."""
    n, c, h, w = x.shape
    oh, ow = h - k + 1, w - k + 1
    s = x.strides
    windows = np.lib.stride_tricks.as_strided(x, (n, c, k, k, oh, ow), (s[0], s[1], s[2], s[3], s[2], s[3]))
    return windows.reshape(n, c * k * k, oh * ow)


def col2im(cols, shape, k):
    n, c, h, w = shape
    oh, ow = h - k + 1, w - k + 1
    cols = cols.reshape(n, c, k, k, oh, ow)
    image = np.zeros(shape, dtype=cols.dtype)
    for i in range(k):
        for j in range(k):
            image[:, :, i : i + oh, j : j + ow] += cols[:, :, i, j]
    return image


def conv_forward(x, weight, bias):
    o, _, k, _ = weight.shape
    cols = im2col(x, k)
    out = weight.reshape(o, -1) @ cols + bias[:, None]
    n, _, h, w = x.shape
    return out.reshape(n, o, h - k + 1, w - k + 1), cols


def conv_backward(grad, x_shape, weight, cols, need_input_grad):
    n, o = grad.shape[:2]
    grad = grad.reshape(n, o, -1)
    grad_weight = (grad @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(weight.shape)
    grad_bias = grad.sum(axis=(0, 2))
    grad_x = col2im(weight.reshape(o, -1).T @ grad, x_shape, weight.shape[2]) if need_input_grad else None
    return grad_x, grad_weight, grad_bias


def pool_forward(x):
    """2x2 max pooling, stride 2: (max, which of the 4 window positions won: the first maximum, as PyTorch)."""
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    winner = windows.argmax(axis=-1)
    return np.take_along_axis(windows, winner[..., None], axis=-1)[..., 0], winner


def pool_backward(grad, winner):
    n, c, oh, ow = grad.shape
    spread = (winner[..., None] == np.arange(4)) * grad[..., None]  # (n, c, oh, ow, 4): the grad at the winner
    return spread.reshape(n, c, oh, ow, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh * 2, ow * 2)


class LeNet:
    """The articles' CNN: conv(5)-relu-pool, conv(5)-relu-pool, three Linear layers."""

    def __init__(self, params: dict):
        self.params = params
        self.head = MLP({k: v for k, v in params.items() if k.startswith("fc")})

    def loss_and_grads(self, x, labels):
        p = self.params
        c1, cols1 = conv_forward(x, p["conv1.weight"], p["conv1.bias"])
        r1 = np.maximum(c1, 0)
        p1, winner1 = pool_forward(r1)
        c2, cols2 = conv_forward(p1, p["conv2.weight"], p["conv2.bias"])
        r2 = np.maximum(c2, 0)
        p2, winner2 = pool_forward(r2)
        loss, grads, grad = self.head.loss_and_grads(p2.reshape(len(x), -1), labels)
        grad = grad.reshape(p2.shape)
        grad = pool_backward(grad, winner2) * (c2 > 0)
        grad_p1, grads["conv2.weight"], grads["conv2.bias"] = conv_backward(grad, p1.shape, p["conv2.weight"],
                                                                            cols2, True)
        grad = pool_backward(grad_p1, winner1) * (c1 > 0)
        _, grads["conv1.weight"], grads["conv1.bias"] = conv_backward(grad, x.shape, p["conv1.weight"], cols1, False)
        return loss, grads, None
