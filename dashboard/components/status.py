"""Status badges: one vocabulary of states, each with a colour, an icon and words.

Colour is never the only signal: every badge carries an icon and its label, so it reads in
grey-scale, to a screen reader and to the colour-blind. Grids render the same badges from
``STATUSES`` (see ``grid_badge_params``), so a state looks the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dash import html

from .feedback import icon


@dataclass(frozen=True)
class Status:
    """How one state is shown: words, a Bootstrap icon and a colour (a Bootstrap variant)."""

    label: str
    icon: str
    tone: str  # success, danger, warning, info, primary, secondary; orange, outline-danger
    meaning: str  # one line for legends and tooltips


def _s(label: str, icon_name: str, tone: str, meaning: str) -> Status:
    return Status(label, icon_name, tone, meaning)


# Keys are "<family>.<state>", so "failed" of a job and of an anchoring can differ if needed.
STATUSES: dict[str, Status] = {
    # Jobs (dashboard.services.jobs)
    "job.queued": _s("queued", "hourglass", "secondary", "Waiting for a free worker."),
    "job.running": _s("running", "play-circle", "primary", "A worker is on it now."),
    "job.succeeded": _s("succeeded", "check-circle", "success", "Finished without error."),
    "job.failed": _s("failed", "x-octagon", "danger", "Stopped with an error."),
    "job.cancelled": _s("cancelled", "slash-circle", "warning", "Stopped on request."),
    "job.interrupted": _s(
        "interrupted", "exclamation-octagon", "danger", "Its worker died; start it again."
    ),
    # Culture runs (mission control)
    "run.idle": _s("idle", "circle", "secondary", "No run on this hardware."),
    "run.running": _s("running", "play-circle", "primary", "Culturing now."),
    "run.paused": _s("paused", "pause-circle", "warning", "Held; can resume."),
    "run.stopped": _s("stopped", "stop-circle", "secondary", "Ended by an operator."),
    "run.completed": _s("completed", "check-circle", "success", "Ran its full course."),
    "run.faulted": _s("faulted", "x-octagon", "danger", "The hardware reported a fault."),
    "run.planned": _s("planned", "calendar-event", "info", "Set up; not started yet."),
    "run.aborted": _s("aborted", "x-circle", "danger", "Ended early by two operators."),
    # A device's link (dashboard.services.devices)
    "link.ok": _s("ok", "broadcast", "success", "The controller reads this device."),
    "link.lost": _s("lost", "wifi-off", "danger", "The device stopped answering."),
    "link.unknown": _s("unknown", "question-circle", "secondary", "Not read yet."),
    "link.no controller": _s(
        "no controller", "plug", "warning", "No live controller holds this device."
    ),
    # Stages of a command to a run (dashboard.services.commands)
    "command.awaiting_approval": _s(
        "awaiting approval", "people", "warning", "Needs a second operator's approval."
    ),
    "command.queued": _s("queued", "hourglass", "secondary", "Waiting for the controller."),
    "command.sent": _s("sent", "send", "info", "Sent to the device."),
    "command.acknowledged": _s("acknowledged", "check", "primary", "The device accepted it."),
    "command.verified": _s("verified", "check-circle", "success", "Telemetry shows it took."),
    "command.failed": _s("failed", "x-octagon", "danger", "The device refused it or failed."),
    "command.timed_out": _s(
        "timed out", "clock-history", "danger", "Not confirmed in the time allowed."
    ),
    "command.rejected": _s("rejected", "slash-circle", "secondary", "Refused or withdrawn."),
    # Alarm severities
    "alarm.ok": _s("nominal", "check-circle", "success", "Within limits."),
    "alarm.watch": _s("watch", "eye", "info", "Near a limit."),
    "alarm.warning": _s("warning", "exclamation-triangle", "warning", "Outside a warning limit."),
    "alarm.critical": _s("critical", "exclamation-octagon", "danger", "Outside a critical limit."),
    "alarm.stale": _s("stale", "hourglass-bottom", "secondary", "No fresh reading."),
    # Provenance of a dataset on the ledger (dashboard.services.provenance); retracted is
    # orange and failed a red outline (assets/provenance.css), so neither reads as tampered.
    "provenance.unanchored": _s(
        "unanchored", "circle", "secondary", "No provenance record yet: nothing to check."
    ),
    "provenance.pending": _s(
        "pending",
        "hourglass-split",
        "info",
        "Recorded; waiting for its batch to be anchored and confirmed.",
    ),
    "provenance.anchored": _s(
        "anchored",
        "shield-check",
        "success",
        "Its record is anchored on the chain, with enough confirmations.",
    ),
    "provenance.tampered": _s(
        "tampered",
        "shield-exclamation",
        "danger",
        "Its file or record no longer matches what was anchored (or a parent's does not).",
    ),
    "provenance.retracted": _s(
        "retracted",
        "arrow-counterclockwise",
        "orange",
        "Withdrawn by a reviewer, with a reason (or derived from such a dataset).",
    ),
    "provenance.failed": _s(
        "failed", "x-octagon", "outline-danger", "Anchoring failed; the app keeps retrying."
    ),
    # Audit results
    "audit.ok": _s("ok", "check-circle", "success", "Done as asked."),
    "audit.denied": _s("denied", "shield-lock", "warning", "Refused: the role does not allow it."),
    "audit.failed": _s("failed", "x-octagon", "danger", "Refused: the input was not valid."),
    "audit.error": _s("error", "bug", "danger", "The server failed while doing it."),
    # An arm's GeneLab spaceflight factor
    "arm.flight": _s("flight", "rocket-takeoff", "primary", "Space Flight: flown in space."),
    "arm.ground": _s("ground", "globe-americas", "secondary", "Ground Control: kept on Earth."),
    "arm.basal": _s("basal", "hourglass-top", "info", "Basal Control: sampled at launch."),
    "arm.ancestor": _s("ancestor", "diagram-3", "success", "Ancestor: the founding strain."),
    # Yes/no facts (active accounts) read the same way
    "account.active": _s("active", "person-check", "success", "Can log in."),
    "account.inactive": _s("inactive", "person-slash", "secondary", "Cannot log in."),
}
# Tones beyond Bootstrap's variants; ``assets/app.css`` defines ``.text-bg-<tone>`` for each.
EXTRA_TONES = ("orange", "outline-danger")
UNKNOWN = Status("unknown", "question-circle", "secondary", "A state this version does not know.")


def status_of(family: str, state: str) -> Status:
    """The look of ``state`` in ``family`` (an explicit "unknown" badge for a new state)."""
    found = STATUSES.get(f"{family}.{state}")
    return found or Status(state or UNKNOWN.label, UNKNOWN.icon, UNKNOWN.tone, UNKNOWN.meaning)


def status_badge(family: str, state: str, *, badge_id: str | None = None) -> html.Span:
    """A badge with icon and words, e.g. ✓ anchored; its tooltip says what the state means."""
    return _badge(status_of(family, state), badge_id=badge_id)


def _badge(look: Status, *, badge_id: str | None = None, label: str | None = None) -> html.Span:
    return html.Span(
        [icon(look.icon, "me-1"), look.label if label is None else label],
        className=f"badge msg-badge text-bg-{look.tone}",
        title=look.meaning,
        **({"id": badge_id} if badge_id else {}),
    )


def labelled_badge(family: str, state: str, label: str) -> html.Span:
    """The badge of ``state`` showing other words (e.g. an arm's own name)."""
    return _badge(status_of(family, state), label=label)


def status_legend(family: str, states: Iterable[str] | None = None) -> html.Ul:
    """Every state of ``family`` (or the ``states`` given) with its meaning: the key to colours."""
    prefix = f"{family}."
    names = (
        list(states)
        if states is not None
        else [k.removeprefix(prefix) for k in STATUSES if k.startswith(prefix)]
    )
    return legend_of({name: status_of(family, name) for name in names})


def legend_of(statuses: Mapping[str, Status]) -> html.Ul:
    """The key to a set of badges: each badge with its meaning."""
    return html.Ul(
        [
            html.Li(
                [_badge(look), html.Span(look.meaning)],
                className="msg-legend-item",
            )
            for look in statuses.values()
        ],
        className="msg-legend list-unstyled small mb-0",
        **{"aria-label": "What the badges mean"},
    )


def grid_badge_params(family: str) -> dict[str, object]:
    """``cellRendererParams`` for the grids' badge renderer: the same vocabulary as data."""
    prefix = f"{family}."
    return {
        "statuses": {
            key.removeprefix(prefix): {
                "label": s.label,
                "icon": s.icon,
                "tone": s.tone,
                "meaning": s.meaning,
            }
            for key, s in STATUSES.items()
            if key.startswith(prefix)
        }
    }
