#include "ingest/sync_fake_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "core/text.h"
#include "ingest/header_block.h"
#include "ingest/sync_engine.h"

namespace inboxd::ingest {

using core::Error;
using core::Fail;
using core::Result;

uint32_t FakeMailSource::Deliver(const std::string& folder, std::string raw,
                                 core::TimePoint internal_date) {
  std::lock_guard lock(mu_);
  Folder& f = folders_[folder];
  uint32_t uid = f.uid_next++;
  FetchedMessage m{uid, internal_date, raw.size(), std::move(raw)};
  f.messages.emplace(uid, std::move(m));
  f.flags[uid] = MessageFlags{uid, {}, ++f.highest_modseq};
  ++version_;
  WakeIdles();
  return uid;
}

void FakeMailSource::Expunge(const std::string& folder, uint32_t uid) {
  std::lock_guard lock(mu_);
  Folder& f = folders_[folder];
  if (f.messages.erase(uid) > 0) ++f.highest_modseq;  // RFC 7162 3.2
  f.flags.erase(uid);
  ++version_;
  WakeIdles();
}

void FakeMailSource::ResetUidValidity(const std::string& folder,
                                      uint32_t uid_validity) {
  std::lock_guard lock(mu_);
  Folder& f = folders_[folder];
  std::map<uint32_t, FetchedMessage> renumbered;
  std::map<uint32_t, MessageFlags> renumbered_flags;
  uint32_t uid = 1;
  for (auto& [old, m] : f.messages) {
    m.uid = uid;
    MessageFlags fl = f.flags[old];
    fl.uid = uid;
    renumbered_flags.emplace(uid, std::move(fl));
    renumbered.emplace(uid++, std::move(m));
  }
  f.messages = std::move(renumbered);
  f.flags = std::move(renumbered_flags);
  f.uid_next = uid;
  f.uid_validity = uid_validity;
}

void FakeMailSource::MarkSent(const std::string& folder) {
  std::lock_guard lock(mu_);
  folders_[folder].is_sent = true;
}

uint64_t FakeMailSource::SetFlags(const std::string& folder, uint32_t uid,
                                  std::vector<std::string> flags,
                                  uint64_t modseq) {
  std::lock_guard lock(mu_);
  Folder* f = Find(folder);
  if (f == nullptr || !f->messages.contains(uid)) return 0;
  if (modseq == 0) modseq = f->highest_modseq + 1;
  f->highest_modseq = std::max(f->highest_modseq, modseq);
  f->flags[uid] = MessageFlags{uid, std::move(flags), modseq};
  return modseq;
}

void FakeMailSource::SetCondstore(bool condstore) {
  std::lock_guard lock(mu_);
  condstore_ = condstore;
}

void FakeMailSource::SetPush(bool push) {
  std::lock_guard lock(mu_);
  push_ = push;
}

void FakeMailSource::SetNotify(bool notify) {
  std::lock_guard lock(mu_);
  notify_ = notify;
}

Result<bool> FakeMailSource::WatchFolders(std::span<const std::string>) {
  std::lock_guard lock(mu_);
  if (auto st = Enter("WatchFolders"); !st) return Fail(st.error());
  return notify_ && push_;
}

void FakeMailSource::FailCallAt(int n, core::Code code) {
  std::lock_guard lock(mu_);
  fail_at_ = n;
  fail_code_ = code;
}

std::map<std::string, int> FakeMailSource::Calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

core::Status FakeMailSource::Enter(const char* method) {
  ++calls_[method];
  if (fail_at_ > 0 && --fail_at_ == 0) {
    return Fail(
        Error{fail_code_, std::string("injected failure in ") + method});
  }
  return core::Ok();
}

FakeMailSource::Folder* FakeMailSource::Find(const std::string& folder) {
  auto it = folders_.find(folder);
  return it == folders_.end() ? nullptr : &it->second;
}

Result<FolderState> FakeMailSource::Examine(const std::string& folder) {
  return ExamineOn(folder, &own_idle_);
}

Result<FolderState> FakeMailSource::ExamineOn(const std::string& folder,
                                              Idle* idle) {
  std::lock_guard lock(mu_);
  if (auto st = Enter("Examine"); !st) return Fail(st.error());
  idle->seen = version_;
  Folder* f = Find(folder);
  if (f == nullptr) return Fail(Error::NotFound("no folder " + folder));
  return FolderState{f->uid_validity, f->uid_next,
                     static_cast<uint32_t>(f->messages.size())};
}

Result<std::vector<uint32_t>> FakeMailSource::ListUidsFrom(
    const std::string& folder, uint32_t first_uid) {
  return ListUidsFromOn(folder, first_uid, &own_idle_);
}

Result<std::vector<uint32_t>> FakeMailSource::ListUidsFromOn(
    const std::string& folder, uint32_t first_uid, Idle* idle) {
  std::lock_guard lock(mu_);
  if (auto st = Enter("ListUidsFrom"); !st) return Fail(st.error());
  idle->seen = version_;
  Folder* f = Find(folder);
  if (f == nullptr) return Fail(Error::NotFound("no folder " + folder));
  std::vector<uint32_t> out;
  for (auto it = f->messages.lower_bound(first_uid); it != f->messages.end();
       ++it) {
    out.push_back(it->first);
  }
  return out;
}

Result<std::vector<MessageMeta>> FakeMailSource::FetchSizes(
    const std::string& folder, std::span<const uint32_t> uids) {
  std::lock_guard lock(mu_);
  if (auto st = Enter("FetchSizes"); !st) return Fail(st.error());
  Folder* f = Find(folder);
  if (f == nullptr) return Fail(Error::NotFound("no folder " + folder));
  std::vector<MessageMeta> out;
  for (uint32_t uid : uids) {
    auto it = f->messages.find(uid);
    if (it == f->messages.end()) continue;
    out.push_back({uid, it->second.internal_date, it->second.size});
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.uid < b.uid; });
  return out;
}

