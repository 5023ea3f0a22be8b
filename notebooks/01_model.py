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
# # 01 模型：用 `nn.Module` 搭一个多层感知机
#
# 上一课：[00 数据](00_data.ipynb) · 下一课：[02 自动求导](02_autograd.ipynb)
#
# 预计用时：约 70 分钟（阅读、运行和练习）。
#
# 学完这一课，你能够：
#
# - 说出 `nn.Module` 的 `__init__` 注册了什么，以及为什么 `super().__init__()` 必须写在最前面；
# - 用 `Flatten`、`Linear`、`ReLU`、`Sequential` 搭出课程模型，并亲手算出它的 669,706 个参数；
# - 解释为什么要写 `model(x)` 而不是 `model.forward(x)`；
# - 从 logits（未归一化的分数）得到概率和预测类别，并说明为什么没训练的模型给每个类别的概率都接近 1/10；
# - 把模型和数据放到同一个设备上，看懂设备不一致时的报错；
# - 用 `state_dict` 保存、载入模型，并确认载入后输出完全相同；知道 `weights_only=True`、`strict` 和 `eval()` 各防住了什么。

# %% [markdown] tags=["en"]
# # 01 The model: a multilayer perceptron with `nn.Module`
#
# Previous: [00 Data](00_data.ipynb) · Next: [02 Autograd](02_autograd.ipynb)
#
# Time: about 70 min (reading, running and the exercises).
#
# After this lesson you can:
#
# - say what `__init__` of an `nn.Module` registers, and why `super().__init__()` must come first;
# - build the course model from `Flatten`, `Linear`, `ReLU` and `Sequential`, and work out its 669,706 parameters by hand;
# - explain why we write `model(x)` and never `model.forward(x)`;
# - turn logits into probabilities and a predicted class, and explain why an untrained model gives every class about 1/10;
# - put the model and the data on the same device, and read the error when they differ;
# - save and load a model with `state_dict`, confirm the reloaded model gives identical outputs, and know what
#   `weights_only=True`, `strict` and `eval()` each guard against.

# %%
import math
import pickle
import tempfile
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch import nn

import fmnist_core as fc
from fmnist_core.checks import lesson01 as check

device = fc.get_device()  # 有 GPU 就用 GPU / the GPU when there is one
_ = fc.plot.cjk_font()  # 图中的中文 / Chinese in the figures

# %% [markdown] tags=["zh"]
# ## 1. 课程模型
#
# 本课程的模型就是 PyTorch 官方教程里的多层感知机（MLP）：先把 $28 \times 28$ 的图片展平（flatten）成 784 个数，经过两个各有 512 个单元的隐藏层，最后输出 10 个数，每个类别一个。
#
# ![课程模型：Flatten、三个 Linear 层和两个 ReLU](../images/mlp.png)
#
# 它的代码在 `fmnist_core/model.py` 里，只有十几行：

# %% [markdown] tags=["en"]
# ## 1. The course model
#
# The course model is the multilayer perceptron (MLP) of the official PyTorch tutorial: it flattens a $28 \times 28$
# image into 784 numbers, passes them through two hidden layers of 512 units each, and outputs 10 numbers, one per class.
#
# ![The course model: Flatten, three Linear layers and two ReLUs](../images/mlp.png)
#
# Its code is in `fmnist_core/model.py`, a dozen lines:

# %%
class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()  # 必须最先调用 / must come first
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork()
print(model)

# %% [markdown] tags=["zh"]
# 打印出来的结构与 `fc.NeuralNetwork` 完全一样，后面的课程都直接用 `fc.NeuralNetwork()`。
#
# 一个 `nn.Module` 子类只需要写两件事：
#
# - `__init__`：创建各个层，并把它们赋值给 `self` 的属性；
# - `forward`：说明数据怎样依次穿过这些层。
#
# 反向传播（backpropagation）不用自己写：PyTorch 的自动求导会根据 `forward` 里做过的运算算出梯度，第 02 课讲它是怎样做到的。

# %% [markdown] tags=["en"]
# The printed structure is exactly that of `fc.NeuralNetwork`; later lessons simply use `fc.NeuralNetwork()`.
#
# A subclass of `nn.Module` needs only two things:
#
# - `__init__`: create the layers and assign them to attributes of `self`;
# - `forward`: say how the data flows through them.
#
# You do not write the backpropagation: PyTorch's autograd works out the gradients from the operations done in
# `forward`; lesson 02 shows how.

# %% [markdown] tags=["zh"]
# ## 2. `__init__` 注册了什么
#
# `self.flatten = nn.Flatten()` 看上去只是普通的属性赋值，其实 `nn.Module` 拦截了它（通过 `__setattr__`）：值是一个模块时，它被注册（register）进子模块表 `_modules`；值是一个 `nn.Parameter` 时，被注册进参数表 `_parameters`。`model.parameters()`、`model.to(device)`、`model.state_dict()` 都是沿着这些表找到所有的层和参数的。

# %% [markdown] tags=["en"]
# ## 2. What `__init__` registers
#
# `self.flatten = nn.Flatten()` looks like an ordinary attribute assignment, but `nn.Module` intercepts it (through
# `__setattr__`): a module is registered in the table of submodules `_modules`, an `nn.Parameter` in the table of
# parameters `_parameters`. `model.parameters()`, `model.to(device)` and `model.state_dict()` all walk these tables to
# find every layer and parameter.

# %%
print("子模块 / submodules:", list(model._modules))
print("Sequential 里的子模块 / inside the Sequential:", list(model.linear_relu_stack._modules))
print("第一个 Linear 的参数 / parameters of the first Linear:",
      list(model.linear_relu_stack[0]._parameters))
print()
for name, p in model.named_parameters():
    print(f"{name:<28} {str(tuple(p.shape)):<12} requires_grad={p.requires_grad}")

# %% [markdown] tags=["zh"]
# 这些表是在 `nn.Module.__init__` 里创建的。所以 `super().__init__()` 必须在给 `self` 赋任何层之前调用；否则 `__setattr__` 想把层注册进一个还不存在的表，就会报错：

# %% [markdown] tags=["en"]
# These tables are created in `nn.Module.__init__`. So `super().__init__()` must be called before any layer is assigned
# to `self`; otherwise `__setattr__` tries to register the layer in a table that does not exist yet, and fails:

# %%
class Forgetful(nn.Module):
    def __init__(self):
        self.flatten = nn.Flatten()  # 还没有调用 super().__init__() / super().__init__() not called yet
        super().__init__()


try:
    Forgetful()
except AttributeError as e:
    print(f"{type(e).__name__}: {e}")

# %% [markdown] tags=["zh"]
# 另一个常见的坑：层放在普通的 Python 列表里就不会被注册，优化器看不到它们的参数，`model.to(device)` 也不会移动它们。要用 `nn.Sequential` 或 `nn.ModuleList`。

