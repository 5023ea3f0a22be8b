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
# # 00 数据：Dataset 与 DataLoader
#
# 上一课：无（这是第一课） · 下一课：[01 模型](01_model.ipynb)
#
# 学完这一课，你能够：
#
# - 用 `torchvision.datasets.FashionMNIST` 读入数据，说出 `ToTensor` 对每张图片做了什么；
# - 看懂一个批次（batch）的形状，算出一轮（epoch）有多少个批次；
# - 解释训练时为什么要 `shuffle=True`；
# - 用“整张量”快速通道喂数据，并测出它比 `DataLoader` 快多少。

# %% [markdown] tags=["en"]
# # 00 Data: Dataset and DataLoader
#
# Previous: none (this is the first lesson) · Next: [01 The model](01_model.ipynb)
#
# After this lesson you can:
#
# - read the data with `torchvision.datasets.FashionMNIST` and say what `ToTensor` does to each image;
# - read the shapes of a batch and work out how many batches make one epoch;
# - explain why training uses `shuffle=True`;
# - feed the data through the whole-tensor fast path and measure how much faster it is than `DataLoader`.

# %%
import time

import matplotlib.pyplot as plt
import torch
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import ToTensor

import fmnist_core as fc
from fmnist_core.checks import lesson00 as check

device = fc.get_device()

# %% [markdown] tags=["zh"]
# ## 1. 数据从哪里来
#
# Fashion-MNIST 有 60,000 张训练图片和 10,000 张测试图片，每张是 28×28 的灰度图，属于 10 个类别之一。所有课程共用一个缓存目录（默认 `~/.cache/fmnist_core`，可用环境变量 `FMNIST_DATA_DIR` 改）。`fc.ensure_data()` 检查四个官方文件的 MD5 校验和：文件缺失或损坏时，它先从 `FMNIST_MIRROR` 指定的本地文件夹或镜像网址重新获取，再试官方地址；一个校验不通过的文件绝不会被使用。

# %% [markdown] tags=["en"]
# ## 1. Where the data comes from
#
# Fashion-MNIST has 60,000 training and 10,000 test images, each a 28×28 grayscale picture of one of 10 classes.
# All lessons share one cache folder (by default `~/.cache/fmnist_core`; the environment variable `FMNIST_DATA_DIR` moves it).
# `fc.ensure_data()` checks the MD5 checksums of the four official files: when one is missing or corrupt, it fetches it
# again, first from the local folder or mirror URL in `FMNIST_MIRROR`, then from the official address; a file that fails
# its checksum is never used.

# %%
root = fc.ensure_data()  # 校验 MD5，缺了就获取 / verify MD5, fetch what is missing

# 与原教程一样，用 torchvision 读取 / read it with torchvision, as the original tutorial does
training_data = datasets.FashionMNIST(root=root, train=True, download=False, transform=ToTensor())
test_data = datasets.FashionMNIST(root=root, train=False, download=False, transform=ToTensor())
print(f"训练集 / training set: {len(training_data)} 张 / images")
print(f"测试集 / test set:     {len(test_data)} 张 / images")

# %% [markdown] tags=["zh"]
# ## 2. `ToTensor` 做了什么
#
# 文件里的每张图片是一个 `uint8` 矩阵，形状 $28 \times 28$，像素值 $p \in \{0, 1, \dots, 255\}$。`ToTensor` 把它变成 `float32` 张量，形状 $1 \times 28 \times 28$（通道、高、宽），每个像素除以 255：
#
# $$x_{c,h,w} = \frac{p_{h,w}}{255} \in [0, 1]$$
#
# 多出来的第一维是通道（channel）：灰度图只有 1 个通道，彩色图有 3 个。PyTorch 的卷积层和本课程的模型都按 (通道, 高, 宽) 的顺序读图片。

