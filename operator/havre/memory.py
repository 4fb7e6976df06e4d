"""Keep the operator's resident memory from growing with its threads.

glibc gives each thread that allocates while another holds the main heap an arena of its
own, up to eight per core, and returns little of an arena to the system. The operator's
threads are many (kopf's workers, the repair and revocation threads, the few requests of a
reconcile in flight): at 150 workspaces being provisioned, a look at the operator's memory
map showed some 180 MiB in thread arenas beside the main heap, for about 50 MiB of Python
objects. Two arenas are enough for threads that mostly wait on the network.

Called first thing, before any thread starts. A ``MALLOC_ARENA_MAX`` in the environment
wins (the operator's administrator decided); elsewhere than glibc, nothing happens.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

#: glibc's ``M_ARENA_MAX`` parameter of ``mallopt``.
M_ARENA_MAX = -8
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas; True when the cap was set."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))
