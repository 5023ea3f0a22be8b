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
# # 00 数据：Dataset 与 DataLoader
#
# 上一课：无（这是第一课） · 下一课：[01 模型](01_model.ipynb)
#
# 预计用时：约 65 分钟（阅读、运行和练习）。
#
# 学完这一课，你能够：
#
# - 用几个基本的张量操作（`shape`、`dtype`、`unsqueeze`、`view`、下标）查看数据；
# - 用 `torchvision.datasets.FashionMNIST` 读入数据，说出 `ToTensor` 对每张图片做了什么；
# - 看懂一个批次（batch）的形状，算出一轮（epoch）有多少个批次、最后一个批次有多大；
# - 只用 `__len__` 和 `__getitem__` 两个方法，自己写一个 `Dataset`，并让它在取样本时做变换（`transform`）；
# - 解释训练时为什么要 `shuffle=True`；
# - 把整个数据集放进一个张量、直接切出批次（本课程的“快速通道”），并测出它比 `DataLoader` 快多少。

# %% [markdown] tags=["en"]
# # 00 Data: Dataset and DataLoader
#
# Previous: none (this is the first lesson) · Next: [01 The model](01_model.ipynb)
#
# Time: about 65 min (reading, running and the exercises).
#
# After this lesson you can:
#
# - look at data with a few basic tensor operations (`shape`, `dtype`, `unsqueeze`, `view`, indexing);
# - read the data with `torchvision.datasets.FashionMNIST` and say what `ToTensor` does to each image;
# - read the shapes of a batch and work out how many batches make one epoch, and how large the last one is;
# - write a `Dataset` of your own with just two methods, `__len__` and `__getitem__`, and have it apply a
#   `transform` when a sample is fetched;
# - explain why training uses `shuffle=True`;
# - put the whole data set in one tensor and slice the batches straight out of it (the course's "fast path"),
#   and measure how much faster that is than `DataLoader`.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset
from torchvision import datasets
from torchvision.transforms import ToTensor, v2

import fmnist_core as fc
from fmnist_core.checks import lesson00 as check

device = fc.get_device()

# %% [markdown] tags=["zh"]
# ## 0. 张量速览
#
# 张量（tensor）是 PyTorch 的多维数组：一张 Fashion-MNIST 图片是形状为 (1, 28, 28) 的张量，训练集的全部标签是形状为 (60000,) 的张量。形状（shape）给出每一维的长度，数据类型（dtype）给出元素的类型，例如 `torch.uint8`（0 到 255 的整数）、`torch.float32` 和 `torch.int64`。这一课只用到下表里的几个操作，后面的课也常用它们；用过 NumPy 的读者会发现它们的名字和意思几乎都一样。
#
# | 写法 | 做什么 | 用在 |
# |---|---|---|
# | `t.shape`、`t.dtype` | 形状和数据类型 | 处处 |
# | `t.float()`、`t / 255` | 转成 `float32`；逐元素运算 | 第 2 节 |
# | `t.unsqueeze(0)` | 在最前面加一个长度为 1 的维 | 第 2 节：加上通道维 |
# | `t.view(2, 3)`、`t.reshape(2, 3)` | 同样的数据换一个形状（元素个数不变） | 练习 2；第 01 课用 `reshape` 展平图片 |
# | `t[i]`、`t[a:b]`、`t[idx]` | 取第 i 个、切出一段、按一个下标张量取出一组 | 第 6 至 8 节 |
# | `torch.bincount(y, minlength=k)` | 数出 0 到 k−1 的每个整数各出现几次 | 第 4 节：每类的样本数 |
# | `torch.argsort(y, stable=True)` | 把 `y` 从小到大排好所需的下标顺序 | 第 7 节：按类别排序 |
# | `A @ B` | 矩阵乘法 | 第 01 课的全连接层 |
#
# 下面的单元格在几个小张量上把每个操作做一遍，并用 `assert` 核对结果。

# %% [markdown] tags=["en"]
# ## 0. Tensors at a glance
#
# A tensor is PyTorch's multi-dimensional array: one Fashion-MNIST image is a tensor of shape (1, 28, 28), all the
# training labels are a tensor of shape (60000,). The shape gives the length of each dimension, the dtype the type of
# the elements, such as `torch.uint8` (integers from 0 to 255), `torch.float32` and `torch.int64`. This lesson uses
# only the operations in the table below, and later lessons use them often; readers who know NumPy will find nearly
# the same names with the same meaning.
#
# | written | what it does | used in |
# |---|---|---|
# | `t.shape`, `t.dtype` | the shape and the dtype | everywhere |
# | `t.float()`, `t / 255` | convert to `float32`; element-wise arithmetic | section 2 |
# | `t.unsqueeze(0)` | add a dimension of length 1 in front | section 2: the channel dimension |
# | `t.view(2, 3)`, `t.reshape(2, 3)` | the same data in another shape (as many elements) | exercise 2; lesson 01 flattens images with `reshape` |
# | `t[i]`, `t[a:b]`, `t[idx]` | element i, a slice, the elements at a tensor of indices | sections 6 to 8 |
# | `torch.bincount(y, minlength=k)` | how often each integer from 0 to k−1 occurs | section 4: samples per class |
# | `torch.argsort(y, stable=True)` | the order of indices that sorts `y` ascending | section 7: sorting by class |
# | `A @ B` | matrix product | lesson 01's fully connected layers |
#
# The cell below runs each operation on a few small tensors and checks the results with `assert`.

