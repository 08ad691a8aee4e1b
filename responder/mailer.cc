// mailer.cc: see mailer.h. The libcurl SMTP adapter and the Maildir writer.
#include "responder/mailer.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "core/shutdown.h"
#include "core/text.h"

namespace inboxd::responder {
namespace {

using core::Error;
using core::Fail;

struct Upload {
  std::string_view data;
  size_t pos = 0;
};

size_t ReadCallback(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* up = static_cast<Upload*>(userdata);
  size_t room = size * nitems;
  size_t n = std::min(room, up->data.size() - up->pos);
  std::memcpy(buffer, up->data.data() + up->pos, n);
  up->pos += n;
  return n;
}

bool IsLoopbackHost(std::string_view url) {
  size_t start = url.find("://");
  if (start == std::string_view::npos) return false;
  std::string_view rest = url.substr(start + 3);
  return rest.starts_with("127.") || rest.starts_with("localhost") ||
         rest.starts_with("[::1]");
}

// libcurl calls this at least once a second; a non-zero return aborts the
// dialogue. The message under way gets core::kShutdownGrace to finish.
int AbortAfterShutdownGrace(void*, curl_off_t, curl_off_t, curl_off_t,
                            curl_off_t) {
  return core::ShutdownGraceOver() ? 1 : 0;
}

// Keeps the server's last refusal ("550 5.1.1 <x@y>: no such user"),
// so that an error names what the server said, not only the code.
int KeepLastReply(CURL*, curl_infotype type, char* data, size_t size,
                  void* userdata) {
  if (type != CURLINFO_HEADER_IN) return 0;
  std::string_view line(data, size);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  // Only refusals: a QUIT's "221" after them must not hide them.
  if (line.size() >= 3 && (line[0] == '4' || line[0] == '5') &&
      std::isdigit(static_cast<unsigned char>(line[1]))) {
    auto* last = static_cast<std::string*>(userdata);
    last->assign(line.substr(0, 300));
  }
  return 0;
}

// Keeps every server reply line (CURLINFO_HEADER_IN) for Probe.
int KeepReplies(CURL*, curl_infotype type, char* data, size_t size,
                void* userdata) {
  if (type != CURLINFO_HEADER_IN) return 0;
  std::string_view line(data, size);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  static_cast<std::vector<std::string>*>(userdata)->emplace_back(
      line.substr(0, 300));
  return 0;
}

// Calls curl_global_init once (thread-safe through a static).
void GlobalInit() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

struct SlistDeleter {
  void operator()(curl_slist* s) const { curl_slist_free_all(s); }
};

}  // namespace

core::Result<std::unique_ptr<SmtpMailer>> SmtpMailer::Create(
    SmtpOptions options) {
  bool smtps = options.url.starts_with("smtps://");
  if (!smtps && !options.url.starts_with("smtp://")) {
    return Fail(Error::InvalidArgument("smtp url '" +
                                       core::Printable(options.url) +
                                       "': expected smtp:// or smtps://"));
  }
  if (options.tls != "required" && options.tls != "none") {
    return Fail(Error::InvalidArgument("smtp tls '" + options.tls +
                                       "': expected required|none"));
  }
  if (options.tls == "none" && (smtps || !IsLoopbackHost(options.url))) {
    return Fail(Error::InvalidArgument(
        "smtp url '" + options.url +
        "': tls = \"none\" is only allowed for smtp:// on loopback"));
  }
  GlobalInit();
  return std::unique_ptr<SmtpMailer>(new SmtpMailer(std::move(options)));
}

SmtpMailer::~SmtpMailer() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

void SmtpMailer::Configure(void* handle) const {
  CURL* c = static_cast<CURL*>(handle);
  std::string url = options_.url;
  // The URL path is the EHLO name (libcurl SMTP).
  size_t scheme = url.find("://");
  if (url.find('/', scheme + 3) == std::string::npos) {
    url += "/" + (options_.helo_name.empty() ? std::string("localhost")
                                             : options_.helo_name);
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, AbortAfterShutdownGrace);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, options_.timeout_seconds);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_seconds);
  if (options_.tls == "required") {
    // smtps:// is TLS from the start; smtp:// must STARTTLS or fail.
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.tls_ca_file.empty()) {
      curl_easy_setopt(c, CURLOPT_CAINFO, options_.tls_ca_file.c_str());
    }
  }
  if (!options_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, options_.username.c_str());
    if (!options_.oauth2_token.empty()) {
      curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER,
                       options_.oauth2_token.c_str());
      curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
      // Without SASL-IR libcurl waits for a 334 that some servers never send.
      curl_easy_setopt(c, CURLOPT_SASL_IR, 1L);
    } else {
      curl_easy_setopt(c, CURLOPT_PASSWORD, options_.password.c_str());
    }
  }
}

