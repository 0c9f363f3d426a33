"""Measurements from landmarks, pure numpy.

Geometry, filters, the lumbar measure and the per-frame measures.
"""
