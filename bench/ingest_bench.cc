// ingest_bench: times the first and a no-change second sync of a private
// Dovecot folder with inboxd's IMAP sync engine (fetch, MIME parse, store in
// SQLite) against mbsync (isync) pulling the same folder to a Maildir.
// Each run is a forked child, so wall time and peak RSS (wait4 rusage) are
// its own. Driven by bench/ingest.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "ingest/imap_credentials.h"
#include "ingest/mime_adapter.h"
#include "ingest/sync_engine.h"
#include "ingest/sync_memory_sink.h"
#include "ingest/sync_store_sink.h"
#include "store/store.h"
#include "tests/rig/dovecot_rig.h"

namespace {

using namespace inboxd;

struct RunStats {
  double seconds = 0;
  long max_rss_kb = 0;
  int exit_code = -1;
};

// Runs `child` in a forked process; returns its wall time and peak RSS.
template <typename F>
RunStats Measure(F child) {
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    std::fflush(stdout);
    ::_exit(child());
  }
  int status = 0;
  rusage ru{};
  ::wait4(pid, &status, 0, &ru);
  RunStats s;
  s.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  s.max_rss_kb = ru.ru_maxrss;
  s.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return s;
}

// Parses every message as `inboxd once` would before storing it.
class ParsingSink final : public ingest::SyncSink {
 public:
  ParsingSink(ingest::SyncSink* inner, core::Limits limits)
      : inner_(inner), limits_(limits) {}
  core::Result<std::optional<ingest::FolderCheckpoint>> GetCheckpoint(
      const std::string& m, const std::string& f) override {
    return inner_->GetCheckpoint(m, f);
  }
  core::Status AdvanceCheckpoint(const std::string& m, const std::string& f,
                                 ingest::FolderCheckpoint cp,
                                 core::TimePoint now) override {
    return inner_->AdvanceCheckpoint(m, f, cp, now);
  }
  core::Result<core::TimePoint> FirstSeenAt(const std::string& m,
                                            core::TimePoint now) override {
    return inner_->FirstSeenAt(m, now);
  }
  core::Result<ingest::PutOutcome> PutRawMessage(
      const ingest::SyncedMessage& m) override {
    auto put = inner_->PutRawMessage(m);
    if (put && put->new_message && !m.truncated) {
      auto parsed = ingest::ParseMessage(m.raw, limits_);
      if (parsed) subjects_ += parsed->subject.size();
    }
    if (put && ++stored_ % slice_ == 0) {
      slice_ends_.push_back(std::chrono::steady_clock::now());
    }
    return put;
  }
  // The rate of every `slice`-message slice stored so far (messages 1 to
  // slice, slice+1 to 2*slice, ...), timed from `start`.
  void SetSlice(size_t slice, std::chrono::steady_clock::time_point start) {
    slice_ = slice;
    start_ = start;
  }
  void PrintSlices() const {
    auto prev = start_;
    for (size_t i = 0; i < slice_ends_.size(); ++i) {
      const double secs =
          std::chrono::duration<double>(slice_ends_[i] - prev).count();
      std::printf("  inboxd slice %6zu-%-6zu %8.2f s %9.0f msg/s\n",
                  i * slice_ + 1, (i + 1) * slice_, secs,
                  static_cast<double>(slice_) / secs);
      prev = slice_ends_[i];
    }
    std::fflush(stdout);
  }
  core::Status Audit(const std::string& t, const std::string& m,
                     const std::string& d) override {
    return inner_->Audit(t, m, d);
  }
  core::Status BeginBatch() override { return inner_->BeginBatch(); }
  core::Status CommitBatch() override { return inner_->CommitBatch(); }
  void RollbackBatch() override { inner_->RollbackBatch(); }

 private:
  ingest::SyncSink* inner_;
  core::Limits limits_;
  size_t subjects_ = 0;
  size_t stored_ = 0;
  size_t slice_ = 10000;
  std::chrono::steady_clock::time_point start_;
  std::vector<std::chrono::steady_clock::time_point> slice_ends_;
};

size_t g_slice = 10000;

int RunInboxd(const config::Mailbox& mb, const std::string& db) {
  core::Limits limits;
  auto store = store::Store::Open(db, core::SystemClock::Default());
  if (!store) {
    std::fprintf(stderr, "store: %s\n", store.error().ToString().c_str());
    return 1;
  }
  ingest::StoreSyncSink store_sink(store->get());
  ingest::MemorySyncSink memory_sink;  // INBOXD_BENCH_SINK=memory: no SQLite
  const bool memory = std::getenv("INBOXD_BENCH_SINK") != nullptr &&
                      std::string(std::getenv("INBOXD_BENCH_SINK")) == "memory";
  ParsingSink sink(
      memory ? static_cast<ingest::SyncSink*>(&memory_sink) : &store_sink,
      limits);
  sink.SetSlice(g_slice, std::chrono::steady_clock::now());
  auto src = ingest::MakeImapSource(mb, limits);
  ingest::SyncEngine engine(src.get(), &sink, core::SystemClock::Default(),
                            limits);
  auto r = engine.SyncFolder(
      {mb.name, "INBOX", ingest::FolderRole::kIncoming, std::chrono::hours(2)});
  if (!r) {
    std::fprintf(stderr, "sync: %s\n", r.error().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "inboxd: fetched %zu, new %zu\n", r->fetched,
               r->stored_new);
  sink.PrintSlices();
  return 0;
}

int RunMbsync(const std::string& cfg) {
  ::execlp("mbsync", "mbsync", "-q", "-c", cfg.c_str(), "bench",
           static_cast<char*>(nullptr));
  std::perror("exec mbsync");
  return 127;
}

std::string Body(int i) {
  // Typical customer mail: a few KB of text, sizes varying.
  std::string line = "Dear support, order " + std::to_string(i) +
                     " arrived damaged; please advise. Gr\xc3\xbc\xc3\x9f"
                     "e\r\n";
  std::string body;
  for (int k = 0; k < 20 + (i % 80); ++k) body += line;
  return body;
}

}  // namespace

