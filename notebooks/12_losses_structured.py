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
# # 12 多标签、计数、不确定性与序列的损失
#
# 上一课：[11 嵌入与排序的损失](11_losses_embedding.ipynb) · 下一课：[13 更多优化器](13_optim_more.ipynb)
#
# 预计用时：约 90 分钟，另加约 40 分钟的选读部分。
#
# 第 05、06 课的目标都很简单：一个数，或者一个类别。这一课的目标带着结构：一件衣物同时有好几个属性（多标签），目标是一个计数（泊松分布），模型除了预测一个数还要说出自己有多没把握（高斯分布的方差），目标是一串符号、却不知道每个符号对应输入的哪一段（CTC），以及类别多到 softmax 本身就成了负担（自适应 softmax、`LinearCrossEntropyLoss`）。
#
# 学完这一课，你能够：
#
# - 写出 `MultiLabelSoftMarginLoss`、`PoissonNLLLoss`、`GaussianNLLLoss` 和 `CTCLoss`（选读部分还有 `MultiLabelMarginLoss`、`AdaptiveLogSoftmaxWithLoss` 和 `LinearCrossEntropyLoss`）在 PyTorch 里的公式，覆盖每个构造参数和每种 `reduction`，从零实现并用 `torch.testing.assert_close` 对照数值和梯度；
# - 指出 PyTorch 与教科书或论文不同的地方：泊松损失的斯特林项只加在 $y > 1$ 处，高斯损失截断方差却让梯度照常流过，CTC 的 `"mean"` 先除以目标长度、它对 `log_probs` 的梯度多出一项 softmax；
# - 在 Fashion-MNIST 上：从类别推出多标签属性；训练一个会说“我没把握”的回归模型，并检查它说的对不对；把几件衣物排成一条，用 CTC 训练一个读图像带的模型，它自己学会在哪里输出空白；
# - 手算三帧的 CTC，找出一个预测不确定性的损失里的错误（两个练习）；
# - （选读）比较两种多标签损失，说清自适应 softmax 和 `LinearCrossEntropyLoss` 各省下了什么（计算，或者内存），为什么能省。
#
# 标为“选读”的部分第一次可以跳过，练习用不到它们：第 2、3 节（多标签排序和它与第 1 节的比较）、第 7.2 节（CTC 的从零实现）和第 9、10 节（类别多到 softmax 成了负担）。它们和其余部分只有“目标带结构”这一点相同，所以这一课没有拆成两课，而是把它们标为选读，核心部分一次学完。选读部分的代码单元格也可以不运行：后面用到的函数和数据都在核心部分定义。
#
# 每个损失函数按同样的顺序讲：定义 → 直觉（配图）→ 从零实现并与 PyTorch 对照 → 何时使用。对照都经过下面定义的 `assert_close`：它调用 `torch.testing.assert_close`，再记下与 PyTorch 的最大差值，第 10 节末尾把它们列出来。所有比较都在验证集上做，这一课不看测试集。

# %% [markdown] tags=["en"]
# # 12 Losses for multi-label, counts, uncertainty and sequences
#
# Previous: [11 Losses for embeddings and ranking](11_losses_embedding.ipynb) · Next: [13 More optimizers](13_optim_more.ipynb)
#
# Time: about 90 min, plus about 40 min for the optional sections.
#
# The targets of lessons 05 and 06 were simple: one number, or one class. The targets of this lesson have
# structure: one garment has several attributes at once (multi-label); the target is a count (a Poisson
# distribution); the model predicts a number and also says how unsure it is (the variance of a Gaussian); the
# target is a string of symbols without saying which part of the input each symbol belongs to (CTC); and there
# are so many classes that the softmax itself becomes the burden (adaptive softmax, `LinearCrossEntropyLoss`).
#
# After this lesson you can:
#
# - write the formulas PyTorch implements for `MultiLabelSoftMarginLoss`, `PoissonNLLLoss`, `GaussianNLLLoss` and
#   `CTCLoss` (and, in the optional parts, `MultiLabelMarginLoss`, `AdaptiveLogSoftmaxWithLoss` and
#   `LinearCrossEntropyLoss`), with every constructor option and every `reduction`, implement them from scratch
#   and check values and gradients with `torch.testing.assert_close`;
# - point out where PyTorch differs from the textbook or the paper: the Poisson loss adds its Stirling term only
#   where $y > 1$, the Gaussian loss clamps the variance but lets the gradient through unchanged, CTC's `"mean"`
#   first divides by the target lengths, and its gradient with respect to `log_probs` carries an extra softmax;
# - on Fashion-MNIST: derive multi-label attributes from the classes; train a regression model that says "I am
#   not sure" and check whether it is right to say so; put several garments in a row and train, with CTC, a
#   model that reads the strip and learns by itself where to output a blank;
# - work out CTC by hand for three frames, and find the bugs in the loss of a model that predicts its
#   uncertainty (the two exercises);
# - (optional) compare the two multi-label losses, and say what adaptive softmax and `LinearCrossEntropyLoss`
#   each save (compute, or memory) and why they can.
#
# The parts marked "optional" can be skipped on a first reading; the exercises do not need them: sections 2 and 3
# (multi-label ranking and its comparison with section 1), section 7.2 (CTC from scratch) and sections 9 and 10
# (classes so many that the softmax becomes the burden). They share with the rest only "targets with structure",
# so rather than splitting the lesson in two, they are marked optional and the core fits one sitting. Their code
# cells may be left unrun too: everything later cells use is defined in the core.
#
# Each loss follows the same order: definition → intuition (with a plot) → from scratch, checked against PyTorch
# → when to use. Every check goes through the `assert_close` defined below: it calls
# `torch.testing.assert_close`, then records the largest difference from PyTorch; the end of section 10 lists
# them. Every comparison is made on the validation set; this lesson does not look at the test set.

# %%
import itertools
import math
import textwrap
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

import fmnist_core as fc
from fmnist_core.checks import lesson12 as check

_ = fc.use_cjk_font()  # 有中文字体就用它画图 / use a CJK font for plots when there is one
device = fc.get_device()  # 有 GPU 就用 GPU / the GPU when there is one


def reduce(loss, reduction="mean"):
    """逐样本（或逐元素）损失的归约，见第 05 课 / reduce per-sample (or per-element) losses."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    raise ValueError(f"未知的 reduction / unknown reduction: {reduction!r}")


def grad(loss, x):
    """loss（不是标量时先求和）对 x 的梯度；保留计算图，同一个图可以再求一次
    / the gradient of loss (summed first) w.r.t. x; the graph is kept for another call."""
    (g,) = torch.autograd.grad(loss.sum(), x, retain_graph=True)
    return g


LARGEST = {}  # 每个类与 PyTorch 的最大绝对差 / per class, the largest absolute difference
REDUCTIONS = ("mean", "sum", "none")


def assert_close(ours, theirs, name):
    """torch.testing.assert_close，再记下最大绝对差（inf 对 inf 记为 0）
    / torch.testing.assert_close, then record the largest absolute difference (inf vs inf: 0)."""
    torch.testing.assert_close(ours, theirs)
    diff = (ours.detach().double() - theirs.detach().double()).abs().nan_to_num(nan=0.0)
    LARGEST[name] = max(LARGEST.get(name, 0.0), diff.max().item() if diff.numel() else 0.0)


# %% [markdown] tags=["zh"]
# ## 1. 多标签：`MultiLabelSoftMarginLoss`
#
# ### 1.1 从类别推出属性
#
# Fashion-MNIST 的每张图只有一个类别，但我们可以从类别推出几个属性：它穿在上身吗？是鞋吗？有袖子吗？一张图可以同时有好几个属性（外套：上身、有袖、保暖），也可以一个都没有（包）。这就是多标签分类：$C$ 个“是或否”的问题一起回答。下表的属性是按类别粗略约定的（比如把所有 T 恤/上衣都算作有袖子），目的在于演示损失函数，不在于服装学。右边一列是同样的标签写成 `MultiLabelMarginLoss`（第 2 节）要的格式。
#
# ### 1.2 定义
#
# 输入是 $N \times C$ 的 logits $x$，目标 $y \in \{0, 1\}^{N \times C}$ 是多热向量。每个样本的损失是 $C$ 个二元交叉熵的平均，$w_c$ 是构造参数 `weight`（长度为 $C$，默认全为 1）：
#
# $$\ell_n = -\frac{1}{C} \sum_{c=1}^{C} w_c \left[ y_{n,c} \log \sigma(x_{n,c}) + (1 - y_{n,c}) \log \sigma(-x_{n,c}) \right]$$
#
# 这里用了 $1 - \sigma(x) = \sigma(-x)$。`reduction="none"` 返回形状为 `(N,)` 的 $(\ell_1, \dots, \ell_N)$，`"sum"` 返回 $\sum_n \ell_n$，`"mean"` 返回 $\frac{1}{N} \sum_n \ell_n$。所以它和第 06 课的 `BCEWithLogitsLoss` 只差在归约上：
#
# $$L_{\text{mean}} = \text{BCEWithLogitsLoss}_{\text{mean}}, \qquad L_{\text{sum}} = \frac{1}{C}\, \text{BCEWithLogitsLoss}_{\text{sum}}$$
#
# 注意两点。第一，`weight` 不归一化：`"mean"` 除以的始终是 $C$ 和 $N$，不像 `CrossEntropyLoss` 那样除以权重之和，所以权重整体乘 2，损失也乘 2。第二，名字里的“软间隔”（soft margin）：把标签写成 $t = 2y - 1 \in \{-1, +1\}$，每一项就是 $\log(1 + e^{-t x})$（第 11 课的 `SoftMarginLoss`），它是合页损失 $\max(0, 1 - t x)$ 的光滑版本：
#
# $$-\log \sigma(t\,x) = \log\left(1 + e^{-t\,x}\right), \qquad t = 2y - 1$$
#
# 左图是一个类别的损失随 logit 变化；右图把这个软间隔和第 2 节要用的硬间隔（合页）画在一起，横轴是间隔 $m = t\,x$（对第 2 节是正类与负类的得分差）。
#
# ### 1.3 从零实现，与 PyTorch 对照
#
# $\log \sigma(x)$ 不能写成 `torch.log(torch.sigmoid(x))`：$x = -120$ 时 $\sigma(x)$ 在 float32 里下溢成 0，取对数得到 $-\infty$。稳定的写法是 $\log \sigma(x) = \min(x, 0) - \log(1 + e^{-|x|})$（第 06 课的 log-sum-exp 技巧）。下面的检查故意放进了 $\pm 120$ 这样的 logit，覆盖有无 `weight`、三种 `reduction` 和没有批次维的单个样本，并验证它与 `BCEWithLogitsLoss` 的关系和 `weight` 不归一化。

# %% [markdown] tags=["en"]
# ## 1. Multi-label: `MultiLabelSoftMarginLoss`
#
# ### 1.1 Attributes derived from the classes
#
# Every Fashion-MNIST image has one class, but we can derive a few attributes from it: is it worn on the upper
# body? Is it footwear? Does it have sleeves? One image can have several attributes at once (a coat: upper body,
# sleeves, warm), or none at all (a bag). That is multi-label classification: $C$ yes-or-no questions answered
# together. The attributes in the table are a rough convention per class (every T-shirt/top counts as having
# sleeves, for one); the point is the loss, not fashion. The right-hand column is the same labels in the format
# `MultiLabelMarginLoss` (section 2) wants.
#
# ### 1.2 Definition
#
# The input is an $N \times C$ matrix of logits $x$; the target $y \in \{0, 1\}^{N \times C}$ is a multi-hot
# vector. Each sample's loss is the mean of $C$ binary cross-entropies, with $w_c$ the constructor argument
# `weight` (length $C$, all ones by default):
#
# $$\ell_n = -\frac{1}{C} \sum_{c=1}^{C} w_c \left[ y_{n,c} \log \sigma(x_{n,c}) + (1 - y_{n,c}) \log \sigma(-x_{n,c}) \right]$$
#
# using $1 - \sigma(x) = \sigma(-x)$. `reduction="none"` returns $(\ell_1, \dots, \ell_N)$ of shape `(N,)`,
# `"sum"` returns $\sum_n \ell_n$ and `"mean"` returns $\frac{1}{N} \sum_n \ell_n$. So it differs from lesson 06's
# `BCEWithLogitsLoss` only in the reduction:
#
# $$L_{\text{mean}} = \text{BCEWithLogitsLoss}_{\text{mean}}, \qquad L_{\text{sum}} = \frac{1}{C}\, \text{BCEWithLogitsLoss}_{\text{sum}}$$
#
# Mind two things. First, `weight` is not normalized: `"mean"` always divides by $C$ and $N$, not by the sum of
# the weights as `CrossEntropyLoss` does, so doubling all weights doubles the loss. Second, the "soft margin" in
# the name: write the labels as $t = 2y - 1 \in \{-1, +1\}$ and each term is $\log(1 + e^{-t x})$ (lesson 11's
# `SoftMarginLoss`), a smooth version of the hinge loss $\max(0, 1 - t x)$:
#
# $$-\log \sigma(t\,x) = \log\left(1 + e^{-t\,x}\right), \qquad t = 2y - 1$$
#
# The left plot is one class's loss against its logit; the right one draws this soft margin together with the
# hard margin (the hinge) of section 2, against the margin $m = t\,x$ (for section 2, the score of a positive
# class minus that of a negative one).
#
# ### 1.3 From scratch, checked against PyTorch
#
# Do not write $\log \sigma(x)$ as `torch.log(torch.sigmoid(x))`: at $x = -120$, $\sigma(x)$ underflows to 0 in
# float32 and its log is $-\infty$. The stable form is $\log \sigma(x) = \min(x, 0) - \log(1 + e^{-|x|})$
# (lesson 06's log-sum-exp trick). The checks below include logits of $\pm 120$ on purpose, cover `weight` or
# none, the three `reduction`s and a single sample without a batch dimension, and verify the relation to
# `BCEWithLogitsLoss` and that `weight` is not normalized.

# %%
ATTRIBUTES = [  # (中文, English, 有这个属性的类别 / the classes that have it)
    ("上身", "upper body", [0, 2, 3, 4, 6]),
    ("下身", "lower body", [1, 3]),
    ("鞋", "footwear", [5, 7, 9]),
    ("有袖", "sleeves", [0, 2, 4, 6]),
    ("保暖", "warm", [2, 4, 9]),
]
K = len(ATTRIBUTES)
multi_hot = torch.zeros(10, K)  # 类别 → 多热目标 / class → multi-hot target
for k, (_, _, classes) in enumerate(ATTRIBUTES):
    multi_hot[classes, k] = 1
index_targets = torch.full((10, K), -1)  # 类别 → 以 -1 结尾的属性编号 / class → -1-terminated list
for c in range(10):
    positive = multi_hot[c].nonzero().flatten()
    index_targets[c, : len(positive)] = positive

print(fc.pad("", 21) + "".join(fc.pad(zh, 11, ">") for zh, _, _ in ATTRIBUTES) + "   Margin")
print(fc.pad("", 21) + "".join(f"{en:>11}" for _, en, _ in ATTRIBUTES) + "   target")
for c in range(10):
    marks = "".join(fc.pad("✓" if multi_hot[c, k] else "·", 11, ">") for k in range(K))
    print(fc.pad(fc.class_name(c), 21) + marks + f"   {index_targets[c].tolist()}")

# %%
logit = torch.linspace(-4, 4, 401)
fig, (ax_soft, ax_margin) = plt.subplots(1, 2, figsize=(10, 3.5))
ax_soft.plot(logit, -F.logsigmoid(logit), label=r"$y = 1$: $\log(1 + e^{-x})$")
ax_soft.plot(logit, -F.logsigmoid(-logit), label=r"$y = 0$: $\log(1 + e^{x})$")
ax_soft.set_xlabel("logit x")
ax_soft.set_ylabel(fc.label("一个类别的损失", "loss of one class"))
ax_margin.plot(logit, -F.logsigmoid(logit),
               label=fc.label("软间隔", "soft margin") + r": $\log(1 + e^{-m})$")
ax_margin.plot(logit, (1 - logit).clamp(min=0),
               label=fc.label("合页", "hinge") + r": $\max(0, 1 - m)$")
ax_margin.set_xlabel(fc.label("间隔 m", "margin m"))
ax_margin.set_ylabel(fc.label("损失", "loss"))
for ax in (ax_soft, ax_margin):
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.suptitle(fc.label("每个类别一个二元交叉熵；软间隔是光滑的合页",
                      "one binary cross-entropy per class; the soft margin is a smooth hinge"))
fig.tight_layout()
plt.show()

# %%
def log_sigmoid(x):
    """稳定的 log σ(x) / a stable log σ(x)."""
    return x.clamp(max=0) - torch.log1p(torch.exp(-x.abs()))


def multilabel_soft_margin(x, y, weight=None, reduction="mean"):
    loss = -(y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x))  # (N, C)
    if weight is not None:
        loss = loss * weight
    return reduce(loss.mean(dim=-1), reduction)  # 先对 C 个类别求平均 / first the mean over C classes


torch.manual_seed(0)
x0 = 3 * torch.randn(8, K)
y = multi_hot[torch.randint(0, 10, (8,))]
x0[0, 0], y[0, 0], x0[1, 1], y[1, 1] = 120.0, 0.0, -120.0, 1.0  # 很错的极端 logit / wrong, extreme
weight = torch.tensor([1.0, 2.0, 0.5, 1.5, 3.0])
for w in (None, weight):
    for reduction in REDUCTIONS:
        x = x0.clone().requires_grad_(True)
        ours = multilabel_soft_margin(x, y, w, reduction)
        theirs = nn.MultiLabelSoftMarginLoss(weight=w, reduction=reduction)(x, y)
        assert_close(ours, theirs, "MultiLabelSoftMarginLoss")
        assert_close(grad(ours, x), grad(theirs, x), "MultiLabelSoftMarginLoss")
    single = nn.MultiLabelSoftMarginLoss(weight=w)(x0[2], y[2])  # 没有批次维 / no batch dimension
    assert_close(multilabel_soft_margin(x0[2], y[2], w), single, "MultiLabelSoftMarginLoss")
print("MultiLabelSoftMarginLoss ✓ 与 nn.MultiLabelSoftMarginLoss 一致 / matches")
print("  (weight; mean, sum, none; unbatched), 梯度 / gradient ✓")

bce = nn.BCEWithLogitsLoss(reduction="none")(x0, y)
soft_margin = nn.MultiLabelSoftMarginLoss
assert_close(soft_margin(reduction="none")(x0, y), bce.mean(dim=1), "MultiLabelSoftMarginLoss")
assert_close(soft_margin()(x0, y), bce.mean(), "MultiLabelSoftMarginLoss")
assert_close(soft_margin(reduction="sum")(x0, y), bce.sum() / K, "MultiLabelSoftMarginLoss")
assert_close(soft_margin(weight=2 * weight)(x0, y), 2 * soft_margin(weight=weight)(x0, y),
             "MultiLabelSoftMarginLoss")
print("与 BCEWithLogitsLoss 的关系 ✓ none = 按行平均，mean 相同，sum = BCE 之和 / C")
print("relation to BCEWithLogitsLoss ✓ none = row means, mean equal, sum = BCE sum / C")
print("weight 不归一化 ✓ 权重乘 2，损失也乘 2 / weight not normalized: doubling it doubles the loss")

# %% tags=["grading-skip"]
# 第 3、6、8 节的实验共用的数据和训练函数 / the data and the training loop of sections 3, 6 and 8
SEED = 0
train_loader, val_loader, _ = fc.get_tensor_loaders(
    256, device, generator=torch.Generator().manual_seed(SEED), val_size=10_000)
X_train, y_train, X_val, y_val = train_loader.X, train_loader.y, val_loader.X, val_loader.y


def train(model, batch_loss, n, epochs, batch_size=256, lr=1e-3, seed=SEED):
    """用 Adam 训练；batch_loss(idx) 给出下标为 idx 的一批的损失
    / train with Adam; batch_loss(idx) is the loss of the batch with indices idx."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(n, generator=order).split(batch_size):
            loss = batch_loss(idx.to(device))
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    return model