# %% [markdown] tags=["en"]
# ## 2. What `ToTensor` does
#
# Each image in the file is a `uint8` matrix of shape $28 \times 28$ with pixel values $p \in \{0, 1, \dots, 255\}$.
# `ToTensor` turns it into a `float32` tensor of shape $1 \times 28 \times 28$ (channel, height, width) and divides every pixel by 255:
#
# $$x_{c,h,w} = \frac{p_{h,w}}{255} \in [0, 1]$$
#
# The new first dimension is the channel: a grayscale image has 1 channel, a colour image 3. PyTorch's layers and the
# course model read images in (channel, height, width) order.

# %%
raw = training_data.data[0]  # 原始像素 / the raw pixels
x, label = training_data[0]  # 经过 ToTensor / after ToTensor
print(f"原始 / raw:      shape {tuple(raw.shape)}, dtype {raw.dtype}, 范围 / range [{raw.min()}, {raw.max()}]")
print(f"ToTensor 之后 / after: shape {tuple(x.shape)}, dtype {x.dtype}, 范围 / range [{x.min():.1f}, {x.max():.1f}]")
print(f"标签 / label: {label} = {fc.class_name(label)}")

# 公式的检查 / check the formula: x = p / 255, with one channel in front
torch.testing.assert_close(x, raw.float().unsqueeze(0) / 255)
print("ToTensor ✓ 等于 p / 255 并加上通道维 / equals p / 255 with a channel dimension added")

# %% [markdown] tags=["zh"]
# ## 3. 看看图片
#
# 十个类别的中英文名字在 `fc.CLASSES_ZH` 和 `fc.CLASSES_EN` 里。下面是训练集的前 16 张图片。

# %% [markdown] tags=["en"]
# ## 3. Look at the images
#
# The ten class names in Chinese and English are in `fc.CLASSES_ZH` and `fc.CLASSES_EN`. Below are the first 16 training images.

# %%
for i, (zh, en) in enumerate(zip(fc.CLASSES_ZH, fc.CLASSES_EN)):
    print(f"{i}: {zh} / {en}")

# %%
images = [training_data[i][0] for i in range(16)]
labels = [training_data[i][1] for i in range(16)]
fig = fc.show_images(images, labels, ncols=8)
plt.show()

# %% [markdown] tags=["zh"]
# ## 4. 类别是否均衡
#
# 数一数每个类别有多少张。Fashion-MNIST 是完全均衡的：训练集每类 6,000 张，测试集每类 1,000 张。所以“全猜同一类”的准确率（accuracy）只有 10%，这是后面所有模型要超过的底线。

# %% [markdown] tags=["en"]
# ## 4. Are the classes balanced?
#
# Count the images of each class. Fashion-MNIST is perfectly balanced: 6,000 training and 1,000 test images per class.
# So always guessing one class gives only 10% accuracy, the floor every later model must beat.

# %%
train_counts = torch.bincount(training_data.targets, minlength=10)
test_counts = torch.bincount(test_data.targets, minlength=10)
for i in range(10):
    print(f"{fc.class_name(i):<22} 训练 / train {train_counts[i]:>5}   测试 / test {test_counts[i]:>5}")
assert (train_counts == 6000).all() and (test_counts == 1000).all()

# %% [markdown] tags=["zh"]
# ## 5. `DataLoader`：把数据分成批次
#
# 训练时模型一次看一个批次（batch）。`DataLoader` 从数据集中取出 `batch_size` 个样本，把它们叠成一个张量。原教程用批次大小 64，并对训练集设 `shuffle=True`。
#
# 一轮（epoch）就是把训练集完整看一遍。批次数是向上取整：
#
# $$\text{batches} = \left\lceil \frac{N}{B} \right\rceil = \left\lceil \frac{60000}{64} \right\rceil = 938$$
#
# 前 937 个批次各有 64 个样本，最后一个只剩 $60000 - 937 \times 64 = 32$ 个。
#
# ![数据流程：文件、Dataset、DataLoader 与快速通道](../images/data_pipeline.png)

