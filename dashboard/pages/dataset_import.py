"""Import a dataset in its own view (scientists and admins): the sample's details in a form,
the file sent by ``assets/upload.js`` in resumable chunks, then checked by an import job.

The flow, each step in one place:

1. "Import" runs :func:`submit`: the details are checked by the service (every problem beside
   its field, before any byte is sent) and handed to the browser in ``START``.
2. ``upload.js`` opens an upload (``POST /api/v1/uploads``, which checks again), sends the
   file in 8 MiB slices with a progress bar, retries and resumes (also after a reload: the
   upload's id is kept in ``localStorage`` under the file's name, size and date), then asks
   for the import. It reports to the page through ``EVENT``: refused (errors by field), failed
   (a message), started (the job's id) or cancelled.
3. The shared job panel follows the import job; when it succeeds the page opens the new
   dataset, when it fails its message (e.g. the line of a malformed FASTQ) shows beside the
   file field.

Each step is its own callback (:func:`submit`, :func:`upload_reported`, :func:`import_ended`),
writing the form's shared outputs with ``allow_duplicate``. They must stay apart: the panel's
report is caused by the job id that :func:`upload_reported` writes, and Dash drops a callback
that an update it caused would trigger again (a circular chain). When the panel's first look
already found the job ended (a quick import), that report was its last, and a page that read
it in the callback that wrote the job id never opened the dataset.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
    no_update,
)
from dash.exceptions import PreventUpdate

from dashboard.access import guard_layout
from dashboard.auth import current_actor, current_db
from dashboard.components import forms
from dashboard.components.dataset_form import (
    ACCEPT,
    arm_choices,
    arm_help,
    fields_of,
    form_values,
    material_choices,
    material_help,
    options,
    parents_of,
    resume_note,
    spaceflight_choices,
)
from dashboard.components.feedback import empty_state, icon
from dashboard.components.file_input import file_field
from dashboard.components.frame import card, page_header
from dashboard.components.job_progress import job_id_store, job_progress, job_state_store
from dashboard.components.view_state import parse_int
from dashboard.services import datasets, experiments, samples
from dashboard.services.errors import InputError

from . import _job_progress  # noqa: F401 - registers the progress panel's callbacks

PATH = "/datasets/import"
LIST_PATH = "/datasets"
FORM = forms.FormIds("dataset-import")
ID_MAX = 2**31 - 1
CHUNK_BYTES = 8 * 1024 * 1024  # well under the server's limit per request
JOB = "dataset-import"  # the job progress panel's name
# Component ids
FILE_HOST = "dataset-import-file-host"
FILE_NOTE = "dataset-import-file-note"
FILE_INFO = "dataset-import-file-info"  # dcc.Store, set by upload.js: the chosen file
START = "dataset-import-start"  # dcc.Store: checked details for upload.js
EVENT = "dataset-import-event"  # dcc.Store, set by upload.js: what became of the upload
DERIVED = "dataset-import-derived"
UPLOAD = "dataset-import-upload"
UPLOAD_BAR = "dataset-import-upload-bar"
UPLOAD_STATUS = "dataset-import-upload-status"
UPLOAD_NOTE = "dataset-import-upload-note"
UPLOAD_CANCEL = "dataset-import-upload-cancel"
REDIRECT = "dataset-import-redirect"
NO_EXPERIMENTS_LINK = "dataset-import-new-experiment"
FILE_FIELD = "file"
FAILED_STATES = ("failed", "interrupted", "cancelled")


def _field(name: str, text: str, **kwargs: Any) -> html.Div:
    return forms.field(FORM, name, text, **kwargs)


def _where(experiment_id: int | None) -> list[Any]:
    views = experiments.list_experiments(current_db())
    chosen = next((v for v in views if v.id == experiment_id), None)
    choices = [("", "Choose an experiment…")] + [(str(v.id), v.name) for v in views]
    return [
        html.H2("Sample", className="h6 text-body-secondary text-uppercase mb-3"),
        dbc.Row(
            [
                dbc.Col(
                    _field(
                        "experiment_id",
                        "Experiment",
                        kind="select",
                        options=choices,
                        value=str(chosen.id) if chosen else "",
                        required=True,
                    ),
                    md=6,
                ),
                dbc.Col(
                    _field(
                        "arm_id",
                        "Arm",
                        kind="select",
                        options=arm_choices(chosen.arms if chosen else None),
                        value="",
                        help_text=arm_help(None),
                    ),
                    md=6,
                ),
            ]
        ),
        _field(
            "sample_name",
            "Sample name",
            required=True,
            max_length=samples.SAMPLE_NAME_MAX,
            placeholder="e.g. F1-day21",
            help_text="New names make a sample; a name the experiment has adds this file to it.",
        ),
    ]


def _file_part(parents: list[dict[str, Any]]) -> list[Any]:
    return [
        html.H2("File", className="h6 text-body-secondary text-uppercase mb-3 mt-2"),
        file_field(
            FORM,
            FILE_FIELD,
            "Sequence file",
            accept=ACCEPT,
            host_id=FILE_HOST,
            required=True,
            note_id=FILE_NOTE,
            help_text="FASTQ, FASTA, GenBank or EMBL, gzip allowed (.fq .fastq .fa .fasta .fna "
            ".gb .gbk .embl, each also .gz). Sent in 8 MB pieces: an interrupted upload "
            "resumes when you pick the same file again.",
        ),
        dbc.Row(
            [
                dbc.Col(
                    _field(
                        "material",
                        "Material",
                        kind="select",
                        options=material_choices(),
                        help_text=material_help(),
                    ),
                    md=6,
                ),
                dbc.Col(
                    _field(
                        "instrument",
                        "Instrument",
                        max_length=datasets.INSTRUMENT_MAX,
                        placeholder="e.g. Illumina MiSeq",
                    ),
                    md=6,
                ),
            ]
        ),
        dbc.Row(
            [
                dbc.Col(
                    _field(
                        "source_run",
                        "Source run",
                        max_length=datasets.SOURCE_RUN_MAX,
                        help_text="The culture run the sample came from.",
                    ),
                    md=6,
                ),
                dbc.Col(_derived_field(parents), md=6),
            ]
        ),
    ]


def _derived_field(parents: list[dict[str, Any]]) -> html.Fieldset:
    """Parent datasets as a scrolling list of checkboxes (not a form control of the pattern:
    its errors still land beside it, in the same slot)."""
    return html.Fieldset(
        [
            html.Legend("Derived from", className="form-label fs-6 mb-1"),
            html.Div(
                dbc.Checklist(id=DERIVED, options=parents, value=[], className="mb-0"),
                className="msg-derived" + ("" if parents else " d-none"),
            ),
            html.Div(
                "Parent datasets, e.g. the reads an assembly was made from."
                if parents
                else "No datasets yet: nothing to derive from.",
                id=FORM.help("derived_from"),
                className="form-text msg-field-help",
            ),
            forms.field_error(FORM, "derived_from"),
        ],
        id=FORM.wrapper("derived_from"),
        className="msg-field mb-3",
        **{"data-msg-field": "derived_from"},
    )


def _factors() -> list[Any]:
    return [
        html.H2(
            "Characteristics and factor values",
            className="h6 text-body-secondary text-uppercase mb-1 mt-2",
        ),
        html.P(
            "As GeneLab records them; leave empty what does not apply. An existing sample "
            "keeps what it already records.",
            className="small text-body-secondary mb-3",
        ),
        dbc.Row(
            [
                dbc.Col(
                    _field(
                        "factors.strain",
                        "Strain",
                        max_length=samples.STRAIN_MAX,
                        placeholder="e.g. REL606",
                    ),
                    md=6,
                ),
                dbc.Col(
                    _field(
                        "factors.taxon_id",
                        "NCBI taxonomy id",
                        input_mode="numeric",
                        max_length=10,
                        placeholder="e.g. 562",
                    ),
                    md=6,
                ),
            ]
        ),
        dbc.Row(
            [
                dbc.Col(
                    _field(
                        "factors.spaceflight",
                        "Spaceflight factor",
                        kind="select",
                        options=spaceflight_choices(),
                    ),
                    md=6,
                ),
                dbc.Col(
                    _field("factors.gravity_g", "Gravity", units="g", input_mode="decimal"),
                    md=6,
                ),
            ]
        ),
        dbc.Row(
            [
                dbc.Col(
                    _field(
                        "factors.radiation_mgy",
                        "Radiation dose",
                        units="mGy",
                        input_mode="decimal",
                    ),
                    md=4,
                ),
                dbc.Col(
                    _field(
                        "factors.time_point",
                        "Time point",
                        max_length=samples.TIME_POINT_MAX,
                        placeholder="e.g. day 21",
                    ),
                    md=4,
                ),
                dbc.Col(
                    _field(
                        "factors.replicate",
                        "Replicate",
                        max_length=samples.REPLICATE_MAX,
                        placeholder="e.g. A",
                    ),
                    md=4,
                ),
            ]
        ),
    ]


def _upload_panel() -> html.Div:
    """Where upload.js shows the upload (its ids in ``data-msg-upload``)."""
    config = {
        "form": FORM.root,
        "submit": FORM.submit,
        "fileInput": forms.dom_id(FORM.control(FILE_FIELD)),
        "fileInfo": FILE_INFO,
        "fileNote": FILE_NOTE,
        "event": EVENT,
        "panel": UPLOAD,
        "bar": UPLOAD_BAR,
        "status": UPLOAD_STATUS,
        "note": UPLOAD_NOTE,
        "cancel": UPLOAD_CANCEL,
        "chunkBytes": CHUNK_BYTES,
    }
    return html.Div(
        html.Div(
            [
                html.Div(
                    [
                        html.Span("Uploading", className="fw-semibold me-2"),
                        html.Span(id=UPLOAD_NOTE, className="small"),
                        dbc.Button(
                            [icon("x-circle", "me-1"), "Cancel upload"],
                            id=UPLOAD_CANCEL,
                            size="sm",
                            color="secondary",
                            outline=True,
                            className="ms-auto msg-outline-quiet",
                        ),
                    ],
                    className="d-flex flex-wrap align-items-center gap-1 mb-1",
                ),
                dbc.Progress(id=UPLOAD_BAR, value=0, style={"height": "1.25rem"}),
                html.Div(id=UPLOAD_STATUS, className="small mt-1", role="status"),
            ],
            id=UPLOAD,
            className="msg-upload mt-3",
            hidden=True,
        ),
        **{"data-msg-upload": json.dumps(config)},
    )


def _parents() -> list[dict[str, Any]]:
    return [
        {"label": f"#{d.id} {d.filename} ({d.experiment_name}, {d.sample.name})", "value": d.id}
        for d in datasets.list_datasets(current_db())
    ]


def layout(experiment: str | None = None, **_query: str) -> html.Div:
    """The import form (the experiment of ``?experiment=ID`` chosen), upload and job panels."""
    header = page_header(
        "Import dataset",
        breadcrumb_items=[("Overview", "/"), ("Datasets", LIST_PATH), ("Import dataset", None)],
        subtitle="A sequence file of one sample: checked, hashed and kept byte for byte.",
    )
    if not experiments.list_experiments(current_db(), limit=1):
        return html.Div(
            [
                header,
                empty_state(
                    "flask",
                    "No experiment to import into",
                    "Every dataset belongs to a sample of an experiment. Create the experiment "
                    "first, with its flight and ground arms.",
                    dcc.Link(
                        [icon("plus-lg", "me-1"), "New experiment"],
                        href="/experiments/new",
                        className="btn btn-primary",
                        id=NO_EXPERIMENTS_LINK,
                    ),
                ),
            ]
        )
    experiment_id = parse_int(experiment, minimum=1, maximum=ID_MAX)
    body = forms.form(
        FORM,
        [*_where(experiment_id), *_file_part(_parents()), *_factors()],
        actions=forms.form_actions(FORM, "Import", cancel_href=LIST_PATH, submit_icon="upload"),
        title="Import dataset",
    )
    return html.Div(
        [
            header,
            card(
                [
                    body,
                    _upload_panel(),
                    html.Div(job_progress(JOB, "Checking and storing the file"), className="mt-3"),
                ]
            ),
            dcc.Store(id=FILE_INFO),
            dcc.Store(id=START),
            dcc.Store(id=EVENT),
            dcc.Location(id=REDIRECT, refresh="callback-nav"),
        ]
    )


# --- callbacks -----------------------------------------------------------------------------


@callback(
    output={
        "arm_options": Output(FORM.control("arm_id"), "options"),
        "arm": Output(FORM.control("arm_id"), "value"),
        "arm_placeholder": Output(FORM.control("arm_id"), "placeholder"),
        # (Not the factor fields themselves: Dash cannot name an id holding a dot as one
        # output of several, so the arm's values are said in its help text.)
        "arm_help": Output(FORM.help("arm_id"), "children"),
    },
    inputs={
        "experiment_id": Input(FORM.control("experiment_id"), "value"),
        "arm_id": Input(FORM.control("arm_id"), "value"),
    },
)
def arms_of_experiment(experiment_id: object, arm_id: object) -> dict[str, Any]:
    """The chosen experiment's arms; what the chosen arm gives the sample unless told."""
    view = experiments.find_experiment(current_db(), str(experiment_id or ""))
    arm = next((a for a in view.arms if str(a.id) == str(arm_id)), None) if view else None
    choices = arm_choices(view.arms if view else None)
    return {
        "arm_options": options(choices),
        "arm": str(arm.id) if arm else "",
        "arm_placeholder": choices[0][1],
        "arm_help": arm_help(arm),
    }


