// metrics_test.cc: the registry's text exposition (format 0.0.4) byte for
// byte: HELP/TYPE once per family, escaping, value forms, cumulative
// histogram buckets with +Inf, _sum and _count; concurrent increments; misuse
// aborts.
#include "health/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

namespace inboxd::health {
namespace {

TEST(RegistryTest, EmptyRegistryRendersNothing) {
  Registry r;
  EXPECT_EQ(r.Render(), "");
}

TEST(RegistryTest, CounterFamilyOnceWithManyLabelSetsSorted) {
  Registry r;
  CounterFamily& f = r.AddCounter("inboxd_messages_ingested_total",
                                  "New messages.", {"mailbox", "folder"});
  f.With({"support", "INBOX"}).Inc(2);
  f.With({"sales", "INBOX"}).Inc();
  f.With({"sales", "Anfragen"}).Inc(3);
  f.With({"support", "INBOX"}).Inc();  // the same series again
  EXPECT_EQ(r.Render(),
            "# HELP inboxd_messages_ingested_total New messages.\n"
            "# TYPE inboxd_messages_ingested_total counter\n"
            "inboxd_messages_ingested_total{mailbox=\"sales\",folder="
            "\"Anfragen\"} 3\n"
            "inboxd_messages_ingested_total{mailbox=\"sales\",folder="
            "\"INBOX\"} 1\n"
            "inboxd_messages_ingested_total{mailbox=\"support\",folder="
            "\"INBOX\"} 3\n");
}

TEST(RegistryTest, LabelValueAndHelpEscaping) {
  Registry r;
  GaugeFamily& f =
      r.AddGauge("g", "help with \\ backslash\nand \"quotes\"", {"l"});
  const struct {
    const char* value;
    const char* want;  // as written between the quotes
  } cases[] = {
      {"back\\slash", "back\\\\slash"},
      {"say \"hi\"", "say \\\"hi\\\""},
      {"two\nlines", "two\\nlines"},
      {"tab\tand ünïcödé 收件箱", "tab\tand ünïcödé 收件箱"},  // as is
      {"", ""},
  };
  std::string want =
      "# HELP g help with \\\\ backslash\\nand \"quotes\"\n"
      "# TYPE g gauge\n";
  // Series are sorted by label value (byte order).
  std::vector<std::pair<std::string, std::string>> sorted;
  for (const auto& c : cases) {
    f.With({c.value}).Set(1);
    sorted.emplace_back(c.value, c.want);
  }
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [value, escaped] : sorted) {
    want += "g{l=\"" + escaped + "\"} 1\n";
  }
  EXPECT_EQ(r.Render(), want);
}

TEST(RegistryTest, UnlabelledFamiliesExistAtZeroLabelledOnesOnceUsed) {
  Registry r;
  r.AddCounter("c_total", "A counter.");
  r.AddGauge("g", "A gauge.");
  GaugeFamily& labelled = r.AddGauge("l", "Labelled.", {"k"});
  r.AddHistogram("h", "Unused labelled histogram.", {"k"}, {1});
  EXPECT_EQ(r.Render(),
            "# HELP c_total A counter.\n# TYPE c_total counter\nc_total 0\n"
            "# HELP g A gauge.\n# TYPE g gauge\ng 0\n");
  labelled.With({"x"}).Add(-2.5);
  EXPECT_NE(r.Render().find("# TYPE l gauge\nl{k=\"x\"} -2.5\n"),
            std::string::npos);
}

TEST(RegistryTest, ValueForms) {
  const double inf = std::numeric_limits<double>::infinity();
  const struct {
    double value;
    const char* want;
  } cases[] = {
      {0, "0"},
      {-0.0, "0"},
      {1, "1"},
      {-3, "-3"},
      {123456789, "123456789"},
      {9007199254740992.0, "9007199254740992"},  // 2^53, exact
      {0.25, "0.25"},
      {0.1, "0.1"},
      {1e300, "1e+300"},
      {1.5e-7, "1.5e-07"},
      {inf, "+Inf"},
      {-inf, "-Inf"},
      {std::nan(""), "NaN"},
  };
  for (const auto& c : cases) {
    Registry r;
    r.AddGauge("v", "Value.").With().Set(c.value);
    EXPECT_EQ(r.Render(), std::string("# HELP v Value.\n# TYPE v gauge\nv ") +
                              c.want + "\n")
        << c.want;
  }
}

TEST(RegistryTest, HistogramCumulativeBucketsInfSumCount) {
  Registry r;
  HistogramFamily& f =
      r.AddHistogram("lat_seconds", "Latency.", {"mailbox"}, {1, 2.5, 5});
  Histogram& h = f.With({"support"});
  // 0.5 and 1 (a value on a bound is in that bucket: "le") -> le=1;
  // 2 -> le=2.5; 5 -> le=5; 7 and 100 -> only +Inf.
  for (double v : {0.5, 1.0, 2.0, 5.0, 7.0, 100.0}) h.Observe(v);
  f.With({"sales"});  // a series with no observations
  EXPECT_EQ(r.Render(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{mailbox=\"sales\",le=\"1\"} 0\n"
            "lat_seconds_bucket{mailbox=\"sales\",le=\"2.5\"} 0\n"
            "lat_seconds_bucket{mailbox=\"sales\",le=\"5\"} 0\n"
            "lat_seconds_bucket{mailbox=\"sales\",le=\"+Inf\"} 0\n"
            "lat_seconds_sum{mailbox=\"sales\"} 0\n"
            "lat_seconds_count{mailbox=\"sales\"} 0\n"
            "lat_seconds_bucket{mailbox=\"support\",le=\"1\"} 2\n"
            "lat_seconds_bucket{mailbox=\"support\",le=\"2.5\"} 3\n"
            "lat_seconds_bucket{mailbox=\"support\",le=\"5\"} 4\n"
            "lat_seconds_bucket{mailbox=\"support\",le=\"+Inf\"} 6\n"
            "lat_seconds_sum{mailbox=\"support\"} 115.5\n"
            "lat_seconds_count{mailbox=\"support\"} 6\n");
  Histogram::Snapshot s = h.Get();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 3, 4, 6}));
  EXPECT_EQ(s.count, 6u);
  EXPECT_DOUBLE_EQ(s.sum, 115.5);
}

