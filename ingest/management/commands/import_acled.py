from ingest.commands import ImportCommand
from ingest.readers.acled import read_acled


class Command(ImportCommand):
    help = "Import an ACLED export (CSV, any of ACLED's layouts); all or nothing unless --keep-valid."
    reader = staticmethod(read_acled)
    format_name = "ACLED"
