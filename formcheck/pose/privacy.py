"""Privacy: MediaPipe's usage reports to Google are switched off before any landmarker.

See docs/privacy.md. ``GOOGLE_SANDBOX_NO_NETWORK`` is set in ``formcheck/__init__.py`` (it must be
set before the library loads).
"""

from __future__ import annotations

import threading

_USAGE_LOCK = threading.Lock()
_usage_logging_off: bool | None = None  # None: not tried yet in this process
#: mediapipe::tasks::core::logging::google_internal::HttpLoggingClient::LogEvent(...)
_LOG_EVENT = (
    b"_ZN9mediapipe5tasks4core7logging15google_internal17HttpLoggingClient8LogEvent"
    b"ERKN4logs5proto9mediapipe21MediaPipeLogExtensionE"
)
_LOG_EVENT_START = b"\x55\x48\x89\xe5"  # push %rbp; mov %rsp,%rbp: the build this knows


def stop_mediapipe_usage_logging() -> bool:
    """Switch off MediaPipe's usage reports to Google in this process; True when they are off.

    libmediapipe.so gives every task (``PoseLandmarker``...) a logger whose
    ``HttpLoggingClient`` queues usage events and posts them with libcurl to
    ``https://play.googleapis.com/log`` when the task closes and once a minute while it runs.
    No option, environment variable or C API call turns that off, so this makes
    ``HttpLoggingClient::LogEvent`` return at once: its first instruction becomes ``ret`` in
    this process's copy of the library (the file is not changed). Nothing is queued, nothing is
    posted, no socket is opened.

    Call it before creating a MediaPipe task (it loads the library the way MediaPipe does);
    it patches once and is free afterwards. On a build it does not know (not x86-64 Linux, the
    function renamed or its code changed) it touches nothing and returns False; then
    tests/test_no_network.py fails instead of the reports going out unnoticed.
    """
    global _usage_logging_off
    with _USAGE_LOCK:
        if _usage_logging_off is None:
            try:
                _usage_logging_off = _patch_log_event()
            except Exception as err:  # never stop an analysis over this (the test catches it)
                import logging

                logging.getLogger(__name__).debug("MediaPipe usage logging left on: %r", err)
                _usage_logging_off = False
        return _usage_logging_off


def _elf_function(path: str, name: bytes) -> int | None:
    """The offset of function ``name`` from the load address of the x86-64 ELF file ``path``."""
    import mmap
    import struct

    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as elf:
        if elf[:5] != b"\x7fELF\x02" or struct.unpack_from("<H", elf, 0x12)[0] != 62:
            return None  # not 64-bit x86-64
        (shoff,) = struct.unpack_from("<Q", elf, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
        headers = [struct.unpack_from("<IIQQQQI", elf, shoff + i * shentsize) for i in range(shnum)]
        symtab = next((h for h in headers if h[1] == 2), None)  # SHT_SYMTAB
        if symtab is None:
            return None  # stripped
        sym_start, sym_end = symtab[4], symtab[4] + symtab[5]
        strtab = headers[symtab[6]]  # sh_link: the symbol names
        str_start, str_end = strtab[4], strtab[4] + strtab[5]
        at = elf.find(b"\0" + name + b"\0", str_start, str_end)
        if at < 0:
            return None
        key = struct.pack("<I", at + 1 - str_start)  # st_name: the first field of an Elf64_Sym
        pos = elf.find(key, sym_start, sym_end)
        while pos >= 0 and (pos - sym_start) % 24:
            pos = elf.find(key, pos + 1, sym_end)
        if pos < 0:
            return None
        _, info, _, _, value, _ = struct.unpack_from("<IBBHQQ", elf, pos)
        return int(value) if info & 0xF == 2 else None  # STT_FUNC


def _patch_log_event() -> bool:
    import ctypes
    import mmap
    import sys

    if not sys.platform.startswith("linux"):
        return False
    from mediapipe.tasks.python.core import mediapipe_c_bindings

    lib = mediapipe_c_bindings.load_raw_library()  # the same handle MediaPipe uses
    offset = _elf_function(lib._name, _LOG_EVENT)
    if offset is None:
        return False

    class DlInfo(ctypes.Structure):
        _fields_ = [
            ("dli_fname", ctypes.c_char_p),
            ("dli_fbase", ctypes.c_void_p),
            ("dli_sname", ctypes.c_char_p),
            ("dli_saddr", ctypes.c_void_p),
        ]

    libc = ctypes.CDLL(None, use_errno=True)
    libc.dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(DlInfo)]
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    loaded = DlInfo()
    symbol = ctypes.cast(lib.MpErrorFree, ctypes.c_void_p)
    if not libc.dladdr(symbol, ctypes.byref(loaded)) or not loaded.dli_fbase:
        return False
    address = loaded.dli_fbase + offset
    if ctypes.string_at(address, len(_LOG_EVENT_START)) != _LOG_EVENT_START:
        return False
    page = address & ~(mmap.PAGESIZE - 1)
    # readable, writable and executable while the byte changes: other threads may run that page
    if libc.mprotect(page, mmap.PAGESIZE, 7) != 0:
        return False
    ctypes.memmove(address, b"\xc3", 1)  # ret
    libc.mprotect(page, mmap.PAGESIZE, 5)  # readable and executable again
    return True
