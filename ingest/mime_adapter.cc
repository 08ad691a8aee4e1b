#include "ingest/mime_adapter.h"

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "core/hash.h"
#include "core/text.h"
#include "ingest/address.h"
#include "ingest/charset.h"
#include "ingest/header_block.h"
#include "ingest/html_text.h"
#include "ingest/rfc2047.h"
#include "ingest/rfc5322_date.h"
#include "ingest/transfer_encoding.h"

namespace inboxd::ingest {
namespace {

// A message with a flood of oddities keeps the first ones only.
constexpr size_t kMaxWarnings = 50;

void Warn(core::Message* m, std::string w) {
  if (m->warnings.size() < kMaxWarnings) {
    m->warnings.push_back(core::Printable(w));
  } else if (m->warnings.size() == kMaxWarnings) {
    m->warnings.push_back("more warnings dropped");
  }
}

// "header block 1200000 bytes over limit 1048576".
std::string Over(std::string_view what, size_t value, size_t limit,
                 std::string_view unit = "") {
  std::string s = std::string(what) + " " + std::to_string(value);
  if (!unit.empty()) s += " " + std::string(unit);
  return s + " over limit " + std::to_string(limit);
}

// Message ids in a Message-ID / In-Reply-To / References value, without
// brackets. Bracketed ids win; without brackets, words containing '@'.
std::vector<std::string> ExtractMessageIds(std::string_view v) {
  std::vector<std::string> ids;
  size_t i = 0;
  while (true) {
    size_t lt = v.find('<', i);
    if (lt == std::string_view::npos) break;
    size_t gt = v.find('>', lt + 1);
    if (gt == std::string_view::npos) break;
    std::string id = core::StripCrLf(core::Trim(v.substr(lt + 1, gt - lt - 1)));
    if (!id.empty()) ids.push_back(std::move(id));
    i = gt + 1;
  }
  if (!ids.empty()) return ids;
  for (std::string_view w : core::Split(v, ' ')) {
    w = core::Trim(w);
    if (w.find('@') != std::string_view::npos) ids.emplace_back(w);
  }
  return ids;
}

// "Text/HTML; charset=x" -> "text/html"; "" when the value is not a type.
std::string MediaType(std::string_view value) {
  std::string t;
  for (char c : core::Trim(value)) {
    if (c == ';' || c == ' ' || c == '\t' || c == '(' || c == '\r' ||
        c == '\n') {
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) return "";
    t += core::AsciiLower(c);
  }
  return t;
}

// Decodes a part body by its Content-Transfer-Encoding.
std::string DecodeBody(std::string_view body, std::string_view cte) {
  if (cte == "base64") return DecodeBase64(body);
  if (cte == "quoted-printable") return DecodeQuotedPrintable(body);
  return std::string(body);
}

size_t DecodedSize(std::string_view body, std::string_view cte) {
  if (cte == "base64") return Base64DecodedSize(body);
  if (cte == "quoted-printable") return DecodeQuotedPrintable(body).size();
  return body.size();
}

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

std::string CrLfToLf(std::string s) {
  size_t w = 0;
  for (size_t r = 0; r < s.size(); ++r) {
    if (s[r] == '\r' && r + 1 < s.size() && s[r + 1] == '\n') continue;
    s[w++] = s[r];
  }
  s.resize(w);
  return s;
}

void FillHeaderFields(const HeaderBlock& hb, core::Message* m) {
  m->headers = hb.fields;
  const auto& f = hb.fields;
  if (const auto* v = FindField(f, "Message-ID")) {
    auto ids = ExtractMessageIds(*v);
    if (!ids.empty()) m->message_id = ids.front();
  }
  if (const auto* v = FindField(f, "From")) m->from = ParseMailbox(*v);
  if (const auto* v = FindField(f, "Sender")) m->sender = ParseMailbox(*v);
  if (const auto* v = FindField(f, "Reply-To")) {
    m->reply_to = ParseAddressList(*v);
  }
  for (const auto& h : f) {
    if (core::IEquals(h.name, "To") || core::IEquals(h.name, "Cc")) {
      auto list = ParseAddressList(h.value);
      auto& dst = core::IEquals(h.name, "To") ? m->to : m->cc;
      for (auto& a : list) {
        if (!a.empty()) dst.push_back(std::move(a));
      }
    }
  }
  if (const auto* v = FindField(f, "Return-Path")) {
    m->has_return_path = true;
    // "<>" (the null sender of bounces and auto replies) gives "".
    m->return_path = ParseMailbox(*v).addr;
  }
  if (const auto* v = FindField(f, "Subject")) {
    m->subject = core::StripCrLf(DecodeHeaderText(*v));
  }
  if (const auto* v = FindField(f, "Date")) {
    m->date = ParseRfc5322Date(*v);
    if (!m->date) Warn(m, "invalid date: " + *v);
  }
  if (const auto* v = FindField(f, "In-Reply-To")) {
    auto ids = ExtractMessageIds(*v);
    if (!ids.empty()) m->in_reply_to = ids.front();
  }
  if (const auto* v = FindField(f, "References")) {
    m->references = ExtractMessageIds(*v);
  }
  if (const auto* v = FindField(f, "Content-Language")) {
    m->content_language = core::AsciiLower(core::Trim(*v));
  }
  if (const auto* v = FindField(f, "Content-Type")) {
    m->content_type = MediaType(*v);
  }
  if (m->content_type.find('/') == std::string::npos) {
    m->content_type = "text/plain";  // RFC 2045 5.2 default
  }
}

// A text part kept for later decoding (HTML only used when no plain text).
// Inline text/plain parts after the first that are added to the text.
constexpr size_t kMaxExtraTextParts = 16;

struct TextCandidate {
  std::string_view body;
  std::string cte;
  std::string charset;
  bool set = false;
};

// State of one walk over the MIME tree.
class Walker {
 public:
  Walker(const core::Limits& limits, core::Message* m)
      : limits_(limits), m_(m) {}

