"""Checks for the exercises of lesson 00 (data).

Exercise 1 grades a prediction (how many batches a ``DataLoader`` over the test set gives, and
how large the last one is), exercise 2 a ``Dataset`` of flat rows with ``transform`` and
``target_transform``, exercise 3 the fix of a buggy shuffle-and-slice. The anticipated mistakes of
each exercise are data (``MISTAKES``): each wrong answer with its hint.
"""

import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader

from . import Mistake, check_close, expect, expect_integer, fail, passed, wrap_checkers

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker

# ---------------------------------------------------------------- exercise 1: predict, then run

EX1_N, EX1_BATCH = 10_000, 64  # the test set and the course's batch size


def _ex1_truth():
    """``{drop_last: (len(loader), size of the last batch)}``, asked of a ``DataLoader`` itself
    (its batch sampler gives the index lists without loading any image)."""
    truth = {}
    for drop_last in (False, True):
        loader = DataLoader(range(EX1_N), batch_size=EX1_BATCH, drop_last=drop_last)
        sizes = [len(indices) for indices in loader.batch_sampler]
        truth[drop_last] = (len(loader), sizes[-1])
    return truth


FORMAT = (
    "应返回一个字典 {False: (批次数, 最后一批的样本数), True: (批次数, 最后一批的样本数)}，"
    "键是 drop_last 的值",
    "return a dict {False: (batches, size of the last batch), True: (batches, size of the last "
    "batch)} keyed by the value of drop_last",
)


def _ex1_read(prediction):
    """The prediction as ``{False: (int, int), True: (int, int)}``; fails on another form."""
    expect(isinstance(prediction, dict) and set(prediction) == {False, True}, *FORMAT)
    read = {}
    for drop_last in (False, True):
        pair = prediction[drop_last]
        expect(isinstance(pair, (tuple, list)) and len(pair) == 2, *FORMAT)
        read[drop_last] = tuple(expect_integer(v) for v in pair)
    return read


MISTAKES["ex1_test_batches"] = [
    Mistake(
        lambda: {False: (156, 16), True: (156, 64)},
        "不设 drop_last 时批次数向上取整：10000 / 64 = 156.25，156 个满批次装下 "
        "156 × 64 = 9984 张，剩下的 16 张还要再组成一个批次，一共 157 个",
        "without drop_last the count rounds up: 10000 / 64 = 156.25; 156 full batches hold "
        "156 × 64 = 9984 images and the 16 left over make one more batch, 157 in all",
    ),
    Mistake(
        lambda: {False: (157, 64), True: (156, 64)},
        "10000 不是 64 的倍数：156 个满批次之后只剩 10000 − 156 × 64 = 16 张，"
        "所以最后一个批次只有 16 个样本",
        "10000 is not a multiple of 64: after 156 full batches only 10000 − 156 × 64 = 16 "
        "images are left, so the last batch holds 16",
    ),
    Mistake(
        lambda: {False: (157, 32), True: (156, 64)},
        "32 是训练集的余数（60000 − 937 × 64）；测试集有 10000 张，余下 10000 − 156 × 64 = 16 张",
        "32 is the training set's remainder (60000 − 937 × 64); the test set has 10000 images, "
        "which leave 10000 − 156 × 64 = 16",
    ),
    Mistake(
        lambda: {False: (938, 32), True: (937, 64)},
        "这是训练集（60000 张）的数字；这个 DataLoader 取的是 10000 张测试图片：⌈10000 / 64⌉ = 157",
        "these are the numbers of the training set (60000 images); this DataLoader draws the "
        "10000 test images: ⌈10000 / 64⌉ = 157",
    ),
    Mistake(
        lambda: {False: (157, 16), True: (157, 16)},
        "drop_last=True 会丢掉最后那个不满的批次：批次数向下取整，⌊10000 / 64⌋ = 156，"
        "那 16 张图片这一轮不用",
        "drop_last=True drops the last, incomplete batch: the count rounds down, "
        "⌊10000 / 64⌋ = 156, and those 16 images go unused this epoch",
    ),
    Mistake(
        lambda: {False: (157, 16), True: (156, 16)},
        "丢掉的是不满的那个批次，剩下的 156 个批次都是满的：drop_last=True 时最后一个批次有 64 个样本",
        "the batch dropped is the incomplete one, so the 156 that remain are all full: with "
        "drop_last=True the last batch holds 64",
    ),
    Mistake(
        lambda: {False: (156, 64), True: (157, 16)},
        "两种情况写反了：drop_last=False 保留不满的最后一批（157 个批次，最后一批 16 个样本），"
        "drop_last=True 才把它丢掉（156 个，最后一批 64 个）",
        "the two cases are swapped: drop_last=False keeps the incomplete last batch (157 "
        "batches, the last of 16), drop_last=True drops it (156, the last of 64)",
    ),
]
EX1_CASE_HINT = {
    False: (
        "不设 drop_last 时，批次数是 ⌈10000 / 64⌉（向上取整：不满的最后一批也算一个），"
        "最后一批是前面的满批次取完后剩下的样本数",
        "without drop_last the count is ⌈10000 / 64⌉ (round up: the incomplete last batch "
        "counts too), and the last batch holds what the full batches before it leave",
    ),
    True: (
        "drop_last=True 时，批次数是 ⌊10000 / 64⌋（向下取整：不满的最后一批被丢掉），"
        "剩下的批次都是满的",
        "with drop_last=True the count is ⌊10000 / 64⌋ (round down: the incomplete last batch "
        "is dropped), and the batches that remain are all full",
    ),
}


