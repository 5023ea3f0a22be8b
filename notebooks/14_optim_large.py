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
# # 14 大模型的优化器与其余调度器
#
# 上一课：[13 更多优化器](13_optim_more.ipynb) · 下一课：无（这是最后一课），回到起点：[00 数据](00_data.ipynb)
#
# 预计用时：约 85 分钟，另加约 40 分钟的选读部分。标为“选读”的部分第一次可以跳过，练习用不到它们：第 1 节（对照用的工具）、三个优化器的“从零实现，与 PyTorch 对照”小节（第 2.3、3.4、4.4 节）、第 3.3 节（PyTorch 与论文的逐项比较），以及最后的两节附录。**其余四个学习率调度器在本课最后的附录（第 7 节，选读）里**：从第 09 课来找调度器的读者，可以直接跳到那里。
#
# Adam 为每个参数存两份和它一样大的状态（$m$ 和 $v$）。模型有几十亿个参数时，这些状态比模型本身还占内存；而在嵌入层里，大多数行在一个批次里根本拿不到梯度。这一课讲 PyTorch 为这些情况准备的三个优化器：只更新用到的行的 `SparseAdam`，用行、列统计量代替整块二阶矩的 `Adafactor`，以及把矩阵参数的动量正交化的 `Muon`，并在课程任务上把它们和 Adam、AdamW 比一比。附录补齐 `torch.optim.lr_scheduler` 里剩下的四个调度器：`MultiplicativeLR`、`ConstantLR`、`CyclicLR` 和 `ChainedScheduler`；它们和大模型无关，接着第 09 课读即可。
#
# 学完这一课，你能够：
#
# - 写出 `SparseAdam` 的更新规则，说清它对稀疏梯度（sparse gradient）的惰性更新（lazy update）和 Adam 有什么不同，并在 `nn.Embedding(sparse=True)` 上演示；
# - 写出 `Adafactor` 的分解二阶矩（factored second moment）、相对步长（relative step size）和更新裁剪（update clipping），指出 PyTorch 的实现与论文的每一处不同，并数出它在课程模型上省下多少状态；
# - 写出 `Muon` 的 Newton–Schulz 迭代，说清正交化为什么有用（谱范数下的最速下降：更新的每个奇异值都一样大）、它每一步多花多少计算，以及它为什么只管二维参数、要和 AdamW 搭配使用；
# - 说出在课程任务上（3 个种子，验证集）Adafactor 与 Adam、Muon 与 AdamW 的比较测到了什么；
# - （选读部分）从零实现它们，并核对与 PyTorch 一致：优化器在真实批次上训练 100 步后参数一致；
# - （附录）写出 `MultiplicativeLR`、`ConstantLR`、`CyclicLR`（三种模式和动量循环）的公式，说清 `ChainedScheduler` 与第 09 课的 `SequentialLR` 有什么不同，并逐步核对。

# %% [markdown] tags=["en"]
# # 14 Optimizers for large models, and the remaining schedulers
#
# Previous: [13 More optimizers](13_optim_more.ipynb) · Next: none (this is the last lesson); back to the start: [00 Data](00_data.ipynb)
#
# Time: about 85 min, plus about 40 min for the optional sections. The parts marked optional can be skipped on a first reading, and the exercises do not need them:
# section 1 (tools for the checks), the three optimizers' "from scratch, checked against PyTorch" subsections (2.3, 3.4,
# 4.4), section 3.3 (PyTorch against the paper, item by item) and the two appendices at the end. **The remaining four learning-rate schedulers are in the appendix at
# the end of this lesson (section 7, optional)**: if you came from lesson 09 looking for schedulers, go straight there.
#
# Adam keeps two numbers of state for every parameter ($m$ and $v$). With billions of parameters that state takes more
# memory than the model itself; and in an embedding layer most rows get no gradient at all in a given batch. This
# lesson covers the three optimizers PyTorch has for these cases: `SparseAdam`, which updates only the rows in use;
# `Adafactor`, which replaces the whole second moment with row and column statistics; and `Muon`, which
# orthogonalizes the momentum of matrix parameters; and it compares them with Adam and AdamW on the course task. An
# appendix covers the last four schedulers of `torch.optim.lr_scheduler`: `MultiplicativeLR`, `ConstantLR`,
# `CyclicLR` and `ChainedScheduler`; they have nothing to do with large models, and read best after lesson 09.
#
# After this lesson you can:
#
# - write the update of `SparseAdam`, say how its lazy update of a sparse gradient differs from Adam, and show it on `nn.Embedding(sparse=True)`;
# - write `Adafactor`'s factored second moment, relative step size and update clipping, name every place where
#   PyTorch's version differs from the paper, and count the state it saves on the course model;
# - write `Muon`'s Newton–Schulz iteration, say why orthogonalizing helps (steepest descent under the spectral norm:
#   every singular value of the step is the same), what it costs per step, and why it only takes 2-D parameters and is
#   paired with AdamW;
# - say what the comparisons on the course task (3 seeds, validation) measured: Adafactor against Adam, Muon against
#   AdamW;
# - (in the optional parts) implement them from scratch and check that they match PyTorch: the parameters after 100
#   steps on real batches;
# - (appendix) write the formulas of `MultiplicativeLR`, `ConstantLR` and `CyclicLR` (its three modes and momentum
#   cycling), say how `ChainedScheduler` differs from `SequentialLR` of lesson 09, and check them step by step.

# %%
import math
import warnings

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.optim import lr_scheduler

import fmnist_core as fc
from fmnist_core.checks import lesson14 as check

device = fc.get_device()
fc.plot.cjk_font()  # 有中文字体就用 / use a CJK font when there is one
loss_fn = nn.CrossEntropyLoss()
HAS_MUON = hasattr(torch.optim, "Muon")  # PyTorch 2.9 起才有 / new in PyTorch 2.9
if not HAS_MUON:
    print(f"torch.optim.Muon 从 PyTorch 2.9 起才有，这里是 {torch.__version__}：跳过与它的对照")
    print(f"torch.optim.Muon first appears in PyTorch 2.9; this is {torch.__version__}: "
          "the comparisons with it are skipped")

# %% [markdown] tags=["zh"]
# ## 1. 对照用的工具（选读）
#
# 和第 08 课一样：从零实现的优化器和 `torch.optim` 各训练一个新模型的 `float64` 副本 100 步，用同样的 100 个真实批次（每批 32 张），再用 `torch.testing.assert_close` 比较全部参数。不同的是，这一课每个优化器配它合适的模型（`make_model`），而且一个模型可以同时用几个优化器（`make_optimizers` 返回一个列表），`Muon` 需要这样。`maximize=True` 的组合训练的是 $-\text{loss}$，这样优化器沿梯度方向走时损失仍然下降。`LARGEST` 记下每个类与 PyTorch 的最大绝对差，第 8 节列出来。

# %% [markdown] tags=["en"]
# ## 1. Tools for the checks (optional)
#
# As in lesson 08, a from-scratch optimizer and `torch.optim` each train a `float64` copy of a fresh model for 100
# steps on the same 100 real batches (32 images each), and `torch.testing.assert_close` compares all the parameters.
# What is new: each optimizer gets a model that suits it (`make_model`), and a model can have several optimizers at
# once (`make_optimizers` returns a list), which `Muon` needs. A combination with `maximize=True` trains on
# $-\text{loss}$, so that stepping along the gradient still lowers the loss. `LARGEST` keeps each class's largest
# absolute difference from PyTorch, listed in section 8.

# %%
X_train, y_train = fc.load_tensors(train=True, device=device)
n_steps, batch = 100, 32
X_steps = X_train[:n_steps * batch].double()  # 100 个真实批次，顺序固定 / 100 real batches in a fixed order
y_steps = y_train[:n_steps * batch]
LARGEST = {}  # 类名 → 与 PyTorch 的最大绝对差 / class name → largest absolute difference


def train_steps(make_model, make_optimizers, sign=1.0, steps=n_steps):
    """新模型训练 steps 步，返回最后的参数 / train a fresh model for `steps` steps, return its parameters."""
    fc.set_seed(0)
    model = make_model().double().to(device)
    optimizers = make_optimizers(model)
    for t in range(steps):
        X, y = X_steps[t * batch:(t + 1) * batch], y_steps[t * batch:(t + 1) * batch]
        (sign * loss_fn(model(X), y)).backward()
        for optimizer in optimizers:
            optimizer.step()
        for optimizer in optimizers:
            optimizer.zero_grad()
    return [p.detach() for p in model.parameters()]


def alone(optimizer_class, model, kw):
    return [optimizer_class(model.parameters(), **kw)]


def run_both(ours_class, torch_class, combos, make_model, make_optimizers=alone):
    """每种组合：从零实现和 torch.optim 各训练 100 步 / per combination: 100 steps of each."""
    runs = {}
    for combo, kw in combos.items():
        sign = -1.0 if kw.get("maximize") else 1.0  # 最大化 −loss / maximize −loss
        runs[combo] = [train_steps(make_model, lambda m, c=cls, kw=kw: make_optimizers(c, m, kw),
                                   sign) for cls in (ours_class, torch_class)]
    LARGEST[torch_class.__name__] = max((a - b).abs().max().item()
                                        for ours, theirs in runs.values()
                                        for a, b in zip(ours, theirs))
    return runs


def assert_differs(a, b):
    """a 与 b 必须不一致 / a and b must differ."""
    try:
        torch.testing.assert_close(a, b)
    except AssertionError:
        return
    raise AssertionError("本应不同，却一致 / expected a difference, found none")


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
# ## 2. `SparseAdam`：只更新用到的行
#
# ### 2.1 定义
#
# 嵌入层 `nn.Embedding(V, D)` 是一张 $V \times D$ 的表，前向传播只是按编号取出其中几行。一个批次只用到少数几行时，其余各行的梯度全是 0。`sparse=True` 让梯度以稀疏布局（sparse layout）存放：只记下用到的行号和这些行的梯度。`SparseAdam` 是为这种梯度写的 Adam。设第 $t$ 步的梯度里出现的行构成集合 $S_t$（同一行出现多次时先把梯度相加，即 `coalesce()`），对每一行 $i \in S_t$：
#
# $$m_i \leftarrow \beta_1 m_i + (1 - \beta_1)\, g_i, \qquad v_i \leftarrow \beta_2 v_i + (1 - \beta_2)\, g_i^2, \qquad \theta_i \leftarrow \theta_i - \eta \, \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t} \cdot \frac{m_i}{\sqrt{v_i} + \epsilon}$$
#
# 不在 $S_t$ 里的行，$m_i$、$v_i$、$\theta_i$ 都不动。和第 08 课的 Adam 比，有三处不同：
#
# - **惰性**：Adam 对梯度为 0 的行也要更新：$m$、$v$ 按 $\beta$ 衰减，参数顺着旧的动量继续走；`SparseAdam` 对没用到的行什么也不做。
# - **步数属于整个参数张量**：每调用一次 `step()`，$t$ 加 1，而不是每一行各自计数。一行隔了很久才又被用到时，它的 $m_i$ 只衰减了一次，偏差修正却按全局的 $t$ 算。
# - **$\epsilon$ 的位置**：$\epsilon$ 加在没有修正过的 $\sqrt{v_i}$ 上，相当于 Adam 用 $\epsilon / \sqrt{1 - \beta_2^t}$，这是 Adam 论文第 2 节末尾给出的那种更省计算的写法。
#
# 选项只有 `lr`（默认 $10^{-3}$）、`betas`（默认 (0.9, 0.999)）、`eps`（默认 $10^{-8}$）和 `maximize`（沿梯度方向走，用来最大化目标）。`SparseAdam` 不接受稠密梯度，Adam 也不接受稀疏梯度。
#
# 在 Fashion-MNIST 上造一个嵌入模型：把每个像素的亮度分成 16 级，“位置 × 16 + 亮度等级”就是一个词元，一张图有 784 个词元；嵌入表有 $784 \times 16 = 12544$ 行，每行 10 个数（每类一个分数），logits 就是一张图的 784 行之和。这是一个以独热特征为输入的线性分类器，和文本里的词、推荐系统里的商品一样，是典型的稀疏特征。

# %% [markdown] tags=["en"]
# ## 2. `SparseAdam`: update only the rows in use
#
# ### 2.1 Definition
#
# An embedding `nn.Embedding(V, D)` is a $V \times D$ table; its forward pass just picks a few rows by index. When a
# batch uses few rows, the gradient of every other row is 0. `sparse=True` stores the gradient in a sparse layout:
# only the indices of the rows used and their gradients. `SparseAdam` is Adam written for such gradients. Let $S_t$
# be the set of rows present in the gradient at step $t$ (a row present several times has its gradients summed
# first: `coalesce()`); for each row $i \in S_t$:
#
# $$m_i \leftarrow \beta_1 m_i + (1 - \beta_1)\, g_i, \qquad v_i \leftarrow \beta_2 v_i + (1 - \beta_2)\, g_i^2, \qquad \theta_i \leftarrow \theta_i - \eta \, \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t} \cdot \frac{m_i}{\sqrt{v_i} + \epsilon}$$
#
# Rows outside $S_t$ keep their $m_i$, $v_i$ and $\theta_i$. Compared with Adam of lesson 08 there are three
# differences:
#
# - **Laziness**: Adam updates a row whose gradient is 0 too: $m$ and $v$ decay by $\beta$, and the parameter keeps
#   moving along its old momentum; `SparseAdam` does nothing to a row not in use.
# - **The step count belongs to the whole tensor**: $t$ grows by 1 at each call of `step()`, not per row. When a row
#   comes back after a long pause, its $m_i$ has decayed once only, while the bias correction uses the global $t$.
# - **Where $\epsilon$ goes**: it is added to the uncorrected $\sqrt{v_i}$, which is Adam with
#   $\epsilon / \sqrt{1 - \beta_2^t}$: the cheaper form the Adam paper gives at the end of its section 2.
#
# Its only options are `lr` (default $10^{-3}$), `betas` (default (0.9, 0.999)), `eps` (default $10^{-8}$) and
# `maximize` (step along the gradient, to maximize the objective). `SparseAdam` refuses a dense gradient, and Adam
# refuses a sparse one.
#
# We build an embedding model on Fashion-MNIST: cut each pixel's intensity into 16 levels; "position × 16 + level" is
# a token, and an image has 784 tokens; the table has $784 \times 16 = 12544$ rows of 10 numbers (one score per
# class), and the logits are the sum of an image's 784 rows. This is a linear classifier on one-hot features: sparse
# features, like the words of a text or the items of a recommender system.

# %%
LEVELS = 16


class PixelTokens(nn.Module):
    """每个像素的（位置, 亮度等级）是一个词元；logits 是 784 个词元的嵌入之和 /
    each pixel's (position, intensity level) is a token; the logits sum the 784 token embeddings."""

    def __init__(self, sparse=True):
        super().__init__()
        self.embed = nn.Embedding(28 * 28 * LEVELS, 10, sparse=sparse)
        nn.init.normal_(self.embed.weight, std=0.01)

    def forward(self, x):
        return self.embed(pixel_tokens(x)).sum(1)


def pixel_tokens(x):
    level = (x.flatten(1) * LEVELS).long().clamp(max=LEVELS - 1)  # 0 .. 15
    return torch.arange(28 * 28, device=x.device) * LEVELS + level


fc.set_seed(0)
token_model = PixelTokens().double().to(device)
loss_fn(token_model(X_steps[:batch]), y_steps[:batch]).backward()
grad = token_model.embed.weight.grad
rows_used = grad.coalesce().indices()[0]
print(f"梯度 / gradient: {grad.layout}, {tuple(grad.shape)}; 第一个批次用到 / "
      f"the first batch uses {len(rows_used)} / {grad.shape[0]} 行 / rows")
for optimizer_class, g in ((torch.optim.Adam, grad), (torch.optim.SparseAdam, grad.to_dense())):
    w = nn.Parameter(token_model.embed.weight.detach().clone())
    w.grad = g
    try:
        optimizer_class([w]).step()
    except RuntimeError as e:
        kind = "稀疏 / sparse" if g.is_sparse else "稠密 / dense"
        print(f"{optimizer_class.__name__} + {kind} 梯度 / gradient → {type(e).__name__}")

# %% [markdown] tags=["zh"]
# ### 2.2 直觉：惰性更新
#
# 一张只有两行的嵌入表：第 0 行每一步都用到，第 1 行每 10 步才用到一次（梯度都是 1）。看第 1 行的值：Adam 拿到的是稠密梯度，没用到时梯度为 0，但动量还在，所以它每一步都在动；`SparseAdam` 只在用到的那一步动。

# %% [markdown] tags=["en"]
# ### 2.2 Intuition: the lazy update
#
# An embedding table of two rows: row 0 is used at every step, row 1 once every 10 steps (each with gradient 1). We
# follow row 1: Adam gets a dense gradient, 0 when the row is not used, but its momentum goes on, so the row moves at
# every step; `SparseAdam` moves it only at the steps that use it.

