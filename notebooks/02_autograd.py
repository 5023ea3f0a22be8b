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
# # 02 自动求导
#
# 上一课：[01 模型](01_model.ipynb) · 下一课：[03 训练循环](03_training_loop.ipynb)
#
# 训练就是沿梯度反方向一小步一小步地改参数。梯度从哪里来？这一课拆开 PyTorch 的自动求导（autograd）。学完这一课，你能够：
#
# - 说出 `requires_grad`、计算图（`grad_fn`、`next_functions`）和叶子张量各是什么，为什么非叶子张量的 `.grad` 是 `None`；
# - 预测 `backward()` 之后 `.grad` 里是什么，知道它是**累加**的，会用 `zero_grad()` 或 `grad.zero_()` 清零；
# - 解释为什么原地更新参数要放在 `torch.no_grad()` 里，以及 `detach()` 做什么；
# - 手推一个线性模型的梯度，并用有限差分和自动求导核对；
# - 从零写一个梯度下降循环，再确认 `torch.optim.SGD` 给出完全相同的结果。

# %% [markdown] tags=["en"]
# # 02 Autograd
#
# Previous: [01 The model](01_model.ipynb) · Next: [03 The training loop](03_training_loop.ipynb)
#
# Training changes the parameters in small steps against the gradient. Where does the gradient come from? This lesson
# takes PyTorch's automatic differentiation (autograd) apart. After this lesson you can:
#
# - say what `requires_grad`, the computational graph (`grad_fn`, `next_functions`) and leaf tensors are, and why the
#   `.grad` of a non-leaf tensor is `None`;
# - predict what `.grad` holds after `backward()`, know that it **accumulates**, and clear it with `zero_grad()` or
#   `grad.zero_()`;
# - explain why an in-place update of a parameter goes inside `torch.no_grad()`, and what `detach()` does;
# - derive the gradient of a linear model by hand and check it with finite differences and with autograd;
# - write a gradient-descent loop from scratch, then confirm that `torch.optim.SGD` gives exactly the same result.

# %%
import math
import warnings

import torch
from torch import nn

import fmnist_core as fc
from fmnist_core.checks import lesson02 as check

# %% [markdown] tags=["zh"]
# ## 1. `requires_grad` 与计算图
#
# 我们用一个最小的例子：线性模型 $\hat{y} = X\mathbf{w} + b$，在 $N = 4$ 个样本上算均方误差（mean squared error, MSE）。$X$ 的形状是 $(N, 3)$，$\mathbf{w}$ 是 3 个权重，$b$ 是一个偏置：
#
# $$L(\mathbf{w}, b) = \frac{1}{N}\sum_{i=1}^{N} (\hat{y}_i - y_i)^2$$
#
# 要对 $\mathbf{w}$ 和 $b$ 求梯度，就在创建它们时写 `requires_grad=True`。此后每一步用到它们的运算都会被记下来，连成一张计算图（computational graph）：每个算出来的张量都有一个 `grad_fn`，指向算出它的那个运算的“反向函数”；`grad_fn.next_functions` 再指向它的输入。数据 $X$、$y$ 不需要梯度，它们的 `requires_grad` 是 `False`。

# %% [markdown] tags=["en"]
# ## 1. `requires_grad` and the graph
#
# We use the smallest example there is: the linear model $\hat{y} = X\mathbf{w} + b$ with the mean squared error on
# $N = 4$ samples. $X$ has shape $(N, 3)$, $\mathbf{w}$ holds 3 weights and $b$ is one bias:
#
# $$L(\mathbf{w}, b) = \frac{1}{N}\sum_{i=1}^{N} (\hat{y}_i - y_i)^2$$
#
# To get gradients with respect to $\mathbf{w}$ and $b$, create them with `requires_grad=True`. From then on every
# operation that uses them is recorded, and the records form a computational graph: each computed tensor has a
# `grad_fn` that points to the "backward function" of the operation that produced it, and `grad_fn.next_functions`
# points on to its inputs. The data $X$ and $y$ need no gradients; their `requires_grad` is `False`.

# %%
torch.manual_seed(0)
X = torch.randn(4, 3)
y = torch.randn(4)
w = torch.randn(3, requires_grad=True)
b = torch.zeros((), requires_grad=True)

y_hat = X @ w + b
loss = ((y_hat - y) ** 2).mean()

for name, t in [("X", X), ("w", w), ("b", b), ("y_hat", y_hat), ("loss", loss)]:
    fn = type(t.grad_fn).__name__ if t.grad_fn is not None else None
    print(f"{name:<6} requires_grad={t.requires_grad!s:<5}  is_leaf={t.is_leaf!s:<5}  grad_fn={fn}")

