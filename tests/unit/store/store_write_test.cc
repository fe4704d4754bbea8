// Writing: domains, batch atomicity, group commit (per-batch outcomes,
// submission order, one failing batch among good ones), concurrency,
// durability across a reopen, and failures of the whole group.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/sqlite_store.h"
#include "tests/unit/store/store_test_util.h"

namespace xenia::store {
namespace {

using testing::Domain;
using ::testing::ElementsAre;
using testing::Event;
using ::testing::HasSubstr;
using testing::Operation;
using testing::RawDb;
using testing::StoreTest;
using testing::WriterBlocker;

using StoreWriteTest = StoreTest;

std::vector<std::string> Names(Store& store) {
  absl::StatusOr<std::vector<DomainRow>> domains = store.LoadDomains();
  EXPECT_TRUE(domains.ok()) << domains.status();
  std::vector<std::string> names;
  if (domains.ok()) {
    for (const DomainRow& row : *domains) names.push_back(row.name);
  }
  return names;
}

absl::Status PutDomains(Store& store, std::initializer_list<DomainRow> rows) {
  WriteBatch batch;
  for (const DomainRow& row : rows) batch.PutDomain(row);
  return store.Write(std::move(batch));
}

TEST_F(StoreWriteTest, PutsLoadsAndDeletesDomains) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(Names(*store), ElementsAre());

  DomainRow web = Domain("u-web", "web");
  web.spec = std::string("binary\0spec\xff", 12);
  ASSERT_TRUE(PutDomains(*store, {Domain("u-db", "db"), web}).ok());

  absl::StatusOr<std::vector<DomainRow>> domains = store->LoadDomains();
  ASSERT_TRUE(domains.ok()) << domains.status();
  ASSERT_EQ(domains->size(), 2u);
  // By name.
  EXPECT_EQ((*domains)[0].uuid, "u-db");
  EXPECT_EQ((*domains)[1].uuid, "u-web");
  EXPECT_EQ((*domains)[1].spec, web.spec);
  EXPECT_EQ((*domains)[1].status, web.status);
  EXPECT_EQ((*domains)[1].create_time_us, web.create_time_us);
  EXPECT_EQ((*domains)[1].update_time_us, web.update_time_us);

  // Replacing by uuid, with a new name and status.
  DomainRow renamed = Domain("u-web", "www");
  renamed.status = "running";
  ASSERT_TRUE(PutDomains(*store, {renamed}).ok());
  domains = store->LoadDomains();
  ASSERT_TRUE(domains.ok());
  ASSERT_EQ(domains->size(), 2u);
  EXPECT_EQ((*domains)[1].name, "www");
  EXPECT_EQ((*domains)[1].status, "running");

  WriteBatch batch;
  batch.DeleteDomain("u-db");
  batch.DeleteDomain("u-never-existed");
  ASSERT_TRUE(store->Write(std::move(batch)).ok());
  EXPECT_THAT(Names(*store), ElementsAre("www"));
}

TEST_F(StoreWriteTest, EmptyBodiesStayEmptyNotNull) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  DomainRow row = Domain("u1", "web");
  row.spec.clear();
  row.status.clear();
  ASSERT_TRUE(PutDomains(*store, {row}).ok());
  absl::StatusOr<std::vector<DomainRow>> domains = store->LoadDomains();
  ASSERT_TRUE(domains.ok());
  ASSERT_EQ(domains->size(), 1u);
  EXPECT_EQ((*domains)[0].spec, "");
  EXPECT_EQ((*domains)[0].status, "");
}

TEST_F(StoreWriteTest, ATakenNameIsAlreadyExists) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PutDomains(*store, {Domain("u1", "web")}).ok());
  absl::Status status = PutDomains(*store, {Domain("u2", "web")});
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_THAT(status.message(), HasSubstr("\"web\""));
  EXPECT_THAT(status.message(), HasSubstr("u1"));
  EXPECT_THAT(status.message(), HasSubstr("u2"));
}

TEST_F(StoreWriteTest, AFailingBatchLeavesNothingBehind) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PutDomains(*store, {Domain("u1", "web")}).ok());

  WriteBatch batch;
  batch.PutDomain(Domain("u2", "db"));
  batch.AppendEvent(Event(1, "hosts/h/domains/db"));
  batch.PutMeta("k", "v");
  batch.PutDomain(Domain("u3", "web"));  // Taken by u1.
  absl::Status status = store->Write(std::move(batch));
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;

  EXPECT_THAT(Names(*store), ElementsAre("web"));
  EXPECT_EQ(*store->LastEventSequence(), 0);
  EXPECT_FALSE(store->GetMeta("k")->has_value());
}

