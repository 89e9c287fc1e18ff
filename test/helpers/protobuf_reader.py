"""An independent Protobuf reader for tests (docs/formats.md): compiles a .proto fetched from the registry with
grpcio-tools' protoc, then decodes Confluent-framed payloads (magic 0, schema id, message indexes, message) with
Google's protobuf runtime, printing each as JSON (json_format.MessageToDict, field names as declared).

usage: python protobuf_reader.py <dir with schema.proto> <message name>   (hex payloads on stdin, one per line)
"""
import importlib
import json
import sys

from grpc_tools import protoc
from google.protobuf import json_format


def varint(buf, pos):
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def main():
    folder, message = sys.argv[1], sys.argv[2]
    if protoc.main(['protoc', f'-I{folder}', f'--python_out={folder}', f'{folder}/schema.proto']) != 0:
        sys.exit('protoc failed')
    sys.path.insert(0, folder)
    module = importlib.import_module('schema_pb2')
    cls = getattr(module, message)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        buf = bytes.fromhex(line)
        assert buf[0] == 0, 'magic byte'
        schema_id = int.from_bytes(buf[1:5], 'big')
        # Confluent message indexes: a zig-zag varint count, then the indexes; a single 0 byte means [0].
        count, pos = varint(buf, 5)
        count = (count >> 1) ^ -(count & 1)
        indexes = [0]
        if count != 0:
            indexes = []
            for _ in range(count):
                i, pos = varint(buf, pos)
                indexes.append((i >> 1) ^ -(i & 1))
        msg = cls()
        msg.ParseFromString(buf[pos:])
        print(json.dumps({'schemaId': schema_id, 'indexes': indexes,
                          'value': json_format.MessageToDict(msg, always_print_fields_with_no_presence=True, preserving_proto_field_name=True)}))


main()
