"""`Module`: the base of every layer and model. `Parameter`: a tensor a module learns.

Assigning a Parameter or a Module to an attribute registers it (`self.fc1 = Linear(...)`),
so `model.parameters()` finds every weight of every layer inside, and `state_dict()` names
them by their path ("fc1.weight").
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import NamedTuple

from minidl.autograd import clear_grads, no_grad
from minidl.tensor import Tensor

__all__ = ["IncompatibleKeys", "Module", "Parameter", "RemovableHandle"]


class Parameter(Tensor):
    """A tensor that is a learnable part of a module: it requires grad by default."""

    def __init__(self, data: Tensor, requires_grad: bool = True):
        array = data.array if isinstance(data, Tensor) else data
        super().__init__(array, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class RemovableHandle:
    """What register_forward_hook returns: handle.remove() unregisters the hook."""

    def __init__(self, hooks: list, hook: Callable):
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


class IncompatibleKeys(NamedTuple):
    """What load_state_dict(strict=False) could not match."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """A layer or a model: holds parameters, buffers and sub-modules, and has a `forward`."""

    def __init__(self):
        # object.__setattr__: our own __setattr__ below needs these dicts to exist already
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", [])
        object.__setattr__(self, "_forward_hooks", [])
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "training", True)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        for hook in self._forward_pre_hooks:
            hook(self, args)
        output = self.forward(*args, **kwargs)
        for hook in self._forward_hooks:
            replaced = hook(self, args, output)
            output = output if replaced is None else replaced
        return output

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call hook(module, inputs) before every forward; `.remove()` on the handle takes it off."""
        self._forward_pre_hooks.append(hook)
        return RemovableHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """Call hook(module, inputs, output) after every forward (a non-None result replaces the
        output); `.remove()` on the returned handle takes it off again."""
        self._forward_hooks.append(hook)
        return RemovableHandle(self._forward_hooks, hook)

    # --- registration by assignment ----------------------------------------------------

    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning {name!r}")
        if isinstance(value, Parameter):
            home = self._parameters
        elif isinstance(value, Module):
            home = self._modules
        elif name in self.__dict__.get("_buffer_names", ()):
            home = self._buffers
        else:
            home = None
        for registry in (self._parameters, self._modules, self._buffers):
            if registry is not home:
                registry.pop(name, None)
        if home is None:
            object.__setattr__(self, name, value)
            return
        home[name] = value  # a name already registered keeps its place (and its place in state_dict)
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str):
        # Called only when normal lookup fails: look in the registries.
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() at the start of __init__")
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry, {})
            if name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor the module keeps and saves but does not learn (e.g. BatchNorm's running mean)."""
        self.__dict__.setdefault("_buffer_names", set()).add(name)
        if not persistent:
            self._non_persistent.add(name)
        setattr(self, name, tensor)

    def register_parameter(self, name: str, parameter: Parameter | None) -> None:
        """Register a parameter (None: a slot that has none, such as Linear's bias=False)."""
        if parameter is None:
            self._parameters[name] = None
        else:
            setattr(self, name, parameter)

    def add_module(self, name: str, module: Module) -> None:
        setattr(self, name, module)

    # --- walking the tree ---------------------------------------------------------------

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every module inside it, each once, with its dotted path."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            path, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield path, module
            children = [(f"{path}.{name}" if path else name, child) for name, child in module._modules.items()]
            stack.extend(reversed([(p, c) for p, c in children if c is not None]))

    def modules(self) -> Iterator[Module]:
        return (module for _, module in self.named_modules())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        return ((name, module) for name, module in self._modules.items() if module is not None)

    def children(self) -> Iterator[Module]:
        return (module for _, module in self.named_children())

    def _named_tensors(self, registry: str, recurse: bool) -> Iterator[tuple[str, Tensor]]:
        seen = set()
        modules = self.named_modules() if recurse else [("", self)]
        for path, module in modules:
            for name, tensor in getattr(module, registry).items():
                if tensor is not None and id(tensor) not in seen:  # a shared weight counts once
                    seen.add(id(tensor))
                    yield (f"{path}.{name}" if path else name), tensor

    def named_parameters(self, recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        return self._named_tensors("_parameters", recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        return (p for _, p in self.named_parameters(recurse))

    def named_buffers(self, recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_tensors("_buffers", recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        return (b for _, b in self.named_buffers(recurse))

    def apply(self, function: Callable[[Module], None]) -> Module:
        """Call function(module) on every module inside, then on this one."""
        for module in reversed(list(self.modules())):
            function(module)
        return self

    # --- training state -----------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout drops, batch norm uses batch statistics), for every module inside."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: the opposite of train()."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: None, or zeros."""
        clear_grads(self.parameters(), set_to_none)

    def to(self, *args, **kwargs) -> Module:
        """Move (or cast) every parameter and buffer in place: optimizers keep working on them."""
        for tensor in [*self.parameters(), *self.buffers()]:
            moved = tensor.detach().to(*args, **kwargs)
            tensor.array = moved.array
            if tensor.grad is not None:
                tensor.grad = tensor.grad.to(*args, **kwargs)
        return self

    # --- saving and loading -------------------------------------------------------------

    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Every parameter and persistent buffer by its dotted name, detached."""
        state = OrderedDict()
        for path, module in self.named_modules():
            prefix = f"{path}." if path else ""
            for name, tensor in [*module._parameters.items(), *module._buffers.items()]:
                if tensor is not None and name not in module._non_persistent:
                    state[prefix + name] = tensor.detach()
        return state

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters and buffers of the same names.

        Everything is checked first (names when strict, and shapes always), so a state dict
        that does not fit raises a clear error and leaves the module unchanged.
        """
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(
                f"load_state_dict for {type(self).__name__}: missing keys {missing}, unexpected keys {unexpected}"
            )
        for name, value in state_dict.items():
            if name in own and tuple(value.shape) != own[name].shape:
                raise ValueError(
                    f"load_state_dict for {type(self).__name__}: {name!r} has shape {tuple(value.shape)} in the "
                    f"state dict but {own[name].shape} in the model"
                )
        with no_grad():
            for name, value in state_dict.items():
                if name in own:
                    own[name].copy_(value if isinstance(value, Tensor) else Tensor(value))
        return IncompatibleKeys(missing, unexpected)

    # --- printing -----------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The arguments to show in the printed tree, e.g. 'in_features=784, out_features=10'."""
        return ""

    def __repr__(self) -> str:
        children = [f"({name}): {_indent(repr(module))}" for name, module in self.named_children()]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        body = "\n  ".join(([self.extra_repr()] if self.extra_repr() else []) + children)
        return f"{type(self).__name__}(\n  {body}\n)"


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")
