// ListDomains: pages that together hold every domain exactly once, in name
// order; total_size; AIP-160 filters on power state, name and more; clear
// INVALID_ARGUMENT for bad filters, tokens and page sizes.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using grpc::StatusCode;
using xenia::v1::ListDomainsRequest;
using xenia::v1::ListDomainsResponse;
using xenia::v1::Operation;

std::vector<std::string> Names(const std::vector<xenia::v1::Domain>& domains) {
  std::vector<std::string> out;
  for (const xenia::v1::Domain& d : domains) out.push_back(d.spec().name());
  return out;
}

class ListingTest : public DaemonFixture {
 protected:
  grpc::Status List(const ListDomainsRequest& req, ListDomainsResponse* resp) {
    return daemon_->domains().ListDomains(Context().get(), req, resp);
  }

  // Defines `count` halted domains named d00, d01, ... (made in reverse
  // order, so that name order is not creation order).
  std::vector<std::string> DefineMany(int count) {
    std::vector<std::string> names;
    for (int i = count - 1; i >= 0; --i) {
      names.push_back(absl::StrFormat("d%02d", i));
      CreateOrDie(names.back(), 64, /*start=*/false);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  // web1 running, web2 paused, web3 off, db1 running, db2 off, cache paused.
  void DefineMixed() {
    for (const char* name : {"web1", "web2", "db1", "cache"}) CreateOrDie(name, 64, true);
    for (const char* name : {"web3", "db2"}) CreateOrDie(name, 64, false);
    for (const char* name : {"web2", "cache"}) {
      Operation op;
      ASSERT_TRUE(Pause(name, &op).ok());
      ASSERT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
    }
  }
};

TEST_F(ListingTest, PagesHoldEveryDomainOnceInNameOrder) {
  std::vector<std::string> names = DefineMany(25);
  ListDomainsRequest req;
  req.set_filter("managed = true");
  req.set_page_size(7);
  std::vector<std::string> seen;
  std::vector<int> sizes;
  for (int page = 0; page < 10; ++page) {
    ListDomainsResponse resp;
    ASSERT_TRUE(List(req, &resp).ok());
    EXPECT_EQ(resp.total_size(), 25);
    sizes.push_back(resp.domains_size());
    for (const xenia::v1::Domain& d : resp.domains()) {
      seen.push_back(d.spec().name());
      EXPECT_EQ(d.name(), "hosts/testhost/domains/" + d.spec().name());
    }
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(sizes, (std::vector<int>{7, 7, 7, 4}));
  EXPECT_EQ(seen, names);

  // The default page holds them all; an oversized one is clamped, not refused.
  EXPECT_EQ(Names(ListAllDomains("", 0)), names);
  ListDomainsRequest big;
  big.set_filter("managed = true");
  big.set_page_size(5000);
  ListDomainsResponse all;
  ASSERT_TRUE(List(big, &all).ok());
  EXPECT_EQ(all.domains_size(), 25);
  EXPECT_TRUE(all.next_page_token().empty());
}

TEST_F(ListingTest, PagingIsStableWhileDomainsAreDeleted) {
  std::vector<std::string> names = DefineMany(10);
  ListDomainsRequest req;
  req.set_filter("managed = true");
  req.set_page_size(3);
  ListDomainsResponse first;
  ASSERT_TRUE(List(req, &first).ok());
  ASSERT_EQ(Names({first.domains().begin(), first.domains().end()}),
            (std::vector<std::string>{"d00", "d01", "d02"}));
  // Delete one already seen and one not yet seen.
  for (const char* name : {"d01", "d04"}) {
    Operation op;
    ASSERT_TRUE(Delete(name, &op).ok());
    ASSERT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
  }
  std::vector<std::string> rest;
  req.set_page_token(first.next_page_token());
  for (int page = 0; page < 10 && !req.page_token().empty(); ++page) {
    ListDomainsResponse resp;
    ASSERT_TRUE(List(req, &resp).ok());
    EXPECT_EQ(resp.total_size(), 8);
    for (const xenia::v1::Domain& d : resp.domains()) rest.push_back(d.spec().name());
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(rest, (std::vector<std::string>{"d03", "d05", "d06", "d07", "d08", "d09"}));
}

TEST_F(ListingTest, FiltersOnPowerStateNameAndMore) {
  DefineMixed();
  // dom0 is listed too (unmanaged, running, PV), as in `xl list`.
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"power_state = RUNNING", {"Domain-0", "db1", "web1"}},
      {"power_state = RUNNING OR power_state = PAUSED",
       {"Domain-0", "cache", "db1", "web1", "web2"}},
      {"power_state = SHUTOFF", {"db2", "web3"}},
      {"power_state = running", {"Domain-0", "db1", "web1"}},
      {"power_state != SHUTOFF", {"Domain-0", "cache", "db1", "web1", "web2"}},
      {"name = \"web*\"", {"web1", "web2", "web3"}},
      {"name = \"*1\"", {"db1", "web1"}},
      {"name = web2", {"web2"}},
      {"name = \"web*\" AND power_state != SHUTOFF", {"web1", "web2"}},
      {"name = \"db*\" AND power_state = RUNNING OR power_state = PAUSED",
       {"cache", "db1", "web2"}},
      {"power_state = CRASHED", {}},
      {"managed = true", {"cache", "db1", "db2", "web1", "web2", "web3"}},
      {"managed = false", {"Domain-0"}},
      {"type = PVH", {"cache", "db1", "db2", "web1", "web2", "web3"}},
  };
  for (const auto& [filter, want] : cases) {
    EXPECT_EQ(Names(ListAllDomains(filter, 0, /*include_unmanaged=*/true)), want) << filter;
    ListDomainsRequest req;
    req.set_filter(filter);
    ListDomainsResponse resp;
    ASSERT_TRUE(List(req, &resp).ok()) << filter;
    EXPECT_EQ(resp.total_size(), static_cast<int>(want.size())) << filter;
  }
}

TEST_F(ListingTest, FilteredPagesKeepTheFilter) {
  DefineMixed();
  ListDomainsRequest req;
  req.set_filter("name = \"web*\"");
  req.set_page_size(2);
  ListDomainsResponse first;
  ASSERT_TRUE(List(req, &first).ok());
  EXPECT_EQ(first.domains_size(), 2);
  EXPECT_EQ(first.total_size(), 3);
  ASSERT_FALSE(first.next_page_token().empty());
  req.set_page_token(first.next_page_token());
  ListDomainsResponse second;
  ASSERT_TRUE(List(req, &second).ok());
  ASSERT_EQ(second.domains_size(), 1);
  EXPECT_EQ(second.domains(0).spec().name(), "web3");
  EXPECT_EQ(second.total_size(), 3);
  EXPECT_TRUE(second.next_page_token().empty());

  // The token belongs to its query: another filter refuses it.
  req.set_filter("power_state = RUNNING");
  ListDomainsResponse refused;
  EXPECT_TRUE(IsError(List(req, &refused), StatusCode::INVALID_ARGUMENT,
                      {"page_token", "different query"}));
  req.clear_filter();
  EXPECT_TRUE(IsError(List(req, &refused), StatusCode::INVALID_ARGUMENT, {"page_token"}));
}

TEST_F(ListingTest, BadFiltersAreInvalidArgument) {
  DefineMixed();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"power_state = BOGUS", "BOGUS"},
      {"power_state = POWER_STATE_UNSPECIFIED", "power_state"},
      {"colour = red", "\"colour\""},
      {"power_state RUNNING", "expected = or !="},
      {"power_state =", "expected a value"},
      {"name = \"web", "unterminated"},
      {"power_state = RUNNING AND", "expected a field name"},
      {"power_state = RUNNING XOR name = web1", "XOR"},
      {"managed = maybe", "managed"},
      {"type = XEN", "XEN"},
      {"= RUNNING", "expected a field name"},
  };
  for (const auto& [filter, detail] : cases) {
    ListDomainsRequest req;
    req.set_filter(filter);
    ListDomainsResponse resp;
    grpc::Status s = List(req, &resp);
    EXPECT_TRUE(IsError(s, StatusCode::INVALID_ARGUMENT, {detail})) << filter;
    EXPECT_TRUE(absl::StartsWith(s.error_message(), "filter:"))
        << filter << " -> " << s.error_message();
  }
}