  // Walks the entity with header `fields` and `body`; `depth` is the number
  // of enclosing multiparts; `default_type` applies when Content-Type is
  // missing (message/rfc822 inside multipart/digest).
  core::Status Walk(const std::vector<core::HeaderField>& fields,
                    std::string_view body, size_t depth,
                    std::string_view default_type, bool in_report) {
    const std::string* ct_raw = FindField(fields, "Content-Type");
    HeaderParams ct;
    std::string type;
    if (ct_raw != nullptr) {
      ct = ParseHeaderParams(*ct_raw);
      type = MediaType(ct.value);
      if (type == "multipart") type = "multipart/mixed";
      if (type == "text") type = "text/plain";
      if (type.find('/') == std::string::npos) {
        Warn(m_, "invalid content type \"" + *ct_raw + "\", read as " +
                     std::string(default_type));
        type = std::string(default_type);
      }
    } else {
      type = std::string(default_type);
    }
    if (type.starts_with("multipart/")) {
      if (type == "multipart/report" && m_->report_type.empty()) {
        if (const auto* rt = ct.Get("report-type")) {
          m_->report_type = core::AsciiLower(core::Trim(*rt));
        }
        in_report = true;
      }
      const std::string* param = ct.Get("boundary");
      std::string boundary = param != nullptr ? *param : "";
      std::vector<std::string_view> parts;
      bool closed = false;
      bool split = !boundary.empty() && Split(body, boundary, &parts, &closed);
      if (!split) {
        // A truncated or wrong boundary parameter (seen in old bounces and
        // spam): if the body has delimiter-shaped lines, use them.
        std::string guess = GuessBoundary(body);
        std::string why =
            boundary.empty()
                ? type + " without boundary parameter"
                : type + ": no boundary line \"--" + boundary + "\" found";
        if (guess.empty()) {
          Warn(m_, why + ", read as one text part");
          return Leaf(fields, "text/plain", ct, body, in_report);
        }
        Warn(m_, why + ", boundary \"" + guess + "\" guessed from the body");
        boundary = guess;
        parts.clear();
        split = Split(body, boundary, &parts, &closed);
        INBOXD_CHECK(split);  // GuessBoundary saw such a line
      }
      if (depth + 1 > limits_.mime_max_depth) {
        return core::Fail(core::Error::DataLoss(
            Over("mime depth", depth + 1, limits_.mime_max_depth)));
      }
      if (parts.empty()) {
        Warn(m_, type +
                     ": closing boundary before any part, read as one "
                     "text part");
        return Leaf(fields, "text/plain", ct, body, in_report);
      }
      if (!closed) {
        Warn(m_, type + ": closing boundary \"--" + boundary + "--\" missing");
      }
      std::string child_default =
          type == "multipart/digest" ? "message/rfc822" : "text/plain";
      for (std::string_view part : parts) {
        if (++part_count_ > limits_.mime_max_parts) {
          return core::Fail(core::Error::DataLoss(
              Over("mime part count", part_count_, limits_.mime_max_parts)));
        }
        HeaderBlock hb = ParseHeaderBlock(part, limits_.max_header_bytes);
        if (hb.truncated) {
          return core::Fail(
              core::Error::DataLoss(Over("part header block", hb.header_bytes,
                                         limits_.max_header_bytes, "bytes")));
        }
        for (auto& w : hb.warnings) Warn(m_, "part: " + w);
        auto st = Walk(hb.fields, part.substr(hb.body_offset), depth + 1,
                       child_default, in_report);
        if (!st) return st;
      }
      return core::Ok();
    }
    return Leaf(fields, type, ct, body, in_report);
  }