TEST_F(StoreWriteTest, ABatchThatConflictsWithItselfLeavesNeither) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::Status status = PutDomains(*store, {Domain("u1", "web"), Domain("u2", "web")});
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_THAT(Names(*store), ElementsAre());
}

TEST_F(StoreWriteTest, ANameFreedInTheSameBatchCanBeTaken) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PutDomains(*store, {Domain("u1", "web")}).ok());
  WriteBatch batch;
  batch.DeleteDomain("u1");
  batch.PutDomain(Domain("u2", "web"));
  ASSERT_TRUE(store->Write(std::move(batch)).ok());
  absl::StatusOr<std::vector<DomainRow>> domains = store->LoadDomains();
  ASSERT_TRUE(domains.ok());
  ASSERT_EQ(domains->size(), 1u);
  EXPECT_EQ((*domains)[0].uuid, "u2");
}

TEST_F(StoreWriteTest, EntriesWithoutKeysAreInvalidArguments) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(PutDomains(*store, {Domain("", "web")}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PutDomains(*store, {Domain("u1", "")}).code(), absl::StatusCode::kInvalidArgument);
  WriteBatch batch;
  batch.PutOperation(Operation("", 1));
  EXPECT_EQ(store->Write(std::move(batch)).code(), absl::StatusCode::kInvalidArgument);
  batch = WriteBatch();
  OperationRow bad_state = Operation("op", 1);
  bad_state.state = static_cast<OperationState>(9);
  batch.PutOperation(bad_state);
  EXPECT_EQ(store->Write(std::move(batch)).code(), absl::StatusCode::kInvalidArgument);
  batch = WriteBatch();
  batch.PutMeta("", "v");
  EXPECT_EQ(store->Write(std::move(batch)).code(), absl::StatusCode::kInvalidArgument);
}

// Several batches from several threads land in one group (the writer is held
// until all are queued); the one that conflicts fails alone and leaves
// nothing, the others commit.
TEST_F(StoreWriteTest, OneConflictingBatchInAGroupFailsAlone) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PutDomains(*store, {Domain("u0", "taken")}).ok());

  constexpr int kBatches = 6;
  constexpr int kConflicting = 3;
  std::vector<absl::Status> results(kBatches, absl::UnknownError("not done"));
  absl::BlockingCounter done(kBatches);
  {
    WriterBlocker blocker(*store);
    std::vector<std::thread> threads;
    for (int i = 0; i < kBatches; ++i) {
      threads.emplace_back([&, i] {
        WriteBatch batch;
        batch.PutDomain(Domain(absl::StrCat("u", i + 1), absl::StrCat("name", i + 1)));
        batch.AppendEvent(Event(i + 1, absl::StrCat("hosts/h/domains/name", i + 1)));
        if (i == kConflicting) batch.PutDomain(Domain("u-late", "taken"));
        store->Submit(std::move(batch), [&, i](absl::Status status) {
          results[i] = std::move(status);
          done.DecrementCount();
        });
      });
    }
    for (std::thread& thread : threads) thread.join();
  }  // Releases the writer: all six are queued and commit as one group.
  done.Wait();

  for (int i = 0; i < kBatches; ++i) {
    if (i == kConflicting) {
      EXPECT_EQ(results[i].code(), absl::StatusCode::kAlreadyExists) << results[i];
      EXPECT_THAT(results[i].message(), HasSubstr("\"taken\""));
    } else {
      EXPECT_TRUE(results[i].ok()) << i << ": " << results[i];
    }
  }
  EXPECT_THAT(Names(*store), ElementsAre("name1", "name2", "name3", "name5", "name6", "taken"));
  absl::StatusOr<std::vector<EventRow>> events = store->ReadEvents(0, 100, "");
  ASSERT_TRUE(events.ok());
  std::vector<int64_t> sequences;
  for (const EventRow& event : *events) sequences.push_back(event.sequence);
  EXPECT_THAT(sequences, ElementsAre(1, 2, 3, 5, 6));
}

