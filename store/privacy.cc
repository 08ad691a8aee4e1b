// privacy.cc: erasure requests and retention (issue 11 item 5, POLICY A3).
//
// Both blank personal data in place and keep every row, id and hash, so
// nothing references a missing row and the audit chain still verifies: the
// raw bytes of messages and outbox rows become empty (erased_at records
// when), tickets get a token for their customer and subject, and events
// lose their `personal` JSON (the one UPDATE the triggers allow; the chain
// hashes its digest, not the JSON). Each run is one transaction that ends
// with a tombstone event holding counts, never the address.
//
// An address is matched case-insensitively and as a whole address: the
// characters around it must not continue it, so forgetting
// anna@customer.example leaves joanna@customer.example alone.
//
// Freed bytes are overwritten (PRAGMA secure_delete for the transaction) and
// the WAL is checkpointed afterwards (best effort: a reader in another
// process can hold it), so the data leaves the database file, not only its
// rows. Backups and the IMAP mailboxes are out of reach: the command says so.
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/hash.h"
#include "core/text.h"
#include "store/internal.h"

namespace inboxd::store {

namespace {

using internal::Bytes;
using internal::Dump;
using internal::ToUnix;

// Longest address accepted (RFC 5321 section 4.5.3.1: 64 + 1 + 255).
constexpr size_t kMaxAddressChars = 320;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

// Whether `c` can be part of an address's local part (RFC 5322 atext, '.').
bool IsLocalChar(char c) {
  if (IsAlnum(c)) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) !=
         std::string_view::npos;
}

// Where the whole address `addr` (lower case) occurs in `s` at or after
// `from`, any case; npos when nowhere. A match preceded by a local-part
// character, or followed by a domain character (a letter, digit, '-', or
// '.' before one), is part of a longer address.
size_t FindAddress(std::string_view s, std::string_view addr, size_t from) {
  while (from < s.size()) {
    const size_t at = core::IFind(s.substr(from), addr);
    if (at == std::string_view::npos) return std::string_view::npos;
    const size_t pos = from + at;
    const size_t end = pos + addr.size();
    const bool before_ok = pos == 0 || !IsLocalChar(s[pos - 1]);
    bool after_ok = end >= s.size() || !(IsAlnum(s[end]) || s[end] == '-');
    if (after_ok && end < s.size() && s[end] == '.' && end + 1 < s.size() &&
        (IsAlnum(s[end + 1]) || s[end + 1] == '-')) {
      after_ok = false;
    }
    if (before_ok && after_ok) return pos;
    from = pos + 1;
  }
  return std::string_view::npos;
}

bool HoldsAddress(std::string_view s, std::string_view addr) {
  return FindAddress(s, addr, 0) != std::string_view::npos;
}

// `s` with every whole occurrence of `addr` replaced by `with`.
std::string ReplaceAddress(std::string_view s, std::string_view addr,
                           std::string_view with) {
  std::string out;
  size_t from = 0;
  for (size_t pos = FindAddress(s, addr, 0); pos != std::string_view::npos;
       pos = FindAddress(s, addr, from)) {
    out.append(s.substr(from, pos - from));
    out.append(with);
    from = pos + addr.size();
  }
  out.append(s.substr(from));
  return out;
}

// Ids as a JSON array, for `IN (SELECT value FROM json_each(?))`.
std::string IdsJson(const std::set<int64_t>& ids) {
  return Dump(nlohmann::json(std::vector<int64_t>(ids.begin(), ids.end())));
}

// Turns PRAGMA secure_delete on for a scope (freed cells and pages are
// overwritten with zeros), restoring the previous value.
class SecureDelete {
 public:
  explicit SecureDelete(SQLite::Database& db) : db_(db) {
    was_ = db_.execAndGet("PRAGMA secure_delete").getInt();
    db_.exec("PRAGMA secure_delete = ON");
  }
  ~SecureDelete() {
    try {
      db_.exec("PRAGMA secure_delete = " + std::to_string(was_));
    } catch (...) {
      // Only a performance setting: nothing to undo.
    }
  }
  SecureDelete(const SecureDelete&) = delete;
  SecureDelete& operator=(const SecureDelete&) = delete;

