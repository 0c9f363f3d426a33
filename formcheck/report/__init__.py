"""The session report: facts, JSON schema, advice, CSV, SVG charts, the HTML page."""