def small_mlp(n_in, n_out, hidden=64):
    return nn.Sequential(nn.Flatten(), nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))


# %% [markdown] tags=["zh"]
# ## 2. 多标签排序：`MultiLabelMarginLoss`（选读）
#
# ### 2.1 定义
#
# 这个损失不问“每个属性是不是”，只要求每个正类（有的属性）的得分比每个负类（没有的属性）高出至少 1。目标不是多热向量，而是一个类别编号的列表：形状和输入一样是 `(N, C)` 的整数张量，每行从头开始写正类的编号，写完后跟一个 $-1$；第一个 $-1$ 之后的内容全部忽略（见第 1 节表格的最右列）。记第 $n$ 行第一个 $-1$ 之前的列表为 $Y_n$：
#
# $$\ell_n = \frac{1}{C} \sum_{j \in Y_n} \sum_{i \notin Y_n} \max\bigl(0,\; 1 - (x_{n,j} - x_{n,i})\bigr)$$
#
# 每一对（正类 $j$，负类 $i$）贡献一个合页：得分差 $x_j - x_i$ 超过 1 时损失为 0，否则线性增长（第 1 节右图的橙线）。`reduction` 同第 1 节：`"none"` 给出 `(N,)`，`"mean"` 对 $N$ 求平均，`"sum"` 求和。没有构造参数，也没有 `weight`。
#
# 与教科书的区别：排序损失通常按“对”的个数归一化，例如 BP-MLL（Zhang 和 Zhou，2006）除以 $|Y_n| \cdot |\bar{Y}_n|$。PyTorch 除以的是类别数 $C$，所以正负类都多的样本（对更多）分量更重。还要注意两个边界：列表里写了两次的类别会算两次；一个正类都没有的样本（我们的“包”）没有任何一对，损失和梯度都是 0，模型从它身上学不到任何东西。

# %% [markdown] tags=["en"]
# ## 2. Multi-label ranking: `MultiLabelMarginLoss` (optional)
#
# ### 2.1 Definition
#
# This loss does not ask "is each attribute there"; it asks only that every positive class (an attribute the
# sample has) score at least 1 above every negative class (one it does not have). The target is not a
# multi-hot vector but a list of class indices: an integer tensor of shape `(N, C)` like the input, each row
# listing the positive classes from the start, followed by a $-1$; everything after the first $-1$ is ignored
# (the right-hand column of the table in section 1). Call $Y_n$ the list before the first $-1$ of row $n$:
#
# $$\ell_n = \frac{1}{C} \sum_{j \in Y_n} \sum_{i \notin Y_n} \max\bigl(0,\; 1 - (x_{n,j} - x_{n,i})\bigr)$$
#
# Each pair (positive $j$, negative $i$) adds one hinge: zero once the score difference $x_j - x_i$ exceeds 1,
# growing linearly below that (the orange line in the right plot of section 1). `reduction` is as in section 1:
# `"none"` gives `(N,)`, `"mean"` averages over $N$, `"sum"` adds up. There are no constructor options and no
# `weight`.
#
# Where it differs from the textbook: ranking losses are usually normalized by the number of pairs, BP-MLL
# (Zhang and Zhou, 2006) for one divides by $|Y_n| \cdot |\bar{Y}_n|$. PyTorch divides by the number of classes
# $C$, so a sample with many positives and many negatives (more pairs) weighs more. Two edge cases too: a class
# listed twice counts twice; a sample with no positive class at all (our bag) has no pair, so its loss and its
# gradient are 0 and the model learns nothing from it.

# %%
def multilabel_margin(x, y, reduction="mean"):
    C = x.shape[-1]
    listed = (y >= 0).cumprod(dim=-1)  # 第一个 -1 之前为 1 / 1 before the first -1
    index = torch.where(listed.bool(), y, C)  # 之后的都指向多出的第 C 列 / later: an extra column C
    count = torch.zeros(*y.shape[:-1], C + 1).scatter_add(-1, index, listed.float())[..., :C]
    negative = count == 0  # 不在列表里的类别 i / the classes i not in the list
    hinge = (1 - (x.unsqueeze(-1) - x.unsqueeze(-2))).clamp(min=0)  # [j, i]: 1 - (x_j - x_i), ≥ 0
    loss = (count.unsqueeze(-1) * hinge * negative.unsqueeze(-2)).sum(dim=(-2, -1)) / C
    return reduce(loss, reduction)


x_doc, y_doc = torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([[3, 0, -1, 1]])
assert_close(multilabel_margin(x_doc, y_doc), torch.tensor(0.85), "MultiLabelMarginLoss")
assert_close(nn.MultiLabelMarginLoss()(x_doc, y_doc), torch.tensor(0.85), "MultiLabelMarginLoss")
print("文档的例子 / the docs' example: Y = [3, 0]，负类 / negatives {1, 2}（-1 后的 1 不算 / ignored）")
print("  (0.4 + 0.6 + 1.1 + 1.3) / C = 3.4 / 4 = 0.85 ✓")

torch.manual_seed(1)
x0 = 2 * torch.randn(6, 5)
y = torch.tensor([
    [3, 0, -1, 1, 2],  # -1 之后的 1、2 不算 / the 1 and 2 after -1 do not count
    [1, 4, 2, -1, -1],
    [0, 1, 2, 3, 4],  # 全是正类：没有负类 / all positive: no negative
    [-1, 0, 0, 0, 0],  # 没有正类 / no positive
    [2, 2, -1, 0, 0],  # 写了两次的 2 算两次 / the 2 listed twice counts twice
    [4, -1, 3, 3, 3],
])
margin_loss = nn.MultiLabelMarginLoss
for reduction in REDUCTIONS:
    x = x0.clone().requires_grad_(True)
    ours, theirs = multilabel_margin(x, y, reduction), margin_loss(reduction=reduction)(x, y)
    assert_close(ours, theirs, "MultiLabelMarginLoss")
    assert_close(grad(ours, x), grad(theirs, x), "MultiLabelMarginLoss")
    single = margin_loss(reduction=reduction)(x0[1], y[1])  # 没有批次维 / no batch dimension
    assert_close(multilabel_margin(x0[1], y[1], reduction), single, "MultiLabelMarginLoss")
print("MultiLabelMarginLoss ✓ 与 nn.MultiLabelMarginLoss 一致 / matches")
print("  (mean, sum, none; unbatched), 梯度 / gradient ✓")

x = x0.clone().requires_grad_(True)
none = margin_loss(reduction="none")(x, y)
twice = margin_loss(reduction="none")(x0[4:5], torch.tensor([[2, -1, 0, 0, 0]]))
assert_close(none[4], 2 * twice[0], "MultiLabelMarginLoss")
assert none[2] == 0 and none[3] == 0 and (grad(none, x)[[2, 3]] == 0).all()
print("写两次的类别 ✓ 算两次 / a class listed twice ✓ counts twice")
print("没有正类或没有负类的样本 ✓ 损失和梯度都是 0 / no positive or no negative: loss and gradient 0")

# %% [markdown] tags=["zh"]
# ## 3. 在 Fashion-MNIST 上：两种多标签损失（选读）
#
# 同一个小模型（784 → 64 → 5 的多层感知机），分别用两种损失在 50,000 张训练图片上训练 2 轮，目标是第 1 节的属性。在 10,000 张验证图片上比较三件事：
#
# - 排序准确率：所有（正类，负类）对里，正类得分更高的比例，两种损失都在优化它；
# - 完全正确的比例：把 logit $> 0$（即 $\sigma(x) > 0.5$）当作“有”，5 个属性全对的图片所占比例；
# - 包：预测为“一个属性都没有”的包所占比例。
#
# 训练的输出因机器而异，这个单元格不比较输出；下一个单元格用带余量的比较检查结论。

# %% [markdown] tags=["en"]
# ## 3. On Fashion-MNIST: the two multi-label losses (optional)
#
# The same small model (an MLP 784 → 64 → 5), trained for 2 epochs on the 50,000 training images with each loss
# in turn, the targets being the attributes of section 1. On the 10,000 validation images we compare three
# things:
#
# - ranking accuracy: among all (positive, negative) pairs, the fraction where the positive class scores
#   higher; both losses optimize it;
# - exact match: reading a logit $> 0$ (that is, $\sigma(x) > 0.5$) as "has it", the fraction of images with
#   all 5 attributes right;
# - bags: the fraction of bags predicted to have no attribute at all.
#
# The training output varies between machines, so this cell's output is not compared; the next cell checks the
# conclusions as comparisons with a margin.

# %% tags=["nbval-ignore-output", "grading-skip"]
def ranking_accuracy(scores, positive):
    """（正类, 负类）对里正类得分更高的比例 / the fraction of (positive, negative) pairs in order."""
    pairs = positive.unsqueeze(2) & ~positive.unsqueeze(1)
    return ((scores.unsqueeze(2) > scores.unsqueeze(1)) & pairs).sum().item() / pairs.sum().item()


positive_val = multi_hot.to(device)[y_val].bool()
multilabel = {}
for name, table in [("MultiLabelSoftMarginLoss", multi_hot),
                    ("MultiLabelMarginLoss", index_targets)]:
    torch.manual_seed(SEED)
    model, loss_fn, table = small_mlp(784, K).to(device), getattr(nn, name)(), table.to(device)
    train(model, lambda idx: loss_fn(model(X_train[idx]), table[y_train[idx]]), len(X_train), 2)
    with torch.no_grad():
        scores = model(X_val)
    predicted = scores > 0
    multilabel[name] = {
        "rank": ranking_accuracy(scores, positive_val),
        "exact": (predicted == positive_val).all(dim=1).float().mean().item(),
        "bag": (~predicted[y_val == 8]).all(dim=1).float().mean().item(),
    }
print(fc.pad("损失 / loss", 26) + fc.pad("排序 / ranking", 16, ">") + fc.pad("全对 / exact", 16, ">")
      + fc.pad("包：无属性 / bag: none", 26, ">"))
for name, r in multilabel.items():
    print(f"{name:<26}{100 * r['rank']:>15.1f}%{100 * r['exact']:>15.1f}%{100 * r['bag']:>25.1f}%")

# %% tags=["grading-skip"]
soft, hard = multilabel["MultiLabelSoftMarginLoss"], multilabel["MultiLabelMarginLoss"]
assert soft["rank"] > 0.97 and hard["rank"] > 0.97, multilabel
assert soft["exact"] > 0.8 and soft["exact"] > hard["exact"] + 0.15, multilabel
assert soft["bag"] > 0.8 and hard["bag"] < 0.5, multilabel
print("排序 ✓ 两种损失的排序准确率都超过 97% / ranking ✓ both above 97%")
print("阈值 0 ✓ 软间隔模型全对的比例高出 15 个百分点以上 / threshold 0 ✓ soft margin ahead by > 15 points")
print("包 ✓ 软间隔模型多数说“没有属性”，排序模型多数说不出 / bags ✓ soft margin mostly says 'none'")

# %% [markdown] tags=["zh"]
# 两个模型把正类排在负类前面的本事差不多，但只有 `MultiLabelSoftMarginLoss` 训练出的分数有绝对的意义：它的每个 logit 是“有这个属性”的对数几率，阈值 0 就是概率 0.5。`MultiLabelMarginLoss` 只约束得分之差，整体加上一个常数损失不变，所以阈值 0 没有意义；包一个正类都没有，它对包的梯度是 0，模型不会学着把包的所有属性都压低。
#
# ### 3.1 何时使用
#
# - **`MultiLabelSoftMarginLoss`**：多标签分类的默认选择，与 `BCEWithLogitsLoss` 等价，只是 `"none"` 给每个样本一个数。需要按属性加权时用 `weight`，记住它不归一化。预测时对每个 logit 取阈值（默认 0，可以在验证集上为每个属性调）。
# - **`MultiLabelMarginLoss`**：只关心排序时用，例如给一张图的标签排序、取前几个。要得到一个集合，还需要另外的规则（取前 $k$ 个，或另外学一个阈值）；有些样本可能一个正类都没有时，它学不到“都没有”。
# - 输入约定：两者的输入都是 logits（不要先过 sigmoid）。前者的目标是与输入同形状的 0/1 浮点张量；后者的目标是与输入同形状的整数张量，每行先列出正类的编号、再接一个 $-1$（正类占满一行时不需要），正类的顺序无所谓。

# %% [markdown] tags=["en"]
# The two models are about equally good at putting positives before negatives, but only the scores trained by
# `MultiLabelSoftMarginLoss` mean something on their own: each logit is the log-odds of "has this attribute",
# and the threshold 0 is probability 0.5. `MultiLabelMarginLoss` constrains only score differences: adding a
# constant to all scores leaves its loss unchanged, so the threshold 0 means nothing; and since a bag has no
# positive, its gradient on bags is 0, and the model never learns to push all of a bag's attributes down.
#
# ### 3.1 When to use
#
# - **`MultiLabelSoftMarginLoss`**: the default for multi-label classification, equivalent to
#   `BCEWithLogitsLoss` except that `"none"` gives one number per sample. Use `weight` to weight attributes, and
#   remember that it is not normalized. To predict, threshold each logit (0 by default; it can be tuned per
#   attribute on the validation set).
# - **`MultiLabelMarginLoss`**: when only the ranking matters, e.g. ordering an image's tags and keeping the top
#   few. To get a set you need another rule (the top $k$, or a threshold learned separately); when some samples
#   may have no positive at all, it cannot learn "none".
# - Input contract: both take logits (no sigmoid first). The first wants a 0/1 float target of the input's
#   shape; the second an integer tensor of the input's shape, each row listing the positive classes and then a
#   $-1$ (not needed when the positives fill the row), in any order.

# %% [markdown] tags=["zh"]
# ## 4. 计数：`PoissonNLLLoss`
#
# ### 4.1 定义
#
# 目标是一个计数（一段时间里的来电数、一块区域里的细胞数）时，常用泊松分布（Poisson distribution）建模：模型预测速率 $\lambda > 0$，观察到 $y$ 的概率和负对数似然是
#
# $$P(y \mid \lambda) = \frac{\lambda^{y} e^{-\lambda}}{y!}, \qquad -\log P(y \mid \lambda) = \lambda - y \log \lambda + \log(y!)$$
#
# PyTorch 默认丢掉与模型无关的 $\log(y!)$，并用参数 `log_input` 决定输入 $x$ 是什么：
#
# $$\ell_i = \begin{cases} e^{x_i} - y_i\, x_i & \texttt{log\_input=True},\; x_i = \log \lambda_i \\ x_i - y_i \log(x_i + \varepsilon) & \texttt{log\_input=False},\; x_i = \lambda_i \end{cases}$$
#
# `eps`（$\varepsilon$，默认 $10^{-8}$）只在 `log_input=False` 时用到，防止 $\lambda = 0$ 时取 $\log 0$。`full=True` 时再加上 $\log(y!)$，但不是精确值，而是斯特林近似（Stirling's approximation），而且只加在 $y > 1$ 处（$y = 0, 1$ 时 $\log y! = 0$ 本来就精确）：
#
# $$\ell_i^{\text{full}} = \ell_i + \begin{cases} y_i \log y_i - y_i + \frac{1}{2} \log(2 \pi y_i) & y_i > 1 \\ 0 & y_i \le 1 \end{cases}$$
#
# 这就是 PyTorch 与教科书的区别：`full=True` 也不是精确的负对数似然，$y = 2$ 时差 0.041，$y$ 越大差得越少（约 $1/(12y)$）。`reduction` 对所有元素求平均或求和（与第 05 课相同）。
#
# ### 4.2 直觉
#
# 左图：损失对 $\lambda$ 的最小值恰好在 $\lambda = y$ 处（求导：$1 - y/\lambda = 0$），所以模型学到的是计数的期望。曲线不对称：$\lambda$ 太小比太大受罚更重，$y = 0$ 时损失就是 $\lambda$ 本身。右图：精确的 $\log y!$ 与 PyTorch `full=True` 加上的那一项。
#
# 为什么默认 `log_input=True`？对 $x = \log\lambda$ 求导得 $\partial \ell / \partial x = \lambda - y$，就是预测与目标之差，平滑，$\lambda$ 接近 0 时也不会变大，模型的输出也不必限制为正；而 `log_input=False` 的导数 $1 - y / (\lambda + \varepsilon)$ 在 $\lambda$ 接近 0 时会变得极大。
#
# ### 4.3 从零实现，与 PyTorch 对照
#
# 检查覆盖 `log_input`、`full`、`eps` 和三种 `reduction` 的全部组合，目标里有 0、1 和一个非整数（PyTorch 不要求计数是整数），`log_input=False` 时还有一个 $\lambda = 0$。最后把 `full=True` 与 `torch.distributions.Poisson` 给出的精确负对数似然比较，差值正是 $\log y!$ 减去斯特林项。