# %%
def row_path(optimizer_class, sparse, steps=40, every=10):
    """第 1 行每 every 步用到一次；返回它每步之后的值 / row 1 is used once every `every` steps;
    returns its value after each step."""
    table = nn.Embedding(2, 1, sparse=sparse).double()
    nn.init.zeros_(table.weight)
    optimizer = optimizer_class(table.parameters(), lr=0.1)
    path = []
    for t in range(steps):
        ids = torch.tensor([0, 1] if t % every == 0 else [0])
        table(ids).sum().backward()  # 用到的每一行梯度为 1 / gradient 1 on each row used
        optimizer.step()
        optimizer.zero_grad()
        path.append(table.weight[1, 0].item())
    return torch.tensor(path)


adam_path = row_path(torch.optim.Adam, sparse=False)
lazy_path = row_path(torch.optim.SparseAdam, sparse=True)
unused = [t for t in range(1, 40) if t % 10 != 0]
assert all(lazy_path[t] == lazy_path[t - 1] for t in unused)  # 没用到就不动 / still when unused
assert all(adam_path[t] != adam_path[t - 1] for t in unused)  # Adam 一直在动 / Adam keeps moving

fig, ax = plt.subplots(figsize=(8, 3.2))
ax.plot(range(1, 41), adam_path, "o-", ms=3, label="Adam (sparse=False)")
ax.plot(range(1, 41), lazy_path, "s-", ms=3, label="SparseAdam (sparse=True)")
for t in range(0, 40, 10):
    ax.axvline(t + 1, color="gray", lw=0.8, ls=":")
ax.set_xlabel(fc.label("步数（虚线：用到第 1 行的步）", "step (dotted: the steps that use row 1)"))
ax.set_ylabel(fc.label("第 1 行的值", "value of row 1"))
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
plt.show()
print("SparseAdam ✓ 第 1 行只在用到的那一步移动；Adam 每一步都在移动")
print("SparseAdam ✓ row 1 moves only at the steps that use it; Adam moves it at every step")

# %% [markdown] tags=["zh"]
# 第 1 步两者都走了 $\eta = 0.1$。之后 Adam 靠着衰减的动量继续滑，$m$ 和 $v$ 也在衰减；`SparseAdam` 的第 1 行停在原地，到第 11 步才再走一步，而且这一步比 Adam 的第一步小：它的 $m$ 只衰减了一次（$0.9 \times 0.1 + 0.1 = 0.19$），偏差修正却按 $t = 11$ 算。

# %% [markdown] tags=["en"]
# At step 1 both move by $\eta = 0.1$. Then Adam keeps sliding on its decaying momentum, while its $m$ and $v$ decay;
# `SparseAdam` leaves row 1 where it is until step 11, and that step is smaller than the first: its $m$ has decayed
# once only ($0.9 \times 0.1 + 0.1 = 0.19$), while the bias correction uses $t = 11$.

# %% [markdown] tags=["zh"]
# ### 2.3 从零实现，与 PyTorch 对照（选读）
#
# 三种组合：默认值；`lr`、`betas`、`eps` 一起改；`maximize=True`。在 `PixelTokens` 上训练 100 步。之后在真实模型上再看一次惰性：训练 20 步后再走一步，第 21 个批次没用到、但以前用到过的行，`SparseAdam` 一个都不动，Adam 却都动了。

# %% [markdown] tags=["en"]
# ### 2.3 From scratch, checked against PyTorch (optional)
#
# Three combinations: the defaults; `lr`, `betas` and `eps` changed together; `maximize=True`. Each trains
# `PixelTokens` for 100 steps. Then we see the laziness again on the real model: after 20 steps take one more; the
# rows that batch 21 does not use, but earlier batches did, are all left alone by `SparseAdam` and all moved by Adam.

# %%
class SparseAdamFromScratch(FromScratch):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, maximize=maximize)

    @torch.no_grad()
    def step(self):
        self.t += 1                     # 整个张量一个计数 / one count for the whole tensor
        beta1, beta2 = self.betas
        for p, state in zip(self.params, self.state):
            g = p.grad.coalesce()       # 同一行的梯度相加 / sum the gradients of a row
            rows, values = tuple(g.indices()), g.values()
            if self.maximize:
                values = -values
            m = state.setdefault("m", torch.zeros_like(p))
            v = state.setdefault("v", torch.zeros_like(p))
            m[rows] = beta1 * m[rows] + (1 - beta1) * values   # 只有用到的行 / only the rows used
            v[rows] = beta2 * v[rows] + (1 - beta2) * values * values
            step_size = self.lr * math.sqrt(1 - beta2 ** self.t) / (1 - beta1 ** self.t)
            p[rows] -= step_size * m[rows] / (v[rows].sqrt() + self.eps)


SPARSE_ADAM = {
    "default": {},
    "lr, betas, eps": {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6},
    "maximize": {"maximize": True},
}
runs = run_both(SparseAdamFromScratch, torch.optim.SparseAdam, SPARSE_ADAM, PixelTokens)
for ours, theirs in runs.values():
    torch.testing.assert_close(ours, theirs)
print("SparseAdam ✓ 100 步后与 torch.optim.SparseAdam 一致 / matches after 100 steps")
for combo in SPARSE_ADAM:
    print(f"    - {combo}")


def weights(optimizer_class, sparse, steps):
    """每一步之后的嵌入表 / the table after each step."""
    fc.set_seed(0)
    model = PixelTokens(sparse=sparse).double().to(device)
    optimizer = optimizer_class(model.parameters(), lr=1e-2)
    out = []
    for t in range(steps):
        X, y = X_steps[t * batch:(t + 1) * batch], y_steps[t * batch:(t + 1) * batch]
        loss_fn(model(X), y).backward()
        optimizer.step()
        optimizer.zero_grad()
        out.append(model.embed.weight.detach().clone())
    return out


used_before = torch.zeros(28 * 28 * LEVELS, dtype=torch.bool, device=device)
used_before[pixel_tokens(X_steps[:20 * batch])] = True
used_now = torch.zeros_like(used_before)
used_now[pixel_tokens(X_steps[20 * batch:21 * batch])] = True
idle = used_before & ~used_now  # 以前用过、这一步没用 / used before, not now
for optimizer_class, sparse in ((torch.optim.SparseAdam, True), (torch.optim.Adam, False)):
    w = weights(optimizer_class, sparse, 21)
    moved = (w[20] - w[19]).abs().amax(dim=1) > 0
    assert moved[idle].all() if optimizer_class is torch.optim.Adam else not moved[idle].any()
print(f"惰性 ✓ 第 21 步：{int(idle.sum())} 个以前用过、这一步没用的行，SparseAdam 一个没动，Adam 全动了")
print(f"lazy ✓ step 21: of {int(idle.sum())} rows used before but not now, SparseAdam moves none, "
      "Adam all")

# %% [markdown] tags=["zh"]
# ### 2.4 何时使用
#
# - 大的嵌入表（词表、推荐系统里的用户和商品），每个批次只用到一小部分行：`nn.Embedding(..., sparse=True)` 或 `nn.EmbeddingBag(..., sparse=True)` 加 `SparseAdam`，梯度和更新都只涉及用到的行，省计算，也省掉一次把整张表的梯度写满 0 的操作。
# - 模型的其他参数是稠密的，要交给另一个优化器（例如 Adam），两个优化器各管一组参数。
# - 它不是“省内存”的优化器：$m$、$v$ 仍然和整张表一样大。
# - 惰性更新改变了算法：很少出现的行，动量不会在没用到的步里继续推动它们。结果和稠密的 Adam 不同，但通常一样好；如果一定要与 Adam 完全一致，就用稠密梯度和 Adam。

# %% [markdown] tags=["en"]
# ### 2.4 When to use it
#
# - Large embedding tables (vocabularies, the users and items of a recommender) where each batch uses a small share
#   of the rows: `nn.Embedding(..., sparse=True)` or `nn.EmbeddingBag(..., sparse=True)` with `SparseAdam`, so that
#   the gradient and the update touch only the rows in use, which saves compute and the writing of a whole table of
#   zero gradients.
# - The model's other parameters are dense and go to another optimizer (Adam, say): two optimizers, each with its own
#   parameters.
# - It does not save memory: $m$ and $v$ are still as large as the whole table.
# - The lazy update changes the algorithm: the momentum of a rare row does not keep pushing it at the steps that do not
#   use it. The result differs from dense Adam, usually without being worse; when you need exactly Adam, use a dense
#   gradient and Adam.

# %% [markdown] tags=["zh"]
# ## 3. `Adafactor`：用行和列的统计量代替二阶矩
#
# ### 3.1 定义
#
# Adafactor（Shazeer 与 Stern，2018）去掉了一阶矩 $m$，而且对一个 $n \times m$ 的权重矩阵不再存整块 $v$，只存两个向量：每一行梯度平方的平均 $r \in \mathbb{R}^n$ 和每一列的平均 $c \in \mathbb{R}^m$，用的时候再用它们重建一个秩一（rank-one）的估计 $\hat V$。PyTorch 的第 $t$ 步（$t = 1, 2, \dots$）：
#
# $$\hat\beta_{2,t} = 1 - t^{\tau}, \qquad \rho_t = \min\left(\eta, \frac{1}{\sqrt{t}}\right), \qquad \alpha_t = \max\left(\epsilon_2, \operatorname{RMS}(\theta_{t-1})\right) \rho_t$$
#
# $$r_t = \hat\beta_{2,t}\, r_{t-1} + (1 - \hat\beta_{2,t}) \operatorname{mean}_j G_{ij}^2, \qquad c_t = \hat\beta_{2,t}\, c_{t-1} + (1 - \hat\beta_{2,t}) \operatorname{mean}_i G_{ij}^2, \qquad \hat V_{ij} = \frac{r_i \, c_j}{\max\left(\operatorname{mean}_k r_k, \epsilon_1\right)}$$
#
# $$U = \frac{G}{\max\left(\sqrt{\hat V}, \epsilon_1\right)}, \qquad \theta_t = (1 - \eta\lambda)\,\theta_{t-1} - \frac{\alpha_t}{\max\left(1, \operatorname{RMS}(U) / d\right)}\, U$$
#
# - $\tau$ 是 `beta2_decay`（默认 −0.8）。$1 - \hat\beta_{2,1} = 1$，所以第一步的 $r$、$c$ 就是这一步的平均，不需要偏差修正；之后 $\hat\beta_{2,t}$ 慢慢接近 1，平均的记忆越来越长。
# - $\rho_t$ 是相对步长：前 $1/\eta^2$ 步（默认 $10^4$ 步）它就是 `lr`（默认 0.01），之后按 $1/\sqrt{t}$ 减小。真正的步长 $\alpha_t$ 还要乘以参数自己的均方根 $\operatorname{RMS}(\theta) = \sqrt{\operatorname{mean}(\theta^2)}$（至少 $\epsilon_2$）：大的权重走大步，小的走小步，步长是相对参数的大小而言的。
# - $U$ 的均方根超过 $d$（`d`，默认 1）时，整体缩小到均方根为 $d$：这就是更新裁剪，防止 $\hat V$ 还没跟上时走出过大的一步。
# - `eps=(ε1, ε2)`：$\epsilon_1$ 默认 `None`，即参数数据类型的机器精度（`float32` 为 $1.2 \times 10^{-7}$）；$\epsilon_2$ 默认 $10^{-3}$。
# - `weight_decay=λ` 是解耦权重衰减，乘的是 `lr`，不是 $\alpha_t$；$\alpha_t$ 用的是衰减之前的 $\theta_{t-1}$。
# - 一维参数（偏置）不分解：$\hat V$ 就是 $G^2$ 的移动平均 $v_t = \hat\beta_{2,t}\, v_{t-1} + (1 - \hat\beta_{2,t})\, G^2$。超过二维的参数（例如卷积核）只分解最后两维，前面每个下标各算各的。
# - `maximize=True` 沿梯度方向走；`foreach=True` 用一次处理一组张量的实现，结果相同，但峰值内存更大，所以 Adafactor 默认不用它。
#
# ### 3.2 直觉：为什么行和列就够了
#
# 全连接层的梯度是 $G = \sum_k \delta_k x_k^\top$（每个样本的输出误差乘输入）。只有一个样本时 $G^2$ 的第 $(i, j)$ 个元素是 $\delta_i^2 x_j^2$，正好是一个秩一矩阵，$\hat V = G^2$ 一点不差。一个批次的 $G^2$ 不再是秩一的，但大的行（误差大的神经元）和大的列（常亮的像素）仍然主导它。下图：课程模型第一层权重的列平均 $c$ 排成 28 × 28，正是“哪些像素的权重梯度大”；第二层权重左上角 48 × 48 块的 $G^2$ 和 $\hat V$（对数色标）。

# %% [markdown] tags=["en"]
# ## 3. `Adafactor`: row and column statistics in place of the second moment
#
# ### 3.1 Definition
#
# Adafactor (Shazeer and Stern, 2018) drops the first moment $m$, and for an $n \times m$ weight matrix it no longer
# keeps a whole $v$: only two vectors, the mean squared gradient of each row, $r \in \mathbb{R}^n$, and of each
# column, $c \in \mathbb{R}^m$, from which it rebuilds a rank-one estimate $\hat V$ when needed. PyTorch's step $t$
# ($t = 1, 2, \dots$):
#
# $$\hat\beta_{2,t} = 1 - t^{\tau}, \qquad \rho_t = \min\left(\eta, \frac{1}{\sqrt{t}}\right), \qquad \alpha_t = \max\left(\epsilon_2, \operatorname{RMS}(\theta_{t-1})\right) \rho_t$$
#
# $$r_t = \hat\beta_{2,t}\, r_{t-1} + (1 - \hat\beta_{2,t}) \operatorname{mean}_j G_{ij}^2, \qquad c_t = \hat\beta_{2,t}\, c_{t-1} + (1 - \hat\beta_{2,t}) \operatorname{mean}_i G_{ij}^2, \qquad \hat V_{ij} = \frac{r_i \, c_j}{\max\left(\operatorname{mean}_k r_k, \epsilon_1\right)}$$
#
# $$U = \frac{G}{\max\left(\sqrt{\hat V}, \epsilon_1\right)}, \qquad \theta_t = (1 - \eta\lambda)\,\theta_{t-1} - \frac{\alpha_t}{\max\left(1, \operatorname{RMS}(U) / d\right)}\, U$$
#
# - $\tau$ is `beta2_decay` (default −0.8). $1 - \hat\beta_{2,1} = 1$, so the first $r$ and $c$ are just this step's
#   means, with no bias correction needed; then $\hat\beta_{2,t}$ creeps towards 1 and the average remembers longer.
# - $\rho_t$ is the relative step size: for the first $1/\eta^2$ steps ($10^4$ by default) it is `lr` (default 0.01),
#   then it shrinks like $1/\sqrt{t}$. The actual step $\alpha_t$ is also multiplied by the parameter's own root mean
#   square $\operatorname{RMS}(\theta) = \sqrt{\operatorname{mean}(\theta^2)}$ (at least $\epsilon_2$): large weights
#   take large steps, small ones small steps; the step is relative to the size of the parameter.
# - When the root mean square of $U$ exceeds $d$ (`d`, default 1), $U$ is scaled down to root mean square $d$: this is
#   update clipping, which prevents an oversized step while $\hat V$ has not caught up yet.
# - `eps=(ε1, ε2)`: $\epsilon_1$ defaults to `None`, the machine epsilon of the parameter's dtype
#   ($1.2 \times 10^{-7}$ for `float32`); $\epsilon_2$ defaults to $10^{-3}$.
# - `weight_decay=λ` is decoupled weight decay, multiplied by `lr`, not by $\alpha_t$; $\alpha_t$ uses $\theta_{t-1}$
#   from before the decay.
# - A 1-D parameter (a bias) is not factored: $\hat V$ is the moving average
#   $v_t = \hat\beta_{2,t}\, v_{t-1} + (1 - \hat\beta_{2,t})\, G^2$. A parameter with more than two dimensions (a
#   convolution kernel) is factored over its last two only, each leading index on its own.
# - `maximize=True` steps along the gradient; `foreach=True` uses the implementation that handles a list of tensors at
#   once: same result, higher peak memory, which is why Adafactor does not use it by default.
#
# ### 3.2 Intuition: why rows and columns are enough
#
# The gradient of a linear layer is $G = \sum_k \delta_k x_k^\top$ (each sample's output error times its input). With a
# single sample, entry $(i, j)$ of $G^2$ is $\delta_i^2 x_j^2$: exactly a rank-one matrix, and $\hat V = G^2$ exactly. A
# batch's $G^2$ is no longer rank-one, but large rows (neurons with a large error) and large columns (pixels that are
# often bright) still dominate it. The figure: the column means $c$ of the course model's first weight matrix, laid out
# as 28 × 28, which is exactly "which pixels' weights get large gradients"; and the top-left 48 × 48 block of $G^2$
# and of $\hat V$ for the second weight matrix (log colour scale).

