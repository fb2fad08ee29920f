"""The evaluate command end to end on a tiny random pipeline, and its small helpers."""

import argparse
import json
import shutil

import pytest

from latentaudio.cli import main
from latentaudio.cli.evaluate import step_list
from latentaudio.evaluation.evaluate import PITCHED_FAMILIES, evenly_spaced, format_report

from ..conftest import load_benchmark

SECTIONS = ("setup", "embedding", "vae", "vocoder", "generation", "ceiling", "reconstruction", "floor", "baseline")


def targets_script():
    """benchmarks/default_model_targets.py, which holds the default-model issue's targets."""
    return load_benchmark("default_model_targets")


def test_evaluate_writes_every_section(tiny_pipe_dir, gm_eval_data, tmp_path, capsys):
    report_path = tmp_path / "out" / "report.json"
    code = main([
        "evaluate", "--model", str(tiny_pipe_dir), "--data", str(gm_eval_data), "--steps", "2", "--limit", "4",
        "--output", str(report_path), "--classifier-steps", "3",
    ])
    assert code == 0
    report = json.loads(report_path.read_text())
    assert all(section in report for section in SECTIONS)
    assert report["setup"]["clips"] == 4 and report["setup"]["seconds"] == pytest.approx(0.32)
    assert "--limit 4" in report["setup"]["command"] and "--classifier-steps 3" in report["setup"]["command"]
    assert set(report["vae"]) >= {"mel_l1", "mel_mse"} and report["vae"]["mel_l1"] > 0
    for vocoder in ("model", "griffin_lim"):
        assert report["vocoder"][vocoder]["mel_l1"] > 0 and report["vocoder"][vocoder]["mrstft"] > 0
    (generation,) = report["generation"]
    assert generation["steps"] == 2 and generation["frechet_distance"] >= 0
    assert report["reconstruction"]["frechet_distance"] >= 0
    for entry in (generation, report["ceiling"], report["reconstruction"], report["baseline"]):
        assert 0 <= entry["family_accuracy"] <= 1
        assert entry["pitch_accuracy"] is None or 0 <= entry["pitch_accuracy"] <= 1
    assert report["floor"]["frechet_distance"] >= 0 and report["baseline"]["name"] == "random_unet"
    # Every miss is counted once under the family asked for, as something other than that family.
    for entry in (generation, report["ceiling"]):
        for family, accuracy in entry["family_accuracy_by_family"].items():
            heard = entry["family_heard_as"].get(family, {})
            assert family not in heard and (sum(heard.values()) > 0) == (accuracy < 1)
        misses = round((1 - entry["family_accuracy"]) * report["setup"]["clips"])
        assert sum(sum(heard.values()) for heard in entry["family_heard_as"].values()) == misses
    # The classifier trained for the report sits next to it and is reusable.
    classifier = tmp_path / "out" / "report_classifier"
    assert (classifier / "config.json").is_file() and report["embedding"]["trained_now"]
    printed = capsys.readouterr().out
    assert "| 2 steps |" in printed and "Griffin-Lim" in printed
    # The library only measures; the benchmark script judges the report against the targets.
    assert "targets" not in report
    script = targets_script()
    verdicts = script.check_targets(report)
    assert verdicts["at_steps"] == 2 and verdicts["frechet_over_floor"] >= 0
    assert script.main([str(report_path)]) in (0, 1)
    assert "targets at 2 steps" in capsys.readouterr().out

    again = tmp_path / "again.json"
    assert main(["evaluate", "--model", str(tiny_pipe_dir), "--data", str(gm_eval_data), "--steps", "1",
                 "--limit", "2", "--output", str(again), "--classifier", str(classifier), "--no-baseline"]) == 0
    report = json.loads(again.read_text())
    assert report["embedding"]["trained_now"] is False
    assert "baseline" not in report and "baseline" not in report["timings_seconds"]
    assert "--no-baseline" in report["setup"]["command"].split()
    assert "random U-Net" not in capsys.readouterr().out
    assert script.check_targets(report)["frechet_over_baseline"] is None

    # Settings are chosen on the validation split: its rows give the prompts, and the test clips the floor.
    chosen = tmp_path / "validation.json"
    assert main(["evaluate", "--model", str(tiny_pipe_dir), "--data", str(gm_eval_data), "--steps", "1", "--limit", "2",
                 "--output", str(chosen), "--classifier", str(classifier), "--no-baseline", "--split", "validation"]) == 0
    report = json.loads(chosen.read_text())
    assert report["setup"]["split"] == "validation" and report["floor"]["split"] == "test"
    assert report["floor"]["test_clips"] == 2 and "--split validation" in report["setup"]["command"]
    printed = capsys.readouterr().out
    assert "2 validation clips" in printed and "| floor: real test vs validation |" in printed
    assert main(["evaluate", "--model", str(tiny_pipe_dir), "--data", str(gm_eval_data), "--split", "validation",
                 "--generalisation", "only", "--sets", "paraphrases", "--output", str(tmp_path / "both.json")]) == 1
    assert "No 'paraphrases' prompts in the validation split" in capsys.readouterr().err


