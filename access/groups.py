"""The groups every install starts with: editors curate the data, reviewers also set editor verdicts."""

from django.contrib.auth.models import Group, Permission

# The curated models by app label; named, not imported, so that this app depends on none of them.
CURATED = {
    "locations": ["location", "locationalias"],
    "actors": ["actor", "actoralias"],
    "sources": ["source", "report", "reportderivation"],
    "events": ["event", "eventactor", "claim", "tag", "eventtype", "subeventtype"],
}
EDITORS = "editors"
REVIEWERS = "reviewers"


def ensure_groups(sender=None, **kwargs) -> None:
    """Editors add, change and delete the curated data; reviewers may also set editor verdicts."""
    codenames = [
        f"{action}_{model}"
        for models in CURATED.values()
        for model in models
        for action in ("add", "change", "delete")
    ]
    permissions = list(Permission.objects.filter(content_type__app_label__in=CURATED, codename__in=codenames))
    if len(permissions) < len(codenames):
        return  # not every app is migrated yet; the next post_migrate call finishes the job
    editors, _ = Group.objects.get_or_create(name=EDITORS)
    editors.permissions.add(*permissions)
    reviewers, _ = Group.objects.get_or_create(name=REVIEWERS)
    reviewers.permissions.add(*permissions, *Permission.objects.filter(codename="set_verdict"))
