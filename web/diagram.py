"""The lifecycle drawn as inline SVG, laid out from the transition table (no JavaScript, no CDN).

The main track is found by walking the table from `draft` to each next new
state; final states sit in a row beneath. Forward steps are arrows along the
track, steps back are arcs above it, events that keep the state are listed
under their state, and the events that end an agreement label the final boxes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from html import escape

from web.i18n import Translator
from workflow.lifecycle import TERMINAL, TRANSITIONS, State

BOX_W, BOX_H, GAP, TOP, ROW2 = 128, 44, 34, 70, 250


def main_track() -> list[State]:
    track = [State.DRAFT]
    while True:
        here = track[-1]
        nxt = next((t.dest for t in TRANSITIONS if here in t.sources and t.dest is not None
                    and t.dest not in TERMINAL and t.dest not in track), None)
        if nxt is None:
            return track
        track.append(nxt)


def _lines(label: str, width: int = 16) -> list[str]:
    words, lines, line = label.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return [*lines, line] if line else lines


def _box(x: float, y: float, label: str, *, final: bool = False) -> str:
    cls = "final" if final else "state"
    text_lines = _lines(label)
    first = y + BOX_H / 2 - (len(text_lines) - 1) * 7 + 4
    texts = "".join(f'<text x="{x + BOX_W / 2}" y="{first + i * 14}" text-anchor="middle">{escape(t)}</text>'
                    for i, t in enumerate(text_lines))
    return f'<g class="{cls}"><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8"/>{texts}</g>'


def svg(t: Translator) -> str:
    track = main_track()
    finals = [s for s in State if s in TERMINAL]
    x_of = {s: 10 + i * (BOX_W + GAP) for i, s in enumerate(track)}
    fx = {s: 10 + (i + 1.5) * (BOX_W + GAP) for i, s in enumerate(finals)}
    width = 20 + len(track) * (BOX_W + GAP) - GAP
    parts: list[str] = []
    stays: dict[State, list[str]] = defaultdict(list)
    into: dict[State, list[str]] = defaultdict(list)
    for tr in TRANSITIONS:
        name = t.event(tr.event.value).lower() if tr.manual else tr.event.value.replace("_", " ")
        for src in tr.sources:
            dest = tr.dest or src
            if dest in TERMINAL:
                if name not in into[dest]:
                    into[dest].append(name)
                if src in x_of:
                    sx, dxx = x_of[src] + BOX_W / 2, fx[dest] + BOX_W / 2
                    parts.append(f'<path class="end" d="M{sx},{TOP + BOX_H} C{sx},{TOP + BOX_H + 60} '
                                 f'{dxx},{ROW2 - 60} {dxx},{ROW2}"/>')
            elif dest == src or tr.interim == src:
                if name not in stays[src]:
                    stays[src].append(name)
                if tr.interim and tr.dest in x_of:
                    _arrow(parts, x_of, src, tr.dest, name)
            elif src in x_of and dest in x_of:
                _arrow(parts, x_of, src, dest, name)
    for s in track:
        parts.append(_box(x_of[s], TOP, t.state(s.value)))
        for i, name in enumerate(stays.get(s, [])):
            parts.append(f'<text class="loop" x="{x_of[s] + BOX_W / 2}" y="{TOP + BOX_H + 16 + i * 13}" '
                         f'text-anchor="middle">↻ {escape(name)}</text>')
    for s in finals:
        parts.append(_box(fx[s], ROW2, t.state(s.value), final=True))
        parts.append(f'<text class="label" x="{fx[s] + BOX_W / 2}" y="{ROW2 + BOX_H + 16}" '
                     f'text-anchor="middle">{escape(" / ".join(into[s]))}</text>')
    height = ROW2 + BOX_H + 30
    return (f'<svg class="lifecycle" viewBox="0 0 {width} {height}" role="img" '
            f'aria-labelledby="lifecycle-svg-title" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="lifecycle-svg-title">{escape(t("l.title"))}</title>'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
            'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>'
            + "".join(parts) + "</svg>")


def _arrow(parts: list[str], x_of: Mapping[State, float], src: State, dest: State, name: str) -> None:
    sx, dx = x_of[src], x_of[dest]
    if dx > sx:  # forward along the track
        y = TOP + BOX_H / 2
        parts.append(f'<path class="step" d="M{sx + BOX_W},{y} L{dx},{y}" marker-end="url(#arrow)"/>')
        parts.append(f'<text class="label" x="{(sx + BOX_W + dx) / 2}" y="{TOP - 8}" '
                     f'text-anchor="middle">{escape(_short(name))}</text>')
    else:  # back: an arc above the track
        a, b = sx + BOX_W / 2, dx + BOX_W / 2
        parts.append(f'<path class="back" d="M{a},{TOP} C{a},{TOP - 50} {b},{TOP - 50} {b},{TOP}" '
                     f'marker-end="url(#arrow)"/>')
        parts.append(f'<text class="label" x="{(a + b) / 2}" y="{TOP - 42}" '
                     f'text-anchor="middle">{escape(name)}</text>')


def _short(name: str) -> str:
    return name if len(name) <= 18 else name[:17] + "…"
