#include "ingest/imap_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <utility>

#include "core/text.h"
#include "ingest/header_block.h"
#include "ingest/sync_engine.h"

namespace inboxd::ingest {
namespace {

using core::Error;
using core::Fail;
using core::Result;
using Steady = std::chrono::steady_clock;

// Most UIDs per UID FETCH of sizes (keeps each command line short).
constexpr size_t kSizesPerCommand = 1000;

// The attributes of one message, merged over every FETCH response for its
// sequence number within one command.
struct FetchItem {
  std::optional<uint32_t> uid;
  std::optional<core::TimePoint> internal_date;
  std::optional<uint64_t> size;
  std::optional<std::string> body;  // the requested section, when present
};

// Parses "* n FETCH (name value ...)" into `item`. `section` is the body
// attribute name wanted ("BODY[]" or "BODY[HEADER]").
core::Status MergeFetch(ImapResponse& r, std::string_view section,
                        FetchItem* item) {
  if (r.values.size() != 1 || r.values[0].kind != ImapValue::Kind::kList ||
      r.values[0].list.size() % 2 != 0) {
    return Fail(Error::Unavailable("imap protocol error: malformed FETCH"));
  }
  auto& kv = r.values[0].list;
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    ImapValue& name = kv[i];
    ImapValue& value = kv[i + 1];
    if (name.IsAtom("UID")) {
      item->uid = value.AsNumber();
      if (!item->uid) {
        return Fail(Error::Unavailable("imap protocol error: bad UID"));
      }
    } else if (name.IsAtom("RFC822.SIZE")) {
      auto n = value.AsNumber();
      if (!n) {
        return Fail(Error::Unavailable("imap protocol error: bad RFC822.SIZE"));
      }
      item->size = *n;
    } else if (name.IsAtom("INTERNALDATE")) {
      auto t = ParseInternalDate(value.text);
      if (!t) return Fail(t.error());
      item->internal_date = *t;
    } else if (name.IsAtom(section)) {
      if (value.kind == ImapValue::Kind::kString) {
        item->body = std::move(value.text);
      } else if (value.kind == ImapValue::Kind::kNil) {
        item->body = std::string();
      } else {
        return Fail(Error::Unavailable("imap protocol error: bad body value"));
      }
    }
  }
  return core::Ok();
}

// The FLAGS and MODSEQ seen for one UID over the FETCH responses of a
// command.
struct FlagsItem {
  std::optional<std::vector<std::string>> flags;
  uint64_t modseq = 0;
};

// Merges "* n FETCH (UID u FLAGS (...) MODSEQ (m))" into `items` by UID. A
// response without UID is an unsolicited update by sequence number only and
// is ignored (every response to a UID FETCH carries the UID, RFC 3501
// 6.4.8, and numbers may shift under a UID command's EXPUNGE responses).
core::Status MergeFlagsFetch(const ImapResponse& r,
                             std::map<uint32_t, FlagsItem>* items) {
  if (r.values.size() != 1 || r.values[0].kind != ImapValue::Kind::kList ||
      r.values[0].list.size() % 2 != 0) {
    return Fail(Error::Unavailable("imap protocol error: malformed FETCH"));
  }
  const auto& kv = r.values[0].list;
  std::optional<uint32_t> uid;
  std::optional<std::vector<std::string>> flags;
  uint64_t modseq = 0;
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    const ImapValue& name = kv[i];
    const ImapValue& value = kv[i + 1];
    if (name.IsAtom("UID")) {
      uid = value.AsNumber();
      if (!uid) return Fail(Error::Unavailable("imap protocol error: bad UID"));
    } else if (name.IsAtom("FLAGS")) {
      if (value.kind != ImapValue::Kind::kList) {
        return Fail(Error::Unavailable("imap protocol error: bad FLAGS"));
      }
      flags.emplace();
      for (const auto& f : value.list) {
        if (f.kind != ImapValue::Kind::kAtom) {
          return Fail(Error::Unavailable("imap protocol error: bad flag"));
        }
        // \Recent belongs to the session, not the message (RFC 3501 2.3.2).
        if (f.IsAtom("\\Recent")) continue;
        flags->push_back(f.text);
      }
    } else if (name.IsAtom("MODSEQ")) {
      auto m = ParseModSeq(value);
      if (!m) return Fail(m.error());
      modseq = *m;
    }
  }
  if (!uid) return core::Ok();
  FlagsItem& item = (*items)[*uid];
  if (flags) item.flags = std::move(flags);
  item.modseq = std::max(item.modseq, modseq);
  return core::Ok();
}

// Collects FETCH responses by sequence number.
Result<std::map<uint32_t, FetchItem>> CollectFetches(
    std::vector<ImapResponse>& untagged, std::string_view section) {
  std::map<uint32_t, FetchItem> items;
  for (auto& r : untagged) {
    if (r.name != "FETCH" || !r.number) continue;
    auto st = MergeFetch(r, section, &items[*r.number]);
    if (!st) return Fail(st.error());
  }
  return items;
}

