"""``layan inbound replay ID [ID ...]``: process stored inbound events again (failed, rejected or
ignored ones), e.g. after fixing what made them fail; prints each event's new status and reason."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from layan.connectors.ingress import replay_inbound_event
from layan.connectors.models import InboundEvent


class Command(BaseCommand):
    @property
    def help(self):
        return _("Work with stored inbound events.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{replay}")
        replay = actions.add_parser("replay", help=_("Process failed, rejected or ignored inbound events again."))
        replay.add_argument("ids", nargs="+", type=int, help=_("The inbound event ids (the admin lists them)."))

    def handle(self, *args, **options):
        missing = []
        for event_id in options["ids"]:
            try:
                event = replay_inbound_event(event_id=event_id)
            except InboundEvent.DoesNotExist:
                missing.append(str(event_id))
                continue
            line = f"{event.pk}: {event.get_status_display()}"
            self.stdout.write(f"{line} — {event.reason}" if event.reason else line)
        if missing:
            raise CommandError(_("No inbound event with the id %(ids)s.") % {"ids": ", ".join(missing)})