# %% [markdown] tags=["en"]
# ## 5. `DataLoader`: splitting the data into batches
#
# In training the model looks at one batch at a time. `DataLoader` takes `batch_size` samples from the data set and
# stacks them into one tensor. The original tutorial uses a batch size of 64 and `shuffle=True` for the training set.
#
# One epoch is one full pass over the training set. The number of batches rounds up:
#
# $$\text{batches} = \left\lceil \frac{N}{B} \right\rceil = \left\lceil \frac{60000}{64} \right\rceil = 938$$
#
# The first 937 batches hold 64 samples each; the last holds only $60000 - 937 \times 64 = 32$.
#
# ![Data pipeline: files, Dataset, DataLoader and the fast path](../images/data_pipeline.png)

# %%
batch_size = 64  # 超参数 / hyperparameter

train_dataloader = DataLoader(training_data, batch_size=batch_size, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=batch_size)

X, y = next(iter(train_dataloader))
print(f"X 的形状 / shape of X: {tuple(X.shape)}  (N, C, H, W), dtype {X.dtype}")
print(f"y 的形状 / shape of y: {tuple(y.shape)}  dtype {y.dtype}")
print(f"每轮批次数 / batches per epoch: {len(train_dataloader)}")
print(f"最后一批 / last batch: {len(training_data) - (len(train_dataloader) - 1) * batch_size} 个样本 / samples")
assert len(train_dataloader) == 938 and len(test_dataloader) == 157

# %% [markdown] tags=["zh"]
# ## 6. 为什么训练时要 `shuffle=True`
#
# 每走一步，优化器只根据当前批次的梯度更新参数，它希望这个批次像整个训练集的一个小样本。如果数据按类别排好序，一个批次里就全是同一类：模型这几百步学“全猜裤子”，下几百步又学“全猜外套”，每次都把上一段学到的覆盖掉。打乱顺序让每个批次都混有各个类别，而且每一轮的顺序都不同。
#
# 下面把训练集按类别排序，不打乱地训练一轮，再与打乱后训练一轮比较（模型和学习率都相同）。

# %% [markdown] tags=["en"]
# ## 6. Why training uses `shuffle=True`
#
# At each step the optimizer updates the parameters from the gradient of the current batch only, and it wants that
# batch to look like a small sample of the whole training set. If the data were sorted by class, a batch would hold a
# single class: for a few hundred steps the model learns "always say Trouser", then "always say Coat", each time
# overwriting what came before. Shuffling mixes the classes in every batch, in a new order each epoch.
#
# Below we sort the training set by class and train for one epoch without shuffling, then compare with one epoch on
# shuffled data (same model, same learning rate).

# %%
X_train, y_train = fc.load_tensors(train=True, device=device)
X_test, y_test = fc.load_tensors(train=False, device=device)
order = torch.argsort(y_train.cpu(), stable=True).to(device)  # 按类别排序 / sorted by class

first_batch = y_train[order[:batch_size]]
print(f"排序后第一个批次中的类别 / classes in the first sorted batch: {first_batch.unique().tolist()}")
shuffled_batch = y_train[torch.randperm(len(y_train), generator=torch.Generator().manual_seed(0))[:batch_size].to(device)]
print(f"打乱后第一个批次中的类别数 / classes in a shuffled batch: {len(shuffled_batch.unique())}")

# %% tags=["nbval-ignore-output"]
def one_epoch_accuracy(loader, seed=0):
    """训练一轮后的测试准确率 / test accuracy after one epoch."""
    fc.set_seed(seed)
    model = fc.NeuralNetwork().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    fc.train_epoch(model, loader, torch.nn.CrossEntropyLoss(), optimizer, progress=False)
    return fc.evaluate(model, fc.TensorLoader(X_test, y_test, 1000))[1]


acc_sorted = one_epoch_accuracy(fc.TensorLoader(X_train[order], y_train[order], batch_size, shuffle=False))
acc_shuffled = one_epoch_accuracy(fc.TensorLoader(X_train, y_train, batch_size, shuffle=True))
print(f"按类别排序、不打乱 / sorted, not shuffled: {100 * acc_sorted:.1f}%")
print(f"打乱 / shuffled:                         {100 * acc_shuffled:.1f}%")

# %%
assert acc_sorted < 0.5 < 0.8 < acc_shuffled
print("打乱后的准确率远高于按类别排序的 ✓ / shuffling beats class-sorted order by far")

