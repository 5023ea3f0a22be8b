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
# 预计用时：约 65 分钟（阅读、运行和练习）。
#
# 训练就是沿梯度反方向一小步一小步地改参数。梯度从哪里来？这一课拆开 PyTorch 的自动求导（autograd）。学完这一课，你能够：
#
# - 说出 `requires_grad`、计算图（`grad_fn`、`next_functions`）和叶子张量各是什么，为什么非叶子张量的 `.grad` 是 `None`；
# - 预测 `backward()` 之后 `.grad` 里是什么：一次反向传播之内，同一个参数每次使用的梯度相加；几次 `backward()` 之间，`.grad` **累加**；会用 `zero_grad()` 或 `grad.zero_()` 清零，知道什么时候要 `retain_graph=True`；
# - 解释为什么原地更新参数要放在 `torch.no_grad()` 里，以及 `detach()` 做什么；
# - 对非标量输出调用 `backward(gradient=v)`，用 `requires_grad_(False)` 冻结参数，用 `torch.autograd.grad` 把梯度作为返回值；
# - 手推一个线性模型的梯度，并用有限差分和自动求导核对；
# - 从零写一个梯度下降循环，再确认 `torch.optim.SGD` 给出完全相同的结果。

# %% [markdown] tags=["en"]
# # 02 Autograd
#
# Previous: [01 The model](01_model.ipynb) · Next: [03 The training loop](03_training_loop.ipynb)
#
# Time: about 65 min (reading, running and the exercises).
#
# Training changes the parameters in small steps against the gradient. Where does the gradient come from? This lesson
# takes PyTorch's automatic differentiation (autograd) apart. After this lesson you can:
#
# - say what `requires_grad`, the computational graph (`grad_fn`, `next_functions`) and leaf tensors are, and why the
#   `.grad` of a non-leaf tensor is `None`;
# - predict what `.grad` holds after `backward()`: within one backward pass the gradients of every use of a parameter
#   add up; across `backward()` calls `.grad` **accumulates**; clear it with `zero_grad()` or `grad.zero_()`, and know
#   when `retain_graph=True` is needed;
# - explain why an in-place update of a parameter goes inside `torch.no_grad()`, and what `detach()` does;
# - call `backward(gradient=v)` on a non-scalar output, freeze parameters with `requires_grad_(False)`, and get
#   gradients as return values with `torch.autograd.grad`;
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
# `loss.backward()` 从 `loss` 出发，沿图反向用链式法则（chain rule）算出 $\partial L / \partial \mathbf{w}$ 和 $\partial L / \partial b$，存进 `w.grad` 和 `b.grad`。只有 `requires_grad=True` 的叶子张量（leaf tensor）的 `.grad` 会被填上。叶子是不由需要梯度的运算算出来的张量：你自己创建的张量都是叶子，`w`、`b`、模型的参数是，数据 `X`、`y` 也是；但 `X`、`y` 不需要梯度，它们的 `.grad` 一直是 `None`。中间结果 `y_hat` 不是叶子，它的梯度在反向传播中用过就丢，读 `y_hat.grad` 只会得到 `None` 和一条警告。真想看中间结果的梯度，在 `backward()` 之前对它调用 `retain_grad()`。

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
# tensors with `requires_grad=True` get their `.grad` filled in. A leaf is a tensor not computed by an operation that
# requires grad: every tensor you create yourself is a leaf, `w`, `b` and the parameters of a model as well as the
# data `X` and `y`; but `X` and `y` need no gradient, so their `.grad` stays `None`. The intermediate `y_hat` is not a
# leaf; its gradient is used during backpropagation and then dropped, and reading `y_hat.grad` gives only `None` and a
# warning. To see the gradient of an intermediate result, call `retain_grad()` on it before `backward()`.

