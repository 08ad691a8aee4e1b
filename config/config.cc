// config.cc: Defaults(), the POLICY.md values (see config.h).
#include "config/config.h"

#include <string_view>

namespace inboxd::config {

namespace {

Deadline Make(const char* id, const char* name, int64_t seconds,
              const char* clock) {
  Deadline d;
  d.id = id;
  d.name = name;
  d.within = Seconds{seconds};
  d.clock = clock;
  // POLICY D7: the follow-up counts from closing (the loader's rule too).
  if (std::string_view(name) == "followup") d.start = "close";
  return d;
}

constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 24 * kHour;

}  // namespace

Config Defaults() {
  Config c;
  // POLICY "Business hours": Monday to Friday, 08:30-12:00 and 13:00-18:00.
  for (int d = 0; d < 5; ++d) {
    c.business_hours.days[d] = {{8 * 60 + 30, 12 * 60}, {13 * 60, 18 * 60}};
  }
  // POLICY D1..D7 (D3 depends on the customer's contract tier: no default;
  // D8 is a template matter; D9 is delay_notice_before).
  auto& by = c.deadlines.by_class;
  by["quote"] = {Make("D1", "ack", 2 * kHour, "calendar"),
                 Make("D2", "answer", 2 * kDay, "calendar")};
  by["support"] = {Make("D1", "ack", 2 * kHour, "calendar"),
                   Make("D7", "followup", 48 * kHour, "calendar")};
  by["complaint"] = {Make("D1", "ack", 2 * kHour, "calendar"),
                     Make("D5", "receipt", 2 * kDay, "business"),
                     Make("D6", "resolve", 14 * kDay, "calendar")};
  by["personal"] = {Make("D4", "answer", 24 * kHour, "calendar")};
  by["other"] = {Make("D1", "ack", 2 * kHour, "calendar")};
  // POLICY C5: the forbidden phrases of 003 §5.
  c.templates.forbidden_phrases = {"我们不管", "跟我们没关系", "没办法解决",
                                   "随便",     "不清楚",       "不知道"};
  return c;
}

}  // namespace inboxd::config
