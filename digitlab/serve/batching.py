"""Micro-batching: requests that arrive while the model is busy share its next call.

A network's forward pass on a batch of n digits costs less than n single
forwards (one pass through the Python layers, larger matrix products), and it
runs in a worker thread, so the event loop keeps reading and answering HTTP on
the other core while numpy computes (numpy and BLAS release the GIL).

No timer and no waiting window: when a request comes in and the model is idle,
it runs at once, alone; while it runs, newcomers queue, and the next call
takes all of them (up to `max_batch`). So an idle server adds no delay, and a
busy one batches exactly as much as its load makes it.

    batcher = Batcher(reader.predict_inputs)
    prediction = await batcher.submit(image)   # image: uint8 (28, 28)
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor


class Batcher:
    """Gather `submit`ted items into calls of `predict(items) -> list of results`.

    Parameters
    ----------
    predict : callable
        Takes a list of n items and returns n results in the same order. It
        runs in a worker thread of its own, one call at a time, so a model that
        keeps per-call state (our layers keep their inputs for backward) is
        safe as long as nothing else calls it meanwhile.
    max_batch : int
        Most items in one call; more waiting items go to the next call.
    """

    def __init__(self, predict, max_batch: int = 8):
        self.predict = predict
        self.max_batch = max_batch
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="digitlab-batch")
        self._waiting: list[tuple[object, asyncio.Future]] = []
        self._draining = False

    async def submit(self, item):
        """The result for `item`, computed in a batch with whatever else is waiting."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting.append((item, future))
        if not self._draining:
            self._draining = True
            loop.create_task(self._drain())
        return await future

    async def _drain(self):
        """Run batches until nothing waits; a task of its own, so no request waits for later batches."""
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
                batch = [(item, future) for item, future in batch if not future.done()]  # cancelled
                if batch:
                    await self._run(loop, batch)
        finally:  # also when a loop shuts down under us (a test client's loop per request)
            self._draining = False

    async def _run(self, loop, batch):
        """One call of `predict` in its thread; each waiting request gets its result or the error."""
        try:
            results = await loop.run_in_executor(self._thread, self.predict, [item for item, _ in batch])
        except Exception as exc:  # noqa: BLE001 - each request re-raises it in its own handler
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results):
            if not future.done():  # its client went away meanwhile
                future.set_result(result)