# %% [markdown] tags=["zh"]
# 顺着 `next_functions` 从 `loss` 往回走，就能把整张图打印出来。`AccumulateGrad` 是图的终点：它代表一个需要梯度的叶子张量，反向传播走到这里时，把梯度存进那个张量的 `.grad`。`None` 表示这个输入（这里是 $X$ 和 $y$）不需要梯度，反向传播不往那边走。

# %% [markdown] tags=["en"]
# Walking back from `loss` along `next_functions` prints the whole graph. `AccumulateGrad` is where the graph ends: it
# stands for a leaf tensor that requires grad, and when backpropagation arrives there it stores the gradient in that
# tensor's `.grad`. `None` marks an input (here $X$ and $y$) that needs no gradient, so backpropagation does not go that
# way.

# %%
names = {id(w): "w", id(b): "b"}


def show_graph(fn, depth=0):
    """从 loss 往回打印计算图 / print the graph backwards from loss."""
    if fn is None:
        print("    " * depth + "None（不需要梯度 / needs no gradient）")
        return
    leaf = f"  → {names[id(fn.variable)]}.grad" if hasattr(fn, "variable") else ""
    print("    " * depth + type(fn).__name__ + leaf)
    for next_fn, _ in fn.next_functions:
        show_graph(next_fn, depth + 1)


show_graph(loss.grad_fn)

# %% [markdown] tags=["zh"]
# 从下往上读就是前向计算：`X @ w`（`MvBackward0`，矩阵乘向量），加上 `b`（`AddBackward0`），减去 `y`（`SubBackward0`），平方（`PowBackward0`），求平均（`MeanBackward0`）。每个运算下面列出它的输入：需要梯度的输入通向 `AccumulateGrad`，$X$ 和 $y$ 那一支是 `None`。
#
# ## 2. `backward()` 与叶子张量
#
# `loss.backward()` 从 `loss` 出发，沿图反向用链式法则（chain rule）算出 $\partial L / \partial \mathbf{w}$ 和 $\partial L / \partial b$，存进 `w.grad` 和 `b.grad`。只有叶子张量（leaf tensor）的 `.grad` 会被填上：叶子就是你自己创建的张量（`w`、`b`、模型的参数），不是由需要梯度的运算算出来的。中间结果 `y_hat` 不是叶子，它的梯度在反向传播中用过就丢，读 `y_hat.grad` 只会得到 `None` 和一条警告。真想看中间结果的梯度，在 `backward()` 之前对它调用 `retain_grad()`。

# %% [markdown] tags=["en"]
# Read from the bottom up, this is the forward computation: `X @ w` (`MvBackward0`, a matrix times a vector), plus `b`
# (`AddBackward0`), minus `y` (`SubBackward0`), squared (`PowBackward0`), averaged (`MeanBackward0`). Below each
# operation are its inputs: those that need a gradient lead to an `AccumulateGrad`, and the branches of $X$ and $y$
# are `None`.
#
# ## 2. `backward()` and leaf tensors
#
# `loss.backward()` starts at `loss` and goes back through the graph, using the chain rule to compute
# $\partial L / \partial \mathbf{w}$ and $\partial L / \partial b$, which it stores in `w.grad` and `b.grad`. Only leaf
# tensors get their `.grad` filled in: a leaf is a tensor you created yourself (`w`, `b`, the parameters of a model),
# not one computed by an operation that requires grad. The intermediate `y_hat` is not a leaf; its gradient is used
# during backpropagation and then dropped, and reading `y_hat.grad` gives only `None` and a warning. To see the
# gradient of an intermediate result, call `retain_grad()` on it before `backward()`.

# %%
print(f"backward 之前 / before: w.grad = {w.grad}, b.grad = {b.grad}")
y_hat.retain_grad()  # 想看中间结果的梯度 / to see the gradient of an intermediate result
loss.backward()
print(f"backward 之后 / after:  w.grad = {w.grad}, b.grad = {b.grad:.4f}")
print(f"有 retain_grad / with retain_grad: y_hat.grad = {y_hat.grad}")

# 没有 retain_grad 的非叶子张量：.grad 是 None，并有一条 UserWarning
# a non-leaf tensor without retain_grad: .grad is None, with a UserWarning
y_hat2 = X @ w + b
((y_hat2 - y) ** 2).mean().backward()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    grad2 = y_hat2.grad
assert grad2 is None and caught[0].category is UserWarning
print(f"\n没有 retain_grad / without retain_grad: y_hat2.is_leaf = {y_hat2.is_leaf}, "
      f"y_hat2.grad = {grad2} ({caught[0].category.__name__})")

