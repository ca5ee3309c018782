"""Chapter 04's checkers (minidl.exercises.mlps): right answers pass, plausible wrong ones fail with a
message that says what was expected and a hint that names the mistake."""

from __future__ import annotations

import math
import time

import numpy
import pytest

import minidl
import minidl.nn.functional as F
from minidl import nn
from minidl.exercises.mlps import check_cross_entropy, check_linear, check_log_softmax, check_mlp


def rejected(feedback, *hint_words: str) -> bool:
    """The checker failed, said what it expected (or what crashed), and its hint has each of `hint_words`."""
    text = repr(feedback)
    assert not feedback.passed and not feedback.todo, text
    assert "expected" in text or " raised " in text, text  # a wrong value, or a crash named with its case
    for word in hint_words:
        assert word in (feedback.hint or ""), text
    return True


# --- log_softmax --------------------------------------------------------------------------


def log_softmax(x):
    shifted = x - x.max(dim=-1, keepdim=True).values
    return shifted - shifted.exp().sum(dim=-1, keepdim=True).log()


def log_softmax_naive(x):
    return x - x.exp().sum(dim=-1, keepdim=True).log()


def log_of_softmax(x):
    exps = (x - x.max(dim=-1, keepdim=True).values).exp()
    return (exps / exps.sum(dim=-1, keepdim=True)).log()


def log_softmax_global_max(x):
    shifted = x - x.max()
    return shifted - shifted.exp().sum(dim=-1, keepdim=True).log()


def log_softmax_without_keepdim(x):
    shifted = x - x.max(dim=-1).values
    return shifted - shifted.exp().sum(dim=-1).log()


def softmax_instead(x):
    return F.softmax(x, dim=-1)


def log_softmax_down_columns(x):
    return F.log_softmax(x, dim=0)


def log_softmax_in_numpy(x):
    array = x.numpy().astype(numpy.float64)
    shifted = array - array.max(axis=-1, keepdims=True)
    return minidl.tensor(shifted - numpy.log(numpy.exp(shifted).sum(axis=-1, keepdims=True)))


def log_softmax_dim_1(x):
    return F.log_softmax(x, dim=1)


def test_log_softmax_accepts_right_answers():
    assert check_log_softmax(log_softmax).passed
    assert check_log_softmax(lambda x: F.log_softmax(x, dim=-1)).passed


@pytest.mark.parametrize("wrong, hint_words", [
    (log_softmax_naive, ["overflows", "max"]),
    (log_of_softmax, ["log(0)"]),
    (log_softmax_global_max, ["own maximum"]),
    (log_softmax_without_keepdim, ["keepdim=True"]),
    (softmax_instead, ["That is softmax"]),
    (log_softmax_down_columns, ["dim=-1"]),
    (log_softmax_dim_1, ["dim=-1"]),
    (log_softmax_in_numpy, ["minidl operations"]),
], ids=lambda value: getattr(value, "__name__", ""))
def test_log_softmax_rejects_wrong_answers(wrong, hint_words):
    assert rejected(check_log_softmax(wrong), *hint_words)


def test_log_softmax_names_the_huge_case_and_prints_no_warning(recwarn):
    feedback = check_log_softmax(log_softmax_naive)
    assert "[[1000, 1001, 1002]]" in feedback.message and "expected" in feedback.message
    assert "-inf" in feedback.message
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# --- cross_entropy ------------------------------------------------------------------------


def cross_entropy(logits, labels):
    log_probs = F.log_softmax(logits, dim=-1)
    return -log_probs[minidl.arange(len(labels)), labels].mean()


def cross_entropy_with_one_hot(logits, labels):
    one_hot = minidl.eye(logits.shape[1])[labels]
    return -(F.log_softmax(logits, dim=-1) * one_hot).sum(dim=1).mean()


def cross_entropy_summed(logits, labels):
    return -F.log_softmax(logits, dim=-1)[minidl.arange(len(labels)), labels].sum()


def cross_entropy_per_sample(logits, labels):
    return -F.log_softmax(logits, dim=-1)[minidl.arange(len(labels)), labels]


