// OperationService: Get, List (filters, paging), Wait and Cancel; operations on
// one domain run one at a time in arrival order; a domain's queue is bounded.
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/proto_time.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using google::protobuf::util::MessageDifferencer;
using grpc::StatusCode;
using xenia::v1::Operation;

class OperationsTest : public DaemonFixture {
 protected:
  // A running domain whose guest ignores shutdown requests, and a shutdown
  // parked on it (journalled as running) for `timeout`.
  Operation ParkShutdown(const std::string& name, xenia::v1::Domain* domain = nullptr,
                         absl::Duration timeout = absl::Minutes(10)) {
    xenia::v1::Domain d = CreateOrDie(name);
    if (domain != nullptr) *domain = d;
    xenia::v1::GuestBehavior ignore;
    ignore.set_ignore_shutdown(true);
    EXPECT_TRUE(SetBehavior(name, ignore).ok());
    Operation op;
    EXPECT_TRUE(Shutdown(name, timeout, false, &op).ok());
    EXPECT_TRUE(WaitJournalled(op, Operation::RUNNING));
    return op;
  }
  grpc::Status Cancel(const std::string& name, Operation* out) {
    xenia::v1::CancelOperationRequest req;
    req.set_name(name);
    return daemon_->operations().CancelOperation(Context().get(), req, out);
  }
  grpc::Status Wait(const std::string& name, absl::Duration timeout, Operation* out) {
    xenia::v1::WaitOperationRequest req;
    req.set_name(name);
    *req.mutable_timeout() = ToProto(timeout);
    return daemon_->operations().WaitOperation(Context().get(), req, out);
  }
};

TEST_F(OperationsTest, GetAndListByTargetStateAndMethod) {
  CreateOrDie("x", 256, false);
  Operation op;
  ASSERT_TRUE(Start("x", &op).ok());
  ASSERT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
  ASSERT_TRUE(Pause("x", &op).ok());
  ASSERT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
  ASSERT_TRUE(Unpause("x", &op).ok());
  ASSERT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
  CreateOrDie("y", 256, false);

  std::vector<Operation> on_x = ListAllOperations("target = \"hosts/-/domains/x\"");
  ASSERT_EQ(on_x.size(), 4u);
  // Newest first.
  std::vector<std::string> methods;
  for (const Operation& o : on_x) methods.push_back(o.method());
  EXPECT_EQ(methods, (std::vector<std::string>{"UnpauseDomain", "PauseDomain", "StartDomain",
                                               "CreateDomain"}));
  for (const Operation& o : on_x) {
    EXPECT_EQ(o.target(), "hosts/testhost/domains/x");
    EXPECT_TRUE(EndedWith(o, Operation::DONE));
    EXPECT_EQ(o.progress_percent(), 100);
    EXPECT_LE(FromProto(o.create_time()), FromProto(o.start_time()));
    EXPECT_LE(FromProto(o.start_time()), FromProto(o.end_time()));
    Operation got;
    ASSERT_TRUE(GetOperation(o.name(), &got).ok());
    EXPECT_TRUE(MessageDifferencer::Equals(got, o)) << got.DebugString() << o.DebugString();
    // "hosts/-" names this host too.
    std::string id = o.name().substr(o.name().rfind('/') + 1);
    ASSERT_TRUE(GetOperation("hosts/-/operations/" + id, &got).ok());
    EXPECT_EQ(got.name(), o.name());
  }
  EXPECT_EQ(ListAllOperations("target = \"hosts/testhost/domains/x\"").size(), 4u);
  EXPECT_EQ(ListAllOperations("state = DONE").size(), 5u);
  EXPECT_EQ(ListAllOperations("state = FAILED").size(), 0u);
  std::vector<Operation> pauses =
      ListAllOperations("target = \"hosts/-/domains/x\" AND method = \"PauseDomain\"");
  ASSERT_EQ(pauses.size(), 1u);
  EXPECT_EQ(pauses[0].method(), "PauseDomain");
  EXPECT_EQ(ListAllOperations("method = CreateDomain AND state = DONE").size(), 2u);
}

TEST_F(OperationsTest, GetOperationErrors) {
  Operation op;
  EXPECT_TRUE(IsError(GetOperation("hosts/-/operations/0123456789abcdef", &op),
                      StatusCode::NOT_FOUND, {"0123456789abcdef"}));
  EXPECT_TRUE(IsError(GetOperation("operations/1", &op), StatusCode::INVALID_ARGUMENT, {"name"}));
  EXPECT_TRUE(IsError(GetOperation("", &op), StatusCode::INVALID_ARGUMENT, {"name: required"}));
  EXPECT_TRUE(IsError(GetOperation("hosts/elsewhere/operations/1", &op), StatusCode::NOT_FOUND,
                      {"\"elsewhere\""}));
}