core::Result<std::string> SmtpMailer::Probe() {
  CURL* c = curl_easy_init();
  if (c == nullptr) return Fail(Error::Internal("smtp: curl_easy_init failed"));
  std::unique_ptr<CURL, void (*)(CURL*)> owned(c, curl_easy_cleanup);
  Configure(c);
  // Greeting, EHLO, STARTTLS and AUTH are libcurl's connect phase for SMTP:
  // with CONNECT_ONLY it stops there (QUIT at cleanup). No MAIL FROM.
  curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  std::vector<std::string> replies;
  curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, KeepReplies);
  curl_easy_setopt(c, CURLOPT_DEBUGDATA, &replies);
  curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
  CURLcode rc = curl_easy_perform(c);
  const std::string where = "smtp " + core::Printable(options_.url) + ": ";
  if (rc != CURLE_OK) {
    std::string what =
        where +
        (errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc)));
    if (!replies.empty()) {
      what += ": server said \"" + core::Printable(replies.back()) + "\"";
    }
    if (rc == CURLE_LOGIN_DENIED) return Fail(Error::PermissionDenied(what));
    return Fail(Error::Unavailable(what));
  }
  bool tls = options_.url.starts_with("smtps://");
  bool auth = false;
  for (const auto& r : replies) {
    if (r.starts_with("220") && r.find("TLS") != std::string::npos) tls = true;
    if (r.starts_with("235")) auth = true;
  }
  std::string out = "connected";
  out += tls ? " over TLS" : " without TLS";
  if (options_.username.empty()) {
    out += ", no login configured";
  } else if (auth) {
    out += ", logged in as \"" + core::Printable(options_.username) + "\"";
  } else {
    out += ", the server offered no AUTH: the credentials were not checked";
  }
  return out;
}

core::Status SmtpMailer::Send(std::string_view envelope_from,
                              const std::vector<std::string>& recipients,
                              std::string_view raw) {
  if (recipients.empty()) {
    return Fail(Error::InvalidArgument("smtp send: no recipients"));
  }
  // "" and "<>" both send MAIL FROM:<> (DEPS-FACTS §3).
  std::string from = envelope_from.empty()
                         ? std::string("<>")
                         : "<" + std::string(envelope_from) + ">";
  curl_slist* rcpt_raw = nullptr;
  for (const std::string& r : recipients) {
    if (r.find_first_of("\r\n<>") != std::string::npos) {
      curl_slist_free_all(rcpt_raw);
      return Fail(Error::InvalidArgument("smtp send: bad recipient '" +
                                         core::Printable(r) + "'"));
    }
    rcpt_raw = curl_slist_append(rcpt_raw, ("<" + r + ">").c_str());
  }
  std::unique_ptr<curl_slist, SlistDeleter> rcpt(rcpt_raw);

  std::lock_guard<std::mutex> lock(mu_);
  // The kept handle holds the open connection; curl_easy_reset clears the
  // options and keeps the connection.
  const bool kept = curl_ != nullptr;
  if (kept) {
    curl_easy_reset(static_cast<CURL*>(curl_));
  } else {
    curl_ = curl_easy_init();
    if (curl_ == nullptr) {
      return Fail(Error::Internal("smtp send: curl_easy_init failed"));
    }
  }
  CURL* c = static_cast<CURL*>(curl_);
  auto drop = [&] {
    curl_easy_cleanup(c);
    curl_ = nullptr;
  };
  Configure(c);
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  // The composer already wrote CRLF; CURLOPT_CRLF=1 would double the CRs.
  curl_easy_setopt(c, CURLOPT_CRLF, 0L);
  Upload up{raw, 0};
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadCallback);
  curl_easy_setopt(c, CURLOPT_READDATA, &up);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
                   static_cast<curl_off_t>(raw.size()));
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  std::string last_reply;
  curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, KeepLastReply);
  curl_easy_setopt(c, CURLOPT_DEBUGDATA, &last_reply);
  curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);

  CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  long connects = 0;
  curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
  if (kept && connects == 0 && up.pos == 0 && code == 0 &&
      (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
       rc == CURLE_GOT_NOTHING)) {
    // The kept connection was closed by the server (idle timeout) and
    // curl noticed only when it wrote MAIL FROM: no byte of the message
    // went out, so once more on a new connection.
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
    up.pos = 0;
    errbuf[0] = '\0';
    last_reply.clear();
    rc = curl_easy_perform(c);
    code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  }
  if (rc == CURLE_OK) return core::Ok();
  drop();
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    // Cut by a shutdown (core/shutdown.h). Before DATA nothing can have
    // been delivered; during it the server may or may not keep the message.
    const std::string where = "smtp " + core::Printable(options_.url) + ": ";
    if (up.pos == 0) {
      return Fail(Error::Unavailable(
          where + "interrupted before the message was sent: shutting down"));
    }
    return Fail(Error::Aborted(where +
                               "interrupted during DATA: shutting down; "
                               "whether the server kept it is unknown"));
  }
  std::string what =
      "smtp " + core::Printable(options_.url) + ": " +
      (errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc))) +
      " (curl " + std::to_string(int(rc)) + ", smtp " + std::to_string(code) +
      ")" +
      (last_reply.empty()
           ? std::string()
           : ": server said \"" + core::Printable(last_reply) + "\"");
  if (rc == CURLE_LOGIN_DENIED || code == 535 || code == 534) {
    return Fail(Error::PermissionDenied(what));
  }
  if (code >= 500 && code < 600) return Fail(Error::FailedPrecondition(what));
  // 4xx, no reply at all (connect, TLS, timeout): try again later.
  return Fail(Error::Unavailable(what));
}

