// export.h: the audit log and the tickets as CSV or JSON Lines, for
// managers and their spreadsheets (issue 11 item 3, POLICY A1-A3).
//
// What it does: streams the events (Store::ScanEvents) or the tickets
// (Store::ListTickets, page by page) to an std::ostream, one row as it is
// read, so memory stays constant whatever the size of the store. It only
// reads the store.
//
// CSV (RFC 4180): UTF-8, CRLF line ends, a header row, a field quoted when
// it holds a comma, a quote, CR or LF (quotes doubled), optionally the
// UTF-8 byte order mark first (Excel reads UTF-8 only with it). Every cell
// that begins with '=', '+', '-', '@', TAB or CR gets a single quote in
// front (OWASP "CSV injection"), so a spreadsheet shows it as text instead
// of running it as a formula: "=HYPERLINK(...)" is written "'=HYPERLINK(...)".
// The cost: a cell such as "-2" reads back as "'-2".
// JSON Lines: one JSON object per line ("\n"), no byte order mark.
//
// Redaction (POLICY A3, Redactor): every run of text with an '@' in it (an
// address, a Message-ID, anything address-like) becomes
// "addr:<16 hex of HMAC-SHA256(key, lower-cased run)>", the same token for
// the same address across exports under the same key; fields that hold
// subjects, bodies, names or reasons are left out.
//
// What it does not do: choose the key (the caller passes it, the app uses
// the responder's HMAC key), open files or rename them (the caller owns the
// stream), or record the export in the audit log (the caller does, after
// the export, so it is not part of it).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"
#include "store/store.h"

namespace inboxd::store {

// The UTF-8 byte order mark (--bom).
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Writes RFC 4180 rows: Field() for each cell, then EndRow(). Does not own
// `out`, which must outlive it.
class CsvWriter {
 public:
  explicit CsvWriter(std::ostream& out) : out_(out) {}
  // Writes the UTF-8 byte order mark; call before the first row.
  void WriteBom() { out_ << kUtf8Bom; }
  // Appends one cell to the current row (neutralised, then quoted as
  // needed: see Cell).
  void Field(std::string_view value);
  // Ends the row with CRLF.
  void EndRow();
  // One cell as written: a value beginning with '=', '+', '-', '@', TAB or
  // CR gets a "'" in front; the result is quoted (quotes doubled) when it
  // holds a comma, a quote, CR or LF.
  static std::string Cell(std::string_view value);

 private:
  std::ostream& out_;
  bool first_ = true;
};

// Replaces addresses by stable keyed tokens and leaves out personal text
// (POLICY A3). Immutable after construction: safe to share between threads.
class Redactor {
 public:
  // `key`: the HMAC key (the responder's, so tokens match across exports
  // of one installation). REQUIRES: not empty.
  explicit Redactor(std::string key) : key_(std::move(key)) {}
  // "addr:" + the first 16 hex of HMAC-SHA256(key, lower-cased address).
  std::string Token(std::string_view address) const;
  // `text` with every address-like run replaced by its Token. A run is the
  // text between delimiters (white space and <>()[]{},;:"') that holds an
  // '@', so the result has no '@' at all.
  std::string Text(std::string_view text) const;
  // The Tokens of the address-like runs in `text`, joined by " " (""
  // when none): what is kept of free text that names someone.
  std::string AddressesOnly(std::string_view text) const;
  // Event data (a JSON object text) redacted: every member named subject,
  // original_subject, text, body, reasons, customer_name, name or detail is
  // left out at any depth; a string holding an '@' keeps only its Tokens
  // (AddressesOnly); other values stay. Text that is not a JSON object
  // gives "{}".
  std::string Data(std::string_view json) const;
  // True for the member names Data leaves out.
  static bool IsDroppedKey(std::string_view key);

 private:
  std::string key_;
};

enum class ExportFormat { kCsv, kJsonl };

struct ExportOptions {
  ExportFormat format = ExportFormat::kCsv;
  // Events: at >= since and at < until. Tickets: opened_at in that range.
  std::optional<core::TimePoint> since;
  std::optional<core::TimePoint> until;
  // Events: their mailbox column; tickets: any of their mailboxes. "": any.
  std::string mailbox;
  // Events about that ticket; that ticket only. 0: any.
  int64_t ticket_id = 0;
  bool bom = false;  // CSV only: the UTF-8 byte order mark first
  // Not owned; nullptr: no redaction (personal data merged back in).
  const Redactor* redactor = nullptr;
};

// The ticket id for "Q-1000" (a tag, see Ticket::Tag) or "42" (an id).
// Errors: kInvalidArgument when `text` is neither; kNotFound when no such
// ticket; the store's.
core::Result<int64_t> ResolveTicket(Store& store, std::string_view text);

// Writes the events matching `options`, oldest first. Columns (CSV header
// and JSON members, in this order): id, at (RFC 3339 UTC), type, mailbox,
// ticket (the tag, "" when none), message_row ("" / null when none),
// actor, data (the event's data with its personal fields merged back; a
// nested object in JSON Lines, its JSON text in CSV), personal_erased
// (true/false: its personal fields were erased; data then holds only the
// rest), hash, prev_hash. Ticket tags are looked up through a cache of at
// most kTagCacheSize entries. Returns the rows written (the header not
// counted). Errors: the store's; kUnavailable when `out` fails.
inline constexpr size_t kTagCacheSize = 4096;
core::Result<int64_t> ExportEvents(Store& store, const ExportOptions& options,
                                   std::ostream& out);

// Writes the tickets matching `options` by id, with their milestones and
// the evidence that met them. CSV: one row per milestone (the ticket's
// columns repeated; a ticket without milestones gives one row with the
// milestone columns empty). JSON Lines: one ticket per line with a
// "milestones" array (each with an "evidence" object, null until met).
// Times are RFC 3339 UTC, "" / null when unset. Redacted: customer, owner
// and every other text with an address become Tokens and the subject is
// left out (CSV: empty; JSON: no member). Returns the rows written (CSV
// lines after the header, or JSON lines). Errors: the store's;
// kUnavailable when `out` fails.
core::Result<int64_t> ExportTickets(Store& store, const ExportOptions& options,
                                    std::ostream& out);

}  // namespace inboxd::store
