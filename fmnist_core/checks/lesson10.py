"""Checks for the exercises of lesson 10 (the capstone: a recipe, measured honestly).

Each checker computes the reference with PyTorch itself (an uninterrupted run of ``AdamW`` with
``OneCycleLR``, ``CrossEntropyLoss(label_smoothing=...)``, ``AveragedModel``) and names the
likely mistake; exercise 1 (debug) runs the learner's ``resume`` between two halves of a run.
Anticipated mistakes are data (``MISTAKES``): each answer is what a learner who makes it would
pass to the checker; tests/test_checks_mistakes.py passes each one and expects its hint.
"""

import copy
import math
import warnings

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from . import Mistake, check_close, expect, passed, tiny_data, tiny_model, wrap_checkers

F64 = torch.float64


def _wrong(exercise, run):
    """``(value, zh, en)`` for each mistake of ``exercise``: ``run`` applied to its answer."""
    values = []
    for m in MISTAKES[exercise]:
        try:
            values.append((run(m.answer), m.zh, m.en))
        except Exception:  # a wrong answer may not run on every input; it just cannot match
            continue
    return values


# ---------------------------------------------------------------- exercise 1: resume a run

RESUME_STEPS, RESUME_AT, RESUME_LR = 12, 5, 0.05


def _resume_parts(seed):
    """A tiny float64 classifier with the recipe's optimizer and scheduler: AdamW with weight
    decay on the weights only, and ``OneCycleLR`` (β1 cycling included) stepped per batch."""
    model = tiny_model(seed).double()
    params = list(model.parameters())
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for p in params if p.ndim >= 2], "weight_decay": 0.05},
            {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
        ],
        lr=RESUME_LR,
    )
    # two steps to spare, so that a resume that steps the scheduler once too often still runs
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=RESUME_LR, total_steps=RESUME_STEPS + 2
    )
    return model, optimizer, scheduler


def _resume_batches():
    X, y = tiny_data(3, n=8 * RESUME_STEPS)
    return [(X[i : i + 8].double(), y[i : i + 8]) for i in range(0, len(y), 8)]


def _train_steps(model, optimizer, scheduler, batches):
    """One recipe step per batch; the parameters after each step, flattened, one per row."""
    loss_fn = nn.CrossEntropyLoss()
    rows = []
    for X, y in batches:
        loss_fn(model(X), y).backward()
        optimizer.step()
        optimizer.zero_grad()
        scheduler.step()
        rows.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    return rows


def _resumed_path(resume):
    """``RESUME_AT`` steps, a checkpoint, then ``resume`` on a fresh model, optimizer and
    scheduler (other initial weights) and the remaining steps: the parameters after each step."""
    batches = _resume_batches()
    model, optimizer, scheduler = _resume_parts(0)
    rows = _train_steps(model, optimizer, scheduler, batches[:RESUME_AT])
    # copies, as torch.save and torch.load give them: not the live tensors
    checkpoint = copy.deepcopy(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
        }
    )
    model, optimizer, scheduler = _resume_parts(1)
    with warnings.catch_warnings():  # a scheduler stepped before the optimizer warns
        warnings.simplefilter("ignore", UserWarning)
        resume(checkpoint, model, optimizer, scheduler)
        rows += _train_steps(model, optimizer, scheduler, batches[RESUME_AT:])
    return torch.stack(rows)


def _uninterrupted_path():
    return torch.stack(_train_steps(*_resume_parts(0), _resume_batches()))


def _resume(model=True, optimizer=True, scheduler=True, hand_lr=False, extra_step=False):
    """``resume`` restoring the named parts (the notebook's buggy cell: the model, and the lr
    copied by hand)."""

    def resume(checkpoint, m, opt, sched):
        if model:
            m.load_state_dict(checkpoint["model"])
        if optimizer:
            opt.load_state_dict(checkpoint["optimizer"])
        if scheduler:
            sched.load_state_dict(checkpoint["scheduler"])
        if hand_lr:
            for group, saved in zip(opt.param_groups, checkpoint["optimizer"]["param_groups"]):
                group["lr"] = saved["lr"]
        if extra_step:
            sched.step()

    return resume


