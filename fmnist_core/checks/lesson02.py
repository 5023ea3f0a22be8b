"""Checks for the exercises of lesson 02 (autograd).

Each anticipated mistake is written once, in a table beside its checker: the wrong answer (a
formula or a wrong implementation), its Chinese hint and its English hint. The tests iterate over
the same tables.
"""

import torch
from torch import nn

from . import CheckFailed, check_close, expect, passed, wrap_checkers


def _tiny_model(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))


def _tiny_data(seed, n=50):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 3, 4, generator=g), torch.randint(0, 3, (n,), generator=g)


def _flat(tensors):
    return torch.cat([t.detach().flatten() for t in tensors])


# ---------------------------------------------------------------- exercise 1: one SGD step by hand

EX1_NO_GRAD = (
    "原地修改需要梯度的参数，要放在 with torch.no_grad(): 里",
    "update the parameters inside `with torch.no_grad():`; an in-place change "
    "of a leaf tensor that requires grad is refused otherwise",
)
EX1_CLEARED_FIRST = (
    "梯度在更新之前就被清掉了（p.grad 是 None）：先更新，再清零",
    "the gradients were cleared before the update (p.grad is None): update first, then clear",
)
EX1_DETACHED = (
    "参数不再需要梯度：不要用 detach() 或新张量替换参数，原地更新 p -= lr * p.grad",
    "the parameters no longer require grad: update them in place, p -= lr * p.grad",
)
EX1_UNCHANGED = (
    "参数没有变：p = p - lr * p.grad 只让名字 p 指向新张量，要原地 p -= lr * p.grad",
    "the parameters did not change: p = p - lr * p.grad only rebinds the name p; "
    "update in place with p -= lr * p.grad (and clear the grads after, not before)",
)
EX1_NOT_CLEARED = (
    "更新后没有清空梯度：下一次 backward 会把新梯度加到旧梯度上",
    "the gradients were not cleared after the update: the next backward would "
    "add to them (model.zero_grad(), p.grad = None or p.grad.zero_())",
)
# (the new value of a parameter p with gradient g, zh hint, en hint)
EX1_MISTAKES = [
    (
        lambda p, g, lr: p + lr * g,
        "方向反了：应该沿梯度的反方向走，p -= lr * p.grad",
        "the step goes uphill: move against the gradient, p -= lr * p.grad",
    ),
    (
        lambda p, g, lr: p - g,
        "没有乘学习率 lr",
        "the gradient was not multiplied by the learning rate lr",
    ),
]


def ex1_manual_sgd_step(manual_sgd_step):
    """``manual_sgd_step(model, lr)``: p <- p - lr * p.grad for every parameter, then clear the
    gradients."""
    X, y = _tiny_data(0)
    lr = 0.1

    def with_grads():
        model = _tiny_model(0)
        nn.functional.cross_entropy(model(X), y).backward()
        return model

    ref = with_grads()
    before = _flat(ref.parameters())
    grads = _flat(p.grad for p in ref.parameters())
    torch.optim.SGD(ref.parameters(), lr=lr).step()

    model = with_grads()
    try:
        manual_sgd_step(model, lr)
    except RuntimeError as e:
        if "leaf" in str(e) or "requires grad" in str(e) or "in-place" in str(e):
            raise CheckFailed(*EX1_NO_GRAD) from e
        raise
    except TypeError as e:
        if "NoneType" in str(e):
            raise CheckFailed(*EX1_CLEARED_FIRST) from e
        raise
    expect(all(p.requires_grad for p in model.parameters()), *EX1_DETACHED)
    after = _flat(model.parameters())
    expect(not torch.equal(after, before), *EX1_UNCHANGED)
    check_close(
        after - before,
        _flat(ref.parameters()) - before,
        name="参数的变化 / the change of the parameters",
        mistakes=[(wrong(before, grads, lr) - before, zh, en) for wrong, zh, en in EX1_MISTAKES],
    )
    expect(all(p.grad is None or not p.grad.any() for p in model.parameters()), *EX1_NOT_CLEARED)
    passed(
        "练习 1 通过：与 SGD 的一步相同，梯度已清空",
        "Exercise 1 passed: the step of SGD, grads cleared",
    )


# ---------------------------------------------------------------- exercise 2: finite differences

_EX2_C = torch.tensor([[0.5, -1.5, 2.0], [1.0, 0.3, -0.7]], dtype=torch.float64)


def _ex2_f(t):
    """Not quadratic (so the forward and central differences differ) and with cross terms."""
    return (_EX2_C * torch.sin(t)).sum() + (t**3).sum() / 3 + (t[0] * t[1]).sum()


def _each(theta, value):
    """A tensor like ``theta`` whose element k is ``value(k, e_k)``, e_k one-hot (1 at k)."""
    out = torch.zeros_like(theta)
    for k in range(theta.numel()):
        e_k = torch.zeros_like(theta)
        e_k.view(-1)[k] = 1.0
        out.view(-1)[k] = value(k, e_k)
    return out


def _not_restored(f, theta, h):
    t = theta.clone()
    out = torch.zeros_like(theta)
    for k in range(t.numel()):
        t.view(-1)[k] += h
        up = f(t)
        t.view(-1)[k] -= 2 * h  # θ_k is left at θ_k − h
        out.view(-1)[k] = (up - f(t)) / (2 * h)
    return out


