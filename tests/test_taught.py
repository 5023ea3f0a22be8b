"""The helpers lessons teach and later lessons import (fmnist_core.taught) do what the lessons
that teach them show."""

import pytest
import torch
import torch.nn.functional as F

from fmnist_core import taught


def test_reduce_matches_pytorch_reductions():
    a, b = torch.randn(4, 3), torch.randn(4, 3)
    for reduction in ("none", "sum", "mean"):
        torch.testing.assert_close(
            taught.reduce((a - b) ** 2, reduction), F.mse_loss(a, b, reduction=reduction)
        )
    with pytest.raises(ValueError, match="unknown reduction"):
        taught.reduce(a, "average")


def test_surfaces_have_their_minima_where_lesson_07_says():
    assert taught.quadratic(torch.zeros(2)) == 0 and taught.quadratic(torch.ones(2)) == 13
    assert taught.rosenbrock(torch.ones(2)) == 0 and taught.rosenbrock(torch.zeros(2)) == 1


def test_path_follows_gradient_descent_step_by_step():
    lr, start = 0.02, [-4.0, 1.0]
    points = taught.path(taught.quadratic, start, 3, lambda ps: torch.optim.SGD(ps, lr=lr))
    p, expected = torch.tensor(start, dtype=torch.float64), [torch.tensor(start).double()]
    for _ in range(3):
        p = p - lr * torch.tensor([p[0], 25 * p[1]])  # ∇f = (x, 25y)
        expected.append(p)
    torch.testing.assert_close(points, torch.stack(expected))


def test_train_steps_same_rule_same_parameters_and_decay_is_l2_for_sgd():
    g = torch.Generator().manual_seed(0)
    X, y = torch.rand(3 * 8, 1, 28, 28, generator=g), torch.randint(0, 10, (3 * 8,), generator=g)

    def run(make, **kw):
        return taught.train_steps(make, X, y, batch=8, steps=3, **kw)

    sgd = run(lambda ps: torch.optim.SGD(ps, lr=0.1))
    torch.testing.assert_close(sgd, run(lambda ps: torch.optim.SGD(ps, lr=0.1)))
    taught.assert_differs(sgd, run(lambda ps: torch.optim.SGD(ps, lr=0.2)))
    taught.assert_differs(sgd, run(lambda ps: torch.optim.SGD(ps, lr=0.1), lr_at=lambda t: 0.05))
    torch.testing.assert_close(
        run(lambda ps: torch.optim.SGD(ps, lr=0.1, weight_decay=0.01)),
        run(lambda ps: torch.optim.SGD(ps, lr=0.1), penalty=0.01),
    )


def test_assert_differs_fails_on_equal_values():
    with pytest.raises(AssertionError, match="expected a difference"):
        taught.assert_differs(torch.ones(3), torch.ones(3))
    taught.assert_differs(torch.ones(3), torch.zeros(3))
