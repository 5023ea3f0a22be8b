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
# # 04 超参数与验证集
#
# 上一课：[03 训练循环](03_training_loop.ipynb) · 下一课：[05 回归损失函数](05_losses_regression.ipynb)
#
# 预计用时：约 80 分钟（阅读、运行和练习）。
#
# 学完这一课，你能够：
#
# - 说出学习率、批次大小和轮数各自控制什么，算出一轮有多少次迭代；
# - 解释为什么要在验证集上比较配置、只在最后看一次测试集，用 `fc.get_tensor_loaders(..., val_size=10_000)` 分出验证集，在自己的数据集上用 `torch.utils.data.random_split` 做同样的划分；
# - 在验证集上看学习率、批次大小、动量和 Adam 怎样改变结果，验证批次放大时学习率跟着放大的经验法则；
# - 看到过拟合：训练损失一直降，验证损失先降后升；
# - 初步使用 `torch.optim.lr_scheduler`（`StepLR`、余弦退火），从学习率的记录反推 `StepLR` 的参数；
# - 在验证集上选出最好的配置和停止训练的轮次（早停），在测试集上只评估选中的模型一次；
# - 用混淆矩阵和每类准确率看出模型在哪里出错，从混淆矩阵算出每类的精确率和召回率。

# %% [markdown] tags=["en"]
# # 04 Hyperparameters and the validation set
#
# Previous: [03 The training loop](03_training_loop.ipynb) · Next: [05 Regression losses](05_losses_regression.ipynb)
#
# Time: about 80 min (reading, running and the exercises).
#
# After this lesson you can:
#
# - say what the learning rate, the batch size and the number of epochs each control, and count the iterations of an
#   epoch;
# - explain why configurations are compared on a validation set and the test set is looked at only once at the end,
#   split one off with `fc.get_tensor_loaders(..., val_size=10_000)`, and make the same split of your own data set
#   with `torch.utils.data.random_split`;
# - see on the validation set how the learning rate, the batch size, momentum and Adam change the result, and check
#   the rule of thumb that scales the learning rate with the batch;
# - see overfitting: the training loss keeps falling while the validation loss falls, then rises;
# - take a first step with `torch.optim.lr_scheduler` (`StepLR`, cosine annealing), and recover a `StepLR`'s
#   parameters from a record of its learning rates;
# - choose the best configuration, and the epoch at which to stop training (early stopping), on the validation
#   set, and evaluate the chosen model once on the test set;
# - see where the model goes wrong with a confusion matrix and per-class accuracy, and compute each class's
#   precision and recall from the confusion matrix.

# %%
import math

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.data import DataLoader, Subset, random_split

import fmnist_core as fc
from fmnist_core.checks import lesson04 as check

device = fc.get_device()  # 有 GPU 就用 GPU / the GPU when there is one
_ = fc.plot.cjk_font()  # 图中的中文 / Chinese in the figures
loss_fn = nn.CrossEntropyLoss()

# %% [markdown] tags=["zh"]
# ## 1. 三个超参数
#
# ### 1.1 定义
#
# 训练前要选定几个数，它们不由训练学出来，叫超参数（hyperparameter）。第 03 课的配置选的是：
#
# - 学习率 $\eta = 10^{-3}$：每一步沿梯度反方向走多远；
# - 批次大小 $B = 64$：每一步用多少个样本估计梯度；
# - 轮数 $E = 5$：把训练集完整过几遍。
#
# 训练集有 $N$ 个样本时，一轮的迭代（iteration）次数是 $\lceil N/B \rceil$，总步数是：
#
# $$T = E \left\lceil \frac{N}{B} \right\rceil$$
#
# 第 03 课用全部 $N = 60000$ 张训练图片：$T = 5 \times 938 = 4690$，每轮最后一个批次只有 $60000 - 937 \times 64 = 32$ 个样本。从第 2 节起，训练集是其中的 $N = 50000$ 张（另外 10,000 张留作验证集）：$T = 5 \times 782 = 3910$，最后一个批次有 $50000 - 781 \times 64 = 16$ 个样本。下表列出两种 $N$ 下几个批次大小的情形。

# %% [markdown] tags=["en"]
# ## 1. Three hyperparameters
#
# ### 1.1 Definition
#
# Before training we choose a few numbers that training does not learn: the hyperparameters. The configuration of
# lesson 03 chose:
#
# - the learning rate $\eta = 10^{-3}$: how far each step goes against the gradient;
# - the batch size $B = 64$: how many samples each step uses to estimate the gradient;
# - the number of epochs $E = 5$: how many full passes over the training set.
#
# With $N$ training samples an epoch has $\lceil N/B \rceil$ iterations, and the total number of steps is:
#
# $$T = E \left\lceil \frac{N}{B} \right\rceil$$
#
# Lesson 03 used all $N = 60000$ training images: $T = 5 \times 938 = 4690$, and the last batch of every epoch holds
# only $60000 - 937 \times 64 = 32$ samples. From section 2 on, the training set is $N = 50000$ of them (the other
# 10,000 are kept as the validation set): $T = 5 \times 782 = 3910$, and the last batch holds
# $50000 - 781 \times 64 = 16$ samples. The table lists a few batch sizes for both values of $N$.

# %%
print(f"{'N':>6} {fc.pad('批次大小 / batch size', 21, '>')} {fc.pad('每轮迭代 / iterations', 21, '>')} "
      f"{fc.pad('最后一批 / last batch', 21, '>')} {fc.pad('5 轮的步数 / steps in 5', 23, '>')}")