# %% [markdown] tags=["zh"]
# 反向传播之后图就被释放了（省内存）。同一个 `loss` 再调一次 `backward()` 会报 `RuntimeError`；训练循环里每个批次都重新做一次前向，所以每次都有一张新图。

# %% [markdown] tags=["en"]
# After backpropagation the graph is freed (to save memory). Calling `backward()` a second time on the same `loss`
# raises a `RuntimeError`; a training loop does a new forward pass for every batch, so each time there is a new graph.

# %%
try:
    loss.backward()  # 同一张图的第二次 / a second time through the same graph
except RuntimeError:
    print("RuntimeError ✓ 图已释放，要重新前向 / the graph was freed: run the forward pass again")
else:
    raise AssertionError("expected a RuntimeError")

# %% [markdown] tags=["zh"]
# ## 3. 梯度是累加的
#
# `backward()` 把新算出的梯度**加到** `.grad` 上，而不是覆盖。上面已经做过两次反向传播（`loss` 一次，`y_hat2` 的损失一次），两次的梯度相同，所以现在 `w.grad` 正好是一次的 2 倍。清零有两种写法：`w.grad = None`（`optimizer.zero_grad()` 和 `model.zero_grad()` 默认就这样做），或者 `w.grad.zero_()`（留下一个全 0 的张量）。

# %% [markdown] tags=["en"]
# ## 3. Gradients accumulate
#
# `backward()` **adds** the newly computed gradient to `.grad`; it does not overwrite it. Above we have already run
# backpropagation twice (once for `loss`, once for the loss of `y_hat2`), with the same gradient both times, so `w.grad`
# is now exactly twice the gradient of one. There are two ways to clear it: `w.grad = None` (what
# `optimizer.zero_grad()` and `model.zero_grad()` do by default), or `w.grad.zero_()` (which leaves a tensor of zeros).

# %%
w_grad_two = w.grad.clone()
w.grad = None
b.grad = None
((X @ w + b - y) ** 2).mean().backward()
w_grad_one = w.grad.clone()
torch.testing.assert_close(w_grad_two, 2 * w_grad_one)
print(f"两次 backward / two backward calls: w.grad = {w_grad_two}")
print(f"清零后一次 / one after clearing:    w.grad = {w_grad_one}  (× 2 ✓)")

w.grad.zero_()
print(f"w.grad.zero_():  w.grad = {w.grad}")

layer = nn.Linear(3, 1)
layer(X).sum().backward()
optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
optimizer.zero_grad()
print(f"optimizer.zero_grad(): layer.weight.grad = {layer.weight.grad}")

# %% [markdown] tags=["zh"]
# 为什么设计成累加？因为一个参数可能在图里被用到好几次（比如同一层用两遍），每次使用都贡献一份梯度，加起来才是总梯度。代价是：训练循环里每一步都要自己清零，否则上一步的梯度会混进这一步（第 03 课会看到后果）。
#
# ## 4. 原地更新参数：为什么要 `torch.no_grad()`
#
# 梯度下降（gradient descent）的一步是 $\mathbf{w} \leftarrow \mathbf{w} - \eta \, \nabla_{\mathbf{w}} L$，其中 $\eta$ 是学习率（learning rate）。直接写 `w -= lr * w.grad` 会报错：PyTorch 拒绝原地（in-place）修改一个需要梯度的叶子张量，因为这一步本身也会被记进计算图，而且会改掉图里记着的值。

# %% [markdown] tags=["en"]
# Why accumulate? Because a parameter may be used several times in a graph (the same layer applied twice, say): each
# use contributes a share of the gradient, and the sum is the total. The price: a training loop must clear the
# gradients itself at every step, or the previous step's gradient mixes into this one (lesson 03 shows what follows).
#
# ## 4. Updating a parameter in place: why `torch.no_grad()`
#
# One step of gradient descent is $\mathbf{w} \leftarrow \mathbf{w} - \eta \, \nabla_{\mathbf{w}} L$, where $\eta$ is
# the learning rate. Writing `w -= lr * w.grad` directly raises an error: PyTorch refuses to change a leaf tensor that
# requires grad in place, because the step itself would be recorded in the graph, and it would overwrite a value the
# graph holds.

# %%
lr = 0.1
w.grad = None
((X @ w + b - y) ** 2).mean().backward()
try:
    w -= lr * w.grad  # 没有 no_grad / without no_grad
except RuntimeError as e:
    assert "leaf" in str(e)
    print("RuntimeError ✓ 需要梯度的叶子张量不能在记录计算图时原地修改")
    print("  a leaf that requires grad cannot be changed in place while the graph is recorded")