# %%
print(f"backward 之前 / before: w.grad = {w.grad}, b.grad = {b.grad}")
y_hat.retain_grad()  # 想看中间结果的梯度 / to see the gradient of an intermediate result
loss.backward()
print(f"backward 之后 / after:  w.grad = {w.grad}, b.grad = {b.grad:.4f}")
print(f"有 retain_grad / with retain_grad: y_hat.grad = {y_hat.grad}")
assert X.is_leaf and X.grad is None and y.grad is None  # 叶子，但不需要梯度 / leaves needing no gradient
print(f"X.is_leaf = {X.is_leaf}, X.grad = {X.grad}（不需要梯度 / needs no gradient）")

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
# 反向传播之后，图里为反向传播保存的中间张量（比如平方运算 `PowBackward0` 求导要用的误差 $e_i$）就被释放了，以省内存；图的节点 `grad_fn` 还在，只是不能再走一遍：同一个 `loss` 再调一次 `backward()` 会报 `RuntimeError`。训练循环里每个批次都重新做一次前向，所以每次都有一张新图。确实要两次走同一张图时，第一次写 `backward(retain_graph=True)`，保留这些中间张量（第 3 节）。

# %% [markdown] tags=["en"]
# After backpropagation the intermediate tensors that the graph saved for it (such as the errors $e_i$ that the
# derivative of the square, `PowBackward0`, needs) are freed, to save memory. The graph's nodes, the `grad_fn`s, are
# still there, but they cannot be run through again: calling `backward()` a second time on the same `loss` raises a
# `RuntimeError`. A training loop does a new forward pass for every batch, so each time there is a new graph. When you
# do need to go through one graph twice, write `backward(retain_graph=True)` the first time: it keeps those tensors
# (section 3).

# %%
try:
    loss.backward()  # 同一张图的第二次 / a second time through the same graph
except RuntimeError:
    print("RuntimeError ✓ 保存的中间张量已释放，要重新前向 / the saved tensors were freed: run the forward again")
else:
    raise AssertionError("expected a RuntimeError")
assert loss.grad_fn is not None  # 节点还在 / the nodes are still there
print(f"loss.grad_fn = {type(loss.grad_fn).__name__}：图的节点还在 / the graph's nodes are still there")

# %% [markdown] tags=["zh"]
# ## 3. 梯度是累加的
#
# `backward()` 把新算出的梯度**加到** `.grad` 上，而不是覆盖。上面已经做过两次反向传播（`loss` 一次，`y_hat2` 的损失一次），两次的梯度相同，所以现在 `w.grad` 正好是一次的 2 倍。用 `backward(retain_graph=True)` 两次走同一张图，两次的梯度同样相加。清零有两种写法：`w.grad = None`（`optimizer.zero_grad()` 和 `model.zero_grad()` 默认就这样做），或者 `w.grad.zero_()`（留下一个全 0 的张量）。

# %% [markdown] tags=["en"]
# ## 3. Gradients accumulate
#
# `backward()` **adds** the newly computed gradient to `.grad`; it does not overwrite it. Above we have already run
# backpropagation twice (once for `loss`, once for the loss of `y_hat2`), with the same gradient both times, so `w.grad`
# is now exactly twice the gradient of one. Going twice through one graph with `backward(retain_graph=True)` adds the
# two gradients up as well. There are two ways to clear it: `w.grad = None` (what `optimizer.zero_grad()` and
# `model.zero_grad()` do by default), or `w.grad.zero_()` (which leaves a tensor of zeros).

# %%
w_grad_two = w.grad.clone()
w.grad = None
b.grad = None
((X @ w + b - y) ** 2).mean().backward()
w_grad_one = w.grad.clone()
torch.testing.assert_close(w_grad_two, 2 * w_grad_one)
print(f"两次 backward / two backward calls: w.grad = {w_grad_two}")
print(f"清零后一次 / one after clearing:    w.grad = {w_grad_one}  (× 2 ✓)")

w.grad = None
loss = ((X @ w + b - y) ** 2).mean()
loss.backward(retain_graph=True)  # 保留中间张量 / keep the saved tensors
loss.backward()  # 同一张图的第二次，不再报错 / a second time through the graph: no error now
torch.testing.assert_close(w.grad, 2 * w_grad_one)
print("retain_graph=True：同一张图走两次 ✓ 梯度同样相加 / one graph twice ✓ the gradients add up too")

w.grad.zero_()
print(f"w.grad.zero_():  w.grad = {w.grad}")

layer = nn.Linear(3, 1)
layer(X).sum().backward()
optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
optimizer.zero_grad()
print(f"optimizer.zero_grad(): layer.weight.grad = {layer.weight.grad}")