# %%
def factored(G):
    """Adafactor 的 V̂（最后两维）/ Adafactor's V̂ (over the last two dims)."""
    r, c = (G * G).mean(-1, keepdim=True), (G * G).mean(-2, keepdim=True)
    return r @ c / r.mean(-2, keepdim=True)


def first_gradients(n_images):
    fc.set_seed(0)
    model = fc.NeuralNetwork().double().to(device)
    loss_fn(model(X_steps[:n_images]), y_steps[:n_images]).backward()
    return model.linear_relu_stack[0].weight.grad, model.linear_relu_stack[2].weight.grad


G1, G2 = first_gradients(batch)
V2 = factored(G2)
torch.testing.assert_close(V2.mean(-1), (G2 * G2).mean(-1))  # 保留每行的平均 / keeps row means
torch.testing.assert_close(V2.mean(-2), (G2 * G2).mean(-2))  # 和每列的平均 / and column means
one_image = first_gradients(1)[1]
torch.testing.assert_close(factored(one_image), one_image ** 2)  # 一个样本：一点不差 / exact

fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), layout="constrained")
c1 = (G1 * G1).mean(0).reshape(28, 28).cpu()
axes[0].imshow(c1, cmap="magma")
axes[0].set_title(fc.label("第一层的列平均 c", "layer 1: column means c"), fontsize=9)
block = [(G2 * G2)[:48, :48], V2[:48, :48]]
logs = torch.stack(block).clamp(min=1e-20).log10().cpu()
low, high = logs.quantile(0.05).item(), logs.max().item()  # 同一个色标 / one colour scale
titles = (fc.label("第二层的 $G^2$", "layer 2: $G^2$"),
          fc.label(r"第二层的 $\hat{V}$", r"layer 2: $\hat{V}$"))
for ax, M, title in zip(axes[1:], block, titles):
    image = ax.imshow(M.clamp(min=1e-20).log10().cpu(), cmap="magma", vmin=low, vmax=high)
    ax.set_title(title, fontsize=9)
fig.colorbar(image, ax=axes[1:], label="log10", shrink=0.9)
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()
print(f"第二层 / second layer: {G2.numel():,} 个数 / numbers → {sum(G2.shape):,} 个 / numbers "
      f"({G2.shape[0]} + {G2.shape[1]})")
print("V̂ ✓ 保留 G² 每行、每列的平均；一个样本时 V̂ = G²")
print("V̂ ✓ keeps the row and column means of G²; with a single sample V̂ = G² exactly")

# %% [markdown] tags=["zh"]
# ### 3.3 PyTorch 与论文有哪些不同（选读）
#
# 论文最后给出的算法（分解的二阶矩，加上更新裁剪、相对步长和递增的 $\hat\beta_{2,t}$）与 PyTorch 的实现逐项比较：
#
# - **学习率**：论文没有学习率，$\rho_t = \min(10^{-2}, 1/\sqrt{t})$；PyTorch 用 `lr` 代替其中的 $10^{-2}$，默认 0.01 时两者一样。
# - **权重衰减**：论文没有；PyTorch 的 `weight_decay` 是解耦的，乘的是 `lr`。
# - **$\epsilon_1$ 的位置**：论文把 $\epsilon_1 = 10^{-30}$ 加到 $G^2$ 上再求行和、列和；PyTorch 不碰 $r$、$c$，只在分母处取 $\max(\cdot, \epsilon_1)$，而且默认 $\epsilon_1$ 是机器精度，不是 $10^{-30}$。只有梯度小到与 $\epsilon_1$ 相当时，两者才有可见的差别。
# - **和与平均**：论文用行和 $R$、列和 $C$，$\hat V = R C^\top / \sum_i R_i$；PyTorch 用平均。把 $r = R/m$、$c = C/n$ 代进去，两个式子完全相同。
# - **动量**：论文最后给出的算法没有一阶矩（它的实验表明去掉一阶矩也能训练好）；PyTorch 同样没有，连可选的 $\beta_1$ 都没有（有些其他库的 Adafactor 有）。
# - **更新裁剪**：两者相同，PyTorch 的 `d` 就是论文的 $d$。
#
# 下面在一个小的线性回归上按论文写一遍（和、$\epsilon_1$ 加在 $G^2$ 上、固定的 $10^{-2}$），训练 200 步：默认设置下与 PyTorch 一致；改了 `lr` 或加了 `weight_decay`，就不再一致。

# %% [markdown] tags=["en"]
# ### 3.3 How PyTorch differs from the paper (optional)
#
# The paper's final algorithm (the factored second moment, with update clipping, the relative step size and the
# increasing $\hat\beta_{2,t}$) against PyTorch's implementation, item by item:
#
# - **Learning rate**: the paper has none, $\rho_t = \min(10^{-2}, 1/\sqrt{t})$; PyTorch puts `lr` in place of the
#   $10^{-2}$, so at its default of 0.01 the two agree.
# - **Weight decay**: none in the paper; PyTorch's `weight_decay` is decoupled and multiplied by `lr`.
# - **Where $\epsilon_1$ goes**: the paper adds $\epsilon_1 = 10^{-30}$ to $G^2$ before the row and column sums;
#   PyTorch leaves $r$ and $c$ alone and takes $\max(\cdot, \epsilon_1)$ in the denominators, with the machine epsilon,
#   not $10^{-30}$, as the default. Only gradients as small as $\epsilon_1$ show a visible difference.
# - **Sums or means**: the paper uses row sums $R$ and column sums $C$, $\hat V = R C^\top / \sum_i R_i$; PyTorch uses
#   means. Put $r = R/m$ and $c = C/n$ in and the two are the same expression.
# - **Momentum**: the paper's final algorithm has no first moment (its experiments show that training works without
#   one); neither does PyTorch's, not even an optional $\beta_1$ (some other libraries' Adafactor have one).
# - **Update clipping**: the same in both; PyTorch's `d` is the paper's $d$.
#
# Below we write the paper's version (sums, $\epsilon_1$ added to $G^2$, a fixed $10^{-2}$) and train a small linear
# regression for 200 steps: with the default settings it matches PyTorch; with another `lr`, or with `weight_decay`,
# it does not.

# %%
class AdafactorPaper(FromScratch):
    """论文的算法与推荐的超参数 / the paper's algorithm with its recommended hyperparameters."""

    def __init__(self, params, eps1=1e-30, eps2=1e-3, d=1.0):
        super().__init__(params, eps1=eps1, eps2=eps2, d=d)

    @torch.no_grad()
    def step(self):
        self.t += 1
        beta2 = 1 - self.t ** -0.8
        rho = min(1e-2, self.t ** -0.5)                 # 没有 lr / no lr
        for p, state in zip(self.params, self.state):
            G2 = p.grad * p.grad + self.eps1            # ε1 加在 G² 上 / ε1 added to G²
            alpha = max(self.eps2, p.pow(2).mean().sqrt().item()) * rho
            if p.dim() == 2:                            # 行和、列和 / row and column sums
                R = state.setdefault("R", torch.zeros_like(p[:, 0]))
                C = state.setdefault("C", torch.zeros_like(p[0]))
                R.mul_(beta2).add_((1 - beta2) * G2.sum(1))
                C.mul_(beta2).add_((1 - beta2) * G2.sum(0))
                V = torch.outer(R, C) / R.sum()
            else:
                V = state.setdefault("V", torch.zeros_like(p))
                V.mul_(beta2).add_((1 - beta2) * G2)
            U = p.grad / V.sqrt()
            p.sub_(alpha / max(1.0, U.pow(2).mean().sqrt().item() / self.d) * U)


def fit_regression(make_optimizer, steps=200):
    g = torch.Generator().manual_seed(0)
    A = torch.randn(256, 24, generator=g, dtype=torch.float64)
    Y = A @ torch.randn(24, 16, generator=g, dtype=torch.float64)
    fc.set_seed(0)
    layer = nn.Linear(24, 16).double()
    optimizer = make_optimizer(layer.parameters())
    for _ in range(steps):
        nn.functional.mse_loss(layer(A), Y).backward()
        optimizer.step()
        optimizer.zero_grad()
    return [p.detach() for p in layer.parameters()]


paper = fit_regression(AdafactorPaper)
torch.testing.assert_close(fit_regression(torch.optim.Adafactor), paper)
assert_differs(fit_regression(lambda ps: torch.optim.Adafactor(ps, lr=1e-3)), paper)
assert_differs(fit_regression(lambda ps: torch.optim.Adafactor(ps, weight_decay=0.1)), paper)
print("论文 ✓ 默认设置下 torch.optim.Adafactor 与论文的算法一致（200 步）")
print("paper ✓ with its defaults torch.optim.Adafactor matches the paper's algorithm (200 steps)")
print("✗ lr=1e-3 或 weight_decay=0.1 时不一致：论文里没有这两个超参数")
print("✗ with lr=1e-3 or weight_decay=0.1 they differ: the paper has neither hyperparameter")

# %% [markdown] tags=["zh"]
# ### 3.4 从零实现，与 PyTorch 对照（选读）
#
# 在课程模型上训练 100 步，三种组合覆盖全部选项：默认值；`lr`、`beta2_decay`、`d` 一起改；`eps`、`weight_decay`、`maximize`、`foreach` 一起改。从零实现还数了更新裁剪起作用的次数：默认的 $d = 1$ 时，它在课程模型上经常起作用。

# %% [markdown] tags=["en"]
# ### 3.4 From scratch, checked against PyTorch (optional)
#
# 100 steps on the course model, three combinations that cover every option: the defaults; `lr`, `beta2_decay` and
# `d` changed together; `eps`, `weight_decay`, `maximize` and `foreach` changed together. The from-scratch version
# also counts how often update clipping acts: with the default $d = 1$ it acts often on the course model.

# %% tags=["grading-skip"]
class AdafactorFromScratch(FromScratch):
    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, foreach=None, maximize=False):
        super().__init__(params, lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                         weight_decay=weight_decay, maximize=maximize)
        self.clipped = 0  # 更新裁剪起作用的次数 / how often update clipping acted

    @torch.no_grad()
    def step(self):
        self.t += 1
        rho = min(self.lr, 1 / math.sqrt(self.t))           # ρ_t
        w = self.t ** self.beta2_decay                       # 1 − β̂₂
        for p, state in zip(self.params, self.state):
            g = -p.grad if self.maximize else p.grad
            eps1 = torch.finfo(p.dtype).eps if self.eps[0] is None else self.eps[0]
            alpha = max(self.eps[1], p.pow(2).mean().sqrt().item()) * rho  # 衰减之前 / before decay
            p.mul_(1 - self.lr * self.weight_decay)
            if p.dim() > 1:                                  # r、c 是最后两维的平均 / last two dims
                r = state.setdefault("r", torch.zeros_like(g[..., :1]))
                c = state.setdefault("c", torch.zeros_like(g[..., :1, :]))
                r.lerp_((g * g).mean(-1, keepdim=True), w)   # r ← (1 − w) r + w mean
                c.lerp_((g * g).mean(-2, keepdim=True), w)
                V = r @ c / r.mean(-2, keepdim=True).clamp(min=eps1)
            else:
                V = state.setdefault("v", torch.zeros_like(g))
                V.lerp_(g * g, w)
            U = g * V.clamp(min=eps1 ** 2).rsqrt()          # G / max(√V̂, ε1)
            clip = max(1.0, U.pow(2).mean().sqrt().item() / self.d)
            self.clipped += clip > 1
            p.sub_(alpha / clip * U)


ADAFACTOR = {
    "default": {},
    "lr, beta2_decay, d": {"lr": 3e-3, "beta2_decay": -0.5, "d": 2.0},
    "eps, weight_decay, maximize, foreach": {"eps": (1e-20, 1e-2), "weight_decay": 0.1,
                                             "maximize": True, "foreach": True},
}
ours_made = []  # 从零实现的优化器，按组合的顺序 / the from-scratch optimizers, in order


def keeping(optimizer_class, model, kw):
    optimizer = optimizer_class(model.parameters(), **kw)
    if optimizer_class is AdafactorFromScratch:
        ours_made.append(optimizer)
    return [optimizer]


runs = run_both(AdafactorFromScratch, torch.optim.Adafactor, ADAFACTOR, fc.NeuralNetwork, keeping)
for ours, theirs in runs.values():
    torch.testing.assert_close(ours, theirs)
assert ours_made[0].clipped > 0.2 * 6 * n_steps  # 6 个参数 × 100 步 / 6 parameters × 100 steps
print("Adafactor ✓ 100 步后与 torch.optim.Adafactor 一致 / matches after 100 steps")
for combo in ADAFACTOR:
    print(f"    - {combo}")
print("默认 d=1 时，超过 20% 的更新被裁剪 / with the default d=1, over 20% of the updates are clipped")

# %% [markdown] tags=["zh"]
# ### 3.5 省下多少内存
#
# 在真正的课程模型（`float32`）上各走一步，数一数优化器状态里的元素个数（不算步数计数器）。Adam 为每个参数存 $m$ 和 $v$；Adafactor 对 $n \times m$ 的矩阵只存 $n + m$ 个数，对偏置存一份 $v$。

# %% [markdown] tags=["en"]
# ### 3.5 How much memory it saves
#
# One step of each on the real course model (`float32`), then count the elements in the optimizer's state (not the
# step counters). Adam keeps $m$ and $v$ for each parameter; Adafactor keeps $n + m$ numbers for an $n \times m$
# matrix, and one $v$ for a bias.

# %%
model = fc.NeuralNetwork().to(device)
loss_fn(model(X_train[:64]), y_train[:64]).backward()
state_size = {}
for optimizer_class in (torch.optim.Adam, torch.optim.Adafactor):
    optimizer = optimizer_class(model.parameters())
    optimizer.step()
    state_size[optimizer_class.__name__] = [
        sum(v.numel() for k, v in optimizer.state[p].items() if k != "step")
        for p in model.parameters()]

print(f"{fc.pad('参数 / parameter', 22)}{fc.pad('形状 / shape', 16, '>')}"
      f"{fc.pad('Adam', 12, '>')}{fc.pad('Adafactor', 12, '>')}")
for (name, p), adam, adafactor in zip(model.named_parameters(), state_size["Adam"],
                                      state_size["Adafactor"]):
    print(f"{name.replace('linear_relu_stack.', ''):<22}{str(tuple(p.shape)):>16}"
          f"{adam:>12,}{adafactor:>12,}")
adam_total, adafactor_total = sum(state_size["Adam"]), sum(state_size["Adafactor"])
print(f"{fc.pad('合计 / total', 38)}{adam_total:>12,}{adafactor_total:>12,}")
assert adam_total == 2 * fc.count_parameters(model)
assert adafactor_total == sum(sum(p.shape) if p.dim() == 2 else p.numel()
                              for p in model.parameters())
print(f"Adafactor ✓ 状态是 Adam 的 1/{adam_total / adafactor_total:.0f} / its state is "
      f"1/{adam_total / adafactor_total:.0f} of Adam's "
      f"({4 * adam_total / 1e6:.2f} MB → {4 * adafactor_total / 1e3:.1f} kB in float32)")

# %% [markdown] tags=["zh"]
# ### 3.6 何时使用
#
# - 优化器状态占了大头、内存不够的时候：大的 Transformer 预训练（T5 就是用 Adafactor 训练的），或者想在同样的显存里放下更大的模型或批次。
# - 它的 `lr` 不是通常意义上的学习率：真正的步长是 $\rho_t$ 乘以参数的均方根。默认值在许多情况下直接可用，从 Adam 换过来时不要照搬 Adam 的学习率。
# - 没有动量，每一步的方向只看当前梯度（经过 $\hat V$ 缩放）；更新裁剪替它挡住了过大的步。
# - 小模型（比如课程模型）上省下的几兆字节无关紧要，用 Adam 或 AdamW 即可：在课程任务上，默认设置的 Adafactor 2 轮后比 Adam 低 2 个百分点以上（第 5 节）。

# %% [markdown] tags=["en"]
# ### 3.6 When to use it
#
# - When the optimizer's state is what fills the memory: pretraining large Transformers (T5 was trained with
#   Adafactor), or fitting a larger model or batch into the same memory.
# - Its `lr` is not the usual learning rate: the actual step is $\rho_t$ times the parameter's root mean square. The
#   defaults often work as they are; coming from Adam, do not carry over Adam's learning rate.
# - There is no momentum: each step's direction depends on the current gradient only (scaled by $\hat V$); update
#   clipping guards against steps that are too large.
# - On a small model, such as the course model, the few megabytes saved do not matter: use Adam or AdamW. On the course
#   task, Adafactor at its defaults ends 2 epochs more than 2 points below Adam (section 5).