else:
    raise AssertionError("expected a RuntimeError")

w_before = w.detach().clone()
with torch.no_grad():  # 这里的运算不记入计算图 / operations in here are not recorded
    w -= lr * w.grad
torch.testing.assert_close(w.detach(), w_before - lr * w.grad)
print(f"\nno_grad 里更新 / updated inside no_grad: is_leaf={w.is_leaf}, "
      f"requires_grad={w.requires_grad} ✓")

w_new = w - lr * w.grad  # 常见的错误：不是原地更新 / a common mistake: not an update in place
print(f"w_new = w - lr * w.grad: is_leaf={w_new.is_leaf}, grad_fn={type(w_new.grad_fn).__name__}")

# %% [markdown] tags=["zh"]
# 在 `torch.no_grad()` 里，运算不被记录，`w` 仍然是同一个叶子张量，仍然需要梯度，下一次 `backward()` 照样把梯度存进 `w.grad`。最后两行是一个常见错误：`w_new = w - lr * w.grad` 不在 `no_grad` 里，它算出一个**新的**非叶子张量，挂在旧 `w` 的计算图上；`optimizer` 和模型手里的仍然是旧的 `w`。`torch.optim` 的每个优化器（optimizer）在 `step()` 里做的，正是 `no_grad` 下的原地更新。
#
# ## 5. `detach()`：从图上摘下来
#
# `t.detach()` 把张量从计算图上分离（detach）：它返回一个与 `t` 共享数据、但不连着计算图的张量（`requires_grad=False`，没有 `grad_fn`）。记录损失、画图、转成 NumPy 时都用它（或者用 `loss.item()` 取出一个 Python 数）。`torch.no_grad()` 管一整段代码，`detach()` 只管一个张量。

# %% [markdown] tags=["en"]
# Inside `torch.no_grad()` nothing is recorded: `w` stays the same leaf tensor, still requires grad, and the next
# `backward()` stores its gradient in `w.grad` as before. The last two lines show a common mistake:
# `w_new = w - lr * w.grad` outside `no_grad` computes a **new**, non-leaf tensor hanging on the graph of the old `w`;
# the optimizer and the model still hold the old `w`. What every optimizer of `torch.optim` does in `step()` is exactly
# an in-place update under `no_grad`.
#
# ## 5. `detach()`: taking a tensor off the graph
#
# `t.detach()` detaches a tensor from the graph: it returns a tensor that shares `t`'s data but is not attached to the
# graph (`requires_grad=False`, no `grad_fn`). Use it to record a loss, to plot, to convert to NumPy (or use
# `loss.item()` to get one Python number). `torch.no_grad()` covers a whole block of code; `detach()` covers one tensor.

# %%
y_hat = X @ w + b
d = y_hat.detach()
print(f"y_hat:          requires_grad={y_hat.requires_grad}, "
      f"grad_fn={type(y_hat.grad_fn).__name__}")
print(f"y_hat.detach(): requires_grad={d.requires_grad}, grad_fn={d.grad_fn}")
assert d.data_ptr() == y_hat.data_ptr()  # 同一块内存 / the same memory
print("detach() 不复制数据：两者共享同一块内存 ✓ / detach() copies nothing: both share the same memory ✓")

# %% [markdown] tags=["zh"]
# ## 6. 从零求梯度，与自动求导对照
#
# ### 6.1 手推
#
# 记误差 $e_i = \hat{y}_i - y_i$。由 $L = \frac{1}{N}\sum_i e_i^2$ 得 $\partial L / \partial \hat{y}_i = 2 e_i / N$；又 $\partial \hat{y}_i / \partial w_j = X_{ij}$，$\partial \hat{y}_i / \partial b = 1$。由链式法则：
#
# $$\frac{\partial L}{\partial \mathbf{w}} = \frac{2}{N} X^\top (\hat{\mathbf{y}} - \mathbf{y}), \qquad \frac{\partial L}{\partial b} = \frac{2}{N}\sum_{i=1}^{N} (\hat{y}_i - y_i)$$
#
# $X^\top$ 的形状是 $(3, N)$，乘以 $N$ 个误差，正好得到 3 个数，与 $\mathbf{w}$ 同形状。