# %% [markdown] tags=["zh"]
# 为什么设计成累加？不是因为一个参数可能在图里用到好几次：在**一次** `backward()` 之内，autograd 自己就把这个参数每次使用（图里每条通向它的路径）贡献的梯度加在一起，这就是多元函数的链式法则，所以即使 `.grad` 是覆盖的，同一层用两遍的梯度也照样是对的。累加是为了让**几次** `backward()` 的梯度能加在一起：一个批次太大、内存放不下时，把它分成几个小批次，各自 `backward()`，最后只更新一次（梯度累积，第 03 课）；或者几个损失分别 `backward()`。代价是：训练循环里每一步都要自己清零，否则上一步的梯度会混进这一步（第 03 课会看到后果）。
#
# ## 4. 原地更新参数：为什么要 `torch.no_grad()`
#
# 梯度下降（gradient descent）的一步是 $\mathbf{w} \leftarrow \mathbf{w} - \eta \, \nabla_{\mathbf{w}} L$，其中 $\eta$ 是学习率（learning rate）。直接写 `w -= lr * w.grad` 会报错：PyTorch 拒绝原地（in-place）修改一个需要梯度的叶子张量，因为这一步本身也会被记进计算图，而且会改掉图里记着的值。

# %% [markdown] tags=["en"]
# Why accumulate? Not because a parameter may be used several times in a graph: within **one** `backward()`, autograd
# itself adds up the gradients that each use of the parameter (each path through the graph that leads to it)
# contributes. That is the chain rule for a function of several variables, so even an overwriting `.grad` would get
# the gradient of a layer applied twice right. `.grad` accumulates so that **several** `backward()` calls can add up:
# when a batch is too large for memory, split it into smaller batches, call `backward()` on each and update once at
# the end (gradient accumulation, lesson 03); or backpropagate several losses one after the other. The price: a
# training loop must clear the gradients itself at every step, or the previous step's gradient mixes into this one
# (lesson 03 shows what follows).
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
# ## 6. 非标量输出、冻结参数、`torch.autograd.grad`
#
# ### 6.1 非标量输出：`backward(gradient=v)`
#
# 不带参数的 `backward()` 只能从一个标量（只有一个元素的张量）出发：它从 $\partial L / \partial L = 1$ 开始往回算。输出 $\mathbf{y}$ 有 $m$ 个元素时，它对 $\mathbf{w}$（$n$ 个元素）没有“一个”梯度，而有一个 $m \times n$ 的雅可比矩阵（Jacobian）$J$，$J_{ij} = \partial y_i / \partial w_j$。这时要告诉 `backward()` 从哪个向量出发：`y.backward(gradient=v)`（$\mathbf{v}$ 与 $\mathbf{y}$ 同形状）算出向量–雅可比积（vector-Jacobian product）$\mathbf{v}^\top J$，存进 `.grad`，与 `(v * y).sum().backward()` 的结果相同；`v` 全是 1 时，就是 `y.sum()` 的梯度。对 $\mathbf{y} = X\mathbf{w}$，$J = X$，所以 `w.grad` 是 $X^\top \mathbf{v}$。

# %% [markdown] tags=["en"]
# ## 6. Non-scalar outputs, frozen parameters, `torch.autograd.grad`
#
# ### 6.1 Non-scalar outputs: `backward(gradient=v)`
#
# `backward()` without arguments can only start from a scalar (a tensor with one element): it starts from
# $\partial L / \partial L = 1$ and works back. When the output $\mathbf{y}$ has $m$ elements, it has no single
# gradient with respect to $\mathbf{w}$ ($n$ elements) but an $m \times n$ Jacobian $J$, with
# $J_{ij} = \partial y_i / \partial w_j$. Then `backward()` must be told which vector to start from:
# `y.backward(gradient=v)` (with $\mathbf{v}$ of the shape of $\mathbf{y}$) computes the vector-Jacobian product
# $\mathbf{v}^\top J$ and stores it in `.grad`, the same result as `(v * y).sum().backward()`; with `v` all ones it is
# the gradient of `y.sum()`. For $\mathbf{y} = X\mathbf{w}$, $J = X$, so `w.grad` is $X^\top \mathbf{v}$.

# %%
w.grad = None
out = X @ w  # 4 个输出，不是标量 / 4 outputs, not a scalar
try:
    out.backward()
except RuntimeError as e:
    assert "scalar" in str(e)
    print("RuntimeError ✓ 非标量输出要给 backward 一个 gradient / a non-scalar output needs a gradient")
