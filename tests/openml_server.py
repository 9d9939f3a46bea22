"""A local HTTP server that answers like OpenML's API for one data set, with faults on request.

It serves what scikit-learn's real fetch_openml asks for: the data description JSON
(/api/v1/json/data/ID, with the ARFF file's URL and md5), the features and qualities JSON,
and the gzipped ARFF file (/data/v1/download/FILE_ID/NAME.arff). Point datasets.openml at it
with `OPENML_SERVER = server.url`. Faults, per part ("description", "features",
"qualities", "data"): an HTTP status, "silent" (accepts, never answers), "truncated" (sends
half the promised bytes and closes), ("stall", n) (sends n bytes, then nothing), or
("trickle", seconds) (sends the body in 8 pieces, `seconds` apart: slow, never silent long).
"""

import gzip
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

FILE_ID = 52667
PIXELS = 784


def arff_text(x: np.ndarray, labels: np.ndarray, name: str) -> str:
    """OpenML's ARFF layout of mnist_784: pixel1..pixel784 NUMERIC, then the nominal class."""
    header = [f"@RELATION {name}", *(f"@ATTRIBUTE pixel{i} NUMERIC" for i in range(1, PIXELS + 1))]
    header += ["@ATTRIBUTE class {0,1,2,3,4,5,6,7,8,9}", "@DATA"]
    rows = np.column_stack([x.astype(np.int64), labels.astype(np.int64)])
    body = "\n".join(",".join(map(str, row)) for row in rows.tolist())
    return "\n".join(header) + "\n" + body + "\n"


def gzipped_arff(x: np.ndarray, labels: np.ndarray, name: str) -> tuple[bytes, str]:
    """(the gzipped ARFF file, the md5 of its uncompressed bytes, as OpenML lists it)."""
    arff = arff_text(x, labels, name).encode()
    return gzip.compress(arff, compresslevel=1), hashlib.md5(arff).hexdigest()


def features_json(data_id: int) -> dict:
    features = [
        {
            "index": str(i),
            "name": f"pixel{i + 1}",
            "data_type": "numeric",
            "is_target": "false",
            "is_ignore": "false",
            "is_row_identifier": "false",
            "number_of_missing_values": "0",
        }
        for i in range(PIXELS)
    ]
    features.append(
        {
            "index": str(PIXELS),
            "name": "class",
            "data_type": "nominal",
            "nominal_value": [str(d) for d in range(10)],
            "is_target": "true",
            "is_ignore": "false",
            "is_row_identifier": "false",
            "number_of_missing_values": "0",
        }
    )
    return {"data_features": {"feature": features}}


class FakeOpenML:
    """Start with `with FakeOpenML(x, labels) as server:`; `server.requests` lists the paths
    asked for, `server.faults[part]` injects a fault, `server.md5` can be made wrong."""

    def __init__(self, x: np.ndarray, labels: np.ndarray, data_id: int = 554, name: str = "mnist_784") -> None:
        self.data_id, self.name, self.rows = data_id, name, len(labels)
        self.arff_gz, self.md5 = gzipped_arff(x, labels, name)
        self.faults: dict[str, object] = {}
        self.requests: list[str] = []
        self.release = threading.Event()  # ends stalled answers when the server closes
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "FakeOpenML":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def data_requests(self) -> int:
        return sum("/data/v1/download/" in path for path in self.requests)

    def answer(self, path: str) -> tuple[str, bytes, dict[str, str]] | None:
        """(part, body, extra headers) for a path, or None for 404."""
        if path == f"/api/v1/json/data/{self.data_id}":
            description = {
                "id": str(self.data_id),
                "name": self.name,
                "version": "1",
                "format": "ARFF",
                "description": "A test copy.",
                "url": f"{self.url}/data/v1/download/{FILE_ID}/{self.name}.arff",
                "file_id": str(FILE_ID),
                "default_target_attribute": "class",
                "status": "active",
                "md5_checksum": self.md5,
            }
            return "description", json.dumps({"data_set_description": description}).encode(), {}
        if path == f"/api/v1/json/data/features/{self.data_id}":
            return "features", json.dumps(features_json(self.data_id)).encode(), {}
        if path == f"/api/v1/json/data/qualities/{self.data_id}":
            qualities = {"data_qualities": {"quality": [{"name": "NumberOfInstances", "value": f"{self.rows}.0"}]}}
            return "qualities", json.dumps(qualities).encode(), {}
        if re.fullmatch(rf"/data/v1/download/{FILE_ID}/{re.escape(self.name)}\.arff", path):
            return "data", self.arff_gz, {"Content-Encoding": "gzip"}
        return None

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet: tests read the request list instead
                pass

            def do_GET(self) -> None:
                server.requests.append(self.path)
                answer = server.answer(self.path)
                if answer is None:
                    self.send_error(404)
                    return
                part, body, headers = answer
                fault = server.faults.get(part)
                if fault == "silent":
                    server.release.wait(60)
                    return
                if isinstance(fault, int):
                    self.send_error(fault)
                    return
                self.send_response(200)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if fault == "truncated":
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                    return
                if isinstance(fault, tuple) and fault[0] == "trickle":
                    piece = -(-len(body) // 8)
                    for start in range(0, len(body), piece):
                        self.wfile.write(body[start : start + piece])
                        self.wfile.flush()
                        time.sleep(fault[1])
                    return
                if isinstance(fault, tuple) and fault[0] == "stall":
                    self.wfile.write(body[: fault[1]])
                    self.wfile.flush()
                    server.release.wait(60)
                    return
                self.wfile.write(body)

        return Handler
