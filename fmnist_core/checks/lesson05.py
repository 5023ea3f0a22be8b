"""Checks for the exercises of lesson 05 (regression losses).

- ``ex1_l1_broadcast`` (predict): what a line trained with ``L1Loss`` and the ``(N, 1)`` versus
  ``(N,)`` broadcasting bug predicts at x = 6. The truth is computed here: the broadcast L1 loss
  is smallest when every prediction is the median of the targets.
- ``ex2_fit_line`` (debug): the learner fixes a line fit with two bugs (the broadcasting bug,
  hidden by a silenced warning, and ``reduction="sum"`` with a learning rate chosen for the mean).
  The checker reads the gradient of the answer's first SGD step and names each bug still there,
  then compares the trained line with the least-squares line.
- ``ex3_log_cosh`` (transfer): the log-cosh loss, which the lesson does not show, for every
  reduction, finite for errors up to 1000 in float32, with the gradient tanh(e) (over N).

The anticipated mistakes are data (``MISTAKES``): each wrong answer with its hint.
"""

import math
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from . import (
    LOSS_FACTOR_HINT,
    Mistake,
    check_answer,
    check_close,
    expect,
    expect_number,
    fail,
    passed,
    wrap_checkers,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker


# ---------------------------------------------------------------- exercise 1: predict, then run

X7 = torch.arange(7.0)  # the notebook's x7: 0, 1, ..., 6
Y7 = torch.tensor([2.0, 4.0, 5.0, 7.0, 8.0, 30.0, 12.0])  # its y7, an outlier at x = 5
AT = 6.0  # the prediction asked for is the model's output at x = 6


def _l1_broadcast_answer():
    """The broadcast loss (1/N²) Σ_i Σ_j |ŷ_i − y_j| is smallest when every ŷ_i is the median of
    the targets (unique for an odd N): slope 0, intercept the median, at every x."""
    return Y7.median().item()


def _least_squares(x, y):
    """(w, b) of the least-squares line through the points (x, y), in float64."""
    A = torch.stack([x.double(), torch.ones_like(x, dtype=torch.float64)], 1)
    w, b = torch.linalg.lstsq(A, y.double().unsqueeze(1)).solution.squeeze(1).tolist()
    return w, b


WHY_MEDIAN = (
    "广播之后，每个预测 ŷ_i 都要和全部 7 个目标比较，损失是 Σ_i Σ_j |ŷ_i − y_j| / 49。"
    "对每个 ŷ_i，Σ_j |ŷ_i − y_j| 在 7 个目标的中位数处最小（第 5.1 节）；所有 ŷ_i 都等于中位数时损失最小，"
    "所以斜率趋于 0，截距趋于目标的中位数，模型在 x = 6 处（在任何 x 处）都预测这个中位数",
    "after broadcasting, every prediction ŷ_i is compared with all 7 targets: the loss is "
    "Σ_i Σ_j |ŷ_i − y_j| / 49. For each ŷ_i, Σ_j |ŷ_i − y_j| is smallest at the median of the "
    "7 targets (section 5.1); the loss is smallest when every ŷ_i is that median, so the slope "
    "goes to 0, the intercept to the median of the targets, and the model predicts that median "
    "at x = 6 (at any x)",
)
OUTLIER_DROPPED = (
    "离群点也是 7 个目标之一，不能去掉：L1 的稳健在于离群点只算一票（它离得多远都一样），"
    "不在于它不算。7 个目标（含 30）的中位数就是答案",
    "the outlier is one of the 7 targets and stays in: L1 is robust because the outlier "
    "counts as one vote (however far it is), not because it does not count. The median of "
    "the 7 targets (30 included) is the answer",
)
_W, _B = _least_squares(X7, Y7)
MISTAKES["ex1_l1_broadcast"] = [
    Mistake(
        lambda: Y7.mean().item(),  # 68/7 = 9.71
        "这是目标的均值：那是 MSELoss 有广播错误时的结果（第 6 节）。L1 的最优常数不是均值："
        "每个预测和全部 7 个目标比较，Σ_j |ŷ_i − y_j| 在目标的中位数处最小（第 5.1 节），"
        "所以模型在任何 x 处都预测目标的中位数",
        "this is the mean of the targets: what MSELoss ends at with the broadcasting bug "
        "(section 6). The best constant under L1 is not the mean: each prediction is compared "
        "with all 7 targets, and Σ_j |ŷ_i − y_j| is smallest at the median of the targets "
        "(section 5.1), so the model predicts the median of the targets at any x",
    ),
    Mistake(
        lambda: 12.0,
        "12 是形状正确时 L1 拟合的直线在 x = 6 处的预测（它正好穿过目标 12）。有广播错误时，"
        "每个预测都要和全部 7 个目标比较，不再和自己的目标配对：" + WHY_MEDIAN[0],
        "12 is what the L1 line with the right shapes predicts at x = 6 (it passes through the "
        "target 12). With the bug, each prediction is compared with all 7 targets instead of "
        "its own: " + WHY_MEDIAN[1],
    ),
    Mistake(
        lambda: _W * AT + _B,  # 18.82
        "这是形状正确时 MSE 拟合的直线在 x = 6 处的预测。这里有两处不同：用的是 L1，而且有广播错误，"
        "每个预测都和全部 7 个目标比较：" + WHY_MEDIAN[0],
        "this is what the MSE line with the right shapes predicts at x = 6. Two things differ "
        "here: the loss is L1, and with the bug each prediction is compared with all 7 targets: "
        + WHY_MEDIAN[1],
    ),
    Mistake(
        lambda: 0.0,
        "0 是斜率，不是预测：斜率为 0 时，模型在每个 x 处都预测它的截距 b，而 b 趋于 7 个目标的中位数",
        "0 is the slope, not the prediction: with slope 0 the model predicts its intercept b at "
        "every x, and b goes to the median of the 7 targets",
    ),
    Mistake(
        lambda: X7.median().item(),  # 3
        "这是输入 x 的中位数：损失比较的是预测和目标 y，最优的常数是目标 y 的中位数",
        "this is the median of the inputs x: the loss compares the predictions with the targets "
        "y, so the best constant is the median of the targets y",
    ),
    Mistake(lambda: 5.0, *OUTLIER_DROPPED),  # the lower median of the 6 others
    Mistake(lambda: 6.0, *OUTLIER_DROPPED),  # (5 + 7) / 2, their median
]


def ex1_l1_broadcast(predict_bug_at_6):
    """``predict_bug_at_6()``: what ``nn.Linear(1, 1)`` trained with ``L1Loss`` on predictions
    of shape (7, 1) against targets of shape (7,) predicts at x = 6."""
    got = expect_number(predict_bug_at_6())
    right = _l1_broadcast_answer()
    if abs(got - right) > 0.1:
        for m in MISTAKES["ex1_l1_broadcast"]:
            if abs(got - m.answer()) < 0.06:
                fail(m.zh, m.en)
        fail(f"{got:g} 不对：{WHY_MEDIAN[0]}", f"{got:g} is not right: {WHY_MEDIAN[1]}")
    passed(
        "练习 1 通过：每个预测都和全部目标比较，L1 把它们都拉到目标的中位数 7",
        "Exercise 1 passed: each prediction meets every target; L1 pulls all to the median, 7",
    )


# ---------------------------------------------------------------- exercise 2: find the bugs


def buggy_fit_line(x, y, lr=0.02, steps=1000):
    """The lesson's ``fit_line_buggy``, as the learner receives it (two bugs)."""
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss(reduction="sum")
    for _ in range(steps):
        pred = model(x.unsqueeze(1))  # (N, 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 这条警告太吵 / this warning is noisy
            loss = loss_fn(pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.weight.item(), model.bias.item()


def _fit_line(*, shapes=True, reduction="mean", lr_factor=1.0, optimizer=torch.optim.SGD):
    """A ``fit_line``: the fixed one, or one with the bugs the keywords name (``shapes=False``:
    the (N, 1) prediction against the (N,) target; ``reduction="sum"``; the learning rate
    multiplied by ``lr_factor``; another optimizer)."""

    def fit_line(x, y, lr=0.02, steps=1000):
        torch.manual_seed(0)
        model = nn.Linear(1, 1)
        opt = optimizer(model.parameters(), lr=lr * lr_factor)
        loss_fn = nn.MSELoss(reduction=reduction)
        for _ in range(steps):
            pred = model(x.unsqueeze(1))
            if shapes:
                pred = pred.squeeze(1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                loss = loss_fn(pred, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return model.weight.item(), model.bias.item()

    return fit_line


SHAPE = (
    "形状的错误还在：model(x.unsqueeze(1)) 的形状是 (N, 1)，目标 y 是 (N,)，两者广播成 (N, N)，"
    "每个预测都和每个目标比较，直线只会学成目标的均值（第 6 节）。警告被 simplefilter('ignore') "
    "藏起来了：算损失前用 pred.squeeze(1)（或 y.unsqueeze(1)）让形状相同，再删掉那句忽略警告",
    "the shape bug is still there: model(x.unsqueeze(1)) has shape (N, 1) and the target y has "
    "(N,), so they broadcast to (N, N), every prediction is compared with every target, and the "
    "line can only learn the mean of the targets (section 6). simplefilter('ignore') hid the "
    "warning: make the shapes equal before the loss with pred.squeeze(1) (or y.unsqueeze(1)), "
    "and remove the line that ignores the warning",
)
SUM = (
    "reduction='sum' 的错误还在：总和的梯度是均值的 N 倍，而传进来的 lr 是按均方误差（'mean'）选的，"
    "每一步大了 N 倍，训练发散成 nan。用 nn.MSELoss()（默认 'mean'），lr 不变",
    "the reduction='sum' bug is still there: the gradient of the sum is N times that of the "
    "mean, and the lr passed in was chosen for the mean squared error ('mean'), so every step "
    "is N times too large and training diverges to nan. Use nn.MSELoss() (the default 'mean'), "
    "lr unchanged",
)
BOTH = (
    "两个错误都还在。第一：reduction='sum' 让梯度大了 N 倍（广播后是 N² 倍），而 lr 是按均值选的，"
    "所以发散成 nan；第二：形状 (N, 1) 对 (N,) 被广播成 (N, N)，警告被 simplefilter('ignore') 藏了起来",
    "both bugs are still there. One: reduction='sum' makes the gradient N times larger (N² times "
    "after broadcasting) while lr was chosen for the mean, so training diverges to nan. Two: the "
    "shapes (N, 1) and (N,) broadcast to (N, N), and simplefilter('ignore') hid the warning",
)
STEP_SIZE = (
    "第一步的方向对，大小不对：不要改学习率，用 reduction='mean' 的均方误差和传进来的 lr",
    "the first step points the right way but has the wrong size: do not change the learning "
    "rate; use the mean squared error (reduction='mean') with the lr passed in",
)
NOT_SGD = (
    "第一步不是 SGD 在均方误差上的一步：保留 torch.optim.SGD、nn.Linear(1, 1) 和均方误差，只改错误",
    "the first step is not the step of SGD on the mean squared error: keep torch.optim.SGD, "
    "nn.Linear(1, 1) and the mean squared error, and change only the bugs",
)
MISTAKES["ex2_fit_line"] = [
    Mistake(buggy_fit_line, *BOTH),  # the cell as given
    Mistake(_fit_line(shapes=False, reduction="sum"), *BOTH),
    Mistake(_fit_line(reduction="sum"), *SUM),
    Mistake(_fit_line(shapes=False), *SHAPE),
    # the divergence "fixed" by a smaller learning rate instead of the mean
    Mistake(_fit_line(reduction="sum", lr_factor=0.01), *STEP_SIZE),
    Mistake(_fit_line(shapes=False, reduction="sum", lr_factor=0.01), *SHAPE),
    Mistake(_fit_line(optimizer=torch.optim.Adam), *NOT_SGD),
]

# the checker's own line: 12 points, lr 0.2 stable for the mean, 12 times too large for the sum
_g = torch.Generator().manual_seed(5)
X_FIT = torch.linspace(-1, 3, 12)
Y_FIT = 1.5 * X_FIT - 0.5 + 0.3 * torch.randn(12, generator=_g)
LR_FIT, STEPS_FIT = 0.2, 200


def _pair(got):
    expect(
        isinstance(got, (tuple, list))
        and len(got) == 2
        and all(isinstance(v, (int, float, torch.Tensor)) for v in got),
        f"fit_line 应返回 (w, b) 两个数，得到的是 {type(got).__name__}",
        f"fit_line should return the two numbers (w, b), got {type(got).__name__}",
    )
    return [expect_number(v) for v in got]


def _run(fit_line, steps):
    torch.manual_seed(0)  # 同样的初始值 / the same initial line, with or without a seed inside
    return _pair(fit_line(X_FIT.clone(), Y_FIT.clone(), lr=LR_FIT, steps=steps))


def _gradients(w, b):
    """The gradient (d/dw, d/db) at (w, b) of the right loss, and of the loss with the
    broadcasting bug, both mean squared errors, in float64."""
    x, y = X_FIT.double(), Y_FIT.double()
    pred = w * x + b
    right = torch.stack([2 * ((pred - y) * x).mean(), 2 * (pred - y).mean()])
    diff = pred.unsqueeze(1) - y.unsqueeze(0)  # (N, N): ŷ_i − y_j
    broadcast = torch.stack([2 * (diff * x.unsqueeze(1)).mean(), 2 * diff.mean()])
    return right, broadcast


def _factor(step, g):
    """k if ``step`` = k · ``g`` (k > 0), else None."""
    k = (step @ g) / (g @ g)
    return k.item() if k > 0 and torch.allclose(step, k * g, rtol=1e-3, atol=1e-6) else None


def ex2_fit_line(fit_line):
    """``fit_line(x, y, lr=0.02, steps=1000)``: the fixed line fit (SGD on the mean squared
    error, shapes equal); returns (w, b)."""
    w0, b0 = _run(fit_line, 0)
    w1, b1 = _run(fit_line, 1)
    step = torch.tensor([w0 - w1, b0 - b1], dtype=torch.float64) / LR_FIT
    right, broadcast = _gradients(w0, b0)
    n = len(X_FIT)
    expect(step.abs().max() > 0, *NOT_SGD)
    k = _factor(step, broadcast)
    if k is not None:
        fail(*(BOTH if abs(k - n * n) < 0.01 * n * n else SHAPE))
    k = _factor(step, right)
    if k is None:
        fail(*NOT_SGD)
    if abs(k - n) < 0.01 * n:
        fail(*SUM)
    expect(abs(k - 1) < 1e-3, *STEP_SIZE)
    w, b = _run(fit_line, STEPS_FIT)
    w_ls, b_ls = _least_squares(X_FIT, Y_FIT)
    expect(
        abs(w - w_ls) < 1e-3 and abs(b - b_ls) < 1e-3,
        f"第一步对了，但 {STEPS_FIT} 步之后的直线 w = {w:.4f}, b = {b:.4f} 不是最小二乘的直线 "
        f"w = {w_ls:.4f}, b = {b_ls:.4f}：每一步都要先 zero_grad()，返回 (w, b) 的顺序也别颠倒",
        f"the first step is right, but after {STEPS_FIT} steps the line w = {w:.4f}, b = {b:.4f} "
        f"is not the least-squares line w = {w_ls:.4f}, b = {b_ls:.4f}: clear the gradients every "
        f"step, and return (w, b) in that order",
    )
    passed(
        "练习 2 通过：形状相同、用均值，SGD 收敛到最小二乘的直线",
        "Exercise 2 passed: equal shapes and the mean; SGD reaches the least-squares line",
    )


# ---------------------------------------------------------------- exercise 3: log-cosh


def _log_cosh_reference(pred, target):
    """log cosh(e) per element, in float64 and finite for every e: |e| + log(1 + e^(−2|e|)) −
    log 2, since cosh e = e^|e| (1 + e^(−2|e|)) / 2."""
    a = (pred.double() - target.double()).abs()
    return a + torch.log1p(torch.exp(-2 * a)) - math.log(2)


def _reduced(loss, reduction):
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


def _log_cosh_inputs():
    """Errors from 0 to ±1000: cosh overflows float32 beyond |e| ≈ 89 and float64 beyond 710."""
    g = torch.Generator().manual_seed(7)
    target = torch.randn(3, 5, generator=g)
    error = torch.tensor(
        [
            [0.0, 1e-3, -0.3, 0.7, -1.5],
            [2.0, -4.0, 9.0, -25.0, 60.0],
            [-100.0, 150.0, -300.0, 800.0, -1000.0],
        ]
    )
    return target + error, target


def _naive(dtype=None):
    def my_log_cosh(pred, target, reduction="mean"):
        e = pred - target
        loss = torch.log(torch.cosh(e if dtype is None else e.to(dtype)))
        return _reduced(loss.to(pred.dtype), reduction)

    return my_log_cosh


def _where_naive(pred, target, reduction="mean"):
    """Right values, but torch.where differentiates the branch it did not pick: inf · 0 = nan."""
    e = pred - target
    loss = torch.where(e.abs() < 20, torch.log(torch.cosh(e)), e.abs() - math.log(2))
    return _reduced(loss, reduction)


def _clamped(pred, target, reduction="mean"):
    e = (pred - target).clamp(-20, 20)
    return _reduced(torch.log(torch.cosh(e)), reduction)


def _log_cosh_but(where, wrong):
    """A right log-cosh for every reduction but ``where``, which returns ``wrong(loss)``."""

    def my_log_cosh(pred, target, reduction="mean"):
        loss = _log_cosh_reference(pred, target).to(pred.dtype)
        return wrong(loss) if reduction == where else _reduced(loss, reduction)

    return my_log_cosh


OVERFLOW = (
    "结果里有 inf 或 nan：cosh(e) 在 float32 中 |e| > 89 就溢出成 inf（float64 中 |e| > 710），"
    "log(inf) = inf，梯度 inf/inf = nan。把 e^|e| 提到对数外面：cosh e = e^|e| (1 + e^(−2|e|)) / 2，"
    "剩下的部分用 torch.log1p 和 torch.exp 算，对任何 e 都是有限的",
    "the result holds inf or nan: cosh(e) overflows to inf in float32 for |e| > 89 (in float64 "
    "for |e| > 710), log(inf) = inf and the gradient inf/inf = nan. Take e^|e| out of the log: "
    "cosh e = e^|e| (1 + e^(−2|e|)) / 2, and compute the rest with torch.log1p and torch.exp, "
    "which is finite for every e",
)
WHERE_NAN = (
    "数值对了，梯度里却有 nan：torch.where 对两个分支都求导，没被选中的 log(cosh(e)) 在大误差处是 inf，"
    "反向传播得到 inf · 0 = nan。写一个对任何 e 都有限的公式（把 e^|e| 提到对数外面），"
    "或者先把送进 log(cosh(·)) 的 e 截断到不会溢出的范围",
    "the values are right but the gradient holds nan: torch.where differentiates both branches, "
    "and the branch not picked, log(cosh(e)), is inf at large errors, so backpropagation gets "
    "inf · 0 = nan. Write one formula that is finite for every e (take e^|e| out of the log), "
    "or clamp the e that goes into log(cosh(·)) to a range where it cannot overflow",
)
NONE_REDUCED = (
    "reduction='none' 要返回每个元素的损失（与输入同形状），不要{}",
    "reduction='none' returns the loss of each element (the input's shape), not the {}",
)
MISTAKES["ex3_log_cosh"] = [
    # 第一条：只有默认值错时才会走到它 / first: reached only when just the default is wrong
    Mistake(
        lambda pred, target, reduction="sum": _reduced(
            _log_cosh_reference(pred, target).float(), reduction
        ),
        "默认的 reduction 应该是 'mean'，与 PyTorch 的损失函数一样",
        "the default reduction should be 'mean', as for PyTorch's losses",
    ),
    Mistake(_naive(), *OVERFLOW),
    Mistake(_naive(torch.float64), *OVERFLOW),
    Mistake(
        _clamped,
        "大误差处的值不对：把 e 截断（clamp）之后，误差再大损失也不变，梯度成了 0；log-cosh 在大误差处"
        "像 |e| − log 2，梯度是 ±1。把 e^|e| 提到对数外面，就不需要截断",
        "the values at large errors are wrong: after clamping e the loss stops growing and its "
        "gradient is 0, while log-cosh grows like |e| − log 2 with gradient ±1 there. Take e^|e| "
        "out of the log and no clamping is needed",
    ),
    Mistake(
        lambda pred, target, reduction="mean": _reduced(
            _log_cosh_reference(pred, target).float() + math.log(2), reduction
        ),
        "每个元素多了 log 2：cosh e = (e^e + e^(−e)) / 2，有一个 1/2，所以 e = 0 时 log cosh 0 = 0",
        "every element is log 2 too large: cosh e = (e^e + e^(−e)) / 2 has a 1/2, so that "
        "log cosh 0 = 0 at e = 0",
    ),
    Mistake(
        lambda pred, target, reduction="mean": _reduced(
            (pred - target).abs() - math.log(2), reduction
        ),
        "|e| − log 2 只是大误差处的近似：小误差处 log cosh e ≈ e²/2，e = 0 时是 0。"
        "把 log(1 + e^(−2|e|)) 这一项留着",
        "|e| − log 2 is only the large-error limit: for small errors log cosh e ≈ e²/2, and 0 "
        "at e = 0. Keep the term log(1 + e^(−2|e|))",
    ),
    Mistake(
        lambda pred, target, reduction="mean": F.huber_loss(pred, target, reduction=reduction),
        "这是 HuberLoss（delta = 1）：它和 log-cosh 的形状相近（小误差像 e²/2，大误差像 |e|），但不是同一个函数",
        "this is HuberLoss (delta = 1): its shape is close to log-cosh (e²/2 for small errors, "
        "|e| for large ones), but it is not the same function",
    ),
    Mistake(
        _log_cosh_but("mean", lambda loss: loss.sum() / loss.shape[0]),
        "只除以了批次大小：'mean' 要除以所有元素的个数 N = 行数 × 列数",
        "you divided by the batch size only: 'mean' divides by N = rows × columns",
    ),
    Mistake(
        _log_cosh_but("mean", lambda loss: loss.sum()),
        "reduction='mean' 时返回了总和：还要除以元素个数 N",
        "you returned the sum for 'mean': divide by the number of elements N",
    ),
    Mistake(
        _log_cosh_but("sum", lambda loss: loss.mean()),
        "reduction='sum' 时不要除以 N",
        "with reduction='sum' do not divide by N",
    ),
    Mistake(
        _log_cosh_but("none", lambda loss: loss.mean()),
        NONE_REDUCED[0].format("求平均"),
        NONE_REDUCED[1].format("mean"),
    ),
    Mistake(
        _log_cosh_but("none", lambda loss: loss.sum()),
        NONE_REDUCED[0].format("求和"),
        NONE_REDUCED[1].format("sum"),
    ),
]
MISTAKES["ex3_log_cosh"].append(Mistake(_where_naive, *WHERE_NAN))


def ex3_log_cosh(my_log_cosh):
    """``my_log_cosh(pred, target, reduction="mean")``: log cosh(pred − target) reduced as
    PyTorch's losses are; finite values and gradients for errors up to ±1000 in float32."""
    pred, target = _log_cosh_inputs()
    mistakes = MISTAKES["ex3_log_cosh"]
    for kw in ({"reduction": "mean"}, {"reduction": "sum"}, {"reduction": "none"}, {}):
        name = f"my_log_cosh(reduction='{kw['reduction']}')" if kw else "my_log_cosh(pred, target)"
        expected = _reduced(_log_cosh_reference(pred, target), kw.get("reduction", "mean"))
        check_answer(
            my_log_cosh,
            (pred, target),
            expected,
            mistakes,
            options=kw,
            name=name,
            atol=1e-5,
            factor_hint=LOSS_FACTOR_HINT,
            nonfinite_hint=OVERFLOW,
        )
    e = (pred - target).double()
    for reduction in ("mean", "sum", "none"):
        p = pred.clone().requires_grad_(True)
        loss = my_log_cosh(p, target, reduction=reduction)
        (grad,) = torch.autograd.grad(loss, p, grad_outputs=torch.ones_like(loss))
        expected = torch.tanh(e) / (e.numel() if reduction == "mean" else 1)
        name = (
            f"my_log_cosh(reduction='{reduction}') 的梯度",
            f"the gradient of my_log_cosh (reduction='{reduction}')",
        )
        if not torch.isfinite(grad).all():
            fail(*WHERE_NAN)
        check_close(grad, expected, name=name, atol=1e-6, factor_hint=LOSS_FACTOR_HINT)
    passed(
        "练习 3 通过：log-cosh 对每种 reduction 都对，误差到 ±1000 仍有限，梯度是 tanh(e)",
        "Exercise 3 passed: log-cosh right for every reduction, finite up to ±1000, gradient tanh(e)",
    )


wrap_checkers(globals())
