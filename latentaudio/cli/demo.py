"""The ``demo`` verb: the web studio on a model (Gradio loads only when the verb runs)."""

from __future__ import annotations

from .common import add_model_option, positive_int


def add_demo_command(verbs) -> None:
    """Register ``demo`` on the ``latentaudio`` subparsers."""
    demo = verbs.add_parser("demo", help="the web studio: every verb in the browser")
    add_model_option(demo)
    demo.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1: this machine only)")
    demo.add_argument("--port", type=positive_int, default=7860, help="port (default 7860)")
    demo.add_argument("--no-queue", action="store_true",
                      help="serve requests without the queue (no progress bar, no Stop; runs still take turns)")
    demo.set_defaults(run=run_demo)


def run_demo(args) -> int:
    from ..demo import serve

    serve(args.model, args.host, args.port, queue=not args.no_queue)
    return 0
