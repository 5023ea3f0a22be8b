"""The checker of lesson 03: right answers pass with the pass line. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import pytest
from conftest import fails_with

from fmnist_core.checks import lesson03 as check

PASS = "✓ 练习 1 通过：参数与参考一致，平均损失正确 / Exercise 1 passed: parameters and mean loss right\n"


def epoch(model, loader, loss_fn, optimizer):
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


@pytest.mark.parametrize("answer", [epoch, epoch_zero_grad_first])
def test_right_answers_pass(answer, capsys):
    check.ex1_train_one_epoch(answer)
    assert capsys.readouterr().out == PASS


def test_another_wrong_loss_gets_the_general_hint():
    fails_with(check.ex1_train_one_epoch, lambda *args: epoch(*args) + 0.5, "is wrong: expected")
