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
# # 08 自适应优化器
#
# 上一课：[07 SGD 及其家族](07_optim_sgd.ipynb) · 下一课：[09 学习率调度](09_lr_schedulers.ipynb)
#
# 预计用时：约 90 分钟，另加约 15 分钟的选读部分。标为“选读”的第 6、7、10 节第一次可以跳过，练习用不到它们。
#
# SGD 给所有参数同一个学习率。自适应优化器（adaptive optimizer）根据每个参数自己梯度的历史大小，给它单独的步长。这一课按 PyTorch 的实现讲四个：Adagrad、RMSprop、Adam 和 AdamW，最后再指出几个没有细讲的同类方法。
#
# 学完这一课，你能够：
#
# - 写出 Adagrad、RMSprop（含 `momentum`、`centered`）、Adam（含偏差修正（bias correction）和 `amsgrad`）和 AdamW 的更新公式，与 PyTorch 的实现一字不差；
# - 解释为什么 Adam 需要偏差修正，以及缺了它前几步会怎样；
# - 说清 Adam 的 `weight_decay`（L2）和 AdamW 的解耦权重衰减（decoupled weight decay）有什么不同，并用实验证明二者不同；
# - 从零实现它们，并证明在课程模型上训练 100 步后与 `torch.optim` 的参数完全一致；
# - 用更新量与参数之比（update/weight ratio）判断学习率合不合适，认出“把 SGD 的学习率原样用在 Adam 上”这个错误；
# - 在 Fashion-MNIST 上用同样的预算比较第 07 课和本课的所有优化器，在验证集上挑选，只对挑中的那个看一次测试集。

# %% [markdown] tags=["en"]
# # 08 Adaptive optimizers
#
# Previous: [07 SGD and its family](07_optim_sgd.ipynb) · Next: [09 Learning-rate schedules](09_lr_schedulers.ipynb)
#
# Time: about 90 min, plus about 15 min for the optional sections 6, 7 and 10, which can be skipped on a
# first reading; the exercises do not need them.
#
# SGD gives every parameter the same learning rate. An adaptive optimizer gives each parameter its own step size,
# from the history of that parameter's own gradient. This lesson covers four of them as PyTorch implements them:
# Adagrad, RMSprop, Adam and AdamW, and ends with pointers to a few relatives not covered in detail.
#
# After this lesson you can:
#
# - write the updates of Adagrad, RMSprop (with `momentum` and `centered`), Adam (with bias correction and `amsgrad`) and AdamW exactly as PyTorch implements them;
# - explain why Adam needs bias correction, and what its first steps look like without it;
# - say how Adam's `weight_decay` (L2) differs from AdamW's decoupled weight decay, and show by experiment that they differ;
# - implement them from scratch and prove that after 100 steps on the course model their parameters equal those of `torch.optim`;
# - judge a learning rate by the update/weight ratio, and recognise the mistake of giving Adam SGD's learning rate;
# - compare every optimizer of lesson 07 and of this lesson on Fashion-MNIST with the same budget, choose on the
#   validation set, and look at the test set once, for the chosen one.

# %%
import time

import matplotlib.pyplot as plt
import torch
from torch import nn

import fmnist_core as fc
from fmnist_core import taught
from fmnist_core.checks import lesson08 as check
# 第 07 课写过的工具，现在从课程包导入 / lesson 07's tools, now imported from the package
from fmnist_core.taught import assert_differs, path, quadratic, rosenbrock

device = fc.get_device()
fc.plot.cjk_font()  # 有中文字体就用 / use a CJK font when there is one
loss_fn = nn.CrossEntropyLoss()

# %% [markdown] tags=["zh"]
# ## 1. 一个学习率为什么不够
#
# ### 1.1 定义：逐元素的步长
#
# 上一课的病态二次函数 $f(x, y) = \frac{1}{2}(x^2 + 25 y^2)$ 里，$y$ 方向的梯度是 $x$ 方向的 25 倍。SGD 的学习率受陡的方向限制（$\eta < 2/25$，第 07 课第 5.1 节），平缓的方向就走得很慢。本课的四个优化器都把梯度**逐元素**地除以“这个参数的梯度通常有多大”的一个估计 $\sqrt{s}$，再乘学习率：
#
# $$\theta_{t+1} = \theta_t - \eta \frac{u_t}{\sqrt{s_t} + \epsilon}$$
#
# 其中 $u_t$ 是梯度或它的平均，$s_t$ 是梯度平方 $g_t^2$ 的累加或平均，所有运算都逐元素进行（每个参数各算各的），$\epsilon$ 防止除以 0。四个优化器的区别只在于 $u_t$ 和 $s_t$ 怎样算。
#
# ### 1.2 直觉：步长与梯度的尺度无关
#
# 分子分母都和梯度成正比，所以把梯度整体放大 100 倍，自适应优化器的步长几乎不变，SGD 的步长却放大 100 倍。下面给一个一维参数恒定的梯度 $g = 0.01$ 或 $g = 1$，看每一步移动多远（都用 $\eta = 0.01$，其他超参数取 PyTorch 的默认值）。

# %% [markdown] tags=["en"]
# ## 1. Why one learning rate is not enough
#
# ### 1.1 Definition: a step size per element
#
# On last lesson's ill-conditioned quadratic $f(x, y) = \frac{1}{2}(x^2 + 25 y^2)$ the gradient along $y$ is 25 times
# that along $x$. SGD's learning rate is limited by the steep direction ($\eta < 2/25$, lesson 07,
# section 5.1), so the flat direction crawls.
# The four optimizers of this lesson all divide the gradient **element by element** by an estimate $\sqrt{s}$ of "how
# large this parameter's gradient usually is", then multiply by the learning rate:
#
# $$\theta_{t+1} = \theta_t - \eta \frac{u_t}{\sqrt{s_t} + \epsilon}$$
#
# where $u_t$ is the gradient or an average of it, $s_t$ a sum or average of the squared gradients $g_t^2$, every
# operation element-wise (each parameter on its own), and $\epsilon$ keeps us from dividing by 0. The four optimizers
# differ only in how they compute $u_t$ and $s_t$.
#
# ### 1.2 Intuition: the step does not depend on the scale of the gradient
#
# Numerator and denominator both grow with the gradient, so when the gradient is 100 times larger an adaptive
# optimizer's step hardly changes, while SGD's step grows 100 times. Below, a 1-D parameter gets a constant gradient
# $g = 0.01$ or $g = 1$, and we watch how far each step moves (all with $\eta = 0.01$, the other hyperparameters at
# PyTorch's defaults).

# %%
OPTIMIZERS_1D = {"SGD": torch.optim.SGD, "Adagrad": torch.optim.Adagrad,
                 "RMSprop": torch.optim.RMSprop, "Adam": torch.optim.Adam}


