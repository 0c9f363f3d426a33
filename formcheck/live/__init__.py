"""Live coaching: capture, window, audio cues, guided plans, the session loop."""
