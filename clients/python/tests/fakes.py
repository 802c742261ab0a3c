"""A fake mirror on loopback for the unit tests."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeMirror:
    """A loopback HTTP server answering /health as configured."""

    def __init__(self, status=200, body=None, headers=None, delay=0.0):
        self.status, self.headers, self.delay = status, headers or {}, delay
        self.body = body if body is not None else {"status": "ok", "info": {}, "error": {}, "details": {}}
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def version_string(self):
                return fake.headers.get("Server", "fake-mirror")

            def do_GET(self):
                fake.requests.append(self.path)
                if fake.delay:
                    threading.Event().wait(fake.delay)
                payload = json.dumps(fake.body).encode() if not isinstance(fake.body, bytes) else fake.body
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in fake.headers.items():
                    if k != "Server":
                        self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