def step_sizes(optimizer_class, g, steps=100, **options):
    """每一步移动的距离，梯度恒为 g / the distance moved at each step under a constant gradient g."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = optimizer_class([p], **options)
    sizes = []
    for _ in range(steps):
        before = p.detach().clone()
        p.grad = torch.full_like(p, g)
        optimizer.step()
        sizes.append((before - p.detach()).abs().item())
    return sizes


fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
for ax, g in zip(axes, (0.01, 1.0)):
    for name, cls in OPTIMIZERS_1D.items():
        ax.plot(range(1, 101), step_sizes(cls, g, lr=0.01), label=name)
    ax.set_yscale("log")
    ax.set_title(fc.label(f"梯度恒为 g = {g}", f"constant gradient g = {g}"))
    ax.set_xlabel(fc.label("步数", "step"))
    ax.grid(alpha=0.3, which="both")
axes[0].set_ylabel(fc.label("每步移动的距离", "distance moved per step"))
axes[1].legend()
fig.tight_layout()
plt.show()

for name, cls in OPTIMIZERS_1D.items():
    small, large = step_sizes(cls, 0.01, lr=0.01), step_sizes(cls, 1.0, lr=0.01)
    print(f"{name:<8} 第 1 步 / step 1: {small[0]:.4f} vs {large[0]:.4f}   "
          f"第 100 步 / step 100: {small[-1]:.4f} vs {large[-1]:.4f}")

# %% [markdown] tags=["zh"]
# 从图和数字可以读出四件事，后面几节会逐一解释：
#
# - SGD 的步长正比于梯度：$\eta g$。
# - Adagrad 第一步走 $\eta$，之后按 $\eta / \sqrt{t}$ 一直变小，因为它把所有 $g^2$ **累加**起来。
# - RMSprop 第一步走了 $10 \eta$：它的平均值从 0 开始，又**没有**偏差修正；之后慢慢降回 $\eta$。
# - Adam 每一步都正好走 $\eta$：偏差修正消除了从 0 开始的偏差。
#
# 在 $g = 0.01$ 的左图里，$\epsilon$ 的影响还看不出来；只有当梯度小到与 $\epsilon$ 相当时，步长才会变小。

# %% [markdown] tags=["en"]
# The plot and the numbers show four things that the next sections explain one by one:
#
# - SGD's step is proportional to the gradient: $\eta g$.
# - Adagrad's first step is $\eta$, and then it keeps shrinking like $\eta / \sqrt{t}$, because it **sums** all the $g^2$.
# - RMSprop's first step is $10 \eta$: its average starts at 0 and has **no** bias correction; it slowly comes back to $\eta$.
# - Adam's steps are exactly $\eta$, every one: bias correction removes the bias of starting at 0.
#
# In the left panel, with $g = 0.01$, $\epsilon$ has no visible effect yet; only a gradient as small as $\epsilon$ shrinks the step.

# %% [markdown] tags=["zh"]
# ### 1.3 对照用的工具
#
# 和上一课一样，每个从零实现的优化器都要和 `torch.optim` 比：在课程模型的 `float64` 副本上用同样的 100 个真实批次（每批 32 张）各训练 100 步，再用 `assert_close` 比较全部参数。`assert_differs` 反过来要求两组参数**不同**，用来证明这个对照能发现故意写错的规则。这两个工具（以及第 7 节的两个曲面和 `path`）都是第 07 课写过的，现在直接从课程包 `fmnist_core.taught` 导入。

# %% [markdown] tags=["en"]
# ### 1.3 Tools for the checks
#
# As in the previous lesson, each from-scratch optimizer is compared with `torch.optim`: each trains a `float64` copy
# of the course model for 100 steps on the same 100 real batches (32 images each), and `assert_close` compares all the
# parameters. `assert_differs` asks the opposite, that two sets of parameters **differ**, to show that the comparison
# catches a deliberately wrong rule. Both tools (and section 7's two surfaces and `path`) were written in lesson 07; here we
# import them from the package, `fmnist_core.taught`.

# %%
X_train, y_train = fc.load_tensors(train=True, device=device)
n_steps, batch = 100, 32
X_steps = X_train[:n_steps * batch].double()  # 100 个真实批次，顺序固定 / 100 real batches in a fixed order
y_steps = y_train[:n_steps * batch]


def train_steps(make_optimizer, steps=n_steps, seed=0):
    """第 07 课的 train_steps（在课程包里），用这 100 个批次 / lesson 07's train_steps (in the
    package), on these 100 batches: a fresh float64 course model, its parameters after `steps`."""
    return taught.train_steps(make_optimizer, X_steps, y_steps, batch=batch, steps=steps, seed=seed)


def compare(name, ours_class, torch_class, combos):
    """每种组合：从零实现与 torch.optim 各训练 100 步，参数必须一致 /
    each combination: from scratch and torch.optim train 100 steps each, and must match."""
    reference = {}
    for combo, kw in combos.items():
        ours = train_steps(lambda ps, kw=kw: ours_class(ps, **kw))
        reference[combo] = train_steps(lambda ps, kw=kw: torch_class(ps, **kw))
        torch.testing.assert_close(ours, reference[combo])
    print(f"{name} ✓ 100 步后与 torch.optim.{torch_class.__name__} 一致 / matches after 100 steps")
    print(f"    ({', '.join(combos)})")
    return reference


class FromScratch:
    """从零实现的优化器的共同部分 / what the from-scratch optimizers share."""

    def __init__(self, params, **hyper):
        self.params = list(params)
        self.__dict__.update(hyper)
        self.state = [{} for _ in self.params]  # 每个参数自己的状态 / each parameter's own state
        self.t = 0                              # 步数 / step count

    def zero_grad(self):
        for p in self.params:
            p.grad = None


# %% [markdown] tags=["zh"]
# ## 2. Adagrad
#
# ### 2.1 定义
#
# Adagrad 把每个参数的梯度平方**全部累加**起来，$s_0$ 为 `initial_accumulator_value`（默认 0）：
#
# $$s_t = s_{t-1} + g_t^2, \qquad \theta_{t+1} = \theta_t - \frac{\eta}{1 + (t - 1) \delta} \cdot \frac{g_t}{\sqrt{s_t} + \epsilon}$$
#
# - $\eta$（`lr`，默认 0.01）；$\delta$（`lr_decay`，默认 0）让学习率随步数 $t = 1, 2, \dots$ 再额外变小；
# - $\epsilon$（`eps`）默认 $10^{-10}$，加在平方根**外面**；
# - `weight_decay=λ` 和 SGD 一样，先做 $g_t \leftarrow g_t + \lambda \theta_t$（L2）。
#
# ### 2.2 直觉
#
# 梯度一直很大的参数，$s$ 增长得快，步长变小；很少得到梯度的参数（比如只在少数样本里出现的特征），$s$ 很小，一旦有梯度就走大步。这正是它为稀疏特征设计的原因。代价是 $s_t$ 只增不减：第 1.2 节里步长按 $1/\sqrt{t}$ 一直衰减，长时间训练后几乎停下。

# %% [markdown] tags=["en"]
# ## 2. Adagrad
#
# ### 2.1 Definition
#
# Adagrad **sums** the squared gradients of each parameter, starting from $s_0$ = `initial_accumulator_value` (default 0):
#
# $$s_t = s_{t-1} + g_t^2, \qquad \theta_{t+1} = \theta_t - \frac{\eta}{1 + (t - 1) \delta} \cdot \frac{g_t}{\sqrt{s_t} + \epsilon}$$
#
# - $\eta$ (`lr`, default 0.01); $\delta$ (`lr_decay`, default 0) shrinks the learning rate further with the step count $t = 1, 2, \dots$;
# - $\epsilon$ (`eps`) is $10^{-10}$ by default, added **outside** the square root;
# - `weight_decay=λ` works as in SGD: first $g_t \leftarrow g_t + \lambda \theta_t$ (L2).
#
# ### 2.2 Intuition
#
# A parameter whose gradient is always large sees $s$ grow fast and takes smaller steps; a parameter that rarely gets a
# gradient (a feature present in few samples) keeps a small $s$ and takes a large step when it finally gets one. That
# is what it was designed for: sparse features. The price is that $s_t$ only grows: in section 1.2 the step decays like
# $1/\sqrt{t}$ forever, and after a long training it nearly stops.

# %% [markdown] tags=["zh"]
# ### 2.3 从零实现

# %% [markdown] tags=["en"]
# ### 2.3 From scratch

# %%
class AdagradFromScratch(FromScratch):
    def __init__(self, params, lr=0.01, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                         s0=initial_accumulator_value, eps=eps)

    @torch.no_grad()
    def step(self):
        self.t += 1
        clr = self.lr / (1 + (self.t - 1) * self.lr_decay)        # η / (1 + (t−1)δ)
        for p, state in zip(self.params, self.state):
            g = p.grad
            if self.weight_decay != 0:
                g = g + self.weight_decay * p                      # L2
            s = state.setdefault("sum", torch.full_like(p, self.s0))
            s += g * g                                             # s ← s + g²
            p -= clr * g / (s.sqrt() + self.eps)


# %% [markdown] tags=["zh"]
# ### 2.4 与 PyTorch 对照
#
# 五种组合：默认值，`lr_decay`、`initial_accumulator_value`、`weight_decay` 各自打开，以及全部打开（再加上另一个 `eps`）。然后一个故意写错的版本（$\epsilon$ 放进平方根里：$\sqrt{s_t + \epsilon}$）必须**不**一致。

# %% [markdown] tags=["en"]
# ### 2.4 Check against PyTorch
#
# Five combinations: the defaults, `lr_decay`, `initial_accumulator_value` and `weight_decay` one at a time, and all of
# them together (with another `eps` as well).
# Then a deliberately wrong version ($\epsilon$ inside the square root: $\sqrt{s_t + \epsilon}$) must **not** match.

# %% tags=["grading-skip"]
ADAGRAD = {
    "default": {},
    "lr_decay": {"lr_decay": 1e-2},
    "initial_accumulator_value": {"initial_accumulator_value": 0.1},
    "weight_decay": {"weight_decay": 1e-2},
    "all options": {"lr_decay": 1e-3, "initial_accumulator_value": 0.1, "weight_decay": 1e-3,
                    "eps": 1e-6},
}
ref_adagrad = compare("Adagrad", AdagradFromScratch, torch.optim.Adagrad, ADAGRAD)


class AdagradEpsInside(AdagradFromScratch):
    @torch.no_grad()
    def step(self):
        for p, state in zip(self.params, self.state):
            s = state.setdefault("sum", torch.zeros_like(p))
            s += p.grad * p.grad
            p -= self.lr * p.grad / (s + self.eps).sqrt()  # 错：ε 在根号里 / wrong: ε inside the root


assert_differs(train_steps(AdagradEpsInside), ref_adagrad["default"])
print("✗ AdagradEpsInside 与 torch.optim.Adagrad 不一致（应当如此）/ differs, as it should")

# %% [markdown] tags=["zh"]
# 为什么 $\epsilon = 10^{-10}$ 放在哪里也能看出来？课程模型里有些梯度非常小（例如几乎总是 0 的边缘像素的权重）：对 $|g| \approx 10^{-6}$，$g / (|g| + \epsilon) \approx 1$，而 $g / \sqrt{g^2 + \epsilon} \approx 0.1$，差了 10 倍。

# %% [markdown] tags=["en"]
# Why does the place of an $\epsilon$ of $10^{-10}$ show at all? Some gradients of the course model are tiny (say, the
# weights of border pixels that are nearly always 0): for $|g| \approx 10^{-6}$, $g / (|g| + \epsilon) \approx 1$ but
# $g / \sqrt{g^2 + \epsilon} \approx 0.1$, ten times less.

# %% [markdown] tags=["zh"]
# ## 3. RMSprop
#
# ### 3.1 定义
#
# RMSprop 把 Adagrad 的累加换成**指数移动平均**，于是很久以前的梯度会被逐渐忘掉，步长不会一直衰减。$v_0 = 0$：
#
# $$v_t = \alpha v_{t-1} + (1 - \alpha) g_t^2, \qquad \theta_{t+1} = \theta_t - \eta \frac{g_t}{\sqrt{v_t} + \epsilon}$$
#
# - $\alpha$（`alpha`，默认 0.99）：平均的“记忆长度”约为 $1 / (1 - \alpha) = 100$ 步；$\epsilon$ 默认 $10^{-8}$；`lr` 默认 0.01（常用 0.001）。
# - **没有偏差修正**：第一步 $v_1 = 0.01 g_1^2$，$\sqrt{v_1} = 0.1 |g_1|$，所以第一步走 $10 \eta$（第 1.2 节看到的）。
# - `centered=True`：再维护梯度的平均 $\bar{g}_t = \alpha \bar{g}_{t-1} + (1 - \alpha) g_t$，分母换成 $\sqrt{v_t - \bar{g}_t^2} + \epsilon$，即用梯度的**方差**代替二阶矩（second moment）。
# - `momentum=μ`：缓冲区从 0 开始，累积的是已经缩放过的梯度：
#
# $$b_t = \mu b_{t-1} + \frac{g_t}{\sqrt{v_t} + \epsilon}, \qquad \theta_{t+1} = \theta_t - \eta b_t$$
#
# - `weight_decay=λ`：先做 $g_t \leftarrow g_t + \lambda \theta_t$（L2）。
#
# ### 3.2 直觉
#
# 分母 $\sqrt{v_t}$ 是最近约 100 步梯度的均方根（root mean square，RMSprop 的名字由此而来）。梯度一直大的方向被压小，一直小的方向被放大，所以每个坐标每步大约走 $\eta$。第 7 节会在二维曲面上看到这一点。

# %% [markdown] tags=["en"]
# ## 3. RMSprop
#
# ### 3.1 Definition
#
# RMSprop replaces Adagrad's sum by an **exponential moving average**, so old gradients are slowly forgotten and the
# step does not keep shrinking. With $v_0 = 0$:
#
# $$v_t = \alpha v_{t-1} + (1 - \alpha) g_t^2, \qquad \theta_{t+1} = \theta_t - \eta \frac{g_t}{\sqrt{v_t} + \epsilon}$$
#
# - $\alpha$ (`alpha`, default 0.99): the average "remembers" about $1 / (1 - \alpha) = 100$ steps; $\epsilon$ is $10^{-8}$ by default; `lr` is 0.01 by default (0.001 is common).
# - **No bias correction**: after the first step $v_1 = 0.01 g_1^2$ and $\sqrt{v_1} = 0.1 |g_1|$, so the first step is $10 \eta$ (as seen in section 1.2).
# - `centered=True`: also keep the mean gradient $\bar{g}_t = \alpha \bar{g}_{t-1} + (1 - \alpha) g_t$ and divide by $\sqrt{v_t - \bar{g}_t^2} + \epsilon$, the gradient's **variance** in place of its second moment.
# - `momentum=μ`: a buffer starting at 0 that accumulates the already scaled gradients:
#
# $$b_t = \mu b_{t-1} + \frac{g_t}{\sqrt{v_t} + \epsilon}, \qquad \theta_{t+1} = \theta_t - \eta b_t$$
#
# - `weight_decay=λ`: first $g_t \leftarrow g_t + \lambda \theta_t$ (L2).
#
# ### 3.2 Intuition
#
# The denominator $\sqrt{v_t}$ is the root mean square of the last hundred or so gradients (hence the name RMSprop).
# Directions with a steadily large gradient are scaled down, steadily small ones scaled up, so every coordinate moves
# about $\eta$ per step. Section 7 shows this on the 2-D surfaces.

# %% [markdown] tags=["zh"]
# ### 3.3 从零实现

# %% [markdown] tags=["en"]
# ### 3.3 From scratch

# %%
class RMSpropFromScratch(FromScratch):
    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                         momentum=momentum, centered=centered)

    @torch.no_grad()
    def step(self):
        for p, state in zip(self.params, self.state):
            g = p.grad
            if self.weight_decay != 0:
                g = g + self.weight_decay * p                                  # L2
            v = state.setdefault("square_avg", torch.zeros_like(p))
            v.mul_(self.alpha).add_((1 - self.alpha) * g * g)                  # v ← αv + (1−α)g²
            if self.centered:
                g_avg = state.setdefault("grad_avg", torch.zeros_like(p))
                g_avg.mul_(self.alpha).add_((1 - self.alpha) * g)              # ḡ ← αḡ + (1−α)g
                denom = (v - g_avg * g_avg).sqrt() + self.eps                  # √(v − ḡ²) + ε
            else:
                denom = v.sqrt() + self.eps                                    # √v + ε
            if self.momentum > 0:
                b = state.setdefault("momentum_buffer", torch.zeros_like(p))
                b.mul_(self.momentum).add_(g / denom)                          # b ← μb + g/(√v + ε)
                p -= self.lr * b
            else:
                p -= self.lr * g / denom


# %% [markdown] tags=["zh"]
# ### 3.4 与 PyTorch 对照
#
# 五种组合：默认、`momentum`、`centered`、`weight_decay`、全部打开。错误版本把 $\alpha$ 和 $1 - \alpha$ 对调。

# %% [markdown] tags=["en"]
# ### 3.4 Check against PyTorch
#
# Five combinations: the defaults, `momentum`, `centered`, `weight_decay`, and all of them. The wrong version swaps $\alpha$ and $1 - \alpha$.

# %% tags=["grading-skip"]
RMSPROP = {
    "default": {"lr": 1e-3},
    "momentum": {"lr": 1e-3, "momentum": 0.9},
    "centered": {"lr": 1e-3, "centered": True},
    "weight_decay": {"lr": 1e-3, "weight_decay": 1e-2},
    "all options": {"lr": 1e-3, "alpha": 0.9, "eps": 1e-6, "momentum": 0.5, "centered": True,
                    "weight_decay": 1e-2},
}
ref_rmsprop = compare("RMSprop", RMSpropFromScratch, torch.optim.RMSprop, RMSPROP)


class RMSpropSwappedAlpha(RMSpropFromScratch):
    @torch.no_grad()
    def step(self):
        for p, state in zip(self.params, self.state):
            v = state.setdefault("square_avg", torch.zeros_like(p))
            v.mul_(1 - self.alpha).add_(self.alpha * p.grad * p.grad)  # 错 / wrong: α swapped
            p -= self.lr * p.grad / (v.sqrt() + self.eps)


assert_differs(train_steps(lambda ps: RMSpropSwappedAlpha(ps, lr=1e-3)), ref_rmsprop["default"])
print("✗ RMSpropSwappedAlpha 与 torch.optim.RMSprop 不一致（应当如此）/ differs, as it should")

# %% [markdown] tags=["zh"]
# ## 4. Adam
#
# ### 4.1 定义
#
# Adam 同时维护梯度的一阶矩（first moment，平均）$m$ 和二阶矩（平方的平均）$v$，都从 0 开始，然后做**偏差修正**。$t = 1, 2, \dots$ 是步数：
#
# $$m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2$$
#
# $$\hat{m}_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat{v}_t = \frac{v_t}{1 - \beta_2^t}, \qquad \theta_{t+1} = \theta_t - \eta \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}$$
#
# - `betas=(β1, β2)` 默认 (0.9, 0.999)；`eps` 默认 $10^{-8}$，加在修正后的 $\sqrt{\hat{v}_t}$ 外面；`lr` 默认 0.001。
# - `weight_decay=λ`：和 SGD 一样先做 $g_t \leftarrow g_t + \lambda \theta_t$（L2），这个 $\lambda \theta_t$ 随后进入 $m$ 和 $v$。第 5 节会看到这为什么不理想。
# - PyTorch 的代码把同样的公式写成 $\theta \leftarrow \theta - \frac{\eta}{1 - \beta_1^t} \cdot \frac{m_t}{\sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon}$，数学上完全相同。
#
# ### 4.2 直觉：为什么要偏差修正
#
# $m$ 和 $v$ 从 0 开始，所以前几步它们偏小。如果梯度恒为 $g$，$m_t = (1 - \beta_1^t) g$，$v_t = (1 - \beta_2^t) g^2$：除以 $1 - \beta^t$ 正好把偏差消掉，$\hat{m}_t / \sqrt{\hat{v}_t} = 1$，每步正好走 $\eta$。如果不修正，比值是 $(1 - \beta_1^t) / \sqrt{1 - \beta_2^t}$。因为 $\beta_2 = 0.999$ 比 $\beta_1 = 0.9$ 更接近 1，$v$ 的偏差更大，前几百步的步子反而**偏大**好几倍；只修正 $v$ 不修正 $m$ 的话，第一步又只有 $0.1 \eta$。

# %% [markdown] tags=["en"]
# ## 4. Adam
#
# ### 4.1 Definition
#
# Adam keeps both the first moment (the mean) $m$ and the second moment (the mean of the square) $v$ of the gradient,
# both starting at 0, and then applies a **bias correction**. $t = 1, 2, \dots$ counts the steps:
#
# $$m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2$$
#
# $$\hat{m}_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat{v}_t = \frac{v_t}{1 - \beta_2^t}, \qquad \theta_{t+1} = \theta_t - \eta \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}$$
#
# - `betas=(β1, β2)` default to (0.9, 0.999); `eps` is $10^{-8}$ by default, added outside the corrected $\sqrt{\hat{v}_t}$; `lr` is 0.001 by default.
# - `weight_decay=λ`: as in SGD, first $g_t \leftarrow g_t + \lambda \theta_t$ (L2), and this $\lambda \theta_t$ then enters $m$ and $v$. Section 5 shows why that is not ideal.
# - PyTorch's code writes the same formula as $\theta \leftarrow \theta - \frac{\eta}{1 - \beta_1^t} \cdot \frac{m_t}{\sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon}$, mathematically identical.
#
# ### 4.2 Intuition: why bias correction
#
# $m$ and $v$ start at 0, so they are too small during the first steps. With a constant gradient $g$,
# $m_t = (1 - \beta_1^t) g$ and $v_t = (1 - \beta_2^t) g^2$: dividing by $1 - \beta^t$ removes the bias exactly,
# $\hat{m}_t / \sqrt{\hat{v}_t} = 1$, and every step is exactly $\eta$. Without correction the ratio is
# $(1 - \beta_1^t) / \sqrt{1 - \beta_2^t}$. Because $\beta_2 = 0.999$ is closer to 1 than $\beta_1 = 0.9$, $v$ is more
# biased, and for the first few hundred steps the steps are several times too **large**; correcting $v$ but not $m$
# makes the first step only $0.1 \eta$ instead.

# %%
b1, b2 = 0.9, 0.999
t = torch.arange(1, 1001, dtype=torch.float64)
ratios = {
    fc.label("两者都修正（PyTorch）", "both corrected (PyTorch)"): torch.ones_like(t),
    fc.label("都不修正", "no correction"): (1 - b1 ** t) / (1 - b2 ** t).sqrt(),
    fc.label("只修正 v", "only v corrected"): 1 - b1 ** t,
}
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for name, r in ratios.items():
    ax.plot(t, r, label=name)
ax.set_xscale("log")
ax.set_xlabel(fc.label("步数 t", "step t"))
ax.set_ylabel(fc.label("步长除以 η", "step divided by η"))
ax.set_title(fc.label("梯度恒定时 Adam 的步长", "Adam's step under a constant gradient"))
ax.set_ylim(0, 9)
ax.legend(loc="upper right", fontsize=8)
ax.grid(alpha=0.3, which="both")
fig.tight_layout()
plt.show()

# 检查 m_t = (1 − β1^t)·g、v_t = (1 − β2^t)·g²：读 torch.optim.Adam 的状态 / read torch.optim.Adam's state
p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
opt = torch.optim.Adam([p], lr=0.01)
for step in range(1, 21):
    p.grad = torch.full_like(p, 0.3)
    opt.step()
    torch.testing.assert_close(opt.state[p]["exp_avg"], torch.full_like(p, (1 - b1 ** step) * 0.3))
    torch.testing.assert_close(opt.state[p]["exp_avg_sq"],
                               torch.full_like(p, (1 - b2 ** step) * 0.09))
print("偏差 ✓ 梯度恒定时 torch.optim.Adam 的 m_t = (1 − β1^t)·g，v_t = (1 − β2^t)·g²")
print("bias ✓ constant gradient: torch.optim.Adam has m_t = (1 − β1^t)·g, v_t = (1 − β2^t)·g²")

no_corr = ratios[fc.label("都不修正", "no correction")]
print(f"不修正时 / without correction: t=1: {no_corr[0]:.4f}, t=10: {no_corr[9]:.4f}, "
      f"t=100: {no_corr[99]:.4f}, t=1000: {no_corr[999]:.4f}")

# 与 torch.optim.Adam 对照：梯度恒定时每一步正好走 η / check: with a constant gradient every step is exactly η
adam_steps = step_sizes(torch.optim.Adam, 0.3, steps=50, lr=0.01, eps=0.0)
torch.testing.assert_close(torch.tensor(adam_steps, dtype=torch.float64),
                           torch.full((50,), 0.01, dtype=torch.float64))
print("偏差修正 ✓ 梯度恒定时 torch.optim.Adam 每步正好走 η")
print("bias correction ✓ under a constant gradient torch.optim.Adam moves exactly η per step")

# %% [markdown] tags=["zh"]
# ### 4.3 从零实现
#
# 一个类同时实现 Adam 和 AdamW：`decoupled=True` 时权重衰减直接作用在参数上（第 5 节）。`amsgrad` 在第 6 节讲，这里一并写上。

# %% [markdown] tags=["en"]
# ### 4.3 From scratch
#
# One class implements both Adam and AdamW: with `decoupled=True` the weight decay acts on the parameter directly
# (section 5). `amsgrad` is explained in section 6 and written here too.

# %%
class AdamFromScratch(FromScratch):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, decoupled=False):
        super().__init__(params, lr=lr, beta1=betas[0], beta2=betas[1], eps=eps,
                         weight_decay=weight_decay, amsgrad=amsgrad, decoupled=decoupled)

    @torch.no_grad()
    def step(self):
        self.t += 1
        bc1, bc2 = 1 - self.beta1 ** self.t, 1 - self.beta2 ** self.t   # 偏差修正 / bias correction
        for p, state in zip(self.params, self.state):
            g = p.grad
            if self.weight_decay != 0:
                if self.decoupled:
                    p *= 1 - self.lr * self.weight_decay                # AdamW: θ ← θ(1 − ηλ)
                else:
                    g = g + self.weight_decay * p                       # Adam: L2, g ← g + λθ
            m = state.setdefault("exp_avg", torch.zeros_like(p))
            v = state.setdefault("exp_avg_sq", torch.zeros_like(p))
            m.mul_(self.beta1).add_((1 - self.beta1) * g)               # m ← β1·m + (1−β1)·g
            v.mul_(self.beta2).add_((1 - self.beta2) * g * g)           # v ← β2·v + (1−β2)·g²
            if self.amsgrad:
                v_max = state.setdefault("max_exp_avg_sq", torch.zeros_like(p))
                torch.maximum(v_max, v, out=v_max)                      # 未修正的 v / max of the raw v
                v = v_max
            m_hat, v_hat = m / bc1, v / bc2
            p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)


class AdamWFromScratch(AdamFromScratch):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, decoupled=True)


# %% [markdown] tags=["zh"]
# ### 4.4 与 PyTorch 对照
#
# 三种组合：默认、改变 `betas` 与 `eps`、L2 `weight_decay`（`amsgrad` 在第 6 节检查）。错误版本去掉偏差修正。

# %% [markdown] tags=["en"]
# ### 4.4 Check against PyTorch
#
# Three combinations: the defaults, other `betas` and `eps`, and L2 `weight_decay` (`amsgrad` is checked in section 6).
# The wrong version drops the bias correction.

# %% tags=["grading-skip"]
ADAM = {
    "default": {},
    "betas, eps": {"betas": (0.8, 0.99), "eps": 1e-6},
    "weight_decay": {"weight_decay": 1e-2},
}
ref_adam = compare("Adam", AdamFromScratch, torch.optim.Adam, ADAM)


class AdamNoBiasCorrection(AdamFromScratch):
    @torch.no_grad()
    def step(self):
        for p, state in zip(self.params, self.state):
            m = state.setdefault("exp_avg", torch.zeros_like(p))
            v = state.setdefault("exp_avg_sq", torch.zeros_like(p))
            m.mul_(self.beta1).add_((1 - self.beta1) * p.grad)
            v.mul_(self.beta2).add_((1 - self.beta2) * p.grad * p.grad)
            p -= self.lr * m / (v.sqrt() + self.eps)  # 错：没有修正 / wrong: no correction


assert_differs(train_steps(AdamNoBiasCorrection), ref_adam["default"])
print("✗ AdamNoBiasCorrection 与 torch.optim.Adam 不一致（应当如此）/ differs, as it should")

# %% [markdown] tags=["zh"]
# ## 5. AdamW：解耦的权重衰减
#
# ### 5.1 定义
#
# 对 SGD，“把 $\lambda \theta$ 加到梯度上”和“每步把参数乘以 $1 - \eta\lambda$”是一回事（上一课第 4 节）。对 Adam 不是：加到梯度上的 $\lambda \theta$ 会经过 $m$、$v$ 和除以 $\sqrt{\hat{v}}$ 的缩放。Loshchilov 和 Hutter（2019）提出 AdamW：把衰减从梯度里**解耦**出来，直接作用在参数上，Adam 的部分只用损失函数的梯度。PyTorch 的 `AdamW(weight_decay=λ)`（默认 $\lambda = 0.01$）每一步先做
#
# $$\theta_t \leftarrow \theta_t (1 - \eta \lambda)$$
#
# 然后用**原始**梯度 $g_t$ 照常做第 4.1 节的 Adam 更新。对比 `Adam(weight_decay=λ)`：$g_t \leftarrow g_t + \lambda \theta_t$ 再进入 $m$ 和 $v$。
#
# 注意 PyTorch 把衰减乘上了学习率：每步缩小的比例是 $\eta\lambda$，不是 $\lambda$。这里的“解耦”指的是与梯度的矩 $m$、$v$ 解耦，而不是与学习率解耦。原文里衰减只乘学习率调度的倍数 $\eta_t$，不乘基础学习率 $\alpha$，所以 PyTorch 的 $\lambda$ 相当于原文的 $\lambda / \alpha$。实际后果是：衰减的强度随 `lr` 和每一个学习率调度器一起变。$\eta = 10^{-3}$、$\lambda = 0.01$ 时每步缩小 $10^{-5}$；把学习率降到 $10^{-4}$，衰减也减弱到原来的 1/10，除非把 $\lambda$ 调大 10 倍；调度器把学习率降向 0 时，衰减也一起停下。调 $\lambda$ 时要和学习率一起看：真正起作用的是乘积 $\eta\lambda$。
#
# ### 5.2 直觉：只有衰减、没有损失梯度的参数
#
# 设想某个参数对损失函数毫无影响（损失梯度恒为 0，比如一个永远不被激活的神经元的权重），只受权重衰减作用，$\theta_0 = 1$，$\eta = 0.01$：
#
# - AdamW：$\theta_t = (1 - \eta \lambda)^t$，按指数慢慢缩小，$\lambda$ 越大缩得越快；
# - Adam + L2：梯度是 $\lambda \theta$，除以它自己的均方根后约等于 1，所以参数一开始每步减少将近 $\eta$（第 50 步约为 0.54），之后 $v$ 还记着较大的旧梯度，步子逐渐变小，约 200 步后接近 0。关键是：**不论 $\lambda$ 多大，路径都一样**（图中两条红线重合）。
#
# 也就是说，Adam 的 L2 衰减强度被自适应缩放“吃掉”了：梯度大的参数衰减得相对少，梯度小的参数衰减得相对多。AdamW 对每个参数一视同仁。

# %% [markdown] tags=["en"]
# ## 5. AdamW: decoupled weight decay
#
# ### 5.1 Definition
#
# For SGD, "add $\lambda \theta$ to the gradient" and "multiply the parameter by $1 - \eta\lambda$ each step" are the
# same thing (section 4 of the previous lesson). For Adam they are not: a $\lambda \theta$ added to the gradient goes
# through $m$, $v$ and the division by $\sqrt{\hat{v}}$. Loshchilov and Hutter (2019) proposed AdamW: **decouple** the
# decay from the gradient and apply it to the parameter directly, with the Adam part using the gradient of the loss
# function only. PyTorch's `AdamW(weight_decay=λ)` (default $\lambda = 0.01$) first does, at every step,
#
# $$\theta_t \leftarrow \theta_t (1 - \eta \lambda)$$
#
# and then the Adam update of section 4.1 with the **raw** gradient $g_t$. Compare `Adam(weight_decay=λ)`:
# $g_t \leftarrow g_t + \lambda \theta_t$, which then enters $m$ and $v$.
#
# Note that PyTorch multiplies the decay by the learning rate: each step shrinks the parameter by the fraction
# $\eta\lambda$, not $\lambda$. "Decoupled" here means decoupled from the gradient's moments $m$ and $v$, not from the
# learning rate. In the paper the decay is multiplied only by the schedule multiplier $\eta_t$, not by the base
# learning rate $\alpha$, so PyTorch's $\lambda$ corresponds to the paper's $\lambda / \alpha$. In practice the strength of
# the decay moves with `lr` and with every learning-rate scheduler. With $\eta = 10^{-3}$ and $\lambda = 0.01$ a step
# shrinks the parameter by $10^{-5}$; lower the learning rate to $10^{-4}$ and the decay is 10 times weaker too, unless
# you make $\lambda$ 10 times larger; when a scheduler takes the learning rate towards 0, the decay stops with it. Tune
# $\lambda$ together with the learning rate: what acts is the product $\eta\lambda$.
#
# ### 5.2 Intuition: a parameter with decay and no loss gradient
#
# Picture a parameter that does not affect the loss function at all (its loss gradient is always 0, like a weight of a
# neuron that never fires), so only weight decay acts on it, with $\theta_0 = 1$ and $\eta = 0.01$:
#
# - AdamW: $\theta_t = (1 - \eta \lambda)^t$, a slow exponential shrink, faster for a larger $\lambda$;
# - Adam + L2: the gradient is $\lambda \theta$, and divided by its own root mean square it is about 1, so at first
#   the parameter drops by nearly $\eta$ per step (about 0.54 at step 50); later $v$ still remembers the larger old
#   gradients, the steps shrink, and it gets close to 0 after about 200 steps. The point: **the path is the same
#   whatever $\lambda$ is** (the two red curves lie on top of each other).
#
# In other words, the adaptive scaling "eats" the strength of Adam's L2 decay: parameters with large gradients are
# decayed relatively less, parameters with small gradients relatively more. AdamW treats every parameter alike.

# %%
def decay_only(optimizer_class, weight_decay, steps=300, lr=0.01):
    """损失梯度恒为 0 时参数的轨迹 / the parameter's path when the loss gradient is always 0."""
    p = torch.ones(1, dtype=torch.float64, requires_grad=True)
    optimizer = optimizer_class([p], lr=lr, weight_decay=weight_decay)
    values = [1.0]
    for _ in range(steps):
        p.grad = torch.zeros_like(p)
        optimizer.step()
        values.append(p.item())
    return torch.tensor(values, dtype=torch.float64)


