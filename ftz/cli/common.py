"""What every command shares: one-line reasons on failure, and who is at the keyboard."""

import functools
import getpass
import re
from collections.abc import Callable
from dataclasses import replace

import typer
from pydantic import ValidationError
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError

from ftz.auth.scope import SYSTEM, Caller
from ftz.errors import FtzError, first_line

# Characters a terminal may act on (escape sequences, C1 controls, bidirectional overrides);
# line feeds and tabs are the command's own layout and stay.
_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def out(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print ``text``, with every character a terminal would act on shown escaped (``\\x1b``):
    stored data and file cells never move the cursor or recolour the screen."""
    typer.echo(_TERMINAL.sub(lambda m: m.group().encode("unicode_escape").decode(), text), err=err, nl=nl)


def fail(reason: str, code: int = 1) -> None:
    """Print a one-line reason on standard error and exit non-zero."""
    out(f"ftz: {reason}", err=True)
    raise typer.Exit(code)


def command(function: Callable) -> Callable:
    """Turn domain and database errors into the contract's one-line reason."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except FtzError as exc:
            fail(str(exc))
        except (OperationalError, ProgrammingError) as exc:
            text = str(exc.orig).lower()
            if "no such table" in text or ("does not exist" in text and "relation" in text):
                fail("the database has no schema yet: run `ftz db upgrade`")
            fail(f"database error: {first_line(exc.orig)}")
        except ValidationError as exc:  # an option a model refuses (a country of three letters)
            fail("; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors()))
        except OSError as exc:  # a path given on the command line: missing, a folder, not writable
            fail(f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else first_line(exc))
        except ArgumentError as exc:  # FTZ_DATABASE_URL that names no database SQLAlchemy can open
            fail(f"FTZ_DATABASE_URL: {first_line(exc)}")

    return wrapper


def sender() -> str:
    """Who runs the command, as the audit trail names them."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def caller() -> Caller:
    """The person at the keyboard, with the command line's full powers, named in the audit trail."""
    return replace(SYSTEM, name=sender())