def cross_entropy_without_minus(logits, labels):
    return F.log_softmax(logits, dim=-1)[minidl.arange(len(labels)), labels].mean()


def cross_entropy_column_slice(logits, labels):
    return -F.log_softmax(logits, dim=-1)[:, labels].mean()


def cross_entropy_of_probabilities(logits, labels):
    return -F.softmax(logits, dim=-1)[minidl.arange(len(labels)), labels].mean()


def cross_entropy_of_logits(logits, labels):
    return -logits[minidl.arange(len(labels)), labels].mean()


def cross_entropy_naive(logits, labels):
    probabilities = logits.exp() / logits.exp().sum(dim=-1, keepdim=True)
    return -probabilities.log()[minidl.arange(len(labels)), labels].mean()


def test_cross_entropy_accepts_right_answers():
    assert check_cross_entropy(cross_entropy).passed
    assert check_cross_entropy(cross_entropy_with_one_hot).passed
    assert check_cross_entropy(F.cross_entropy).passed


@pytest.mark.parametrize("wrong, hint_words", [
    (cross_entropy_summed, ["sum over the batch"]),
    (cross_entropy_per_sample, [".mean()"]),
    (cross_entropy_without_minus, ["sign"]),
    (cross_entropy_column_slice, ["N x N"]),
    (cross_entropy_of_probabilities, ["probabilities, not log-probabilities"]),
    (cross_entropy_of_logits, ["raw logits"]),
    (cross_entropy_naive, ["overflows"]),
], ids=lambda value: getattr(value, "__name__", ""))
def test_cross_entropy_rejects_wrong_answers(wrong, hint_words):
    assert rejected(check_cross_entropy(wrong), *hint_words)


def test_cross_entropy_checks_the_gradient():
    def detached(logits, labels):
        return cross_entropy(logits.detach(), labels)

    feedback = check_cross_entropy(detached)
    assert rejected(feedback, "minidl operations") and "requires_grad=False" in feedback.message


# --- Linear -------------------------------------------------------------------------------


class Linear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        bound = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(minidl.rand(out_features, in_features) * 2 * bound - bound)
        self.bias = nn.Parameter(minidl.rand(out_features) * 2 * bound - bound)

    def forward(self, x):
        return x @ self.weight.T + self.bias


class LinearWithPlainTensors(Linear):
    def __init__(self, in_features, out_features):
        super().__init__(in_features, out_features)
        weight, bias = self.weight, self.bias
        del self.weight, self.bias
        self.weight = weight.detach().requires_grad_()  # a Tensor, not a Parameter: not registered
        self.bias = bias.detach().requires_grad_()