# %% [markdown] tags=["en"]
# Another common trap: layers kept in a plain Python list are not registered, so the optimizer never sees their
# parameters and `model.to(device)` does not move them. Use `nn.Sequential` or `nn.ModuleList`.

# %%
class PlainList(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(784, 10)]  # 普通列表：不注册 / plain list: not registered


class WithModuleList(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(784, 10)])  # 注册 / registered


print(f"普通列表 / plain list:  {fc.count_parameters(PlainList())} 个参数 / parameters")
print(f"nn.ModuleList:          {fc.count_parameters(WithModuleList())} 个参数 / parameters")

# %% [markdown] tags=["zh"]
# ## 3. 四种积木：`Flatten`、`Linear`、`ReLU`、`Sequential`
#
# ### 3.1 定义
#
# 设一个批次有 $N$ 张图片。
#
# - `nn.Flatten()`：把 $(N, 1, 28, 28)$ 变成 $(N, 784)$，保留第 0 维（批次维），其余各维连成一维。
# - `nn.Linear(in, out)`：全连接层。输入 $X$ 的形状为 $(N, \text{in})$，权重 $W$ 的形状为 $(\text{out}, \text{in})$，偏置 $\mathbf{b}$ 的形状为 $(\text{out},)$：
#
# $$Y = X W^\top + \mathbf{b}$$
#
# - `nn.ReLU()`：激活函数，逐个元素地把负数变成 0：
#
# $$\mathrm{ReLU}(z) = \max(0, z)$$
#
# - `nn.Sequential(a, b, c)`：按顺序调用，$c(b(a(x)))$。
#
# ### 3.2 直觉
#
# `Linear` 把每个输出写成输入的加权和再加一个偏置，几个 `Linear` 直接叠起来仍然只是一个线性映射。夹在中间的 `ReLU` 让网络变成分段线性的，这样它才能表示“如果这里亮、那里暗，就像一只鞋”这类非线性的判断。

# %% [markdown] tags=["en"]
# ## 3. Four building blocks: `Flatten`, `Linear`, `ReLU`, `Sequential`
#
# ### 3.1 Definition
#
# Let a batch hold $N$ images.
#
# - `nn.Flatten()`: turns $(N, 1, 28, 28)$ into $(N, 784)$, keeping dimension 0 (the batch) and joining the others.
# - `nn.Linear(in, out)`: a fully connected layer. The input $X$ has shape $(N, \text{in})$, the weight $W$ has shape
#   $(\text{out}, \text{in})$ and the bias $\mathbf{b}$ has shape $(\text{out},)$:
#
# $$Y = X W^\top + \mathbf{b}$$
#
# - `nn.ReLU()`: an activation function that sets every negative element to 0:
#
# $$\mathrm{ReLU}(z) = \max(0, z)$$
#
# - `nn.Sequential(a, b, c)`: calls them in order, $c(b(a(x)))$.
#
# ### 3.2 Intuition
#
# `Linear` writes each output as a weighted sum of the inputs plus a bias, and several `Linear` layers stacked
# directly are still one linear map. The `ReLU` between them makes the network piecewise linear, so that it can
# express non-linear judgements such as "bright here and dark there looks like a shoe".

# %%
z = torch.linspace(-3, 3, 601)
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
axes[0].plot(z, torch.relu(z))
axes[0].set_title(r"$\mathrm{ReLU}(z) = \max(0, z)$")
axes[1].plot(z, (z > 0).float())
axes[1].set_title(fc.label("导数", "derivative") + r": $\mathbf{1}[z > 0]$")
for ax in axes:
    ax.set_xlabel("z")
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# 右图是 ReLU 的导数：正数处为 1，负数处为 0。反向传播时，梯度只从“亮着”的单元流过去。
#
# ### 3.3 从零实现，与 PyTorch 对照
#
# 用几行张量运算写出每一块，在带种子的随机输入上与 PyTorch 的层比较。

# %% [markdown] tags=["en"]
# On the right is the derivative of ReLU: 1 for positive inputs, 0 for negative ones. In backpropagation the gradient
# flows only through the units that are "on".
#
# ### 3.3 From scratch, checked against PyTorch
#
# Write each block in a few tensor operations and compare it with PyTorch's layer on seeded random inputs.

# %%
torch.manual_seed(0)
X = torch.rand(4, 1, 28, 28)  # 4 张随机“图片” / 4 random "images"

# Flatten
flat = X.reshape(X.shape[0], -1)
torch.testing.assert_close(flat, nn.Flatten()(X))

# Linear: Y = X W^T + b
linear = nn.Linear(784, 512)
Y = flat @ linear.weight.T + linear.bias
torch.testing.assert_close(Y, linear(flat))

# ReLU: max(0, z)
torch.testing.assert_close(torch.clamp(Y, min=0), nn.ReLU()(Y))

# 整个模型 = 依次套用这些公式 / the whole model = these formulas in turn
W1, b1 = model.linear_relu_stack[0].weight, model.linear_relu_stack[0].bias
W2, b2 = model.linear_relu_stack[2].weight, model.linear_relu_stack[2].bias
W3, b3 = model.linear_relu_stack[4].weight, model.linear_relu_stack[4].bias
h1 = torch.clamp(flat @ W1.T + b1, min=0)
h2 = torch.clamp(h1 @ W2.T + b2, min=0)
logits_scratch = h2 @ W3.T + b3
torch.testing.assert_close(logits_scratch, model(X))

print(f"形状 / shapes: {tuple(X.shape)} -> {tuple(flat.shape)} -> {tuple(h1.shape)} -> "
      f"{tuple(h2.shape)} -> {tuple(logits_scratch.shape)}")
print("Flatten、Linear、ReLU ✓ 与 PyTorch 一致 / match PyTorch")
print("整个模型 ✓ 等于 relu(relu(x W1ᵀ + b1) W2ᵀ + b2) W3ᵀ + b3 / the whole model equals the formula")

# %% [markdown] tags=["zh"]
# ## 4. 参数个数：手算，再与 PyTorch 对照
#
# `Linear(in, out)` 有 $\text{in} \times \text{out}$ 个权重和 $\text{out}$ 个偏置。设第 $l$ 层有 $n_l$ 个单元（$n_0 = 784$ 是输入），$L$ 层一共有
#
# $$P = \sum_{l=1}^{L} \left( n_{l-1} n_l + n_l \right)$$
#
# 个参数（parameter）。课程模型是 $784 \to 512 \to 512 \to 10$：
#
# | 层 | 权重 | 偏置 | 合计 |
# |---|---|---|---|
# | `Linear(784, 512)` | $784 \times 512 = 401{,}408$ | $512$ | $401{,}920$ |
# | `Linear(512, 512)` | $512 \times 512 = 262{,}144$ | $512$ | $262{,}656$ |
# | `Linear(512, 10)` | $512 \times 10 = 5{,}120$ | $10$ | $5{,}130$ |
# | 总计 | | | $669{,}706$ |
#
# `Flatten` 和 `ReLU` 没有参数。