# %%
t = torch.arange(6)  # 0, 1, ..., 5
print(f"t = {t.tolist()}   shape {tuple(t.shape)}   dtype {t.dtype}")
m = t.view(2, 3)  # 2 行 3 列，还是那 6 个数 / 2 rows, 3 columns, the same 6 numbers
print(f"t.view(2, 3) = {m.tolist()}   m[1] = {m[1].tolist()}   m[:, 0] = {m[:, 0].tolist()}")
print(f"m.unsqueeze(0).shape = {tuple(m.unsqueeze(0).shape)}   "
      f"(t.float() / 2)[:3] = {(t.float() / 2)[:3].tolist()}")
small_labels = torch.tensor([2, 0, 2, 1, 0, 2])
idx = torch.argsort(small_labels, stable=True)
print(f"y = {small_labels.tolist()}   bincount(y, minlength=4) = "
      f"{torch.bincount(small_labels, minlength=4).tolist()}")
print(f"argsort(y) = {idx.tolist()}   y[argsort(y)] = {small_labels[idx].tolist()}")
ones = torch.ones(3)
print(f"m.float() @ ones = {(m.float() @ ones).tolist()}  (每行之和 / the row sums)")

assert m.shape == (2, 3) and m[1, 2] == 5 and m.unsqueeze(0).shape == (1, 2, 3)
assert torch.equal(t.reshape(2, 3), m)
assert torch.equal(torch.bincount(small_labels, minlength=4), torch.tensor([2, 1, 3, 0]))
assert torch.equal(small_labels[idx], small_labels.sort().values)
assert torch.equal(m.float() @ ones, m.float().sum(dim=1))
print("张量速览 ✓ 每个结果都已核对 / tensors at a glance ✓ every result checked")

# %% [markdown] tags=["zh"]
# ## 1. 数据从哪里来
#
# Fashion-MNIST 有 60,000 张训练图片和 10,000 张测试图片，每张是 28×28 的灰度图，属于 10 个类别之一。所有课程共用一个缓存目录（默认 `~/.cache/fmnist_core`，可用环境变量 `FMNIST_DATA_DIR` 改）。`fc.ensure_data()` 检查四个官方文件的 MD5 校验和（checksum）：文件缺失或损坏时，它先从 `FMNIST_MIRROR` 指定的本地文件夹或镜像（mirror）网址重新获取，再试官方地址。校验不通过的文件一律不用。

# %% [markdown] tags=["en"]
# ## 1. Where the data comes from
#
# Fashion-MNIST has 60,000 training and 10,000 test images, each a 28×28 grayscale picture of one of 10 classes.
# All lessons share one cache folder (by default `~/.cache/fmnist_core`; the environment variable `FMNIST_DATA_DIR`
# moves it). `fc.ensure_data()` checks the MD5 checksums of the four official files: when one is missing or corrupt,
# it fetches it again, first from the local folder or mirror URL in `FMNIST_MIRROR`, then from the official address.
# A file that fails its checksum is never used.

# %%
root = fc.ensure_data()  # 校验 MD5，缺了就获取 / verify MD5, fetch what is missing

# 与官方教程一样，用 torchvision 读取 / read it with torchvision, as the official tutorial does
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
# 多出来的第一维是通道（channel）：灰度图只有 1 个通道，彩色图有 3 个。PyTorch 的卷积层按“通道、高、宽”的顺序读图片，本课程的模型也接收这种形状的输入。

# %% [markdown] tags=["en"]
# ## 2. What `ToTensor` does
#
# Each image in the file is a `uint8` matrix of shape $28 \times 28$ with pixel values $p \in \{0, 1, \dots, 255\}$.
# `ToTensor` turns it into a `float32` tensor of shape $1 \times 28 \times 28$ (channel, height, width) and divides
# every pixel by 255:
#
# $$x_{c,h,w} = \frac{p_{h,w}}{255} \in [0, 1]$$
#
# The new first dimension is the channel: a grayscale image has 1 channel, a colour image 3. PyTorch's convolution
# layers read images in (channel, height, width) order, and the course model takes input of this shape too.

# %%
raw = training_data.data[0]  # 原始像素 / the raw pixels
x, label = training_data[0]  # 经过 ToTensor / after ToTensor
print(f"原始 / raw:      shape {tuple(raw.shape)}, dtype {raw.dtype}, "
      f"范围 / range [{raw.min()}, {raw.max()}]")
print(f"ToTensor 之后 / after: shape {tuple(x.shape)}, dtype {x.dtype}, "
      f"范围 / range [{x.min():.1f}, {x.max():.1f}]")
print(f"标签 / label: {label} = {fc.class_name(label)}")

# 公式的检查 / check the formula: x = p / 255, with one channel in front
torch.testing.assert_close(x, raw.float().unsqueeze(0) / 255)
print("ToTensor ✓ 等于 p / 255 并加上通道维 / equals p / 255 with a channel dimension added")

# %% [markdown] tags=["zh"]
# `ToTensor` 还有三个细节。`FashionMNIST` 把每张图先转成 8 位的 PIL 灰度图再交给它，所以上面的公式在这里成立。
#
# - 只有 8 位的像素（`uint8` 数组，或像这里这样的 8 位 PIL 图片）才会除以 255；别的类型，比如 `float32` 数组，只转换、不缩放。
# - 彩色图片的数组按“高、宽、通道”存放，`ToTensor` 会把通道挪到最前面。
# - 新的 `torchvision.transforms.v2` 把 `v2.ToTensor` 标为弃用，建议写成 `v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])`，结果相同。本课程沿用官方教程里经典的 `ToTensor`。

