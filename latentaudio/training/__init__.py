"""Training and fine-tuning with accelerate: one trainer per component over a shared loop.

Each entry point takes a pipeline folder, an audiofolder, an output folder and a config, and
leaves the finished pipeline (loadable with ``LatentAudioPipeline.from_pretrained(output)``)
plus resumable checkpoints in ``output``. See :mod:`.common` for the layout.
"""

from .common import NonFiniteLossError, Trainer
from .config import DiffusionTrainingConfig, DistillationConfig, FinetuneConfig, TrainingConfig, VaeTrainingConfig, VocoderTrainingConfig
from .diffusion import DiffusionTrainer, train_diffusion
from .distill import DistillationTrainer, distill
from .finetune import finetune
from .vae import VaeTrainer, train_vae
from .vocoder import VocoderTrainer, train_vocoder

__all__ = [
    "DiffusionTrainer",
    "DiffusionTrainingConfig",
    "DistillationConfig",
    "DistillationTrainer",
    "FinetuneConfig",
    "NonFiniteLossError",
    "Trainer",
    "TrainingConfig",
    "VaeTrainer",
    "VaeTrainingConfig",
    "VocoderTrainer",
    "VocoderTrainingConfig",
    "distill",
    "finetune",
    "train_diffusion",
    "train_vae",
    "train_vocoder",
]