// The UIDs of "* SEARCH n ..." and "* ESEARCH (TAG "x") UID ALL set"
// responses, unsorted.
Result<std::vector<uint32_t>> CollectSearchUids(
    const std::vector<ImapResponse>& untagged) {
  std::vector<uint32_t> uids;
  for (const auto& resp : untagged) {
    if (resp.name == "SEARCH") {
      for (const auto& v : resp.values) {
        auto n = v.AsNumber();
        if (!n) {
          return Fail(Error::Unavailable("imap protocol error: bad SEARCH"));
        }
        uids.push_back(*n);
      }
    } else if (resp.name == "ESEARCH") {
      // * ESEARCH (TAG "x") UID ALL 3:5,9   (RFC 4731; ALL absent = none)
      for (size_t i = 0; i + 1 < resp.values.size(); ++i) {
        if (!resp.values[i].IsAtom("ALL")) continue;
        auto set = ExpandSequenceSet(resp.values[i + 1].text);
        if (!set) return Fail(set.error());
        uids.insert(uids.end(), set->begin(), set->end());
      }
    }
  }
  return uids;
}

// True when a Message-ID field of `header` normalises to `id`.
bool HeaderHasMessageId(std::string_view header, std::string_view id) {
  HeaderBlock hb = ParseHeaderBlock(header, header.size() + 1);
  for (const auto& f : hb.fields) {
    if (core::IEquals(f.name, "Message-ID") &&
        NormalizeMessageId(f.value) == id) {
      return true;
    }
  }
  return false;
}

std::string RandomTagPrefix() {
  static constexpr char kAlphabet[] = "BCDFGHJKLMNPQRSTVWXZ";
  std::random_device rd;
  std::string p;
  for (int i = 0; i < 4; ++i) p.push_back(kAlphabet[rd() % 20]);
  return p;
}

bool IsFlagAtom(std::string_view f) {
  if (f.empty()) return false;
  for (char c : f) {
    if (c <= ' ' || c == '(' || c == ')' || c == '{' || c == '"' || c == '%' ||
        c == '*' || c == ']' || c == 0x7f) {
      return false;
    }
  }
  return true;
}

}  // namespace

ImapSource::ImapSource(ImapConnector connect, ImapSourceOptions options)
    : connect_(std::move(connect)), options_(std::move(options)) {}

ImapSource::~ImapSource() { Close(); }

std::string ImapSource::Context(std::string_view op,
                                const std::string& folder) const {
  std::string c = "imap " + std::string(op) + " " + options_.mailbox;
  if (!folder.empty()) c += "/" + core::Printable(folder);
  return c;
}

void ImapSource::Drop() {
  reader_.reset();
  transport_.reset();
  open_folder_.clear();
  idle_tag_.clear();
}

void ImapSource::Close() {
  if (transport_ == nullptr) return;
  // An IDLE is ended in the same write (the server answers DONE first).
  std::string line = idle_tag_.empty() ? "" : "DONE\r\n";
  line += tag_prefix_ + std::to_string(next_tag_++) + " LOGOUT\r\n";
  const int responses = idle_tag_.empty() ? 2 : 3;
  if (transport_->Send(line)) {
    // Best effort: wait briefly for the BYE and the tagged OK(s).
    for (int i = 0; i < responses && reader_ != nullptr; ++i) {
      auto r = reader_->Read(std::chrono::milliseconds(200));
      if (!r || !r->has_value()) break;
    }
  }
  Drop();
}

core::Status ImapSource::EnsureConnected() {
  if (transport_ != nullptr) return core::Ok();
  auto t = connect_();
  if (!t) return Fail(t.error());
  transport_ = std::move(*t);
  reader_ = std::make_unique<ImapReader>(transport_.get(), options_.limits);
  ++connects_;
  open_folder_.clear();
  tag_prefix_ = RandomTagPrefix();
  capabilities_.clear();
  auto reply = Run("CAPABILITY");
  if (!reply) return Fail(reply.error().Wrap(Context("capability", "")));
  for (const auto& r : reply->untagged) {
    if (r.name != "CAPABILITY") continue;
    for (const auto& v : r.values) {
      std::string cap = v.text;
      for (char& c : cap) c = static_cast<char>(std::toupper(c));
      capabilities_.insert(cap);
    }
  }
  if (!watched_.empty()) {
    // NOTIFY lasts as long as the connection: set it again, and count every
    // watched folder as changed (news may have come while disconnected).
    if (!capabilities_.contains("NOTIFY")) {
      return Fail(Error::Unavailable("the server no longer offers NOTIFY")
                      .Wrap(Context("notify", "")));
    }
    if (auto st = SetNotify(false); !st) {
      return Fail(st.error().Wrap(Context("notify", "")));
    }
    changed_.insert(watched_.begin(), watched_.end());
  }
  return core::Ok();
}

Result<ImapResponse> ImapSource::ReadOne(std::chrono::milliseconds timeout) {
  auto raw = reader_->Read(timeout);
  if (!raw) {
    Drop();
    return Fail(raw.error());
  }
  if (!raw->has_value()) {
    Drop();
    return Fail(Error::Unavailable(
        "no response from server for " +
        std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
        "s"));
  }
  auto r = ParseImapResponse(**raw);
  if (!r) {
    Drop();
    return Fail(r.error());
  }
  return r;
}

