"""Reads Iceberg tables with PyIceberg (the independent reader of the Iceberg sink's tests).

Serves requests on stdin, one JSON object per line:
    {"uri": CATALOG_URI, "name": CATALOG_NAME, "table": "NAMESPACE.TABLE", "out": OUT.parquet, "s3": S3_ENDPOINT|null,
     "filter": PYICEBERG_ROW_FILTER|null}
For each, loads the table from the SQL catalog, scans its current snapshot (PyIceberg applies the delete files and
projects the current schema by field id), writes the rows to OUT.parquet with pyarrow, and answers one JSON line:
the row count, the current snapshot's summary, the data files planned and their delete files, the schema's names
(or {"error": ...}). One process serves a whole test file, so Python and pyarrow start once.
"""
import json
import sys
import traceback

import pyarrow.parquet as pq
from pyiceberg.catalog.sql import SqlCatalog


def read(req: dict) -> dict:
    props = {"uri": req["uri"]}
    if req.get("s3"):
        props.update({"s3.endpoint": req["s3"], "s3.access-key-id": "test", "s3.secret-access-key": "test", "s3.region": "us-east-1"})
    catalog = SqlCatalog(req["name"], **props)
    try:
        table = catalog.load_table(req["table"])
        scan = table.scan(row_filter=req["filter"]) if req.get("filter") else table.scan()
        tasks = list(scan.plan_files())
        arrow = scan.to_arrow()
        pq.write_table(arrow, req["out"])
        snap = table.current_snapshot()
        return {
            "rows": arrow.num_rows,
            "summary": dict(snap.summary.additional_properties, operation=snap.summary.operation.value) if snap else None,
            "files": len(tasks),
            "deletes": sum(len(t.delete_files) for t in tasks),
            "schema": [f.name for f in table.schema().fields],
            "fields": [{"id": f.field_id, "name": f.name, "type": str(f.field_type), "required": f.required} for f in table.schema().fields],
            "identifier": list(table.schema().identifier_field_ids),
            "snapshots": len(table.metadata.snapshots),
            "metadataLog": len(table.metadata.metadata_log),
        }
    finally:
        catalog.engine.dispose()


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            out = read(json.loads(line))
        except Exception as e:  # noqa: BLE001 - the test shows the reader's error
            out = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-2000:]}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