# %% [markdown] tags=["en"]
# ## 4. The parameter count: by hand, then checked against PyTorch
#
# `Linear(in, out)` has $\text{in} \times \text{out}$ weights and $\text{out}$ biases. With $n_l$ units in layer $l$
# ($n_0 = 784$ is the input), $L$ layers have
#
# $$P = \sum_{l=1}^{L} \left( n_{l-1} n_l + n_l \right)$$
#
# parameters. The course model is $784 \to 512 \to 512 \to 10$:
#
# | layer | weights | biases | total |
# |---|---|---|---|
# | `Linear(784, 512)` | $784 \times 512 = 401{,}408$ | $512$ | $401{,}920$ |
# | `Linear(512, 512)` | $512 \times 512 = 262{,}144$ | $512$ | $262{,}656$ |
# | `Linear(512, 10)` | $512 \times 10 = 5{,}120$ | $10$ | $5{,}130$ |
# | total | | | $669{,}706$ |
#
# `Flatten` and `ReLU` have no parameters.

# %%
sizes = [784, 512, 512, 10]
by_hand = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))
by_pytorch = sum(p.numel() for p in model.parameters())
assert by_hand == by_pytorch == fc.count_parameters(fc.NeuralNetwork()) == 669_706
print(f"手算 / by hand: {by_hand:,}   PyTorch: {by_pytorch:,} ✓")

# %% [markdown] tags=["zh"]
# 约 67 万个参数，每个是 4 字节的 `float32`，模型本身只占约 2.7 MB（本课程的 1 MB 是 $10^6$ 字节；按 $2^{20}$ 字节的 MiB 算是约 2.55 MiB）。其中 60% 在第一层：输入有 784 个像素，每个隐藏单元都要给每个像素一个权重。

# %% [markdown] tags=["en"]
# About 670 thousand parameters of 4 bytes (`float32`) each: the model itself takes only about 2.7 MB (in this course
# 1 MB is $10^6$ bytes; in MiB of $2^{20}$ bytes it is about 2.55 MiB). 60% of them are in the first layer: there are
# 784 input pixels, and each hidden unit gives every pixel a weight.

# %% [markdown] tags=["zh"]
# ## 5. 为什么写 `model(x)`，而不是 `model.forward(x)`
#
# `model(x)` 调用的是 `nn.Module.__call__`。它除了调用 `forward`，还会运行注册在模块上的钩子（hook）。PyTorch 自己的很多工具（比如剪枝、量化、部分性能分析工具）以及你以后会用到的库都靠钩子工作。直接调用 `model.forward(x)` 会绕过这些钩子，得到的结果可能悄悄地不同。
#
# 下面注册一个前向钩子（forward hook），它每运行一次就记一笔：

# %% [markdown] tags=["en"]
# ## 5. Why `model(x)` and never `model.forward(x)`
#
# `model(x)` goes through `nn.Module.__call__`, which calls `forward` and also runs the hooks registered on the
# module. Many of PyTorch's own tools (pruning, quantization, some profilers) and libraries you will use later work
# through hooks. Calling `model.forward(x)` directly skips them, and the result can silently differ.
#
# Below we register a forward hook that makes a note each time it runs:

# %%
calls = []


def note_shape(module, inputs, output):
    calls.append(tuple(output.shape))


handle = model.register_forward_hook(note_shape)

_ = model(X)
print(f"model(x) 之后，钩子运行了 / after model(x), the hook ran: {len(calls)} 次 / time(s)")
_ = model.forward(X)
print(f"model.forward(x) 之后，钩子共运行了 / after model.forward(x), it has run: {len(calls)} 次 / time(s)")
handle.remove()  # 用完移除 / remove it when done
assert calls == [(4, 10)]

# %% [markdown] tags=["zh"]
# `model.forward(x)` 的输出在这里碰巧一样，但钩子被跳过了。记住：永远写 `model(x)`。

# %% [markdown] tags=["en"]
# Here `model.forward(x)` happens to give the same output, but the hook was skipped. Remember: always write `model(x)`.

# %% [markdown] tags=["zh"]
# ## 6. logits、概率与预测类别
#
# ### 6.1 定义
#
# 模型的 10 个输出 $z_1, \dots, z_{10}$ 叫 logits（未归一化的分数）：可以是任意实数，加起来也不一定等于 1。softmax 把它们变成概率：
#
# $$p_k = \frac{e^{z_k}}{\sum_{j=1}^{10} e^{z_j}}$$
#
# 每个 $p_k$ 在 0 和 1 之间，十个加起来等于 1。预测的类别是分数最大的那个：
#
# $$\hat{y} = \arg\max_k z_k = \arg\max_k p_k$$
#
# 两个 $\arg\max$ 相同：$p_k = e^{z_k} / S$，分母 $S = \sum_j e^{z_j}$ 对所有类别都相同且为正，而 $e^z$ 单调递增，所以 $z_k$ 越大，$p_k$ 就越大。所以只要类别、不要概率时，可以跳过 softmax。
#
# ### 6.2 从零实现，与 PyTorch 对照
#
# 取验证集的前 8 张真实图片，送进一个（还没训练的）模型。验证集是从 60,000 张训练图片里固定留出的 10,000 张（`fc.split_indices()`），训练时不用；测试集留到最后只看一次，为什么这样分，第 04 课细讲。模型和数据都放到 `device` 上；预测时不需要梯度，所以放在 `torch.no_grad()` 里，省下记录计算图的时间和内存。

# %% [markdown] tags=["en"]
# ## 6. Logits, probabilities and the predicted class
#
# ### 6.1 Definition
#
# The model's 10 outputs $z_1, \dots, z_{10}$ are called logits: any real numbers, not normalized. Softmax turns them
# into probabilities:
#
# $$p_k = \frac{e^{z_k}}{\sum_{j=1}^{10} e^{z_j}}$$
#
# Each $p_k$ lies between 0 and 1 and the ten sum to 1. The predicted class is the one with the largest score:
#
# $$\hat{y} = \arg\max_k z_k = \arg\max_k p_k$$
#
# The two $\arg\max$ agree: $p_k = e^{z_k} / S$, where the denominator $S = \sum_j e^{z_j}$ is the same for every
# class and positive, and $e^z$ is increasing, so the larger $z_k$, the larger $p_k$. So when you want the class and
# not the probabilities, you can skip the softmax.
#
# ### 6.2 From scratch, checked against PyTorch
#
# Take the first 8 real images of the validation set and feed them to an (untrained) model. The validation set is
# the 10,000 images held out, always the same ones, from the 60,000 training images (`fc.split_indices()`) and never
# trained on; the test set is kept for one look at the end, and lesson 04 explains why. Model and data go to `device`;
# prediction needs no gradients, so it runs inside `torch.no_grad()`, which saves the time and memory of recording
# the graph.

