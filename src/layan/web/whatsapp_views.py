"""WhatsApp actions of the agent workspace: an admin's "Sync templates" from the composer's picker."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from layan.accounts.actors import Actor
from layan.accounts.selectors import require_role
from layan.connectors.models import InboxKind
from layan.connectors.selectors import access_inbox
from layan.connectors.whatsapp.services import sync_templates
from layan.errors import LayanError, NotFound
from layan.web.session import session_agent


@login_required
@require_POST
def whatsapp_templates_sync(request, inbox_id: int):
    """Copy the inbox's templates from Meta, then go back to the page the button was on."""
    agent = session_agent(request)
    if agent is None:
        raise Http404
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = "web:home"
    try:
        require_role(agent)  # admins only: it changes what every agent may send
        inbox = access_inbox(agent=agent, inbox_id=inbox_id)
        if inbox.kind != InboxKind.WHATSAPP:
            raise NotFound(_("Inbox not found."), field="inbox")
        result = sync_templates(actor=Actor.for_agent(agent), inbox=inbox)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except LayanError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("Templates synced from Meta: %(approved)s approved of %(total)s.")
                     % {"approved": result.approved, "total": result.created + result.updated})
    return redirect(back)
