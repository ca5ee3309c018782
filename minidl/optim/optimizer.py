"""`Optimizer`: the base class that holds parameter groups and per-parameter state.

An optimizer changes parameters, in place, using their gradients: `step()` visits every
parameter that has a `.grad` and calls `update`, which each optimizer (SGD, Adam, ...) writes.
Parameters come in groups, each a dict with the parameters ("params") and the
hyper-parameters for them, so that e.g. the last layer can have its own learning rate.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

from minidl.autograd import clear_grads, no_grad
from minidl.backend import to_device
from minidl.tensor import Tensor

__all__ = ["Optimizer"]


class Optimizer:
    """Parameter groups (`param_groups`), per-parameter state (`state`) and the loop of `step()`."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict):
        self.defaults = dict(defaults)
        self.param_groups: list[dict] = []
        self.state: dict[Tensor, dict] = {}  # Tensors hash by identity, so each parameter is its own key
        if isinstance(params, Tensor):
            raise TypeError(f"{self._name}: params should be an iterable of Tensors or of dicts (parameter "
                            "groups), got a single Tensor; wrap it in a list: [weight]")
        groups = list(params)
        if not groups:
            raise ValueError(f"{self._name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    # --- what each optimizer writes ------------------------------------------------------

    def update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        """Change `param` in place from its gradient array `grad`, reading and updating `state`
        (this parameter's buffers, empty at the first step) and the hyper-parameters in `group`."""
        raise NotImplementedError(f"{self._name} does not say how to update a parameter (update)")

    def check_hyperparameters(self, group: dict) -> None:
        """Raise ValueError for a hyper-parameter of `group` out of its range (none checked here)."""

    def check_non_negative(self, group: dict, *names: str) -> None:
        """Raise ValueError unless group[name] >= 0 for each name (NaN fails too)."""
        for name in names:
            if not group[name] >= 0:
                raise ValueError(f"{self._name}: {name} must be >= 0, got {group[name]}")

    # --- the training loop's calls -------------------------------------------------------

    def step(self) -> None:
        """Update every parameter that has a gradient; parameters whose grad is None are skipped."""
        with no_grad():  # the parameters require grad; their in-place change is not part of any graph
            for group in self.param_groups:
                for param in group["params"]:
                    if param.grad is not None:
                        self.update(param, self._grad_array(param), self.state.setdefault(param, {}), group)

    def _grad_array(self, param: Tensor):
        grad = param.grad.array
        if grad.shape != param.array.shape or grad.dtype != param.array.dtype or type(grad) is not type(param.array):
            raise ValueError(
                f"{self._name}.step: a parameter of shape {param.shape} ({param.dtype}, {param.device}) has a grad "
                f"of shape {param.grad.shape} ({param.grad.dtype}, {param.grad.device}); they must match"
            )
        return grad

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients before the next backward: set them to None, or fill them with 0."""
        clear_grads((param for group in self.param_groups for param in group["params"]), set_to_none)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters; hyper-parameters it does not set come from `defaults`."""
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{self._name}: a parameter group must be a dict with a 'params' entry")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(f"{self._name}: got an empty parameter list")
        for param in params:
            self._check_parameter(param)
        known = {param for group in self.param_groups for param in group["params"]}
        if len(set(params)) != len(params) or known.intersection(params):
            raise ValueError(f"{self._name}: a parameter appears more than once (in one group or in two)")
        group = {**self.defaults, **param_group, "params": params}
        self.check_hyperparameters(group)
        self.param_groups.append(group)

    def _check_parameter(self, param) -> None:
        if not isinstance(param, Tensor):
            raise TypeError(f"{self._name}: can only optimize Tensors, got {type(param).__name__}")
        if not param.is_floating_point():
            raise TypeError(f"{self._name}: can only optimize floating-point tensors, got one of dtype {param.dtype}")
        if not param.requires_grad:
            raise ValueError(
                f"{self._name}: a parameter of shape {param.shape} does not require grad, so it would never "
                "get a gradient; create it with requires_grad=True, or leave it out"
            )
        if not param.is_leaf:
            raise ValueError(
                f"{self._name}: a parameter of shape {param.shape} was computed by {param.grad_fn.label}, so it "
                "is not a leaf and its .grad stays None; optimize the tensors it was computed from"
            )

    # --- saving and loading --------------------------------------------------------------

    def state_dict(self) -> dict:
        """A snapshot in PyTorch's layout: {"state": {index: {name: array or number}},
        "param_groups": [{hyper-parameters..., "params": [index, ...]}]}, parameters numbered
        in group order. Arrays are copies, so later steps do not change the snapshot."""
        index: dict[Tensor, int] = {}
        param_groups = []
        for group in self.param_groups:
            saved = {key: value for key, value in group.items() if key != "params"}
            saved["params"] = [index.setdefault(param, len(index)) for param in group["params"]]
            param_groups.append(saved)
        state = {
            index[param]: {name: value if isinstance(value, numbers.Number) else value.copy()
                           for name, value in param_state.items()}
            for param, param_state in self.state.items() if param_state
        }
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Take hyper-parameters and state from `state_dict` (as `state_dict()` makes it).

        Everything is checked first, so a bad state dict raises ValueError and changes nothing.
        Arrays (NumPy, CuPy or Tensors) are copied to each parameter's device and dtype.
        """
        params_by_index = self._check_state_dict(state_dict)
        for group, saved in zip(self.param_groups, state_dict["param_groups"]):
            group.update({key: value for key, value in saved.items() if key != "params"})
        self.state = {}
        for index, saved_state in state_dict["state"].items():
            param = params_by_index[int(index)]
            self.state[param] = {name: self._as_state_value(value, param) for name, value in saved_state.items()}

    @staticmethod
    def _as_state_value(value, param: Tensor):
        if isinstance(value, numbers.Number):
            return value.item() if hasattr(value, "item") else value  # a NumPy scalar becomes a Python number
        array = value.array if isinstance(value, Tensor) else value
        return to_device(array, param.device).astype(param.dtype)  # astype copies

    def _check_state_dict(self, state_dict) -> dict[int, Tensor]:
        """Raise ValueError naming what is wrong; else map each saved index to its parameter."""
        where = f"{self._name}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{where}: expected a dict with keys 'param_groups' and 'state', got {keys}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{where}: the state dict has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        params_by_index = {}
        for number, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved.get("params", ())) != len(group["params"]):
                raise ValueError(f"{where}: parameter group {number} has {len(saved.get('params', ()))} "
                                 f"parameters in the state dict, {len(group['params'])} in this optimizer")
            params_by_index.update(zip(saved["params"], group["params"]))
        for index, saved_state in state_dict["state"].items():
            param = params_by_index.get(int(index))
            if param is None:
                raise ValueError(f"{where}: there is state for parameter {index}, which is in no parameter group")
            for name, value in saved_state.items():
                if isinstance(value, numbers.Number):
                    continue
                if not hasattr(value, "shape"):
                    raise ValueError(f"{where}: state {name!r} of parameter {index} is a {type(value).__name__}, "
                                     "not a number or an array")
                if tuple(value.shape) != param.shape:
                    raise ValueError(f"{where}: state {name!r} of parameter {index} has shape {tuple(value.shape)}, "
                                     f"but the parameter has shape {param.shape}")
        return params_by_index

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for number, group in enumerate(self.param_groups):
            settings = ", ".join(f"{key}={value}" for key, value in group.items() if key != "params")
            count = len(group["params"])
            lines.append(f"  group {number}: {count} parameter{'' if count == 1 else 's'}, {settings}")
        return "\n".join([*lines, ")"])
