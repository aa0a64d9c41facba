from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from access.models import ApiToken


class Command(BaseCommand):
    help = "Issue an API token for a user and print it. Only its hash is stored: copy it now."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        _, key = ApiToken.objects.issue(user=user, name=name)
        self.stdout.write(key)