  // After the walk: picks the body text from the candidates.
  void Finish() {
    // Plain text first, then HTML, then other text/*; a blank part only
    // when nothing better exists.
    TextCandidate* order[] = {&plain_, &html_, &other_text_};
    TextCandidate* pick = nullptr;
    for (TextCandidate* c : order) {
      if (c->set && !IsBlank(c->body)) {
        pick = c;
        break;
      }
    }
    if (pick == nullptr) {
      for (TextCandidate* c : order) {
        if (c->set) {
          pick = c;
          break;
        }
      }
    }
    if (pick != nullptr) SetText(*pick, pick == &html_);
    if (pick == &plain_) {
      for (const TextCandidate& c : more_plain_) {
        std::string more =
            CrLfToLf(DecodeToUtf8(DecodeBody(c.body, c.cte), c.charset));
        m_->text += "\n\n";
        m_->text += more;
      }
    }
    if (m_->delivery_status && !m_->original_headers.empty() &&
        m_->delivery_status->original_message_id.empty()) {
      m_->delivery_status->original_message_id = original_id_;
    }
  }

 private:
  // Splits a multipart body at lines "--boundary" (RFC 2046 5.1.1: a
  // delimiter is at a line start, followed only by optional "--" and
  // whitespace). Preamble and epilogue are dropped. Returns false when no
  // delimiter line exists.
  static bool Split(std::string_view body, std::string_view boundary,
                    std::vector<std::string_view>* parts, bool* closed) {
    std::string delim = "--" + std::string(boundary);
    size_t search = 0;
    size_t part_begin = std::string_view::npos;  // after the last delimiter
    *closed = false;
    while (search < body.size()) {
      size_t hit = body.find(delim, search);
      if (hit == std::string_view::npos) break;
      search = hit + 1;
      if (hit != 0 && body[hit - 1] != '\n') continue;  // mid-line
      size_t p = hit + delim.size();
      bool is_close = body.substr(p, 2) == "--";
      if (is_close) p += 2;
      while (p < body.size() && (body[p] == ' ' || body[p] == '\t')) ++p;
      if (p < body.size() && body[p] != '\r' && body[p] != '\n') {
        continue;  // "--b1x": another boundary that starts with ours
      }
      if (p < body.size() && body[p] == '\r') ++p;
      if (p < body.size() && body[p] == '\n') ++p;
      if (part_begin != std::string_view::npos) {
        // The line break before the delimiter belongs to the delimiter.
        size_t end = hit;
        if (end > part_begin && body[end - 1] == '\n') --end;
        if (end > part_begin && body[end - 1] == '\r') --end;
        parts->push_back(body.substr(part_begin, end - part_begin));
      }
      if (is_close) {
        *closed = true;
        return true;
      }
      part_begin = p;
      search = p;
    }
    if (part_begin == std::string_view::npos) return false;
    parts->push_back(body.substr(part_begin));  // unclosed: runs to the end
    return true;
  }

