"""Checks for the exercises of lesson 03 (the training loop).

- ``ex1_fit`` (debug): the learner fixes a ``fit`` with three bugs. The checker runs it on a tiny
  model with dropout, watching every forward pass (training or evaluation, which mode, with or
  without a graph), and names each bug still there before it compares the parameters and the
  history with the fixed loop's.
- ``ex2_noise_ratio`` (predict): how many times smaller the squared gradient error gets from
  batches of 2 to batches of 8 drawn from 16 samples; the truth is computed by averaging over
  every possible batch of the tiny model's per-sample gradients.
- ``ex3_accumulate_step`` (transfer): one optimizer step from gradients accumulated over
  micro-batches of different sizes must equal one step on the whole batch.

The anticipated mistakes are data (``MISTAKES``): each wrong answer with its hint.
"""

import itertools

import torch
from torch import nn

from ..data import TensorLoader
from . import Mistake, expect, fail, passed, tiny_data, tiny_model, wrap_checkers, wrong_results

# --- Exercise 1: the three bugs -------------------------------------------------------------


def buggy_fit(model, train_loader, val_loader, loss_fn, optimizer, epochs):
    """The lesson's ``fit_buggy``, as the learner receives it (three bugs)."""
    history = []
    model.train()
    for _ in range(epochs):
        total, count = 0.0, 0
        for X, y in train_loader:
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.zero_grad()
            optimizer.step()
            total += loss * len(y)
            count += len(y)
        model.eval()
        correct = 0
        with torch.no_grad():
            for X, y in val_loader:
                correct += (model(X).argmax(1) == y).sum().item()
        history.append((total / count, correct / len(val_loader.dataset)))
    return history


def _fit(
    *,
    train_where="epoch",
    eval_mode=True,
    zero_where="after_step",
    item=True,
    steps=1,
    no_grad=False,
    result="mean",
):
    """A ``fit``: the fixed loop, or that loop with the bugs or mistakes the keywords name.

    ``train_where``: ``"epoch"`` (model.train() at the top of every epoch), ``"once"`` (once
    before the loop, the bug), ``"never"``; ``zero_where``: ``"after_step"``, ``"between"``
    (between backward and step, the bug), ``"never"``; ``item=False``: ``total += loss * len(y)``
    (the bug)."""

    def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs):
        history = []
        if train_where == "once":
            model.train()
        for _ in range(epochs):
            if train_where == "epoch":
                model.train()
            total, count, batch_losses = 0.0, 0, []
            for X, y in train_loader:
                with torch.set_grad_enabled(not no_grad):
                    loss = loss_fn(model(X), y)
                loss.backward()
                if zero_where == "between":
                    optimizer.zero_grad()
                for _ in range(steps):
                    optimizer.step()
                if zero_where == "after_step":
                    optimizer.zero_grad()
                total += (loss.item() if item else loss) * len(y)
                count += len(y)
                batch_losses.append(loss.item())
            if eval_mode:
                model.eval()
            correct = 0
            with torch.no_grad():
                for X, y in val_loader:
                    correct += (model(X).argmax(1) == y).sum().item()
            train_loss = {
                "mean": total / count,
                "sum": total,
                "batch_mean": sum(batch_losses) / len(batch_losses),
            }[result]
            history.append((train_loss, correct / len(val_loader.dataset)))
        return history

    return fit