# %% [markdown] tags=["en"]
# ## 4. Counts: `PoissonNLLLoss`
#
# ### 4.1 Definition
#
# When the target is a count (calls in an hour, cells in a patch of tissue), a Poisson distribution is the usual
# model: the model predicts a rate $\lambda > 0$, and the probability of observing $y$ and its negative
# log-likelihood are
#
# $$P(y \mid \lambda) = \frac{\lambda^{y} e^{-\lambda}}{y!}, \qquad -\log P(y \mid \lambda) = \lambda - y \log \lambda + \log(y!)$$
#
# By default PyTorch drops $\log(y!)$, which does not depend on the model, and the argument `log_input` says
# what the input $x$ is:
#
# $$\ell_i = \begin{cases} e^{x_i} - y_i\, x_i & \texttt{log\_input=True},\; x_i = \log \lambda_i \\ x_i - y_i \log(x_i + \varepsilon) & \texttt{log\_input=False},\; x_i = \lambda_i \end{cases}$$
#
# `eps` ($\varepsilon$, default $10^{-8}$) is used only with `log_input=False`, to keep $\lambda = 0$ from taking
# $\log 0$. `full=True` adds $\log(y!)$ back, but not exactly: it adds Stirling's approximation, and only where
# $y > 1$ (for $y = 0, 1$, $\log y! = 0$ exactly):
#
# $$\ell_i^{\text{full}} = \ell_i + \begin{cases} y_i \log y_i - y_i + \frac{1}{2} \log(2 \pi y_i) & y_i > 1 \\ 0 & y_i \le 1 \end{cases}$$
#
# That is where PyTorch differs from the textbook: even `full=True` is not the exact negative log-likelihood; at
# $y = 2$ it is off by 0.041, less for larger $y$ (about $1/(12y)$). `reduction` averages or sums over all
# elements (as in lesson 05).
#
# ### 4.2 Intuition
#
# Left: the loss is smallest exactly at $\lambda = y$ (the derivative $1 - y/\lambda$ is 0 there), so the model
# learns the expected count. The curve is not symmetric: a $\lambda$ too small costs more than one too large,
# and for $y = 0$ the loss is $\lambda$ itself. Right: the exact $\log y!$ and the term PyTorch's `full=True`
# adds.
#
# Why is `log_input=True` the default? With $x = \log\lambda$ the derivative is $\partial \ell / \partial x =
# \lambda - y$, just the prediction minus the target: smooth, and small even as $\lambda$ approaches 0; and the
# model's output need not be kept positive; the derivative with
# `log_input=False`, $1 - y / (\lambda + \varepsilon)$, gets huge as $\lambda$ approaches 0.
#
# ### 4.3 From scratch, checked against PyTorch
#
# The checks cover every combination of `log_input`, `full`, `eps` and the three `reduction`s; the targets
# include 0, 1 and a non-integer (PyTorch does not require counts to be integers), and with `log_input=False`
# one $\lambda$ is 0. Last, `full=True` is compared with the exact negative log-likelihood from
# `torch.distributions.Poisson`: the gap is exactly $\log y!$ minus the Stirling term.

# %%
rate = torch.linspace(0.05, 10, 400)
counts = torch.arange(0.0, 11.0)
fig, (ax_loss, ax_term) = plt.subplots(1, 2, figsize=(10, 3.5))
for i, count in enumerate((0, 2, 5)):
    target = torch.full_like(rate, count)
    loss = nn.PoissonNLLLoss(log_input=False, reduction="none")(rate, target)
    ax_loss.plot(rate, loss, color=f"C{i}", label=f"y = {count}")
    if count:
        ax_loss.plot(count, count - count * math.log(count), "o", color=f"C{i}")
ax_loss.set_xlabel(fc.label("预测的速率 λ", "predicted rate λ"))
ax_loss.set_ylabel(r"$\lambda - y \log \lambda$")
ax_loss.set_ylim(-5, 10)
plain = nn.PoissonNLLLoss(log_input=False, reduction="none")
full = nn.PoissonNLLLoss(log_input=False, full=True, reduction="none")
added = full(torch.ones(11), counts) - plain(torch.ones(11), counts)  # full=True 多加的 / the extra
smooth = torch.linspace(0.3, 10, 200)
ax_term.plot(smooth, smooth * smooth.log() - smooth + 0.5 * torch.log(2 * math.pi * smooth), "--",
             color="gray", label=fc.label("斯特林公式", "Stirling's formula"))
ax_term.plot(counts, torch.lgamma(counts + 1), "o", label=r"$\log y!$")
ax_term.plot(counts, added, "x", ms=8, label=fc.label("full=True 加上的", "added by full=True"))
ax_term.set_xlabel("y")
for ax in (ax_loss, ax_term):
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.suptitle(fc.label("泊松负对数似然：最小值在 λ = y；斯特林项只加在 y > 1 处",
                      "Poisson NLL: smallest at λ = y; the Stirling term only where y > 1"))
fig.tight_layout()
plt.show()

# %%
def poisson_nll(x, target, log_input=True, full=False, eps=1e-8, reduction="mean"):
    if log_input:  # x = log λ
        loss = torch.exp(x) - target * x
    else:  # x = λ
        loss = x - target * torch.log(x + eps)
    if full:  # 斯特林近似的 log(y!)，只在 y > 1 处 / Stirling's log(y!), only where y > 1
        stirling = target * torch.log(target) - target + 0.5 * torch.log(2 * math.pi * target)
        loss = loss + torch.where(target > 1, stirling, 0.0)
    return reduce(loss, reduction)


torch.manual_seed(2)
rate = 4 * torch.rand(8, 3) + 0.1
y = torch.poisson(rate)
y[0] = torch.tensor([0.0, 1.0, 2.5])  # 0、1 和一个非整数 / 0, 1 and a non-integer
for log_input in (True, False):
    x0 = rate.log() if log_input else rate.clone()
    if not log_input:
        x0[1, 0] = 0.0  # λ = 0：靠 eps 避开 log 0 / eps keeps log(0) away
    for full, eps, reduction in itertools.product((False, True), (1e-8, 0.5), REDUCTIONS):
        x = x0.clone().requires_grad_(True)
        ours = poisson_nll(x, y, log_input, full, eps, reduction)
        loss_fn = nn.PoissonNLLLoss(log_input=log_input, full=full, eps=eps, reduction=reduction)
        theirs = loss_fn(x, y)
        assert_close(ours, theirs, "PoissonNLLLoss")
        assert_close(grad(ours, x), grad(theirs, x), "PoissonNLLLoss")
print("PoissonNLLLoss ✓ 与 nn.PoissonNLLLoss 一致 / matches")
print("  (log_input, full, eps; mean, sum, none), 梯度 / gradient ✓")

counts = torch.arange(0.0, 6.0)
lam = torch.full_like(counts, 2.0)
exact = -torch.distributions.Poisson(lam).log_prob(counts)  # λ - y log λ + log y!
pytorch_full = nn.PoissonNLLLoss(log_input=False, full=True, reduction="none")(lam, counts)
stirling = poisson_nll(lam, counts, False, True, reduction="none") - poisson_nll(
    lam, counts, False, False, reduction="none")
assert_close(exact - pytorch_full, torch.lgamma(counts + 1) - stirling, "PoissonNLLLoss")
print("full=True 与精确的负对数似然 / and the exact negative log-likelihood (λ = 2):")
print(f"{'y':>3}{'log y!':>10}{'full=True':>12}{fc.pad('差 / gap', 12, '>')}")
log_factorial = torch.lgamma(counts + 1)
for count, log_fact, term in zip(counts.tolist(), log_factorial.tolist(), stirling.tolist()):
    print(f"{count:>3.0f}{log_fact:>10.4f}{term:>12.4f}{log_fact - term:>12.4f}")

# %% [markdown] tags=["zh"]
# ### 4.4 何时使用
#
# - 目标是非负的计数或速率：事件数、光子数、访问量。方差随均值增大（泊松分布的方差等于均值）时，它比 MSE 合适：同样差 3，期望为 100 的计数比期望为 2 的受罚轻。
# - 用默认的 `log_input=True`，让模型直接输出 $\log \lambda$；预测的计数是 `exp(output)`。只有模型的输出本来就是正的速率时才用 `log_input=False`，并保留 `eps`。
# - `full` 不改变梯度（斯特林项只与目标有关），只改变损失的数值；要报告真正的负对数似然、或与别的分布比较时，精确的 $\log y!$ 用 `torch.lgamma(y + 1)`。
# - 计数的方差明显大于均值（过度离散）时，泊松分布太窄，可以考虑负二项分布（`torch.distributions.NegativeBinomial`）。

# %% [markdown] tags=["en"]
# ### 4.4 When to use
#
# - Non-negative counts or rates as targets: event counts, photon counts, page views. When the variance grows
#   with the mean (a Poisson's variance equals its mean) it suits better than MSE: the same miss of 3 costs less
#   for an expected count of 100 than for one of 2.
# - Keep the default `log_input=True` and let the model output $\log \lambda$; the predicted count is
#   `exp(output)`. Use `log_input=False` only when the model's output already is a positive rate, and keep
#   `eps`.
# - `full` does not change the gradient (the Stirling term depends on the target only), only the loss value; to
#   report a true negative log-likelihood, or compare with another distribution, take the exact $\log y!$ as
#   `torch.lgamma(y + 1)`.
# - When the counts vary much more than their mean (overdispersion), a Poisson is too narrow; consider a negative
#   binomial (`torch.distributions.NegativeBinomial`).

# %% [markdown] tags=["zh"]
# ## 5. 不确定性：`GaussianNLLLoss`
#
# ### 5.1 定义
#
# 第 05 课说过，MSE 相当于假设噪声是方差固定的高斯分布。如果让模型同时预测均值 $\mu$ 和方差 $\sigma^2$，就能说出“这个预测我有多没把握”：难的样本给大方差，容易的给小方差。高斯分布的负对数似然是
#
# $$-\log \mathcal{N}(y \mid \mu, \sigma^2) = \frac{1}{2} \log(2\pi\sigma^2) + \frac{(y - \mu)^2}{2\sigma^2}$$
#
# PyTorch 的 `GaussianNLLLoss(input, target, var)` 默认丢掉常数 $\frac{1}{2}\log 2\pi$，并先把方差截断到不小于 `eps`（默认 $10^{-6}$）：
#
# $$\ell_i = \frac{1}{2} \left( \log \max(\sigma_i^2, \varepsilon) + \frac{(\mu_i - y_i)^2}{\max(\sigma_i^2, \varepsilon)} \right)$$
#
# `full=True` 时加回常数：
#
# $$\ell_i^{\text{full}} = \ell_i + \frac{1}{2} \log(2\pi)$$
#
# 方差 `var` 可以是：与输入同形状（每个元素一个方差，异方差 heteroscedastic）；比输入少最后一维，例如输入 `(N, D)`、方差 `(N,)`，PyTorch 会先把它变成 `(N, 1)`（每个样本一个方差）；只有一维不同且那一维是 1，例如输入 `(N, 3, H, W)`、方差 `(N, 1, H, W)`；或者一个 Python 浮点数（所有元素同一个方差，同方差 homoscedastic）。方差不能是负数，否则报 `ValueError`。`reduction="mean"` 对广播后的所有元素求平均：方差是 `(N,)`、输入是 `(N, D)` 时，也是除以 $N \cdot D$。
#
# 与教科书的另一个区别在截断：PyTorch 在 `torch.no_grad()` 里原地截断方差的一个副本，所以数值被截断了，梯度却像没截断一样流过（直通 straight-through）。方差小于 `eps` 时，普通的 `clamp` 给出的梯度是 0，PyTorch 给出的是在 `eps` 处的梯度，方差仍会被推着走。右图用一个很大的 `eps = 0.1` 把这一点画了出来。
#
# ### 5.2 直觉
#
# 对 $\sigma^2$ 求导：$\frac{\partial \ell}{\partial \sigma^2} = \frac{1}{2}\left(\frac{1}{\sigma^2} - \frac{e^2}{\sigma^4}\right)$，其中 $e = \mu - y$。它在 $\sigma^2 = e^2$ 处为 0：模型最好把方差报成误差的平方（左图的圆点）。报得太小，$e^2/\sigma^2$ 项罚得很重；报得太大，$\log \sigma^2$ 项罚它。于是对难以预测的样本，增大方差比硬拟合更划算。
#
# ### 5.3 从零实现，与 PyTorch 对照
#
# 直通的截断写作 `var + (var.clamp(min=eps) - var).detach()`：数值等于截断后的方差，而括号里的修正不参与求导，梯度就像没有截断。检查覆盖方差的五种形状（其中有一个元素小于 `eps`）、`full`、`eps` 和三种 `reduction`，对均值和方差两个输入都比较梯度。

# %% [markdown] tags=["en"]
# ## 5. Uncertainty: `GaussianNLLLoss`
#
# ### 5.1 Definition
#
# Lesson 05 showed that MSE amounts to Gaussian noise of a fixed variance. Let the model predict both a mean
# $\mu$ and a variance $\sigma^2$, and it can say "this is how unsure I am": a large variance for the hard
# samples, a small one for the easy ones. The Gaussian negative log-likelihood is
#
# $$-\log \mathcal{N}(y \mid \mu, \sigma^2) = \frac{1}{2} \log(2\pi\sigma^2) + \frac{(y - \mu)^2}{2\sigma^2}$$
#
# PyTorch's `GaussianNLLLoss(input, target, var)` drops the constant $\frac{1}{2}\log 2\pi$ by default and first
# clamps the variance to at least `eps` (default $10^{-6}$):
#
# $$\ell_i = \frac{1}{2} \left( \log \max(\sigma_i^2, \varepsilon) + \frac{(\mu_i - y_i)^2}{\max(\sigma_i^2, \varepsilon)} \right)$$
#
# With `full=True` the constant comes back:
#
# $$\ell_i^{\text{full}} = \ell_i + \frac{1}{2} \log(2\pi)$$
#
# The variance `var` can be: the input's shape (one variance per element, heteroscedastic); one dimension short
# of the input, e.g. input `(N, D)` and variance `(N,)`, which PyTorch turns into `(N, 1)` (one variance per
# sample); different in one dimension only, that dimension being 1, e.g. input `(N, 3, H, W)` and variance
# `(N, 1, H, W)`; or a Python float (the same variance everywhere, homoscedastic). A negative variance raises
# `ValueError`. `reduction="mean"` averages over all elements after broadcasting: with variance `(N,)` and
# input `(N, D)` it still divides by $N \cdot D$.
#
# The other difference from the textbook is the clamp: PyTorch clamps a copy of the variance in place inside
# `torch.no_grad()`, so the value is clamped but the gradient flows as if it were not (straight-through). Below
# `eps`, an ordinary `clamp` gives a gradient of 0; PyTorch gives the gradient at `eps`, and the variance keeps
# being pushed. The right plot shows it with a large `eps = 0.1`.
#
# ### 5.2 Intuition
#
# The derivative with respect to $\sigma^2$ is $\frac{\partial \ell}{\partial \sigma^2} =
# \frac{1}{2}\left(\frac{1}{\sigma^2} - \frac{e^2}{\sigma^4}\right)$, with $e = \mu - y$. It is 0 at $\sigma^2 =
# e^2$: the model does best by reporting the squared error as its variance (the dots on the left). Report too
# small a variance and the $e^2/\sigma^2$ term punishes hard; too large, and the $\log \sigma^2$ term does. So
# for a sample that is hard to predict, raising the variance pays better than forcing a fit.
#
# ### 5.3 From scratch, checked against PyTorch
#
# The straight-through clamp is `var + (var.clamp(min=eps) - var).detach()`: its value is the clamped variance,
# and the correction in brackets takes no part in differentiation, so the gradient is as without the clamp. The
# checks cover five shapes of the variance (each with one element below `eps`), `full`, `eps` and the three
# `reduction`s, and compare the gradients with respect to both the mean and the variance.

# %%
variance = torch.logspace(-2, 1.5, 300)
fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(10, 3.5))
for i, error in enumerate((0.5, 1.0, 2.0)):
    mean, target = torch.zeros_like(variance), torch.full_like(variance, error)
    loss = nn.GaussianNLLLoss(reduction="none")(mean, target, variance)
    ax_loss.plot(variance, loss, color=f"C{i}", label=f"|e| = {error}")
    ax_loss.plot(error**2, 0.5 * (math.log(error**2) + 1), "o", color=f"C{i}")
