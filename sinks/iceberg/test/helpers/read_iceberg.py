"""Reads an Iceberg table with PyIceberg (the independent reader of the Iceberg sink's tests).

    read_iceberg.py CATALOG_URI CATALOG_NAME NAMESPACE.TABLE OUT.parquet [S3_ENDPOINT]

Loads the table from the SQL catalog, scans its current snapshot (PyIceberg applies the delete files and projects
the current schema by field id), writes the rows to OUT.parquet with pyarrow, and prints a JSON line: the row count,
the current snapshot's summary, and the data files PyIceberg planned.
"""
import json
import sys

import pyarrow.parquet as pq
from pyiceberg.catalog.sql import SqlCatalog


def main() -> None:
    uri, name, ident, out = sys.argv[1:5]
    props = {"uri": uri}
    if len(sys.argv) > 5:
        props.update({"s3.endpoint": sys.argv[5], "s3.access-key-id": "test", "s3.secret-access-key": "test", "s3.region": "us-east-1"})
    catalog = SqlCatalog(name, **props)
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