void ImapSource::NoteUntagged(const ImapResponse& r) {
  // RFC 5465: a watched folder that is not selected reports new or expunged
  // mail as "* STATUS <folder> (MESSAGES n UIDNEXT m)"; it is news when
  // either differs from the folder's last EXAMINE.
  if (r.name == "STATUS" && r.values.size() >= 2 &&
      r.values[0].text != open_folder_ && IsWatched(r.values[0].text)) {
    const std::string& name = r.values[0].text;
    std::optional<uint32_t> messages, uid_next;
    const auto& items = r.values[1].list;
    for (size_t i = 0; i + 1 < items.size(); i += 2) {
      if (items[i].IsAtom("MESSAGES")) messages = items[i + 1].AsNumber();
      if (items[i].IsAtom("UIDNEXT")) uid_next = items[i + 1].AsNumber();
    }
    auto it = seen_.find(name);
    const bool same = it != seen_.end() && messages && uid_next &&
                      *messages == it->second.exists &&
                      *uid_next == it->second.uid_next;
    if (!same && !changed_.contains(name)) {
      spdlog::debug("{}: * STATUS", Context("new mail", name));
    }
    if (!same) changed_.insert(name);
    return;
  }
  if (open_folder_.empty() || !r.number) return;
  if (r.name == "EXISTS") {
    if (*r.number > open_exists_ && !changed_.contains(open_folder_)) {
      // The moment the server told us of new mail (bench/latency measures
      // inboxd's own share of the acknowledgement latency from this line).
      spdlog::debug("{}: * {} EXISTS", Context("new mail", open_folder_),
                    *r.number);
    }
    if (*r.number > open_exists_) changed_.insert(open_folder_);
    open_exists_ = *r.number;
  } else if (r.name == "EXPUNGE" && open_exists_ > 0) {
    --open_exists_;
  }
}

bool ImapSource::IsWatched(const std::string& folder) const {
  return std::find(watched_.begin(), watched_.end(), folder) != watched_.end();
}

bool ImapSource::WatchedChanged(const std::string& folder) const {
  if (changed_.contains(folder)) return true;
  for (const auto& f : watched_) {
    if (changed_.contains(f)) return true;
  }
  return false;
}

core::Status ImapSource::SetNotify(bool status) {
  std::string list;
  for (const auto& f : watched_) {
    auto quoted = QuoteImapString(f);
    if (!quoted) return Fail(quoted.error());
    if (!list.empty()) list += ' ';
    list += *quoted;
  }
  auto reply = Run(std::string("NOTIFY SET ") + (status ? "STATUS " : "") +
                   "(SELECTED (MessageNew MessageExpunge)) (MAILBOXES (" +
                   list + ") (MessageNew MessageExpunge))");
  if (!reply) return Fail(reply.error());
  return core::Ok();
}

Result<bool> ImapSource::WatchFolders(std::span<const std::string> folders) {
  auto ctx = [&] { return Context("notify", ""); };
  if (auto st = EnsureConnected(); !st) return Fail(st.error().Wrap(ctx()));
  if (!capabilities_.contains("NOTIFY") || !capabilities_.contains("IDLE")) {
    watched_.clear();
    return false;
  }
  watched_.assign(folders.begin(), folders.end());
  if (auto st = SetNotify(false); !st) {
    watched_.clear();
    // Refused (NO/BAD: e.g. too many mailboxes): one connection per folder.
    if (transport_ != nullptr) {
      spdlog::warn("{}: {}; watching each folder on its own connection", ctx(),
                   st.error().message);
      return false;
    }
    return Fail(st.error().Wrap(ctx()));
  }
  return true;
}

Result<ImapSource::Reply> ImapSource::Run(
    std::string_view command, std::optional<std::string_view> literal) {
  if (!idle_tag_.empty()) {
    if (auto st = StopIdle(); !st) return Fail(st.error());
  }
  if (auto st = EnsureConnected(); !st) return Fail(st.error());
  const std::string tag = tag_prefix_ + std::to_string(next_tag_++);
  std::string line = tag + " " + std::string(command) + "\r\n";
  const bool sync_literal = literal && !command.ends_with("+}");
  if (literal && !sync_literal) {
    line.append(*literal);
    line += "\r\n";
  }
  if (auto st = transport_->Send(line); !st) {
    Drop();
    return Fail(st.error());
  }
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      options_.io_timeout);
  Reply reply;
  bool literal_sent = !sync_literal;
  std::string bye;
  while (true) {
    auto r = ReadOne(timeout);
    if (!r) {
      Error e = r.error();
      if (!bye.empty()) e.message += " (server said BYE: " + bye + ")";
      return Fail(e);
    }
    if (r->type == ImapResponse::Type::kContinuation) {
      if (literal_sent) {
        Drop();
        return Fail(Error::Unavailable("imap protocol error: unexpected '+'"));
      }
      if (auto st = transport_->Send(std::string(*literal) + "\r\n"); !st) {
        Drop();
        return Fail(st.error());
      }
      literal_sent = true;
      continue;
    }
    if (r->type == ImapResponse::Type::kUntagged) {
      if (r->status == "BYE") bye = core::Printable(r->text);
      NoteUntagged(*r);
      reply.untagged.push_back(std::move(*r));
      continue;
    }
    if (r->tag != tag) {
      Drop();
      return Fail(Error::Unavailable("imap protocol error: unexpected tag " +
                                     core::Printable(r->tag)));
    }
    reply.tagged = std::move(*r);
    break;
  }
  const ImapResponse& t = reply.tagged;
  if (t.status == "OK") return reply;
  std::string why = core::Printable(command.substr(0, command.find(' '))) +
                    " failed: " + t.status + " " +
                    (t.code.empty() ? "" : "[" + t.code + "] ") +
                    core::Printable(t.text);
  if (t.status == "NO") {
    if (t.code == "NONEXISTENT" || t.code == "TRYCREATE") {
      return Fail(Error::NotFound(why));
    }
    if (t.code == "AUTHENTICATIONFAILED" || t.code == "AUTHORIZATIONFAILED" ||
        t.code == "EXPIRED") {
      return Fail(Error::PermissionDenied(why));
    }
    return Fail(Error::Unavailable(why));
  }
  return Fail(Error::Internal(why));  // BAD: we sent something it rejects
}

