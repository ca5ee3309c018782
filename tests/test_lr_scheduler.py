"""Learning-rate schedules against their formulas, against torch.optim.lr_scheduler when it is
installed, and their state dicts and errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import minidl
from minidl.optim import SGD, Adagrad, Adam, lr_scheduler
from minidl.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, LRScheduler, OneCycleLR, StepLR


def sgd(*lrs, momentum=0.9):
    """An SGD with one parameter group per learning rate."""
    return SGD([{"params": [minidl.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs], lr=lrs[0],
               momentum=momentum)


def lr_history(scheduler, epochs):
    """The lrs of every group for epoch 0 (set by the constructor) and the `epochs` that follow."""
    history = [scheduler.get_last_lr()]
    for _ in range(epochs):
        scheduler.step()
        history.append(scheduler.get_last_lr())
    return np.array(history)


def one_cycle_reference(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4,
                        three_phase=False, anneal_strategy="cos", low=None, high=None):
    """OneCycleLR's lr at `step`, from its description: up from max_lr / div_factor to max_lr until
    step pct_start * total_steps - 1, then down to max_lr / div_factor / final_div_factor at
    total_steps - 1 (with three_phase: back down to the start first, mirroring the climb).
    Given low and high instead of lrs, the same curve for momentum (high at start, low at the peak)."""
    initial, peak, final = max_lr / div_factor, max_lr, max_lr / div_factor / final_div_factor
    if low is not None:
        initial, peak, final = high, low, high
    up_end = pct_start * total_steps - 1
    if three_phase:
        phases = [(0, up_end, initial, peak), (up_end, 2 * up_end, peak, initial), (2 * up_end, total_steps - 1,
                                                                                   initial, final)]
    else:
        phases = [(0, up_end, initial, peak), (up_end, total_steps - 1, peak, final)]
    start, end, begin_value, end_value = next((p for p in phases if step <= p[1]), phases[-1])
    fraction = (step - start) / (end - start)
    if anneal_strategy == "linear":
        return begin_value + (end_value - begin_value) * fraction
    return end_value + (begin_value - end_value) * (1 + math.cos(math.pi * fraction)) / 2


SCHEDULES = [
    (lambda opt: StepLR(opt, step_size=3, gamma=0.5), lambda base, e: base * 0.5 ** (e // 3),
     lambda torch, opt: torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)),
    (lambda opt: ExponentialLR(opt, gamma=0.8), lambda base, e: base * 0.8**e,
     lambda torch, opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.8)),
    (lambda opt: CosineAnnealingLR(opt, T_max=6), lambda base, e: base * (1 + math.cos(math.pi * e / 6)) / 2,
     lambda torch, opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6)),
    (lambda opt: CosineAnnealingLR(opt, T_max=5, eta_min=0.01),
     lambda base, e: 0.01 + (base - 0.01) * (1 + math.cos(math.pi * e / 5)) / 2,
     lambda torch, opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min=0.01)),
    (lambda opt: OneCycleLR(opt, max_lr=1.0, total_steps=14),
     lambda base, e: one_cycle_reference(e, 14, 1.0),
     lambda torch, opt: torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=14)),
]
SCHEDULE_IDS = ["StepLR", "ExponentialLR", "CosineAnnealingLR", "CosineAnnealingLR-eta_min", "OneCycleLR"]
EPOCHS = 14  # past T_max twice for the cosines, and OneCycleLR's whole schedule


@pytest.mark.parametrize("make, formula, make_torch", SCHEDULES, ids=SCHEDULE_IDS)
def test_schedules_follow_their_formula(make, formula, make_torch):
    optimizer = sgd(0.1, 0.4)
    history = lr_history(make(optimizer), EPOCHS)
    expected = [[formula(base, epoch) for base in (0.1, 0.4)] for epoch in range(EPOCHS + 1)]
    np.testing.assert_allclose(history, expected, rtol=1e-12, atol=1e-15)
    assert [group["lr"] for group in optimizer.param_groups] == list(history[-1])


@pytest.mark.parametrize("make, formula, make_torch", SCHEDULES, ids=SCHEDULE_IDS)
def test_schedules_match_torch(make, formula, make_torch):
    torch = pytest.importorskip("torch")
    torch_optimizer = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in (0.1, 0.4)],
                                      lr=0.1, momentum=0.9)
    torch_scheduler = make_torch(torch, torch_optimizer)
    expected = [torch_scheduler.get_last_lr()]
    for _ in range(EPOCHS):
        torch_optimizer.step()  # (no gradients: changes nothing, but PyTorch warns without it)
        torch_scheduler.step()
        expected.append(torch_scheduler.get_last_lr())
    np.testing.assert_allclose(lr_history(make(sgd(0.1, 0.4)), EPOCHS), expected, rtol=1e-10, atol=1e-14)


def test_constructing_a_scheduler_records_initial_lr():
    optimizer = sgd(0.1, 0.4)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.1)
    assert [group["initial_lr"] for group in optimizer.param_groups] == [0.1, 0.4]
    assert scheduler.base_lrs == [0.1, 0.4] and scheduler.last_epoch == 0
    scheduler.step()
    scheduler.step()
    assert scheduler.last_epoch == 2
    np.testing.assert_allclose([group["lr"] for group in optimizer.param_groups], [0.01, 0.04])
    assert [group["initial_lr"] for group in optimizer.param_groups] == [0.1, 0.4]


def test_the_optimizer_steps_with_the_scheduled_lr():
    param = minidl.tensor(np.zeros(1), requires_grad=True)
    optimizer = SGD([param], lr=1.0)
    scheduler = ExponentialLR(optimizer, gamma=0.5)
    for _ in range(3):  # lr 1, 0.5, 0.25
        param.grad = minidl.tensor(np.ones(1))
        optimizer.step()
        scheduler.step()
    np.testing.assert_allclose(param.numpy(), [-1.75])


def test_get_last_lr_is_a_copy():
    scheduler = StepLR(sgd(0.1), step_size=1)
    scheduler.get_last_lr().append(5.0)
    assert scheduler.get_last_lr() == [0.1]


def test_a_scheduler_without_get_lr_says_so():
    with pytest.raises(NotImplementedError, match="LRScheduler does not say what the lr is"):
        LRScheduler(sgd(0.1))


# --- OneCycleLR ---------------------------------------------------------------------------------------


def test_one_cycle_starts_peaks_and_ends_where_documented():
    optimizer = sgd(0.1)
    history = lr_history(OneCycleLR(optimizer, max_lr=2.0, total_steps=20, pct_start=0.5), 19)[:, 0]
    np.testing.assert_allclose([history[0], history[9], history[19]], [2.0 / 25, 2.0, 2.0 / 25 / 1e4], rtol=1e-12)
    assert history.argmax() == 9
    assert optimizer.param_groups[0]["momentum"] == pytest.approx(0.95)


@pytest.mark.parametrize("options", [
    dict(total_steps=20),
    dict(total_steps=20, anneal_strategy="linear"),
    dict(total_steps=20, three_phase=True),
    dict(total_steps=20, three_phase=True, anneal_strategy="linear", pct_start=0.25),
    dict(epochs=3, steps_per_epoch=5, div_factor=10.0, final_div_factor=100.0),
    dict(total_steps=10, pct_start=0.45, base_momentum=0.7, max_momentum=0.9),
], ids=["cos", "linear", "three-phase", "three-phase-linear", "epochs", "momentum-range"])
def test_one_cycle_lr_and_momentum_follow_the_formula(options):
    optimizer = sgd(0.1)
    scheduler = OneCycleLR(optimizer, max_lr=0.5, **options)
    total = options.get("total_steps") or options["epochs"] * options["steps_per_epoch"]
    assert scheduler.total_steps == total
    shape = {key: options[key] for key in ("pct_start", "three_phase", "anneal_strategy", "div_factor",
                                           "final_div_factor") if key in options}
    momentum_range = dict(low=options.get("base_momentum", 0.85), high=options.get("max_momentum", 0.95))
    for step in range(total):
        if step:
            scheduler.step()
        np.testing.assert_allclose(scheduler.get_last_lr()[0], one_cycle_reference(step, total, 0.5, **shape),
                                   rtol=1e-12)
        np.testing.assert_allclose(optimizer.param_groups[0]["momentum"],
                                   one_cycle_reference(step, total, 0.5, **shape, **momentum_range), rtol=1e-12)


def test_one_cycle_cycles_adams_beta1_and_keeps_beta2():
    optimizer = Adam([minidl.zeros(2, requires_grad=True)], betas=(0.9, 0.99))
    scheduler = OneCycleLR(optimizer, max_lr=0.01, total_steps=10)
    beta1s = [optimizer.param_groups[0]["betas"][0]]
    for _ in range(9):
        scheduler.step()
        beta1s.append(optimizer.param_groups[0]["betas"][0])
        assert optimizer.param_groups[0]["betas"][1] == 0.99
    expected = [one_cycle_reference(step, 10, 0.01, low=0.85, high=0.95) for step in range(10)]
    np.testing.assert_allclose(beta1s, expected, rtol=1e-12)


def test_one_cycle_takes_one_max_lr_per_group():
    scheduler = OneCycleLR(sgd(0.1, 0.1), max_lr=[1.0, 0.1], total_steps=10, cycle_momentum=False)
    np.testing.assert_allclose(scheduler.get_last_lr(), [1.0 / 25, 0.1 / 25])


@pytest.mark.parametrize("optimizer_name, options", [
    ("SGD", dict(max_lr=0.5, total_steps=12)),
    ("SGD", dict(max_lr=[0.5, 2.0], epochs=2, steps_per_epoch=7, three_phase=True, anneal_strategy="linear")),
    ("Adam", dict(max_lr=0.01, total_steps=11, pct_start=0.4, base_momentum=0.8, max_momentum=0.9)),
], ids=["sgd", "sgd-three-phase", "adam"])
def test_one_cycle_matches_torch(optimizer_name, options):
    torch = pytest.importorskip("torch")
    ours_class, theirs_class = {"SGD": (SGD, torch.optim.SGD), "Adam": (Adam, torch.optim.Adam)}[optimizer_name]
    extra = dict(momentum=0.9) if optimizer_name == "SGD" else {}
    ours = ours_class([{"params": [minidl.zeros(1, requires_grad=True)]} for _ in range(2)], lr=0.1, **extra)
    theirs = theirs_class([{"params": [torch.zeros(1, requires_grad=True)]} for _ in range(2)], lr=0.1, **extra)
    ours_scheduler = OneCycleLR(ours, **options)
    theirs_scheduler = torch.optim.lr_scheduler.OneCycleLR(theirs, **options)
    for _ in range(ours_scheduler.total_steps):
        for our_group, their_group in zip(ours.param_groups, theirs.param_groups):
            for key in ("lr", "initial_lr", "max_lr", "min_lr", "momentum", "betas"):
                if key in our_group:
                    np.testing.assert_allclose(our_group[key], their_group[key], rtol=1e-12, err_msg=key)
        theirs.step()
        theirs_scheduler.step()
        ours_scheduler.step()


def test_one_cycle_cannot_step_past_total_steps():
    scheduler = OneCycleLR(sgd(0.1), max_lr=1.0, total_steps=5)
    for _ in range(5):  # epochs 1 to 5: the last step a training loop of 5 batches makes is allowed
        scheduler.step()
    lr = scheduler.get_last_lr()
    with pytest.raises(ValueError, match="OneCycleLR: tried to step 6 times, but the schedule has total_steps=5"):
        scheduler.step()
    assert scheduler.last_epoch == 5 and scheduler.get_last_lr() == lr


@pytest.mark.parametrize("make, error, message", [
    (lambda: StepLR(sgd(0.1), step_size=0), ValueError, "StepLR: step_size must be a positive number of epochs"),
    (lambda: CosineAnnealingLR(sgd(0.1), T_max=0), ValueError, "CosineAnnealingLR: T_max must be a positive"),
    (lambda: StepLR("optimizer", step_size=1), TypeError, "StepLR: expected an Optimizer, got str"),
    (lambda: OneCycleLR(None, max_lr=1.0, total_steps=5), TypeError, "OneCycleLR: expected an Optimizer"),
    (lambda: OneCycleLR(sgd(0.1), max_lr=1.0), ValueError, "give total_steps, or epochs and steps_per_epoch"),
    (lambda: OneCycleLR(sgd(0.1), max_lr=1.0, total_steps=0), ValueError, "total_steps must be a positive integer"),
    (lambda: OneCycleLR(sgd(0.1), max_lr=1.0, epochs=2, steps_per_epoch=1.5), ValueError, "steps_per_epoch must be"),
    (lambda: OneCycleLR(sgd(0.1), max_lr=1.0, total_steps=5, pct_start=1.5), ValueError,
     r"pct_start must be in \[0, 1\]"),
    (lambda: OneCycleLR(sgd(0.1), max_lr=1.0, total_steps=5, anneal_strategy="cosine"), ValueError,
     "anneal_strategy must be 'cos' or 'linear', got 'cosine'"),
    (lambda: OneCycleLR(sgd(0.1), max_lr=[1.0, 2.0], total_steps=5), ValueError,
     "max_lr has 2 values, the optimizer has 1 parameter groups"),
    (lambda: OneCycleLR(Adagrad([minidl.zeros(1, requires_grad=True)]), max_lr=1.0, total_steps=5), ValueError,
     "OneCycleLR: Adagrad has neither momentum nor betas to cycle; pass cycle_momentum=False"),
], ids=["step_size", "T_max", "not-optimizer", "one-cycle-not-optimizer", "no-total", "total-0", "steps-per-epoch",
        "pct_start", "anneal", "max_lr-list", "no-momentum"])
def test_bad_arguments_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_one_cycle_without_momentum_works_for_adagrad():
    optimizer = Adagrad([minidl.zeros(1, requires_grad=True)])
    scheduler = OneCycleLR(optimizer, max_lr=1.0, total_steps=5, cycle_momentum=False)
    assert scheduler.get_last_lr() == pytest.approx([1.0 / 25]) and "momentum" not in optimizer.param_groups[0]


# --- state dicts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda opt: StepLR(opt, step_size=2, gamma=0.5),
    lambda opt: CosineAnnealingLR(opt, T_max=5, eta_min=0.01),
    lambda opt: OneCycleLR(opt, max_lr=[1.0, 3.0], total_steps=10, three_phase=True),
], ids=["StepLR", "CosineAnnealingLR", "OneCycleLR"])
def test_state_dict_round_trip_through_json_continues_identically(make):
    optimizer_a = sgd(0.1, 0.2)
    scheduler_a = make(optimizer_a)
    for _ in range(4):
        scheduler_a.step()
    optimizer_b = sgd(0.7, 0.7, momentum=0.0)
    scheduler_b = make(optimizer_b)
    optimizer_b.load_state_dict(optimizer_a.state_dict())
    scheduler_b.load_state_dict(json.loads(json.dumps(scheduler_a.state_dict())))
    assert scheduler_b.last_epoch == 4 and scheduler_b.get_last_lr() == scheduler_a.get_last_lr()
    for _ in range(4):
        scheduler_a.step()
        scheduler_b.step()
        assert scheduler_b.get_last_lr() == scheduler_a.get_last_lr()
        assert optimizer_b.param_groups[0]["momentum"] == optimizer_a.param_groups[0]["momentum"]


def test_load_state_dict_of_another_scheduler_is_an_error():
    scheduler = StepLR(sgd(0.1), step_size=2)
    with pytest.raises(ValueError, match=r"StepLR.load_state_dict: missing keys \['gamma', 'step_size'\], "
                                         r"unexpected keys \['T_max', 'eta_min'\]"):
        scheduler.load_state_dict(CosineAnnealingLR(sgd(0.1), T_max=3).state_dict())
    assert scheduler.last_epoch == 0


def test_lr_scheduler_is_a_submodule_of_optim():
    assert lr_scheduler.StepLR is StepLR