# %% [markdown] tags=["en"]
# Three more details about `ToTensor`. `FashionMNIST` turns each image into an 8-bit grayscale PIL image before
# handing it over, which is why the formula above holds here.
#
# - Only 8-bit pixels (a `uint8` array, or an 8-bit PIL image like these) are divided by 255; anything else, a
#   `float32` array for example, is converted without scaling.
# - A colour image's array is stored as (height, width, channel); `ToTensor` moves the channel to the front.
# - The newer `torchvision.transforms.v2` marks `v2.ToTensor` as deprecated and recommends
#   `v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])`, which gives the same result. The course
#   keeps the classic `ToTensor` of the official tutorial.

# %%
pixels = raw.numpy()  # uint8 数组，(28, 28) / a uint8 array, (28, 28)
as_float = ToTensor()(pixels.astype(np.float32))
print(f"float32 数组经过 ToTensor / a float32 array through ToTensor: 最大值 / max {as_float.max():.0f}")
colour = ToTensor()(np.zeros((28, 20, 3), dtype=np.uint8))  # 高、宽、通道 / height, width, channel
print(f"彩色数组 / colour array (28, 20, 3) -> {tuple(colour.shape)}")
assert as_float.max() == 255 and colour.shape == (3, 28, 20)

to_tensor_v2 = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])
torch.testing.assert_close(to_tensor_v2(pixels), x)
print("v2.ToImage + v2.ToDtype(scale=True) ✓ 与 ToTensor 相同 / same as ToTensor")

# %% [markdown] tags=["zh"]
# ## 3. 看看图片
#
# 十个类别的中英文名字在 `fc.CLASSES_ZH` 和 `fc.CLASSES_EN` 里。下面是训练集的前 16 张图片。

# %% [markdown] tags=["en"]
# ## 3. Look at the images
#
# The ten class names in Chinese and English are in `fc.CLASSES_ZH` and `fc.CLASSES_EN`. Below are the first 16
# training images.

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
    # fc.pad 把一个汉字算作两列，表格才对得齐 / fc.pad counts a Chinese character as two columns
    print(f"{fc.pad(fc.class_name(i), 22)} 训练 / train {train_counts[i]:>5}   "
          f"测试 / test {test_counts[i]:>5}")
assert (train_counts == 6000).all() and (test_counts == 1000).all()

# %% [markdown] tags=["zh"]
# ## 5. `DataLoader`：把数据分成批次
#
# 训练时模型一次看一个批次（batch）。`DataLoader` 从数据集中取出 `batch_size` 个样本，把它们叠成一个张量。PyTorch 官方教程的《Datasets & DataLoaders》一节用批次大小 64，对训练集和测试集都设了 `shuffle=True`（《Optimization》一节则两个都不打乱）；本课程只打乱训练集，第 7 节说明为什么。
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
# stacks them into one tensor. The official PyTorch tutorial's "Datasets & DataLoaders" page uses a batch size of 64
# and `shuffle=True` for both the training and the test set (its "Optimization" page shuffles neither); the course
# shuffles only the training set, and section 7 says why.
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
last = len(training_data) - (len(train_dataloader) - 1) * batch_size
print(f"最后一批 / last batch: {last} 个样本 / samples")
assert len(train_dataloader) == 938 and last == 32

# %% [markdown] tags=["zh"]
# ## 6. `Dataset` 是什么：自己写一个
#
# 对按下标取样本的数据集（map-style dataset），`DataLoader` 只有两个要求：`len(dataset)` 给出样本数（方法 `__len__`），`dataset[i]` 给出第 $i$ 个样本（方法 `__getitem__`）。`datasets.FashionMNIST` 就是这样一个 `Dataset`。下面自己写一个：先一次性把全部像素除以 255，再把图片和标签这两个张量包起来，按下标取出一对。和 `FashionMNIST` 一样，它还接受一个可选的变换（transform）：一个函数，`__getitem__` 每取出一张图片就把它交给这个函数，返回变换后的图片。不给变换时，它做的正是 PyTorch 自带的 `TensorDataset` 做的事。

# %% [markdown] tags=["en"]
# ## 6. What a `Dataset` is: write one yourself
#
# Of a map-style data set, one indexed by position, `DataLoader` asks only two things: `len(dataset)` gives the number
# of samples (the method `__len__`) and `dataset[i]` gives sample $i$ (the method `__getitem__`).
# `datasets.FashionMNIST` is such a `Dataset`. Below we write one: divide all the pixels by 255 once, then wrap the
# two tensors, images and labels, and return one pair per index. Like `FashionMNIST`, it also takes an optional
# `transform`: a function to which `__getitem__` hands each image it fetches, returning the transformed image.
# Without a transform it does exactly what PyTorch's own `TensorDataset` does.

# %%
class TensorPairs(Dataset):
    """第 i 个样本是 (X[i], y[i])，给了 transform 就先变换 X[i]
    / sample i is (X[i], y[i]), X[i] through transform if one is given"""

    def __init__(self, X, y, transform=None):
        self.X, self.y = X, y
        self.transform = transform

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        x = self.X[i]
        if self.transform is not None:
            x = self.transform(x)  # 每取一次样本就做一次 / done each time a sample is fetched
        return x, self.y[i]


pairs = TensorPairs(training_data.data.unsqueeze(1).float() / 255, training_data.targets)
print(f"len(pairs) = {len(pairs)}")
for i in [0, 1, 59999]:
    torch.testing.assert_close(pairs[i][0], training_data[i][0])  # 与 ToTensor 相同 / as ToTensor
assert torch.equal(TensorDataset(pairs.X, pairs.y)[5][0], pairs[5][0])

