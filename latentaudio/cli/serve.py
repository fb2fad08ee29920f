"""The ``serve`` verb: one long-lived process that keeps models loaded, so the shell's verbs skip start-up.

A ``latentaudio generate`` (or any editing verb) pays for importing torch, diffusers and
transformers and for loading the model on every call: seconds before the first sampler step.
While ``latentaudio serve`` runs, those verbs send their command line to it instead, over a Unix
socket only this user can open, and it runs them with the models it has loaded
(:func:`~latentaudio.cli.common.models_kept_loaded`): the same parser, the same code, the same
files and the same exit status as running locally, with the output streamed back as it is written.
``--local`` (or no server running) runs the verb in the calling process as always.

The protocol is JSON lines: the client sends ``{"argv": [...], "cwd": ..., "tty": ...}``; the
server answers ``{"out": text}`` and ``{"err": text}`` lines as the verb writes, then ``{"rc": n}``.
One request runs at a time (the sampler uses every core); others wait their turn.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import socketserver
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

from .common import add_model_option, positive_int

SOCKET_VARIABLE = "LATENTAUDIO_SOCKET"


def socket_path() -> Path:
    """Where the server listens: ``$LATENTAUDIO_SOCKET``, else ``latentaudio-UID/serve.sock`` under
    ``$XDG_RUNTIME_DIR`` (or the temporary folder)."""
    if os.environ.get(SOCKET_VARIABLE):
        return Path(os.environ[SOCKET_VARIABLE])
    return Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()) / f"latentaudio-{os.getuid()}" / "serve.sock"


def add_serve_command(verbs, execute: Callable[[list[str]], int]) -> None:
    """Register ``serve``; it runs each request's command line with ``execute(argv) -> exit status``."""
    serve = verbs.add_parser("serve", help="keep models loaded and run the shell's generate and editing verbs (fast start)")
    add_model_option(serve)
    serve.add_argument("--socket", default=None, help=f"Unix socket to listen on (default: ${SOCKET_VARIABLE}, else {socket_path()})")
    serve.add_argument("--keep", type=positive_int, default=2, help="how many models stay loaded at once (default 2)")
    serve.set_defaults(run=run_serve, execute=execute)


# ---------------------------------------------------------------------- client
def forward(argv: list[str], path: Optional[Path] = None) -> Optional[int]:
    """Run ``argv`` on the server at ``path`` (default :func:`socket_path`), relaying its output; its exit
    status, or ``None`` when no server of this user listens there (run locally then)."""
    path = socket_path() if path is None else Path(path)
    connection = _connect(path) if _private_to_me(path.parent) else None
    if connection is None:  # no server (no socket, or a stale one): the caller runs the verb itself
        return None
    with connection, connection.makefile("rwb") as stream:
        _send(stream, {"argv": argv, "cwd": os.getcwd(), "tty": sys.stderr.isatty()})
        for line in stream:
            message = json.loads(line)
            if "rc" in message:
                return int(message["rc"])
            for key, out in (("out", sys.stdout), ("err", sys.stderr)):
                if key in message:
                    out.write(message[key])
                    out.flush()
    print("latentaudio: error: the server stopped before the verb finished; run it again (or with --local).", file=sys.stderr)
    return 1


def _connect(path: Path) -> Optional[socket.socket]:
    """A connection to the server listening at ``path``, or ``None`` when none listens there."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(str(path))
    except OSError:
        connection.close()
        return None
    return connection


def _private_to_me(folder: Path) -> bool:
    """Whether ``folder`` is this user's and closed to everyone else (so is any socket in it)."""
    try:
        info = folder.stat()
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)


def _send(stream, message: dict) -> None:
    stream.write(json.dumps(message).encode() + b"\n")
    stream.flush()


# ---------------------------------------------------------------------- server
class _Relay:
    """A text stream whose writes go to the client as ``{key: text}`` lines (progress bars included)."""

    def __init__(self, stream, key: str, tty: bool):
        self.stream, self.key, self.tty = stream, key, tty
        self.encoding = "utf-8"

    def write(self, text: str) -> int:
        if text:
            _send(self.stream, {self.key: text})
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return self.tty


def run_serve(args) -> int:
    from .common import load_model, models_kept_loaded

    path = Path(args.socket) if args.socket else socket_path()
    _claim(path)
    with models_kept_loaded(args.keep) as models:
        started = time.perf_counter()
        load_model(args.model, device=args.device, dtype=args.dtype, runtime=args.runtime)  # the first request's model, ready
        loaded = time.perf_counter() - started
        handler = _handler(args.execute)
        server = socketserver.UnixStreamServer(str(path), handler, bind_and_activate=False)
        previous = signal.signal(signal.SIGTERM, _stop)
        try:
            old_mask = os.umask(0o077)
            try:
                server.server_bind()
            finally:
                os.umask(old_mask)
            server.server_activate()
            print(f"Loaded {args.model or 'the default model'} in {loaded:.1f} s. Serving on {path}: `latentaudio generate`, "
                  "`instrument`, `pack`, `render` and the editing verbs in this user's shells now run here (Ctrl+C stops).",
                  flush=True)
            server.serve_forever()
        except (KeyboardInterrupt, _Stop):
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            server.server_close()
            path.unlink(missing_ok=True)
            print(f"Stopped serving on {path} ({models.loads} model load(s)).", flush=True)
    return 0


class _Stop(BaseException):
    """SIGTERM: stop serving, even in the middle of a request (a verb turns KeyboardInterrupt into its exit status)."""


def _stop(signum, frame):
    raise _Stop


def _claim(path: Path) -> None:
    """Make ``path``'s folder private to this user and clear a stale socket; refuse one a live server holds."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not _private_to_me(path.parent):
        raise ValueError(f"{path.parent} must belong to this user and be closed to others (chmod 700) to hold the server's socket.")
    if path.exists() or path.is_symlink():
        live = _connect(path)
        if live is None:
            path.unlink()  # left by a server that died
        else:
            live.close()
            raise ValueError(f"A latentaudio server is already serving on {path}; stop it first or pass another --socket.")


def _handler(execute: Callable[[list[str]], int]):
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            request = json.loads(self.rfile.readline() or b"{}")
            argv, started = [str(word) for word in request.get("argv", [])], time.perf_counter()
            here = os.getcwd()
            out, err = _Relay(self.wfile, "out", False), _Relay(self.wfile, "err", bool(request.get("tty")))
            try:
                try:
                    os.chdir(request.get("cwd") or here)
                except OSError as error:
                    err.write(f"latentaudio: error: the server cannot work in {request.get('cwd')!r}: {error.strerror}; use --local.\n")
                    rc = 1
                else:
                    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                        rc = execute(argv)
                _send(self.wfile, {"rc": rc})
            except (BrokenPipeError, ConnectionResetError):  # the client went away (Ctrl+C): drop its run
                rc = "dropped"
            finally:
                os.chdir(here)
            print(f"{' '.join(argv[:1])}: {rc} in {time.perf_counter() - started:.2f} s", flush=True)

    return Handler
