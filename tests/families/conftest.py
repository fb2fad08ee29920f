"""Tiny random AudioLDM, MusicLDM and AudioLDM2 folders, written by diffusers' own pipelines.

Real diffusers/transformers classes with the real mel geometry (64 mels, hop 160: HiFi-GAN
upsampling 5·4·2·2·2), seeded, saved once per session with diffusers' ``save_pretrained``.
"""

from __future__ import annotations

import warnings

import pytest
import torch

SEED = 0
# A byte-level BPE vocabulary without merges: every byte is a token, so any prompt tokenises.
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
# CLAP's width equals its tokenizer's length, as in the released weights (512 and 512): diffusers' AudioLDM
# pads (and cuts) the negative prompt to the width of the prompt's embedding.
CLAP_WIDTH = 32


def roberta_tokenizer(max_length: int = CLAP_WIDTH):
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import RobertaTokenizer

    vocab = {token: i for i, token in enumerate(SPECIALS + sorted(ByteLevel.alphabet()))}
    return RobertaTokenizer(vocab=vocab, merges=[], model_max_length=max_length)


def t5_tokenizer(max_length: int = 32):
    from transformers import T5Tokenizer

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [(chr(c), -3.0) for c in range(ord("a"), ord("z") + 1)]
    pieces += [("▁" + word, -1.0) for word in ("a", "the", "drum", "piano", "dog", "soft", "loud", "hit", "bark", "music")]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=max_length)


def clap_text_config(projection_dim: int) -> dict:
    return dict(bos_token_id=0, eos_token_id=2, pad_token_id=1, hidden_size=16, intermediate_size=32, num_attention_heads=2,
                num_hidden_layers=1, vocab_size=300, max_position_embeddings=80, projection_dim=projection_dim)


def clap_model(projection_dim: int):
    """A whole ``ClapModel`` (text and audio towers), as MusicLDM and AudioLDM2 hold."""
    from transformers import ClapConfig, ClapModel

    audio = dict(spec_size=64, window_size=4, num_mel_bins=64, intermediate_size=16, depths=[1, 1],
                 num_attention_heads=[2, 2], num_hidden_layers=2, hidden_size=32, patch_size=2, patch_stride=2,
                 patch_embed_input_channels=4, projection_dim=projection_dim, patch_embeds_hidden_size=16)
    config = ClapConfig(text_config=clap_text_config(projection_dim), audio_config=audio, projection_dim=projection_dim)
    return ClapModel(config)


def clap_features():
    """CLAP's feature extractor at a hop that fits a second into the tiny audio tower's 64 frames (48 kHz, hop 960),
    so that diffusers' own pipelines can rank several takes with it."""
    from transformers import ClapFeatureExtractor

    return ClapFeatureExtractor(max_length_s=1, hop_length=960)


def vae():
    from diffusers import AutoencoderKL

    # Compression 4 (three levels), 64 mels → 16 latent bins, as AudioLDM's VAE.
    return AutoencoderKL(in_channels=1, out_channels=1, block_out_channels=(8, 8, 8), latent_channels=4,
                         down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
                         layers_per_block=1, norm_num_groups=4, scaling_factor=0.5)


def speecht5_vocoder():
    from transformers import SpeechT5HifiGan, SpeechT5HifiGanConfig

    config = SpeechT5HifiGanConfig(model_in_dim=64, sampling_rate=16000, upsample_initial_channel=32,
                                   upsample_rates=[5, 4, 2, 2, 2], upsample_kernel_sizes=[10, 8, 4, 4, 4],
                                   resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3]], normalize_before=True,
                                   initializer_range=0.15)  # audible output from random weights
    vocoder = SpeechT5HifiGan(config)
    # Stored standardisation of the log-mel, as the released weights have: the vocoder must apply it.
    vocoder.mean.copy_(torch.linspace(-6, -2, 64))
    vocoder.scale.copy_(torch.linspace(1, 3, 64))
    return vocoder


def scheduler():
    from diffusers import DDIMScheduler

    return DDIMScheduler(beta_start=0.0015, beta_end=0.0195, beta_schedule="scaled_linear", num_train_timesteps=1000,
                         clip_sample=False, set_alpha_to_one=False)


def audioldm_unet(class_width: int):
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        sample_size=(16, 16), in_channels=4, out_channels=4, block_out_channels=(8, 16), layers_per_block=1,
        norm_num_groups=8, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=(8, 16), attention_head_dim=4,
        class_embed_type="simple_projection", projection_class_embeddings_input_dim=class_width,
        class_embeddings_concat=True,
    )


def build_audioldm():
    from diffusers import AudioLDMPipeline
    from transformers import ClapTextConfig, ClapTextModelWithProjection

    torch.manual_seed(SEED)
    return AudioLDMPipeline(
        vae=vae(), text_encoder=ClapTextModelWithProjection(ClapTextConfig(**clap_text_config(CLAP_WIDTH))),
        tokenizer=roberta_tokenizer(), unet=audioldm_unet(CLAP_WIDTH), scheduler=scheduler(), vocoder=speecht5_vocoder(),
    )


def build_musicldm():
    from diffusers import MusicLDMPipeline

    torch.manual_seed(SEED + 1)
    return MusicLDMPipeline(
        vae=vae(), text_encoder=clap_model(CLAP_WIDTH), tokenizer=roberta_tokenizer(), feature_extractor=clap_features(),
        unet=audioldm_unet(CLAP_WIDTH), scheduler=scheduler(), vocoder=speecht5_vocoder(),
    )


def build_audioldm2():
    from diffusers import AudioLDM2Pipeline, AudioLDM2ProjectionModel, AudioLDM2UNet2DConditionModel
    from transformers import GPT2Config, GPT2LMHeadModel, T5Config, T5EncoderModel

    torch.manual_seed(SEED + 2)
    unet = AudioLDM2UNet2DConditionModel(
        sample_size=(16, 16), in_channels=4, out_channels=4, block_out_channels=(8, 16), layers_per_block=1,
        norm_num_groups=8, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=([None, 16, 32], [None, 16, 32]),
        attention_head_dim=4,
    )
    language_model = GPT2LMHeadModel(GPT2Config(n_embd=16, n_head=2, n_layer=1, vocab_size=100, n_positions=99, bos_token_id=0, eos_token_id=0))
    language_model.config.max_new_tokens = 8
    return AudioLDM2Pipeline(
        vae=vae(), text_encoder=clap_model(CLAP_WIDTH), text_encoder_2=T5EncoderModel(
            T5Config(vocab_size=64, d_model=32, d_ff=37, d_kv=8, num_heads=2, num_layers=1)),
        projection_model=AudioLDM2ProjectionModel(text_encoder_dim=CLAP_WIDTH, text_encoder_1_dim=32, langauge_model_dim=16),
        language_model=language_model, tokenizer=roberta_tokenizer(), tokenizer_2=t5_tokenizer(), feature_extractor=clap_features(),
        unet=unet, scheduler=scheduler(), vocoder=speecht5_vocoder(),
    )


BUILDERS = {"audioldm": build_audioldm, "musicldm": build_musicldm, "audioldm2": build_audioldm2}


@pytest.fixture(scope="session")
def family_dirs(tmp_path_factory) -> dict:
    """family → folder written by that family's diffusers pipeline."""
    folders = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecated AudioLDM/MusicLDM pipelines say so
        for name, build in BUILDERS.items():
            folder = tmp_path_factory.mktemp(name)
            build().save_pretrained(folder, safe_serialization=True)
            folders[name] = folder
    return folders


@pytest.fixture(scope="session")
def audioldm_dir(family_dirs):
    return family_dirs["audioldm"]
