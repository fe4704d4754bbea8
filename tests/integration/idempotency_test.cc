// Every mutating request carries an optional request_id: a repeat returns the
// first Operation instead of doing the work twice, even after the target is
// gone or the daemon restarted; the same id with a different body is
// INVALID_ARGUMENT naming request_id.
#include <string>
#include <thread>
#include <vector>

#include "daemon/proto_time.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using grpc::StatusCode;
using xenia::v1::Operation;

class IdempotencyTest : public DaemonFixture {
 protected:
  grpc::Status StartWithId(const std::string& name, const std::string& request_id, Operation* op) {
    xenia::v1::StartDomainRequest req;
    req.set_name(DomainName(name));
    req.set_request_id(request_id);
    return daemon_->domains().StartDomain(Context().get(), req, op);
  }
  grpc::Status DeleteWithId(const std::string& name, const std::string& request_id, Operation* op) {
    xenia::v1::DeleteDomainRequest req;
    req.set_name(DomainName(name));
    req.set_request_id(request_id);
    return daemon_->domains().DeleteDomain(Context().get(), req, op);
  }
  int64_t OperationsWithId(const std::string& request_id) {
    return QueryInt("SELECT count(*) FROM operations WHERE request_id = '" + request_id + "'");
  }
};

TEST_F(IdempotencyTest, RepeatedCreateReturnsTheFirstOperation) {
  Operation first;
  ASSERT_TRUE(Create("web", 256, true, &first, "ci-42-create").ok());
  EXPECT_EQ(first.request_id(), "ci-42-create");
  Operation repeat;
  ASSERT_TRUE(Create("web", 256, true, &repeat, "ci-42-create").ok());
  EXPECT_EQ(repeat.name(), first.name());
  EXPECT_EQ(WaitDone(first).state(), Operation::DONE);
  // And once it is done, a repeat returns it done.
  ASSERT_TRUE(Create("web", 256, true, &repeat, "ci-42-create").ok());
  EXPECT_EQ(repeat.name(), first.name());
  EXPECT_TRUE(EndedWith(repeat, Operation::DONE));
  EXPECT_EQ(repeat.domain().spec().uuid(), GetOrDie("web").spec().uuid());

  EXPECT_EQ(ListAllDomains().size(), 1u);
  EXPECT_EQ(CountRows("domains"), 1);
  EXPECT_EQ(OperationsWithId("ci-42-create"), 1);
}

TEST_F(IdempotencyTest, ConcurrentRepeatsCreateOneDomain) {
  constexpr int kClients = 8;
  std::vector<Operation> ops(kClients);
  std::vector<grpc::Status> statuses(kClients);
  std::vector<std::thread> clients;
  daemon_->domains();  // made once, before the threads share it
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] { statuses[i] = Create("web", 256, true, &ops[i], "retry-me"); });
  }
  for (std::thread& t : clients) t.join();
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    EXPECT_EQ(ops[i].name(), ops[0].name());
  }
  EXPECT_TRUE(EndedWith(WaitDone(ops[0]), Operation::DONE));
  EXPECT_EQ(ListAllDomains().size(), 1u);
  EXPECT_EQ(OperationsWithId("retry-me"), 1);
}

TEST_F(IdempotencyTest, SameIdWithADifferentBodyIsInvalidArgument) {
  Operation first;
  ASSERT_TRUE(Create("web", 256, false, &first, "id-1").ok());
  WaitDone(first);
  Operation op;
  EXPECT_TRUE(IsError(Create("web", 512, false, &op, "id-1"), StatusCode::INVALID_ARGUMENT,
                      {"request_id", "\"id-1\"", "different request"}));
  EXPECT_TRUE(IsError(Create("other", 256, false, &op, "id-1"), StatusCode::INVALID_ARGUMENT,
                      {"request_id", "\"id-1\""}));
  // Another method with the same id is a different request as well.
  EXPECT_TRUE(IsError(StartWithId("web", "id-1", &op), StatusCode::INVALID_ARGUMENT,
                      {"request_id", "\"id-1\"", "CreateDomain"}));
  EXPECT_EQ(GetOrDie("web").spec().memory_mib(), 256);
  EXPECT_EQ(GetOrDie("web").status().power_state(), xenia::v1::SHUTOFF);
  EXPECT_EQ(ListAllDomains().size(), 1u);
  EXPECT_EQ(OperationsWithId("id-1"), 1);
}

TEST_F(IdempotencyTest, RepeatedStartDoesNotStartAgain) {
  CreateOrDie("web", 256, false);
  Operation first;
  ASSERT_TRUE(StartWithId("web", "start-1", &first).ok());
  Operation started = WaitDone(first);
  ASSERT_TRUE(EndedWith(started, Operation::DONE));
  Operation op;
  ASSERT_TRUE(Destroy("web", &op).ok());
  WaitDone(op);
  // Without the id this would start the domain again; with it, it is the
  // same (finished) request.
  Operation repeat;
  ASSERT_TRUE(StartWithId("web", "start-1", &repeat).ok());
  EXPECT_EQ(repeat.name(), first.name());
  EXPECT_EQ(repeat.domain().status().domid(), started.domain().status().domid());
  EXPECT_EQ(GetOrDie("web").status().power_state(), xenia::v1::SHUTOFF);
}

