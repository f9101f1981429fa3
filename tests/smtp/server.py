#!/usr/bin/python3
"""A local SMTP server for Bothy's tests (aiosmtpd), started by scripts/test.

Listens on a free port on 127.0.0.1, writes that port to DIR/port once it
accepts connections, and stores every message it receives in DIR/messages as
NAME.eml (exactly as received) and NAME.json (envelope, headers, the
decoded text and HTML parts, and any attachments with their exact bytes
as UTF-8 text), each written aside and renamed into place so a
reader never sees half a file. A recipient whose address starts "refused." is
refused (550) and one starting "deferred." deferred (451). Runs until killed.

    /usr/bin/python3 tests/smtp/server.py DIR
"""

import email
import email.policy
import json
import os
import socket
import sys
import time
import uuid

from aiosmtpd.controller import Controller


def write_atomically(path, data):
    tmp = f"{path}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


class Store:
    def __init__(self, directory):
        self.directory = directory

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # Recipients whose name asks for it are refused for good or deferred,
        # so the tests can see how each answer is handled.
        if address.startswith("refused."):
            return "550 5.1.1 No such mailbox"
        if address.startswith("deferred."):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {}
        attachments = []
        for part in msg.walk():
            if part.get_content_maintype() == "multipart":
                continue
            if part.get_content_disposition() == "attachment":
                attachments.append({
                    "filename": part.get_filename(),
                    "content_type": str(part.get("Content-Type", "")),
                    "content": part.get_payload(decode=True).decode("utf-8"),
                })
                continue
            parts.setdefault(part.get_content_type(), part.get_content())
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg.get("From", "")),
            "to": str(msg.get("To", "")),
            "subject": str(msg.get("Subject", "")),
            "message_id": str(msg.get("Message-ID", "")),
            "content_type": msg.get_content_type(),
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
            "attachments": attachments,
        }
        name = f"{time.time_ns()}-{uuid.uuid4().hex}"
        write_atomically(os.path.join(self.directory, name + ".eml"), raw)
        write_atomically(
            os.path.join(self.directory, name + ".json"),
            json.dumps(record, indent=1).encode(),
        )
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    directory = sys.argv[1]
    messages = os.path.join(directory, "messages")
    os.makedirs(messages, exist_ok=True)
    port = free_port()
    controller = Controller(Store(messages), hostname="127.0.0.1", port=port)
    controller.start()
    write_atomically(os.path.join(directory, "port"), str(port).encode())
    print(f"SMTP test server on 127.0.0.1:{port}, messages in {messages}", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