def test_evaluate_samples_as_the_model_ships_unless_told(tiny_pipe_dir, gm_eval_data, tmp_path):
    """A distilled student saves the steps and scale it was tuned for; evaluating it as shipped must use them."""
    model = tmp_path / "student"
    shutil.copytree(tiny_pipe_dir, model)
    index = json.loads((model / "model_index.json").read_text())
    (model / "model_index.json").write_text(json.dumps({**index, "default_guidance_scale": 2.5, "default_inference_steps": 2}))
    common = ["evaluate", "--model", str(model), "--data", str(gm_eval_data), "--limit", "2",
              "--classifier-steps", "2", "--no-baseline"]
    assert main([*common, "--output", str(tmp_path / "own.json")]) == 0
    own = json.loads((tmp_path / "own.json").read_text())
    assert own["setup"]["guidance_scale"] == 2.5 and "--guidance 2.5" in own["setup"]["command"]
    assert "--steps 2" in own["setup"]["command"] and [entry["steps"] for entry in own["generation"]] == [2]
    assert main([*common, "--steps", "1", "--guidance", "4", "--output", str(tmp_path / "told.json")]) == 0
    told = json.loads((tmp_path / "told.json").read_text())
    assert told["setup"]["guidance_scale"] == 4 and [entry["steps"] for entry in told["generation"]] == [1]


