// Events through the real daemon: WatchEvents and ListEvents over gRPC, in
// commit order with gap-free sequences, resumable across a daemon kill,
// bounded by the retention, and a slow watcher cut off without slowing the
// daemon or the other watchers; and `xenia events` on top.
#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "tests/integration/daemon_fixture.h"
#include "xenia/v1/event.grpc.pb.h"

namespace xenia::testing {
namespace {

using grpc::StatusCode;
using xenia::v1::Event;
using xenia::v1::Operation;

class EventsTest : public DaemonFixture {
 protected:
  std::unique_ptr<xenia::v1::EventService::Stub> Events(
      std::shared_ptr<grpc::Channel> channel = nullptr) {
    return xenia::v1::EventService::NewStub(channel ? channel : daemon_->channel());
  }

  // Every retained event after `after` (all pages).
  std::vector<Event> ListAll(int64_t after = 0, const std::string& resource = "",
                             int page_size = 0) {
    auto stub = Events();
    xenia::v1::ListEventsRequest req;
    req.set_after_sequence(after);
    req.set_resource(resource);
    req.set_page_size(page_size);
    std::vector<Event> all;
    do {
      xenia::v1::ListEventsResponse page;
      grpc::Status s = stub->ListEvents(Context().get(), req, &page);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const Event& e : page.events()) all.push_back(e);
      req.set_page_token(page.next_page_token());
    } while (!req.page_token().empty());
    return all;
  }

  // Reads `count` events from a watch after `after`; fails the test if the
  // stream ends first.
  std::vector<Event> Watch(int64_t after, size_t count, const std::string& resource = "") {
    auto stub = Events();
    auto ctx = Context();
    xenia::v1::WatchEventsRequest req;
    req.set_after_sequence(after);
    req.set_resource(resource);
    auto reader = stub->WatchEvents(ctx.get(), req);
    std::vector<Event> got;
    Event e;
    while (got.size() < count && reader->Read(&e)) got.push_back(e);
    ctx->TryCancel();
    reader->Finish();
    EXPECT_EQ(got.size(), count);
    return got;
  }

  static void ExpectContiguous(const std::vector<Event>& events, int64_t first) {
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_EQ(events[i].sequence(), first + static_cast<int64_t>(i))
          << "event " << i << ": " << events[i].ShortDebugString();
    }
  }
};

TEST_F(EventsTest, EveryChangeIsAnEventInCommitOrder) {
  CreateOrDie("web");
  Operation op;
  ASSERT_TRUE(Pause("web", &op).ok());
  WaitDone(op);
  ASSERT_TRUE(Destroy("web", &op).ok());
  WaitDone(op);
  ASSERT_TRUE(Delete("web", &op).ok());
  WaitDone(op);

  std::vector<Event> listed = ListAll();
  ASSERT_FALSE(listed.empty());
  ExpectContiguous(listed, listed.front().sequence());
  std::vector<std::string> domain_story;
  std::set<std::string> op_states;
  for (const Event& e : listed) {
    if (e.resource() != "hosts/testhost/domains/web") continue;
    if (e.type() == Event::OPERATION_CHANGED) {
      EXPECT_FALSE(e.operation().empty());
      op_states.insert(Operation::State_Name(e.operation_state()));
      if (e.operation_state() == Operation::DONE) {
        EXPECT_EQ(e.progress_percent(), 100);
      }
    } else {
      domain_story.push_back(absl::StrCat(Event::Type_Name(e.type()), " ",
                                          xenia::v1::PowerState_Name(e.new_power_state())));
    }
  }
  EXPECT_EQ(domain_story.front(), "DOMAIN_DEFINED SHUTOFF");
  EXPECT_EQ(domain_story.back(), "DOMAIN_DELETED POWER_STATE_UNSPECIFIED");
  EXPECT_NE(std::find(domain_story.begin(), domain_story.end(), "DOMAIN_STATE_CHANGED PAUSED"),
            domain_story.end());
  EXPECT_TRUE(op_states.count("PENDING") && op_states.count("DONE"));

  // A watch from 0 replays the same events, in the same order.
  std::vector<Event> watched = Watch(0, listed.size());
  for (size_t i = 0; i < listed.size() && i < watched.size(); ++i) {
    EXPECT_EQ(watched[i].SerializeAsString(), listed[i].SerializeAsString()) << i;
  }
  // Paging gives the same list.
  std::vector<Event> paged = ListAll(0, "", 3);
  ASSERT_EQ(paged.size(), listed.size());
}