def ex1_test_batches(predict_test_batches):
    """``predict_test_batches()``: ``{drop_last: (len(loader), size of the last batch)}`` for a
    ``DataLoader`` over the 10,000 test images with ``batch_size=64``."""
    got = _ex1_read(predict_test_batches())
    truth = _ex1_truth()
    if got != truth:
        for m in MISTAKES["ex1_test_batches"]:
            if _ex1_read(m.answer()) == got:
                fail(m.zh, m.en)
        for drop_last in (False, True):
            if got[drop_last] != truth[drop_last]:
                zh, en = EX1_CASE_HINT[drop_last]
                fail(
                    f"drop_last={drop_last}：你预测的是 {got[drop_last]}。{zh}",
                    f"drop_last={drop_last}: you predicted {got[drop_last]}. {en}",
                )
    passed(
        "练习 1 通过：批次数和最后一批的大小都预测对了",
        "Exercise 1 passed: the number of batches and the last batch's size are right",
    )


# ---------------------------------------------------------------- exercise 2: a Dataset of rows

EX2_LABELS = (3, 0, 9, 1, 7)  # five samples: fewer than 28 and than 784, so no size can pass


def _ex2_data():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (len(EX2_LABELS), 784), dtype=torch.uint8, generator=g)
    return images, torch.tensor(EX2_LABELS)


def _to_float(img):
    """The image transform the checker gives: ToTensor's numbers, (28, 28) -> (1, 28, 28)."""
    return img.float().unsqueeze(0) / 255


def _one_hot(label):
    """The target transform the checker gives: the label as a one-hot vector of 10 floats."""
    return F.one_hot(torch.as_tensor(label), 10).float()


class _Spy:
    """A transform that records what it is given and never raises (a wrong input gets itself
    back), so that the checker can say which transform met which input."""

    def __init__(self, fn):
        self.fn, self.inputs = fn, []

    def __call__(self, x):
        self.inputs.append(x)
        try:
            return self.fn(x)
        except Exception:  # the learner's dataset gave it the wrong thing; named later
            return x


def _is_label(x):
    return isinstance(x, int) or (torch.is_tensor(x) and x.numel() == 1)


def _is_image(x):
    return torch.is_tensor(x) and x.numel() == 784


