"""The conditioning seam: guidance batching of any U-Net keyword arguments, and pipelines that only splat them."""

import pytest
import torch

from latentaudio.conditioning import Conditioner, TextConditioner, blend, cat_rows, conditional_rows, repeat_rows

CPU = torch.device("cpu")


class ClassLabelConditioner(Conditioner):
    """A stand-in for pooled-embedding conditioning (AudioLDM's CLAP ``class_labels``): no cross-attention."""

    encodes_prompts = True

    def prompt_kwargs(self, prompts, device, dtype):
        return {"class_labels": torch.tensor([[float(len(p))] for p in prompts], dtype=dtype, device=device)}

    def given_kwargs(self, embeds, mask, device, dtype):
        return {"class_labels": embeds.to(device, dtype)}


def test_guidance_puts_the_unconditional_rows_first_for_any_kwargs():
    kwargs = ClassLabelConditioner().unet_kwargs(["ab", "abcd"], None, 2, True, device=CPU, dtype=torch.float32)
    assert list(kwargs) == ["class_labels"]
    assert kwargs["class_labels"].flatten().tolist() == [0, 0, 0, 0, 2, 2, 4, 4]  # "" x4, then 2 takes per prompt
    negative = ClassLabelConditioner().unet_kwargs(["ab"], ["xyz"], 1, True, device=CPU, dtype=torch.float32)
    assert negative["class_labels"].flatten().tolist() == [3, 2]
    single = ClassLabelConditioner().unet_kwargs(["ab"], ["xyz"], 3, False, device=CPU, dtype=torch.float32)
    assert single["class_labels"].flatten().tolist() == [2, 2, 2]  # no guidance: no negative half


def test_text_conditioner_gives_cross_attention_kwargs(tiny_pipe):
    conditioner = tiny_pipe.conditioner()
    kwargs = conditioner.unet_kwargs(["a kick", "a snare"], ["noise", "hiss"], 2, True, device=CPU, dtype=torch.float32)
    assert set(kwargs) == {"encoder_hidden_states", "encoder_attention_mask"}
    states, mask = kwargs["encoder_hidden_states"], kwargs["encoder_attention_mask"]
    assert states.shape == (8, 77, 16) and mask.shape == (8, 77)
    by_prompt = {p: conditioner.encode([p], CPU, torch.float32) for p in ("a kick", "a snare", "noise", "hiss")}
    for row, prompt in enumerate(["noise", "noise", "hiss", "hiss", "a kick", "a kick", "a snare", "a snare"]):
        assert torch.equal(states[row], by_prompt[prompt].states[0]) and torch.equal(mask[row], by_prompt[prompt].mask[0])


def test_unconditional_conditioner_takes_only_embeddings():
    conditioner = TextConditioner(None, None, None, cross_attention_dim=8)
    assert conditioner.unet_kwargs([""], None, 1, True, device=CPU, dtype=torch.float32) is None
    states = torch.randn(1, 3, 8)
    with pytest.raises(ValueError, match="needs negative_prompt_embeds"):
        conditioner.unet_kwargs([None], None, 1, True, states, device=CPU, dtype=torch.float32)
    kwargs = conditioner.unet_kwargs([None], None, 1, True, states, -states, device=CPU, dtype=torch.float32)
    assert torch.equal(kwargs["encoder_hidden_states"], torch.cat([-states, states]))
    assert kwargs["encoder_attention_mask"] is None
    with pytest.raises(ValueError, match=r"shape \(B, L, D\)"):
        conditioner.unet_kwargs([None], None, 1, False, states[0], device=CPU, dtype=torch.float32)


