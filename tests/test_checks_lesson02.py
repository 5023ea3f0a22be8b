"""The checkers of lesson 02: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson02 as check

PASS = {
    1: "✓ 练习 1 通过：与 SGD 的一步相同，梯度已清空 / Exercise 1 passed: the step of SGD, grads cleared",
    2: "✓ 练习 2 通过：与自动求导相差 O(h²) / Exercise 2 passed: within O(h²) of autograd",
    3: "✓ 练习 3 通过：k 次之后 w.grad = 12k / Exercise 3 passed: w.grad = 12k after k calls",
}


def sgd_step(model, lr):
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    model.zero_grad()


def sgd_step_on_data(model, lr):
    for p in model.parameters():
        p.data -= lr * p.grad
        p.grad.zero_()


def sgd_step_setting_none(model, lr):
    with torch.no_grad():
        for p in model.parameters():
            p.sub_(lr * p.grad)
            p.grad = None


def numerical_grad(f, theta, h):
    grad = torch.zeros_like(theta)
    for k in range(theta.numel()):
        e_k = torch.zeros_like(theta)
        e_k.view(-1)[k] = h
        grad.view(-1)[k] = (f(theta + e_k) - f(theta - e_k)) / (2 * h)
    return grad


def numerical_grad_on_a_clone(f, theta, h):
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


def grad_after(k):
    w = torch.tensor(2.0, requires_grad=True)
    for _ in range(k):
        (w**3).backward()
    return w.grad


def grad_after_retaining_the_graph(k):
    w = torch.tensor(2.0, requires_grad=True)
    loss = w**3
    for _ in range(k):
        loss.backward(retain_graph=True)
    return w.grad


@pytest.mark.parametrize(
    "checker, answer",
    [
        (check.ex1_manual_sgd_step, sgd_step),
        (check.ex1_manual_sgd_step, sgd_step_on_data),
        (check.ex1_manual_sgd_step, sgd_step_setting_none),
        (check.ex2_numerical_grad, numerical_grad),
        (check.ex2_numerical_grad, numerical_grad_on_a_clone),
        (check.ex3_grad_after, grad_after),
        (check.ex3_grad_after, grad_after_retaining_the_graph),
    ],
)
def test_right_answers_pass(checker, answer, capsys):
    checker(answer)
    exercise = int(checker.__name__[2])  # ex1_... is exercise 1
    assert capsys.readouterr().out == PASS[exercise] + "\n"


def half_a_step(model, lr):
    sgd_step(model, lr / 2)


@pytest.mark.parametrize(
    "checker, answer, hint",
    [
        (check.ex1_manual_sgd_step, half_a_step, "constant factor: 0.5 times"),
        (check.ex2_numerical_grad, lambda f, th, h: numerical_grad(f, th, h).tolist(), "got list"),
        (check.ex3_grad_after, lambda k: grad_after(k).item(), "return w.grad (a tensor), got"),
    ],
)
def test_other_mistakes_get_a_general_hint(checker, answer, hint):
    fails_with(checker, answer, hint)