# %% [markdown] tags=["zh"]
# ## 4. `Muon`：把矩阵参数的动量正交化
#
# ### 4.1 定义
#
# `Muon`（Keller Jordan 等，2024）只管二维参数，也就是全连接层的权重矩阵。它先像带 Nesterov 动量的 SGD 那样得到一个更新方向，再把这个矩阵“正交化”：设它的奇异值分解（SVD）为 $U \Sigma V^\top$，正交化就是把所有奇异值（singular value）都换成 1，得到 $U V^\top$。原本被少数几个大奇异值主导的更新，于是在所有方向上走得一样远。精确的 SVD 太慢，`Muon` 用几步 Newton–Schulz 迭代近似它。PyTorch 的第 $t$ 步：
#
# $$B_t = \mu B_{t-1} + (1 - \mu)\, g_t, \qquad \tilde B_t = \begin{cases} (1 - \mu)\, g_t + \mu B_t & \text{nesterov=True} \\ B_t & \text{nesterov=False} \end{cases}$$
#
# $$X_0 = \frac{\tilde B_t}{\max\left(\lVert \tilde B_t \rVert_F, \varepsilon\right)}, \qquad X_{k+1} = a X_k + \left(b A_k + c A_k^2\right) X_k, \quad A_k = X_k X_k^\top, \qquad O_t = X_K$$
#
# $$\theta_t = (1 - \eta\lambda)\, \theta_{t-1} - \eta\, s(n_{\text{out}}, n_{\text{in}})\, O_t$$
#
# - $\mu$ 是 `momentum`（默认 0.95），`nesterov` 默认 `True`。
# - $K$ 是 `ns_steps`（默认 5），$(a, b, c)$ 是 `ns_coefficients`（默认 (3.4445, −4.7750, 2.0315)），$\varepsilon$ 是 `eps`（默认 $10^{-7}$）。对 $X = U \Sigma V^\top$，$A X = U \Sigma^3 V^\top$，所以每一步只改变奇异值：$\sigma \mapsto a\sigma + b\sigma^3 + c\sigma^5$。先除以 Frobenius 范数 $\lVert \cdot \rVert_F$，保证所有奇异值都不超过 1。
# - 行多于列的矩阵先转置，让 $A_k$ 是较小的那个方阵；因为 $(X X^\top)^k X = X (X^\top X)^k$，结果不变，只是更省计算。迭代用 bfloat16 计算，输出也是 bfloat16。
# - $s$ 由 `adjust_lr_fn` 决定，$n_{\text{out}} \times n_{\text{in}}$ 是权重的形状：默认 `None` 即 `"original"`，$s = \sqrt{\max(1, n_{\text{out}}/n_{\text{in}})}$（Keller Jordan 的原始代码）；`"match_rms_adamw"`，$s = 0.2\sqrt{\max(n_{\text{out}}, n_{\text{in}})}$（Moonshot AI 的做法：让更新的均方根接近 AdamW 的，从而可以沿用为 AdamW 调好的学习率和权重衰减）；`"spectral_unclamped"`，$s = \sqrt{n_{\text{out}}/n_{\text{in}}}$（较新的版本才有）。
# - `weight_decay=λ`（默认 0.1）是解耦的，乘的是没有经过 $s$ 调整的 `lr`（默认 $10^{-3}$）。
# - **文档与代码**：PyTorch 文档里的公式写的是 $B_t = \mu B_{t-1} + g_t$、$\tilde B_t = g_t + \mu B_t$；代码用的是上面的指数移动平均（`lerp`）。两者正好差一个常数因子 $1 - \mu$，而 Newton–Schulz 第一步就除以范数，把这个因子消掉了（只有范数小于 $\varepsilon$ 时才有区别）。下面的单元格验证这一点。
# - 构造函数拒绝任何不是二维的参数（`ValueError`）。偏置和其他参数要交给另一个优化器，通常是 AdamW；Keller Jordan 建议嵌入层和最后的分类层也交给 AdamW。
#
# 下面的模型像课程模型，但窄得多：784 → 32 → 64 → 10。在没有 bfloat16 矩阵运算单元的 CPU 上，课程模型 512 宽的矩阵做这些 bfloat16 乘法会很慢；窄模型的第二层权重是 64 × 32，行多于列，正好用上转置的分支。`Muon` 管两个隐藏层的权重，AdamW 管偏置和输出层。

# %% [markdown] tags=["en"]
# ## 4. `Muon`: orthogonalized momentum for matrix parameters
#
# ### 4.1 Definition
#
# `Muon` (Keller Jordan et al., 2024) takes 2-D parameters only: the weight matrices of linear layers. It first forms
# an update direction like SGD with Nesterov momentum, then "orthogonalizes" that matrix: with its singular value
# decomposition (SVD) $U \Sigma V^\top$, orthogonalizing means replacing every singular value by 1, giving
# $U V^\top$. An update that was dominated by a few large singular values then goes equally far in every direction.
# An exact SVD is too slow, so `Muon` approximates it with a few Newton–Schulz iterations. PyTorch's step $t$:
#
# $$B_t = \mu B_{t-1} + (1 - \mu)\, g_t, \qquad \tilde B_t = \begin{cases} (1 - \mu)\, g_t + \mu B_t & \text{nesterov=True} \\ B_t & \text{nesterov=False} \end{cases}$$
#
# $$X_0 = \frac{\tilde B_t}{\max\left(\lVert \tilde B_t \rVert_F, \varepsilon\right)}, \qquad X_{k+1} = a X_k + \left(b A_k + c A_k^2\right) X_k, \quad A_k = X_k X_k^\top, \qquad O_t = X_K$$
#
# $$\theta_t = (1 - \eta\lambda)\, \theta_{t-1} - \eta\, s(n_{\text{out}}, n_{\text{in}})\, O_t$$
#
# - $\mu$ is `momentum` (default 0.95); `nesterov` defaults to `True`.
# - $K$ is `ns_steps` (default 5), $(a, b, c)$ is `ns_coefficients` (default (3.4445, −4.7750, 2.0315)), $\varepsilon$
#   is `eps` (default $10^{-7}$). For $X = U \Sigma V^\top$, $A X = U \Sigma^3 V^\top$, so each step changes only the
#   singular values: $\sigma \mapsto a\sigma + b\sigma^3 + c\sigma^5$. Dividing by the Frobenius norm
#   $\lVert \cdot \rVert_F$ first makes every singular value at most 1.
# - A matrix with more rows than columns is transposed first, so that $A_k$ is the smaller square; since
#   $(X X^\top)^k X = X (X^\top X)^k$ the result is the same, only cheaper. The iteration runs in bfloat16 and returns
#   bfloat16.
# - $s$ comes from `adjust_lr_fn`, where $n_{\text{out}} \times n_{\text{in}}$ is the weight's shape: the default
#   `None` is `"original"`, $s = \sqrt{\max(1, n_{\text{out}}/n_{\text{in}})}$ (Keller Jordan's original code);
#   `"match_rms_adamw"`, $s = 0.2\sqrt{\max(n_{\text{out}}, n_{\text{in}})}$ (Moonshot AI's choice: it makes the root
#   mean square of the update close to AdamW's, so the learning rate and weight decay tuned for AdamW carry over);
#   `"spectral_unclamped"`, $s = \sqrt{n_{\text{out}}/n_{\text{in}}}$ (only in recent releases).
# - `weight_decay=λ` (default 0.1) is decoupled, and multiplied by the `lr` (default $10^{-3}$) before the
#   adjustment $s$.
# - **Docs and code**: the formula in PyTorch's documentation reads $B_t = \mu B_{t-1} + g_t$ and
#   $\tilde B_t = g_t + \mu B_t$; the code uses the exponential moving average above (`lerp`). The two differ by
#   exactly a constant factor $1 - \mu$, which the first step of Newton–Schulz divides away (they differ only when the
#   norm is below $\varepsilon$). The cell below checks this.
# - The constructor refuses any parameter that is not 2-D (`ValueError`). Biases and the other parameters go to another
#   optimizer, usually AdamW; Keller Jordan recommends AdamW for the embedding and the final classifier layer too.
#
# The model below looks like the course model but is much narrower: 784 → 32 → 64 → 10. On a CPU without bfloat16
# matrix units these bfloat16 products for the 512-wide matrices of the course model are slow; and the narrow model's
# second weight matrix, 64 × 32, has more rows than columns, which exercises the transposed branch. `Muon` takes the
# two hidden layers' weights, AdamW the biases and the output layer.

# %%
MUON_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # PyTorch 的默认值 / PyTorch's defaults


def newton_schulz(G, coefficients=MUON_COEFFICIENTS, steps=5, eps=1e-7, dtype=torch.bfloat16):
    """Muon 的正交化，与 PyTorch 同样的运算 / Muon's orthogonalization, the same operations as PyTorch."""
    a, b, c = coefficients
    X = G.to(dtype, copy=True)
    tall = G.size(0) > G.size(1)
    if tall:
        X = X.T                                     # 让 A 是较小的方阵 / make A the smaller square
    X.div_(X.norm().clamp(min=eps))                 # 奇异值 ≤ 1 / singular values ≤ 1
    for _ in range(steps):
        A = X @ X.T
        B = torch.addmm(A, A, A, beta=b, alpha=c)   # b A + c A²
        X = torch.addmm(X, B, X, beta=a)            # a X + B X
    return X.T if tall else X


def adjusted_lr(lr, adjust_lr_fn, shape):
    n_out, n_in = shape[:2]
    if adjust_lr_fn in (None, "original"):
        return lr * math.sqrt(max(1, n_out / n_in))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(n_out, n_in))
    return lr * math.sqrt(n_out / n_in)             # "spectral_unclamped"


class MuonFromScratch(FromScratch):
    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(3.4445, -4.7750, 2.0315), eps=1e-7, ns_steps=5,
                 adjust_lr_fn=None):
        super().__init__(params, lr=lr, weight_decay=weight_decay, momentum=momentum,
                         nesterov=nesterov, ns_coefficients=ns_coefficients, eps=eps,
                         ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)

    @torch.no_grad()
    def step(self):
        mu = self.momentum
        for p, state in zip(self.params, self.state):
            g = p.grad
            B = state.setdefault("B", torch.zeros_like(g))
            B.lerp_(g, 1 - mu)                              # B ← μ B + (1 − μ) g
            update = g.lerp(B, mu) if self.nesterov else B  # (1 − μ) g + μ B
            O = newton_schulz(update, self.ns_coefficients, self.ns_steps, self.eps)
            p.mul_(1 - self.lr * self.weight_decay)         # 解耦衰减 / decoupled decay
            p.add_(O, alpha=-adjusted_lr(self.lr, self.adjust_lr_fn, p.shape))


def narrow_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 64), nn.ReLU(),
                         nn.Linear(64, 10))


def with_adamw(muon_class, model, kw):
    """Muon 管隐藏层的权重，AdamW 管其余参数 / Muon for the hidden weights, AdamW for the rest."""
    hidden = [model[1].weight, model[3].weight]
    rest = [p for p in model.parameters() if all(p is not h for h in hidden)]
    return [muon_class(hidden, **kw), torch.optim.AdamW(rest, lr=1e-3)]


# %% [markdown] tags=["zh"]
# ### 4.2 直觉：奇异值都被推到 1 附近
#
# 左图（横轴是对数坐标）是每一步作用在奇异值上的多项式迭代 5 次的结果。PyTorch 的系数把零点处的斜率做得很大（$a = 3.4445$，5 步就是约 $3.4445^5 \approx 485$ 倍），小奇异值几步就被推到 1 附近，代价是结果在 1 上下摆动，而不是精确地等于 1；另一组系数 $(15/8, -10/8, 3/8)$ 保证收敛到 1，但对小奇异值太慢。右图是窄模型第一层一个批次的真实梯度（除以 Frobenius 范数之后）：Newton–Schulz 之前，奇异值相差几个数量级；之后，不小于 0.01 的都挤在 1 附近，只有极小的几个（几乎不含信息的方向）还小于 0.5。

# %% [markdown] tags=["en"]
# ### 4.2 Intuition: every singular value is pushed to about 1
#
# The left plot (log horizontal axis) is the polynomial that each step applies to the singular values, iterated 5
# times. PyTorch's coefficients make the slope at zero large ($a = 3.4445$, about $3.4445^5 \approx 485$ times over
# 5 steps), so small singular values reach the neighbourhood of 1 in a few steps, at the price of ending up
# scattered around 1 rather than exactly at 1; the other coefficients, $(15/8, -10/8, 3/8)$, converge to 1 but are
# too slow for small singular values. The right plot is a real gradient of the narrow model's first layer on one
# batch (divided by its Frobenius norm): before Newton–Schulz its singular values span orders of magnitude;
# afterwards those of at least 0.01 crowd around 1, and only a few tiny ones (directions that carry almost no
# information) stay below 0.5.

# %%
def ns_map(sigma, coefficients, steps=5):
    a, b, c = coefficients
    for _ in range(steps):
        sigma = a * sigma + b * sigma ** 3 + c * sigma ** 5
    return sigma


CONVERGENT = (15 / 8, -10 / 8, 3 / 8)
sigma = torch.logspace(-4, 0, 1001, dtype=torch.float64)  # 10⁻⁴ .. 1
fc.set_seed(0)
net = narrow_model().double().to(device)
loss_fn(net(X_steps[:batch]), y_steps[:batch]).backward()
G = net[1].weight.grad                                    # 32 × 784
before = torch.linalg.svdvals(G / G.norm())
after = torch.linalg.svdvals(newton_schulz(G).double())
in_band = ((after > 0.5) & (after < 1.5)).sum()  # 挤到 1 附近的 / those crowded around 1
assert before.max() / before.min() > 1000 and in_band >= (before > 0.01).sum() and after.max() < 1.5
# 文档的写法（B = μB + g）与代码的写法差一个因子 1 − μ：正交化后相同 /
# the docs' form (B = μB + g) differs from the code's by a factor 1 − μ: equal once orthogonalized
torch.testing.assert_close(newton_schulz(G, dtype=torch.float64),
                           newton_schulz(G / (1 - 0.95), dtype=torch.float64))

fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for coefficients, name in ((MUON_COEFFICIENTS, "Muon (3.4445, −4.7750, 2.0315)"),
                           (CONVERGENT, "(15/8, −10/8, 3/8)")):
    axes[0].plot(sigma, ns_map(sigma, coefficients), label=name)
axes[0].axhline(1, color="gray", ls=":")
axes[0].set_xscale("log")
axes[0].set_xlabel(fc.label("迭代前的奇异值 σ", "singular value σ before"))
axes[0].set_ylabel(fc.label("5 步之后", "after 5 steps"))
axes[0].legend(fontsize=8)
axes[1].plot(before, "o-", ms=3, label=r"$G / \Vert G \Vert_F$")
axes[1].plot(after, "s-", ms=3, label=fc.label("Newton–Schulz 之后", "after Newton–Schulz"))
axes[1].set_yscale("log")
axes[1].set_xlabel(fc.label("奇异值的序号", "index of the singular value"))
axes[1].set_ylabel(fc.label("奇异值", "singular value"))
axes[1].legend(fontsize=8)
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()
mapped = ns_map(torch.linspace(0.01, 1, 991, dtype=torch.float64), MUON_COEFFICIENTS)
print(f"PyTorch 的系数把 [0.01, 1] 映到 / PyTorch's coefficients map [0.01, 1] into "
      f"[{mapped.min():.2f}, {mapped.max():.2f}]")
print("Newton–Schulz ✓ 真实梯度的奇异值相差千倍以上；不小于 0.01 的，正交化后都在 0.5 与 1.5 之间")
print("Newton–Schulz ✓ a real gradient's singular values span over 1000x; those of at least 0.01")
print("    end up between 0.5 and 1.5")
print("文档 = 代码 ✓ 差一个常数因子，正交化后相同 / docs = code ✓ a constant factor apart, equal after")

# %% [markdown] tags=["zh"]
# ### 4.3 为什么要正交化
#
# 第 4.2 节看到了正交化做什么：更新矩阵的每个奇异值都变成差不多一样大。为什么这样的一步好？Bernstein 和 Newhouse（2024）的回答是“谱范数下的最速下降”。全连接层 $y = W x$ 的权重走一步 $\Delta W$，输出变化 $\lVert \Delta W x \rVert \le \lVert \Delta W \rVert_2 \lVert x \rVert$，其中谱范数（spectral norm）$\lVert \Delta W \rVert_2$ 就是最大的奇异值：它限制的是“任何一个输入方向上，输出最多变多少”。在这个限制下，让损失的一阶下降 $\langle G, \Delta W \rangle = \sum_{ij} G_{ij} \Delta W_{ij}$ 最大的一步，正是把梯度 $G = U \Sigma V^\top$ 的奇异值全换成 1：
#
# $$\underset{\lVert \Delta W \rVert_2 \le \eta}{\arg\max}\ \langle G, \Delta W \rangle = \eta\, U V^\top, \qquad \langle G, \eta\, U V^\top \rangle = \eta \sum_i \sigma_i$$
#
# 同样谱范数的梯度步 $\eta\, G / \sigma_{\max}$ 只下降 $\eta \sum_i \sigma_i^2 / \sigma_{\max}$：梯度里少数几个大奇异值占了这一步的“预算”，其余方向几乎不动。真实的梯度往往正是这样，少数几个方向占了大头（第 4.2 节右图的奇异值相差千倍以上）。`Muon` 让每个方向走一样远。另一个看法来自 Keller Jordan 的文章：$U V^\top = (G G^\top)^{-1/2} G$，就是 Shampoo 优化器不累积历史时的更新。下面的单元格检查这几点，并比较几种方向：同样的谱范数下，正交化的一步下降最多。
#
# 代价：对一个 $m \times n$ 的矩阵（$m \le n$），Newton–Schulz 每一步算 $A = X X^\top$、$A^2$ 和 $B X$，约 $4 m^2 n + 2 m^3$ 次浮点运算，5 步就是它的 5 倍；而这一层在一个批次（$N$ 个样本）上的前向加反向传播约 $6 N m n$。两者之比约为 $5 (4m + 2m^2/n) / (6N)$，主要取决于矩阵的短边和批次大小：批次很大（大语言模型一步几十万个词元）时可以忽略，批次小时比训练本身还贵。下面的表算了两个例子。


