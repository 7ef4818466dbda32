"""What the Mutations page keeps in its URL, read back safely (garbage is ignored):
``?result=3&tab=compare&compare=3,4&ancestor=0&ground=1&gens=3:500,4:480`` beside the calls
grid's own view (search, filters, sort, page).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ID_MAX = 2**31 - 1
IDS_MAX = 200  # results compared at most (the service's limit)
GENERATIONS_MAX = 1e9


@dataclass(frozen=True)
class MutationsQuery:
    """The page's view as the URL gives it."""

    result: int | None = None
    tab: str = ""
    compare: tuple[int, ...] = ()
    subtract_ancestor: bool = True
    subtract_ground: bool = False
    generations: tuple[tuple[int, float], ...] = ()


def parse_id(raw: object) -> int | None:
    """A positive id, or None.

    >>> parse_id("12"), parse_id("-1"), parse_id("x"), parse_id(None)
    (12, None, None, None)
    """
    text = str(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    if not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= ID_MAX else None


def parse_ids(raw: object) -> tuple[int, ...]:
    """Distinct ids from "3,4,7" (in order; anything else dropped).

    >>> parse_ids("3,4,x,3,7"), parse_ids(None)
    ((3, 4, 7), ())
    """
    if not isinstance(raw, str):
        return ()
    found = [i for i in (parse_id(p.strip()) for p in raw.split(",")[:IDS_MAX]) if i is not None]
    return tuple(dict.fromkeys(found))


def parse_generations(raw: object) -> tuple[tuple[int, float], ...]:
    """(result id, generations) pairs from "3:500,4:480.5".

    >>> parse_generations("3:500,4:480.5,5:-1,x:2")
    ((3, 500.0), (4, 480.5))
    """
    if not isinstance(raw, str):
        return ()
    out: dict[int, float] = {}
    for part in raw.split(",")[:IDS_MAX]:
        key, _, value = part.partition(":")
        found = parse_id(key.strip())
        number = parse_number(value)
        if found is not None and number is not None:
            out[found] = number
    return tuple(out.items())


def parse_number(raw: object) -> float | None:
    """Generations as typed: a number above 0 and at most a billion, else None.

    >>> parse_number("1,000"), parse_number("0"), parse_number("nan"), parse_number(250)
    (1000.0, None, None, 250.0)
    """
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        value = float(str(raw).replace(",", "").replace("_", "").strip())
    except ValueError:
        return None
    return value if 0 < value <= GENERATIONS_MAX else None


def ids_text(ids: Iterable[int]) -> str | None:
    """Ids for the URL ("3,4"), None for none.

    >>> ids_text([3, 4]), ids_text([])
    ('3,4', None)
    """
    text = ",".join(str(i) for i in ids)
    return text or None


def generations_text(generations: Iterable[tuple[int, float]]) -> str | None:
    """Generations for the URL.

    >>> generations_text([(3, 500.0), (4, 480.5)]), generations_text([])
    ('3:500,4:480.5', None)
    """
    text = ",".join(f"{i}:{g:g}" for i, g in generations)
    return text or None


def parse_query(query: Mapping[str, object], tabs: Iterable[str]) -> MutationsQuery:
    """The view a URL asks for."""
    tab = query.get("tab")
    return MutationsQuery(
        result=parse_id(query.get("result")),
        tab=tab if isinstance(tab, str) and tab in set(tabs) else "",
        compare=parse_ids(query.get("compare")),
        subtract_ancestor=query.get("ancestor") != "0",
        subtract_ground=query.get("ground") == "1",
        generations=parse_generations(query.get("gens")),
    )
