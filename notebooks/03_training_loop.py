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
# # 03 训练循环
#
# 上一课：[02 自动求导](02_autograd.ipynb) · 下一课：[04 超参数与验证集](04_tuning.ipynb)
#
# 学完这一课，你能够：
#
# - 逐行写出训练循环（前向、损失、`backward`、`step`、`zero_grad`），说出每一步对 `.grad` 和权重做了什么；
# - 认出忘记 `zero_grad` 的错误，正确使用 `model.train()`、`model.eval()` 和 `torch.no_grad()`；
# - 用学习者笔记（seed）里的配置在 Fashion-MNIST 上真正训练一次，并说清它与 PyTorch 官方教程有哪些不同；
# - 用证据解释这个配置为什么只有约 65% 的测试准确率；
# - 量出批次梯度的噪声随批次大小 $B$ 按 $1/B$ 下降。

# %% [markdown] tags=["en"]
# # 03 The training loop
#
# Previous: [02 Autograd](02_autograd.ipynb) · Next: [04 Hyperparameters and the validation set](04_tuning.ipynb)
#
# After this lesson you can:
#
# - write the training loop line by line (forward, loss, `backward`, `step`, `zero_grad`) and say what each step does to
#   `.grad` and to the weights;
# - recognize the forgotten-`zero_grad` bug, and use `model.train()`, `model.eval()` and `torch.no_grad()` correctly;
# - train once for real on Fashion-MNIST with the configuration of the learner's notes (the seed), and say how it
#   differs from the official PyTorch tutorial;
# - explain from evidence why this configuration reaches only about 65% test accuracy;
# - measure how the noise of a batch gradient falls like $1/B$ with the batch size $B$.

# %%
import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import ToTensor

import fmnist_core as fc
from fmnist_core.checks import lesson03 as check

device = fc.get_device()  # 有 GPU 就用 GPU / the GPU when there is one
_ = fc.plot.cjk_font()  # 图中的中文 / Chinese in the figures

learning_rate = 1e-3
batch_size = 64
epochs = 5
loss_fn = nn.CrossEntropyLoss()
X_train, y_train = fc.load_tensors(train=True, device=device)

# %% [markdown] tags=["zh"]
# ## 1. 训练循环，一行一行地看
#
# 第 02 课在一个线性模型上手写过梯度下降。课程模型也一样，只是每一步只用一个批次：第 $t$ 步从训练集取出一个批次 $\mathcal{B}_t$，用这个批次上的平均损失更新参数 $\theta$，这就是小批量随机梯度下降（mini-batch SGD）：
#
# $$\theta_{t+1} = \theta_t - \eta \, \nabla_\theta \frac{1}{|\mathcal{B}_t|} \sum_{i \in \mathcal{B}_t} \ell\big(f_\theta(x_i), y_i\big)$$
#
# 其中 $f_\theta$ 是模型，$\ell$ 是一个样本的损失（这里是交叉熵，cross-entropy），$\eta$ 是学习率。每个批次，训练循环做五件事：
#
# ![训练循环：取一个批次、前向传播、损失、反向传播、更新参数、梯度清零](../images/training_loop.png)
#
# 1. 前向：`pred = model(X)`，同时记下计算图；
# 2. 损失：损失函数（loss function）算出 `loss = loss_fn(pred, y)`，一个数；
# 3. 反向传播：`loss.backward()`，把 $\partial L / \partial \theta$ **加到**每个参数的 `.grad` 上；
# 4. 更新：`optimizer.step()`，对 SGD 是 $\theta \leftarrow \theta - \eta \cdot$ `.grad`；
# 5. 清零：`optimizer.zero_grad()`，把 `.grad` 设为 `None`，为下一个批次做准备。
#
# 官方教程把 `zero_grad()` 放在循环的开头（`backward()` 之前），这里放在最后：两种写法等价，只要每次 `backward()` 之前，上一个批次的梯度已经清掉。
#
# 下面在一个批次上逐步执行，每一步之后打印最后一层的一个权重 $w$ 和它的梯度。

