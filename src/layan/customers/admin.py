"""Operator admin for customers and their channel identities."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from layan.accounts.admin import WorkspaceAwareAdmin, WorkspaceScopedForm
from layan.customers.models import Customer, Identity
from layan.customers.normalise import normalise_identity
from layan.errors import InvalidInput


class IdentityForm(WorkspaceScopedForm):
    """Stores the normalised value (E.164 phone, lower-cased email), as every channel looks it up."""

    workspace_via = "customer"

    class Meta:
        model = Identity
        fields = ("customer", "kind", "value", "display_value", "verified")

    def clean(self):
        cleaned = super().clean()
        kind, raw = cleaned.get("kind"), cleaned.get("value")
        customer = cleaned.get("customer") or (self.instance.customer if self.instance.customer_id else None)
        if not kind or not raw:
            return cleaned
        try:
            value = normalise_identity(kind, raw)
        except InvalidInput as exc:
            self.add_error("value", exc.message)
            return cleaned
        cleaned["value"] = value
        if not cleaned.get("display_value"):
            cleaned["display_value"] = raw[:320]
        if customer is not None and customer.workspace_id:
            self.instance.workspace_id = customer.workspace_id
            taken = Identity.objects.filter(workspace_id=customer.workspace_id, kind=kind, value=value)
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("value", _("This identity already belongs to a customer of this workspace."))
        return cleaned


class IdentityInline(admin.TabularInline):
    model = Identity
    form = IdentityForm
    fk_name = "customer"
    extra = 0
    fields = ("kind", "value", "display_value", "verified", "created_at")
    readonly_fields = ("created_at",)
    verbose_name = _("identity")
    verbose_name_plural = _("identities")


class CustomerForm(WorkspaceScopedForm):
    class Meta:
        model = Customer
        fields = "__all__"
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}


@admin.register(Customer)
class CustomerAdmin(WorkspaceAwareAdmin):
    form = CustomerForm
    list_display = ("__str__", "workspace", "tier", "language", "preferred_channel", "merged_into", "created_at")
    list_filter = ("workspace", "tier", "language", "preferred_channel", ("merged_into", admin.EmptyFieldListFilter))
    list_select_related = ("workspace", "merged_into")
    search_fields = ("name", "identities__value", "identities__display_value")
    autocomplete_fields = ("workspace", "tags")
    raw_id_fields = ("merged_into",)
    readonly_fields = ("merged_into", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("workspace", "name", "tier", "tags", "notes")}),
        (_("Preferences"), {"fields": ("language", "timezone", "preferred_channel", "consent")}),
        (_("Custom attributes"), {"fields": ("attributes",)}),
        (_("History"), {"fields": ("merged_into", "created_at", "updated_at")}),
    )
    inlines = (IdentityInline,)
    date_hierarchy = "created_at"
    ordering = ("-id",)

    def save_formset(self, request, form, formset, change):
        # Identities carry their customer's workspace (the form also sets it; this covers rows
        # added on the same page as a new customer).
        for inline_form in formset.forms:
            instance = inline_form.instance
            if isinstance(instance, Identity) and form.instance.workspace_id:
                instance.workspace_id = form.instance.workspace_id
        super().save_formset(request, form, formset, change)


@admin.register(Identity)
class IdentityAdmin(WorkspaceAwareAdmin):
    form = IdentityForm
    list_display = ("value", "kind", "customer", "workspace", "verified", "created_at")
    list_filter = ("workspace", "kind", "verified")
    list_select_related = ("customer", "workspace")
    search_fields = ("value", "display_value", "customer__name")
    raw_id_fields = ("customer",)
    ordering = ("-id",)

    def get_fields(self, request, obj=None):
        return ("workspace", "customer", "kind", "value", "display_value", "verified", "created_at")

    def get_readonly_fields(self, request, obj=None):
        # The workspace follows the customer; it is shown, never chosen.
        return ("workspace", "created_at")
