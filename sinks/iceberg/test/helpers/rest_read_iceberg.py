"""Reads an Iceberg table with PyIceberg through a REST catalog (the independent reader of the REST-catalog tests).

    rest_read_iceberg.py CATALOG_URI TOKEN NAMESPACE.TABLE OUT.parquet

Same output as read_iceberg.py (the rows in OUT.parquet, then a JSON line with the row count, the current
snapshot's summary, the data files planned, the delete files and the schema's column names), but the table is
loaded from the REST catalog with a bearer token.
"""
import json
import sys

import pyarrow.parquet as pq
from pyiceberg.catalog.rest import RestCatalog


def main() -> None:
    uri, token, ident, out = sys.argv[1:5]
    catalog = RestCatalog("rest", uri=uri, token=token)
    table = catalog.load_table(ident)
    scan = table.scan()
    tasks = list(scan.plan_files())
    arrow = scan.to_arrow()
    pq.write_table(arrow, out)
    snap = table.current_snapshot()
    print(json.dumps({
        "rows": arrow.num_rows,
        "summary": dict(snap.summary.additional_properties, operation=snap.summary.operation.value) if snap else None,
        "files": len(tasks),
        "deletes": sum(len(t.delete_files) for t in tasks),
        "schema": [f.name for f in table.schema().fields],
    }))


if __name__ == "__main__":
    main()
