#include "ingest/imap_parser.h"

#include <gtest/gtest.h>

namespace inboxd::ingest {
namespace {

using Kind = ImapValue::Kind;

TEST(ImapParserTest, StatusResponses) {
  struct Case {
    std::string raw;
    ImapResponse::Type type;
    std::string tag, status, code, code_args, text;
  } cases[] = {
      {"* OK [UIDVALIDITY 1795337682] UIDs valid\r\n",
       ImapResponse::Type::kUntagged, "", "OK", "UIDVALIDITY", "1795337682",
       "UIDs valid"},
      {"A1 ok [READ-ONLY] Examine completed.\r\n", ImapResponse::Type::kTagged,
       "A1", "OK", "READ-ONLY", "", "Examine completed."},
      {"x7 NO [NONEXISTENT] Mailbox doesn't exist: Nope\r\n",
       ImapResponse::Type::kTagged, "x7", "NO", "NONEXISTENT", "",
       "Mailbox doesn't exist: Nope"},
      {"* BYE Server shutting down.\r\n", ImapResponse::Type::kUntagged, "",
       "BYE", "", "", "Server shutting down."},
      {"* OK [PERMANENTFLAGS (\\Deleted \\*)] Limited\r\n",
       ImapResponse::Type::kUntagged, "", "OK", "PERMANENTFLAGS",
       "(\\Deleted \\*)", "Limited"},
      // Text may hold anything, including unbalanced quotes and brackets.
      {"T2 BAD Error in IMAP command \"x: ( [\r\n", ImapResponse::Type::kTagged,
       "T2", "BAD", "", "", "Error in IMAP command \"x: ( ["},
      {"+ idling\r\n", ImapResponse::Type::kContinuation, "", "", "", "",
       "idling"},
      {"+\r\n", ImapResponse::Type::kContinuation, "", "", "", "", ""},
      // RFC 7162 3.1.2.1 and 3.1.2.2, after EXAMINE with CONDSTORE.
      {"* OK [HIGHESTMODSEQ 715194045007] Highest\r\n",
       ImapResponse::Type::kUntagged, "", "OK", "HIGHESTMODSEQ", "715194045007",
       "Highest"},
      {"* OK [NOMODSEQ] Sorry, this mailbox format doesn't support "
       "modsequences\r\n",
       ImapResponse::Type::kUntagged, "", "OK", "NOMODSEQ", "",
       "Sorry, this mailbox format doesn't support modsequences"},
  };
  for (const auto& c : cases) {
    auto r = ParseImapResponse(c.raw);
    ASSERT_TRUE(r.has_value()) << c.raw << ": " << r.error().ToString();
    EXPECT_EQ(r->type, c.type) << c.raw;
    EXPECT_EQ(r->tag, c.tag) << c.raw;
    EXPECT_EQ(r->status, c.status) << c.raw;
    EXPECT_EQ(r->code, c.code) << c.raw;
    EXPECT_EQ(r->code_args, c.code_args) << c.raw;
    EXPECT_EQ(r->text, c.text) << c.raw;
  }
}

TEST(ImapParserTest, RejectsMalformed) {
  const char* bad[] = {
      "",                                      // empty
      "* OK no crlf",                          // no CRLF
      "A1\r\n",                                // tag only
      "A1 FETCH (UID 1)\r\n",                  // tagged without status
      "* 3 FETCH (UID 1\r\n",                  // unclosed list
      "* 3 FETCH (UID 1))\r\n",                // unbalanced ')'
      "* 3 FETCH (BODY[] {10}\r\nshort)\r\n",  // literal past the end
      "* 3 FETCH (BODY[] {x}\r\nabc)\r\n",     // bad literal size
      "* LIST () \"/ INBOX\r\n",               // unterminated quoted
      "* 3\r\n",                               // number without name
      "* 1 FETCH (BODY[HEADER {3}\r\n",        // unclosed '['
      "* OK [UIDVALIDITY 1 text\r\n",          // unclosed code
  };
  for (const char* raw : bad) {
    auto r = ParseImapResponse(raw);
    EXPECT_FALSE(r.has_value()) << raw;
    if (!r) {
      EXPECT_EQ(r.error().code, core::Code::kUnavailable) << raw;
    }
  }
}

TEST(ImapParserTest, FetchWithLiteralHoldingProtocolLookalikes) {
  // The body holds a tagged OK, an untagged FETCH and a fake literal marker;
  // all of it must come back as the literal's bytes.
  std::string body =
      "Subject: x\r\n\r\nA004 OK injected\r\n* 9 FETCH (FLAGS (\\Deleted))\r\n"
      "{5}\r\n\0NUL\xff)\r\n";
  body.push_back('\0');
  std::string raw =
      "* 12 FETCH (UID 42 INTERNALDATE \"17-Jul-1996 02:44:25 "
      "-0700\" RFC822.SIZE " +
      std::to_string(body.size()) + " BODY[] {" + std::to_string(body.size()) +
      "}\r\n" + body + ")\r\n";
  auto r = ParseImapResponse(raw);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->type, ImapResponse::Type::kUntagged);
  EXPECT_EQ(r->number, 12u);
  EXPECT_EQ(r->name, "FETCH");
  ASSERT_EQ(r->values.size(), 1u);
  const auto& kv = r->values[0].list;
  ASSERT_EQ(kv.size(), 8u);
  EXPECT_TRUE(kv[0].IsAtom("uid"));
  EXPECT_EQ(kv[1].AsNumber(), 42u);
  EXPECT_EQ(kv[3].kind, Kind::kString);
  EXPECT_EQ(kv[3].text, "17-Jul-1996 02:44:25 -0700");
  EXPECT_TRUE(kv[6].IsAtom("BODY[]"));
  EXPECT_EQ(kv[7].kind, Kind::kString);
  EXPECT_EQ(kv[7].text, body);
}

TEST(ImapParserTest, Tokens) {
  auto r = ParseImapResponse(
      "* 1 FETCH (FLAGS () BODY[HEADER.FIELDS (SUBJECT DATE)]<0> {2}\r\nab "
      "X NIL \"q \\\"x\\\" \\\\\" ~{3}\r\n\x01\x02\x03 (a (b (c))))\r\n");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  const auto& kv = r->values[0].list;
  ASSERT_EQ(kv.size(), 9u);
  EXPECT_EQ(kv[0].text, "FLAGS");
  EXPECT_EQ(kv[1].kind, Kind::kList);
  EXPECT_TRUE(kv[1].list.empty());
  EXPECT_EQ(kv[2].text, "BODY[HEADER.FIELDS (SUBJECT DATE)]<0>");
  EXPECT_EQ(kv[3].text, "ab");
  EXPECT_TRUE(kv[4].IsAtom("X"));
  EXPECT_EQ(kv[5].kind, Kind::kNil);
  EXPECT_EQ(kv[6].text, "q \"x\" \\");
  EXPECT_EQ(kv[7].text, "\x01\x02\x03");
  ASSERT_EQ(kv[8].kind, Kind::kList);
  ASSERT_EQ(kv[8].list.size(), 2u);
  EXPECT_EQ(kv[8].list[1].list[1].list[0].text, "c");
}

TEST(ImapParserTest, DataResponses) {
  auto search = ParseImapResponse("* SEARCH 3 4 5\r\n");
  ASSERT_TRUE(search.has_value());
  EXPECT_EQ(search->name, "SEARCH");
  ASSERT_EQ(search->values.size(), 3u);
  EXPECT_EQ(search->values[2].AsNumber(), 5u);

  auto empty = ParseImapResponse("* SEARCH\r\n");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->values.empty());

