"""The Markdown documentation against the software.

Every ``latentaudio`` command in a fenced shell block of README.md, MODEL_CARD.md and docs/*.md parses with the
command's own argument parser (nothing runs), and every relative link and image points at a file that exists and,
with an ``#anchor``, at one of that file's headings.
"""

from __future__ import annotations

import argparse
import io
import re
import shlex
from contextlib import redirect_stderr, redirect_stdout
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[1]


def markdown_files() -> list[Path]:
    """README.md, MODEL_CARD.md and every docs/*.md that exist now."""
    candidates = [REPO / "README.md", REPO / "MODEL_CARD.md", *sorted((REPO / "docs").glob("*.md"))]
    return [path for path in candidates if path.is_file()]


def shown(path: Path) -> str:
    """``path`` relative to the repository when it lies inside it."""
    try:
        return path.resolve().relative_to(REPO).as_posix()
    except ValueError:
        return str(path)


# ------------------------------------------------------------------ Markdown structure
FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([^`\s]*)")


def scan_lines(text: str) -> Iterator[tuple[int, str, Optional[str]]]:
    """Each line of ``text`` as (line number from 1, line, language): language is None for a line outside fenced
    code blocks, else the block's info word ("" for a plain fence); the fence lines themselves count as code."""
    fence = None  # the opening fence's characters while inside a block
    language = ""
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if fence is None:
            if match:
                fence, language = match.group(1), match.group(2).lower()
                yield number, line, language
            else:
                yield number, line, None
        else:
            yield number, line, language
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence) \
                    and not line.strip().strip(fence[0]):
                fence = None


# ------------------------------------------------------------------ commands
SHELL_LANGUAGES = {"", "bash", "sh", "shell", "zsh"}
ASSIGNMENT = re.compile(r"[A-Za-z_]\w*=")
# a `latentaudio` word at the start of a command: of the line, or after &&, ||, |, ; or & (and any VAR=value)
COMMAND_START = re.compile(r"(?:^|&&|\|\|?|;|&)\s*(?:[A-Za-z_]\w*=\S*\s+)*latentaudio(?=\s|$)")
SEPARATORS = {"&&", "||", "|", ";", "&", "(", ")"}


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """The lines of ``text``'s fenced shell blocks as (first line number, line), a line ending in a backslash
    joined with the next (a comment line never continues)."""
    pending, start = None, 0
    for number, line, language in scan_lines(text):
        if language not in SHELL_LANGUAGES or FENCE.match(line):
            if pending is not None:
                yield start, pending
            pending = None
            continue
        if pending is None:
            pending, start = line, number
        else:
            pending = pending[:-1] + " " + line.strip()
        if not (pending.endswith("\\") and not pending.lstrip().startswith("#")):
            yield start, pending
            pending = None
    if pending is not None:
        yield start, pending


def shell_words(line: str) -> list[str]:
    """``line`` split as the shell would: quotes honoured, comments dropped, and &&, ||, |, ;, & and redirections
    as words of their own (raises ValueError where shlex cannot split it)."""
    line = re.sub(r"(?<=\s)\d+(?=[<>])", " ", line)  # the file descriptor of `2>file`
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def commands_of(words: list[str]) -> Iterator[list[str]]:
    """The arguments after ``latentaudio`` of each command among ``words`` (split at &&, ||, |, ;, & and
    parentheses) that runs latentaudio, a leading VAR=value allowed."""
    command: list[str] = []
    for word in [*words, ";"]:
        if word in SEPARATORS:
            while command and ASSIGNMENT.match(command[0]):
                command.pop(0)
            if command and command[0] == "latentaudio":
                yield command[1:]
            command = []
        else:
            command.append(word)


def drop_redirections(words: list[str]) -> list[str]:
    """``words`` without redirections (``>``, ``2>&1``, ``<``): an operator and its target are no arguments."""
    kept, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word and set(word) <= set("<>&|") and ("<" in word or ">" in word):
            skip = True
        else:
            kept.append(word)
    return kept


def documented_commands(path: Path) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str, str]]]:
    """The ``latentaudio`` commands of ``path``'s fenced shell blocks, as (line, arguments after ``latentaudio``),
    and the lines that look like one but that shlex cannot split, as (line, text, why)."""
    commands, unsplittable = [], []
    for number, line in logical_lines(path.read_text(encoding="utf-8")):
        if line.lstrip().startswith("#") or not COMMAND_START.search(line):
            continue
        try:
            words = shell_words(line)
        except ValueError as error:
            unsplittable.append((number, line.strip(), str(error)))
            continue
        commands.extend((number, argv) for argv in commands_of(drop_redirections(words)))
    return commands, unsplittable


def try_parse(parser: argparse.ArgumentParser, argv: list[str]) -> Optional[str]:
    """What ``parser`` says against ``argv`` (None when it parses, ``--help`` included); no verb runs."""
    stderr = io.StringIO()
    try:
        with redirect_stdout(io.StringIO()), redirect_stderr(stderr):
            parser.parse_args(argv)
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            return " ".join(stderr.getvalue().split()) or f"exit status {exit_.code}"
    except Exception as error:  # an option's type or a verb's lazily added options failing: the parser's own bug
        return f"{type(error).__name__}: {error}"
    return None


def command_failures(path: Path, parser: argparse.ArgumentParser) -> list[str]:
    """``file:line: command -> error`` for each documented command of ``path`` the parser rejects or shlex cannot
    split."""
    commands, unsplittable = documented_commands(path)
    failures = [(number, f"{text} -> shlex cannot split it: {why}") for number, text, why in unsplittable]
    for number, argv in commands:
        error = try_parse(parser, argv)
        if error is not None:
            failures.append((number, f"{shlex.join(['latentaudio', *argv])} -> {error}"))
    return [f"{shown(path)}:{number}: {failure}" for number, failure in sorted(failures)]


# ------------------------------------------------------------------ links
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)((?:(?!\n[ \t]*\n).)+?)(?<!`)\1(?!`)", re.DOTALL)
INLINE_LINK = re.compile(r"\]\(\s*(<[^>\n]*>|[^)\s]+)")  # [text](target) and ![alt](target), titles allowed
REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*(<[^>\n]*>|\S+)", re.MULTILINE)
HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
HTML_ANCHOR = re.compile(r"<[a-z][^>]*?\b(?:id|name)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
URL_SCHEME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:|//)")
ATX_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")


def blank(match: re.Match) -> str:
    """The matched text as spaces, its newlines kept."""
    return re.sub(r"[^\n]", " ", match.group())


def prose(text: str) -> str:
    """``text`` with its fenced code blocks and code spans blanked out, each line where it was."""
    lines = ["" if language is not None else line for _, line, language in scan_lines(text)]
    return CODE_SPAN.sub(blank, "\n".join(lines))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text lowercased, only letters, digits, spaces, hyphens and underscores
    kept, spaces as hyphens (code spans' text kept as written, links as their text, emphasis markers dropped)."""
    parts = re.split(r"(`+[^`]*`+)", heading)
    text = ""
    for part in parts:
        if part.startswith("`"):
            text += part.strip("`")
        else:
            part = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", part)  # a link's text
            part = re.sub(r"<[^>]+>", "", part)  # HTML tags
            text += re.sub(r"(?<!\w)_+|_+(?!\w)", "", part)  # _emphasis_ and __strong__, not snake_case
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def heading_slugs(text: str) -> list[str]:
    """The slugs of ``text``'s headings (ATX and setext) in order, before duplicates are numbered."""
    slugs, previous = [], None
    for _, line, language in scan_lines(text):
        if language is not None:
            previous = None
            continue
        heading = ATX_HEADING.match(line)
        if heading:
            slugs.append(slug(heading.group(1) or ""))
            previous = None
        elif SETEXT_UNDERLINE.match(line) and previous and previous.strip() and not previous.lstrip().startswith("|"):
            slugs.append(slug(previous))
            previous = None
        else:
            previous = line
    return slugs


@lru_cache(maxsize=None)
def anchors(path: Path) -> frozenset[str]:
    """The ``#anchors`` a link into ``path`` may name: its headings' slugs (a repeated one as slug-1, slug-2, ...)
    and its HTML ids and names."""
    text = path.read_text(encoding="utf-8")
    found, seen = set(), {}
    for base in heading_slugs(text):
        if not base:
            continue
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    found.update(HTML_ANCHOR.findall(prose(text)))
    return frozenset(found)


def link_targets(path: Path) -> list[tuple[int, str]]:
    """Each link and image target of ``path`` outside code, as (line number, target), in the order they appear."""
    text = prose(path.read_text(encoding="utf-8"))
    matches = sorted((match for pattern in (INLINE_LINK, REFERENCE, HTML_LINK) for match in pattern.finditer(text)),
                     key=lambda match: match.start(1))
    targets = []
    for match in matches:
        target = match.group(1).strip()
        if target.startswith("<") and target.endswith(">"):
            target = target[1:-1].strip()
        targets.append((text.count("\n", 0, match.start(1)) + 1, target))
    return targets


def link_failures(path: Path) -> list[str]:
    """``file:line: target -> why`` for each relative link or image of ``path`` whose file is missing, or whose
    ``#anchor`` is no heading of the Markdown file it names."""
    failures = []
    for number, target in link_targets(path):
        if not target or URL_SCHEME.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        file_part, anchor = unquote(file_part), unquote(anchor)
        if file_part:
            linked = REPO / file_part.lstrip("/") if file_part.startswith("/") else path.parent / file_part
        else:
            linked = path
        where = f"{shown(path)}:{number}: {target}"
        if not linked.exists():
            failures.append(f"{where} -> no such file: {shown(linked)}")
        elif anchor and linked.is_file() and linked.suffix.lower() in (".md", ".markdown") \
                and anchor not in anchors(linked.resolve()):
            failures.append(f"{where} -> no heading #{anchor} in {shown(linked)}")
    return failures


# ------------------------------------------------------------------ tests
MARKDOWN = markdown_files()


@pytest.fixture(scope="module")
def parser() -> argparse.ArgumentParser:
    from latentaudio.cli import build_parser

    return build_parser()


@pytest.mark.parametrize("path", MARKDOWN, ids=[shown(path) for path in MARKDOWN])
def test_documented_commands_parse(path, parser):
    """Each ``latentaudio`` command in a fenced shell block names verbs, options and choices the CLI has."""
    failures = command_failures(path, parser)
    assert not failures, f"{len(failures)} documented command(s) the CLI rejects:\n" + "\n".join(failures)


@pytest.mark.parametrize("path", MARKDOWN, ids=[shown(path) for path in MARKDOWN])
def test_relative_links_resolve(path):
    """Each relative link and image names a file that exists, and an anchor that is one of its headings."""
    failures = link_failures(path)
    assert not failures, f"{len(failures)} broken link(s):\n" + "\n".join(failures)


def test_the_checks_report_what_is_wrong_and_only_that(tmp_path, parser):
    """A bad option, a bad choice, a bad value, an unsplittable line, a missing file and a missing anchor are each
    reported; good commands and links, and commands outside fenced shell blocks are not."""
    (tmp_path / "other.md").write_text("# Its Heading\n\ntext\n", encoding="utf-8")
    (tmp_path / "figure.png").write_bytes(b"")
    lines = [
        "# A `code` heading: with punctuation!",
        "## Twice",
        "## Twice",
        "Prose: `latentaudio generate x --prose-only` and `[code](nowhere.md)` are not checked.",
        "```bash",
        'latentaudio generate "x" --no-such-option',
        'latentaudio generate "x" --dtype float64 -o x.wav',
        'latentaudio generate "x" --steps many',
        'latentaudio generate "an unclosed quote',
        'pip install -e . && latentaudio generate "a snare drum hit" -o snare.wav   # a comment',
        "latentaudio serve --model my-model &",
        'latentaudio instrument "airy flute" --notes C2-C6 \\',
        "    --every 4 -o OUT",
        'latentaudio generate "x" --steps 8 --seed random -o OUT 2>&1 | tee log.txt',
        "latentaudio generate --help",
        "accelerate launch --num_processes 2 -m latentaudio train diffusion --bogus",
        "# latentaudio generate --in-a-comment",
        "```",
        "```python",
        "latentaudio generate --in-python",
        "```",
        "[good](#a-code-heading-with-punctuation) [dup](#twice-1) [other](other.md#its-heading) "
        "![figure](figure.png) [web](https://example.com/missing.md)",
        "[missing file](missing.md) [missing anchor](#no-such-heading) [other anchor](other.md#nope)",
        "![missing image](figures/none.png)",
    ]
    page = tmp_path / "page.md"
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def line_of(start: str) -> str:
        return f"{page}:{next(i for i, line in enumerate(lines, 1) if line.startswith(start))}: "

    commands = command_failures(page, parser)
    assert len(commands) == 4, "\n".join(commands)
    bad_option = line_of('latentaudio generate "x" --no-such')
    assert commands[0].startswith(bad_option + "latentaudio generate x --no-such-option")
    assert "unrecognized arguments: --no-such-option" in commands[0]
    assert commands[1].startswith(line_of('latentaudio generate "x" --dtype'))
    assert "invalid choice: 'float64'" in commands[1]
    assert commands[2].startswith(line_of('latentaudio generate "x" --steps many'))
    assert "argument --steps" in commands[2]
    assert commands[3].startswith(line_of('latentaudio generate "an unclosed') + 'latentaudio generate "an unclosed')
    assert "shlex cannot split" in commands[3]

    links = link_failures(page)
    assert links == [
        line_of("[missing file]") + "missing.md -> no such file: " + str(tmp_path / "missing.md"),
        line_of("[missing file]") + "#no-such-heading -> no heading #no-such-heading in " + str(page),
        line_of("[missing file]") + "other.md#nope -> no heading #nope in " + str(tmp_path / "other.md"),
        line_of("![missing image]") + "figures/none.png -> no such file: " + str(tmp_path / "figures" / "none.png"),
    ], "\n".join(links)


def test_slugs_follow_github():
    """Headings become GitHub's anchors: lowercase, punctuation and backticks gone, spaces as hyphens."""
    assert slug("Generating from the shell without PyTorch (`latentaudio export --standalone`)") == \
        "generating-from-the-shell-without-pytorch-latentaudio-export---standalone"
    assert slug("Stage 11: the families heard wrongly repeated") == "stage-11-the-families-heard-wrongly-repeated"
    assert slug("What `__init__` and __bold__ keep: snake_case") == "what-__init__-and-bold-keep-snake_case"
    assert slug("AudioLDM, MusicLDM and AudioLDM2 weights") == "audioldm-musicldm-and-audioldm2-weights"
