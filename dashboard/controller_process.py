"""The hardware controller as a process: ``python app.py controller``, or a child of
``serve`` kept alive beside it (like the job workers)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import zlib
from collections.abc import Callable

from dashboard.config import Settings
from dashboard.db import Database
from dashboard.job_queue import WorkerProcesses, _parent_is_gone
from dashboard.services.controller import Controller, run_forever
from dashboard.services.devices import catalog
from hardware.factory import DeviceSpec, make_device
from hardware.protocol import Device

log = logging.getLogger("microspacegen.controller")


def device_maker(settings: Settings) -> Callable[[DeviceSpec], Device]:
    """The factory the controller builds its devices with (simulators seeded by their id,
    so a demo is the same each time)."""

    def make(spec: DeviceSpec) -> Device:
        return make_device(spec, speed=settings.sim_speed, seed=zlib.crc32(spec.device_id.encode()))

    return make


def run_controller(settings: Settings, db: Database, *, exit_with: int | None = None) -> None:
    """Control the configured devices until SIGINT or SIGTERM (or the server leaves)."""
    stop = threading.Event()

    def ask_stop(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, ask_stop)
    signal.signal(signal.SIGTERM, ask_stop)
    controller = Controller(
        db,
        catalog(settings.devices),
        device_maker(settings),
        speed=settings.sim_speed,
    )
    if exit_with is not None:

        def watch() -> None:
            while not stop.wait(1.0):
                if _parent_is_gone(exit_with):
                    log.info("the server this controller belongs to has gone; stopping")
                    stop.set()

        threading.Thread(target=watch, name="exit-with", daemon=True).start()
    log.info("controller %s: %d devices", controller.holder, len(controller.cat.specs))
    run_forever(controller, settings.telemetry_hz, stop)


class ControllerProcess(WorkerProcesses):
    """``python app.py controller`` run beside the web server, restarted if it dies."""

    def __init__(self, settings: Settings, app_py: str) -> None:
        super().__init__(settings, 1, app_py)
        self.command = [
            sys.executable,
            app_py,
            "controller",
            "--data-dir",
            str(settings.data_dir),
            "--exit-with",
            str(os.getpid()),
        ]
        self.label = "hardware controller"
