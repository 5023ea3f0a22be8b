"""The checkers of lesson 00: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

from pathlib import Path

import pytest
import torch
from conftest import fails_with
from torch.utils.data import Dataset

from fmnist_core.checks import lesson00 as check
from fmnist_core.tooling.lessons import read_py

LESSON = Path(__file__).resolve().parents[1] / "notebooks" / "00_data.py"
PASS = {
    1: "✓ 练习 1 通过：批次数和最后一批的大小都预测对了\n"
    "✓ Exercise 1 passed: the number of batches and the last batch's size are right",
    2: "✓ 练习 2 通过：FlatPairs 在取样本时变形，并分别对图片和标签做变换\n"
    "✓ Exercise 2 passed: FlatPairs reshapes each row and transforms image and label when fetched",
    3: "✓ 练习 3 通过：每个样本恰好一次、带着自己的标签，批次已打乱\n"
    "✓ Exercise 3 passed: every sample once, with its own label, in shuffled batches",
}


class FlatPairs(Dataset):
    """The lesson's answer to exercise 2."""

    def __init__(self, images, labels, transform=None, target_transform=None):
        self.images, self.labels = images, labels
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        image, label = self.images[i].view(28, 28), self.labels[i]
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label


class ReshapedUpFront(Dataset):
    """Another right answer: reshapes all rows once (no transform involved), plain int labels,
    and transforms that default to doing nothing."""

    def __init__(self, images, labels, transform=None, target_transform=None):
        self.images = images.reshape(-1, 28, 28)
        self.labels = labels.tolist()
        self.transform = transform or (lambda x: x)
        self.target_transform = target_transform or (lambda y: y)

    def __len__(self):
        return self.images.shape[0]

    def __getitem__(self, i):
        return self.transform(self.images[i]), self.target_transform(torch.tensor(self.labels[i]))


def batches_by_split(X, y, batch_size, generator):
    """Another right answer to exercise 3: the permutation cut into pieces."""
    return [
        (X[idx], y[idx]) for idx in torch.randperm(len(X), generator=generator).split(batch_size)
    ]


def batches_by_yield(X, y, batch_size, generator):
    perm = torch.randperm(len(X), generator=generator)
    for start in range(0, len(X), batch_size):
        idx = perm[start : start + batch_size]
        yield X[idx], y[idx]


@pytest.mark.parametrize(
    "checker, answer",
    [
        (check.ex1_test_batches, lambda: {False: (157, 16), True: (156, 64)}),
        (check.ex1_test_batches, lambda: {True: [156, 64], False: [torch.tensor(157), 16]}),
        (check.ex2_flat_pairs, FlatPairs),
        (check.ex2_flat_pairs, ReshapedUpFront),
        (check.ex3_shuffled_batches, batches_by_split),
        (check.ex3_shuffled_batches, batches_by_yield),
    ],
)
def test_right_answers_pass(checker, answer, capsys):
    checker(answer)
    exercise = int(checker.__name__[2])  # ex1_... is exercise 1
    assert capsys.readouterr().out == PASS[exercise] + "\n"


def _lesson_cell(start):
    """The code of the lesson's code cell that begins with ``start``."""
    cells = [c.source for c in read_py(LESSON).cells if c.cell_type == "code"]
    (source,) = [s for s in cells if s.startswith(start)]
    return source


def test_the_lessons_buggy_cell_fails_with_both_bugs_named():
    namespace = {"torch": torch}
    exec(_lesson_cell("def shuffled_batches_buggy("), namespace)
    buggy = check.MISTAKES["ex3_shuffled_batches"][0]
    fails_with(
        check.ex3_shuffled_batches, namespace["shuffled_batches_buggy"], (buggy.zh, buggy.en)
    )
    fails_with(check.ex3_shuffled_batches, namespace["shuffled_batches_buggy"], check.BUG_PAIRS)
    fails_with(check.ex3_shuffled_batches, namespace["shuffled_batches_buggy"], check.BUG_END)


