"""Running one child process per GPU and watching them (``faceswap worker --devices``).

The children run in process groups of their own, so a Ctrl-C in a terminal reaches the parent alone. The
parent forwards SIGTERM (for a SIGTERM or a SIGINT it gets) to every child still running: each drains
(running tasks finish) and exits. A child that exits while the others run is reported, and the others
are stopped the same way: a group with a dead member ends as a whole, so whatever restarts the service
restarts all of it. The parent's exit status is the first non-zero status of a child (128 + N for a
child ended by signal N; a child still starting when asked to stop ends by the forwarded SIGTERM, which
counts as a clean stop), else 0.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import FrameType

logger = logging.getLogger(__name__)

POLL_S = 0.2
FORWARDED = (signal.SIGTERM, signal.SIGINT)
"""Signals the parent catches and passes on to every child as SIGTERM."""


@dataclass(frozen=True)
class Child:
    """One process to run: its name in the log (``gpu 1``) and its command line."""

    label: str
    argv: Sequence[str]


def exit_status(returncode: int) -> int:
    """A child's exit status as a shell reports it: ``128 + N`` for a child ended by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def supervise(children: Sequence[Child], env: Mapping[str, str] | None = None, poll_s: float = POLL_S) -> int:
    """Starts ``children`` (with ``env``, default this process's), waits for all of them to end and
    returns the exit status described in the module docstring. Must run in the main thread."""
    received: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in FORWARDED}
    running: dict[str, subprocess.Popen[bytes]] = {}
    status, stopping = 0, False

    def stop(reason: str) -> None:
        logger.warning("%s: stopping %d worker(s); running tasks finish first", reason, len(running))
        for process in running.values():
            process.send_signal(signal.SIGTERM)

    try:
        for child in children:
            running[child.label] = subprocess.Popen(
                list(child.argv), env=dict(env) if env is not None else None, process_group=0
            )
            logger.info("started worker on %s (pid %d)", child.label, running[child.label].pid)
        while running:
            if received:
                name = signal.Signals(received.pop()).name
                received.clear()
                stop(f"{name} received" + (" again" if stopping else ""))
                stopping = True
            for label, process in list(running.items()):
                returncode = process.poll()
                if returncode is None:
                    continue
                del running[label]
                code = exit_status(returncode)
                asked = stopping and returncode == -signal.SIGTERM  # ended by the SIGTERM we forwarded
                status = status or (0 if asked else code)
                if stopping:
                    logger.info("worker on %s exited with status %d", label, code)
                else:
                    logger.error("worker on %s exited with status %d while the others ran", label, code)
                    stopping = True
                    if running:
                        stop(f"worker on {label} ended")
            time.sleep(poll_s)
    finally:
        for process in running.values():  # an exception of our own: leave no child behind
            process.kill()
            process.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