# %% [markdown] tags=["en"]
# ## 6. A gradient from scratch, checked against autograd
#
# ### 6.1 By hand
#
# Write the error as $e_i = \hat{y}_i - y_i$. From $L = \frac{1}{N}\sum_i e_i^2$ we get
# $\partial L / \partial \hat{y}_i = 2 e_i / N$; also $\partial \hat{y}_i / \partial w_j = X_{ij}$ and
# $\partial \hat{y}_i / \partial b = 1$. By the chain rule:
#
# $$\frac{\partial L}{\partial \mathbf{w}} = \frac{2}{N} X^\top (\hat{\mathbf{y}} - \mathbf{y}), \qquad \frac{\partial L}{\partial b} = \frac{2}{N}\sum_{i=1}^{N} (\hat{y}_i - y_i)$$
#
# $X^\top$ has shape $(3, N)$; times $N$ errors it gives 3 numbers, the shape of $\mathbf{w}$.

# %%
def mse_loss(w, b):
    return ((X @ w + b - y) ** 2).mean()


w.grad, b.grad = None, None
mse_loss(w, b).backward()

with torch.no_grad():  # 手算不需要计算图 / the hand computation needs no graph
    e = X @ w + b - y
    N = len(y)
    grad_w_hand = 2 / N * X.T @ e
    grad_b_hand = 2 / N * e.sum()

torch.testing.assert_close(grad_w_hand, w.grad)
torch.testing.assert_close(grad_b_hand, b.grad)
print(f"手推 / by hand:    dL/dw = {grad_w_hand}, dL/db = {grad_b_hand:.4f}")
print(f"自动求导 / autograd: dL/dw = {w.grad}, dL/db = {b.grad:.4f}")
print("手推的梯度 ✓ 与自动求导一致 / the gradient by hand ✓ matches autograd")

# %% [markdown] tags=["zh"]
# ### 6.2 有限差分
#
# 不会手推时，也能用有限差分（finite differences）数值地估计梯度：把第 $k$ 个参数往两边各挪 $h$，看损失变了多少。这叫中心差分（central difference）：
#
# $$\frac{\partial L}{\partial \theta_k} \approx \frac{L(\theta + h\,\mathbf{e}_k) - L(\theta - h\,\mathbf{e}_k)}{2h}$$
#
# 其中 $\mathbf{e}_k$ 是第 $k$ 个分量为 1、其余为 0 的向量。由泰勒展开，它的截断误差（truncation error）是 $O(h^2)$；只往一边挪的单侧差分（forward difference）$\big(L(\theta + h\,\mathbf{e}_k) - L(\theta)\big)/h$ 的误差是 $O(h)$，差得多。$h$ 也不能太小：两个几乎相等的损失相减，会丢掉有效数字，这部分舍入误差（rounding error）约为机器精度除以 $h$。所以有限差分要用 `float64`：它的机器精度约 $10^{-16}$，`float32` 只有约 $10^{-7}$。
#
# 有限差分要对每个参数算两次损失，比反向传播慢得多，只用来检查梯度（gradient check），不用来训练。

# %% [markdown] tags=["en"]
# ### 6.2 Finite differences
#
# When you cannot derive a gradient by hand, you can still estimate it numerically: move parameter $k$ by $h$ each way
# and see how much the loss changes. This is the central difference:
#
# $$\frac{\partial L}{\partial \theta_k} \approx \frac{L(\theta + h\,\mathbf{e}_k) - L(\theta - h\,\mathbf{e}_k)}{2h}$$
#
# where $\mathbf{e}_k$ is the vector with 1 in component $k$ and 0 elsewhere. By Taylor expansion its truncation error
# is $O(h^2)$; the one-sided forward difference $\big(L(\theta + h\,\mathbf{e}_k) - L(\theta)\big)/h$, moving one way
# only, has an error of $O(h)$, far worse. Nor can $h$ be too small: subtracting two nearly equal losses loses
# significant digits (the rounding error is about the machine precision divided by $h$). So finite differences are
# done in `float64`, whose machine precision is about $10^{-16}$, against about $10^{-7}$ for `float32`.
#
# Finite differences need two loss evaluations per parameter, far slower than backpropagation: they serve to check
# gradients (a gradient check), not to train.

# %%
X64, y64 = X.double(), y.double()
theta = torch.cat([w.detach(), b.detach().reshape(1)]).double()  # (w1, w2, w3, b)


def loss64(theta):
    return ((X64 @ theta[:3] + theta[3] - y64) ** 2).mean()


h = 1e-6
fd = torch.zeros_like(theta)
for k in range(len(theta)):
    e_k = torch.zeros_like(theta)
    e_k[k] = h
    fd[k] = (loss64(theta + e_k) - loss64(theta - e_k)) / (2 * h)

theta_ag = theta.clone().requires_grad_()
loss64(theta_ag).backward()
torch.testing.assert_close(fd, theta_ag.grad, rtol=1e-7, atol=1e-9)
torch.testing.assert_close(fd[:3].float(), w.grad)  # 也与上面 float32 的自动求导一致 / and float32 autograd
print(f"中心差分 / central difference: {fd}")
print(f"自动求导 / autograd:            {theta_ag.grad}")
print("有限差分 ✓ 与自动求导一致（float64，h = 1e-6）/ finite differences ✓ match autograd (float64, h = 1e-6)")

