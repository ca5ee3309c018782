"""The dtypes a Tensor can have: NumPy's, under PyTorch's names."""

import numpy

__all__ = [
    "bool_",
    "default_float",
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "long",
    "uint8",
]

float16 = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
uint8 = numpy.dtype("uint8")
int8 = numpy.dtype("int8")
int16 = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = long = numpy.dtype("int64")
bool_ = numpy.dtype("bool")

default_float = float32  # what Python floats and random tensors become, as in PyTorch
