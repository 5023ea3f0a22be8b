# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,nbgrader,-all
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["zh"]
# # 11 嵌入与排序的损失
#
# 上一课：[10 综合实战：从 65% 到 90%](10_capstone.ipynb) · 下一课：[12 多标签、计数、不确定性与序列的损失](12_losses_structured.ipynb)
#
# 预计用时：约 85 分钟（阅读、运行和练习），本课没有选读部分。
#
# 第 05、06 课的损失函数拿一个预测和一个目标比较。这一课的七个损失函数比较的是模型几个输出之间的关系：两个分数谁该更大（排序，ranking），两个嵌入（embedding，模型输出的一个向量，用距离表示相似）该近还是该远，一个锚点离同类样本是否比离异类样本更近（三元组）。这类任务统称度量学习（metric learning）：学一个空间，让距离有意义。第 8 节再讲今天最常用的对比损失 InfoNCE：`torch.nn` 里没有它，因为它就是一个交叉熵。
#
# 学完这一课，你能够：
#
# - 写出 `MarginRankingLoss`、`SoftMarginLoss`、`MultiMarginLoss`、`HingeEmbeddingLoss`、`CosineEmbeddingLoss`、`TripletMarginLoss` 和 `TripletMarginWithDistanceLoss` 按 PyTorch 实现的公式，从零实现，并对每个构造参数和每种 `reduction` 用 `torch.testing.assert_close` 核对数值和梯度；
# - 说出 PyTorch 和论文或教材不一样的地方：三元组损失用不平方的距离、`eps` 加在差上、还有 `swap`；`HingeEmbeddingLoss` 只认 $\pm 1$ 目标；`MultiMarginLoss` 除以类别数；`CosineEmbeddingLoss` 的 `eps`；`SoftMarginLoss` 的上溢；
# - 知道已弃用的 `size_average` 和 `reduce` 怎样换算成 `reduction`；
# - 说出 InfoNCE（SimCLR、CLIP 用的对比损失）为什么就是余弦相似度上的交叉熵、温度起什么作用，并在练习里用 `F.cross_entropy` 写出它；
# - 用三元组损失在 Fashion-MNIST 上学一个二维嵌入，画出各类的聚簇，在验证集上用最近质心分类评价它，并和同样大小的 softmax 分类器的二维层比较。
#
# 每个损失函数按同样的顺序讲：定义（以及与论文的不同）→ 直觉（配图）→ 从零实现并与 PyTorch 对照 → 何时使用。

# %% [markdown] tags=["en"]
# # 11 Losses for embeddings and ranking
#
# Previous: [10 Capstone: from 65% to 90%](10_capstone.ipynb) · Next: [12 Losses for multi-label, counts, uncertainty and sequences](12_losses_structured.ipynb)
#
# Time: about 85 min (reading, running and the exercises); this lesson has no optional sections.
#
# The losses of lessons 05 and 06 compare one prediction with one target. The seven losses of this lesson compare
# several outputs of a model with each other: which of two scores should be larger (ranking), whether two
# embeddings (an output vector of a model, where distance stands for similarity) should be near or far, whether an
# anchor is nearer a sample of its class than a sample of another (triplets). Such tasks are called metric learning:
# learning a space in which distances mean something. Section 8 adds the contrastive loss most used today, InfoNCE:
# `torch.nn` has no class for it, because it is a cross-entropy.
#
# After this lesson you can:
#
# - write the formulas of `MarginRankingLoss`, `SoftMarginLoss`, `MultiMarginLoss`, `HingeEmbeddingLoss`,
#   `CosineEmbeddingLoss`, `TripletMarginLoss` and `TripletMarginWithDistanceLoss` as PyTorch implements them,
#   implement each from scratch, and check values and gradients against PyTorch with `torch.testing.assert_close`
#   for every constructor option and every `reduction`;
# - say where PyTorch differs from the paper or the textbook: the triplet loss's unsquared distance, its `eps`
#   added to the difference and its `swap`; `HingeEmbeddingLoss` accepting only $\pm 1$ targets; `MultiMarginLoss`
#   dividing by the number of classes; `CosineEmbeddingLoss`'s `eps`; `SoftMarginLoss` overflowing;
# - say how the deprecated `size_average` and `reduce` turn into `reduction`;
# - say why InfoNCE (the contrastive loss of SimCLR and CLIP) is a cross-entropy on cosine similarities and what
#   its temperature does, and write it with `F.cross_entropy` in an exercise;
# - learn a 2-D embedding of Fashion-MNIST with a triplet loss, plot the clusters of the classes, evaluate it on
#   the validation set by nearest-centroid classification, and compare it with the 2-D layer of a softmax
#   classifier of the same size.
#
# Each loss follows the same order: definition (and where it differs from the paper) → intuition (with a plot) →
# from scratch, checked against PyTorch → when to use.

# %%
import itertools
import math
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

import fmnist_core as fc
from fmnist_core.checks import lesson11 as check

_ = fc.plot.cjk_font()  # 有中文字体就用它画图 / use a CJK font for plots when there is one
device = fc.get_device()  # 有 GPU 就用 GPU / the GPU when there is one

# %% [markdown] tags=["zh"]
# ## 0. 间隔、合页与归约
#
# 这一课的损失函数几乎都由同一个零件搭成，合页（hinge）：
#
# $$h(z) = \max(0, z)$$
#
# $z$ 通常是“间隔（margin）$m$ 减去做对的程度”。做对的程度超过 $m$ 时，损失和梯度都是 0，这个样本不再推动模型；不够时，损失随差距线性增长。交叉熵不一样：对已经分对的样本，它也一直给一点梯度。
#
# 每个损失先算出一组 $\ell_i$，再按 `reduction` 归约，和第 05 课一样：
#
# $$L_{\text{none}} = (\ell_1, \dots, \ell_N), \qquad L_{\text{sum}} = \sum_{i=1}^{N} \ell_i, \qquad L_{\text{mean}} = \frac{1}{N} \sum_{i=1}^{N} \ell_i$$
#
# 默认是 `"mean"`。注意 $N$ 是 $\ell_i$ 的个数：`MarginRankingLoss`、`SoftMarginLoss` 和 `HingeEmbeddingLoss` 每个元素有一个 $\ell_i$，其余四个每个样本（一行）有一个。
#
# 除了 `TripletMarginWithDistanceLoss`，这些类还接受两个旧参数 `size_average` 和 `reduce`。它们已经弃用（deprecated），只为兼容旧代码而保留：传了就发出一条警告，再换算成 `reduction`：`reduce=False` 得到 `"none"`；否则 `size_average=False` 得到 `"sum"`；其余得到 `"mean"`。新代码只写 `reduction`。下面先写好共用的函数，再对六个类逐一核对这条换算规则。`with_grads` 返回损失和它对每个输入的梯度（由 autograd 求出），这样一次 `assert_close` 就同时核对数值和梯度。

# %% [markdown] tags=["en"]
# ## 0. Margins, hinges and reduction
#
# Almost every loss of this lesson is built from the same part, the hinge:
#
# $$h(z) = \max(0, z)$$
#
# $z$ is usually "a margin $m$ minus how right the model is". Once the model is right by more than $m$, the loss and
# its gradient are both 0 and the sample stops pushing the model; short of that, the loss grows linearly with the
# shortfall. Cross-entropy is different: it keeps giving a little gradient even to samples already classified
# right.
#
# Each loss first computes a set of $\ell_i$, then reduces them as `reduction` says, as in lesson 05:
#
# $$L_{\text{none}} = (\ell_1, \dots, \ell_N), \qquad L_{\text{sum}} = \sum_{i=1}^{N} \ell_i, \qquad L_{\text{mean}} = \frac{1}{N} \sum_{i=1}^{N} \ell_i$$
#
# The default is `"mean"`. Note that $N$ counts the $\ell_i$: `MarginRankingLoss`, `SoftMarginLoss` and
# `HingeEmbeddingLoss` have one $\ell_i$ per element, the other four one per sample (row).
#
# All these classes but `TripletMarginWithDistanceLoss` also accept two old arguments, `size_average` and
# `reduce`. They are deprecated, kept only so that old code still runs: passing either gives a warning and is then
# turned into `reduction`: `reduce=False` gives `"none"`; otherwise `size_average=False` gives `"sum"`; anything
# else gives `"mean"`. New code writes `reduction` only. Below we first write the shared functions, then check this
# rule on the six classes. `with_grads` returns the loss and its gradient with respect to each input (computed by
# autograd), so that one `assert_close` checks values and gradients together.

# %%
REDUCTIONS = ("none", "mean", "sum")


