"""MicroSpaceGen: create the app and run it. Wiring only; the work lives in ``dashboard/``.

python app.py                      # serve on http://127.0.0.1:8050
python app.py user add ada --role scientist
python app.py --help
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import logging
import pkgutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dash
import diskcache
from dash import Dash, DiskcacheManager
from dash import _callback as dash_callback
from flask import Flask, request
from markupsafe import escape

import dashboard.pages
from dashboard import __version__
from dashboard.access import page_patterns, unknown_page_status
from dashboard.auth import AppState, app_state, current_principal, init_auth, page_rules
from dashboard.components.theme import SCHEME_COOKIE, SCHEMES, scheme_or_light
from dashboard.config import ConfigError, Settings, load_settings, make_private_dir
from dashboard.db import Database, SchemaTooNew
from dashboard.observability import logs as obs_logs
from dashboard.observability import metrics as obs_metrics
from dashboard.security import init_security_headers
from dashboard.services import ServiceError, accounts, datasets, samples
from dashboard.services.accounts import Principal
from dashboard.services.actor import ALL_ROLES, cli_actor

ROOT = Path(__file__).resolve().parent
ASSETS = ROOT / "assets"
# Served from our own assets/ (no CDN); listed here so they load before assets/app.css.
STYLESHEETS = [
    "/assets/vendor/bootstrap/bootstrap.min.css",
    "/assets/vendor/bootstrap-icons/bootstrap-icons.min.css",
]
# Dash's page skeleton, with our icon and language. The theme script runs in <head> so a
# dark page never flashes white; MicroSpaceGenDash fills in the user's display preferences.
HTML_TAG = '<html lang="en">'
INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
{%metas%}
<title>{%title%}</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<script src="/assets/boot/theme-boot.js"></script>
{%css%}
</head>
<body>
{%app_entry%}
<footer>
{%config%}
{%scripts%}
{%renderer%}
</footer>
</body>
</html>"""
log = logging.getLogger("microspacegen")


def _register_pages() -> None:
    for module in pkgutil.iter_modules(dashboard.pages.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"dashboard.pages.{module.name}")


# Dash hands the callbacks that modules declare with ``@callback`` to the first app it sets up
# and then forgets them. A copy taken once (they are declared at import, never changed) lets a
# second app in the same process (a test, a worker) get every callback too.
_DECLARED_CALLBACKS: dict[str, Any] = {}


def _attach_declared_callbacks(app: Dash) -> None:
    if not _DECLARED_CALLBACKS:
        _DECLARED_CALLBACKS.update(
            map=dict(dash_callback.GLOBAL_CALLBACK_MAP),
            list=list(dash_callback.GLOBAL_CALLBACK_LIST),
            scripts=list(dash_callback.GLOBAL_INLINE_SCRIPTS),
        )
    dash_callback.GLOBAL_CALLBACK_MAP.clear()
    dash_callback.GLOBAL_CALLBACK_LIST.clear()
    dash_callback.GLOBAL_INLINE_SCRIPTS.clear()
    app.callback_map.update(_DECLARED_CALLBACKS["map"])
    app._callback_list.extend(_DECLARED_CALLBACKS["list"])
    app._inline_scripts.extend(_DECLARED_CALLBACKS["scripts"])


class MicroSpaceGenDash(Dash):
    """Dash with the logged-in user's theme and time display on ``<html>``."""

    def interpolate_index(self, **kwargs: Any) -> str:
        page = super().interpolate_index(**kwargs)
        return page.replace(HTML_TAG, html_tag(current_principal()), 1)


def html_tag(principal: Principal | None) -> str:
    """``<html>`` carrying the display preferences (the scheme the browser reported first,
    so a "system" user who last saw dark gets dark before any script runs)."""
    theme = principal.theme if principal else "system"
    time_display = principal.time_display if principal else "utc"
    scheme = theme if theme in SCHEMES else scheme_or_light(request.cookies.get(SCHEME_COOKIE))
    return (
        f'<html lang="en" data-msg-theme="{escape(theme)}" data-msg-time="{escape(time_display)}"'
        f' data-bs-theme="{scheme}" data-ag-theme-mode="{scheme}">'
    )