  auto es =
      ParseImapResponse("* ESEARCH (TAG \"A003\") UID ALL 13,15,21:4020\r\n");
  ASSERT_TRUE(es.has_value());
  EXPECT_EQ(es->name, "ESEARCH");
  ASSERT_EQ(es->values.size(), 4u);
  EXPECT_EQ(es->values[0].list[1].text, "A003");
  EXPECT_TRUE(es->values[2].IsAtom("ALL"));
  EXPECT_EQ(es->values[3].text, "13,15,21:4020");

  auto list = ParseImapResponse(
      "* LIST (\\HasNoChildren \\Sent) \"/\" {10}\r\nSent Items\r\n");
  ASSERT_TRUE(list.has_value()) << list.error().ToString();
  ASSERT_EQ(list->values.size(), 3u);
  EXPECT_TRUE(list->values[0].list[1].IsAtom("\\sent"));
  EXPECT_EQ(list->values[2].text, "Sent Items");

  auto nil_delim = ParseImapResponse("* LIST () NIL INBOX\r\n");
  ASSERT_TRUE(nil_delim.has_value());
  EXPECT_EQ(nil_delim->values[1].kind, Kind::kNil);

  auto exists = ParseImapResponse("* 16 EXISTS\r\n");
  ASSERT_TRUE(exists.has_value());
  EXPECT_EQ(exists->number, 16u);
  EXPECT_EQ(exists->name, "EXISTS");

