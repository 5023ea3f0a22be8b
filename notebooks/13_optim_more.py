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
# # 13 更多优化器
#
# 上一课：[12 多标签、计数、不确定性与序列的损失](12_losses_structured.ipynb) · 下一课：[14 大模型的优化器与其余调度器](14_optim_large.ipynb)
#
# 预计用时：约 90 分钟，另加约 40 分钟的选读部分。标为“选读”的部分第一次可以跳过，练习用不到它们：第 1 节（对照用的工具）、每个优化器的“从零实现，与 PyTorch 对照”小节（第 2.4–6.4 节和第 8.3 节）以及第 9 节（七个优化器在二维曲面上）。
#
# 第 07、08 课讲了 SGD、Adagrad、RMSprop、Adam 和 AdamW。`torch.optim` 里还有七个优化器，这一课把它们讲完：Adadelta、Adamax、NAdam 和 RAdam 各自只改动了 Adam 家族的一处；ASGD 在 SGD 之外再对参数取平均；Rprop 和 L-BFGS 要在整批数据上用，L-BFGS 还要你传进一个闭包（closure）。每个公式都照着 PyTorch 的源码（`torch/optim/*.py`）写；PyTorch 与论文不同的地方，会指出来并用代码演示。
#
# 学完这一课，你能够：
#
# - 写出这七个优化器在 PyTorch 里的更新公式，并说出每一个相对 Adam 或 SGD 改了什么；
# - 指出 PyTorch 与论文不同的几处：Adamax 的 $\epsilon$ 放在 max 里面，NAdam 的动量调度（momentum schedule），RAdam 的阈值 5，ASGD 的步长调度和默认要到第一百万步才开始的平均；
# - （选读部分）从零实现它们，并证明在课程模型上训练 100 步后与 `torch.optim` 的参数一致（Rprop 和 L-BFGS 则在一个小的整批问题上迭代 100 次）；
# - 用闭包调用 `LBFGS.step(closure)`，说清 `line_search_fn="strong_wolfe"` 保证了什么、没有保证什么；
# - 在课程任务上（课程模型，3 个种子，验证集）比较 Adam 与 NAdam、RAdam、Adamax、Adadelta，说出测量结果支持什么、不支持什么；
# - 知道每一个优化器在什么情况下有人用。

# %% [markdown] tags=["en"]
# # 13 More optimizers
#
# Previous: [12 Losses for multi-label, counts, uncertainty and sequences](12_losses_structured.ipynb) · Next: [14 Optimizers for large models, and the remaining schedulers](14_optim_large.ipynb)
#
# Time: about 90 min, plus about 40 min for the optional sections. The parts marked optional can be skipped on a
# first reading, and the exercises do not need them: section 1 (tools for the checks), each optimizer's "from scratch,
# checked against PyTorch" subsection (sections 2.4-6.4 and 8.3) and section 9 (the seven on two-dimensional surfaces).
#
# Lessons 07 and 08 covered SGD, Adagrad, RMSprop, Adam and AdamW. `torch.optim` has seven more optimizers, and this
# lesson covers them: Adadelta, Adamax, NAdam and RAdam each change one thing in the Adam family; ASGD adds an average of
# the parameters to SGD; Rprop and L-BFGS are meant for the full batch, and L-BFGS asks you for a closure. Every formula
# is written from PyTorch's source (`torch/optim/*.py`); where PyTorch differs from the paper, we say so and show it in
# code.
#
# After this lesson you can:
#
# - write the update of each of the seven as PyTorch implements it, and say what each changes relative to Adam or SGD;
# - point out where PyTorch differs from the papers: Adamax's $\epsilon$ inside the max, NAdam's momentum schedule,
#   RAdam's threshold of 5, ASGD's step-size schedule and its averaging, which by default starts only at step one million;
# - (in the optional parts) implement them from scratch and prove that after 100 steps on the course model their
#   parameters equal those of `torch.optim` (for Rprop and L-BFGS: 100 iterations on a small full-batch problem);
# - call `LBFGS.step(closure)` with a closure, and say what `line_search_fn="strong_wolfe"` guarantees and what it does not;
# - compare Adam with NAdam, RAdam, Adamax and Adadelta on the course task (the course model, 3 seeds, validation), and
#   say what the measurements do and do not support;
# - know when anyone uses each of them.

# %%
import inspect
import math
import time

import matplotlib.pyplot as plt
import torch
from torch import nn

import fmnist_core as fc
from fmnist_core.checks import lesson13 as check

# 逐位对照都在 CPU 上用 float64 做：GPU 上 torch.optim 默认用 foreach 实现，舍入的顺序不同
# the exact checks run in float64 on the CPU: on a GPU torch.optim defaults to foreach, which rounds
# in another order
device64 = torch.device("cpu")
fc.plot.cjk_font()  # 有中文字体就用 / use a CJK font when there is one
loss_fn = nn.CrossEntropyLoss()
lesson_start = time.perf_counter()

# %% [markdown] tags=["zh"]
# ## 1. 对照用的工具（选读）
#
# 和第 08 课一样，每个从零实现的优化器都与 `torch.optim` 对照：两边各训练一个同样初始化的 `float64` 课程模型 100 步（同样的 100 个真实批次，每批 16 张），然后用 `assert_close` 比较全部参数。每个优化器至少对照两组设置，其中一组把每个构造参数都改成非默认值。`both` 顺便记下两边的最大差，第 9 节最后把它们打印出来。
#
# - `maximize=True` 让优化器沿梯度**上升**，从零实现里只是先把梯度取负。为了在同一个训练循环里检查它，打开它的那一组把损失取负后再求梯度：最大化 $-L$ 就是最小化 $L$。
# - `foreach`、`capturable`、`differentiable` 只改变计算的方式：`foreach` 把多个张量合成一次运算，`capturable` 让这一步能被 CUDA Graph 捕获，`differentiable` 让 autograd 能穿过 `step()` 求导。它们都不改变公式；第 9 节检查 `foreach=True` 与 `foreach=False` 的结果一致。
# - 从零实现尽量使用与 PyTorch 相同的逐元素运算（`lerp_`、`addcmul_`、`add(..., alpha=...)`），注释里写出它们对应的公式，例如 `m.lerp_(g, 1 - β1)` 就是 $m + (1 - \beta_1)(g - m) = \beta_1 m + (1 - \beta_1) g$。这是因为自适应方法要除以 $\sqrt{v} + \epsilon$：有些参数的梯度几乎总是 0，分母非常小，两边哪怕只差一次舍入，100 步后也可能被放大到超过 `float64` 的默认容差。同样的原因，这些对照都在 CPU 上做：在 GPU 上，`torch.optim` 默认改用 `foreach` 实现，运算顺序不同。
# - `moves` 给一个一维参数喂一串指定的梯度，记下每一步移动的距离，用来画几个直觉图。

# %% [markdown] tags=["en"]
# ## 1. Tools for the checks (optional)
#
# As in lesson 08, each from-scratch optimizer is compared with `torch.optim`: each trains an identically initialized
# `float64` course model for 100 steps (the same 100 real batches of 16 images), and `assert_close` compares all the
# parameters. Each optimizer is checked with at least two settings, one of which changes every constructor argument from
# its default. `both` also records the largest difference between the two; section 9 prints them at the end.
#
# - `maximize=True` makes the optimizer climb the gradient; from scratch, it just negates the gradient first. To check
#   it in the same training loop, the setting that turns it on negates the loss before the backward pass: maximizing
#   $-L$ is minimizing $L$.
# - `foreach`, `capturable` and `differentiable` change only how the step is computed: `foreach` fuses the tensors into
#   one operation, `capturable` lets a CUDA Graph capture the step, `differentiable` lets autograd differentiate through
#   `step()`. None of them changes the formula; section 9 checks that `foreach=True` and `foreach=False` agree.
# - The from-scratch versions use the same element-wise operations as PyTorch where they can (`lerp_`, `addcmul_`,
#   `add(..., alpha=...)`), with the formula each stands for in a comment; `m.lerp_(g, 1 - β1)`, for one, is
#   $m + (1 - \beta_1)(g - m) = \beta_1 m + (1 - \beta_1) g$. The reason: adaptive methods divide by
#   $\sqrt{v} + \epsilon$, some parameters have gradients that are nearly always 0 and so a tiny denominator, and a
#   single rounding difference between the two sides can grow within 100 steps beyond the default `float64` tolerance.
#   For the same reason these checks run on the CPU: on a GPU, `torch.optim` switches to its `foreach` implementation by
#   default, which computes in another order.
# - `moves` feeds a 1-D parameter a given sequence of gradients and records how far each step moves it, for a few
#   intuition figures.

# %%
X_train, y_train = fc.load_tensors(train=True, device=device64)
n_steps, batch = 100, 16
X_steps = X_train[:n_steps * batch].double()  # 100 个真实批次，顺序固定 / 100 real batches
y_steps = y_train[:n_steps * batch]
LARGEST = {}  # 每个类与 PyTorch 的最大差 / the largest difference from PyTorch, per class


def train_steps(make_optimizer, maximize=False, steps=n_steps, seed=0):
    """训练一个新的 float64 课程模型 steps 步，返回参数和优化器；maximize 时损失取负 /
    train a fresh float64 course model; return its parameters and the optimizer. With maximize
    the loss is negated: maximizing −L minimizes L."""
    fc.set_seed(seed)
    model = fc.NeuralNetwork().double().to(device64)
    optimizer = make_optimizer(model.parameters())
    sign = -1.0 if maximize else 1.0
    for t in range(steps):
        X, y = X_steps[t * batch:(t + 1) * batch], y_steps[t * batch:(t + 1) * batch]
        (sign * loss_fn(model(X), y)).backward()
        optimizer.step()
        optimizer.zero_grad()
    return [p.detach() for p in model.parameters()], optimizer


def note(name, ours, ref):
    """记下最大差 / record the largest difference."""
    diff = max((a - b).abs().max().item() for a, b in zip(ours, ref))
    LARGEST[name] = max(LARGEST.get(name, 0.0), diff)


def both(ours_class, torch_class, options):
    """同样的设置，从零实现与 torch.optim 各训练 100 步 / 100 steps of each, same options."""
    maximize = options.get("maximize", False)
    ours, ours_opt = train_steps(lambda ps: ours_class(ps, **options), maximize)
    ref, ref_opt = train_steps(lambda ps: torch_class(ps, **options), maximize)
    note(torch_class.__name__, ours, ref)
    return ours, ref, ours_opt, ref_opt


def torch_state(optimizer, key):
    """torch 优化器每个参数的某个状态 / one state entry of a torch optimizer, per parameter."""
    return [optimizer.state[p][key] for p in optimizer.param_groups[0]["params"]]


def assert_differs(a, b):
    """a 与 b 必须不一致 / a and b must differ."""
    try:
        torch.testing.assert_close(a, b)
    except AssertionError:
        return
    raise AssertionError("本应不同，却一致 / expected a difference, found none")


def f32(x):
    """x 存成 float32 再读回：PyTorch 把一些标量状态存成默认 dtype 的张量 /
    x rounded to float32: PyTorch keeps some scalar state as tensors of the default dtype."""
    return torch.tensor(x, dtype=torch.float32).item()


def moves(optimizer_class, grads, **options):
    """一维参数依次收到 grads 里的梯度，每一步移动的距离 /
    the distance a 1-D parameter moves at each step, fed the gradients in grads."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = optimizer_class([p], **options)
    sizes = []
    for g in grads:
        before = p.detach().clone()
        p.grad = torch.full_like(p, g)
        optimizer.step()
        sizes.append((p.detach() - before).abs().item())
    return torch.tensor(sizes, dtype=torch.float64)


class FromScratch:
    """从零实现的优化器的共同部分 / what the from-scratch optimizers share."""

    def __init__(self, params, **hyper):
        self.params = list(params)
        self.__dict__.update(hyper)
        self.state = [{} for _ in self.params]  # 每个参数自己的状态 / each parameter's own state
        self.t = 0                              # 步数 / step count

    def gradient(self, p):
        """p 的梯度，maximize 时取负 / p's gradient, negated when maximizing."""
        return -p.grad if self.maximize else p.grad

    def zero_grad(self):
        for p in self.params:
            p.grad = None


# %% [markdown] tags=["zh"]
# ## 2. Adadelta
#
# ### 2.1 定义
#
# Adadelta（Zeiler，2012）在 RMSprop 的基础上，再维护一个**更新量**平方的指数移动平均 $u$，用它的均方根代替学习率。$v_0 = u_0 = 0$；梯度 $g_t$ 先按 `maximize` 取负，再加上 `weight_decay` 的 $\lambda \theta_t$（L2），然后：
#
# $$v_t = \rho v_{t-1} + (1 - \rho) g_t^2, \qquad \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} \, g_t, \qquad u_t = \rho u_{t-1} + (1 - \rho) \Delta_t^2, \qquad \theta_{t+1} = \theta_t - \eta \Delta_t$$
#
# - `rho`（$\rho$，默认 0.9）；`eps`（$\epsilon$，默认 $10^{-6}$）在**两个**平方根的里面。
# - `lr`（$\eta$）默认是 1.0。论文里没有学习率，$\eta = 1$ 就是论文的算法，这一点 PyTorch 与论文一致。注意 $u$ 累积的是乘学习率**之前**的 $\Delta_t$：$\eta \ne 1$ 时，$u$ 就不再是参数实际移动量的平均了。
#
# ### 2.2 直觉
#
# 分子是过去更新量的均方根，分母是梯度的均方根。Zeiler 的论证是“单位一致”：两者之比的单位是“参数 / 梯度”，乘上梯度，更新量就和参数同一个单位，不再需要学习率来换算。代价是起步很慢：一开始 $u = 0$，第一步只走约 $\sqrt{\epsilon / (1 - \rho)} \approx 0.0032$（梯度远大于 $\sqrt{\epsilon}$ 时），之后步长靠自己过去的步长一点点撑大。下图里梯度恒定：步长几乎与梯度的大小无关，并且一直在变大；梯度小到 0.01 时，分母里的 $\epsilon$ 开始起作用，步长略小一些。
#
# ### 2.3 何时使用
#
# Adadelta 在 2012 到 2015 年间常被当作“不用调学习率”的方法；今天很少用，主要见于复现那几年的工作。它的 `lr=1.0` 不能和别的优化器的学习率互相换算；想让它走得快些，能调的是 `eps`（它决定起步的步长）和 `lr`。

# %% [markdown] tags=["en"]
# ## 2. Adadelta
#
# ### 2.1 Definition
#
# Adadelta (Zeiler, 2012) builds on RMSprop and also keeps an exponential moving average $u$ of the squared **updates**,
# whose root mean square takes the place of the learning rate. With $v_0 = u_0 = 0$, and the gradient $g_t$ first
# negated for `maximize` and given the $\lambda \theta_t$ of `weight_decay` (L2):
#
# $$v_t = \rho v_{t-1} + (1 - \rho) g_t^2, \qquad \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} \, g_t, \qquad u_t = \rho u_{t-1} + (1 - \rho) \Delta_t^2, \qquad \theta_{t+1} = \theta_t - \eta \Delta_t$$
#
# - `rho` ($\rho$, default 0.9); `eps` ($\epsilon$, default $10^{-6}$) sits inside **both** square roots.
# - `lr` ($\eta$) defaults to 1.0. The paper has no learning rate, and $\eta = 1$ is the paper's algorithm: here PyTorch
#   and the paper agree. Note that $u$ accumulates $\Delta_t$ **before** the learning rate: with $\eta \ne 1$, $u$ is no
#   longer the average of the parameter's actual moves.
#
# ### 2.2 Intuition
#
# The numerator is the root mean square of past updates, the denominator that of the gradients. Zeiler's argument is
# about units: their ratio has the units "parameter / gradient", so times the gradient the update has the units of the
# parameter, with no learning rate needed to convert. The price is a slow start: $u$ begins at 0, so the first step is
# only about $\sqrt{\epsilon / (1 - \rho)} \approx 0.0032$ (for a gradient much larger than $\sqrt{\epsilon}$), and
# afterwards the step grows little by little on its own past steps. In the figure the gradient is constant: the step
# hardly depends on the size of the gradient, and keeps growing; at a gradient of 0.01 the $\epsilon$ in the denominator
# starts to matter and the step is a little smaller.
#
# ### 2.3 When to use
#
# Between 2012 and 2015 Adadelta was often used as "the method without a learning rate to tune"; today it is rare,
# mostly found when reproducing work of those years. Its `lr=1.0` does not translate into another optimizer's learning
# rate; to make it move faster, what you can tune is `eps` (which sets the first step) and `lr`.

# %%
# moves：一维参数依次收到这些梯度时每一步移动的距离（第 1 节）/ the distance moved at each step
constant = {g: moves(torch.optim.Adadelta, [g] * 1000) for g in (0.01, 1.0, 100.0)}
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for g, sizes in constant.items():
    ax.loglog(range(1, 1001), sizes, label=f"g = {g}")
ax.set_xlabel(fc.label("步数", "step"))
ax.set_ylabel(fc.label("每步移动的距离", "distance moved per step"))
ax.set_title(fc.label("Adadelta，梯度恒定，η = 1", "Adadelta, constant gradient, η = 1"))
ax.legend()
ax.grid(alpha=0.3, which="both")
fig.tight_layout()
plt.show()

for g, sizes in constant.items():
    print(f"g = {g:<5}: 第 1、10、100、1000 步 / steps 1, 10, 100, 1000: "
          + ", ".join(f"{sizes[i]:.5f}" for i in (0, 9, 99, 999)))
# 第一步：√(0 + ε)/√((1 − ρ)g² + ε)·g / the first step
assert abs(constant[1.0][0] - math.sqrt(1e-6 / (0.1 + 1e-6))) < 1e-12
torch.testing.assert_close(constant[100.0], constant[1.0], rtol=1e-3, atol=0.0)
assert all((s[1:] > s[:-1]).all() and s[999] > 2.5 * s[0] for s in constant.values())
print("Adadelta ✓ 第一步约为 √(ε/(1−ρ))，之后一直变大，几乎与梯度的大小无关")
print("Adadelta ✓ first step about √(ε/(1−ρ)), then ever larger, nearly whatever the gradient")

# %% [markdown] tags=["zh"]
# ### 2.4 从零实现，与 PyTorch 对照（选读）
#
# 照第 2.1 节的公式写，与 `torch.optim.Adadelta` 对照 100 步（第 1 节的做法），并核对 `acc_delta`（$u$）也一致。


# %% [markdown] tags=["en"]
# ### 2.4 From scratch, checked against PyTorch (optional)
#
# Written from the formulas of section 2.1 and compared with `torch.optim.Adadelta` over 100 steps (as section 1
# describes), `acc_delta` ($u$) included.


