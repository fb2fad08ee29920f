"""``repeats``: rows chosen by a metadata column trained several times per epoch, or a one-line error."""

from collections import Counter

import pytest

from latentaudio.cli import main
from latentaudio.training.batches import split_datasets
from latentaudio.training.config import DiffusionTrainingConfig

from .conftest import train_args


def training_rows(data, repeats):
    train, _ = split_datasets(data, DiffusionTrainingConfig(repeats=repeats), validation=False, seconds=0.5)
    return train.dataset, Counter(train.indices)


def test_matching_training_rows_come_that_many_times_per_epoch(gm_data):
    dataset, plain = training_rows(gm_data, {})
    assert len(plain) == 10 and set(plain.values()) == {1}
    _, counts = training_rows(gm_data, {"family": {"Brass": 3}})
    assert counts.keys() == plain.keys()  # the same rows: validation and test rows stay out
    brass = {row for row in plain if dataset.entries[row].columns["family"] == "Brass"}
    assert 0 < len(brass) < 10
    assert all(counts[row] == (3 if row in brass else 1) for row in plain)
    assert sum(counts.values()) == 10 + 2 * len(brass)


def test_values_compare_as_text_and_the_larger_count_wins(gm_data):
    _, by_family = training_rows(gm_data, {"family": {"Brass": 2}})
    _, by_program = training_rows(gm_data, {"program": {56: 2}})  # the trumpet, read as an integer from YAML
    assert by_program == by_family
    _, both = training_rows(gm_data, {"family": {"Brass": 2}, "program": {56: 5, 0: 3}})
    assert sorted(set(both.values())) == [1, 3, 5]


@pytest.mark.parametrize("repeats, message", [
    ({"family": {"Drums": 4}}, "repeats: no training row has family='Drums'; its values include ['Bass', 'Brass', 'Piano']."),
    ({"genre": {"house": 2}}, "repeats: no training row has genre='house'; no row has a 'genre' column."),
])
def test_a_value_no_training_row_has_is_named(gm_data, repeats, message):
    with pytest.raises(ValueError) as error:
        training_rows(gm_data, repeats)
    assert str(error.value) == message


@pytest.mark.parametrize("value", [{"family": {"Drums": 0}}, {"family": {"Drums": 1.5}}, {"family": ["Drums"]}, ["Drums"],
                                   {"family": {}}])
def test_bad_repeats_are_refused_when_the_config_is_read(tmp_path, value):
    path = tmp_path / "bad.yaml"
    path.write_text(f"repeats: {value}\n")
    with pytest.raises(ValueError, match=r"^Invalid training setting repeats=.* expected a mapping of metadata columns"):
        DiffusionTrainingConfig.from_yaml(path)


def test_the_trainer_reads_repeats_and_stops_in_one_line(tiny_pipe_dir, gm_data, tmp_path, capsys):
    config = tmp_path / "drums.yaml"
    config.write_text("repeats: {family: {Drums: 4}}\nmax_steps: 1\nbatch_size: 2\n")
    args = train_args("train diffusion", tiny_pipe_dir, gm_data, tmp_path / "out") + ["--config", str(config)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "error: repeats: no training row has family='Drums'" in err and "Traceback" not in err


def test_repeats_is_a_setting_a_resumed_run_must_keep():
    assert "repeats" in DiffusionTrainingConfig(repeats={"family": {"Drums": 4}}).resume_settings()
