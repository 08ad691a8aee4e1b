// audit.cc: the append-only, hash-chained audit log (table events).
//
// Each event's hash is SHA-256(prev_hash || canonical row text), where the
// canonical text is every column but the hashes, each written as
// "<byte length>:<bytes>;" in column order (id, at, type, mailbox, ticket_id,
// message_row, actor, data), so no two different rows share a text. The first
// event's prev_hash is kGenesisHash. Triggers refuse UPDATE and DELETE; an
// edit made around them (dropping the triggers, or editing the file) breaks
// the chain at that row, and VerifyAuditChain names it. Truncating the tail
// is only visible against a published head (ChainHead::last_hash).
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
                      std::string_view actor, std::string_view data) {
  std::string text(prev_hash);
  Field(text, std::to_string(id));
  Field(text, std::to_string(at));
  Field(text, type);
  Field(text, mailbox);
  Field(text, OptionalId(ticket_id));
  Field(text, OptionalId(message_row));
  Field(text, actor);
  Field(text, data);
  return core::Sha256Hex(text);
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
    "hash";

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
  return e;
}

}  // namespace

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
  const std::string hash =
      ChainHash(prev_hash, id, at, in.type, in.mailbox, in.ticket_id,
                in.message_row, in.actor, in.data);
  SQLite::Statement insert(
      *db_,
      "INSERT INTO events (id, at, type, mailbox, ticket_id, message_row, "
      "actor, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, id);
  insert.bind(2, at);
  insert.bind(3, in.type);
  insert.bind(4, in.mailbox);
  BindOptionalId(insert, 5, in.ticket_id);
  BindOptionalId(insert, 6, in.message_row);
  insert.bind(7, in.actor);
  insert.bind(8, in.data);
  insert.bind(9, prev_hash);
  insert.bind(10, hash);
  Exec(insert);
  return id;
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

core::Result<std::vector<Event>> Store::ListEvents(const EventFilter& filter) {
  return Read("audit list", [&]() -> core::Result<std::vector<Event>> {
    std::string sql =
        std::string("SELECT ") + kEventColumns + " FROM events WHERE 1 = 1";
    if (filter.since) sql += " AND at >= :since";
    if (filter.until) sql += " AND at < :until";
    if (filter.ticket_id > 0) sql += " AND ticket_id = :ticket";
    if (filter.message_row > 0) sql += " AND message_row = :message";
    if (!filter.type.empty()) sql += " AND type = :type";
    sql += " ORDER BY id LIMIT :limit";
    SQLite::Statement st(*db_, sql);
    if (filter.since) st.bind(":since", internal::ToUnix(*filter.since));
    if (filter.until) st.bind(":until", internal::ToUnix(*filter.until));
    if (filter.ticket_id > 0) st.bind(":ticket", filter.ticket_id);
    if (filter.message_row > 0) st.bind(":message", filter.message_row);
    if (!filter.type.empty()) st.bind(":type", filter.type);
    st.bind(":limit", filter.limit > 0 ? filter.limit : -1);
    std::vector<Event> out;
    while (st.executeStep()) out.push_back(ReadEvent(st));
    return out;
  });
}

core::Result<ChainHead> Store::VerifyAuditChain() {
  return Read("audit verify", [&]() -> core::Result<ChainHead> {
    SQLite::Statement st(*db_, std::string("SELECT ") + kEventColumns +
                                   " FROM events ORDER BY id");
    ChainHead head;
    head.last_hash = std::string(kGenesisHash);
    while (st.executeStep()) {
      const Event e = ReadEvent(st);
      if (e.prev_hash != head.last_hash) {
        return core::Fail(core::Error::DataLoss(
            "audit chain broken at event " + std::to_string(e.id) +
            ": prev_hash does not match the hash of the event before it "
            "(an event was removed or inserted)"));
      }
      const std::string want =
          ChainHash(e.prev_hash, e.id, internal::ToUnix(e.at), e.type,
                    e.mailbox, e.ticket_id, e.message_row, e.actor, e.data);
      if (want != e.hash) {
        return core::Fail(core::Error::DataLoss(
            "audit chain broken at event " + std::to_string(e.id) +
            ": its content does not match its hash (the row was edited)"));
      }
      ++head.count;
      head.last_id = e.id;
      head.last_hash = e.hash;
    }
    return head;
  });
}

}  // namespace inboxd::store
