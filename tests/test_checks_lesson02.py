"""The checkers of lesson 02: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson02 as check

PASS = {
    1: "✓ 练习 1 通过：一次 2w + 1 = 9，两次不清零是 18 / "
    "Exercise 1 passed: 2w + 1 = 9 once, 18 twice without clearing",
    2: "✓ 练习 2 通过：三个错误都改好了，两步与 SGD 相同 / "
    "Exercise 2 passed: all three bugs fixed, two steps as SGD takes them",
    3: "✓ 练习 3 通过：m 次向量–雅可比积拼出了整个雅可比矩阵\n"
    "✓ Exercise 3 passed: m vector-Jacobian products make the whole Jacobian",
}


def train_step(model, X, y, lr):
    loss = ((model(X) - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    model.zero_grad()
    return loss.item()


def train_step_clearing_first(model, X, y, lr):
    model.zero_grad()  # before the forward pass, as lesson 03's loop does
    loss = ((model(X) - y) ** 2).mean()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.detach()  # a one-element tensor is a number too


def train_step_with_sub_(model, X, y, lr):
    loss = ((model(X) - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p.sub_(lr * p.grad)
            p.grad = None
    return loss.item()


def jacobian_by_rows(f, x):
    x = x.detach().clone().requires_grad_()
    out = f(x)
    rows = []
    for i in range(out.numel()):
        v = torch.zeros_like(out)
        v[i] = 1.0
        x.grad = None
        out.backward(gradient=v, retain_graph=True)
        rows.append(x.grad.clone())
    return torch.stack(rows)


def jacobian_by_autograd_grad(f, x):
    """A new forward pass per row, torch.autograd.grad with grad_outputs, nothing in .grad."""
    x = x.clone().requires_grad_()
    m = f(x).numel()
    eye = torch.eye(m, dtype=x.dtype)
    return torch.stack([torch.autograd.grad(f(x), x, grad_outputs=eye[i])[0] for i in range(m)])


@pytest.mark.parametrize(
    "checker, answer",
    [
        (check.ex1_w_grad, lambda: 18.0),
        (check.ex1_w_grad, lambda: 18),
        (check.ex1_w_grad, lambda: torch.tensor(18.0)),
        (check.ex2_train_step, train_step),
        (check.ex2_train_step, train_step_clearing_first),
        (check.ex2_train_step, train_step_with_sub_),
        (check.ex3_jacobian, jacobian_by_rows),
        (check.ex3_jacobian, jacobian_by_autograd_grad),
    ],
)
def test_right_answers_pass(checker, answer, capsys):
    checker(answer)
    exercise = int(checker.__name__[2])  # ex1_... is exercise 1
    assert capsys.readouterr().out == PASS[exercise] + "\n"


def test_the_prediction_is_what_the_notebook_cell_prints():
    # the notebook's cell after the answer runs exactly this; the checker computes it itself
    w1 = torch.tensor(4.0, requires_grad=True)
    for _ in range(2):
        loss1 = w1 * w1 + w1
        loss1.backward()
    assert w1.grad.item() == check._w_grad() == 18.0


def test_each_wrong_prediction_is_a_different_number():
    values = [m.answer() for m in check.MISTAKES["ex1_w_grad"]]
    assert len(set(values)) == len(values) and check._w_grad() not in values


def test_the_buggy_cell_raises_what_the_notebook_prints():
    model, X, y = check._problem()
    with pytest.raises(TypeError, match="NoneType"):
        check._buggy(model, X, y, 0.1)


def jacobian_by_jacrev(f, x):
    return torch.func.jacrev(f)(x)


@pytest.mark.parametrize(
    "checker, answer, hint",
    [
        (check.ex1_w_grad, lambda: "18", "return one number, got str"),
        (check.ex1_w_grad, lambda: 7.5, "not 7.5: both inputs of w * w are w"),
        (check.ex2_train_step, lambda model, X, y, lr: None, "return one number, got NoneType"),
        (
            check.ex2_train_step,
            lambda model, X, y, lr: 2 * train_step(model, X, y, lr),
            "constant factor: 2 times",
        ),
        (
            check.ex2_train_step,
            lambda model, X, y, lr: train_step(model, X, y, lr / 2),
            "the parameters after each of two steps does not match",
        ),
        (check.ex3_jacobian, lambda f, x: jacobian_by_rows(f, x).tolist(), "got list"),
        (check.ex3_jacobian, jacobian_by_jacrev, check.USES_FUNCTIONAL.en),
        (check.ex3_jacobian, lambda f, x: 2 * jacobian_by_rows(f, x), "constant factor"),
    ],
)
def test_other_mistakes_get_a_general_hint(checker, answer, hint):
    fails_with(checker, answer, hint)


def test_the_jacobian_check_restores_what_it_patched():
    real = torch.autograd.functional.jacobian, torch.func.jacrev, torch.func.jacfwd
    fails_with(check.ex3_jacobian, jacobian_by_jacrev, check.USES_FUNCTIONAL.en)
    assert (torch.autograd.functional.jacobian, torch.func.jacrev, torch.func.jacfwd) == real