 private:
  SQLite::Database& db_;
  int was_ = 0;
};

// The rows one erasure touches.
struct Selection {
  std::set<int64_t> tickets;
  std::set<int64_t> messages;
  std::set<int64_t> outbox;
  std::set<int64_t> events;
};

// Events with personal data about `messages` or `tickets`.
void SelectEventsAbout(SQLite::Database& db, Selection& sel) {
  SQLite::Statement by_message(db,
                               "SELECT id FROM events WHERE message_row = ? "
                               "AND personal IS NOT NULL");
  for (int64_t m : sel.messages) {
    by_message.bind(1, m);
    while (by_message.executeStep()) {
      sel.events.insert(by_message.getColumn(0).getInt64());
    }
    by_message.reset();
  }
  SQLite::Statement by_ticket(db,
                              "SELECT id FROM events WHERE ticket_id = ? AND "
                              "personal IS NOT NULL");
  for (int64_t t : sel.tickets) {
    by_ticket.bind(1, t);
    while (by_ticket.executeStep()) {
      sel.events.insert(by_ticket.getColumn(0).getInt64());
    }
    by_ticket.reset();
  }
}

// Blanks the selected rows (inside the caller's transaction). `why` is the
// quarantine reason of a message that was still waiting for a decision.
void BlankSelected(SQLite::Database& db, const Selection& sel, int64_t now,
                   const std::string& why,
                   const std::function<int(SQLite::Statement&)>& exec) {
  SQLite::Statement message(
      db,
      "UPDATE messages SET raw = X'', erased_at = ?, quarantine_reason = CASE "
      "WHEN state = 'stored' THEN ? ELSE quarantine_reason END, state = CASE "
      "WHEN state = 'stored' THEN 'quarantined' ELSE state END WHERE id = ?");
  SQLite::Statement reasons(
      db, "UPDATE decisions SET reasons = '[]' WHERE message_row = ?");
  for (int64_t m : sel.messages) {
    message.bind(1, now);
    message.bind(2, why);
    message.bind(3, m);
    exec(message);
    message.reset();
    reasons.bind(1, m);
    exec(reasons);
    reasons.reset();
  }
  SQLite::Statement outbox(
      db,
      "UPDATE outbox SET raw = X'', erased_at = ?, last_error = CASE WHEN "
      "state IN ('queued', 'sending', 'deferred') THEN ? ELSE last_error END, "
      "state = CASE WHEN state IN ('queued', 'sending', 'deferred') THEN "
      "'failed' ELSE state END, updated_at = ? WHERE id = ?");
  for (int64_t o : sel.outbox) {
    outbox.bind(1, now);
    outbox.bind(2, why);
    outbox.bind(3, now);
    outbox.bind(4, o);
    exec(outbox);
    outbox.reset();
  }
  SQLite::Statement event(db, "UPDATE events SET personal = NULL WHERE id = ?");
  for (int64_t e : sel.events) {
    event.bind(1, e);
    exec(event);
    event.reset();
  }
}

}  // namespace