TEST_F(OperationsTest, ListPagesHoldEveryOperationOnce) {
  for (int i = 0; i < 7; ++i) CreateOrDie(absl::StrCat("p", i), 64, false);
  std::vector<Operation> all = ListAllOperations("", 3);
  ASSERT_EQ(all.size(), 7u);
  std::set<std::string> names;
  for (size_t i = 0; i < all.size(); ++i) {
    names.insert(all[i].name());
    if (i > 0) {
      EXPECT_GE(FromProto(all[i - 1].create_time()), FromProto(all[i].create_time()));
    }
  }
  EXPECT_EQ(names.size(), 7u);
  EXPECT_EQ(all.back().target(), "hosts/testhost/domains/p0");
  EXPECT_EQ(ListAllOperations("state = DONE", 2).size(), 7u);

  xenia::v1::ListOperationsRequest req;
  req.set_page_size(3);
  xenia::v1::ListOperationsResponse first;
  ASSERT_TRUE(daemon_->operations().ListOperations(Context().get(), req, &first).ok());
  req.set_page_token(first.next_page_token());
  req.set_filter("state = DONE");
  xenia::v1::ListOperationsResponse refused;
  EXPECT_TRUE(IsError(daemon_->operations().ListOperations(Context().get(), req, &refused),
                      StatusCode::INVALID_ARGUMENT, {"page_token"}));
}

TEST_F(OperationsTest, BadListRequests) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"state = BOGUS", "unknown state \"BOGUS\""},
      {"state = DONE OR state = FAILED", "AND"},
      {"state != DONE", "="},
      {"target = \"web1\"", "target"},
      {"owner = me", "\"owner\""},
  };
  for (const auto& [filter, detail] : cases) {
    xenia::v1::ListOperationsRequest req;
    req.set_filter(filter);
    xenia::v1::ListOperationsResponse resp;
    EXPECT_TRUE(IsError(daemon_->operations().ListOperations(Context().get(), req, &resp),
                        StatusCode::INVALID_ARGUMENT, {"filter", detail}))
        << filter;
  }
  xenia::v1::ListOperationsRequest req;
  req.set_page_size(-5);
  xenia::v1::ListOperationsResponse resp;
  EXPECT_TRUE(IsError(daemon_->operations().ListOperations(Context().get(), req, &resp),
                      StatusCode::INVALID_ARGUMENT, {"page_size"}));
}

TEST_F(OperationsTest, WaitReturnsNotDoneWhenItsTimeoutPasses) {
  Operation shutdown = ParkShutdown("slow");
  Operation waited;
  ASSERT_TRUE(Wait(shutdown.name(), absl::Milliseconds(200), &waited).ok());
  EXPECT_EQ(waited.name(), shutdown.name());
  EXPECT_FALSE(waited.done());
  EXPECT_EQ(waited.state(), Operation::RUNNING);
  // A parked shutdown accepts CancelOperation, and says so.
  EXPECT_TRUE(waited.cancellable()) << waited.DebugString();
  EXPECT_EQ(GetOrDie("slow").status().current_operation(), shutdown.name());
  EXPECT_TRUE(IsError(Wait(shutdown.name(), absl::Seconds(-1), &waited),
                      StatusCode::INVALID_ARGUMENT, {"timeout"}));

  // Finish it, and a wait on a finished operation answers at once.
  Operation ignored;
  ASSERT_TRUE(Cancel(shutdown.name(), &ignored).ok());
  Operation done = WaitDone(shutdown);
  ASSERT_TRUE(Wait(shutdown.name(), absl::Hours(1), &waited).ok());
  EXPECT_TRUE(waited.done());
  EXPECT_TRUE(MessageDifferencer::Equals(waited, done));
}

TEST_F(OperationsTest, CancelAParkedShutdown) {
  xenia::v1::Domain d;
  Operation shutdown = ParkShutdown("slow", &d);
  EXPECT_EQ(GetOrDie("slow").status().power_state(), xenia::v1::SHUTTING_DOWN);
  Operation answer;
  ASSERT_TRUE(Cancel(shutdown.name(), &answer).ok());
  EXPECT_EQ(answer.name(), shutdown.name());
  Operation done = WaitDone(shutdown);
  EXPECT_TRUE(EndedWith(done, Operation::CANCELLED, 1, {"cancelled"}));
  xenia::v1::Domain after = GetOrDie("slow");
  EXPECT_EQ(after.status().power_state(), xenia::v1::RUNNING)
      << done.DebugString() << after.DebugString();
  EXPECT_EQ(after.status().domid(), d.status().domid());
  EXPECT_TRUE(after.status().current_operation().empty());
  // Once ended, it cannot be cancelled again.
  EXPECT_TRUE(IsError(Cancel(shutdown.name(), &answer), StatusCode::FAILED_PRECONDITION,
                      {"already ended"}));
  EXPECT_TRUE(IsError(Cancel("hosts/-/operations/feedfacefeedface", &answer), StatusCode::NOT_FOUND,
                      {"feedfacefeedface"}));
}

