"""Prepared datasets cached per worker process: a sweep's runs share a handful of (dataset, split) keys."""

from __future__ import annotations

from collections import OrderedDict

from model.config import TrainConfig
from model.data.prepare import prepare
from model.data.types import PreparedData

MAX_ENTRIES = 4  # mnist-5k is ~15 MB per entry in float32; the full 70k sets ~220 MB


def data_key(config: TrainConfig) -> tuple[object, ...]:
    """Everything `prepare` reads from a config; runs with equal keys train on identical arrays."""
    return (
        config.dataset,
        config.label_column,
        config.seed,
        config.val_fraction,
        config.test_fraction,
        config.dtype,
    )


class DataCache:
    """A small LRU of `PreparedData` keyed by `data_key`. Arrays are shared read-only between runs."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[object, ...], PreparedData] = OrderedDict()
        self.loads = 0  # how many times `prepare` ran (for tests and the memory benchmark)

    def get(self, config: TrainConfig) -> PreparedData:
        key = data_key(config)
        data = self._entries.get(key)
        if data is None:
            data = prepare(config)
            for split in (data.train, data.val, data.test):
                if split is not None:
                    split.x.flags.writeable = False
                    split.y.flags.writeable = False
            self.loads += 1
            self._entries[key] = data
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return data


PROCESS_CACHE = DataCache()
