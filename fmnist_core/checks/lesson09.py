"""Checks for the exercises of lesson 09 (learning-rate schedules).

- Exercise 1 (transfer): ``PolynomialLR``'s closed form, which the lesson does not show; compared
  with the scheduler itself over whole runs, each wrong form (an off-by-one, the power in the
  wrong place, ...) named.
- Exercise 2 (predict): the first update at which a ``MultiStepLR`` placed after a warm-up in
  ``SequentialLR`` lowers the learning rate (its milestones count from the hand-over); the truth
  is run here by PyTorch.
- Exercise 3 (debug): a resume from a checkpoint that rebuilds the model, the optimizer and the
  scheduler. The checker stops a run (Adam, warm-up + cosine) at two updates, hands the learner's
  ``resume`` the three state_dicts, probes what it returns (weights, Adam's step count, the
  scheduler's counter, the optimizer's learning rate), names every bug it finds, then goes on
  to the end and asks for the uninterrupted run's parameters bit for bit (``torch.equal``).

The anticipated mistakes of each exercise are data (``MISTAKES``): each wrong answer with its hint.
"""

import io
import math
from functools import partial

import torch
from torch import nn

from . import (
    Mistake,
    check_close,
    expect,
    expect_integer,
    fail,
    matching_hint,
    passed,
    scheduler_trace,
    wrap_checkers,
    wrong_results,
)

S = torch.optim.lr_scheduler
MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker
NONFINITE = (
    "学习率里有 nan 或 inf：是不是在某一步除以了 0？",
    "the lr holds nan or inf: a division by 0 at some step?",
)
FACTOR = ("漏乘了 lr0，或多了 ½、2？", "lr0 missing, or an extra ½ or 2?")


# check_close for learning rates: small numbers, compared tightly
_check = partial(check_close, rtol=1e-6, atol=1e-10, factor_hint=FACTOR, nonfinite_hint=NONFINITE)


def _check_schedule(fn, exercise, name, cases, steps, scheduler):
    """Compare ``fn(t, *case)`` for t = 0 .. ``steps(*case)`` − 1 with the learning rates of
    ``scheduler(optimizer, *case)`` (from lr0 = case[0]), over every case at once; the wrong
    answers of ``MISTAKES[exercise]`` are run the same way."""

    def lrs(answer):
        lrs = [float(answer(t, *c)) for c in cases for t in range(steps(*c))]
        return torch.tensor(lrs, dtype=torch.float64)

    got = lrs(fn)
    expected = [scheduler_trace(lambda o, c=c: scheduler(o, *c), steps(*c), c[0]) for c in cases]
    _check(got, torch.cat(expected), name=name, mistakes=wrong_results(MISTAKES[exercise], lrs))


# ---------------------------------------------------------------- exercise 1: PolynomialLR

EX1_CASES = [(0.1, 10, 1.0), (0.05, 8, 2.0), (0.2, 5, 3.0)]  # (lr0, total_iters, power)
MISTAKES["ex1_poly_lr"] = [
    Mistake(
        lambda t, lr0, T, power: lr0 * (1 - min(t, T - 1) / (T - 1)) ** power,
        "差一步：学习率在 t = total_iters 时才降到 0，分母是 total_iters，不是 total_iters − 1",
        "off by one: the lr reaches 0 at t = total_iters; divide by total_iters, "
        "not total_iters − 1",
    ),
    Mistake(
        lambda t, lr0, T, power: lr0 * (1 - t / T) ** power,
        "t 超过 total_iters 之后学习率停在 0：用 min(t, total_iters)，否则它会变负或重新变大",
        "after total_iters the lr stays at 0: use min(t, total_iters), or it goes negative or "
        "grows again",
    ),
    Mistake(
        lambda t, lr0, T, power: lr0 * (1 - min(t, T) / T),
        "漏了 power：η_t = lr0 · (1 − min(t, T) / T)^power",
        "power is missing: η_t = lr0 · (1 − min(t, T) / T)^power",
    ),
    Mistake(
        lambda t, lr0, T, power: lr0 * (1 - (min(t, T) / T) ** power),
        "power 作用在整个 (1 − t / T) 上，不是只作用在 t / T 上",
        "power applies to the whole (1 − t / T), not to t / T alone",
    ),
]