Xb, yb = next(iter(DataLoader(pairs, batch_size=batch_size, shuffle=True)))
print(f"一个批次 / one batch: X {tuple(Xb.shape)}, y {tuple(yb.shape)}")
print("TensorPairs ✓ 给出与 ToTensor 相同的图片 / gives the same images as ToTensor")

# %% [markdown] tags=["zh"]
# 变换在 `__getitem__` 里做，而不是在 `__init__` 里一次做完，这一点对随机的变换很重要。训练时常把图片随机左右翻转（数据增强（data augmentation）的一种）：模型每一轮看到的同一张图片可能朝左也可能朝右，等于多了训练样本。`v2.RandomHorizontalFlip()` 以 0.5 的概率翻转；下面先用 `p=1.0`（每次都翻）核对它翻的是哪一维，再把同一个样本取 20 次，看它确实有时翻、有时不翻。像除以 255 这样每次结果都一样的变换，就可以像上面那样事先对整个张量做一次，省下逐张图片的开销。
#
# `FashionMNIST` 等 torchvision 数据集还接受 `target_transform`：同样在 `__getitem__` 里调用，但作用在标签上，例如把标签 3 变成独热编码（one-hot encoding）的向量。练习 2 要你写一个同时支持两者的 `Dataset`。

# %% [markdown] tags=["en"]
# That the transform runs in `__getitem__`, not once in `__init__`, matters for a random transform. Training often
# flips the images left to right at random (a kind of data augmentation): in each epoch the model may see the same
# image facing either way, which amounts to more training samples. `v2.RandomHorizontalFlip()` flips with probability
# 0.5; below we first check with `p=1.0` (always flip) which dimension it flips, then fetch the same sample 20 times
# and see that it is sometimes flipped and sometimes not. A transform that gives the same result every time, such
# as dividing by 255, can be done once for the whole tensor beforehand, as above, which saves the per-image cost.
#
# `FashionMNIST` and the other torchvision data sets also take a `target_transform`: called in `__getitem__` as well,
# but on the label, for example to turn the label 3 into a one-hot vector. Exercise 2 asks you for a `Dataset` that
# supports both.

# %%
always = TensorPairs(pairs.X, pairs.y, transform=v2.RandomHorizontalFlip(p=1.0))
x0, y0 = always[0]
torch.testing.assert_close(x0, pairs[0][0].flip(-1))  # 左右翻转：最后一维 / left-right: the last dim
assert y0 == pairs[0][1]  # 标签不变 / the label is unchanged
print("p=1.0：图片左右翻转，标签不变 ✓ / p=1.0: the image is mirrored, the label unchanged")

torch.manual_seed(0)
flipping = TensorPairs(pairs.X, pairs.y, transform=v2.RandomHorizontalFlip())
flipped = [torch.equal(flipping[0][0], x0) for _ in range(20)]
assert 0 < sum(flipped) < 20
print("p=0.5：同一个样本取 20 次，有时翻、有时不翻 ✓ / p=0.5: one sample fetched 20 times, "
      "flipped only sometimes")

# %% [markdown] tags=["zh"]
# `DataLoader` 每取一个批次，就调用 64 次 `__getitem__`，再把取到的 64 对叠成一个批次。它还有两个常用参数：`num_workers=4` 让 4 个子进程同时准备批次，适合每个样本都要读文件、解码的情形；`pin_memory=True` 把批次放进锁页内存（pinned memory），复制到 GPU 时更快。本课程保持默认的 `num_workers=0`：在一些系统上（Windows 和 macOS，以及 Python 3.14 起的 Linux），子进程是重新启动的 Python，找不到在 notebook 里定义的类（比如上面的 `TensorPairs`），会报错。要用子进程，就把这样的类写进一个 `.py` 文件，再在 notebook 里导入它。

# %% [markdown] tags=["en"]
# For every batch, `DataLoader` calls `__getitem__` 64 times and stacks the 64 pairs into one batch. Two more
# arguments are common: `num_workers=4` lets 4 worker processes prepare batches at the same time, which helps when
# each sample must be read from a file and decoded; `pin_memory=True` puts the batches in pinned (page-locked)
# memory, which copies to a GPU faster. The course keeps the default `num_workers=0`: on some systems (Windows and
# macOS, and Linux from Python 3.14 on) a worker is a freshly started Python that cannot find a class defined in a
# notebook (such as `TensorPairs` above), and fails. To use workers, put such a class in a `.py` file and import it
# in the notebook.

# %% [markdown] tags=["zh"]
# ## 7. 为什么训练时要 `shuffle=True`
#
# 每走一步，优化器只根据当前批次的梯度更新参数，所以这个批次最好能代表整个训练集。如果数据按类别排好序，一个批次里就全是同一类：每类 6000 张，约合 94 个批次，模型这九十多步学“全猜 T 恤”，下九十多步又学“全猜裤子”，每次都把上一段学到的覆盖掉。打乱顺序让每个批次都混有各个类别，而且每一轮的顺序都不同。
#
# 下面把训练集按类别排序，不打乱地训练一轮，再与打乱后训练一轮比较（模型和学习率都相同）。这里要用到后面几课才讲的东西，先只看结果：模型 `fc.NeuralNetwork` 在 [01 模型](01_model.ipynb) 里搭起来，梯度怎样算出来见 [02 自动求导](02_autograd.ipynb)，优化器 Adam、损失函数 `CrossEntropyLoss` 以及 `fc.train_epoch` 和 `fc.evaluate` 里的训练和评估循环见 [03 训练循环](03_training_loop.ipynb)。

