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
# # 09 学习率调度
#
# 上一课：[08 自适应优化器](08_optim_adaptive.ipynb) · 下一课：[10 综合实战：从 65% 到 90%](10_capstone.ipynb)
#
# 预计用时：约 85 分钟，另加约 10 分钟的选读部分。标为“选读”的第 4.2 节（热重启）和第 7 节（`ReduceLROnPlateau`）第一次可以跳过，后面的内容和练习都用不到它们。
#
# 到目前为止，学习率在整个训练中都是一个常数。学习率调度器让它随训练变化：开始时步子大，走得快；快结束时步子小，让参数在一个好的位置稳定下来。为什么后期要小步？小批量梯度带噪声，学习率不变时参数会在极小值附近一直晃动，学习率越大，晃动越大；把学习率降下来，晃动也就小了。
#
# 学完这一课，你能够：
#
# - 写出 `StepLR`、`MultiStepLR`、`ExponentialLR`、`CosineAnnealingLR`、`LinearLR`（预热）加 `SequentialLR`、`OneCycleLR` 的闭式公式，并在整个训练过程中逐步与 `get_last_lr()` 核对；
# - （选读）从零写出 `ReduceLROnPlateau` 的规则（`patience`、`factor`、`threshold`、`cooldown`），在一串给定的指标上与 PyTorch 一致；
# - 把 `scheduler.step()` 放在正确的位置（`optimizer.step()` 之后；每个批次或每轮一次），并认出放错时 PyTorch 给的警告；
# - 中断之后接着训练：模型、优化器和调度器的 `state_dict` 一起保存、一起载入，让续跑与不间断的训练逐位相同；
# - 在 Fashion-MNIST 上用同样的 10 轮比较常数学习率的 Adam 与几种调度，在验证集上挑出一种，只对它看一次测试集。

# %% [markdown] tags=["en"]
# # 09 Learning-rate schedules
#
# Previous: [08 Adaptive optimizers](08_optim_adaptive.ipynb) · Next: [10 Capstone: from 65% to 90%](10_capstone.ipynb)
#
# Time: about 85 min, plus about 10 min for the optional sections. Sections 4.2 (warm restarts) and 7
# (`ReduceLROnPlateau`), marked optional, can be skipped on a first reading: nothing after them, the exercises
# included, uses them.
#
# So far the learning rate has been one constant for the whole of training. A learning-rate scheduler changes it as
# training goes on: large steps at the start to move fast, small steps near the end so that the parameters settle in a
# good place. Why small steps late? Mini-batch gradients are noisy; with a constant learning rate the parameters keep
# jittering around a minimum, and the larger the learning rate, the larger the jitter. Lower the learning rate and the
# jitter shrinks with it.
#
# After this lesson you can:
#
# - write the closed forms of `StepLR`, `MultiStepLR`, `ExponentialLR`, `CosineAnnealingLR`, `LinearLR` (warm-up) with
#   `SequentialLR`, and `OneCycleLR`, and check them against `get_last_lr()` at every step of a whole run;
# - (optional) write the rule of `ReduceLROnPlateau` (`patience`, `factor`, `threshold`, `cooldown`) from scratch and
#   match PyTorch on a given sequence of metrics;
# - put `scheduler.step()` in the right place (after `optimizer.step()`; once per batch or once per epoch) and recognise
#   the warning PyTorch gives when it is in the wrong place;
# - resume an interrupted run: save and load the `state_dict`s of the model, the optimizer and the scheduler together,
#   so that the resumed run equals the uninterrupted one bit for bit;
# - compare Adam with a constant learning rate and with a few schedules on Fashion-MNIST in the same 10 epochs,
#   choose one on the validation set, and look at the test set once, for that one.

# %%
import io
import math
import warnings

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.optim import lr_scheduler

import fmnist_core as fc
from fmnist_core.checks import lesson09 as check

device = fc.get_device()
fc.plot.cjk_font()  # 有中文字体就用 / use a CJK font when there is one
loss_fn = nn.CrossEntropyLoss()

# %% [markdown] tags=["zh"]
# ## 1. 调度器做什么
#
# ### 1.1 定义
#
# 把优化器的更新一步一步编号：$t = 0, 1, 2, \dots$。第 $t$ 步用的学习率记为 $\eta_t$，所以 $\eta_0$ 是调度在 $t = 0$ 时的值，也就是第一次更新用的学习率。$\eta_{\text{base}}$ 是创建优化器时给的学习率（调度器把它存为 `scheduler.base_lrs`，下面的代码里写作 `lr0`）；大多数调度器从它开始，$\eta_0 = \eta_{\text{base}}$，但也有例外（`LinearLR`、`OneCycleLR`）。**学习率调度**就是一个函数 $t \mapsto \eta_t$。
#
# PyTorch 的调度器包在优化器外面：
#
# - 创建时，它把调度在 $t = 0$ 的值 $\eta_0$ 写进 `optimizer.param_groups[i]["lr"]`（`LinearLR` 写的是 $f_s \eta_{\text{base}}$，`OneCycleLR` 写的是 `max_lr / div_factor`，见第 5、6 节）；
# - 每调用一次 `scheduler.step()`，计数器 $t$ 加一，它算出 $\eta_t$，再写回 `param_groups[i]["lr"]`，下一次 `optimizer.step()` 就用这个值；
# - `scheduler.get_last_lr()` 返回它最近写入的学习率（每个参数组一个数）。
#
# 调度器不知道一“步”是一个批次还是一轮：它只数 `scheduler.step()` 被调用了几次。所以下面公式里的 $t$、`step_size`、`T_max`、`total_iters` 都以“调用次数”为单位，由你决定它代表批次还是轮（第 8 节）。

# %% [markdown] tags=["en"]
# ## 1. What a scheduler does
#
# ### 1.1 Definition
#
# Number the optimizer's updates $t = 0, 1, 2, \dots$ and write $\eta_t$ for the learning rate that update $t$ uses,
# so $\eta_0$ is the schedule's value at $t = 0$, the learning rate of the first update. $\eta_{\text{base}}$ is the
# learning rate the optimizer was created with (the scheduler keeps it as `scheduler.base_lrs`; the code below calls
# it `lr0`); most schedulers start from it, $\eta_0 = \eta_{\text{base}}$, but not all (`LinearLR`, `OneCycleLR`). A
# **learning-rate schedule** is a function $t \mapsto \eta_t$.
#
# A PyTorch scheduler wraps an optimizer:
#
# - when created, it writes the schedule's value at $t = 0$, $\eta_0$, into `optimizer.param_groups[i]["lr"]`
#   (`LinearLR` writes $f_s \eta_{\text{base}}$, `OneCycleLR` writes `max_lr / div_factor`; sections 5 and 6);
# - each call of `scheduler.step()` adds one to its counter $t$, computes $\eta_t$ and writes it back into
#   `param_groups[i]["lr"]`, which the next `optimizer.step()` uses;
# - `scheduler.get_last_lr()` returns the learning rates it wrote last (one number per parameter group).
#
# A scheduler does not know whether a "step" is a batch or an epoch: it only counts the calls of `scheduler.step()`.
# So $t$, `step_size`, `T_max` and `total_iters` in the formulas below are all counted in calls, and you decide
# whether a call means a batch or an epoch (section 8).

# %% [markdown] tags=["zh"]
# ### 1.2 怎样记录和核对一个调度
#
# `lr_trace` 用一个只有一个参数的优化器把调度走完：每一步先读 `get_last_lr()`（也就是这一步要用的 $\eta_t$），再按正确的顺序调用 `optimizer.step()` 和 `scheduler.step()`。我们的从零实现是一个闭式公式 $t \mapsto \eta_t$；`check_schedule` 把公式在每个 $t$ 上的值与整条轨迹用 `torch.testing.assert_close` 比较（`float64`，相对容差 $10^{-9}$），公式或代码只要有一步错，它就会失败。

# %% [markdown] tags=["en"]
# ### 1.2 How we record and check a schedule
#
# `lr_trace` runs a schedule to the end with an optimizer that holds one parameter: at each step it first reads
# `get_last_lr()` (the $\eta_t$ this step uses), then calls `optimizer.step()` and `scheduler.step()` in the right
# order. Our from-scratch version is a closed form $t \mapsto \eta_t$; `check_schedule` compares its value at every $t$
# with the whole trace using `torch.testing.assert_close` (`float64`, relative tolerance $10^{-9}$), so a single wrong
# step in the formula or the code makes it fail.

# %%
TOL = dict(rtol=1e-9, atol=1e-12)  # 学习率是小数，比得严一些 / learning rates are small: compare tightly


def lr_trace(make_scheduler, steps, lr=0.1, optimizer_cls=torch.optim.SGD, **optimizer_kw):
    """每一步用的学习率 / the learning rate each of `steps` optimizer steps uses."""
    p = nn.Parameter(torch.zeros(1))
    optimizer = optimizer_cls([p], lr=lr, **optimizer_kw)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for _ in range(steps):
        lrs.append(scheduler.get_last_lr()[0])
        assert lrs[-1] == optimizer.param_groups[0]["lr"]  # 优化器真的用它 / the optimizer really uses it
        optimizer.step()  # 先优化器 / optimizer first
        scheduler.step()  # 再调度器 / then the scheduler
    return torch.tensor(lrs, dtype=torch.float64)


def closed_form(formula, steps, **kw):
    """公式在 t = 0 .. steps-1 上的值 / the formula at t = 0 .. steps-1."""
    return torch.tensor([formula(t, **kw) for t in range(steps)], dtype=torch.float64)


def check_schedule(formula, make_scheduler, steps, lr0=0.1, **kw):
    """整条轨迹上公式 = PyTorch，否则报错 / formula = PyTorch over the whole run, or fail."""
    ours = closed_form(formula, steps, lr0=lr0, **kw)
    theirs = lr_trace(make_scheduler, steps, lr=lr0)
    torch.testing.assert_close(ours, theirs, **TOL)
    return ours, theirs


def plot_schedule(ax, ours, theirs, title, log=False, theirs_label="PyTorch get_last_lr()",
                  steps=False):
    """从零实现画成线，PyTorch 画成点；steps=True 画成台阶 / from scratch as a line (as steps for a
    piecewise-constant schedule), PyTorch as dots."""
    ax.plot(range(len(ours)), ours, color="tab:blue", label=fc.label("从零实现", "from scratch"),
            drawstyle="steps-post" if steps else "default")
    ax.plot(range(len(theirs)), theirs, "o", ms=2.5, color="tab:orange", label=theirs_label)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(fc.label("步数 t", "step t"))
    ax.set_ylabel(fc.label("学习率", "learning rate"))
    if log:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


# %% [markdown] tags=["zh"]
# ## 2. `StepLR` 与 `MultiStepLR`：分段常数
#
# ### 2.1 定义
#
# `StepLR(optimizer, step_size=s, gamma=γ)` 每过 $s$ 步把学习率乘以 $\gamma$：
#
# $$\eta_t = \eta_{\text{base}} \, \gamma^{\lfloor t / s \rfloor}$$
#
# `MultiStepLR(optimizer, milestones=M, gamma=γ)` 在给定的里程碑（milestone）$m \in M$ 处各乘一次 $\gamma$。指数是已经到达的里程碑个数：
#
# $$\eta_t = \eta_{\text{base}} \, \gamma^{|\{m \in M \,:\, m \le t\}|}$$
#
# 注意 $m \le t$：在第 $t = m$ 步，学习率已经是降低后的值。经典用法是 SGD 训练 ResNet 时在总轮数的 50% 和 75% 处各除以 10。

# %% [markdown] tags=["en"]
# ## 2. `StepLR` and `MultiStepLR`: piecewise constant
#
# ### 2.1 Definition
#
# `StepLR(optimizer, step_size=s, gamma=γ)` multiplies the learning rate by $\gamma$ every $s$ steps:
#
# $$\eta_t = \eta_{\text{base}} \, \gamma^{\lfloor t / s \rfloor}$$
#
# `MultiStepLR(optimizer, milestones=M, gamma=γ)` multiplies by $\gamma$ once at each milestone $m \in M$. The exponent
# is the number of milestones reached:
#
# $$\eta_t = \eta_{\text{base}} \, \gamma^{|\{m \in M \,:\, m \le t\}|}$$
#
# Note the $m \le t$: at step $t = m$ the learning rate already has its lowered value. The classic use is SGD on a
# ResNet, divided by 10 at 50% and at 75% of the epochs.