core::Result<ErasureReport> Store::ForgetAddress(const std::string& address,
                                                 const std::string& actor,
                                                 bool dry_run) {
  const std::string addr = core::AsciiLower(core::Trim(address));
  const std::string what = "forget address";
  if (addr.size() < 3 || addr.size() > kMaxAddressChars ||
      addr.find('@') == std::string::npos ||
      addr.find_first_of(std::string_view(" \t\r\n\0<>,;", 10)) !=
          std::string::npos) {
    return core::Fail(
        core::Error::InvalidArgument(what + ": '" + core::Printable(address) +
                                     "' is not one address (local@domain)"));
  }
  if (actor.empty()) {
    return core::Fail(core::Error::InvalidArgument(what + ": empty actor"));
  }
  ErasureReport report;
  report.dry_run = dry_run;
  report.address_sha256 = core::Sha256Hex(addr);
  report.token = "erased:" + report.address_sha256.substr(0, 12);

  auto body = [&]() -> core::Result<ErasureReport> {
    ErasureReport r = report;
    Selection sel;
    // The customer's tickets (customers are stored lower case).
    {
      SQLite::Statement st(*db_,
                           "SELECT id FROM tickets WHERE lower(customer) = ?");
      st.bind(1, addr);
      while (st.executeStep()) sel.tickets.insert(st.getColumn(0).getInt64());
    }
    // Their messages, and every other message that holds the address
    // (sender, recipient, quoted), not erased yet.
    {
      SQLite::Statement st(
          *db_,
          "SELECT m.id FROM ticket_messages tm JOIN messages m ON m.id = "
          "tm.message_row WHERE m.erased_at IS NULL AND tm.ticket_id IN "
          "(SELECT value FROM json_each(?))");
      const std::string tickets = IdsJson(sel.tickets);
      st.bind(1, tickets);
      while (st.executeStep()) sel.messages.insert(st.getColumn(0).getInt64());
      SQLite::Statement scan(
          *db_, "SELECT id, raw FROM messages WHERE erased_at IS NULL");
      while (scan.executeStep()) {
        const SQLite::Column raw = scan.getColumn(1);
        const std::string_view bytes(static_cast<const char*>(raw.getBlob()),
                                     static_cast<size_t>(raw.getBytes()));
        if (HoldsAddress(bytes, addr)) {
          sel.messages.insert(scan.getColumn(0).getInt64());
        }
      }
    }
    // Outbox rows to the address, about its tickets, or holding it.
    {
      SQLite::Statement st(
          *db_,
          "SELECT id FROM outbox WHERE erased_at IS NULL AND (ticket_id IN "
          "(SELECT value FROM json_each(?)) OR id IN (SELECT outbox_id FROM "
          "outbox_recipients WHERE lower(address_lower) = ?))");
      const std::string tickets = IdsJson(sel.tickets);
      st.bind(1, tickets);
      st.bind(2, addr);
      while (st.executeStep()) sel.outbox.insert(st.getColumn(0).getInt64());
      SQLite::Statement scan(
          *db_, "SELECT id, raw FROM outbox WHERE erased_at IS NULL");
      while (scan.executeStep()) {
        const SQLite::Column raw = scan.getColumn(1);
        const std::string_view bytes(static_cast<const char*>(raw.getBlob()),
                                     static_cast<size_t>(raw.getBytes()));
        if (HoldsAddress(bytes, addr)) {
          sel.outbox.insert(scan.getColumn(0).getInt64());
        }
      }
    }
    // Events that mention the address, or are about those tickets and
    // messages.
    {
      SQLite::Statement st(*db_,
                           "SELECT id, personal FROM events WHERE personal IS "
                           "NOT NULL AND instr(lower(personal), ?) > 0");
      st.bind(1, addr);
      while (st.executeStep()) {
        if (HoldsAddress(Bytes(st.getColumn(1)), addr)) {
          sel.events.insert(st.getColumn(0).getInt64());
        }
      }
      SelectEventsAbout(*db_, sel);
      SQLite::Statement actors(
          *db_, "SELECT count(*) FROM events WHERE lower(actor) = ?");
      actors.bind(1, addr);
      if (actors.executeStep()) r.actor_events = actors.getColumn(0).getInt64();
    }
    r.tickets = static_cast<int64_t>(sel.tickets.size());
    r.messages = static_cast<int64_t>(sel.messages.size());
    r.outbox = static_cast<int64_t>(sel.outbox.size());
    r.events = static_cast<int64_t>(sel.events.size());

    // Every other text column (any table but events) that holds the
    // address: replaced by the token. Counted the same way in a dry run.
    // Message-IDs stay, so a message refetched later is still known as
    // erased (dedupe by Message-ID + SHA-256) instead of stored anew.
    std::optional<SecureDelete> secure;
    if (!dry_run) secure.emplace(*db_);
    std::vector<std::string> tables;
    {
      SQLite::Statement st(*db_,
                           "SELECT name FROM sqlite_master WHERE type = "
                           "'table' AND name NOT LIKE 'sqlite_%' AND name != "
                           "'events' ORDER BY name");
      while (st.executeStep()) tables.push_back(st.getColumn(0).getString());
    }
    for (const std::string& table : tables) {
      std::vector<std::string> columns;
      {
        SQLite::Statement info(*db_, "PRAGMA table_info(\"" + table + "\")");
        while (info.executeStep()) {
          const std::string column = info.getColumn(1).getString();
          const std::string type =
              core::AsciiLower(info.getColumn(2).getString());
          if (type != "text") continue;
          if (table == "messages" && column == "message_id") continue;
          columns.push_back(column);
        }
      }
      for (const std::string& column : columns) {
        SQLite::Statement st(*db_, "SELECT rowid, \"" + column + "\" FROM \"" +
                                       table + "\" WHERE instr(lower(\"" +
                                       column + "\"), ?) > 0");
        st.bind(1, addr);
        std::vector<std::pair<int64_t, std::string>> changes;
        while (st.executeStep()) {
          const std::string value = Bytes(st.getColumn(1));
          std::string replaced = ReplaceAddress(value, addr, r.token);
          if (replaced != value) {
            changes.emplace_back(st.getColumn(0).getInt64(),
                                 std::move(replaced));
          }
        }
        r.fields += static_cast<int64_t>(changes.size());
        if (dry_run) continue;
        SQLite::Statement update(*db_, "UPDATE \"" + table + "\" SET \"" +
                                           column + "\" = ? WHERE rowid = ?");
        for (const auto& [rowid, value] : changes) {
          update.bind(1, value);
          update.bind(2, rowid);
          Exec(update);
          update.reset();
        }
      }
    }
    if (dry_run) return r;

    const int64_t now = ToUnix(clock_->Now());
    BlankSelected(*db_, sel, now, "erased on request",
                  [&](SQLite::Statement& st) { return Exec(st); });
    {
      SQLite::Statement ticket(
          *db_,
          "UPDATE tickets SET customer = ?, subject = ?, normalized_subject = "
          "?, erased_at = ? WHERE id = ?");
      for (int64_t t : sel.tickets) {
        ticket.bind(1, r.token);
        ticket.bind(2, r.token);
        ticket.bind(3, r.token);
        ticket.bind(4, now);
        ticket.bind(5, t);
        Exec(ticket);
        ticket.reset();
      }
      // Milestone evidence: the Message-ID of an erased message.
      SQLite::Statement evidence(
          *db_,
          "UPDATE milestones SET met_message_id = '' WHERE met_message_row = "
          "?");
      for (int64_t m : sel.messages) {
        evidence.bind(1, m);
        Exec(evidence);
        evidence.reset();
      }
    }
    r.tombstone_id =
        AppendEventLocked({.type = "privacy.forgotten",
                           .actor = actor,
                           .data = Dump({{"address_sha256", r.address_sha256},
                                         {"messages", r.messages},
                                         {"tickets", r.tickets},
                                         {"events", r.events},
                                         {"outbox", r.outbox},
                                         {"fields", r.fields}})});
    return r;
  };
  auto result =
      dry_run ? Read("forget address", body) : Write("forget address", body);
  if (result && !dry_run) CheckpointWalBestEffort();
  return result;
}

