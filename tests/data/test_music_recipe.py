"""The music model's recipe: its configs load, its script parses, and its data reads as one training set."""

import subprocess
from pathlib import Path

import torch

from latentaudio.data.drumloops import render_drum_loop_dataset
from latentaudio.data.folder import AudioFolderDataset, collate_audio
from latentaudio.data.melodic import render_melodic_dataset
from latentaudio.data.sfx import render_sfx_dataset
from latentaudio.training.config import DiffusionTrainingConfig

RECIPE = Path(__file__).resolve().parents[2] / "configs" / "music_model"


def test_configs_load_with_the_ten_second_clip_and_the_scripts_parse():
    config, gpu, cpu = (DiffusionTrainingConfig.from_yaml(RECIPE / name)
                        for name in ("diffusion.yaml", "diffusion_gpu.yaml", "diffusion_cpu.yaml"))
    assert config.clip_seconds == gpu.clip_seconds == cpu.clip_seconds == 10.24 and not config.random_crop and config.cache_latents
    assert gpu.batch_size > config.batch_size > cpu.batch_size and gpu.mixed_precision == "bf16" and gpu.prediction_type == "v_prediction"
    assert cpu.mixed_precision is None and cpu.ema_decay < config.ema_decay and cpu.checkpoint_every < config.checkpoint_every
    assert config.prompt_template == "gm_music"  # one-shot prompts rewritten, music prompts read as written with their length
    for script in ("build_data.sh", "gpu_run.sh", "cpu_run.sh"):
        subprocess.run(["bash", "-n", str(RECIPE / script)], check=True)


def test_builder_folders_nested_in_one_folder_train_as_one_set_of_ten_second_clips(tmp_path, soundfont):
    loops = render_drum_loop_dataset(tmp_path / "drumloops-0", clips=2, soundfont=soundfont, max_seconds=4.5)
    phrases = render_melodic_dataset(tmp_path / "melodic-0", clips=2, soundfont=soundfont, max_seconds=4.5, music21_share=0)
    effects = render_sfx_dataset(tmp_path / "sfx-0", clips=2)
    rows = loops.rows + phrases.rows + effects.rows
    dataset = AudioFolderDataset(tmp_path, seconds=10.24, sample_rate=16000, sample_captions=True)
    assert len(dataset) == len(rows) == 6
    batch = collate_audio([dataset[i] for i in range(len(dataset))])
    assert batch["audio"].shape == (6, 163840)
    for i, item in enumerate(dataset[i] for i in range(len(dataset))):
        row = next(r for r in rows if item["file_name"].endswith(r["file_name"]))
        sounding = round(row["seconds"] * 16000)
        assert item["text"] in row["captions"]
        assert torch.all(item["audio"][sounding:] == 0) and item["audio"][:sounding].abs().max() > 0.5  # padded with silence
