"""Checks for the exercises of lesson 06 (classification losses).

The anticipated mistakes of each exercise are data (``MISTAKES``): each wrong answer with its
hint. Exercise 1 grades a prediction against the value the checker computes itself; exercise 2
runs the fixed function on batches that expose each bug of the notebook's buggy cell (one with
every class, one without class 9, one with large logits); exercise 3 compares a loss the lesson
does not show (the focal loss) with its direct formula in ``float64``, also on logits of size 1000
and more, and its gradient with autograd's.
"""

import math

import torch
import torch.nn.functional as F

from . import (
    LOSS_FACTOR_HINT,
    Mistake,
    check_close,
    expect,
    expect_number,
    fail,
    passed,
    wrap_checkers,
    wrong_results,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker


# ---------------------------------------------------------------- exercise 1: predict, then run

EQUAL_LOGITS = torch.tensor([[7.0] * 4, [-2.0] * 4, [0.5] * 4])  # every row's logits equal
EQUAL_LABELS = torch.tensor([0, 3, 1])
CLASS_WEIGHT = torch.tensor([1.0, 2.0, 3.0, 4.0])  # w_y = 1, 4, 2: Σ w_y = 7, N = 3, Σ w = 10
TOLERANCE = 5e-3  # 1.386 and 1.39 both count as ln 4 = 1.3863
LN4 = math.log(4)


def _weighted_loss():
    """What the notebook's cell prints: CrossEntropyLoss(weight=w) on the equal logits."""
    return F.cross_entropy(EQUAL_LOGITS, EQUAL_LABELS, weight=CLASS_WEIGHT).item()


WHY = (
    "每一行的 logits 都相等。softmax 只看同一行里 logits 的差：都加上一个常数，每个 e^x 都乘上"
    "同一个数，比值不变。所以每个类别的概率都是 1/4，每个样本的交叉熵都是 -log(1/4) = ln 4 ≈ "
    "1.3863，不管它是哪一类。带 weight 的 'mean' 是加权平均 Σ w_y·ℓ_n / Σ w_y，相同的数加权"
    "平均还是它自己：ln 4",
    "every row's logits are equal. Softmax sees only the differences within a row: adding a "
    "constant multiplies every e^x by the same number, and the ratios stay. So every class gets "
    "probability 1/4, and every sample's cross-entropy is -log(1/4) = ln 4 ≈ 1.3863, whatever "
    "its class. The 'mean' with weight is the weighted mean Σ w_y·ℓ_n / Σ w_y, and a weighted "
    "mean of equal numbers is that number: ln 4",
)
MISTAKES["ex1_weighted_loss"] = [
    Mistake(
        lambda: 7 * LN4 / 3,
        "你除以了样本数 N = 3：带 weight 的 'mean' 除以 Σ w_y = 1 + 4 + 2 = 7。每个样本都是 ln 4"
        "（每行的 logits 相等，概率都是 1/4），所以 7·ln 4 / 7 = ln 4 ≈ 1.3863",
        "you divided by the number of samples N = 3: the 'mean' with weight divides by "
        "Σ w_y = 1 + 4 + 2 = 7. Every sample's loss is ln 4 (equal logits in each row, "
        "probability 1/4 for each class), so 7·ln 4 / 7 = ln 4 ≈ 1.3863",
    ),
    Mistake(
        lambda: 7 * LN4,
        "这是加权的总和 Σ w_y·ℓ_n = 7·ln 4：'mean' 还要除以 Σ w_y = 7，所以是 ln 4 ≈ 1.3863",
        "that is the weighted sum Σ w_y·ℓ_n = 7·ln 4: the 'mean' divides it by Σ w_y = 7, "
        "which gives ln 4 ≈ 1.3863",
    ),
    Mistake(
        lambda: 0.7 * LN4,
        "分母是 Σ w_y，只加这批样本的类别的权重（1 + 4 + 2 = 7），不是所有类别的权重之和 10："
        "7·ln 4 / 7 = ln 4 ≈ 1.3863",
        "the denominator is Σ w_y, the weights of this batch's classes only (1 + 4 + 2 = 7), not "
        "the sum 10 of all class weights: 7·ln 4 / 7 = ln 4 ≈ 1.3863",
    ),
    Mistake(
        lambda: 3 * LN4,
        "这是不加权的总和 3·ln 4：每个样本的损失是 ln 4，'mean' 是加权平均 Σ w_y·ℓ_n / Σ w_y，"
        "相同的数加权平均还是 ln 4 ≈ 1.3863",
        "that is the unweighted sum 3·ln 4: each sample's loss is ln 4, and the 'mean' is the "
        "weighted mean Σ w_y·ℓ_n / Σ w_y; a weighted mean of equal numbers is ln 4 ≈ 1.3863",
    ),
    Mistake(
        lambda: 0.25,
        "1/4 是模型给正确类别的概率；交叉熵是它的负对数 -log(1/4) = ln 4 ≈ 1.3863，"
        "每个样本都一样，所以加权平均也是它",
        "1/4 is the probability the model gives the right class; cross-entropy is its negative "
        "log, -log(1/4) = ln 4 ≈ 1.3863, the same for every sample, so the weighted mean too",
    ),
    Mistake(
        lambda: -LN4,
        "符号反了：交叉熵是 -log p，概率小于 1 时是正数：-log(1/4) = +ln 4 ≈ 1.3863",
        "the sign is flipped: cross-entropy is -log p, positive for a probability below 1: "
        "-log(1/4) = +ln 4 ≈ 1.3863",
    ),
    Mistake(
        lambda: 2.0,
        "PyTorch 的 log 是自然对数：-ln(1/4) = ln 4 ≈ 1.3863；2 是以 2 为底的对数",
        "PyTorch's log is the natural log: -ln(1/4) = ln 4 ≈ 1.3863; 2 is the log to base 2",
    ),
    Mistake(
        lambda: math.log10(4),
        "PyTorch 的 log 是自然对数：-ln(1/4) = ln 4 ≈ 1.3863；0.602 是以 10 为底的对数",
        "PyTorch's log is the natural log: -ln(1/4) = ln 4 ≈ 1.3863; 0.602 is the log to base 10",
    ),
    Mistake(
        lambda: 0.0,
        "只有正确类别的概率是 1 时损失才是 0。logits 相等时每个类别的概率都是 1/4，"
        "每个样本的损失是 -log(1/4) = ln 4，加权平均也是 ln 4 ≈ 1.3863",
        "the loss is 0 only when the right class has probability 1. With equal logits every "
        "class has probability 1/4, each sample's loss is -log(1/4) = ln 4, and so is the "
        "weighted mean: ln 4 ≈ 1.3863",
    ),
    Mistake(
        lambda: LN4 / 4,
        "交叉熵的 'mean' 不除以类别数 C：每个样本的损失是 ln 4，加权平均（除以 Σ w_y）"
        "还是 ln 4 ≈ 1.3863",
        "the 'mean' of cross-entropy does not divide by the number of classes C: each sample's "
        "loss is ln 4, and the weighted mean (divided by Σ w_y) is ln 4 ≈ 1.3863 too",
    ),
]


def ex1_weighted_loss(predict_weighted_loss):
    """``predict_weighted_loss()``: the predicted ``CrossEntropyLoss(weight=w)`` of three rows of
    equal logits over 4 classes (ln 4, whatever the weights)."""
    got = expect_number(predict_weighted_loss())
    right = _weighted_loss()
    if not abs(got - right) < TOLERANCE:
        hint = next(
            (
                (m.zh, m.en)
                for m in MISTAKES["ex1_weighted_loss"]
                if abs(m.answer() - got) < TOLERANCE
            ),
            (f"不是 {got:.4g}：{WHY[0]}", f"not {got:.4g}: {WHY[1]}"),
        )
        fail(*hint)
    passed(
        "练习 1 通过：每个样本都是 ln 4，加权平均还是 ln 4 ≈ 1.3863",
        "Exercise 1 passed: ln 4 per sample, so the weighted mean is ln 4 ≈ 1.3863",
    )


# ---------------------------------------------------------------- exercise 2: find the bugs

FOOTWEAR = torch.tensor([5, 7, 9])  # sandal, sneaker, ankle boot


def _is_shoe(labels):
    return torch.isin(labels, FOOTWEAR).float()


def _two_head(softmax=False, one_hot=False, sigmoid=False):
    """A two_head_loss with the chosen bugs of the notebook's buggy cell (none: the right one)."""

    def two_head_loss(class_logits, shoe_logit, labels):
        x = class_logits.softmax(dim=1) if softmax else class_logits
        target = F.one_hot(labels).float() if one_hot else labels
        s = torch.sigmoid(shoe_logit) if sigmoid else shoe_logit
        return F.cross_entropy(x, target) + F.binary_cross_entropy_with_logits(s, _is_shoe(labels))

    return two_head_loss


_right_two_head = _two_head()
_buggy = _two_head(softmax=True, one_hot=True, sigmoid=True)  # the notebook's buggy cell


def _nll_of_log_probs(class_logits, shoe_logit, labels):
    log_probs = class_logits.softmax(dim=1).log()  # log 0 = -inf for a tiny probability
    return F.nll_loss(log_probs, labels) + F.binary_cross_entropy_with_logits(
        shoe_logit, _is_shoe(labels)
    )


def _bce_of_sigmoid(class_logits, shoe_logit, labels):
    return F.cross_entropy(class_logits, labels) + F.binary_cross_entropy(
        torch.sigmoid(shoe_logit), _is_shoe(labels)
    )


def _batch(seed, n, classes, scale):
    """(class_logits, shoe_logit, labels): labels below ``classes``, every one of them present."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, classes, (n,), generator=g)
    labels[:classes] = torch.arange(classes)
    return scale * torch.randn(n, 10, generator=g), scale * torch.randn(n, generator=g), labels


def _sure_and_wrong():
    """Large logits: every other sample confidently wrong, in both heads."""
    labels = torch.arange(10).repeat(2)
    wrong = torch.arange(20) % 2 == 0
    class_logits = 300 * F.one_hot(labels, 10).float()
    class_logits[wrong] = -class_logits[wrong]  # the right class 300 below the others
    shoe = 2 * _is_shoe(labels) - 1  # +1 for footwear, -1 otherwise
    shoe_logit = torch.where(wrong, -40.0, 40.0) * shoe
    return class_logits, shoe_logit, labels


ORDINARY = _batch(0, 24, 10, 3.0), _batch(1, 12, 10, 3.0)  # every class present
NO_ANKLE_BOOT = _batch(2, 16, 9, 3.0)  # classes 0-8 only
LARGE = _sure_and_wrong()

SOFTMAX = (
    "cross_entropy 拿到的是 softmax 之后的概率：它内部已经有 log_softmax，再加一次 softmax，"
    "损失就有一个去不掉的下限（第 4.1 节），完全正确的模型也到不了 0。"
    "把 class_logits 直接传给 cross_entropy",
    "cross_entropy gets probabilities from a softmax: it has a log_softmax inside, and one more "
    "softmax gives the loss a floor (section 4.1), so even a perfect model cannot reach 0. "
    "Pass class_logits to cross_entropy directly",
)
SIGMOID = (
    "binary_cross_entropy_with_logits 拿到的是 sigmoid 之后的概率：它内部已经有 sigmoid，"
    "要的是 logit。概率被当成 logit，很有把握的“是鞋”只是 logit 1，“不是鞋”是 logit 0"
    "（概率 0.5），完全正确的模型也到不了 0。把 shoe_logit 直接传进去",
    "binary_cross_entropy_with_logits gets probabilities from a sigmoid: it applies the "
    "sigmoid inside and wants a logit. Read as logits, a sure 'footwear' is only logit 1 and "
    "'not footwear' is logit 0 (probability 0.5), so even a perfect model cannot reach 0. "
    "Pass shoe_logit directly",
)
BOTH = (
    "两处都把概率传给了要 logits 的损失：cross_entropy 前面的 softmax（第 4.1 节）和 "
    "binary_cross_entropy_with_logits 前面的 sigmoid，这两个函数内部已经各做了一次。"
    "把 class_logits 和 shoe_logit 直接传进去",
    "both losses that want logits get probabilities: the softmax before cross_entropy "
    "(section 4.1) and the sigmoid before binary_cross_entropy_with_logits, which each "
    "function already applies inside. Pass class_logits and shoe_logit directly",
)
ONE_HOT = (
    "在没有短靴（类别 9）的批次上出错：F.one_hot(labels) 不给 num_classes 时，列数是这批标签的"
    "最大值 + 1，不一定是 10，形状就和 class_logits 对不上。cross_entropy 直接接受 int64 的"
    "类别索引：把 labels 传进去（或者写 F.one_hot(labels, 10).float()）",
    "it fails on a batch without an ankle boot (class 9): without num_classes, F.one_hot(labels) "
    "has as many columns as this batch's largest label + 1, not always 10, and no longer "
    "matches class_logits. cross_entropy takes int64 class indices directly: pass labels (or "
    "write F.one_hot(labels, 10).float())",
)
UNSTABLE_CE = (
    "普通的 logits 上对，很大的 logits 上错：softmax 之后再取 log，很小的概率下溢成 0，"
    "log 0 = -inf。用 F.cross_entropy(class_logits, labels)（或 F.log_softmax），"
    "它用 log-sum-exp 技巧（第 2.1 节）",
    "right on ordinary logits, wrong on large ones: a log taken after the softmax turns a tiny "
    "probability that underflowed to 0 into log 0 = -inf. Use F.cross_entropy(class_logits, "
    "labels) (or F.log_softmax), which uses the log-sum-exp trick (section 2.1)",
)
UNSTABLE_BCE = (
    "普通的 logits 上对，很大的 logits 上错：x 大约超过 17 时 float32 把 σ(x) 舍入成 1，"
    "BCELoss 的 log 被截断在 -100（第 1.2 节）。用 "
    "F.binary_cross_entropy_with_logits(shoe_logit, ...)",
    "right on ordinary logits, wrong on large ones: above about x = 17 float32 rounds σ(x) to "
    "1 and BCELoss clamps its log at -100 (section 1.2). Use "
    "F.binary_cross_entropy_with_logits(shoe_logit, ...)",
)
MISSING_TERM = (
    "少了一项：损失是两项之和，类别的交叉熵加上“是不是鞋”的二元交叉熵",
    "a term is missing: the loss is the sum of two terms, the cross-entropy of the class plus "
    "the binary cross-entropy of 'is it footwear'",
)
MISTAKES["ex2_two_head_loss"] = [
    Mistake(_buggy, *BOTH),  # the cell as given
    Mistake(_two_head(softmax=True, sigmoid=True), *BOTH),
    Mistake(_two_head(softmax=True, one_hot=True), *SOFTMAX),
    Mistake(_two_head(softmax=True), *SOFTMAX),
    Mistake(_two_head(sigmoid=True, one_hot=True), *SIGMOID),
    Mistake(_two_head(sigmoid=True), *SIGMOID),
    Mistake(_two_head(one_hot=True), *ONE_HOT),
    Mistake(_nll_of_log_probs, *UNSTABLE_CE),
    Mistake(_bce_of_sigmoid, *UNSTABLE_BCE),
    Mistake(
        lambda class_logits, shoe_logit, labels: F.cross_entropy(class_logits, labels),
        *MISSING_TERM,
    ),
    Mistake(
        lambda class_logits, shoe_logit, labels: F.binary_cross_entropy_with_logits(
            shoe_logit, _is_shoe(labels)
        ),
        *MISSING_TERM,
    ),
]


def _losses(two_head_loss, batches):
    """The answer's loss on each batch (given clones), one number each, as one tensor."""
    values = []
    for batch in batches:
        got = two_head_loss(*[t.clone() for t in batch])
        expect(
            isinstance(got, torch.Tensor) and got.dim() == 0,
            f"two_head_loss 应返回一个标量张量（0 维），得到的是 {_what(got)}",
            f"two_head_loss should return a scalar tensor (0-dimensional), got {_what(got)}",
        )
        values.append(got.detach())
    return torch.stack(values)


def _what(got):
    return f"shape {tuple(got.shape)}" if isinstance(got, torch.Tensor) else type(got).__name__


def _compare(two_head_loss, batches, name):
    table = MISTAKES["ex2_two_head_loss"]
    check_close(
        _losses(two_head_loss, batches),
        _losses(_right_two_head, batches),
        name=name,
        mistakes=wrong_results(table, lambda answer: _losses(answer, batches)),
        factor_hint=LOSS_FACTOR_HINT,
    )


def ex2_two_head_loss(two_head_loss):
    """``two_head_loss(class_logits, shoe_logit, labels)``: the cross-entropy of the class plus
    the binary cross-entropy of "is it footwear", both on logits, both "mean"."""
    _compare(
        two_head_loss,
        ORDINARY,
        ("两个普通批次上的损失", "the loss on each of two ordinary batches"),
    )
    try:
        _losses(two_head_loss, [NO_ANKLE_BOOT])
    except RuntimeError:  # it ran on the batches with every class: the one-hot lost columns
        fail(*ONE_HOT)
    _compare(
        two_head_loss, [NO_ANKLE_BOOT], ("没有类别 9 的批次上的损失", "the loss without class 9")
    )
    _compare(two_head_loss, [LARGE], ("logits 很大时的损失", "the loss on large logits"))
    passed(
        "练习 2 通过：三个错误都改好了，两个损失都拿到 logits",
        "Exercise 2 passed: all three bugs fixed, both losses get logits",
    )


# ---------------------------------------------------------------- exercise 3: the focal loss


def _focal(x, y, gamma):
    """The direct formula in float64: -(1 - p_t)^γ log p_t, averaged over the N samples."""
    log_pt = torch.log_softmax(x.double(), dim=1)[torch.arange(len(y)), y]
    return (-((1 - log_pt.exp()) ** gamma) * log_pt).mean()


def _ce_terms(x, y):
    return F.cross_entropy(x, y, reduction="none")  # -log p_t per sample


def _pt(x, y):
    return torch.exp(-_ce_terms(x, y))


def _from_probs(x, y, gamma):
    p_t = x.softmax(dim=1)[torch.arange(len(y)), y]  # 0 on large logits, so log p_t = -inf
    return (-((1 - p_t) ** gamma) * p_t.log()).mean()


def _all_classes(x, y, gamma):
    p = x.softmax(dim=1)
    return (-((1 - p) ** gamma) * x.log_softmax(dim=1)).sum(dim=1).mean()


def _over_n_times_c(x, y, gamma):
    p, log_p = x.softmax(dim=1), x.log_softmax(dim=1)
    return (-F.one_hot(y, x.shape[1]) * (1 - p) ** gamma * log_p).mean()


def _batch_mean_pt(x, y, gamma):
    ce = F.cross_entropy(x, y)  # the batch's mean, not each sample's
    return (1 - torch.exp(-ce)) ** gamma * ce


def _detached(x, y, gamma):
    ce = _ce_terms(x, y)
    return ((1 - torch.exp(-ce).detach()) ** gamma * ce).mean()


def _not_a_graph(x, y, gamma):
    return torch.tensor(_focal(x, y, gamma).item())


UNSTABLE_FOCAL = (
    "很大的 logits 上 softmax 的 p_t 下溢成 0，log p_t 变成 -inf：用 F.log_softmax 或 "
    "F.cross_entropy(..., reduction='none') 得到 log p_t，再算 p_t = exp(log p_t)",
    "on large logits the p_t of a softmax underflows to 0 and log p_t becomes -inf: get log p_t "
    "from F.log_softmax or F.cross_entropy(..., reduction='none'), then p_t = exp(log p_t)",
)
DETACHED = (
    "值对了，梯度不对：因子 (1 - p_t)^γ 也依赖 logits，梯度要流过它。不要 detach() 它",
    "the value is right, the gradient is not: the factor (1 - p_t)^γ depends on the logits too, "
    "and the gradient must flow through it. Do not detach() it",
)
NO_GRAPH = (
    "focal_loss 的结果不能反向传播：返回一个由 logits 算出来的张量，不要用 .item()、numpy "
    "或 detach() 再包成新张量",
    "the result of focal_loss cannot be backpropagated: return a tensor computed from the "
    "logits, not one rebuilt from .item(), numpy or detach()",
)
MISTAKES["ex3_focal_loss"] = [
    Mistake(
        lambda x, y, gamma: F.cross_entropy(x, y),
        "这是普通的交叉熵：每个样本的 -log p_t 还要乘上 (1 - p_t)^γ；只有 γ = 0 时两者相等",
        "that is plain cross-entropy: each sample's -log p_t is multiplied by (1 - p_t)^γ; the "
        "two agree only for γ = 0",
    ),
    Mistake(
        lambda x, y, gamma: (_pt(x, y) ** gamma * _ce_terms(x, y)).mean(),
        "因子是 (1 - p_t)^γ，不是 p_t^γ：要压低的是已经分对的样本（p_t 接近 1），不是分错的",
        "the factor is (1 - p_t)^γ, not p_t^γ: it turns down the samples already classified "
        "right (p_t close to 1), not the wrong ones",
    ),
    Mistake(
        lambda x, y, gamma: ((1 - _pt(x, y)) * _ce_terms(x, y)).mean(),
        "(1 - p_t) 还要取 γ 次方：因子是 (1 - p_t)^γ",
        "(1 - p_t) is raised to the power γ: the factor is (1 - p_t)^γ",
    ),
    Mistake(
        lambda x, y, gamma: ((1 - _pt(x, y)) ** 2 * _ce_terms(x, y)).mean(),
        "γ = 2 时对，别的 γ 不对：用参数 gamma，不要写死 2（γ = 0 时应该正好是交叉熵）",
        "right for γ = 2, wrong for other γ: use the argument gamma instead of a fixed 2 (for "
        "γ = 0 it is exactly cross-entropy)",
    ),
    Mistake(
        lambda x, y, gamma: ((1 - _pt(x, y)) ** gamma * _ce_terms(x, y)).sum(),
        "返回了总和：L 是 N 个样本的平均，还要除以 N",
        "you returned the sum: L is the mean over the N samples, so divide by N",
    ),
    Mistake(
        lambda x, y, gamma: -((1 - _pt(x, y)) ** gamma * _ce_terms(x, y)).mean(),
        "符号反了：ℓ_n = -(1 - p_t)^γ · log p_t，log p_t ≤ 0，所以损失不小于 0",
        "the sign is flipped: ℓ_n = -(1 - p_t)^γ · log p_t, and log p_t ≤ 0, so the loss is "
        "never below 0",
    ),
    Mistake(
        _all_classes,
        "每个样本只取正确类别那一项：p_t 和 log p_t 都是第 y_n 列的，不要对所有类别求和",
        "take only the right class's term of each sample: p_t and log p_t come from column y_n; "
        "do not sum over all classes",
    ),
    Mistake(
        _over_n_times_c,
        "除以了 N × C：L 是 N 个样本的平均，只除以 N",
        "you divided by N × C: L is the mean over the N samples, divide by N only",
    ),
    Mistake(
        _batch_mean_pt,
        "p_t 要逐个样本算：先得到每个样本的 -log p_t（reduction='none'），乘上它自己的 "
        "(1 - p_t)^γ，最后再求平均。用整批的平均交叉熵算出的是另一个数",
        "p_t is per sample: get each sample's -log p_t (reduction='none'), multiply it by its own "
        "(1 - p_t)^γ, and only then take the mean. The batch's mean cross-entropy gives another "
        "number",
    ),
    Mistake(_from_probs, *UNSTABLE_FOCAL),
    Mistake(_detached, *DETACHED),
    Mistake(_not_a_graph, *NO_GRAPH),
]


def _logits(seed, n, c):
    g = torch.Generator().manual_seed(seed)
    return 2 * torch.randn(n, c, generator=g), torch.randint(0, c, (n,), generator=g)


def _at_gammas(focal_loss, x, y, gammas):
    """The answer's loss for each gamma (on clones of x and y), as one tensor."""
    values = []
    for gamma in gammas:
        got = focal_loss(x.clone(), y.clone(), gamma)
        expect(
            isinstance(got, torch.Tensor) and got.dim() == 0,
            f"focal_loss 应返回一个标量张量（0 维），得到的是 {_what(got)}",
            f"focal_loss should return a scalar tensor (0-dimensional), got {_what(got)}",
        )
        values.append(got.detach().double())
    return torch.stack(values)


def _gradient(focal_loss, x, y, gamma):
    x = x.clone().requires_grad_(True)
    loss = focal_loss(x, y.clone(), gamma)
    expect(isinstance(loss, torch.Tensor) and loss.requires_grad, *NO_GRAPH)
    return torch.autograd.grad(loss, x)[0]


def ex3_focal_loss(focal_loss):
    """``focal_loss(logits, target, gamma)``: the mean over the samples of
    -(1 - p_t)^γ log p_t, stable on large logits, differentiable."""
    table = MISTAKES["ex3_focal_loss"]
    x, y = _logits(0, 8, 5)
    gammas = (2.0, 0.0, 0.5)
    check_close(
        _at_gammas(focal_loss, x, y, gammas),
        torch.stack([_focal(x, y, gamma) for gamma in gammas]),
        name=("γ = 2、0、0.5 时的 focal_loss", "focal_loss at γ = 2, 0, 0.5"),
        mistakes=wrong_results(table, lambda answer: _at_gammas(answer, x, y, gammas)),
        factor_hint=LOSS_FACTOR_HINT,
    )
    # every |logit| >= 1000: the softmax underflows to 0 even in float64
    x_big = torch.sign(x) * (1000 + 100 * x.abs())
    check_close(
        _at_gammas(focal_loss, x_big, y, [2.0]),
        _focal(x_big, y, 2.0).reshape(1),
        name=("logits 很大时的 focal_loss", "focal_loss on large logits"),
        mistakes=wrong_results(table, lambda answer: _at_gammas(answer, x_big, y, [2.0])),
        factor_hint=LOSS_FACTOR_HINT,
        nonfinite_hint=UNSTABLE_FOCAL,
    )
    right = _gradient(lambda *a: _focal(*a).float(), x, y, 2.0)
    check_close(
        _gradient(focal_loss, x, y, 2.0),
        right,
        name=("focal_loss 对 logits 的梯度", "the gradient of focal_loss w.r.t. the logits"),
        mistakes=wrong_results(table, lambda answer: _gradient(answer, x, y, 2.0)),
    )
    passed(
        "练习 3 通过：focal_loss 正确、数值稳定，梯度与 autograd 一致",
        "Exercise 3 passed: focal_loss matches, is stable, and its gradient is autograd's",
    )


wrap_checkers(globals())