WRONG_LEN = Mistake(
    None,  # the answer is set below, with the other wrong classes
    "len(dataset) 应是样本数 len(images)（images 的第 0 维），不是每张图片的像素数 784",
    "len(dataset) should be the number of samples, len(images) (dimension 0 of images), "
    "not the 784 pixels of one image",
)
NOT_RESHAPED = Mistake(
    None,
    "图片还是一行 784 个像素：用 images[i].view(28, 28) 变回 (28, 28)",
    "the image is still a row of 784 pixels: turn it back into (28, 28) with "
    "images[i].view(28, 28)",
)
CALLS_NONE = Mistake(
    None,
    "调用了值为 None 的 transform：没有给的变换要跳过（if self.transform is not None: ...），"
    "transform 和 target_transform 各自判断",
    "a transform that is None was called: skip a transform that was not given (if "
    "self.transform is not None: ...), transform and target_transform each on its own",
)
AT_INIT = Mistake(
    None,
    "transform 在建数据集时（__init__ 里）就被调用了：应在 __getitem__ 里、每取一个样本时才调用，"
    "随机的变换（数据增强）每次取样本都要重新抽",
    "transform was called while the dataset was built (in __init__): call it in __getitem__, "
    "once each time a sample is fetched, so that a random transform (data augmentation) is "
    "drawn afresh every time",
)
ON_LABEL = Mistake(
    None,
    "标签被 transform 处理了：transform 只管图片，标签要交给 target_transform",
    "the label went through transform: transform is for the image only, the label goes "
    "through target_transform",
)
TARGET_FORGOTTEN = Mistake(
    None,
    "给了 target_transform，但返回的标签没有经过它：在 __getitem__ 里对 labels[i] 调用它",
    "target_transform was given, but the label returned did not go through it: call it on "
    "labels[i] in __getitem__",
)
TRANSFORM_FORGOTTEN = (
    "给了 transform，但返回的图片没有经过它：在 __getitem__ 里对 (28, 28) 的图片调用它",
    "transform was given, but the image returned did not go through it: call it on the "
    "(28, 28) image in __getitem__",
)
TARGET_ON_IMAGE = (
    "图片被 target_transform 处理了：target_transform 只管标签",
    "the image went through target_transform: target_transform is for the label only",
)
FLAT_TO_TRANSFORM = (
    "transform 拿到的不是 (28, 28) 的图片：先用 view(28, 28) 变形，再交给 transform",
    "transform was not given the (28, 28) image: reshape with view(28, 28) first, then "
    "pass it to transform",
)
REUSED = (
    "再取同一个样本时没有再调用变换：每次 dataset[i] 都要重新调用（随机变换每次结果不同），"
    "不要把变换的结果存起来",
    "fetching the same sample again did not call the transforms again: every dataset[i] "
    "calls them anew (a random transform gives a new result each time); do not store results",
)


class _RowsBase(torch.utils.data.Dataset):
    def __init__(self, images, labels, transform=None, target_transform=None):
        self.images, self.labels = images, labels
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.images)


class _LenIsPixels(_RowsBase):
    def __len__(self):
        return self.images.shape[1]

    def __getitem__(self, i):
        return self.images[i].view(28, 28), self.labels[i]


class _NotReshaped(_RowsBase):
    def __getitem__(self, i):
        image = self.images[i]
        return (self.transform(image) if self.transform else image), self.labels[i]


class _CallsNone(_RowsBase):
    def __getitem__(self, i):
        return self.transform(self.images[i].view(28, 28)), self.target_transform(self.labels[i])


class _AtInit(_RowsBase):
    def __init__(self, images, labels, transform=None, target_transform=None):
        self.images = [transform(x.view(28, 28)) if transform else x.view(28, 28) for x in images]
        self.labels = [target_transform(y) if target_transform else y for y in labels]

    def __getitem__(self, i):
        return self.images[i], self.labels[i]


class _OnLabel(_RowsBase):
    def __getitem__(self, i):
        image, label = self.images[i].view(28, 28), self.labels[i]
        if self.transform:
            image, label = self.transform(image), self.transform(label)
        return image, label


class _TargetForgotten(_RowsBase):
    """The lesson's TensorPairs pattern, with target_transform accepted but never used."""

    def __getitem__(self, i):
        image = self.images[i].view(28, 28)
        if self.transform is not None:
            image = self.transform(image)
        return image, self.labels[i]


MISTAKES["ex2_flat_pairs"] = [
    m._replace(answer=answer)
    for m, answer in [
        (WRONG_LEN, _LenIsPixels),
        (NOT_RESHAPED, _NotReshaped),
        (CALLS_NONE, _CallsNone),
        (AT_INIT, _AtInit),
        (ON_LABEL, _OnLabel),
        (TARGET_FORGOTTEN, _TargetForgotten),
    ]
]


def _ex2_get(dataset, i):
    """``dataset[i]`` as an (image, label) pair; a None called as a transform gets its hint."""
    try:
        item = dataset[i]
    except TypeError as error:
        if "NoneType" in str(error) and "callable" in str(error):
            fail(CALLS_NONE.zh, CALLS_NONE.en)
        raise
    expect(
        isinstance(item, (tuple, list)) and len(item) == 2,
        f"dataset[{i}] 应返回两项 (image, label)，得到的是 {type(item).__name__}",
        f"dataset[{i}] should return two things, (image, label); got {type(item).__name__}",
    )
    return item


