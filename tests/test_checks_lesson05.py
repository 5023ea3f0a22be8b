"""The checkers of lesson 05: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import ast
import inspect
import math
import textwrap
import warnings
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from conftest import fails_with
from torch import nn

from fmnist_core.checks import lesson05 as check

LESSON = Path(__file__).resolve().parents[1] / "notebooks" / "05_losses_regression.py"
PASS = {
    1: "✓ 练习 1 通过：每个预测都和全部目标比较，L1 把它们都拉到目标的中位数 7\n"
    "✓ Exercise 1 passed: each prediction meets every target; L1 pulls all to the median, 7\n",
    2: "✓ 练习 2 通过：形状相同、用均值，SGD 收敛到最小二乘的直线\n"
    "✓ Exercise 2 passed: equal shapes and the mean; SGD reaches the least-squares line\n",
    3: "✓ 练习 3 通过：log-cosh 对每种 reduction 都对，误差到 ±1000 仍有限，梯度是 tanh(e)\n"
    "✓ Exercise 3 passed: log-cosh right for every reduction, finite up to ±1000, gradient "
    "tanh(e)\n",
}


# --- Exercise 1 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer", [lambda: 7, lambda: 7.0, lambda: torch.tensor(7.0), lambda: 6.95]
)
def test_ex1_right_answers_pass(answer, capsys):
    check.ex1_l1_broadcast(answer)
    assert capsys.readouterr().out == PASS[1]


def test_ex1_truth_is_the_minimum_of_the_broadcast_l1_loss():
    # on a grid of lines w·x + b, the broadcast loss mean_ij |ŷ_i − y_j| is smallest at w = 0,
    # b = the median of the targets: the prediction at x = 6 is the checker's truth
    ws, bs = torch.linspace(-1, 1, 41), torch.linspace(0, 20, 201)
    pred = ws[:, None, None] * check.X7 + bs[None, :, None]  # (41, 201, 7)
    loss = (pred[..., :, None] - check.Y7).abs().mean((-1, -2))
    i, j = divmod(int(loss.argmin()), len(bs))
    assert ws[i].item() == pytest.approx(0.0, abs=1e-6)
    assert (ws[i] * check.AT + bs[j]).item() == pytest.approx(check._l1_broadcast_answer())


def test_ex1_data_are_the_notebooks():
    source = LESSON.read_text(encoding="utf-8")
    assert "x7 = torch.arange(7.0)" in source
    assert "y7 = torch.tensor([2.0, 4.0, 5.0, 7.0, 8.0, 30.0, 12.0])" in source
    assert check.Y7.tolist() == [2.0, 4.0, 5.0, 7.0, 8.0, 30.0, 12.0]


def test_ex1_an_unlisted_number_gets_the_reasoning():
    message = fails_with(check.ex1_l1_broadcast, lambda: 8, "is smallest at the median")
    assert "8 is not right" in message


@pytest.mark.parametrize("answer", [lambda: "7", lambda: True, lambda: (7.0, 7.0)])
def test_ex1_a_prediction_must_be_a_number(answer):
    fails_with(check.ex1_l1_broadcast, answer, "return one number")


# --- Exercise 2 ------------------------------------------------------------------------------


def fit_line(x, y, lr=0.02, steps=1000):
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    for _ in range(steps):
        pred = model(x.unsqueeze(1)).squeeze(1)
        loss = loss_fn(pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.weight.item(), model.bias.item()


def fit_line_target_unsqueezed_no_seed(x, y, lr=0.02, steps=1000):
    """The target reshaped instead, F.mse_loss, no seed of its own, tensors returned."""
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        F.mse_loss(model(x.view(-1, 1)), y.unsqueeze(1)).backward()
        optimizer.step()
    return model.weight.detach().squeeze(), model.bias.detach().squeeze()


def fit_line_sum_with_lr_over_n(x, y, lr=0.02, steps=1000):
    """The sum kept, the learning rate divided by N: the same steps as the mean."""
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr / len(y))
    for _ in range(steps):
        loss = ((model(x.unsqueeze(1)).squeeze() - y) ** 2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return [model.weight.item(), model.bias.item()]


@pytest.mark.parametrize(
    "answer", [fit_line, fit_line_target_unsqueezed_no_seed, fit_line_sum_with_lr_over_n]
)
def test_ex2_right_answers_pass(answer, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a right answer warns about nothing
        check.ex2_fit_line(answer)
    assert capsys.readouterr().out == PASS[2]


def _notebook_function(name):
    """The function ``name`` as the lesson's .py defines it, compiled on its own."""
    text = LESSON.read_text(encoding="utf-8")
    tree = ast.parse(text)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    namespace = {"torch": torch, "nn": nn, "warnings": warnings}
    exec(compile(ast.Module([node], []), str(LESSON), "exec"), namespace)
    return namespace[name], ast.get_source_segment(text, node)


