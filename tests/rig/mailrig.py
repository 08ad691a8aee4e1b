#!/usr/bin/python3
"""mailrig.py: helpers for scripts/rig (a private loopback mail system).

Run with Debian's /usr/bin/python3 (the pyenv python3 on PATH lacks
aiosmtpd; DEPS-FACTS §3). Subcommands:

  freeports N            print N free 127.0.0.1 TCP ports (one per line)
  relay --dir D --smtp-port P --lmtp-port L
                         an SMTP server (aiosmtpd) on 127.0.0.1:P that hands
                         every recipient to Dovecot LMTP on 127.0.0.1:L:
                         <user>@<local domain> for the local users (sales,
                         support, agent, helpdesk, ...) -> that user; every
                         other address -> user "customer" (catch-all).
                         Appends one JSON line per delivered recipient to
                         D/deliveries.jsonl ({"t0" (LMTP started), "t" (LMTP done), "from", "rcpt", "user",
                         "message_id", "in_reply_to", "subject",
                         "auto_submitted"}) after LMTP accepted it. Offers
                         AUTH PLAIN/LOGIN against D/users (not required).
  deliver --dir D --lmtp-port L --user U [--sender S] [--pace-ms MS] FILE...
                         (sender default: the From address) delivers each file over LMTP into U's INBOX (unseen,
                         INTERNALDATE = now) and logs it like the relay.
                         One process and one LMTP connection for all the
                         files (bulk delivery for the fault tests); with
                         --pace-ms it waits MS milliseconds between two
                         files, so mail keeps arriving over a while.
  send --port P --from F --to T FILE
                         submits FILE over SMTP to 127.0.0.1:P (envelope
                         F -> T), as a mail client would.
  wait-port P            waits up to 20 s until 127.0.0.1:P accepts.

Fault switch (tests/e2e/faults_e2e_test.cc): while the file D/smtp-fault
exists the relay answers with the reply it holds instead of delivering; it
is read at every command, so removing it restores delivery at once. Its
first line is "[STAGE] CODE TEXT", e.g.
    451 4.3.0 try later
    RCPT 550 5.1.1 no such user
    MAIL 421 4.3.2 shutting down
STAGE is MAIL, RCPT or DATA (default DATA: the reply after the message,
which is then not delivered). A 421 also closes the connection, as a server
going down does (RFC 5321 3.8). An optional second line "rcpt SUBSTRING"
limits the fault to recipients containing SUBSTRING (case-insensitive; RCPT
and DATA stages; MAIL knows no recipient yet, so a MAIL fault ignores it).
Every fault answered is logged to D/smtp-faults.jsonl ({"t", "stage",
"reply", "rcpt", "message_id"}).

Does not: queue or retry a delivery (a failed LMTP delivery is an SMTP 451
to the client; only a refused or dropped LMTP connection, before anything
was sent, is retried for up to 15 s, so that `scripts/rig restart-imap`
does not turn into SMTP errors), use TLS, or relay anything off the
machine.
"""
import argparse
import asyncio
import email.parser
import email.policy
import email.utils
import json
import re
import os
import signal
import smtplib
import socket
import sys
import time
import warnings

LOCAL_DOMAIN = "shop.example"
CATCH_ALL = "customer"


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def read_users(rig_dir):
    users = {}
    with open(os.path.join(rig_dir, "users")) as f:
        for line in f:
            parts = line.strip().split(":")
            if len(parts) >= 2 and parts[1].startswith("{PLAIN}"):
                users[parts[0]] = parts[1][len("{PLAIN}"):]
    return users


def user_for(address, users):
    addr = address.strip("<>").lower()
    local, _, domain = addr.partition("@")
    if domain == LOCAL_DOMAIN and local in users:
        return local
    return CATCH_ALL


def header_summary(raw):
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    msg = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(
        head + b"\r\n\r\n")
    def h(name):
        v = msg.get(name)
        return "" if v is None else " ".join(str(v).split())
    return {
        "message_id": h("Message-ID"),
        "in_reply_to": h("In-Reply-To"),
        "subject": h("Subject"),
        "auto_submitted": h("Auto-Submitted"),
    }


