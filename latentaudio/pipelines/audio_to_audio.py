"""Audio-to-audio: sound transfer, variations and sound-design tweaks by partial re-noising (SDEdit)."""

from __future__ import annotations

from typing import Callable, Optional, Union

import torch

from .editing import AudioInput, LatentAudioEditPipelineBase, check_strength
from .loops import check_loop

EXAMPLE_DOC_STRING = """
    Examples:
        ```py
        >>> import torch
        >>> from latentaudio import DEFAULT_MODEL, LatentAudioAudioToAudioPipeline, LatentAudioPipeline
        >>> from latentaudio.audio_io import write_audio

        >>> pipe = LatentAudioAudioToAudioPipeline.from_pipe(LatentAudioPipeline.from_pretrained(DEFAULT_MODEL))
        >>> # Sound transfer: a kick becomes a snare; strength 0.6 keeps the timing and envelope.
        >>> snare = pipe("kick.wav", prompt="a snare drum hit", strength=0.6, generator=torch.manual_seed(0)).audios[0]
        >>> # Variations (humanise): four takes of one sample, no prompt, low strength.
        >>> takes = pipe("kick.wav", strength=0.3, num_waveforms_per_prompt=4, generator=torch.manual_seed(0)).audios
        >>> # Sound-design tweak: a descriptive prompt at low strength nudges the timbre.
        >>> brighter = pipe("pad.wav", prompt="a bright airy synth pad", strength=0.25).audios[0]
        >>> # Variations of a loop that each still loop, the loop's length kept.
        >>> grooves = pipe("loop.wav", strength=0.3, loop=True, num_waveforms_per_prompt=4).audios
        >>> write_audio("snare.wav", snare, pipe.sample_rate)
        ```
"""


