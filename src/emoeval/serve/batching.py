"""Batch concurrent requests: a small async queue that collects pairs for a few milliseconds.

The first pair waits at most ``window_s`` for others (up to ``max_batch``); the batch is
scored in a worker thread so the event loop keeps accepting requests meanwhile. One batch
runs at a time (the model is not re-entrant).
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..similarity.pair_scoring import PairRequest, PairResult, PairScorer


class BatchQueue:
    def __init__(self, scorer: PairScorer, max_batch: int = 16, window_s: float = 0.005):
        self.scorer = scorer
        self.max_batch = max(1, int(max_batch))
        self.window_s = max(0.0, float(window_s))
        self._queue: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None
        self.batches = 0
        self.pairs = 0
        self.largest_batch = 0

    def _ensure_worker(self) -> asyncio.Queue:
        if self._queue is None or self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.get_running_loop().create_task(self._run())
        return self._queue

    async def submit(self, request: PairRequest) -> PairResult:
        future = asyncio.get_running_loop().create_future()
        await self._ensure_worker().put((request, future))
        return await future

    async def _collect(self, queue: asyncio.Queue) -> list[tuple[PairRequest, Any]]:
        loop = asyncio.get_running_loop()
        batch = [await queue.get()]
        deadline = loop.time() + self.window_s
        while len(batch) < self.max_batch:
            remaining = deadline - loop.time()
            if remaining <= 0:
                while len(batch) < self.max_batch and not queue.empty():
                    batch.append(queue.get_nowait())
                break
            try:
                batch.append(await asyncio.wait_for(queue.get(), remaining))
            except asyncio.TimeoutError:
                break
        return batch

    async def _run(self) -> None:
        queue = self._queue
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._collect(queue)
            self.batches += 1
            self.pairs += len(batch)
            self.largest_batch = max(self.largest_batch, len(batch))
            try:
                results = await loop.run_in_executor(
                    None, self.scorer.score, [request for request, _ in batch])
            except Exception as exc:  # score() isolates pairs; this is a last resort
                results = [PairResult(error=f"model error: {type(exc).__name__}: {exc}")
                           for _ in batch]
            for (_, future), result in zip(batch, results):
                if not future.done():
                    future.set_result(result)

    def stats(self) -> dict[str, Any]:
        return {"batches": self.batches, "pairs": self.pairs, "largest_batch": self.largest_batch,
                "max_batch": self.max_batch, "window_ms": 1000 * self.window_s}

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