# %% [markdown] tags=["zh"]
# 均方误差对 $(\mathbf{w}, b)$ 是二次函数，而中心差分对二次函数恰好没有截断误差，剩下的只有舍入误差。为了看清两种差分的截断误差，换一个不是二次的函数 $f(x) = \sin x$，在 $x = 1$ 处与真值 $\cos 1$ 比较：

# %% [markdown] tags=["en"]
# The mean squared error is a quadratic function of $(\mathbf{w}, b)$, and the central difference has no truncation
# error at all on a quadratic: only rounding error is left. To see the truncation error of the two differences, take a
# function that is not quadratic, $f(x) = \sin x$, and compare at $x = 1$ with the true value $\cos 1$:

# %%
x0 = torch.tensor(1.0, dtype=torch.float64)
exact = math.cos(1.0)
print(fc.pad("h", 7, ">"), fc.pad("单侧差分的误差 / forward error", 34, ">"),
      fc.pad("中心差分的误差 / central error", 34, ">"))
errors = []
for step in [1e-1, 1e-2, 1e-3, 1e-4]:
    forward = ((torch.sin(x0 + step) - torch.sin(x0)) / step).item()
    central = ((torch.sin(x0 + step) - torch.sin(x0 - step)) / (2 * step)).item()
    errors.append((abs(forward - exact), abs(central - exact)))
    print(f"{step:>7.0e} {errors[-1][0]:>34.1e} {errors[-1][1]:>34.1e}")

# h 缩小 10 倍：单侧误差约小 10 倍，中心误差约小 100 倍 / h ten times smaller: forward ~10x, central ~100x
for (f1, c1), (f2, c2) in zip(errors, errors[1:]):
    assert 8 < f1 / f2 < 12 and 80 < c1 / c2 < 120
print("h 每缩小 10 倍，单侧差分的误差约小 10 倍（O(h)），中心差分约小 100 倍（O(h²)）✓")
print("h 10 times smaller: the forward error ~10 times smaller (O(h)), "
      "the central ~100 times (O(h²)) ✓")

# %% [markdown] tags=["zh"]
# ## 7. 从零写梯度下降，再与 `torch.optim.SGD` 对照
#
# 现在把前面的零件拼起来：在 64 个点上拟合 $y = X\mathbf{w} + b$（数据由 $\mathbf{w}^* = (2, -1, 0.5)$、$b^* = 0.3$ 加一点噪声生成），从 $\mathbf{w} = 0, b = 0$ 出发，学习率 $\eta = 0.1$，走 100 步。每一步：前向、`backward()`、在 `no_grad` 里原地更新、清零梯度。

# %% [markdown] tags=["en"]
# ## 7. Gradient descent from scratch, then checked against `torch.optim.SGD`
#
# Now we put the pieces together: fit $y = X\mathbf{w} + b$ to 64 points (made from $\mathbf{w}^* = (2, -1, 0.5)$,
# $b^* = 0.3$ plus a little noise), starting from $\mathbf{w} = 0, b = 0$, with learning rate $\eta = 0.1$, for 100
# steps. Each step: forward, `backward()`, an in-place update inside `no_grad`, clear the gradients.

# %%
torch.manual_seed(1)
X_fit = torch.randn(64, 3)
w_true, b_true = torch.tensor([2.0, -1.0, 0.5]), 0.3
y_fit = X_fit @ w_true + b_true + 0.1 * torch.randn(64)
lr, steps = 0.1, 100

# 从零实现 / from scratch
w = torch.zeros(3, requires_grad=True)
b = torch.zeros((), requires_grad=True)
for step in range(steps):
    loss = ((X_fit @ w + b - y_fit) ** 2).mean()  # 1. 前向 / forward
    loss.backward()  # 2. 反向传播 / backpropagation
    with torch.no_grad():  # 3. 更新 / update
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad, b.grad = None, None  # 4. 清零 / clear
    if step % 20 == 0 or step == steps - 1:
        print(f"第 {step:>2} 步 / step {step:>2}: loss = {loss.item():.4f}")
print(f"学到的 / learned: w = {w.detach()}, b = {b.item():.3f}")
print(f"生成数据的 / true:  w* = {w_true}, b* = {b_true}")

