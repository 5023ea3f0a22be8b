"""Checks for the exercises of lesson 01 (the model).

The anticipated mistakes of each exercise are data (``MISTAKES``): each wrong answer with its hint.
"""

import math
import numbers
import pickle
import tempfile
from pathlib import Path

import torch
from torch import nn

from . import (
    Mistake,
    expect,
    expect_integer,
    fail,
    passed,
    tiny_model,
    wrap_checkers,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker

# ------------------------------------------------- exercise 1: the size of a wider, deeper MLP

MB = 10**6  # bytes in a megabyte (decimal, as the lesson prints file sizes), not a MiB (2**20)
SIZE_LISTS = [  # the checker's own MLPs; their largest layers are 1, 0, 2, 1, 0 and 3
    [784, 1024, 1024, 10],
    [784, 64, 10],
    [2, 3, 50, 1000],
    [100, 30, 300, 5],
    [784, 2048, 512, 256, 10],
    [10, 20, 30, 40, 500],
]


def _layers(sizes, per_layer):
    return [per_layer(a, b) for a, b in zip(sizes, sizes[1:])]


def _size(per_layer=lambda a, b: a * b + b, bytes_per=4, unit=MB, index=lambda counts, k: k):
    """An mlp_size: ``per_layer(a, b)`` parameters in Linear(a, b), ``bytes_per`` bytes each,
    ``unit`` bytes per MB; ``index(counts, k)`` turns the right layer index k into the answer."""

    def mlp_size(sizes):
        counts = _layers(sizes, per_layer)
        n = sum(counts)
        k = max(range(len(counts)), key=counts.__getitem__)
        return n, n * bytes_per / unit, index(counts, k)

    return mlp_size


def _widest(sizes):
    n, mb, _ = _size()(sizes)
    outs = sizes[1:]
    return n, mb, max(range(len(outs)), key=outs.__getitem__)


def _rounded(sizes):
    n, mb, k = _size()(sizes)
    return n, round(mb, 2), k


MISTAKES["ex1_mlp_size"] = [
    Mistake(
        _size(per_layer=lambda a, b: a * b),
        "参数个数少了：只数了权重，忘了偏置，每个 Linear(a, b) 还有 b 个偏置",
        "too few parameters: only the weights were counted; each Linear(a, b) also has b biases",
    ),
    Mistake(
        _size(per_layer=lambda a, b: a * b + a),
        "偏置的个数等于输出特征数 b（每个输出单元一个），不是输入特征数 a",
        "there is one bias per output unit, so b biases, not a (the number of inputs)",
    ),
    Mistake(
        _size(bytes_per=8),
        "大小是正确值的 2 倍：float32 每个数占 4 字节（32 位），8 字节是 float64",
        "the size is twice the right one: a float32 takes 4 bytes (32 bits); 8 bytes is float64",
    ),
    Mistake(
        _size(unit=2**20),
        "这是 MiB（2^20 = 1,048,576 字节）：本题的 MB 是 10^6 = 1,000,000 字节，与课中打印的文件大小一致",
        "that is MiB (2^20 = 1,048,576 bytes): here an MB is 10^6 = 1,000,000 bytes, as in the "
        "file size the lesson prints",
    ),
    Mistake(
        _size(bytes_per=1),
        "这是以百万计的参数个数，不是兆字节：每个 float32 参数占 4 字节",
        "that is the number of parameters in millions, not megabytes: each float32 takes 4 bytes",
    ),
    Mistake(
        _size(bytes_per=32),
        "这是比特数：一个 float32 是 32 比特，也就是 4 字节；MB 按字节算",
        "that counts bits: a float32 is 32 bits, i.e. 4 bytes, and an MB counts bytes",
    ),
    Mistake(
        _rounded,
        "大小很接近但不相等：不要四舍五入，返回 n * 4 / 10**6 本身",
        "the size is close but not equal: do not round, return n * 4 / 10**6 itself",
    ),
    Mistake(
        _size(index=lambda counts, k: k + 1),
        "层的编号差了 1：从 0 开始数，Linear(sizes[k], sizes[k+1]) 是第 k 层",
        "the layer index is off by one: count from 0; Linear(sizes[k], sizes[k+1]) is layer k",
    ),
    Mistake(
        _size(index=lambda counts, k: 2 * k),
        "编号把 ReLU 也数进去了（nn.Sequential 里的位置）：只数 Linear 层，第 k 层是 Linear(sizes[k], sizes[k+1])",
        "the index counts the ReLUs too (the position in nn.Sequential): count only the Linear "
        "layers; layer k is Linear(sizes[k], sizes[k+1])",
    ),
    Mistake(
        _widest,
        "这是输出单元最多的层：要找的是参数最多的层，Linear(a, b) 有 a·b + b 个参数，输入多的层可能更大",
        "that is the layer with the most output units: the question is the layer with the most "
        "parameters; Linear(a, b) has a*b + b, so a layer with many inputs can be larger",
    ),
]

GENERAL = {
    0: (
        "参数个数不对：Linear(a, b) 有 a·b 个权重和 b 个偏置",
        "wrong parameter count: Linear(a, b) has a*b weights and b biases",
    ),
    1: (
        "大小不对：参数个数 × 4 字节（float32），再除以 10^6",
        "wrong size: the number of parameters times 4 bytes (float32), divided by 10^6",
    ),
    2: (
        "层的编号不对：返回参数最多的 Linear 层的编号（从 0 数起）",
        "wrong layer index: return the index (from 0) of the Linear layer with most parameters",
    ),
}
PART = {0: ("参数个数", "parameters"), 1: ("MB", "MB"), 2: ("层", "layer")}


def _same(got, want, part):
    if part == 1:
        return math.isclose(got, want, rel_tol=1e-9)
    return got == want


def _answer(got):
    """The learner's ``(n, mb, k)`` as ``(int, float, int)``."""
    expect(
        isinstance(got, (tuple, list)) and len(got) == 3,
        "应返回三个值 (参数个数, MB, 层的编号)，例如 return n, mb, k",
        "return three values (parameters, MB, layer index), e.g. return n, mb, k",
    )
    n, mb, k = (int(x) if isinstance(x, numbers.Integral) else x for x in got)  # numpy ints too
    expect(
        isinstance(mb, numbers.Real) or (isinstance(mb, torch.Tensor) and mb.numel() == 1),
        f"MB 应是一个数，得到的是 {type(mb).__name__}",
        f"the MB should be one number, got {type(mb).__name__}",
    )
    return expect_integer(n), float(mb), expect_integer(k)


def _right_index(k, sizes):
    counts = _layers(sizes, lambda a, b: a * b + b)
    return 0 <= k < len(counts) and counts[k] == max(counts)


def ex1_mlp_size(mlp_size):
    """``mlp_size(sizes)``: (parameters, float32 size in MB of 10**6 bytes, index of the largest
    Linear layer) of the MLP Linear(sizes[0], sizes[1]), Linear(sizes[1], sizes[2]), ..."""
    right = _size()
    answers = [_answer(mlp_size(list(sizes))) for sizes in SIZE_LISTS]
    wrong = []  # (list index, part): the first wrong part of each list
    for i, (sizes, got) in enumerate(zip(SIZE_LISTS, answers)):
        want = right(sizes)
        ok = [_same(got[0], want[0], 0), _same(got[1], want[1], 1), _right_index(got[2], sizes)]
        if not all(ok):
            wrong.append((i, ok.index(False)))
    if not wrong:
        passed(
            "练习 1 通过：参数个数、MB 和最大的层都对",
            "Exercise 1 passed: parameters, MB and the largest layer are right",
        )
        return
    i, part = wrong[0]
    sizes, got, want = SIZE_LISTS[i], answers[i], right(SIZE_LISTS[i])
    table = MISTAKES["ex1_mlp_size"]
    runs = [[m.answer(s) for s in SIZE_LISTS] for m in table]
    # a mistake that gives the learner's answers on every list, else one that gives this part
    whole = [
        m
        for m, run in zip(table, runs)
        if all(_same(a[p], r[p], p) for a, r in zip(answers, run) for p in range(3))
    ]
    this = [m for m, run in zip(table, runs) if _same(got[part], run[i][part], part)]
    zh, en = (whole or this)[0][1:] if (whole or this) else GENERAL[part]
    shown = {0: "{:,}", 1: "{:.6g}", 2: "{}"}[part]  # 1,863,690 parameters; 7.45476 MB
    got_s, want_s = shown.format(got[part]), shown.format(want[part])
    fail(
        f"{zh}（sizes={sizes}，{PART[part][0]}：得到 {got_s}，应为 {want_s}）",
        f"{en} (sizes={sizes}, {PART[part][1]}: got {got_s}, expected {want_s})",
    )


# ------------------------------------------------ exercise 2: predict the entries of a state_dict


def bn_model():
    """The model of exercise 2: a BatchNorm1d between the two Linear layers."""
    return nn.Sequential(
        nn.Flatten(), nn.Linear(784, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, 10)
    )


MISTAKES["ex2_state_dict_entries"] = [
    Mistake(
        lambda: 6,
        "6 是参数张量的个数（len(list(model.parameters()))）：state_dict 还装着 BatchNorm 的 3 个缓冲区 "
        "running_mean、running_var、num_batches_tracked，2 + 5 + 2 = 9",
        "6 is the number of parameter tensors (len(list(model.parameters()))): the state_dict also "
        "holds BatchNorm's 3 buffers running_mean, running_var and num_batches_tracked, so "
        "2 + 5 + 2 = 9",
    ),
    Mistake(
        lambda: 8,
        "差一个：BatchNorm 的缓冲区除了 running_mean 和 running_var，还有记录训练了多少批次的 "
        "num_batches_tracked（课中打印过），它也是持久的缓冲区",
        "one short: besides running_mean and running_var, BatchNorm has the buffer "
        "num_batches_tracked (the lesson printed it), which counts the training batches and is "
        "persistent too",
    ),
    Mistake(
        lambda: 7,
        "BatchNorm 除了 3 个缓冲区，还有两个参数 weight 和 bias（缩放和平移），一共 5 项；"
        "两个 Linear 各 2 项，2 + 5 + 2 = 9",
        "BatchNorm has two parameters, weight and bias (a scale and a shift), besides its 3 buffers: "
        "5 entries; each Linear has 2, so 2 + 5 + 2 = 9",
    ),
    Mistake(
        lambda: 4,
        "BatchNorm 也有条目：两个参数 weight、bias 和三个缓冲区，2 + 5 + 2 = 9",
        "BatchNorm has entries too: two parameters (weight, bias) and three buffers, "
        "so 2 + 5 + 2 = 9",
    ),
    Mistake(
        lambda: 5,
        "state_dict 的每一项是一个张量，不是一个层：Linear 有 weight 和 bias 两项，"
        "Flatten 和 ReLU 一项也没有",
        "each entry of a state_dict is one tensor, not one layer: a Linear has two (weight and "
        "bias), Flatten and ReLU have none",
    ),
    Mistake(
        lambda: 3,
        "state_dict 的每一项是一个张量，不是一个有参数的层：Linear 有 weight、bias 两项，"
        "BatchNorm 有 5 项",
        "each entry of a state_dict is one tensor, not one layer with parameters: a Linear has "
        "two (weight, bias), BatchNorm has 5",
    ),
    Mistake(
        lambda: 669_706,
        "这是课程模型的参数个数：问的是 state_dict 有几项（几个张量），不是有多少个数",
        "that is the course model's parameter count: the question is how many entries (tensors) "
        "the state_dict has, not how many numbers",
    ),
]


def ex2_state_dict_entries(predict_state_dict_entries):
    """``predict_state_dict_entries()``: ``len(bn_model().state_dict())``, predicted."""
    want = len(bn_model().state_dict())  # 9
    got = expect_integer(predict_state_dict_entries())
    if got != want:
        for m in MISTAKES["ex2_state_dict_entries"]:
            if m.answer() == got:
                fail(m.zh, m.en)
        fail(
            f"预测的是 {got}，实际是 {want}：每个 Linear 有 weight、bias 两项；BatchNorm1d 有两个参数和"
            "三个持久的缓冲区；Flatten 和 ReLU 没有",
            f"you predicted {got}, the state_dict has {want}: each Linear has two entries (weight, "
            "bias); BatchNorm1d has two parameters and three persistent buffers; Flatten and ReLU "
            "have none",
        )
    passed(
        "练习 2 通过：2 + 5 + 2 = 9 项，其中 3 项是 BatchNorm 的缓冲区",
        "Exercise 2 passed: 2 + 5 + 2 = 9 entries, 3 of them BatchNorm's buffers",
    )


# --------------------------------------------------- exercise 3: debug a checkpoint loader

_RAN = []  # set by _code_from_the_file when a file runs it


def _code_from_the_file(state):
    """What a malicious checkpoint could run when it is unpickled: here it only leaves a note
    (``torch.load(..., weights_only=False)`` calls it; ``weights_only=True`` refuses the file)."""
    _RAN.append(True)
    return state


class _Trap:
    """Pickles as a call to ``_code_from_the_file(state)``: a file that runs code when loaded."""

    def __init__(self, state):
        self.state = state

    def __reduce__(self):
        return _code_from_the_file, (self.state,)


def _fixed(path, model):
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    model.eval()
    return model


def _no_eval(path, model):
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model


def _not_strict(path, model):
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=False)
    model.eval()
    return model