def from_address(raw):
    """The envelope sender deliver uses by default: the From address (a
    null sender would make every message look like a bounce)."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    msg = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(
        head + b"\r\n\r\n")
    value = " ".join(str(msg.get("From", "")).split())
    # The angle-bracket address first: parseaddr misreads a display name
    # with a colon (an encoded word, say) as a group.
    m = re.search(r"<([^<>]*)>\s*$", value)
    return m.group(1) if m else email.utils.parseaddr(value)[1]


def lmtp_rcpt(user, original):
    """The LMTP recipient for user: Dovecot maps it back with %Ln. The
    catch-all keeps the original domain so that a Sieve vacation reply from
    the customer is not From one of our own domains."""
    domain = original.strip("<>").partition("@")[2] or "customer.example"
    if user != CATCH_ALL:
        domain = LOCAL_DOMAIN
    return "%s@%s" % (user, domain)


# How long a refused or dropped LMTP connection is retried (Dovecot being
# restarted by `scripts/rig restart-imap`); nothing has been sent then.
LMTP_CONNECT_RETRY_S = 15


def lmtp_connect(port):
    """An LMTP connection (greeting read), retried while Dovecot is down."""
    deadline = time.time() + LMTP_CONNECT_RETRY_S
    while True:
        try:
            return smtplib.LMTP("127.0.0.1", port, timeout=60)
        except (ConnectionRefusedError, smtplib.SMTPServerDisconnected,
                smtplib.SMTPConnectError, ConnectionResetError):
            if time.time() >= deadline:
                raise
            time.sleep(0.1)


def lmtp_send(lmtp, sender, rcpt, raw):
    """One LMTP transaction on an open connection; None or an error text."""
    try:
        lmtp.sendmail(sender or "<>", [rcpt], raw)
        return None
    except smtplib.SMTPRecipientsRefused as e:
        return "LMTP refused %s: %s" % (rcpt, e.recipients)
    except (smtplib.SMTPException, OSError) as e:
        return "LMTP %s: %s" % (rcpt, e)


def lmtp_deliver(port, sender, rcpt, raw):
    """Delivers raw to rcpt; returns None or an error text."""
    try:
        lmtp = lmtp_connect(port)
    except (smtplib.SMTPException, OSError) as e:
        return "LMTP %s: %s" % (rcpt, e)
    with lmtp:
        return lmtp_send(lmtp, sender, rcpt, raw)


def log_delivery(rig_dir, sender, rcpt, user, raw, t0):
    rec = {"t0": t0, "t": time.time(), "from": sender, "rcpt": rcpt,
           "user": user}
    rec.update(header_summary(raw))
    line = json.dumps(rec) + "\n"
    fd = os.open(os.path.join(rig_dir, "deliveries.jsonl"),
                 os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


FAULT_STAGES = ("MAIL", "RCPT", "DATA")


def read_fault(rig_dir):
    """The fault switch D/smtp-fault: (stage, reply, rcpt filter) or None."""
    try:
        with open(os.path.join(rig_dir, "smtp-fault")) as f:
            lines = [l.strip() for l in f.read().splitlines() if l.strip()]
    except OSError:
        return None
    if not lines:
        return None
    words = lines[0].split(None, 1)
    stage = "DATA"
    if words[0].upper() in FAULT_STAGES and len(words) == 2:
        stage, reply = words[0].upper(), words[1]
    else:
        reply = lines[0]
    if not re.match(r"^[2-5][0-9][0-9]( |$)", reply):
        reply = "451 4.3.0 bad smtp-fault file: " + reply
    only = ""
    for l in lines[1:]:
        key, _, value = l.partition(" ")
        if key.lower() == "rcpt":
            only = value.strip().lower()
    return stage, reply, only


class RelayHandler:
    def __init__(self, rig_dir, lmtp_port):
        self.rig_dir = rig_dir
        self.lmtp_port = lmtp_port

    def fault(self, server, stage, rcpts, raw=b""):
        """The reply of an active fault for this stage, or None (logged)."""
        f = read_fault(self.rig_dir)
        if f is None or f[0] != stage:
            return None
        _, reply, only = f
        if only and stage != "MAIL" and not any(
                only in r.lower() for r in rcpts):
            return None
        rec = {"t": time.time(), "stage": stage, "reply": reply,
               "rcpt": list(rcpts),
               "message_id": header_summary(raw)["message_id"] if raw else ""}
        fd = os.open(os.path.join(self.rig_dir, "smtp-faults.jsonl"),
                     os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(rec) + "\n").encode())
        finally:
            os.close(fd)
        print("relay: fault at %s: %s" % (stage, reply), file=sys.stderr,
              flush=True)
        if reply.startswith("421"):
            # The server is going away: close after the reply is written.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return reply

    async def handle_MAIL(self, server, session, envelope, address,
                          mail_options):
        reply = self.fault(server, "MAIL", [])
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        reply = self.fault(server, "RCPT", [address])
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        users = read_users(self.rig_dir)
        raw = envelope.original_content
        if not raw.endswith(b"\n"):
            raw += b"\r\n"
        reply = self.fault(server, "DATA", envelope.rcpt_tos, raw)
        if reply:
            return reply
        loop = asyncio.get_running_loop()
        # In an executor: Dovecot's Sieve vacation submits its reply back to
        # this server while the LMTP transaction is still open. Delivery and
        # its log line happen together in that thread: when the client
        # vanishes before our reply (an inboxd killed after DATA), aiosmtpd
        # cancels this coroutine, but what was delivered is still logged.
        err = await loop.run_in_executor(
            None, self.deliver_all, envelope.mail_from,
            list(envelope.rcpt_tos), raw, users)
        if err:
            print("relay: " + err, file=sys.stderr, flush=True)
            return "451 4.3.0 " + err.replace("\r", " ").replace("\n", " ")
        return "250 2.0.0 Delivered"

    def deliver_all(self, mail_from, rcpts, raw, users):
        """LMTP to each recipient in turn, each logged; None or an error."""
        for rcpt in rcpts:
            t0 = time.time()
            user = user_for(rcpt, users)
            err = lmtp_deliver(self.lmtp_port, mail_from,
                               lmtp_rcpt(user, rcpt), raw)
            if err:
                return err
            log_delivery(self.rig_dir, mail_from, rcpt, user, raw, t0)
        return None


def relay(args):
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
    warnings.simplefilter("ignore")  # plain-text AUTH on loopback is intended

    def authenticator(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        users = read_users(args.dir)
        login = auth_data.login.decode(errors="replace")
        ok = users.get(login) == auth_data.password.decode(errors="replace")
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    handler = RelayHandler(args.dir, args.lmtp_port)

    def factory():
        return SMTP(handler, hostname="rig.shop.example", auth_required=False,
                    auth_require_tls=False, authenticator=authenticator,
                    data_size_limit=64 << 20)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.smtp_port))
    sock.listen(128)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(factory, sock=sock))
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("READY %d" % args.smtp_port, flush=True)
    loop.run_until_complete(stop.wait())
    server.close()
    loop.run_until_complete(server.wait_closed())


def deliver(args):
    rc = 0
    lmtp = None
    for i, path in enumerate(args.files):
        if i > 0 and args.pace_ms > 0:
            time.sleep(args.pace_ms / 1000.0)
        with open(path, "rb") as f:
            raw = f.read()
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        sender = args.sender or from_address(raw)
        t0 = time.time()
        if lmtp is not None:
            # A reused connection the server may have closed meanwhile
            # (idle timeout, restart): NOOP first, nothing sent yet.
            try:
                alive = lmtp.noop()[0] == 250
            except (smtplib.SMTPException, OSError):
                alive = False
            if not alive:
                lmtp.close()
                lmtp = None
        if lmtp is None:
            try:
                lmtp = lmtp_connect(args.lmtp_port)
            except (smtplib.SMTPException, OSError) as e:
                print("deliver %s: LMTP: %s" % (path, e), file=sys.stderr)
                rc = 1
                continue
        err = lmtp_send(lmtp, sender, lmtp_rcpt(args.user, ""), raw)
        if err:
            print("deliver %s: %s" % (path, err), file=sys.stderr)
            rc = 1
            # The connection may be unusable: a new one for the next file.
            try:
                lmtp.close()
            except OSError:
                pass
            lmtp = None
            continue
        log_delivery(args.dir, sender, args.user + "@" + LOCAL_DOMAIN,
                     args.user, raw, t0)
    if lmtp is not None:
        try:
            lmtp.quit()
        except (smtplib.SMTPException, OSError):
            lmtp.close()
    return rc


def send(args):
    with open(args.file, "rb") as f:
        raw = f.read()
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    try:
        with smtplib.SMTP("127.0.0.1", args.port, timeout=60) as smtp:
            # TO may list several recipients, comma-separated.
            smtp.sendmail(args.mail_from,
                          [t.strip() for t in args.to.split(",") if t.strip()],
                          raw)
    except (smtplib.SMTPException, OSError) as e:
        print("send: %s" % e, file=sys.stderr)
        return 1
    return 0


def wait_port(port):
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return 0
        except OSError:
            time.sleep(0.05)
    print("port %d did not open" % port, file=sys.stderr)
    return 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("freeports")
    p.add_argument("n", type=int)
    p = sub.add_parser("relay")
    p.add_argument("--dir", required=True)
    p.add_argument("--smtp-port", type=int, required=True)
    p.add_argument("--lmtp-port", type=int, required=True)
    p = sub.add_parser("deliver")
    p.add_argument("--dir", required=True)
    p.add_argument("--lmtp-port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--sender", default="")
    p.add_argument("--pace-ms", type=int, default=0)
    p.add_argument("files", nargs="+")
    p = sub.add_parser("send")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--from", dest="mail_from", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("file")
    p = sub.add_parser("wait-port")
    p.add_argument("port", type=int)
    args = ap.parse_args()
    if args.cmd == "freeports":
        print("\n".join(str(p) for p in free_ports(args.n)))
        return 0
    if args.cmd == "relay":
        relay(args)
        return 0
    if args.cmd == "deliver":
        return deliver(args)
    if args.cmd == "send":
        return send(args)
    return wait_port(args.port)


if __name__ == "__main__":
    sys.exit(main())
