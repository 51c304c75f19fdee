"""``layan telegram connect INBOX``: check a Telegram inbox's bot token (getMe) and point the bot's
webhook at Layan (setWebhook with the inbox's secret token)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    @property
    def help(self):  # argparse needs a str, so translate when asked, not at import
        return _("Work with the Telegram channel.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{connect}")
        connect = actions.add_parser("connect", help=_("Check the bot token and set the bot's webhook to this site."))
        connect.add_argument("inbox", help=_("The inbox: its id, public id or exact name."))

    def handle(self, *args, **options):
        from layan.connectors.telegram.connection import ConnectError, connect_bot

        inbox = _telegram_inbox(options["inbox"])
        try:
            connected = connect_bot(inbox=inbox)
        except ConnectError as exc:
            raise CommandError(_("%(inbox)s: %(error)s") % {"inbox": inbox.name, "error": exc}) from exc
        self.stdout.write(_("%(inbox)s: @%(bot)s now sends its updates to %(url)s")
                          % {"inbox": inbox.name, "bot": connected.bot_username, "url": connected.webhook_url})
        for warning in connected.warnings:
            self.stderr.write(warning)


def _telegram_inbox(reference: str):
    """The Telegram inbox named by an id, else a public id, else an exact name."""
    from layan.connectors.models import Inbox, InboxKind

    inboxes = Inbox.objects.filter(kind=InboxKind.TELEGRAM)
    if reference.isdigit() and (inbox := inboxes.filter(pk=int(reference)).first()):
        return inbox
    if inbox := inboxes.filter(public_id=reference).first():
        return inbox
    named = list(inboxes.filter(name=reference)[:2])
    if not named:
        raise CommandError(_("No Telegram inbox with the id, public id or name %(inbox)s.") % {"inbox": reference})
    if len(named) > 1:
        raise CommandError(_("Several Telegram inboxes are named %(inbox)s; give its id instead.")
                           % {"inbox": reference})
    return named[0]