# %% [markdown] tags=["en"]
# ## 7. Why training uses `shuffle=True`
#
# At each step the optimizer updates the parameters from the gradient of the current batch only, so that batch had
# better stand for the whole training set. If the data were sorted by class, a batch would hold a single class: with
# 6000 images per class, about 94 batches, the model learns "always say T-shirt" for about 94 steps, then "always say
# Trouser" for the next 94, each time overwriting what came before. Shuffling mixes the classes in every batch, in a
# new order each epoch.
#
# Below we sort the training set by class and train for one epoch without shuffling, then compare with one epoch on
# shuffled data (same model, same learning rate). This uses things taught in the next lessons, so for now look only
# at the result: the model `fc.NeuralNetwork` is built in [01 The model](01_model.ipynb), how the gradients are
# computed is [02 Autograd](02_autograd.ipynb), and the Adam optimizer, the `CrossEntropyLoss` loss and the training
# and evaluation loops inside `fc.train_epoch` and `fc.evaluate` are [03 The training loop](03_training_loop.ipynb).

# %%
X_train, y_train = fc.load_tensors(train=True, device=device)
X_test, y_test = fc.load_tensors(train=False, device=device)
order = torch.argsort(y_train.cpu(), stable=True).to(device)  # 按类别排序 / sorted by class

first_batch = y_train[order[:batch_size]]
print(f"排序后第一个批次中的类别 / classes in the first sorted batch: {first_batch.unique().tolist()}")
perm = torch.randperm(len(y_train), generator=torch.Generator().manual_seed(0))
shuffled_batch = y_train[perm[:batch_size].to(device)]
print(f"打乱后第一个批次中的类别数 / classes in a shuffled batch: {len(shuffled_batch.unique())}")

# %% tags=["nbval-ignore-output", "grading-skip"]
def train_one_epoch(loader, seed=0):
    """训练一轮，返回模型 / train for one epoch, return the model."""
    fc.set_seed(seed)
    model = fc.NeuralNetwork().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    fc.train_epoch(model, loader, torch.nn.CrossEntropyLoss(), optimizer, progress=False)
    return model


# 在训练集上评估：要看的是模型学会了什么；测试集留到最后只看一次（第 04 课）
# evaluated on the training set: the question is what the model learned; the test set is kept for
# one look at the end (lesson 04)
train_eval = fc.TensorLoader(X_train, y_train, 1000)
model_sorted = train_one_epoch(fc.TensorLoader(X_train[order], y_train[order], batch_size))
model_shuffled = train_one_epoch(fc.TensorLoader(X_train, y_train, batch_size, shuffle=True))
acc_sorted = fc.evaluate(model_sorted, train_eval)[1]
acc_shuffled = fc.evaluate(model_shuffled, train_eval)[1]
print(f"按类别排序、不打乱 / sorted, not shuffled: {100 * acc_sorted:.1f}%")
print(f"打乱 / shuffled:                         {100 * acc_shuffled:.1f}%")

# %% tags=["grading-skip"]
with torch.no_grad():
    predicted = torch.bincount(model_sorted(X_train).argmax(dim=1), minlength=10)
print(f"排序训练的模型把每类预测了几次 / how often the sorted model predicts each class:\n"
      f"{predicted.tolist()}")
assert predicted[9] == len(y_train) and acc_sorted == 0.1 and acc_shuffled > 0.8
print("按类别排序：只猜最后一类，准确率 10% ✓ / sorted: only the last class, 10% accuracy")
print("打乱：超过 80% ✓ / shuffled: above 80%")

# %% [markdown] tags=["zh"]
# 两个模型都在它们训练过的 60,000 张图片上评估：这里要看的是模型学会了什么，测试集留到最后只看一次（第 04 课）。按类别排序训练出的模型只会猜最后一类：它把 60,000 张训练图片全判成短靴，准确率恰好 10%，和“全猜同一类”一样，连它自己训练过的图片也是这样。它最后的 94 个批次全是短靴，把前面学到的都覆盖掉了。测试集不需要打乱：评估时模型不更新，顺序不影响结果。官方教程对测试集也设了 `shuffle=True`，这没有害处，只是多余。

# %% [markdown] tags=["en"]
# Both models are evaluated on the 60,000 images they trained on: the question here is what a model learned, and the
# test set is kept for one look at the end (lesson 04). The model trained in class order only ever guesses the last
# class: it calls all 60,000 training images ankle boots, exactly 10% accuracy, the same as always guessing one class,
# even on the images it trained on. Its last 94 batches were all ankle boots, which
# overwrote everything it had learned before. The test set needs no shuffling: evaluation does not update the model,
# so the order does not change the result. The official tutorial shuffles its test set too; that does no harm, it is
# just unnecessary.

# %% [markdown] tags=["zh"]
# ## 8. 快速通道：把整个数据集放进一个张量
#
# `DataLoader` 每个批次都要逐张调用 64 次 `__getitem__`（`FashionMNIST` 在里面先把图片转成 PIL 图片，再调用 `ToTensor`），然后把它们叠起来，这些都是逐张图片的 Python 开销。Fashion-MNIST 很小：转成 `float32` 后训练集约 188 MB，连同测试集约 220 MB，整个放得进内存。所以 `fc.load_tensors` 一次性把它变成张量（放在 CPU 或 GPU 上），`fc.TensorLoader` 每轮打乱一次下标，直接切出批次。得到的数字与 `ToTensor` 完全相同。

