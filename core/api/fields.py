"""Serializer fields shared by the write serializers."""

from rest_framework import serializers


class NamesField(serializers.ListField):
    """Names written as a list of strings (aliases, tags), read back from the relation's rows' `name`, so
    that a write serializer can also show the row it would change (the browsable API pre-fills its form)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.CharField(max_length=200))
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return [row.name for row in getattr(instance, self.source).all()]