ax_loss.set_xscale("log")
ax_loss.set_ylim(-1, 10)
ax_loss.set_xlabel(fc.label("预测的方差 σ²", "predicted variance σ²"))
ax_loss.set_ylabel(fc.label("损失 ℓ", "loss ℓ"))
v = torch.logspace(-2, 0, 300).requires_grad_(True)
ones, zeros = torch.ones(300), torch.zeros(300)
ax_grad.plot(v.detach(), grad(nn.GaussianNLLLoss(eps=0.1, reduction="none")(zeros, ones, v), v),
             label=fc.label("PyTorch（直通）", "PyTorch (straight-through)"))
plain_clamp = 0.5 * (torch.log(v.clamp(min=0.1)) + 1 / v.clamp(min=0.1))
ax_grad.plot(v.detach(), grad(plain_clamp, v), "--", label=fc.label("普通 clamp", "plain clamp"))
ax_grad.axvline(0.1, color="gray", lw=0.5)
ax_grad.set_xscale("log")
ax_grad.set_xlabel(fc.label("方差 σ²（eps = 0.1，|e| = 1）", "variance σ² (eps = 0.1, |e| = 1)"))
ax_grad.set_ylabel(r"$\partial \ell / \partial \sigma^2$")
for ax in (ax_loss, ax_grad):
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.suptitle(fc.label("高斯负对数似然：最好的方差是误差的平方；截断处梯度照常流过",
                      "Gaussian NLL: best variance = squared error; the clamp passes gradients"))
fig.tight_layout()
plt.show()

# %%
def gaussian_nll(mu, target, var, full=False, eps=1e-6, reduction="mean"):
    if isinstance(var, float):  # 一个数：所有元素同一个方差 / one number for every element
        var = torch.full_like(mu, var)
    elif var.shape != mu.shape and var.shape == mu.shape[:-1]:
        var = var.unsqueeze(-1)  # 少最后一维：每个样本一个方差 / one dim short: one per sample
    clamped = var + (var.clamp(min=eps) - var).detach()  # 数值截断，梯度直通 / straight-through
    loss = 0.5 * (torch.log(clamped) + (mu - target) ** 2 / clamped)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce(loss, reduction)  # 其余形状靠广播 / other shapes broadcast


torch.manual_seed(3)
mu0, target = torch.randn(6, 4, 3), torch.randn(6, 4, 3)
shapes = [(6, 4, 3), (6, 4), (6, 4, 1), (6, 1, 3), None]  # None：一个浮点数 / a float
try:  # 较早的 PyTorch 不广播方差 / earlier PyTorch releases do not broadcast the variance
    nn.GaussianNLLLoss()(mu0, target, torch.ones(6, 1, 3))
except ValueError:
    shapes.remove((6, 1, 3))
    print(f"torch {torch.__version__}: var (6, 1, 3) 不被接受，跳过 / is rejected, skipped")
for shape in shapes:
    var0 = 0.5 + torch.rand(shape) if shape else 0.7
    if shape:
        var0.view(-1)[0] = 1e-9  # 小于 eps / below eps
    for full, eps, reduction in itertools.product((False, True), (1e-6, 0.1), REDUCTIONS):
        mu = mu0.clone().requires_grad_(True)
        var = var0.clone().requires_grad_(True) if shape else var0
        ours = gaussian_nll(mu, target, var, full, eps, reduction)
        theirs = nn.GaussianNLLLoss(full=full, eps=eps, reduction=reduction)(mu, target, var)
        assert_close(ours, theirs, "GaussianNLLLoss")
        assert_close(grad(ours, mu), grad(theirs, mu), "GaussianNLLLoss")
        if shape:
            assert_close(grad(ours, var), grad(theirs, var), "GaussianNLLLoss")
print("GaussianNLLLoss ✓ 与 nn.GaussianNLLLoss 一致 / matches")
print("  (var " + ", ".join(str(s) if s else "float" for s in shapes)
      + "; full, eps; mean, sum, none)")
print("  对均值和方差的梯度 / gradients w.r.t. mean and variance ✓")

var = torch.tensor([1e-3], requires_grad=True)  # 小于 eps = 0.1 / below eps = 0.1
g_torch = grad(nn.GaussianNLLLoss(eps=0.1)(torch.zeros(1), torch.ones(1), var), var)
g_plain = grad(0.5 * (torch.log(var.clamp(min=0.1)) + 1 / var.clamp(min=0.1)), var)
assert_close(g_torch, torch.tensor([0.5 * (1 / 0.1 - 1 / 0.1**2)]), "GaussianNLLLoss")
print(f"σ² = 0.001 < eps = 0.1, |e| = 1: PyTorch ∂ℓ/∂σ² = {g_torch.item():.1f}"
      f"（在 eps 处的梯度 / the gradient at eps）")
print(f"  普通 clamp / a plain clamp: {g_plain.item():.1f}")
try:
    nn.GaussianNLLLoss()(mu0, target, -torch.ones(6, 4, 3))
except ValueError as e:
    print(f"负的方差 / a negative variance → {type(e).__name__}")

# %% [markdown] tags=["zh"]
# ## 6. 在 Fashion-MNIST 上：会说“我没把握”的回归
#
# 任务：只给模型看图片的上半幅（14 行），让它预测下半幅的平均亮度（下半幅有多少“墨”）。这个任务本身就有不确定性：同样的上半幅，下半幅可能很不一样（包的提手下面可能是任何形状的包身），也可能几乎确定（裤子的上半截下面总是两条裤腿）。目标按训练集的均值和标准差标准化。
#
# 两个几乎一样的小模型（392 → 64 → 2 和 392 → 64 → 1），各训练 3 轮：一个输出均值和方差（方差经过 softplus 保证为正），用 `GaussianNLLLoss`；另一个只输出均值，用 MSE。在验证集上比较：
#
# - 两者均值的均方根误差应当相近：学方差不该让均值变差；
# - 如果方差报得准，误差落在 $\pm\sigma$ 内的比例应接近 68.3%，落在 $\pm 2\sigma$ 内的接近 95.4%（把 $\sigma$ 当作真正的高斯标准差时）；
# - 报得大的样本，误差也应当大：按预测的 $\sigma$ 分成 10 组，每组实际的均方根误差应与该组的 $\sigma$ 接近（左图，对角线表示完全校准 calibrated）；每个类别的平均 $\sigma$ 应与该类的实际误差同升同降（右图）。

# %% [markdown] tags=["en"]
# ## 6. On Fashion-MNIST: a regression that says "I am not sure"
#
# The task: show the model only the top half of an image (14 rows) and have it predict the mean brightness of
# the bottom half (how much "ink" the bottom half holds). The task is uncertain in itself: below the same top
# half, the bottom can vary a lot (under a bag's handle, any shape of bag) or hardly at all (under the top of a
# pair of trousers, there are always two legs). The target is standardized with the training set's mean and
# standard deviation.
#
# Two equally small models (392 → 64 → 2 and 392 → 64 → 1), each trained for 3 epochs: one outputs a mean and a
# variance (through a softplus, to keep it positive) and is trained with `GaussianNLLLoss`; the other outputs
# only a mean and is trained with MSE. On the validation set we compare:
#
# - the root mean squared errors of their means should be close: learning a variance should not spoil the mean;
# - if the variance is right, the fraction of errors within $\pm\sigma$ should be near 68.3%, and within
#   $\pm 2\sigma$ near 95.4% (taking $\sigma$ as a true Gaussian standard deviation);
# - samples reported as uncertain should have larger errors: split by predicted $\sigma$ into 10 groups, each
#   group's actual root mean squared error should be close to its $\sigma$ (left, where the diagonal means
#   perfectly calibrated); each class's mean $\sigma$ should rise and fall with that class's actual error
#   (right).

# %% tags=["nbval-ignore-output", "grading-skip"]
def top_and_bottom(X):
    """上半幅（输入）与下半幅的平均亮度（目标） / the top half (input), the bottom's mean (target)."""
    return X[:, 0, :14].flatten(1), X[:, 0, 14:].mean(dim=(1, 2))


top_train, ink_train = top_and_bottom(X_train)
top_val, ink_val = top_and_bottom(X_val)
center, scale = ink_train.mean(), ink_train.std()  # 只用训练集的统计量 / training statistics only
z_train, z_val = (ink_train - center) / scale, (ink_val - center) / scale