# %% [markdown] tags=["en"]
# ## 8. The fast path: the whole data set in one tensor
#
# For every batch, `DataLoader` calls `__getitem__` 64 times, one image at a time (inside, `FashionMNIST` turns the
# image into a PIL image and then calls `ToTensor`), and then stacks them: Python overhead paid per image.
# Fashion-MNIST is small: as `float32` the training set takes about 188 MB, about 220 MB with the test set, so it fits
# in memory whole. So `fc.load_tensors` converts it once into tensors (on the CPU or the GPU), and `fc.TensorLoader`
# shuffles the indices once per epoch and slices the batches straight out. The numbers are exactly those `ToTensor`
# gives.

# %%
def megabytes(t):
    return t.element_size() * t.nelement() / 1e6


print(f"训练集图片 / training images: {megabytes(X_train):.1f} MB, "
      f"连同测试集 / with the test set: {megabytes(X_train) + megabytes(X_test):.1f} MB")

for i in [0, 1, 59999]:
    torch.testing.assert_close(X_train[i].cpu(), training_data[i][0])
    assert y_train[i].item() == training_data[i][1]
print("快速通道的图片与 ToTensor 完全一致 ✓ / fast-path images equal ToTensor's exactly")

# 不打乱时，两种方式给出相同的批次 / without shuffling both give the same batches
fast_test = fc.TensorLoader(X_test.cpu(), y_test.cpu(), batch_size=batch_size)
for (Xa, ya), (Xb, yb) in zip(test_dataloader, fast_test):
    torch.testing.assert_close(Xa, Xb)
    assert torch.equal(ya, yb)
print("每个测试批次都完全相同 ✓ / every test batch identical")

# 打乱时，每轮恰好把每个样本用一次 / shuffled, each epoch uses every sample exactly once
fast_train = fc.TensorLoader(X_train, y_train, batch_size=batch_size, shuffle=True)
seen = torch.cat([yb for _, yb in fast_train])
assert torch.equal(torch.bincount(seen, minlength=10), train_counts.to(seen.device))
print(f"一轮 {len(fast_train)} 个批次，每个样本恰好一次 ✓ / "
      f"one epoch of {len(fast_train)} batches, every sample once")

# %% [markdown] tags=["zh"]
# 现在测一测：用几种方式把一整轮的批次取一遍，再用其中两种各训练一轮，各要多少秒？计时每次运行都会变，所以这个单元格的输出不参与测试。

# %% [markdown] tags=["en"]
# Now measure it: how many seconds does it take to draw one whole epoch of batches each way, and to train one epoch
# with two of them? Timings change from run to run, so this cell's output is not compared by the tests.

# %% tags=["nbval-ignore-output", "grading-skip"]
def seconds(work):
    start = time.perf_counter()
    work()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def draw_all(loader):
    for Xb, yb in loader:
        Xb, yb = Xb.to(device), yb.to(device)


pairs_loader = DataLoader(pairs, batch_size=batch_size, shuffle=True)
t_draw = {"DataLoader + ToTensor": seconds(lambda: draw_all(train_dataloader)),
          "DataLoader + TensorPairs": seconds(lambda: draw_all(pairs_loader)),
          "TensorLoader": seconds(lambda: draw_all(fast_train))}
t_train = {"DataLoader + ToTensor": seconds(lambda: train_one_epoch(train_dataloader)),
           "TensorLoader": seconds(lambda: train_one_epoch(fast_train))}

print("只取一轮数据 / drawing one epoch of batches:")
for name, t in t_draw.items():
    print(f"  {name:<26} {t:6.3f} s")
print("训练一轮 / training one epoch:")
for name, t in t_train.items():
    print(f"  {name:<26} {t:6.3f} s")
ratio_draw = t_draw["DataLoader + ToTensor"] / t_draw["TensorLoader"]
ratio_train = t_train["DataLoader + ToTensor"] / t_train["TensorLoader"]
print(f"TensorLoader 快了 / faster by: 只取数据 / drawing {ratio_draw:.0f}x, "
      f"整轮训练 / whole training epoch {ratio_train:.1f}x")

# %% [markdown] tags=["zh"]
# 上面是运行这个单元格的那台机器上的实测值，换一台机器会不同。只取数据时，快速通道省掉了逐张图片的 `ToTensor`，也省掉了逐个样本地取、再叠起来（中间一行只省掉了前者）。整轮训练的加速比要小一些：前向、反向和参数更新两边一样多，快速通道只省下取数据那部分时间。取数据占整轮的比例越大（例如在 GPU 上，模型本身算得很快），整轮训练的加速比就越大。后面的课程在需要训练很多次时都用快速通道；`DataLoader` 仍然是你在别的数据集上会用到的标准做法。更仔细的比较见 `benchmarks/train_speed.py`。

# %% [markdown] tags=["en"]
# These are the values measured on the machine that ran this cell; another machine gives others. For drawing the
# data, the fast path skips the per-image `ToTensor` and also the fetching and stacking of one sample at a time (the
# middle line skips only the former). The speed-up of a whole training epoch is smaller: the forward pass, the
# backward pass and the parameter update cost the same both ways, and the fast path saves only the time spent
# drawing the data. The larger the share of that time in an epoch (on a GPU, for example, where the model itself
# runs fast), the larger the speed-up of the whole epoch. Later lessons use the fast path where they train many
# times; `DataLoader` remains the standard way you will use on other data sets. `benchmarks/train_speed.py` makes a
# more careful comparison.

# %% [markdown] tags=["zh"]
# ## 练习 1：先预测，再运行（测试集的批次）
#
# 第 5 节算过：训练集 60000 张、批次大小 64 时，一轮有 938 个批次，最后一个只有 32 个样本。现在换成 10000 张测试图片，批次大小还是 64。`DataLoader` 还有一个参数 `drop_last`：设为 `True` 时，最后那个不满的批次会被丢掉。
#
# **先别运行下一个单元格。** 在 `predict_test_batches` 里写下你的预测：对 `drop_last=False`（默认）和 `drop_last=True` 两种情况，各给出 `(len(loader), 最后一个批次的样本数)`，写成字典 `{False: (..., ...), True: (..., ...)}`。然后运行下一个单元格，对照真实的值，再运行检查。

