"""The studio's page (Gradio): one panel per verb, its controls made from the verb's own options.

Every panel runs on the one :class:`~latentaudio.demo.studio.Studio`: its run button sends the
controls' values, the sampler's steps drive the progress bar, Stop ends the run at the next step,
and each take comes back as a player (with its WAV download) and then its spectrogram. "Send to"
buttons hand a take to the panels that edit audio.
"""

from __future__ import annotations

import argparse

import gradio as gr

from ..audio_io import AudioFileError
from ..cli.common import draw_seed
from ..cli.edit import EDIT_VERBS
from ..model_folder import ModelFolderError
from .studio import Cancelled, Studio, parse_values, shown_options

MAX_TAKES = 5  # players shown per panel; every take is also in the panel's file list

# (tab title, tab id, [(panel id, verb, panel title)]): panels side by side in a tab get sub-tabs.
TABS = [
    ("Generate", "generate", [("generate", "generate", "Generate")]),
    ("Transform / Vary", "transform", [("transform", "transform", "Transform (sound transfer)"),
                                       ("vary", "vary", "Vary / humanise")]),
    ("Inpaint", "inpaint", [("inpaint", "inpaint", "Inpaint")]),
    ("Extend / Loop", "extend", [("extend", "extend", "Extend / Loop")]),
    ("Upsample", "upsample", [("upsample", "upsample", "Upsample")]),
    ("Widen", "widen", [("widen", "widen", "Widen")]),
    ("Interpolate", "interpolate", [("interpolate", "interpolate", "Interpolate")]),
    ("Long audio", "long", [("long", "generate", "Long audio")]),
    ("Instrument / MIDI", "instrument", [("instrument", "instrument", "Instrument"), ("render", "render", "MIDI file")]),
    ("Sample pack", "pack", [("pack", "pack", "Sample pack")]),
]
# Panels that take audio in, and so can be sent a take.
TARGETS = [(panel, verb, title, tab) for title_, tab, panels in TABS for panel, verb, title in panels
           if verb in EDIT_VERBS and EDIT_VERBS[verb].reads_input]

INTRO = {
    "vary": "Takes of one sample that differ in detail. Leave the prompt empty and keep the strength low "
            "(0.1-0.3) to humanise a repeated sample.",
    "long": "Any length past the model's clip, denoised in overlapping windows (MultiDiffusion).",
    "instrument": "A playable instrument for a sampler: a take every few semitones (or, with *drums*, every drum of a "
                  "General MIDI kit), each tuned to the pitch it was heard at. Download the .zip, unpack it, and open "
                  "its .sfz file in an SFZ sampler; the players are a few of its samples, low to high.",
    "render": "A MIDI file played on an instrument made from the prompt (samples every few semitones over the notes it "
              "plays, each tuned to the pitch heard in it), its drum channel on a General MIDI kit.",
    "pack": "A sample pack of a drum style: its drums as one-shots, a drum loop, a bass line, chords and a melody that loop "
            "seamlessly at one tempo and in one key, and two effects. Download the .zip; every WAV in it states its tempo "
            "and key, or its note, to a DAW or a sampler. The players are the first take of the loops and phrases.",
}

# Built-in system fonts only: nothing is fetched from a font CDN.
THEME = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
USER_ERRORS = (ValueError, TypeError, AudioFileError, ModelFolderError)
# Options left empty for the sampling of whichever model a run goes to (the music model's for a loop): a text box,
# since an untouched empty number box sends 0, which for the guidance scale would be a value.
MODEL_OWN = ("steps", "guidance")
# The Long audio panel's length: past what either embedded model denoises in one pass (5.12 s and 10.24 s).
LONG_AUDIO_SECONDS = 20.0


def label(action: argparse.Action) -> str:
    """``--negative-prompt`` → "negative prompt"."""
    flag = next((f for f in action.option_strings if f.startswith("--")), action.dest)
    return flag.lstrip("-").replace("-", " ")


def control(action: argparse.Action, elem_id: str, default=None):
    """The Gradio control for one command-line option."""
    shared = dict(label=label(action), info=action.help, elem_id=elem_id)
    value = action.default if default is None else default
    if action.choices:
        return gr.Dropdown([("model's own", "")] + sorted(action.choices), value="", **shared)
    if isinstance(action, argparse._StoreTrueAction):
        return gr.Checkbox(value=bool(action.default), **shared)
    type_name = getattr(action.type, "__name__", "")
    numeric = type_name in ("int", "positive_int", "non_negative_int", "seed", "float", "positive_float", "finite_float")
    if numeric and value is None:  # a number box left untouched sends 0, which would be given, not left out
        return gr.Textbox(value="", lines=1, placeholder="the model's own" if action.dest in MODEL_OWN else "default",
                          **shared)
    if type_name in ("int", "positive_int", "non_negative_int", "seed"):
        return gr.Number(value=value, precision=0, **shared)
    if type_name in ("float", "positive_float", "finite_float"):
        return gr.Number(value=value, **shared)
    return gr.Textbox(value=value or "", lines=1, **shared)


