"""Ctrl-C and SIGTERM: stop at a safe point, never inside a native call or a report write.

formcheck stops on Ctrl-C (SIGINT) and on SIGTERM the same way: ``KeyboardInterrupt`` is raised
in the main thread, the loops end after the current frame and the report of what was measured
is written (``session.interrupted``). Two kinds of section must not be cut short:

- a MediaPipe call. The Tasks API runs each native call on a thread of its own and waits for it;
  an exception raised during that wait unwinds the frame that owns the call's input and output
  buffers while the native code still reads and writes them: a segmentation fault (seen as
  ``formcheck live`` dying with SIGSEGV when SIGTERM arrived during inference);
- saving the report: a second, impatient Ctrl-C there would lose what was measured.

Inside :func:`deferred_interrupts` a stop signal is held and raised as ``KeyboardInterrupt``
once the section has ended. The commands call :func:`install_stop_handlers` first: SIGTERM then
stops formcheck like Ctrl-C, and once a stop has begun, further signals only print one line
(formcheck is already stopping and saving what it measured); ``kill -9`` still ends it. In
library use the same handler takes over Ctrl-C from Python's default one at the first
deferred section, without that second rule. Handlers run in the main thread only; elsewhere
signals raise nothing and there is nothing to defer.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import FrameType

#: the signals that stop formcheck (Ctrl-C, and ``kill`` / a service manager)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

#: what formcheck says when a stop signal arrives while it is already stopping
STOPPING_NOTICE = "stopping: saving what was measured, one moment"


@dataclass
class _State:
    depth: int = 0  # nesting of deferred sections (main thread only)
    pending: list[int] = field(default_factory=list)  # signals held in the current section
    notices: list[str | None] = field(default_factory=list)  # innermost last
    said: bool = False  # a notice was printed (once per section or stop)
    absorb: bool = False  # commands: after the first stop, later signals only print a line
    quiet: bool = False  # print nothing (a worker process whose parent speaks for it)
    stopping: bool = False  # a stop has begun (with ``absorb``)


_state = _State()


def _say(text: str) -> None:
    if _state.said or _state.quiet:
        return
    _state.said = True
    with contextlib.suppress(Exception):  # the stream may be mid-write: never fail here
        print(f"formcheck: {text}", file=sys.stderr, flush=True)


def _on_stop(signum: int, frame: FrameType | None) -> None:
    """Raise ``KeyboardInterrupt``; hold it in a deferred section; absorb it once stopping."""
    st = _state
    if st.stopping:
        _say(STOPPING_NOTICE)
        return
    if st.absorb:
        st.stopping = True
    if st.depth == 0:
        raise KeyboardInterrupt
    st.pending.append(signum)
    notice = next((n for n in reversed(st.notices) if n), None)
    if notice:
        _say(notice)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _forget_sections() -> None:
    """A forked child runs none of its parent's deferred sections."""
    _state.depth = 0
    _state.pending.clear()
    _state.notices.clear()


os.register_at_fork(after_in_child=_forget_sections)


def install_stop_handlers(*, quiet: bool = False) -> None:
    """For a command: SIGTERM stops formcheck like Ctrl-C; once stopping, later signals only
    print one line while what was measured is saved.

    ``quiet``: print nothing (a worker process, whose parent tells the user). Does nothing
    outside the main thread (where Python cannot set handlers).
    """
    if not _in_main_thread():
        return
    st = _state
    st.absorb, st.quiet, st.stopping, st.said = True, quiet, False, False
    with contextlib.suppress(ValueError, OSError):
        for sig in STOP_SIGNALS:
            signal.signal(sig, _on_stop)


@contextlib.contextmanager
def stop_handling() -> Iterator[None]:
    """:func:`install_stop_handlers` for the length of a block (a command run in-process),
    then the handlers and the state from before."""
    global _state
    if not _in_main_thread():
        yield
        return
    saved = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    before = _state
    _state = _State(depth=before.depth, notices=list(before.notices))
    install_stop_handlers()
    try:
        yield
    finally:
        _state = before
        with contextlib.suppress(ValueError, OSError, TypeError):
            for sig, handler in saved.items():
                signal.signal(sig, handler)


def _adopt_ctrl_c() -> None:
    """Take over Ctrl-C where Python's default handler is in place (library use, tests)."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signal.SIGINT, _on_stop)


@dataclass
class Held:
    """What a deferred section held: ``signals``, the stop signals that arrived during it."""

    signals: list[int] = field(default_factory=list)


@contextlib.contextmanager
def deferred_interrupts(notice: str | None = None, *, reraise: bool = True) -> Iterator[Held]:
    """Hold Ctrl-C and SIGTERM until the block has ended, then raise ``KeyboardInterrupt``.

    Parameters
    ----------
    notice : str, optional
        Printed once (``formcheck: NOTICE`` on stderr) when a signal is held, so an impatient
        user knows formcheck heard it.
    reraise : bool
        False: do not raise at the end; the caller reads what was held from the yielded
        :class:`Held` (a shutdown that is stopping anyway).

    Nested blocks hand what they held to the outermost one, which raises once; an exception
    leaving the block wins over a held signal. Outside the main thread the block runs as is.
    """
    held = Held()
    if not _in_main_thread():
        yield held
        return
    st = _state
    _adopt_ctrl_c()
    st.notices.append(notice)
    st.depth += 1
    ok = False
    try:
        yield held
        ok = True
    finally:
        st.depth = max(st.depth - 1, 0)
        if st.notices:
            st.notices.pop()
        if st.depth == 0:
            held.signals.extend(st.pending)
            st.pending.clear()
            if not st.stopping:
                st.said = False
            if held.signals and ok and reraise:
                raise KeyboardInterrupt


def interrupt_pending() -> bool:
    """Whether a stop signal is being held by the current deferred section."""
    return bool(_state.pending)


def exit_quietly_on_interrupt(code: int) -> None:
    """From now on Ctrl-C and SIGTERM end the process at once with ``code``, no traceback.

    For the last moments of a program, once everything is saved: Python's shutdown (joining
    threads, releasing the model) would otherwise print a traceback for an impatient Ctrl-C.
    """

    def leave(signum: int, frame: FrameType | None) -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)

    if _in_main_thread():
        with contextlib.suppress(ValueError, OSError):
            for sig in STOP_SIGNALS:
                signal.signal(sig, leave)
