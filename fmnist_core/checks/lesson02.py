"""Checks for the exercises of lesson 02 (autograd).

The anticipated mistakes of each exercise are data (``MISTAKES``): each wrong answer with its hint.
"""

import contextlib
from unittest import mock

import torch
from torch import nn

from . import (
    Mistake,
    check_close,
    expect,
    expect_number,
    fail,
    matching_hint,
    passed,
    wrap_checkers,
    wrong_results,
    wrong_values,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker


# ---------------------------------------------------------------- exercise 1: predict, then run

W0 = 4.0  # L = w * w + w at w = 4: one backward gives 2w + 1 = 9


def _w_grad():
    """What the notebook's cell runs: two forward-and-backward passes of w * w + w, no clearing."""
    w = torch.tensor(W0, requires_grad=True)
    for _ in range(2):
        (w * w + w).backward()
    return w.grad.item()


WHY = (
    "w * w 的两个输入都是 w，各得到 w = 4，所以 d(w·w)/dw = 2w = 8；+ w 再贡献 1。一次 backward "
    "之内 autograd 把三次使用的梯度加起来：2w + 1 = 9。第二次 backward 又加上 9（中间没有清零），"
    "所以是 18",
    "both inputs of w * w are w and each gets w = 4, so d(w·w)/dw = 2w = 8; + w adds 1. Within one "
    "backward autograd adds up the gradients of the three uses: 2w + 1 = 9. The second backward "
    "adds another 9 (nothing was cleared in between), so 18",
)
MISTAKES["ex1_w_grad"] = [
    Mistake(
        lambda: 9.0,
        "9 是一次 backward 的梯度 2w + 1；.grad 不会被覆盖，第二次 backward 又加上 9"
        "（中间没有清零），所以是 2 × 9 = 18",
        "9 is the gradient of one backward, 2w + 1; .grad is not overwritten: the second "
        "backward adds another 9 (nothing was cleared in between), so 2 × 9 = 18",
    ),
    Mistake(
        lambda: 10.0,
        "w * w 只算了一次使用：它的两个输入都是 w，各得到 w = 4，合起来 d(w·w)/dw = 2w = 8；"
        "加上 + w 的 1，一次 backward 是 9，两次不清零是 18",
        "you counted w * w as one use: both its inputs are w and each gets w = 4, so "
        "d(w·w)/dw = 2w = 8; with the 1 of + w one backward gives 9, two without clearing 18",
    ),
    Mistake(
        lambda: 5.0,
        "w * w 的两个输入都是 w，各得到 w = 4，合起来是 2w = 8，再加上 + w 的 1，一次是 9；"
        "第二次 backward 又加上 9（中间没有清零），所以是 18",
        "both inputs of w * w are w and each gets w = 4, so together 2w = 8, plus the 1 of + w: "
        "9 for one backward; the second backward adds another 9 (no clearing), so 18",
    ),
    Mistake(
        lambda: 16.0,
        "+ w 这一项也贡献梯度：d(w)/dw = 1，所以一次 backward 是 2w + 1 = 9，不是 8；"
        "两次不清零是 18",
        "the + w term contributes too: d(w)/dw = 1, so one backward gives 2w + 1 = 9, not 8; "
        "two without clearing give 18",
    ),
    Mistake(
        lambda: 8.0,
        "8 只是 w * w 的梯度 2w：+ w 还贡献 1，一次 backward 是 9；第二次 backward 又加上 9"
        "（中间没有清零），所以是 18",
        "8 is only the gradient 2w of w * w: + w adds 1, so one backward gives 9; the second "
        "backward adds another 9 (nothing was cleared in between), so 18",
    ),
    Mistake(
        lambda: 20.0,
        "20 是损失 w · w + w 的值，不是梯度：一次 backward 的梯度是 2w + 1 = 9，两次不清零是 18",
        "20 is the value of the loss w · w + w, not its gradient: one backward gives 2w + 1 = 9, "
        "two without clearing 18",
    ),
    Mistake(
        lambda: 27.0,
        "backward 只调用了两次，每次加上 2w + 1 = 9：是 2 × 9 = 18，不是 3 × 9",
        "backward runs twice, each time adding 2w + 1 = 9: that is 2 × 9 = 18, not 3 × 9",
    ),
]


def ex1_w_grad(predict_w_grad):
    """``predict_w_grad()``: the predicted w.grad after two forward-and-backward passes of
    w * w + w at w = 4 with no clearing in between."""
    got = expect_number(predict_w_grad())
    right = _w_grad()
    if abs(got - right) > 1e-6:
        wrong = [(m.answer(), m.zh, m.en) for m in MISTAKES["ex1_w_grad"]]
        fail(*matching_hint(got, wrong, (f"不是 {got:g}：{WHY[0]}", f"not {got:g}: {WHY[1]}")))
    passed(
        "练习 1 通过：一次 2w + 1 = 9，两次不清零是 18",
        "Exercise 1 passed: 2w + 1 = 9 once, 18 twice without clearing",
    )


# ---------------------------------------------------------------- exercise 2: find the bugs


def _mse(model, X, y):
    return ((model(X) - y) ** 2).mean()


def _step(*, clear="after", rebind=False, no_grad=True):
    """A train_step: the right one, or one with the mistakes the keywords name. ``clear``: when
    the gradients are cleared ("after" the update, "before" it with zero_grad(), "zero" before it
    with grad.zero_(), or "never"); ``rebind``: ``p = p - lr * p.grad`` instead of ``p -= ...``;
    ``no_grad``: whether the update runs inside torch.no_grad()."""

    def train_step(model, X, y, lr):
        loss = _mse(model, X, y)
        loss.backward()
        if clear == "before":
            model.zero_grad()  # every p.grad is None now
        elif clear == "zero":
            for p in model.parameters():
                p.grad.zero_()  # the update below subtracts zeros
        with torch.no_grad() if no_grad else contextlib.nullcontext():
            for p in model.parameters():
                if rebind:
                    p = p - lr * p.grad  # only the name p changes
                else:
                    p -= lr * p.grad
        if clear == "after":
            model.zero_grad()
        return loss.item()

    return train_step


# the notebook's buggy_train_step: clears before the update, rebinds, outside no_grad
_buggy = _step(clear="before", rebind=True, no_grad=False)
_cleared_first = _step(clear="before")
_zeroed_first = _step(clear="zero")
_rebinds = _step(rebind=True)
_rebinds_outside_no_grad = _step(rebind=True, no_grad=False)
_without_no_grad = _step(no_grad=False)
_never_clears = _step(clear="never")


def _detaches(model, X, y, lr):
    loss = _mse(model, X, y)
    loss.backward()
    for p in model.parameters():
        p.data = (p - lr * p.grad).detach()
        p.requires_grad_(False)
    return loss.item()


def _update_with(update):
    """A right train_step but for the update, which sets each p to ``update(p, p.grad, lr)``."""

    def train_step(model, X, y, lr):
        loss = _mse(model, X, y)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(update(p, p.grad, lr))
        model.zero_grad()
        return loss.item()

    return train_step


CLEARED_FIRST = Mistake(
    _cleared_first,
    "model.zero_grad() 在 backward 和更新之间，把每个 p.grad 设成了 None，lr * p.grad 就报 TypeError："
    "先更新，再清零（或者在前向之前清零）",
    "model.zero_grad() runs between backward and the update and sets every p.grad to None, so "
    "lr * p.grad raises a TypeError: update first, then clear (or clear before the forward pass)",
)
ZEROED_FIRST = Mistake(
    _zeroed_first,
    "参数没有变：更新之前 p.grad 已经被 zero_() 填成了 0，减去的是 0。先更新，再清零",
    "the parameters did not change: p.grad was filled with zeros by zero_() before the update, "
    "so the update subtracted zeros. Update first, then clear",
)
REBOUND = Mistake(
    _rebinds,
    "参数没有变：p = p - lr * p.grad 只让名字 p 指向一个新张量，模型里的参数没动。"
    "要原地更新：p -= lr * p.grad（放在 with torch.no_grad(): 里）",
    "the parameters did not change: p = p - lr * p.grad only points the name p at a new tensor "
    "and leaves the model's parameter alone. Update in place: p -= lr * p.grad (inside "
    "`with torch.no_grad():`)",
)
NO_GRAD = Mistake(
    _without_no_grad,
    "原地修改需要梯度的叶子张量会报 RuntimeError：把更新放在 with torch.no_grad(): 里",
    "changing a leaf tensor that requires grad in place raises a RuntimeError: put the update "
    "inside `with torch.no_grad():`",
)
NOT_CLEARED = Mistake(
    _never_clears,
    "第一步对了，第二步不对：梯度没有清零，第二次 backward 把新梯度加到了旧梯度上。"
    "每步清零（model.zero_grad()、p.grad = None 或 p.grad.zero_()），在更新之后或前向之前",
    "the first step is right, the second is not: the gradients were never cleared, so the "
    "second backward added to the old ones. Clear them every step (model.zero_grad(), "
    "p.grad = None or p.grad.zero_()), after the update or before the forward pass",
)
DETACHED = Mistake(
    _detaches,
    "参数不再需要梯度（requires_grad 是 False），下一步就没有梯度了：不要用 detach() "
    "或新张量替换参数，在 with torch.no_grad(): 里原地 p -= lr * p.grad",
    "the parameters no longer require grad (requires_grad is False), so the next step has no "
    "gradient: do not replace them with detach() or new tensors; update in place, "
    "p -= lr * p.grad, inside `with torch.no_grad():`",
)
MISTAKES["ex2_train_step"] = [
    Mistake(_buggy, CLEARED_FIRST.zh, CLEARED_FIRST.en),  # the cell as given
    CLEARED_FIRST,
    ZEROED_FIRST,
    REBOUND,
    Mistake(_rebinds_outside_no_grad, REBOUND.zh, REBOUND.en),
    NO_GRAD,
    NOT_CLEARED,
    DETACHED,
    Mistake(
        _update_with(lambda p, g, lr: p + lr * g),
        "方向反了：应该沿梯度的反方向走，p -= lr * p.grad",
        "the step goes uphill: move against the gradient, p -= lr * p.grad",
    ),
    Mistake(
        _update_with(lambda p, g, lr: p - g),
        "梯度没有乘学习率 lr：p -= lr * p.grad",
        "the gradient was not multiplied by the learning rate lr: p -= lr * p.grad",
    ),
]
LR, STEPS = 0.1, 2


def _problem():
    """A small network with a regression target: (model, X, y), the same every time."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    g = torch.Generator().manual_seed(0)
    X = torch.randn(16, 3, generator=g)
    return model, X, torch.randn(16, 1, generator=g)


def _flat(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def _trained(train_step):
    """The parameters after each of ``STEPS`` calls of ``train_step``, and the losses returned."""
    model, X, y = _problem()
    params, losses = [], []
    for _ in range(STEPS):
        losses.append(train_step(model, X, y, LR))
        params.append(_flat(model))
    return model, params, losses


def _sgd_step(model, X, y, lr):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    optimizer.zero_grad()
    loss = _mse(model, X, y)
    loss.backward()
    optimizer.step()
    return loss.item()


def ex2_train_step(train_step):
    """``train_step(model, X, y, lr)``: one step of gradient descent on the mean squared error,
    gradients cleared for the next step; returns the step's loss as a number."""
    model0, X, y = _problem()
    start = _flat(model0)
    versions = [p._version for p in model0.parameters()]
    try:
        first = train_step(model0, X, y, LR)
    except TypeError as e:
        if "NoneType" in str(e):
            fail(CLEARED_FIRST.zh, CLEARED_FIRST.en)
        raise
    except RuntimeError as e:
        if "leaf" in str(e) or "in-place" in str(e):
            fail(NO_GRAD.zh, NO_GRAD.en)
        raise
    expect(all(p.requires_grad for p in model0.parameters()), DETACHED.zh, DETACHED.en)
    expect_number(first)
    if torch.equal(_flat(model0), start):
        # an in-place update of zeros bumps a parameter's version counter; rebinding does not
        bumped = any(p._version != v for p, v in zip(model0.parameters(), versions))
        fail(*((ZEROED_FIRST.zh, ZEROED_FIRST.en) if bumped else (REBOUND.zh, REBOUND.en)))
    _, params, losses = _trained(train_step)
    _, sgd_params, sgd_losses = _trained(_sgd_step)
    check_close(
        torch.stack(params),
        torch.stack(sgd_params),
        name=("两步之后的参数", "the parameters after each of two steps"),
        mistakes=wrong_results(
            MISTAKES["ex2_train_step"], lambda answer: torch.stack(_trained(answer)[1])
        ),
    )
    check_close(
        torch.tensor([expect_number(loss) for loss in losses], dtype=torch.float64),
        torch.tensor(sgd_losses, dtype=torch.float64),
        name=("返回的损失（更新之前的）", "the returned losses (before each update)"),
    )
    passed(
        "练习 2 通过：三个错误都改好了，两步与 SGD 相同",
        "Exercise 2 passed: all three bugs fixed, two steps as SGD takes them",
    )


# ---------------------------------------------------------------- exercise 3: a Jacobian by rows

_A = torch.tensor(
    [[0.5, -1.0, 2.0, 0.3], [1.5, 0.2, -0.7, 1.0], [-0.4, 0.8, 0.1, -1.2]], dtype=torch.float64
)


def _f(x):
    """From 4 numbers to 3, not linear, with a Jacobian that is neither symmetric nor square."""
    return _A @ torch.tanh(x) + x[0] * x[1:]


X3 = torch.tensor([0.3, -1.2, 0.8, 1.5], dtype=torch.float64)


def _rows(f, x, v_of, clear=True, clone=True, retain=True):
    """Row i of the result is x.grad after ``out.backward(gradient=v_of(i, out))``."""
    x = x.detach().clone().requires_grad_()
    out = f(x)
    rows = []
    for i in range(out.numel()):
        if clear and x.grad is not None:
            x.grad.zero_()
        out.backward(gradient=v_of(i, out), retain_graph=retain)
        rows.append(x.grad.clone() if clone else x.grad)
    return torch.stack(rows)


def _one_hot(i, out):
    v = torch.zeros_like(out)
    v[i] = 1.0
    return v


def _by_functional(f, x):
    return torch.autograd.functional.jacobian(f, x)


SAME_GRAPH = Mistake(
    lambda f, x: _rows(f, x, _one_hot, retain=False),
    "同一张图第二次反向传播时，保存的中间张量已经释放了：前面几次用 backward(..., retain_graph=True)，"
    "或者每一行都重新前向一次",
    "the second backward pass through one graph found its saved tensors freed: pass "
    "retain_graph=True to the earlier backward calls, or run the forward pass again for every row",
)


def _x_not_requiring_grad(f, x):
    out = f(x)  # x does not require grad, so neither does out
    return torch.stack(
        [torch.autograd.grad(out, x, _one_hot(i, out), retain_graph=True)[0] for i in range(3)]
    )


NO_REQUIRES_GRAD = Mistake(
    _x_not_requiring_grad,
    "x 不需要梯度，反向传播到不了它：先 x = x.detach().clone().requires_grad_()，再算 f(x)",
    "x does not require grad, so backpropagation cannot reach it: set "
    "x = x.detach().clone().requires_grad_() before computing f(x)",
)
USES_FUNCTIONAL = Mistake(
    _by_functional,
    "这道题要你用 backward(gradient=v) 或 torch.autograd.grad 一行一行算，"
    "torch.autograd.functional.jacobian 是检查拿来对照的",
    "this exercise asks you to build it row by row with backward(gradient=v) or "
    "torch.autograd.grad; torch.autograd.functional.jacobian is what the check compares with",
)
MISTAKES["ex3_jacobian"] = [
    Mistake(
        lambda f, x: _rows(f, x, _one_hot).T,
        "行和列反了：第 i 行是输出 f_i 对 x 的梯度，结果的形状是 (m, n)，m 是输出的个数",
        "rows and columns are swapped: row i is the gradient of output f_i with respect to x, "
        "and the result has shape (m, n), m being the number of outputs",
    ),
    Mistake(
        lambda f, x: _rows(f, x, _one_hot, clear=False),
        "每一行都加上了前面各行：backward 把梯度累加在 x.grad 上，每一行之前先清零"
        "（x.grad = None 或 x.grad.zero_()）",
        "each row has the rows before it added in: backward accumulates into x.grad, so clear "
        "it before each row (x.grad = None or x.grad.zero_())",
    ),
    Mistake(
        lambda f, x: _rows(f, x, lambda i, out: torch.ones_like(out)),
        "每一行都一样：v 全是 1 时 vᵀJ 是 J 所有行的和（f(x).sum() 的梯度）。"
        "第 i 行要用第 i 个分量为 1、其余为 0 的 v",
        "every row is the same: with v all ones, vᵀJ is the sum of J's rows (the gradient of "
        "f(x).sum()). Row i needs the v that is 1 at position i and 0 elsewhere",
    ),
    Mistake(
        lambda f, x: _rows(f, x, _one_hot, clone=False),
        "每一行都等于最后一行：存进列表的是 x.grad 这同一个张量，zero_() 和下一次 backward "
        "都在原地改它。存 x.grad.clone()，或者每行之前 x.grad = None",
        "every row equals the last one: the list holds x.grad itself, one tensor that zero_() "
        "and the next backward change in place. Store x.grad.clone(), or set x.grad = None "
        "before each row",
    ),
    SAME_GRAPH,
    NO_REQUIRES_GRAD,
    USES_FUNCTIONAL,
]


def _refuse(*args, **kwargs):
    fail(USES_FUNCTIONAL.zh, USES_FUNCTIONAL.en)


def ex3_jacobian(jacobian_by_rows):
    """``jacobian_by_rows(f, x)``: the (m, n) Jacobian of f at x, one backward pass per row."""
    right = torch.autograd.functional.jacobian(_f, X3)
    x = X3.clone()
    with (
        mock.patch.object(torch.autograd.functional, "jacobian", _refuse),
        mock.patch.object(torch.func, "jacrev", _refuse),
        mock.patch.object(torch.func, "jacfwd", _refuse),
    ):
        try:
            got = jacobian_by_rows(_f, x)
        except RuntimeError as e:
            if "second time" in str(e) or "freed" in str(e):
                fail(SAME_GRAPH.zh, SAME_GRAPH.en)
            if "does not require grad" in str(e):
                fail(NO_REQUIRES_GRAD.zh, NO_REQUIRES_GRAD.en)
            raise
    expect(
        isinstance(got, torch.Tensor),
        f"应返回一个 (m, n) 的张量，得到 {type(got).__name__}",
        f"return an (m, n) tensor, got {type(got).__name__}",
    )
    wrong = [  # the table's answers that run here, less the one that is right but not allowed
        (value, zh, en)
        for value, zh, en in wrong_values(MISTAKES["ex3_jacobian"], _f, X3)
        if value.shape != right.shape or not torch.allclose(value, right)
    ]
    check_close(got, right, name="jacobian_by_rows", mistakes=wrong)
    passed(
        "练习 3 通过：m 次向量–雅可比积拼出了整个雅可比矩阵",
        "Exercise 3 passed: m vector-Jacobian products make the whole Jacobian",
    )


wrap_checkers(globals())
