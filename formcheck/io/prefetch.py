"""Iterating in a background thread, a few items ahead: decoding overlaps inference."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def prefetch(items: Iterable[T], depth: int = 4) -> Iterator[T]:
    """Iterate ``items`` in a background thread, ``depth`` ahead (decoding overlaps inference).

    Exceptions in the producer are re-raised in the consumer. Closing the generator stops the
    producer and waits until it has finished the item in hand, so what it uses (a decoder,
    the pose model) can then be released safely.
    """
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as err:  # handed to the consumer
            put(("error", err))

    th = threading.Thread(target=produce, name="formcheck-decode", daemon=True)
    th.start()
    try:
        while True:
            kind, val = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise val
            yield val
    finally:
        stop.set()
        # no time limit: the producer ends after its current item, and must not be left
        # running while the caller releases the source or the model it is using
        th.join()