// Batches apply and report in submission order: within one group, a later
// batch sees an earlier one's name as taken.
TEST_F(StoreWriteTest, BatchesApplyAndReportInSubmissionOrder) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::Mutex mu;
  std::vector<int> order;
  std::vector<absl::Status> results(10);
  absl::BlockingCounter done(10);
  {
    WriterBlocker blocker(*store);
    for (int i = 0; i < 10; ++i) {
      WriteBatch batch;
      // Batches 0 and 1 want the same name: 0 wins, being first.
      batch.PutDomain(Domain(absl::StrCat("u", i), i == 1 ? "name0" : absl::StrCat("name", i)));
      store->Submit(std::move(batch), [&, i](absl::Status status) {
        absl::MutexLock lock(&mu);
        order.push_back(i);
        results[i] = std::move(status);
        done.DecrementCount();
      });
    }
  }
  done.Wait();
  absl::MutexLock lock(&mu);
  EXPECT_THAT(order, ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].code(), absl::StatusCode::kAlreadyExists);
  for (int i = 2; i < 10; ++i) EXPECT_TRUE(results[i].ok()) << results[i];
}

TEST_F(StoreWriteTest, AGroupOfOnlyFailingBatchesCommitsNothing) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PutDomains(*store, {Domain("u0", "taken")}).ok());
  std::vector<absl::Status> results(3);
  absl::BlockingCounter done(3);
  {
    WriterBlocker blocker(*store);
    for (int i = 0; i < 3; ++i) {
      WriteBatch batch;
      batch.PutMeta(absl::StrCat("k", i), "v");
      batch.PutDomain(Domain(absl::StrCat("u", i + 1), "taken"));
      store->Submit(std::move(batch), [&, i](absl::Status status) {
        results[i] = std::move(status);
        done.DecrementCount();
      });
    }
  }
  done.Wait();
  for (const absl::Status& status : results) {
    EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  }
  EXPECT_FALSE(store->GetMeta("k0")->has_value());
  // The store goes on working.
  EXPECT_TRUE(PutDomains(*store, {Domain("u9", "free")}).ok());
}

TEST_F(StoreWriteTest, ManyThreadsSubmitConcurrently) {
  StoreOptions options = Options();
  options.max_group_delay_us = 200;  // Lets groups grow; correctness must not care.
  absl::StatusOr<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  SqliteStore& store = **opened;

  constexpr int kThreads = 8;
  constexpr int kPerThread = 150;
  std::atomic<int> failures{0};
  std::atomic<int> completed{0};
  std::atomic<bool> writing{true};
  // A reader running alongside must never see an error.
  std::thread reader([&] {
    while (writing.load()) {
      if (!store.LoadDomains().ok() || !store.ReadEvents(0, 50, "").ok()) ++failures;
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      absl::BlockingCounter submitted(kPerThread);
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        WriteBatch batch;
        batch.PutDomain(Domain(absl::StrCat("u", n), absl::StrCat("d", n)));
        batch.PutOperation(Operation(absl::StrCat("op", n), 1000 + n, OperationState::kDone,
                                     absl::StrCat("hosts/h/domains/d", n), absl::StrCat("req", n)));
        batch.AppendEvent(Event(n + 1, absl::StrCat("hosts/h/domains/d", n)));
        // Half the threads wait for each batch, half only submit.
        if (t % 2 == 0) {
          if (!store.Write(std::move(batch)).ok()) ++failures;
          ++completed;
          submitted.DecrementCount();
        } else {
          store.Submit(std::move(batch), [&](absl::Status status) {
            if (!status.ok()) ++failures;
            ++completed;
            submitted.DecrementCount();
          });
        }
      }
      submitted.Wait();
    });
  }
  for (std::thread& thread : threads) thread.join();
  writing.store(false);
  reader.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(completed.load(), kThreads * kPerThread);
  absl::StatusOr<std::vector<DomainRow>> domains = store.LoadDomains();
  ASSERT_TRUE(domains.ok());
  EXPECT_EQ(domains->size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*store.LastEventSequence(), kThreads * kPerThread);
  absl::StatusOr<std::vector<EventRow>> events =
      store.ReadEvents(0, 10 * kThreads * kPerThread, "");
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), static_cast<size_t>(kThreads * kPerThread));
  absl::StatusOr<std::vector<OperationRow>> with_ids = store.LoadRequestIds(0);
  ASSERT_TRUE(with_ids.ok());
  EXPECT_EQ(with_ids->size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_F(StoreWriteTest, WrittenDataSurvivesAReopen) {
  {
    std::unique_ptr<SqliteStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    batch.PutDomain(Domain("u1", "web"));
    batch.PutOperation(Operation("op1", 5, OperationState::kRunning));
    batch.AppendEvent(Event(7, "hosts/h/domains/web"));
    batch.PutMeta("host_id", "h");
    ASSERT_TRUE(store->Write(std::move(batch)).ok());
  }
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(Names(*store), ElementsAre("web"));
  absl::StatusOr<std::optional<OperationRow>> op = store->GetOperation("op1");
  ASSERT_TRUE(op.ok() && op->has_value());
  EXPECT_EQ((*op)->state, OperationState::kRunning);
  EXPECT_EQ(*store->LastEventSequence(), 7);
  EXPECT_EQ(store->GetMeta("host_id")->value_or(""), "h");
}

TEST_F(StoreWriteTest, DestroyingTheStoreCommitsWhatIsQueued) {
  constexpr int kBatches = 50;
  std::atomic<int> ok{0};
  {
    std::unique_ptr<SqliteStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    WriterBlocker blocker(*store);
    for (int i = 0; i < kBatches; ++i) {
      WriteBatch batch;
      batch.PutDomain(Domain(absl::StrCat("u", i), absl::StrCat("d", i)));
      store->Submit(std::move(batch), [&](absl::Status status) {
        if (status.ok()) ++ok;
      });
    }
    blocker.Release();
  }  // The store drains its queue before it goes.
  EXPECT_EQ(ok.load(), kBatches);
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Names(*store).size(), static_cast<size_t>(kBatches));
}

