"""The pose stage: the only MediaPipe user (estimator, model provisioning, privacy)."""
