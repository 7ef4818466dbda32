"""Lay out and draw random trees of 1,000 and 5,000 tips, beside the naive figure.

    python bench/tree_figure.py [--tips 1000 5000] [--repeats 5] [--naive-max 5000]

Ours: ``analysis.phylo.tree_layout`` (Newick text in, parse included) then
``dashboard.components.tree_figure.tree_figure`` with tips coloured in three groups, a search
match and support values, rectangular and radial; the target is under a second for 5,000
tips on the server (issue 10, item 7). Also the figure's JSON size (what the browser
downloads) and its trace count. The anchor, in the same run on the same tree: the obvious
figure, one ``go.Scatter`` per branch (horizontal and vertical lines of a rectangular
phylogram, coloured per branch) plus one per tip, built with ``go.Figure`` from the same
layout, so the ratio is the price of per-branch traces alone. It is skipped above
--naive-max tips. Times are the best and median of --repeats runs (the naive one once).
Random trees: a random-join (coalescent-shaped) topology with exponential branch lengths,
generated with numpy under a fixed seed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import plotly.graph_objects as go  # noqa: E402

from analysis.phylo import TreeLayout, tree_layout  # noqa: E402
from dashboard.components.tree_figure import tree_figure  # noqa: E402

TARGET_MS = 1_000.0
GROUPS = ("Spaceflight", "Ground Control", "Ancestor")


def random_newick(n: int, seed: int = 1) -> str:
    """A random tree of ``n`` tips t0..: pairs joined at random, exponential lengths and a
    bootstrap-like support on every inner node."""
    rng = np.random.default_rng(seed)
    lengths = rng.exponential(0.05, size=2 * n)
    supports = rng.integers(0, 101, size=n)
    nodes = [f"t{i}:{lengths[i]:.5f}" for i in range(n)]
    k = n
    while len(nodes) > 1:
        i, j = rng.choice(len(nodes), 2, replace=False)
        a, b = nodes[i], nodes[j]
        for idx in sorted((int(i), int(j)), reverse=True):
            nodes[idx] = nodes[-1]
            nodes.pop()
        nodes.append(f"({a},{b}){supports[k - n]}:{lengths[k]:.5f}")
        k += 1
    return nodes[0] + ";"


def naive_figure(layout: TreeLayout, groups: dict[str, str]) -> go.Figure:
    """One trace per branch and per tip: what a straightforward Plotly tree does."""
    colours = {"Spaceflight": "#0072B2", "Ground Control": "#D55E00", "Ancestor": "#009E73"}
    traces = []
    x, y, parent = layout.x.tolist(), layout.y.tolist(), layout.parent.tolist()
    for i in range(1, len(x)):
        p = parent[i]
        colour = colours.get(groups.get(layout.names[i], ""), "#868e96")
        traces.append(
            go.Scatter(
                x=[x[p], x[p], x[i]],
                y=[y[p], y[i], y[i]],
                mode="lines",
                line={"color": colour, "width": 1},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    for i in np.flatnonzero(layout.is_tip).tolist():
        traces.append(
            go.Scatter(
                x=[x[i]],
                y=[y[i]],
                mode="markers",
                customdata=[int(layout.ids[i])],
                text=[layout.names[i]],
                showlegend=False,
            )
        )
    return go.Figure(traces)


def timed(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def bench(n: int, repeats: int, naive_max: int) -> None:
    text = random_newick(n)
    groups = {f"t{i}": GROUPS[(i * 5 // n) % 3] for i in range(n)}
    print(f"\n{n:,} tips ({2 * n - 1:,} nodes, {len(text) / 1e3:,.0f} kB of Newick)")
    for shape in ("rectangular", "radial"):
        layout_ms, layout = timed(lambda s=shape: tree_layout(text, shape=s), repeats)

        def draw(lay: TreeLayout = layout) -> go.Figure:
            return tree_figure(
                lay,
                tip_groups=groups,
                group_title="Condition",
                highlight={"t1"},
                show_support=True,
            )

        figure_ms, figure = timed(draw, repeats)
        total = [a + b for a, b in zip(layout_ms, figure_ms, strict=True)]
        size = len(figure.to_json())
        median = statistics.median(total)
        print(
            f"  ours  {shape:11s}: layout best {min(layout_ms):6.1f} ms, figure best "
            f"{min(figure_ms):6.1f} ms, together median {median:6.1f} ms (target < "
            f"{TARGET_MS:.0f} ms: {'met' if median < TARGET_MS else 'MISSED'}); "
            f"{len(figure.data)} traces, JSON {size / 1e6:.2f} MB"
        )
        if shape != "rectangular":
            continue
        if n > naive_max:
            print(f"  anchor: one trace per branch skipped above {naive_max:,} tips")
            continue
        naive_ms, naive = timed(lambda lay=layout: naive_figure(lay, groups), 1)
        naive_size = len(naive.to_json())
        ours_best = min(layout_ms) + min(figure_ms)
        print(
            f"  anchor: one go.Scatter per branch and tip (same layout, not counted): "
            f"{naive_ms[0]:8.1f} ms, {len(naive.data):,} traces, JSON {naive_size / 1e6:.2f} MB"
        )
        print(f"  ratio : anchor / ours = {naive_ms[0] / ours_best:.0f}x (ours with layout)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tips", type=int, nargs="+", default=[1_000, 5_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--naive-max", type=int, default=5_000)
    args = parser.parse_args()
    for n in args.tips:
        bench(n, args.repeats, args.naive_max)


if __name__ == "__main__":
    main()
