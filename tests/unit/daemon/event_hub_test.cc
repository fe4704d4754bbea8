// EventHub over a real SQLite store and journal: fan-out with resource
// filters, the subscribe/read hand-over, reads from memory and from the
// store, the range checks, pruning to the retention, and closing.
#include "daemon/events/event_hub.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "store/store.h"

namespace xenia {
namespace {

using xenia::v1::Event;

class RecordingWatcher : public EventWatcher {
 public:
  explicit RecordingWatcher(size_t quit_after = SIZE_MAX) : quit_after_(quit_after) {}
  bool OnEvents(const std::vector<const Event*>& events) override {
    absl::MutexLock lock(&mu_);
    for (const Event* e : events) got_.push_back(e->sequence());
    return got_.size() < quit_after_;
  }
  void OnClosed(const absl::Status& why) override {
    absl::MutexLock lock(&mu_);
    closed_ = why;
  }
  std::vector<int64_t> got() {
    absl::MutexLock lock(&mu_);
    return got_;
  }
  absl::Status closed() {
    absl::MutexLock lock(&mu_);
    return closed_;
  }

 private:
  const size_t quit_after_;
  absl::Mutex mu_;
  std::vector<int64_t> got_;
  absl::Status closed_;
};

class EventHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "hub.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    Open();
  }
  void TearDown() override {
    Close();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  void Open() {
    store::StoreOptions options;
    options.path = dir_ + "/xenia.db";
    absl::StatusOr<std::unique_ptr<store::Store>> store = store::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    absl::StatusOr<int64_t> last = store_->LastEventSequence();
    ASSERT_TRUE(last.ok());
    journal_ = std::make_unique<Journal>(*store_, *last);
    absl::StatusOr<std::unique_ptr<EventHub>> hub =
        EventHub::Start(options_, *store_, *journal_, clock_, logger_);
    ASSERT_TRUE(hub.ok()) << hub.status();
    hub_ = *std::move(hub);
    journal_->SetEventSink([h = hub_.get()](const std::vector<Event>& e) { h->Publish(e); });
  }
  void Close() {
    if (journal_) journal_->SetEventSink(nullptr);
    hub_.reset();
    journal_.reset();
    store_.reset();
  }
  // Journals one event about `resource` and waits for it to be committed.
  void Emit(const std::string& resource) {
    JournalChange change;
    Event e;
    e.set_type(Event::DOMAIN_UPDATED);
    e.set_resource(resource);
    change.events.push_back(e);
    ASSERT_TRUE(journal_->Write(std::move(change), clock_.Now()).ok());
  }
  static std::vector<int64_t> Sequences(const std::vector<Event>& events) {
    std::vector<int64_t> out;
    for (const Event& e : events) out.push_back(e.sequence());
    return out;
  }

  std::string dir_;
  EventHubOptions options_;
  SystemClock clock_;
  Logger logger_{LogLevel::kError};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<EventHub> hub_;
};

TEST(ResourceCovers, MatchesTheResourceAndWhatIsUnderIt) {
  EXPECT_TRUE(ResourceCovers("", "hosts/h/domains/a"));
  EXPECT_TRUE(ResourceCovers("hosts/h", "hosts/h/domains/a"));
  EXPECT_TRUE(ResourceCovers("hosts/h/domains/a", "hosts/h/domains/a"));
  EXPECT_FALSE(ResourceCovers("hosts/h/domains/a", "hosts/h/domains/ab"));
  EXPECT_FALSE(ResourceCovers("hosts/h/domains/a", "hosts/h"));
}

TEST_F(EventHubTest, WatchersGetTheEventsUnderTheirResourceInOrder) {
  RecordingWatcher all, only_a;
  ASSERT_EQ(*hub_->Subscribe(-1, "", &all), 0);
  ASSERT_EQ(*hub_->Subscribe(-1, "hosts/h/domains/a", &only_a), 0);
  Emit("hosts/h/domains/a");
  Emit("hosts/h/domains/b");
  Emit("hosts/h/domains/a");
  EXPECT_EQ(all.got(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(only_a.got(), (std::vector<int64_t>{1, 3}));
  hub_->Unsubscribe(&all);
  Emit("hosts/h/domains/a");
  EXPECT_EQ(all.got().size(), 3u);
  EXPECT_EQ(only_a.got().size(), 3u);
  hub_->Unsubscribe(&only_a);
}

TEST_F(EventHubTest, AWatcherThatQuitsIsDropped) {
  RecordingWatcher quitter(2);
  ASSERT_TRUE(hub_->Subscribe(-1, "", &quitter).ok());
  for (int i = 0; i < 4; ++i) Emit("r");
  EXPECT_EQ(quitter.got(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(hub_->watcher_count(), 0u);
}

TEST_F(EventHubTest, SubscribeSaysWhereLiveEventsStartSoHistoryFillsTheRest) {
  for (int i = 0; i < 5; ++i) Emit("r");
  RecordingWatcher w;
  absl::StatusOr<int64_t> live_after = hub_->Subscribe(2, "", &w);
  ASSERT_TRUE(live_after.ok());
  EXPECT_EQ(*live_after, 5);
  Emit("r");
  absl::StatusOr<std::vector<Event>> history = hub_->Read(2, *live_after, 100, "");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(Sequences(*history), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(w.got(), (std::vector<int64_t>{6}));
  hub_->Unsubscribe(&w);
}

TEST_F(EventHubTest, ReadsOlderThanTheMemoryWindowComeFromTheStore) {
  options_.memory_window = 4;
  Close();
  Open();
  for (int i = 0; i < 10; ++i) Emit(i % 2 == 0 ? "hosts/h/domains/even" : "hosts/h/domains/odd");
  absl::StatusOr<std::vector<Event>> all = hub_->Read(0, 10, 100, "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 10u);
  absl::StatusOr<std::vector<Event>> even = hub_->Read(0, 10, 3, "hosts/h/domains/even");
  ASSERT_TRUE(even.ok());
  EXPECT_EQ(Sequences(*even), (std::vector<int64_t>{1, 3, 5}));
  absl::StatusOr<std::vector<Event>> recent = hub_->Read(8, 10, 100, "");
  ASSERT_TRUE(recent.ok());
  EXPECT_EQ(Sequences(*recent), (std::vector<int64_t>{9, 10}));
  absl::StatusOr<std::vector<Event>> capped = hub_->Read(0, 4, 100, "");
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(Sequences(*capped), (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST_F(EventHubTest, SequencesContinueAcrossAReopen) {
  for (int i = 0; i < 3; ++i) Emit("r");
  Close();
  Open();
  EXPECT_EQ(hub_->last_sequence(), 3);
  Emit("r");
  absl::StatusOr<std::vector<Event>> all = hub_->Read(0, 4, 100, "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Sequences(*all), (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST_F(EventHubTest, RangesOutsideTheHistoryAreRefused) {
  for (int i = 0; i < 3; ++i) Emit("r");
  EXPECT_EQ(hub_->CheckRange(4).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(hub_->CheckRange(-2).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(hub_->CheckRange(-1).ok());
  EXPECT_TRUE(hub_->CheckRange(0).ok());
  EXPECT_TRUE(hub_->CheckRange(3).ok());
}

TEST_F(EventHubTest, PruningKeepsTheRetentionAndRecordsTheDrop) {
  options_.retention = 10;
  options_.host_resource = "hosts/h";
  Close();
  Open();
  for (int i = 0; i < 30; ++i) Emit("r");
  // The pruning thread runs beside; wait until it has caught up (no more
  // than the retention and its slack of one stored).
  auto kept_count = [&] { return hub_->last_sequence() - hub_->oldest_sequence() + 1; };
  for (int i = 0; i < 500 && kept_count() > 11; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_LE(kept_count(), 11);
  EXPECT_GE(hub_->oldest_sequence(), 15);
  absl::Status old = hub_->CheckRange(3);
  EXPECT_EQ(old.code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(old.message().find("no longer kept"), std::string::npos) << old;
  absl::StatusOr<std::vector<Event>> kept = hub_->Read(0, hub_->last_sequence(), 1000, "");
  ASSERT_TRUE(kept.ok());
  EXPECT_LE(kept->size(), 11u);
  bool recorded = false;
  for (const Event& e : *kept) {
    if (e.type() == Event::RECORDS_DROPPED) {
      recorded = true;
      EXPECT_EQ(e.resource(), "hosts/h");
      EXPECT_NE(e.message().find("event_retention 10"), std::string::npos) << e.message();
    }
  }
  EXPECT_TRUE(recorded);
}

TEST_F(EventHubTest, ClosingEndsEveryWatcherAndRefusesNewOnes) {
  RecordingWatcher w;
  ASSERT_TRUE(hub_->Subscribe(-1, "", &w).ok());
  hub_->CloseAll(absl::UnavailableError("stopping"));
  EXPECT_EQ(w.closed().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(hub_->Subscribe(-1, "", &w).status().code(), absl::StatusCode::kUnavailable);
  Emit("r");
  EXPECT_TRUE(w.got().empty());
}

}  // namespace
}  // namespace xenia
