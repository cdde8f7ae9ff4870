"""Process handling of every command: exit codes (decided in `mapelite.errors`), SIGINT and
SIGTERM, the resume line, the watchdog, and turning user errors into one line on stderr."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import Any, NoReturn

import typer
from pydantic import ValidationError

from cli.output import err_console, make_console
from mapelite.errors import (
    EXIT_ESTIMATE_NOT_ACCEPTED,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    MapEliteError,
)


class Terminated(BaseException):
    """SIGTERM reached the CLI. A BaseException, like KeyboardInterrupt, so that no
    ``except Exception`` on the way up swallows it."""


_current_run_id: str | None = None


def note_run_started(run_id: str) -> None:
    """Remember the run in progress so an interrupted run can say how to resume it."""
    global _current_run_id
    _current_run_id = run_id


def _stopped_line(what: str) -> str:
    line = f"{what}; results written so far are in the ledger"
    if _current_run_id is not None:
        line += f"; re-run with --run-id {_current_run_id} to resume"
    return line


SIGTERM_GRACE_S = 15.0
_termination_said = threading.Event()


def arm_exit_watchdog(grace_s: float = SIGTERM_GRACE_S) -> None:
    """After a SIGTERM the process exits within ``grace_s`` whatever it is waiting on (a
    library's shutdown can block). Every result reported so far is already fsynced in the
    ledger, so a forced exit loses nothing the user was told about."""

    def force_exit() -> None:
        if not _termination_said.is_set():
            sys.stderr.write(_stopped_line("terminated") + "\n")
            sys.stderr.flush()
        os._exit(EXIT_TERMINATED)

    timer = threading.Timer(grace_s, force_exit)
    timer.daemon = True
    timer.start()


def _raise_terminated(signum: int, frame: FrameType | None) -> NoReturn:
    arm_exit_watchdog()
    raise Terminated


def _usage_error_line(exc: Exception) -> str | None:
    """The one line of a click/typer usage error, a setting that does not parse, or None.

    Typer bundles its own click (``typer._click``); all its errors derive from the public
    `typer.TyperException`, whatever click the environment also has."""
    from pydantic_settings import SettingsError

    if isinstance(exc, typer.TyperException):
        lines = exc.format_message().replace("Value error, ", "").strip().splitlines()
        return f"error: {lines[0] if lines else type(exc).__name__}"
    if isinstance(exc, SettingsError):
        field = re.search(r'field "(\w+)"', str(exc))
        name = f"MAPELITE_{field.group(1).upper()}" if field else "a setting"
        cause = f": {exc.__cause__}" if exc.__cause__ is not None else ""
        return f"error: cannot read {name} (expected JSON){cause}"
    return None


def _validation_line(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = [str(p) for p in first.get("loc", ())]
    if exc.title == "Settings" and loc:
        # Name the environment variable the user sets, not the field.
        where = f"MAPELITE_{loc[0].upper()}" + "".join(f"[{p}]" for p in loc[1:])
    else:
        where = ".".join(loc)
    message = str(first.get("msg")).removeprefix("Value error, ")
    return f"error: invalid {where}: {message}"


def run_app(typer_app: typer.Typer, argv: list[str] | None = None) -> int:
    """Run the CLI; user errors become one line on stderr and a non-zero exit code."""
    global _current_run_id
    _current_run_id = None
    previous_sigterm = install_sigterm_handler()
    try:
        return _run_app(typer_app, argv)
    finally:
        if previous_sigterm is not None:
            signal.signal(signal.SIGTERM, previous_sigterm)


def install_sigterm_handler() -> Any:
    """Make SIGTERM raise `Terminated`; returns the handler it replaced (None off the main
    thread, where handlers cannot be set, e.g. tests calling `run_app` from a thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated) or signal.SIG_DFL


def _say(line: str) -> None:
    err_console.print(line, markup=False, highlight=False)


def _run_app(typer_app: typer.Typer, argv: list[str] | None) -> int:
    try:
        # Without standalone mode click returns (not raises) the code of a `typer.Exit`.
        result = typer_app(args=argv, standalone_mode=False)
    except MapEliteError as exc:
        _say(f"error: {exc.message}")
        return exc.exit_code
    except ValidationError as exc:
        _say(_validation_line(exc))
        return EXIT_INPUT
    except KeyboardInterrupt:
        _say(_stopped_line("interrupted"))
        return EXIT_INTERRUPTED
    except Terminated:
        _say(_stopped_line("terminated"))
        _termination_said.set()
        return EXIT_TERMINATED
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        # Only the cost gate prompts: Ctrl-D (or Ctrl-C) at its question declines the estimate.
        _say("error: not confirmed; nothing was run")
        return EXIT_ESTIMATE_NOT_ACCEPTED
    except Exception as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            # A bare `map-elite` (or group): the help is the answer, on stdout; still exit 2.
            make_console().print(exc.format_message(), markup=False, highlight=False)  # type: ignore[attr-defined]
            return EXIT_INPUT
        line = _usage_error_line(exc)
        if line is None:
            raise
        _say(line)
        if isinstance(exc, typer.TyperException):
            return int(getattr(exc, "exit_code", EXIT_INPUT))
        return EXIT_INPUT
    if result == EXIT_INTERRUPTED:
        # Typer catches Ctrl-C itself and returns 130 (no command returns 130 on its own).
        _say(_stopped_line("interrupted"))
    return result if isinstance(result, int) else 0


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse for the worker commands, with the CLI's error style: one line, exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message}\n")


def positive_int(text: str) -> int:
    """argparse type of counts such as ``--concurrency``: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def run_async(main: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run`` that stops cleanly on SIGTERM and then raises the CLI's `Terminated`.

    During a flow run Prefect raises its `TerminationSignal` wherever the main thread is, and
    asyncio can swallow it there (inside a callback or a gathered task). The loop's own signal
    handler still sees the signal (through its wakeup fd) and cancels the main task, as
    asyncio does for Ctrl-C."""
    from prefect.exceptions import TerminationSignal

    terminated = False

    async def stoppable() -> None:
        main_task = asyncio.current_task()

        def on_sigterm() -> None:
            nonlocal terminated
            terminated = True
            arm_exit_watchdog()
            if main_task is not None:
                main_task.cancel()

        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, on_sigterm)
        await main

    try:
        asyncio.run(stoppable())
    except TerminationSignal as exc:
        raise Terminated from exc
    except BaseException:
        if terminated:
            raise Terminated from None
        raise
    finally:
        install_sigterm_handler()  # closing the loop left SIGTERM at its default


def help_text(doc: str | None) -> str:
    """A docstring as command help: the lines of a paragraph joined into one, so the help
    formatter wraps whole sentences to the terminal (it keeps a docstring's own line breaks,
    which would break a sentence wherever the source wrapped it); each ``Example:`` line
    stays a line of its own."""
    paragraphs = []
    for paragraph in inspect.cleandoc(doc or "").split("\n\n"):
        text = ""
        for line in paragraph.splitlines():
            line = line.strip()
            if not text:
                text = line
            elif line.startswith("Example:"):
                text += "\n" + line
            else:
                text += " " + line
        paragraphs.append(text)
    return "\n\n".join(paragraphs)


def add_command(app: typer.Typer, name: str, command: Callable[..., Any]) -> None:
    """Register ``command`` as ``name`` with its docstring as whole-sentence help."""
    app.command(name, help=help_text(command.__doc__))(command)


def single_command_main(command: Callable[..., None], argv: list[str] | None = None) -> None:
    """A program of one command (``python -m flows.swarm ...``), with the same process
    handling as ``map-elite``."""
    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    single.command(help=help_text(command.__doc__))(command)
    sys.exit(run_app(single, argv))