EX2_DTYPE = (
    "结果应与 theta 一样是 float64（用 torch.zeros_like(theta)）：float32 会丢掉有效数字",
    "the result should be float64 like theta (use torch.zeros_like(theta)); "
    "float32 throws away the significant digits of the difference",
)
EX2_SHAPE = (
    "结果应与 theta 同形状：按一维下标算完后，reshape 回 theta.shape",
    "the result should have theta's shape: reshape back to theta.shape",
)
EX2_CHANGED = (
    "传进来的 theta 被改动了：在它的副本上挪动（theta + h·e_k 或 theta.clone()）",
    "the theta passed in was changed: perturb a copy (theta + h·e_k or theta.clone())",
)
# (a wrong implementation numerical_grad(f, theta, h), zh hint, en hint)
EX2_MISTAKES = [
    (
        lambda f, th, h: _each(th, lambda k, e: (f(th + h * e) - f(th)) / h),
        "这是单侧差分，误差是 O(h)：用中心差分 (f(θ + h·e_k) − f(θ − h·e_k)) / (2h)",
        "this is the one-sided forward difference, with an error of O(h): "
        "use the central difference (f(θ + h·e_k) − f(θ − h·e_k)) / (2h)",
    ),
    (
        lambda f, th, h: _each(th, lambda k, e: (f(th) - f(th - h * e)) / h),
        "这是单侧（向后）差分，误差是 O(h)：用中心差分 (f(θ + h·e_k) − f(θ − h·e_k)) / (2h)",
        "this is the one-sided backward difference, with an error of O(h): "
        "use the central difference (f(θ + h·e_k) − f(θ − h·e_k)) / (2h)",
    ),
    (
        lambda f, th, h: _each(th, lambda k, e: (f(th + h * e) - f(th - h * e)) / h),
        "两点相距 2h：分母应是 2h，不是 h",
        "the two points are 2h apart: divide by 2h, not h",
    ),
    (
        _not_restored,
        "挪动第 k 个分量后没有恢复原值，后面的分量是在挪过的点上算的",
        "element k was not put back after it was moved, so the later elements were "
        "computed at a shifted point",
    ),
]


def ex2_numerical_grad(numerical_grad):
    """``numerical_grad(f, theta, h)``: the central difference of ``f`` at ``theta``, element by
    element."""
    theta = torch.tensor([[0.3, -1.2, 0.8], [1.5, -0.4, 0.1]], dtype=torch.float64)
    original = theta.clone()
    h = 1e-3
    got = numerical_grad(_ex2_f, theta, h)
    expect(torch.equal(theta, original), *EX2_CHANGED)
    expect(
        isinstance(got, torch.Tensor),
        f"应返回 torch.Tensor，得到 {type(got).__name__}",
        f"return a torch.Tensor, got {type(got).__name__}",
    )
    expect(got.shape == theta.shape, *EX2_SHAPE)
    expect(got.dtype == torch.float64, *EX2_DTYPE)
    t = theta.clone().requires_grad_()
    _ex2_f(t).backward()
    # 中心差分的误差是 O(h²) / the central difference is off by O(h²)
    check_close(
        got,
        t.grad,
        name="numerical_grad",
        rtol=0,
        atol=10 * h**2,
        mistakes=[(wrong(_ex2_f, theta.clone(), h), zh, en) for wrong, zh, en in EX2_MISTAKES],
    )
    passed("练习 2 通过：与自动求导相差 O(h²)", "Exercise 2 passed: within O(h²) of autograd")


# ---------------------------------------------------------------- exercise 3: predict, then run

EX3_SAME_GRAPH = (
    "同一张图不能反向传播两次：每次 backward 之前都重新前向（把 w ** 3 放进循环）",
    "a graph cannot be backpropagated twice: run the forward pass again before "
    "every backward (put w ** 3 inside the loop)",
)
# (the wrong answer for k backward calls, zh hint, en hint); dL/dw = 3 w² = 12 at w = 2
EX3_MISTAKES = [
    (
        lambda k: 12.0,
        "每次 backward 之间都清零了，所以总是 12；题目问的是不清零时 .grad 里有什么",
        "you cleared the gradient between the calls, so it is always 12; the question is "
        "what .grad holds without clearing",
    ),
    (lambda k: 2.0, "返回的是 w 本身，应返回 w.grad", "that is w itself: return w.grad"),
    (
        lambda k: 8.0,
        "返回的是损失 w ** 3 = 8，应返回 w.grad",
        "that is the loss w ** 3 = 8: return w.grad",
    ),
    (
        lambda k: 12.0 * (k + 1),
        "backward 多调了一次：循环 k 次",
        "one backward call too many: loop k times",
    ),
    (
        lambda k: 12.0 * (k - 1),
        "backward 少调了一次：循环 k 次",
        "one backward call too few: loop k times",
    ),
]


def ex3_grad_after(grad_after):
    """``grad_after(k)``: w.grad after k forward-and-backward passes of w ** 3 at w = 2, with no
    clearing in between."""
    ks = [1, 2, 3, 5]
    got = []
    for k in ks:
        try:
            g = grad_after(k)
        except RuntimeError as e:
            if "second time" in str(e) or "freed" in str(e):
                raise CheckFailed(*EX3_SAME_GRAPH) from e
            raise
        expect(
            isinstance(g, torch.Tensor),
            f"应返回 w.grad（一个张量），得到 {type(g).__name__}",
            f"return w.grad (a tensor), got {type(g).__name__}",
        )
        got.append(g.detach().double().reshape(()))
    kt = torch.tensor(ks, dtype=torch.float64)
    check_close(
        torch.stack(got),
        12.0 * kt,
        name="grad_after(k), k = 1, 2, 3, 5",
        mistakes=[
            (torch.tensor([float(wrong(k)) for k in ks], dtype=torch.float64), zh, en)
            for wrong, zh, en in EX3_MISTAKES
        ],
    )
    passed("练习 3 通过：k 次之后 w.grad = 12k", "Exercise 3 passed: w.grad = 12k after k calls")


wrap_checkers(globals())