Result<FolderState> ImapSource::Open(const std::string& folder, bool verify,
                                     bool condstore) {
  if (transport_ != nullptr && open_folder_ == folder) {
    FolderState s;
    s.uid_validity = uid_validity_[folder];
    s.exists = open_exists_;
    return s;
  }
  auto quoted = QuoteImapString(folder);
  if (!quoted) return Fail(quoted.error());
  open_folder_.clear();
  auto reply = Run("EXAMINE " + *quoted + (condstore ? " (CONDSTORE)" : ""));
  if (!reply) {
    // Dovecot 2.3 answers a missing folder with a plain NO (no
    // [NONEXISTENT]); while the connection stands, LIST tells the two apart.
    if (reply.error().code == core::Code::kUnavailable &&
        transport_ != nullptr) {
      auto listed = Listed(folder);
      if (listed && !*listed)
        return Fail(Error::NotFound(reply.error().message));
    }
    return Fail(reply.error());
  }
  FolderState s;
  uint64_t highest_modseq = 0;
  bool nomodseq = false;
  for (const auto& r : reply->untagged) {
    if (r.status == "OK" && r.code == "HIGHESTMODSEQ") {
      // RFC 7162 3.1.2.1; sent once CONDSTORE is enabled on the session.
      auto m = ParseModSeq(r.code_args);
      if (!m) return Fail(m.error());
      highest_modseq = *m;
    } else if (r.status == "OK" && r.code == "NOMODSEQ") {
      nomodseq = true;  // RFC 7162 3.1.2.2: no mod-sequences here
    } else if (r.status == "OK" &&
               (r.code == "UIDVALIDITY" || r.code == "UIDNEXT")) {
      ImapValue v{ImapValue::Kind::kAtom, r.code_args, {}};
      auto n = v.AsNumber();
      if (!n) {
        return Fail(Error::Unavailable("imap protocol error: bad " + r.code));
      }
      (r.code == "UIDVALIDITY" ? s.uid_validity : s.uid_next) = *n;
    } else if (r.name == "EXISTS" && r.number) {
      s.exists = *r.number;
    }
  }
  if (s.uid_validity == 0) {
    return Fail(
        Error::Unavailable("imap protocol error: EXAMINE without UIDVALIDITY"));
  }
  auto [it, inserted] = uid_validity_.emplace(folder, s.uid_validity);
  if (!inserted && it->second != s.uid_validity) {
    if (verify) {
      return Fail(Error::FailedPrecondition(
          "uidvalidity changed from " + std::to_string(it->second) + " to " +
          std::to_string(s.uid_validity)));
    }
    it->second = s.uid_validity;
  }
  // A watched folder examined again (to idle on it after the others were
  // synced) may have news that arrived while another was selected.
  auto seen = seen_.find(folder);
  if (seen != seen_.end() && IsWatched(folder) &&
      (seen->second.exists != s.exists ||
       seen->second.uid_next != s.uid_next)) {
    changed_.insert(folder);
  }
  seen_[folder] = {s.uid_next, s.exists};
  open_folder_ = folder;
  open_exists_ = s.exists;
  open_uid_next_ = s.uid_next;
  open_highest_modseq_ = nomodseq ? 0 : highest_modseq;
  return s;
}

Result<bool> ImapSource::Listed(const std::string& folder) {
  auto quoted = QuoteImapString(folder);
  if (!quoted) return Fail(quoted.error());
  auto reply = Run("LIST \"\" " + *quoted);
  if (!reply) return Fail(reply.error());
  const bool inbox = core::IEquals(folder, "INBOX");
  for (const auto& resp : reply->untagged) {
    if (resp.name != "LIST" || resp.values.size() != 3 ||
        resp.values[0].kind != ImapValue::Kind::kList) {
      continue;
    }
    const std::string& name = resp.values[2].text;
    if (name != folder && !(inbox && core::IEquals(name, "INBOX"))) continue;
    bool selectable = true;
    for (const auto& a : resp.values[0].list) {
      if (a.IsAtom("\\Noselect") || a.IsAtom("\\NonExistent")) {
        selectable = false;
      }
    }
    if (selectable) return true;
  }
  return false;
}

template <typename F>
auto ImapSource::WithRetry(F f) -> decltype(f()) {
  const bool was_open = transport_ != nullptr;
  auto r = f();
  if (!r && was_open && transport_ == nullptr &&
      r.error().code == core::Code::kUnavailable) {
    spdlog::info("{}: connection lost ({}); reconnecting", options_.mailbox,
                 r.error().message);
    r = f();
  }
  return r;
}

Result<FolderState> ImapSource::Examine(const std::string& folder) {
  auto r = WithRetry([&]() -> Result<FolderState> {
    open_folder_.clear();  // always fresh: UIDNEXT is not pushed
    return Open(folder, /*verify=*/false);
  });
  if (!r) return Fail(r.error().Wrap(Context("examine", folder)));
  changed_.erase(folder);
  return r;
}