# 同样的事，交给 torch.optim.SGD / the same, done by torch.optim.SGD
w2 = torch.zeros(3, requires_grad=True)
b2 = torch.zeros((), requires_grad=True)
optimizer = torch.optim.SGD([w2, b2], lr=lr)
for step in range(steps):
    loss = ((X_fit @ w2 + b2 - y_fit) ** 2).mean()
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()

torch.testing.assert_close(w2, w)
torch.testing.assert_close(b2, b)
assert loss.item() < 0.02  # 噪声的方差是 0.01 / the noise variance is 0.01
assert (w.detach() - w_true).abs().max() < 0.05 and abs(b.item() - b_true) < 0.05
print(f"\n{steps} 步之后 torch.optim.SGD ✓ 给出相同的 w 和 b")
print(f"after {steps} steps torch.optim.SGD ✓ gives the same w and b")

# %% [markdown] tags=["zh"]
# 损失从 5 左右降到约 0.011，接近噪声的方差 $0.1^2 = 0.01$；学到的 $\mathbf{w}, b$ 离生成数据用的 $\mathbf{w}^*, b^*$ 都不到 0.05（剩下的差别来自噪声）。`torch.optim.SGD` 的 `step()` 做的就是第 3 步，`zero_grad()` 做的就是第 4 步。第 03 课把这个循环搬到 Fashion-MNIST 的模型上，第 07 课再从零实现 SGD 的动量和权重衰减。

# %% [markdown] tags=["en"]
# The loss falls from about 5 to about 0.011, close to the noise variance $0.1^2 = 0.01$, and the learned $\mathbf{w},
# b$ are within 0.05 of the $\mathbf{w}^*, b^*$ that made the data (the rest of the difference comes from the noise).
# The `step()` of `torch.optim.SGD` is exactly step 3, its `zero_grad()` exactly step 4. Lesson 03 moves this loop to
# the Fashion-MNIST model, and lesson 07 implements SGD's momentum and weight decay from scratch.

# %% [markdown] tags=["zh"]
# ## 练习 1：手写一步 SGD
#
# 不用 `torch.optim`，写出 `manual_sgd_step(model, lr)`：假设 `loss.backward()` 已经调用过，对模型的每个参数做 $\theta \leftarrow \theta - \eta \cdot$ `.grad`，然后清空梯度。提示：原地修改需要梯度的参数时，要放在 `with torch.no_grad():` 里（第 4 节）。

# %% [markdown] tags=["en"]
# ## Exercise 1: one SGD step by hand
#
# Without `torch.optim`, write `manual_sgd_step(model, lr)`: assuming `loss.backward()` has been called, do
# $\theta \leftarrow \theta - \eta \cdot$ `.grad` for every parameter of the model, then clear the gradients. Hint:
# changing a parameter that requires grad in place must happen inside `with torch.no_grad():` (section 4).

# %% nbgrader={"grade": false, "grade_id": "l02_ex1_manual_sgd_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def manual_sgd_step(model, lr):
    ### BEGIN SOLUTION
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    model.zero_grad()
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l02_ex1_manual_sgd_step_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex1_manual_sgd_step(manual_sgd_step)

# %% [markdown] tags=["zh"]
# ## 练习 2：有限差分梯度
#
# 写出 `numerical_grad(f, theta, h)`：`f` 把一个与 `theta` 同形状的张量映射成一个标量张量；返回与 `theta` 同形状、同 `dtype` 的张量，第 $k$ 个元素是中心差分 $\big(f(\theta + h\,\mathbf{e}_k) - f(\theta - h\,\mathbf{e}_k)\big)/(2h)$。`theta` 是 `float64`，可能不止一维；不要改动传进来的 `theta`。提示：`theta.reshape(-1)` 或 `.view(-1)` 让你按一维下标访问每个元素。

# %% [markdown] tags=["en"]
# ## Exercise 2: a finite-difference gradient
#
# Write `numerical_grad(f, theta, h)`: `f` maps a tensor of `theta`'s shape to a scalar tensor; return a tensor of the
# same shape and `dtype` as `theta` whose element $k$ is the central difference
# $\big(f(\theta + h\,\mathbf{e}_k) - f(\theta - h\,\mathbf{e}_k)\big)/(2h)$. `theta` is `float64` and may have more
# than one dimension; leave the `theta` passed in unchanged. Hint: `theta.reshape(-1)` or `.view(-1)` lets you reach
# each element by a one-dimensional index.

# %% nbgrader={"grade": false, "grade_id": "l02_ex2_numerical_grad", "locked": false, "schema_version": 3, "solution": true, "task": false}
def numerical_grad(f, theta, h):
    ### BEGIN SOLUTION
    grad = torch.zeros_like(theta)
    for k in range(theta.numel()):
        e_k = torch.zeros_like(theta)
        e_k.view(-1)[k] = h
        grad.view(-1)[k] = (f(theta + e_k) - f(theta - e_k)) / (2 * h)
    return grad
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l02_ex2_numerical_grad_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex2_numerical_grad(numerical_grad)

