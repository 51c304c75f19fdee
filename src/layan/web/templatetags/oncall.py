"""`{% oncall_banner conversation %}`: the open emergency page of a conversation, with Acknowledge."""

from django import template

from layan.servicelevels.oncall_selectors import open_page_for_conversation

register = template.Library()


@register.inclusion_tag("web/_oncall_banner.html", takes_context=True)
def oncall_banner(context, conversation):
    return {"page": open_page_for_conversation(conversation=conversation), "conversation": conversation,
            "csrf_token": context.get("csrf_token")}
