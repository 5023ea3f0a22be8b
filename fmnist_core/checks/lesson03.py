"""Checks for the exercise of lesson 03 (the training loop).

The checker runs the learner's loop and a reference loop on the same tiny model, data and random
numbers, and compares the parameters after the epoch and the loss returned. Each anticipated
mistake is a variant of the reference loop, written once in ``EX1_MISTAKES``; the tests iterate
over that table.
"""

import torch
from torch import nn

from ..data import TensorLoader
from . import CheckFailed, expect, fail, passed, wrap_checkers


def _tiny_model(seed, dropout=0.3):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Dropout(dropout), nn.Linear(8, 3)
    )


def _tiny_data(seed, n=50):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 3, 4, generator=g), torch.randint(0, 3, (n,), generator=g)


def _reference_epoch(
    model, loader, loss_fn, optimizer, *, zero_grad=True, train=True, result="mean"
):
    """The loop of the lesson; the keyword arguments make the anticipated mistakes."""
    if train:
        model.train()
    losses, sizes = [], []
    for X, y in loader:
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        if zero_grad:
            optimizer.zero_grad()
        losses.append(loss.item())
        sizes.append(len(y))
    if result == "batch_mean":
        return sum(losses) / len(losses)
    if result == "sum":
        return sum(loss * n for loss, n in zip(losses, sizes, strict=True))
    return sum(loss * n for loss, n in zip(losses, sizes, strict=True)) / sum(sizes)


# (keyword arguments of _reference_epoch that make the mistake, zh hint, en hint)
EX1_MISTAKES = [
    (
        {"zero_grad": False},
        "忘了 optimizer.zero_grad()：梯度在批次之间累加了",
        "optimizer.zero_grad() is missing: the gradients accumulated from batch to batch",
    ),
    (
        {"train": False},
        "忘了 model.train()：模型还在评估模式，dropout 没有起作用",
        "model.train() is missing: the model is still in evaluation mode, so dropout is off",
    ),
    (
        {"result": "batch_mean"},
        "这是各批次损失的简单平均：最后一个批次只有 2 个样本，要按样本数加权"
        "（loss.item() * len(y)，再除以样本总数）",
        "this is the plain mean of the batch losses: the last batch has only 2 samples, so weight "
        "each by its size (loss.item() * len(y), then divide by the number of samples)",
    ),
    (
        {"result": "sum"},
        "这是损失的总和：再除以样本数",
        "this is the sum of the losses: divide by the number of samples",
    ),
]
EX1_UNCHANGED = (
    "参数完全没变：是否调用了 optimizer.step()？zero_grad() 是否放在了 backward() 和 step() 之间？",
    "the parameters did not change at all: is optimizer.step() called, and is "
    "zero_grad() not placed between backward() and step()?",
)
EX1_NO_GRAD = (
    "训练时的前向不能放在 torch.no_grad() 里：那样没有计算图，backward() 无从算起",
    "the forward pass of training must not run inside torch.no_grad(): without a graph "
    "there is nothing for backward() to work on",
)
EX1_ORDER = (
    "训练后的参数与参考的训练循环不同：每个批次的顺序是 前向、损失、backward、step、zero_grad",
    "the parameters after training differ from the reference loop: for every batch the "
    "order is forward, loss, backward, step, zero_grad",
)


def _run(fn, **kw):
    X, y = _tiny_data(1)
    model = _tiny_model(1)
    model.eval()  # 练习要自己切回训练模式 / the exercise must switch to training mode itself
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.manual_seed(2)  # 打乱与 dropout 的随机数 / the random numbers of shuffling and dropout
    loader = TensorLoader(X, y, batch_size=16, shuffle=True)  # 50 = 16 + 16 + 16 + 2
    result = fn(model, loader, nn.CrossEntropyLoss(), optimizer, **kw)
    return torch.cat([p.detach().flatten() for p in model.parameters()]), result


def _same(run_a, run_b):
    (pa, ra), (pb, rb) = run_a, run_b
    return torch.allclose(pa, pb, atol=1e-6) and isinstance(ra, float) and abs(ra - rb) < 1e-5


def ex1_train_one_epoch(train_one_epoch):
    """``train_one_epoch(model, loader, loss_fn, optimizer)``: the loop; returns the mean loss per
    sample."""
    try:
        got = _run(train_one_epoch)
    except RuntimeError as e:
        if "does not require grad" in str(e):
            raise CheckFailed(*EX1_NO_GRAD) from e
        raise
    params, value = got
    ref = _run(_reference_epoch)
    if _same(got, ref):
        passed(
            "练习 1 通过：参数与参考一致，平均损失正确",
            "Exercise 1 passed: parameters and mean loss right",
        )
        return
    for kw, zh, en in EX1_MISTAKES:
        wrong = _run(_reference_epoch, **kw)
        if isinstance(value, float) and _same(got, wrong):
            fail(zh, en)
    start = torch.cat([p.detach().flatten() for p in _tiny_model(1).parameters()])
    expect(not torch.equal(params, start), *EX1_UNCHANGED)
    expect(torch.allclose(params, ref[0], atol=1e-6), *EX1_ORDER)
    expect(
        isinstance(value, float),
        f"应返回 Python 浮点数（用 loss.item()），得到 {type(value).__name__}",
        f"return a Python float (use loss.item()), got {type(value).__name__}",
    )
    fail(
        f"返回的平均损失 {value:.4f} 不对，应为 {ref[1]:.4f}",
        f"the mean loss returned, {value:.4f}, is wrong: expected {ref[1]:.4f}",
    )


wrap_checkers(globals())