# %%
X_all, y_all = fc.load_tensors(train=True)
val_idx = fc.split_indices()[1]  # 留出的 10,000 张 / the 10,000 held out
X_val, y_val = X_all[val_idx], y_all[val_idx]  # 验证集，(10000, 1, 28, 28) / the validation set
images, labels = X_val[:8], y_val[:8]

fc.set_seed(0)
model = fc.NeuralNetwork().to(device)
with torch.no_grad():
    logits = model(images.to(device)).cpu()

# softmax 从零实现（先减去最大值，防止 exp 溢出）/ softmax from scratch (subtract the max so exp cannot overflow)
shifted = logits - logits.max(dim=1, keepdim=True).values
probs = shifted.exp() / shifted.exp().sum(dim=1, keepdim=True)
torch.testing.assert_close(probs, torch.softmax(logits, dim=1))
torch.testing.assert_close(probs.sum(dim=1), torch.ones(8))
assert torch.equal(probs.argmax(dim=1), logits.argmax(dim=1))
print("softmax ✓ 与 torch.softmax 一致，每行和为 1，argmax 相同 / matches, rows sum to 1, same argmax")

print(f"\nlogits 的形状 / shape of the logits: {tuple(logits.shape)}")
print("第一张图片的 logits / logits of the first image:")
print(" ".join(f"{v:6.3f}" for v in logits[0].tolist()))
print("第一张图片的概率 / probabilities of the first image:")
print(" ".join(f"{v:6.3f}" for v in probs[0].tolist()))

# %% [markdown] tags=["zh"]
# 没训练过的模型，10 个概率都接近 $1/10$：它还什么都不知道（6.3 节解释原因）。下图是这 8 张图片，标题是模型的预测，预测对的是绿色，错的是红色。

# %% [markdown] tags=["en"]
# For an untrained model the 10 probabilities are all close to $1/10$: it knows nothing yet (section 6.3 explains why).
# Below are the 8 images, each titled with the model's prediction, green when right and red when wrong.

# %%
fig = fc.show_images(images, labels, preds=logits.argmax(dim=1), ncols=8)
plt.show()

# %% [markdown] tags=["zh"]
# ### 6.3 为什么接近 1/10：默认初始化
#
# `nn.Linear(in, out)` 一创建就有了随机的权重和偏置。PyTorch 的源码写的是 `kaiming_uniform_(weight, a=math.sqrt(5))`，算下来恰好是权重和偏置都从同一个均匀分布里抽取：
#
# $$W_{ij},\ b_i \sim U\left(-\frac{1}{\sqrt{\text{in}}},\ \frac{1}{\sqrt{\text{in}}}\right)$$
#
# 第一层 $\text{in} = 784$，界是 $1/28 \approx 0.036$。这些权重很小：$U(-a, a)$ 的方差是 $a^2/3$，所以一个输出 $z_i = \sum_j W_{ij} x_j + b_i$ 的均方约为 $\text{in} \cdot \frac{1}{3\,\text{in}} \cdot \overline{x^2} = \overline{x^2}/3$（再加上偏置的一小份），也就是每个 `Linear` 把输入的均方（$\overline{x^2}$，各元素平方的平均）乘以约 $1/3$，每个 `ReLU` 再把它减半（正负各一半，负的变成 0）。三层之后 logits 只有零点零几，彼此几乎相等；而 softmax 对几乎相等的 logits 给出几乎相等的概率，都接近 $1/10$。下面核对这个界、这条估算，再看一个反例：权重改从标准差为 1 的正态分布抽取，logits 大上千倍，没训练的模型就会“很有把握”地给出随机的答案。初始化还有别的选择（`torch.nn.init` 里的 Kaiming、Xavier 等），它们决定训练开始时信号和梯度有多大；本课程一直用默认的初始化。

# %% [markdown] tags=["en"]
# ### 6.3 Why close to 1/10: the default initialization
#
# `nn.Linear(in, out)` has random weights and biases as soon as it is created. PyTorch's source says
# `kaiming_uniform_(weight, a=math.sqrt(5))`, which works out to drawing the weights and the biases from the same
# uniform distribution:
#
# $$W_{ij},\ b_i \sim U\left(-\frac{1}{\sqrt{\text{in}}},\ \frac{1}{\sqrt{\text{in}}}\right)$$
#
# For the first layer $\text{in} = 784$ and the bound is $1/28 \approx 0.036$. These weights are small: the variance
# of $U(-a, a)$ is $a^2/3$, so an output $z_i = \sum_j W_{ij} x_j + b_i$ has a mean square of about
# $\text{in} \cdot \frac{1}{3\,\text{in}} \cdot \overline{x^2} = \overline{x^2}/3$ (plus a small share from the bias):
# each `Linear` multiplies the mean square of its input ($\overline{x^2}$, the average of the squared elements) by
# about $1/3$, and each `ReLU` halves it (half the outputs are negative and become 0). After three layers the logits are
# a few hundredths and nearly equal, and softmax turns nearly equal logits into nearly equal probabilities, all close to
# $1/10$. Below we check the bound and this estimate, then a counterexample: with weights drawn from a normal
# distribution of standard deviation 1 the logits are over a thousand times larger, and the untrained model gives random
# answers "with confidence". There are other initializations (Kaiming, Xavier and more in `torch.nn.init`); they set
# how large the signals and gradients are when training starts. This course keeps the default one.

# %%
linears = [m for m in model.modules() if isinstance(m, nn.Linear)]  # 未训练、种子 0 / untrained, seed 0
for layer in linears:
    bound = 1 / math.sqrt(layer.in_features)
    W, b = layer.weight.detach().cpu(), layer.bias.detach().cpu()
    assert W.abs().max() <= bound and b.abs().max() <= bound  # 都在界内 / within the bound
    assert W.abs().max() > 0.99 * bound  # 取满了整个区间 / filling the whole interval
    assert abs(W.std() / (bound / math.sqrt(3)) - 1) < 0.03  # U(-a, a) 的标准差是 a/√3 / its std
    print(f"Linear({layer.in_features}, {layer.out_features}): |W|, |b| ≤ 1/√{layer.in_features}"
          f" = {bound:.4f}, std(W) ≈ {bound:.4f}/√3 ✓")

# 估算：每个 Linear 把均方乘以 1/3（加上偏置的 1/(3 in)），每个 ReLU 减半
# estimate: each Linear multiplies the mean square by 1/3 (plus 1/(3 in) from the bias),
# each ReLU halves it
mean_square = (X_val**2).mean().item()
for k, layer in enumerate(linears):
    mean_square = mean_square / 3 + 1 / (3 * layer.in_features)
    if k < len(linears) - 1:
        mean_square /= 2