else:
    raise AssertionError("expected a RuntimeError")

v = torch.tensor([1.0, -2.0, 0.5, 3.0])
out.backward(gradient=v)  # vᵀJ，这里 J = X / vᵀJ, here J = X
torch.testing.assert_close(w.grad, X.T @ v)
print(f"out.backward(gradient=v): w.grad = {w.grad}")
print("w.grad ✓ 等于 Xᵀv（向量–雅可比积）/ equals Xᵀv (a vector-Jacobian product)")

# %% [markdown] tags=["zh"]
# ### 6.2 冻结参数：`requires_grad_(False)`
#
# 微调（fine-tuning）一个训练好的模型时，常常只训练最后几层，把前面的层冻结（freeze）。`module.requires_grad_(False)` 关掉一个模块所有参数的 `requires_grad`：`backward()` 不再为它们算梯度，它们的 `.grad` 保持 `None`，而 `torch.optim` 的优化器跳过 `.grad` 为 `None` 的参数，所以它们一步也不动。它改的是参数本身的属性，一直有效，直到再调用 `requires_grad_(True)`；`torch.no_grad()` 只管一段代码，`detach()` 只管一个张量。也可以只把需要梯度的参数交给优化器：`[p for p in net.parameters() if p.requires_grad]`。

# %% [markdown] tags=["en"]
# ### 6.2 Freezing parameters: `requires_grad_(False)`
#
# When you fine-tune a trained model you often train only its last layers and freeze the ones before.
# `module.requires_grad_(False)` turns `requires_grad` off for every parameter of a module: `backward()` no longer
# computes their gradients, their `.grad` stays `None`, and the optimizers of `torch.optim` skip parameters whose `.grad`
# is `None`, so they do not move. It changes a property of the parameters themselves and holds until
# `requires_grad_(True)`; `torch.no_grad()` covers a block of code, `detach()` one tensor. You may also hand the
# optimizer only the parameters that require grad: `[p for p in net.parameters() if p.requires_grad]`.

# %%
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
net[0].requires_grad_(False)  # 冻结第一层 / freeze the first layer
before = [p.detach().clone() for p in net.parameters()]
((net(X).squeeze(1) - y) ** 2).mean().backward()
torch.optim.SGD(net.parameters(), lr=0.1).step()

changed = [not torch.equal(p, p0) for p, p0 in zip(net.parameters(), before)]
for (name, p), moved in zip(net.named_parameters(), changed):
    print(f"{name:<8} requires_grad={p.requires_grad!s:<5}  grad is None={p.grad is None!s:<5}  "
          f"changed={moved}")
assert changed == [False, False, True, True]
print("冻结的第一层没有动，第二层走了一步 ✓ / the frozen first layer stayed, the second took a step ✓")

# %% [markdown] tags=["zh"]
# ### 6.3 `torch.autograd.grad`：把梯度作为返回值
#
# `torch.autograd.grad(outputs, inputs)` 做同样的反向传播，但把梯度作为元组返回，不碰 `.grad`：没有累加，也不用清零。需要把梯度当作一个值来用时（梯度检查、在损失里加一项梯度的惩罚），就用它。加上 `create_graph=True`，返回的梯度本身也连着计算图，可以再求一次导，得到二阶导数。

# %% [markdown] tags=["en"]
# ### 6.3 `torch.autograd.grad`: gradients as return values
#
# `torch.autograd.grad(outputs, inputs)` runs the same backpropagation but returns the gradients as a tuple and
# leaves `.grad` alone: nothing accumulates and nothing needs clearing. Use it when a gradient is a value you compute
# with (a gradient check, a penalty on the gradient added to a loss). With `create_graph=True` the returned gradient is
# itself on a graph, so you can differentiate it once more and get a second derivative.

# %%
w.grad, b.grad = None, None
grad_w, grad_b = torch.autograd.grad(((X @ w + b - y) ** 2).mean(), [w, b])
assert w.grad is None and b.grad is None  # .grad 没有被碰过 / .grad was left alone
((X @ w + b - y) ** 2).mean().backward()
torch.testing.assert_close(grad_w, w.grad)
torch.testing.assert_close(grad_b, b.grad)
print("torch.autograd.grad ✓ 与 backward() 的梯度相同，但不写进 .grad")
print("torch.autograd.grad ✓ gives the gradients of backward() without storing them in .grad")

