// message.h: the parsed form of one mail message, shared by every stage.
//
// ingest/ builds it from raw bytes (ingest/mime_adapter.h); classify/ and
// responder/ only read it. All text fields are UTF-8 (decoded from RFC 2047
// and the declared or detected charset); header values in `headers` are the
// raw unfolded values as they were on the wire (8-bit bytes kept).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace inboxd::core {

struct Address {
  std::string name;  // display name, decoded UTF-8 ("" when absent)
  std::string addr;  // "local@domain" as written (no angle brackets)

  bool empty() const { return addr.empty(); }
  // Lower-case domain part, "" when there is no '@'.
  std::string Domain() const;
  // Lower-case local part.
  std::string Local() const;
};

struct HeaderField {
  std::string name;   // as written ("Auto-Submitted")
  std::string value;  // raw, unfolded, leading/trailing space trimmed
};

struct Attachment {
  std::string filename;      // decoded (RFC 2047 / RFC 2231), UTF-8
  std::string content_type;  // lower case "type/subtype"
  size_t size = 0;           // decoded bytes
};

// A machine-readable delivery report found in the message (RFC 3464).
struct DeliveryStatus {
  std::string action;               // "failed", "delayed", ... (lower case)
  std::string status;               // "5.1.1"
  std::string final_recipient;      // address only
  std::string diagnostic_code;      // raw text
  std::string original_message_id;  // of the bounced message, no brackets
};

struct Message {
  // Identity.
  std::string sha256;  // of the raw bytes, lower-case hex
  size_t raw_size = 0;
  std::string message_id;  // without angle brackets; "" when absent

  // Headers.
  std::vector<HeaderField> headers;  // in order
  Address from;
  Address sender;
  std::vector<Address> reply_to;
  std::vector<Address> to;
  std::vector<Address> cc;
  std::string return_path;  // address inside <>, "" for the null sender <>
  bool has_return_path = false;
  std::string subject;                  // decoded UTF-8
  std::optional<TimePoint> date;        // the Date header (untrusted)
  std::string in_reply_to;              // first message id, no brackets
  std::vector<std::string> references;  // no brackets, in order

  // Body.
  std::string content_type;  // top level, lower case "type/subtype"
  std::string report_type;   // report-type parameter of multipart/report
  std::string text;          // body text, UTF-8 (text/plain or HTML->text)
  bool text_from_html = false;
  std::string text_charset;      // charset the text was decoded from
  std::string content_language;  // Content-Language header, lower case
  std::vector<Attachment> attachments;
  std::vector<std::string> part_types;  // every leaf part's type, in order
  std::optional<DeliveryStatus> delivery_status;
  // Header block of an enclosed original message (message/rfc822 or
  // text/rfc822-headers inside a report), raw.
  std::string original_headers;

  // Things that were odd but not fatal ("8-bit bytes in header value").
  std::vector<std::string> warnings;

  // Returns the first header with `name` (case-insensitive), or nullptr.
  const std::string* Header(std::string_view name) const;
  // Returns every value of `name`, in order.
  std::vector<std::string_view> HeaderAll(std::string_view name) const;
};

}  // namespace inboxd::core
