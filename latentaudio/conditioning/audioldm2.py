"""AudioLDM2 conditioning: CLAP and T5 states, a GPT-2 "language model" generating 8 more, two cross-attention streams.

AudioLDM2 (Liu et al. 2024, sec. 3) encodes a prompt twice: CLAP's pooled text embedding (one
state) and T5's token states. Its projection model maps both to GPT-2's width and brackets each with
learned start/end states; GPT-2 then continues that sequence by ``max_new_tokens`` (8) hidden states,
generated one at a time from its own last layer (the "language of audio"). The U-Net attends to the
generated states (``encoder_hidden_states``) and to the T5 states (``encoder_hidden_states_1``, with
``encoder_attention_mask_1``).
"""

from __future__ import annotations

from typing import Optional

import torch

from .clap import clap_text_embedding
from .interface import Conditioner, UNetKwargs

COMPONENTS = ("tokenizer", "text_encoder", "tokenizer_2", "text_encoder_2", "projection_model", "language_model")


class AudioLDM2Conditioner(Conditioner):
    """Prompts → ``encoder_hidden_states`` (B, 8, D_gpt2), ``encoder_hidden_states_1`` (B, L, D_t5) and its mask.

    Args:
        tokenizer, text_encoder: CLAP's tokenizer and ``ClapModel``.
        tokenizer_2, text_encoder_2: The T5 tokenizer and ``T5EncoderModel`` (FLAN-T5 for some checkpoints).
        projection_model (`AudioLDM2ProjectionModel`): Maps both to GPT-2's width.
        language_model (`GPT2LMHeadModel`): Generates the states the U-Net's first stream attends to.
    """

    def __init__(self, tokenizer, text_encoder, tokenizer_2, text_encoder_2, projection_model, language_model):
        given = dict(zip(COMPONENTS, (tokenizer, text_encoder, tokenizer_2, text_encoder_2, projection_model, language_model)))
        missing = [name for name, component in given.items() if component is None]
        if missing:
            raise ValueError(f"AudioLDM2 conditioning needs the components {list(COMPONENTS)}; missing {missing}.")
        if text_encoder_2.config.model_type != "t5":
            raise ValueError(
                f"text_encoder_2 is a {type(text_encoder_2).__name__} ({text_encoder_2.config.model_type}); latentaudio runs "
                "the text-to-audio AudioLDM2 checkpoints, whose text_encoder_2 is a T5EncoderModel."
            )
        projection = projection_model.config
        widths = {
            "text_encoder_dim": (projection.text_encoder_dim, text_encoder.config.projection_dim, "the text_encoder's CLAP projection_dim"),
            "text_encoder_1_dim": (projection.text_encoder_1_dim, text_encoder_2.config.d_model, "text_encoder_2's d_model"),
            "langauge_model_dim": (projection.langauge_model_dim, language_model.config.n_embd, "the language_model's n_embd"),
        }
        for name, (theirs, expected, what) in widths.items():
            if theirs != expected:
                raise ValueError(f"The projection_model has {name}={theirs}, but {what} is {expected}; they must be equal.")
        self.tokenizer, self.text_encoder = tokenizer, text_encoder
        self.tokenizer_2, self.text_encoder_2 = tokenizer_2, text_encoder_2
        self.projection_model, self.language_model = projection_model, language_model
        self.max_new_tokens = getattr(language_model.config, "max_new_tokens", None) or 8

    @property
    def encodes_prompts(self) -> bool:
        return True

    def prompt_kwargs(self, prompts: list[str], device, dtype) -> UNetKwargs:
        return self._encode(prompts, None, device, dtype)

    def negative_kwargs(self, negatives: list[str], cond: UNetKwargs, device, dtype) -> UNetKwargs:
        # GPT-2's positions count the T5 padding, so the negative's T5 tokens are padded (or cut) to the
        # prompt's length, as AudioLDM2 does: the generated unconditional states depend on it.
        return self._encode(negatives, cond["encoder_hidden_states_1"].shape[1], device, dtype)

    def given_kwargs(self, embeds: torch.Tensor, mask: Optional[torch.Tensor], device, dtype) -> UNetKwargs:
        raise ValueError(
            "AudioLDM2 conditions on T5 states and on states GPT-2 generates from them and CLAP's; pass prompts, "
            "not prompt_embeds."
        )

    def _encode(self, prompts: list[str], t5_length: Optional[int], device, dtype) -> UNetKwargs:
        from diffusers import AudioLDM2Pipeline

        clap = clap_text_embedding(self.tokenizer, self.text_encoder, prompts, device)[:, None]  # (B, 1, D_clap)
        clap_mask = torch.ones(clap.shape[:2], dtype=torch.long, device=device)
        padding = {"padding": True, "max_length": self.tokenizer_2.model_max_length} if t5_length is None else {
            "padding": "max_length", "max_length": t5_length}
        tokens = self.tokenizer_2(prompts, truncation=True, return_tensors="pt", **padding)
        t5_mask = tokens.attention_mask.to(device)
        t5 = self.text_encoder_2(tokens.input_ids.to(device), attention_mask=t5_mask)[0]  # (B, L, D_t5)
        projected = self.projection_model(hidden_states=clap, hidden_states_1=t5, attention_mask=clap_mask,
                                          attention_mask_1=t5_mask)
        # diffusers' own loop over GPT-2 (it reads only ``self.language_model``), so the states match its pipeline's.
        generated = AudioLDM2Pipeline.generate_language_model(
            self, projected.hidden_states, attention_mask=projected.attention_mask, max_new_tokens=self.max_new_tokens
        )  # (B, max_new_tokens, D_gpt2)
        return {"encoder_hidden_states": generated.to(dtype), "encoder_hidden_states_1": t5.to(dtype),
                "encoder_attention_mask_1": t5_mask}
