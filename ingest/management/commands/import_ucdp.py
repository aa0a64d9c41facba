from ingest.commands import ImportCommand
from ingest.readers.ucdp import read_ucdp


class Command(ImportCommand):
    help = "Import a UCDP GED file (CSV); all or nothing unless --keep-valid."
    reader = staticmethod(read_ucdp)
    format_name = "UCDP GED"