def create_app(settings: Settings | None = None, *, upgrade: bool = True) -> Dash:
    """Build the Dash app on its Flask server: database, logins, pages, API, headers."""
    # Imported here, not at the top: they pull in the science stack (seconds), which the
    # command line's user, token and db commands do not need.
    from dashboard.api import init_api
    from dashboard.job_queue import JobQueue
    from dashboard.services.explorer import DataFiles
    from dashboard.shell import serve_layout

    settings = settings or load_settings()
    db = Database(settings.database_url)
    if upgrade:
        db.upgrade()
    server = Flask("microspacegen", root_path=str(ROOT))
    server.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    background = DiskcacheManager(diskcache.Cache(str(settings.cache_dir)))
    app = MicroSpaceGenDash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        assets_path_ignore=["vendor", "boot"],
        index_string=INDEX,
        external_stylesheets=STYLESHEETS,
        serve_locally=True,
        title="MicroSpaceGen",
        update_title=None,
        suppress_callback_exceptions=True,
        background_callback_manager=background,
    )
    _register_pages()
    _attach_declared_callbacks(app)
    app.layout = serve_layout
    # The API's body limit must be set before the gate reads a body.
    init_api(server, settings.api_max_body_bytes)
    init_auth(
        server,
        AppState(settings, db, JobQueue(settings), DataFiles.in_data_dir(settings.data_dir)),
        page_rules(dash.page_registry.values()),
    )
    from dashboard.observability.web import init_observability

    init_observability(server)  # after init_auth: its hooks go around the gate's
    # Unknown paths still get the frame with "Page not found", but with the status 404.
    server.after_request(unknown_page_status(page_patterns(dash.page_registry.values())))
    init_security_headers(server, app.csp_hashes)
    return app


