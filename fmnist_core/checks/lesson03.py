"""Checks for the exercise of lesson 03 (the training loop).

The checker runs the learner's loop and the lesson's loop on the same tiny model, data and random
numbers, and compares the parameters after the epoch and the loss returned. The anticipated
mistakes are data (``MISTAKES``): the lesson's loop with one mistake, with its hint.
"""

import torch
from torch import nn

from ..data import TensorLoader
from . import Mistake, expect, fail, passed, tiny_data, tiny_model, wrap_checkers, wrong_results


def _loop(*, train=True, no_grad=False, zero_between=False, steps=1, zero_grad=True, result="mean"):
    """A train_one_epoch: the lesson's loop, or that loop with the mistake the keywords name."""

    def train_one_epoch(model, loader, loss_fn, optimizer):
        if train:
            model.train()
        total, count, batch_losses = 0.0, 0, []
        for X, y in loader:
            with torch.set_grad_enabled(not no_grad):
                loss = loss_fn(model(X), y)
            loss.backward()
            if zero_between:
                optimizer.zero_grad()
            for _ in range(steps):
                optimizer.step()
            if zero_grad:
                optimizer.zero_grad()
            total += loss.item() * len(y)
            count += len(y)
            batch_losses.append(loss.item())
        return {
            "mean": total / count,
            "sum": total,
            "batch_mean": sum(batch_losses) / len(batch_losses),
            "tensor": torch.tensor(total / count),
        }[result]

    return train_one_epoch


NO_GRAD = Mistake(
    _loop(no_grad=True),
    "训练时的前向不能放在 torch.no_grad() 里：那样没有计算图，backward() 无从算起",
    "the forward pass of training must not run inside torch.no_grad(): without a graph "
    "there is nothing for backward() to work on",
)
UNCHANGED = Mistake(
    _loop(steps=0),
    "参数完全没变：是否调用了 optimizer.step()？zero_grad() 是否放在了 backward() 和 step() 之间？",
    "the parameters did not change at all: is optimizer.step() called, and is "
    "zero_grad() not placed between backward() and step()?",
)
ORDER = Mistake(
    _loop(steps=2),
    "训练后的参数与参考的训练循环不同：每个批次的顺序是 前向、损失、backward、step、zero_grad",
    "the parameters after training differ from the reference loop: for every batch the "
    "order is forward, loss, backward, step, zero_grad",
)
NOT_A_FLOAT = Mistake(
    _loop(result="tensor"),
    "应返回 Python 浮点数（用 loss.item()）",
    "return a Python float (use loss.item())",
)
MISTAKES = {
    "ex1_train_one_epoch": [
        Mistake(
            _loop(zero_grad=False),
            "忘了 optimizer.zero_grad()：梯度在批次之间累加了",
            "optimizer.zero_grad() is missing: the gradients accumulated from batch to batch",
        ),
        Mistake(
            _loop(train=False),
            "忘了 model.train()：模型还在评估模式，dropout 没有起作用",
            "model.train() is missing: the model is still in evaluation mode, so dropout is off",
        ),
        Mistake(
            _loop(result="batch_mean"),
            "这是各批次损失的简单平均：最后一个批次只有 2 个样本，要按样本数加权"
            "（loss.item() * len(y)，再除以样本总数）",
            "this is the plain mean of the batch losses: the last batch has only 2 samples, so "
            "weight each by its size (loss.item() * len(y), then divide by the number of samples)",
        ),
        Mistake(
            _loop(result="sum"),
            "这是损失的总和：再除以样本数",
            "this is the sum of the losses: divide by the number of samples",
        ),
        NO_GRAD,
        UNCHANGED,
        Mistake(_loop(zero_between=True), UNCHANGED.zh, UNCHANGED.en),
        ORDER,
        NOT_A_FLOAT,
    ]
}


def _run(train_one_epoch):
    """The parameters after ``train_one_epoch`` on a tiny model (one epoch), and what it returns."""
    X, y = tiny_data(1)
    model = tiny_model(1, dropout=0.3)
    model.eval()  # 练习要自己切回训练模式 / the exercise must switch to training mode itself
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.manual_seed(2)  # 打乱与 dropout 的随机数 / the random numbers of shuffling and dropout
    loader = TensorLoader(X, y, batch_size=16, shuffle=True)  # 50 = 16 + 16 + 16 + 2
    result = train_one_epoch(model, loader, nn.CrossEntropyLoss(), optimizer)
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
            fail(NO_GRAD.zh, NO_GRAD.en)
        raise
    ref = _run(_loop())
    if _same(got, ref):
        passed(
            "练习 1 通过：参数与参考一致，平均损失正确",
            "Exercise 1 passed: parameters and mean loss right",
        )
        return
    for wrong, zh, en in wrong_results(MISTAKES["ex1_train_one_epoch"], _run):
        if _same(got, wrong):
            fail(zh, en)
    params, value = got
    start = torch.cat([p.detach().flatten() for p in tiny_model(1).parameters()])
    expect(not torch.equal(params, start), UNCHANGED.zh, UNCHANGED.en)
    expect(torch.allclose(params, ref[0], atol=1e-6), ORDER.zh, ORDER.en)
    expect(
        isinstance(value, float),
        f"{NOT_A_FLOAT.zh}，得到 {type(value).__name__}",
        f"{NOT_A_FLOAT.en}, got {type(value).__name__}",
    )
    fail(
        f"返回的平均损失 {value:.4f} 不对，应为 {ref[1]:.4f}",
        f"the mean loss returned, {value:.4f}, is wrong: expected {ref[1]:.4f}",
    )


wrap_checkers(globals())
