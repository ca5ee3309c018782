"""Layers, losses and the Module they are built on (`import minidl.nn as nn`), as torch.nn."""

from minidl.nn import functional, init, utils
from minidl.nn.activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from minidl.nn.container import ModuleList, Sequential
from minidl.nn.conv import Conv2d
from minidl.nn.dropout import Dropout
from minidl.nn.embedding import Embedding
from minidl.nn.linear import Flatten, Identity, Linear
from minidl.nn.loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from minidl.nn.module import Module, Parameter
from minidl.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from minidl.nn.pooling import AvgPool2d, MaxPool2d
from minidl.nn.recurrent import LSTM, RNN
from minidl.nn.summary import summary

__all__ = [
    "AvgPool2d", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv2d", "CrossEntropyLoss", "Dropout",
    "Embedding", "Flatten", "GELU", "Identity", "LSTM", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax",
    "MSELoss", "MaxPool2d", "Module", "ModuleList", "NLLLoss", "Parameter", "RNN", "ReLU", "Sequential",
    "Sigmoid", "Softmax", "Tanh", "functional", "init", "summary", "utils",
]
