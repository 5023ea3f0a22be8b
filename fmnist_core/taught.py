"""Helpers that one lesson writes in its cells and later lessons reuse.

Each docstring names the lesson that teaches it; read that lesson for the why. A later lesson
imports it from here instead of writing it again (CONTRIBUTING.md, "Helpers graduate").
"""

import torch
import torch.nn.functional as F

from .model import NeuralNetwork
from .train import set_seed


def reduce(loss, reduction="mean"):
    """Reduce elementwise losses: ``"none"``, ``"sum"`` or ``"mean"`` (divided by the number of
    elements N). Taught in lesson 05."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / loss.numel()
    raise ValueError(f"未知的 reduction / unknown reduction: {reduction!r}")


def quadratic(p):
    """An ill-conditioned quadratic, ½(x² + 25y²): condition number 25. Taught in lesson 07."""
    return 0.5 * (p[0] ** 2 + 25 * p[1] ** 2)


def rosenbrock(p):
    """The Rosenbrock function (1 − x)² + 100(y − x²)², minimum at (1, 1). Taught in lesson 07."""
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def path(f, start, steps, make_optimizer):
    """The points an optimizer visits on the surface ``f`` from ``start``: a ``(steps + 1, 2)``
    float64 tensor. ``make_optimizer(params)`` builds the optimizer. Taught in lesson 07."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([p])
    points = [p.detach().clone()]
    for _ in range(steps):
        f(p).backward()
        optimizer.step()
        optimizer.zero_grad()
        points.append(p.detach().clone())
    return torch.stack(points)


def set_lr(optimizer, lr):
    """Set the learning rate of a ``torch.optim`` optimizer (its ``param_groups``) or of a
    from-scratch one (its ``.lr``). Taught in lesson 07."""
    if isinstance(optimizer, torch.optim.Optimizer):
        for group in optimizer.param_groups:
            group["lr"] = lr
    else:
        optimizer.lr = lr


def train_steps(make_optimizer, X, y, *, batch=32, steps=100, lr_at=None, penalty=0.0, seed=0):
    """Train a fresh float64 course model for ``steps`` steps on the batches of ``X, y`` in order
    (``batch`` images each) with cross-entropy; return its parameters. ``lr_at(t)`` gives the
    learning rate of step t; ``penalty`` adds penalty/2 · ‖θ‖² to the loss. Two optimizers that
    implement the same rule return the same parameters. Taught in lesson 07."""
    set_seed(seed)
    model = NeuralNetwork().double().to(X.device)
    optimizer = make_optimizer(model.parameters())
    for t in range(steps):
        if lr_at is not None:
            set_lr(optimizer, lr_at(t))
        Xb, yb = X[t * batch : (t + 1) * batch].double(), y[t * batch : (t + 1) * batch]
        loss = F.cross_entropy(model(Xb), yb)
        if penalty:
            loss = loss + penalty / 2 * sum(p.square().sum() for p in model.parameters())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return [p.detach() for p in model.parameters()]


def assert_differs(a, b):
    """Fail unless ``a`` and ``b`` differ (``assert_close`` would fail): proof that a comparison
    catches a deliberately wrong rule. Taught in lesson 07."""
    try:
        torch.testing.assert_close(a, b)
    except AssertionError:
        return
    raise AssertionError("本应不同，却一致 / expected a difference, found none")