# %% [markdown] tags=["en"]
# ### 4.3 Why orthogonalize
#
# Section 4.2 showed what orthogonalizing does: every singular value of the update matrix becomes about the same. Why is
# such a step good? Bernstein and Newhouse (2024) answer: it is steepest descent under the spectral norm. A step
# $\Delta W$ of a linear layer $y = W x$ changes the output by $\lVert \Delta W x \rVert \le \lVert \Delta W \rVert_2
# \lVert x \rVert$, where the spectral norm $\lVert \Delta W \rVert_2$ is the largest singular value: it bounds how much
# the output can change along any one input direction. Under that bound, the step that decreases the loss most to first
# order, $\langle G, \Delta W \rangle = \sum_{ij} G_{ij} \Delta W_{ij}$, is the gradient $G = U \Sigma V^\top$ with all
# its singular values replaced by 1:
#
# $$\underset{\lVert \Delta W \rVert_2 \le \eta}{\arg\max}\ \langle G, \Delta W \rangle = \eta\, U V^\top, \qquad \langle G, \eta\, U V^\top \rangle = \eta \sum_i \sigma_i$$
#
# A gradient step of the same spectral norm, $\eta\, G / \sigma_{\max}$, decreases it by only
# $\eta \sum_i \sigma_i^2 / \sigma_{\max}$: the few large singular values of the gradient use up the step's "budget" and
# the other directions hardly move. Real gradients are often like that, with a few directions carrying most of the
# weight (the singular values in the right panel of section 4.2 span over a factor of 1000). `Muon` moves every
# direction equally far. Another view, from Keller Jordan's write-up: $U V^\top = (G G^\top)^{-1/2} G$, which is the
# update of the Shampoo optimizer without its accumulated history. The cell below checks these points and compares a
# few directions: at the same spectral norm, the orthogonalized step decreases the loss most.
#
# The cost: for an $m \times n$ matrix ($m \le n$), each Newton–Schulz step computes $A = X X^\top$, $A^2$ and $B X$,
# about $4 m^2 n + 2 m^3$ floating-point operations, times 5 steps; the layer's forward and backward passes on a batch
# of $N$ samples take about $6 N m n$. The ratio, about $5 (4m + 2m^2/n) / (6N)$, depends mostly on the matrix's short
# side and the batch size: negligible with very large batches (a large language model takes hundreds of thousands of
# tokens per step), more than the training itself with small ones. The table below works out two examples.


# %%
gen = torch.Generator().manual_seed(4)
# 像梯度一样：少数几个方向很大，再加一点噪声 / gradient-like: a few large directions, plus noise
scales = torch.tensor([10.0, 3.0, 1.0, 0.3], dtype=torch.float64)
G = ((torch.randn(32, 4, generator=gen, dtype=torch.float64) * scales)
     @ torch.randn(4, 64, generator=gen, dtype=torch.float64)
     + 0.05 * torch.randn(32, 64, generator=gen, dtype=torch.float64))
U, S, Vh = torch.linalg.svd(G, full_matrices=False)
O = U @ Vh                                                   # 正交化 / orthogonalized


def decrease(D):
    """一阶下降 ⟨G, D⟩，按 D 的谱范数归一 / first-order decrease ⟨G, D⟩ per unit spectral norm."""
    return ((G * D).sum(dim=(-2, -1)) / torch.linalg.matrix_norm(D, ord=2)).max().item()


directions = {
    "正交化 / orthogonalized, U Vᵀ": O,
    "梯度 / the gradient G": G,
    "符号 / its sign, sign(G)": G.sign(),
    "随机方向 / random (best of 2000)": torch.randn(2000, 32, 64, generator=gen, dtype=torch.float64),
}
print("同样的谱范数下，一阶下降 ⟨G, D⟩ / ‖D‖₂ / first-order decrease at the same spectral norm:")
found = {name: decrease(D) for name, D in directions.items()}
for name, value in found.items():
    print(f"    {fc.pad(name, 40)}{value:8.1f}")
torch.testing.assert_close(torch.linalg.svdvals(O), torch.ones(32, dtype=torch.float64))
assert abs(found[next(iter(found))] - S.sum().item()) < 1e-9 * S.sum().item()  # Σσ_i
assert all(value < 0.9 * S.sum().item() for value in list(found.values())[1:])
# Shampoo 不累积历史时：(G Gᵀ)^(−1/2) G = U Vᵀ / Shampoo without its history
evals, evecs = torch.linalg.eigh(G @ G.T)
torch.testing.assert_close(evecs @ torch.diag(evals.rsqrt()) @ evecs.T @ G, O, rtol=0, atol=1e-8)
print("正交化 ✓ U Vᵀ 的奇异值都是 1，下降 Σσ_i 最多；(G Gᵀ)^(−1/2) G = U Vᵀ（Shampoo）")
print("orthogonalized ✓ U Vᵀ has all singular values 1 and decreases most, Σσ_i; "
      "(G Gᵀ)^(−1/2) G = U Vᵀ")


def ns_flops(m, n, steps=5):
    m, n = min(m, n), max(m, n)
    return steps * (4 * m * m * n + 2 * m ** 3)


print()
print(f"{fc.pad('矩阵，批次 / matrix, batch', 46)}{fc.pad('Newton–Schulz ÷ 前向加反向 / fwd+bwd', 40, '>')}")
for label, (m, n, batch) in {
    "课程模型第一层 / course layer 1, 512×784, 64": (512, 784, 64),
    "GPT-2 small MLP, 768×3072, 524,288 tokens": (768, 3072, 524_288),
}.items():
    ratio = ns_flops(m, n) / (6 * batch * m * n)
    shown = f"{ratio:.0f} 倍 / times" if ratio >= 1 else f"{ratio:.1%}"
    print(f"{fc.pad(label, 46)}{fc.pad(shown, 40, '>')}")
assert ns_flops(512, 784) > 10 * 6 * 64 * 512 * 784
assert ns_flops(768, 3072) < 0.01 * 6 * 524_288 * 768 * 3072

# %% [markdown] tags=["zh"]
# ### 4.4 与 PyTorch 对照（选读）
#
# 四种组合覆盖全部选项：默认值；`lr`、`momentum`、`nesterov=False`、`ns_steps`、`weight_decay`、`adjust_lr_fn="original"`；`match_rms_adamw` 加另一组 `ns_coefficients` 和另一个 `eps`；`spectral_unclamped`。每种都是窄模型 100 步，AdamW 管其余参数。最后把全部参数交给 `Muon`，看它拒绝偏置。

# %% [markdown] tags=["en"]
# ### 4.4 Checked against PyTorch (optional)
#
# Four combinations cover every option: the defaults; `lr`, `momentum`, `nesterov=False`, `ns_steps`, `weight_decay`
# and `adjust_lr_fn="original"`; `match_rms_adamw` with other `ns_coefficients` and another `eps`;
# `spectral_unclamped`. Each trains the narrow model for 100 steps, with AdamW for the other parameters. Last, we give
# `Muon` all the parameters and watch it refuse the biases.

# %% tags=["grading-skip"]
def muon_supports(adjust_lr_fn):
    try:
        torch.optim.Muon([nn.Parameter(torch.zeros(2, 2))], adjust_lr_fn=adjust_lr_fn)
    except ValueError:
        return False
    return True


MUON = {
    "default": {},
    "lr, momentum, nesterov, ns_steps, weight_decay, original": {
        "lr": 0.02, "momentum": 0.9, "nesterov": False, "ns_steps": 3, "weight_decay": 0.0,
        "adjust_lr_fn": "original"},
    "match_rms_adamw, ns_coefficients, eps": {
        "adjust_lr_fn": "match_rms_adamw", "ns_coefficients": CONVERGENT, "eps": 1e-3},
    "spectral_unclamped": {"adjust_lr_fn": "spectral_unclamped", "lr": 0.01},
}
if HAS_MUON:
    MUON = {k: kw for k, kw in MUON.items() if muon_supports(kw.get("adjust_lr_fn"))}
    runs = run_both(MuonFromScratch, torch.optim.Muon, MUON, narrow_model, with_adamw)
    for ours, theirs in runs.values():
        torch.testing.assert_close(ours, theirs)
    print("Muon ✓ 100 步后与 torch.optim.Muon（+ AdamW）一致 / matches after 100 steps")
    for combo in MUON:
        print(f"    - {combo}")
    try:
        torch.optim.Muon(narrow_model().parameters())
    except ValueError as e:
        print(f"Muon(全部参数 / all parameters) → {type(e).__name__}：偏置是一维的 / biases are 1-D")

# %% [markdown] tags=["zh"]
# ### 4.5 何时使用
#
# - 大模型隐藏层的权重矩阵：`Muon` 在 NanoGPT 和 CIFAR-10 的训练速度纪录里用得很多，Moonshot AI 用它训练了大语言模型（论文《Muon is Scalable for LLM Training》）。
# - 一定要和另一个优化器搭配：`torch.optim.Muon` 只收二维参数，偏置、嵌入层、最后的分类层交给 AdamW。卷积核要先展平成二维才能用，`torch.optim.Muon` 不替你做。
# - 想沿用为 AdamW 调好的学习率和权重衰减时，用 `adjust_lr_fn="match_rms_adamw"`；默认的 `"original"` 配 Keller Jordan 的学习率（他的代码默认 `lr=0.02`），PyTorch 的默认 `lr` 只有 $10^{-3}$。
# - 每一步多了几次矩阵乘法（第 4.3 节的表）：批次很大时可以忽略，批次小、矩阵宽时比前向和反向传播本身还贵，在没有 bfloat16 硬件的机器上更是如此。
# - 在课程任务上（第 5 节），窄模型用 `Muon` 管两个隐藏层，3 个种子都比只用 AdamW 高约 2 个百分点；更宽的模型、更长的训练，这里没有测。

# %% [markdown] tags=["en"]
# ### 4.5 When to use it
#
# - The hidden weight matrices of large models: `Muon` is behind many of the NanoGPT and CIFAR-10 training-speed
#   records, and Moonshot AI trained large language models with it (the paper "Muon is Scalable for LLM Training").
# - Always with another optimizer: `torch.optim.Muon` takes only 2-D parameters; biases, embeddings and the final
#   classifier layer go to AdamW. A convolution kernel has to be flattened to 2-D first; `torch.optim.Muon` does not do
#   it for you.
# - To reuse the learning rate and weight decay tuned for AdamW, use `adjust_lr_fn="match_rms_adamw"`; the default
#   `"original"` goes with Keller Jordan's learning rates (his code defaults to `lr=0.02`), while PyTorch's default
#   `lr` is only $10^{-3}$.
# - Each step adds a few matrix products (the table of section 4.3): negligible with very large batches, more than the
#   forward and backward passes themselves with small batches and wide matrices, all the more on a machine without
#   bfloat16 hardware.
# - On the course task (section 5), `Muon` for the two hidden layers of the narrow model ended about 2 points above
#   AdamW alone on all 3 seeds; wider models and longer training were not measured here.

# %% [markdown] tags=["zh"]
# ## 5. 在课程任务上
#
# 第 13 课第 11 节在课程任务上比较了 Adam 家族；这里用同一张表（`benchmarks/optim_compare.py` 写出的 `fmnist_core/optim_compare.csv`，课里不现场训练）看这一课的两个优化器，同样是 2 轮、每批 64 张、在 10,000 张验证图片上看准确率、3 个种子逐个配对：
#
# - **Adafactor 与 Adam**，在课程模型上，都用 PyTorch 的默认值（Adafactor 的 `lr=0.01` 是相对步长，Adam 是 $10^{-3}$）。
# - **Muon 加 AdamW 与只用 AdamW**，在第 4 节的窄模型上（课程模型 512 宽的矩阵做 bfloat16 的 Newton–Schulz，在 CPU 上太慢：见第 4.3 节的表）。`Muon` 管两个隐藏层的权重，AdamW（$10^{-3}$）管其余参数；`Muon` 试了两种缩放：`match_rms_adamw` 配 AdamW 的学习率 $10^{-3}$，`original` 配 Keller Jordan 的 0.02。为了不拿一个学习率太小的 AdamW 来比，只用 AdamW 的那一组跑了三个学习率：$10^{-3}$、$3 \times 10^{-3}$、$10^{-2}$。权重衰减都是 0.01。


# %% [markdown] tags=["en"]
# ## 5. On the course task
#
# Section 11 of lesson 13 compared the Adam family on the course task; the same table
# (`fmnist_core/optim_compare.csv`, written by `benchmarks/optim_compare.py`; the lesson does not train live) has this
# lesson's two optimizers, with the same 2 epochs, batches of 64, accuracy on the 10,000 validation images and 3 seeds
# paired one by one:
#
# - **Adafactor against Adam** on the course model, both at PyTorch's defaults (Adafactor's `lr=0.01` is a relative step
#   size, Adam's is $10^{-3}$).
# - **Muon with AdamW against AdamW alone** on the narrow model of section 4 (the course model's 512-wide matrices make
#   the bfloat16 Newton–Schulz too slow on a CPU: see the table of section 4.3). `Muon` takes the two hidden weight
#   matrices, AdamW ($10^{-3}$) the rest; `Muon` was run with two scalings: `match_rms_adamw` at AdamW's learning rate
#   $10^{-3}$, and `original` at Keller Jordan's 0.02. So as not to compare with an AdamW held back by a small learning
#   rate, AdamW alone was run at three: $10^{-3}$, $3 \times 10^{-3}$ and $10^{-2}$. The weight decay is 0.01 throughout.


# %%
from fmnist_core import optim_table

# benchmarks/optim_compare.py 写出，随包安装；读它的代码见第 13 课第 11 节 / written by
# benchmarks/optim_compare.py, installed with the package; lesson 13 (section 11) reads it alike
table = optim_table.read()  # optim_compare.csv + optim_compare_splits.csv
compare = table[0]  # 课程固定的验证划分 / the course's fixed validation split


def accs(name):
    return optim_table.accs(compare, name)


def train_losses(name):
    return optim_table.train_losses(compare, name)


optim_table.print_comparison(compare, ["Adam", "Adafactor"], "Adam", width=21)
print()
ADAMW = ["AdamW", "AdamW lr=3e-3", "AdamW lr=1e-2"]
MUON = ["Muon match_rms_adamw", "Muon original"]
optim_table.print_comparison(compare, ADAMW + MUON, "AdamW", width=21)

# %% [markdown] tags=["zh"]
# 读这两张表（数取自 CSV，每台机器读出来都一样，下面的断言检查正文说的话）：
#
# - **Adafactor 在每个种子上都比 Adam 低 2 个百分点以上**，训练损失也更高：它学得慢。原因看第 3.1 节的步长：$\alpha_t = \rho_t \cdot \max(\epsilon_2, \operatorname{RMS}(\theta))$，而课程模型初始化后权重的均方根只有 0.02 到 0.03（下面打印），所以每一步大约只走 $0.01 \times (0.02 \sim 0.03) = (2 \sim 3) \times 10^{-4}$（还要经过更新裁剪），比 Adam 的 $10^{-3}$ 小好几倍，而且没有动量。这是默认设置下的结果，没有为 Adafactor 调过学习率；它换来的是内存（状态只有 Adam 的约 1/346，第 3.5 节），在这个小模型上用不着。
# - **Muon 加 AdamW 在每个种子上都比只用 AdamW 高 1.5 个百分点以上**，不论 AdamW 用三个学习率中的哪一个，也不论 `Muon` 用哪种缩放；训练损失也低得多。差距是种子之间标准差（0.1–0.5）的好几倍，3 个种子全在同一边，这不像是运气。一个可能的解释（这里没有检验）：只有 32 和 64 个单元的窄层，梯度被少数几个方向占据，正交化让其余方向也走得一样远（第 4.3 节）。
#
# 范围也要说清：一个窄模型、2 轮（验证划分见下面的表）；512 宽的课程模型、更长的训练、为每个优化器调过的学习率，都没有测。