TEST_F(EventsTest, LiveEventsReachAWatcherFilteredToItsDomain) {
  CreateOrDie("other");
  auto stub = Events();
  auto ctx = Context();
  xenia::v1::WatchEventsRequest req;
  req.set_after_sequence(-1);  // only new ones
  req.set_resource(DomainName("a"));
  auto reader = stub->WatchEvents(ctx.get(), req);
  // The stream is set up once the server answers with its headers.
  reader->WaitForInitialMetadata();
  CreateOrDie("b");
  CreateOrDie("a");
  Event e;
  std::vector<Event> got;
  while (reader->Read(&e)) {
    got.push_back(e);
    if (e.type() == Event::OPERATION_CHANGED && e.operation_state() == Operation::DONE) break;
  }
  ctx->TryCancel();
  reader->Finish();
  ASSERT_FALSE(got.empty());
  // The create's change: the definition, then the operation, queued.
  EXPECT_EQ(got.front().type(), Event::DOMAIN_DEFINED);
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got[1].type(), Event::OPERATION_CHANGED);
  EXPECT_EQ(got[1].operation_state(), Operation::PENDING);
  for (const Event& ev : got) EXPECT_EQ(ev.resource(), "hosts/testhost/domains/a");
  for (size_t i = 1; i < got.size(); ++i) EXPECT_GT(got[i].sequence(), got[i - 1].sequence());
}

TEST_F(EventsTest, AWatcherResumesAfterADaemonKillWithoutGapsOrRepeats) {
  CreateOrDie("one");
  const int64_t seen = ListAll().back().sequence();
  KillAndRestartDaemon();
  CreateOrDie("two");
  std::vector<Event> after = ListAll(seen);
  ASSERT_FALSE(after.empty());
  ExpectContiguous(after, seen + 1);
  std::vector<Event> watched = Watch(seen, after.size());
  ExpectContiguous(watched, seen + 1);
  // Nothing before `seen` was lost either.
  ExpectContiguous(ListAll(), 1);
}

TEST_F(EventsTest, BadRangesAreRefusedWithWhatToDo) {
  CreateOrDie("web");
  const int64_t last = ListAll().back().sequence();
  auto stub = Events();
  xenia::v1::ListEventsRequest list;
  list.set_after_sequence(last + 100);
  xenia::v1::ListEventsResponse out;
  EXPECT_TRUE(IsError(stub->ListEvents(Context().get(), list, &out), StatusCode::OUT_OF_RANGE,
                      {"beyond the newest event", "re-list"}));
  auto ctx = Context();
  xenia::v1::WatchEventsRequest watch;
  watch.set_after_sequence(-5);
  auto reader = stub->WatchEvents(ctx.get(), watch);
  Event e;
  EXPECT_FALSE(reader->Read(&e));
  EXPECT_TRUE(IsError(reader->Finish(), StatusCode::INVALID_ARGUMENT, {"after_sequence"}));
  list.set_after_sequence(0);
  list.set_resource("hosts/otherhost/domains/web");
  EXPECT_TRUE(IsError(stub->ListEvents(Context().get(), list, &out), StatusCode::NOT_FOUND));
  list.set_resource("domains/web");
  EXPECT_TRUE(IsError(stub->ListEvents(Context().get(), list, &out), StatusCode::INVALID_ARGUMENT,
                      {"resource"}));
}

class RetentionTest : public EventsTest {
 protected:
  void SetUp() override {
    std::string config = dir_.path() + "/xeniad.yaml";
    std::ofstream(config) << "event_retention: 20\n";
    options_.args = {"--config", config};
    DaemonFixture::SetUp();
  }
};