with torch.no_grad():
    all_logits = model(X_val.to(device)).cpu()  # 整个验证集 / the whole validation set
rms = all_logits.pow(2).mean().sqrt().item()
assert 0.5 < rms / math.sqrt(mean_square) < 2  # 估算差不到 2 倍 / within a factor of 2
all_probs = torch.softmax(all_logits, dim=1)
assert 0.05 < all_probs.min() and all_probs.max() < 0.2
print(f"logits 的均方根 / rms of the logits: 估算 / estimated {math.sqrt(mean_square):.2f}，"
      f"实测 / measured {rms:.2f}")
print("10,000 张验证图片的每个概率都在 0.05 与 0.2 之间 ✓ / every probability lies between 0.05 and 0.2")

# 反例：权重 ~ N(0, 1) / counterexample: weights ~ N(0, 1)
fc.set_seed(0)
loud = fc.NeuralNetwork().to(device)
for layer in loud.modules():
    if isinstance(layer, nn.Linear):
        nn.init.normal_(layer.weight, std=1.0)
with torch.no_grad():
    loud_logits = loud(X_val.to(device)).cpu()
assert loud_logits.pow(2).mean().sqrt() > 1000 * rms
assert torch.softmax(loud_logits, dim=1).max(dim=1).values.mean() > 0.99
print("权重 ~ N(0, 1)：logits 大了上千倍，平均最大概率超过 0.99 ✓")
print("weights ~ N(0, 1): logits over 1000 times larger, mean top probability above 0.99 ✓")

fig, ax = plt.subplots(figsize=(6, 2.5))
ax.hist(linears[0].weight.detach().cpu().flatten(), bins=60)
for x in (-1 / 28, 1 / 28):
    ax.axvline(x, color="red", linestyle="--")
ax.set_xlabel(fc.label("第一层的权重（红线：±1/28）", "weights of the first layer (red: ±1/28)"))
ax.set_ylabel(fc.label("个数", "count"))
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# 直方图是平的：401,408 个权重均匀地铺满 $\pm 1/28$ 之间。
#
# ### 6.4 训练一轮之后
#
# 为了看到有意义的预测，先用 Adam 优化器在其余 50,000 张训练图片上训练一轮，再在验证集上检查。这里只管结果：梯度是怎样算出来的，见第 02 课；训练循环在第 03 课一步一步拆开讲。训练的输出每次运行都略有不同，所以这个单元格不参与输出比较；下一个单元格检查验证准确率在合理范围内。

# %% [markdown] tags=["en"]
# The histogram is flat: the 401,408 weights spread evenly between $\pm 1/28$.
#
# ### 6.4 After one epoch of training
#
# To see meaningful predictions, first train for one epoch with the Adam optimizer on the other 50,000 training
# images, then check on the validation set. Here we only want the result: how the gradients are computed is lesson
# 02, and lesson 03 takes the training loop apart step by step. Training output differs a little from run to run, so
# this cell's output is not compared; the next cell checks that the validation accuracy lies in a sensible range.

# %% tags=["nbval-ignore-output"]
fc.set_seed(0)
model = fc.NeuralNetwork().to(device)
train_loader, val_loader, _ = fc.get_tensor_loaders(
    batch_size=64, device=device, generator=torch.Generator().manual_seed(0), val_size=10_000)
history = fc.fit(model, train_loader, val_loader, nn.CrossEntropyLoss(),
                 torch.optim.Adam(model.parameters(), lr=1e-3), epochs=1, progress=False,
                 eval_name="val")

# %%
assert 0.75 < history[-1]["val_acc"] < 0.95
print("训练一轮后，验证准确率在 75% 与 95% 之间 ✓")
print("after one epoch the validation accuracy lies between 75% and 95% ✓")

# %%
model.eval()  # 预测模式（第 03 课解释）/ evaluation mode (explained in lesson 03)
with torch.no_grad():
    logits = model(images.to(device)).cpu()
assert (logits.argmax(dim=1) == labels).sum() >= 5  # 8 张里大多数对了 / most of the 8 are right
fig = fc.show_images(images, labels, preds=logits.argmax(dim=1), ncols=8)
plt.show()

# %% [markdown] tags=["zh"]
# 训练一轮后，大多数预测已经对了。下面画出第二张图片（一条连衣裙）的 10 个概率：概率分散在 T 恤/上衣、连衣裙和衬衫这几种上身的衣服上，没有一个超过 0.8，模型拿不准。这些概率可以粗略地看作模型有多确定，但未必校准（calibrated）：模型给出 90% 概率的那些预测，并不一定有 90% 是对的。

# %% [markdown] tags=["en"]
# After one epoch most predictions are right. Here are the 10 probabilities for the second image (a dress): the
# probability is spread over T-shirt/top, dress and shirt, garments worn on the upper body, none above 0.8: the model
# is unsure. The probabilities can be read roughly as how sure the model is, but
# they need not be calibrated: of the predictions the model makes with 90% probability, not necessarily 90% are right.

# %%
probs = torch.softmax(logits, dim=1)
# 大部分概率在 T 恤/上衣、连衣裙、衬衫上，没有一个超过 0.8
# most of the probability on T-shirt/top, dress and shirt, none above 0.8
assert probs[1, [0, 3, 6]].sum() > 0.8 and probs[1].max() < 0.8, probs[1]
fig, ax = plt.subplots(figsize=(9, 3))
ax.bar(range(10), probs[1])
ax.set_xticks(range(10), [fc.class_label(i) for i in range(10)], fontsize=7)
ax.set_ylabel(fc.label("概率", "probability"))
ax.set_title(fc.label(f"第二张验证图片，真实类别：{fc.class_name(labels[1], 'zh')}",
                     f"second validation image, true class: {fc.class_name(labels[1], 'en')}"))
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# ## 7. 设备：模型和数据必须在一起
#
# `fc.get_device()` 在有 NVIDIA GPU 时返回 `cuda`，在 Apple 芯片上返回 `mps`，否则返回 `cpu`。模型和每个批次的数据都要送到同一个设备上：
#
# ```python
# model = model.to(device)   # 模块：原地移动所有参数，返回它自己
# X, y = X.to(device), y.to(device)   # 张量：返回一个新张量，必须赋值回去
# ```
#
# 两者的区别是常见的坑：`model.to(device)` 会原地移动，而 `X.to(device)` 不改 `X`，只返回一个新张量。下面用数据类型（dtype）转换来演示，因为它在任何机器上都一样：

# %% [markdown] tags=["en"]
# ## 7. Devices: the model and the data must be together
#
# `fc.get_device()` returns `cuda` with an NVIDIA GPU, `mps` on Apple silicon, and `cpu` otherwise. The model and every
# batch of data must be sent to the same device:
#
# ```python
# model = model.to(device)   # module: moves all parameters in place, returns itself
# X, y = X.to(device), y.to(device)   # tensor: returns a new tensor, which you must assign
# ```
#
# The difference is a common trap: `model.to(device)` moves in place, while `X.to(device)` leaves `X` alone and returns
# a new tensor. We show it with a dtype conversion, because that behaves the same on every machine:

# %%
m = nn.Linear(2, 2)
returned = m.to(torch.float64)
print(f"模块 / module: returned is m → {returned is m}, m.weight.dtype = {m.weight.dtype}")

t = torch.zeros(2)
converted = t.to(torch.float64)
print(f"张量 / tensor: t.dtype = {t.dtype}（未变 / unchanged），新张量 / new tensor: {converted.dtype}")

# %% [markdown] tags=["zh"]
# ### 7.1 设备不一致时的报错
#
# 如果模型在 NVIDIA GPU（`cuda`）上、数据还在 CPU 上，`model(X)` 会抛出 `RuntimeError`，开头是：
#
# ```text
# RuntimeError: Expected all tensors to be on the same device
# ```
#
# 后面接着说明哪个张量在哪个设备上，具体措辞随 PyTorch 版本而变。读法：某个运算（这里是 `Linear` 里的矩阵乘法）的输入有的在 GPU（`cuda:0`）上、有的在 `cpu` 上。修正方法是把数据也 `.to(device)`。在 Apple 芯片的 `mps` 上，同样的错误措辞不同（例如 `Placeholder storage has not been allocated on MPS device!`，也随版本而变），原因和修正方法相同。
#
# 如果你的机器没有 GPU，就不能真的触发这个错误。`meta` 设备在任何机器上都有：它只记录形状、不存数据。把模型放到 `meta` 上、数据留在 CPU 上，得到的是同一类错误：

# %% [markdown] tags=["en"]
# ### 7.1 The error when the devices differ
#
# If the model is on an NVIDIA GPU (`cuda`) and the data is still on the CPU, `model(X)` raises a `RuntimeError` that
# begins:
#
# ```text
# RuntimeError: Expected all tensors to be on the same device
# ```
#
# The rest says which tensor is on which device; its exact wording changes between PyTorch versions. How to read it:
# the inputs of one operation (here the matrix product inside `Linear`) are partly on the GPU (`cuda:0`) and partly
# on `cpu`. The fix is to send the data `.to(device)` as well. On Apple silicon's `mps` the same mistake is worded
# differently (for example `Placeholder storage has not been allocated on MPS device!`, which also changes between
# versions); the cause and the fix are the same.
#
# If your machine has no GPU, you cannot trigger that error for real. The `meta` device exists on every machine: it
# records shapes and holds no data. With the model on `meta` and the data on the CPU we get the same kind of error:

# %%
meta_model = fc.NeuralNetwork().to("meta")
cpu_images = images.cpu()
try:
    meta_model(cpu_images)
except RuntimeError as e:
    print(f"{type(e).__name__}: {str(e).splitlines()[0]}")

# %% [markdown] tags=["zh"]
# 数据类型不一致时报的也是 `RuntimeError`。最常见的原因是直接用了 `dataset.data` 里的 `uint8` 像素，没有经过 `ToTensor`（上一课）：

# %% [markdown] tags=["en"]
# A dtype mismatch raises a `RuntimeError` too. The most common cause is feeding the raw `uint8` pixels of
# `dataset.data` without `ToTensor` (previous lesson):

# %%
raw_pixels = (images * 255).to(torch.uint8)  # 像 dataset.data 一样的 uint8 / uint8 like dataset.data
try:
    fc.NeuralNetwork()(raw_pixels)
except RuntimeError as e:
    print(f"{type(e).__name__}: {str(e).splitlines()[0]}")

# %%
# 有 GPU 时，真的触发设备错误，核对上面引用的开头；没有 GPU 时什么也不做。两种情况都不打印。
# With a GPU, trigger the real device error and check the beginning quoted above;
# without one, do nothing. Either way nothing is printed.
if device.type == "cuda":
    try:
        fc.NeuralNetwork().to(device)(cpu_images)
        raise AssertionError("应该报错 / should have raised")
    except RuntimeError as e:
        assert "Expected all tensors to be on the same device" in str(e), e

# %% [markdown] tags=["zh"]
# ## 8. `state_dict`：保存与载入
#
# `model.state_dict()` 是一个有序字典：名字 → 张量。它装着所有参数，也装着持久的（persistent）缓冲区（buffer）：缓冲区是注册在模块上、但不由优化器训练的张量，例如 `BatchNorm` 的均值和方差的滑动平均。用 `register_buffer(name, tensor, persistent=False)` 注册的非持久缓冲区会随 `model.to(device)` 移动，但不进 `state_dict`，也就不会被保存。课程模型没有缓冲区，所以下面只列出参数。
#
# 保存 `state_dict`（而不是整个模型对象）是 PyTorch 推荐的做法：文件里只有张量和数字。载入时用 `torch.load(..., weights_only=True)`：它只还原张量、数字、字典这类数据，遇到别的对象就拒绝载入，不会执行文件里的任何代码；而 `weights_only=False` 会按文件的指示调用任意函数，只能用于完全信任的文件。从 PyTorch 2.6 起 `weights_only=True` 已是默认值（本课程要求 2.7 以上），我们仍然把它写出来，让读代码的人一眼看出这一点。载入前要先建一个同样结构的模型，再调用 `load_state_dict`；要用它预测，先调用 `eval()`：有些层（`Dropout`、`BatchNorm`，第 03 课）在训练和预测时行为不同，`eval()` 让它们按预测的方式工作。
#
# 我们把文件写到一个临时目录里，运行结束后它会被删除。

# %% [markdown] tags=["en"]
# ## 8. `state_dict`: saving and loading
#
# `model.state_dict()` is an ordered dictionary: name → tensor. It holds every parameter and also the persistent
# buffers: tensors registered on a module that the optimizer does not train, such as the running mean and variance of
# `BatchNorm`. A buffer registered with `register_buffer(name, tensor, persistent=False)` moves with
# `model.to(device)` but is left out of the `state_dict`, so it is not saved. The course model has no buffers, so
# below it lists only parameters.
#
# Saving the `state_dict` (rather than the whole model object) is what PyTorch recommends: the file holds only tensors
# and numbers. Load it with `torch.load(..., weights_only=True)`: it restores only data such as tensors, numbers and
# dictionaries, refuses a file that holds anything else, and runs no code from the file; `weights_only=False` calls
# whatever functions the file asks for, and is only for files you fully trust. `weights_only=True` has been the default
# since PyTorch 2.6 (the course requires 2.7 or later); we still write it out, so that a reader sees it at a glance.
# To load, first build a model of the same structure, then call `load_state_dict`; to predict with it, call `eval()`
# first: some layers (`Dropout`, `BatchNorm`, lesson 03) behave differently in training and in prediction, and
# `eval()` makes them work the prediction way.
#
# We write the file into a temporary directory that is deleted at the end.

