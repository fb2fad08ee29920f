"""A small real dataset rendered once per session from FluidR3_GM (Debian fluid-soundfont-gm)."""

from pathlib import Path

import pytest

from latentaudio.data.synth import DEFAULT_SOUNDFONT

# Piano, violin (its top note, 103, is outside FluidR3's samples and renders silent) and flute,
# at 2 pitches and 2 velocities, plus 4 drums of the standard kit.
SMALL_PLAN = dict(
    programs=[0, 40, 73],
    pitches_per_program=2,
    velocities=(40, 112),
    kits=(0,),
    drum_keys=[36, 38, 42, 49],
    seconds=1.0,
    seed=3,
)


@pytest.fixture(scope="session")
def soundfont() -> Path:
    path = Path(DEFAULT_SOUNDFONT)
    if not path.is_file():
        pytest.fail(f"{path} is missing: `apt-get install fluid-soundfont-gm libfluidsynth3` (see the README).")
    return path


@pytest.fixture(scope="session")
def gm_dataset(tmp_path_factory, soundfont):
    """BuildResult of SMALL_PLAN; tests must not write into its folder."""
    from latentaudio.data import render_soundfont_dataset

    return render_soundfont_dataset(tmp_path_factory.mktemp("gm"), soundfont=soundfont, **SMALL_PLAN)
