"""The history of sessions: the SQLite store and its HTML page."""
