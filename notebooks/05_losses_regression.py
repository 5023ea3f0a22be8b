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
# # 05 回归损失函数
#
# 上一课：[04 超参数与验证集](04_tuning.ipynb) · 下一课：[06 分类损失函数](06_losses_classification.ipynb)
#
# 预计用时：约 85 分钟（阅读、运行和练习）。
#
# 损失函数（loss function）把“预测离目标有多远”变成一个数，训练就是让这个数变小。回归任务预测的是连续的数（温度、价格、坐标），最常用的损失函数有四个：`MSELoss`、`L1Loss`、`SmoothL1Loss` 和 `HuberLoss`。
#
# 学完这一课，你能够：
#
# - 写出这四个损失函数在每种 `reduction` 下的公式，用几行张量代码从零实现，并用 `torch.testing.assert_close` 对照 PyTorch 检查数值和梯度；
# - 从“损失与导数随误差变化”的图上读出每个损失函数怎样对待大误差，解释 `MSELoss` 为什么怕离群点，并说出 MSE 的几何意义（欧氏距离的平方）；
# - 分清 `L1Loss`（度量预测的误差）和 L1 正则化（惩罚模型的权重）；
# - 说清 `SmoothL1Loss` 的 `beta` 与 `HuberLoss` 的 `delta` 是什么关系；
# - 认出预测形状为 `(N, 1)`、目标形状为 `(N,)` 时只带一条警告的广播错误；
# - 按同样的步骤实现一个 PyTorch 没有的损失函数，让它的值和梯度在很大的误差下仍然有限；
# - 在验证集上比较两种损失函数，只给选中的那个看一次测试集。
#
# 每个损失函数都按同样的顺序讲：定义 → 直觉（配图）→ 从零实现 → 与 PyTorch 对照 → 何时使用。四个都讲完后再放在一起比较：离群点实验、形状与广播、在 Fashion-MNIST 上的小实验，最后是练习。

# %% [markdown] tags=["en"]
# # 05 Regression losses
#
# Previous: [04 Hyperparameters and the validation set](04_tuning.ipynb) · Next: [06 Classification losses](06_losses_classification.ipynb)
#
# Time: about 85 min (reading, running and the exercises).
#
# A loss function turns "how far is the prediction from the target" into one number, and training makes that
# number small. Regression predicts continuous numbers (a temperature, a price, a coordinate); four loss
# functions cover most of it: `MSELoss`, `L1Loss`, `SmoothL1Loss` and `HuberLoss`.
#
# After this lesson you can:
#
# - write the formula of each of the four for every `reduction`, implement it from scratch in a few lines of
#   tensor code, and check its values and gradient against PyTorch with `torch.testing.assert_close`;
# - read from the plot of "loss and derivative against the error" how each loss treats large errors, and
#   explain why `MSELoss` is sensitive to outliers, and say what MSE means geometrically (a squared Euclidean
#   distance);
# - tell `L1Loss` (which measures the errors of the predictions) from L1 regularization (which penalizes the
#   model's weights);
# - say how the `beta` of `SmoothL1Loss` and the `delta` of `HuberLoss` relate;
# - recognise the broadcasting bug, which comes with only a warning, when the prediction has shape `(N, 1)`
#   and the target `(N,)`;
# - implement, by the same steps, a loss that PyTorch does not have, with a value and gradient that stay
#   finite for very large errors;
# - compare two losses on the validation set and look at the test set once, for the one chosen.
#
# Each loss follows the same order: definition → intuition (with a plot) → from scratch → check against
# PyTorch → when to use. After the four, we compare them together: an outlier experiment, shapes and
# broadcasting, a small experiment on Fashion-MNIST, and finally the exercises.

# %%
import math
import textwrap
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

import fmnist_core as fc
from fmnist_core.checks import lesson05 as check

_ = fc.plot.cjk_font()  # 有中文字体就用它画图 / use a CJK font for plots when there is one
device = fc.get_device()  # 有 GPU 就用 GPU / the GPU when there is one

# %% [markdown] tags=["zh"]
# ## 0. 记号与归约（`reduction`）
#
# 模型的预测记作 $\hat{y}$（PyTorch 的参数名是 `input`），目标记作 $y$（`target`）。两者形状相同，一共有 $N$ 个元素。注意：$N$ 是所有维度上的元素总数，不只是批次大小；形状为 `(64, 10)` 时 $N = 640$。误差（error）记作 $e_i = \hat{y}_i - y_i$。
#
# 每个损失函数先对每个元素算出一个损失 $\ell_i$，再按参数 `reduction` 归约：
#
# $$L_{\text{none}} = (\ell_1, \dots, \ell_N), \qquad L_{\text{sum}} = \sum_{i=1}^{N} \ell_i, \qquad L_{\text{mean}} = \frac{1}{N} \sum_{i=1}^{N} \ell_i$$
#
# 默认是 `reduction="mean"`。`"none"` 返回与输入同形状的张量，想查看或自己加权每个元素的损失时用它。对 $\hat{y}_i$ 求导时，`"mean"` 比 `"sum"` 多一个因子 $1/N$：
#
# $$\frac{\partial L_{\text{mean}}}{\partial \hat{y}_i} = \frac{1}{N} \frac{\partial \ell_i}{\partial \hat{y}_i}, \qquad \frac{\partial L_{\text{sum}}}{\partial \hat{y}_i} = \frac{\partial \ell_i}{\partial \hat{y}_i}$$
#
# `"none"` 的结果不是标量；对它反向传播时传入一个全 1 的张量，得到的就是每个元素的导数 $\partial \ell_i / \partial \hat{y}_i$，与 `"sum"` 相同。四个损失函数只在 $\ell_i$ 上不同，所以我们先写好共用的归约和检查函数。

# %% [markdown] tags=["en"]
# ## 0. Notation and reduction (`reduction`)
#
# The model's prediction is $\hat{y}$ (PyTorch calls the argument `input`), the target is $y$ (`target`). Both
# have the same shape, with $N$ elements in all. Note: $N$ counts the elements over all dimensions, not just
# the batch size; for shape `(64, 10)`, $N = 640$. The error is $e_i = \hat{y}_i - y_i$.
#
# Each loss first computes one loss $\ell_i$ per element, then reduces them as the argument `reduction` says:
#
# $$L_{\text{none}} = (\ell_1, \dots, \ell_N), \qquad L_{\text{sum}} = \sum_{i=1}^{N} \ell_i, \qquad L_{\text{mean}} = \frac{1}{N} \sum_{i=1}^{N} \ell_i$$
#
# The default is `reduction="mean"`. `"none"` returns a tensor of the input's shape, for when you want to look
# at or weight each element's loss yourself. Differentiating with respect to $\hat{y}_i$, `"mean"` carries one
# more factor $1/N$ than `"sum"`:
#
# $$\frac{\partial L_{\text{mean}}}{\partial \hat{y}_i} = \frac{1}{N} \frac{\partial \ell_i}{\partial \hat{y}_i}, \qquad \frac{\partial L_{\text{sum}}}{\partial \hat{y}_i} = \frac{\partial \ell_i}{\partial \hat{y}_i}$$
#
# The result of `"none"` is not a scalar; backpropagating a tensor of ones through it gives each element's
# derivative $\partial \ell_i / \partial \hat{y}_i$, the same as `"sum"`. The four losses differ only in
# $\ell_i$, so we first write the reduction and the check they share.

