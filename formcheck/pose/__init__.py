"""The pose stage, the only MediaPipe user.

:mod:`~formcheck.pose.estimator` (MediaPipe's ``PoseLandmarker``), :mod:`~formcheck.pose.models`
(model provisioning: manifest, official download, offline build, verification) and
:mod:`~formcheck.pose.privacy`; :mod:`~formcheck.pose.frame` (:class:`PoseFrame`) and
:mod:`~formcheck.pose.options` (:class:`PoseOptions`) are MediaPipe-free, for the stages after
pose to import.
"""
