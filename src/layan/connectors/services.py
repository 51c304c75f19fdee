"""Writers for inboxes."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from layan.accounts.actors import Actor
from layan.accounts.models import Team, Workspace
from layan.accounts.services import record_audit
from layan.connectors.models import Inbox, InboxKind, ThreadingPolicy
from layan.errors import Conflict, ErrorCode, InvalidInput

# Mail and forms come as separate requests: a new email thread is a new conversation (replies
# still thread by their headers). Chats are one ongoing conversation per customer.
NEW_CONVERSATION_PER_MESSAGE = {InboxKind.EMAIL, InboxKind.WEBFORM}


@transaction.atomic
def create_inbox(*, actor: Actor, kind: str, name: str, default_team: Team | None = None,
                 threading_policy: str | None = None, reopen_window_days: int = 7,
                 settings: dict | None = None) -> Inbox:
    if kind not in InboxKind.values:
        raise InvalidInput(_("Unknown inbox kind."), field="kind")
    if threading_policy is None:
        threading_policy = (ThreadingPolicy.ALWAYS_NEW if kind in NEW_CONVERSATION_PER_MESSAGE
                            else ThreadingPolicy.REUSE_OPEN)
    if threading_policy not in ThreadingPolicy.values:
        raise InvalidInput(_("Unknown threading policy."), field="threading_policy")
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("An inbox needs a name."), field="name")
    try:
        with transaction.atomic():
            inbox = Inbox.objects.create(
                workspace=actor.workspace, kind=kind, name=name, default_team=default_team,
                threading_policy=threading_policy, reopen_window_days=reopen_window_days,
                settings=settings or {},
            )
    except IntegrityError as exc:
        raise Conflict(_("An inbox named %(name)s already exists.") % {"name": name},
                       code=ErrorCode.DUPLICATE, field="name") from exc
    record_audit(actor=actor, action="inbox.created", object_type="inbox", object_id=inbox.pk,
                 after={"kind": kind, "name": name})
    return inbox


def default_api_inbox(*, workspace: Workspace) -> Inbox:
    """The inbox conversations created through the API land in when none is named."""
    inbox = Inbox.objects.filter(workspace=workspace, kind=InboxKind.API).order_by("id").first()
    if inbox is not None:
        return inbox
    try:
        with transaction.atomic():
            return Inbox.objects.create(workspace=workspace, kind=InboxKind.API, name="API")
    except IntegrityError:
        return Inbox.objects.get(workspace=workspace, name="API")


@transaction.atomic
def configure_inbox(*, actor: Actor, inbox: Inbox, values: dict):
    """Set the inbox's channel config (connectors/<kind>/models.py) from ``values``; fields not
    named keep their value. Returns the saved config row. Audited (secrets are only env names)."""
    from django.core.exceptions import ValidationError

    from layan.connectors.registry import config_model_for

    model = config_model_for(inbox.kind)
    if model is None:
        raise InvalidInput(_("This kind of inbox has no settings."), field="kind")
    editable = model.form_fields()
    unknown = sorted(set(values) - set(editable))
    if unknown:
        raise InvalidInput(_("Unknown setting: %(name)s.") % {"name": unknown[0]}, field=unknown[0])
    config = model.objects.select_for_update().filter(inbox=inbox).first() or model(inbox=inbox)
    before = {} if config._state.adding else {name: getattr(config, name) for name in editable}
    for name, value in values.items():
        setattr(config, name, value)
    try:
        config.full_clean(exclude=["inbox"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(" ".join(messages), field=field) from exc
    config.save()
    after = {name: getattr(config, name) for name in editable}
    record_audit(actor=actor, action="inbox.configured", object_type="inbox", object_id=inbox.pk,
                 before={k: _plain(v) for k, v in before.items()}, after={k: _plain(v) for k, v in after.items()})
    return config


def _plain(value):
    return value if isinstance(value, str | int | float | bool | type(None) | list | dict) else str(value)