# %% [markdown] tags=["en"]
# ## Exercise 1: predict, then run (the test set's batches)
#
# Section 5 worked it out: with the 60,000 training images and a batch size of 64, an epoch has 938 batches, and the
# last holds only 32 samples. Now take the 10,000 test images, still with a batch size of 64. `DataLoader` has one
# more argument, `drop_last`: with `True`, the last, incomplete batch is dropped.
#
# **Do not run the next cell yet.** Write your prediction in `predict_test_batches`: for `drop_last=False` (the
# default) and for `drop_last=True`, give `(len(loader), the number of samples in the last batch)`, as a dict
# `{False: (..., ...), True: (..., ...)}`. Then run the next cell, compare with the real values, and run the check.

# %% nbgrader={"grade": false, "grade_id": "l00_ex1_test_batches", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-predict"]
def predict_test_batches():
    """{drop_last: (len(loader), 最后一个批次的样本数 / samples in the last batch)}"""
    ### BEGIN SOLUTION
    return {False: (157, 16), True: (156, 64)}
    ### END SOLUTION

# %% tags=["grading-skip"]
for drop_last in (False, True):
    loader = DataLoader(test_data, batch_size=batch_size, drop_last=drop_last)
    sizes = [len(yb) for _, yb in loader]  # 真的把每个批次取一遍 / really draw every batch
    print(f"drop_last={drop_last!s:<5}  len(loader) = {len(loader)}, "
          f"最后一个批次 / last batch: {sizes[-1]} 个样本 / samples")
    unused = len(test_data) % batch_size if drop_last else 0  # 被丢掉的 / dropped
    assert len(sizes) == len(loader) and sum(sizes) == len(test_data) - unused

# %% nbgrader={"grade": true, "grade_id": "l00_ex1_test_batches_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex1_test_batches(predict_test_batches)

# %% [markdown] tags=["zh"]
# ## 练习 2：图片按行存放的 `Dataset`（迁移）
#
# Fashion-MNIST 也有 CSV 版本（例如 Kaggle 上的 `fashion-mnist_train.csv`）：每一行是一个标签加上一张图片的 784 个像素。读进来以后，图片是形状为 (N, 784) 的 `uint8` 张量，一行一张；标签是形状为 (N,) 的 `int64` 张量。
#
# 写出 `FlatPairs(images, labels, transform=None, target_transform=None)`，一个用法和 `datasets.FashionMNIST` 一样的 `Dataset`：
#
# - `len(dataset)` 是样本数；
# - `dataset[i]` 返回 `(image, label)`：`image` 是第 `i` 行变回的 (28, 28) 图片（仍是 `uint8`），给了 `transform` 就再经过 `transform`；`label` 是 `labels[i]`，给了 `target_transform` 就再经过 `target_transform`；
# - 两个变换都在 `__getitem__` 里调用，每取一个样本调用一次，不在 `__init__` 里对整个数据集做。
#
# 检查会给 `transform=lambda img: img.float().unsqueeze(0) / 255`（得到和 `ToTensor` 一样的数）和把标签变成独热编码的 `target_transform=lambda y: torch.nn.functional.one_hot(y, 10).float()`，也会只给其中一个，或者一个都不给。

# %% [markdown] tags=["en"]
# ## Exercise 2: a `Dataset` of images stored as rows (transfer)
#
# Fashion-MNIST also comes as CSV (for example `fashion-mnist_train.csv` on Kaggle): each row holds a label and the
# 784 pixels of one image. Once read, the images are a `uint8` tensor of shape (N, 784), one image per row, and the
# labels an `int64` tensor of shape (N,).
#
# Write `FlatPairs(images, labels, transform=None, target_transform=None)`, a `Dataset` used the way
# `datasets.FashionMNIST` is:
#
# - `len(dataset)` is the number of samples;
# - `dataset[i]` returns `(image, label)`: `image` is row `i` turned back into a (28, 28) image (still `uint8`),
#   passed through `transform` when one is given; `label` is `labels[i]`, passed through `target_transform` when one
#   is given;
# - both transforms are called in `__getitem__`, once per sample fetched, not in `__init__` on the whole data set.
#
# The check gives `transform=lambda img: img.float().unsqueeze(0) / 255` (the numbers `ToTensor` gives) and a
# `target_transform=lambda y: torch.nn.functional.one_hot(y, 10).float()` that makes the label a one-hot vector;
# it also gives only one of them, or neither.

# %% nbgrader={"grade": false, "grade_id": "l00_ex2_flat_pairs", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-transfer"]
class FlatPairs(Dataset):
    """第 i 个样本：第 i 行变回 (28, 28)，再做 transform；标签做 target_transform
    / sample i: row i as (28, 28), through transform; the label through target_transform"""

    def __init__(self, images, labels, transform=None, target_transform=None):
        ### BEGIN SOLUTION
        self.images, self.labels = images, labels
        self.transform, self.target_transform = transform, target_transform
        ### END SOLUTION

    def __len__(self):
        ### BEGIN SOLUTION
        return len(self.images)
        ### END SOLUTION

    def __getitem__(self, i):
        ### BEGIN SOLUTION
        image, label = self.images[i].view(28, 28), self.labels[i]
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l00_ex2_flat_pairs_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex2_flat_pairs(FlatPairs)