TEST_F(RetentionTest, OldEventsAreDroppedAndAskingForThemIsOutOfRange) {
  for (int i = 0; i < 8; ++i) CreateOrDie(absl::StrCat("d", i));
  // The pruning runs beside the daemon's work; wait until it has caught up:
  // no more than the retention and its slack (a tenth) are stored.
  // The store and the daemon's in-memory window prune each on their own:
  // wait until both have.
  ASSERT_TRUE(WaitUntil([&] {
    const int64_t stored_oldest = QueryInt("SELECT MIN(sequence) FROM events");
    if (stored_oldest <= 1 || CountRows("events") > 20 + 2) return false;
    std::vector<Event> listed = ListAll();
    return !listed.empty() && listed.front().sequence() >= stored_oldest;
  })) << CountRows("events")
      << " events stored";
  const int64_t oldest = QueryInt("SELECT MIN(sequence) FROM events");
  std::vector<Event> kept = ListAll();
  ASSERT_FALSE(kept.empty());
  EXPECT_GE(kept.front().sequence(), oldest);
  bool recorded = false;
  for (const Event& e : kept) recorded = recorded || e.type() == Event::RECORDS_DROPPED;
  EXPECT_TRUE(recorded) << "no RECORDS_DROPPED event";

  auto stub = Events();
  auto ctx = Context();
  xenia::v1::WatchEventsRequest watch;
  watch.set_after_sequence(1);
  auto reader = stub->WatchEvents(ctx.get(), watch);
  Event e;
  EXPECT_FALSE(reader->Read(&e));
  EXPECT_TRUE(IsError(reader->Finish(), StatusCode::OUT_OF_RANGE,
                      {"no longer kept", "re-list", "retention 20"}));
  // From 0 means "from the oldest kept", which is fine.
  EXPECT_EQ(Watch(0, 3).size(), 3u);
}

class SlowBuildTest : public EventsTest {
 protected:
  void SetUp() override {
    std::string config = dir_.path() + "/xeniad.yaml";
    std::ofstream(config) << "sim:\n  create_time: 2s\n";
    options_.args = {"--config", config};
    DaemonFixture::SetUp();
  }
};

TEST_F(SlowBuildTest, ALongStepReportsItsProgressAndAQuickOneDoesNot) {
  CreateOrDie("slow", 256, /*start=*/true);
  CreateOrDie("quick", 256, /*start=*/false);
  Operation op;
  ASSERT_TRUE(Pause("slow", &op).ok());
  WaitDone(op);

  std::vector<int> slow_running;
  int quick_running = 0;
  for (const Event& e : ListAll()) {
    if (e.type() != Event::OPERATION_CHANGED || e.operation_state() != Operation::RUNNING) continue;
    if (e.resource() == "hosts/testhost/domains/slow") {
      slow_running.push_back(e.progress_percent());
      EXPECT_NE(e.message().find("buil"), std::string::npos) << e.ShortDebugString();
    } else {
      ++quick_running;
    }
  }
  // Two seconds of building, told at most every quarter of a second and
  // never in the first: several steps forward, in order.
  EXPECT_GE(slow_running.size(), 3u);
  EXPECT_LE(slow_running.size(), 8u);
  EXPECT_TRUE(std::is_sorted(slow_running.begin(), slow_running.end()));
  for (int percent : slow_running) {
    EXPECT_GT(percent, 0);
    EXPECT_LE(percent, 100);
  }
  // The define and the pause were quick: their steps are events, their
  // progress is not.
  EXPECT_EQ(quick_running, 0);
}

class SlowWatcherTest : public EventsTest {
 protected:
  void SetUp() override {
    std::string config = dir_.path() + "/xeniad.yaml";
    std::ofstream(config) << "event_watcher_buffer: 50\n";
    options_.args = {"--config", config};
    DaemonFixture::SetUp();
  }
};

