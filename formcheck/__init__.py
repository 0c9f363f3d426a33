"""formcheck: a computer-vision form checker for hamstring stretches.

Data flows one way: source -> pose -> metrics -> rules/timer -> (overlay | report | history).
See docs/architecture.md.
"""

__version__ = "0.1.0"
