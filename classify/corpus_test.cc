// corpus_test.cc: conformance of classification over ../shared/corpus
// (labels.csv). Skipped when the corpus is absent (env INBOXD_CORPUS
// overrides the path).
//
// Fails on: any automatic message (bounce, auto_reply, list_bulk, spam) with
// ack=true; fewer than 99 % of human first-contact messages with ack=true.
// Human first contact = categories personal, support, quote, complaint and
// reply. Replies count as first contact: replay runs with an empty store, so
// none of them refers to a ticket inboxd knows, and a reply to a message we
// never saw is a new conversation for the shared mailbox (POLICY A2 wants
// every human message answered). Malformed messages must not crash; their
// decision is not judged. Prints a confusion table (category x kind, ack).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "classify/classifier.h"
#include "ingest/mime_adapter.h"

namespace inboxd::classify {
namespace {

namespace fs = std::filesystem;

constexpr double kMinHumanAckRatio = 0.99;

// Splits one CSV line with "quoted, fields" and "" escapes.
std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back().push_back(c);
    }
  }
  return out;
}

fs::path CorpusDir() {
  if (const char* env = std::getenv("INBOXD_CORPUS")) return env;
  return fs::path(INBOXD_SOURCE_DIR) / ".." / "shared" / "corpus";
}

TEST(ClassifyCorpus, Conformance) {
  fs::path dir = CorpusDir();
  std::ifstream labels(dir / "labels.csv");
  if (!labels) GTEST_SKIP() << "no corpus at " << dir;

  config::Config config;
  config::Mailbox support;
  support.name = "support";
  support.address = "support@shop.example";
  config.mailboxes = {support};
  config.classify.own_domains = {"ack.shop.example"};
  auto classifier = Classifier::Create(config);
  ASSERT_TRUE(classifier.has_value()) << classifier.error().ToString();
  InMemoryThreadLookup threads;
  Context ctx;
  ctx.mailbox = &config.mailboxes[0];
  ctx.threads = &threads;

  const std::set<std::string> automatic = {"bounce", "auto_reply", "list_bulk",
                                           "spam"};
  const std::set<std::string> human = {"personal", "support", "quote",
                                       "complaint", "reply"};
  std::map<std::string, std::map<std::string, int>> table;  // cat -> kind
  std::map<std::string, int> acked, total;
  int human_total = 0, human_acked = 0, quarantined = 0;
  std::vector<std::string> failures;

  std::string line;
  std::getline(labels, line);  // header
  while (std::getline(labels, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f = CsvFields(line);
    ASSERT_GE(f.size(), 2u) << line;
    const std::string& path = f[0];
    const std::string& category = f[1];
    std::ifstream in(dir / path, std::ios::binary);
    ASSERT_TRUE(in) << path;
    std::string raw((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
    // An mbox holding one message starts with a "From " separator line.
    if (raw.starts_with("From ")) raw.erase(0, raw.find('\n') + 1);

    auto parsed = ingest::ParseMessage(raw, config.limits);
    core::Message msg;
    bool was_quarantined = !parsed.has_value();
    if (was_quarantined) {
      ++quarantined;
      msg = ingest::ParseHeadersBestEffort(raw, config.limits);
    } else {
      msg = std::move(*parsed);
    }
    auto d = (*classifier)->Classify(msg, ctx);
    ASSERT_TRUE(d.has_value()) << path << ": " << d.error().ToString();
    // A quarantined message is never acknowledged by the pipeline.
    bool ack = d->ack && !was_quarantined;
    std::string kind(KindName(d->kind));
    table[category][kind]++;
    total[category]++;
    if (ack) acked[category]++;

    auto explain = [&] {
      std::string s = path + " (" + category + ") -> " + kind +
                      (ack ? " ack" : " no-ack") +
                      (was_quarantined ? " quarantined" : "") + "\n";
      for (const auto& r : d->reasons) s += "      " + r + "\n";
      return s;
    };
    if (automatic.count(category) && ack) failures.push_back(explain());
    if (human.count(category)) {
      ++human_total;
      if (ack) {
        ++human_acked;
      } else {
        std::cout << "human message not acked: " << explain();
      }
    }
    if (std::getenv("INBOXD_CORPUS_VERBOSE")) std::cout << explain();
    if (const char* dump = std::getenv("INBOXD_CORPUS_DUMP");
        dump != nullptr && path == dump) {
      std::cout << "text: [" << msg.text << "]\n";
      for (const auto& a : msg.attachments) {
        std::cout << "attachment: " << a.filename << " " << a.content_type
                  << "\n";
      }
      for (const auto& t : msg.part_types) std::cout << "part: " << t << "\n";
      std::cout << "original_headers: [" << msg.original_headers << "]\n";
    }
  }

  const char* kinds[] = {"human", "auto_reply", "bounce", "list_bulk", "spam"};
  std::cout << "\nconfusion (label category x kind), ack count\n";
  std::cout << std::left << std::setw(11) << "category";
  for (const char* k : kinds) std::cout << std::right << std::setw(11) << k;
  std::cout << std::setw(7) << "ack" << std::setw(7) << "total"
            << "\n";
  for (const auto& [cat, row] : table) {
    std::cout << std::left << std::setw(11) << cat;
    for (const char* k : kinds) {
      auto it = row.find(k);
      std::cout << std::right << std::setw(11)
                << (it == row.end() ? 0 : it->second);
    }
    std::cout << std::setw(7) << acked[cat] << std::setw(7) << total[cat]
              << "\n";
  }
  std::cout << "quarantined by the MIME adapter: " << quarantined << "\n";
  std::cout << "human first contact acked: " << human_acked << "/"
            << human_total << "\n";

  for (const std::string& f : failures) {
    ADD_FAILURE() << "automatic message acknowledged: " << f;
  }
  ASSERT_GT(human_total, 0);
  EXPECT_GE(static_cast<double>(human_acked) / human_total, kMinHumanAckRatio)
      << human_acked << "/" << human_total
      << " human first-contact messages acked";
}

}  // namespace
}  // namespace inboxd::classify
