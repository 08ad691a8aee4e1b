#!/usr/bin/python3
"""smtp_sink.py: a real SMTP server (python3-aiosmtpd) on 127.0.0.1 for tests.

Run it with Debian's /usr/bin/python3 (the pyenv python3 on PATH lacks
aiosmtpd; DEPS-FACTS §3). It binds 127.0.0.1:<port> (0 = a free port chosen
by the kernel, race-free), prints "READY <port>" on stdout and serves until
SIGTERM or SIGINT.

Every accepted message is stored in --outdir as NNNN.eml (the DATA bytes
after SMTP un-stuffing, exactly as the client sent them) with NNNN.json
beside it ({"mail_from", "rcpt_tos", "auth"}); the .json is written first
and the .eml is renamed into place last, so a reader that sees the .eml sees
both complete.

Fault injection by recipient local part:
  reject4...@  -> 450 4.2.0 at RCPT
  reject5...@  -> 550 5.1.1 at RCPT
  datafail4... -> 451 4.3.0 after DATA
  datafail5... -> 554 5.6.0 after DATA
With --user/--password, AUTH PLAIN and LOGIN are offered (over plain TCP:
loopback tests only) and required before MAIL; AUTH XOAUTH2 accepts
"user=<user>^Aauth=Bearer <password>^A^A", with or without the initial
response.
With --tls-cert/--tls-key, STARTTLS is offered with that certificate and
required before any other command but EHLO/NOOP/QUIT (require_starttls).
"""
import argparse
import asyncio
import base64
import json
import os
import signal
import socket
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, outdir, close_after_data=False):
        self.outdir = outdir
        self.count = 0
        self.ehlos = 0
        self.close_after_data = close_after_data

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # One EHLO per connection: outdir/ehlo.count tells how many the
        # client opened.
        session.host_name = hostname
        self.ehlos += 1
        with open(os.path.join(self.outdir, "ehlo.count"), "w") as f:
            f.write("%d\n" % self.ehlos)
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject4"):
            return "450 4.2.0 Mailbox busy (test)"
        if local.startswith("reject5"):
            return "550 5.1.1 No such user (test)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for r in envelope.rcpt_tos:
            local = r.split("@", 1)[0].lower()
            if local.startswith("datafail4"):
                return "451 4.3.0 Temporary failure after DATA (test)"
            if local.startswith("datafail5"):
                return "554 5.6.0 Message rejected after DATA (test)"
        self.count += 1
        base = os.path.join(self.outdir, "%04d" % self.count)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "auth": bool(session.authenticated),
        }
        with open(base + ".json", "w") as f:
            json.dump(meta, f)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".eml.tmp", base + ".eml")
        if self.close_after_data:
            # As a server whose idle timeout ends the session after the
            # reply: the client finds the connection closed at its next use.
            asyncio.get_running_loop().call_later(0.05, server.transport.close)
        return "250 2.0.0 Stored %04d" % self.count


class SinkSMTP(SMTP):
    expected_user = b""
    expected_password = b""

    async def auth_XOAUTH2(self, _, args):
        if len(args) == 1:
            raw = await self.challenge_auth("")
            if not isinstance(raw, bytes):
                return AuthResult(success=False, handled=False)
        else:
            try:
                raw = base64.b64decode(args[1].encode(), validate=True)
            except Exception:
                await self.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        parts = dict(p.split(b"=", 1) for p in raw.split(b"\x01") if b"=" in p)
        ok = (parts.get(b"user") == self.expected_user and
              parts.get(b"auth") == b"Bearer " + self.expected_password)
        return AuthResult(success=ok, handled=False, auth_data=LoginPassword(
            parts.get(b"user", b""), b""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user", default="")
    ap.add_argument("--password", default="")
    ap.add_argument("--tls-cert", default="")
    ap.add_argument("--tls-key", default="")
    ap.add_argument("--close-after-data", action="store_true",
                    help="close each connection 50 ms after a stored message")
    args = ap.parse_args()
    # Plain-text AUTH is intended here (loopback tests only).
    warnings.simplefilter("ignore")
    os.makedirs(args.outdir, exist_ok=True)

    def authenticator(server, session, envelope, mechanism, auth_data):
        # handled=False makes aiosmtpd answer 535 on failure (the default,
        # handled=True, sends nothing and the client hangs).
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = (auth_data.login == args.user.encode() and
              auth_data.password == args.password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    SinkSMTP.expected_user = args.user.encode()
    SinkSMTP.expected_password = args.password.encode()
    handler = Handler(args.outdir, args.close_after_data)
    use_auth = bool(args.user)
    tls_context = None
    if args.tls_cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.tls_cert, args.tls_key or None)

    def factory():
        return SinkSMTP(
            handler,
            hostname="sink.test",
            auth_required=use_auth,
            auth_require_tls=False,
            authenticator=authenticator if use_auth else None,
            data_size_limit=64 << 20,
            tls_context=tls_context,
            require_starttls=tls_context is not None,
        )

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(64)
    port = sock.getsockname()[1]

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(factory, sock=sock))
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)

    print("READY %d" % port, flush=True)
    loop.run_until_complete(stop.wait())
    server.close()
    loop.run_until_complete(server.wait_closed())


if __name__ == "__main__":
    main()
