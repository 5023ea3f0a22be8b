"""Checks for the exercises of lesson 10 (the capstone: a recipe, measured honestly).

Exercise 1 grades a prediction (whether two groups of seeds overlap, and their paired t),
computed here from the same numbers. The others compute the reference with PyTorch itself
(``CrossEntropyLoss(label_smoothing=...)``, ``AveragedModel``) and name the likely mistake.
Anticipated mistakes are data (``MISTAKES``): each answer is what a learner who makes it would
pass to the checker; tests/test_checks_mistakes.py passes each one and expects its hint.
"""

import math

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from . import Mistake, check_close, expect, fail, passed, tiny_data, tiny_model, wrap_checkers

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


# ---------------------------------------------------------------- exercise 1: predict, then run

EX1_A = (90.00, 90.30, 89.70)  # configuration A, val acc (%) with seeds 0, 1, 2
EX1_B = (90.05, 90.36, 89.74)  # configuration B, the same seeds
EX1_T_CRITICAL = 4.30  # |t| above it: 5 % two-sided, 2 degrees of freedom
T_TOLERANCE = 0.02  # a predicted t within 2 % is right


def _sample_std(xs):
    mean = sum(xs) / len(xs)
    return math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1))


def _paired_t(a, b, std=_sample_std, root_s=True):
    d = [y - x for x, y in zip(a, b)]
    mean = sum(d) / len(d)
    return mean / (std(d) / (math.sqrt(len(d)) if root_s else 1.0))


def _apart(a, b):
    """No overlap: the best run of one group below the worst of the other."""
    return max(a) < min(b) or max(b) < min(a)


def _welch_t(a, b):
    """The unpaired t: the difference of the means over the standard error of that difference."""
    se = math.sqrt(_sample_std(a) ** 2 / len(a) + _sample_std(b) ** 2 / len(b))
    return (sum(b) / len(b) - sum(a) / len(a)) / se


RIGHT_T = _paired_t(EX1_A, EX1_B)
WHY_T = (
    "逐种子的差 d = (0.05, 0.06, 0.04) 个百分点：均值 0.05，样本标准差 0.01，"
    "t = 0.05 / (0.01/√3) ≈ 8.7，远大于 4.30，配对检验说 B 更好。种子把 A 和 B 一起移动了"
    "将近 0.3 个百分点，配对把这部分减掉了，剩下的是每个种子都一样的 0.05",
    "the per-seed differences are d = (0.05, 0.06, 0.04) points: mean 0.05, sample standard "
    "deviation 0.01, t = 0.05 / (0.01/√3) ≈ 8.7, far above 4.30, so the paired test calls B "
    "better. The seeds move A and B together by nearly 0.3 points; pairing subtracts that "
    "shared part and leaves the 0.05 that every seed shows",
)
OVERLAP = (
    "两组重叠：A 最好的种子（90.30）高于 B 最差的种子（89.74），B 最好的（90.36）也高于 A 最差的"
    "（89.70），所以“不重叠”规则下不了结论（no_overlap 应为 False）。它比较的是两组的范围，"
    "看不到种子之间的配对",
    "the groups overlap: A's best seed (90.30) is above B's worst (89.74), and B's best "
    "(90.36) above A's worst (89.70), so the no-overlap rule settles nothing (no_overlap "
    "should be False). It compares the two ranges and cannot see the pairing by seed",
)
MISTAKES = {
    "ex1_verdicts": [
        Mistake(lambda: (True, RIGHT_T), *OVERLAP),
        Mistake(
            lambda: (False, _welch_t(EX1_A, EX1_B)),
            "0.2 是不配对的 t（两组均值之差除以它的标准误差）：它把种子之间将近 0.3 个百分点的"
            "波动当成了噪声。这里同一个种子的两次运行是一对，要逐种子相减。" + WHY_T[0],
            "0.2 is the unpaired t (the difference of the means over its standard error): it "
            "counts the seeds' spread of nearly 0.3 points as noise. Here the two runs of one seed "
            "are a pair: subtract seed by seed. " + WHY_T[1],
        ),
        Mistake(
            lambda: (False, _paired_t(EX1_A, EX1_B, root_s=False)),
            "5.0 是 d̄/σ_d：t 要除以均值的标准误差 σ_d/√S，不是 σ_d 本身。" + WHY_T[0],
            "5.0 is d̄/σ_d: t divides by the standard error of the mean, σ_d/√S, not by σ_d "
            "itself. " + WHY_T[1],
        ),
        Mistake(
            lambda: (
                False,
                _paired_t(EX1_A, EX1_B, std=lambda d: _sample_std(d) * math.sqrt(2 / 3)),
            ),
            "10.6 用了除以 S 的标准差；样本标准差除以 S − 1 = 2（第 1.2 节）。" + WHY_T[0],
            "10.6 uses the standard deviation that divides by S; the sample standard deviation "
            "divides by S − 1 = 2 (section 1.2). " + WHY_T[1],
        ),
        Mistake(
            lambda: (False, -RIGHT_T),
            "符号反了：d_s = b_s − a_s，B 的每个种子都更高，t 是正的。" + WHY_T[0],
            "the sign is flipped: d_s = b_s − a_s, and every seed of B is higher, so t is "
            "positive. " + WHY_T[1],
        ),
    ],
}