class MeanAndVariance(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = small_mlp(14 * 28, 2)

    def forward(self, x):
        out = self.net(x)
        return out[:, 0], F.softplus(out[:, 1])  # softplus 让方差为正 / keeps the variance positive


def gaussian_batch(idx):
    mean, var = gauss_model(top_train[idx])
    return nn.GaussianNLLLoss()(mean, z_train[idx], var)


def mse_batch(idx):
    return F.mse_loss(mse_model(top_train[idx]).squeeze(1), z_train[idx])


def spearman(a, b):
    """秩相关：两组数的排名是否同升同降 / rank correlation: do the two rank alike?"""
    ranks = torch.stack([a.argsort().argsort(), b.argsort().argsort()]).float()
    return torch.corrcoef(ranks)[0, 1].item()


torch.manual_seed(SEED)
gauss_model = MeanAndVariance().to(device)
train(gauss_model, gaussian_batch, len(top_train), 3)
torch.manual_seed(SEED)
mse_model = small_mlp(14 * 28, 1).to(device)
train(mse_model, mse_batch, len(top_train), 3)
with torch.no_grad():
    mean, var = gauss_model(top_val)
    mse_error = z_val - mse_model(top_val).squeeze(1)
sigma, error = var.sqrt().cpu(), (z_val - mean).cpu()
uncertainty = {
    "rmse": error.pow(2).mean().sqrt().item(),
    "rmse_mse": mse_error.pow(2).mean().sqrt().item(),
    "within_1": (error.abs() < sigma).float().mean().item(),
    "within_2": (error.abs() < 2 * sigma).float().mean().item(),
    "spearman": spearman(sigma, error.abs()),
}
labels = y_val.cpu()
class_sigma = torch.stack([sigma[labels == c].pow(2).mean().sqrt() for c in range(10)])
class_rmse = torch.stack([error[labels == c].pow(2).mean().sqrt() for c in range(10)])

groups = sigma.argsort().chunk(10)  # 按预测的 σ 分 10 组 / 10 groups by predicted σ
fig, (ax_bins, ax_classes) = plt.subplots(1, 2, figsize=(10, 3.8))
group_sigma = torch.stack([sigma[g].pow(2).mean().sqrt() for g in groups])
group_rmse = torch.stack([error[g].pow(2).mean().sqrt() for g in groups])
ax_bins.plot(group_sigma, group_rmse, "o-")
ax_bins.plot([0, 0.8], [0, 0.8], "--", color="gray", lw=0.8)
ax_bins.set_xlabel(fc.label("预测的 σ（每组）", "predicted σ (per group)"))
ax_bins.set_ylabel(fc.label("实际的均方根误差", "actual RMS error"))
ax_classes.plot(class_sigma, class_rmse, "o")
for c in (1, 3, 5, 8):  # 只标出几类，免得文字重叠 / a few classes, so labels do not overlap
    ax_classes.annotate(fc.label(fc.CLASSES_ZH[c], fc.CLASSES_EN[c]),
                        (class_sigma[c], class_rmse[c]), fontsize=7)
ax_classes.plot([0.2, 0.7], [0.2, 0.7], "--", color="gray", lw=0.8)
ax_classes.set_xlabel(fc.label("预测的 σ（每类）", "predicted σ (per class)"))
ax_classes.set_ylabel(fc.label("实际的均方根误差", "actual RMS error"))
for ax in (ax_bins, ax_classes):
    ax.grid(alpha=0.3)
fig.suptitle(fc.label("验证集：模型说自己没把握的地方，误差确实更大",
                      "validation: where the model says it is unsure, its errors are larger"))
fig.tight_layout()
plt.show()
print(f"均方根误差 / RMSE: GaussianNLLLoss {uncertainty['rmse']:.3f}, MSELoss "
      f"{uncertainty['rmse_mse']:.3f}")
print(f"在 ±σ 内 / within ±σ {100 * uncertainty['within_1']:.1f}% (68.3%), 在 ±2σ 内 / within ±2σ "
      f"{100 * uncertainty['within_2']:.1f}% (95.4%)")
print(f"σ 与 |误差| 的秩相关 / rank correlation of σ and |error|: {uncertainty['spearman']:.2f}")
order = class_sigma.argsort()
print("σ 最小 / smallest σ:", fc.class_name(order[0]), "· 最大 / largest:", fc.class_name(order[-1]))

# %% tags=["grading-skip"]
assert abs(uncertainty["rmse"] - uncertainty["rmse_mse"]) < 0.05, uncertainty
assert 0.62 < uncertainty["within_1"] < 0.85 and 0.9 < uncertainty["within_2"] < 0.99, uncertainty
assert uncertainty["spearman"] > 0.15, uncertainty
assert class_sigma.argmin() == 1 and class_sigma.argmax() == 8, class_sigma
assert spearman(class_sigma, class_rmse) > 0.4, (class_sigma, class_rmse)
print("均值 ✓ 学方差没有让均值变差：两个模型的均方根误差相差不到 0.05")
print("mean ✓ learning a variance did not spoil the mean: RMSEs within 0.05")
print("方差 ✓ ±σ 内 62%–85%，±2σ 内 90%–99%；σ 大的样本误差也大 / variance ✓ roughly calibrated")
print("每类 ✓ 裤子最有把握，包最没把握；σ 与误差按类同升同降 / per class ✓ trousers surest, bags least")

# %% [markdown] tags=["zh"]
# 左图的点大致沿对角线：模型说自己没把握的那些图片，误差确实更大，而且大得差不多正如它说的那样。覆盖率只是大致对：检查只要求 $\pm\sigma$ 内的比例在 62% 到 85% 之间、$\pm 2\sigma$ 内的在 90% 到 99% 之间（这次运行的数字在上面的输出里）。误差本来就不一定服从高斯分布：如果它比高斯分布更“尖”（中间更集中，尾巴更长），$\pm\sigma$ 内的比例就会高于 68.3%。右图里，裤子最有把握（上半截下面总是两条裤腿），包最没把握；这个排序不是我们告诉模型的，是它从 `GaussianNLLLoss` 里自己学到的。两个模型均值的误差几乎一样：方差是“白送”的额外输出。
#
# ### 6.1 何时使用
#
# - 回归里需要知道每个预测有多可靠时：给预测加误差棒，把不确定的样本交给人，或者在主动学习里挑样本。这里学到的是数据本身的噪声（偶然不确定性 aleatoric uncertainty）；模型自己因为数据少而“不知道”的部分，需要集成或贝叶斯方法。
# - 模型输出方差时要保证为正：softplus 或 `exp(log_var)`；`eps` 只是数值上的保险，不能代替它。
# - 已知一个固定的方差时，`GaussianNLLLoss` 等于 MSE 乘一个常数再加一个常数，没有必要用它。
# - 常见问题：训练初期模型可以靠把方差调大来“躲开”难样本，让均值学得更慢；遇到这种情况，可以先用 MSE 训练均值，再一起训练方差。

# %% [markdown] tags=["en"]
# On the left the points lie roughly along the diagonal: the images where the model says it is unsure really
# have larger errors, and about as much larger as it says. The coverage is only roughly right: the check asks only for 62% to
# 85% within $\pm\sigma$ and 90% to 99% within $\pm 2\sigma$ (this run's numbers are in the output above). The
# errors need not be Gaussian anyway: if they are more peaked (more of them near the centre, longer tails), more
# than 68.3% fall within $\pm\sigma$. On the right, trousers are
# the surest (below the top of a pair of trousers there are always two legs) and bags the least sure; we never
# told the model this order, it learned it by itself from `GaussianNLLLoss`. The errors of the two models'
# means are almost the same: the variance is an extra output that comes for free.
#
# ### 6.1 When to use
#
# - Regression where you need to know how reliable each prediction is: error bars on predictions, handing the
#   uncertain samples to a person, picking samples in active learning. What is learned here is the noise in the
#   data itself (aleatoric uncertainty); what the model does not know for lack of data needs ensembles or
#   Bayesian methods.
# - A variance output must be kept positive: a softplus or `exp(log_var)`; `eps` is only a numerical safety net,
#   not a substitute.
# - With one known, fixed variance, `GaussianNLLLoss` is MSE times a constant plus a constant; there is no need
#   for it.
# - A common problem: early in training the model can "dodge" hard samples by raising their variance, and the
#   mean then learns more slowly; if that happens, train the mean with MSE first, then the variance together.

# %% [markdown] tags=["zh"]
# ## 7. 序列：`CTCLoss`
#
# ### 7.1 定义
#
# 读一行手写字、一段语音时，目标是一串符号 $\mathbf{l} = (l_1, \dots, l_S)$，输入却是 $T \ge S$ 帧，而且没人告诉我们哪一帧对应哪个符号。连接时序分类（connectionist temporal classification，CTC，Graves 等，2006）在字母表里加一个空白符（blank）$\varnothing$，让模型在每一帧输出一个分布 $y^t$（包括空白）。一条路径 $\pi = (\pi_1, \dots, \pi_T)$ 是每帧选一个符号；折叠 $\mathcal{B}$ 先合并相邻的重复，再删去空白，例如 $\mathcal{B}(\text{AA}\varnothing\text{AB}) = \text{AAB}$、$\mathcal{B}(\text{AAAB}) = \text{AB}$。目标的概率是所有能折叠成它的路径（对齐 alignment）的概率之和：
#
# $$p(\mathbf{l} \mid \mathbf{x}) = \sum_{\pi \in \mathcal{B}^{-1}(\mathbf{l})} \prod_{t=1}^{T} y^{t}_{\pi_t}, \qquad \ell = -\log p(\mathbf{l} \mid \mathbf{x})$$
#
# 路径有指数多条，但可以用前向递推（forward recursion，也叫 $\alpha$ 递推）在 $O(T \cdot S)$ 内求和。把目标在开头、结尾和每两个符号之间插入空白，得到长为 $2S + 1$ 的扩展标签 $\mathbf{l}' = (\varnothing, l_1, \varnothing, l_2, \dots, l_S, \varnothing)$。$\alpha_t(s)$ 是前 $t$ 帧走到 $\mathbf{l}'$ 第 $s$ 个位置的所有路径的概率之和。每一帧可以停在原位、前进一格，或者跳过中间的空白前进两格；只有当 $l'_s$ 不是空白、也不等于 $l'_{s-2}$ 时才能跳（两个相同的符号之间必须有空白，否则会被合并）：
#
# $$\alpha_1(1) = y^1_{\varnothing}, \qquad \alpha_1(2) = y^1_{l_1}, \qquad \alpha_1(s) = 0 \;\; (s > 2)$$
#
# $$\alpha_t(s) = \Bigl(\alpha_{t-1}(s) + \alpha_{t-1}(s-1) + [\,l'_s \neq \varnothing \,\wedge\, l'_s \neq l'_{s-2}\,]\; \alpha_{t-1}(s-2)\Bigr)\, y^{t}_{l'_s}$$
#
# $$p(\mathbf{l} \mid \mathbf{x}) = \alpha_T(2S + 1) + \alpha_T(2S)$$
#
# 即最后停在最后一个符号或最后的空白上。实际计算在对数空间里做：乘法变加法，加法变 logsumexp。下图画出了 $T = 5$ 帧、字母表 $\{\varnothing, \text{A}, \text{B}\}$ 时所有能折叠成 AB 和 AA 的路径，线越粗，路径的概率越大：AA 的路径必须经过中间的空白。
#
# `nn.CTCLoss(blank=0, reduction="mean", zero_infinity=False)` 的输入：`log_probs` 形状 `(T, N, C)`（注意时间在前，是 log_softmax 的输出），`targets` 可以是补齐的 `(N, S_max)`，也可以是所有目标拼成的一维张量，`input_lengths` 和 `target_lengths` 给出每个样本真正的长度。`blank` 是空白符的编号。归约：
#
# $$L_{\text{mean}} = \frac{1}{N} \sum_{n=1}^{N} \frac{\ell_n}{\max(S_n, 1)}, \qquad L_{\text{sum}} = \sum_{n=1}^{N} \ell_n$$
#
# 这是 PyTorch 与论文的第一个区别：论文的目标函数是各序列 $-\log p$ 的和，PyTorch 的 `"mean"` 先把每个序列的损失除以它的目标长度，相当于按符号平均。输入太短、放不下目标时（例如 5 帧要放 2 2 3 3，至少要 6 帧），没有任何对齐，损失是 $+\infty$；`zero_infinity=True` 把这样的损失和它的梯度置为 0。

# %% [markdown] tags=["en"]
# ## 7. Sequences: `CTCLoss`
#
# ### 7.1 Definition
#
# Reading a line of handwriting or a stretch of speech, the target is a string of symbols $\mathbf{l} = (l_1,
# \dots, l_S)$ while the input is $T \ge S$ frames, and nobody tells us which frame goes with which symbol.
# Connectionist temporal classification (CTC, Graves et al., 2006) adds a blank symbol $\varnothing$ to the
# alphabet and has the model output a distribution $y^t$ (blank included) at each frame. A path $\pi = (\pi_1,
# \dots, \pi_T)$ picks one symbol per frame; the collapse $\mathcal{B}$ first merges adjacent repeats, then
# removes the blanks, e.g. $\mathcal{B}(\text{AA}\varnothing\text{AB}) = \text{AAB}$ and
# $\mathcal{B}(\text{AAAB}) = \text{AB}$. The probability of the target is the sum over all paths that collapse
# to it (its alignments):
#
# $$p(\mathbf{l} \mid \mathbf{x}) = \sum_{\pi \in \mathcal{B}^{-1}(\mathbf{l})} \prod_{t=1}^{T} y^{t}_{\pi_t}, \qquad \ell = -\log p(\mathbf{l} \mid \mathbf{x})$$
#
# There are exponentially many paths, but the forward ($\alpha$) recursion sums them in $O(T \cdot S)$. Insert a
# blank at the start, at the end and between every two symbols of the target to get the extended label
# $\mathbf{l}' = (\varnothing, l_1, \varnothing, l_2, \dots, l_S, \varnothing)$ of length $2S + 1$.
# $\alpha_t(s)$ is the total probability of the paths that reach position $s$ of $\mathbf{l}'$ after $t$ frames.
# At each frame a path stays, moves on by one, or skips the blank in between and moves on by two; it may skip
# only when $l'_s$ is not a blank and differs from $l'_{s-2}$ (two equal symbols need a blank between them, or
# they would be merged):
#
# $$\alpha_1(1) = y^1_{\varnothing}, \qquad \alpha_1(2) = y^1_{l_1}, \qquad \alpha_1(s) = 0 \;\; (s > 2)$$
#
# $$\alpha_t(s) = \Bigl(\alpha_{t-1}(s) + \alpha_{t-1}(s-1) + [\,l'_s \neq \varnothing \,\wedge\, l'_s \neq l'_{s-2}\,]\; \alpha_{t-1}(s-2)\Bigr)\, y^{t}_{l'_s}$$
#
# $$p(\mathbf{l} \mid \mathbf{x}) = \alpha_T(2S + 1) + \alpha_T(2S)$$
#
# that is, a path ends on the last symbol or on the final blank. The computation runs in log space: products
# become sums, sums become logsumexp. The figure draws every path that collapses to AB and to AA over $T = 5$
# frames with the alphabet $\{\varnothing, \text{A}, \text{B}\}$, the thicker the more probable: the paths of AA
# must pass through the blank in the middle.
#
# The inputs of `nn.CTCLoss(blank=0, reduction="mean", zero_infinity=False)`: `log_probs` of shape `(T, N, C)`
# (mind: time first; the output of log_softmax); `targets` either padded, `(N, S_max)`, or all targets
# concatenated into one 1-D tensor; `input_lengths` and `target_lengths` give each sample's real lengths.
# `blank` is the index of the blank. The reductions:
#
# $$L_{\text{mean}} = \frac{1}{N} \sum_{n=1}^{N} \frac{\ell_n}{\max(S_n, 1)}, \qquad L_{\text{sum}} = \sum_{n=1}^{N} \ell_n$$
#
# This is PyTorch's first difference from the paper: the paper's objective is the sum of the sequences' $-\log
# p$, while PyTorch's `"mean"` first divides each sequence's loss by its target length, which averages per
# symbol. When an input is too short to hold its target (5 frames for 2 2 3 3, which needs at least 6), there
# is no alignment at all and the loss is $+\infty$; `zero_infinity=True` sets such losses and their gradients to
# 0.

# %%
def collapse(path, blank=0):
    """CTC 的折叠 B：先合并相邻的重复，再删去空白 / CTC's collapse: merge repeats, drop blanks."""
    out, previous = [], None
    for k in path:
        if k != previous and k != blank:
            out.append(k)
        previous = k
    return out


def all_alignments(label, T, C, blank=0):
    """长度为 T、折叠成 label 的所有路径（穷举 C^T 条） / every length-T path collapsing to label."""
    return [p for p in itertools.product(range(C), repeat=T) if collapse(p, blank) == list(label)]


def positions(path, blank=0):
    """路径每一帧在扩展标签里的位置 s（从 0 数） / each frame's position s in l' (from 0)."""
    s, emitted, previous = [], 0, blank
    for k in path:
        if k != blank and k != previous:  # 一个新符号 / a new symbol
            emitted += 1
        s.append(2 * emitted if k == blank else 2 * emitted - 1)
        previous = k
    return s


torch.manual_seed(7)
lp_small = torch.randn(5, 3).log_softmax(dim=1)  # 5 帧，符号 {空白, A, B} / 5 frames, {blank, A, B}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for ax, label, name in zip(axes, ([1, 2], [1, 1]), ("AB", "AA")):
    paths = all_alignments(label, 5, 3)
    prob = torch.stack([lp_small[torch.arange(5), torch.tensor(p)].sum() for p in paths]).exp()
    for p, pr in zip(paths, prob):
        ax.plot(range(1, 6), positions(p), "-o", color="C0", ms=4, alpha=0.6,
                lw=0.5 + 5 * (pr / prob.max()).item())
    ax.set_yticks(range(5), ["∅", name[0], "∅", name[1], "∅"])
    ax.invert_yaxis()
    ax.set_xticks(range(1, 6))
    ax.set_xlabel(fc.label("帧 t", "frame t"))
    ax.set_ylabel(fc.label("扩展标签 l′ 的位置", "position in l′"))
    ax.set_title(fc.label(f"折叠成 {name} 的 {len(paths)} 条路径", f"the {len(paths)} paths to {name}"))
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# ### 7.2 从零实现，与 PyTorch 对照（选读）
#
# `ctc_nll` 对一个样本做上面的递推（位置从 0 数）。有一个数值细节：不能到达的位置本应是 $\log 0 = -\infty$，但 logsumexp 的反向传播在全是 $-\infty$ 时会算出 $-\infty - (-\infty) = $ nan，所以用一个很大的负数 $-10^{30}$ 代替；最后仍是这个量级的损失说明没有任何对齐，记作 $+\infty$。检查覆盖：`blank` 取 0 和最后一个编号，补齐和拼接两种目标格式，`zero_infinity`，三种 `reduction`，长度为 0 的目标、重复的符号、一个对不齐的样本，没有批次维的输入，以及与穷举所有路径的结果比较。
#
# 最后一段展示 PyTorch 与数学定义的第二个区别：`CTCLoss` 对 `log_probs` 返回的梯度，比真正的导数多出一项 $\operatorname{softmax} = e^{\log p}$（在有效的帧上）。它其实是对 log_softmax 之前的 logits 的梯度：只要 `log_probs` 来自计算图里的 `log_softmax`，多出的这一项在经过 log_softmax 的反向传播时正好被抵消，对 logits 的梯度完全正确（下面的检查对 logits 比较梯度）。但如果把 `log_probs` 当作叶子张量，或者它不是归一化的对数概率，得到的梯度就不是数学上的梯度。

# %% [markdown] tags=["en"]
# ### 7.2 From scratch, checked against PyTorch (optional)
#
# `ctc_nll` runs the recursion above for one sample (positions counted from 0). One numerical detail: a position
# that cannot be reached should hold $\log 0 = -\infty$, but when everything is $-\infty$ the backward pass of
# logsumexp computes $-\infty - (-\infty) = $ nan, so a very negative $-10^{30}$ stands in for it; a loss still
# of that size at the end means there is no alignment, and counts as $+\infty$. The checks cover: `blank` as 0
# and as the last index, padded and concatenated targets, `zero_infinity`, the three `reduction`s, a target of
# length 0, a repeated symbol, a sample that cannot be aligned, an unbatched input, and a comparison with the sum
# over all paths by brute force.
#
# The last part shows PyTorch's second difference from the mathematical definition: the gradient `CTCLoss`
# returns for `log_probs` carries an extra term $\operatorname{softmax} = e^{\log p}$ (on the valid frames)
# beyond the true derivative. It really is the gradient with respect to the logits before log_softmax: as long as
# `log_probs` comes from a `log_softmax` in the graph, the extra term cancels exactly in log_softmax's backward
# pass, and the gradient for the logits is exactly right (the checks below compare gradients for the logits). But make
# `log_probs` a leaf tensor, or pass something that is not normalized log-probabilities, and the gradient is not
# the mathematical one.

# %%
NEG = -1e30  # 代替 -∞（见上文） / stands in for -∞ (see above)


def ctc_nll(lp, label, blank=0):
    """一个样本的 -log p(label | x)；lp 是 (T, C) 的对数概率 / one sample's NLL; lp: (T, C)."""
    ext = torch.full((2 * len(label) + 1,), blank)
    ext[1::2] = label  # l' = (空白, l1, 空白, ..., lS, 空白) / (blank, l1, blank, ..., lS, blank)
    y = lp[:, ext]  # y[t, s]：第 t 帧输出 l'_s 的对数概率 / log-prob of l'_s at frame t
    skip = torch.zeros(len(ext), dtype=torch.bool)
    skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])  # 可以跳过空白 / may skip the blank
    alpha = torch.where(torch.arange(len(ext)) < 2, y[0], NEG)  # 从位置 0 或 1 开始 / start
    for t in range(1, len(lp)):
        before = torch.cat([torch.full((2,), NEG), alpha])  # before[s + 2] = alpha[s]
        jump = torch.where(skip, before[:-2], NEG)
        alpha = torch.logsumexp(torch.stack([alpha, before[1:-1], jump]), dim=0) + y[t]
    return -torch.logsumexp(alpha[-2:], dim=0)  # 停在最后的符号或空白 / end on last symbol or blank


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    if log_probs.dim() == 2:  # 没有批次维 / unbatched
        loss = ctc_loss(log_probs[:, None], targets[None], input_lengths.view(1),
                        target_lengths.view(1), blank, "none", zero_infinity)[0]
        return loss / target_lengths.clamp(min=1) if reduction == "mean" else loss
    if targets.dim() == 1:  # 拼接的目标 / concatenated targets
        labels = targets.split(target_lengths.tolist())
    else:  # 补齐的目标 / padded targets
        labels = [row[:s] for row, s in zip(targets, target_lengths.tolist())]
    loss = torch.stack([ctc_nll(log_probs[:t, n], label, blank)
                        for n, (label, t) in enumerate(zip(labels, input_lengths.tolist()))])
    loss = torch.where(loss > -NEG / 10, torch.inf, loss)  # 没有对齐 / no alignment
    if zero_infinity:
        loss = torch.where(torch.isinf(loss), 0.0, loss)
    if reduction == "mean":
        return (loss / target_lengths.clamp(min=1)).mean()
    return reduce(loss, reduction)


torch.manual_seed(8)
T, N, C = 12, 5, 6
logits0 = torch.randn(T, N, C)
input_lengths = torch.tensor([12, 11, 7, 12, 5])
target_lengths = torch.tensor([3, 5, 0, 2, 4])  # 一个空目标 / one empty target
targets = torch.randint(1, C, (N, 5))
targets[3, :2] = 2  # 重复的符号：中间必须有空白 / a repeated symbol needs a blank between
targets[4, :4] = torch.tensor([2, 2, 3, 3])  # 5 帧放不下（至少要 6 帧）/ 5 frames cannot hold it
for blank in (0, C - 1):
    labels = targets if blank == 0 else targets - 1  # 符号不能是空白 / symbols are never the blank
    concatenated = torch.cat([row[:s] for row, s in zip(labels, target_lengths)])
    options = itertools.product((labels, concatenated), (False, True), REDUCTIONS)
    for form, zero_infinity, reduction in options:
        logits = logits0.clone().requires_grad_(True)
        lp = logits.log_softmax(dim=2)
        args = (lp, form, input_lengths, target_lengths)
        ours = ctc_loss(*args, blank, reduction, zero_infinity)
        theirs = nn.CTCLoss(blank=blank, reduction=reduction, zero_infinity=zero_infinity)(*args)
        assert_close(ours, theirs, "CTCLoss")
        if zero_infinity:  # 没有 inf 时才有梯度可比 / gradients exist without inf
            assert_close(grad(ours, logits), grad(theirs, logits), "CTCLoss")
assert torch.isinf(nn.CTCLoss(reduction="none")(lp, targets, input_lengths, target_lengths)[4])
lp1 = logits0[:, 0].log_softmax(dim=1)  # 一个样本，没有批次维 / one sample, unbatched
for reduction in REDUCTIONS:
    args = (lp1, targets[0, :3], torch.tensor(12), torch.tensor(3))
    assert_close(ctc_loss(*args, reduction=reduction), nn.CTCLoss(reduction=reduction)(*args),
                 "CTCLoss")
for label in ([1, 2], [1, 1]):  # 与穷举所有路径比较 / against the brute-force sum over paths
    paths = all_alignments(label, 5, 3)
    brute = -torch.logsumexp(
        torch.stack([lp_small[torch.arange(5), torch.tensor(p)].sum() for p in paths]), dim=0)
    assert_close(ctc_nll(lp_small, torch.tensor(label)), brute, "CTCLoss")
    args = (lp_small, torch.tensor(label), torch.tensor(5), torch.tensor(2))
    assert_close(nn.CTCLoss(reduction="sum")(*args), brute, "CTCLoss")
print("CTCLoss ✓ 与 nn.CTCLoss 一致 / matches (blank 0, C-1; padded, concatenated targets;")
print("  zero_infinity; mean, sum, none; unbatched), 对 logits 的梯度 / gradient w.r.t. logits ✓")
print("α 递推 ✓ 等于穷举所有路径之和 / the α recursion ✓ equals the brute-force sum over paths")
print("对不齐的样本 ✓ 损失为 inf，zero_infinity=True 时为 0 / no alignment ✓ inf, or 0 with "
      "zero_infinity")

lp_leaf = logits0[:, :4].log_softmax(dim=2).detach().requires_grad_(True)  # 前 4 个样本 / first 4
args = (lp_leaf, targets[:4], input_lengths[:4], target_lengths[:4])
g_torch = grad(nn.CTCLoss(reduction="sum")(*args), lp_leaf)
g_math = grad(ctc_loss(*args, reduction="sum"), lp_leaf)
valid = (torch.arange(T)[:, None] < input_lengths[:4]).unsqueeze(2)  # 有效的帧 / the valid frames
assert_close(g_torch, g_math + lp_leaf.exp() * valid, "CTCLoss")
print("对 log_probs 的梯度 ✓ PyTorch = 数学上的导数 + softmax（有效帧上） / gradient w.r.t. "
      "log_probs:")
print("  PyTorch = the true derivative + softmax (on valid frames): the logits' gradient")

