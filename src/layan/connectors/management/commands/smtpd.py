"""``layan smtpd --host 127.0.0.1 --port 2525``: the inbound SMTP listener, until interrupted."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from layan.connectors.email.smtpd import max_message_bytes, serve_smtp


class Command(BaseCommand):
    @property
    def help(self):  # argparse needs a str, so translate when asked, not at import
        return _("Receive mail for the email inboxes' addresses over SMTP.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help=_("The address to listen on (default 127.0.0.1)."))
        parser.add_argument("--port", type=int, default=2525, help=_("The port to listen on (default 2525)."))

    def handle(self, *args, host, port, **options):
        if not 0 < port < 65536:
            raise CommandError(_("The port must be between 1 and 65535."))
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_args: stop.set())

        def ready():
            self.stdout.write(_("Receiving mail on %(host)s:%(port)s (at most %(size)d MB per mail). "
                                "Stop with Ctrl+C.") % {"host": host, "port": port,
                                                        "size": max_message_bytes() // (1024 * 1024)})
            self.stdout.flush()

        try:
            serve_smtp(host=host, port=port, stop=stop, on_ready=ready)
        except OSError as exc:
            raise CommandError(_("Cannot listen on %(host)s:%(port)s: %(error)s")
                               % {"host": host, "port": port, "error": exc.strerror or exc}) from exc
        self.stdout.write(_("Stopped receiving mail."))