x = torch.tensor(3.0, requires_grad=True)
(dy,) = torch.autograd.grad(x**3, x, create_graph=True)  # 3x² = 27，连着图 / on a graph
(d2y,) = torch.autograd.grad(dy, x)  # 6x = 18
assert dy.item() == 27.0 and d2y.item() == 18.0
print(f"x = 3: d(x³)/dx = {dy.item()}, d²(x³)/dx² = {d2y.item()} ✓")

# %% [markdown] tags=["zh"]
# ## 7. 从零求梯度，与自动求导对照
#
# ### 7.1 手推
#
# 记误差 $e_i = \hat{y}_i - y_i$。由 $L = \frac{1}{N}\sum_i e_i^2$ 得 $\partial L / \partial \hat{y}_i = 2 e_i / N$；又 $\partial \hat{y}_i / \partial w_j = X_{ij}$，$\partial \hat{y}_i / \partial b = 1$。由链式法则：
#
# $$\frac{\partial L}{\partial \mathbf{w}} = \frac{2}{N} X^\top (\hat{\mathbf{y}} - \mathbf{y}), \qquad \frac{\partial L}{\partial b} = \frac{2}{N}\sum_{i=1}^{N} (\hat{y}_i - y_i)$$
#
# $X^\top$ 的形状是 $(3, N)$，乘以 $N$ 个误差，正好得到 3 个数，与 $\mathbf{w}$ 同形状。

# %% [markdown] tags=["en"]
# ## 7. A gradient from scratch, checked against autograd
#
# ### 7.1 By hand
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
# ### 7.2 有限差分
#
# 不会手推时，也能用有限差分（finite differences）数值地估计梯度：把第 $k$ 个参数往两边各挪 $h$，看损失变了多少。这叫中心差分（central difference）：
#
# $$\frac{\partial L}{\partial \theta_k} \approx \frac{L(\theta + h\,\mathbf{e}_k) - L(\theta - h\,\mathbf{e}_k)}{2h}$$
#
# 其中 $\mathbf{e}_k$ 是第 $k$ 个分量为 1、其余为 0 的向量。由泰勒展开，它的截断误差（truncation error）是 $O(h^2)$；只往前挪的前向差分（forward difference，一种单侧差分）$\big(L(\theta + h\,\mathbf{e}_k) - L(\theta)\big)/h$ 的误差是 $O(h)$，差得多。$h$ 也不能太小：两个几乎相等的损失相减，会丢掉有效数字，这部分舍入误差（rounding error）约为机器精度除以 $h$。所以有限差分要用 `float64`：它的机器精度约 $10^{-16}$，`float32` 只有约 $10^{-7}$。
#
# 有限差分要对每个参数算两次损失，比反向传播慢得多，只用来检查梯度（gradient check），不用来训练。

# %% [markdown] tags=["en"]
# ### 7.2 Finite differences
#
# When you cannot derive a gradient by hand, you can still estimate it numerically: move parameter $k$ by $h$ each way
# and see how much the loss changes. This is the central difference:
#
# $$\frac{\partial L}{\partial \theta_k} \approx \frac{L(\theta + h\,\mathbf{e}_k) - L(\theta - h\,\mathbf{e}_k)}{2h}$$
#
# where $\mathbf{e}_k$ is the vector with 1 in component $k$ and 0 elsewhere. By Taylor expansion its truncation error
# is $O(h^2)$; the forward difference $\big(L(\theta + h\,\mathbf{e}_k) - L(\theta)\big)/h$, a one-sided
# difference that moves forward only, has an error of $O(h)$, far worse. Nor can $h$ be too small: subtracting two
# nearly equal losses loses significant digits (the rounding error is about the machine precision divided by $h$). So
# finite differences are done in `float64`, whose machine precision is about $10^{-16}$, against about $10^{-7}$ for
# `float32`.
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
print(fc.pad("h", 7, ">"), fc.pad("前向差分的误差 / forward error", 34, ">"),
      fc.pad("中心差分的误差 / central error", 34, ">"))
