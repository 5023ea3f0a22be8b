"""The checkers of lesson 02: a right answer passes; each anticipated mistake gets its own hint."""

import pytest
import torch

from fmnist_core.checks import CheckFailed
from fmnist_core.checks import lesson02 as check


def fails_with(checker, answer, *hints):
    with pytest.raises(CheckFailed) as info:
        checker(answer)
    for hint in hints:
        assert hint in str(info.value), str(info.value)
    return str(info.value)


# ---------------------------------------------------------------- exercise 1

def sgd_right(model, lr):
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    model.zero_grad()


def test_ex1_right_answer_passes(capsys):
    check.ex1_manual_sgd_step(sgd_right)
    assert "练习 1 通过" in capsys.readouterr().out


def test_ex1_zeroing_in_place_also_passes(capsys):
    def zero_in_place(model, lr):
        for p in model.parameters():
            p.data -= lr * p.grad
            p.grad.zero_()
    check.ex1_manual_sgd_step(zero_in_place)
    assert "Exercise 1 passed" in capsys.readouterr().out


def test_ex1_mistakes_are_named():
    def uphill(model, lr):
        with torch.no_grad():
            for p in model.parameters():
                p += lr * p.grad
        model.zero_grad()
    fails_with(check.ex1_manual_sgd_step, uphill, "the step goes uphill")

    def no_lr(model, lr):
        with torch.no_grad():
            for p in model.parameters():
                p -= p.grad
        model.zero_grad()
    fails_with(check.ex1_manual_sgd_step, no_lr, "not multiplied by the learning rate")

    def rebinds(model, lr):
        with torch.no_grad():
            for p in model.parameters():
                p = p - lr * p.grad  # noqa: PLW2901 - the mistake under test
        model.zero_grad()
    fails_with(check.ex1_manual_sgd_step, rebinds, "only rebinds the name")

    def no_no_grad(model, lr):
        for p in model.parameters():
            p -= lr * p.grad
    fails_with(check.ex1_manual_sgd_step, no_no_grad, "torch.no_grad()")

    def keeps_grads(model, lr):
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    fails_with(check.ex1_manual_sgd_step, keeps_grads, "gradients were not cleared")

    def half(model, lr):
        with torch.no_grad():
            for p in model.parameters():
                p -= 0.5 * lr * p.grad
        model.zero_grad()
    fails_with(check.ex1_manual_sgd_step, half, "constant factor")


def test_ex1_unfinished_raises():
    def unfinished(model, lr):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check.ex1_manual_sgd_step(unfinished)


# ---------------------------------------------------------------- exercise 2

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


def epoch_variant(*, train=True, zero=True, zero_before_step=False, step=True, result="mean"):
    def answer(model, loader, loss_fn, optimizer):
        if train:
            model.train()
        losses, sizes = [], []
        for X, y in loader:
            loss = loss_fn(model(X), y)
            loss.backward()
            if zero_before_step:
                optimizer.zero_grad()
            if step:
                optimizer.step()
            if zero and not zero_before_step:
                optimizer.zero_grad()
            losses.append(loss)
            sizes.append(len(y))
        if result == "batch_mean":
            return sum(l.item() for l in losses) / len(losses)
        if result == "sum":
            return sum(l.item() * n for l, n in zip(losses, sizes))
        if result == "tensor":
            return sum(l.detach() * n for l, n in zip(losses, sizes)) / sum(sizes)
        return sum(l.item() * n for l, n in zip(losses, sizes)) / sum(sizes)
    return answer


def test_ex2_right_answers_pass(capsys):
    check.ex2_train_one_epoch(epoch_right)
    check.ex2_train_one_epoch(epoch_variant())
    assert capsys.readouterr().out.count("Exercise 2 passed") == 2


@pytest.mark.parametrize("wrong, hint", [
    (epoch_variant(zero=False), "optimizer.zero_grad() is missing"),
    (epoch_variant(zero_before_step=True), "did not change at all"),
    (epoch_variant(step=False), "did not change at all"),
    (epoch_variant(train=False), "model.train() is missing"),
    (epoch_variant(result="batch_mean"), "plain mean of the batch losses"),
    (epoch_variant(result="sum"), "the sum of the losses"),
    (epoch_variant(result="tensor"), "return a Python float"),
])
def test_ex2_mistakes_are_named(wrong, hint):
    fails_with(check.ex2_train_one_epoch, wrong, hint)


def test_ex2_other_loops_get_the_general_hint():
    def two_steps(model, loader, loss_fn, optimizer):
        model.train()
        total, count = 0.0, 0
        for X, y in loader:
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            optimizer.step()  # 走了两步 / two steps per batch
            optimizer.zero_grad()
            total += loss.item() * len(y)
            count += len(y)
        return total / count
    fails_with(check.ex2_train_one_epoch, two_steps, "the order is forward, loss")


# ---------------------------------------------------------------- exercise 3

def confusion_right(y_true, y_pred, num_classes):
    return torch.bincount(y_true * num_classes + y_pred, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def test_ex3_right_answer_passes(capsys):
    check.ex3_confusion_matrix(confusion_right)
    assert "练习 3 通过" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda t, p, k: confusion_right(t, p, k).T, "rows and columns are swapped"),
    (lambda t, p, k: confusion_right(t, p, k).float() / len(t), "do not normalize"),
    (lambda t, p, k: confusion_right(t, p, k).float() / confusion_right(t, p, k).sum(1, keepdim=True).clamp(min=1),
     "do not normalize the rows"),
    (lambda t, p, k: confusion_right(t, p, 4), "has shape (4, 4), expected (5, 5)"),
    (lambda t, p, k: confusion_right(t, p, k).tolist(), "return a torch.Tensor"),
])
def test_ex3_mistakes_are_named(wrong, hint):
    fails_with(check.ex3_confusion_matrix, wrong, hint)


# ---------------------------------------------------------------- exercise 4

def step_lr_right(lr0, gamma, step_size, epoch):
    return lr0 * gamma ** (epoch // step_size)


def test_ex4_right_answer_passes(capsys):
    check.ex4_step_lr(step_lr_right)
    assert "练习 4 通过" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda lr0, g, s, e: lr0 * g ** ((e + 1) // s), "one epoch early"),
    (lambda lr0, g, s, e: lr0 * g ** (-(-e // s)), "rounded up"),
    (lambda lr0, g, s, e: lr0 * g ** e, "applied every epoch"),
    (lambda lr0, g, s, e: lr0 * g * (e // s), "raised to a power"),
    (lambda lr0, g, s, e: lr0, "does not match"),
])
def test_ex4_mistakes_are_named(wrong, hint):
    fails_with(check.ex4_step_lr, wrong, hint)