fig, ax = plt.subplots(figsize=(6.5, 3.5))
for lam, style in ((0.1, "-"), (1.0, "--")):
    ax.plot(decay_only(torch.optim.AdamW, lam), style, color="tab:blue", label=f"AdamW, λ = {lam}")
    ax.plot(decay_only(torch.optim.Adam, lam), style, color="tab:red",
            label=f"Adam + L2, λ = {lam}")
ax.set_xlabel(fc.label("步数", "step"))
ax.set_ylabel("θ")
ax.set_title(fc.label("只有权重衰减（损失梯度为 0），η = 0.01",
                      "weight decay only (zero loss gradient), η = 0.01"))
ax.legend()
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# AdamW 的公式：θ_t = (1 − ηλ)^t / the AdamW formula
for lam in (0.1, 1.0):
    torch.testing.assert_close(decay_only(torch.optim.AdamW, lam),
                               (1 - 0.01 * lam) ** torch.arange(301, dtype=torch.float64))
adam_01, adam_1 = decay_only(torch.optim.Adam, 0.1), decay_only(torch.optim.Adam, 1.0)
print(f"Adam + L2 第 50 步 / at step 50: λ=0.1 -> {adam_01[50]:.4f}, λ=1 -> {adam_1[50]:.4f}")
print(f"AdamW     第 50 步 / at step 50: λ=0.1 -> {(1 - 0.001) ** 50:.4f}, "
      f"λ=1 -> {(1 - 0.01) ** 50:.4f}")