def reduce(loss, reduction="mean"):
    """逐元素或逐样本损失的归约，与第 05 课相同 / reduce the losses, as in lesson 05."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / loss.numel()
    raise ValueError(f"未知的 reduction / unknown reduction: {reduction!r}")


def with_grads(loss_fn, *inputs):
    """损失，以及它对每个输入的梯度（autograd）/ the loss and its gradient w.r.t. each input."""
    inputs = [x.detach().clone().requires_grad_(True) for x in inputs]
    loss = loss_fn(*inputs)
    return loss.detach(), torch.autograd.grad(loss, inputs, grad_outputs=torch.ones_like(loss))


def report(name, options):
    """对照通过后打印的两行 / the two lines printed once a check passes."""
    print(f"✓ {name}：从零实现与 PyTorch 一致（数值与梯度）/ from scratch = PyTorch (values, grads)")
    print(f"  选项 / options: {options}")


# (size_average, reduce) → reduction
LEGACY = {(None, False): "none", (False, None): "sum", (True, None): "mean", (False, True): "sum"}
legacy_classes = (nn.MarginRankingLoss, nn.SoftMarginLoss, nn.MultiMarginLoss,
                  nn.HingeEmbeddingLoss, nn.CosineEmbeddingLoss, nn.TripletMarginLoss)
for loss_class in legacy_classes:
    for (size_average, reduce_flag), reduction in LEGACY.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loss_fn = loss_class(size_average=size_average, reduce=reduce_flag)
        assert loss_fn.reduction == reduction and caught[0].category is UserWarning
print(f"{caught[0].category.__name__}: {caught[0].message}")
print("✓ size_average / reduce：警告，再换算成 reduction / a warning, then turned into reduction "
      f"({len(legacy_classes)} 个类 / classes)")

# %% [markdown] tags=["zh"]
# ## 1. `MarginRankingLoss`：两个分数谁该更大
#
# ### 1.1 定义
#
# 输入是两组分数 $x^{(1)}, x^{(2)}$ 和目标 $y$，三者形状相同（通常是 `(N,)`）。$y_i = 1$ 表示 $x^{(1)}_i$ 应该比 $x^{(2)}_i$ 大，$y_i = -1$ 表示反过来：
#
# $$\ell_i = \max\left(0,\; -y_i \left(x^{(1)}_i - x^{(2)}_i\right) + m\right)$$
#
# $m$ 是 `margin`，默认为 0。$y_i (x^{(1)}_i - x^{(2)}_i)$ 是“排对的程度”：不小于 $m$ 时损失为 0，否则差多少罚多少。梯度只有两种：不罚时是 0；罚时对 $x^{(1)}_i$ 是 $-y_i$、对 $x^{(2)}_i$ 是 $+y_i$，两个分数被朝相反方向推开。
#
# 与 PyTorch 的细节：默认 `margin=0`，只要排对就不再推，哪怕只领先一点点；想留出余地，就设一个正的 `margin`。PyTorch 不检查 $y$ 是不是 $\pm 1$，只是把它乘进去。所以直接用 0/1 标签不会报错，但 $y = 0$ 的一对损失恒为 $m$、梯度为 0，什么也学不到：先换成 $2y - 1$。

# %% [markdown] tags=["en"]
# ## 1. `MarginRankingLoss`: which of two scores should be larger
#
# ### 1.1 Definition
#
# The inputs are two sets of scores $x^{(1)}, x^{(2)}$ and a target $y$, all of the same shape (usually `(N,)`).
# $y_i = 1$ says $x^{(1)}_i$ should be larger than $x^{(2)}_i$; $y_i = -1$ says the opposite:
#
# $$\ell_i = \max\left(0,\; -y_i \left(x^{(1)}_i - x^{(2)}_i\right) + m\right)$$
#
# $m$ is `margin`, 0 by default. $y_i (x^{(1)}_i - x^{(2)}_i)$ is "how right the ranking is": at least $m$ and the
# loss is 0; otherwise the loss is the shortfall. The gradient has only two values: 0 where there is no loss;
# elsewhere $-y_i$ for $x^{(1)}_i$ and $+y_i$ for $x^{(2)}_i$, pushing the two scores apart.
#
# PyTorch's details: with the default `margin=0` a pair stops being pushed as soon as it is ranked right, even by
# a hair; for some room, set a positive `margin`. PyTorch does not check that $y$ is $\pm 1$; it just multiplies by
# it. So 0/1 labels raise no error, but a pair with $y = 0$ always has loss $m$ and gradient 0 and teaches nothing:
# convert to $2y - 1$ first.

# %%
diff = torch.linspace(-2, 2, 401)  # x1 - x2
fig, ax = plt.subplots(figsize=(6, 3.2))
for target, style in ((1.0, "-"), (-1.0, "--")):
    for margin in (0.0, 0.5):
        loss_fn = nn.MarginRankingLoss(margin=margin, reduction="none")
        loss = loss_fn(diff, torch.zeros_like(diff), torch.full_like(diff, target))
        ax.plot(diff, loss, style, label=f"y = {target:+.0f}, margin = {margin}")
ax.set_xlabel(fc.label("分数差 x1 - x2", "score difference x1 - x2"))
ax.set_ylabel(fc.label("损失 ℓ", "loss ℓ"))
ax.set_title("MarginRankingLoss")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()


# %%
def margin_ranking(x1, x2, y, margin=0.0, reduction="mean"):
    return reduce((-y * (x1 - x2) + margin).clamp_min(0), reduction)


torch.manual_seed(0)
x1, x2 = torch.randn(32), torch.randn(32)
y = torch.randint(0, 2, (32,)) * 2.0 - 1  # ±1
for margin, reduction in itertools.product((0.0, 0.5, 2.0), REDUCTIONS):
    loss_fn = nn.MarginRankingLoss(margin=margin, reduction=reduction)
    torch.testing.assert_close(
        with_grads(lambda a, b: margin_ranking(a, b, y, margin, reduction), x1, x2),
        with_grads(lambda a, b: loss_fn(a, b, y), x1, x2))
report("MarginRankingLoss", "margin 0, 0.5, 2; reduction none, mean, sum")

# 0/1 标签：y = 0 的一对损失恒为 margin，梯度为 0 / 0/1 labels: y = 0 gives loss m, gradient 0
zeros = torch.zeros(32)
loss, (g1, g2) = with_grads(lambda a, b: nn.MarginRankingLoss(0.5, reduction="none")(a, b, zeros),
                            x1, x2)
assert (loss == 0.5).all() and (g1 == 0).all() and (g2 == 0).all()
print("y = 0: ℓ = margin, 梯度 / gradient = 0 → 用 2y - 1 / use 2y - 1")

# %% [markdown] tags=["zh"]
# ### 1.2 何时使用
#
# 只知道“谁比谁好”、不知道具体分数时：搜索结果的相关性、推荐、两张图哪张更符合某个描述。模型给每个候选打一个分，损失只看成对的分数差，所以分数的绝对大小不重要。`margin=0` 时分数可以全都挤在一起；实际中常用一个正的 `margin`。下一节的 `SoftMarginLoss` 用在分数差上，就是它的平滑版本。

# %% [markdown] tags=["en"]
# ### 1.2 When to use
#
# When you only know "which is better", not a score: the relevance of search results, recommendation, which of two
# images fits a description better. The model gives each candidate a score and the loss sees only the difference
# of a pair, so the absolute size of the scores does not matter. With `margin=0` the scores may all crowd
# together; in practice a positive `margin` is common. The next section's `SoftMarginLoss`, applied to the score
# difference, is its smooth version.

# %% [markdown] tags=["zh"]
# ## 2. `SoftMarginLoss`：平滑的合页
#
# ### 2.1 定义
#
# 输入 $x$ 和目标 $y \in \{1, -1\}$ 形状相同，对每个元素：
#
# $$\ell_i = \log\left(1 + e^{-y_i x_i}\right)$$
#
# `"mean"` 除以元素总数。$y_i x_i$ 是“分对的程度”：远大于 0 时损失趋于 0，远小于 0 时损失约为 $-y_i x_i$，直线增长。所以它是合页 $\max(0, 1 - y x)$ 的平滑版本：没有尖角，也永远不会正好等于 0。它就是把 0/1 标签换成 $\pm 1$ 的逻辑回归（logistic regression）损失，与第 06 课的 `BCEWithLogitsLoss`（目标取 $(y + 1)/2$）逐元素相等。
#
# 与 PyTorch 的细节：写这一课时（torch 2.14），PyTorch 按字面计算 $\log(1 + e^{-yx})$，没有用第 06 课的稳定写法 $\operatorname{softplus}(-yx)$。float32 下 $-y x$ 超过约 88.7 时 $e^{-yx}$ 上溢为 `inf`，损失成了 `inf`，梯度成了 `nan`；`BCEWithLogitsLoss` 在同样的输入上给出有限的损失和梯度。下面的单元格把你安装的版本的结果打印出来。

# %% [markdown] tags=["en"]
# ## 2. `SoftMarginLoss`: a smooth hinge
#
# ### 2.1 Definition
#
# Input $x$ and target $y \in \{1, -1\}$ have the same shape; for each element:
#
# $$\ell_i = \log\left(1 + e^{-y_i x_i}\right)$$
#
# `"mean"` divides by the number of elements. $y_i x_i$ is "how right": large, and the loss goes to 0; very
# negative, and the loss is about $-y_i x_i$, growing linearly. So it is a smooth version of the hinge
# $\max(0, 1 - y x)$: no corner, and never exactly 0. It is the loss of logistic regression with 0/1 labels written
# as $\pm 1$, equal element by element to lesson 06's `BCEWithLogitsLoss` with target $(y + 1)/2$.
#
# PyTorch's details: when this lesson was written (torch 2.14), PyTorch computed $\log(1 + e^{-yx})$ literally,
# not with lesson 06's stable form $\operatorname{softplus}(-yx)$. In float32, once $-y x$ exceeds about 88.7,
# $e^{-yx}$ overflows to `inf`, the loss becomes `inf` and the gradient `nan`; `BCEWithLogitsLoss` gives a finite
# loss and gradient on the same input. The cell below prints what your installed version does.

# %%
margins = torch.linspace(-3, 3, 601)  # y·x
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(margins, nn.SoftMarginLoss(reduction="none")(margins, torch.ones_like(margins)),
        label="SoftMarginLoss log(1 + exp(-yx))")
ax.plot(margins, (1 - margins).clamp_min(0), "--", label=fc.label("合页 max(0, 1 - yx)",
                                                                  "hinge max(0, 1 - yx)"))
ax.plot(margins, (margins <= 0).float(), ":", label=fc.label("0-1 损失", "0-1 loss"))
ax.set_xlabel(fc.label("分对的程度 y·x", "how right y·x"))
ax.set_ylabel(fc.label("损失 ℓ", "loss ℓ"))
ax.set_title("SoftMarginLoss")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()


# %%
def soft_margin(x, y, reduction="mean"):
    return reduce(torch.log1p(torch.exp(-y * x)), reduction)  # 与 PyTorch 同样的写法 / as PyTorch


torch.manual_seed(0)
x = 3 * torch.randn(8, 5)
y = torch.randint(0, 2, (8, 5)) * 2.0 - 1
for reduction in REDUCTIONS:
    loss_fn = nn.SoftMarginLoss(reduction=reduction)
    torch.testing.assert_close(with_grads(lambda v: soft_margin(v, y, reduction), x),
                               with_grads(lambda v: loss_fn(v, y), x))
    # 等于目标为 (y + 1) / 2 的 BCEWithLogitsLoss / equals BCEWithLogitsLoss with target (y + 1) / 2
    torch.testing.assert_close(
        with_grads(lambda v: loss_fn(v, y), x),
        with_grads(lambda v: nn.BCEWithLogitsLoss(reduction=reduction)(v, (y + 1) / 2), x))
report("SoftMarginLoss", "reduction none, mean, sum")
print("✓ SoftMarginLoss(x, y) = BCEWithLogitsLoss(x, (y + 1) / 2)")

# 远小于 0 的 y·x / very negative y·x
z = torch.tensor([-100.0, -50.0, 0.0, 50.0])
ones = torch.ones(4)
soft, (soft_grad,) = with_grads(lambda v: nn.SoftMarginLoss(reduction="none")(v, ones), z)
bce, (bce_grad,) = with_grads(lambda v: nn.BCEWithLogitsLoss(reduction="none")(v, ones), z)
torch.testing.assert_close((soft[1:], soft_grad[1:]), (bce[1:], bce_grad[1:]))
print(f"y·x = -100: BCEWithLogitsLoss ℓ = {bce[0]:.1f}, dℓ/dx = {bce_grad[0]:.1f}")
if torch.isinf(soft[0]):
    print(f"            SoftMarginLoss    ℓ = {soft[0]}, dℓ/dx = {soft_grad[0]}   "
          "(上溢 / overflow)")
else:
    print("            SoftMarginLoss 在这个版本里是稳定的 / is stable in this version")

# %% [markdown] tags=["zh"]
# ### 2.2 何时使用
#
# - 二分类、标签是 $\pm 1$ 时可以用它；但 `BCEWithLogitsLoss` 数值稳定、直接收 0/1 标签、还有 `pos_weight`，实际中用它。
# - 用在两个分数的差上，$x = s_1 - s_2$，它就是 `MarginRankingLoss` 的平滑版本：$\ell = \log(1 + e^{-y (s_1 - s_2)})$ 是 RankNet 和 RLHF 奖励模型用的 Bradley–Terry 损失（同样建议用 `BCEWithLogitsLoss` 来算）。
# - 和合页相比，它对已经分对的样本也有一点梯度（上图的曲线在右边不为 0），所以会一直把分数往外推。

# %% [markdown] tags=["en"]
# ### 2.2 When to use
#
# - Binary classification with $\pm 1$ labels can use it; but `BCEWithLogitsLoss` is numerically stable, takes 0/1
#   labels directly and has `pos_weight`, so in practice that is what people use.
# - Applied to the difference of two scores, $x = s_1 - s_2$, it is the smooth version of `MarginRankingLoss`:
#   $\ell = \log(1 + e^{-y (s_1 - s_2)})$ is the Bradley–Terry loss of RankNet and of RLHF reward models (again
#   best computed with `BCEWithLogitsLoss`).
# - Unlike the hinge, it still has a little gradient for samples already right (the curve above is not 0 on the
#   right), so it keeps pushing the scores outwards.

# %% [markdown] tags=["zh"]
# ## 3. `MultiMarginLoss`：多类合页损失
#
# ### 3.1 定义
#
# 输入是 logits $x$，形状 `(N, C)`；目标是类别索引 $y$，形状 `(N,)`，和 `CrossEntropyLoss` 一样。正确类别的分数 $x_{i, y_i}$ 要比其他每个类别的分数至少高出间隔 $m$，差多少罚多少：
#
# $$\ell_i = \frac{1}{C} \sum_{j \ne y_i} w_{y_i} \max\left(0,\; m - x_{i, y_i} + x_{i, j}\right)^{p}$$
#
# - `margin` 是 $m$（默认 1）；`p` 只能是 1 或 2（默认 1），$p = 2$ 是平方合页（squared hinge）；
# - `weight` 是长度为 $C$ 的一维张量，按**目标类别** $y_i$ 取值：一个样本的所有项都乘同一个 $w_{y_i}$；
# - `"mean"` 除以样本数 $N$，不是权重之和（这和 `CrossEntropyLoss` 的 `weight` 不同）。
#
# 与教材的不同：这是多类支持向量机（multi-class SVM，Weston–Watkins 形式）的损失，但 CS231n 等教材写的是 $\sum_{j \ne y_i}$，不除以任何数。PyTorch 多除了一个 $C$，而且是类别数 $C$，不是求和的项数 $C - 1$。所以 PyTorch 的值是教材的 $1/C$，照搬教材里的学习率或正则化系数时要算上这个因子。

# %% [markdown] tags=["en"]
# ## 3. `MultiMarginLoss`: the multi-class hinge loss
#
# ### 3.1 Definition
#
# The input is logits $x$ of shape `(N, C)`; the target is class indices $y$ of shape `(N,)`, as for
# `CrossEntropyLoss`. The right class's score $x_{i, y_i}$ should beat every other class's score by at least the
# margin $m$, and the shortfall is penalized:
#
# $$\ell_i = \frac{1}{C} \sum_{j \ne y_i} w_{y_i} \max\left(0,\; m - x_{i, y_i} + x_{i, j}\right)^{p}$$
#
# - `margin` is $m$ (1 by default); `p` can only be 1 or 2 (1 by default); $p = 2$ is the squared hinge;
# - `weight` is a 1-D tensor of length $C$, taken by the **target class** $y_i$: every term of a sample is
#   multiplied by the same $w_{y_i}$;
# - `"mean"` divides by the number of samples $N$, not by the sum of the weights (unlike the `weight` of
#   `CrossEntropyLoss`).
#
# Where it differs from the textbook: this is the loss of the multi-class SVM (the Weston–Watkins form), but
# textbooks such as CS231n write $\sum_{j \ne y_i}$ and divide by nothing. PyTorch divides by $C$ as well, and by
# the number of classes $C$, not by the $C - 1$ terms of the sum. So PyTorch's value is $1/C$ of the textbook's;
# count that factor when you copy a learning rate or a regularization strength from a textbook.

# %%
gap = torch.linspace(-2, 3, 501)  # x_y - x_j
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(gap, (1 - gap).clamp_min(0), label="p = 1")
ax.plot(gap, (1 - gap).clamp_min(0) ** 2, "--", label="p = 2")
ax.plot(gap, F.softplus(-gap), ":", label=fc.label("交叉熵（两类）", "cross-entropy (2 classes)"))
ax.axvline(1, color="gray", lw=0.8)
ax.set_ylim(0, 4)
ax.set_xlabel(fc.label("领先 x_y - x_j（间隔 m = 1）", "lead x_y - x_j (margin m = 1)"))
ax.set_ylabel(fc.label("一项的损失", "loss of one term"))
ax.set_title("MultiMarginLoss")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()


# %%
def multi_margin(x, y, p=1, margin=1.0, weight=None, reduction="mean"):
    n, c = x.shape
    x_y = x.gather(1, y.unsqueeze(1))  # 正确类别的分数 / the right class's score, (N, 1)
    terms = (margin - x_y + x).clamp_min(0) ** p  # (N, C)
    if weight is not None:
        terms = terms * weight[y].unsqueeze(1)  # 按目标类别 / by the target class
    terms = terms.scatter(1, y.unsqueeze(1), 0.0)  # 去掉 j = y 一项 / drop the j = y term
    return reduce(terms.sum(1) / c, reduction)  # 除以 C，不是 C - 1 / divide by C, not C - 1


torch.manual_seed(0)
x, y = 2 * torch.randn(16, 5), torch.randint(0, 5, (16,))
w = torch.rand(5) + 0.5
for p, margin, weight, reduction in itertools.product((1, 2), (1.0, 0.3), (None, w), REDUCTIONS):
    loss_fn = nn.MultiMarginLoss(p=p, margin=margin, weight=weight, reduction=reduction)
    torch.testing.assert_close(
        with_grads(lambda v: multi_margin(v, y, p, margin, weight, reduction), x),
        with_grads(lambda v: loss_fn(v, y), x))
report("MultiMarginLoss", "p 1, 2; margin 1, 0.3; weight None, w; reduction none, mean, sum")

# 教材的多类 SVM 损失：j ≠ y 求和，不除 / the textbook's multi-class SVM loss: sum over j ≠ y
textbook = (1 - x.gather(1, y.unsqueeze(1)) + x).clamp_min(0).sum(1) - 1  # j = y 一项恰为 1
torch.testing.assert_close(nn.MultiMarginLoss(reduction="none")(x, y), textbook / 5)
print("✓ MultiMarginLoss = 教材的多类 SVM 损失 / the textbook multi-class SVM loss ÷ C (C = 5)")

# %% [markdown] tags=["zh"]
# ### 3.2 何时使用
#
# 想要多类 SVM 的行为时：一个样本一旦以间隔 $m$ 分对，它的损失和梯度就都是 0，训练只被分错或分得不够稳的样本推动（上图实线在领先超过 1 之后为 0，交叉熵一直不为 0）。它不给出概率，所以今天的分类网络几乎都用 `CrossEntropyLoss`；`MultiMarginLoss` 主要用于重现 SVM 风格的模型，或者作为对比。

# %% [markdown] tags=["en"]
# ### 3.2 When to use
#
# When you want the behaviour of a multi-class SVM: once a sample is right by the margin $m$, its loss and gradient
# are 0, and training is driven only by the samples that are wrong or not right enough (in the plot the solid line
# is 0 beyond a lead of 1, while cross-entropy never is). It gives no probabilities, so today's classification
# networks nearly all use `CrossEntropyLoss`; `MultiMarginLoss` serves to reproduce SVM-style models or as a
# comparison.

# %% [markdown] tags=["zh"]
# ## 4. `HingeEmbeddingLoss`：相似的拉近，不相似的推远
#
# ### 4.1 定义
#
# 输入 $x$ 通常是一对样本的距离（例如两个嵌入之差的 L1 或 L2 范数），目标 $y$ 说这一对相似（$1$）还是不相似（$-1$），两者形状相同：
#
# $$\ell_i = \begin{cases} x_i, & y_i = 1 \\ \max(0,\; m - x_i), & y_i = -1 \end{cases}$$
#
# 相似的一对，距离本身就是损失，被一直往 0 拉；不相似的一对，距离小于间隔 $m$（`margin`，默认 1）时才罚，推到 $m$ 以外就不再管。`"mean"` 除以元素总数。
#
# 与论文和 PyTorch 实现的不同：
#
# - 它是对比损失（contrastive loss，Hadsell、Chopra、LeCun 2006）的不平方版本。论文用的是 $\tfrac{1}{2} d^2$ 和 $\tfrac{1}{2}\max(0, m - d)^2$：越接近目标，拉力越小；这里的拉力始终是 1。下图把两者画在一起。
# - 目标必须是 $1$ 或 $-1$。PyTorch 实际计算的是 $[y_i \ne -1]\, x_i + [y_i \ne 1] \max(0, m - x_i)$：沿用 0/1 标签时，$y = 0$ 的一对会**同时**得到两项，既被拉近又被推远，而且不报错。
# - PyTorch 不检查 $x \ge 0$：$y = 1$ 时损失就是 $x$，负的 $x$ 给出负的损失，模型可以把它一直推向 $-\infty$。所以 $x$ 应该是一个距离。

# %% [markdown] tags=["en"]
# ## 4. `HingeEmbeddingLoss`: pull similar pairs in, push dissimilar ones out
#
# ### 4.1 Definition
#
# The input $x$ is usually the distance of a pair (for example the L1 or L2 norm of the difference of two
# embeddings); the target $y$ says whether the pair is similar ($1$) or dissimilar ($-1$); both have the same
# shape:
#
# $$\ell_i = \begin{cases} x_i, & y_i = 1 \\ \max(0,\; m - x_i), & y_i = -1 \end{cases}$$
#
# For a similar pair the distance itself is the loss, always pulled towards 0; a dissimilar pair is penalized only
# while its distance is below the margin $m$ (`margin`, 1 by default), and left alone beyond it. `"mean"` divides
# by the number of elements.
#
# Where it differs from the paper and what PyTorch does:
#
# - It is the unsquared version of the contrastive loss (Hadsell, Chopra and LeCun, 2006). The paper uses
#   $\tfrac{1}{2} d^2$ and $\tfrac{1}{2}\max(0, m - d)^2$: the closer to the goal, the weaker the pull; here the
#   pull is always 1. The plot shows both.
# - The target must be $1$ or $-1$. What PyTorch computes is $[y_i \ne -1]\, x_i + [y_i \ne 1] \max(0, m - x_i)$:
#   with 0/1 labels, a pair with $y = 0$ gets **both** terms, pulled in and pushed out at once, with no error.
# - PyTorch does not check $x \ge 0$: for $y = 1$ the loss is $x$ itself, a negative $x$ gives a negative loss,
#   and the model can push it towards $-\infty$. So $x$ should be a distance.

# %%
d = torch.linspace(0, 2, 401)  # 距离 / distance
fig, ax = plt.subplots(figsize=(6, 3.2))
for target, name in ((1.0, fc.label("相似 y = 1", "similar y = 1")),
                     (-1.0, fc.label("不相似 y = -1", "dissimilar y = -1"))):
    ax.plot(d, nn.HingeEmbeddingLoss(reduction="none")(d, torch.full_like(d, target)),
            label=f"HingeEmbeddingLoss, {name}")
ax.plot(d, 0.5 * d**2, "--", color="C0", label=fc.label("对比损失（论文）", "contrastive (paper)"))
ax.plot(d, 0.5 * (1 - d).clamp_min(0) ** 2, "--", color="C1")
ax.set_xlabel(fc.label("一对的距离 x（间隔 m = 1）", "distance of the pair x (margin m = 1)"))
ax.set_ylabel(fc.label("损失 ℓ", "loss ℓ"))
ax.set_title("HingeEmbeddingLoss")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()


# %%
def hinge_embedding(x, y, margin=1.0, reduction="mean"):
    return reduce(torch.where(y == 1, x, (margin - x).clamp_min(0)), reduction)


torch.manual_seed(0)
x = 2 * torch.rand(8, 4)  # 距离，非负 / distances, non-negative
y = torch.randint(0, 2, (8, 4)) * 2.0 - 1
for margin, reduction in itertools.product((1.0, 0.5, 3.0), REDUCTIONS):
    loss_fn = nn.HingeEmbeddingLoss(margin=margin, reduction=reduction)
    torch.testing.assert_close(with_grads(lambda v: hinge_embedding(v, y, margin, reduction), x),
                               with_grads(lambda v: loss_fn(v, y), x))
report("HingeEmbeddingLoss", "margin 1, 0.5, 3; reduction none, mean, sum")

# 0/1 标签：y = 0 的元素两项都算 / 0/1 labels: both terms where y = 0
both = nn.HingeEmbeddingLoss(reduction="none")(x, torch.zeros_like(x))
torch.testing.assert_close(both, x + (1 - x).clamp_min(0))
print("y = 0: ℓ = x + max(0, m - x)，两项都算 / both terms → 目标要用 ±1 / targets must be ±1")

# %% [markdown] tags=["zh"]
# ### 4.2 何时使用
#
# 数据以“成对”的形式给出、只知道每一对相似还是不相似时，例如孪生网络（siamese network）：同一个编码器分别处理两个输入，取两个嵌入的距离（`F.pairwise_distance`）作为 $x$。想要论文里平方形式的对比损失，就自己写两行：$\tfrac{1}{2} d^2$ 和 $\tfrac{1}{2}\max(0, m - d)^2$。相似与否不是绝对的、只有相对关系时（“a 和 p 比 a 和 n 更像”），用第 6 节的三元组损失。

# %% [markdown] tags=["en"]
# ### 4.2 When to use
#
# When the data come as pairs and you only know whether each pair is similar or not, as in a siamese network: the
# same encoder processes both inputs, and the distance of the two embeddings (`F.pairwise_distance`) is $x$. For
# the paper's squared contrastive loss, write its two lines yourself, $\tfrac{1}{2} d^2$ and
# $\tfrac{1}{2}\max(0, m - d)^2$. When similarity is only relative ("a is more like p than like n"), use the
# triplet loss of section 6.

# %% [markdown] tags=["zh"]
# ## 5. `CosineEmbeddingLoss`：只看方向
#
# ### 5.1 定义
#
# 输入是两组向量 $x^{(1)}, x^{(2)}$，形状 `(N, D)`（或单个向量 `(D,)`）；目标 $y$ 形状 `(N,)`，取 $1$（应该同向）或 $-1$（不应该同向）。先算余弦相似度（cosine similarity），再套合页：
#
# $$\cos_i = \frac{\sum_k x^{(1)}_{ik} x^{(2)}_{ik}}{\sqrt{\left(\sum_k (x^{(1)}_{ik})^2 + \epsilon\right)\left(\sum_k (x^{(2)}_{ik})^2 + \epsilon\right)}}, \qquad \ell_i = \begin{cases} 1 - \cos_i, & y_i = 1 \\ \max(0,\; \cos_i - m), & y_i = -1 \end{cases}$$
#
# $\epsilon = 10^{-12}$ 是 PyTorch 源码里写死的常数，不能设置。`margin` $m$ 默认为 0，取值在 $-1$ 到 $1$ 之间（文档建议 0 到 0.5）：不相似的一对，余弦降到 $m$ 以下就不再罚。`"mean"` 除以样本数 $N$。
#
# 与别处的不同：
#
# - $\epsilon$ 加在每个平方范数里面，所以很短的向量算出的余弦会偏小。两个相同的、长度为 $10^{-7}$ 的向量，`F.cosine_similarity` 给出 1，这个损失却算出余弦约 0.01、损失约 0.99。
# - 目标既不是 $1$ 也不是 $-1$ 的样本（例如 0）损失为 0，但仍然算在 `"mean"` 的 $N$ 里。

# %% [markdown] tags=["en"]
# ## 5. `CosineEmbeddingLoss`: direction only
#
# ### 5.1 Definition
#
# The inputs are two sets of vectors $x^{(1)}, x^{(2)}$ of shape `(N, D)` (or single vectors `(D,)`); the target
# $y$ has shape `(N,)` and is $1$ (should point the same way) or $-1$ (should not). First the cosine similarity,
# then a hinge:
#
# $$\cos_i = \frac{\sum_k x^{(1)}_{ik} x^{(2)}_{ik}}{\sqrt{\left(\sum_k (x^{(1)}_{ik})^2 + \epsilon\right)\left(\sum_k (x^{(2)}_{ik})^2 + \epsilon\right)}}, \qquad \ell_i = \begin{cases} 1 - \cos_i, & y_i = 1 \\ \max(0,\; \cos_i - m), & y_i = -1 \end{cases}$$
#
# $\epsilon = 10^{-12}$ is a constant fixed in PyTorch's source; it cannot be set. `margin` $m$ is 0 by default and
# lies between $-1$ and $1$ (the documentation suggests 0 to 0.5): a dissimilar pair is no longer penalized once
# its cosine is below $m$. `"mean"` divides by the number of samples $N$.
#
# Where it differs from elsewhere:
#
# - $\epsilon$ sits inside each squared norm, so very short vectors get too small a cosine. For two equal vectors of
#   length $10^{-7}$, `F.cosine_similarity` gives 1, while this loss computes a cosine of about 0.01 and a loss of
#   about 0.99.
# - A sample whose target is neither $1$ nor $-1$ (0, say) has loss 0 but still counts in the $N$ of `"mean"`.

# %%
angle = torch.linspace(0, 180, 361)  # 两个向量的夹角（度） / the angle between the vectors (degrees)
cos = torch.cos(torch.deg2rad(angle))
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(angle, 1 - cos, label=fc.label("相似 y = 1: 1 - cos", "similar y = 1: 1 - cos"))
for margin, style in ((0.0, "--"), (0.5, ":")):
    ax.plot(angle, (cos - margin).clamp_min(0), style,
            label=fc.label(f"不相似 y = -1, m = {margin}", f"dissimilar y = -1, m = {margin}"))
ax.set_xlabel(fc.label("夹角（度）", "angle (degrees)"))
ax.set_ylabel(fc.label("损失 ℓ", "loss ℓ"))
ax.set_xticks(range(0, 181, 30))
ax.set_title("CosineEmbeddingLoss")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()


# %%
def cosine_embedding(x1, x2, y, margin=0.0, reduction="mean", eps=1e-12):
    dot = (x1 * x2).sum(-1)
    cos = dot / ((x1.pow(2).sum(-1) + eps) * (x2.pow(2).sum(-1) + eps)).sqrt()
    loss = torch.where(y == 1, 1 - cos, torch.where(y == -1, (cos - margin).clamp_min(0), 0.0))
    return reduce(loss, reduction)


torch.manual_seed(0)
x1, x2 = torch.randn(16, 6), torch.randn(16, 6)
y = torch.tensor([1.0, -1.0, 0.0, 1.0]).repeat(4)  # 含目标 0 / includes target 0
for margin, reduction in itertools.product((0.0, 0.5, -0.3), REDUCTIONS):
    loss_fn = nn.CosineEmbeddingLoss(margin=margin, reduction=reduction)
    torch.testing.assert_close(
        with_grads(lambda a, b: cosine_embedding(a, b, y, margin, reduction), x1, x2),
        with_grads(lambda a, b: loss_fn(a, b, y), x1, x2))
report("CosineEmbeddingLoss", "margin 0, 0.5, -0.3; reduction none, mean, sum; targets 1, -1, 0")

# ε 在平方范数里面：很短的向量 / ε inside the squared norms: a very short vector
tiny = torch.tensor([[1e-7, 0.0]])
loss = nn.CosineEmbeddingLoss()(tiny, tiny, torch.ones(1))
torch.testing.assert_close(loss, cosine_embedding(tiny, tiny, torch.ones(1)))
print(f"两个相同的短向量 / two equal short vectors: F.cosine_similarity = "
      f"{F.cosine_similarity(tiny, tiny).item():.2f}, CosineEmbeddingLoss = {loss.item():.2f}")

# %% [markdown] tags=["zh"]
# ### 5.2 何时使用
#
# 只有方向有意义、长度没有意义时：文本和图像的嵌入常常先归一化再比较，检索时也用余弦相似度排序。它和 `HingeEmbeddingLoss` 一样吃成对的数据，但把距离换成了 $1 - \cos$，值域固定在 0 到 2 之间，所以 `margin` 不必随嵌入的尺度调整。注意它把向量的长度完全丢掉了：如果下游要用欧氏距离，就用 `HingeEmbeddingLoss` 或三元组损失。

# %% [markdown] tags=["en"]
# ### 5.2 When to use
#
# When only the direction means something, not the length: embeddings of text and images are often normalized
# before they are compared, and retrieval ranks by cosine similarity. Like `HingeEmbeddingLoss` it takes pairs, but
# its distance is $1 - \cos$, which always lies between 0 and 2, so `margin` need not follow the scale of the
# embedding. Note that it throws the length of the vectors away entirely: if what comes next uses Euclidean
# distances, use `HingeEmbeddingLoss` or a triplet loss.

# %% [markdown] tags=["zh"]
# ## 6. `TripletMarginLoss`：离同类比离异类近
#
# ### 6.1 定义
#
# 一个三元组（triplet）由三个嵌入组成：锚点（anchor）$a$、与它同类的正样本（positive）$p$、与它不同类的负样本（negative）$n$，形状都是 `(N, D)`（或 `(D,)`）。我们希望锚点到正样本的距离比到负样本的距离至少小一个间隔 $m$：
#
# $$d(u, v) = \lVert u - v + \epsilon \rVert_p = \Big(\sum_k |u_k - v_k + \epsilon|^p\Big)^{1/p}, \qquad \ell_i = \max\left(0,\; d(a_i, p_i) - d(a_i, n_i) + m\right)$$
#
# 选项：`margin` $m$（默认 1，必须大于 0）、`p`（范数的阶，默认 2）、`eps` $\epsilon$（默认 $10^{-6}$）、`swap`（默认 `False`）和 `reduction`（`"mean"` 除以三元组数 $N$）。`swap=True` 时用“距离交换”（distance swap，Balntas 等 2016）：负样本离正样本可能比离锚点还近，这时改用那个更近的距离，让损失看到更难的一边：
#
# $$d(a_i, n_i) \;\leftarrow\; \min\big(d(a_i, n_i),\; d(p_i, n_i)\big)$$
#
# 与论文的不同：
#
# - FaceNet（Schroff 等 2015）的三元组损失用**平方**欧氏距离，$\lVert a - p\rVert_2^2 - \lVert a - n\rVert_2^2 + \alpha$；PyTorch 用不平方的 $p$-范数。两者的尺度不同，论文的 $\alpha = 0.2$ 不能直接当 `margin` 用。要论文的版本，用第 7 节的 `TripletMarginWithDistanceLoss`。
# - $\epsilon$ 加在差的每个分量上，不是加在距离上（`F.pairwise_distance` 就这样算）。它让 $u = v$ 处的梯度有定义（$\lVert\cdot\rVert_2$ 在 0 处不可导），代价是 $d(a, a) = \epsilon D^{1/p}$，不是 0。

# %% [markdown] tags=["en"]
# ## 6. `TripletMarginLoss`: nearer its own class than another
#
# ### 6.1 Definition
#
# A triplet is three embeddings: an anchor $a$, a positive $p$ of the same class and a negative $n$ of another
# class, each of shape `(N, D)` (or `(D,)`). We want the anchor to be nearer the positive than the negative by at
# least a margin $m$:
#
# $$d(u, v) = \lVert u - v + \epsilon \rVert_p = \Big(\sum_k |u_k - v_k + \epsilon|^p\Big)^{1/p}, \qquad \ell_i = \max\left(0,\; d(a_i, p_i) - d(a_i, n_i) + m\right)$$
#
# Options: `margin` $m$ (1 by default, must be above 0), `p` (the order of the norm, 2 by default), `eps`
# $\epsilon$ ($10^{-6}$ by default), `swap` (`False` by default) and `reduction` (`"mean"` divides by the number of
# triplets $N$). `swap=True` applies the "distance swap" (Balntas et al., 2016): the negative may be nearer the
# positive than the anchor, and then that nearer distance is used, so the loss sees the harder side:
#
# $$d(a_i, n_i) \;\leftarrow\; \min\big(d(a_i, n_i),\; d(p_i, n_i)\big)$$
#
# Where it differs from the paper:
#
# - FaceNet's triplet loss (Schroff et al., 2015) uses **squared** Euclidean distances,
#   $\lVert a - p\rVert_2^2 - \lVert a - n\rVert_2^2 + \alpha$; PyTorch uses the unsquared $p$-norm. Their scales
#   differ, and the paper's $\alpha = 0.2$ cannot be used as `margin` as it is. For the paper's version, use
#   `TripletMarginWithDistanceLoss` (section 7).
# - $\epsilon$ is added to every component of the difference, not to the distance (that is how
#   `F.pairwise_distance` computes it). It makes the gradient at $u = v$ defined ($\lVert\cdot\rVert_2$ has no
#   derivative at 0), at the price of $d(a, a) = \epsilon D^{1/p}$ instead of 0.

# %%
# 锚点在原点，正样本在 (1, 0)；损失随负样本的位置变化 / anchor at 0, positive at (1, 0)
grid = torch.linspace(-3, 3, 121)
neg_xy = torch.stack(torch.meshgrid(grid, grid, indexing="xy"), dim=-1).reshape(-1, 2)
anchor_xy = torch.zeros_like(neg_xy)
positive_xy = torch.tensor([1.0, 0.0]).expand_as(neg_xy)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
for ax, swap in zip(axes, (False, True)):
    loss = nn.TripletMarginLoss(margin=1.0, swap=swap, reduction="none")(
        anchor_xy, positive_xy, neg_xy)
    image = ax.imshow(loss.reshape(121, 121), origin="lower", extent=(-3, 3, -3, 3),
                      cmap="viridis", vmin=0, vmax=2)
    ax.plot(0, 0, "wo")
    ax.plot(1, 0, "w^")
    ax.set_title(f"swap={swap}")
    ax.set_xlabel(fc.label("负样本的位置", "position of the negative"))
fig.colorbar(image, ax=axes, label=fc.label("损失 ℓ", "loss ℓ"))
fig.suptitle(fc.label("锚点 ●，正样本 ▲，间隔 m = 1", "anchor ●, positive ▲, margin m = 1"))
plt.show()

# %%
def distance(u, v, p=2.0, eps=1e-6):
    """与 F.pairwise_distance 相同：eps 加在差上 / as F.pairwise_distance: eps added to u - v."""
    return ((u - v + eps).abs() ** p).sum(-1) ** (1 / p)


def triplet(a, pos, neg, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
    d_pos, d_neg = distance(a, pos, p, eps), distance(a, neg, p, eps)
    if swap:
        d_neg = torch.minimum(d_neg, distance(pos, neg, p, eps))  # 距离交换 / distance swap
    return reduce((d_pos - d_neg + margin).clamp_min(0), reduction)


torch.manual_seed(0)
a = torch.randn(16, 4)
pos, neg = a + 0.7 * torch.randn(16, 4), a + torch.randn(16, 4)
options = itertools.product((1.0, 0.3), (2.0, 1.0, 3.0), (1e-6, 0.1), (False, True), REDUCTIONS)
for margin, p, eps, swap, reduction in options:
    kw = dict(margin=margin, p=p, eps=eps, swap=swap, reduction=reduction)
    torch.testing.assert_close(with_grads(lambda *t: triplet(*t, **kw), a, pos, neg),
                               with_grads(nn.TripletMarginLoss(**kw), a, pos, neg))
report("TripletMarginLoss",
       "margin 1, 0.3; p 2, 1, 3; eps 1e-6, 0.1; swap; reduction none, mean, sum")

no_swap = nn.TripletMarginLoss(reduction="none")(a, pos, neg)
with_swap = nn.TripletMarginLoss(swap=True, reduction="none")(a, pos, neg)
assert (with_swap >= no_swap).all() and (with_swap > no_swap).any()
print(f"swap=True: {(with_swap > no_swap).sum()} / 16 个三元组的损失变大 / triplets get a larger loss")

# ε 在差里：d(a, a) = ε·D^(1/p) / ε inside the difference
torch.testing.assert_close(F.pairwise_distance(a, a), torch.full((16,), 1e-6 * 4**0.5))
print("d(a, a) = ε·√D = 2e-06 ≠ 0 (ε = 1e-6, D = 4)")

# %% [markdown] tags=["zh"]
# ### 6.2 何时使用
#
# 先读上面的图。左图：负样本在以锚点为圆心、半径 $d(a, p) + m = 2$ 的圆内时才有损失，越靠近锚点损失越大。右图（`swap=True`）：负样本靠近正样本时也有损失，因为那时 $d(p, n)$ 更小，被拿来代替 $d(a, n)$。
#
# 度量学习：人脸识别与验证、图像检索、行人重识别。训练好的编码器把同类的样本放在一起，于是遇到训练时没见过的类别，也可以拿新样本的嵌入去和已有的嵌入比较，不必重新训练分类器。实际使用时最重要的是三元组怎么选：随机的三元组很快就大多满足间隔，损失为 0，不再提供梯度；所以常在每个批次里挑“难”的负样本（难负样本挖掘，hard negative mining，FaceNet 用的是“半难”的负样本）。第 9 节为了简单，用随机的三元组；第 8 节的 InfoNCE 则让批次里其余的样本都当负样本。

# %% [markdown] tags=["en"]
# ### 6.2 When to use
#
# First, the plot above. Left: the negative has a loss only inside the circle around the anchor of radius
# $d(a, p) + m = 2$, and the nearer the anchor, the larger the loss. Right (`swap=True`): a negative near the
# positive also has a loss, because $d(p, n)$ is then smaller and replaces $d(a, n)$.
#
# Metric learning: face recognition and verification, image retrieval, person re-identification. A trained encoder
# puts samples of a class together, so a class never seen in training can still be handled by comparing the
# embedding of a new sample with stored ones, without training a new classifier. In practice what matters most is
# how the triplets are chosen: random triplets soon mostly satisfy the margin, have loss 0 and give no gradient;
# so people pick "hard" negatives within each batch (hard negative mining; FaceNet uses "semi-hard" ones). Section
# 9 uses random triplets, to keep it simple; section 8's InfoNCE instead takes every other sample of the batch as a
# negative.

# %% [markdown] tags=["zh"]
# ## 7. `TripletMarginWithDistanceLoss`：自选距离
#
# ### 7.1 定义
#
# 和第 6 节一样，只是距离 $\delta$ 由你给：
#
# $$\ell_i = \max\left(0,\; \delta(a_i, p_i) - \delta(a_i, n_i) + m\right), \qquad \text{swap: } \delta(a_i, n_i) \leftarrow \min\big(\delta(a_i, n_i),\; \delta(p_i, n_i)\big)$$
#
# 选项只有四个：`distance_function`（一个函数，输入两个 `(N, D)` 张量，返回 `(N,)` 的非负距离；默认 `None`，即 `nn.PairwiseDistance()`，也就是第 6 节 $p = 2$、$\epsilon = 10^{-6}$ 的距离）、`margin`（默认 1，必须大于 0）、`swap` 和 `reduction`。这个类是后来加的，没有 `size_average`、`reduce`，也没有 `p` 和 `eps`：它们归你的距离函数管。
#
# 默认设置下它等于 `TripletMarginLoss()`。另外两个常用的距离：
#
# - 平方欧氏距离 $\lVert u - v\rVert_2^2$：这就是 FaceNet 论文的损失；
# - 余弦距离（cosine distance）$1 - \cos(u, v)$：只看方向，取值在 0 到 2 之间，间隔要相应取小。
#
# 下图把负样本放在单位圆上，看损失随它和锚点的夹角怎样变化：三种距离的尺度不同，同一个 `margin` 在它们那里意味着不同的要求。

# %% [markdown] tags=["en"]
# ## 7. `TripletMarginWithDistanceLoss`: a distance of your choice
#
# ### 7.1 Definition
#
# As in section 6, except that you supply the distance $\delta$:
#
# $$\ell_i = \max\left(0,\; \delta(a_i, p_i) - \delta(a_i, n_i) + m\right), \qquad \text{swap: } \delta(a_i, n_i) \leftarrow \min\big(\delta(a_i, n_i),\; \delta(p_i, n_i)\big)$$
#
# It has four options only: `distance_function` (a function of two `(N, D)` tensors returning `(N,)` non-negative
# distances; by default `None`, meaning `nn.PairwiseDistance()`, the distance of section 6 with $p = 2$ and
# $\epsilon = 10^{-6}$), `margin` (1 by default, must be above 0), `swap` and `reduction`. This class came later: it
# has no `size_average` or `reduce`, and no `p` or `eps` either; those belong to your distance function.
#
# With the defaults it equals `TripletMarginLoss()`. Two other common distances:
#
# - the squared Euclidean distance $\lVert u - v\rVert_2^2$: this is the FaceNet paper's loss;
# - the cosine distance $1 - \cos(u, v)$: direction only, between 0 and 2, so the margin should be smaller.
#
# The plot puts the negative on the unit circle and shows the loss against its angle to the anchor: the three
# distances have different scales, and the same `margin` asks different things of each.

# %%
def squared_euclidean(u, v):
    return (u - v).pow(2).sum(-1)


def cosine_distance(u, v):
    return 1 - F.cosine_similarity(u, v)


theta = torch.linspace(0, 180, 361)  # 负样本与锚点的夹角 / the negative's angle to the anchor
on_circle = torch.stack([torch.cos(torch.deg2rad(theta)), torch.sin(torch.deg2rad(theta))], 1)
anchor_xy = torch.tensor([1.0, 0.0]).expand_as(on_circle)
positive_xy = torch.tensor([math.cos(math.radians(30)), math.sin(math.radians(30))])
positive_xy = positive_xy.expand_as(on_circle)
fig, ax = plt.subplots(figsize=(6, 3.2))
curves = {fc.label("欧氏（默认）", "Euclidean (default)"): None,
          fc.label("平方欧氏", "squared Euclidean"): squared_euclidean,
          fc.label("余弦距离", "cosine distance"): cosine_distance}
for name, dist in curves.items():
    loss_fn = nn.TripletMarginWithDistanceLoss(distance_function=dist, margin=0.5,
                                               reduction="none")
    ax.plot(theta, loss_fn(anchor_xy, positive_xy, on_circle), label=name)
ax.axvline(30, color="gray", lw=0.8)
ax.set_xlabel(fc.label("负样本的夹角（度），正样本在 30°",
                       "angle of the negative (degrees); positive at 30°"))
ax.set_ylabel(fc.label("损失 ℓ（m = 0.5）", "loss ℓ (m = 0.5)"))
ax.set_xticks(range(0, 181, 30))
ax.set_title("TripletMarginWithDistanceLoss")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()


# %%
def triplet_with_distance(a, pos, neg, distance_function=None, margin=1.0, swap=False,
                          reduction="mean"):
    dist = distance_function or distance  # 默认：p = 2，eps = 1e-6 / default: p = 2, eps = 1e-6
    d_pos, d_neg = dist(a, pos), dist(a, neg)
    if swap:
        d_neg = torch.minimum(d_neg, dist(pos, neg))
    return reduce((d_pos - d_neg + margin).clamp_min(0), reduction)


distances = (None, nn.PairwiseDistance(p=1), squared_euclidean, cosine_distance)
for dist, margin, swap, reduction in itertools.product(distances, (1.0, 0.2), (False, True),
                                                       REDUCTIONS):
    kw = dict(distance_function=dist, margin=margin, swap=swap, reduction=reduction)
    torch.testing.assert_close(with_grads(lambda *t: triplet_with_distance(*t, **kw), a, pos, neg),
                               with_grads(nn.TripletMarginWithDistanceLoss(**kw), a, pos, neg))
report("TripletMarginWithDistanceLoss", "distance_function None, PairwiseDistance(p=1), "
       "squared, cosine;\n  margin 1, 0.2; swap; reduction none, mean, sum")

# 默认设置 = TripletMarginLoss() / the defaults equal TripletMarginLoss()
torch.testing.assert_close(nn.TripletMarginWithDistanceLoss()(a, pos, neg),
                           nn.TripletMarginLoss()(a, pos, neg))
# FaceNet：平方距离，α = 0.2 / FaceNet: squared distances, α = 0.2
alpha = 0.2
facenet = (squared_euclidean(a, pos) - squared_euclidean(a, neg) + alpha).clamp_min(0).mean()
loss_fn = nn.TripletMarginWithDistanceLoss(distance_function=squared_euclidean, margin=alpha)
torch.testing.assert_close(loss_fn(a, pos, neg), facenet)
print(f"FaceNet (α = 0.2) = {facenet:.3f}, TripletMarginLoss(margin=0.2) = "
      f"{nn.TripletMarginLoss(margin=alpha)(a, pos, neg):.3f}: 不是同一个损失 / not the same loss")

# %% [markdown] tags=["zh"]
# ### 7.2 何时使用
#
# 想要的距离不是 $p$-范数时：复现 FaceNet 的平方距离；嵌入先归一化、用余弦距离比较；或者任何你写得出来的可导距离（例如带学习参数的距离）。`distance_function` 必须对一批向量逐行返回距离，形状 `(N,)`，不要返回 `(N, N)` 的距离矩阵（那是 `torch.cdist`）。

# %% [markdown] tags=["en"]
# ### 7.2 When to use
#
# When the distance you want is not a $p$-norm: FaceNet's squared distance; normalized embeddings compared by
# cosine distance; or any differentiable distance you can write (one with learned parameters, say).
# `distance_function` must return one distance per row of a batch, shape `(N,)`, not an `(N, N)` matrix of
# distances (that is `torch.cdist`).

# %% [markdown] tags=["zh"]
# ## 8. InfoNCE：对比学习就是交叉熵
#
# ### 8.1 定义
#
# 三元组损失每次只拿一个负样本和正样本比。今天的对比学习（contrastive learning）更常用 InfoNCE（van den Oord 等 2018；SimCLR 和 CLIP 用的都是它）：一个批次里有 $N$ 对嵌入 $(u_i, v_i)$，同一对互为正样本（同一张图的两种数据增强，或一张图和它的文字说明），而 $u_i$ 和其余 $N - 1$ 个 $v_j$ 都当作负样本，不必另外挑。记余弦相似度 $s_{ij} = \cos(u_i, v_j)$，温度（temperature）$\tau > 0$：
#
# $$\ell_i = -\log \frac{\exp(s_{ii} / \tau)}{\sum_{j=1}^{N} \exp(s_{ij} / \tau)}, \qquad L = \frac{1}{N} \sum_{i=1}^{N} \ell_i$$
#
# 它和交叉熵的关系：把 $s_{ij} / \tau$ 排成 $N \times N$ 的矩阵，第 $i$ 行就是一个 $N$ 类分类问题的 logits，“类别”是批次里的 $N$ 个 $v_j$，正确的类别是 $i$；$\ell_i$ 正是第 06 课的交叉熵 $-\log \operatorname{softmax}(z)_y$。所以 PyTorch 没有单独的 InfoNCE 类：它就是一个相似度矩阵、一组目标和 `F.cross_entropy`。练习 2 请你把它写出来，检查用上面的公式计算参照值。两个常见的变体：CLIP 用对称的版本，按行（每个 $u_i$ 找它的 $v$）和按列（每个 $v_j$ 找它的 $u$）各算一次交叉熵，取平均；SimCLR 的 NT-Xent 还把同一视图里的其他嵌入也算作负样本（共 $2N - 2$ 个），想法相同。
#
# ### 8.2 直觉：温度
#
# 余弦相似度只在 $-1$ 到 $1$ 之间。$\tau = 1$ 时 logits 最多相差 2，softmax 很平：批次有 256 对时，即使正样本的余弦是 1、其余都是 $-1$，正样本的概率也只有约 3%，损失降不下去。除以 $\tau = 0.1$ 就把 logits 拉到 $-10$ 到 $10$ 之间。温度还决定推力分给谁：交叉熵对每个 logit 的梯度是 softmax 减去目标（第 06 课），所以每个负样本被推开的力度正比于它的 softmax 权重 $\exp(s_{ij} / \tau)$。下图是一个锚点和 255 个负样本（余弦从 $-0.5$ 到 $0.7$ 均匀分布），纵轴是每个负样本分到的推力占全部负样本的比例：$\tau$ 越小，推力越集中在最像正样本的那几个负样本上。InfoNCE 因此自带难负样本挖掘（第 6.2 节），$\tau$ 决定挖得多狠；常用 0.05 到 0.5，CLIP 把 $\tau$ 当作一个参数学出来。

# %% [markdown] tags=["en"]
# ## 8. InfoNCE: contrastive learning is a cross-entropy
#
# ### 8.1 Definition
#
# The triplet loss compares the positive with one negative at a time. Contrastive learning today mostly uses
# InfoNCE (van den Oord et al., 2018; SimCLR and CLIP both use it): a batch holds $N$ pairs of embeddings
# $(u_i, v_i)$; the two of a pair are positives for each other (two augmentations of one image, or an image and its
# caption), and the other $N - 1$ $v_j$ serve as $u_i$'s negatives, with no separate choice of negatives. With the
# cosine similarity $s_{ij} = \cos(u_i, v_j)$ and a temperature $\tau > 0$:
#
# $$\ell_i = -\log \frac{\exp(s_{ii} / \tau)}{\sum_{j=1}^{N} \exp(s_{ij} / \tau)}, \qquad L = \frac{1}{N} \sum_{i=1}^{N} \ell_i$$
#
# How it relates to cross-entropy: put the $s_{ij} / \tau$ in an $N \times N$ matrix, and row $i$ holds the logits
# of an $N$-class classification whose "classes" are the batch's $N$ $v_j$ and whose right class is $i$; $\ell_i$
# is exactly lesson 06's cross-entropy $-\log \operatorname{softmax}(z)_y$. That is why PyTorch has no InfoNCE
# class: it is a matrix of similarities, a set of targets and `F.cross_entropy`. Exercise 2 asks you to write it;
# the check computes its reference from the formula above. Two common variants: CLIP uses a symmetric version,
# one cross-entropy by rows (each $u_i$ looks for its $v$) and one by columns (each $v_j$ looks for its $u$),
# averaged; SimCLR's NT-Xent also counts the other embeddings of the same view as negatives ($2N - 2$ in all), the
# same idea.
#
# ### 8.2 Intuition: the temperature
#
# Cosine similarities lie between $-1$ and $1$. With $\tau = 1$ the logits differ by at most 2 and the softmax is
# flat: in a batch of 256 pairs, even with a cosine of 1 for the positive and $-1$ for all the others, the
# positive's probability is only about 3%, and the loss cannot go down. Dividing by $\tau = 0.1$ stretches the
# logits to between $-10$ and $10$. The temperature also decides who gets pushed: the gradient of cross-entropy
# with respect to each logit is the softmax minus the target (lesson 06), so each negative is pushed away in
# proportion to its softmax weight $\exp(s_{ij} / \tau)$. The plot shows one anchor with 255 negatives (cosines
# spread evenly from $-0.5$ to $0.7$), with each negative's share of the push given to all negatives: the smaller
# $\tau$, the more the push goes to the few negatives most like the positive. So InfoNCE mines hard negatives by
# itself (section 6.2), and $\tau$ sets how hard; 0.05 to 0.5 is common, and CLIP learns $\tau$ as a parameter.

# %%
negative_cos = torch.linspace(-0.5, 0.7, 255)  # 255 个负样本的余弦 / the cosines of 255 negatives
fig, ax = plt.subplots(figsize=(6, 3.2))
hardest_share = {}
for tau in (1.0, 0.5, 0.1):
    share = (negative_cos / tau).softmax(dim=0)  # ∝ exp(s/τ)：每个负样本分到的推力 / the push
    hardest_share[tau] = share.topk(10).values.sum().item()
    ax.plot(negative_cos, 100 * share, label=f"τ = {tau}")
ax.set_yscale("log")
ax.set_xlabel(fc.label("负样本与锚点的余弦 s", "cosine s of the negative to the anchor"))
ax.set_ylabel(fc.label("分到的推力（%）", "share of the push (%)"))
ax.set_title(fc.label("温度越低，推力越集中在难负样本上", "the lower τ, the more the hard negatives get"))
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

best = 1 / (1 + 255 * math.exp(-2 / 1.0))  # τ = 1：正样本余弦 1，其余 -1 / τ = 1, cosines 1 and -1
assert best < 0.03 and hardest_share[1.0] < 0.1 < 0.3 < hardest_share[0.1]
print(f"τ = 1, N = 256: 正样本的概率最多 / the positive's probability is at most {100 * best:.1f}%")
print("最难的 10 个负样本分到的推力 / share of the 10 hardest negatives: "
      + ", ".join(f"τ = {tau}: {100 * s:.0f}%" for tau, s in hardest_share.items()))

# %% [markdown] tags=["zh"]
# ### 8.3 何时使用
#
# - 有成对的数据、没有类别标签时：自监督（self-supervised）学习里同一张图的两种增强，图文配对，查询和被点击的文档。批次越大，负样本越多，通常效果越好，所以 SimCLR、CLIP 用几千的批次。
# - 批次里同一个样本出现两次时，另一份会被当成负样本推开（假负样本）；有类别标签时，可以把同类都算作正样本（监督对比损失 supervised contrastive），或者直接用交叉熵训练分类器、取它的倒数第二层当嵌入（第 9 节的 softmax 对照就是这样做的）。
# - 把分类器的 logits 换成样本嵌入与每类权重向量的余弦，给正确类别的余弦减去一个间隔（CosFace），或者给它的夹角加上一个间隔（ArcFace），再做同样的交叉熵，就是人脸识别常用的间隔 softmax（margin softmax）：这一课的间隔和第 06 课的交叉熵合在了一起。

# %% [markdown] tags=["en"]
# ### 8.3 When to use
#
# - Paired data without class labels: two augmentations of one image in self-supervised learning, images with
#   their captions, queries with the documents clicked. The larger the batch, the more negatives and usually the
#   better, which is why SimCLR and CLIP use batches of thousands.
# - When one sample appears twice in a batch, its other copy is pushed away as a negative (a false negative);
#   with class labels, count every sample of the class as a positive (supervised contrastive loss), or simply
#   train a classifier with cross-entropy and take its last hidden layer as the embedding (section 9's softmax
#   baseline does that).
# - Make a classifier's logits the cosines between the embedding and one weight vector per class, subtract a
#   margin from the right class's cosine (CosFace) or add one to its angle (ArcFace), then take the same
#   cross-entropy: that is the margin softmax common in face recognition, this lesson's margin joined with lesson
#   06's cross-entropy.

# %% [markdown] tags=["zh"]
# ## 9. 在 Fashion-MNIST 上：学一个二维嵌入
#
# 现在用 `TripletMarginLoss` 训练一个编码器：课程的 MLP，只是最后一层输出 2 个数而不是 10 个，于是每张图片变成平面上的一个点，可以直接画出来。为了快，只用训练集（第 04 课的划分，留出验证集之后的 50,000 张）里的 5,000 张，每类 500 张。每个批次的每张图片当一次锚点，随机配一张同类图片作正样本、一张别类图片作负样本，用 Adam 训练 2 遍。
#
# 怎么评价一个嵌入？用最近质心分类（nearest-centroid classification）：每类训练图片的嵌入取平均，得到这一类的质心；一张验证图片离哪个质心最近，就判为哪一类。训练前后各算一次。
#
# 三元组到底帮了多少？作为对照（baseline），把同一个编码器后面接一个 `nn.Linear(2, 10)`，用普通的交叉熵按类别训练同样的 2 遍，再对它的二维输出做同样的最近质心分类。两种做法各训练一个配置、不做选择，所以只用验证集，测试集不动。

# %% [markdown] tags=["en"]
# ## 9. On Fashion-MNIST: learning a 2-D embedding
#
# Now `TripletMarginLoss` trains an encoder: the course MLP, except that its last layer outputs 2 numbers instead
# of 10, so each image becomes a point in the plane that we can plot. To be fast, we use only 5,000 of the training
# images (the 50,000 left by lesson 04's split once the validation set is held out), 500 per class. Each image of a
# batch serves once as an anchor, with a random image of its class as the positive and a random image of another
# class as the negative; Adam trains for 2 passes.
#
# How do we judge an embedding? By nearest-centroid classification: the mean of the embeddings of each class's
# training images is that class's centroid; a validation image is given the class of the nearest centroid. We do
# this before and after training.
#
# How much did the triplets help? As a baseline, the same encoder gets an `nn.Linear(2, 10)` on top and is trained
# with plain cross-entropy on the classes for the same 2 passes; its 2-D output is then judged by the same
# nearest-centroid classification. Each of the two trains one configuration and nothing is chosen, so the
# validation set is all we use; the test set stays untouched.

# %%
train_loader, val_loader, _ = fc.get_tensor_loaders(device=device, val_size=10_000)
per_class = 500
g = torch.Generator().manual_seed(0)
order = torch.randperm(len(train_loader.y), generator=g).to(device)
pool = torch.stack([order[train_loader.y[order] == c][:per_class] for c in range(10)])  # (10, 500)
X_small = train_loader.X[pool.flatten()]  # 按类别排好 / sorted by class
y_small = torch.arange(10, device=device).repeat_interleave(per_class)
X_val, y_val = val_loader.X, val_loader.y


def sample_triplets(labels):
    """每个锚点配一个同类的正样本和一个别类的负样本 / a positive and a negative per anchor.

    正样本偶尔就是锚点自己（概率 1/500）：那个三元组的 d(a, p) = ε·√2，几乎是 0，只剩把负样本推开
    / now and then (probability 1/500) the positive is the anchor itself: d(a, p) = ε·√2, nearly 0,
    and the triplet only pushes its negative away; harmless."""
    n = len(labels)
    positives = labels * per_class + torch.randint(per_class, (n,), device=device)
    other = (labels + torch.randint(1, 10, (n,), device=device)) % 10  # 另一类 / another class
    negatives = other * per_class + torch.randint(per_class, (n,), device=device)
    return positives, negatives


@torch.no_grad()
def embed_and_classify(model):
    """验证集的嵌入，和最近质心的预测 / the validation embeddings and nearest-centroid predictions."""
    model.eval()
    train_emb = model(X_small)
    centroids = torch.stack([train_emb[y_small == c].mean(0) for c in range(10)])
    val_emb = model(X_val)
    return val_emb, centroids, torch.cdist(val_emb, centroids).argmin(1)


def train_embedding(seed, passes=2, batch_size=128, margin=1.0):
    fc.set_seed(seed)
    model = fc.NeuralNetwork(num_classes=2).to(device)  # 课程的 MLP，输出 2 维 / 2 outputs
    before = embed_and_classify(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.TripletMarginLoss(margin=margin)
    model.train()
    for _ in range(passes):
        for anchors in torch.randperm(len(y_small), device=device).split(batch_size):
            positives, negatives = sample_triplets(y_small[anchors])
            emb = model(X_small[torch.cat([anchors, positives, negatives])])
            loss = loss_fn(*emb.split(len(anchors)))  # 锚点、正样本、负样本 / a, p, n
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model, before, embed_and_classify(model)


def train_softmax(seed, passes=2, batch_size=128):
    """对照：同一个编码器接 nn.Linear(2, 10)，按类别用交叉熵训练，返回它的二维嵌入的评价
    / the baseline: the same encoder under nn.Linear(2, 10), trained on the classes with
    cross-entropy; returns the evaluation of its 2-D embedding."""
    fc.set_seed(seed)
    model = fc.NeuralNetwork(num_classes=2).to(device)  # 同一个二维编码器 / the same encoder
    head = nn.Linear(2, 10).to(device)  # 二维 → 10 类的 logits / 2-D → 10 logits
    optimizer = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=1e-3)
    model.train()
    for _ in range(passes):
        for idx in torch.randperm(len(y_small), device=device).split(batch_size):
            loss = F.cross_entropy(head(model(X_small[idx])), y_small[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return embed_and_classify(model)


# %% tags=["nbval-ignore-output", "grading-skip"]
model, before, after = train_embedding(seed=0)
baseline = train_softmax(seed=0)
runs = {"before": before, "triplet": after, "softmax": baseline}
accuracy = {name: (run[2] == y_val).float().mean().item() for name, run in runs.items()}
shoes = torch.tensor([5, 7, 9], device=device)  # 凉鞋、运动鞋、短靴 / sandal, sneaker, ankle boot
is_shoe = torch.isin(y_val, shoes)
shoe_group = {name: torch.isin(runs[name][2][is_shoe], shoes).float().mean().item()
              for name in ("triplet", "softmax")}
per_class_acc = torch.stack([(after[2][y_val == c] == c).float().mean() for c in range(10)])
worst = per_class_acc.argmin().item()
print("最近质心的验证准确率 / nearest-centroid validation accuracy:")
print(f"  训练前 / before {100 * accuracy['before']:.1f}%, 三元组 / triplet "
      f"{100 * accuracy['triplet']:.1f}%, softmax 对照 / baseline {100 * accuracy['softmax']:.1f}%")
print(f"鞋类被判为某种鞋 / shoes classified as some shoe: 三元组 / triplet "
      f"{100 * shoe_group['triplet']:.1f}%, softmax {100 * shoe_group['softmax']:.1f}%")
print(f"三元组最差的一类 / the triplets' worst class: {fc.class_name(worst)} "
      f"{100 * per_class_acc[worst]:.1f}%")

# %% tags=["grading-skip"]
assert accuracy["before"] < 0.5 < 0.6 < accuracy["triplet"], accuracy
assert accuracy["triplet"] > accuracy["before"] + 0.25, accuracy
assert accuracy["before"] + 0.2 < accuracy["softmax"] < accuracy["triplet"] - 0.005, accuracy
assert shoe_group["triplet"] > 0.95 > 0.85 > shoe_group["softmax"], shoe_group
assert worst in (0, 2, 4, 6), worst  # 上装 / tops
print("✓ 最近质心准确率：训练前 < 50%，三元组训练后 > 60% 且高 25 个百分点以上；同样的步数下")
print("  softmax 对照也学到了东西，但低于三元组；三元组把 95% 以上的鞋判成鞋")
print("  （softmax 对照不到 85%），最差的一类是上装")
print("✓ nearest centroid: < 50% before, > 60% after the triplets and 25 points higher; after as")
print("  many steps the softmax baseline learned too, but stays lower; the")
print("  triplets take > 95% of the shoes for shoes (the baseline < 85%); their worst class is")
print("  a top")

fig, axes = plt.subplots(1, 3, figsize=(14, 4.4))
shown = torch.arange(2000)  # 画 2,000 张验证图片 / plot 2,000 validation images
titles = (fc.label("训练前", "before training"), fc.label("三元组训练后", "after the triplets"),
          fc.label("softmax 对照的二维层", "the softmax baseline's 2-D layer"))
for ax, (emb, centroids, _), title in zip(axes, runs.values(), titles):
    emb, centroids, labels = emb[shown].cpu(), centroids.cpu(), y_val[shown].cpu()
    for c in range(10):
        ax.scatter(*emb[labels == c].T, s=3, color=f"C{c}", alpha=0.6,
                   label=fc.class_label(c).replace("\n", " "))
    ax.scatter(*centroids.T, s=60, marker="X", color="black")
    ax.set_title(title)
axes[2].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, markerscale=4)
fig.suptitle(fc.label("验证图片的二维嵌入，× 是各类质心",
                      "2-D embeddings of validation images; × marks each class's centroid"))
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# 训练前，随机初始化的编码器把各类混在一起，最近质心分类的准确率不到 50%（随机猜测是 10%）。三元组训练后，同类的图片聚成一簇（训练输出里有具体数字，换一台机器会略有不同；画图的单元格先用断言检查这一段的说法）。聚簇的位置也有意义：三种鞋挨在一起，被判错时也几乎总是判成另一种鞋；裤子和包各自离得较远；T恤/上衣、套头衫、外套和衬衫重叠得最多，这也是第 04 课混淆矩阵里最常混淆的几类。只有两个维度，挤不下十个分得很开的类；实际应用中的嵌入常有 32 或 128 维，各类有更多空间分开，但就不能直接画出来了。
#
# softmax 对照也学出了一个二维嵌入，但在同样的步数下，它的最近质心准确率低于三元组；它的鞋类也没有聚在一起（右图）。领先多少很不稳定：`benchmarks/claims_spread.py` 把这个单元格在 3 种验证集划分 × 3 个种子上各跑了一次，三元组 9 次都领先，但领先 1.0 到 13.9 个百分点不等（三元组 63.3% 到 70.3%，softmax 56.3% 到 66.0%），所以上面的断言只要求三元组更高。不过这个比较只在“同样的步数”下成立：三元组的每一步要嵌入锚点、正样本、负样本三张图，计算量是 softmax 的三倍。写这一课时试过让 softmax 多训练几遍、嵌入同样多的图片，它就追平了三元组；课程的脚本没有测量这一点，只把它当作一个提醒。所以三元组损失在这里并不是更好的分类器；它的长处在下一段。
#
# 这个嵌入没有用到“类别编号”本身，只用到了“同类 / 不同类”。所以同样的训练方法可以用在只有成对或成组的相似关系、没有固定类别的数据上，也可以处理训练时没见过的新类别：只要有几张新类别的图片，就能算出它的质心。softmax 对照做不到这一点：它的最后一层只认识训练时的 10 个类。

# %% [markdown] tags=["en"]
# Before training, the randomly initialized encoder mixes the classes, and nearest-centroid classification stays
# below 50% (guessing gives 10%). After the triplets, the images of each class gather into a cluster (the training
# output has the exact numbers, slightly different on another machine; the plotting cell first checks the claims
# of this paragraph with assertions). Where the clusters lie means something too: the three kinds of shoes sit
# together and, when wrong, are almost always taken for another shoe; trousers and bags lie apart; T-shirts,
# pullovers, coats and shirts overlap most, the classes lesson 04's confusion matrix confuses most. Two dimensions
# cannot hold ten well-separated classes; embeddings in practice often have 32 or 128 dimensions, which leave the
# classes more room, but can no longer be plotted directly.
#
# The softmax baseline learned a 2-D embedding too, but after as many steps its nearest-centroid accuracy is below
# the triplets', and its shoes do not gather (right). By how much varies a lot: `benchmarks/claims_spread.py` ran
# this cell on 3 validation splits × 3 seeds, and the triplets led in all 9 runs, by 1.0 to 13.9 points (the
# triplets 63.3% to 70.3%, the softmax 56.3% to 66.0%), so the assertion above asks only that the triplets be
# higher. But the comparison holds only at equal steps: each triplet step embeds three images per anchor, three
# times the work of a softmax step. While this lesson was written, a softmax given more passes, as many images
# embedded, caught up with the triplets; the course's scripts do not measure that, so take it as a caveat. So here
# the triplet loss is not the better classifier; what it brings is in the next paragraph.
#
# This embedding never used the class numbers themselves, only "same class / different class". So the same
# training works on data that come with pairwise or group similarities and no fixed classes, and it handles classes
# never seen in training: a few images of a new class are enough to compute its centroid. The softmax baseline
# cannot: its last layer knows only the 10 classes of training.

# %% [markdown] tags=["zh"]
# ## 10. 练习
#
# 两个练习：第一个先预测、再运行，第二个把第 8 节的 InfoNCE 写成代码。
#
# ### 练习 1：swap 之后的三元组损失（先预测，再运行）
#
# 下表是平面上的 4 个三元组（锚点 $a$、正样本 $p$、负样本 $n$）：
#
# | 三元组 | $a$ | $p$ | $n$ |
# |---|---|---|---|
# | 1 | (0, 0) | (3, 4) | (6, 8) |
# | 2 | (0, 0) | (0, 1) | (1, 0) |
# | 3 | (0, 0) | (−4, 0) | (2, 0) |
# | 4 | (0, 0) | (1, 0) | (−4, 0) |
#
# `nn.TripletMarginLoss(margin=1.0, swap=True)` 在这一批上的值是多少？先读一读答案后面的那个单元格，但**先别运行**：在 `predict_triplet_swap()` 里返回你预测的值（一个数，与正确值相差 0.02 以内算对），再运行那个单元格对照，最后运行检查。纸和笔就够了：按第 6.1 节的定义，先算出每个三元组的三个距离，再想一想 swap 改变了哪一个三元组，`"mean"` 又除以几（$\epsilon = 10^{-6}$ 可以忽略）。

# %% [markdown] tags=["en"]
# ## 10. Exercises
#
# Two exercises: the first asks for a prediction before you run the code, the second turns section 8's InfoNCE
# into code.
#
# ### Exercise 1: the triplet loss with swap (predict, then run)
#
# The table lists 4 triplets of the plane (anchor $a$, positive $p$, negative $n$):
#
# | triplet | $a$ | $p$ | $n$ |
# |---|---|---|---|
# | 1 | (0, 0) | (3, 4) | (6, 8) |
# | 2 | (0, 0) | (0, 1) | (1, 0) |
# | 3 | (0, 0) | (−4, 0) | (2, 0) |
# | 4 | (0, 0) | (1, 0) | (−4, 0) |
#
# What is the value of `nn.TripletMarginLoss(margin=1.0, swap=True)` on this batch? Read the cell after your answer
# but **do not run it yet**: make `predict_triplet_swap()` return the value you predict (a number; within 0.02 of
# the right value counts as right), then run that cell to compare, and then the check. Pen and paper will do:
# with section 6.1's definition, work out the three distances of each triplet, then ask which triplet swap
# changes, and what `"mean"` divides by ($\epsilon = 10^{-6}$ can be ignored).

# %% nbgrader={"grade": false, "grade_id": "l11_ex1_triplet_swap", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-predict"]
def predict_triplet_swap():
    ### BEGIN SOLUTION
    # d(a, p) 与 / and min(d(a, n), d(p, n)):
    # (5, min(10, 5)), (1, min(1, √2)), (4, min(2, 6)), (1, min(4, 5))
    losses = [max(0, 5 - 5 + 1), max(0, 1 - 1 + 1), max(0, 4 - 2 + 1), max(0, 1 - 4 + 1)]
    return sum(losses) / 4  # "mean" 对 4 个三元组求平均 / over all 4 triplets: 1.25
    ### END SOLUTION


# %%
anchor_4 = torch.zeros(4, 2)
positive_4 = torch.tensor([[3.0, 4.0], [0.0, 1.0], [-4.0, 0.0], [1.0, 0.0]])
negative_4 = torch.tensor([[6.0, 8.0], [1.0, 0.0], [2.0, 0.0], [-4.0, 0.0]])
d_ap, d_an, d_pn = (F.pairwise_distance(u, v) for u, v in
                    ((anchor_4, positive_4), (anchor_4, negative_4), (positive_4, negative_4)))
per_triplet = {swap: nn.TripletMarginLoss(margin=1.0, swap=swap, reduction="none")(
    anchor_4, positive_4, negative_4) for swap in (False, True)}
print(fc.pad("三元组 / triplet", 18) + "d(a, p)  d(a, n)  d(p, n)  ℓ (swap=False)  ℓ (swap=True)")
for i in range(4):
    print(f"{i + 1:<18}{d_ap[i]:7.2f}  {d_an[i]:7.2f}  {d_pn[i]:7.2f}  "
          f"{per_triplet[False][i]:14.2f}  {per_triplet[True][i]:13.2f}")
print(f"TripletMarginLoss(margin=1.0): swap=False {per_triplet[False].mean():.2f}, "
      f"swap=True {per_triplet[True].mean():.2f}")

# %% nbgrader={"grade": true, "grade_id": "l11_ex1_triplet_swap_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex1_triplet_swap(predict_triplet_swap)

# %% [markdown] tags=["zh"]
# ### 练习 2：用 `F.cross_entropy` 写出 InfoNCE（迁移）
#
# 第 8 节给出了 InfoNCE 的公式和它与交叉熵的关系，但没有写代码。写出 `info_nce(z1, z2, temperature=0.1, symmetric=False)`：`z1` 和 `z2` 的形状都是 `(N, D)`，`z1[i]` 和 `z2[i]` 是一对正样本，批次里其余的行都是负样本；返回第 8.1 节的 $L$（$u_i$ 是 `z1[i]`，$v_j$ 是 `z2[j]`，对 $N$ 个 `z1[i]` 求平均）。`symmetric=True` 时返回按行和按列两个方向的平均（CLIP 的写法）。用 `F.cross_entropy` 来算：想清楚 logits 矩阵是什么、目标是什么。嵌入的长度各不相同，相似度是余弦。检查把你的结果与按公式算出的参照值比较（几种温度，有无 `symmetric`），再比较对 `z1` 和 `z2` 的梯度。

# %% [markdown] tags=["en"]
# ### Exercise 2: InfoNCE with `F.cross_entropy` (transfer)
#
# Section 8 gave InfoNCE's formula and its relation to cross-entropy, but no code. Write
# `info_nce(z1, z2, temperature=0.1, symmetric=False)`: `z1` and `z2` both have shape `(N, D)`, `z1[i]` and
# `z2[i]` are a positive pair, and every other row of the batch is a negative; return section 8.1's $L$ ($u_i$
# being `z1[i]` and $v_j$ being `z2[j]`, the mean over the $N$ `z1[i]`). With `symmetric=True`, return the mean of
# the two directions, by rows and by columns (as CLIP does). Compute it with `F.cross_entropy`: work out what the
# matrix of logits is, and what the targets are. The embeddings have different lengths, and the similarity is the
# cosine. The check compares your result with a reference computed from the formula (several temperatures, with
# and without `symmetric`), then the gradients with respect to `z1` and `z2`.

# %% nbgrader={"grade": false, "grade_id": "l11_ex2_info_nce", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-transfer"]
def info_nce(z1, z2, temperature=0.1, symmetric=False):
    ### BEGIN SOLUTION
    logits = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T / temperature  # s_ij / τ, (N, N)
    targets = torch.arange(len(z1), device=z1.device)  # 第 i 行的正样本在第 i 列 / row i: column i
    loss = F.cross_entropy(logits, targets)
    if symmetric:  # 再按列：每个 z2[j] 找它的 z1 / by columns too: each z2[j] looks for its z1
        loss = (loss + F.cross_entropy(logits.T, targets)) / 2
    return loss
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "l11_ex2_info_nce_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex2_info_nce(info_nce)

# %% [markdown] tags=["zh"]
# ## 小结
#
# | 损失函数 | 输入 | 目标 | 每个 $\ell_i$ | 用途 |
# |---|---|---|---|---|
# | `MarginRankingLoss` | 两组分数 | $\pm 1$ | $\max(0, -y(x_1 - x_2) + m)$ | 成对排序 |
# | `SoftMarginLoss` | 分数 | $\pm 1$ | $\log(1 + e^{-yx})$ | 逻辑回归，平滑排序；实际用 `BCEWithLogitsLoss` |
# | `MultiMarginLoss` | logits `(N, C)` | 类别索引 | $\frac{1}{C}\sum_{j \ne y} w_y \max(0, m - x_y + x_j)^p$ | 多类 SVM |
# | `HingeEmbeddingLoss` | 距离 | $\pm 1$ | $x$ 或 $\max(0, m - x)$ | 成对的相似 / 不相似 |
# | `CosineEmbeddingLoss` | 两组向量 | $\pm 1$ | $1 - \cos$ 或 $\max(0, \cos - m)$ | 只看方向的成对数据 |
# | `TripletMarginLoss` | 三组嵌入 | 无 | $\max(0, d(a, p) - d(a, n) + m)$ | 度量学习 |
# | `TripletMarginWithDistanceLoss` | 三组嵌入 | 无 | 同上，距离自选 | FaceNet、余弦距离 |
# | InfoNCE（`F.cross_entropy`） | 两组嵌入 | 无（第 $i$ 对） | $-\log \operatorname{softmax}(s_{i\cdot} / \tau)_i$ | 对比学习：SimCLR、CLIP |
#
# - 前七个损失都靠间隔和合页 $\max(0, \cdot)$：做对超过间隔的样本不再提供梯度（`SoftMarginLoss` 是平滑的例外；`HingeEmbeddingLoss` 和 `CosineEmbeddingLoss` 对相似的一对没有间隔，一直往近处拉）。InfoNCE 不用间隔，而是批次里所有负样本上的 softmax，温度决定推力多集中在难负样本上。
# - 与论文不同的地方：三元组损失用不平方的距离，`eps` 加在差上，`swap` 取较近的一边；`HingeEmbeddingLoss` 不平方，目标必须是 $\pm 1$；`MultiMarginLoss` 除以 $C$，`weight` 按目标类别取；`CosineEmbeddingLoss` 的 $\epsilon = 10^{-12}$ 在平方范数里面；`SoftMarginLoss` 在远小于 0 的 $yx$ 上会上溢。
# - `size_average` 和 `reduce` 已弃用，只写 `reduction`。
# - 在 Fashion-MNIST 上，用随机三元组只训练 2 遍 5,000 张图片，二维嵌入就已经让各类聚成簇（上装之间重叠最多），最近质心分类的验证准确率比训练前高出 25 个百分点以上；同样的步数下它比 softmax 分类器的二维层高，但同样的计算量下两者相当：三元组的长处是只需要“同类 / 不同类”。
#
# 下一课：多标签、计数、不确定性与序列的损失。

# %% [markdown] tags=["en"]
# ## Summary
#
# | Loss | Input | Target | Each $\ell_i$ | Use |
# |---|---|---|---|---|
# | `MarginRankingLoss` | two sets of scores | $\pm 1$ | $\max(0, -y(x_1 - x_2) + m)$ | pairwise ranking |
# | `SoftMarginLoss` | scores | $\pm 1$ | $\log(1 + e^{-yx})$ | logistic regression, smooth ranking; in practice `BCEWithLogitsLoss` |
# | `MultiMarginLoss` | logits `(N, C)` | class indices | $\frac{1}{C}\sum_{j \ne y} w_y \max(0, m - x_y + x_j)^p$ | multi-class SVM |
# | `HingeEmbeddingLoss` | distances | $\pm 1$ | $x$ or $\max(0, m - x)$ | similar / dissimilar pairs |
# | `CosineEmbeddingLoss` | two sets of vectors | $\pm 1$ | $1 - \cos$ or $\max(0, \cos - m)$ | pairs where only direction matters |
# | `TripletMarginLoss` | three sets of embeddings | none | $\max(0, d(a, p) - d(a, n) + m)$ | metric learning |
# | `TripletMarginWithDistanceLoss` | three sets of embeddings | none | the same, with your distance | FaceNet, cosine distance |
# | InfoNCE (`F.cross_entropy`) | two sets of embeddings | none (pair $i$) | $-\log \operatorname{softmax}(s_{i\cdot} / \tau)_i$ | contrastive learning: SimCLR, CLIP |
#
# - The first seven rest on a margin and the hinge $\max(0, \cdot)$: a sample right by more than the margin gives no
#   more gradient (`SoftMarginLoss` is the smooth exception; `HingeEmbeddingLoss` and `CosineEmbeddingLoss` have no
#   margin for similar pairs, which they keep pulling closer). InfoNCE has no margin but a softmax over all the
#   negatives of the batch, whose temperature sets how much of the push goes to the hard negatives.
# - Where PyTorch differs from the papers: the triplet loss uses unsquared distances, adds `eps` to the difference,
#   and `swap` takes the nearer side; `HingeEmbeddingLoss` is not squared and its targets must be $\pm 1$;
#   `MultiMarginLoss` divides by $C$ and takes `weight` by the target class; `CosineEmbeddingLoss`'s
#   $\epsilon = 10^{-12}$ sits inside the squared norms; `SoftMarginLoss` overflows for very negative $yx$.
# - `size_average` and `reduce` are deprecated; write `reduction` only.
# - On Fashion-MNIST, a 2-D embedding trained on random triplets for only 2 passes over 5,000 images already
#   gathers the classes into clusters (the tops overlap most), and nearest-centroid classification on the
#   validation set gains more than 25 points over what it was before training; after as many steps it is ahead of
#   a softmax classifier's 2-D layer, but level with it for the same compute: what triplets bring is that they need
#   only "same class / different class".
#
# Next lesson: losses for multi-label, counts, uncertainty and sequences.