# %%
state = model.state_dict()
for name, tensor in state.items():
    print(f"{name:<28} {tuple(tensor.shape)}")
assert list(state) == [name for name, _ in model.named_parameters()]  # 没有缓冲区 / no buffers
print("BatchNorm1d 的 state_dict 还有缓冲区 / BatchNorm1d's state_dict also holds buffers:")
print(list(nn.BatchNorm1d(3).state_dict()))


class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.zeros(3))  # 持久：会保存 / persistent: saved
        self.register_buffer("scratch", torch.zeros(3), persistent=False)  # 不保存 / not saved


with_buffers = WithBuffers()
assert [name for name, _ in with_buffers.named_buffers()] == ["mean", "scratch"]
assert list(with_buffers.state_dict()) == ["mean"]
print("persistent=False 的缓冲区不在 state_dict 里 / a persistent=False buffer is not in the state_dict:",
      list(with_buffers.state_dict()))

with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "model_weights.pth"
    torch.save(model.state_dict(), path)
    print(f"\n文件大小 / file size: {path.stat().st_size / 1e6:.1f} MB")

    reloaded = fc.NeuralNetwork()  # 新模型，权重是随机的 / a new model, random weights
    result = reloaded.load_state_dict(torch.load(path, map_location=device, weights_only=True))
    print(f"load_state_dict: {result}")
reloaded = reloaded.to(device)

reloaded.eval()
with torch.no_grad():
    X_dev = X_val[:1000].to(device)
    same = torch.equal(reloaded(X_dev), model(X_dev))
    untrained_differs = not torch.equal(fc.NeuralNetwork().to(device)(X_dev), model(X_dev))
assert same and untrained_differs
print("载入的模型输出完全相同 ✓ / the reloaded model gives identical outputs (1000 validation images)")

# %% [markdown] tags=["zh"]
# `map_location=device` 让在 GPU 上保存的权重也能在只有 CPU 的机器上载入。结构不同时，`load_state_dict` 会拒绝载入并列出对不上的参数，例如把权重载入一个隐藏层只有 256 个单元的模型：

# %% [markdown] tags=["en"]
# `map_location=device` lets weights saved on a GPU load on a CPU-only machine. When the structure differs,
# `load_state_dict` refuses and lists the parameters that do not fit, for example when loading into a model whose
# hidden layers have only 256 units:

# %%
try:
    fc.NeuralNetwork(hidden=256).load_state_dict(state)
except RuntimeError as e:
    lines = str(e).splitlines()
    print(f"{type(e).__name__}: {lines[0]}")
    print(textwrap.fill(lines[1].strip(), width=100))  # 折行 / wrapped

# %% [markdown] tags=["zh"]
# 传 `strict=False` 也改变不了这一点：形状对不上时照样报错（下面核对）。`strict=False` 放宽的只是名字：文件里多出的、模型里缺少的张量不再报错，名字对得上的照常载入，其余的层悄悄保留随机权重。它只适合有意只载入一部分的场合（例如换了最后一层的预训练模型），而且要检查它返回的 `missing_keys` 和 `unexpected_keys`。

# %% [markdown] tags=["en"]
# Passing `strict=False` does not change that: a shape mismatch still raises (checked below). What `strict=False`
# relaxes is only the names: tensors that the file has and the model lacks, or the other way round, no longer raise;
# those whose names match are loaded, and the other layers silently keep their random weights. It is meant for loading
# part of a model on purpose (say a pretrained model whose last layer was replaced), and then you check the
# `missing_keys` and `unexpected_keys` it returns.

# %%
try:
    fc.NeuralNetwork(hidden=256).load_state_dict(state, strict=False)
    raise AssertionError("应该报错 / should have raised")
except RuntimeError as e:
    assert "size mismatch" in str(e), e
print("形状不同时 strict=False 也报错 ✓ / with a shape mismatch, strict=False raises too")

# %% [markdown] tags=["zh"]
# ## 练习 1：更宽、更深的 MLP 有多大
#
# 第 4 节只数了课程模型。写出 `mlp_size(sizes)`：`sizes` 是各层的单元数，例如 `[784, 1024, 1024, 10]` 表示 `Linear(784, 1024)`、`Linear(1024, 1024)`、`Linear(1024, 10)` 三层（层与层之间的 `ReLU` 没有参数）。返回三个值 `(n, mb, k)`：
#
# - `n`：这些 `Linear` 层一共有多少个参数（整数）；
# - `mb`：所有参数以 `float32` 存储时占多少 MB，这里 1 MB = $10^6$ 字节（不是 $2^{20}$ 字节的 MiB），不要四舍五入；
# - `k`：参数最多的那一层的编号：从 0 数起，只数 `Linear` 层，`Linear(sizes[k], sizes[k+1])` 是第 k 层（两层一样多时，哪个编号都算对）。
#
# 不要建模型，用公式算。检查会试几组它自己选的 `sizes`。先想一想：在 `[784, 1024, 1024, 10]` 里，参数最多的还是第一层吗？

# %% [markdown] tags=["en"]
# ## Exercise 1: how large is a wider, deeper MLP
#
# Section 4 counted the course model only. Write `mlp_size(sizes)`: `sizes` lists the units of each layer, e.g.
# `[784, 1024, 1024, 10]` means the three layers `Linear(784, 1024)`, `Linear(1024, 1024)` and `Linear(1024, 10)` (the
# `ReLU`s between them have no parameters). Return three values `(n, mb, k)`:
#
# - `n`: how many parameters these `Linear` layers have in all (an integer);
# - `mb`: how many MB all the parameters take stored as `float32`, where 1 MB = $10^6$ bytes (not the MiB of $2^{20}$
#   bytes); do not round;
# - `k`: the index of the layer with the most parameters: counting from 0 and only the `Linear` layers,
#   `Linear(sizes[k], sizes[k+1])` is layer k (when two layers tie, either index is right).
#
# Do not build a model: use the formulas. The check tries several `sizes` of its own choosing. Think first: in
# `[784, 1024, 1024, 10]`, is the first layer still the largest?

# %% nbgrader={"grade": false, "grade_id": "l01_ex1_mlp_size", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-transfer"]
def mlp_size(sizes):
    ### BEGIN SOLUTION
    per_layer = [n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:])]
    n = sum(per_layer)
    return n, n * 4 / 10**6, per_layer.index(max(per_layer))
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l01_ex1_mlp_size_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex1_mlp_size(mlp_size)

# %% [markdown] tags=["zh"]
# ## 练习 2：先预测，再运行：`state_dict` 有几项
#
# 下面这个模型在两个 `Linear` 之间加了一个 `BatchNorm1d`（第 8 节打印过它的 `state_dict`）：
#
# ```python
# bn_model = nn.Sequential(
#     nn.Flatten(), nn.Linear(784, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, 10)
# )
# ```
#
# 先不要运行下一个单元格。预测 `len(bn_model.state_dict())` 是多少，让 `predict_state_dict_entries()` 返回你的预测（一个整数），然后再运行下一个单元格看答案。