core::Result<std::unique_ptr<MaildirMailer>> MaildirMailer::Create(
    std::string dir) {
  std::error_code ec;
  for (const char* sub : {"tmp", "new", "cur"}) {
    std::filesystem::create_directories(std::filesystem::path(dir) / sub, ec);
    if (ec) {
      return Fail(Error::Unavailable("maildir " + dir + "/" + sub + ": " +
                                     ec.message()));
    }
  }
  return std::unique_ptr<MaildirMailer>(new MaildirMailer(std::move(dir)));
}

core::Status MaildirMailer::Send(std::string_view envelope_from,
                                 const std::vector<std::string>& recipients,
                                 std::string_view raw) {
  std::string head =
      "Return-Path: <" + core::StripCrLf(envelope_from) + ">\r\n";
  for (const std::string& r : recipients) {
    head += "Delivered-To: " + core::StripCrLf(r) + "\r\n";
  }
  std::string name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::system_clock::now().time_since_epoch();
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    std::string h = host;
    for (char& ch : h) {
      if (ch == '/' || ch == ':') ch = '_';
    }
    name =
        std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(now).count()) +
        ".P" + std::to_string(::getpid()) + "Q" + std::to_string(++counter_) +
        "M" +
        std::to_string(
            std::chrono::duration_cast<std::chrono::microseconds>(now).count() %
            1000000) +
        "." + h;
  }
  std::string tmp = dir_ + "/tmp/" + name;
  std::string dst = dir_ + "/new/" + name;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Fail(
        Error::Unavailable("maildir " + tmp + ": " + std::strerror(errno)));
  }
  std::string all = head + std::string(raw);
  size_t off = 0;
  while (off < all.size()) {
    ssize_t n = ::write(fd, all.data() + off, all.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Fail(Error::Unavailable("maildir write " + tmp + ": " +
                                     std::strerror(err)));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Fail(
        Error::Unavailable("maildir fsync " + tmp + ": " + std::strerror(err)));
  }
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Fail(Error::Unavailable("maildir rename " + dst + ": " +
                                   std::strerror(err)));
  }
  return core::Ok();
}

core::Status FakeMailer::Send(std::string_view envelope_from,
                              const std::vector<std::string>& recipients,
                              std::string_view raw) {
  std::lock_guard<std::mutex> lock(mu_);
  ++attempts_;
  if (fail_all_) return Fail(fail_all_error_);
  for (const auto& [n, error] : faults_) {
    if (n == attempts_) return Fail(error);
  }
  sent_.push_back({std::string(envelope_from), recipients, std::string(raw)});
  return core::Ok();
}

void FakeMailer::FailOn(int n, core::Error error) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.emplace_back(n, std::move(error));
}

void FakeMailer::FailAll(core::Error error) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_all_ = true;
  fail_all_error_ = std::move(error);
}

void FakeMailer::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_all_ = false;
  faults_.clear();
}

std::vector<FakeMailer::Sent> FakeMailer::sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sent_;
}

int FakeMailer::attempts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return attempts_;
}

}  // namespace inboxd::responder
