"""Checkers for the chapters' exercises: each runs real cases against the learner's code.

One module per chapter: welcome (00), tensors (01), graphs (02), autodiff (03), mlps (04),
optimizers (05), cnns (06).

    from minidl.exercises.autodiff import check_matmul_backward
    check_matmul_backward(matmul_backward)   # ✓ passed, or the case, what was expected, what came back, a hint

A checker returns a Feedback (true when passed) that a notebook displays; checking.py shows
how checkers are written.
"""

from minidl.exercises.checking import Feedback

__all__ = ["Feedback"]
