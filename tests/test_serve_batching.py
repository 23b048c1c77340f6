"""Micro-batching of concurrent pixel requests: the batcher on its own, then the app.

Oracles: each request gets the result of its own item whatever batch it rode
in; a failing batch fails each of its requests and nothing else; concurrent
requests through the app get what `Reader.predict_pixels` says for their
digit, one at a time.
"""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")
from test_serve_api import mnist, serve_reader

from digitlab.serve.app import create_app
from digitlab.serve.batching import Batcher


class Recorder:
    """A 'model' that squares numbers, noting down its batches and the threads it ran in."""

    def __init__(self, seconds: float = 0.01, fail_on=None):
        self.batches, self.threads = [], set()
        self.seconds, self.fail_on = seconds, fail_on

    def __call__(self, items):
        self.batches.append(list(items))
        self.threads.add(threading.get_ident())
        threading.Event().wait(self.seconds)  # a forward pass that takes a while, off the loop
        if self.fail_on in items:
            raise ValueError(f"cannot do {self.fail_on}")
        return [x * x for x in items]


def test_requests_that_arrive_while_busy_share_the_next_call():
    model = Recorder()
    batcher = Batcher(model, max_batch=8)

    async def main():
        first = asyncio.ensure_future(batcher.submit(0))
        await asyncio.sleep(0.001)  # the first call is running: the rest queue behind it
        rest = await asyncio.gather(*(batcher.submit(x) for x in range(1, 21)))
        return [await first, *rest]

    assert asyncio.run(main()) == [x * x for x in range(21)]
    # alone at once (no waiting window), then the queue in calls of at most 8, in order
    assert model.batches == [[0], list(range(1, 9)), list(range(9, 17)), list(range(17, 21))]


def test_calls_run_in_one_worker_thread_off_the_event_loop():
    model = Recorder(seconds=0.01)
    batcher = Batcher(model, max_batch=4)

    async def main():
        results = await asyncio.gather(*(batcher.submit(x) for x in range(10)))
        return results, threading.get_ident()

    results, loop_thread = asyncio.run(main())
    assert results == [x * x for x in range(10)]
    assert len(model.threads) == 1 and loop_thread not in model.threads


def test_a_failing_call_fails_its_own_requests_only():
    model = Recorder(fail_on=3)
    batcher = Batcher(model, max_batch=4)

    async def one(x):
        try:
            return await batcher.submit(x)
        except ValueError as exc:
            return str(exc)

    async def main():
        first = asyncio.ensure_future(one(0))
        await asyncio.sleep(0.001)
        return [await first, *await asyncio.gather(*(one(x) for x in range(1, 9)))]

    # batches [0], [1..4] (holds 3: all four fail), [5..8]
    assert asyncio.run(main()) == [0, *["cannot do 3"] * 4, 25, 36, 49, 64]


def test_a_request_given_up_on_does_not_stall_the_others():
    model = Recorder()
    batcher = Batcher(model, max_batch=8)

    async def main():
        first = asyncio.ensure_future(batcher.submit(0))
        await asyncio.sleep(0.001)
        gone = asyncio.ensure_future(batcher.submit(1))
        kept = asyncio.ensure_future(batcher.submit(2))
        await asyncio.sleep(0)
        gone.cancel()  # its client disconnected while it waited
        return await first, await kept

    assert asyncio.run(main()) == (0, 4)
    assert model.batches == [[0], [2]]


def test_a_fresh_event_loop_is_served_too():
    """A test client may run each request on a new loop; the batcher must not stick to the first."""
    batcher = Batcher(Recorder(seconds=0))
    assert [asyncio.run(batcher.submit(x)) for x in range(3)] == [0, 1, 4]


def test_concurrent_app_requests_match_the_reader_one_at_a_time(mnist_dir):
    reader = serve_reader(mnist_dir)
    images = mnist(mnist_dir, "test")[0][:24]
    app = create_app(reader=reader, max_batch=8)

    async def main():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(*(client.post("/api/predict", json={"pixels": image.ravel().tolist()})
                                          for image in images))

    answers = asyncio.run(main())
    for image, answer in zip(images, answers):
        assert answer.status_code == 200, answer.text
        body, direct = answer.json(), reader.predict_pixels(image.ravel())
        assert (body["digit"], body["status"]) == (direct.digit, direct.status)
        # a batched forward pass sums in another order than a single one: float32 rounding apart
        np.testing.assert_allclose(body["probabilities"], direct.probabilities, rtol=1e-4, atol=1e-6)
        assert body["input"] == image.tolist()