def test_cat_rows_fills_a_missing_mask_and_names_a_shape_mismatch():
    masked = {"encoder_hidden_states": torch.zeros(1, 3, 4), "encoder_attention_mask": torch.tensor([[1, 1, 0]])}
    unmasked = {"encoder_hidden_states": torch.ones(2, 3, 4), "encoder_attention_mask": None}
    both = cat_rows([unmasked, masked])
    assert both["encoder_hidden_states"].shape == (3, 3, 4)
    assert both["encoder_attention_mask"].tolist() == [[1, 1, 1], [1, 1, 1], [1, 1, 0]]
    assert cat_rows([unmasked, unmasked])["encoder_attention_mask"] is None
    with pytest.raises(ValueError, match="encoder_hidden_states of shapes"):
        cat_rows([masked, {"encoder_hidden_states": torch.zeros(1, 3, 5), "encoder_attention_mask": None}])
    # Masked token states of different lengths are zero-padded to the longest, the padding masked out.
    longer = cat_rows([masked, {"encoder_hidden_states": torch.ones(1, 5, 4), "encoder_attention_mask": None}])
    assert longer["encoder_hidden_states"].shape == (2, 5, 4) and longer["encoder_hidden_states"][0, 3:].abs().sum() == 0
    assert longer["encoder_attention_mask"].tolist() == [[1, 1, 0, 0, 0], [1, 1, 1, 1, 1]]
    with pytest.raises(ValueError, match="encoder_hidden_states of shapes"):  # without a mask, no padding
        cat_rows([{"encoder_hidden_states": torch.zeros(1, 3, 4)}, {"encoder_hidden_states": torch.zeros(1, 5, 4)}])
    with pytest.raises(ValueError, match="only attention masks may be None"):
        cat_rows([{"class_labels": None}, {"class_labels": torch.zeros(1, 2)}])
    assert repeat_rows(masked, 2)["encoder_attention_mask"].tolist() == [[1, 1, 0], [1, 1, 0]]


def test_blend_is_exact_at_the_ends_and_unites_masks():
    a = {"encoder_hidden_states": torch.zeros(1, 3, 2), "encoder_attention_mask": torch.tensor([[1, 0, 0]])}
    b = {"encoder_hidden_states": torch.ones(1, 3, 2), "encoder_attention_mask": torch.tensor([[1, 1, 0]])}
    assert blend(a, b, 0.0) is a and blend(a, b, 1.0) is b
    middle = blend(a, b, 0.25)
    assert torch.equal(middle["encoder_hidden_states"], torch.full((1, 3, 2), 0.25))
    assert middle["encoder_attention_mask"].tolist() == [[1, 1, 0]]


def test_the_pipeline_splats_the_conditioner_kwargs_into_the_unet(tiny_pipe, monkeypatch):
    """Whatever the conditioner returns reaches the U-Net as keyword arguments, guidance-batched."""

    class Recording(TextConditioner):
        def prompt_kwargs(self, prompts, device, dtype):
            labels = torch.tensor([len(p) for p in prompts], device=device)
            return {**super().prompt_kwargs(prompts, device, dtype), "class_labels": labels}

    parent = tiny_pipe.conditioner()
    monkeypatch.setattr(tiny_pipe, "conditioner", lambda seconds=None: Recording(
        parent.tokenizer, parent.text_encoder, parent.projection, tiny_pipe.unet.config.cross_attention_dim))
    seen = []
    forward = tiny_pipe.unet.forward

    def recording_forward(sample, timestep, **kwargs):
        seen.append(kwargs)
        return forward(sample, timestep, **kwargs)

    monkeypatch.setattr(tiny_pipe.unet, "forward", recording_forward)
    tiny_pipe("a kick", num_inference_steps=2, audio_length_in_s=0.32, guidance_scale=3.0, output_type="latent")
    assert len(seen) == 2 and all(kw["class_labels"].tolist() == [0, 6] for kw in seen)  # "" first, then "a kick"
    assert all(kw["encoder_hidden_states"].shape[0] == 2 for kw in seen)


def test_conditional_rows_takes_back_the_second_part_of_a_guidance_batch():
    uncond = {"encoder_hidden_states": torch.zeros(2, 3, 5), "class_labels": torch.zeros(2, 4), "encoder_attention_mask": None}
    cond = {"encoder_hidden_states": torch.randn(2, 3, 5), "class_labels": torch.randn(2, 4), "encoder_attention_mask": None}
    taken = conditional_rows(cat_rows([uncond, cond]))
    assert taken.keys() == cond.keys() and taken["encoder_attention_mask"] is None
    assert all(torch.equal(taken[name], cond[name]) for name in ("encoder_hidden_states", "class_labels"))
