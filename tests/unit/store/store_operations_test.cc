// Operations: lookups by id and request id, the unfinished set, the
// idempotency index, newest-first paging with filters, and pruning.
#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/sqlite_store.h"
#include "tests/unit/store/store_test_util.h"

namespace xenia::store {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::Operation;
using testing::StoreTest;

class StoreOperationsTest : public StoreTest {
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

  absl::Status Put(std::initializer_list<OperationRow> rows) {
    WriteBatch batch;
    for (const OperationRow& row : rows) batch.PutOperation(row);
    return store_->Write(std::move(batch));
  }

  // Every page of a listing, following the cursor; the ids in order.
  std::vector<std::string> ListAll(int limit, const std::string& target, int state,
                                   int* pages = nullptr) {
    std::vector<std::string> ids;
    Store::OperationCursor cursor;
    for (int page_count = 1;; ++page_count) {
      absl::StatusOr<Page<OperationRow>> page =
          store_->ListOperations(cursor, limit, target, state);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return ids;
      EXPECT_LE(page->rows.size(), static_cast<size_t>(limit));
      for (const OperationRow& row : page->rows) ids.push_back(row.id);
      if (!page->more) {
        if (pages != nullptr) *pages = page_count;
        return ids;
      }
      EXPECT_EQ(page->rows.size(), static_cast<size_t>(limit));
      cursor.create_time_us = page->rows.back().create_time_us;
      cursor.id = page->rows.back().id;
    }
  }

  std::unique_ptr<SqliteStore> store_;
};

std::vector<std::string> Ids(const std::vector<OperationRow>& rows) {
  std::vector<std::string> ids;
  for (const OperationRow& row : rows) ids.push_back(row.id);
  return ids;
}

TEST_F(StoreOperationsTest, GetsAnOperationById) {
  OperationRow op = Operation("op1", 100, OperationState::kRunning, "hosts/h/domains/web", "r1");
  op.body = std::string("\0\1\2", 3);
  op.update_time_us = 150;
  ASSERT_TRUE(Put({op}).ok());

  absl::StatusOr<std::optional<OperationRow>> got = store_->GetOperation("op1");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->id, "op1");
  EXPECT_EQ((*got)->target, "hosts/h/domains/web");
  EXPECT_EQ((*got)->method, "StartDomain");
  EXPECT_EQ((*got)->request_id, "r1");
  EXPECT_EQ((*got)->request, op.request);
  EXPECT_EQ((*got)->state, OperationState::kRunning);
  EXPECT_EQ((*got)->body, op.body);
  EXPECT_EQ((*got)->create_time_us, 100);
  EXPECT_EQ((*got)->update_time_us, 150);

  got = store_->GetOperation("missing");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_F(StoreOperationsTest, RequestIdsAreUniqueWhenNotEmpty) {
  ASSERT_TRUE(Put({Operation("op1", 1, OperationState::kPending, "t", "r1")}).ok());
  // Updating the same operation keeps its request id.
  ASSERT_TRUE(Put({Operation("op1", 1, OperationState::kDone, "t", "r1")}).ok());
  // Any number of operations without one.
  ASSERT_TRUE(Put({Operation("op2", 2), Operation("op3", 3)}).ok());

  absl::Status status = Put({Operation("op4", 4, OperationState::kPending, "t", "r1")});
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_THAT(status.message(), HasSubstr("\"r1\""));
  EXPECT_THAT(status.message(), HasSubstr("op1"));
  EXPECT_FALSE(store_->GetOperation("op4")->has_value());

  absl::StatusOr<std::optional<OperationRow>> found = store_->FindOperationByRequestId("r1");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, "op1");
  EXPECT_EQ((*found)->state, OperationState::kDone);
  EXPECT_FALSE(store_->FindOperationByRequestId("r2")->has_value());
  EXPECT_FALSE(store_->FindOperationByRequestId("")->has_value());
}

TEST_F(StoreOperationsTest, LoadsUnfinishedOperationsOldestFirst) {
  ASSERT_TRUE(Put({Operation("done", 1, OperationState::kDone),
                   Operation("running", 30, OperationState::kRunning),
                   Operation("failed", 3, OperationState::kFailed),
                   Operation("pending", 20, OperationState::kPending),
                   Operation("cancelled", 5, OperationState::kCancelled)})
                  .ok());
  absl::StatusOr<std::vector<OperationRow>> unfinished = store_->LoadUnfinishedOperations();
  ASSERT_TRUE(unfinished.ok()) << unfinished.status();
  EXPECT_THAT(Ids(*unfinished), ElementsAre("pending", "running"));
}