def _swallows_errors(path, model):
    try:
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    except RuntimeError:
        pass  # 只是警告 / just a warning
    model.eval()
    return model


def _falls_back(path, model):
    try:
        state = torch.load(path, map_location="cpu")
    except pickle.UnpicklingError:
        state = torch.load(path, map_location="cpu", weights_only=False)
    model.load_state_dict(state)
    model.eval()
    return model


def buggy_load_checkpoint(path, model):
    """The function the lesson gives, with its three bugs (the notebook shows the same code)."""
    try:
        state = torch.load(path, map_location="cpu")
    except pickle.UnpicklingError:  # 旧格式的文件 / files in an old format
        state = torch.load(path, map_location="cpu", weights_only=False)
    model.load_state_dict(state, strict=False)  # 不要 “Missing key(s)” 报错 / no errors
    return model


CODE = Mistake(
    _falls_back,
    "它执行了文件里的代码：weights_only=False 会执行文件要求执行的任何代码，包括在 weights_only=True "
    "拒绝了文件之后再退回去用它，这样放过的正是恶意文件。拒绝就让它报错",
    "it ran code from the file: weights_only=False runs whatever code the file asks for, also "
    "as a fallback after weights_only=True refused the file, which lets exactly the malicious "
    "files through. Let the refusal raise",
)
STRICT = Mistake(
    _not_strict,
    "结构不同的文件没有报错：strict=False（或用 try/except 吞掉 RuntimeError）只载入名字对得上的张量，"
    "其余的层悄悄留着随机权重（这里是最后一层）。去掉它，让 load_state_dict 报错",
    "a file from another architecture raised no error: strict=False (or a try/except that "
    "swallows the RuntimeError) loads only the tensors whose names match and silently leaves "
    "the other layers random (here the last one). Drop it so that load_state_dict raises",
)
SWALLOWED = Mistake(_swallows_errors, STRICT.zh, STRICT.en)
EVAL = Mistake(
    _no_eval,
    "返回的模型还在训练模式（model.training 为 True）：Dropout 仍在随机丢弃单元，同一输入两次输出不同。"
    "返回前调用 model.eval()",
    "the returned model is still in training mode (model.training is True): its Dropout still "
    "drops units at random, so one input gives two different outputs. Call model.eval() before "
    "returning",
)
UNCHANGED = Mistake(
    buggy_load_checkpoint,
    "三个 bug 都还在",
    "all three bugs are still there",
)
MISTAKES["ex3_load_checkpoint"] = [UNCHANGED, CODE, STRICT, SWALLOWED, EVAL]