class Panel:
    """One verb's controls, run and stop buttons, takes and "send to" buttons."""

    def __init__(self, studio: Studio, panel: str, verb: str, queue: bool):
        self.studio, self.panel, self.verb, self.queue = studio, panel, verb, queue
        if panel in INTRO:
            gr.Markdown(INTRO[panel])
        self.input = None
        if verb in EDIT_VERBS and EDIT_VERBS[verb].reads_input:
            self.input = gr.Audio(type="filepath", sources=["upload"], label="input audio", elem_id=f"{panel}-input")
        elif verb == "render":
            self.input = gr.File(type="filepath", file_types=[".mid", ".midi"], label="MIDI file", elem_id=f"{panel}-input")
        self.controls, self.random_seed = {}, None
        with gr.Row(equal_height=False):
            with gr.Column():
                for action in shown_options(studio.parsers[verb]):
                    self.controls[action.dest] = control(action, f"{panel}-{action.dest}", self.default(action))
                    if action.dest == "seed":
                        self.random_seed = gr.Checkbox(value=False, label="random seed (the seed used is shown above)",
                                                       elem_id=f"{panel}-random-seed")
            with gr.Column():
                with gr.Row():
                    self.run_button = gr.Button("Run", variant="primary", elem_id=f"{panel}-run")
                    self.stop_button = gr.Button("Stop", variant="stop", elem_id=f"{panel}-stop")
                # what the model read the prompt as, when its prompt template rewrote it
                self.read_as = gr.Markdown(elem_id=f"{panel}-read-as") if "prompt" in self.controls or verb == "pack" else None
                self.takes, self.players, self.images = [], [], []
                for i in range(MAX_TAKES):
                    with gr.Column(visible=i == 0) as take:
                        self.players.append(gr.Audio(type="filepath", interactive=False, label=f"take {i + 1}",
                                                     buttons=["download"], elem_id=f"{panel}-take-{i}"))
                        self.images.append(gr.Image(type="filepath", interactive=False, label=f"take {i + 1}: spectrogram",
                                                    format="png", elem_id=f"{panel}-image-{i}"))
                    self.takes.append(take)
                files = {"instrument": "the instrument (.zip: the .sfz file and its samples), and the samples played above",
                         "pack": "the pack (.zip: its folder of WAVs and pack.txt), and the takes played above",
                         "render": "the song (WAV), and with keep instruments the instruments made (.zip: each .sfz file "
                                   "and its samples)"}.get(
                    verb, "all takes (WAV)")
                self.files = gr.File(file_count="multiple", label=files, interactive=False, elem_id=f"{panel}-files")
                self.send_take = gr.Radio([str(i + 1) for i in range(MAX_TAKES)], value="1", label="take to send")
                with gr.Row():
                    self.send_buttons = {target: gr.Button(f"Send to {title}", size="sm", elem_id=f"{panel}-send-{target}")
                                         for target, _, title, _ in TARGETS}

    def default(self, action: argparse.Action):
        """Where a panel starts from another default than its verb: long audio at :data:`LONG_AUDIO_SECONDS`. Steps
        and guidance start empty (:data:`MODEL_OWN`): a run samples as the model it goes to saved (the default model in
        4 steps, the music model in 20), and the page says how it sampled."""
        if self.panel == "long" and action.dest == "seconds":
            return min(LONG_AUDIO_SECONDS, self.studio.pipe.config.max_audio_length_in_s)
        return None

    # ------------------------------------------------------------------ events
    def connect(self, panels: dict, tabs: dict) -> None:
        inputs = {*self.controls.values(), *([self.random_seed] if self.random_seed else []),
                  *([self.input] if self.input else [])}
        outputs = [*self.controls.values(), self.files, *self.players, *self.takes, *([self.read_as] if self.read_as else [])]
        model_slot = dict(concurrency_id="model", concurrency_limit=1) if self.queue else {}
        run = self.run_button.click(self.run, inputs=inputs, outputs=outputs, queue=self.queue, **model_slot)
        run.success(self.plot, inputs=self.files, outputs=self.images, queue=self.queue)
        self.stop_button.click(self.stop, queue=False, cancels=[run] if self.queue else None)
        for target, _, _, tab in TARGETS:
            other = panels[target]
            outer, inner = tabs[tab]
            outputs = [other.input, outer] + ([inner] if inner is not None else [])
            self.send_buttons[target].click(sender(tab, target if inner is not None else None),
                                            inputs=[self.send_take, *self.players], outputs=outputs, queue=False)

    def run(self, data: dict, request: gr.Request, progress=gr.Progress()):
        values = {dest: data[component] for dest, component in self.controls.items()}
        if self.random_seed is not None and data[self.random_seed]:
            values["seed"] = draw_seed()
        audio = None if self.input is None else data[self.input]
        if self.input is not None and not audio:
            raise gr.Error("No MIDI file: upload a standard MIDI file (.mid)." if self.verb == "render" else
                           "No input audio: upload a file, or send a take here from another tab.", duration=None)
        progress(0, desc="starting")
        unit = {"instrument": ("samples", "making samples"), "render": ("samples", "making samples"),
                "pack": ("sounds", "making sounds")}.get(self.verb,
                                                                                                  ("steps", "sampling"))
        try:
            paths = self.studio.run(self.verb, values, audio, session=request.session_hash, previews=MAX_TAKES,
                                    on_step=lambda step, total: progress((step, total), desc=unit[1], unit=unit[0]))
        except Cancelled:
            raise gr.Error("Stopped.", duration=None, print_exception=False)
        except USER_ERRORS as error:
            message = str(error)
            if audio:  # name the upload by its file name, not the server's path
                message = message.replace(audio.rsplit("/", 1)[0] + "/", "")
            raise gr.Error(message, duration=None, print_exception=False)
        updates = {component: gr.update() for component in self.controls.values()}
        if "seed" in self.controls:
            updates[self.controls["seed"]] = values.get("seed", data[self.controls["seed"]])
        updates[self.files] = [str(path) for path in paths]
        if self.verb == "instrument":
            updates[self.read_as] = self.studio.instrument_read_as(values)
        elif self.verb == "pack":
            updates[self.read_as] = self.studio.pack_read_as(values)
        elif self.verb == "render":
            updates[self.read_as] = self.studio.render_read_as(values, audio)
        elif self.read_as is not None:
            args = vars(parse_values(self.studio.parsers[self.verb], values))  # as the run read them
            read_as = self.studio.read_as(args.get("prompt"), args.get("seconds"), args.get("loop", False),
                                          verb=self.verb, audio=audio, best_of=args.get("best_of") or 0,
                                          num_waveforms=args.get("num_waveforms") or args.get("num_variations") or 1)
            sampled = self.studio.sampled(self.verb, args.get("prompt"), args.get("loop", False), audio, args["steps"],
                                          args["guidance"])
            updates[self.read_as] = "\n\n".join(part for part in (read_as, sampled) if part)
        heard = playable(paths)
        for i in range(MAX_TAKES):
            updates[self.players[i]] = str(heard[i]) if i < len(heard) else None
            updates[self.takes[i]] = gr.Column(visible=i < len(heard))
        return updates

    def plot(self, files):
        paths = playable(files or [])[:MAX_TAKES]
        images = [str(self.studio.spectrogram_image(path, f"take {i + 1}")) for i, path in enumerate(paths)]
        return images + [None] * (MAX_TAKES - len(images))

    def stop(self, request: gr.Request):
        self.studio.stop(request.session_hash)


