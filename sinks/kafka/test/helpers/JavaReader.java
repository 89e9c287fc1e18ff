// An independent read_committed reader for the Kafka target sink's tests: Apache Kafka's own Java consumer
// (kafka-clients from infra/kafka/lib), run in source-file mode: java -cp 'infra/kafka/lib/*' JavaReader.java <bootstrap> <topic>...
// Reads every partition of the topics from the beginning up to the end offsets (for read_committed: the last stable
// offset) and prints one line per record: topic partition offset timestamp keyHex valueHex headers ('-' = null/none;
// headers as name=hex joined by ',').
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class JavaReader {
  static String hex(byte[] b) {
    if (b == null) return "-";
    if (b.length == 0) return "-";
    return HexFormat.of().formatHex(b);
  }

  public static void main(String[] args) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int i = 1; i < args.length; i++) {
        for (var info : c.partitionsFor(args[i], Duration.ofSeconds(30))) tps.add(new TopicPartition(info.topic(), info.partition()));
      }
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> ends = c.endOffsets(tps, Duration.ofSeconds(30));
      StringBuilder out = new StringBuilder();
      long deadline = System.currentTimeMillis() + 120_000;
      while (System.currentTimeMillis() < deadline) {
        boolean done = true;
        for (TopicPartition tp : tps) if (c.position(tp) < ends.get(tp)) done = false;
        if (done) break;
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          StringBuilder h = new StringBuilder();
          for (Header x : r.headers()) h.append(h.length() > 0 ? "," : "").append(x.key()).append('=').append(hex(x.value()));
          out.append(r.topic()).append(' ').append(r.partition()).append(' ').append(r.offset()).append(' ').append(r.timestamp()).append(' ')
            .append(hex(r.key())).append(' ').append(hex(r.value())).append(' ').append(h.length() > 0 ? h : "-").append('\n');
        }
      }
      System.out.print(out);
    }
  }
}