# %%
class AdadeltaFromScratch(FromScratch):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
        super().__init__(params, lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                         maximize=maximize)

    @torch.no_grad()
    def step(self):
        for p, state in zip(self.params, self.state):
            g = self.gradient(p)
            if self.weight_decay != 0:
                g = g.add(p, alpha=self.weight_decay)                      # L2: g + λθ
            v = state.setdefault("square_avg", torch.zeros_like(p))
            u = state.setdefault("acc_delta", torch.zeros_like(p))
            v.mul_(self.rho).addcmul_(g, g, value=1 - self.rho)            # v ← ρv + (1−ρ)g²
            delta = (u + self.eps).sqrt() / (v + self.eps).sqrt() * g      # Δ = √(u+ε)/√(v+ε)·g
            u.mul_(self.rho).addcmul_(delta, delta, value=1 - self.rho)    # u ← ρu + (1−ρ)Δ²
            p.add_(delta, alpha=-self.lr)                                  # θ ← θ − ηΔ


ADADELTA = {
    "defaults": {},
    "all options": {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 1e-2, "maximize": True},
}
for kw in ADADELTA.values():
    ours, ref, ours_opt, ref_opt = both(AdadeltaFromScratch, torch.optim.Adadelta, kw)
    torch.testing.assert_close(ours, ref)
# u 是乘学习率之前的 Δ 的平均 / u averages Δ before the learning rate
ours_u = [s["acc_delta"] for s in ours_opt.state]
torch.testing.assert_close(ours_u, torch_state(ref_opt, "acc_delta"))
print("Adadelta ✓ 100 步后与 torch.optim.Adadelta 一致 / matches after 100 steps")
print(f"    ({', '.join(ADADELTA)}; acc_delta)")

# %% [markdown] tags=["zh"]
# ## 3. Adamax
#
# ### 3.1 定义
#
# Adamax 出自 Adam 的原论文（Kingma 和 Ba，2015，第 7.1 节）：把 Adam 分母里梯度平方的平均（$L^2$ 范数）换成 $L^\infty$ 范数，也就是一个按 $\beta_2$ 衰减的最大值 $u$。PyTorch 的写法是（$m_0 = u_0 = 0$，$g_t$ 已按 `maximize` 和 `weight_decay`（L2）处理过）：
#
# $$m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon), \qquad \theta_{t+1} = \theta_t - \frac{\eta}{1 - \beta_1^t} \cdot \frac{m_t}{u_t}$$
#
# - `lr` 默认 0.002，`betas` 默认 (0.9, 0.999)，`eps` 默认 $10^{-8}$。
# - 只有 $m$ 需要偏差修正：最大值不是平均，不会因为从 0 开始而偏小。
# - **与论文的差别**：论文里是 $u_t = \max(\beta_2 u_{t-1}, |g_t|)$，没有 $\epsilon$。PyTorch 把 $\epsilon$ 加在 $|g_t|$ 上、放进 max 的**里面**，而不是像 Adam 那样加在分母上：衰减后的旧最大值 $\beta_2 u_{t-1}$ 胜出时，这一步根本没有加 $\epsilon$。它的作用只是保证 $u_t \ge \epsilon > 0$，梯度一直为 0 的参数也不会除以 0。
#
# ### 3.2 直觉
#
# $u$ 记住的是最近最大的 $|g|$，每步只衰减 $1 - \beta_2 = 0.1\%$。所以一次异常大的梯度会让 Adamax 的步长缩小很久：要衰减 10 倍，需要约 $\ln 10 / 0.001 \approx 2300$ 步。下图里梯度一直是 1，只在第 101 步是 10：Adamax 的步长立刻降到 $0.2\eta$ 以下，600 步后仍在 $0.2\eta$ 以下；Adam 的 $\sqrt{\hat{v}}$ 是平方的平均，尖峰也让它变大，但被平均摊薄了，步长最低只降到约 $0.77\eta$，几百步后就基本恢复（$m$ 里的尖峰还让紧接着的几步走得更大）。
#
# ### 3.3 何时使用
#
# Adamax 很少作为首选。它的好处是步长的界更简单：每一步大约不超过 $\eta$（Adam 论文第 7.1 节）；当梯度偶尔出现极端值时，它会变得很保守，而不是走出大步。

# %% [markdown] tags=["en"]
# ## 3. Adamax
#
# ### 3.1 Definition
#
# Adamax comes from the Adam paper itself (Kingma and Ba, 2015, section 7.1): in Adam's denominator, the average of the
# squared gradients (an $L^2$ norm) becomes an $L^\infty$ norm, a maximum $u$ that decays by $\beta_2$. PyTorch writes
# it as ($m_0 = u_0 = 0$, with $g_t$ already handled for `maximize` and `weight_decay` (L2)):
#
# $$m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon), \qquad \theta_{t+1} = \theta_t - \frac{\eta}{1 - \beta_1^t} \cdot \frac{m_t}{u_t}$$
#
# - `lr` defaults to 0.002, `betas` to (0.9, 0.999), `eps` to $10^{-8}$.
# - Only $m$ needs bias correction: a maximum is not an average, and starting at 0 does not make it too small.
# - **Where it differs from the paper**: the paper has $u_t = \max(\beta_2 u_{t-1}, |g_t|)$, with no $\epsilon$.
#   PyTorch adds $\epsilon$ to $|g_t|$, **inside** the max, rather than to the denominator as Adam does: when the
#   decayed old maximum $\beta_2 u_{t-1}$ wins, no $\epsilon$ is added at all. Its only job is to keep $u_t \ge \epsilon
#   > 0$, so that a parameter whose gradient is always 0 does not divide by 0.
#
# ### 3.2 Intuition
#
# $u$ remembers the largest recent $|g|$ and decays by only $1 - \beta_2 = 0.1\%$ per step. So one unusually large
# gradient shrinks Adamax's steps for a long time: decaying by a factor of 10 takes about $\ln 10 / 0.001 \approx 2300$
# steps. In the figure the gradient is always 1, except 10 at step 101: Adamax's step drops below $0.2\eta$ at once and
# is still below $0.2\eta$ 600 steps later; Adam's $\sqrt{\hat{v}}$ is an average of squares, which the spike makes
# larger too, but the average dilutes it: the step falls only to about $0.77\eta$ at worst and has mostly recovered a
# few hundred steps later (and the spike in $m$ makes the very next steps larger).
#
# ### 3.3 When to use
#
# Adamax is rarely the first choice. Its appeal is a simpler bound on the step: each step is at most about $\eta$ (the
# Adam paper, section 7.1); when gradients have occasional extreme values it turns cautious rather than taking large
# steps.

# %%
spike = [1.0] * 100 + [10.0] + [1.0] * 600  # 第 101 步是 10 / 10 at step 101
eta = 1e-3
spike_moves = {"Adam": moves(torch.optim.Adam, spike, lr=eta),
               "Adamax": moves(torch.optim.Adamax, spike, lr=eta)}
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for name, sizes in spike_moves.items():
    ax.plot(range(1, len(spike) + 1), sizes / eta, label=name)
ax.axvline(101, color="gray", lw=0.8)
ax.set_xlabel(fc.label("步数", "step"))
ax.set_ylabel(fc.label("步长除以 η", "step divided by η"))
ax.set_title(fc.label("梯度恒为 1，第 101 步为 10", "gradient 1, except 10 at step 101"))
ax.legend()
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

adam_s, adamax_s = spike_moves["Adam"] / eta, spike_moves["Adamax"] / eta
for step in (100, 101, 102, 701):
    print(f"第 / step {step:>3}: Adam {adam_s[step - 1]:.3f} η   Adamax {adamax_s[step - 1]:.3f} η")
print(f"尖峰之后最小 / smallest after the spike: Adam {adam_s[100:].min():.3f} η   "
      f"Adamax {adamax_s[100:].min():.3f} η")
assert adam_s[100] > 1.2 and adam_s[100:].min() > 0.7 and adam_s[-1] > 0.9
assert adamax_s[100:].max() < 0.2
print("尖峰 ✓ Adamax 的最大值把尖峰记得很久；Adam 的平方平均把它摊薄了")
print("spike ✓ Adamax's maximum remembers the spike long; Adam's mean of squares dilutes it")

# %% [markdown] tags=["zh"]
# ### 3.4 从零实现，与 PyTorch 对照（选读）
#
# 照第 3.1 节的公式写，$\epsilon$ 放在 max 里面，与 `torch.optim.Adamax` 对照 100 步，并核对 `exp_inf`（$u$）也一致。


# %% [markdown] tags=["en"]
# ### 3.4 From scratch, checked against PyTorch (optional)
#
# Written from the formulas of section 3.1, with $\epsilon$ inside the max, and compared with `torch.optim.Adamax`
# over 100 steps, `exp_inf` ($u$) included.


# %%
class AdamaxFromScratch(FromScratch):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 maximize=False):
        super().__init__(params, lr=lr, beta1=betas[0], beta2=betas[1], eps=eps,
                         weight_decay=weight_decay, maximize=maximize)

    @torch.no_grad()
    def step(self):
        self.t += 1
        for p, state in zip(self.params, self.state):
            g = self.gradient(p)
            if self.weight_decay != 0:
                g = g.add(p, alpha=self.weight_decay)                      # L2: g + λθ
            m = state.setdefault("exp_avg", torch.zeros_like(p))
            u = state.setdefault("exp_inf", torch.zeros_like(p))
            m.lerp_(g, 1 - self.beta1)                                     # m ← β1·m + (1−β1)·g
            torch.maximum(self.beta2 * u, g.abs() + self.eps, out=u)       # u ← max(β2·u, |g| + ε)
            p.addcdiv_(m, u, value=-self.lr / (1 - self.beta1 ** self.t))  # 只修正 m / m only


ADAMAX = {
    "defaults": {},
    "all options": {"lr": 1e-3, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 1e-2,
                    "maximize": True},
}
for kw in ADAMAX.values():
    ours, ref, ours_opt, ref_opt = both(AdamaxFromScratch, torch.optim.Adamax, kw)
    torch.testing.assert_close(ours, ref)
torch.testing.assert_close([s["exp_inf"] for s in ours_opt.state], torch_state(ref_opt, "exp_inf"))
print("Adamax ✓ 100 步后与 torch.optim.Adamax 一致 / matches after 100 steps")
print(f"    ({', '.join(ADAMAX)}; exp_inf)")

# %% [markdown] tags=["zh"]
# ## 4. NAdam
#
# ### 4.1 定义
#
# NAdam（Dozat，2016）把第 07 课的 Nesterov 动量放进 Adam：更新时不只用动量 $m_t$，还加上当前的梯度，并且动量那一项“往前看一步”。它还给动量系数安排了一个随步数变化的调度 $\mu_t$，$\psi$ 是 `momentum_decay`（默认 0.004）：
#
# $$\mu_t = \beta_1 \left(1 - \tfrac{1}{2} \cdot 0.96^{t \psi}\right)$$
#
# $m_t$、$v_t$ 与 Adam 的相同（用常数 $\beta_1$、$\beta_2$），更新是
#
# $$\theta_{t+1} = \theta_t - \eta \, \frac{\dfrac{1 - \mu_t}{1 - \prod_{i=1}^{t} \mu_i} \, g_t + \dfrac{\mu_{t+1}}{1 - \prod_{i=1}^{t+1} \mu_i} \, m_t}{\sqrt{v_t / (1 - \beta_2^t)} + \epsilon}$$
#
# - `lr` 默认 0.002；`betas`、`eps` 与 Adam 相同。
# - `weight_decay=λ` 默认是 L2（$g_t \leftarrow g_t + \lambda \theta_t$）；`decoupled_weight_decay=True` 时像 AdamW 那样先做 $\theta_t \leftarrow \theta_t (1 - \eta \lambda)$。
# - 偏差修正用的是 $\mu_i$ 的连乘，不是 Adam 的 $\beta_1^t$。
#
# ### 4.2 直觉：动量调度
#
# $\psi = 0.004$ 就是 Dozat 建议的 $0.96^{t/250}$。这个调度让 $\mu_t$ 从 $\beta_1 / 2 = 0.45$ 开始，**非常慢地**升向 $\beta_1$：第 1000 步约为 0.52，第 10,000 步约为 0.81（下图）。所以在几千步的训练里，NAdam 给动量的权重只有 $\beta_1$ 的一半左右，当前梯度的权重 $1 - \mu_t$ 约为 0.5。有两个容易误会的地方：`momentum_decay=0` 并不关掉这个调度，而是把 $\mu_t$ 固定在 $\beta_1 / 2$；$\psi$ 很大时 $\mu_t = \beta_1$，NAdam 就成了“带 Nesterov 动量的 Adam”，两项的系数变成 $\frac{1 - \beta_1}{1 - \beta_1^t}$ 和 $\frac{\beta_1}{1 - \beta_1^{t+1}}$。图下面的单元格检查了这一点。
#
# ### 4.3 何时使用
#
# NAdam 可以直接替换 Adam，有时收敛得略快一些（第 11 节：课程任务上它的训练损失更低，验证准确率却没有更高）；Keras 里也有同样的优化器。想要 AdamW 那样的衰减时，打开 `decoupled_weight_decay=True`。

# %% [markdown] tags=["en"]
# ## 4. NAdam
#
# ### 4.1 Definition
#
# NAdam (Dozat, 2016) puts lesson 07's Nesterov momentum into Adam: the update uses not only the momentum $m_t$ but also
# the current gradient, and the momentum term "looks one step ahead". It also gives the momentum coefficient a schedule
# $\mu_t$ that changes with the step count, where $\psi$ is `momentum_decay` (default 0.004):
#
# $$\mu_t = \beta_1 \left(1 - \tfrac{1}{2} \cdot 0.96^{t \psi}\right)$$
#
# $m_t$ and $v_t$ are Adam's (with the constants $\beta_1$ and $\beta_2$), and the update is
#
# $$\theta_{t+1} = \theta_t - \eta \, \frac{\dfrac{1 - \mu_t}{1 - \prod_{i=1}^{t} \mu_i} \, g_t + \dfrac{\mu_{t+1}}{1 - \prod_{i=1}^{t+1} \mu_i} \, m_t}{\sqrt{v_t / (1 - \beta_2^t)} + \epsilon}$$
#
# - `lr` defaults to 0.002; `betas` and `eps` are Adam's.
# - `weight_decay=λ` is L2 by default ($g_t \leftarrow g_t + \lambda \theta_t$); with `decoupled_weight_decay=True` it
#   first does $\theta_t \leftarrow \theta_t (1 - \eta \lambda)$, as AdamW does.
# - The bias correction uses the product of the $\mu_i$, not Adam's $\beta_1^t$.
#
# ### 4.2 Intuition: the momentum schedule
#
# $\psi = 0.004$ is Dozat's suggested $0.96^{t/250}$. The schedule starts $\mu_t$ at $\beta_1 / 2 = 0.45$ and raises it
# towards $\beta_1$ **very slowly**: about 0.52 at step 1000, about 0.81 at step 10,000 (figure below). So in a training
# run of a few thousand steps NAdam gives the momentum only about half of $\beta_1$'s weight, and the current gradient a
# weight $1 - \mu_t$ of about 0.5. Two things are easy to get wrong: `momentum_decay=0` does not switch the schedule
# off, it fixes $\mu_t$ at $\beta_1 / 2$; and with a very large $\psi$, $\mu_t = \beta_1$ and NAdam becomes "Adam with
# Nesterov momentum", whose two coefficients are $\frac{1 - \beta_1}{1 - \beta_1^t}$ and
# $\frac{\beta_1}{1 - \beta_1^{t+1}}$. The cell below the figure checks this.
#
# ### 4.3 When to use
#
# NAdam is a drop-in replacement for Adam that sometimes converges a little faster (section 11: on the course task its
# training loss is lower, its validation accuracy no higher); Keras has the same optimizer. For AdamW-style decay, turn
# on `decoupled_weight_decay=True`.

# %%
t_axis = torch.logspace(0, 5, 200, dtype=torch.float64)
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for psi in (0.004, 0.04, 0.0):
    ax.semilogx(t_axis, 0.9 * (1 - 0.5 * 0.96 ** (t_axis * psi)), label=f"ψ = {psi}")
ax.axhline(0.9, color="gray", ls="--", lw=0.8, label="β1 = 0.9")
ax.set_xlabel(fc.label("步数 t", "step t"))
ax.set_ylabel("μ_t")
ax.set_title(fc.label("NAdam 的动量调度（β1 = 0.9）", "NAdam's momentum schedule (β1 = 0.9)"))
ax.legend()
ax.grid(alpha=0.3, which="both")
fig.tight_layout()
plt.show()

print("ψ = 0.004: " + ", ".join(f"μ_{t} = {0.9 * (1 - 0.5 * 0.96 ** (t * 0.004)):.3f}"
                                 for t in (1, 1000, 10_000, 100_000)))

# ψ 很大时 μ_t = β1：带 Nesterov 动量的 Adam / a huge ψ gives μ_t = β1: Adam with Nesterov momentum
gen = torch.Generator().manual_seed(0)
p0 = torch.randn(3, 4, generator=gen, dtype=torch.float64)
grads = torch.randn(100, 3, 4, generator=gen, dtype=torch.float64)
lr, (b1, b2), eps = 0.01, (0.9, 0.999), 1e-8
p, m, v = p0.clone(), torch.zeros_like(p0), torch.zeros_like(p0)
for t, g in enumerate(grads, start=1):
    m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    nesterov = (1 - b1) / (1 - b1 ** t) * g + b1 / (1 - b1 ** (t + 1)) * m
    p = p - lr * nesterov / ((v / (1 - b2 ** t)).sqrt() + eps)
q = p0.clone().requires_grad_(True)
opt = torch.optim.NAdam([q], lr=lr, momentum_decay=1e4)
for g in grads:
    q.grad = g.clone()
    opt.step()
# 容差放宽：PyTorch 的 β1^t 连乘是 float32 / a looser tolerance: torch's product of β1 is float32
torch.testing.assert_close(q.detach(), p, rtol=1e-5, atol=1e-7)
print("NAdam ✓ momentum_decay 很大时就是带 Nesterov 动量的 Adam（系数 (1−β1)/(1−β1^t) 与 β1/(1−β1^(t+1))）")
print("NAdam ✓ with a huge momentum_decay it is Adam with Nesterov momentum (100 steps)")

# %% [markdown] tags=["zh"]
# ### 4.4 从零实现，与 PyTorch 对照（选读）
#
# 照第 4.1 节的公式写，与 `torch.optim.NAdam` 对照 100 步。要逐位一致，有两处得照 PyTorch 的做法：
#
# - 偏差修正用的是 $\mu_i$ 的连乘，不是 Adam 的 $\beta_1^t$。PyTorch 把这个连乘存在一个默认 dtype（`float32`）的标量里，即使参数是 `float64`；从零实现也照做，否则两边会在第 7 位有效数字上出现差别。
# - PyTorch 把两项分两次加到参数上（两次 `addcdiv_`）。从零实现也这样做：合成一个分式在数学上完全相同，但有些参数的梯度几乎总是 0，$\sqrt{\hat{v}_t} + \epsilon$ 非常小，除以它会把舍入误差放大，100 步后两边会差出约 $10^{-6}$，超过 `float64` 的默认容差。


