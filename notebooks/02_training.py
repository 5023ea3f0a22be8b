# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,nbgrader,-all
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["zh"]
# # 02 超参数与训练循环
#
# 上一课：[01 模型](01_model.ipynb) · 下一课：[05 回归损失函数](05_losses_regression.ipynb)
#
# 学完这一课，你能够：
#
# - 说出学习率、批次大小和轮数各自控制什么，算出一轮有多少次迭代；
# - 逐行写出训练循环（前向、损失、`backward`、`step`、`zero_grad`），说出每一步对 `.grad` 和权重做了什么；
# - 认出忘记 `zero_grad` 的错误，正确使用 `model.train()`、`model.eval()` 和 `torch.no_grad()`；
# - 解释原教程的配置为什么只有约 65% 的测试准确率，并把同一个模型训练到 88% 以上；
# - 用混淆矩阵和每类准确率看出模型在哪里出错；
# - 初步使用 `torch.optim.lr_scheduler`。

# %% [markdown] tags=["en"]
# # 02 Hyperparameters and the training loop
#
# Previous: [01 The model](01_model.ipynb) · Next: [05 Regression losses](05_losses_regression.ipynb)
#
# After this lesson you can:
#
# - say what the learning rate, the batch size and the number of epochs each control, and count the iterations of an epoch;
# - write the training loop line by line (forward, loss, `backward`, `step`, `zero_grad`) and say what each step does to
#   `.grad` and to the weights;
# - recognize the forgotten-`zero_grad` bug, and use `model.train()`, `model.eval()` and `torch.no_grad()` correctly;
# - explain why the original tutorial's configuration reaches only about 65% test accuracy, and train the same model
#   past 88%;
# - see where the model goes wrong with a confusion matrix and per-class accuracy;
# - take a first step with `torch.optim.lr_scheduler`.

# %%
import math
import warnings

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import ToTensor

import fmnist_core as fc
from fmnist_core.checks import lesson02 as check

device = fc.get_device()  # 有 GPU 就用 GPU / the GPU when there is one
_ = fc.plot.cjk_font()  # 图中的中文 / Chinese in the figures

# %% [markdown] tags=["zh"]
# ## 1. 三个超参数
#
# ### 1.1 定义
#
# 训练前要选定几个数，它们不由训练学出来，叫超参数（hyperparameter）。原教程选的是：
#
# - 学习率（learning rate）$\eta = 10^{-3}$：每一步沿梯度（gradient）反方向走多远；
# - 批次大小（batch size）$B = 64$：每一步用多少个样本估计梯度；
# - 轮数（epochs）$E = 5$：把训练集完整过几遍。
#
# 第 $t$ 步，随机梯度下降（SGD）从训练集取出一个批次 $\mathcal{B}_t$，用这个批次上的平均损失更新参数 $\theta$：
#
# $$\theta_{t+1} = \theta_t - \eta \, \nabla_\theta \frac{1}{|\mathcal{B}_t|} \sum_{i \in \mathcal{B}_t} \ell\big(f_\theta(x_i), y_i\big)$$
#
# 其中 $f_\theta$ 是模型，$\ell$ 是一个样本的损失（本课用交叉熵（cross-entropy））。训练集有 $N = 60000$ 个样本，一轮的迭代次数和总步数是：
#
# $$T = E \left\lceil \frac{N}{B} \right\rceil = 5 \times \left\lceil \frac{60000}{64} \right\rceil = 5 \times 938 = 4690$$
#
# $60000 = 937 \times 64 + 32$，所以每轮的最后一个批次只有 32 个样本。

# %% [markdown] tags=["en"]
# ## 1. Three hyperparameters
#
# ### 1.1 Definition
#
# Before training we choose a few numbers that training does not learn: the hyperparameters. The original tutorial
# chose:
#
# - the learning rate $\eta = 10^{-3}$: how far each step goes against the gradient;
# - the batch size $B = 64$: how many samples each step uses to estimate the gradient;
# - the number of epochs $E = 5$: how many full passes over the training set.
#
# At step $t$, stochastic gradient descent (SGD) draws a batch $\mathcal{B}_t$ from the training set and updates the
# parameters $\theta$ with the mean loss on that batch:
#
# $$\theta_{t+1} = \theta_t - \eta \, \nabla_\theta \frac{1}{|\mathcal{B}_t|} \sum_{i \in \mathcal{B}_t} \ell\big(f_\theta(x_i), y_i\big)$$
#
# where $f_\theta$ is the model and $\ell$ the loss of one sample (cross-entropy in this lesson). The training set has
# $N = 60000$ samples; the iterations per epoch and the total number of steps are:
#
# $$T = E \left\lceil \frac{N}{B} \right\rceil = 5 \times \left\lceil \frac{60000}{64} \right\rceil = 5 \times 938 = 4690$$
#
# $60000 = 937 \times 64 + 32$, so the last batch of every epoch holds only 32 samples.

# %%
learning_rate = 1e-3
batch_size = 64
epochs = 5

root = fc.ensure_data()
training_data = datasets.FashionMNIST(root=root, train=True, download=False, transform=ToTensor())
test_data = datasets.FashionMNIST(root=root, train=False, download=False, transform=ToTensor())
train_dataloader = DataLoader(training_data, batch_size=batch_size, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=batch_size)

# 只取下标、不读图片，很快 / only the indices, no images: fast
sizes = [len(indices) for indices in train_dataloader.batch_sampler]
print(f"每轮迭代次数 / iterations per epoch: {len(train_dataloader)}")
print(f"批次大小 / batch sizes: 前 {len(sizes) - 1} 个是 / the first {len(sizes) - 1} are {sizes[0]}, "
      f"最后一个是 / the last is {sizes[-1]}")
print(f"{epochs} 轮的总步数 / total steps in {epochs} epochs: {epochs * len(train_dataloader)}")
assert len(train_dataloader) == 938 and sizes[-1] == 32 and sum(sizes) == 60000

