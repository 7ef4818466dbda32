"""A file field in the form pattern, whose bytes never pass through Dash.

Dash has no plain ``<input type=file>`` (``dcc.Upload`` reads the whole file into the page as
base64, which a multi-GB sequencing run cannot afford). ``file_field`` lays out the label,
help text and error slot like :func:`forms.field`, with an empty host where
``assets/upload.js`` puts the real ``<input type=file>`` (with the id the label points at).
The script keeps the input's ``is-invalid`` in step with the error slot, so ``forms.js``
gives it ``aria-invalid`` and ``aria-describedby`` like any other field, and the form's
summary links focus it. Scripts read the chosen ``File`` from the DOM and send it with
``File.slice`` (chunked uploads) or as the body of one request (small files).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from dash import html

from .forms import FormIds, dom_id, field_error, label

FILE_HOST_CLASS = "msg-file-host"


def file_host(input_id: str, accept: Sequence[str], *, required: bool, host_id: str) -> html.Div:
    """Where ``assets/upload.js`` puts an ``<input type=file>`` with ``input_id``."""
    spec = {"id": input_id, "accept": ",".join(accept), "required": required}
    return html.Div(id=host_id, className=FILE_HOST_CLASS, **{"data-msg-file": json.dumps(spec)})


def file_field(
    ids: FormIds,
    name: str,
    text: str,
    *,
    accept: Sequence[str],
    host_id: str,
    required: bool = False,
    help_text: object = None,
    note_id: str | None = None,
    class_name: str = "mb-3",
) -> html.Div:
    """A file field named ``name`` (errors for ``name`` land beside it, as for any field).

    ``accept`` lists the extensions the picker offers (``.fastq``, ``.gz``); ``note_id``
    adds an announced line under the input that scripts fill (e.g. "an interrupted upload
    of this file can resume").
    """
    children: list[object] = [
        label(ids, name, text, required=required),
        file_host(dom_id(ids.control(name)), accept, required=required, host_id=host_id),
    ]
    if note_id:
        children.append(html.Div(id=note_id, className="form-text msg-file-note", role="status"))
    if help_text is not None:
        children.append(
            html.Div(help_text, id=ids.help(name), className="form-text msg-field-help")
        )
    children.append(field_error(ids, name))
    return html.Div(
        children,
        id=ids.wrapper(name),
        className=f"msg-field {class_name}".strip(),
        **{"data-msg-field": name},
    )