for N in [60_000, 50_000]:
    for B in [16, 64, 256, 1024]:
        n_iter = -(-N // B)  # 向上取整 / rounding up
        last = N - (n_iter - 1) * B
        assert n_iter == len(DataLoader(range(N), batch_size=B))  # 与 DataLoader 一致 / as DataLoader
        print(f"{N:>6} {B:>21} {n_iter:>21} {last:>21} {5 * n_iter:>23}")

# %% [markdown] tags=["zh"]
# ### 1.2 每个超参数控制什么
#
# - 学习率决定步子的大小。太小，几千步也走不远（第 03 课）；太大，每步都跨过谷底，损失来回震荡甚至变大。
# - 批次大小决定梯度估计的噪声和每轮的步数。批次越大，梯度越准（第 03 课第 3 节量过，噪声按 $1/B$ 下降），但一轮里的步数越少。
# - 轮数决定一共走多少步。太少，模型还没学会；太多，模型会开始死记训练集，即过拟合。
#
# ## 2. 验证集
#
# 下面要训练很多种配置，然后挑一个最好的。如果按**测试集**上的准确率来挑，挑出来的那个数就不再是对新数据的公正估计：几个配置的差别本来就带着随机噪声，取最大的那个，等于连噪声里的好运气也一起挑了进去。测试集一旦参与了选择，它就只是又一个被调过的数据集。
#
# 所以把 60,000 张训练图片再分成两份：50,000 张用来训练，10,000 张作为验证集（validation set），只用来比较和选择；测试集留到最后，对选中的那一个配置只评估一次。这个过程叫模型选择（model selection）。`fc.get_tensor_loaders(..., val_size=10_000)` 返回三个加载器；划分是固定的（`fc.split_indices()`，种子 0），每一课都一样。

# %% [markdown] tags=["en"]
# ### 1.2 What each one controls
#
# - The learning rate sets the step size. Too small, and thousands of steps do not get far (lesson 03); too large, and
#   each step jumps across the valley, so the loss oscillates or even grows.
# - The batch size sets the noise of the gradient estimate and the number of steps per epoch. A larger batch gives a
#   more accurate gradient (lesson 03, section 3 measured its noise falling like $1/B$), but an epoch has fewer steps.
# - The number of epochs sets how many steps there are in all. Too few, and the model has not learned yet; too many,
#   and it starts to memorize the training set: overfitting.
#
# ## 2. The validation set
#
# Below we train many configurations and then pick the best. If we picked by accuracy on the **test set**, the number
# we picked would no longer be a fair estimate for new data: the differences between configurations carry random
# noise, and taking the largest also picks the luckiest noise. Once the test set has taken part in a choice, it is
# just one more data set we tuned on.
#
# So we split the 60,000 training images once more: 50,000 to train on, and 10,000 as the validation set, used only to
# compare and choose; the test set waits until the end, and is evaluated once, for the one configuration chosen. This
# is model selection. `fc.get_tensor_loaders(..., val_size=10_000)` returns three loaders; the split is fixed
# (`fc.split_indices()`, seed 0) and the same in every lesson.

# %%
batch_size = 64
train_loader, val_loader, test_loader = fc.get_tensor_loaders(batch_size, device=device,
                                                              val_size=10_000)
train_idx, val_idx = fc.split_indices()
val_counts = torch.bincount(val_loader.y.cpu(), minlength=10)
for name, loader in [("训练 / train", train_loader), ("验证 / val", val_loader),
                     ("测试 / test", test_loader)]:
    print(f"{fc.pad(name, 14)} {len(loader.dataset):>6} 张图片 / images, "
          f"{len(loader):>4} 个批次 / batches")
print(f"验证集每类的图片数 / validation images per class: {val_counts.min()} 到 / to {val_counts.max()}")
assert len(train_idx) == 50_000 and len(val_idx) == 10_000
assert not torch.isin(val_idx, train_idx).any()  # 没有重叠 / no overlap
print("训练集和验证集没有重叠 ✓ / the training and validation sets do not overlap ✓")

# %% [markdown] tags=["zh"]
# 验证集是随机抽的，每个类别有 948 到 1,055 张，大致均衡。
#
# 在你自己的数据集上，用 PyTorch 的 `torch.utils.data.random_split(dataset, [n_1, n_2], generator=...)`：它把下标随机打乱，按给定的长度依次切成几段，每段返回一个 `Subset`（按一组下标去取原数据集样本的数据集）；给它一个固定种子的生成器，每次运行得到的划分都一样。课程的划分就是这样来的：`fc.split_indices()` 把打乱后的前 10,000 个下标作为验证集，等于 `random_split` 的长度写成 `[10_000, 50_000]`、种子为 0；课程里 `ToTensor` 加 `DataLoader` 的那条路（第 00 课的做法，`fc.get_dataloaders(..., val_size=10_000)`）再用 `Subset` 取出两部分图片。下面先在 10 个样本上看一次，再核对这一点。

# %% [markdown] tags=["en"]
# The validation images are drawn at random: 948 to 1,055 of each class, roughly balanced.
#
# On a data set of your own, use PyTorch's `torch.utils.data.random_split(dataset, [n_1, n_2], generator=...)`: it
# shuffles the indices, cuts them in order into pieces of the given lengths, and returns each piece as a `Subset` (a
# data set that takes the samples of the original one at a list of indices); given a generator with a fixed seed, it
# makes the same split on every run. The course's split is made this way: `fc.split_indices()` takes the first 10,000
# shuffled indices as the validation set, which is `random_split` with the lengths `[10_000, 50_000]` and seed 0;
# the course's `ToTensor` and `DataLoader` path (lesson 00's way, `fc.get_dataloaders(..., val_size=10_000)`) then
# takes the two parts of the images with `Subset`. Below we first look at it on 10 samples, then check this.

# %%
small_a, small_b = random_split(range(10), [7, 3], generator=torch.Generator().manual_seed(0))
print(f"random_split(range(10), [7, 3]): {sorted(small_a.indices)} + {sorted(small_b.indices)}")
again, _ = random_split(range(10), [7, 3], generator=torch.Generator().manual_seed(0))
assert again.indices == small_a.indices  # 同一个种子，同一个划分 / the same seed, the same split
assert sorted(small_a.indices + small_b.indices) == list(range(10))  # 不重不漏 / disjoint, complete
assert isinstance(small_a, Subset) and small_a[0] == small_a.indices[0]

val_part, train_part = random_split(range(60_000), [10_000, 50_000],
                                    generator=torch.Generator().manual_seed(0))
assert torch.equal(torch.tensor(sorted(val_part.indices)), val_idx)
assert torch.equal(torch.tensor(sorted(train_part.indices)), train_idx)
print("random_split(range(60_000), [10_000, 50_000])，种子 0 ✓ 与 fc.split_indices() 相同")
print("random_split(range(60_000), [10_000, 50_000]), seed 0 ✓ the same as fc.split_indices()")

# %% [markdown] tags=["zh"]
# 以后凡是要在几个配置之间做选择，都在验证集上比较。
#
# ## 3. 什么能改变结果
#
# 为了在几分钟内比较很多配置，下面用快速通道 `fc.get_tensor_loaders`（整个数据集在一个张量里，数字与 `ToTensor` 完全相同，见第 00 课）和 `fc.fit`（里面就是第 03 课的循环），`eval_name="val"` 让它每轮结束时在验证集上评估。每个配置都从同一个随机初始化、同样的数据顺序开始，训练 5 轮。训练输出每次运行都会变，所以这些单元格不参与比较，后面的单元格用带余量的比较检查结论。

# %% [markdown] tags=["en"]
# From now on, whenever we choose between configurations, we compare them on the validation set.
#
# ## 3. What changes the result
#
# To compare many configurations within minutes we use the fast path `fc.get_tensor_loaders` (the whole data set in
# one tensor, the same numbers as `ToTensor`, see lesson 00) and `fc.fit` (the loop of lesson 03 inside), with
# `eval_name="val"` so that it evaluates on the validation set after every epoch. Every configuration starts from the
# same random initialization and the same data order, and trains for 5 epochs. Training output varies from run to run,
# so these cells are not compared; the cells after them check the conclusions with comparisons that leave a margin.

# %%
histories, models = {}, {}


def run(name, make_optimizer, batch_size=64, make_scheduler=None, epochs=5, seed=0):
    """同样的模型、初始化和数据顺序，换超参数训练 / same model, initialization and data order."""
    fc.set_seed(seed)
    model = fc.NeuralNetwork().to(device)
    train_loader, val_loader, _ = fc.get_tensor_loaders(
        batch_size, device=device, generator=torch.Generator().manual_seed(seed), val_size=10_000)
    optimizer = make_optimizer(model.parameters())
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    histories[name] = fc.fit(model, train_loader, val_loader, loss_fn, optimizer, epochs,
                             scheduler=scheduler, eval_name="val", progress=False, verbose=False)
    models[name] = model
    print(f"{name:<24} 验证准确率 / val accuracy: "
          + " ".join(f"{100 * h['val_acc']:.1f}%" for h in histories[name]))


def final(name):
    """最后一轮的验证准确率 / the validation accuracy after the last epoch."""
    return histories[name][-1]["val_acc"]


def legend_outside(fig):
    """图例放到坐标轴右边，不挡曲线 / the legend to the right of the axes, off the curves."""
    ax = fig.axes[-1]
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    return fig

# %% [markdown] tags=["zh"]
# ### 3.1 学习率
#
# 只改学习率：$10^{-3}$（第 03 课的配置）、$10^{-2}$、$10^{-1}$ 和 $1$。

# %% [markdown] tags=["en"]
# ### 3.1 The learning rate
#
# Change only the learning rate: $10^{-3}$ (the configuration of lesson 03), $10^{-2}$, $10^{-1}$ and $1$.

# %% tags=["nbval-ignore-output", "grading-skip"]
for lr in [1e-3, 1e-2, 1e-1, 1.0]:
    run(f"SGD lr={lr:g}", lambda params: torch.optim.SGD(params, lr=lr))

# %% tags=["grading-skip"]
assert 0.55 < final("SGD lr=0.001") < 0.75  # 约 65%，与第 03 课相近 / about 65%, close to lesson 03
assert final("SGD lr=0.01") > final("SGD lr=0.001") + 0.1
assert final("SGD lr=0.1") > final("SGD lr=0.01") + 0.01
assert final("SGD lr=1") < final("SGD lr=0.1") - 0.3
print("学习率从 1e-3 增大到 1e-1，验证准确率一路上升；到 1 就太大了 ✓")
print("raising the learning rate from 1e-3 to 1e-1 helps all the way; 1 is too large ✓")
lr_names = ["SGD lr=0.001", "SGD lr=0.01", "SGD lr=0.1", "SGD lr=1"]
fig = fc.plot_histories({k: histories[k] for k in lr_names}, size=(11, 3.5),
                        title=fc.label("学习率（批次 64）", "learning rate (batch 64)"))
legend_outside(fig)
plt.show()

# %% [markdown] tags=["zh"]
# 学习率是最重要的一个超参数。从 $10^{-3}$ 到 $10^{-1}$，每放大 10 倍，验证准确率都提高（第 3.3 节末尾的表换了划分和种子，$10^{-2}$ 到 $10^{-1}$ 这一步最少也高 1.4 个百分点）；到 $1$ 时步子大到把模型推坏了，验证准确率比学习率 $10^{-1}$ 时低 30 个百分点以上。

# %% [markdown] tags=["en"]
# The learning rate is the most important hyperparameter. From $10^{-3}$ to $10^{-1}$, each factor of 10 raises the
# validation accuracy (the table at the end of section 3.3 varies the split and the seed: the step from $10^{-2}$ to
# $10^{-1}$ adds 1.4 points at the least); at $1$ the steps are so large that they break the model: its validation accuracy is more
# than 30 points below that at $10^{-1}$.

# %% [markdown] tags=["zh"]
# ### 3.2 批次大小
#
# 学习率保持 $10^{-3}$，只改批次大小：16、64（上面）和 256。在 50,000 张训练图片上，5 轮里它们分别走 15,625、3,910 和 980 步。

# %% [markdown] tags=["en"]
# ### 3.2 The batch size
#
# Keep the learning rate at $10^{-3}$ and change only the batch size: 16, 64 (above) and 256. On the 50,000 training
# images they take 15,625, 3,910 and 980 steps in 5 epochs.

# %% tags=["nbval-ignore-output", "grading-skip"]
for B in [16, 256]:
    run(f"SGD lr=0.001, B={B}", lambda params: torch.optim.SGD(params, lr=1e-3), batch_size=B)

# %% tags=["grading-skip"]
steps = {B: 5 * math.ceil(50_000 / B) for B in [16, 64, 256]}
assert steps == {16: 15_625, 64: 3_910, 256: 980}
assert final("SGD lr=0.001, B=16") > final("SGD lr=0.001") + 0.05
assert final("SGD lr=0.001") > final("SGD lr=0.001, B=256") + 0.05
print("学习率不变时，批次越小（步数越多），验证准确率越高 ✓")
print("at a fixed learning rate, smaller batches (more steps) reach a higher validation accuracy ✓")
fig = fc.plot_histories({"B=16": histories["SGD lr=0.001, B=16"], "B=64": histories["SGD lr=0.001"],
                         "B=256": histories["SGD lr=0.001, B=256"]}, size=(11, 3.5),
                        title=fc.label("批次大小（学习率 1e-3）", "batch size (learning rate 1e-3)"))
legend_outside(fig)
plt.show()

# %% [markdown] tags=["zh"]
# 学习率这么小时，步数是瓶颈：批次 16 的步数是批次 64 的 4 倍，效果也好得多；批次 256 步数太少，学得最慢。反过来，大批次每步的梯度更准、在 GPU 上每轮更快，所以常见的做法是批次放大 $k$ 倍时学习率也大约放大 $k$ 倍（线性缩放经验法则，linear scaling rule），而不是让学习率保持不变。
#
# 为什么是 $k$ 倍？学习率小的时候，SGD 一轮里走的总路程约等于“学习率 × 步数 × 平均梯度”。批次放大 $k$ 倍，步数变成 $1/k$，每步的平均梯度不变，学习率乘 $k$ 正好补回来。下面验证：批次 256、学习率 $4 \times 10^{-3}$，应该追上批次 64、学习率 $10^{-3}$（$980 \times 0.004 \approx 3910 \times 0.001$）。先预测一下，再运行。

# %% [markdown] tags=["en"]
# With so small a learning rate, the number of steps is the bottleneck: batch 16 takes 4 times as many steps as batch
# 64 and does much better; batch 256 takes too few steps and learns slowest. Conversely, large batches give more
# accurate gradients and faster epochs on a GPU, so the usual practice is to scale the learning rate by about $k$ when
# the batch grows $k$ times (the linear scaling rule of thumb), rather than keeping the learning rate fixed.
#
# Why $k$ times? With a small learning rate, the distance SGD travels in an epoch is about "learning rate × steps ×
# mean gradient". A batch $k$ times larger means $1/k$ as many steps with the same mean gradient per step, and a
# learning rate $k$ times larger makes up for it. Let us check: batch 256 at learning rate $4 \times 10^{-3}$ should
# catch up with batch 64 at $10^{-3}$ ($980 \times 0.004 \approx 3910 \times 0.001$). Predict first, then run it.

# %% tags=["nbval-ignore-output", "grading-skip"]
run("SGD lr=0.004, B=256", lambda params: torch.optim.SGD(params, lr=4e-3), batch_size=256)

# %% tags=["grading-skip"]
scaled, base, unscaled = "SGD lr=0.004, B=256", "SGD lr=0.001", "SGD lr=0.001, B=256"
assert final(scaled) > final(unscaled) + 0.05  # 学习率跟着放大，追回来了 / scaling the lr catches up
assert abs(final(scaled) - final(base)) < 0.02  # 与批次 64 相差不到 2 个百分点 / within 2 points of B=64
print(f"B=64 lr=1e-3: {100 * final(base):.1f}%   B=256 lr=1e-3: {100 * final(unscaled):.1f}%   "
      f"B=256 lr=4e-3: {100 * final(scaled):.1f}%")
print("批次放大 4 倍、学习率也放大 4 倍：与批次 64 相差不到 2 个百分点 ✓")
print("4 times the batch with 4 times the learning rate: within 2 points of batch 64 ✓")

# %% [markdown] tags=["zh"]
# 学习率跟着批次放大 4 倍，5 轮后的验证准确率就和批次 64 几乎一样，而每轮只有四分之一的步数。这条法则有适用范围：它是为 SGD 总结的（Goyal 等人，2017），学习率大了以后要配合预热（第 09 课），批次大到一定程度就不再成立；对 Adam，常见的建议是按 $\sqrt{k}$ 放大，这里没有验证。

# %% [markdown] tags=["en"]
# With the learning rate scaled up 4 times along with the batch, the validation accuracy after 5 epochs is almost that
# of batch 64, with a quarter of the steps per epoch. The rule has a range: it was worked out for SGD (Goyal et al.,
# 2017), at larger learning rates it needs a warm-up (lesson 09), and beyond some batch size it stops holding; for
# Adam the usual advice is to scale by $\sqrt{k}$, which we do not check here.

# %% [markdown] tags=["zh"]
# ### 3.3 动量与 Adam
#
# 换优化器。带动量的 SGD 把过去的梯度累积成一个“速度” $v$，但每步让它衰减到 $\mu$ 倍：
#
# $$v_{t+1} = \mu v_t + g_t, \qquad \theta_{t+1} = \theta_t - \eta \, v_{t+1}$$
#
# 与忘记 `zero_grad` 不同，旧梯度会以 $\mu^k$ 的速度被遗忘。梯度方向稳定时，$v$ 约为 $g / (1 - \mu)$，所以有效学习率（effective learning rate）约为 $\eta / (1 - \mu)$：$\mu = 0.9$、$\eta = 10^{-2}$ 时约为 $0.1$，与上面学习率 $10^{-1}$ 的 SGD 相当。Adam 则给每个参数单独调节步长（step size）。两者的公式和从零实现分别在第 07 课和第 08 课。

# %% [markdown] tags=["en"]
# ### 3.3 Momentum and Adam
#
# Change the optimizer. SGD with momentum accumulates past gradients into a "velocity" $v$, but lets it decay by a
# factor $\mu$ each step:
#
# $$v_{t+1} = \mu v_t + g_t, \qquad \theta_{t+1} = \theta_t - \eta \, v_{t+1}$$
#
# Unlike a forgotten `zero_grad`, old gradients are forgotten at the rate $\mu^k$. When the gradient keeps its
# direction, $v$ is about $g / (1 - \mu)$, so the effective learning rate is about $\eta / (1 - \mu)$: about $0.1$ for
# $\mu = 0.9$ and $\eta = 10^{-2}$, on a par with SGD at learning rate $10^{-1}$ above. Adam instead adapts the step
# size of each parameter on its own. Their formulas and from-scratch versions are in lessons 07 and 08.

# %% tags=["nbval-ignore-output", "grading-skip"]
run("SGD momentum=0.9 lr=0.01", lambda params: torch.optim.SGD(params, lr=1e-2, momentum=0.9))
for lr in [3e-4, 1e-3, 3e-3]:  # 默认值 1e-3，以及小 3 倍、大 3 倍 / the default 1e-3, and 3 times either way
    run(f"Adam lr={lr:g}", lambda params: torch.optim.Adam(params, lr=lr))
adam_lrs = ["Adam lr=0.0003", "Adam lr=0.001", "Adam lr=0.003"]


def final_train_loss(name):
    """最后一轮的训练损失 / the training loss of the last epoch."""
    return histories[name][-1]["train_loss"]


mom, sgd_01, sgd_001 = "SGD momentum=0.9 lr=0.01", "SGD lr=0.1", "SGD lr=0.01"
print("\n第 5 轮的训练损失 / training loss in epoch 5:")
for name in [sgd_001, mom, sgd_01]:
    print(f"  {name:<26} {final_train_loss(name):.3f}")

# %% tags=["grading-skip"]
assert final("Adam lr=0.001") > final("SGD lr=0.001") + 0.15
assert min(final("Adam lr=0.001"), final(mom), final(sgd_01)) > 0.82
assert final(mom) > final(sgd_001) + 0.02 and final(mom) > final(sgd_01) - 0.02
assert abs(final_train_loss(mom) - final_train_loss(sgd_01)) < 0.02
assert final_train_loss(sgd_001) > final_train_loss(mom) + 0.1
adam_accs = [final(name) for name in adam_lrs]
assert min(adam_accs) > 0.85 and max(adam_accs) - min(adam_accs) < 0.025, adam_accs
print("Adam、动量 SGD、学习率 1e-1 的 SGD 都超过 82%；Adam 比学习率 1e-3 的 SGD 高 15 个百分点以上 ✓")
print("Adam, SGD with momentum and SGD at 1e-1 all pass 82%;")
print("  Adam beats SGD at 1e-3 by more than 15 points ✓")
print("动量 0.9 + 学习率 1e-2 的训练损失与学习率 1e-1 的 SGD 相差不到 0.02 ✓")
print("momentum 0.9 at 1e-2 ends within 0.02 of the training loss of SGD at 1e-1 ✓")
print("Adam 学习率 3e-4、1e-3、3e-3：都超过 85%，彼此相差不到 2.5 个百分点 ✓")
print("Adam at 3e-4, 1e-3 and 3e-3: all above 85%, within 2.5 points of each other ✓")
shown = ["SGD lr=0.001", "SGD lr=0.01", "SGD lr=0.1", mom, *adam_lrs]
fig = fc.plot_histories({k: histories[k] for k in shown}, size=(12, 4),
                        title=fc.label("同一个模型，不同的超参数（5 轮）",
                                       "The same model, different hyperparameters (5 epochs)"))
legend_outside(fig)
plt.show()

# %% [markdown] tags=["zh"]
# 同一个模型、同样 5 轮，只改超参数，验证准确率就从约 65% 升到 85% 以上。Adam 的学习率从 $3 \times 10^{-4}$ 到 $3 \times 10^{-3}$ 跨了 10 倍，验证准确率都在 85% 以上，彼此相差不到 2.5 个百分点；而 SGD 的学习率差 10 倍，结果就差十几到几十个百分点。所以在这个问题上，Adam 的默认值 $10^{-3}$ 是个好起点，对学习率也不那么敏感；这不是说 Adam 不用调学习率，只是在这里 3 倍以内的误差代价不大（第 08 课第 1.2 节解释为什么 Adam 的步长与梯度的尺度无关）。
#
# 动量那一条要读仔细：学习率 $10^{-2}$ 的 SGD 加上动量 0.9，明显好过不加动量的同一学习率；可是它的训练损失和学习率 $10^{-1}$ 的普通 SGD 几乎一样，验证准确率多数时候也相近（普通 SGD 在学习率 $10^{-1}$ 时偶尔会落后几个百分点，见本节末尾的表）。这正是有效学习率 $\eta / (1 - \mu) \approx 0.1$ 的预言：在这里，动量的好处主要是把步子放大了约 10 倍，而不是别的什么魔法。动量在病态问题上的其他好处见第 07 课。
#
# 还要注意曲线的起伏：学习率固定时，最后几轮的验证准确率常常上下跳，因为每一步仍带着批次的噪声（第 03 课第 3 节）。第 4 节用学习率调度器处理这一点。

# %% [markdown] tags=["en"]
# The same model, the same 5 epochs: changing only the hyperparameters lifts the validation accuracy from about 65% to
# more than 85%. Adam's learning rate spans a factor of 10, from $3 \times 10^{-4}$ to $3 \times 10^{-3}$, and its
# validation accuracy stays above 85% throughout, within 2.5 points; a factor of 10 in SGD's learning rate moves the
# result by ten to several tens of points. So on this problem Adam's default $10^{-3}$ is a good place to start, and
# Adam is less sensitive to its learning rate; that does not mean Adam needs no tuning, only that missing by a factor
# of 3 costs little here (lesson 08, section 1.2, explains why Adam's step does not depend on the scale of the
# gradient).
#
# Read the momentum curve carefully: SGD at learning rate $10^{-2}$ with momentum 0.9 clearly beats the same learning
# rate without momentum; yet its training loss is almost that of plain SGD at learning rate $10^{-1}$, and its
# validation accuracy is mostly close too (plain SGD at $10^{-1}$ now and then falls a few points behind: see the table
# at the end of this section). This is just what the effective learning rate $\eta / (1 - \mu) \approx 0.1$
# predicts: here the benefit of momentum is mostly that it makes the steps about 10 times larger, not some other magic.
# Its other benefits, on ill-conditioned problems, are in lesson 07.
#
# Notice also the bumps in the curves: with a fixed learning rate, the validation accuracy of the last epochs often
# jumps up and down, because every step still carries the noise of its batch (lesson 03, section 3). Section 4 deals
# with that using a learning-rate scheduler.

# %% [markdown] tags=["zh"]
# #### 换划分、换种子
#
# 上面每个数都只来自一次运行：一个验证划分、一个种子。我们在笔记本之外把这一课跑了 9 次：3 个验证划分（课程的划分，以及换了划分种子的另外两个）× 3 个种子，1 个线程（`benchmarks/claims_spread.py`）。下表是每个配置 5 轮后验证准确率的最低和最高：
#
# | 配置 | 课程的划分、种子 0 | 9 次最低 | 9 次最高 |
# |---|---|---|---|
# | `SGD lr=0.001` | 64.26% | 63.63% | 65.57% |
# | `SGD lr=0.01` | 81.25% | 80.82% | 82.47% |
# | `SGD lr=0.1` | 85.45% | 82.97% | 86.93% |
# | `SGD lr=1` | 32.91% | 10.22% | 32.91% |
# | `SGD lr=0.001, B=16` | 77.05% | 77.01% | 79.39% |
# | `SGD lr=0.001, B=256` | 49.71% | 44.14% | 51.59% |
# | `SGD lr=0.004, B=256` | 64.22% | 63.74% | 65.59% |
# | `SGD momentum=0.9 lr=0.01` | 86.98% | 85.59% | 87.88% |
# | `Adam lr=0.0003` | 87.83% | 86.74% | 88.59% |
# | `Adam lr=0.001` | 88.25% | 85.98% | 89.08% |
# | `Adam lr=0.003` | 87.21% | 85.75% | 88.05% |
# | `Adam lr=0.001 + cosine` | 88.70% | 88.57% | 89.58% |
#
# 这一节的断言在 9 次里都成立，但有几个余量是看了这张表才定的。学习率 $10^{-1}$ 的普通 SGD 在 9 次里从 83.0% 到 86.9%：有一次（划分 1、种子 0）它只有 83.0%，只比 $10^{-2}$ 高 1.4 个百分点，比动量低 4.7 个百分点。所以检查只要求它比 $10^{-2}$ 高 1 个百分点以上、动量不比它低 2 个百分点以上；动量与它训练损失相近这一条，9 次里相差都不到 0.01。学习率 1 的 SGD 9 次都坏掉了（最高 32.9%）。学习率跟着批次放大以后，批次 256 与批次 64 在 9 次里都相差不到 0.3 个百分点。Adam 的三个学习率 9 次里都在 85.7% 以上，每次彼此相差不到 2.5 个百分点；加上余弦退火以后 9 次都在 88.5% 以上，起伏也最小。

# %% [markdown] tags=["en"]
# #### Another split, another seed
#
# Every number above comes from one run: one validation split, one seed. Outside the notebook we ran this lesson 9
# times: 3 validation splits (the course's, and two more drawn with another split seed) × 3 seeds, at 1 thread
# (`benchmarks/claims_spread.py`). The lowest and the highest validation accuracy of each configuration after 5
# epochs:
#
# | configuration | the course's split, seed 0 | lowest of 9 | highest of 9 |
# |---|---|---|---|
# | `SGD lr=0.001` | 64.26% | 63.63% | 65.57% |
# | `SGD lr=0.01` | 81.25% | 80.82% | 82.47% |
# | `SGD lr=0.1` | 85.45% | 82.97% | 86.93% |
# | `SGD lr=1` | 32.91% | 10.22% | 32.91% |
# | `SGD lr=0.001, B=16` | 77.05% | 77.01% | 79.39% |
# | `SGD lr=0.001, B=256` | 49.71% | 44.14% | 51.59% |
# | `SGD lr=0.004, B=256` | 64.22% | 63.74% | 65.59% |
# | `SGD momentum=0.9 lr=0.01` | 86.98% | 85.59% | 87.88% |
# | `Adam lr=0.0003` | 87.83% | 86.74% | 88.59% |
# | `Adam lr=0.001` | 88.25% | 85.98% | 89.08% |
# | `Adam lr=0.003` | 87.21% | 85.75% | 88.05% |
# | `Adam lr=0.001 + cosine` | 88.70% | 88.57% | 89.58% |
#
# This section's assertions held in all 9 runs, but some of their margins were set after seeing this table. Plain SGD at
# $10^{-1}$ ranges from 83.0% to 86.9% over the 9: once (split 1, seed 0) it reached only 83.0%, 1.4 points above
# $10^{-2}$ and 4.7 below momentum. So the check asks only that it be more than 1 point above $10^{-2}$, and that momentum be no more
# than 2 points below it; momentum's training loss stayed within 0.01 of its in all 9. SGD at learning rate 1 broke
# down in all 9 (32.9% at best). With the learning rate scaled with the batch, batch 256 was within 0.3 points of batch
# 64 in all 9. Adam's three learning rates stayed above 85.7% in all 9, within 2.5 points of each other each time; with
# cosine annealing it was above 88.5% in all 9, and moved the least.

# %% [markdown] tags=["zh"]
# ### 3.4 过拟合与早停
#
# 第 1.2 节说，轮数太多，模型会开始死记训练集。5 轮还看不到这一点。下面把训练集缩小到前 10,000 张，用 Adam（学习率 $10^{-3}$）训练 20 轮，每轮结束时记下训练损失和验证损失。先预测：训练损失会一直降下去吗？验证损失呢？

# %% [markdown] tags=["en"]
# ### 3.4 Overfitting and early stopping
#
# Section 1.2 said that with too many epochs the model starts to memorize the training set. Five epochs do not show
# it. Below we shrink the training set to its first 10,000 images and train Adam (learning rate $10^{-3}$) for 20
# epochs, recording the training and the validation loss after each epoch. Predict first: will the training loss keep
# falling? And the validation loss?

# %% tags=["nbval-ignore-output", "grading-skip"]
fc.set_seed(0)
model = fc.NeuralNetwork().to(device)
small_train = fc.TensorLoader(train_loader.X[:10_000], train_loader.y[:10_000], batch_size,
                              shuffle=True, generator=torch.Generator().manual_seed(0))
long_history = fc.fit(model, small_train, val_loader, loss_fn,
                      torch.optim.Adam(model.parameters(), lr=1e-3), 20, eval_name="val",
                      progress=False, verbose=False)
train_losses = [h["train_loss"] for h in long_history]
val_losses = [h["val_loss"] for h in long_history]
long_accs = [h["val_acc"] for h in long_history]
best_epoch = val_losses.index(min(val_losses)) + 1  # 验证损失最低的一轮 / the lowest validation loss
print(f"{fc.pad('轮 / epoch', 12)}{fc.pad('训练损失 / train', 18, '>')}{fc.pad('验证损失 / val', 16, '>')}"
      f"{fc.pad('验证准确率 / val acc', 22, '>')}")
for e, (t, v, a) in enumerate(zip(train_losses, val_losses, long_accs), start=1):
    print(f"{e:>10}{t:>18.3f}{v:>16.3f}{100 * a:>21.1f}%" + ("  ←" if e == best_epoch else ""))

# %% tags=["grading-skip"]
b = best_epoch - 1
gaps = [v - t for t, v in zip(train_losses, val_losses)]
assert 3 <= best_epoch <= 15, best_epoch
assert val_losses[-1] > val_losses[b] + 0.03  # 之后验证损失升高 / afterwards the validation loss rises
assert train_losses[-1] < train_losses[b] - 0.05  # 训练损失仍在下降 / the training loss keeps falling
assert gaps[-1] > gaps[b] + 0.1  # 两者的差距变大 / the gap between them widens
# 最后 5 轮的验证准确率平均起来没有明显下降 / the last 5 epochs' mean val accuracy does not fall much
assert sum(long_accs[-5:]) / 5 > long_accs[b] - 0.02
print(f"验证损失第 {best_epoch} 轮最低，之后升高；训练损失一直在降 ✓")
print(f"the validation loss is lowest in epoch {best_epoch} and rises after it; "
      "the training loss keeps falling ✓")
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
epochs_axis = range(1, 21)
axes[0].plot(epochs_axis, train_losses, label=fc.label("训练损失", "training loss"))
axes[0].plot(epochs_axis, val_losses, label=fc.label("验证损失", "validation loss"))
axes[1].plot(epochs_axis, long_accs, color="tab:green")
axes[0].set_ylabel(fc.label("损失", "loss"))
axes[1].set_ylabel(fc.label("验证准确率", "validation accuracy"))
for ax in axes:
    ax.axvline(best_epoch, color="gray", linestyle="--")
    ax.set_xlabel(fc.label("轮（虚线：验证损失最低的一轮）", "epoch (dashed: the lowest validation loss)"))
axes[0].legend()
fig.suptitle(fc.label("10,000 张训练图片，Adam，20 轮", "10,000 training images, Adam, 20 epochs"))
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# 训练损失一直在降：模型对它见过的 10,000 张图片越来越熟。验证损失却在前几轮降到最低以后又升了上去，两者的差距越拉越大：这就是过拟合（overfitting），模型记住的东西越来越多是只属于这 10,000 张图片的细节。我们在 3 个验证划分 × 3 个种子上把这个单元格跑了 9 次：验证损失最低的一轮在第 5 到第 11 轮之间，到第 20 轮时验证损失比最低点高 0.05 到 0.15，训练损失在这段时间里又降了 0.08 到 0.20。注意验证准确率并没有跟着明显下降：9 次里，最后 5 轮的平均验证准确率与验证损失最低那一轮相差都不到 1 个百分点（检查要求不到 2 个百分点；单独一轮会上下跳 1 到 2 个百分点）。过拟合先表现在损失上，变化主要发生在概率上：交叉熵对“给错的类别很高的概率”罚得很重，所以模型越来越自信以后，少数认错的验证图片就能把验证损失拉高，而 argmax 选出的类别变化不大。
#
# 所以停止训练的轮次也要在验证集上选，这就是早停（early stopping）：训练时每轮算一次验证损失，保存验证损失最低那一轮的权重，连续若干轮没有改进就停下，最后取回保存的权重。上面是事后从整条曲线里找最低点；练习 2 要你修好训练时一轮一轮做这件事的代码。测试集同样不参与：轮数也是一个超参数。

# %% [markdown] tags=["en"]
# The training loss keeps falling: the model knows the 10,000 images it has seen better and better. The validation
# loss, once at its lowest after a few epochs, rises again, and the gap between the two keeps widening: this is
# overfitting, the model memorizing more and more detail that belongs to those 10,000 images only. We ran this cell 9
# times, on 3 validation splits × 3 seeds: the lowest validation loss came between epochs 5 and 11, by epoch 20 the
# validation loss was 0.05 to 0.15 above its lowest, and the training loss had fallen another 0.08 to 0.20 meanwhile.
# Note that the validation accuracy does not fall along with it by much: in all 9 runs the mean validation accuracy
# of the last 5 epochs was within 1 point of its value at the epoch of the lowest loss (the check asks for 2 points; a
# single epoch jumps by 1 to 2 points): overfitting shows in the loss first, and the change is mostly in
# the probabilities. Cross-entropy punishes "a high probability on the wrong class" hard, so as the model grows more
# confident, the few validation images it gets wrong can pull the validation loss up while the classes the argmax
# picks change little.
#
# So the epoch at which to stop training is chosen on the validation set too: this is early stopping. During training,
# compute the validation loss after each epoch, save the weights of the epoch with the lowest one, stop when several
# epochs in a row bring no improvement, and finally bring back the saved weights. Above, we found the lowest point
# afterwards, from the whole curve; exercise 2 asks you to fix code that does it epoch by epoch during training. The
# test set takes no part here either: the number of epochs is a hyperparameter too.

# %% [markdown] tags=["zh"]
# ## 4. 初识学习率调度器
#
# 学习率不必从头到尾不变。开始时用大步子快速靠近，后面用小步子细细收敛，往往更好。学习率调度器（learning-rate scheduler）按规则修改优化器的学习率。最简单的 `StepLR` 每 $s$ 轮乘一次 $\gamma$：
#
# $$\eta_e = \eta_0 \, \gamma^{\lfloor e / s \rfloor}$$
#
# 其中 $e$ 是从 0 开始数的轮次。每轮结束时调用一次 `scheduler.step()`，而且要在这一轮的 `optimizer.step()` **之后**（顺序反了 PyTorch 会发出警告，见第 09 课第 8.1 节）。

# %% [markdown] tags=["en"]
# ## 4. A first look at learning-rate schedulers
#
# The learning rate need not stay the same from start to finish. Large steps early to get close quickly, then small
# steps to settle, often work better. A learning-rate scheduler changes the optimizer's learning rate by a rule. The
# simplest, `StepLR`, multiplies it by $\gamma$ every $s$ epochs:
#
# $$\eta_e = \eta_0 \, \gamma^{\lfloor e / s \rfloor}$$
#
# where $e$ counts epochs from 0. Call `scheduler.step()` once at the end of each epoch, **after** that epoch's
# `optimizer.step()` calls (PyTorch warns when the order is reversed; see lesson 09, section 8.1).

# %%
param = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD([param], lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
for e in range(6):
    lr_now = scheduler.get_last_lr()[0]
    assert abs(lr_now - 0.1 * 0.5 ** (e // 2)) < 1e-12
    print(f"轮 / epoch {e}: lr = {lr_now:.4f}")
    # ... 这一轮的训练：很多次 optimizer.step() / this epoch's training: many optimizer.step() calls
    optimizer.step()
    scheduler.step()  # 每轮结束时一次，在 optimizer.step() 之后 / once per epoch, after optimizer.step()
print("StepLR ✓ 与公式 η₀·γ^⌊e/s⌋ 一致 / matches the formula")

# %% [markdown] tags=["zh"]
# ### 4.1 余弦退火：让 Adam 最后几步走得更稳
#
# 余弦退火（cosine annealing，`CosineAnnealingLR`）让学习率沿半个余弦从 $\eta_0$ 平滑地降到 $\eta_{\min}$（默认为 0），$T_{\max}$ 轮降完（参数 `T_max`，以 `scheduler.step()` 的调用次数计；这里每轮调用一次，所以它是轮数，不要与第 1 节的总步数 $T$ 混淆）：
#
# $$\eta_e = \eta_{\min} + \frac{\eta_0 - \eta_{\min}}{2}\left(1 + \cos\frac{\pi e}{T_{\max}}\right)$$
#
# 先核对公式，再用它训练 Adam：与第 3.3 节同样的初始化、同样的数据顺序、同样 5 轮，只加上调度器。`fc.fit(..., scheduler=scheduler)` 每轮结束时替你调用 `scheduler.step()`。

# %% [markdown] tags=["en"]
# ### 4.1 Cosine annealing: steadier last steps for Adam
#
# Cosine annealing (`CosineAnnealingLR`) lowers the learning rate smoothly along half a cosine from $\eta_0$ to
# $\eta_{\min}$ (0 by default), over $T_{\max}$ epochs (the argument `T_max`, counted in calls of `scheduler.step()`;
# here it is called once per epoch, so it is a number of epochs, not to be confused with the total number of steps
# $T$ of section 1):
#
# $$\eta_e = \eta_{\min} + \frac{\eta_0 - \eta_{\min}}{2}\left(1 + \cos\frac{\pi e}{T_{\max}}\right)$$
#
# First we check the formula, then train Adam with it: the same initialization and data order as in section 3.3, the
# same 5 epochs, only the scheduler added. `fc.fit(..., scheduler=scheduler)` calls `scheduler.step()` for you at the
# end of each epoch.

# %%
optimizer = torch.optim.Adam([param], lr=1e-3)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=5)
for e in range(5 + 1):
    formula = 0 + (1e-3 - 0) / 2 * (1 + math.cos(math.pi * e / 5))
    assert abs(scheduler.get_last_lr()[0] - formula) < 1e-12
    print(f"轮 / epoch {e}: lr = {scheduler.get_last_lr()[0]:.6f}")
    optimizer.step()
    scheduler.step()
print("CosineAnnealingLR ✓ 与公式一致 / matches the formula")

# %% tags=["nbval-ignore-output", "grading-skip"]
run("Adam lr=0.001 + cosine", lambda params: torch.optim.Adam(params, lr=1e-3),
    make_scheduler=lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5))
adam, cosine = "Adam lr=0.001", "Adam lr=0.001 + cosine"
print("\n第 5 轮 / epoch 5:")
for name in [adam, cosine]:
    print(f"  {name:<24} 训练损失 / training loss {final_train_loss(name):.3f}, "
          f"验证准确率 / val accuracy {100 * final(name):.1f}%")

# %% tags=["grading-skip"]
assert final_train_loss(cosine) < final_train_loss(adam) - 0.02
print("加上余弦退火，最后一轮的训练损失明显更低 ✓ / with cosine annealing the last training loss is clearly lower ✓")
fig = fc.plot_histories({k: histories[k] for k in ["Adam lr=0.001", "Adam lr=0.001 + cosine"]},
                        size=(11, 3.5),
                        title=fc.label("Adam：固定学习率与余弦退火",
                                       "Adam: fixed learning rate and cosine annealing"))
legend_outside(fig)
plt.show()

# %% [markdown] tags=["zh"]
# 第一轮两条曲线完全重合（第一轮的学习率都是 $10^{-3}$）；随着学习率变小，每一步带的批次噪声越来越少，权重停在谷底附近，不再来回跳，最后一轮的训练损失明显更低。验证准确率的差别要小心读：它通常也更高，但在 5 轮里只有零点几到两三个百分点，与换一个随机种子带来的波动相当，单凭一次运行下不了结论。读图时也要看纵轴：右图的纵轴只跨几个百分点，零点几个百分点的差距在图上也显得很大。七种调度器的公式、图像和在 Fashion-MNIST 上的比较见 [09 学习率调度](09_lr_schedulers.ipynb)。

# %% [markdown] tags=["en"]
# The two curves coincide in the first epoch (both use the learning rate $10^{-3}$ there); as the learning rate falls,
# each step carries less and less batch noise, and the weights settle near the bottom of the valley instead of bouncing
# around: the training loss of the last epoch is clearly lower. Read the difference in validation accuracy with care: it
# is usually higher too, but within 5 epochs only by a few tenths of a point to two or three points, about as much as a
# different random seed changes, so a single run cannot settle it. Mind the vertical axis when reading the figure: the
# right panel spans only a few points, so a gap of a few tenths of a point looks large there. Seven schedulers, their formulas, their curves and a
# comparison on Fashion-MNIST are in [09 Learning-rate schedules](09_lr_schedulers.ipynb).

# %% [markdown] tags=["zh"]
# ## 5. 在验证集上选，在测试集上只测一次
#
# 现在按最后一轮的验证准确率给所有配置排序，选出最好的一个，再用测试集评估它，**只评估这一次**。测试集没有参与选择，所以这个数是对新数据的公正估计。如果看了测试结果再回头改配置，测试集就变成了第二个验证集，它的数字又会偏乐观。（还可以把选中的配置在全部 60,000 张训练图片上重新训练一遍，再测试；这里省掉这一步。）

# %% [markdown] tags=["en"]
# ## 5. Choose on validation, test only once
#
# Now we rank all configurations by their validation accuracy after the last epoch, choose the best one, and evaluate
# it on the test set, **this one time only**. The test set took no part in the choice, so its number is a fair
# estimate for new data. Had we gone back to change the configuration after seeing the test result, the test set would
# have become a second validation set, and its number would again be optimistic. (One may also retrain the chosen
# configuration on all 60,000 training images before testing; we skip that step here.)

# %% tags=["nbval-ignore-output", "grading-skip"]
ranking = sorted(histories, key=final, reverse=True)
for name in ranking:
    print(f"{name:<24} 验证准确率 / val accuracy {100 * final(name):5.1f}%")
best = ranking[0]
best_model = models[best]
_, test_acc = fc.evaluate(best_model, test_loader, loss_fn)  # 测试集：只此一次 / the test set: this once
print(f"\n选中 / chosen: {best}")
test_se = (test_acc * (1 - test_acc) / 10_000) ** 0.5  # 10,000 张测试图片的标准误差 / standard error
print(f"验证准确率 / validation accuracy {100 * final(best):.1f}%, "
      f"测试准确率 / test accuracy {100 * test_acc:.1f}% ± {100 * test_se:.1f}")

# %% tags=["grading-skip"]
assert best.startswith("Adam") and final(best) > 0.86  # 只在验证集上检查 / checked on validation only
print("验证集上最好的是一个 Adam 配置，验证准确率在 86% 以上 ✓（测试准确率只报告，不做检查）")
print("the best on validation is an Adam configuration, above 86% on validation ✓")
print("  (the test accuracy is reported, not checked)")

# %% [markdown] tags=["zh"]
# 排在第一的是两个 Adam 配置之一（上面打印的那个；两者在验证集上只差零点几到两三个百分点，见第 4.1 节）。它的验证准确率和测试准确率很接近：验证集没有用来训练，它本来就是一份“新数据”；选择只在几个配置之间进行，带来的乐观偏差很小。配置越多、验证集越小，这种偏差就越大，这时更要把测试集留到最后。
#
# ## 6. 不只看准确率
#
# ### 6.1 混淆矩阵
#
# 一个准确率数字说不出模型**错在哪里**。混淆矩阵（confusion matrix）$C$ 是一张 $10 \times 10$ 的表：
#
# $$C_{ij} = \#\{\, n : y_n = i,\ \hat{y}_n = j \,\}$$
#
# 第 $i$ 行是真实类别 $i$ 的所有测试图片，第 $j$ 列是被预测为 $j$ 的。对角线是预测对的，其余都是错的。准确率和第 $i$ 类的准确率都能从它读出来；后者叫每类准确率（per-class accuracy），即这一类里有多少被认对，也就是这一类的召回率（recall）：
#
# $$\text{accuracy} = \frac{\sum_i C_{ii}}{\sum_{i,j} C_{ij}}, \qquad \text{acc}_i = \frac{C_{ii}}{\sum_j C_{ij}}$$
#
# 下面用选中的模型在测试集上的预测（就是上面那一次评估的同一批预测）画出它。

# %% [markdown] tags=["en"]
# First place goes to one of the two Adam configurations (the one printed above; on validation they differ by only a few
# tenths of a point to two or three points, see section 4.1). Its validation and test accuracies are close: the
# validation set was not used for training, so it is "new data" in its own right, and choosing among a handful of
# configurations adds only a small optimistic bias. The more configurations and the smaller the validation set, the
# larger that bias, and the more it matters to keep the test set for the end.
#
# ## 6. Beyond accuracy
#
# ### 6.1 The confusion matrix
#
# One accuracy number cannot say **where** the model goes wrong. The confusion matrix $C$ is a $10 \times 10$ table:
#
# $$C_{ij} = \#\{\, n : y_n = i,\ \hat{y}_n = j \,\}$$
#
# Row $i$ holds all test images of true class $i$, column $j$ those predicted as $j$. The diagonal is what the model
# got right; everything else is an error. The accuracy and the accuracy of class $i$ can both be read from it; the
# latter, the per-class accuracy, is how many of that class are recognized, also called the recall of that class:
#
# $$\text{accuracy} = \frac{\sum_i C_{ii}}{\sum_{i,j} C_{ij}}, \qquad \text{acc}_i = \frac{C_{ii}}{\sum_j C_{ij}}$$
#
# Below we draw it from the chosen model's predictions on the test set (the same predictions as the one evaluation
# above).

# %% tags=["grading-skip"]
X_test, y_test = test_loader.X, test_loader.y
best_model.eval()
with torch.no_grad():
    y_pred = best_model(X_test).argmax(dim=1).cpu()
y_true = y_test.cpu()

# 从零实现：把 (真实, 预测) 编成一个数 10*i + j 再计数 / from scratch: encode (true, predicted) as 10*i + j, count
C = torch.bincount(10 * y_true + y_pred, minlength=100).reshape(10, 10)
assert torch.equal(C.sum(dim=1), torch.full((10,), 1000))  # 每类 1000 张 / 1000 per class
torch.testing.assert_close(C.trace().item() / C.sum().item(), test_acc)
per_class = C.diag().float() / C.sum(dim=1)
direct = torch.stack([(y_pred[y_true == i] == i).float().mean() for i in range(10)])
torch.testing.assert_close(per_class, direct)
print("混淆矩阵 ✓ 每行 1000 张；对角线之和 / 总数 = 上面的测试准确率；每类准确率与直接计算一致")
print("confusion matrix ✓ 1000 per row; trace / total = the test accuracy above; "
      "per-class accuracy matches")

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

# %% tags=["nbval-ignore-output", "grading-skip"]
order = per_class.argsort()
for i in order.tolist():
    print(f"{fc.pad(fc.class_name(i), 24)} {100 * per_class[i]:5.1f}%")

M = C + C.T  # 两个方向的错误加在一起 / errors in both directions together
pairs = sorted(((int(M[i, j]), i, j) for i in range(10) for j in range(i + 1, 10)),
               reverse=True)[:5]
print("\n最容易混淆的类别对 / the most confused pairs:")
for count, i, j in pairs:
    print(f"  {fc.pad(fc.class_name(i), 22)} ↔ {fc.pad(fc.class_name(j), 22)} "
          f"{count:>4} ({int(C[i, j])} + {int(C[j, i])})")

# %% tags=["grading-skip"]
shirt, tshirt = 6, 0
tops = {0, 2, 4, 6}  # T恤/上衣、套头衫、外套、衬衫 / T-shirt/top, pullover, coat, shirt
assert order[0].item() == shirt and set(order[:4].tolist()) == tops
assert (tshirt, shirt) in {(i, j) for _, i, j in pairs[:3]}
print("准确率最低的四类都是上装，最低的是衬衫；衬衫 ↔ T恤/上衣 是最容易混淆的三对之一 ✓")
print("the four classes with the lowest accuracy are all tops, shirts lowest;")
print("  Shirt ↔ T-shirt/top is among the three most confused pairs ✓")

fig, ax = plt.subplots(figsize=(9, 3))
ax.bar(range(10), per_class[order])
ax.set_xticks(range(10), [fc.class_label(i) for i in order.tolist()], fontsize=7)
ax.set_ylim(0.5, 1)
ax.set_ylabel(fc.label("每类准确率", "per-class accuracy"))
ax.grid(alpha=0.3, axis="y")
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# 上装（上衣类）最难：准确率最低的四类正是衬衫、套头衫、T恤/上衣和外套，它们轮廓相近，在 $28 \times 28$ 的灰度图里常常只差领口或袖子的几个像素。下面是被认错的例子：上一行是真实为衬衫、被预测为“T恤/上衣”的图片，下一行反过来，标题是模型的预测。其中有些图片人也很难分清；想再往上提高，需要能利用图像空间结构的模型，比如卷积网络（convolutional network），那不在本课程的范围内。

# %% [markdown] tags=["en"]
# Tops are hardest: the four classes with the lowest accuracy are exactly shirts, pullovers, T-shirts/tops and coats,
# which have similar outlines and, in a $28 \times 28$ grayscale image, often differ only by a few pixels of collar or
# sleeve. Below are some mistakes: the first row shows true shirts predicted as T-shirt/top, the second row the reverse,
# each titled with the model's prediction. Some of these images are hard to tell apart even for a person; going much
# higher needs a model that uses the spatial structure of images (a convolutional network), which is beyond this course.

# %% tags=["grading-skip"]
shirt_as_tshirt = ((y_true == shirt) & (y_pred == tshirt)).nonzero().flatten()[:8]
tshirt_as_shirt = ((y_true == tshirt) & (y_pred == shirt)).nonzero().flatten()[:8]
assert len(shirt_as_tshirt) == len(tshirt_as_shirt) == 8
idx = torch.cat([shirt_as_tshirt, tshirt_as_shirt])
fig = fc.show_images(X_test[idx.to(device)].cpu(), y_true[idx], preds=y_pred[idx], ncols=8)
plt.show()

# %% [markdown] tags=["zh"]
# ## 练习 1：从学习率的记录找回 `StepLR` 的参数（迁移）
#
# 第 4 节由 `step_size` 和 `gamma` 算出每轮的学习率。现在反过来：一次训练只在日志里记下了每轮开始时的 `scheduler.get_last_lr()[0]`，就像第 4 节那个单元格打印的那样，`lrs[e]` 是第 $e$ 轮（从 0 数起）用的学习率。写出 `step_lr_params(lrs)`，返回产生这份记录的 `StepLR` 的 `(step_size, gamma)`：`step_size` 是整数，`gamma` 是一个浮点数。可以假定 $0 < \gamma < 1$，记录里至少有一次下降；训练可能在两次下降之间的某一轮结束。检查用 `StepLR` 本身生成几份记录，分别核对 `step_size` 和 `gamma`。

# %% [markdown] tags=["en"]
# ## Exercise 1: recover a `StepLR`'s parameters from its record (transfer)
#
# Section 4 computes each epoch's learning rate from `step_size` and `gamma`. Now the other way round: a training run
# logged only `scheduler.get_last_lr()[0]` at the start of each epoch, as section 4's cell prints it, so `lrs[e]` is
# the learning rate used in epoch $e$ (counted from 0). Write `step_lr_params(lrs)`: return the `(step_size, gamma)` of
# the `StepLR` that made this record, `step_size` an integer and `gamma` a float. You may assume $0 < \gamma < 1$ and
# at least one drop in the record; training may end in any epoch between two drops. The check makes a few records
# with `StepLR` itself and checks `step_size` and `gamma` separately.

# %% nbgrader={"grade": false, "grade_id": "l04_ex1_step_lr_params", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-transfer"]
def step_lr_params(lrs):
    ### BEGIN SOLUTION
    # 第一次下降发生在第 step_size 轮 / the first drop comes in epoch step_size
    step_size = next(e for e, lr in enumerate(lrs) if lr != lrs[0])
    return step_size, lrs[step_size] / lrs[0]  # gamma = 新 / 旧 / new / old
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l04_ex1_step_lr_params_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex1_step_lr_params(step_lr_params)

# %% [markdown] tags=["zh"]
# ## 练习 2：早停里的两个错误（调试）
#
# 第 3.4 节看到过：轮数太多，模型会开始死记训练集，验证损失降到最低以后又会升上去。所以停止训练的轮次也要在验证集上选：每轮结束时算一次验证损失，记住到目前为止验证损失最低的那一轮（保存它的权重）；如果连续 `patience` 轮都没有比这个最低值更低，就停止训练，取回最低那一轮的权重。这叫早停（early stopping）；`patience` 叫耐心（patience），即最多容忍几轮没有改进。完整的规则是：
#
# - 第 1 轮是最初的“最好的一轮”。之后的每一轮，如果验证损失**严格低于**到目前为止的最低值，它就成为新的最好的一轮，没有改进的轮数清零；否则没有改进的轮数加 1。
# - 没有改进的轮数达到 `patience` 时，训练在这一轮结束后停止；一直没有达到，就训练完所有的轮。
# - 要保留的是停止之前（含停止的那一轮）验证损失最低的一轮。
#
# 下面的 `early_stopping_buggy(val_losses, patience)` 想实现这条规则：`val_losses[0]` 是第 1 轮之后的验证损失，它返回 `(要保留的轮次, 停止的轮次)`，轮次从 1 数起。它有两个错误。单元格在一条验证曲线上运行它；先按上面的规则手算一遍：训练应该在第几轮停下？

# %% [markdown] tags=["en"]
# ## Exercise 2: two bugs in early stopping (debug)
#
# Section 3.4 showed it: with too many epochs the model starts to memorize the training set, and the validation loss,
# once at its lowest, rises again. So the epoch at which to stop training is chosen on the validation set too: after
# each epoch, compute the validation loss and remember the epoch with the lowest validation loss so far (save its
# weights); when `patience` epochs in a row bring nothing below that lowest value, stop training and bring back the
# weights of the lowest epoch. This is early stopping; `patience` is how many epochs without improvement it puts up
# with. The rule in full:
#
# - Epoch 1 is the first "best epoch". In each epoch after it, a validation loss **strictly below** the lowest so far
#   makes that epoch the new best and resets the count of epochs without improvement to 0; otherwise the count goes
#   up by 1.
# - When the count reaches `patience`, training stops at the end of that epoch; if it never does, training runs all
#   the epochs.
# - The epoch to keep is the one with the lowest validation loss up to the stop (the epoch of the stop included).
#
# `early_stopping_buggy(val_losses, patience)` below means to implement this rule: `val_losses[0]` is the validation
# loss after epoch 1, and it returns `(the epoch to keep, the epoch training stops at)`, epochs counted from 1. It has
# two bugs. The cell runs it on one validation curve; work the rule out by hand first: at which epoch should training
# stop?

# %%
def early_stopping_buggy(val_losses, patience):
    wait = 0
    for epoch, loss in enumerate(val_losses, start=1):
        if epoch > 1 and loss >= val_losses[epoch - 2]:  # 没有比上一轮低 / not below the last epoch
            wait += 1
        else:
            wait = 0
        if wait == patience:
            break
    best = val_losses.index(min(val_losses)) + 1  # 损失最低的一轮 / the epoch of the lowest loss
    return best, epoch


curve = [0.9, 0.7, 0.8, 0.75, 0.78, 0.76, 0.65]
print(f"early_stopping_buggy({curve}, patience=2) = {early_stopping_buggy(curve, patience=2)}")

# %% [markdown] tags=["zh"]
# 写出修好的 `early_stopping`：参数和返回值与 `early_stopping_buggy` 相同，只改错的地方。检查给的 `val_losses` 是训练一直跑到最后会得到的验证损失；你的函数要像训练时那样一轮一轮地决定，停止之后的那些轮在真实的训练里根本不会跑。检查在几条验证曲线上运行它；还有错误没修好时，它会说出是哪一个。

# %% [markdown] tags=["en"]
# Write the fixed `early_stopping`: the same arguments and return value as `early_stopping_buggy`; change only what is
# wrong. The `val_losses` the check passes are the validation losses that training would produce if it ran to the
# end; your function must decide epoch by epoch, as training does, and in a real run the epochs after the stop are
# never run. The check runs it on several validation curves; while a bug remains, it names it.

# %% nbgrader={"grade": false, "grade_id": "l04_ex2_early_stopping", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-debug"]
def early_stopping(val_losses, patience):
    ### BEGIN SOLUTION
    best, wait = 1, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < val_losses[best - 1]:  # 和到目前为止最好的一轮比 / against the best so far
            best, wait = epoch, 0
        elif epoch > 1:
            wait += 1
        if wait == patience:
            break
    return best, epoch  # best 只来自停止之前的轮次 / best comes from the epochs up to the stop
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l04_ex2_early_stopping_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex2_early_stopping(early_stopping)

# %% [markdown] tags=["zh"]
# ## 练习 3：精确率和召回率（迁移）
#
# 第 6.1 节的每类准确率是从混淆矩阵的**行**读出来的：真实为第 $j$ 类的图片里，有多少被认成了 $j$，这也叫第 $j$ 类的召回率。从**列**还能读出另一个数：被预测为第 $j$ 类的图片里，有多少真的是 $j$，叫第 $j$ 类的精确率（precision）。两者说的是不同的事：一个模型如果把拿不准的上装都预测成衬衫，衬衫的召回率往往会升高，精确率却往往会下降。
#
# 写出 `precision_recall(C)`：`C` 是一个 $K \times K$ 的整数混淆矩阵（行是真实类别，列是预测类别，与第 6.1 节相同），返回 `(precision, recall)`：两个形状为 `(K,)` 的浮点张量，第 $j$ 个元素分别是第 $j$ 类的精确率和召回率。约定：分母为 0 时记为 0，即一个从来没被预测过的类，精确率为 0；一个从来没出现过的类，召回率为 0（scikit-learn 默认也给 0，同时发出警告）。检查用它自己构造的矩阵，其中有的类从来没被预测过，有的类从来没出现过。

# %% [markdown] tags=["en"]
# ## Exercise 3: precision and recall (transfer)
#
# Section 6.1's per-class accuracy is read from the **rows** of the confusion matrix: of the images of true class $j$,
# how many were recognized as $j$; it is also called the recall of class $j$. The **columns** give another number: of
# the images predicted as class $j$, how many really are $j$; this is the precision of class $j$. The two say different
# things: a model that predicts every top it is unsure of as a shirt tends to raise the recall of shirts but to lower
# their precision.
#
# Write `precision_recall(C)`: `C` is a $K \times K$ integer confusion matrix (rows the true class, columns the
# prediction, as in section 6.1); return `(precision, recall)`: two float tensors of shape `(K,)` whose element $j$ is
# the precision, and the recall, of class $j$. Convention: where a denominator is 0 the value is 0, that is, a class
# that is never predicted has precision 0, and a class that never occurs has recall 0 (scikit-learn gives 0 by
# default too, with a warning). The check uses matrices it builds itself, in which some class is never predicted and
# some class never occurs.

# %% nbgrader={"grade": false, "grade_id": "l04_ex3_precision_recall", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-transfer"]
def precision_recall(C):
    ### BEGIN SOLUTION
    C = C.double()
    right = C.diag()  # 预测对的 / predicted right
    predicted, actual = C.sum(dim=0), C.sum(dim=1)  # 每列之和、每行之和 / column sums, row sums
    precision = torch.where(predicted > 0, right / predicted.clamp(min=1), 0.0)
    recall = torch.where(actual > 0, right / actual.clamp(min=1), 0.0)
    return precision, recall
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l04_ex3_precision_recall_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex3_precision_recall(precision_recall)

# %% [markdown] tags=["zh"]
# ## 小结
#
# - 学习率定步长，批次大小定梯度噪声和每轮步数，轮数定总步数。
# - 在几个配置之间做选择，要在验证集上比较；测试集只在最后，对选中的配置评估一次。这一课从 60,000 张训练图片里分出 10,000 张作为验证集；在自己的数据集上，`random_split` 加上固定种子的生成器给出同样可重复的划分。停止训练的轮次也在验证集上选（早停，练习 2）。
# - 5 轮里，学习率 $10^{-3}$ 的 SGD 在验证集上只到约 65%；学习率 $10^{-1}$ 的 SGD、动量 0.9 加学习率 $10^{-2}$ 的 SGD 和 Adam 都超过 83%；学习率 $1$ 太大。学习率不变时，批次越小（步数越多）越好。动量 0.9 的效果在这里主要来自约 10 倍的有效学习率：它的训练损失与学习率 $10^{-1}$ 的 SGD 几乎一样。
# - 学习率调度器在训练中改变学习率，`scheduler.step()` 放在这一轮的 `optimizer.step()` 之后；加上余弦退火后，Adam 最后一轮的训练损失明显更低。验证集上最好的是一个 Adam 配置，它的测试准确率在 86% 以上，与验证准确率相差不到 2 个百分点。
# - 混淆矩阵显示错误集中在上装，尤其是衬衫和 T恤/上衣。每类准确率（召回率）按行读，精确率按列读。
#
# 下一课：[05 回归损失函数](05_losses_regression.ipynb)。

# %% [markdown] tags=["en"]
# ## Summary
#
# - The learning rate sets the step size, the batch size the gradient noise and the steps per epoch, the epochs the
#   total number of steps.
# - To choose between configurations, compare them on a validation set; evaluate the test set only at the end, once,
#   for the configuration chosen. This lesson splits 10,000 of the 60,000 training images off as the validation set;
#   on a data set of your own, `random_split` with a seeded generator makes a split that is just as repeatable. The
#   epoch at which to stop training is chosen on the validation set too (early stopping, exercise 2).
# - In 5 epochs SGD at learning rate $10^{-3}$ reaches only about 65% on validation; SGD at $10^{-1}$, SGD with
#   momentum 0.9 at $10^{-2}$ and Adam all pass 83%; a learning rate of $1$ is too large. At a fixed learning rate,
#   smaller batches (more steps) do better. The effect of momentum 0.9 here comes mostly from its about 10 times
#   larger effective learning rate: its training loss is almost that of SGD at $10^{-1}$.
# - A learning-rate scheduler changes the learning rate during training, and `scheduler.step()` goes after that
#   epoch's `optimizer.step()` calls; with cosine annealing Adam ends with a clearly lower training loss. The best
#   configuration on validation is an Adam one; its test accuracy is above 86%, within 2 points of its validation
#   accuracy.
# - The confusion matrix shows the errors gathered among tops, above all shirts and T-shirts/tops. Per-class
#   accuracy (recall) is read along the rows, precision along the columns.
#
# Next: [05 Regression losses](05_losses_regression.ipynb).