ADAM_RESTARTS = (
    "Adam 从头开始了：新建的 AdamW 里 m = v = 0、步数 t = 0，续训的第一步 m̂ = g、v̂ = g²"
    "（偏差修正 1 − β^1），每个权重都走大约 lr 那么远，就像训练的第一步；前几步积累的矩估计全丢了。"
    "优化器的 state_dict 里有每个参数的 m、v、t，还有 OneCycleLR 最后写进去的 lr 和 β1："
    'optimizer.load_state_dict(checkpoint["optimizer"])',
    "Adam restarts: a new AdamW has m = v = 0 and step t = 0, so the first step after resuming "
    "has m̂ = g and v̂ = g² (bias correction 1 − β^1) and every weight moves by about lr, as at "
    "the very first step of training; the moments built so far are lost. The optimizer's "
    "state_dict holds m, v and t of each parameter, and the lr and β1 that OneCycleLR last "
    'wrote: optimizer.load_state_dict(checkpoint["optimizer"])',
)
SCHEDULE_RESTARTS = (
    "OneCycleLR 从头开始了：新建的调度器从第 0 步数起，它的下一次 scheduler.step() 写进去的是"
    "预热的第二个学习率（从 max_lr/25 往上升），而不是接着原来的周期走。"
    'scheduler.load_state_dict(checkpoint["scheduler"]) 还原它数到的步数',
    "OneCycleLR restarts: a new scheduler counts from step 0, so its next scheduler.step() "
    "writes the warm-up's second learning rate (rising from max_lr/25) instead of carrying on "
    'with the cycle. scheduler.load_state_dict(checkpoint["scheduler"]) restores its step count',
)
MISTAKES = {
    "ex1_resume": [
        # one bug left: first, so that a path with one bug left gets its own hint
        Mistake(_resume(optimizer=False, hand_lr=True), *ADAM_RESTARTS),
        Mistake(_resume(optimizer=False), *ADAM_RESTARTS),
        Mistake(_resume(scheduler=False), *SCHEDULE_RESTARTS),
        Mistake(
            _resume(model=False),
            "权重还是新模型的初始权重：模型也要载入，"
            'model.load_state_dict(checkpoint["model"])（第 01 课）',
            "the weights are the fresh model's initial ones: load the model too, "
            'model.load_state_dict(checkpoint["model"]) (lesson 01)',
        ),
        Mistake(
            _resume(extra_step=True),
            "多调了一次 scheduler.step()：存下的调度器已经数过存档前的每一步，"
            "载入后再 step() 一次就跳过了调度里的一个学习率",
            "one scheduler.step() too many: the saved scheduler has counted every step taken "
            "before the checkpoint; stepping it again after loading skips one learning rate of "
            "the schedule",
        ),
        # the cell as given
        Mistake(
            _resume(optimizer=False, scheduler=False, hand_lr=True),
            "有两样东西从头开始了。"
            + ADAM_RESTARTS[0]
            + "。"
            + SCHEDULE_RESTARTS[0]
            + "。手动设的 lr 只管续训的第一步",
            "Two things restart. "
            + ADAM_RESTARTS[1]
            + ". "
            + SCHEDULE_RESTARTS[1]
            + ". The lr set by hand lasts for the first resumed step only",
        ),
    ],
}


def ex1_resume(resume):
    """``resume(checkpoint, model, optimizer, scheduler)``: restores, in place, a run saved as
    ``{"model": ..., "optimizer": ..., "scheduler": ...}`` state_dicts, so that training on
    goes exactly as if it had never stopped."""
    check_close(
        _resumed_path(resume),
        _uninterrupted_path(),
        name=("续训后每一步的参数", "the parameters after each step"),
        rtol=1e-12,
        atol=1e-14,
        mistakes=_wrong("ex1_resume", _resumed_path),
    )
    passed(
        "练习 1 通过：续训与不中断的训练一步一步完全相同",
        "Exercise 1 passed: the resumed run is the uninterrupted one, step by step",
    )


# ---------------------------------------------------------------- exercise 2: the loss floor

EX2_CASES = [(0.1, 10), (0.2, 5), (0.05, 3), (0.3, 20)]  # (eps, num_classes)


def _ex2_torch(eps, k):
    """The smallest label-smoothed cross-entropy: PyTorch's loss at the best logits, log q."""
    q = torch.full((1, k), eps / k, dtype=F64)
    q[0, 0] += 1 - eps
    loss = nn.CrossEntropyLoss(label_smoothing=eps)
    return loss(q.log(), torch.tensor([0]))