  // Returns the boundary of the first line "--X" (X 1-70 bytes, no
  // whitespace) that is followed by a header field or a blank line and that
  // occurs again later as a delimiter; "" when there is none. Looks at the
  // first kMaxGuessLines delimiter-shaped lines only.
  static std::string GuessBoundary(std::string_view body) {
    constexpr size_t kMaxGuessLines = 16;
    constexpr size_t kMaxBoundaryBytes = 70;  // RFC 2046 5.1.1
    size_t tried = 0;
    size_t pos = 0;
    while (pos < body.size() && tried < kMaxGuessLines) {
      size_t hit = body.find("--", pos);
      if (hit == std::string_view::npos) break;
      pos = hit + 2;
      if (hit != 0 && body[hit - 1] != '\n') continue;
      size_t eol = body.find('\n', hit);
      if (eol == std::string_view::npos) break;
      std::string_view b = core::Trim(body.substr(hit + 2, eol - hit - 2));
      if (b.empty() || b.size() > kMaxBoundaryBytes ||
          b.find_first_of(" \t") != std::string_view::npos) {
        continue;
      }
      ++tried;
      // The next line must start a part: a header field or a blank line.
      std::string_view next = body.substr(eol + 1);
      next = next.substr(0, next.find('\n'));
      if (!next.empty() && next.back() == '\r') next.remove_suffix(1);
      size_t colon = next.find(':');
      bool starts_part =
          next.empty() || (colon != std::string_view::npos && colon > 0 &&
                           next.substr(0, colon).find_first_of(" \t") ==
                               std::string_view::npos);
      if (!starts_part) continue;
      std::string delim = "\n--" + std::string(b);
      if (body.find(delim, eol) == std::string_view::npos) continue;
      return std::string(b);
    }
    return "";
  }

