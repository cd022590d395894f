"""Draw the lifecycle from the transition table (mermaid or Graphviz dot)."""

from __future__ import annotations

from collections import defaultdict

from workflow.lifecycle import TERMINAL, TRANSITIONS, Role, State


def _edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for t in TRANSITIONS:
        label = t.event.value
        if t.automatic and not t.manual:
            label += " (auto)"
        elif t.automatic:
            label += " (manual/auto)"
        if t.role > Role.OFFICER:
            label += f" [{t.role.label}]"
        for src in t.sources:
            dests = [t.interim, t.dest] if t.interim else [t.dest or src]
            for dest in dests:
                assert dest is not None
                lab = label + (" (last party)" if t.interim and dest == t.dest else "")
                edges[(src.value, dest.value)].append(lab)
    return edges


def mermaid() -> str:
    lines = ["stateDiagram-v2", "  [*] --> draft"]
    for (src, dest), labels in _edges().items():
        lines.append(f"  {src} --> {dest}: {' / '.join(labels)}")
    lines += [f"  {s.value} --> [*]" for s in State if s in TERMINAL]
    return "\n".join(lines) + "\n"


def dot() -> str:
    lines = ["digraph lifecycle {", "  rankdir=LR;", '  node [shape=box, style=rounded];']
    lines += [f'  {s.value} [shape=box, peripheries=2];' for s in State if s in TERMINAL]
    for (src, dest), labels in _edges().items():
        lines.append(f'  {src} -> {dest} [label="{" / ".join(labels)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