def _ex2_values(smoothing_floor):
    return torch.tensor([float(smoothing_floor(eps, k)) for eps, k in EX2_CASES], dtype=F64)


def _entropy(p_true, p_other, k, log=math.log):
    return -(p_true * log(p_true) + (k - 1) * p_other * log(p_other))


def ex2_smoothing_floor(smoothing_floor):
    """``smoothing_floor(eps, num_classes)``: the smallest value that
    ``CrossEntropyLoss(label_smoothing=eps)`` can take on one sample, over all logits."""
    expected = torch.stack([_ex2_torch(eps, k) for eps, k in EX2_CASES])
    check_close(
        _ex2_values(smoothing_floor),
        expected,
        name="smoothing_floor",
        rtol=1e-6,
        atol=1e-9,
        mistakes=_wrong("ex2_smoothing_floor", _ex2_values),
    )
    passed(
        "练习 2 通过：标签平滑的损失下限是平滑目标的熵",
        "Exercise 2 passed: the floor is the entropy of the smoothed target",
    )


# ---------------------------------------------------------------- exercise 3: EMA weights

EX3_CASES = [(0.9, 6), (0.5, 4), (0.99, 10)]  # (decay, T)


def _ex3_torch(decay, T):
    """Feed ``AveragedModel`` the unit vectors e_1 .. e_T: the EMA is each snapshot's weight."""
    model = nn.Linear(T, 1, bias=False)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))
    with torch.no_grad():
        for k in range(T):
            model.weight.zero_()
            model.weight[0, k] = 1.0
            ema.update_parameters(model)
    return ema.module.weight.detach()[0].double()


def _ex3_values(ema_weights):
    out = []
    for decay, T in EX3_CASES:
        got = torch.as_tensor(ema_weights(decay, T), dtype=F64).flatten()
        expect(
            got.numel() == T,
            f"ema_weights({decay}, {T}) 应返回 {T} 个数（每个快照一个），得到 {got.numel()} 个",
            f"ema_weights({decay}, {T}) should return {T} numbers (one per snapshot), "
            f"got {got.numel()}",
        )
        out.append(got)
    return torch.cat(out)


def ex3_ema_weights(ema_weights):
    """``ema_weights(decay, T)``: the weight of each of the T snapshots w_1 .. w_T in the EMA
    that ``AveragedModel(multi_avg_fn=get_ema_multi_avg_fn(decay))`` holds after T updates."""
    expected = torch.cat([_ex3_torch(decay, T) for decay, T in EX3_CASES])
    check_close(
        _ex3_values(ema_weights),
        expected,
        name="ema_weights",
        rtol=1e-5,
        atol=1e-7,
        mistakes=_wrong("ex3_ema_weights", _ex3_values),
    )
    passed(
        "练习 3 通过：与 AveragedModel 的 EMA 一致",
        "Exercise 3 passed: matches AveragedModel's EMA",
    )


# ---------------------------------------------------------------- exercise 4: SWA's running mean

EX4_SNAPSHOTS = 6
EX4_NONFINITE = (
    "第一次更新（n = 0）得到了 nan 或 inf：是不是除以了 n？平均里已有 n 个快照，加上新的一个是 n + 1 个",
    "the first update (n = 0) gives nan or inf: a division by n? The average holds n snapshots; "
    "with the new one there are n + 1",
)


def _ex4_snapshots():
    g = torch.Generator().manual_seed(10)
    return [torch.randn(3, 4, generator=g, dtype=F64) for _ in range(EX4_SNAPSHOTS)]


def _ex4_values(swa_update):
    avg, out = torch.zeros(3, 4, dtype=F64), []
    for n, w in enumerate(_ex4_snapshots()):
        avg = torch.as_tensor(swa_update(avg.clone(), w.clone(), n), dtype=F64)
        out.append(avg)
    return torch.stack(out)


def _ex4_torch():
    model = nn.Linear(4, 3, bias=False).double()
    swa = AveragedModel(model)
    out = []
    with torch.no_grad():
        for w in _ex4_snapshots():
            model.weight.copy_(w)
            swa.update_parameters(model)
            out.append(swa.module.weight.detach().clone())
    return torch.stack(out)