  core::Status Leaf(const std::vector<core::HeaderField>& fields,
                    const std::string& type, const HeaderParams& ct,
                    std::string_view body, bool in_report) {
    m_->part_types.push_back(type);
    std::string cte;
    if (const auto* v = FindField(fields, "Content-Transfer-Encoding")) {
      cte = MediaType(*v);
      if (!cte.empty() && cte != "7bit" && cte != "8bit" && cte != "binary" &&
          cte != "base64" && cte != "quoted-printable") {
        Warn(m_, "unknown content-transfer-encoding \"" + cte + "\" in " +
                     type + " part, body kept as is");
      }
    }
    HeaderParams disp;
    if (const auto* v = FindField(fields, "Content-Disposition")) {
      disp = ParseHeaderParams(*v);
    }
    std::string disp_type = core::AsciiLower(disp.value);
    std::string filename;
    if (const auto* v = disp.Get("filename")) filename = *v;
    if (filename.empty()) {
      if (const auto* v = ct.Get("name")) filename = *v;
    }
    filename = core::StripCrLf(filename);

    bool report_part = type == "message/delivery-status" ||
                       type == "message/global-delivery-status" ||
                       type == "text/rfc822-headers" ||
                       type == "message/global-headers" ||
                       type == "message/disposition-notification" ||
                       type == "message/feedback-report";
    if (type == "message/delivery-status" ||
        type == "message/global-delivery-status") {
      if (!m_->delivery_status) ParseDsn(DecodeBody(body, cte));
    }
    if ((type == "message/rfc822" || type == "text/rfc822-headers" ||
         type == "message/global" || type == "message/global-headers") &&
        in_report && m_->original_headers.empty()) {
      std::string inner = DecodeBody(body, cte);
      HeaderBlock hb = ParseHeaderBlock(inner, limits_.max_header_bytes);
      m_->original_headers = inner.substr(0, hb.header_bytes);
      if (const auto* v = FindField(hb.fields, "Message-ID")) {
        auto ids = ExtractMessageIds(*v);
        if (!ids.empty()) original_id_ = ids.front();
      }
    }
    bool attachment = disp_type == "attachment" || !filename.empty() ||
                      (!type.starts_with("text/") && !report_part);
    if (attachment) {
      core::Attachment a;
      a.filename = std::move(filename);
      a.content_type = type;
      a.size = DecodedSize(body, cte);
      m_->attachments.push_back(std::move(a));
      // An inline text part with a file name (Thunderbird does this) is
      // still listed as an attachment but may carry the only body text.
      if (disp_type == "attachment" ||
          (type != "text/plain" && type != "text/html")) {
        return core::Ok();
      }
    }
    TextCandidate* slot = nullptr;
    if (type == "text/plain") {
      slot = &plain_;
    } else if (type == "text/html") {
      slot = &html_;
    } else if (!report_part && type.starts_with("text/")) {
      slot = &other_text_;
    }
    // The first part with text wins; a blank one only until a part with
    // text turns up (broken nesting often leaves empty text parts).
    if (slot == &plain_ && plain_.set && !IsBlank(plain_.body) &&
        !IsBlank(body) && more_plain_.size() < kMaxExtraTextParts) {
      // A further inline text/plain part (a gateway notice, a second
      // message body): mail clients show it below the first, so the text
      // that classification reads includes it.
      const std::string* cs = ct.Get("charset");
      more_plain_.push_back({body, cte, cs != nullptr ? *cs : "", true});
      return core::Ok();
    }
    if (slot != nullptr &&
        (!slot->set || (IsBlank(slot->body) && !IsBlank(body)))) {
      slot->body = body;
      slot->cte = cte;
      const std::string* cs = ct.Get("charset");
      slot->charset = cs != nullptr ? *cs : "";
      slot->set = true;
    }
    return core::Ok();
  }

  void SetText(const TextCandidate& c, bool html) {
    std::string bytes = DecodeBody(c.body, c.cte);
    std::string used;
    std::string text = DecodeToUtf8(bytes, c.charset, &used);
    if (html) text = HtmlToText(text);
    m_->text = CrLfToLf(std::move(text));
    m_->text_from_html = html;
    m_->text_charset = used;
  }

  // RFC 3464: a per-message block, then per-recipient blocks, each a set
  // of header-like fields separated by blank lines. The first recipient
  // block with an Action or Final-Recipient is used.
  void ParseDsn(std::string_view text) {
    core::DeliveryStatus ds;
    size_t pos = 0;
    size_t blocks = 0;
    while (pos < text.size() && blocks++ < limits_.mime_max_parts) {
      while (pos < text.size() && (text[pos] == '\r' || text[pos] == '\n')) {
        ++pos;
      }
      if (pos >= text.size()) break;
      HeaderBlock hb =
          ParseHeaderBlock(text.substr(pos), limits_.max_header_bytes);
      if (hb.body_offset == 0) break;
      pos += hb.body_offset;
      const std::string* action = FindField(hb.fields, "Action");
      const std::string* rcpt = FindField(hb.fields, "Final-Recipient");
      if (action == nullptr && rcpt == nullptr) continue;
      if (action != nullptr) ds.action = core::AsciiLower(core::Trim(*action));
      if (const auto* s = FindField(hb.fields, "Status")) {
        std::string_view sv = core::Trim(*s);
        ds.status = std::string(sv.substr(0, sv.find_first_of(" \t(")));
      }
      if (rcpt != nullptr) {
        std::string_view r = *rcpt;
        if (size_t semi = r.find(';'); semi != std::string_view::npos) {
          r = r.substr(semi + 1);  // "rfc822; user@example.com"
        }
        ds.final_recipient = ParseMailbox(r).addr;
      }
      if (const auto* d = FindField(hb.fields, "Diagnostic-Code")) {
        ds.diagnostic_code = core::Printable(*d);
      }
      break;
    }
    m_->delivery_status = std::move(ds);
  }