# %%
def step_lr(t, lr0, step_size, gamma):
    return lr0 * gamma ** (t // step_size)


def multistep_lr(t, lr0, milestones, gamma):
    return lr0 * gamma ** sum(m <= t for m in milestones)


# %%
# 每种调度检查几组设置，每组 40 步 / a few settings per scheduler, 40 steps each
for step_size, gamma in [(7, 0.5), (3, 0.1), (1, 0.9)]:
    check_schedule(step_lr, lambda o: lr_scheduler.StepLR(o, step_size=step_size, gamma=gamma), 40,
                   step_size=step_size, gamma=gamma)
for milestones, gamma in [([10, 25, 30], 0.3), ([1, 2, 3], 0.5), ([20], 0.1)]:
    check_schedule(multistep_lr,
                   lambda o: lr_scheduler.MultiStepLR(o, milestones=milestones, gamma=gamma), 40,
                   milestones=milestones, gamma=gamma)

fig, axes = plt.subplots(1, 2, figsize=(10, 3))
step_run = check_schedule(step_lr, lambda o: lr_scheduler.StepLR(o, step_size=7, gamma=0.5), 40,
                          step_size=7, gamma=0.5)
multistep_run = check_schedule(multistep_lr,
                               lambda o: lr_scheduler.MultiStepLR(o, [10, 25, 30], 0.3), 40,
                               milestones=[10, 25, 30], gamma=0.3)
plot_schedule(axes[0], *step_run, "StepLR(step_size=7, gamma=0.5)", steps=True)
plot_schedule(axes[1], *multistep_run, "MultiStepLR(milestones=[10, 25, 30], gamma=0.3)",
              steps=True)
fig.tight_layout()
plt.show()
print("StepLR ✓ 与 get_last_lr() 逐步一致 / matches get_last_lr() at every step (3 settings)")
print("MultiStepLR ✓ 与 get_last_lr() 逐步一致 / matches get_last_lr() at every step (3 settings)")

# %% [markdown] tags=["zh"]
# 阶梯出现在 $t = 7, 14, 21, \dots$ 和 $t = 10, 25, 30$：第 $m$ 步用的已经是降低后的学习率。分段常数的调度简单可靠，但每个台阶的位置都是要调的超参数。

# %% [markdown] tags=["en"]
# The steps fall at $t = 7, 14, 21, \dots$ and at $t = 10, 25, 30$: step $m$ already uses the lowered learning rate.
# Piecewise-constant schedules are simple and dependable, but the position of every step is one more hyperparameter
# to tune.

# %% [markdown] tags=["zh"]
# 这个检查真能发现错误吗？把 `StepLR` 的公式故意写错一步（用 $t + 1$ 代替 $t$，台阶提前一步），再检查一次：

# %% [markdown] tags=["en"]
# Does this check really catch a mistake? Write the `StepLR` formula one step off on purpose ($t + 1$ in place of $t$,
# so each drop comes one step early) and check again:

# %%
def step_lr_off_by_one(t, lr0, step_size, gamma):
    return lr0 * gamma ** ((t + 1) // step_size)  # 故意写错 / wrong on purpose


try:
    check_schedule(step_lr_off_by_one, lambda o: lr_scheduler.StepLR(o, step_size=7, gamma=0.5), 40,
                   step_size=7, gamma=0.5)
    raise RuntimeError("没有发现错误 / the mistake was not caught")
except AssertionError as e:
    print("差一步的公式被查出来了 / the off-by-one formula is caught:")
    print("   ", str(e).splitlines()[0])

# %% [markdown] tags=["zh"]
# ## 3. `ExponentialLR`：每步乘以 γ
#
# ### 3.1 定义
#
# `ExponentialLR(optimizer, gamma=γ)` 每一步都乘以 $\gamma$：
#
# $$\eta_t = \eta_{\text{base}} \, \gamma^{t}$$
#
# $\gamma$ 是**每一步**的因子，所以它必须和“步”的单位配套。想在 $T$ 步里从 $\eta_{\text{base}}$ 降到 $\eta_{\text{end}}$，就取
#
# $$\gamma = \left(\frac{\eta_{\text{end}}}{\eta_{\text{base}}}\right)^{1/T}$$
#
# 按轮调度时 $\gamma = 0.9$ 很温和；按批次调度时，一轮有 938 个批次（批次大小 64），$0.9^{938} \approx 1.2 \times 10^{-43}$，一轮之后学习率实际上为 0。

# %% [markdown] tags=["en"]
# ## 3. `ExponentialLR`: multiply by γ at every step
#
# ### 3.1 Definition
#
# `ExponentialLR(optimizer, gamma=γ)` multiplies by $\gamma$ at every step:
#
# $$\eta_t = \eta_{\text{base}} \, \gamma^{t}$$
#
# $\gamma$ is a factor **per step**, so it must match what a step is. To go from $\eta_{\text{base}}$ down to $\eta_{\text{end}}$
# in $T$ steps, take
#
# $$\gamma = \left(\frac{\eta_{\text{end}}}{\eta_{\text{base}}}\right)^{1/T}$$
#
# Stepped once per epoch, $\gamma = 0.9$ is gentle; stepped once per batch, with 938 batches per epoch (batch size
# 64), $0.9^{938} \approx 1.2 \times 10^{-43}$: after one epoch the learning rate is zero in practice.

# %%
def exponential_lr(t, lr0, gamma):
    return lr0 * gamma ** t


def gamma_for(lr0, lr_end, steps):
    """每步因子：steps 步之后正好到 lr_end / the per-step factor that reaches lr_end after `steps` steps."""
    return (lr_end / lr0) ** (1 / steps)


# %%
for gamma in [0.9, 0.5, 0.99]:
    check_schedule(exponential_lr, lambda o: lr_scheduler.ExponentialLR(o, gamma=gamma), 60,
                   gamma=gamma)
gamma = gamma_for(0.1, 0.001, 100)
ours, theirs = check_schedule(exponential_lr, lambda o: lr_scheduler.ExponentialLR(o, gamma=gamma),
                              101, gamma=gamma)
torch.testing.assert_close(theirs[100].item(), 0.001)  # 100 步后正好是 lr_end / exactly lr_end at 100

fig, axes = plt.subplots(1, 2, figsize=(10, 3))
gentle = check_schedule(exponential_lr, lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9), 40,
                        gamma=0.9)
plot_schedule(axes[0], *gentle, "ExponentialLR(gamma=0.9)")
plot_schedule(axes[1], ours, theirs, f"ExponentialLR(gamma={gamma:.4f}), 0.1 → 0.001", log=True)
fig.tight_layout()
plt.show()
print("ExponentialLR ✓ 与 get_last_lr() 逐步一致 / matches get_last_lr() at every step (4 settings)")
print(f"按批次调度时 0.9 的威力 / 0.9 per batch: 0.9 ** 938 = {0.9 ** 938:.1e}")

# %% [markdown] tags=["zh"]
# 右图用对数纵轴：指数衰减在对数坐标下是一条直线，每一步都降低同样的**比例**。

# %% [markdown] tags=["en"]
# The right plot has a log axis: exponential decay is a straight line there, dropping by the same **fraction** at every
# step.

# %% [markdown] tags=["zh"]
# ## 4. `CosineAnnealingLR`：余弦退火
#
# ### 4.1 定义
#
# `CosineAnnealingLR(optimizer, T_max, eta_min=0)` 让学习率沿半个余弦周期从 $\eta_{\text{base}}$ 降到 $\eta_{\min}$：
#
# $$\eta_t = \eta_{\min} + \frac{1}{2}\left(\eta_{\text{base}} - \eta_{\min}\right)\left(1 + \cos\frac{\pi t}{T_{\max}}\right)$$
#
# 在 $t = 0$ 时 $\cos 0 = 1$，学习率是 $\eta_{\text{base}}$；在 $t = T_{\max}$ 时 $\cos \pi = -1$，学习率是 $\eta_{\min}$。它一开始很平（在大学习率上多停留一会儿），中间降得最快，最后又变平（在小学习率上细细收敛）。唯一要选的数是 $T_{\max}$：从最高到最低用多少步，通常就是整个训练的调度步数。
#
# 两个细节：
#
# - $t > T_{\max}$ 之后 PyTorch 继续用同一个公式，学习率会**重新升高**。所以 $T_{\max}$ 设小了，训练后半段反而在升学习率。
# - PyTorch 不直接算这个公式，而是每一步把上一步的学习率乘一个比值（递推）。两者只差舍入误差，所以我们用带容差的 `assert_close`。

# %% [markdown] tags=["en"]
# ## 4. `CosineAnnealingLR`: cosine annealing
#
# ### 4.1 Definition
#
# `CosineAnnealingLR(optimizer, T_max, eta_min=0)` takes the learning rate from $\eta_{\text{base}}$ down to $\eta_{\min}$ along half
# a period of a cosine:
#
# $$\eta_t = \eta_{\min} + \frac{1}{2}\left(\eta_{\text{base}} - \eta_{\min}\right)\left(1 + \cos\frac{\pi t}{T_{\max}}\right)$$
#
# At $t = 0$, $\cos 0 = 1$ and the learning rate is $\eta_{\text{base}}$; at $t = T_{\max}$, $\cos \pi = -1$ and it is $\eta_{\min}$.
# It starts flat (a while longer at the large learning rate), falls fastest in the middle and flattens again at the end
# (careful convergence at a small learning rate). The one number to choose is $T_{\max}$, the steps from top to
# bottom: usually all the scheduler steps of the training run.
#
# Two details:
#
# - For $t > T_{\max}$ PyTorch keeps the same formula, so the learning rate **rises again**. With $T_{\max}$ too small,
#   the second half of training raises the learning rate.
# - PyTorch does not evaluate this formula; at each step it multiplies the previous learning rate by a ratio (a
#   recursion). The two differ only by rounding, which is why we compare with the tolerance of `assert_close`.

# %%
def cosine_lr(t, lr0, T_max, eta_min=0.0):
    return eta_min + 0.5 * (lr0 - eta_min) * (1 + math.cos(math.pi * t / T_max))


# %%
for T_max, eta_min in [(10, 0.0), (25, 0.01), (7, 0.05)]:
    check_schedule(cosine_lr,
                   lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=T_max, eta_min=eta_min),
                   2 * T_max + 3, T_max=T_max, eta_min=eta_min)  # 也检查 T_max 之后 / also past T_max

fig, ax = plt.subplots(figsize=(7, 3))
cosine_run = check_schedule(cosine_lr,
                            lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=20, eta_min=0.01),
                            50, T_max=20, eta_min=0.01)
plot_schedule(ax, *cosine_run, "CosineAnnealingLR(T_max=20, eta_min=0.01)")
ax.axvline(20, color="gray", ls="--", lw=1)
ax.text(20.5, 0.09, "t = T_max", fontsize=8, color="gray")
fig.tight_layout()
plt.show()
print("CosineAnnealingLR ✓ 与 get_last_lr() 逐步一致（含 T_max 之后）")
print("CosineAnnealingLR ✓ matches get_last_lr() at every step (past T_max too)")

# %% [markdown] tags=["zh"]
# 虚线右边就是 $T_{\max}$ 设小了的后果：学习率重新升回 $\eta_{\text{base}}$。

# %% [markdown] tags=["en"]
# Right of the dashed line is what a $T_{\max}$ that is too small does: the learning rate climbs back to $\eta_{\text{base}}$.

# %% [markdown] tags=["zh"]
# ### 4.2 热重启：`CosineAnnealingWarmRestarts`（选读）
#
# `CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=1, eta_min=0)` 把余弦退火切成一段一段：每一段都沿半个余弦周期从 $\eta_{\text{base}}$ 降到 $\eta_{\min}$；一段结束，学习率直接跳回 $\eta_{\text{base}}$（热重启，warm restart），而不是像上图 $t > T_{\max}$ 之后那样慢慢爬回去。第 $i$ 段（从 0 数起）长 $T_i = T_0 \, T_{\text{mult}}^{\,i}$ 步。记 $T_{\text{cur}}$ 为当前这一段里已经走过的步数，则
#
# $$\eta_t = \eta_{\min} + \frac{1}{2}\left(\eta_{\text{base}} - \eta_{\min}\right)\left(1 + \cos\frac{\pi T_{\text{cur}}}{T_i}\right)$$
#
# 也就是说，每一段都是一个 $T_{\max} = T_i$ 的余弦退火，它的时钟在每次重启时从 0 重新开始。下面的函数先跳过已经走完的段，再调用第 4.1 节的 `cosine_lr`。`T_mult=2`（每段比上一段长一倍）是 SGDR（Loshchilov 与 Hutter，2017）的用法；它在训练中途多次把学习率降到底，适合要多个“降到底”的模型的场合（例如快照集成，snapshot ensemble）。预算固定、只要最后一个模型时，第 4.1 节的一段余弦更简单。