def test_evaluate_scores_the_best_of_k_takes_as_generate_writes_them(scored_pipe_dir, tiny_pipe_dir, gm_eval_data, tmp_path,
                                                                     capsys):
    import torch

    from latentaudio import LatentAudioPipeline
    from latentaudio.evaluation.evaluate import generate_clips

    pipe = LatentAudioPipeline.from_pretrained(scored_pipe_dir)
    pipe.set_progress_bar_config(disable=True)
    texts = ["a cello note, C3", "tight snare", "a flute, G5", "something dark"]
    kept = generate_clips(pipe, texts, 2, 0.32, 3.0, seed=4, batch_size=4, best_of=3)
    scorer = pipe.scorer
    pipe.register_modules(scorer=None)  # the same takes, in the order of their noise
    drawn = pipe(texts, num_inference_steps=2, audio_length_in_s=0.32, guidance_scale=3.0, num_waveforms_per_prompt=3,
                 generator=torch.Generator().manual_seed(4), output_type="pt").audios
    pipe.register_modules(scorer=scorer)
    first = pipe.take_order(drawn, texts, 3)[::3]
    assert first[:3].tolist() != [0, 3, 6] and first[3] == 9  # ranked prompts keep another take; "something dark" its first
    torch.testing.assert_close(kept, drawn[first])
    single = generate_clips(pipe, texts, 2, 0.32, 3.0, seed=4, batch_size=4)
    assert single.shape == kept.shape and not torch.equal(single, kept)

    report_path = tmp_path / "best.json"
    assert main(["evaluate", "--model", str(scored_pipe_dir), "--data", str(gm_eval_data), "--steps", "2", "--limit", "2",
                 "--classifier-steps", "2", "--no-baseline", "--best-of", "2", "--output", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert report["setup"]["best_of"] == 2 and "--best-of 2" in report["setup"]["command"]
    assert ", the best of 2 takes)" in capsys.readouterr().out
    # A model that cannot rank its takes is refused in one line, before a judge is trained.
    assert main(["evaluate", "--model", str(tiny_pipe_dir), "--data", str(gm_eval_data), "--best-of", "2",
                 "--output", str(tmp_path / "none.json")]) == 1
    err = capsys.readouterr().err
    assert "best_of=2 needs a pipeline that ranks its takes (a scorer, or CLAP)" in err.strip().splitlines()[-1]
    assert not (tmp_path / "none_classifier").exists()


def test_evaluate_rejects_a_dataset_without_families(tiny_pipe_dir, tmp_path, capsys):
    import numpy as np
    import soundfile as sf

    for split in ("train", "validation", "test"):
        sf.write(tmp_path / f"{split}.wav", np.full(8000, 0.1, np.float32), 16000)
    rows = [{"file_name": f"{split}.wav", "text": "a hum", "split": split} for split in ("train", "validation", "test")]
    (tmp_path / "metadata.jsonl").write_text("\n".join(json.dumps(row) for row in rows))
    code = main(["evaluate", "--model", str(tiny_pipe_dir), "--data", str(tmp_path), "--output", str(tmp_path / "r.json")])
    assert code == 1 and "family" in capsys.readouterr().err


def test_step_list_parses_and_rejects():
    assert step_list("10,50") == [10, 50] and step_list("20") == [20]
    for bad in ("ten", "0,5", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            step_list(bad)


def test_limit_spreads_over_the_whole_split():
    assert evenly_spaced(10, 4) == [0, 3, 6, 9]
    assert evenly_spaced(3, 8) == [0, 1, 2] and evenly_spaced(5, None) == [0, 1, 2, 3, 4]


def test_pitched_families_leave_out_drums_percussive_and_effects():
    assert "Piano" in PITCHED_FAMILIES and "Synth Pad" in PITCHED_FAMILIES
    assert not {"Drums", "Percussive", "Sound Effects"} & PITCHED_FAMILIES and len(PITCHED_FAMILIES) == 14


def test_format_report_names_every_row():
    entry = {"family_accuracy": 0.5, "pitch_accuracy": None, "family_accuracy_by_family": {}}
    report = {
        "setup": {"model": "m", "data": "d", "clips": 2, "pitched_clips": 0, "seconds": 1.0, "guidance_scale": 3.0},
        "generation": [{"steps": 10, "frechet_distance": 1.5, "seconds_per_clip": 0.1, **entry}],
        "ceiling": entry, "floor": {"frechet_distance": 0.5}, "reconstruction": {"frechet_distance": 0.75, **entry},
        "baseline": {"steps": 10, "frechet_distance": 9.0, **entry},
        "vae": {"mel_l1": 0.2}, "vocoder": {"model_vocoder": "HifiGanGenerator", "model": {"mel_l1": 0.3, "mrstft": 1.0},
                                            "griffin_lim": {"mel_l1": 0.4, "mrstft": 2.0}},
        "embedding": {"model": "classifier", "dimension": 256},
    }
    report["generation"][0]["family_heard_as"] = {"Synth Pad": {"Ensemble": 6, "Strings": 2}, "Drums": {"Percussive": 3}}
    table = format_report(report)
    assert "misses at 10 steps (asked → heard, clips): Synth Pad → Ensemble 6; Drums → Percussive 3; Synth Pad → Strings 2." in table
    for text in ("| 10 steps | 1.50 | 50% | – |", "ceiling", "floor", "baseline: random U-Net", "Griffin-Lim", "VAE",
                 "| real test clips through VAE and vocoder | 0.75 | 50% | – | – |"):
        assert text in table


def test_targets_script_passes_and_fails_each_target(tmp_path, capsys):
    entry = {"family_accuracy": 0.5, "pitch_accuracy": None, "family_accuracy_by_family": {}}
    report = {
        "generation": [{"steps": 10, "frechet_distance": 9.0, **entry},
                       {"steps": 50, "frechet_distance": 1.5, **entry, "family_accuracy": 0.7, "pitch_accuracy": 0.4}],
        "floor": {"frechet_distance": 0.5}, "baseline": {"frechet_distance": 6.0},
        "vocoder": {"model": {"mel_l1": 0.3, "mrstft": 1.0}, "griffin_lim": {"mel_l1": 0.4, "mrstft": 2.0}},
    }
    script = targets_script()
    targets = script.check_targets(report)
    assert targets == {
        "at_steps": 50, "family_accuracy_at_least_0.6": True, "pitch_accuracy_at_least_0.5": False,
        "frechet_over_floor": 3.0, "frechet_within_3x_floor": True, "frechet_over_baseline": 0.25,
        "vocoder_beats_griffin_lim": True,
    }
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    assert script.main([str(path)]) == 1  # the pitch target fails
    printed = capsys.readouterr().out
    assert "FAIL  pitch_accuracy_at_least_0.5" in printed and "PASS  frechet_within_3x_floor" in printed
    report["generation"][1]["pitch_accuracy"] = None  # no pitched prompts: not judged, nothing fails
    path.write_text(json.dumps(report))
    assert script.main([str(path)]) == 0 and "n/a  pitch_accuracy_at_least_0.5" in capsys.readouterr().out