# %% [markdown] tags=["en"]
# ### 4.4 From scratch, checked against PyTorch (optional)
#
# Written from the formulas of section 4.1 and compared with `torch.optim.NAdam` over 100 steps. To agree to the last
# digits, two things follow PyTorch's way:
#
# - The bias correction uses the product of the $\mu_i$, not Adam's $\beta_1^t$. PyTorch keeps that product in a scalar
#   of the default dtype (`float32`), even for `float64` parameters; the from-scratch version does the same, otherwise
#   the two would differ in the 7th significant digit.
# - PyTorch adds the two terms to the parameter one at a time (two `addcdiv_` calls). So does the from-scratch version:
#   one combined fraction is mathematically the same, but some parameters have gradients that are nearly always 0, so
#   $\sqrt{\hat{v}_t} + \epsilon$ is tiny and dividing by it magnifies rounding errors; after 100 steps the two would
#   differ by about $10^{-6}$, more than the default `float64` tolerance.


# %%
class NAdamFromScratch(FromScratch):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
        super().__init__(params, lr=lr, beta1=betas[0], beta2=betas[1], eps=eps,
                         weight_decay=weight_decay, psi=momentum_decay,
                         decoupled=decoupled_weight_decay, maximize=maximize)
        self.mu_product = torch.tensor(1.0)  # 默认 dtype，和 PyTorch 一样 / the default dtype, as torch

    def mu(self, t):
        return self.beta1 * (1 - 0.5 * 0.96 ** (t * self.psi))            # μ_t

    @torch.no_grad()
    def step(self):
        self.t += 1
        t = self.t
        mu, mu_next = self.mu(t), self.mu(t + 1)
        self.mu_product *= mu                                              # μ_1·…·μ_t
        product = self.mu_product.item()
        for p, state in zip(self.params, self.state):
            g = self.gradient(p)
            if self.weight_decay != 0:
                if self.decoupled:
                    p *= 1 - self.lr * self.weight_decay                   # θ ← θ(1 − ηλ)
                else:
                    g = g.add(p, alpha=self.weight_decay)                  # L2: g + λθ
            m = state.setdefault("exp_avg", torch.zeros_like(p))
            v = state.setdefault("exp_avg_sq", torch.zeros_like(p))
            m.lerp_(g, 1 - self.beta1)                                     # m ← β1·m + (1−β1)·g
            v.mul_(self.beta2).addcmul_(g, g, value=1 - self.beta2)        # v ← β2·v + (1−β2)·g²
            denom = (v / (1 - self.beta2 ** t)).sqrt() + self.eps          # √v̂ + ε
            # 两项分两次加上，顺序与 PyTorch 相同 / the two terms added one at a time, as torch does
            p.addcdiv_(g, denom, value=-self.lr * (1 - mu) / (1 - product))
            p.addcdiv_(m, denom, value=-self.lr * mu_next / (1 - product * mu_next))


NADAM = {
    "weight_decay (L2)": {"weight_decay": 1e-2},
    "all options, decoupled": {"lr": 1e-3, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1,
                               "momentum_decay": 0.05, "decoupled_weight_decay": True,
                               "maximize": True},
}
for kw in NADAM.values():
    ours, ref, ours_opt, ref_opt = both(NAdamFromScratch, torch.optim.NAdam, kw)
    torch.testing.assert_close(ours, ref)
print("NAdam ✓ 100 步后与 torch.optim.NAdam 一致 / matches after 100 steps")
print(f"    ({', '.join(NADAM)})")

# %% [markdown] tags=["zh"]
# ## 5. RAdam
#
# ### 5.1 定义
#
# RAdam（Liu 等人，2020，“On the Variance of the Adaptive Learning Rate and Beyond”）想解决的问题是：训练刚开始时 $v$ 只平均了几个梯度，自适应步长 $1 / \sqrt{\hat{v}_t}$ 的方差很大，这也是 Adam 常常需要学习率预热（第 09 课）的原因。它估计 $v_t$ 相当于多少个梯度的简单平均（$\rho_t$）；样本太少时干脆不用自适应步长，样本够了以后再乘一个修正因子（rectification）$r_t$：
#
# $$\rho_\infty = \frac{2}{1 - \beta_2} - 1, \qquad \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1 - \beta_2^t}, \qquad r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}$$
#
# $$\theta_{t+1} = \begin{cases} \theta_t - \eta \, r_t \, \hat{m}_t \, \dfrac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon} & \rho_t > 5 \\ \theta_t - \eta \, \hat{m}_t & \rho_t \le 5 \end{cases}$$
#
# 其中 $\hat{m}_t = m_t / (1 - \beta_1^t)$，$m_t$、$v_t$ 与 Adam 的相同；`weight_decay` 和 `decoupled_weight_decay` 与 NAdam 的相同；`lr` 默认 0.001。
#
# - **阈值**：论文的算法在 $\rho_t > 4$ 时就用修正后的自适应步长，PyTorch 要求 $\rho_t > 5$。$\beta_2 = 0.999$ 时 $\rho_5 \approx 4.996$，所以论文从第 5 步起用自适应步长，PyTorch 从第 6 步起。
# - **$\epsilon$ 的位置**：加在未修正的 $\sqrt{v_t}$ 上，而 Adam 加在 $\sqrt{\hat{v}_t}$ 上。
# - **切换之前**：$\rho_t \le 5$ 时更新是 $\eta \hat{m}_t$，也就是什么都不除的带动量 SGD，步长正比于梯度的大小。
#
# ### 5.2 直觉：自带的预热
#
# $r_t$ 从第 6 步的约 0.026 慢慢升向 1（$\beta_2 = 0.999$ 时，第 100 步约为 0.22，第 1000 步约为 0.65，下图左），效果就像一个内置的学习率预热。但前 5 步是普通的 SGD 步：梯度为 0.01 时每步只走 $10^{-5}$，梯度为 1 时走满 $\eta$（下图右）。梯度很大时，这几步可能直接发散：Rosenbrock 函数在起点 $(-1.5, 2)$ 的梯度约为 $(-155, -50)$，`RAdam(lr=0.05)` 前 5 步就飞了出去，而同样学习率的 Adam 每步只走约 0.05。
#
# ### 5.3 何时使用
#
# RAdam 用来代替“Adam 加预热”：不想调预热的长度时可以试它。它的前几步对梯度的尺度很敏感（上面的例子）：梯度可能很大时，要么把学习率取小，要么仍然加一段短的预热。

# %% [markdown] tags=["en"]
# ## 5. RAdam
#
# ### 5.1 Definition
#
# RAdam (Liu et al., 2020, "On the Variance of the Adaptive Learning Rate and Beyond") addresses this: early in
# training $v$ has averaged only a few gradients, so the adaptive step $1 / \sqrt{\hat{v}_t}$ has a large variance,
# which is why Adam so often needs a learning-rate warm-up (lesson 09). It estimates how many gradients $v_t$ is worth
# as a simple average ($\rho_t$); with too few it does not use the adaptive step at all, and once there are enough it
# multiplies the adaptive step by a rectification factor $r_t$:
#
# $$\rho_\infty = \frac{2}{1 - \beta_2} - 1, \qquad \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1 - \beta_2^t}, \qquad r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}$$
#
# $$\theta_{t+1} = \begin{cases} \theta_t - \eta \, r_t \, \hat{m}_t \, \dfrac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon} & \rho_t > 5 \\ \theta_t - \eta \, \hat{m}_t & \rho_t \le 5 \end{cases}$$
#
# where $\hat{m}_t = m_t / (1 - \beta_1^t)$ and $m_t$, $v_t$ are Adam's; `weight_decay` and `decoupled_weight_decay` work
# as in NAdam; `lr` defaults to 0.001.
#
# - **The threshold**: the paper's algorithm uses the rectified adaptive step as soon as $\rho_t > 4$; PyTorch requires
#   $\rho_t > 5$. With $\beta_2 = 0.999$, $\rho_5 \approx 4.996$, so the paper's version is adaptive from step 5,
#   PyTorch's from step 6.
# - **Where $\epsilon$ goes**: on the uncorrected $\sqrt{v_t}$, whereas Adam adds it to $\sqrt{\hat{v}_t}$.
# - **Before the switch**: while $\rho_t \le 5$ the update is $\eta \hat{m}_t$, SGD with momentum divided by nothing,
#   so the step is proportional to the size of the gradient.
#
# ### 5.2 Intuition: a built-in warm-up
#
# $r_t$ starts at about 0.026 at step 6 and slowly rises towards 1 (with $\beta_2 = 0.999$: about 0.22 at step 100,
# about 0.65 at step 1000; left panel), which acts like a built-in learning-rate warm-up. But the first 5 steps are
# plain SGD steps: with a gradient of 0.01 each moves only $10^{-5}$, with a gradient of 1 a full $\eta$ (right panel).
# With a large gradient these steps can diverge outright: the gradient of the Rosenbrock function at the start
# $(-1.5, 2)$ is about $(-155, -50)$, and `RAdam(lr=0.05)` flies off within its first 5 steps, while Adam with the same
# learning rate moves only about 0.05 per step.
#
# ### 5.3 When to use
#
# RAdam stands in for "Adam plus warm-up": try it when you do not want to tune the length of a warm-up. Its first steps
# are sensitive to the scale of the gradient (the example above): where gradients may be large, either take a small
# learning rate or still add a short warm-up.

# %%
def rho_and_r(t, beta2):
    rho_inf = 2 / (1 - beta2) - 1
    rho = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
    r2 = (rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)
    r = r2.clamp(min=0).sqrt()
    return rho, r


t_axis = torch.arange(1, 1001, dtype=torch.float64)
eta = 1e-3
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for beta2 in (0.999, 0.99):
    rho, r = rho_and_r(t_axis, beta2)
    axes[0].semilogx(t_axis[rho > 5], r[rho > 5], label=f"β2 = {beta2}")
axes[0].set_title(fc.label("修正因子 r_t（ρ_t > 5 之后）", "rectification r_t (once ρ_t > 5)"))
axes[0].set_ylabel("r_t")
for g in (0.01, 1.0):
    axes[1].loglog(t_axis, moves(torch.optim.RAdam, [g] * 1000, lr=eta) / eta,
                   label=f"RAdam, g = {g}")
axes[1].loglog(t_axis, moves(torch.optim.Adam, [1.0] * 1000, lr=eta) / eta, "--", label="Adam")
axes[1].set_title(fc.label("梯度恒定时的步长", "step under a constant gradient"))
axes[1].set_ylabel(fc.label("步长除以 η", "step divided by η"))
for ax in axes:
    ax.set_xlabel(fc.label("步数 t", "step t"))
    ax.grid(alpha=0.3, which="both")
    ax.legend()
fig.tight_layout()
plt.show()

rho, r = rho_and_r(t_axis, 0.999)
first = int(t_axis[rho > 5][0])
print(f"β2 = 0.999: ρ_5 = {rho[4]:.4f}, ρ_6 = {rho[5]:.4f}; PyTorch 从第 {first} 步起自适应 / "
      f"adaptive from step {first}")
print(f"r_6 = {r[5]:.4f}, r_100 = {r[99]:.4f}, r_1000 = {r[999]:.4f}")
assert first == 6 and 4 < rho[4] < 5  # 论文的阈值 4 会从第 5 步开始 / the paper's 4 would start at 5
for g in (0.01, 1.0):  # 前 5 步是 η·g，第 6 步是 η·r_6 / the first 5 steps are η·g, step 6 is η·r_6
    steps = moves(torch.optim.RAdam, [g] * 6, lr=eta)
    torch.testing.assert_close(steps[:5], torch.full((5,), eta * g, dtype=torch.float64))
    torch.testing.assert_close(steps[5], eta * r[5], rtol=1e-4, atol=0.0)  # ε 的影响 / ε's effect
print("RAdam ✓ 前 5 步是 SGD 步 η·g，第 6 步起是 η·r_t / first 5 steps are SGD steps η·g, then η·r_t")


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


for cls in (torch.optim.RAdam, torch.optim.Adam):
    p = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    opt = cls([p], lr=0.05)
    for _ in range(5):
        opt.zero_grad()
        rosenbrock(p).backward()
        opt.step()
    far = not bool(p.detach().norm() < 100)  # 发散或溢出 / diverged or overflowed
    print(f"{cls.__name__:<6}(lr=0.05) 5 步后 / after 5 steps: |θ| {'>' if far else '<'} 100")
    assert far == (cls is torch.optim.RAdam)
print("RAdam ✗ 梯度很大时，前 5 步的 SGD 步会发散 / with large gradients its first SGD steps diverge")

# %% [markdown] tags=["zh"]
# ### 5.4 从零实现，与 PyTorch 对照（选读）
#
# 照第 5.1 节的公式写（阈值 5，$\epsilon$ 加在没修正的 $\sqrt{v_t}$ 上），与 `torch.optim.RAdam` 对照 100 步。


# %% [markdown] tags=["en"]
# ### 5.4 From scratch, checked against PyTorch (optional)
#
# Written from the formulas of section 5.1 (the threshold 5, $\epsilon$ on the uncorrected $\sqrt{v_t}$) and compared
# with `torch.optim.RAdam` over 100 steps.


# %%
class RAdamFromScratch(FromScratch):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False, maximize=False):
        super().__init__(params, lr=lr, beta1=betas[0], beta2=betas[1], eps=eps,
                         weight_decay=weight_decay, decoupled=decoupled_weight_decay,
                         maximize=maximize)

    @torch.no_grad()
    def step(self):
        self.t += 1
        t, b1, b2 = self.t, self.beta1, self.beta2
        bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
        rho_inf = 2 / (1 - b2) - 1
        rho = rho_inf - 2 * t * b2 ** t / bc2                              # ρ_t
        for p, state in zip(self.params, self.state):
            g = self.gradient(p)
            if self.weight_decay != 0:
                if self.decoupled:
                    p *= 1 - self.lr * self.weight_decay                   # θ ← θ(1 − ηλ)
                else:
                    g = g.add(p, alpha=self.weight_decay)                  # L2: g + λθ
            m = state.setdefault("exp_avg", torch.zeros_like(p))
            v = state.setdefault("exp_avg_sq", torch.zeros_like(p))
            m.lerp_(g, 1 - b1)                                             # m ← β1·m + (1−β1)·g
            v.mul_(b2).addcmul_(g, g, value=1 - b2)                        # v ← β2·v + (1−β2)·g²
            m_hat = m / bc1
            if rho > 5:                                                    # 阈值 / the threshold
                r = math.sqrt((rho - 4) * (rho - 2) * rho_inf
                              / ((rho_inf - 4) * (rho_inf - 2) * rho))
                p -= m_hat * self.lr * (math.sqrt(bc2) / (v.sqrt() + self.eps)) * r
            else:
                p -= m_hat * self.lr                                       # SGD + 动量 / momentum


RADAM = {
    "weight_decay (L2)": {"weight_decay": 1e-2},
    "all options, decoupled": {"lr": 1e-3, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1,
                               "decoupled_weight_decay": True, "maximize": True},
}
for kw in RADAM.values():
    ours, ref, ours_opt, ref_opt = both(RAdamFromScratch, torch.optim.RAdam, kw)
    torch.testing.assert_close(ours, ref)
print("RAdam ✓ 100 步后与 torch.optim.RAdam 一致 / matches after 100 steps")
print(f"    ({', '.join(RADAM)})")

# %% [markdown] tags=["zh"]
# ## 6. ASGD
#
# ### 6.1 定义
#
# ASGD（averaged SGD，平均随机梯度下降）照常走 SGD 的步子，同时维护参数的平均值 $\bar{\theta}$。背后的理论（Polyak 和 Juditsky，1992）是：带噪声的 SGD 迭代点会在极小值附近来回跳，但它们的**平均**收敛得更好。PyTorch 的写法是（$\bar{\theta}_1 = 0$；$g_t$ 已按 `maximize` 和 `weight_decay`（L2）处理过）：
#
# $$\eta_t = \frac{\eta}{\left(1 + \lambda \eta (t - 1)\right)^{\alpha}}, \qquad \theta_{t+1} = \theta_t (1 - \lambda \eta_t) - \eta_t g_t$$
#
# $$\mu_t = \frac{1}{\max(1, t - 1 - t_0)}, \qquad \bar{\theta}_{t+1} = \bar{\theta}_t + \mu_t (\theta_{t+1} - \bar{\theta}_t)$$
#
# - `lr`（$\eta$，默认 0.01）、`lambd`（$\lambda$，默认 $10^{-4}$）、`alpha`（$\alpha$，默认 0.75）、`t0`（$t_0$，默认 $10^6$）。
# - $\mu_t = 1$ 时 $\bar{\theta}$ 就等于 $\theta$；之后 $\mu_t = 1/2, 1/3, \dots$，所以 $\bar{\theta}$ 是第 $t_0 + 2$ 步以后所有参数的算术平均（$t_0$ 为整数时）。
# - 平均值存在 `optimizer.state[p]["ax"]` 里，模型用的始终是 $\theta$。要用平均后的模型做评估，得自己把 `ax` 复制进参数（评估完再换回来）。
#
# ### 6.2 公式从哪里来，以及两个坑
#
# PyTorch 的文档引用 Polyak 和 Juditsky（1992），那篇论文证明的是平均本身：步长比 $1/t$ 衰减得慢（例如 $t^{-3/4}$）时，迭代点的平均收敛得最好。上面这个具体的写法来自 torch7 的 `optim.asgd`，它照搬 Bottou 的 sgd-2.0 代码，也就是 Bottou（《Stochastic Gradient Descent Tricks》，2012）和 Xu（2011）为 $\lambda$-强凸（strongly convex）的目标设计的平均 SGD，典型的例子是带 L2 正则化的线性模型：损失加上 $\frac{\lambda}{2}\|\theta\|^2$。
#
# - $\lambda$ 就是这个 L2 正则化的强度，所以它出现在两处。一处是衰减：$\theta (1 - \lambda \eta_t) - \eta_t g_t = \theta - \eta_t (g_t + \lambda \theta)$，正是对“损失加 $\frac{\lambda}{2}\|\theta\|^2$”的梯度步。另一处是步长：$\lambda$-强凸问题的经典步长是 $\eta_t = \eta / (1 + \lambda \eta t)$（$\alpha = 1$），开始时约为 $\eta$，之后约为 $1/(\lambda t)$；Bottou 的代码取 $\alpha = 3/4$（PyTorch 的默认值由此而来），让步长比 $1/t$ 衰减得慢，这正是 Polyak–Juditsky 的平均需要的。下面的单元格检查这两种衰减。
# - 所以在 PyTorch 里，`lambd` 和 `weight_decay` 叠加（两者都是 L2），只是 `lambd` 还让步长变小；用在深度网络上，它就是一个额外的权重衰减。
# - 默认 $t_0 = 10^6$：一般的训练走不到第一百万步，`ax` 始终只是 $\theta$ 的一份拷贝，根本没有取平均。想要平均，就把 `t0` 设成训练步数以内的值，比如一两轮的步数。
#
# 下面的图在一个带噪声的二次函数上运行 ASGD（$\lambda = 0$，学习率不变，$t_0 = 100$）：迭代点 $\theta$ 在最低点周围乱跳，而平均值 $\bar{\theta}$ 平稳地靠近最低点。
#
# ### 6.3 何时使用
#
# ASGD 适合凸问题，例如线性模型的在线学习。在深度学习里，“对参数取平均”今天更常用 `torch.optim.swa_utils` 里的随机权重平均（SWA）或指数移动平均（EMA），它们直接给出一个平均后的模型。

