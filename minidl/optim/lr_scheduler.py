"""Learning-rate schedules: change each parameter group's "lr" as training goes on.

A scheduler counts epochs (or batches) in `last_epoch`. Making one records each group's
starting lr as "initial_lr" and sets the lr for epoch 0; each `step()` moves to the next
epoch and writes that epoch's lr into the optimizer, as in PyTorch:

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, optimizer)
        scheduler.step()
"""

from __future__ import annotations

import math

from minidl.optim.optimizer import Optimizer

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "OneCycleLR", "StepLR"]


class LRScheduler:
    """The base class: subclasses say, in `get_lr`, what each group's lr is at `last_epoch`."""

    def __init__(self, optimizer: Optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()

    def get_lr(self) -> list[float]:
        """The lr of each parameter group at epoch `last_epoch`."""
        raise NotImplementedError(f"{type(self).__name__} does not say what the lr is (get_lr)")

    def step(self) -> None:
        """Move to the next epoch and set each group's lr for it."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The lr of each parameter group, as the last `step()` (or the constructor) set it."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Everything but the optimizer (which saves itself): plain numbers, strings and lists."""
        return {key: value for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        """Take up the schedule where `state_dict` left it (the optimizer's lrs come with its own state dict)."""
        expected = set(self.state_dict())
        if set(state_dict) != expected:
            missing, unexpected = sorted(expected - set(state_dict)), sorted(set(state_dict) - expected)
            raise ValueError(f"{type(self).__name__}.load_state_dict: missing keys {missing}, "
                             f"unexpected keys {unexpected}")
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """lr = initial_lr * gamma ** (epoch // step_size): multiply by gamma every step_size epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        if not step_size > 0:
            raise ValueError(f"StepLR: step_size must be a positive number of epochs, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = initial_lr * gamma ** epoch: multiply by gamma every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float):
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2.

    Half a cosine from initial_lr down to eta_min over T_max epochs; past T_max it climbs back
    (the cosine goes on), as PyTorch's does.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):
        if not T_max > 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive number of epochs, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cosine for base_lr in self.base_lrs]


def _cosine_anneal(start: float, end: float, fraction: float) -> float:
    """From start (fraction 0) to end (fraction 1) along half a cosine."""
    return end + (start - end) * (1 + math.cos(math.pi * fraction)) / 2


def _linear_anneal(start: float, end: float, fraction: float) -> float:
    """From start (fraction 0) to end (fraction 1) along a straight line."""
    return start + (end - start) * fraction


_ANNEAL = {"cos": _cosine_anneal, "linear": _linear_anneal}


class OneCycleLR(LRScheduler):
    """The 1cycle policy, stepped once per batch: lr climbs from max_lr / div_factor to max_lr
    over the first pct_start of total_steps, then anneals down to max_lr / div_factor / final_div_factor.

    Momentum (SGD's momentum, or Adam's beta1) moves the opposite way, from max_momentum down to
    base_momentum at the peak and back up. With three_phase, lr comes back down to its start
    symmetrically, then anneals to the minimum in a third phase. Stepping past total_steps is an error.
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float], total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85, max_momentum: float | list[float] = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"OneCycleLR: expected an Optimizer, got {type(optimizer).__name__}")
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
            _check_positive_int("epochs", epochs)
            _check_positive_int("steps_per_epoch", steps_per_epoch)
            total_steps = epochs * steps_per_epoch
        _check_positive_int("total_steps", total_steps)
        if not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in _ANNEAL:
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        groups = optimizer.param_groups
        if cycle_momentum and "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            raise ValueError(f"OneCycleLR: {type(optimizer).__name__} has neither momentum nor betas to cycle; "
                             "pass cycle_momentum=False")
        self.total_steps, self.anneal_strategy, self.cycle_momentum = total_steps, anneal_strategy, cycle_momentum
        self.use_beta1 = "betas" in optimizer.defaults
        # Each phase anneals from one group entry to another, ending at step end_step (the names as PyTorch's).
        peak = float(pct_start * total_steps) - 1
        if three_phase:
            self._schedule_phases = [
                _phase(peak, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                _phase(2 * peak, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                _phase(total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._schedule_phases = [
                _phase(peak, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                _phase(total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        max_lrs = _per_group("max_lr", max_lr, groups)
        max_momentums = _per_group("max_momentum", max_momentum, groups)
        base_momentums = _per_group("base_momentum", base_momentum, groups)
        for group, group_max_lr, group_max_momentum, group_base_momentum in zip(
                groups, max_lrs, max_momentums, base_momentums):
            group["initial_lr"] = group_max_lr / div_factor
            group["max_lr"] = group_max_lr
            group["min_lr"] = group["initial_lr"] / final_div_factor
            if cycle_momentum:
                group["max_momentum"], group["base_momentum"] = group_max_momentum, group_base_momentum
        super().__init__(optimizer)

    def step(self) -> None:
        """Move to the next batch: set lr (and momentum) for it; raise past total_steps."""
        if self.last_epoch + 1 > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {self.last_epoch + 1} times, but the schedule has "
                             f"total_steps={self.total_steps}; make a new scheduler to train longer")
        super().step()
        if self.cycle_momentum:
            for group in self.optimizer.param_groups:
                momentum = self._scheduled(group, "momentum")
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum

    def get_lr(self) -> list[float]:
        return [self._scheduled(group, "lr") for group in self.optimizer.param_groups]

    def _scheduled(self, group: dict, quantity: str) -> float:
        """The value of `quantity` ("lr" or "momentum") at `last_epoch`, annealed within its phase."""
        start_step = 0.0
        for phase in self._schedule_phases[:-1]:
            if self.last_epoch <= phase["end_step"]:
                break
            start_step = phase["end_step"]
        else:
            phase = self._schedule_phases[-1]
        fraction = (self.last_epoch - start_step) / (phase["end_step"] - start_step)
        anneal = _ANNEAL[self.anneal_strategy]
        return anneal(group[phase[f"start_{quantity}"]], group[phase[f"end_{quantity}"]], fraction)


def _phase(end_step: float, start_lr: str, end_lr: str, start_momentum: str, end_momentum: str) -> dict:
    return dict(end_step=end_step, start_lr=start_lr, end_lr=end_lr, start_momentum=start_momentum,
                end_momentum=end_momentum)


def _check_positive_int(name: str, value) -> None:
    if not isinstance(value, int) or value <= 0:
        raise ValueError(f"OneCycleLR: {name} must be a positive integer, got {value}")


def _per_group(name: str, value, groups: list[dict]) -> list[float]:
    """One value for every group: a number is shared, a list gives one per group."""
    if not isinstance(value, (list, tuple)):
        return [value] * len(groups)
    if len(value) != len(groups):
        raise ValueError(f"OneCycleLR: {name} has {len(value)} values, the optimizer has {len(groups)} "
                         "parameter groups")
    return list(value)