# %% [markdown] tags=["en"]
# ## 1. The training loop, line by line
#
# Lesson 02 wrote gradient descent by hand for a linear model. The course model works the same way, except that each
# step uses one batch only: step $t$ draws a batch $\mathcal{B}_t$ from the training set and updates the parameters
# $\theta$ with the mean loss on that batch. This is mini-batch stochastic gradient descent (SGD):
#
# $$\theta_{t+1} = \theta_t - \eta \, \nabla_\theta \frac{1}{|\mathcal{B}_t|} \sum_{i \in \mathcal{B}_t} \ell\big(f_\theta(x_i), y_i\big)$$
#
# where $f_\theta$ is the model, $\ell$ the loss of one sample (cross-entropy here) and $\eta$ the learning rate. For
# every batch the training loop does five things:
#
# ![The training loop: next batch, forward, loss, backward, update, clear the gradients](../images/training_loop.png)
#
# 1. forward: `pred = model(X)`, recording the graph as it goes;
# 2. loss: the loss function computes `loss = loss_fn(pred, y)`, one number;
# 3. backpropagation: `loss.backward()` **adds** $\partial L / \partial \theta$ to the `.grad` of every parameter;
# 4. update: `optimizer.step()`, for SGD $\theta \leftarrow \theta - \eta \cdot$ `.grad`;
# 5. clear: `optimizer.zero_grad()` sets `.grad` to `None`, ready for the next batch.
#
# The official tutorial calls `zero_grad()` at the top of the loop (before `backward()`); here it comes last. The two
# are equivalent: all that matters is that the previous batch's gradients are gone before each `backward()`.
#
# Below we run the steps one at a time on one batch, printing one weight $w$ of the last layer and its gradient after
# each step.

# %%
fc.set_seed(0)
model = fc.NeuralNetwork().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
W = model.linear_relu_stack[4].weight  # 最后一层的权重 (10, 512) / last layer's weight


def show(step):
    grad = "None" if W.grad is None else f"{W.grad[0, 0].item():+.4e}"
    print(f"{fc.pad(step, 30)} w = {W[0, 0].item():+.6f}   w.grad = {grad}")


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
# ### 1.1 经典错误：忘了 `zero_grad`
#
# 第 02 课看到，`backward` 把梯度**累加**到 `.grad` 上。在循环里忘了清零，第 $t$ 步用的就不是当前批次的梯度 $g_t$，而是至今所有梯度之和：
#
# $$\tilde{g}_t = \sum_{s=1}^{t} g_s$$
#
# 一开始这像一个很强的动量（momentum），损失甚至下降得更快；可是旧梯度属于早已不存在的权重，它们永远不会衰减，步子越来越大、方向越来越不对。下面用学习率 $10^{-2}$ 各训练一轮，比较两种写法：

# %% [markdown] tags=["en"]
# Forward and loss do not touch `.grad`; `backward` only writes `.grad` and leaves the weights alone; only `step`
# changes the weights; `zero_grad` clears `.grad` again.
#
# ### 1.1 The classic bug: forgetting `zero_grad`
#
# Lesson 02 showed that `backward` **adds** the gradient to `.grad`. Forget the clearing inside a loop, and step $t$ no
# longer uses the current batch's gradient $g_t$ but the sum of all gradients so far:
#
# $$\tilde{g}_t = \sum_{s=1}^{t} g_s$$
#
# At first this acts like a very strong momentum, and the loss may even fall faster; but the old gradients belong to
# weights that no longer exist, they never decay, and the steps grow larger and point further astray. Below we train
# for one epoch each way with a learning rate of $10^{-2}$:

# %% tags=["nbval-ignore-output", "grading-skip"]
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
      f"zero_grad {with_zero_grad[-100:].mean():.3f}, "
      f"没有 / without {without_zero_grad[-100:].mean():.3f}")

