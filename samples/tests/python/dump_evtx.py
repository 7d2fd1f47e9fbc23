#!/usr/bin/env python3
"""Dump an EVTX file with python-evtx (PyPI `python-evtx`, module `Evtx`), one JSON line per record.

Used by samples/tests/it/evtx_python.rs to cross-check the EVTX writer with a second, independent
reader. Output, one JSON object per line:

    {"chunk": i, "header_ok": bool, "data_ok": bool, "first": n, "last": n}   for every chunk
    {"record": n, "timestamp": "...", "xml": "<Event ...>"}                    for every record
    {"summary": {"file_ok": bool, "chunk_count": n, "next_record": n, "records": n}}   last

`*_ok` are python-evtx's own checks (magic, version, CRC32s). The XML is python-evtx's rendering,
unmodified: the Rust test normalises the differences between the two readers.

Exit status: 0 on success, 2 when a record fails to render (the error is printed on stderr).
"""

import json
import sys

import Evtx.Evtx as evtx


def main(path):
    records = 0
    with evtx.Evtx(path) as log:
        fh = log.get_file_header()
        out = sys.stdout
        for i, chunk in enumerate(fh.chunks()):
            out.write(
                json.dumps(
                    {
                        "chunk": i,
                        "header_ok": chunk.check_magic()
                        and chunk.calculate_header_checksum() == chunk.header_checksum(),
                        "data_ok": chunk.calculate_data_checksum() == chunk.data_checksum(),
                        "first": chunk.log_first_record_number(),
                        "last": chunk.log_last_record_number(),
                    }
                )
                + "\n"
            )
            for record in chunk.records():
                try:
                    xml = record.xml()
                except Exception as e:  # noqa: BLE001 - report any reader failure to the test
                    sys.stderr.write("record %d: %r\n" % (record.record_num(), e))
                    return 2
                out.write(
                    json.dumps(
                        {
                            "record": record.record_num(),
                            "timestamp": record.timestamp().isoformat(),
                            "xml": xml,
                        }
                    )
                    + "\n"
                )
                records += 1
        out.write(
            json.dumps(
                {
                    "summary": {
                        "file_ok": fh.verify(),
                        "chunk_count": fh.chunk_count(),
                        "next_record": fh.next_record_number(),
                        "records": records,
                    }
                }
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: dump_evtx.py FILE\n")
        sys.exit(1)
    sys.exit(main(sys.argv[1]))
