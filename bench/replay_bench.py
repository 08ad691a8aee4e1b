"""Times inboxd replay against Python's email package on the same mail.

Both sides read every file, parse it, decode the subject and the body text
and run the same regular expressions (the shipped classification rules). The
timed region excludes process start-up on both sides: inboxd reports its own
parse+classify time with `replay --stats`; Python is timed around its loop.
"""
import email
import email.policy
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import tomllib

inboxd, src, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
rules_path = os.path.join(os.path.dirname(__file__), "..", "classify", "default_rules.toml")

files = []
for root, _, names in os.walk(src):
    for n in sorted(names):
        if n.startswith(".") or n.endswith((".csv", ".md")):
            continue
        files.append(os.path.join(root, n))
files.sort()
blobs = [open(f, "rb").read() for f in files]
total_bytes = sum(len(b) for b in blobs) * copies
total_msgs = len(blobs) * copies

# One directory holding COPIES copies of every file.
work = tempfile.mkdtemp(prefix="inboxd-bench-")
for c in range(copies):
    for i, b in enumerate(blobs):
        with open(os.path.join(work, f"{c:03d}-{i:04d}.eml"), "wb") as f:
            f.write(b)

# --- inboxd
t0 = time.perf_counter()
proc = subprocess.run([inboxd, "replay", "--json", "--stats", work],
                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - t0
if proc.returncode != 0:
    sys.exit(f"inboxd replay failed ({proc.returncode}): {proc.stderr[-2000:]}")
m = re.search(r"stats: (\d+) messages, (\d+) bytes, ([0-9.]+) s", proc.stderr)
inner = float(m.group(3)) if m else wall
rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

# --- Python: email parser + the same regexes
rules = tomllib.load(open(rules_path, "rb")).get("rule", []) if os.path.exists(rules_path) else []
compiled = []
for r in rules:
    pat = r["pattern"]
    try:
        compiled.append((r.get("field", ""), re.compile(pat)))
    except re.error:
        pass  # an RE2-only construct; Python simply runs one rule less


def field_values(msg, text, field):
    if field.startswith("header:"):
        return [str(v) for v in (msg.get_all(field[7:]) or [])]
    if field == "subject":
        return [str(msg.get("subject", ""))]
    if field == "body":
        return [text[:65536]]
    if field in ("from", "from_local"):
        return [str(msg.get("from", ""))]
    if field == "content_type":
        return [msg.get_content_type()]
    if field == "any_header":
        return [f"{k}: {v}" for k, v in msg.items()]
    return []


def py_one(raw):
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
    except Exception:
        try:
            msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        except Exception:
            return 0
        text = ""
    hits = 0
    for field, rx in compiled:
        try:
            for v in field_values(msg, text, field):
                if rx.search(v):
                    hits += 1
        except Exception:
            pass
    return hits


t0 = time.perf_counter()
for c in range(copies):
    for b in blobs:
        py_one(b)
py = time.perf_counter() - t0

# Python's parser alone (no regexes), for a floor.
compiled_all = compiled
compiled = []
t0 = time.perf_counter()
for c in range(copies):
    for b in blobs:
        py_one(b)
py_parse = time.perf_counter() - t0
compiled = compiled_all

mb = total_bytes / 1e6
print(f"input: {len(blobs)} files x {copies} copies = {total_msgs} messages, {mb:.1f} MB ({src})")
print(f"rules: {len(rules)} shipped, {len(compiled)} compiled by Python re")
print(f"inboxd replay : {total_msgs/inner:10.0f} msgs/s {mb/inner:8.1f} MB/s  "
      f"(parse+classify {inner:.3f} s, wall {wall:.3f} s incl. JSON output, peak RSS {rss_kib/1024:.1f} MiB)")
print(f"python email  : {total_msgs/py:10.0f} msgs/s {mb/py:8.1f} MB/s  ({py:.3f} s)")
print(f"python parse  : {total_msgs/py_parse:10.0f} msgs/s {mb/py_parse:8.1f} MB/s  ({py_parse:.3f} s, email parser alone, no rules)")
print(f"ratio         : {py/inner:.1f}x faster than Python with the same regexes (goal >= 30x); "
      f"{py_parse/inner:.1f}x faster than Python's parser alone")
subprocess.run(["rm", "-rf", work])