# %% tags=["grading-skip"]
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
# 忘了清零的那条曲线先是下降得更快，然后掉头向上，一轮结束时比正确的写法差得多。这种写法不会抛出任何异常，只会让训练“莫名其妙”地变差，所以值得记住。
#
# 说明：有时人们**故意**不在每步清零，把几个小批次的梯度累加起来再 `step` 一次，以模拟更大的批次，这叫梯度累积（gradient accumulation）；那时损失要除以累积的批次数，并且在 `step` 之后立刻清零。

# %% [markdown] tags=["en"]
# The curve without clearing first falls faster, then turns upward, and ends the epoch far worse than the correct loop.
# This code raises no exception; training just gets mysteriously worse, which is why the bug is worth remembering.
#
# Note: people sometimes skip the clearing **on purpose**, adding up the gradients of several small batches before one
# `step` to imitate a larger batch (gradient accumulation); then the loss is divided by the number of accumulated
# batches, and the gradients are cleared right after the `step`.

# %% [markdown] tags=["zh"]
# ### 1.2 `model.train()`、`model.eval()` 与 `torch.no_grad()`
#
# 有些层在训练和预测时行为不同：`Dropout` 在训练时随机把一部分输出置零（其余放大 $1/(1-p)$ 倍），预测时什么也不做；`BatchNorm` 在训练时用当前批次的统计量，预测时用累计的统计量。`model.train()` 切到训练模式（training mode），`model.eval()` 切到评估模式（evaluation mode）：它们只是切换这个开关（`model.training`），不做别的。课程模型没有这两种层，但养成习惯：训练前 `train()`，评估前 `eval()`。
#
# `torch.no_grad()` 是另一回事：第 02 课看到，它关掉计算图的记录。评估时不需要梯度，关掉它省时间、省内存。`eval()` 管层的行为，`no_grad()` 管梯度，评估时两个都要。

# %% [markdown] tags=["en"]
# ### 1.2 `model.train()`, `model.eval()` and `torch.no_grad()`
#
# Some layers behave differently in training and in prediction: `Dropout` zeroes a random part of its outputs in
# training (scaling the rest by $1/(1-p)$) and does nothing in prediction; `BatchNorm` uses the statistics of the
# current batch in training and its running statistics in prediction. `model.train()` switches to training mode and
# `model.eval()` to evaluation mode: they only flip that switch (`model.training`) and do nothing else. The course model
# has neither layer, but make it a habit: `train()` before training, `eval()` before evaluating.
#
# `torch.no_grad()` is a different thing: as lesson 02 showed, it turns off the recording of the graph. Evaluation needs
# no gradients, so turning it off saves time and memory. `eval()` governs how layers behave, `no_grad()` governs
# gradients; evaluation wants both.

# %%
dropout = nn.Dropout(p=0.5)
ones = torch.ones(10)
torch.manual_seed(0)
dropout.train()
print(f"train(): training={dropout.training}, 输出 / output = {dropout(ones).tolist()}")
dropout.eval()
print(f"eval():  training={dropout.training}, 输出 / output = {dropout(ones).tolist()}")

model.eval()
with torch.no_grad():
    out = model(X)
print(f"eval() + no_grad(): model.training={model.training}, "
      f"输出 / output requires_grad={out.requires_grad}")

# %% [markdown] tags=["zh"]
# ## 2. 学习者笔记（seed）的配置，真的训练一次
#
# 学习者笔记（seed）照 PyTorch 官方教程《Optimization》一节选了 SGD、学习率 $10^{-3}$、批次 64、5 轮，并给数据加载器设了 `shuffle=True`。下面的 `train_loop` 和 `test_loop` 沿用官方教程的结构，用 `DataLoader` + `ToTensor` 读数据。与我们读到的官方教程（`pytorch/tutorials` 的 `beginner_source/basics/optimization_tutorial.py`）相比，有这些不同：
#
# - `zero_grad()` 放在 `step()` 之后，官方教程放在 `backward()` 之前（两者等价，见第 1 节）；
# - 每 300 个批次打印一次损失，官方教程每 100 个；
# - 只打乱训练集（`shuffle=True`，第 00 课第 7 节说明为什么），官方教程的这一节不打乱；学习者笔记（seed）连测试集也打乱了，这不改变测试结果，这里不打乱；
# - 数据和模型都用 `.to(device)` 放到同一个设备上；
# - 测试损失按样本数加权平均，官方教程对每个批次的损失直接求平均（最后一个批次较小，两者略有差别）；
# - 训练 5 轮，官方教程最后的循环用 `epochs = 10`；
# - 两个函数返回平均损失和准确率，好画曲线。
#
# 这个单元格较慢（`DataLoader` 每轮逐张转换图片），输出每次运行都会略有不同，所以不参与比较；下一个单元格检查结论。

