"""The web form, `/hooks/webform/<inbox public id>/`: GET serves the standalone contact form (to
open directly or embed in an <iframe> on the inbox's allowed origins), POST takes a submission,
checks it, stores it as an inbound event and thanks the visitor at once. `embed.js` beside it is
the one-line way to put the form on a page. See docs/channels/webform.md.
"""

from __future__ import annotations

import json
import secrets
import time

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from layan.connectors.ingress import store_inbound_event
from layan.connectors.selectors import inbox_for_webhook
from layan.connectors.webform.parsing import (
    HONEYPOT_FIELD,
    MAX_LENGTHS,
    FormErrors,
    build_envelope,
    clean_submission,
)
from layan.connectors.webform.ratelimit import SubmissionLimitReached, count_submission
from layan.connectors.webform.selectors import webform_config
from layan.connectors.webform.tokens import BadFormToken, issue_form_token, read_form_token

MAX_FORM_BYTES = 64 * 1024  # five short fields; anything bigger is not a person typing
LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _language(request) -> str:
    asked = (request.GET.get("lang") or "").strip().lower()[:5]
    if asked in LANGUAGES:
        return asked
    return translation.get_language_from_request(request) or settings.LANGUAGE_CODE


def _client_ip(request) -> str:
    # The address the server saw; behind a reverse proxy it must hand the client's address on
    # (uvicorn --proxy-headers), or every visitor shares the proxy's limit.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _secure(response: HttpResponse, *, config, nonce: str, language: str) -> HttpResponse:
    origins = config.origins()
    ancestors = " ".join(origins) if origins else "'none'"
    response["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; form-action 'self'; "
        f"base-uri 'none'; frame-ancestors {ancestors}")
    if not origins:
        response["X-Frame-Options"] = "DENY"  # browsers without CSP frame-ancestors
    # With allowed origins there is no X-Frame-Options: it cannot name several sites, and a
    # browser that reads frame-ancestors ignores it anyway.
    response["Cache-Control"] = "no-store"  # every page carries its own token
    response["Referrer-Policy"] = "same-origin"
    response["Content-Language"] = language
    response["Vary"] = "Accept-Language, Cookie"
    return response


def _page(request, inbox, config, *, language: str, template: str, status: int = 200, **context) -> HttpResponse:
    nonce = secrets.token_urlsafe(16)
    shown = config.shown_fields()
    values = context.pop("values", {})
    errors = context.pop("errors", {})
    fields = [{"name": name, "value": values.get(name, ""), "error": errors.get(name, ""),
               "max_length": MAX_LENGTHS[name], "required": name == "message"} for name in shown]
    response = render(request, template, {
        "inbox_name": inbox.name, "fields": fields, "both_contacts": {"email", "phone"} <= set(shown),
        "action": reverse("webform", kwargs={"public_id": inbox.public_id}) + f"?lang={language}",
        "honeypot": HONEYPOT_FIELD, "nonce": nonce, "language": language, **context,
    }, status=status)
    return _secure(response, config=config, nonce=nonce, language=language)


@csrf_exempt  # no cookie, no session: the signed form token is the check (webform/tokens.py)
@xframe_options_exempt  # the view sets its own framing rules from the inbox's allowed origins
@require_http_methods(["GET", "POST"])
def webform(request, public_id: str):
    inbox = inbox_for_webhook(public_id=public_id, kind="webform")
    if inbox is None:
        return HttpResponse(_("This form is not available."), status=404, content_type="text/plain; charset=utf-8")
    config = webform_config(inbox=inbox)
    language = _language(request)
    with translation.override(language):
        if request.method == "GET":
            return _page(request, inbox, config, language=language, template="webform/form.html",
                         token=issue_form_token(public_id=inbox.public_id))
        return _submit(request, inbox, config, language)