# %% [markdown] tags=["zh"]
# ## 8. 在 Fashion-MNIST 上：读一条图像带
#
# 把 1 到 4 张图片横着排成一条宽 $28 \times 4$ 的图像带（空位是黑的），目标是这几件衣物的类别序列（类别 $c$ 记作符号 $c + 1$，0 是空白）。模型是一个读窗口的小网络：宽 28、每隔 14 像素一个窗口，$L$ 件衣物的图像带有 $T = 2L - 1$ 个窗口。窗口从 0 编号，偶数号窗口正好框住一件衣物，奇数号窗口横跨两件。我们不告诉模型这些：CTC 只知道目标序列，模型得自己发现“横跨两件的窗口应该输出空白”。空白在这里是必需的：两件相同的衣物挨着时，中间没有空白就会被折叠成一件。
#
# 训练用 20,000 条由训练图片拼成的图像带，2 轮；评估用 2,000 条由验证图片拼成的图像带，贪心解码后整条序列完全正确的比例，以及两类窗口分别输出了什么。

# %% [markdown] tags=["en"]
# ## 8. On Fashion-MNIST: reading a strip of images
#
# Put 1 to 4 images side by side in a strip $28 \times 4$ wide (empty slots stay black); the target is the
# sequence of their classes (class $c$ is symbol $c + 1$, and 0 is the blank). The model is a small network
# that reads windows: 28 wide, one every 14 pixels, so a strip of $L$ garments has $T = 2L - 1$ windows. The
# windows, numbered from 0, frame one garment each at even numbers and straddle two at odd ones. We tell the model none of this: CTC knows
# only the target sequence, and the model has to find out by itself that a window straddling two garments should
# output a blank. The blank is needed here: when two equal garments sit side by side, without a blank between
# them they would collapse into one.
#
# Training uses 20,000 strips made of training images, for 2 epochs; the evaluation, 2,000 strips made of
# validation images: the fraction of whole sequences exactly right after greedy decoding, and what each kind of
# window outputs.

# %% tags=["nbval-ignore-output", "grading-skip"]
MAX_ITEMS = 4


def draw_strips(n, n_images, generator):
    """n 条图像带：每条几件（1 到 4）、用哪几张图 / n strips: how many items, which images."""
    lengths = torch.randint(1, MAX_ITEMS + 1, (n,), generator=generator)
    picks = torch.randint(0, n_images, (n, MAX_ITEMS), generator=generator)
    return lengths.to(device), picks.to(device)


def strip_windows(X, y, lengths, picks):
    """拼出图像带并切成窗口，返回窗口 (n, 7, 784)、目标 (n, 4) 和图像带
    / build the strips and cut them into windows; returns the windows, the targets, the strips."""
    present = torch.arange(MAX_ITEMS, device=device) < lengths[:, None]
    images = X[picks, 0] * present[:, :, None, None]  # 空位是黑的 / empty slots stay black
    strips = images.permute(0, 2, 1, 3).reshape(len(picks), 28, 28 * MAX_ITEMS)
    windows = strips.unfold(2, 28, 14).permute(0, 2, 1, 3).flatten(2)  # 宽 28、相隔 14 / 28 wide
    return windows, torch.where(present, y[picks] + 1, 0), strips


lengths_train, picks_train = draw_strips(20_000, len(X_train), torch.Generator().manual_seed(SEED))
lengths_val, picks_val = draw_strips(2_000, len(X_val), torch.Generator().manual_seed(1))
torch.manual_seed(SEED)
reader = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 11)).to(device)


def strip_batch(idx):
    windows, targets, _ = strip_windows(X_train, y_train, lengths_train[idx], picks_train[idx])
    log_probs = reader(windows).log_softmax(dim=2).transpose(0, 1)  # (T, N, 11)：时间在前 / time first
    n = lengths_train[idx]
    return nn.CTCLoss(blank=0)(log_probs, targets, 2 * n - 1, n)  # T = 2n - 1 个窗口 / windows


train(reader, strip_batch, len(picks_train), 2, batch_size=64)
windows_val, targets_val, strips_val = strip_windows(X_val, y_val, lengths_val, picks_val)
with torch.no_grad():
    best = reader(windows_val).argmax(dim=2).cpu()  # 每个窗口最可能的符号 / each window's best
n_val, targets_val = lengths_val.cpu().tolist(), targets_val.cpu()
decoded = [collapse(row[: 2 * n - 1].tolist()) for row, n in zip(best, n_val)]
truth = [row[:n].tolist() for row, n in zip(targets_val, n_val)]
framing = torch.cat([row[0 : 2 * n - 1 : 2] == t[:n]
                     for row, t, n in zip(best, targets_val, n_val)])
straddling = torch.cat([row[1 : 2 * n - 1 : 2] == 0 for row, n in zip(best, n_val)])
strip_stats = {
    "sequence": sum(d == t for d, t in zip(decoded, truth)) / len(truth),
    "framing_right": framing.float().mean().item(),
    "straddling_blank": straddling.float().mean().item(),
}
print(f"整条序列完全正确 / whole sequence right: {100 * strip_stats['sequence']:.1f}%")
print(f"框住一件的窗口输出了它的类别 / framing windows output their class: "
      f"{100 * strip_stats['framing_right']:.1f}%")
print(f"横跨两件的窗口输出了空白 / straddling windows output the blank: "
      f"{100 * strip_stats['straddling_blank']:.1f}%")

shown = [i for i, n in enumerate(n_val) if n == MAX_ITEMS][:2]
fig, axes = plt.subplots(2, 1, figsize=(10, 4.6))
for ax, i in zip(axes, shown):
    ax.imshow(strips_val[i].cpu(), cmap="gray_r", extent=(0, 112, 28, 0))
    for t, k in enumerate(best[i, : 2 * n_val[i] - 1].tolist()):
        name = "∅" if k == 0 else fc.label(fc.CLASSES_ZH[k - 1], fc.CLASSES_EN[k - 1])
        ax.text(14 + 14 * t, 33 + 5 * (t % 2), name, ha="center", va="top", fontsize=7,
                color="C0" if t % 2 == 0 else "C1")
    ax.set_ylim(45, 0)
    ax.axis("off")
fig.suptitle(fc.label("每个窗口输出的符号：框住一件（蓝）、横跨两件（橙）",
                      "each window's symbol: framing one item (blue), straddling two (orange)"))
fig.tight_layout()
plt.show()

# %% tags=["grading-skip"]
assert strip_stats["sequence"] > 0.55, strip_stats
assert strip_stats["framing_right"] > 0.75 and strip_stats["straddling_blank"] > 0.95, strip_stats
print("图像带 ✓ 一半以上的序列整条读对 / strips ✓ more than half of the sequences read exactly right")
print("对齐 ✓ 横跨两件的窗口 95% 以上输出空白：没人告诉模型，它自己学会了")
print("alignment ✓ > 95% of the straddling windows output the blank: nobody told the model")

# %% [markdown] tags=["zh"]
# 整条序列的准确率受每件衣物识别率的限制：一件衣物认对的概率是 $p$，四件都对的概率就只有约 $p^4$（$p = 0.84$ 时约一半；这次运行的 $p$ 在上面的输出里），而衬衫、T 恤和套头衫本来就容易混。更值得注意的是对齐：训练时从来没有告诉模型哪个窗口对应哪件衣物，CTC 只给了目标序列，可横跨两件的窗口几乎全部学会了输出空白。
#
# ### 8.1 何时使用
#
# - 输入和输出都是序列、长度不同、又没有逐帧标注时：语音识别、手写识别、车牌识别。条件是输出不比输入长，且输出的顺序与输入一致（从左到右读）；还要留够帧，重复的符号之间要放得下空白。
# - `log_probs` 要用 `log_softmax(dim=2)` 在计算图里算出来，形状 `(T, N, C)`，时间在前；空白通常放在编号 0，目标里不能出现空白的编号。
# - 训练数据里可能有对不齐的样本时设 `zero_infinity=True`，否则一个 inf 就会让整批的梯度变成 nan。
# - 预测时最简单的是贪心解码（greedy decoding）：每帧取概率最大的符号，再做折叠 $\mathcal{B}$。更好的是束搜索（beam search），必要时配合语言模型。

# %% [markdown] tags=["en"]
# The accuracy of whole sequences is limited by how well each garment is recognized: with a fraction $p$ of
# single items right, all four are right only about $p^4$ of the time (about half for $p = 0.84$; this run's $p$
# is in the output above), and shirts, T-shirts and pullovers are easily confused anyway. More remarkable is the alignment: training never told the model which window goes with which
# garment, CTC only gave the target sequence, and yet nearly every straddling window learned to output the
# blank.
#
# ### 8.1 When to use
#
# - Sequence in, sequence out, of different lengths, without frame-level labels: speech recognition,
#   handwriting, licence plates. The output must be no longer than the input and in the same order as it (read
#   left to right); leave enough frames for a blank between repeated symbols, too.
# - Compute `log_probs` with `log_softmax(dim=2)` inside the graph, shape `(T, N, C)`, time first; the blank is
#   usually index 0, and the targets must never contain the blank's index.
# - When some training samples may not be alignable, set `zero_infinity=True`; otherwise one inf turns the
#   whole batch's gradient into nan.
# - To predict, the simplest is greedy decoding: take each frame's most probable symbol, then collapse with
#   $\mathcal{B}$. Better is beam search, with a language model where needed.

# %% [markdown] tags=["zh"]
# ## 9. 很多类别：`AdaptiveLogSoftmaxWithLoss`（选读）
#
# ### 9.1 定义
#
# 语言模型要在几万到几十万个词里预测下一个词，最后一层的 softmax 对每个词元都要算 $d \times V$ 次乘加。但词频极不均匀（齐普夫定律 Zipf's law）：少数常用词占了大部分出现次数。自适应 softmax（adaptive softmax，Grave 等，2017）利用这一点：把类别按频率从高到低编号，用截断点（cutoffs）$c_1 < c_2 < \dots < c_K$ 分成一个短列表（shortlist，编号 $< c_1$ 的常用类）和 $K$ 个簇（cluster），第 $k$ 个簇是 $[c_k, c_{k+1})$，$c_{K+1}$ 为类别总数。头部（head）是一个 $d \to c_1 + K$ 的线性层：前 $c_1$ 个输出给短列表里的类，后 $K$ 个输出各代表一个簇。第 $k$ 个簇的尾部（tail）先投影到更小的维度 $d_k = \lfloor d / \text{div}^k \rfloor$（`div_value`，默认 4），再输出簇里每个类：
#
# $$\log p(c \mid h) = \begin{cases} \log \operatorname{softmax}(W h + b)_{c} & c < c_1 \\ \log \operatorname{softmax}(W h + b)_{c_1 + k - 1} + \log \operatorname{softmax}(V_k U_k h)_{c - c_k} & c_k \le c < c_{k+1} \end{cases}$$
#
# 其中 $U_k \in \mathbb{R}^{d_k \times d}$，$V_k \in \mathbb{R}^{(c_{k+1} - c_k) \times d_k}$，都没有偏置；头部的偏置 $b$ 只在 `head_bias=True` 时有。这是一个完整的分布：所有类的概率之和为 1。损失是目标类的平均负对数似然：
#
# $$L = -\frac{1}{N} \sum_{n=1}^{N} \log p(y_n \mid h_n)$$
#
# 它的用法和别的损失不同：没有 `reduction` 参数（总是平均）；`forward(input, target)` 返回一个具名元组 `(output, loss)`，`output` 是每个样本的 $\log p(y_n \mid h_n)$；`log_prob(input)` 给出所有类的对数概率 `(N, n_classes)`；`predict(input)` 给出概率最大的类，它先看头部，头部最大的是短列表里的类时直接返回它，不必算尾部（这时它的概率不小于任何簇的总概率，所以一定是全局最大）。
#
# ### 9.2 从零实现，与 PyTorch 对照
#
# 下面用模块自己的权重从零算出全部对数概率，覆盖三组 `cutoffs`、`div_value`（4、2、1）和 `head_bias`，对照 `forward` 的两个输出和梯度、`log_prob`、`predict`，以及没有批次维的输入。
#
# ### 9.3 直觉：省下了多少
#
# 设想一个真实一些的规模：$d = 512$，$V = 100{,}000$ 个类，频率服从齐普夫定律，截断点取 2,000 和 10,000。训练时每个样本总要算头部，只有目标落在某个簇里时才算那个簇的尾部；尾部又先投影到 $512/4 = 128$ 和 $512/16 = 32$ 维。左图是频率和两个截断点，右图比较参数量和每个样本期望的乘加次数（都由模块自己的形状算出）。

# %% [markdown] tags=["en"]
# ## 9. Many classes: `AdaptiveLogSoftmaxWithLoss` (optional)
#
# ### 9.1 Definition
#
# A language model predicts the next word out of tens or hundreds of thousands, and the softmax of its last
# layer costs $d \times V$ multiply-adds per token. But word frequencies are very uneven (Zipf's law): a few
# common words make up most occurrences. Adaptive softmax (Grave et al., 2017) uses this: number the classes
# from most to least frequent and split them with cutoffs $c_1 < c_2 < \dots < c_K$ into a shortlist (the common
# classes, index $< c_1$) and $K$ clusters, cluster $k$ being $[c_k, c_{k+1})$ with $c_{K+1}$ the number of
# classes. The head is a linear layer $d \to c_1 + K$: its first $c_1$ outputs are for the shortlist classes,
# its last $K$ outputs stand for one cluster each. The tail of cluster $k$ first projects to a smaller dimension
# $d_k = \lfloor d / \text{div}^k \rfloor$ (`div_value`, default 4), then outputs each class of the cluster:
#
# $$\log p(c \mid h) = \begin{cases} \log \operatorname{softmax}(W h + b)_{c} & c < c_1 \\ \log \operatorname{softmax}(W h + b)_{c_1 + k - 1} + \log \operatorname{softmax}(V_k U_k h)_{c - c_k} & c_k \le c < c_{k+1} \end{cases}$$
#
# with $U_k \in \mathbb{R}^{d_k \times d}$ and $V_k \in \mathbb{R}^{(c_{k+1} - c_k) \times d_k}$, neither with a
# bias; the head has the bias $b$ only with `head_bias=True`. It is a complete distribution: the probabilities
# of all classes sum to 1. The loss is the mean negative log-likelihood of the targets:
#
# $$L = -\frac{1}{N} \sum_{n=1}^{N} \log p(y_n \mid h_n)$$
#
# It is used differently from the other losses: there is no `reduction` (always the mean); `forward(input,
# target)` returns a named tuple `(output, loss)`, `output` being each sample's $\log p(y_n \mid h_n)$;
# `log_prob(input)` gives the log-probabilities of all classes, `(N, n_classes)`; `predict(input)` gives the
# most probable class, looking at the head first: when the head's best is a shortlist class it returns it
# without computing any tail (its probability is then at least that of any whole cluster, so it is the overall
# best).
#
# ### 9.2 From scratch, checked against PyTorch
#
# Below, all log-probabilities are computed from scratch with the module's own weights, for three sets of
# `cutoffs`, `div_value` (4, 2, 1) and `head_bias`, checked against both outputs of `forward` and its gradient,
# `log_prob`, `predict`, and an unbatched input.
#
# ### 9.3 Intuition: how much it saves
#
# Picture a more realistic size: $d = 512$, $V = 100{,}000$ classes with Zipf frequencies, cutoffs at 2,000 and
# 10,000. In training every sample needs the head, but a cluster's tail only when the target falls in that
# cluster; and the tails first project to $512/4 = 128$ and $512/16 = 32$ dimensions. The left plot shows the
# frequencies and the two cutoffs; the right one compares the parameters and the expected multiply-adds per
# sample (both computed from the module's own shapes).

# %%
def adaptive_log_prob(asm, h):
    head = F.linear(h, asm.head.weight, asm.head.bias).log_softmax(dim=-1)
    parts = [head[..., : asm.shortlist_size]]  # 短列表：头部直接给出 / shortlist: from the head
    for k, (project, out) in enumerate(asm.tail):
        within = F.linear(F.linear(h, project.weight), out.weight).log_softmax(dim=-1)
        parts.append(head[..., asm.shortlist_size + k, None] + within)  # log p(簇) + log p(类 | 簇)
    return torch.cat(parts, dim=-1)


configs = [([4], 4.0, False), ([3, 8, 15], 2.0, True), ([5, 12], 1.0, False)]
for cutoffs, div_value, head_bias in configs:
    torch.manual_seed(9)
    asm = nn.AdaptiveLogSoftmaxWithLoss(16, 20, cutoffs, div_value=div_value, head_bias=head_bias)
    h = torch.randn(30, 16, requires_grad=True)
    target = torch.randint(0, 20, (30,))
    log_prob = adaptive_log_prob(asm, h)
    output, loss = asm(h, target)
    ours = log_prob.gather(1, target[:, None]).squeeze(1)
    assert_close(ours, output, "AdaptiveLogSoftmaxWithLoss")
    assert_close(-ours.mean(), loss, "AdaptiveLogSoftmaxWithLoss")
    assert_close(grad(-ours.mean(), h), grad(loss, h), "AdaptiveLogSoftmaxWithLoss")
    assert_close(log_prob, asm.log_prob(h), "AdaptiveLogSoftmaxWithLoss")
    assert_close(log_prob.argmax(dim=1), asm.predict(h), "AdaptiveLogSoftmaxWithLoss")
    assert_close(log_prob.exp().sum(dim=1), torch.ones(30), "AdaptiveLogSoftmaxWithLoss")
    single_output, _ = asm(h[0], target[0])  # 没有批次维 / no batch dimension
    single_ours = adaptive_log_prob(asm, h[0])[target[0]]
    assert_close(single_ours, single_output, "AdaptiveLogSoftmaxWithLoss")
    tails = ", ".join(f"{p.in_features}→{p.out_features}→{o.out_features}" for p, o in asm.tail)
    print(f"cutoffs={cutoffs}, div_value={div_value}, head_bias={head_bias}: "
          f"头部 / head 16→{asm.head_size}; 尾部 / tails {tails}")