def test_ex2_the_buggy_cell_is_the_checkers_and_copying_it_names_both_bugs():
    fit_line_buggy, source = _notebook_function("fit_line_buggy")
    mine = textwrap.dedent(inspect.getsource(check.buggy_fit_line))
    mine = mine.replace("def buggy_fit_line", "def fit_line_buggy")
    mine = "\n".join(line for line in mine.splitlines() if '"""' not in line)
    assert source.strip() == mine.strip()
    fails_with(check.ex2_fit_line, fit_line_buggy, check.BOTH)


def test_ex2_each_bug_shows_on_the_checkers_data():
    def run(answer):
        return answer(check.X_FIT, check.Y_FIT, lr=check.LR_FIT, steps=check.STEPS_FIT)

    assert not all(map(math.isfinite, run(check._fit_line(reduction="sum"))))  # diverges
    w, b = run(check._fit_line(shapes=False))  # the horizontal line at the mean
    assert abs(w) < 1e-3 and b == pytest.approx(check.Y_FIT.mean().item(), abs=1e-3)
    assert run(fit_line) == pytest.approx(check._least_squares(check.X_FIT, check.Y_FIT), abs=1e-4)


def test_ex2_a_line_that_is_not_a_pair_is_named():
    fails_with(check.ex2_fit_line, lambda *args, **kw: fit_line(*args, **kw)[0], "(w, b)")


def test_ex2_a_right_first_step_then_a_wrong_line_gets_the_general_hint():
    def no_zero_grad(x, y, lr=0.02, steps=1000):
        torch.manual_seed(0)
        model = nn.Linear(1, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        for _ in range(steps):
            F.mse_loss(model(x.unsqueeze(1)).squeeze(1), y).backward()
            optimizer.step()
        return model.weight.item(), model.bias.item()

    fails_with(check.ex2_fit_line, no_zero_grad, "is not the least-squares line")


# --- Exercise 3 ------------------------------------------------------------------------------


def _reduce(loss, reduction):
    return {"none": loss, "sum": loss.sum(), "mean": loss.sum() / loss.numel()}[reduction]


def log_cosh_log1p(pred, target, reduction="mean"):
    a = (pred - target).abs()
    return _reduce(a + torch.log1p(torch.exp(-2 * a)) - math.log(2), reduction)


def log_cosh_softplus(pred, target, reduction="mean"):
    e = pred - target
    return _reduce(e + F.softplus(-2 * e) - math.log(2), reduction)


def log_cosh_logaddexp(pred, target, reduction="mean"):
    e = pred - target
    return _reduce(torch.logaddexp(e, -e) - math.log(2), reduction)


def log_cosh_where_clamped(pred, target, reduction="mean"):
    """torch.where made safe: the naive branch only ever sees a clamped error."""
    e = pred - target
    small = torch.log(torch.cosh(e.clamp(-20, 20)))
    return _reduce(torch.where(e.abs() < 20, small, e.abs() - math.log(2)), reduction)


@pytest.mark.parametrize(
    "answer", [log_cosh_log1p, log_cosh_softplus, log_cosh_logaddexp, log_cosh_where_clamped]
)
def test_ex3_right_answers_pass(answer, capsys):
    check.ex3_log_cosh(answer)
    assert capsys.readouterr().out == PASS[3]


def test_ex3_reference_is_log_cosh_and_the_inputs_overflow_the_naive_formula():
    pred, target = check._log_cosh_inputs()
    e = (pred - target).double()
    naive64 = torch.log(torch.cosh(e))
    finite = torch.isfinite(naive64)
    ref = check._log_cosh_reference(pred, target)
    torch.testing.assert_close(ref[finite], naive64[finite])
    assert not finite.all()  # |e| = 800 and 1000 overflow even float64
    assert not torch.isfinite(torch.log(torch.cosh(e.float()))).all()
    assert (e == 0).any()  # and the kink-free point e = 0 is in the check


def test_ex3_a_right_value_with_a_wrong_gradient_is_named():
    def detached_large(pred, target, reduction="mean"):
        loss = log_cosh_log1p(pred, target, reduction="none")
        big = (pred - target).abs() > 50
        return _reduce(torch.where(big, loss.detach(), loss), reduction)  # no gradient there

    fails_with(check.ex3_log_cosh, detached_large, "the gradient of my_log_cosh")