print("AdamW ✓ 只有衰减时 θ_t = (1 − ηλ)^t / AdamW ✓ with decay only, θ_t = (1 − ηλ)^t")

# %% [markdown] tags=["zh"]
# ### 5.3 与 PyTorch 对照，以及 L2 与解耦确实不同
#
# `AdamWFromScratch`（第 4.3 节的类，`decoupled=True`）与 `torch.optim.AdamW` 在默认值和 $\lambda = 0.1$ 下对照。然后在同一个模型上证明：同样的 $\lambda$，`Adam(weight_decay=λ)` 和 `AdamW(weight_decay=λ)` 100 步后的参数**不同**；而 PyTorch 的 `Adam(decoupled_weight_decay=True)` 就是 `AdamW`（这个参数从 PyTorch 2.7 起才有，所以本课程要求 torch 2.7 或更新的版本）。最后一个错误版本先走 Adam 的一步再衰减（顺序反了）。

# %% [markdown] tags=["en"]
# ### 5.3 Check against PyTorch, and L2 really differs from decoupled decay
#
# `AdamWFromScratch` (the class of section 4.3 with `decoupled=True`) is compared with `torch.optim.AdamW` at the
# defaults and at $\lambda = 0.1$. Then, on the same model: with the same $\lambda$, `Adam(weight_decay=λ)` and
# `AdamW(weight_decay=λ)` give **different** parameters after 100 steps, while PyTorch's
# `Adam(decoupled_weight_decay=True)` is `AdamW` (that argument exists since PyTorch 2.7, which is why the course needs
# torch 2.7 or newer). The last wrong version takes the Adam step first and decays after
# (the wrong order).

# %% tags=["grading-skip"]
ADAMW = {"default": {}, "weight_decay=0.1": {"weight_decay": 0.1}}
ref_adamw = compare("AdamW", AdamWFromScratch, torch.optim.AdamW, ADAMW)

adam_l2 = train_steps(lambda ps: torch.optim.Adam(ps, weight_decay=0.1))
assert_differs(adam_l2, ref_adamw["weight_decay=0.1"])
print("Adam(weight_decay=0.1) ≠ AdamW(weight_decay=0.1)：L2 与解耦衰减不同 / L2 and decoupled decay differ")

adam_decoupled = train_steps(
    lambda ps: torch.optim.Adam(ps, weight_decay=0.1, decoupled_weight_decay=True))  # PyTorch ≥ 2.7
torch.testing.assert_close(adam_decoupled, ref_adamw["weight_decay=0.1"])
print("Adam(decoupled_weight_decay=True) ✓ = AdamW")


class AdamWDecayAfter(AdamWFromScratch):
    @torch.no_grad()
    def step(self):
        lam, self.weight_decay = self.weight_decay, 0.0
        super().step()                                  # 先走 Adam 的一步 / the Adam step first
        self.weight_decay = lam
        for p in self.params:
            p *= 1 - self.lr * lam                      # 错：之后才衰减 / wrong: decay afterwards


assert_differs(train_steps(lambda ps: AdamWDecayAfter(ps, weight_decay=0.1)),
               ref_adamw["weight_decay=0.1"])
print("✗ AdamWDecayAfter 与 torch.optim.AdamW 不一致（应当如此）/ differs, as it should")

# %% [markdown] tags=["zh"]
# ## 6. 关于 `amsgrad`（选读）
#
# Reddi 等人（2018）构造了一个 Adam 不收敛的例子：$\hat{v}_t$ 可能变小，让有效学习率 $\eta / \sqrt{\hat{v}_t}$ 突然变大。`amsgrad=True` 记住 $v_t$ 的历史最大值，分母只增不减。PyTorch 取的是**未修正**的 $v_t$ 的最大值，再做偏差修正：
#
# $$v^{\max}_t = \max(v^{\max}_{t-1}, v_t), \qquad \theta_{t+1} = \theta_t - \eta \frac{\hat{m}_t}{\sqrt{v^{\max}_t / (1 - \beta_2^t)} + \epsilon}$$
#
# 实践中它很少带来明显的好处，默认关闭；Adam 和 AdamW 都支持。下面检查两者打开 `amsgrad` 时的 100 步。

# %% [markdown] tags=["en"]
# ## 6. A note on `amsgrad` (optional)
#
# Reddi et al. (2018) built an example where Adam does not converge: $\hat{v}_t$ can shrink and make the effective step
# $\eta / \sqrt{\hat{v}_t}$ suddenly large. `amsgrad=True` remembers the largest $v_t$ so far, so the denominator never
# shrinks. PyTorch takes the maximum of the **uncorrected** $v_t$, then applies the bias correction:
#
# $$v^{\max}_t = \max(v^{\max}_{t-1}, v_t), \qquad \theta_{t+1} = \theta_t - \eta \frac{\hat{m}_t}{\sqrt{v^{\max}_t / (1 - \beta_2^t)} + \epsilon}$$
#
# In practice it seldom helps much and is off by default; both Adam and AdamW accept it. Below we check 100 steps of
# each with `amsgrad` on.

# %% tags=["grading-skip"]
ref_ams = compare("Adam amsgrad", AdamFromScratch, torch.optim.Adam, {"amsgrad": {"amsgrad": True}})
_ = compare("AdamW amsgrad", AdamWFromScratch, torch.optim.AdamW,
            {"amsgrad": {"amsgrad": True, "weight_decay": 0.1}})
# amsgrad 确实改变了结果 / amsgrad does change the result
assert_differs(ref_ams["amsgrad"], ref_adam["default"])
print("amsgrad ≠ Adam 默认 / Adam default: 100 步内 max 确实起了作用 / the max did act within 100 steps")

# %% [markdown] tags=["zh"]
# ## 7. 直觉：二维曲面上的路径（选读）
#
# 同上一课的两个曲面、同样的起点和步数。每个优化器在两个曲面上用同一个学习率；虚线是上一课的 SGD + 动量（$\mu = 0.9$）作为参照。然后用我们的从零实现重走每条路径，与 `torch.optim` 逐点对照。

# %% [markdown] tags=["en"]
# ## 7. Intuition: paths on two-dimensional surfaces (optional)
#
# The two surfaces of the previous lesson, with the same starting points and numbers of steps. Each optimizer uses one
# learning rate on both surfaces; the dashed line is last lesson's SGD + momentum ($\mu = 0.9$) for reference. Then our
# from-scratch versions retrace every path and are compared with `torch.optim` point by point.

# %%
# 曲面、起点、步数、SGD 的学习率、画图范围 / surface, start, steps, SGD's learning rate, plot range
SURFACES = {
    "quadratic": (quadratic, [-4.0, 1.0], 60, 0.02, (-4.5, 1.5), (-1.5, 1.5)),
    "rosenbrock": (rosenbrock, [-1.5, 2.0], 400, 1e-3, (-2.0, 2.0), (-1.0, 3.0)),
}
# 名字：(torch 类, 从零实现的类, 选项) / name: (torch class, from-scratch class, options)
ADAPTIVE = {
    "Adagrad η=0.5": (torch.optim.Adagrad, AdagradFromScratch, {"lr": 0.5}),
    "RMSprop η=0.05": (torch.optim.RMSprop, RMSpropFromScratch, {"lr": 0.05}),
    "Adam η=0.1": (torch.optim.Adam, AdamFromScratch, {"lr": 0.1}),
    "AdamW η=0.1 λ=0.1": (torch.optim.AdamW, AdamWFromScratch, {"lr": 0.1, "weight_decay": 0.1}),
}


paths = {}
for name, (f, start, steps, sgd_lr, *_) in SURFACES.items():
    paths[name] = {"SGD + momentum": path(f, start, steps,
                                          lambda ps: torch.optim.SGD(ps, lr=sgd_lr, momentum=0.9))}
    for label_, (torch_class, ours_class, kw) in ADAPTIVE.items():
        paths[name][label_] = path(f, start, steps, lambda ps: torch_class(ps, **kw))
        ours = path(f, start, steps, lambda ps: ours_class(ps, **kw))
        torch.testing.assert_close(ours, paths[name][label_])
print("路径 ✓ 四个从零实现在两个曲面上与 torch.optim 每一步都相同")
print("paths ✓ the four from-scratch optimizers equal torch.optim at every step on both surfaces")

fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
for ax, (name, (f, start, steps, sgd_lr, xr, yr)) in zip(axes, SURFACES.items()):
    xs = torch.linspace(*xr, 200, dtype=torch.float64)
    ys = torch.linspace(*yr, 200, dtype=torch.float64)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    ax.contour(gx, gy, f(torch.stack([gx, gy])).log1p(), levels=25, cmap="Greys", linewidths=0.6)
    # 短的路径画在上层，终点画成圆点 / shorter paths on top, the end of each as a dot
    lengths = {k: (pts[1:] - pts[:-1]).norm(dim=1).sum().item() for k, pts in paths[name].items()}
    on_top = sorted(lengths, key=lengths.get, reverse=True)
    for label_, pts in paths[name].items():
        dashed = label_ == "SGD + momentum"
        style = {"ls": "--", "color": "gray", "lw": 1} if dashed else {"ls": "-", "lw": 1}
        z = 2 + on_top.index(label_)
        (line,) = ax.plot(pts[:, 0], pts[:, 1], marker=".", ms=2, label=label_, zorder=z, **style)
        ax.plot(*pts[-1].tolist(), "o", ms=6, color=line.get_color(), zorder=z + 0.5)
    ax.plot(*([0.0, 0.0] if name == "quadratic" else [1.0, 1.0]), "k*", ms=10, zorder=20)
    ax.set_xlim(*xr)
    ax.set_ylim(*yr)
    title = {"quadratic": ("病态二次函数", "ill-conditioned quadratic"),
             "rosenbrock": ("Rosenbrock 函数", "Rosenbrock function")}[name]
    ax.set_title(fc.label(*title) + f"  ({steps} " + fc.label("步", "steps") + ")")
    ax.legend(fontsize=7)
fig.suptitle(fc.label("自适应优化器的路径", "paths of the adaptive optimizers"))
fig.tight_layout()
plt.show()

# %% tags=["nbval-ignore-output"]
# 终点的函数值（不同的 CPU 可能在最后几位上不同）
# the function value at the end (may differ in the last digits across CPUs)
final_f = {name: {k.split(" η")[0]: f(pts[-1]).item() for k, pts in paths[name].items()}
           for name, (f, *_) in SURFACES.items()}
for name, values in final_f.items():
    print(f"{name:<11}", "  ".join(f"{k} {v:.4f}" for k, v in values.items()))

# %%
assert all(v < 0.1 for v in final_f["quadratic"].values()), final_f
rosen = final_f["rosenbrock"]
others = min(rosen["AdamW"], rosen["RMSprop"], rosen["Adagrad"])
assert rosen["SGD + momentum"] < rosen["Adam"] < others, rosen
print("路径 ✓ 二次函数上都接近最低点 / paths ✓ all near the minimum of the quadratic")
print("路径 ✓ Rosenbrock：SGD + 动量最低，自适应方法中 Adam 最低 / "
      "Rosenbrock: SGD + momentum lowest, then Adam")

# %% [markdown] tags=["zh"]
# 左图：在二次函数上，四个自适应优化器的第一步都沿着 $45°$ 的对角线走：每个坐标都除以了自己梯度的大小，所以每个坐标走的距离相同，与曲率无关（Adagrad 和 Adam 为 $\eta$，AdamW 再加上一点衰减；RMSprop 没有偏差修正，为 $10\eta$）。它们没有 SGD + 动量那样剧烈的振荡。但要注意，这个二次函数的陡、缓方向正好是坐标轴，最有利于逐元素缩放；把曲面旋转 $45°$，这个优势就会大打折扣。原因是：逐元素除以 $\sqrt{v}$ 等于给梯度乘上一个对角矩阵（对角预条件，diagonal preconditioning）。牛顿法（Newton's method）乘的是海森矩阵（第 07 课）的逆 $H^{-1}$；对角矩阵只有在海森矩阵本身接近对角、也就是陡缓方向与坐标轴对齐时，才近似它的作用。
#
# 右图：在 Rosenbrock 的弯曲峡谷里，用这些学习率，四个自适应方法里 Adam 走得最远（终点的函数值最低）；RMSprop 的步子约为 $\eta$，在峡谷两壁间来回；Adagrad 的步长衰减得太快，400 步只沿峡谷往下走了一小段（图中每条路径的终点画成圆点，短的路径画在上层）。而所有方法里终点最低的是 SGD + 动量：自适应并不在所有曲面上都更好，结果也强烈依赖学习率的选择。

# %% [markdown] tags=["en"]
# Left: on the quadratic, the first step of all four adaptive optimizers goes along the $45°$ diagonal: each
# coordinate is divided by the size of its own gradient, so every coordinate moves the same distance whatever the
# curvature ($\eta$ for Adagrad and Adam, plus a little decay for AdamW; $10\eta$ for RMSprop, which has no bias
# correction). None of them oscillates as wildly as SGD + momentum. Mind that the steep and flat directions of this
# quadratic are exactly the coordinate axes, the most favourable case for element-wise scaling; rotate the surface by
# $45°$ and much of the advantage is gone. The reason: dividing element-wise by $\sqrt{v}$ multiplies the gradient by
# a diagonal matrix (diagonal preconditioning). Newton's method multiplies it by the inverse of the Hessian (lesson
# 07), $H^{-1}$; a diagonal matrix can stand in for it only when the Hessian itself is nearly diagonal, that is, when
# the steep and flat directions lie along the coordinate axes.
#
# Right: in the curved Rosenbrock valley, with these learning rates, Adam gets furthest of the four adaptive methods
# (the lowest final value); RMSprop's steps are about $\eta$ and it bounces between the valley walls; Adagrad's step
# decays too fast, and in 400 steps it gets only a short way down the valley (a dot marks the end of each path, and
# the shorter paths are drawn on top). Of all the methods, though, SGD + momentum ends lowest: adaptive is not better
# on every surface, and the outcome depends strongly on the learning rates chosen.

# %% [markdown] tags=["zh"]
# ## 8. 何时使用
#
# - **Adam / AdamW** 是大多数任务的默认起点（Transformer、多数 MLP），学习率 $10^{-3}$ 到 $10^{-4}$ 往往开箱即用，对学习率不如 SGD 敏感。
# - 需要权重衰减时用 **AdamW**，而不是 `Adam(weight_decay=...)`：后者的衰减强度被自适应缩放打乱（第 5 节）。AdamW 的 `weight_decay` 默认是 0.01，Adam 的默认是 0：从 Adam 换成 AdamW 就会多出衰减。
# - **RMSprop** 常见于强化学习和一些较老的模型；PyTorch 默认 `lr=0.01` 对多数网络偏大，常用 0.001。
# - **Adagrad** 适合稀疏特征（如推荐系统的嵌入）；对长时间训练的深度网络，步长会衰减得太快。
# - 图像分类上，调好的 SGD + 动量 + 学习率调度常常有更好的最终测试准确率；自适应方法收敛快、省调参时间。
# - **其他自适应方法**：`torch.optim` 里还有 Adadelta（RMSprop 的变体，分子用过去参数更新量的均方根，让步长的单位与参数一致）、Adamax（Adam 的变体，用梯度绝对值的指数加权最大值代替 $\sqrt{v}$）、NAdam（Adam 加 Nesterov 动量）和 RAdam（在前几步 $v$ 的估计还不可靠时修正自适应步长，效果类似自动的预热）。它们的更新规则都写在 PyTorch 文档的伪代码里，可以用本课的办法（从零实现，100 步对照）自己检查。
#
# 常见错误：
#
# - 把 SGD 的学习率（0.1）用在 Adam 上：自适应方法每步大约走 $\eta$，0.1 几乎一定太大（第 9 节用更新量与参数之比把它看出来）；
# - 从 Adam 换成 AdamW 却忘了 AdamW 默认 `weight_decay=0.01`；
# - 以为 AdamW 的衰减与学习率无关：PyTorch 每步缩小 $\eta\lambda$，换学习率或加学习率调度，衰减的强度也跟着变（第 5.1 节）；
# - 以为 RMSprop 像 Adam 一样有偏差修正：它的第一步是 $10\eta$（$\alpha = 0.99$ 时）；
# - 在 Adam 的 $\epsilon$ 上犯错：PyTorch 把它加在 $\sqrt{\hat{v}}$ 外面；其他库（如 TensorFlow 的一些版本）写法不同，复现时要核对。

# %% [markdown] tags=["en"]
# ## 8. When to use
#
# - **Adam / AdamW** is the default starting point for most tasks (Transformers, most MLPs); a learning rate of
#   $10^{-3}$ to $10^{-4}$ often works out of the box, and it is less sensitive to the learning rate than SGD.
# - When you want weight decay, use **AdamW**, not `Adam(weight_decay=...)`: the adaptive scaling distorts the latter's
#   decay (section 5). AdamW's `weight_decay` defaults to 0.01, Adam's to 0: switching from Adam to AdamW adds decay.
# - **RMSprop** is common in reinforcement learning and some older models; PyTorch's default `lr=0.01` is too large for
#   most networks, 0.001 is usual.
# - **Adagrad** suits sparse features (embeddings in recommender systems); for deep networks trained long its step
#   decays too fast.
# - In image classification, a well-tuned SGD + momentum + learning-rate schedule often reaches a better final test
#   accuracy; adaptive methods converge fast and save tuning time.
# - **Other adaptive methods**: `torch.optim` also has Adadelta (a variant of RMSprop whose numerator is the root mean
#   square of past parameter updates, so the step has the units of the parameter), Adamax (a variant of Adam with an
#   exponentially weighted maximum of the absolute gradient in place of $\sqrt{v}$), NAdam (Adam with Nesterov
#   momentum) and RAdam (which corrects the adaptive step while the estimate of $v$ is still unreliable, much like an
#   automatic warm-up). Their update rules are in the pseudo-code of the PyTorch docs; you can check them the way this
#   lesson does (from scratch, 100 steps against `torch.optim`).
#
# Common mistakes:
#
# - using SGD's learning rate (0.1) with Adam: an adaptive method moves about $\eta$ per step, and 0.1 is almost always
#   too large (section 9 shows how the update/weight ratio reveals it);
# - switching from Adam to AdamW and forgetting that AdamW has `weight_decay=0.01` by default;
# - taking AdamW's decay to be independent of the learning rate: PyTorch shrinks by $\eta\lambda$ per step, so another
#   learning rate or a learning-rate schedule changes the strength of the decay too (section 5.1);
# - assuming RMSprop has bias correction like Adam: its first step is $10\eta$ (with $\alpha = 0.99$);
# - getting Adam's $\epsilon$ wrong: PyTorch adds it outside $\sqrt{\hat{v}}$; other libraries (some versions of
#   TensorFlow, for one) write it differently, so check when you reproduce a result.

# %% [markdown] tags=["zh"]
# ## 9. 更新量与参数之比：学习率合不合适
#
# ### 9.1 定义
#
# 第 8 节的第一个常见错误，是把 SGD 的学习率 0.1 用在 Adam 上。训练时怎样发现这类错误？最直接的量，是每一步参数相对于它自己变了多少。对每个参数张量 $\theta_l$（每层的权重和偏置分开算），一步的**更新量与参数之比**（update/weight ratio）是
#
# $$r_l = \frac{\lVert \theta_l^{\text{new}} - \theta_l \rVert}{\lVert \theta_l \rVert}$$
#
# 其中 $\lVert \cdot \rVert$ 把张量看成一个长向量，取 2-范数（所有元素的平方和再开方）。常见的经验值（CS231n 课程的笔记）是 $r_l$ 在 $10^{-3}$ 左右：远小于它，这一层几乎没在学；接近 1，一步就把这一层改得面目全非。这只是经验，不是定律：第 9.3 节里课程模型的两次正常训练，每一步、每个张量的 $r_l$ 都在 $10^{-3}$ 到 $0.3$ 之间。
#
# ### 9.2 直觉：Adam 的第一步
#
# SGD 的一步是 $\eta g$，所以 $r_l = \eta \lVert g_l \rVert / \lVert \theta_l \rVert$ 跟着梯度的大小走。Adam 不同：按第 4.1 节的公式，第一步 $\hat{m}_1 = g_1$、$\hat{v}_1 = g_1^2$，每个坐标移动 $\eta |g| / (|g| + \epsilon)$，只要 $|g| \gg \epsilon$ 就约等于 $\eta$，与梯度的大小无关。一个有 $n_l$ 个数的张量于是移动 $\lVert \Delta\theta_l \rVert \approx \eta \sqrt{n_l}$：
#
# $$r_l \approx \frac{\eta \sqrt{n_l}}{\lVert \theta_l \rVert} \approx \eta \sqrt{3\,\text{in}}$$
#
# 第二个约等号用的是第 01 课的默认初始化：权重和偏置都从 $U(-a, a)$ 里抽取，$a = 1/\sqrt{\text{in}}$，均方为 $a^2/3$，所以 $\lVert \theta_l \rVert \approx \sqrt{n_l / (3\,\text{in})}$。课程模型第一层 $\text{in} = 784$，$r \approx 48.5\,\eta$：$\eta = 10^{-3}$ 时约 0.05；换成 SGD 的 $\eta = 0.1$，第一步 $r \approx 4.9$：一步之内，每个权重移动的距离是它通常大小的好几倍。
#
# 下面在一个默认初始化的 `nn.Linear(784, 512)` 上核对：梯度是标准正态随机数乘以 $10^{-3}$ 或 $0.1$，各走一步，看权重的 $r$。

