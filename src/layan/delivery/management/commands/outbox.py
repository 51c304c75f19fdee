"""``layan outbox status [ID ...] | deliver ID [ID ...] | sweep``: look into the outbox and drive it
by hand — what is queued, sending, sent or failed and why; send an item now; run the sweeper once.
See docs/flows/outbox.md."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from layan.delivery.selectors import attempts_of, outbox_items, outbox_summary, recent_failures
from layan.delivery.services import deliver_outbox_item, redrive_due_outbox_items


class Command(BaseCommand):
    @property
    def help(self):
        return _("Look into the outbox of outbound messages and drive it by hand.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{status,deliver,sweep}")
        status = actions.add_parser("status", help=_("Counts by status and recent failures; with ids, "
                                                     "each item and its attempts."))
        status.add_argument("ids", nargs="*", type=int, help=_("Outbox item ids."))
        deliver = actions.add_parser("deliver", help=_("Send these items now, in this process, if they are due."))
        deliver.add_argument("ids", nargs="+", type=int, help=_("Outbox item ids."))
        actions.add_parser("sweep", help=_("Run the sweeper once: take back items whose worker stopped "
                                           "mid-send and queue every due item again."))

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _status(self, options):
        if options["ids"]:
            self._items(options["ids"])
            return
        summary = outbox_summary()
        out = self.stdout
        out.write(_("Queued, due now: %(n)s") % {"n": summary.queued_due})
        out.write(_("Queued, waiting for a retry or a rate limit: %(n)s") % {"n": summary.queued_waiting})
        out.write(_("Sending: %(n)s (lease expired: %(expired)s)") % {
            "n": summary.sending, "expired": summary.sending_lease_expired})
        out.write(_("Sent: %(n)s") % {"n": summary.sent})
        out.write(_("Failed: %(n)s") % {"n": summary.failed})
        if summary.oldest_due_at is not None:
            waited = int((timezone.now() - summary.oldest_due_at).total_seconds())
            out.write(_("Oldest due item has waited %(seconds)s s.") % {"seconds": waited})
        for item in recent_failures():
            out.write(f"  #{item.pk} ({item.message.inbox.kind}) — {item.last_error}")

    def _items(self, ids: list[int]):
        items = outbox_items(ids=ids)
        for item in items:
            self.stdout.write(_("#%(id)s message %(message)s on %(kind)s: %(status)s after %(attempts)s "
                                "attempt(s)") % {"id": item.pk, "message": item.message_id,
                                                 "kind": item.message.inbox.kind, "status": item.status,
                                                 "attempts": item.attempts})
            for attempt in attempts_of(item):
                line = f"  {attempt.number}: {attempt.outcome or _('unfinished')}"
                self.stdout.write(f"{line} — {attempt.error}" if attempt.error else line)
        self._missing(ids, {item.pk for item in items})

    def _deliver(self, options):
        known = {item.pk for item in outbox_items(ids=options["ids"])}
        for item_id in options["ids"]:
            if item_id not in known:
                continue
            status = deliver_outbox_item(outbox_item_id=item_id)
            self.stdout.write(f"#{item_id}: {status}" if status else
                              _("#%(id)s: not due, or another worker holds it") % {"id": item_id})
        self._missing(options["ids"], known)

    def _sweep(self, options):
        self.stdout.write(_("Queued %(n)s due item(s) again.") % {"n": redrive_due_outbox_items()})

    @staticmethod
    def _missing(asked: list[int], found: set[int]):
        missing = [str(pk) for pk in asked if pk not in found]
        if missing:
            raise CommandError(_("No outbox item with the id %(ids)s.") % {"ids": ", ".join(missing)})