# %% [markdown] tags=["en"]
# ## 6. ASGD
#
# ### 6.1 Definition
#
# ASGD (averaged SGD) takes ordinary SGD steps and also keeps an average $\bar{\theta}$ of the parameters. The theory
# behind it (Polyak and Juditsky, 1992): noisy SGD iterates keep jumping around a minimum, but their **average**
# converges better. PyTorch writes it as ($\bar{\theta}_1 = 0$; $g_t$ already handled for `maximize` and `weight_decay`
# (L2)):
#
# $$\eta_t = \frac{\eta}{\left(1 + \lambda \eta (t - 1)\right)^{\alpha}}, \qquad \theta_{t+1} = \theta_t (1 - \lambda \eta_t) - \eta_t g_t$$
#
# $$\mu_t = \frac{1}{\max(1, t - 1 - t_0)}, \qquad \bar{\theta}_{t+1} = \bar{\theta}_t + \mu_t (\theta_{t+1} - \bar{\theta}_t)$$
#
# - `lr` ($\eta$, default 0.01), `lambd` ($\lambda$, default $10^{-4}$), `alpha` ($\alpha$, default 0.75), `t0`
#   ($t_0$, default $10^6$).
# - While $\mu_t = 1$, $\bar{\theta}$ simply equals $\theta$; after that $\mu_t = 1/2, 1/3, \dots$, so $\bar{\theta}$ is the
#   arithmetic mean of the parameters after every step from step $t_0 + 2$ on (for an integer $t_0$).
# - The average lives in `optimizer.state[p]["ax"]`; the model always uses $\theta$. To evaluate the averaged model,
#   copy `ax` into the parameters yourself (and back afterwards).
#
# ### 6.2 Where the formula comes from, and two traps
#
# PyTorch's documentation cites Polyak and Juditsky (1992), which proves the point of the averaging: with step sizes that
# decay more slowly than $1/t$ (such as $t^{-3/4}$), the average of the iterates converges best. The specific form above
# comes from torch7's `optim.asgd`, a port of Bottou's sgd-2.0 code: the averaged SGD that Bottou ("Stochastic
# Gradient Descent Tricks", 2012) and Xu (2011) designed for $\lambda$-strongly convex objectives, the typical one being
# a linear model with L2 regularization: a loss plus $\frac{\lambda}{2}\|\theta\|^2$.
#
# - $\lambda$ is the strength of that L2 regularization, which is why it appears twice. Once in the decay:
#   $\theta (1 - \lambda \eta_t) - \eta_t g_t = \theta - \eta_t (g_t + \lambda \theta)$ is exactly a gradient step on "the
#   loss plus $\frac{\lambda}{2}\|\theta\|^2$". Once in the step size: the classic step size for a $\lambda$-strongly
#   convex problem is $\eta_t = \eta / (1 + \lambda \eta t)$ ($\alpha = 1$), about $\eta$ at first and about
#   $1/(\lambda t)$ later; Bottou's code takes $\alpha = 3/4$ (where PyTorch's default comes from), so that the step
#   size decays more slowly than $1/t$, which is what the Polyak–Juditsky averaging needs. The cell below checks both
#   decays.
# - So in PyTorch `lambd` adds to `weight_decay` (both are L2), and `lambd` also shrinks the step size; on a deep network
#   it is one more weight decay.
# - The default $t_0 = 10^6$: ordinary training never reaches step one million, so `ax` stays a mere copy of $\theta$,
#   with no averaging at all. For an average, set `t0` within the number of training steps, say the steps of an epoch
#   or two.
#
# The figure below runs ASGD on a noisy quadratic ($\lambda = 0$, a constant learning rate, $t_0 = 100$): the iterates
# $\theta$ jump around the minimum, while the average $\bar{\theta}$ moves steadily towards it.
#
# ### 6.3 When to use
#
# ASGD suits convex problems, such as online learning of linear models. In deep learning, "averaging the parameters"
# today more often means stochastic weight averaging (SWA) or an exponential moving average (EMA) from
# `torch.optim.swa_utils`, which give you an averaged model directly.

# %%
def noisy_quadratic_run(optimizer_class, steps=600, **options):
    """f = (x² + 10y²)/2，梯度加上固定的噪声；返回每一步后的 θ 和 ax /
    the gradient plus fixed noise; returns θ and ax after every step."""
    noise = torch.randn(steps, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    p = torch.tensor([-3.0, 1.5], dtype=torch.float64, requires_grad=True)
    optimizer = optimizer_class([p], **options)
    thetas, averages = [], []
    for t in range(steps):
        optimizer.zero_grad()
        (0.5 * (p[0] ** 2 + 10 * p[1] ** 2)).backward()
        p.grad += noise[t]
        optimizer.step()
        thetas.append(p.detach().clone())
        state = optimizer.state[p] if isinstance(optimizer, torch.optim.Optimizer) \
            else optimizer.state[0]
        averages.append(state["ax"].clone())
    return torch.stack(thetas), torch.stack(averages)


thetas, averages = noisy_quadratic_run(torch.optim.ASGD, lr=0.05, lambd=0.0, t0=100)

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(thetas[:, 0], thetas[:, 1], ".-", ms=2, lw=0.5, alpha=0.5,
        label=fc.label("θ（迭代点）", "θ (iterates)"))
ax.plot(averages[101:, 0], averages[101:, 1], "-", lw=2,
        label=fc.label("θ̄（ax，第 102 步起）", "θ̄ (ax, from step 102)"))
ax.plot(0, 0, "k*", ms=12)
ax.set_title(fc.label("ASGD：带噪声的二次函数，t0 = 100", "ASGD: a noisy quadratic, t0 = 100"))
ax.legend()
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# ax 是第 t0 + 2 = 102 步起所有 θ 的平均 / ax is the mean of θ from step t0 + 2 = 102 on
torch.testing.assert_close(averages[-1], thetas[101:].mean(0))
near_avg, near_theta = averages[-1].norm().item(), thetas[-100:].norm(dim=1).mean().item()
print(f"离最低点 / distance from the minimum: ax（第 600 步 / step 600）{near_avg:.3f}")
print(f"θ（最后 100 步的平均 / mean over the last 100 steps）{near_theta:.3f}")
assert near_avg < 0.3 * near_theta
default_t, default_a = noisy_quadratic_run(torch.optim.ASGD, lr=0.05)
assert torch.equal(default_t, default_a)  # 默认 t0 = 1e6：ax 只是 θ 的拷贝 / ax is a copy of θ
print("ASGD ✓ ax 是第 t0 + 2 步起的参数平均，比迭代点离最低点近得多；默认 t0 时 ax 就是 θ")
print("ASGD ✓ ax is the mean from step t0 + 2 on, much nearer the minimum; default t0: ax is θ")

# 步长：α = 1 时 η_t ≈ 1/(λt)，α = 3/4 时衰减得慢 / α = 1 gives η_t ≈ 1/(λt); α = 3/4 decays slower
lam_asgd, t_end = 0.1, 2000
for alpha in (1.0, 0.75):
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.ASGD([p], lr=1.0, lambd=lam_asgd, alpha=alpha)
    for _ in range(t_end):
        p.grad = torch.zeros_like(p)
        opt.step()
    eta_next = opt.state[p]["eta"].item()  # 第 t_end + 1 步的步长 / the step size of step t_end + 1
    print(f"α = {alpha}: η_(t+1)·λ·t = {eta_next * lam_asgd * t_end:.3f} (t = {t_end})")
    assert (abs(eta_next * lam_asgd * t_end - 1) < 0.01) if alpha == 1.0 \
        else eta_next * lam_asgd * t_end > 3
print("ASGD ✓ α = 1：η_t ≈ 1/(λt)，λ-强凸问题的经典步长；α = 3/4 衰减得慢得多")
print("ASGD ✓ α = 1: η_t ≈ 1/(λt), the classic step size for λ-strongly convex problems; α = 3/4:")
print("    a much slower decay")

# %% [markdown] tags=["zh"]
# ### 6.4 从零实现，与 PyTorch 对照（选读）
#
# 照第 6.1 节的公式写，与 `torch.optim.ASGD` 对照 100 步，参数和平均值 `ax` 都要一致，再把上图的路径重走一遍。要逐位一致，得照 PyTorch 的做法：
#
# - PyTorch 把 $\eta_t$ 和 $\mu_t$ 也存成默认 dtype（`float32`）的标量，从零实现照做。


# %% [markdown] tags=["en"]
# ### 6.4 From scratch, checked against PyTorch (optional)
#
# Written from the formulas of section 6.1 and compared with `torch.optim.ASGD` over 100 steps, both the parameters and
# the average `ax`, then retracing the path of the figure above. To agree to the last digits it follows PyTorch:
#
# - PyTorch keeps $\eta_t$ and $\mu_t$ as scalars of the default dtype (`float32`) too; the from-scratch version does
#   the same.


# %%
class ASGDFromScratch(FromScratch):
    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0,
                 maximize=False):
        super().__init__(params, lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                         weight_decay=weight_decay, maximize=maximize)
        self.eta, self.mu = f32(lr), 1.0  # PyTorch 存成 float32 / kept in float32 by PyTorch

    @torch.no_grad()
    def step(self):
        self.t += 1
        for p, state in zip(self.params, self.state):
            g = self.gradient(p)
            if self.weight_decay != 0:
                g = g.add(p, alpha=self.weight_decay)                      # L2: g + λθ
            p *= 1 - self.lambd * self.eta                                 # θ ← θ(1 − λη_t)
            p.add_(g, alpha=-self.eta)                                     # θ ← θ − η_t·g
            if self.mu == 1:
                state["ax"] = p.clone()                                    # 还不平均 / no average yet
            else:
                state["ax"] += self.mu * (p - state["ax"])                 # θ̄ ← θ̄ + μ_t(θ − θ̄)
        # 下一步的 η 和 μ / η and μ of the next step
        self.eta = f32(self.lr / (1 + self.lambd * self.lr * self.t) ** self.alpha)
        self.mu = f32(1 / max(1, self.t - self.t0))


ASGD = {
    "t0=20": {"t0": 20},
    "all options": {"lr": 0.05, "lambd": 1e-2, "alpha": 0.5, "t0": 50, "weight_decay": 1e-2,
                    "maximize": True},
}
for kw in ASGD.values():
    ours, ref, ours_opt, ref_opt = both(ASGDFromScratch, torch.optim.ASGD, kw)
    torch.testing.assert_close(ours, ref)
    ours_ax, ref_ax = [s["ax"] for s in ours_opt.state], torch_state(ref_opt, "ax")
    torch.testing.assert_close(ours_ax, ref_ax)
    note("ASGD", ours_ax, ref_ax)
    assert_differs(ref_ax, ref)  # 平均确实开始了 / the averaging did start
ours_t, ours_a = noisy_quadratic_run(ASGDFromScratch, lr=0.05, lambd=0.0, t0=100)
torch.testing.assert_close((ours_t, ours_a), (thetas, averages))  # 第 6.2 节的图 / section 6.2's figure
print("ASGD ✓ 100 步后与 torch.optim.ASGD 一致，参数和平均值 ax 都一致 / matches after 100 steps")
print(f"    ({', '.join(ASGD)}; ax; 带噪声的二次函数 / the noisy quadratic)")

# %% [markdown] tags=["zh"]
# ## 7. Rprop：只看符号，整批使用
#
# ### 7.1 定义
#
# Rprop（resilient backpropagation，Riedmiller 和 Braun，1993）完全不用梯度的大小，只看它的**符号**。每个参数有自己的步长 $\Delta$，初值就是 `lr`（默认 0.01）。逐元素地，$\tilde{g}_0 = 0$：
#
# $$s_t = \operatorname{sign}(g_t \, \tilde{g}_{t-1}), \qquad \Delta_t = \operatorname{clip}\left(\Delta_{t-1} \cdot \begin{cases} \eta_+ & s_t > 0 \\ \eta_- & s_t < 0 \\ 1 & s_t = 0 \end{cases}, \ \Delta_{\min}, \ \Delta_{\max}\right)$$
#
# $$\tilde{g}_t = \begin{cases} 0 & s_t < 0 \\ g_t & s_t \ge 0 \end{cases}, \qquad \theta_{t+1} = \theta_t - \Delta_t \operatorname{sign}(\tilde{g}_t)$$
#
# - `etas=(η−, η+)` 默认 (0.5, 1.2)：这一步与上一步的梯度符号相同，说明还没走到谷底，步长乘 1.2；符号相反，说明走过了头，步长乘 0.5。
# - `step_sizes=(Δmin, Δmax)` 默认 $(10^{-6}, 50)$。
# - `lr` 是每个参数**最初的步长** $\Delta_0$，不是乘在梯度上的系数；Rprop 没有 `weight_decay`。
# - **与原论文的差别**：原始的 Rprop 在符号变号时会撤回上一步（weight-backtracking）。PyTorch 实现的是 Igel 和 Hüsken（2000）称为 iRprop⁻ 的版本：不撤回，只是这一步不动，并把记住的梯度设为 0，于是下一步的因子一定是 1。原论文的初始步长是 0.1，PyTorch 是 0.01。练习 2 请你预测这条规则下步长多久涨到上限。
#
# ### 7.2 为什么要整批
#
# Rprop 把“符号变了”理解为“走过头了”。小批量梯度带噪声（第 07 课第 1.3 节），同一个参数的梯度符号会因为换了批次而随机翻转，Rprop 就会不停地缩小步长，一直缩到 $\Delta_{\min}$。所以它只适合整批（full-batch）训练：每一步都用全部训练数据的梯度。本课用一个小的整批问题：训练集里 512 张图片上的 softmax 回归（一个 `nn.Linear(784, 10)`，也就是多类逻辑回归），目标函数是交叉熵加上 $\frac{\lambda}{2}\|\theta\|^2$，$\lambda = 10^{-4}$，`float64`。下图比较同样 100 步的整批 Rprop 和每批 32 张的 Rprop：小批量的那一个，步长的中位数掉到了 $\Delta_{\min}$ 附近，目标函数也停在高得多的地方（高出 5 倍以上）。
#
# ### 7.3 何时使用
#
# Rprop 适合整批、梯度没有噪声、参数不太多的问题，例如小网络或科学计算中的参数拟合；它对学习率几乎不敏感，因为梯度的大小根本不进入更新。深度学习的小批量训练不要用它。

# %% [markdown] tags=["en"]
# ## 7. Rprop: signs only, on the full batch
#
# ### 7.1 Definition
#
# Rprop (resilient backpropagation, Riedmiller and Braun, 1993) ignores the size of the gradient and looks only at its
# **sign**. Each parameter has its own step size $\Delta$, starting at `lr` (default 0.01). Element by element, with
# $\tilde{g}_0 = 0$:
#
# $$s_t = \operatorname{sign}(g_t \, \tilde{g}_{t-1}), \qquad \Delta_t = \operatorname{clip}\left(\Delta_{t-1} \cdot \begin{cases} \eta_+ & s_t > 0 \\ \eta_- & s_t < 0 \\ 1 & s_t = 0 \end{cases}, \ \Delta_{\min}, \ \Delta_{\max}\right)$$
#
# $$\tilde{g}_t = \begin{cases} 0 & s_t < 0 \\ g_t & s_t \ge 0 \end{cases}, \qquad \theta_{t+1} = \theta_t - \Delta_t \operatorname{sign}(\tilde{g}_t)$$
#
# - `etas=(η−, η+)` default to (0.5, 1.2): when this step's gradient has the same sign as the last one, we have not
#   reached the bottom yet and the step grows by 1.2; when the sign flips, we overshot and the step shrinks by 0.5.
# - `step_sizes=(Δmin, Δmax)` default to $(10^{-6}, 50)$.
# - `lr` is each parameter's **initial step size** $\Delta_0$, not a factor on the gradient; Rprop has no `weight_decay`.
# - **Where it differs from the original paper**: the original Rprop takes back the previous step when the sign flips
#   (weight-backtracking). PyTorch implements the version Igel and Hüsken (2000) call iRprop⁻: nothing is taken back,
#   the parameter just does not move on that step, and the remembered gradient is set to 0, so the next step's factor
#   is always 1. The paper's initial step size is 0.1, PyTorch's 0.01. Exercise 2 asks you to predict how soon, under
#   this rule, the step size reaches its ceiling.
#
# ### 7.2 Why the full batch
#
# Rprop reads "the sign flipped" as "we overshot". Mini-batch gradients are noisy (lesson 07, section 1.3): the sign of
# a parameter's gradient flips at random from one batch to the next, and Rprop keeps shrinking the step, all the way
# down to $\Delta_{\min}$. So it is for full-batch training only: every step uses the gradient of all the training data.
# This lesson uses a small full-batch problem: softmax regression (one `nn.Linear(784, 10)`, that is multinomial
# logistic regression) on 512 images of the training split, with the objective cross-entropy plus
# $\frac{\lambda}{2}\|\theta\|^2$, $\lambda = 10^{-4}$, in `float64`. The figure compares 100 steps of full-batch Rprop
# with 100 steps on batches of 32: with mini-batches the median step size falls to about $\Delta_{\min}$ and the
# objective stays much higher (more than 5 times).
#
# ### 7.3 When to use
#
# Rprop suits full-batch problems with noise-free gradients and not too many parameters, such as fitting the
# parameters of a small network or of a scientific model; it hardly depends on the learning rate, since the size of the
# gradient never enters the update. Do not use it for mini-batch deep learning.

# %%
train_idx, val_idx = fc.split_indices()
X_full = X_train[train_idx[:512].to(device64)].double()  # 整批：512 张训练图片 / the full batch
y_full = y_train[train_idx[:512].to(device64)]
lam = 1e-4


def small_model(seed=0):
    """softmax 回归：一个线性层 / softmax regression: one linear layer."""
    fc.set_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 10)).double().to(device64)


def objective(model, X=X_full, y=y_full):
    """交叉熵 + λ/2·‖θ‖² / cross-entropy + λ/2·‖θ‖²."""
    return loss_fn(model(X), y) + lam / 2 * sum(p.square().sum() for p in model.parameters())


def full_batch_steps(make_optimizer, steps=100, maximize=False):
    """整批训练 steps 步 / steps of full-batch training."""
    model = small_model()
    optimizer = make_optimizer(model.parameters())
    sign = -1.0 if maximize else 1.0
    for _ in range(steps):
        (sign * objective(model)).backward()
        optimizer.step()
        optimizer.zero_grad()
    return [p.detach() for p in model.parameters()], optimizer


