"""The web studio: ``latentaudio demo`` serves every verb in the browser (Gradio).

:func:`serve` keeps every file the studio and Gradio write in one temporary folder, removed when
the server stops, turns Gradio's analytics off, and serves only what the page needs from the
machine itself (no CDN, no hub). The page is :mod:`.app`; what it runs is :mod:`.studio`.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from typing import Optional


def serve(model: Optional[str] = None, host: str = "127.0.0.1", port: int = 7860, queue: bool = True) -> None:
    """Load ``model`` (default: the embedded one) and serve the studio on ``http://host:port`` until interrupted.

    Raises:
        ImportError: Gradio is not installed (``pip install "latentaudio[demo]"``).
        ModelFolderError: The model does not load.
    """
    if "gradio" in sys.modules:
        raise RuntimeError("serve() must import Gradio itself, to point its files at the studio's temporary folder.")
    # SIGTERM stops the studio like Ctrl+C, so the folder is removed however it is stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="latentaudio-studio-") as folder:
        # Gradio reads these when it is imported: its uploads and cached outputs go to our folder, no analytics.
        os.environ["GRADIO_TEMP_DIR"] = folder
        os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from .app import THEME, build_app
        except ImportError as error:
            raise ImportError(f"The studio needs Gradio ({error}); install it with: pip install \"latentaudio[demo]\"") from error
        from .studio import Studio

        app = build_app(Studio(model, folder), queue=queue)
        print(f"Studio files go to {folder} (removed when the server stops).", flush=True)
        app.launch(server_name=host, server_port=port, share=False, theme=THEME, ssr_mode=False, mcp_server=False,
                   pwa=False, show_error=True, footer_links=[], enable_monitoring=False)