# %% [markdown] tags=["zh"]
# 按类别排序训练出的模型几乎只记得最后几类。测试集不需要打乱：评估时模型不更新，顺序不影响结果。

# %% [markdown] tags=["en"]
# The model trained in class order remembers little more than the last classes it saw. The test set needs no
# shuffling: evaluation does not update the model, so the order does not change the result.

# %% [markdown] tags=["zh"]
# ## 7. 快速通道：把整个数据集放进一个张量
#
# `DataLoader` 每个批次都要对 64 张图片逐张调用 `ToTensor`，再把它们叠起来。对这么小的数据集，这部分 Python 开销比模型计算本身还大。Fashion-MNIST 全部只有约 188 MB（`float32`），所以 `fc.load_tensors` 一次性把它变成一个张量（放在 CPU 或 GPU 上），`fc.TensorLoader` 每轮打乱一次下标，直接切出批次。得到的数字与 `ToTensor` 完全相同。

# %% [markdown] tags=["en"]
# ## 7. The fast path: the whole data set in one tensor
#
# For every batch, `DataLoader` calls `ToTensor` on 64 images one at a time and then stacks them. On a data set this
# small, that Python overhead costs more than the model itself. All of Fashion-MNIST is only about 188 MB as `float32`,
# so `fc.load_tensors` converts it once into one tensor (on the CPU or the GPU), and `fc.TensorLoader` shuffles the
# indices once per epoch and slices the batches straight out. The numbers are exactly those `ToTensor` gives.

# %%
for i in [0, 1, 59999]:
    torch.testing.assert_close(X_train[i].cpu(), training_data[i][0])
    assert y_train[i].item() == training_data[i][1]
print("快速通道的图片与 ToTensor 完全一致 ✓ / fast-path images equal ToTensor's exactly")

# 不打乱时，两种方式给出相同的批次 / without shuffling both give the same batches
fast_test = fc.TensorLoader(X_test.cpu(), y_test.cpu(), batch_size=batch_size)
for (Xa, ya), (Xb, yb) in zip(test_dataloader, fast_test):
    torch.testing.assert_close(Xa, Xb)
    assert torch.equal(ya, yb)
print(f"{len(fast_test)} 个测试批次完全相同 ✓ / test batches identical")

# 打乱时，每轮恰好把每个样本用一次 / shuffled, each epoch uses every sample exactly once
fast_train = fc.TensorLoader(X_train, y_train, batch_size=batch_size, shuffle=True)
seen = torch.cat([yb for _, yb in fast_train])
assert torch.equal(torch.bincount(seen, minlength=10), train_counts.to(seen.device))
print(f"一轮 {len(fast_train)} 个批次，每个样本恰好一次 ✓ / one epoch of {len(fast_train)} batches, every sample once")

# %% [markdown] tags=["zh"]
# 现在测一测：把一整轮的批次都取一遍，各要多少秒？（计时每次运行都会变，所以这个单元格的输出不参与测试。）

# %% [markdown] tags=["en"]
# Now measure it: how many seconds does it take to draw one whole epoch of batches each way? (Timings change from run to
# run, so this cell's output is not compared by the tests.)