TEST(RegistryTest, UnlabelledHistogramAndNoBuckets) {
  Registry r;
  r.AddHistogram("a", "No labels.", {}, {10}).With().Observe(3);
  r.AddHistogram("b", "Only +Inf.", {}, {}).With().Observe(-1);
  EXPECT_EQ(r.Render(),
            "# HELP a No labels.\n# TYPE a histogram\n"
            "a_bucket{le=\"10\"} 1\na_bucket{le=\"+Inf\"} 1\n"
            "a_sum 3\na_count 1\n"
            "# HELP b Only +Inf.\n# TYPE b histogram\n"
            "b_bucket{le=\"+Inf\"} 1\nb_sum -1\nb_count 1\n");
}

TEST(RegistryTest, FamiliesInRegistrationOrder) {
  Registry r;
  r.AddGauge("zzz", "Last name, first registered.");
  r.AddCounter("aaa_total", "First name, second registered.");
  std::string text = r.Render();
  EXPECT_LT(text.find("zzz"), text.find("aaa_total"));
}

TEST(RegistryTest, GaugeFunctionComputedAtEachRender) {
  Registry r;
  int calls = 0;
  r.AddGaugeFunction("calls", "How often it was read.",
                     [&calls] { return static_cast<double>(++calls); });
  EXPECT_EQ(r.Render(),
            "# HELP calls How often it was read.\n"
            "# TYPE calls gauge\ncalls 1\n");
  EXPECT_EQ(r.Render(),
            "# HELP calls How often it was read.\n"
            "# TYPE calls gauge\ncalls 2\n");
}

TEST(RegistryTest, GaugeCollectorSortsDropsDuplicatesAndCanBeEmpty) {
  Registry r;
  std::vector<GaugeSample> now = {
      {{"b", "x"}, 1}, {{"a", "y"}, 0}, {{"b", "x"}, 7}};  // duplicate of b/x
  r.AddGaugeCollector("up", "Up or not.", {"mailbox", "folder"},
                      [&now] { return now; });
  EXPECT_EQ(r.Render(),
            "# HELP up Up or not.\n# TYPE up gauge\n"
            "up{mailbox=\"a\",folder=\"y\"} 0\n"
            "up{mailbox=\"b\",folder=\"x\"} 1\n");
  now.clear();  // the state went away: so does the family
  EXPECT_EQ(r.Render(), "");
}

TEST(RegistryTest, ConcurrentIncrementsAreNotLost) {
  Registry r;
  CounterFamily& c = r.AddCounter("n_total", "Increments.", {"t"});
  Histogram& h = r.AddHistogram("h", "Observations.", {}, {0.5}).With();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&c, &h, t] {
      for (int i = 0; i < kPerThread; ++i) {
        c.With({"shared"}).Inc();
        c.With({std::to_string(t)}).Inc();
        h.Observe(i % 2);
      }
    });
  }
  // Rendering meanwhile must not disturb the counting.
  for (int i = 0; i < 20; ++i) (void)r.Render();
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.With({"shared"}).Value(), kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(c.With({std::to_string(t)}).Value(), kPerThread);
  }
  Histogram::Snapshot s = h.Get();
  EXPECT_EQ(s.count, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(s.cumulative[0], static_cast<uint64_t>(kThreads * kPerThread / 2));
  EXPECT_DOUBLE_EQ(s.sum, kThreads * kPerThread / 2);
}

using RegistryDeathTest = ::testing::Test;

TEST(RegistryDeathTest, MisuseAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(Registry().AddCounter("1bad", "h"), "IsValidName");
  EXPECT_DEATH(Registry().AddCounter("bad-name", "h"), "IsValidName");
  EXPECT_DEATH(Registry().AddGauge("g", "h", {"__reserved"}), "__");
  EXPECT_DEATH(Registry().AddGauge("g", "h", {"a:b"}), "IsValidName");
  EXPECT_DEATH(Registry().AddGauge("g", "h", {"x", "x"}), "second");
  EXPECT_DEATH(Registry().AddGauge("g", ""), "help");
  EXPECT_DEATH(Registry().AddHistogram("h", "h", {"le"}, {1}), "le");
  EXPECT_DEATH(Registry().AddHistogram("h", "h", {}, {2, 1}), "bounds_");
  EXPECT_DEATH(Registry().AddHistogram("h", "h", {}, {1, 1}), "bounds_");
  EXPECT_DEATH(Registry().AddHistogram(
                   "h", "h", {}, {1, std::numeric_limits<double>::infinity()}),
               "isfinite");
  EXPECT_DEATH(
      {
        Registry r;
        r.AddGauge("same", "h");
        r.AddCounter("same", "h");
      },
      "name");
  EXPECT_DEATH(Registry().AddGauge("g", "h", {"a", "b"}).With({"only one"}),
               "size");
  EXPECT_DEATH(Registry().AddCounter("c_total", "h").With().Inc(-1), "by >= 0");
}

}  // namespace
}  // namespace inboxd::health