# the bugs of buggy_fit, in the order they appear in it, and the other ways to get a mode wrong
EVAL_LEFT_ON = Mistake(
    _fit(train_where="once"),
    "从第 2 轮起，训练批次是在评估模式下跑的（model.training 为 False）：每轮末尾的评估调用了 "
    "model.eval()，之后没有切回来，dropout 就关掉了。model.train() 要放进循环里、每轮训练之前",
    "from epoch 2 on, the training batches ran in evaluation mode (model.training is False): the "
    "evaluation at the end of each epoch called model.eval() and nothing switched back, so "
    "dropout was off. Call model.train() inside the loop, before each epoch's training",
)
NEVER_TRAIN = Mistake(
    _fit(train_where="never"),
    "训练批次是在评估模式下跑的（model.training 为 False）：检查交给 fit 的模型处在评估模式，"
    "fit 要在每轮训练之前自己调用 model.train()",
    "the training batches ran in evaluation mode (model.training is False): the checker hands "
    "fit a model in evaluation mode, so fit must call model.train() itself before each epoch's "
    "training",
)
EVAL_IN_TRAIN_MODE = Mistake(
    _fit(eval_mode=False),
    "验证集是在训练模式下评估的：dropout 还开着，准确率带着随机性。评估之前要调用 model.eval()",
    "the validation set was evaluated in training mode: dropout was still on, so the accuracy "
    "is random. Call model.eval() before evaluating",
)
UNCHANGED = Mistake(
    _fit(zero_where="between"),
    "参数一步也没动：zero_grad() 夹在 backward() 和 step() 之间，step() 看到的梯度已被清成 "
    "None，什么也不做（或者根本没有调用 step()）。zero_grad() 要放在 step() 之后，或 backward() 之前",
    "the parameters never moved: zero_grad() sits between backward() and step(), so step() finds "
    "the gradients cleared to None and does nothing (or step() is never called). Put zero_grad() "
    "after step(), or before backward()",
)
GRAPH_KEPT = Mistake(
    _fit(item=False),
    "返回的训练损失是一个带 grad_fn 的张量：total += loss * len(y) 把每个批次的计算图都挂在 "
    "total 上，一整轮的图都留在内存里。用 loss.item() 取出 Python 浮点数再累加",
    "the training loss returned is a tensor with a grad_fn: total += loss * len(y) hangs every "
    "batch's graph on total, so the graphs of a whole epoch stay in memory. Add loss.item(), a "
    "Python float, instead",
)
NO_GRAD = Mistake(
    _fit(no_grad=True),
    "训练时的前向不能放在 torch.no_grad() 里：那样没有计算图，backward() 无从算起",
    "the forward pass of training must not run inside torch.no_grad(): without a graph "
    "there is nothing for backward() to work on",
)
NOT_A_FLOAT = ("应是 Python 浮点数（用 .item()）", "should be a Python float (use .item())")
ORDER = (
    "训练后的参数与修好的循环不同：每个批次的顺序是 前向、损失、backward、step、zero_grad",
    "the parameters after training differ from the fixed loop's: for every batch the order is "
    "forward, loss, backward, step, zero_grad",
)


def _first_of(bugs):
    """The hint of the first bug found, and how many more there are."""
    (zh, en), more = bugs[0], len(bugs) - 1
    if more:
        return f"{zh}（检查还发现另外 {more} 个错误）", f"{en} (the check found {more} more)"
    return zh, en


MISTAKES = {
    "ex1_fit": [
        # the function as given: the first of its three bugs is named, and the count of the others
        Mistake(buggy_fit, EVAL_LEFT_ON.zh, EVAL_LEFT_ON.en),
        EVAL_LEFT_ON,
        UNCHANGED,
        GRAPH_KEPT,
        NEVER_TRAIN,
        EVAL_IN_TRAIN_MODE,
        NO_GRAD,
        Mistake(
            _fit(zero_where="never"),
            "zero_grad() 被删掉了：梯度在批次之间累加。把它放在 step() 之后，而不是删掉",
            "zero_grad() was removed: the gradients accumulated from batch to batch. Move it after "
            "step() instead of removing it",
        ),
        Mistake(_fit(steps=2), *ORDER),
        Mistake(
            _fit(result="batch_mean"),
            "训练损失是各批次损失的简单平均：最后一个批次只有 2 个样本，要按样本数加权"
            "（loss.item() * len(y)，再除以样本总数）",
            "the training loss is the plain mean of the batch losses: the last batch has only 2 "
            "samples, so weight each by its size (loss.item() * len(y), then divide by the "
            "number of samples)",
        ),
        Mistake(
            _fit(result="sum"),
            "训练损失是损失的总和：再除以样本数",
            "the training loss is the sum of the losses: divide by the number of samples",
        ),
    ]
}
EPOCHS = 3


