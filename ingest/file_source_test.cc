#include "ingest/file_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

namespace inboxd::ingest {
namespace {

namespace fs = std::filesystem;

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) /
            ("file_source_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const fs::path& rel, std::string_view data) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel, std::ios::binary) << data;
  }

  // Runs the source and renders "label=bytes" or "label!error" per item,
  // with labels relative to root_.
  std::vector<std::string> Run(const fs::path& start,
                               FileSourceOptions options = {},
                               size_t stop_after = 1000) {
    std::vector<std::string> got;
    FileSource src(start, options);
    auto st = src.ForEach([&](MailItem&& item) {
      std::string label = item.label;
      std::string prefix = root_.string() + "/";
      if (label.starts_with(prefix)) label.erase(0, prefix.size());
      if (item.raw.has_value()) {
        got.push_back(label + "=" + *item.raw);
      } else {
        got.push_back(label + "!" +
                      std::string(core::CodeName(item.raw.error().code)));
      }
      return got.size() < stop_after;
    });
    EXPECT_TRUE(st.has_value());
    return got;
  }

  fs::path root_;
};

TEST_F(FileSourceTest, SingleFile) {
  Write("one.eml", "Subject: 1\n\nx");
  EXPECT_EQ(Run(root_ / "one.eml"),
            std::vector<std::string>{"one.eml=Subject: 1\n\nx"});
}

TEST_F(FileSourceTest, DirectorySortedRecursiveSkipsHidden) {
  Write("b.eml", "B");
  Write("a.eml", "A");
  Write("sub/c.eml", "C");
  Write(".hidden", "H");
  Write(".git/config", "G");
  Write("README.md", "doc");
  FileSourceOptions opt;
  opt.skip_suffixes = {".md"};
  EXPECT_EQ(Run(root_, opt),
            (std::vector<std::string>{"a.eml=A", "b.eml=B", "sub/c.eml=C"}));
  // Without the suffix list README.md is an item like any other.
  EXPECT_EQ(Run(root_).size(), 4u);
}

TEST_F(FileSourceTest, Maildir) {
  Write("box/cur/2:2,S", "cur2");
  Write("box/cur/1:2,S", "cur1");
  Write("box/new/3", "new3");
  Write("box/tmp/4", "in delivery");
  Write("box/.Sent/cur/5", "subfolder");
  Write("box/dovecot-uidlist", "not mail");
  EXPECT_EQ(Run(root_ / "box"),
            (std::vector<std::string>{"box/cur/1:2,S=cur1",
                                      "box/cur/2:2,S=cur2", "box/new/3=new3"}));
}

TEST_F(FileSourceTest, Mbox) {
  Write("in.mbox",
        "From a@x Mon Jan  1 00:00:00 2024\n"
        "Subject: one\n\nbody one\n>From the start\n>>From deeper\n\n"
        "From b@x Mon Jan  1 00:00:01 2024\n"
        "Subject: two\n\nbody two\n\n"
        "From c@x Mon Jan  1 00:00:02 2024\n"
        "Subject: three\n\nno final newline");
  EXPECT_EQ(Run(root_ / "in.mbox"),
            (std::vector<std::string>{
                "in.mbox#1=Subject: one\n\nbody one\nFrom the start\n>From "
                "deeper\n",
                "in.mbox#2=Subject: two\n\nbody two\n",
                "in.mbox#3=Subject: three\n\nno final newline"}));
}

TEST_F(FileSourceTest, MboxSplitsOnlyAtRfc4155FromLines) {
  // Unescaped "From " lines without a timestamp, or not after a blank line,
  // are body text (a torture file of this shape is one message).
  Write("t.mbox",
        "From - \nSubject: one\n\nbody\nFrom - \nSubject: still one\n\n"
        "From here on it is prose.\n"
        "\nFrom a@x Mon Jan  1 00:00:00 2024\nSubject: two\n");
  auto got = Run(root_ / "t.mbox");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].starts_with("t.mbox#1=Subject: one\n\nbody\nFrom - \n"))
      << got[0];
  EXPECT_EQ(got[1], "t.mbox#2=Subject: two\n");
}

TEST_F(FileSourceTest, EmlWithEnvelopeLineIsOneMessage) {
  // A saved bounce: envelope line, and a quoted unescaped From_ line.
  std::string bounce =
      "From MAILER-DAEMON Sat Oct  4 08:00:09 2025\nSubject: bounce\n\n"
      "original:\n\nFrom bounce@x.net Sat Oct  4 08:00:07 2025\nSubject: o\n";
  Write("b.eml", bounce);
  Write("b.txt", bounce);
  auto got = Run(root_);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "b.eml=" + bounce);
  EXPECT_TRUE(got[1].starts_with("b.txt#1=Subject: bounce")) << got[1];
  EXPECT_TRUE(got[2].starts_with("b.txt#2=Subject: o")) << got[2];
}

TEST_F(FileSourceTest, ErrorsArePerItem) {
  Write("a.eml", "A");
  Write("big.eml", std::string(100, 'x'));
  Write("z.eml", "Z");
  fs::create_symlink(root_ / "missing", root_ / "m.eml");  // dangling
  Write("box.mbox",
        "From x Mon Jan  1 00:00:00 2024\nSubject: small\n\n"
        "From y Mon Jan  1 00:00:01 2024\n" +
            std::string(200, 'y') +
            "\n\nFrom z Mon Jan  1 00:00:02 2024\nSubject: ok\n");
  FileSourceOptions opt;
  opt.max_item_bytes = 50;
  EXPECT_EQ(Run(root_, opt),
            (std::vector<std::string>{
                "a.eml=A", "big.eml!data_loss", "box.mbox#1=Subject: small\n",
                "box.mbox#2!data_loss", "box.mbox#3=Subject: ok\n",
                "m.eml!unavailable", "z.eml=Z"}));
}

TEST_F(FileSourceTest, StopsEarlyAndMissingRoot) {
  Write("a.eml", "A");
  Write("b.eml", "B");
  EXPECT_EQ(Run(root_, {}, 1).size(), 1u);
  FileSource missing(root_ / "nope", {});
  auto st = missing.ForEach([](MailItem&&) { return true; });
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, core::Code::kNotFound);
}

}  // namespace
}  // namespace inboxd::ingest
