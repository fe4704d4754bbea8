#include "daemon/domain/domain_registry.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace xenia {
namespace {

DomainEntry Entry(const std::string& name, const std::string& uuid) {
  DomainEntry e;
  e.spec.set_name(name);
  e.spec.set_uuid(uuid);
  e.status.set_power_state(xenia::v1::SHUTOFF);
  return e;
}

TEST(DomainRegistry, NamesAndUuidsAreUnique) {
  DomainRegistry r;
  ASSERT_TRUE(r.Insert(Entry("a", "u1")).ok());
  absl::Status dup_name = r.Insert(Entry("a", "u2"));
  EXPECT_EQ(dup_name.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(dup_name.message(), "domain \"a\" already exists");
  EXPECT_EQ(r.Insert(Entry("b", "u1")).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(r.size(), 1u);
  EXPECT_TRUE(r.Remove("u1"));
  EXPECT_FALSE(r.Remove("u1"));
  EXPECT_FALSE(r.GetByName("a").has_value());
}

TEST(DomainRegistry, UpdateBumpsGenerationAndKeepsIdentity) {
  DomainRegistry r;
  ASSERT_TRUE(r.Insert(Entry("a", "u1")).ok());
  absl::StatusOr<DomainRegistry::Change> change =
      r.Update("u1", absl::FromUnixSeconds(10), [](DomainEntry& e) {
        e.status.set_power_state(xenia::v1::RUNNING);
        e.spec.set_name("renamed");  // ignored: the name is the key
      });
  ASSERT_TRUE(change.ok());
  EXPECT_EQ(change->before.status.power_state(), xenia::v1::SHUTOFF);
  EXPECT_EQ(change->after.status.power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(change->after.generation, 2);
  EXPECT_EQ(r.GetByName("a")->name(), "a");
  EXPECT_EQ(r.Update("nope", absl::Now(), [](DomainEntry&) {}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(DomainRegistry, RefreshFactsDoesNotChangeTheEtag) {
  DomainRegistry r;
  DomainEntry e = Entry("a", "u1");
  e.status.set_domid(7);
  ASSERT_TRUE(r.Insert(e).ok());
  EXPECT_TRUE(r.RefreshFacts("u1", 7, [](xenia::v1::DomainStatus& s) { s.set_online_vcpus(3); }));
  EXPECT_FALSE(r.RefreshFacts("u1", 8, [](xenia::v1::DomainStatus&) {}));
  EXPECT_EQ(r.GetByName("a")->status.online_vcpus(), 3);
  EXPECT_EQ(r.GetByName("a")->generation, 1);
}

TEST(DomainRegistry, ListPagesInNameOrderAndCountsMatches) {
  DomainRegistry r;
  for (int i = 0; i < 25; ++i) {
    DomainEntry e = Entry(absl::StrCat("d", i < 10 ? "0" : "", i), absl::StrCat("u", i));
    if (i % 2 == 0) e.status.set_power_state(xenia::v1::RUNNING);
    ASSERT_TRUE(r.Insert(e).ok());
  }
  auto running = [](const DomainEntry& e) { return e.status.power_state() == xenia::v1::RUNNING; };
  DomainRegistry::Page first = r.List("", 5, running);
  ASSERT_EQ(first.entries.size(), 5u);
  EXPECT_EQ(first.entries[0].name(), "d00");
  EXPECT_EQ(first.entries[4].name(), "d08");
  EXPECT_TRUE(first.more);
  EXPECT_EQ(first.total, 13);
  DomainRegistry::Page rest = r.List(first.entries.back().name(), 100, running);
  EXPECT_EQ(rest.entries.size(), 8u);
  EXPECT_FALSE(rest.more);
  EXPECT_EQ(rest.total, 13);
  DomainRegistry::Counts counts = r.Count();
  EXPECT_EQ(counts.defined, 25);
}

}  // namespace
}  // namespace xenia
