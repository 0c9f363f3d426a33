"""Input and output at the edges.

Frame sources (video, photo, camera), sinks, atomic writes, the process's native log lines.
"""
