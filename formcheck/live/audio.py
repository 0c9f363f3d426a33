"""Audio cues for the live session: short tones and spoken prompts, never blocking the loop.

Two layers:

- a *backend* plays sounds: :class:`SystemAudio` (``espeak-ng``/``espeak`` for speech,
  ``aplay``/``paplay`` for a tone WAV written once, else the terminal bell), :class:`NullAudio`
  (``--mute``) and :class:`RecordingAudio` (tests: records which cues fired). A backend has
  ``tone(kind) -> bool`` and ``say(text) -> bool``; both return at once (the sound plays in a
  background process) and say whether the cue was started.
- :class:`AudioCues` decides *when*: a tone when a back-rounding warning starts or a hold
  completes, and the prompt on screen spoken when it changes, the same prompt at most every
  ``repeat_s`` seconds and any two utterances at least ``min_gap_s`` apart.
"""

from __future__ import annotations

import logging
import math
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from formcheck.stretches.catalogue import fault_kind

log = logging.getLogger(__name__)

#: tone kinds and their notes (frequency Hz, duration s)
TONES: dict[str, tuple[tuple[float, float], ...]] = {
    "warning": ((440.0, 0.12), (0.0, 0.05), (440.0, 0.12)),  # two low beeps: back rounding
    "complete": ((660.0, 0.12), (880.0, 0.25)),  # rising: hold completed
}


class AudioBackend(Protocol):
    def tone(self, kind: str) -> bool: ...

    def say(self, text: str) -> bool: ...

    def close(self) -> None: ...


class NullAudio:
    """No sound (``--mute``)."""

    def tone(self, kind: str) -> bool:
        return False

    def say(self, text: str) -> bool:
        return False

    def close(self) -> None:
        pass


@dataclass
class RecordingAudio:
    """Records the cues instead of playing them: ``events`` is a list of (kind, detail)."""

    events: list[tuple[str, str]] = field(default_factory=list)

    def tone(self, kind: str) -> bool:
        self.events.append(("tone", kind))
        return True

    def say(self, text: str) -> bool:
        self.events.append(("say", text))
        return True

    def close(self) -> None:
        pass


def tone_samples(notes: tuple[tuple[float, float], ...], rate: int = 22050) -> np.ndarray:
    """``notes`` ((frequency Hz, seconds); 0 Hz = silence) as mono float samples in [-0.5, 0.5]."""
    parts = []
    for freq, dur in notes:
        t = np.arange(int(rate * dur)) / rate
        if freq <= 0:
            parts.append(np.zeros_like(t))
            continue
        env = np.minimum(1.0, np.minimum(t, dur - t) / 0.01)  # 10 ms fade in and out: no click
        parts.append(0.5 * np.sin(2 * math.pi * freq * t) * env)
    return np.concatenate(parts)