# %% [markdown] tags=["en"]
# Reading the two tables (the numbers come from the CSV and read the same on every machine; the asserts below check what
# the text says):
#
# - **Adafactor is more than 2 points below Adam on every seed**, with a higher training loss too: it learns slowly. See
#   its step size in section 3.1: $\alpha_t = \rho_t \cdot \max(\epsilon_2, \operatorname{RMS}(\theta))$, and the course
#   model's weights have a root mean square of only 0.02 to 0.03 at initialization (printed below), so each step moves
#   about $0.01 \times (0.02 \sim 0.03) = (2 \sim 3) \times 10^{-4}$ (before update clipping), several times less than
#   Adam's $10^{-3}$, and without momentum. These are the defaults, with no learning rate tuned for Adafactor; what it buys is memory (its state
#   is about 1/346 of Adam's, section 3.5), which this small model does not need.
# - **Muon with AdamW is more than 1.5 points above AdamW alone on every seed**, whichever of the three learning rates
#   AdamW uses and whichever scaling `Muon` uses; its training loss is much lower too. The gap is several times the
#   standard deviation between seeds (0.1-0.5), with all 3 seeds on the same side: it does not look like luck. One
#   possible reading (not tested here): the gradients of narrow layers of 32 and 64 units are dominated by a few
#   directions, and orthogonalizing lets the other directions move as far (section 4.3).
#
# The scope, too: one narrow model, 2 epochs (for the validation split, see the table below); the 512-wide course model, longer training and learning rates
# tuned for each optimizer were not measured.


# %%
delta_adafactor = [a - b for a, b in zip(accs("Adafactor"), accs("Adam"))]
assert all(d < -2.0 for d in delta_adafactor)
assert all(a > b for a, b in zip(train_losses("Adafactor"), train_losses("Adam")))
fc.set_seed(0)
weights_rms = [p.pow(2).mean().sqrt().item() for p in fc.NeuralNetwork().parameters()
               if p.dim() == 2]
print("课程模型初始化后各权重矩阵的均方根 / RMS of the course model's weight matrices at init: "
      + ", ".join(f"{x:.3f}" for x in weights_rms))
assert 0.02 < min(weights_rms) and max(weights_rms) < 0.03
gaps = [m - a for muon in MUON for adamw in ADAMW for m, a in zip(accs(muon), accs(adamw))]
assert min(gaps) > 1.5, gaps
assert all(max(train_losses(m)) < min(train_losses(a)) for m in MUON for a in ADAMW)
print("Adafactor ✓ 默认设置下 3 个种子都比 Adam 低 2 个百分点以上 / below Adam by > 2 points on 3 seeds")
print("Muon ✓ 3 个种子、三个 AdamW 学习率、两种缩放：都比只用 AdamW 高 1.5 个百分点以上")
print("Muon ✓ above AdamW alone by > 1.5 points on 3 seeds, at each AdamW lr, with either scaling")

# %% [markdown] tags=["zh"]
# #### 换两个验证划分
#
# 上面的两张表只用了课程固定的验证划分。同一个脚本又在另外两个验证划分上各跑了 3 个种子（`--split 1` 和 `--split 2`，结果在 `fmnist_core/optim_compare_splits.csv`，上面的 `optim_table.read()` 已经一并读了进来）。下面是每个种子上的差（百分点），三个划分共 9 次：

# %% [markdown] tags=["en"]
# #### Two more validation splits
#
# The two tables above use the course's fixed validation split only. The same script also ran 3 seeds on two more
# validation splits (`--split 1` and `--split 2`; the results are in `fmnist_core/optim_compare_splits.csv`, which
# `optim_table.read()` above has already read). Below, the differences seed by seed (points), 9 runs over the three
# splits:

# %%
adafactor_delta = optim_table.deltas_by_split(table, ["Adafactor"], "Adam", width=21)
print()
muon_delta = optim_table.deltas_by_split(table, ADAMW[1:] + MUON, "AdamW", width=21)
split_gaps = {s: [m - a for muon in MUON for adamw in ADAMW
                  for m, a in zip(optim_table.accs(runs, muon), optim_table.accs(runs, adamw))]
              for s, runs in table.items()}
print("\nMuon 减去最好的 AdamW，每个划分上最小的差 / Muon minus the best AdamW, the smallest gap")
print("    per split: " + ", ".join(f"{s}: {min(g):+.2f}" for s, g in split_gaps.items()))
for s, runs in table.items():
    assert all(d < -2.0 for d in adafactor_delta[s]["Adafactor"]), s
    assert all(a > b for a, b in zip(optim_table.train_losses(runs, "Adafactor"),
                                     optim_table.train_losses(runs, "Adam"))), s
    assert min(split_gaps[s]) > 0, s  # 每个种子都高于每个 AdamW / above every AdamW on every seed
    assert all(max(optim_table.train_losses(runs, m)) < min(optim_table.train_losses(runs, a))
               for m in MUON for a in ADAMW), s
assert min(split_gaps[0]) > 1.5 and min(min(g) for g in split_gaps.values()) < 0.5
print("9 次 ✓ Adafactor 都比 Adam 低 2 个百分点以上；Muon 都高于每个 AdamW，训练损失都更低；")
print("    高 1.5 个百分点以上只在课程的划分上成立")
print("9 runs ✓ Adafactor more than 2 points below Adam each time; Muon above every AdamW")
print("    each time, with a lower training loss; by over 1.5 points only on the course's split")

# %% [markdown] tags=["zh"]
# 9 次运行里：
#
# - **Adafactor** 每次都比 Adam 低，低 2.2 到 5.1 个百分点，训练损失也每次都更高：默认设置下它学得慢，这一条在三个划分上都成立。
# - **Muon 加 AdamW** 每次都高于只用 AdamW（三个学习率里的每一个、两种缩放），训练损失也每次都更低。但高多少随划分变了：在课程的划分上每个种子都高 1.5 个百分点以上，在另外两个划分上，对学习率 $3 \times 10^{-3}$ 的 AdamW 最少只高 0.28 个百分点（上面打印了每个划分最小的差）。所以“Muon 在这个窄模型上更好”在 9 次里都成立，“好 1.5 个百分点以上”只在课程的划分上成立。

# %% [markdown] tags=["en"]
# Over the 9 runs:
#
# - **Adafactor** is below Adam every time, by 2.2 to 5.1 points, with a higher training loss every time: at its
#   defaults it learns slowly, on all three splits.
# - **Muon with AdamW** is above AdamW alone every time (at each of the three learning rates, with either scaling),
#   with a lower training loss every time. By how much changes with the split: on the course's split by more than 1.5
#   points on every seed, on the two other splits by as little as 0.28 points against AdamW at $3 \times 10^{-3}$ (the
#   smallest gap of each split is printed above). So "Muon is better on this narrow model" holds in all 9 runs; "better
#   by more than 1.5 points" only on the course's split.

# %% [markdown] tags=["zh"]
# ## 6. 练习
#
# 两个练习：第一个把 `SparseAdam` 和 Adam 的规则用到课里没有算过的情形上，第二个找出错误。
#
# ### 练习 1：空闲了 k 步的一行（迁移）
#
# 嵌入表的某一行，在第 $t$ 步之后的参数、一阶矩、二阶矩是 `theta`、`m`、`v`（一维张量）。接下来的 $k$ 步（第 $t+1, \dots, t+k$ 步）没有一个批次用到它，但表里的其他行每一步都在用；第 $t + k + 1$ 步它又被用到，梯度是 `g`。写出 `after_idle(theta, m, v, t, k, g, lr, betas, eps)`，返回 `(SparseAdam 的这一行, Adam 的这一行)`：第 $t + k + 1$ 步之后这一行的参数，分别用 `torch.optim.SparseAdam(lr=lr, betas=betas, eps=eps)`（`sparse=True` 的嵌入）和 `torch.optim.Adam(lr=lr, betas=betas, eps=eps)`（稠密梯度，空闲时这一行的梯度是 0）。第 2.2 节只画了一张两行表的图；这里要你算出来。想清楚三件事：空闲的 $k$ 步里，两种优化器各自对这一行的 $m$、$v$ 和参数做了什么；最后一步的偏差修正用第几步；$\epsilon$ 各自加在哪里（检查用的 $\epsilon$ 不小）。不要原地修改传进来的张量，也不要调用 `torch.optim`（检查拿它来对照）。


# %% [markdown] tags=["en"]
# ## 6. Exercises
#
# Two exercises: the first applies the rules of `SparseAdam` and of Adam to a case the lesson did not work out, the
# second is a bug hunt.
#
# ### Exercise 1: a row that sat idle for k steps (transfer)
#
# One row of an embedding table has, after step $t$, the parameters, first moment and second moment `theta`, `m` and
# `v` (1-D tensors). No batch uses it for the next $k$ steps (steps $t+1, \dots, t+k$), while the table's other rows are
# used at every step; at step $t + k + 1$ it is used again, with gradient `g`. Write
# `after_idle(theta, m, v, t, k, g, lr, betas, eps)`, returning `(SparseAdam's row, Adam's row)`: the row's parameters
# after step $t + k + 1$, under `torch.optim.SparseAdam(lr=lr, betas=betas, eps=eps)` (an embedding with `sparse=True`)
# and under `torch.optim.Adam(lr=lr, betas=betas, eps=eps)` (a dense gradient, 0 for this row while it is idle).
# Section 2.2 only drew a figure of a two-row table; here you work it out. Think about three things: what each
# optimizer does to the row's $m$, $v$ and parameters during the $k$ idle steps; which step count the last step's bias
# correction uses; and where each adds $\epsilon$ (the check's $\epsilon$ is not small). Change no tensor passed in, and
# do not call `torch.optim` (the check compares with it).


# %% nbgrader={"grade": false, "grade_id": "l14_ex1_sparse_idle", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-transfer"]
def after_idle(theta, m, v, t, k, g, lr, betas, eps):
    ### BEGIN SOLUTION
    b1, b2 = betas
    s = t + k + 1  # 整张表的步数 / the table's step count
    # SparseAdam：空闲时什么也不做；ε 加在没修正的 √v 上 / idle: nothing; ε on the uncorrected √v
    ms, vs = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    sparse = theta - lr * (1 - b2 ** s) ** 0.5 / (1 - b1 ** s) * ms / (vs.sqrt() + eps)
    # Adam：空闲的 k 步梯度为 0，m、v 衰减，参数照样移动 / idle steps: gradient 0, it still moves
    dense, md, vd = theta, m, v
    for step in range(t + 1, s + 1):
        grad = g if step == s else torch.zeros_like(g)
        md, vd = b1 * md + (1 - b1) * grad, b2 * vd + (1 - b2) * grad * grad
        dense = dense - lr * (md / (1 - b1 ** step)) / ((vd / (1 - b2 ** step)).sqrt() + eps)
    return sparse, dense
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "l14_ex1_sparse_idle_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex1_sparse_idle(after_idle)

# %% [markdown] tags=["zh"]
# ### 练习 2：一叠矩阵的 Newton–Schulz，找出错误
#
# 有时一个参数张量里存着好几个矩阵，例如几个注意力头或几个专家的权重，形状是 $(B, m, n)$；`Muon` 的正交化要对其中**每一个矩阵各自**做（第 4.1 节），而 `torch.optim.Muon` 只收二维参数，得自己写。下面的 `buggy_newton_schulz_stack(G, coefficients, steps, eps)` 想用 `float64` 做这件事，但有三个错误：一叠里的矩阵范数可能相差很大，也可能有一个全是 0（这一步没有梯度的头），正确的结果在那里应当是 0。在答案单元格里写出改好的 `newton_schulz_stack`，签名不变、用 `float64` 计算、返回与 `G` 同形状的张量，不要原地修改 `G`。下面的单元格打印了有错的版本在一叠三个矩阵上的结果：正确时，前两个矩阵的奇异值都应在 0.68 到 1.12 之间（第 4.2 节），第三个是 0。检查用三叠矩阵，每一叠只暴露一个错误，并说出还剩哪个。


# %% [markdown] tags=["en"]
# ### Exercise 2: Newton–Schulz for a stack of matrices, find the bugs
#
# Sometimes one parameter tensor holds several matrices, such as the weights of several attention heads or experts, of
# shape $(B, m, n)$; `Muon`'s orthogonalization must treat **each matrix on its own** (section 4.1), and
# `torch.optim.Muon` takes only 2-D parameters, so you write it yourself. `buggy_newton_schulz_stack(G, coefficients,
# steps, eps)` below means to do that in `float64`, but it has three bugs: the matrices of a stack may have very
# different norms, and one may be all zeros (a head that got no gradient at this step), where the right result is 0.
# Write the fixed `newton_schulz_stack` in the answer cell, with the same signature, computing in `float64`, returning
# a tensor of the shape of `G`, and without changing `G` in place. The cell below prints what the buggy version makes of
# a stack of three matrices: when it is right, the singular values of the first two lie between 0.68 and 1.12 (section
# 4.2), and the third is 0. The check uses three stacks, each exposing one bug only, and names the one still there.


# %%
def buggy_newton_schulz_stack(G, coefficients=MUON_COEFFICIENTS, steps=5, eps=1e-7):
    """Muon 的正交化，对一叠 (B, m, n) 里的每个矩阵 / Muon's orthogonalization of each matrix."""
    a, b, c = coefficients
    X = G.double()
    X = X / X.norm()                         # 奇异值 ≤ 1 / singular values ≤ 1
    for _ in range(steps):
        A = X @ X.mT                         # (B, m, m)
        X = a * X + (b * A + c * A) @ X      # a X + (b A + c A²) X
    return X