print("\n批次大小 / batch size   每轮迭代 / iterations per epoch   最后一批 / last batch")
for B in [16, 64, 256, 1024]:
    n_iter = -(-60000 // B)  # 向上取整 / rounding up
    last = 60000 - (n_iter - 1) * B
    assert n_iter == len(DataLoader(range(60000), batch_size=B))
    print(f"{B:>21}   {n_iter:>31}   {last:>20}")

# %% [markdown] tags=["zh"]
# ### 1.2 每个超参数控制什么
#
# - 学习率决定步子的大小。太小，几千步也走不远；太大，每步都跨过谷底，损失来回震荡甚至变大。
# - 批次大小决定梯度估计的噪声和每轮的步数。批次越大，平均的样本越多，梯度越准，但一轮里的步数越少；批次越小，步数越多，每一步也越“吵”。
# - 轮数决定一共走多少步。太少，模型还没学会；太多，模型会开始死记训练集，即过拟合（overfitting）。
#
# ### 1.3 直觉：批次越大，梯度越准
#
# 批次梯度是 $B$ 个样本梯度的平均，它是整个训练集梯度 $g$ 的一个有噪声的估计。独立样本的平均，方差按 $1/B$ 下降：
#
# $$\mathbb{E}\,\big\|g_B - g\big\|^2 \approx \frac{\sigma^2}{B}$$
#
# 其中 $\sigma^2$ 是单个样本梯度的方差（各分量方差之和）。下面在一个未训练的模型上量一量：用 10,000 个训练样本的梯度当作 $g$，对每个 $B$ 抽 20 个批次。

# %% [markdown] tags=["en"]
# ### 1.2 What each one controls
#
# - The learning rate sets the step size. Too small, and thousands of steps do not get far; too large, and each step
#   jumps across the valley, so the loss oscillates or even grows.
# - The batch size sets the noise of the gradient estimate and the number of steps per epoch. A larger batch averages
#   more samples, so its gradient is more accurate, but an epoch has fewer steps; a smaller batch gives more steps,
#   each of them noisier.
# - The number of epochs sets how many steps there are in all. Too few, and the model has not learned yet; too many,
#   and it starts to memorize the training set: overfitting.
#
# ### 1.3 Intuition: larger batches, more accurate gradients
#
# A batch gradient is the mean of $B$ per-sample gradients, a noisy estimate of the gradient $g$ over the whole
# training set. The variance of a mean of independent samples falls like $1/B$:
#
# $$\mathbb{E}\,\big\|g_B - g\big\|^2 \approx \frac{\sigma^2}{B}$$
#
# where $\sigma^2$ is the variance of one sample's gradient (summed over its components). Let us measure it on an
# untrained model, using the gradient over 10,000 training samples as $g$ and drawing 20 batches for each $B$.

# %%
X_train, y_train = fc.load_tensors(train=True, device=device)
X_test, y_test = fc.load_tensors(train=False, device=device)
loss_fn = nn.CrossEntropyLoss()

fc.set_seed(0)
probe = fc.NeuralNetwork().to(device)


def gradient(X, y):
    """所有参数的梯度连成一个向量 / all parameter gradients as one vector."""
    probe.zero_grad()
    loss_fn(probe(X), y).backward()
    return torch.cat([p.grad.flatten() for p in probe.parameters()])


X_pool, y_pool = X_train[:10000], y_train[:10000]
g_full = gradient(X_pool, y_pool)
generator = torch.Generator().manual_seed(0)
batch_sizes = [16, 64, 256, 1024]
noise = []
for B in batch_sizes:
    draws = [torch.randperm(10000, generator=generator)[:B].to(device) for _ in range(20)]
    noise.append(torch.stack([(gradient(X_pool[i], y_pool[i]) - g_full).pow(2).sum() for i in draws]).mean().item())

# 1/B 定律（从 10,000 个样本中无放回抽样还有一个小修正 1 - B/N）
# the 1/B law (sampling without replacement from 10,000 adds a small correction 1 - B/N)
ratio = noise[0] / noise[-1]
expected = (1024 / 16) * (1 - 16 / 10000) / (1 - 1024 / 10000)
assert 0.6 * expected < ratio < 1.6 * expected, ratio
print(f"B 从 16 增大到 1024（64 倍），梯度噪声约降为 1/{expected:.0f} ✓ "
      f"/ from B=16 to B=1024 (64 times), the gradient noise falls to about 1/{expected:.0f}")

fig, ax = plt.subplots(figsize=(5.5, 3.5))
ax.loglog(batch_sizes, noise, "o-", label=fc.label("实测", "measured"))
ax.loglog(batch_sizes, [noise[1] * 64 / B for B in batch_sizes], "--", label=r"$\propto 1/B$")
ax.set_xlabel(fc.label("批次大小 B", "batch size B"))
ax.set_ylabel(r"$\|g_B - g\|^2$")
ax.legend()
ax.grid(alpha=0.3, which="both")
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# 实测的点落在 $1/B$ 的直线上：批次大 16 倍，梯度的平方误差约小 16 倍。代价是一轮的步数也少了 16 倍。
#
# ## 2. 训练循环，一行一行地看
#
# 每个批次，训练循环做五件事：
#
# 1. 前向：`pred = model(X)`，同时记下计算图；
# 2. 损失：`loss = loss_fn(pred, y)`，一个数；
# 3. 反向传播（backpropagation）：`loss.backward()`，把 $\partial L / \partial \theta$ **加到**每个参数的 `.grad` 上；
# 4. 更新：`optimizer.step()`，对 SGD 是 $\theta \leftarrow \theta - \eta \cdot$ `.grad`；
# 5. 清零：`optimizer.zero_grad()`，把 `.grad` 清掉（默认设为 `None`），为下一个批次做准备。
#
# 下面在一个批次上逐步执行，每一步之后打印最后一层的一个权重 $w$ 和它的梯度。

# %% [markdown] tags=["en"]
# The measured points lie on the $1/B$ line: a batch 16 times larger has a squared gradient error about 16 times
# smaller. The price is 16 times fewer steps per epoch.
#
# ## 2. The training loop, line by line
#
# For every batch the training loop does five things:
#
# 1. forward: `pred = model(X)`, recording the graph as it goes;
# 2. loss: `loss = loss_fn(pred, y)`, one number;
# 3. backpropagation: `loss.backward()` **adds** $\partial L / \partial \theta$ to the `.grad` of every parameter;
# 4. update: `optimizer.step()`, for SGD $\theta \leftarrow \theta - \eta \cdot$ `.grad`;
# 5. clear: `optimizer.zero_grad()` clears `.grad` (sets it to `None` by default), ready for the next batch.
#
# Below we run them one at a time on one batch, printing one weight $w$ of the last layer and its gradient after
# each step.

# %%
fc.set_seed(0)
model = fc.NeuralNetwork().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
W = model.linear_relu_stack[4].weight  # 最后一层的权重 (10, 512) / last layer's weight


def show(step):
    grad = "None" if W.grad is None else f"{W.grad[0, 0].item():+.4e}"
    print(f"{step:<40} w = {W[0, 0].item():+.6f}   w.grad = {grad}")


X, y = X_train[:batch_size], y_train[:batch_size]
show("开始 / start")
pred = model(X)
show("1. 前向 / forward")
loss = loss_fn(pred, y)
show("2. 损失 / loss")
loss.backward()
show("3. loss.backward()")
w_before, g = W[0, 0].item(), W.grad[0, 0].item()
optimizer.step()
show("4. optimizer.step()")
w_after = W[0, 0].item()
optimizer.zero_grad()
show("5. optimizer.zero_grad()")

torch.testing.assert_close(w_after, w_before - learning_rate * g, rtol=0, atol=1e-9)
print("\nstep() ✓ 恰好做了 w ← w − η·grad / did exactly w ← w − η·grad")

# %% [markdown] tags=["zh"]
# 前向和损失不碰 `.grad`；`backward` 只写 `.grad`，不动权重；只有 `step` 改权重；`zero_grad` 再把 `.grad` 清掉。
#
# ### 2.1 经典错误：忘了 `zero_grad`
#
# `backward` 是**累加**梯度，不是覆盖。不清零时，第二次 `backward` 之后 `.grad` 是两次梯度之和：

# %% [markdown] tags=["en"]
# Forward and loss do not touch `.grad`; `backward` only writes `.grad` and leaves the weights alone; only `step`
# changes the weights; `zero_grad` clears `.grad` again.
#
# ### 2.1 The classic bug: forgetting `zero_grad`
#
# `backward` **adds** to the gradient; it does not overwrite it. Without clearing, after a second `backward` `.grad`
# holds the sum of the two gradients:

# %%
loss_fn(model(X), y).backward()
g1 = W.grad.clone()
loss_fn(model(X), y).backward()  # 没有 zero_grad / no zero_grad in between
g2 = W.grad.clone()
torch.testing.assert_close(g2, 2 * g1)
print(f"一次 backward / one backward:   w.grad[0, 0] = {g1[0, 0].item():+.4e}")
print(f"两次 backward / two backwards: w.grad[0, 0] = {g2[0, 0].item():+.4e}  (= 2 × ✓)")
optimizer.zero_grad()

# %% [markdown] tags=["zh"]
# 在循环里忘了清零，第 $t$ 步用的就不是当前批次的梯度 $g_t$，而是至今所有梯度之和：
#
# $$\tilde{g}_t = \sum_{s=1}^{t} g_s$$
#
# 一开始这像一个很强的动量（momentum），损失甚至下降得更快；可是旧梯度属于早已不存在的权重，它们永远不会衰减，步子越来越大、方向越来越不对。下面用学习率 $10^{-2}$ 各训练一轮，比较两种写法：

# %% [markdown] tags=["en"]
# Forget the clearing inside a loop, and step $t$ no longer uses the current batch's gradient $g_t$ but the sum of all
# gradients so far:
#
# $$\tilde{g}_t = \sum_{s=1}^{t} g_s$$
#
# At first this acts like a very strong momentum, and the loss may even fall faster; but the old gradients belong to
# weights that no longer exist, they never decay, and the steps grow larger and point further astray. Below we train
# for one epoch each way with a learning rate of $10^{-2}$:

# %% tags=["nbval-ignore-output"]
def losses_one_epoch(clear_gradients, lr=1e-2, seed=0):
    fc.set_seed(seed)
    model = fc.NeuralNetwork().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    model.train()
    for X, y in fc.TensorLoader(X_train, y_train, batch_size, shuffle=True,
                                generator=torch.Generator().manual_seed(seed)):
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        if clear_gradients:
            optimizer.zero_grad()
        losses.append(loss.detach())
    return torch.stack(losses).cpu()


with_zero_grad = losses_one_epoch(True)
without_zero_grad = losses_one_epoch(False)
print(f"最后 100 步的平均损失 / mean loss of the last 100 steps: "
      f"zero_grad {with_zero_grad[-100:].mean():.3f}, 没有 / without {without_zero_grad[-100:].mean():.3f}")

# %%
assert without_zero_grad[-100:].mean() > 1.5 * with_zero_grad[-100:].mean()
print("一轮之后，忘了 zero_grad 的损失明显更高 ✓ / after one epoch, the loss without zero_grad is clearly higher")

fig, ax = plt.subplots(figsize=(8, 3.5))
for curve, name in [(with_zero_grad, fc.label("有 zero_grad", "with zero_grad")),
                    (without_zero_grad, fc.label("忘了 zero_grad", "without zero_grad"))]:
    smooth = curve.unfold(0, 25, 1).mean(dim=1)  # 25 步的滑动平均 / moving average over 25 steps
    ax.plot(torch.arange(len(smooth)) + 12, smooth, label=name)
ax.set_xlabel(fc.label("步数", "step"))
ax.set_ylabel(fc.label("训练损失", "training loss"))
ax.legend()
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# 忘了清零的那条曲线先是下降得更快，然后掉头向上，一轮结束时比正确的写法差得多。这个错误不会报错，只会让训练“莫名其妙”地变差，所以值得记住。
#
# 说明：有时人们**故意**不在每步清零，把几个小批次的梯度累加起来再 `step` 一次，以模拟更大的批次（梯度累积）；那时损失要除以累积的批次数，并且在 `step` 之后立刻清零。

# %% [markdown] tags=["en"]
# The curve without clearing first falls faster, then turns upward, and ends the epoch far worse than the correct loop.
# The bug raises no error; training just gets mysteriously worse, which is why it is worth remembering.
#
# Note: people sometimes skip the clearing **on purpose**, adding up the gradients of several small batches before one
# `step` to imitate a larger batch (gradient accumulation); then the loss is divided by the number of accumulated
# batches, and the gradients are cleared right after the `step`.

# %% [markdown] tags=["zh"]
# ### 2.2 `model.train()`、`model.eval()` 与 `torch.no_grad()`
#
# 有些层在训练和预测时行为不同：`Dropout` 在训练时随机把一部分输出置零（其余放大 $1/(1-p)$ 倍），预测时什么也不做；`BatchNorm` 在训练时用当前批次的统计量，预测时用累计的统计量。`model.train()` 和 `model.eval()` 只是切换这个开关（`model.training`），不做别的。课程模型没有这两种层，但养成习惯：训练前 `train()`，评估前 `eval()`。

# %% [markdown] tags=["en"]
# ### 2.2 `model.train()`, `model.eval()` and `torch.no_grad()`
#
# Some layers behave differently in training and in prediction: `Dropout` zeroes a random part of its outputs in
# training (scaling the rest by $1/(1-p)$) and does nothing in prediction; `BatchNorm` uses the statistics of the
# current batch in training and its running statistics in prediction. `model.train()` and `model.eval()` only flip
# that switch (`model.training`) and do nothing else. The course model has neither layer, but make it a habit:
# `train()` before training, `eval()` before evaluating.

# %%
dropout = nn.Dropout(p=0.5)
ones = torch.ones(10)
torch.manual_seed(0)
dropout.train()
print(f"train(): training={dropout.training}, 输出 / output = {dropout(ones).tolist()}")
dropout.eval()
print(f"eval():  training={dropout.training}, 输出 / output = {dropout(ones).tolist()}")

# %% [markdown] tags=["zh"]
# `torch.no_grad()` 是另一回事：它关掉计算图的记录。评估和预测时不需要梯度，关掉它省时间、省内存，输出也不再连着计算图（`requires_grad=False`，没有 `grad_fn`）。`eval()` 管层的行为，`no_grad()` 管梯度，评估时两个都要。

# %% [markdown] tags=["en"]
# `torch.no_grad()` is a different thing: it turns off the recording of the graph. Evaluation and prediction need no
# gradients, so turning it off saves time and memory, and the output is no longer attached to a graph
# (`requires_grad=False`, no `grad_fn`). `eval()` governs how layers behave, `no_grad()` governs gradients;
# evaluation wants both.

# %%
out = model(X)
print(f"普通前向 / plain forward:  requires_grad={out.requires_grad}, grad_fn={type(out.grad_fn).__name__}")
with torch.no_grad():
    out = model(X)
print(f"torch.no_grad() 里 / inside: requires_grad={out.requires_grad}, grad_fn={out.grad_fn}")

# %% [markdown] tags=["zh"]
# ## 3. 原教程的配置，真的训练一次
#
# 现在把原教程的 `train_loop` 和 `test_loop` 原样写出来（只加了一点：返回平均损失和准确率，好画曲线），用 `DataLoader` + `ToTensor`、SGD、学习率 $10^{-3}$、批次 64、5 轮。这个单元格较慢（`DataLoader` 每轮逐张转换图片），输出每次运行都会略有不同，所以不参与比较。

# %% [markdown] tags=["en"]
# ## 3. The original configuration, trained for real
#
# Now we write out the original tutorial's `train_loop` and `test_loop` as they are (adding only that they return the
# mean loss and the accuracy, for the curves), with `DataLoader` + `ToTensor`, SGD, learning rate $10^{-3}$, batch 64,
# 5 epochs. This cell is slow (`DataLoader` converts the images one at a time every epoch), and its output differs a
# little from run to run, so it is not compared.

# %% tags=["nbval-ignore-output"]
def train_loop(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()  # 训练模式 / training mode
    total = 0.0
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        pred = model(X)  # 1. 前向 / forward
        loss = loss_fn(pred, y)  # 2. 损失 / loss
        loss.backward()  # 3. 反向传播 / backpropagation
        optimizer.step()  # 4. 更新参数 / update the parameters
        optimizer.zero_grad()  # 5. 清零梯度 / clear the gradients
        total += loss.item() * len(X)
        if batch % 300 == 0:
            current = batch * dataloader.batch_size + len(X)
            print(f"loss: {loss.item():>7f}  [{current:>5d}/{size:>5d}]")
    return total / size


def test_loop(dataloader, model, loss_fn):
    model.eval()  # 评估模式 / evaluation mode
    size = len(dataloader.dataset)
    test_loss, correct = 0.0, 0
    with torch.no_grad():  # 不记录计算图 / no graph
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item() * len(X)  # 按样本加权 / weighted by samples
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= size
    correct /= size
    print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return test_loss, correct


fc.set_seed(0)
model = fc.NeuralNetwork().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
original = []
for t in range(epochs):
    print(f"Epoch {t + 1}\n-------------------------------")
    train_loss = train_loop(train_dataloader, model, loss_fn, optimizer)
    test_loss, test_acc = test_loop(test_dataloader, model, loss_fn)
    original.append({"epoch": t + 1, "train_loss": train_loss, "test_loss": test_loss, "test_acc": test_acc})
print("Done!")

# %%
assert 0.55 < original[-1]["test_acc"] < 0.75
assert original[-1]["train_loss"] < original[-2]["train_loss"] < original[-3]["train_loss"]
assert original[-1]["train_loss"] > 0.6
assert abs(original[-1]["train_loss"] - original[-1]["test_loss"]) < 0.2  # 没有过拟合 / no overfitting
print("原始配置：5 轮后测试准确率在 55% 与 75% 之间（约 65%），训练损失仍在下降，且与测试损失相近 ✓")
print("original configuration: test accuracy between 55% and 75% after 5 epochs (about 65%), "
      "training loss still falling and close to the test loss ✓")

# %% [markdown] tags=["zh"]
# ### 3.1 为什么只有约 65%？
#
# 这个模型本身完全能到 88% 以上（第 5 节会看到），所以问题不在模型，而在训练：**步子太小，步数太少**。
#
# - 训练损失在第 5 轮仍在明显下降，说明优化还远没有结束，而不是学到头了。
# - 训练损失和测试损失几乎一样高，模型没有过拟合，而是欠拟合：连训练集都还没学好。
# - 普通 SGD 每步只走 $\eta \cdot g$。学习率 $10^{-3}$ 时，4690 步加起来也只走了很短的一段路。
#
# 原教程的目的是演示训练循环，不是追求准确率；它的配置只是一个起点。下一节一个一个地改超参数。

# %% [markdown] tags=["en"]
# ### 3.1 Why only about 65%?
#
# The model itself can reach more than 88% (section 5 shows it), so the problem is not the model but the
# training: **steps too small, and too few of them**.
#
# - The training loss is still falling clearly in epoch 5: the optimization is far from finished, not at its limit.
# - The training and test losses are about equally high: the model is not overfitting but underfitting; it has not even
#   learned the training set yet.
# - Plain SGD moves only $\eta \cdot g$ per step. With a learning rate of $10^{-3}$, 4690 steps add up to a short walk.
#
# The tutorial's aim is to show the training loop, not to reach a high accuracy; its configuration is only a starting
# point. The next section changes the hyperparameters one at a time.

# %% [markdown] tags=["zh"]
# ## 4. 什么能改变结果
#
# 为了在几分钟内比较很多配置，下面用快速通道 `fc.get_tensor_loaders`（整个数据集在一个张量里，数字与 `ToTensor` 完全相同，见第 00 课）和 `fc.fit`（里面就是上面那个循环）。每个配置都从同一个随机初始化开始，训练 5 轮。训练输出每次运行都会变，所以这些单元格不参与比较，后面的单元格检查结论。

# %% [markdown] tags=["en"]
# ## 4. What changes the result
#
# To compare many configurations within minutes we use the fast path `fc.get_tensor_loaders` (the whole data set in
# one tensor, the same numbers as `ToTensor`, see lesson 00) and `fc.fit` (the loop above inside). Every configuration
# starts from the same random initialization and trains for 5 epochs. Training output varies from run to run, so these
# cells are not compared; the cells after them check the conclusions.

# %%
histories = {"SGD lr=1e-3 (DataLoader)": original}
models = {}


def run(name, make_optimizer, batch_size=64, epochs=5, seed=0):
    """同样的模型与初始化，换超参数训练 / same model and initialization, other hyperparameters."""
    fc.set_seed(seed)
    model = fc.NeuralNetwork().to(device)
    train_loader, test_loader = fc.get_tensor_loaders(batch_size, device=device,
                                                      generator=torch.Generator().manual_seed(seed))
    optimizer = make_optimizer(model.parameters())
    histories[name] = fc.fit(model, train_loader, test_loader, loss_fn, optimizer, epochs,
                             progress=False, verbose=False)
    models[name] = model
    print(f"{name:<28} 测试准确率 / test accuracy: "
          + " ".join(f"{100 * h['test_acc']:.1f}%" for h in histories[name]))


def final(name):
    return histories[name][-1]["test_acc"]

# %% [markdown] tags=["zh"]
# ### 4.1 学习率
#
# 只改学习率：$10^{-3}$（上面已经训练过）、$10^{-2}$、$10^{-1}$ 和 $1$。

# %% [markdown] tags=["en"]
# ### 4.1 The learning rate
#
# Change only the learning rate: $10^{-3}$ (trained above), $10^{-2}$, $10^{-1}$ and $1$.

# %% tags=["nbval-ignore-output"]
for lr in [1e-2, 1e-1, 1.0]:
    run(f"SGD lr={lr:g}", lambda params: torch.optim.SGD(params, lr=lr))

# %%
assert final("SGD lr=1e-3 (DataLoader)") < final("SGD lr=0.01") < final("SGD lr=0.1")
assert final("SGD lr=1") < final("SGD lr=0.1") - 0.1
print("学习率从 1e-3 增大到 1e-1，准确率一路上升；到 1 就太大了 ✓")
print("raising the learning rate from 1e-3 to 1e-1 helps all the way; 1 is too large ✓")
fig = fc.plot_histories({k: histories[k] for k in ["SGD lr=1e-3 (DataLoader)", "SGD lr=0.01", "SGD lr=0.1", "SGD lr=1"]},
                        title=fc.label("学习率", "learning rate"))
plt.show()

# %% [markdown] tags=["zh"]
# 学习率是最重要的一个超参数。从 $10^{-3}$ 到 $10^{-1}$，每放大 10 倍准确率都明显提高；到 $1$ 时步子大到把模型推坏了，损失居高不下。$10^{-1}$ 的曲线还有些起伏：它已接近“太大”的边缘。

# %% [markdown] tags=["en"]
# The learning rate is the most important hyperparameter. From $10^{-3}$ to $10^{-1}$, each factor of 10 clearly raises
# the accuracy; at $1$ the steps are so large that they break the model and the loss stays high. The curve for
# $10^{-1}$ is somewhat bumpy: it is near the edge of "too large".

# %% [markdown] tags=["zh"]
# ### 4.2 批次大小
#
# 学习率保持原来的 $10^{-3}$，只改批次大小：16、64（上面）和 256。5 轮里，它们分别走 18,750、4,690 和 1,175 步。

# %% [markdown] tags=["en"]
# ### 4.2 The batch size
#
# Keep the original learning rate $10^{-3}$ and change only the batch size: 16, 64 (above) and 256. In 5 epochs they
# take 18,750, 4,690 and 1,175 steps.

# %% tags=["nbval-ignore-output"]
for B in [16, 256]:
    run(f"SGD lr=1e-3, B={B}", lambda params: torch.optim.SGD(params, lr=1e-3), batch_size=B)

# %%
assert final("SGD lr=1e-3, B=256") < final("SGD lr=1e-3 (DataLoader)") < final("SGD lr=1e-3, B=16")
print("学习率不变时，批次越小（步数越多）准确率越高 ✓ / at a fixed learning rate, smaller batches (more steps) do better ✓")
fig = fc.plot_histories({"B=16": histories["SGD lr=1e-3, B=16"], "B=64": histories["SGD lr=1e-3 (DataLoader)"],
                         "B=256": histories["SGD lr=1e-3, B=256"]},
                        title=fc.label("批次大小（学习率 1e-3）", "batch size (learning rate 1e-3)"))
plt.show()

# %% [markdown] tags=["zh"]
# 学习率这么小时，步数是瓶颈：批次 16 的步数是批次 64 的 4 倍，效果也好得多；批次 256 步数太少，学得最慢。反过来，大批次每步的梯度更准、在 GPU 上每轮更快，所以常见的做法是批次放大 $k$ 倍时学习率也大约放大 $k$ 倍（线性缩放经验法则），而不是让学习率保持不变。

# %% [markdown] tags=["en"]
# With so small a learning rate, the number of steps is the bottleneck: batch 16 takes 4 times as many steps as batch
# 64 and does much better; batch 256 takes too few steps and learns slowest. Conversely, large batches give more
# accurate gradients and faster epochs on a GPU, so the usual practice is to scale the learning rate by about $k$ when
# the batch grows $k$ times (the linear scaling rule of thumb), rather than keeping the learning rate fixed.

# %% [markdown] tags=["zh"]
# ### 4.3 动量与 Adam
#
# 换优化器（optimizer）。带动量的 SGD 把过去的梯度累积成一个“速度” $v$，但每步让它衰减到 $\mu$ 倍：
#
# $$v_{t+1} = \mu v_t + g_t, \qquad \theta_{t+1} = \theta_t - \eta \, v_{t+1}$$
#
# 与忘记 `zero_grad` 不同，旧梯度会以 $\mu^k$ 的速度被遗忘。梯度方向稳定时，有效步长约为 $\eta / (1 - \mu)$，$\mu = 0.9$ 时是 $10\eta$。Adam 则给每个参数单独调节步长。两者的公式和从零实现分别在第 07 课和第 08 课。

# %% [markdown] tags=["en"]
# ### 4.3 Momentum and Adam
#
# Change the optimizer. SGD with momentum accumulates past gradients into a "velocity" $v$, but lets it decay by a
# factor $\mu$ each step:
#
# $$v_{t+1} = \mu v_t + g_t, \qquad \theta_{t+1} = \theta_t - \eta \, v_{t+1}$$
#
# Unlike a forgotten `zero_grad`, old gradients are forgotten at the rate $\mu^k$. When the gradient keeps its
# direction, the effective step is about $\eta / (1 - \mu)$, which is $10\eta$ for $\mu = 0.9$. Adam instead adapts the
# step size of each parameter on its own. Their formulas and from-scratch versions are in lessons 07 and 08.

# %% tags=["nbval-ignore-output"]
run("SGD momentum=0.9 lr=1e-2", lambda params: torch.optim.SGD(params, lr=1e-2, momentum=0.9))
run("Adam lr=1e-3", lambda params: torch.optim.Adam(params, lr=1e-3))

# %% [markdown] tags=["zh"]
# 所有配置画在一张图上：

# %% [markdown] tags=["en"]
# All the configurations on one figure:

# %%
fig = fc.plot_histories(histories, size=(12, 4.5),
                        title=fc.label("同一个模型，不同的超参数（5 轮）", "The same model, different hyperparameters (5 epochs)"))
fig.axes[0].set_yscale("log")  # 学习率 1 的损失很大 / the loss at learning rate 1 is huge
plt.show()

# %%
assert final("Adam lr=1e-3") > final("SGD lr=1e-3 (DataLoader)") + 0.15
assert final("SGD momentum=0.9 lr=1e-2") > final("SGD lr=0.01")
assert min(final("Adam lr=1e-3"), final("SGD momentum=0.9 lr=1e-2"), final("SGD lr=0.1")) > 0.84
print("Adam、动量 SGD、学习率 1e-1 的 SGD 都超过 84%；Adam 比原始配置高 15 个百分点以上 ✓")
print("Adam, SGD with momentum and SGD at 1e-1 all pass 84%; Adam beats the original by more than 15 points ✓")
print("动量 0.9 让学习率 1e-2 的 SGD 变好 ✓ / momentum 0.9 improves SGD at learning rate 1e-2 ✓")

# %% [markdown] tags=["zh"]
# 同一个模型、同样 5 轮，只改超参数，测试准确率就从约 65% 升到 85% 以上。在这个小问题上，Adam 用默认学习率 $10^{-3}$ 几乎不用调，就接近 88%；带动量的 SGD 和学习率 $10^{-1}$ 的 SGD 离它不远。还要注意曲线的起伏：学习率固定时，最后几轮的准确率在一个范围内上下跳，因为每一步仍带着批次的噪声（第 1.3 节）。下一节用学习率调度器解决这一点。第 07 至 09 课会仔细比较优化器和学习率调度。

# %% [markdown] tags=["en"]
# The same model, the same 5 epochs: changing only the hyperparameters lifts the test accuracy from about 65% to more
# than 85%. On this small problem Adam at its default learning rate $10^{-3}$ needs almost no tuning and comes close to
# 88%; SGD with momentum and SGD at $10^{-1}$ are not far behind. Notice also the bumps in the curves: with a fixed
# learning rate, the accuracy of the last epochs jumps up and down within a range, because every step still carries
# the noise of its batch (section 1.3). The next section addresses that with a learning-rate scheduler. Lessons 07 to
# 09 compare the optimizers and the learning-rate schedules carefully.

# %% [markdown] tags=["zh"]
# ## 5. 初识学习率调度器
#
# 学习率不必从头到尾不变。开始时用大步子快速靠近，后面用小步子细细收敛，往往更好。学习率调度器（learning-rate scheduler）按规则修改优化器的学习率。最简单的 `StepLR` 每 $s$ 轮乘一次 $\gamma$：
#
# $$\eta_e = \eta_0 \, \gamma^{\lfloor e / s \rfloor}$$
#
# 其中 $e$ 是从 0 开始数的轮次。每轮结束时调用一次 `scheduler.step()`，而且要在 `optimizer.step()` **之后**。

# %% [markdown] tags=["en"]
# ## 5. A first look at learning-rate schedulers
#
# The learning rate need not stay the same from start to finish. Large steps early to get close quickly, then small
# steps to settle, often work better. A learning-rate scheduler changes the optimizer's learning rate by a rule. The
# simplest, `StepLR`, multiplies it by $\gamma$ every $s$ epochs:
#
# $$\eta_e = \eta_0 \, \gamma^{\lfloor e / s \rfloor}$$
#
# where $e$ counts epochs from 0. Call `scheduler.step()` once at the end of each epoch, **after** `optimizer.step()`.

# %%
param = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD([param], lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
for e in range(6):
    lr_now = scheduler.get_last_lr()[0]
    formula = 0.1 * 0.5 ** (e // 2)
    assert abs(lr_now - formula) < 1e-12
    print(f"轮 / epoch {e}: lr = {lr_now:.4f}")
    # ... 这一轮的训练：很多次 optimizer.step() / this epoch's training: many optimizer.step() calls
    optimizer.step()
    scheduler.step()  # 每轮结束时一次，在 optimizer.step() 之后 / once per epoch, after optimizer.step()
print("StepLR ✓ 与公式 η₀·γ^⌊e/s⌋ 一致 / matches the formula")

# %% [markdown] tags=["zh"]
# 顺序反了（`scheduler.step()` 在第一次 `optimizer.step()` 之前）时，PyTorch 会发出警告，因为那样会跳过第一个学习率：

# %% [markdown] tags=["en"]
# With the order reversed (`scheduler.step()` before the first `optimizer.step()`), PyTorch warns, because the first
# learning rate would be skipped:

# %%
optimizer = torch.optim.SGD([param], lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    scheduler.step()  # 错误的顺序 / the wrong order
    optimizer.step()
assert len(caught) == 1
print(f"{caught[0].category.__name__}: {str(caught[0].message).splitlines()[0][:110]}...")

# %% [markdown] tags=["zh"]
# ### 5.1 余弦退火：让 Adam 最后几步走得更稳
#
# `CosineAnnealingLR` 让学习率沿半个余弦从 $\eta_0$ 平滑地降到 $\eta_{\min}$（默认为 0），$T$ 轮降完：
#
# $$\eta_e = \eta_{\min} + \frac{\eta_0 - \eta_{\min}}{2}\left(1 + \cos\frac{\pi e}{T}\right)$$
#
# 先核对公式，再用它训练 Adam：与第 4.3 节同样的初始化、同样 5 轮，只加上调度器。用 `fc.fit` 时把调度器传进去即可，`fc.fit(..., scheduler=scheduler)` 每轮结束时替你调用 `scheduler.step()`。

# %% [markdown] tags=["en"]
# ### 5.1 Cosine annealing: steadier last steps for Adam
#
# `CosineAnnealingLR` lowers the learning rate smoothly along half a cosine from $\eta_0$ to $\eta_{\min}$ (0 by
# default), over $T$ epochs:
#
# $$\eta_e = \eta_{\min} + \frac{\eta_0 - \eta_{\min}}{2}\left(1 + \cos\frac{\pi e}{T}\right)$$
#
# First we check the formula, then train Adam with it: the same initialization as in section 4.3, the same 5 epochs,
# only the scheduler added. With `fc.fit`, pass the scheduler in: `fc.fit(..., scheduler=scheduler)` calls
# `scheduler.step()` for you at the end of each epoch.

# %%
optimizer = torch.optim.Adam([param], lr=1e-3)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
for e in range(epochs + 1):
    formula = 0 + (1e-3 - 0) / 2 * (1 + math.cos(math.pi * e / epochs))
    assert abs(scheduler.get_last_lr()[0] - formula) < 1e-12
    print(f"轮 / epoch {e}: lr = {scheduler.get_last_lr()[0]:.6f}")
    optimizer.step()
    scheduler.step()
print("CosineAnnealingLR ✓ 与公式一致 / matches the formula")

# %% tags=["nbval-ignore-output"]
# 与 run() 相同的初始化和数据顺序，多了调度器 / the same initialization and data order as run(), plus the scheduler
fc.set_seed(0)
model = fc.NeuralNetwork().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
train_loader, test_loader = fc.get_tensor_loaders(batch_size, device=device, generator=torch.Generator().manual_seed(0))
histories["Adam lr=1e-3 + cosine"] = fc.fit(model, train_loader, test_loader, loss_fn, optimizer, epochs,
                                             scheduler=scheduler, progress=False)
models["Adam lr=1e-3 + cosine"] = model

# %%
best = max(histories, key=final)
best_model = models[best]
_, best_acc = fc.evaluate(best_model, fc.TensorLoader(X_test, y_test, 1000))
assert best == "Adam lr=1e-3 + cosine" and best_acc >= 0.88
print("同一个 MLP、5 轮：Adam（学习率 1e-3）加余弦退火在完整的 10,000 张测试图片上达到 88% 以上 ✓")
print("the same MLP in 5 epochs: Adam (learning rate 1e-3) with cosine annealing reaches 88% or more "
      "on the full 10,000-image test set ✓")
fig = fc.plot_histories({k: histories[k] for k in ["Adam lr=1e-3", "Adam lr=1e-3 + cosine"]},
                        title=fc.label("Adam：固定学习率与余弦退火", "Adam: fixed learning rate and cosine annealing"))
plt.show()

# %% [markdown] tags=["zh"]
# 第一轮两条曲线几乎重合（学习率还接近 $10^{-3}$）；随着学习率变小，每一步带的批次噪声越来越少，权重停在谷底附近，不再来回跳，测试准确率越过了 88%。这是本课最好的配置，下一节就用它。七种调度器的公式、图像和在 Fashion-MNIST 上的比较见 [09 学习率调度](09_lr_schedulers.ipynb)。

# %% [markdown] tags=["en"]
# The two curves almost coincide in the first epoch (the learning rate is still close to $10^{-3}$); as the learning
# rate falls, each step carries less and less batch noise, and the weights settle near the bottom of the valley
# instead of bouncing around: the test accuracy passes 88%. This is the best configuration of the
# lesson, and the next section uses it. Seven schedulers, their formulas, their curves and a comparison on
# Fashion-MNIST are in [09 Learning-rate schedules](09_lr_schedulers.ipynb).

# %% [markdown] tags=["zh"]
# ## 6. 不只看准确率
#
# ### 6.1 混淆矩阵
#
# 一个准确率数字说不出模型**错在哪里**。混淆矩阵（confusion matrix）$C$ 是一张 $10 \times 10$ 的表：
#
# $$C_{ij} = \#\{\, n : y_n = i,\ \hat{y}_n = j \,\}$$
#
# 第 $i$ 行是真实类别 $i$ 的所有测试图片，第 $j$ 列是被预测为 $j$ 的。对角线是预测对的，其余都是错的。准确率和第 $i$ 类的准确率（即这一类里有多少被认对）都能从它读出来：
#
# $$\text{accuracy} = \frac{\sum_i C_{ii}}{\sum_{i,j} C_{ij}}, \qquad \text{acc}_i = \frac{C_{ii}}{\sum_j C_{ij}}$$

# %% [markdown] tags=["en"]
# ## 6. Beyond accuracy
#
# ### 6.1 The confusion matrix
#
# One accuracy number cannot say **where** the model goes wrong. The confusion matrix $C$ is a $10 \times 10$ table:
#
# $$C_{ij} = \#\{\, n : y_n = i,\ \hat{y}_n = j \,\}$$
#
# Row $i$ holds all test images of true class $i$, column $j$ those predicted as $j$. The diagonal is what the model
# got right; everything else is an error. The accuracy and the accuracy of class $i$ (how many of that class are
# recognized) can both be read from it:
#
# $$\text{accuracy} = \frac{\sum_i C_{ii}}{\sum_{i,j} C_{ij}}, \qquad \text{acc}_i = \frac{C_{ii}}{\sum_j C_{ij}}$$

# %%
best_model.eval()
with torch.no_grad():
    y_pred = best_model(X_test).argmax(dim=1).cpu()
y_true = y_test.cpu()

# 从零实现：把 (真实, 预测) 编成一个数 10*i + j 再计数 / from scratch: encode (true, predicted) as 10*i + j and count
C = torch.bincount(10 * y_true + y_pred, minlength=100).reshape(10, 10)
assert torch.equal(C.sum(dim=1), torch.full((10,), 1000))  # 每类 1000 张 / 1000 per class
torch.testing.assert_close(C.trace().item() / C.sum().item(), best_acc)
per_class = C.diag().float() / C.sum(dim=1)
torch.testing.assert_close(per_class, torch.stack([(y_pred[y_true == i] == i).float().mean() for i in range(10)]))
print("混淆矩阵 ✓ 每行 1000 张；对角线之和 / 总数 = fc.evaluate 的准确率；每类准确率与直接计算一致")
print("confusion matrix ✓ 1000 per row; trace / total = the accuracy of fc.evaluate; per-class accuracy matches")

# %%
fig, ax = plt.subplots(figsize=(8, 7))
ax.imshow(C, cmap="Blues")
for i in range(10):
    for j in range(10):
        ax.text(j, i, int(C[i, j]), ha="center", va="center", fontsize=7,
                color="white" if C[i, j] > C.max() / 2 else "black")
ax.set_xticks(range(10), [fc.class_label(i) for i in range(10)], fontsize=7, rotation=90)
ax.set_yticks(range(10), [fc.class_label(i) for i in range(10)], fontsize=7)
ax.set_xlabel(fc.label("预测类别", "predicted class"))
ax.set_ylabel(fc.label("真实类别", "true class"))
ax.set_title(fc.label("混淆矩阵（测试集）", "Confusion matrix (test set)"))
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# ### 6.2 每类准确率与最容易混淆的类别

# %% [markdown] tags=["en"]
# ### 6.2 Per-class accuracy and the most confused classes

# %% tags=["nbval-ignore-output"]
order = per_class.argsort()
for i in order.tolist():
    print(f"{fc.class_name(i):<22} {100 * per_class[i]:5.1f}%")

M = C + C.T  # 两个方向的错误加在一起 / errors in both directions together
pairs = sorted(((int(M[i, j]), i, j) for i in range(10) for j in range(i + 1, 10)), reverse=True)[:5]
print("\n最容易混淆的类别对 / the most confused pairs:")
for count, i, j in pairs:
    print(f"  {fc.class_name(i)} ↔ {fc.class_name(j)}: {count} ({int(C[i, j])} + {int(C[j, i])})")

# %%
shirt, tshirt = 6, 0
assert order[0].item() == shirt  # 衬衫最难 / Shirt is the hardest class
assert shirt in {i for _, i, j in pairs[:3]} | {j for _, i, j in pairs[:3]}
assert (tshirt, shirt) in {(i, j) for _, i, j in pairs[:3]}
print("衬衫是准确率最低的类别，衬衫 ↔ T恤/上衣 是最容易混淆的三对之一 ✓")
print("Shirt is the class with the lowest accuracy, and Shirt ↔ T-shirt/top is among the three most confused pairs ✓")

fig, ax = plt.subplots(figsize=(9, 3))
ax.bar(range(10), per_class[order])
ax.set_xticks(range(10), [fc.class_label(i) for i in order.tolist()], fontsize=7)
ax.set_ylim(0.5, 1)
ax.set_ylabel(fc.label("每类准确率", "per-class accuracy"))
ax.grid(alpha=0.3, axis="y")
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# 衣服的上半身最难：衬衫、T恤/上衣、套头衫和外套轮廓相近，在 $28 \times 28$ 的灰度图里常常只差领口或袖子的几个像素。裤子、包、鞋类很少认错。下面是被认错的例子：上一行是真实为衬衫、被预测为 T恤/上衣 的图片，下一行反过来。标题是模型的预测。

# %% [markdown] tags=["en"]
# Upper-body garments are hardest: shirts, T-shirts/tops, pullovers and coats have similar outlines and, in a $28 \times 28$
# grayscale image, often differ only by a few pixels of collar or sleeve. Trousers, bags and shoes are rarely
# mistaken. Below are some mistakes: the first row shows true shirts predicted as T-shirt/top, the second row the
# reverse. Each image is titled with the model's prediction.

# %%
shirt_as_tshirt = ((y_true == shirt) & (y_pred == tshirt)).nonzero().flatten()[:8]
tshirt_as_shirt = ((y_true == tshirt) & (y_pred == shirt)).nonzero().flatten()[:8]
assert len(shirt_as_tshirt) == len(tshirt_as_shirt) == 8
idx = torch.cat([shirt_as_tshirt, tshirt_as_shirt])
fig = fc.show_images(X_test[idx.to(device)].cpu(), y_true[idx], preds=y_pred[idx], ncols=8)
plt.show()

# %% [markdown] tags=["zh"]
# 说实话，其中有些图片人也很难分清。想再往上提高，需要能利用图像空间结构的模型（卷积网络），那不在本课程的范围内。

# %% [markdown] tags=["en"]
# Honestly, some of these images are hard to tell apart even for a person. Going much higher needs a model that uses
# the spatial structure of images (a convolutional network), which is beyond this course.

# %% [markdown] tags=["zh"]
# ## 练习 1：手写一步 SGD
#
# 不用 `torch.optim`，写出 `manual_sgd_step(model, lr)`：假设 `loss.backward()` 已经调用过，对每个参数做 $\theta \leftarrow \theta - \eta \cdot$ `.grad`，然后清空梯度。提示：原地修改需要梯度的参数时，要放在 `with torch.no_grad():` 里。

# %% [markdown] tags=["en"]
# ## Exercise 1: one SGD step by hand
#
# Without `torch.optim`, write `manual_sgd_step(model, lr)`: assuming `loss.backward()` has been called, do
# $\theta \leftarrow \theta - \eta \cdot$ `.grad` for every parameter, then clear the gradients. Hint: changing a
# parameter that requires grad in place must happen inside `with torch.no_grad():`.

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
# ## 练习 2：一轮训练
#
# 写出 `train_one_epoch(model, loader, loss_fn, optimizer)`：把模型切到训练模式，对 `loader` 的每个批次执行前向、损失、`backward`、`step`、`zero_grad`，返回这一轮**每个样本**的平均损失（Python 浮点数）。注意最后一个批次可能更小：每个批次的损失要乘以它的样本数再相加。检查用的模型里有 `Dropout`。

# %% [markdown] tags=["en"]
# ## Exercise 2: one epoch of training
#
# Write `train_one_epoch(model, loader, loss_fn, optimizer)`: switch the model to training mode, run forward, loss,
# `backward`, `step`, `zero_grad` on every batch of `loader`, and return the mean loss **per sample** over the epoch (a
# Python float). Mind that the last batch may be smaller: weight each batch's loss by its number of samples. The model
# used by the check contains `Dropout`.

# %% nbgrader={"grade": false, "grade_id": "l02_ex2_train_one_epoch", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_one_epoch(model, loader, loss_fn, optimizer):
    ### BEGIN SOLUTION
    model.train()
    total, count = 0.0, 0
    for X, y in loader:
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        total += loss.item() * len(y)
        count += len(y)
    return total / count
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l02_ex2_train_one_epoch_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex2_train_one_epoch(train_one_epoch)

# %% [markdown] tags=["zh"]
# ## 练习 3：混淆矩阵
#
# 写出 `confusion_matrix(y_true, y_pred, num_classes)`：返回形状为 `(num_classes, num_classes)` 的整数张量，第 $i$ 行第 $j$ 列是真实类别为 $i$、预测为 $j$ 的样本个数。没有出现的类别那一行全是 0。

# %% [markdown] tags=["en"]
# ## Exercise 3: the confusion matrix
#
# Write `confusion_matrix(y_true, y_pred, num_classes)`: return an integer tensor of shape
# `(num_classes, num_classes)` whose entry in row $i$, column $j$ counts the samples of true class $i$ predicted as $j$.
# A class that never occurs has a row of zeros.

# %% nbgrader={"grade": false, "grade_id": "l02_ex3_confusion_matrix", "locked": false, "schema_version": 3, "solution": true, "task": false}
def confusion_matrix(y_true, y_pred, num_classes):
    ### BEGIN SOLUTION
    counts = torch.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l02_ex3_confusion_matrix_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex3_confusion_matrix(confusion_matrix)

# %% [markdown] tags=["zh"]
# ## 练习 4：`StepLR` 的公式
#
# 写出 `step_lr(lr0, gamma, step_size, epoch)`：返回 `StepLR(optimizer, step_size, gamma)` 在第 `epoch` 轮（从 0 开始数）使用的学习率，即第 5 节的公式。检查会与 `scheduler.get_last_lr()` 逐轮比较。

# %% [markdown] tags=["en"]
# ## Exercise 4: the formula of `StepLR`
#
# Write `step_lr(lr0, gamma, step_size, epoch)`: return the learning rate that `StepLR(optimizer, step_size, gamma)`
# uses in epoch `epoch` (counting from 0), the formula of section 5. The check compares it with
# `scheduler.get_last_lr()` epoch by epoch.

# %% nbgrader={"grade": false, "grade_id": "l02_ex4_step_lr", "locked": false, "schema_version": 3, "solution": true, "task": false}
def step_lr(lr0, gamma, step_size, epoch):
    ### BEGIN SOLUTION
    return lr0 * gamma ** (epoch // step_size)
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l02_ex4_step_lr_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex4_step_lr(step_lr)

# %% [markdown] tags=["zh"]
# ## 小结
#
# - 学习率定步长，批次大小定梯度噪声和每轮步数，轮数定总步数。批次 64 时一轮 938 步，最后一批 32 个样本。
# - 每个批次：前向 → 损失 → `backward`（累加 `.grad`）→ `step`（改权重）→ `zero_grad`（清 `.grad`）。忘了 `zero_grad`，梯度会越积越多，训练悄悄变坏。
# - 训练前 `model.train()`；评估时 `model.eval()` 加 `torch.no_grad()`。
# - 原教程的配置（SGD，学习率 $10^{-3}$，5 轮）只到约 65%，因为步子太小、步数太少；更大的学习率、动量或 Adam 让同一个模型在 5 轮内超过 88%。
# - 混淆矩阵显示错误集中在衣服的上半身，尤其是衬衫和 T恤/上衣。
# - 学习率调度器在训练中改变学习率；`scheduler.step()` 放在 `optimizer.step()` 之后。
#
# 下一课：[05 回归损失函数](05_losses_regression.ipynb)。

# %% [markdown] tags=["en"]
# ## Summary
#
# - The learning rate sets the step size, the batch size the gradient noise and the steps per epoch, the epochs the
#   total number of steps. With batch 64 an epoch has 938 steps, the last batch 32 samples.
# - For every batch: forward → loss → `backward` (adds to `.grad`) → `step` (changes the weights) → `zero_grad` (clears
#   `.grad`). Forget `zero_grad`, and the gradients pile up and training silently goes bad.
# - `model.train()` before training; `model.eval()` plus `torch.no_grad()` for evaluation.
# - The original configuration (SGD, learning rate $10^{-3}$, 5 epochs) reaches only about 65% because its steps are
#   too small and too few; a larger learning rate, momentum or Adam take the same model past 88% within 5 epochs.
# - The confusion matrix shows the errors gathered among upper-body garments, above all shirts and T-shirts/tops.
# - A learning-rate scheduler changes the learning rate during training; `scheduler.step()` goes after
#   `optimizer.step()`.
#
# Next: [05 Regression losses](05_losses_regression.ipynb).