# --- command line -----------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    # The common options may stand before or after the command: `app.py serve --port 9000`.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--host", default=argparse.SUPPRESS, help="interface to listen on (MICROSPACEGEN_HOST)"
    )
    common.add_argument(
        "--port", type=int, default=argparse.SUPPRESS, help="TCP port (MICROSPACEGEN_PORT)"
    )
    common.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="data directory (MICROSPACEGEN_DATA_DIR, ./var)",
    )
    parser = argparse.ArgumentParser(
        prog="python app.py",
        description="MicroSpaceGen dashboard. Without a command, serves the app.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"MicroSpaceGen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("serve", parents=[common], help="serve the dashboard (the default)")

    user = commands.add_parser("user", help="manage users").add_subparsers(
        dest="user_command", metavar="ACTION", required=True
    )
    add = user.add_parser(
        "add", parents=[common], help="create a user (prints a generated password once)"
    )
    add.add_argument("name")
    add.add_argument(
        "--role",
        action="append",
        default=[],
        choices=[r.value for r in ALL_ROLES],
        help="role to grant; repeat for several",
    )
    add.add_argument("--display-name", default="")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of generating one",
    )
    passwd = user.add_parser("passwd", parents=[common], help="set a user's password")
    passwd.add_argument("name")
    passwd.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(
        dest="token_command", metavar="ACTION", required=True
    )
    create = token.add_parser(
        "create", parents=[common], help="create an API token for a user (printed once)"
    )
    create.add_argument("name", help="the user the token acts as")
    create.add_argument("--label", default="cli", help="what the token is for")

    worker = commands.add_parser(
        "worker", parents=[common], help="run background jobs (beside or away from the server)"
    )
    worker.add_argument(
        "--processes",
        type=int,
        default=None,
        help="jobs run at once (default: MICROSPACEGEN_WORKERS, or 2 when that is 0)",
    )
    # Set by `serve` for the workers it starts itself: stop when that server is gone.
    worker.add_argument("--exit-with", type=int, default=None, help=argparse.SUPPRESS)

    controller = commands.add_parser(
        "controller",
        parents=[common],
        help="control the culture hardware (serve starts one; run it alone with "
        "MICROSPACEGEN_CONTROLLER=0 on the servers)",
    )
    controller.add_argument("--exit-with", type=int, default=None, help=argparse.SUPPRESS)

    imp = commands.add_parser(
        "import",
        parents=[common],
        help="import a sequence file already on this machine as a dataset",
        description="Validate, hash and store a FASTA, FASTQ, GenBank or EMBL file (gzip "
        "allowed) for a sample of an experiment. Factor keys: "
        + ", ".join(samples.KNOWN_KEYS)
        + "; other keys are further factors.",
    )
    imp.add_argument("path", type=Path)
    imp.add_argument("--experiment", required=True, help="experiment id")
    imp.add_argument("--sample", required=True, help="sample name (created if new)")
    imp.add_argument("--arm", help="arm id of the experiment")
    imp.add_argument("--material", choices=datasets.MATERIALS)
    imp.add_argument("--instrument", default="")
    imp.add_argument("--source-run", default="", help="the run the culture came from")
    imp.add_argument(
        "--derived-from", action="append", default=[], help="parent dataset id; repeat"
    )
    imp.add_argument(
        "--factor",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a characteristic or factor value, e.g. spaceflight='Space Flight'; repeat",
    )

    ledger = commands.add_parser("ledger", help="provenance ledger maintenance").add_subparsers(
        dest="ledger_command", required=True
    )
    reanchor = ledger.add_parser(
        "reanchor",
        parents=[common],
        help="anchor again, in the configured registry, a batch anchored in another one "
        "(after its records are checked; audited)",
    )
    reanchor.add_argument("batch", type=int, help="the batch id (see the Provenance page)")
    call = commands.add_parser(
        "call",
        help="call one sample's mutations from files, without the app (writes output.vcf "
        "and output.gd)",
    )
    call.add_argument("--reference", type=Path, required=True, help="FASTA or GenBank")
    call.add_argument(
        "--reads", type=Path, nargs="+", required=True, metavar="R1 [R2]", help="FASTQ file(s)"
    )
    call.add_argument("--mode", choices=("consensus", "polymorphism"), default="consensus")
    call.add_argument("--out", type=Path, required=True, help="folder for the results")
    database = commands.add_parser("db", help="database maintenance").add_subparsers(
        dest="db_command", metavar="ACTION", required=True
    )
    database.add_parser("upgrade", parents=[common], help="apply database migrations")
    backup = commands.add_parser(
        "backup",
        parents=[common],
        help="write one archive of the database, data files and chain (audited; holds secrets)",
    )
    backup.add_argument("--out", type=Path, required=True, help="FILE.tar or FILE.tar.gz")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    restore = commands.add_parser(
        "restore",
        parents=[common],
        help="check a backup archive, then restore it into the new folder --data-dir NEW",
        description="Every part is checked against the archive's manifest before anything is "
        "written. SQLite backups restore their database into NEW; PostgreSQL backups into the "
        "empty database named by MICROSPACEGEN_DATABASE_URL.",
    )
    restore.add_argument("archive", type=Path, metavar="FILE")
    return parser


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("error: the two passwords differ; nothing was changed")
    return first


