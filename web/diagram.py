"""The lifecycle drawn as inline SVG, laid out from the transition table (no JavaScript, no CDN).

A vertical layout, so that it fits a phone and no two lines cross:

- the main track (found by walking the table from `draft` to each next new state)
  is a column of boxes read from the top; each forward step is an arrow down,
  named beside it; a step back is an arc on the left, named `↑ …` in the gap it
  spans;
- events that keep the state are listed inside their box (`↺ …`);
- final states sit in a column on the right. The states a final state is reached
  from are joined by a bracket; finals reached from the same states share one
  bracket, and brackets that overlap get their own column, each leaving at a row
  no other bracket further right covers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from html import escape

from web.i18n import Translator
from workflow.lifecycle import TERMINAL, TRANSITIONS, State

WIDTH = 400
LEFT = 44            # room for the arcs of steps back
BOX_W = 170
TOP = 8
FONT, SMALL = 13, 11
CHAR = 0.56          # average glyph width, in ems
BRACKET_X, BRACKET_STEP = LEFT + BOX_W + 14, 12
FINAL_H, FINAL_PITCH = 30, 52


def main_track() -> list[State]:
    track = [State.DRAFT]
    while True:
        here = track[-1]
        nxt = next((t.dest for t in TRANSITIONS if here in t.sources and t.dest is not None
                    and t.dest not in TERMINAL and t.dest not in track), None)
        if nxt is None:
            return track
        track.append(nxt)


def wrap(label: str, width_px: float, size: int = SMALL) -> list[str]:
    """`label` in lines no wider than `width_px` (by an average glyph width)."""
    per_line = max(8, int(width_px / (size * CHAR)))
    lines, line = [], ""
    for word in label.split():
        if line and len(line) + 1 + len(word) > per_line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


@dataclass
class _Row:
    state: State
    y: float = 0
    h: float = 0
    stays: list[str] | None = None

    @property
    def mid(self) -> float:
        return self.y + self.h / 2


def _name(t: Translator, event: str) -> str:
    name = t.event(event)
    return name[:1].lower() + name[1:]


def _text(x: float, y: float, lines: list[str], cls: str, anchor: str = "start", step: int = 14) -> str:
    return "".join(f'<text class="{cls}" x="{x:.0f}" y="{y + i * step:.0f}" text-anchor="{anchor}">{escape(s)}</text>'
                   for i, s in enumerate(lines))


def svg(t: Translator) -> str:
    track = main_track()
    index = {s: i for i, s in enumerate(track)}
    forward: dict[int, list[str]] = defaultdict(list)   # gap after row i: names of steps down
    back: dict[int, list[tuple[int, str]]] = defaultdict(list)  # gap after row i: (dest row, name) of steps up
    stays: dict[State, list[str]] = defaultdict(list)
    into: dict[State, list[str]] = defaultdict(list)
    sources: dict[State, set[int]] = defaultdict(set)
    for tr in TRANSITIONS:
        name = _name(t, tr.event.value)
        for src in tr.sources:
            dest = tr.dest or src
            if dest in TERMINAL:
                if name not in into[dest]:
                    into[dest].append(name)
                if src in index:
                    sources[dest].add(index[src])
                continue
            if (dest == src or tr.interim == src) and name not in stays[src]:
                stays[src].append(name)
            target = tr.dest if tr.interim == src else dest
            if src in index and target in index and target != src:
                a, b = index[src], index[target]
                if b == a + 1 and name not in forward[a]:
                    forward[a].append(name)
                elif b < a:
                    back[b].append((a, name))

    # Rows: a box per state of the track, its height from its lines; gaps from their labels.
    label_w = BOX_W - 30
    rows: list[_Row] = []
    y: float = TOP
    gap_lines: dict[int, list[tuple[str, str]]] = {}
    for i, state in enumerate(track):
        loop = wrap("↺ " + " · ".join(stays[state]), BOX_W - 16) if stays.get(state) else []
        row = _Row(state, y, 12 + FONT + (len(loop) * 13) + 10, loop)
        rows.append(row)
        lines = [(s, "label") for n in forward.get(i, []) for s in wrap(n, label_w)]
        lines += [(s, "label back") for _a, n in back.get(i, []) for s in wrap("↑ " + n, label_w)]
        gap_lines[i] = lines
        y += row.h + max(34, 14 * len(lines) + 16)

    parts: list[str] = []
    x_mid = LEFT + 22
    for i, row in enumerate(rows):
        cls = "state"
        parts.append(f'<g class="{cls}"><rect x="{LEFT}" y="{row.y:.0f}" width="{BOX_W}" height="{row.h:.0f}" rx="8"/>'
                     + _text(LEFT + BOX_W / 2, row.y + 8 + FONT, [t.state(row.state.value)], "name", "middle")
                     + _text(LEFT + BOX_W / 2, row.y + 8 + FONT + 15, row.stays or [], "loop", "middle", 13) + "</g>")
        if i + 1 < len(rows):
            top, bottom = row.y + row.h, rows[i + 1].y
            parts.append(f'<path class="step" d="M{x_mid},{top:.0f} L{x_mid},{bottom - 1:.0f}" marker-end="url(#arrow)"/>')
            lines = gap_lines[i]
            first = (top + bottom) / 2 - (len(lines) - 1) * 7 + 4
            for k, (s, kind) in enumerate(lines):
                parts.append(_text(x_mid + 10, first + k * 14, [s], kind))
    for b, ups in back.items():
        for a, _n in ups:
            ya, yb = rows[a].mid, rows[b].mid
            bend = LEFT - 30
            parts.append(f'<path class="back" d="M{LEFT},{ya:.0f} C{bend},{ya:.0f} {bend},{yb:.0f} {LEFT},{yb:.0f}" '
                         'marker-end="url(#arrow)"/>')

    # Final states: group by the rows they are reached from; a bracket per group.
    groups: dict[tuple[int, ...], list[State]] = defaultdict(list)
    for state in State:
        if state in TERMINAL:
            groups[tuple(sorted(sources[state]))].append(state)
    ordered = sorted((g for g in groups if g), key=lambda g: (g[0], -len(g)))
    column: dict[tuple[int, ...], int] = {}
    for g in ordered:
        c = 0
        while any(column[o] == c and not (o[-1] < g[0] or g[-1] < o[0]) for o in column):
            c += 1
        column[g] = c
    final_x = BRACKET_X + BRACKET_STEP * (max(column.values(), default=0) + 1) + 10
    placed: list[tuple[float, State, tuple[int, ...], float]] = []  # (box y, state, group, exit y)
    for g in ordered:
        covered = {r for o in ordered if column[o] > column[g] for r in range(o[0], o[-1] + 1)}
        free = [r for r in g if r not in covered] or list(g)
        middle = (g[0] + g[-1]) / 2
        exit_row = min(free, key=lambda r: (abs(r - middle), r))
        exit_y = rows[exit_row].mid
        bx = BRACKET_X + BRACKET_STEP * column[g]
        for r in g:  # from the box, or from the nearest bracket of this row on the way
            start = max((BRACKET_X + BRACKET_STEP * column[o] for o in ordered
                         if r in o and column[o] < column[g]), default=LEFT + BOX_W)
            parts.append(f'<path class="end" d="M{start},{rows[r].mid:.0f} L{bx},{rows[r].mid:.0f}"/>')
        parts.append(f'<path class="end" d="M{bx},{rows[g[0]].mid:.0f} L{bx},{rows[g[-1]].mid:.0f}"/>')
        for k, state in enumerate(groups[g]):
            placed.append((exit_y - FINAL_H / 2 + k * FINAL_PITCH, state, g, exit_y))
    placed.sort(key=lambda p: p[0])
    last = -1e9
    for box_y, state, g, exit_y in placed:
        box_y = max(box_y, last + FINAL_PITCH)
        last = box_y
        bx = BRACKET_X + BRACKET_STEP * column[g]
        parts.append(f'<path class="end" d="M{bx},{exit_y:.0f} L{final_x},{box_y + FINAL_H / 2:.0f}" '
                     'marker-end="url(#arrow-end)"/>')
        parts.append(f'<g class="final"><rect x="{final_x}" y="{box_y:.0f}" width="{WIDTH - final_x - 4}" '
                     f'height="{FINAL_H}" rx="8"/>'
                     + _text((final_x + WIDTH - 4) / 2, box_y + 20, [t.state(state.value)], "name", "middle")
                     + "</g>")
        parts.append(_text((final_x + WIDTH - 4) / 2, box_y + FINAL_H + 12,
                           wrap(" / ".join(into[state]), WIDTH - final_x), "label", "middle", 12))
        y = max(y, box_y + FINAL_H + 30)
    height = max(y, rows[-1].y + rows[-1].h + 10)
    return (f'<svg class="lifecycle" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
            f'aria-labelledby="lifecycle-svg-title" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="lifecycle-svg-title">{escape(t("l.title"))}</title>'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
            'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>'
            '<marker id="arrow-end" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
            'markerHeight="6" orient="auto-start-reverse"><path class="end" d="M0,0 L10,5 L0,10 z"/></marker></defs>'
            + "".join(parts) + "</svg>")