stack = torch.randn(3, 4, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
stack[0] *= 10.0    # 范数大 / a large norm
stack[1] *= 0.01    # 范数小 / a small norm
stack[2] = 0.0      # 这一步没有梯度 / no gradient at this step
for i, M in enumerate(buggy_newton_schulz_stack(stack)):
    sv = torch.linalg.svdvals(M)
    shown = "> 1000" if sv.max() > 1000 else f"{sv.min():.3f} … {sv.max():.3f}"
    print(f"矩阵 / matrix {i}: 奇异值 / singular values {shown}")

# %% nbgrader={"grade": false, "grade_id": "l14_ex2_newton_schulz_stack", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-debug"]
def newton_schulz_stack(G, coefficients, steps, eps):
    ### BEGIN SOLUTION
    a, b, c = coefficients
    X = G.double()
    # 每个矩阵除以自己的 Frobenius 范数，范数至少为 eps / each matrix by its own norm, at least eps
    X = X / X.norm(dim=(-2, -1), keepdim=True).clamp(min=eps)
    for _ in range(steps):
        A = X @ X.mT
        X = a * X + (b * A + c * A @ A) @ X  # c 乘的是 A² / c multiplies A²
    return X
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "l14_ex2_newton_schulz_stack_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex2_newton_schulz_stack(newton_schulz_stack)

# %% [markdown] tags=["zh"]
# ## 小结
#
# - `SparseAdam` 只更新稀疏梯度里出现的行：没用到的行的 $m$、$v$ 和参数都不动（惰性），步数属于整个张量，$\epsilon$ 加在没修正的 $\sqrt{v}$ 上。它省计算，不省内存。Adam 则让梯度为 0 的行照样按动量滑动。
# - `Adafactor` 不存 $m$，对矩阵只存行平均 $r$ 和列平均 $c$，$\hat V = r c^\top / \operatorname{mean}(r)$；步长相对参数的均方根，更新裁剪挡住过大的步。在课程模型上它的状态只有 Adam 的约 1/346，但默认设置下 2 轮后比 Adam 低 2 个百分点以上。
# - `Muon` 用 Newton–Schulz 迭代把二维参数的动量正交化，更新的奇异值都被推到 1 附近：这是谱范数下的最速下降，也是不累积历史的 Shampoo。它只收二维参数，要和 AdamW 搭配；每一步多出的计算在批次小时不可忽略。在课程任务的窄模型上，它比只用 AdamW 高约 2 个百分点（3 个种子）。
# - 从零实现的三个优化器都与 PyTorch 一致：在真实批次上 100 步后参数一致（`Muon` 的对照要求安装的 PyTorch 里有 `torch.optim.Muon`）。
# - 附录：`MultiplicativeLR` 和 `ConstantLR` 乘当前学习率，能在 `ChainedScheduler` 里叠加；`CyclicLR` 从公式算学习率并覆盖它，默认还循环动量；`ChainedScheduler` 让调度器同时生效，`SequentialLR` 让它们先后生效。
#
# 这是最后一课。回到起点：[00 数据](00_data.ipynb)。下面是两节选读的附录。


# %% [markdown] tags=["en"]
# ## Summary
#
# - `SparseAdam` updates only the rows present in a sparse gradient: an unused row keeps its $m$, $v$ and parameters
#   (the lazy update); the step count belongs to the whole tensor, and $\epsilon$ is added to the uncorrected
#   $\sqrt{v}$. It saves compute, not memory. Adam, by contrast, keeps a row with gradient 0 sliding on its momentum.
# - `Adafactor` keeps no $m$, and only the row means $r$ and column means $c$ of a matrix,
#   $\hat V = r c^\top / \operatorname{mean}(r)$; its step is relative to the parameter's root mean square, and update
#   clipping stops oversized steps. On the course model its state is about 1/346 of Adam's, but at its defaults it ends
#   2 epochs more than 2 points below Adam.
# - `Muon` orthogonalizes the momentum of 2-D parameters with the Newton–Schulz iteration, pushing every singular value
#   of the update to about 1: steepest descent under the spectral norm, and Shampoo without its history. It takes 2-D
#   parameters only and is paired with AdamW; its extra computation per step matters when batches are small. On the
#   course task's narrow model it ended about 2 points above AdamW alone (3 seeds).
# - The from-scratch versions of the three optimizers match PyTorch: the parameters after 100 steps on real batches (the
#   check of `Muon` needs a PyTorch that has `torch.optim.Muon`).
# - Appendix: `MultiplicativeLR` and `ConstantLR` multiply the current learning rate and stack in `ChainedScheduler`;
#   `CyclicLR` computes its learning rate from a formula and overwrites it, and cycles the momentum by default;
#   `ChainedScheduler` makes schedulers act at the same time, `SequentialLR` one after another.
#
# This is the last lesson. Back to the start: [00 Data](00_data.ipynb). Two optional appendices follow.


# %% [markdown] tags=["zh"]
# ## 7. 附录：其余的学习率调度器（选读）
#
# 第 09 课讲了七个常用的调度器，`torch.optim.lr_scheduler` 里还剩四个。它们和大模型无关，放在最后一课的附录里，是为了让第 09 课保持在一次能学完的长度；读它们只需要第 09 课的内容。每个调度器的公式都与 `get_last_lr()` 逐步对照。
#
# ### 7.1 `MultiplicativeLR` 与 `ConstantLR`
#
# 沿用第 09 课的记号：$t$ 是 `scheduler.step()` 的调用次数，$\eta_t$ 是第 $t$ 步用的学习率，$\eta_{\text{base}}$ 是优化器创建时的学习率。`MultiplicativeLR(optimizer, lr_lambda)` 每一步把**当前**的学习率乘以 $\lambda(t)$（`LambdaLR` 乘的则是 $\eta_{\text{base}}$：$\eta_t = \eta_{\text{base}}\, \lambda(t)$）：
#
# $$\eta_0 = \eta_{\text{base}}, \qquad \eta_t = \eta_{t-1}\, \lambda(t) = \eta_{\text{base}} \prod_{s=1}^{t} \lambda(s)$$
#
# $\lambda(0)$ 从来不会被调用。`lr_lambda` 也可以是一个列表，每个参数组一个函数。
#
# `ConstantLR(optimizer, factor=f, total_iters=T)` 在前 $T$ 步用一个打了折的学习率，之后恢复：
#
# $$\eta_t = \begin{cases} f\, \eta_{\text{base}} & t < T \\ \eta_{\text{base}} & t \ge T \end{cases}$$
#
# 默认 $f = 1/3$、$T = 5$，是最简单的预热。它的实现也是“乘当前学习率”：$t = 0$ 时乘 $f$，$t = T$ 时乘 $1/f$。所以它能和别的调度器在 `ChainedScheduler` 里叠加（第 7.3 节）；也正因为这样，构造函数允许的 `factor=0` 会在 $t = T$ 时除以 0。
#
# 两个类都有 `last_epoch`，只用于从检查点接着训练：训练了 $k$ 步后，优化器里存着第 $k$ 步的学习率和 `initial_lr`，用 `last_epoch=k-1` 重建调度器，它构造时走的那一步正好到达 $t = k$。`MultiplicativeLR` 带 `last_epoch` 重建时的行为在不同的 PyTorch 版本里不一样，接着训练更稳妥的办法是保存并载入 `state_dict()`，下面对它检查这种做法。

# %% [markdown] tags=["en"]
# ## 7. Appendix: the remaining learning-rate schedulers (optional)
#
# Lesson 09 covered the seven common schedulers; `torch.optim.lr_scheduler` has four more. They have nothing to do with
# large models: they sit in an appendix of the last lesson so that lesson 09 stays within one sitting, and reading them
# needs only lesson 09. Each scheduler's formula is checked against `get_last_lr()` step by step.
#
# ### 7.1 `MultiplicativeLR` and `ConstantLR`
#
# With the notation of lesson 09: $t$ counts the calls of `scheduler.step()`, $\eta_t$ is the learning rate step $t$
# uses, and $\eta_{\text{base}}$ the learning rate the optimizer was created with. `MultiplicativeLR(optimizer,
# lr_lambda)` multiplies the **current** learning rate by $\lambda(t)$ at each step (`LambdaLR`, by contrast,
# multiplies $\eta_{\text{base}}$: $\eta_t = \eta_{\text{base}}\, \lambda(t)$):
#
# $$\eta_0 = \eta_{\text{base}}, \qquad \eta_t = \eta_{t-1}\, \lambda(t) = \eta_{\text{base}} \prod_{s=1}^{t} \lambda(s)$$
#
# $\lambda(0)$ is never called. `lr_lambda` can also be a list, one function per parameter group.
#
# `ConstantLR(optimizer, factor=f, total_iters=T)` uses a discounted learning rate for the first $T$ steps, then
# restores it:
#
# $$\eta_t = \begin{cases} f\, \eta_{\text{base}} & t < T \\ \eta_{\text{base}} & t \ge T \end{cases}$$
#
# The defaults $f = 1/3$, $T = 5$ make the simplest warm-up. It too works by multiplying the current learning rate: by
# $f$ at $t = 0$ and by $1/f$ at $t = T$. That is why it can be stacked with other schedulers in `ChainedScheduler`
# (section 7.3), and also why `factor=0`, which the constructor accepts, divides by 0 at $t = T$.
#
# Both classes have `last_epoch`, which is only for resuming from a checkpoint: after $k$ steps the optimizer holds the
# learning rate of step $k$ and `initial_lr`; rebuild the scheduler with `last_epoch=k-1`, and the step it takes while
# being built brings it to $t = k$. How `MultiplicativeLR` behaves when rebuilt with `last_epoch` has changed between
# PyTorch releases; the safer way to resume is to save and load `state_dict()`, which we check for it below.

# %%
TOL = dict(rtol=1e-9, atol=1e-12)  # 学习率是小数，比得严一些 / learning rates are small: compare tightly


def lr_trace(make_scheduler, steps, groups=1, optimizer_class=torch.optim.SGD, **optimizer_kw):
    """每一步每个参数组的学习率，以及第 0 组的动量（或 β1）/ the lr of each group at each step,
    and the momentum (or β1) of group 0."""
    optimizer_kw.setdefault("lr", 0.1)
    params = [nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    optimizer = optimizer_class([{"params": [p]} for p in params], **optimizer_kw)
    scheduler = make_scheduler(optimizer)
    lrs, momenta = [], []
    for _ in range(steps):
        lrs.append(scheduler.get_last_lr())
        group = optimizer.param_groups[0]
        momenta.append(group["betas"][0] if "betas" in group else group["momentum"])
        optimizer.step()  # 先优化器 / optimizer first
        scheduler.step()  # 再调度器 / then the scheduler
    return torch.tensor(lrs, dtype=torch.float64), torch.tensor(momenta, dtype=torch.float64)


def closed_form(formula, steps, **kw):
    return torch.tensor([formula(t, **kw) for t in range(steps)], dtype=torch.float64)


def record(name, ours, theirs):
    """比较并记下最大绝对差 / compare, and keep the largest absolute difference."""
    torch.testing.assert_close(ours, theirs, **TOL)
    LARGEST[name] = max(LARGEST.get(name, 0.0), (ours - theirs).abs().max().item())


def multiplicative_lr(t, lr0, lam):
    return lr0 * math.prod(lam(s) for s in range(1, t + 1))


def constant_lr(t, lr0, factor=1 / 3, total_iters=5):
    return lr0 * (factor if t < total_iters else 1.0)


def every_tenth(s):
    return 0.5 if s % 10 == 0 else 1.0


def steady(s):
    return 0.95


# MultiplicativeLR：一个函数；每个参数组一个函数 / one function; one per parameter group
mult, _ = lr_trace(lambda o: lr_scheduler.MultiplicativeLR(o, lr_lambda=steady), 40)
record("MultiplicativeLR", mult[:, 0], closed_form(multiplicative_lr, 40, lr0=0.1, lam=steady))
groups, _ = lr_trace(lambda o: lr_scheduler.MultiplicativeLR(o, [steady, every_tenth]), 40, 2)
for k, lam in enumerate((steady, every_tenth)):
    record("MultiplicativeLR", groups[:, k], closed_form(multiplicative_lr, 40, lr0=0.1, lam=lam))

# 用 state_dict 接着训练 / resume through state_dict
p = nn.Parameter(torch.zeros(1))
optimizer = torch.optim.SGD([p], lr=0.1)
scheduler = lr_scheduler.MultiplicativeLR(optimizer, steady)
for _ in range(12):
    optimizer.step()
    scheduler.step()
saved = optimizer.state_dict(), scheduler.state_dict()
optimizer = torch.optim.SGD([p], lr=0.1)
scheduler = lr_scheduler.MultiplicativeLR(optimizer, steady)
optimizer.load_state_dict(saved[0])
scheduler.load_state_dict(saved[1])
resumed = []
for _ in range(28):
    resumed.append(scheduler.get_last_lr()[0])
    optimizer.step()
    scheduler.step()
torch.testing.assert_close(torch.tensor(resumed, dtype=torch.float64), mult[12:, 0], **TOL)

# ConstantLR：默认值与其他设置 / the defaults and other settings
for kw in ({}, {"factor": 0.1, "total_iters": 20}, {"factor": 0.5, "total_iters": 1}):
    const, _ = lr_trace(lambda o: lr_scheduler.ConstantLR(o, **kw), 40)
    record("ConstantLR", const[:, 0], closed_form(constant_lr, 40, lr0=0.1, **kw))
# last_epoch：在第 k = 12 步接着训练 / resume at step k = 12
p = nn.Parameter(torch.zeros(1))
optimizer = torch.optim.SGD([{"params": [p], "lr": 0.01, "initial_lr": 0.1}], lr=0.01)
scheduler = lr_scheduler.ConstantLR(optimizer, factor=0.1, total_iters=20, last_epoch=11)
resumed = []
for _ in range(28):
    resumed.append(scheduler.get_last_lr()[0])
    optimizer.step()
    scheduler.step()
torch.testing.assert_close(torch.tensor(resumed, dtype=torch.float64),
                           closed_form(constant_lr, 40, lr0=0.1, factor=0.1, total_iters=20)[12:],
                           **TOL)
try:
    lr_trace(lambda o: lr_scheduler.ConstantLR(o, factor=0.0, total_iters=3), 5)
except ZeroDivisionError as e:
    print(f"ConstantLR(factor=0) 在 t = total_iters 时 / at t = total_iters → {type(e).__name__}")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
axes[0].plot(groups[:, 0], label="lr_lambda = 0.95")
axes[0].plot(groups[:, 1], drawstyle="steps-post", label=fc.label("每 10 步 × 0.5", "× 0.5 every 10"))
axes[0].set_title("MultiplicativeLR", fontsize=9)
axes[0].set_yscale("log")
for kw in ({}, {"factor": 0.1, "total_iters": 20}):
    axes[1].plot(closed_form(constant_lr, 40, lr0=0.1, **kw), drawstyle="steps-post",
                 label=f"ConstantLR({', '.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'})")
axes[1].set_title("ConstantLR", fontsize=9)
for ax in axes:
    ax.set_xlabel(fc.label("步数 t", "step t"))
    ax.set_ylabel(fc.label("学习率", "learning rate"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
print("MultiplicativeLR ✓ 与 get_last_lr() 逐步一致 / matches at every step "
      "(1 and 2 groups, state_dict)")
print("ConstantLR ✓ 与 get_last_lr() 逐步一致 / matches at every step (3 settings, last_epoch)")

# %% [markdown] tags=["zh"]
# ### 7.2 `CyclicLR`：在两个学习率之间来回
#
# `CyclicLR(optimizer, base_lr, max_lr, step_size_up=2000, ...)`（Smith，2017）让学习率在 `base_lr` 和 `max_lr` 之间来回走，通常每个批次调用一次。一个周期有 $S_\uparrow$ 步上升（`step_size_up`）和 $S_\downarrow$ 步下降（`step_size_down`，默认等于 $S_\uparrow$）。PyTorch 的写法：
#
# $$k = \left\lfloor 1 + \frac{t}{S_\uparrow + S_\downarrow} \right\rfloor, \qquad x = 1 + \frac{t}{S_\uparrow + S_\downarrow} - k, \qquad r = \frac{S_\uparrow}{S_\uparrow + S_\downarrow}, \qquad h = \begin{cases} x / r & x \le r \\ (1 - x) / (1 - r) & x > r \end{cases}$$
#
# $$\eta_t = \eta_{\text{lo}} + (\eta_{\text{hi}} - \eta_{\text{lo}})\, h\, f, \qquad m_t = m_{\text{hi}} - (m_{\text{hi}} - m_{\text{lo}})\, h\, f$$
#
# $k$ 是第几个周期（从 1 开始），$x \in [0, 1)$ 是在周期里走到了哪里，$h$ 从 0 升到 1 再降回 0。缩放 $f$ 由 `mode` 决定：`"triangular"` 为 1；`"triangular2"` 为 $1/2^{k-1}$，每个周期振幅减半；`"exp_range"` 为 $\gamma^t$（`gamma`）。自己给 `scale_fn` 时 `mode` 被忽略，$f$ 就是 `scale_fn(k)`（`scale_mode="cycle"`，默认）或 `scale_fn(t)`（`"iterations"`）。要注意的几点：
#
# - `base_lr` 覆盖优化器的学习率：创建优化器时给的 `lr` 不起作用。`base_lr`、`max_lr` 和两个动量都可以是列表，每个参数组一个。
# - `cycle_momentum=True` 是默认值：每一步它把动量（SGD 的 `momentum` 或 Adam 的 $\beta_1$）写进优化器，与学习率反向变化，学习率最低时动量最高（`max_momentum`，默认 0.9；`base_momentum`，默认 0.8）。于是 `SGD(momentum=0)` 一创建 `CyclicLR` 就有了 0.9 的动量；既没有动量也没有 betas 的优化器（如 Adagrad）会报 `ValueError`，要传 `cycle_momentum=False`。
# - `exp_range` 的 $t$ 是从训练开始数的步数。PyTorch 文档说它是“周期里的步数”，代码却不是；下面的检查表明代码用的是 $t$。
# - 与论文：论文写的是 $x = |t/S - 2k + 1|$、$\eta_t = \eta_{\text{lo}} + (\eta_{\text{hi}} - \eta_{\text{lo}}) \max(0, 1 - x)$，$S_\uparrow = S_\downarrow = S$ 时它的 $1 - x$ 就是上面的 $h$，两者给出同样的学习率；`step_size_down` 和动量循环是后来加的（动量循环出自 Smith 2018 年关于超参数的报告）。

# %% [markdown] tags=["en"]
# ### 7.2 `CyclicLR`: back and forth between two learning rates
#
# `CyclicLR(optimizer, base_lr, max_lr, step_size_up=2000, ...)` (Smith, 2017) moves the learning rate back and forth
# between `base_lr` and `max_lr`, usually called once per batch. A cycle is $S_\uparrow$ steps up (`step_size_up`) and
# $S_\downarrow$ steps down (`step_size_down`, by default equal to $S_\uparrow$). As PyTorch writes it:
#
# $$k = \left\lfloor 1 + \frac{t}{S_\uparrow + S_\downarrow} \right\rfloor, \qquad x = 1 + \frac{t}{S_\uparrow + S_\downarrow} - k, \qquad r = \frac{S_\uparrow}{S_\uparrow + S_\downarrow}, \qquad h = \begin{cases} x / r & x \le r \\ (1 - x) / (1 - r) & x > r \end{cases}$$
#
# $$\eta_t = \eta_{\text{lo}} + (\eta_{\text{hi}} - \eta_{\text{lo}})\, h\, f, \qquad m_t = m_{\text{hi}} - (m_{\text{hi}} - m_{\text{lo}})\, h\, f$$
#
# $k$ is the cycle number (from 1), $x \in [0, 1)$ how far into the cycle we are, and $h$ climbs from 0 to 1 and back
# to 0. The scale $f$ depends on `mode`: 1 for `"triangular"`; $1/2^{k-1}$ for `"triangular2"`, halving the amplitude
# every cycle; $\gamma^t$ (`gamma`) for `"exp_range"`. With your own `scale_fn`, `mode` is ignored and $f$ is
# `scale_fn(k)` (`scale_mode="cycle"`, the default) or `scale_fn(t)` (`"iterations"`). Points to watch:
#
# - `base_lr` overrides the optimizer's learning rate: the `lr` the optimizer was created with plays no part.
#   `base_lr`, `max_lr` and both momenta can be lists, one per parameter group.
# - `cycle_momentum=True` is the default: at every step it writes a momentum (SGD's `momentum` or Adam's $\beta_1$)
#   into the optimizer, moving opposite to the learning rate, highest when the learning rate is lowest
#   (`max_momentum`, default 0.9; `base_momentum`, default 0.8). So `SGD(momentum=0)` has momentum 0.9 as soon as
#   `CyclicLR` is created; an optimizer with neither momentum nor betas (Adagrad, say) raises `ValueError` unless you
#   pass `cycle_momentum=False`.
# - The $t$ of `exp_range` counts steps since the start of training. PyTorch's documentation calls it the "cycle
#   iterations", but the code does not; the check below shows that the code uses $t$.
# - The paper writes $x = |t/S - 2k + 1|$ and
#   $\eta_t = \eta_{\text{lo}} + (\eta_{\text{hi}} - \eta_{\text{lo}}) \max(0, 1 - x)$; when
#   $S_\uparrow = S_\downarrow = S$ its $1 - x$ is the $h$ above, and the learning rates are the same. `step_size_down`
#   and momentum cycling came later (momentum cycling from Smith's 2018 report on hyperparameters).

# %%
def cyclic_height(t, up, down=None, mode="triangular", gamma=1.0, scale_fn=None,
                  scale_mode="cycle"):
    """h·f ∈ [0, 1]：学习率走到振幅的几成 / how far up the amplitude the learning rate is."""
    down = up if down is None else down
    k = math.floor(1 + t / (up + down))                 # 第几个周期 / cycle number
    x = 1 + t / (up + down) - k                         # 周期里的位置 / position in the cycle
    r = up / (up + down)
    h = x / r if x <= r else (1 - x) / (1 - r)
    if scale_fn is None:
        scale_fn = {"triangular": lambda n: 1.0, "triangular2": lambda n: 1 / 2 ** (n - 1),
                    "exp_range": lambda n: gamma ** n}[mode]
        scale_mode = "iterations" if mode == "exp_range" else "cycle"
    return h * scale_fn(k if scale_mode == "cycle" else t)


def cyclic_lr(t, base_lr, max_lr, **kw):
    return base_lr + (max_lr - base_lr) * cyclic_height(t, **kw)


def cyclic_momentum(t, base_momentum=0.8, max_momentum=0.9, **kw):
    return max_momentum - (max_momentum - base_momentum) * cyclic_height(t, **kw)


steps = 48
# triangular，SGD 的动量也在循环 / triangular, with SGD's momentum cycling too
tri, tri_m = lr_trace(lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=6), steps,
                      momentum=0.9)
record("CyclicLR", tri[:, 0], closed_form(cyclic_lr, steps, base_lr=0.01, max_lr=0.1, up=6))
record("CyclicLR", tri_m, closed_form(cyclic_momentum, steps, up=6))
# triangular2，不对称，Adam 的 β1 在循环 / asymmetric triangular2, with Adam's β1 cycling
tri2, beta1 = lr_trace(lambda o: lr_scheduler.CyclicLR(
    o, 0.001, 0.01, step_size_up=4, step_size_down=8, mode="triangular2",
    base_momentum=0.85, max_momentum=0.95), steps, optimizer_class=torch.optim.Adam)
kw2 = {"up": 4, "down": 8, "mode": "triangular2"}
record("CyclicLR", tri2[:, 0], closed_form(cyclic_lr, steps, base_lr=0.001, max_lr=0.01, **kw2))
record("CyclicLR", beta1, closed_form(cyclic_momentum, steps, base_momentum=0.85,
                                      max_momentum=0.95, **kw2))
# exp_range：γ^t，t 从训练开始数 / γ^t with t counted from the start of training
exp, _ = lr_trace(lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=6, mode="exp_range",
                                                  gamma=0.97, cycle_momentum=False), steps)
record("CyclicLR", exp[:, 0], closed_form(cyclic_lr, steps, base_lr=0.01, max_lr=0.1, up=6,
                                          mode="exp_range", gamma=0.97))
in_cycle = closed_form(lambda t: 0.01 + 0.09 * cyclic_height(t, 6, scale_fn=lambda n: 1.0)
                       * 0.97 ** (t % 12), steps)  # 文档的读法 / the docs' reading
assert_differs(exp[:, 0], in_cycle)
# 自己的 scale_fn（两种 scale_mode），两个参数组各有边界 / own scale_fn, two groups
for scale_mode, fn in (("cycle", lambda n: 1 / n), ("iterations", lambda n: 0.99 ** n)):
    own, _ = lr_trace(lambda o: lr_scheduler.CyclicLR(
        o, [0.01, 0.02], [0.1, 0.05], step_size_up=5, scale_fn=fn, scale_mode=scale_mode,
        cycle_momentum=False), steps, groups=2)
    for k, (lo, hi) in enumerate(((0.01, 0.1), (0.02, 0.05))):
        record("CyclicLR", own[:, k], closed_form(cyclic_lr, steps, base_lr=lo, max_lr=hi, up=5,
                                                  scale_fn=fn, scale_mode=scale_mode))
# last_epoch：在第 k = 15 步接着训练 / resume at step k = 15
p = nn.Parameter(torch.zeros(1))
optimizer = torch.optim.SGD([{"params": [p], "initial_lr": 0.01}], lr=0.01, momentum=0.9)
scheduler = lr_scheduler.CyclicLR(optimizer, 0.01, 0.1, step_size_up=6, last_epoch=14)
resumed = []
for _ in range(steps - 15):
    resumed.append(scheduler.get_last_lr()[0])
    optimizer.step()
    scheduler.step()
torch.testing.assert_close(torch.tensor(resumed, dtype=torch.float64), tri[15:, 0], **TOL)
# 两个陷阱 / two traps
sgd = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)  # momentum=0
lr_scheduler.CyclicLR(sgd, 0.01, 0.1)
assert sgd.param_groups[0]["momentum"] == 0.9
try:
    lr_scheduler.CyclicLR(torch.optim.Adagrad([nn.Parameter(torch.zeros(1))]), 0.01, 0.1)
except ValueError as e:
    print(f"CyclicLR(Adagrad) → {type(e).__name__}：需要 cycle_momentum=False / "
          "needs cycle_momentum=False")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
for trace, name in ((tri[:, 0], "triangular"), (tri2[:, 0] * 10, "triangular2 (× 10)"),
                    (exp[:, 0], "exp_range, γ = 0.97")):
    axes[0].plot(trace, label=name)
axes[0].set_ylabel(fc.label("学习率", "learning rate"))
axes[1].plot(tri_m, color="tab:green", label=fc.label("SGD 的动量", "SGD's momentum"))
axes[1].plot(0.8 + (tri[:, 0] - 0.01) / 0.9, ":", color="tab:blue",
             label=fc.label("学习率（缩放后）", "learning rate (rescaled)"))
axes[1].set_ylabel(fc.label("动量", "momentum"))
axes[1].set_ylim(0.79, 0.94)  # 给图例留出地方 / room for the legend
for ax in axes:
    ax.set_xlabel(fc.label("步数 t", "step t"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
print("CyclicLR ✓ 与 get_last_lr() 逐步一致 / matches at every step "
      "(3 modes, scale_fn × 2, lists, last_epoch)")
print("CyclicLR ✓ 动量与 β1 也逐步一致 / momentum and β1 match too; exp_range uses γ^t")
print("CyclicLR 把 SGD(momentum=0) 的动量改成了 0.9 / turned SGD(momentum=0) into momentum 0.9")

# %% [markdown] tags=["zh"]
# ### 7.3 `ChainedScheduler` 与 `SequentialLR`
#
# `ChainedScheduler(schedulers, optimizer=None)` 每调用一次 `step()`，就按顺序调用列表里每个调度器的 `step()`。对“乘当前学习率”的调度器（`ConstantLR`、`MultiplicativeLR`、`ExponentialLR`、`StepLR` 等），它们的作用相乘：
#
# $$\eta_t = \eta_{\text{base}} \prod_i \frac{\eta^{(i)}_t}{\eta_{\text{base}}}$$
#
# 其中 $\eta^{(i)}_t$ 是第 $i$ 个调度器单独使用时的学习率。第 09 课的 `SequentialLR` 则是一次只运行一个调度器，到里程碑处换下一个。同样拿 `ConstantLR(factor=0.1, total_iters=20)` 和 `ExponentialLR(gamma=0.9)`：以 $\eta_{\text{base}}$ 为单位，链式时前 20 步是 $0.1 \times 0.9^t$，之后是 $0.9^t$；顺序时前 20 步是 0.1，之后从 1 开始按 $0.9^{t-20}$ 衰减。
#
# 按公式从头算学习率的调度器（`CyclicLR`、`OneCycleLR`）不乘当前学习率，而是直接覆盖它，所以顺序很重要：`[CyclicLR, ExponentialLR]` 里，`ExponentialLR` 每一步只能在 `CyclicLR` 刚写下的值上乘一次 0.9，指数衰减变成了一个常数因子；反过来的 `[ExponentialLR, CyclicLR]` 里，`ExponentialLR` 的作用每一步都被抹掉（它的第一个值甚至是 0.1：在别的调度器之后创建的 `CyclicLR`，在这个版本的 PyTorch 里第一个值取自优化器的 `initial_lr`，而不是 `base_lr`，所以下面只从 $t = 1$ 比起）。`optimizer` 可以不给，默认取第一个调度器的优化器；所有调度器必须属于同一个优化器，否则报 `ValueError`。

# %% [markdown] tags=["en"]
# ### 7.3 `ChainedScheduler` and `SequentialLR`
#
# `ChainedScheduler(schedulers, optimizer=None)` calls `step()` of every scheduler in its list, in order, at each of
# its own `step()` calls. For schedulers that multiply the current learning rate (`ConstantLR`, `MultiplicativeLR`,
# `ExponentialLR`, `StepLR` and others) the effects multiply:
#
# $$\eta_t = \eta_{\text{base}} \prod_i \frac{\eta^{(i)}_t}{\eta_{\text{base}}}$$
#
# where $\eta^{(i)}_t$ is the learning rate of scheduler $i$ used alone. `SequentialLR` from lesson 09 runs one
# scheduler at a time instead, and switches to the next at each milestone. Take `ConstantLR(factor=0.1,
# total_iters=20)` and `ExponentialLR(gamma=0.9)` again; in units of $\eta_{\text{base}}$, chained, the first 20 steps use
# $0.1 \times 0.9^t$ and the rest $0.9^t$; in sequence, the first 20 steps use 0.1 and then the decay starts again from 1, as $0.9^{t-20}$.
#
# A scheduler that computes its learning rate from a formula (`CyclicLR`, `OneCycleLR`) does not multiply the current
# value but overwrites it, so the order matters: in `[CyclicLR, ExponentialLR]`, `ExponentialLR` can only multiply the
# value `CyclicLR` has just written by 0.9, once per step, and the exponential decay becomes a constant factor; the
# other way round, `[ExponentialLR, CyclicLR]`, erases the effect of `ExponentialLR` at every step (its very first
# value is even 0.1: a `CyclicLR` created after another scheduler takes its first value, in this PyTorch release, from
# the optimizer's `initial_lr` instead of `base_lr`, so the check below starts at $t = 1$). `optimizer` may be left
# out, and defaults to the first scheduler's optimizer; all the schedulers must belong to the same optimizer, or it
# raises `ValueError`.

# %%
def chained_lr(t, lr0):
    return lr0 * constant_lr(t, 1.0, factor=0.1, total_iters=20) * 0.9 ** t


def sequential_lr(t, lr0):
    return lr0 * (0.1 if t < 20 else 0.9 ** (t - 20))


def two(o):
    return [lr_scheduler.ConstantLR(o, factor=0.1, total_iters=20),
            lr_scheduler.ExponentialLR(o, gamma=0.9)]


steps = 50
chain, _ = lr_trace(lambda o: lr_scheduler.ChainedScheduler(two(o)), steps)
chain_opt, _ = lr_trace(lambda o: lr_scheduler.ChainedScheduler(two(o), optimizer=o), steps)
seq, _ = lr_trace(lambda o: lr_scheduler.SequentialLR(o, two(o), milestones=[20]), steps)
record("ChainedScheduler", chain[:, 0], closed_form(chained_lr, steps, lr0=0.1))
record("ChainedScheduler", chain_opt[:, 0], closed_form(chained_lr, steps, lr0=0.1))
torch.testing.assert_close(seq[:, 0], closed_form(sequential_lr, steps, lr0=0.1), **TOL)
# 顺序很重要 / the order matters
cyc = closed_form(cyclic_lr, steps, base_lr=0.01, max_lr=0.1, up=4)
cyclic_first, _ = lr_trace(lambda o: lr_scheduler.ChainedScheduler(
    [lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=4), lr_scheduler.ExponentialLR(o, 0.9)]),
    steps, momentum=0.9)
cyclic_last, _ = lr_trace(lambda o: lr_scheduler.ChainedScheduler(
    [lr_scheduler.ExponentialLR(o, 0.9), lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=4)]),
    steps, momentum=0.9)
record("ChainedScheduler", cyclic_first[1:, 0], 0.9 * cyc[1:])  # 常数因子 0.9 / a constant 0.9
record("ChainedScheduler", cyclic_last[1:, 0], cyc[1:])         # 被抹掉 / erased
try:
    other = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    lr_scheduler.ChainedScheduler(two(torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)),
                                  optimizer=other)