def _serve(settings: Settings) -> None:
    from waitress import serve

    from dashboard.controller_process import ControllerProcess
    from dashboard.job_queue import WorkerProcesses

    obs_metrics.use_multiprocess_dir(settings.metrics_dir, fresh=True)  # before any child starts
    app = create_app(settings)
    _spool_in_data_dir(settings)
    db = app_state(app.server).db
    try:
        bootstrap = accounts.ensure_initial_admin(db, settings.admin_password)
    except ServiceError as exc:
        # The environment broke a rule (say, a short MICROSPACEGEN_ADMIN_PASSWORD): one line
        # naming it, not a traceback.
        raise SystemExit(f"error: {exc.field}: {exc.message}") from None
    if bootstrap.generated_password:
        print("=" * 64)
        print("First start: created user 'admin' with password (shown once):")
        print(f"    {bootstrap.generated_password}")
        print("Log in and change it under Account, or set MICROSPACEGEN_ADMIN_PASSWORD.")
        print("=" * 64, flush=True)
    elif bootstrap.note:
        print(bootstrap.note, flush=True)
    print(
        f"MicroSpaceGen {__version__} on http://{settings.host}:{settings.port} "
        f"(data: {settings.data_dir}, database: {db.engine.url.render_as_string()})",
        flush=True,
    )
    workers = None
    controller = None
    if settings.controller:
        controller = ControllerProcess(settings, str(ROOT / "app.py"))
        controller.start()
        print(f"Hardware controller: {len(settings.devices.split(','))} devices, 1 process")
    if settings.workers:
        workers = WorkerProcesses(settings, settings.workers, str(ROOT / "app.py"))
        workers.start()
        print(f"Job workers: {settings.workers} processes on the {_queue_label(settings)}")
    _warm_kernels()
    # SIGTERM (docker stop, kubectl, systemd) ends the server as Ctrl-C does, so the finally
    # below stops the job workers and the controller; by default it would leave them running.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if settings.metrics_port is not None:
        from dashboard.observability.exposition import MetricsPort

        MetricsPort(db, settings.metrics_host, settings.metrics_port).start()
    try:
        serve(
            app.server,
            host=settings.host,
            port=settings.port,
            threads=settings.threads,
            ident="MicroSpaceGen",
            clear_untrusted_proxy_headers=True,
            # waitress receives a body whole, spooled to a temporary file past 512 KiB (in the
            # data directory: _spool_in_data_dir), before the app can see who sent it: the
            # limit bounds what an anonymous client can make the server write. Browsers send
            # datasets in 8 MiB chunks; MICROSPACEGEN_MAX_REQUEST_MB raises it for big POSTs.
            max_request_body_size=settings.max_request_bytes,
        )
    except KeyboardInterrupt:
        print("MicroSpaceGen stopping", flush=True)
    except OSError as exc:
        raise SystemExit(
            f"error: cannot listen on {settings.host}:{settings.port} ({exc.strerror}); "
            "choose another with --port or MICROSPACEGEN_PORT"
        ) from None
    finally:
        if workers is not None:
            workers.stop()
        if controller is not None:
            controller.stop()


# Modules whose ``python -m`` run compiles numba kernels into numba's on-disk cache.
WARM_MODULES = ("analysis.phylo.warm", "analysis.mutations.warm")


def _warm_kernels() -> None:
    """Compile the tree builders' and the mutation caller's numba kernels into numba's
    on-disk cache, in separate low-priority processes: compiling holds the GIL for seconds,
    which in this process would stall every request (and in a job worker, its heartbeat);
    done there, the first tree or calling anyone starts loads the cache instead."""
    for module in WARM_MODULES:
        try:
            subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                [sys.executable, "-m", module],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:  # only an optimisation: the first build or calling compiles instead
            logging.getLogger("microspacegen").exception("could not run %s", module)


def _spool_in_data_dir(settings: Settings) -> None:
    """Temporary files (waitress's spooled request bodies) in ``<data dir>/tmp``: on the data
    disk, owner-only, never in a RAM-backed /tmp however large an upload is."""
    spool = settings.data_dir / "tmp"
    make_private_dir(spool)
    tempfile.tempdir = str(spool)


def _queue_label(settings: Settings) -> str:
    return "Redis queue" if settings.broker_url else "embedded queue"


def _worker(settings: Settings, processes: int | None, exit_with: int | None) -> int:
    from dashboard.job_queue import run_worker

    count = processes if processes is not None else (settings.workers or 2)
    if not 1 <= count <= 64:
        print("error: --processes must be between 1 and 64", file=sys.stderr)
        return 2
    # Workers never migrate: several starting at once on PostgreSQL would race each other.
    db = Database(settings.database_url)
    try:
        current, head = db.current_revision(), db.head_revision()
    finally:
        db.dispose()
    if current != head:
        print(
            f"error: the database is at schema revision {current or 'none'} and this worker "
            f"needs {head}; start the server or run 'python app.py db upgrade' first",
            file=sys.stderr,
        )
        return 2
    print(f"MicroSpaceGen {__version__} worker: {count} processes on the {_queue_label(settings)}")
    try:
        run_worker(settings, count, exit_with=exit_with)
    finally:
        obs_metrics.mark_process_dead()
    return 0