# %% [markdown] tags=["en"]
# ## 9. The update/weight ratio: is the learning rate right?
#
# ### 9.1 Definition
#
# The first common mistake of section 8 is to give Adam SGD's learning rate of 0.1. How do you notice such a mistake
# during training? The most direct quantity is how much each step changes the parameters relative to themselves. For
# each parameter tensor $\theta_l$ (the weight and the bias of each layer counted separately), the **update/weight
# ratio** of a step is
#
# $$r_l = \frac{\lVert \theta_l^{\text{new}} - \theta_l \rVert}{\lVert \theta_l \rVert}$$
#
# where $\lVert \cdot \rVert$ takes the tensor as one long vector and its 2-norm (the root of the sum of the squares of
# all elements). A common rule of thumb (the CS231n course notes) puts $r_l$ around $10^{-3}$: far below, the layer
# hardly learns; close to 1, one step rewrites the layer beyond recognition. It is a rule of thumb, not a law: in the
# two sound runs of the course model in section 9.3, every tensor's $r_l$ stays between $10^{-3}$ and $0.3$ at every
# step.
#
# ### 9.2 Intuition: Adam's first step
#
# SGD's step is $\eta g$, so $r_l = \eta \lVert g_l \rVert / \lVert \theta_l \rVert$ follows the size of the gradient.
# Adam is different: by the formulas of section 4.1 its first step has $\hat{m}_1 = g_1$ and $\hat{v}_1 = g_1^2$, so
# each coordinate moves by $\eta |g| / (|g| + \epsilon)$, which is about $\eta$ as long as $|g| \gg \epsilon$, whatever
# the size of the gradient. A tensor of $n_l$ numbers therefore moves by
# $\lVert \Delta\theta_l \rVert \approx \eta \sqrt{n_l}$:
#
# $$r_l \approx \frac{\eta \sqrt{n_l}}{\lVert \theta_l \rVert} \approx \eta \sqrt{3\,\text{in}}$$
#
# The second $\approx$ uses lesson 01's default initialization: weights and biases are drawn from $U(-a, a)$ with
# $a = 1/\sqrt{\text{in}}$, whose mean square is $a^2/3$, so $\lVert \theta_l \rVert \approx \sqrt{n_l / (3\,\text{in})}$.
# The course model's first layer has $\text{in} = 784$, so $r \approx 48.5\,\eta$: about 0.05 at $\eta = 10^{-3}$; with
# SGD's $\eta = 0.1$ instead, the first step has $r \approx 4.9$: in one step each weight moves several times its
# typical size.
#
# Below, a check on a default-initialized `nn.Linear(784, 512)`: the gradient is standard normal noise times $10^{-3}$
# or $0.1$; one step each, and the weight's $r$.

# %%
torch.manual_seed(0)
layer = nn.Linear(784, 512).double()  # 默认初始化 / the default initialization
W = layer.weight.detach()
z = torch.randn_like(W)


def first_step_ratio(optimizer_class, lr, grad):
    """一步之后权重的 ‖Δθ‖/‖θ‖ / the weight's ‖Δθ‖/‖θ‖ after one step."""
    p = W.clone().requires_grad_(True)
    p.grad = grad.clone()
    optimizer_class([p], lr=lr).step()
    return ((p.detach() - W).norm() / W.norm()).item()


FIRST_STEP = {"Adam η=0.001": (torch.optim.Adam, 1e-3), "Adam η=0.1": (torch.optim.Adam, 0.1),
              "SGD η=0.1": (torch.optim.SGD, 0.1)}
scales = (1e-3, 0.1)
r = {(name, s): first_step_ratio(cls, lr, s * z) for name, (cls, lr) in FIRST_STEP.items()
     for s in scales}
print(fc.pad("第 1 步的 r / r at step 1", 26) + "".join(f"{name:>16}" for name in FIRST_STEP))
for s in scales:
    values = "".join(f"{r[name, s]:>16.4g}" for name in FIRST_STEP)
    print(fc.pad(f"梯度 / gradient ~ {s}", 26) + values)

n, fan_in = W.numel(), layer.in_features
for name, (_, lr) in list(FIRST_STEP.items())[:2]:
    formula, estimate = lr * n ** 0.5 / W.norm().item(), lr * (3 * fan_in) ** 0.5
    assert all(abs(r[name, s] - formula) < 1e-3 * formula for s in scales)  # 与梯度大小无关
    assert abs(formula - estimate) < 0.02 * estimate                       # 默认初始化的估算
assert abs(r["SGD η=0.1", 0.1] - 100 * r["SGD η=0.1", 1e-3]) < 1e-9       # SGD：正比于梯度
print("比值 ✓ Adam 第一步的 r = η√n/‖θ‖，与梯度大小无关，约为 η√(3·784) = 48.5η；SGD 的 r 正比于梯度")
print("ratio ✓ Adam's step-1 r = η√n/‖θ‖, whatever the gradient's size, about η√(3·784) = 48.5η;")
print("        SGD's r is proportional to the gradient")

# %% [markdown] tags=["zh"]
# ### 9.3 在课程模型上：把 SGD 的学习率给了 Adam
#
# 用第 1.3 节那 100 个真实批次中的前 30 个，训练三个新的 `float64` 课程模型，各 30 步：SGD $\eta = 0.1$（第 07 课常用的学习率）、Adam $\eta = 10^{-3}$，以及 Adam $\eta = 0.1$（把 SGD 的学习率原样搬过来）。每一步记下每个参数张量的 $r_l$ 和这一批的损失，最后看每个张量的范数变成了原来的多少倍。训练出来的数字在不同的机器上可能略有不同，所以这个单元格不比较输出；下一个单元格用带余量的比较检查结论。

# %% [markdown] tags=["en"]
# ### 9.3 On the course model: Adam given SGD's learning rate
#
# With the first 30 of section 1.3's 100 real batches, three fresh `float64` course models train for 30 steps each:
# SGD with $\eta = 0.1$ (lesson 07's usual learning rate), Adam with $\eta = 10^{-3}$, and Adam with $\eta = 0.1$
# (SGD's learning rate carried over as it is). At every step we record each parameter tensor's $r_l$ and the batch's
# loss, and at the end how many times its initial norm each tensor has. Trained numbers may differ slightly from
# machine to machine, so this cell's output is not compared; the next cell checks the conclusions as comparisons with
# a margin.

# %% tags=["nbval-ignore-output", "grading-skip"]
def ratio_trace(make_optimizer, steps=30):
    """每一步每个参数张量的 r、每一步的损失、最后的 ‖θ‖ 除以最初的 ‖θ‖ / r of every parameter
    tensor at every step, the loss of every step, and each tensor's final ‖θ‖ over its first."""
    fc.set_seed(0)
    model = fc.NeuralNetwork().double().to(device)
    optimizer = make_optimizer(model.parameters())
    first = [p.detach().norm().item() for p in model.parameters()]
    ratios, losses = [], []
    for t in range(steps):
        Xb, yb = X_steps[t * batch:(t + 1) * batch], y_steps[t * batch:(t + 1) * batch]
        loss = loss_fn(model(Xb), yb)
        loss.backward()
        before = [p.detach().clone() for p in model.parameters()]
        optimizer.step()
        optimizer.zero_grad()
        ratios.append([((p.detach() - b).norm() / b.norm()).item()
                       for p, b in zip(model.parameters(), before)])
        losses.append(loss.item())
    growth = [p.detach().norm().item() / f for p, f in zip(model.parameters(), first)]
    return torch.tensor(ratios, dtype=torch.float64), losses, growth


RATIO_RUNS = {
    "SGD η=0.1": lambda ps: torch.optim.SGD(ps, lr=0.1),
    "Adam η=0.001": lambda ps: torch.optim.Adam(ps, lr=1e-3),
    "Adam η=0.1": lambda ps: torch.optim.Adam(ps, lr=0.1),
}
traces = {name: ratio_trace(make) for name, make in RATIO_RUNS.items()}

# W1、b1：第一层的权重和偏置，以此类推 / W1, b1: the first layer's weight and bias, and so on
print(" " * 41 + "".join(f"{k:>9}" for k in ("W1", "b1", "W2", "b2", "W3", "b3")))
for name, (ratios, losses, growth) in traces.items():
    rows = (("第 1 步的 r / r at step 1", ratios[0]), ("第 30 步的 r / r at step 30", ratios[-1]),
            ("‖θ‖ 变成了几倍 / ‖θ‖ times", growth))
    for i, (what, values) in enumerate(rows):
        row = "".join(f"{v:>9.3g}" for v in values)
        print(f"{name if i == 0 else '':<13}{fc.pad(what, 28)}{row}")
print()
print(fc.pad("损失 / loss", 13) + fc.pad("前 5 步最大 / max of steps 1-5", 32, ">")
      + fc.pad("后 10 步平均 / mean of the last 10", 36, ">"))
for name, (ratios, losses, growth) in traces.items():
    print(f"{name:<13}{max(losses[:5]):>32.3g}{sum(losses[-10:]) / 10:>36.3g}")

# %% tags=["grading-skip"]
(sgd_r, sgd_loss, _), (adam_r, adam_loss, adam_growth), (big_r, big_loss, big_growth) = (
    traces[name] for name in RATIO_RUNS)
torch.testing.assert_close(big_r[0], 100 * adam_r[0])  # 第一步的 r 正比于 η / step 1: r ∝ η
assert ((2 < big_r[0]) & (big_r[0] < 6)).all() and ((0.02 < adam_r[0]) & (adam_r[0] < 0.06)).all()
assert all(((1e-3 < r) & (r < 0.5)).all() for r in (sgd_r, adam_r))  # 两次正常的训练 / sound runs
assert min(big_growth) > 5 and max(adam_growth) < 1.5
assert max(big_loss[:5]) > 100 and sum(big_loss[-10:]) > 1.5 * sum(adam_loss[-10:])
assert (big_r[-1] < 0.2).all()  # 参数大了许多倍以后，比值看起来又正常了 / looks normal again later
print("比值 ✓ Adam η=0.1：第一步 r 在 2 到 6 之间（η=0.001 的 100 倍），‖θ‖ 涨到 5 倍以上，")
print("       损失冲过 100，后 10 步的损失仍是 η=0.001 的 1.5 倍以上；第 30 步的 r 却已小于 0.2")
print("ratio ✓ Adam η=0.1: step-1 r between 2 and 6 (100 times η=0.001's), ‖θ‖ grows over 5 times,")
print("        the loss passes 100 and its last 10 steps stay over 1.5 times η=0.001's;")
print("        yet at step 30 r < 0.2")
print("比值 ✓ SGD η=0.1 和 Adam η=0.001：每一步每个张量 10⁻³ < r < 0.5")
print("ratio ✓ SGD η=0.1 and Adam η=0.001: 10⁻³ < r < 0.5 for every tensor at every step")

# %% [markdown] tags=["zh"]
# Adam $\eta = 0.1$ 第一步的比值在 2.9 到 4.7 之间，正好是 $\eta = 10^{-3}$ 时的 100 倍，与第 9.2 节的估算 $\eta\sqrt{3\,\text{in}}$（3.9 到 4.9）相近；略小一些，是因为有的坐标梯度恰好为 0（几乎总是 0 的边缘像素、没有激活的 ReLU 单元），这些坐标不动。接下来前几批的损失冲过 100，30 步里每个张量的范数都涨到 5 倍以上，最后 10 步的损失仍远高于 $\eta = 10^{-3}$。再看第 30 步的比值：它已经回到了“正常”的范围，因为参数已经大了许多倍，同样约为 $\eta$ 的步子相对就小了。所以这个比值要在**最初几步**看，或者同时看 $\lVert \theta \rVert$ 怎样变。另外，SGD 的比值在各个张量之间相差很大，因为它跟着每个张量自己的梯度走；Adam 的比值各层相近，因为每个坐标都走约 $\eta$。
#
# 实际训练中，可以每隔几百步记一次每层的 $r_l$（一步之前 `clone` 一份参数，一步之后与它比较），和损失曲线一起看。