  const core::Limits& limits_;
  core::Message* m_;
  size_t part_count_ = 1;  // the top-level entity
  TextCandidate plain_;
  std::vector<TextCandidate> more_plain_;  // later inline text/plain parts
  TextCandidate html_;
  TextCandidate other_text_;
  std::string original_id_;
};

core::Result<core::Message> ParseUnchecked(std::string_view raw,
                                           const core::Limits& limits) {
  core::Message m;
  m.raw_size = raw.size();
  m.sha256 = core::Sha256Hex(raw);
  if (raw.size() > limits.max_message_bytes) {
    return core::Fail(core::Error::DataLoss(
        Over("message", raw.size(), limits.max_message_bytes, "bytes")));
  }
  HeaderBlock hb = ParseHeaderBlock(raw, limits.max_header_bytes);
  if (hb.truncated) {
    return core::Fail(core::Error::DataLoss(Over(
        "header block", hb.header_bytes, limits.max_header_bytes, "bytes")));
  }
  if (hb.fields.empty()) {
    return core::Fail(core::Error::DataLoss("no header block"));
  }
  for (auto& w : hb.warnings) Warn(&m, std::move(w));
  hb.warnings.clear();
  FillHeaderFields(hb, &m);
  Walker walker(limits, &m);
  auto st = walker.Walk(m.headers, raw.substr(hb.body_offset), 0, "text/plain",
                        false);
  if (!st) return core::Fail(st.error());
  walker.Finish();
  for (const auto& h : m.headers) {
    for (char c : h.value) {
      if (static_cast<unsigned char>(c) >= 0x80) {
        if (!core::IsValidUtf8(h.value)) {
          Warn(&m, "8-bit bytes in header " + h.name);
        }
        break;
      }
    }
  }
  return m;
}

}  // namespace

core::Result<core::Message> ParseMessage(std::string_view raw,
                                         const core::Limits& limits) {
  try {
    return ParseUnchecked(raw, limits);
  } catch (const std::exception& e) {
    return core::Fail(
        core::Error::DataLoss(std::string("mime parse: ") + e.what()));
  } catch (...) {
    return core::Fail(core::Error::DataLoss("mime parse: unknown exception"));
  }
}

core::Message ParseHeadersBestEffort(std::string_view raw,
                                     const core::Limits& limits) {
  core::Message m;
  m.raw_size = raw.size();
  m.sha256 = core::Sha256Hex(raw);
  try {
    HeaderBlock hb = ParseHeaderBlock(raw, limits.max_header_bytes);
    if (hb.truncated) {
      Warn(&m, Over("header block", hb.header_bytes, limits.max_header_bytes,
                    "bytes") +
                   ", read up to the limit");
    }
    for (auto& w : hb.warnings) Warn(&m, std::move(w));
    hb.warnings.clear();
    FillHeaderFields(hb, &m);
  } catch (const std::exception& e) {
    Warn(&m, std::string("header parse: ") + e.what());
  } catch (...) {
    Warn(&m, "header parse: unknown exception");
  }
  return m;
}

}  // namespace inboxd::ingest
