// Written (unsynced) commits and sync barriers: what the daemon uses to put
// an operation on record before it acts, and to acknowledge it only once it
// is on disk.
#include <vector>

#include "absl/synchronization/mutex.h"
#include "tests/unit/store/store_test_util.h"

namespace xenia::store::testing {
namespace {

class StoreDurabilityTest : public StoreTest {};

TEST_F(StoreDurabilityTest, WrittenBatchesAreVisibleAndSurviveReopening) {
  {
    std::unique_ptr<SqliteStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    batch.PutDomain(Domain("u1", "web1"));
    absl::Notification done;
    absl::Status result;
    store->Submit(std::move(batch), Durability::kWritten, [&](absl::Status s) {
      result = s;
      done.Notify();
    });
    done.WaitForNotification();
    ASSERT_TRUE(result.ok()) << result;
    absl::StatusOr<std::vector<DomainRow>> rows = store->LoadDomains();
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 1u);
  }
  // A new store on the same file (as after the daemon's death) finds it.
  std::unique_ptr<SqliteStore> again = OpenStore();
  ASSERT_NE(again, nullptr);
  absl::StatusOr<std::vector<DomainRow>> rows = again->LoadDomains();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].name, "web1");
}

TEST_F(StoreDurabilityTest, SyncAnswersAfterEverythingSubmittedBefore) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::Mutex mu;
  std::vector<std::string> order;
  absl::Notification all_done;
  {
    WriterBlocker blocker(*store);
    WriteBatch a;
    a.PutDomain(Domain("u1", "a"));
    store->Submit(std::move(a), Durability::kWritten, [&](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      absl::MutexLock lock(&mu);
      order.push_back("written");
    });
    store->Sync([&](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      absl::MutexLock lock(&mu);
      order.push_back("synced");
      all_done.Notify();
    });
  }
  all_done.WaitForNotification();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(order, (std::vector<std::string>{"written", "synced"}));
}

TEST_F(StoreDurabilityTest, ALoneSyncAfterWrittenCommitsSyncsOnItsOwn) {
  StoreOptions options = Options();
  options.sync_grace_us = 1000;
  absl::StatusOr<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  SqliteStore& store = **opened;
  WriteBatch batch;
  batch.PutDomain(Domain("u1", "a"));
  absl::Notification written;
  store.Submit(std::move(batch), Durability::kWritten, [&](absl::Status) { written.Notify(); });
  written.WaitForNotification();
  // Nothing synced comes along: the sync happens by itself after the grace,
  // with a synced commit of its own.
  absl::Notification synced;
  absl::Status result;
  store.Sync([&](absl::Status s) {
    result = s;
    synced.Notify();
  });
  synced.WaitForNotification();
  EXPECT_TRUE(result.ok()) << result;
  RawDb raw(path_);
  EXPECT_EQ(raw.QueryString("SELECT count(*) FROM meta WHERE key = 'store.last_sync'"), "1");
  // A second sync with nothing unsynced answers without another commit.
  absl::Notification again;
  store.Sync([&](absl::Status s) {
    EXPECT_TRUE(s.ok()) << s;
    again.Notify();
  });
  again.WaitForNotification();
}

TEST_F(StoreDurabilityTest, ASyncedCommitCoversEarlierWrittenOnes) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  WriteBatch first;
  first.PutDomain(Domain("u1", "a"));
  absl::Notification written;
  store->Submit(std::move(first), Durability::kWritten, [&](absl::Status) { written.Notify(); });
  written.WaitForNotification();
  absl::Notification synced;
  absl::Notification second_done;
  {
    // The barrier and a synced change queue up together (behind an unsynced
    // commit that holds the writer).
    WriterBlocker blocker(*store, Durability::kWritten);
    store->Sync([&](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      synced.Notify();
    });
    WriteBatch second;
    second.PutDomain(Domain("u2", "b"));
    store->Submit(std::move(second), [&](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      second_done.Notify();
    });
  }
  second_done.WaitForNotification();
  synced.WaitForNotification();
  RawDb raw(path_);
  // The synced commit made the barrier's own sync unnecessary.
  EXPECT_EQ(raw.QueryString("SELECT count(*) FROM meta WHERE key = 'store.last_sync'"), "0");
  EXPECT_EQ(raw.QueryString("SELECT count(*) FROM domains"), "2");
}

}  // namespace
}  // namespace xenia::store::testing
