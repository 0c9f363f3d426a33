"""formcheck: a computer-vision form checker for hamstring stretches.

Data flows one way: source -> pose -> metrics -> rules/timer -> (overlay | report | history).
See docs/architecture.md.
"""

import os as _os

__version__ = "0.1.0"

# OpenCV's FFmpeg backend and MediaPipe print native log lines (e.g. "moov atom not found")
# that a user cannot act on; formcheck says what went wrong in one line of its own instead.
# FORMCHECK_NATIVE_LOGS=1 keeps them, for debugging.
if _os.environ.get("FORMCHECK_NATIVE_LOGS") != "1":
    _os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")
    _os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    _os.environ.setdefault("GLOG_minloglevel", "2")