# %% [markdown] tags=["en"]
# ### 4.2 Warm restarts: `CosineAnnealingWarmRestarts` (optional)
#
# `CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=1, eta_min=0)` cuts cosine annealing into cycles: each cycle
# follows half a period of a cosine from $\eta_{\text{base}}$ down to $\eta_{\min}$; when a cycle ends, the learning
# rate jumps straight back to $\eta_{\text{base}}$ (a warm restart) instead of climbing back slowly as it does past
# $T_{\max}$ above. Cycle
# $i$ (counted from 0) lasts $T_i = T_0 \, T_{\text{mult}}^{\,i}$ steps. With $T_{\text{cur}}$ the steps taken in the
# current cycle,
#
# $$\eta_t = \eta_{\min} + \frac{1}{2}\left(\eta_{\text{base}} - \eta_{\min}\right)\left(1 + \cos\frac{\pi T_{\text{cur}}}{T_i}\right)$$
#
# So each cycle is a cosine annealing with $T_{\max} = T_i$ whose clock starts again from 0 at every restart. The
# function below skips the cycles already done, then calls `cosine_lr` of section 4.1. `T_mult=2` (each cycle twice as
# long as the one before) is how SGDR (Loshchilov and Hutter, 2017) uses it; it brings the learning rate to the bottom
# several times during training, which suits uses that want several "annealed" models (snapshot ensembles, say). With
# a fixed budget and only the last model wanted, the single cosine of section 4.1 is simpler.

# %%
def cosine_restarts_lr(t, lr0, T_0, T_mult=1, eta_min=0.0):
    T_i = T_0
    while t >= T_i:  # 跳过已经走完的段 / skip the cycles already done
        t, T_i = t - T_i, T_i * T_mult
    return cosine_lr(t, lr0, T_max=T_i, eta_min=eta_min)


# %%
for T_0, T_mult, eta_min in [(10, 1, 0.001), (5, 2, 0.0), (3, 3, 0.01)]:
    check_schedule(cosine_restarts_lr,
                   lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0, T_mult=T_mult,
                                                                      eta_min=eta_min),
                   60, T_0=T_0, T_mult=T_mult, eta_min=eta_min)

fig, ax = plt.subplots(figsize=(7, 3))
restarts_run = check_schedule(
    cosine_restarts_lr, lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 5, T_mult=2), 40,
    T_0=5, T_mult=2)
plot_schedule(ax, *restarts_run, "CosineAnnealingWarmRestarts(T_0=5, T_mult=2)")
fig.tight_layout()
plt.show()
print("CosineAnnealingWarmRestarts ✓ 与 get_last_lr() 逐步一致（T_mult = 1、2、3）")
print("CosineAnnealingWarmRestarts ✓ matches get_last_lr() at every step (T_mult = 1, 2, 3)")

# %% [markdown] tags=["zh"]
# ## 5. 预热：`LinearLR` 加 `SequentialLR`
#
# ### 5.1 定义
#
# `LinearLR(optimizer, start_factor=f_s, end_factor=f_e, total_iters=T)` 把学习率的倍数从 $f_s$ 线性变到 $f_e$，之后保持不变：
#
# $$\eta_t = \eta_{\text{base}} \left(f_s + (f_e - f_s)\,\frac{\min(t, T)}{T}\right)$$
#
# 取 $f_s$ 小、$f_e = 1$，它就是**预热**（warm-up）；取 $f_s = 1$、$f_e = 0$，它就是线性衰减。注意预热不是从 0 开始，而是从 $f_s \eta_{\text{base}}$ 开始（$f_s$ 必须大于 0）。
#
# 为什么要预热？刚开始时权重是随机的，梯度可能很大，Adam 对梯度平方的估计也只来自很少几步。这时直接迈全尺寸的步子，可能把模型推到一个很差的区域。预热用 $W$ 步把步长从 $f_s \eta_{\text{base}}$ 慢慢加到 $\eta_{\text{base}}$。学习率大、批次大、模型深（如 Transformer）时，它最有用。
#
# `SequentialLR(optimizer, schedulers=[warm, main], milestones=[W])` 把两个调度器接起来：第 $0$ 到 $W - 1$ 步用 `warm`；从第 $W$ 步起用 `main`，而且 `main` 的时钟**从 0 重新开始**。所以总共 $N$ 步、先预热 $W$ 步再余弦退火到 0 时，余弦只剩 $N - W$ 步：`CosineAnnealingLR(T_max=N - W)`，公式是
#
# $$\eta_t = \begin{cases} \eta_{\text{base}} \left(f_s + (1 - f_s)\,\dfrac{t}{W}\right) & t < W \\ \dfrac{1}{2}\,\eta_{\text{base}} \left(1 + \cos\dfrac{\pi (t - W)}{N - W}\right) & t \ge W \end{cases}$$

# %% [markdown] tags=["en"]
# ## 5. Warm-up: `LinearLR` with `SequentialLR`
#
# ### 5.1 Definition
#
# `LinearLR(optimizer, start_factor=f_s, end_factor=f_e, total_iters=T)` moves the multiplier of the learning rate
# linearly from $f_s$ to $f_e$, then keeps it there:
#
# $$\eta_t = \eta_{\text{base}} \left(f_s + (f_e - f_s)\,\frac{\min(t, T)}{T}\right)$$
#
# With a small $f_s$ and $f_e = 1$ it is a **warm-up**; with $f_s = 1$ and $f_e = 0$ it is a linear decay. Note that
# the warm-up does not start at 0 but at $f_s \eta_{\text{base}}$ ($f_s$ must be greater than 0).
#
# Why warm up? At the start the weights are random, gradients can be large, and Adam's estimate of the squared
# gradient comes from only a few steps. Full-size steps right away can throw the model into a bad region. A warm-up
# grows the step from $f_s \eta_{\text{base}}$ to $\eta_{\text{base}}$ over $W$ steps. It helps most with large learning rates, large batches
# and deep models (transformers, say).
#
# `SequentialLR(optimizer, schedulers=[warm, main], milestones=[W])` joins two schedulers: steps $0$ to $W - 1$ follow
# `warm`; from step $W$ on, `main` takes over, and its clock **starts again from 0**. So for $N$ steps in all, $W$ of
# warm-up and then a cosine down to 0, the cosine has only $N - W$ steps: `CosineAnnealingLR(T_max=N - W)`, and
#
# $$\eta_t = \begin{cases} \eta_{\text{base}} \left(f_s + (1 - f_s)\,\dfrac{t}{W}\right) & t < W \\ \dfrac{1}{2}\,\eta_{\text{base}} \left(1 + \cos\dfrac{\pi (t - W)}{N - W}\right) & t \ge W \end{cases}$$

# %%
def linear_lr(t, lr0, start_factor, end_factor, total_iters):
    return lr0 * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)


def warmup_cosine_lr(t, lr0, start_factor, warmup, total):
    if t < warmup:
        return linear_lr(t, lr0, start_factor, 1.0, warmup)
    # 余弦的时钟从 0 开始 / the cosine's clock restarts
    return cosine_lr(t - warmup, lr0, T_max=total - warmup)


def make_warmup_cosine(optimizer, start_factor, warmup, total):
    warm = lr_scheduler.LinearLR(optimizer, start_factor=start_factor, end_factor=1.0,
                                 total_iters=warmup)
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - warmup)
    return lr_scheduler.SequentialLR(optimizer, schedulers=[warm, cosine], milestones=[warmup])


# %%
for f_s, f_e, T in [(0.25, 1.0, 8), (1.0, 0.0, 30), (0.1, 0.5, 12)]:
    check_schedule(linear_lr,
                   lambda o: lr_scheduler.LinearLR(o, start_factor=f_s, end_factor=f_e,
                                                   total_iters=T),
                   T + 10, start_factor=f_s, end_factor=f_e, total_iters=T)
for f_s, W, N in [(0.1, 5, 40), (0.01, 10, 50), (0.5, 1, 8)]:
    check_schedule(warmup_cosine_lr, lambda o: make_warmup_cosine(o, f_s, W, N), N + 1,
                   start_factor=f_s, warmup=W, total=N)

fig, axes = plt.subplots(1, 2, figsize=(10, 3))
linear_run = check_schedule(linear_lr, lambda o: lr_scheduler.LinearLR(o, 0.25, 1.0, 8), 20,
                            start_factor=0.25, end_factor=1.0, total_iters=8)
warm_cos_run = check_schedule(warmup_cosine_lr, lambda o: make_warmup_cosine(o, 0.1, 5, 40), 41,
                              start_factor=0.1, warmup=5, total=40)
plot_schedule(axes[0], *linear_run, "LinearLR(start_factor=0.25, total_iters=8)")
plot_schedule(axes[1], *warm_cos_run,
              "SequentialLR: LinearLR(0.1, W=5) → CosineAnnealingLR(T_max=35)")
fig.tight_layout()
plt.show()
print("LinearLR ✓ 与 get_last_lr() 逐步一致 / matches at every step (warm-up, decay, partial)")
print("SequentialLR ✓ 预热加余弦与 get_last_lr() 逐步一致 / warm-up + cosine matches at every step")

# %% [markdown] tags=["zh"]
# ## 6. `OneCycleLR`：先升后降
#
# ### 6.1 定义
#
# `OneCycleLR(optimizer, max_lr, total_steps=N, pct_start=p, div_factor=d, final_div_factor=d_f)` 先把学习率从 $\eta_{\text{start}} = \eta_{\max} / d$ 升到 $\eta_{\max}$，再降到远低于起点的 $\eta_{\text{end}} = \eta_{\text{start}} / d_f$（默认 $d = 25$，$d_f = 10^4$，$p = 0.3$）。两段都用余弦插值 $a(u; x, y)$，它在 $u = 0$ 时等于 $x$，在 $u = 1$ 时等于 $y$：
#
# $$a(u;\, x, y) = y + \frac{x - y}{2}\left(1 + \cos \pi u\right)$$
#
# 上升段在 $t_1 = pN - 1$ 结束（$t_1$ 可以不是整数）：
#
# $$\eta_t = \begin{cases} a\!\left(\dfrac{t}{t_1};\ \eta_{\text{start}}, \eta_{\max}\right) & t \le t_1 \\ a\!\left(\dfrac{t - t_1}{N - 1 - t_1};\ \eta_{\max}, \eta_{\text{end}}\right) & t > t_1 \end{cases}$$
#
# 要注意的三件事：
#
# - 创建优化器时给的学习率被忽略：`OneCycleLR` 用 $\eta_{\text{start}}$ 覆盖它。
# - 它按批次调度，`total_steps` 是整个训练的批次数（`epochs * len(train_loader)`）。调用 `step()` 超过 `total_steps` 次会报 `ValueError`。
# - `cycle_momentum=True`（默认）时它还反向调度动量：学习率最高时动量最低。对 Adam，它改的是 $\beta_1$：从 `max_momentum=0.95` 降到 `base_momentum=0.85`，再回到 0.95，用的是同一个 $a(u; \cdot)$。也就是说，它同时改了 Adam 默认的 $\beta_1 = 0.9$。

