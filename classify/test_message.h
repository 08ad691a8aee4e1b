// test_message.h: builds core::Message values by hand for classify tests
// (no MIME parsing involved). Test-only.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "core/message.h"

namespace inboxd::classify::testing {

// A plain human message from `from` to support@shop.example, with the
// headers every mail client writes (From, To, Subject, Date, Message-ID), so
// that no missing-header signal corroborates what a test looks at.
inline core::Message Msg(
    std::string subject, std::string text,
    std::initializer_list<std::pair<std::string, std::string>> headers = {},
    std::string from = "kunde@example.org") {
  core::Message m;
  m.message_id = "abc123@mail.example.org";
  m.from = {"Kunde", from};
  m.to = {{"Support", "support@shop.example"}};
  m.subject = std::move(subject);
  m.text = std::move(text);
  m.content_type = "text/plain";
  m.text_charset = "utf-8";
  m.headers.push_back({"From", "Kunde <" + from + ">"});
  m.headers.push_back({"To", "support@shop.example"});
  m.headers.push_back({"Subject", m.subject});
  m.headers.push_back({"Date", "Mon, 23 Nov 2026 10:00:00 +0000"});
  m.headers.push_back({"Message-ID", "<" + m.message_id + ">"});
  for (const auto& [name, value] : headers) m.headers.push_back({name, value});
  return m;
}

}  // namespace inboxd::classify::testing
