"""A look inside MP4/MOV containers without decoding them (to explain why one cannot open)."""

from __future__ import annotations

from pathlib import Path


def mp4_cut_short(path: Path) -> bool:
    """Return True when ``path`` is an MP4/MOV whose top-level boxes run past the end of the file.

    A recording that stopped before the camera app finished it (battery, crash, a copy that
    broke off) has its ``mdat`` box cut and lacks the ``moov`` index, which FFmpeg needs.
    """
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 8 or head[4:8] != b"ftyp":
                return False
            pos = 0
            seen_moov = False
            while pos + 8 <= size:
                fh.seek(pos)
                hdr = fh.read(16)
                box = int.from_bytes(hdr[0:4], "big")
                kind = hdr[4:8]
                if box == 1 and len(hdr) >= 16:
                    box = int.from_bytes(hdr[8:16], "big")
                elif box == 0:
                    box = size - pos
                if box < 8:
                    return False
                seen_moov = seen_moov or kind == b"moov"
                if pos + box > size:
                    return True
                pos += box
            return not seen_moov
    except OSError:
        return False
