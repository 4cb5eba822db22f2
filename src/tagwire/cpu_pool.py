"""Where articles are built (``drafts.draft_article``): on one thread of the fetching
process (``ThreadBuilder``), or on a bounded pool of worker processes that use the other
cores (``ProcessBuilder``, for ``tagwire fetch`` and ``serve``).

A worker process loads the NER models and the category model once, and keeps the tagger it
was sent last: the parent builds the tagger from the store, and it travels pickled, once per
worker and tagger. Jobs and drafts are small picklable records (``ArticleJob`` holds the
page as fetched). A worker process that dies breaks the pool: the pool is replaced and the
articles it held are built again, each alone in a worker of its own, so that the article
that killed it does not take the others down; an article that kills ``ATTEMPTS`` lone
workers is built from the feed's text with the reason recorded, and if even that fails it
is left out of this update (it stays new for the next check). Workers ignore Ctrl-C (the
parent stops them after their current article), from their first instruction: they are
started with SIGINT blocked, and unblock it only once it is ignored, so a Ctrl-C while one
is still loading its modules is held, then dropped. They exit when the parent is gone.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Protocol

from tagwire.drafts import ArticleJob, draft_article
from tagwire.enrich.tagging import Tagger
from tagwire.errors import WorkerDied
from tagwire.models import ArticleDraft
from tagwire.settings import Settings

log = logging.getLogger("tagwire.cpu_pool")
ATTEMPTS = 3  # broken pools an article may be in before it is built from the feed's text
PARENT_CHECK_SECONDS = 1.0


class ArticleBuilder(Protocol):
    async def draft(self, tagger: Tagger, job: ArticleJob) -> ArticleDraft: ...

    def close(self) -> None: ...


def open_builder(settings: Settings) -> ArticleBuilder:
    """``settings.cpu_processes`` worker processes, or with 1 a thread of this process."""
    if settings.cpu_processes > 1:
        return ProcessBuilder(settings.cpu_processes)
    return ThreadBuilder()


class ThreadBuilder:
    """One thread: extraction and NER hold the GIL, the thread keeps them off the loop."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tagwire-cpu")

    async def draft(self, tagger: Tagger, job: ArticleJob) -> ArticleDraft:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, draft_article, tagger, job)

    def close(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)


class ProcessBuilder:
    """``processes`` worker processes, replaced when one dies."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.replaced = 0  # pools replaced after a worker process died
        self._pool: ProcessPoolExecutor | None = None
        self._shipped: tuple[Tagger, str, bytes] | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._alone: asyncio.Semaphore | None = None

    async def draft(self, tagger: Tagger, job: ArticleJob) -> ArticleDraft:
        key, payload = self._tagger_payload(tagger)
        pool = self._running_pool()
        try:
            return await self._run(pool, key, payload, job)
        except BrokenProcessPool:
            self._replace(pool)
        # The shared pool broke with this article in it, maybe because of another one: it
        # is built again alone, so only an article that kills its own worker pays for it.
        async with self._alone_slot():
            for attempt in range(1, ATTEMPTS + 1):
                if attempt == ATTEMPTS:
                    job = job.without_page(f"a worker process died {ATTEMPTS} times building it")
                alone = self._new_pool(1)
                try:
                    return await self._run(alone, key, payload, job)
                except BrokenProcessPool:
                    continue
                finally:
                    alone.shutdown(wait=False, cancel_futures=True)
        raise WorkerDied(f"a worker process died building {job.entry.url or job.entry.guid}")

    def _alone_slot(self) -> asyncio.Semaphore:
        # One lone worker at a time: after a crash, every article that was in flight comes
        # here, and each lone worker loads the models.
        if self._alone is None:
            self._alone = asyncio.Semaphore(1)
        return self._alone

    def close(self) -> None:
        """Stop the workers after the article each is building; queued jobs are dropped."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def pids(self) -> list[int]:
        pool = self._pool
        processes = getattr(pool, "_processes", None) or {}
        return list(processes)

    async def _run(
        self, pool: ProcessPoolExecutor, key: str, payload: bytes, job: ArticleJob
    ) -> ArticleDraft:
        try:
            with _sigint_held():  # a submit may start a worker process
                future = pool.submit(build_in_worker, key, None, job)
            return await _awaited(future)
        except TaggerMissing:  # this worker has not got this tagger yet
            with _sigint_held():
                future = pool.submit(build_in_worker, key, payload, job)
            return await _awaited(future)

    def _tagger_payload(self, tagger: Tagger) -> tuple[str, bytes]:
        shipped = self._shipped
        if shipped is None or shipped[0] is not tagger:
            payload = pickle.dumps(tagger, protocol=pickle.HIGHEST_PROTOCOL)
            key = hashlib.sha256(payload).hexdigest()[:16]
            shipped = self._shipped = (tagger, key, payload)
        return shipped[1], shipped[2]

    def _running_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise WorkerDied("the article workers are stopping")
            if self._pool is None:
                self._pool = self._new_pool(self.processes)
            return self._pool

    def _new_pool(self, processes: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_worker,
            initargs=(os.getpid(),),
        )

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Drop a broken pool once, however many of its articles report it."""
        with self._lock:
            if self._pool is not broken:
                return
            self._pool = None
            self.replaced += 1
        log.warning("a worker process building articles died; starting new ones")
        broken.shutdown(wait=False, cancel_futures=True)


@contextmanager
def _sigint_held() -> Iterator[None]:
    """SIGINT blocked on this thread: a process started here inherits the mask through exec
    and holds a Ctrl-C until ``start_worker`` has set it to be ignored. A Ctrl-C meant for
    this process meanwhile goes to another of its threads, or waits the few milliseconds."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


async def _awaited(future: Future[ArticleDraft]) -> ArticleDraft:
    return await asyncio.wrap_future(future)


class TaggerMissing(Exception):
    """A worker process was sent a job for a tagger it has not been sent (internal: the
    parent sends the job again with the tagger)."""


_worker_tagger: dict[str, Tagger] = {}


def build_in_worker(key: str, payload: bytes | None, job: ArticleJob) -> ArticleDraft:
    """In a worker process: the article of ``job``, with the tagger named ``key``."""
    if key not in _worker_tagger:
        if payload is None:
            raise TaggerMissing(key)
        _worker_tagger.clear()  # one tagger at a time: the newest
        _worker_tagger[key] = pickle.loads(payload)
    return draft_article(_worker_tagger[key], job)


def start_worker(parent_pid: int) -> None:
    """Ctrl-C reaches the whole process group: the parent stops the workers, in order."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # a held Ctrl-C is dropped
    watch = threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True)
    watch.start()


def _exit_with_parent(parent_pid: int) -> None:
    # A parent killed outright (SIGKILL) cannot stop its workers; they must not linger.
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)