def _model(seed):
    return tiny_model(seed, dropout=0.5)  # Flatten, Linear(12, 8), ReLU, Dropout, Linear(8, 3)


def _other_architecture(seed):
    """The same model saved before its Dropout was added: the last Linear is "3", not "4"."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))


def _holds(model, state):
    own = model.state_dict()
    return own.keys() == state.keys() and all(torch.equal(own[k], state[k]) for k in own)


def ex3_load_checkpoint(load_checkpoint):
    """``load_checkpoint(path, model)``: ``model`` with the weights of the file at ``path``, in
    evaluation mode; it refuses a file that runs code or that belongs to another architecture."""
    bugs = []
    with tempfile.TemporaryDirectory() as tmp:
        good, trap, other = (Path(tmp) / f"{name}.pth" for name in ("good", "trap", "other"))
        saved = _model(1).state_dict()
        torch.save(saved, good)
        torch.save(_Trap(_model(2).state_dict()), trap)
        torch.save(_other_architecture(3).state_dict(), other)

        # a good file: the weights arrive and the model is ready to predict
        model = _model(0)
        got = load_checkpoint(good, model)
        expect(
            isinstance(got, nn.Module),
            f"应返回载入了权重的模型，得到的是 {type(got).__name__}",
            f"return the model with the weights loaded, got {type(got).__name__}",
        )
        expect(
            _holds(got, saved),
            "返回的模型没有文件里的权重：用 model.load_state_dict(torch.load(path, ...)) 载入，"
            "并返回这个模型",
            "the returned model does not hold the file's weights: load them with "
            "model.load_state_dict(torch.load(path, ...)) and return that model",
        )
        if any(m.training for m in got.modules()):
            bugs.append(EVAL)

        # a file that runs code when it is unpickled
        _RAN.clear()
        try:
            load_checkpoint(trap, _model(0))
        except Exception:  # noqa: BLE001 - refusing the file is the right answer
            pass
        if _RAN:
            bugs.append(CODE)

        # a file saved from another architecture: it must raise, not leave random layers
        model = _model(0)
        try:
            load_checkpoint(other, model)
        except Exception:  # noqa: BLE001 - raising is the right answer
            pass
        else:
            bugs.append(STRICT)
    bugs = [b for b in (CODE, STRICT, EVAL) if b in bugs]  # in the order of the given code
    zh, en = "；".join(b.zh for b in bugs), "; ".join(b.en for b in bugs)
    if len(bugs) == 3:
        fail(f"{UNCHANGED.zh}：{zh}", f"{UNCHANGED.en}: {en}")
    if bugs:
        fail(zh, en)
    passed(
        "练习 3 通过：只载入张量，结构不符就报错，返回评估模式的模型",
        "Exercise 3 passed: tensors only, an error on a mismatch, the model in eval mode",
    )


wrap_checkers(globals())
