// audit.cc: the append-only, hash-chained audit log (table events).
//
// Each event's hash is SHA-256(prev_hash || canonical row text), where the
// canonical text is every column but the hashes, each written as
// "<byte length>:<bytes>;" in column order (id, at, type, mailbox, ticket_id,
// message_row, actor, data), so no two different rows share a text; an
// event with personal data (schema v8) appends its personal_digest, the
// SHA-256 of the personal JSON as written, so that JSON can be erased (set
// NULL) without breaking the chain, while an edit of it is still found.
// The first event's prev_hash is kGenesisHash. Triggers refuse UPDATE
// (except erasing `personal`) and DELETE; an edit made around them
// (dropping the triggers, or editing the file) breaks the chain at that
// row, and VerifyAuditChain names it. Truncating the tail is only visible
// against a published head (VerifyAuditChain(head)).
#include <algorithm>
#include <set>
#include <string>

#include "core/hash.h"
#include "store/internal.h"

namespace inboxd::store {

namespace {

void Field(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out.append(v);
  out += ';';
}

std::string OptionalId(int64_t id) {
  return id > 0 ? std::to_string(id) : std::string();
}

std::string ChainHash(std::string_view prev_hash, int64_t id, int64_t at,
                      std::string_view type, std::string_view mailbox,
                      int64_t ticket_id, int64_t message_row,
                      std::string_view actor, std::string_view data,
                      std::string_view personal_digest) {
  std::string text(prev_hash);
  Field(text, std::to_string(id));
  Field(text, std::to_string(at));
  Field(text, type);
  Field(text, mailbox);
  Field(text, OptionalId(ticket_id));
  Field(text, OptionalId(message_row));
  Field(text, actor);
  Field(text, data);
  // Events without personal data hash as before schema v8.
  if (!personal_digest.empty()) Field(text, personal_digest);
  return core::Sha256Hex(text);
}

// Keys whose values are personal data wherever they appear.
// (Addresses need no key: every string with an '@' is personal.)
bool IsPersonalKey(std::string_view key) {
  static const std::set<std::string, std::less<>> kKeys = {
      "subject",  "original_subject",
      "customer", "customer_name",
      "name",     "text",
      "body",     "reasons",
      "detail"};
  return kKeys.contains(key);
}

// True when `v` holds a string with an '@' (an address, a Message-ID).
bool HoldsAt(const nlohmann::json& v) {
  if (v.is_string()) {
    return v.get_ref<const std::string&>().find('@') != std::string::npos;
  }
  if (v.is_array() || v.is_object()) {
    for (const auto& e : v) {
      if (HoldsAt(e)) return true;
    }
  }
  return false;
}

int64_t OptionalColumn(const SQLite::Column& c) {
  return c.isNull() ? 0 : c.getInt64();
}

void BindOptionalId(SQLite::Statement& st, int index, int64_t id) {
  if (id > 0) {
    st.bind(index, id);
  } else {
    st.bind(index);
  }
}

constexpr char kEventColumns[] =
    "id, at, type, mailbox, ticket_id, message_row, actor, data, prev_hash, "
    "hash, personal, personal_digest";

Event ReadEvent(const SQLite::Statement& st) {
  Event e;
  e.id = st.getColumn(0).getInt64();
  e.at = internal::FromUnix(st.getColumn(1).getInt64());
  e.type = internal::Bytes(st.getColumn(2));
  e.mailbox = internal::Bytes(st.getColumn(3));
  e.ticket_id = OptionalColumn(st.getColumn(4));
  e.message_row = OptionalColumn(st.getColumn(5));
  e.actor = internal::Bytes(st.getColumn(6));
  e.data = internal::Bytes(st.getColumn(7));
  e.prev_hash = internal::Bytes(st.getColumn(8));
  e.hash = internal::Bytes(st.getColumn(9));
  e.personal = internal::Bytes(st.getColumn(10));
  e.personal_digest = internal::Bytes(st.getColumn(11));
  return e;
}

}  // namespace

std::pair<std::string, std::string> SplitPersonal(std::string_view data) {
  nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {std::string(data), ""};
  nlohmann::json personal = nlohmann::json::object();
  for (auto it = j.begin(); it != j.end();) {
    if (IsPersonalKey(it.key()) || HoldsAt(it.value())) {
      personal[it.key()] = std::move(it.value());
      it = j.erase(it);
    } else {
      ++it;
    }
  }
  if (personal.empty()) return {std::string(data), ""};
  return {internal::Dump(j), internal::Dump(personal)};
}

std::string Event::FullData() const {
  nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
  if (!j.is_object()) return data;
  if (!personal.empty()) {
    nlohmann::json p = nlohmann::json::parse(personal, nullptr, false);
    if (p.is_object()) {
      for (auto& [k, v] : p.items()) j[k] = v;
    }
  }
  return internal::Dump(j);
}

int64_t Store::AppendEventLocked(const EventIn& in) {
  int64_t last_id = 0;
  std::string prev_hash(kGenesisHash);
  {
    SQLite::Statement last(*db_,
                           "SELECT id, hash FROM events ORDER BY id DESC "
                           "LIMIT 1");
    if (last.executeStep()) {
      last_id = last.getColumn(0).getInt64();
      prev_hash = internal::Bytes(last.getColumn(1));
    }
  }
  const int64_t id = last_id + 1;
  const int64_t at = internal::ToUnix(clock_->Now());
  const auto [data, personal] = SplitPersonal(in.data);
  const std::string digest =
      personal.empty() ? std::string() : core::Sha256Hex(personal);
  const std::string hash =
      ChainHash(prev_hash, id, at, in.type, in.mailbox, in.ticket_id,
                in.message_row, in.actor, data, digest);
  // Without personal data the row is as before schema v8 (the migrations'
  // own events are written before the v8 columns exist).
  SQLite::Statement insert(
      *db_, personal.empty()
                ? "INSERT INTO events (id, at, type, mailbox, ticket_id, "
                  "message_row, actor, data, prev_hash, hash) VALUES (?, ?, "
                  "?, ?, ?, ?, ?, ?, ?, ?)"
                : "INSERT INTO events (id, at, type, mailbox, ticket_id, "
                  "message_row, actor, data, prev_hash, hash, personal, "
                  "personal_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                  "?)");
  insert.bind(1, id);
  insert.bind(2, at);
  insert.bind(3, in.type);
  insert.bind(4, in.mailbox);
  BindOptionalId(insert, 5, in.ticket_id);
  BindOptionalId(insert, 6, in.message_row);
  insert.bind(7, in.actor);
  insert.bind(8, data);
  insert.bind(9, prev_hash);
  insert.bind(10, hash);
  if (!personal.empty()) {
    insert.bind(11, personal);
    insert.bind(12, digest);
  }
  Exec(insert);
  return id;
}

core::Status Store::ProbeWrite() {
  auto r = Write("probe write", [&]() -> core::Result<bool> { return true; });
  if (!r) return core::Fail(r.error());
  return core::Ok();
}

core::Result<int64_t> Store::LastEventId() {
  return Read("last event id", [&]() -> core::Result<int64_t> {
    SQLite::Statement q(*db_, "SELECT COALESCE(MAX(id), 0) FROM events");
    q.executeStep();
    return q.getColumn(0).getInt64();
  });
}

core::Result<int64_t> Store::AppendEvent(const EventIn& in) {
  if (in.type.empty()) {
    return core::Fail(core::Error::InvalidArgument("audit event: empty type"));
  }
  if (in.actor.empty()) {
    return core::Fail(core::Error::InvalidArgument("audit event " + in.type +
                                                   ": empty actor"));
  }
  nlohmann::json data = nlohmann::json::parse(in.data, nullptr, false);
  if (data.is_discarded() || !data.is_object()) {
    return core::Fail(core::Error::InvalidArgument(
        "audit event " + in.type + ": data is not a JSON object"));
  }
  return Write("audit append", [&]() -> core::Result<int64_t> {
    return AppendEventLocked(in);
  });
}

namespace {

// The SELECT for `filter` (ids above `after_id`, at most `limit` rows when
// > 0) and its bindings.
struct EventQuery {
  std::string sql;
  void Bind(SQLite::Statement& st, const EventFilter& filter, int64_t after_id,
            int limit) const {
    if (filter.since) st.bind(":since", internal::ToUnix(*filter.since));
    if (filter.until) st.bind(":until", internal::ToUnix(*filter.until));
    if (filter.ticket_id > 0) st.bind(":ticket", filter.ticket_id);
    if (filter.message_row > 0) st.bind(":message", filter.message_row);
    if (!filter.type.empty()) st.bind(":type", filter.type);
    if (!filter.mailbox.empty()) st.bind(":mailbox", filter.mailbox);
    st.bind(":after", after_id);
    st.bind(":limit", limit > 0 ? limit : -1);
  }
};

EventQuery MakeEventQuery(const EventFilter& filter) {
  std::string sql =
      std::string("SELECT ") + kEventColumns + " FROM events WHERE id > :after";
  if (filter.since) sql += " AND at >= :since";
  if (filter.until) sql += " AND at < :until";
  if (filter.ticket_id > 0) sql += " AND ticket_id = :ticket";
  if (filter.message_row > 0) sql += " AND message_row = :message";
  if (!filter.type.empty()) sql += " AND type = :type";
  if (!filter.mailbox.empty()) sql += " AND mailbox = :mailbox";
  sql += " ORDER BY id LIMIT :limit";
  return {std::move(sql)};
}

}  // namespace

core::Result<std::vector<Event>> Store::ListEvents(const EventFilter& filter) {
  return Read("audit list", [&]() -> core::Result<std::vector<Event>> {
    const EventQuery q = MakeEventQuery(filter);
    SQLite::Statement st(*db_, q.sql);
    q.Bind(st, filter, filter.after_id, filter.limit);
    std::vector<Event> out;
    while (st.executeStep()) out.push_back(ReadEvent(st));
    return out;
  });
}

core::Status Store::ScanEvents(const EventFilter& filter,
                               const std::function<bool(const Event&)>& fn) {
  const EventQuery q = MakeEventQuery(filter);
  int64_t after = filter.after_id;
  int64_t left = filter.limit > 0 ? filter.limit : -1;
  while (left != 0) {
    const int page =
        left < 0 ? kEventScanPage
                 : static_cast<int>(std::min<int64_t>(left, kEventScanPage));
    auto rows = Read("audit scan", [&]() -> core::Result<std::vector<Event>> {
      SQLite::Statement st(*db_, q.sql);
      q.Bind(st, filter, after, page);
      std::vector<Event> out;
      out.reserve(static_cast<size_t>(page));
      while (st.executeStep()) out.push_back(ReadEvent(st));
      return out;
    });
    if (!rows) return core::Fail(rows.error());
    for (const Event& e : *rows) {
      if (!fn(e)) return core::Ok();
    }
    if (static_cast<int>(rows->size()) < page) break;
    after = rows->back().id;
    if (left > 0) left -= static_cast<int64_t>(rows->size());
  }
  return core::Ok();
}

core::Result<ChainHead> Store::VerifyAuditChain(std::string_view expected) {
  return Read("audit verify", [&]() -> core::Result<ChainHead> {
    SQLite::Statement st(*db_, std::string("SELECT ") + kEventColumns +
                                   " FROM events ORDER BY id");
    ChainHead head;
    head.last_hash = std::string(kGenesisHash);
    while (st.executeStep()) {
      const Event e = ReadEvent(st);
      if (!e.personal.empty() &&
          core::Sha256Hex(e.personal) != e.personal_digest) {
        return core::Fail(core::Error::DataLoss(
            "audit chain broken at event " + std::to_string(e.id) +
            ": its personal data does not match its digest (it was "
            "edited)"));
      }
      if (e.personal_erased()) ++head.erased;
      if (e.prev_hash != head.last_hash) {
        return core::Fail(core::Error::DataLoss(
            "audit chain broken at event " + std::to_string(e.id) +
            ": prev_hash does not match the hash of the event before it "
            "(an event was removed or inserted)"));
      }
      const std::string want = ChainHash(
          e.prev_hash, e.id, internal::ToUnix(e.at), e.type, e.mailbox,
          e.ticket_id, e.message_row, e.actor, e.data, e.personal_digest);
      if (want != e.hash) {
        return core::Fail(core::Error::DataLoss(
            "audit chain broken at event " + std::to_string(e.id) +
            ": its content does not match its hash (the row was edited)"));
      }
      ++head.count;
      head.last_id = e.id;
      head.last_hash = e.hash;
      if (!expected.empty() && e.hash == expected) head.head_id = e.id;
    }
    return head;
  });
}

}  // namespace inboxd::store