errors = []
for step in [1e-1, 1e-2, 1e-3, 1e-4]:
    forward = ((torch.sin(x0 + step) - torch.sin(x0)) / step).item()
    central = ((torch.sin(x0 + step) - torch.sin(x0 - step)) / (2 * step)).item()
    errors.append((abs(forward - exact), abs(central - exact)))
    print(f"{step:>7.0e} {errors[-1][0]:>34.1e} {errors[-1][1]:>34.1e}")

# h 缩小 10 倍：前向误差约小 10 倍，中心误差约小 100 倍 / h ten times smaller: forward ~10x, central ~100x
for (f1, c1), (f2, c2) in zip(errors, errors[1:]):
    assert 8 < f1 / f2 < 12 and 80 < c1 / c2 < 120
print("h 每缩小 10 倍，前向差分的误差约小 10 倍（O(h)），中心差分约小 100 倍（O(h²)）✓")
print("h 10 times smaller: the forward error ~10 times smaller (O(h)), "
      "the central ~100 times (O(h²)) ✓")

# %% [markdown] tags=["zh"]
# ## 8. 从零写梯度下降，再与 `torch.optim.SGD` 对照
#
# 现在把前面的零件拼起来：在 64 个点上拟合 $y = X\mathbf{w} + b$（数据由 $\mathbf{w}^* = (2, -1, 0.5)$、$b^* = 0.3$ 加一点噪声生成），从 $\mathbf{w} = 0, b = 0$ 出发，学习率 $\eta = 0.1$，走 100 步。每一步：前向、`backward()`、在 `no_grad` 里原地更新、清零梯度。

# %% [markdown] tags=["en"]
# ## 8. Gradient descent from scratch, then checked against `torch.optim.SGD`
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
# ## 练习 1：先预测，再运行
#
# 设 $w = 4$，损失 $L = w \cdot w + w$：$w$ 在一个表达式里用了三次（`w * w` 里两次，`+ w` 一次）。你答案后面的那个单元格新建 `w1 = torch.tensor(4.0, requires_grad=True)`，把“前向算出 `w1 * w1 + w1`，再 `backward()`”做两遍，中间**不清零**，然后打印 `w1.grad`。先读一读那个单元格，但**先别运行**：在 `predict_w_grad()` 里返回你预测的 `w1.grad`（一个数），再运行那个单元格对照，最后运行检查。要想清楚两件事：一次 `backward()` 之内，同一个参数几次使用的梯度怎样合起来；两次 `backward()` 之间，`.grad` 怎样变（第 3 节）。

# %% [markdown] tags=["en"]
# ## Exercise 1: predict, then run
#
# Let $w = 4$ and the loss $L = w \cdot w + w$: $w$ is used three times in one expression (twice in `w * w`, once in
# `+ w`). The cell after your answer creates `w1 = torch.tensor(4.0, requires_grad=True)`, does "compute
# `w1 * w1 + w1` in a forward pass, then `backward()`" twice **without clearing** in between, and prints `w1.grad`.
# Read that cell but **do not run it yet**: make `predict_w_grad()` return the `w1.grad` you predict (a number), then
# run that cell to compare, and then the check. Two things to think through: how the gradients of several uses of
# one parameter combine within one `backward()`, and what happens to `.grad` between two `backward()` calls
# (section 3).

# %% nbgrader={"grade": false, "grade_id": "l02_ex1_w_grad", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-predict"]
def predict_w_grad():
    ### BEGIN SOLUTION
    return 18.0  # 一次 2w + 1 = 9，两次不清零 / 2w + 1 = 9 once, twice without clearing
    ### END SOLUTION

# %%
w1 = torch.tensor(4.0, requires_grad=True)
for _ in range(2):
    loss1 = w1 * w1 + w1  # w1 用了三次 / w1 used three times
    loss1.backward()
print(f"w1.grad = {w1.grad.item()}")
names[id(w1)] = "w1"
show_graph(loss1.grad_fn)  # 三条路径通向 w1 / three paths lead to w1

# %% nbgrader={"grade": true, "grade_id": "l02_ex1_w_grad_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex1_w_grad(predict_w_grad)

# %% [markdown] tags=["zh"]
# ## 练习 2：找出错误
#
# 下面的 `buggy_train_step(model, X, y, lr)` 想做一步梯度下降：前向算均方误差，反向传播，把每个参数更新为 $\theta - \eta \cdot$ `.grad`，清空梯度，返回这一步的损失（一个 Python 数）。它有三个错误，都是第 3、4 节讲过的常见错误；运行它得到的 `TypeError` 只暴露了第一个，改掉一个，下一个才会露出来。在答案单元格里写出改好的 `train_step`，签名不变。检查用你的函数在一个小网络上连走两步，与 `torch.optim.SGD` 比较参数和返回的损失，并说出还剩哪个错误。