Result<std::vector<uint32_t>> ImapSource::ListUidsFrom(
    const std::string& folder, uint32_t first_uid) {
  first_uid = std::max<uint32_t>(first_uid, 1);
  auto r = WithRetry([&]() -> Result<std::vector<uint32_t>> {
    if (auto s = Open(folder, true); !s) return Fail(s.error());
    changed_.erase(folder);
    const bool esearch = capabilities_.contains("ESEARCH");
    std::string range = std::to_string(first_uid) + ":*";
    auto reply = Run(esearch ? "UID SEARCH RETURN (ALL) UID " + range
                             : "UID SEARCH UID " + range);
    if (!reply) return Fail(reply.error());
    auto found = CollectSearchUids(reply->untagged);
    if (!found) return Fail(found.error());
    std::vector<uint32_t> uids = std::move(*found);
    // "n:*" always matches the last message, even when its UID < n.
    std::erase_if(uids, [&](uint32_t u) { return u < first_uid; });
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
    return uids;
  });
  if (!r) return Fail(r.error().Wrap(Context("search", folder)));
  return r;
}

Result<std::vector<MessageMeta>> ImapSource::FetchSizes(
    const std::string& folder, std::span<const uint32_t> uids_in) {
  std::vector<uint32_t> uids(uids_in.begin(), uids_in.end());
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  std::vector<MessageMeta> out;
  for (size_t i = 0; i < uids.size(); i += kSizesPerCommand) {
    std::span<const uint32_t> chunk(
        uids.data() + i, std::min(kSizesPerCommand, uids.size() - i));
    auto r = WithRetry([&]() -> Result<std::vector<MessageMeta>> {
      if (auto s = Open(folder, true); !s) return Fail(s.error());
      auto reply = Run("UID FETCH " + FormatSequenceSet(chunk) +
                       " (UID RFC822.SIZE INTERNALDATE)");
      if (!reply) return Fail(reply.error());
      auto items = CollectFetches(reply->untagged, "");
      if (!items) return Fail(items.error());
      std::vector<MessageMeta> metas;
      for (auto& [seq, item] : *items) {
        if (!item.uid || !item.size || !item.internal_date) continue;
        if (!std::binary_search(chunk.begin(), chunk.end(), *item.uid))
          continue;
        metas.push_back({*item.uid, *item.internal_date, *item.size});
      }
      return metas;
    });
    if (!r) return Fail(r.error().Wrap(Context("fetch sizes", folder)));
    out.insert(out.end(), r->begin(), r->end());
  }
  std::sort(
      out.begin(), out.end(),
      [](const MessageMeta& a, const MessageMeta& b) { return a.uid < b.uid; });
  return out;
}

Result<FlagsResult> ImapSource::FetchFlags(const std::string& folder,
                                           std::span<const uint32_t> uids_in,
                                           uint64_t changed_since) {
  std::vector<uint32_t> uids(uids_in.begin(), uids_in.end());
  std::erase(uids, 0u);  // no such UID; "0" in a set is a BAD
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  const bool whole_folder = uids_in.empty() && changed_since > 0;
  auto r = WithRetry([&]() -> Result<FlagsResult> {
    if (auto st = EnsureConnected(); !st) return Fail(st.error());
    const bool offered = capabilities_.contains("CONDSTORE");
    // Always examined afresh: HIGHESTMODSEQ is only reported by EXAMINE. A
    // change of the open folder seen only now is kept for StartIdle.
    const bool was_open = open_folder_ == folder;
    const uint32_t old_exists = open_exists_;
    const uint32_t old_uid_next = open_uid_next_;
    open_folder_.clear();
    auto s = Open(folder, /*verify=*/true, offered);
    if (!s) return Fail(s.error());
    if (was_open && (s->exists != old_exists || s->uid_next != old_uid_next)) {
      changed_.insert(folder);
    }
    FlagsResult out;
    out.uid_validity = s->uid_validity;
    out.condstore = offered && open_highest_modseq_ > 0;
    out.highest_modseq = out.condstore ? open_highest_modseq_ : 0;
    uint64_t since = out.condstore ? changed_since : 0;
    // MODSEQ went backwards (index rebuilt): the caller's mark means nothing.
    if (since > out.highest_modseq) since = 0;

    std::vector<std::string> sets;
    if (whole_folder) {
      // "1:*" in an empty folder is a BAD on some servers.
      if (s->exists > 0) sets.push_back("1:*");
    } else {
      sets = FormatSequenceSets(uids, kFlagsSetChars);
    }
    const std::string attrs =
        out.condstore ? " (UID FLAGS MODSEQ)" : " (UID FLAGS)";
    const std::string modifier =
        since > 0 ? " (CHANGEDSINCE " + std::to_string(since) + ")" : "";
    std::map<uint32_t, FlagsItem> items;
    for (const auto& set : sets) {
      auto reply = Run("UID FETCH " + set + attrs + modifier);
      if (!reply) return Fail(reply.error());
      for (const auto& resp : reply->untagged) {
        if (resp.name != "FETCH" || !resp.number) continue;
        if (auto st = MergeFlagsFetch(resp, &items); !st) {
          return Fail(st.error());
        }
      }
    }
    for (auto& [uid, item] : items) {
      if (!whole_folder && !std::binary_search(uids.begin(), uids.end(), uid)) {
        continue;  // an unsolicited update of a message not asked for
      }
      // An unsolicited update can report a message that did not change
      // since `since`; a solicited response never does.
      if (since > 0 && item.modseq != 0 && item.modseq <= since) continue;
      if (!item.flags) {
        return Fail(Error::Unavailable("imap protocol error: FETCH of uid " +
                                       std::to_string(uid) + " without FLAGS"));
      }
      out.messages.push_back(
          {uid, std::move(*item.flags), out.condstore ? item.modseq : 0});
    }
    return out;  // ascending: `items` is ordered by UID
  });
  if (!r) return Fail(r.error().Wrap(Context("fetch flags", folder)));
  return r;
}

