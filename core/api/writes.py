"""Writing: create, update and delete through the resource's own rules, answered like a read."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.validators import UniqueTogetherValidator, UniqueValidator

from ..deferred import deferred
from ..integrity import integrity_error_to_validation
from .conditional import check_if_match

UNIQUENESS_VALIDATORS = (UniqueValidator, UniqueTogetherValidator)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class WriteMixin:
    """create, update (If-Match, row lock) and destroy; the model's errors become 400s and 409s.

    Validated input goes to `perform_write(obj, data)` and deletions to `perform_delete(obj)`; override
    them to call the app's services. The answer is `detail_response` (see ReadMixin).
    """

    write_serializer_class = None

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update") and self.write_serializer_class is not None:
            return self.write_serializer_class
        return super().get_serializer_class()

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if self.action in ("create", "update", "partial_update"):
            # The database enforces uniqueness at INSERT time; DRF's validators would SELECT for each unique
            # field first, and word the refusal differently from the model (and the admin).
            for field in serializer.fields.values():
                field.validators = [v for v in field.validators if not isinstance(v, UNIQUENESS_VALIDATORS)]
            serializer.validators = [
                v for v in serializer.validators if not isinstance(v, UNIQUENESS_VALIDATORS)
            ]
        return serializer

    # Every write runs in one transaction and one deferred block: derived state is re-derived once, before
    # the commit, whatever the service touched.

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic(), deferred():
            obj = self.perform_write(self.queryset.model(), dict(serializer.validated_data))
        return self.detail_response(obj, status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        with transaction.atomic(), deferred():
            obj = self.get_locked_object()
            check_if_match(request, obj)
            serializer = self.get_serializer(obj, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            obj = self.perform_write(obj, dict(serializer.validated_data))
        return self.detail_response(obj)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic(), deferred():
            obj = self.get_locked_object()
            check_if_match(request, obj)
            self.perform_delete(obj)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_write_queryset(self):
        """The rows a write may touch, with what validation reads; override to select_related more."""
        return self.queryset.model._default_manager.all()

    def get_locked_object(self):
        """The row named in the URL, locked until the transaction ends (check-then-write is atomic)."""
        queryset = self.get_write_queryset().select_for_update(
            of=("self",) if connection.features.has_select_for_update_of else ()
        )
        obj = get_object_or_404(queryset, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, obj)
        return obj

    def perform_write(self, obj, data: dict):
        """Every resource writes through its app's service: set the fields, then call it."""
        raise NotImplementedError(f"{type(self).__name__} must write through its app's service.")

    def perform_delete(self, obj) -> None:
        obj.delete()

    def handle_exception(self, exc):
        # The model's rules speak Django; the API answers them as 400s naming the field.
        if isinstance(exc, DjangoValidationError):
            exc = ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            )
        elif isinstance(exc, ProtectedError):
            used_by = sorted({str(type(o)._meta.verbose_name_plural) for o in exc.protected_objects})
            exc = Conflict(f"It is still referred to by {', '.join(used_by)}; change or delete those first.")
        elif isinstance(exc, IntegrityError):
            # The database refused it (a race past validation): the same field error, never its raw text.
            exc = ValidationError(integrity_error_to_validation(exc).message_dict)
        return super().handle_exception(exc)
