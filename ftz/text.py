"""What every text field shares, whoever reads it: the characters none may hold."""

import re

# Characters no text field may hold (tab, line feed and carriage return are fine).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control(text: str) -> bool:
    """Whether a text holds a control character (NUL and the like)."""
    return CONTROL.search(text) is not None