# %% [markdown] tags=["en"]
# Adam at $\eta = 0.1$ starts with ratios between 2.9 and 4.7, exactly 100 times those at $\eta = 10^{-3}$, and close
# to section 9.2's estimate $\eta\sqrt{3\,\text{in}}$ (3.9 to 4.9); a little lower, because some coordinates have a
# gradient of exactly 0 (border pixels that are nearly always 0, ReLU units that did not fire), and those do not move.
# Then the loss of the first batches passes 100, every tensor's norm grows more than 5 times in 30 steps, and the loss
# of the last 10 steps stays far above that of $\eta = 10^{-3}$. Now look at the ratios at step 30: they are back in
# the "normal" range, because the parameters have grown many times, so steps of about $\eta$ are small relative to
# them. So read this ratio in the **first few steps**, or watch how $\lVert \theta \rVert$ changes as well. Note also
# that SGD's ratios differ widely between tensors, because SGD follows each tensor's own gradient, while Adam's are
# similar across layers, because every coordinate moves by about $\eta$.
#
# In a real training run, record each layer's $r_l$ every few hundred steps (`clone` the parameters before a step and
# compare after it) and read it next to the loss curve.

# %% [markdown] tags=["zh"]
# ## 10. 在 Fashion-MNIST 上（选读）
#
# 第 07 课和本课的全部七个优化器，在同样的预算下比较：课程模型、交叉熵、批次大小 64、3 轮、同一个种子。每个优化器用一个常见的学习率（SGD 0.1；带动量的 0.01；Adagrad 0.01；RMSprop、Adam、AdamW 0.001），没有为这个实验专门调过。
#
# 和第 07 课一样，比较和挑选都在验证集上做：固定留出的 10,000 张训练图片（`val_size=10_000`），模型只在其余 50,000 张上训练。测试集只在最后对挑中的那一个优化器看一次，这样它的测试准确率才没有被挑选过程“用过”。训练的输出和耗时因机器而异，所以这个单元格不比较输出；下一个单元格用带余量的比较检查结论。

# %% [markdown] tags=["en"]
# ## 10. On Fashion-MNIST (optional)
#
# All seven optimizers of lesson 07 and of this lesson, with the same budget: the course model, cross-entropy, batches
# of 64, 3 epochs, the same seed. Each optimizer uses a common learning rate (SGD 0.1; with momentum 0.01; Adagrad
# 0.01; RMSprop, Adam and AdamW 0.001), not tuned for this experiment.
#
# As in lesson 07, we compare and choose on the validation set: 10,000 training images held out, always the same ones
# (`val_size=10_000`), with the models trained on the other 50,000. The test set is looked at once, at the end, for
# the chosen optimizer only, so that its test accuracy has not been used up by the choice. The training output and the
# timings vary from machine to machine, so this cell's output is not compared; the next cell checks the conclusions as
# comparisons with a margin.

# %% tags=["nbval-ignore-output", "grading-skip"]
epochs = 3
RUNS = {
    "SGD": lambda ps: torch.optim.SGD(ps, lr=0.1),
    "SGD momentum": lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9),
    "SGD Nesterov": lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9, nesterov=True),
    "Adagrad": lambda ps: torch.optim.Adagrad(ps, lr=0.01),
    "RMSprop": lambda ps: torch.optim.RMSprop(ps, lr=1e-3),
    "Adam": lambda ps: torch.optim.Adam(ps, lr=1e-3),
    "AdamW": lambda ps: torch.optim.AdamW(ps, lr=1e-3, weight_decay=1e-2),
}
histories, models = {}, {}
for name, make_optimizer in RUNS.items():
    fc.set_seed(0)
    models[name] = fc.NeuralNetwork().to(device)
    train_loader, val_loader, test_loader = fc.get_tensor_loaders(
        64, device, generator=torch.Generator().manual_seed(0), val_size=10_000)
    histories[name] = fc.fit(models[name], train_loader, val_loader, loss_fn,
                             make_optimizer(models[name].parameters()), epochs,
                             eval_name="val", progress=False, verbose=False)

fig = fc.plot_histories(histories, title=fc.label("七个优化器，3 轮", "seven optimizers, 3 epochs"),
                        size=(11, 4))
for ax in fig.axes:  # SGD 家族画虚线；AdamW 用空心方块，免得被 Adam 盖住 / dashed SGD family; hollow AdamW
    for line in ax.get_lines():
        if line.get_label().startswith("SGD"):
            line.set_linestyle("--")
        elif line.get_label() == "AdamW":
            line.set(marker="s", markerfacecolor="none", markersize=8, linestyle=":")
fig.axes[-1].legend(fontsize=8)
plt.show()

print(f"{'':<20}{fc.pad('训练损失 / train loss', 32, '>')}")
print(f"{fc.pad('优化器 / optimizer', 20)}{fc.pad('第 1 轮 / ep 1', 16, '>')}"
      f"{fc.pad('第 3 轮 / ep 3', 16, '>')}{fc.pad('验证准确率 / val acc', 22, '>')}"
      f"{fc.pad('用时 / time (s)', 17, '>')}")
for name, h in sorted(histories.items(), key=lambda kv: -kv[1][-1]["val_acc"]):
    print(f"{name:<20}{h[0]['train_loss']:>16.3f}{h[-1]['train_loss']:>16.3f}"
          f"{100 * h[-1]['val_acc']:>21.2f}%{sum(e['seconds'] for e in h):>17.1f}")

# %% tags=["grading-skip"]
val_acc = {name: h[-1]["val_acc"] for name, h in histories.items()}
loss_1 = {name: h[0]["train_loss"] for name, h in histories.items()}
loss_3 = {name: h[-1]["train_loss"] for name, h in histories.items()}
adaptive = ("Adagrad", "RMSprop", "Adam", "AdamW")
sgd_family = ("SGD", "SGD momentum", "SGD Nesterov")


def gap(loss):
    """SGD 家族最低的训练损失减去自适应方法最高的 / the SGD family's lowest minus the adaptive highest."""
    return min(loss[n] for n in sgd_family) - max(loss[n] for n in adaptive)


assert all(h[-1]["train_loss"] < h[0]["train_loss"] for h in histories.values())
others = [acc for name, acc in val_acc.items() if name != "SGD"]  # 除普通 SGD 外 / all but plain SGD
assert max(others) - min(others) < 0.035, val_acc
assert max(val_acc.values()) - min(val_acc.values()) < 0.08, val_acc
assert gap(loss_1) > 0.08 and 0.02 < gap(loss_3) < gap(loss_1) - 0.05, (loss_1, loss_3)
print("验证集 ✓ 七个优化器都在学习；3 轮后除普通 SGD 外的六个相差不到 3.5 个百分点，七个不到 8 个")
print("val ✓ all seven learn; after 3 epochs the six other than plain SGD lie within 3.5 points,")
print("    all seven within 8")
print("训练损失 ✓ 自适应方法更低：第 1 轮低 0.08 以上，第 3 轮差距缩小，但仍低 0.02 以上")
print("train loss ✓ adaptive lower: by > 0.08 after epoch 1, by a smaller > 0.02 after epoch 3")

# %% [markdown] tags=["zh"]
# 在验证集上挑出最好的优化器，只对它在测试集上评估一次。七个结果相差不大，挑中的是哪一个可能随机器和种子变化，所以这个单元格也不比较输出。

# %% [markdown] tags=["en"]
# Choose the best optimizer on the validation set and evaluate it, and only it, once on the test set. The seven
# results are close, and which one wins may change with the machine and the seed, so this cell's output is not compared
# either.

# %% tags=["nbval-ignore-output", "grading-skip"]
chosen = max(val_acc, key=val_acc.get)
# 测试集只看这一次 / the one look at the test set
test_loss, test_acc = fc.evaluate(models[chosen], test_loader, loss_fn)
test_se = (test_acc * (1 - test_acc) / 10_000) ** 0.5  # 10,000 张测试图片的标准误差 / standard error
print(f"在验证集上挑中 / chosen on the validation set: {chosen}")
print(f"验证准确率 / val acc {100 * val_acc[chosen]:.2f}%   "
      f"测试准确率 / test acc {100 * test_acc:.2f}% ± {100 * test_se:.2f}")

# %% [markdown] tags=["zh"]
# 在这个预算下，七个优化器 3 轮后的验证准确率只差几个百分点：课程模型不深，Fashion-MNIST 也不难，常见的学习率都能用。差距有多大要看划分和种子：`benchmarks/claims_spread.py` 在 3 种验证集划分 × 3 个种子上跑了这一节，9 次里有 7 次最高和最低相差 1.9 到 2.2 个百分点；另外 2 次（划分 1 种子 1、划分 2 种子 2）$\eta = 0.1$ 的普通 SGD 落在后面，只有 82.8% 和 80.7%（第 07 课的表里也是这两次），七个相差 4.6 和 7.2 个百分点，除它之外的六个仍只差 3.0 和 2.9 个百分点。所以检查要求除普通 SGD 外的六个相差不到 3.5 个百分点，七个相差不到 8 个百分点。自适应方法第 1 轮后的训练损失明显更低；3 轮后差距缩小了，但自适应方法的训练损失仍然更低（检查要求低 0.02 以上）。排名取决于学习率、种子和验证集的划分，换一组学习率或多跑几轮，顺序就可能改变；挑中的优化器只是这一次运行里验证准确率最高的，要下结论，需要对每个优化器分别调学习率、跑多个种子。它的测试准确率只看了一次，连同标准误差一起报告，不用来做检查。耗时：对这么小的模型，在 CPU 上，自适应方法每一步额外的逐元素运算（更新 $m$、$v$，对 67 万个参数开方、相除）占的比例并不小，所以它们每轮可能明显比普通 SGD 慢，表里的时间说明了你这台机器上的情况；在 GPU 上或对更大的模型，这部分开销的比例会小得多。

# %% [markdown] tags=["en"]
# With this budget and this split of the validation set, the validation accuracies of the seven optimizers after 3
# epochs differ by only a few percentage points: the course model is shallow, Fashion-MNIST is not hard, and the usual
# learning rates all work. How many points depends on the split and the seed: `benchmarks/claims_spread.py` ran this
# section on 3 validation splits × 3 seeds; in 7 of the 9 runs the best and the worst were 1.9 to 2.2 points apart; in
# the other 2 (split 1 seed 1, split 2 seed 2) plain SGD at $\eta = 0.1$ fell behind, to 82.8% and 80.7% (the same two
# runs as in lesson 07's table), which put the seven 4.6 and 7.2 points apart, while the six others stayed within 3.0
# and 2.9 points. So the check asks for the six other than plain SGD within 3.5 points, and all seven within 8. After the first epoch the
# adaptive methods have a clearly lower training loss; after 3 epochs the gap has narrowed, but their training loss is
# still lower (the check asks for more than 0.02). The ranking depends on the learning rates, the seed and the split of
# the validation set; other learning rates or more epochs may change the order. The chosen optimizer is only the one
# with the best validation accuracy in this run; a real conclusion needs a tuned learning rate per optimizer and several
# seeds. Its test accuracy is looked at once and reported with its standard error, not used in a check. Time: for a
# model this small,
# on a CPU, the extra element-wise work of the adaptive methods at each step (updating $m$ and $v$, square roots and
# divisions over 670 thousand parameters) is not a small share, so they can be noticeably slower per epoch than plain
# SGD; the table shows how it is on your machine. On a GPU, or for a larger model, that share is much smaller.

# %% [markdown] tags=["zh"]
# ## 11. 练习
#
# 三道练习各是一种：先预测再运行、找错误、把本课的想法用到新的地方。
#
# ### 练习 1：先预测，再运行（梯度变号时 Adam 的第二步）
#
# 一个参数从 $\theta_0 = 0$ 出发，用 `torch.optim.Adam(lr=0.1)`（其他超参数取默认值）走两步：第一步的梯度是 $+1$，第二步的梯度是 $-1$。对 SGD，这两步正好抵消，参数回到 0。Adam 会停在哪里？
#
# **先别运行下一个单元格。** 用第 4.1 节的公式在纸上算，把你预测的 $\theta_2$（两步之后的参数）写成 `predict_flip` 的返回值，保留 3 到 4 位有效数字就够了。然后运行下一个单元格，对照真实的值，再运行检查。

# %% [markdown] tags=["en"]
# ## 11. Exercises
#
# Three exercises of three kinds: predict then run, find the bugs, and carry the lesson's idea somewhere new.
#
# ### Exercise 1: predict, then run (Adam's second step when the gradient flips sign)
#
# A parameter starts at $\theta_0 = 0$, and `torch.optim.Adam(lr=0.1)` (the other hyperparameters at their defaults)
# takes two steps: the gradient is $+1$ at the first step and $-1$ at the second. For SGD the two steps cancel and the
# parameter is back at 0. Where does Adam stop?
#
# **Do not run the next cell yet.** Work it out on paper with the formulas of section 4.1 and write your prediction of
# $\theta_2$ (the parameter after both steps) as the return value of `predict_flip`; 3 or 4 significant digits are
# enough. Then run the next cell, compare with the real value, and run the check.

