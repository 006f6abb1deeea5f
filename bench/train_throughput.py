"""Training throughput of the numpy engine against scikit-learn, PyTorch (CPU) and the GEMM floor.

    .venv/bin/python -m bench.train_throughput [--threads 2] [--repeats 5] [--epochs 2] [--no-accuracy]
        [--wait-idle SECONDS]

Everything runs in one process on the same data: mnist-5k with the default split (val 0.1, test 0.2, seed 0),
z-scored by `model.data.prepare`, float32, 3,600 training samples. Every engine trains the same shape with plain
SGD (lr 0.01, no momentum, no l2), ReLU, softmax cross-entropy, shuffling each epoch and summing the loss of every
batch. The GEMM floor performs only the matrix products one training step needs, at the same shapes: forward
A_{l-1} @ W_l, weight gradients A_{l-1}^T @ delta_l, input gradients delta_l @ W_l^T (not for the first layer, which
no engine computes). Each figure is the median of `--repeats` timings of `--epochs` epochs, after one warm-up
epoch, with the engines interleaved within each repeat so that load from other processes hits all of them alike.
BLAS threads (threadpoolctl) and torch threads are both set to `--threads`. On a shared machine, `--threads 1
--clock cpu` times each engine by its own CPU time, which other processes' load barely affects.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from model.config import TrainConfig
from model.data.prepare import prepare
from model.data.types import PreparedData
from model.engine_numpy import NumpyRunner
from model.train import train

# untimed pause after each engine's turn: PyTorch's OpenMP threads (and OpenBLAS's) spin-wait for a few
# milliseconds after their last parallel region, on the cores that the next engine is about to be timed on
SETTLE_SECONDS = 0.1

LEARNING_RATE = 0.01
SEED_CONFIG = {  # the seed report's network, trained as the seed did (constant lr, no augmentation)
    "hidden": [256, 128, 64, 32, 16],
    "optimizer": "momentum",
    "momentum": 0.9,
    "learning_rate": 0.05,
    "batch_size": 64,
    "epochs": 30,
    "l2": 1e-4,
}
ACCURACY_CONFIG = {**SEED_CONFIG, "augment_shift": 2, "lr_schedule": "cosine"}
TARGETS = {"A": {"sklearn": 2.5, "torch": 1.15, "floor": 0.85}, "B": {"sklearn": 2.5, "torch": 1.5}}

Epoch = Callable[[], object]  # trains one epoch over the training split


@dataclass(frozen=True)
class Shape:
    name: str
    hidden: tuple[int, ...]
    batch_size: int

    def describe(self, data: PreparedData) -> str:
        widths = "-".join(str(w) for w in (data.n_features, *self.hidden, data.n_classes))
        return f"config {self.name}: {widths}, batch {self.batch_size}, float32"


SHAPES = (Shape("A", (512, 256, 128, 64, 32), 128), Shape("B", (128, 64, 64, 32, 32), 32))


def numpy_engine(shape: Shape, data: PreparedData) -> Epoch:
    config = TrainConfig(hidden=shape.hidden, batch_size=shape.batch_size, learning_rate=LEARNING_RATE)
    runner, epochs = NumpyRunner(config, data), itertools.count()
    return lambda: runner.run_epoch(next(epochs))


def sklearn_engine(shape: Shape, data: PreparedData) -> Epoch:
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=shape.hidden,
        solver="sgd",
        momentum=0.0,
        alpha=0.0,
        batch_size=shape.batch_size,
        learning_rate_init=LEARNING_RATE,
        shuffle=True,
        random_state=0,
    )
    classes = np.arange(data.n_classes)
    return lambda: clf.partial_fit(data.train.x, data.train.y, classes=classes)  # one epoch per call


def torch_engine(shape: Shape, data: PreparedData) -> Epoch | None:
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    sizes = (data.n_features, *shape.hidden, data.n_classes)
    layers: list[torch.nn.Module] = []
    for n_in, n_out in zip(sizes, sizes[1:], strict=False):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    x, y = torch.from_numpy(data.train.x), torch.from_numpy(data.train.y)

    def epoch() -> tuple[float, int]:
        order = torch.randperm(len(y))
        xs, ys = x[order], y[order]  # one gather per epoch, as the numpy engine does
        total, correct = 0.0, 0
        for start in range(0, len(ys), shape.batch_size):
            xb, yb = xs[start : start + shape.batch_size], ys[start : start + shape.batch_size]
            optimizer.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = torch.nn.functional.cross_entropy(logits, yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            correct += int((logits.argmax(dim=1) == yb).sum())
        return total, correct

    return epoch


def gemm_floor(shape: Shape, data: PreparedData) -> Epoch:
    """Only the matrix products of each training step, into preallocated buffers."""
    rng = np.random.default_rng(0)
    sizes = (data.n_features, *shape.hidden, data.n_classes)
    pairs = list(zip(sizes, sizes[1:], strict=False))
    weights = [rng.normal(0, np.sqrt(2 / n_in), (n_in, n_out)).astype(np.float32) for n_in, n_out in pairs]
    grads = [np.empty_like(w) for w in weights]
    outs = [np.empty((shape.batch_size, n_out), np.float32) for _, n_out in pairs]
    backs = [np.empty((shape.batch_size, n_in), np.float32) for n_in, _ in pairs]
    x = np.ascontiguousarray(data.train.x)

    def epoch() -> None:
        for start in range(0, len(x), shape.batch_size):
            inputs = [x[start : start + shape.batch_size]]
            rows = len(inputs[0])
            for w, out in zip(weights, outs, strict=True):
                inputs.append(np.matmul(inputs[-1], w, out=out[:rows]))  # (B, n_in) @ (n_in, n_out)
            for i in range(len(weights) - 1, -1, -1):
                delta = outs[i][:rows]  # stands in for dC/dZ_l: same shape, finite values
                np.matmul(inputs[i].T, delta, out=grads[i])  # (n_in, B) @ (B, n_out)
                if i:
                    np.matmul(delta, weights[i].T, out=backs[i][:rows])  # (B, n_out) @ (n_out, n_in)

    return epoch


def cpu_idle_fraction(seconds: float = 1.0) -> float:
    """Share of all CPUs' time spent idle over the next `seconds` (Linux /proc/stat)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, total

    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(1, total1 - total0)