class LinearWithOtherNames(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.w = nn.Parameter(minidl.rand(out_features, in_features) / math.sqrt(in_features))
        self.b = nn.Parameter(minidl.zeros(out_features))

    def forward(self, x):
        return x @ self.w.T + self.b


class LinearTransposed(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        bound = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(minidl.rand(in_features, out_features) * 2 * bound - bound)
        self.bias = nn.Parameter(minidl.zeros(out_features))

    def forward(self, x):
        return x @ self.weight + self.bias


class LinearWithoutBias(Linear):
    def forward(self, x):
        return x @ self.weight.T


class LinearOnNumPy(Linear):
    def forward(self, x):
        return minidl.tensor(x.numpy() @ self.weight.numpy().T + self.bias.numpy())


class LinearZeroInit(Linear):
    def __init__(self, in_features, out_features):
        super().__init__(in_features, out_features)
        self.weight = nn.Parameter(minidl.zeros(out_features, in_features))


class LinearNormalInit(Linear):
    def __init__(self, in_features, out_features):
        super().__init__(in_features, out_features)
        self.weight = nn.Parameter(minidl.randn(out_features, in_features) / math.sqrt(in_features))


class LinearNotCentred(Linear):
    def __init__(self, in_features, out_features):
        super().__init__(in_features, out_features)
        self.weight = nn.Parameter(minidl.rand(out_features, in_features) / math.sqrt(in_features))


class LinearForgotSuper(nn.Module):
    def __init__(self, in_features, out_features):
        self.weight = nn.Parameter(minidl.zeros(out_features, in_features))


def test_linear_accepts_right_answers():
    assert check_linear(Linear).passed
    assert check_linear(nn.Linear).passed


@pytest.mark.parametrize("wrong, hint_words", [
    (LinearWithPlainTensors, ["nn.Parameter", "registers"]),
    (LinearWithOtherNames, ["weight and bias"]),
    (LinearTransposed, ["(out_features, in_features)"]),
    (LinearWithoutBias, ["Add the bias"]),
    (LinearOnNumPy, ["minidl ops"]),
    (LinearZeroInit, ["Equal weights"]),
    (LinearNormalInit, ["unbounded"]),
    (LinearNotCentred, ["centred"]),
], ids=lambda value: getattr(value, "__name__", ""))
def test_linear_rejects_wrong_answers(wrong, hint_words):
    assert rejected(check_linear(wrong), *hint_words)


def test_linear_reports_a_crash_with_its_case():
    feedback = check_linear(LinearForgotSuper)
    assert not feedback.passed and "LinearForgotSuper(5, 3) raised AttributeError" in feedback.message


# --- MLP ----------------------------------------------------------------------------------


class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        self.layers = nn.Sequential(*layers[:-1])

    def forward(self, x):
        return self.layers(x)


class MLPWithModuleList(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.linears = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])

    def forward(self, x):
        for index, layer in enumerate(self.linears):
            x = layer(x)
            if index < len(self.linears) - 1:
                x = x.relu()
        return x


class MLPInAPlainList(MLPWithModuleList):
    def __init__(self, sizes):
        super().__init__(sizes)
        linears = list(self.linears)
        del self.linears
        self.linears = linears


class MLPWithReLUAtTheEnd(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class MLPWithoutReLU(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.Sequential(*[nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])

    def forward(self, x):
        return self.layers(x)


class MLPOffByOne(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        layers = []
        for index in range(len(sizes) - 2):  # forgets the last layer
            layers += [nn.Linear(sizes[index], sizes[index + 1]), nn.ReLU()]
        self.layers = nn.Sequential(*layers, nn.Identity())

    def forward(self, x):
        return self.layers(x)


class MLPSkippingALayer(MLPWithModuleList):
    def forward(self, x):
        for layer in list(self.linears)[:-2]:
            x = layer(x).relu()
        return self.linears[len(self.linears) - 1](x) if len(self.linears) == 1 else x


def test_mlp_accepts_right_answers():
    assert check_mlp(MLP).passed
    assert check_mlp(MLPWithModuleList).passed


@pytest.mark.parametrize("wrong, hint_words", [
    (MLPInAPlainList, ["plain Python list"]),
    (MLPWithReLUAtTheEnd, ["No activation after the last layer"]),
    (MLPWithoutReLU, ["nn.ReLU() between"]),
    (MLPOffByOne, ["neighbouring sizes"]),
    (MLPSkippingALayer, []),
], ids=lambda value: getattr(value, "__name__", ""))
def test_mlp_rejects_wrong_answers(wrong, hint_words):
    assert rejected(check_mlp(wrong), *hint_words)


# --- all of them --------------------------------------------------------------------------


@pytest.mark.parametrize("check, answer", [
    (check_log_softmax, log_softmax), (check_cross_entropy, cross_entropy), (check_linear, Linear), (check_mlp, MLP),
], ids=["log_softmax", "cross_entropy", "Linear", "MLP"])
def test_checkers_are_fast_and_deterministic(check, answer):
    start = time.perf_counter()
    first = check(answer)
    assert time.perf_counter() - start < 1.0
    assert repr(first) == repr(check(answer))


@pytest.mark.parametrize("check", [check_log_softmax, check_cross_entropy, check_linear, check_mlp])
def test_a_stub_is_not_done(check):
    def stub(*args):
        raise NotImplementedError()

    feedback = check(stub)
    assert feedback.todo and "not done yet" in repr(feedback)