# %% nbgrader={"grade": false, "grade_id": "l08_ex1_flip", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-predict"]
def predict_flip():
    """两步之后的 θ₂（梯度 +1，然后 −1；Adam，lr=0.1）/ θ₂ after two steps (gradients +1, −1)"""
    ### BEGIN SOLUTION
    # m₂ = 0.9·0.1 − 0.1 = −0.01，m̂₂ = −0.01/0.19；v̂₂ = 1：θ₂ = −0.1 + 0.1·0.01/0.19
    return -0.0947
    ### END SOLUTION

# %%
p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
opt = torch.optim.Adam([p], lr=0.1)
for step, g in enumerate((1.0, -1.0), start=1):
    p.grad = torch.full_like(p, g)
    opt.step()
    m, v = opt.state[p]["exp_avg"].item(), opt.state[p]["exp_avg_sq"].item()
    print(f"t = {step}: g = {g:+.0f}   m = {m:+.4f}   v = {v:.6f}   θ = {p.item():+.4f}")

# %% nbgrader={"grade": true, "grade_id": "l08_ex1_flip_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex1_flip(predict_flip)

# %% [markdown] tags=["zh"]
# 第二步只往回走了一小段：$m$ 还记着第一个梯度，两个符号相反的梯度在 $m$ 里几乎抵消，而 $v$ 不管符号，只记大小。所以一个梯度来回变号的坐标，在 Adam 下每步都走得比 $\eta$ 小得多。
#
# ### 练习 2：AdamW 的一步里有三处错误（调试）
#
# 下面的 `adamw_step_buggy(p, g, state, lr, betas, eps, weight_decay)` 想做 `torch.optim.AdamW` 的一步：参数 `p` 的梯度是 `g`，返回新的参数；步数和两个平均放在字典 `state` 里（由 `adamw_state(p)` 创建），每调用一次就更新一次。它和第 4.3 节的类写法不同：没有 `.grad`，没有 `self`，状态由调用它的人保管，照着论文的伪代码实现优化器时常这样写。函数里有三处错误，都是实现 Adam 或 AdamW 时真会犯的。再下一个单元格让它和 `torch.optim.AdamW` 各走两步。
#
# 读代码、看输出，对照第 4.1 节和第 5.1 节的公式，找出三处错误，在 `adamw_step` 里写出改好的函数（参数不变；仍然返回新的参数，并更新 `state`）。输出里的 nan 只暴露了其中一处；另外两处在默认的超参数下影响很小，要逐行对照公式才找得到。检查会让你的函数走五步，与 `torch.optim.AdamW` 比较参数和 `state` 里的 $m$、$v$，并指出还剩哪一处错误（检查时不能用 `torch.optim.Adam` 或 `AdamW`）。

# %% [markdown] tags=["en"]
# The second step goes back only a little: $m$ still remembers the first gradient, and two gradients of opposite sign
# nearly cancel in $m$, while $v$ ignores the sign and keeps only the size. So a coordinate whose gradient keeps
# flipping sign takes steps much smaller than $\eta$ under Adam.
#
# ### Exercise 2: three bugs in one AdamW step (debug)
#
# The function `adamw_step_buggy(p, g, state, lr, betas, eps, weight_decay)` below means to take one step of
# `torch.optim.AdamW`: the parameter `p` has the gradient `g`, and the function returns the new parameter; the step
# count and the two averages live in the dict `state` (made by `adamw_state(p)`) and are updated at every call. It is
# written differently from the class of section 4.3: no `.grad`, no `self`, and the caller keeps the state, the way an
# optimizer is often written from a paper's pseudo-code. The function has three bugs, all of them mistakes people
# really make when they implement Adam or AdamW. The cell after it takes two steps with it and with
# `torch.optim.AdamW`.
#
# Read the code and the output, compare with the formulas of sections 4.1 and 5.1, find the three bugs, and write the
# fixed function in `adamw_step` (same arguments; it still returns the new parameter and updates `state`). The nan in
# the output shows only one of them; the other two change little at the default hyperparameters, and you find them by
# checking the code line by line against the formulas. The check takes five steps with your function, compares the
# parameter and the $m$ and $v$ in `state` with `torch.optim.AdamW`, and names the bug still there (`torch.optim.Adam`
# and `AdamW` are off while it checks).

# %%
def adamw_state(p):
    """AdamW 的状态：步数和两个平均，都从 0 开始 / AdamW's state: a step count and two averages, from 0"""
    return {"step": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)}


def adamw_step_buggy(p, g, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    """AdamW 的一步：返回新的参数，并更新 state（有三处错误）
    / one AdamW step: returns the new parameter and updates state (three bugs)"""
    beta1, beta2 = betas
    g = g + weight_decay * p
    state["m"] = beta1 * state["m"] + (1 - beta1) * g
    state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
    m_hat = state["m"] / (1 - beta1 ** state["step"])
    v_hat = state["v"] / (1 - beta2 ** state["step"])
    state["step"] += 1
    return p - lr * m_hat / (v_hat + eps).sqrt()

# %%
p0 = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
grads = [torch.tensor([0.3, -0.1, 2.0], dtype=torch.float64),
         torch.tensor([0.2, 0.1, -1.0], dtype=torch.float64)]
p, state = p0.clone(), adamw_state(p0)
p_torch = p0.clone().requires_grad_(True)
opt = torch.optim.AdamW([p_torch], lr=0.1)
for step, g in enumerate(grads, start=1):
    p = adamw_step_buggy(p, g, state, lr=0.1)
    p_torch.grad = g.clone()
    opt.step()
    print(f"第 {step} 步 / step {step}:  adamw_step_buggy {[round(x, 4) for x in p.tolist()]}   "
          f"torch.optim.AdamW {[round(x, 4) for x in p_torch.tolist()]}")

# %% nbgrader={"grade": false, "grade_id": "l08_ex2_adamw_step", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-debug"]
def adamw_step(p, g, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    """AdamW 的一步：返回新的参数，并更新 state / one AdamW step: returns the new parameter and
    updates state"""
    ### BEGIN SOLUTION
    beta1, beta2 = betas
    state["step"] += 1                         # 第一步 t = 1 / the first step has t = 1
    t = state["step"]
    p = p * (1 - lr * weight_decay)            # 解耦：衰减参数，不动梯度 / decoupled: decay p, not g
    state["m"] = beta1 * state["m"] + (1 - beta1) * g
    state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
    m_hat = state["m"] / (1 - beta1 ** t)
    v_hat = state["v"] / (1 - beta2 ** t)
    return p - lr * m_hat / (v_hat.sqrt() + eps)  # ε 在根号外 / ε outside the root
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l08_ex2_adamw_step_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex2_adamw_step(adamw_step)

# %% [markdown] tags=["zh"]
# ### 练习 3：按比值选 Adam 的学习率（迁移）
#
# 第 9.2 节说，Adam 的第一步让每个坐标移动约 $\eta$，所以第一步的比值 $r_l \approx \eta\sqrt{n_l} / \lVert \theta_l \rVert$ 只取决于学习率和参数本身，与梯度无关。反过来用它，就能在训练之前为一个模型选出 Adam 的学习率。
#
# 写出 `adam_lr_for_ratio(model, target)`：返回最大的学习率 $\eta$，使 Adam 的第一步让模型的**每个**参数张量（每层的权重和偏置都算）的比值 $r_l$ 都不超过 `target`。假设梯度没有为 0 的坐标，$|g|$ 也远大于 $\epsilon$。不要改变 `model` 的参数：如果想实际走一步来量，就在 `copy.deepcopy(model)` 上量（先 `import copy`）。检查用两个小模型，其中有的参数不是默认初始化的，所以第 9.2 节的估算 $\eta\sqrt{3\,\text{in}}$ 在这里不准。

# %% [markdown] tags=["en"]
# ### Exercise 3: choose Adam's learning rate by the ratio (transfer)
#
# Section 9.2 showed that Adam's first step moves every coordinate by about $\eta$, so the ratio of the first step,
# $r_l \approx \eta\sqrt{n_l} / \lVert \theta_l \rVert$, depends only on the learning rate and on the parameters
# themselves, not on the gradient. Turned around, it chooses Adam's learning rate for a model before any training.
#
# Write `adam_lr_for_ratio(model, target)`: return the largest learning rate $\eta$ at which Adam's first step keeps
# the ratio $r_l$ of **every** parameter tensor of the model (the weights and the biases of every layer) at most
# `target`. Assume that no coordinate of the gradient is 0 and that $|g|$ is much larger than $\epsilon$. Do not
# change the parameters of `model`: if you would rather take a step and measure it, do it on `copy.deepcopy(model)`
# (`import copy` first). The check uses two small models, some of whose parameters are not default-initialized, so
# section 9.2's estimate $\eta\sqrt{3\,\text{in}}$ does not hold for them.

# %% nbgrader={"grade": false, "grade_id": "l08_ex3_adam_lr", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-transfer"]
def adam_lr_for_ratio(model, target):
    """让 Adam 的第一步不把任何参数张量改变超过 target（‖Δθ‖/‖θ‖）的最大学习率
    / the largest lr at which Adam's first step changes no parameter tensor by more than target"""
    ### BEGIN SOLUTION
    # 第一步每个坐标移动 η：r_l = η√n_l/‖θ_l‖ ≤ target / each coordinate moves η at step 1
    return target * min(p.norm().item() / p.numel() ** 0.5 for p in model.parameters())
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l08_ex3_adam_lr_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex3_adam_lr(adam_lr_for_ratio)

# %% [markdown] tags=["zh"]
# ## 小结
#
# - 自适应优化器把梯度逐元素除以 $\sqrt{s} + \epsilon$：Adagrad 累加 $g^2$，RMSprop 和 Adam 取 $g^2$ 的指数移动平均。
# - Adam 的偏差修正把从 0 开始的 $m$、$v$ 除以 $1 - \beta^t$；缺了它，前几百步的步长会偏大数倍。RMSprop 没有偏差修正。
# - `Adam(weight_decay=λ)` 把 $\lambda \theta$ 加进梯度（L2），会被自适应缩放；`AdamW` 直接做 $\theta \leftarrow \theta (1 - \eta\lambda)$。两者在课程模型上 100 步后确实不同。PyTorch 的衰减乘了学习率，所以它随 `lr` 和学习率调度一起变。
# - 我们的四个从零实现在课程模型上 100 步后与 `torch.optim` 完全一致；故意写错的版本都不一致。
# - 更新量与参数之比 $r_l = \lVert \Delta\theta_l \rVert / \lVert \theta_l \rVert$ 是检查学习率的一个数。Adam 的第一步让每个坐标移动约 $\eta$，所以 $r_l \approx \eta\sqrt{n_l} / \lVert \theta_l \rVert$，默认初始化下约为 $\eta\sqrt{3\,\text{in}}$；把 SGD 的 $\eta = 0.1$ 给了 Adam，课程模型第一步的 $r$ 约为 3 到 5，参数随即涨到许多倍。要在最初几步看这个比值。
# - 在 Fashion-MNIST 上，七个优化器 3 轮后的验证准确率多数时候相差约 2 个百分点，9 次里有 2 次 η = 0.1 的普通 SGD 落后，七个相差 4.6 和 7.2 个百分点；在验证集上挑选，测试集只看一次。
#
# 下一课：学习率调度，让 $\eta$ 随训练变化。

# %% [markdown] tags=["en"]
# ## Summary
#
# - Adaptive optimizers divide the gradient element-wise by $\sqrt{s} + \epsilon$: Adagrad sums $g^2$, RMSprop and Adam take an exponential moving average of it.
# - Adam's bias correction divides $m$ and $v$, which start at 0, by $1 - \beta^t$; without it the steps of the first few hundred iterations are several times too large. RMSprop has no bias correction.
# - `Adam(weight_decay=λ)` adds $\lambda \theta$ to the gradient (L2), where the adaptive scaling acts on it; `AdamW`
#   does $\theta \leftarrow \theta (1 - \eta\lambda)$ directly. On the course model they really differ after 100 steps.
#   PyTorch's decay is multiplied by the learning rate, so it changes with `lr` and with a learning-rate schedule.
# - Our four from-scratch optimizers equal `torch.optim` after 100 steps on the course model; the deliberately wrong
#   versions do not.
# - The update/weight ratio $r_l = \lVert \Delta\theta_l \rVert / \lVert \theta_l \rVert$ is one number that checks a
#   learning rate. Adam's first step moves every coordinate by about $\eta$, so $r_l \approx \eta\sqrt{n_l} /
#   \lVert \theta_l \rVert$, about $\eta\sqrt{3\,\text{in}}$ with the default initialization; give Adam SGD's
#   $\eta = 0.1$ and the course model's first step has $r$ of about 3 to 5, after which the parameters grow many
#   times over. Read the ratio in the first few steps.
# - On Fashion-MNIST the seven optimizers mostly end 3 epochs about 2 points apart in validation accuracy; on some
#   splits and seeds plain SGD at $\eta = 0.1$ falls behind, putting the seven 4.6 and 7.2 points apart (2 of 9 runs). We choose on the validation set and look at
#   the test set once.
#
# Next lesson: learning-rate schedules, which change $\eta$ during training.
