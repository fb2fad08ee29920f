"""A small real General MIDI dataset for the evaluation tests, rendered once per session."""

from pathlib import Path

import pytest

# Five programs from five families (piano, fingered bass, violin, trumpet, flute) at 4 pitches
# and 3 velocities, and 6 drums of the standard kit: 78 one-second FluidR3_GM one-shots.
EVAL_PLAN = dict(
    programs=[0, 33, 40, 56, 73],
    pitches_per_program=4,
    velocities=(50, 85, 120),
    kits=(0,),
    drum_keys=[36, 38, 42, 46, 49, 50],
    seconds=1.0,
    seed=1,
)


@pytest.fixture(scope="session")
def gm_eval_data(tmp_path_factory) -> Path:
    import fluidsynth  # noqa: F401  (pyfluidsynth: installed with the package)
    from latentaudio.data import render_soundfont_dataset
    from latentaudio.data.synth import DEFAULT_SOUNDFONT

    if not Path(DEFAULT_SOUNDFONT).is_file():
        pytest.fail(f"{DEFAULT_SOUNDFONT} is not installed (Debian package fluid-soundfont-gm)")
    folder = tmp_path_factory.mktemp("gm_eval")
    render_soundfont_dataset(folder, **EVAL_PLAN)
    return folder
