package ferry;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.types.Types;

/**
 * Reads an Iceberg table with Apache Iceberg's Java library (the independent reader of the Iceberg sink's tests):
 * JdbcCatalog finds the table, IcebergGenerics scans its current snapshot applying position and equality deletes.
 *
 *   ReadIceberg JDBC_URI CATALOG_NAME NAMESPACE.TABLE WAREHOUSE
 *
 * Prints one JSON object: rows (each column as canonical text: timestamps "yyyy-MM-dd HH:mm:ss.SSSSSS" (UTC for
 * timestamptz), times "HH:mm:ss.SSSSSS", bytes as hex, decimals plain), the schema's fields with ids and types, and
 * the current snapshot's summary.
 */
public final class ReadIceberg {
  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS");

  private ReadIceberg() {}

  static String text(Object v) {
    if (v == null) return null;
    if (v instanceof ByteBuffer b) {
      StringBuilder sb = new StringBuilder();
      ByteBuffer d = b.duplicate();
      while (d.hasRemaining()) sb.append(String.format("%02x", d.get() & 0xff));
      return sb.toString();
    }
    if (v instanceof byte[] b) return text(ByteBuffer.wrap(b));
    if (v instanceof BigDecimal d) return d.toPlainString();
    if (v instanceof LocalDateTime t) return t.format(TS);
    if (v instanceof OffsetDateTime t) return t.withOffsetSameInstant(ZoneOffset.UTC).format(TS);
    if (v instanceof LocalTime t) return t.format(TIME);
    if (v instanceof LocalDate d) return d.toString();
    return v.toString();
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> props = new HashMap<>();
    props.put(CatalogProperties.URI, args[0]);
    props.put(CatalogProperties.WAREHOUSE_LOCATION, args[3]);
    JdbcCatalog catalog = new JdbcCatalog();
    catalog.setConf(new Configuration());
    catalog.initialize(args[1], props);
    Table table = catalog.loadTable(TableIdentifier.parse(args[2]));
    List<Types.NestedField> columns = table.schema().columns();
    List<Map<String, String>> rows = new ArrayList<>();
    try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
      for (Record r : records) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Types.NestedField f : columns) m.put(f.name(), text(r.getField(f.name())));
        rows.add(m);
      }
    }
    List<Map<String, Object>> fields = new ArrayList<>();
    for (Types.NestedField f : columns) fields.add(Map.of("id", f.fieldId(), "name", f.name(), "type", f.type().toString(), "required", f.isRequired()));
    Snapshot s = table.currentSnapshot();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("rows", rows);
    out.put("fields", fields);
    out.put("identifier", table.schema().identifierFieldIds());
    out.put("summary", s == null ? null : s.summary());
    System.out.println(new ObjectMapper().writeValueAsString(out));
    catalog.close();
  }
}