Result<FetchedMessage> ImapSource::FetchSection(const std::string& folder,
                                                uint32_t uid,
                                                bool header_only) {
  const std::string_view section = header_only ? "BODY[HEADER]" : "BODY[]";
  auto r = WithRetry([&]() -> Result<FetchedMessage> {
    if (auto s = Open(folder, true); !s) return Fail(s.error());
    auto reply = Run("UID FETCH " + std::to_string(uid) +
                     " (UID INTERNALDATE RFC822.SIZE " +
                     (header_only ? "BODY.PEEK[HEADER])" : "BODY.PEEK[])"));
    if (!reply) return Fail(reply.error());
    auto items = CollectFetches(reply->untagged, section);
    if (!items) return Fail(items.error());
    for (auto& [seq, item] : *items) {
      if (item.uid != uid) continue;
      if (!item.body || !item.internal_date || !item.size) {
        return Fail(Error::Unavailable(
            "imap protocol error: FETCH without body, INTERNALDATE or size"));
      }
      return FetchedMessage{uid, *item.internal_date, *item.size,
                            std::move(*item.body)};
    }
    return Fail(Error::NotFound("uid " + std::to_string(uid) +
                                " not found (expunged?)"));
  });
  if (!r) {
    return Fail(
        r.error().Wrap(Context(header_only ? "fetch header" : "fetch", folder) +
                       " uid " + std::to_string(uid)));
  }
  return r;
}

Result<FetchedMessage> ImapSource::Fetch(const std::string& folder,
                                         uint32_t uid) {
  return FetchSection(folder, uid, false);
}

Result<std::vector<FetchedMessage>> ImapSource::FetchMany(
    const std::string& folder, std::span<const uint32_t> uids) {
  std::vector<FetchedMessage> out;
  for (size_t i = 0; i < uids.size(); i += kSizesPerCommand) {
    std::span<const uint32_t> chunk(
        uids.data() + i, std::min(kSizesPerCommand, uids.size() - i));
    auto r = WithRetry([&]() -> Result<std::vector<FetchedMessage>> {
      if (auto s = Open(folder, true); !s) return Fail(s.error());
      auto reply = Run("UID FETCH " + FormatSequenceSet(chunk) +
                       " (UID INTERNALDATE RFC822.SIZE BODY.PEEK[])");
      if (!reply) return Fail(reply.error());
      auto items = CollectFetches(reply->untagged, "BODY[]");
      if (!items) return Fail(items.error());
      std::vector<FetchedMessage> got;
      for (auto& [seq, item] : *items) {
        // Unsolicited FETCH responses (another session's flag change)
        // carry no body: not ours.
        if (!item.uid || !item.body) continue;
        if (!std::binary_search(chunk.begin(), chunk.end(), *item.uid)) {
          continue;
        }
        if (!item.internal_date || !item.size) {
          return Fail(Error::Unavailable(
              "imap protocol error: FETCH without INTERNALDATE or size"));
        }
        got.push_back(FetchedMessage{*item.uid, *item.internal_date, *item.size,
                                     std::move(*item.body)});
      }
      return got;
    });
    if (!r) {
      return Fail(r.error().Wrap(Context("fetch", folder) + " uids " +
                                 std::to_string(chunk.front()) + ".." +
                                 std::to_string(chunk.back())));
    }
    for (auto& m : *r) out.push_back(std::move(m));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const FetchedMessage& a, const FetchedMessage& b) {
                     return a.uid < b.uid;
                   });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const FetchedMessage& a, const FetchedMessage& b) {
                          return a.uid == b.uid;
                        }),
            out.end());
  return out;
}

Result<FetchedMessage> ImapSource::FetchHeader(const std::string& folder,
                                               uint32_t uid) {
  return FetchSection(folder, uid, true);
}

core::Status ImapSource::Append(const std::string& folder, std::string_view raw,
                                std::span<const std::string> flags,
                                std::optional<core::TimePoint> internal_date) {
  auto quoted = QuoteImapString(folder);
  if (!quoted) return Fail(quoted.error().Wrap(Context("append", folder)));
  std::string cmd = "APPEND " + *quoted + " (";
  for (size_t i = 0; i < flags.size(); ++i) {
    if (!IsFlagAtom(flags[i])) {
      return Fail(Error::InvalidArgument("bad flag \"" +
                                         core::Printable(flags[i]) + "\"")
                      .Wrap(Context("append", folder)));
    }
    if (i > 0) cmd += " ";
    cmd += flags[i];
  }
  cmd += ")";
  if (internal_date) cmd += " \"" + FormatInternalDate(*internal_date) + "\"";
  if (auto st = EnsureConnected(); !st) {
    return Fail(st.error().Wrap(Context("append", folder)));
  }
  const bool literal_plus = capabilities_.contains("LITERAL+");
  cmd += " {" + std::to_string(raw.size()) + (literal_plus ? "+}" : "}");
  // Not retried: the message may have landed before the connection broke.
  auto reply = Run(cmd, raw);
  if (!reply) return Fail(reply.error().Wrap(Context("append", folder)));
  if (open_folder_ == folder) changed_.insert(folder);
  return core::Ok();
}

