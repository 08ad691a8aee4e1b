// folder_names.h: a configured folder name to the server's own name.
//
// Does: ResolveFolder picks the server's folder for a configured name from
// LIST (with SPECIAL-USE attributes, RFC 6154) and the personal namespace
// (NAMESPACE, RFC 2342): "Sent" is "INBOX.Sent" on Cyrus (prefix "INBOX.",
// separator "."), the \Sent folder ("Sent Items" on Exchange, "[Gmail]/Sent
// Mail" on Gmail) when no folder has the configured name, and "" for the
// Sent folder means the \Sent folder. Modified UTF-7 (RFC 3501 5.1.3)
// names are decoded for display and configured non-ASCII names encoded for
// the wire. Does not: talk to a server (MailSource::ListFolders and
// PersonalNamespace give the input).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "ingest/mail_source.h"
#include "ingest/sync_sink.h"

namespace inboxd::ingest {

// The server's wire name for `utf8` ("Entwürfe" -> "Entw&APw-rfe"); ASCII
// without '&' is unchanged. nullopt when `utf8` is not valid UTF-8.
std::optional<std::string> EncodeModifiedUtf7(std::string_view utf8);

// The UTF-8 form of a wire name, for logs and reports; a name that is not
// valid modified UTF-7 is returned as it is.
std::string DecodeModifiedUtf7(std::string_view wire);

struct FolderChoice {
  std::string name;  // wire name to EXAMINE; "" = none (Sent only)
  std::string why;   // "as configured", "the \\Sent folder", ...
};

// Finds the folder for `configured` (a name from the config, UTF-8) with
// `role`, in this order: INBOX (any case); the name itself, or its modified
// UTF-7 form; the name under the personal namespace prefix (with '/' in it
// read as the server's separator); for the Sent role, the \Sent SPECIAL-USE
// folder, then a well-known Sent name (Sent, Sent Items, Sent Messages,
// Sent Mail, Gesendete Elemente, Gesendete Objekte, Gesendet, 已发送, ...);
// last, the one folder whose name matches ignoring ASCII case. Only
// selectable folders count. An empty `configured` for the Sent role is
// the \Sent folder or a well-known name, and no folder at all is not an
// error (name ""). Errors: kNotFound naming the configured name and listing
// the server's folders (decoded).
core::Result<FolderChoice> ResolveFolder(std::string_view configured,
                                         FolderRole role,
                                         const std::vector<FolderInfo>& list,
                                         const NamespaceInfo& personal);

}  // namespace inboxd::ingest