  auto too_big = ParseImapResponse("* 4294967296 EXISTS\r\n");
  EXPECT_FALSE(too_big.has_value());
}

TEST(ImapParserTest, FetchFlagsAndModSeq) {
  // Keywords as mail clients set them (RFC 3501 2.3.2, RFC 5788 registry).
  auto r = ParseImapResponse(
      "* 4 FETCH (UID 12 FLAGS (\\Seen $Done $label1 NonJunk "
      "$Waiting-For_Customer \\Recent) MODSEQ (9223372036854775807))\r\n");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  const auto& kv = r->values[0].list;
  ASSERT_EQ(kv.size(), 6u);
  EXPECT_TRUE(kv[2].IsAtom("FLAGS"));
  ASSERT_EQ(kv[3].kind, Kind::kList);
  std::vector<std::string> flags;
  for (const auto& f : kv[3].list) {
    EXPECT_EQ(f.kind, Kind::kAtom) << f.text;
    flags.push_back(f.text);
  }
  EXPECT_EQ(flags,
            (std::vector<std::string>{"\\Seen", "$Done", "$label1", "NonJunk",
                                      "$Waiting-For_Customer", "\\Recent"}));
  EXPECT_TRUE(kv[4].IsAtom("MODSEQ"));
  auto m = ParseModSeq(kv[5]);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(*m, 9223372036854775807u);

  struct Case {
    std::string value;  // what follows "MODSEQ " in a FETCH
    bool ok;
    uint64_t want;
  } cases[] = {
      {"(1)", true, 1},
      {"(624140003)", true, 624140003},
      {"(9223372036854775808)", false, 0},   // 2^63
      {"(18446744073709551615)", false, 0},  // 20 digits
      {"(0)", false, 0},                     // mod-sequences start at 1
      {"(x)", false, 0},
      {"()", false, 0},
      {"(1 2)", false, 0},
      {"7", false, 0},  // not a list
      {"((7))", false, 0},
  };
  for (const auto& c : cases) {
    auto resp = ParseImapResponse("* 1 FETCH (MODSEQ " + c.value + ")\r\n");
    ASSERT_TRUE(resp.has_value()) << c.value;
    auto got = ParseModSeq(resp->values[0].list[1]);
    EXPECT_EQ(got.has_value(), c.ok) << c.value;
    if (got && c.ok) {
      EXPECT_EQ(*got, c.want) << c.value;
    }
    if (!got) {
      EXPECT_EQ(got.error().code, core::Code::kUnavailable) << c.value;
    }
  }
  EXPECT_EQ(ParseModSeq(std::string_view("715194045007")).value(),
            715194045007u);
  EXPECT_FALSE(ParseModSeq(std::string_view("")).has_value());
  EXPECT_FALSE(ParseModSeq(std::string_view("12a")).has_value());

  ImapValue big{Kind::kAtom, "4294967296", {}};
  EXPECT_FALSE(big.AsNumber().has_value());
  EXPECT_EQ(big.AsNumber64(), 4294967296u);
  ImapValue str{Kind::kString, "5", {}};
  EXPECT_FALSE(str.AsNumber64().has_value());
}

TEST(ImapParserTest, DeepNestingIsRefused) {
  std::string raw = "* 1 FETCH ";
  for (int i = 0; i < kImapMaxListDepth + 1; ++i) raw += "(";
  for (int i = 0; i < kImapMaxListDepth + 1; ++i) raw += ")";
  raw += "\r\n";
  EXPECT_FALSE(ParseImapResponse(raw).has_value());
  std::string ok = "* 1 FETCH ";
  for (int i = 0; i < kImapMaxListDepth; ++i) ok += "(";
  for (int i = 0; i < kImapMaxListDepth; ++i) ok += ")";
  ok += "\r\n";
  EXPECT_TRUE(ParseImapResponse(ok).has_value());
}

