#include "ingest/html_text.h"

#include <gtest/gtest.h>

namespace inboxd::ingest {
namespace {

TEST(HtmlTextTest, Table) {
  struct Case {
    std::string_view html;
    std::string_view want;
  } cases[] = {
      {"<p>Hello</p><p>World</p>", "Hello\nWorld"},
      {"Line<br>break<br/>two", "Line\nbreak\ntwo"},
      {"<html><head><title>T</title><style>p{color:red}</style></head>"
       "<body><script>alert('x')</script>Hi   there</body></html>",
       "Hi there"},
      {"<SCRIPT type=x>bad()</SCRIPT>ok", "ok"},
      {"a &amp; b &lt;c&gt; &quot;d&quot; &#228; &#xE4; &euro;",
       "a & b <c> \"d\" ä ä €"},
      {"&unknown; & alone &#xZZ;", "&unknown; & alone &#xZZ;"},
      {"<!-- hidden --><div>x</div><!-- unterminated", "x"},
      {"<ul><li>one</li><li>two</li></ul>", "one\ntwo"},
      {"<table><tr><td>a</td><td>b</td></tr></table>", "a b"},
      {"<div dir=\"rtl\">سلام</div>", "سلام"},
      {"text <b unterminated", "text"},
      {"&#0; &#1114112;", "\xEF\xBF\xBD \xEF\xBF\xBD"},
      {"", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(HtmlToText(c.html), c.want) << c.html;
  }
}

}  // namespace
}  // namespace inboxd::ingest
