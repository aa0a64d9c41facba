from django.contrib import admin, messages

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "name", "prefix")
    autocomplete_fields = ("user",)
    fields = ("user", "name")

    def has_change_permission(self, request, obj=None):
        return False  # a token is issued or revoked (deleted), never edited

    def save_model(self, request, obj, form, change):
        token, key = ApiToken.objects.issue(user=obj.user, name=obj.name)
        obj.pk = token.pk
        messages.warning(request, f"The new token is {key} — copy it now: it is stored only as a hash.")