TEST(ImapParserTest, SequenceSets) {
  struct Case {
    std::string set;
    bool ok;
    std::vector<uint32_t> want;
  } cases[] = {
      {"1", true, {1}},
      {"1:3", true, {1, 2, 3}},
      {"3:1", true, {1, 2, 3}},
      {"13,15,21:23", true, {13, 15, 21, 22, 23}},
      {"5,1:2,2", true, {1, 2, 5}},
      {"4294967295", true, {4294967295u}},
      {"", false, {}},
      {"1:*", false, {}},
      {"0", false, {}},
      {"1,,2", false, {}},
      {"a:b", false, {}},
      {"4294967296", false, {}},
      {"1:", false, {}},
  };
  for (const auto& c : cases) {
    auto got = ExpandSequenceSet(c.set);
    EXPECT_EQ(got.has_value(), c.ok) << c.set;
    if (got && c.ok) {
      EXPECT_EQ(*got, c.want) << c.set;
    }
  }
  auto huge = ExpandSequenceSet("1:4294967295");
  ASSERT_FALSE(huge.has_value());
  EXPECT_EQ(huge.error().code, core::Code::kDataLoss);

  std::vector<uint32_t> uids = {1, 2, 3, 7, 9, 10};
  EXPECT_EQ(FormatSequenceSet(uids), "1:3,7,9:10");
  std::vector<uint32_t> one = {42};
  EXPECT_EQ(FormatSequenceSet(one), "42");
}

TEST(ImapParserTest, SequenceSetsSplitByLength) {
  std::vector<uint32_t> uids = {1,  2,   3,           7,          9,
                                10, 100, 4294967294u, 4294967295u};
  struct Case {
    size_t max_chars;
    std::vector<std::string> want;
  } cases[] = {
      {1000, {"1:3,7,9:10,100,4294967294:4294967295"}},
      {21, {"1:3,7,9:10,100", "4294967294:4294967295"}},
      {24, {"1:3,7,9:10,100", "4294967294:4294967295"}},
      {10, {"1:3,7,9:10", "100", "4294967294:4294967295"}},  // item too long
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatSequenceSets(uids, c.max_chars), c.want) << c.max_chars;
  }
  EXPECT_TRUE(FormatSequenceSets({}, 100).empty());

  // Many scattered UIDs: every set within the bound, together all of them.
  std::vector<uint32_t> scattered;
  for (uint32_t u = 1000001; u < 1100001; u += 3) scattered.push_back(u);
  auto sets = FormatSequenceSets(scattered, 4000);
  EXPECT_GT(sets.size(), 50u);  // 33,334 UIDs of 7 digits and a comma
  std::vector<uint32_t> back;
  for (const auto& set : sets) {
    EXPECT_LE(set.size(), 4000u);
    auto part = ExpandSequenceSet(set);
    ASSERT_TRUE(part.has_value()) << part.error().ToString();
    back.insert(back.end(), part->begin(), part->end());
  }
  EXPECT_EQ(back, scattered);
}

TEST(ImapParserTest, QuoteString) {
  EXPECT_EQ(QuoteImapString("INBOX").value(), "\"INBOX\"");
  EXPECT_EQ(QuoteImapString("a \"b\" \\c").value(), "\"a \\\"b\\\" \\\\c\"");
  EXPECT_FALSE(QuoteImapString("a\r\nb").has_value());
  EXPECT_FALSE(QuoteImapString(std::string("a\0b", 3)).has_value());
}

TEST(ImapParserTest, InternalDate) {
  using namespace std::chrono;
  struct Case {
    std::string in;
    bool ok;
    int64_t unix_seconds;
  } cases[] = {
      {"17-Jul-1996 02:44:25 -0700", true, 837596665},
      {" 7-Jul-1996 02:44:25 +0000", true, 836707465},
      {"01-Jan-1970 00:00:00 +0000", true, 0},
      {"23-nov-2026 18:45:55 +0100", true, 1795455955},
      {"31-Feb-2026 00:00:00 +0000", false, 0},
      {"17-Jul-1996 02:44:25", false, 0},
      {"17-Foo-1996 02:44:25 +0000", false, 0},
      {"17-Jul-1996 25:44:25 +0000", false, 0},
      {"garbage", false, 0},
  };
  for (const auto& c : cases) {
    auto t = ParseInternalDate(c.in);
    EXPECT_EQ(t.has_value(), c.ok) << c.in;
    if (t && c.ok) {
      EXPECT_EQ(t->time_since_epoch().count(), c.unix_seconds) << c.in;
    }
  }
  core::TimePoint t{seconds(1795455955)};
  EXPECT_EQ(FormatInternalDate(t), "23-Nov-2026 17:45:55 +0000");
  EXPECT_EQ(ParseInternalDate(FormatInternalDate(t)).value(), t);
}

}  // namespace
}  // namespace inboxd::ingest
