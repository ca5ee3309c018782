"""summary(model, input_shape): a table of layers, their output shapes and parameter counts (as Keras)."""

from __future__ import annotations

from minidl.autograd import no_grad
from minidl.creation import zeros
from minidl.nn.module import Module

__all__ = ["summary"]


def _shapes(output):
    """The shape of a tensor, or the nest of shapes of a tuple of them (an LSTM's (out, (h, c)))."""
    return tuple(output.shape) if hasattr(output, "shape") else tuple(_shapes(part) for part in output)


def summary(model: Module, input_shape, batch_size: int = 1, dtype=None, device=None, print_table: bool = True) -> str:
    """Run one forward pass on zeros of (batch_size, *input_shape) and tabulate every leaf layer.

    Returns the table as a string (and prints it unless print_table=False).
    """
    rows = []
    handles = []
    for name, module in model.named_modules():
        if next(module.children(), None) is None:  # leaf layers only: containers repeat their children
            def record(layer, inputs, output, name=name):
                shape = _shapes(output)
                count = sum(p.numel() for p in layer.parameters(recurse=False))
                rows.append((f"{name} ({type(layer).__name__})", str(shape), count))

            handles.append(module.register_forward_hook(record))
    was_training = model.training
    try:
        model.eval()
        with no_grad():
            model(zeros(batch_size, *input_shape, dtype=dtype, device=device))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    width = max([len("Layer (type)")] + [len(r[0]) for r in rows]) + 2
    shape_width = max([len("Output Shape")] + [len(r[1]) for r in rows]) + 2
    rule = "-" * (width + shape_width + 12)
    lines = [rule, f"{'Layer (type)':<{width}}{'Output Shape':<{shape_width}}{'Param #':>12}", rule.replace("-", "=")]
    lines += [f"{layer:<{width}}{shape:<{shape_width}}{count:>12,}" for layer, shape, count in rows]
    lines += [rule, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", rule]
    table = "\n".join(lines)
    if print_table:
        print(table)
    return table