def playable(paths: list) -> list:
    """The WAVs among a run's files (an instrument's or a pack's run also gives its .zip), in order: what the players
    show."""
    return [path for path in paths if str(path).endswith(".wav")]


def sender(tab: str, inner_tab):
    """A "send to" handler: the chosen take into the target panel's input, and that panel's tab shown."""

    def send(take, *players):
        chosen = players[int(take) - 1]
        if chosen is None:
            raise gr.Error(f"Take {take} is empty: run this panel first.")
        return [chosen, gr.Tabs(selected=tab)] + ([gr.Tabs(selected=inner_tab)] if inner_tab is not None else [])

    return send


def build_app(studio: Studio, queue: bool = True) -> gr.Blocks:
    """The studio page on ``studio``; ``queue=False`` serves requests without Gradio's queue (no progress, no Stop)."""
    panels, tabs = {}, {}
    with gr.Blocks(title="latentaudio studio", analytics_enabled=False) as app:
        gr.Markdown("## latentaudio studio\nEvery verb of the `latentaudio` command, on the model below.")
        with gr.Tabs() as outer:
            for tab_title, tab, tab_panels in TABS:
                with gr.Tab(tab_title, id=tab):
                    if len(tab_panels) == 1:
                        panel, verb, _ = tab_panels[0]
                        panels[panel], tabs[tab] = Panel(studio, panel, verb, queue), (outer, None)
                        continue
                    with gr.Tabs() as inner:
                        for panel, verb, title in tab_panels:
                            with gr.Tab(title, id=panel):
                                panels[panel] = Panel(studio, panel, verb, queue)
                    tabs[tab] = (outer, inner)
            with gr.Tab("Model", id="model"):
                gr.Markdown(studio.model_card(), elem_id="model-card")
        for panel in panels.values():
            panel.connect(panels, tabs)
    if queue:
        app.queue(default_concurrency_limit=1)
    return app
