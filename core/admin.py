"""Admin building blocks: every admin page that writes re-derives what it touched once, before commit."""

from django.db import transaction

from .deferred import deferred


class DeferredWritesAdminMixin:
    """Wrap the admin's write views in one `deferred()` block, inside their transaction.

    A change form saves the object, then its inlines (claims, roles, aliases, derivation links), each
    marking what it touched; the owners of derived state recompute once when the page's work is done.
    Subclasses route `save_model` to their app's service.
    """

    def _changeform_view(self, request, object_id, form_url, extra_context):
        with deferred():
            return super()._changeform_view(request, object_id, form_url, extra_context)

    def _delete_view(self, request, object_id, extra_context):
        with deferred():
            return super()._delete_view(request, object_id, extra_context)

    def delete_queryset(self, request, queryset):
        with transaction.atomic(savepoint=False), deferred():
            super().delete_queryset(request, queryset)