class _Watched:
    """A loader that records which phase (``"train"`` or ``"val"``) its batches belong to."""

    def __init__(self, loader, phase, state):
        self.loader, self.phase, self.state = loader, phase, state
        self.dataset, self.batch_size = loader.dataset, loader.batch_size

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for batch in self.loader:
            self.state["phase"] = self.phase
            yield batch


def _params(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def _run_fit(fit, forwards=None):
    """Parameters after ``fit`` trained the tiny model with dropout for ``EPOCHS`` epochs, and
    the history it returned. ``forwards`` collects ``(phase, model.training, grad enabled)``
    for every forward pass."""
    X, y = tiny_data(1)
    Xv, yv = tiny_data(3, n=20)
    model = tiny_model(1, dropout=0.3)
    model.eval()  # 修好的 fit 要自己切回训练模式 / the fixed fit switches to training mode itself
    state = {"phase": None}
    if forwards is not None:
        model.register_forward_hook(
            lambda m, i, o: forwards.append((state["phase"], m.training, torch.is_grad_enabled()))
        )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.manual_seed(2)  # 打乱与 dropout 的随机数 / the random numbers of shuffling and dropout
    train = _Watched(TensorLoader(X, y, batch_size=16, shuffle=True), "train", state)  # 16+16+16+2
    val = _Watched(TensorLoader(Xv, yv, batch_size=8), "val", state)  # 8 + 8 + 4
    history = fit(model, train, val, nn.CrossEntropyLoss(), optimizer, EPOCHS)
    return _params(model), history


def _number(value):
    return float(value.detach() if isinstance(value, torch.Tensor) else value)


def _same_fit(run_a, run_b):
    (pa, ha), (pb, hb) = run_a, run_b
    try:
        values_a = [_number(v) for pair in ha for v in pair]
        values_b = [_number(v) for pair in hb for v in pair]
    except (TypeError, ValueError, RuntimeError):
        return False
    return (
        torch.allclose(pa, pb, atol=1e-6)
        and len(values_a) == len(values_b)
        and all(abs(a - b) < 1e-5 for a, b in zip(values_a, values_b))
    )


def _bugs(forwards, params, history):
    """The hints of the bugs the run shows, in the order of ``buggy_fit``."""
    bugs = []
    training = [(mode, grad) for phase, mode, grad in forwards if phase == "train"]
    if training and not training[0][0]:
        bugs.append((NEVER_TRAIN.zh, NEVER_TRAIN.en))
    elif any(not mode for mode, _ in training):
        bugs.append((EVAL_LEFT_ON.zh, EVAL_LEFT_ON.en))
    if any(mode for phase, mode, _ in forwards if phase == "val"):
        bugs.append((EVAL_IN_TRAIN_MODE.zh, EVAL_IN_TRAIN_MODE.en))
    if torch.equal(params, _params(tiny_model(1, dropout=0.3))):
        bugs.append((UNCHANGED.zh, UNCHANGED.en))
    pairs = history if isinstance(history, list) else []
    losses = [pair[0] for pair in pairs if isinstance(pair, (tuple, list)) and len(pair) == 2]
    if any(isinstance(v, torch.Tensor) and v.requires_grad for v in losses):
        bugs.append((GRAPH_KEPT.zh, GRAPH_KEPT.en))
    return bugs


def ex1_fit(fit):
    """``fit(model, train_loader, val_loader, loss_fn, optimizer, epochs)``: the fixed loop;
    returns one ``(mean training loss per sample, validation accuracy)`` pair per epoch."""
    forwards = []
    try:
        params, history = got = _run_fit(fit, forwards)
    except RuntimeError as e:
        if "does not require grad" in str(e):
            fail(NO_GRAD.zh, NO_GRAD.en)
        raise
    bugs = _bugs(forwards, params, history)
    if bugs:
        fail(*_first_of(bugs))
    expect(
        isinstance(history, list)
        and len(history) == EPOCHS
        and all(isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in history),
        f"fit 应返回一个列表，每轮一对 (训练损失, 验证准确率)，共 {EPOCHS} 轮",
        f"fit should return a list with one (training loss, validation accuracy) pair per "
        f"epoch, {EPOCHS} epochs here",
    )
    for i, name in enumerate([("训练损失", "the training loss"), ("验证准确率", "the accuracy")]):
        value = history[0][i]
        expect(
            isinstance(value, float),
            f"{name[0]}{NOT_A_FLOAT[0]}，得到 {type(value).__name__}",
            f"{name[1]} {NOT_A_FLOAT[1]}, got {type(value).__name__}",
        )
    ref = _run_fit(_fit())
    if _same_fit(got, ref):
        passed(
            "练习 1 通过：三个错误都修好了，参数与每轮的损失、准确率都对",
            "Exercise 1 passed: all three bugs fixed; parameters, losses and accuracies right",
        )
        return
    for wrong, zh, en in wrong_results(MISTAKES["ex1_fit"], _run_fit):
        if _same_fit(got, wrong):
            fail(zh, en)
    expect(torch.allclose(params, ref[0], atol=1e-6), *ORDER)
    for epoch, (pair, right) in enumerate(zip(history, ref[1]), start=1):
        expect(
            abs(pair[0] - right[0]) < 1e-5,
            f"第 {epoch} 轮的训练损失 {pair[0]:.4f} 不对，应为 {right[0]:.4f}",
            f"the training loss of epoch {epoch}, {pair[0]:.4f}, is wrong: expected {right[0]:.4f}",
        )
        expect(
            abs(pair[1] - right[1]) < 1e-9,
            f"第 {epoch} 轮的验证准确率 {pair[1]:.4f} 不对，应为 {right[1]:.4f}（正确数除以样本数）",
            f"the validation accuracy of epoch {epoch}, {pair[1]:.4f}, is wrong: expected "
            f"{right[1]:.4f} (the number right divided by the number of samples)",
        )


# --- Exercise 2: predict the gradient noise ratio -------------------------------------------

POOL, SMALL, LARGE = 16, 2, 8


def noise_ratio(seed=0):
    """E‖g_B − g‖² for B = SMALL divided by the same for B = LARGE: the mean over every batch of
    B distinct samples among POOL, with the tiny model's per-sample gradients (float64)."""
    X, y = tiny_data(seed, n=POOL)
    model = tiny_model(seed).double()
    loss_fn = nn.CrossEntropyLoss()
    rows = []
    for i in range(POOL):
        model.zero_grad()
        loss_fn(model(X[i : i + 1].double()), y[i : i + 1]).backward()
        rows.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    G = torch.stack(rows)
    C = G - G.mean(0)  # 每个样本的梯度减去整个样本池的梯度 / minus the gradient of the pool
    K = C @ C.T  # ‖g_B − g‖² = 1ᵀ K[S, S] 1 / B²

    def mean_error(B):
        # 每一个可能的批次 / every possible batch
        batches = torch.tensor(list(itertools.combinations(range(POOL), B)))
        masks = torch.zeros(len(batches), POOL, dtype=torch.float64).scatter_(1, batches, 1.0)
        return ((masks @ K) * masks).sum(1).mean() / B**2

    return (mean_error(SMALL) / mean_error(LARGE)).item()


_1_B_LAW = (
    "按 E‖g_B − g‖² ≈ σ²/B · (1 − B/n) 分别算 B = 2 和 B = 8（n = 16），再相除",
    "work out E‖g_B − g‖² ≈ σ²/B · (1 − B/n) for B = 2 and for B = 8 (n = 16), then divide",
)
MISTAKES["ex2_noise_ratio"] = [
    Mistake(
        lambda: 4,
        "4 只是 1/B 定律：从无穷多的样本里抽批次时才对。这里 16 个样本就是全部，批次是无放回地"
        "抽的：修正因子 1 − B/n 对 B = 2 是 1 − 2/16 = 7/8，对 B = 8 只有 1 − 8/16 = 1/2"
        "（8 个样本已是样本池的一半，它们的平均本来就很接近 g）。所以是 4 × (7/8) / (1/2)",
        "4 is the 1/B law alone, right when batches come from an endless supply of samples. "
        "Here the 16 samples are the whole pool and batches are drawn without replacement: the "
        "factor 1 − B/n is 1 − 2/16 = 7/8 for B = 2 but only 1 − 8/16 = 1/2 for B = 8 (8 "
        "samples are half the pool, so their mean is already close to g). Hence 4 × (7/8) / (1/2)",
    ),
    Mistake(
        lambda: 2,
        "2 = √4 是误差长度 ‖g_B − g‖ 的缩小倍数（标准差按 1/√B 下降）；题目问的是平方误差"
        "（方差），它按 1/B 下降，而且别忘了无放回抽样的修正因子 1 − B/n",
        "2 = √4 is how much the length ‖g_B − g‖ shrinks (the standard deviation falls like "
        "1/√B); the question is about the squared error (the variance), which falls like 1/B, "
        "and do not forget the without-replacement factor 1 − B/n",
    ),
    Mistake(
        lambda: 16,
        "16 = 4²：平方误差按 1/B 下降，不是按 1/B²；再乘上无放回抽样的修正因子 1 − B/n",
        "16 = 4²: the squared error falls like 1/B, not like 1/B²; then apply the "
        "without-replacement factor 1 − B/n",
    ),
    Mistake(
        lambda: 3.5,
        "3.5 = 4 × 7/8：修正因子只用在了 B = 2 上。B = 8 的因子 1 − 8/16 = 1/2 在分母里，"
        "比值要再除以它",
        "3.5 = 4 × 7/8: the correction went into B = 2 only. The factor of B = 8, "
        "1 − 8/16 = 1/2, is in the denominator: divide by it as well",
    ),
    Mistake(
        lambda: 8,
        "8 = 4 / (1/2)：修正因子只用在了 B = 8 上。B = 2 的平方误差也要乘 1 − 2/16 = 7/8",
        "8 = 4 / (1/2): the correction went into B = 8 only. The squared error of B = 2 is "
        "multiplied by 1 − 2/16 = 7/8 too",
    ),
    Mistake(
        lambda: 16 / 7,
        "16/7 ≈ 2.29：修正因子用反了。批次越接近整个样本池，它的平均越接近 g，所以大批次的因子"
        "更小：B = 8 是 1 − 8/16 = 1/2，B = 2 是 7/8",
        "16/7 ≈ 2.29: the correction is the wrong way round. The closer a batch is to the whole "
        "pool, the closer its mean is to g, so the larger batch has the smaller factor: "
        "1 − 8/16 = 1/2 for B = 8, 7/8 for B = 2",
    ),
    Mistake(
        lambda: 0.25,
        "题目问平方误差缩小为几分之一，答一个大于 1 的倍数：B = 2 的误差除以 B = 8 的误差。"
        "1/4 是反过来的比值，而且还少了无放回抽样的修正因子 1 − B/n",
        "the question asks how many times smaller the squared error gets, a number above 1: "
        "the error of B = 2 divided by that of B = 8. 1/4 is the ratio upside down, and it "
        "also lacks the without-replacement factor 1 − B/n",
    ),
    Mistake(
        lambda: 1 / 7,
        "方向反了：题目问平方误差缩小为几分之一，答一个大于 1 的倍数（B = 2 的误差除以 B = 8 的误差）",
        "upside down: the question asks how many times smaller the squared error gets, a number "
        "above 1 (the error of B = 2 divided by that of B = 8)",
    ),
]


def ex2_noise_ratio(predict_noise_ratio):
    """``predict_noise_ratio()``: how many times smaller E‖g_B − g‖² is for B = 8 than for B = 2,
    batches drawn without replacement from a pool of 16 samples whose gradient is g."""
    got = predict_noise_ratio()
    expect(
        isinstance(got, (int, float)) and not isinstance(got, bool),
        f"应返回一个数（int 或 float），得到 {type(got).__name__}",
        f"return one number (an int or a float), got {type(got).__name__}",
    )
    truth = noise_ratio()
    if abs(got - truth) <= 0.02 * truth:
        passed(
            f"练习 2 通过：平方误差缩小为 1/{truth:.0f}，即 4 × (7/8) / (1/2)",
            f"Exercise 2 passed: the squared error falls to 1/{truth:.0f}, i.e. 4 × (7/8) / (1/2)",
        )
        return
    for m in MISTAKES["ex2_noise_ratio"]:
        wrong = m.answer()
        if abs(got - wrong) <= 0.02 * abs(wrong):
            fail(m.zh, m.en)
    fail(f"{got} 不对：{_1_B_LAW[0]}", f"{got} is not right: {_1_B_LAW[1]}")


# --- Exercise 3: gradient accumulation -------------------------------------------------------


def _accumulate(*, scale="size", step_each=False, zero_each=False, zero_after=True, ret="mean"):
    """An ``accumulate_step``: the right one, or one with the mistake the keywords name.
    ``scale``: each micro-batch's mean loss times ``len(y) / N`` (``"size"``), ``1 / k``
    (``"k"``), ``1 / N`` (``"N"``) or 1 (``"none"``)."""

    def accumulate_step(model, loss_fn, optimizer, micro_batches):
        N, k = sum(len(y) for _, y in micro_batches), len(micro_batches)
        total, means = 0.0, []
        for X, y in micro_batches:
            loss = loss_fn(model(X), y)
            factor = {"size": len(y) / N, "k": 1 / k, "N": 1 / N, "none": 1.0}[scale]
            (loss * factor).backward()
            if step_each:
                optimizer.step()
            if zero_each:
                optimizer.zero_grad()
            total += loss.item() * len(y) / N
            means.append(loss.item())
        if not step_each:
            optimizer.step()
        if zero_after:
            optimizer.zero_grad()
        return {"mean": total, "plain": sum(means) / k, "sum": sum(means)}[ret]

    return accumulate_step


def _full_batch_step(model, loss_fn, optimizer, micro_batches):
    """What accumulation must reproduce: one step on all the micro-batches put together."""
    X = torch.cat([X for X, _ in micro_batches])
    y = torch.cat([y for _, y in micro_batches])
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()


SIZES = ([4, 4, 4, 4], [7, 1, 8])  # 两次调用：先等大的微批次，再不等大的 / equal, then unequal


def _run_accumulate(accumulate_step):
    """Two calls of ``accumulate_step`` on the tiny model: after each, the parameters and the
    loss returned."""
    X, y = tiny_data(5, n=sum(map(sum, SIZES)))
    model = tiny_model(5)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    loss_fn = nn.CrossEntropyLoss()
    out, start = [], 0
    for sizes in SIZES:
        micro = []
        for size in sizes:
            micro.append((X[start : start + size], y[start : start + size]))
            start += size
        loss = accumulate_step(model, loss_fn, optimizer, micro)
        out.append((_params(model), loss))
    return out


def _same_step(a, b):
    return torch.allclose(a[0], b[0], atol=1e-6) and abs(float(a[1]) - float(b[1])) < 1e-5


STALE = (
    "第二次调用时 .grad 里还留着第一次的梯度：step() 之后要立刻 zero_grad()",
    "at the second call .grad still held the first call's gradients: call zero_grad() right "
    "after step()",
)
MISTAKES["ex3_accumulate_step"] = [
    Mistake(
        _accumulate(scale="k"),
        "loss / k 只在微批次一样大时才对：第二次调用的微批次有 7、1、8 个样本，除以 k = 3 让中间"
        "那 1 个样本和后面 8 个样本分量一样重。每个微批次的平均损失要乘 len(y) / N（N 是样本总数）",
        "loss / k is right only when the micro-batches are the same size: in the second call "
        "they hold 7, 1 and 8 samples, and dividing by k = 3 gives the one sample in the middle "
        "as much weight as the 8 after it. Multiply each micro-batch's mean loss by len(y) / N "
        "(N the number of samples)",
    ),
    Mistake(
        _accumulate(scale="none"),
        "梯度大了好几倍：每个微批次的损失已经是平均值，直接 backward() 就把 k 个平均值的梯度加在了一起。"
        "每个微批次的损失要乘 len(y) / N",
        "the gradient is several times too large: each micro-batch's loss is already a mean, so "
        "backward() as is adds up the gradients of k means. Multiply each micro-batch's loss by "
        "len(y) / N",
    ),
    Mistake(
        _accumulate(scale="N"),
        "梯度小了很多：损失已经是微批次上的平均，再除以 N 就除了两次。要乘 len(y) / N，而不是 1 / N",
        "the gradient is far too small: the loss is already a mean over the micro-batch, so "
        "dividing by N divides twice. Multiply by len(y) / N, not by 1 / N",
    ),
    Mistake(
        _accumulate(step_each=True, zero_each=True),
        "每个微批次之后都 step() 了：那是 k 个小步，不是累积之后的一大步。所有微批次 backward() "
        "之后，只 step() 一次",
        "you called step() after every micro-batch: that is k small steps, not one step from the "
        "accumulated gradient. Call step() once, after every micro-batch's backward()",
    ),
    Mistake(
        _accumulate(zero_each=True),
        "微批次之间清零了梯度：只有最后一个微批次的梯度进了 step()。要等 step() 之后再清零",
        "the gradients were cleared between micro-batches, so only the last micro-batch's "
        "gradient reached step(). Clear them only after step()",
    ),
    Mistake(_accumulate(zero_after=False), *STALE),
    Mistake(
        _accumulate(ret="plain"),
        "参数对了，但返回的是各微批次损失的简单平均：微批次大小不同时要按样本数加权，"
        "返回整个批次上每个样本的平均损失",
        "the parameters are right, but the loss returned is the plain mean of the micro-batch "
        "losses: with micro-batches of different sizes, weight each by its number of samples "
        "and return the mean loss per sample over the whole batch",
    ),
    Mistake(
        _accumulate(ret="sum"),
        "参数对了，但返回的是各微批次损失之和：应返回整个批次上每个样本的平均损失",
        "the parameters are right, but the loss returned is the sum of the micro-batch losses: "
        "return the mean loss per sample over the whole batch",
    ),
]


def ex3_accumulate_step(accumulate_step):
    """``accumulate_step(model, loss_fn, optimizer, micro_batches)``: one optimizer step from the
    gradients accumulated over the micro-batches, the same as one step on all of them at once;
    returns the mean loss per sample (a float)."""
    got = _run_accumulate(accumulate_step)
    for _, loss in got:
        expect(
            isinstance(loss, float),
            f"返回的损失{NOT_A_FLOAT[0]}，得到 {type(loss).__name__}",
            f"the loss returned {NOT_A_FLOAT[1]}, got {type(loss).__name__}",
        )
    ref = _run_accumulate(_full_batch_step)
    if all(_same_step(a, b) for a, b in zip(got, ref)):
        passed(
            "练习 3 通过：累积微批次的一步与整个批次的一步相同",
            "Exercise 3 passed: the accumulated step equals one step on the whole batch",
        )
        return
    for wrong, zh, en in wrong_results(MISTAKES["ex3_accumulate_step"], _run_accumulate):
        if all(_same_step(a, b) for a, b in zip(got, wrong)):
            fail(zh, en)
    for call, (a, b, sizes) in enumerate(zip(got, ref, SIZES), start=1):
        expect(
            torch.allclose(a[0], b[0], atol=1e-6),
            f"第 {call} 次调用（微批次大小 {sizes}）之后，参数与整个批次走一步的结果不同",
            f"after call {call} (micro-batches of {sizes} samples), the parameters differ from "
            f"one step on the whole batch",
        )
        expect(
            abs(a[1] - b[1]) < 1e-5,
            f"第 {call} 次调用返回的损失 {a[1]:.4f} 不对，应为整个批次上每个样本的平均损失 {b[1]:.4f}",
            f"call {call} returned the loss {a[1]:.4f}: expected the mean loss per sample over the "
            f"whole batch, {b[1]:.4f}",
        )


wrap_checkers(globals())
