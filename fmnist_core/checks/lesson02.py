"""Checks for the exercises of lesson 02 (autograd).

The anticipated mistakes of each exercise are data (``MISTAKES``): each wrong answer with its hint.
"""

import torch
import torch.nn.functional as F

from . import (
    Mistake,
    check_close,
    expect,
    fail,
    passed,
    tiny_data,
    tiny_model,
    wrap_checkers,
    wrong_results,
    wrong_values,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker


def _flat(tensors):
    return torch.cat([t.detach().flatten() for t in tensors])


# ---------------------------------------------------------------- exercise 1: one SGD step by hand


def _sets_each_parameter_to(update):
    """A manual_sgd_step that sets each parameter p to ``update(p, p.grad, lr)``."""

    def manual_sgd_step(model, lr):
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(update(p, p.grad, lr))
        model.zero_grad()

    return manual_sgd_step


def _without_no_grad(model, lr):
    for p in model.parameters():
        p -= lr * p.grad


def _does_not_clear(model, lr):
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad


def _clears_first(model, lr):
    model.zero_grad()  # every p.grad is None now
    _does_not_clear(model, lr)


def _zeroes_first(model, lr):
    for p in model.parameters():
        p.grad.zero_()
    _does_not_clear(model, lr)


def _rebinds(model, lr):
    with torch.no_grad():
        for p in model.parameters():
            p = p - lr * p.grad  # the mistake: only the name p changes
    model.zero_grad()


def _detaches(model, lr):
    for p in model.parameters():
        p.data = (p - lr * p.grad).detach()
        p.requires_grad_(False)


NO_GRAD = Mistake(
    _without_no_grad,
    "原地修改需要梯度的参数，要放在 with torch.no_grad(): 里",
    "update the parameters inside `with torch.no_grad():`; an in-place change "
    "of a leaf tensor that requires grad is refused otherwise",
)
CLEARED_FIRST = Mistake(
    _clears_first,
    "梯度在更新之前就被清掉了（p.grad 是 None）：先更新，再清零",
    "the gradients were cleared before the update (p.grad is None): update first, then clear",
)
DETACHED = Mistake(
    _detaches,
    "参数不再需要梯度：不要用 detach() 或新张量替换参数，原地更新 p -= lr * p.grad",
    "the parameters no longer require grad: update them in place, p -= lr * p.grad",
)
UNCHANGED = Mistake(
    _rebinds,
    "参数没有变：p = p - lr * p.grad 只让名字 p 指向新张量，要原地 p -= lr * p.grad",
    "the parameters did not change: p = p - lr * p.grad only rebinds the name p; "
    "update in place with p -= lr * p.grad (and clear the grads after, not before)",
)
NOT_CLEARED = Mistake(
    _does_not_clear,
    "更新后没有清空梯度：下一次 backward 会把新梯度加到旧梯度上",
    "the gradients were not cleared after the update: the next backward would "
    "add to them (model.zero_grad(), p.grad = None or p.grad.zero_())",
)
MISTAKES["ex1_manual_sgd_step"] = [
    Mistake(
        _sets_each_parameter_to(lambda p, g, lr: p + lr * g),
        "方向反了：应该沿梯度的反方向走，p -= lr * p.grad",
        "the step goes uphill: move against the gradient, p -= lr * p.grad",
    ),
    Mistake(
        _sets_each_parameter_to(lambda p, g, lr: p - g),
        "没有乘学习率 lr",
        "the gradient was not multiplied by the learning rate lr",
    ),
    NO_GRAD,
    CLEARED_FIRST,
    DETACHED,
    UNCHANGED,
    Mistake(_zeroes_first, UNCHANGED.zh, UNCHANGED.en),
    NOT_CLEARED,
]


def _stepped(manual_sgd_step, lr=0.1):
    """A tiny model with the gradients of a loss, after ``manual_sgd_step(model, lr)``."""
    model = tiny_model(0)
    X, y = tiny_data(0)
    F.cross_entropy(model(X), y).backward()
    manual_sgd_step(model, lr)
    return model


def ex1_manual_sgd_step(manual_sgd_step):
    """``manual_sgd_step(model, lr)``: p <- p - lr * p.grad for every parameter, then clear the
    gradients."""
    before = _flat(_stepped(lambda model, lr: None).parameters())
    try:
        model = _stepped(manual_sgd_step)
    except RuntimeError as e:
        if "leaf" in str(e) or "requires grad" in str(e) or "in-place" in str(e):
            fail(NO_GRAD.zh, NO_GRAD.en)
        raise
    except TypeError as e:
        if "NoneType" in str(e):
            fail(CLEARED_FIRST.zh, CLEARED_FIRST.en)
        raise
    expect(all(p.requires_grad for p in model.parameters()), DETACHED.zh, DETACHED.en)
    after = _flat(model.parameters())
    expect(not torch.equal(after, before), UNCHANGED.zh, UNCHANGED.en)
    sgd = _stepped(lambda model, lr: torch.optim.SGD(model.parameters(), lr=lr).step())
    check_close(
        after - before,
        _flat(sgd.parameters()) - before,
        name="参数的变化 / the change of the parameters",
        mistakes=wrong_results(
            MISTAKES["ex1_manual_sgd_step"],
            lambda answer: _flat(_stepped(answer).parameters()) - before,
        ),
    )
    expect(
        all(p.grad is None or not p.grad.any() for p in model.parameters()),
        NOT_CLEARED.zh,
        NOT_CLEARED.en,
    )
    passed(
        "练习 1 通过：与 SGD 的一步相同，梯度已清空",
        "Exercise 1 passed: the step of SGD, grads cleared",
    )


# ---------------------------------------------------------------- exercise 2: finite differences

_C = torch.tensor([[0.5, -1.5, 2.0], [1.0, 0.3, -0.7]], dtype=torch.float64)


def _f(t):
    """Not quadratic (so the forward and central differences differ) and with cross terms."""
    return (_C * torch.sin(t)).sum() + (t**3).sum() / 3 + (t[0] * t[1]).sum()


def _each(theta, value):
    """A tensor like ``theta`` whose element k is ``value(k, e_k)``, e_k one-hot (1 at k)."""
    out = torch.zeros_like(theta)
    for k in range(theta.numel()):
        e_k = torch.zeros_like(theta)
        e_k.view(-1)[k] = 1.0
        out.view(-1)[k] = value(k, e_k)
    return out


def _central(f, th, h):
    return _each(th, lambda k, e: (f(th + h * e) - f(th - h * e)) / (2 * h))


def _not_restored(f, theta, h):
    out = torch.zeros_like(theta)
    for k in range(theta.numel()):
        theta.view(-1)[k] += h
        up = f(theta)
        theta.view(-1)[k] -= 2 * h  # θ_k is left at θ_k − h
        out.view(-1)[k] = (up - f(theta)) / (2 * h)
    return out


CHANGES_THETA = Mistake(
    _not_restored,
    "传进来的 theta 被改动了：在它的副本上挪动（theta + h·e_k 或 theta.clone()）",
    "the theta passed in was changed: perturb a copy (theta + h·e_k or theta.clone())",
)
SHAPE = Mistake(
    lambda f, th, h: _central(f, th, h).reshape(-1),
    "结果应与 theta 同形状：按一维下标算完后，reshape 回 theta.shape",
    "the result should have theta's shape: reshape back to theta.shape",
)
DTYPE = Mistake(
    lambda f, th, h: _central(f, th, h).float(),
    "结果应与 theta 一样是 float64（用 torch.zeros_like(theta)）：float32 会丢掉有效数字",
    "the result should be float64 like theta (use torch.zeros_like(theta)); "
    "float32 throws away the significant digits of the difference",
)
MISTAKES["ex2_numerical_grad"] = [
    Mistake(
        lambda f, th, h: _each(th, lambda k, e: (f(th + h * e) - f(th)) / h),
        "这是单侧差分，误差是 O(h)：用中心差分 (f(θ + h·e_k) − f(θ − h·e_k)) / (2h)",
        "this is the one-sided forward difference, with an error of O(h): "
        "use the central difference (f(θ + h·e_k) − f(θ − h·e_k)) / (2h)",
    ),
    Mistake(
        lambda f, th, h: _each(th, lambda k, e: (f(th) - f(th - h * e)) / h),
        "这是单侧（向后）差分，误差是 O(h)：用中心差分 (f(θ + h·e_k) − f(θ − h·e_k)) / (2h)",
        "this is the one-sided backward difference, with an error of O(h): "
        "use the central difference (f(θ + h·e_k) − f(θ − h·e_k)) / (2h)",
    ),
    Mistake(
        lambda f, th, h: _each(th, lambda k, e: (f(th + h * e) - f(th - h * e)) / h),
        "两点相距 2h：分母应是 2h，不是 h",
        "the two points are 2h apart: divide by 2h, not h",
    ),
    Mistake(
        lambda f, th, h: _not_restored(f, th.clone(), h),
        "挪动第 k 个分量后没有恢复原值，后面的分量是在挪过的点上算的",
        "element k was not put back after it was moved, so the later elements were "
        "computed at a shifted point",
    ),
    CHANGES_THETA,
    SHAPE,
    DTYPE,
]


def ex2_numerical_grad(numerical_grad):
    """``numerical_grad(f, theta, h)``: the central difference of ``f`` at ``theta``, element by
    element."""
    theta = torch.tensor([[0.3, -1.2, 0.8], [1.5, -0.4, 0.1]], dtype=torch.float64)
    original = theta.clone()
    h = 1e-3
    got = numerical_grad(_f, theta, h)
    expect(torch.equal(theta, original), CHANGES_THETA.zh, CHANGES_THETA.en)
    expect(
        isinstance(got, torch.Tensor),
        f"应返回 torch.Tensor，得到 {type(got).__name__}",
        f"return a torch.Tensor, got {type(got).__name__}",
    )
    expect(got.shape == theta.shape, SHAPE.zh, SHAPE.en)
    expect(got.dtype == torch.float64, DTYPE.zh, DTYPE.en)
    t = theta.clone().requires_grad_()
    _f(t).backward()
    # 中心差分的误差是 O(h²) / the central difference is off by O(h²)
    check_close(
        got,
        t.grad,
        name="numerical_grad",
        rtol=0,
        atol=10 * h**2,
        mistakes=wrong_values(MISTAKES["ex2_numerical_grad"], _f, theta, h),
    )
    passed("练习 2 通过：与自动求导相差 O(h²)", "Exercise 2 passed: within O(h²) of autograd")


# ---------------------------------------------------------------- exercise 3: predict, then run


def _clears_each_time(k):
    w = torch.tensor(2.0, requires_grad=True)
    for _ in range(k):
        w.grad = None
        (w**3).backward()
    return w.grad


def _one_graph(k):
    w = torch.tensor(2.0, requires_grad=True)
    loss = w**3
    for _ in range(k):
        loss.backward()
    return w.grad


SAME_GRAPH = Mistake(
    _one_graph,
    "同一张图不能反向传播两次：每次 backward 之前都重新前向（把 w ** 3 放进循环）",
    "a graph cannot be backpropagated twice: run the forward pass again before "
    "every backward (put w ** 3 inside the loop)",
)
# dL/dw = 3 w² = 12 at w = 2; the other wrong answers are the values they return
MISTAKES["ex3_grad_after"] = [
    Mistake(
        _clears_each_time,
        "每次 backward 之间都清零了，所以总是 12；题目问的是不清零时 .grad 里有什么",
        "you cleared the gradient between the calls, so it is always 12; the question is "
        "what .grad holds without clearing",
    ),
    Mistake(
        lambda k: torch.tensor(2.0),
        "返回的是 w 本身，应返回 w.grad",
        "that is w itself: return w.grad",
    ),
    Mistake(
        lambda k: torch.tensor(8.0),
        "返回的是损失 w ** 3 = 8，应返回 w.grad",
        "that is the loss w ** 3 = 8: return w.grad",
    ),
    Mistake(
        lambda k: torch.tensor(12.0 * (k + 1)),
        "backward 多调了一次：循环 k 次",
        "one backward call too many: loop k times",
    ),
    Mistake(
        lambda k: torch.tensor(12.0 * (k - 1)),
        "backward 少调了一次：循环 k 次",
        "one backward call too few: loop k times",
    ),
    SAME_GRAPH,
]
KS = [1, 2, 3, 5]


def _grads(grad_after):
    """``grad_after(k)`` for each k of ``KS``, as one float64 tensor."""
    grads = []
    for k in KS:
        g = grad_after(k)
        expect(
            isinstance(g, torch.Tensor),
            f"应返回 w.grad（一个张量），得到 {type(g).__name__}",
            f"return w.grad (a tensor), got {type(g).__name__}",
        )
        grads.append(g.detach().double().reshape(()))
    return torch.stack(grads)


def ex3_grad_after(grad_after):
    """``grad_after(k)``: w.grad after k forward-and-backward passes of w ** 3 at w = 2, with no
    clearing in between."""
    try:
        got = _grads(grad_after)
    except RuntimeError as e:
        if "second time" in str(e) or "freed" in str(e):
            fail(SAME_GRAPH.zh, SAME_GRAPH.en)
        raise
    check_close(
        got,
        12.0 * torch.tensor(KS, dtype=torch.float64),
        name="grad_after(k), k = 1, 2, 3, 5",
        mistakes=wrong_results(MISTAKES["ex3_grad_after"], _grads),
    )
    passed("练习 3 通过：k 次之后 w.grad = 12k", "Exercise 3 passed: w.grad = 12k after k calls")


wrap_checkers(globals())