def _problems(exc: InputError) -> dict[str, str] | str:
    return fields_of(exc.errors) if exc.errors else exc.message


def _file_problem(info: object) -> str | None:
    if not isinstance(info, Mapping) or not info.get("name"):
        return "Choose the file to import."
    try:
        datasets.safe_filename(info.get("name"))
    except InputError as exc:
        return exc.message
    return None


def _again(outputs: Mapping[str, Output]) -> dict[str, Output]:
    """``outputs`` for a further callback writing them (``allow_duplicate``)."""
    return {
        key: Output(o.component_id, o.component_property, allow_duplicate=True)
        for key, o in outputs.items()
    }


# What every step may say on the form: problems beside the fields, and its Import button.
FORM_OUTPUTS = {
    **forms.error_outputs(FORM),
    "derived_class": Output(DERIVED, "input_class_name"),
    "submit_disabled": Output(FORM.submit, "disabled"),
}
CHECK_OUTPUTS = {**FORM_OUTPUTS, "start": Output(START, "data")}
EVENT_OUTPUTS = {**_again(FORM_OUTPUTS), "job": Output(job_id_store(JOB), "data")}
JOB_OUTPUTS = {
    **_again(FORM_OUTPUTS),
    "redirect": Output(REDIRECT, "href"),
    "upload_hidden": Output(UPLOAD, "hidden"),
}
FORM_STATES = {
    **forms.field_states(FORM),
    "derived": State(DERIVED, "value"),
    "file_info": State(FILE_INFO, "data"),
}
DERIVED_CLASS = ""  # the checkboxes' class: "is-invalid" when the parents are refused