Result<bool> ImapSource::ContainsMessageId(const std::string& folder,
                                           std::string_view message_id) {
  const std::string ctx = Context("search message-id", folder);
  if (auto st = CheckSearchableMessageId(message_id); !st) {
    return Fail(st.error().Wrap(ctx));
  }
  auto quoted = QuoteImapString(message_id);
  if (!quoted) return Fail(quoted.error().Wrap(ctx));
  constexpr std::string_view kSection = "BODY[HEADER.FIELDS (MESSAGE-ID)]";
  auto r = WithRetry([&]() -> Result<bool> {
    // A search by content holds no UIDs, so a changed UIDVALIDITY is not
    // adopted here: the recorded one is put back and the folder re-examined
    // by the next call, which then reports the change to its caller.
    auto recorded = uid_validity_.find(folder);
    const std::optional<uint32_t> before =
        recorded == uid_validity_.end()
            ? std::nullopt
            : std::optional<uint32_t>(recorded->second);
    auto s = Open(folder, /*verify=*/false);
    if (!s) return Fail(s.error());
    if (before && *before != s->uid_validity) {
      uid_validity_[folder] = *before;
      open_folder_.clear();
    }
    // Substring match on Dovecot: "a@x" also hits "<xa@x>". The brackets are
    // left out so that servers which normalise the header still match.
    auto reply = Run("UID SEARCH HEADER Message-ID " + *quoted);
    if (!reply) return Fail(reply.error());
    auto hits = CollectSearchUids(reply->untagged);
    if (!hits) return Fail(hits.error());
    std::sort(hits->begin(), hits->end());
    hits->erase(std::unique(hits->begin(), hits->end()), hits->end());
    for (size_t i = 0; i < hits->size(); i += kSizesPerCommand) {
      std::span<const uint32_t> chunk(
          hits->data() + i, std::min(kSizesPerCommand, hits->size() - i));
      auto fetched = Run("UID FETCH " + FormatSequenceSet(chunk) +
                         " (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
      if (!fetched) return Fail(fetched.error());
      auto items = CollectFetches(fetched->untagged, kSection);
      if (!items) return Fail(items.error());
      for (const auto& [seq, item] : *items) {
        if (!item.uid ||
            !std::binary_search(chunk.begin(), chunk.end(), *item.uid)) {
          continue;  // an unsolicited FETCH (flags of another message)
        }
        if (!item.body) {
          return Fail(Error::Unavailable("imap protocol error: FETCH of uid " +
                                         std::to_string(*item.uid) +
                                         " without its Message-ID header"));
        }
        if (HeaderHasMessageId(*item.body, message_id)) return true;
      }
      // UIDs without a FETCH response were expunged meanwhile: no match.
    }
    return false;
  });
  if (!r) return Fail(r.error().Wrap(ctx));
  return r;
}

Result<std::vector<FolderInfo>> ImapSource::ListFolders() {
  auto r = WithRetry([&]() -> Result<std::vector<FolderInfo>> {
    auto reply = Run("LIST \"\" \"*\"");
    if (!reply) return Fail(reply.error());
    std::vector<FolderInfo> out;
    for (const auto& resp : reply->untagged) {
      if (resp.name != "LIST") continue;
      if (resp.values.size() != 3 ||
          resp.values[0].kind != ImapValue::Kind::kList) {
        return Fail(Error::Unavailable("imap protocol error: malformed LIST"));
      }
      FolderInfo f;
      f.name = resp.values[2].text;
      if (resp.values[1].kind != ImapValue::Kind::kNil &&
          resp.values[1].text.size() == 1) {
        f.delimiter = resp.values[1].text[0];
      }
      for (const auto& a : resp.values[0].list) {
        f.attributes.push_back(a.text);
        if (a.IsAtom("\\Sent")) f.is_sent = true;
        if (a.IsAtom("\\Noselect") || a.IsAtom("\\NonExistent")) {
          f.no_select = true;
        }
      }
      out.push_back(std::move(f));
    }
    return out;
  });
  if (!r) return Fail(r.error().Wrap(Context("list", "")));
  return r;
}

Result<NamespaceInfo> ImapSource::PersonalNamespace() {
  auto r = WithRetry([&]() -> Result<NamespaceInfo> {
    if (auto st = EnsureConnected(); !st) return Fail(st.error());
    NamespaceInfo out;
    if (!capabilities_.contains("NAMESPACE")) return out;
    auto reply = Run("NAMESPACE");
    if (!reply) return Fail(reply.error());
    for (const auto& resp : reply->untagged) {
      // * NAMESPACE (("INBOX." ".")) NIL NIL: the first personal one.
      if (resp.name != "NAMESPACE" || resp.values.empty()) continue;
      const ImapValue& personal = resp.values[0];
      if (personal.kind != ImapValue::Kind::kList || personal.list.empty()) {
        continue;
      }
      const ImapValue& first = personal.list[0];
      if (first.kind != ImapValue::Kind::kList || first.list.size() < 2) {
        return Fail(
            Error::Unavailable("imap protocol error: malformed NAMESPACE"));
      }
      out.prefix = first.list[0].text;
      if (first.list[1].kind != ImapValue::Kind::kNil &&
          first.list[1].text.size() == 1) {
        out.delimiter = first.list[1].text[0];
      }
    }
    return out;
  });
  if (!r) return Fail(r.error().Wrap(Context("namespace", "")));
  return r;
}

Result<std::set<std::string>> ImapSource::Capabilities() {
  auto st = WithRetry([&]() { return EnsureConnected(); });
  if (!st) return Fail(st.error().Wrap(Context("connect", "")));
  return capabilities_;
}

Result<bool> ImapSource::SupportsPush() {
  auto st = WithRetry([&]() { return EnsureConnected(); });
  if (!st) return Fail(st.error().Wrap(Context("connect", "")));
  return capabilities_.contains("IDLE");
}

core::Status ImapSource::IdleResponse(const ImapResponse& r) {
  if (r.type != ImapResponse::Type::kUntagged) {
    Drop();
    return Fail(
        Error::Unavailable("imap protocol error: unexpected response during "
                           "IDLE: " +
                           core::Printable(r.tag + " " + r.status)));
  }
  NoteUntagged(r);
  if (r.name == "EXPUNGE" && r.number && !open_folder_.empty()) {
    changed_.insert(open_folder_);
  }
  return core::Ok();
}

Result<MailSource::IdleWait> ImapSource::StartIdle(const std::string& folder) {
  auto ctx = [&] { return Context("idle", folder); };
  if (!idle_tag_.empty()) {
    if (auto st = StopIdle(); !st) return Fail(st.error());
  }
  auto push = SupportsPush();
  if (!push) return Fail(push.error().Wrap(ctx()));
  if (!*push) return IdleWait{};
  auto opened = WithRetry([&]() { return Open(folder, true); });
  if (!opened) return Fail(opened.error().Wrap(ctx()));
  if (!watched_.empty()) {
    // The other watched folders' STATUS now, against their last EXAMINE:
    // news that came after their sync, before this NOTIFY, is not lost.
    if (auto st = SetNotify(true); !st) return Fail(st.error().Wrap(ctx()));
  }
  if (WatchedChanged(folder)) return IdleWait{transport_->PollFd(), true};

  // RFC 2177: "<tag> IDLE", wait for "+", then untagged updates until DONE.
  const std::string tag = tag_prefix_ + std::to_string(next_tag_++);
  if (auto st = transport_->Send(tag + " IDLE\r\n"); !st) {
    Drop();
    return Fail(st.error().Wrap(ctx()));
  }
  const auto io = std::chrono::duration_cast<std::chrono::milliseconds>(
      options_.io_timeout);
  while (true) {
    auto r = ReadOne(io);
    if (!r) return Fail(r.error().Wrap(ctx()));
    if (r->type == ImapResponse::Type::kContinuation) break;
    if (r->type == ImapResponse::Type::kTagged && r->tag == tag) {
      return Fail(Error::Unavailable("IDLE refused: " + r->status + " " +
                                     core::Printable(r->text))
                      .Wrap(ctx()));
    }
    if (auto st = IdleResponse(*r); !st) return Fail(st.error().Wrap(ctx()));
  }
  idle_tag_ = tag;
  idle_folder_ = folder;
  // Whatever came with the "+" (in the reader's or TLS's buffer) is read
  // now: poll() would not report it.
  auto changed = ReadIdle();
  if (!changed) return Fail(changed.error());
  if (*changed) {
    auto stopped = StopIdle();
    if (!stopped) return Fail(stopped.error());
    return IdleWait{transport_->PollFd(), true};
  }
  return IdleWait{transport_->PollFd(), false};
}

Result<bool> ImapSource::ReadIdle() {
  if (idle_tag_.empty() || reader_ == nullptr) {
    return WatchedChanged(idle_folder_);
  }
  auto ctx = [&] { return Context("idle", idle_folder_); };
  while (true) {
    auto raw = reader_->Read(std::chrono::milliseconds(0));
    if (!raw) {
      Drop();  // also ends the IDLE
      return Fail(raw.error().Wrap(ctx()));
    }
    if (!raw->has_value()) break;
    auto r = ParseImapResponse(**raw);
    if (!r) {
      Drop();
      return Fail(r.error().Wrap(ctx()));
    }
    // A bad response drops the connection (IdleResponse).
    if (auto st = IdleResponse(*r); !st) return Fail(st.error().Wrap(ctx()));
  }
  return WatchedChanged(idle_folder_);
}

Result<bool> ImapSource::StopIdle() {
  if (idle_tag_.empty()) return WatchedChanged(idle_folder_);
  const std::string tag = std::exchange(idle_tag_, "");
  auto ctx = [&] { return Context("idle", idle_folder_); };
  if (transport_ == nullptr) {
    return Fail(Error::Unavailable("connection closed").Wrap(ctx()));
  }
  if (auto st = transport_->Send("DONE\r\n"); !st) {
    Drop();
    return Fail(st.error().Wrap(ctx()));
  }
  const auto io = std::chrono::duration_cast<std::chrono::milliseconds>(
      options_.io_timeout);
  while (true) {
    auto r = ReadOne(io);
    if (!r) return Fail(r.error().Wrap(ctx()));
    if (r->type == ImapResponse::Type::kTagged && r->tag == tag) break;
    if (auto st = IdleResponse(*r); !st) return Fail(st.error().Wrap(ctx()));
  }
  return WatchedChanged(idle_folder_);
}

}  // namespace inboxd::ingest
