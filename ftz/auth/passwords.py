"""What a password must be: long enough, not the account name, not a repeated pattern, and not
easy to guess (zxcvbn: common passwords, words, names, keyboard walks, dates)."""

import re
import threading

from zxcvbn import zxcvbn

from ftz.config import get_settings
from ftz.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 1024
# zxcvbn refuses longer inputs (its matching grows faster than linearly); the first 72
# characters are judged, the rest can only make a password stronger.
JUDGED = 72
# "aaaaaaaaaaaa", "            ", "abcabcabcabc": one character or group, repeated.
_REPEATED = re.compile(r"(.+?)\1+", re.DOTALL)
# zxcvbn keeps the user inputs of a call in a module-level dictionary: one call at a time.
_zxcvbn_lock = threading.Lock()


def check(password: str, *, name: str) -> None:
    """Raise InvalidInput, with the reason in one line, unless ``password`` may be used by ``name``."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"a password has at most {MAX_LENGTH} characters")
    folded, account = password.casefold(), name.strip().casefold()
    if account and len(folded.replace(account, "")) < MIN_LENGTH:
        raise InvalidInput("a password is not the account name, nor the name with a few characters added")
    if _REPEATED.fullmatch(password):
        raise InvalidInput('a password is not one character or group repeated (like "aaaa" or "abcabc")')
    with _zxcvbn_lock:
        parts = [part for part in re.split(r"[\W_]+", account) if len(part) >= 3]
        verdict = zxcvbn(password[:JUDGED], user_inputs=[account, *parts])
    if verdict["score"] < get_settings().password_min_score:
        warning = verdict["feedback"]["warning"].rstrip(".")
        reason = warning[:1].lower() + warning[1:] if warning else "add another word or two, uncommon ones"
        raise InvalidInput(f"the password is too easy to guess: {reason}")