def _unchanged(outputs: Mapping[str, Output], states: Mapping[str, Any]) -> dict[str, Any]:
    """Every one of ``outputs`` left as it is (the form's, one per field, as lists)."""
    controls, errors = len(states["control_ids"]), len(states["error_ids"])
    return dict.fromkeys(outputs, no_update) | {
        "invalid": [no_update] * controls,
        "feedback": [no_update] * errors,
        "feedback_class": [no_update] * errors,
    }


def _refused(
    outputs: Mapping[str, Output],
    found: Mapping[str, str] | str,
    states: Mapping[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    shown = forms.show_errors(found, states["control_ids"], states["error_ids"])
    bad_parents = isinstance(found, Mapping) and "derived_from" in found
    return (
        _unchanged(outputs, states)
        | shown
        | {
            "derived_class": "is-invalid" if bad_parents else DERIVED_CLASS,
            "submit_disabled": False,
        }
        | extra
    )


def _cleared(
    outputs: Mapping[str, Output], states: Mapping[str, Any], **extra: Any
) -> dict[str, Any]:
    return (
        _unchanged(outputs, states)
        | forms.clear_errors(states["control_ids"], states["error_ids"])
        | {"derived_class": DERIVED_CLASS}
        | extra
    )


def _check(states: Mapping[str, Any], clicks: int) -> dict[str, Any]:
    """Check the details before a byte is sent; hand them to upload.js if they are sound."""
    data = forms.field_values(states["control_ids"], states["values"])
    data["derived_from"] = list(states["derived"] or [])
    problems: dict[str, str] = {}
    file_problem = _file_problem(states["file_info"])
    if file_problem:
        problems[FILE_FIELD] = file_problem
    try:
        details = datasets.check_details(current_db(), current_actor(), data)
    except InputError as exc:
        found = _problems(exc)
        if isinstance(found, str):
            return _refused(CHECK_OUTPUTS, found, states)
        return _refused(CHECK_OUTPUTS, {**found, **problems}, states)
    if problems:
        return _refused(CHECK_OUTPUTS, problems, states)
    info = states["file_info"]
    checked = details.as_dict()
    return _cleared(
        CHECK_OUTPUTS,
        states,
        start={
            "nonce": clicks,
            "filename": info["name"],
            "size": info["size"],
            "details": checked,
            "key": json.dumps(checked, sort_keys=True),
        },
        submit_disabled=True,
    )


def _on_event(event: object, states: Mapping[str, Any]) -> dict[str, Any]:
    """What upload.js reports: refused by the API, failed, import started, cancelled."""
    if not isinstance(event, Mapping):
        raise PreventUpdate
    kind = event.get("kind")
    if kind == "started" and isinstance(event.get("job_id"), int):
        # The panel follows the job from here; its report, even a first one that finds the
        # job already ended, reaches :func:`import_ended`.
        return _cleared(EVENT_OUTPUTS, states, job=event["job_id"], submit_disabled=True)
    if kind == "refused":
        errors = event.get("errors")
        if isinstance(errors, Mapping) and errors:
            return _refused(EVENT_OUTPUTS, fields_of(errors), states)
        message = str(event.get("message") or "The upload was refused.")
        return _refused(EVENT_OUTPUTS, {FILE_FIELD: message}, states)
    if kind == "failed":
        message = str(event.get("message") or "The upload failed.")
        return _refused(EVENT_OUTPUTS, {FILE_FIELD: message}, states)
    if kind == "cancelled":
        return _cleared(EVENT_OUTPUTS, states, submit_disabled=False)
    raise PreventUpdate


def _on_job(job: object, states: Mapping[str, Any]) -> dict[str, Any]:
    """The import job's end: open the new dataset, or say beside the file what was wrong."""
    if not isinstance(job, Mapping):
        raise PreventUpdate
    raw = job.get("result")
    result: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    if job.get("state") == "succeeded" and isinstance(result.get("dataset_id"), int):
        href = f"{LIST_PATH}/{result['dataset_id']}?imported=1"
        return _unchanged(JOB_OUTPUTS, states) | {"redirect": href}
    if job.get("state") in FAILED_STATES:
        message = str(job.get("error") or f"The import was {job.get('state')}.")
        # The bytes went with the failed import: the next Import sends the file again.
        return _refused(JOB_OUTPUTS, {FILE_FIELD: message}, states, upload_hidden=True)
    raise PreventUpdate


@callback(
    output=CHECK_OUTPUTS,
    inputs={"clicks": Input(FORM.submit, "n_clicks"), "states": FORM_STATES},
    prevent_initial_call=True,
)
def submit(clicks: int | None, states: dict[str, Any]) -> dict[str, Any]:
    """Import pressed: check the details, hand them to upload.js."""
    if not clicks:
        raise PreventUpdate
    return _check(states, clicks)


@callback(
    output=EVENT_OUTPUTS,
    inputs={"event": Input(EVENT, "data"), "states": FORM_STATES},
    prevent_initial_call=True,
)
def upload_reported(event: object, states: dict[str, Any]) -> dict[str, Any]:
    """The upload's outcome reported by upload.js; a started import's job to the panel."""
    return _on_event(event, states)


@callback(
    output=JOB_OUTPUTS,
    inputs={"job": Input(job_state_store(JOB), "data"), "states": FORM_STATES},
    prevent_initial_call=True,
)
def import_ended(job: object, states: dict[str, Any]) -> dict[str, Any]:
    """The panel's report on the import job (not :func:`upload_reported`: see the module)."""
    return _on_job(job, states)


@callback(
    output={
        "values": Output(FORM.controls, "value", allow_duplicate=True),
        "derived": Output(DERIVED, "value"),
        "note": Output(FILE_NOTE, "children"),
    },
    inputs={
        "info": Input(FILE_INFO, "data"),
        "control_ids": State(FORM.controls, "id"),
        "values": State(FORM.controls, "value"),
    },
    prevent_initial_call=True,
)
def offer_resume(
    info: object, control_ids: list[dict[str, Any]], values: list[object]
) -> dict[str, Any]:
    """A file whose upload was interrupted: say where it stands, fill in its details again."""
    resumable = info.get("resumable") if isinstance(info, Mapping) else None
    details = resumable.get("details") if isinstance(resumable, Mapping) else None
    if not isinstance(resumable, Mapping) or not isinstance(details, Mapping):
        return {"values": [no_update] * len(control_ids), "derived": no_update, "note": None}
    given = form_values(details)
    return {
        "values": [given.get(str(c["field"]), v) for c, v in zip(control_ids, values, strict=True)],
        "derived": parents_of(details),
        "note": [
            icon("arrow-repeat", "me-1"),
            resume_note(resumable.get("received"), resumable.get("size")),
        ],
    }


clientside_callback(
    ClientsideFunction("msgUpload", "start"),
    Input(START, "data"),
    prevent_initial_call=True,
)


dash.register_page(
    __name__,
    path=PATH,
    name="Import dataset",
    in_nav=False,
    # Pages with an order are matched first: this exact path must win over the dataset
    # page's /datasets/<dataset_id> template, which would read "import" as an id.
    order=11,
    title="Import dataset · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