# %%
def reduce(loss, reduction="mean"):
    """逐元素损失的归约 / reduce the elementwise losses."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / loss.numel()  # N = 所有元素的个数 / N = the number of elements
    raise ValueError(f"未知的 reduction / unknown reduction: {reduction!r}")


def reduce_grad(grad, reduction="mean"):
    """对预测的导数：mean 多一个 1/N / the derivative w.r.t. the prediction: mean adds 1/N."""
    return grad / grad.numel() if reduction == "mean" else grad


def check_against_torch(ours, ours_grad, torch_loss, **options):
    """数值和梯度都对照 PyTorch / check the values and the gradient against PyTorch."""
    torch.manual_seed(0)
    pred = 2 * torch.randn(8, 3)
    target = torch.randn(8, 3)
    target[0] = pred[0]  # 第一行误差恰好为 0 / the first row has exactly zero error
    for reduction in ("mean", "sum", "none"):
        p = pred.clone().requires_grad_(True)
        theirs = torch_loss(reduction=reduction, **options)(p, target)
        torch.testing.assert_close(ours(pred, target, reduction, **options), theirs)
        (grad,) = torch.autograd.grad(theirs, p, grad_outputs=torch.ones_like(theirs))
        torch.testing.assert_close(ours_grad(pred, target, reduction, **options), grad)
    opts = "".join(f"; {k}={v}" for k, v in options.items())
    print(f"✓ {ours.__name__} 与 / matches nn.{torch_loss.__name__} (mean, sum, none{opts}), "
          f"梯度 / gradient ✓")


errors = torch.linspace(-3, 3, 601)


def plot_loss_and_grad(curves, title):
    """左：损失随误差变化；右：它的导数 / left: loss vs error; right: its derivative (autograd)."""
    fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(10, 3.5))
    for name, loss_fn in curves.items():
        e = errors.clone().requires_grad_(True)
        loss = loss_fn(e, torch.zeros_like(e))  # 目标为 0 / target 0: prediction = error
        (grad,) = torch.autograd.grad(loss.sum(), e)
        ax_loss.plot(errors, loss.detach(), label=name)
        ax_grad.plot(errors, grad, label=name)
    ax_loss.set_ylabel(fc.label("损失 ℓ", "loss ℓ"))
    ax_grad.set_ylabel(fc.label("导数 dℓ/de", "derivative dℓ/de"))
    for ax in (ax_loss, ax_grad):
        ax.set_xlabel(fc.label("误差 e = 预测 - 目标", "error e = prediction - target"))
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


# %% [markdown] tags=["zh"]
# ## 1. 均方误差：`MSELoss`
#
# ### 1.1 定义
#
# 均方误差（mean squared error，MSE）对每个元素取误差的平方：
#
# $$\ell_i = (\hat{y}_i - y_i)^2 = e_i^2, \qquad \frac{\partial \ell_i}{\partial \hat{y}_i} = 2 e_i$$
#
# 用默认的 `reduction="mean"` 时，$L$ 就是所有平方误差的平均。注意 PyTorch 的 `MSELoss` 没有某些教材里的 $\tfrac{1}{2}$（例如《动手学深度学习》的平方损失），所以导数里有一个 2。
#
# ### 1.2 直觉
#
# 损失是一条抛物线：误差翻倍，损失变成 4 倍。导数是一条直线：误差越大，梯度越大，把预测拉回来的力也越大。数据干净时这很好：离得远就走得快，接近目标时自动放慢。但如果有一个离群点（outlier）误差特别大，它的梯度就能盖过其余所有点（第 5 节会看到）。
#
# 还有一个几何的看法。把 $N$ 个预测和 $N$ 个目标各看成 $N$ 维空间里的一个点（向量）$\hat{y}$ 和 $y$，MSE 就是这两点之间欧氏距离（Euclidean distance）的平方再除以 $N$：
#
# $$L_{\text{mean}} = \frac{1}{N} \sum_{i=1}^{N} (\hat{y}_i - y_i)^2 = \frac{1}{N} \lVert \hat{y} - y \rVert_2^2$$
#
# 所以 MSE 也叫 L2 损失，最小化 MSE 就是让预测向量离目标向量最近；RMSE $= \lVert \hat{y} - y \rVert_2 / \sqrt{N}$ 是这个距离除以 $\sqrt{N}$。平方让大的分量占主导：一个误差为 10 的元素和 100 个误差为 1 的元素贡献一样多。

# %% [markdown] tags=["en"]
# ## 1. Mean squared error: `MSELoss`
#
# ### 1.1 Definition
#
# The mean squared error (MSE) squares the error of each element:
#
# $$\ell_i = (\hat{y}_i - y_i)^2 = e_i^2, \qquad \frac{\partial \ell_i}{\partial \hat{y}_i} = 2 e_i$$
#
# With the default `reduction="mean"`, $L$ is the average of all squared errors. Note that PyTorch's
# `MSELoss` has no $\tfrac{1}{2}$, which some textbooks put there (the squared loss of Dive into Deep Learning,
# for one), so its derivative carries a factor 2.
#
# ### 1.2 Intuition
#
# The loss is a parabola: double the error and the loss becomes 4 times larger. The derivative is a straight
# line: the larger the error, the larger the gradient, and the harder the prediction is pulled back. On clean
# data that is good: far away, it moves fast; near the target, it slows down by itself. But one outlier with a
# very large error has a gradient that can outweigh all the other points together (section 5 shows it).
#
# There is also a geometric view. Take the $N$ predictions and the $N$ targets as two points (vectors)
# $\hat{y}$ and $y$ in $N$-dimensional space; MSE is the squared Euclidean distance between them, divided by
# $N$:
#
# $$L_{\text{mean}} = \frac{1}{N} \sum_{i=1}^{N} (\hat{y}_i - y_i)^2 = \frac{1}{N} \lVert \hat{y} - y \rVert_2^2$$
#
# That is why MSE is also called the L2 loss: minimizing it brings the prediction vector as close as possible
# to the target vector, and RMSE $= \lVert \hat{y} - y \rVert_2 / \sqrt{N}$ is that distance divided by
# $\sqrt{N}$. Squaring lets large components dominate: one element with error 10 counts as much as 100
# elements with error 1.

# %%
fig = plot_loss_and_grad({"MSELoss": nn.MSELoss(reduction="none")}, "MSELoss")
plt.show()

# %% [markdown] tags=["zh"]
# ### 1.3 从零实现

# %% [markdown] tags=["en"]
# ### 1.3 From scratch

# %%
def mse(pred, target, reduction="mean"):
    return reduce((pred - target) ** 2, reduction)


def mse_grad(pred, target, reduction="mean"):
    return reduce_grad(2 * (pred - target), reduction)


# %% [markdown] tags=["zh"]
# ### 1.4 与 PyTorch 对照
#
# `check_against_torch` 在带种子的随机输入上，对三种 `reduction` 分别比较数值，再把我们的导数公式和 autograd 求出的梯度比较。少了 2、多了 $\tfrac{1}{2}$ 或忘了 $1/N$，都会让它报错。最后用 `torch.linalg.vector_norm` 验证上面的几何看法。

# %% [markdown] tags=["en"]
# ### 1.4 Check against PyTorch
#
# `check_against_torch` compares the values for each of the three `reduction`s on seeded random inputs, then
# compares our derivative formula with the gradient autograd computes. A missing 2, an extra $\tfrac{1}{2}$
# or a forgotten $1/N$ each makes it fail. Last, `torch.linalg.vector_norm` checks the geometric view above.

# %%
check_against_torch(mse, mse_grad, nn.MSELoss)

torch.manual_seed(0)
pred, target = torch.randn(8, 3), torch.randn(8, 3)
distance = torch.linalg.vector_norm(pred - target)  # 欧氏距离 / Euclidean distance ‖ŷ - y‖₂
torch.testing.assert_close(nn.MSELoss()(pred, target), distance**2 / pred.numel())
print(f"✓ MSELoss = ‖ŷ - y‖₂² / N (N = {pred.numel()})")

# %% [markdown] tags=["zh"]
# ### 1.5 何时使用
#
# - 回归，且噪声大致是高斯分布时：这时最小化 MSE 就是极大似然估计（maximum likelihood estimation）。若 $y_i = \hat{y}_i + \varepsilon_i$，噪声 $\varepsilon_i \sim \mathcal{N}(0, \sigma^2)$ 相互独立，目标的负对数似然就是 $\frac{1}{2\sigma^2} \sum_i e_i^2$ 加一个与模型无关的常数，最小化它就是最小化 MSE。第 06 课对分类做同样的推导，得到交叉熵。
# - 它估计的是平均值：在一组数上，使 MSE 最小的常数就是这组数的均值（第 5 节用代码验证）。
# - 输入约定：`input` 和 `target` 是形状相同的浮点张量；形状不同会被广播，常常是一个错误（第 6 节）。
# - 单位是目标单位的平方；报告误差时常取它的平方根（RMSE），这样单位与目标一致。
# - 数据里有离群点时要小心（第 5 节）。

# %% [markdown] tags=["en"]
# ### 1.5 When to use
#
# - Regression where the noise is roughly Gaussian: minimizing MSE is then maximum likelihood estimation. If
#   $y_i = \hat{y}_i + \varepsilon_i$ with independent noise $\varepsilon_i \sim \mathcal{N}(0, \sigma^2)$, the
#   negative log-likelihood of the targets is $\frac{1}{2\sigma^2} \sum_i e_i^2$ plus a constant that does not
#   depend on the model, so minimizing it is minimizing MSE. Lesson 06 makes the same derivation for
#   classification and arrives at cross-entropy.
# - It estimates the mean: over a set of numbers, the constant with the smallest MSE is their mean (section 5
#   checks this in code).
# - Input contract: `input` and `target` are float tensors of the same shape; different shapes are broadcast,
#   which is usually a bug (section 6).
# - Its unit is the target's unit squared; to report an error people often take its square root (RMSE), which
#   is in the target's unit.
# - Be careful when the data has outliers (section 5).

# %% [markdown] tags=["zh"]
# ## 2. 平均绝对误差：`L1Loss`
#
# ### 2.1 定义
#
# 平均绝对误差（mean absolute error，也叫 L1 损失）对每个元素取误差的绝对值：
#
# $$\ell_i = |\hat{y}_i - y_i| = |e_i|, \qquad \frac{\partial \ell_i}{\partial \hat{y}_i} = \operatorname{sign}(e_i) = \begin{cases} 1 & e_i > 0 \\ 0 & e_i = 0 \\ -1 & e_i < 0 \end{cases}$$
#
# $|e|$ 在 $e = 0$ 处有一个尖角，不可导。$[-1, 1]$ 中的任何数都是那里的一个次梯度（subgradient），PyTorch 选了 0，与 `torch.sign(0) = 0` 一致。
#
# ### 2.2 直觉
#
# 损失曲线呈 V 形；导数是阶跃函数：不管误差多大，拉力都是 1。大误差不会被放大，所以 L1 对离群点稳健（robust）。代价是：到了目标附近拉力也不变小，用固定的学习率时，预测会在最优点附近来回跳。
#
# 几何上，$L_{\text{mean}} = \frac{1}{N} \lVert \hat{y} - y \rVert_1$：预测向量和目标向量之间的“曼哈顿距离”（各坐标差的绝对值之和）除以 $N$，这就是“L1”这个名字的来历。

# %% [markdown] tags=["en"]
# ## 2. Mean absolute error: `L1Loss`
#
# ### 2.1 Definition
#
# The mean absolute error (also called the L1 loss) takes the absolute value of the error of each element:
#
# $$\ell_i = |\hat{y}_i - y_i| = |e_i|, \qquad \frac{\partial \ell_i}{\partial \hat{y}_i} = \operatorname{sign}(e_i) = \begin{cases} 1 & e_i > 0 \\ 0 & e_i = 0 \\ -1 & e_i < 0 \end{cases}$$
#
# $|e|$ has a kink at $e = 0$, where it has no derivative. Any number in $[-1, 1]$ is a subgradient there;
# PyTorch picks 0, consistent with `torch.sign(0) = 0`.
#
# ### 2.2 Intuition
#
# The loss curve is a V; the derivative is a step function: however large the error, the pull is 1. Large
# errors are not amplified, so L1 is robust to outliers. The price: near the target the pull does not shrink
# either, so with a fixed learning rate the prediction keeps jumping back and forth around the optimum.
#
# Geometrically, $L_{\text{mean}} = \frac{1}{N} \lVert \hat{y} - y \rVert_1$: the "Manhattan distance"
# between the prediction and target vectors (the sum of the absolute coordinate differences) divided by $N$,
# which is where the name "L1" comes from.

# %%
fig = plot_loss_and_grad({"L1Loss": nn.L1Loss(reduction="none"),
                          "MSELoss": nn.MSELoss(reduction="none")}, "L1Loss")
ax_grad = fig.axes[1]
ax_grad.plot([0], [0], "o", color="tab:blue")  # PyTorch 的次梯度 / PyTorch's subgradient at e = 0
ax_grad.annotate(fc.label("e = 0 时为 0", "0 at e = 0"), (0, 0), xytext=(0.4, -1.5),
                 arrowprops={"arrowstyle": "->"})
plt.show()

# %% [markdown] tags=["zh"]
# ### 2.3 从零实现

# %% [markdown] tags=["en"]
# ### 2.3 From scratch

# %%
def l1(pred, target, reduction="mean"):
    return reduce((pred - target).abs(), reduction)


def l1_grad(pred, target, reduction="mean"):
    return reduce_grad(torch.sign(pred - target), reduction)  # sign(0) = 0


# %% [markdown] tags=["zh"]
# ### 2.4 与 PyTorch 对照
#
# 检查用的输入里，第一行的误差恰好为 0，所以下面的对照也覆盖了尖角处的次梯度。再单独看一眼：在 $e = -1, 0, 1$ 三个点上，`reduction="mean"`（$N = 3$）的梯度是 $-1/3, 0, 1/3$。

# %% [markdown] tags=["en"]
# ### 2.4 Check against PyTorch
#
# In the check's inputs the first row has exactly zero error, so the comparison below covers the subgradient
# at the kink too. A closer look: at the three points $e = -1, 0, 1$, the gradient with `reduction="mean"`
# ($N = 3$) is $-1/3, 0, 1/3$.

# %%
check_against_torch(l1, l1_grad, nn.L1Loss)

e = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
nn.L1Loss()(e, torch.zeros(3)).backward()
torch.testing.assert_close(e.grad, torch.tensor([-1.0, 0.0, 1.0]) / 3)
print("L1Loss 的梯度 / gradient of L1Loss at e = -1, 0, 1:", [round(g, 4) for g in e.grad.tolist()])

# %% [markdown] tags=["zh"]
# ### 2.5 何时使用
#
# - 目标里有离群点，或噪声的尾巴很重，你希望估计不被少数极端值带偏时。
# - 它估计的是中位数：在一组数上，使 L1 最小的常数是这组数的中位数（第 5 节验证）。
# - 评价指标本身就是平均绝对误差（MAE）时。
# - 梯度大小恒定：想收敛得精细，通常要配合逐渐减小的学习率（学习率调度器，第 09 课）。

# %% [markdown] tags=["en"]
# ### 2.5 When to use
#
# - When the targets contain outliers, or the noise has heavy tails, and you want an estimate that a few
#   extreme values do not drag away.
# - It estimates the median: over a set of numbers, the constant with the smallest L1 is their median
#   (section 5 checks it).
# - When the metric you report is the mean absolute error (MAE) itself.
# - Its gradient has constant size: to converge finely you usually pair it with a decreasing learning rate
#   (a learning-rate scheduler, lesson 09).

# %% [markdown] tags=["zh"]
# ### 2.6 注意：`L1Loss` 不是 L1 正则化
#
# 名字里都有 L1，但两者作用在不同的东西上。`L1Loss` 比较的是预测和目标，衡量模型答得多准。L1 正则化（L1 regularization）是加在损失上的一个惩罚项，作用在模型的权重 $w_j$ 上，$L$ 可以是任何损失（比如 MSE），$\lambda > 0$ 控制惩罚的强弱：
#
# $$J(w) = L(w) + \lambda \sum_{j} |w_j|$$
#
# 惩罚项对每个权重的导数是 $\lambda \operatorname{sign}(w_j)$：不管权重多小，都以同样大的力把它拉向 0。对降低 $L$ 帮助不大的权重抵不过这个拉力，会停在 0 上，得到稀疏（sparse）的模型；这样限制模型，是防止过拟合的一种办法。`L1Loss` 本身不限制模型，只是换了一种度量误差的方式。有些学习笔记写“`L1Loss` 可以作为正则项防止过拟合”，这是把两者混在了一起。
#
# PyTorch 的优化器没有 L1 正则化的选项（`weight_decay` 是 L2 惩罚，第 07 课讲），要用就自己把 $\lambda \sum_j |w_j|$ 加到损失上。下面的线性回归有 20 个输入特征，目标只取决于前 3 个。分别用 `MSELoss`、`L1Loss` 和“`MSELoss` + L1 惩罚（$\lambda = 0.3$）”拟合，数一数 17 个无关特征的权重有几个落在 0 附近（$|w_j| < 0.001$）。

# %% [markdown] tags=["en"]
# ### 2.6 Note: `L1Loss` is not L1 regularization
#
# Both have L1 in their name, but they act on different things. `L1Loss` compares predictions with targets: it
# measures how accurate the model is. L1 regularization is a penalty added to the loss that acts on the model's
# weights $w_j$; $L$ can be any loss (MSE, say), and $\lambda > 0$ sets the strength of the penalty:
#
# $$J(w) = L(w) + \lambda \sum_{j} |w_j|$$
#
# The derivative of the penalty with respect to each weight is $\lambda \operatorname{sign}(w_j)$: however small
# the weight, it is pulled towards 0 just as hard. Weights that do little to lower $L$ cannot resist that pull
# and settle at 0, which gives a sparse model; restricting the model this way is one means against
# overfitting. `L1Loss` restricts nothing: it is just another way to measure the errors. Some study notes say
# "`L1Loss` can serve as a regularization term against overfitting"; that mixes the two up.
#
# PyTorch's optimizers have no option for L1 regularization (`weight_decay` is an L2 penalty, lesson 07): to
# use it, add $\lambda \sum_j |w_j|$ to the loss yourself. The linear regression below has 20 input features,
# and the target depends on the first 3 only. We fit it with `MSELoss`, with `L1Loss`, and with "`MSELoss` + an
# L1 penalty ($\lambda = 0.3$)", and count how many of the 17 irrelevant features get a weight near 0
# ($|w_j| < 0.001$).

# %%
gen = torch.Generator().manual_seed(0)
features = torch.randn(40, 20, generator=gen)  # 40 个样本、20 个特征 / 40 samples, 20 features
w_true = torch.zeros(20)
w_true[:3] = torch.tensor([3.0, -2.0, 1.5])  # 只有前 3 个有用 / only the first 3 matter
targets = features @ w_true + 0.5 * torch.randn(40, generator=gen)


def fit_weights(loss_fn, l1_penalty=0.0, steps=2000, lr=0.05):
    """全批次 Adam，学习率余弦降到 0 / full-batch Adam, learning rate cosine-annealed to 0."""
    w = torch.zeros(20, requires_grad=True)
    optimizer = torch.optim.Adam([w], lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    for _ in range(steps):
        loss = loss_fn(features @ w, targets) + l1_penalty * w.abs().sum()  # L1 惩罚 / L1 penalty
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    return w.detach()


weights = {"MSELoss": fit_weights(nn.MSELoss()), "L1Loss": fit_weights(nn.L1Loss()),
           "MSELoss + 0.3·Σ|w|": fit_weights(nn.MSELoss(), l1_penalty=0.3)}
near_zero = {name: int((w[3:].abs() < 0.001).sum()) for name, w in weights.items()}

fig, ax = plt.subplots(figsize=(10, 3.5))
for k, (name, w) in enumerate(weights.items()):
    ax.bar(torch.arange(20) + (k - 1) * 0.27, w, width=0.27, label=name)
ax.scatter(torch.arange(20), w_true, color="black", marker="_", s=200, zorder=3,
           label=fc.label("真实权重", "true weights"))
ax.axvline(2.5, color="gray", ls=":", lw=1)
ax.set_xticks(range(20))
ax.set_xlabel(fc.label("特征 j（前 3 个有用）", "feature j (the first 3 matter)"))
ax.set_ylabel(fc.label("拟合出的权重 w_j", "fitted weight w_j"))
ax.legend(fontsize=8)
ax.grid(alpha=0.3, axis="y")
fig.tight_layout()
plt.show()

print("前 3 个（有用的）权重；17 个无关权重里 |w_j| < 0.001 的个数 / "
      "the first 3 (useful) weights; irrelevant ones near 0")
for name, w in weights.items():
    print(f"{name:20s} w_0, w_1, w_2 = {w[0]:5.2f}, {w[1]:5.2f}, {w[2]:5.2f}   "
          f"|w_j| < 0.001: {near_zero[name]:2d} / 17")
assert near_zero["MSELoss + 0.3·Σ|w|"] >= 12 and max(near_zero["MSELoss"], near_zero["L1Loss"]) <= 3
assert (weights["MSELoss + 0.3·Σ|w|"][:2].abs() < weights["MSELoss"][:2].abs() - 0.05).all()
print("✓ 只有 L1 惩罚让无关的权重变成 0 / only the L1 penalty zeroes the irrelevant weights")

# %% [markdown] tags=["zh"]
# 图上，`MSELoss` 和 `L1Loss` 给 17 个无关特征都分了些大小不一的权重（用来拟合噪声），两者看起来差不多；加了 L1 惩罚后，无关的权重几乎都是 0，只剩前 3 个。代价是惩罚对有用的权重也有同样的拉力：前两个权重比只用 `MSELoss` 时更靠近 0（上面打印的 $w_0$、$w_1$）。所以 $\lambda$ 要调，调它要用验证集（第 04 课）。
#
# 第三个权重 $w_2$ 却反而比只用 `MSELoss` 时大一点，图上特征 2 的三根柱子也都比真值 1.5 低。原因是另一种力：这 40 个样本里，特征 2 碰巧和几个无关特征相关（与特征 18 的相关系数约为 −0.62），用全部 20 个特征拟合时，这些无关特征分走了 $w_2$ 的一部分作用；惩罚把它们压到 0 以后，这部分作用又回到了 $w_2$ 上，比惩罚拉走的还多。所以“L1 惩罚让每个有用的权重都变小”只在特征互不相关时才有保证。下一个单元格用 `torch.linalg.lstsq` 验证这一点，它不用迭代，直接解出最小二乘的线性拟合（MSE 最小的那个）：只用前 3 个特征时 $w_2$ 约为 1.36，用全部 20 个特征时约为 1.03，和上面 `MSELoss` 训练出的一样。
#
# 为什么取 $|w_j| < 0.001$ 而不是恰好等于 0：梯度下降在 0 附近会左右跳，这里的学习率最后降到 0，跳动随之变小。要得到恰好为 0 的权重，需要专门的算法（例如近端梯度法），超出了这一课的范围。

# %% [markdown] tags=["en"]
# In the plot, `MSELoss` and `L1Loss` both give the 17 irrelevant features assorted weights (used to fit the
# noise), and the two look much alike; with the L1 penalty the irrelevant weights are almost all 0, and only the
# first 3 remain. The price is that the penalty pulls on the useful weights just as hard: the first two are
# closer to 0 than with `MSELoss` alone ($w_0$, $w_1$ printed above). So $\lambda$ needs tuning, which is done
# on a validation set (lesson 04).
#
# The third weight, $w_2$, comes out slightly larger than with `MSELoss` alone instead, and in the plot all three
# bars of feature 2 sit below the true 1.5. Another force is at work: in these 40 samples, feature 2 happens to be
# correlated with some irrelevant features (with feature 18, the correlation is about −0.62), and the fit on all 20
# features lets them take over part of the effect of $w_2$; once the penalty pushes them to 0, that part returns to
# $w_2$, more than the penalty pulls off. So "the L1 penalty makes every useful weight smaller" is guaranteed
# only for uncorrelated features. The next cell checks this with `torch.linalg.lstsq`, which solves for the
# least-squares linear fit (the one with the smallest MSE) directly, without iterating: $w_2$ is about 1.36 with
# the first 3 features alone and about 1.03 with all 20, the same as `MSELoss` trained above.
#
# Why $|w_j| < 0.001$ rather than exactly 0: gradient descent jumps back and forth around 0; here the learning
# rate ends at 0, so the jumps shrink with it. Weights that are exactly 0 need a dedicated algorithm (proximal
# gradient methods, for one), beyond this lesson.

# %%
# 直接解出最小二乘的拟合，float64 / the least-squares fit, solved directly, in float64
X64, y64 = features.double(), targets.double().unsqueeze(1)
w2_all = torch.linalg.lstsq(X64, y64).solution[2].item()  # 全部 20 个特征 / all 20 features
w2_first3 = torch.linalg.lstsq(X64[:, :3], y64).solution[2].item()  # 只用前 3 个 / first 3 only
corr = torch.corrcoef(X64.T)[2]  # 特征 2 与每个特征的相关系数 / correlation of feature 2 with each
j = 3 + int(corr[3:].abs().argmax())  # 与它最相关的无关特征 / the most correlated irrelevant one
print(f"最小二乘 / least squares: w_2 = {w2_all:.2f} (20 个特征 / 20 features), "
      f"{w2_first3:.2f} (前 3 个 / first 3)")
print(f"特征 2 与特征 {j} 的相关系数 / correlation of features 2 and {j}: {corr[j]:.2f}")
assert w2_first3 > w2_all + 0.2 and abs(corr[j]) > 0.5
print("✓ 无关特征分走了 w_2 的一部分作用 / irrelevant features took over part of w_2's effect")

# %% [markdown] tags=["zh"]
# ## 3. `SmoothL1Loss` 与参数 `beta`
#
# ### 3.1 定义
#
# `SmoothL1Loss` 在小误差处用二次函数，在大误差处用绝对值，分界点是 $\beta$（默认 `beta=1.0`）：
#
# $$\ell_i = \begin{cases} \dfrac{0.5\, e_i^2}{\beta} & |e_i| < \beta \\ |e_i| - 0.5\, \beta & |e_i| \ge \beta \end{cases} \qquad \frac{\partial \ell_i}{\partial \hat{y}_i} = \operatorname{clip}\left(\frac{e_i}{\beta}, -1, 1\right)$$
#
# 两段在 $|e_i| = \beta$ 处的值都是 $0.5\beta$，斜率都是 $\pm 1$，所以接得很平滑。$\beta = 0$ 时 PyTorch 直接按 `L1Loss` 计算（上式会除以 0）。
#
# ### 3.2 直觉
#
# 导数的绝对值最大是 1，与 $\beta$ 无关：$\beta$ 只决定从多大的误差开始“封顶”。$\beta$ 越小越像 L1（尖角越尖）；$\beta$ 越大，二次的区域越宽，但二次部分的曲率 $1/\beta$ 越小。

# %% [markdown] tags=["en"]
# ## 3. `SmoothL1Loss` and its `beta`
#
# ### 3.1 Definition
#
# `SmoothL1Loss` is quadratic for small errors and absolute for large ones, switching at $\beta$ (default
# `beta=1.0`):
#
# $$\ell_i = \begin{cases} \dfrac{0.5\, e_i^2}{\beta} & |e_i| < \beta \\ |e_i| - 0.5\, \beta & |e_i| \ge \beta \end{cases} \qquad \frac{\partial \ell_i}{\partial \hat{y}_i} = \operatorname{clip}\left(\frac{e_i}{\beta}, -1, 1\right)$$
#
# At $|e_i| = \beta$ both pieces have the value $0.5\beta$ and the slope $\pm 1$, so they join smoothly. With
# $\beta = 0$ PyTorch computes `L1Loss` instead (the formula would divide by 0).
#
# ### 3.2 Intuition
#
# The derivative is at most 1 in size, whatever $\beta$ is: $\beta$ only decides from which error on the pull
# is capped. The smaller $\beta$, the more it looks like L1 (a sharper corner); the larger $\beta$, the wider the
# quadratic zone, but the smaller its curvature $1/\beta$.

# %%
curves = {f"beta={b}": nn.SmoothL1Loss(reduction="none", beta=b) for b in (0.5, 1.0, 2.0)}
fig = plot_loss_and_grad(curves | {"L1Loss": nn.L1Loss(reduction="none")}, "SmoothL1Loss")
plt.show()

# %% [markdown] tags=["zh"]
# ### 3.3 从零实现

# %% [markdown] tags=["en"]
# ### 3.3 From scratch

# %%
def smooth_l1(pred, target, reduction="mean", beta=1.0):
    e = pred - target
    if beta == 0:
        return reduce(e.abs(), reduction)  # PyTorch：beta=0 就是 L1 / beta=0 is L1
    loss = torch.where(e.abs() < beta, 0.5 * e**2 / beta, e.abs() - 0.5 * beta)
    return reduce(loss, reduction)


def smooth_l1_grad(pred, target, reduction="mean", beta=1.0):
    e = pred - target
    if beta == 0:
        return reduce_grad(torch.sign(e), reduction)
    return reduce_grad((e / beta).clamp(-1, 1), reduction)


# %% [markdown] tags=["zh"]
# ### 3.4 与 PyTorch 对照
#
# 对几个 `beta` 分别检查，包括 $\beta = 0$ 的特殊情况。

# %% [markdown] tags=["en"]
# ### 3.4 Check against PyTorch
#
# We check several values of `beta`, the special case $\beta = 0$ included.

# %%
for beta in (0.5, 1.0, 2.0, 0.0):
    check_against_torch(smooth_l1, smooth_l1_grad, nn.SmoothL1Loss, beta=beta)

# %% [markdown] tags=["zh"]
# ### 3.5 何时使用
#
# - 目标检测里的边框回归（Fast R-CNN 用的就是它）：大多数误差小，像 MSE 一样平稳收敛；偶尔的大误差像 L1 一样不被放大。
# - `beta` 的单位和目标相同，意思是“多大的误差算大”。目标被缩放过（比如归一化到 $[0, 1]$），`beta` 也要跟着选小。

# %% [markdown] tags=["en"]
# ### 3.5 When to use
#
# - Bounding-box regression in object detection (Fast R-CNN uses it): most errors are small and converge
#   smoothly as with MSE; the occasional large error is not amplified, as with L1.
# - `beta` is in the target's unit and means "how large an error counts as large". When the targets are
#   rescaled (say to $[0, 1]$), choose a smaller `beta` too.

# %% [markdown] tags=["zh"]
# ## 4. `HuberLoss` 与参数 `delta`
#
# ### 4.1 定义
#
# `HuberLoss` 是统计学里经典的稳健损失，分界点是 $\delta$（默认 `delta=1.0`，必须大于 0）：
#
# $$\ell_i = \begin{cases} 0.5\, e_i^2 & |e_i| \le \delta \\ \delta \left(|e_i| - 0.5\, \delta\right) & |e_i| > \delta \end{cases} \qquad \frac{\partial \ell_i}{\partial \hat{y}_i} = \operatorname{clip}(e_i, -\delta, \delta)$$
#
# 它和 `SmoothL1Loss` 是同一个形状，只差一个因子 $\delta$：
#
# $$\text{Huber}_{\delta}(e) = \delta \cdot \text{SmoothL1}_{\beta = \delta}(e)$$
#
# 把 $\delta$ 乘进 `SmoothL1Loss` 的两段就能看出来：$\delta \cdot 0.5 e^2 / \delta = 0.5 e^2$，$\delta (|e| - 0.5 \delta)$。所以 $\delta = \beta = 1$ 时两者完全一样。
#
# ### 4.2 直觉
#
# 两者的区别在于改变分界点时“固定哪一部分”：`HuberLoss` 的二次部分永远是 $0.5 e^2$，改变 $\delta$ 只改变梯度的上限 $\delta$；`SmoothL1Loss` 的梯度上限永远是 1，改变 $\beta$ 会改变二次部分的曲率。

# %% [markdown] tags=["en"]
# ## 4. `HuberLoss` and its `delta`
#
# ### 4.1 Definition
#
# `HuberLoss` is the classic robust loss of statistics, switching at $\delta$ (default `delta=1.0`; it must be
# greater than 0):
#
# $$\ell_i = \begin{cases} 0.5\, e_i^2 & |e_i| \le \delta \\ \delta \left(|e_i| - 0.5\, \delta\right) & |e_i| > \delta \end{cases} \qquad \frac{\partial \ell_i}{\partial \hat{y}_i} = \operatorname{clip}(e_i, -\delta, \delta)$$
#
# It has the same shape as `SmoothL1Loss`, up to a factor $\delta$:
#
# $$\text{Huber}_{\delta}(e) = \delta \cdot \text{SmoothL1}_{\beta = \delta}(e)$$
#
# Multiply the two pieces of `SmoothL1Loss` by $\delta$ to see it: $\delta \cdot 0.5 e^2 / \delta = 0.5 e^2$ and
# $\delta (|e| - 0.5 \delta)$. So with $\delta = \beta = 1$ the two are exactly the same.
#
# ### 4.2 Intuition
#
# They differ in what stays fixed when the switch point moves: the quadratic part of `HuberLoss` is always
# $0.5 e^2$, and changing $\delta$ only changes the cap on the gradient, $\delta$; the cap of `SmoothL1Loss` is
# always 1, and changing $\beta$ changes the curvature of its quadratic part.

# %%
curves = {f"delta={d}": nn.HuberLoss(reduction="none", delta=d) for d in (0.5, 1.0, 2.0)}
curves["0.5 · MSE"] = lambda p, t: 0.5 * F.mse_loss(p, t, reduction="none")
fig = plot_loss_and_grad(curves, "HuberLoss")
plt.show()

# %% [markdown] tags=["zh"]
# ### 4.3 从零实现

# %% [markdown] tags=["en"]
# ### 4.3 From scratch

# %%
def huber(pred, target, reduction="mean", delta=1.0):
    e = pred - target
    loss = torch.where(e.abs() <= delta, 0.5 * e**2, delta * (e.abs() - 0.5 * delta))
    return reduce(loss, reduction)


def huber_grad(pred, target, reduction="mean", delta=1.0):
    e = pred - target
    return reduce_grad(e.clamp(-delta, delta), reduction)


# %% [markdown] tags=["zh"]
# ### 4.4 与 PyTorch 对照
#
# 先对照 `nn.HuberLoss`，再直接用 PyTorch 的两个类验证 $\text{Huber}_{\delta} = \delta \cdot \text{SmoothL1}_{\beta=\delta}$。

# %% [markdown] tags=["en"]
# ### 4.4 Check against PyTorch
#
# First against `nn.HuberLoss`, then the relation $\text{Huber}_{\delta} = \delta \cdot \text{SmoothL1}_{\beta=\delta}$ with PyTorch's two classes themselves.

# %%
for delta in (0.5, 1.0, 2.0):
    check_against_torch(huber, huber_grad, nn.HuberLoss, delta=delta)

torch.manual_seed(0)
pred, target = 3 * torch.randn(8, 3), torch.randn(8, 3)
for delta in (0.5, 1.0, 2.0):
    for reduction in ("mean", "sum", "none"):
        huber_loss = nn.HuberLoss(reduction=reduction, delta=delta)(pred, target)
        smooth_l1_loss = nn.SmoothL1Loss(reduction=reduction, beta=delta)(pred, target)
        torch.testing.assert_close(huber_loss, delta * smooth_l1_loss)
print("✓ HuberLoss(delta) == delta · SmoothL1Loss(beta=delta) (delta=0.5, 1, 2; mean, sum, none)")

# %% [markdown] tags=["zh"]
# ### 4.5 何时使用
#
# - 稳健回归；强化学习 DQN 里的时序差分误差也常用它。
# - $\delta$ 取“还信得过的误差”的大小：比它小的误差按 MSE 处理，比它大的按 L1 处理。
# - 在 `HuberLoss` 和 `SmoothL1Loss` 之间选：调分界点时想让小误差的梯度不变，用 `HuberLoss`；想让梯度上限固定为 1（学习率的含义不变），用 `SmoothL1Loss`。$\delta = \beta = 1$ 时选哪个都一样。

# %% [markdown] tags=["en"]
# ### 4.5 When to use
#
# - Robust regression; the temporal-difference error of DQN in reinforcement learning often uses it too.
# - Take $\delta$ about the size of an error you still trust: smaller errors are treated as by MSE, larger ones
#   as by L1.
# - Choosing between `HuberLoss` and `SmoothL1Loss`: when you tune the switch point and want the gradient of
#   small errors unchanged, use `HuberLoss`; when you want the gradient cap fixed at 1 (so the learning rate
#   keeps its meaning), use `SmoothL1Loss`. With $\delta = \beta = 1$ it makes no difference.

# %% [markdown] tags=["zh"]
# ## 5. 离群点：四个损失函数拟合同一组数据
#
# ### 5.1 最好的常数：均值与中位数
#
# 先看最简单的“模型”：用一个常数 $c$ 预测一组数。在 5 个数 $1, 2, 3, 4, 100$（100 是离群点）上，我们在一张细网格上找使损失最小的 $c$：MSE 给出均值 22，L1 给出中位数 3。

# %% [markdown] tags=["en"]
# ## 5. Outliers: four losses fit the same data
#
# ### 5.1 The best constant: mean and median
#
# Start with the simplest "model": predict a set of numbers by one constant $c$. On the 5 numbers
# $1, 2, 3, 4, 100$ (100 is an outlier) we search a fine grid for the $c$ with the smallest loss: MSE gives the
# mean, 22, and L1 the median, 3.

# %%
values = torch.tensor([1.0, 2.0, 3.0, 4.0, 100.0])
grid = torch.linspace(0, 30, 3001)  # 步长 0.01 / step 0.01
for name, loss_fn, expected in [("MSELoss", nn.MSELoss(), values.mean()),
                                ("L1Loss", nn.L1Loss(), values.median())]:
    losses = torch.stack([loss_fn(c.expand(5), values) for c in grid])
    best = grid[losses.argmin()]
    torch.testing.assert_close(best, expected, atol=0.01, rtol=0)
    print(f"{name}: 最好的常数 / best constant c = {best.item():.2f}")

# %% [markdown] tags=["zh"]
# ### 5.2 拟合一条直线
#
# 现在拟合直线 $\hat{y} = w x + b$。数据来自 $y = 2x + 1$ 加一点噪声，其中 3 个点被改成了离群点（比真实值低 25）。四个损失函数用同样的优化器、同样的步数拟合同一组数据。

# %% [markdown] tags=["en"]
# ### 5.2 Fitting a line
#
# Now fit the line $\hat{y} = w x + b$. The data comes from $y = 2x + 1$ plus a little noise, and 3 points were
# turned into outliers (25 below the true value). The four losses fit the same data with the same optimizer
# and the same number of steps.

# %%
gen = torch.Generator().manual_seed(0)
x = torch.linspace(0, 10, 30)
y_clean = 2 * x + 1 + 0.5 * torch.randn(30, generator=gen)
y = y_clean.clone()
outliers = torch.tensor([22, 25, 28])
y[outliers] -= 25  # 三个离群点 / three outliers

# 名字 → (类, 选项) / name → (class, options)
line_losses = {"MSELoss": (nn.MSELoss, {}), "L1Loss": (nn.L1Loss, {}),
               "SmoothL1Loss (beta=1)": (nn.SmoothL1Loss, {"beta": 1.0}),
               "HuberLoss (delta=1)": (nn.HuberLoss, {"delta": 1.0})}


def fit_line(loss_fn, x, y, steps=1500, lr=0.05):
    """用 Adam 全批次拟合 w, b / fit w, b with full-batch Adam."""
    params = torch.zeros(2, requires_grad=True)
    optimizer = torch.optim.Adam([params], lr=lr)
    # 学习率逐渐降到 0 / the learning rate decays to 0
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    for _ in range(steps):
        loss = loss_fn(params[0] * x + params[1], y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    return params.detach()


fits = {name: fit_line(loss_cls(**options), x, y)
        for name, (loss_cls, options) in line_losses.items()}

fig, ax = plt.subplots(figsize=(7, 4.5))
inlier = torch.ones(30, dtype=torch.bool)
inlier[outliers] = False
ax.scatter(x[inlier], y[inlier], s=15, color="black", label=fc.label("数据", "data"))
ax.scatter(x[outliers], y[outliers], s=40, color="red", marker="x",
           label=fc.label("离群点", "outliers"))
ax.plot(x, 2 * x + 1, color="gray", ls=":",
        label=fc.label("真实直线 y = 2x + 1", "true line y = 2x + 1"))
for name, (w, b) in fits.items():
    ax.plot(x, w * x + b, label=f"{name}: w={w:.2f}, b={b:.2f}")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title(fc.label("有离群点时拟合直线", "Fitting a line with outliers"))
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% tags=["nbval-ignore-output"]
for name, (w, b) in fits.items():
    print(f"{name:24s} w = {w:6.3f}   b = {b:6.3f}")

# %% [markdown] tags=["zh"]
# 上图中 MSE 的直线被三个离群点拽了下去，另外三条几乎与真实直线重合。下一个单元格把这一点写成断言：三个稳健的损失函数拟合出的斜率离真值 2 不超过 0.15，而 MSE 的斜率约为 1，偏了约 1（断言要求偏离超过 0.8）。
#
# 为什么？看每个点“拉”直线的力，也就是损失对该点预测的导数 $|\partial \ell_i / \partial \hat{y}_i|$。在真实直线上，正常点的误差大多在 1 以内（下面打印出最大的一个），离群点的误差约为 25：MSE 给离群点的拉力是 $2 \times 25 = 50$，给正常点的拉力 $2|e_i|$ 大多不到 2；L1 给每个点的拉力都是 1；Huber 把离群点的拉力封顶在 $\delta = 1$。

# %% [markdown] tags=["en"]
# In the plot the MSE line is dragged down by the three outliers; the other three lie almost on the true line.
# The next cell turns this into assertions: the three robust losses fit a slope within 0.15 of the true 2,
# while the MSE slope is about 1, off by about 1 (the assertion asks for more than 0.8).
#
# Why? Look at how hard each point pulls on the line: the derivative of the loss with respect to that point's
# prediction, $|\partial \ell_i / \partial \hat{y}_i|$. On the true line most normal points have errors
# below 1 (the largest is printed below) and the outliers about 25: MSE pulls on an outlier with
# $2 \times 25 = 50$ and on a normal point with $2|e_i|$, mostly less than 2; L1 pulls on every point with 1;
# Huber caps the pull of an outlier at $\delta = 1$.

# %%
for name in ("L1Loss", "SmoothL1Loss (beta=1)", "HuberLoss (delta=1)"):
    assert abs(fits[name][0] - 2) < 0.15, name
assert abs(fits["MSELoss"][0] - 2) > 0.8
print("✓ 稳健的损失函数斜率接近 2，MSE 偏了约 1 / "
      "robust losses fit a slope near 2, MSE's is off by about 1")

pred_true = 2 * x + 1  # 真实直线上的预测 / predictions of the true line
inlier_errors = (pred_true - y)[inlier].abs()
print(f"正常点在真实直线上的误差 / errors of the normal points on the true line: "
      f"|e| < 1: {int((inlier_errors < 1).sum())} / {int(inlier.sum())}, "
      f"max |e| = {inlier_errors.max():.2f}")
for name, (loss_cls, options) in line_losses.items():
    p = pred_true.clone().requires_grad_(True)
    # reduction="sum"：每个点的导数就是 dℓ_i/dŷ_i / each point's derivative is dℓ_i/dŷ_i
    (pull,) = torch.autograd.grad(loss_cls(reduction="sum", **options)(p, y), p)
    share = pull.abs()[outliers].sum() / pull.abs().sum()
    print(f"{name:24s} 3 个离群点占总拉力 / the 3 outliers' share of the pull: {100 * share:5.1f}%")

# %% [markdown] tags=["zh"]
# 30 个点里只有 3 个离群点（10%），在 MSE 下却占了绝大部分拉力，所以直线向它们倾斜。在 L1 下它们的份额正好是 $3/30 = 10\%$：每个点一票。Huber 和 SmoothL1（这里 $\delta = \beta = 1$，两者相同）介于两者之间：离群点的拉力被封顶为 1，正常点的拉力等于它们很小的误差，所以离群点的份额比 L1 高一些，但远低于 MSE。

# %% [markdown] tags=["en"]
# Only 3 of the 30 points are outliers (10%), yet under MSE they supply most of the pull, so the line tilts
# towards them. Under L1 their share is exactly $3/30 = 10\%$: one vote per point. Huber and SmoothL1 (the same
# here, with $\delta = \beta = 1$) lie in between: the pull of an outlier is capped at 1 and a normal point
# pulls with its small error, so the outliers' share is somewhat higher than under L1, yet far below MSE.

# %% [markdown] tags=["zh"]
# ## 6. 形状与广播：`(N, 1)` 对 `(N,)`
#
# 一个输出一个数的模型（最后一层是 `nn.Linear(..., 1)`）给出形状 `(N, 1)` 的预测，而目标往往是形状 `(N,)` 的向量。两者相减时，PyTorch 按广播规则把它们扩成 `(N, N)`：每个预测都和每个目标比了一次。结果是一个数，训练也能跑，只会多一条 `UserWarning`，而这个数是错的。

# %% [markdown] tags=["en"]
# ## 6. Shapes and broadcasting: `(N, 1)` versus `(N,)`
#
# A model with one output (its last layer is `nn.Linear(..., 1)`) gives predictions of shape `(N, 1)`, while the
# target is often a vector of shape `(N,)`. Subtracting them, PyTorch broadcasts both to `(N, N)`: every
# prediction is compared with every target. The result is one number and training runs; all you get is one
# `UserWarning`, and the number is wrong.

# %%
torch.manual_seed(0)
pred = torch.randn(4, 1)  # 例如 nn.Linear(..., 1) 的输出 / e.g. the output of nn.Linear(..., 1)
target = torch.randn(4)

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    wrong = nn.MSELoss()(pred, target)
print(textwrap.fill(f"{caught[0].category.__name__}: {caught[0].message}", width=100))
print("(pred - target) 的形状 / shape of (pred - target):", tuple((pred - target).shape))

right = nn.MSELoss()(pred.squeeze(1), target)  # 或 target.unsqueeze(1) / or target.unsqueeze(1)
# N × N 个差的均值 / the mean of N × N differences
torch.testing.assert_close(wrong, ((pred - target.view(1, 4)) ** 2).mean())
print(f"广播后的错误值 / wrong value after broadcasting: {wrong.item():.4f}")
print(f"正确值 / right value:                          {right.item():.4f}")

# %% [markdown] tags=["zh"]
# 这个错误在训练时更糟：广播后的损失 $\frac{1}{N^2}\sum_{i}\sum_{j} (\hat{y}_i - y_j)^2$ 对每个 $\hat{y}_i$ 在 $\hat{y}_i = \bar{y}$（所有目标的均值）处最小。所以模型学到的是一条水平线，不管输入是什么都预测均值。下面用第 5 节的干净数据训练一个 `nn.Linear(1, 1)` 来验证：有广播错误时斜率接近 0，修好形状后斜率接近 2。

# %% [markdown] tags=["en"]
# In training the bug is worse: the broadcast loss $\frac{1}{N^2}\sum_{i}\sum_{j} (\hat{y}_i - y_j)^2$ is smallest
# for each $\hat{y}_i$ at $\hat{y}_i = \bar{y}$, the mean of all targets. So the model learns a horizontal line
# and predicts the mean whatever the input. Training an `nn.Linear(1, 1)` on the clean data of section 5 shows
# it: with the broadcasting bug the slope is near 0; with the shapes fixed it is near 2.

# %%
def train_linear(fix_shapes, x, y, loss_fn, steps=1500):
    """在 (x, y) 上训练 nn.Linear(1, 1)，返回 (w, b) / train nn.Linear(1, 1) on (x, y), return (w, b)."""
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    inputs = x.unsqueeze(1)  # (N, 1)
    for _ in range(steps):
        pred = model(inputs)  # (N, 1)
        if fix_shapes:
            pred = pred.squeeze(1)  # (N,)，与目标相同 / (N,), as the target
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 只为演示而忽略 / ignored for the demo only
            loss = loss_fn(pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    return model.weight.item(), model.bias.item()


w_bug, b_bug = train_linear(False, x, y_clean, nn.MSELoss())
w_fix, b_fix = train_linear(True, x, y_clean, nn.MSELoss())

# %% tags=["nbval-ignore-output"]
print(f"广播错误 / broadcasting bug: w = {w_bug:.3f}, b = {b_bug:.3f}   "
      f"(目标均值 / mean of targets {y_clean.mean():.3f})")
print(f"形状修好 / shapes fixed:     w = {w_fix:.3f}, b = {b_fix:.3f}")

# %%
assert abs(w_bug) < 0.05 and abs(b_bug - y_clean.mean().item()) < 0.1
assert abs(w_fix - 2) < 0.1
print("✓ 广播错误：只会预测均值；形状修好：斜率约 2 / "
      "the bug predicts the mean; fixed: slope near 2")

# %% [markdown] tags=["zh"]
# 怎么避免：计算损失前让预测和目标形状完全相同（`pred.squeeze(1)`、`target.unsqueeze(1)` 或 `pred.view_as(target)`），必要时写一句 `assert pred.shape == target.shape`；不要忽略这条警告。四个回归损失函数都会广播并给出同样的警告。

# %% [markdown] tags=["en"]
# How to avoid it: before computing the loss, make the prediction and the target exactly the same shape
# (`pred.squeeze(1)`, `target.unsqueeze(1)` or `pred.view_as(target)`), add `assert pred.shape == target.shape`
# where it helps, and never ignore this warning. All four regression losses broadcast and warn the same way.

# %% [markdown] tags=["zh"]
# ## 7. 在 Fashion-MNIST 上
#
# Fashion-MNIST 是分类任务，但也可以“当回归做”：把标签变成独热编码（one-hot encoding）的 10 维向量，让模型的 10 个输出去回归它。下面用课程的 MLP、同样的 Adam 优化器和同样的 2 轮比较 `MSELoss` 和 `L1Loss`。注意 `reduction="mean"` 在这里除以的是 $N = 64 \times 10$，不是 64。
#
# 这是在比较两种配置，所以和第 04 课一样：从 60,000 张训练图片里留出固定的 10,000 张作验证集，只用其余 50,000 张训练，在验证集上比较；测试集只用一次，给最后选中的那个配置报告成绩。两种损失函数的数值尺度不同，不能互相比较，所以图上只画验证准确率。分类本该用的交叉熵放在下一课，和这里的 MSE 一起比较。

# %% [markdown] tags=["en"]
# ## 7. On Fashion-MNIST
#
# Fashion-MNIST is a classification task, but it can be "done as regression": turn each label into a
# 10-dimensional one-hot encoding and let the model's 10 outputs regress it. Below, the course MLP, the same
# Adam optimizer and the same 2 epochs compare `MSELoss` and `L1Loss`. Note that `reduction="mean"` divides by
# $N = 64 \times 10$ here, not by 64.
#
# This compares two configurations, so we do as in lesson 04: a fixed 10,000 of the 60,000 training images are
# held out as the validation set, the other 50,000 are trained on, and the comparison is made on the
# validation set; the test set is used once, to report the score of the configuration finally chosen. The two
# losses have different scales and cannot be compared with each other, so the plot shows only the validation
# accuracy. Cross-entropy, what classification should use, comes in the next lesson, compared with this MSE.

# %%
learning_rate = 1e-3
batch_size = 64
epochs = 2


def one_hot(labels):
    return F.one_hot(labels, 10).float()  # (N,) int64 → (N, 10) float


train_loader, val_loader, test_loader = fc.get_tensor_loaders(batch_size=batch_size, device=device,
                                                              val_size=10_000)
histories, models = {}, {}


def train(name, loss_fn):
    fc.set_seed(0)  # 同样的初始化和同样的批次顺序 / the same initialization and batch order
    model = fc.NeuralNetwork().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    print(name)
    histories[name] = fc.fit(model, train_loader, val_loader, loss_fn, optimizer, epochs,
                             target_fn=one_hot, progress=False, eval_name="val")
    models[name] = model


# %% tags=["nbval-ignore-output", "grading-skip"]
train("MSELoss", nn.MSELoss())

# %% tags=["nbval-ignore-output", "grading-skip"]
train("L1Loss", nn.L1Loss())

# %% tags=["grading-skip"]
title = fc.label("独热目标上的回归损失", "Regression losses on one-hot targets")
fig = fc.plot_histories(histories, metrics=("val_acc",), size=(6, 3.5), title=title)
plt.show()

# %% [markdown] tags=["zh"]
# 这个小实验说明两件事（训练输出里有具体数字，换一台机器会略有不同；下一个单元格用断言检查这两句话）。第一，把分类当回归做也能学：两种损失函数的验证准确率都远高于随机猜测的 10%（断言要求都超过 70%）。第二，`L1Loss` 学得更慢：2 轮后它的验证准确率比 `MSELoss` 低几个百分点（断言只要求低 1.5 个百分点以上，给换种子、换机器留出余量）。原因就在第 2 节的图里：L1 的梯度只是误差的符号，一个几乎答对的输出和一个错得很远的输出受到同样大的拉力；而且对 0/1 的目标，L1 的最优预测是中位数，也就是 0 或 1，而不是一个表示“有几分把握”的分数。
#
# 这个结论是否只是这一个划分、这一个种子的运气？我们在笔记本之外把这两次训练跑了 9 次：3 个验证划分（课程的划分，以及换了划分种子的另外两个）× 3 个种子，1 个线程（`benchmarks/claims_spread.py`）。9 次里下一个单元格的断言都成立，`MSELoss` 每次都领先，领先 1.9 到 5.9 个百分点：
#
# | 划分 | 种子 | `MSELoss` | `L1Loss` | 差 |
# |---|---|---|---|---|
# | 0（课程的划分） | 0 | 86.54% | 81.70% | +4.84 |
# | 0 | 1 | 86.34% | 81.98% | +4.36 |
# | 0 | 2 | 87.40% | 84.08% | +3.32 |
# | 1 | 0 | 87.61% | 85.49% | +2.12 |
# | 1 | 1 | 86.96% | 81.04% | +5.92 |
# | 1 | 2 | 86.43% | 84.50% | +1.93 |
# | 2 | 0 | 87.46% | 84.98% | +2.48 |
# | 2 | 1 | 87.97% | 83.92% | +4.05 |
# | 2 | 2 | 86.95% | 81.95% | +5.00 |
#
# 所以在这两个里我们选 `MSELoss`，它的测试准确率在断言之后报告，只看这一次。下一课会把独热目标上的 MSE 和分类真正该用的交叉熵放在一起比较。

# %% [markdown] tags=["en"]
# This small experiment shows two things (the training output has the exact numbers; another machine gives
# slightly different ones; the next cell checks both sentences with assertions). First, classification done as
# regression does learn: both losses reach a validation accuracy far above the 10% of guessing (the assertion
# asks for more than 70% each). Second, `L1Loss` learns more slowly: after 2 epochs its validation accuracy is a
# few points below that of `MSELoss` (the assertion asks only for more than 1.5 points, leaving room for
# another seed or machine). The reason is in the plot of section 2: the gradient of L1 is only the sign of the
# error, so an output that is almost right is pulled as hard as one that is far off; and for a 0/1 target the
# best L1 prediction is the median, which is 0 or 1, not a score saying "how sure".
#
# Is this the luck of one split and one seed? Outside the notebook we ran the two trainings 9 times: 3 validation
# splits (the course's, and two more drawn with another split seed) × 3 seeds, at 1 thread
# (`benchmarks/claims_spread.py`). The next cell's assertions held in all 9, and `MSELoss` led every time, by 1.9 to
# 5.9 points:
#
# | split | seed | `MSELoss` | `L1Loss` | difference |
# |---|---|---|---|---|
# | 0 (the course's) | 0 | 86.54% | 81.70% | +4.84 |
# | 0 | 1 | 86.34% | 81.98% | +4.36 |
# | 0 | 2 | 87.40% | 84.08% | +3.32 |
# | 1 | 0 | 87.61% | 85.49% | +2.12 |
# | 1 | 1 | 86.96% | 81.04% | +5.92 |
# | 1 | 2 | 86.43% | 84.50% | +1.93 |
# | 2 | 0 | 87.46% | 84.98% | +2.48 |
# | 2 | 1 | 87.97% | 83.92% | +4.05 |
# | 2 | 2 | 86.95% | 81.95% | +5.00 |
#
# So of these two we choose `MSELoss`; its test accuracy is reported after the assertions, and looked at only
# this once. The next lesson compares MSE on one-hot targets with cross-entropy, the loss classification should
# use.

# %% tags=["grading-skip"]
acc = {name: h[-1]["val_acc"] for name, h in histories.items()}
assert min(acc.values()) > 0.70, acc
assert acc["MSELoss"] > acc["L1Loss"] + 0.015, acc
print("✓ 验证准确率都超过 70%，MSELoss 比 L1Loss 高 1.5 个百分点以上 / "
      "both above 70%, MSELoss > L1Loss + 1.5 points")

# %% tags=["nbval-ignore-output", "grading-skip"]
# 测试集只用这一次，只给选中的配置 / the test set, used this once, for the chosen configuration only
_, test_acc = fc.evaluate(models["MSELoss"], test_loader)
test_se = (test_acc * (1 - test_acc) / 10_000) ** 0.5  # 10,000 张测试图片的标准误差 / standard error
print(f"MSELoss: 验证准确率 / validation accuracy {100 * acc['MSELoss']:.1f}%, "
      f"测试准确率 / test accuracy {100 * test_acc:.1f}% ± {100 * test_se:.1f}")

# %% [markdown] tags=["zh"]
# ## 8. 练习
#
# 每个练习都写在一个函数里，运行下面的检查单元格：通过时打印一行 ✓，出错时提示最可能的错误。练习 1 先预测、再运行，练习 2 找出错误，练习 3 把这一课的做法用到一个 PyTorch 没有的损失函数上。
#
# ### 练习 1：先预测，再运行
#
# 第 6 节看到：预测的形状为 `(N, 1)`、目标的形状为 `(N,)` 时，用 `MSELoss` 训练的直线变成一条水平线，处处预测目标的均值。换成 `L1Loss` 会怎样？
#
# 7 个点的输入是 $x = 0, 1, \dots, 6$，目标依次是 $y = 2, 4, 5, 7, 8, 30, 12$（$x = 5$ 处的 30 是离群点）。你的答案后面的单元格用第 6 节的 `train_linear` 训练 `nn.Linear(1, 1)`（Adam，1500 步，学习率余弦降到 0），损失换成 `nn.L1Loss()`：一次带着广播错误（形状为 `(7, 1)` 的预测对形状为 `(7,)` 的目标），一次先把形状修好，然后打印两条直线在 $x = 0$ 和 $x = 6$ 处的预测。先读一读那个单元格，但**先别运行**：在 `predict_bug_at_6()` 里返回你预测的、**带着广播错误**训练出的模型在 $x = 6$ 处的预测（一个数），再运行那个单元格对照，最后运行检查。要想清楚两件事：广播之后，每个预测和哪些目标比较？对一组数，使 L1 最小的常数是什么（第 5.1 节）？

# %% [markdown] tags=["en"]
# ## 8. Exercises
#
# Each exercise is a function; run the check cell below it: it prints a ✓ line when the answer is right, and a
# hint naming the likely mistake when it is not. Exercise 1 asks for a prediction before a run, exercise 2 for
# finding bugs, and exercise 3 applies this lesson's method to a loss that PyTorch does not have.
#
# ### Exercise 1: predict, then run
#
# Section 6 showed it: with predictions of shape `(N, 1)` and targets of shape `(N,)`, a line trained with
# `MSELoss` becomes a horizontal line that predicts the mean of the targets everywhere. What happens with
# `L1Loss` instead?
#
# The 7 points have the inputs $x = 0, 1, \dots, 6$ and the targets $y = 2, 4, 5, 7, 8, 30, 12$ in that order
# (the 30 at $x = 5$ is an outlier). The cell after your answer trains an `nn.Linear(1, 1)` with the
# `train_linear` of section 6 (Adam, 1500 steps, the learning rate cosine-annealed to 0) and the loss
# `nn.L1Loss()`: once with the broadcasting bug (predictions of shape `(7, 1)` against targets of shape `(7,)`),
# once with the shapes fixed first, and prints what each line predicts at $x = 0$ and $x = 6$. Read that cell but
# **do not run it yet**: make `predict_bug_at_6()` return what you predict the model trained **with the
# broadcasting bug** outputs at $x = 6$ (a number), then run that cell to compare, and then the check. Two things
# to think through: after broadcasting, which targets is each prediction compared with? And over a set of
# numbers, which constant has the smallest L1 (section 5.1)?

# %% nbgrader={"grade": false, "grade_id": "l05_ex1_l1_broadcast", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-predict"]
def predict_bug_at_6():
    ### BEGIN SOLUTION
    return 7.0  # 每个预测都和全部 7 个目标比较：中位数 / each prediction meets all 7 targets: median
    ### END SOLUTION

# %% tags=["grading-skip"]
x7 = torch.arange(7.0)  # 0, 1, ..., 6
y7 = torch.tensor([2.0, 4.0, 5.0, 7.0, 8.0, 30.0, 12.0])  # x = 5 处是离群点 / an outlier at x = 5
for fix_shapes in (False, True):
    w7, b7 = train_linear(fix_shapes, x7, y7, nn.L1Loss())
    label = "形状修好 / shapes fixed" if fix_shapes else "广播错误 / broadcasting bug"
    print(f"{fc.pad(label, 28)} x = 0 → {b7:5.1f}   x = 6 → {w7 * 6 + b7:5.1f}")

# %% nbgrader={"grade": true, "grade_id": "l05_ex1_l1_broadcast_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex1_l1_broadcast(predict_bug_at_6)

# %% [markdown] tags=["zh"]
# ### 练习 2：找出错误
#
# 下面的 `fit_line_buggy(x, y, lr=0.02, steps=1000)` 想用 `nn.Linear(1, 1)` 和 `torch.optim.SGD` 在均方误差上拟合直线 $\hat{y} = w x + b$，返回 `(w, b)`。`x` 和 `y` 的形状都是 `(N,)`；学习率 `lr=0.02` 是按均方误差（`reduction="mean"`）为第 5 节这样的数据选的。它有两个错误，都是这一课讲过的；其中一个本来有警告，却被人嫌吵关掉了。在第 5 节的干净数据上运行它，得到的是 `nan`；只改掉其中一个是不够的。作为对照，单元格还打印了最小二乘的直线，也就是 MSE 最小的那条。

# %% [markdown] tags=["en"]
# ### Exercise 2: find the bugs
#
# `fit_line_buggy(x, y, lr=0.02, steps=1000)` below means to fit the line $\hat{y} = w x + b$ with
# `nn.Linear(1, 1)` and `torch.optim.SGD` on the mean squared error, and to return `(w, b)`. `x` and `y` both have
# shape `(N,)`; the learning rate `lr=0.02` was chosen for the mean squared error (`reduction="mean"`) on data like
# that of section 5. It has two bugs, both from this lesson; one of them came with a warning, which someone found
# noisy and switched off. On the clean data of section 5 it returns `nan`; fixing only one of them is not
# enough. For comparison, the cell also prints the least-squares line, the one with the smallest MSE.

# %%
def fit_line_buggy(x, y, lr=0.02, steps=1000):
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


w_buggy, b_buggy = fit_line_buggy(x, y_clean)
print(f"fit_line_buggy(x, y_clean): w = {w_buggy:.3f}, b = {b_buggy:.3f}")
A = torch.stack([x, torch.ones_like(x)], 1).double()  # 每行 (x_i, 1) / one row (x_i, 1) per point
w_ls, b_ls = torch.linalg.lstsq(A, y_clean.double().unsqueeze(1)).solution.squeeze(1).tolist()
print(f"最小二乘的直线 / the least-squares line: w = {w_ls:.3f}, b = {b_ls:.3f}")

# %% [markdown] tags=["zh"]
# 写出改好的 `fit_line`：参数和返回值与 `fit_line_buggy` 相同，只改错的地方，不要改学习率。检查先用你的函数在另一组数据上走一步，从这一步的方向和大小看出还剩哪个错误，再看训练完的直线是不是最小二乘的直线。

# %% [markdown] tags=["en"]
# Write the fixed `fit_line`: the same arguments and return value as `fit_line_buggy`; change only what is wrong,
# and leave the learning rate alone. The check takes one step with your function on other data, tells from the
# direction and size of that step which bug is still there, then checks that the trained line is the
# least-squares line.

# %% nbgrader={"grade": false, "grade_id": "l05_ex2_fit_line", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-debug"]
def fit_line(x, y, lr=0.02, steps=1000):
    ### BEGIN SOLUTION
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()  # reduction="mean"：lr 是按均值选的 / lr was chosen for the mean
    for _ in range(steps):
        pred = model(x.unsqueeze(1)).squeeze(1)  # (N,)，与 y 相同 / (N,), as y
        loss = loss_fn(pred, y)  # 形状相同，不再有警告 / same shapes, no warning to hide
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.weight.item(), model.bias.item()
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l05_ex2_fit_line_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex2_fit_line(fit_line)

# %% [markdown] tags=["zh"]
# ### 练习 3：log-cosh 损失
#
# PyTorch 没有 log-cosh 损失，但回归里常把它当作“处处光滑的 Huber”来用：
#
# $$\ell_i = \log \cosh(e_i), \qquad \cosh e = \frac{e^{e} + e^{-e}}{2}, \qquad \frac{\partial \ell_i}{\partial \hat{y}_i} = \tanh(e_i)$$
#
# 小误差处 $\log \cosh e \approx e^2 / 2$，像 $\delta = 1$ 的 `HuberLoss` 的二次部分；大误差处 $\log \cosh e \approx |e| - \log 2$，像 L1。导数 $\tanh(e)$ 从 $-1$ 平滑地变到 $1$，既没有尖角，也不分段。
#
# 按这一课的做法写出 `my_log_cosh(pred, target, reduction="mean")`：支持 `"mean"`、`"sum"` 和 `"none"`（约定与第 0 节相同，可以用那里的 `reduce`）；输入是 float32，误差大到 $\pm 1000$ 时，数值和 autograd 求出的梯度也必须有限、正确。检查把你的结果与 float64 下的精确值比较，再用 autograd 求你的函数的梯度，与 $\tanh(e_i)$（`"mean"` 时再除以 $N$）比较。提示：直接写 `torch.log(torch.cosh(e))`，在 $e = 100$ 处会得到什么？把 $e^{|e|}$ 从 $\cosh e$ 里提出来试试。

# %% [markdown] tags=["en"]
# ### Exercise 3: the log-cosh loss
#
# PyTorch has no log-cosh loss, yet regression often uses it as "a Huber that is smooth everywhere":
#
# $$\ell_i = \log \cosh(e_i), \qquad \cosh e = \frac{e^{e} + e^{-e}}{2}, \qquad \frac{\partial \ell_i}{\partial \hat{y}_i} = \tanh(e_i)$$
#
# For small errors $\log \cosh e \approx e^2 / 2$, like the quadratic part of `HuberLoss` with $\delta = 1$; for
# large ones $\log \cosh e \approx |e| - \log 2$, like L1. Its derivative $\tanh(e)$ goes smoothly from $-1$ to
# $1$, with no kink and no pieces.
#
# Following this lesson, write `my_log_cosh(pred, target, reduction="mean")`: it supports `"mean"`, `"sum"` and
# `"none"` (as defined in section 0; you may use the `reduce` written there); the inputs are float32, and for errors
# as large as $\pm 1000$ the values and the gradient autograd computes must still be finite and right. The check
# compares your results with the exact values in float64, then takes the gradient of your function with autograd
# and compares it with $\tanh(e_i)$ (divided by $N$ for `"mean"`). Hint: what does `torch.log(torch.cosh(e))` give
# at $e = 100$? Try taking $e^{|e|}$ out of $\cosh e$.

# %% nbgrader={"grade": false, "grade_id": "l05_ex3_log_cosh", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-transfer"]
def my_log_cosh(pred, target, reduction="mean"):
    ### BEGIN SOLUTION
    a = (pred - target).abs()
    # cosh e = e^|e| (1 + e^(-2|e|)) / 2：对数里不会溢出 / nothing inside the log overflows
    loss = a + torch.log1p(torch.exp(-2 * a)) - math.log(2)
    return reduce(loss, reduction)
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l05_ex3_log_cosh_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex3_log_cosh(my_log_cosh)

# %% [markdown] tags=["zh"]
# ## 小结
#
# - 四个回归损失函数只在逐元素的 $\ell_i$ 上不同；`reduction="mean"` 除以的是元素总数 $N$。
# - MSE 是预测向量与目标向量之间欧氏距离的平方除以 $N$；它的拉力与误差成正比，估计均值，怕离群点。L1 的拉力恒为 1，估计中位数，稳健但在最优点附近不减速。
# - `L1Loss` 度量预测的误差；L1 正则化 $\lambda \sum_j |w_j|$ 惩罚模型的权重，让无关的权重变成 0。两者不是一回事。
# - `SmoothL1Loss` 和 `HuberLoss` 小误差时像 MSE，大误差时像 L1，且 $\text{Huber}_{\delta} = \delta \cdot \text{SmoothL1}_{\beta=\delta}$。
# - 计算损失前让预测和目标形状相同：`(N, 1)` 对 `(N,)` 只带一条警告就广播成 `(N, N)`，模型只学会预测均值。
# - 比较配置看验证集：在独热目标上，2 轮后 `MSELoss` 的验证准确率比 `L1Loss` 高；测试集只给选中的配置看一次。
#
# 下一课：分类用的损失函数，以及为什么分类默认用交叉熵而不是 MSE。

# %% [markdown] tags=["en"]
# ## Summary
#
# - The four regression losses differ only in the elementwise $\ell_i$; `reduction="mean"` divides by the total
#   number of elements $N$.
# - MSE is the squared Euclidean distance between the prediction and target vectors, divided by $N$; it pulls
#   in proportion to the error, estimates the mean, and is sensitive to outliers. L1 always pulls with 1,
#   estimates the median, is robust, but does not slow down near the optimum.
# - `L1Loss` measures the errors of the predictions; L1 regularization $\lambda \sum_j |w_j|$ penalizes the
#   model's weights and drives irrelevant ones to 0. They are not the same thing.
# - `SmoothL1Loss` and `HuberLoss` act like MSE for small errors and like L1 for large ones, and
#   $\text{Huber}_{\delta} = \delta \cdot \text{SmoothL1}_{\beta=\delta}$.
# - Make prediction and target the same shape before the loss: `(N, 1)` against `(N,)` broadcasts to `(N, N)`
#   with only a warning, and the model only learns to predict the mean.
# - Compare configurations on the validation set: on one-hot targets, after 2 epochs `MSELoss` reaches a higher
#   validation accuracy than `L1Loss`; the test set is looked at once, for the chosen configuration.
#
# Next lesson: the losses for classification, and why classification uses cross-entropy by default rather
# than MSE.
