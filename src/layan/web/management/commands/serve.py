"""``layan serve``: the web server (HTTP and WebSockets) and, in the same process, the worker.

One process is the embedded deployment: uvicorn serves ``layan.asgi:application`` from the main
thread while a Huey consumer runs in threads beside it. Scaled out, run ``layan serve --no-worker``
on the web machines and ``layan worker`` on the worker machines. ``--fake-providers`` (the demo's
``make demo FAKE_PROVIDERS=1``) also runs the loopback fake providers of layan/demo/fake_providers.py.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from huey.consumer import Consumer
from huey.consumer_options import ConsumerConfig

from layan.demo.fake_providers import (
    DEFAULT_BASE_PORT,
    DEMO_FAKES,
    HOST,
    FakePortInUse,
    check_base_port,
    set_demo_secrets,
    start_fakes,
    stop_fakes,
)
from layan.errors import LayanError

# Beside a web server an idle queue is polled at least every second (Huey's default backs off to
# ten), so a reply leaves within a second or two; settings.HUEY["consumer"] can still say otherwise.
EMBEDDED_CONSUMER_DEFAULTS = {"max_delay": 1.0, "shutdown_timeout": 15.0}


class EmbeddedConsumer(Consumer):
    """A Huey consumer that runs in threads of a process whose main thread belongs to uvicorn.

    Huey's own main loop (``run()``) owns the signals and restarts dead workers; here uvicorn owns
    the signals, so the handlers are not installed and a watchdog thread does the health checks.
    """

    def _set_signal_handlers(self):
        # Signal handlers can only be set from the main thread, and there they would replace
        # uvicorn's: the server decides when the process stops, then stops the consumer.
        pass

    def start(self):
        super().start()
        self._watchdog = threading.Thread(target=self._watch_workers, name="huey-watchdog", daemon=True)
        self._watchdog.start()

    def _watch_workers(self):
        while not self.stop_flag.wait(self._health_check_interval):
            if self._health_check:
                self.check_worker_health()

    def stop(self, graceful=False):
        super().stop(graceful=graceful)
        self.huey.notify_interrupted_tasks()


def load_tasks() -> None:
    """Register every task with the Huey instance before a consumer starts taking jobs."""
    import layan.jobs  # noqa: F401 - the subscriber, delivery and sweeper tasks live there

    autodiscover_modules("tasks")


def consumer_options(*, workers: int | None = None) -> dict:
    configured = settings.HUEY.get("consumer", {}) if isinstance(settings.HUEY, dict) else {}
    options = {**EMBEDDED_CONSUMER_DEFAULTS, **configured}
    if workers is not None:
        options["workers"] = workers
    # Threads only: forking worker processes out of a running web server is not safe.
    options["worker_type"] = "thread"
    config = ConsumerConfig(**options)
    config.validate()
    return config.values


class AnnouncingServer(uvicorn.Server):
    """uvicorn's server, calling ``on_ready`` once it listens (not before: the port may be taken)."""

    def __init__(self, config: uvicorn.Config, *, on_ready: Callable[[], None]):
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets=None):
        await super().startup(sockets=sockets)
        if not self.should_exit:
            self.on_ready()


def _display_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


class Command(BaseCommand):
    @property
    def help(self):  # argparse needs a str, so translate when asked, not at import
        return _(
            "Run Layan: the web server with WebSockets and, unless --no-worker, the background worker "
            "in the same process."
        )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help=_("Address to listen on."))
        parser.add_argument("--port", type=int, default=8000, help=_("Port to listen on."))
        parser.add_argument("--no-worker", action="store_true",
                            help=_("Do not run the background worker in this process "
                                              "(run `layan worker` elsewhere)."))
        parser.add_argument("--workers", type=int, default=None,
                            help=_("Worker threads for background work (default from "
                                              "settings, LAYAN_WORKERS)."))
        parser.add_argument("--fake-providers", action="store_true",
                            help=_("Also run fake provider servers on 127.0.0.1 for the demo inboxes "
                                   "(see `layan demo --fake-providers`) and set their demo secrets."))
        parser.add_argument("--fake-providers-port", type=int, default=DEFAULT_BASE_PORT,
                            help=_("The first of the fake providers' ports (default %(default)s)."))

    def handle(self, *args, **options):
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError(_("--workers must be at least 1."))
        self.check_migrations()
        fakes = self._start_fakes(options["fake_providers_port"]) if options["fake_providers"] else []
        try:
            self._serve(options)
        finally:
            stop_fakes(fakes)

    def _serve(self, options):
        consumer = self._consumer(options)
        url = _display_url(options["host"], options["port"])
        config = uvicorn.Config(
            "layan.asgi:application", host=options["host"], port=options["port"],
            ws="websockets-sansio", lifespan="off", log_config=None, server_header=False,
        )
        server = AnnouncingServer(config, on_ready=lambda: self._announce(url, consumer))
        # uvicorn re-raises the signal that stopped it once it has shut down. Python's default for
        # SIGTERM kills the process on the spot; this handler lets the consumer finish its jobs
        # (and stops the server if the signal comes before uvicorn has put its own in place).
        previous_term = signal.signal(signal.SIGTERM,
                                      lambda signum, frame: setattr(server, "should_exit", True))
        try:
            if consumer is not None:
                consumer.start()
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            if consumer is not None:
                self.stdout.write(_("Stopping the background worker…"))
                consumer.stop(graceful=True)
            signal.signal(signal.SIGTERM, previous_term)

    def _start_fakes(self, base_port: int) -> list:
        # Before the worker starts: the secrets must be in the environment when a send reads them.
        try:
            check_base_port(base_port)
        except LayanError as exc:
            raise CommandError(exc.message) from exc
        set_demo_secrets()
        try:
            fakes = start_fakes(base_port=base_port)
        except FakePortInUse as exc:
            raise CommandError(_(
                "Cannot start the fake %(name)s on %(host)s:%(port)s: %(error)s. Is another "
                "`layan serve --fake-providers` running? Stop it, or choose other ports with "
                "--fake-providers-port (and the same with `layan demo --fake-providers`).") % {
                    "name": exc.fake.label, "host": HOST, "port": exc.port,
                    "error": exc.error.strerror or exc.error}) from exc
        self.stdout.write(_("Fake providers (nothing the demo sends leaves this machine):"))
        width = max(len(str(fake.label)) for fake in DEMO_FAKES)
        for fake, server in zip(DEMO_FAKES, fakes, strict=True):
            self.stdout.write(f"  {str(fake.label).ljust(width)}  {server.url}")
        return fakes

    def _consumer(self, options) -> EmbeddedConsumer | None:
        if options["no_worker"]:
            return None
        from layan.jobs import huey

        load_tasks()
        if huey.immediate:
            self.stderr.write(_("Background work runs inline (LAYAN_HUEY_IMMEDIATE); no worker started."))
            return None
        try:
            return EmbeddedConsumer(huey, **consumer_options(workers=options["workers"]))
        except ValueError as exc:
            raise CommandError(_("Invalid worker settings: %(error)s") % {"error": exc}) from exc

    def _announce(self, url: str, consumer: EmbeddedConsumer | None) -> None:
        self.stdout.write(_("Layan is running at %(url)s") % {"url": url})
        if consumer is not None:
            self.stdout.write(_("Background worker: %(n)s threads in this process.") % {"n": consumer.workers})
        else:
            self.stdout.write(_("No background worker in this process."))
        self.stdout.write(_("Press Ctrl+C to stop."))
        self.stdout.flush()
