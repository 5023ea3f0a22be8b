"""Checks for the exercises of lesson 02 (hyperparameters and the training loop)."""

import torch
from torch import nn

from . import CheckFailed, check_close, expect, fail, passed
from ..data import TensorLoader


def _tiny_model(seed, dropout=0.0):
    torch.manual_seed(seed)
    layers = [nn.Flatten(), nn.Linear(12, 8), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(8, 3))


def _tiny_data(seed, n=50):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 3, 4, generator=g), torch.randint(0, 3, (n,), generator=g)


def ex1_manual_sgd_step(manual_sgd_step):
    """``manual_sgd_step(model, lr)``: p <- p - lr * p.grad for every parameter, then clear the grads."""
    X, y = _tiny_data(0)
    lr = 0.1

    def with_grads():
        model = _tiny_model(0)
        nn.functional.cross_entropy(model(X), y).backward()
        return model

    ref = with_grads()
    before = [p.detach().clone() for p in ref.parameters()]
    grads = [p.grad.clone() for p in ref.parameters()]
    torch.optim.SGD(ref.parameters(), lr=lr).step()

    model = with_grads()
    try:
        manual_sgd_step(model, lr)
    except RuntimeError as e:
        if "leaf Variable" in str(e) or "requires grad" in str(e):
            raise CheckFailed("原地修改需要梯度的参数时，要放在 with torch.no_grad(): 里",
                              "update the parameters inside `with torch.no_grad():`: an in-place change "
                              "of a tensor that requires grad is refused otherwise") from e
        raise
    after = [p.detach() for p in model.parameters()]
    expect(all(p.requires_grad for p in model.parameters()),
           "参数不再需要梯度：不要用 p.data = ... 或 detach 替换参数，原地更新 p -= lr * p.grad",
           "the parameters no longer require grad: update them in place with p -= lr * p.grad")
    expect(any(not torch.equal(a, b) for a, b in zip(after, before)),
           "参数没有变：p = p - lr * p.grad 只是让名字 p 指向一个新张量；要原地更新 p -= lr * p.grad",
           "the parameters did not change: p = p - lr * p.grad only rebinds the name p; update in place "
           "with p -= lr * p.grad")
    update = torch.cat([(a - b).flatten() for a, b in zip(after, before)])
    expected = torch.cat([(a - b).flatten() for a, b in zip(ref.parameters(), before)]).detach()
    g = torch.cat([x.flatten() for x in grads])
    check_close(update, expected, name="参数的变化 / the change of the parameters", mistakes=[
        (lr * g, "方向反了：应该沿梯度的反方向走，p -= lr * p.grad",
         "the step goes uphill: move against the gradient, p -= lr * p.grad"),
        (-g, "没有乘学习率 lr", "the gradient was not multiplied by the learning rate lr"),
    ])
    expect(all(p.grad is None or not p.grad.any() for p in model.parameters()),
           "更新后没有清空梯度：下一次 backward 会把新梯度加到旧梯度上（p.grad = None 或 p.grad.zero_()）",
           "the gradients were not cleared after the update: the next backward would add to them "
           "(p.grad = None or p.grad.zero_())")
    passed("练习 1 通过：与 torch.optim.SGD 的一步相同，梯度已清空",
           "Exercise 1 passed: the same step as torch.optim.SGD, gradients cleared")


def _reference_epoch(model, loader, loss_fn, optimizer, *, zero_grad=True, train=True):
    if train:
        model.train()
    total, count = 0.0, 0
    for X, y in loader:
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        if zero_grad:
            optimizer.zero_grad()
        total += loss.item() * len(y)
        count += len(y)
    return total / count


def ex2_train_one_epoch(train_one_epoch):
    """``train_one_epoch(model, loader, loss_fn, optimizer)``: the loop; returns the mean loss per sample."""
    X, y = _tiny_data(1)
    loss_fn = nn.CrossEntropyLoss()

    def run(fn, **kw):
        model = _tiny_model(1, dropout=0.3)
        model.eval()  # 练习要自己切回训练模式 / the exercise must switch to training mode itself
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        torch.manual_seed(2)  # 打乱与 dropout 的随机数 / the random numbers of shuffling and dropout
        loader = TensorLoader(X, y, batch_size=16, shuffle=True)  # 50 = 16 + 16 + 16 + 2
        result = fn(model, loader, loss_fn, optimizer, **kw)
        return model, result

    model, got = run(train_one_epoch)
    ref, ref_loss = run(_reference_epoch)
    params = torch.cat([p.detach().flatten() for p in model.parameters()])
    ref_params = torch.cat([p.detach().flatten() for p in ref.parameters()])
    start = torch.cat([p.detach().flatten() for p in _tiny_model(1, dropout=0.3).parameters()])
    if not torch.allclose(params, ref_params, atol=1e-6):
        expect(not torch.equal(params, start),
               "参数完全没变：检查是否调用了 optimizer.step()，以及 zero_grad() 是否放在了 backward() 和 step() 之间",
               "the parameters did not change at all: is optimizer.step() called, and is zero_grad() not "
               "placed between backward() and step()?")
        no_zero = torch.cat([p.detach().flatten() for p in run(_reference_epoch, zero_grad=False)[0].parameters()])
        expect(not torch.allclose(params, no_zero, atol=1e-6),
               "忘了 optimizer.zero_grad()：梯度在批次之间累加了",
               "optimizer.zero_grad() is missing: the gradients accumulated from batch to batch")
        no_train = torch.cat([p.detach().flatten() for p in run(_reference_epoch, train=False)[0].parameters()])
        expect(not torch.allclose(params, no_train, atol=1e-6),
               "忘了 model.train()：模型还在评估模式，dropout 没有起作用",
               "model.train() is missing: the model is still in evaluation mode, so dropout is off")
        fail("训练后的参数与参考的训练循环不同：顺序应为 前向、损失、backward、step、zero_grad",
             "the parameters after training differ from the reference loop: the order is forward, loss, "
             "backward, step, zero_grad")
    expect(isinstance(got, float), f"应返回 Python 浮点数（loss.item()），得到 {type(got).__name__}",
           f"return a Python float (use loss.item()), got {type(got).__name__}")
    losses = []
    model2 = _tiny_model(1, dropout=0.3)
    optimizer2 = torch.optim.SGD(model2.parameters(), lr=0.1)
    torch.manual_seed(2)
    model2.train()
    for Xb, yb in TensorLoader(X, y, batch_size=16, shuffle=True):
        loss = loss_fn(model2(Xb), yb)
        loss.backward()
        optimizer2.step()
        optimizer2.zero_grad()
        losses.append(loss.item())
    batch_mean = sum(losses) / len(losses)
    if abs(got - ref_loss) > 1e-5:
        expect(abs(got - batch_mean) > 1e-5,
               "这是各批次损失的简单平均：最后一个批次只有 2 个样本，要按样本数加权（loss.item() * len(y)，再除以样本总数）",
               "this is the plain mean of the batch losses: the last batch has only 2 samples, so weight each "
               "by its size (loss.item() * len(y), then divide by the number of samples)")
        expect(abs(got - sum(losses)) > 1e-5 and abs(got - ref_loss * len(y)) > 1e-4, "这是损失的总和：除以样本数",
               "this is the sum of the losses: divide by the number of samples")
        fail(f"返回的平均损失 {got:.4f} 不对，应为 {ref_loss:.4f}",
             f"the mean loss returned, {got:.4f}, is wrong: expected {ref_loss:.4f}")
    passed("练习 2 通过：参数与参考循环完全一致，平均损失正确",
           "Exercise 2 passed: the parameters match the reference loop and the mean loss is right")


