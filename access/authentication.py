"""Token authentication for scripts and SDKs."""

import datetime
import hmac
import logging

from django.db import OperationalError, connection, transaction
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from core.cache import short_lock_wait

from .models import TOKEN_PREFIX_LENGTH, ApiToken, hash_token

logger = logging.getLogger(__name__)


# How stale `last_used_at` may get: a read records its token's use at most this often, so reads do not each
# write (on SQLite a write waits for any import in progress, and a read would wait with it).
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def _note_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    try:
        with short_lock_wait(connection), transaction.atomic():
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    except OperationalError:
        # The database is busy writing (an import on SQLite holds the write lock): the request is served
        # all the same, and the use is recorded next time.
        logger.info("Token %s: last use not recorded (database busy).", token.prefix)


def authenticate_key(key: str):
    """(user, token) for an API token's key, looked up by prefix and compared by hash in constant time;
    AuthenticationFailed when no token has this key or its user is inactive."""
    digest = hash_token(key)
    for token in ApiToken.objects.filter(prefix=key[:TOKEN_PREFIX_LENGTH]).select_related("user"):
        if hmac.compare_digest(token.key_hash, digest):
            if not token.user.is_active:
                raise AuthenticationFailed("This token's user is inactive.")
            _note_use(token)
            return token.user, token
    raise AuthenticationFailed("Invalid token.")


# Sent with every 401 (WWW-Authenticate): both schemes a client may use.
CHALLENGE = 'Bearer realm="api", Token realm="api"'
NOT_AUTHENTICATED = (
    "Authentication credentials were not provided. Send an API token as `Authorization: Bearer <token>` "
    "(or `Authorization: Token <token>`)."
)


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <key>`; the key is looked up by prefix and compared by hash in constant time."""

    keyword = "Token"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise AuthenticationFailed(f"Send the header as 'Authorization: {self.keyword} <key>'.")
        return authenticate_key(header[1].decode(errors="replace"))

    def authenticate_header(self, request):
        return CHALLENGE


class BearerTokenAuthentication(ApiTokenAuthentication):
    """`Authorization: Bearer <key>` with one of this server's API tokens (what generated SDKs send)."""

    keyword = "Bearer"


def exception_handler(exc, context):
    """DRF's, with a 401 that says how to authenticate instead of only that one did not, a 400 for
    numbers too large to store, and a 503 with Retry-After while the database does not answer."""
    from rest_framework import status
    from rest_framework.exceptions import NotAuthenticated
    from rest_framework.response import Response
    from rest_framework.views import exception_handler as drf_exception_handler

    from core.outage import api_outage_response, is_outage

    if isinstance(exc, OverflowError):
        # An id or a number beyond what the database stores (SQLite raises it while binding): the
        # request's fault, whichever parameter or field carried it.
        return Response(
            {"detail": "A number in the request is too large."}, status=status.HTTP_400_BAD_REQUEST
        )
    if is_outage(exc):
        return api_outage_response(exc, context["request"])
    response = drf_exception_handler(exc, context)
    if isinstance(exc, NotAuthenticated) and response is not None:
        response.data = {"detail": NOT_AUTHENTICATED}
    return response
