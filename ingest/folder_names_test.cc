#include "ingest/folder_names.h"

#include <gtest/gtest.h>

namespace inboxd::ingest {
namespace {

FolderInfo F(std::string name, bool sent = false, bool noselect = false) {
  FolderInfo f;
  f.name = std::move(name);
  f.is_sent = sent;
  f.no_select = noselect;
  return f;
}

TEST(ModifiedUtf7Test, RoundTripsRfc3501ExamplesAndOthers) {
  // RFC 3501 5.1.3's example.
  EXPECT_EQ(DecodeModifiedUtf7("~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            "~peter/mail/台北/日本語");
  EXPECT_EQ(EncodeModifiedUtf7("~peter/mail/台北/日本語").value(),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  EXPECT_EQ(EncodeModifiedUtf7("Entwürfe").value(), "Entw&APw-rfe");
  EXPECT_EQ(DecodeModifiedUtf7("Entw&APw-rfe"), "Entwürfe");
  EXPECT_EQ(EncodeModifiedUtf7("Q&A").value(), "Q&-A");
  EXPECT_EQ(DecodeModifiedUtf7("Q&-A"), "Q&A");
  EXPECT_EQ(EncodeModifiedUtf7("Sent Items").value(), "Sent Items");
  for (std::string s : {"Отправленные", "已发送", "ارسال شده", "😀 mail"}) {
    auto wire = EncodeModifiedUtf7(s);
    ASSERT_TRUE(wire.has_value()) << s;
    for (char c : *wire) EXPECT_TRUE(c >= 0x20 && c <= 0x7E) << s;
    EXPECT_EQ(DecodeModifiedUtf7(*wire), s);
  }
  EXPECT_FALSE(EncodeModifiedUtf7("bad \xff").has_value());
  // Not valid modified UTF-7: shown as it is.
  EXPECT_EQ(DecodeModifiedUtf7("a&b"), "a&b");
  EXPECT_EQ(DecodeModifiedUtf7("a&!!-"), "a&!!-");
}

TEST(ResolveFolderTest, ServersNameTheirSentFolderDifferently) {
  const NamespaceInfo none{"", '/'};
  // Dovecot: as configured.
  std::vector<FolderInfo> dovecot = {F("INBOX"), F("Sent", true)};
  auto d = ResolveFolder("Sent", FolderRole::kSent, dovecot, none);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->name, "Sent");
  EXPECT_EQ(d->why, "as configured");
  // Cyrus: personal namespace "INBOX." with '.', no SPECIAL-USE.
  const NamespaceInfo cyrus_ns{"INBOX.", '.'};
  std::vector<FolderInfo> cyrus = {F("INBOX"), F("INBOX.Sent"),
                                   F("INBOX.Support.Quotes")};
  auto c = ResolveFolder("Sent", FolderRole::kSent, cyrus, cyrus_ns);
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->name, "INBOX.Sent");
  auto sub =
      ResolveFolder("Support/Quotes", FolderRole::kIncoming, cyrus, cyrus_ns);
  ASSERT_TRUE(sub.has_value()) << sub.error().ToString();
  EXPECT_EQ(sub->name, "INBOX.Support.Quotes");
  // Cyrus with nothing configured: no \Sent flag, but a usual name.
  auto c0 = ResolveFolder("", FolderRole::kSent, cyrus, cyrus_ns);
  ASSERT_TRUE(c0.has_value());
  EXPECT_EQ(c0->name, "INBOX.Sent");
  // Exchange / Microsoft 365: "Sent Items" carries \Sent.
  std::vector<FolderInfo> exchange = {F("INBOX"), F("Sent Items", true),
                                      F("Deleted Items")};
  auto e = ResolveFolder("Sent", FolderRole::kSent, exchange, none);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->name, "Sent Items");
  EXPECT_EQ(e->why, "the \\Sent SPECIAL-USE folder");
  // Gmail: "[Gmail]/Sent Mail" with \Sent; "[Gmail]" itself \Noselect.
  std::vector<FolderInfo> gmail = {F("INBOX"), F("[Gmail]", false, true),
                                   F("[Gmail]/All Mail"),
                                   F("[Gmail]/Sent Mail", true)};
  auto g = ResolveFolder("Sent", FolderRole::kSent, gmail, none);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->name, "[Gmail]/Sent Mail");
  // Exchange in German without SPECIAL-USE: a usual name.
  std::vector<FolderInfo> german = {F("INBOX"), F("Gesendete Elemente")};
  auto de = ResolveFolder("Sent", FolderRole::kSent, german, none);
  ASSERT_TRUE(de.has_value());
  EXPECT_EQ(de->name, "Gesendete Elemente");
  // A non-ASCII configured name is matched by its wire form.
  std::vector<FolderInfo> ru = {F("INBOX"),
                                F(EncodeModifiedUtf7("Отправленные").value())};
  auto r = ResolveFolder("Отправленные", FolderRole::kSent, ru, none);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->name, "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-");
}

TEST(ResolveFolderTest, IncomingFoldersAndErrors) {
  const NamespaceInfo none{"", '/'};
  std::vector<FolderInfo> list = {F("INBOX"), F("Support"),
                                  F("Archive", false, true)};
  EXPECT_EQ(ResolveFolder("inbox", FolderRole::kIncoming, list, none)->name,
            "INBOX");
  EXPECT_EQ(ResolveFolder("support", FolderRole::kIncoming, list, none)->name,
            "Support");  // one folder matches ignoring case
  auto missing = ResolveFolder("Quotes", FolderRole::kIncoming, list, none);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, core::Code::kNotFound);
  EXPECT_NE(missing.error().message.find("\"Support\""), std::string::npos)
      << missing.error().message;
  // \Noselect never counts, and an incoming folder is never the \Sent one.
  EXPECT_FALSE(
      ResolveFolder("Archive", FolderRole::kIncoming, list, none).has_value());
  std::vector<FolderInfo> with_sent = {F("INBOX"), F("Sent Items", true)};
  EXPECT_FALSE(ResolveFolder("Sent", FolderRole::kIncoming, with_sent, none)
                   .has_value());
  // No Sent folder at all: "" for an empty configured name, an error for a
  // configured one.
  std::vector<FolderInfo> bare = {F("INBOX")};
  auto none_sent = ResolveFolder("", FolderRole::kSent, bare, none);
  ASSERT_TRUE(none_sent.has_value());
  EXPECT_EQ(none_sent->name, "");
  EXPECT_FALSE(ResolveFolder("Sent", FolderRole::kSent, bare, none));
}

}  // namespace
}  // namespace inboxd::ingest
