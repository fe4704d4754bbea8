// Events and meta: reading after a sequence, filtering by resource subtree,
// the last sequence, pruning, and key/value metadata.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/sqlite_store.h"
#include "tests/unit/store/store_test_util.h"

namespace xenia::store {
namespace {

using ::testing::ElementsAre;
using testing::Event;
using ::testing::HasSubstr;
using testing::StoreTest;

class StoreEventsTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    StoreTest::TearDown();
  }

  // Events 1..10, on a domain, its devices, and its look-alike neighbours.
  void AppendSample() {
    const char* resources[] = {
        "hosts/h",                       // 1
        "hosts/h/domains/web1",          // 2
        "hosts/h/domains/web10",         // 3
        "hosts/h/domains/web1/disks/0",  // 4
        "hosts/h/domains/web1x",         // 5
        "hosts/h/domains/web1",          // 6
        "hosts/h/domains/web2",          // 7
        "hosts/h/domains/web1/nics/0",   // 8
        "hosts/h/domains/web1.old",      // 9
        "hosts/h/domains/web1",          // 10
    };
    WriteBatch batch;
    for (int i = 0; i < 10; ++i) batch.AppendEvent(Event(i + 1, resources[i]));
    ASSERT_TRUE(store_->Write(std::move(batch)).ok());
  }

  std::vector<int64_t> Sequences(int64_t after, int limit, const std::string& resource) {
    absl::StatusOr<std::vector<EventRow>> events = store_->ReadEvents(after, limit, resource);
    EXPECT_TRUE(events.ok()) << events.status();
    std::vector<int64_t> sequences;
    if (events.ok()) {
      for (const EventRow& event : *events) sequences.push_back(event.sequence);
    }
    return sequences;
  }

  std::unique_ptr<SqliteStore> store_;
};

TEST_F(StoreEventsTest, ReadsInOrderAfterASequence) {
  AppendSample();
  EXPECT_THAT(Sequences(0, 100, ""), ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  EXPECT_THAT(Sequences(6, 100, ""), ElementsAre(7, 8, 9, 10));
  EXPECT_THAT(Sequences(2, 3, ""), ElementsAre(3, 4, 5));
  EXPECT_THAT(Sequences(10, 100, ""), ElementsAre());

  absl::StatusOr<std::vector<EventRow>> events = store_->ReadEvents(3, 1, "");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].sequence, 4);
  EXPECT_EQ((*events)[0].time_us, 40);
  EXPECT_EQ((*events)[0].resource, "hosts/h/domains/web1/disks/0");
  EXPECT_EQ((*events)[0].body, "event 4");
}

TEST_F(StoreEventsTest, FiltersToAResourceAndWhatIsUnderIt) {
  AppendSample();
  EXPECT_THAT(Sequences(0, 100, "hosts/h/domains/web1"), ElementsAre(2, 4, 6, 8, 10));
  EXPECT_THAT(Sequences(4, 2, "hosts/h/domains/web1"), ElementsAre(6, 8));
  EXPECT_THAT(Sequences(0, 100, "hosts/h/domains/web1/disks/0"), ElementsAre(4));
  EXPECT_THAT(Sequences(0, 100, "hosts/h"), ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  EXPECT_THAT(Sequences(0, 100, "hosts/h/domains/web"), ElementsAre());
  EXPECT_THAT(Sequences(0, 100, "hosts/other"), ElementsAre());
}

TEST_F(StoreEventsTest, RefusesANonPositiveLimit) {
  EXPECT_EQ(store_->ReadEvents(0, 0, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ReadEvents(0, -1, "x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreEventsTest, KnowsTheLastSequence) {
  absl::StatusOr<int64_t> last = store_->LastEventSequence();
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, 0);
  AppendSample();
  EXPECT_EQ(*store_->LastEventSequence(), 10);
}

TEST_F(StoreEventsTest, ASequenceIsStoredOnce) {
  AppendSample();
  WriteBatch batch;
  batch.AppendEvent(Event(11, "hosts/h"));
  batch.AppendEvent(Event(5, "hosts/h/domains/web3"));
  absl::Status status = store_->Write(std::move(batch));
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_THAT(status.message(), HasSubstr("sequence 5"));
  EXPECT_EQ(*store_->LastEventSequence(), 10);
}

TEST_F(StoreEventsTest, PrunesAllButTheNewest) {
  AppendSample();
  absl::StatusOr<int64_t> pruned = store_->PruneEvents(100);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 0);
  pruned = store_->PruneEvents(10);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 0);

  pruned = store_->PruneEvents(3);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 7);
  EXPECT_THAT(Sequences(0, 100, ""), ElementsAre(8, 9, 10));
  EXPECT_EQ(*store_->LastEventSequence(), 10);

  pruned = store_->PruneEvents(0);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 3);
  EXPECT_THAT(Sequences(0, 100, ""), ElementsAre());

  EXPECT_EQ(store_->PruneEvents(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreEventsTest, PruningCountsSequencesNotNumbers) {
  // Sequences need not be dense.
  WriteBatch batch;
  for (int64_t sequence : {5, 50, 500, 5000}) batch.AppendEvent(Event(sequence, "hosts/h"));
  ASSERT_TRUE(store_->Write(std::move(batch)).ok());
  absl::StatusOr<int64_t> pruned = store_->PruneEvents(2);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 2);
  EXPECT_THAT(Sequences(0, 100, ""), ElementsAre(500, 5000));
}

TEST_F(StoreEventsTest, StoresMeta) {
  absl::StatusOr<std::optional<std::string>> value = store_->GetMeta("host_id");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_FALSE(value->has_value());

  WriteBatch batch;
  batch.PutMeta("host_id", "h1");
  batch.PutMeta("empty", "");
  ASSERT_TRUE(store_->Write(std::move(batch)).ok());
  EXPECT_EQ(store_->GetMeta("host_id")->value_or("?"), "h1");
  EXPECT_EQ(store_->GetMeta("empty")->value_or("?"), "");

  batch = WriteBatch();
  batch.PutMeta("host_id", std::string("h\0two", 5));
  ASSERT_TRUE(store_->Write(std::move(batch)).ok());
  EXPECT_EQ(store_->GetMeta("host_id")->value_or("?"), std::string("h\0two", 5));
}

}  // namespace
}  // namespace xenia::store