# %% [markdown] tags=["en"]
# ## 2. The configuration of the learner's notes (the seed), trained for real
#
# Following the "Optimization" page of the official PyTorch tutorial, the learner's notes (the seed) chose SGD, a
# learning rate of $10^{-3}$, batch 64 and 5 epochs, with `shuffle=True` for the data loaders. The `train_loop` and
# `test_loop` below keep the structure of the official tutorial and read the data with `DataLoader` + `ToTensor`.
# Compared with the official tutorial as we read it (`beginner_source/basics/optimization_tutorial.py` in
# `pytorch/tutorials`), they differ in these ways:
#
# - `zero_grad()` comes after `step()`; the official tutorial calls it before `backward()` (equivalent, see section
#   1);
# - the loss is printed every 300 batches; the official tutorial prints every 100;
# - only the training set is shuffled (`shuffle=True`; lesson 00, section 7 says why); that page of the official
#   tutorial does not shuffle; the learner's notes shuffle the test set too, which does not change the test result,
#   so we do not;
# - data and model are put on the same device with `.to(device)`;
# - the test loss is averaged weighting each batch by its number of samples; the official tutorial averages the batch
#   losses directly (the last batch is smaller, so the two differ slightly);
# - 5 epochs; the final loop of the official tutorial uses `epochs = 10`;
# - both functions return the mean loss and the accuracy, for the curves.
#
# This cell is slow (`DataLoader` converts the images one at a time every epoch), and its output differs a little from
# run to run, so it is not compared; the next cell checks the conclusions.

# %% tags=["nbval-ignore-output", "grading-skip"]
root = fc.ensure_data()
training_data = datasets.FashionMNIST(root=root, train=True, download=False, transform=ToTensor())
test_data = datasets.FashionMNIST(root=root, train=False, download=False, transform=ToTensor())
train_dataloader = DataLoader(training_data, batch_size=batch_size, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=batch_size)


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
seed_history = []
for t in range(epochs):
    print(f"Epoch {t + 1}\n-------------------------------")
    train_loss = train_loop(train_dataloader, model, loss_fn, optimizer)
    test_loss, test_acc = test_loop(test_dataloader, model, loss_fn)
    seed_history.append({"epoch": t + 1, "train_loss": train_loss, "test_loss": test_loss,
                         "test_acc": test_acc})
print("Done!")

# %% tags=["grading-skip"]
assert 0.55 < seed_history[-1]["test_acc"] < 0.75
print("学习者笔记（seed）的配置：5 轮后测试准确率在 55% 与 75% 之间（约 65%）✓")
print("the configuration of the learner's notes (seed): after 5 epochs,")
print("  test accuracy between 55% and 75% (about 65%) ✓")

# %% [markdown] tags=["zh"]
# ### 2.1 为什么只有约 65%？
#
# 模型太弱，还是训练不够？先看证据。上面打印的训练损失是每一轮里各批次损失的平均，那时权重还在变，不能直接和轮末的测试损失比。所以下面用**训练结束时**的模型，在整个训练集上再算一次损失和准确率，与测试集放在一起：