def ex1_poly_lr(poly_lr):
    """``poly_lr(t, lr0, total_iters, power)``: the lr of ``PolynomialLR`` after ``t`` steps, for
    0 ≤ t ≤ total_iters + 5 (it stays at 0 after ``total_iters``)."""
    _check_schedule(
        poly_lr,
        "ex1_poly_lr",
        ("PolynomialLR 的学习率", "PolynomialLR's lr"),
        EX1_CASES,
        steps=lambda lr0, T, power: T + 6,
        scheduler=lambda o, lr0, T, power: S.PolynomialLR(o, total_iters=T, power=power),
    )
    passed("练习 1 通过：PolynomialLR 的公式正确", "Exercise 1 passed: PolynomialLR's formula")


# ---------------------------------------------------------------- exercise 2: predict, then run

DROP_LR0, DROP_UPDATES = 0.1, 20  # SGD(lr=0.1), 20 updates


def _drop_scheduler(optimizer):
    """The notebook's schedule: a warm-up of 4 updates, then MultiStepLR(milestones=[10, 15])."""
    warm = S.LinearLR(optimizer, start_factor=0.25, total_iters=4)
    steps = S.MultiStepLR(optimizer, milestones=[10, 15], gamma=0.1)
    return S.SequentialLR(optimizer, [warm, steps], milestones=[4])


def _first_drop():
    """The first update (counted from 0) whose learning rate is lr0 / 10, run by PyTorch."""
    lrs = scheduler_trace(_drop_scheduler, DROP_UPDATES, DROP_LR0).tolist()
    return next(t for t, lr in enumerate(lrs) if math.isclose(lr, DROP_LR0 / 10))


DROP_WHY = (
    "SequentialLR 在第 4 次更新把优化器交给 MultiStepLR，它的时钟在那里从 0 重新开始（第 5.1 节），"
    "所以它的里程碑 10 是它自己的第 10 步，也就是第 4 + 10 = 14 次更新；在里程碑那一步学习率已经降低"
    "（m ≤ t，第 2.1 节）。想在第 10 次更新降低，要写 milestones=[6, 11]",
    "SequentialLR hands the optimizer to MultiStepLR at update 4, and its clock starts again at 0 "
    "there (section 5.1), so its milestone 10 is its own step 10, update 4 + 10 = 14; at the "
    "milestone the lr is already lowered (m ≤ t, section 2.1). To drop at update 10, write "
    "milestones=[6, 11]",
)
MISTAKES["ex2_first_drop"] = [
    Mistake(
        lambda: 10,
        "10 是 MultiStepLR 自己的第 10 步，不是整个训练的第 10 次更新。" + DROP_WHY[0],
        "10 is MultiStepLR's own step 10, not update 10 of the run. " + DROP_WHY[1],
    ),
    Mistake(
        lambda: 11,
        "11 把里程碑当成了整个训练的更新次数，又晚了一步。" + DROP_WHY[0],
        "11 reads the milestone as an update of the whole run, and is one step late too. "
        + DROP_WHY[1],
    ),
    Mistake(
        lambda: 13,
        "早了一步：第 4 次更新本身就是 MultiStepLR 的第 0 步，它的第 10 步是第 14 次更新。"
        + DROP_WHY[0],
        "one step early: update 4 itself is MultiStepLR's step 0, so its step 10 is update 14. "
        + DROP_WHY[1],
    ),
    Mistake(
        lambda: 15,
        "晚了一步（15 也不是第二个里程碑的意思）：MultiStepLR 的第 10 步用的已经是降低后的学习率。"
        + DROP_WHY[0],
        "one step late (and 15 is not the second milestone here): MultiStepLR's step 10 already "
        "uses the lowered lr. " + DROP_WHY[1],
    ),
    Mistake(
        lambda: 19,
        "19 = 4 + 15 是第二次降低（降到 0.001）的位置，问的是第一次降到 0.01。" + DROP_WHY[0],
        "19 = 4 + 15 is the second drop (to 0.001); the question is the first drop to 0.01. "
        + DROP_WHY[1],
    ),
]