Result<FlagsResult> FakeMailSource::FetchFlags(const std::string& folder,
                                               std::span<const uint32_t> uids,
                                               uint64_t changed_since) {
  std::lock_guard lock(mu_);
  if (auto st = Enter("FetchFlags"); !st) return Fail(st.error());
  Folder* f = Find(folder);
  if (f == nullptr) return Fail(Error::NotFound("no folder " + folder));
  FlagsResult out;
  out.uid_validity = f->uid_validity;
  out.condstore = condstore_;
  out.highest_modseq = condstore_ ? f->highest_modseq : 0;
  uint64_t since = condstore_ ? changed_since : 0;
  if (since > out.highest_modseq) since = 0;
  auto add = [&](const MessageFlags& m) {
    if (since > 0 && m.modseq <= since) return;
    out.messages.push_back(m);
    if (!condstore_) out.messages.back().modseq = 0;
  };
  if (uids.empty() && changed_since > 0) {
    for (const auto& [uid, m] : f->flags) add(m);
    return out;
  }
  std::vector<uint32_t> sorted(uids.begin(), uids.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (uint32_t uid : sorted) {
    auto it = f->flags.find(uid);
    if (it != f->flags.end()) add(it->second);
  }
  return out;
}

Result<FetchedMessage> FakeMailSource::Fetch(const std::string& folder,
                                             uint32_t uid) {
  std::lock_guard lock(mu_);
  if (auto st = Enter("Fetch"); !st) return Fail(st.error());
  Folder* f = Find(folder);
  if (f == nullptr) return Fail(Error::NotFound("no folder " + folder));
  auto it = f->messages.find(uid);
  if (it == f->messages.end()) {
    return Fail(Error::NotFound("uid " + std::to_string(uid) + " not found"));
  }
  return it->second;
}

Result<FetchedMessage> FakeMailSource::FetchHeader(const std::string& folder,
                                                   uint32_t uid) {
  std::lock_guard lock(mu_);
  if (auto st = Enter("FetchHeader"); !st) return Fail(st.error());
  Folder* f = Find(folder);
  if (f == nullptr) return Fail(Error::NotFound("no folder " + folder));
  auto it = f->messages.find(uid);
  if (it == f->messages.end()) {
    return Fail(Error::NotFound("uid " + std::to_string(uid) + " not found"));
  }
  FetchedMessage m = it->second;
  size_t end = m.raw.find("\r\n\r\n");
  m.raw = end == std::string::npos ? m.raw : m.raw.substr(0, end + 4);
  return m;
}

core::Status FakeMailSource::Append(const std::string& folder,
                                    std::string_view raw,
                                    std::span<const std::string> flags,
                                    std::optional<core::TimePoint> date) {
  {
    std::lock_guard lock(mu_);
    if (auto st = Enter("Append"); !st) return st;
    if (Find(folder) == nullptr) {
      return Fail(Error::NotFound("no folder " + folder));
    }
  }
  uint32_t uid =
      Deliver(folder, std::string(raw), date.value_or(core::TimePoint{}));
  std::lock_guard lock(mu_);
  Folder* f = Find(folder);
  if (auto it = f->flags.find(uid); it != f->flags.end()) {
    it->second.flags.assign(flags.begin(), flags.end());  // same MODSEQ
  }
  return core::Ok();
}

Result<bool> FakeMailSource::ContainsMessageId(const std::string& folder,
                                               std::string_view message_id) {
  if (auto st = CheckSearchableMessageId(message_id); !st) {
    return Fail(st.error());
  }
  std::lock_guard lock(mu_);
  if (auto st = Enter("ContainsMessageId"); !st) return Fail(st.error());
  Folder* f = Find(folder);
  if (f == nullptr) return Fail(Error::NotFound("no folder " + folder));
  for (const auto& [uid, m] : f->messages) {
    HeaderBlock hb = ParseHeaderBlock(m.raw, m.raw.size() + 1);
    for (const auto& field : hb.fields) {
      if (core::IEquals(field.name, "Message-ID") &&
          NormalizeMessageId(field.value) == message_id) {
        return true;
      }
    }
  }
  return false;
}

Result<std::vector<FolderInfo>> FakeMailSource::ListFolders() {
  std::lock_guard lock(mu_);
  if (auto st = Enter("ListFolders"); !st) return Fail(st.error());
  std::vector<FolderInfo> out;
  for (const auto& [name, f] : folders_) {
    FolderInfo info;
    info.name = name;
    info.is_sent = f.is_sent;
    if (f.is_sent) info.attributes.push_back("\\Sent");
    out.push_back(std::move(info));
  }
  return out;
}

Result<bool> FakeMailSource::SupportsPush() {
  std::lock_guard lock(mu_);
  if (auto st = Enter("SupportsPush"); !st) return Fail(st.error());
  return push_;
}

void FakeMailSource::WakeIdles() {
  for (Idle* idle : idles_) {
    char c = 1;
    [[maybe_unused]] ssize_t n = ::write(idle->fds[1], &c, 1);
  }
}

Result<MailSource::IdleWait> FakeMailSource::StartIdleOn(Idle* idle) {
  std::lock_guard lock(mu_);
  if (auto st = Enter("StartIdle"); !st) return Fail(st.error());
  if (!push_) return IdleWait{};
  if (idle->fds[0] < 0 && ::pipe2(idle->fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    return Fail(Error::Internal("pipe2 failed"));
  }
  idle->start = idle->seen.value_or(version_);
  idles_.insert(idle);
  return IdleWait{idle->fds[0], version_ != idle->start};
}

Result<bool> FakeMailSource::ReadIdleOn(Idle* idle) {
  std::lock_guard lock(mu_);
  if (auto st = Enter("ReadIdle"); !st) return Fail(st.error());
  char buf[64];
  while (idle->fds[0] >= 0 && ::read(idle->fds[0], buf, sizeof buf) > 0) {
  }
  return idles_.contains(idle) && version_ != idle->start;
}

bool FakeMailSource::ForgetIdle(Idle* idle) {
  const bool was = idles_.erase(idle) > 0;
  for (int& fd : idle->fds) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  return was;
}

void FakeMailSource::EndIdle(Idle* idle) {
  std::lock_guard lock(mu_);
  ForgetIdle(idle);
}

Result<bool> FakeMailSource::StopIdleOn(Idle* idle) {
  std::lock_guard lock(mu_);
  const bool was = ForgetIdle(idle);
  if (auto st = Enter("StopIdle"); !st) return Fail(st.error());
  return was && version_ != idle->start;
}

FakeMailSource::~FakeMailSource() { ForgetIdle(&own_idle_); }

Result<MailSource::IdleWait> FakeMailSource::StartIdle(const std::string&) {
  return StartIdleOn(&own_idle_);
}
Result<bool> FakeMailSource::ReadIdle() { return ReadIdleOn(&own_idle_); }
Result<bool> FakeMailSource::StopIdle() { return StopIdleOn(&own_idle_); }

namespace {

// One connection to a FakeMailSource: everything forwarded, own IDLE.
class FakeConnection final : public MailSource {
 public:
  explicit FakeConnection(FakeMailSource* s) : s_(s) {}
  ~FakeConnection() override { s_->EndIdle(&idle_); }
  Result<FolderState> Examine(const std::string& f) override {
    return s_->ExamineOn(f, &idle_);
  }
  Result<std::vector<uint32_t>> ListUidsFrom(const std::string& f,
                                             uint32_t u) override {
    return s_->ListUidsFromOn(f, u, &idle_);
  }
  Result<std::vector<MessageMeta>> FetchSizes(
      const std::string& f, std::span<const uint32_t> u) override {
    return s_->FetchSizes(f, u);
  }
  Result<FlagsResult> FetchFlags(const std::string& f,
                                 std::span<const uint32_t> u,
                                 uint64_t since) override {
    return s_->FetchFlags(f, u, since);
  }
  Result<FetchedMessage> Fetch(const std::string& f, uint32_t u) override {
    return s_->Fetch(f, u);
  }
  Result<std::vector<FetchedMessage>> FetchMany(
      const std::string& f, std::span<const uint32_t> u) override {
    return s_->FetchMany(f, u);
  }
  Result<FetchedMessage> FetchHeader(const std::string& f,
                                     uint32_t u) override {
    return s_->FetchHeader(f, u);
  }
  core::Status Append(const std::string& f, std::string_view r,
                      std::span<const std::string> fl,
                      std::optional<core::TimePoint> d) override {
    return s_->Append(f, r, fl, d);
  }
  Result<bool> ContainsMessageId(const std::string& f,
                                 std::string_view id) override {
    return s_->ContainsMessageId(f, id);
  }
  Result<std::vector<FolderInfo>> ListFolders() override {
    return s_->ListFolders();
  }
  Result<bool> SupportsPush() override { return s_->SupportsPush(); }
  Result<IdleWait> StartIdle(const std::string&) override {
    return s_->StartIdleOn(&idle_);
  }
  Result<bool> ReadIdle() override { return s_->ReadIdleOn(&idle_); }
  Result<bool> StopIdle() override { return s_->StopIdleOn(&idle_); }
  Result<bool> WatchFolders(std::span<const std::string> f) override {
    return s_->WatchFolders(f);
  }

 private:
  FakeMailSource* s_;
  FakeMailSource::Idle idle_;
};

}  // namespace

std::unique_ptr<MailSource> FakeMailSource::Connect() {
  return std::make_unique<FakeConnection>(this);
}

}  // namespace inboxd::ingest