# %% [markdown] tags=["zh"]
# ## 练习 3：打乱批次的函数里有两处错误（调试）
#
# 下面的 `shuffled_batches_buggy(X, y, batch_size, generator)` 想做快速通道做的事：用 `generator` 把样本打乱，再按顺序切出一轮的批次，返回 `(X_batch, y_batch)` 组成的列表。一轮里每个样本应当恰好出现一次，并且带着自己的标签；除了最后一个，每个批次都有 `batch_size` 个样本。这个函数有两处错误。再下一个单元格在 10 个编了号的样本上运行它：第 k 张“图片”的像素都等于 k，标签也是 k，所以同一个批次里图片和标签的编号应当一一相同。
#
# 读代码、看输出，找出两处错误，在 `shuffled_batches` 里写出改好的函数（参数不变）。

# %% [markdown] tags=["en"]
# ## Exercise 3: two bugs in a function that shuffles batches (debug)
#
# The function `shuffled_batches_buggy(X, y, batch_size, generator)` below means to do what the fast path does:
# shuffle the samples with `generator`, then slice one epoch of batches in order, and return a list of
# `(X_batch, y_batch)`. In an epoch every sample should appear exactly once, with its own label; every batch but the
# last should hold `batch_size` samples. The function has two bugs. The cell after it runs it on 10 numbered
# samples: every pixel of "image" k equals k and its label is k too, so within a batch the images and the labels
# should carry the same numbers, one for one.
#
# Read the code and the output, find the two bugs, and write the fixed function in `shuffled_batches` (same
# arguments).

# %%
def shuffled_batches_buggy(X, y, batch_size, generator):
    """一轮的批次：先打乱，再切片（有两处错误） / one epoch of batches: shuffle, slice (two bugs)"""
    n = len(X)
    X = X[torch.randperm(n, generator=generator)]
    y = y[torch.randperm(n, generator=generator)]
    return [(X[i:i + batch_size], y[i:i + batch_size])
            for i in range(0, n - batch_size, batch_size)]

# %%
numbered = torch.arange(10)  # 样本 k 的标签是 k / sample k has the label k
X_numbered = numbered.float().view(10, 1, 1, 1).expand(10, 1, 2, 2)  # 图片 k 全是 k / image k is all k
batches = shuffled_batches_buggy(X_numbered, numbered, 4, torch.Generator().manual_seed(0))
print(f"批次大小 / batch sizes: {[len(yb) for _, yb in batches]}")
print(f"用到的样本 / samples used: {sum(len(yb) for _, yb in batches)} / {len(numbered)}")
matched = all(torch.equal(xb[:, 0, 0, 0].long(), yb) for xb, yb in batches)
print(f"每张图片都带着自己的标签 / every image has its own label: {matched}")

# %% nbgrader={"grade": false, "grade_id": "l00_ex3_shuffled_batches", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-debug"]
def shuffled_batches(X, y, batch_size, generator):
    """一轮打乱的批次 [(X_batch, y_batch), ...] / one epoch of shuffled batches"""
    ### BEGIN SOLUTION
    perm = torch.randperm(len(X), generator=generator)  # 一个排列，X 和 y 共用 / one for both
    X, y = X[perm], y[perm]
    return [(X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(X), batch_size)]
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "l00_ex3_shuffled_batches_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check.ex3_shuffled_batches(shuffled_batches)

# %% [markdown] tags=["zh"]
# ## 小结
#
# - 张量有形状（`shape`）和数据类型（`dtype`）；`unsqueeze`、`view`、下标、`bincount`、`argsort` 是这一课用到的操作。
# - `ToTensor`：`uint8` (28, 28) → `float32` (1, 28, 28)，每个像素除以 255（只对 8 位像素缩放）。
# - 一个 `Dataset` 只要有 `__len__` 和 `__getitem__`；`DataLoader` 逐个取出样本，叠成批次。`transform` 和 `target_transform` 在 `__getitem__` 里、每取一个样本做一次，所以随机的变换（数据增强）每次都重新抽。
# - 批次大小 64 时一轮 938 个批次，最后一个只有 32 个样本；`drop_last=True` 丢掉不满的最后一批，批次数向下取整。
# - 训练集要打乱：按类别排序训练一轮，模型只会猜最后一类，准确率 10%。
# - 快速通道 `fc.load_tensors` 加 `fc.TensorLoader` 与 `DataLoader` 给出相同的数字，只是快得多；快多少，第 8 节实测过。
#
# 下一课：[01 模型](01_model.ipynb)。

# %% [markdown] tags=["en"]
# ## Summary
#
# - A tensor has a shape and a dtype; `unsqueeze`, `view`, indexing, `bincount` and `argsort` are the operations
#   this lesson uses.
# - `ToTensor`: `uint8` (28, 28) → `float32` (1, 28, 28), every pixel divided by 255 (only 8-bit pixels are scaled).
# - A `Dataset` needs only `__len__` and `__getitem__`; `DataLoader` fetches the samples one by one and stacks them
#   into batches. `transform` and `target_transform` run in `__getitem__`, once per sample fetched, so a random
#   transform (data augmentation) is drawn afresh every time.
# - With batch size 64 an epoch has 938 batches, the last of only 32 samples; `drop_last=True` drops the incomplete
#   last batch, so the count rounds down.
# - Shuffle the training set: trained for one epoch in class order, the model only ever guesses the last class, 10%.
# - The fast path, `fc.load_tensors` with `fc.TensorLoader`, gives the same numbers as `DataLoader`, only much faster;
#   section 8 measured how much faster.
#
# Next: [01 The model](01_model.ipynb).
