"""Spread a large batch of independent work over the machine's cores.

Work is handed to forked processes by index: a child inherits the parent's
memory (the items, the plan) when it is forked, so only indices go down the
pipe and only results come back. Batches amortise the hand-over. Below
MIN_ITEMS, or with one core, or where fork is unsafe (serve, whose threads are
running), the work runs in this process: a small site is never slower for it.

Memory is what this module watches most. Pages a child inherits are shared
with the parent until either writes to them, and merely reading a Python
object writes to it (its reference count), so a long-lived child slowly
copies every page its work touches: with 10,000 items each child ended up
with a private copy of most of the site. Hence:

- a worker is retired after RECYCLE batches and a fresh one forked in its
  place, which starts again sharing everything;
- the first batch runs in this process before any fork, so whatever the job
  builds once and keeps (a Jinja environment, a Markdown parser) is built
  once and inherited, not built again by every worker;
- results are taken in order and only a few batches run ahead of the one
  the caller is waiting for, so results never pile up here;
- no helper threads (multiprocessing.Pool has three): the caller's own
  writes never wait for the interpreter lock held by a thread unpickling.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # multiprocessing loads with the first pool or fork: a build that renders a few pages needs neither
    from multiprocessing.connection import Connection

T = TypeVar("T")

MIN_ITEMS = 400  # below this, starting processes costs more than it saves
BATCH = 32
RECYCLE = 16  # batches a worker runs before a fresh fork replaces it
AHEAD = 2  # batches handed to each worker before its first result is back

_JOB: Callable[[Any], Any] | None = None
_forbidden = False


class WorkerFailed(RuntimeError):
    """A worker process died or its job raised; the message carries the child's traceback."""


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def forbid_fork() -> None:
    """Called once threads start (serve): forking a threaded process can deadlock a child."""
    global _forbidden
    _forbidden = True


def use_pool(count: int, enabled: bool = True) -> bool:
    return enabled and not _forbidden and count >= MIN_ITEMS and cores() > 1 and _has_fork()


def _has_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _run_batch(batch: Sequence[Any]) -> list[Any]:
    assert _JOB is not None
    return [_JOB(argument) for argument in batch]