# %% tags=["nbval-ignore-output"]
def seconds_per_epoch(loader):
    start = time.perf_counter()
    for Xb, yb in loader:
        Xb, yb = Xb.to(device), yb.to(device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


t_loader = seconds_per_epoch(train_dataloader)
t_fast = seconds_per_epoch(fast_train)
print(f"DataLoader + ToTensor: {t_loader:.2f} s / 轮 epoch")
print(f"TensorLoader:          {t_fast:.3f} s / 轮 epoch")
print(f"快 / faster: {t_loader / t_fast:.0f}x")

# %% [markdown] tags=["zh"]
# 只取数据时快了大约一个数量级；加上模型本身的计算后，整轮训练大约快 2 倍以上（见 `benchmarks/train_speed.py`）。后面的课程在需要训练很多次时都用快速通道；原教程的 `DataLoader` 写法仍然是你在别的数据集上会用到的标准做法。

# %% [markdown] tags=["en"]
# Drawing the data alone is roughly an order of magnitude faster; with the model's own work added, a whole training
# epoch is still more than 2 times faster (see `benchmarks/train_speed.py`). Later lessons use the fast path where they train many
# times; the original tutorial's `DataLoader` remains the standard way you will use on other data sets.

# %% [markdown] tags=["zh"]
# ## 练习 1：自己写 `ToTensor`
#
# 写出 `to_tensor(img)`：输入形状为 (28, 28) 的 `uint8` 张量，返回形状为 (1, 28, 28)、值在 [0, 1] 的 `float32` 张量。不要修改输入。

# %% [markdown] tags=["en"]
# ## Exercise 1: write `ToTensor` yourself
#
# Write `to_tensor(img)`: it takes a `uint8` tensor of shape (28, 28) and returns a `float32` tensor of shape
# (1, 28, 28) with values in [0, 1]. Do not modify the input.

# %% nbgrader={"grade": false, "grade_id": "l00_ex1_to_tensor", "locked": false, "schema_version": 3, "solution": true, "task": false}
def to_tensor(img):
    ### BEGIN SOLUTION
    return img.float().div(255).unsqueeze(0)
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l00_ex1_to_tensor_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex1_to_tensor(to_tensor)

# %% [markdown] tags=["zh"]
# ## 练习 2：数每个类别
#
# 写出 `class_counts(labels)`：返回长度为 10 的张量，第 $i$ 个元素是标签等于 $i$ 的样本数；没有出现的类别记 0。

# %% [markdown] tags=["en"]
# ## Exercise 2: count each class
#
# Write `class_counts(labels)`: return a tensor of length 10 whose entry $i$ is the number of samples with label $i$;
# a class that does not occur counts 0.

# %% nbgrader={"grade": false, "grade_id": "l00_ex2_class_counts", "locked": false, "schema_version": 3, "solution": true, "task": false}
def class_counts(labels):
    ### BEGIN SOLUTION
    return torch.bincount(labels, minlength=10)
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l00_ex2_class_counts_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex2_class_counts(class_counts)

# %% [markdown] tags=["zh"]
# ## 练习 3：一轮有多少个批次
#
# 写出 `num_batches(n, batch_size, drop_last)`，返回 `DataLoader` 在一轮中给出的批次数。`drop_last=True` 时，最后那个不满的批次会被丢掉。

# %% [markdown] tags=["en"]
# ## Exercise 3: how many batches in an epoch
#
# Write `num_batches(n, batch_size, drop_last)` returning the number of batches a `DataLoader` yields in one epoch.
# With `drop_last=True` the last, smaller batch is dropped.

# %% nbgrader={"grade": false, "grade_id": "l00_ex3_num_batches", "locked": false, "schema_version": 3, "solution": true, "task": false}
def num_batches(n, batch_size, drop_last=False):
    ### BEGIN SOLUTION
    return n // batch_size if drop_last else (n + batch_size - 1) // batch_size
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l00_ex3_num_batches_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex3_num_batches(num_batches)

# %% [markdown] tags=["zh"]
# ## 小结
#
# - `ToTensor`：`uint8` (28, 28) → `float32` (1, 28, 28)，每个像素除以 255。
# - 批次大小 64 时一轮 938 个批次，最后一个只有 32 个样本。
# - 训练集要打乱，否则每个批次只有一个类别，模型学不好。
# - 快速通道 `fc.get_tensor_loaders` 与 `DataLoader` 给出相同的数字，却快得多。
#
# 下一课：[01 模型](01_model.ipynb)。

# %% [markdown] tags=["en"]
# ## Summary
#
# - `ToTensor`: `uint8` (28, 28) → `float32` (1, 28, 28), every pixel divided by 255.
# - With batch size 64 an epoch has 938 batches, the last of only 32 samples.
# - Shuffle the training set, or each batch holds a single class and the model learns badly.
# - The fast path `fc.get_tensor_loaders` gives the same numbers as `DataLoader`, much faster.
#
# Next: [01 The model](01_model.ipynb).