def ex2_first_drop(predict_first_drop):
    """``predict_first_drop()``: the predicted first update (counted from 0) that uses lr 0.01
    under ``SequentialLR([LinearLR(start_factor=0.25, total_iters=4), MultiStepLR([10, 15],
    gamma=0.1)], milestones=[4])`` from lr 0.1."""
    got = expect_integer(predict_first_drop())
    right = _first_drop()
    if got != right:
        wrong = [(m.answer(), m.zh, m.en) for m in MISTAKES["ex2_first_drop"]]
        zh, en = matching_hint(
            got, wrong, otherwise=(f"不是 {got}。{DROP_WHY[0]}", f"not {got}. {DROP_WHY[1]}")
        )
        fail(zh, en)
    passed(
        "练习 2 通过：第一次降低在第 14 次更新（4 + 10），第二个调度器的时钟从 0 重新开始",
        "Exercise 2 passed: the first drop is at update 14 = 4 + 10 (the second clock restarts)",
    )


# ---------------------------------------------------------------- exercise 3: resume a run

RESUME_TOTAL, RESUME_STOPS = 30, (3, 12)  # 30 updates, stopped inside the warm-up and after it
RESUME_LR = 0.01


def _resume_model():
    """The notebook's small model (the checkpoint's keys: 0.weight, 0.bias, 2.weight, 2.bias)."""
    return nn.Sequential(nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 3))


def _warmup_cosine(optimizer):
    """The notebook's ``make_warmup_cosine(optimizer, start_factor=0.1, warmup=5, total=30)``."""
    warm = S.LinearLR(optimizer, start_factor=0.1, end_factor=1.0, total_iters=5)
    cosine = S.CosineAnnealingLR(optimizer, T_max=RESUME_TOTAL - 5)
    return S.SequentialLR(optimizer, schedulers=[warm, cosine], milestones=[5])


def _new_run():
    torch.manual_seed(0)
    model = _resume_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=RESUME_LR)
    return model, optimizer, _warmup_cosine(optimizer)


def _batches():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(RESUME_TOTAL, 16, 12, generator=g)
    return x, torch.randint(0, 3, (RESUME_TOTAL, 16), generator=g)


def _train(run, start, stop, batches):
    """Updates ``start`` .. ``stop`` − 1 of ``run`` = (model, optimizer, scheduler), update t on
    batch t, the scheduler stepped after every update."""
    model, optimizer, scheduler = run
    x, y = batches
    for t in range(start, stop):
        loss = nn.functional.cross_entropy(model(x[t]), y[t])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()


