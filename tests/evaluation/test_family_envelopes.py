"""benchmarks/family_envelopes.py's envelope: the level and brightness of each segment of a clip."""

import numpy as np
import pytest

from ..conftest import load_benchmark


def envelope():
    return load_benchmark("family_envelopes").envelope


def test_a_swell_starts_below_its_peak_and_a_tone_sits_at_its_frequency():
    rate, seconds = 16000, 1.0
    t = np.arange(int(rate * seconds)) / rate
    swell = np.sin(2 * np.pi * 440 * t) * np.linspace(0.05, 1.0, len(t))
    level, centroid = envelope()(swell, rate, 0.25)
    assert len(level) == 4 and level.max() == 0.0 and level.argmax() == 3
    assert np.all(np.diff(level) > 0) and level[0] < -10  # an attack would put the peak first
    assert np.allclose(centroid, 440, rtol=0.1)
    bright = np.sin(2 * np.pi * 2000 * t)
    assert envelope()(bright, rate, 0.25)[1].min() > 1500


def test_a_clip_shorter_than_a_segment_is_refused():
    with pytest.raises(ValueError, match="shorter than one 0.25 s segment"):
        envelope()(np.zeros(100, np.float32), 16000, 0.25)