print("AdaptiveLogSoftmaxWithLoss ✓ 与 PyTorch 一致 / matches")
print("  (output, loss, gradient; log_prob, predict; unbatched)")
print("log_prob ✓ 每行的概率之和为 1 / each row's probabilities sum to 1")

# %%
d, V, cutoffs = 512, 100_000, [2_000, 10_000]
big = nn.AdaptiveLogSoftmaxWithLoss(d, V, cutoffs, div_value=4.0)
rank = torch.arange(1, V + 1, dtype=torch.float64)
frequency = (1 / rank) / (1 / rank).sum()  # 齐普夫定律 / Zipf's law
bounds = [0, *cutoffs, V]
p_part = [frequency[a:b].sum().item() for a, b in zip(bounds[:-1], bounds[1:])]
tail_cost = [p.in_features * p.out_features + o.in_features * o.out_features for p, o in big.tail]
adaptive_cost = d * big.head_size + sum(p * cost for p, cost in zip(p_part[1:], tail_cost))
adaptive_params = fc.count_parameters(big)
assert adaptive_params == d * big.head_size + sum(tail_cost)

fig, (ax_freq, ax_cost) = plt.subplots(1, 2, figsize=(10, 3.5))
ax_freq.loglog(rank, frequency)
names = [("短列表", "shortlist"), ("簇 1", "cluster 1"), ("簇 2", "cluster 2")]
for i, (a, b, part, name) in enumerate(zip(bounds[:-1], bounds[1:], p_part, names)):
    ax_freq.axvspan(a + 1, b, alpha=0.15, color=f"C{i + 1}")
    label = fc.label(*name).replace(" / ", "\n")
    ax_freq.text(math.sqrt((a + 1) * b), 2e-8, f"{label}\n{100 * part:.0f}%", ha="center",
                 va="bottom", fontsize=7)
ax_freq.set_xlabel(fc.label("类别的频率排名", "frequency rank of the class"))
ax_freq.set_ylabel(fc.label("频率", "frequency"))
ax_freq.set_ylim(1e-8, 1e-1)
bars = {fc.label("参数", "parameters"): (d * V, adaptive_params),
        fc.label("每个样本的乘加", "multiply-adds per sample"): (d * V, adaptive_cost)}
for i, (what, (flat, adaptive)) in enumerate(bars.items()):
    ax_cost.bar(i - 0.2, flat / 1e6, 0.4, color="C0", label=fc.label("完整 softmax", "full softmax")
                if i == 0 else None)
    ax_cost.bar(i + 0.2, adaptive / 1e6, 0.4, color="C1", label=fc.label("自适应", "adaptive")
                if i == 0 else None)
ax_cost.set_xticks([0, 1], [what.replace(" / ", "\n") for what in bars])
ax_cost.set_ylim(0, 70)
ax_cost.set_ylabel(fc.label("百万", "millions"))
ax_cost.legend(fontsize=8)
fig.suptitle(fc.label("自适应 softmax：常用的类走短路",
                      "adaptive softmax: the common classes take a short way"))
fig.tight_layout()
plt.show()
print(f"P(短列表 / shortlist) = {p_part[0]:.2f}, P(簇 / cluster 1) = {p_part[1]:.2f}, "
      f"P(簇 / cluster 2) = {p_part[2]:.2f}")
print(f"参数 / parameters: {d * V / 1e6:.1f}M → {adaptive_params / 1e6:.1f}M; 每个样本的乘加 / "
      f"multiply-adds per sample: {d * V / 1e6:.1f}M → {adaptive_cost / 1e6:.2f}M")

# %% [markdown] tags=["zh"]
# ### 9.4 何时使用
#
# - 类别非常多、频率又很不均匀时：大词表的语言模型、推荐里的海量物品。类别少（比如 Fashion-MNIST 的 10 类）或频率均匀时没有好处。
# - 类别必须先按频率从高到低重新编号：截断点只是编号的区间，PyTorch 不会替你排序。
# - 省下的是计算和参数，代价是稀有类的表达能力变弱（它们只经过 $d_k$ 维的投影）；`div_value` 越大越省，也越弱。
# - 它同时是输出层和损失，替代最后的 `nn.Linear` 加 `CrossEntropyLoss`；评估时用 `log_prob` 或 `predict`，不要再接 softmax。

# %% [markdown] tags=["en"]
# ### 9.4 When to use
#
# - Very many classes with very uneven frequencies: language models with large vocabularies, huge item
#   catalogues in recommendation. With few classes (Fashion-MNIST's 10) or even frequencies it brings nothing.
# - Renumber the classes from most to least frequent first: the cutoffs are only index ranges, and PyTorch does
#   not sort for you.
# - It saves compute and parameters, at the price of weaker rare classes (they pass through a $d_k$-dimensional
#   projection); a larger `div_value` saves more and weakens more.
# - It is the output layer and the loss at once, replacing the last `nn.Linear` plus `CrossEntropyLoss`; to
#   evaluate, use `log_prob` or `predict`, with no softmax after them.

# %% [markdown] tags=["zh"]
# ## 10. 省内存：`LinearCrossEntropyLoss`（选读）
#
# ### 10.1 定义
#
# `nn.LinearCrossEntropyLoss(in_features, num_classes)` 把最后的线性层和交叉熵合成一个模块：它自己持有权重 $W \in \mathbb{R}^{C \times d}$（`bias=True` 时还有偏置 $b$），输入是最后一层之前的特征 $x_n \in \mathbb{R}^{d}$，而不是 logits。数值上它就是第 06 课的交叉熵作用在 $z_n = W x_n + b$ 上，选项也相同（$q_n$ 是平滑后的目标分布，$w_c$ 是类别权重）：
#
# $$\ell_n = -\sum_{c=1}^{C} w_c\, q_{n,c} \log \operatorname{softmax}(W x_n + b)_c, \qquad L_{\text{mean}} = \frac{\sum_n \ell_n}{\sum_n w_{y_n}}$$
#
# 构造参数（来自 `help(nn.LinearCrossEntropyLoss)`）：`in_features`、`num_classes`；`out_features`（一个元组 $(d_1, \dots, d_K)$，让每个样本有 $K$ 维的一组目标，权重的形状变成 $(C, d_1, \dots, d_K, d)$）；`bias`（默认 `False`）；`weight`、`reduction`、`label_smoothing` 与 `CrossEntropyLoss` 相同（概率目标时 `"mean"` 除以 $N$）；`ignore_index` 默认 `None`，对类别编号的目标相当于 $-100$；`device`、`dtype`；以及 `options`：默认 `None` 走参考实现（先算出全部 logits），给一个 `nn.LinearCrossEntropyOptions(...)` 就走分块（chunking）实现，常用的字段是 `batch_chunk_size`（每块多少行）。分块实现只支持一部分情况（例如不支持 `label_smoothing`），不支持时发出警告并退回参考实现（下面的单元格里有一个这样的例子，打印出警告）。这个类只有较新版本才有（PyTorch 2.13 的文档里已经有它）；在没有它的版本里（本课程支持 2.7 起），下面的单元格只与 `F.cross_entropy` 对照。
#
# ### 10.2 为什么能省内存
#
# 参考实现先算出 $N \times C$ 的 logits，反向传播时还要一个同样大小的梯度。$C$ 很大时，这两块远比 $x$（$N \times d$）和 $W$（$C \times d$）大。交叉熵对 logits 的梯度有简单的闭式（第 06 课）：
#
# $$\frac{\partial L}{\partial z_n} = \frac{\operatorname{softmax}(z_n) - \operatorname{onehot}(y_n)}{N}, \qquad \frac{\partial L}{\partial x_n} = W^{\top} \frac{\partial L}{\partial z_n}, \qquad \frac{\partial L}{\partial W} = \sum_{n} \frac{\partial L}{\partial z_n}\, x_n^{\top}$$
#
# 所以可以一块一块地处理：每次只算 `batch_chunk_size` 行 logits，当场算出这几行对 $x$ 的梯度，把对 $W$ 的梯度累加起来，然后丢掉这块 logits。PyTorch 的分块路径就是这样在前向传播时预先算好梯度的（所以默认不能对它反向传播两次）。下面第二个单元格从零写出这个做法（没有 `weight` 和 `label_smoothing` 的平均交叉熵），与 autograd 对照，再算一算能省多少。

# %% [markdown] tags=["en"]
# ## 10. Saving memory: `LinearCrossEntropyLoss` (optional)
#
# ### 10.1 Definition
#
# `nn.LinearCrossEntropyLoss(in_features, num_classes)` fuses the last linear layer and the cross-entropy into
# one module: it holds the weight $W \in \mathbb{R}^{C \times d}$ itself (and a bias $b$ with `bias=True`), and
# its input is the features before the last layer, $x_n \in \mathbb{R}^{d}$, not logits. In value it is lesson
# 06's cross-entropy applied to $z_n = W x_n + b$, with the same options ($q_n$ is the smoothed target
# distribution, $w_c$ the class weights):
#
# $$\ell_n = -\sum_{c=1}^{C} w_c\, q_{n,c} \log \operatorname{softmax}(W x_n + b)_c, \qquad L_{\text{mean}} = \frac{\sum_n \ell_n}{\sum_n w_{y_n}}$$
#
# The constructor arguments (from `help(nn.LinearCrossEntropyLoss)`): `in_features`, `num_classes`;
# `out_features` (a tuple $(d_1, \dots, d_K)$ giving each sample a $K$-dimensional set of targets, the weight's
# shape becoming $(C, d_1, \dots, d_K, d)$); `bias` (default `False`); `weight`, `reduction` and
# `label_smoothing` as in `CrossEntropyLoss` (with probability targets `"mean"` divides by $N$); `ignore_index`, default `None`, which means $-100$ for class-index
# targets; `device`, `dtype`; and `options`: the default `None` takes the reference path (all logits computed
# first), while an `nn.LinearCrossEntropyOptions(...)` takes the chunked path, whose usual field is
# `batch_chunk_size` (rows per chunk). The chunked path supports only some cases (not `label_smoothing`, for
# one); otherwise it warns and falls back to the reference path (the cell below has such a case and prints the
# warning). Only newer releases have the class (PyTorch 2.13's documentation has it); in a version without it
# (the course supports 2.7 on) the cell below checks against `F.cross_entropy` only.
#
# ### 10.2 Why it saves memory
#
# The reference path first computes the $N \times C$ logits, and the backward pass needs a gradient of the same
# size. With a large $C$, these two are much bigger than $x$ ($N \times d$) and $W$ ($C \times d$). The
# gradient of cross-entropy with respect to the logits has a simple closed form (lesson 06):
#
# $$\frac{\partial L}{\partial z_n} = \frac{\operatorname{softmax}(z_n) - \operatorname{onehot}(y_n)}{N}, \qquad \frac{\partial L}{\partial x_n} = W^{\top} \frac{\partial L}{\partial z_n}, \qquad \frac{\partial L}{\partial W} = \sum_{n} \frac{\partial L}{\partial z_n}\, x_n^{\top}$$
#
# So the work can go chunk by chunk: compute only `batch_chunk_size` rows of logits at a time, compute those
# rows' gradient for $x$ on the spot, add their gradient for $W$ to a running sum, and drop the chunk of
# logits. That is how PyTorch's chunked path precomputes the gradients during the forward pass (which is why, by
# default, it cannot be backpropagated twice). The second cell below writes this from scratch (mean
# cross-entropy without `weight` or `label_smoothing`), checks it against autograd, and works out what it
# saves.

# %%
HAS_LCE = hasattr(nn, "LinearCrossEntropyLoss") and hasattr(nn, "LinearCrossEntropyOptions")


def linear_cross_entropy(x, W, target, bias=None, weight=None, ignore_index=-100,
                         label_smoothing=0.0, reduction="mean", chunk_size=None):
    """W x + b 的交叉熵，一次 chunk_size 行 / the cross-entropy of W x + b, chunk_size rows at a time."""
    C = W.shape[0]
    w = torch.ones(C) if weight is None else weight
    losses, denominator = [], 0.0
    for rows in torch.arange(len(x)).split(chunk_size or len(x)):
        z = torch.einsum("ni,c...i->nc...", x[rows], W)  # (chunk, C, d1, ...)
        logp = (z if bias is None else z + bias).log_softmax(dim=1)
        wv = w.view(1, C, *[1] * (logp.dim() - 2))
        if target.dtype == torch.long:  # 类别编号 / class indices
            keep = target[rows] != ignore_index
            t = torch.where(keep, target[rows], 0)
            q = F.one_hot(t, C).movedim(-1, 1).float()
            denominator = denominator + (w[t] * keep).sum()  # 权重之和 / the sum of the weights
        else:  # 概率目标 / probability targets
            q, keep = target[rows], torch.ones(logp[:, 0].shape, dtype=torch.bool)
            denominator = denominator + keep.numel()
        q = (1 - label_smoothing) * q + label_smoothing / C
        losses.append(-(wv * q * logp).sum(dim=1) * keep)
    loss = torch.cat(losses)
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / denominator


torch.manual_seed(10)
N, D, C = 10, 6, 7
x0 = torch.randn(N, D)
y = torch.randint(0, C, (N,))
y[[2, 5]] = -100  # 被忽略 / ignored
y_k = torch.randint(0, C, (N, 3))  # out_features=(3,)：每个样本 3 个目标 / 3 targets per sample
probs = torch.randn(N, C).softmax(dim=1)
w = torch.rand(C) + 0.5
cases = [  # (out_features, 选项 / options, 目标 / target)
    ((), {}, y), ((), {"bias": True}, y), ((), {"weight": w}, y),
    ((), {"ignore_index": 3}, y.clamp(min=0)), ((), {"label_smoothing": 0.2, "weight": w}, y),
    ((3,), {"bias": True, "weight": w, "label_smoothing": 0.1}, y_k),
    ((), {"weight": w, "label_smoothing": 0.1}, probs),
]
if HAS_LCE:
    chunked = nn.LinearCrossEntropyOptions(batch_chunk_size=4)
    cases += [((), {"options": chunked}, y),
              ((), {"options": chunked, "bias": True, "weight": w}, y),
              ((), {"options": chunked, "label_smoothing": 0.1}, y)]  # 不支持：退回 / falls back
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for (out_features, options, target), reduction in itertools.product(cases, REDUCTIONS):
        torch.manual_seed(11)
        x = x0.clone().requires_grad_(True)
        ignore_index = options.get("ignore_index", -100)
        smoothing, class_weight = options.get("label_smoothing", 0.0), options.get("weight")
        if HAS_LCE:
            module = nn.LinearCrossEntropyLoss(D, C, out_features=out_features, reduction=reduction,
                                               **options)
            W = module.linear.weight.detach().reshape(C, *out_features, D)
            b = module.linear.bias
            b = None if b is None else b.detach().reshape(C, *out_features)
            theirs = module(x, target)
        else:  # 更早的 PyTorch：与 F.cross_entropy 对照 / older PyTorch: against F.cross_entropy
            W = torch.randn(C, *out_features, D)
            b = torch.randn(C, *out_features) if options.get("bias") else None
            z = F.linear(x, W.reshape(-1, D), None if b is None else b.reshape(-1))
            theirs = F.cross_entropy(z.reshape(N, C, *out_features), target, weight=class_weight,
                                     ignore_index=ignore_index, label_smoothing=smoothing,
                                     reduction=reduction)
        ours = linear_cross_entropy(x, W, target, b, class_weight, ignore_index, smoothing,
                                    reduction, chunk_size=3)
        assert_close(ours, theirs, "LinearCrossEntropyLoss")
        assert_close(grad(ours, x), grad(theirs, x), "LinearCrossEntropyLoss")
if caught:  # 第一条警告的开头（每种归约各有一条）/ the start of the first (one per reduction)
    first = f"{caught[0].category.__name__}: {caught[0].message}"
    print("\n  ".join(textwrap.wrap(first, 92)[:3]) + " ...")
if HAS_LCE:  # 分块路径不支持 label_smoothing：警告并退回 / label_smoothing: a warning, then fallback
    assert any("label_smoothing" in str(w.message) for w in caught)
    print("LinearCrossEntropyLoss ✓ 与 nn.LinearCrossEntropyLoss 一致 / matches (bias, weight, "
          "ignore_index,")
    print("  label_smoothing, out_features, probability targets, options; mean, sum, none), "
          "梯度 / gradient ✓")
else:
    print(f"PyTorch {torch.__version__} 里没有 nn.LinearCrossEntropyLoss（2.13 的文档里已有），"
          "只与 F.cross_entropy 对照 ✓")
    print(f"PyTorch {torch.__version__} lacks nn.LinearCrossEntropyLoss (documented in 2.13); "
          "checked against F.cross_entropy ✓")

# %%
def chunked_loss_and_grads(x, W, target, chunk_size):
    """平均交叉熵及其对 x、W 的梯度；任何时候只有 chunk_size 行 logits
    / mean cross-entropy and its gradients for x and W; at most chunk_size rows of logits."""
    n, C = len(x), W.shape[0]
    loss, grad_x, grad_W = x.new_zeros(()), torch.empty_like(x), torch.zeros_like(W)
    for rows in torch.arange(n).split(chunk_size):
        logp = (x[rows] @ W.T).log_softmax(dim=1)  # (chunk_size, C)：只有这一块 / only this chunk
        loss += -logp.gather(1, target[rows, None]).sum() / n
        g = (logp.exp() - F.one_hot(target[rows], C)) / n  # ∂L/∂z = (softmax - onehot) / N
        grad_x[rows] = g @ W
        grad_W += g.T @ x[rows]
    return loss, grad_x, grad_W  # logp 和 g 每一块用完就丢 / dropped after each chunk