# %% [markdown] tags=["en"]
# ## 6. `OneCycleLR`: up, then down
#
# ### 6.1 Definition
#
# `OneCycleLR(optimizer, max_lr, total_steps=N, pct_start=p, div_factor=d, final_div_factor=d_f)` first raises the
# learning rate from $\eta_{\text{start}} = \eta_{\max} / d$ to $\eta_{\max}$, then lowers it far below the start, to
# $\eta_{\text{end}} = \eta_{\text{start}} / d_f$ (by default $d = 25$, $d_f = 10^4$, $p = 0.3$). Both phases use the
# cosine interpolation $a(u; x, y)$, which is $x$ at $u = 0$ and $y$ at $u = 1$:
#
# $$a(u;\, x, y) = y + \frac{x - y}{2}\left(1 + \cos \pi u\right)$$
#
# The rise ends at $t_1 = pN - 1$ ($t_1$ need not be a whole number):
#
# $$\eta_t = \begin{cases} a\!\left(\dfrac{t}{t_1};\ \eta_{\text{start}}, \eta_{\max}\right) & t \le t_1 \\ a\!\left(\dfrac{t - t_1}{N - 1 - t_1};\ \eta_{\max}, \eta_{\text{end}}\right) & t > t_1 \end{cases}$$
#
# Three things to watch:
#
# - The learning rate the optimizer was created with is ignored: `OneCycleLR` overwrites it with $\eta_{\text{start}}$.
# - It is stepped per batch, and `total_steps` is the number of batches in the whole run (`epochs * len(train_loader)`).
#   Calling `step()` more than `total_steps` times raises `ValueError`.
# - With `cycle_momentum=True` (the default) it also schedules the momentum, the other way round: lowest momentum at
#   the highest learning rate. For Adam it changes $\beta_1$: from `max_momentum=0.95` down to `base_momentum=0.85` and
#   back to 0.95, with the same $a(u; \cdot)$. So it also overrides Adam's default $\beta_1 = 0.9$.

# %%
def one_cycle(t, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4,
              base_momentum=0.85, max_momentum=0.95):
    """OneCycleLR 在第 t 步的 (学习率, β1) / OneCycleLR's (learning rate, β1) at step t."""
    def a(u, x, y):
        return y + (x - y) / 2 * (1 + math.cos(math.pi * u))

    start = max_lr / div_factor
    end = start / final_div_factor
    t1 = pct_start * total_steps - 1
    if t <= t1:
        u = t / t1
        return a(u, start, max_lr), a(u, max_momentum, base_momentum)
    u = (t - t1) / (total_steps - 1 - t1)
    return a(u, max_lr, end), a(u, base_momentum, max_momentum)


def one_cycle_trace(total_steps, **kw):
    """Adam 在每一步用的学习率和 β1 / the lr and β1 each Adam step uses."""
    p = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([p], lr=123.0)  # 会被覆盖 / overwritten
    scheduler = lr_scheduler.OneCycleLR(optimizer, total_steps=total_steps, **kw)
    lrs, betas = [], []
    for _ in range(total_steps):
        lrs.append(scheduler.get_last_lr()[0])
        betas.append(optimizer.param_groups[0]["betas"][0])
        optimizer.step()
        scheduler.step()
    return torch.tensor(lrs, dtype=torch.float64), torch.tensor(betas, dtype=torch.float64)


# %%
settings = [dict(max_lr=0.01, total_steps=50), dict(max_lr=0.003, total_steps=100, pct_start=0.25),
            dict(max_lr=0.1, total_steps=37, div_factor=10.0, final_div_factor=100.0)]
for kw in settings:
    lrs, betas = one_cycle_trace(**kw)
    ours = torch.tensor([one_cycle(t, **kw) for t in range(kw["total_steps"])], dtype=torch.float64)
    torch.testing.assert_close(ours[:, 0], lrs, **TOL)
    torch.testing.assert_close(ours[:, 1], betas, **TOL)

fig, axes = plt.subplots(1, 2, figsize=(10, 3))
lrs, betas = one_cycle_trace(total_steps=100, max_lr=0.01)
ours = torch.tensor([one_cycle(t, max_lr=0.01, total_steps=100) for t in range(100)],
                    dtype=torch.float64)
plot_schedule(axes[0], ours[:, 0], lrs, "OneCycleLR(max_lr=0.01, total_steps=100)")
plot_schedule(axes[1], ours[:, 1], betas, "OneCycleLR + Adam: β1",
              theirs_label="PyTorch param_groups[0]['betas'][0]")
axes[1].set_ylabel(fc.label("Adam 的 β1", "Adam's β1"))
fig.tight_layout()
plt.show()
print("OneCycleLR ✓ 学习率和 β1 都与 PyTorch 逐步一致 / lr and β1 match PyTorch at every step (3 settings)")

# %% [markdown] tags=["zh"]
# 调用 `step()` 的次数超过 `total_steps` 会怎样？这通常是步数算少了，例如用 `n_examples // batch_size` 算每轮的批次数，漏掉了最后一个不满的批次；`epochs * len(train_loader)` 把它算在内：

# %% [markdown] tags=["en"]
# What happens when `step()` is called more than `total_steps` times? It usually means the step count was too small,
# for example batches per epoch counted as `n_examples // batch_size`, which misses the last, smaller batch;
# `epochs * len(train_loader)` counts it:

# %%
p = nn.Parameter(torch.zeros(1))
optimizer = torch.optim.Adam([p])
scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=0.01, total_steps=10)
try:
    for _ in range(11):
        optimizer.step()
        scheduler.step()
except ValueError as e:
    print(f"ValueError: {e}")

# %% [markdown] tags=["zh"]
# ## 7. `ReduceLROnPlateau`：指标不再进步时降低（选读）
#
# ### 7.1 定义
#
# 前面的调度都只看步数 $t$。`ReduceLROnPlateau` 看的是一个指标：每轮结束时调用 `scheduler.step(metric)`（例如验证集上的损失 $m_k$），它在指标停滞（进入平台期）时才降低学习率。默认 `mode="min"`（越小越好）、`threshold_mode="rel"` 时，它记着目前最好的值 $b$（从 $+\infty$ 开始）、一个未改善的轮数计数（`num_bad_epochs`）和一个冷却（cooldown）计数，每次调用做三件事：
#
# 1. 只有明显变好才算进步：$m_k$ 满足
#
#    $$m_k < b\,(1 - \theta)$$
#
#    时（阈值 $\theta$ 为 `threshold`，默认 $10^{-4}$），$b \leftarrow m_k$，未改善的轮数清零；否则未改善的轮数加一。一点点的下降不算进步。
# 2. 冷却中（冷却计数大于 0）：冷却计数减一，未改善的轮数清零。刚降过学习率的几轮不算作未改善。
# 3. 未改善的轮数**超过** `patience`（耐心）时：$\eta \leftarrow \max(\eta \cdot \mathrm{factor},\ \mathrm{min\_lr})$，冷却计数设为 `cooldown`，未改善的轮数清零。
#
# 注意是“超过”：`patience=2` 时，连续第 3 个未改善的轮才降。学习率的变化不是 $t$ 的函数，没有闭式公式；我们在一串事先写好的指标上，把从零写的规则与 PyTorch 逐步比较。

# %% [markdown] tags=["en"]
# ## 7. `ReduceLROnPlateau`: lower it when the metric stops improving (optional)
#
# ### 7.1 Definition
#
# The schedules so far only look at the step $t$. `ReduceLROnPlateau` looks at a metric: at the end of each epoch you
# call `scheduler.step(metric)` (say the validation loss $m_k$), and it lowers the learning rate only when the metric
# stalls on a plateau. With the defaults `mode="min"` (lower is better) and `threshold_mode="rel"`, it keeps the best
# value so far $b$ (starting at $+\infty$), a count of epochs without improvement (`num_bad_epochs`) and a cooldown
# count, and each call does three things:
#
# 1. Only a clear improvement counts: when
#
#    $$m_k < b\,(1 - \theta)$$
#
#    (the threshold $\theta$ is `threshold`, $10^{-4}$ by default), $b \leftarrow m_k$ and the count of epochs without
#    improvement goes to 0; otherwise it goes up by one. A tiny drop is not an improvement.
# 2. During a cooldown (cooldown count above 0): the cooldown count goes down by one and the count of epochs without
#    improvement is set to 0. The epochs right after a reduction do not count as without improvement.
# 3. When the count of epochs without improvement **exceeds** `patience`:
#    $\eta \leftarrow \max(\eta \cdot \mathrm{factor},\ \mathrm{min\_lr})$, the cooldown count is set to `cooldown`,
#    and the count of epochs without improvement goes to 0.
#
# Note "exceeds": with `patience=2` the learning rate drops at the 3rd epoch in a row without improvement. The learning rate is not a
# function of $t$, so there is no closed form; we compare a from-scratch rule with PyTorch, step by step, on a
# sequence of metrics written in advance.

# %%
class PlateauFromScratch:
    """ReduceLROnPlateau 的规则（mode="min"，相对阈值） /
    the rule of ReduceLROnPlateau (mode="min", relative threshold)."""

    def __init__(self, lr, factor=0.1, patience=10, threshold=1e-4, cooldown=0, min_lr=0.0,
                 eps=1e-8):
        self.lr, self.factor, self.patience, self.threshold = lr, factor, patience, threshold
        self.cooldown, self.min_lr, self.eps = cooldown, min_lr, eps
        self.best, self.num_bad, self.cooldown_left = math.inf, 0, 0

    def step(self, metric):
        if metric < self.best * (1 - self.threshold):  # 明显变好 / a clear improvement
            self.best, self.num_bad = metric, 0
        else:
            self.num_bad += 1
        if self.cooldown_left > 0:  # 冷却中不计数 / no counting during a cooldown
            self.cooldown_left -= 1
            self.num_bad = 0
        if self.num_bad > self.patience:  # 超过，不是达到 / exceeds, not reaches
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_left, self.num_bad = self.cooldown, 0
        return self.lr


def plateau_torch(metrics, lr, **kw):
    p = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([p], lr=lr)
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, **kw)
    out = []
    for m in metrics:
        optimizer.step()
        scheduler.step(m)
        out.append(scheduler.get_last_lr()[0])
    return torch.tensor(out, dtype=torch.float64)


# %% [markdown] tags=["zh"]
# 先在一串写好的损失上逐步看这个规则：第 3 轮只降了 0.0005，低于阈值 $\theta = 0.01$ 要求的 1%，所以算作未改善；连续第 3 个未改善的轮（第 5 轮）学习率减半，接着两轮冷却；第 6 轮是真进步；之后又是平台期。

# %% [markdown] tags=["en"]
# First follow the rule step by step on a written sequence of losses: epoch 3 drops by only 0.0005, less than the 1%
# the threshold $\theta = 0.01$ asks for, so it counts as no improvement; the 3rd such epoch in a row (epoch 5) halves the
# learning rate, and two epochs of cooldown follow; epoch 6 is a real improvement; then another plateau.

# %%
metrics = [1.00, 0.80, 0.70, 0.6995, 0.70, 0.71, 0.69, 0.69, 0.69, 0.69, 0.69, 0.69,
           0.50, 0.50, 0.50]
setting = dict(factor=0.5, patience=2, threshold=0.01, cooldown=2)
rule = PlateauFromScratch(0.1, **setting)
print(" k  metric   best  num_bad  cooldown      lr")
ours = []
for k, m in enumerate(metrics):
    ours.append(rule.step(m))
    print(f"{k:>2}  {m:6.4f}  {rule.best:5.3f}  {rule.num_bad:>7}  {rule.cooldown_left:>8}  "
          f"{rule.lr:6.4f}")
theirs = plateau_torch(metrics, 0.1, **setting)
torch.testing.assert_close(torch.tensor(ours, dtype=torch.float64), theirs, **TOL)

# %%
# 更多设置，在随机游走的指标上 / more settings, on random-walk metrics
g = torch.Generator().manual_seed(0)
walks = [(1 + 0.05 * torch.randn(80, generator=g).cumsum(0)).abs().tolist() for _ in range(3)]
settings = [dict(factor=0.1, patience=0, threshold=0.0, cooldown=0), dict(factor=0.5, patience=3),
            dict(factor=0.3, patience=1, threshold=0.02, cooldown=3, min_lr=0.002)]
reductions = 0
for walk in walks:
    for kw in settings:
        rule = PlateauFromScratch(0.1, **kw)
        ours = torch.tensor([rule.step(m) for m in walk], dtype=torch.float64)
        theirs = plateau_torch(walk, 0.1, **kw)
        torch.testing.assert_close(ours, theirs, **TOL)
        reductions += int((theirs < 0.1).any())
assert reductions == len(walks) * len(settings)  # 每组都真的降过 / every run really reduced the lr

rule = PlateauFromScratch(0.1, **setting)
ours = torch.tensor([rule.step(m) for m in metrics], dtype=torch.float64)
fig, axes = plt.subplots(2, 1, figsize=(7, 4.5), sharex=True)
axes[0].plot(range(len(metrics)), metrics, "o-", ms=3, color="tab:green")
axes[0].set_ylabel(fc.label("损失", "loss"))
axes[0].set_title("ReduceLROnPlateau(factor=0.5, patience=2, threshold=0.01, cooldown=2)",
                  fontsize=9)
