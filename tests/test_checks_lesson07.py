"""The checkers of lesson 07: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson07 as check

PASS = {
    1: "✓ 练习 1 通过：Nesterov 要 ηλ < 2(1 + μ)/(1 + 2μ) ≈ 1.357，η < 0.0543（普通动量是 0.152）\n"
    "✓ Exercise 1 passed: Nesterov needs ηλ < 2(1 + μ)/(1 + 2μ) ≈ 1.357, η < 0.0543 (momentum: 0.152)",
    2: "✓ 练习 2 通过：三个错误都改好了，每组选项 12 步都与 torch.optim.SGD 一致\n"
    "✓ Exercise 2 passed: all three bugs fixed, 12 steps as torch.optim.SGD takes them",
}


def sgd_update(
    params, grads, buffers, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False
):
    """The answer of the notebook's solution cell."""
    new_params, new_buffers = [], []
    for p, g, b in zip(params, grads, buffers):
        g = g + weight_decay * p
        d = g
        if momentum != 0:
            if b is None:
                b = g.clone()
            else:
                b = momentum * b + (1 - dampening) * g
            d = g + momentum * b if nesterov else b
        new_params.append(p - lr * d)
        new_buffers.append(b)
    return new_params, new_buffers


def sgd_update_in_place_on_copies(params, grads, buffers, lr, **options):
    """Another right answer: PyTorch's in-place operations, on copies of the inputs."""
    mu, tau = options.get("momentum", 0.0), options.get("dampening", 0.0)
    wd, nesterov = options.get("weight_decay", 0.0), options.get("nesterov", False)
    params = [p.clone() for p in params]
    buffers = [None if b is None else b.clone() for b in buffers]
    for i, (p, g) in enumerate(zip(params, grads)):
        g = g.add(p, alpha=wd)
        if mu:
            if buffers[i] is None:
                buffers[i] = g.clone()
            else:
                buffers[i].mul_(mu).add_(g, alpha=1 - tau)
            g = g.add(buffers[i], alpha=mu) if nesterov else buffers[i]
        p.add_(g, alpha=-lr)
    return params, buffers


@pytest.mark.parametrize(
    "checker, answer, line",
    [
        (check.ex1_nesterov_edge, lambda: 2 * 1.9 / 2.8 / 25, 1),
        (check.ex1_nesterov_edge, lambda: 0.0543, 1),
        (check.ex1_nesterov_edge, lambda: torch.tensor(0.055), 1),  # found by trying, 1.3 % off
        (check.ex2_sgd_update, sgd_update, 2),
        (check.ex2_sgd_update, sgd_update_in_place_on_copies, 2),
    ],
)
def test_right_answers_pass(checker, answer, line, capsys):
    checker(answer)
    assert capsys.readouterr().out == PASS[line] + "\n"


def test_the_edge_is_where_torch_optim_sgd_starts_to_diverge():
    edge = check._nesterov_edge()
    assert abs(edge - 2 * (1 + check.MU) / (1 + 2 * check.MU) / check.LAM_MAX) < 1e-9

    def distance(lr, steps=300):
        p = torch.tensor([-4.0, 1.0], dtype=torch.float64, requires_grad=True)
        optimizer = torch.optim.SGD([p], lr=lr, momentum=check.MU, nesterov=True)
        for _ in range(steps):
            (0.5 * (p[0] ** 2 + check.LAM_MAX * p[1] ** 2)).backward()
            optimizer.step()
            optimizer.zero_grad()
        return p.detach().norm().item()

    assert distance(0.98 * edge) < 1e-3 < 1e3 < distance(1.02 * edge)


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda: 0.2, "not 0.2. Nesterov is"),
        (lambda: float("nan"), "return a finite number"),
        (lambda: "0.05", "return one number, got str"),
        (lambda: 0.05, "not 0.05. Nesterov is"),  # 8 % off: a guess, not the edge
    ],
)
def test_other_predictions_get_the_reasoning(answer, hint):
    fails_with(check.ex1_nesterov_edge, answer, hint)


def test_the_mistakes_change_one_thing_of_torch_optim_sgd():
    # with nothing changed, the generator of the wrong answers is torch.optim.SGD
    for _, _, options in check.OPTIONS:
        torch.testing.assert_close(
            check._trajectory(check._sgd_update(), options), check._reference(options)
        )


def test_each_bug_of_the_notebook_shows_under_its_own_options_only():
    wrong = {
        "dampening": check._sgd_update(zero_start=True),
        "Nesterov": check._sgd_update(old_buffer=True),
        "decay": check._sgd_update(decay_late=True),
    }
    shows = {
        name: [
            not torch.allclose(check._trajectory(answer, o), check._reference(o))
            for _, _, o in check.OPTIONS
        ]
        for name, answer in wrong.items()
    }
    assert shows == {
        "dampening": [False, True, False, False, False],
        "Nesterov": [False, False, True, False, True],
        "decay": [False, False, False, True, True],
    }


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda params, grads, buffers, lr, **o: params, "return (new parameters, new buffers)"),
        (
            lambda *args, **options: (
                tuple(2 * x for x in sgd_update(*args, **options)[0][:1])
                + (sgd_update(*args, **options)[1],)
            ),
            "return (new parameters, new buffers)",
        ),
        (
            lambda params, grads, buffers, lr, **options: sgd_update(
                params, grads, buffers, 2 * lr, **options
            ),
            "the path of the parameters (lr only) does not match",
        ),
    ],
)
def test_other_mistakes_get_a_general_hint(answer, hint):
    fails_with(check.ex2_sgd_update, answer, hint)
