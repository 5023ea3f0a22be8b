"""The checker of lesson 03: a right answer passes; each anticipated mistake gets its own hint."""

import functools

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import CheckFailed
from fmnist_core.checks import lesson03 as check


def epoch_right(model, loader, loss_fn, optimizer):
    model.train()
    total, count = 0.0, 0
    for X, y in loader:
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        total += loss.item() * len(y)
        count += len(y)
    return total / count


def epoch_zero_grad_first(model, loader, loss_fn, optimizer):
    """The official tutorial's order: zero_grad before backward. Equivalent."""
    model.train()
    total = 0.0
    for X, y in loader:
        loss = loss_fn(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
    return total / len(loader.dataset)


def test_right_answers_pass(capsys):
    check.ex1_train_one_epoch(epoch_right)
    check.ex1_train_one_epoch(epoch_zero_grad_first)
    assert capsys.readouterr().out.count("Exercise 1 passed") == 2


@pytest.mark.parametrize("kw, zh, en", check.EX1_MISTAKES)
def test_mistakes_are_named(kw, zh, en):
    fails_with(check.ex1_train_one_epoch, functools.partial(check._reference_epoch, **kw), (zh, en))


def loop(*, step=True, zero_between=False, no_grad=False, steps=1, tensor=False):
    def answer(model, loader, loss_fn, optimizer):
        model.train()
        total, count = 0.0, 0
        for X, y in loader:
            if no_grad:
                with torch.no_grad():
                    loss = loss_fn(model(X), y)
            else:
                loss = loss_fn(model(X), y)
            loss.backward()
            if zero_between:
                optimizer.zero_grad()
            for _ in range(steps if step else 0):
                optimizer.step()
            optimizer.zero_grad()
            total += loss.detach() * len(y) if tensor else loss.item() * len(y)
            count += len(y)
        return total / count

    return answer


@pytest.mark.parametrize(
    "answer, hint",
    [
        (loop(step=False), check.EX1_UNCHANGED),
        (loop(zero_between=True), check.EX1_UNCHANGED),
        (loop(no_grad=True), check.EX1_NO_GRAD),
        (loop(steps=2), check.EX1_ORDER),
    ],
)
def test_loop_mistakes_are_named(answer, hint):
    fails_with(check.ex1_train_one_epoch, answer, hint)


def test_a_tensor_is_not_a_float():
    with pytest.raises(CheckFailed, match="return a Python float"):
        check.ex1_train_one_epoch(loop(tensor=True))


def test_other_wrong_losses_get_the_general_hint():
    def off(model, loader, loss_fn, optimizer):
        return epoch_right(model, loader, loss_fn, optimizer) + 0.5

    with pytest.raises(CheckFailed, match="is wrong: expected"):
        check.ex1_train_one_epoch(off)


def test_unfinished_raises():
    def unfinished(model, loader, loss_fn, optimizer):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check.ex1_train_one_epoch(unfinished)