axes[0].grid(alpha=0.3)
plot_schedule(axes[1], ours, plateau_torch(metrics, 0.1, **setting), "", steps=True)
axes[1].set_xlabel(fc.label("轮 k", "epoch k"))
fig.tight_layout()
plt.show()
print("ReduceLROnPlateau ✓ 从零写的规则与 PyTorch 逐步一致 / the rule matches PyTorch at every step")
print("    (patience, factor, threshold, cooldown, min_lr; 1 + 9 runs)")

# %% [markdown] tags=["zh"]
# ## 8. `scheduler.step()` 放在哪里
#
# ### 8.1 在 `optimizer.step()` 之后
#
# 创建调度器时，它已经把调度在 $t = 0$ 的值 $\eta_0$ 写进了优化器，所以第一次 `optimizer.step()` 应该用 $\eta_0$。正确的循环是：
#
# ```python
# for epoch in range(epochs):
#     for X, y in train_loader:
#         loss = loss_fn(model(X), y)
#         loss.backward()
#         optimizer.step()
#         optimizer.zero_grad()
#         scheduler.step()        # 按批次调度（OneCycleLR；T_max 以批次计）
#     # 或者：按轮调度，放在这里（StepLR；step_size 以轮计）
#     # scheduler.step()
#     # ReduceLROnPlateau：scheduler.step(val_loss)
# ```
#
# 按批次和按轮二选一，不要两处都调用。如果把 `scheduler.step()` 放在 `optimizer.step()` 之前，第一次更新用的就已经是 $\eta_1$：调度的第一个值被跳过，整个调度提前了一步。PyTorch 能发现这种顺序：第一次 `scheduler.step()` 之前如果还没有调用过 `optimizer.step()`，它就发出一个 `UserWarning`。下面把两种顺序各跑 6 步，记下每次更新实际用的学习率，并把警告捕获后打印出来。

# %% [markdown] tags=["en"]
# ## 8. Where `scheduler.step()` goes
#
# ### 8.1 After `optimizer.step()`
#
# When a scheduler is created it has already written the schedule's value at $t = 0$, $\eta_0$, into the optimizer,
# so the first `optimizer.step()` should use $\eta_0$. The right loop is:
#
# ```python
# for epoch in range(epochs):
#     for X, y in train_loader:
#         loss = loss_fn(model(X), y)
#         loss.backward()
#         optimizer.step()
#         optimizer.zero_grad()
#         scheduler.step()        # per-batch schedule (OneCycleLR; T_max counted in batches)
#     # or: per-epoch schedule, here (StepLR; step_size counted in epochs)
#     # scheduler.step()
#     # ReduceLROnPlateau: scheduler.step(val_loss)
# ```
#
# Per batch or per epoch: one or the other, never both. Put `scheduler.step()` before `optimizer.step()` and the first
# update already uses $\eta_1$: the first value of the schedule is skipped and the whole schedule runs one step early.
# PyTorch can spot this order: if the first `scheduler.step()` comes before any `optimizer.step()`, it gives a
# `UserWarning`. Below we run both orders for 6 steps, record the learning rate each update really uses, and catch and
# print the warning.

# %%
def used_lrs(scheduler_first, steps=6):
    p = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([p], lr=0.1)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)
    used = []
    for _ in range(steps):
        if scheduler_first:
            scheduler.step()  # 错的位置 / the wrong place
        used.append(optimizer.param_groups[0]["lr"])  # 这次更新用的学习率 / the lr this update uses
        optimizer.step()
        if not scheduler_first:
            scheduler.step()  # 对的位置 / the right place
    return used


with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    right = used_lrs(scheduler_first=False)
    n_right = len(caught)
    wrong = used_lrs(scheduler_first=True)
print("先 optimizer 后 scheduler / optimizer then scheduler:", " ".join(f"{lr:g}" for lr in right))
print("先 scheduler 后 optimizer / scheduler then optimizer:", " ".join(f"{lr:g}" for lr in wrong))
assert n_right == 0 and len(caught) == 1
w = caught[0]
print(f"捕获的警告 / caught: {w.category.__name__}: {str(w.message).split('. ')[0]}.")
# 正确的顺序依次用到 η_0, η_1, ... / the right order uses η_0, η_1, ...
assert right == [step_lr(t, 0.1, 2, 0.1) for t in range(6)]

# %% [markdown] tags=["zh"]
# 错误的顺序让第一个台阶提前了一步（第 1 步就用了 0.01），而且从头到尾都早一步。警告只在第一次 `scheduler.step()` 时检查一次。（用混合精度训练时，`GradScaler` 可能因为梯度溢出而跳过第一次 `optimizer.step()`，这时也会出现同样的警告，那种情况无害。）
#
# ### 8.2 按批次还是按轮
#
# 调度器只数 `step()` 的调用次数，所以它的参数必须和调用的频率用同一个单位：
#
# - 按轮调用：`StepLR(step_size=3)` 表示每 3 轮；`CosineAnnealingLR(T_max=epochs)`。
# - 按批次调用：同样的参数就变成每 3 个批次、每 `T_max` 个批次。`T_max` 要改成 `epochs * len(train_loader)`。
#
# 按批次调度让学习率在一轮之内也平滑变化，`OneCycleLR` 和预热通常这样用。最常见的错误是参数按轮设、调用却按批次：下图的 `CosineAnnealingLR(T_max=10)` 本想管 10 轮，按批次调用后每 20 个批次就完成一次“降下去再升回来”，一轮 938 个批次（批次大小 64）里来回约 47 次。

# %% [markdown] tags=["en"]
# The wrong order moves the first step of the schedule one update early (update 1 already uses 0.01), and the whole
# schedule stays one step early. The warning is checked only once, at the first `scheduler.step()`. (With mixed
# precision, `GradScaler` may skip the first `optimizer.step()` because of an overflow; the same warning appears then,
# and is harmless.)
#
# ### 8.2 Per batch or per epoch
#
# A scheduler counts the calls of `step()`, so its arguments must use the same unit as the calls:
#
# - called once per epoch: `StepLR(step_size=3)` means every 3 epochs; `CosineAnnealingLR(T_max=epochs)`.
# - called once per batch: the same arguments mean every 3 batches, every `T_max` batches. `T_max` must become
#   `epochs * len(train_loader)`.
#
# Per-batch scheduling changes the learning rate smoothly within an epoch too; `OneCycleLR` and warm-ups are usually
# used this way. The most common mistake is arguments set in epochs with calls made per batch: below,
# `CosineAnnealingLR(T_max=10)`, meant for 10 epochs, is called per batch and goes down and back up every 20 batches,
# about 47 times within one epoch of 938 batches (batch size 64).

# %%
batches_per_epoch, epochs_planned = 938, 10
wrong_period = lr_trace(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=epochs_planned), 100,
                        lr=1e-3)
right_period = lr_trace(
    lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=epochs_planned * batches_per_epoch), 100,
    lr=1e-3)
torch.testing.assert_close(wrong_period, closed_form(cosine_lr, 100, lr0=1e-3, T_max=10), **TOL)
torch.testing.assert_close(right_period, closed_form(cosine_lr, 100, lr0=1e-3, T_max=9380), **TOL)

fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(wrong_period, color="tab:red",
        label=fc.label("T_max=10，按批次调用（错）", "T_max=10, called per batch (wrong)"))
ax.plot(right_period, color="tab:blue", label=fc.label("T_max=10·938（对）", "T_max=10·938 (right)"))
ax.set_xlabel(fc.label("批次", "batch"))
ax.set_ylabel(fc.label("学习率", "learning rate"))
ax.set_title(fc.label("第一轮的前 100 个批次", "the first 100 batches of epoch 1"), fontsize=9)
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# ### 8.3 在 `fc.fit` 里
#
# `fc.fit(..., scheduler=s)` 在每轮结束、评估之后调用一次 `s.step()`；加上 `scheduler_per_batch=True` 则在每次 `optimizer.step()` 之后调用。对 `ReduceLROnPlateau`，它传入评估集上的损失，也就是 `fit` 的第三个参数给的那个集合。所以要把验证集交给 `fit`（`eval_name="val"`），而不是测试集：降学习率也是一个根据数据做的决定，在测试集上做决定，测试准确率就会偏乐观。第 10 节就是这样做的。

# %% [markdown] tags=["en"]
# ### 8.3 In `fc.fit`
#
# `fc.fit(..., scheduler=s)` calls `s.step()` once at the end of each epoch, after the evaluation; with
# `scheduler_per_batch=True` it calls it after every `optimizer.step()` instead. For `ReduceLROnPlateau` it passes the
# loss on the evaluation set, the one given as `fit`'s third argument. So hand `fit` the validation set
# (`eval_name="val"`), not the test set: lowering the learning rate is a decision made from data too, and a decision
# made on the test set makes the test accuracy optimistic. Section 10 does it this way.

# %% [markdown] tags=["zh"]
# ### 8.4 中断之后接着训练：优化器和调度器也要保存
#
# 长的训练会定期保存检查点（checkpoint），中断之后从它接着训练。第 01 课保存过模型的 `state_dict`；要接着**训练**，这还不够：优化器和调度器也有状态，它们同样有 `state_dict()` 和 `load_state_dict()`。
#
# - `optimizer.state_dict()` 有两部分：`state` 里是每个参数的状态（Adam 的步数 `step` 和两个滑动平均 `exp_avg`、`exp_avg_sq`，即第 08 课的 $m$、$v$）；`param_groups` 里是每组的超参数，包括当前的 `lr` 和调度器创建时记下的 `initial_lr`。
# - `scheduler.state_dict()` 里是调度器的计数 `last_epoch`（就是 $t$）、最近写入的学习率 `_last_lr` 和它的参数。
#
# 下面在一个小模型上试一试：Adam 加第 5 节的预热加余弦（按更新调度），一共 30 次更新，第 $t$ 次更新用第 $t$ 个批次。先跑完 12 次更新（$t = 0, \dots, 11$），把三个 `state_dict` 存下来：经过 `torch.save` 和 `torch.load`，就像写进文件再读回来。

# %% [markdown] tags=["en"]
# ### 8.4 Resuming an interrupted run: save the optimizer and the scheduler too
#
# A long run saves a checkpoint every so often, so that it can go on from there after an interruption. Lesson 01 saved
# the model's `state_dict`; to go on **training**, that is not enough: the optimizer and the scheduler have state
# too, and they too have `state_dict()` and `load_state_dict()`.
#
# - `optimizer.state_dict()` has two parts: `state` holds each parameter's state (for Adam the step count `step` and
#   the two moving averages `exp_avg` and `exp_avg_sq`, lesson 08's $m$ and $v$); `param_groups` holds each group's
#   hyperparameters, the current `lr` and the `initial_lr` the scheduler noted when it was created among them.
# - `scheduler.state_dict()` holds the scheduler's counter `last_epoch` (that is $t$), the learning rates it wrote
#   last, `_last_lr`, and its arguments.
#
# Let us try it on a small model: Adam with the warm-up + cosine of section 5 (stepped per update), 30 updates in
# all, update $t$ on batch $t$. First run 12 updates ($t = 0, \dots, 11$) and save the three `state_dict`s, through
# `torch.save` and `torch.load`, as if written to a file and read back.

# %%
g = torch.Generator().manual_seed(0)
small_X = torch.randn(30, 16, 12, generator=g)  # 30 个批次，每批 16 个样本 / 30 batches of 16
small_y = torch.randint(0, 3, (30, 16), generator=g)


