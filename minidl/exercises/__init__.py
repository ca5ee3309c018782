"""Checkers for the chapters' exercises: each runs real cases against the learner's code.

    from minidl.exercises import check_relu_backward
    check_relu_backward(relu_backward)   # ✓ relu_backward: ..., or what was expected, what came back, a hint

A checker returns a Feedback (true when passed) that a notebook displays; checking.py shows
how checkers are written.
"""

from minidl.exercises.checking import Feedback

__all__ = ["Feedback"]
