"""A pipeline folder with some of its components taken from other runs: what the codec recipes hand on.

    python configs/music_model/swap_components.py OUT BASE [--vae RUN] [--vocoder RUN]

BASE is a pipeline folder or an embedded model's name (``music``); each RUN is a pipeline folder holding the
component (the ``--output`` of ``latentaudio train vae`` / ``vocoder``). OUT is BASE's files without its exports
(``standalone/``, ONNX graphs: they hold the old components) and with each named component's folder replaced by the
run's. The result is loaded once, so a component that does not fit (another mel, another latent) fails here and not
in the next stage.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

COMPONENTS = ("vae", "vocoder")


def main() -> None:
    from latentaudio import LatentAudioPipeline
    from latentaudio.model_folder import model_location

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="pipeline folder to write (replaced)")
    parser.add_argument("base", help="pipeline folder, or an embedded model's name")
    for component in COMPONENTS:
        parser.add_argument(f"--{component}", type=Path, default=None, help=f"the run whose {component} to take")
    args = parser.parse_args()
    swaps = {component: getattr(args, component) for component in COMPONENTS if getattr(args, component) is not None}
    for component, run in swaps.items():
        if not (run / component).is_dir():
            raise SystemExit(f"{run} has no {component}/ folder; expected the --output of `latentaudio train {component}`.")
    shutil.rmtree(args.output, ignore_errors=True)
    shutil.copytree(model_location(args.base), args.output, ignore=shutil.ignore_patterns("standalone", "*.onnx"))
    for component, run in swaps.items():
        shutil.rmtree(args.output / component)
        shutil.copytree(run / component, args.output / component)
    try:
        LatentAudioPipeline.from_pretrained(args.output)
    except ValueError as error:
        shutil.rmtree(args.output)
        raise SystemExit(f"The components do not fit together ({error}); nothing written.") from None
    print(f"wrote {args.output}: {args.base} with {', '.join(f'{c} of {r}' for c, r in swaps.items()) or 'nothing swapped'}")


if __name__ == "__main__":
    main()