TEST_F(StoreWriteTest, SubmitFromACallbackWorksButWriteIsRefused) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::Status from_callback;
  absl::Status chained = absl::UnknownError("not run");
  absl::Notification chained_done;
  WriteBatch first;
  first.PutDomain(Domain("u1", "first"));
  ASSERT_TRUE(store->Write(std::move(first)).ok());
  WriteBatch second;
  second.PutDomain(Domain("u2", "second"));
  absl::Notification second_done;
  store->Submit(std::move(second), [&](absl::Status) {
    WriteBatch nested;
    nested.PutDomain(Domain("u3", "nested"));
    from_callback = store->Write(std::move(nested));
    WriteBatch third;
    third.PutDomain(Domain("u4", "third"));
    store->Submit(std::move(third), [&](absl::Status status) {
      chained = std::move(status);
      chained_done.Notify();
    });
    second_done.Notify();
  });
  second_done.WaitForNotification();
  chained_done.WaitForNotification();
  EXPECT_EQ(from_callback.code(), absl::StatusCode::kFailedPrecondition) << from_callback;
  EXPECT_TRUE(chained.ok()) << chained;
  EXPECT_THAT(Names(*store), ElementsAre("first", "second", "third"));
}

// Another process holds SQLite's write lock: every batch of the group fails
// with UNAVAILABLE, and the store recovers once the lock is gone.
TEST_F(StoreWriteTest, ALockedDatabaseFailsTheWholeGroupAndRecovers) {
  StoreOptions options = Options();
  options.busy_timeout_ms = 50;
  absl::StatusOr<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  SqliteStore& store = **opened;

  RawDb other(path_);
  std::vector<absl::Status> results(3);
  absl::BlockingCounter done(3);
  {
    WriterBlocker blocker(store);
    ASSERT_EQ(other.Exec("BEGIN IMMEDIATE"), "");
    for (int i = 0; i < 3; ++i) {
      WriteBatch batch;
      batch.PutDomain(Domain(absl::StrCat("u", i), absl::StrCat("d", i)));
      store.Submit(std::move(batch), [&, i](absl::Status status) {
        results[i] = std::move(status);
        done.DecrementCount();
      });
    }
  }
  done.Wait();
  for (const absl::Status& status : results) {
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_THAT(status.message(), HasSubstr("locked"));
    EXPECT_THAT(status.message(), HasSubstr(path_));
  }
  ASSERT_EQ(other.Exec("COMMIT"), "");
  EXPECT_TRUE(PutDomains(store, {Domain("u9", "after")}).ok());
  EXPECT_THAT(Names(store), ElementsAre("after"));
}

}  // namespace
}  // namespace xenia::store