# %% [markdown] tags=["zh"]
# ## 练习 3：先预测，再运行
#
# 设 $w = 2$，损失 $L = w^3$，所以 $\mathrm{d}L/\mathrm{d}w = 3w^2 = 12$。写出 `grad_after(k)`：新建 `w = torch.tensor(2.0, requires_grad=True)`，重复 $k$ 次“前向算出 `w ** 3`，再 `backward()`”，中间**不清零**，返回 `w.grad`。运行之前先想一想：$k = 3$ 时结果是多少？

# %% [markdown] tags=["en"]
# ## Exercise 3: predict, then run
#
# Let $w = 2$ and the loss $L = w^3$, so $\mathrm{d}L/\mathrm{d}w = 3w^2 = 12$. Write `grad_after(k)`: create
# `w = torch.tensor(2.0, requires_grad=True)`, repeat $k$ times "compute `w ** 3` in a forward pass, then `backward()`"
# **without clearing** in between, and return `w.grad`. Before you run it, think: what is the result for $k = 3$?

# %% nbgrader={"grade": false, "grade_id": "l02_ex3_grad_after", "locked": false, "schema_version": 3, "solution": true, "task": false}
def grad_after(k):
    ### BEGIN SOLUTION
    w = torch.tensor(2.0, requires_grad=True)
    for _ in range(k):
        loss = w ** 3
        loss.backward()
    return w.grad
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l02_ex3_grad_after_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex3_grad_after(grad_after)

# %% [markdown] tags=["zh"]
# ## 小结
#
# - `requires_grad=True` 让 PyTorch 记录用到这个张量的每个运算，连成计算图；算出来的张量有 `grad_fn`，`next_functions` 指向它的输入。
# - `backward()` 沿图反向用链式法则求梯度，只存进叶子张量（自己创建的张量、模型参数）的 `.grad`；中间结果的 `.grad` 是 `None`，除非先 `retain_grad()`。反向传播之后图被释放。
# - `.grad` 是累加的：两次 `backward()` 得到两倍的梯度。`zero_grad()` 把它设为 `None`，`grad.zero_()` 把它填成 0。
# - 原地更新需要梯度的叶子张量要放在 `torch.no_grad()` 里，否则报 `RuntimeError`；`w = w - lr * w.grad` 不报错，但得到的是一个新的非叶子张量。`detach()` 把一个张量从图上摘下来。
# - 线性模型加均方误差的梯度是 $\frac{2}{N} X^\top (\hat{\mathbf{y}} - \mathbf{y})$ 和 $\frac{2}{N}\sum_i (\hat{y}_i - y_i)$，与自动求导和 `float64` 的中心差分一致；中心差分的误差是 $O(h^2)$，单侧差分是 $O(h)$。
# - 从零写的梯度下降与 `torch.optim.SGD` 走 100 步后结果相同。
#
# 下一课：[03 训练循环](03_training_loop.ipynb)。

# %% [markdown] tags=["en"]
# ## Summary
#
# - `requires_grad=True` makes PyTorch record every operation that uses the tensor, forming the computational graph;
#   computed tensors have a `grad_fn`, whose `next_functions` point to their inputs.
# - `backward()` goes back through the graph with the chain rule and stores the gradients only in the `.grad` of leaf
#   tensors (tensors you created, model parameters); the `.grad` of an intermediate result is `None` unless you call
#   `retain_grad()` first. After backpropagation the graph is freed.
# - `.grad` accumulates: two `backward()` calls give twice the gradient. `zero_grad()` sets it to `None`,
#   `grad.zero_()` fills it with zeros.
# - An in-place update of a leaf tensor that requires grad goes inside `torch.no_grad()`, or it raises a
#   `RuntimeError`; `w = w - lr * w.grad` raises nothing but gives a new, non-leaf tensor. `detach()` takes a tensor
#   off the graph.
# - The gradient of a linear model with the mean squared error is $\frac{2}{N} X^\top (\hat{\mathbf{y}} - \mathbf{y})$
#   and $\frac{2}{N}\sum_i (\hat{y}_i - y_i)$, in agreement with autograd and with central differences in `float64`;
#   the central difference has an error of $O(h^2)$, the forward difference $O(h)$.
# - Gradient descent written from scratch and `torch.optim.SGD` give the same result after 100 steps.
#
# Next: [03 The training loop](03_training_loop.ipynb).
