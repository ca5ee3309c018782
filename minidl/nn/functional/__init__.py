"""The functional forms of the layers (`import minidl.nn.functional as F`): F.relu, F.conv2d, ..."""

from minidl.nn.functional.activation import gelu, leaky_relu, log_softmax, logsumexp, relu, sigmoid, softmax, tanh
from minidl.nn.functional.convolution import avg_pool2d, conv2d, max_pool2d
from minidl.nn.functional.linear import dropout, embedding, linear
from minidl.nn.functional.loss import binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss
from minidl.nn.functional.normalization import batch_norm, layer_norm
from minidl.ops import flatten, pad

__all__ = [
    "avg_pool2d", "batch_norm", "binary_cross_entropy_with_logits", "conv2d", "cross_entropy", "dropout",
    "embedding", "flatten", "gelu", "layer_norm", "leaky_relu", "linear", "log_softmax", "logsumexp",
    "max_pool2d", "mse_loss", "nll_loss", "pad", "relu", "sigmoid", "softmax", "tanh",
]