def new_run():
    """小模型、Adam、预热加余弦，每次都一样 / a small model, Adam, warm-up + cosine; always the same."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = make_warmup_cosine(optimizer, start_factor=0.1, warmup=5, total=30)
    return model, optimizer, scheduler


def train_updates(run, start, stop):
    """第 start 到 stop - 1 次更新，第 t 次用第 t 个批次 / updates start .. stop - 1, t on batch t."""
    model, optimizer, scheduler = run
    for t in range(start, stop):
        loss = loss_fn(model(small_X[t]), small_y[t])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()


def save_checkpoint(run):
    """三个 state_dict 写进一个内存里的文件，再读回来 / the three state_dicts through a file in memory."""
    model, optimizer, scheduler = run
    f = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict()}, f)
    f.seek(0)
    return torch.load(f, weights_only=True)


run = new_run()
train_updates(run, 0, 12)
checkpoint = save_checkpoint(run)
adam_state, group = checkpoint["optimizer"]["state"][0], checkpoint["optimizer"]["param_groups"][0]
print(f"optimizer: {list(checkpoint['optimizer'])}; state[0]: {list(adam_state)}, "
      f"step = {adam_state['step'].item():g}")
print(f"optimizer: param_groups[0]: lr = {group['lr']:.3g}, initial_lr = {group['initial_lr']:g}")
print(f"scheduler: last_epoch = {checkpoint['scheduler']['last_epoch']}, "
      f"_last_lr = [{checkpoint['scheduler']['_last_lr'][0]:.3g}]")

# %% [markdown] tags=["zh"]
# `buggy_resume` 像第 01 课那样只载入模型，优化器和调度器都是新建的。`compare_resume` 把一次不间断的 30 次更新与“跑 12 次、存检查点、用 `buggy_resume` 接着跑完”相比，打印续跑的第一次更新用的学习率、Adam 记下的步数，以及最后的参数是否逐位相同（`torch.equal`）：

# %% [markdown] tags=["en"]
# `buggy_resume` loads the model only, as lesson 01 did, and builds a new optimizer and a new scheduler.
# `compare_resume` sets 30 uninterrupted updates against "12 updates, a checkpoint, and `buggy_resume` to finish",
# and prints the learning rate of the first resumed update, Adam's step count, and whether the final parameters are
# equal bit for bit (`torch.equal`):

# %%
def buggy_resume(checkpoint):
    """从检查点重建模型、优化器和调度器（有错） / rebuild model, optimizer, scheduler (buggy)."""
    model = nn.Sequential(nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 3))
    model.load_state_dict(checkpoint["model"])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = make_warmup_cosine(optimizer, start_factor=0.1, warmup=5, total=30)
    return model, optimizer, scheduler


def compare_resume(resume, stop=12, total=30):
    """不间断的 total 次更新，对比在 stop 处中断、用 resume 接着跑 / the uninterrupted run
    against one stopped after `stop` updates and resumed by `resume`."""
    full, stopped = new_run(), new_run()
    train_updates(full, 0, total)
    train_updates(stopped, 0, stop)
    resumed = resume(save_checkpoint(stopped))
    lr, lr_want = resumed[1].param_groups[0]["lr"], stopped[1].param_groups[0]["lr"]
    steps = [int(s["step"]) for s in resumed[1].state_dict()["state"].values()] or [0]
    train_updates(resumed, stop, total)
    same = all(map(torch.equal, resumed[0].parameters(), full[0].parameters()))
    print(f"续跑第一次更新的学习率 / lr of the first resumed update: {lr:.3g}, "
          f"应为 / should be {lr_want:.3g}")
    print(f"Adam 记下的步数 / Adam's step count: {steps[0]}, 应为 / should be {stop}")
    print(f"{total} 次更新后参数逐位相同 / parameters equal bit for bit after {total} updates: {same}")
    return same


assert not compare_resume(buggy_resume)

# %% [markdown] tags=["zh"]
# 新建的调度器从 $t = 0$ 的预热重新开始（学习率 $0.1 \times 0.01$），新建的 Adam 也从第 0 步数起。后者为什么要紧？新建的 Adam 第一步做偏差修正后 $\hat m = g$、$\hat v = g^2$（第 08 课），于是每个权重都移动 $\eta \cdot g / (|g| + \epsilon)$，也就是几乎正好 $\eta$，不管它的梯度多小（只要远大于 $\epsilon = 10^{-8}$）；原来的 Adam 记得过去的梯度，每个权重只移动 $\eta$ 的一部分。下面比较检查点之后的第一次更新（$t = 12$）里，每个权重移动了几个学习率：

# %% [markdown] tags=["en"]
# The new scheduler starts its warm-up again at $t = 0$ (a learning rate of $0.1 \times 0.01$), and the new Adam counts
# its steps from 0 too. Why does the latter matter? After bias correction a new Adam's first step has $\hat m = g$ and
# $\hat v = g^2$ (lesson 08), so every weight moves by $\eta \cdot g / (|g| + \epsilon)$, all but exactly $\eta$,
# however small its gradient (as long as it is well above $\epsilon = 10^{-8}$); the Adam that goes on remembers past
# gradients and moves each weight by a fraction of $\eta$. Below, how many learning rates each weight moves in the
# first update after the checkpoint ($t = 12$):

# %%
def update_sizes(run, t):
    """第 t 次更新里每个权重移动了几个学习率 / how many learning rates each weight moves in update t."""
    before = [p.detach().clone() for p in run[0].parameters()]
    lr = run[1].param_groups[0]["lr"]
    train_updates(run, t, t + 1)
    return torch.cat([(p.detach() - b).abs().flatten() / lr
                      for p, b in zip(run[0].parameters(), before)])


run = new_run()
train_updates(run, 0, 12)
fresh = update_sizes(buggy_resume(save_checkpoint(run)), 12)
going_on = update_sizes(run, 12)
assert torch.allclose(fresh, torch.ones_like(fresh), atol=1e-3)
assert going_on.median() < 0.5 and going_on.max() < 1
print(f"新建的 Adam / a new Adam: |Δθ|/η 最小 / min {fresh.min():.2f}, 最大 / max {fresh.max():.2f}")
print(f"原来的 Adam / the Adam going on: |Δθ|/η 中位数 / median {going_on.median():.2f}, "
      f"最大 / max {going_on.max():.2f}")

# %% [markdown] tags=["zh"]
# 所以只载入模型，续跑就走上了另一条路。三个 `state_dict` 都存下、都载入，续跑才与不间断的训练逐位相同：练习 3 请你修好 `buggy_resume`，它的检查分别在预热中和预热后中断一次，用 `torch.equal` 比较最后的参数。逐位相同还要求同样的批次顺序：打乱顺序的 `DataLoader` 的随机数生成器（`generator`）也是要保存的状态。

# %% [markdown] tags=["en"]
# So with the model alone loaded, the resumed run takes another path. Only with all three `state_dict`s saved and
# loaded does it equal the uninterrupted run bit for bit: exercise 3 asks you to fix `buggy_resume`, and its check
# stops a run once inside the warm-up and once after it and compares the final parameters with `torch.equal`. Bit for
# bit also needs the same order of batches: the random generator (`generator`) of a shuffling `DataLoader` is state to
# save as well.

# %% [markdown] tags=["zh"]
# ## 9. 何时使用
#
# - **常数学习率**：基线，快速实验。每次比较调度都先跑它。
# - **`StepLR` / `MultiStepLR`**：SGD 加动量的经典配方（例如 ResNet 在 50% 和 75% 的轮数处各除以 10）。简单，但台阶的位置要调。
# - **`ExponentialLR`**：一个参数的平滑衰减；$\gamma$ 必须和调用频率配套。
# - **`CosineAnnealingLR`**：知道总步数时的好默认值，只有 $T_{\max}$（等于总步数）一个数，没有台阶位置要调。现代的训练配方大多用它。
# - **预热（`LinearLR` + `SequentialLR`）**：学习率大、批次大、用 Adam 训练 Transformer 之类的深模型时几乎必备，通常几百到几千步。
# - **`OneCycleLR`**：在固定的预算里快速训练；`max_lr` 可以比常数学习率大好几倍，第 10 课用学习率范围测试来选它。记住它也改动量（Adam 的 $\beta_1$）。
# - **`ReduceLROnPlateau`**：不知道要训练多久时，让验证集上的指标来决定；需要每轮都有一个验证指标，反应比较慢、比较粗。
#
# 常见错误：
#
# - `scheduler.step()` 放在 `optimizer.step()` 之前（第 8.1 节的警告）；
# - `T_max`、`step_size` 以轮设置，却按批次调用（或者反过来）；
# - 用 `SequentialLR` 时忘了第二个调度器的时钟从 0 重新开始：余弦要用 `T_max = N - W`；
# - `OneCycleLR` 的 `total_steps` 算少了（最后一轮报 `ValueError`）或算多了（学习率永远降不到底）；
# - 把测试集的指标交给 `ReduceLROnPlateau`；
# - 接着训练时只载入了模型：优化器和调度器的 `state_dict` 也要保存、载入（第 8.4 节）。
#
# 这一课没讲的四个调度器（`MultiplicativeLR`、`ConstantLR`、`CyclicLR`、`ChainedScheduler`）在[第 14 课的附录](14_optim_large.ipynb)里。

# %% [markdown] tags=["en"]
# ## 9. When to use
#
# - **Constant learning rate**: the baseline and quick experiments. Run it first whenever you compare schedules.
# - **`StepLR` / `MultiStepLR`**: the classic recipe for SGD with momentum (a ResNet divided by 10 at 50% and 75% of the
#   epochs, say). Simple, but the positions of the steps need tuning.
# - **`ExponentialLR`**: a smooth decay with one argument; $\gamma$ must match how often it is called.
# - **`CosineAnnealingLR`**: a good default when the total number of steps is known; one number, $T_{\max}$ (the total
#   number of steps), and no step positions to tune. Most modern training recipes use it.
# - **Warm-up (`LinearLR` + `SequentialLR`)**: close to required with large learning rates, large batches, and Adam on
#   deep models such as transformers; usually a few hundred to a few thousand steps.
# - **`OneCycleLR`**: fast training within a fixed budget; `max_lr` can be several times a good constant learning rate,
#   and lesson 10 picks it with an LR range test. Remember that it changes the momentum (Adam's $\beta_1$) too.
# - **`ReduceLROnPlateau`**: when you don't know how long training will take, let a validation metric decide; it needs
#   a validation metric every epoch and reacts late and coarsely.
#
# Common mistakes:
#
# - `scheduler.step()` before `optimizer.step()` (the warning of section 8.1);
# - `T_max` or `step_size` set in epochs but called per batch (or the other way round);
# - with `SequentialLR`, forgetting that the second scheduler's clock restarts at 0: the cosine needs `T_max = N - W`;
# - `total_steps` of `OneCycleLR` too small (`ValueError` in the last epoch) or too large (the learning rate never
#   reaches the bottom);
# - handing a metric of the test set to `ReduceLROnPlateau`;
# - resuming a run with the model alone loaded: the `state_dict`s of the optimizer and the scheduler must be saved and
#   loaded too (section 8.4).
#
# The four schedulers this lesson does not cover (`MultiplicativeLR`, `ConstantLR`, `CyclicLR`,
# `ChainedScheduler`) are in [the appendix of lesson 14](14_optim_large.ipynb).

# %% [markdown] tags=["zh"]
# ## 10. 在 Fashion-MNIST 上
#
# 课程模型不变（`fc.NeuralNetwork()`），优化器是 Adam，批次大小 128，训练 10 轮。同样的预算下比较四种学习率：
#
# - 常数 $10^{-3}$（基线）；
# - `MultiStepLR`：在全部批次的 50% 和 75% 处各乘以 0.1；
# - `CosineAnnealingLR`：从 $10^{-3}$ 按余弦降到 0（`T_max` 为全部批次数）；
# - `OneCycleLR`：`max_lr` 为 $3 \times 10^{-3}$，先升后降。
#
# 四个调度器都按批次调用。四次训练用同一个种子：同样的初始权重、同样的批次顺序，差别只来自学习率。
#
# 为什么调度可能有用？小批量的梯度带噪声，学习率不变时，参数会在一个好位置附近一直晃动；三种调度都在最后把学习率降得很低，正好把晃动收掉。
#
# 这是在几种调度之间做选择，所以和第 07、08 课一样：只用 50,000 张图片训练，在固定留出的 10,000 张验证图片上比较和挑选（`val_size=10_000`，`fit` 的评估集是验证集，`eval_name="val"`）；挑中的那一种最后在测试集上只看一次。训练的输出因机器而异，所以这个单元格不比较输出。

# %% [markdown] tags=["en"]
# ## 10. On Fashion-MNIST
#
# The course model is unchanged (`fc.NeuralNetwork()`), the optimizer is Adam, batch size 128, 10 epochs. With the same
# budget we compare four learning rates:
#
# - a constant $10^{-3}$ (the baseline);
# - `MultiStepLR`: multiplied by 0.1 at 50% and at 75% of all batches;
# - `CosineAnnealingLR`: from $10^{-3}$ down to 0 along a cosine (`T_max` is the number of all batches);
# - `OneCycleLR`: `max_lr` of $3 \times 10^{-3}$, up and then down.
#
# All four schedulers are stepped per batch. The four runs use the same seed: the same initial weights and the same
# order of batches, so any difference comes from the learning rate.
#
# Why might a schedule help? Mini-batch gradients are noisy; with a constant learning rate the parameters keep
# jittering around a good place. All three schedules bring the learning rate very low at the end, which is just what
# removes the jitter.
#
# This is a choice between schedules, so we do as in lessons 07 and 08: train on 50,000 images only, compare and choose
# on the 10,000 validation images held out (`val_size=10_000`; `fit` evaluates on the validation set,
# `eval_name="val"`), and look at the test set once, at the end, for the chosen schedule. The training output varies
# from machine to machine, so this cell's output is not compared.

# %% tags=["nbval-ignore-output", "grading-skip"]
epochs, batch_size, learning_rate, seed = 10, 128, 1e-3, 0
SCHEDULES = {  # 名字：调度器工厂(optimizer, 总批次数) / name: scheduler factory(optimizer, total batches)
    "constant": None,
    "MultiStepLR": lambda o, n: lr_scheduler.MultiStepLR(o, [n // 2, 3 * n // 4], gamma=0.1),
    "cosine": lambda o, n: lr_scheduler.CosineAnnealingLR(o, T_max=n),
    "OneCycleLR": lambda o, n: lr_scheduler.OneCycleLR(o, max_lr=3e-3, total_steps=n),
}
histories, models, lr_used = {}, {}, {}
for name, make_scheduler in SCHEDULES.items():
    fc.set_seed(seed)
    models[name] = fc.NeuralNetwork().to(device)
    train_loader, val_loader, test_loader = fc.get_tensor_loaders(
        batch_size, device, generator=torch.Generator().manual_seed(seed), val_size=10_000)
    optimizer = torch.optim.Adam(models[name].parameters(), lr=learning_rate)
    total = epochs * len(train_loader)
    scheduler = make_scheduler(optimizer, total) if make_scheduler else None
    histories[name] = fc.fit(models[name], train_loader, val_loader, loss_fn, optimizer, epochs,
                             scheduler=scheduler, scheduler_per_batch=True, eval_name="val",
                             progress=False, verbose=False)
    lr_used[name] = optimizer.param_groups[0]["lr"]
print(f"每轮 {len(train_loader)} 个批次，共 {total} 个 / "
      f"{len(train_loader)} batches per epoch, {total} in all")
print(f"{fc.pad('调度 / schedule', 16)}{fc.pad('最后的学习率 / final lr', 26, '>')}"
      f"{fc.pad('训练损失 / train loss', 24, '>')}{fc.pad('验证准确率 / val acc', 22, '>')}")
for name, h in histories.items():
    print(f"{name:<16}{lr_used[name]:>26.2e}{h[-1]['train_loss']:>24.4f}"
          f"{100 * h[-1]['val_acc']:>21.2f}%")

# %% tags=["grading-skip"]
fig = fc.plot_histories(histories, metrics=("train_loss", "val_loss", "val_acc"), size=(12, 3.5),
                        title=fc.label("四种学习率，10 轮", "four learning rates, 10 epochs"))
plt.show()

# %% tags=["grading-skip"]
val_acc = {name: h[-1]["val_acc"] for name, h in histories.items()}
curve = {name: [e["val_acc"] for e in h] for name, h in histories.items()}
scheduled = ("MultiStepLR", "cosine", "OneCycleLR")
# 第一次降低之前，MultiStepLR 就是常数学习率 / before its first drop, MultiStepLR is the constant run
assert all(a[k] == b[k] for a, b in zip(histories["constant"][:5], histories["MultiStepLR"][:5])
           for k in ("train_loss", "val_loss", "val_acc"))
# 降低之后立刻跳高，然后几乎不动 / a jump right after the drop, then it hardly moves
step_acc = curve["MultiStepLR"]
assert step_acc[5] > step_acc[4] + 0.003 and max(step_acc[5:]) - min(step_acc[5:]) < 0.01, step_acc
# 余弦前两轮接近常数，之后继续上升 / the cosine stays close for two epochs, then keeps climbing
assert all(abs(c - k) < 0.01 for c, k in zip(curve["cosine"][:2], curve["constant"][:2]))
assert curve["cosine"][-1] > curve["cosine"][4] + 0.005, curve["cosine"]
# OneCycleLR 先用更大的学习率：第 1 轮训练损失更高 / OneCycleLR's larger early lr: a higher first loss
assert histories["OneCycleLR"][0]["train_loss"] > histories["constant"][0]["train_loss"] + 0.1
# 10 轮后没有一种调度比常数学习率差，最好的那种至少高 0.2 个百分点
# after 10 epochs no schedule is below the constant lr, and the best is at least 0.2 points above
assert all(val_acc[n] > val_acc["constant"] for n in scheduled), val_acc
assert max(val_acc[n] for n in scheduled) > val_acc["constant"] + 0.002, val_acc
final_loss = {name: h[-1]["train_loss"] for name, h in histories.items()}
assert all(final_loss[n] < final_loss["constant"] for n in scheduled), final_loss
# 训练损失与验证损失的差距变大 / the gap between the training and the validation loss grows
assert all(h[-1]["val_loss"] - h[-1]["train_loss"] > h[0]["val_loss"] - h[0]["train_loss"] + 0.1
           for h in histories.values())
print("验证集 ✓ 前 5 轮 MultiStepLR 与常数学习率完全相同，第一次降低后立刻跳高")
print("val ✓ MultiStepLR equals the constant for 5 epochs and jumps right after its first drop")
print("验证集 ✓ 三种调度都高于常数学习率，最好的那种至少高 0.2 个百分点")
print("val ✓ all three schedules are above the constant lr, the best by ≥ 0.2 points")

# %% [markdown] tags=["zh"]
# 在验证集上挑出最好的调度，只对它在测试集上评估一次。挑中的是哪一种可能随机器和种子变化，所以这个单元格不比较输出。

# %% [markdown] tags=["en"]
# Choose the best schedule on the validation set and evaluate it, and only it, once on the test set. Which one wins
# may change with the machine and the seed, so this cell's output is not compared.

# %% tags=["nbval-ignore-output", "grading-skip"]
chosen = max(val_acc, key=val_acc.get)
assert chosen in scheduled, val_acc  # 挑选只用验证集 / the choice uses the validation set only
# 测试集只看这一次，只打印，不断言 / the one look at the test set: printed, never asserted
test_loss, test_acc = fc.evaluate(models[chosen], test_loader, loss_fn)
test_se = (test_acc * (1 - test_acc) / len(test_loader.dataset)) ** 0.5  # 标准误 / standard error
print(f"在验证集上挑中 / chosen on the validation set: {chosen}")
print(f"验证准确率 / val acc {100 * val_acc[chosen]:.2f}%   "
      f"测试准确率 / test acc {100 * test_acc:.2f}% ± {100 * test_se:.2f}")

# %% [markdown] tags=["zh"]
# 图和表里看到的：前 5 轮 `MultiStepLR` 的学习率还没变，它的曲线和常数学习率完全重合；第一次乘以 0.1 之后，验证准确率立刻跳高，之后就几乎不动了。余弦一开始很平，前两轮和常数学习率很接近，之后学习率越来越小，验证准确率继续上升。`OneCycleLR` 前 3 轮把学习率升到 $3 \times 10^{-3}$，训练损失一开始明显更高，后面再追上来。常数学习率的步子始终不变，后几轮的验证准确率有的种子上下起伏，有的种子慢慢上升；三种调度 10 轮后都比它高（检查要求最好的那种至少高 0.2 个百分点），训练损失也更低。训练损失和验证损失之间的差距在所有四次训练里都在变大：模型越来越贴合训练集，这是过拟合的开始；在 10 轮这个预算里，它还没有让验证准确率下降。
#
# 挑选只看验证集，挑中的调度在测试集上只评估了一次，所以这个测试准确率没有被挑选过程“用过”。比的是几套**配方**，不只是曲线的形状：`OneCycleLR` 的最高学习率是另外几种的 3 倍，它还同时调度 Adam 的 $\beta_1$（第 6.1 节），所以它领先不能只归功于“先升后降”。我们在笔记本之外把这一节跑了 9 次：3 个验证划分（课程的划分，以及换了划分种子的另外两个）× 3 个种子，1 个线程（`benchmarks/claims_spread.py`）。9 次里这一节的断言全部成立。下表是 10 轮后的验证准确率，三种调度列出的是比常数学习率高出的百分点：
#
# | 划分 | 种子 | 常数学习率 | `MultiStepLR` | 余弦 | `OneCycleLR` |
# |---|---|---|---|---|---|
# | 0（课程的划分） | 0 | 88.36% | +0.75 | +0.97 | +1.11 |
# | 0 | 1 | 89.08% | +0.08 | +0.28 | +0.23 |
# | 0 | 2 | 88.63% | +0.42 | +0.76 | +0.92 |
# | 1 | 0 | 88.58% | +1.29 | +1.59 | +1.09 |
# | 1 | 1 | 88.89% | +0.66 | +1.24 | +1.04 |
# | 1 | 2 | 89.74% | +0.05 | +0.31 | +0.19 |
# | 2 | 0 | 89.52% | +0.40 | +0.78 | +0.69 |
# | 2 | 1 | 89.44% | +0.40 | +0.70 | +0.61 |
# | 2 | 2 | 88.30% | +1.58 | +1.84 | +1.92 |
#
# 9 次里三种调度都高于常数学习率，但高多少随种子和划分变化很大（0.05 到 1.9 个百分点）。哪一种最好也在变：余弦 6 次，`OneCycleLR` 3 次，领先第二名都不超过 0.3 个百分点。所以断言只要求“不比常数差、最好的那种至少高 0.2 个百分点”（9 次里最好的那种至少高 0.31）。这只是一种模型、10 轮的结果：它说明调度值得一试，而不是说哪一种调度永远最好。

# %% [markdown] tags=["en"]
# What the figure and the table show: for 5 epochs the learning rate of `MultiStepLR` has not changed yet, and its
# curves lie exactly on those of the constant learning rate; after the first multiplication by 0.1 the validation
# accuracy jumps up and then hardly moves. The cosine starts flat and stays close to the constant learning rate for the
# first two epochs; then its learning rate keeps shrinking and its validation accuracy keeps climbing. `OneCycleLR` raises
# the learning rate to $3 \times 10^{-3}$ over the first 3 epochs, starts with a clearly higher training loss and
# catches up later. The constant learning rate keeps its step size: over the last epochs its validation accuracy goes
# up and down for some seeds and creeps up for others; after 10 epochs all three schedules are above it (the check
# asks for at least 0.2 points for the best of them), with a lower training loss too. In all four runs the gap between
# the training and the validation loss grows: the model fits the training set more and more closely, the start of
# overfitting; within this 10-epoch budget it has not yet pulled the validation accuracy down.
#
# The choice looked only at the validation set, and the chosen schedule was evaluated on the test set once, so this
# test accuracy has not been used up by the choice. What is compared are **recipes**, not only the shapes of the
# curves: `OneCycleLR`'s peak learning rate is 3 times the others', and it also schedules Adam's $\beta_1$ (section
# 6.1), so its lead cannot be put down to "up, then down" alone. Outside the notebook we ran this section 9 times: 3
# validation splits (the course's, and two more drawn with another split seed) × 3 seeds, at 1 thread
# (`benchmarks/claims_spread.py`). Every assert of this section held in all 9. The validation accuracy after 10
# epochs, with the three schedules as points above the constant learning rate:
#
# | split | seed | constant lr | `MultiStepLR` | cosine | `OneCycleLR` |
# |---|---|---|---|---|---|
# | 0 (the course's) | 0 | 88.36% | +0.75 | +0.97 | +1.11 |
# | 0 | 1 | 89.08% | +0.08 | +0.28 | +0.23 |
# | 0 | 2 | 88.63% | +0.42 | +0.76 | +0.92 |
# | 1 | 0 | 88.58% | +1.29 | +1.59 | +1.09 |
# | 1 | 1 | 88.89% | +0.66 | +1.24 | +1.04 |
# | 1 | 2 | 89.74% | +0.05 | +0.31 | +0.19 |
# | 2 | 0 | 89.52% | +0.40 | +0.78 | +0.69 |
# | 2 | 1 | 89.44% | +0.40 | +0.70 | +0.61 |
# | 2 | 2 | 88.30% | +1.58 | +1.84 | +1.92 |
#
# All three schedules were above the constant learning rate in all 9 runs, but by how much varied a lot with the seed
# and the split (0.05 to 1.9 points). Which one was best varied too: the cosine 6 times, `OneCycleLR` 3 times, never
# more than 0.3 points ahead of the runner-up. So the check asks only that none is below the constant and that the best
# is at least 0.2 points above it (in the 9 runs the best was at least 0.31 above). That is one model and 10 epochs:
# it says a schedule is worth trying, not that one schedule always wins.

# %% [markdown] tags=["zh"]
# ## 11. 练习
#
# 三个练习：第一个把课里的方法用到一个新的调度器上，第二个先预测、再运行，第三个找出错误。
#
# ### 练习 1：`PolynomialLR`
#
# `PolynomialLR(optimizer, total_iters=T, power=p)` 让学习率沿一条 $p$ 次多项式曲线下降，在 $t = T$ 时正好降到 0，之后一直是 0；`power=1` 就是线性衰减。写出 `poly_lr(t, lr0, total_iters, power)`，返回第 $t$ 步的学习率。“$p$ 次多项式、在 $T$ 处为 0”不止一种写法：先在一个草稿单元格里用 `lr_trace`（第 1.2 节）看看 `PolynomialLR` 在 `power=2` 时给出的值，确定 PyTorch 用的是哪一种。检查单元格把你的函数与 `PolynomialLR` 在整个过程中逐步比较，出错时指出可能的错误。

# %% [markdown] tags=["en"]
# ## 11. Exercises
#
# Three exercises: the first takes the lesson's method to a scheduler it did not cover, the second asks for a
# prediction before you run the code, the third for a bug hunt.
#
# ### Exercise 1: `PolynomialLR`
#
# `PolynomialLR(optimizer, total_iters=T, power=p)` lowers the learning rate along a polynomial of degree $p$, reaching
# exactly 0 at $t = T$ and staying at 0 afterwards; `power=1` is a linear decay. Write `poly_lr(t, lr0, total_iters,
# power)`, the learning rate at step $t$. "A polynomial of degree $p$ that is 0 at $T$" can be written more than one
# way: first look, in a scratch cell, at what `lr_trace` (section 1.2) gives for `PolynomialLR` with `power=2`, and
# find out which one PyTorch uses. The check cell compares your function with `PolynomialLR` at every step of whole
# runs and names the likely mistake when there is one.

# %% nbgrader={"grade": false, "grade_id": "l09_ex1_poly", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-transfer"]
def poly_lr(t, lr0, total_iters, power):
    ### BEGIN SOLUTION
    return lr0 * (1 - min(t, total_iters) / total_iters) ** power
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "l09_ex1_poly_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex1_poly_lr(poly_lr)

# %% [markdown] tags=["zh"]
# ### 练习 2：预热之后的 `MultiStepLR`（先预测，再运行）
#
# 第 10 节的 `MultiStepLR` 在全部更新的 50% 和 75% 处降低学习率。一共 20 次更新时，这就是 `milestones=[10, 15]`。现在在它前面加上 4 次更新的预热：
#
# ```python
# warm = lr_scheduler.LinearLR(optimizer, start_factor=0.25, total_iters=4)
# steps = lr_scheduler.MultiStepLR(optimizer, milestones=[10, 15], gamma=0.1)
# scheduler = lr_scheduler.SequentialLR(optimizer, [warm, steps], milestones=[4])
# ```
#
# 优化器的学习率是 0.1，循环按第 8.1 节的顺序调用。学习率第一次变成 0.01 的是哪一次更新（像第 1.1 节那样从 $t = 0$ 数起）？先读一读答案后面的那个单元格，但**先别运行**：让 `predict_first_drop()` 返回你预测的 $t$（一个整数），再运行那个单元格对照，最后运行检查。

# %% [markdown] tags=["en"]
# ### Exercise 2: `MultiStepLR` after a warm-up (predict, then run)
#
# The `MultiStepLR` of section 10 lowers the learning rate at 50% and at 75% of all updates. With 20 updates in all,
# that is `milestones=[10, 15]`. Now put a warm-up of 4 updates in front of it:
#
# ```python
# warm = lr_scheduler.LinearLR(optimizer, start_factor=0.25, total_iters=4)
# steps = lr_scheduler.MultiStepLR(optimizer, milestones=[10, 15], gamma=0.1)
# scheduler = lr_scheduler.SequentialLR(optimizer, [warm, steps], milestones=[4])
# ```
#
# The optimizer's learning rate is 0.1, and the loop calls them in the order of section 8.1. Which update (counted from
# $t = 0$, as in section 1.1) is the first to use a learning rate of 0.01? Read the cell after your answer but **do not
# run it yet**: make `predict_first_drop()` return the $t$ you predict (an integer), then run that cell to compare, and
# then the check.

# %% nbgrader={"grade": false, "grade_id": "l09_ex2_first_drop", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-predict"]
def predict_first_drop():
    ### BEGIN SOLUTION
    # MultiStepLR 的时钟在第 4 次更新从 0 开始 / MultiStepLR's clock starts at 0 at update 4
    return 4 + 10
    ### END SOLUTION


# %%
def warmup_then_steps(optimizer):
    warm = lr_scheduler.LinearLR(optimizer, start_factor=0.25, total_iters=4)
    steps = lr_scheduler.MultiStepLR(optimizer, milestones=[10, 15], gamma=0.1)
    return lr_scheduler.SequentialLR(optimizer, [warm, steps], milestones=[4])


lrs = lr_trace(warmup_then_steps, 20, lr=0.1)
print("t =  0 ..  9:", " ".join(f"{lr:.3g}" for lr in lrs[:10].tolist()))
print("t = 10 .. 19:", " ".join(f"{lr:.3g}" for lr in lrs[10:].tolist()))
first = next(t for t, lr in enumerate(lrs.tolist()) if math.isclose(lr, 0.01))
print(f"第一次用 0.01 的更新 / the first update at 0.01: t = {first}")

# %% nbgrader={"grade": true, "grade_id": "l09_ex2_first_drop_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex2_first_drop(predict_first_drop)

# %% [markdown] tags=["zh"]
# ### 练习 3：接着训练，找出错误
#
# 第 8.4 节的 `buggy_resume(checkpoint)` 从检查点重建模型、优化器和调度器，交回 `(model, optimizer, scheduler)`，让训练从中断处接着走；但它的续跑与不间断的训练走上了不同的路。它少了两样东西，而且加在哪里也有讲究。在答案单元格里写出改好的 `resume(checkpoint)`：签名不变，模型、优化器（Adam，`lr=0.01`）和调度器（`make_warmup_cosine(optimizer, start_factor=0.1, warmup=5, total=30)`）与 `buggy_resume` 里的一样。在草稿单元格里运行 `compare_resume(resume)`：改好之后，它打印的三行都要与不间断的训练一致。检查分别在第 3 次更新之后（预热中）和第 12 次更新之后中断，并说出还剩哪些错误。

# %% [markdown] tags=["en"]
# ### Exercise 3: resuming a run, find the bugs
#
# `buggy_resume(checkpoint)` of section 8.4 rebuilds the model, the optimizer and the scheduler from a checkpoint and
# returns `(model, optimizer, scheduler)`, so that training goes on from where it stopped; but its resumed run takes
# another path than the uninterrupted one. Two things are missing from it, and where you add them matters. Write the
# fixed `resume(checkpoint)` in the answer cell: the same signature, and the same model, optimizer (Adam, `lr=0.01`)
# and scheduler (`make_warmup_cosine(optimizer, start_factor=0.1, warmup=5, total=30)`) as in `buggy_resume`. Run
# `compare_resume(resume)` in a scratch cell: once fixed, all three lines it prints must agree with the uninterrupted
# run. The check stops a run after update 3 (inside the warm-up) and after update 12, and names the bugs still there.

# %% nbgrader={"grade": false, "grade_id": "l09_ex3_resume", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-debug"]
def resume(checkpoint):
    ### BEGIN SOLUTION
    model = nn.Sequential(nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = make_warmup_cosine(optimizer, start_factor=0.1, warmup=5, total=30)
    # 先全部建好再载入：新建调度器会改写优化器里的 lr
    # build everything, then load: building a scheduler overwrites the optimizer's lr
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    return model, optimizer, scheduler
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "l09_ex3_resume_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex3_resume(resume)

# %% [markdown] tags=["zh"]
# ## 小结
#
# - 学习率调度器只数 `scheduler.step()` 的调用次数 $t$，把 $\eta_t$ 写进优化器；`get_last_lr()` 返回它。参数（`step_size`、`T_max`、`total_iters`、`total_steps`）和调用频率用同一个单位。
# - `StepLR`、`MultiStepLR`、`ExponentialLR`、`CosineAnnealingLR`、`LinearLR`、`SequentialLR` 和 `OneCycleLR` 的闭式公式都在整个过程中与 `get_last_lr()` 逐步一致；`OneCycleLR` 还同时调度 Adam 的 $\beta_1$。`SequentialLR` 里后一个调度器的时钟从 0 重新开始，它的 `T_max`、里程碑都从交接处数起。选读部分：`CosineAnnealingWarmRestarts` 的闭式公式，以及 `ReduceLROnPlateau` 的规则（`patience`、`factor`、`threshold`、`cooldown`）在写好的指标上与 PyTorch 一致。
# - `scheduler.step()` 放在 `optimizer.step()` 之后；放反了，第一个值被跳过，PyTorch 会警告。
# - 接着训练要模型、优化器和调度器三个 `state_dict`：新建的 Adam 从头做偏差修正（第一步每个权重都移动 $\eta$），新建的调度器从 $t = 0$ 重新开始。三个都载入，续跑才与不间断的训练逐位相同。
# - 在 Fashion-MNIST 上，同样 10 轮，三种按批次的调度在验证集上都高于常数学习率的 Adam（3 个种子上高出 0.1 到 1.1 个百分点）；比的是配方，`OneCycleLR` 的最高学习率是别的 3 倍，还调度了 $\beta_1$。在验证集上挑出一种，测试集只对它看一次。
#
# 下一课是综合实战：[10 综合实战：从 65% 到 90%](10_capstone.ipynb)，把这些调度和前面各课学到的东西合在一起，用不变的模型把准确率从教程的 65% 左右提高到 90%。

# %% [markdown] tags=["en"]
# ## Summary
#
# - A learning-rate scheduler only counts the calls $t$ of `scheduler.step()` and writes $\eta_t$ into the optimizer;
#   `get_last_lr()` returns it. Its arguments (`step_size`, `T_max`, `total_iters`, `total_steps`) use the same unit as
#   the calls.
# - The closed forms of `StepLR`, `MultiStepLR`, `ExponentialLR`, `CosineAnnealingLR`, `LinearLR`, `SequentialLR` and
#   `OneCycleLR` match `get_last_lr()` at every step of a whole run; `OneCycleLR` also schedules Adam's $\beta_1$. In
#   `SequentialLR` the clock of the second scheduler starts again at 0: its `T_max` and milestones count from the
#   hand-over. Optional: the closed form of `CosineAnnealingWarmRestarts`, and the rule of `ReduceLROnPlateau`
#   (`patience`, `factor`, `threshold`, `cooldown`) matching PyTorch on written metrics.
# - `scheduler.step()` goes after `optimizer.step()`; the other way round skips the first value, and PyTorch warns.
# - Resuming a run takes three `state_dict`s, the model's, the optimizer's and the scheduler's: a new Adam starts bias
#   correction again (its first step moves every weight by $\eta$), a new scheduler starts again at $t = 0$. With all
#   three loaded, the resumed run equals the uninterrupted one bit for bit.
# - On Fashion-MNIST, in the same 10 epochs, three per-batch schedules are all above Adam with a constant learning
#   rate on the validation set (by 0.1 to 1.1 points over 3 seeds); these are recipes compared, `OneCycleLR` with 3
#   times the others' peak learning rate and a scheduled $\beta_1$. We choose one on the validation set and look at
#   the test set once, for that one.
#
# Next, the capstone: [10 Capstone: from 65% to 90%](10_capstone.ipynb) puts these schedules together with everything
# before them, to take the unchanged model from the tutorial's 65% or so to 90%.
