"""Reads for WhatsApp inboxes: their Cloud API config and the templates synced from Meta."""

from __future__ import annotations

from django.db.models import QuerySet

from layan.connectors.whatsapp.models import TemplateStatus, WhatsAppConfig, WhatsAppTemplate


def whatsapp_config(*, inbox_id: int) -> WhatsAppConfig | None:
    return WhatsAppConfig.objects.filter(inbox_id=inbox_id).first()


def approved_templates(*, inbox_id: int) -> QuerySet[WhatsAppTemplate]:
    """The templates a closed window allows, for one inbox, by name then language."""
    return WhatsAppTemplate.objects.filter(inbox_id=inbox_id, status=TemplateStatus.APPROVED).order_by(
        "name", "language")


def inbox_templates(*, inbox_id: int) -> QuerySet[WhatsAppTemplate]:
    return WhatsAppTemplate.objects.filter(inbox_id=inbox_id).order_by("name", "language")


def find_template(*, inbox_id: int, name: str, language: str) -> WhatsAppTemplate | None:
    """The named template in that language, whatever its status (the caller explains a refusal)."""
    return WhatsAppTemplate.objects.filter(inbox_id=inbox_id, name=name, language=language).first()


def checked_template(*, inbox_id: int, template: dict) -> tuple[WhatsAppTemplate, list[str], str]:
    """A reply's ``template={"name", "language", "parameters"}`` checked against the synced, approved
    templates: (template, parameters, rendered body). Raises InvalidInput saying what is wrong."""
    from django.utils.translation import gettext as _

    from layan.connectors.whatsapp.templating import render
    from layan.errors import InvalidInput

    if not isinstance(template, dict):
        raise InvalidInput(_("A template is an object with a name, a language and parameters."), field="template")
    name = str(template.get("name") or "").strip()
    language = str(template.get("language") or "").strip()
    if not name or not language:
        raise InvalidInput(_("A template needs a name and a language."), field="template.name")
    parameters = template.get("parameters") or []
    if not isinstance(parameters, list | tuple) or not all(isinstance(p, str | int | float) for p in parameters):
        raise InvalidInput(_("Template parameters are a list of texts."), field="template.parameters")
    parameters = [str(p).strip() for p in parameters]
    found = find_template(inbox_id=inbox_id, name=name, language=language)
    if found is None:
        raise InvalidInput(_("This inbox has no template %(name)s in %(language)s; sync the templates from Meta "
                             "first.") % {"name": name, "language": language}, field="template.name")
    if found.status != TemplateStatus.APPROVED:
        raise InvalidInput(_("Template %(name)s (%(language)s) is not approved by Meta: %(status)s.")
                           % {"name": name, "language": language, "status": found.get_status_display()},
                           field="template.name")
    if len(parameters) != found.parameter_count:
        raise InvalidInput(_("Template %(name)s needs %(expected)s parameters; %(given)s were given.")
                           % {"name": name, "expected": found.parameter_count, "given": len(parameters)},
                           field="template.parameters")
    if any(not p for p in parameters):
        raise InvalidInput(_("Every template parameter needs a value."), field="template.parameters")
    return found, parameters, render(found.body_text, parameters)