TEST_F(OperationsTest, CancelAPendingOperation) {
  Operation shutdown = ParkShutdown("slow");
  Operation pause;
  ASSERT_TRUE(Pause("slow", &pause).ok());
  EXPECT_EQ(pause.state(), Operation::PENDING);
  Operation answer;
  ASSERT_TRUE(Cancel(pause.name(), &answer).ok());
  EXPECT_TRUE(EndedWith(WaitDone(pause), Operation::CANCELLED, 1, {"before it started"}));
  // The shutdown ahead of it is untouched.
  Operation ahead;
  ASSERT_TRUE(GetOperation(shutdown.name(), &ahead).ok());
  EXPECT_FALSE(ahead.done());
  EXPECT_EQ(GetOrDie("slow").status().current_operation(), shutdown.name());
  ASSERT_TRUE(Cancel(shutdown.name(), &answer).ok());
  WaitDone(shutdown);
  // The cancelled pause never ran.
  Operation stored;
  ASSERT_TRUE(GetOperation(pause.name(), &stored).ok());
  EXPECT_FALSE(stored.has_start_time()) << stored.DebugString();
  EXPECT_NE(GetOrDie("slow").status().power_state(), xenia::v1::PAUSED);
}

TEST_F(OperationsTest, OperationsOnOneDomainRunInArrivalOrder) {
  CreateOrDie("seq");
  std::vector<Operation> ops(5);
  ASSERT_TRUE(Pause("seq", &ops[0]).ok());
  ASSERT_TRUE(Unpause("seq", &ops[1]).ok());
  ASSERT_TRUE(Pause("seq", &ops[2]).ok());
  ASSERT_TRUE(Unpause("seq", &ops[3]).ok());
  ASSERT_TRUE(Pause("seq", &ops[4]).ok());
  std::vector<Operation> done;
  for (const Operation& op : ops) {
    done.push_back(WaitDone(op));
    EXPECT_TRUE(EndedWith(done.back(), Operation::DONE));
  }
  for (size_t i = 1; i < done.size(); ++i) {
    EXPECT_GE(FromProto(done[i].start_time()), FromProto(done[i - 1].end_time())) << i;
    EXPECT_GE(FromProto(done[i].create_time()), FromProto(done[i - 1].create_time())) << i;
  }
  EXPECT_EQ(done.back().domain().status().power_state(), xenia::v1::PAUSED);
  EXPECT_EQ(GetOrDie("seq").status().power_state(), xenia::v1::PAUSED);
}

// A reply that says DONE means the operation is over: the domain is no
// longer held, so the next request meets it idle and an illegal one is
// refused outright (not queued to fail later).
TEST_F(OperationsTest, ADoneReplyHasLetGoOfTheDomain) {
  for (int i = 0; i < 50; ++i) {
    std::string name = absl::StrCat("quick", i);
    Operation create;
    ASSERT_TRUE(Create(name, 64, /*start=*/true, &create).ok());
    if (create.done()) {
      EXPECT_EQ(GetOrDie(name).status().current_operation(), "") << create.DebugString();
      Operation start;
      EXPECT_TRUE(IsError(Start(name, &start), StatusCode::FAILED_PRECONDITION, {"is running"}))
          << create.DebugString();
    }
    WaitDone(create);
    Operation pause;
    ASSERT_TRUE(Pause(name, &pause).ok());
    if (pause.done()) {
      EXPECT_EQ(GetOrDie(name).status().current_operation(), "") << pause.DebugString();
      Operation again;
      EXPECT_TRUE(IsError(Pause(name, &again), StatusCode::FAILED_PRECONDITION, {"is paused"}))
          << pause.DebugString();
    }
    WaitDone(pause);
  }
}

class QueueLimitTest : public OperationsTest {
 protected:
  void SetUp() override {
    std::string config = dir_.path() + "/xeniad.yaml";
    std::ofstream(config) << "max_queue_per_domain: 2\n";
    options_.args = {"--config", config};
    DaemonFixture::SetUp();
  }
};

TEST_F(QueueLimitTest, AFullQueueRefusesMoreWork) {
  // The shutdown gives up after its timeout; meanwhile the queue is full.
  Operation shutdown = ParkShutdown("busy", nullptr, absl::Seconds(2));
  Operation pause;
  ASSERT_TRUE(Pause("busy", &pause).ok());
  Operation refused;
  EXPECT_TRUE(IsError(Pause("busy", &refused), StatusCode::RESOURCE_EXHAUSTED,
                      {"hosts/testhost/domains/busy", "the limit is 2"}));
  // Other domains are not held up.
  CreateOrDie("free");
  EXPECT_TRUE(EndedWith(WaitDone(shutdown), Operation::FAILED, 4));
  EXPECT_TRUE(EndedWith(WaitDone(pause), Operation::DONE));
  // With the queue drained, work is taken again.
  Operation answer;
  ASSERT_TRUE(Unpause("busy", &answer).ok());
  EXPECT_TRUE(EndedWith(WaitDone(answer), Operation::DONE));
}

}  // namespace
}  // namespace xenia::testing