TEST_F(ListingTest, BadPagingIsInvalidArgument) {
  DefineMany(3);
  ListDomainsRequest req;
  req.set_page_size(-1);
  ListDomainsResponse resp;
  EXPECT_TRUE(IsError(List(req, &resp), StatusCode::INVALID_ARGUMENT, {"page_size", "-1"}));
  req.set_page_size(1);
  req.set_page_token("not a token!");
  EXPECT_TRUE(IsError(List(req, &resp), StatusCode::INVALID_ARGUMENT, {"page_token"}));
  // A token from another method is not one of ours either.
  CreateOrDie("x", 64, false);
  xenia::v1::ListOperationsRequest ops_req;
  ops_req.set_page_size(1);
  xenia::v1::ListOperationsResponse ops;
  ASSERT_TRUE(daemon_->operations().ListOperations(Context().get(), ops_req, &ops).ok());
  ASSERT_FALSE(ops.next_page_token().empty());
  req.set_page_token(ops.next_page_token());
  EXPECT_TRUE(IsError(List(req, &resp), StatusCode::INVALID_ARGUMENT, {"page_token"}));
}

TEST_F(ListingTest, Dom0IsListedAsUnmanagedAndLeftAlone) {
  CreateOrDie("web1", 64, true);
  ListDomainsResponse resp;
  ASSERT_TRUE(List(ListDomainsRequest(), &resp).ok());
  ASSERT_EQ(resp.domains_size(), 2);
  EXPECT_EQ(resp.total_size(), 2);
  const xenia::v1::Domain& dom0 = resp.domains(0);
  EXPECT_EQ(dom0.spec().name(), "Domain-0");
  EXPECT_FALSE(dom0.status().managed());
  EXPECT_EQ(dom0.status().domid(), 0);
  EXPECT_EQ(dom0.status().power_state(), xenia::v1::RUNNING);
  EXPECT_TRUE(resp.domains(1).status().managed());

  xenia::v1::Domain got;
  ASSERT_TRUE(Get("Domain-0", &got).ok());
  EXPECT_FALSE(got.status().managed());
  Operation op;
  EXPECT_TRUE(IsError(Pause("Domain-0", &op), StatusCode::INVALID_ARGUMENT, {"dom0"}));
  xenia::v1::AdoptDomainRequest adopt;
  adopt.set_name(DomainName("Domain-0"));
  EXPECT_TRUE(IsError(daemon_->domains().AdoptDomain(Context().get(), adopt, &op),
                      StatusCode::FAILED_PRECONDITION, {"control domain"}));
}

TEST_F(ListingTest, ParentMustBeThisHost) {
  DefineMany(2);
  ListDomainsRequest req;
  req.set_filter("managed = true");
  req.set_parent("hosts/testhost");
  ListDomainsResponse resp;
  ASSERT_TRUE(List(req, &resp).ok());
  EXPECT_EQ(resp.domains_size(), 2);
  req.set_parent("hosts/-");
  ASSERT_TRUE(List(req, &resp).ok());
  req.set_parent("hosts/elsewhere");
  EXPECT_TRUE(IsError(List(req, &resp), StatusCode::NOT_FOUND, {"parent", "\"elsewhere\""}));
  req.set_parent("testhost");
  EXPECT_TRUE(IsError(List(req, &resp), StatusCode::INVALID_ARGUMENT, {"parent"}));
}

}  // namespace
}  // namespace xenia::testing