class RpropFromScratch(FromScratch):
    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
        super().__init__(params, lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize)

    @torch.no_grad()
    def step(self):
        eta_minus, eta_plus = self.etas
        for p, state in zip(self.params, self.state):
            g = self.gradient(p)
            prev = state.setdefault("prev", torch.zeros_like(p))              # g̃_{t−1}，起初为 0
            size = state.setdefault("step_size", torch.full_like(p, self.lr))  # Δ，起初为 lr
            agree = g * prev
            factor = torch.ones_like(p)
            factor[agree > 0] = eta_plus                                       # 同号：变大 / grow
            factor[agree < 0] = eta_minus                                      # 反号：变小 / shrink
            size.mul_(factor).clamp_(*self.step_sizes)
            g = torch.where(agree < 0, torch.zeros_like(g), g)                 # 反号：这一步不动
            p -= g.sign() * size
            state["prev"] = g                                                  # 反号时记住 0


RPROP = {
    "defaults": {},
    "all options": {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.02), "maximize": True},
}
for kw in RPROP.values():
    maximize = kw.get("maximize", False)
    ours, _ = full_batch_steps(lambda ps: RpropFromScratch(ps, **kw), maximize=maximize)
    ref, _ = full_batch_steps(lambda ps: torch.optim.Rprop(ps, **kw), maximize=maximize)
    torch.testing.assert_close(ours, ref)
    note("Rprop", ours, ref)
print("Rprop ✓ 整批 100 步后与 torch.optim.Rprop 一致 / matches after 100 full-batch steps")
print(f"    ({', '.join(RPROP)})")

# %%
def rprop_curve(batch_size, steps=100):
    """Rprop 每一步后的整批目标函数，以及最后步长的中位数 /
    the full-batch objective after each step, and the median step size at the end."""
    model = small_model()
    optimizer = torch.optim.Rprop(model.parameters())
    values = []
    for t in range(steps):
        i = t * batch_size % len(X_full)
        optimizer.zero_grad()
        objective(model, X_full[i:i + batch_size], y_full[i:i + batch_size]).backward()
        optimizer.step()
        with torch.no_grad():
            values.append(objective(model).item())
    sizes = torch.cat([optimizer.state[p]["step_size"].flatten() for p in model.parameters()])
    return values, sizes.median().item()


curves = {512: rprop_curve(512), 32: rprop_curve(32)}
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for size, (values, median) in curves.items():
    ax.semilogy(range(1, 101), values,
                label=fc.label(f"每批 {size} 张", f"batches of {size}")
                + f", median Δ = {median:.1g}")
ax.set_xlabel(fc.label("步数", "step"))
ax.set_ylabel(fc.label("整批目标函数", "full-batch objective"))
ax.set_title(fc.label("Rprop：整批与小批量", "Rprop: full batch and mini-batches"))
ax.legend()
ax.grid(alpha=0.3, which="both")
fig.tight_layout()
plt.show()

(full_values, full_median), (mini_values, mini_median) = curves[512], curves[32]
assert mini_median < 2e-6 and full_median > 10 * mini_median  # Δmin = 1e-6
assert mini_values[-1] > 5 * full_values[-1]
print("Rprop ✓ 小批量的噪声让步长缩到 Δmin 附近，目标函数高出 5 倍以上")
print("Rprop ✓ mini-batch noise shrinks the steps to about Δmin; the objective ends > 5× higher")

# %% [markdown] tags=["zh"]
# ## 8. L-BFGS：拟牛顿法与闭包
#
# ### 8.1 定义
#
# 牛顿法沿 $-H^{-1} g$ 走（$H$ 是海森矩阵），在二次函数上一步就能到达最低点，但课程模型的 $H$ 有 $670{,}000^2$ 个元素。L-BFGS（limited-memory BFGS，有限内存 BFGS）是一种拟牛顿法（quasi-Newton method）：它只保存最近 $m$ 对（`history_size`，默认 100）“位移”和“梯度的变化”，
#
# $$s_k = \theta_{k+1} - \theta_k, \qquad y_k = g_{k+1} - g_k, \qquad \rho_k = \frac{1}{y_k^\top s_k}$$
#
# 再用“两重循环”（two-loop recursion）算出 $-H^{-1} g$ 的近似 $d$，全程不构造任何矩阵：从 $q = -g$ 开始，第一重循环从新到旧，$a_i = \rho_i s_i^\top q$，$q \leftarrow q - a_i y_i$；然后 $r = \gamma q$，$\gamma = y^\top s / y^\top y$ 取自最新的一对；第二重循环从旧到新，$b_i = \rho_i y_i^\top r$，$r \leftarrow r + (a_i - b_i) s_i$；最后 $d = r$。
#
# PyTorch 的 `LBFGS`（它的文档说“很大程度上借鉴了 minFunc”）有这些细节：
#
# - `step(closure)` 要一个闭包：清零梯度、前向、反向、返回损失。L-BFGS 在一次 `step` 里要多次计算损失和梯度，所以必须由它自己来调用。
# - 一次 `step` 最多做 `max_iter`（默认 20）次迭代、`max_eval`（默认 `max_iter * 5 // 4`）次求值；历史 $s, y$ 和迭代次数跨 `step` 保留。
# - 第一次迭代走最速下降 $d = -g$，步长 $t = \min(1, 1/\|g\|_1) \cdot \eta$；之后 $t = \eta$（`lr`，默认 1）。`line_search_fn=None` 时就固定走 $\theta \leftarrow \theta + t d$，不检查损失有没有下降。
# - 只有 $y^\top s > 10^{-10}$ 的一对才存进历史（曲率为正，近似的 $H^{-1}$ 才是正定的）。
# - 一次 `step` 提前结束的条件：$\max|g| \le$ `tolerance_grad`（默认 $10^{-7}$）；方向导数 $g^\top d > -$`tolerance_change`（默认 $10^{-9}$）；$\max|t d| \le$ `tolerance_change`；损失的变化小于 `tolerance_change`；求值次数达到 `max_eval`。
# - 只支持一个参数组，所有参数拼成一个长向量；历史要占约 $2m$ 份参数大小的内存。
# - `maximize` 是较新的版本才加上的（torch 2.7 没有），下面先检查当前的 torch 有没有它。
#
# 第 8.3 节（选读）照着这些规则从零实现它，并与 PyTorch 对照，连迭代、求值和调用的次数也要一致。

# %% [markdown] tags=["en"]
# ## 8. L-BFGS: a quasi-Newton method, and the closure
#
# ### 8.1 Definition
#
# Newton's method steps along $-H^{-1} g$ ($H$ is the Hessian) and reaches the minimum of a quadratic in one step, but
# the course model's $H$ has $670{,}000^2$ entries. L-BFGS (limited-memory BFGS) is a quasi-Newton method: it keeps only
# the last $m$ pairs (`history_size`, default 100) of "moves" and "changes of the gradient",
#
# $$s_k = \theta_{k+1} - \theta_k, \qquad y_k = g_{k+1} - g_k, \qquad \rho_k = \frac{1}{y_k^\top s_k}$$
#
# and computes an approximation $d$ of $-H^{-1} g$ with the two-loop recursion, never building a matrix: start from
# $q = -g$; the first loop goes from the newest pair to the oldest, $a_i = \rho_i s_i^\top q$,
# $q \leftarrow q - a_i y_i$; then $r = \gamma q$ with $\gamma = y^\top s / y^\top y$ from the newest pair; the second
# loop goes from the oldest to the newest, $b_i = \rho_i y_i^\top r$, $r \leftarrow r + (a_i - b_i) s_i$; finally
# $d = r$.
#
# PyTorch's `LBFGS` (its documentation says it is "heavily inspired by minFunc") has these details:
#
# - `step(closure)` needs a closure that zeroes the gradients, runs the forward and backward passes and returns the
#   loss. L-BFGS evaluates the loss and gradient several times within one `step`, so it must call them itself.
# - One `step` does at most `max_iter` (default 20) iterations and `max_eval` (default `max_iter * 5 // 4`)
#   evaluations; the history $s, y$ and the iteration count carry over from one `step` to the next.
# - The very first iteration is steepest descent $d = -g$ with the step $t = \min(1, 1/\|g\|_1) \cdot \eta$; after that
#   $t = \eta$ (`lr`, default 1). With `line_search_fn=None` it simply moves $\theta \leftarrow \theta + t d$, without
#   checking that the loss went down.
# - A pair enters the history only if $y^\top s > 10^{-10}$ (positive curvature, which keeps the approximate $H^{-1}$
#   positive definite).
# - A `step` ends early when $\max|g| \le$ `tolerance_grad` (default $10^{-7}$); when the directional derivative
#   $g^\top d > -$`tolerance_change` (default $10^{-9}$); when $\max|t d| \le$ `tolerance_change`; when the loss changes by
#   less than `tolerance_change`; or when the evaluations reach `max_eval`.
# - It supports a single parameter group, all parameters flattened into one long vector; the history takes about $2m$
#   copies of the parameters in memory.
# - `maximize` arrived in a recent release (torch 2.7 lacks it); the code below first checks whether this torch has it.
#
# Section 8.3 (optional) implements it from scratch by these rules and checks it against PyTorch, down to the numbers of
# iterations, evaluations and calls.

# %% [markdown] tags=["zh"]
# ### 8.2 `line_search_fn="strong_wolfe"`
#
# 固定步长 $t = \eta$ 不保证损失下降。`line_search_fn="strong_wolfe"` 沿方向 $d$ 搜索一个步长 $t$（先扩大区间把好点夹住，再用三次插值缩小，移植自 torch7 的 `lswolfe.lua`），要求满足强 Wolfe 条件（strong Wolfe conditions）：
#
# $$f(\theta + t d) \le f(\theta) + c_1 t \, g^\top d, \qquad \left|\nabla f(\theta + t d)^\top d\right| \le c_2 \left|g^\top d\right|$$
#
# 第一个条件要求损失下降得足够多，第二个要求新位置的斜率足够平，也就是走到了谷底附近。PyTorch 里 $c_1 = 10^{-4}$、$c_2 = 0.9$ 写死在源码中，不是构造参数；搜索最多再用掉剩下的 `max_eval` 次求值，找不到满足条件的点时返回找到的最低点。
#
# 下面在 Rosenbrock 函数上比较：L-BFGS 每次 `step` 只做一次迭代（`max_iter=1`），所以要显式地给 `max_eval=25`：默认的 `max_eval` 是 $1 \cdot 5 // 4 = 1$，线搜索一次额外的求值也做不了（第 8.3 节演示）。


# %% [markdown] tags=["en"]
# ### 8.2 `line_search_fn="strong_wolfe"`
#
# A fixed step $t = \eta$ does not guarantee that the loss goes down. `line_search_fn="strong_wolfe"` searches for a step
# $t$ along the direction $d$ (first widening an interval until it brackets a good point, then shrinking it with cubic
# interpolation; ported from torch7's `lswolfe.lua`) that satisfies the strong Wolfe conditions:
#
# $$f(\theta + t d) \le f(\theta) + c_1 t \, g^\top d, \qquad \left|\nabla f(\theta + t d)^\top d\right| \le c_2 \left|g^\top d\right|$$
#
# The first asks for a large enough decrease of the loss, the second for a flat enough slope at the new point, that is
# for having come near the bottom along $d$. PyTorch fixes $c_1 = 10^{-4}$ and $c_2 = 0.9$ in its source; they are not
# constructor arguments. The search may use up the remaining `max_eval` evaluations, and when it finds no point that
# satisfies the conditions it returns the lowest point it found.
#
# Below, on the Rosenbrock function, L-BFGS takes one iteration per `step` (`max_iter=1`), so `max_eval=25` has to be
# given explicitly: the default `max_eval` is $1 \cdot 5 // 4 = 1$, which leaves the line search not a single extra
# evaluation (section 8.3 shows it).


# %% tags=["nbval-ignore-output"]
def rosenbrock_run(make_optimizer, steps):
    """在 Rosenbrock 上走 steps 次 step，记下（累计求值次数，函数值）/
    (evaluations so far, value) after each step on the Rosenbrock function."""
    p = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([p])
    evals = []

    def closure():
        optimizer.zero_grad()
        loss = rosenbrock(p)
        loss.backward()
        evals.append(loss.item())
        return loss

    trace = []
    for _ in range(steps):
        optimizer.step(closure)
        trace.append((len(evals), rosenbrock(p).item()))
    return torch.tensor(trace, dtype=torch.float64)


ROSEN_RUNS = {
    "L-BFGS strong_wolfe": lambda ps: torch.optim.LBFGS(
        ps, max_iter=1, max_eval=25, history_size=10, line_search_fn="strong_wolfe"),
    "L-BFGS η = 1": lambda ps: torch.optim.LBFGS(ps, max_iter=1, history_size=10),
    "Adam η = 0.1": lambda ps: torch.optim.Adam(ps, lr=0.1),
}
traces = {name: rosenbrock_run(make, 60 if "L-BFGS" in name else 400)
          for name, make in ROSEN_RUNS.items()}
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for name, trace in traces.items():
    ax.semilogy(trace[:, 0], trace[:, 1], label=name)
ax.set_xlabel(fc.label("函数求值次数", "function evaluations"))
ax.set_ylabel("f(θ)")
ax.set_title(fc.label("Rosenbrock 函数，从 (−1.5, 2) 出发", "Rosenbrock function from (−1.5, 2)"))
ax.legend()
ax.grid(alpha=0.3, which="both")
fig.tight_layout()
plt.show()

for name, trace in traces.items():
    print(f"{name:<20} {int(trace[-1, 0]):>4} 次求值后 / evaluations: f = {trace[-1, 1]:.2g}")
assert traces["L-BFGS strong_wolfe"][-1, 1] < 1e-8 < 1e-3 < traces["Adam η = 0.1"][-1, 1]
assert traces["L-BFGS strong_wolfe"][-1, 0] <= 130 and traces["L-BFGS η = 1"][0, 1] > 100
print("L-BFGS ✓ 约 100 次求值就到了 (1, 1)；Adam 400 次后还在峡谷里")
print("L-BFGS ✓ reaches (1, 1) in about 100 evaluations; Adam is still in the valley after 400")

# %% [markdown] tags=["zh"]
# 在这个光滑的二维函数上，带强 Wolfe 线搜索的 L-BFGS 用一百来次求值就到了最低点 $(1, 1)$。不带线搜索、固定 $\eta = 1$ 的 L-BFGS 第一步就冲到了 $f > 100$ 的地方（第一步是最速下降，步长 $\min(1, 1/\|g\|_1)$ 对这里的梯度来说太大），之后大体在下降，却时好时坏，因为没有任何东西检查损失是否真的变小了；学习率为 0.1 的 Adam 走了 400 步还在弯曲的峡谷里。这正是 L-BFGS 加线搜索的用武之地：问题光滑、梯度准确（整批）、参数不太多。这个单元格打印的函数值在不同的 CPU 上可能略有不同，所以不比较它的输出；上面的断言检查了结论。

# %% [markdown] tags=["en"]
# On this smooth 2-D function, L-BFGS with the strong Wolfe line search reaches the minimum $(1, 1)$ in about a hundred
# evaluations. L-BFGS without a line search, at a fixed $\eta = 1$, jumps to $f > 100$ on its very first step (a
# steepest-descent step whose size $\min(1, 1/\|g\|_1)$ is too large for this gradient), and afterwards goes down on
# the whole but erratically, since nothing checks that the loss really decreased; Adam with a learning rate of 0.1 is
# still in the curved valley after 400 steps. This is where L-BFGS with a line search shines: a smooth problem, exact
# (full-batch) gradients, not too many parameters. The values this cell prints may differ slightly from CPU to CPU, so
# its output is not compared; the assertions above check the conclusions.

# %% [markdown] tags=["zh"]
# ### 8.3 从零实现，与 PyTorch 对照（选读）
#
# 下面的从零实现照着第 8.1 节的规则写，不做线搜索（line search），在第 7 节的整批问题上对照：默认设置调用 5 次 `step`，每次 20 次迭代，正好 100 次；另外几组改变每一个选项，连迭代次数和求值次数也要一致。


# %% [markdown] tags=["en"]
# ### 8.3 From scratch, checked against PyTorch (optional)
#
# The from-scratch version below follows the rules of section 8.1 (without a line search) and is compared on the
# full-batch problem of section 7: the defaults call `step` 5 times at 20 iterations each, exactly 100; other settings
# change every option, and the numbers of iterations and evaluations must agree too.


# %%
class LBFGSFromScratch:
    """torch.optim.LBFGS，不带线搜索 / torch.optim.LBFGS without a line search."""

    def __init__(self, params, lr=1.0, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, maximize=False):
        self.params, self.lr, self.max_iter = list(params), lr, max_iter
        self.max_eval = max_iter * 5 // 4 if max_eval is None else max_eval
        self.tolerance_grad, self.tolerance_change = tolerance_grad, tolerance_change
        self.history_size, self.maximize = history_size, maximize
        self.n_iter = self.func_evals = 0               # 跨 step 累计 / kept across calls
        self.s, self.y, self.rho, self.gamma = [], [], [], 1.0
        self.d = self.t = self.prev_g = None

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def flat_grad(self):
        g = torch.cat([p.grad.reshape(-1) for p in self.params])
        return -g if self.maximize else g

    def move(self, t, d):
        """θ ← θ + t·d，d 切回每个参数 / d split back into the parameters."""
        start = 0
        for p in self.params:
            p.add_(d[start:start + p.numel()].view_as(p), alpha=t)
            start += p.numel()

    def direction(self, g):
        """两重循环：d ≈ −H⁻¹g / the two-loop recursion."""
        q, a = g.neg(), [None] * len(self.s)
        for i in reversed(range(len(self.s))):       # 从新到旧 / newest to oldest
            a[i] = self.s[i].dot(q) * self.rho[i]
            q.add_(self.y[i], alpha=-a[i])
        r = q * self.gamma
        for i in range(len(self.s)):                 # 从旧到新 / oldest to newest
            b = self.y[i].dot(r) * self.rho[i]
            r.add_(self.s[i], alpha=a[i] - b)
        return r

    @torch.no_grad()
    def step(self, closure):
        sign = -1.0 if self.maximize else 1.0

        def evaluate():
            with torch.enable_grad():
                loss = closure()
            return loss, sign * float(loss), self.flat_grad()

        first_loss, loss, g = evaluate()
        evals = 1
        self.func_evals += 1
        if g.abs().max() <= self.tolerance_grad:                 # 已经收敛 / converged already
            return first_loss
        for n in range(1, self.max_iter + 1):
            self.n_iter += 1
            if self.n_iter == 1:
                d = g.neg()                                      # 最速下降 / steepest descent
            else:
                y, s = g - self.prev_g, self.d * self.t
                ys = y.dot(s)
                if ys > 1e-10:                                   # 曲率为正才存 / positive curvature
                    if len(self.s) == self.history_size:
                        self.s.pop(0), self.y.pop(0), self.rho.pop(0)
                    self.s.append(s), self.y.append(y), self.rho.append(1.0 / ys)
                    self.gamma = ys / y.dot(y)                   # H₀ = γI
                d = self.direction(g)
            self.prev_g, prev_loss = g.clone(), loss
            t = min(1.0, 1.0 / g.abs().sum()) * self.lr if self.n_iter == 1 else self.lr
            self.d, self.t = d, t
            if g.dot(d) > -self.tolerance_change:                # 不是下降方向 / not downhill
                break
            self.move(t, d)                                      # 固定步长 / a fixed step
            if n == self.max_iter:
                break
            _, loss, g = evaluate()
            evals += 1
            self.func_evals += 1
            if (evals >= self.max_eval or g.abs().max() <= self.tolerance_grad
                    or (d * t).abs().max() <= self.tolerance_change
                    or abs(loss - prev_loss) < self.tolerance_change):
                break
        return first_loss