TEST_F(StoreOperationsTest, LoadsRequestIdsSinceATime) {
  ASSERT_TRUE(Put({Operation("old", 10, OperationState::kDone, "t", "r-old"),
                   Operation("new", 30, OperationState::kDone, "t", "r-new"),
                   Operation("edge", 20, OperationState::kRunning, "t", "r-edge"),
                   Operation("no-id", 40, OperationState::kDone)})
                  .ok());
  absl::StatusOr<std::vector<OperationRow>> rows = store_->LoadRequestIds(20);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(Ids(*rows), ElementsAre("edge", "new"));
  EXPECT_EQ((*rows)[1].request_id, "r-new");
  EXPECT_EQ((*rows)[1].request, "request of new");
}

TEST_F(StoreOperationsTest, ListsNewestFirstAcrossPages) {
  // 25 operations; some share a creation time, so the id breaks the tie.
  std::vector<OperationRow> rows;
  for (int i = 0; i < 25; ++i) {
    rows.push_back(Operation(absl::StrCat("op", i < 10 ? "0" : "", i), 1000 + (i / 3)));
  }
  WriteBatch batch;
  for (const OperationRow& row : rows) batch.PutOperation(row);
  ASSERT_TRUE(store_->Write(std::move(batch)).ok());

  std::vector<std::string> expected;
  for (const OperationRow& row : rows) expected.push_back(row.id);
  std::reverse(expected.begin(), expected.end());  // Newest time, then highest id, first.

  int pages = 0;
  EXPECT_THAT(ListAll(10, "", 0, &pages), ElementsAreArray(expected));
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(ListAll(1, "", 0, &pages), ElementsAreArray(expected));
  EXPECT_EQ(pages, 25);
  // Exactly one full page: `more` is false on it.
  EXPECT_THAT(ListAll(25, "", 0, &pages), ElementsAreArray(expected));
  EXPECT_EQ(pages, 1);
  EXPECT_THAT(ListAll(100, "", 0, &pages), ElementsAreArray(expected));
  EXPECT_EQ(pages, 1);
}

TEST_F(StoreOperationsTest, ListFiltersByTargetAndState) {
  ASSERT_TRUE(Put({Operation("a1", 1, OperationState::kDone, "hosts/h/domains/a"),
                   Operation("b1", 2, OperationState::kDone, "hosts/h/domains/b"),
                   Operation("a2", 3, OperationState::kRunning, "hosts/h/domains/a"),
                   Operation("a3", 4, OperationState::kDone, "hosts/h/domains/a"),
                   Operation("b2", 5, OperationState::kRunning, "hosts/h/domains/b"),
                   Operation("a4", 6, OperationState::kDone, "hosts/h/domains/a")})
                  .ok());
  const int done = static_cast<int>(OperationState::kDone);
  const int running = static_cast<int>(OperationState::kRunning);
  EXPECT_THAT(ListAll(2, "hosts/h/domains/a", 0), ElementsAre("a4", "a3", "a2", "a1"));
  EXPECT_THAT(ListAll(2, "", running), ElementsAre("b2", "a2"));
  EXPECT_THAT(ListAll(1, "hosts/h/domains/a", done), ElementsAre("a4", "a3", "a1"));
  EXPECT_THAT(ListAll(5, "hosts/h/domains/c", 0), ElementsAre());
  // A target is matched exactly, not as a prefix.
  EXPECT_THAT(ListAll(5, "hosts/h/domains", 0), ElementsAre());
}

TEST_F(StoreOperationsTest, ListRefusesBadArguments) {
  Store::OperationCursor start;
  EXPECT_EQ(store_->ListOperations(start, 0, "", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListOperations(start, -5, "", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListOperations(start, 10, "", 42).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<Page<OperationRow>> empty = store_->ListOperations(start, 10, "", 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->rows.empty());
  EXPECT_FALSE(empty->more);
}

TEST_F(StoreOperationsTest, PrunesOnlyOldFinishedOperations) {
  auto updated = [](OperationRow row, int64_t update_time_us) {
    row.update_time_us = update_time_us;
    return row;
  };
  ASSERT_TRUE(Put({updated(Operation("done-old", 1, OperationState::kDone), 10),
                   updated(Operation("failed-old", 2, OperationState::kFailed), 20),
                   updated(Operation("cancelled-old", 3, OperationState::kCancelled), 30),
                   updated(Operation("done-new", 4, OperationState::kDone), 100),
                   updated(Operation("running-old", 5, OperationState::kRunning), 10),
                   updated(Operation("pending-old", 6, OperationState::kPending), 10)})
                  .ok());
  absl::StatusOr<int64_t> pruned = store_->PruneOperations(100);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 3);
  EXPECT_THAT(ListAll(10, "", 0), ElementsAre("pending-old", "running-old", "done-new"));
  pruned = store_->PruneOperations(100);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 0);
}

}  // namespace
}  // namespace xenia::store
