"""Checks for the exercises of lesson 04 (hyperparameters and the validation set).

- ``ex1_step_lr_params`` (transfer): section 4 goes from ``StepLR``'s parameters to its learning
  rates; the exercise goes back: from a ``get_last_lr()`` trace, find ``step_size`` and
  ``gamma``. The traces are made by ``StepLR`` itself; step_size and gamma are checked
  separately, each wrong value matched against the anticipated mistakes.
- ``ex2_early_stopping`` (debug): the learner fixes an early-stopping rule with two bugs (it
  compares each epoch with the epoch before instead of with the best so far, and keeps the best
  epoch of the whole list, epochs after the stop included). The checker runs it on validation
  curves that expose each bug and names every one still there.
- ``ex3_precision_recall`` (transfer): per-class precision and recall from a confusion matrix
  (rows true, columns predicted), 0 where a class is never predicted or never occurs.

The anticipated mistakes of each exercise are data (``MISTAKES``): each wrong answer with its hint.
"""

import functools
import math
import operator

import torch
from torch.optim.lr_scheduler import StepLR

from . import (
    Mistake,
    check_close,
    expect,
    expect_integer,
    fail,
    passed,
    scheduler_trace,
    wrap_checkers,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker


def _pair(got, zh_what, en_what):
    """``got`` as a pair; fails unless it is a tuple or list of two items."""
    expect(
        isinstance(got, (tuple, list)) and len(got) == 2,
        f"应返回两个值 {zh_what}，得到的是 {type(got).__name__}",
        f"return two values {en_what}, got {type(got).__name__}",
    )
    return got


def _run(answer, *args):
    """``answer(*args)``, or ``None`` when the answer fails on them."""
    try:
        return answer(*args)
    except Exception:  # a wrong answer may not run on every input; it just cannot match
        return None


# ------------------------------------------------ exercise 1: StepLR's parameters from its trace

# (lr0, step_size, gamma, epochs): the first trace ends inside a plateau and drops three times
TRACES = [(0.1, 3, 0.5, 10), (1e-3, 4, 0.1, 9), (0.05, 1, 0.9, 6), (0.2, 5, 0.3, 7)]


def _trace(lr0, step_size, gamma, epochs):
    """``get_last_lr()[0]`` at the start of each epoch of ``StepLR(step_size, gamma)``."""
    make = functools.partial(StepLR, step_size=step_size, gamma=gamma)
    return scheduler_trace(make, epochs, lr0).tolist()


def _first_drop(lrs):
    """The index of the first learning rate that differs from ``lrs[0]``."""
    return next(e for e, lr in enumerate(lrs) if lr != lrs[0])


def _step_lr_params(lrs):
    s = _first_drop(lrs)
    return s, lrs[s] / lrs[0]


MISTAKES["ex1_step_lr_params"] = [
    Mistake(
        lambda lrs: (_first_drop(lrs) + 1, _step_lr_params(lrs)[1]),
        "step_size 多了 1：lrs[0] 是第 0 轮，第一次下降发生在第 step_size 轮，"
        "所以第一个变了的学习率的下标就是 step_size 本身",
        "step_size is 1 too large: lrs[0] is epoch 0 and the first drop comes in epoch "
        "step_size, so the index of the first changed learning rate is step_size itself",
    ),
    Mistake(
        lambda lrs: (len(lrs) // len(set(lrs)), _step_lr_params(lrs)[1]),
        "step_size 不是“长度 ÷ 不同取值的个数”：日志常在一段的中途结束，最后一段不满 step_size 轮。"
        "数一数第一段有几轮",
        "step_size is not the length divided by the number of distinct values: a log often "
        "ends in the middle of a plateau, so the last one is shorter than step_size. Count "
        "the epochs of the first plateau",
    ),
    Mistake(
        lambda lrs: (_first_drop(lrs), lrs[1] / lrs[0]),
        "gamma 不是 lrs[1] / lrs[0]：step_size > 1 时前两轮的学习率相同，比值是 1。"
        "要跨过一次下降去比：lrs[step_size] / lrs[0]",
        "gamma is not lrs[1] / lrs[0]: when step_size > 1 the first two epochs share one "
        "learning rate and the ratio is 1. Compare across one drop: lrs[step_size] / lrs[0]",
    ),
    Mistake(
        lambda lrs: (_first_drop(lrs), lrs[-1] / lrs[0]),
        "gamma 是一次下降的倍数；lrs[-1] / lrs[0] 是所有下降乘在一起，下降了 k 次就是 gamma 的 k 次方",
        "gamma is the factor of one drop; lrs[-1] / lrs[0] is all the drops multiplied "
        "together, gamma to the power k after k drops",
    ),
    Mistake(
        lambda lrs: (_first_drop(lrs), lrs[0] / lrs[_first_drop(lrs)]),
        "gamma 倒过来了：StepLR 每次把学习率乘以 gamma，新 = 旧 × gamma，所以 gamma = 新 / 旧；"
        "学习率下降时它小于 1",
        "gamma is upside down: StepLR multiplies the learning rate by gamma, new = old × gamma, "
        "so gamma = new / old, below 1 when the learning rate falls",
    ),
    Mistake(
        lambda lrs: (_first_drop(lrs), lrs[0] - lrs[_first_drop(lrs)]),
        "gamma 是倍数，不是差：StepLR 每次把学习率乘以 gamma，所以每次下降的量都不一样，"
        "比值却不变。用 新 / 旧",
        "gamma is a factor, not a difference: StepLR multiplies the learning rate by gamma, so "
        "each drop is a different amount but the same ratio. Use new / old",
    ),
]


def _wrong_part(part, got, truth, lrs, same):
    """The hint of the first mistake whose ``part`` (0: step_size, 1: gamma) on ``lrs`` is
    wrong and equals ``got``, else ``None``."""
    for m in MISTAKES["ex1_step_lr_params"]:
        wrong = _run(m.answer, list(lrs))
        if wrong is not None and not same(wrong[part], truth) and same(wrong[part], got):
            return m.zh, m.en
    return None


def ex1_step_lr_params(step_lr_params):
    """``step_lr_params(lrs)``: the ``(step_size, gamma)`` of the ``StepLR`` whose
    ``get_last_lr()[0]`` in epoch e (counted from 0) is ``lrs[e]``."""
    for lr0, step_size, gamma, epochs in TRACES:
        lrs = _trace(lr0, step_size, gamma, epochs)
        shown = "[" + ", ".join(f"{lr:.4g}" for lr in lrs) + "]"
        got = _pair(step_lr_params(list(lrs)), "(step_size, gamma)", "(step_size, gamma)")
        got_s = expect_integer(got[0])
        if got_s != step_size:
            fail(
                *_wrong_part(0, got_s, step_size, lrs, operator.eq)
                or (
                    f"lrs = {shown} 时 step_size = {got_s} 不对：第 e 轮（从 0 数起）的学习率是 "
                    f"lrs[0] · gamma^⌊e / step_size⌋",
                    f"for lrs = {shown}, step_size = {got_s} is not right: the learning rate of "
                    f"epoch e (from 0) is lrs[0] · gamma^⌊e / step_size⌋",
                )
            )
        expect(
            isinstance(got[1], (int, float)) or (torch.is_tensor(got[1]) and got[1].numel() == 1),
            f"gamma 应是一个数，得到的是 {type(got[1]).__name__}",
            f"gamma should be a number, got {type(got[1]).__name__}",
        )
        got_g = float(got[1])
        same = functools.partial(math.isclose, rel_tol=1e-6)
        if not same(got_g, gamma):
            fail(
                *_wrong_part(1, got_g, gamma, lrs, same)
                or (
                    f"lrs = {shown} 时 gamma = {got_g:.4g} 不对：每 step_size 轮，学习率乘一次 gamma",
                    f"for lrs = {shown}, gamma = {got_g:.4g} is not right: every step_size "
                    f"epochs the learning rate is multiplied by gamma",
                )
            )
    passed(
        "练习 1 通过：step_size 是第一次下降的轮次，gamma = 新 / 旧",
        "Exercise 1 passed: step_size is the epoch of the first drop, gamma = new / old",
    )


# ---------------------------------------------------------- exercise 2: early stopping, debugged


def buggy_early_stopping(val_losses, patience):
    """The lesson's ``early_stopping_buggy``, as the learner receives it (two bugs)."""
    wait = 0
    for epoch, loss in enumerate(val_losses, start=1):
        if epoch > 1 and loss >= val_losses[epoch - 2]:  # 没有比上一轮低 / not below the last epoch
            wait += 1
        else:
            wait = 0
        if wait == patience:
            break
    best = val_losses.index(min(val_losses)) + 1  # 损失最低的一轮 / the epoch of the lowest loss
    return best, epoch


def _early(*, previous=False, peek=False, ties=False, reset=True, late=False, start=1):
    """An ``early_stopping``: the right one, or one with the mistakes the keywords name.

    ``previous``: compare each epoch with the epoch before, not with the best so far (a bug of
    the lesson's cell); ``peek``: keep the lowest epoch of the whole list, epochs after the stop
    included (its other bug); ``ties``: an equal loss counts as an improvement; ``reset=False``:
    the count of epochs without improvement is not reset by an improvement; ``late``: stop one
    epoch after the count reaches ``patience``; ``start=0``: epochs counted from 0."""

    def early_stopping(val_losses, patience):
        best, wait, stop = 1, 0, len(val_losses)
        for epoch in range(2, len(val_losses) + 1):
            loss, lowest = val_losses[epoch - 1], val_losses[best - 1]
            ref = val_losses[epoch - 2] if previous else lowest
            better = loss <= ref if ties else loss < ref
            if loss < lowest or (ties and loss == lowest):
                best = epoch
            if not better:
                wait += 1
            elif reset:
                wait = 0
            if wait == patience + late:
                stop = epoch
                break
        if peek:
            best = val_losses.index(min(val_losses)) + 1
        return best - 1 + start, stop - 1 + start

    return early_stopping


# (val_losses, patience): each curve exposes one mistake; comments give (best, stop)
CURVES = [
    ([0.9, 0.7, 0.8, 0.75, 0.78, 0.76, 0.74], 2),  # (2, 4): no new best after epoch 2
    ([1.0, 0.8, 0.85, 0.9, 0.6, 0.5], 2),  # (2, 4): lower losses come only after the stop
    ([0.5, 0.4, 0.4, 0.4, 0.45, 0.3], 2),  # (2, 4): equal is no improvement
    ([1.0, 0.9, 1.1, 0.8, 1.2, 0.7, 1.3, 1.4], 2),  # (6, 8): each new best resets the count
    ([0.9, 0.8, 0.85, 0.7, 0.72, 0.65], 3),  # (6, 6): never stops early
    ([0.5, 0.6, 0.7, 0.4], 2),  # (1, 3): the first epoch is the best
    ([0.6, 0.5, 0.55, 0.4], 1),  # (2, 3): patience 1
]

# the two bugs of the lesson's cell, in the order the checker names them, then other mistakes
PREVIOUS = Mistake(
    _early(previous=True),
    "训练停得太晚（或根本没停）：每一轮是和上一轮比的，而规则要和到目前为止最低的验证损失比。"
    "曲线来回起伏时，每次回落都把计数清零，尽管它并没有低于最好的那一轮。记下最好那一轮，"
    "只有比它更低才算改进",
    "training stops too late (or never): each epoch is compared with the epoch before, but the "
    "rule compares it with the lowest validation loss so far. When the curve goes up and down, "
    "every dip resets the count although it is not below the best epoch. Keep the best epoch, "
    "and count only a loss below it as an improvement",
)
PEEK = Mistake(
    _early(peek=True),
    "要保留的轮次是在整张列表里找的最小值，包括停止之后的轮次：训练停下以后那些轮根本没有跑，"
    "它们的权重并不存在。只在停止之前（含停止那一轮）的轮次里找",
    "the epoch to keep is the minimum of the whole list, epochs after the stop included: once "
    "training has stopped those epochs are never run and their weights do not exist. Look only "
    "at the epochs up to and including the stop",
)
MISTAKES["ex2_early_stopping"] = [
    # the function as given: its first bug is named, and the count of the others
    Mistake(buggy_early_stopping, PREVIOUS.zh, PREVIOUS.en),
    PREVIOUS,
    PEEK,
    Mistake(
        _early(ties=True),
        "和最好的一轮相等不算改进：规则要求严格更低。用 <= 时，平台上每一轮都把计数清零，"
        "训练停不下来，保留的也成了平台上最后的一轮",
        "a loss equal to the best is no improvement: the rule asks for strictly lower. With "
        "<=, every epoch of a plateau resets the count, training does not stop, and the epoch "
        "kept becomes the plateau's last one",
    ),
    Mistake(
        _early(reset=False),
        "训练停得太早：出现新的最低值时，没有改进的轮数要清零。patience 数的是“连续”没有改进的轮数，"
        "不是一共有几轮没有改进",
        "training stops too early: when a new lowest loss comes, reset the count of epochs "
        "without improvement. patience counts epochs in a row without improvement, not all "
        "the epochs without improvement",
    ),
    Mistake(
        _early(late=True),
        "晚停了一轮：连续 patience 轮没有改进时，就在这第 patience 轮结束后停下",
        "one epoch late: after patience epochs in a row without improvement, stop at the end "
        "of that epoch",
    ),
    Mistake(
        _early(start=0),
        "轮次从 1 开始数：val_losses[0] 是第 1 轮之后的验证损失，返回的两个轮次都要加 1",
        "epochs count from 1: val_losses[0] is the validation loss after epoch 1, so add 1 to "
        "both epochs you return",
    ),
]


def _bugs_found(answer):
    """The hints of the anticipated mistakes that ``answer`` makes (on some curve its result is
    that mistake's wrong result), in the table's order, and the answer's and the right results."""
    right = [_early()(list(losses), p) for losses, p in CURVES]
    got = []
    for losses, patience in CURVES:
        pair = _pair(
            answer(list(losses), patience),
            "(要保留的轮次, 停止的轮次)",
            "(the epoch to keep, the epoch training stops at)",
        )
        got.append(tuple(expect_integer(x) for x in pair))
    found = []
    for m in MISTAKES["ex2_early_stopping"][1:]:  # the single mistakes
        for (losses, patience), g, r in zip(CURVES, got, right):
            wrong = m.answer(list(losses), patience)
            if g == wrong != r:
                found.append((m.zh, m.en))
                break
    return found, got, right


def ex2_early_stopping(early_stopping):
    """``early_stopping(val_losses, patience)``: ``(best, stop)``, epochs counted from 1: training
    stops after ``patience`` epochs in a row without a loss strictly below the lowest so far (or
    runs to the end), and the epoch kept is the lowest one up to the stop."""
    found, got, right = _bugs_found(early_stopping)
    if found:
        (zh, en), more = found[0], len(found) - 1
        if more:
            zh, en = f"{zh}（检查还发现另外 {more} 个错误）", f"{en} (the check found {more} more)"
        fail(zh, en)
    for (losses, patience), g, r in zip(CURVES, got, right):
        for k, zh_what, en_what in [
            (0, "要保留的轮次", "the epoch to keep"),
            (1, "停止的轮次", "the epoch training stops at"),
        ]:
            expect(
                g[k] == r[k],
                f"val_losses = {losses}，patience = {patience} 时，{zh_what} {g[k]} 不对",
                f"for val_losses = {losses}, patience = {patience}, {en_what}, {g[k]}, is "
                f"not right",
            )
    passed(
        "练习 2 通过：两个错误都修好了：和最好的一轮比，只在停止之前的轮次里选",
        "Exercise 2 passed: both bugs fixed: compare with the best epoch, choose up to the stop",
    )


# ------------------------------------------------ exercise 3: precision and recall from C


def _precision_recall(C, zero=0.0):
    """Per-class precision (over the columns) and recall (over the rows) of ``C``; ``zero``
    where the sum is 0."""
    C = C.double()
    tp, predicted, actual = C.diag(), C.sum(0), C.sum(1)
    precision = torch.where(predicted > 0, tp / predicted.clamp(min=1), zero)
    recall = torch.where(actual > 0, tp / actual.clamp(min=1), zero)
    return precision, recall


# rows = true class, columns = prediction: class 2 never occurs, class 3 is never predicted
C_EMPTY = torch.tensor([[5, 1, 0, 0], [2, 6, 1, 0], [0, 0, 0, 0], [1, 2, 3, 0]])


def _matrices():
    g = torch.Generator().manual_seed(4)
    C = torch.randint(0, 20, (6, 6), generator=g) + torch.diag(
        torch.randint(30, 90, (6,), generator=g)
    )
    return [C_EMPTY, C]


NAN = (
    "结果里有 nan：0/0 出现在从来没被预测过的类（它那一列全是 0，精确率的分母为 0）或从来没出现过的类"
    "（那一行全是 0，召回率的分母为 0）。题目约定这时记为 0，例如 torch.where(分母 > 0, ..., 0.0)",
    "the result holds nan: 0/0 comes from a class never predicted (its column is all 0, the "
    "denominator of precision) or a class that never occurs (its row is all 0, the denominator "
    "of recall). The exercise sets these to 0, e.g. torch.where(denominator > 0, ..., 0.0)",
)
MISTAKES["ex3_precision_recall"] = [
    Mistake(
        lambda C: _precision_recall(C)[::-1],
        "行和列用反了：行是真实类别，列是预测类别。精确率的分母是第 j 列之和（所有被预测为 j 的），"
        "召回率的分母是第 j 行之和（所有真实为 j 的）",
        "rows and columns are swapped: rows are the true class, columns the prediction. The "
        "denominator of precision is column j's sum (everything predicted as j), that of "
        "recall row j's sum (everything truly j)",
    ),
    Mistake(
        lambda C: (C.diag() / C.sum(), C.diag() / C.sum()),
        "除以了样本总数：那是每一类对准确率的贡献。精确率除以第 j 列之和，召回率除以第 j 行之和",
        "you divided by the total: that is each class's share of the accuracy. Precision "
        "divides by column j's sum, recall by row j's sum",
    ),
    Mistake(lambda C: (C.diag() / C.sum(0), C.diag() / C.sum(1)), *NAN),
    Mistake(
        lambda C: _precision_recall(C, zero=1.0),
        "0/0 记成了 1：题目约定为 0（scikit-learn 的默认也是 0）。一个从来没被预测过的类，"
        "没有一次预测对过它",
        "0/0 was set to 1: the exercise sets it to 0 (scikit-learn's default does too). A class "
        "that is never predicted was never once predicted right",
    ),
]


def ex3_precision_recall(precision_recall):
    """``precision_recall(C)``: per-class precision and recall of the confusion matrix ``C``
    (rows true, columns predicted), 0 where a class is never predicted or never occurs."""
    for C in _matrices():
        precision, recall = _precision_recall(C)
        got = _pair(precision_recall(C.clone()), "(精确率, 召回率)", "(precision, recall)")
        wrong = [(_run(m.answer, C.clone()), m.zh, m.en) for m in MISTAKES["ex3_precision_recall"]]
        for k, expected, name in [
            (0, precision, ("精确率", "precision")),
            (1, recall, ("召回率", "recall")),
        ]:
            check_close(
                got[k],
                expected,
                name=name,
                rtol=1e-5,
                atol=1e-7,
                mistakes=[(w[k], zh, en) for w, zh, en in wrong if w is not None],
                nonfinite_hint=NAN,
            )
    passed(
        "练习 3 通过：精确率按列、召回率按行，0/0 记为 0",
        "Exercise 3 passed: precision over columns, recall over rows, 0/0 as 0",
    )


wrap_checkers(globals())