except ValueError as e:
    print(f"ChainedScheduler(另一个优化器 / another optimizer) → {type(e).__name__}")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
axes[0].plot(chain[:, 0], label="ChainedScheduler")
axes[0].plot(seq[:, 0], "--", label="SequentialLR (milestones=[20])")
axes[0].set_yscale("log")
axes[0].set_title("ConstantLR(0.1, 20) + ExponentialLR(0.9)", fontsize=9)
axes[1].plot(cyc, color="gray", lw=3, alpha=0.4, label="CyclicLR")
axes[1].plot(cyclic_first[:, 0], label="[CyclicLR, ExponentialLR]")
axes[1].plot(cyclic_last[:, 0], ":", label="[ExponentialLR, CyclicLR]")
axes[1].set_title(fc.label("顺序很重要", "the order matters"), fontsize=9)
for ax in axes:
    ax.set_xlabel(fc.label("步数 t", "step t"))
    ax.set_ylabel(fc.label("学习率", "learning rate"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
print("ChainedScheduler ✓ 与 get_last_lr() 逐步一致 / matches at every step (optimizer=None and o)")
print("ChainedScheduler ✓ 作用相乘；CyclicLR 覆盖之前的值 / effects multiply; CyclicLR overwrites")
print("SequentialLR ✓ 一次只运行一个调度器 / runs one scheduler at a time")

# %% [markdown] tags=["zh"]
# ### 7.4 何时使用
#
# - `MultiplicativeLR`：每一步的衰减因子要按自己的规则算（例如只在某些轮衰减，或按条件衰减）；它乘当前学习率，能和别的调度器叠加。只想要 $\eta_{\text{base}}$ 的一个函数时，`LambdaLR` 更直接。
# - `ConstantLR`：先用一个小学习率稳住前几步，再恢复；常放在 `SequentialLR` 或 `ChainedScheduler` 里当预热。
# - `CyclicLR`：按批次调用；可以用来找合适的学习率范围，也常用于快速训练。给 Adam 或不想要动量的 SGD 用时，想清楚 `cycle_momentum`。
# - `ChainedScheduler`：几种作用要**同时**生效（例如一个预热因子乘一个衰减）；要它们**先后**生效，用 `SequentialLR`。

# %% [markdown] tags=["en"]
# ### 7.4 When to use them
#
# - `MultiplicativeLR`: when each step's decay factor follows a rule of your own (decay only in some epochs, or on a
#   condition); it multiplies the current learning rate, so it stacks with other schedulers. For a plain function of
#   $\eta_{\text{base}}$, `LambdaLR` is more direct.
# - `ConstantLR`: hold a small learning rate for the first few steps, then restore it; often a warm-up inside
#   `SequentialLR` or `ChainedScheduler`.
# - `CyclicLR`: called per batch; to find a good range of learning rates, or for fast training. With Adam, or with an
#   SGD that should have no momentum, think about `cycle_momentum`.
# - `ChainedScheduler`: when several effects must act **at the same time** (a warm-up factor times a decay); when they
#   must act **one after another**, use `SequentialLR`.

# %% [markdown] tags=["zh"]
# ## 8. 附录：与 PyTorch 的最大差别（选读）
#
# 每个类在上面所有对照里与 PyTorch 的最大绝对差（优化器：100 步后的参数；调度器：学习率）。这些数取决于机器和线程数，所以这个单元格不比较输出；上面的 `assert_close` 才是判据。

# %% [markdown] tags=["en"]
# ## 8. Appendix: the largest differences from PyTorch (optional)
#
# Each class's largest absolute difference from PyTorch over all the checks above (optimizers: the parameters after
# 100 steps; schedulers: the learning rates). These numbers depend on the machine and the thread count, so this cell's
# output is not compared; the `assert_close` calls above are what decides.

# %% tags=["nbval-ignore-output", "grading-skip"]
print(f"{fc.pad('类 / class', 22)}{fc.pad('最大绝对差 / largest difference', 34, '>')}")
for name, diff in LARGEST.items():
    print(f"{name:<22}{diff:>34.1e}")