def _submit(request, inbox, config, language: str) -> HttpResponse:
    def again(status: int, *, message: str = "", token: str | None = None, **context) -> HttpResponse:
        return _page(request, inbox, config, language=language, template="webform/form.html", status=status,
                     form_error=message, token=token or issue_form_token(public_id=inbox.public_id), **context)

    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_FORM_BYTES:
        return again(413, message=_("The message is too long."))
    shown = config.shown_fields()
    values = {name: request.POST.get(name, "") for name in shown}
    raw_token = request.POST.get("token", "")
    try:
        token = read_form_token(public_id=inbox.public_id, token=raw_token)
    except BadFormToken:
        # 403 like any unverified delivery; the page offers a fresh form with the text kept.
        return again(403, message=_("This form has expired. Please check your message and send it again."),
                     values=values)
    spam = ""
    if request.POST.get(HONEYPOT_FIELD, "").strip():
        spam = "honeypot"
    elif time.time() - token.issued_at < config.minimum_fill_seconds:
        spam = "too_fast"
    submission = None
    if not spam:
        try:
            submission = clean_submission(values, shown=shown)
        except FormErrors as exc:
            return again(400, message=_("Please check the marked fields."), token=raw_token, values=values,
                         errors=exc.errors)
    try:
        count_submission(public_id=inbox.public_id, scope="ip", key=_client_ip(request),
                         limit=config.submissions_per_ip_per_hour)
        if submission is not None and submission.email:
            count_submission(public_id=inbox.public_id, scope="email", key=submission.email,
                             limit=config.submissions_per_email_per_hour)
    except SubmissionLimitReached as exc:
        minutes = max(1, -(-exc.retry_after // 60))
        response = again(429, token=raw_token, values=values, message=_(
            "Too many messages have been sent from here in the last hour. Please try again in %(minutes)s "
            "minutes.") % {"minutes": minutes})
        response["Retry-After"] = str(exc.retry_after)
        return response
    client = {"ip": _client_ip(request), "user_agent": request.headers.get("User-Agent", "")[:300],
              "referer": request.headers.get("Referer", "")[:500]}
    store_inbound_event(inbox=inbox, source="webform", event_id=f"webform:{token.nonce}", payload=build_envelope(
        submission_id=token.nonce, values=values, spam=spam, language=language, client=client,
        received_at=timezone.now()))
    # Spam is thanked like a person: a bot learns nothing from the answer.
    return _page(request, inbox, config, language=language, template="webform/thanks.html",
                 success_message=config.success_message.strip(), again_url=reverse(
                     "webform", kwargs={"public_id": inbox.public_id}) + f"?lang={language}")


EMBED_JS = """(function () {
  var script = document.currentScript;
  if (!script) return;
  var frame = document.createElement("iframe");
  var lang = script.getAttribute("data-lang") || document.documentElement.lang || "";
  frame.src = FORM_URL + "?lang=" + encodeURIComponent(lang.slice(0, 2));
  frame.title = script.getAttribute("data-title") || FORM_TITLE;
  frame.loading = "lazy";
  frame.style.cssText = "width:100%;max-width:600px;border:0;height:560px";
  script.parentNode.insertBefore(frame, script.nextSibling);
  var origin = new URL(frame.src).origin;
  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (event.origin !== origin || event.source !== frame.contentWindow || data.layanWebform !== "height") return;
    frame.style.height = Math.min(4000, Math.max(200, Number(data.height) || 0)) + "px";
  });
})();
"""


@require_GET
def webform_embed_js(request, public_id: str):
    """A script that puts the form's iframe where the script tag is and fits its height."""
    inbox = inbox_for_webhook(public_id=public_id, kind="webform")
    if inbox is None:
        return HttpResponse("", status=404, content_type="text/javascript; charset=utf-8")
    url = request.build_absolute_uri(reverse("webform", kwargs={"public_id": inbox.public_id}))
    source = (EMBED_JS.replace("FORM_URL", json.dumps(url))
              .replace("FORM_TITLE", json.dumps(inbox.name)))
    response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response