class LatentAudioAudioToAudioPipeline(LatentAudioEditPipelineBase):
    """Transform audio toward a prompt: encode it, noise it to ``strength``, denoise from there.

    One mechanism, three uses (SDEdit, Meng et al. 2022):

    - **sound transfer** (strength 0.6-0.8, a prompt naming the target sound): keeps the input's
      timing and rough envelope, replaces its timbre;
    - **variations / humanise** (strength 0.1-0.3, no prompt, ``num_waveforms_per_prompt=N``):
      N takes that differ from each other in detail but stay close to the source;
    - **sound-design tweak** (strength 0.15-0.35, a descriptive prompt such as "brighter",
      "with a longer tail"): nudges the sound while keeping it recognisably the same.

    Strength 0 returns the input's reconstruction (:meth:`reconstruct`) exactly; strength 1 ignores
    the input except for its length. See :class:`LatentAudioPipelineBase` for the components.
    """

    fill_empty_prompts = False  # variations (no prompt) keep the input's character: no sound or tempo stated

    @torch.no_grad()
    def __call__(
        self,
        audio: AudioInput,
        prompt: Union[str, list[str], None] = None,
        strength: float = 0.5,
        loop: bool = False,
        match_tempo: bool = True,
        negative_prompt: Union[str, list[str], None] = None,
        sample_rate: Optional[int] = None,
        num_inference_steps: Optional[int] = None,
        guidance_scale: Optional[float] = None,
        num_waveforms_per_prompt: int = 1,
        generator: Union[torch.Generator, list[torch.Generator], None] = None,
        prompt_embeds: Optional[torch.Tensor] = None,
        negative_prompt_embeds: Optional[torch.Tensor] = None,
        prompt_attention_mask: Optional[torch.Tensor] = None,
        negative_prompt_attention_mask: Optional[torch.Tensor] = None,
        output_type: str = "np",
        return_dict: bool = True,
        callback_on_step_end: Optional[Callable] = None,
        callback_on_step_end_tensor_inputs: tuple = ("latents",),
    ):
        r"""Transform audio.

        Args:
            audio (`str`, `np.ndarray` or `torch.Tensor`): A file path (any rate and channel count;
                converted), or mono samples (L,) or clips (B, L) at ``sample_rate``.
            prompt (`str` or `list[str]`, *optional*): The target sound; ``None`` keeps the input's
                character (variations).
            strength (`float`, defaults to 0.5): How much of the schedule to rerun, in [0, 1]; the
                sampler takes ``round(strength * num_inference_steps)`` steps (one at least above 0), from exactly
                this share of the training schedule's noise where the sampler takes a list of timesteps (the embedded
                models' ``dpm++`` does: :meth:`~latentaudio.pipelines.editing.LatentAudioEditPipelineBase.strength_timesteps`).
            loop (`bool`, defaults to `False`): The input is a loop and so is the result: the clip is encoded as
                played over and over, denoised and decoded as a circle (:mod:`latentaudio.pipelines.loops`), and
                the take, the input's length, plays seamlessly in a loop (variations of a drum loop that each
                still loop). At strength 0 it is the input's reconstruction as a loop.
            match_tempo (`bool`, defaults to `True`): For a model that reads a stated tempo, give a prompt that states
                none the clip's own where it has a beat
                (:meth:`~latentaudio.pipelines.editing.LatentAudioEditPipelineBase.prompts_at_clip_tempo`), so a loop
                turned into another sound keeps its groove; no prompt (variations) is left as it is. ``False``: the
                prompt as it is.
            negative_prompt (`str` or `list[str]`, *optional*): What to steer away from.
            sample_rate (`int`, *optional*): Rate of ``audio`` when it is samples; defaults to the pipeline's.
            num_inference_steps (`int`, *optional*; the model's ``default_inference_steps``, 20 unless saved otherwise): Steps of the full schedule.
            guidance_scale (`float`, *optional*; the model's ``default_guidance_scale``, 3.0 unless saved otherwise): Classifier-free guidance weight.
            num_waveforms_per_prompt (`int`, defaults to 1): Takes per clip and prompt. A pipeline that can rank takes
                (a ``scorer``, or CLAP: :mod:`latentaudio.ranking`) returns them best first for a prompt that names a
                drum or an instrument ("transform toward a snare": the snariest first); without a prompt, in the order
                of their noise.
            generator (`torch.Generator`, *optional*): Makes the run reproducible.
            prompt_embeds, negative_prompt_embeds, prompt_attention_mask, negative_prompt_attention_mask:
                Precomputed text states and masks, as for :class:`LatentAudioPipeline`.
            output_type (`str`, defaults to ``"np"``): ``"np"``/``"pt"`` waveforms (B, L) of the
                input's length, ``"mel"`` or ``"latent"`` (with ``loop``, as :class:`LatentAudioPipeline`'s).
            return_dict (`bool`, defaults to `True`): Return an ``AudioPipelineOutput``, else a tuple.
            callback_on_step_end, callback_on_step_end_tensor_inputs: As for :class:`LatentAudioPipeline`;
                called after each of the steps taken, with
                ``step`` counting from 0 (never at strength 0).

        Examples:
        """
        # 1. Check inputs
        strength = check_strength(strength)
        check_loop(loop)
        prompts, negatives = self.prompt_batch(prompt, negative_prompt, prompt_embeds, negative_prompt_embeds)
        num_inference_steps, guidance_scale = self.sampling_settings(num_inference_steps, guidance_scale)
        clips, prompts, negatives = self.match_prompts(self.prepare_audio(audio, sample_rate), prompts, negatives)
        prompts = self.prompts_at_clip_tempo(clips, prompts, match_tempo)
        self.check_inputs(
            num_inference_steps, guidance_scale, output_type, callback_on_step_end, callback_on_step_end_tensor_inputs,
            generator, rows=len(clips) * num_waveforms_per_prompt, num_waveforms_per_prompt=num_waveforms_per_prompt,
        )
        num_samples = clips.shape[-1]

        # 2. Encode the prompt (unconditional half first when guiding)
        embeddings = self.encode_prompt(
            prompts, negatives, num_waveforms_per_prompt, guidance_scale > 1.0,
            prompt_embeds, negative_prompt_embeds, prompt_attention_mask, negative_prompt_attention_mask,
            seconds=num_samples / self.sample_rate,
        )

        # 3. Encode the audio: posterior-mode latents (for a loop, one period), one copy per take
        clean = self.encode_loop(clips, num_samples) if loop else self.encode_audio(clips, num_samples)
        clean = clean.repeat_interleave(num_waveforms_per_prompt, dim=0)

        # 4. Noise to `strength` and denoise toward the prompt
        latents = self.denoise_from(
            clean.to(self.unet.dtype), strength, num_inference_steps, embeddings, guidance_scale, generator,
            callback_on_step_end=callback_on_step_end,
            callback_on_step_end_tensor_inputs=callback_on_step_end_tensor_inputs,
            loop_samples=num_samples if loop else None,
        )

        # 5. VAE decoder and vocoder; each clip's takes best first when the pipeline can rank them for its prompt
        audio = self.decode_best_first(latents, num_samples, output_type, prompts, num_waveforms_per_prompt, loop)
        return self.finish(audio, return_dict)


LatentAudioAudioToAudioPipeline.__call__.__doc__ += EXAMPLE_DOC_STRING
