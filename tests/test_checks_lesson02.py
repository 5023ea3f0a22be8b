"""The checkers of lesson 02: a right answer passes; each anticipated mistake gets its own hint."""

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import CheckFailed
from fmnist_core.checks import lesson02 as check

# ---------------------------------------------------------------- exercise 1


def sgd_right(model, lr):
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    model.zero_grad()


def test_ex1_right_answers_pass(capsys):
    def data_and_zero_in_place(model, lr):
        for p in model.parameters():
            p.data -= lr * p.grad
            p.grad.zero_()

    def set_to_none(model, lr):
        with torch.no_grad():
            for p in model.parameters():
                p.sub_(lr * p.grad)
                p.grad = None

    for answer in (sgd_right, data_and_zero_in_place, set_to_none):
        check.ex1_manual_sgd_step(answer)
    assert capsys.readouterr().out.count("Exercise 1 passed") == 3


@pytest.mark.parametrize("update, zh, en", check.EX1_MISTAKES)
def test_ex1_wrong_updates_are_named(update, zh, en):
    def answer(model, lr):
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(update(p, p.grad, lr))
        model.zero_grad()

    fails_with(check.ex1_manual_sgd_step, answer, (zh, en))


def no_no_grad(model, lr):
    for p in model.parameters():
        p -= lr * p.grad


def cleared_first(model, lr):
    model.zero_grad()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad


def zeroed_first(model, lr):
    for p in model.parameters():
        p.grad.zero_()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad


def rebinds(model, lr):
    with torch.no_grad():
        for p in model.parameters():
            p = p - lr * p.grad  # noqa: PLW2901 - the mistake under test
    model.zero_grad()


def detaches(model, lr):
    for p in model.parameters():
        p.data = (p - lr * p.grad).detach()
        p.requires_grad_(False)


def keeps_grads(model, lr):
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad


@pytest.mark.parametrize(
    "answer, hint",
    [
        (no_no_grad, check.EX1_NO_GRAD),
        (cleared_first, check.EX1_CLEARED_FIRST),
        (zeroed_first, check.EX1_UNCHANGED),
        (rebinds, check.EX1_UNCHANGED),
        (detaches, check.EX1_DETACHED),
        (keeps_grads, check.EX1_NOT_CLEARED),
    ],
)
def test_ex1_behaviour_mistakes_are_named(answer, hint):
    fails_with(check.ex1_manual_sgd_step, answer, hint)


def test_ex1_other_factors_get_the_general_hint():
    def half(model, lr):
        with torch.no_grad():
            for p in model.parameters():
                p -= 0.5 * lr * p.grad
        model.zero_grad()

    with pytest.raises(CheckFailed, match="constant factor"):
        check.ex1_manual_sgd_step(half)


def test_ex1_unfinished_raises():
    def unfinished(model, lr):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check.ex1_manual_sgd_step(unfinished)


# ---------------------------------------------------------------- exercise 2


def numerical_grad_right(f, theta, h):
    grad = torch.zeros_like(theta)
    for k in range(theta.numel()):
        e_k = torch.zeros_like(theta)
        e_k.view(-1)[k] = h
        grad.view(-1)[k] = (f(theta + e_k) - f(theta - e_k)) / (2 * h)
    return grad


def numerical_grad_clone(f, theta, h):
    """Another right answer: move a clone in place and put it back."""
    t, grad = theta.clone(), torch.empty_like(theta)
    flat, out = t.view(-1), grad.view(-1)
    for k in range(t.numel()):
        old = flat[k].item()
        flat[k] = old + h
        up = f(t)
        flat[k] = old - h
        out[k] = (up - f(t)) / (2 * h)
        flat[k] = old
    return grad


def test_ex2_right_answers_pass(capsys):
    check.ex2_numerical_grad(numerical_grad_right)
    check.ex2_numerical_grad(numerical_grad_clone)
    assert capsys.readouterr().out.count("Exercise 2 passed") == 2


@pytest.mark.parametrize("wrong, zh, en", check.EX2_MISTAKES)
def test_ex2_mistakes_are_named(wrong, zh, en):
    fails_with(check.ex2_numerical_grad, wrong, (zh, en))


def float32_result(f, theta, h):
    return numerical_grad_right(f, theta, h).float()


def flat_result(f, theta, h):
    return numerical_grad_right(f, theta, h).reshape(-1)


def changes_theta(f, theta, h):
    grad = torch.zeros_like(theta)
    for k in range(theta.numel()):
        theta.view(-1)[k] += h
        up = f(theta)
        theta.view(-1)[k] -= 2 * h
        grad.view(-1)[k] = (up - f(theta)) / (2 * h)
        theta.view(-1)[k] += h  # 放回去，但浮点数不一定回到原值 / put back, not always exactly
    theta.add_(1.0)  # 确保改动可见 / make the change certain
    return grad


@pytest.mark.parametrize(
    "answer, hint",
    [
        (float32_result, check.EX2_DTYPE),
        (flat_result, check.EX2_SHAPE),
        (changes_theta, check.EX2_CHANGED),
    ],
)
def test_ex2_behaviour_mistakes_are_named(answer, hint):
    fails_with(check.ex2_numerical_grad, answer, hint)


def test_ex2_not_a_tensor():
    with pytest.raises(CheckFailed, match="return a torch.Tensor"):
        check.ex2_numerical_grad(lambda f, theta, h: numerical_grad_right(f, theta, h).tolist())


# ---------------------------------------------------------------- exercise 3


def grad_after_right(k):
    w = torch.tensor(2.0, requires_grad=True)
    for _ in range(k):
        (w**3).backward()
    return w.grad


def test_ex3_right_answers_pass(capsys):
    def retain_graph(k):
        w = torch.tensor(2.0, requires_grad=True)
        loss = w**3
        for _ in range(k):
            loss.backward(retain_graph=True)
        return w.grad

    check.ex3_grad_after(grad_after_right)
    check.ex3_grad_after(retain_graph)
    assert capsys.readouterr().out.count("Exercise 3 passed") == 2


@pytest.mark.parametrize("wrong, zh, en", check.EX3_MISTAKES)
def test_ex3_mistakes_are_named(wrong, zh, en):
    fails_with(check.ex3_grad_after, lambda k: torch.tensor(float(wrong(k))), (zh, en))


def test_ex3_cleared_each_time_is_the_first_mistake():
    def cleared(k):
        w = torch.tensor(2.0, requires_grad=True)
        for _ in range(k):
            w.grad = None
            (w**3).backward()
        return w.grad

    fails_with(check.ex3_grad_after, cleared, check.EX3_MISTAKES[0][1:])


def test_ex3_one_graph_twice_is_named():
    def same_graph(k):
        w = torch.tensor(2.0, requires_grad=True)
        loss = w**3
        for _ in range(k):
            loss.backward()
        return w.grad

    fails_with(check.ex3_grad_after, same_graph, check.EX3_SAME_GRAPH)


def test_ex3_not_a_tensor():
    with pytest.raises(CheckFailed, match="return w.grad"):
        check.ex3_grad_after(lambda k: grad_after_right(k).item())