def _ex2_plain(image, label, row, want_label, i):
    """Without transforms: the row as a (28, 28) uint8 image and the label as it is."""
    expect(
        torch.is_tensor(image),
        f"dataset[{i}] 的图片应是张量，得到的是 {type(image).__name__}",
        f"the image of dataset[{i}] should be a tensor, got {type(image).__name__}",
    )
    expect(tuple(image.shape) != (784,), NOT_RESHAPED.zh, NOT_RESHAPED.en)
    expect(
        tuple(image.shape) == (28, 28),
        f"没有 transform 时图片的形状应为 (28, 28)，和文件里存的一样，得到 {tuple(image.shape)}；"
        "加通道维是 transform 的事",
        f"without a transform the image should have shape (28, 28), as stored, got "
        f"{tuple(image.shape)}; adding a channel is the transform's job",
    )
    expect(
        image.dtype == torch.uint8 and torch.equal(image, row.view(28, 28)),
        "没有 transform 时应原样返回像素（uint8，不缩放、不换顺序）",
        "without a transform return the pixels as stored (uint8, not scaled, not reordered)",
    )
    expect(
        _is_label(label) and int(label) == want_label,
        f"dataset[{i}] 的标签应是 labels[{i}] = {want_label}",
        f"the label of dataset[{i}] should be labels[{i}] = {want_label}",
    )


def ex2_flat_pairs(FlatPairs):
    """``FlatPairs(images, labels, transform=None, target_transform=None)``: a map-style
    ``Dataset`` over images stored as rows (N, 784); ``dataset[i]`` is the row as a (28, 28)
    image through ``transform`` and ``labels[i]`` through ``target_transform``, both applied in
    ``__getitem__``, one sample at a time."""
    images, labels = _ex2_data()
    n = len(EX2_LABELS)

    # 1. 没有变换 / no transforms
    dataset = FlatPairs(images.clone(), labels.clone())
    got_len = len(dataset)
    if got_len != n:
        zh, en = (WRONG_LEN.zh, WRONG_LEN.en) if got_len == 784 else ("", "")
        fail(
            f"{n} 行数据，len(dataset) 却是 {got_len}。{zh}",
            f"{n} rows of data, yet len(dataset) is {got_len}. {en}",
        )
    for i in range(n):
        image, label = _ex2_get(dataset, i)
        _ex2_plain(image, label, images[i], EX2_LABELS[i], i)

    # 2. 两个变换：建数据集时不调用，每取一个样本各调用一次 / both transforms: none at
    # construction, each called once per sample fetched
    t, tt = _Spy(_to_float), _Spy(_one_hot)
    dataset = FlatPairs(images.clone(), labels.clone(), transform=t, target_transform=tt)
    expect(not t.inputs and not tt.inputs, AT_INIT.zh, AT_INIT.en)
    for k, i in enumerate((2, 0, 2)):
        before_t, before_tt = len(t.inputs), len(tt.inputs)
        image, label = _ex2_get(dataset, i)
        new_t, new_tt = t.inputs[before_t:], tt.inputs[before_tt:]
        expect(not any(_is_label(x) for x in new_t), ON_LABEL.zh, ON_LABEL.en)
        expect(not any(_is_image(x) for x in new_tt), *TARGET_ON_IMAGE)
        expect(k == 0 or new_t or new_tt, *REUSED)
        expect(new_t, *TRANSFORM_FORGOTTEN)
        expect(new_tt, TARGET_FORGOTTEN.zh, TARGET_FORGOTTEN.en)
        expect(
            len(new_t) == 1 and len(new_tt) == 1,
            "取一个样本时每个变换应只调用一次",
            "each transform should be called once per sample fetched",
        )
        expect(
            torch.is_tensor(new_t[0]) and tuple(new_t[0].shape) == (28, 28),
            *FLAT_TO_TRANSFORM,
        )
        check_close(image, _to_float(images[i].view(28, 28)), name=(f"图片 {i}", f"image {i}"))
        check_close(label, _one_hot(EX2_LABELS[i]), name=(f"标签 {i}", f"label {i}"))

    # 3. 只给一个变换 / only one of the two
    image, label = _ex2_get(FlatPairs(images.clone(), labels.clone(), transform=_to_float), 1)
    check_close(
        image,
        _to_float(images[1].view(28, 28)),
        name=("只有 transform 时的图片", "the image with transform only"),
    )
    expect(
        _is_label(label) and int(label) == EX2_LABELS[1],
        "只给 transform 时，标签应原样返回",
        "with transform only, the label should come back as it is",
    )
    dataset = FlatPairs(images.clone(), labels.clone(), target_transform=_one_hot)
    image, label = _ex2_get(dataset, 1)
    _ex2_plain(image, torch.tensor(EX2_LABELS[1]), images[1], EX2_LABELS[1], 1)
    check_close(
        label,
        _one_hot(EX2_LABELS[1]),
        name=("只有 target_transform 时的标签", "the label with target_transform only"),
    )

    # 4. 交给 DataLoader：批次是 (4, 1, 28, 28) 和 (4, 10) / through a DataLoader
    dataset = FlatPairs(images.clone(), labels.clone(), _to_float, _one_hot)
    X, Y = next(iter(DataLoader(dataset, batch_size=4)))
    check_close(X, images[:4].view(4, 1, 28, 28).float() / 255, name="DataLoader X")
    check_close(Y, F.one_hot(labels[:4], 10).float(), name="DataLoader y")
    passed(
        "练习 2 通过：FlatPairs 在取样本时变形，并分别对图片和标签做变换",
        "Exercise 2 passed: FlatPairs reshapes each row and transforms image and label when fetched",
    )


