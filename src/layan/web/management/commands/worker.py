"""``layan worker``: the background worker alone, for machines that run no web server.

The scaled-out deployment (PostgreSQL + Redis) runs any number of these next to
``layan serve --no-worker``; it is Huey's own consumer with Layan's tasks loaded.
"""

import logging

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from huey.contrib.djhuey.management.commands.run_huey import Command as RunHueyCommand

from layan.web.management.commands.serve import load_tasks


class Command(RunHueyCommand):
    @property
    def help(self):  # argparse needs a str, so translate when asked, not at import
        return _("Run the background worker (Huey consumer) without a web server.")

    def handle(self, *args, **options):
        from layan.jobs import huey

        if huey.immediate:
            raise CommandError(_("LAYAN_HUEY_IMMEDIATE is set: background work runs inline, "
                                 "there is nothing for a worker to do."))
        load_tasks()
        # run_huey gives the "huey" logger its own handler when it has none; Layan's LOGGING already
        # prints everything through the root logger, so a do-nothing handler avoids every line twice.
        huey_logger = logging.getLogger("huey")
        if not huey_logger.handlers:
            huey_logger.addHandler(logging.NullHandler())
        super().handle(*args, **options)
