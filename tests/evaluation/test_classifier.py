"""The embedding classifier: shapes, save/load, and learning real instrument families."""

import json

import pytest
import torch

from latentaudio.evaluation.classifier import (
    FAMILY_LABELS,
    AudioFamilyClassifier,
    accuracy,
    draw_weights,
    family_mels,
    load_classifier,
    shift_mel_bins,
    train_classifier,
)


def tiny_classifier() -> AudioFamilyClassifier:
    torch.manual_seed(0)
    return AudioFamilyClassifier(block_out_channels=(4, 8), embedding_dim=6).eval()


def test_labels_are_the_16_gm_families_and_drums():
    assert len(FAMILY_LABELS) == 17 and FAMILY_LABELS[0] == "Piano" and FAMILY_LABELS[-1] == "Drums"


def test_reads_waveforms_of_any_length():
    classifier = tiny_classifier()
    for length in (1600, 16000):
        output = classifier.classify_audio(torch.randn(3, length) * 0.1)
        assert output.logits.shape == (3, 17) and output.embedding.shape == (3, 6)


def test_save_and_load_round_trip(tmp_path):
    classifier = tiny_classifier()
    classifier.save_pretrained(tmp_path)
    loaded, record = load_classifier(tmp_path)
    assert record == {} and loaded.labels == classifier.labels
    audio = torch.randn(2, 8000) * 0.1
    torch.testing.assert_close(loaded.classify_audio(audio).embedding, classifier.classify_audio(audio).embedding)


def test_shift_mel_bins_fills_with_silence():
    mel = torch.arange(6.0).reshape(1, 6, 1)
    assert shift_mel_bins(mel, 2, -9.0).flatten().tolist() == [-9, -9, 0, 1, 2, 3]
    assert shift_mel_bins(mel, -1, -9.0).flatten().tolist() == [1, 2, 3, 4, 5, -9]


def test_draw_weights_balance_labels_or_groups_of_labels():
    from latentaudio.ranking import label_family

    names = ["Strings", "Brass", "snare drum", "kick drum", "Piano"]  # Piano: no training row
    labels = torch.tensor([0] * 6 + [1] * 2 + [2] * 4 + [3] * 8)
    shares = lambda weights: [round(float(weights[labels == k].sum() / weights.sum()), 4) for k in range(4)]  # noqa: E731
    assert shares(draw_weights(labels, names)) == [0.25] * 4  # every label present alike: the drums half the draws
    # By family: Strings, Brass and the drums a third each, the drums' third split between the two drums.
    assert shares(draw_weights(labels, names, balance_by=label_family)) == [0.3333, 0.3333, 0.1667, 0.1667]


def test_learns_instrument_families_of_held_out_clips(gm_eval_data, tmp_path):
    # 6 families (piano, bass, strings, brass, pipe, drums) at pitch-velocity pairs never trained on:
    # chance is 1 in 6, always answering the commonest held-out family scores about 1 in 3.
    classifier, record = train_classifier(gm_eval_data, tmp_path / "classifier", seconds=1.0, max_steps=150, batch_size=16)
    mels, labels = family_mels(classifier, gm_eval_data, ["validation", "test"], 1.0)
    held_out = accuracy(classifier, mels, labels)
    majority = torch.bincount(labels).max().item() / len(labels)
    assert held_out >= max(0.7, majority + 0.3), f"held-out accuracy {held_out:.0%} (commonest family {majority:.0%})"
    assert record["validation_accuracy"] is not None and record["train_clips"] > 40
    reloaded, saved_record = load_classifier(tmp_path / "classifier")
    assert saved_record["steps"] == 150 and accuracy(reloaded, mels, labels) == held_out


def test_crops_of_random_length_teach_it_to_judge_short_clips(gm_eval_data):
    """Trained on whole clips, the classifier hears a clip's first fifth as something else; trained on crops
    from that length up (``min_seconds``), it names those fifths as well as it names the whole clips."""
    held_out = {}
    for name, min_seconds in (("whole", None), ("crops", 0.2)):
        classifier, record = train_classifier(gm_eval_data, None, seconds=1.0, max_steps=150, batch_size=16,
                                              min_seconds=min_seconds)
        assert record["min_seconds"] == min_seconds
        mels, labels = family_mels(classifier, gm_eval_data, ["validation", "test"], 1.0)
        held_out[name] = accuracy(classifier, mels[..., : mels.shape[-1] // 5], labels)
    assert held_out["crops"] >= held_out["whole"] + 0.15, held_out
    with pytest.raises(ValueError, match="min_seconds=2.0 is out of range"):
        train_classifier(gm_eval_data, None, seconds=1.0, max_steps=1, min_seconds=2.0)


class Stop(Exception):
    """A run killed between two updates."""


def test_a_stopped_run_resumes_from_its_checkpoint_to_the_same_weights(gm_eval_data, tmp_path):
    train = dict(seconds=1.0, max_steps=12, batch_size=8, min_seconds=0.5, block_out_channels=(4, 8), embedding_dim=6)
    straight, _ = train_classifier(gm_eval_data, None, **train)

    def stop_at_9(line):
        if line.startswith("classifier step 9/"):
            raise Stop

    folder = tmp_path / "checkpoint"
    with pytest.raises(Stop):
        train_classifier(gm_eval_data, None, checkpoint_dir=folder, checkpoint_every=4, log=stop_at_9, **train)
    assert json.loads((folder / "state.json").read_text())["step"] == 8  # steps 9 and later were lost with the stop
    with pytest.raises(ValueError, match="holds a classifier checkpoint at step 8; pass --resume"):
        train_classifier(gm_eval_data, None, checkpoint_dir=folder, **train)
    with pytest.raises(ValueError, match="this run differs from it in batch_size, learning_rate;"):
        train_classifier(gm_eval_data, None, checkpoint_dir=folder, resume=True, **{**train, "batch_size": 4},
                         learning_rate=1e-3)
    said = []
    resumed, _ = train_classifier(gm_eval_data, None, checkpoint_dir=folder, resume=True, log=said.append, **train)
    assert said[0] == f"classifier: resumed from {folder} at step 8/12"
    for name, tensor in straight.state_dict().items():
        assert torch.equal(tensor, resumed.state_dict()[name]), name
    # Without a checkpoint, resume starts afresh.
    fresh, _ = train_classifier(gm_eval_data, None, checkpoint_dir=tmp_path / "none", resume=True, **train)
    assert all(torch.equal(tensor, fresh.state_dict()[name]) for name, tensor in straight.state_dict().items())