def test_the_lessons_tensorpairs_fails_exercise_2():
    """Copying section 6's TensorPairs (with the row reshaped) forgets target_transform."""
    namespace = {"torch": torch, "Dataset": Dataset}
    exec(_lesson_cell("class TensorPairs(").split("\n\n\n")[0], namespace)  # the class alone
    TensorPairs = namespace["TensorPairs"]  # noqa: N806

    class Copied(TensorPairs):
        def __init__(self, images, labels, transform=None, target_transform=None):
            super().__init__(images.view(-1, 28, 28), labels, transform)

    fails_with(check.ex2_flat_pairs, Copied, "target_transform was given")


class _TransformAfterReshape(FlatPairs):
    def __getitem__(self, i):
        image = self.transform(self.images[i]) if self.transform else self.images[i]
        label = self.target_transform(self.labels[i]) if self.target_transform else self.labels[i]
        return image.reshape(28, 28) if self.transform is None else image, label


class _Cached(FlatPairs):
    def __getitem__(self, i):
        self.cache = getattr(self, "cache", {})
        if i not in self.cache:
            self.cache[i] = super().__getitem__(i)
        return self.cache[i]


class _TargetOnImage(FlatPairs):
    def __getitem__(self, i):
        image, label = self.images[i].view(28, 28), self.labels[i]
        if self.target_transform is not None:
            image = self.target_transform(image)
        return image, label


class _TransformForgotten(FlatPairs):
    def __getitem__(self, i):
        label = self.labels[i]
        if self.target_transform is not None:
            label = self.target_transform(label)
        return self.images[i].view(28, 28), label


class _LenIsNumel(FlatPairs):
    def __len__(self):
        return self.images.numel()


class _ScalesWithoutTransform(FlatPairs):
    def __getitem__(self, i):
        image, label = super().__getitem__(i)
        return (image.float() / 255 if self.transform is None else image), label


class _Unfinished(FlatPairs):
    def __init__(self, images, labels, transform=None, target_transform=None):
        raise NotImplementedError()  # what a student's copy holds before the answer is written


@pytest.mark.parametrize(
    "checker, answer, hint",
    [
        (check.ex1_test_batches, lambda: ((157, 16), (156, 64)), "keyed by the value of drop_last"),
        (
            check.ex1_test_batches,
            lambda: {False: 157, True: 156},
            "keyed by the value of drop_last",
        ),
        (check.ex1_test_batches, lambda: {False: (157, 16), True: (155, 64)}, "round down"),
        (check.ex1_test_batches, lambda: {False: (158, 16), True: (156, 64)}, "round up"),
        (check.ex1_test_batches, lambda: {False: ("157", 16), True: (156, 64)}, "one integer"),
        (check.ex2_flat_pairs, _TransformAfterReshape, check.FLAT_TO_TRANSFORM),
        (check.ex2_flat_pairs, _Cached, check.REUSED),
        (check.ex2_flat_pairs, _TargetOnImage, check.TARGET_ON_IMAGE),
        (check.ex2_flat_pairs, _TransformForgotten, check.TRANSFORM_FORGOTTEN),
        (check.ex2_flat_pairs, _LenIsNumel, "len(dataset) is 3920"),
        (check.ex2_flat_pairs, _ScalesWithoutTransform, "return the pixels as stored"),
        (
            check.ex3_shuffled_batches,
            lambda X, y, b, g: batches_by_split(X, y, b, torch.Generator().manual_seed(0)),
            "different seeds gave the same order",
        ),
        (
            check.ex3_shuffled_batches,
            lambda X, y, b, g: [(X, y)],
            "the batch sizes should be [4, 4, 2], got [10]",
        ),
        (check.ex3_shuffled_batches, lambda X, y, b, g: [X, y], "a pair of tensors"),
    ],
)
def test_other_mistakes_get_their_hint(checker, answer, hint):
    fails_with(checker, answer, hint)


def test_an_unfinished_dataset_fails_loudly():
    with pytest.raises(NotImplementedError):
        check.ex2_flat_pairs(_Unfinished)


def test_the_transforms_are_checked_per_sample():
    """A transform applied to the whole tensor at construction is named, whatever its form."""

    class WholeTensor(FlatPairs):
        def __init__(self, images, labels, transform=None, target_transform=None):
            images = images.view(-1, 28, 28)
            super().__init__(transform(images) if transform else images, labels)

        def __getitem__(self, i):
            return self.images[i], self.labels[i]

    fails_with(check.ex2_flat_pairs, WholeTensor, (check.AT_INIT.zh, check.AT_INIT.en))