# %% [markdown] tags=["en"]
# ### 2.1 Why only about 65%?
#
# Is the model too weak, or is the training too short? Evidence first. The training loss printed above is the mean of
# the batch losses during each epoch, while the weights were still changing, so it cannot be compared directly with
# the test loss at the end of the epoch. Below we therefore take the model **at the end of training**, compute its
# loss and accuracy on the whole training set once more, and put them beside the test set's:

# %% tags=["nbval-ignore-output", "grading-skip"]
train_eval_loss, train_eval_acc = fc.evaluate(model, fc.TensorLoader(X_train, y_train, 1000),
                                               loss_fn)
last = seed_history[-1]
print(f"{fc.pad('', 26)} {fc.pad('损失 / loss', 12, '>')} {fc.pad('准确率 / accuracy', 18, '>')}")
print(f"{fc.pad('训练集 / training set', 26)} {train_eval_loss:>12.3f} {100 * train_eval_acc:>17.1f}%")
print(f"{fc.pad('测试集 / test set', 26)} {last['test_loss']:>12.3f} {100 * last['test_acc']:>17.1f}%")
drops = [a["train_loss"] - b["train_loss"] for a, b in zip(seed_history, seed_history[1:])]
print("\n每轮训练损失的下降 / fall of the training loss per epoch: " + ", ".join(f"{d:.3f}" for d in drops))
print(f"全猜均匀分布的损失 / the loss of a uniform guess: ln 10 = {torch.log(torch.tensor(10.0)):.3f}")

# %% tags=["grading-skip"]
assert abs(train_eval_loss - last["test_loss"]) < 0.1
assert abs(train_eval_acc - last["test_acc"]) < 0.05
assert all(d > 0.1 for d in drops[-2:])  # 最后两轮仍明显下降 / still falling clearly in the last two epochs
assert 0.6 < train_eval_loss < 1.6
print("训练集与测试集几乎一样差，训练损失仍在明显下降 ✓")
print("the training set is about as bad as the test set; "
      "the training loss is still falling clearly ✓")

# %% [markdown] tags=["zh"]
# 三条证据都指向同一个结论：**步子太小，步数太少**，不是模型不行。
#
# - 模型在它训练过的图片上也只认对约 65%，训练集和测试集的损失几乎一样高：这不是过拟合（overfitting），而是欠拟合（underfitting），连训练集都还没学好。
# - 训练损失在最后两轮每轮仍下降 0.1 以上，优化还远没有结束，而不是学到了头。
# - 训练集上的损失约为 1，离 0 还很远（全猜均匀分布是 $\ln 10 \approx 2.30$）。普通 SGD 每步只走 $\eta \cdot g$，学习率 $10^{-3}$ 时，5 轮共 4690 步，加起来也只走了很短的一段路。
#
# 官方教程的目的是演示训练循环，不是追求准确率；它的配置只是一个起点。第 04 课一个一个地改这些数，同一个模型 5 轮就能超过 85%。

# %% [markdown] tags=["en"]
# All three pieces of evidence point the same way: **steps too small, and too few of them**; the model is not the
# problem.
#
# - The model gets only about 65% right even on the images it trained on, and the losses on the training and the test
#   set are about equally high: this is not overfitting but underfitting; it has not even learned the training set
#   yet.
# - The training loss still falls by more than 0.1 per epoch in the last two epochs: the optimization is far from
#   finished, not at its limit.
# - The loss on the training set is about 1, far from 0 (a uniform guess gives $\ln 10 \approx 2.30$). Plain SGD
#   moves only $\eta \cdot g$ per step; with a learning rate of $10^{-3}$, the 4690 steps of 5 epochs add up to a short
#   walk.
#
# The official tutorial's aim is to show the training loop, not to reach a high accuracy; its configuration is only a
# starting point. Lesson 04 changes these numbers one at a time, and the same model passes 85% within 5 epochs.

