"""History tables indexed for the way they are read.

django-simple-history copies every indexed, unique or foreign-key column of a model into its history table
with an index of its own. History is read by object (`/…/{id}/history/`, the admin's history page) and by
date (the deleted feeds); those two indexes are kept, and the rest, which every write, and above all every
bulk import, had to maintain for no reader, are not created.
"""

from simple_history import models as simple_history


class HistoricalRecords(simple_history.HistoricalRecords):
    def copy_fields(self, model):
        fields = super().copy_fields(model)
        for name, field in fields.items():
            if name != model._meta.pk.name:
                field.db_index = False
        return fields


def m2m_snapshots(history_rows: list) -> None:
    """Give history rows made in bulk the many-to-many snapshot (an event's tags) that
    `bulk_history_create` leaves out: without it the next version would show every link as just added.

    One read and one write per many-to-many field, whatever the number of rows; an object with several of
    the rows gets its links on the last one.
    """
    if not history_rows:
        return
    history_model = type(history_rows[0])
    pk_name = history_model.instance_type._meta.pk.attname
    latest = {getattr(row, pk_name): row for row in history_rows}
    for field in history_model._history_m2m_fields:
        snapshot = simple_history.HistoricalRecords.m2m_models[field]
        through = field.remote_field.through
        owner = field.m2m_column_name()  # the link's column naming the object, e.g. "event_id"
        columns = [f.attname for f in through._meta.concrete_fields]
        links = through.objects.filter(**{f"{owner}__in": list(latest)}).values(*columns)
        snapshot.objects.bulk_create([snapshot(history=latest[link[owner]], **link) for link in links])