# ---------------------------------------------------------------- exercise 3: debug the shuffle

EX3_CASES = ((10, 4), (8, 4), (100, 32))  # (n, batch_size): a partial last batch, none, larger

BUG_PAIRS = (
    "图片和标签对不上了：X 和 y 各用了一个不同的随机排列。只抽一个 perm，用它同时索引 X 和 y。",
    "Images and labels no longer match: X and y were each shuffled by a different permutation. "
    "Draw one perm and index both X and y with it.",
)
BUG_END = (
    "最后的样本不在任何批次里：range(0, n - batch_size, batch_size) 停得太早；"
    "range(0, n, batch_size) 才会把最后那个不满的批次也切出来。",
    "The last samples are in no batch: range(0, n - batch_size, batch_size) stops too early; "
    "range(0, n, batch_size) also yields the last, smaller batch.",
)
NOT_SHUFFLED = (
    "批次没有打乱：样本按原来的顺序出现。训练集每轮都要打乱（第 7 节）",
    "the batches are not shuffled: the samples come in their original order. The training set "
    "is shuffled every epoch (section 7)",
)
GENERATOR = (
    "用种子相同的两个 generator 调用两次，批次却不同：把 generator 传下去，"
    "torch.randperm(n, generator=generator)",
    "two calls with generators of the same seed gave different batches: pass it on, "
    "torch.randperm(n, generator=generator)",
)


def _bugs_hint(bugs):
    """One hint for the bugs of the lesson's cell still present, numbered when there are two."""
    if len(bugs) == 1:
        return bugs[0]
    return (
        "".join(f"（{k}）{zh}" for k, (zh, _) in enumerate(bugs, 1)),
        " ".join(f"({k}) {en}" for k, (_, en) in enumerate(bugs, 1)),
    )


def _buggy_as_shown(X, y, batch_size, generator):
    """The buggy function of the lesson's exercise 3, as the lesson shows it."""
    n = len(X)
    X = X[torch.randperm(n, generator=generator)]
    y = y[torch.randperm(n, generator=generator)]
    return [
        (X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, n - batch_size, batch_size)
    ]


def _two_perms(X, y, batch_size, generator):
    n = len(X)
    X = X[torch.randperm(n, generator=generator)]
    y = y[torch.randperm(n, generator=generator)]
    return [(X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, n, batch_size)]


def _stops_early(X, y, batch_size, generator):
    n = len(X)
    perm = torch.randperm(n, generator=generator)
    X, y = X[perm], y[perm]
    return [
        (X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, n - batch_size, batch_size)
    ]


def _not_shuffled(X, y, batch_size, generator):
    return [(X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(X), batch_size)]


def _global_rng(X, y, batch_size, generator):
    perm = torch.randperm(len(X))
    X, y = X[perm], y[perm]
    return [(X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(X), batch_size)]