# %% [markdown] tags=["en"]
# ## Exercise 2: predict, then run: how many entries has the `state_dict`
#
# This model puts a `BatchNorm1d` between the two `Linear` layers (section 8 printed its `state_dict`):
#
# ```python
# bn_model = nn.Sequential(
#     nn.Flatten(), nn.Linear(784, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, 10)
# )
# ```
#
# Do not run the next cell yet. Predict `len(bn_model.state_dict())` and make `predict_state_dict_entries()` return
# your prediction (an integer); then run the next cell to see the answer.

# %% nbgrader={"grade": false, "grade_id": "l01_ex2_state_dict_entries", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-predict"]
def predict_state_dict_entries():
    ### BEGIN SOLUTION
    return 9
    ### END SOLUTION

# %%
bn_model = nn.Sequential(
    nn.Flatten(), nn.Linear(784, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, 10)
)
for name, tensor in bn_model.state_dict().items():
    kind = "参数 / parameter" if name in dict(bn_model.named_parameters()) else "缓冲区 / buffer"
    print(f"{name:<24} {str(tuple(tensor.shape)):<10} {kind}")
print(f"len(bn_model.state_dict()) = {len(bn_model.state_dict())}")

# %% nbgrader={"grade": true, "grade_id": "l01_ex2_state_dict_entries_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex2_state_dict_entries(predict_state_dict_entries)

# %% [markdown] tags=["zh"]
# ## 练习 3：找出 `load_checkpoint` 的三个 bug
#
# 一位同事写了下面的函数，把保存的权重载入模型、准备用来预测。它从来不报错，这正是问题所在：它有三个 bug，每一个都把本该暴露出来的问题藏了起来。
#
# 写出修好的 `load_checkpoint(path, model)`，参数不变：把文件 `path` 里的权重载入 `model` 并返回 `model`，而且
#
# - 不执行文件里的任何代码（来历不明的文件可能是恶意的）；
# - 文件与模型的结构对不上时报错，而不是留下一部分随机权重；
# - 返回的模型可以直接用来预测。
#
# 文件可能是在 GPU 上保存的，`map_location="cpu"` 是对的，保留它。检查会用一个带 `Dropout` 的小模型和三个文件来试：一个正常的文件、一个载入时会执行代码的文件、一个来自另一种结构的文件。

# %% [markdown] tags=["en"]
# ## Exercise 3: find the three bugs in `load_checkpoint`
#
# A colleague wrote the function below to load saved weights into a model before predicting with it. It never
# raises an error, and that is the problem: it has three bugs, and each one hides a problem that should have shown.
#
# Write the fixed `load_checkpoint(path, model)`, with the same parameters: load the weights in the file `path` into
# `model` and return `model`, such that
#
# - it runs no code from the file (a file of unknown origin may be malicious);
# - it raises when the file does not fit the model's structure, instead of leaving some layers with random weights;
# - the returned model is ready to predict with.
#
# The file may have been saved on a GPU: `map_location="cpu"` is right, keep it. The check tries a small model with a
# `Dropout` and three files: a good one, one that runs code when it is loaded, and one from another architecture.

# %%
def buggy_load_checkpoint(path, model):
    try:
        state = torch.load(path, map_location="cpu")
    except pickle.UnpicklingError:  # 旧格式的文件 / files in an old format
        state = torch.load(path, map_location="cpu", weights_only=False)
    model.load_state_dict(state, strict=False)  # 不要 “Missing key(s)” 报错 / no errors
    return model

# %% nbgrader={"grade": false, "grade_id": "l01_ex3_load_checkpoint", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-debug"]
def load_checkpoint(path, model):
    ### BEGIN SOLUTION
    state = torch.load(path, map_location="cpu", weights_only=True)  # 拒绝执行代码 / refuse code
    model.load_state_dict(state)  # strict=True：结构不符就报错 / raises on a mismatch
    model.eval()  # 预测模式 / ready to predict
    return model
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l01_ex3_load_checkpoint_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex3_load_checkpoint(load_checkpoint)

# %% [markdown] tags=["zh"]
# ## 小结
#
# - `nn.Module` 在 `__init__` 里注册子模块和参数；`super().__init__()` 要最先调用；层不要放进普通列表。
# - 课程模型 $784 \to 512 \to 512 \to 10$ 有 $401{,}920 + 262{,}656 + 5{,}130 = 669{,}706$ 个参数。
# - 写 `model(x)`：`__call__` 会运行钩子，`forward` 直接调用会跳过它们。
# - 模型输出 logits；softmax 给出概率；两者的 argmax 相同，因为分母对所有类别相同且为正，而 $e^z$ 单调递增。
# - `nn.Linear` 默认从 $U(-1/\sqrt{\text{in}}, 1/\sqrt{\text{in}})$ 初始化权重和偏置：没训练的模型 logits 很小，概率都接近 $1/10$。
# - 模型和数据要在同一个设备上；`model.to(device)` 原地移动，`X = X.to(device)` 要赋值。
# - 保存 `state_dict`（参数和持久的缓冲区），用 `torch.load(..., weights_only=True)` 和 `load_state_dict` 载入到同样结构的新模型，预测前调用 `eval()`；不要用 `strict=False` 或 `weights_only=False` 让报错消失。
#
# 下一课：[02 自动求导](02_autograd.ipynb)，看 PyTorch 怎样算出训练所需的梯度。

# %% [markdown] tags=["en"]
# ## Summary
#
# - `nn.Module` registers submodules and parameters in `__init__`; call `super().__init__()` first; never keep layers
#   in a plain list.
# - The course model $784 \to 512 \to 512 \to 10$ has $401{,}920 + 262{,}656 + 5{,}130 = 669{,}706$ parameters.
# - Write `model(x)`: `__call__` runs the hooks, calling `forward` directly skips them.
# - The model outputs logits; softmax gives probabilities; both have the same argmax, because the denominator is the
#   same positive number for every class and $e^z$ is increasing.
# - `nn.Linear` initializes its weights and biases from $U(-1/\sqrt{\text{in}}, 1/\sqrt{\text{in}})$ by default: an
#   untrained model has small logits and probabilities all close to $1/10$.
# - The model and the data must be on the same device; `model.to(device)` moves in place, `X = X.to(device)` must be
#   assigned.
# - Save the `state_dict` (the parameters and the persistent buffers), load it with `torch.load(..., weights_only=True)`
#   and `load_state_dict` into a new model of the same structure, and call `eval()` before predicting; never make an
#   error go away with `strict=False` or `weights_only=False`.
#
# Next: [02 Autograd](02_autograd.ipynb), how PyTorch computes the gradients that training needs.