# %% [markdown] tags=["en"]
# ## Exercise 2: find the bugs
#
# `buggy_train_step(model, X, y, lr)` below means to take one step of gradient descent: compute the mean squared error
# in a forward pass, backpropagate, update every parameter to $\theta - \eta \cdot$ `.grad`, clear the gradients and
# return the step's loss (a Python number). It has three bugs, each a common mistake from sections 3 and 4; the
# `TypeError` it raises shows only the first, and each one fixed lets the next one show. Write the fixed `train_step`,
# with the same signature, in the answer cell. The check takes two steps on a small network with your function,
# compares the parameters and the returned losses with `torch.optim.SGD`, and names the bug still there.

# %%
def buggy_train_step(model, X, y, lr):
    loss = ((model(X) - y) ** 2).mean()
    loss.backward()
    model.zero_grad()  # 清零 / clear
    for p in model.parameters():
        p = p - lr * p.grad  # 更新 / update
    return loss.item()


try:
    buggy_train_step(nn.Linear(3, 1), X_fit, y_fit.unsqueeze(1), lr=0.1)
except TypeError as e:
    print(f"TypeError: {e}")

# %% nbgrader={"grade": false, "grade_id": "l02_ex2_train_step", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-debug"]
def train_step(model, X, y, lr):
    ### BEGIN SOLUTION
    loss = ((model(X) - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():  # 原地更新，不记入计算图 / in place, not recorded
        for p in model.parameters():
            p -= lr * p.grad
    model.zero_grad()  # 更新之后再清零 / clear after the update
    return loss.item()
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l02_ex2_train_step_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex2_train_step(train_step)

# %% [markdown] tags=["zh"]
# ## 练习 3：一行一行拼出雅可比矩阵
#
# 第 6.1 节的 `backward(gradient=v)` 一次算出一个向量–雅可比积 $\mathbf{v}^\top J$。写出 `jacobian_by_rows(f, x)`：`f` 把长度为 $n$ 的一维张量映射成长度为 $m$ 的一维张量；返回形状为 $(m, n)$ 的雅可比矩阵，$J_{ij} = \partial f_i / \partial x_j$，每次反向传播得到一行。用 `backward(gradient=...)` 或 `torch.autograd.grad(..., grad_outputs=...)`；不要用 `torch.autograd.functional.jacobian`，检查会拿它来对照你的结果。传进来的 `x` 不需要梯度（`requires_grad=False`）。提示：哪个 $\mathbf{v}$ 让 $\mathbf{v}^\top J$ 正好是第 $i$ 行？每次反向传播之后，`.grad` 里留下了什么？

# %% [markdown] tags=["en"]
# ## Exercise 3: a Jacobian, row by row
#
# `backward(gradient=v)` of section 6.1 computes one vector-Jacobian product $\mathbf{v}^\top J$. Write
# `jacobian_by_rows(f, x)`: `f` maps a one-dimensional tensor of length $n$ to one of length $m$; return the
# Jacobian of shape $(m, n)$, $J_{ij} = \partial f_i / \partial x_j$, one row per backward pass. Use
# `backward(gradient=...)` or `torch.autograd.grad(..., grad_outputs=...)`; not `torch.autograd.functional.jacobian`,
# which the check compares your result with. The `x` passed in does not require grad (`requires_grad=False`). Hint:
# which $\mathbf{v}$ makes $\mathbf{v}^\top J$ exactly row $i$? And what does each backward pass leave in `.grad`?

# %% nbgrader={"grade": false, "grade_id": "l02_ex3_jacobian", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-transfer"]
def jacobian_by_rows(f, x):
    ### BEGIN SOLUTION
    x = x.detach().clone().requires_grad_()
    out = f(x)
    rows = []
    for i in range(out.numel()):
        v = torch.zeros_like(out)
        v[i] = 1.0  # vᵀJ 是第 i 行 / vᵀJ is row i
        x.grad = None  # 上一行的梯度不能累加进来 / the previous row must not add up
        out.backward(gradient=v, retain_graph=True)
        rows.append(x.grad.clone())
    return torch.stack(rows)
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l02_ex3_jacobian_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex3_jacobian(jacobian_by_rows)

# %% [markdown] tags=["zh"]
# ## 小结
#
# - `requires_grad=True` 让 PyTorch 记录用到这个张量的每个运算，连成计算图；算出来的张量有 `grad_fn`，`next_functions` 指向它的输入。
# - `backward()` 沿图反向用链式法则求梯度，只存进 `requires_grad=True` 的叶子张量（自己创建的、需要梯度的张量，如模型参数）的 `.grad`；中间结果的 `.grad` 是 `None`，除非先 `retain_grad()`。反向传播之后，图为反向传播保存的中间张量被释放；要再走一遍同一张图，第一次用 `backward(retain_graph=True)`。
# - 一次 `backward()` 之内，一个参数每次使用的梯度由 autograd 相加；几次 `backward()` 之间，`.grad` 累加：两次 `backward()` 得到两倍的梯度，这让小批次的梯度能攒在一起（梯度累积）。`zero_grad()` 把它设为 `None`，`grad.zero_()` 把它填成 0。
# - 原地更新需要梯度的叶子张量要放在 `torch.no_grad()` 里，否则报 `RuntimeError`；`w = w - lr * w.grad` 不报错，但得到的是一个新的非叶子张量。`detach()` 把一个张量从图上摘下来。
# - 非标量输出要用 `backward(gradient=v)`，它算出向量–雅可比积 $\mathbf{v}^\top J$；`requires_grad_(False)` 冻结参数，优化器不再动它们；`torch.autograd.grad` 把梯度作为返回值，不碰 `.grad`。
# - 线性模型加均方误差的梯度是 $\frac{2}{N} X^\top (\hat{\mathbf{y}} - \mathbf{y})$ 和 $\frac{2}{N}\sum_i (\hat{y}_i - y_i)$，与自动求导和 `float64` 的中心差分一致；中心差分的误差是 $O(h^2)$，前向差分是 $O(h)$。
# - 从零写的梯度下降与 `torch.optim.SGD` 走 100 步后结果相同。
#
# 下一课：[03 训练循环](03_training_loop.ipynb)。

# %% [markdown] tags=["en"]
# ## Summary
#
# - `requires_grad=True` makes PyTorch record every operation that uses the tensor, forming the computational graph;
#   computed tensors have a `grad_fn`, whose `next_functions` point to their inputs.
# - `backward()` goes back through the graph with the chain rule and stores the gradients only in the `.grad` of leaf
#   tensors with `requires_grad=True` (tensors you created that require grad, such as model parameters); the `.grad`
#   of an intermediate result is `None` unless you call `retain_grad()` first. After backpropagation the tensors the
#   graph saved for it are freed; to go through the same graph again, call `backward(retain_graph=True)` the first
#   time.
# - Within one `backward()`, autograd adds up the gradients of every use of a parameter; across `backward()` calls,
#   `.grad` accumulates: two `backward()` calls give twice the gradient, which lets the gradients of smaller batches
#   add up (gradient accumulation). `zero_grad()` sets it to `None`, `grad.zero_()` fills it with zeros.
# - An in-place update of a leaf tensor that requires grad goes inside `torch.no_grad()`, or it raises a
#   `RuntimeError`; `w = w - lr * w.grad` raises nothing but gives a new, non-leaf tensor. `detach()` takes a tensor
#   off the graph.
# - A non-scalar output needs `backward(gradient=v)`, which computes the vector-Jacobian product $\mathbf{v}^\top J$;
#   `requires_grad_(False)` freezes parameters, so the optimizer leaves them alone; `torch.autograd.grad` returns
#   gradients and leaves `.grad` alone.
# - The gradient of a linear model with the mean squared error is $\frac{2}{N} X^\top (\hat{\mathbf{y}} - \mathbf{y})$
#   and $\frac{2}{N}\sum_i (\hat{y}_i - y_i)$, in agreement with autograd and with central differences in `float64`;
#   the central difference has an error of $O(h^2)$, the forward difference $O(h)$.
# - Gradient descent written from scratch and `torch.optim.SGD` give the same result after 100 steps.
#
# Next: [03 The training loop](03_training_loop.ipynb).