def _checkpoint(run):
    """The three state_dicts, through a file in memory, as ``torch.save`` / ``torch.load``
    would keep them."""
    model, optimizer, scheduler = run
    buffer = io.BytesIO()
    state = {"model": model, "optimizer": optimizer, "scheduler": scheduler}
    torch.save({name: obj.state_dict() for name, obj in state.items()}, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def _resume(*, model=True, optimizer=True, scheduler=True, optimizer_first=False):
    """A resume that loads the named state_dicts (all three by default: a right answer), and
    loads the optimizer's before building the scheduler with ``optimizer_first``."""

    def resume(checkpoint):
        net = _resume_model()
        if model:
            net.load_state_dict(checkpoint["model"])
        opt = torch.optim.Adam(net.parameters(), lr=RESUME_LR)
        if optimizer and optimizer_first:
            opt.load_state_dict(checkpoint["optimizer"])
        sched = _warmup_cosine(opt)
        if optimizer and not optimizer_first:
            opt.load_state_dict(checkpoint["optimizer"])
        if scheduler:
            sched.load_state_dict(checkpoint["scheduler"])
        return net, opt, sched

    return resume


FRESH_ADAM = (
    "优化器的状态没有恢复：新建的 Adam 从第 0 步数起，m 和 v 都是 0，偏差修正从头开始，续跑的第一步"
    "让每个权重都移动约 η（第 8.4 节），之后的 m、v 也和不间断的训练不同。"
    '用 optimizer.load_state_dict(checkpoint["optimizer"]) 恢复它。',
    "the optimizer's state is not restored: a new Adam counts its steps from 0 with m and v at 0, "
    "so bias correction starts again, the first resumed step moves every weight by about η "
    "(section 8.4), and m and v differ from the uninterrupted run's after it. Restore it with "
    'optimizer.load_state_dict(checkpoint["optimizer"]).',
)
FRESH_SCHEDULER = (
    "调度器的状态没有恢复：新建的调度器从 t = 0 数起，把预热又走一遍，整个调度晚了已经走过的步数。"
    '用 scheduler.load_state_dict(checkpoint["scheduler"]) 恢复它（其中的 last_epoch 就是 t）。',
    "the scheduler's state is not restored: a new scheduler counts from t = 0, runs the warm-up "
    "again, and the whole schedule runs late by the updates already done. Restore it with "
    'scheduler.load_state_dict(checkpoint["scheduler"]) (its last_epoch is t).',
)
OPTIMIZER_FIRST = (
    "恢复之后优化器里的 lr 不是中断时的值：新建调度器时，它把自己在 t = 0 的学习率写进优化器"
    "（LinearLR 写的是 start_factor·lr），而 scheduler.load_state_dict 只恢复调度器自己的计数，"
    "不改优化器里的 lr。所以先载入优化器的状态、再新建调度器不行：先把优化器和调度器都建好，"
    "再载入两者的 state_dict。",
    "after resuming, the optimizer's lr is not the one the run had reached: building a scheduler "
    "writes its own learning rate at t = 0 into the optimizer (LinearLR writes start_factor·lr), "
    "and scheduler.load_state_dict restores the scheduler's own counter but not the optimizer's "
    "lr. So loading the optimizer's state before building the scheduler does not work: build the "
    "optimizer and the scheduler first, then load both state_dicts.",
)
MODEL_NOT_LOADED = (
    '模型的权重不是检查点里的：用 model.load_state_dict(checkpoint["model"]) 载入（第 01 课）。',
    "the model's weights are not the checkpoint's: load them with "
    'model.load_state_dict(checkpoint["model"]) (lesson 01).',
)


def _joined(hints):
    """One (zh, en) hint from several, numbered when there are more than one."""
    if len(hints) == 1:
        return hints[0]
    zh = "".join(f"（{i}）{h[0]}" for i, h in enumerate(hints, 1))
    en = " ".join(f"({i}) {h[1]}" for i, h in enumerate(hints, 1))
    return zh, en


MISTAKES["ex3_resume"] = [
    # the notebook's buggy_resume: both of its bugs are named
    Mistake(_resume(optimizer=False, scheduler=False), *_joined([FRESH_ADAM, FRESH_SCHEDULER])),
    Mistake(_resume(optimizer=False), *FRESH_ADAM),
    Mistake(_resume(scheduler=False), *FRESH_SCHEDULER),
    Mistake(_resume(optimizer_first=True), *OPTIMIZER_FIRST),
    Mistake(_resume(optimizer_first=True, scheduler=False), *FRESH_SCHEDULER),
    Mistake(_resume(model=False), *MODEL_NOT_LOADED),
    Mistake(
        lambda checkpoint: _resume()(checkpoint)[:2],
        "应返回 (model, optimizer, scheduler) 三个对象，续跑要用到全部三个",
        "return the three objects (model, optimizer, scheduler): going on needs all three",
    ),
]


def _unpack(out):
    """``(model, optimizer, scheduler)`` from the learner's answer, or a hint."""
    expect(
        isinstance(out, (tuple, list))
        and len(out) == 3
        and isinstance(out[0], nn.Module)
        and isinstance(out[1], torch.optim.Optimizer)
        and isinstance(out[2], S.LRScheduler),
        "应返回 (model, optimizer, scheduler) 三个对象，续跑要用到全部三个",
        "return the three objects (model, optimizer, scheduler): going on needs all three",
    )
    model, optimizer, scheduler = out
    expect(
        {id(p) for g in optimizer.param_groups for p in g["params"]}
        == {id(p) for p in model.parameters()},
        "优化器更新的不是返回的模型的参数：在 model.parameters() 上新建优化器",
        "the optimizer does not update the returned model's parameters: build it on "
        "model.parameters()",
    )
    expect(
        scheduler.optimizer is optimizer,
        "调度器没有包在返回的优化器外面：在这个优化器上新建调度器",
        "the scheduler does not wrap the returned optimizer: build it on that optimizer",
    )
    return model, optimizer, scheduler


def _what_is_wrong(resumed, stopped, stop):
    """The hints of what differs right after resuming, from ``stopped`` (the run as it was at
    update ``stop``): the weights, the optimizer's state, the scheduler's counter, and (when those
    are right) the optimizer's learning rate."""
    model, optimizer, scheduler = resumed
    wrong = []
    if not all(map(torch.equal, model.parameters(), stopped[0].parameters())):
        wrong.append(MODEL_NOT_LOADED)
    state = optimizer.state_dict()["state"]
    n_params = len(list(model.parameters()))
    if len(state) != n_params or any(float(s.get("step", -1)) != stop for s in state.values()):
        wrong.append(FRESH_ADAM)
    if scheduler.last_epoch != stop:
        wrong.append(FRESH_SCHEDULER)
    if not wrong and optimizer.param_groups[0]["lr"] != stopped[1].param_groups[0]["lr"]:
        wrong.append(OPTIMIZER_FIRST)
    return wrong


def ex3_resume(resume):
    """``resume(checkpoint)``: (model, optimizer, scheduler) rebuilt from a checkpoint of the
    three state_dicts, such that going on gives the uninterrupted run bit for bit (Adam and the
    warm-up + cosine of the notebook, stopped at update 3 and at update 12 of 30)."""
    batches = _batches()
    full = _new_run()
    _train(full, 0, RESUME_TOTAL, batches)
    for stop in RESUME_STOPS:
        stopped = _new_run()
        _train(stopped, 0, stop, batches)
        checkpoint = _checkpoint(stopped)
        torch.manual_seed(stop)  # a model built and not loaded gets other weights than the run's
        resumed = _unpack(resume(checkpoint))
        wrong = _what_is_wrong(resumed, stopped, stop)
        if wrong:
            fail(*_joined(wrong))
        _train(resumed, stop, RESUME_TOTAL, batches)
        diff = max(
            (a - b).abs().max().item()
            for a, b in zip(resumed[0].parameters(), full[0].parameters())
        )
        expect(
            all(map(torch.equal, resumed[0].parameters(), full[0].parameters())),
            f"在第 {stop} 次更新中断、续跑到底之后，参数与不间断的训练不完全相同（最大差 {diff:.3g}）",
            f"stopped at update {stop} and run to the end, the parameters differ from the "
            f"uninterrupted run's (largest difference {diff:.3g})",
        )
    passed(
        "练习 3 通过：续跑与不间断的训练逐位相同（在预热中和预热后各中断一次）",
        "Exercise 3 passed: both resumed runs equal the uninterrupted one bit for bit",
    )


wrap_checkers(globals())