# %% [markdown] tags=["zh"]
# ## 3. 批次越大，梯度越准
#
# 现在循环已经清楚了，再看一眼式子里的批次平均。批次梯度 $g_B$ 是 $B$ 个样本梯度的平均，它是整个训练集梯度 $g$ 的一个有噪声的估计，$g_B - g$ 就是梯度噪声（gradient noise）。独立样本的平均，方差按 $1/B$ 下降：
#
# $$\mathbb{E}\,\big\|g_B - g\big\|^2 \approx \frac{\sigma^2}{B}$$
#
# 其中 $\sigma^2$ 是单个样本梯度的方差（各分量方差之和）。从 $n$ 个样本里无放回地抽 $B$ 个时，还要乘一个小修正 $1 - B/n$。下面在一个未训练的模型上量一量：用 10,000 个训练样本的梯度当作 $g$，对每个 $B$ 抽 20 个批次，然后把实测的比值和公式预测的比值并排打印。

# %% [markdown] tags=["en"]
# ## 3. Larger batches, more accurate gradients
#
# Now that the loop is clear, one more look at the batch mean in the formula. The batch gradient $g_B$ is the mean of
# $B$ per-sample gradients, a noisy estimate of the gradient $g$ over the whole training set; $g_B - g$ is the gradient
# noise. The variance of a mean of
# independent samples falls like $1/B$:
#
# $$\mathbb{E}\,\big\|g_B - g\big\|^2 \approx \frac{\sigma^2}{B}$$
#
# where $\sigma^2$ is the variance of one sample's gradient (summed over its components). Drawing $B$ of $n$ samples
# without replacement adds a small correction factor $1 - B/n$. Let us measure it on an untrained model, using the
# gradient over 10,000 training samples as $g$ and drawing 20 batches for each $B$, then print the measured ratio next
# to the one the formula predicts.

# %% tags=["nbval-ignore-output", "grading-skip"]
fc.set_seed(0)
probe = fc.NeuralNetwork().to(device)


def gradient(X, y):
    """所有参数的梯度连成一个向量 / all parameter gradients as one vector."""
    probe.zero_grad()
    loss_fn(probe(X), y).backward()
    return torch.cat([p.grad.flatten() for p in probe.parameters()])


n = 10000
X_pool, y_pool = X_train[:n], y_train[:n]
g_full = gradient(X_pool, y_pool)
generator = torch.Generator().manual_seed(0)
batch_sizes = [16, 64, 256, 1024]
noise = []
for B in batch_sizes:
    draws = [torch.randperm(n, generator=generator)[:B].to(device) for _ in range(20)]
    errors = [(gradient(X_pool[i], y_pool[i]) - g_full).pow(2).sum() for i in draws]
    noise.append(torch.stack(errors).mean().item())

measured = noise[0] / noise[-1]
predicted = (1024 / 16) * (1 - 16 / n) / (1 - 1024 / n)  # 1/B 定律加无放回修正 / the 1/B law, corrected
print(f"B 从 16 增大到 1024（64 倍）/ from B = 16 to B = 1024 (64 times):")
print(f"  梯度噪声降为 / the gradient noise falls to: 实测 / measured 1/{measured:.0f}, "
      f"预测 / predicted 1/{predicted:.0f}")

# %% tags=["grading-skip"]
assert 0.6 * predicted < measured < 1.6 * predicted, measured
print("实测比值在预测值的 0.6 到 1.6 倍之间 ✓ / the measured ratio is within 0.6 to 1.6 times the prediction ✓")
fig, ax = plt.subplots(figsize=(5.5, 3.5))
ax.loglog(batch_sizes, noise, "o-", label=fc.label("实测", "measured"))
ax.loglog(batch_sizes, [noise[1] * 64 / B for B in batch_sizes], "--", label=r"$\propto 1/B$")
ax.set_xticks(batch_sizes, [str(B) for B in batch_sizes])  # 普通的刻度标签 / plain tick labels
ax.minorticks_off()
ax.set_xlabel(fc.label("批次大小 B", "batch size B"))
ax.set_ylabel(r"$\|g_B - g\|^2$")
ax.legend()
ax.grid(alpha=0.3, which="both")
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# 实测的点落在 $1/B$ 的直线附近：批次大 64 倍，梯度的平方误差也小了差不多这么多倍，实测的比值在预测值（约 71）的 0.6 到 1.6 倍之间（每个 $B$ 只抽了 20 个批次，实测值本身也带着抽样误差）。代价是一轮的步数也少了 64 倍。第 04 课会看到，批次大小和学习率要一起选。