TEST_F(IdempotencyTest, RepeatedDeleteAfterTheDomainIsGone) {
  CreateOrDie("web", 256, false);
  Operation first;
  ASSERT_TRUE(DeleteWithId("web", "del-1", &first).ok());
  ASSERT_TRUE(EndedWith(WaitDone(first), Operation::DONE));
  xenia::v1::Domain gone;
  ASSERT_EQ(Get("web", &gone).error_code(), StatusCode::NOT_FOUND);
  Operation repeat;
  ASSERT_TRUE(DeleteWithId("web", "del-1", &repeat).ok());
  EXPECT_EQ(repeat.name(), first.name());
  EXPECT_TRUE(EndedWith(repeat, Operation::DONE));
  // Without the id, the domain is simply not there.
  Operation op;
  EXPECT_TRUE(IsError(Delete("web", &op), StatusCode::NOT_FOUND, {"\"web\""}));
}

TEST_F(IdempotencyTest, RequestIdsSurviveARestart) {
  Operation create;
  ASSERT_TRUE(Create("web", 256, true, &create, "boot-7").ok());
  ASSERT_TRUE(EndedWith(WaitDone(create), Operation::DONE));
  Operation del_first;
  CreateOrDie("old", 256, false);
  ASSERT_TRUE(DeleteWithId("old", "del-7", &del_first).ok());
  WaitDone(del_first);

  RestartDaemon();
  Operation repeat;
  ASSERT_TRUE(Create("web", 256, true, &repeat, "boot-7").ok());
  EXPECT_EQ(repeat.name(), create.name());
  EXPECT_TRUE(EndedWith(repeat, Operation::DONE));
  ASSERT_TRUE(DeleteWithId("old", "del-7", &repeat).ok());
  EXPECT_EQ(repeat.name(), del_first.name());
  Operation op;
  EXPECT_TRUE(IsError(Create("web", 999, true, &op, "boot-7"), StatusCode::INVALID_ARGUMENT,
                      {"request_id", "\"boot-7\""}));

  KillAndRestartDaemon();
  ASSERT_TRUE(Create("web", 256, true, &repeat, "boot-7").ok());
  EXPECT_EQ(repeat.name(), create.name());
  EXPECT_EQ(ListAllDomains().size(), 1u);
  EXPECT_EQ(OperationsWithId("boot-7"), 1);
}

TEST_F(IdempotencyTest, RepeatOfARunningOperationReturnsItStillRunning) {
  CreateOrDie("slow");
  xenia::v1::GuestBehavior ignore;
  ignore.set_ignore_shutdown(true);
  ASSERT_TRUE(SetBehavior("slow", ignore).ok());
  xenia::v1::ShutdownDomainRequest req;
  req.set_name(DomainName("slow"));
  req.set_request_id("stop-1");
  *req.mutable_timeout() = ToProto(absl::Seconds(1));
  Operation first;
  ASSERT_TRUE(daemon_->domains().ShutdownDomain(Context().get(), req, &first).ok());
  Operation repeat;
  ASSERT_TRUE(daemon_->domains().ShutdownDomain(Context().get(), req, &repeat).ok());
  EXPECT_EQ(repeat.name(), first.name());
  EXPECT_FALSE(repeat.done());
  Operation done = WaitDone(first);
  EXPECT_TRUE(EndedWith(done, Operation::FAILED, 4));
  // Same request, so the same (now failed) operation, not a second try.
  ASSERT_TRUE(daemon_->domains().ShutdownDomain(Context().get(), req, &repeat).ok());
  EXPECT_EQ(repeat.name(), first.name());
  EXPECT_TRUE(EndedWith(repeat, Operation::FAILED, 4));
  EXPECT_EQ(OperationsWithId("stop-1"), 1);
}

// CancelOperation is a mutating request with a request_id too: a retried
// cancel returns the first outcome rather than a new error.
TEST_F(IdempotencyTest, RepeatedCancelReturnsTheFirstOutcome) {
  CreateOrDie("slow");
  xenia::v1::GuestBehavior ignore;
  ignore.set_ignore_shutdown(true);
  ASSERT_TRUE(SetBehavior("slow", ignore).ok());
  Operation shutdown;
  ASSERT_TRUE(Shutdown("slow", absl::Minutes(10), false, &shutdown).ok());
  Operation pause;
  ASSERT_TRUE(Pause("slow", &pause).ok());
  xenia::v1::CancelOperationRequest cancel;
  cancel.set_name(pause.name());
  cancel.set_request_id("cancel-1");
  Operation first;
  ASSERT_TRUE(daemon_->operations().CancelOperation(Context().get(), cancel, &first).ok());
  EXPECT_TRUE(EndedWith(WaitDone(pause), Operation::CANCELLED, 1));
  Operation repeat;
  grpc::Status s = daemon_->operations().CancelOperation(Context().get(), cancel, &repeat);
  ASSERT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();
  EXPECT_EQ(repeat.name(), pause.name());
  EXPECT_EQ(repeat.state(), Operation::CANCELLED);
}

}  // namespace
}  // namespace xenia::testing