def _child(tasks: Connection, results: Connection, limit: int) -> None:
    """A worker's life: up to `limit` batches (number, arguments) in, (number, ok, results) out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle, and it ends us
    for _ in range(limit):
        try:
            task = tasks.recv()
        except EOFError:
            return
        if task is None:
            return
        number, batch = task
        try:
            reply: tuple[int, bool, Any] = (number, True, _run_batch(batch))
        except BaseException as exc:  # noqa: BLE001 - the parent raises it
            reply = (number, False, (exc, traceback.format_exc()))
        try:
            results.send(reply)
        except (pickle.PicklingError, TypeError, AttributeError):  # an exception or a result pickle cannot take
            results.send((number, False, (None, traceback.format_exc())))


_OPEN: set[Connection] = set()  # this process's ends of its workers' pipes, which a new worker must not keep


class _Worker:
    """One forked child, and the numbers of the batches it was given and has not returned."""

    def __init__(self, limit: int):
        import multiprocessing

        task_read, self.tasks = multiprocessing.Pipe(duplex=False)
        self.results, result_write = multiprocessing.Pipe(duplex=False)
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into the caller's code
            code = 1
            try:
                for connection in (*_OPEN, self.tasks, self.results):
                    connection.close()
                _child(task_read, result_write, limit)
                code = 0
            finally:
                os._exit(code)
        task_read.close()
        result_write.close()
        _OPEN.update((self.tasks, self.results))
        self.left = limit  # batches it will still take
        self.pending: deque[int] = deque()

    def give(self, number: int, batch: Sequence[Any]) -> None:
        try:
            self.tasks.send((number, batch))
        except OSError:
            raise WorkerFailed(f"a worker process (pid {self.pid}) died") from None
        self.pending.append(number)
        self.left -= 1

    def stop(self, kill: bool = False) -> None:
        if kill:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            try:
                self.tasks.send(None)
            except OSError:
                pass  # it had run its share and left
        for connection in (self.tasks, self.results):
            _OPEN.discard(connection)
            connection.close()
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def imap_in_pool(job: Callable[[Any], T], arguments: Sequence[Any], enabled: bool = True, batch: int = BATCH) -> Iterator[T]:
    """job(argument) for each argument, in order, as results arrive.

    `job` is any callable (a job object holding its data, say): forked
    workers inherit it, so it is never pickled and no module global need
    hand it over; only arguments go down the pipe and results come back.
    """
    global _JOB
    if not use_pool(len(arguments), enabled):
        for argument in arguments:
            yield job(argument)
        return
    batches = [arguments[start : start + batch] for start in range(0, len(arguments), batch)]
    _JOB = job
    try:
        yield from _run_batch(batches[0])  # here, before any fork: see the module's docstring
        yield from _in_workers(batches, 1)
    finally:
        _JOB = None


def _in_workers(batches: list[Sequence[Any]], start: int) -> Iterator[Any]:
    from multiprocessing.connection import wait

    slots: list[_Worker | None] = [None] * min(cores(), len(batches) - start)
    ahead = 2 * AHEAD * len(slots)  # batches handed out beyond the one awaited
    done: dict[int, list[Any]] = {}  # results back before their turn
    following = wanted = start  # the next batch to hand out; the next to yield
    clean = False
    try:
        while wanted < len(batches):
            for index, worker in enumerate(slots):
                if worker is not None and not worker.left and not worker.pending:
                    worker.stop()  # retired: it ran its RECYCLE batches
                    worker = slots[index] = None
                if worker is None and following < len(batches):
                    worker = slots[index] = _Worker(RECYCLE)
                while worker is not None and worker.left and len(worker.pending) < AHEAD and following < min(len(batches), wanted + ahead):
                    worker.give(following, batches[following])
                    following += 1
            busy = {w.results: w for w in slots if w is not None and w.pending}
            if not busy:
                raise WorkerFailed("no worker has the awaited batch")  # a guard: cannot happen
            for connection in wait(list(busy)):
                worker = busy[connection]
                try:
                    number, ok, payload = connection.recv()
                except EOFError:
                    raise WorkerFailed(f"a worker process (pid {worker.pid}) died") from None
                worker.pending.remove(number)
                if not ok:
                    exc, text = payload
                    if isinstance(exc, BaseException):
                        raise exc from WorkerFailed(text)
                    raise WorkerFailed(text)
                done[number] = payload
            while wanted in done:
                yield from done.pop(wanted)
                wanted += 1
        clean = True
    finally:
        for worker in slots:
            if worker is not None:
                worker.stop(kill=not clean)


def map_in_pool(job: Callable[[Any], T], arguments: Sequence[Any], enabled: bool = True, batch: int = BATCH) -> list[T]:
    return list(imap_in_pool(job, arguments, enabled, batch))


def can_fork() -> bool:
    """Whether work may run in a forked child here (not in serve, whose threads run; not where fork is missing)."""
    return not _forbidden and _has_fork()


def run_forked(job: Callable[[], T]) -> T:
    """job() in a forked child, its result pickled back; the child's exception is raised here as WorkerFailed.

    For work that leaves this process holding memory it no longer needs:
    Python keeps freed memory for its next objects (a heap of 10,000 items
    stays ~150 MB after they are all freed), while a child's whole heap goes
    back to the system when it exits.
    """
    import multiprocessing

    results, result_write = multiprocessing.Pipe(duplex=False)
    sys.stdout.flush()  # what is buffered now is the parent's to write, once, not the child's too
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        code = 1
        try:
            _end_with(parent)
            for connection in (*_OPEN, results):
                connection.close()
            try:
                reply: tuple[bool, Any] = (True, job())
            except BaseException as exc:  # noqa: BLE001 - the parent raises it
                reply = (False, (exc, traceback.format_exc()))
            try:
                result_write.send(reply)
            except (pickle.PicklingError, TypeError, AttributeError):
                result_write.send((False, (None, traceback.format_exc())))
            code = 0
        finally:
            try:
                sys.stdout.flush()  # os._exit skips it: what the child printed (progress) would be lost
                sys.stderr.flush()
            finally:
                os._exit(code)
    result_write.close()
    try:
        ok, value = results.recv()
    except EOFError:
        raise WorkerFailed(f"a build process (pid {pid}) died") from None
    finally:
        results.close()
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    if ok:
        return value  # type: ignore[no-any-return]
    exc, trace = value
    if isinstance(exc, BaseException):  # raised as it was, so a caller catches what it would have caught in-process
        exc.add_note(f"raised in a forked process:\n{trace}")
        raise exc
    raise WorkerFailed(f"a forked process failed:\n{trace}")


def _end_with(parent: int) -> None:
    """Have the kernel kill this child when its parent dies (Linux), so a killed build leaves no process writing on."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the call
        os._exit(1)
