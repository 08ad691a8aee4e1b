// imap_test_transport.h: a scripted in-memory IMAP server for unit tests.
//
// Test-only (linked into imap_test). Each complete client command line is
// passed to a handler that returns the server's bytes, with "{tag}" replaced
// by the command's tag. A command line ending in "{n}" gets "+ go ahead" and
// then the n literal bytes are collected before the handler sees the whole
// command. Can fail the Nth Send or close the connection after a command.
// PollFd is an eventfd that polls readable exactly while Recv has bytes (or
// the close) to hand out, as a socket would.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "ingest/imap_transport.h"

namespace inboxd::ingest::testing {

class ScriptedTransport final : public ImapTransport {
 public:
  // Gets the full command (without tag and CRLF; literal bytes inline) and
  // returns the server's reply bytes with "{tag}" placeholders.
  using Handler = std::function<std::string(const std::string& command)>;

  explicit ScriptedTransport(Handler handler)
      : handler_(std::move(handler)),
        event_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~ScriptedTransport() override {
    if (event_fd_ >= 0) ::close(event_fd_);
  }
  ScriptedTransport(const ScriptedTransport&) = delete;
  ScriptedTransport& operator=(const ScriptedTransport&) = delete;

  int PollFd() const override { return event_fd_; }

  core::Status Send(std::string_view bytes) override {
    if (closed_) return core::Fail(core::Error::Unavailable("closed"));
    if (close_when_drained_) return core::Ok();  // the server stopped reading
    pending_.append(bytes);
    while (true) {
      if (literal_left_ > 0) {
        if (pending_.size() < literal_left_ + 2) break;
        command_ += pending_.substr(0, literal_left_);
        pending_.erase(0, literal_left_ + 2);  // bytes + CRLF
        literal_left_ = 0;
        Dispatch();
        continue;
      }
      size_t crlf = pending_.find("\r\n");
      if (crlf == std::string::npos) break;
      std::string line = pending_.substr(0, crlf);
      pending_.erase(0, crlf + 2);
      if (line == "DONE") {
        Reply(handler_("DONE"));
        continue;
      }
      size_t sp = line.find(' ');
      tag_ = line.substr(0, sp);
      command_ = sp == std::string::npos ? "" : line.substr(sp + 1);
      size_t open = command_.rfind('{');
      if (!command_.empty() && command_.back() == '}' &&
          open != std::string::npos) {
        bool plus = command_[command_.size() - 2] == '+';
        literal_left_ = std::stoul(command_.substr(open + 1));
        command_ += "\r\n";
        if (!plus) out_ += "+ go ahead\r\n";
        continue;
      }
      Dispatch();
    }
    return core::Ok();
  }

  core::Result<size_t> Recv(char* buf, size_t cap,
                            std::chrono::milliseconds) override {
    if (out_.empty()) {
      if (closed_ || close_when_drained_) {
        closed_ = true;
        return core::Fail(
            core::Error::Unavailable("connection closed by server"));
      }
      return size_t{0};  // timeout
    }
    // Hand out small pieces to exercise reassembly.
    size_t n = std::min({cap, out_.size(), chunk_});
    out_.copy(buf, n);
    out_.erase(0, n);
    Signal();
    return n;
  }

  // Queues server bytes that arrive without a command (IDLE updates).
  void Push(std::string bytes) {
    out_ += std::move(bytes);
    Signal();
  }
  // After the queued bytes are read, the connection reports closed.
  void CloseWhenDrained() {
    close_when_drained_ = true;
    Signal();
  }
  void set_chunk(size_t n) { chunk_ = n; }
  const std::vector<std::string>& commands() const { return commands_; }

 private:
  void Dispatch() {
    commands_.push_back(command_);
    Reply(handler_(command_));
  }
  void Reply(std::string r) {
    size_t p;
    while ((p = r.find("{tag}")) != std::string::npos) r.replace(p, 5, tag_);
    if (r.starts_with("<close>")) {
      out_ += r.substr(7);
      close_when_drained_ = true;
    } else {
      out_ += r;
    }
    Signal();
  }
  // Makes event_fd_ readable iff Recv has something to hand out.
  void Signal() {
    uint64_t v;
    while (::read(event_fd_, &v, sizeof v) > 0) {
    }
    if (!out_.empty() || closed_ || close_when_drained_) {
      v = 1;
      [[maybe_unused]] ssize_t w = ::write(event_fd_, &v, sizeof v);
    }
  }

  Handler handler_;
  std::string pending_, command_, tag_, out_;
  size_t literal_left_ = 0;
  size_t chunk_ = 7;
  bool closed_ = false;
  bool close_when_drained_ = false;
  int event_fd_;
  std::vector<std::string> commands_;
};

}  // namespace inboxd::ingest::testing
