"""Delivery of pending background updates when the process ends.

Every client that has enqueued in this process is held here until it is closed, so its pending
updates can be delivered at exit, each client within its own ``exit_timeout``. Interpreter exit
runs ``atexit``; a ``multiprocessing`` child started by fork leaves through ``os._exit``, which
skips ``atexit`` but runs multiprocessing's own finalizers, so one is registered there too.
A process that ends with a bare ``os._exit`` runs neither: call ``flush()`` before it.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import Optional

from . import _native

_lock = threading.Lock()
_clients: set[_native.NativeClient] = set()
# The process whose exit is provided for. Forked children inherit the atexit registration but
# not multiprocessing's finalizers, so each new process checks once on its first enqueue.
_armed_pid: Optional[int] = None


def track(native: _native.NativeClient) -> None:
    """Called on a client's first enqueue in this process."""
    global _armed_pid
    with _lock:
        _clients.add(native)
        pid = os.getpid()
        if _armed_pid == pid:
            return
        _armed_pid = pid
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None and multiprocessing.parent_process() is not None:
        from multiprocessing import util

        # Priority above the default 0: runs before the pool and queue finalizers, while the
        # child can still do everything a flush needs.
        util.Finalize(None, close_all, exitpriority=100)


def forget(native: _native.NativeClient) -> None:
    """Called when a client is closed: nothing is left for the exit to do."""
    with _lock:
        _clients.discard(native)


def close_all() -> None:
    """Closes every client that enqueued, each within its ``exit_timeout``. A client the
    process inherited through fork and never used here has nothing of this process's to send:
    the parent's pending updates stay the parent's."""
    with _lock:
        clients = list(_clients)
        _clients.clear()
    for native in clients:
        native.close_at_exit()


def _after_fork_in_child() -> None:
    # Another thread of the parent may have held the lock at the fork; it never lets go here.
    global _lock
    _lock = threading.Lock()


atexit.register(close_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