def ex4_swa_update(swa_update):
    """``swa_update(avg, w, n)``: the mean of n + 1 snapshots, from ``avg`` (the mean of the
    first n; zeros when n = 0) and the new snapshot ``w``, as ``AveragedModel`` keeps it."""
    first = torch.as_tensor(
        swa_update(torch.zeros(3, 4, dtype=F64), _ex4_snapshots()[0].clone(), 0), dtype=F64
    )
    expect(bool(torch.isfinite(first).all()), *EX4_NONFINITE)
    check_close(
        _ex4_values(swa_update),
        _ex4_torch(),
        name="swa_update",
        rtol=1e-9,
        atol=1e-12,
        mistakes=_wrong("ex4_swa_update", _ex4_values),
    )
    passed(
        "练习 4 通过：与 AveragedModel 的 SWA 平均一致",
        "Exercise 4 passed: matches AveragedModel's SWA mean",
    )


MISTAKES.update(
    {
        "ex2_smoothing_floor": [
            Mistake(
                lambda eps, k: _entropy(1 - eps, eps / k, k),
                "正确类别的目标是 1 − ε + ε/C：ε 平均分给所有 C 类，正确的那一类也分到 ε/C",
                "the right class's target is 1 − ε + ε/C: ε is spread over all C classes, "
                "the right one included",
            ),
            Mistake(
                lambda eps, k: _entropy(1 - eps, eps / (k - 1), k),
                "这是把 ε 只分给其余 C − 1 类的写法；PyTorch 把 ε 分给全部 C 类，正确类别是 1 − ε + ε/C",
                "that spreads ε over the other C − 1 classes only; PyTorch spreads it over all C, "
                "so the right class gets 1 − ε + ε/C",
            ),
            Mistake(
                lambda eps, k: 0.0,
                "标签平滑后目标不再是独热的，任何 logits 都到不了 0：下限是平滑目标 q 的熵",
                "with label smoothing the target is not one-hot and no logits reach 0: the floor "
                "is the entropy of the smoothed target q",
            ),
            Mistake(
                lambda eps, k: _entropy(1 - eps + eps / k, eps / k, k, log=math.log2),
                "用了以 2 为底的对数：PyTorch 的交叉熵用自然对数",
                "a base-2 logarithm: PyTorch's cross-entropy uses the natural log",
            ),
        ],
        "ex3_ema_weights": [
            Mistake(
                lambda d, T: torch.tensor([(1 - d) * d ** (T - k) for k in range(1, T + 1)]),
                "第一次更新是复制（AveragedModel 从模型本身开始，不是从 0）：第一个快照保留 decay^(T−1)，"
                "权重之和为 1",
                "the first update copies (AveragedModel starts from the model, not from 0): the "
                "first snapshot keeps decay^(T−1) and the weights sum to 1",
            ),
            Mistake(
                lambda d, T: torch.tensor(
                    [d ** (T - 1)] + [(1 - d) * d ** (T - k) for k in range(2, T + 1)]
                ).flip(0),
                "顺序反了：最新的快照（k = T）权重最大",
                "the order is reversed: the newest snapshot (k = T) weighs most",
            ),
            Mistake(
                lambda d, T: torch.tensor(
                    [(1 - d) ** (T - 1)] + [d * (1 - d) ** (T - k) for k in range(2, T + 1)]
                ),
                "decay 与 1 − decay 用反了：decay 乘旧的平均，新权重只占 1 − decay",
                "decay and 1 − decay are swapped: decay multiplies the old average, the new "
                "weights get 1 − decay",
            ),
        ],
        "ex4_swa_update": [
            Mistake(
                lambda avg, w, n: (avg + w) / 2,
                "这是 decay = ½ 的 EMA，最新的快照总占一半；SWA 是算术平均，n + 1 个快照各占 1/(n + 1)",
                "that is an EMA with decay ½, the newest snapshot always weighs half; SWA is the "
                "plain mean, each of the n + 1 snapshots weighs 1/(n + 1)",
            ),
            Mistake(
                lambda avg, w, n: (avg + w) / (n + 1),
                "旧的平均代表 n 个快照：先乘以 n 再加新的，(n · avg + w) / (n + 1)",
                "the old average stands for n snapshots: multiply it by n before adding, "
                "(n · avg + w) / (n + 1)",
            ),
        ],
    }
)

wrap_checkers(globals())