def lbfgs_run(make_optimizer, iterations=100, maximize=False, max_calls=200):
    """反复调用 step(closure)，直到做满 iterations 次迭代 / call step(closure) until `iterations`
    iterations are done; returns the parameters and (iterations, evaluations, calls)."""
    model = small_model()
    optimizer = make_optimizer(model.parameters())
    sign = -1.0 if maximize else 1.0

    def closure():
        optimizer.zero_grad()
        loss = sign * objective(model)
        loss.backward()
        return loss

    def counts():
        if isinstance(optimizer, torch.optim.LBFGS):
            state = optimizer.state[optimizer.param_groups[0]["params"][0]]
            return state.get("n_iter", 0), state.get("func_evals", 0)
        return optimizer.n_iter, optimizer.func_evals

    calls, done = 0, -1
    while done < counts()[0] < iterations and calls < max_calls:  # 停止前进就不再调用 / stop when stuck
        done = counts()[0]
        optimizer.step(closure)
        calls += 1
    return [p.detach() for p in model.parameters()], counts() + (calls,)


HAS_MAXIMIZE = "maximize" in inspect.signature(torch.optim.LBFGS).parameters
LBFGS_OPTIONS = {
    "defaults": {},
    "lr, max_iter, max_eval, history_size": {"lr": 0.5, "max_iter": 8, "max_eval": 6,
                                             "history_size": 5},
    "tolerance_change": {"tolerance_change": 1e-4, "history_size": 10},
    "tolerance_grad": {"tolerance_grad": 1e-3},
}
if HAS_MAXIMIZE:
    LBFGS_OPTIONS["maximize"] = {"maximize": True, "lr": 0.8}
else:
    print("这个版本的 LBFGS 还没有 maximize 参数 / this torch's LBFGS has no maximize argument yet")
counts = {}  # 每组的（迭代次数，求值次数，step 调用次数）/ (iterations, evaluations, calls)
for name, kw in LBFGS_OPTIONS.items():
    maximize = kw.get("maximize", False)
    ours, ours_counts = lbfgs_run(lambda ps: LBFGSFromScratch(ps, **kw), maximize=maximize)
    ref, ref_counts = lbfgs_run(lambda ps: torch.optim.LBFGS(ps, **kw), maximize=maximize)
    torch.testing.assert_close(ours, ref)
    assert ours_counts == ref_counts, (name, ours_counts, ref_counts)
    note("LBFGS", ours, ref)
    counts[name] = ref_counts
assert counts["defaults"] == (100, 100, 5)            # 5 次 step，每次 20 次迭代 / 5 calls of 20
assert counts["tolerance_change"][2] > 5              # 损失变化太小，step 提前结束 / steps end early
assert counts["tolerance_grad"][0] < 100              # 梯度够小，不再前进 / small gradient: it stops
assert all(c[0] >= 100 for name, c in counts.items() if name != "tolerance_grad")
print("LBFGS ✓ 迭代 100 次后与 torch.optim.LBFGS 一致，迭代、求值和调用的次数也一致")
print("LBFGS ✓ matches after 100 iterations; same counts of iterations, evaluations and calls")
print(f"    ({'; '.join(LBFGS_OPTIONS)})")

# %% [markdown] tags=["zh"]
# 这个线搜索有一百多行插值和区间维护的细节，从零重写它对理解 L-BFGS 没有帮助，所以这里**不**逐步复现它，而是检查它承诺的东西。我们用 `max_iter=1` 调用 100 次 `step`，让每一次迭代都看得见，然后断言：
#
# - 每一步的位移 $s$ 都平行于我们自己用两重循环、从同样的历史算出来的方向 $d$（$s = t d$，$t > 0$）；
# - 每一步都满足上面两个强 Wolfe 条件。
#
# 这证明了方向和“接受的步长满足什么”，但没有证明 PyTorch 选中的 $t$ 就是某个从零写的线搜索会选的那一个。还有一个坑：`max_iter=1` 时默认的 `max_eval` 是 $1 \cdot 5 // 4 = 1$，线搜索一次额外的求值也做不了，只试第一个候选步长（损失上升就不动）。所以下面显式地给 `max_eval=25`，并看一看默认值下每次 `step` 求值几次。（这是较新版本的行为：较早的版本，例如 2.7，线搜索不受 `max_eval` 限制，总能试到 25 次。）

# %% [markdown] tags=["en"]
# The line search is a hundred-odd lines of interpolation and interval bookkeeping, and rewriting it from scratch would
# not help us understand L-BFGS, so here we do **not** reproduce it step by step; we check what it promises. We call
# `step` 100 times with `max_iter=1`, so that every iteration is visible, and assert:
#
# - each step's move $s$ is parallel to the direction $d$ that our own two-loop recursion computes from the same history
#   ($s = t d$ with $t > 0$);
# - each step satisfies both strong Wolfe conditions above.
#
# This proves the direction and what the accepted step satisfies, but not that PyTorch's chosen $t$ is the one some
# from-scratch line search would choose. One more trap: with `max_iter=1` the default `max_eval` is $1 \cdot 5 // 4 = 1$,
# which leaves the line search not a single extra evaluation: it only tries the first candidate step (and stays put if
# the loss goes up). So below we give `max_eval=25` explicitly, and look at how many evaluations each `step` makes
# with the default. (This is how recent releases behave; in earlier ones, 2.7 for example, `max_eval` does not bound
# the line search, which may try up to 25 times.)

# %%
def flat(tensors):
    return torch.cat([x.reshape(-1) for x in tensors])


def value_and_grad(model):
    model.zero_grad()
    loss = objective(model)
    loss.backward()
    return loss.item(), flat(p.grad for p in model.parameters())


def two_loop(g, pairs, gamma):
    """教科书的两重循环，pairs = [(s, y), …] 从旧到新 / the textbook recursion, oldest first."""
    q, a = -g, []
    for s, y in reversed(pairs):
        a.append(s.dot(q) / y.dot(s))
        q = q - a[-1] * y
    r = gamma * q
    for (s, y), a_i in zip(pairs, reversed(a)):
        r = r + (a_i - y.dot(r) / y.dot(s)) * s
    return r


model = small_model()
params = list(model.parameters())
lbfgs = torch.optim.LBFGS(params, line_search_fn="strong_wolfe", max_iter=1, max_eval=25,
                          history_size=10)


def closure():
    lbfgs.zero_grad()
    loss = objective(model)
    loss.backward()
    return loss


pairs, gamma = [], 1.0
theta, (f, g) = flat(params).detach(), value_and_grad(model)
armijo, curvature = [], []
for k in range(100):
    d = -g if k == 0 else two_loop(g, pairs, gamma)          # 我们的方向 / our direction
    lbfgs.step(closure)
    theta_new, (f_new, g_new) = flat(params).detach(), value_and_grad(model)
    s = theta_new - theta
    t = (s.dot(d) / d.dot(d)).item()
    assert t > 0
    torch.testing.assert_close(s, t * d)                     # s ∥ d
    armijo.append((f_new - f) / s.dot(g).item())             # 须 ≥ c1 / must be ≥ c1
    curvature.append(abs(g_new.dot(s).item()) / abs(g.dot(s).item()))  # 须 ≤ c2 / must be ≤ c2
    y = g_new - g
    if y.dot(s) > 1e-10:
        pairs = (pairs + [(s, y)])[-10:]                     # history_size = 10
        gamma = (y.dot(s) / y.dot(y)).item()
    theta, f, g = theta_new, f_new, g_new
state = lbfgs.state[params[0]]
assert state["n_iter"] == 100 and min(armijo) >= 1e-4 and max(curvature) <= 0.9
print("LBFGS(strong_wolfe) ✓ 100 次迭代：方向与两重循环一致，每一步都满足强 Wolfe 条件")
print("LBFGS(strong_wolfe) ✓ 100 iterations: two-loop direction, strong Wolfe at every step")

# 默认 max_eval 下，max_iter=1 的线搜索只有一次试探 / with the default max_eval, one trial only
model = small_model()
lbfgs = torch.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe", max_iter=1)
for _ in range(10):
    lbfgs.step(closure)
if lbfgs.state[next(model.parameters())]["func_evals"] <= 2 * 10:
    print("LBFGS ✗ max_iter=1 且不给 max_eval 时，每次 step 至多求值两次：线搜索没有余地")
    print("LBFGS ✗ max_iter=1, no max_eval: at most two evaluations per step, no room to search")
else:  # 较早的版本（如 2.7）：线搜索不受 max_eval 限制 / earlier releases: max_eval does not bound it
    print(f"torch {torch.__version__}: 线搜索不受 max_eval 限制，没有这个坑 / "
          "the line search ignores max_eval here: no trap")

# %% [markdown] tags=["zh"]
# ## 9. 七个优化器在二维曲面上（选读）
#
# 和第 07、08 课一样，用病态二次函数 $f(x, y) = \frac{1}{2}(x^2 + 25 y^2)$（60 步）和 Rosenbrock 函数（400 步）比较路径。每个优化器在两个曲面上用同一组设置；L-BFGS 用强 Wolfe 线搜索，每次 `step` 一次迭代。学习率是为了让图好看而挑的，不是调出来的最优值。除了 L-BFGS（它的线搜索没有从零实现），每条路径都再用我们的从零实现走一遍，逐点对照。图中 RAdam 在 Rosenbrock 函数上开头的那几大步，就是第 5 节说的前 5 个 SGD 步。最后检查 `foreach=True` 与 `False` 给出同样的结果。

# %% [markdown] tags=["en"]
# ## 9. The seven on two-dimensional surfaces (optional)
#
# As in lessons 07 and 08, we compare paths on the ill-conditioned quadratic $f(x, y) = \frac{1}{2}(x^2 + 25 y^2)$
# (60 steps) and on the Rosenbrock function (400 steps). Each optimizer uses one setting on both surfaces; L-BFGS uses
# the strong Wolfe line search, one iteration per `step`. The learning rates were picked to make a readable figure, not
# tuned to be the best. Except for L-BFGS (whose line search we did not write from scratch), every path is retraced by
# our from-scratch version and compared point by point. The few big jumps RAdam makes at the start on the Rosenbrock
# function are the five SGD steps of section 5. Finally we check that `foreach=True` and `False` give the same result.

# %%
def quadratic(p):
    return 0.5 * (p[0] ** 2 + 25 * p[1] ** 2)


# 曲面、起点、步数、画图范围 / surface, start, steps, plot range
SURFACES = {
    "quadratic": (quadratic, [-4.0, 1.0], 60, (-4.5, 1.5), (-1.5, 1.5)),
    "rosenbrock": (rosenbrock, [-1.5, 2.0], 400, (-2.0, 2.0), (-1.0, 3.0)),
}
# 名字：(torch 类, 从零实现的类, 选项) / name: (torch class, from-scratch class, options)
SEVEN = {
    "Adadelta η=10": (torch.optim.Adadelta, AdadeltaFromScratch, {"lr": 10.0}),
    "Adamax η=0.2": (torch.optim.Adamax, AdamaxFromScratch, {"lr": 0.2}),
    "NAdam η=0.1": (torch.optim.NAdam, NAdamFromScratch, {"lr": 0.1}),
    "RAdam η=0.01": (torch.optim.RAdam, RAdamFromScratch, {"lr": 0.01}),
    "ASGD η=0.001": (torch.optim.ASGD, ASGDFromScratch, {"lr": 1e-3}),
    "Rprop": (torch.optim.Rprop, RpropFromScratch, {}),
    "L-BFGS": (torch.optim.LBFGS, None, {"max_iter": 1, "max_eval": 25,
                                         "line_search_fn": "strong_wolfe"}),
}


