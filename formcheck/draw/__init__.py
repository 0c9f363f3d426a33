"""Annotators: the skeleton, angles and the live overlay drawn on a frame.

OpenCV drawing only: no window, no MediaPipe.
"""