# %% [markdown] tags=["en"]
# The measured points lie near the $1/B$ line: a batch 64 times larger has a squared gradient error about that many
# times smaller; the measured ratio lies within 0.6 to 1.6 times the predicted one (about 71) (only 20 batches were
# drawn for each $B$, so the measurement carries sampling error of its own). The price is 64 times fewer steps per
# epoch. Lesson 04 shows that the batch size and the learning rate are chosen together.

# %% [markdown] tags=["zh"]
# ## 练习 1：一轮训练
#
# 写出 `train_one_epoch(model, loader, loss_fn, optimizer)`：把模型切到训练模式，对 `loader` 的每个批次执行前向、损失、`backward`、`step`、`zero_grad`，返回这一轮**每个样本**的平均损失（Python 浮点数）。注意最后一个批次可能更小：每个批次的损失要乘以它的样本数再相加。检查用的模型里有 `Dropout`。

# %% [markdown] tags=["en"]
# ## Exercise 1: one epoch of training
#
# Write `train_one_epoch(model, loader, loss_fn, optimizer)`: switch the model to training mode, run forward, loss,
# `backward`, `step`, `zero_grad` on every batch of `loader`, and return the mean loss **per sample** over the epoch (a
# Python float). Mind that the last batch may be smaller: weight each batch's loss by its number of samples. The model
# used by the check contains `Dropout`.

# %% nbgrader={"grade": false, "grade_id": "l03_ex1_train_one_epoch", "locked": false, "schema_version": 3, "solution": true, "task": false}
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

# %% nbgrader={"grade": true, "grade_id": "l03_ex1_train_one_epoch_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex1_train_one_epoch(train_one_epoch)

# %% [markdown] tags=["zh"]
# ## 小结
#
# - 每个批次：前向 → 损失 → `backward`（累加 `.grad`）→ `step`（改权重）→ `zero_grad`（清 `.grad`）。`zero_grad` 放在循环开头或结尾都行，只要在下一次 `backward` 之前。忘了它，梯度会越积越多，训练悄悄变坏。
# - 训练前 `model.train()`；评估时 `model.eval()` 加 `torch.no_grad()`。
# - 学习者笔记（seed）的配置（SGD，学习率 $10^{-3}$，批次 64，5 轮）只到约 65%：训练结束时训练集和测试集上的损失、准确率几乎一样，训练损失仍在明显下降。这是欠拟合，原因是步子太小、步数太少。
# - 批次梯度的噪声按 $1/B$ 下降：批次越大，梯度越准，但一轮的步数越少。
#
# 下一课：[04 超参数与验证集](04_tuning.ipynb)。

# %% [markdown] tags=["en"]
# ## Summary
#
# - For every batch: forward → loss → `backward` (adds to `.grad`) → `step` (changes the weights) → `zero_grad` (clears
#   `.grad`). `zero_grad` may go at the top or at the bottom of the loop, as long as it comes before the next
#   `backward`. Forget it, and the gradients pile up and training silently goes bad.
# - `model.train()` before training; `model.eval()` plus `torch.no_grad()` for evaluation.
# - The configuration of the learner's notes (SGD, learning rate $10^{-3}$, batch 64, 5 epochs) reaches only about 65%:
#   at the end of training the training and test sets have about the same loss and accuracy, and the training loss is
#   still falling clearly. This is underfitting, caused by steps too small and too few.
# - The noise of a batch gradient falls like $1/B$: larger batches give more accurate gradients, but fewer steps per
#   epoch.
#
# Next: [04 Hyperparameters and the validation set](04_tuning.ipynb).