core::Result<ErasureReport> Store::PurgeOlderThan(core::TimePoint cutoff,
                                                  const std::string& actor,
                                                  bool dry_run) {
  if (actor.empty()) {
    return core::Fail(
        core::Error::InvalidArgument("retention purge: empty actor"));
  }
  auto body = [&]() -> core::Result<ErasureReport> {
    ErasureReport r;
    r.dry_run = dry_run;
    Selection sel;
    const int64_t before = ToUnix(cutoff);
    // Decided messages of closed tickets or of none; never the evidence of
    // a ticket that is not closed.
    {
      SQLite::Statement st(
          *db_,
          "SELECT m.id FROM messages m WHERE m.erased_at IS NULL AND "
          "m.arrived_at < ? AND m.state != 'stored' AND NOT EXISTS (SELECT 1 "
          "FROM ticket_messages tm JOIN tickets t ON t.id = tm.ticket_id "
          "WHERE tm.message_row = m.id AND t.state != 'closed') AND NOT "
          "EXISTS (SELECT 1 FROM milestones ms JOIN tickets t ON t.id = "
          "ms.ticket_id WHERE ms.met_message_row = m.id AND t.state != "
          "'closed')");
      st.bind(1, before);
      while (st.executeStep()) sel.messages.insert(st.getColumn(0).getInt64());
    }
    // Sent or failed outbox rows of closed tickets or of none.
    {
      SQLite::Statement st(
          *db_,
          "SELECT o.id FROM outbox o WHERE o.erased_at IS NULL AND "
          "o.created_at < ? AND o.state IN ('sent', 'failed') AND "
          "(o.ticket_id IS NULL OR EXISTS (SELECT 1 FROM tickets t WHERE "
          "t.id = o.ticket_id AND t.state = 'closed'))");
      st.bind(1, before);
      while (st.executeStep()) sel.outbox.insert(st.getColumn(0).getInt64());
    }
    SelectEventsAbout(*db_, sel);
    r.messages = static_cast<int64_t>(sel.messages.size());
    r.outbox = static_cast<int64_t>(sel.outbox.size());
    r.events = static_cast<int64_t>(sel.events.size());
    if (dry_run || (r.messages == 0 && r.outbox == 0 && r.events == 0)) {
      return r;
    }
    SecureDelete secure(*db_);
    BlankSelected(*db_, sel, ToUnix(clock_->Now()), "erased by retention",
                  [&](SQLite::Statement& st) { return Exec(st); });
    r.tombstone_id =
        AppendEventLocked({.type = "privacy.retention",
                           .actor = actor,
                           .data = Dump({{"cutoff", core::FormatUtc(cutoff)},
                                         {"messages", r.messages},
                                         {"events", r.events},
                                         {"outbox", r.outbox}})});
    return r;
  };
  auto result =
      dry_run ? Read("retention purge", body) : Write("retention purge", body);
  if (result && result->tombstone_id > 0) CheckpointWalBestEffort();
  return result;
}

void Store::CheckpointWalBestEffort() {
  std::lock_guard<std::mutex> lock(mu_);
  if (batch_owner_) return;  // inside a batch: its commit comes later
  try {
    db_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } catch (const SQLite::Exception&) {
    // Another process holds the WAL: its next checkpoint overwrites it.
  }
}

}  // namespace inboxd::store