def path(f, start, steps, make_optimizer):
    """优化器在曲面 f 上走过的点 / the points an optimizer visits on f."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([p])

    def closure():
        optimizer.zero_grad()
        loss = f(p)
        loss.backward()
        return loss

    points = [p.detach().clone()]
    for _ in range(steps):
        if isinstance(optimizer, torch.optim.LBFGS):
            optimizer.step(closure)
        else:
            closure()
            optimizer.step()
        points.append(p.detach().clone())
    return torch.stack(points)


paths = {}
for surface, (f, start, steps, *_) in SURFACES.items():
    paths[surface] = {}
    for name, (torch_class, ours_class, kw) in SEVEN.items():
        paths[surface][name] = path(f, start, steps, lambda ps: torch_class(ps, **kw))
        if ours_class is not None:
            ours = path(f, start, steps, lambda ps: ours_class(ps, **kw))
            torch.testing.assert_close(ours, paths[surface][name])
print("路径 ✓ 六个从零实现在两个曲面上与 torch.optim 每一步都相同")
print("paths ✓ six from-scratch optimizers equal torch.optim at every step on both surfaces")

fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
for ax, (surface, (f, start, steps, xr, yr)) in zip(axes, SURFACES.items()):
    xs = torch.linspace(*xr, 200, dtype=torch.float64)
    ys = torch.linspace(*yr, 200, dtype=torch.float64)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    ax.contour(gx, gy, f(torch.stack([gx, gy])).log1p(), levels=25, cmap="Greys", linewidths=0.6)
    for name, pts in paths[surface].items():
        ax.plot(pts[:, 0], pts[:, 1], ".-", ms=2, lw=1, label=name)
    ax.plot(*([0.0, 0.0] if surface == "quadratic" else [1.0, 1.0]), "k*", ms=10)
    ax.set_xlim(*xr)
    ax.set_ylim(*yr)
    title = {"quadratic": ("病态二次函数", "ill-conditioned quadratic"),
             "rosenbrock": ("Rosenbrock 函数", "Rosenbrock function")}[surface]
    ax.set_title(fc.label(*title) + f"  ({steps} " + fc.label("步", "steps") + ")")
    ax.legend(fontsize=7)
fig.tight_layout()
plt.show()

final_f = {surface: {name: SURFACES[surface][0](pts[-1]).item() for name, pts in runs.items()}
           for surface, runs in paths.items()}
assert all(values["L-BFGS"] < 1e-8 for values in final_f.values())
assert all(values["L-BFGS"] == min(values.values()) for values in final_f.values())
assert final_f["quadratic"]["Rprop"] < 1e-6
print("路径 ✓ L-BFGS 在两个曲面上都到了最低点；Rprop 在坐标轴对齐的二次函数上也到了")
print("paths ✓ L-BFGS reaches both minima; Rprop too on the axis-aligned quadratic")

# foreach 只改变实现 / foreach changes only the implementation
gen = torch.Generator().manual_seed(1)
p0 = [torch.randn(3, 4, generator=gen, dtype=torch.float64) for _ in range(2)]
grads = [[torch.randn(3, 4, generator=gen, dtype=torch.float64) for _ in range(2)]
         for _ in range(30)]
for torch_class in (torch.optim.Adadelta, torch.optim.Adamax, torch.optim.NAdam,
                    torch.optim.RAdam, torch.optim.ASGD, torch.optim.Rprop):
    results = []
    for foreach in (False, True):
        ps = [x.clone().requires_grad_(True) for x in p0]
        opt = torch_class(ps, foreach=foreach)
        for gs in grads:
            for x, g in zip(ps, gs):
                x.grad = g.clone()
            opt.step()
        results.append([x.detach() for x in ps])
    torch.testing.assert_close(results[0], results[1])
print("foreach ✓ foreach=True 与 foreach=False 一致（30 步，六个类）/ agree (30 steps, six classes)")

# %% tags=["nbval-ignore-output"]
# 与 PyTorch 的最大差（随 CPU 在最后几位上不同）/ the largest difference from PyTorch (varies by CPU)
for name, diff in LARGEST.items():
    print(f"{name:<9} {diff:.2e}")
print(f"到这里用时 / time so far: {time.perf_counter() - lesson_start:.1f} s")

# %% [markdown] tags=["zh"]
# ## 10. 在 Fashion-MNIST 上：整批优化器何时有优势
#
# 第 7、8 节说 Rprop 和 L-BFGS 适合整批问题。在 Fashion-MNIST 上试一个：从训练集（不含验证集）里随机取 1,024 张图片，整批训练 softmax 回归（目标函数同第 7 节，`float32`），每种优化器都只给 **60 次函数求值**：带强 Wolfe 线搜索的 L-BFGS、固定 $\eta = 1$ 的 L-BFGS、Rprop，以及整批的 Adam（$\eta = 0.05$，步数这么少，学习率取得大）。每种做 3 个种子（种子决定抽哪些图片和初始化），再在 10,000 张验证图片上看准确率。
#
# 要回答两个问题：同样的求值次数，谁把目标函数降得最低？目标函数更低，验证准确率是否也更高？训练的输出会随机器变化，这个单元格不比较输出；下一个单元格对 3 个种子都做带余量的检查。测试集在这里不用：我们只比较，不挑选最终模型。

# %% [markdown] tags=["en"]
# ## 10. On Fashion-MNIST: when the full-batch optimizers win
#
# Sections 7 and 8 say Rprop and L-BFGS suit full-batch problems. Let us try one on Fashion-MNIST: draw 1,024 images at
# random from the training split (the validation images excluded), train softmax regression on the full batch (the
# objective of section 7, in `float32`), and give each optimizer only **60 function evaluations**: L-BFGS with the
# strong Wolfe line search, L-BFGS at a fixed $\eta = 1$, Rprop, and full-batch Adam ($\eta = 0.05$, large because there
# are so few steps). Each runs with 3 seeds (the seed picks the images and the initialization), and we look at the
# accuracy on the 10,000 validation images.
#
# Two questions: with the same number of evaluations, which brings the objective lowest? And does a lower objective mean
# a higher validation accuracy? The training output varies from machine to machine, so this cell's output is not
# compared; the next cell checks, with margins, for all 3 seeds. The test set is not used here: we compare, we do not
# choose a final model.

# %% tags=["nbval-ignore-output", "grading-skip"]
X_val, y_val = X_train[val_idx.to(device64)].float(), y_train[val_idx.to(device64)]
budget = 60
FULL_BATCH = {
    "L-BFGS strong_wolfe": lambda ps: torch.optim.LBFGS(
        ps, max_iter=1000, max_eval=budget, history_size=10, line_search_fn="strong_wolfe"),
    "L-BFGS η=1": lambda ps: torch.optim.LBFGS(ps, max_iter=1000, max_eval=budget,
                                               history_size=10),
    "Rprop": lambda ps: torch.optim.Rprop(ps),
    "Adam η=0.05": lambda ps: torch.optim.Adam(ps, lr=0.05),
}


def full_batch_run(make_optimizer, seed):
    """60 次求值的整批训练；返回每次求值的目标函数、最后的目标函数、验证准确率和迭代次数 /
    full-batch training for 60 evaluations: the objective at each, the final one, val accuracy,
    and the number of iterations."""
    order = torch.randperm(len(train_idx), generator=torch.Generator().manual_seed(seed))
    idx = train_idx[order[:1024]].to(device64)
    X, y = X_train[idx].float(), y_train[idx]
    fc.set_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10)).to(device64)
    optimizer = make_optimizer(model.parameters())
    values = []

    def closure():
        optimizer.zero_grad()
        loss = objective(model, X, y)
        loss.backward()
        values.append(loss.item())
        return loss

    steps = 0
    while len(values) < budget:
        optimizer.step(closure)
        steps += 1
    if isinstance(optimizer, torch.optim.LBFGS):  # 一次 step 里的迭代 / iterations within a step
        steps = optimizer.state[optimizer.param_groups[0]["params"][0]]["n_iter"]
    with torch.no_grad():
        final = objective(model, X, y).item()
        val_acc = (model(X_val).argmax(1) == y_val).float().mean().item()
    return values[:budget], final, val_acc, steps


start = time.perf_counter()
results = {seed: {name: full_batch_run(make, seed) for name, make in FULL_BATCH.items()}
           for seed in range(3)}
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for name, (values, *_) in results[0].items():
    ax.semilogy(range(1, budget + 1), torch.tensor(values).cummin(0).values, label=name)
ax.set_xlabel(fc.label("函数求值次数", "function evaluations"))
ax.set_ylabel(fc.label("最低的目标函数", "lowest objective"))
ax.set_title(fc.label("整批 softmax 回归（种子 0）", "full-batch softmax regression (seed 0)"))
ax.legend()
ax.grid(alpha=0.3, which="both")
fig.tight_layout()
plt.show()
print(f"{fc.pad('优化器 / optimizer', 22)}{fc.pad('目标函数 / objective', 24, '>')}"
      f"{fc.pad('验证准确率 / val acc', 24, '>')}{fc.pad('迭代 / iterations', 20, '>')}")
for name in FULL_BATCH:
    finals = "  ".join(f"{results[s][name][1]:.3f}" for s in range(3))
    accs = "  ".join(f"{100 * results[s][name][2]:.1f}%" for s in range(3))
    iters = "  ".join(f"{results[s][name][3]:>3}" for s in range(3))
    print(f"{name:<22}{finals:>24}{accs:>24}{iters:>20}")
print(f"用时 / time: {time.perf_counter() - start:.1f} s")

# %% tags=["grading-skip"]
for seed, runs in results.items():
    final = {name: run[1] for name, run in runs.items()}
    val_acc = {name: run[2] for name, run in runs.items()}
    for lbfgs_name in ("L-BFGS strong_wolfe", "L-BFGS η=1"):
        assert final[lbfgs_name] < final["Rprop"] - 0.03, (seed, final)
    assert final["Rprop"] < final["Adam η=0.05"] - 0.05, (seed, final)
    assert max(val_acc.values()) - min(val_acc.values()) < 0.03, (seed, val_acc)
    iterations = {name: run[3] for name, run in runs.items()}
    assert iterations["L-BFGS strong_wolfe"] < iterations["L-BFGS η=1"] <= budget, iterations
print("目标函数 ✓ 3 个种子上，两种 L-BFGS 都比 Rprop 低 0.03 以上，Rprop 比 Adam 低 0.05 以上")
print("objective ✓ on 3 seeds both L-BFGS end > 0.03 below Rprop, and Rprop > 0.05 below Adam")
print("验证集 ✓ 四种优化器的验证准确率相差不到 3 个百分点 / val ✓ the four lie within 3 points")
print("L-BFGS ✓ 同样 60 次求值，线搜索的那个迭代次数更少 / the line search makes fewer iterations")

# %% [markdown] tags=["zh"]
# 同样 60 次求值，L-BFGS 把目标函数降得最低（带线搜索的和固定步长的都是），Rprop 次之，Adam 最高。可是验证准确率几乎一样（3 个种子上四者相差都不到 3 个百分点）：1,024 张图片对 7,850 个参数来说不多，把训练图片拟合得再好一点，在没见过的图片上并没有更好。优化器的任务是把目标函数降下去；模型能不能推广，取决于数据、模型和正则化，要在验证集上看。
#
# 两种 L-BFGS 之间，线搜索并不白来：它在试探的步长上花掉求值次数，同样 60 次求值，带线搜索的那个迭代次数更少（表的最后一列，上面的断言检查了这一点）。这个问题条件好，固定的步长 1 很少太长，所以固定步长的那个可以比带线搜索的还低（对照表的第一列；这一点随种子而变，没有断言）。线搜索换来的是稳妥：在 Rosenbrock 函数上（第 8.2 节），没有它的 L-BFGS 第一步就冲到了 $f > 100$。

# %% [markdown] tags=["en"]
# With the same 60 evaluations L-BFGS brings the objective lowest (both with the line search and at a fixed step),
# then Rprop, with Adam highest. Yet the validation accuracies are almost the same (within 3 points of one another on
# all 3 seeds): 1,024 images are not many for 7,850 parameters, and fitting the training images a little better does
# no better on images the model has not seen. The optimizer's job is to bring the objective down; whether the model
# generalizes depends on the data, the model and the regularization, and is judged on the validation set.
#
# Between the two L-BFGS runs, the line search is not free: it spends evaluations on trial steps, so with the same 60
# evaluations it makes fewer iterations (the last column; the assert above checks it). This problem is well
# conditioned and a step of 1 is seldom too long, so the fixed step can even end lower than the line search (compare
# the first column; this varies with the seed and is not asserted). What the line search buys is safety: on the
# Rosenbrock function (section 8.2), L-BFGS without it jumped to $f > 100$ on its first step.

# %% [markdown] tags=["zh"]
# ## 11. 在课程任务上：换掉 Adam 会怎样
#
# 第 2–5 节的四个优化器都是 Adam 的变体或近亲，常被说成“可以直接替换 Adam”。在课程任务上量一量：课程模型（`fc.NeuralNetwork`），固定划分里的 50,000 张训练图片，每批 64 张，训练 2 轮，在 10,000 张验证图片上看准确率，每个优化器 3 个种子。同一个种子下，所有优化器的初始权重和批次顺序都相同，所以可以逐个种子配对相减（表中的 Δ）。学习率在跑之前就定下，都用 PyTorch 的默认值：Adam 和 RAdam 为 $10^{-3}$，NAdam 和 Adamax 为 $2 \times 10^{-3}$，Adadelta 为 1.0；Adam 另外用 $2 \times 10^{-3}$ 也跑了一遍，好把 NAdam、Adamax 和同样学习率的 Adam 放在一起看。
#
# 这 18 次训练在一个 CPU 核上要十来分钟，所以课里不现场训练：`benchmarks/optim_compare.py` 跑好了它们，把每次的结果写进随课程包安装的 `fmnist_core/optim_compare.csv`，下面读这张表（想自己重跑，见那个脚本开头的说明）。Rprop 和 L-BFGS 是整批方法，第 10 节已在整批问题上比过；ASGD 是给凸问题用的（参数平均在第 10 课用 SWA 和 EMA 讲过），都不在这里。测试集没有用到：这里只比较，不挑选。


# %% [markdown] tags=["en"]
# ## 11. On the course task: what changes if you replace Adam
#
# The four optimizers of sections 2-5 are variants or close relatives of Adam, often called "drop-in replacements for
# Adam". Let us measure that on the course task: the course model (`fc.NeuralNetwork`), the 50,000 training images of
# the fixed split, batches of 64, 2 epochs, accuracy on the 10,000 validation images, 3 seeds per optimizer. With the
# same seed, every optimizer starts from the same weights and sees the batches in the same order, so the runs can be
# paired seed by seed (the Δ in the table). The learning rates were fixed before any run, all PyTorch's defaults: Adam
# and RAdam $10^{-3}$, NAdam and Adamax $2 \times 10^{-3}$, Adadelta 1.0; Adam was also run at $2 \times 10^{-3}$, so
# that NAdam and Adamax can be set beside Adam at the same learning rate.
#
# These 18 runs take about ten minutes on one CPU core, so the lesson does not train them live:
# `benchmarks/optim_compare.py` ran them and wrote each result to `fmnist_core/optim_compare.csv`, which is installed
# with the course package, and the cell below reads that table (to run it again yourself, see the notes at the top of
# that script). Rprop and L-BFGS are full-batch methods, compared on a full-batch problem in section 10; ASGD is for
# convex problems (lesson 10 covers parameter averaging with SWA and EMA); none of them is here. The test set is not
# used: we compare, we do not choose.


# %%
from fmnist_core import optim_table

# benchmarks/optim_compare.py 写出，随包安装 / written by benchmarks/optim_compare.py, installed
# with the package: {划分 / split: {优化器 / optimizer: {种子 / seed: 一行 / row}}}
table = optim_table.read()  # optim_compare.csv + optim_compare_splits.csv
compare = table[0]  # 课程固定的验证划分 / the course's fixed validation split


def accs(name):
    return optim_table.accs(compare, name)


def train_losses(name):
    return optim_table.train_losses(compare, name)


LESSON_13 = ["Adam", "Adam lr=2e-3", "NAdam", "RAdam", "Adamax", "Adadelta"]
optim_table.print_comparison(compare, LESSON_13, "Adam")

# %% [markdown] tags=["zh"]
# 表里的数取自那张 CSV，每台机器读出来都一样，所以下面的断言检查的就是正文里说的话。把它们和种子之间的差别放在一起看：
#
# - **没有哪个明显胜过 Adam。** Adamax 和 Adam 几乎一样（逐种子的差在 0.4 个百分点以内）。NAdam 和 RAdam 在 3 个种子上都比 Adam 低，但只低 0.4–1.5 个百分点，和种子之间的差别（Adam 家族的标准差在 0.3–0.8 之间）以及 Adam 自己换一个学习率的差别（$2 \times 10^{-3}$ 比 $10^{-3}$ 低约 0.5）是一个量级；而且没有真实差别时，3 个种子全都偏向同一边的机会也有 $2 \times (1/2)^3 = 1/4$。所以在这个预算下、在课程的划分上，它们与 Adam 之间**测不出**差别（换两个划分，NAdam 就不是这样了，见本节最后）。
# - **NAdam 的训练损失最低，验证准确率却不是最高。** 它在每个种子上都把训练损失降得比 Adam 低：Nesterov 那一项加上更大的默认学习率，让它拟合训练数据更快。和第 10 节一样，训练目标降得更低不等于在没见过的图片上更好；和同样学习率的 Adam 比，它的验证准确率差不多。
# - **RAdam 的训练损失是 Adam 家族里最高的**（每个种子都是）：2 轮只有 1,564 步，修正因子 $r_t$ 还在 0.8 以下（下面打印），它实际上一直在用比 Adam 小的学习率，也就是第 5.2 节说的自带预热。在短的训练里，这个预热是代价；它的好处（不用调预热）要在 Adam 需要预热的时候才看得出来，这里没有测。
# - **Adadelta 在每个种子上都落后 1.4 个百分点以上**，训练损失也最高。这和第 2.2 节看到的慢起步一致：它的步长靠自己过去的步长慢慢撑大。
#
# 这只是一个模型、2 轮、没有调过的学习率（划分见下面的表）：训练更久或者为每个优化器调学习率，顺序可能会变（第 08 课也是这样说的）。能说的是：在课程任务上，把 Adam 换成这几个变体，测不出好处。


# %% [markdown] tags=["en"]
# The numbers come from the CSV and read the same on every machine, so the asserts below check exactly what the text
# says. Set them beside the spread between seeds:
#
# - **None is clearly better than Adam.** Adamax is about the same as Adam (within 0.4 points on each seed). NAdam and
#   RAdam are below Adam on all 3 seeds, but by only 0.4-1.5 points, the size of the spread between seeds (standard
#   deviations of 0.3-0.8 in the Adam family) and of what another learning rate does to Adam itself ($2 \times 10^{-3}$ is about 0.5
#   below $10^{-3}$); and with no real difference, all 3 seeds fall on the same side with a chance of
#   $2 \times (1/2)^3 = 1/4$. So at this budget, on the course's split, no difference from Adam can be **measured**
#   (on two more splits NAdam is another story: see the end of this section).
# - **NAdam has the lowest training loss, but not the highest validation accuracy.** On every seed it brings the
#   training loss below Adam's: the Nesterov term and a larger default learning rate fit the training data faster. As in
#   section 10, a lower training objective does not mean better on unseen images; against Adam at the same learning
#   rate, its validation accuracy is about the same.
# - **RAdam has the highest training loss of the Adam family** (on every seed): 2 epochs are only 1,564 steps, its
#   rectification $r_t$ is still below 0.8 (printed below), and so it runs at a smaller learning rate than Adam all
#   along: the built-in warm-up of section 5.2. In a short run the warm-up is a cost; its benefit (no warm-up to tune)
#   would show where Adam needs a warm-up, which this run does not test.
# - **Adadelta is more than 1.4 points behind on every seed**, with the highest training loss too. That fits the slow
#   start of section 2.2: its step grows only on its own past steps.
#
# This is one model, 2 epochs and untuned learning rates (for the split, see the table below): a longer run, or a learning rate tuned for each
# optimizer, may change the order (lesson 08 says the same). What it does say: on the course task, swapping Adam for one
# of these variants brings no measurable gain.


# %%
delta = {name: [x - r for x, r in zip(accs(name), accs("Adam"))] for name in LESSON_13}
assert max(map(abs, delta["Adamax"])) < 0.4
assert all(-1.6 < d < 0 for name in ("NAdam", "RAdam") for d in delta[name])
assert all(d < -1.4 for d in delta["Adadelta"])
assert all(d < 0.1 for name in LESSON_13[1:] for d in delta[name])  # 没有哪个胜过 Adam / none wins
assert all(train_losses("NAdam")[i] == min(train_losses(n)[i] for n in LESSON_13) for i in range(3))
assert all(train_losses("Adadelta")[i] == max(train_losses(n)[i] for n in LESSON_13)
           for i in range(3))
assert all(abs(n - a) < 0.4 for n, a in zip(accs("NAdam"), accs("Adam lr=2e-3")))
family = ("Adam", "Adam lr=2e-3", "NAdam", "Adamax")
assert all(train_losses("RAdam")[i] > max(train_losses(n)[i] for n in family) for i in range(3))
steps_2_epochs = 2 * math.ceil(50_000 / 64)
_, r_end = rho_and_r(torch.tensor(float(steps_2_epochs), dtype=torch.float64), 0.999)
assert r_end < 0.8
print(f"RAdam: 2 轮 = {steps_2_epochs} 步，r_{steps_2_epochs} = {r_end:.3f} / 2 epochs = "
      f"{steps_2_epochs} steps")
print("比较 ✓ 3 个种子上没有哪个胜过 Adam 0.1 个百分点以上；Adamax ≈ Adam；Adadelta 落后 1.4 以上")
print("compare ✓ on 3 seeds none beats Adam by 0.1 point or more; Adamax ≈ Adam;")
print("    Adadelta more than 1.4 points behind")
print("训练损失 ✓ 每个种子上 NAdam 最低、Adadelta 最高；RAdam 是 Adam 家族里最高的")
print("train loss ✓ on every seed NAdam lowest, Adadelta highest;")
print("    RAdam the highest of the Adam family")

# %% [markdown] tags=["zh"]
# #### 换两个验证划分
#
# 上面的表只用了课程固定的验证划分。同一个脚本又在另外两个验证划分上各跑了 3 个种子（`--split 1` 和 `--split 2`：划分的种子换了，其余不变；结果在 `fmnist_core/optim_compare_splits.csv`，上面的 `optim_table.read()` 已经一并读了进来）。下表是每个种子上减去 Adam 的差（百分点），三个划分共 9 次：

# %% [markdown] tags=["en"]
# #### Two more validation splits
#
# The table above uses the course's fixed validation split only. The same script also ran 3 seeds on two more
# validation splits (`--split 1` and `--split 2`: the split's seed changed, nothing else; the results are in
# `fmnist_core/optim_compare_splits.csv`, which `optim_table.read()` above has already read). Below, each seed minus
# Adam (points), 9 runs over the three splits:

# %%
split_delta = optim_table.deltas_by_split(table, LESSON_13[1:], "Adam")
every = {name: [d for s in split_delta for d in split_delta[s][name]] for name in LESSON_13[1:]}
assert max(max(ds) for ds in every.values()) < 0.5  # 9 次里没有哪个高出 0.5 / none 0.5 ahead in 9
assert max(map(abs, every["Adamax"])) < 0.5
assert all(d < 0 for d in every["NAdam"]) and min(every["NAdam"]) < -5
assert all(d < -1.4 for d in every["Adadelta"])
assert sum(d < 0 for d in every["RAdam"]) == 8
for runs in table.values():  # 9 次里训练损失的顺序都一样 / the training-loss order in all 9
    losses = {name: optim_table.train_losses(runs, name) for name in LESSON_13}
    assert all(losses["NAdam"][i] == min(v[i] for v in losses.values()) for i in range(3))
    assert all(losses["Adadelta"][i] == max(v[i] for v in losses.values()) for i in range(3))
print("9 次 ✓ 没有哪个高出 Adam 0.5 个百分点；Adamax 每次与 Adam 相差不到 0.5；NAdam 每次都更低，")
print("    最多低 5 个百分点以上；Adadelta 每次落后 1.4 以上；训练损失 NAdam 最低、Adadelta 最高")
print("9 runs ✓ none 0.5 points above Adam; Adamax within 0.5 of Adam each time; NAdam below each")
print("    time, by more than 5 points at worst; Adadelta more than 1.4 behind each time;")
print("    lowest training loss NAdam, highest Adadelta")

# %% [markdown] tags=["zh"]
# 9 次运行改变了上面的一个结论：
#
# - **没有哪个胜过 Adam**，这一条更稳了：9 次里没有哪个比 Adam 高出 0.5 个百分点。Adamax 每次都与 Adam 相差不到 0.5 个百分点。RAdam 9 次里 8 次低于 Adam，最多低 1.5 个百分点。Adadelta 每次都落后 1.4 个百分点以上，在划分 2 上落后到 8.3。
# - **NAdam 不是“测不出差别”。** 在课程的划分上它只低 0.5 到 1.1 个百分点，在另外两个划分上却低 1.7 到 7.1 个百分点，9 次里每次都低于 Adam；而它的训练损失 9 次里每次都是最低的。训练损失最低，验证准确率却随划分大起大落（9 次里从 79.6% 到 86.1%）。一个可能的解释（这里没有检验）：学习率 $2 \times 10^{-3}$ 加上 Nesterov 那一项，第 2 轮结束时权重停在哪里，很看最后几步的运气。只看一个划分，就会把它当成“和 Adam 一样”。
#
# 所以能说的是：在课程任务上、这个预算下，把 Adam 换成这几个变体，9 次里没有一次带来 0.5 个百分点以上的好处，NAdam 和 Adadelta 有时还差得多。

# %% [markdown] tags=["en"]
# The 9 runs change one conclusion above:
#
# - **None beats Adam**, and now on firmer ground: in 9 runs none is 0.5 points above Adam. Adamax is within 0.5
#   points of Adam each time. RAdam is below Adam in 8 of the 9, by 1.5 points at most. Adadelta is more than 1.4 points
#   behind each time, and up to 8.3 on split 2.
# - **NAdam is not "no measurable difference".** On the course's split it is only 0.5 to 1.1 points lower, but on the
#   two other splits 1.7 to 7.1 points lower, below Adam in every one of the 9 runs; and its training loss is the lowest
#   in every one of them. The lowest training loss, yet a validation accuracy that swings with the split (79.6% to
#   86.1% over the 9 runs). One possible reading (not tested here): with a learning rate of $2 \times 10^{-3}$ and the
#   Nesterov term, where the weights end up after epoch 2 depends much on the luck of the last few steps. With one
#   split only, it would pass for "the same as Adam".
#
# So what can be said: on the course task at this budget, swapping Adam for one of these variants brought a gain of
# 0.5 points or more in none of the 9 runs, and NAdam and Adadelta are sometimes much worse.

# %% [markdown] tags=["zh"]
# ## 12. 何时使用
#
# | 优化器 | 相对 Adam 或 SGD 改了什么 | 什么时候有人用 | 本课测到的（第 10、11 节） |
# |---|---|---|---|
# | Adadelta | RMSprop 加上用过去更新量的均方根代替学习率 | 复现 2012 到 2015 年间的工作；很少作为首选 | 课程任务 2 轮：每个种子都落后 Adam 1.4 个百分点以上 |
# | Adamax | 分母换成按 $\beta_2$ 衰减的最大值 | 想要步长有简单的上界（约 $\eta$）时；很少作为首选 | 课程任务 2 轮：与 Adam 相差不到 0.4 个百分点 |
# | NAdam | Adam 加 Nesterov 动量，带动量调度 | Adam 的直接替代品；`decoupled_weight_decay=True` 给出 AdamW 式的衰减 | 课程任务 2 轮：训练损失更低，验证准确率不比 Adam 高 |
# | RAdam | $v$ 的估计不可靠时不用自适应步长，之后乘 $r_t$ | 代替“Adam 加预热”，小心前 5 步的 SGD 步 | 课程任务 2 轮：$r_t$ 还小，训练得慢些，验证准确率不比 Adam 高 |
# | ASGD | SGD 加上从 $t_0$ 开始的参数平均 | 凸问题、线性模型；深度学习里更常用 `torch.optim.swa_utils` 的 SWA 或 EMA | 没有在课程任务上比较 |
# | Rprop | 只用梯度的符号，每个参数一个步长 | 整批、小规模、梯度无噪声的问题 | 整批问题：目标函数在 L-BFGS 与 Adam 之间；小批量时步长缩到 $\Delta_{\min}$ |
# | L-BFGS | 拟牛顿：用梯度的变化近似曲率，可选强 Wolfe 线搜索 | 整批的光滑问题：逻辑回归（scikit-learn 的 `LogisticRegression` 默认 `solver="lbfgs"`）、物理信息神经网络（PINN）训练的最后阶段、神经风格迁移（neural style transfer）里对图片本身的优化 | 整批问题：同样的求值次数目标函数最低，验证准确率与其他几个一样 |
#
# 常见错误：
#
# - 对 `LBFGS` 调用 `optimizer.step()` 而不传闭包；或者闭包每次调用都换一个小批量：线搜索在同一次 `step` 里多次求值，函数却在变，它的判断就都失效了。一次 `step` 内要用同一批数据。
# - 用小批量训练 Rprop：步长会缩到 $\Delta_{\min}$（第 7.2 节）。
# - 用默认的 `t0` 跑 ASGD，以为得到了平均：`ax` 只是 $\theta$ 的拷贝；即使平均开始了，也要自己把 `ax` 复制进模型再评估。
# - 把 Adam 的学习率直接搬给 RAdam，而梯度又很大：前 5 步是 $\eta \hat{m}_t$，可能发散。
# - 以为 `NAdam(momentum_decay=0)` 关掉了动量调度：它把 $\mu_t$ 固定在 $\beta_1 / 2$。
# - 把 Adadelta 的 `lr=1.0` 和别的优化器的学习率比较：它只是乘在 $\Delta_t$ 上的系数。

# %% [markdown] tags=["en"]
# ## 12. When to use
#
# | optimizer | what it changes relative to Adam or SGD | when anyone uses it | what this lesson measured (sections 10, 11) |
# |---|---|---|---|
# | Adadelta | RMSprop, with the root mean square of past updates in place of the learning rate | to reproduce work from 2012 to 2015; rarely the first choice | course task, 2 epochs: more than 1.4 points behind Adam on every seed |
# | Adamax | a maximum decaying by $\beta_2$ in the denominator | when a simple bound on the step (about $\eta$) is wanted; rarely the first choice | course task, 2 epochs: within 0.4 points of Adam |
# | NAdam | Adam with Nesterov momentum and a momentum schedule | a drop-in replacement for Adam; `decoupled_weight_decay=True` gives AdamW-style decay | course task, 2 epochs: lower training loss, validation accuracy no higher than Adam's |
# | RAdam | no adaptive step while the estimate of $v$ is unreliable, then times $r_t$ | in place of "Adam plus warm-up"; mind the SGD steps of the first 5 steps | course task, 2 epochs: $r_t$ still small, slower training, validation accuracy no higher than Adam's |
# | ASGD | SGD plus an average of the parameters from $t_0$ on | convex problems, linear models; in deep learning, SWA or EMA from `torch.optim.swa_utils` is more common | not compared on the course task |
# | Rprop | the sign of the gradient only, one step size per parameter | full-batch, small, noise-free problems | full batch: objective between L-BFGS and Adam; on mini-batches the steps shrink to $\Delta_{\min}$ |
# | L-BFGS | quasi-Newton: curvature from changes of the gradient, with an optional strong Wolfe line search | smooth full-batch problems: logistic regression (scikit-learn's `LogisticRegression` defaults to `solver="lbfgs"`), the last stage of training physics-informed neural networks (PINNs), optimizing the image itself in neural style transfer | full batch: the lowest objective for the same evaluations, validation accuracy the same as the others' |
#
# Common mistakes:
#
# - calling `optimizer.step()` on `LBFGS` without a closure; or a closure that draws a new mini-batch at each call: the
#   line search evaluates several times within one `step`, and when the function keeps changing its decisions mean
#   nothing. Keep the same data within one `step`.
# - training Rprop on mini-batches: the steps shrink to $\Delta_{\min}$ (section 7.2).
# - running ASGD with the default `t0` and believing you got an average: `ax` is just a copy of $\theta$; and even once
#   averaging starts, you must copy `ax` into the model yourself before evaluating.
# - moving Adam's learning rate to RAdam when gradients are large: the first 5 steps are $\eta \hat{m}_t$ and may
#   diverge.
# - believing that `NAdam(momentum_decay=0)` turns the momentum schedule off: it fixes $\mu_t$ at $\beta_1 / 2$.
# - comparing Adadelta's `lr=1.0` with another optimizer's learning rate: it is only a factor on $\Delta_t$.

# %% [markdown] tags=["zh"]
# ## 13. 练习
#
# 两个练习：第一个把第 5 节的 RAdam 用到课里没有算过的设置上，第二个先预测、再运行。
#
# ### 练习 1：RAdam 第一次自适应的那一步（迁移）
#
# 第 5 节看的是 $\beta_2 = 0.999$：前 5 步是 SGD 步，第 6 步起自适应，$r_6 \approx 0.026$。换一个 $\beta_2$，或者梯度小到与 $\epsilon$ 相当，会怎样？一个从 0 出发的一维参数，每一步的梯度都是同一个数 `g`，用 `torch.optim.RAdam([p], lr=lr, betas=betas, eps=eps)` 更新。写出 `radam_first_adaptive_step(g, lr, betas, eps, max_steps)`：返回 `(t, delta)`，$t$ 是 RAdam 第一次走自适应步（$\rho_t > 5$）的步数（从 1 数起），`delta` 是这一步的移动量 $\theta_{t+1} - \theta_t$（带符号的浮点数）；前 `max_steps` 步里一次也没有时返回 `None`。从第 5.1 节的公式算，不要调用 `torch.optim.RAdam`（检查拿它来对照）。检查用四组设置，没有一组是 $\beta_2 = 0.999$。想清楚三件事：梯度恒定时 $\hat{m}_t$ 和 $v_t$ 是多少（不用循环也写得出来，而且答案与 $\beta_1$ 无关）；$\epsilon$ 加在哪里（第二组设置里这一点决定答案）；$\beta_2$ 小到多少时 $\rho_\infty$ 本身就不超过 5。


# %% [markdown] tags=["en"]
# ## 13. Exercises
#
# Two exercises: the first applies section 5's RAdam to settings the lesson did not work out, the second asks for a
# prediction before you run the code.
#
# ### Exercise 1: RAdam's first adaptive step (transfer)
#
# Section 5 looked at $\beta_2 = 0.999$: the first 5 steps are SGD steps, adaptive from step 6, $r_6 \approx 0.026$. What
# happens with another $\beta_2$, or with a gradient as small as $\epsilon$? A 1-D parameter starts at 0, gets the same
# gradient `g` at every step, and is updated by `torch.optim.RAdam([p], lr=lr, betas=betas, eps=eps)`. Write
# `radam_first_adaptive_step(g, lr, betas, eps, max_steps)`: return `(t, delta)`, where $t$ is the step (counted from
# 1) at which RAdam first takes its adaptive step ($\rho_t > 5$) and `delta` is that step's move
# $\theta_{t+1} - \theta_t$ (a signed float); return `None` if there is none within `max_steps` steps. Work it out from
# the formulas of section 5.1; do not call `torch.optim.RAdam` (the check compares with it). The check uses four
# settings, none with $\beta_2 = 0.999$. Think about three things: what $\hat{m}_t$ and $v_t$ are under a constant
# gradient (you can write them without a loop, and the answer does not depend on $\beta_1$); where $\epsilon$ goes (in
# the second setting it decides the answer); and how small $\beta_2$ must be for $\rho_\infty$ itself not to exceed 5.


# %% nbgrader={"grade": false, "grade_id": "l13_ex1_radam_first_step", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-transfer"]
def radam_first_adaptive_step(g, lr, betas, eps, max_steps):
    ### BEGIN SOLUTION
    beta1, beta2 = betas
    rho_inf = 2 / (1 - beta2) - 1
    for t in range(1, max_steps + 1):
        bc2 = 1 - beta2 ** t
        rho = rho_inf - 2 * t * beta2 ** t / bc2
        if rho > 5:  # PyTorch 的阈值 / PyTorch's threshold
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            # 梯度恒定：m̂_t = g，√v_t = √(1 − β2^t)·|g|；ε 加在没修正的 √v_t 上
            # a constant gradient: m̂_t = g, √v_t = √(1 − β2^t)·|g|; ε on the uncorrected √v_t
            return t, -lr * r * g * math.sqrt(bc2) / (math.sqrt(bc2) * abs(g) + eps)
    return None  # β2 ≤ 2/3：ρ∞ ≤ 5，永不切换 / never switches
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "l13_ex1_radam_first_step_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex1_radam_first_step(radam_first_adaptive_step)

# %% [markdown] tags=["zh"]
# ### 练习 2：Rprop 的步长多久涨到上限（先预测，再运行）
#
# 一个一维参数用 `torch.optim.Rprop([p], lr=1e-3, etas=(0.5, 1.5), step_sizes=(1e-6, 1.0))` 更新，每一步的梯度都是 $+2$。它第几步**第一次**以最大步长 $\Delta_{\max} = 1$ 移动？先读一读答案后面的那个单元格，但**先别运行**：在 `predict_rprop_max_step()` 里返回你预测的步数（一个整数，第一步是第 1 步），再运行那个单元格对照，最后运行检查。用第 7.1 节的规则想：第一步的因子是多少？梯度的大小进不进入更新？


# %% [markdown] tags=["en"]
# ### Exercise 2: how soon Rprop's step size reaches its ceiling (predict, then run)
#
# A 1-D parameter is updated by `torch.optim.Rprop([p], lr=1e-3, etas=(0.5, 1.5), step_sizes=(1e-6, 1.0))`, with a
# gradient of $+2$ at every step. At which step does it **first** move by the largest step size, $\Delta_{\max} = 1$?
# Read the cell after your answer but **do not run it yet**: make `predict_rprop_max_step()` return the step you
# predict (an integer; the first step is step 1), then run that cell to compare, and then the check. Reason with the
# rules of section 7.1: what is the first step's factor? Does the size of the gradient enter the update?


# %% nbgrader={"grade": false, "grade_id": "l13_ex2_rprop_max_step", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-predict"]
def predict_rprop_max_step():
    ### BEGIN SOLUTION
    # 第 t 步的步长是 0.001·1.5^(t−1)（第 1 步因子为 1，梯度的大小不算）；1.5^(t−1) ≥ 1000
    # step t uses 0.001·1.5^(t−1) (factor 1 at step 1, the gradient's size does not count)
    return 1 + math.ceil(math.log(1000) / math.log(1.5))  # 19
    ### END SOLUTION


# %%
rprop_sizes = moves(torch.optim.Rprop, [2.0] * 25, lr=1e-3, etas=(0.5, 1.5), step_sizes=(1e-6, 1.0))
print("每一步移动的距离 / the distance moved at each step:")
for t in (1, 2, 17, 18, 19, 20):
    print(f"    第 / step {t:>2}: {rprop_sizes[t - 1]:.4f}")
at_max = int(torch.nonzero(rprop_sizes > 1 - 1e-9)[0]) + 1
print(f"第一次走满 Δmax = 1 的是第 {at_max} 步 / the first step that moves Δmax = 1: step {at_max}")

# %% nbgrader={"grade": true, "grade_id": "l13_ex2_rprop_max_step_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex2_rprop_max_step(predict_rprop_max_step)

# %% [markdown] tags=["zh"]
# ## 小结
#
# - Adadelta 用过去更新量的均方根代替学习率（$\eta = 1$ 即论文）；Adamax 用衰减的最大值 $\max(\beta_2 u, |g| + \epsilon)$ 代替 $\sqrt{\hat{v}}$，$\epsilon$ 在 max 里面。
# - NAdam 是带 Nesterov 动量的 Adam，动量调度 $\mu_t = \beta_1 (1 - \frac{1}{2} \cdot 0.96^{t\psi})$ 从 $\beta_1/2$ 很慢地升向 $\beta_1$；RAdam 在 $\rho_t \le 5$ 时走 SGD 步 $\eta \hat{m}_t$，之后乘修正因子 $r_t$（论文的阈值是 4）。两者都有 `decoupled_weight_decay`。
# - ASGD 在 SGD 之外维护从第 $t_0 + 2$ 步起的参数平均 `ax`；它的公式来自为 $\lambda$-强凸问题设计的平均 SGD（Bottou 2012，Xu 2011），`lambd` 既是 L2 衰减，也决定步长的衰减；默认 $t_0 = 10^6$ 等于不平均。
# - Rprop 只看梯度的符号，PyTorch 实现的是 iRprop⁻，只能整批使用；L-BFGS 用两重循环从最近的 $(s, y)$ 算出拟牛顿方向，要一个闭包；`strong_wolfe` 线搜索找的是满足强 Wolfe 条件的步长（本课的 100 次迭代都满足）。
# - 七个从零实现与 `torch.optim` 一致：五个在课程模型上 100 步，Rprop 和 L-BFGS 在整批问题上 100 次迭代；L-BFGS 的强 Wolfe 线搜索检查的是方向和它承诺的条件。
# - 在整批的 Fashion-MNIST 小问题上，L-BFGS 同样的求值次数把目标函数降得最低，但验证准确率与其他优化器几乎一样；线搜索要花求值次数。
# - 在课程任务上（课程模型，2 轮，3 个种子，验证集），NAdam、RAdam、Adamax 与 Adam 之间测不出差别，Adadelta 明显落后：在这个预算下没有理由换掉 Adam。
#
# 下一课：大模型用的优化器（SparseAdam、Adafactor、Muon），以及其余的学习率调度器。

# %% [markdown] tags=["en"]
# ## Summary
#
# - Adadelta replaces the learning rate by the root mean square of past updates ($\eta = 1$ is the paper); Adamax
#   replaces $\sqrt{\hat{v}}$ by a decaying maximum $\max(\beta_2 u, |g| + \epsilon)$, with $\epsilon$ inside the max.
# - NAdam is Adam with Nesterov momentum, whose schedule $\mu_t = \beta_1 (1 - \frac{1}{2} \cdot 0.96^{t\psi})$ rises
#   very slowly from $\beta_1/2$ towards $\beta_1$; RAdam takes SGD steps $\eta \hat{m}_t$ while $\rho_t \le 5$, then the
#   adaptive step times the rectification $r_t$ (the paper's threshold is 4). Both have `decoupled_weight_decay`.
# - ASGD keeps, besides SGD, the average `ax` of the parameters from step $t_0 + 2$ on; its formula comes from averaged
#   SGD for $\lambda$-strongly convex problems (Bottou 2012, Xu 2011), where `lambd` is both the L2 decay and what makes
#   the step size decay; the default $t_0 = 10^6$ means no averaging.
# - Rprop looks only at the sign of the gradient; PyTorch implements iRprop⁻, for the full batch only. L-BFGS computes a
#   quasi-Newton direction from the latest $(s, y)$ pairs with the two-loop recursion and needs a closure; the
#   `strong_wolfe` line search looks for a step that satisfies the strong Wolfe conditions (all 100 iterations of this
#   lesson do).
# - All seven from-scratch versions match `torch.optim`: five after 100 steps on the course model, Rprop and L-BFGS after
#   100 iterations on a full-batch problem; for L-BFGS's strong Wolfe line search we checked the direction and the
#   conditions it promises.
# - On a small full-batch Fashion-MNIST problem, L-BFGS brings the objective lowest for the same number of evaluations,
#   yet its validation accuracy is about the same as the others'; the line search costs evaluations.
# - On the course task (the course model, 2 epochs, 3 seeds, validation) no difference between Adam and NAdam, RAdam
#   or Adamax can be measured, and Adadelta is clearly behind: at this budget there is no reason to replace Adam.
#
# Next lesson: optimizers for large models (SparseAdam, Adafactor, Muon), and the remaining learning-rate schedulers.
