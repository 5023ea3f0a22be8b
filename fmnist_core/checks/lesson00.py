"""Checks for the exercises of lesson 00 (data).

The anticipated mistakes of each exercise are data (``MISTAKES``): each wrong answer with its hint.
"""

import itertools

import torch
from torchvision.transforms import ToTensor

from . import Mistake, check_close, expect, fail, matching_hint, passed, wrap_checkers, wrong_values

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker

# ---------------------------------------------------------------- exercise 1: ToTensor by hand


def _zeroes_its_input(img):
    img.zero_()
    return img.float().unsqueeze(0) / 255


CHANGES_INPUT = Mistake(
    _zeroes_its_input,
    "你的函数改动了输入图像；请返回一个新张量",
    "your function changed the input image; return a new tensor instead",
)
NOT_A_TENSOR = Mistake(
    lambda img: img.numpy() / 255, "应该返回 torch.Tensor", "return a torch.Tensor"
)
NOT_FLOAT = Mistake(
    lambda img: img.unsqueeze(0),
    "先用 .float() 转成浮点数再除以 255",
    "convert with .float() before dividing by 255",
)
NOT_FLOAT32 = Mistake(
    lambda img: img.double().unsqueeze(0) / 255, "数据类型应为 float32", "dtype should be float32"
)
MISTAKES["ex1_to_tensor"] = [
    Mistake(
        lambda img: img.float().unsqueeze(0),
        "数值在 0 到 255 之间：忘了除以 255",
        "values lie in 0..255: divide by 255",
    ),
    Mistake(
        lambda img: img.float() / 255,
        "缺少通道维：形状应为 (1, 28, 28)，用 unsqueeze(0)",
        "the channel dimension is missing: the shape should be (1, 28, 28); use unsqueeze(0)",
    ),
    Mistake(
        lambda img: (img.float() / 255).unsqueeze(-1),
        "通道维放在了最后：PyTorch 的图像是 (C, H, W)，用 unsqueeze(0)",
        "the channel went last: PyTorch images are (C, H, W); use unsqueeze(0)",
    ),
    CHANGES_INPUT,
    NOT_A_TENSOR,
    NOT_FLOAT,
    NOT_FLOAT32,
]


def ex1_to_tensor(to_tensor):
    """``to_tensor(img)``: uint8 (H, W) -> float32 (1, H, W) in [0, 1], as ``ToTensor`` does."""
    torch.manual_seed(0)
    img = torch.randint(0, 256, (28, 28), dtype=torch.uint8)
    img[0, 0], img[0, 1] = 0, 255
    before = img.clone()
    got = to_tensor(img)
    expect(torch.equal(img, before), CHANGES_INPUT.zh, CHANGES_INPUT.en)
    expect(isinstance(got, torch.Tensor), NOT_A_TENSOR.zh, NOT_A_TENSOR.en)
    expect(
        got.is_floating_point(),
        f"数据类型是 {got.dtype}：{NOT_FLOAT.zh}",
        f"dtype is {got.dtype}: {NOT_FLOAT.en}",
    )
    check_close(
        got,
        ToTensor()(img.numpy()),
        name="to_tensor(img)",
        mistakes=wrong_values(MISTAKES["ex1_to_tensor"], img),
    )
    expect(
        got.dtype == torch.float32,
        f"{NOT_FLOAT32.zh}，得到 {got.dtype}",
        f"{NOT_FLOAT32.en}, got {got.dtype}",
    )
    passed(
        "练习 1 通过：to_tensor 与 ToTensor 一致", "Exercise 1 passed: to_tensor matches ToTensor"
    )


# ---------------------------------------------------------------- exercise 2: count each class

MISTAKES["ex2_class_counts"] = [
    # the exercise's main trap: without minlength, bincount stops at the largest label present
    Mistake(
        torch.bincount,
        "长度不到 10：最大的几类没有出现，用 minlength=10",
        "fewer than 10 entries: the top classes are absent; use minlength=10",
    ),
    Mistake(
        lambda labels: torch.unique(labels, return_counts=True)[1],
        "只数了出现过的类别：没有样本的类别也要记 0（bincount 加 minlength=10）",
        "only the classes present were counted: absent ones need a 0 (minlength=10)",
    ),
    Mistake(
        lambda labels: torch.bincount(labels, minlength=10) / len(labels),
        "这是比例，不是个数：不要除以样本数",
        "these are fractions, not counts: do not divide by the number of samples",
    ),
]


def ex2_class_counts(class_counts):
    """``class_counts(labels)``: a tensor of 10 counts, one per class, zeros included."""
    # 先用一个没有最大几类（5 到 9）的例子：不写 minlength 的 bincount 只有 5 个数
    # first a case without the top classes (5 to 9): bincount without minlength gives 5 entries
    for labels in (
        torch.tensor([0, 1, 1, 2, 2, 2, 4, 4]),
        torch.tensor([0, 1, 1, 2, 2, 2, 9, 9, 4, 4]),
        torch.arange(10).repeat(3),
    ):
        check_close(
            class_counts(labels.clone()),
            torch.bincount(labels, minlength=10),
            name="class_counts(labels)",
            mistakes=wrong_values(MISTAKES["ex2_class_counts"], labels),
        )
    passed(
        "练习 2 通过：每个类别的样本数正确", "Exercise 2 passed: the count of every class is right"
    )


# ---------------------------------------------------------------- exercise 3: count the batches

MISTAKES["ex3_num_batches"] = [
    Mistake(
        lambda n, batch_size, drop_last=False: n // batch_size,
        "向下取整丢掉了最后一个不满的批次：drop_last=False 时要向上取整",
        "rounding down lost the last, smaller batch: with drop_last=False round up",
    ),
    Mistake(
        lambda n, batch_size, drop_last=False: -(-n // batch_size),
        "drop_last=True 时不满的最后一个批次被丢弃：向下取整",
        "with drop_last=True the last, smaller batch is dropped: round down",
    ),
]


def ex3_num_batches(num_batches):
    """``num_batches(n, batch_size, drop_last)``: how many batches a DataLoader yields."""
    bs = 64
    for n, drop in itertools.product((60000, 10000, 64, 65, 10), (False, True)):
        want = len(torch.utils.data.DataLoader(range(n), batch_size=bs, drop_last=drop))
        got = num_batches(n, bs, drop)
        if got != want:
            zh, en = matching_hint(
                got,
                wrong_values(MISTAKES["ex3_num_batches"], n, bs, drop),
                otherwise=("批次数不对", "wrong number of batches"),
            )
            case = f"n={n}, batch_size={bs}, drop_last={drop}"
            fail(
                f"{zh}\n  {case}：得到 {got}，应为 {want}",
                f"{en}\n  {case}: got {got}, expected {want}",
            )
    passed(
        "练习 3 通过：批次数与 DataLoader 一致", "Exercise 3 passed: batch counts match DataLoader"
    )


wrap_checkers(globals())
