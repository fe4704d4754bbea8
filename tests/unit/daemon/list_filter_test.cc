#include "daemon/api/list_filter.h"

#include <map>

#include "gtest/gtest.h"

namespace xenia {
namespace {

const std::vector<std::string> kFields = {"power_state", "name"};

bool Match(const ListFilter& f, std::map<std::string, std::string> row) {
  return f.Matches([&](const std::string& field, const std::string& wanted) {
    return field == "name" ? GlobMatch(wanted, row[field]) : row[field] == wanted;
  });
}

TEST(ListFilter, EmptyMatchesEverything) {
  absl::StatusOr<ListFilter> f = ListFilter::Parse("  ", kFields);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->empty());
  EXPECT_TRUE(Match(*f, {}));
}

TEST(ListFilter, AndBindsTighterThanOr) {
  absl::StatusOr<ListFilter> f =
      ListFilter::Parse("power_state = RUNNING AND name = \"web*\" OR name=db1", kFields);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(Match(*f, {{"power_state", "RUNNING"}, {"name", "web3"}}));
  EXPECT_FALSE(Match(*f, {{"power_state", "PAUSED"}, {"name", "web3"}}));
  EXPECT_TRUE(Match(*f, {{"power_state", "PAUSED"}, {"name", "db1"}}));
}

TEST(ListFilter, NotEqual) {
  absl::StatusOr<ListFilter> f = ListFilter::Parse("power_state != SHUTOFF", kFields);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(Match(*f, {{"power_state", "RUNNING"}}));
  EXPECT_FALSE(Match(*f, {{"power_state", "SHUTOFF"}}));
}

TEST(ListFilter, ErrorsNameTheProblem) {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {
      {"powr_state = RUNNING", "unknown field \"powr_state\""},
      {"power_state RUNNING", "expected = or !="},
      {"power_state =", "expected a value"},
      {"name = \"web", "unterminated string"},
      {"name = a XOR name = b", "expected AND or OR"},
      {"= a", "expected a field name"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ListFilter> f = ListFilter::Parse(c.text, kFields);
    ASSERT_FALSE(f.ok()) << c.text;
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(f.status().message().find(c.says), absl::string_view::npos)
        << c.text << " -> " << f.status().message();
    EXPECT_EQ(f.status().message().rfind("filter: ", 0), 0u) << f.status().message();
  }
}

TEST(GlobMatch, Wildcards) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("web*", "web12"));
  EXPECT_TRUE(GlobMatch("*-prod", "db-prod"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYY"));
  EXPECT_FALSE(GlobMatch("web", "web1"));
}

}  // namespace
}  // namespace xenia
