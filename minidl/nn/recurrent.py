"""RNN and LSTM: a cell applied at every time step, carrying a hidden state from step to step.

Arguments, parameter names (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, and
..._reverse for the backward direction), shapes and the order of the LSTM's gates (input,
forget, cell, output) are PyTorch's, so a state dict means the same in both.
"""

from __future__ import annotations

import math

from minidl import ops
from minidl.creation import zeros
from minidl.nn import init
from minidl.nn.functional.linear import dropout, linear
from minidl.nn.module import Module, Parameter
from minidl.tensor import Tensor

__all__ = ["LSTM", "RNN", "lstm_cell", "rnn_cell"]


def rnn_cell(x: Tensor, h: Tensor, w_ih, w_hh, b_ih, b_hh, nonlinearity: str = "tanh") -> Tensor:
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""
    pre = linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh)
    return ops.tanh(pre) if nonlinearity == "tanh" else ops.relu(pre)


def lstm_cell(x: Tensor, state: tuple[Tensor, Tensor], w_ih, w_hh, b_ih, b_hh) -> tuple[Tensor, Tensor]:
    """One LSTM step: gates i, f, g, o from x and h; c' = f*c + i*g; h' = o*tanh(c')."""
    h, c = state
    gates = linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh)
    i, f, g, o = ops.split(gates, gates.shape[-1] // 4, dim=-1)
    c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
    return ops.sigmoid(o) * ops.tanh(c), c


class _RecurrentBase(Module):
    gate_count = 1  # weights per gate, stacked: 1 for RNN, 4 for LSTM

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, dtype=None,
                 device=None):
        super().__init__()
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, dropout, bidirectional
        bound = 1 / math.sqrt(hidden_size)  # PyTorch's init: every weight uniform in +-1/sqrt(hidden)
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.directions
            for suffix in self._suffixes(layer):
                shapes = {
                    "weight_ih": (self.gate_count * hidden_size, layer_input),
                    "weight_hh": (self.gate_count * hidden_size, hidden_size),
                    **({"bias_ih": (self.gate_count * hidden_size,), "bias_hh": (self.gate_count * hidden_size,)}
                       if bias else {}),
                }
                for name, shape in shapes.items():
                    parameter = Parameter(zeros(*shape, dtype=dtype, device=device))
                    init.uniform_(parameter, -bound, bound)
                    setattr(self, name + suffix, parameter)

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self, layer: int) -> list[str]:
        return [f"_l{layer}"] + ([f"_l{layer}_reverse"] if self.bidirectional else [])

    def _weights(self, suffix: str):
        return [getattr(self, name + suffix, None) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]

    def _step(self, x: Tensor, state, weights):
        raise NotImplementedError

    def forward(self, x: Tensor, state=None):
        """x: (T, N, input_size), or (N, T, input_size) with batch_first, or (T, input_size) unbatched.

        Returns (output, final state): output (T, N, directions * hidden_size) holds the last
        layer's hidden state at every step; the final state has shape (num_layers * directions, N, hidden).
        """
        name = type(self).__name__
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: needs input of 2 or 3 dims ending in input_size={self.input_size}, got {x.shape}"
            )
        unbatched = x.ndim == 2
        if unbatched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        states = self._initial_states(x, state, unbatched)
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(self._suffixes(layer)):
                state = states[layer * self.directions + direction]
                steps = range(x.shape[0]) if direction == 0 else reversed(range(x.shape[0]))
                hidden = [None] * x.shape[0]
                for t in steps:
                    state = self._step(x[t], state, self._weights(suffix))
                    hidden[t] = state[0] if isinstance(state, tuple) else state
                outputs.append(ops.stack(hidden))
                finals.append(state)
            x = outputs[0] if len(outputs) == 1 else ops.cat(outputs, dim=-1)
            if layer < self.num_layers - 1:
                x = dropout(x, self.dropout, self.training)
        output = x.squeeze(1) if unbatched else x.transpose(0, 1) if self.batch_first else x
        return output, self._final_state(finals, unbatched)

    def _initial_states(self, x: Tensor, state, unbatched: bool):
        raise NotImplementedError

    def _final_state(self, finals, unbatched: bool):
        raise NotImplementedError

    def _check_state(self, h: Tensor, batch: int, unbatched: bool) -> Tensor:
        h = h.unsqueeze(1) if unbatched else h
        expected = (self.num_layers * self.directions, batch, self.hidden_size)
        if h.shape != expected:
            raise ValueError(f"{type(self).__name__}: initial state must have shape {expected}, got {h.shape}")
        return h

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(_RecurrentBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh), over num_layers layers."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype=None, device=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype,
                         device)
        self.nonlinearity = nonlinearity

    def _step(self, x, h, weights):
        return rnn_cell(x, h, *weights, self.nonlinearity)

    def _initial_states(self, x, state, unbatched):
        batch = x.shape[1]
        if state is None:
            state = zeros(self.num_layers * self.directions, batch, self.hidden_size, dtype=x.dtype, device=x.device)
        else:
            state = self._check_state(state, batch, unbatched)
        return list(state)

    def _final_state(self, finals, unbatched):
        h = ops.stack(finals)
        return h.squeeze(1) if unbatched else h


class LSTM(_RecurrentBase):
    """Long short-term memory: gated updates of a cell state c, which lets gradients travel far."""

    gate_count = 4

    def _step(self, x, state, weights):
        return lstm_cell(x, state, *weights)

    def _initial_states(self, x, state, unbatched):
        batch = x.shape[1]
        if state is None:
            shape = (self.num_layers * self.directions, batch, self.hidden_size)
            h = c = zeros(*shape, dtype=x.dtype, device=x.device)
        else:
            h, c = (self._check_state(s, batch, unbatched) for s in state)
        return list(zip(h, c))

    def _final_state(self, finals, unbatched):
        h, c = ops.stack([h for h, _ in finals]), ops.stack([c for _, c in finals])
        return (h.squeeze(1), c.squeeze(1)) if unbatched else (h, c)