def ex1_verdicts(predict_verdicts):
    """``predict_verdicts()``: ``(no_overlap, t)`` for configurations ``EX1_A`` and ``EX1_B``:
    whether the two groups of seeds do not overlap, and the paired t of d_s = b_s − a_s."""
    got = predict_verdicts()
    expect(
        isinstance(got, (tuple, list)) and len(got) == 2,
        "应返回两样东西：(no_overlap, t)",
        "return two things: (no_overlap, t)",
    )
    no_overlap, t = got
    expect(
        isinstance(no_overlap, bool) or (torch.is_tensor(no_overlap) and no_overlap.numel() == 1),
        f"no_overlap 应为 True 或 False，得到的是 {type(no_overlap).__name__}",
        f"no_overlap should be True or False, got {type(no_overlap).__name__}",
    )
    expect(
        (isinstance(t, (int, float)) and not isinstance(t, bool))
        or (torch.is_tensor(t) and t.numel() == 1),
        f"t 应为一个数，得到的是 {type(t).__name__}",
        f"t should be one number, got {type(t).__name__}",
    )
    no_overlap, t = bool(no_overlap), float(t)
    if no_overlap != _apart(EX1_A, EX1_B):
        fail(*OVERLAP)
    if not abs(t - RIGHT_T) <= T_TOLERANCE * RIGHT_T:
        for m in MISTAKES["ex1_verdicts"]:
            value = m.answer()[1]
            if abs(t - value) <= T_TOLERANCE * abs(value):
                fail(m.zh, m.en)
        fail(f"t 不是 {t:.3g}。{WHY_T[0]}", f"t is not {t:.3g}. {WHY_T[1]}")
    passed(
        "练习 1 通过：两组重叠，配对 t 却约为 8.7 > 4.30：B 更好",
        "Exercise 1 passed: the groups overlap, yet the paired t ≈ 8.7 > 4.30: B is better",
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

# ---------------------------------------------------------------- exercise 5: an EMA, find the bugs

EX5_DECAY, EX5_LR, EX5_STEPS = 0.9, 0.05, 8


def _ex5_batches():
    X, y = tiny_data(5, n=8 * EX5_STEPS)
    return [(X[i : i + 8].double(), y[i : i + 8]) for i in range(0, len(y), 8)]


def _train_ema(before_step=False, swapped=False, no_average=False):
    """``train_ema`` done right (the defaults), or with the named bugs: the EMA updated before
    ``optimizer.step()``, ``get_ema_multi_avg_fn(1 − decay)``, the trained model returned."""

    def train_ema(model, batches, decay):
        optimizer = torch.optim.AdamW(model.parameters(), lr=EX5_LR)
        ema = AveragedModel(
            model, multi_avg_fn=get_ema_multi_avg_fn(1 - decay if swapped else decay)
        )
        for X, y in batches:
            if before_step:
                ema.update_parameters(model)
            nn.functional.cross_entropy(model(X), y).backward()
            optimizer.step()
            optimizer.zero_grad()
            if not before_step:
                ema.update_parameters(model)
        return model if no_average else ema.module

    return train_ema


def _ex5_params(train_ema):
    model = tiny_model(5).double()
    out = train_ema(model, _ex5_batches(), EX5_DECAY)
    expect(
        isinstance(out, nn.Module),
        f"应返回一个模型（EMA 的 ema.module），得到的是 {type(out).__name__}",
        f"return a model (the EMA's ema.module), got {type(out).__name__}",
    )
    return torch.cat([p.detach().flatten() for p in out.parameters()])


BEFORE_STEP = (
    "EMA 在 optimizer.step() 之前更新：第一次 update_parameters 是复制，这样复制进来的是训练前的随机"
    "初始权重，而最后一步之后的参数永远进不了平均。把 ema.update_parameters(model) 放在 "
    "optimizer.step() 之后",
    "the EMA is updated before optimizer.step(): the first update_parameters copies, so it "
    "copies the random initial weights from before training, and the parameters after the last "
    "step never enter the average. Put ema.update_parameters(model) after optimizer.step()",
)
SWAPPED = (
    "decay 用反了：get_ema_multi_avg_fn(decay) 的 decay 是旧平均的权重（0.9 时新参数只占 0.1），"
    "传 1 − decay 就让平均几乎只跟着最新的参数走",
    "decay is swapped: the decay of get_ema_multi_avg_fn(decay) is the weight of the old "
    "average (with 0.9 the new parameters weigh 0.1); passing 1 − decay makes the average "
    "follow almost only the newest parameters",
)
MISTAKES["ex5_train_ema"] = [
    # one bug left: first, so that it gets its own hint
    Mistake(_train_ema(before_step=True), *BEFORE_STEP),
    Mistake(_train_ema(swapped=True), *SWAPPED),
    Mistake(
        _train_ema(no_average=True),
        "返回的是训练的模型本身，不是平均：返回 ema.module",
        "this returns the trained model itself, not the average: return ema.module",
    ),
    # the cell as given
    Mistake(
        _train_ema(before_step=True, swapped=True),
        "有两个错误。" + BEFORE_STEP[0] + "。另外，" + SWAPPED[0],
        "Two bugs. " + BEFORE_STEP[1] + ". Also, " + SWAPPED[1],
    ),
]


def ex5_train_ema(train_ema):
    """``train_ema(model, batches, decay)``: one AdamW step per batch, with an EMA of the weights
    (``AveragedModel`` with ``get_ema_multi_avg_fn(decay)``) updated after each step; returns
    the averaged model."""
    check_close(
        _ex5_params(train_ema),
        _ex5_params(_train_ema()),
        name=("EMA 的参数", "the EMA's parameters"),
        rtol=1e-9,
        atol=1e-12,
        mistakes=_wrong("ex5_train_ema", _ex5_params),
    )
    passed(
        "练习 5 通过：EMA 在每一步之后更新，decay 是旧平均的权重",
        "Exercise 5 passed: the EMA follows each step, decay weighs the old average",
    )


wrap_checkers(globals())
