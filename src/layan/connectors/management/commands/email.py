"""``layan email parse FILE.eml``: what Layan reads from an email, as JSON, without the database."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from layan.connectors.email.parsing import parse_email


class Command(BaseCommand):
    requires_system_checks = []  # parsing needs neither the database nor the checks

    @property
    def help(self):  # argparse needs a str, so translate when asked, not at import
        return _("Work with the email channel.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{parse}")
        parse = actions.add_parser("parse", help=_("Parse an email file and print the result as JSON."))
        parse.add_argument("file", help=_("The .eml file to parse, or - to read standard input."))

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _parse(self, options):
        path = options["file"]
        if path == "-":
            stdin = getattr(self, "stdin", None) or sys.stdin
            raw = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
            if isinstance(raw, str):
                raw = raw.encode("utf-8", errors="surrogateescape")
        else:
            try:
                with open(path, "rb") as handle:
                    raw = handle.read()
            except FileNotFoundError as exc:
                raise CommandError(_("No such file: %(path)s") % {"path": path}) from exc
            except OSError as exc:
                raise CommandError(_("Cannot read %(path)s: %(error)s") % {
                    "path": path, "error": exc.strerror or exc}) from exc
        parsed = parse_email(raw)
        self.stdout.write(json.dumps(parsed.to_dict(), ensure_ascii=False, indent=2))