int main(int argc, char** argv) {
  int count = 10000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--messages") == 0) count = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--slice") == 0) {
      g_slice = static_cast<size_t>(std::max(1, std::atoi(argv[i + 1])));
    }
  }
  if (std::system("command -v mbsync >/dev/null") != 0) {
    std::fprintf(stderr,
                 "mbsync missing: scripts/install-deps --with-servers\n");
    return 2;
  }
  auto rig = tests::DovecotRig::Start({{"bench", "b3nch"}});
  if (!rig) {
    std::fprintf(stderr, "rig: %s\n", rig.error().ToString().c_str());
    return 1;
  }
  const std::string dir = (*rig)->dir();
  std::fprintf(stderr, "filling %d messages into %s ...\n", count, dir.c_str());
  for (int i = 0; i < count; ++i) {
    std::string raw =
        "From: Customer " + std::to_string(i) + " <c" + std::to_string(i) +
        "@example.com>\r\nTo: support@shop.example\r\n"
        "Subject: Order " +
        std::to_string(i) + "\r\nMessage-ID: <bench" + std::to_string(i) +
        "@example.com>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" +
        Body(i);
    if (auto st = (*rig)->DeliverUnseen("bench", "INBOX", raw); !st) {
      std::fprintf(stderr, "deliver: %s\n", st.error().ToString().c_str());
      return 1;
    }
  }
  // Let Dovecot index the folder and warm the page cache before timing.
  (void)tests::RunShell("chown -R nobody:nogroup " + dir + "/mail");
  (void)(*rig)->Doveadm("mailbox status -u bench messages INBOX");
  (void)tests::RunShell("cat " + dir + "/mail/bench/cur/* " + dir +
                        "/mail/bench/new/* >/dev/null 2>&1 || true");

  config::Mailbox mb;
  mb.name = "bench";
  mb.username = "bench";
  mb.imap_url = (*rig)->imaps_url();
  mb.tls_ca_file = (*rig)->ca_file();
  mb.password_file = dir + "/bench.pw";
  std::ofstream(mb.password_file) << "b3nch\n";
  const std::string db = dir + "/inboxd.sqlite";

  const std::string maildir = dir + "/mbsync";
  std::filesystem::create_directories(maildir);
  const std::string cfg = dir + "/mbsyncrc";
  std::ofstream(cfg) << "IMAPAccount bench\nHost localhost\nPort "
                     << (*rig)->imaps_port()
                     << "\nUser bench\nPass b3nch\nSSLType IMAPS\n"
                        "CertificateFile "
                     << (*rig)->ca_file()
                     << "\n\nIMAPStore far\nAccount bench\n\n"
                        "MaildirStore near\nPath "
                     << maildir << "/\nInbox " << maildir
                     << "/INBOX\n\nChannel bench\nFar :far:\nNear :near:\n"
                        "Patterns INBOX\nSync Pull\nCreate Near\n"
                        "SyncState *\n";

  RunStats ours1 = Measure([&] { return RunInboxd(mb, db); });
  RunStats mb1 = Measure([&] { return RunMbsync(cfg); });
  RunStats ours2 = Measure([&] { return RunInboxd(mb, db); });
  RunStats mb2 = Measure([&] { return RunMbsync(cfg); });

  auto flags = (*rig)->Flags("bench", "INBOX");
  size_t seen = 0;
  if (flags) {
    for (const auto& f : *flags) seen += f.find("\\Seen") != std::string::npos;
  }
  auto row = [&](const char* name, const RunStats& s, int n) {
    std::printf("%-22s %8.2f s %9.0f msg/s %8.1f MiB  exit %d\n", name,
                s.seconds, n / s.seconds, s.max_rss_kb / 1024.0, s.exit_code);
  };
  std::printf("ingest bench: %d messages, imaps on 127.0.0.1 (Dovecot %s)\n",
              count, "2.3");
  row("inboxd first sync", ours1, count);
  row("mbsync first sync", mb1, count);
  row("inboxd second sync", ours2, count);
  row("mbsync second sync", mb2, count);
  std::printf("ratio inboxd/mbsync: first %.2fx, second %.2fx\n",
              ours1.seconds / mb1.seconds, ours2.seconds / mb2.seconds);
  std::printf("messages flagged \\Seen on the server after both: %zu\n", seen);
  return ours1.exit_code == 0 && mb1.exit_code == 0 && ours2.exit_code == 0 &&
                 mb2.exit_code == 0
             ? 0
             : 1;
}
