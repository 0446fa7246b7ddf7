"""Unit tokens signed on every core: a pool of processes for large issuances.

An Ed25519 signature takes the GIL for its whole 30-40 µs, so threads sign no faster than
one; separate processes do. The pool is made on the first request of at least `POOL_FROM`
tokens, kept for the next ones, and shut down at exit (`atexit`) or by `shutdown()`;
smaller requests are signed in this process, where dispatch would cost more than it saves.
Either way the tokens are the same bytes: Ed25519 signatures are deterministic and every
process signs with `TokenTemplate.sign`, in the order of the serials.

The children are started with the "spawn" method, not fork: the processes that issue (the
development server, gunicorn's gthread workers, job workers) run threads and hold
database connections, which a forked child would inherit half-way through. A child
imports this module (and, as spawn does, the main module of its parent, under another
name), so it works under whatever started it; it leaves when its parent dies without
shutting the pool down (SIGKILL). As always with spawn, a script that issues large
requests keeps its work under `if __name__ == "__main__":` (the console scripts that run
the registry, flask, gunicorn, pytest and `registry`, do). A daemonic process, which may
not have children, signs in process, and so does a request whose pool broke (a child
killed): the next request starts a new pool.

**The key.** Each child receives the label key's raw private bytes once, as the argument
of the pool's initializer, through the pipe that starts it, and keeps it in memory until
the pool shuts down: nothing is written anywhere new, and no task message carries it. The
children do not load the key from the key store themselves because they must sign with
exactly the key the caller holds in its `Issuer`: a store read in each child could meet a
key rotated meanwhile (tokens whose kid is not the one in the log entry), needs the app's
configuration in a process that has none, and cannot serve keys that live in no store (the
tests'). A pool serves one key; a request with another key (after a rotation) replaces it.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from registry.labels.token import TokenTemplate

#: Tokens from which a request is signed in the pool. bench/labels_bench.py part (a)
#: measures the crossover: on a quiet machine a warm pool is faster from 100 tokens on
#: (2.7 against 3.6 ms), but starting one takes about a second once per process, which
#: the demo's requests of 100 and 200 units would not earn back.
POOL_FROM = 500
#: Tokens per task: small enough that the caller writes the first rows while the pool still
#: signs the rest, large enough that dispatch stays a small part (a task costs ~0.2 ms).
CHUNK = 500


@dataclass(frozen=True)
class _Pool:
    owner: int  # the process that made it (a forked child must not use its parent's)
    public: bytes  # raw public key of the key the children hold
    executor: ProcessPoolExecutor


_pool: _Pool | None = None
_lock = threading.Lock()
_key: Ed25519PrivateKey | None = None  # in a child: the key it signs with


def tokens(
    template: TokenTemplate,
    serials: Sequence[str],
    key: Ed25519PrivateKey,
    pool_from: int = POOL_FROM,
) -> Iterator[list[str]]:
    """The tokens of `serials` (template's claims, `key`), in order, in chunks of at most
    CHUNK: the caller stores each chunk while the next ones are still being signed."""
    chunks = [serials[start : start + CHUNK] for start in range(0, len(serials), CHUNK)]
    if len(chunks) == 1 and len(serials) >= pool_from:  # one chunk still goes to every core
        share = -(-len(serials) // _cpus())
        chunks = [serials[start : start + share] for start in range(0, len(serials), share)]
    futures = _submit(template, chunks, key) if len(serials) >= pool_from else []
    done = 0
    try:
        for future in futures:
            yield future.result()
            done += 1
    except BrokenProcessPool:  # a child died (killed, out of memory): finish here
        _discard()
    finally:
        for future in futures[done:]:
            future.cancel()  # the caller stopped early (its database refused the rows)
    for chunk in chunks[done:]:
        yield [template.sign(serial, key) for serial in chunk]


def _submit(
    template: TokenTemplate, chunks: list[Sequence[str]], key: Ed25519PrivateKey
) -> list[Future[list[str]]]:
    """The chunks given to the pool whose children hold `key` (made, or replaced when it
    holds another key); none where there can be no pool or the pool broke."""
    global _pool
    if multiprocessing.current_process().daemon:  # may not have children
        return []
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with _lock:  # held while submitting, so that no other thread shuts the pool meanwhile
        if _pool is not None and _pool.owner != os.getpid():
            _pool = None  # inherited through a fork: its children belong to the parent
        if _pool is not None and (_pool.public != public or _broken(_pool.executor)):
            _pool.executor.shutdown()  # after the tasks other threads gave it
            _pool = None
        if _pool is None:
            secret = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
            executor = ProcessPoolExecutor(
                max_workers=_cpus(),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_hold,
                initargs=(secret, os.getpid()),
            )
            _pool = _Pool(os.getpid(), public, executor)
        try:
            return [_pool.executor.submit(_sign_chunk, template, chunk) for chunk in chunks]
        except BrokenProcessPool:  # broke since the check: sign in process this time
            return []


def _broken(executor: ProcessPoolExecutor) -> bool:
    """Whether a child died; the executor then refuses work (no public accessor)."""
    return bool(executor._broken)


def _discard() -> None:
    """Forget the pool if it broke: the next request starts a new one."""
    global _pool
    with _lock:
        if _pool is not None and _broken(_pool.executor):
            _pool.executor.shutdown(wait=False, cancel_futures=True)
            _pool = None


def shutdown() -> None:
    """Stop the pool's processes (after their current tasks); the next large request
    starts a new pool."""
    global _pool
    with _lock:
        found, _pool = _pool, None
    if found is not None and found.owner == os.getpid():
        found.executor.shutdown()


atexit.register(shutdown)


def processes() -> list[int]:
    """The pids of the pool's children (none before the first large request)."""
    with _lock:
        if _pool is None or _pool.owner != os.getpid():
            return []
        return sorted(_pool.executor._processes)  # no public accessor in concurrent.futures


def _cpus() -> int:
    """One child per CPU this process may run on."""
    return len(os.sched_getaffinity(0))


# ---------------------------------------------------------------- in the children
def _hold(secret: bytes, parent: int) -> None:
    """Pool initializer: keep the key, and leave if the parent goes without shutting the
    pool down (a SIGKILLed web worker): a child would otherwise wait for ever for tasks on
    a queue whose other end it holds itself (concurrent.futures does not watch for that)."""
    global _key
    _key = Ed25519PrivateKey.from_private_bytes(secret)
    threading.Thread(target=_watch, args=(parent,), daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _sign_chunk(template: TokenTemplate, serials: Sequence[str]) -> list[str]:
    assert _key is not None, "the pool's initializer sets the key"
    key = _key
    return [template.sign(serial, key) for serial in serials]
