#include "classify/personal.h"

#include <gtest/gtest.h>

namespace inboxd::classify {
namespace {

config::Config Agents() {
  config::Config c;
  config::Agent nina;
  nina.name = "Nina Karimi";
  nina.address = "nina@shop.example";
  nina.greeting_names = {"نینا", "خانم کریمی"};
  config::Agent wang;
  wang.name = "Wang Lei";
  wang.address = "wang.lei@shop.example";
  wang.greeting_names = {"王磊", "王经理"};
  config::Agent anna;
  anna.name = "Anna Schmidt";
  anna.address = "anna@shop.example";
  c.agents = {nina, wang, anna};
  return c;
}

TEST(Personal, GreetingTable) {
  const config::Config c = Agents();
  struct Case {
    const char* first_line;
    const char* want;  // agent address, "" for none
  } cases[] = {
      {"Hi Nina,", "nina@shop.example"},
      {"Hello Nina, are we still on for lunch?", "nina@shop.example"},
      {"Nina,", "nina@shop.example"},
      {"Sehr geehrte Frau Schmidt,", "anna@shop.example"},
      {"Liebe Anna!", "anna@shop.example"},
      {"王经理您好：", "wang.lei@shop.example"},
      {"王磊你好，", "wang.lei@shop.example"},
      {"سلام نینا جان،", "nina@shop.example"},
      {"خانم کریمی عزیز،", "nina@shop.example"},
      // Lookalikes: the name inside a word, in a sentence, or no agent.
      {"Hi Ninania team,", ""},
      {"Hello support team,", ""},
      {"I ordered an Anna lamp but it arrived broken and nobody answers "
       "the hotline at all, which is really not acceptable for a shop.",
       ""},
      {"Dear Sir or Madam,", ""},
      {"Guten Tag Herr Weber,", ""},
      {"您好：", ""},
  };
  for (const Case& tc : cases) {
    core::Message msg;
    auto got = FindAddressedAgent(msg, tc.first_line, c);
    if (*tc.want == '\0') {
      EXPECT_FALSE(got.has_value())
          << tc.first_line << " -> " << (got ? got->agent->address : "");
    } else {
      ASSERT_TRUE(got.has_value()) << tc.first_line;
      EXPECT_EQ(got->agent->address, tc.want) << tc.first_line;
    }
  }
}

TEST(Personal, AddressedByToOrCc) {
  const config::Config c = Agents();
  core::Message msg;
  msg.to = {{"Support", "support@shop.example"}};
  msg.cc = {{"", "Nina@Shop.Example"}};
  auto got = FindAddressedAgent(msg, "Hello,", c);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->agent->address, "nina@shop.example");
  EXPECT_EQ(got->how, "Cc: nina@shop.example");

  core::Message other;
  other.to = {{"", "support@shop.example"}};
  EXPECT_FALSE(FindAddressedAgent(other, "Hello,", c).has_value());
}

TEST(Personal, OnlyTheFirstLineGreets) {
  const config::Config c = Agents();
  core::Message msg;
  EXPECT_FALSE(
      FindAddressedAgent(msg, "Hello,\nNina told me to write to you.", c)
          .has_value());
}

}  // namespace
}  // namespace inboxd::classify
