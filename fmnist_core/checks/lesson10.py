"""Checks for the exercises of lesson 10 (the capstone: a recipe, measured honestly).

Each checker computes the reference with PyTorch itself (``LambdaLR``,
``CrossEntropyLoss(label_smoothing=...)``, ``AveragedModel``) and names the likely mistake.
Anticipated mistakes are data (``MISTAKES``): each answer is what a learner who makes it would
pass to the checker; tests/test_checks_mistakes.py passes each one and expects its hint.
"""

import math

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from . import Mistake, check_close, expect, passed, wrap_checkers

F64 = torch.float64


def _half_cos(u):
    return (1 + math.cos(math.pi * u)) / 2


def _wrong(exercise, run):
    """``(value, zh, en)`` for each mistake of ``exercise``: ``run`` applied to its answer."""
    values = []
    for m in MISTAKES[exercise]:
        try:
            values.append((run(m.answer), m.zh, m.en))
        except Exception:  # a wrong answer may not run on every input; it just cannot match
            continue
    return values


# ---------------------------------------------------------------- exercise 1: warm-up + cosine

EX1_CASES = [(5, 25), (3, 13), (10, 40)]  # (warmup, total)
EX1_LR = 0.1


def _ex1_trace(warmup_cosine):
    """The learning rates ``LambdaLR(lr_lambda=...)`` uses at t = 0 .. total, every case."""
    out = []
    for warmup, total in EX1_CASES:
        p = nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=EX1_LR)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt,
            lambda t: float(warmup_cosine(t, warmup, total)),  # noqa: B023 (used at once)
        )
        for _ in range(total + 1):
            out.append(sched.get_last_lr()[0])
            opt.step()
            sched.step()
    return torch.tensor(out, dtype=F64)


def _ex1_reference(t, warmup, total):
    if t < warmup:
        return t / warmup
    return _half_cos((t - warmup) / (total - warmup))


def ex1_warmup_cosine(warmup_cosine):
    """``warmup_cosine(t, warmup, total)``: the factor λ(t) that ``LambdaLR`` multiplies the
    base lr by, for a linear warm-up from 0 to 1 over ``warmup`` steps, then a half cosine from
    1 down to 0 at ``t = total``."""
    check_close(
        _ex1_trace(warmup_cosine),
        _ex1_trace(_ex1_reference),
        name="LambdaLR 的学习率 / LambdaLR's lr",
        rtol=1e-6,
        atol=1e-10,
        mistakes=_wrong("ex1_warmup_cosine", _ex1_trace),
    )
    passed(
        "练习 1 通过：预热 + 余弦的 LambdaLR 正确",
        "Exercise 1 passed: warm-up + cosine as a LambdaLR",
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


MISTAKES = {
    "ex1_warmup_cosine": [
        Mistake(
            lambda t, W, T: (t + 1) / W if t < W else _half_cos((t - W) / (T - W)),
            "预热差了一步：λ(0) = 0，在 t = warmup 时正好升到 1，用 t / warmup",
            "the warm-up is one step off: λ(0) = 0 and λ reaches 1 at t = warmup; use t / warmup",
        ),
        Mistake(
            lambda t, W, T: t / W if t < W else _half_cos((t - W) / T),
            "余弦的长度不对：它从 t = warmup 走到 t = total，共 total − warmup 步，不是 total 步",
            "the cosine has the wrong length: it runs from t = warmup to t = total, "
            "total − warmup steps, not total",
        ),
        Mistake(
            lambda t, W, T: t / W if t < W else _half_cos(t / (T - W)),
            "余弦要从预热结束时算起：用 t − warmup，不是 t",
            "the cosine starts where the warm-up ends: use t − warmup, not t",
        ),
        Mistake(
            lambda t, W, T: t / W if t < W else math.cos(math.pi * (t - W) / (T - W)),
            "单独的 cos 会降到 −1：用 ½ (1 + cos(π p))，它从 1 降到 0",
            "cos alone goes down to −1: use ½ (1 + cos(π p)), which goes from 1 to 0",
        ),
    ],
    "ex2_smoothing_floor": [
        Mistake(
            lambda eps, k: _entropy(1 - eps, eps / k, k),
            "正确类别的目标是 1 − ε + ε/K：ε 平均分给所有 K 类，正确的那一类也分到 ε/K",
            "the right class's target is 1 − ε + ε/K: ε is spread over all K classes, "
            "the right one included",
        ),
        Mistake(
            lambda eps, k: _entropy(1 - eps, eps / (k - 1), k),
            "这是把 ε 只分给其余 K − 1 类的写法；PyTorch 把 ε 分给全部 K 类，正确类别是 1 − ε + ε/K",
            "that spreads ε over the other K − 1 classes only; PyTorch spreads it over all K, "
            "so the right class gets 1 − ε + ε/K",
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

wrap_checkers(globals())