torch.manual_seed(12)
x = torch.randn(64, 16, requires_grad=True)
target = torch.randint(0, 1000, (64,))
if HAS_LCE:
    options = nn.LinearCrossEntropyOptions(batch_chunk_size=8)
    module = nn.LinearCrossEntropyLoss(16, 1000, options=options)
    W = module.linear.weight
    reference = module(x, target)
else:
    W = torch.randn(1000, 16, requires_grad=True)
    reference = F.cross_entropy(x @ W.T, target)
reference.backward()
with torch.no_grad():
    loss, grad_x, grad_W = chunked_loss_and_grads(x, W, target, chunk_size=8)
assert_close(loss, reference.detach(), "LinearCrossEntropyLoss")
assert_close(grad_x, x.grad, "LinearCrossEntropyLoss")
assert_close(grad_W, W.grad, "LinearCrossEntropyLoss")
print("分块计算的损失和梯度 ✓ 与 autograd 一致 / the chunked loss and gradients ✓ match autograd")

tokens, d, chunk, GiB = 8192, 4096, 1024, 2**30
vocab = torch.logspace(3, math.log10(262_144), 60, dtype=torch.float64)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.loglog(vocab, 2 * tokens * vocab * 4 / GiB,
          label=fc.label("参考实现：logits 及其梯度", "reference: logits and their gradient"))
ax.loglog(vocab, 2 * chunk * vocab * 4 / GiB,
          label=fc.label(f"分块（{chunk} 行）", f"chunked ({chunk} rows)"))
ax.loglog(vocab, 2 * (tokens + vocab) * d * 4 / GiB, "--", color="gray",
          label=fc.label("x、W 及其梯度（总要有）", "x, W and their gradients (needed anyway)"))
ax.set_xlabel(fc.label("类别数 C（词表大小）", "number of classes C (vocabulary size)"))
ax.set_ylabel("GiB (float32)")
ax.set_title(fc.label(f"N = {tokens} 个词元，d = {d}", f"N = {tokens} tokens, d = {d}"))
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
V = 128_000
print(f"C = {V:,}: logits + 梯度 / gradient {2 * tokens * V * 4 / GiB:.2f} GiB; "
      f"分块 / chunked {2 * chunk * V * 4 / GiB:.2f} GiB;")
print(f"  x, W + 梯度 / gradients {2 * (tokens + V) * d * 4 / GiB:.2f} GiB")

# %% [markdown] tags=["zh"]
# ### 10.3 何时使用
#
# - 类别数远大于特征维数、批次（或序列里的词元）又很多时：大语言模型的输出层，$C$ 为 10 万以上、一批几千上万个词元。按上面的估算，$C = 128{,}000$、$N = 8192$ 时参考实现要为 logits 和它们的梯度准备约 7.8 GiB（float32），分块后只要约 1 GiB，而 $x$、$W$ 和它们的梯度本来就要约 4.2 GiB：省下的是整个输出层里最大的一块。
# - 它省内存，不省计算：乘加次数和普通的线性层加交叉熵一样。与第 9 节的自适应 softmax 不同，它不改变模型：结果就是线性层加 `CrossEntropyLoss` 的结果（只差浮点误差）。
# - 类别少时（比如 Fashion-MNIST 的 10 类）没有意义，$N \times C$ 的 logits 本来就很小。`nn.LinearCrossEntropyOptions` 的文档给的经验法则是：批次的行数 $N \ge d$、类别数 $C > d$ 时分块才划算，否则参考实现更省。
# - 分块路径有限制：不能反向传播两次（需要时设 `allow_retain_graph=True`），不支持高阶导数；不支持的选项会退回参考实现并发出警告。旧版 PyTorch 里没有这个类时，可以像上面那样自己分块，或者对输出层用梯度检查点（`torch.utils.checkpoint`）。
#
# 这一课的对照都经过了 `assert_close`，它为每个类记下了与 PyTorch 的最大绝对差，列在下面（数字的最后几位可能随机器变化，这个单元格不比较输出）。

# %% [markdown] tags=["en"]
# ### 10.3 When to use
#
# - Far more classes than feature dimensions, and many samples (or tokens in a sequence) per batch: the output
#   layer of a large language model, with $C$ above 100 thousand and thousands of tokens per batch. By the
#   estimate above, at $C = 128{,}000$ and $N = 8192$ the reference path needs about 7.8 GiB (float32) for the
#   logits and their gradient, the chunked one about 1 GiB, while $x$, $W$ and their gradients need about 4.2 GiB
#   anyway: what it saves is the largest block of the whole output layer.
# - It saves memory, not compute: the multiply-adds are those of a plain linear layer and cross-entropy. Unlike
#   section 9's adaptive softmax, it does not change the model: the result is that of a linear layer plus
#   `CrossEntropyLoss` (up to rounding).
# - With few classes (Fashion-MNIST's 10) it is pointless: the $N \times C$ logits are small anyway. The
#   documentation of `nn.LinearCrossEntropyOptions` gives the rule of thumb: chunking pays when the batch has
#   $N \ge d$ rows and $C > d$ classes; below that the reference path is cheaper.
# - The chunked path has limits: no second backward pass (set `allow_retain_graph=True` when you need one), no
#   higher-order derivatives; an unsupported option falls back to the reference path with a warning. In older
#   PyTorch without this class, chunk by hand as above, or use gradient checkpointing
#   (`torch.utils.checkpoint`) on the output layer.
#
# Every check of this lesson went through `assert_close`, which recorded for each class the largest absolute
# difference from PyTorch, listed below (the last digits may change from machine to machine, so this cell's
# output is not compared).

# %% tags=["nbval-ignore-output"]
for name, diff in LARGEST.items():
    print(f"{name:<28}{diff:.2e}")

# %% [markdown] tags=["zh"]
# ## 11. 练习
#
# 两个练习：第一个找出错误，第二个手算一个很小的 CTC。它们只用到核心部分（第 5、6 节和第 7.1 节）。
#
# ### 练习 1：预测均值和不确定性的损失，找出错误（调试）
#
# 第 6 节的模型用 softplus 让方差为正。另一种常见的做法是让网络的第二个输出表示对数标准差 $\log \sigma$：它可以取任何实数，$\sigma = e^{\log \sigma}$ 总是正的。下面的 `buggy_gaussian_head_loss(out, y)` 就是这样一个模型的损失：`out` 是网络的输出，形状 `(N, 2)`，第 0 列是均值 $\mu$，第 1 列是 $\log \sigma$；`y` 是目标，形状 `(N,)`。它应该返回 `nn.GaussianNLLLoss()`（默认选项）在这一批上的值，但它有两个错误，都不报错，都是前面的课讲过的陷阱。它后面的单元格让一个完全猜对的“网络”（均值和 $\sigma$ 都是生成数据时用的真值）去算这个损失，并打印出这时负对数似然大约应有的值 $\frac{1}{2}\log \sigma^2 + \frac{1}{2}$：差得很远。在答案单元格里写出改好的 `gaussian_head_loss`，签名不变，数值和对 `out` 的梯度都要对。检查一次比较一种情形（1 个样本或 8 个样本，$\sigma = 1$ 或不是 1），并说出还剩哪个错误。

# %% [markdown] tags=["en"]
# ## 11. Exercises
#
# Two exercises: the first is a bug hunt, the second a very small CTC by hand. They use only the core (sections 5
# and 6, and section 7.1).
#
# ### Exercise 1: the loss of a mean and its uncertainty, find the bugs (debug)
#
# Section 6's model keeps its variance positive with a softplus. Another common way is to have the network's second
# output stand for the log standard deviation $\log \sigma$: it may take any real value, and $\sigma = e^{\log
# \sigma}$ is always positive. `buggy_gaussian_head_loss(out, y)` below is the loss of such a model: `out` is the
# network's output, of shape `(N, 2)`, column 0 the mean $\mu$ and column 1 $\log \sigma$; `y` holds the targets,
# of shape `(N,)`. It should return the value of `nn.GaussianNLLLoss()` (default options) on this batch, but it has
# two bugs, neither raising an error, both traps from earlier lessons. The cell after it feeds the loss a
# "network" that guesses exactly right (the mean and $\sigma$ used to make the data) and prints what the negative
# log-likelihood should then be about, $\frac{1}{2}\log \sigma^2 + \frac{1}{2}$: far off. Write the fixed
# `gaussian_head_loss`, with the same signature, in the answer cell; its value and its gradient with respect to
# `out` must be right. The check compares one situation at a time (1 sample or 8, $\sigma = 1$ or not) and names
# the bug still there.

# %%
def buggy_gaussian_head_loss(out, y):
    """out: (N, 2)，每行是 (μ, log σ)；y: (N,) / out: (N, 2), each row (μ, log σ); y: (N,)."""
    mean = out[:, :1]  # 第 0 列：均值 / column 0: the mean
    var = torch.exp(out[:, 1])  # 第 1 列是 log σ，取指数 / column 1 is log σ: exponentiate
    return nn.GaussianNLLLoss()(mean, y, var)


gen = torch.Generator().manual_seed(0)
mu_true = 3 * torch.randn(1000, generator=gen, dtype=torch.float64)  # 每个样本的均值 / per sample
for sigma in (1.0, 2.0):
    y_demo = mu_true + sigma * torch.randn(1000, generator=gen, dtype=torch.float64)
    out_demo = torch.stack([mu_true, torch.full_like(mu_true, math.log(sigma))], dim=1)  # 全猜对
    about = 0.5 * math.log(sigma**2) + 0.5  # ½·log σ² + ½·E[(y − μ)²]/σ²
    print(f"σ = {sigma:.0f}: buggy_gaussian_head_loss = "
          f"{buggy_gaussian_head_loss(out_demo, y_demo).item():.2f}，"
          f"大约应为 / should be about {about:.2f}")

# %% nbgrader={"grade": false, "grade_id": "l12_ex1_fix_gaussian_head", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-debug"]
def gaussian_head_loss(out, y):
    ### BEGIN SOLUTION
    mean = out[:, 0]  # 形状 (N,)，与 y 相同；out[:, :1] 会广播成 (N, N) / (N,), as y
    var = torch.exp(2 * out[:, 1])  # 方差 σ² = exp(2·log σ)，不是 σ / the variance, not σ
    return nn.GaussianNLLLoss()(mean, y, var)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "l12_ex1_fix_gaussian_head_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex1_fix_gaussian_head(gaussian_head_loss)

# %% [markdown] tags=["zh"]
# ### 练习 2：手算三帧的 CTC（迁移）
#
# 第 7.1 节的图画出了 $T = 5$ 帧时能折叠成 AB 和 AA 的所有路径。现在只有 $T = 3$ 帧，字母表是 $\{\varnothing, 1, 2, 3\}$（空白的编号是 0）。先在纸上列出：哪些长为 3 的路径能折叠成一个符号 $[l]$？折叠成两个不同的符号 $[a, b]$？折叠成两个相同的符号 $[a, a]$？然后写出 `ctc_loss_t3(log_probs, label)`：`log_probs` 是形状 `(3, 4)` 的对数概率（每帧一行），`label` 是一个只有 1 个或 2 个符号的列表（例如 `[2]`、`[1, 3]`、`[2, 2]`，不含空白）；把 $p(\mathbf{l} \mid \mathbf{x})$ 写成你列出的那些路径的概率乘积之和，返回 `nn.CTCLoss()`（默认 `blank=0`、`reduction="mean"`）对这一个样本给出的损失。注意第 7.1 节说的 `"mean"` 除以什么。不要调用 `F.ctc_loss` 或 `nn.CTCLoss`，也不要穷举所有路径（第 7.1 节的 `all_alignments`；检查会拒绝 `itertools.product`）或者借用选读第 7.2 节的 `ctc_nll`：这个练习要你自己找出对齐。检查在几组随机的对数概率上与 `nn.CTCLoss` 比较。

# %% [markdown] tags=["en"]
# ### Exercise 2: CTC by hand for three frames (transfer)
#
# The figure of section 7.1 drew every path that collapses to AB and to AA over $T = 5$ frames. Now there are only
# $T = 3$ frames, and the alphabet is $\{\varnothing, 1, 2, 3\}$ (the blank's index is 0). First list, on paper:
# which paths of length 3 collapse to one symbol $[l]$? To two different symbols $[a, b]$? To two equal symbols
# $[a, a]$? Then write `ctc_loss_t3(log_probs, label)`: `log_probs` holds log-probabilities of shape `(3, 4)` (one
# row per frame), `label` is a list of 1 or 2 symbols (such as `[2]`, `[1, 3]` or `[2, 2]`, never the blank);
# write $p(\mathbf{l} \mid \mathbf{x})$ as the sum of the products of the probabilities along the paths you listed,
# and return the loss `nn.CTCLoss()` (defaults `blank=0`, `reduction="mean"`) gives this one sample. Mind what
# section 7.1 says `"mean"` divides by. Do not call `F.ctc_loss` or `nn.CTCLoss`, do not enumerate every path
# (section 7.1's `all_alignments`; the check refuses `itertools.product`), and do not borrow `ctc_nll` from the
# optional section 7.2: the exercise is to find the alignments yourself. The check compares your function with
# `nn.CTCLoss` on a few random sets of log-probabilities.

# %% nbgrader={"grade": false, "grade_id": "l12_ex2_ctc_by_hand", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-transfer"]
def ctc_loss_t3(log_probs, label):
    ### BEGIN SOLUTION
    y = log_probs.exp()  # y[t, k]：第 t 帧输出 k 的概率 / the probability of k at frame t
    if len(label) == 1:  # l 占一到三帧，空白在前后 / l for 1 to 3 frames, blanks around it
        (l,) = label
        paths = [(l, l, l), (l, l, 0), (0, l, l), (l, 0, 0), (0, l, 0), (0, 0, l)]
    elif label[0] != label[1]:  # 一个空白放在某处，或一个符号占两帧 / one blank, or one symbol twice
        a, b = label
        paths = [(0, a, b), (a, 0, b), (a, b, 0), (a, a, b), (a, b, b)]
    else:  # 两个相同的符号之间必须有空白 / a blank must separate two equal symbols
        a = label[0]
        paths = [(a, 0, a)]
    p = sum(y[0, i] * y[1, j] * y[2, k] for i, j, k in paths)
    return -torch.log(p) / len(label)  # "mean"：除以目标长度 / divided by the target length
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "l12_ex2_ctc_by_hand_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex2_ctc_by_hand(ctc_loss_t3)

# %% [markdown] tags=["zh"]
# ## 小结
#
# - `MultiLabelSoftMarginLoss` 是每个类别一个二元交叉熵、按类别平均，与 `BCEWithLogitsLoss` 只差在归约；`weight` 不归一化。（选读）`MultiLabelMarginLoss` 只要求正类比负类高出 1，目标以 $-1$ 结尾，除以 $C$ 而不是（正类，负类）对的个数；它学不到“一个属性都没有”，它的分数也没有绝对的阈值。
# - `PoissonNLLLoss` 的最小值在 $\lambda = y$；默认 `log_input=True`，`eps` 只用于 `log_input=False`；`full=True` 加的是斯特林近似，而且只加在 $y > 1$ 处。
# - `GaussianNLLLoss` 让模型报出自己的方差，最好的方差是误差的平方；方差截断到 `eps` 时梯度直通。在 Fashion-MNIST 上，只看上半幅的模型对裤子最有把握、对包最没把握，各类的 $\sigma$ 与实际误差同升同降。
# - `CTCLoss` 对所有对齐求和，$\alpha$ 递推在 $O(T \cdot S)$ 内完成；`"mean"` 先除以目标长度；它对 `log_probs` 的梯度其实是对 logits 的梯度。读图像带的模型自己学会了在两件衣物之间输出空白。
# - （选读）`AdaptiveLogSoftmaxWithLoss` 让常用的类走短路，省计算和参数，代价是换了一个模型（稀有类只经过低维投影）；`LinearCrossEntropyLoss` 不改变模型，分块计算同样的交叉熵，省的是 $N \times C$ 的 logits 的内存。
#
# 下一课：更多优化器。

# %% [markdown] tags=["en"]
# ## Summary
#
# - `MultiLabelSoftMarginLoss` is one binary cross-entropy per class, averaged over the classes; it differs from
#   `BCEWithLogitsLoss` only in the reduction, and its `weight` is not normalized. (Optional) `MultiLabelMarginLoss`
#   only asks positives to beat negatives by 1, takes $-1$-terminated targets and divides by $C$, not by the number
#   of pairs; it cannot learn "no attribute", and its scores have no absolute threshold.
# - `PoissonNLLLoss` is smallest at $\lambda = y$; `log_input=True` by default, `eps` only for
#   `log_input=False`; `full=True` adds Stirling's approximation, and only where $y > 1$.
# - `GaussianNLLLoss` lets a model report its own variance, the best variance being the squared error; where the
#   variance is clamped to `eps`, the gradient passes straight through. On Fashion-MNIST, the model that sees
#   only the top half is surest about trousers and least sure about bags, and per class its $\sigma$ rises and
#   falls with the actual error.
# - `CTCLoss` sums over all alignments, the $\alpha$ recursion doing it in $O(T \cdot S)$; `"mean"` first divides
#   by the target lengths; its gradient for `log_probs` is really the gradient for the logits. The model reading
#   strips learned by itself to output a blank between two garments.
# - (Optional) `AdaptiveLogSoftmaxWithLoss` lets the common classes take a short way and saves compute and
#   parameters, at the price of a different model (rare classes pass through a low-dimensional projection);
#   `LinearCrossEntropyLoss` keeps the model, computes the same cross-entropy chunk by chunk and saves the memory
#   of the $N \times C$ logits.
#
# Next lesson: more optimizers.