MISTAKES["ex3_shuffled_batches"] = [
    Mistake(_buggy_as_shown, *_bugs_hint([BUG_PAIRS, BUG_END])),
    Mistake(_two_perms, *BUG_PAIRS),
    Mistake(_stops_early, *BUG_END),
    Mistake(_not_shuffled, *NOT_SHUFFLED),
    Mistake(_global_rng, *GENERATOR),
]


def _ex3_data(n):
    """``n`` images of shape (1, 2, 2), image k filled with k, and labels y[k] = k: an image's
    pixels say which label belongs to it."""
    X = torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 1, 2, 2).clone()
    return X, torch.arange(n)


def _ex3_batches(shuffled_batches, n, batch_size, seed):
    """The (image ids, labels) of each batch the answer returns for ``n`` numbered samples."""
    X, y = _ex3_data(n)
    out = []
    for batch in shuffled_batches(X, y, batch_size, torch.Generator().manual_seed(seed)):
        expect(
            isinstance(batch, (tuple, list))
            and len(batch) == 2
            and all(torch.is_tensor(t) for t in batch),
            "每个批次应是一对张量 (X_batch, y_batch)",
            "each batch should be a pair of tensors (X_batch, y_batch)",
        )
        xb, yb = batch
        expect(
            xb.shape[1:] == X.shape[1:] and len(xb) == len(yb),
            "X_batch 应是 X 的几行（形状 (B, 1, 2, 2)），y_batch 是对应的 B 个标签",
            "X_batch should be rows of X (shape (B, 1, 2, 2)) and y_batch their B labels",
        )
        out.append((xb[:, 0, 0, 0].long(), yb.long()))
    return out


def ex3_shuffled_batches(shuffled_batches):
    """``shuffled_batches(X, y, batch_size, generator)``: one epoch of ``(X_batch, y_batch)``,
    shuffled by ``generator``, every sample once with its own label, every batch full but the
    last."""
    bugs = []
    for n, b in EX3_CASES:
        batches = _ex3_batches(shuffled_batches, n, b, seed=0)
        ids = torch.cat([i for i, _ in batches]) if batches else torch.zeros(0, dtype=torch.long)
        labels = torch.cat([y for _, y in batches]) if batches else ids
        if not torch.equal(ids, labels) and BUG_PAIRS not in bugs:
            bugs.append(BUG_PAIRS)
        unique = len(set(labels.tolist())) == len(labels)
        if unique and len(labels) < n and BUG_END not in bugs:
            bugs.append(BUG_END)
    if bugs:
        zh, en = _bugs_hint(bugs)
        left = "One bug is left" if len(bugs) == 1 else f"{len(bugs)} bugs are left"
        fail(f"还有 {len(bugs)} 处错误：{zh}", f"{left}: {en}")

    for n, b in EX3_CASES:
        batches = _ex3_batches(shuffled_batches, n, b, seed=0)
        labels = torch.cat([y for _, y in batches])
        expect(
            torch.equal(labels.sort().values, torch.arange(n)),
            f"n = {n} 时，每个样本一轮应恰好出现一次",
            f"with n = {n}, every sample should appear exactly once per epoch",
        )
        sizes = [len(y) for _, y in batches]
        want = [b] * (n // b) + ([n % b] if n % b else [])
        expect(
            sizes == want,
            f"n = {n}、batch_size = {b} 时批次大小应为 {want}，得到 {sizes}",
            f"with n = {n} and batch_size = {b} the batch sizes should be {want}, got {sizes}",
        )

    def order(seed):
        return torch.cat([y for _, y in _ex3_batches(shuffled_batches, 100, 32, seed)])

    expect(not torch.equal(order(0), torch.arange(100)), *NOT_SHUFFLED)
    expect(torch.equal(order(0), order(0)), *GENERATOR)
    expect(
        not torch.equal(order(0), order(1)),
        "种子不同的 generator 给出了相同的顺序：每次调用都要用 generator 重新抽一个排列",
        "generators of different seeds gave the same order: draw a new permutation from the "
        "generator on every call",
    )
    passed(
        "练习 3 通过：每个样本恰好一次、带着自己的标签，批次已打乱",
        "Exercise 3 passed: every sample once, with its own label, in shuffled batches",
    )


wrap_checkers(globals())