TEST_F(SlowWatcherTest, IsCutOffWhileTheDaemonAndOtherWatchersGoOn) {
  CreateOrDie("busy");
  const int64_t start = ListAll().back().sequence();
  // The slow watcher never reads. Its own channel keeps a small window, so
  // that the transport cannot absorb what it does not read.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 4096);
  auto slow_channel = grpc::CreateCustomChannel(absl::StrCat("unix:", socket()),
                                                grpc::InsecureChannelCredentials(), args);
  auto slow_stub = Events(slow_channel);
  grpc::ClientContext slow_ctx;
  xenia::v1::WatchEventsRequest watch;
  watch.set_after_sequence(start);
  auto slow = slow_stub->WatchEvents(&slow_ctx, watch);
  slow->WaitForInitialMetadata();

  // A fast watcher reads everything meanwhile.
  std::vector<Event> fast_got;
  grpc::ClientContext fast_ctx;
  auto fast_stub = Events();
  auto fast = fast_stub->WatchEvents(&fast_ctx, watch);
  fast->WaitForInitialMetadata();
  std::thread reader([&] {
    Event e;
    while (fast->Read(&e)) fast_got.push_back(e);
  });

  // Plenty of events: every pause and unpause is three.
  for (int i = 0; i < 300; ++i) {
    Operation op;
    ASSERT_TRUE(Pause("busy", &op).ok());
    WaitDone(op);
    ASSERT_TRUE(Unpause("busy", &op).ok());
    WaitDone(op);
  }
  const int64_t last = ListAll(start).back().sequence();
  ASSERT_TRUE(WaitUntil([&] { return !fast_got.empty() && fast_got.back().sequence() >= last; }))
      << "the fast watcher stopped at " << (fast_got.empty() ? start : fast_got.back().sequence())
      << " of " << last;
  fast_ctx.TryCancel();
  reader.join();
  fast->Finish();
  ExpectContiguous(fast_got, start + 1);

  // The slow one got what fitted in its window, then its end.
  Event e;
  int64_t slow_last = start;
  while (slow->Read(&e)) {
    ASSERT_EQ(e.sequence(), slow_last + 1);
    slow_last = e.sequence();
  }
  EXPECT_LT(slow_last, last);
  EXPECT_TRUE(IsError(slow->Finish(), StatusCode::RESOURCE_EXHAUSTED,
                      {"fell more than 50 events behind", "resume with after_sequence="}));
}

TEST_F(EventsTest, TheCliFollowsAndListsEvents) {
  CreateOrDie("web");
  CliResult listed = RunCli(socket(), {"events", "--no-follow", "--domain", "web"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("DOMAIN_DEFINED"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("CreateDomain done"), std::string::npos) << listed.out;

  CliResult followed = RunCli(socket(), {"-o", "json", "events", "--since", "0", "--count", "2"});
  ASSERT_EQ(followed.exit_code, 0) << followed.err;
  EXPECT_NE(followed.out.find("\"sequence\":\"1\""), std::string::npos) << followed.out;
  EXPECT_NE(followed.out.find("\"sequence\":\"2\""), std::string::npos) << followed.out;
  EXPECT_EQ(followed.out.find("\"sequence\":\"3\""), std::string::npos) << followed.out;

  CliResult too_far = RunCli(socket(), {"events", "--since", "100000"});
  EXPECT_EQ(too_far.exit_code, 2) << too_far.out;
  EXPECT_NE(too_far.err.find("beyond the newest event"), std::string::npos) << too_far.err;
}

TEST_F(EventsTest, StoppingTheDaemonEndsWatchesWithWhereToResume) {
  CreateOrDie("web");
  auto stub = Events();
  auto ctx = Context();
  xenia::v1::WatchEventsRequest watch;
  watch.set_after_sequence(0);
  auto reader = stub->WatchEvents(ctx.get(), watch);
  Event e;
  while (reader->Read(&e)) {
    if (e.type() == Event::OPERATION_CHANGED && e.operation_state() == Operation::DONE) break;
  }
  EXPECT_EQ(daemon_->Stop(), 0);
  while (reader->Read(&e)) {
  }
  // The daemon finishes the stream with UNAVAILABLE and where to resume;
  // the message may be lost when the connection closes first, the code not.
  EXPECT_EQ(reader->Finish().error_code(), StatusCode::UNAVAILABLE);
  StartDaemon();
}

}  // namespace
}  // namespace xenia::testing