def _controller(settings: Settings, exit_with: int | None) -> int:
    from dashboard.controller_process import run_controller

    db = Database(settings.database_url)
    try:
        if db.current_revision() != db.head_revision():
            print(
                "error: the database schema is not current; start the server or run "
                "'python app.py db upgrade' first",
                file=sys.stderr,
            )
            return 2
        print(f"MicroSpaceGen {__version__} controller: {settings.devices}", flush=True)
        run_controller(settings, db, exit_with=exit_with)
    finally:
        obs_metrics.mark_process_dead()
        db.dispose()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line."""
    obs_logs.configure_logging()  # console on a terminal, else JSON; the setting may change it
    args = _parser().parse_args(argv)
    if args.command == "restore":
        # Before load_settings, which would create the new data directory and a secret in it.
        return _restore(args)
    try:
        # Absent options are absent attributes (SUPPRESS), so they may stand on either side.
        settings = load_settings(
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            data_dir=getattr(args, "data_dir", None),
        )
        obs_logs.configure_logging(settings.log_format)
        if args.command in ("worker", "controller"):
            obs_metrics.use_multiprocess_dir(settings.metrics_dir, fresh=False)
        if args.command in (None, "serve"):
            _serve(settings)
            return 0
        if args.command == "worker":
            return _worker(settings, args.processes, args.exit_with)
        if args.command == "controller":
            return _controller(settings, args.exit_with)
        if args.command == "call":
            return _call(args)
        if args.command == "backup":
            return _backup(args, settings)
        return _command(args, settings)
    except (ConfigError, SchemaTooNew) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


class _ConsoleProgress:
    """A line on standard error per step, and within one at most every 2 s and 5 %, for long
    backups and restores."""

    def __init__(self) -> None:
        self.last = (-1.0, "", 0.0)

    def __call__(self, fraction: float, message: str) -> None:
        import time

        step, now = message.split(" ", 1)[0], time.monotonic()
        fraction_then, step_then, at = self.last
        if (
            step != step_then
            or fraction >= 1.0
            or (fraction - fraction_then >= 0.05 and now - at >= 2.0)
        ):
            self.last = (fraction, step, now)
            print(f"{fraction:6.1%}  {message}", file=sys.stderr, flush=True)


def _service_errors(exc: ServiceError) -> None:
    for field, message in (exc.errors or {"": exc.message}).items():
        where = f"{field}: " if field and field not in message and field != "archive" else ""
        print(f"error: {where}{message}", file=sys.stderr)


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.services import backup

    db = Database(settings.database_url)  # not upgraded: back up what is there
    try:
        report = backup.create_backup(
            db,
            cli_actor(getpass.getuser()),
            settings,
            args.out,
            force=args.force,
            on_progress=_ConsoleProgress(),
        )
    except ServiceError as exc:
        _service_errors(exc)
        return 1
    finally:
        db.dispose()
    print(
        f"wrote {report.path}: {report.bytes:,} bytes, {report.parts} parts "
        f"({report.dialect} database at revision {report.schema_revision}) in "
        f"{report.seconds:.1f} s. It holds the secret key and every account: keep it private."
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    from dashboard.config import configured_database_url
    from dashboard.services import backup

    data_dir = getattr(args, "data_dir", None)
    if data_dir is None:
        print("error: give the new data directory: restore FILE --data-dir NEW", file=sys.stderr)
        return 2
    try:
        report = backup.restore_backup(
            args.archive,
            Path(data_dir),
            cli_actor(getpass.getuser()),
            database_url=configured_database_url(),
            on_progress=_ConsoleProgress(),
        )
    except ServiceError as exc:
        _service_errors(exc)
        print("nothing was restored", file=sys.stderr)
        return 1
    except OSError as exc:  # a full disk, a folder we may not write
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was restored", file=sys.stderr)
        return 1
    stopped = report.interrupted_jobs
    jobs = f"; jobs marked interrupted: {stopped}" if stopped else ""
    print(
        f"restored the backup of {report.backup_created_at} into {report.data_dir} "
        f"({report.parts} parts, {report.dialect} database {report.database}){jobs}. "
        f"Start it with: python app.py --data-dir {report.data_dir}"
    )
    return 0


def _call(args: argparse.Namespace) -> int:
    from analysis.mutations.call import Mode
    from analysis.mutations.errors import MutationInputError
    from analysis.mutations.headless import call_to_folder

    last = [""]

    def progress(stage: str, fraction: float) -> None:
        line = f"{stage} {fraction:.0%}"
        if line != last[0]:
            last[0] = line
            print(line, file=sys.stderr, flush=True)

    try:
        result = call_to_folder(
            args.reference, args.reads, Mode(args.mode), args.out, progress=progress
        )
    except MutationInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for note in result.skipped:
        print(f"note: {note}", file=sys.stderr)
    print(
        f"{len(result.mutations)} mutations, {len(result.unresolved)} unresolved stretches "
        f"({result.mapped} of {result.reads} reads aligned): {args.out / 'output.vcf'}, "
        f"{args.out / 'output.gd'}",
        file=sys.stderr,
    )
    return 0


def _command(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    db.upgrade()
    actor = cli_actor(getpass.getuser())
    try:
        if args.command == "db":
            print(f"database at revision {db.current_revision()}")
        elif args.command == "import":
            return _import(db, actor, settings, args)
        elif args.command == "user" and args.user_command == "add":
            password = _read_password(True) if args.password_stdin else accounts.generate_password()
            row = accounts.create_user(db, actor, args.name, password, args.role, args.display_name)
            print(f"created user {row.username} with roles {', '.join(row.roles) or 'none'}")
            if not args.password_stdin:
                print(f"password (shown once): {password}")
        elif args.command == "user" and args.user_command == "passwd":
            user_id = accounts.user_id_by_name(db, args.name)
            accounts.set_password(db, actor, user_id, _read_password(args.password_stdin))
            print(f"password of {args.name} changed; their open sessions have ended")
        elif args.command == "ledger" and args.ledger_command == "reanchor":
            from dashboard.services import ledger_anchoring

            ledger_anchoring.reanchor(db, actor, args.batch)
            print(f"batch {args.batch} will be anchored again by the next worker step")
        elif args.command == "token":
            user_id = accounts.user_id_by_name(db, args.name)
            row, secret = accounts.create_token(db, actor, user_id, args.label)
            print(
                f"token {row.name!r} for {row.username} (shown once; send as "
                f"'Authorization: Bearer <token>'):"
            )
            print(secret)
    except ServiceError as exc:
        for field, message in (exc.errors or {"": exc.message}).items():
            where = f"{field}: " if field and field not in message else ""
            print(f"error: {where}{message}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    return 0


def _import(db: Database, actor: Any, settings: Settings, args: argparse.Namespace) -> int:
    from dashboard.services import explorer
    from dashboard.services.explorer import DataFiles

    factors: dict[str, object] = {}
    for item in args.factor:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            print(f"error: --factor {item!r}: write KEY=VALUE", file=sys.stderr)
            return 2
        factors[key.strip()] = value
    details = datasets.parse_details(
        {
            "experiment_id": args.experiment,
            "sample_name": args.sample,
            "arm_id": args.arm,
            "material": args.material,
            "instrument": args.instrument,
            "source_run": args.source_run,
            "derived_from": args.derived_from,
            "factors": factors,
        }
    )
    last = [-1.0]

    def progress(fraction: float, message: str) -> None:
        if fraction - last[0] >= 0.05 or fraction >= 1.0:
            last[0] = fraction
            print(f"{fraction:6.1%}  {message}", file=sys.stderr, flush=True)

    files = DataFiles.in_data_dir(settings.data_dir)
    view = datasets.import_path(db, actor, files.store, args.path, details, on_progress=progress)
    if not view.is_reads:
        print("preparing the sequence explorer…", file=sys.stderr, flush=True)
        explorer.warm(db, files, view.id)
    print(
        f"imported {view.filename} as dataset {view.id}: {view.format}"
        f"{' (gzip)' if view.compression == 'gzip' else ''}, {view.record_count:,} "
        f"{'read' if view.is_reads else 'record'}{'' if view.record_count == 1 else 's'}, "
        f"{view.total_length:,} bp, "
        f"sha256 {view.sha256}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
