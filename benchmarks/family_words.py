"""A one-shot named by its family alone or by an instrument GM lacks, read as the program it most likely means.

"guitar, E3", "a synth, C4" and "a ukulele, C5" against the same prompts read as written.

A one-shot model's prompt template rewrites a prompt into the caption of what it names
(``latentaudio.prompts.template_caption``). A prompt that names only a family ("guitar", "bass", "keys", "synth",
"pad", "woodwind", "mallets": the words of ``vocabulary.FAMILY_WORDS``) and no program is read as the caption of the
program the family word most likely means (``prompts.family_program``: "guitar, E3" as "a moderately loud
steel-string acoustic guitar note, E3"); before, it was read as written. This generates both from the same noise
seeds: every family word of every pitched family at two notes inside its program's range (80 prompts), and the
prompts of the paraphrase sets that name only a family (12; 92 in all), at the model's own clip, steps and guidance,
and scores the family a classifier hears (``--classifier``: e.g. the one ``latentaudio evaluate`` trains, or
``train_classifier('data/gm_dense2', C, seconds=2.56, min_seconds=1.0, max_steps=3000)``) and the note within a
semitone. A second table does the same for the instruments General MIDI lacks, read as the program nearest them
(``vocabulary.NEAREST_PROGRAMS``: "ukulele" as the nylon-string guitar, "wurli" as the electric piano, "vocal" as
voice oohs), each word at the same two notes of that program's range (18 prompts).

    python benchmarks/family_words.py --classifier C [--model latentaudio/default_model] [--seed 0] [--threads 2]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import generation_parser, load_pipeline  # noqa: E402

NOTE_SHARES = (0.35, 0.65)  # where in the program's range each family word is asked for


def _at_two_notes(word: str, program: int, offset: int) -> list[tuple[str, int]]:
    from latentaudio.data import gm

    low, high = gm.PROGRAMS[program].low, gm.PROGRAMS[program].high
    notes = [min(max(round(low + share * (high - low)) + offset, low), high) for share in NOTE_SHARES]  # words spread
    return [(f"{word}, {gm.note_name(note)}", note) for note in notes]


def nearest_program_prompts():
    """The words of ``vocabulary.NEAREST_PROGRAMS`` at two notes each, as a ``PromptSet``."""
    from latentaudio.data import gm, vocabulary
    from latentaudio.evaluation.generalisation import PromptSet

    rows = [(text, gm.family_of(program).name, note) for program, words in vocabulary.NEAREST_PROGRAMS.items()
            for offset, word in enumerate(words) for text, note in _at_two_notes(word, program, offset)]
    return PromptSet([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [None] * len(rows))


def family_word_prompts():
    """The prompts naming only a family, as a :class:`~latentaudio.evaluation.generalisation.PromptSet`."""
    from latentaudio.data import vocabulary
    from latentaudio.evaluation.generalisation import (BLIND_PARAPHRASES_PATH, PARAPHRASES_PATH, PromptSet,
                                                       load_paraphrases)
    from latentaudio.prompts import family_program, parse_prompt

    texts, families, notes = [], [], []
    for family, (words, _) in vocabulary.FAMILY_WORDS.items():
        program = family_program(family)
        if program is None:
            continue
        for offset, word in enumerate(words):
            for text, note in _at_two_notes(word, program, offset):
                texts.append(text)
                families.append(family)
                notes.append(note)
    for path in (PARAPHRASES_PATH, BLIND_PARAPHRASES_PATH):
        prompts = load_paraphrases(path)
        for text, family, note in zip(prompts.texts, prompts.families, prompts.notes):
            found = parse_prompt(text)
            if found.program is None and found.drum_key is None and family_program(found.family) is not None:
                texts.append(text)
                families.append(family)
                notes.append(note)
    return PromptSet(texts, families, notes, [None] * len(texts))


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=0, seconds=0.0)
    parser.add_argument("--classifier", required=True, help="a family classifier folder")
    args = parser.parse_args()
    pipe = load_pipeline(args)

    import numpy as np
    import torch

    from latentaudio.evaluation.classifier import load_classifier
    from latentaudio.evaluation.generalisation import score_prompts

    classifier, _ = load_classifier(args.classifier)
    template = pipe.config.get("prompt_template")
    print(f"{args.model}, {args.steps} steps, guidance {args.guidance}, seed {args.seed}")
    for title, prompts in (("naming only a family", family_word_prompts()),
                           ("naming an instrument GM lacks", nearest_program_prompts())):
        print(f"\n{len(prompts)} prompts {title}\n\n| read | family heard | note within a semitone |\n|---|---|---|")
        for name, reading in (("as the program it most likely means (now)", template), ("as written (before)", None)):
            pipe.register_to_config(prompt_template=reading)
            audio = []
            for start in range(0, len(prompts), 8):
                out = pipe(prompts.texts[start : start + 8], num_inference_steps=args.steps,
                           guidance_scale=args.guidance, generator=torch.Generator().manual_seed(args.seed + start)).audios
                audio.append(torch.as_tensor(np.asarray(out, np.float32)))
            scores = score_prompts(classifier, None, prompts, torch.cat(audio), pipe.sample_rate)
            print(f"| {name} | {scores['family_accuracy']:.0%} | {scores['note_accuracy']:.0%} |")
    pipe.register_to_config(prompt_template=template)


if __name__ == "__main__":
    main()
