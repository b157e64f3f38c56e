"""highspy's first `Highs()` of a process prints a banner on stdout, before any option can be set.

`plan_scenario`'s stdout is one line ("wrote PLAN: ..."), and a Celery worker's stdout is its log,
so the first instance is made with file descriptor 1 pointed at /dev/null for that one call.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

import highspy

_LOCK = threading.Lock()
_DONE = False


def quiet_first_highs() -> highspy.Highs:
    """A new `highspy.Highs` with output off; the process's first one prints nothing."""
    global _DONE
    with _LOCK:
        if not _DONE:
            _DONE = True
            h = _silenced()
            if h is not None:
                h.setOptionValue("output_flag", False)
                return h
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def _silenced() -> highspy.Highs | None:
    try:
        fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else 1
    except (OSError, ValueError):
        return None
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    saved = os.dup(fd)
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, fd)
            return highspy.Highs()
        finally:
            os.dup2(saved, fd)
            os.close(null)
    finally:
        os.close(saved)