def ex3_confusion_matrix(confusion_matrix):
    """``confusion_matrix(y_true, y_pred, num_classes)``: C[i, j] = samples of class i predicted as j."""
    g = torch.Generator().manual_seed(3)
    y_true = torch.randint(0, 4, (200,), generator=g)
    y_pred = torch.where(torch.rand(200, generator=g) < 0.6, y_true, torch.randint(0, 4, (200,), generator=g))
    expected = torch.zeros(5, 5, dtype=torch.long)
    for t, p in zip(y_true.tolist(), y_pred.tolist()):
        expected[t, p] += 1  # 类别 4 没有出现 / class 4 never occurs
    got = confusion_matrix(y_true, y_pred, 5)
    expect(isinstance(got, torch.Tensor), f"应返回 torch.Tensor，得到 {type(got).__name__}",
           f"return a torch.Tensor, got {type(got).__name__}")
    check_close(got, expected, name="confusion_matrix", mistakes=[
        (expected.T, "行列颠倒了：行 i 是真实类别，列 j 是预测类别，C[y_true, y_pred] += 1",
         "rows and columns are swapped: row i is the true class, column j the prediction, "
         "C[y_true, y_pred] += 1"),
        (expected.float() / expected.sum(), "不要归一化：每个格子是样本个数",
         "do not normalize: each entry is a count of samples"),
        (expected.float() / expected.sum(1, keepdim=True).clamp(min=1), "不要按行归一化：每个格子是样本个数",
         "do not normalize the rows: each entry is a count of samples"),
    ], atol=0, rtol=0)
    expect(int(got.sum()) == len(y_true), "所有格子的和应等于样本数", "the entries should sum to the number of samples")
    passed("练习 3 通过：混淆矩阵正确（行 = 真实类别，列 = 预测类别）",
           "Exercise 3 passed: the confusion matrix is right (rows = true class, columns = prediction)")


def ex4_step_lr(step_lr):
    """``step_lr(lr0, gamma, step_size, epoch)``: StepLR's learning rate in epoch ``epoch`` (from 0)."""
    for lr0, gamma, step_size in [(0.1, 0.5, 3), (1e-3, 0.1, 2), (0.05, 0.9, 1)]:
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma)
        expected, got = [], []
        for epoch in range(10):
            expected.append(scheduler.get_last_lr()[0])
            got.append(float(step_lr(lr0, gamma, step_size, epoch)))
            optimizer.step()
            scheduler.step()
        got, expected = torch.tensor(got, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64)
        e = torch.arange(10, dtype=torch.float64)
        check_close(got, expected, name=f"step_lr(lr0={lr0}, gamma={gamma}, step_size={step_size})", mistakes=[
            (lr0 * gamma ** torch.floor((e + 1) / step_size), "早了一轮：第 0 轮用的就是 lr0，epoch 从 0 开始数",
             "one epoch early: epoch 0 uses lr0 itself; epochs count from 0"),
            (lr0 * gamma ** torch.ceil(e / step_size), "用了向上取整：每满 step_size 轮才乘一次 gamma，用 epoch // step_size",
             "rounded up: gamma is applied once per full step_size epochs, use epoch // step_size"),
            (lr0 * gamma ** e, "每轮都乘了 gamma：每 step_size 轮才乘一次",
             "gamma was applied every epoch: it is applied once every step_size epochs"),
            (lr0 * gamma * torch.floor(e / step_size), "gamma 要作为指数的底：lr0 * gamma ** (epoch // step_size)",
             "gamma is raised to a power: lr0 * gamma ** (epoch // step_size)"),
        ], rtol=1e-9, atol=1e-12)
    passed("练习 4 通过：与 StepLR 的 get_last_lr() 一致", "Exercise 4 passed: matches StepLR's get_last_lr()")