def write_tone_wav(path: Path, notes: tuple[tuple[float, float], ...], rate: int = 22050) -> Path:
    """Write a mono 16-bit WAV of ``notes`` ((frequency Hz, seconds); 0 Hz = silence)."""
    pcm = (tone_samples(notes, rate) * 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


#: command-line speech and tone players, in the order they are tried
SPEAKERS = ("espeak-ng", "espeak", "say")
PLAYERS = ("aplay", "paplay", "afplay")


def _first_tool(names: tuple[str, ...]) -> str | None:
    return next((p for p in map(shutil.which, names) if p), None)


class SystemAudio:
    """Plays cues with the system's command-line tools, each in a background process.

    Speech: ``espeak-ng`` or ``espeak`` when installed, macOS's ``say``, else silent. Tones: a
    WAV written once to a temporary folder, played with ``aplay``, ``paplay`` or macOS's
    ``afplay``; without any, the terminal bell (when stderr is a terminal). One utterance at a
    time: a prompt that arrives while the previous one is still being spoken is not started
    (``say`` returns False).
    """

    def __init__(self, *, speech: bool = True, tones: bool = True) -> None:
        self.speaker = _first_tool(SPEAKERS) if speech else None
        self.player = _first_tool(PLAYERS) if tones else None
        self.tones_enabled = tones
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._wavs: dict[str, Path] = {}
        self._speech_proc: subprocess.Popen[bytes] | None = None
        self._procs: list[subprocess.Popen[bytes]] = []
        log.info(
            "audio: speech %s, tones %s",
            self.speaker or "unavailable (install espeak-ng)",
            self.player or ("terminal bell" if tones else "off"),
        )

    def _spawn(self, cmd: list[str]) -> subprocess.Popen[bytes] | None:
        self._procs = [p for p in self._procs if p.poll() is None]  # reap finished ones
        try:
            p = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        except OSError as err:
            log.debug("audio command %s failed: %s", cmd[0], err)
            return None
        self._procs.append(p)
        return p

    def _wav(self, kind: str) -> Path:
        if kind not in self._wavs:
            if self._dir is None:
                self._dir = tempfile.TemporaryDirectory(prefix="formcheck-audio-")
            notes = TONES.get(kind, TONES["warning"])
            self._wavs[kind] = write_tone_wav(Path(self._dir.name) / f"{kind}.wav", notes)
        return self._wavs[kind]

    def tone(self, kind: str) -> bool:
        if not self.tones_enabled:
            return False
        if self.player is None:
            if sys.stderr.isatty():
                sys.stderr.write("\a")
                sys.stderr.flush()
                return True
            return False
        cmd = [self.player, str(self._wav(kind))]
        if Path(self.player).stem == "aplay":
            cmd.insert(1, "-q")
        return self._spawn(cmd) is not None

    def say(self, text: str) -> bool:
        if self.speaker is None or not text:
            return False
        if self._speech_proc is not None and self._speech_proc.poll() is None:
            return False  # still speaking the previous prompt
        rate = ["-r", "180"] if Path(self.speaker).stem == "say" else ["-s", "160"]
        self._speech_proc = self._spawn([self.speaker, *rate, text])
        return self._speech_proc is not None

    def close(self) -> None:
        for p in self._procs:
            if p.poll() is None:
                try:
                    p.wait(timeout=1.0)
                except subprocess.TimeoutExpired:
                    p.kill()
        self._procs.clear()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


def make_audio(mute: bool) -> AudioBackend:
    """The backend for the ``--mute`` flag: sounddevice and pyttsx3 where they work, the
    command-line tools for the rest (:class:`formcheck.live.voices.PortableAudio`)."""
    if mute:
        return NullAudio()
    from formcheck.live.voices import PortableAudio

    return PortableAudio()


class AudioCues:
    """When to play what: ``update(now_s, warnings, just_completed, prompt)`` once a frame.

    - tone ``"warning"`` when a warning whose catalogue kind has that tone (``back_rounding``)
      starts (it was not active the frame before), at most once every ``tone_gap_s``;
    - tone ``"complete"`` when a hold completes;
    - the prompt spoken when the prompt on screen changes; the same text at most every
      ``repeat_s`` seconds, any two utterances ``min_gap_s`` apart (a prompt held back by
      these limits is spoken later if it is still on screen).

    ``muted`` can be toggled at run time. ``now_s`` is a wall clock (seconds), injectable.
    """

    def __init__(
        self,
        backend: AudioBackend,
        *,
        repeat_s: float = 4.0,
        min_gap_s: float = 1.0,
        tone_gap_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.repeat_s = repeat_s
        self.min_gap_s = min_gap_s
        self.tone_gap_s = tone_gap_s
        self.clock = clock
        self.muted = False
        self.reset()

    def reset(self) -> None:
        self._prev_warnings: frozenset[str] = frozenset()
        self._current: str | None = None
        self._announced = False
        self._last_said: dict[str, float] = {}
        self._last_any = -math.inf
        self._last_tone: dict[str, float] = {}

    def _tone(self, now: float, kind: str) -> None:
        if now - self._last_tone.get(kind, -math.inf) < self.tone_gap_s:
            return
        self._last_tone[kind] = now
        if not self.muted:
            self.backend.tone(kind)

    def update(
        self,
        warnings: tuple[str, ...] | frozenset[str] | set[str] = (),
        just_completed: bool = False,
        prompt: str | None = None,
        now_s: float | None = None,
    ) -> None:
        now = self.clock() if now_s is None else now_s
        active = frozenset(warnings)
        if any(fault_kind(k).tone == "warning" for k in active - self._prev_warnings):
            self._tone(now, "warning")
        self._prev_warnings = active
        if just_completed:
            self._tone(now, "complete")
        if prompt != self._current:
            self._current, self._announced = prompt, False
        if prompt is None or self._announced or self.muted:
            return
        if now - self._last_any < self.min_gap_s:
            return
        if now - self._last_said.get(prompt, -math.inf) < self.repeat_s:
            return
        if self.backend.say(prompt):
            self._announced = True
            self._last_said[prompt] = now
            self._last_any = now

    def close(self) -> None:
        self.backend.close()


__all__ = [
    "AudioBackend",
    "AudioCues",
    "NullAudio",
    "RecordingAudio",
    "SystemAudio",
    "make_audio",
    "tone_samples",
    "write_tone_wav",
]
