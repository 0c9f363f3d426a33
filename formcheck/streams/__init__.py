"""Every core for one video: ``formcheck analyze VIDEO --streams N`` (docs/streams.md).

The pose model, the expensive part (about 90 % of the time a frame takes), runs in N processes
at once, each on one chunk of the video; each chunk starts ``overlap_s`` seconds early so that
MediaPipe's tracker has settled before its first kept frame. This process runs everything
after the pose, measures, filters, rules, timers and report, over the stitched frames in time
order, exactly as the single-stream :func:`formcheck.pipeline.analyze` does: one coach, one
timeline. It decodes the video only for an annotated copy; otherwise the streams send each
frame's index and time with its pose, and the few pictures the report keeps are read
afterwards by seeking to their frames.

- :mod:`formcheck.streams.plan`: the chunks, the default stream count, the mask's compact form
  (no MediaPipe).
- :mod:`formcheck.streams.worker`: one stream (a process): pose on one chunk.
- :mod:`formcheck.streams.run`: :func:`analyze_streams`, the stitching.
- :mod:`formcheck.streams.pictures`: the report's pictures, read after the analysis.
"""

from __future__ import annotations

from formcheck.streams.plan import Chunk, default_streams, plan_chunks

__all__ = ["Chunk", "default_streams", "plan_chunks"]