def wait_for_idle(timeout: float, needed: int = 3, threshold: float = 0.9) -> str:
    """Wait up to `timeout` seconds for `needed` consecutive seconds with the CPUs >= `threshold` idle."""
    deadline, streak = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        streak = streak + 1 if cpu_idle_fraction() >= threshold else 0
        if streak >= needed:
            return f"machine idle for {needed} s before starting"
    return f"machine still busy after waiting {timeout:.0f} s: figures include other processes' load"


def measure(
    engines: dict[str, Epoch], n_samples: int, repeats: int, epochs: int, clock: Callable[[], float]
) -> dict[str, list[float]]:
    """samples/s of each engine, `repeats` times, engines interleaved; one untimed warm-up epoch each."""
    for run in engines.values():
        run()
    rates: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(repeats):
        for name, run in engines.items():
            start = clock()
            for _ in range(epochs):
                run()
            rates[name].append(n_samples * epochs / (clock() - start))
            time.sleep(SETTLE_SECONDS)
    return rates


def report(shape: Shape, data: PreparedData, rates: dict[str, list[float]]) -> None:
    print(f"\n{shape.describe(data)}, plain SGD lr {LEARNING_RATE}, {len(data.train)} training samples")
    print(f"  {'engine':<12}{'samples/s':>12}   {'min .. max':>19}")
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name, values in rates.items():
        print(f"  {name:<12}{medians[name]:>12,.0f}   {min(values):>8,.0f} .. {max(values):>8,.0f}")
    for other in ("sklearn", "torch", "floor"):
        if other not in medians:
            continue
        ratio = medians["numpy"] / medians[other]
        target = TARGETS[shape.name].get(other)
        verdict = "" if target is None else f"  (target >= {target:g}: {'met' if ratio >= target else 'NOT met'})"
        print(f"  numpy / {other:<8}{ratio:7.3f}x{verdict}")
    if "floor" in medians and "sklearn" in medians:
        ceiling = medians["floor"] / medians["sklearn"]
        target = TARGETS[shape.name]["sklearn"]
        beyond = f"the {target:g}x target is beyond it" if ceiling < target else f"the {target:g}x target is within it"
        print(f"  ceiling for any engine computing these products: floor / sklearn = {ceiling:.3f}x ({beyond})")


def accuracy_line(config: dict[str, object]) -> str:
    cfg = TrainConfig.from_dict(config)
    result = train(cfg, prepare(cfg))
    return f"test accuracy {result.test_acc:.1%} (val {result.val_acc:.1%}) after {len(result.history)} epochs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", default="2", help="BLAS and torch threads; a list such as 2,1 runs each")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per engine (default 5)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per timed repeat (default 2)")
    parser.add_argument("--shapes", default="A,B", help="which configs to time (default A,B)")
    parser.add_argument("--no-accuracy", action="store_true", help="skip the accuracy runs")
    parser.add_argument("--wait-idle", type=float, default=0, help="wait up to this many seconds for idle CPUs")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time (default), or this process's CPU time: immune to other processes' load, but only "
        "meaningful with --threads 1 (with more threads it also counts BLAS threads spinning)",
    )
    args = parser.parse_args()

    data = prepare(TrainConfig(dataset="mnist-5k", dtype="float32"))
    blas = ", ".join(f"{i['internal_api']} {i['version']}" for i in threadpool_info() if i["user_api"] == "blas")
    print(f"mnistq training throughput, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {blas}, {_torch_version()}")
    if args.wait_idle > 0:
        print(wait_for_idle(args.wait_idle))
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    for threads in (int(t) for t in args.threads.split(",")):
        print(f"\n=== {threads} thread(s), {args.clock} clock; load average before: {_load()}")
        with threadpool_limits(limits=threads):
            _set_torch_threads(threads)
            for shape in (s for s in SHAPES if s.name in args.shapes.split(",")):
                engines = {"numpy": numpy_engine(shape, data), "sklearn": sklearn_engine(shape, data)}
                torch_epoch = torch_engine(shape, data)
                if torch_epoch is not None:
                    engines["torch"] = torch_epoch
                engines["floor"] = gemm_floor(shape, data)
                rates = measure(engines, len(data.train), args.repeats, args.epochs, clock)
                report(shape, data, rates)
        print(f"load average after: {_load()}")
    if not args.no_accuracy:
        with threadpool_limits(limits=int(args.threads.split(",")[0])):
            print(f"\naccuracy, seed config {SEED_CONFIG}: {accuracy_line(SEED_CONFIG)}")
            print(f"accuracy, + augment_shift 2, cosine schedule: {accuracy_line(ACCURACY_CONFIG)}")


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _torch_version() -> str:
    try:
        import torch
    except ImportError:
        return "torch not installed (no PyTorch column)"
    return f"torch {torch.__version__}"


def _set_torch_threads(threads: int) -> None:
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(threads)


if __name__ == "__main__":
    main()
